"""lfi-xl refresh: the plan's figures copied into the KPI workbook's Plan Data."""

import pytest
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.actions.validate import validate
from lfi_xl.adapters.files.reader import WorkbookValues, read_plan
from lfi_xl.book.kpi_values import plan_data_rows
from lfi_xl.cli import main
from lfi_xl.core.plan import compute_plan


def test_refresh_copies_the_forecast_and_the_kpis_follow_after_recalc(kpi_book, plan_book):
    edit(plan_book, "Forecast", {"C10": 60.0})   # a new forecast for 2023/24, typed
    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    forecast = plan_data_rows(compute_plan(read_plan(plan_book, "Forecast")))
    book = WorkbookValues(kpi_book)
    in_year = book.read(c.plan_data_name("in_year"))[1][0]
    assert in_year[2] == pytest.approx(forecast["in_year"][1])  # 2023-24 Q3 <- 2023/24
    assert in_year[1] == pytest.approx(25.149)  # earlier reports keep what they had
    stale = [f for f in validate(book) if f.rule == "stale"]
    assert {f.cell for f in stale} >= {"K18", "K23"}  # KPI 11 and 16 for Q3
    assert main(["recalc", str(kpi_book)]) == 0
    book = WorkbookValues(kpi_book)
    assert not [f for f in validate(book) if f.severity == "error"]
    assert book.read(c.kpi_name(16))[1][0][2] == pytest.approx(forecast["in_year"][1])


def test_a_frozen_period_is_not_refreshed(kpi_book, plan_book, capsys):
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "x"]) == 0
    before = kpi_book.read_bytes()
    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 1
    assert "frozen" in capsys.readouterr().err and kpi_book.read_bytes() == before
