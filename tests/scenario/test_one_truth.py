"""One truth through the report cycle (issue 26): each figure typed once, checked first,
published the same everywhere. Command line only, on copies of the shipped workbooks,
typing only where the README says: the forecast in the plan workbook's Forecast sheet
(the current year's column), the period's KPIs, RAGs and answers in the KPI workbook."""

import shutil
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues, read_plan
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.cli import main
from lfi_xl.core.periods import parse_period, year_label
from lfi_xl.core.plan import compute_plan
from lfi_xl.core.shown import displayed

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
#: The plan line whose forecast each report changes (the pressure Norfolk reported).
LINE = "independent_special"


@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path]:
    kpi = Path(shutil.copy(SHIPPED / c.KPI_WORKBOOK, tmp_path / c.KPI_WORKBOOK))
    plan = Path(shutil.copy(SHIPPED / c.PLAN_WORKBOOK, tmp_path / c.PLAN_WORKBOOK))
    return kpi, plan


def run(*argv) -> int:
    return main([str(a) for a in argv])


def setting_cell(path: Path, key: str) -> str:
    return WorkbookValues(path).area(c.setting_name(key)).ref


def forecast_cell(plan: Path, line: str, year: str) -> tuple[str, float]:
    """Where the README says the forecast of ``line`` for ``year`` is typed, and its value."""
    book = WorkbookValues(plan)
    years = [str(y) for y in book.values(book.require(c.FORECAST_YEARS))[0]]
    area = book.require(c.plan_line_name(line, c.FORECAST_PREFIX))
    k = years.index(year)
    return area.cell(0, k), book.values(area)[0][k]


def kpi_value(path: Path, ref: int, period: str) -> float:
    book = KpiBook(WorkbookValues(path))
    return book.kpis[ref].values[book.column_of(parse_period(period))]


def type_period(kpi: Path, period: str, base: int) -> None:
    """The period's typed KPIs, each condition's RAG and every narrative answer."""
    book = KpiBook(WorkbookValues(kpi))
    column = book.column_of(parse_period(period))
    typed = [ref for ref in book.kpis if ref not in c.CALCULATED_KPIS]
    edit(kpi, book.kpis[typed[0]].area.sheet,
         {book.kpis[ref].area.cell(0, column): base + ref for ref in typed})
    for rows, answer in ((book.conditions, "G"), (book.narrative, f"{period}: as planned")):
        edit(kpi, rows[0].area.sheet, {row.area.cell(0, column): answer for row in rows})


