"""Build ``lfi_xl.xlam``, the Excel add-in, from the text sources in ``addin/``.

Nothing binary is a source: every build writes the add-in afresh from

- ``addin/customUI14.xml``: the ribbon tab (part ``customUI/customUI14.xml``);
- the VBA modules of :mod:`lfi_xl.build.addin.modules` (the repo's, xlwings', and the
  generated wrappers and function help), as ``xl/vbaProject.bin``;
- ``addin/lfi_xl.conf``: the settings that travel with the add-in, in xlwings' file
  format (``"key","value"`` lines), written to the add-in's sheet ``lfi_xl.conf``. It
  names the UDF module (``lfi_udfs``) and sets ``ADD_WORKBOOK_TO_PYTHONPATH`` to False:
  ``lfi_udfs`` is installed, so the workbook's folder is never needed on ``sys.path``,
  and working it out from an ``https://`` OneDrive/SharePoint name
  (``fullname_url_to_local_path``) fails for unsynced libraries, hyphenated tenant names
  and duplicate file names before Python can run a function. The Python interpreter
  differs from PC to PC, so ``lfi-xl addin install`` writes it into the installed copy's
  sheet (:func:`with_settings`).

The workbook around them is the smallest one Excel accepts (workbook, one sheet, shared
strings, styles, and the Office theme, which the Open XML SDK requires: openpyxl's copy).
It is written here part by part rather than saved by openpyxl and patched: every part is
then exactly as we mean it (openpyxl's inline strings and default styles fail the Open
XML SDK's checks the tests run): the add-in content type, ``codeName`` on the workbook and
the sheet so that the ThisWorkbook and Sheet1 modules bind to them, and the relationships
to the VBA project and the ribbon. The core properties record the xlwings version whose
VBA the add-in holds (:func:`built_with_xlwings`), for ``lfi-xl addin install`` to check.
A rebuild from the same sources (and the same xlwings) is byte-identical: fixed zip times
and document dates, and a VBA project id derived from the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from openpyxl.writer.theme import theme_xml

from lfi_xl.adapters.files.package import Package, atomic_write
from lfi_xl.build.addin.modules import SETTINGS_NAME, SOURCES, project_id, vba_modules
from lfi_xl.build.addin.vba_project import vba_project_bin

DEFAULT_OUTPUT = Path("dist/lfi_xl.xlam")
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
#: The relationship of an Office 2010+ ribbon part (customUI14.xml).
RIBBON_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RIBBON_PART = "customUI/customUI14.xml"
VBA_PART = "xl/vbaProject.bin"
#: The settings sheet, named as xlwings' module looks for it.
SETTINGS_SHEET = f"{SETTINGS_NAME}.conf"
#: The document date of every build.
BUILD_DATE = dt.datetime(2024, 1, 1)

#: How the core properties record the xlwings version the VBA was taken from.
_BUILT_WITH = "Built with the VBA of xlwings "
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def build_addin(output: Path = DEFAULT_OUTPUT, sources: Path = SOURCES) -> Path:
    """Write the add-in to ``output`` (atomically) from ``sources``; returns ``output``."""
    output = Path(output)
    sources = Path(sources)
    modules = vba_modules(sources)
    settings = read_settings(sources / SETTINGS_SHEET)
    parts = {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _relationships(
            (f"{_OFFICE}/officeDocument", "xl/workbook.xml"),
            (f"{_PACKAGE}/relationships/metadata/core-properties", "docProps/core.xml"),
            (RIBBON_RELATIONSHIP, RIBBON_PART)),
        "docProps/core.xml": _core_properties(),
        "xl/workbook.xml": _workbook(),
        "xl/_rels/workbook.xml.rels": _relationships(
            (f"{_OFFICE}/worksheet", "worksheets/sheet1.xml"),
            (f"{_OFFICE}/styles", "styles.xml"),
            (f"{_OFFICE}/sharedStrings", "sharedStrings.xml"),
            (f"{_OFFICE}/theme", "theme/theme1.xml"),
            ("http://schemas.microsoft.com/office/2006/relationships/vbaProject",
             "vbaProject.bin")),
        SETTINGS_PART: _settings_sheet(settings),
        STRINGS_PART: _shared_strings(settings),
        "xl/styles.xml": _styles(),
        "xl/theme/theme1.xml": theme_xml.encode(),
        RIBBON_PART: (sources / "customUI14.xml").read_bytes(),
        VBA_PART: vba_project_bin(modules, project_id(modules)),
    }
    atomic_write(output, Package(parts).to_bytes(fixed_time=True))
    return output


def built_with_xlwings(addin: Path) -> str | None:
    """The xlwings version whose VBA the add-in holds: its VBA loads that version's DLL
    (``xlwings64-<version>.dll``), so the PC's Python needs that xlwings."""
    try:
        with zipfile.ZipFile(addin) as archive:
            core = archive.read("docProps/core.xml").decode()
    except (zipfile.BadZipFile, KeyError):  # not an add-in of ours
        return None
    found = re.search(f"<dc:description>{re.escape(_BUILT_WITH)}([^<]+)</dc:description>",
                      core)
    return found.group(1) if found else None


