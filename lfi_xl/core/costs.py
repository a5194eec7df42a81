"""Average placement costs: FTE-weighted annual cost per placement, always with its n.

A placement register is columns of arrays, one element per placement: annual cost (whole £
a year), start and end dates (Excel serials, 1900 date system), category, age band, in/out
of county. :func:`fte` weighs each placement by its share of the period;
:func:`average_cost` and :func:`count_placements` select rows with Excel AVERAGEIFS /
COUNTIFS criteria (:func:`matches`). An empty selection raises :class:`NoMatch`, never 0/0.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import operator
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from lfi_xl.core.values import (
    MAX_MAGNITUDE,
    BadValue,
    describe,
    factorised,
    is_blank,
    to_numbers,
)

_EPOCH = dt.date(1899, 12, 30)  # day 0 from 1 March 1900, past Excel's fictitious 29 Feb 1900
_MAX_SERIAL = 2958465  # 9999-12-31
_OPERATORS = ("<=", ">=", "<>", "<", ">", "=")  # two-character operators tested first
_COMPARE = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_BLANK, _NUMBER, _TEXT, _OTHER, _LOGICAL = 0, 1, 2, 3, 4


class NoMatch(ValueError):
    """No placement matches the criteria (with a weight above 0): an average of nothing."""


def serial(date: dt.date | dt.datetime) -> float:
    """A date as an Excel serial number (1900 date system; a datetime keeps its time).

    >>> serial(dt.date(2023, 4, 1)), serial(dt.date(1900, 1, 1)), serial(dt.date(1900, 3, 1))
    (45017.0, 1.0, 61.0)
    """
    day = date.date() if isinstance(date, dt.datetime) else date
    if day < dt.date(1900, 1, 1):
        raise ValueError(f"{day} is before 1900-01-01, the first day Excel can hold")
    days = (day - _EPOCH).days - (day < dt.date(1900, 3, 1))  # no fictitious 29 Feb before
    if isinstance(date, dt.datetime):
        return days + (date - dt.datetime.combine(day, dt.time())).total_seconds() / 86400
    return float(days)


def from_serial(x: float) -> dt.date:
    """The date of an Excel serial number (its whole day; times of day are dropped).

    >>> from_serial(45382.0), from_serial(59), from_serial(61)
    (datetime.date(2024, 3, 31), datetime.date(1900, 2, 28), datetime.date(1900, 3, 1))
    """
    if not 1 <= x < _MAX_SERIAL + 1:
        raise ValueError(f"{x} is not an Excel date serial (1 to {_MAX_SERIAL})")
    day = math.floor(x)
    if day == 60:
        raise ValueError("serial 60 is 29 February 1900, a date Excel invents but never was")
    return _EPOCH + dt.timedelta(days=day + (day < 60))


def fte(start, end, period_start: float, period_end: float) -> np.ndarray:
    """The share of a period (inclusive days) each placement was active, 0 to 1.

    Parameters
    ----------
    start, end : array_like
        Placement start and end dates (Excel serials, inclusive). A blank end (``nan``)
        is an open placement, active to the end of the period.
    period_start, period_end : float
        The period (Excel serials, inclusive).

    Returns
    -------
    numpy.ndarray
        ``overlap_days / period_days`` (whole days: a time of day is dropped); 0 for an
        empty row (neither date: no placement); ``nan`` for an invalid row (an end but no
        start, or an end before the start), for the caller to report.

    Examples
    --------
    Open since 1 May 2023, in April-July 2023 (122 days): 92 of them.

    >>> fte([45047.0], [np.nan], 45017.0, 45138.0).tolist() == [92 / 122]
    True
    """
    start = np.floor(np.asarray(start, dtype=float))
    end = np.floor(np.asarray(end, dtype=float))
    first, last = float(np.floor(period_start)), float(np.floor(period_end))
    if not last >= first:  # also a blank (nan) period
        raise ValueError(f"the period ends ({period_end}) before it starts ({period_start})")
    if start.shape != end.shape:
        raise ValueError(f"{start.size} start dates but {end.size} end dates")
    days = np.fmin(end, last) - np.maximum(start, first) + 1  # fmin: a blank end is open
    out = np.clip(days, 0, None) / (last - first + 1)
    out[np.isnan(start) | (end < start)] = np.nan
    out[np.isnan(start) & np.isnan(end)] = 0.0  # an empty row in the register
    return out


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul",
                                        "aug", "sep", "oct", "nov", "dec"), start=1)}
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NAMED_DATE = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*[ -](\d{4}|\d{2})")
_AMOUNT = re.compile(r"([+-]?)[£$€]?([+-]?)((?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?"
                     r"(?:[eE][+-]?\d+)?)(%?)")
_DATE1904 = 1462  # days from 1900-01-00 to 1904-01-01 in Excel's serials


def typed_number(text: str, date1904: bool = False) -> float | None:
    """The number Excel reads in text typed into a criterion (or ``None``): ``1,000``,
    ``£5``, ``$5``, ``50%``, ``1e3``, and dates as a UK Excel reads them, ``01/04/2023``
    (day first), ``2023-04-01``, ``1 Apr 2023``, as serials of the workbook's date
    system.

    >>> typed_number("1,000"), typed_number("<50%"[1:]), typed_number("01/04/2023")
    (1000.0, 0.5, 45017.0)
    """
    text = text.strip()
    amount = _AMOUNT.fullmatch(text)
    if amount and any(ch.isdigit() for ch in amount.group(3)) and not (
            amount.group(1) and amount.group(2)):
        digits = amount.group(3).replace(",", "")
        number = float(digits) * (-1 if "-" in amount.group(1) + amount.group(2) else 1)
        return number / 100 if amount.group(4) else number
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_UK_DATE, (2, 1, 0)),
                           (_NAMED_DATE, (2, 1, 0))):
        found = pattern.fullmatch(text)
        if not found:
            continue
        year, month, day = (found.group(i + 1) for i in order)
        month = _MONTHS.get(month.lower()) if not month.isdigit() else int(month)
        year = int(year) + (0 if len(year) == 4 else 2000 if int(year) < 30 else 1900)
        try:
            days = serial(dt.date(year, month or 0, int(day)))
        except ValueError:  # 31/02/2023 is text to Excel too
            return None
        return days - _DATE1904 if date1904 else days
    return None


def _criterion(criterion: object, date1904: bool = False) -> tuple[str, float | bool | str]:
    """(operator, operand): a float for a numeric criterion, a bool for a logical one,
    else text ('' = blank)."""
    if criterion is None or (isinstance(criterion, float) and math.isnan(criterion)):
        return "=", 0.0  # Excel reads an empty criterion cell as 0
    if isinstance(criterion, bool | np.bool_):
        return "=", bool(criterion)
    if isinstance(criterion, numbers.Real):
        return "=", float(criterion)
    if not isinstance(criterion, str):
        raise TypeError(f"a criterion is a number or text, not {describe(criterion)}")
    op = next((o for o in _OPERATORS if criterion.startswith(o)), "")
    rest = criterion[len(op):]
    number = typed_number(rest, date1904) if rest.strip() else None
    if number is not None:
        return op or "=", number
    if rest.upper() in ("TRUE", "FALSE"):
        return op or "=", rest.upper() == "TRUE"
    return op or "=", rest


def _pattern(text: str) -> re.Pattern:
    """Excel wildcards as a regular expression: ``*`` any run, ``?`` one, ``~`` escapes."""
    regex = []
    for part in re.split(r"(~[*?~]|\*|\?)", collate(text)):
        wild = {"*": ".*", "?": "."}.get(part)
        regex.append(wild or re.escape(part[1:] if part in ("~*", "~?", "~~") else part))
    return re.compile("".join(regex), re.DOTALL)


def collate(text: str) -> str:
    """Text as Excel's comparisons see it: case-insensitive (``lower``: "ß" is not "SS").
    Ordering also ignores accents (:func:`_order_key`)."""
    return text.lower()


#: Excel's order for text (Microsoft, "Sort data in a range or table"): digits, then space
#: and punctuation in this order, then letters; apostrophes and hyphens are ignored.
_PUNCTUATION = " !\"#$%&()*,./:;?@[\\]^_`{|}~+<=>"
_RANKS = {**{d: i for i, d in enumerate("0123456789")},
          **{ch: 10 + i for i, ch in enumerate(_PUNCTUATION)},
          **{ch: 100 + i for i, ch in enumerate("abcdefghijklmnopqrstuvwxyz")}}


def _order_key(text: str) -> tuple[tuple[int, ...], str]:
    """Excel's order of text, case-insensitive: by letters first, accents second ("école"
    < "f", "ecole" < "école"), digits before punctuation before letters (code points
    would put "é" after "z" and "~" after letters)."""
    lower = text.lower().replace("'", "").replace("-", "")
    decomposed = unicodedata.normalize("NFKD", lower)
    letters = [ch for ch in decomposed if not unicodedata.combining(ch)]
    return tuple(_RANKS.get(ch, 1000 + ord(ch)) for ch in letters), lower


class _Logical:
    """A logical cell while a column is factorised (True would hash as 1)."""

    def __init__(self, value: bool):
        self.value = value


_LOGICAL_CELLS = {True: _Logical(True), False: _Logical(False)}
_LOGICAL_TYPES = (bool, np.bool_)


def _numeric_types(types: set[type]) -> bool:
    """Whether cells of these types are all numbers or blanks (``None``), at least one a
    number: such a column converts to floats as it is (TRUE and FALSE are not numbers)."""
    types = types - {type(None)}
    return bool(types) and all(
        kind is int or kind is float or (issubclass(kind, np.integer | np.floating)
                                         and kind is not np.bool_) for kind in types)


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A column factorised: each cell's index into its distinct values (object array, in
    the order first seen). TRUE and FALSE stay apart from 1 and 0 (equal in Python): they
    are kept as :class:`_Logical` cells, which :func:`matches` reads as logical values.

    >>> codes, uniques = distinct(np.array(["AP", None, "AP", 1, True], dtype=object))
    >>> codes.tolist(), [type(u).__name__ for u in uniques]
    ([0, 1, 0, 2, 3], ['str', 'NoneType', 'int', '_Logical'])
    """
    cells = values.ravel().tolist()  # a list: iterated faster than an array
    codes, index = factorised(cells)
    if True in index or False in index:  # a logical, or a 1 or 0 that may hide one
        codes, index = factorised([_LOGICAL_CELLS[bool(v)] if type(v) in _LOGICAL_TYPES
                                   else v for v in cells])
    return codes, np.fromiter(index, object, len(index))


