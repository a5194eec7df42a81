"""The ``lfi-xl`` command line: everything the ribbon buttons do, on plain files.

Exit codes (:data:`EXIT_CODES`, README "Exit codes", every command's ``--help``): 0 done,
nothing to report; 1 done with findings, or the request refused (:class:`Refused`: the
workbooks can be read, but what they hold or the period's state does not allow it); 2
something given could not be used (:class:`UnusableInput`: a file missing, unreadable,
damaged or not the workbook expected, a sheet or table the command needs not there, an
output that cannot be written, a wrong command line; argparse's usage errors are 2 too);
3 an internal fault in lfi-xl (LFI_XL_DEBUG=1 shows the traceback); 130 stopped (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lfi_xl import contract
from lfi_xl.core.periods import Period, PeriodError, parse_period
from lfi_xl.core.plan import FUNDING_GAP_METHODS, PlanError
from lfi_xl.errors import Refused, UnusableInput

if TYPE_CHECKING:
    from lfi_xl.actions.freeze import Frozen
    from lfi_xl.book.workbook import Workbook

OK, FINDINGS, UNUSABLE, FAULT, STOPPED = 0, 1, 2, 3, 130
#: What each exit code means, in every command (README, "Exit codes", says the same).
EXIT_CODES = {
    OK: "done, nothing to report",
    FINDINGS: "done, with findings to fix, or the request was refused (the workbooks can be "
              "read, but what they hold or the period's state does not allow it)",
    UNUSABLE: "something given could not be used (a file or folder missing, unreadable, "
              "damaged or not the workbook expected; a sheet or table the command needs not "
              "there; an output that cannot be written; a wrong command line)",
    FAULT: "an internal fault in lfi-xl (LFI_XL_DEBUG=1 shows the details)",
    STOPPED: "stopped with Ctrl+C",
}
#: When each command exits 1 (None: it never does); its --help says so.
EXITS_1 = {
    "plan": "a printed total differs from its lines by more than rounding",
    "kpis": None,
    "build": None,
    "new": "refused: the folder already holds the workbooks (never overwritten)",
    "addin": "a step of the check in Excel failed (addin check, and the check addin "
             "install ends with)",
    "recalc": "a cell is listed (an error, a value Excel must calculate, a frozen cell "
              "kept); with --check, a value differs from the saved one",
    "print": "a workbook could not be printed (LibreOffice missing or failing)",
    "validate": "an error is listed",
    "freeze": "refused: validation errors (of either workbook), a period not started yet, "
              "already frozen or with nothing typed",
    "verify": "a difference is found",
    "extract": "refused: figures that could not agree (stale, not the forecast, not a "
               "number), an edited snapshot or frozen figure; or the PDF was not written",
    "dfe-return": "refused: a period not frozen (without --draft), an unrated condition, an "
                  "empty answer, an edited frozen figure, a plan changed since the freeze",
    "refresh": "refused: the period is frozen",
    "start-period": "refused: a period already started, beyond the programme, not one of "
                    "the workbook's reports, or after a skipped report (without --allow-gap)",
    "take-rows": None,
    "adopt": None,
    "forecast": None,
}
#: Steps validation reports to the progress bar.
VALIDATE_STEPS = 4


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def cmd_plan(args: argparse.Namespace) -> int:
    from lfi_xl.actions.plan import load_plan, plan_summary, plan_table

    plan, source = load_plan(args.file)
    summary = plan_summary(plan, args.method, source)
    if args.json:
        _print_json(summary)
    else:
        print(plan_table(summary))
    return FINDINGS if any(d["kind"] == "error" for d in summary["reconciliation"]) else OK


def cmd_kpis(args: argparse.Namespace) -> int:
    kpis = contract.KPIS
    if args.forum:
        kpis = tuple(contract.KPI_BY_REF[ref] for ref in contract.FORUM_DEFAULT_REFS)
    if args.json:
        _print_json([{
            "ref": k.ref, "group": k.group, "measure": k.measure, "programme": k.programme,
            "workstreams": list(k.workstreams), "source": k.source, "regularity": k.regularity,
            "unit": k.unit, "sign": k.sign, "display_sign": k.display_sign,
            "forum_line": k.forum_line, "forum_measure": k.forum_measure,
            "forum_default": k.forum_default,
        } for k in kpis])
        return OK
    print(f"{'Ref':>3}  {'SF':>3}  {'Group':<21} {'Measure':<66} {'Unit':<5} "
          f"{'Regularity':<9} {'Streams':<9} Source")
    for k in kpis:
        streams = ",".join(map(str, k.workstreams)) or "-"
        forum = "*" if k.forum_default else " "
        print(f"{k.ref:>3}{forum} {k.forum_line:>3}  {k.group:<21} {k.measure[:66]:<66} "
              f"{k.unit:<5} {k.regularity:<9} {streams:<9} {k.source}")
    print("\n* in the Schools Forum's default subset; SF = the Forum's own line number.")
    return OK


def cmd_build(args: argparse.Namespace) -> int:
    from lfi_xl.build.workbooks import build_workbooks

    for path in build_workbooks(args.output or Path("workbooks")):
        print(f"built {path}")
    return OK


def cmd_new(args: argparse.Namespace) -> int:
    from lfi_xl.build.workbooks import build_workbooks
    from lfi_xl.data.council import blank_council

    council = blank_council(args.authority, args.reports, args.first_year, args.last_year,
                            args.programme, args.opening_balance, not args.no_safety_valve)
    names = (contract.PLAN_WORKBOOK, contract.KPI_WORKBOOK.replace("template_", ""))
    if args.folder.exists() and not args.folder.is_dir():
        raise UnusableInput(f"{args.folder}: is a file, not a folder: name a folder for the "
                            "workbooks (nothing was made)")
    taken = [args.folder / name for name in names if (args.folder / name).exists()]
    if taken:
        raise Refused(f"{', '.join(map(str, taken))} already exist(s); lfi-xl new never "
                      "overwrites a workbook: choose another folder")
    try:
        args.folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UnusableInput(f"cannot make the folder {args.folder} "
                            f"({error.strerror or error})") from None
    plan, kpi = build_workbooks(args.folder, council, names)
    periods = council.periods()
    print(f"Made {council.name}'s workbooks ({council.programme}; {council.reports} reports "
          f"a year, {periods[0].label} to {periods[-1].label}"
          + ("" if council.safety_valve else "; no Safety Valve agreement") + "):")
    print(f"  {plan}  (DSG plan: type the plan's figures on the Plan sheet)")
    print(f"  {kpi}  (KPIs: the current report is {periods[0].label})")
    print(f"Next: type the plan and this report's figures, then lfi-xl refresh --kpi {kpi} "
          f"--plan {plan}, lfi-xl recalc {kpi} {plan}, lfi-xl validate {plan} {kpi}.")
    return OK


def cmd_addin(args: argparse.Namespace) -> int:
    from lfi_xl.addin.check import check
    from lfi_xl.addin.install import InstallError, install, remove
    from lfi_xl.build.addin import build_addin
    from lfi_xl.build.addin.build import DEFAULT_OUTPUT

    try:
        if args.action == "build":
            print(f"built {build_addin(args.output or DEFAULT_OUTPUT)}")
        elif args.action == "install":
            print(install(args.output, all_users=args.all_users))
            if args.all_users:  # IT's session: each user checks in their own Excel
                return OK
            print("Checking the add-in in Excel (lfi-xl addin check):")
            return OK if check() else FINDINGS
        elif args.action == "check":
            return OK if check() else FINDINGS
        else:
            print(remove(all_users=args.all_users))
    except InstallError as error:
        print(f"lfi-xl: {error}", file=sys.stderr)
        return UNUSABLE
    return OK


def cmd_recalc(args: argparse.Namespace) -> int:
    """Each workbook named (both of a report: the KPI and the plan workbook), in turn."""
    if args.output and len(args.files) > 1:
        raise UnusableInput("-o names one output: recalculate one workbook with it, or "
                            "several in place")
    codes = []
    for file in args.files:
        if len(args.files) > 1:
            print(f"== {file}")
        args.file = file
        codes.append(_recalc_one(args))
    return max(codes)


def _recalc_one(args: argparse.Namespace) -> int:
    from lfi_xl.actions.recalc import NO_DATA, recalc
    from lfi_xl.adapters.files.package import check_workbook_file
    from lfi_xl.adapters.files.reader import check_dense
    from lfi_xl.adapters.opening import held

    check_workbook_file(args.file)
    check_dense(args.file)
    if args.check:
        from lfi_xl.actions.recalc import differences

        found = differences(args.file)
        for line in found:
            print(f"differs: {line}")
        print(f"{len(found)} cell(s) where lfi-xl's value differs from the saved one"
              if found else "lfi-xl's values equal the ones saved in the file")
        return FINDINGS if found else OK
    with held(args.output or args.file):
        try:
            evaluation = recalc(args.file, args.output)
        except UnusableInput as error:  # a part that is not XML: say which file
            if str(args.file) in str(error):
                raise
            raise UnusableInput(f"{args.file}: {error}") from None
    for problem in evaluation.problems:
        print(f"{problem.kind}: {problem}")
    if any(problem.kind == "syntax" for problem in evaluation.problems):
        print("lfi-xl: nothing written: fix the formulas above first.", file=sys.stderr)
        return UNUSABLE
    if not evaluation.formula_count:
        print(f"{args.file} has no formulas: nothing to recalculate (no file written)")
        return OK
    target = args.output or args.file
    in_place = Path(target).resolve() == Path(args.file).resolve()
    print(f"{evaluation.computed} of {evaluation.formula_count} formula cell(s) "
          f"recalculated; values cached in {target}"
          + (f" (original kept as {args.file}.bak)" if in_place else ""))
    if evaluation.kept:
        reasons = Counter(problem.message for problem in evaluation.kept)
        print(f"{len(evaluation.kept)} kept the value Excel saved (lfi-xl does not "
              "calculate them): " + "; ".join(f"{reason} ({n})"
                                              for reason, n in reasons.most_common()))
    return FINDINGS if any(p.kind != NO_DATA for p in evaluation.problems) else OK


def cmd_print(args: argparse.Namespace) -> int:
    from lfi_xl.actions.printing import print_to_pdf
    from lfi_xl.adapters.files.package import check_output_folder

    check_output_folder(args.output, {str(path): path for path in args.files},
                        [Path(path).with_suffix(".pdf").name for path in args.files])
    for path in args.files:
        try:
            print(f"{path}: {print_to_pdf(path, args.output)}")
        except RuntimeError as error:
            print(f"lfi-xl: no PDF of {path}: {error}", file=sys.stderr)
            return FINDINGS
    return OK


def cmd_validate(args: argparse.Namespace) -> int:
    from lfi_xl.actions.validate import validate
    from lfi_xl.adapters.opening import open_workbook
    from lfi_xl.book import findings as f
    from lfi_xl.progress import shown

    results: dict[str, list[f.Finding]] = {}
    unusable = False
    for path in args.files:
        try:
            with shown(f"Validating {path.name}", VALIDATE_STEPS):
                results[str(path)] = validate(open_workbook(path))
        except UnusableInput as error:
            unusable = True
            results[str(path)] = [f.Finding(f.ERROR, "", "", f.Rule.FILE, str(error))]
    if not unusable:
        unusable = _validate_together(args.files, results)
    if args.json:
        _print_json({"findings": [finding.as_dict() | ({"file": name} if len(results) > 1
                                                        else {})
                                  for name, found in results.items() for finding in found]})
    else:
        for name, found in results.items():
            if len(results) > 1:
                print(f"== {name}")
            print(f.table(found))
    if unusable:
        return UNUSABLE
    return FINDINGS if any(f.has_errors(found) for found in results.values()) else OK


def _validate_together(files: list[Path], results: dict) -> bool:
    """The two workbooks checked against each other (the plan workbook the KPI workbook's
    Settings record when only the KPI workbook is named): what a later step would refuse
    or publish. Returns whether a file could not be used."""
    from lfi_xl.actions import consistency
    from lfi_xl.actions.validate import kind_of, validate
    from lfi_xl.adapters.opening import open_workbook
    from lfi_xl.book import findings as f
    from lfi_xl.book.kpi_book import KpiBook

    try:
        workbooks = {path: open_workbook(path) for path in files}
        kinds = {path: kind_of(workbook) for path, workbook in workbooks.items()}
        kpi = next((path for path, kind in kinds.items() if kind == "kpi"), None)
        if kpi is None:
            return False
        book = KpiBook(workbooks[kpi])
        plan = next((path for path, kind in kinds.items() if kind == "plan"), None)
        if plan is None:
            plan = consistency.recorded_plan_path(book, workbooks[kpi])
            if plan is None:
                return False
            workbooks[plan] = open_workbook(plan)
            results[f"{plan} (the plan workbook Settings record)"] = validate(workbooks[plan])
        results[str(kpi)] = f.with_plan_agreement(
            results[str(kpi)], consistency.plan_data_agreement(book, workbooks[plan]))
    except UnusableInput as error:
        results[str(files[0])].append(f.Finding(f.ERROR, "", "", f.Rule.FILE, str(error)))
        return True
    return False


def cmd_freeze(args: argparse.Namespace) -> int:
    from lfi_xl.actions.freeze import freeze
    from lfi_xl.adapters.opening import changing, open_workbook
    from lfi_xl.progress import shown

    if args.reason is not None and not args.supersede:
        raise UnusableInput("--reason is recorded only when a snapshot is superseded: add "
                            "--supersede, or leave --reason out (nothing was changed)")
    if args.by is not None and not args.by.strip():
        raise UnusableInput("who is freezing? --by is empty: give your name (or leave --by out "
                            "to record your login name)")
    kpi = _kpi(args)
    receipt: dict = {}
    plan = _freeze_plan(args, open_workbook(kpi))
    if args.supersede and plan is not None:
        frozen = _superseding(args, kpi, plan, receipt)
    else:
        with changing(kpi, receipt=receipt) as workbook:
            assert workbook.path is not None  # a file
            source = workbook.path.read_bytes()
            with shown(f"Freezing {args.period or 'the current period'}", VALIDATE_STEPS + 2):
                frozen = freeze(workbook, args.period, args.by, args.supersede, args.reason,
                                source_bytes=source, plan=plan)
            receipt.update({"file": workbook.path.name, "period": frozen.period.label,
                            "snapshot": frozen.snapshot, "when": frozen.frozen_at,
                            "head": frozen.head})
    print(frozen)
    print(f"Original kept as {kpi}.bak. The chain head is added to {receipt['receipts']}; "
          f"keep a copy elsewhere: lfi-xl verify --kpi {kpi} --head HASH checks the file "
          "still holds it.")
    return OK


def _freeze_plan(args: argparse.Namespace, kpi: Workbook) -> Workbook | None:
    """The DSG plan workbook freeze checks against: --plan, else the one Settings record;
    None for a KPI workbook without Plan Data."""
    from lfi_xl.actions.consistency import recorded_plan_path
    from lfi_xl.adapters.opening import open_workbook
    from lfi_xl.book.kpi_book import KpiBook

    book = KpiBook(kpi)
    if not book.plan_data and args.plan is None:
        return None
    path = args.plan or recorded_plan_path(book, kpi)
    if path is None:
        recorded = book.settings.plan_workbook
        raise UnusableInput("which DSG plan workbook? Plan Data must be its latest forecast "
                            "when freezing: name it (--plan FILE)" + (
                                f"; Settings record '{recorded}', which is not there"
                                if recorded else ""))
    return open_workbook(path)


def _superseding(args: argparse.Namespace, kpi: Path, plan: Workbook,
                 receipt: dict) -> Frozen:
    """freeze --supersede corrects a frozen period in one step: Plan Data brought in from
    the plan's latest forecast, the workbook recalculated (this period's frozen cells
    released), then frozen again; all on a copy, which replaces the file (NAME.bak kept)
    only when the freeze succeeded: a refusal leaves the file as it was."""
    import shutil

    from lfi_xl.actions.freeze import freeze, superseding
    from lfi_xl.actions.recalc import recalc
    from lfi_xl.actions.refresh import refresh_plan_data
    from lfi_xl.adapters.files.writer import FileWorkbook
    from lfi_xl.adapters.opening import held, save_with_receipt
    from lfi_xl.book.discover import DiscoveringEditable
    from lfi_xl.book.kpi_book import KpiBook
    from lfi_xl.progress import shown

    if not (args.reason or "").strip():
        raise UnusableInput("a superseding snapshot needs a reason (--reason)")
    with held(kpi) as real:
        draft = real.with_name(f"~lfi-superseding-{real.name}")
        try:
            shutil.copyfile(real, draft)
            file = FileWorkbook(draft)
            book = KpiBook(DiscoveringEditable(file))
            period = book.requested_period(args.period)
            superseding(book, period, args.reason)   # frozen? before anything is done
            # the current report's Plan Data is the latest forecast; an earlier report's
            # keeps the forecast as it stood then
            current = period == book.settings.current_period
            if current:
                refresh_plan_data(DiscoveringEditable(file), plan, period, superseding=True)
                file.save(backup=False)
            evaluation = recalc(draft, draft, release=(period.label,))
            if any(problem.kind == "syntax" for problem in evaluation.problems):
                raise UnusableInput("the workbook cannot be recalculated: "
                                    f"{evaluation.problems[0]}")
            print(("Plan Data for {period} brought in from the plan's latest forecast and the "
                   if current else "The ").format(period=period)
                  + f"workbook recalculated ({evaluation.computed} formula cell(s)).")
            file = FileWorkbook(draft)
            with shown(f"Freezing {period}", VALIDATE_STEPS + 2):
                frozen = freeze(DiscoveringEditable(file), period, args.by, True, args.reason,
                                source_bytes=real.read_bytes(), plan=plan)
            receipt.update({"file": real.name, "period": frozen.period.label,
                            "snapshot": frozen.snapshot, "when": frozen.frozen_at,
                            "head": frozen.head})
            save_with_receipt([(file.package, real)], real, receipt)
        finally:
            for leftover in (draft, draft.with_name(draft.name + ".bak")):
                leftover.unlink(missing_ok=True)
    return frozen




def cmd_verify(args: argparse.Namespace) -> int:
    from lfi_xl.actions.validate import kind_of
    from lfi_xl.adapters.files.package import real_path
    from lfi_xl.adapters.files.receipts import check_head, read_heads, receipts_for
    from lfi_xl.adapters.opening import open_workbook
    from lfi_xl.book import findings as f
    from lfi_xl.book.snapshots import verify

    kpi = _kpi(args)
    workbook = open_workbook(kpi)
    if kind_of(workbook) != "kpi":
        raise UnusableInput(f"{kpi}: is a DSG plan workbook; snapshots are kept in the "
                            "KPI workbook: verify that one")
    heads = [("the chain head given (--head)", check_head(head)) for head in args.head or ()]
    if args.receipts:
        heads += read_heads(args.receipts)
    elif (beside := receipts_for(real_path(kpi))) is not None:
        heads += beside[1]  # the receipts beside the file, when there
    found = verify(workbook, heads)
    if args.json:
        _print_json({"findings": [finding.as_dict() for finding in found]})
    elif found:
        print(f.table(found))
    else:
        print("Every snapshot, frozen value and audit entry is as it was frozen.")
    return FINDINGS if found else OK


def cmd_extract(args: argparse.Namespace) -> int:
    from lfi_xl.actions.extract import build_extract
    from lfi_xl.actions.forum_paper import extract_name, write_extract
    from lfi_xl.adapters import libreoffice
    from lfi_xl.adapters.files.package import check_output_folder
    from lfi_xl.adapters.opening import open_workbook

    check_output_folder(args.output, {}, [])
    data = build_extract(open_workbook(args.kpi),
                         open_workbook(args.plan) if args.plan is not None else None,
                         args.period, allow_edited=args.allow_edited)
    target = args.output / extract_name(data)
    check_output_folder(args.output, {"the KPI workbook": args.kpi, "the plan workbook": args.plan},
                        [target.name, target.with_suffix(".pdf").name])
    target = write_extract(data, target)
    print(f"Schools Forum extract for {data.period} ({data.status}): {target}")
    if data.chain_head:
        print(f"Audit chain head on its cover: {data.chain_head}")
    stale = target.with_suffix(".pdf")

    def no_pdf(why: str, code: int = OK) -> int:
        # A PDF of an earlier extract under the same name must not pass for this one.
        if stale.exists():
            stale.unlink()
            why += f" (the older {stale.name} was removed)"
        print(f"PDF: not written{why}")
        return code

    if args.pdf is False:
        return no_pdf(" (--no-pdf).")
    if args.pdf is None and not libreoffice.executable():
        return no_pdf(": LibreOffice is not installed. Install it (Debian/Ubuntu: "
                      "apt-get install libreoffice-calc-nogui) and run this again, or open the "
                      ".xlsx in Excel and save it as PDF.")
    try:
        pdf = libreoffice.convert(target, "pdf", args.output)
    except RuntimeError as error:
        return no_pdf(f": {error}", FINDINGS)
    print(f"PDF: {pdf}")
    return OK


def cmd_dfe_return(args: argparse.Namespace) -> int:
    from lfi_xl.actions.dfe_return import build_dfe_return, write_dfe_return
    from lfi_xl.adapters.opening import open_workbook

    data = build_dfe_return(open_workbook(args.kpi), open_workbook(args.plan), args.period,
                            args.draft)
    files = write_dfe_return(data, args.kpi, args.plan, args.output, args.by)
    state = (f"DRAFT, {'frozen' if data.frozen else 'not frozen'}" if data.draft
             else f"snapshot {data.snapshot}")
    print(f"DfE monitoring return for {data.period} ({state}), due {data.due:%d %B %Y}:")
    for path in files:
        print(f"  {path}")
    return OK


def cmd_refresh(args: argparse.Namespace) -> int:
    from lfi_xl.actions.refresh import refresh_plan_data
    from lfi_xl.adapters.opening import changing, open_workbook

    kpi = _kpi(args)
    with changing(kpi) as workbook:
        refreshed = refresh_plan_data(workbook, open_workbook(args.plan), args.period,
                                      args.use)
    print(f"{refreshed} Recalculate: lfi-xl recalc {kpi} (or F9 in Excel). "
          f"Original kept as {kpi}.bak.")
    return OK


def cmd_start_period(args: argparse.Namespace) -> int:
    from lfi_xl.actions.start_period import start_period
    from lfi_xl.adapters.opening import changing, changing_both

    kpi = _kpi(args)
    if args.plan is None:
        with changing(kpi) as workbook:
            started = start_period(workbook, args.period, None, args.allow_gap, args.use)
    else:
        if kpi.exists() and args.plan.exists() and os.path.samefile(kpi, args.plan):
            raise UnusableInput(f"{args.plan}: --plan names the KPI workbook itself")
        with changing_both(kpi, args.plan) as (workbook, plan):
            started = start_period(workbook, args.period, plan, args.allow_gap, args.use)
    if started.finished:
        print(f"{started} Original kept as {args.plan}.bak.")
        return OK
    print(f"{started}" + ("" if started.plan_data else
                          f" To fill Plan Data: lfi-xl refresh --kpi {kpi} --plan FILE.")
          + f" Next: enter the period's figures, then lfi-xl recalc {kpi}"
          + (f" {args.plan}" if args.plan else "")   # both workbooks, as README step 4
          + f" and lfi-xl validate {kpi}. Original kept as {kpi}.bak"
          + (f" and {args.plan}.bak." if args.plan else "."))
    return OK


def cmd_take_rows(args: argparse.Namespace) -> int:
    from lfi_xl.actions.take_rows import take_rows
    from lfi_xl.actions.validate import kind_of
    from lfi_xl.adapters.opening import changing

    kpi = _kpi(args)
    with changing(kpi) as workbook:
        if kind_of(workbook) != "kpi":
            raise UnusableInput(f"{kpi}: is a DSG plan workbook; the Placements and "
                                "Mitigations registers are in the KPI workbook: name that one")
        done = take_rows(workbook)
    for taken in done:
        print(taken)
    if any(taken.rows or taken.formulas for taken in done):
        print(f"Next: lfi-xl recalc {kpi} (the KPIs count the new rows once recalculated), "
              f"then lfi-xl validate {kpi}. Original kept as {kpi}.bak.")
    else:
        print("Nothing typed just below the registers: nothing to take in.")
    return OK


def cmd_adopt(args: argparse.Namespace) -> int:
    from lfi_xl.actions.adopt import adopt
    from lfi_xl.adapters.opening import changing

    with changing(args.file) as workbook:
        adopted = adopt(workbook, args.authority, args.programme, args.reports,
                        False if args.no_safety_valve else None)
    print(f"{adopted} The original is kept as {args.file}.bak.")
    return OK


def _kpi(args: argparse.Namespace, quiet: bool = False) -> Path:
    """The KPI workbook: ``--kpi FILE`` (a bare FILE, as freeze, verify and start-period
    took it before, still works, with a note)."""
    args.kpi_file = getattr(args, "kpi_file", None)
    if args.kpi is not None and args.kpi_file is not None:
        raise UnusableInput("give the KPI workbook once: --kpi FILE")
    if args.kpi_file is not None and quiet:
        return Path(args.kpi_file)
    if args.kpi_file is not None:
        print(f"lfi-xl: note: give the KPI workbook as --kpi {args.kpi_file} (a bare file "
              "name will stop working)", file=sys.stderr)
        return Path(args.kpi_file)
    if args.kpi is None:
        raise UnusableInput("which KPI workbook? name it: --kpi FILE")
    return Path(args.kpi)


def _kpi_option(command: argparse.ArgumentParser, bare: bool = False) -> None:
    """``--kpi FILE``, the same in every command that reads the KPI workbook (and, with
    ``bare``, for the commands that took it so before, a bare FILE, hidden from help)."""
    command.add_argument("--kpi", type=Path, metavar="FILE", required=not bare,
                         help="the KPI workbook")
    if bare:
        command.add_argument("kpi_file", nargs="?", type=Path, help=argparse.SUPPRESS)


#: How each command's refusal is told (exit 1): "lfi-xl: not frozen: <reason>".
REFUSED = {"freeze": "not frozen", "refresh": "not refreshed", "start-period": "not started",
           "dfe-return": "no DfE return", "new": "not made"}
#: The command-line option that carries out a refused request all the same, by the
#: action's keyword (:attr:`lfi_xl.errors.Refused.unless`).
OVERRIDES = {"allow_gap": "--allow-gap", "supersede": '--supersede --reason "why"',
             "draft": "--draft", "allow_edited": "--allow-edited",
             "authority": '--authority "NAME"', "plan": "--plan FILE"}
#: How the option is introduced where "to do it all the same" is not what it does.
OVERRIDE_LEADS = {"authority": "or name the council", "plan": "or name it"}


def cmd_forecast(args: argparse.Namespace) -> int:
    # pandas is imported with the action only: validate and freeze never load it.
    from lfi_xl.actions.forecast import forecast_table, read_history
    from lfi_xl.core.forecast import ForecastError

    if args.history is None and not args.area:
        raise UnusableInput("give --history FILE.csv (columns area,year,ehcps) or --area "
                            "NAME for the bundled DfE series")
    history = read_history(args.history) if args.history else None
    try:
        quantiles = [float(q) for q in args.quantiles.split(",")]
        table = forecast_table(history, args.horizon, quantiles, args.area)
    except (ValueError, ForecastError) as error:
        raise UnusableInput(f"forecast: {error}") from None
    if table.empty:
        raise UnusableInput(f"{args.history}: none of the areas {', '.join(args.area)}")
    columns = list(table.columns[2:])
    if args.json:
        _print_json({"forecasts": [
            {"area": row["area"], "year": int(row["year"]),
             **{c: round(float(row[c]), 1) for c in columns}}
            for _, row in table.iterrows()]})
        return OK
    width = max(len("Area"), *(len(a) for a in table["area"]))
    print(f"{'Area':<{width}}  {'January':>7}" + "".join(f"{c:>10}" for c in columns))
    for _, row in table.iterrows():
        print(f"{row['area']:<{width}}  {int(row['year']):>7}"
              + "".join(f"{row[c]:>10,.0f}" for c in columns))
    print("EHC plans each January; p50 the median forecast, p10-p90 the 80% band "
          "(calibrated on every English LA: docs/forecast.md).")
    return OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lfi-xl",
        description=(
            "Local First Inclusion (DSG Safety Valve) tools for the DSG plan and KPI "
            "workbooks: compute the plan, check entries, freeze a report period and build "
            "the Schools Forum extract. Money is in £m unless a column says otherwise."
        ),
        epilog="Exit codes: " + "; ".join(f"{code} {meaning}"
                                          for code, meaning in EXIT_CODES.items())
        + ". Each command's --help says when it exits 1.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan", help="compute the multi-year DSG plan and check its printed totals",
        description="Compute totals, in-year position, cumulative balances before and after "
        "Safety Valve funding and the funding gap, and say which printed totals differ from "
        "their terms (rounding, or a real difference). Without FILE: the published Norfolk "
        "plan (Schools Forum, 17 May 2023).",
    )
    plan.add_argument("file", nargs="?", metavar="FILE", help="a DSG plan workbook (.xlsx)")
    plan.add_argument("--json", action="store_true", help="print the figures as JSON")
    plan.add_argument(
        "--method", default="A", choices=sorted(FUNDING_GAP_METHODS), type=str.upper,
        help="funding gap method: " + "; ".join(
            f"{key} = {text}" for key, text in FUNDING_GAP_METHODS.items()),
    )
    plan.set_defaults(run=cmd_plan)

    kpis = commands.add_parser("kpis", help="list the 46 KPIs of the DfE return",
                               description="The KPI catalogue: master ref, group, measure, "
                               "unit, regularity, workstreams and data source.")
    kpis.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    kpis.add_argument("--forum", action="store_true",
                      help="only the Schools Forum's default subset, in its order")
    kpis.set_defaults(run=cmd_kpis)

    build = commands.add_parser(
        "build", help="build the shipped workbooks (for developers)",
        description="Generate dsg_plan.xlsx and template_kpi.xlsx from the workbook contract "
        "and the published figures (into -o, default workbooks/). The Excel add-in is "
        "built by lfi-xl addin build.")
    build.add_argument("what", nargs="?", choices=["workbooks"], default="workbooks",
                       help="what to build: the workbooks (the default)")
    build.add_argument("-o", "--output", type=Path, metavar="DIR", help="where to write")
    build.set_defaults(run=cmd_build)

    new = commands.add_parser(
        "new", help="make a council's own blank plan and KPI workbooks",
        description="Write a blank DSG plan workbook (dsg_plan.xlsx) and KPI workbook "
        "(kpi.xlsx) for your council into FOLDER: your authority's name and programme "
        "everywhere, a column for every report of every year, no figures but the ones you "
        "type. Every command and button works on them from the first report. Existing "
        "files are never overwritten.")
    new.add_argument("folder", type=Path, metavar="FOLDER")
    new.add_argument("--authority", required=True, metavar="NAME",
                     help="the council's name, e.g. 'Borsetshire County Council'")
    new.add_argument("--reports", type=int, choices=[3, 4], required=True,
                     help="reports a year: 3 (the DfE's tri-annual) or 4 (quarterly)")
    new.add_argument("--first-year", required=True, metavar="YYYY-YY",
                     help="first financial year with reports, e.g. 2024-25")
    new.add_argument("--last-year", required=True, metavar="YYYY-YY",
                     help="last financial year of the plan, e.g. 2028-29")
    new.add_argument("--programme", metavar="NAME",
                     help="what the council calls its programme (default: 'Safety Valve "
                     "programme', or 'DSG management plan' with --no-safety-valve)")
    new.add_argument("--opening-balance", type=float, metavar="£m",
                     help="cumulative DSG balance before the plan's first year (£m, "
                     "+deficit); can be typed on the Plan sheet instead")
    new.add_argument("--no-safety-valve", action="store_true",
                     help="the council has no Safety Valve agreement: no DfE contributions, "
                     "no agreement wording")
    new.set_defaults(run=cmd_new)

    addin = commands.add_parser(
        "addin", help="build, install, check or remove the Excel add-in (the LFI ribbon "
        "tab)",
        description="install copies the add-in into Excel's start-up folder with this Python "
        "in its settings, then checks it (Windows with Excel only; elsewhere it says what to "
        "do); with --all-users, into Office's own start-up folder for every user of the PC "
        "(IT's route, as administrator; each user then presses Check lfi-xl on the ribbon). "
        "check opens the installed add-in in an Excel it starts and checks, step by step, "
        "that its VBA runs and its functions give Python's answers. remove takes it out "
        "again. build makes dist/lfi_xl.xlam from the add-in's sources (shipped with lfi-xl).")
    addin.add_argument("action", choices=["build", "install", "check", "remove"])
    addin.add_argument("-o", "--output", type=Path, default=None,
                       help="the add-in file (default: dist/lfi_xl.xlam, here or in the "
                       "lfi-xl project folder; install builds it when there is none)")
    addin.add_argument("--all-users", action="store_true",
                       help="install or remove for every user of this PC (Office's XLSTART "
                       "folder; run as administrator)")
    addin.set_defaults(run=cmd_addin)

    recalc = commands.add_parser(
        "recalc", help="recalculate the formulas of a workbook and store the values",
        description="Evaluate the LFI_ formulas and the native ones lfi-xl calculates "
        "exactly as Excel does (SUM, IF, ROUND, INDEX/MATCH, SUMIFS/COUNTIFS/AVERAGEIFS, "
        "...) without Excel and store the results in the file, formulas kept, so the "
        "figures show in any program. Every other formula keeps the value Excel saved; "
        "those that depend on LFI_ results, circular references and errors are listed with "
        "sheet and cell.")
    recalc.add_argument("files", type=Path, nargs="+", metavar="IN.xlsx",
                        help="the workbook(s): in a report, both (the KPI and the DSG plan "
                             "workbook)")
    recalc.add_argument("-o", "--output", type=Path, metavar="OUT.xlsx",
                        help="write here instead of changing IN.xlsx in place")
    recalc.add_argument("--check", action="store_true",
                        help="write nothing: list every cell where lfi-xl's value differs "
                        "from the one saved in the file (run it on a workbook Excel has "
                        "just recalculated and saved)")
    recalc.set_defaults(run=cmd_recalc)

    printing = commands.add_parser(
        "print", help="print workbooks to PDF as saved, without Excel (LibreOffice)",
        description="Render each workbook to FOLDER/NAME.pdf with its own page set-up and "
        "its saved values (LibreOffice cannot run the LFI_ functions, so it prints the "
        "cached results). The workbooks are not changed.")
    printing.add_argument("files", type=Path, nargs="+", metavar="FILE.xlsx")
    printing.add_argument("-o", "--output", type=Path, default=Path("out"), metavar="DIR",
                          help="folder for the PDFs (default: out)")
    printing.set_defaults(run=cmd_print)

    validate = commands.add_parser(
        "validate", help="check the entries of plan and KPI workbooks",
        description="Check every entry: numbers where numbers belong (naming the sheet and "
        "cell), plan signs, totals against their lines (rounding is noted, real differences "
        "are errors), contributions against the agreed profile, RAGs, KPIs filled for every "
        "past report, baselines, placements, averages with n = 0, stale calculated values and "
        "values changed in frozen periods. Exit 1 when there are errors.")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--json", action="store_true", help="print the findings as JSON")
    validate.set_defaults(run=cmd_validate)

    freeze = commands.add_parser(
        "freeze", help="freeze a report period's values into the Snapshots table",
        description="Copy the period's KPI values, condition RAGs, narrative and plan figures "
        "into the Snapshots table with who, when and SHA-256 hashes, lock the period's cells "
        "and log it in the Audit table. Refused while validation finds errors, or when the "
        "period is already frozen (unless --supersede --reason). The workbook is changed in "
        "place, safely; the original is kept as FILE.bak.")
    _kpi_option(freeze, bare=True)
    freeze.add_argument("--period", required=True, help='the report period, e.g. "2023-24 Q1"')
    freeze.add_argument("--by", help="who is freezing (default: your login name)")
    freeze.add_argument("--supersede", action="store_true",
                        help="replace the period's snapshot (the old one is kept, marked)")
    freeze.add_argument("--reason", help="why the snapshot is superseded")
    freeze.add_argument("--plan", type=Path, metavar="FILE",
                        help="the DSG plan workbook (default: the one Settings record, from "
                             "the last refresh); with --supersede, Plan Data is brought in "
                             "from its latest forecast and the workbook recalculated first")
    freeze.set_defaults(run=cmd_freeze)

    verify = commands.add_parser(
        "verify", help="check that no frozen value or snapshot was edited",
        description="Recompute every snapshot's SHA-256 and the audit log's chain, and "
        "compare each frozen period with the workbook's cells. Exit 1 on any difference.")
    _kpi_option(verify, bare=True)
    verify.add_argument("--json", action="store_true", help="print the findings as JSON")
    verify.add_argument("--receipts", type=Path, metavar="R",
                        help="the receipt file freeze wrote (default: "
                        "FILE.lfi-receipts.jsonl beside FILE, when there): every chain head "
                        "in it must be in the file's audit log")
    verify.add_argument("--head", action="append", metavar="HASH",
                        help="a chain head kept elsewhere (printed by freeze, on the extract's "
                        "cover): the file's audit log must contain it (may be repeated)")
    verify.set_defaults(run=cmd_verify)

    extract = commands.add_parser(
        "extract", help="build the Schools Forum extract (a values-only workbook and PDF)",
        description="Build the public Schools Forum paper: a cover (authority, period, "
        "date, source files and snapshot hashes), the Forum's KPI subset with the previous "
        "report, change and RAG, the plan against the latest forecast, and charts. Uses the "
        "frozen snapshot when the period is frozen and says 'provisional - not frozen' "
        "otherwise. Without --plan: the plan workbook recorded by the last refresh, if it "
        "is unchanged.")
    _kpi_option(extract)
    extract.add_argument("--plan", type=Path, metavar="FILE",
                         help="the DSG plan workbook (default: the one the last refresh used); "
                              "it must give the figures Plan Data holds, or the paper is "
                              "refused with the reason")
    extract.add_argument("--allow-edited", action="store_true",
                         help="publish a frozen period whose cells were typed over since, "
                         "with a banner on every page saying so")
    extract.add_argument("--period", help="report period (default: Settings' current one)")
    extract.add_argument("-o", "--output", type=Path, default=Path("out"), metavar="DIR",
                         help="folder for the extract (default: out)")
    extract.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=None,
                         help="also write a PDF (default: when LibreOffice is installed)")
    extract.set_defaults(run=cmd_extract)

    dfe = commands.add_parser(
        "dfe-return", help="build the DfE monitoring return (Word document, values-only "
        "workbooks, manifest) from a frozen period",
        description="Build the Safety Valve monitoring return for the DfE from a frozen "
        "report period: a Word document laid out as the DfE template (questions and "
        "answers from the Narrative sheet, the conditions and their RAGs this year, the "
        "plan against the forecast and the Safety Valve money agreed against received), "
        "values-only copies of the KPI workbook and the DSG plan, and manifest.json with "
        "every file's SHA-256. Refused, naming the cell, for an unrated condition, an empty "
        "required answer or edited frozen figures. A period that is not frozen is built "
        "only with --draft, marked DRAFT on every page.")
    _kpi_option(dfe)
    dfe.add_argument("--plan", type=Path, required=True, metavar="FILE",
                     help="the DSG plan workbook")
    dfe.add_argument("--period", help="report period (default: Settings' current one)")
    dfe.add_argument("-o", "--output", type=Path, default=Path("out"), metavar="DIR",
                     help="folder for the return (default: out)")
    dfe.add_argument("--draft", action="store_true",
                     help="build a draft: a period not frozen yet, or answers still missing")
    dfe.add_argument("--by", help="who builds it, for the manifest (default: your login)")
    dfe.set_defaults(run=cmd_dfe_return)

    refresh = commands.add_parser(
        "refresh", help="copy the plan's figures into the KPI workbook for a report",
        description="Fill the KPI workbook's Plan Data column for a report period with the "
        "year's figures from the DSG plan workbook (its latest forecast, or the plan), as "
        "values: the finance KPIs 11-22 read them. A frozen period is refused. The KPI "
        "workbook is changed in place, safely; the original is kept as FILE.bak.")
    _kpi_option(refresh)
    refresh.add_argument("--plan", type=Path, required=True, metavar="FILE",
                         help="the DSG plan workbook")
    refresh.add_argument("--period", help="report period (default: Settings' current one)")
    refresh.add_argument("--use", choices=["forecast", "plan"],
                         help="copy the forecast (default when there is one) or the plan")
    refresh.set_defaults(run=cmd_refresh)

    start = commands.add_parser(
        "start-period", help="make the next report period's column ready to fill in",
        description="Start a report period in the KPI workbook: the calculated KPIs' "
        "formulas and the n row written into its column, its input cells (KPIs, Conditions, "
        "Narrative, Plan Data) styled as inputs and unlocked, Settings' current period set "
        "(in the plan workbook too, with --plan) and, with --plan, Plan Data filled from the "
        "plan as refresh does. Earlier periods are not touched. Refused for a period already "
        "started, one after a skipped report (unless --allow-gap) or beyond the programme. "
        "Files are changed safely; the originals are kept as FILE.bak. Refused while "
        "Excel has either workbook open.")
    _kpi_option(start, bare=True)
    start.add_argument("--period", help="report period (default: the one after Settings' "
                       "current period)")
    start.add_argument("--plan", type=Path, metavar="FILE", help="the DSG plan workbook")
    start.add_argument("--use", choices=["forecast", "plan"],
                       help="with --plan: copy the forecast (default when there is one) or "
                       "the plan into Plan Data")
    start.add_argument("--allow-gap", action="store_true",
                       help="start a period later than the next one (skipping reports)")
    start.set_defaults(run=cmd_start_period)

    take = commands.add_parser(
        "take-rows", help="take rows typed just below the Placements and Mitigations "
        "registers into them (what Excel does as you type)",
        description="In Excel a row typed just below a register joins it and its calculated "
        "columns (the Mitigations savings) fill in. Without Excel, run this: every row typed "
        "just below the Placements and Mitigations registers is taken into its table (the "
        "table and its column names grow over it, formats and drop-downs too) and the "
        "calculated columns get their formula in every row that lacks it. The workbook is "
        "changed in place, safely; the original is kept as FILE.bak.")
    _kpi_option(take, bare=True)
    take.set_defaults(run=cmd_take_rows)

    adopt = commands.add_parser(
        "adopt", help="make your own plan or KPI workbook work like the template",
        description="Find the DSG plan table and the KPI table in your own workbook by their "
        "labels and write lfi-xl's defined names into it, with the council's own Settings "
        "(its name, reports a year read from the report columns), a Line kinds sheet for a "
        "plan (how each line counts: direct or central spend) and empty Conditions and "
        "Narrative sheets for a KPI workbook without them, so formulas and buttons work on "
        "it as on the shipped template. Nothing you typed is changed and "
        "every other part of the file is kept byte for byte; the original is kept as "
        "FILE.bak. When no table is found it says which labels it looked for (exit 2: not "
        "a plan or KPI workbook).")
    adopt.add_argument("file", type=Path, metavar="FILE")
    adopt.add_argument("--authority", metavar="NAME",
                       help="the council's name for Settings (needed unless a title in the "
                       "file names the council)")
    adopt.add_argument("--programme", metavar="NAME",
                       help="what the council calls its programme (titles of the papers)")
    adopt.add_argument("--reports", type=int, choices=[3, 4],
                       help="reports a year (default: read from the KPI table's report "
                       "columns, 3 when they do not go to Q4)")
    adopt.add_argument("--no-safety-valve", action="store_true",
                       help="the council has no Safety Valve agreement (default: read from "
                       "the plan: a DfE contribution line means it has one)")
    adopt.set_defaults(run=cmd_adopt)

    forecast = commands.add_parser(
        "forecast", help="forecast EHC plans with calibrated bands (p10, p50, p90)",
        description="Forecast each area's EHC plans for the next N Januaries from its "
        "history (a CSV with the columns area,year,ehcps; year is the January of the count) "
        "or, with --area and no --history, from the DfE's series bundled with lfi-xl "
        "(English LAs, 2015-2025). The median follows recent growth; the bands are "
        "calibrated on the errors the forecast made for every English LA "
        "(docs/forecast.md).")
    forecast.add_argument("--history", type=Path, metavar="FILE.csv",
                          help="the counts: columns area,year,ehcps, one series per area")
    forecast.add_argument("--area", action="append", metavar="NAME",
                          help="only this area (may be repeated); without --history, the "
                          "bundled series of this authority")
    forecast.add_argument("--horizon", type=int, default=3, metavar="N",
                          help="years ahead, 1-6 (default 3)")
    forecast.add_argument("--quantiles", default="0.1,0.5,0.9", metavar="Q,Q,...",
                          help="quantiles between 0.05 and 0.95 (default 0.1,0.5,0.9)")
    forecast.add_argument("--json", action="store_true",
                          help='print {"forecasts": [{"area", "year", "p10", "p50", "p90"}]}')
    forecast.set_defaults(run=cmd_forecast)
    for name, command in commands.choices.items():
        command.epilog = exit_codes(name)
    return parser


def exit_codes(command: str) -> str:
    """The exit codes as ``command``'s --help states them."""
    when = EXITS_1[command]
    return (f"Exit codes: 0 {EXIT_CODES[OK]}; "
            + (f"1 {when}; " if when else "")
            + f"2 {EXIT_CODES[UNUSABLE]}; 3 an internal fault in lfi-xl.")


