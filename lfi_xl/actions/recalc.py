"""Headless recalculation: evaluate every formula of a workbook and store the results.

The `formulas` package evaluates native Excel functions; the ``LFI_`` functions are
registered from :mod:`lfi_udfs`, the same Python code Excel calls through the add-in.
Results are written back as the formula cells' cached values (formulas kept), so a
workbook opened without the add-in, or read by pandas, shows the right numbers.
Unknown functions, circular references, syntax errors and failing ``LFI_`` calls are
reported with sheet and cell.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

os.environ.setdefault("TQDM_DISABLE", "1")  # formulas draws a progress bar otherwise

from lxml import etree  # noqa: E402

from lfi_xl.adapters.files import workbook_xml as wx  # noqa: E402
from lfi_xl.adapters.files.package import Package  # noqa: E402
from lfi_xl.adapters.files.tables_xml import with_plain_references  # noqa: E402
from lfi_xl.book.area import Area, ErrorValue  # noqa: E402
from lfi_xl.core.cells import ExcelError  # noqa: E402
from lfi_xl.errors import UnusableInput, cell_ref  # noqa: E402

_CURRENT_CELL: contextvars.ContextVar[str | None] = contextvars.ContextVar("cell",
                                                                           default=None)
_FUNCTION_CALL = re.compile(r"(?<![A-Za-z0-9_.\"'])([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_STRING = re.compile(r'"(?:[^"]|"")*"')


#: The kind of an average of no placements (#N/A, n = 0): reported, but not a fault.
NO_DATA = "no placements"


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str
    kind: str       # "unknown function", "circular reference", "syntax", "error", ...
    message: str

    def __str__(self) -> str:
        return f"{cell_ref(self.sheet, self.cell)}: {self.message}"


@dataclass
class Evaluation:
    """Every formula cell's value, by (sheet, address), and the problems found."""

    values: dict[tuple[str, str], object] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    formula_count: int = 0


def _import_formulas():
    import formulas

    for logger in ("formulas", "schedula"):
        logging.getLogger(logger).setLevel(logging.CRITICAL)
    return formulas


def _to_cell(value):
    """One value of the formulas engine as a worksheet-function argument."""
    import schedula as sh
    from formulas import XlError

    if value is sh.EMPTY:
        return None
    if isinstance(value, XlError):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _argument(value):
    if hasattr(value, "value") and isinstance(value.value, np.ndarray):
        value = value.value  # a formulas Ranges
    if isinstance(value, np.ndarray):
        return [[_to_cell(v) for v in row] for row in np.atleast_2d(value)]
    return _to_cell(value)


_REASONS: dict[str, str] = {}


def _engine_function(name: str, function):
    """Wrap a worksheet function for the formulas engine: convert cells in and out, and
    turn :class:`ExcelError` into the engine's error value, remembering the reason."""
    formulas = _import_formulas()
    from formulas.functions import Array
    from formulas.tokens.operand import Error

    errors = Error.errors

    def call(*args):
        try:
            result = function(*(_argument(a) for a in args))
        except ExcelError as error:
            _REASONS[_CURRENT_CELL.get() or name] = str(error)
            return errors.get(error.code, formulas.VALUE)
        if isinstance(result, list):
            return np.array(result, dtype=object).view(Array)
        return result

    call.__name__ = name
    return call


@cache
def register_functions() -> frozenset[str]:
    """Register every ``LFI_`` function with the formulas engine (once per process)."""
    formulas = _import_formulas()
    import lfi_udfs

    table = formulas.get_functions()
    for name, function in lfi_udfs.FUNCTIONS.items():
        table[name] = _engine_function(name, function)
    return frozenset(table)


def _unknown_functions(text: str, known: frozenset[str]) -> list[str]:
    names = _FUNCTION_CALL.findall(_STRING.sub('""', text))
    unknown = []
    for name in names:
        bare = name.upper().removeprefix("_XLFN.").removeprefix("_XLWS.")
        if bare not in known and name.upper() not in known and name not in unknown:
            unknown.append(name)
    return unknown


def _python_value(value):
    import schedula as sh
    from formulas import XlError
    from formulas.excel import XlCircular

    if isinstance(value, XlCircular):
        return ErrorValue("#CIRC!")
    if isinstance(value, XlError):
        return ErrorValue(str(value))
    if value is sh.EMPTY:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime):
        from lfi_xl.core.cells import serial

        return serial(value)
    return value


