"""Every message a finance officer sees is in their words: a whole report walked through
the command line (and the ribbon's buttons), every line printed collected and read for
programmer's words: Python type names, reprs, labels as floats ("Condition 1.0"),
figures with 9 or more decimals, internal ids (``hnb_dsg_income``), advice to start a
period already started, and, in the ribbon's message boxes, command-line options (its
user has no command line)."""

import re
import shutil
import zipfile
from pathlib import Path

from helpers import council_kpis, council_plan, edit, enter_period, json_book, type_council_plan

from lfi_xl import contract as c
from lfi_xl import macros
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"

#: What a finance officer never reads: Python's type names and reprs, tracebacks.
PROGRAMMER = re.compile(r"\b(NoneType|float64|int64|numpy|dict|str|float|int|bool)\b|Traceback"
                        r"|object at 0x|<[a-z_.]+ object|\bnan\b|\binf\b|\bitem \d+\b")
#: A label shown as Python shows a float: "Condition 1.0", "KPI 2.0".
FLOAT_LABEL = re.compile(r"\b(Condition|KPI|KPIs|condition|row|snapshot|Snapshot) \d+\.0\b")
#: A figure with 9 or more decimals: a float's repr, not a cell's figure.
LONG_DECIMALS = re.compile(r"\d\.\d{9,}")
#: Advice to start a period: wrong once it is started.
START_IT = re.compile(r"start it|start-period|Start next period", re.IGNORECASE)
#: An internal id in snake_case (hnb_dsg_income, allow_gap): not part of a file's name
#: (template_kpi.xlsx, a test's folder) nor of a defined name as Excel shows it
#: (Plan_in_year).
INTERNAL_ID = re.compile(r"(?<![\w./\\~-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b(?!\.\w)")
#: A command-line option (--reports 4): the ribbon's user has no command line.
FLAG = re.compile(r"(?<![\w-])--[a-z]")


