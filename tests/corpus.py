"""A corpus of damaged and benign variants of the shipped workbooks.

Each :class:`Variant` is a small recipe: which shipped workbook it starts from, how to
build the variant file, whether it is DAMAGED (commands must fail cleanly, naming the
file or the cell) or BENIGN (something Excel users do every day that must keep working:
a renamed, hidden or moved sheet, rows and columns inserted with the defined names moved
as Excel moves them) and, for cell damage, the cells a message must name.

Cell damage is typed in with :func:`helpers.edit` (text, numbers, blanks) or written into
the sheet XML (Excel errors, dates), so every other cell keeps its cached value: the only
damage is the one intended. Package damage (sheets, names, rows, zips) is done on the
parts with lxml and zipfile. ``variants()`` lists them all; ``Variant.make(folder)``
writes one file.
"""

from __future__ import annotations

import io
import posixpath
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from helpers import edit
from lxml import etree
from openpyxl.formula.tokenizer import Tokenizer
from openpyxl.utils.cell import column_index_from_string, get_column_letter

SHIPPED = Path(__file__).resolve().parents[1] / "workbooks"
PLAN, KPI = "plan", "kpi"
SOURCES = {PLAN: SHIPPED / "dsg_plan.xlsx", KPI: SHIPPED / "template_kpi.xlsx"}
DAMAGED, BENIGN = "damaged", "benign"
#: The commands run on each workbook kind.
COMMANDS = {PLAN: ("plan", "validate", "extract", "recalc"),
            KPI: ("validate", "freeze", "verify", "extract", "recalc")}

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"m": MAIN}
M = f"{{{MAIN}}}"


@dataclass(frozen=True)
class Variant:
    """One variant of a shipped workbook."""

    name: str
    book: str                                    # PLAN or KPI: which workbook it starts from
    kind: str                                    # DAMAGED or BENIGN
    build: Callable[[Path], None]                # writes the variant file at the given path
    where: tuple[tuple[str, str], ...] = ()      # (sheet, cell): a message must name one
    must_fail: frozenset[str] = frozenset()      # commands that must exit 1 or 2
    mention: str = ""                            # text the validate output must contain
    file_level: bool = False                     # not a usable workbook: every command exits 2
    damage: str = ""                             # the kind of cell damage (a key of DAMAGE)
    note: str = ""

    @property
    def damaged(self) -> bool:
        return self.kind == DAMAGED

    @property
    def filename(self) -> str:
        return f"{self.name}.xlsx"

    def make(self, folder: Path) -> Path:
        path = Path(folder) / self.filename
        self.build(path)
        return path


# ---------------------------------------------------------------------------------------
# The package as parts
# ---------------------------------------------------------------------------------------
class Parts:
    """The parts of an .xlsx in their order, changed in memory and written back."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as archive:
            self.order = [info.filename for info in archive.infolist()]
            self.data = {name: archive.read(name) for name in self.order}

    def save(self, path: Path, drop: Iterable[str] = ()) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in self.order:
                if name in self.data and name not in drop:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, self.data[name])
        Path(path).write_bytes(buffer.getvalue())

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.data[name])

    def put(self, name: str, root: etree._Element) -> None:
        self.data[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                         standalone=True)

    def sheet_parts(self) -> dict[str, str]:
        workbook = self.xml("xl/workbook.xml")
        rels = self.xml("xl/_rels/workbook.xml.rels")
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        out = {}
        for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
            target = targets[sheet.get(f"{{{REL}}}id")]
            out[sheet.get("name")] = (target.lstrip("/") if target.startswith("/")
                                      else posixpath.normpath(posixpath.join("xl", target)))
        return out


def _with_parts(path: Path, *changes: Callable[[Parts], None]) -> None:
    parts = Parts(path)
    for change in changes:
        change(parts)
    parts.save(path)


def _copy(book: str, path: Path) -> None:
    shutil.copyfile(SOURCES[book], path)


# ---------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------
def _cell_element(parts: Parts, sheet: str, address: str) -> tuple[str, etree._Element,
                                                                    etree._Element]:
    part = parts.sheet_parts()[sheet]
    root = parts.xml(part)
    for cell in root.iterfind("m:sheetData/m:row/m:c", NS):
        if cell.get("r") == address:
            return part, root, cell
    raise AssertionError(f"corpus: {sheet}!{address} is not a cell of the shipped workbook")


def _clear(cell: etree._Element) -> None:
    for child in list(cell):
        cell.remove(child)
    cell.attrib.pop("t", None)


def _date_style(parts: Parts, base: str | None) -> str:
    """A cell style like ``base`` but with Excel's built-in date format (numFmtId 14)."""
    styles = parts.xml("xl/styles.xml")
    xfs = styles.find("m:cellXfs", NS)
    clone = etree.fromstring(etree.tostring(xfs[int(base or 0)]))
    clone.set("numFmtId", "14")
    clone.set("applyNumberFormat", "1")
    xfs.append(clone)
    xfs.set("count", str(len(xfs)))
    parts.put("xl/styles.xml", styles)
    return str(len(xfs) - 1)


def _xml_cell(sheet: str, address: str, how: str, value) -> Callable[[Parts], None]:
    """An Excel error (``t="e"``) or a date (a serial with a date style) typed in a cell."""

    def change(parts: Parts) -> None:
        part, root, cell = _cell_element(parts, sheet, address)
        _clear(cell)
        if how == "error":
            cell.set("t", "e")
            etree.SubElement(cell, f"{M}v").text = value
        elif how == "date":
            cell.set("s", _date_style(parts, cell.get("s")))
            etree.SubElement(cell, f"{M}v").text = str(value)
        else:
            raise ValueError(how)
        parts.put(part, root)

    return change


def _require_cells(book: str, sheet: str, addresses: Iterable[str]) -> None:
    parts = Parts(SOURCES[book])
    for address in addresses:
        _cell_element(parts, sheet, address)


def _clear_cells(sheet: str, addresses: Iterable[str]) -> Callable[[Parts], None]:
    def change(parts: Parts) -> None:
        part = parts.sheet_parts()[sheet]
        root = parts.xml(part)
        wanted = set(addresses)
        for cell in root.iterfind("m:sheetData/m:row/m:c", NS):
            if cell.get("r") in wanted:
                _clear(cell)
        parts.put(part, root)

    return change


#: Kinds of damage: name -> (how, value). "type" goes through helpers.edit.
DAMAGE = {
    "tbc": ("type", "TBC"),
    "na-text": ("type", "n/a"),
    "blank": ("type", None),
    "err-na": ("error", "#N/A"),
    "err-ref": ("error", "#REF!"),
    "err-div0": ("error", "#DIV/0!"),
    "date": ("date", 45170),            # 01/09/2023 in a number cell
    "pounds": ("type", "£1,234"),
    "thousands": ("type", "1,234.5"),
    "huge": ("type", 1e300),
    "e16": ("type", 1e16),
    "negative": ("type", -5000),
    "text-date": ("type", "01/09/2023"),
    "number": ("type", 7),
    "unknown": ("type", "Other"),
    "duplicate": ("type", "P00001"),
}
#: Damage for a cell that must hold a number.
NUMBER = ("tbc", "na-text", "blank", "err-na", "err-ref", "err-div0", "date", "pounds",
          "thousands", "huge", "e16")


