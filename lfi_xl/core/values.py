"""Turning cell values into numbers, strictly.

A spreadsheet cell can hold a number, a blank, text ("TBC", "£1,234"), a date or an
Excel error. Excel's own SUM silently skips text; we never do. Every number the core
uses passes through :func:`to_number`, which either returns a float (``nan`` for a blank)
or raises :class:`BadValue` saying what it found, so the adapters can name the sheet
and cell.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from lfi_xl.core.shown import as_shown

#: The error values Excel can hold in a cell, as text (how file readers report them).
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
)



class ErrorCode(str):
    """An Excel error as a value (``#N/A``), distinct from the text "#N/A" a cell may
    hold: what the formula evaluator computes and reads."""


#: Largest magnitude we accept as a real amount. Excel's own limit is 9.99e307; anything
#: near it is a typing or paste accident, not money.
MAX_MAGNITUDE = 1e15

#: Excel keeps 15 significant digits of a number; so does every value we write.
EXCEL_DIGITS = 15


def stored_number(value: float) -> float:
    """``value`` as Excel would store it: rounded to 15 significant digits.

    Written values then do not depend on summation order, the CPU or the numpy build
    (which differ in the 16th-17th digit), so the same inputs give the same bytes.

    >>> stored_number(30072.610541727674) == stored_number(30072.61054172767)
    True
    >>> stored_number(0.1 + 0.2)
    0.3
    """
    number = float(value)
    return float(f"{number:.{EXCEL_DIGITS}g}") if math.isfinite(number) else number


class BadValue(ValueError):
    """A cell value that is not the number the core expects.

    ``position`` is the index in the series being converted (adapters translate it to a
    cell address); ``found`` is the offending value.
    """

    def __init__(self, found: object, expected: str = "a number", position: int | None = None):
        self.found = found
        self.expected = expected
        self.position = position
        super().__init__(f"expected {expected}, found {describe(found)}")


def describe(value: object) -> str:
    """How a cell value reads in a message: ``text 'TBC'``, ``the Excel error #N/A``,
    ``the date 01/04/2024``, ``blank``: never a Python type's name.

    >>> describe(None), describe(1.0), describe(_dt.date(2024, 4, 1))
    ('blank', 'the number 1', 'the date 01/04/2024')
    """
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in EXCEL_ERRORS:
            return f"the Excel error {text.upper()}"
        hint = " (a number typed as text)" if _looks_numeric(text) else ""
        return f"text {value!r}{hint}"
    if value is None:
        return "blank"
    if isinstance(value, _dt.datetime) and (value.hour, value.minute, value.second) != (0, 0, 0):
        return f"the date and time {value:%d/%m/%Y %H:%M}"
    if isinstance(value, _dt.datetime | _dt.date):
        return f"the date {value:%d/%m/%Y}"
    if isinstance(value, _dt.time):
        return f"the time {value:%H:%M}"
    if isinstance(value, bool):
        return f"the logical value {str(value).upper()}"
    if isinstance(value, numbers.Real):
        try:
            number = float(value)
        except OverflowError:
            return "a number too large for any amount"
        return f"the number {as_shown(number)}" if math.isfinite(number) else (
            "a number that is not finite")
    return "a value lfi-xl cannot read as a cell's"


def _looks_numeric(text: str) -> bool:
    stripped = text.replace("£", "").replace(",", "").replace("%", "").strip()
    stripped = stripped.removeprefix("(").removesuffix(")")
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def is_blank(value: object) -> bool:
    """A blank cell: ``None``, an empty or all-space string, or NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, float) and math.isnan(value)


def to_number(value: object, expected: str = "a number") -> float:
    """One cell value as a float; ``nan`` for a blank; :class:`BadValue` otherwise.

    >>> to_number(19.637), to_number(None), to_number(3)
    (19.637, nan, 3.0)
    >>> to_number("TBC")
    Traceback (most recent call last):
    ...
    lfi_xl.core.values.BadValue: expected a number, found text 'TBC'
    """
    if is_blank(value):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadValue(value, expected)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        raise BadValue(value, f"{expected} of a plausible size") from None
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise BadValue(value, f"{expected} of a plausible size")
    return number


def to_numbers(values: Iterable[object], expected: str = "a number") -> np.ndarray:
    """A series of cell values as a float array (``nan`` for blanks).

    Raises :class:`BadValue` for the first value that is not a number, with its
    ``position`` in the series.

    >>> to_numbers([1, None, 2.5]).tolist()
    [1.0, nan, 2.5]
    """
    out = []
    for position, value in enumerate(values):
        try:
            out.append(to_number(value, expected))
        except BadValue as error:
            error.position = position
            raise
    return np.asarray(out, dtype=float)


_NUMBER_TYPES = {float, int, type(None)}
_DATE_TYPES = {_dt.date, _dt.datetime, type(None)}
#: Day 0 of Excel's 1900 date system.
_EPOCH = np.datetime64("1899-12-30", "D")


def fast_numbers(values: list[Any] | np.ndarray, dates: bool = False) -> np.ndarray | None:
    """A column of numbers (or dates) and blanks as floats, vectorised; ``None`` when any
    cell is something else, so the caller can name it cell by cell."""
    kinds = set(map(type, values))
    if kinds <= _NUMBER_TYPES:
        try:
            out = np.array(values, dtype=float)
        except OverflowError:
            return None
        finite = out[~np.isnan(out)]
        if np.isfinite(finite).all() and (np.abs(finite) <= MAX_MAGNITUDE).all():
            return out
        return None
    if dates and kinds <= _DATE_TYPES:
        # each distinct date converted once: a register holds a few thousand dates in many
        # rows, and numpy converts a date object in about a microsecond
        codes, index = factorised(values)
        days = np.array([None if v is None else np.datetime64(v, "s") for v in index],
                        dtype="datetime64[s]")
        serials = (days - _EPOCH).astype("timedelta64[s]").astype(float) / 86400
        serials[np.isnat(days)] = np.nan
        return serials[codes]
    return None


def factorised(cells) -> tuple[np.ndarray, dict]:
    """Each cell's index into the distinct cells, and those cells (first seen first) with
    their index: hashed and looked up in C, a register's column in milliseconds. Cells
    equal in Python are one (TRUE and 1: see :func:`lfi_xl.core.costs.distinct`).

    >>> codes, index = factorised(["b", "a", "b"])
    >>> codes.tolist(), index
    ([0, 1, 0], {'b': 0, 'a': 1})
    """
    keys = dict.fromkeys(cells)
    index = dict(zip(keys, range(len(keys)), strict=True))
    return np.fromiter(map(index.__getitem__, cells), np.intp, len(cells)), index


def blanks_as_zero(values: np.ndarray) -> np.ndarray:
    """Blanks (``nan``) count as 0, as in a running balance."""
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
