"""Freeze locks only the frozen period's cells, on any workbook: a council's own KPI
workbook (every cell locked by default, as Excel makes them, and no sheet protected) keeps
its other periods' columns editable; a sheet that was protected keeps its other cells as
they were."""

import re
import zipfile
from pathlib import Path

from helpers import locks, protected
from lxml import etree

from lfi_xl.adapters.files.writer import FileWorkbook
from lfi_xl.cli import main


def as_a_council_made_it(path: Path) -> None:
    """Every cell locked (Excel's default style) and no sheet protected: a workbook the
    council built itself, not our template with its input cells pre-unlocked."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/styles.xml"] = re.sub(rb'<protection locked="(0|false)"[^>]*/>', b"",
                                    parts["xl/styles.xml"])
    for name in parts:
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = re.sub(rb"<sheetProtection[^>]*/>", b"", parts[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_freeze_on_a_councils_own_workbook_locks_only_the_period(kpi_book, capsys):
    as_a_council_made_it(kpi_book)
    sheet = "KPIs"
    assert not protected(kpi_book, sheet) and all(locks(kpi_book, sheet).values())
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q1", "--by", "A. Finance"]) == 0
    capsys.readouterr()
    assert protected(kpi_book, sheet)
    after = locks(kpi_book, sheet, extra=("AZ500", "B9999"))
    locked = sorted(address for address, is_locked in after.items() if is_locked)
    assert locked, "the frozen period's cells are locked"
    assert len({re.match(r"[A-Z]+", a).group() for a in locked}) == 1  # one column
    assert not after["AZ500"] and not after["B9999"]  # empty cells, rows and columns
    period_column = re.match(r"[A-Z]+", locked[0]).group()
    rows = [int(re.search(r"\d+", a).group()) for a in locked]
    next_column = chr(ord(period_column) + 1)
    assert not any(after.get(f"{next_column}{row}", False) for row in rows)  # next period
    # Excel's protection keeps the sheet usable: the same widths for the columns we styled
    sheet_xml = zipfile.ZipFile(kpi_book).read("xl/worksheets/sheet2.xml")
    assert b"<cols>" in sheet_xml or b"<cols " in sheet_xml


def test_a_protected_sheet_keeps_its_other_cells_as_they_were(kpi_book, tmp_path):
    sheet = "KPIs"
    writer = FileWorkbook(kpi_book)
    writer.lock(sheet, ["I6"])  # the first freeze protects the sheet
    writer.save(backup=False)
    before = locks(kpi_book, sheet)
    assert protected(kpi_book, sheet) and before["I6"] and not before["J6"]
    writer = FileWorkbook(kpi_book)
    writer.lock(sheet, ["I7:I8"])
    writer.save(backup=False)
    after = locks(kpi_book, sheet)
    assert all(after[a] for a in ("I6", "I7", "I8"))
    changed = {a for a in before if before[a] != after.get(a) and a not in ("I7", "I8")}
    assert changed == set()


def test_an_unprotected_sheet_gets_protection_with_only_the_cells_asked_locked(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B2"] = "label", 5
    ws.column_dimensions["C"].width = 30
    path = tmp_path / "own.xlsx"
    wb.save(path)
    writer = FileWorkbook(path)
    writer.lock("Sheet", ["B2", "D4"])  # D4 does not exist yet: it is made, locked
    writer.save(backup=False)
    result = locks(path, "Sheet", extra=("C1", "Z9", "XFD1048576"))
    assert protected(path, "Sheet")
    assert {a for a, is_locked in result.items() if is_locked} == {"B2", "D4"}
    root = etree.fromstring(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"))
    widths = {c.get("min"): c.get("width") for c in root.iterfind(".//{*}col")}
    assert float(widths["3"]) == 30  # the user's own column width kept