def _typed(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kind, number and collated text of each distinct cell value."""
    text = np.full(uniques.size, "", dtype=object)
    if _numeric_types(set(map(type, uniques))):  # no loop for numbers
        num = uniques.astype(float)
        return np.where(np.isnan(num), _BLANK, _NUMBER), num, text
    kind = np.full(uniques.size, _OTHER, dtype=np.int8)
    num = np.full(uniques.size, np.nan)
    for i, value in enumerate(uniques):
        if isinstance(value, str):
            kind[i] = _TEXT if value else _BLANK
            text[i] = collate(value)
            num[i] = float(value) if _NUMBER_TEXT.fullmatch(value) else np.nan
        elif value is None:
            kind[i] = _BLANK
        elif isinstance(value, _Logical):
            kind[i], num[i] = _LOGICAL, float(value.value)
        elif isinstance(value, numbers.Real | dt.date):
            num[i] = serial(value) if isinstance(value, dt.date) else float(value)
            kind[i] = _BLANK if math.isnan(num[i]) else _NUMBER
    return kind, num, text


def _test(op: str, operand: float | bool | str, kind, num, text) -> np.ndarray:
    """The criterion on typed cells; ``text`` is None when there are no text cells."""
    if isinstance(operand, bool):  # TRUE and FALSE match logical cells only
        if op in _COMPARE:
            return (kind == _LOGICAL) & _COMPARE[op](num, float(operand))
        equal = (kind == _LOGICAL) & (num == float(operand))
    elif isinstance(operand, float):
        if op in _COMPARE:  # only numeric cells are ordered against a number
            return (kind == _NUMBER) & _COMPARE[op](num, operand)
        # a number typed as text equals the number, as in Excel's COUNTIF
        equal = ((kind == _NUMBER) | (kind == _TEXT)) & (num == operand)
    elif op in _COMPARE:  # text ordering, case- and accent-insensitive, only text cells
        if text is None:
            return np.zeros(kind.shape, dtype=bool)
        key = _order_key(operand)
        ordered = np.fromiter((_COMPARE[op](_order_key(t), key) for t in text), bool,
                              text.size)
        return (kind == _TEXT) & ordered
    elif operand == "":
        equal = kind == _BLANK
    elif text is None:
        equal = np.zeros(kind.shape, dtype=bool)
    else:
        regex = _pattern(operand)
        found = np.fromiter((regex.fullmatch(t) is not None for t in text), bool, text.size)
        equal = (kind == _TEXT) & found
    return equal if op == "=" else ~equal


def matches(values, criterion: object, *, date1904: bool = False) -> np.ndarray:
    """Which cells of a column meet an Excel COUNTIFS / AVERAGEIFS criterion.

    Parameters
    ----------
    values : array_like
        One column (flattened); blanks are ``None``, ``nan`` or ``""``.
    criterion : float, bool or str
        A number (equality), a logical value, or text: an optional ``<=``, ``>=``,
        ``<>``, ``<``, ``>`` or ``=`` then a number as typed (:func:`typed_number`:
        ``1,000``, ``£5``, ``50%``, ``01/04/2023``), ``TRUE``/``FALSE``, or text with
        wildcards ``*``, ``?`` and ``~`` (escape).
    date1904 : bool
        The workbook counts dates from 1904: a date typed in a criterion is that serial.

    Returns
    -------
    numpy.ndarray of bool

    Notes
    -----
    As in Excel: text compares case-insensitively, and orders letters before accents;
    ``""`` and ``"="`` match blanks and ``"<>"`` non-blanks; ``"<>x"`` matches everything
    not equal to x, blanks included; ``<``/``>`` only match cells of the operand's type;
    wildcards match text only; a number typed as text equals the number (``5`` and
    ``"=5"`` match ``"5"``); TRUE and FALSE match logical cells only. A text column is
    factorised, the criterion tested once per distinct value.

    Examples
    --------
    >>> cells = np.array(["Independent special", "INDEPENDENT AP", None, 18500.0], dtype=object)
    >>> matches(cells, "independent*").tolist(), matches(cells, ">=15,000").tolist()
    ([True, True, False, False], [False, False, False, True])
    >>> matches(cells, "<>Independent AP").tolist()
    [True, False, True, True]
    """
    op, operand = _criterion(criterion, date1904)
    values = (values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
              ).ravel()
    if values.dtype.kind in "mM":  # numpy datetimes would compare as nanoseconds
        raise TypeError("dates in a criteria range must be Excel serial numbers")
    if values.dtype.kind in "biuf":  # numbers: vectorised directly
        num = values.astype(float)
        kind = np.where(np.isnan(num), _BLANK, _LOGICAL if values.dtype.kind == "b"
                        else _NUMBER)
        return _test(op, operand, kind, num, None)
    values = values.astype(object, copy=False)
    if values.size and isinstance(values[0], numbers.Real) and not isinstance(
            values[0], _LOGICAL_TYPES) and _numeric_types(set(map(type, values))):
        return matches(values.astype(float), criterion, date1904=date1904)  # numbers
    codes, uniques = distinct(values)
    return np.take(_test(op, operand, *_typed(uniques)), codes)


def text_matches(column: np.ndarray, criterion, seen: dict | None = None) -> np.ndarray:
    """``costs.matches(column, criterion)``, each distinct cell value tested once: a
    register's text columns hold a handful of values in many rows. ``seen`` keeps the
    column's :func:`distinct` values between calls (pass the same dict for the same
    column).

    >>> text_matches(np.array(["Under 16", None, "under 16", 1, True], dtype=object),
    ...              "UNDER 16").tolist()
    [True, False, True, False, False]
    """
    return matches_any(column, (criterion,), seen)


def matches_any(column: np.ndarray, criteria, seen: dict | None = None) -> np.ndarray:
    """Which cells meet at least one of ``criteria``, as :func:`text_matches` tests them
    (each distinct value once against each criterion).

    >>> matches_any(np.array(["In county", "Out", None], dtype=object),
    ...             ["in county", "out"]).tolist()
    [True, True, False]
    """
    seen = {} if seen is None else seen
    if "codes" not in seen:
        seen["codes"], seen["uniques"] = distinct(np.asarray(column, dtype=object))
    hit = np.zeros(seen["uniques"].size, dtype=bool)
    for criterion in criteria:
        hit |= matches(seen["uniques"], criterion)
    return hit[seen["codes"]]


def _rows(n: int, what: str, weights, criteria: Sequence[object],
          date1904: bool = False):
    """Rows meeting every criterion with weight > 0, and their weights (or None)."""
    if len(criteria) % 2:
        raise ValueError("criteria come in pairs: a range, then its criterion")
    pairs = []
    for k in range(0, len(criteria), 2):
        column = criteria[k]
        column = column if isinstance(column, np.ndarray) else np.asarray(column, dtype=object)
        if column.size != n:
            raise ValueError(f"criteria range {k // 2 + 1} has {column.size} cells but {what} "
                             f"has {n}")
        pairs.append((column.ravel(), criteria[k + 1]))
    pairs.sort(key=lambda pair: pair[0].dtype == object)  # cheap numeric tests narrow first
    rows = np.arange(n)
    w = None if weights is None else np.asarray(weights, dtype=float).ravel()
    if w is not None:
        if w.size != n:
            raise ValueError(f"weights has {w.size} values but {what} has {n}")
        rows = np.flatnonzero(w != 0)  # weight 0 never counts; nan waits for the criteria
    for column, criterion in pairs:
        rows = rows[matches(column if rows.size == n else column[rows], criterion,
                            date1904=date1904)]
    if w is None:
        return rows, None
    bad = ~(w[rows] >= 0) | np.isinf(w[rows])  # nan (an invalid row), negative, infinite
    if bad.any():
        at = int(rows[np.argmax(bad)])
        raise _bad(w[at], "a weight (FTE) of 0 or more", at)
    return rows, w[rows]


def _bad(found: object, expected: str, position: int) -> BadValue:
    """BadValue at ``position``, saying "a blank" for a blank (a nan reads as one)."""
    error = BadValue(found, expected, position=position)
    if is_blank(found):
        error.args = (f"expected {expected}, found a blank",)
    return error


def _costs(cost: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Costs of the selected rows as floats; BadValue (with position) for the first bad."""
    picked = cost[rows]
    if picked.dtype.kind in "iuf" or _numeric_types(set(map(type, picked))):
        values = picked.astype(float)
    else:  # text, logical or blank strings: find the first offender
        try:
            values = to_numbers(picked, "a cost")
        except BadValue as error:
            error.position = int(rows[error.position])
            raise
    bad = ~np.isfinite(values) | (np.abs(values) > MAX_MAGNITUDE)
    if bad.any():
        at = int(rows[np.argmax(bad)])
        raise _bad(cost[at], "a cost" if is_blank(cost[at]) else "a plausible cost", at)
    return values


