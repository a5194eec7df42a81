"""The whole report cycle, year after year, as a finance officer runs it through the command
line: start the period, enter its figures, add placements, refresh, recalc, validate,
freeze, extract; on the shipped workbooks (3 reports a year) and on a council's own
workbook with 4 reports a year."""

import datetime as dt
import re

import openpyxl
import pytest
from helpers import edit, enter_period, json_book
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import parse_area
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.kpi_values import calculated_kpis, placement_counts
from lfi_xl.cli import main
from lfi_xl.core.cells import serial
from lfi_xl.core.periods import parse_period


def formulas_of(path, sheet):
    return {f.cell: f.text for f in wx.formulas(Package.read(path)) if f.sheet == sheet}


def values(path, name):
    book = WorkbookValues(path)
    return book.values(book.require(name))


def extend_table(path, table, last_row):
    """What Excel does when a row is typed just below a table: the table takes it in."""
    package = Package.read(path)
    for part, data in package.parts.items():
        if part.startswith("xl/tables/"):
            root = etree.fromstring(data)
            if root.get("displayName") == table:
                ref = re.sub(r"\d+$", str(last_row), root.get("ref"))
                root.set("ref", ref)
                for child in root.iter(f"{{{wx.MAIN}}}autoFilter"):
                    child.set("ref", ref)
                package.parts[part] = etree.tostring(root, xml_declaration=True,
                                                     encoding="UTF-8", standalone=True)
    package.save(path)


def cycle(kpi, plan, label, capsys, value_base, tmp_path):
    """One report after the one before is frozen; returns the extract's KPI rows."""
    assert main(["start-period", str(kpi), "--plan", str(plan)]) == 0
    assert f"Started {label}" in capsys.readouterr().out
    enter_period(kpi, label, value_base)
    assert main(["refresh", "--kpi", str(kpi), "--plan", str(plan)]) == 0
    assert main(["recalc", str(kpi), str(plan)]) == 0   # both workbooks (README step 4)
    capsys.readouterr()
    assert main(["validate", str(kpi)]) == 0, capsys.readouterr().out
    assert main(["freeze", str(kpi), "--period", label, "--by", "Finance officer"]) == 0
    assert main(["extract", "--kpi", str(kpi), "--plan", str(plan), "--period", label,
                 "-o", str(tmp_path), "--no-pdf"]) == 0
    capsys.readouterr()
    sheet = openpyxl.load_workbook(
        tmp_path / f"LFI_Schools_Forum_{label.replace(' ', '_')}.xlsx")["KPIs"]
    return {row[1]: row for row in sheet.iter_rows(min_row=4, values_only=True)
            if isinstance(row[1], int)}


