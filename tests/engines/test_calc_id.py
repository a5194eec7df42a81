"""Every workbook lfi-xl builds or writes carries current Excel's calculation engine id.

Excel fully recalculates a workbook whose ``calcPr/@calcId`` is older than its own engine
when it opens it (ECMA-376 Part 1, 18.2.2): with openpyxl's 124519 (Excel 2007) every
LFI_ cell would call Python at once, or show #NAME? without the add-in, instead of the
cached value README promises. Excel 2019, 2021, 2024 and Microsoft 365 write 191029.
"""

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from lfi_xl.adapters.files.package import EXCEL_CALC_ID, Package, with_current_calc_id
from lfi_xl.cli import main

ROOT = Path(__file__).resolve().parents[2]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def calc_pr(path: Path) -> dict:
    root = etree.fromstring(zipfile.ZipFile(path).read("xl/workbook.xml"))
    return dict(root.find(f"{MAIN}calcPr").attrib)


def cached_formulas(path: Path) -> tuple[int, int]:
    """(formula cells, of them with a cached value) over every sheet."""
    total = cached = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                for cell in re.findall(rb"<c [^>]*>(.*?)</c>", archive.read(name)):
                    if b"<f" in cell:
                        total += 1
                        cached += b"<v>" in cell or b"<is>" in cell
    return total, cached


@pytest.mark.parametrize("name", ["template_kpi.xlsx", "dsg_plan.xlsx"])
def test_shipped_workbooks_carry_current_excels_calc_id_and_cached_values(name):
    path = ROOT / "workbooks" / name
    assert EXCEL_CALC_ID == 191029
    assert calc_pr(path) == {"calcId": "191029", "fullCalcOnLoad": "0"}
    total, cached = cached_formulas(path)
    assert total > 100 and cached == total


def _with_calc_id(source: Path, target: Path, calc_id: str) -> Path:
    package = Package.read(source)
    package.parts["xl/workbook.xml"] = package.parts["xl/workbook.xml"].replace(
        b'calcId="191029"', f'calcId="{calc_id}"'.encode())
    with open(target, "wb") as handle:  # not through save(), which would stamp it
        handle.write(package.to_bytes())
    return target


def test_a_frozen_workbook_of_excel_2007_is_written_with_current_calc_id(kpi_book, tmp_path):
    old = _with_calc_id(kpi_book, tmp_path / "old.xlsx", "124519")
    assert calc_pr(old)["calcId"] == "124519"
    before = cached_formulas(old)
    assert main(["freeze", str(old), "--period", "2023-24 Q1", "--by", "A. Finance"]) == 0
    assert calc_pr(old)["calcId"] == "191029"
    assert cached_formulas(old) == before  # values kept


def test_recalc_output_and_extract_carry_it_too(kpi_book, plan_book, tmp_path):
    old = _with_calc_id(kpi_book, tmp_path / "old.xlsx", "124519")
    assert main(["recalc", str(old), "-o", str(tmp_path / "recalculated.xlsx")]) in (0, 1)
    assert calc_pr(tmp_path / "recalculated.xlsx")["calcId"] == "191029"
    assert main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "-o",
                 str(tmp_path / "out"), "--no-pdf"]) == 0
    (extract,) = (tmp_path / "out").glob("*.xlsx")
    assert calc_pr(extract)["calcId"] == "191029"


def test_a_newer_calc_id_is_kept_and_a_missing_calc_pr_is_added_in_schema_order():
    newer = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<sheets/><calcPr calcId="200000"/></workbook>')
    assert with_current_calc_id(newer) == newer
    missing = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b"<sheets/><definedNames/><extLst/></workbook>")
    root = etree.fromstring(with_current_calc_id(missing))
    assert [etree.QName(child).localname for child in root] == [
        "sheets", "definedNames", "calcPr", "extLst"]
    assert root.find(f"{MAIN}calcPr").get("calcId") == "191029"

