"""Figures in messages as their cells show them: the cell's own number format, read
through any adapter (:func:`lfi_xl.core.shown.as_shown` renders it)."""

from __future__ import annotations

from lfi_xl.book.workbook import Workbook
from lfi_xl.core.shown import as_shown


def number_formats(workbook: Workbook, sheet: str, cells: list[str],
                   fallback: str = "General") -> dict[str, str]:
    """Each cell's number format code (``fallback`` where the adapter cannot read it); a
    conditional format's code, which shows only when its rule holds, is left aside."""
    try:
        found = workbook.cell_formats(sheet, cells)
    except Exception:  # a host that cannot read formats: the figure as its unit shows it
        found = {}
    out = {}
    for cell in cells:
        value = found.get(cell)
        code = str(value[1] or "") if value is not None else ""
        out[cell] = code.split(" | conditional:")[0].strip() or fallback
    return out


def shown_at(workbook: Workbook, sheet: str, cell: str, value: object,
             fallback: str = "General") -> str:
    """``value`` as ``sheet!cell`` shows it."""
    return as_shown(value, number_formats(workbook, sheet, [cell], fallback)[cell])
