"""Reading a workbook's values by defined name, fast, without losing an error cell.

Values come from python-calamine (the cached results of formulas included). Calamine
reports an error cell (``#N/A``) as an empty string, which would make a broken figure
look blank; so the sheet XML is also scanned for error cells (``t="e"``) and those cells
are given back as :class:`~lfi_xl.adapters.files.workbook_xml.ErrorValue`. Defined names come
from the workbook part.
"""

from __future__ import annotations

import gc
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np
import python_calamine
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package, check_workbook_file
from lfi_xl.adapters.files.tables_xml import excel_tables
from lfi_xl.book import structured
from lfi_xl.book.area import Area, ErrorValue, column_letter, parse_area
from lfi_xl.book.structured import ExcelTable
from lfi_xl.errors import UnusableInput

# Any valid spelling: a namespace prefix (x:c, as the Open XML SDK writes), single or
# double quotes, spaces around "=".
_HAS_ERROR = re.compile(rb"""\bt\s*=\s*["']e["']""")
_CELL_REF = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br\s*=\s*["']([A-Z]{1,3})(\d{1,7})""")
#: A sheet is read by calamine only when its rectangle from A1 to its last cell is not
#: far bigger than its cells: one typed at XFD1048576 would make calamine allocate
#: 17 billion cells (and abort); such a sheet is read cell by cell instead.
DENSE_CELLS, DENSE_SLACK = 2_000_000, 8
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384


