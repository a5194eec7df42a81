"""Headless recalculation: evaluate the formulas of a workbook and store the results.

The rule: a value is written only where it is exactly what Excel would compute. A formula
is recalculated when it is built from the ``LFI_`` functions and the vetted native
functions (:data:`VETTED`, each proven against files Excel saved and against LibreOffice
in the tests) over plain references and defined names, evaluated by lfi-xl's own
evaluator (:mod:`lfi_xl.core.formula`, Excel's rules for text, logical values, blanks,
errors and implicit intersection); the native COUNTIF(S)/SUMIF(S)/AVERAGEIF(S) are
:mod:`lfi_xl.core.ifs` (the criteria code of LFI_AVGCOST). Any other formula (XLOOKUP, a
VBA function, a 3-D reference, a link to another workbook), and any call the evaluator
cannot prove equal to Excel (an approximate MATCH over unsorted values, text read as a
date), keeps the value Excel saved. Such a cell is reported when it depends on an
``LFI_`` result (Excel's saved value may be stale) or has no saved value, and so is every
recalculated cell that depends on it, which is then left as Excel saved it too. An error
lfi-xl computes in a cell that does not depend on an ``LFI_`` result never replaces a
value Excel saved there: Excel's value stays, and the cell is reported.

The ``LFI_`` functions are those of :mod:`lfi_udfs`, the same Python code Excel calls
through the add-in; they receive cells as xlwings passes them (date cells as dates).
Results are written back as the formula cells' cached values (formulas kept). Circular
references (found on the dependency graph, in time linear in its size), syntax errors and
failing ``LFI_`` calls are reported with sheet and cell.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import no_collection
from lfi_xl.adapters.files.tables_xml import with_plain_references
from lfi_xl.book.area import Area, ErrorValue, parse_area
from lfi_xl.contract import COST_WORKINGS, KPI_TABLE
from lfi_xl.core import formula
from lfi_xl.core.cells import DATE_1904
from lfi_xl.core.shown import as_shown
from lfi_xl.core.values import ErrorCode, stored_number
from lfi_xl.errors import UnusableInput, cell_ref, quote_sheet

_FUNCTION_CALL = re.compile(r"(?<![A-Za-z0-9_.\"'])([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_STRING = re.compile(r'"(?:[^"]|"")*"')


#: The kind of an average of no placements (#N/A, n = 0): reported, but not a fault.
NO_DATA = "no placements"
#: The kind of a cell where lfi-xl computes an error and Excel saved a value.
ERROR_KEPT = "error not written"


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str
    kind: str       # "unknown function", "circular reference", "syntax", "error", ...
    message: str
    what: str = ""  # what the cell is in the workbook's words ("KPI 2 for 2024-25 Q1")

    def __str__(self) -> str:
        return (f"{cell_ref(self.sheet, self.cell)}"
                + (f" ({self.what})" if self.what else "") + f": {self.message}")


@dataclass
class Evaluation:
    """Every formula cell's value, by (sheet, address), and the problems found."""

    values: dict[tuple[str, str], object] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    formula_count: int = 0
    computed: int = 0  # formula cells recalculated (an array formula counts once)
    kept: list[Problem] = field(default_factory=list)  # Excel's value kept, and why


#: Native functions recalc computes (:mod:`lfi_xl.core.formula`), each proven against
#: files Excel saved (tests/engines/test_recalc_excel.py) and LibreOffice
#: (tests/engines/test_recalc_libreoffice.py). Others keep the value Excel saved.
VETTED = frozenset({
    "SUM", "IF", "IFERROR", "NA", "ROUND", "ROUNDUP", "ROUNDDOWN", "ABS", "MIN", "MAX", "AND",
    "OR", "NOT", "INDEX", "MATCH", "SUMIF", "SUMIFS", "COUNTIF", "COUNTIFS", "AVERAGEIF",
    "AVERAGEIFS", "AVERAGE", "COUNT"})


#: Libraries xlwings imports when they are installed, for pictures, charts and
#: DataFrames: recalc uses none of them, and matplotlib alone costs a second to import.
_XLWINGS_EXTRAS = ("matplotlib", "pandas", "plotly")


