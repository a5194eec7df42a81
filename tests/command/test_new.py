"""A council from a blank start: ``lfi-xl new`` makes its own plan and KPI workbooks, and
the report cycle (start-period, validate, freeze, extract) runs on them for two reports,
command line only."""

import re
import zipfile

import openpyxl
import pytest
from helpers import edit, enter_period, type_council_plan

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main
from lfi_xl.data import published

NAME = "Borsetshire County Council"
QUARTERS = [f"{year} Q{q}" for year in ("2024-25", "2025-26", "2026-27") for q in range(1, 5)]


def package_text(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace")
                         for name in archive.namelist() if name.endswith((".xml", ".rels")))


def new_council(folder, *extra):
    assert main(["new", str(folder), "--authority", NAME, "--reports", "4", "--first-year",
                 "2024-25", "--last-year", "2026-27", *extra]) == 0
    return folder / c.PLAN_WORKBOOK, folder / "kpi.xlsx"


def test_a_new_council_has_no_trace_of_norfolk_and_a_column_for_every_quarter(tmp_path):
    plan, kpis = new_council(tmp_path / "borsetshire", "--programme", "Borsetshire Inclusion")
    # figures of Norfolk's plan that no blank workbook has: its lines, its opening balance
    norfolk_figures = {f"{abs(v):.3f}".rstrip("0").rstrip(".") for *_, values in published.LINES
                       for v in values if v not in (None, 0)} | {"53.976"}
    for path in (plan, kpis):
        text = package_text(path)
        for trace in ("Norfolk", "NCC", "Local First Inclusion", "ILLUSTRATIVE",
                      "Executive Board", "Gloriously"):
            assert trace not in text, (path.name, trace)
        numbers = set(re.findall(r"<v>(-?\d+\.\d+)</v>", text))
        assert not {n.lstrip("-") for n in numbers} & norfolk_figures, path.name
        values = WorkbookValues(path)
        settings = {key: values.values(values.require(c.setting_name(key)))[0][0]
                    for key in ("LAName", "ProgrammeName", "Illustrative", "ReportsPerYear",
                                "CurrentPeriod", "SafetyValve")}
        assert settings == {"LAName": NAME, "ProgrammeName": "Borsetshire Inclusion",
                            "Illustrative": "No", "ReportsPerYear": 4,
                            "CurrentPeriod": "2024-25 Q1", "SafetyValve": "Yes"}
    book = WorkbookValues(kpis)
    for name in (c.KPI_PERIODS, c.PLAN_DATA_PERIODS, c.CONDITIONS_PERIODS,
                 c.NARRATIVE_PERIODS):
        assert book.values(book.require(name))[0] == QUARTERS, name
    workings = openpyxl.load_workbook(kpis)[c.COST_WORKINGS]
    assert [cell.value for cell in workings[4]][-12:] == QUARTERS
    # nothing typed anywhere: no placements, no mitigations, no baselines, no figures
    assert all(v is None for v in book.values(book.require(c.KPI_BASELINE))[0])
    plan_values = WorkbookValues(plan)
    assert plan_values.years if hasattr(plan_values, "years") else True
    assert all(v is None for v in plan_values.values(
        plan_values.require(c.plan_line_name("hnb_dsg_income")))[0])


def test_new_never_overwrites(tmp_path, capsys):
    new_council(tmp_path)
    assert main(["new", str(tmp_path), "--authority", "Other", "--reports", "3",
                 "--first-year", "2024-25", "--last-year", "2025-26"]) == 1
    assert "never overwrites" in capsys.readouterr().err
    assert WorkbookValues(tmp_path / "kpi.xlsx").values(WorkbookValues(
        tmp_path / "kpi.xlsx").require(c.setting_name("LAName")))[0][0] == NAME


def type_plan(plan):
    """The council's plan: every input line, every year (£m)."""
    type_council_plan(plan)
    assert main(["recalc", str(plan)]) == 0  # as Excel recalculates what was typed


def type_report(kpis, label, base):
    """A report's own figures: the typed KPIs, a condition, the baselines in Q1."""
    enter_period(kpis, label, base)
    book = WorkbookValues(kpis)
    baseline = book.require(c.KPI_BASELINE)
    cells = {}
    if label.endswith("Q1") and label.startswith("2024"):
        cells = {baseline.cell(k, 0): 100.0 + k for k in range(baseline.shape[0])}
        edit(kpis, baseline.sheet, cells)
        conditions = book.require(c.CONDITIONS_TABLE)
        edit(kpis, conditions.sheet, {conditions.cell(1, 0): 1,
                                      conditions.cell(1, 1): "Reduce reliance on independent "
                                                             "special schools"})
    conditions = book.require(c.CONDITIONS_TABLE)
    periods = book.require(c.CONDITIONS_PERIODS)
    column = book.values(periods)[0].index(label)
    edit(kpis, conditions.sheet, {conditions.cell(1, periods.min_col - conditions.min_col
                                                  + column): "G"})


