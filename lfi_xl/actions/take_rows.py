"""``lfi-xl take-rows``: rows typed just below the Placements and Mitigations registers
taken into them, without Excel.

In Excel a row typed just below a table joins it and the table's calculated columns (the
Mitigations savings) fill in by themselves. A file changed by any other program keeps the
row outside the table, where no KPI counts it (validate says so). This does what Excel
does: the table grows over the rows, its column names with it, its calculated columns get
their formula; a register made of defined names (an adopted workbook's) has its names
grown over the rows instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.book.area import Area, last_typed_row

#: The registers: (what it is, its table name, its Excel table, its column names).
REGISTERS = (
    (c.PLACEMENTS, c.PLACEMENTS_TABLE, c.PLACEMENTS_EXCEL_TABLE,
     [c.placement_name(key) for key, _ in c.PLACEMENT_COLUMNS]),
    (c.MITIGATIONS, c.MITIGATIONS_TABLE, c.MITIGATIONS_EXCEL_TABLE,
     [c.mitigation_name(key) for key, _ in c.MITIGATION_COLUMNS]),
)


@dataclass(frozen=True)
class Taken:
    register: str
    rows: int          # rows taken in from below the register
    formulas: int      # calculated cells given their formula

    def __str__(self) -> str:
        text = f"{self.register}: {self.rows} row(s) taken in"
        return text + (f", {self.formulas} calculated cell(s) given their formula"
                       if self.formulas else "")


def take_rows(book) -> list[Taken]:
    """Take the rows typed just below each register into it (``book``: a FileWorkbook)."""
    done = []
    for register, table_name, excel_table, columns in REGISTERS:
        outcome = book.take_rows_below(excel_table)
        if outcome is None:
            outcome = (_grow_names(book, table_name, columns), 0)
        done.append(Taken(register, *outcome))
    return done


def _grow_names(book, table_name: str, columns: list[str]) -> int:
    """A register made of defined names: every name ending on its last row grows over
    the rows typed just below it."""
    area = book.area(table_name)
    if area is None:
        return 0
    last = last_typed_row(book.sheet_values(area.sheet), area)
    if last == area.max_row:
        return 0
    for name in (table_name, *columns):
        named = book.area(name)
        if named is not None and named.sheet == area.sheet and named.max_row == area.max_row:
            grown = Area(named.sheet, named.min_row, named.min_col, last, named.max_col)
            book.set_name(name, named.sheet, grown.ref)
    return last - area.max_row