def _lfi_functions() -> dict:
    """The ``LFI_`` functions (lfi_udfs, which imports xlwings for its decorators),
    without the libraries xlwings would import for features recalc does not use, when
    this process has not imported xlwings yet."""
    blocked = [] if "xlwings" in sys.modules else [
        name for name in _XLWINGS_EXTRAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # import fails: xlwings goes on without it
    try:
        import lfi_udfs
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return lfi_udfs.FUNCTIONS


_THREE_D = re.compile(r"(?:'[^']*:[^']*'|[A-Za-z0-9_.]+:[A-Za-z_][A-Za-z0-9_.]*)!")


def not_calculated(text: str, lfi: frozenset[str]) -> str | None:
    """Why recalc keeps Excel's value for a formula, from its text alone (None: it
    recalculates it, unless the evaluator finds a call it cannot prove)."""
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


def _read(path: Path):
    package = Package.read(path)
    try:
        # Excel tables' references are read as the plain ranges they cover.
        view = with_plain_references(wx.transitional(package))
        sheets = wx.sheets(view)
        missing = [info.name for info in sheets if info.part not in view.parts]
        if missing:
            raise UnusableInput(f"{path}: the workbook is damaged: the sheet(s) "
                                f"{', '.join(missing)} have no content")
        return package, view, sheets, wx.formulas(view)
    except etree.XMLSyntaxError as error:
        raise UnusableInput(f"{path}: the workbook is damaged (a part is not valid XML: "
                            f"{error})") from None


Box = tuple[str, int, int, int, int]  # sheet, first row, first column, last row, last column
_ANYWHERE = ("*", 0, 0, 0, 0)  # a formula we cannot read the references of


@dataclass(frozen=True)
class _Names:
    usable: dict[str, tuple]  # upper-case workbook name -> its formula's tree
    unread: frozenset[str]    # names lfi-xl does not read (a sheet's own, or unreadable)


def _names(view: Package) -> _Names:
    workbook = wx.parse(view.parts["xl/workbook.xml"])
    usable, unread = {}, set()
    for name in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
        key, text = name.get("name", "").upper(), (name.text or "").lstrip("=")
        tree = None
        if name.get("localSheetId") is None and "[" not in _STRING.sub('""', text):
            try:
                tree = formula.parse(text)
            except (formula.FormulaSyntax, formula.Unsupported):
                tree = None
        if tree is not None and all(ref[6] for ref in formula.references(tree)[0]):
            usable[key] = tree
        else:  # relative references in a name depend on the cell using it: not read
            unread.add(key)
    # a name a sheet defines for itself may hide the workbook's: not read either
    return _Names({k: v for k, v in usable.items() if k not in unread}, frozenset(unread))


def _reads(tree, sheet: str, names: _Names, sheet_names: dict[str, str],
           seen: frozenset = frozenset()) -> tuple[list[Box], str | None]:
    """The cells a formula reads (defined names followed), and why recalc cannot
    calculate it from them (None: it can)."""
    refs, used = formula.references(tree)
    boxes, why = [], None
    for ref in refs:
        _, name, r1, c1, r2, c2, _absolute, _ = ref
        target = sheet if name is None else sheet_names.get(name.upper())
        if target is None:
            boxes.append(_ANYWHERE)
            why = why or f"refers to a sheet '{name}' the workbook does not have"
            continue
        boxes.append((target, r1, c1, r2, c2))
        if c1 == 1 and c2 == formula._MAX_COL and r2 < formula._MAX_ROW:
            why = why or "uses a whole-row reference (1:1)"
    for name in used:
        if name in names.usable and name not in seen:
            inside, inner = _reads(names.usable[name], sheet, names, sheet_names,
                                   seen | {name})
            boxes += inside
            why = why or inner
        elif name not in names.usable:
            boxes.append(_ANYWHERE)
            why = why or (f"uses the name {name}, which lfi-xl does not read"
                          if name in names.unread else
                          f"uses the name {name}, which the workbook does not define")
    return boxes, why


def _output(cell: wx.Formula) -> Box:
    area = parse_area(f"'{cell.sheet.replace(chr(39), chr(39) * 2)}'!"
                      f"{cell.array_ref or cell.cell}")
    assert area is not None, cell  # the package's own cell address
    return (cell.sheet, area.min_row, area.min_col, area.max_row, area.max_col)


Key = tuple[str, str]


def _graph(cells: list[wx.Formula], reads: dict[Key, list[Box]]) -> dict[Key, set[Key]]:
    """For each formula cell, the formula cells it reads (an array formula is one node,
    its anchor)."""
    singles: dict[str, dict[tuple[int, int], Key]] = {}
    arrays: dict[str, list[tuple[Box, Key]]] = {}
    for cell in cells:
        box = _output(cell)
        key = (cell.sheet, cell.cell)
        if cell.array_ref is None:
            singles.setdefault(cell.sheet, {})[(box[1], box[2])] = key
        else:
            arrays.setdefault(cell.sheet, []).append((box, key))
    edges: dict[Key, set[Key]] = {}
    for key, boxes in reads.items():
        found = edges[key] = set()
        for sheet, r1, c1, r2, c2 in boxes:
            if sheet == "*":
                continue
            here = singles.get(sheet, {})
            if (r2 - r1 + 1) * (c2 - c1 + 1) <= 4 * len(here):
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        if (r, c) in here:
                            found.add(here[(r, c)])
            else:
                found.update(k for (r, c), k in here.items()
                             if r1 <= r <= r2 and c1 <= c <= c2)
            found.update(k for (_, a1, b1, a2, b2), k in arrays.get(sheet, ())
                         if a1 <= r2 and r1 <= a2 and b1 <= c2 and c1 <= b2)
    return edges


def _components(edges: dict[Key, set[Key]]) -> list[list[Key]]:
    """Tarjan's strongly connected components, iteratively, each after every component
    it reads: the order to evaluate in, and the circular references (a component of
    several cells, or a cell that reads itself). Linear in cells and references."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out


def _readers(edges: dict[Key, set[Key]]) -> dict[Key, list[Key]]:
    readers: dict[Key, list[Key]] = {key: [] for key in edges}
    for key, read in edges.items():
        for other in read:
            readers[other].append(key)
    return readers


def _reached(seeds, readers: dict[Key, list[Key]]) -> set[Key]:
    """Every cell that reads one of ``seeds``, directly or through other formulas."""
    found, frontier = set(seeds), list(seeds)
    while frontier:
        for reader in readers[frontier.pop()]:
            if reader not in found:
                found.add(reader)
                frontier.append(reader)
    return found


_NONE = object()


class _Cells:
    """Cell values for the evaluator: as saved in the file (read by calamine, dates as
    dates), with the values recalc has computed so far laid over them."""

    def __init__(self, path: Path, sheets, sheet_names: dict[str, str]):
        from lfi_xl.adapters.files.reader import WorkbookValues

        self.book = WorkbookValues(path)
        self.book.sheets = sheets  # as the transitional view reads them (strict files too)
        self.sheet_names = sheet_names
        self.computed: dict[str, dict[tuple[int, int], object]] = {}
        self.has_value: set[Key] = set()  # formula cells with a value saved in the file
        self.unchanged: set[Key] = set()  # cells computed as the file holds them

    def sheet(self, name: str) -> str:
        sheet = self.sheet_names.get(name.upper())
        if sheet is None:
            raise formula.Fail("#REF!", f"there is no sheet '{name}'")
        return sheet

    def extent(self, name: str) -> tuple[int, int]:
        sheet = self.sheet(name)
        rows = self.book.sheet_values(sheet)
        computed = self.computed.get(sheet, {})
        return (max(len(rows), max((r for r, _ in computed), default=0)),
                max(max(map(len, rows), default=0), max((c for _, c in computed), default=0)))

    def __call__(self, ref: formula.Range) -> list[list]:
        sheet = self.sheet(ref.sheet)
        rows = self.book.values(Area(sheet, ref.r1, ref.c1, ref.r2, ref.c2))
        rows = [[ErrorCode(v) if isinstance(v, ErrorValue) else v for v in row]
                for row in rows]
        computed = self.computed.get(sheet)
        if not computed:
            return rows
        if (ref.r2 - ref.r1 + 1) * (ref.c2 - ref.c1 + 1) <= len(computed):
            for i, row in enumerate(rows):
                for j in range(len(row)):
                    value = computed.get((ref.r1 + i, ref.c1 + j), _NONE)
                    if value is not _NONE:
                        row[j] = value
        else:
            for (r, c), value in computed.items():
                if ref.r1 <= r <= ref.r2 and ref.c1 <= c <= ref.c2:
                    rows[r - ref.r1][c - ref.c1] = value
        return rows

    def saved(self, sheet: str, row: int, col: int):
        value = self.book.values(Area(sheet, row, col, row, col))[0][0]
        return ErrorCode(value) if isinstance(value, ErrorValue) else value


def evaluate(path: Path) -> Evaluation:
    """Evaluate the formulas of the workbook at ``path`` that recalc may calculate
    (nothing is written); see the module's rule."""
    with no_collection(freeze=False):  # no garbage cycles worth collecting here
        return _evaluate(path)[0]


def _evaluate(path: Path) -> tuple[Evaluation, Package, set[Key]]:
    """The evaluation, the file's package, and the computed cells whose value the file
    already holds."""
    functions = _lfi_functions()
    lfi = frozenset(functions)
    package, view, sheets, cells = _read(path)
    evaluation = Evaluation(formula_count=len(cells))
    if not cells:
        return evaluation, package, set()
    sheet_names = {info.name.upper(): info.name for info in sheets}
    names = _names(view)
    saved = {(c.sheet, c.cell) for c in cells if c.cached}
    kept: dict[Key, str] = {}
    reads: dict[Key, list[Box]] = {}
    trees: dict[Key, tuple] = {}
    for cell in cells:
        key = (cell.sheet, cell.cell)
        reason = not_calculated(cell.text, lfi)
        try:
            trees[key] = formula.parse(cell.text)
            reads[key], why = _reads(trees[key], cell.sheet, names, sheet_names)
        except formula.FormulaSyntax:
            reads[key], why = [_ANYWHERE], "cannot be read by lfi-xl"
        except formula.Unsupported as error:
            reads[key], why = [_ANYWHERE], str(error)
        reason = reason or why
        if why == "cannot be read by lfi-xl" and key not in saved and not (
                reason or "").startswith(("refers to another", "uses a table")):
            # not a formula a spreadsheet program saved (it would have saved its value)
            evaluation.problems.append(Problem(cell.sheet, cell.cell, "syntax",
                                               f"cannot read the formula ={cell.text}"))
        elif reason is not None:
            kept[key] = reason
    if any(p.kind == "syntax" for p in evaluation.problems):
        return evaluation, package, set()

    edges = _graph(cells, reads)
    readers = _readers(edges)
    anywhere = {key for key, boxes in reads.items() if _ANYWHERE in boxes}
    uses_lfi = {(c.sheet, c.cell) for c in cells
                if re.search(r"\bLFI_", _STRING.sub('""', c.text), re.IGNORECASE)}
    on_lfi = _reached(uses_lfi, readers) | (anywhere if uses_lfi else set())
    by_key = {(c.sheet, c.cell): c for c in cells}
    values = _Cells(path, sheets, sheet_names)
    values.has_value = saved
    evaluator = formula.Evaluator(values, names.usable, set(names.unread), functions,
                                  date1904=wx.date1904(view))
    evaluator.extent = values.extent
    circular: set[Key] = set()
    blocked: dict[Key, Key] = {}  # cell -> the cell lfi-xl does not calculate it reads
    token = DATE_1904.set(evaluator.date1904)
    try:
        for component in _components(edges):
            if len(component) > 1 or component[0] in edges[component[0]]:
                circular.update(component)
                continue
            key = component[0]
            if key in kept:
                continue
            source = next((blocked.get(k, k) for k in edges[key] if k in blocked or k in
                           circular or (k in kept and (k in on_lfi or k not in saved))), None)
            if source is not None:
                blocked[key] = source
                continue
            _compute(by_key[key], trees[key], evaluator, values, evaluation, kept,
                     key in on_lfi)
    finally:
        DATE_1904.reset(token)
    for key in sorted(circular, key=_order(cells)):
        evaluation.problems.append(Problem(
            *key, "circular reference", "circular reference: the formula depends on its "
            "own result (the value Excel saved is kept)"))
    evaluation.kept = [Problem(sheet, cell, "kept", reason)
                       for (sheet, cell), reason in kept.items()]
    for key, reason in kept.items():
        if reason.startswith("lfi-xl computes "):
            evaluation.problems.append(Problem(*key, ERROR_KEPT, reason))
        elif key in on_lfi or key not in saved:
            why = (reason + ", which lfi-xl does not calculate" if key in saved else
                   reason + ", which lfi-xl does not calculate, and has no saved value")
            evaluation.problems.append(Problem(*key, "not calculated",
                                               f"{why}: open in Excel and press F9"))
    for key in sorted(blocked, key=_order(cells)):
        if key not in kept:
            evaluation.problems.append(Problem(
                *key, "not calculated", f"depends on {cell_ref(*blocked[key])}, which "
                "lfi-xl does not calculate: open in Excel and press F9"))
    _blank_averages(evaluation, {(c.sheet, c.cell): c.text for c in cells})
    return evaluation, package, values.unchanged


def _order(cells: list[wx.Formula]):
    position = {(c.sheet, c.cell): n for n, c in enumerate(cells)}
    return position.__getitem__


def _compute(cell: wx.Formula, tree, evaluator: formula.Evaluator, values: _Cells,
             evaluation: Evaluation, kept: dict[Key, str], on_lfi: bool) -> None:
    """Evaluate one formula cell (or array formula) and record its value(s), or why
    Excel's value is kept."""
    sheet, r1, c1, r2, c2 = _output(cell)
    shape = None if cell.array_ref is None else (r2 - r1 + 1, c2 - c1 + 1)
    key = (cell.sheet, cell.cell)
    try:
        result = evaluator.formula(tree, sheet, r1, c1, shape)
    except formula.Unsupported as error:
        reason = str(error)  # "MATCH with a wildcard": uses MATCH with a wildcard
        kept[key] = f"uses {reason}" if reason[:1].isupper() or reason.startswith(
            "approximate") else reason
        return
    grid = [[result]] if shape is None else result
    if not on_lfi:  # Excel's saved value is current: an error of ours never replaces it
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if isinstance(value, ErrorCode):
                    have = values.saved(sheet, r1 + i, c1 + j)
                    if have is not None and have != value:
                        kept[key] = (f"lfi-xl computes {value} where Excel saved "
                                     f"{_shown(have)}: Excel's value is kept")
                        return
    computed = values.computed.setdefault(sheet, {})
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            computed[(r1 + i, c1 + j)] = value
            address = Area(sheet, r1, c1, 0, 0).cell(i, j)
            evaluation.values[(sheet, address)] = (ErrorValue(value) if isinstance(
                value, ErrorCode) else value)
            have = values.saved(sheet, r1 + i, c1 + j)
            if (have is not None or (i, j) == (0, 0) and key in values.has_value) and \
                    _same(value, have):
                values.unchanged.add((sheet, address))
    evaluation.computed += 1
    first = grid[0][0]
    if isinstance(first, ErrorCode):
        reason = evaluator.reason if evaluator.reason.startswith("#") else ""
        kind = NO_DATA if first == "#N/A" and "no placements match" in reason else "error"
        evaluation.problems.append(Problem(sheet, cell.cell, kind, reason
                                           or f"the formula gives {first}"))


def _same(value, have) -> bool:
    """Whether a computed value is the one the file holds (then its bytes are kept)."""
    if isinstance(value, ErrorCode) or isinstance(have, ErrorCode):
        return isinstance(value, ErrorCode) and isinstance(have, ErrorCode) and value == have
    if isinstance(value, bool) or isinstance(have, bool):
        return type(value) is type(have) and value == have
    if isinstance(value, str):
        return value == (have if isinstance(have, str) else "" if have is None else None)
    if isinstance(have, int | float):
        return value == have or stored_number(value) == stored_number(have)
    return False


def _shown(value) -> str:
    """A saved value in a message: text quoted, an error as its code, a number as a General
    cell shows it (never a float's repr)."""
    if isinstance(value, str) and not isinstance(value, ErrorCode):
        return f"'{value}'"
    return as_shown(value)


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
            found.append(f"{cell_ref(*key)}: lfi-xl gives {_kept(value)}, the file has "
                         f"{_kept(have)}")
    return found



def _kept(value: object) -> str:
    """A value as Excel keeps it, for a check of the values a file holds: a number to its
    15 significant digits (the figure itself, not as a format shows it)."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.15g}"
    return as_shown(value)

def recalc(source: Path, target: Path | None = None,
           release: tuple[str, ...] = ()) -> Evaluation:
    """Evaluate ``source`` and write it, with the value of every formula recalc may
    calculate cached, to ``target`` (default: ``source`` itself, keeping ``source.bak``).
    Every other cell, and every part but the sheets holding written values, is kept byte
    for byte as Excel saved it. A frozen cell is never rewritten (but in the periods of
    ``release``, being superseded): see :func:`_keep_frozen`."""
    with no_collection(freeze=False):  # no garbage cycles worth collecting here
        evaluation, package, unchanged = _evaluate(source)
        if any(p.kind == "syntax" for p in evaluation.problems) or \
                not evaluation.formula_count:
            return evaluation  # nothing to write
        book = _kpi_book(source)
        if book is not None:
            _keep_frozen(book, evaluation, release)
            _name_cells(book, evaluation)
        # a sheet whose every value is as saved is not rewritten (a register of 10,000
        # rows with one banner formula is left as it is)
        wx.set_cached_values(package, {key: value for key, value in
                                       evaluation.values.items() if key not in unchanged})
    in_place = target is None or Path(target).resolve() == Path(source).resolve()
    package.save(Path(source) if in_place or target is None else Path(target),
                 backup=in_place)
    return evaluation


def _kpi_book(source: Path):
    """The KPI workbook at ``source`` as lfi-xl reads it, or ``None`` for another."""
    from lfi_xl.adapters.files.reader import WorkbookValues
    from lfi_xl.book.discover import Discovering
    from lfi_xl.book.kpi_book import KpiBook

    reader = Discovering(WorkbookValues(Path(source)))
    return KpiBook(reader) if reader.area(KPI_TABLE) is not None else None


def _name_cells(book, evaluation: Evaluation) -> None:
    """Each problem's cell, and each cell its reason names, said as the workbook knows
    it: "KPIs!L9 (KPI 2 for 2024-25 Q1): ... the current value is blank (KPIs!L8, KPI 1
    for 2024-25 Q1)"."""
    if not evaluation.problems:
        return
    try:
        names = {(sheet.upper(), cell): what for (sheet, cell), what in
                 book.cell_names().items()}
    except (UnusableInput, ValueError):
        return  # validate says what keeps the KPI tables from being read

    def named(match: re.Match) -> str:
        area = parse_area(match.group(1))
        what = names.get((area.sheet.upper(), area.cell(0, 0))) if area is not None else None
        return f"({match.group(1)}, {what})" if what else match.group(0)

    for index, problem in enumerate(evaluation.problems):
        what = names.get((problem.sheet.upper(), problem.cell), "")
        message = _CELL_IN_REASON.sub(named, problem.message)
        if what or message != problem.message:
            evaluation.problems[index] = replace(problem, message=message, what=what)


