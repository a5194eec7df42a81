"""The live adapter: the macros' reads and writes on an open workbook through xlwings.

Same interface as :class:`lfi_xl.adapters.files.writer.FileWorkbook`, so validation, freezing
and the extract do not know which they have. Nothing is saved: the user sees the changes
in Excel and saves (or undoes by closing without saving).
"""

from __future__ import annotations

import datetime as dt

from lfi_xl.book.area import Area, absolute, parse_area
from lfi_xl.errors import quote_sheet


class LiveWorkbook:
    def __init__(self, book):
        self.book = book
        self.unlocked: list[str] = []  # sheets the host would not let us protect

    @property
    def label(self) -> str:
        return self.book.name

    @property
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def sheet_values(self, sheet: str) -> list[list]:
        """Every cell of a sheet from A1 to the end of its used range."""
        last = self.book.sheets[sheet].used_range.last_cell
        return self.values(Area(sheet, 1, 1, last.row, last.column))

    def _names(self) -> dict[str, str]:
        return {name.name: name.refers_to for name in self.book.names}

    def area(self, name: str) -> Area | None:
        refers_to = self._names().get(name)
        if refers_to is None:
            return None
        return parse_area(refers_to.lstrip("="))

    def require(self, name: str) -> Area:
        from lfi_xl.errors import UnusableInput

        area = self.area(name)
        if area is None or area.sheet not in self.sheet_names:
            raise UnusableInput(f"{self.label}: the defined name {name} is missing or broken; "
                                "lfi-xl finds its tables by these names")
        return area

    def _range(self, area: Area):
        return self.book.sheets[area.sheet].range((area.min_row, area.min_col),
                                                  (area.max_row, area.max_col))

    def values(self, area: Area) -> list[list]:
        # err_to_str: an error cell arrives as "#N/A", not as a blank.
        values = self._range(area).options(ndim=2, err_to_str=True).value
        return [[None if v == "" else v for v in row] for row in values]

    def cell_formats(self, sheet: str, addresses: list[str]) -> dict[str, tuple[str, str]]:
        """(formula without "=", number format) of cells; Excel's Range.Formula gives a
        constant's text for a cell without a formula: that is no formula."""
        found = {}
        for address in addresses:
            cell = self.book.sheets[sheet].range(address)
            try:
                formula, code = cell.formula, cell.number_format
            except NotImplementedError:  # xlwings Server's engines: no sync formula read
                found[address] = None
                continue
            found[address] = (formula[1:] if isinstance(formula, str)
                              and formula.startswith("=") else "", code or "")
        return found

    # -- writes --------------------------------------------------------------------------
    def _sheet(self, name: str, header: list | None = None):
        if name in self.sheet_names:
            return self.book.sheets[name], False
        sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        if header is not None:
            sheet.range("A1").value = [list(header)]
        return sheet, True

    def replace_sheet(self, sheet: str, header: list, rows: list[list],
                      links: dict[str, str] | None = None, widths=None) -> None:
        target, new = self._sheet(sheet)
        if not new:
            target.clear()
        target.range("A1").value = [list(header), *[_plain(row) for row in rows]]
        for ref, location in (links or {}).items():
            target.range(ref).add_hyperlink(f"#{location}", text_to_display=location)

    def append_rows(self, sheet: str, table_name: str, header: list, rows: list[list]) -> None:
        area = self.area(table_name)
        target, new = self._sheet(sheet, header)
        if new or area is None:
            top, column, last = 1, 1, 1
        else:
            top, column, last = area.min_row, area.min_col, area.max_row
        if rows:
            target.range((last + 1, column)).value = [_plain(row) for row in rows]
        end = last + len(rows)
        self.set_name(table_name, sheet, Area(sheet, top, column, end,
                                              column + len(header) - 1).ref)

    def set_name(self, name: str, sheet: str, ref: str) -> None:
        if name in self._names():
            self.book.names[name].delete()
        self.book.names.add(name, f"={quote_sheet(sheet, always=True)}!{absolute(ref)}")

    def set_cells(self, sheet: str, values: dict[str, object]) -> None:
        for address, value in values.items():
            self.book.sheets[sheet].range(address).value = value

    def lock(self, sheet: str, refs: list[str]) -> None:
        """Lock the cells and protect the sheet, where the Excel host lets Python do it
        (desktop Excel through COM); elsewhere say so: the snapshot hashes still guard."""
        target = self.book.sheets[sheet]
        try:
            target.api.Unprotect()
            for ref in refs:
                target.range(ref).api.Locked = True
            target.api.Protect(DrawingObjects=True, Contents=True, Scenarios=True,
                               AllowFormattingColumns=True, AllowFormattingRows=True)
        except (AttributeError, TypeError, NotImplementedError):
            self.unlocked.append(sheet)

    @property
    def notes(self) -> list[str]:
        if not self.unlocked:
            return []
        return [f"Cells not locked on {', '.join(self.unlocked)}: this Excel host does not "
                "let Python protect sheets; the snapshot hashes still detect any change."]

    def save(self, backup: bool = True) -> None:
        """Live workbooks are saved by their user."""


def _plain(row: list) -> list:
    return [value.isoformat() if isinstance(value, dt.datetime) else value for value in row]
