"""Build DfE return: the Safety Valve monitoring report itself, from a frozen period.

``lfi-xl dfe-return`` and the **Build DfE return** button are :func:`build_dfe_return`
(gather and check every figure and answer) and :func:`write_dfe_return` (the Word
document laid out as the DfE template, values-only copies of the two workbooks and a
manifest of SHA-256s). The authority's name, the programme's local name, the conditions,
the questions and who signs off come from the workbook's Settings, Conditions and
Narrative sheets, never from code. A period that is not frozen is built only as a draft,
marked DRAFT on every page.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from lfi_xl import contract as c
from lfi_xl.actions.dfe_document import inert, write_document
from lfi_xl.actions.extract import (
    PLAN_SUMMARY_ROWS,
    _plan_sections,
    agreed_plan,
    usable_kpi_book,
)
from lfi_xl.actions.values_copy import values_copy
from lfi_xl.adapters.files.package import atomic_outputs, check_output_folder
from lfi_xl.book import tables
from lfi_xl.book.discover import discovering
from lfi_xl.book.findings import ERROR
from lfi_xl.book.kpi_book import Row
from lfi_xl.book.settings import Settings
from lfi_xl.book.snapshots import Reported, canonical, chain_head, file_sha256, verify
from lfi_xl.book.source_file import fingerprint
from lfi_xl.book.workbook import Workbook
from lfi_xl.core.periods import Cadence, Period, PeriodError, parse_due_dates, year_label
from lfi_xl.core.plan import PlanResult
from lfi_xl.core.text import storable_all
from lfi_xl.core.values import BadValue, to_number
from lfi_xl.errors import Refused, UnusableInput, cell_ref

#: The paper's plan rows by their key: the forecast's figures are read by these.
_SUMMARY_LABEL = {key: label for label, key in PLAN_SUMMARY_ROWS}


@dataclass
class Answer:
    key: str
    question: str
    text: str            # the council's answer, "" when there is none
    where: str           # the cell it came from


@dataclass
class Condition:
    number: object
    text: str
    rags: dict[str, str]         # period label -> R/A/G ("" for reports still to come)
    progress: str


@dataclass
class EvidenceRow:
    label: str
    first: float | None          # plan / agreed
    second: float | None         # forecast / received
    difference: float | None


@dataclass
class ReturnData:
    la_name: str
    programme: str
    period: str
    year: str                    # plan style, 2023/24
    reports_per_year: int
    draft: bool
    frozen: bool
    snapshot: object             # id of the period's current snapshot (None: not frozen)
    snapshot_sha256: str
    chain_head: str              # the last audit entry's SHA-256
    due: dt.date
    sign_off_steps: list[tuple[str, dt.date]]
    signed_off_by: list[tuple[str, str]]     # (role, name; "" when not given)
    year_periods: list[str]
    answers: dict[str, Answer]
    extra_answers: list[Answer]              # Narrative rows the template does not name
    conditions: list[Condition]
    balances: list[EvidenceRow]              # plan vs forecast at this report
    funding: list[EvidenceRow]               # Safety Valve money agreed vs received
    forecast_label: str
    sources: list[tuple[str, str, str]]      # (role, file name, SHA-256)
    notes: list[str] = field(default_factory=list)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _labels(workbook: Workbook, table: str) -> dict[object, tuple[str, str]]:
    """Row key -> (its Item text, the cell holding it), from a by-period sheet."""
    area, values = tables.read(workbook, table)
    return {canonical(row[0]): (_text(row[1]) if len(row) > 1 else "",
                                cell_ref(area.sheet, area.cell(offset, 1)))
            for offset, row in enumerate(values[1:], start=1) if row[0] not in (None, "")}


def _steps(settings: Settings, where: str, label: str,
           period: Period) -> list[tuple[str, dt.date]]:
    """``name: 12 Jun, 12 Sep, 12 Dec; ...`` -> each step's date for this report."""
    steps = []
    cadence = settings.cadence
    for part in settings.sign_off_steps.split(";"):
        if not part.strip():
            continue
        name, _, dates = part.rpartition(":")
        try:
            own = Cadence(cadence.reports_per_year, parse_due_dates(dates))
        except (PeriodError, ValueError):
            raise Refused(
                f"{label}: {where}: {part.strip()!r} must read "
                f"'name: day month, ...' with {cadence.reports_per_year} dates, one a "
                "report") from None
        steps.append((name.strip() or "internal sign-off", own.due_date(period)))
    return steps