class WorkbookValues:
    """The values of one workbook file, found by defined name."""

    def __init__(self, path: Path, data: bytes | None = None):
        """``data``: the file's bytes when they are not (yet) on disk at ``path``."""
        self.path = Path(path)
        self._large = _LargeParts()
        if data is None:
            check_workbook_file(self.path, self._large.watch)
        self._data = data
        try:
            with self._zip() as archive:
                skeleton = wx.transitional(Package({name: archive.read(name) for name in (
                    "xl/workbook.xml", "xl/_rels/workbook.xml.rels")}))  # Strict OOXML too
            self.sheets = wx.sheets(skeleton)
            self.names = wx.defined_names(skeleton)
        except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, UnusableInput) as error:
            raise UnusableInput(f"{self.path}: the workbook's structure is damaged "
                                f"({error})") from None
        try:
            self._book = (python_calamine.CalamineWorkbook.from_path(str(self.path))
                          if data is None else
                          python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))
        except Exception as error:  # calamine raises its own error types
            raise UnusableInput(f"{self.path}: cannot read the workbook ({error})") from None
        self._cache: dict[str, list[list]] = {}
        self._blocks: dict[str, np.ndarray | None] = {}  # a sheet's cells, cut once

    def __del__(self, unfreeze=gc.unfreeze):
        # what no_collection froze is collected again once a reader is done with it (a
        # long-lived process, such as the test suite's, does not keep frozen garbage);
        # unfreeze is bound here because at interpreter exit the module's gc may be gone
        unfreeze()

    def keep_read(self, other: WorkbookValues, changed: set[str]) -> None:
        """Take the sheets ``other`` (a reader of this workbook before ``changed`` sheets
        were written) has read, but for those."""
        for cache in ("_cache", "_blocks"):
            kept = {sheet: value for sheet, value in getattr(other, cache).items()
                    if sheet not in changed}
            getattr(self, cache).update(kept)

    def _zip(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(self.path if self._data is None else io.BytesIO(self._data))

    def area(self, name: str) -> Area | None:
        """Where a defined name points (a range, or an Excel table's column as it now
        stands: ``Placements[Start date]``), or ``None`` if it is missing or broken."""
        text = self.names.get(name)
        if text is None:
            return None
        return parse_area(text) or structured.resolve(text, self.tables)

    @cached_property
    def tables(self) -> dict[str, ExcelTable]:
        """The workbook's Excel tables by upper-case name."""
        with self._zip() as archive:
            present = set(archive.namelist())
            return structured.by_name(excel_tables(
                lambda part: archive.read(part) if part in present else None, self.sheets))

    def require(self, name: str) -> Area:
        area = self.area(name)
        if area is None:
            state = "points to #REF!" if name in self.names else "is missing"
            raise UnusableInput(f"{self.path}: the defined name {name} {state}; "
                                "lfi-xl finds its tables by these names")
        if area.sheet not in {sheet.name for sheet in self.sheets}:
            raise UnusableInput(f"{self.path}: the defined name {name} points to a sheet "
                                f"'{area.sheet}' that does not exist")
        return area

    def _part_name(self, sheet: str) -> str:
        part = next((info.part for info in self.sheets if info.name == sheet), None)
        if part is None:
            raise UnusableInput(f"{self.path}: there is no sheet '{sheet}' in the workbook")
        return part

    def _part(self, sheet: str) -> bytes:
        part = self._part_name(sheet)
        try:
            with self._zip() as archive:
                return archive.read(part)
        except KeyError:
            raise UnusableInput(f"{self.path}: the sheet '{sheet}' has no part {part}; the "
                                "file is damaged") from None

    def sheet_values(self, sheet: str) -> list[list]:
        """Every cell of a sheet from A1, as calamine gives it, errors restored."""
        if sheet not in self._cache:
            if self._large.plain(self._part_name(sheet)):
                errors = {}  # seen when the file was checked: no far cell, no error cell
            else:
                data = self._part(sheet)
                seen = self._large.seen(self._part_name(sheet))  # or searched here, once
                far, error = seen if seen is not None else _flags(data)
                last_row, last_column, cells = _extent(data, far)
                if last_row > EXCEL_ROWS or last_column > EXCEL_COLUMNS:
                    raise UnusableInput(f"{self.path}: the sheet '{sheet}' has a cell beyond "
                                        "Excel's last row or column; the file is damaged")
                if not _dense(last_row, last_column, cells):
                    self._cache[sheet] = self._sparse_values(sheet, data)
                    return self._cache[sheet]
                errors = self._error_cells(sheet, data) if error else {}
                del data  # the part's XML is not held while calamine reads the sheet
            try:
                with no_collection():
                    rows = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as error:  # calamine's own error types: a damaged sheet part
                raise UnusableInput(f"{self.path}: the sheet '{sheet}' cannot be read; the "
                                    f"file is damaged ({type(error).__name__}: {error})") from None
            for (row, column), shown in errors.items():
                while len(rows) <= row:
                    rows.append([])
                while len(rows[row]) <= column:
                    rows[row].append("")
                rows[row][column] = shown
            self._cache[sheet] = rows
        return self._cache[sheet]

    def _error_cells(self, sheet: str, data: bytes) -> dict[tuple[int, int], ErrorValue]:
        """Error cells (``t="e"``) in any valid XML spelling, parsed as XML."""
        found: dict[tuple[int, int], ErrorValue] = {}
        if not _may_have_errors(data):
            return found
        for cell in _cells(self.path, sheet, data):
            if cell.get("t") == "e":
                value = cell.find(f"{{{wx.MAIN}}}v")
                if value is not None and value.text and cell.get("r"):
                    found[_position(cell.get("r"))] = ErrorValue(value.text.strip())
        return found

    def _sparse_values(self, sheet: str, data: bytes) -> list[list]:
        """A sheet read cell by cell (its rows as short as their last cell): for a sheet
        whose few cells are spread to Excel's far corner."""
        from openpyxl.styles.numbers import is_date_format
        from openpyxl.utils.datetime import from_excel

        with self._zip() as archive:
            names = set(archive.namelist())
            shared = ([_text_of(si) for si in wx.parse(archive.read("xl/sharedStrings.xml"))
                       .iterfind("m:si", wx.NS)] if "xl/sharedStrings.xml" in names else [])
            styles = archive.read("xl/styles.xml") if "xl/styles.xml" in names else None
        dates = set()
        if styles:
            root = wx.parse(styles)
            custom = {f.get("numFmtId"): f.get("formatCode") or ""
                      for f in root.iterfind("m:numFmts/m:numFmt", wx.NS)}
            for index, xf in enumerate(root.iterfind("m:cellXfs/m:xf", wx.NS)):
                number = xf.get("numFmtId", "0")
                if (14 <= int(number) <= 22) or is_date_format(custom.get(number, "")):
                    dates.add(str(index))
        rows: list[list] = []
        for cell in _cells(self.path, sheet, data):
            if not cell.get("r"):
                continue
            row, column = _position(cell.get("r"))
            kind = cell.get("t", "n")
            value_element = cell.find(f"{{{wx.MAIN}}}v")
            raw = value_element.text if value_element is not None else None
            value: object
            if kind == "inlineStr":
                inline = cell.find(f"{{{wx.MAIN}}}is")
                value = _text_of(inline) if inline is not None else ""
            elif raw is None:
                continue
            elif kind == "s":
                value = shared[int(raw)] if raw.strip().isdigit() and int(raw) < len(shared) else ""
            elif kind in ("str", "inlineStr"):
                value = raw
            elif kind == "b":
                value = raw.strip() in ("1", "true")
            elif kind == "e":
                value = ErrorValue(raw.strip())
            else:
                try:
                    value = float(raw)
                except ValueError:
                    value = raw
                if cell.get("s") in dates and isinstance(value, float):
                    value = from_excel(value)
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            while len(line) <= column:
                line.append("")
            line[column] = value
        return rows

    def cell_formats(self, sheet: str,
                     addresses: list[str]) -> dict[str, tuple[str, str] | None]:
        """(formula, number format) of cells of one sheet (see ``workbook_xml``)."""
        data = self._part(sheet)
        with self._zip() as archive:
            styles = (archive.read("xl/styles.xml") if "xl/styles.xml" in archive.namelist()
                      else None)
        found: dict[str, tuple[str, str] | None] = dict(wx.cell_formats(data, styles,
                                                                        addresses))
        return found

    def values(self, area: Area) -> list[list]:
        """The cells of ``area`` as a rectangle (blanks ``None``)."""
        rows = self.sheet_values(area.sheet)
        first, last = area.min_col - 1, area.max_col
        width = last - first
        out = []
        for line in rows[area.min_row - 1:area.max_row]:
            cells = line[first:last]
            if not cells:  # the row ends before the area (a strip beside a register)
                out.append([None] * width)
                continue
            # an error cell is an ErrorValue, never "": only true blanks become None
            cells = [None if value == "" else value for value in cells]
            out.append(cells + [None] * (width - len(cells)))
        out += [[None] * width for _ in range(area.max_row - area.min_row + 1 - len(out))]
        return out

    def column(self, area: Area) -> list:
        """The cells of a one-column ``area`` as a flat list (blanks ``None``): the fast
        path for long registers such as Placements."""
        col = area.min_col - 1
        block = self._block(area.sheet)
        if block is not None:  # the sheet's rows, cut once for all its columns
            cells = (block[area.min_row - 1:area.max_row, col].tolist()
                     if col < block.shape[1] else [])
        else:
            rows = self.sheet_values(area.sheet)[area.min_row - 1:area.max_row]
            cells = [(None if (value := row[col]) == "" else value) if col < len(row)
                     else None for row in rows]
        return cells + [None] * (area.max_row - area.min_row + 1 - len(cells))

    def column_cells(self, area: Area) -> np.ndarray:
        """:meth:`column` as an object array (a copy of the sheet's block's column, when
        it has one: no list is made)."""
        block = self._block(area.sheet)
        col = area.min_col - 1
        if block is not None and col < block.shape[1] and area.max_row <= block.shape[0]:
            return block[area.min_row - 1:area.max_row, col].copy()
        cells = self.column(area)
        return np.fromiter(cells, object, len(cells))

    def _block(self, sheet: str) -> np.ndarray | None:
        """A sheet's cells as a 2-D object array (blanks ``None``), when calamine read it
        as a rectangle (every row as wide); else ``None``."""
        if sheet not in self._blocks:
            rows = self.sheet_values(sheet)
            block = None
            if len(set(map(len, rows))) == 1:
                block = np.fromiter(chain.from_iterable(rows), object,
                                    len(rows) * len(rows[0])).reshape(len(rows), -1)
                block[block == ""] = None  # an error cell is an ErrorValue, never ""
            elif not rows:
                block = np.empty((0, 0), dtype=object)
            self._blocks[sheet] = block
        return self._blocks[sheet]

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def sheet_names(self) -> list[str]:
        return [info.name for info in self.sheets]

    def read(self, name: str) -> tuple[Area, list[list]]:
        area = self.require(name)
        return area, self.values(area)


@contextmanager
def no_collection(freeze: bool = True) -> Iterator[None]:
    """The cyclic garbage collector kept off while many small containers in no cycle are
    made (calamine's rows: a list per row; recalc's trees and cells), which it would walk
    again and again as they are made and as they age (a tenth to a quarter of validate's
    time at 100,000 placements). With ``freeze``, everything alive is then frozen (never
    walked again, until a reader is dropped: :meth:`WorkbookValues.__del__`). Reference
    counting frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def check_dense(path: Path) -> None:
    """Refuse (exit 2) a workbook with a sheet whose few cells reach far past the rest:
    for what must evaluate every cell of a sheet's rectangle (recalc's engine), a cell
    typed at XFD1048576 means 17 billion cells."""
    book = WorkbookValues(path)
    counted: dict[str, int] = {}
    for info in book.sheets:
        data = book._part(info.name)
        last_row, last_column, cells = _extent(data)
        if not _dense(last_row, last_column, cells):
            raise UnusableInput(
                f"{path}: the sheet '{info.name}' has {cells} cells spread to "
                f"{column_letter(min(last_column, EXCEL_COLUMNS))}{last_row}: recalc "
                "evaluates a sheet's whole rectangle, so clear that far cell (Ctrl+End in "
                "Excel finds it) and run recalc again")
        counted[info.name] = len(_CELL_TAG.findall(data))
    if sum(counted.values()) > MAX_RECALC_CELLS:
        largest = max(counted, key=lambda sheet: counted[sheet])
        raise UnusableInput(
            f"{path}: {sum(counted.values()):,} cells ({counted[largest]:,} on the sheet "
            f"'{largest}'): recalc's formula engine keeps every cell in memory and takes at "
            f"most {MAX_RECALC_CELLS:,}; recalculate this workbook in Excel (F9, then save), "
            "or remove the cells it does not need")


#: The most cells recalc's formula engine is given: it holds each cell as a few objects
#: (about 3 KB a cell measured: 1M cells passed 3 GB and 300 s without finishing), so a
#: column of a million pasted numbers is refused, not taken to the machine's memory limit.
#: 100,000 placements (800,000 register cells) still recalculate.
MAX_RECALC_CELLS = 1_000_000
#: A cell's opening tag (any namespace prefix, with or without attributes).
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


#: Above this size a sheet part is scanned cell by cell only when a cheap search finds a
#: reference that could be far away (three-letter column, seven-digit row).
_SCAN_BYTES = 16 << 20
_FAR_REF = re.compile(rb"""\br\s*=\s*["'](?:[A-Z]{3}\d|[A-Z]{1,2}\d{7})""")
#: What follows the "=" of a far reference (``_FAR_REF``) or of an error cell's type
#: (``_HAS_ERROR``): one search for both, starting at a literal (found fast); the
#: attribute's name before the "=" is checked on each candidate. Possessive and atomic
#: (nothing is given back: a quote is not a space, a digit not a letter): a quarter faster.
_AFTER_EQUALS = re.compile(rb"""=\s*+["'](?>([A-Z]{3}\d|[A-Z]{1,2}+\d{7})|e["'])""")
_SPACE = frozenset(b" \t\n\r\f\v")  # what \s matches in a bytes pattern


