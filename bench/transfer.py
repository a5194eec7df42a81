"""Calls and cells handed between Excel and Python in one full recalculation of a workbook.

Every ``LFI_`` function is an xlwings UDF: Excel copies each argument's cells through
xlwings' COM bridge to Python, and the result back, for every call. This counts, from the
workbook file's own formulas (nothing hand-listed), what one full recalculation hands
over:

- each formula cell is recalculated once; an array formula (``t="array"``: classic CSE
  or a dynamic array) is ONE call whose results fill its whole range;
- every ``LFI_`` call in it (prefix :data:`lfi_xl.contract.FUNCTION_PREFIX`, wherever it
  stands in the formula) is one call;
- each argument costs the cells it covers: an A1 range, a sheet-qualified range, a
  defined name (followed to what it refers to), an Excel-table structured reference
  (``Placements[#All]``, ``Placements[[#Headers],[Cost]]``, resolved against the table's
  range in the file); a literal or a single value costs 1;
- a nested ``LFI_`` call (``LFI_AVGCOST(cost, LFI_FTE(...))``) costs its own inputs, its
  result handed back to Excel, and that result handed again into the outer call; the file
  does not say how big a result is, so a nested call is taken to return the shape of its
  largest argument (true of the element-wise ``LFI_FTE``);
- an argument Excel computes first (``">="&I$6``, ``IF(...)``) is handed over as its
  value: the shape of the largest range or value in it (1 for a native aggregate such as
  ``SUM`` or ``COUNTIFS``, whatever ranges it reads);
- a call's result: the array formula's range for the outermost call of an array formula,
  else 1 cell;
- ranges given only to native Excel functions cost nothing: Excel never hands them over.

Estimated seconds = cells x :data:`SECONDS_PER_CELL` + calls x :data:`SECONDS_PER_CALL`
(the sources are in docs/performance.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.cell import range_boundaries

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.tables_xml import excel_tables
from lfi_xl.book import structured

#: xlwings issue 397: a 1,000,000-cell argument took 2.7-5.5 s through the UDF bridge.
SECONDS_PER_CELL = 3e-6
#: The fixed cost of one UDF call through xlwings: "about 2/100 second" for a trivial
#: function called through Py.CallUDF (xlwings issue 2315; docs/performance.md).
SECONDS_PER_CALL = 20e-3
#: Native functions whose result is one value whatever ranges they read.
AGGREGATES = frozenset({
    "SUM", "SUMIF", "SUMIFS", "SUMPRODUCT", "COUNT", "COUNTA", "COUNTBLANK", "COUNTIF",
    "COUNTIFS", "AVERAGE", "AVERAGEIF", "AVERAGEIFS", "MIN", "MAX", "MINIFS", "MAXIFS",
    "AND", "OR", "ROWS", "COLUMNS", "MATCH", "XMATCH", "VLOOKUP", "HLOOKUP", "MEDIAN",
    "PRODUCT", "ISBLANK", "ISNUMBER", "ISERROR", "ISNA", "ISTEXT", "LEN", "ROUND"})
MAX_ROWS, MAX_COLS = 1_048_576, 16_384
Shape = tuple[int, int]


@dataclass(frozen=True)
class Call:
    sheet: str
    cell: str
    function: str
    cells_in: int
    cells_out: int
    nested: bool


@dataclass
class Transfer:
    """What one full recalculation hands between Excel and Python."""

    calls: list[Call] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # references counted as 1 cell

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def cells_in(self) -> int:
        return sum(call.cells_in for call in self.calls)

    @property
    def cells_out(self) -> int:
        return sum(call.cells_out for call in self.calls)

    @property
    def cells(self) -> int:
        return self.cells_in + self.cells_out

    @property
    def seconds(self) -> float:
        return self.cells * SECONDS_PER_CELL + self.count * SECONDS_PER_CALL

    def by_function(self) -> dict[str, dict[str, int]]:
        calls, cells = Counter(), Counter()
        for call in self.calls:
            calls[call.function] += 1
            cells[call.function] += call.cells_in + call.cells_out
        return {name: {"calls": calls[name], "cells": cells[name]} for name in sorted(calls)}

    def summary(self) -> dict:
        return {"calls": self.count, "cells_in": self.cells_in, "cells_out": self.cells_out,
                "seconds": round(self.seconds, 3), "functions": self.by_function(),
                "unresolved": sorted(set(self.unresolved))}


# ------------------------------------------------------------------ formula structure
@dataclass
class _Function:
    name: str                                   # upper case, without "("
    args: list[list] = field(default_factory=list)   # each a list of nodes
    rows: int = 1                               # an array constant's rows


def _tree(text: str) -> list:
    """A formula's tokens as nested function calls: a list of nodes, each a Token or a
    :class:`_Function` whose args are lists of nodes."""
    root: list = []
    stack: list[tuple[list, object]] = []   # (node list to return to, the open item)
    current = root
    for token in Tokenizer("=" + text).items:
        if token.type == Token.WSPACE:
            continue
        if token.type == Token.FUNC and token.subtype == Token.OPEN:
            name = token.value[:-1].upper().lstrip("@")
            for prefix in ("_XLFN.", "_XLWS."):
                name = name.removeprefix(prefix)
            function = _Function(name, [[]])
            current.append(function)
            stack.append((current, function))
            current = function.args[0]
        elif token.type == Token.PAREN and token.subtype == Token.OPEN:
            group = _Function("", [[]])        # a bracketed sub-expression
            current.append(group)
            stack.append((current, group))
            current = group.args[0]
        elif token.type == Token.ARRAY and token.subtype == Token.OPEN:
            array = _Function("{", [[]])        # an array constant {1,2;3,4}
            current.append(array)
            stack.append((current, array))
            current = array.args[0]
        elif token.subtype == Token.CLOSE and token.type in (Token.FUNC, Token.PAREN,
                                                             Token.ARRAY):
            current, _ = stack.pop()
        elif token.type == Token.SEP and stack:
            opened = stack[-1][1]
            opened.args.append([])
            opened.rows += token.subtype == Token.ROW
            current = opened.args[-1]
        else:
            current.append(token)
    return root


# ------------------------------------------------------------------ the counter
class _Book:
    def __init__(self, path: Path):
        package = wx.transitional(Package.read(Path(path)))
        self.package = package
        self.sheets = wx.sheets(package)
        self.sheet_names = {info.name.upper(): info.name for info in self.sheets}
        self.tables = structured.by_name(excel_tables(package.parts.get, self.sheets))
        workbook = wx.parse(package.parts["xl/workbook.xml"])
        self.names: dict[str, str] = {}
        self.local: dict[tuple[str, str], str] = {}
        for defined in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
            text = structured.translate((defined.text or "").lstrip("="), self.tables)
            key = defined.get("name", "").upper()
            if defined.get("localSheetId") is None:
                self.names[key] = text
            else:
                sheet = self.sheets[int(defined.get("localSheetId"))].name
                self.local[(sheet, key)] = text
        self.prefix = c.FUNCTION_PREFIX.upper()
        self.transfer = Transfer()

    # -- sizes -------------------------------------------------------------------
    def _range(self, text: str, sheet: str, depth: int = 0) -> Shape:
        """The shape of a reference operand: a range, a name, a table reference."""
        reference = text.rsplit("!", 1)[-1].replace("$", "")
        if "[" in text:                       # a structured reference translate left
            self.transfer.unresolved.append(text)
            return 1, 1
        name = self.local.get((sheet, reference.upper()), self.names.get(reference.upper()))
        if "!" not in text and name is not None:
            if depth > 10:
                return 1, 1
            return self._expression(_tree(name), sheet, depth + 1)
        try:
            min_col, min_row, max_col, max_row = range_boundaries(reference.upper())
        except (ValueError, TypeError):
            self.transfer.unresolved.append(text)
            return 1, 1
        if min_row is None:      # whole columns
            min_row, max_row = 1, MAX_ROWS
        if min_col is None:      # whole rows
            min_col, max_col = 1, MAX_COLS
        return max_row - min_row + 1, max_col - min_col + 1

    def _expression(self, nodes: list, sheet: str, depth: int = 0) -> Shape:
        """The shape of the value Excel computes for ``nodes`` (no call counted here)."""
        rows, cols = 0, 0
        for node in nodes:
            if isinstance(node, _Function):
                shape = self._function_shape(node, sheet, depth)
            elif node.type == Token.OPERAND and node.subtype == Token.RANGE:
                shape = self._range(node.value, sheet, depth)
            elif node.type == Token.OPERAND:
                shape = (1, 1)
            else:
                continue
            rows, cols = max(rows, shape[0]), max(cols, shape[1])
        return (rows, cols) if rows else (1, 1)

    def _function_shape(self, function: _Function, sheet: str, depth: int) -> Shape:
        if function.name in AGGREGATES:
            return 1, 1
        if function.name == "{":
            return function.rows, len(function.args) // function.rows
        shapes = [self._expression(arg, sheet, depth) for arg in function.args if arg]
        return (max(s[0] for s in shapes), max(s[1] for s in shapes)) if shapes else (1, 1)

    # -- calls -------------------------------------------------------------------
    def _walk(self, nodes: list, formula: wx.Formula, inside_lfi: bool) -> None:
        """Count every LFI_ call in ``nodes`` not handled as an argument already."""
        for node in nodes:
            if not isinstance(node, _Function):
                continue
            if node.name.startswith(self.prefix):
                out = None if inside_lfi else _cells(_output_shape(formula))
                self._call(node, formula, out)
            else:
                for arg in node.args:
                    self._walk(arg, formula, inside_lfi)

    def _call(self, function: _Function, formula: wx.Formula, out: int | None) -> Shape:
        """Count one LFI_ call and those nested in it; the shape of its result. ``out``:
        its result's cells when it goes to the formula's cell(s); None when it is nested
        (then it is the shape of its largest argument)."""
        cells_in, shapes = 0, []
        for arg in function.args:
            if not arg:
                continue
            if len(arg) == 1 and isinstance(arg[0], _Function) and arg[0].name.startswith(
                    self.prefix):
                shape = self._call(arg[0], formula, None)
            else:
                self._walk(arg, formula, True)   # LFI_ calls inside an Excel expression
                shape = self._expression(arg, formula.sheet)
            shapes.append(shape)
            cells_in += _cells(shape)
        result = ((max(s[0] for s in shapes), max(s[1] for s in shapes)) if shapes
                  else (1, 1))
        cells_out = _cells(result) if out is None else out
        self.transfer.calls.append(Call(formula.sheet, formula.cell, function.name,
                                        cells_in, cells_out, out is None))
        return result

    def count(self) -> Transfer:
        for formula in wx.formulas(self.package):
            if self.prefix not in formula.text.upper():
                continue
            row = int("".join(ch for ch in formula.cell if ch.isdigit()))
            text = structured.translate(formula.text, self.tables, formula.sheet, row)
            self._walk(_tree(text), formula, False)
        return self.transfer


def _output_shape(formula: wx.Formula) -> Shape:
    if not formula.array_ref:
        return 1, 1
    min_col, min_row, max_col, max_row = range_boundaries(formula.array_ref)
    return max_row - min_row + 1, max_col - min_col + 1


def _cells(shape: Shape) -> int:
    return shape[0] * shape[1]


def count(path: Path) -> Transfer:
    """The LFI_ calls and cells one full recalculation of the workbook at ``path`` hands
    between Excel and Python."""
    return _Book(path).count()


# ------------------------------------------------------------------ the books counted
#: The books counted at each size: key -> (label, reports a year, every period started).
#: The template as it was before the Cost workings (tests/fixtures), for comparison.
BEFORE = "before"
BEFORE_TEMPLATE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / \
    "template_kpi_2026_11.xlsx"
BOOKS = {
    "as_generated": ("as generated (3 reports a year, 3 periods started)", 3, False),
    "all_periods": ("every period started (3 a year: 18)", 3, True),
    "quarterly": ("4 reports a year, 3 periods started", 4, False),
    "quarterly_all": ("4 reports a year, every period started (24)", 4, True),
    "before": ("one LFI_AVGCOST per cell, 3 periods started", BEFORE, False),
    "before_all": ("one LFI_AVGCOST per cell, every period started (18)", BEFORE, True),
}
_QUARTERLY = """
import sys
from pathlib import Path
from lfi_xl import contract as c
dates = "16 Jun, 15 Sep, 15 Dec, 15 Mar"
c.SETTING_ROWS = tuple((key, label, {"ReportsPerYear": 4, "DueDates": dates}.get(key, default),
                        note) for key, label, default, note in c.SETTING_ROWS)