def paper(folder: Path, period: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(folder / f"LFI_Schools_Forum_{period.replace(' ', '_')}.xlsx")


def test_three_reports_and_a_new_year_publish_what_was_typed(pair, tmp_path, capsys):
    kpi, plan = pair
    # Begin at 2023-24 Q1 (the shipped workbooks stand at Q3): Settings in both workbooks.
    for path in (kpi, plan):
        edit(path, "Settings", {setting_cell(path, "CurrentPeriod"): "2023-24 Q1"})
    changes = {"2023-24 Q2": 4.5, "2023-24 Q3": 2.25, "2024-25 Q1": -3.125}
    for number, (period, change) in enumerate(changes.items()):
        year = year_label(parse_period(period).year, "/")
        # 1. start the period
        assert run("start-period", "--kpi", kpi, "--plan", plan) == 0
        started = capsys.readouterr().out
        if period == "2024-25 Q1":   # the new year is a step: last year's columns cleared
            assert "New year: the Monitoring sheet's report columns of 2023/24 are cleared" \
                in started
        # 2. type: the forecast once, in the Forecast sheet's column for the year
        cell, old = forecast_cell(plan, LINE, year)
        before = compute_plan(read_plan(plan, c.FORECAST_PREFIX))
        edit(plan, c.FORECAST, {cell: round(old + change, 3)})
        after = compute_plan(read_plan(plan, c.FORECAST_PREFIX))
        k = after.years.index(year)
        in_year = float(after.in_year[k])
        assert in_year - float(before.in_year[k]) == pytest.approx(change)
        type_period(kpi, period, 100 * (number + 1))
        # a forecast typed after start-period: validate stops the cycle, naming it
        assert run("validate", plan, kpi) == 1
        found = capsys.readouterr().out
        assert f"Plan Data's In-year +deficit/-surplus (£m) for {period} is" in found
        assert "recalculate the plan workbook" in found
        # 3-4. refresh and recalculate both workbooks
        assert run("refresh", "--kpi", kpi, "--plan", plan) == 0
        assert run("recalc", kpi, plan) in (0, 1)   # 1: an average of no placements noted
        # 5. validate: nothing stops the report now
        assert run("validate", plan, kpi) == 0, capsys.readouterr().out
        capsys.readouterr()
        # 6. freeze (the plan workbook Settings record is checked too)
        assert run("freeze", "--kpi", kpi, "--period", period, "--by", "A. Finance") == 0
        # 7. the Schools Forum paper and the DfE return
        out = tmp_path / period.replace(" ", "_")
        assert run("extract", "--kpi", kpi, "-o", out, "--no-pdf") == 0
        assert run("dfe-return", "--kpi", kpi, "--plan", plan, "-o", out) == 0
        capsys.readouterr()

        # Each figure as typed, the same everywhere.
        assert kpi_value(kpi, 16, period) == pytest.approx(in_year)
        assert kpi_value(kpi, 11, period) == pytest.approx(-in_year)
        forum = paper(out, period)
        headline = next(row[0] for row in forum["Summary"].iter_rows(values_only=True)
                        if row[0] and row[0].startswith(f"In-year position {year}"))
        assert headline.startswith(f"In-year position {year}: £{in_year:,.3f}m deficit forecast")
        kpis = {row[1]: row for row in forum["KPIs"].iter_rows(min_row=5, max_row=19,
                                                                values_only=True)}
        assert kpis[16][4] == pytest.approx(in_year) and kpis[11][4] == pytest.approx(-in_year)
        assert kpis[18][4] == pytest.approx(float(after.cumulative_after_sv[k]))
        for ref, row in kpis.items():   # the workbook's figure, with its sign, as shown
            value = kpi_value(kpi, ref, period)
            if isinstance(row[4], float):
                assert row[4] == displayed(value, c.UNIT_FORMATS[row[3]]), ref
        variance = {row[0]: row[1:4] for row in forum["Variance"].iter_rows(
            min_row=5, values_only=True) if row[0]}
        planned = compute_plan(read_plan(plan)).years.index(year)
        line_plan = read_plan(plan).line(LINE).values[planned]
        assert variance["Independent Special Schools"][1] == pytest.approx(old + change)
        assert variance["Independent Special Schools"][2] == pytest.approx(
            old + change - line_plan)
        forecast_rows = [row for row in forum["DSG plan"].iter_rows(values_only=True)
                         if row[0] == "In-year +deficit/-surplus"]
        assert forecast_rows[1][1 + k] == pytest.approx(in_year)
        # the DfE return: its evidence, its KPI copy and its plan copy
        label = period.replace(" ", "_")
        document = Document(out / f"LFI_DfE_return_{label}.docx")
        evidence = document.tables[0].rows[2].cells[1].tables[0]
        assert evidence.rows[1].cells[2].text == f"{in_year:.3f}"
        book = KpiBook(WorkbookValues(kpi))
        copy = openpyxl.load_workbook(out / f"LFI_DfE_KPIs_{label}.xlsx")
        for ref in (11, 16, 18, 20, 21):
            row = book.kpis[ref]
            shown = copy[row.area.sheet][row.area.cell(0, book.column_of(parse_period(period)))]
            assert shown.value == pytest.approx(kpi_value(kpi, ref, period)), ref
            if ref in kpis:
                assert kpis[ref][4] == pytest.approx(shown.value), ref
        plan_copy = openpyxl.load_workbook(out / f"LFI_DfE_DSG_plan_{label}.xlsx")
        in_year_area = WorkbookValues(plan).require(c.plan_line_name("in_year",
                                                                     c.FORECAST_PREFIX))
        assert plan_copy[c.FORECAST][in_year_area.cell(0, k)].value == pytest.approx(in_year)
        monitoring = WorkbookValues(plan).require(c.MONITORING_TABLE)
        header = [str(v) for v in WorkbookValues(plan).values(monitoring)[0]]
        column = header.index(c.monitoring_report_header(parse_period(period).report))
        row = [str(r[0]) for r in WorkbookValues(plan).values(monitoring)].index(
            "Independent Special Schools")
        assert plan_copy[c.MONITORING][monitoring.cell(row, column)].value == pytest.approx(
            old + change)   # the Monitoring sheet shows the forecast typed once


def test_shipped_workbooks_validate_freeze_and_return_without_a_dead_end(pair, tmp_path,
                                                                         capsys):
    kpi, plan = pair
    assert run("validate", plan, kpi) == 0
    # Extract without a refresh: page 1 and the KPI page say the same.
    assert run("extract", "--kpi", kpi, "-o", tmp_path / "draft", "--no-pdf") == 0
    forum = paper(tmp_path / "draft", "2023-24 Q3")
    text = " ".join(str(row[0]) for row in forum["Summary"].iter_rows(values_only=True))
    kpis = {row[1]: row for row in forum["KPIs"].iter_rows(min_row=5, max_row=19,
                                                            values_only=True)}
    assert f"In-year position 2023/24: £{kpis[16][4]:,.3f}m deficit forecast" in text
    assert (f"Cumulative balance after Safety Valve funding as agreed at the end of 2023/24: "
            f"£{kpis[18][4]:,.3f}m deficit forecast") in text
    assert run("freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--by", "A. Finance") == 0
    assert run("dfe-return", "--kpi", kpi, "--plan", plan, "-o", tmp_path / "r") == 0
    # The forecast moves after freezing: refused, with the one step that corrects it.
    cell, old = forecast_cell(plan, LINE, "2023/24")
    edit(plan, c.FORECAST, {cell: old + 1.0})
    capsys.readouterr()
    assert run("dfe-return", "--kpi", kpi, "--plan", plan, "-o", tmp_path / "r2") == 1
    assert "recalculate the plan workbook" in capsys.readouterr().err   # stale caches first
    assert run("recalc", plan) == 0
    assert run("extract", "--kpi", kpi, "-o", tmp_path / "r2", "--no-pdf") == 1
    err = capsys.readouterr().err
    assert "2023-24 Q3 is frozen: correct it by freezing it again, superseding" in err
    assert run("refresh", "--kpi", kpi, "--plan", plan) == 1
    assert "freeze it again superseding its snapshot" in capsys.readouterr().err
    assert run("freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--by", "A. Finance",
               "--supersede", "--reason", "forecast revised") == 0
    assert run("dfe-return", "--kpi", kpi, "--plan", plan, "-o", tmp_path / "r3") == 0
    assert run("extract", "--kpi", kpi, "-o", tmp_path / "r3", "--no-pdf") == 0
    assert kpi_value(kpi, 16, "2023-24 Q3") == pytest.approx(34.149 + 1.0)
    assert run("verify", "--kpi", kpi) == 0


def test_a_refused_superseding_freeze_leaves_the_file_as_it_was(pair, capsys):
    kpi, plan = pair
    assert run("freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--by", "A. Finance") == 0
    original = kpi.read_bytes()
    edit(plan, c.FORECAST, {forecast_cell(plan, LINE, "2023/24")[0]: "TBC"})
    assert run("freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--by", "A. Finance",
               "--supersede", "--reason", "x") in (1, 2)
    assert kpi.read_bytes() == original


def test_recalc_never_rewrites_a_frozen_cell(pair, capsys):
    kpi, _ = pair
    assert run("freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--by", "A. Finance") == 0
    frozen = kpi_value(kpi, 2, "2023-24 Q3")
    book = KpiBook(WorkbookValues(kpi))
    baseline = book.baselines.area.cell(0, 0)   # KPI 1's baseline, which KPI 2 reads
    edit(kpi, book.baselines.area.sheet, {baseline: 40})
    capsys.readouterr()
    assert run("recalc", kpi) == 1
    out = capsys.readouterr().out
    assert ("frozen: KPIs!K9 (KPI 2 for 2023-24 Q3): frozen in 2023-24 Q3 (snapshot 1) as "
            "5.4%, but its formula now gives 24100.0%") in out   # as the cell shows them
    assert kpi_value(kpi, 2, "2023-24 Q3") == frozen
    assert run("verify", "--kpi", kpi) == 0


def test_kpi_11_is_minus_kpi_16(pair, capsys):
    kpi, _ = pair
    book = KpiBook(WorkbookValues(kpi))
    column = book.column_of(parse_period("2023-24 Q3"))
    edit(kpi, "KPIs", {book.kpis[11].area.cell(0, column): 6.2,
                       book.kpis[16].area.cell(0, column): 6.2})
    assert run("validate", kpi) == 1
    assert ("KPI 11 2023-24 Q3 is 6.200 and KPI 16 is 6.200: KPI 11 (HNB surplus/deficit) "
            "counts a surplus positive") in capsys.readouterr().out


def test_the_new_year_is_a_step(pair, capsys):
    kpi, plan = pair
    assert run("freeze", "--kpi", kpi, "--period", "2023-24 Q3", "--by", "A. Finance") == 0
    assert run("start-period", "--kpi", kpi, "--plan", plan) == 0
    assert run("recalc", kpi, plan) in (0, 1)
    capsys.readouterr()
    assert run("validate", plan) == 0
    found = capsys.readouterr().out
    assert "2024/25" not in found   # nothing due yet this year: the DfE pays after reports
    monitoring = WorkbookValues(plan).require(c.MONITORING_TABLE)
    values = WorkbookValues(plan).values(monitoring)
    q2 = [str(v) for v in values[0]].index("Q2 forecast")
    assert all(row[q2] in (None, "") for row in values[1:])   # last year's, cleared
    edit(plan, c.MONITORING, {monitoring.cell(5, q2): 12.0})   # typed into a later report
    assert run("recalc", plan) == 0
    capsys.readouterr()
    assert run("validate", plan) == 0   # a warning, named
    assert "Monitoring Q2 forecast holds 1 figure(s) though the current report is " \
        "2024-25 Q1" in capsys.readouterr().out


def monitoring_row(plan: Path, label: str) -> dict[str, object]:
    """The Monitoring sheet's row of ``label``, by column header, as the file caches it."""
    ws = openpyxl.load_workbook(plan, data_only=True)[c.MONITORING]
    rows = [list(row) for row in ws.iter_rows(min_row=4, values_only=True)]
    return next(dict(zip(rows[0], row, strict=False)) for row in rows[1:]
                if str(row[0]).strip() == label)


def test_a_forecast_line_not_typed_stays_blank_in_monitoring(pair, capsys):
    """README: a line not yet typed is blank, never 0, and so are the column's totals,
    in-year and variances; validate names the line in the Forecast sheet, and says
    nothing is stale once recalculated."""
    kpi, plan = pair
    cell, value = forecast_cell(plan, LINE, "2023/24")
    assert value is not None
    edit(plan, c.FORECAST, {cell: None})
    assert run("recalc", kpi, plan) in (0, 1)
    line = monitoring_row(plan, "Independent Special Schools")
    assert line["Q3 forecast"] in (None, "") and line["Variance Q3"] in (None, "")
    for total in ("Total Expenditure", "In-year +deficit/-surplus"):
        assert monitoring_row(plan, total)["Q3 forecast"] in (None, ""), total
    assert monitoring_row(plan, "Maintained / Academy / Free Special Schools")[
        "Q3 forecast"] not in (None, "")
    capsys.readouterr()
    run("validate", plan)
    said = capsys.readouterr().out
    assert "stale" not in said
    assert f"Forecast!{cell}" in said and "Independent Special Schools" in said