def _flags(data: bytes) -> tuple[bool, bool]:
    """Whether ``_FAR_REF`` and ``_HAS_ERROR`` match ``data`` (the same answers, found
    in one pass over it)."""
    far = error = False
    for match in _AFTER_EQUALS.finditer(data):
        at = match.start() - 1
        while at >= 0 and data[at] in _SPACE:
            at -= 1
        if at < 0 or (at > 0 and _WORD[data[at - 1]]):
            continue  # no name, or a longer one (xr=, at=): not r= or t=
        if match.group(1) is not None:
            far = far or data[at] == ord("r")
        else:
            error = error or data[at] == ord("t")
        if far and error:
            break
    return far, error


def _has_far_ref(data: bytes) -> bool:
    """Whether ``_FAR_REF`` matches ``data``."""
    return _flags(data)[0]


_WORD = [chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) == "_")
         for byte in range(256)]


class _LargeParts:
    """What each part over ``_SCAN_BYTES`` holds, noted while the file is checked (which
    inflates every part once): whether :func:`_extent` and :func:`_may_have_errors` would
    find a far reference or an error cell in it. A match lies inside one tag (its bytes
    are never ``<``), so each chunk is searched together with the previous chunk's tail
    from its last ``<``: the same answers as on the whole part."""

    def __init__(self):
        self._flags: dict[str, list[bool]] = {}   # part -> [far reference, error cell]
        self._tails: dict[str, bytes] = {}

    def watch(self, info: zipfile.ZipInfo, chunk: bytes) -> None:
        if info.file_size <= _SCAN_BYTES:
            return
        data = self._tails.get(info.filename, b"") + chunk
        flags = self._flags.setdefault(info.filename, [False, False])
        flags[:] = [old or new for old, new in zip(flags, _flags(data), strict=True)]
        cut = data.rfind(b"<")
        self._tails[info.filename] = data[cut:] if cut >= 0 else data

    def seen(self, part: str) -> tuple[bool, bool] | None:
        """(a far reference, an error cell) in a part seen whole, else ``None``."""
        flags = self._flags.get(part)
        return None if flags is None else (flags[0], flags[1])

    def plain(self, part: str) -> bool:
        """Seen whole, and neither a far reference nor an error cell in it."""
        return self.seen(part) == (False, False)