def _signers(text: str) -> list[tuple[str, str]]:
    signers = []
    for part in str(text or "").split(";"):
        role, _, name = part.partition(":")
        if role.strip():
            signers.append((role.strip(), name.strip()))
    return signers


def _number(value, where: str) -> float | None:
    try:
        number = to_number(value)
    except BadValue:
        raise Refused(f"{where} holds {value!r}, not a figure in £m: fix it "
                      "(Validate entries) before building the DfE return") from None
    return None if math.isnan(number) else number


def build_dfe_return(kpi: Workbook, plan: Workbook, period: Period | None = None,
                     draft: bool = False) -> ReturnData:
    """Gather and check everything the DfE return shows, for ``period`` (default:
    Settings' current one).

    Refuses (naming the cell) an unrated condition, an empty required answer (unless
    ``draft``), and any edited snapshot, audit entry or frozen figure.
    """
    kpi, plan = discovering(kpi), discovering(plan)
    book = usable_kpi_book(kpi, "the DfE return")
    settings = book.settings
    if not settings.safety_valve:
        raise Refused(f"{book.label}: Settings say the council has no Safety Valve agreement "
                      "(Safety Valve agreement: No), so there is no DfE monitoring return to "
                      "make; the Schools Forum paper is lfi-xl extract")
    report = book.requested_period(period)
    label = report.label

    tampered = [f for f in verify(kpi) if f.severity == ERROR]
    if tampered:
        first = tampered[0]
        place = cell_ref(first.sheet, first.cell) if first.cell else first.sheet
        raise Refused(f"{book.label}: {place}: {first.message} (run lfi-xl verify): "
                      "a DfE return is never built from edited frozen figures")
    reported = Reported(book)
    frozen = reported.frozen(report)
    if not frozen and not draft:
        raise Refused(f"{label} is not frozen in {book.label}: freeze it first, or build "
                      "a draft", unless="draft")
    # The checks validate and freeze ran: the plan workbook's cached values (its values-
    # only copy is sent) and Plan Data against the latest forecast. A frozen period meets
    # them unless the plan changed since; the refusal names the step that resolves it.
    from lfi_xl.actions.consistency import pair_findings, refusal
    disagreement = refusal(pair_findings(book, plan, report), "the DfE return")
    if disagreement and not draft:
        raise Refused(disagreement, unless="draft")

    def value(kind: str, row: Row, period: Period) -> object:
        return reported.value(period, kind, row.key, row)

    def where(row: Row, period: Period) -> str:
        return cell_ref(row.area.sheet, row.area.cell(0, book.column_of(period)))

    for table, sheet in ((c.NARRATIVE_TABLE, c.NARRATIVE), (c.CONDITIONS_TABLE, c.CONDITIONS)):
        if kpi.area(table) is None:
            raise UnusableInput(
                f"{book.label}: no {sheet} sheet (no defined name {table}): the DfE return "
                f"reads the council's conditions and answers from it; lfi-xl adopt "
                f"{book.label} adds empty {c.CONDITIONS} and {c.NARRATIVE} sheets to fill in")
    # Narrative: every answer with its question as the sheet words it.
    questions = _labels(kpi, c.NARRATIVE_TABLE)
    narrative = {canonical(row.key): row for row in book.narrative}
    answers: dict[str, Answer] = {}
    for key, row in narrative.items():
        answers[str(key)] = Answer(str(key), questions.get(key, ("", ""))[0] or str(key),
                                   _text(value(c.SNAPSHOT_NARRATIVE, row, report)),
                                   where(row, report))
    missing = []
    for key in c.NARRATIVE_CONTENT:
        if key not in answers:
            raise Refused(f"{book.label}: the {c.NARRATIVE} sheet has no row {key!r} "
                          f"for the DfE question '{dict(c.NARRATIVE_QUESTIONS)[key]}': "
                          "add it")
        if not answers[key].text:
            missing.append(f"{answers[key].where}: no answer for {label} to "
                           f"'{answers[key].question}'")

    # Conditions: the RAG of every report of the year so far, and the progress update.
    year_periods = settings.cadence.periods(report.year, report.year)
    texts = _labels(kpi, c.CONDITIONS_TABLE)
    conditions = []
    for row in book.conditions:
        key = canonical(row.key)
        rags = {}
        for each in year_periods:
            if each > report:
                rags[each.label] = ""
                continue
            rag = _text(value(c.SNAPSHOT_CONDITION, row, each))
            if rag.upper() not in c.RAG_VALUES:
                found = "is not rated" if not rag else f"holds {rag!r}, not R, A or G"
                raise Refused(f"{book.label}: {where(row, each)}: Condition "
                              f"{key} {found} for {each}: rate it before "
                              "building the DfE return")
            rags[each.label] = rag.upper()
        progress = answers.pop(c.progress_key(key), None)
        if progress is None:
            narrative_sheet = book.narrative[0].area.sheet if book.narrative else c.NARRATIVE
            missing.append(f"{narrative_sheet}: no row {c.progress_key(key)!r} for "
                           f"Condition {key}'s progress update (add one)")
        elif not progress.text:
            missing.append(f"{progress.where}: no progress update for Condition {key} "
                           f"for {label}")
        conditions.append(Condition(key, texts.get(key, ("", ""))[0] or f"Condition {key}",
                                    rags, progress.text if progress else ""))
    if not conditions:
        conditions_area = kpi.require(c.CONDITIONS_TABLE)
        first_row = cell_ref(conditions_area.sheet, conditions_area.cell(1, 0))
        typing = (f"{book.label}: the {c.CONDITIONS} sheet lists no conditions: type each "
                  f"condition's number and wording in its first two columns "
                  f"({first_row} down) and its RAG for {label}")
        if not draft:
            raise Refused(typing)
        missing.append(typing)
    if missing and not draft:
        raise Refused(f"{book.label}: {missing[0]}"
                      + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                      + ": answer it, or build a draft", unless="draft")

    # Evidence for question 1: the plan against the forecast at this report, and the
    # Safety Valve money agreed against received.
    year = year_label(report.year, "/")
    years, _, latest, plan_result = _plan_sections(plan, settings.funding_gap_method)
    if year not in years:
        raise UnusableInput(f"{plan.label}: the DSG plan has no column for {year}")
    index = years.index(year)
    agreed = agreed_plan(plan, plan_result)  # the plan as agreed, not recomputed
    # The current report's evidence is the latest forecast (validate and freeze checked
    # that Plan Data holds it); an earlier report's, the forecast it was frozen with.
    latest = latest if report == settings.current_period else {}
    at_reports = {key: (_number(value(c.SNAPSHOT_PLAN, row, report), where(row, report)),
                        where(row, report)) for key, row in book.plan_data.items()}
    forecast_label = "Latest forecast" if latest else f"Forecast at {label}"
    balances, notes = [], []
    for key in ("in_year", "cumulative_before_sv", "cumulative_after_sv"):
        name = c.PLAN_SUMMARY[key]
        planned = float(agreed.get(key, getattr(plan_result, key))[index])
        at_report, cell = at_reports.get(key, (None, f"{c.PLAN_DATA} {key}"))
        if not book.plan_data:  # a council's own KPI sheet, its finance KPIs typed: no
            at_report = latest[name][index] if latest else planned  # Plan Data to agree
        if at_report is None:
            raise Refused(f"{book.label}: {cell}: no Plan Data figure for {label}: run "
                          "lfi-xl refresh before building the DfE return")
        forecast = latest[_SUMMARY_LABEL[key]][index] if latest else at_report
        if abs(forecast - at_report) > 0.0005:
            # The KPIs sent with the return were computed from at_report: the package
            # must not say two things.
            message = (f"{cell}: the KPIs of {label} use {name.lower()} {at_report:.3f} but "
                       f"the DSG plan's latest forecast for {year} is {forecast:.3f}")
            notes.append(f"DRAFT: {message}; refresh before freezing.")
        balances.append(EvidenceRow(name, planned, forecast, forecast - planned))
    funding = _funding(plan, plan_result, years, index, year)

    return ReturnData(
        la_name=settings.la_name, programme=settings.programme_name,
        period=label, year=year, reports_per_year=settings.cadence.reports_per_year,
        draft=draft or not frozen, frozen=frozen, snapshot=reported.snapshot(report),
        snapshot_sha256=reported.snapshot_sha256(report),
        chain_head=chain_head(book),
        due=settings.cadence.due_date(report),
        sign_off_steps=_steps(settings, _setting_cell(kpi, "SignOffSteps"), book.label,
                              report),
        signed_off_by=_signers(settings.signed_off_by),
        year_periods=[p.label for p in year_periods],
        answers={key: answers.pop(key) for key in [*c.NARRATIVE_CONTENT,
                                                   *c.NARRATIVE_ADDITIONAL, "emerging_risks",
                                                   "support", "appendices"]
                 if key in answers},
        extra_answers=list(answers.values()),
        conditions=conditions, balances=balances, funding=funding,
        forecast_label=forecast_label,
        sources=[("KPI workbook", *fingerprint(kpi)),
                 ("DSG plan workbook", *fingerprint(plan))],
        notes=[*notes, f"£m; income and contributions negative and the in-year position "
               f"+deficit/-surplus, as in the DfE plan (in the KPI workbook sent, KPI 16 is "
               f"the in-year position and KPI 11, the DfE's HNB surplus/deficit, is -KPI 16). "
               f"Plan: the agreed DSG plan for {year}, as agreed; {forecast_label.lower()}: "
               "the DSG plan workbook's Forecast, as the KPIs' Plan Data for the report "
               "holds it. Received: the Forecast sheet's money received."])


