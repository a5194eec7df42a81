"""Messages in a finance officer's words, piece by piece: a figure as its cell's number
format shows it, a label as a General cell shows it, the input at fault named by KPI and
cell, and what Excel said instead of a Python type's name."""

import datetime as dt
import math

import numpy as np
import openpyxl
import pytest

from lfi_xl import contract as c
from lfi_xl.actions.recalc import evaluate
from lfi_xl.book.kpi_values import KpiInputs, calculated_kpis, percent_change, plan_kpis
from lfi_xl.core.cells import ExcelError
from lfi_xl.core.shown import as_shown, as_shown_apart, displayed, label
from lfi_xl.core.values import describe


@pytest.mark.parametrize(("value", "code", "shown"), [
    (0.217438014192418, "0.0%", "21.7%"),           # KPI 19, as the issue saw it
    (0.22252692884001, "0.0%", "22.3%"),
    (-42.4329999999, "0.000", "-42.433"),           # £m to £1k
    (30082.4, "£#,##0", "£30,082"),
    (-30082.4, "£#,##0", "-£30,082"),
    (12147, "#,##0", "12,147"),
    (0.5, "0.00", "0.50"),
    (1234567, "#,##0,", "1,235"),                   # a scaling comma: thousands
    (-1234.5, "#,##0.00;[Red](#,##0.00)", "(1,234.50)"),
    (0, '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)', "-"),
    (5, "[$£-809]#,##0.00", "£5.00"),
    (1234.5, '"£"#,##0.0"m"', "£1,234.5m"),
    (42, '0.0 "days"', "42.0 days"),
    (45200, "dd/mm/yyyy", "01/10/2023"),
    (45200, "d mmmm yyyy", "1 October 2023"),
    (0.217438014192418, "General", "0.217438014"),  # Excel's General: 11 characters
    (1.0, "General", "1"),
    (None, "0.000", "blank"),
    (math.nan, "0.0%", "blank"),
    ("TBC", "0.000", "TBC"),
    (dt.date(2024, 4, 1), "General", "01/04/2024"),
    (True, "General", "TRUE"),
])
def test_a_figure_reads_as_its_cell_shows_it(value, code, shown):
    assert as_shown(value, code) == shown


def test_a_label_reads_as_a_general_cell_shows_it():
    assert [label(v) for v in (1.0, 9.0, 2.5, " 1a ", None, 16)] == [
        "1", "9", "2.5", "1a", "blank", "16"]


def test_two_figures_a_format_shows_alike_get_the_decimals_that_tell_them_apart():
    assert as_shown_apart(0.0544662309368192, 0.0755555555555556, "0.0%") == ("5.4%", "7.6%")
    assert as_shown_apart(-0.988997821350763, -0.988777777777778, "0.0%") == (
        "-98.90%", "-98.88%")
    assert as_shown_apart(1.0000000001, 1.0000000002, "0.000") == ("1.00000000", "1.00000000")


def test_a_cell_value_is_described_without_python_words():
    assert describe(None) == "blank"
    assert describe(3.0) == "the number 3"
    assert describe(dt.datetime(2024, 4, 1)) == "the date 01/04/2024"
    assert describe(object()) == "a value lfi-xl cannot read as a cell's"
    assert "NoneType" not in describe(None) and "object" not in describe(object())


def inputs(kpi1=float("nan"), baseline=9180.0, **plan) -> KpiInputs:
    data = {key: 1.0 for key, _ in c.PLAN_DATA_ROWS} | plan
    return KpiInputs("2024-25 Q1", 45383.0, 45473.0, data, {}, {}, kpi1=kpi1,
                     kpi1_baseline=baseline,
                     cells={"kpi1": "KPIs!L8", "kpi1_baseline": "KPIs!H8",
                            "allocation": "'Plan Data'!F5"},
                     labels={"allocation": "HNB DSG allocation (income, £m)"})


def test_kpi_2_names_the_blank_input_kpi_1_not_the_baseline():
    """The issue's case: the baseline is 9,180; KPI 1 of the period is blank."""
    found = percent_change(inputs(), 2, 1)
    assert isinstance(found, ExcelError) and found.code == "#VALUE!"
    assert found.reason.startswith("KPI 1 for 2024-25 Q1 (KPIs!L8) is blank")
    assert "baseline is 0" not in found.reason and "type KPI 1" in found.reason