class Said:
    """Every line printed, with the step that printed it; the ribbon's apart."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.lines: list[tuple[str, str]] = []
        self.ribbon: list[tuple[str, str]] = []

    def run(self, step: str, *argv) -> tuple[int, str]:
        code = main([str(a) for a in argv])
        captured = self.capsys.readouterr()
        text = captured.out + captured.err
        self.hear(step, text)
        return code, text

    def hear(self, step: str, text: str, ribbon: bool = False) -> None:
        lines = [(step, line) for line in text.splitlines() if line.strip()]
        self.lines += lines
        if ribbon:
            self.ribbon += lines

    def faults(self, started: set[str]) -> list[str]:
        return faults(self.lines, started, self.ribbon)


def alerts(book) -> str:
    """What the ribbon's buttons told in message boxes on ``book`` (xlwings' JSON engine
    records each as an action)."""
    return "\n".join(action["args"][0] for action in book.json()["actions"]
                     if action["func"] == "alert")


def faults(lines: list[tuple[str, str]], started: set[str],
           ribbon: list[tuple[str, str]] = ()) -> list[str]:
    """The lines a finance officer should not have to read, each with why."""
    found = []
    for step, line in lines:
        why = [name for name, pattern in (("python words", PROGRAMMER),
                                          ("a float label", FLOAT_LABEL),
                                          ("a float repr", LONG_DECIMALS),
                                          ("an internal id", INTERNAL_ID))
               if pattern.search(line)]
        if (step, line) in ribbon and FLAG.search(line):
            why.append("a command-line option in a message box")
        # a line about a period already started must not advise starting it
        if START_IT.search(line) and any(label in line for label in started) and not \
                line.startswith("Started "):
            why.append("start advice for a started period")
        if why:
            found.append(f"[{step}] {', '.join(why)}: {line}")
    return found


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return re.sub(r"<[^>]+>", " ", archive.read("word/document.xml").decode())


def xlsx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(re.sub(r"<[^>]+>", " ", archive.read(name).decode())
                         for name in archive.namelist()
                         if name.endswith("sharedStrings.xml"))


def test_a_whole_report_is_told_in_plain_words(tmp_path, capsys, monkeypatch):
    for name in ("template_kpi.xlsx", "dsg_plan.xlsx"):
        shutil.copy(SHIPPED / name, tmp_path / name)
    kpi, plan = tmp_path / "template_kpi.xlsx", tmp_path / "dsg_plan.xlsx"
    monkeypatch.chdir(tmp_path)  # the ribbon's books are "beside" the working folder
    said = Said(capsys)
    run = said.run
    started = {"2023-24 Q3"}
    out = tmp_path / "out"

    assert run("validate shipped", "validate", kpi, plan)[0] == 0
    assert run("freeze", "freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--plan", plan,
               "--by", "A. Finance")[0] == 0
    # A new financial year: 2024-25 Q1, started and validated before anything is recalculated.
    assert run("start-period", "start-period", "--kpi", kpi, "--plan", plan)[0] == 0
    started.add("2024-25 Q1")
    code, text = run("validate after start", "validate", kpi, plan)
    assert code == 1
    # one line says recalculate, for every KPI that has not been calculated yet
    recalculate = [line for line in text.splitlines() if "stale" in line and "KPIs!" in line]
    assert len(recalculate) == 1, recalculate
    # KPI 37, an average of no placements not calculated yet, among them: no "NoneType"
    assert "KPIs 11-39 for 2024-25 Q1 are blank: their formulas are in place" in text
    assert "NoneType" not in text
    # the plan workbook's counts are the lines listed
    plan_part = text.split(f"== {plan}")[1]
    listed = [line for line in plan_part.splitlines() if line.startswith(("ERROR", "WARNING"))]
    errors, warnings = (int(n) for n in re.search(r"(\d+) error\(s\), (\d+) warning\(s\)",
                                                  plan_part).groups())
    assert (errors, warnings) == (sum(line.startswith("ERROR") for line in listed),
                                  sum(line.startswith("WARNING") for line in listed))

    assert run("recalc", "recalc", kpi, plan)[0] == 1  # KPI 2 cannot be computed yet
    code, text = run("validate after recalc", "validate", kpi, plan)
    assert code == 1
    assert re.search(r"Condition 1: no RAG for 2024-25 Q1", text)
    kpi2 = next(line for line in text.splitlines() if "KPI 2 " in line)
    assert "KPI 1" in kpi2 and "KPIs!L8" in kpi2 and "baseline is 0" not in kpi2, kpi2

    # The officer types the period's figures, refreshes, recalculates and validates.
    enter_period(kpi, "2024-25 Q1", 100)
    assert run("refresh", "refresh", "--kpi", kpi, "--plan", plan)[0] == 0
    assert run("recalc", "recalc", kpi, plan)[0] == 0
    assert run("validate", "validate", kpi, plan)[0] == 0
    assert run("dfe-return --draft", "dfe-return", "--kpi", kpi, "--plan", plan,
               "--period", "2024-25 Q1", "-o", out / "draft", "--draft")[0] == 0
    assert run("dfe-return not frozen", "dfe-return", "--kpi", kpi, "--plan", plan,
               "--period", "2024-25 Q1", "-o", out / "refused")[0] == 1
    assert run("freeze", "freeze", "--kpi", kpi, "--period", "2024-25 Q1", "--by",
               "A. Finance")[0] == 0
    assert run("extract", "extract", "--kpi", kpi, "--plan", plan, "-o", out,
               "--no-pdf")[0] == 0
    assert run("dfe-return", "dfe-return", "--kpi", kpi, "--plan", plan, "--period",
               "2024-25 Q1", "-o", out / "final")[0] == 0
    assert run("verify", "verify", "--kpi", kpi)[0] == 0
    # A frozen input changed: recalc keeps the frozen figure and says both as shown.
    baseline = WorkbookValues(kpi).require(c.KPI_BASELINE)
    edit(kpi, baseline.sheet, {baseline.cell(0, 0): 9000})
    code, text = run("recalc after a baseline changed", "recalc", kpi, plan)
    assert "frozen" in text
    assert run("verify after a baseline changed", "verify", "--kpi", kpi)[0] == 0
    edit(kpi, baseline.sheet, {baseline.cell(0, 0): 9180})
    assert run("recalc", "recalc", kpi, plan)[0] == 0
    # A frozen figure typed over (on a copy): verify says both figures as the cell shows them.
    typed_over = tmp_path / "typed_over.xlsx"
    shutil.copy(kpi, typed_over)
    nineteen = WorkbookValues(typed_over).require(c.kpi_name(19))
    edit(typed_over, nineteen.sheet, {nineteen.cell(0, 3): 0.217438014192418})
    code, text = run("verify a typed-over copy", "verify", "--kpi", typed_over)
    assert code == 1 and "KPI 19 now reads 21.7% instead of " in text, text
    # The next report, and the one after (a new year's first report again, later on).
    assert run("start-period", "start-period", "--kpi", kpi, "--plan", plan)[0] == 0
    started.add("2024-25 Q2")
    run("validate after start", "validate", kpi, plan)
    # The ribbon, on a copy started before anything was frozen: Validate entries lists
    # the same findings, and Freeze, on a period not complete, says why in the same words.
    ribbon = tmp_path / "ribbon"
    ribbon.mkdir()
    for name in ("template_kpi.xlsx", "dsg_plan.xlsx"):
        shutil.copy(SHIPPED / name, ribbon / name)
    monkeypatch.chdir(ribbon)
    run("start-period", "start-period", "--kpi", ribbon / "template_kpi.xlsx", "--plan",
        ribbon / "dsg_plan.xlsx")
    book = json_book(ribbon / "template_kpi.xlsx")
    said.hear("Validate entries button", "\n".join(f.message for f in
                                                   macros.validate_entries(book)), ribbon=True)
    book = json_book(ribbon / "template_kpi.xlsx")
    macros.freeze_period_snapshot(book, by="A. Finance")
    macros.start_next_period(book)
    said.hear("Freeze and Start buttons", alerts(book), ribbon=True)
    # Every other button on the same copy, each told in its message box.
    book = json_book(ribbon / "template_kpi.xlsx")
    macros.refresh_plan_figures(book)
    assert macros.supersede_frozen_period(book, reason="a correction") is None
    assert macros.build_forum_extract(book, None, ribbon) is None   # not recalculated
    book.set_mock_caller()
    macros.button("lfi_dfe_return")
    told = alerts(book)
    assert "Not superseded: 2024-25 Q1 has no snapshot to supersede" in told, told
    said.hear("Refresh, Supersede, Extract and DfE return buttons", told, ribbon=True)

    for path in (*out.glob("**/*.docx"),):
        said.hear(f"document {path.name}", docx_text(path))
    for path in out.glob("*.xlsx"):
        said.hear(f"paper {path.name}", xlsx_text(path))
    assert len(said.lines) > 100
    assert not said.faults(started), "\n".join(said.faults(started))


def test_a_new_council_with_four_reports_is_told_in_plain_words(tmp_path, capsys):
    said = Said(capsys)
    run = said.run
    folder = tmp_path / "borsetshire"
    assert run("new", "new", folder, "--authority", "Borsetshire County Council",
               "--reports", "4", "--first-year", "2024-25", "--last-year", "2026-27")[0] == 0
    plan, kpi = folder / c.PLAN_WORKBOOK, folder / "kpi.xlsx"
    run("validate new", "validate", plan, kpi)
    type_council_plan(plan, leave_out="post16_fe")   # one forecast line not typed yet
    run("recalc new", "recalc", kpi, plan)
    run("validate after recalc", "validate", plan, kpi)
    enter_period(kpi, "2024-25 Q1", 0)
    run("refresh", "refresh", "--kpi", kpi, "--plan", plan)
    run("recalc", "recalc", kpi, plan)
    run("validate", "validate", plan, kpi)
    run("freeze", "freeze", "--kpi", kpi, "--period", "2024-25 Q1", "--by", "B. Finance")
    run("start-period", "start-period", "--kpi", kpi, "--plan", plan)
    run("validate after start", "validate", plan, kpi)
    assert len(said.lines) > 20
    assert not faults(said.lines, {"2024-25 Q1", "2024-25 Q2"}), "\n".join(
        faults(said.lines, {"2024-25 Q1", "2024-25 Q2"}))


def test_adopting_a_council_workbook_is_told_in_plain_words(tmp_path, capsys):
    """lfi-xl adopt and the Adopt this workbook button say what they found in the plan's
    own labels, never a line's internal id, and leave options to the command line."""
    said = Said(capsys)
    plan, kpis = council_plan(tmp_path / "plan.xlsx"), council_kpis(tmp_path / "kpis.xlsx")
    ribbon_plan = Path(shutil.copy(plan, tmp_path / "ribbon plan.xlsx"))
    ribbon_kpis = Path(shutil.copy(kpis, tmp_path / "ribbon kpis.xlsx"))
    code, text = said.run("adopt plan", "adopt", plan)
    assert code == 0
    # the line as the workbook labels it, then as the plan names it
    assert "'DSG Plan 2023'!C10 'High Needs Block DSG income*': taken as the plan line " \
           "'High Needs Block DSG allocation' (confidence 100%)" in text, text
    # read from a title, changed where it was written, not by an option given too late
    assert "Authority: 'Anyshire County Council' (read from Summary!A1; if that is not the " \
           "council, change it on the Settings sheet)" in text, text
    code, text = said.run("adopt KPIs without a council's name", "adopt", kpis)
    assert code == 2 and "type a title naming the council" in text
    assert text.rstrip().endswith('(or name the council: --authority "NAME")'), text
    code, text = said.run("adopt KPIs", "adopt", kpis, "--authority", "Anyshire County Council")
    assert code == 0 and ": KPI 1 (confidence 100%)" in text, text

    # The button: the same words, and its own ways instead of options.
    book = json_book(ribbon_plan)
    assert macros.adopt_workbook(book) is not None
    told = alerts(book)
    assert told.startswith("Adopted: lfi-xl's names and the council's Settings were added;"), \
        told
    assert told.count("'High Needs Block DSG income*'") == 1, told
    said.hear("Adopt this workbook button, a plan", told, ribbon=True)
    book = json_book(ribbon_kpis)
    book.set_mock_caller()
    macros.button("lfi_adopt")
    told = alerts(book)
    assert "whose workbook is this?" in told and "then adopt it again" in told, told
    said.hear("Adopt this workbook button, KPIs without a name", told, ribbon=True)
    edit(ribbon_kpis, "LFI KPIs", {"A1": "Anyshire County Council: LFI KPIs"})
    book = json_book(ribbon_kpis)
    assert macros.adopt_workbook(book) is not None
    told = alerts(book)
    assert "Reports a year: 3 (the KPI table's report columns go to Q3; if the council " \
           "reports quarterly, set 4 on the Settings sheet, with four due dates)" in told, told
    said.hear("Adopt this workbook button, KPIs", told, ribbon=True)
    assert len(said.ribbon) > 20
    assert not said.faults(set()), "\n".join(said.faults(set()))


def test_a_fault_in_lfi_xl_is_a_plain_box_with_the_details_kept(tmp_path, monkeypatch):
    """A button that meets a fault of lfi-xl's own shows a plain box (no traceback, no
    Python words) naming the file that keeps the details for support."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    kpi = Path(shutil.copy(SHIPPED / "template_kpi.xlsx", tmp_path / "template_kpi.xlsx"))
    book = json_book(kpi)
    book.set_mock_caller()

    def faulty(book):
        return {}["no such key"]

    monkeypatch.setitem(macros.BUTTONS, "lfi_validate", faulty)
    macros.button("lfi_validate")
    told = alerts(book)
    assert told.startswith("The button stopped on a fault in lfi-xl, not in your workbook."), told
    assert not PROGRAMMER.search(told) and "KeyError" not in told
    kept = Path(re.search(r"The details are in (\S+\.txt)", told).group(1))
    assert kept.parent == tmp_path and "KeyError: 'no such key'" in kept.read_text()
