"""What every action reads and changes a workbook through, whichever adapter is behind it.

Two adapters provide it: the files one (:class:`~lfi_xl.adapters.files.reader.WorkbookValues`
reads a saved file, :class:`~lfi_xl.adapters.files.writer.FileWorkbook` also changes it part
by part) and the live one (:class:`~lfi_xl.adapters.excel.live.LiveWorkbook`, an open book
in Excel through xlwings). :class:`~lfi_xl.book.discover.Discovering` wraps either and
supplies the contract names a council's own workbook lacks. Actions are typed against
these protocols and never ask which adapter they have.

:class:`Workbook` is what reading needs; :class:`EditableWorkbook` adds what the writing
actions (freeze, start-period, refresh, adopt) change. How a file is opened, locked and
saved is the adapters' business (:func:`lfi_xl.adapters.opening.changing`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from lfi_xl.book.area import Area

#: A cell's value as an adapter hands it over: a number, text, a date, a bool, an
#: :class:`~lfi_xl.book.area.ErrorValue`, or ``None`` for a blank.
Value = Any


@runtime_checkable
class Workbook(Protocol):
    """A workbook read by defined name."""

    @property
    def path(self) -> Path | None:
        """The saved file behind it (``None``: a book never saved, or only on the web)."""

    @property
    def label(self) -> str:
        """How messages name it: its path, or the book's name in Excel."""

    @property
    def sheet_names(self) -> list[str]: ...

    def area(self, name: str) -> Area | None:
        """Where a defined name points, or ``None`` when it is missing or broken."""

    def require(self, name: str) -> Area:
        """:meth:`area`, or :class:`~lfi_xl.errors.UnusableInput` naming the name."""

    def values(self, area: Area) -> list[list[Value]]:
        """The cells of ``area`` as a rectangle (blanks ``None``)."""

    def column(self, area: Area) -> list[Value]:
        """The cells of a one-column ``area`` as a flat list (blanks ``None``)."""

    def column_cells(self, area: Area) -> np.ndarray:
        """:meth:`column` as an object array."""

    def sheet_values(self, sheet: str) -> list[list[Value]]:
        """Every cell of a sheet from A1 to its last used cell."""

    def cell_formats(self, sheet: str,
                     addresses: list[str]) -> dict[str, tuple[str, str] | None]:
        """(formula without "=", number format) of each cell."""


@runtime_checkable
class EditableWorkbook(Workbook, Protocol):
    """A workbook the writing actions change. Nothing is saved here: a file is saved by
    :func:`~lfi_xl.adapters.opening.changing` once the action succeeded, a live book by
    its user."""

    @property
    def notes(self) -> list[str]:
        """What the host would not let lfi-xl do (protect a sheet, widen a print area)."""

    def set_cells(self, sheet: str, values: dict[str, object]) -> None: ...

    def set_formulas(self, sheet: str, formulas: dict[str, str]) -> None: ...

    def set_name(self, name: str, sheet: str, ref: str) -> None: ...

    def replace_sheet(self, sheet: str, header: list[Any], rows: list[list[Any]],
                      links: dict[str, str] | None = None,
                      widths: list[float] | None = None) -> None: ...

    def append_rows(self, sheet: str, table_name: str, header: list[Any],
                    rows: list[list[Any]]) -> None: ...

    def make_inputs(self, sheet: str, refs: list[str], fill: str) -> None: ...

    def print_area(self, sheet: str) -> list[Area] | None:
        """The sheet's print area, its ranges in order; ``None`` when it has none, or one
        that is not ranges (a formula), or the host cannot say."""

    def set_print_area(self, sheet: str, areas: list[Area]) -> None:
        """Print ``areas`` of the sheet (each range starts a page), where the host lets
        lfi-xl set a print area."""

    def lock(self, sheet: str, refs: list[str]) -> None: ...
