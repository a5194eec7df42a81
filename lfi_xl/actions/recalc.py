"""Headless recalculation: evaluate the formulas of a workbook and store the results.

The rule: a value is written only where it is exactly what Excel would compute. A formula
is recalculated when it is built from the ``LFI_`` functions and the vetted native
functions (:data:`VETTED`, each checked against LibreOffice in the tests) over plain
references and defined names; the native COUNTIF(S)/SUMIF(S)/AVERAGEIF(S) are ours
(:mod:`lfi_xl.core.ifs`, the criteria code of LFI_AVGCOST), not the engine's. Any other
formula (XLOOKUP, a VBA function, a 3-D or table reference, a link to another workbook)
keeps the value Excel saved, and the engine reads that value as a constant. Such a cell
is reported when it depends on an ``LFI_`` result (Excel's saved value may be stale) or
has no saved value, and so is every recalculated cell that depends on it, which is then
left as Excel saved it too.

The ``LFI_`` functions are registered from :mod:`lfi_udfs`, the same Python code Excel
calls through the add-in. Results are written back as the formula cells' cached values
(formulas kept). Circular references, syntax errors and failing ``LFI_`` calls are
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
from lfi_xl.book.area import Area, ErrorValue, parse_area  # noqa: E402
from lfi_xl.contract import COST_WORKINGS, KPI_TABLE  # noqa: E402
from lfi_xl.core import ifs  # noqa: E402
from lfi_xl.core.cells import DATE_1904, ExcelError  # noqa: E402
from lfi_xl.errors import UnusableInput, cell_ref, quote_sheet  # noqa: E402

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
    computed: int = 0  # formula cells recalculated (an array formula counts once)
    kept: list[Problem] = field(default_factory=list)  # Excel's value kept, and why


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


#: Native functions recalc computes, each checked against LibreOffice or a documented
#: Excel example (tests/test_recalc_rule.py). Others keep the value Excel saved.
VETTED = frozenset({
    "SUM", "IF", "IFERROR", "NA", "ROUND", "ROUNDUP", "ROUNDDOWN", "ABS", "MIN", "MAX", "AND",
    "OR", "NOT", "INDEX", "MATCH", "SUMIF", "SUMIFS", "COUNTIF", "COUNTIFS", "AVERAGEIF",
    "AVERAGEIFS"})
_CRITERIA_FUNCTIONS = {"COUNTIF": ifs.countif, "COUNTIFS": ifs.countifs,
                       "SUMIF": ifs.sumif, "SUMIFS": ifs.sumifs,
                       "AVERAGEIF": ifs.averageif, "AVERAGEIFS": ifs.averageifs}
_UNSUPPORTED: dict[str, str] = {}  # engine cell -> why our function could not compute it


def _criteria_function(name: str, function):
    def call(*args):
        try:
            return function(*args, date1904=DATE_1904.get())
        except ifs.Unsupported as error:
            _UNSUPPORTED[_CURRENT_CELL.get() or name] = str(error)
            raise ExcelError("#VALUE!", str(error)) from None

    return call


@cache
def register_functions() -> frozenset[str]:
    """Register every ``LFI_`` function, and our COUNTIF(S)/SUMIF(S)/AVERAGEIF(S), with
    the formulas engine (once per process)."""
    formulas = _import_formulas()
    import lfi_udfs

    table = formulas.get_functions()
    for name, function in lfi_udfs.FUNCTIONS.items():
        table[name] = _engine_function(name, function)
    for name, function in _CRITERIA_FUNCTIONS.items():
        table[name] = table[f"_XLFN.{name}"] = _engine_function(
            name, _criteria_function(name, function))
    for name in ("ROUND", "ROUNDUP", "ROUNDDOWN"):
        table[name] = _engine_function(name, _criteria_function(
            name, lambda *args, date1904, name=name: ifs.excel_round(name, *args)))
    return frozenset(lfi_udfs.FUNCTIONS)


_THREE_D = re.compile(r"(?:'[^']*:[^']*'|[A-Za-z0-9_.]+:[A-Za-z_][A-Za-z0-9_.]*)!")


def not_calculated(text: str, lfi: frozenset[str]) -> str | None:
    """Why recalc keeps Excel's value for a formula (None: it recalculates it)."""
    bare = _STRING.sub('""', text)
    if re.search(r"\[\d+\]", bare):
        return "refers to another workbook"
    if "[" in bare:
        return "uses a table reference (Table[Column])"
    if _THREE_D.search(bare):
        return "uses a reference across sheets (Sheet1:Sheet3!A1)"
    for name in _FUNCTION_CALL.findall(bare):
        upper = name.upper()
        if upper.startswith("LFI_"):
            if upper not in lfi:
                return f"uses {name}, which is not an lfi-xl function"
        elif upper.removeprefix("_XLFN.") not in VETTED:
            return f"uses {name.removeprefix('_xlfn.')}"
    return None


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