def _may_have_errors(data: bytes) -> bool:
    """Whether ``_HAS_ERROR`` matches ``data``."""
    return _flags(data)[1]


def _dense(last_row: int, last_column: int, cells: int) -> bool:
    """Whether a sheet's rectangle from A1 is not far bigger than its cells."""
    return last_row * last_column <= max(DENSE_CELLS, DENSE_SLACK * cells)


#: A cell reference with a column of two letters or more; a far one's row (7+ digits):
#: without the leading \b (a literal first is searched faster), checked on each match.
_WIDE_REF = re.compile(rb"""r\s*=\s*["'][A-Z]{2}""")
_FAR_ROW = re.compile(rb"""r\s*=\s*["'][A-Z](\d{7,})""")


def _at_word_start(pattern: re.Pattern, data: bytes):
    """The matches of ``pattern`` that start a word (as ``\b`` then ``pattern``)."""
    return (match for match in pattern.finditer(data)
            if match.start() == 0 or not _WORD[data[match.start() - 1]])


def _extent(data: bytes, far: bool | None = None) -> tuple[int, int, int]:
    """Last row, last column (1-based) and number of the cells of a worksheet part
    (``far``: whether it holds a far reference, when that is known already).

    A part over ``_SCAN_BYTES`` with no far reference gives (0, 0, 0): calamine's
    rectangle is its own. One whose far references are only rows past 999,999 in columns
    A-Z (a register of a million rows) gives its last row, 26 and a count of its cells
    no larger than the true one (``<c `` tags; none in a comment), when those show it
    dense: every reference need not be read."""
    if len(data) > _SCAN_BYTES:
        if not (_has_far_ref(data) if far is None else far):
            return 0, 0, 0   # nothing beyond ZZ999999: calamine's rectangle is its own
        if next(_at_word_start(_WIDE_REF, data), None) is None and b"<!--" not in data:
            rows = [int(match.group(1)) for match in _at_word_start(_FAR_ROW, data)]
            bound = (max(rows, default=0), 26, data.count(b"<c "))
            if rows and _dense(*bound):
                return bound
    last_row = last_column = count = 0
    for match in _CELL_REF.finditer(data):
        letters, row = match.groups()
        count += 1
        last_row = max(last_row, int(row))
        column = 0
        for letter in letters:
            column = column * 26 + letter - 64
        last_column = max(last_column, column)
    return last_row, last_column, count


