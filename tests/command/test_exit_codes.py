"""Every command's exit codes, as README ("Exit codes") and each command's --help state them:
0 a normal run; 1 findings, or a request refused on workbooks lfi-xl can read (where the
command can refuse); 2 something given could not be used (a file missing, damaged or not
the workbook expected, an output that cannot be written, a wrong command line). Each row
runs the real command line on copies of the shipped workbooks and checks what it says, so
a row cannot pass on an exit code reached by another path. A command added without rows
fails here."""

import argparse
import functools
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from helpers import council_plan, edit

from lfi_xl import cli
from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workbooks"
PERIOD = "2023-24 Q3"   # the shipped workbooks' current report


# ------------------------------------------------------------ what the rows set up
def freeze(case):
    assert main(["freeze", "--kpi", str(case.kpi), "--period", PERIOD, "--by", "Tester"]) == 0


def forecast_typed(case):
    """A new forecast for 2023/24 typed in the plan workbook (its totals now stale)."""
    book = WorkbookValues(case.plan)
    area = book.require(c.FORECAST_TABLE)
    rows = book.values(area)
    row = next(i for i, r in enumerate(rows) if r[-2] == "independent_special")
    edit(case.plan, area.sheet, {area.cell(row, rows[0].index("2023/24")): 60.0})


def forecast_changed(case):
    """The forecast typed again after Plan Data was filled from it, the plan workbook
    recalculated: Plan Data no longer holds the forecast."""
    forecast_typed(case)
    assert main(["recalc", str(case.plan)]) == 0


def typed_over(case):
    """Frozen, then a frozen figure (KPI 45) typed over."""
    freeze(case)
    edit(case.kpi, "KPIs", {"K52": 99})


def typed_total(case):
    """The plan's Total income for 2023/24 typed as a figure £1m off its two lines."""
    book = WorkbookValues(case.plan)
    area = book.require(c.PLAN_TABLE)
    rows = book.values(area)
    row = next(i for i, r in enumerate(rows) if r[0] == "Total income")
    column = rows[0].index("2023/24")
    edit(case.plan, area.sheet, {area.cell(row, column): rows[row][column] + 1.0})
    return ["plan", case.plan]


def not_a_workbook(case):
    path = case.tmp / "figures.xlsx"
    path.write_text("Ref,Value\n1,2\n")
    return path


def a_file(case):
    path = case.tmp / "taken"
    path.write_text("a file where a folder is asked for")
    return path


def read_only(case):
    case.kpi.chmod(0o444)
    return ["freeze", "--kpi", case.kpi, "--period", PERIOD, "--by", "Tester"]


def no_libreoffice(case):
    """A PATH holding only this Python's folder: no soffice on it."""
    case.monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    return ["print", case.plan, "-o", case.tmp / "pdf"]


def check_fails(case):
    """addin check as on a Windows PC whose start-up folder has no add-in: its first step
    fails, and the steps needing it are not run (no Excel is started)."""
    from lfi_xl.addin import check

    case.monkeypatch.setattr(check, "check", functools.partial(
        check.check, platform="win32", xlstart=case.tmp / "XLSTART"))
    return ["addin", "check"]


def new_twice(case):
    args = ["new", case.tmp / "ours", "--authority", "Anyshire County Council",
            "--reports", "4", "--first-year", "2024-25", "--last-year", "2026-27"]
    assert main(list(map(str, args))) == 0
    return args


def blank_workbook(case):
    path = case.tmp / "notes.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Meeting notes"
    workbook.save(path)
    return ["adopt", path, "--authority", "Anyshire County Council"]


def rag(case):
    edit(case.kpi, "Conditions", {"E5": "Amber"})   # not R, A or G


def then(setup, argv):
    """A row that prepares the files, then runs ``argv`` (a function of the case)."""
    def run(case):
        setup(case)
        return argv(case)
    return run


NEW = ["--authority", "Anyshire County Council", "--reports", "4", "--first-year",
       "2024-25", "--last-year", "2026-27"]

