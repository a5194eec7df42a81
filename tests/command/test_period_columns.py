"""start-period makes a period's columns where the sheets lack them, and a column keeps
the meaning it was made with when Reports a year changes."""

import re

from helpers import edit, enter_period

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main


def quarterly(*paths):
    """Settings: four reports a year from now on, as a council would type them."""
    for path in paths:
        book = WorkbookValues(path)
        reports, dates = (book.require(c.setting_name(k)) for k in ("ReportsPerYear",
                                                                      "DueDates"))
        edit(path, reports.sheet, {reports.ref: 4, dates.ref: "16 Jun, 15 Sep, 15 Dec, 15 Mar"})


def test_four_reports_a_year_in_a_three_report_book(kpi_book, plan_book, capsys):
    quarterly(kpi_book, plan_book)
    # the stored columns keep their meaning: 2023-24 Q3 still runs October to March
    assert main(["validate", str(kpi_book)]) == 0, capsys.readouterr().out
    assert main(["start-period", str(kpi_book), "--plan", str(plan_book)]) == 0
    out = capsys.readouterr().out
    assert ("Made the columns for 2023-24 Q4 (after the last report column) on: KPIs, "
            "Conditions, Narrative, Plan Data, Lists, Cost workings.") in out
    book = WorkbookValues(kpi_book)
    for name in (c.KPI_PERIODS, c.CONDITIONS_PERIODS, c.NARRATIVE_PERIODS,
                 c.PLAN_DATA_PERIODS):
        assert book.values(book.require(name))[0][-1] == "2023-24 Q4", name
    ends = book.values(book.require(c.KPI_PERIOD_END))[0]
    assert str(ends[-1]) == "2024-03-31" and str(ends[-2]) == "2029-03-31"
    periods = book.require(c.KPI_PERIODS)
    package = Package.read(kpi_book)
    formulas = {(f.sheet, f.cell): f.text for f in wx.formulas(package)}
    letter = re.match(r"[A-Z]+", periods.ref.split(":")[1]).group()
    assert formulas[(c.KPI_SHEET, f"{letter}5")].startswith("LFI_DUEDATE(")
    assert formulas[(c.KPI_SHEET, f"{letter}18")] == "-'Plan Data'!U10"  # KPI 11
    workbook = package.parts["xl/workbook.xml"].decode()
    # printed: the fixed columns and 2023-24 Q1-Q3, then the new Q4 column, not the future
    # reports between (each range starts a page)
    assert re.search(rf"<definedName name=\"_xlnm.Print_Area\" localSheetId=\"1\">"
                     rf"'KPIs'!\$A\$1:\$K\$(\d+),'KPIs'!\${letter}\$1:\${letter}\$\1<",
                     workbook)
    # formats: the new header and KPI cells are styled like the column before them
    sheet = package.parts[next(i.part for i in wx.sheets(package)
                               if i.name == c.KPI_SHEET)].decode()
    for row in (4, 7, 18, 22):
        style = dict(re.findall(r'<c r="([A-Z]+)' + str(row) + r'"[^>]*?s="(\d+)"', sheet))
        assert style[letter] == style["Z"], row

    # the drop-downs of report periods offer it (Mitigations' Report period, Settings)
    mitigations = package.parts[next(i.part for i in wx.sheets(package)
                                     if i.name == c.MITIGATIONS)].decode()
    assert "<formula1>=Lists!$A$5:$A$23</formula1>" in mitigations
    assert book.values(book.require(c.LISTS_PERIODS))[-1] == ["2023-24 Q4"]

    enter_period(kpi_book, "2023-24 Q4", 300)
    assert main(["recalc", str(kpi_book), str(plan_book)]) == 0   # both, as README step 4
    capsys.readouterr()
    assert main(["validate", str(kpi_book)]) == 0, capsys.readouterr().out
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q4", "--by", "Q. Four"]) == 0
    assert main(["start-period", str(kpi_book)]) == 0  # 2024-25 Q1: its column is there
    assert "Made the columns" not in capsys.readouterr().out


def test_a_column_is_not_made_over_something_typed(kpi_book, plan_book, capsys):
    quarterly(kpi_book, plan_book)
    edit(kpi_book, c.KPI_SHEET, {"AA30": "my note"})
    before = kpi_book.read_bytes()
    assert main(["start-period", str(kpi_book)]) == 1   # refused
    assert "KPIs!AA30 is not empty" in capsys.readouterr().err
    assert kpi_book.read_bytes() == before


def test_a_print_area_of_the_councils_own_is_kept(kpi_book, plan_book, capsys):
    """A print area lfi-xl did not set (here every report column, future ones too) is
    the council's choice: starting a period, with its columns made, leaves it as it is."""
    from lfi_xl.adapters.files.writer import FileWorkbook
    from lfi_xl.book.area import Area

    book = FileWorkbook(kpi_book)
    own = [Area(c.KPI_SHEET, 1, 1, 69, 26)]
    book.set_print_area(c.KPI_SHEET, own)
    book.package.save(kpi_book)
    quarterly(kpi_book, plan_book)
    assert main(["start-period", str(kpi_book), "--plan", str(plan_book)]) == 0
    assert "Made the columns for 2023-24 Q4" in capsys.readouterr().out
    after = FileWorkbook(kpi_book)
    assert after.print_area(c.KPI_SHEET) == own
    # the other period sheets' (the builder's) moved on, the future columns left out
    assert [area.ref for area in after.print_area(c.PLAN_DATA)] == ["A1:E14", "U1:U14"]