def _setting_cell(workbook: Workbook, key: str) -> str:
    """Where a setting is, as a message names it."""
    area = workbook.area(c.setting_name(key))
    return cell_ref(area.sheet, area.ref) if area else c.setting_name(key)


def _funding(plan: Workbook, plan_result: PlanResult, years: tuple[str, ...], index: int,
             year: str) -> list[EvidenceRow]:
    """Safety Valve money agreed (the plan's profile) against received (the Forecast)."""
    received = {}
    if plan.area(c.FORECAST_TABLE) is not None:
        table = tables.plan_table(plan, c.FORECAST_PREFIX)
        by_year = {line: dict(zip(table.years, values, strict=True))
                   for line, values in tables.received(plan, table).items()}
        received = {line: [by_year.get(line, {}).get(y, math.nan) for y in years]
                    for line in ("dfe_received", "la_received")}
    rows = []
    for name, agreed_key, received_key in (("DfE", "dfe", "dfe_received"),
                                           ("Council", "la", "la_received")):
        agreed = [float(v) for v in getattr(plan_result, agreed_key)]
        got = received.get(received_key)
        for title, span in ((f"{name} contribution {year}", [index]),
                            (f"{name} contribution to date ({years[0]} to {year})",
                             range(index + 1))):
            total_agreed = math.fsum(agreed[k] for k in span)
            total_got = None if got is None or all(math.isnan(got[k]) for k in span) else (
                math.fsum(0.0 if math.isnan(got[k]) else got[k] for k in span))
            rows.append(EvidenceRow(title, total_agreed, total_got,
                                    None if total_got is None else total_got - total_agreed))
    return rows


