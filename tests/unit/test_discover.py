"""Finding the plan and KPI tables in a council's own workbooks by their labels."""

import json

import openpyxl
import pytest
from helpers import VARIANTS, kpi_sheet, plan_sheet

from lfi_xl import contract as c
from lfi_xl.book.discover import find_kpis, find_plan, normalise
from lfi_xl.cli import main
from lfi_xl.data import published


@pytest.mark.parametrize("top,left,style,sheet", [(12, 3, "dash", "Budget 23-24"),
                                                   (4, 1, "fy", "DSG"),
                                                   (30, 6, "short", "Plan v3 (draft)"),
                                                   (4, 2, "slash", "Sheet1")])
def test_plan_found_wherever_it_stands(tmp_path, capsys, top, left, style, sheet):
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.active["A1"] = "DSG plan workbook"
    plan_sheet(wb.create_sheet(sheet), top, left, style, VARIANTS)
    path = tmp_path / "council.xlsx"
    wb.save(path)
    assert main(["plan", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    printed = {line_id: values for line_id, _, _, _, values in published.LINES}
    assert data["years"] == list(published.YEARS)
    assert data["opening_balance"] == pytest.approx(53.976)
    for key in ("total_income", "total_expenditure", "in_year"):
        assert data[key] == pytest.approx(printed[key], abs=0.002), key
    # Balances carry the £1k rounding of the published lines (see README, "Rounding").
    assert data["cumulative_after_sv"] == pytest.approx(printed["cumulative_after_sv"],
                                                        abs=0.003 + 1e-9)
    assert data["cumulative_after_sv"][-1] == pytest.approx(0.003, abs=1e-9)


def test_discovery_reports_matches_skips_and_confidence():
    wb = openpyxl.Workbook()
    plan_sheet(wb.active, 5, 2, "dash", VARIANTS)
    rows = [[cell.value for cell in row] for row in wb.active.iter_rows()]
    found = find_plan({"Plan": rows})
    keys = [m.key for m in found.lines]
    assert sorted(keys) == sorted(line_id for line_id, *_ in published.LINES)
    assert [m.label for m in found.skipped] == ["Subtotal special provision",
                                                "Note: prepared before the 2022-23 outturn."]
    in_year = next(m for m in found.lines if m.key == "in_year")
    assert in_year.cell == "B24" and 0.72 <= in_year.confidence <= 1
    assert found.missing == []


def test_a_missing_required_row_is_named(tmp_path, capsys):
    wb = openpyxl.Workbook()
    plan_sheet(wb.active, 5, 1, "slash")
    for row in wb.active.iter_rows():
        if row[0].value == "Cumulative Balance without contribution":
            row[0].value = None
            for cell in row:
                cell.value = None
    path = tmp_path / "no_balance.xlsx"
    wb.save(path)
    assert main(["plan", str(path)]) == 2
    assert "'Cumulative Balance without contribution'" in capsys.readouterr().err


@pytest.mark.parametrize("forum", [False, True])
def test_every_kpi_row_matched_to_its_master_ref(forum):
    wb = openpyxl.Workbook()
    kpi_sheet(wb.active, 7, 2, forum)
    rows = [[cell.value for cell in row] for row in wb.active.iter_rows()]
    found = find_kpis({"KPIs": rows})
    assert found.missing == []
    numbered = {row[1]: row[2] for row in rows if isinstance(row[1], int)}
    for match in found.rows:
        label_row = rows[match.row - 1]
        expected = (c.KPI_BY_FORUM_LINE[label_row[1]].ref if forum else label_row[1])
        assert match.key == expected, (match.label, numbered.get(label_row[1]))


def test_normalise():
    assert normalise("% of EHCP per head of population") == "% of ehcp per head of population"
    assert normalise("In-year +deficit/-surplus") == normalise("In year deficit/(surplus)")
