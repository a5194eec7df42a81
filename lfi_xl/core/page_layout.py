"""Laying out a printed page of a written workbook: how many lines a wrapped text takes,
how tall its row must be. Used by the workbooks' builder and the Forum paper's writer.

Neither Excel nor LibreOffice fits a row to wrapped text in merged cells (nor, for a row
whose height is set, in any cell), so the writer sets each row's height from an estimate
of the text's width. Widths are in Excel's column-width unit, a digit of the workbook's
default font: a text's width in digits is about the same in Calibri (Excel) as in the
font LibreOffice puts in its place, so one estimate serves both. It errs wide: a line
too many leaves a little space, a line too few would hide words.
"""

from __future__ import annotations

import math

#: Points a row of one line of 11 pt text takes (Excel's default row), and each line of
#: wrapped 11 pt text (Excel's; LibreOffice takes a little less).
ROW_POINTS, LINE_POINTS = 15.0, 14.4

_NARROW = frozenset("ijlI.,:;'!|")
_SEMI = frozenset("ftr()-/[] ")
_WIDE = frozenset("mwMW%@")


def _char_width(char: str) -> float:
    """One character's width in digits of the same font, about (DejaVu Sans, the widest
    LibreOffice falls back on, measured; Calibri is close in these units)."""
    if char in _NARROW:
        return 0.45
    if char in _SEMI:
        return 0.62
    if char in _WIDE:
        return 1.5
    return 1.15 if char.isupper() else 0.97


def text_width(text: str, size: float = 11, bold: bool = False) -> float:
    """The width of ``text`` on one line, in column-width units (digits of 11 pt)."""
    return sum(map(_char_width, text)) * size / 11 * (1.1 if bold else 1.0)


def wrapped_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """Lines ``text`` takes wrapped at word breaks in a cell ``width`` units wide (its
    own line breaks kept)."""
    room = max(width - 1.2, 1.0)  # the cell's padding either side
    space = text_width(" ", size, bold)
    count = 0
    for paragraph in str(text).split("\n"):
        count += 1
        used = 0.0
        for word in paragraph.split():
            wide = text_width(word, size, bold)
            if used and used + space + wide > room:
                count += 1
                used = 0.0
            if wide > room:  # a word longer than the line is broken in it
                count += math.ceil(wide / room) - 1
                wide = wide % room
            used += (space if used else 0.0) + wide
    return max(count, 1)


def line_points(size: float = 11) -> float:
    """Points a row of one line of ``size`` pt text takes."""
    return round(ROW_POINTS * size / 11, 1)


def row_points(text: str, width: float, size: float = 11, bold: bool = False) -> float:
    """The height a row needs to show all of ``text`` wrapped ``width`` units wide."""
    lines = wrapped_lines(text, width, size, bold)
    return round(max(ROW_POINTS, lines * LINE_POINTS) * size / 11, 1)