def average_cost(cost, weights=None, *criteria, date1904: bool = False) -> float:
    """FTE-weighted average annual cost of the placements meeting every criterion.

    Parameters
    ----------
    cost : array_like
        Annual cost of each placement (£ a year); a float array (``nan`` blank) or cells.
    weights : array_like, optional
        Weight of each placement, usually :func:`fte`; None weighs every row 1. Only rows
        with weight above 0 count.
    *criteria
        ``range1, criterion1, range2, criterion2, ...`` as in AVERAGEIFS (:func:`matches`).

    Returns
    -------
    float
        ``sum(cost * weight) / sum(weight)`` over the rows that count.

    Notes
    -----
    Raises :class:`NoMatch` when no row counts, ``ValueError`` for a range of the wrong
    length, :class:`~lfi_xl.core.values.BadValue` (``position`` = row) for a counted row
    with a blank or non-numeric cost or a matching row with a blank or negative weight.

    Examples
    --------
    Two independent special school placements, one for half the period:

    >>> average_cost([60000.0, 90000.0, 18000.0], [1.0, 0.5, 1.0],
    ...              ["Independent", "Independent", "State"], "independent")
    70000.0
    """
    cost = (cost if isinstance(cost, np.ndarray) else np.asarray(cost, dtype=object)).ravel()
    rows, w = _rows(cost.size, "cost", weights, criteria, date1904)
    if not rows.size:
        said = " and ".join(repr(c) for c in criteria[1::2]) or "(no criteria)"
        weighted = "" if weights is None else " with a weight above 0"
        raise NoMatch(f"no placements match {said}{weighted}")
    values = _costs(cost, rows)
    if w is None:
        return exact_sum(values) / values.size
    return exact_sum(values * w) / exact_sum(w)