def test_two_years_of_reports_on_the_shipped_workbooks(kpi_book, plan_book, tmp_path, capsys):
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "tester"]) == 0
    # The Forum's subset, with two average costs added, so the extract shows their n.
    forum = ", ".join(map(str, (*c.FORUM_DEFAULT_REFS, 15, 37)))
    edit(kpi_book, c.SETTINGS, {WorkbookValues(kpi_book).area(
        c.setting_name("ForumKPIs")).cell(0, 0): forum})

    # 2024-25 Q1, step by step: a new financial year.
    assert main(["start-period", str(kpi_book), "--plan", str(plan_book)]) == 0
    capsys.readouterr()
    for path in (kpi_book, plan_book):
        assert values(path, c.setting_name("CurrentPeriod")) == [["2024-25 Q1"]]
        assert values(path, c.setting_name("CurrentYear")) == [["2024/25"]]
    formulas = formulas_of(kpi_book, c.KPI_SHEET)
    # L = 2024-25 Q1 now holds the builder's formulas for the column, shifted from K's.
    assert formulas["L18"] == "-'Plan Data'!F10"     # KPI 11, the in-year as a surplus
    # an average cost shows its Cost workings cell for the column (M: 2024-25 Q1 there)
    assert formulas["L44"] == "IF('Cost workings'!M27=\"\",NA(),'Cost workings'!M27)"
    assert formulas["L67"] == "'Cost workings'!M28"
    assert "M18" not in formulas
    enter_period(kpi_book, "2024-25 Q1", 1000)

    # A placement typed below the register is reported, not silently left out.
    start = serial(dt.date(2024, 5, 1))
    edit(kpi_book, c.PLACEMENTS, {"A614": "P-NEW-1", "B614": "Maintained/academy special school",
                                  "C614": "Under 16", "D614": "In county", "E614": start,
                                  "G614": 30000})
    assert main(["recalc", str(kpi_book)]) == 0
    capsys.readouterr()
    assert main(["validate", str(kpi_book)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"Placements!A614 +outside +Placements!A614: a placement outside the "
                     r"register: it is not counted; take it in: in Excel a row typed just "
                     r"below joins the table \(without Excel, lfi-xl take-rows takes it in\)",
                     out)
    q1 = parse_period("2024-25 Q1")
    before = placement_counts(KpiBook(WorkbookValues(kpi_book)).kpi_inputs(q1))
    extend_table(kpi_book, c.PLACEMENTS_EXCEL_TABLE, 614)  # as Excel does as it is typed
    assert WorkbookValues(kpi_book).area(c.placement_name("ID")).max_row == 614

    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    assert main(["recalc", str(kpi_book), str(plan_book)]) == 0   # both (README step 4)
    assert "no placements: KPIs!L44" in capsys.readouterr().out  # KPI 37: n = 0, #N/A
    assert main(["validate", str(kpi_book)]) == 0, capsys.readouterr().out
    book = KpiBook(WorkbookValues(kpi_book))
    inputs = book.kpi_inputs(parse_period("2024-25 Q1"))
    counts, core = placement_counts(inputs), calculated_kpis(inputs)
    assert counts[15] == before[15] + 1 and counts[29] == before[29] + 1
    column = book.column_of(parse_period("2024-25 Q1"))
    assert counts[37] == 0 and book.kpis[37].values[column] == "#N/A"
    for ref in (15, 16, 17, 18, 25, 29):
        assert book.kpis[ref].values[column] == pytest.approx(core[ref], rel=1e-9)
    assert main(["freeze", str(kpi_book), "--period", "2024-25 Q1", "--by", "F. Officer"]) == 0
    assert main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "-o",
                 str(tmp_path), "--no-pdf"]) == 0
    extract = openpyxl.load_workbook(tmp_path / "LFI_Schools_Forum_2024-25_Q1.xlsx")["KPIs"]
    rows = {row[1]: row for row in extract.iter_rows(min_row=4, values_only=True)
            if isinstance(row[1], int)}
    assert rows[16][4] == pytest.approx(core[16]) and rows[18][4] == pytest.approx(core[18])
    assert rows[15][2].endswith(f"(n = {counts[15]})")
    assert rows[15][4] == pytest.approx(core[15], abs=0.5)
    assert rows[37][2].endswith("(n = 0)") and rows[37][4] == "–"
    notes = [row[0] for row in extract.iter_rows(values_only=True) if row[0]]
    assert any(str(note).startswith("–: no placements in the period (n = 0)") for note in notes)

    # On through the year, and into the next.
    for base, label in ((2000, "2024-25 Q2"), (3000, "2024-25 Q3"), (4000, "2025-26 Q1")):
        rows = cycle(kpi_book, plan_book, label, capsys, base, tmp_path)
        assert rows[6][4] == base + 6  # KPI 6, typed in this report
    assert values(kpi_book, c.setting_name("CurrentPeriod")) == [["2025-26 Q1"]]
    assert main(["verify", str(kpi_book)]) == 0  # five snapshots, each as frozen


def test_start_period_refuses_what_is_not_the_next_period(kpi_book, plan_book, capsys):
    before = kpi_book.read_bytes()
    assert main(["start-period", str(kpi_book), "--period", "2023-24 Q3"]) == 1
    assert "2023-24 Q3 is already started" in capsys.readouterr().err
    assert main(["start-period", str(kpi_book), "--period", "2024-25 Q2"]) == 1
    assert ("the next report after 2023-24 Q3 is 2024-25 Q1, not 2024-25 Q2; starting it "
            "would skip reports (to do it all the same: --allow-gap)") in capsys.readouterr().err
    assert main(["start-period", str(kpi_book), "--period", "2029-30 Q1"]) == 1
    assert "beyond the programme, which ends with 2028-29 Q3" in capsys.readouterr().err
    assert main(["start-period", str(kpi_book), "--period", "2024 Q1"]) == 2
    assert kpi_book.read_bytes() == before and not kpi_book.with_suffix(".xlsx.bak").exists()
    assert main(["start-period", str(kpi_book), "--period", "2024-25 Q2", "--allow-gap"]) == 0
    assert "O18" not in formulas_of(kpi_book, c.KPI_SHEET)  # 2024-25 Q1 (L) left as it was
    assert formulas_of(kpi_book, c.KPI_SHEET)["M18"] == "-'Plan Data'!G10"


