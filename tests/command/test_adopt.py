"""lfi-xl adopt, and the commands on a council's own workbooks (no lfi-xl names)."""

import zipfile

import openpyxl
import pytest
from helpers import council_kpis, council_plan

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import parse_area
from lfi_xl.cli import main


def parts(path):
    archive = zipfile.ZipFile(path)
    return {name: archive.read(name) for name in archive.namelist()}


def test_commands_work_on_council_workbooks_as_found(tmp_path, capsys):
    plan, kpis = council_plan(tmp_path / "plan.xlsx"), council_kpis(tmp_path / "kpis.xlsx")
    assert main(["validate", str(plan), str(kpis)]) == 0
    out = capsys.readouterr().out
    assert "checked as typed" in out
    assert main(["extract", "--kpi", str(kpis), "--plan", str(plan), "-o", str(tmp_path),
                 "--no-pdf"]) == 0
    extract = openpyxl.load_workbook(tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx")
    rows = list(extract["KPIs"].iter_rows(min_row=5, max_row=19, values_only=True))
    assert [row[1] for row in rows] == list(c.FORUM_DEFAULT_REFS)
    assert rows[4][4] == pytest.approx(34.149)  # KPI 16, in-year 2023-24 (the forecast)


def test_adopt_writes_names_and_settings_and_keeps_everything_else(tmp_path, capsys):
    plan, kpis = council_plan(tmp_path / "plan.xlsx"), council_kpis(tmp_path / "kpis.xlsx")
    # new sheets: Settings; Line kinds for a plan, Conditions and Narrative for KPIs
    for path, sheets in ((plan, 2), (kpis, 3)):
        original, before = path.read_bytes(), parts(path)
        assert main(["adopt", str(path), "--authority", "Norfolk County Council"]) == 0
        assert path.with_name(path.name + ".bak").read_bytes() == original
        after = parts(path)
        changed = {name for name in before if before[name] != after.get(name)}
        assert changed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                           "[Content_Types].xml"}, changed
        assert len(set(after) - set(before)) == sheets
    out = capsys.readouterr().out
    # each label as the workbook has it, then the plan line it was taken for
    assert "  'DSG Plan 2023'!C10 'High Needs Block DSG income*': taken as the plan line " \
           "'High Needs Block DSG allocation' (confidence 100%)" in out
    assert "  'DSG Plan 2023'!C28 'In year deficit/(surplus) ¹': taken as the plan line " \
           "'In-year +deficit/-surplus' (confidence 100%)" in out
    assert "  'LFI KPIs'!C8 'Actual EHCPs': KPI 1 (confidence 100%)" in out
    assert "Defined names written: 22 (such as Plan_Years and Plan_in_year)" in out
    assert "hnb_dsg_income" not in out and "--" not in out and "NOT FOUND" not in out
    book = WorkbookValues(plan)
    in_year = parse_area(book.names[c.plan_line_name("in_year")])
    assert (in_year.sheet, in_year.ref) == ("DSG Plan 2023", "D28:J28")
    assert book.area(c.setting_name("LAName")) is not None
    kpi_names = WorkbookValues(kpis).names
    assert {c.kpi_name(ref) for ref in range(1, 47)} <= set(kpi_names)
    # From now on the workbooks pass validation and make the extract, and freeze works.
    assert main(["validate", str(plan), str(kpis)]) == 0
    assert main(["extract", "--kpi", str(kpis), "--plan", str(plan), "-o", str(tmp_path),
                 "--no-pdf"]) == 0
    assert main(["freeze", str(kpis), "--period", "2023-24 Q3", "--by", "x"]) == 0
    assert main(["verify", str(kpis)]) == 0


def test_adopt_refuses_a_workbook_without_the_tables(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Budget notes"
    path = tmp_path / "other.xlsx"
    wb.save(path)
    before = path.read_bytes()
    assert main(["adopt", str(path)]) == 2
    message = capsys.readouterr().err
    assert "'High Needs Block DSG Income'" in message and "'Ref'" in message
    assert path.read_bytes() == before