def _read(path: Path):
    package = Package.read(path)
    try:
        # The engine does not know Excel tables: it evaluates plain ranges in their place.
        view = with_plain_references(wx.transitional(package))
        sheets = wx.sheets(view)
        missing = [info.name for info in sheets if info.part not in view.parts]
        if missing:
            raise UnusableInput(f"{path}: the workbook is damaged: the sheet(s) "
                                f"{', '.join(missing)} have no content")
        return view, sheets, wx.formulas(view)
    except etree.XMLSyntaxError as error:
        raise UnusableInput(f"{path}: the workbook is damaged (a part is not valid XML: "
                            f"{error})") from None


Box = tuple[str, int, int, int, int]  # sheet, first row, first column, last row, last column
_ANYWHERE = ("*", 0, 0, 0, 0)  # a formula we cannot read the references of


_REFERENCE = re.compile(r"\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?"
                        r"|\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|(?P<rows>\$?\d+:\$?\d+)")
#: An operator applied to a range in an ordinary (not array) formula: Excel intersects
#: the range with the formula's row or column (implicit intersection); the engine does not.
_RANGE_OPERATOR = re.compile(
    r"[-+*/^&=<>]\s*(?:'[^']*'!|[A-Za-z0-9_.]+!)?\$?[A-Za-z]{0,3}\$?\d*:"
    r"|:\$?[A-Za-z]{0,3}\$?\d*\s*[-+*/^&=<>%]")


def _box(text: str, sheet: str, sheet_names: dict[str, str]) -> Box | None:
    """The cells a reference covers ('A1:B2', "'MY SHEET'!A:A", as the parser gives)."""
    from openpyxl.utils.cell import range_boundaries

    if "!" in text:
        name, text = text.rsplit("!", 1)
        sheet = sheet_names.get(name.strip("'").replace("''", "'").upper())
        if sheet is None:
            return None
    text = text.upper()
    if not _REFERENCE.fullmatch(text):
        return None
    min_col, min_row, max_col, max_row = range_boundaries(text.replace("$", ""))
    return (sheet, min_row or 1, min_col or 1, max_row or 1048576, max_col or 16384)


@dataclass(frozen=True)
class _Names:
    usable: dict[str, str]   # upper-case workbook name -> what it refers to
    unread: frozenset[str]   # names the engine cannot read, and sheets' own names


def _names(view: Package, parser) -> _Names:
    workbook = wx.parse(view.parts["xl/workbook.xml"])
    usable, unread = {}, set()
    for name in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
        key, text = name.get("name", "").upper(), (name.text or "").lstrip("=")
        try:
            readable = "[" not in _STRING.sub('""', text) and bool(parser.ast("=" + text))
        except Exception:  # formulas raises several parser errors
            readable = False
        if name.get("localSheetId") is None and readable:
            usable[key] = text
        else:
            unread.add(key)
    # a name a sheet defines for itself may hide the workbook's: not read either
    return _Names({k: v for k, v in usable.items() if k not in unread}, frozenset(unread))