def test_start_period_keeps_every_other_part_byte_for_byte(kpi_book):
    before = Package.read(kpi_book).parts
    assert main(["start-period", str(kpi_book)]) == 0
    after = Package.read(kpi_book).parts
    changed = {name for name in before if before[name] != after.get(name)}
    sheets = {info.name: info.part for info in wx.sheets(Package.read(kpi_book))}
    # The KPI column, its inputs' styles, Settings, Conditions, Narrative, Plan Data, and
    # their print areas (in the workbook part).
    assert changed <= {sheets[name] for name in (c.KPI_SHEET, c.SETTINGS, c.CONDITIONS,
                                                 c.NARRATIVE, c.PLAN_DATA)} | {
        "xl/styles.xml", "xl/workbook.xml"}
    assert sheets[c.PLACEMENTS] not in changed and "xl/tables/table1.xml" not in changed
    assert kpi_book.with_suffix(".xlsx.bak").read_bytes() != kpi_book.read_bytes()


def test_a_started_period_prints_with_the_earlier_ones(kpi_book):
    """The shipped sheets print the periods reported so far; starting one widens each
    period sheet's print area to take it in, and leaves the other sheets' alone."""
    def print_areas(path):
        names = wx.parse(Package.read(path).parts["xl/workbook.xml"])
        order = [info.name for info in wx.sheets(Package.read(path))]
        return {order[int(name.get("localSheetId"))]: name.text
                for name in names.iterfind("m:definedNames/m:definedName", wx.NS)
                if name.get("name") == "_xlnm.Print_Area"}
    before = print_areas(kpi_book)
    assert main(["start-period", str(kpi_book)]) == 0
    after = print_areas(kpi_book)
    column = WorkbookValues(kpi_book).area(c.KPI_PERIODS).min_col + 3  # 2024-25 Q1, 4th
    assert parse_area(after[c.KPI_SHEET]).max_col == column
    assert parse_area(before[c.KPI_SHEET]).max_col == column - 1
    for sheet in (c.CONDITIONS, c.NARRATIVE, c.PLAN_DATA):
        assert parse_area(after[sheet]).max_col == parse_area(before[sheet]).max_col + 1
    assert after[c.SETTINGS] == before[c.SETTINGS]
    assert after[c.PLACEMENTS] == before[c.PLACEMENTS]


def test_freeze_refuses_what_cannot_be_a_report(kpi_book, capsys):
    assert main(["freeze", str(kpi_book), "--period", "2024-25 Q1"]) == 1
    assert ("2024-25 Q1 is after Settings' current period (2023-24 Q3): it is not a report "
            "yet") in capsys.readouterr().err
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "  "]) == 2
    assert "--by is empty" in capsys.readouterr().err
    assert main(["start-period", str(kpi_book)]) == 0
    assert main(["freeze", str(kpi_book), "--period", "2024-25 Q1"]) == 1
    assert "2024-25 Q1: every input KPI is blank (16 cells)" in capsys.readouterr().err
    assert not values(kpi_book, c.SNAPSHOTS_TABLE)[1:]  # nothing was frozen


def council_kpis_quarterly(path):
    """A council's own KPI list, laid out its own way, reporting 4 times a year."""
    from helpers import kpi_sheet

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Our KPIs"
    kpi_sheet(ws, 3, 1, forum=False)
    periods = [f"{year} Q{k}" for year in ("2023-24", "2024-25") for k in range(1, 5)]
    periods.append("2025-26 Q1")
    for k, period in enumerate(periods):
        ws.cell(3, 5 + k, period)
    for row in ws.iter_rows(min_row=4):
        if isinstance(row[0].value, int):
            for k in range(4):  # 2023-24 reported; KPI 11 (surplus positive) is -KPI 16
                ref = row[0].value
                ws.cell(row[0].row, 5 + k, -(160 + k) if ref == 11 else 10 * ref + k)
    wb.save(path)
    return path


