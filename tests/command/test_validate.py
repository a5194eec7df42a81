"""Validate entries: a good workbook has no errors; each seeded defect is found at its cell."""

import json

import pytest
from helpers import edit

from lfi_xl.actions.validate import validate
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main


def findings(path):
    return validate(WorkbookValues(path))


def at(found, sheet, cell, rule=None, severity="error"):
    return [f for f in found if (f.sheet, f.cell) == (sheet, cell) and f.severity == severity
            and (rule is None or f.rule == rule)]


def test_the_shipped_workbooks_have_no_errors(kpi_book, plan_book, capsys):
    assert main(["validate", str(kpi_book), str(plan_book), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    assert [f for f in found if f["severity"] == "error"] == []
    assert set(found[0]) >= {"severity", "sheet", "cell", "rule", "message"}
    # The money actually received differs from the agreed profile (illustrative: the
    # 2023-24 DfE payment withheld): a warning, at the cell.
    assert any(f["rule"] == "contribution" and f["cell"] == "C28" for f in found)



def test_a_blank_plan_data_cell_is_listed_once_with_the_figure_to_bring_in(
        kpi_book, plan_book, capsys):
    """Checked against the plan workbook, a blank Plan Data cell is one finding (the
    forecast's figure and how to bring it in), not a second 'missing' at the same cell."""
    edit(kpi_book, "Plan Data", {"E6": None})
    assert main(["validate", str(kpi_book), str(plan_book), "--json"]) == 1
    found = [f for f in json.loads(capsys.readouterr().out)["findings"]
             if (f["sheet"], f["cell"]) == ("Plan Data", "E6")]
    assert [f["rule"] for f in found] == ["plan data"]
    assert "-9.015" in found[0]["message"]
    assert main(["freeze", "--kpi", str(kpi_book), "--plan", str(plan_book),
                 "--period", "2023-24 Q3", "--by", "A B"]) == 1
    assert "1 validation error(s)" in capsys.readouterr().err


# One defect a case, on the shipped KPI workbook (which has none): exactly these findings
# (severity, sheet, cell, rule), nothing else flagged.
ONE_DEFECT = [
    ("KPIs", {"I8": "TBC"}, {("error", "KPIs", "I8", "number")}),
    # KPI 1 is termly; KPI 2 (row 9) is computed from it, so it has no figure either.
    ("KPIs", {"J8": None}, {("error", "KPIs", "J8", "missing"),
                            ("error", "KPIs", "J9", "error")}),
    ("KPIs", {"I10": None}, {("error", "KPIs", "I10", "missing")}),   # annual KPI 3
    ("KPIs", {"H9": None}, {("error", "KPIs", "H9", "baseline")}),
    ("Conditions", {"C5": "Green"}, {("error", "Conditions", "C5", "rag")}),
    ("Conditions", {"D6": None}, {("error", "Conditions", "D6", "missing")}),
    ("Narrative", {"C5": None}, {("warning", "Narrative", "C5", "narrative")}),
    ("Plan Data", {"D10": "n/a"}, {("error", "Plan Data", "D10", "number")}),
    ("Placements", {"B7": "Boarding"}, {("error", "Placements", "B7", "placement")}),
    ("Placements", {"A8": "P00001"}, {("error", "Placements", "A8", "duplicate")}),
    ("Placements", {"G5": -5}, {("error", "Placements", "G5", "placement")}),
    ("Placements", {"C9": "Over 16"}, {("error", "Placements", "C9", "placement")}),
    ("Placements", {"E10": "01/09/2023"}, {("error", "Placements", "E10", "number")}),
    ("Placements", {"F6": 40000, "E6": 45000}, {("error", "Placements", "F6", "placement")}),
]


@pytest.mark.parametrize("sheet,cells,expected", ONE_DEFECT,
                         ids=[f"{sheet}!{','.join(cells)}" for sheet, cells, _ in ONE_DEFECT])
def test_one_defect_gives_exactly_its_findings(kpi_book, sheet, cells, expected):
    edit(kpi_book, sheet, cells)
    found = {(f.severity, f.sheet, f.cell, str(f.rule)) for f in findings(kpi_book)
             if f.severity != "info"}
    assert found == expected


def test_kpi_entries(kpi_book):
    edit(kpi_book, "KPIs", {"I8": "TBC", "J8": None, "I10": None, "K13": "£1,234",
                            "K14": "#N/A", "H9": None})
    found = findings(kpi_book)
    assert "'TBC'" in at(found, "KPIs", "I8", "number")[0].message
    assert at(found, "KPIs", "J8", "missing")          # termly KPI 1, 2023-24 Q2
    assert at(found, "KPIs", "I10", "missing")         # annual KPI 3, once in 2023-24
    assert "number typed as text" in at(found, "KPIs", "K13", "number")[0].message
    assert "#N/A" in at(found, "KPIs", "K14", "number")[0].message
    assert at(found, "KPIs", "H9", "baseline")


def test_conditions_narrative_and_plan_data(kpi_book):
    edit(kpi_book, "Conditions", {"C5": "Green", "D6": None})
    edit(kpi_book, "Narrative", {"C5": None})
    edit(kpi_book, "Plan Data", {"D10": "n/a"})
    found = findings(kpi_book)
    assert "R, A or G" in at(found, "Conditions", "C5", "rag")[0].message
    assert at(found, "Conditions", "D6", "missing")
    assert at(found, "Narrative", "C5", "narrative", "warning")
    assert at(found, "Plan Data", "D10", "number")


def test_placements(kpi_book):
    edit(kpi_book, "Placements", {"G5": -5, "F6": 40000, "E6": 45000, "B7": "Boarding",
                                  "A8": "P00001", "C9": "Over 16", "E10": "01/09/2023"})
    found = findings(kpi_book)
    assert at(found, "Placements", "G5", "placement")
    assert "before the start" in at(found, "Placements", "F6", "placement")[0].message
    assert "Boarding" in at(found, "Placements", "B7", "placement")[0].message
    assert "A5" in at(found, "Placements", "A8", "duplicate")[0].message
    assert at(found, "Placements", "C9", "placement")
    assert at(found, "Placements", "E10", "number")


def test_stale_values_and_averages_with_no_placements(kpi_book):
    # A cost changed without recalculating: the KPIs computed from it are stale.
    edit(kpi_book, "Placements", {"G5": 999_999})
    found = findings(kpi_book)
    assert at(found, "KPIs", "I22", "stale")  # KPI 15, 2023-24 Q1
    # The one new independent placement aged 16+ in 2023-24 Q1 becomes under 16: the
    # average shown for KPI 37 in Q1 now has n = 0 behind it.
    values = WorkbookValues(kpi_book).values
    from lfi_xl.book.area import parse_area
    band = values(parse_area("Placements!A5:C700"))
    row = next(i for i, (pid, _cat, _age) in enumerate(band) if pid == "P00602")
    edit(kpi_book, "Placements", {"G5": values(parse_area("Placements!G5"))[0][0],
                                  f"C{5 + row}": "Under 16"})
    assert at(findings(kpi_book), "KPIs", "I44", "n=0")


def test_plan_entries(plan_book):
    edit(plan_book, "Plan", {"C7": "£1,234", "B8": 8.529, "D22": 172.112})
    found = findings(plan_book)
    assert "£1,234" in at(found, "Plan", "C7", "number")[0].message
    assert "negative" in at(found, "Plan", "B8", "sign")[0].message
    total = at(found, "Plan", "D22", "total")[0].message
    assert "Total Expenditure 2024/25" in total and "real difference" in total


def test_rounding_is_reported_as_information(plan_book):
    edit(plan_book, "Plan", {"C9": -144.228})  # the printed total income, 2023/24
    found = findings(plan_book)
    assert not at(found, "Plan", "C9", severity="error")
    assert "rounding" in at(found, "Plan", "C9", "rounding", "info")[0].message


def test_unreadable_files_exit_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "old.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert main(["validate", str(bad)]) == 2
    out = capsys.readouterr()
    assert "Excel 97-2003" in out.out and "Traceback" not in out.out + out.err


def test_a_safety_valve_council_without_conditions_is_told_the_dfe_return_needs_them(
        tmp_path, capsys):
    """A new council's Conditions sheet is empty: validate says so (a warning: the Forum
    paper does not need them), naming the first row to type in, before the DfE return
    refuses for it."""
    assert main(["new", str(tmp_path / "b"), "--authority", "Borsetshire County Council",
                 "--reports", "4", "--first-year", "2024-25", "--last-year", "2028-29"]) == 0
    capsys.readouterr()
    main(["validate", str(tmp_path / "b" / "kpi.xlsx"), "--json"])
    found = [f for f in json.loads(capsys.readouterr().out)["findings"]
             if f["sheet"] == "Conditions"]
    assert [(f["severity"], f["cell"], f["rule"]) for f in found] == [
        ("warning", "A5", "missing")]
    assert found[0]["message"].startswith("The Conditions sheet lists no conditions")
    # with --no-safety-valve there is no agreement, so no conditions to list
    assert main(["new", str(tmp_path / "n"), "--authority", "Borsetshire County Council",
                 "--reports", "4", "--first-year", "2024-25", "--last-year", "2028-29",
                 "--no-safety-valve"]) == 0
    capsys.readouterr()
    main(["validate", str(tmp_path / "n" / "kpi.xlsx"), "--json"])
    assert not [f for f in json.loads(capsys.readouterr().out)["findings"]
                if f["sheet"] == "Conditions"]