def _references(cell: wx.Formula, parser, names: _Names,
                sheet_names: dict[str, str]) -> tuple[list[Box], str | None]:
    """The cells a formula reads (defined names followed), and why recalc cannot
    calculate it from them (None: it can)."""
    try:
        inputs = list(parser.ast("=" + cell.text)[1].compile().inputs)
    except Exception:  # formulas raises several parser errors
        return [_ANYWHERE], "cannot be read by lfi-xl"
    boxes, why = [], None
    if cell.array_ref is None and _RANGE_OPERATOR.search(_STRING.sub('""', cell.text)):
        why = "applies an operator to a range (Excel intersects it with the cell's row)"
    for text in inputs:
        upper = text.upper()
        if upper in names.unread:
            boxes.append(_ANYWHERE)
            why = why or f"uses the name {text}, which lfi-xl does not read"
        elif upper in names.usable:
            target = names.usable[upper]
            box = _box(target, cell.sheet, sheet_names)
            if box is not None:
                boxes.append(box)
                continue
            try:  # a name for a formula or a constant
                inside = list(parser.ast("=" + target)[1].compile().inputs)
            except Exception:
                inside = None
            found = [_box(t, cell.sheet, sheet_names) for t in inside or ()]
            if inside is None or None in found:
                boxes.append(_ANYWHERE)
                why = why or f"uses the name {text}, which lfi-xl does not read"
            else:
                boxes += found
        else:
            box = _box(text, cell.sheet, sheet_names)
            if box is None:
                boxes.append(_ANYWHERE)
                why = why or f"uses the name {text}, which the workbook does not define"
            else:
                boxes.append(box)
                if _REFERENCE.fullmatch(text.rsplit("!", 1)[-1].upper()).group("rows"):
                    why = why or "uses a whole-row reference (1:1)"
    return boxes, why


def _output(cell: wx.Formula) -> Box:
    area = parse_area(f"'{cell.sheet.replace(chr(39), chr(39) * 2)}'!"
                      f"{cell.array_ref or cell.cell}")
    return (cell.sheet, area.min_row, area.min_col, area.max_row, area.max_col)


def _overlaps(a: Box, b: Box) -> bool:
    if a[0] == "*" or b[0] == "*":
        return True
    return (a[0] == b[0] and a[1] <= b[3] and b[1] <= a[3] and a[2] <= b[4]
            and b[2] <= a[4])


def _reached(seeds: dict[tuple[str, str], tuple[str, str]], cells: list[wx.Formula],
             reads: dict[tuple[str, str], list[Box]]) -> dict[tuple[str, str], tuple]:
    """Every formula cell that reads, directly or through other formulas, one of
    ``seeds``; each with the seed it comes from."""
    outputs = {(c.sheet, c.cell): _output(c) for c in cells}
    found = dict(seeds)
    frontier = list(seeds)
    while frontier:
        boxes = [(outputs[key], found[key]) for key in frontier]
        frontier = []
        for cell in cells:
            key = (cell.sheet, cell.cell)
            if key in found:
                continue
            for box, seed in boxes:
                if any(_overlaps(read, box) for read in reads[key]):
                    found[key] = seed
                    frontier.append(key)
                    break
    return found


def _has_value(view: Package, sheets, cells: list[wx.Formula]) -> set[tuple[str, str]]:
    """The formula cells with a value saved in the file."""
    wanted = {(c.sheet, c.cell) for c in cells}
    found = set()
    for info in sheets:
        root = wx.parse(view.parts[info.part])
        for element in root.iterfind("m:sheetData/m:row/m:c", wx.NS):
            value = element.find("m:v", wx.NS)
            if (info.name, element.get("r")) in wanted and (
                    (value is not None and (value.text or element.get("t") == "str"))
                    or element.find("m:is", wx.NS) is not None):
                found.add((info.name, element.get("r")))
    return found