def _damage_cell(book: str, sheet: str, address: str, damage: str) -> Callable[[Path], None]:
    how, value = DAMAGE[damage]

    def build(path: Path) -> None:
        _copy(book, path)
        if how == "type":
            _require_cells(book, sheet, [address])
            edit(path, sheet, {address: value})
        else:
            _with_parts(path, _xml_cell(sheet, address, how, value))

    return build


def _rotate(kinds: tuple[str, ...], start: int, count: int) -> tuple[str, ...]:
    """``count`` kinds from ``kinds`` starting at ``start`` (wrapping), so that a list of
    cells spreads every kind of damage over the cells."""
    return tuple(kinds[(start + k) % len(kinds)] for k in range(min(count, len(kinds))))


# ---------------------------------------------------------------------------------------
# Formulas, names and references: shifting for inserted rows/columns, renaming sheets
# ---------------------------------------------------------------------------------------
_SHEET_REF = re.compile(r"^(?:(?P<sheet>'(?:[^']|'')+'|[^'!:]+)!)?(?P<ref>.+)$")
_CELLS = re.compile(r"^\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?$")
_ONE = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def quote_sheet(sheet: str) -> str:
    """A sheet name as a formula writes it: quoted unless plain letters and digits."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) and not _ONE.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _unquote(sheet: str) -> str:
    return sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet


def _shift_cells(ref: str, axis: str, at: int, count: int) -> str:
    def one(match: re.Match) -> str:
        col_dollar, letters, row_dollar, row = match.groups()
        if axis == "row" and int(row) >= at:
            row = str(int(row) + count)
        if axis == "col" and column_index_from_string(letters) >= at:
            letters = get_column_letter(column_index_from_string(letters) + count)
        return f"{col_dollar}{letters}{row_dollar}{row}"

    return _ONE.sub(one, ref)


def _map_operands(formula: str, context: str, change: Callable[[str | None, str, str], str]
                  ) -> str:
    """Apply ``change(sheet_or_None, ref, context)`` to each range operand of a formula."""
    equals = formula.startswith("=")
    tokens = Tokenizer(formula if equals else "=" + formula)
    for token in tokens.items:
        if token.type == "OPERAND" and token.subtype == "RANGE":
            match = _SHEET_REF.match(token.value)
            if match:
                token.value = change(match.group("sheet"), match.group("ref"), context)
    text = tokens.render()
    return text if equals else text[1:]


def _shift_operand(target: str, axis: str, at: int, count: int):
    def change(sheet: str | None, ref: str, context: str) -> str:
        where = _unquote(sheet) if sheet else context
        if where != target or not _CELLS.match(ref):
            return f"{sheet}!{ref}" if sheet else ref
        shifted = _shift_cells(ref, axis, at, count)
        return f"{sheet}!{shifted}" if sheet else shifted

    return change


def _rename_operand(old: str, new: str):
    def change(sheet: str | None, ref: str, context: str) -> str:
        if sheet is None:
            return ref
        return f"{quote_sheet(new) if _unquote(sheet) == old else sheet}!{ref}"

    return change


def _every_formula(parts: Parts, change) -> None:
    """Apply an operand change to every formula, defined name and data-validation formula."""
    workbook = parts.xml("xl/workbook.xml")
    for name in workbook.iterfind("m:definedNames/m:definedName", NS):
        if name.text and "#REF!" not in name.text:
            name.text = _map_operands(name.text, "", change)
    parts.put("xl/workbook.xml", workbook)
    for sheet, part in parts.sheet_parts().items():
        root = parts.xml(part)
        for formula in root.iter(f"{M}f", f"{M}formula1", f"{M}formula2", f"{M}formula"):
            if formula.text:
                formula.text = _map_operands(formula.text, sheet, change)
        parts.put(part, root)


def _insert(sheet: str, axis: str, at: int, count: int = 1) -> Callable[[Parts], None]:
    """Insert ``count`` rows (axis "row") or columns ("col") before row/column ``at`` of
    ``sheet``, as Excel does: cells move, and every reference to them (formulas on any
    sheet, defined names, merged cells, data validation, column widths) moves with them."""

    def change(parts: Parts) -> None:
        part = parts.sheet_parts()[sheet]
        root = parts.xml(part)
        for row in root.iterfind("m:sheetData/m:row", NS):
            if axis == "row" and int(row.get("r")) >= at:
                row.set("r", str(int(row.get("r")) + count))
            if axis == "col":
                row.attrib.pop("spans", None)
            for cell in row.iterfind("m:c", NS):
                cell.set("r", _shift_cells(cell.get("r"), axis, at, count))
                formula = cell.find("m:f", NS)
                if formula is not None and formula.get("ref"):
                    formula.set("ref", _shift_cells(formula.get("ref"), axis, at, count))
        for element, attribute in (("m:dimension", "ref"), ("m:mergeCells/m:mergeCell", "ref"),
                                   ("m:dataValidations/m:dataValidation", "sqref"),
                                   ("m:conditionalFormatting", "sqref"),
                                   ("m:hyperlinks/m:hyperlink", "ref")):
            for found in root.iterfind(element, NS):
                found.set(attribute, " ".join(_shift_cells(ref, axis, at, count)
                                              for ref in found.get(attribute).split()))
        if axis == "col":
            for col in root.iterfind("m:cols/m:col", NS):
                low, high = int(col.get("min")), int(col.get("max"))
                col.set("min", str(low + count if low >= at else low))
                col.set("max", str(high + count if high >= at else high))
        parts.put(part, root)
        _shift_tables(parts, part, axis, at, count)
        _every_formula(parts, _shift_operand(sheet, axis, at, count))

    return change


def _shift_tables(parts: Parts, part: str, axis: str, at: int, count: int) -> None:
    """The sheet's Excel tables move (or grow, for rows inserted inside) with their cells."""
    folder, name = posixpath.split(part)
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in parts.data:
        return
    for rel in parts.xml(rels):
        if rel.get("Type", "").endswith("/table"):
            target = rel.get("Target")
            table_part = (target.lstrip("/") if target.startswith("/") else
                          posixpath.normpath(posixpath.join(folder, target)))
            table = parts.xml(table_part)
            for element in (table, *table.iter(f"{M}autoFilter")):
                element.set("ref", _shift_cells(element.get("ref"), axis, at, count))
            parts.put(table_part, table)


