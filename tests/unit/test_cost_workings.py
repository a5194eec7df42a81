"""The Cost workings sheet: every average cost and n of every period from one LFI_COSTS
call, the same numbers as one LFI_AVGCOST / LFI_PLACEMENTS per cell (issue 20)."""

import datetime as dt
import shutil
from pathlib import Path

import lfi_udfs as udfs
import openpyxl
import pytest
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main
from lfi_xl.core.cells import ExcelError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _tables(path):
    """The template's register, measures and period rows as Excel hands them to Python."""
    book = WorkbookValues(path)
    register = book.values(book.area(c.PLACEMENTS_TABLE))
    measures = book.values(book.area(c.COST_MEASURES))
    starts = book.values(book.area(c.KPI_PERIOD_START))
    ends = book.values(book.area(c.KPI_PERIOD_END))
    return register, measures, starts, ends


def _column(register, key):
    at = [key for key, _ in c.PLACEMENT_COLUMNS].index(key)
    return [[row[at]] for row in register[1:]]


def _per_cell(register, measure_headers, measure, first, last):
    """What the earlier template's own formula gives for one measure and period."""
    headers = {label: key for key, label in c.PLACEMENT_COLUMNS}
    fte = udfs.LFI_FTE(_column(register, "Start"), _column(register, "End"), first, last)
    criteria = []
    for header, cell in zip(measure_headers, measure[3:], strict=True):
        if cell in (None, ""):
            continue
        column = _column(register, headers[header])
        if cell == c.IN_PERIOD:
            criteria += [column, f">={udfs.serial(first):g}", column,
                         f"<={udfs.serial(last):g}"]
        else:
            criteria += [column, cell]
    try:
        if measure[1] == c.COST_COUNT:
            return udfs.LFI_PLACEMENTS(fte, *criteria)
        return udfs.LFI_AVGCOST(_column(register, headers[measure[2]]), fte, *criteria)
    except ExcelError as error:
        assert error.code == "#N/A", error
        return ""


def test_every_cell_equals_the_per_cell_functions(kpi_book):
    register, measures, starts, ends = _tables(kpi_book)
    # some placements changed so that edge cases occur in every period: open, ended on a
    # period's first day, started on its last, a zero previous cost, lower-case text
    rows = [list(row) for row in register]
    rows[1][5] = None
    rows[2][4], rows[2][5] = dt.datetime(2023, 4, 1), dt.datetime(2023, 7, 1)
    rows[3][4], rows[3][5] = dt.datetime(2023, 9, 30), None
    rows[4][7] = 0
    rows[5][1] = rows[5][1].lower()
    got = udfs.LFI_COSTS(rows, measures, starts, ends)
    assert len(got) == len(measures) - 1 == len(c.cost_measures())
    assert {len(row) for row in got} == {len(starts[0])} == {18}
    cells = 0
    for measure, answers in zip(measures[1:], got, strict=True):
        for first, last, answer in zip(starts[0], ends[0], answers, strict=True):
            expected = _per_cell(rows, measures[0][3:], measure, first, last)
            assert answer == expected, (measure[:2], first)
            cells += 1
    assert cells == 29 * 18
    kpi37 = [index for index, (ref, result, _, _) in enumerate(c.cost_measures())
             if (ref, result) == (37, c.COST_AVERAGE)]
    assert "" in got[kpi37[0]]  # no new independent 16+ placement in some period: n = 0


def test_a_placement_it_cannot_use_fails_the_call_naming_it(kpi_book):
    register, measures, starts, ends = _tables(kpi_book)
    rows = [list(row) for row in register]
    rows[17][4] = None  # a start date deleted, the end kept
    with pytest.raises(ExcelError) as error:
        udfs.LFI_COSTS(rows, measures, starts, ends)
    assert error.value.code == "#VALUE!"
    assert "placement 17" in str(error.value)
    rows = [list(row) for row in register]
    rows[3][6] = "TBC"
    with pytest.raises(ExcelError, match="#VALUE! LFI_COSTS: placement 3's Annual cost "
                                         "\\(£\\): expected a number, found text 'TBC'"):
        udfs.LFI_COSTS(rows, measures, starts, ends)