#: A cell named in parentheses at the end of a function's reason: "(KPIs!L8)".
_CELL_IN_REASON = re.compile(r"\(((?:'(?:[^']|'')+'|[A-Za-z0-9_.]+)![A-Z]{1,3}\d+)\)")


def _keep_frozen(book, evaluation: Evaluation, release: tuple[str, ...]) -> None:
    """A frozen period's cell keeps its frozen value when its formula now gives another
    (an input it reads, a baseline say, changed since): freezing protects it, and a
    frozen value is corrected only by superseding. Each is listed, with both figures as
    the cell shows them."""
    from lfi_xl.book.frozen_cells import frozen_cells
    from lfi_xl.book.shown import number_formats
    from lfi_xl.core.shown import as_shown_apart

    try:
        frozen = frozen_cells(book, release)
    except (UnusableInput, ValueError):
        return  # validate and verify say what is wrong with the snapshots
    changed = {key: cell for key, cell in frozen.items()
               if key in evaluation.values and not _as_frozen(evaluation.values[key],
                                                                 cell.value)}
    by_sheet: dict[str, list[str]] = {}
    for sheet, address in changed:
        by_sheet.setdefault(sheet, []).append(address)
    codes = {(sheet, address): code for sheet, addresses in by_sheet.items()
             for address, code in number_formats(book.workbook, sheet, addresses).items()}
    for key, cell in changed.items():
        new = evaluation.values.pop(key)
        was, now = as_shown_apart(cell.value, new, codes.get(key, "General"))
        evaluation.problems.append(Problem(
            *key, "frozen",
            f"frozen in {cell.period} (snapshot {cell.snapshot}) as {was}, but its formula "
            f"now gives {now}: an input it reads (a baseline, Plan Data, a register row) "
            f"changed since; the frozen value stays. Put the input back, or correct "
            f"{cell.period} by freezing it again, superseding its snapshot with a reason "
            "(lfi-xl freeze, or Supersede frozen period in Excel)"))


def _as_frozen(new: object, frozen: object) -> bool:
    """Whether a recalculated value is the frozen one (numbers to 15 digits)."""
    if isinstance(new, int | float) and not isinstance(new, bool) and isinstance(
            frozen, int | float) and not isinstance(frozen, bool):
        return abs(new - frozen) <= 1e-9 * max(1.0, abs(frozen))
    if new in (None, "") and frozen in (None, ""):
        return True
    return str(new).strip().upper() == str(frozen).strip().upper()
