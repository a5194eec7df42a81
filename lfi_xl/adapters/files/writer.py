"""Changing a user's workbook file part by part, keeping everything else byte for byte.

The macros need a few kinds of change: add or replace a sheet of our own (Validation,
Audit), add rows to a table and extend its defined name (Snapshots), set a few cells
(a snapshot's status) and lock cells behind sheet protection (a frozen period). Each is
done on the package XML: the parts a change does not concern are never re-written, so
charts, images, pivot tables, comments and anything else lfi-xl does not know survive
exactly. New cells hold inline strings, so the shared-strings part is left alone.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book import page_setup
from lfi_xl.book.area import (
    Area,
    absolute,
    column_letter,
    last_typed_row,
    parse_area,
    parse_areas,
    row_typed,
)
from lfi_xl.book.area import column_index as column_index_from_string
from lfi_xl.book.area import split_cell as coordinate_from_string
from lfi_xl.core.text import storable_text
from lfi_xl.errors import Refused, UnusableInput, quote_sheet

M = f"{{{wx.MAIN}}}"
_WORKSHEET_TYPE = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                   "worksheet")
_WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# Where sheetProtection goes among a worksheet's children (the schema fixes the order).
_BEFORE_PROTECTION = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols",
                      "sheetData", "sheetCalcPr")


def _cell(address: str, value) -> etree._Element:
    cell = etree.Element(f"{M}c", r=address)
    if value is None or value == "":
        return cell
    if isinstance(value, bool):
        cell.set("t", "b")
        etree.SubElement(cell, f"{M}v").text = "1" if value else "0"
    elif isinstance(value, int | float):
        number = float(value)
        etree.SubElement(cell, f"{M}v").text = (
            str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number))
    else:
        # Always text, never a formula: a value starting with = + - @ stays as typed.
        cell.set("t", "inlineStr")
        text = etree.SubElement(etree.SubElement(cell, f"{M}is"), f"{M}t")
        text.text = storable_text(str(value))
        if text.text != text.text.strip():
            text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return cell


def _row(number: int, values, first_column: int = 1) -> etree._Element:
    row = etree.Element(f"{M}row", r=str(number))
    for offset, value in enumerate(values):
        row.append(_cell(f"{column_letter(first_column + offset)}{number}", value))
    return row


#: The defined names Excel keeps a sheet's print area and repeated rows and columns in
#: (sheet-scoped).
PRINT_AREA, PRINT_TITLES = "_xlnm.Print_Area", "_xlnm.Print_Titles"


def _wrapping(xf: etree._Element, default: etree._Element) -> bool:
    """Whether the cell format ``xf`` is the default one (``default``) wrapping its text
    at the top left of the cell: how lfi-xl's own sheets show their cells (a number left
    too, clear of the text or hash in the column after it)."""
    alignment = xf.find("m:alignment", wx.NS)
    return (alignment is not None and alignment.get("wrapText") in ("1", "true")
            and alignment.get("vertical") == "top" and alignment.get("horizontal") == "left"
            and all(xf.get(key, "0") == default.get(key, "0")
                    for key in ("numFmtId", "fontId", "fillId", "borderId"))
            and xf.find("m:protection", wx.NS) is None)


def _fit_height(row: etree._Element, values: list[Any], widths: list[float]) -> None:
    """The row as tall as its wrapped text needs (LibreOffice and Excel keep a file's row
    heights as they are)."""
    height = page_setup.row_height(values, widths)
    if height is not None:
        row.set("ht", str(height))
        row.set("customHeight", "1")


def _widths(root: etree._Element) -> list[float]:
    """The sheet's column widths from column A, Excel's default where none is set."""
    found: dict[int, float] = {}
    for entry in root.iterfind("m:cols/m:col", wx.NS):
        for index in range(int(entry.get("min")), min(int(entry.get("max")), 1000) + 1):
            found[index] = float(entry.get("width", "8.43"))
    return [found.get(index, 8.43) for index in range(1, max(found, default=0) + 1)]


def _page_setup(root: etree._Element, widths: list[float]) -> None:
    """A sheet of lfi-xl's own printed as the builder's are: its margins, A4 landscape at
    the scale its columns allow (85-100%), across then down, the footer."""
    margins = page_setup.MARGINS
    etree.SubElement(root, f"{M}pageMargins", **{key: str(value)
                                                 for key, value in margins.items()})
    etree.SubElement(root, f"{M}pageSetup", paperSize="9", orientation="landscape",
                     scale=str(page_setup.scale(widths)), pageOrder="overThenDown")
    etree.SubElement(etree.SubElement(root, f"{M}headerFooter"),
                     f"{M}oddFooter").text = page_setup.FOOTER


class FileWorkbook:
    """A workbook file opened for the macros: read by name, changed part by part."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.reader = WorkbookValues(self.path)  # checks the file
        self._changed: set[str] = set()  # sheets whose cells changed since the reader was made
        self.package = Package.read(self.path, checked=True, lazy=True)
        if wx.is_strict(self.package):
            raise UnusableInput(
                f"{self.path}: is saved as Strict Open XML, which lfi-xl reads but does not "
                "change: in Excel, File > Save As > Excel Workbook (*.xlsx), then run this "
                "again (nothing was changed)")

    # -- reading (the adapter interface) ---------------------------------------------
    @property
    def label(self) -> str:
        return str(self.path)

    def area(self, name: str) -> Area | None:
        return self.reader.area(name)

    @property
    def notes(self) -> list[str]:
        """A file's cells are always locked and unlocked as asked: nothing to say."""
        return []

    def _current(self) -> WorkbookValues:
        """The reader, re-made from the package if cells were written since; a sheet not
        written keeps the values already read (a register is not read again), and names
        are kept up to date as they are written, so reading them needs no re-making."""
        if self._changed:
            old = self.reader
            self.reader = WorkbookValues(self.path, data=self.package.to_bytes())
            self.reader.names = old.names
            self.reader.keep_read(old, self._changed)
            self._changed = set()
        return self.reader

    def column(self, area: Area) -> list[Any]:
        return self._current().column(area)

    def column_cells(self, area: Area) -> np.ndarray:
        return self._current().column_cells(area)

    def require(self, name: str) -> Area:
        return self.reader.require(name)

    def cell_formats(self, sheet: str,
                     addresses: list[str]) -> dict[str, tuple[str, str] | None]:
        found: dict[str, tuple[str, str] | None] = dict(wx.cell_formats(
            self.package.parts[self._part_of(sheet)], self.package.parts.get("xl/styles.xml"),
            addresses))
        return found

    def values(self, area: Area) -> list[list[Any]]:
        return self._current().values(area)

    @property
    def sheet_names(self) -> list[str]:
        return [info.name for info in wx.sheets(self.package)]

    def sheet_values(self, sheet: str) -> list[list]:
        return self._current().sheet_values(sheet)

    # -- package helpers --------------------------------------------------------------
    def _workbook(self) -> etree._Element:
        return wx.parse(self.package.parts["xl/workbook.xml"])

    def _sheet_part(self, sheet: str) -> str | None:
        for info in wx.sheets(self.package):
            if info.name == sheet:
                return info.part
        return None

    def _part_of(self, sheet: str) -> str:
        """The sheet's part, which must exist."""
        part = self._sheet_part(sheet)
        if part is None:
            raise UnusableInput(f"{self.path}: there is no sheet '{sheet}' in the workbook")
        return part

    def _add_sheet(self, sheet: str, root: etree._Element) -> str:
        parts = self.package.parts
        number = 1
        while f"xl/worksheets/sheet{number}.xml" in parts:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        parts[part] = wx.serialize(root)
        types = wx.parse(parts["[Content_Types].xml"])
        etree.SubElement(types, f"{_CT}Override", PartName=f"/{part}",
                         ContentType=_WORKSHEET_CONTENT)
        parts["[Content_Types].xml"] = wx.serialize(types)
        rels = wx.parse(parts["xl/_rels/workbook.xml.rels"])
        ids = {rel.get("Id") for rel in rels}
        rel_id = next(f"rIdLfi{k}" for k in range(1, 10_000) if f"rIdLfi{k}" not in ids)
        etree.SubElement(rels, f"{{{wx.PKG_REL}}}Relationship", Id=rel_id,
                         Type=_WORKSHEET_TYPE, Target=f"worksheets/sheet{number}.xml")
        parts["xl/_rels/workbook.xml.rels"] = wx.serialize(rels)
        workbook = self._workbook()
        sheets = workbook.find("m:sheets", wx.NS)
        sheet_id = max(int(s.get("sheetId")) for s in sheets) + 1
        etree.SubElement(sheets, f"{M}sheet", name=sheet, sheetId=str(sheet_id)).set(
            f"{{{wx.REL}}}id", rel_id)
        parts["xl/workbook.xml"] = wx.serialize(workbook)
        return part

    def _new_sheet_root(self, rows: list[list], widths: list[float] | None = None,
                        links: dict[str, str] | None = None,
                        wrap: bool = False) -> etree._Element:
        """A sheet of lfi-xl's own: ``rows`` from A1 under a frozen heading row, and the
        page set-up of :mod:`lfi_xl.book.page_setup`; with ``wrap`` each cell wraps its
        text, each row as tall as it needs (a cell style added to the workbook's)."""
        widths = widths or page_setup.widths(rows[0], rows[1:])
        root = etree.Element(f"{M}worksheet", nsmap={None: wx.MAIN, "r": wx.REL})
        views = etree.SubElement(etree.SubElement(root, f"{M}sheetViews"), f"{M}sheetView",
                                 workbookViewId="0")
        etree.SubElement(views, f"{M}pane", ySplit="1", topLeftCell="A2", activePane="bottomLeft",
                         state="frozen")
        cols = etree.SubElement(root, f"{M}cols")
        for index, width in enumerate(widths, start=1):
            etree.SubElement(cols, f"{M}col", min=str(index), max=str(index),
                             width=str(width), customWidth="1")
        data = etree.SubElement(root, f"{M}sheetData")
        style = str(self._wrap_style()) if wrap else None
        for number, values in enumerate(rows, start=1):
            row = _row(number, values)
            if style is not None:
                for cell in row:
                    cell.set("s", style)
                _fit_height(row, values, widths)
            data.append(row)
        if links:
            hyperlinks = etree.SubElement(root, f"{M}hyperlinks")
            for ref, location in links.items():
                etree.SubElement(hyperlinks, f"{M}hyperlink", ref=ref, location=location,
                                 display=location)
        _page_setup(root, widths)
        self._save_styles()
        return root

    def _print_titles(self, sheet: str, widths: list[float]) -> None:
        """The heading row repeated on every printed page of a sheet of lfi-xl's own, and
        its first column on the pages to the right when it is wider than a page."""
        workbook = self._workbook()
        index = str(self.sheet_names.index(sheet))
        names = workbook.find("m:definedNames", wx.NS)
        if names is None:
            names = etree.Element(f"{M}definedNames")
            workbook.find("m:sheets", wx.NS).addnext(names)
        name = next((name for name in names if name.get("name") == PRINT_TITLES
                     and name.get("localSheetId") == index), None)
        if name is None:
            name = etree.SubElement(names, f"{M}definedName", name=PRINT_TITLES,
                                    localSheetId=index)
        quoted = quote_sheet(sheet, always=True)
        name.text = f"{quoted}!$1:$1" + (f",{quoted}!$A:$A"
                                         if page_setup.wider_than_page(widths) else "")
        self.package.parts["xl/workbook.xml"] = wx.serialize(workbook)

    def _wraps(self, index: int) -> bool:
        """Whether cell style ``index`` is lfi-xl's wrapping one (see :meth:`_wrap_style`)."""
        if getattr(self, "_styles", None) is None:
            self._styles = wx.parse(self.package.parts["xl/styles.xml"])
        xfs = self._styles.find("m:cellXfs", wx.NS)
        return 0 <= index < len(xfs) and _wrapping(xfs[index], xfs[0])

    def _wrap_style(self) -> int:
        """The index of the default cell style wrapping its text at the top left of the
        cell (added to the workbook's styles once)."""
        if getattr(self, "_styles", None) is None:
            self._styles = wx.parse(self.package.parts["xl/styles.xml"])
        xfs = self._styles.find("m:cellXfs", wx.NS)
        for index, xf in enumerate(xfs):
            if _wrapping(xf, xfs[0]):
                return index
        clone = copy.deepcopy(xfs[0])
        for child in list(clone):
            clone.remove(child)
        clone.set("applyAlignment", "1")
        etree.SubElement(clone, f"{M}alignment", horizontal="left", vertical="top",
                         wrapText="1")
        xfs.append(clone)
        xfs.set("count", str(len(xfs)))
        return len(xfs) - 1

    def set_name(self, name: str, sheet: str, ref: str) -> None:
        """Create or move a workbook-scoped defined name."""
        workbook = self._workbook()
        names = workbook.find("m:definedNames", wx.NS)
        if names is None:
            names = etree.Element(f"{M}definedNames")
            workbook.find("m:sheets", wx.NS).addnext(names)
        text = f"{quote_sheet(sheet, always=True)}!{absolute(ref)}"
        for element in names:
            if element.get("name") == name and element.get("localSheetId") is None:
                element.text = text
                break
        else:
            etree.SubElement(names, f"{M}definedName", name=name).text = text
        self.package.parts["xl/workbook.xml"] = wx.serialize(workbook)
        self.reader.names[name] = text

    # -- the writes the macros make --------------------------------------------------
    def replace_sheet(self, sheet: str, header: list[Any], rows: list[list[Any]],
                      links: dict[str, str] | None = None,
                      widths: list[float] | None = None) -> None:
        """Write a sheet of our own (adopt's Settings, Line kinds, Conditions and
        Narrative) from scratch, adding it if needed: set up to print as the built sheets,
        its cells in the workbook's default style (the council's styles are left as they
        are: adopt changes nothing but what it writes)."""
        widths = widths or page_setup.widths(list(header), rows)
        root = self._new_sheet_root([list(header), *rows], widths, links)
        part = self._sheet_part(sheet)
        if part is None:
            self._add_sheet(sheet, root)
        else:
            self.package.parts[part] = wx.serialize(root)
        self._print_titles(sheet, widths)

    def append_rows(self, sheet: str, table_name: str, header: list[Any],
                    rows: list[list[Any]]) -> None:
        """Add rows under a table (header + rows named ``table_name``), creating the sheet
        with the header when it does not exist, and extend the name over the new rows."""
        area = self.reader.area(table_name)
        part = self._sheet_part(sheet)
        if part is None:
            widths = page_setup.widths(list(header), rows)
            self._add_sheet(sheet, self._new_sheet_root([list(header)], widths, wrap=True))
            self._print_titles(sheet, widths)
            part = self._part_of(sheet)
            top, first_column, last = 1, 1, 1
        elif area is None:
            raise UnusableInput(f"{self.path}: the sheet {sheet} exists but its defined name "
                                f"{table_name} is missing or broken; lfi-xl will not guess "
                                "where its table is")
        else:
            top, first_column, last = area.min_row, area.min_col, area.max_row
        root = wx.parse(self.package.parts[part])
        data = root.find("m:sheetData", wx.NS)
        existing = {int(row.get("r")): row for row in data.iterfind("m:row", wx.NS)}
        for number in range(last + 1, last + 1 + len(rows)):
            if number in existing and len(existing[number]):
                raise Refused(f"{self.path}: {sheet}!{number}:{number}, below the "
                              f"{table_name} table, is not empty; lfi-xl will not "
                              "overwrite it: move what is there")
        # a sheet of lfi-xl's own wraps its text: the new rows' cells too, as the row above
        above = [] if last not in existing else list(existing[last].iterfind("m:c", wx.NS))
        wrapping = {coordinate_from_string(cell.get("r"))[0] for cell in above
                    if cell.get("s") is not None and self._wraps(int(cell.get("s")))}
        styles = dict.fromkeys(wrapping, str(self._wrap_style())) if wrapping else {}
        for offset, values in enumerate(rows, start=1):
            number = last + offset
            new = _row(number, values, first_column)
            for cell in new:
                style = styles.get(coordinate_from_string(cell.get("r"))[0])
                if style is not None:
                    cell.set("s", style)
            if styles:
                _fit_height(new, values, _widths(root)[first_column - 1:])
            old = existing.get(number)
            if old is not None:
                old.addprevious(new)
                data.remove(old)
            else:
                later = [r for n, r in existing.items() if n > number]
                if later:
                    min(later, key=lambda r: int(r.get("r"))).addprevious(new)
                else:
                    data.append(new)
        end_row = last + len(rows)
        dimension = root.find("m:dimension", wx.NS)
        if dimension is not None:
            dimension.set("ref", f"A1:{column_letter(first_column + len(header) - 1)}"
                                 f"{max(end_row, _dimension_rows(dimension.get('ref')))}")
        self.package.parts[part] = wx.serialize(root)
        self.set_name(table_name, sheet, f"{column_letter(first_column)}{top}:"
                                         f"{column_letter(first_column + len(header) - 1)}"
                                         f"{end_row}")
        self._changed.add(sheet)

    def take_rows_below(self, table: str) -> tuple[int, int] | None:
        """What Excel does when rows are typed just below the Excel table ``table``: the
        table's range grows over them (its column names with it), each calculated
        column's formula goes into every row of the table where that cell is blank, new
        cells take the format of the cell above, and data validations and the print area
        that ended with the table grow too. Returns (rows taken, formulas written), or
        ``None`` when the workbook has no such table."""
        from lfi_xl.adapters.files import tables_xml

        found = tables_xml.table_parts(self.package).get(table.upper())
        if found is None:
            return None
        part, sheet = found
        table_root = wx.parse(self.package.parts[part])
        area = parse_area(f"{quote_sheet(sheet, always=True)}!{table_root.get('ref')}")
        if area is None:
            return None
        if int(table_root.get("totalsRowCount", "0")):
            raise UnusableInput(f"{self.path}: the table {table} on {sheet} has a totals row: "
                                "rows below it are not the register's; insert rows above "
                                "the totals in Excel")
        values = self.sheet_values(sheet)
        last = last_typed_row(values, area)
        sheet_part = self._part_of(sheet)
        root = wx.parse(self.package.parts[sheet_part])
        taken = last - area.max_row
        written = 0
        calculated = tables_xml.calculated_columns(self.package, part)
        for number in range(area.min_row + 1, last + 1):
            if not row_typed(values, area, number):
                continue  # an empty row of the table: Excel fills it, nothing to compute
            for offset, text in calculated.items():
                address = f"{column_letter(area.min_col + offset)}{number}"
                cell = wx.cell_element(root, address)
                if cell.find("m:f", wx.NS) is not None or (
                        cell.find("m:v", wx.NS) is not None or
                        cell.find("m:is", wx.NS) is not None):
                    continue  # a formula or a value typed over it: kept
                etree.SubElement(cell, f"{M}f").text = text
                written += 1
        if taken:
            above = area.max_row
            for number in range(area.max_row + 1, last + 1):
                for column in range(area.min_col, area.max_col + 1):
                    upper = wx.cell_element(root, f"{column_letter(column)}{above}")
                    cell = wx.cell_element(root, f"{column_letter(column)}{number}")
                    if cell.get("s") is None and upper.get("s") is not None:
                        cell.set("s", upper.get("s"))
            for rule in root.iterfind("m:dataValidations/m:dataValidation", wx.NS):
                rule.set("sqref", " ".join(_grown(ref, area, last)
                                           for ref in rule.get("sqref", "").split()))
            ref = f"{column_letter(area.min_col)}{area.min_row}:" \
                  f"{column_letter(area.max_col)}{last}"
            tables_xml.set_table_ref(self.package, part, ref)
            self._grow_print_area(sheet, area.max_row, last)
        self.package.parts[sheet_part] = wx.serialize(root)
        self._changed.add(sheet)
        if taken:  # the reader resolves table columns from the tables it read
            self.reader = WorkbookValues(self.path, data=self.package.to_bytes())
            self._changed = set()
        return taken, written

    def widen(self, sheet: str, column: int, min_row: int, max_row: int) -> None:
        """Make column ``column + 1`` of rows ``min_row..max_row`` like column ``column``:
        the same formats and width, and the data validations and array formulas that
        ended with ``column`` grown over it (a report period's new column)."""
        part = self._part_of(sheet)
        root = wx.parse(self.package.parts[part])
        left, new = column_letter(column), column_letter(column + 1)
        for number in range(min_row, max_row + 1):
            source = wx.cell_element(root, f"{left}{number}")
            if source.get("s") is not None:
                target = wx.cell_element(root, f"{new}{number}")
                if target.get("s") is None:
                    target.set("s", source.get("s"))
        widths = root.find("m:cols", wx.NS)
        if widths is not None:
            entries = list(widths)
            covering = next((e for e in entries
                             if int(e.get("min")) <= column <= int(e.get("max"))), None)
            taken = any(int(e.get("min")) <= column + 1 <= int(e.get("max")) for e in entries)
            if covering is not None and not taken:
                width = copy.deepcopy(covering)
                width.set("min", str(column + 1))
                width.set("max", str(column + 1))
                later = [e for e in entries if int(e.get("min")) > column + 1]
                if later:
                    later[0].addprevious(width)
                else:
                    widths.append(width)
        for rule in root.iterfind("m:dataValidations/m:dataValidation", wx.NS):
            rule.set("sqref", " ".join(_widened(ref, column) for ref in
                                       rule.get("sqref", "").split()))
        for formula in root.iterfind("m:sheetData/m:row/m:c/m:f[@t='array']", wx.NS):
            ref = formula.get("ref")
            if ref:
                formula.set("ref", _widened(ref, column))
        self.package.parts[part] = wx.serialize(root)
        self._changed.add(sheet)

    def retarget_lists(self, old: Area, new: Area) -> int:
        """Every drop-down (data validation list) offering the cells ``old`` made to offer
        ``new`` (a list grown by a value); returns how many."""
        changed = 0
        for info in wx.sheets(self.package):
            if info.part not in self.package.parts:
                continue
            root = wx.parse(self.package.parts[info.part])
            count = 0
            for formula in root.iterfind("m:dataValidations/m:dataValidation/m:formula1",
                                         wx.NS):
                text = formula.text or ""
                area = parse_area(text.lstrip("="))
                if area is not None and (area.sheet, area.ref) == (old.sheet, old.ref):
                    formula.text = ("=" if text.startswith("=") else "") + \
                        f"{quote_sheet(new.sheet)}!{absolute(new.ref)}"
                    count += 1
            if count:
                self.package.parts[info.part] = wx.serialize(root)
                changed += count
        return changed

    def _grow_print_area(self, sheet: str, old_last: int, last: int) -> None:
        workbook = self._workbook()
        index = str([info.name for info in wx.sheets(self.package)].index(sheet))
        for name in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
            if name.get("name") != PRINT_AREA or name.get("localSheetId") != index:
                continue
            area = parse_area(name.text or "")
            if area is not None and area.max_row == old_last:
                grown = Area(sheet, area.min_row, area.min_col, last, area.max_col)
                name.text = f"{quote_sheet(sheet, always=True)}!{absolute(grown.ref)}"
                self.package.parts["xl/workbook.xml"] = wx.serialize(workbook)

    def set_cells(self, sheet: str, values: dict[str, object]) -> None:
        """Type values into cells (text, numbers or blank), keeping their formats; a
        formula in such a cell is replaced, as when a person types over it."""
        part = self._part_of(sheet)
        root = wx.parse(self.package.parts[part])
        for address, value in values.items():
            cell = wx.cell_element(root, address)
            replacement = _cell(address, value)
            if cell.get("s") is not None:  # keep the cell's format
                replacement.set("s", cell.get("s"))
            cell.addprevious(replacement)
            cell.getparent().remove(cell)
        self.package.parts[part] = wx.serialize(root)
        self._changed.add(sheet)

    def set_formulas(self, sheet: str, formulas: dict[str, str]) -> None:
        """Write formulas (``=...``) into cells, keeping their formats. They have no cached
        value until recalculated (lfi-xl recalc, or F9 in Excel)."""
        part = self._part_of(sheet)
        root = wx.parse(self.package.parts[part])
        for address, text in formulas.items():
            cell = wx.cell_element(root, address)
            replacement = etree.Element(f"{M}c", r=address)
            if cell.get("s") is not None:
                replacement.set("s", cell.get("s"))
            etree.SubElement(replacement, f"{M}f").text = text[1:] if text.startswith(
                "=") else text
            cell.addprevious(replacement)
            cell.getparent().remove(cell)
        self.package.parts[part] = wx.serialize(root)
        self._changed.add(sheet)

    def _print_area_name(self, workbook: etree._Element, sheet: str) -> etree._Element | None:
        index = str(self.sheet_names.index(sheet))
        return next((name for name in workbook.iterfind("m:definedNames/m:definedName", wx.NS)
                     if name.get("name") == PRINT_AREA and name.get("localSheetId") == index),
                    None)

    def print_area(self, sheet: str) -> list[Area] | None:
        """The sheet's print area, its ranges in order; ``None`` when it has none, or one
        that is not ranges of the sheet."""
        name = self._print_area_name(self._workbook(), sheet)
        areas = parse_areas(name.text or "") if name is not None else None
        if areas is None or any(area.sheet != sheet for area in areas):
            return None
        return areas

    def set_print_area(self, sheet: str, areas: list[Area]) -> None:
        """Print ``areas`` of the sheet, in order (each range starts a page)."""
        workbook = self._workbook()
        name = self._print_area_name(workbook, sheet)
        if name is None:
            names = workbook.find("m:definedNames", wx.NS)
            if names is None:
                names = etree.Element(f"{M}definedNames")
                workbook.find("m:sheets", wx.NS).addnext(names)
            name = etree.SubElement(names, f"{M}definedName", name=PRINT_AREA,
                                    localSheetId=str(self.sheet_names.index(sheet)))
        name.text = ",".join(f"{quote_sheet(sheet, always=True)}!{absolute(area.ref)}"
                             for area in areas)
        self.package.parts["xl/workbook.xml"] = wx.serialize(workbook)

    def make_inputs(self, sheet: str, refs: list[str], fill: str) -> None:
        """Style cells as inputs: the input fill, and unlocked, so they can be typed in
        when the sheet is protected (cells already so styled keep their style)."""
        part = self._part_of(sheet)
        root = wx.parse(self.package.parts[part])
        input_style = self._input_styles(fill)
        for address in refs:
            cell = wx.cell_element(root, address)
            cell.set("s", str(input_style(int(cell.get("s", "0")))))
        self.package.parts[part] = wx.serialize(root)
        self._save_styles()

    def _input_styles(self, fill: str):
        """A function: style index -> the index of the same style, filled and unlocked."""
        if getattr(self, "_styles", None) is None:
            self._styles = wx.parse(self.package.parts["xl/styles.xml"])
        fills = self._styles.find("m:fills", wx.NS)
        fill_id = next((k for k, element in enumerate(fills)
                        if (color := element.find("m:patternFill/m:fgColor", wx.NS)) is not None
                        and (color.get("rgb") or "").upper().endswith(fill.upper())), None)
        if fill_id is None:
            pattern = etree.SubElement(etree.SubElement(fills, f"{M}fill"), f"{M}patternFill",
                                       patternType="solid")
            etree.SubElement(pattern, f"{M}fgColor", rgb=f"FF{fill.upper()}")
            etree.SubElement(pattern, f"{M}bgColor", indexed="64")
            fills.set("count", str(len(fills)))
            fill_id = len(fills) - 1
        xfs = self._styles.find("m:cellXfs", wx.NS)
        made: dict[int, int] = {}

        def styled(index: int) -> int:
            if index in made:
                return made[index]
            original = xfs[index]
            protection = original.find("m:protection", wx.NS)
            if (original.get("fillId") == str(fill_id) and protection is not None
                    and protection.get("locked") in ("0", "false")):
                made[index] = index
                return index
            clone = copy.deepcopy(original)
            clone.set("fillId", str(fill_id))
            clone.set("applyFill", "1")
            clone.set("applyProtection", "1")
            protection = clone.find("m:protection", wx.NS)
            if protection is None:
                protection = etree.SubElement(clone, f"{M}protection")
            protection.set("locked", "0")
            xfs.append(clone)
            xfs.set("count", str(len(xfs)))
            made[index] = len(xfs) - 1
            return made[index]

        return styled

    def lock(self, sheet: str, refs: list[str]) -> None:
        """Lock the cells of ``refs`` and switch on sheet protection (no password: it
        guards against slips; the snapshot hashes are what detect an edit). Other cells
        stay as they were; on a sheet that was not protected, every other cell is
        unlocked first (cells, rows and columns), so protecting it locks only ``refs``."""
        part = self._part_of(sheet)
        root = wx.parse(self.package.parts[part])
        wanted = set()
        for ref in refs:
            area = parse_area(f"{quote_sheet(sheet, always=True)}!{ref}")
            if area is None:
                raise ValueError(f"not a cell or range: {ref}")
            wanted |= {(row, col) for row in range(area.min_row, area.max_row + 1)
                       for col in range(area.min_col, area.max_col + 1)}
        locked_style = self._protection_styles(locked=True)
        protection = root.find("m:sheetProtection", wx.NS)
        protected = protection is not None and protection.get("sheet") in ("1", "true")
        inherited = _inherited_styles(root)
        for row, col in wanted:  # a blank cell to lock takes its row's or column's style
            address = f"{column_letter(col)}{row}"
            cell = wx.cell_element(root, address)
            if cell.get("s") is None:
                cell.set("s", str(inherited(row, col)))
        if not protected:
            _unlock_others(root, wanted, self._protection_styles(locked=False))
        for cell in root.iterfind("m:sheetData/m:row/m:c", wx.NS):
            letters, row = coordinate_from_string(cell.get("r"))
            if (row, column_index_from_string(letters)) in wanted:
                cell.set("s", str(locked_style(int(cell.get("s", "0")))))
        if protection is None:
            protection = etree.Element(f"{M}sheetProtection", sheet="1", objects="1",
                                       scenarios="1", formatColumns="0", formatRows="0")
            anchor = root[0]  # sheetData at least comes before it
            for child in root:
                if etree.QName(child).localname in _BEFORE_PROTECTION:
                    anchor = child
            anchor.addnext(protection)
        elif not protected:
            protection.set("sheet", "1")
        self.package.parts[part] = wx.serialize(root)
        self._save_styles()

    def _protection_styles(self, locked: bool):
        """A function: style index -> the index of the same style, locked or unlocked
        (each variant added to the workbook's styles once)."""
        if getattr(self, "_styles", None) is None:
            self._styles = wx.parse(self.package.parts["xl/styles.xml"])
        xfs = self._styles.find("m:cellXfs", wx.NS)
        made = self.__dict__.setdefault("_made_styles", {}).setdefault(locked, {})

        def styled(index: int) -> int:
            if index in made:
                return made[index]
            original = xfs[index]
            protection = original.find("m:protection", wx.NS)
            is_locked = protection is None or protection.get("locked") not in ("0", "false")
            if is_locked == locked:
                made[index] = index
                return index
            clone = copy.deepcopy(original)
            protection = clone.find("m:protection", wx.NS)
            if protection is None:  # before extLst, the one element after it
                protection = etree.Element(f"{M}protection")
                extension = clone.find("m:extLst", wx.NS)
                if extension is None:
                    clone.append(protection)
                else:
                    extension.addprevious(protection)
            protection.set("locked", "1" if locked else "0")
            clone.set("applyProtection", "1")
            xfs.append(clone)
            xfs.set("count", str(len(xfs)))
            made[index] = len(xfs) - 1
            return made[index]

        return styled

    def _save_styles(self) -> None:
        if getattr(self, "_styles", None) is not None:
            self.package.parts["xl/styles.xml"] = wx.serialize(self._styles)

    def save(self, backup: bool = True) -> None:
        """Write the changed workbook over the original (temporary file, then replace;
        the original kept as ``.bak``)."""
        self.package.save(self.path, backup=backup)


