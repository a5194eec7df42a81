"""Reading and patching the XML parts of an .xlsx package, touching nothing else.

lxml keeps every namespace prefix and attribute as written, so a part we patch stays
what Excel wrote, apart from the elements we change.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass

from lxml import etree

from lfi_xl.adapters.files.package import Package
from lfi_xl.book.area import ErrorValue
from lfi_xl.book.area import column_index as column_index_from_string
from lfi_xl.book.area import split_cell as coordinate_from_string
from lfi_xl.core.text import storable_text
from lfi_xl.core.values import stored_number
from lfi_xl.errors import UnusableInput

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"m": MAIN, "r": REL, "p": PKG_REL}

#: The namespace prefixes openpyxl registers with lxml when it is imported (openpyxl/xml/
#: functions.py): an element added where its namespace has no prefix in scope (a new
#: ``<sheet r:id>``) is written with these, as it was while every command imported it.
_OPENPYXL_PREFIXES = (
    ("dcterms", "http://purl.org/dc/terms/"), ("dcmitype", "http://purl.org/dc/dcmitype/"),
    ("cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"),
    ("c", "http://schemas.openxmlformats.org/drawingml/2006/chart"),
    ("a", "http://schemas.openxmlformats.org/drawingml/2006/main"), ("s", MAIN), ("r", REL),
    ("vt", "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"),
    ("xdr", "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"),
    ("cdr", "http://schemas.openxmlformats.org/drawingml/2006/chartDrawing"),
    ("xml", "http://www.w3.org/XML/1998/namespace"),
    ("cust", "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"))
if os.environ.get("OPENPYXL_LXML", "True") == "True":  # openpyxl's own condition
    for _prefix, _uri in _OPENPYXL_PREFIXES:
        etree.register_namespace(_prefix, _uri)
# huge_tree off: libxml2's limits stay on (nesting 256 deep, one text or attribute value
# 10 MB): no workbook comes near them, a hostile part does.
_PARSER = etree.XMLParser(remove_blank_text=False, resolve_entities=False, huge_tree=False)


def parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise UnusableInput(f"a part of the workbook is not XML lfi-xl can read ({error}); "
                            "the file is damaged or was not written by a spreadsheet "
                            "program") from None


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str          # e.g. "xl/worksheets/sheet1.xml"
    state: str         # "visible", "hidden", "veryHidden"
    sheet_id: str
    rel_id: str


def sheets(package: Package) -> list[SheetInfo]:
    """The workbook's sheets in tab order, with the package part of each."""
    workbook = parse(package.parts["xl/workbook.xml"])
    rels = parse(package.parts["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{{{PKG_REL}}}Relationship")}
    found = []
    for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
        rel_id = sheet.get(f"{{{REL}}}id")
        target = targets.get(rel_id, "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        found.append(SheetInfo(sheet.get("name"), part, sheet.get("state", "visible"),
                               sheet.get("sheetId"), rel_id))
    return found


def defined_names(package: Package) -> dict[str, str]:
    """Workbook-scoped defined names and what they refer to, as written."""
    workbook = parse(package.parts["xl/workbook.xml"])
    return {name.get("name"): (name.text or "")
            for name in workbook.iterfind("m:definedNames/m:definedName", NS)
            if name.get("localSheetId") is None}


@dataclass(frozen=True)
class Formula:
    sheet: str
    cell: str
    text: str               # what to evaluate, without the leading "=" (formula_text)
    array_ref: str | None   # the range of an array formula (classic or dynamic)
    cached: bool = False    # a value is saved for it (Excel calculated it)


#: Strict OOXML (ISO 29500 strict, "Strict Open XML Spreadsheet" in Excel's Save As) names
#: the same elements in other namespaces; read through the transitional ones.
_STRICT = ((b"http://purl.oclc.org/ooxml/spreadsheetml/main", MAIN.encode()),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships",
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
           (b"http://purl.oclc.org/ooxml/drawingml/",
            b"http://schemas.openxmlformats.org/drawingml/2006/"),
           (b"http://purl.oclc.org/ooxml/officeDocument/",
            b"http://schemas.openxmlformats.org/officeDocument/2006/"))