def evaluate(path: Path) -> Evaluation:
    """Evaluate the formulas of the workbook at ``path`` that recalc may calculate
    (nothing is written); see the module's rule."""
    formulas = _import_formulas()
    lfi = register_functions()
    view, sheets, cells = _read(path)
    evaluation = Evaluation(formula_count=len(cells))
    sheet_names = {info.name.upper(): info.name for info in sheets}
    parser = formulas.Parser()
    names = _names(view, parser)
    saved = _has_value(view, sheets, cells)
    kept: dict[tuple[str, str], str] = {}
    reads: dict[tuple[str, str], list[Box]] = {}
    for cell in cells:
        key = (cell.sheet, cell.cell)
        reads[key], why = _references(cell, parser, names, sheet_names)
        reason = not_calculated(cell.text, lfi) or why
        if reason == "cannot be read by lfi-xl" and key not in saved:
            # not a formula a spreadsheet program saved (it would have saved its value)
            evaluation.problems.append(Problem(cell.sheet, cell.cell, "syntax",
                                               f"cannot read the formula ={cell.text}"))
        elif reason is not None:
            kept[key] = reason
    if any(p.kind == "syntax" for p in evaluation.problems):
        return evaluation

    uses_lfi = {(c.sheet, c.cell): (c.sheet, c.cell) for c in cells
                if re.search(r"\bLFI_", _STRING.sub('""', c.text), re.IGNORECASE)}
    date1904 = wx.date1904(view)
    for _ in range(3):  # again when one of our *IFS finds a call it cannot compute
        on_lfi = _reached(uses_lfi, cells, reads)
        stale = {key: key for key in kept if key in on_lfi or key not in saved}
        blocked = _reached(stale, cells, reads)
        solution, model, failed = _calculate(path, view, cells, kept, names, date1904)
        if not failed:
            break
        kept.update(failed)
    evaluation.kept = [Problem(sheet, cell, "kept", reason)
                       for (sheet, cell), reason in kept.items()]
    for key, reason in kept.items():
        if key in stale:
            why = (reason + ", which lfi-xl does not calculate" if key in saved else
                   reason + ", which lfi-xl does not calculate, and has no saved value")
            evaluation.problems.append(Problem(*key, "not calculated",
                                               f"{why}: open in Excel and press F9"))
    for key, seed in blocked.items():
        if key not in kept:
            evaluation.problems.append(Problem(
                *key, "not calculated", f"depends on {cell_ref(*seed)}, which lfi-xl does "
                "not calculate: open in Excel and press F9"))
    _collect(evaluation, solution, model, sheet_names,
             {(c.sheet, c.cell) for c in cells if (c.sheet, c.cell) not in kept
              and (c.sheet, c.cell) not in blocked})
    _blank_averages(evaluation, {(c.sheet, c.cell): c.text for c in cells})
    return evaluation


#: A KPI cell showing a Cost workings average: IF(<cell>="",NA(),...).
_SHOWN_AVERAGE = re.compile(r"^\s*IF\(\s*(?:OR\()?\s*" + re.escape(quote_sheet(COST_WORKINGS))
                            + r"!", re.IGNORECASE)


def _blank_averages(evaluation: Evaluation, texts: dict[tuple[str, str], str]) -> None:
    """A #N/A shown for a blank Cost workings average is n = 0 (no placements), as
    LFI_AVGCOST's own #N/A is: reported as such, not as a failure."""
    for index, problem in enumerate(evaluation.problems):
        if problem.kind == "error" and problem.message == "the formula gives #N/A" and \
                _SHOWN_AVERAGE.match(texts.get((problem.sheet, problem.cell), "")):
            evaluation.problems[index] = Problem(
                problem.sheet, problem.cell, NO_DATA, "no placements match the average's "
                f"criteria in {quote_sheet(COST_WORKINGS)} (n = 0)")