@pytest.mark.parametrize("safety_valve", [True, False])
def test_two_reports_from_a_blank_start(tmp_path, capsys, safety_valve):
    plan, kpis = new_council(tmp_path, *(() if safety_valve else ("--no-safety-valve",)))
    type_plan(plan)
    out = tmp_path / "out"
    for label, base in (("2024-25 Q1", 0), ("2024-25 Q2", 50)):
        if label.endswith("Q2"):
            assert main(["start-period", str(kpis), "--plan", str(plan)]) == 0
        type_report(kpis, label, base)
        assert main(["refresh", "--kpi", str(kpis), "--plan", str(plan)]) == 0
        assert main(["recalc", str(kpis), str(plan)]) == 0   # both, as README step 4
        capsys.readouterr()
        assert main(["validate", str(plan), str(kpis)]) == 0, capsys.readouterr().out
        assert main(["freeze", str(kpis), "--period", label, "--by", "B. Finance"]) == 0
        assert main(["extract", "--kpi", str(kpis), "--plan", str(plan), "--period", label,
                     "-o", str(out), "--no-pdf"]) == 0
        printed = capsys.readouterr().out
        paper = next(out.glob(f"*{label.replace(' ', '*')}*.xlsx"), None) or max(
            out.glob("*.xlsx"), key=lambda p: p.stat().st_mtime)
        text = package_text(paper)
        assert NAME in text and "Norfolk" not in text, printed
        assert ("Safety Valve" in text) == safety_valve


def test_a_kpi_added_without_illustrative_figures_is_named_not_a_fault(tmp_path, capsys,
                                                                        monkeypatch):
    """docs/adding-a-kpi.md: the catalogue gains KPI 47; the shipped template needs its
    made-up figures (the builder says so), a council's blank workbooks do not."""
    import dataclasses

    extra = dataclasses.replace(c.KPI_BY_REF[45], ref=47, measure="Number of SEND tribunal "
                                "appeals", forum_line=47, forum_measure="", forum_default=False)
    monkeypatch.setattr(c, "KPIS", (*c.KPIS, extra))
    monkeypatch.setattr(c, "KPI_BY_REF", {**c.KPI_BY_REF, 47: extra})
    assert main(["build", "workbooks", "-o", str(tmp_path / "shipped")]) == 2
    err = capsys.readouterr().err
    assert "KPI 47 (Number of SEND tribunal appeals): no illustrative figures" in err
    assert "KPI_SERIES in lfi_xl/data/illustrative.py" in err
    assert "docs/adding-a-kpi.md" in err and "internal fault" not in err
    plan, kpis = new_council(tmp_path / "blank")
    book = WorkbookValues(kpis)
    row = book.require(c.kpi_name(47))
    assert book.values(book.require(c.KPI_PERIODS))[0] == QUARTERS
    assert row.shape[1] == len(QUARTERS)


def test_a_kpi_beyond_the_last_group_is_named(monkeypatch):
    from lfi_xl import contract

    monkeypatch.setattr(contract, "_KPI_TABLE", contract._KPI_TABLE + "47|Tribunals|1|manual|"
                        "Termly|COUNT||47|=\n")
    with pytest.raises(ValueError, match=r"KPI 47 \(Tribunals\): no group: KPI_GROUPS in "
                                         r"lfi_xl/contract.py ends at KPI 46"):
        contract._catalogue()


def test_without_an_agreement_nothing_assumes_one(tmp_path, capsys):
    plan, kpis = new_council(tmp_path, "--no-safety-valve")
    for path in (plan, kpis):
        text = package_text(path)
        # the one mention: Settings' own row saying there is no agreement
        found = re.findall(r"<t>([^<]*(?:Safety Valve|safety valve|the agreement)[^<]*)</t>",
                           text)
        assert all(line.startswith(("Safety Valve agreement", "Yes when the council has",
                                    "What the council calls its Safety Valve programme"))
                   for line in found), found
    book = WorkbookValues(plan)
    assert book.area(c.plan_line_name("dfe_contribution")) is None
    assert main(["dfe-return", "--kpi", str(kpis), "--plan", str(plan), "--draft",
                 "-o", str(tmp_path / "dfe")]) == 1
    assert "no Safety Valve agreement" in capsys.readouterr().err
    assert not (tmp_path / "dfe").exists()