def _position(address: str) -> tuple[int, int]:
    """``B7`` -> (6, 1): 0-based row and column."""
    letters = address.rstrip("0123456789")
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return int(address[len(letters):]) - 1, column - 1


def _cells(path: Path, sheet: str, data: bytes):
    """The ``<c>`` elements of a worksheet part, parsed as XML (prefixes, quoting and
    entities all as XML reads them)."""
    try:
        for _, cell in etree.iterparse(io.BytesIO(data), tag=f"{{{wx.MAIN}}}c",
                                       resolve_entities=False, huge_tree=False):
            yield cell
            cell.clear(keep_tail=True)
    except etree.XMLSyntaxError as error:
        raise UnusableInput(f"{path}: the sheet '{sheet}' is not valid XML ({error}); the file "
                            "is damaged") from None


def _text_of(element) -> str:
    """The text of a shared or inline string (its runs joined, phonetic runs left out)."""
    return "".join(t.text or "" for t in element.iter(f"{{{wx.MAIN}}}t")
                   if etree.QName(t.getparent()).localname != "rPh")


def read_plan(path: Path, prefix: str = c.PLAN_PREFIX):
    """The plan of a DSG plan workbook file."""
    from lfi_xl.book.tables import read_plan_from

    return read_plan_from(WorkbookValues(path), prefix)
