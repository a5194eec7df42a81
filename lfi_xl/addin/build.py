"""Build ``lfi_xl.xlam``, the Excel add-in, from the text sources in ``addin/``.

Nothing binary is a source: every build writes the add-in afresh from

- ``addin/customUI14.xml``: the ribbon tab (part ``customUI/customUI14.xml``);
- the VBA modules of :mod:`lfi_xl.addin.modules` (the repo's, xlwings', and the
  generated wrappers and function help), as ``xl/vbaProject.bin``;
- ``addin/xlwings.conf``: the settings that travel with the add-in, in xlwings' own file
  format (``"key","value"`` lines), written to the add-in's sheet ``xlwings.conf``. It
  names the UDF module (``lfi_udfs``). The Python interpreter differs from PC to PC, so
  ``lfi-xl addin install`` writes it to the user's ``%USERPROFILE%\\.xlwings\\xlwings.conf``
  (xlwings reads the add-in's sheet first, then that file).

The workbook itself is the smallest one Excel accepts (workbook, one sheet, styles),
made by openpyxl, then turned into an add-in part by part: the add-in content type, the
VBA project and its relationship, the ribbon and its relationship, and ``codeName`` so
that the ThisWorkbook module binds to the workbook. A rebuild from the same sources (and
the same xlwings) is byte-identical: fixed zip times and document dates, and a VBA
project id derived from the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from lxml import etree

from lfi_xl.addin.modules import SETTINGS_NAME, SOURCES, project_id, vba_modules
from lfi_xl.addin.vba_project import vba_project_bin
from lfi_xl.files.package import Package, atomic_write

DEFAULT_OUTPUT = Path("dist/lfi_xl.xlam")
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
VBA_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
#: The relationship of an Office 2010+ ribbon part (customUI14.xml).
RIBBON_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RIBBON_PART = "customUI/customUI14.xml"
VBA_PART = "xl/vbaProject.bin"
#: The settings sheet, named as xlwings' module looks for it.
SETTINGS_SHEET = f"{SETTINGS_NAME}.conf"
#: The document date of every build (Excel shows it under File > Info).
BUILD_DATE = dt.datetime(2024, 1, 1)

_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def build_addin(output: Path = DEFAULT_OUTPUT, sources: Path = SOURCES) -> Path:
    """Write the add-in to ``output`` (atomically) from ``sources``; returns ``output``."""
    output = Path(output)
    sources = Path(sources)
    modules = vba_modules(sources)
    package = Package.from_bytes(_base_workbook(read_settings(sources / SETTINGS_SHEET)))
    parts = package.parts
    parts["[Content_Types].xml"] = _content_types(parts["[Content_Types].xml"])
    parts["_rels/.rels"] = _add_relationship(parts["_rels/.rels"], RIBBON_RELATIONSHIP,
                                             RIBBON_PART)
    parts["xl/_rels/workbook.xml.rels"] = _add_relationship(
        parts["xl/_rels/workbook.xml.rels"], VBA_RELATIONSHIP, "vbaProject.bin")
    parts["docProps/core.xml"] = _core_properties()
    parts[RIBBON_PART] = (sources / "customUI14.xml").read_bytes()
    parts[VBA_PART] = vba_project_bin(modules, project_id(modules))
    atomic_write(output, package.to_bytes(fixed_time=True))
    return output


def read_settings(path: Path) -> list[tuple[str, str]]:
    """``(key, value)`` pairs from a file in xlwings' settings format."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    bad = [row for row in rows if len(row) != 2]
    if bad:
        raise ValueError(f'{path}: each line must be "key","value"; found {bad[0]}')
    return [(key, value) for key, value in rows]


def _base_workbook(settings: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.code_name = "ThisWorkbook"
    sheet = workbook.active
    sheet.title = SETTINGS_SHEET
    sheet.sheet_properties.codeName = "Sheet1"
    for row in settings:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _content_types(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    ns = {"ct": _CONTENT_TYPES_NS}
    (workbook,) = root.xpath("ct:Override[@PartName='/xl/workbook.xml']", namespaces=ns)
    workbook.set("ContentType", ADDIN_CONTENT_TYPE)
    etree.SubElement(root, f"{{{_CONTENT_TYPES_NS}}}Override",
                     PartName=f"/{VBA_PART}", ContentType=VBA_CONTENT_TYPE)
    # The ribbon part is XML: the package's default for .xml (application/xml) fits it.
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _add_relationship(xml: bytes, kind: str, target: str) -> bytes:
    root = etree.fromstring(xml)
    taken = {element.get("Id") for element in root}
    number = 1
    while f"rId{number}" in taken:
        number += 1
    etree.SubElement(root, f"{{{_RELATIONSHIPS_NS}}}Relationship", Id=f"rId{number}",
                     Type=kind, Target=target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _core_properties() -> bytes:
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.xml.functions import tostring

    properties = DocumentProperties(creator="lfi-xl", lastModifiedBy="lfi-xl",
                                    title="Local First Inclusion add-in",
                                    created=BUILD_DATE, modified=BUILD_DATE)
    return tostring(properties.to_tree())
