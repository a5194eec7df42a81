"""A user's KPI workbook with everything lfi-xl does not read: for the round-trip test.

:func:`build` starts from the project's own KPI template (``build_kpi_workbook``) and adds
what a finance team's real workbook tends to carry:

* with openpyxl, which can *write* these: a "Dashboard" sheet holding an Excel table, a
  bar chart, a PNG image, cell comments (on Dashboard and on KPIs), conditional formatting
  (on KPIs), ordinary list validations (on KPIs and Dashboard) and extra user defined names
  (workbook-scoped and one sheet-scoped), then ``save_built`` caches every formula's value;
* by hand-assembled XML afterwards, because openpyxl can neither write nor keep them: an
  Excel 2010 ``x14:dataValidations`` list (a drop-down from another sheet) in the
  ``extLst`` of the Dashboard sheet (a part lfi-xl never touches) and of the KPIs sheet
  (one freeze must change), with ``mc:Ignorable`` namespaces on the root as Excel writes
  them, and a pivot table (cache definition, cache records, table definition and
  their relationships, the workbook's ``<pivotCaches>`` and the content types).

The result is opened by LibreOffice and by openpyxl; the tests check both.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
#: The ``ext`` uri Excel gives its x14 data validations.
X14_VALIDATIONS_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"

DASHBOARD = "Dashboard"
TABLE_NAME = "DashTable"
#: User defined names added on top of the template's: name -> target (workbook scope).
USER_NAMES = {
    "Dash_Data": f"{DASHBOARD}!$A$1:$C$6",
    "Dash_Total": f"{DASHBOARD}!$C$7",
    "Dash_Categories": f"{DASHBOARD}!$A$2:$A$6",
}
#: A sheet-scoped user name on Dashboard.
LOCAL_NAME = ("Dash_Local", f"{DASHBOARD}!$B$2:$B$6")
#: The Dashboard's data: category, count, cost (£m).
ROWS = [("Special schools", 3, 1.5), ("Mainstream", 7, 0.75), ("Independent", 2, 2.25),
        ("Alternative provision", 5, 1.25), ("Post-16", 4, 0.5)]
PIVOT_REF = "O2:P8"   # header row, one row per category, grand total
X14_LIST_SQREF = "E2:E6"
#: The same kind of x14 list on KPIs, a sheet freeze must change (it locks cells there).
KPI_X14_LIST_SQREF = "Z21:Z30"

_REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT_BASE = "application/vnd.openxmlformats-officedocument.spreadsheetml."
PIVOT_TABLE = "xl/pivotTables/pivotTable1.xml"
PIVOT_CACHE = "xl/pivotCache/pivotCacheDefinition1.xml"
PIVOT_RECORDS = "xl/pivotCache/pivotCacheRecords1.xml"


def _png() -> bytes:
    try:
        from PIL import Image, ImageDraw
    except ImportError:  # a 1x1 red pixel, written by hand
        import struct
        import zlib

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(
                ">I", zlib.crc32(body) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
                + chunk(b"IEND", b""))
    image = Image.new("RGB", (48, 24), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((2, 2, 45, 21), outline="navy", fill="gold")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _add_openpyxl_features(wb) -> None:
    """Everything openpyxl can write: Dashboard (table, chart, image, comment, list
    validation), a comment, conditional formats and a validation on KPIs, user names."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = wb.create_sheet(DASHBOARD)
    ws.append(["Category", "Count", "Cost", "Checked", "RAG"])
    for category, count, cost in ROWS:
        ws.append([category, count, cost, "Yes", None])
    ws["B7"] = "Total"
    ws["C7"] = "=SUM(C2:C6)"
    table = Table(displayName=TABLE_NAME, ref="A1:E6")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)

    chart = BarChart()
    chart.title = "Placements by category"
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=6))
    ws.add_chart(chart, "G2")

    image = Image(io.BytesIO(_png()))
    ws.add_image(image, "G18")

    ws["A1"].comment = Comment("Numbers from the June placements panel.", "Finance")
    wb["KPIs"]["A4"].comment = Comment("Refs follow the DfE template.", "Finance")

    checked = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
    checked.add("D2:D6")
    ws.data_validations.append(checked)

    # The pivot table's output, as Excel leaves it in the sheet's cells.
    top = int(PIVOT_REF.split(":")[0][1:])
    ws.cell(top, 15, "Row Labels")
    ws.cell(top, 16, "Sum of Count")
    for offset, (category, count, _) in enumerate(sorted(ROWS), start=1):
        ws.cell(top + offset, 15, category)
        ws.cell(top + offset, 16, count)
    ws.cell(top + len(ROWS) + 1, 15, "Grand Total")
    ws.cell(top + len(ROWS) + 1, 16, sum(count for _, count, _ in ROWS))

    kpis = wb["KPIs"]
    red = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
    kpis.conditional_formatting.add(
        "I8:T60", CellIsRule(operator="greaterThan", formula=["100000"], fill=red))
    kpis.conditional_formatting.add(
        "H8:H60", ColorScaleRule(start_type="min", start_color="F8696B",
                                 end_type="max", end_color="63BE7B"))
    reviewed = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
    reviewed.add("Z8:Z20")
    kpis.data_validations.append(reviewed)

    for name, target in USER_NAMES.items():
        wb.defined_names[name] = DefinedName(name, attr_text=target)
    local, target = LOCAL_NAME
    ws.defined_names[local] = DefinedName(local, attr_text=target)


