"""Worksheet-function arguments and results: the thin conversion layer of the UDFs.

A worksheet function receives cells from two hosts: Excel through xlwings (lists of
lists, ``None`` for blanks, ``datetime`` for date cells, error cells as text such as
``'#N/A'``: every argument has ``err_to_str``, without which xlwings would pass an error
as ``None``, a blank) and the headless ``formulas`` engine (2-D arrays, which
:mod:`lfi_xl.actions.recalc` normalises to the same form). This module turns either into numpy
arrays for the core, and a result back into a scalar, a row or a column.

A failure is an :class:`ExcelError`: an Excel error code plus the reason. Its text
starts with the code (``"#DIV/0! LFI_AVGCOST: no placements match ..."``) so that the
add-in's VBA wrapper can turn it into the matching ``CVErr`` and keep the reason for
``LFI_WHY``; the headless engine puts the code in the cell and the reason in its report.
Never a message string in a numeric cell, never a silent 0: a blank (``None``, "")
may take a default, an error cell never does; it raises that error.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import math
import numbers
from collections.abc import Sequence

import numpy as np

from lfi_xl.core import costs
from lfi_xl.core.values import EXCEL_ERRORS, describe, fast_numbers

VALUE, NA, DIV0, NUM = "#VALUE!", "#N/A", "#DIV/0!", "#NUM!"
#: Excel's day 0 in the 1900 date system (serial 1 = 1900-01-01, allowing for the
#: fictitious 29 February 1900 that Excel keeps).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: True while the functions serve a workbook in the 1904 date system (Mac Excel's old
#: default; serial 0 is 1 January 1904). Set by ``lfi-xl recalc`` from the workbook.
DATE_1904: contextvars.ContextVar[bool] = contextvars.ContextVar("date_1904", default=False)
_DAYS_1904 = 1462  # serial of 1 January 1904 in the 1900 system

ROW, COLUMN, SINGLE = "row", "column", "single"


class ExcelError(Exception):
    """A worksheet function's failure: the Excel error to show and why.

    ``argument`` names the function's parameter at fault and ``item`` which of its cells
    (1 = the first, reading across then down), when one is: a host that knows where the
    arguments were read (``lfi-xl recalc``) names that cell beside the reason."""

    def __init__(self, code: str, reason: str, argument: str | None = None,
                 item: int | None = None):
        self.code = code
        self.reason = reason
        self.argument = argument
        self.item = item
        super().__init__(f"{code} {reason}")


def nth(index: int, count: int) -> str:
    """Which cell of a range a message means: "" for a single cell, else ", cell 3 of 12"
    (``index`` counted from 0)."""
    return "" if count <= 1 else f", cell {index + 1} of {count}"


def first_blank(what: str, argument: str, values: np.ndarray, code: str = VALUE) -> None:
    """#VALUE! (or ``code``) naming the first blank (``nan``) of an argument's values: a
    blank is not a 0 where one is needed."""
    blanks = np.flatnonzero(np.isnan(values))
    if blanks.size:
        where = nth(int(blanks[0]), values.size)
        raise ExcelError(code, f"{what}{where}{',' if where else ''} is blank", argument,
                         int(blanks[0]) + 1)


def serial(date: dt.date | dt.datetime) -> float:
    """A date as a serial number of the workbook's date system (:data:`DATE_1904`)."""
    return costs.serial(date) - (_DAYS_1904 if DATE_1904.get() else 0)


def grid(value: object) -> np.ndarray:
    """Any argument as a 2-D object array: a single value is 1 x 1, a flat list a row."""
    if isinstance(value, np.ndarray):
        array = value.astype(object)
    elif isinstance(value, list | tuple):
        array = np.array(
            [list(row) if isinstance(row, list | tuple) else [row] for row in value]
            if value and isinstance(value[0], list | tuple)
            else [list(value)],
            dtype=object,
        )
    else:
        array = np.array([[value]], dtype=object)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise ExcelError(VALUE, "expected a range of cells")
    return array