def test_a_council_workbook_with_four_reports_a_year(tmp_path, capsys):
    from helpers import council_plan

    kpis, plan = council_kpis_quarterly(tmp_path / "kpis.xlsx"), council_plan(
        tmp_path / "plan.xlsx")
    assert main(["adopt", str(kpis), "--authority", "Norfolk County Council"]) == 0
    assert main(["adopt", str(plan), "--authority", "Norfolk County Council"]) == 0
    settings = WorkbookValues(kpis)
    cells = {settings.area(c.setting_name(key)).cell(0, 0): value for key, value in (
        ("ReportsPerYear", 4), ("DueDates", "30 Jul, 31 Oct, 31 Jan, 30 Apr"),
        ("CurrentPeriod", "2023-24 Q4"), ("CurrentYear", "2023/24"))}
    sheet = settings.area(c.setting_name("ReportsPerYear")).sheet
    for path in (kpis, plan):
        edit(path, sheet, cells)
    capsys.readouterr()
    assert main(["validate", str(kpis)]) == 0, capsys.readouterr().out
    assert main(["freeze", str(kpis), "--period", "2023-24 Q4", "--by", "tester"]) == 0
    for label in ("2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4", "2025-26 Q1"):
        assert main(["start-period", str(kpis), "--plan", str(plan)]) == 0
        assert f"Started {label}" in capsys.readouterr().out
        typed = enter_period(kpis, label, 500)
        assert main(["validate", str(kpis)]) == 0, capsys.readouterr().out
        assert main(["freeze", str(kpis), "--period", label, "--by", "tester"]) == 0
        assert main(["extract", "--kpi", str(kpis), "--plan", str(plan), "-o", str(tmp_path),
                     "--no-pdf"]) == 0
        capsys.readouterr()
        extract = openpyxl.load_workbook(
            tmp_path / f"LFI_Schools_Forum_{label.replace(' ', '_')}.xlsx")["KPIs"]
        rows = {row[1]: row for row in extract.iter_rows(min_row=4, values_only=True)
                if isinstance(row[1], int)}
        book = KpiBook(WorkbookValues(kpis))
        assert rows[16][4] == typed[book.kpis[16].area.cell(0, book.column_of(parse_period(label)))]
    for path in (kpis, plan):
        assert values(path, c.setting_name("CurrentPeriod")) == [["2025-26 Q1"]]
    # no 2025-26 Q2 column in this workbook: start-period makes it after the last one
    assert main(["start-period", str(kpis)]) == 0
    assert ("Made the columns for 2025-26 Q2 (after the last report column) on: Our KPIs, "
            "Conditions, Narrative.") in (
        capsys.readouterr().out)
    assert values(kpis, c.KPI_PERIODS)[0][-1] == "2025-26 Q2"


def test_start_next_period_button_writes_what_the_command_writes(kpi_book, plan_book,
                                                                 tmp_path, monkeypatch):
    import shutil

    from lfi_xl import macros

    # Not frozen first: xlwings' JSON engine cannot read back the Snapshots table's ISO
    # timestamps ("...+00:00" fails its datetime parsing); Excel reads them as text.
    by_file = shutil.copy(kpi_book, tmp_path / "by_file.xlsx")
    plan_copy = shutil.copy(plan_book, tmp_path / "plan_copy.xlsx")
    assert main(["start-period", str(by_file), "--plan", str(plan_copy)]) == 0
    # the plan workbook the last refresh recorded (dsg_plan.xlsx, beside it) is the one used
    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    book = json_book(kpi_book)
    # The JSON book's full name is its bare name: "beside it" is the working folder.
    monkeypatch.chdir(kpi_book.parent)
    result = macros.start_next_period(book)
    assert result.period.label == "2024-25 Q1" and result.plan_data.year == "2024/25"
    actions = book.json()["actions"]
    live = {(a["sheet_position"], a["start_row"], a["start_column"]): a["values"]
            for a in actions if a["func"] == "setFormula"}
    sheets = [info.name for info in WorkbookValues(kpi_book).sheets]
    already = formulas_of(kpi_book, c.KPI_SHEET)
    expected = {key: text for key, text in formulas_of(by_file, c.KPI_SHEET).items()
                if key not in already}
    got = {}
    for (sheet, row, column), value in live.items():
        assert sheets[sheet] == c.KPI_SHEET
        address = openpyxl.utils.get_column_letter(column + 1) + str(row + 1)
        got[address] = value[0][0].lstrip("=") if isinstance(value, list) else value.lstrip(
            "=")
    assert got == expected
    assert len(got) == result.formulas == 44
    plan_data = [a for a in actions if a["func"] == "setValues"]
    assert plan_data  # Settings and Plan Data typed in
    message = [a for a in actions if a["func"] == "alert"][0]["args"][0]
    assert "Started 2024-25 Q1" in message and "Plan Data holds the forecast's" in message


