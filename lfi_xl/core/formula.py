"""Excel formulas as ``lfi-xl recalc`` evaluates them: a parser for the formula text Excel
saves, and an evaluator of its operators and of the native functions lfi-xl has proven
against Excel (files Excel saved: tests/engines/test_recalc_excel.py) and LibreOffice
(tests/engines/test_recalc_libreoffice.py). What it cannot prove equal to Excel raises
:class:`Unsupported`, and recalc keeps the value Excel saved.

Excel's rules kept here (Microsoft's documentation of each function; POI's Excel-saved
FormulaEvalTestData for the cases the documentation does not spell out):

- A reference in SUM, MIN, MAX, AVERAGE, COUNT, AND, OR counts numbers (and, for AND/OR,
  logical values) only; text, logical values and blanks in it are skipped. A value typed
  as an argument counts: TRUE is 1, "3" is 3, "x" is #VALUE!.
- An operator or a one-value argument given a range takes the cell in the formula's row
  or column (implicit intersection), #VALUE! when there is none.
- Comparisons: blank equals 0, "" and FALSE; numbers < text < logical values; text
  ignores case; numbers equal to 15 significant digits are equal.
- A negative number to a fractional power is #NUM!; 0^0 is #NUM!; 0 to a negative power
  is #DIV/0!.
- IF's condition may be the text "TRUE" or "FALSE" in any case; other text is #VALUE!.

Values: numbers (float), text (str), logical values (bool), blanks (None, from cells
only), errors (:class:`~lfi_xl.core.values.ErrorCode`), :class:`Range` and
:class:`Array`. Date cells (``datetime`` as a file reader gives them) are their serial
numbers to the native functions and reach the ``LFI_`` functions as dates, as xlwings
passes them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from lfi_xl.core import costs, ifs
from lfi_xl.core.cells import ExcelError
from lfi_xl.core.values import EXCEL_ERRORS, ErrorCode, stored_number

VALUE, DIV0, NUM, NA, REF = "#VALUE!", "#DIV/0!", "#NUM!", "#N/A", "#REF!"


class Unsupported(Exception):
    """A formula, or one call in it, lfi-xl does not compute as Excel would."""


class FormulaSyntax(Exception):
    """Text lfi-xl cannot read as a formula."""


class Fail(Exception):
    """An Excel error as the result (``code``), and why (``reason``, for the report)."""

    def __init__(self, code: str, reason: str = ""):
        self.code, self.reason = code, reason
        super().__init__(code)


@dataclass(frozen=True)
class Range:
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int


class Array(list):
    """An array value: a list of rows (a function's spilled result, {1,2;3,4})."""


# ------------------------------------------------------------------------- parsing

_AREA = (r"\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?"
         r"|\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|\$?\d+:\$?\d+")
_TOKEN = re.compile(rf"""
 (?P<ws>\s+)
|(?P<str>"(?:[^"]|"")*")
|(?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA))
|(?P<ref>(?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?(?P<area>{_AREA})(?![\w.(!'\[]))
|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
|(?P<func>[^\W\d][\w.]*(?=\())
|(?P<name>[^\W\d\\][\w.]*|\\[\w.]+)
|(?P<op><=|>=|<>|[-+*/^&=<>%(),;{{}}])
|(?P<bad>.)
""", re.X | re.S)
_CELL = re.compile(r"\$?([A-Za-z]{1,3})?\$?(\d+)?")
_MAX_ROW, _MAX_COL = 1048576, 16384
_INFIX = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3,
          "*": 4, "/": 4, "^": 5}
_NEGATION, _PERCENT = 7, 6