SETTINGS_PART, STRINGS_PART = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"


def addin_settings(addin: bytes) -> list[tuple[str, str]]:
    """The ``(key, value)`` rows of a built add-in's settings sheet."""
    from lxml import etree

    parts = Package.from_bytes(addin).parts
    main = f"{{{_MAIN}}}"
    strings = ["".join(item.itertext()) for item in etree.fromstring(parts[STRINGS_PART])]
    rows = etree.fromstring(parts[SETTINGS_PART]).iter(f"{main}row")
    return [tuple(strings[int(cell.findtext(f"{main}v"))] for cell in row)  # type: ignore
            for row in rows]


def with_settings(addin: bytes, changes: dict[str, str]) -> bytes:
    """The add-in with ``changes`` made to its settings sheet: a key already there (in
    any case, as xlwings' VBA compares them) gets the new value, a new key is appended."""
    settings = addin_settings(addin)
    wanted = {key.upper(): (key, value) for key, value in changes.items()}
    settings = [wanted.pop(key.upper(), (key, value)) for key, value in settings]
    settings += list(wanted.values())
    package = Package.from_bytes(addin)
    package.parts[SETTINGS_PART] = _settings_sheet(settings)
    package.parts[STRINGS_PART] = _shared_strings(settings)
    return package.to_bytes(fixed_time=True)


def read_settings(path: Path) -> list[tuple[str, str]]:
    """``(key, value)`` pairs from a file in xlwings' settings format."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    bad = [row for row in rows if len(row) != 2]
    if bad:
        raise ValueError(f'{path}: each line must be "key","value"; found {bad[0]}')
    return [(key, value) for key, value in rows]


def _content_types() -> bytes:
    overrides = {
        "/xl/workbook.xml": ADDIN_CONTENT_TYPE,
        "/xl/worksheets/sheet1.xml": f"{_SPREADSHEET}.worksheet+xml",
        "/xl/sharedStrings.xml": f"{_SPREADSHEET}.sharedStrings+xml",
        "/xl/styles.xml": f"{_SPREADSHEET}.styles+xml",
        "/xl/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
        "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
        f"/{VBA_PART}": "application/vnd.ms-office.vbaProject",
    }
    # The ribbon part is plain XML: the default for .xml (application/xml) is its type.
    return (f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{part}" ContentType="{kind}"/>'
                      for part, kind in overrides.items())
            + "</Types>").encode()


def _relationships(*targets: tuple[str, str]) -> bytes:
    return (f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
            + "".join(f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"/>'
                      for number, (kind, target) in enumerate(targets, start=1))
            + "</Relationships>").encode()


def _core_properties() -> bytes:
    import xlwings

    stamp = BUILD_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"{_XML}<cp:coreProperties "
            f'xmlns:cp="{_PACKAGE}/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:title>Local First Inclusion add-in</dc:title><dc:creator>lfi-xl</dc:creator>"
            f"<dc:description>{_BUILT_WITH}{xlwings.__version__}</dc:description>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>").encode()


def _workbook() -> bytes:
    return (f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}">'
            '<workbookPr codeName="ThisWorkbook"/><bookViews><workbookView/></bookViews>'
            f"<sheets><sheet name={quoteattr(SETTINGS_SHEET)} sheetId=\"1\" r:id=\"rId1\"/>"
            "</sheets></workbook>").encode()


def _strings(settings: list[tuple[str, str]]) -> list[str]:
    return list(dict.fromkeys(text for row in settings for text in row))


def _settings_sheet(settings: list[tuple[str, str]]) -> bytes:
    index = {text: number for number, text in enumerate(_strings(settings))}
    rows = "".join(f'<row r="{row}"><c r="A{row}" t="s"><v>{index[key]}</v></c>'
                   f'<c r="B{row}" t="s"><v>{index[value]}</v></c></row>'
                   for row, (key, value) in enumerate(settings, start=1))
    return (f'{_XML}<worksheet xmlns="{_MAIN}"><sheetPr codeName="Sheet1"/>'
            '<cols><col min="1" max="1" width="20" customWidth="1"/>'
            '<col min="2" max="2" width="60" customWidth="1"/></cols>'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def _shared_strings(settings: list[tuple[str, str]]) -> bytes:
    strings = _strings(settings)
    count = 2 * len(settings)
    return (f'{_XML}<sst xmlns="{_MAIN}" count="{count}" uniqueCount="{len(strings)}">'
            + "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>'
                      for text in strings)
            + "</sst>").encode()


def _styles() -> bytes:
    """The one cell format every workbook has ("Normal")."""
    return (f'{_XML}<styleSheet xmlns="{_MAIN}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            "</cellXfs>"
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>").encode()
