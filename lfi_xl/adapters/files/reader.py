"""Reading a workbook's values by defined name, fast, without losing an error cell.

Values come from python-calamine (the cached results of formulas included). Calamine
reports an error cell (``#N/A``) as an empty string, which would make a broken figure
look blank; so the sheet XML is also scanned for error cells (``t="e"``) and those cells
are given back as :class:`~lfi_xl.adapters.files.workbook_xml.ErrorValue`. Defined names come
from the workbook part.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import python_calamine
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package, check_workbook_file
from lfi_xl.book.area import Area, ErrorValue, parse_area
from lfi_xl.errors import UnusableInput

_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.S)
_ADDRESS = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


class WorkbookValues:
    """The values of one workbook file, found by defined name."""

    def __init__(self, path: Path, data: bytes | None = None):
        """``data``: the file's bytes when they are not (yet) on disk at ``path``."""
        self.path = Path(path)
        if data is None:
            check_workbook_file(self.path)
        self._data = data
        try:
            with self._zip() as archive:
                skeleton = Package({name: archive.read(name) for name in (
                    "xl/workbook.xml", "xl/_rels/workbook.xml.rels")})
            self.sheets = wx.sheets(skeleton)
            self.names = wx.defined_names(skeleton)
        except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile) as error:
            raise UnusableInput(f"{self.path}: the workbook's structure is damaged "
                                f"({error})") from None
        try:
            self._book = (python_calamine.CalamineWorkbook.from_path(str(self.path))
                          if data is None else
                          python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))
        except Exception as error:  # calamine raises its own error types
            raise UnusableInput(f"{self.path}: cannot read the workbook ({error})") from None
        self._cache: dict[str, list[list]] = {}
        self._columns: dict[tuple, list] = {}  # long columns are read more than once

    def _zip(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(self.path if self._data is None else io.BytesIO(self._data))

    def area(self, name: str) -> Area | None:
        """Where a defined name points, or ``None`` if it is missing or broken."""
        text = self.names.get(name)
        return None if text is None else parse_area(text)

    def require(self, name: str) -> Area:
        area = self.area(name)
        if area is None:
            state = "points to #REF!" if name in self.names else "is missing"
            raise UnusableInput(f"{self.path}: the defined name {name} {state}; "
                                "lfi-xl finds its tables by these names")
        if area.sheet not in {sheet.name for sheet in self.sheets}:
            raise UnusableInput(f"{self.path}: the defined name {name} points to a sheet "
                                f"'{area.sheet}' that does not exist")
        return area

    def sheet_values(self, sheet: str) -> list[list]:
        """Every cell of a sheet from A1, as calamine gives it, errors restored."""
        if sheet not in self._cache:
            try:
                rows = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as error:  # calamine's own error types: a damaged sheet part
                raise UnusableInput(f"{self.path}: the sheet '{sheet}' cannot be read; the "
                                    f"file is damaged ({type(error).__name__}: {error})") from None
            for (row, column), error in self._error_cells(sheet).items():
                while len(rows) <= row:
                    rows.append([])
                while len(rows[row]) <= column:
                    rows[row].append("")
                rows[row][column] = error
            self._cache[sheet] = rows
        return self._cache[sheet]

    def _error_cells(self, sheet: str) -> dict[tuple[int, int], ErrorValue]:
        part = next(info.part for info in self.sheets if info.name == sheet)
        with self._zip() as archive:
            data = archive.read(part)
        found = {}
        if b't="e"' not in data:
            return found
        for match in _ERROR_CELL.finditer(data):
            address = _ADDRESS.search(match.group(1))
            value = _VALUE.search(match.group(2))
            if address and value:
                letters, row = address.groups()
                column = 0
                for letter in letters.decode():
                    column = column * 26 + ord(letter) - 64
                found[(int(row) - 1, column - 1)] = ErrorValue(value.group(1).decode())
        return found

    def cell_formats(self, sheet: str, addresses: list[str]) -> dict[str, tuple[str, str]]:
        """(formula, number format) of cells of one sheet (see ``workbook_xml``)."""
        part = next(info.part for info in self.sheets if info.name == sheet)
        with self._zip() as archive:
            data = archive.read(part)
            styles = (archive.read("xl/styles.xml") if "xl/styles.xml" in archive.namelist()
                      else None)
        return wx.cell_formats(data, styles, addresses)

    def values(self, area: Area) -> list[list]:
        """The cells of ``area`` as a rectangle (blanks ``None``)."""
        rows = self.sheet_values(area.sheet)
        first, last = area.min_col - 1, area.max_col
        width = last - first
        out = []
        for row in range(area.min_row - 1, area.max_row):
            cells = rows[row][first:last] if row < len(rows) else []
            # an error cell is an ErrorValue, never "": only true blanks become None
            cells = [None if value == "" else value for value in cells]
            out.append(cells + [None] * (width - len(cells)))
        return out

    def column(self, area: Area) -> list:
        """The cells of a one-column ``area`` as a flat list (blanks ``None``): the fast
        path for long registers such as Placements."""
        key = (area.sheet, area.min_col, area.min_row, area.max_row)
        if key not in self._columns:
            rows = self.sheet_values(area.sheet)
            col = area.min_col - 1
            cells = [row[col] if col < len(row) else None
                     for row in rows[area.min_row - 1:area.max_row]]
            cells += [None] * (area.max_row - area.min_row + 1 - len(cells))
            self._columns[key] = [None if value == "" else value for value in cells]
        return list(self._columns[key])

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def sheet_names(self) -> list[str]:
        return [info.name for info in self.sheets]

    def read(self, name: str) -> tuple[Area, list[list]]:
        area = self.require(name)
        return area, self.values(area)


def read_plan(path: Path, prefix: str = c.PLAN_PREFIX):
    """The plan of a DSG plan workbook file."""
    from lfi_xl.book.tables import read_plan_from

    return read_plan_from(WorkbookValues(path), prefix)
