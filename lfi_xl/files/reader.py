"""Reading a workbook's values by defined name, fast, without losing an error cell.

Values come from python-calamine (the cached results of formulas included). Calamine
reports an error cell (``#N/A``) as an empty string, which would make a broken figure
look blank; so the sheet XML is also scanned for error cells (``t="e"``) and those cells
are given back as :class:`~lfi_xl.files.workbook_xml.ErrorValue`. Defined names come
from the workbook part.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import python_calamine

from lfi_xl import contract as c
from lfi_xl.core import plan as p
from lfi_xl.core.values import BadValue, to_number
from lfi_xl.errors import UnusableInput, cell_ref
from lfi_xl.files import workbook_xml as wx
from lfi_xl.files.package import Package, check_workbook_file

_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.S)
_ADDRESS = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


class WorkbookValues:
    """The values of one workbook file, found by defined name."""

    def __init__(self, path: Path):
        self.path = Path(path)
        check_workbook_file(self.path)
        with zipfile.ZipFile(self.path) as archive:
            skeleton = Package({name: archive.read(name) for name in (
                "xl/workbook.xml", "xl/_rels/workbook.xml.rels")})
        self.sheets = wx.sheets(skeleton)
        self.names = wx.defined_names(skeleton)
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
        except Exception as error:  # calamine raises its own error types
            raise UnusableInput(f"{self.path}: cannot read the workbook ({error})") from None
        self._cache: dict[str, list[list]] = {}

    def area(self, name: str) -> wx.Area | None:
        """Where a defined name points, or ``None`` if it is missing or broken."""
        text = self.names.get(name)
        return None if text is None else wx.parse_area(text)

    def require(self, name: str) -> wx.Area:
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
            rows = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            for (row, column), error in self._error_cells(sheet).items():
                while len(rows) <= row:
                    rows.append([])
                while len(rows[row]) <= column:
                    rows[row].append("")
                rows[row][column] = error
            self._cache[sheet] = rows
        return self._cache[sheet]

    def _error_cells(self, sheet: str) -> dict[tuple[int, int], wx.ErrorValue]:
        part = next(info.part for info in self.sheets if info.name == sheet)
        with zipfile.ZipFile(self.path) as archive:
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
                found[(int(row) - 1, column - 1)] = wx.ErrorValue(value.group(1).decode())
        return found

    def values(self, area: wx.Area) -> list[list]:
        """The cells of ``area`` as a rectangle (blanks ``None``)."""
        rows = self.sheet_values(area.sheet)
        out = []
        for row in range(area.min_row - 1, area.max_row):
            source = rows[row] if row < len(rows) else []
            out.append([_blank(source[col]) if col < len(source) else None
                        for col in range(area.min_col - 1, area.max_col)])
        return out

    def read(self, name: str) -> tuple[wx.Area, list[list]]:
        area = self.require(name)
        return area, self.values(area)


def _blank(value):
    return None if value == "" and not isinstance(value, wx.ErrorValue) else value


class CellProblem(UnusableInput):
    """A cell whose content cannot be used, named by file, sheet and cell."""


def number_at(book: WorkbookValues, area: wx.Area, row: int, column: int, value: object,
              expected: str = "a number in £m") -> float:
    """A cell's value as a float (``nan`` if blank), or a :class:`CellProblem` naming it."""
    try:
        return to_number(value, expected)
    except BadValue as error:
        where = cell_ref(area.sheet, area.cell(row, column))
        raise CellProblem(f"{book.path}: {where}: {error}") from None


_ROLE_BY_LABEL = {label.lower(): role_kind for role_kind, label in c.PLAN_ROLE_LABELS.items()}


def read_plan(path: Path, prefix: str = "Plan") -> p.Plan:
    """The plan of a DSG plan workbook, from its ``Plan_Table`` and opening balance."""
    book = WorkbookValues(path)
    area, table = book.read(f"{prefix}_Table")
    header = [str(v).strip() if v is not None else "" for v in table[0]]
    try:
        id_column = header.index(c.PLAN_ID_HEADER)
        kind_column = header.index(c.PLAN_KIND_HEADER)
    except ValueError:
        raise UnusableInput(f"{path}: the {prefix} table has no '{c.PLAN_ID_HEADER}' and "
                            f"'{c.PLAN_KIND_HEADER}' columns in its first row") from None
    years = tuple(header[1:id_column])
    lines = []
    for offset, row in enumerate(table[1:], start=1):
        label, line_id, counts_as = row[0], row[id_column], row[kind_column]
        if not line_id and not label:
            continue
        role_kind = _ROLE_BY_LABEL.get(str(counts_as or "").strip().lower())
        if role_kind is None:
            if str(line_id or "") in {line for line, _ in c.RECEIVED_LINES}:
                continue  # the Forecast's money-received rows are not plan lines
            where = cell_ref(area.sheet, area.cell(offset, kind_column))
            raise CellProblem(f"{path}: {where}: '{counts_as}' is not one of: "
                              + ", ".join(c.PLAN_ROLE_LABELS.values()))
        values = [number_at(book, area, offset, 1 + k, row[1 + k])
                  for k in range(len(years))]
        role, kind = role_kind
        lines.append(p.PlanLine(str(line_id or f"row{offset}"), str(label or line_id), role,
                                np.array(values), kind))
    opening_area, opening = book.read(f"{prefix}_OpeningBalance")
    opening_value = number_at(book, opening_area, 0, 0, opening[0][0])
    return p.Plan(years, tuple(lines), None if np.isnan(opening_value) else opening_value)


def _date_number(book, area, row, value):
    import datetime as dt

    from lfi_xl.cells import serial

    if isinstance(value, dt.date | dt.datetime):
        return serial(value)
    return number_at(book, area, row, 0, value, "a date")


def columns(book: WorkbookValues, names: dict[str, str], numbers: frozenset[str] = frozenset(),
            dates: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Table columns by defined name: numbers and dates as floats (``nan`` blank, a bad cell
    raises :class:`CellProblem`), other columns as object arrays (blank ``None``)."""
    out = {}
    for key, name in names.items():
        area, values = book.read(name)
        flat = [row[0] for row in values]
        if key in dates:
            out[key] = np.array([_date_number(book, area, i, v) for i, v in enumerate(flat)],
                                dtype=float)
        elif key in numbers:
            out[key] = np.array([number_at(book, area, i, 0, v, "a number")
                                 for i, v in enumerate(flat)], dtype=float)
        else:
            out[key] = np.array(flat, dtype=object)
    return out


PLACEMENT_NUMBERS = frozenset({"AnnualCost", "PreviousCost"})
PLACEMENT_DATES = frozenset({"Start", "End"})
MITIGATION_NUMBERS = frozenset({"BaseVolume", "BaseUnitCost", "Volume", "UnitCost", "Saving",
                                "VolumeEffect", "PriceEffect", "Workstream"})


def read_placements(book: WorkbookValues) -> dict[str, np.ndarray]:
    return columns(book, {key: c.placement_name(key) for key, _ in c.PLACEMENT_COLUMNS},
                   PLACEMENT_NUMBERS, PLACEMENT_DATES)


def read_mitigations(book: WorkbookValues) -> dict[str, np.ndarray]:
    return columns(book, {key: c.mitigation_name(key) for key, _ in c.MITIGATION_COLUMNS},
                   MITIGATION_NUMBERS)
