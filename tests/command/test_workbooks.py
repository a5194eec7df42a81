"""The shipped workbooks: rebuilt byte for byte, and every formula equals the core."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from lfi_xl import contract as c
from lfi_xl.actions.recalc import evaluate
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues, read_plan
from lfi_xl.book.area import parse_area
from lfi_xl.book.kpi_values import KpiInputs, calculated_kpis, placement_counts
from lfi_xl.book.tables import read_mitigations, read_placements
from lfi_xl.build.workbooks import COUNT_REFS, build_workbooks
from lfi_xl.core import measures
from lfi_xl.core.cells import ExcelError, serial
from lfi_xl.core.periods import Cadence, parse_year
from lfi_xl.core.plan import compute_plan, cumulative_balance
from lfi_xl.data import published

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
PLAN_BOOK, KPI_BOOK = SHIPPED / c.PLAN_WORKBOOK, SHIPPED / c.KPI_WORKBOOK


@pytest.fixture(scope="module")
def evaluations():
    return {path.name: evaluate(path) for path in (PLAN_BOOK, KPI_BOOK)}


def test_rebuild_is_byte_identical(tmp_path):
    for built in build_workbooks(tmp_path):
        assert built.read_bytes() == (SHIPPED / built.name).read_bytes(), built.name


def test_every_formula_cell_carries_its_cached_value(evaluations):
    for path in (PLAN_BOOK, KPI_BOOK):
        evaluation = evaluations[path.name]
        assert evaluation.problems == []
        book = WorkbookValues(path)
        for (sheet, address), value in evaluation.values.items():
            area = parse_area(f"'{sheet}'!{address}")
            cached = book.values(area)[0][0]
            if isinstance(cached, dt.date):  # a date-formatted cell reads back as a date
                cached = serial(cached)
            if isinstance(value, float):
                assert cached == pytest.approx(value, rel=1e-12, abs=1e-12), (sheet, address)
            elif value == "":  # IF(...,"",...): an empty text result reads back as blank
                assert cached is None, (sheet, address)
            else:
                assert cached == value, (sheet, address)


def test_plan_sheet_equals_the_core_and_the_published_table(evaluations):
    values = evaluations[PLAN_BOOK.name].values
    rows = {line_id: 7 + index for index, (line_id, *_rest) in enumerate(published.LINES)}
    result = compute_plan(published.published_plan())
    printed = {line_id: vals for line_id, _, _, _, vals in published.LINES}
    for line_id, computed in (("total_income", result.total_income),
                              ("total_expenditure", result.total_expenditure),
                              ("in_year", result.in_year),
                              ("cumulative_before_sv", result.cumulative_before_sv),
                              ("cumulative_after_sv", result.cumulative_after_sv)):
        sheet_row = [values[("Plan", f"{chr(66 + k)}{rows[line_id]}")] for k in range(7)]
        np.testing.assert_allclose(sheet_row, computed, atol=1e-9)
        # Against the printed table: computed from the published (rounded) lines, the
        # totals differ by at most £1k and the balances by at most £3k, each difference
        # being rounding that lfi-xl plan reports (see README, "Rounding").
        tolerance = 0.003 if line_id.startswith("cumulative") else 0.001
        np.testing.assert_allclose(sheet_row, printed[line_id], atol=tolerance + 1e-9)
    assert read_plan(PLAN_BOOK).years == published.YEARS


def test_kpi_sheet_equals_the_core(evaluations):
    values = evaluations[KPI_BOOK.name].values
    book = WorkbookValues(KPI_BOOK)
    placements, mitigations = read_placements(book), read_mitigations(book)
    cadence = Cadence(3)
    periods = cadence.periods(parse_year("2023-24"), parse_year("2028-29"))
    reported = [p for p in periods if p.label <= c.SETTING_DEFAULTS["CurrentPeriod"]]
    kpi_rows = {ref: 7 + ref for ref in range(1, 47)}
    plan_data = {key: book.read(c.plan_data_name(key))[1][0] for key, _ in c.PLAN_DATA_ROWS}
    baseline = book.read(c.KPI_BASELINE)[1]
    checked = 0
    for index, period in enumerate(reported):
        column = chr(ord("I") + index)
        inputs = KpiInputs(
            period.label, serial(cadence.start(period)), serial(cadence.end(period)),
            {key: row[index] for key, row in plan_data.items()}, placements, mitigations,
            kpi1=values.get(("KPIs", f"{column}8"), book.read(c.kpi_name(1))[1][0][index]),
            kpi1_baseline=baseline[0][0])
        expected = calculated_kpis(inputs)
        assert set(expected) == set(c.CALCULATED_KPIS)
        for ref, value in expected.items():
            got = values[("KPIs", f"{column}{kpi_rows[ref]}")]
            assert not isinstance(value, ExcelError), (ref, period, value)
            assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (ref, period.label)
            checked += 1
        counts = placement_counts(inputs)
        for offset, ref in enumerate(COUNT_REFS, start=1):
            assert values[("KPIs", f"{column}{55 + offset}")] == counts[ref]
        assert values[("KPIs", f"{column}5")] == serial(cadence.due_date(period))
    assert checked == 30 * len(reported)


def test_mitigation_savings_equal_the_core(evaluations):
    values = evaluations[KPI_BOOK.name].values
    log = read_mitigations(WorkbookValues(KPI_BOOK))
    for part, column in (("total", "J"), ("volume", "K"), ("price", "L")):
        expected = measures.saving(log["BaseVolume"], log["BaseUnitCost"], log["Volume"],
                                   log["UnitCost"], part)
        got = [values[("Mitigations", f"{column}{5 + k}")] for k in range(len(expected))]
        np.testing.assert_allclose(got, expected)


def test_workbook_contract_names_resolve():
    for path in (PLAN_BOOK, KPI_BOOK):
        book = WorkbookValues(path)
        for name, target in book.names.items():
            assert book.area(name) is not None, (path.name, name, target)
    kpi = WorkbookValues(KPI_BOOK)
    for key, *_ in c.SETTING_ROWS:
        assert kpi.area(c.setting_name(key)) is not None
    for ref in range(1, 47):
        assert kpi.area(c.kpi_name(ref)).shape == (1, 18)


def test_shipped_workbooks_say_what_is_illustrative():
    for path, sheets in ((PLAN_BOOK, ["Forecast", "Monitoring"]),
                         (KPI_BOOK, ["KPIs", "Placements", "Mitigations", "Conditions"])):
        book = WorkbookValues(path)
        for sheet in sheets:
            assert "ILLUSTRATIVE" in str(book.sheet_values(sheet)[1][0]), (path.name, sheet)


def test_placements_are_plausible():
    placements = read_placements(WorkbookValues(KPI_BOOK))
    category, cost = placements["Category"], placements["AnnualCost"]
    special = cost[category == "Maintained/academy special school"]
    independent = cost[category == "Independent special school"]
    assert special.min() >= 15_000 and special.max() <= 25_000
    assert independent.min() >= 50_000 and independent.max() <= 90_000
    assert all(e >= s for s, e in zip(placements["Start"], placements["End"], strict=True)
               if not np.isnan(e))
    assert len(set(placements["ID"])) == len(placements["ID"])


def test_no_forced_recalculation_on_open():
    workbook = wx.parse(Package.read(PLAN_BOOK).parts["xl/workbook.xml"])
    calc = workbook.find("m:calcPr", wx.NS)
    assert calc is None or calc.get("fullCalcOnLoad") in (None, "0", "false")


def test_forecast_and_monitoring_equal_the_core(evaluations):
    values = evaluations[PLAN_BOOK.name].values
    forecast = read_plan(PLAN_BOOK, prefix="Forecast")
    result = compute_plan(forecast)
    rows = {line_id: 7 + index for index, (line_id, *_rest) in enumerate(published.LINES)}
    sheet = [values[("Forecast", f"{chr(66 + k)}{rows['cumulative_after_sv']}")]
             for k in range(7)]
    np.testing.assert_allclose(sheet, result.cumulative_after_sv, atol=1e-9)
    book = WorkbookValues(PLAN_BOOK)
    received = [book.read(c.plan_line_name(key, "Forecast"))[1][0]
                for key in ("dfe_received", "la_received")]
    as_numbers = [np.array([np.nan if v is None else v for v in row], dtype=float)
                  for row in received]
    expected = cumulative_balance(result.opening_balance, result.in_year, *as_numbers)
    got = [values[("Forecast", f"{chr(66 + k)}{max(rows.values()) + 3}")] for k in range(7)]
    np.testing.assert_allclose(got, expected, atol=1e-9)
    # Monitoring's plan column is the current year (2023/24) of the Plan sheet.
    plan_result = compute_plan(read_plan(PLAN_BOOK))
    in_year_row = 5 + [line_id for line_id, _, role, *_ in published.LINES
                       if role in ("income", "expenditure", "total_income",
                                   "total_expenditure", "in_year")].index("in_year")
    assert values[("Monitoring", f"B{in_year_row}")] == pytest.approx(plan_result.in_year[1])
