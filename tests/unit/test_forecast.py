"""The EHCP forecast: the bundled DfE data, the calibration, the backtest the issue asks
for, and lfi-xl forecast as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lfi_xl.actions import forecast as action
from lfi_xl.cli import main
from lfi_xl.core import forecast as fc
from lfi_xl.data import ehcps

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_series_is_every_la_with_a_complete_series():
    areas, years, counts = ehcps.panel()
    assert years == tuple(range(2015, 2026))
    assert len(areas) == 147 and np.all(counts > 0)
    norfolk = dict(zip(years, ehcps.series("Norfolk")[1], strict=True))
    assert (norfolk[2015], norfolk[2023], norfolk[2025]) == (4378, 8735, 12147)
    # England's largest LAs are there; the ones split or merged since 2015 are not.
    assert {"Kent", "Essex", "Birmingham", "Isles of Scilly"} <= set(areas)
    assert not {"Cumbria", "Northamptonshire", "Dorset"} & set(areas)
    readme = (ROOT / "lfi_xl/data/ehcp/README.md").read_text()
    assert "Open Government Licence v3.0" in readme


def test_shipped_calibration_is_the_bundled_datas():
    _, years, counts = ehcps.panel()
    fresh = fc.calibrate(counts, years, 2025)
    assert fresh.origins == fc.SHIPPED.origins
    assert fresh.prior == pytest.approx(fc.SHIPPED.prior, abs=1e-6)
    assert np.allclose(fresh.offsets, fc.SHIPPED.offsets, atol=1e-6)


def test_quantiles_are_ordered_and_widen_with_the_horizon():
    norfolk = ehcps.series("Norfolk")[1]
    table = fc.forecast(norfolk, 6, [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    assert np.all(np.diff(table, axis=1) > 0)
    width = table[:, -2] / table[:, 1]
    assert np.all(np.diff(width) > 0)
    # p50 is the median path: last count x exp(h x drift).
    growth = fc.drift(norfolk, fc.SHIPPED.prior)
    assert table[:, 3] == pytest.approx(12147 * np.exp(growth * np.arange(1, 7)))


@pytest.mark.parametrize("counts, horizon, quantiles, message", [
    ([8671, 8735, 10736], 1, [0.5], "at least 4 years"),
    ([8671, 0, 8735, 10736], 1, [0.5], "above 0"),
    ([6689, 8671, 8735, 10736], 7, [0.5], "from 1 to 6"),
    ([6689, 8671, 8735, 10736], 1, [0.01], "between 0.05 and 0.95"),
])
def test_refusals(counts, horizon, quantiles, message):
    with pytest.raises(fc.ForecastError, match=message):
        fc.forecast(counts, horizon, quantiles)


def test_backtest_origins_2019_to_2022_split_conformal_across_las():
    """The issue's check: every LA, origins 2019-2022, 80% bands calibrated
    split-conformally across LAs cover 75-88% at horizons 1-3; MdAPE h1 <= 3.5%."""
    scores = action.score(action.backtest(range(2019, 2023), method="split"))
    assert list(scores["forecasts"]) == [147 * 4] * 3
    for h in (1, 2, 3):
        assert 0.75 <= scores.loc[h, "coverage"] <= 0.88, scores
    assert scores.loc[1, "mdape"] <= 0.035
    # The measured figures docs/forecast.md gives.
    assert scores["coverage"].round(3).tolist() == [0.842, 0.876, 0.862]
    assert round(scores.loc[1, "mdape"], 4) == 0.0281


def test_forecast_from_january_2023_scored_on_2024_and_2025(tmp_path, capsys):
    """The issue's check, as a user runs it: lfi-xl forecast on the bundled series cut at
    January 2023, scored on the real January 2024 and 2025 counts."""
    areas, years, counts = ehcps.panel()
    cut = years.index(2023)
    history = tmp_path / "to_2023.csv"
    history.write_text("area,year,ehcps\n" + "".join(
        f'"{area}",{year},{int(counts[i, j])}\n'
        for i, area in enumerate(areas) for j, year in enumerate(years[: cut + 1])))
    assert main(["forecast", "--history", str(history), "--horizon", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["forecasts"]
    assert len(rows) == 2 * len(areas) and set(rows[0]) == {"area", "year", "p10", "p50",
                                                             "p90"}
    actual = {(a, y): counts[i, years.index(y)] for i, a in enumerate(areas)
              for y in (2024, 2025)}
    for year in (2024, 2025):
        these = [r for r in rows if r["year"] == year]
        inside = np.mean([r["p10"] <= actual[r["area"], year] <= r["p90"] for r in these])
        assert 0.75 <= inside <= 0.88, (year, inside)
    h1 = [abs(r["p50"] / actual[r["area"], 2024] - 1) for r in rows if r["year"] == 2024]
    assert np.median(h1) <= 0.035
    assert round(float(np.median(h1)), 4) == 0.0327


def test_cli_table_and_errors(tmp_path, capsys):
    assert main(["forecast", "--area", "Norfolk County Council", "--horizon", "2"]) == 0
    out = capsys.readouterr().out
    assert "Norfolk     2026    12,536    13,493    14,683" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("area,year,ehcps\nNorfolk,2022,8671\nNorfolk,2023,lots\n")
    assert main(["forecast", "--history", str(bad)]) == 2
    assert "row 3: ehcps 'lots' is not a count above 0" in capsys.readouterr().err
    bad.write_text("area,year,ehcps\nX,2020,1\nX,2021,2\nX,2023,3\nX,2024,4\n")
    assert main(["forecast", "--history", str(bad)]) == 2
    assert "X has no count for 2022" in capsys.readouterr().err
    bad.write_text("area,count\nX,1\n")
    assert main(["forecast", "--history", str(bad)]) == 2
    assert "row 1 must name the columns area,year,ehcps" in capsys.readouterr().err
    bad.write_text("area,year,ehcps\nX,2022,1\nX,2023,2\n")
    assert main(["forecast", "--history", str(bad)]) == 2
    assert "X: the forecast needs at least 4 years of counts" in capsys.readouterr().err
    assert main(["forecast", "--area", "Atlantis"]) == 2
    assert "no bundled EHCP series for 'Atlantis'" in capsys.readouterr().err


def test_validate_and_freeze_do_not_import_pandas():
    code = ("import sys\nimport lfi_xl.cli, lfi_xl.actions.validate, lfi_xl.actions.freeze\n"
            "from lfi_xl.cli import main\nmain(['validate', sys.argv[1]])\n"
            "assert 'pandas' not in sys.modules, 'pandas was imported'")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "workbooks/dsg_plan.xlsx")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_worksheet_function_spills_what_the_command_prints(capsys):
    import lfi_udfs

    years, counts = ehcps.series("Norfolk")
    spilled = lfi_udfs.LFI_FORECAST([[y] for y in years], [[c] for c in counts], [[3]])
    table = action.forecast_table(areas=["Norfolk"], horizon=3)
    assert [row[0] for row in spilled] == [2026, 2027, 2028]
    assert np.allclose([row[1:] for row in spilled], table[["p10", "p50", "p90"]].to_numpy())
    assert [round(v) for v in spilled[0][1:]] == [12536, 13493, 14683]
    two = lfi_udfs.LFI_FORECAST([list(years)], [list(counts)], 1, [[0.25, 0.75]])
    assert len(two[0]) == 3 and spilled[0][1] < two[0][1] < spilled[0][2] < two[0][2]
    for args, error in [(([[2015], [2017], [2018], [2019]], [[1], [2], [3], [4]], 1), "#VALUE!"),
                        (([list(years)], [list(counts)], 7), "#NUM!"),
                        (([list(years)], [list(counts)], 1, [[0.99]]), "#NUM!"),
                        (([list(years)], [list(counts[:-1])], 1), "#VALUE!"),
                        (([list(years)[:3]], [list(counts)[:3]], 1), "#VALUE!"),
                        (([list(years)], [list(counts)], "#N/A"), "#N/A")]:
        with pytest.raises(lfi_udfs.ExcelError) as raised:
            lfi_udfs.LFI_FORECAST(*args)
        assert raised.value.code == error, args


# ------------------------------------------------------------------ the plan under demand
def test_demand_as_planned_gives_back_the_plans_own_lines_and_balances():
    from lfi_xl.core.plan import compute_plan
    from lfi_xl.core.scenario import demand_fan, scenario_plan
    from lfi_xl.data.published import published_plan

    plan = published_plan()
    planned = np.array([9609.0, 10649, 11801, 13078, 14493, 16062, 17799])
    savings = np.array([0.0, 2.5, 3.1, 4.0, 4.0, 4.0, 4.0])
    same = scenario_plan(plan, planned, planned, savings)
    for ours, theirs in zip(same.lines, plan.lines, strict=True):
        assert np.array_equal(ours.values, theirs.values, equal_nan=True), ours.id
    fan = demand_fan(plan, planned, np.vstack([planned] * 3), (0.1, 0.5, 0.9), savings)
    agreed = compute_plan(plan)
    assert np.array_equal(fan.in_year[1], agreed.in_year)
    assert np.array_equal(fan.cumulative[1], agreed.cumulative_after_sv)
    # 10% more children than planned: the demand lines cost 10% more, savings included.
    more = compute_plan(scenario_plan(plan, planned, planned * 1.1, savings))
    direct = sum(plan.line(i).values for i in ("special_schools", "resource_bases",
                 "independent_special", "alternative_provision", "short_stay_schools",
                 "post16_fe", "other_provisions", "inclusion_fund"))
    assert more.in_year - agreed.in_year == pytest.approx(0.1 * (direct + savings))


def test_norfolk_outlook_and_the_forum_papers_demand_page(tmp_path):
    import openpyxl

    from lfi_xl.actions.demand import demand_outlook
    from lfi_xl.data.published import published_plan

    outlook = demand_outlook(published_plan(), "Norfolk County Council")
    fan = outlook.fan
    assert fan.ehcps[:, 2].tolist() == [12147] * 3  # January 2025 is counted
    assert fan.ehcps[:, 3].round().tolist() == [12536, 13493, 14683]
    low, high = fan.cumulative[0, -1], fan.cumulative[2, -1]
    assert low < 0 < high and outlook.chance[1] == "about 48%"
    text = " ".join(outlook.sentences())
    assert (f"between £{-low:,.1f}m surplus and £{high:,.1f}m deficit (10th-90th percentile"
            in text)
    assert "The chance that the plan clears the deficit by 2028/29 is about 48%" in text
    # In the paper built from the shipped workbooks.
    for name in ("dsg_plan.xlsx", "template_kpi.xlsx"):
        (tmp_path / name).write_bytes((ROOT / "workbooks" / name).read_bytes())
    assert main(["extract", "--kpi", str(tmp_path / "template_kpi.xlsx"), "--plan",
                 str(tmp_path / "dsg_plan.xlsx"), "-o", str(tmp_path / "out"),
                 "--no-pdf"]) == 0
    page = openpyxl.load_workbook(next((tmp_path / "out").glob("*.xlsx")))["Demand"]
    cells = [row[0] for row in page.iter_rows(values_only=True) if row[0]]
    assert any("10th-90th percentile" in str(v) and "2028/29" in str(v) for v in cells)
    assert any(str(v).startswith("The chance that the plan clears") for v in cells)
    assert len(page._charts) == 2


def test_the_plan_workbooks_demand_sheet_feeds_the_outlook(tmp_path):
    import openpyxl
    from helpers import edit

    from lfi_xl.actions.demand import demand_outlook
    from lfi_xl.adapters.files.reader import WorkbookValues
    from lfi_xl.book.demand import read_demand
    from lfi_xl.book.tables import CellProblem, read_plan_from

    plan = tmp_path / "dsg_plan.xlsx"
    plan.write_bytes((ROOT / "workbooks" / "dsg_plan.xlsx").read_bytes())
    history, planned = read_demand(WorkbookValues(plan))
    assert history[0] == tuple(range(2015, 2026)) and history[1][-1] == 12147
    assert planned is None
    # The sheet's LFI_FORECAST spill, as recalculated by the build, is the command's table.
    sheet = openpyxl.load_workbook(plan, data_only=True)["Demand"]
    spilled = [[cell.value for cell in row] for row in sheet["D5:G8"]]
    table = action.forecast_table(areas=["Norfolk"], horizon=4)
    assert [row[0] for row in spilled] == [2026, 2027, 2028, 2029]
    assert np.allclose([row[1:] for row in spilled], table[["p10", "p50", "p90"]].to_numpy())
    # Planned EHC plans typed on the sheet replace the trend; the blank ones keep it.
    edit(plan, "Demand", {"B19": 9000, "C19": 10000})
    history, planned = read_demand(WorkbookValues(plan))
    assert planned[:2].tolist() == [9000, 10000] and np.isnan(planned[2:]).all()
    outlook = demand_outlook(read_plan_from(WorkbookValues(plan)), "Norfolk County Council",
                             history, planned=planned)
    assert outlook.fan.planned[:2].tolist() == [9000, 10000]
    assert outlook.fan.planned[2] == pytest.approx(11801, abs=1)  # the trend
    assert "where the Demand sheet leaves them blank" in outlook.notes[0]
    edit(plan, "Demand", {"B10": "n/a"})
    with pytest.raises(CellProblem, match=r"Demand!B10: "):
        read_demand(WorkbookValues(plan))
