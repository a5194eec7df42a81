"""A values-only copy of a workbook for the DfE: every formula replaced by the value Excel
(or lfi-xl recalc) last stored for it; no macros, links, defined names, validations,
conditional formats, sheet protection or hidden sheets; and none of lfi-xl's internals
(Snapshots, Audit, Validation, Lists) or the pupil-level Placements register.

A new file, written by openpyxl; the user's workbook is only read.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.worksheet.datavalidation import DataValidationList

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml
from lfi_xl.adapters.files.package import Package, atomic_write, check_workbook_file
from lfi_xl.errors import UnusableInput, cell_ref

#: Sheets a DfE copy leaves out: lfi-xl's own records and workings (every Cost workings
#: figure is on the KPI sheet), and the register of individual children's placements (the
#: DfE asks for the KPIs and the plan, not pupil-level data).
LEFT_OUT = (c.SNAPSHOTS, c.AUDIT, c.VALIDATION, c.LISTS, c.PLACEMENTS, c.COST_WORKINGS)


def _uncalculated(package: Package) -> tuple[str, str] | None:
    """The first formula cell with no stored value at all (never calculated), if any."""
    for info in workbook_xml.sheets(package):
        if info.part not in package.parts:
            continue
        root = workbook_xml.parse(package.parts[info.part])
        for cell in root.iterfind("m:sheetData/m:row/m:c", workbook_xml.NS):
            if cell.find("m:f", workbook_xml.NS) is not None and cell.find(
                    "m:v", workbook_xml.NS) is None and cell.get("t") != "inlineStr":
                return info.name, cell.get("r")
    return None


def values_copy(source: Path, target: Path, draft: bool = False) -> Path:
    """Write ``target``: ``source``'s visible sheets as values. A formula with no stored
    value (never calculated) is refused, naming its cell: a blank is not a figure."""
    check_workbook_file(source)
    package = Package.read(source)
    missing = _uncalculated(package)
    if missing:
        raise UnusableInput(
            f"{source.name}: {cell_ref(*missing)} holds a formula with no calculated value: "
            "recalculate (lfi-xl recalc, or F9 in Excel and save) before building the DfE "
            "return")
    workbook_xml.strip_formulas(package)
    values = openpyxl.load_workbook(io.BytesIO(package.to_bytes()), keep_links=False)
    for sheet in list(values.worksheets):
        if sheet.title in LEFT_OUT or sheet.sheet_state != "visible":
            values.remove(sheet)
    for sheet in list(values.chartsheets):
        values.remove(sheet)
    if not values.worksheets:
        raise UnusableInput(f"{source.name}: no visible sheet to copy for the DfE")
    for sheet in values.worksheets:
        for row in sheet.iter_rows():
            savings = sheet.title == c.KPI_SHEET and row[0].value in c.SAVINGS_KPIS
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"   # text that starts with = stays text
                elif savings and cell.column > 1 and isinstance(cell.value, int | float) \
                        and not isinstance(cell.value, bool):
                    cell.value = round(cell.value, 3)  # £m to 3 dp, as in the return
        sheet.data_validations = DataValidationList()
        sheet.conditional_formatting = ConditionalFormattingList()
        sheet.protection.sheet = False
        if draft:
            sheet.oddHeader.center.text = "DRAFT: not frozen, not for submission"
    for name in list(values.defined_names):
        del values.defined_names[name]
    for sheet in values.worksheets:
        for name in list(sheet.defined_names):
            del sheet.defined_names[name]
    values._external_links = []
    values.active = 0
    buffer = io.BytesIO()
    values.save(buffer)
    atomic_write(Path(target), buffer.getvalue())
    return Path(target)