def _rename(old: str, new: str) -> Callable[[Parts], None]:
    """Rename a sheet as Excel does: formulas and defined names follow it."""

    def change(parts: Parts) -> None:
        _every_formula(parts, _rename_operand(old, new))
        workbook = parts.xml("xl/workbook.xml")
        for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
            if sheet.get("name") == old:
                sheet.set("name", new)
        parts.put("xl/workbook.xml", workbook)

    return change


def _first_visible(workbook: etree._Element) -> None:
    sheets = workbook.findall("m:sheets/m:sheet", NS)
    first = next(i for i, s in enumerate(sheets) if s.get("state", "visible") == "visible")
    for view in workbook.iterfind("m:bookViews/m:workbookView", NS):
        view.set("activeTab", str(first))
        view.set("firstSheet", str(first))


def _hide(sheet: str, state: str = "hidden") -> Callable[[Parts], None]:
    def change(parts: Parts) -> None:
        workbook = parts.xml("xl/workbook.xml")
        for element in workbook.iterfind("m:sheets/m:sheet", NS):
            if element.get("name") == sheet:
                element.set("state", state)
        _first_visible(workbook)
        parts.put("xl/workbook.xml", workbook)

    return change


def _move(sheet: str, position: int) -> Callable[[Parts], None]:
    """Move a sheet's tab to ``position`` (0 first, -1 last)."""

    def change(parts: Parts) -> None:
        workbook = parts.xml("xl/workbook.xml")
        sheets = workbook.find("m:sheets", NS)
        element = next(s for s in sheets if s.get("name") == sheet)
        sheets.remove(element)
        if position == -1:
            sheets.append(element)
        else:
            sheets.insert(position, element)
        parts.put("xl/workbook.xml", workbook)

    return change


def _set_name(name: str, text: str | None) -> Callable[[Parts], None]:
    """Point a defined name at ``text`` (``None``: delete the name)."""

    def change(parts: Parts) -> None:
        workbook = parts.xml("xl/workbook.xml")
        names = workbook.find("m:definedNames", NS)
        for element in names:
            if element.get("name") == name:
                if text is None:
                    names.remove(element)
                else:
                    element.text = text
                break
        else:
            raise AssertionError(f"corpus: no defined name {name}")
        parts.put("xl/workbook.xml", workbook)

    return change


def _merge(sheet: str, ref: str) -> Callable[[Parts], None]:
    """Merge cells as Excel does: only the top-left cell keeps its value."""

    def change(parts: Parts) -> None:
        part = parts.sheet_parts()[sheet]
        root = parts.xml(part)
        first, last = ref.split(":")
        low = _ONE.match(first).groups()
        high = _ONE.match(last).groups()
        columns = range(column_index_from_string(low[1]), column_index_from_string(high[1]) + 1)
        rows = range(int(low[3]), int(high[3]) + 1)
        covered = {f"{get_column_letter(c)}{r}" for c in columns for r in rows} - {first}
        for cell in root.iterfind("m:sheetData/m:row/m:c", NS):
            if cell.get("r") in covered:
                _clear(cell)
        merges = root.find("m:mergeCells", NS)
        if merges is None:
            merges = etree.Element(f"{M}mergeCells")
            root.find("m:sheetData", NS).addnext(merges)
        etree.SubElement(merges, f"{M}mergeCell", ref=ref)
        merges.set("count", str(len(merges)))
        parts.put(part, root)

    return change


def _package(book: str, *changes: Callable[[Parts], None],
             typed: dict[str, dict] | None = None) -> Callable[[Path], None]:
    """Build: copy the shipped book, type values (sheet -> {cell: value}), change parts."""

    def build(path: Path) -> None:
        _copy(book, path)
        for sheet, cells in (typed or {}).items():
            _require_cells(book, sheet, cells)
            edit(path, sheet, cells)
        if changes:
            _with_parts(path, *changes)

    return build