def _period(args: argparse.Namespace) -> Period:
    """``--period`` as a period; one that is not one is told with the KPI workbook's own
    report periods, when it can be read."""
    try:
        return parse_period(args.period)
    except PeriodError as error:
        try:
            from lfi_xl.adapters.opening import open_workbook
            from lfi_xl.book.kpi_book import KpiBook

            kpi = _kpi(args, quiet=True)
            labels = ", ".join(p for p in KpiBook(open_workbook(kpi)).period_labels if p)
        except Exception:  # no KPI workbook, or not one that can be read: the error alone
            raise error from None
        raise UnusableInput(f"{kpi}: {error}; this workbook's report periods are "
                            f"{labels or 'none'}") from None


def _how(error: Refused | UnusableInput) -> str:
    """The option that would do it all the same, when there is one."""
    option = OVERRIDES.get(error.unless or "")
    lead = OVERRIDE_LEADS.get(error.unless or "", "to do it all the same")
    return f" ({lead}: {option})" if option else ""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        if getattr(args, "period", None) is not None:  # parsed once, here
            args.period = _period(args)
        return run(args)
    except Refused as refusal:
        print(f"lfi-xl: {REFUSED.get(args.command, 'refused')}: {refusal}{_how(refusal)}",
              file=sys.stderr)
        return FINDINGS
    except UnusableInput as error:
        print(f"lfi-xl: {error}{_how(error)}", file=sys.stderr)
        return UNUSABLE
    except (PlanError, PeriodError) as error:
        print(f"lfi-xl: {error}", file=sys.stderr)
        return UNUSABLE
    except BrokenPipeError:  # output piped into `head` and the like: not a fault
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except KeyboardInterrupt:
        print("lfi-xl: stopped", file=sys.stderr)
        return STOPPED
    except Exception as error:  # a fault of ours: one line, not a traceback
        if os.environ.get("LFI_XL_DEBUG"):
            raise
        print(f"lfi-xl: internal fault ({type(error).__name__}: {error}). "
              "Set LFI_XL_DEBUG=1 to see the details.", file=sys.stderr)
        return FAULT


if __name__ == "__main__":
    sys.exit(main())
