"""What every adapter hands the book: an area of cells on a sheet, and an error value.

The file adapter and the live adapter both speak in these types, so they live below
both (nothing here reads a file or talks to Excel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.cell import get_column_letter as column_letter


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
    return Area(sheet, int(r1), column_index_from_string(c1), int(r2),
                column_index_from_string(c2))


def absolute(ref: str) -> str:
    """``B7:H7`` -> ``$B$7:$H$7``."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))