def test_kpi_2_names_a_zero_or_blank_baseline_with_the_code_lfi_pctchange_gives():
    zero = percent_change(inputs(kpi1=9300.0, baseline=0.0), 2, 1)
    assert isinstance(zero, ExcelError) and zero.code == "#DIV/0!"
    assert zero.reason.startswith("KPI 1's baseline (KPIs!H8) is 0")
    blank = percent_change(inputs(kpi1=9300.0, baseline=float("nan")), 2, 1)
    assert isinstance(blank, ExcelError) and blank.code == "#VALUE!"
    assert blank.reason.startswith("KPI 1's baseline (KPIs!H8) is blank")
    assert percent_change(inputs(kpi1=9639.0, baseline=9180.0), 2, 1) == pytest.approx(0.05)


def test_the_funding_gap_names_the_plan_data_it_divides_by():
    gap = plan_kpis(inputs().plan_data | {"allocation": 0.0}, "A", inputs())[19]
    assert isinstance(gap, ExcelError) and gap.code == "#DIV/0!"
    assert gap.reason.startswith("Plan Data's HNB DSG allocation (income, £m) for 2024-25 Q1 "
                                 "('Plan Data'!F5) is 0: KPI 19, the funding gap")


def test_the_calculated_kpis_of_a_period_name_their_causes():
    empty = {key: np.array([], dtype=object) for key, _ in c.PLACEMENT_COLUMNS}
    empty["Start"] = empty["End"] = empty["AnnualCost"] = empty["PreviousCost"] = np.array([])
    log = {key: np.array([], dtype=object) for key, _ in c.MITIGATION_COLUMNS}
    for key in ("BaseVolume", "BaseUnitCost", "Volume", "UnitCost"):
        log[key] = np.array([])
    kpis = calculated_kpis(KpiInputs(**{**inputs().__dict__, "placements": empty,
                                        "mitigations": log, "masks": {}, "_costs": None}))
    assert "KPI 1 for 2024-25 Q1 (KPIs!L8) is blank" in kpis[2].reason


def test_recalc_names_the_cell_a_function_found_blank(tmp_path):
    """LFI_PCTCHANGE says which argument is blank; recalc, which knows where it was read,
    names the cell: no "item 1"."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Figures"
    ws["C1"] = 9180
    ws["A1"] = "=LFI_PCTCHANGE(B1,C1)"
    ws["A2"] = "=LFI_PCTCHANGE(B2:B3,C2:C3)"
    ws["B2"], ws["C2"], ws["B3"], ws["C3"] = 10, 5, 7, None
    ws["A4"] = "=LFI_FUNDGAP(B4,C4)"
    ws["B4"], ws["C4"] = 3, 0
    wb.create_sheet("DSG Plan")["A1"] = "=LFI_PCTCHANGE(Figures!B1,5)"
    wb.save(tmp_path / "book.xlsx")
    problems = {(p.sheet, p.cell): p.message for p in evaluate(tmp_path / "book.xlsx").problems}
    assert problems[("Figures", "A1")] == (
        "#VALUE! LFI_PCTCHANGE: the current value is blank (Figures!B1)")
    assert problems[("Figures", "A2")] == (
        "#VALUE! LFI_PCTCHANGE: the base value, cell 2 of 2, is blank (Figures!C3)")
    assert problems[("Figures", "A4")] == (
        "#DIV/0! LFI_FUNDGAP: the HNB allocation is 0 (Figures!C4)")
    assert problems[("DSG Plan", "A1")].endswith("(Figures!B1)")
    assert not any("item" in message for message in problems.values())


def test_a_button_tells_what_excel_said_not_a_python_error_name():
    from lfi_xl.macros import _why

    class com_error(Exception):  # pywin32's, as Excel raises it through COM  # noqa: N801
        pass

    said = com_error(-2147352567, "Exception occurred.",
                     (0, "Microsoft Excel", "The file is locked for editing.", None, 0,
                      -2146827284), None)
    assert _why(said) == "The file is locked for editing."
    assert _why(com_error(-2147023170, "The remote procedure call failed.", None, None)) == (
        "The remote procedure call failed.")
    assert _why(OSError()) == "it gave no reason"


def test_a_figure_beyond_excels_15_digits_shows_as_excel_keeps_it():
    """Excel keeps 15 significant digits: 1E+300 in 0.000 is a 1, zeros and .000, not
    Python's binary expansion; and nothing is left to round."""
    assert as_shown(1e300, "0.000") == "1" + "0" * 300 + ".000"
    assert as_shown(123456789012345678.0, "#,##0") == "123,456,789,012,346,000"
    assert displayed(1e300, "0.000") == 1e300