def test_a_measures_table_without_its_columns_is_refused(kpi_book):
    register, measures, starts, ends = _tables(kpi_book)
    with pytest.raises(ExcelError, match="no 'Result' column"):
        udfs.LFI_COSTS(register, [["Ref", "Kind", "Cost"], *measures[1:]], starts, ends)
    bad = [measures[0], [15, "Median", "Annual cost (£)", *measures[1][3:]]]
    with pytest.raises(ExcelError, match="measure 1's Result must be 'Average' or 'n'"):
        udfs.LFI_COSTS(register, bad, starts, ends)
    renamed = [["Ref", "Result", "Cost", "Borough"], [15, "n", None, "North"]]
    with pytest.raises(ExcelError, match="no column headed 'borough'"):
        udfs.LFI_COSTS(register, renamed, starts, ends)


def test_the_template_reads_the_register_once(kpi_book):
    """One LFI_COSTS array formula over every period; the KPI cells are native formulas."""
    wb = openpyxl.load_workbook(kpi_book)
    sheet = wb[c.COST_WORKINGS]
    anchor = sheet["J5"].value
    assert anchor.ref == "J5:AA33"
    assert anchor.text == ("=LFI_COSTS(Placements_Table,CostWorkings_Measures,"
                           "KPI_PeriodStart,KPI_PeriodEnd)")
    kpis = wb[c.KPI_SHEET]
    assert kpis["J36"].value == "=IF('Cost workings'!K11=\"\",NA(),'Cost workings'!K11)"
    assert kpis["J59"].value == "='Cost workings'!K12"
    lfi_cells = [cell.coordinate for row in kpis.iter_rows() for cell in row
                 if isinstance(cell.value, str) and "LFI_AVGCOST" in cell.value]
    assert lfi_cells == []


def test_the_cycle_on_the_workings(kpi_book, plan_book, capsys):
    """start-period writes references into the workings; n = 0 is #N/A and reported as no
    placements; a bad placement shows #VALUE! in the KPIs with the placement named."""
    assert main(["start-period", str(kpi_book), "--plan", str(plan_book)]) == 0
    edit(kpi_book, c.KPI_SHEET, {"L8": 9800})  # KPI 1, for KPI 2's % change
    assert main(["recalc", str(kpi_book)]) == 0
    out = capsys.readouterr().out
    assert "no placements: KPIs!L44 (KPI 37 for 2024-25 Q1): no placements match" in out
    formulas = openpyxl.load_workbook(kpi_book)[c.KPI_SHEET]
    values = openpyxl.load_workbook(kpi_book, data_only=True)[c.KPI_SHEET]
    assert formulas["L44"].value == "=IF('Cost workings'!M27=\"\",NA(),'Cost workings'!M27)"
    assert (values["L44"].value, values["L67"].value) == ("#N/A", 0)
    assert values["L22"].value == pytest.approx(30082.4443202147, abs=1e-9)
    assert values["L46"].value == pytest.approx(5043.91304347826, abs=1e-9)
    edit(kpi_book, c.PLACEMENTS, {"E21": None})  # placement 17's start date
    main(["recalc", str(kpi_book)])
    out = capsys.readouterr().out
    assert "LFI_COSTS: placement 17: expected a start date on or before the end date" in out
    values = openpyxl.load_workbook(kpi_book, data_only=True)[c.KPI_SHEET]
    assert values["I22"].value == values["L46"].value == "#VALUE!"


def test_a_workbook_made_before_the_workings_keeps_its_own_formulas(kpi_book, plan_book,
                                                                     tmp_path, capsys):
    """A council's KPI workbook made by the November 2026 template (one LFI_AVGCOST per
    cell, no Cost workings): start-period goes on writing its formulas, and they give the
    same values as the workings do in today's template."""
    legacy = Path(shutil.copy(FIXTURES / "template_kpi_2026_11.xlsx", tmp_path / "old.xlsx"))
    plan_copy = Path(shutil.copy(plan_book, tmp_path / "plan_copy.xlsx"))
    for book, plan in ((legacy, plan_copy), (kpi_book, plan_book)):
        assert main(["start-period", str(book), "--plan", str(plan)]) == 0
        edit(book, c.KPI_SHEET, {"L8": 9800})
        assert main(["recalc", str(book)]) == 0
    capsys.readouterr()
    old = openpyxl.load_workbook(legacy)[c.KPI_SHEET]
    assert old["L36"].value.startswith("=LFI_AVGCOST(Placements_AnnualCost,LFI_FTE(")
    assert old["L59"].value.startswith("=LFI_PLACEMENTS(LFI_FTE(")
    old = openpyxl.load_workbook(legacy, data_only=True)[c.KPI_SHEET]
    new = openpyxl.load_workbook(kpi_book, data_only=True)[c.KPI_SHEET]
    for row in (22, *range(34, 47), *range(56, 70)):
        for column in range(9, 13):
            assert old.cell(row, column).value == new.cell(row, column).value, (row, column)