#: Excel's stored width of a default column (8.43 characters of Calibri 11), for the
#: columns that get a style of their own when a sheet is first protected.
_DEFAULT_WIDTH = "9.140625"


def _inherited_styles(root: etree._Element):
    """A function: (row, column) -> the style a blank cell there shows: its row's, when
    the row has one, else its column's, else the default (0)."""
    rows = {int(row.get("r")): int(row.get("s", "0"))
            for row in root.iterfind("m:sheetData/m:row", wx.NS)
            if row.get("customFormat") in ("1", "true")}
    columns = [(int(col.get("min")), int(col.get("max")), int(col.get("style", "0")))
               for col in root.iterfind("m:cols/m:col", wx.NS)]

    def inherited(row: int, col: int) -> int:
        if row in rows:
            return rows[row]
        return next((style for first, last, style in columns if first <= col <= last), 0)

    return inherited


def _unlock_others(root: etree._Element, wanted: set[tuple[int, int]], unlocked) -> None:
    """Unlock every cell of a sheet but ``wanted``: the cells written, the rows with a
    style, and every column (the columns without one get the default style, unlocked)."""
    for row in root.iterfind("m:sheetData/m:row", wx.NS):
        if row.get("customFormat") in ("1", "true"):
            row.set("s", str(unlocked(int(row.get("s", "0")))))
        for cell in row.iterfind("m:c", wx.NS):
            letters, number = coordinate_from_string(cell.get("r"))
            if (number, column_index_from_string(letters)) not in wanted:
                cell.set("s", str(unlocked(int(cell.get("s", "0")))))
    cols = root.find("m:cols", wx.NS)
    if cols is None:
        cols = etree.Element(f"{M}cols")
        data = root.find("m:sheetData", wx.NS)
        data.addprevious(cols)
    format_pr = root.find("m:sheetFormatPr", wx.NS)
    width = (format_pr.get("defaultColWidth") if format_pr is not None else None) or (
        _DEFAULT_WIDTH)
    existing = sorted(cols.iterfind("m:col", wx.NS), key=lambda col: int(col.get("min")))
    for col in existing:
        col.set("style", str(unlocked(int(col.get("style", "0")))))
    next_free = 1
    for col in [*existing, None]:
        first = int(col.get("min")) if col is not None else 16385
        if first > next_free:  # a gap: columns with no <col> of their own
            gap = etree.Element(f"{M}col", min=str(next_free), max=str(first - 1),
                                width=width, style=str(unlocked(0)))
            if col is not None:
                col.addprevious(gap)
            else:
                cols.append(gap)
        if col is not None:
            next_free = max(next_free, int(col.get("max")) + 1)


def _grown(ref: str, table: Area, last: int) -> str:
    """A data validation's range grown to row ``last`` when it ended with ``table``'s
    last row inside its columns (Excel extends a table column's validation with it)."""
    area = parse_area(f"'x'!{ref}")
    if area is None or area.max_row != table.max_row or area.min_col < table.min_col \
            or area.max_col > table.max_col:
        return ref
    grown = Area("x", area.min_row, area.min_col, last, area.max_col)
    return grown.ref


def _widened(ref: str, column: int) -> str:
    """A range that ended in ``column``, one column wider; any other as it was."""
    area = parse_area(f"'x'!{ref}")
    if area is None or area.max_col != column:
        return ref
    return Area("x", area.min_row, area.min_col, area.max_row, column + 1).ref


def _dimension_rows(ref: str | None) -> int:
    digits = re.findall(r"\d+", ref or "")
    return int(digits[-1]) if digits else 0
