"""LibreOffice, an independent engine, opens our workbooks and agrees with our values.

LibreOffice does not know the LFI_ functions (it shows #NAME? for them and for what
depends on them), so it checks every native formula; the LFI_ ones are checked against
the core in test_workbooks.py. CI installs LibreOffice (.ci/run): these tests run there.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from lfi_xl import contract as c
from lfi_xl.actions.recalc import evaluate
from lfi_xl.adapters import libreoffice
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import ErrorValue, parse_area

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"


@pytest.mark.parametrize("name", [c.PLAN_WORKBOOK, c.KPI_WORKBOOK])
def test_libreoffice_recalculates_native_formulas_as_we_do(name, tmp_path):
    source = SHIPPED / name
    ours = evaluate(source).values
    converted = libreoffice.convert(source, "xlsx", tmp_path, recalc="always")
    theirs = WorkbookValues(converted)
    formulas = {(f.sheet, f.cell): f.text for f in wx.formulas(Package.read(source))}
    compared = 0
    for (sheet, address), value in ours.items():
        if "LFI_" in formulas.get((sheet, address), "LFI_"):
            continue
        got = theirs.values(parse_area(f"'{sheet}'!{address}"))[0][0]
        if isinstance(got, ErrorValue):
            assert got == "#NAME?", (sheet, address, got)  # depends on an LFI_ cell
            continue
        if value == "":
            assert got in (None, ""), (sheet, address)
        else:
            assert got == pytest.approx(value, abs=1e-9), (sheet, address)
        compared += 1
    # Plan: totals, in-year, Monitoring; KPIs: the 10 plan KPIs in 3 reported periods.
    assert compared >= (100 if name == c.PLAN_WORKBOOK else 30), compared


def test_plan_sheet_renders_as_a_finance_table(tmp_path):
    package = Package.read(SHIPPED / c.PLAN_WORKBOOK)
    wx.strip_formulas(package)  # LibreOffice cannot run LFI_CUMBAL: show the cached values
    copy = tmp_path / "dsg_plan_values.xlsx"
    package.save(copy)
    pdf = libreoffice.convert(copy, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "DSG management plan" in text
    line = next(line for line in text.splitlines()
                if line.strip().startswith("Cumulative Balance") and "without" not in line)
    assert line.split()[-7:] == ["45.613", "59.262", "68.195", "67.620", "56.421", "33.601",
                                 "0.003"]
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "2", "-l", "2", str(pdf),
                    str(tmp_path / "plan")], check=True)
    png = next(tmp_path.glob("plan*.png"))
    assert png.stat().st_size > 10_000
    shutil.copy(png, tmp_path / "look-at-me.png")


def test_libreoffice_reads_the_registers_as_excel_tables(kpi_book, tmp_path):
    """The registers are Excel tables and their names refer to table columns: LibreOffice
    resolves both (names and structured references in formulas) to the cells we do."""
    from lfi_xl.adapters.files.writer import FileWorkbook

    book = FileWorkbook(kpi_book)
    checks = {"E5": "=SUM(Placements_AnnualCost)", "E6": "=SUM(Placements[Annual cost (£)])",
              "E7": '=COUNTIFS(Placements[Category],"Independent special school")',
              # (the savings columns are LFI_SAVING: #NAME? in LibreOffice)
              "E8": "=SUM(Mitigations_BaseVolume)",
              "E9": '=COUNTIF(Placements[Placement ID],"<>")',
              "E10": "=SUMIFS(Mitigations[Baseline placements],Mitigations[Report period],"
                     '"2023-24 Q1")'}
    book.set_formulas(c.SETTINGS, checks)
    book.save(backup=False)
    ours = evaluate(kpi_book).values
    converted = libreoffice.convert(kpi_book, "xlsx", tmp_path / "lo", recalc="always")
    theirs = WorkbookValues(converted)
    for address in checks:
        got = theirs.values(parse_area(f"'{c.SETTINGS}'!{address}"))[0][0]
        assert got == pytest.approx(ours[(c.SETTINGS, address)], abs=1e-6), address
    assert ours[(c.SETTINGS, "E9")] == 609  # every placement of the table, none beyond
    assert ours[(c.SETTINGS, "E5")] == ours[(c.SETTINGS, "E6")] > 0