c.SETTING_DEFAULTS.update(ReportsPerYear=4, DueDates=dates)
from lfi_xl.build import workbooks
workbooks.save_built(workbooks.build_kpi_workbook(), Path(sys.argv[1]))
"""


def quarterly_template(path: Path) -> Path:
    """The KPI template as the project's builder makes it with Settings' reports a year
    at 4 (and a fourth due date): built in a fresh process, as the builder reads them
    from the contract's defaults."""
    subprocess.run([sys.executable, "-c", _QUARTERLY, str(path)], check=True)
    return path


def start_every_period(path: Path) -> int:
    """Start every report period after Settings' current one with the project's own
    start-period (as ``lfi-xl start-period FILE``, repeated until it refuses a period
    beyond the programme); the number started."""
    from lfi_xl.actions.start_period import start_period
    from lfi_xl.adapters.files.writer import FileWorkbook
    from lfi_xl.book.discover import DiscoveringEditable
    from lfi_xl.errors import Refused

    book = FileWorkbook(Path(path))
    started = 0
    while True:
        try:
            start_period(DiscoveringEditable(book))
        except Refused as refusal:
            if "beyond the programme" not in str(refusal):
                raise
            break
        started += 1
    book.save()
    return started


def measure(n: int, folder: Path, kpi: Path | None = None) -> dict:
    """Each book of :data:`BOOKS` at ``n`` placements, counted (``kpi``: the 3-a-year
    book generated already)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import generate

    folder.mkdir(parents=True, exist_ok=True)
    quarterly = folder / "template_quarterly.xlsx"
    if not quarterly.exists():
        quarterly_template(quarterly)
    generated = {3: kpi or generate.kpi_workbook(n, folder / f"kpi_{n}.xlsx"),
                 4: generate.kpi_workbook(n, folder / f"kpi4_{n}.xlsx", quarterly),
                 BEFORE: generate.kpi_workbook(n, folder / f"kpi_before_{n}.xlsx",
                                               BEFORE_TEMPLATE)}
    row = {}
    for key, (_, per_year, every) in BOOKS.items():
        path = generated[per_year]
        started = 0
        if every:
            path = folder / f"{key}_{n}.xlsx"
            shutil.copy(generated[per_year], path)
            started = start_every_period(path)
        row[key] = count(path).summary() | {"started_here": started}
    return row


def run(sizes: list[int], folder: Path) -> dict:
    return {"seconds_per_cell": SECONDS_PER_CELL, "seconds_per_call": SECONDS_PER_CALL,
            "books": {key: label for key, (label, _, _) in BOOKS.items()},
            "sizes": {str(n): measure(n, folder) for n in sizes}}


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(argument, json.dumps(count(Path(argument)).summary(), indent=1))