def exact_sum(values: np.ndarray) -> float:
    """``math.fsum(values)``: the sum correctly rounded, so it does not depend on the
    order BLAS or SIMD add in. Whole numbers (a full-period placement's cost, an FTE of
    1) are added by numpy first, exactly while their magnitudes sum below 2**53, and
    handed to fsum as one term: fsum then adds only the fractions.

    >>> exact_sum(np.array([0.1, 0.2, 0.3, 1e16, 1.0, -1e16]))
    1.6
    """
    whole = values == np.trunc(values)
    if whole.any():
        integers = values[whole]
        if np.abs(integers).sum() < 2.0 ** 53:  # every partial sum exact
            return math.fsum([float(integers.sum()), *values[~whole].tolist()])
    return math.fsum(values.tolist())  # from a list: no numpy scalars


def count_placements(weights, *criteria, date1904: bool = False) -> int:
    """n: placements meeting every criterion with weight above 0 (None: weight 1 each).

    >>> count_placements([1.0, 0.0, 0.4], ["Out", "Out", "out"], "OUT")
    2
    """
    if weights is None and not criteria:
        raise ValueError("count_placements needs weights or at least one criteria range")
    n, what = (np.size(weights), "weights") if weights is not None else (
        np.size(criteria[0]), "criteria range 1")
    return int(_rows(n, what, weights, criteria, date1904)[0].size)


