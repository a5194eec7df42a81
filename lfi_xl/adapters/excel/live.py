"""The live adapter: the macros' reads and writes on an open workbook through xlwings.

Same interface as :class:`lfi_xl.adapters.files.writer.FileWorkbook`, so validation, freezing
and the extract do not know which they have. Nothing is saved: the user sees the changes
in Excel and saves (or undoes by closing without saving).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from lfi_xl.book import page_setup
from lfi_xl.book.area import Area, absolute, parse_area, parse_areas
from lfi_xl.errors import quote_sheet


class LiveWorkbook:
    """An xlwings ``Book`` as a :class:`~lfi_xl.book.workbook.EditableWorkbook`."""

    def __init__(self, book: Any, path: Path | str | None = None):
        """``path``: the saved file behind the book, when the caller knows it better than
        xlwings' ``fullname`` (a copy taken first, a OneDrive book's local name)."""
        self.book = book
        self._path = Path(path) if path else None
        self.unlocked: list[str] = []  # sheets the host would not let us protect
        self.not_unlocked: list[str] = []  # sheets whose input cells it would not unlock
        self.not_widened: list[str] = []  # sheets whose print area it would not widen

    @property
    def label(self) -> str:
        return str(self.book.name)

    @property
    def path(self) -> Path | None:
        """The saved file behind the book: as given, else Excel's own ``FullName`` when that
        is a local file (not a book never saved, nor one only on the web: ``https://...``).
        Never xlwings' ``fullname``, which raises for some OneDrive/SharePoint names, except
        on hosts without Excel's object model (xlwings' JSON engine)."""
        if self._path is not None:
            return self._path
        try:
            name = self.book.api.FullName
        except Exception:  # no COM object model
            try:
                name = self.book.fullname
            except Exception:
                return None
        if name and "://" not in str(name) and Path(name).is_file():
            return Path(name)
        return None

    @path.setter
    def path(self, value: Path | str | None) -> None:
        self._path = Path(value) if value else None

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
        return parse_area(refers_to.lstrip("=")) or self._table_area(name)

    def _table_area(self, name: str) -> Area | None:
        """A name on an Excel table's column (``=Placements[Start date]``): Excel itself
        says which cells it covers now."""
        try:
            cells = self.book.names[name].refers_to_range
            return Area(cells.sheet.name, cells.row, cells.column,
                        cells.row + cells.shape[0] - 1, cells.column + cells.shape[1] - 1)
        except Exception:  # #REF! and the like: the name is broken
            return None

    def require(self, name: str) -> Area:
        from lfi_xl.errors import UnusableInput

        area = self.area(name)
        if area is None or area.sheet not in self.sheet_names:
            raise UnusableInput(f"{self.label}: the defined name {name} is missing or broken; "
                                "lfi-xl finds its tables by these names")
        return area

    def _range(self, area: Area) -> Any:
        return self.book.sheets[area.sheet].range((area.min_row, area.min_col),
                                                  (area.max_row, area.max_col))

    def values(self, area: Area) -> list[list]:
        # err_to_str: an error cell arrives as "#N/A", not as a blank.
        values = self._range(area).options(ndim=2, err_to_str=True).value
        return [[None if v == "" else v for v in row] for row in values]

    def column(self, area: Area) -> list[Any]:
        return [row[0] for row in self.values(area)]

    def column_cells(self, area: Area) -> np.ndarray:
        cells = self.column(area)
        return np.fromiter(cells, object, len(cells))

    def cell_formats(self, sheet: str,
                     addresses: list[str]) -> dict[str, tuple[str, str] | None]:
        """(formula without "=", number format) of cells; Excel's Range.Formula gives a
        constant's text for a cell without a formula: that is no formula."""
        found: dict[str, tuple[str, str] | None] = {}
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
    def _sheet(self, name: str, header: list[Any] | None = None) -> tuple[Any, bool]:
        if name in self.sheet_names:
            return self.book.sheets[name], False
        sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        if header is not None:
            sheet.range("A1").value = [list(header)]
        return sheet, True

    def replace_sheet(self, sheet: str, header: list[Any], rows: list[list[Any]],
                      links: dict[str, str] | None = None,
                      widths: list[float] | None = None) -> None:
        target, new = self._sheet(sheet)
        if not new:
            target.clear()
        target.range("A1").value = [list(header), *[_plain(row) for row in rows]]
        for ref, location in (links or {}).items():
            target.range(ref).add_hyperlink(f"#{location}", text_to_display=location)
        _lay_out(target, list(header), rows, widths)

    def append_rows(self, sheet: str, table_name: str, header: list[Any],
                    rows: list[list[Any]]) -> None:
        area = self.area(table_name)
        target, new = self._sheet(sheet, header)
        if new or area is None:
            top, column, last = 1, 1, 1
        else:
            top, column, last = area.min_row, area.min_col, area.max_row
        if rows:
            target.range((last + 1, column)).value = [_plain(row) for row in rows]
        if new:
            _lay_out(target, list(header), rows, None)
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

    @contextmanager
    def _unprotected(self, sheet: str) -> Iterator[Any]:
        """A sheet protected by a freeze, unprotected while lfi-xl writes to it (Excel
        refuses writes to its locked cells) and protected again after."""
        target = self.book.sheets[sheet]
        try:
            protected = bool(target.api.ProtectContents)
        except (AttributeError, TypeError, NotImplementedError):
            protected = False  # hosts without protection (and their writes go through)
        if protected:
            target.api.Unprotect()
        try:
            yield target
        finally:
            if protected:
                target.api.Protect(DrawingObjects=True, Contents=True, Scenarios=True,
                                   AllowFormattingColumns=True, AllowFormattingRows=True)

    def set_formulas(self, sheet: str, formulas: dict[str, str]) -> None:
        with self._unprotected(sheet) as target:
            for address, text in formulas.items():
                target.range(address).formula = text

    def print_area(self, sheet: str) -> list[Area] | None:
        """The sheet's print area, its ranges in order (``None``: none, or no page set-up
        on this host, which the notes then say)."""
        try:
            text = self.book.sheets[sheet].page_setup.print_area
        except (AttributeError, NotImplementedError, TypeError):  # no page set-up here
            if sheet not in self.not_widened:
                self.not_widened.append(sheet)
            return None
        prefix = f"{quote_sheet(sheet, always=True)}!"
        return parse_areas(",".join(prefix + part.split("!")[-1]
                                    for part in str(text or "").split(","))) if text else None

    def set_print_area(self, sheet: str, areas: list[Area]) -> None:
        try:
            self.book.sheets[sheet].page_setup.print_area = ",".join(
                absolute(area.ref) for area in areas)
        except (AttributeError, NotImplementedError, TypeError):
            if sheet not in self.not_widened:
                self.not_widened.append(sheet)

    def make_inputs(self, sheet: str, refs: list[str], fill: str) -> None:
        """The input fill, and unlocked where the host lets Python do it (desktop Excel)."""
        with self._unprotected(sheet) as target:
            for ref in refs:
                target.range(ref).color = f"#{fill}"
                try:
                    target.range(ref).api.Locked = False
                except (AttributeError, TypeError, NotImplementedError):
                    if sheet not in self.not_unlocked:
                        self.not_unlocked.append(sheet)

    def lock(self, sheet: str, refs: list[str]) -> None:
        """Lock the cells and protect the sheet, where the Excel host lets Python do it
        (desktop Excel through COM); elsewhere say so: the snapshot hashes still guard.
        Other cells stay as they were; on a sheet that was not protected, every other
        cell is unlocked first, so protecting it locks only ``refs``."""
        target = self.book.sheets[sheet]
        try:
            was_protected = bool(target.api.ProtectContents)
            target.api.Unprotect()
            if not was_protected:  # Excel's cells are all locked by default
                target.api.Cells.Locked = False
            for ref in refs:
                target.range(ref).api.Locked = True
            target.api.Protect(DrawingObjects=True, Contents=True, Scenarios=True,
                               AllowFormattingColumns=True, AllowFormattingRows=True)
        except (AttributeError, TypeError, NotImplementedError):
            self.unlocked.append(sheet)

    @property
    def notes(self) -> list[str]:
        notes: list[str] = []
        if self.unlocked:
            notes.append(f"Cells not locked on {', '.join(self.unlocked)}: this Excel host does "
                         "not let Python protect sheets; the snapshot hashes still detect any "
                         "change.")
        if self.not_unlocked:
            notes.append(f"Input cells not unlocked on {', '.join(self.not_unlocked)}: this "
                         "Excel host does not let Python change cell protection; if the sheet "
                         "is protected, unprotect it (Review > Unprotect Sheet) to type.")
        if self.not_widened:
            notes.append(f"Print areas not widened on {', '.join(self.not_widened)}: this "
                         "Excel host has no page set-up; set them in Page Layout > Print Area "
                         "to print the new period.")
        return notes


