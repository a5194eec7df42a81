"""How the sheets lfi-xl writes itself (Audit, Validation, and those adopt adds) print, and
the page the builder lays its sheets out on (build/workbooks.py uses these constants;
tests/engines/test_print.py measures the result). A4 landscape,
narrow margins with a footer (sheet, file, page), the heading row repeated on every page,
a fixed scale of 85-100%, never fit-to-page: the largest at which the columns fit one
page wide, and at 85% a wider sheet continues on the pages to its right, its first column
repeated. On Audit and Validation text longer than its column wraps within it (every cell
wraps, at the top left of its row, the row as tall as its text), so a long message or
reason never runs under the next column, and an audit hash prints in two lines of 32.

Both adapters lay a sheet out from this; nothing here reads a file or talks to Excel.
"""

from __future__ import annotations

from typing import Any

from lfi_xl import contract as c
from lfi_xl.core.page_layout import wrapped_lines

#: Page margins (inches): narrow, with room for the footer.
MARGINS = {"left": 0.25, "right": 0.25, "top": 0.5, "bottom": 0.75, "header": 0.25,
           "footer": 0.3}
#: The footer every page carries: the sheet's name, the file's, the page of the pages.
FOOTER = "&L&A&C&F&RPage &P of &N"
#: What an A4 landscape page (841.9 pt) has for the columns, in points.
PAGE_WIDTH = 841.9 - 72 * (MARGINS["left"] + MARGINS["right"])
#: One unit of column width (a digit of the workbook's font) printed at 100%, in points:
#: 7.0 where LibreOffice has no Calibri and draws DejaVu Sans, the widest it falls back to
#: (Calibri's is 5.6): a sheet measured so fits its page in either.
POINTS_PER_WIDTH = 7.0
#: The smallest print scale (%): 11 pt type prints at 9.35 pt or larger. A sheet wider
#: than its page at this scale continues on the pages to its right, its title columns
#: repeated; it is never shrunk further (nor when a period's column is added).
MIN_SCALE = 85
#: The widest a column is made for its values: a SHA-256 (64 characters) on one line.
WIDEST = 66
#: Points a printed line of text needs (11 pt type, with its leading).
LINE_HEIGHT = 15
#: Columns of lfi-xl's own sheets, by their headings: the figures and codes as wide as
#: they print, free text (a reason, a message) wide enough to read, wrapping.
WIDTHS: dict[tuple[str, ...], tuple[float, ...]] = {
    c.AUDIT_COLUMNS: (7, 26, 18, 11, 11, 10, 34, 36, 34, 34, 34),
    c.VALIDATION_COLUMNS: (9, 16, 10, 14, 80),
}


def widths(header: list[Any], rows: list[list[Any]]) -> list[float]:
    """The columns' widths: a sheet of lfi-xl's own by its headings; any other each as
    wide as its longest value or heading (at least 8, at most :data:`WIDEST`)."""
    known = WIDTHS.get(tuple(str(value) for value in header))
    if known is not None:
        return list(known)
    columns = max([len(header), *map(len, rows)])
    return [float(min(WIDEST, max([8, *(len(str(row[k])) + 2 for row in [header, *rows]
                                         if k < len(row) and row[k] is not None)])))
            for k in range(columns)]


def scale(column_widths: list[float]) -> int:
    """The print scale: the largest from :data:`MIN_SCALE` to 100% at which the columns
    fit one page wide."""
    total = sum(column_widths) or 1
    return max(MIN_SCALE, min(100, int(PAGE_WIDTH * 100 // (total * POINTS_PER_WIDTH))))


def wider_than_page(column_widths: list[float]) -> bool:
    """Whether the columns continue on a second page across (the first one repeated)."""
    return sum(column_widths) * POINTS_PER_WIDTH * scale(column_widths) / 100 > PAGE_WIDTH


def row_height(values: list[Any], column_widths: list[float]) -> float | None:
    """The height (points) a row of ``values`` needs for its wrapped text; ``None``: one
    line, the sheet's default."""
    needed = max([1, *(wrapped_lines(str(value), column_widths[k])
                       for k, value in enumerate(values)
                       if isinstance(value, str) and k < len(column_widths))])
    return LINE_HEIGHT * needed if needed > 1 else None