def test_a_mitigation_below_the_log_and_a_figure_beside_the_kpi_table_are_errors(kpi_book,
                                                                                  capsys):
    edit(kpi_book, c.MITIGATIONS, {"B17": "New project"})
    edit(kpi_book, c.KPI_SHEET, {"AA10": 12.5, "AA12": "note"})
    assert main(["validate", str(kpi_book)]) == 1
    out = capsys.readouterr().out
    assert "Mitigations!B17: a mitigation outside the log: it is not counted" in out
    assert re.search(r"ERROR +KPIs!AA10 +outside +KPIs!AA10: a figure outside the KPI table",
                     out)
    assert re.search(r"WARNING +KPIs!AA12 +outside", out)  # text beside it: a note


def test_an_average_with_placements_left_blank_is_still_an_error(kpi_book, capsys):
    edit(kpi_book, c.KPI_SHEET, {"K22": None})  # KPI 15, 2023-24 Q3: n > 0
    assert main(["validate", str(kpi_book)]) == 1
    assert re.search(r"KPIs!K22 +stale +KPI 15 for 2023-24 Q3 is blank and its formula is "
                     r"gone \(its inputs give £30,073\): restore the formula",
                     capsys.readouterr().out)


def test_blank_outturn_stays_blank_and_missing_forecasts_are_named(plan_book, capsys):
    monitoring = values(plan_book, c.MONITORING_TABLE)
    header = monitoring[0]
    totals = {row[0]: row for row in monitoring[1:]}
    outturn, variance = header.index("Outturn"), header.index("Variance Outturn")
    for line in ("Total income", "Total Expenditure", "In-year +deficit/-surplus"):
        assert totals[line][outturn] is None and totals[line][variance] is None
    assert totals["Total income"][header.index("Q3 forecast")] == pytest.approx(-144.227)
    edit(plan_book, c.MONITORING, {"E10": None})  # Independent special schools, Q3
    assert main(["recalc", str(plan_book)]) == 0
    after = {row[0]: row for row in values(plan_book, c.MONITORING_TABLE)[1:]}
    assert after["Total Expenditure"][header.index("Q3 forecast")] is None
    assert after["In-year +deficit/-surplus"][header.index("Variance Q3")] is None
    capsys.readouterr()
    assert main(["validate", str(plan_book)]) == 0  # a warning: the report is in progress
    assert re.search(r"WARNING +Monitoring!E10 +missing +Independent Special Schools: no Q3 "
                     r"forecast for 2023-24 Q3", capsys.readouterr().out)


def test_a_period_moved_on_by_hand_is_told_to_be_started(kpi_book, plan_book, tmp_path,
                                                         capsys):
    settings = WorkbookValues(kpi_book).area(c.setting_name("CurrentPeriod"))
    edit(kpi_book, settings.sheet, {settings.cell(0, 0): "2024-25 Q1"})
    assert main(["validate", str(kpi_book)]) == 1
    said = capsys.readouterr().out
    assert ("Plan Data's HNB DSG allocation (income, £m) for 2024-25 Q1 is blank but the plan "
            "workbook's latest forecast for 2024/25 gives -141.484") in said
    assert "no figure for 2024-25 Q1" not in said  # the same cell is not told twice
    edit(kpi_book, c.PLAN_DATA, {f"F{row}": 1.0 for row in range(5, 15)})
    assert main(["validate", str(kpi_book)]) == 1
    assert re.search(r"KPIs!L9:L46 +stale +KPIs 2 and 11-39 for 2024-25 Q1 are blank: the "
                     r"column has no formulas: the period was never started .*: set Settings' "
                     r"current period back to 2023-24 Q3 in both workbooks, then start "
                     r"2024-25 Q1 \(lfi-xl start-period, or Start next period\)",
                     capsys.readouterr().out)
    # the paper refuses with validate's words: Plan Data typed by hand is not the forecast,
    # and the KPIs of a period never started are blank (and 2 more, which validate lists)
    assert main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "-o",
                 str(tmp_path), "--no-pdf"]) == 1
    err = capsys.readouterr().err
    assert ("Plan Data's HNB DSG allocation (income, £m) for 2024-25 Q1 is 1.000 but the plan "
            "workbook's") in err
    assert "lfi-xl validate, or Validate entries in Excel, lists them" in err