def _calculate(path: Path, view: Package, cells: list[wx.Formula],
               kept: dict[tuple[str, str], str], names: _Names, date1904: bool):
    """Run the engine on a private copy: formulas plain (shared ones unshared), those
    recalc keeps turned into their saved values, dates as the numbers stored (the date
    system is applied by the functions that read dates). Returns the solution, the model
    and the cells our functions could not compute."""
    formulas = _import_formulas()
    texts = {(c.sheet, c.cell): None if (c.sheet, c.cell) in kept else c.text for c in cells}
    copy_package = Package(dict(view.parts))
    wx.rewrite_formulas(copy_package, texts)
    workbook = wx.parse(copy_package.parts["xl/workbook.xml"])
    for name in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
        if name.get("name", "").upper() not in names.usable or name.get("localSheetId"):
            name.getparent().remove(name)  # the engine's load stops at a name it cannot read
    properties = workbook.find("m:workbookPr", wx.NS)
    if properties is not None:
        properties.attrib.pop("date1904", None)
    copy_package.parts["xl/workbook.xml"] = wx.serialize(workbook)
    # The engine keys cells by file name: work on a copy with a plain name.
    with tempfile.TemporaryDirectory(prefix="lfi-recalc-") as folder:
        copy = Path(folder) / "book.xlsx"
        copy.write_bytes(copy_package.to_bytes())
        token = DATE_1904.set(date1904)
        try:
            model = formulas.ExcelModel().loads(str(copy))
            for node in model.dsp.function_nodes.values():
                outputs = node.get("outputs") or []
                if outputs:  # so a failing LFI_ call knows which cell it serves
                    node["function"] = _WithCell(node["function"], outputs[0])
            model.finish(circular=True)
            _REASONS.clear()
            _UNSUPPORTED.clear()
            solution = model.calculate()
        except Exception as error:  # the engine's own failures, on what it cannot read
            raise UnusableInput(f"{path}: the formula engine cannot evaluate this workbook "
                                f"({type(error).__name__}: {error}); sheet names with an "
                                "apostrophe are one thing it cannot read") from None
        finally:
            DATE_1904.reset(token)
    failed = {}
    sheet_names = {c.sheet.upper(): c.sheet for c in cells}
    for key, reason in _UNSUPPORTED.items():
        area = _engine_area(key)
        if area is not None:
            failed[(sheet_names.get(area[0], area[0]), area[1])] = f"uses {reason}"
    return solution, model, failed


def _engine_area(key: str) -> tuple[str, str] | None:
    """(SHEET, A1) of an engine cell name such as "'[book.xlsx]SHEET'!B5:D5"."""
    match = re.fullmatch(r"'?\[[^\]]*\](.*?)'?!\$?([A-Z]+)\$?(\d+)(?::.*)?", key)
    return (match.group(1).replace("''", "'"), match.group(2) + match.group(3)) if match \
        else None


def _collect(evaluation: Evaluation, solution, model, sheet_names: dict[str, str],
             wanted: set[tuple[str, str]]) -> None:
    from formulas.cell import Ref

    for key, cell in model.cells.items():
        if isinstance(cell, Ref) or getattr(cell, "func", None) is None:
            continue
        area = cell.range.ranges[0]
        sheet = sheet_names.get(area["sheet"], area["sheet"])
        anchor = f"{area['c1']}{area['r1']}"
        if (sheet, anchor) not in wanted:
            continue  # kept, blocked, or a constant the engine keeps as a node
        if key not in solution:
            evaluation.problems.append(Problem(sheet, anchor, "not computed",
                                               "the formula could not be evaluated"))
            continue
        grid = np.atleast_2d(solution[key].value)
        first = _python_value(grid[0][0])
        if first == "#CIRC!" and isinstance(first, ErrorValue):
            # Excel shows 0, or iterates when the workbook allows it: keep what it saved
            evaluation.problems.append(Problem(
                sheet, anchor, "circular reference", "circular reference: the formula "
                "depends on its own result (the value Excel saved is kept)"))
            continue
        evaluation.computed += 1
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                address = Area(sheet, int(area["r1"]), int(area["n1"]), 0, 0).cell(i, j)
                evaluation.values[(sheet, address)] = _python_value(value)
        if isinstance(first, ErrorValue):
            reason = _REASONS.get(key)
            # an average of no placements (#N/A with n = 0) is an answer, not a failure
            kind = NO_DATA if first == "#N/A" and reason and "no placements match" in reason \
                else "error"
            evaluation.problems.append(Problem(sheet, anchor, kind, reason
                                               or f"the formula gives {first}"))


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


