"""Excel's native functions that ``lfi-xl recalc`` computes itself, registered over the
formula engine's own: COUNTIF(S), SUMIF(S) and AVERAGEIF(S) with the criteria code of
LFI_AVGCOST (:func:`lfi_xl.core.costs.matches`; the engine's criteria follow other rules:
case, ``?``, ``"05"``, ``=``), and ROUND/ROUNDUP/ROUNDDOWN (Excel rounds the number it
shows, to 15 significant digits).

Arguments are grids (2-D lists of cell values: None blank, numbers, text, logical values;
error cells as their text, ``"#N/A"``), criteria single values. Results are numbers; a
failure raises :class:`ExcelError` as Excel shows it.
"""

from __future__ import annotations

import decimal
import math
import numbers

import numpy as np

from lfi_xl.core import costs
from lfi_xl.core.cells import DIV0, VALUE, ExcelError, grid
from lfi_xl.core.values import EXCEL_ERRORS, ErrorCode, stored_number


class Unsupported(Exception):
    """A call these functions cannot compute as Excel would (recalc keeps Excel's value)."""


def _criterion(value: object, what: str) -> object:
    cells = grid(value)
    if cells.size != 1:  # Excel would spill one result per criterion
        raise Unsupported(f"{what} with a range of criteria")
    cell = cells[0, 0]
    if isinstance(cell, str) and cell in EXCEL_ERRORS and not isinstance(cell, ErrorCode):
        raise Unsupported(f"{what} with the text {cell!r} as its criterion")
    return cell


def _error_cells(cells: np.ndarray, error: ErrorCode) -> np.ndarray:
    """An error as the criterion (COUNTIF(range, 1/0)): Excel counts the cells holding
    that error."""
    if any(type(cell) is str and cell == error for cell in cells):
        raise Unsupported(f"criteria over the text {error!r} and the error {error}")
    return np.fromiter((isinstance(cell, ErrorCode) and cell == error for cell in cells),
                       bool, cells.size)


def _selected(name: str, criteria: tuple, shape: tuple | None, date1904: bool) -> np.ndarray:
    if not criteria or len(criteria) % 2:
        raise ExcelError(VALUE, f"{name}: criteria come in pairs (a range, then its "
                                "criterion)")
    selected = None
    for k in range(0, len(criteria), 2):
        cells = grid(criteria[k])
        shape = shape or cells.shape
        if cells.shape != shape:  # Excel: #VALUE! for *IFS, a resized range for *IF
            raise Unsupported(f"{name} with ranges of different sizes")
        criterion = _criterion(criteria[k + 1], name)
        hit = (_error_cells(cells.ravel(), criterion) if isinstance(criterion, ErrorCode)
               else costs.matches(cells.ravel(), criterion, date1904=date1904))
        selected = hit if selected is None else selected & hit
    assert selected is not None  # criteria come in pairs: one at least
    return selected


def _numbers(values: np.ndarray, selected: np.ndarray, name: str) -> list[float]:
    """The numbers among the selected cells (text, logical values and blanks are
    skipped, as Excel does); an error among them is the result."""
    out = []
    for cell in values.ravel()[selected]:
        if isinstance(cell, str) and cell in EXCEL_ERRORS:
            raise ExcelError(cell, f"{name}: a selected cell is {cell}")
        if isinstance(cell, numbers.Real) and not isinstance(cell, bool | np.bool_) and (
                not math.isnan(cell)):
            out.append(float(cell))
    return out


def countifs(*criteria, date1904: bool = False) -> int:
    return int(_selected("COUNTIFS", criteria, None, date1904).sum())


def sumifs(sum_range, *criteria, date1904: bool = False) -> float:
    values = grid(sum_range)
    selected = _selected("SUMIFS", criteria, values.shape, date1904)
    return math.fsum(_numbers(values, selected, "SUMIFS"))


def averageifs(average_range, *criteria, date1904: bool = False) -> float:
    values = grid(average_range)
    found = _numbers(values, _selected("AVERAGEIFS", criteria, values.shape, date1904),
                     "AVERAGEIFS")
    if not found:
        raise ExcelError(DIV0, "AVERAGEIFS: no cell matches")
    return math.fsum(found) / len(found)


def countif(cells, criterion, *, date1904: bool = False) -> int:
    return countifs(cells, criterion, date1904=date1904)


def sumif(cells, criterion, sum_range=None, *, date1904: bool = False) -> float:
    # Excel sizes an omitted or smaller sum range from the criteria range's top left.
    return sumifs(cells if sum_range is None else sum_range, cells, criterion,
                  date1904=date1904)


def averageif(cells, criterion, average_range=None, *, date1904: bool = False) -> float:
    return averageifs(cells if average_range is None else average_range, cells, criterion,
                      date1904=date1904)


_ROUNDING = {"ROUND": decimal.ROUND_HALF_UP, "ROUNDUP": decimal.ROUND_UP,
             "ROUNDDOWN": decimal.ROUND_DOWN}


def _scalar(value: object, what: str) -> float:
    if isinstance(value, list):  # one cell, or an array: Excel would give an array
        cells = grid(value)
        if cells.size != 1:
            raise Unsupported(f"{what} over a range")
        value = cells[0, 0]
    if value is None:
        return 0.0
    if isinstance(value, str):
        if value in EXCEL_ERRORS:
            raise ExcelError(value, f"{what}: an argument is {value}")
        number = costs.typed_number(value)
        if number is None:
            raise ExcelError(VALUE, f"{what}: {value!r} is not a number")
        return number
    return float(value)  # type: ignore[arg-type]  # a number, or a bool as Excel counts it


def excel_round(name: str, number, digits) -> float:
    """ROUND, ROUNDUP or ROUNDDOWN as Excel computes them: on the number as Excel shows
    it, to 15 significant digits (so ROUND(0.049999999999999975, 1) is 0.1), halves away
    from zero.

    >>> excel_round("ROUND", 0.049999999999999975, 1), excel_round("ROUND", -2.5, 0)
    (0.1, -3.0)
    """
    value, places = _scalar(number, name), int(_scalar(digits, name))
    shown = decimal.Decimal(repr(stored_number(value)))
    return float(shown.quantize(decimal.Decimal(1).scaleb(-places), _ROUNDING[name]))
