"""What every adapter hands the book: an area of cells on a sheet, and an error value.

The file adapter and the live adapter both speak in these types, so they live below
both (nothing here reads a file or talks to Excel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Excel's last column, XFD, is 16,384; a column name has at most three letters (ZZZ).
_MAX_COLUMN = 18278
_LETTERS: dict[int, str] = {}


class CellCoordinatesException(Exception):
    """An address that is not a cell (openpyxl's exception of that name, same message)."""


def column_letter(index: int) -> str:
    """``1`` -> ``A``, ``28`` -> ``AB``, as openpyxl's ``get_column_letter`` (whose import
    costs a command a tenth of a second), with its ``ValueError`` beyond ZZZ.

    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(16384)
    ('A', 'Z', 'AA', 'XFD')
    """
    letters = _LETTERS.get(index)
    if letters is None:
        if index not in range(1, _MAX_COLUMN + 1):
            raise ValueError(f"Invalid column index {index}")
        number, out = int(index), []
        while number > 0:
            number, remainder = divmod(number, 26)
            if remainder == 0:
                remainder, number = 26, number - 1
            out.append(chr(remainder + 64))
        letters = _LETTERS[index] = "".join(reversed(out))
    return letters


def column_index(letters: str) -> int:
    """``AB`` -> ``28``, as openpyxl's ``column_index_from_string`` (same ``ValueError``).

    >>> column_index("A"), column_index("xfd")
    (1, 16384)
    """
    message = f"'{letters}' is not a valid column name. Column names are from A to ZZZ"
    if len(letters) > 3:
        raise ValueError(message)
    index = 0
    for letter in letters.upper():
        if not ("A" <= letter <= "Z"):
            raise ValueError(message)
        index = index * 26 + ord(letter) - 64
    if not 0 < index <= _MAX_COLUMN:
        raise ValueError(message)
    return index


_COORDINATE = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")


def split_cell(address: str) -> tuple[str, int]:
    """``B12`` -> ``('B', 12)``, as openpyxl's ``coordinate_from_string``.

    >>> split_cell("$B$12")
    ('B', 12)
    """
    match = _COORDINATE.match(address)
    if not match:
        raise CellCoordinatesException(f"Invalid cell coordinates ({address})")
    column, row = match.groups()
    if not int(row):
        raise CellCoordinatesException(f"There is no row 0 ({address})")
    return column, int(row)


class ErrorValue(str):
    """An Excel error as a cell value (``#N/A``), distinct from the text "#N/A"."""


_AREA = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)"
                   r"(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(frozen=True)
class Area:
    """A rectangular range on one sheet (1-based rows and columns, inclusive)."""

    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @property
    def ref(self) -> str:
        first = f"{column_letter(self.min_col)}{self.min_row}"
        if (self.min_row, self.min_col) == (self.max_row, self.max_col):
            return first
        return f"{first}:{column_letter(self.max_col)}{self.max_row}"

    def cell(self, row_offset: int, col_offset: int) -> str:
        return f"{column_letter(self.min_col + col_offset)}{self.min_row + row_offset}"

    @property
    def shape(self) -> tuple[int, int]:
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1


def parse_area(text: str) -> Area | None:
    """``Plan!$B$7:$H$7`` -> :class:`Area`; ``None`` for anything else (#REF!, formulas)."""
    match = _AREA.match(text.strip())
    if not match:
        return None
    quoted, bare, c1, r1, c2, r2 = match.groups()
    sheet = quoted.replace("''", "'") if quoted else bare
    c2, r2 = c2 or c1, r2 or r1
    return Area(sheet, int(r1), column_index(c1), int(r2), column_index(c2))


#: One range of a list such as ``'KPIs'!$A$1:$K$69,'KPIs'!$AA$1:$AA$69`` (a print area of
#: several ranges): a quoted sheet name may hold a comma.
_RANGE = re.compile(r"(?:'(?:[^']|'')+'|[^',])+")


def parse_areas(text: str) -> list[Area] | None:
    """``Plan!$A$1:$C$9,Plan!$F$1:$F$9`` -> its :class:`Area` s, in order; ``None`` when any
    is not a range (#REF!, a formula) or there are none."""
    areas = [parse_area(part) for part in _RANGE.findall(text or "")]
    if not areas or any(area is None for area in areas):
        return None
    return [area for area in areas if area is not None]


def absolute(ref: str) -> str:
    """``B7:H7`` -> ``$B$7:$H$7``."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def row_typed(values: list[list], area: Area, number: int) -> bool:
    """Whether sheet row ``number`` has anything typed in ``area``'s columns (``values``:
    the sheet from A1)."""
    row = values[number - 1] if number - 1 < len(values) else []
    return any(value not in (None, "") for value in row[area.min_col - 1:area.max_col])


def last_typed_row(values: list[list], area: Area) -> int:
    """The last row of ``area``'s columns typed in, counting on from the area's last row
    over the rows typed just below it, as Excel grows a table to take them in."""
    last = area.max_row
    while row_typed(values, area, last + 1):
        last += 1
    return last