# ---------------------------------------------------------------------------------------
# Whole-file damage
# ---------------------------------------------------------------------------------------
def _bytes(book: str, make: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(make(SOURCES[book].read_bytes()))

    return build


def _flip_inside(part: str) -> Callable[[bytes], bytes]:
    """Damage the compressed bytes of one part (its CRC no longer matches)."""

    def make(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(part)
        header = info.header_offset
        name_length = int.from_bytes(data[header + 26:header + 28], "little")
        extra_length = int.from_bytes(data[header + 28:header + 30], "little")
        start = header + 30 + name_length + extra_length
        middle = start + info.compress_size // 2
        damaged = bytearray(data)
        for offset in range(middle, middle + 16):
            damaged[offset] ^= 0x5A
        return bytes(damaged)

    return make


def _without_central_directory(data: bytes) -> bytes:
    return data.replace(b"PK\x01\x02", b"XX\x01\x02").replace(b"PK\x05\x06", b"XX\x05\x06")


def _drop(book: str, *names: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        _copy(book, path)
        parts = Parts(path)
        parts.save(path, drop=names)

    return build


def _replace_part(book: str, name: str, make: Callable[[bytes], bytes]
                  ) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        _copy(book, path)
        parts = Parts(path)
        parts.data[name] = make(parts.data[name])
        parts.save(path)

    return build


def _ole_header(_: bytes) -> bytes:
    """The start of an old Excel 97-2003 (.xls) file: an OLE compound file header."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:26] = (0x003E).to_bytes(2, "little")      # minor version
    header[26:28] = (0x0003).to_bytes(2, "little")      # major version 3
    header[28:30] = (0xFFFE).to_bytes(2, "little")      # little-endian
    header[30:32] = (9).to_bytes(2, "little")           # 512-byte sectors
    header[32:34] = (6).to_bytes(2, "little")           # 64-byte mini sectors
    header[44:48] = (1).to_bytes(4, "little")           # one FAT sector
    header[48:52] = (0xFFFFFFFE).to_bytes(4, "little", signed=False)
    header[56:60] = (4096).to_bytes(4, "little")
    header[60:64] = (0xFFFFFFFE).to_bytes(4, "little")
    header[68:72] = (0xFFFFFFFE).to_bytes(4, "little")
    header[76:80] = (0).to_bytes(4, "little")
    header[80:512] = b"\xff" * 432
    return bytes(header) + b"\x00" * 1024


def _csv(book: str) -> Callable[[bytes], bytes]:
    def make(_: bytes) -> bytes:
        if book == PLAN:
            return ("£m,2022/23,2023/24,2024/25\r\nHigh Needs Block DSG Income,-120.578,"
                    "-135.212,-141.484\r\nTotal income,\"-129,107\",-144.227,-150.68\r\n"
                    ).encode()
        return (b"Ref,Measure,2023-24 Q1,2023-24 Q2\r\n1,Actual EHCPs,9350,9520\r\n"
                b"6,EHCP referral rates from schools,310,265\r\n")

    return make


def _encrypted(book: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        from msoffcrypto.format.ooxml import OOXMLFile

        with open(SOURCES[book], "rb") as handle:
            buffer = io.BytesIO()
            OOXMLFile(handle).encrypt("Pa55word", buffer)
        path.write_bytes(buffer.getvalue())

    return build


def _not_a_workbook(_: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


def _file_variants() -> list[Variant]:
    out = []
    for book in (PLAN, KPI):
        sheet2 = "xl/worksheets/sheet2.xml"
        recipes = {
            "empty": _bytes(book, lambda data: b""),
            "truncated-half": _bytes(book, lambda data: data[:len(data) // 2]),
            "truncated-head": _bytes(book, lambda data: data[:1000]),
            "truncated-tail": _bytes(book, lambda data: data[:-30]),
            "crc-damaged": _bytes(book, _flip_inside(sheet2)),
            "no-central-directory": _bytes(book, _without_central_directory),
            "xls-ole": _bytes(book, _ole_header),
            "csv-renamed": _bytes(book, _csv(book)),
            "utf16-text-renamed": _bytes(book, lambda data: "Ref\t2023-24 Q1\r\n1\t9350\r\n"
                                         .encode("utf-16")),
            "password-protected": _encrypted(book),
            "zip-not-a-workbook": _bytes(book, _not_a_workbook),
            "no-workbook-part": _drop(book, "xl/workbook.xml"),
            "no-content-types": _drop(book, "[Content_Types].xml"),
            "no-workbook-rels": _drop(book, "xl/_rels/workbook.xml.rels"),
            "no-sheet-part": _drop(book, sheet2),
            "workbook-xml-not-xml": _replace_part(book, "xl/workbook.xml",
                                                  lambda data: data[:len(data) // 2]),
            "sheet-xml-not-xml": _replace_part(book, sheet2, lambda data: data[:len(data) // 3]),
            "rels-xml-not-xml": _replace_part(book, "xl/_rels/workbook.xml.rels",
                                              lambda data: b"<Relationships"),
        }
        for label, build in recipes.items():
            # A zip whose one sheet part is missing or broken: verify reads only the
            # Snapshots and Audit sheets, so it may still find nothing wrong.
            commands = set(COMMANDS[book]) - ({"verify"} if label.startswith("sheet") or
                                              label == "no-sheet-part" else set())
            out.append(Variant(f"{book}-file-{label}", book, DAMAGED, build,
                               must_fail=frozenset(commands), file_level=True))
    return out


# ---------------------------------------------------------------------------------------
# Cell damage, spread over the tables
# ---------------------------------------------------------------------------------------
def _cell_variants(book: str, sheet: str, cells: Iterable[str], kinds: tuple[str, ...],
                   per_cell: int, must_fail: Iterable[str], start: int = 0,
                   also: Callable[[str, str], tuple[tuple[str, str], ...]] | None = None,
                   label: str = "") -> list[Variant]:
    out = []
    for index, cell in enumerate(cells):
        for damage in _rotate(kinds, start + index, per_cell):
            where = ((sheet, cell),) + (also(cell, damage) if also else ())
            slug = sheet.lower().replace(" ", "")
            out.append(Variant(f"{book}-{slug}-{cell}-{damage}{label}", book, DAMAGED,
                               _damage_cell(book, sheet, cell, damage), where=where,
                               must_fail=frozenset(must_fail), damage=damage))
    return out


def _plan_totals(cell: str, damage: str) -> tuple[tuple[str, str], ...]:
    """A blank in a plan line shows as a printed total that no longer adds up."""
    if damage != "blank":
        return ()
    column = re.match(r"[A-Z]+", cell).group()
    return tuple(("Plan", f"{column}{row}") for row in (9, 22, 23, 24, 27))


def _plan_book_cells() -> list[Variant]:
    lines = ("C7", "D8", "E10", "F12", "G14", "H17", "B18", "C19", "D21", "E25", "F26", "G11",
             "H15", "B13", "D16", "F20")
    not_blank = tuple(k for k in NUMBER if k != "blank")
    out = _cell_variants(PLAN, "Plan", lines, NUMBER, 5, {"validate", "plan", "extract"},
                         also=_plan_totals)
    # The opening balance and printed totals: a blank there is not damage (the opening is
    # derived from the printed cumulative; a blank total is not reconciled).
    out += _cell_variants(PLAN, "Plan", ("B4", "C9", "G22", "D23"), not_blank, 4,
                          {"validate", "plan", "extract"}, start=3)
    # The "Counts as" column says what each line is.
    out += _cell_variants(PLAN, "Plan", ("J10", "J25"), ("blank", "unknown"), 2,
                          {"validate", "plan", "extract"})
    # Forecast: read by the extract (the plan command reads the Plan sheet only).
    out += _cell_variants(PLAN, "Forecast", ("C7", "D12", "E17", "F20", "G25", "H10", "B4"),
                          not_blank, 4, {"validate", "extract"}, start=1)
    # Money received (blank is "not received yet") and Monitoring (blank: "not forecast").
    out += _cell_variants(PLAN, "Forecast", ("C28", "D29", "E28"), not_blank, 4,
                          {"validate"}, start=5)
    out += _cell_variants(PLAN, "Monitoring", ("C5", "D10", "E19"), not_blank, 3,
                          {"validate"}, start=2)
    out += _settings(PLAN, {"B6": ("tbc", "err-ref", "date", "huge"),
                            "B7": ("tbc", "number"),
                            "B8": ("tbc", "blank", "huge", "err-na")})
    return out


def _settings(book: str, cells: dict[str, tuple[str, ...]]) -> list[Variant]:
    out = []
    for cell, kinds in cells.items():
        out += _cell_variants(book, "Settings", (cell,), kinds, len(kinds),
                              {"validate", "freeze"} if book == KPI else {"validate"})
    return out


#: KPI rows (sheet row -> master ref) and the report columns of 2023-24 Q1..Q3.
_Q1, _Q2, _Q3 = "I", "J", "K"
_EXTRACT_REFS = {11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 44, 6, 7, 8, 45}  # Forum subset
_REFERRALS = {6, 7, 8}


def _feeds_extract(cell: str) -> bool:
    """Whether a KPIs cell is one of the Forum extract's figures (the current report, Q3,
    and the previous, Q2; and every report of the EHCP referral series)."""
    column, row = re.match(r"([A-Z]+)(\d+)", cell).groups()
    ref = int(row) - 7
    return ((ref in _EXTRACT_REFS and column in (_Q2, _Q3))
            or (ref in _REFERRALS and column in (_Q1, _Q2, _Q3)))


def _kpi_book_cells() -> list[Variant]:
    out = []
    base = {"validate", "freeze"}
    inputs = ("I8", "J8", "K12", "I13", "J14", "K15", "J16", "K16", "I10", "I17", "I47",
              "K49", "J51", "K52", "I53", "K50")
    for index, cell in enumerate(inputs):
        fails = base | ({"extract"} if _feeds_extract(cell) else set())
        out += _cell_variants(KPI, "KPIs", (cell,), NUMBER, 4, fails, start=index * 4)
    # Baselines (of input KPIs, and of calculated KPI 16 and 2).
    out += _cell_variants(KPI, "KPIs", ("H8", "H13", "H52"), NUMBER, 3, base, start=2)
    out += _cell_variants(KPI, "KPIs", ("H23", "H9"), ("tbc", "err-na"), 1, base)
    # Calculated KPIs (cached values of formulas), typed over.
    calculated = ("K23", "J18", "K26", "J19", "I22", "J34", "K9", "I30")
    for index, cell in enumerate(calculated):
        fails = base | ({"extract"} if _feeds_extract(cell) else set())
        out += _cell_variants(KPI, "KPIs", (cell,), NUMBER, 4, fails, start=index * 3 + 1)
    # Plan Data: the Q2 and Q3 figures behind the Forum's finance KPIs feed the extract.
    plan_data = {"C5": False, "D7": True, "E10": True, "E11": True, "D12": True, "C13": False,
                 "E14": False}
    for index, (cell, feeds) in enumerate(plan_data.items()):
        out += _cell_variants(KPI, "Plan Data", (cell,), NUMBER, 4,
                              base | ({"extract"} if feeds else set()), start=index * 2)
    # Placements: costs, dates, categories, age bands, locations, IDs.
    costs = NUMBER + ("negative",)
    out += _cell_variants(KPI, "Placements", ("G5", "G300", "G613"), costs, 5, base)
    out += _cell_variants(KPI, "Placements", ("H28",),
                          ("negative", "tbc", "err-ref", "huge", "date"), 5, base)
    out += _cell_variants(KPI, "Placements", ("E6", "E400"),
                          ("tbc", "text-date", "blank", "err-na", "huge"), 3, base)
    out += _cell_variants(KPI, "Placements", ("F6",), ("tbc", "text-date", "err-div0", "huge"),
                          4, base)
    out += _cell_variants(KPI, "Placements", ("B7",), ("blank", "unknown", "number", "err-na"),
                          4, base)
    out += _cell_variants(KPI, "Placements", ("C8",), ("blank", "unknown", "err-ref"), 3, base)
    out += _cell_variants(KPI, "Placements", ("D9",), ("blank", "unknown", "number", "err-na"),
                          4, base)
    out += _cell_variants(KPI, "Placements", ("A10",), ("blank", "duplicate"), 2, base)
    # Mitigations: numbers, the saving (a formula), lists.
    mitigation_numbers = ("tbc", "blank", "negative", "err-na", "date", "huge", "pounds")
    out += _cell_variants(KPI, "Mitigations", ("F5", "G6", "H7", "I8"), mitigation_numbers, 3,
                          base)
    out += _cell_variants(KPI, "Mitigations", ("J9",), ("tbc", "err-div0", "huge"), 3, base)
    out += _cell_variants(KPI, "Mitigations", ("C10",), ("blank", "unknown", "err-na"), 3, base)
    out += _cell_variants(KPI, "Mitigations", ("D11",), ("blank", "unknown", "number"), 3, base)
    out += _cell_variants(KPI, "Mitigations", ("E12",), ("blank", "unknown", "err-ref"), 3, base)
    out += _cell_variants(KPI, "Mitigations", ("A13",), ("tbc", "err-na"), 2, base)
    # Conditions: RAGs of the reported periods.
    out += _cell_variants(KPI, "Conditions", ("C5", "D6", "E7", "C13", "E13"),
                          ("blank", "unknown", "number", "err-na", "date"), 3, base)
    out += _settings(KPI, {"B5": ("err-ref", "err-na"), "B6": ("tbc", "date"),
                           "B7": ("tbc", "number", "err-na", "date"),
                           "B8": ("tbc", "blank", "huge", "err-div0", "number"),
                           "B9": ("tbc", "number", "err-na"), "B10": ("tbc", "number"),
                           "B11": ("tbc", "err-ref"), "B12": ("unknown", "number", "err-na"),
                           "B13": ("tbc", "err-na", "huge"),
                           "B14": ("tbc", "blank", "negative", "huge"),
                           "B15": ("tbc", "blank", "huge", "negative")})
    return out


# ---------------------------------------------------------------------------------------
# Structure: names, shapes, merges, sheets
# ---------------------------------------------------------------------------------------
def _structure_damage() -> list[Variant]:
    out = []

    def add(name, book, build, must_fail=(), where=(), mention="", note=""):
        out.append(Variant(name, book, DAMAGED, build, where=tuple(where),
                           must_fail=frozenset(must_fail), mention=mention, note=note))

    # Defined names deleted or pointing to #REF!. lfi-xl may find a table by its labels
    # instead: then its figures must be the undamaged ones (no command is required to fail).
    for name in ("Plan_Table", "Plan_OpeningBalance", "Forecast_Table", "Plan_Years",
                 "Plan_in_year", "Settings_CurrentYear"):
        add(f"plan-name-deleted-{name}", PLAN, _package(PLAN, _set_name(name, None)),
            mention=name if name.startswith("Settings_") else "")
    for name, text in (("Plan_Table", "#REF!"), ("Plan_OpeningBalance", "Plan!#REF!"),
                       ("Forecast_Table", "Forecast!#REF!"),
                       ("Plan_Table", "Nowhere!$A$6:$J$27")):
        slug = "missing-sheet" if "Nowhere" in text else "ref"
        add(f"plan-name-{slug}-{name}", PLAN, _package(PLAN, _set_name(name, text)))
    for name in ("KPI_5", "KPI_Periods", "KPI_Baseline", "PlanData_in_year",
                 "Placements_AnnualCost", "Mitigations_Saving", "Conditions_Table",
                 "Snapshots_Table", "Settings_CurrentPeriod", "KPI_Table"):
        add(f"kpi-name-deleted-{name}", KPI, _package(KPI, _set_name(name, None)),
            mention=name if name.startswith("Settings_") else "")
    for name, text in (("KPI_16", "KPIs!#REF!"), ("Placements_Start", "#REF!"),
                       ("Mitigations_Period", "Mitigations!#REF!"),
                       ("Conditions_Periods", "#REF!"), ("Narrative_Table", "#REF!"),
                       ("Settings_ForumKPIs", "Settings!#REF!"),
                       ("PlanData_allocation", "'Plan Data'!#REF!"),
                       ("KPI_Periods", "Gone!$I$4:$Z$4")):
        slug = "missing-sheet" if "Gone" in text else "ref"
        add(f"kpi-name-{slug}-{name}", KPI, _package(KPI, _set_name(name, text)),
            mention=name if name.startswith("Settings_") else "")

    # Tables of one row, or none, by moving the defined names.
    plan_fail = {"validate", "plan", "extract"}
    add("plan-table-header-only", PLAN, _package(PLAN, _set_name("Plan_Table",
                                                                 "Plan!$A$6:$J$6")),
        plan_fail, note="a plan with no lines at all")
    kpi_fail = {"validate", "freeze"}
    one_row = [_set_name(f"Placements_{key}", f"Placements!${col}$5:${col}$5")
               for key, col in zip(("ID", "Category", "AgeBand", "Location", "Start", "End",
                                    "AnnualCost", "PreviousCost"), "ABCDEFGH", strict=True)]
    add("kpi-placements-one-row", KPI, _package(
        KPI, *one_row, _set_name("Placements_Table", "Placements!$A$4:$H$5")), kpi_fail,
        note="the cached average costs no longer match their one placement")
    add("kpi-placements-empty", KPI, _package(
        KPI, *one_row, _set_name("Placements_Table", "Placements!$A$4:$H$5"),
        _clear_cells("Placements", [f"{col}5" for col in "ABCDEFGH"])), kpi_fail)
    add("kpi-placements-columns-unequal", KPI, _package(
        KPI, _set_name("Placements_AnnualCost", "Placements!$G$5:$G$600")), kpi_fail,
        where=[("Placements", "G5")], note="one column's name shorter than the others")
    mitigation_keys = ("Workstream", "Project", "Period", "AgeBand", "Provision", "BaseVolume",
                       "BaseUnitCost", "Volume", "UnitCost", "Saving", "VolumeEffect",
                       "PriceEffect")
    one_mitigation = [_set_name(f"Mitigations_{key}", f"Mitigations!${col}$5:${col}$5")
                      for key, col in zip(mitigation_keys, "ABCDEFGHIJKL", strict=True)]
    add("kpi-mitigations-one-row", KPI, _package(
        KPI, *one_mitigation, _set_name("Mitigations_Table", "Mitigations!$A$4:$L$5")),
        kpi_fail)
    add("kpi-mitigations-empty", KPI, _package(
        KPI, *one_mitigation, _set_name("Mitigations_Table", "Mitigations!$A$4:$L$5"),
        _clear_cells("Mitigations", [f"{col}5" for col in "ABCDEFGHIJKL"])), kpi_fail)
    add("kpi-kpi16-one-column", KPI, _package(KPI, _set_name("KPI_16", "KPIs!$I$23:$I$23")),
        kpi_fail | {"extract"}, note="KPI 16's name covers 2023-24 Q1 only")
    add("kpi-plandata-in-year-two-columns", KPI, _package(
        KPI, _set_name("PlanData_in_year", "'Plan Data'!$C$10:$D$10")), kpi_fail)
    add("kpi-periods-three-columns", KPI, _package(
        KPI, _set_name("KPI_Periods", "KPIs!$I$4:$K$4")), (),
        note="report columns end at the current period: the rows are longer than the header")

    # Merged cells: Excel keeps only the top-left value.
    add("plan-merged-C10-D10", PLAN, _package(PLAN, _merge("Plan", "C10:D10")), plan_fail,
        where=[("Plan", "D10"), ("Plan", "D22"), ("Plan", "D23"), ("Plan", "D24"),
               ("Plan", "D27")])
    add("kpi-merged-I13-K13", KPI, _package(KPI, _merge("KPIs", "I13:K13")),
        kpi_fail | {"extract"}, where=[("KPIs", "J13"), ("KPIs", "K13")])
    add("kpi-merged-conditions-C5-E5", KPI, _package(KPI, _merge("Conditions", "C5:E5")),
        kpi_fail, where=[("Conditions", "D5"), ("Conditions", "E5")])
    add("kpi-merged-placements-B5-C5", KPI, _package(KPI, _merge("Placements", "B5:C5")),
        kpi_fail, where=[("Placements", "C5")])

    # Plan years: the header row of the plan table.
    add("plan-years-C6-tbc", PLAN, _package(PLAN, typed={"Plan": {"C6": "TBC"}}), plan_fail,
        where=[("Plan", "C6")])
    add("plan-years-D6-blank", PLAN, _package(PLAN, typed={"Plan": {"D6": None}}), plan_fail,
        where=[("Plan", "D6")])

    # The other workbook given in its place.
    out.append(Variant("kpi-is-the-plan-workbook", KPI, DAMAGED,
                       lambda path: shutil.copyfile(SOURCES[PLAN], path),
                       must_fail=frozenset({"freeze", "verify", "extract"})))
    out.append(Variant("plan-is-the-kpi-workbook", PLAN, DAMAGED,
                       lambda path: shutil.copyfile(SOURCES[KPI], path),
                       must_fail=frozenset({"plan", "extract"})))
    return out


# ---------------------------------------------------------------------------------------
# Hostile packages and the attacks of the security review (issue 17)
# ---------------------------------------------------------------------------------------
def _with_part(book: str, name: str, data: bytes, info_flags: int = 0,
               stored: bool = False) -> Callable[[Path], None]:
    """The shipped book with one more (or one replaced) part, written as given."""

    def build(path: Path) -> None:
        parts = Parts(SOURCES[book])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in parts.order:
                if part != name:
                    archive.writestr(zipfile.ZipInfo(part, (1980, 1, 1, 0, 0, 0)),
                                     parts.data[part], zipfile.ZIP_DEFLATED)
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            archive.writestr(info, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        written = bytearray(buffer.getvalue())
        if info_flags:  # zipfile clears the flags it writes: set them in both headers
            with zipfile.ZipFile(io.BytesIO(bytes(written))) as archive:
                offset = archive.getinfo(name).header_offset
            written[offset + 6] |= info_flags
            central = written.rfind(b"PK\x01\x02")
            while written[central + 46:central + 46 + len(name)] != name.encode():
                central = written.rfind(b"PK\x01\x02", 0, central)
            written[central + 8] |= info_flags
        path.write_bytes(bytes(written))

    return build


def _deeply_nested(book: str) -> Callable[[Path], None]:
    """A sheet whose extension list nests 100,000 elements deep (valid XML)."""

    def build(path: Path) -> None:
        parts = Parts(SOURCES[book])
        part = parts.sheet_parts()["KPIs" if book == KPI else "Plan"]
        depth = 100_000
        parts.data[part] = parts.data[part].replace(
            b"</worksheet>", b"<extLst>" + b"<a>" * depth + b"</a>" * depth + b"</extLst>"
            b"</worksheet>")
        parts.save(path)

    return build


def _huge_attribute(book: str) -> Callable[[Path], None]:
    """One attribute of 10 MB: compresses to a few KB, costs a parser minutes."""

    def build(path: Path) -> None:
        parts = Parts(SOURCES[book])
        part = parts.sheet_parts()["KPIs" if book == KPI else "Plan"]
        parts.data[part] = parts.data[part].replace(
            b"<sheetData", b'<sheetPr codeName="' + b"A" * (10 << 20) + b'"/><sheetData', 1)
        parts.save(path)

    return build


def _error_spelled(sheet: str, address: str, style: str) -> Callable[[Parts], None]:
    """A ``#N/A`` cell written as other valid XML spells it: single quotes, or the ``x:``
    prefix of the Open XML SDK for the whole part."""

    def change(parts: Parts) -> None:
        part = parts.sheet_parts()[sheet]
        root = parts.xml(part)
        for cell in root.iterfind("m:sheetData/m:row/m:c", NS):
            if cell.get("r") == address:
                _clear(cell)
                cell.set("t", "e")
                etree.SubElement(cell, f"{M}v").text = "#N/A"
        if style == "prefix":
            # Re-serialise with the main namespace bound to x: (the SDK's spelling).
            text = etree.tostring(root).decode()
            text = re.sub(r'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          text, count=1)
            text = re.sub(r"<(/?)(?!x:)([A-Za-z][\w]*)([\s>/])",
                          lambda m: f"<{m.group(1)}{m.group(2)}{m.group(3)}"
                          if ":" in m.group(2) else f"<{m.group(1)}x:{m.group(2)}{m.group(3)}",
                          text)
            parts.data[part] = text.encode()
        else:
            text = etree.tostring(root).decode()
            text = re.sub(rf'<c r="{address}"([^>]*) t="e"', rf"<c r='{address}'\1 t = 'e'", text)
            parts.data[part] = text.encode()

    return change


def _control_text(sheet: str, address: str, text: str) -> Callable[[Parts], None]:
    """Text with a control character, as Excel stores one (``_x0001_``)."""

    def change(parts: Parts) -> None:
        part, root, cell = _cell_element(parts, sheet, address)
        _clear(cell)
        cell.set("t", "inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{M}is"), f"{M}t").text = text
        parts.put(part, root)

    return change


def _far_cell(sheet: str) -> Callable[[Parts], None]:
    """One cell typed in Excel's last cell, XFD1048576."""

    def change(parts: Parts) -> None:
        part = parts.sheet_parts()[sheet]
        root = parts.xml(part)
        data = root.find("m:sheetData", NS)
        row = etree.SubElement(data, f"{M}row", r="1048576")
        cell = etree.SubElement(row, f"{M}c", r="XFD1048576", t="inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{M}is"), f"{M}t").text = "far away"
        parts.put(part, root)

    return change


def _hostile_variants() -> list[Variant]:
    out = []
    for book in (PLAN, KPI):
        sheet = "xl/worksheets/sheet2.xml"
        recipes = {
            "zip-bomb": _with_part(book, "xl/media/image9.bin", b"\0" * (200 << 20)),
            "encrypted-entry": _with_part(book, "xl/media/image9.bin", b"secret", info_flags=1),
            "case-duplicate-parts": _with_part(book, sheet.upper(), b"<worksheet/>"),
            "huge-xml-attribute": _huge_attribute(book),
        }
        for label, build in recipes.items():
            out.append(Variant(f"{book}-file-{label}", book, DAMAGED, build,
                               must_fail=frozenset(COMMANDS[book]), file_level=True))
        # Valid XML nested deeper than any parser should follow: each command either
        # reads past it (calamine reads only the cells) or refuses it with exit 2; never 3.
        out.append(Variant(f"{book}-file-deep-nesting", book, DAMAGED, _deeply_nested(book),
                           note="exit 0 (the figures undamaged) or 2, never 3"))
    out.append(Variant("kpi-far-cell-Settings-XFD1048576", KPI, BENIGN,
                       _package(KPI, _far_cell("Settings"))))
    out.append(Variant("plan-far-cell-Settings-XFD1048576", PLAN, BENIGN,
                       _package(PLAN, _far_cell("Settings"))))
    # The line break Word pastes (U+000B) in a narrative answer of the period frozen:
    # freeze must store it as it hashes it, so the frozen copy verifies.
    out.append(Variant("kpi-narrative-word-line-break", KPI, BENIGN,
                       _package(KPI, _control_text("Narrative", "E5",
                                                   "On track._x000B_Costs above plan."))))
    for style in ("quotes", "prefix"):
        out.append(Variant(f"kpi-error-spelled-{style}-KPIs-K52", KPI, DAMAGED,
                           _package(KPI, _error_spelled("KPIs", "K52", style)),
                           where=(("KPIs", "K52"),),
                           must_fail=frozenset({"validate", "extract", "freeze"})))
    return out


def _frozen(path: Path, period: str = "2023-24 Q1") -> None:
    """Freeze a period of the shipped KPI workbook at ``path`` (through lfi-xl itself)."""
    from lfi_xl.cli import main

    _copy(KPI, path)
    code = main(["freeze", "--kpi", str(path), "--period", period, "--by", "Corpus",
                 "--plan", str(SOURCES[PLAN])])
    assert code == 0, f"corpus: freezing {period} failed ({code})"
    bak = path.with_name(path.name + ".bak")
    if bak.exists():
        bak.unlink()


def _frozen_then(*changes: Callable[[Parts], None], typed: dict | None = None):
    def build(path: Path) -> None:
        _frozen(path)
        for sheet, cells in (typed or {}).items():
            edit(path, sheet, cells)
        if changes:
            _with_parts(path, *changes)

    return build


def _frozen_variants() -> list[Variant]:
    return [
        Variant("kpi-frozen", KPI, BENIGN, _frozen_then()),
        Variant("kpi-frozen-renamed-hidden", KPI, BENIGN,
                _frozen_then(_rename("Snapshots", "Frozen values"), _hide("Audit"))),
        Variant("kpi-frozen-value-edited", KPI, DAMAGED, _frozen_then(typed={"KPIs": {
            "I8": 9999}}), where=(("KPIs", "I8"),),
            must_fail=frozenset({"validate", "freeze", "verify"})),
        Variant("kpi-frozen-snapshot-row-edited", KPI, DAMAGED, _frozen_then(typed={
            "Snapshots": {"F5": 1}}),
            where=(("Snapshots", "A5"), ("Snapshots", "F5"), ("KPIs", "I8")),
            must_fail=frozenset({"validate", "freeze", "verify"})),
        Variant("kpi-frozen-audit-edited", KPI, DAMAGED, _frozen_then(typed={
            "Audit": {"C2": "Someone else"}}), where=(("Audit", "A2"), ("Audit", "C2")),
            must_fail=frozenset({"verify", "validate", "freeze"})),
        Variant("kpi-frozen-snapshot-row-blanked", KPI, DAMAGED, _frozen_then(
            _clear_cells("Snapshots", ["F10"])),
            where=(("Snapshots", "A5"), ("Snapshots", "F10"), ("KPIs", "I13")),
            must_fail=frozenset({"validate", "freeze", "verify"})),
        # Issue 17: every row of the snapshot blanked, the audit log kept.
        Variant("kpi-frozen-snapshot-all-rows-blanked", KPI, DAMAGED, _frozen_then(
            _clear_cells("Snapshots", [f"{letter}{row}" for row in range(5, 78)
                                       for letter in "ABCDEFGHIJKLM"])),
            where=(("Audit", "A2"),),
            must_fail=frozenset({"validate", "freeze", "verify", "extract"})),
        # Issue 17: the Snapshots table's name deleted and a frozen value edited.
        Variant("kpi-frozen-name-deleted-Snapshots_Table", KPI, DAMAGED, _frozen_then(
            _set_name("Snapshots_Table", None), typed={"KPIs": {"I8": 9999}}),
            where=(("Snapshots", "A4"), ("KPIs", "I8")),
            must_fail=frozenset({"validate", "freeze", "verify", "extract"})),
        # Issue 17: a frozen cell given a format that shows another figure.
        Variant("kpi-frozen-number-format-999", KPI, DAMAGED, _frozen_then(
            _number_format("KPIs", "I9", '"999"')), where=(("KPIs", "I9"),),
            must_fail=frozenset({"validate", "freeze", "verify"})),
    ]


def _number_format(sheet: str, address: str, code: str) -> Callable[[Parts], None]:
    def change(parts: Parts) -> None:
        styles = parts.xml("xl/styles.xml")
        formats = styles.find("m:numFmts", NS)
        if formats is None:
            formats = etree.Element(f"{M}numFmts")
            styles.insert(0, formats)
        etree.SubElement(formats, f"{M}numFmt", numFmtId="200", formatCode=code)
        formats.set("count", str(len(formats)))
        part, root, cell = _cell_element(parts, sheet, address)
        xfs = styles.find("m:cellXfs", NS)
        clone = etree.fromstring(etree.tostring(xfs[int(cell.get("s") or 0)]))
        clone.set("numFmtId", "200")
        xfs.append(clone)
        xfs.set("count", str(len(xfs)))
        cell.set("s", str(len(xfs) - 1))
        parts.put("xl/styles.xml", styles)
        parts.put(part, root)

    return change


# ---------------------------------------------------------------------------------------
# Benign: what Excel users do every day
# ---------------------------------------------------------------------------------------
def _benign() -> list[Variant]:
    out = []

    def add(name, book, *changes, typed=None):
        out.append(Variant(name, book, BENIGN, _package(book, *changes, typed=typed)))

    for old, new in (("Plan", "DSG Plan"), ("Forecast", "Forecast (Q3)"), ("Settings", "Set-up"),
                     ("Monitoring", "Monitoring 23-24"), ("Plan", "Plan's lines"),
                     ("Lists", "Listes données")):
        add(f"plan-renamed-{old}-to-{re.sub(r'[^A-Za-z0-9]+', '_', new)}", PLAN,
            _rename(old, new))
    for sheet in ("Plan", "Forecast", "Settings", "Monitoring"):
        add(f"plan-hidden-{sheet}", PLAN, _hide(sheet))
    add("plan-very-hidden-Lists", PLAN, _hide("Lists", "veryHidden"))
    for sheet, position in (("Plan", -1), ("Lists", 0), ("Forecast", 1)):
        add(f"plan-moved-{sheet}-to-{position}", PLAN, _move(sheet, position))
    for sheet, at in (("Plan", 1), ("Plan", 2), ("Plan", 5), ("Forecast", 3), ("Settings", 2),
                      ("Lists", 2), ("Monitoring", 2)):
        add(f"plan-row-inserted-{sheet}-{at}", PLAN, _insert(sheet, "row", at))
    add("plan-rows-inserted-Plan-3x3", PLAN, _insert("Plan", "row", 3, 3))
    for sheet in ("Plan", "Forecast", "Settings", "Monitoring"):
        add(f"plan-column-inserted-{sheet}-A", PLAN, _insert(sheet, "col", 1))
    add("plan-merged-title", PLAN, _merge("Plan", "A1:H1"))
    add("plan-everything-at-once", PLAN, _rename("Plan", "DSG Plan"), _move("DSG Plan", -1),
        _hide("Forecast"), _insert("DSG Plan", "row", 2), _insert("Forecast", "col", 1),
        _rename("Settings", "Set up"))

    for old, new in (("KPIs", "KPI return"), ("Plan Data", "Plan figures"),
                     ("Placements", "Placements 2023-24"), ("Settings", "Set-up"),
                     ("Conditions", "Conditions (RAG)"), ("Mitigations", "Savings log"),
                     ("Snapshots", "Frozen"), ("Narrative", "Narrative'23")):
        add(f"kpi-renamed-{old.replace(' ', '')}-to-{re.sub(r'[^A-Za-z0-9]+', '_', new)}",
            KPI, _rename(old, new))
    for sheet in ("Settings", "Plan Data", "Snapshots", "Placements", "KPIs"):
        add(f"kpi-hidden-{sheet.replace(' ', '')}", KPI, _hide(sheet))
    add("kpi-very-hidden-Lists", KPI, _hide("Lists", "veryHidden"))
    for sheet, position in (("Snapshots", 0), ("KPIs", -1), ("Lists", 1), ("Plan Data", 0)):
        add(f"kpi-moved-{sheet.replace(' ', '')}-to-{position}", KPI, _move(sheet, position))
    for sheet, at in (("KPIs", 1), ("KPIs", 2), ("Plan Data", 2), ("Placements", 2),
                      ("Placements", 300), ("Mitigations", 3), ("Conditions", 2),
                      ("Settings", 3), ("Snapshots", 2), ("Narrative", 2), ("Lists", 2)):
        add(f"kpi-row-inserted-{sheet.replace(' ', '')}-{at}", KPI, _insert(sheet, "row", at))
    for sheet, column in (("KPIs", 1), ("KPIs", 8), ("Plan Data", 1), ("Placements", 1),
                          ("Conditions", 1), ("Settings", 1), ("Narrative", 1),
                          ("Mitigations", 1), ("Snapshots", 1)):
        add(f"kpi-column-inserted-{sheet.replace(' ', '')}-{get_column_letter(column)}", KPI,
            _insert(sheet, "col", column))
    add("kpi-merged-titles", KPI, _merge("KPIs", "A1:F1"), _merge("Placements", "A1:H1"))
    add("kpi-conditions-one-row", KPI, _set_name("Conditions_Table", "Conditions!$A$4:$T$5"))
    add("kpi-name-deleted-KPI_Counts", KPI, _set_name("KPI_Counts", None))
    add("kpi-name-deleted-Lists_RAG", KPI, _set_name("Lists_RAG", None))
    add("kpi-everything-at-once", KPI, _rename("KPIs", "KPI return"),
        _rename("Plan Data", "Plan figures"), _move("KPI return", -1), _hide("Plan figures"),
        _insert("KPI return", "row", 2), _insert("Plan figures", "col", 1),
        _insert("Placements", "row", 3), _rename("Settings", "Set up"))
    return out


def variants() -> list[Variant]:
    """Every variant, in a fixed order (names are unique)."""
    found = (_file_variants() + _plan_book_cells() + _kpi_book_cells() + _structure_damage()
             + _hostile_variants() + _frozen_variants() + _benign())
    names = [variant.name for variant in found]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"corpus: duplicate variant names {sorted(duplicates)}"
    return found