def _argument_cell(function: Callable, ranges: list, error: ExcelError) -> str | None:
    """The cell an LFI_ function's error is about (its ``argument`` and ``item``), as
    ``Sheet!A1``, when that argument is a reference; else ``None``."""
    if error.argument is None or error.item is None:
        return None
    import inspect

    try:
        names = [name for name, parameter in inspect.signature(function).parameters.items()
                 if parameter.kind in (parameter.POSITIONAL_ONLY,
                                       parameter.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return None
    if error.argument not in names or names.index(error.argument) >= len(ranges):
        return None
    box = ranges[names.index(error.argument)]
    if box is None:
        return None
    width = box.c2 - box.c1 + 1
    row, col = box.r1 + (error.item - 1) // width, box.c1 + (error.item - 1) % width
    if row > box.r2:
        return None
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    sheet = box.sheet   # quoted as lfi_xl.errors.quote_sheet quotes it
    if not sheet.replace("_", "").isalnum():
        sheet = "'" + sheet.replace("'", "''") + "'"
    return f"{sheet}!{letters}{row}"


def _column(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _area(text: str) -> tuple[int, int, int, int, bool]:
    """(r1, c1, r2, c2, absolute) of A1, $A$1:B2, A:A or 1:1."""
    parts = text.split(":")
    absolute = all(part.count("$") == (2 if re.search(r"[A-Za-z]", part) and
                                       re.search(r"\d", part) else 1) for part in parts)
    corners = []
    for part in parts:
        cell = _CELL.fullmatch(part)
        if cell is None:
            raise FormulaSyntax(f"cannot read the reference {text!r}")
        letters, digits = cell.groups()
        corners.append((int(digits) if digits else None, _column(letters) if letters else None))
    (ra, ca), (rb, cb) = corners[0], corners[-1]
    r1, r2 = (ra or 1, rb or _MAX_ROW) if ra is None or rb is None else (min(ra, rb), max(ra, rb))
    c1, c2 = (ca or 1, cb or _MAX_COL) if ca is None or cb is None else (min(ca, cb), max(ca, cb))
    if ra is None and rb is None:
        r1, r2 = 1, _MAX_ROW
    if ca is None and cb is None:
        c1, c2 = 1, _MAX_COL
    return r1, c1, r2, c2, absolute


def _tokens(text: str) -> list[tuple[str, str, object]]:
    out: list[tuple[str, str, object]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "bad"
        if kind == "ws":
            out.append(("ws", " ", None))
            continue
        value = match.group(kind)
        if kind == "bad":
            raise FormulaSyntax(f"cannot read {value!r}")
        if kind == "ref":
            sheet = match.group("sheet")
            if sheet is not None and sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
            out.append(("ref", value, (sheet, _area(match.group("area")))))
        else:
            out.append((kind, value, None))
    return out


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, skip_space: bool = True):
        at = self.at
        while skip_space and at < len(self.tokens) and self.tokens[at][0] == "ws":
            at += 1
        return self.tokens[at] if at < len(self.tokens) else ("end", "", None)

    def take(self):
        token = self.peek()
        while self.tokens[self.at][0] == "ws":
            self.at += 1
        self.at += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take() if self.peek()[0] != "end" else ("end", "", None)
        if token[1] != value:
            raise FormulaSyntax(f"expected {value!r}")

    def parse(self):
        node = self.expression(0)
        if self.peek()[0] != "end":
            raise FormulaSyntax(f"cannot read {self.peek()[1]!r}")
        return node

    def expression(self, power: int):
        node = self.prefix()
        while True:
            kind, value, _ = self.peek()
            if kind == "op" and value == "%":
                if _PERCENT < power:
                    break
                self.take()
                node = ("pct", node)
            elif kind == "op" and value in _INFIX and _INFIX[value] > power:
                self.take()
                node = ("op", value, node, self.expression(_INFIX[value]))
            elif kind == "op" and value in _INFIX:
                break
            elif kind in ("ref", "name", "func", "num", "str") or value in ("(", "{"):
                raise Unsupported("uses an intersection of ranges (a space between them)")
            else:
                break
        return node

    def prefix(self):
        kind, value, extra = self.take() if self.peek()[0] != "end" else ("end", "", None)
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1].replace('""', '"'))
        if kind == "err":
            return ("err", value.upper())
        if kind == "ref":
            if self.peek(skip_space=False)[1] == ":":
                raise Unsupported("uses a range built with ':' from a function")
            sheet, (r1, c1, r2, c2, absolute) = extra  # type: ignore[misc]
            return ("ref", sheet, r1, c1, r2, c2, absolute, ":" in value.rsplit("!", 1)[-1])
        if kind == "name":
            upper = value.upper()
            if upper in ("TRUE", "FALSE"):
                return ("bool", upper == "TRUE")
            return ("name", upper, value)
        if kind == "func":
            self.expect("(")
            args: list[object] = []
            if self.peek()[1] == ")":
                self.take()
                return ("fn", _function_name(value), args)
            while True:
                if self.peek()[1] in (",", ")"):
                    args.append(("missing",))
                else:
                    args.append(self.expression(0))
                token = self.take()
                if token[1] == ")":
                    return ("fn", _function_name(value), args)
                if token[1] != ",":
                    raise FormulaSyntax("expected ',' or ')' in a function's arguments")
        if kind == "op" and value == "(":
            node = self.expression(0)
            if self.peek()[1] == ",":
                raise Unsupported("uses a union of ranges ((A1,B1))")
            self.expect(")")
            return ("paren", node)
        if kind == "op" and value in "-+":
            operand = self.expression(_NEGATION)
            return ("neg", operand) if value == "-" else ("pos", operand)
        if kind == "op" and value == "{":
            return self.array()
        raise FormulaSyntax(f"cannot read {value!r}" if value else "the formula ends early")

    def array(self):
        rows: list[list[object]] = []
        row: list[object] = []
        while True:
            sign = 1.0
            kind, value, _ = self.take()
            if value in "-+" and kind == "op":
                sign = -1.0 if value == "-" else 1.0
                kind, value, _ = self.take()
            if kind == "num":
                row.append(sign * float(value))
            elif kind == "str":
                row.append(value[1:-1].replace('""', '"'))
            elif kind == "name" and value.upper() in ("TRUE", "FALSE"):
                row.append(value.upper() == "TRUE")
            elif kind == "err":
                row.append(ErrorCode(value.upper()))
            else:
                raise FormulaSyntax("an array constant holds only numbers, text, "
                                    "logical values and errors")
            kind, value, _ = self.take()
            if value == ",":
                continue
            rows.append(row)
            row = []
            if value == ";":
                continue
            if value == "}":
                if len({len(r) for r in rows}) != 1:
                    raise FormulaSyntax("the rows of an array constant differ in length")
                return ("array", Array(rows))
            raise FormulaSyntax("expected ',', ';' or '}' in an array constant")


def _function_name(text: str) -> str:
    upper = text.upper()
    for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLUDF.", "_XLWS."):
        upper = upper.removeprefix(prefix)
    return upper


def parse(text: str):
    """The syntax tree of a formula's text (without its "="); :class:`FormulaSyntax`
    when it cannot be read, :class:`Unsupported` for syntax lfi-xl does not evaluate."""
    return _Parser(text).parse()


def calls(node) -> list[str]:
    """Every function a tree calls, as Excel names them (upper case, no _xlfn.)."""
    out = []
    _walk(node, lambda n: out.append(n[1]) if n[0] == "fn" else None)
    return out


def _walk(node, visit) -> None:
    visit(node)
    tag = node[0]
    if tag == "fn":
        for arg in node[2]:
            _walk(arg, visit)
    elif tag == "op":
        _walk(node[2], visit)
        _walk(node[3], visit)
    elif tag in ("neg", "pos", "pct", "paren"):
        _walk(node[1], visit)


def references(node) -> tuple[list[tuple], list[str]]:
    """The references a tree reads (``("ref", sheet or None, r1, c1, r2, c2, ...)``) and
    the names it uses (upper case)."""
    refs, names = [], []
    _walk(node, lambda n: refs.append(n) if n[0] == "ref" else
          names.append(n[1]) if n[0] == "name" else None)
    return refs, names


# ---------------------------------------------------------------------- evaluating

_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9 ]*")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Evaluator:
    """Evaluates trees for one workbook.

    ``cells(range)`` gives a range's values as rows (blanks ``None``, errors
    :class:`ErrorCode`, date cells as dates); ``names`` the workbook's defined names
    lfi-xl reads (upper case -> tree), ``unread`` the others; ``functions`` the
    ``LFI_`` functions (raising :class:`ExcelError`)."""

    def __init__(self, cells: Callable[[Range], list[list]], names: dict, unread: set,
                 functions: dict[str, Callable], date1904: bool = False):
        self.cells, self.names, self.unread = cells, names, unread
        self.functions, self.date1904 = functions, date1904
        self.sheet, self.row, self.col, self.array = "", 1, 1, False
        self.reason = ""
        #: ``extent(sheet)``: (rows, columns) holding values, to read A:A only so far
        self.extent: Callable[[str], tuple[int, int]] | None = None

    # -- the result of one formula cell, or of an array formula's range
    def formula(self, tree, sheet: str, row: int, col: int, shape: tuple[int, int] | None):
        """The cell's value (``shape`` None) or the array formula's rows (``shape`` its
        rows and columns). An error is returned as :class:`ErrorCode`, the reason
        raised with it in :attr:`reason`."""
        self.sheet, self.row, self.col, self.array = sheet, row, col, shape is not None
        self.reason = ""
        try:
            value = self.eval(tree)
            if shape is None:
                return _storable(self._scalar(value, blank=0.0))
            return self._spill(value, shape)
        except Fail as failure:
            self.reason = failure.reason
            if shape is None:
                return ErrorCode(failure.code)
            return [[ErrorCode(failure.code)] * shape[1] for _ in range(shape[0])]

    def _spill(self, value, shape):
        rows, cols = shape
        if isinstance(value, Range):
            value = self._grid(value)
        if not isinstance(value, list):
            value = [[value]]
        height, width = len(value), len(value[0]) if value else 0
        out = []
        for i in range(rows):
            line = []
            for j in range(cols):
                # one row (or column) of results fills every row (column) of the range,
                # as in Excel; beyond the results, #N/A
                a, b = (i if height > 1 else 0), (j if width > 1 else 0)
                if a < height and b < width:
                    cell = value[a][b]
                    line.append(_storable(0.0 if cell is None else self._native(cell)))
                else:
                    line.append(ErrorCode(NA))
            out.append(line)
        return out

    # -- values
    def _native(self, value):
        """A cell's value as the native functions see it: dates as serial numbers."""
        if isinstance(value, dt.datetime | dt.date):
            return costs.serial(value) - (1462 if self.date1904 else 0)
        if isinstance(value, dt.time):
            return (value.hour * 3600 + value.minute * 60 + value.second
                    + value.microsecond / 1e6) / 86400
        if isinstance(value, dt.timedelta):
            return value.total_seconds() / 86400
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    def _grid(self, ref: Range) -> list[list]:
        if (ref.r2 - ref.r1 + 1) * (ref.c2 - ref.c1 + 1) > 5_000_000:
            raise Unsupported("reads more than five million cells")
        return self.cells(ref)

    def _clipped(self, ref: Range) -> Range:
        """A range without the empty rows and columns past the sheet's last value (for
        functions that skip blanks)."""
        if self.extent is None or (ref.r2 - ref.r1 + 1) * (ref.c2 - ref.c1 + 1) <= 100_000:
            return ref
        rows, cols = self.extent(ref.sheet)
        return Range(ref.sheet, ref.r1, ref.c1, max(ref.r1, min(ref.r2, rows)),
                     max(ref.c1, min(ref.c2, cols)))

    def _scalar(self, value, blank=None):
        """One value: a range by implicit intersection, an array's first item."""
        if isinstance(value, Range):
            value = self._intersect(value)
        elif isinstance(value, Array):
            value = value[0][0]
        if isinstance(value, ErrorCode):
            raise Fail(value)
        return blank if value is None else self._native(value)

    def _intersect(self, ref: Range):
        if ref.r1 == ref.r2 and ref.c1 == ref.c2:
            return self._grid(ref)[0][0]
        if self.array:
            raise Unsupported("gives a range where one value is wanted, in an array formula")
        if ref.c1 == ref.c2 and ref.r1 <= self.row <= ref.r2:
            return self._grid(Range(ref.sheet, self.row, ref.c1, self.row, ref.c1))[0][0]
        if ref.r1 == ref.r2 and ref.c1 <= self.col <= ref.c2:
            return self._grid(Range(ref.sheet, ref.r1, self.col, ref.r1, self.col))[0][0]
        if ref.r1 != ref.r2 and ref.c1 != ref.c2 and ref.r1 <= self.row <= ref.r2 and \
                ref.c1 <= self.col <= ref.c2:
            raise Unsupported("gives a range of several rows and columns where one value "
                              "is wanted")
        raise Fail(VALUE, "the range does not meet the formula's row or column")

    def _number(self, value) -> float:
        value = self._scalar(value, blank=0.0)
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, float):
            return value
        if isinstance(value, str):
            return self._text_number(value)
        raise Unsupported(f"reads a value of type {type(value).__name__}")

    @staticmethod
    def _text_number(text: str) -> float:
        if _NUMBER_TEXT.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return number
        if not any(ch.isdigit() for ch in text):
            raise Fail(VALUE, f"{text!r} is not a number")
        raise Unsupported(f"reads the text {text!r} as a number")

    def _text(self, value) -> str:
        value = self._scalar(value, blank="")
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        shown = f"{value:.15g}"
        if "e" in shown:
            raise Unsupported("turns a very large or small number into text")
        return shown

    def _logical(self, value) -> bool:
        value = self._scalar(value, blank=False)
        if isinstance(value, bool):
            return value
        if isinstance(value, float):
            return value != 0
        if isinstance(value, str):
            if value.upper() in ("TRUE", "FALSE"):
                return value.upper() == "TRUE"
            raise Fail(VALUE, f"{value!r} is not TRUE or FALSE")
        raise Unsupported(f"reads a value of type {type(value).__name__}")

    # -- the tree
    def eval(self, node):
        tag = node[0]
        if tag == "num" or tag == "str" or tag == "bool":
            return node[1]
        if tag == "err":
            raise Fail(node[1])
        if tag == "ref":
            _, sheet, r1, c1, r2, c2, _absolute, _ = node
            return Range(sheet or self.sheet, r1, c1, r2, c2)
        if tag == "paren":
            return self.eval(node[1])
        if tag == "name":
            if node[1] in self.names:
                return self.eval(self.names[node[1]])
            if node[1] in self.unread:
                raise Unsupported(f"uses the name {node[2]}, which lfi-xl does not read")
            raise Unsupported(f"uses the name {node[2]}, which the workbook does not define")
        if tag == "neg":
            return _finite(-self._number(self.eval(node[1])))
        if tag == "pos":
            return self.eval(node[1])
        if tag == "pct":
            return self._number(self.eval(node[1])) / 100
        if tag == "op":
            return self._operator(node[1], node[2], node[3])
        if tag == "fn":
            return self._call(node[1], node[2])
        if tag == "array":
            return node[1]
        if tag == "missing":
            return None
        raise Unsupported(f"uses {tag}")

    def _operator(self, op: str, left, right):
        a, b = self.eval(left), self.eval(right)
        if op == "&":
            text_a, text_b = self._text(a), self._text(b)
            if len(text_a) + len(text_b) > 32767:
                raise Fail(VALUE, "the text is longer than a cell holds")
            return text_a + text_b
        if op in ("=", "<>", "<", ">", "<=", ">="):
            order = _compare(self._scalar(a), self._scalar(b), op in ("=", "<>"))
            return {"=": order == 0, "<>": order != 0, "<": order < 0, ">": order > 0,
                    "<=": order <= 0, ">=": order >= 0}[op]
        x, y = self._number(a), self._number(b)
        if op == "+":
            return _finite(x + y)
        if op == "-":
            return _finite(x - y)
        if op == "*":
            return _finite(x * y)
        if op == "/":
            if y == 0:
                raise Fail(DIV0, "division by 0")
            return _finite(x / y)
        return _power(x, y)

    # -- functions
    def _call(self, name: str, args: list):
        if name.startswith("LFI_"):
            return self._lfi(name, args)
        method = getattr(self, "f_" + name, None)
        if method is None:
            raise Unsupported(f"uses {name}")
        return method(args)

    def _lfi(self, name: str, args: list):
        function = self.functions.get(name)
        if function is None:
            raise Unsupported(f"uses {name}, which is not an lfi-xl function")
        values, ranges = [], []
        for arg in args:
            value = self.eval(arg)
            ranges.append(value if isinstance(value, Range) else None)
            if isinstance(value, Range):
                value = self._grid(value)
            elif isinstance(value, Array):
                value = [list(row) for row in value]
            values.append(value)
        try:
            result = function(*values)
        except ExcelError as error:
            where = _argument_cell(function, ranges, error)
            raise Fail(error.code, f"{error} ({where})" if where else str(error)) from None
        if isinstance(result, list):
            return Array(row if isinstance(row, list) else [row] for row in result)
        return _storable(result)

    def _each(self, args: list):
        """Each argument's values, and whether they come from a reference or an array."""
        for arg in args:
            try:
                value = self.eval(arg)
            except Fail as failure:  # an error typed as an argument: COUNT skips it
                value = ErrorCode(failure.code)
            if isinstance(value, Range):
                yield [self._native(v) for row in self._grid(self._clipped(value))
                       for v in row], True
            elif isinstance(value, Array):
                yield [v for row in value for v in row], True
            else:
                yield [value], False

    def _numbers(self, args: list, name: str) -> list[float]:
        out = []
        for values, referenced in self._each(args):
            for value in values:
                if isinstance(value, ErrorCode):
                    raise Fail(value, f"{name}: an argument is {value}")
                if referenced:
                    if _is_number(value):
                        out.append(float(value))
                elif value is None:
                    out.append(0.0)  # an argument left empty: SUM(1,)
                else:
                    out.append(self._number(value))
        return out

    def f_SUM(self, args):
        total = 0.0
        for number in self._numbers(args, "SUM"):
            total += number
        return _finite(total)

    def f_MIN(self, args):
        found = self._numbers(args, "MIN")
        return min(found) if found else 0.0

    def f_MAX(self, args):
        found = self._numbers(args, "MAX")
        return max(found) if found else 0.0

    def f_AVERAGE(self, args):
        found = self._numbers(args, "AVERAGE")
        if not found:
            raise Fail(DIV0, "AVERAGE: no numbers")
        total = 0.0
        for number in found:
            total += number
        return _finite(total / len(found))

    def f_COUNT(self, args):
        count = 0
        for values, referenced in self._each(args):
            for value in values:
                if referenced or isinstance(value, ErrorCode) or value is None:
                    count += _is_number(value)
                elif isinstance(value, bool | float):
                    count += 1
                elif isinstance(value, str):
                    try:
                        self._text_number(value)
                        count += 1
                    except Fail:
                        pass
        return float(count)

    def _logicals(self, args: list, name: str) -> list[bool]:
        out = []
        for values, referenced in self._each(args):
            for value in values:
                if isinstance(value, ErrorCode):
                    raise Fail(value, f"{name}: an argument is {value}")
                if isinstance(value, bool) or _is_number(value):
                    out.append(bool(value))
                elif referenced:
                    continue  # text and blanks in a range are skipped
                elif isinstance(value, str) and value.upper() not in ("TRUE", "FALSE"):
                    raise Fail(VALUE, f"{name}: {value!r} is not a logical value")
                else:
                    raise Unsupported(f"{name} with an empty argument or the text "
                                      f"{value!r}")
        if not out:
            raise Fail(VALUE, f"{name}: no logical values")
        return out

    def f_AND(self, args):
        return all(self._logicals(args, "AND"))

    def f_OR(self, args):
        return any(self._logicals(args, "OR"))

    def f_NOT(self, args):
        _count(args, 1, 1, "NOT")
        value = self._scalar(self.eval(args[0]), blank=False)
        if isinstance(value, str):
            if value.upper() in ("TRUE", "FALSE"):
                raise Unsupported(f"NOT of the text {value!r}")
            raise Fail(VALUE, f"NOT: {value!r} is not a logical value")
        return not self._logical(value)

    def f_IF(self, args):
        _count(args, 1, 3, "IF")
        if self._logical(self.eval(args[0])):
            chosen = args[1] if len(args) > 1 else ("bool", True)
        else:
            chosen = args[2] if len(args) > 2 else ("bool", False)
        if chosen[0] == "missing":
            return 0.0
        return self.eval(chosen)

    def f_IFERROR(self, args):
        _count(args, 2, 2, "IFERROR")
        try:
            return self._scalar(self.eval(args[0]), blank=0.0)
        except Fail:
            if args[1][0] == "missing":
                return 0.0
            return self.eval(args[1])

    def f_NA(self, args):
        _count(args, 0, 0, "NA")
        raise Fail(NA, "NA()")

    def f_ABS(self, args):
        _count(args, 1, 1, "ABS")
        return abs(self._number(self.eval(args[0])))

    def _round(self, name, args):
        _count(args, 2, 2, name)
        number, digits = (self._number(self.eval(arg)) for arg in args)
        try:
            return ifs.excel_round(name, number, digits)
        except ifs.Unsupported as error:
            raise Unsupported(str(error)) from None

    def f_ROUND(self, args):
        return self._round("ROUND", args)

    def f_ROUNDUP(self, args):
        return self._round("ROUNDUP", args)

    def f_ROUNDDOWN(self, args):
        return self._round("ROUNDDOWN", args)

    def f_INDEX(self, args):
        _count(args, 2, 3, "INDEX")
        source = self.eval(args[0])
        if not isinstance(source, Range | Array):
            source = Array([[source]])
        row = int(self._number(self.eval(args[1])))
        col = int(self._number(self.eval(args[2]))) if len(args) > 2 and \
            args[2][0] != "missing" else None
        height, width = ((source.r2 - source.r1 + 1, source.c2 - source.c1 + 1)
                         if isinstance(source, Range) else (len(source), len(source[0])))
        if row < 0 or (col is not None and col < 0):
            raise Fail(VALUE, "INDEX: a negative row or column")
        if col is None and height == 1 and width > 1:
            row, col = 1, row  # one row: the number counts columns
        col = 1 if col is None else col
        if row == 0 or col == 0:
            raise Unsupported("INDEX of a whole row or column")
        if row > height or col > width:
            raise Fail(REF, "INDEX: the row or column is outside the range")
        if isinstance(source, Range):
            r, c = source.r1 + row - 1, source.c1 + col - 1
            return Range(source.sheet, r, c, r, c)
        return source[row - 1][col - 1]

    def f_MATCH(self, args):
        _count(args, 2, 3, "MATCH")
        wanted = self._scalar(self.eval(args[0]))
        if wanted is None:
            raise Unsupported("MATCH of a blank")
        source = self.eval(args[1])
        if isinstance(source, Range):
            if source.r1 != source.r2 and source.c1 != source.c2:
                raise Fail(NA, "MATCH: the range is not one row or column")
            cells = [self._native(v) for row in self._grid(source) for v in row]
        elif isinstance(source, Array):
            if len(source) > 1 and len(source[0]) > 1:
                raise Fail(NA, "MATCH: the array is not one row or column")
            cells = [v for row in source for v in row]
        else:
            cells = [source]
        kind = 1.0 if len(args) < 3 or args[2][0] == "missing" else \
            self._number(self.eval(args[2]))
        if kind == 0:
            if isinstance(wanted, str) and any(ch in wanted for ch in "*?~"):
                raise Unsupported("MATCH with a wildcard")
            for position, cell in enumerate(cells, start=1):
                if not isinstance(cell, ErrorCode) and cell is not None and \
                        _same_kind(cell, wanted) and _compare(cell, wanted, True) == 0:
                    return float(position)
            raise Fail(NA, "MATCH: no exact match")
        # Approximate: Excel searches by halves, which gives the documented answer only
        # on values sorted in order, all of the looked-up value's kind.
        if any(cell is None or isinstance(cell, ErrorCode) or not _same_kind(cell, wanted)
               for cell in cells):
            raise Unsupported("approximate MATCH over blanks, errors or mixed values")
        if isinstance(wanted, str) and not all(_PLAIN_TEXT.fullmatch(c) for c in
                                                cells + [wanted]):
            raise Unsupported("approximate MATCH over text with punctuation or accents")
        ascending = kind > 0
        for a, b in zip(cells, cells[1:], strict=False):
            step = _compare(a, b, False)
            if (step >= 0) if ascending else (step <= 0):
                raise Unsupported("approximate MATCH over values not in strict order")
        found = 0
        for position, cell in enumerate(cells, start=1):
            order = _compare(cell, wanted, False)
            if (order <= 0) if ascending else (order >= 0):
                found = position
            else:
                break
        if not found:
            raise Fail(NA, "MATCH: no value at or below the one looked up" if ascending
                       else "MATCH: no value at or above the one looked up")
        return float(found)

    def _criteria(self, name: str, args: list, pairs_from: int):
        grids = []
        for position, arg in enumerate(args):
            try:
                value = self.eval(arg)
            except Fail as failure:  # COUNTIF(range, 1/0): the cells holding #DIV/0!
                value = ErrorCode(failure.code)
            is_range = position < pairs_from or (position - pairs_from) % 2 == 0
            if is_range:
                if isinstance(value, Range):
                    value = [[self._native(v) for v in row] for row in self._grid(value)]
                elif isinstance(value, ErrorCode):
                    raise Fail(value, f"{name}: the range is {value}")
                else:
                    raise Unsupported(f"{name} over an array or a value, not a range")
            else:
                if isinstance(value, Range | Array):
                    if isinstance(value, Range) and value.r1 == value.r2 and \
                            value.c1 == value.c2:
                        value = self._native(self._grid(value)[0][0])
                    else:
                        raise Unsupported(f"{name} with a range of criteria")
                elif value is None:
                    raise Unsupported(f"{name} with an empty criterion")
            grids.append(value)
        try:
            return getattr(ifs, name.lower())(*grids, date1904=self.date1904)
        except ifs.Unsupported as error:
            raise Unsupported(f"{name} {str(error).removeprefix(name + ' ')}") from None
        except ExcelError as error:
            raise Fail(error.code, str(error)) from None

    def f_COUNTIF(self, args):
        _count(args, 2, 2, "COUNTIF")
        return float(self._criteria("COUNTIF", args, 0))

    def f_COUNTIFS(self, args):
        return float(self._criteria("COUNTIFS", args, 0))

    def f_SUMIF(self, args):
        _count(args, 2, 3, "SUMIF")
        if len(args) == 3:  # the sum range is a range, not a criterion
            return self._sumif(args)
        return self._criteria("SUMIF", args, 0)

    def _sumif(self, args):
        cells, criterion, sums = (self.eval(arg) for arg in args)
        for value in (cells, sums):
            if not isinstance(value, Range):
                raise Fail(VALUE, "SUMIF: a range is needed")
        if (cells.r2 - cells.r1, cells.c2 - cells.c1) != (sums.r2 - sums.r1, sums.c2 - sums.c1):
            raise Unsupported("SUMIFS with ranges of different sizes")
        return self._criteria("SUMIFS", [args[2], args[0], args[1]], 1)

    def f_SUMIFS(self, args):
        return self._criteria("SUMIFS", args, 1)

    def f_AVERAGEIF(self, args):
        _count(args, 2, 3, "AVERAGEIF")
        if len(args) == 3:
            cells, sums = self.eval(args[0]), self.eval(args[2])
            if isinstance(cells, Range) and isinstance(sums, Range) and (
                    cells.r2 - cells.r1, cells.c2 - cells.c1) != (sums.r2 - sums.r1,
                                                                  sums.c2 - sums.c1):
                raise Unsupported("AVERAGEIFS with ranges of different sizes")
            return self._criteria("AVERAGEIFS", [args[2], args[0], args[1]], 1)
        return self._criteria("AVERAGEIF", args, 0)

    def f_AVERAGEIFS(self, args):
        return self._criteria("AVERAGEIFS", args, 1)