#: The add-in's file name without its folder or extension: Excel saves a call of an add-in
#: function as ``[n]!LFI_SAVING(...)``, n an external link to wherever the add-in was.
ADDIN_STEM = "lfi_xl"


def is_strict(package: Package) -> bool:
    return _STRICT[0][0] in package.parts.get("xl/workbook.xml", b"")


def transitional_part(data: bytes) -> bytes:
    """One part's bytes with strict OOXML namespaces read as the transitional ones."""
    if b"http://purl.oclc.org/ooxml/" in data:
        for strict, plain in _STRICT:
            data = data.replace(strict, plain)
    return data


def transitional(package: Package) -> Package:
    """The package with strict OOXML namespaces read as the transitional ones (the same
    package when it is not strict)."""
    if not is_strict(package):
        return package
    parts = {}
    for name, data in package.parts.items():
        if name.endswith((".xml", ".rels")):
            for strict, plain in _STRICT:
                data = data.replace(strict, plain)
        parts[name] = data
    return Package(parts, package._infos)


def as_written(package: Package, part: str, data: bytes) -> bytes:
    """A part read through :func:`transitional`, back in the package's own namespaces."""
    if is_strict(package):
        for strict, plain in _STRICT:
            data = data.replace(plain, strict)
    return data


def date1904(package: Package) -> bool:
    """Whether the workbook counts dates from 1904 (Mac Excel's old default)."""
    pr = parse(transitional(package).parts["xl/workbook.xml"]).find("m:workbookPr", NS)
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def addin_links(package: Package) -> frozenset[int]:
    """The numbers n of the external links that point at the lfi-xl add-in, wherever it
    was installed (the link's target file is ``lfi_xl.xlam``, or any extension)."""
    package = transitional(package)
    workbook = parse(package.parts["xl/workbook.xml"])
    rels = parse(package.parts["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in rels.iter(f"{{{PKG_REL}}}Relationship")}
    found = set()
    for n, link in enumerate(workbook.iterfind("m:externalReferences/m:externalReference",
                                               NS), start=1):
        part = posixpath.normpath(posixpath.join("xl", targets.get(
            link.get(f"{{{REL}}}id"), "")))
        link_rels = posixpath.join(posixpath.dirname(part), "_rels",
                                   posixpath.basename(part) + ".rels")
        if link_rels not in package.parts:
            continue
        for rel in parse(package.parts[link_rels]).iter(f"{{{PKG_REL}}}Relationship"):
            name = re.split(r"[/\\]", rel.get("Target", ""))[-1]
            if name.rsplit(".", 1)[0].lower() == ADDIN_STEM:
                found.add(n)
    return frozenset(found)


_STRING = re.compile(r'"(?:[^"]|"")*"')


def formula_text(written: str, addin: frozenset[int] = frozenset()) -> str:
    """The text to evaluate for a formula as the file stores it: an add-in function saved
    as ``[n]!LFI_X(`` (n one of ``addin``) or ``_xludf.LFI_X(`` is the function ``LFI_X``.
    Every formula reader goes through here (and :func:`formulas`, for shared formulas)."""
    def plain(match: re.Match) -> str:
        if match.group(1) is not None and int(match.group(1)) not in addin:
            return match.group(0)
        return match.group(2)

    pieces = []
    last = 0
    for string in _STRING.finditer(written):  # text inside quotes is left as it is
        pieces.append(_ADDIN_CALL.sub(plain, written[last:string.start()]))
        pieces.append(string.group(0))
        last = string.end()
    pieces.append(_ADDIN_CALL.sub(plain, written[last:]))
    return "".join(pieces)


_ADDIN_CALL = re.compile(r"(?:'?\[(\d+)\]'?!|(?i:_xludf\.))(LFI_[A-Za-z0-9_]*\s*\()")


def formulas(package: Package) -> list[Formula]:
    """Every formula cell of every sheet, as the text to evaluate: a shared formula (a
    formula filled down or across, stored once) is translated to each of its cells."""
    package = transitional(package)
    addin = addin_links(package)
    found = []
    for info in sheets(package):
        data = package.parts.get(info.part)
        if data is None:
            continue
        shared: dict[str, tuple[str, str]] = {}  # si -> (anchor cell, its text)
        # only the cells holding a formula (found by lxml, not one by one in Python)
        for cell in parse(data).xpath("m:sheetData/m:row/m:c[m:f]", namespaces=NS):
            formula = cell.find("m:f", NS)
            text = formula.text or ""
            if formula.get("t") == "shared":
                if text:
                    shared[formula.get("si")] = (cell.get("r"), text)
                elif formula.get("si") in shared:
                    # imported here: openpyxl takes a quarter of a second to import
                    from openpyxl.formula.translate import Translator

                    anchor, anchor_text = shared[formula.get("si")]
                    text = Translator("=" + anchor_text, origin=anchor).translate_formula(
                        cell.get("r"))[1:]
            array_ref = formula.get("ref") if formula.get("t") == "array" else None
            value = cell.find("m:v", NS)
            cached = (value is not None and bool(value.text or cell.get("t") == "str")) or (
                cell.find("m:is", NS) is not None)
            found.append(Formula(info.name, cell.get("r"), formula_text(text, addin),
                                 array_ref, cached))
    return found


def rewrite_formulas(package: Package, texts: dict[tuple[str, str], str | None]) -> None:
    """Store each formula cell's text as a plain formula (shared ones unshared), or drop
    the formula and keep its cached value where ``texts`` says None (array formulas keep
    their range). For the engine's private copy, never a user's file."""
    for info in sheets(package):
        if info.part not in package.parts:
            continue
        root = parse(package.parts[info.part])
        for formula in root.iterfind("m:sheetData/m:row/m:c/m:f", NS):
            key = (info.name, formula.getparent().get("r"))
            if key not in texts:
                continue
            if texts[key] is None:
                formula.getparent().remove(formula)
                continue
            for attribute in ("si", "ca") if formula.get("t") == "array" else (
                    "t", "si", "ref", "ca"):
                formula.attrib.pop(attribute, None)
            formula.text = texts[key]
        package.parts[info.part] = serialize(root)


def _cell_key(address: str) -> tuple[int, int]:
    column, row = coordinate_from_string(address)
    return row, column_index_from_string(column)


def _set_value(cell: etree._Element, value: object) -> None:
    for old in cell.findall("m:v", NS) + cell.findall("m:is", NS):
        cell.remove(old)
    cell.attrib.pop("t", None)
    if value is None:
        return
    v = etree.SubElement(cell, f"{{{MAIN}}}v")
    if isinstance(value, ErrorValue):
        cell.set("t", "e")
        v.text = str(value)
    elif isinstance(value, bool):
        cell.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, int | float):
        number = stored_number(value)
        v.text = str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    else:
        cell.set("t", "str")
        v.text = storable_text(str(value))


def cell_element(root: etree._Element, address: str) -> etree._Element:
    """The ``<c>`` element of ``address`` in a worksheet, created (with its row) in row and
    column order when the cell does not exist yet."""
    row_number, column = _cell_key(address)
    data = root.find("m:sheetData", NS)
    row = None
    for existing in data.iterfind("m:row", NS):
        number = int(existing.get("r"))
        if number == row_number:
            row = existing
            break
        if number > row_number:
            row = etree.Element(f"{{{MAIN}}}row", r=str(row_number))
            existing.addprevious(row)
            break
    if row is None:
        row = etree.SubElement(data, f"{{{MAIN}}}row", r=str(row_number))
    for existing in row.iterfind("m:c", NS):
        if existing.get("r") == address:
            return existing
    row.attrib.pop("spans", None)  # a hint of the row's columns; now stale
    cell = etree.Element(f"{{{MAIN}}}c", r=address)
    after = [c for c in row.iterfind("m:c", NS) if _cell_key(c.get("r"))[1] > column]
    if after:
        after[0].addprevious(cell)
    else:
        row.append(cell)
    return cell


def set_cached_values(package: Package, values: dict[tuple[str, str], object]) -> int:
    """Write ``values`` as the cached results of cells, keeping their formulas.

    ``values`` maps (sheet name, A1 address) to a number, text, bool, ``None`` or
    :class:`ErrorValue`. Cells that do not exist yet (the other cells of an array
    formula) are created in row and column order. Returns the number of cells written.
    """
    by_sheet: dict[str, dict[str, object]] = {}
    for (sheet, address), value in values.items():
        by_sheet.setdefault(sheet, {})[address] = value
    view = transitional(package)  # a strict file is patched, and kept, strict
    parts = {info.name: info.part for info in sheets(view)}
    for sheet, cells in by_sheet.items():
        root = parse(view.parts[parts[sheet]])
        # the cells that exist, found once (cell_element walks the rows for each)
        existing = {cell.get("r"): cell for cell in root.iterfind(
            "m:sheetData/m:row/m:c", NS) if cell.get("r") in cells}
        for address, value in cells.items():
            _set_value(existing.get(address) if address in existing
                       else cell_element(root, address), value)
        package.parts[parts[sheet]] = as_written(package, parts[sheet], serialize(root))
    return len(values)


def strip_formulas(package: Package) -> None:
    """Keep every formula cell's cached value and drop the formula (a values-only copy,
    for rendering by programs that cannot run the LFI_ functions)."""
    for info in sheets(package):
        if info.part not in package.parts:
            continue
        root = parse(package.parts[info.part])
        for formula in root.iterfind("m:sheetData/m:row/m:c/m:f", NS):
            formula.getparent().remove(formula)
        package.parts[info.part] = serialize(root)
    if "xl/calcChain.xml" in package.parts:
        del package.parts["xl/calcChain.xml"]
        for part, tag, attribute in (
                ("xl/_rels/workbook.xml.rels", f"{{{PKG_REL}}}Relationship", "Target"),
                ("[Content_Types].xml",
                 "{http://schemas.openxmlformats.org/package/2006/content-types}Override",
                 "PartName")):
            root = parse(package.parts[part])
            for element in list(root.iter(tag)):
                if element.get(attribute, "").endswith("calcChain.xml"):
                    root.remove(element)
            package.parts[part] = serialize(root)


#: The number formats Excel has built in, by id (ECMA-376 Part 1, 18.8.30), as openpyxl's
#: ``BUILTIN_FORMATS`` holds them (importing openpyxl costs a command a tenth of a second).
BUILTIN_FORMATS = {
    0: 'General',
    1: '0',
    2: '0.00',
    3: '#,##0',
    4: '#,##0.00',
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: '0%',
    10: '0.00%',
    11: '0.00E+00',
    12: '# ?/?',
    13: '# ??/??',
    14: 'mm-dd-yy',
    15: 'd-mmm-yy',
    16: 'd-mmm',
    17: 'mmm-yy',
    18: 'h:mm AM/PM',
    19: 'h:mm:ss AM/PM',
    20: 'h:mm',
    21: 'h:mm:ss',
    22: 'm/d/yy h:mm',
    37: '#,##0_);(#,##0)',
    38: '#,##0_);[Red](#,##0)',
    39: '#,##0.00_);(#,##0.00)',
    40: '#,##0.00_);[Red](#,##0.00)',
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
    45: 'mm:ss',
    46: '[h]:mm:ss',
    47: 'mmss.0',
    48: '##0.0E+0',
    49: '@',
}


def cell_formats(sheet_xml: bytes, styles_xml: bytes | None,
                 addresses: list[str]) -> dict[str, tuple[str, str]]:
    """(formula, number format) of each of ``addresses`` in one worksheet part, as Excel
    shows them: the formula without its ``=`` (a shared formula's dependent cell gets the
    anchor's text moved to it, as Excel displays it), the format as its code."""
    wanted = set(addresses)
    codes: list[str] = []
    if styles_xml:
        styles = parse(styles_xml)
        custom = {int(f.get("numFmtId")): f.get("formatCode") or ""
                  for f in styles.iterfind("m:numFmts/m:numFmt", NS)}
        for xf in styles.iterfind("m:cellXfs/m:xf", NS):
            number = int(xf.get("numFmtId", "0"))
            codes.append(custom.get(number, BUILTIN_FORMATS.get(number, "General")))
    found: dict[str, tuple[str, str]] = {}
    anchors: dict[str, tuple[str, str]] = {}   # shared formula index -> (cell, text)
    pending: list[tuple[str, str, str]] = []
    root = parse(sheet_xml)
    for address, cell in _addressed_cells(root):
        formula = cell.find("m:f", NS)
        text = ""
        if formula is not None:
            text = formula.text or ""
            if formula.get("t") == "shared":
                if text:
                    anchors[formula.get("si")] = (address, text)
                elif address in wanted:
                    pending.append((address, formula.get("si"), ""))
                    text = ""  # translated from its anchor below
        if address not in wanted:
            continue
        style = int(cell.get("s", "0"))
        code = codes[style] if 0 <= style < len(codes) else "General"
        found[address] = (text, code)
    if pending:
        from openpyxl.formula.translate import Translator, TranslatorError
    for address, index, _ in pending:
        anchor = anchors.get(index)
        text = ""
        if anchor is not None:
            try:
                text = Translator(f"={anchor[1]}", origin=anchor[0]).translate_formula(
                    address).lstrip("=")
            except TranslatorError:
                text = f"shared {index}: {anchor[1]}"
        found[address] = (text, found[address][1])
    for address in wanted - found.keys():
        found[address] = ("", codes[0] if codes else "General")
    shown = conditional_number_formats(root, styles_xml)
    if shown:
        for address, (text, code) in found.items():
            row, column = _cell_key(address)
            extra = [fmt for boxes, fmt in shown
                     if any(r1 <= row <= r2 and c1 <= column <= c2 for r1, c1, r2, c2 in boxes)]
            if extra:   # what the cell shows may be another format's: recorded with it
                found[address] = (text, code + "".join(f" | conditional: {fmt}"
                                                       for fmt in extra))
    return found


def _addressed_cells(root: etree._Element):
    """(address, ``<c>``) of every cell of a worksheet, the address from ``r`` or, where
    a writer left the optional ``r`` out (ECMA-376 Part 1, 18.3.1.4 and 18.3.1.73), from
    its place: the row after the previous one, the column after the previous cell."""
    row_number = 0
    for row in root.iterfind("m:sheetData/m:row", NS):
        given = row.get("r")
        row_number = int(given) if given and given.isdigit() else row_number + 1
        column = 0
        for cell in row.iterfind("m:c", NS):
            address = cell.get("r")
            if address:
                try:
                    _, column = _cell_key(address)
                except ValueError:
                    column += 1
            else:
                column += 1
                address = f"{column_letter(column)}{row_number}"
            yield address, cell


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _boxes(sqref: str) -> list[tuple[int, int, int, int]]:
    boxes = []
    for part in sqref.split():
        first, _, last = part.partition(":")
        try:
            r1, c1 = _cell_key(first.replace("$", ""))
            r2, c2 = _cell_key((last or first).replace("$", ""))
        except ValueError:
            continue
        boxes.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    return boxes


def conditional_number_formats(root: etree._Element, styles_xml: bytes | None
                               ) -> list[tuple[list[tuple[int, int, int, int]], str]]:
    """The number formats conditional formats of a worksheet can show their cells in
    (a rule whose differential format carries a ``numFmt``: it changes what a cell
    shows, ``999`` for 31, without touching the cell): (cell boxes, format code)."""
    dxf_codes: list[str | None] = []
    if styles_xml:
        for dxf in parse(styles_xml).iterfind("m:dxfs/m:dxf", NS):
            fmt = dxf.find("m:numFmt", NS)
            dxf_codes.append(None if fmt is None else fmt.get("formatCode") or "")
    found: list[tuple[list[tuple[int, int, int, int]], str]] = []
    for block in root.iterfind("m:conditionalFormatting", NS):
        boxes = _boxes(block.get("sqref", ""))
        for rule in block.iterfind("m:cfRule", NS):
            index = rule.get("dxfId")
            if index is not None and index.isdigit() and int(index) < len(dxf_codes) \
                    and (code := dxf_codes[int(index)]) is not None:
                found.append((boxes, code))
    # Excel 2010's conditional formats (x14, in the sheet's extension list) carry their
    # differential format inline.
    for block in root.iter("{*}conditionalFormatting"):
        if etree.QName(block).namespace == MAIN:
            continue
        sqref = block.find("{*}sqref")
        boxes = _boxes(sqref.text or "" if sqref is not None else "")
        for fmt in block.iterfind("{*}cfRule/{*}dxf/{*}numFmt"):
            found.append((boxes, fmt.get("formatCode") or ""))
    return found