def return_name(data: ReturnData, kind: str, suffix: str) -> str:
    draft = "_DRAFT" if data.draft else ""
    return f"LFI_DfE_{kind}_{data.period.replace(' ', '_')}{draft}{suffix}"


def write_dfe_return(data: ReturnData, kpi_file: Path, plan_file: Path, folder: Path,
                     by: str | None = None) -> list[Path]:
    """Write the document, the values-only copies and the manifest into ``folder``: all
    of them or none (refused, exit 2, when one would replace an input)."""

    folder = Path(folder)
    names = [return_name(data, "return", ".docx"), return_name(data, "KPIs", ".xlsx"),
             return_name(data, "DSG_plan", ".xlsx"), "manifest.json"]
    check_output_folder(folder, {"the KPI workbook": kpi_file,
                                 "the plan workbook": plan_file}, names)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UnusableInput(f"cannot make the folder {folder} ({error.strerror})") from None
    targets = [folder / name for name in names]
    with atomic_outputs(targets) as temporaries:
        # a control character in a name or a file name: dropped, as in the answers
        write_document(storable_all(data, inert), temporaries[0])
        values_copy(Path(kpi_file), temporaries[1], data.draft)
        values_copy(Path(plan_file), temporaries[2], data.draft)
        manifest = {
            "return": f"{data.programme} (DfE Safety Valve) monitoring return",
            "local_authority": data.la_name,
            "period": data.period,
            "draft": data.draft,
            "snapshot": data.snapshot,
            "snapshot_sha256": data.snapshot_sha256 or None,
            "audit_chain_head": data.chain_head or None,
            "built_by": storable_all(by or getpass.getuser()),
            "built_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "sources": [{"role": role, "file": name, "sha256": sha}
                        for role, name, sha in data.sources],
            "files": [{"file": target.name, "sha256": file_sha256(temporary.read_bytes()),
                       "bytes": temporary.stat().st_size}
                      for target, temporary in zip(targets[:3], temporaries, strict=False)],
        }
        temporaries[3].write_bytes(
            (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    return targets