def _count(args: list, least: int, most: int, name: str) -> None:
    if not least <= len(args) <= most:
        raise Unsupported(f"{name} with {len(args)} arguments")


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise Fail(NUM, "the number is too large")
    return number


def _power(x: float, y: float) -> float:
    if x == 0 and y == 0:
        raise Fail(NUM, "0^0")
    if x == 0 and y < 0:
        raise Fail(DIV0, "0 to a negative power")
    if x < 0 and not float(y).is_integer():
        raise Fail(NUM, "a negative number to a fractional power")
    try:
        return _finite(math.pow(x, y))
    except OverflowError:
        raise Fail(NUM, "the number is too large") from None


def _rank(value) -> int:
    return 2 if isinstance(value, bool) else 1 if isinstance(value, str) else 0


def _same_kind(a, b) -> bool:
    return _rank(a) == _rank(b)


def _compare(a, b, equality: bool) -> int:
    """-1, 0 or 1 as Excel orders two values (blank as the other's empty value)."""
    if a is None and b is None:
        return 0
    if a is None:
        a = False if isinstance(b, bool) else "" if isinstance(b, str) else 0.0
    if b is None:
        b = False if isinstance(a, bool) else "" if isinstance(a, str) else 0.0
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 0:
        if a == b or stored_number(a) == stored_number(b):
            return 0
        return -1 if a < b else 1
    if ra == 1:
        x, y = a.casefold(), b.casefold()
        if x == y:
            return 0
        if equality:
            return 1
        if not (_PLAIN_TEXT.fullmatch(a) and _PLAIN_TEXT.fullmatch(b)):
            raise Unsupported("orders text with punctuation or accents")
        return -1 if x < y else 1
    return (a > b) - (a < b)


def _storable(value):
    """A value a cell can hold, or :class:`Unsupported`."""
    if isinstance(value, ErrorCode):
        return value
    if isinstance(value, str):
        if value in EXCEL_ERRORS:  # an error code the functions pass as text
            return ErrorCode(value)
        if len(value) > 32767:
            raise Fail(VALUE, "the text is longer than a cell holds")
        return value
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, list):  # a numpy scalar
        value = value.item()
        if isinstance(value, bool | str):
            return _storable(value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise Fail(NUM, "the result is not a finite number")
        return number
    if value is None:
        return 0.0
    raise Unsupported(f"gives a value of type {type(value).__name__}, which no cell holds")