#: (command, exit code, what is run, what it must say, the command line).
ROWS = [
    ("plan", 0, "the shipped plan workbook", "every printed total equals the sum of its terms",
     lambda k: ["plan", k.plan]),
    ("plan", 1, "a typed total £1m off its lines", "Total income 2023/24: printed -143.227, "
     "its terms give -144.227 (difference +1.000), more than the rounding", typed_total),
    ("plan", 2, "no such file", "nope.xlsx: no such file",
     lambda k: ["plan", k.tmp / "nope.xlsx"]),

    ("kpis", 0, "the Forum's subset", "in the Schools Forum's default subset",
     lambda k: ["kpis", "--forum"]),
    ("kpis", 2, "an option it does not have", "unrecognized arguments: --bogus",
     lambda k: ["kpis", "--bogus"]),

    ("build", 0, "the workbooks into a folder", "built", lambda k: ["build", "-o", k.tmp / "b"]),
    ("build", 2, "-o names a file", "cannot write in", lambda k: ["build", "-o", a_file(k)]),

    ("new", 0, "a council's blank pair", "Made Anyshire County Council's workbooks",
     lambda k: ["new", k.tmp / "ours", *NEW]),
    ("new", 1, "the folder already holds them", "not made:", new_twice),
    ("new", 2, "FOLDER is a file", "is a file, not a folder",
     lambda k: ["new", a_file(k), *NEW]),
    ("new", 2, "a first year that is not one", "is not a financial year",
     lambda k: ["new", k.tmp / "ours", *NEW[:5], "next year", *NEW[6:]]),

    ("addin", 0, "build the add-in", "built", lambda k: ["addin", "build", "-o", k.tmp / "a.xlam"]),
    ("addin", 1, "check: a step fails", "1. The add-in is installed: FAILED", check_fails),
    ("addin", 2, "check on a machine without Excel for Windows", "runs Excel for Windows",
     lambda k: ["addin", "check"]),

    ("recalc", 0, "both workbooks of the report", "recalculated; values cached",
     lambda k: ["recalc", k.kpi, k.plan]),
    ("recalc", 1, "--check after a forecast figure was typed", "differs from the saved one",
     then(forecast_typed, lambda k: ["recalc", "--check", k.plan])),
    ("recalc", 2, "a CSV named .xlsx", "is not an Excel workbook",
     lambda k: ["recalc", not_a_workbook(k)]),
    ("recalc", 2, "-o with two workbooks", "-o names one output",
     lambda k: ["recalc", k.kpi, k.plan, "-o", k.tmp / "out.xlsx"]),

    ("print", 0, "the plan workbook to PDF", "dsg_plan.pdf",
     lambda k: ["print", k.plan, "-o", k.tmp / "pdf"]),
    ("print", 1, "no LibreOffice", "LibreOffice is not installed", no_libreoffice),
    ("print", 2, "no such file", "nope.xlsx: no such file",
     lambda k: ["print", k.tmp / "nope.xlsx", "-o", k.tmp / "pdf"]),

    ("validate", 0, "both shipped workbooks", "0 error(s)", lambda k: ["validate", k.plan, k.kpi]),
    ("validate", 1, "a RAG other than R, A or G", "Conditions!E5", then(rag, lambda k: [
        "validate", k.kpi])),
    ("validate", 2, "a CSV named .xlsx", "is not an Excel workbook",
     lambda k: ["validate", not_a_workbook(k)]),

    ("freeze", 0, "the current report", f"Froze {PERIOD}", lambda k: [
        "freeze", "--kpi", k.kpi, "--period", PERIOD, "--by", "Tester"]),
    ("freeze", 1, "a period not started", "not frozen: 2024-25 Q1 is after Settings' current",
     lambda k: ["freeze", "--kpi", k.kpi, "--period", "2024-25 Q1", "--by", "Tester"]),
    ("freeze", 1, "a validation error", "validation error(s) must be fixed before freezing",
     then(rag, lambda k: ["freeze", "--kpi", k.kpi, "--period", PERIOD, "--by", "Tester"])),
    ("freeze", 1, "a period already frozen", "is already frozen", then(freeze, lambda k: [
        "freeze", "--kpi", k.kpi, "--period", PERIOD, "--by", "Tester"])),
    ("freeze", 2, "a read-only workbook", "the file is read-only", read_only),
    ("freeze", 2, "an empty --by", "--by is empty", lambda k: [
        "freeze", "--kpi", k.kpi, "--period", PERIOD, "--by", " "]),
    ("freeze", 2, "--supersede without --reason", "needs a reason", then(freeze, lambda k: [
        "freeze", "--kpi", k.kpi, "--period", PERIOD, "--by", "Tester", "--supersede"])),
    ("freeze", 2, "not a period", "is not a report period", lambda k: [
        "freeze", "--kpi", k.kpi, "--period", "June 2023", "--by", "Tester"]),
    ("freeze", 2, "no --period", "the following arguments are required: --period",
     lambda k: ["freeze", "--kpi", k.kpi]),

    ("verify", 0, "the shipped KPI workbook", "Every snapshot, frozen value and audit entry",
     lambda k: ["verify", "--kpi", k.kpi]),
    ("verify", 1, "a chain head the log does not hold", "does not contain",
     lambda k: ["verify", "--kpi", k.kpi, "--head", "0" * 64]),
    ("verify", 2, "the plan workbook", "is a DSG plan workbook",
     lambda k: ["verify", "--kpi", k.plan]),
    ("verify", 2, "a chain head that is not one", "is not a chain head",
     lambda k: ["verify", "--kpi", k.kpi, "--head", "1234"]),

    ("extract", 0, "the current report", "Schools Forum extract for 2023-24 Q3",
     lambda k: ["extract", "--kpi", k.kpi, "-o", k.tmp / "out", "--no-pdf"]),
    ("extract", 1, "the forecast changed since Plan Data was filled", "refused: 'Plan Data'!",
     then(forecast_changed, lambda k: ["extract", "--kpi", k.kpi, "-o", k.tmp / "out",
                                       "--no-pdf"])),
    ("extract", 1, "a frozen figure typed over", "--allow-edited", then(typed_over, lambda k: [
        "extract", "--kpi", k.kpi, "-o", k.tmp / "out", "--no-pdf"])),
    ("extract", 2, "-o names a file", "is a file, not a folder",
     lambda k: ["extract", "--kpi", k.kpi, "-o", a_file(k), "--no-pdf"]),

    ("dfe-return", 0, "a frozen report", "DfE monitoring return for 2023-24 Q3 (snapshot 1)",
     then(freeze, lambda k: ["dfe-return", "--kpi", k.kpi, "--plan", k.plan, "-o",
                             k.tmp / "out"])),
    ("dfe-return", 1, "a report not frozen, without --draft", "no DfE return: 2023-24 Q3 is "
     "not frozen", lambda k: ["dfe-return", "--kpi", k.kpi, "--plan", k.plan, "-o",
                              k.tmp / "out"]),
    ("dfe-return", 1, "the forecast changed since the freeze", "no DfE return: 'Plan Data'!",
     then(lambda k: [freeze(k), forecast_changed(k)], lambda k: [
         "dfe-return", "--kpi", k.kpi, "--plan", k.plan, "-o", k.tmp / "out"])),
    ("dfe-return", 2, "no such plan workbook", "nope.xlsx: no such file",
     lambda k: ["dfe-return", "--kpi", k.kpi, "--plan", k.tmp / "nope.xlsx", "--draft"]),

    ("refresh", 0, "the current report", "Recalculate: lfi-xl recalc",
     lambda k: ["refresh", "--kpi", k.kpi, "--plan", k.plan]),
    ("refresh", 1, "a frozen report", "not refreshed: 2023-24 Q3 is frozen",
     then(freeze, lambda k: ["refresh", "--kpi", k.kpi, "--plan", k.plan])),
    ("refresh", 2, "--plan names the KPI workbook", "no DSG plan table",
     lambda k: ["refresh", "--kpi", k.kpi, "--plan", k.kpi]),

    ("start-period", 0, "the next report", "Started 2024-25 Q1",
     lambda k: ["start-period", "--kpi", k.kpi, "--plan", k.plan]),
    ("start-period", 1, "a Q4 with three reports a year", "not started: 2023-24 Q4: there are "
     "3 reports a year", lambda k: ["start-period", "--kpi", k.kpi, "--period", "2023-24 Q4"]),
    ("start-period", 1, "a report already started", "is already started",
     lambda k: ["start-period", "--kpi", k.kpi, "--period", "2023-24 Q2"]),
    ("start-period", 2, "--plan names the KPI workbook", "--plan names the KPI workbook itself",
     lambda k: ["start-period", "--kpi", k.kpi, "--plan", k.kpi]),
    ("start-period", 2, "not a period", "is not a report period",
     lambda k: ["start-period", "--kpi", k.kpi, "--period", "2023-24Q2"]),

    ("take-rows", 0, "the shipped KPI workbook", "Nothing typed just below the registers",
     lambda k: ["take-rows", "--kpi", k.kpi]),
    ("take-rows", 2, "the plan workbook", "registers are in the KPI workbook",
     lambda k: ["take-rows", "--kpi", k.plan]),

    ("adopt", 0, "a council's own plan workbook", "The original is kept as",
     lambda k: ["adopt", council_plan(k.tmp / "council.xlsx"), "--authority",
                "Anyshire County Council"]),
    ("adopt", 2, "a workbook with neither table", "found neither a DSG plan table",
     blank_workbook),

    ("forecast", 0, "the bundled series of an authority", "EHC plans each January",
     lambda k: ["forecast", "--area", "Norfolk"]),
    ("forecast", 2, "no such history file", "counts.csv: no such file",
     lambda k: ["forecast", "--history", k.tmp / "counts.csv"]),
]


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every command the parser has, by name."""
    parser = cli.build_parser()
    (subparsers,) = [action for action in parser._actions
                     if isinstance(action, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def run(argv) -> int:
    try:
        return main([str(arg) for arg in argv])
    except SystemExit as stop:   # argparse: --help, usage errors
        return int(stop.code or 0)


@pytest.mark.parametrize("command, code, what, says, argv",
                         [pytest.param(*row, id=f"{row[0]}-{row[1]}-{row[2]}") for row in ROWS])
def test_exit_code(command, code, what, says, argv, tmp_path, monkeypatch, capsys):
    for name in ("template_kpi.xlsx", "dsg_plan.xlsx"):
        shutil.copy(SHIPPED / name, tmp_path / name)
    case = SimpleNamespace(tmp=tmp_path, kpi=tmp_path / "template_kpi.xlsx",
                           plan=tmp_path / "dsg_plan.xlsx", monkeypatch=monkeypatch)
    line = [str(arg) for arg in argv(case)]
    assert line[0] == command
    capsys.readouterr()
    found = run(line)
    out, err = capsys.readouterr()
    assert found == code, f"{line}\n{out}\n{err}"
    assert says in out + err, f"{line}\n{out}\n{err}"
    assert "internal fault" not in err and "Traceback" not in err


def test_every_command_has_its_rows():
    """0 and 2 for every command; 1 exactly where its --help says it can exit 1."""
    codes: dict[str, set[int]] = {}
    for command, code, *_ in ROWS:
        codes.setdefault(command, set()).add(code)
    assert set(codes) == set(commands()), "a command without rows here, or rows without one"
    assert set(cli.EXITS_1) == set(commands())
    for command, found in codes.items():
        expected = {0, 2} | ({1} if cli.EXITS_1[command] else set())
        assert found == expected, command


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("`", "")).strip()


@pytest.mark.parametrize("command", sorted(commands()))
def test_help_states_the_exit_codes(command, capsys):
    assert run([command, "--help"]) == 0
    shown = words(capsys.readouterr().out)
    assert words(cli.exit_codes(command)) in shown
    when = cli.EXITS_1[command]
    if when:
        assert f"; 1 {words(when)}; 2 " in shown
    else:
        assert "; 1 " not in shown


def test_readme_states_the_same_exit_codes(capsys):
    readme = words((ROOT / "README.md").read_text(encoding="utf-8"))
    section = readme[readme.index("### Exit codes"):][:2500]
    for code, meaning in cli.EXIT_CODES.items():
        assert f"{code} {words(meaning)}" in section, code
    assert "--help says when it exits 1" in section
    assert "usage errors" in section   # argparse's own: 2
    assert run(["--help"]) == 0
    shown = words(capsys.readouterr().out)
    for code, meaning in cli.EXIT_CODES.items():
        assert f"{code} {words(meaning)}" in shown