def omitted(value: object) -> bool:
    """An argument left out, or left empty (``LFI_AVGCOST(cost,,...)``)."""
    if value is None:
        return True
    array = grid(value)
    return array.size == 1 and (array[0, 0] is None or array[0, 0] == "")


def orientation(array: np.ndarray) -> str:
    rows, columns = array.shape
    if rows == 1 and columns == 1:
        return SINGLE
    if rows == 1:
        return ROW
    if columns == 1:
        return COLUMN
    raise ExcelError(VALUE, f"expected a single row or column, got {rows} x {columns} cells")


def _check_error(value: object, what: str) -> None:
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise ExcelError(value.strip().upper(), f"{what} contains the error "
                                                f"{value.strip().upper()}")


def _number(value: object, what: str, index: int, blank: float, dates: bool = False,
            count: int = 1) -> float:
    if value is None or (isinstance(value, str) and value.strip() == "") or (
            isinstance(value, float) and math.isnan(value)):
        return blank
    _check_error(value, what)
    if isinstance(value, dt.datetime | dt.date) and dates:
        return serial(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ExcelError(VALUE, f"{what}{nth(index, count)}: expected a number, found "
                                f"{describe(value)}", what, index + 1)
    number = float(value)
    if not math.isfinite(number):
        raise ExcelError(NUM, f"{what}{nth(index, count)}: not a finite number", what,
                         index + 1)
    return number


def _flat(value: object) -> tuple[list, str] | None:
    """A row or column of Excel's lists of lists as a flat list, without building an
    object array (the fast path for long ranges); ``None`` for anything else."""
    if not (isinstance(value, list) and value and isinstance(value[0], list)):
        return None
    if all(len(row) == 1 for row in value):
        return [row[0] for row in value], COLUMN if len(value) > 1 else SINGLE
    if len(value) == 1:
        return list(value[0]), ROW
    return None


def numbers_of(value: object, what: str, blank: float = 0.0,
               dates: bool = False) -> tuple[np.ndarray, str]:
    """A row, column or single cell of numbers as a flat float array, and its shape.

    Blanks become ``blank`` (0 by default; ``nan`` where a blank means "not given").
    Date cells (xlwings passes them as ``datetime``) become Excel serial numbers where
    ``dates`` are expected, and raise where money is (#VALUE!: a date is not an amount).
    Text, logical values and error cells raise.
    """
    flat_list = _flat(value)
    if flat_list is not None:
        fast = fast_numbers(flat_list[0], dates=dates)
        if fast is not None:  # clean numbers (or dates) and blanks: vectorised
            if dates and DATE_1904.get() and not set(map(type, flat_list[0])) <= {
                    float, int, type(None)}:
                fast = fast - _DAYS_1904  # the dates, as serials of the 1904 system
            return (fast if math.isnan(blank) else np.where(np.isnan(fast), blank, fast),
                    flat_list[1])
    array = grid(value)
    shape = orientation(array)
    flat = array.ravel()
    return np.fromiter((_number(v, what, i, blank, dates, flat.size)
                        for i, v in enumerate(flat)), float, count=flat.size), shape


def number(value: object, what: str, blank: float = 0.0) -> float:
    """One cell as a number (a 1 x 1 range counts); a date cell is #VALUE!."""
    array = grid(value)
    if array.size != 1:
        raise ExcelError(VALUE, f"{what}: expected one cell, got {array.size}")
    return _number(array[0, 0], what, 0, blank)


def whole_number(value: object, what: str, blank: float) -> int:
    """One cell as a whole number (a count): 3.5 is #VALUE!, not 3."""
    found = number(value, what, blank)
    if not found.is_integer():
        raise ExcelError(VALUE, f"{what}: expected a whole number, found {found:g}")
    return int(found)


def text(value: object, what: str, default: str | None = None) -> str:
    """One cell as text (blank gives ``default``, or an error when there is none)."""
    array = grid(value)
    if array.size != 1:
        raise ExcelError(VALUE, f"{what}: expected one cell, got {array.size}")
    cell = array[0, 0]
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        if default is None:
            raise ExcelError(VALUE, f"{what} is blank")
        return default
    _check_error(cell, what)
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def column_values(value: object, what: str) -> np.ndarray:
    """A criteria range as a flat object array (blanks ``None``, dates as serials).

    Error cells raise: a criterion cannot be tested against ``#N/A``.
    """
    flat_list = _flat(value)
    if flat_list is not None and not set(map(type, flat_list[0])) - {str, float, int,
                                                                     type(None)}:
        cells = flat_list[0]
        if EXCEL_ERRORS.isdisjoint(cells):  # no error cells, no dates: as they are
            out = np.empty(len(cells), dtype=object)
            out[:] = cells
            return out
    flat = grid(value).ravel()
    out = np.empty(flat.size, dtype=object)
    for i, cell in enumerate(flat):
        _check_error(cell, what)
        out[i] = serial(cell) if isinstance(cell, dt.datetime | dt.date) else cell
    return out


def same_length(what: str, *arrays: tuple[str, np.ndarray]) -> None:
    first_name, first = arrays[0]
    for name, array in arrays[1:]:
        if array.size != first.size:
            raise ExcelError(VALUE, f"{what}: {name} has {array.size} cells but {first_name} "
                                    f"has {first.size}")


def shaped(values: np.ndarray, shape: str, nan_error: str = NUM, what: str = "",
           argument: str | None = None):
    """A flat result in the caller's shape: a scalar, a row (1 x n) or a column (n x 1).

    ``nan`` in a result means the core found no value; it becomes ``nan_error``, said as
    ``what`` (for the result's cell, when it has several), the cause in ``argument``'s
    cell at the same place when it is one argument's.
    """
    values = np.asarray(values)
    if values.dtype.kind == "f" and np.isnan(values).any():
        position = int(np.flatnonzero(np.isnan(values))[0])
        which = f" (result {position + 1} of {values.size})" if values.size > 1 else ""
        raise ExcelError(nan_error, f"{what or 'no figure'}{which}", argument, position + 1)
    items = values.tolist()
    if shape == SINGLE:
        return items[0]
    if shape == ROW:
        return [items]
    return [[item] for item in items]


def to_date(value: object, what: str) -> dt.date:
    """One cell as a date: a date cell, an Excel serial number, or ISO text."""
    array = grid(value)
    if array.size != 1:
        raise ExcelError(VALUE, f"{what}: expected one cell, got {array.size}")
    cell = array[0, 0]
    _check_error(cell, what)
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, numbers.Real) and not isinstance(cell, bool) \
            and 1 <= float(cell) < 2958466:
        shift = _DAYS_1904 if DATE_1904.get() else 0
        return (EXCEL_EPOCH + dt.timedelta(days=int(float(cell)) + shift)).date()
    if isinstance(cell, str):
        try:
            return dt.date.fromisoformat(cell.strip())
        except ValueError:
            pass
    raise ExcelError(VALUE, f"{what}: expected a date, found {describe(cell)}")


def criteria_pairs(criteria: Sequence[object], what: str) -> list[tuple[np.ndarray, object]]:
    """``range1, criterion1, range2, criterion2, ...`` as (values, criterion) pairs."""
    if len(criteria) % 2:
        raise ExcelError(VALUE, f"{what}: criteria come in pairs (a range, then its "
                                "criterion)")
    pairs = []
    for k in range(0, len(criteria), 2):
        criterion = grid(criteria[k + 1])
        if criterion.size != 1:
            raise ExcelError(VALUE, f"{what}: criterion {k // 2 + 1} must be one value")
        cell = criterion[0, 0]
        _check_error(cell, f"criterion {k // 2 + 1}")
        if isinstance(cell, dt.datetime | dt.date):
            cell = serial(cell)
        pairs.append((column_values(criteria[k], f"criteria range {k // 2 + 1}"), cell))
    return pairs