def evaluate(path: Path) -> Evaluation:
    """Evaluate every formula of the workbook at ``path`` (nothing is written)."""
    formulas = _import_formulas()
    known = register_functions()
    package = Package.read(path)
    evaluation = Evaluation()
    try:
        # The engine does not know Excel tables: it evaluates plain ranges in their place.
        package = with_plain_references(package)
        sheets = wx.sheets(package)
        missing = [info.name for info in sheets if info.part not in package.parts]
        if missing:
            raise UnusableInput(f"{path}: the workbook is damaged: the sheet(s) "
                                f"{', '.join(missing)} have no content")
        cells = wx.formulas(package)
    except etree.XMLSyntaxError as error:
        raise UnusableInput(f"{path}: the workbook is damaged (a part is not valid XML: "
                            f"{error})") from None
    sheet_names = {info.name.upper(): info.name for info in sheets}

    # Formulas that cannot be parsed stop the engine's whole load: find them first.
    parser = formulas.Parser()
    evaluation.formula_count = len(cells)
    broken = []
    for cell in cells:
        try:
            parser.ast("=" + cell.text)
        except Exception as error:  # formulas raises several parser errors
            broken.append(cell)
            evaluation.problems.append(Problem(cell.sheet, cell.cell, "syntax",
                                               f"cannot read the formula ={cell.text} "
                                               f"({type(error).__name__})"))
        for name in _unknown_functions(cell.text, known):
            evaluation.problems.append(Problem(
                cell.sheet, cell.cell, "unknown function",
                f"#NAME? unknown function {name} in ={cell.text}"))
    if broken:
        return evaluation

    # The engine keys cells by file name: work on a copy with a plain name.
    with tempfile.TemporaryDirectory(prefix="lfi-recalc-") as folder:
        copy = Path(folder) / "book.xlsx"
        copy.write_bytes(package.to_bytes())
        try:
            model = formulas.ExcelModel().loads(str(copy))
            for node in model.dsp.function_nodes.values():
                outputs = node.get("outputs") or []
                if outputs:  # so a failing LFI_ call knows which cell it serves
                    node["function"] = _WithCell(node["function"], outputs[0])
            model.finish(circular=True)
            _REASONS.clear()
            solution = model.calculate()
        except Exception as error:  # the engine's own failures, on what it cannot read
            raise UnusableInput(f"{path}: the formula engine cannot evaluate this workbook "
                                f"({type(error).__name__}: {error}); sheet names with an "
                                "apostrophe are one thing it cannot read") from None

    from formulas.cell import Ref

    formula_cells = {(cell.sheet, cell.cell) for cell in cells}
    for key, cell in model.cells.items():
        if isinstance(cell, Ref) or getattr(cell, "func", None) is None:
            continue
        area = cell.range.ranges[0]
        sheet = sheet_names.get(area["sheet"], area["sheet"])
        anchor = f"{area['c1']}{area['r1']}"
        if (sheet, anchor) not in formula_cells:
            continue  # a constant the engine keeps as a node (an error typed in, say)
        if key not in solution:
            evaluation.problems.append(Problem(sheet, anchor, "not computed",
                                               "the formula could not be evaluated"))
            continue
        grid = np.atleast_2d(solution[key].value)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                address = Area(sheet, int(area["r1"]), int(area["n1"]), 0, 0).cell(i, j)
                evaluation.values[(sheet, address)] = _python_value(value)
        first = _python_value(grid[0][0])
        if isinstance(first, ErrorValue):
            reason = _REASONS.get(key)
            kind = ("circular reference" if first == "#CIRC!" else NO_DATA
                    if first == "#N/A" and reason and "no placements match" in reason
                    else "error")
            message = (reason if reason else
                       "circular reference: the formula depends on its own result"
                       if kind == "circular reference" else f"the formula gives {first}")
            evaluation.problems.append(Problem(sheet, anchor, kind, message))
    return evaluation


class _WithCell:
    """A cell's function that, while it runs, tells failing LFI_ calls which cell it is.
    Everything else (the engine reads ``inputs`` and the like) passes through."""

    def __init__(self, function, output: str):
        self._function, self._output = function, output

    def __call__(self, *args):
        token = _CURRENT_CELL.set(self._output)
        try:
            return self._function(*args)
        finally:
            _CURRENT_CELL.reset(token)

    def __getattr__(self, name: str):
        return getattr(self._function, name)


def recalc(source: Path, target: Path | None = None) -> Evaluation:
    """Evaluate ``source`` and write it, with every formula's value cached, to ``target``
    (default: ``source`` itself, keeping ``source.bak``). Parts other than the sheets
    holding formulas are copied byte for byte. Circular references are written as the
    Excel error ``#NUM!`` (Excel's own file format has no "circular" value)."""
    evaluation = evaluate(source)
    if any(p.kind == "syntax" for p in evaluation.problems):
        return evaluation
    package = Package.read(source)
    values = {key: ErrorValue("#NUM!") if value == "#CIRC!" and isinstance(
        value, ErrorValue) else value for key, value in evaluation.values.items()}
    wx.set_cached_values(package, values)
    in_place = target is None or Path(target).resolve() == Path(source).resolve()
    package.save(Path(source) if in_place else Path(target), backup=in_place)
    return evaluation