# ------------------------------------------------------------------- hand-made XML
_PARSER = etree.XMLParser(remove_blank_text=False, resolve_entities=False)


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def _dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> part name."""
    workbook = _parse(parts["xl/workbook.xml"])
    rels = _parse(parts["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    found = {}
    for sheet in workbook.iter(f"{{{MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{REL}}}id")]
        found[sheet.get("name")] = (target.lstrip("/") if target.startswith("/")
                                    else posixpath.normpath(posixpath.join("xl", target)))
    return found


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return f"{folder}/_rels/{name}.rels"


def _next_rel_id(rels: etree._Element) -> str:
    ids = {rel.get("Id") for rel in rels}
    return next(f"rId{k}" for k in range(1, 1000) if f"rId{k}" not in ids)


def _add_rel(parts: dict[str, bytes], rels_part: str, kind: str, target: str) -> str:
    if rels_part in parts:
        rels = _parse(parts[rels_part])
    else:
        rels = etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
    rel_id = _next_rel_id(rels)
    etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rel_id, Type=_REL_BASE + kind,
                     Target=target)
    parts[rels_part] = _dump(rels)
    return rel_id


def _x14_sheet(data: bytes, lists_ref: str, sqref: str) -> bytes:
    """The sheet with Excel's root namespaces (mc:Ignorable="x14ac") and an x14 list
    validation in its extLst, as Excel writes a drop-down that refers to another sheet."""
    old = _parse(data)
    nsmap = dict(old.nsmap)
    nsmap.setdefault("r", REL)
    nsmap.update({"mc": MC, "x14ac": X14AC})
    root = etree.Element(old.tag, nsmap=nsmap)
    for key, value in old.attrib.items():
        root.set(key, value)
    root.set(f"{{{MC}}}Ignorable", "x14ac")
    for child in list(old):
        root.append(child)
    root.find(f"{{{MAIN}}}sheetFormatPr").set(f"{{{X14AC}}}dyDescent", "0.25")
    ext_list = root.find(f"{{{MAIN}}}extLst")
    if ext_list is None:
        ext_list = etree.SubElement(root, f"{{{MAIN}}}extLst")
    ext = etree.SubElement(ext_list, f"{{{MAIN}}}ext", nsmap={"x14": X14},
                           uri=X14_VALIDATIONS_URI)
    validations = etree.SubElement(ext, f"{{{X14}}}dataValidations", nsmap={"xm": XM},
                                   count="1")
    validation = etree.SubElement(validations, f"{{{X14}}}dataValidation", type="list",
                                  allowBlank="1", showInputMessage="1", showErrorMessage="1")
    etree.SubElement(etree.SubElement(validation, f"{{{X14}}}formula1"),
                     f"{{{XM}}}f").text = lists_ref
    etree.SubElement(validation, f"{{{XM}}}sqref").text = sqref
    return _dump(root)


def _pivot_parts() -> dict[str, bytes]:
    """Cache definition, records and table definition of a pivot table summing Count by
    Category over Dashboard!A1:C6."""
    categories = [category for category, _, _ in ROWS]
    counts = [count for _, count, _ in ROWS]
    costs = [cost for _, _, cost in ROWS]
    shared = "".join(f'<s v="{category}"/>' for category in categories)
    definition = (
        f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{REL}" r:id="rId1" '
        'refreshedBy="Finance" refreshedDate="45078.5" createdVersion="6" '
        f'refreshedVersion="6" minRefreshableVersion="3" recordCount="{len(ROWS)}">'
        f'<cacheSource type="worksheet"><worksheetSource ref="A1:C6" sheet="{DASHBOARD}"/>'
        '</cacheSource><cacheFields count="3">'
        f'<cacheField name="Category" numFmtId="0"><sharedItems count="{len(ROWS)}">'
        f"{shared}</sharedItems></cacheField>"
        '<cacheField name="Count" numFmtId="0"><sharedItems containsSemiMixedTypes="0" '
        'containsString="0" containsNumber="1" containsInteger="1" '
        f'minValue="{min(counts)}" maxValue="{max(counts)}"/></cacheField>'
        '<cacheField name="Cost" numFmtId="0"><sharedItems containsSemiMixedTypes="0" '
        f'containsString="0" containsNumber="1" minValue="{min(costs)}" '
        f'maxValue="{max(costs)}"/></cacheField>'
        "</cacheFields></pivotCacheDefinition>")
    records = "".join(f'<r><x v="{index}"/><n v="{count}"/><n v="{cost}"/></r>'
                      for index, (_, count, cost) in enumerate(ROWS))
    records = (f'<pivotCacheRecords xmlns="{MAIN}" xmlns:r="{REL}" count="{len(ROWS)}">'
               f"{records}</pivotCacheRecords>")
    order = sorted(range(len(ROWS)), key=lambda index: categories[index])
    items = "".join(f'<item x="{index}"/>' for index in order)
    # rowItems point into the field's items (in display order), not into the cache.
    row_items = "".join(f'<i><x v="{position}"/></i>' if position else "<i><x/></i>"
                        for position in range(len(ROWS)))
    table = (
        f'<pivotTableDefinition xmlns="{MAIN}" name="PivotTable1" cacheId="1" '
        'applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" '
        'applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" '
        'dataCaption="Values" updatedVersion="6" minRefreshableVersion="3" '
        'useAutoFormatting="1" itemPrintTitles="1" createdVersion="6" indent="0" '
        'outline="1" outlineData="1" multipleFieldFilters="0">'
        f'<location ref="{PIVOT_REF}" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>'
        '<pivotFields count="3">'
        f'<pivotField axis="axisRow" showAll="0"><items count="{len(ROWS) + 1}">{items}'
        '<item t="default"/></items></pivotField>'
        '<pivotField dataField="1" showAll="0"/><pivotField showAll="0"/></pivotFields>'
        '<rowFields count="1"><field x="0"/></rowFields>'
        f'<rowItems count="{len(ROWS) + 1}">{row_items}<i t="grand"><x/></i></rowItems>'
        '<colItems count="1"><i/></colItems>'
        '<dataFields count="1"><dataField name="Sum of Count" fld="1" baseField="0" '
        'baseItem="0"/></dataFields>'
        '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" '
        'showColHeaders="1" showRowStripes="0" showColStripes="0" showLastColumn="1"/>'
        "</pivotTableDefinition>")
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return {PIVOT_CACHE: declaration + definition.encode(),
            PIVOT_RECORDS: declaration + records.encode(),
            PIVOT_TABLE: declaration + table.encode()}


def _add_pivot(parts: dict[str, bytes], sheet_part: str) -> None:
    parts.update(_pivot_parts())
    parts[_rels_part(PIVOT_CACHE)] = _dump(_relationships(
        ("rId1", "pivotCacheRecords", "pivotCacheRecords1.xml")))
    parts[_rels_part(PIVOT_TABLE)] = _dump(_relationships(
        ("rId1", "pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml")))
    _add_rel(parts, _rels_part(sheet_part), "pivotTable", "../pivotTables/pivotTable1.xml")
    cache_rel = _add_rel(parts, "xl/_rels/workbook.xml.rels", "pivotCacheDefinition",
                         "pivotCache/pivotCacheDefinition1.xml")
    workbook = _parse(parts["xl/workbook.xml"])
    caches = etree.Element(f"{{{MAIN}}}pivotCaches")
    etree.SubElement(caches, f"{{{MAIN}}}pivotCache", cacheId="1").set(f"{{{REL}}}id",
                                                                        cache_rel)
    # CT_Workbook order: ... definedNames, calcPr, oleSize, customWorkbookViews, pivotCaches
    anchor = None
    for child in workbook:
        if etree.QName(child).localname in ("sheets", "functionGroups", "externalReferences",
                                             "definedNames", "calcPr", "oleSize",
                                             "customWorkbookViews"):
            anchor = child
    anchor.addnext(caches)
    parts["xl/workbook.xml"] = _dump(workbook)
    types = _parse(parts["[Content_Types].xml"])
    for part, kind in ((PIVOT_TABLE, "pivotTable"), (PIVOT_CACHE, "pivotCacheDefinition"),
                       (PIVOT_RECORDS, "pivotCacheRecords")):
        etree.SubElement(types, f"{{{CT}}}Override", PartName=f"/{part}",
                         ContentType=f"{_CT_BASE}{kind}+xml")
    parts["[Content_Types].xml"] = _dump(types)


def _relationships(*rels: tuple[str, str, str]) -> etree._Element:
    root = etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
    for rel_id, kind, target in rels:
        etree.SubElement(root, f"{{{PKG_REL}}}Relationship", Id=rel_id,
                         Type=_REL_BASE + kind, Target=target)
    return root


def _inject(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheets = sheet_parts(parts)
    sheet_part = sheets[DASHBOARD]
    workbook = _parse(parts["xl/workbook.xml"])
    lists_ref = next(name.text for name in workbook.iter(f"{{{MAIN}}}definedName")
                     if name.get("name") == "Lists_RAG")
    parts[sheet_part] = _x14_sheet(parts[sheet_part], lists_ref, X14_LIST_SQREF)
    parts[sheets["KPIs"]] = _x14_sheet(parts[sheets["KPIs"]], lists_ref, KPI_X14_LIST_SQREF)
    _add_pivot(parts, sheet_part)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2023, 6, 1, 12, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buffer.getvalue())


def build(path: Path) -> Path:
    """Write the round-trip workbook to ``path`` and return ``path``."""
    from lfi_xl.build.workbooks import build_kpi_workbook, save_built

    path = Path(path)
    wb = build_kpi_workbook()
    _add_openpyxl_features(wb)
    save_built(wb, path)
    _inject(path)
    return path


if __name__ == "__main__":
    import sys

    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "roundtrip.xlsx")))