#: A date criterion meaning "within the report period": >= its first day, <= its last.
IN_PERIOD = object()


def costs_by_period(measures, columns: dict[str, np.ndarray], start, end, periods,
                    *, date1904: bool = False, masks: dict | None = None) -> list[list]:
    """Many averages and counts over one register, for many periods, reading it once.

    Parameters
    ----------
    measures : sequence of (cost, criteria)
        ``cost``: the key in ``columns`` of the cost to average, or None for n (the
        :func:`count_placements`); ``criteria``: (key, criterion) pairs as in AVERAGEIFS,
        a criterion :data:`IN_PERIOD` meaning within the period.
    columns : dict
        The register's columns (equal length), by key.
    start, end : array_like
        Placement start and end dates (Excel serials; a blank end is open).
    periods : sequence of (first, last) or None
        Each period's first and last day (serials); None gives a column of ``""``.
    masks : dict, optional
        Criteria tested on these columns before, kept between calls (pass the same dict
        for the same register): by (key, criterion) the rows that meet it, by (key, None)
        the column's distinct values (:func:`text_matches`).

    Returns
    -------
    list of lists
        One row per measure, one column per period: what :func:`average_cost` (``""``
        where it raises :class:`NoMatch`) or :func:`count_placements` gives with the
        period's :func:`fte` as weights. Each cell is exactly those functions' answer: the
        criteria that do not depend on the period select the rows once, and selecting
        first changes neither the rows counted nor the order they are added in.

    Notes
    -----
    A row with no start date or an end before its start raises
    :class:`~lfi_xl.core.values.BadValue` (``position`` = row), as :func:`fte` marks it.

    Examples
    --------
    >>> costs_by_period([("cost", [("kind", "a")]), (None, [("kind", "a")])],
    ...                 {"cost": np.array([100.0, 400.0, 50.0]),
    ...                  "kind": np.array(["a", "a", "b"], dtype=object)},
    ...                 [1.0, 1.0, 1.0], [np.nan, 5.0, np.nan], [(1.0, 10.0), None])
    [[200.0, ''], [2, '']]
    """
    start = np.asarray(start, dtype=float).ravel()
    end = np.asarray(end, dtype=float).ravel()
    n = start.size
    masks = {} if masks is None else masks  # a criterion tested once per register
    selected = []
    for _, criteria in measures:
        rows = np.ones(n, dtype=bool)
        for key, criterion in criteria:
            if criterion is IN_PERIOD:
                continue
            if (key, criterion) not in masks:
                column = columns[key]
                masks[key, criterion] = (
                    text_matches(column, criterion, masks.setdefault((key, None), {}))
                    if isinstance(column, np.ndarray) and column.dtype == object and
                    not date1904 else matches(column, criterion, date1904=date1904))
            rows &= masks[key, criterion]
        selected.append(np.flatnonzero(rows))
    out: list[list] = [[] for _ in measures]
    for period in periods:
        if period is None:
            for row in out:
                row.append("")
            continue
        first, last = period
        weights = fte(start, end, first, last)
        invalid = np.flatnonzero(np.isnan(weights))
        if invalid.size:
            at = int(invalid[0])
            raise _bad(start[at], "a start date on or before the end date", at)
        for row, (cost, criteria), rows in zip(out, measures, selected, strict=True):
            dated = []
            for key, criterion in criteria:
                if criterion is IN_PERIOD:
                    column = np.asarray(columns[key])[rows]
                    dated += [column, f">={first:g}", column, f"<={last:g}"]
            try:
                if cost is None:
                    row.append(count_placements(weights[rows], *dated, date1904=date1904))
                else:
                    row.append(average_cost(np.asarray(columns[cost])[rows], weights[rows],
                                            *dated, date1904=date1904))
            except NoMatch:
                row.append("")
            except BadValue as error:
                if error.position is not None:
                    error.position = int(rows[error.position])
                raise
    return out
