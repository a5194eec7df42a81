"""The Excel tables (ListObjects) of a workbook file: ``xl/tables/tableN.xml``, each found
through its sheet's relationships."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.book import structured
from lfi_xl.book.area import parse_area
from lfi_xl.book.structured import ExcelTable

_TABLE_TYPE = "/table"


def _table_parts(read: Callable[[str], bytes | None], sheets
                 ) -> Iterator[tuple[wx.SheetInfo, str, bytes]]:
    """(sheet, part, bytes) of every table part, found through each sheet's
    relationships; ``read(part)`` gives a package part's bytes (or None)."""
    for info in sheets:
        folder, name = posixpath.split(info.part)
        rels = read(f"{folder}/_rels/{name}.rels")
        if not rels:
            continue
        for rel in wx.parse(rels).iter(f"{{{wx.PKG_REL}}}Relationship"):
            if not rel.get("Type", "").endswith(_TABLE_TYPE):
                continue
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            data = read(part)
            if data:
                yield info, part, data


def excel_tables(read: Callable[[str], bytes | None], sheets) -> list[ExcelTable]:
    """Every table of the workbook; ``read(part)`` gives a package part's bytes (or None)."""
    found = []
    for info, _part, data in _table_parts(read, sheets):
        root = wx.parse(wx.transitional_part(data))   # Strict OOXML too
        area = parse_area(f"'{info.name.replace(chr(39), chr(39) * 2)}'!{root.get('ref')}")
        if area is None:
            continue
        columns = tuple(column.get("name") or "" for column in
                        root.iterfind("m:tableColumns/m:tableColumn", wx.NS))
        found.append(ExcelTable(root.get("displayName") or root.get("name"), info.name,
                                area, columns, int(root.get("headerRowCount", "1")),
                                int(root.get("totalsRowCount", "0"))))
    return found


def with_plain_references(package: Package) -> Package:
    """A copy of ``package`` whose defined names and formulas name plain ranges instead of
    table columns (``Placements[Start date]`` -> ``Placements!$E$5:$E$613``), for a formula
    engine that does not know Excel tables. The user's file keeps its own text."""
    sheets = wx.sheets(package)
    tables = structured.by_name(excel_tables(package.parts.get, sheets))
    if not tables:
        return package
    parts = dict(package.parts)
    workbook = wx.parse(parts["xl/workbook.xml"])
    for name in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
        if name.text and "[" in name.text:
            name.text = structured.translate(name.text, tables)
    parts["xl/workbook.xml"] = wx.serialize(workbook)
    for info in sheets:
        if info.part not in parts or b"[" not in parts[info.part]:
            continue  # no table reference in it (a register of values is not parsed)
        root = wx.parse(parts[info.part])
        changed = False
        for formula in root.iterfind("m:sheetData/m:row/m:c/m:f", wx.NS):
            if formula.text and "[" in formula.text:
                row = int("".join(ch for ch in formula.getparent().get("r") if ch.isdigit()))
                formula.text = structured.translate(formula.text, tables, info.name, row)
                changed = True
        if changed:
            parts[info.part] = wx.serialize(root)
    return Package(parts)


def table_parts(package: Package) -> dict[str, tuple[str, str]]:
    """Each table's display name (upper case) -> (its part, its sheet's name)."""
    found = {}
    for info, part, data in _table_parts(package.parts.get, wx.sheets(package)):
        root = wx.parse(data)
        found[(root.get("displayName") or root.get("name") or "").upper()] = (part, info.name)
    return found


def calculated_columns(package: Package, part: str) -> dict[int, str]:
    """A table's calculated columns: 0-based column within the table -> the formula Excel
    gives each new row (``calculatedColumnFormula``, structured references as written)."""
    root = wx.parse(package.parts[part])
    found = {}
    for index, column in enumerate(root.iterfind("m:tableColumns/m:tableColumn", wx.NS)):
        formula = column.find("m:calculatedColumnFormula", wx.NS)
        if formula is not None and formula.text:
            found[index] = formula.text
    return found


def set_table_ref(package: Package, part: str, ref: str) -> None:
    """Move a table's range (and its filter's) to ``ref``, as Excel's Resize Table does."""
    root = wx.parse(package.parts[part])
    root.set("ref", ref)
    auto = root.find("m:autoFilter", wx.NS)
    if auto is not None:
        auto.set("ref", ref)
    package.parts[part] = wx.serialize(root)