def _lay_out(target: Any, header: list[Any], rows: list[list[Any]],
             widths: list[float] | None) -> None:
    """A sheet of lfi-xl's own (its heading row, then ``rows``) laid out and set up to print
    as the file adapter does (:mod:`lfi_xl.book.page_setup`), as far as the host lets
    Python: column widths, text wrapped and the rows made tall enough for it, and in
    desktop Excel's object model its page set-up (A4 landscape, the fixed scale, the
    heading row repeated, the margins and footer)."""
    widths = widths or page_setup.widths(header, rows)
    cells = None
    try:
        for index, width in enumerate(widths, start=1):
            target.range((1, index)).column_width = width
        cells = target.range((1, 1), (len(rows) + 1, len(widths)))
        cells.wrap_text = True
        cells.rows.autofit()
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        pass  # a host that cannot: the sheet keeps its default widths
    try:
        setup = target.api.PageSetup
        setup.Orientation, setup.PaperSize = 2, 9  # xlLandscape, xlPaperA4
        setup.Zoom = page_setup.scale(widths)
        setup.Order = 2  # xlOverThenDown
        setup.PrintTitleRows = "$1:$1"
        if page_setup.wider_than_page(widths):
            setup.PrintTitleColumns = "$A:$A"
        for side, inches in page_setup.MARGINS.items():
            setattr(setup, f"{side.capitalize()}Margin", inches * 72)
        setup.LeftFooter, setup.CenterFooter, setup.RightFooter = "&A", "&F", "Page &P of &N"
        if cells is not None:
            cells.api.VerticalAlignment, cells.api.HorizontalAlignment = -4160, -4131
    except Exception:  # no Excel object model (xlwings Server, the JSON engine, a Mac's
        pass           # differs): the sheet prints with the host's page set-up


def _plain(row: list[Any]) -> list[Any]:
    return [value.isoformat() if isinstance(value, dt.datetime) else value for value in row]