def _saved(path: Path) -> dict[tuple[str, str], object]:
    """Every cell's cached value as the file stores it (numbers, text, logical, errors)."""
    view = wx.transitional(Package.read(path))
    out = {}
    for info in wx.sheets(view):
        for cell in wx.parse(view.parts[info.part]).iterfind("m:sheetData/m:row/m:c", wx.NS):
            value, kind = cell.find("m:v", wx.NS), cell.get("t", "n")
            if value is None or value.text is None:
                continue
            out[(info.name, cell.get("r"))] = (
                float(value.text) if kind == "n" else value.text == "1" if kind == "b"
                else ErrorValue(value.text) if kind == "e" else value.text)
    return out


def differences(path: Path) -> list[str]:
    """Where the value recalc would write differs from the one saved in the file: run
    on a workbook Excel has just recalculated and saved, an empty list means lfi-xl
    computes what Excel computed."""
    evaluation = evaluate(path)
    saved = _saved(path)
    found = [str(p) for p in evaluation.problems if p.kind == "syntax"]
    for key, value in evaluation.values.items():
        have = saved.get(key)
        if isinstance(value, bool) or isinstance(have, bool):
            same = value == have
        elif isinstance(value, int | float) and isinstance(have, float):
            same = abs(value - have) <= 1e-12 * max(1.0, abs(have))
        else:
            same = (value if value is not None else None) == have or (
                value in (None, "") and have in (None, ""))
        if not same:
            found.append(f"{cell_ref(*key)}: lfi-xl gives {value!r}, the file has {have!r}")
    return found


def recalc(source: Path, target: Path | None = None,
           release: tuple[str, ...] = ()) -> Evaluation:
    """Evaluate ``source`` and write it, with the value of every formula recalc may
    calculate cached, to ``target`` (default: ``source`` itself, keeping ``source.bak``).
    Every other cell, and every part but the sheets holding written values, is kept byte
    for byte as Excel saved it. A frozen cell is never rewritten (but in the periods of
    ``release``, being superseded): see :func:`_keep_frozen`."""
    evaluation = evaluate(source)
    if any(p.kind == "syntax" for p in evaluation.problems):
        return evaluation
    _keep_frozen(source, evaluation, release)
    package = Package.read(source)
    wx.set_cached_values(package, evaluation.values)
    in_place = target is None or Path(target).resolve() == Path(source).resolve()
    package.save(Path(source) if in_place else Path(target), backup=in_place)
    return evaluation


def _keep_frozen(source: Path, evaluation: Evaluation, release: tuple[str, ...]) -> None:
    """A frozen period's cell keeps its frozen value when its formula now gives another
    (an input it reads, a baseline say, changed since): freezing protects it, and a
    frozen value is corrected only by superseding. Each is listed, with both figures."""
    from lfi_xl.adapters.files.reader import WorkbookValues
    from lfi_xl.book.discover import Discovering
    from lfi_xl.book.frozen_cells import frozen_cells
    from lfi_xl.book.kpi_book import KpiBook

    reader = Discovering(WorkbookValues(Path(source)))
    if reader.area(KPI_TABLE) is None:
        return
    try:
        frozen = frozen_cells(KpiBook(reader), release)
    except (UnusableInput, ValueError):
        return  # validate and verify say what is wrong with the snapshots
    for key, cell in frozen.items():
        if key not in evaluation.values or _same(evaluation.values[key], cell.value):
            continue
        new = evaluation.values.pop(key)
        evaluation.problems.append(Problem(
            *key, "frozen",
            f"frozen in {cell.period} (snapshot {cell.snapshot}) as {cell.value!r}, but its "
            f"formula now gives {_python_value(new)!r}: an input it reads (a baseline, Plan "
            "Data, a register row) changed since; the frozen value stays. Put the input "
            f"back, or correct {cell.period}: lfi-xl freeze FILE --period \"{cell.period}\" "
            "--supersede --reason \"why\""))


def _same(new, frozen) -> bool:
    """Whether a recalculated value is the frozen one (numbers to 15 digits)."""
    new = _python_value(new)
    if isinstance(new, int | float) and not isinstance(new, bool) and isinstance(
            frozen, int | float) and not isinstance(frozen, bool):
        return abs(new - frozen) <= 1e-9 * max(1.0, abs(frozen))
    if new in (None, "") and frozen in (None, ""):
        return True
    return str(new).strip().upper() == str(frozen).strip().upper()
