"""A values-only copy of a workbook for the DfE: every formula replaced by the value Excel
(or lfi-xl recalc) last stored for it; no macros, links, defined names, validations,
conditional formats, sheet protection or hidden sheets; and none of lfi-xl's internals
(Snapshots, Audit, Validation, Lists, Cost workings) or the pupil-level Placements
register.

Which sheet is which is read from the workbook's defined names and tables (what
``Placements_ID`` or ``Snapshots_Table`` refers to), not from sheet titles: a register
kept under another title is still left out, and so is a sheet whose header row is the
register's. The sheets the return is made of (Settings, the KPIs, Plan Data, Conditions,
Narrative; the Plan, Forecast and Monitoring) are copied even when hidden, and shown; a
hidden sheet the return does not need is left out.

A new file, written by openpyxl; the user's workbook is only read.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.worksheet.datavalidation import DataValidationList

from lfi_xl import contract as c
from lfi_xl.actions.extract import SUPPRESSED
from lfi_xl.adapters.files import workbook_xml
from lfi_xl.adapters.files.package import Package, atomic_write, check_workbook_file
from lfi_xl.core.text import storable_text
from lfi_xl.errors import Refused, UnusableInput, cell_ref

#: Sheets a DfE copy leaves out: lfi-xl's own records and workings (every Cost workings
#: figure is on the KPI sheet), and the register of individual children's placements (the
#: DfE asks for the KPIs and the plan, not pupil-level data).
LEFT_OUT = (c.SNAPSHOTS, c.AUDIT, c.VALIDATION, c.LISTS, c.PLACEMENTS, c.COST_WORKINGS)
#: Defined names (by prefix) and Excel tables on the sheets a copy leaves out, and which
#: of them hold child-level data (a sheet that also holds a required table is refused,
#: not copied with it).
_LEFT_OUT_NAMES = ("Placements_", "Snapshots_", "Audit_", "Lists_", "CostWorkings_",
                   "Validation_")
_CHILD_LEVEL_NAMES = ("Placements_",)
_LEFT_OUT_TABLES = (c.PLACEMENTS_EXCEL_TABLE,)
#: Defined names whose sheets a return is made of (copied even when hidden).
_REQUIRED_NAMES = (c.setting_name("LAName"), c.KPI_PERIODS, c.PLAN_DATA_PERIODS,
                   c.CONDITIONS_TABLE, c.NARRATIVE_TABLE, c.PLAN_YEARS, c.FORECAST_YEARS,
                   c.MONITORING_TABLE)
#: The register's header, by which a register with no names is still known.
_REGISTER_HEADER = {header for _, header in c.PLACEMENT_COLUMNS}
#: How far down a sheet the register's header is looked for.
_HEADER_ROWS = 20


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
        raise Refused(
            f"{source.name}: {cell_ref(*missing)} holds a formula with no calculated value: "
            "recalculate (lfi-xl recalc, or F9 in Excel and save) before building the DfE "
            "return")
    workbook_xml.strip_formulas(package)
    values = openpyxl.load_workbook(io.BytesIO(package.to_bytes()), keep_links=False)
    keep = _sheets_to_copy(values, source)
    _suppress_small_averages(values)
    for sheet in list(values.worksheets):
        if sheet.title not in keep:
            values.remove(sheet)
        else:
            sheet.sheet_state = "visible"
    for sheet in list(values.chartsheets):
        values.remove(sheet)
    if not values.worksheets:
        raise UnusableInput(f"{source.name}: no visible sheet to copy for the DfE")
    for sheet in values.worksheets:
        savings_rows = ({row for (row, column), cell in sheet._cells.items()
                         if column == 1 and cell.value in c.SAVINGS_KPIS}
                        if sheet.title == c.KPI_SHEET else set())
        for (row, column), cell in list(sheet._cells.items()):   # the cells there are
            if isinstance(cell.value, str):
                cell._value = storable_text(cell.value)   # no control character XML refuses
                cell.data_type = "s"   # text that starts with = stays text
            elif row in savings_rows and column > 1 and isinstance(cell.value, int | float) \
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


def _sheets_to_copy(values, source: Path) -> set[str]:
    """The titles of the sheets a values-only copy holds (see the module's note)."""
    named: dict[str, set[str]] = {}
    for name, definition in values.defined_names.items():
        try:
            for title, _ in definition.destinations:
                named.setdefault(title, set()).add(name)
        except (AttributeError, ValueError, TypeError):
            continue   # a name on a constant or a formula: on no sheet
    required = {title for title, names in named.items() if names & set(_REQUIRED_NAMES)}
    keep = set()
    for sheet in values.worksheets:
        names = named.get(sheet.title, set())
        child = any(n.startswith(_CHILD_LEVEL_NAMES) for n in names) or any(
            table in sheet.tables for table in _LEFT_OUT_TABLES) or _holds_register(sheet)
        internal = (any(n.startswith(_LEFT_OUT_NAMES) for n in names)
                    or (sheet.title in LEFT_OUT and not names & set(_REQUIRED_NAMES)))
        if child and sheet.title in required:
            raise UnusableInput(
                f"{source.name}: the sheet {sheet.title!r} holds the placements register "
                "(children's placements) and a table the DfE return needs "
                f"({', '.join(sorted(names & set(_REQUIRED_NAMES)))}): move the register to "
                "a sheet of its own, then build the return again")
        if child or internal:
            continue
        if sheet.title in required or sheet.sheet_state == "visible":
            keep.add(sheet.title)
    return keep


def _holds_register(sheet) -> bool:
    """Whether a row near the top of ``sheet`` is the placements register's header."""
    rows: dict[int, set[str]] = {}
    for (row, _), cell in sheet._cells.items():
        if row <= _HEADER_ROWS and isinstance(cell.value, str):
            rows.setdefault(row, set()).add(cell.value.strip())
    return any(len(found & _REGISTER_HEADER) >= 3 for found in rows.values())


def _destination(values, name: str):
    """(worksheet, min_col, min_row, max_col, max_row) a workbook-scoped name refers to."""
    from openpyxl.utils.cell import range_boundaries

    definition = values.defined_names.get(name)
    if definition is None:
        return None
    try:
        title, ref = next(iter(definition.destinations))
        return (values[title], *range_boundaries(ref.replace("$", "")))
    except (StopIteration, KeyError, ValueError, TypeError):
        return None


def _suppress_small_averages(values) -> None:
    """Every average cost over fewer placements than the Settings' threshold (at least
    :data:`~lfi_xl.contract.MIN_SUPPRESSION`), and its n, shown as ``c`` in the copy, in
    every report column (the KPI sheet's n row, KPI_Counts, says how many): an average
    over one placement is that child's placement cost. An average whose n cannot be read
    is suppressed too."""
    counts = _destination(values, c.KPI_COUNTS)
    periods = _destination(values, c.KPI_PERIODS)
    if periods is None:
        return
    threshold = c.MIN_SUPPRESSION
    setting = _destination(values, c.setting_name("SuppressionThreshold"))
    if setting is not None:
        found = setting[0].cell(setting[2], setting[1]).value
        if isinstance(found, int | float) and found >= c.MIN_SUPPRESSION:
            threshold = int(found)
    n_rows: dict[int, int] = {}
    if counts is not None:
        sheet, first_col, first_row, _, last_row = counts
        for row in range(first_row + 1, last_row + 1):
            ref = sheet.cell(row, first_col).value
            if isinstance(ref, int | float):
                n_rows[int(ref)] = row
    _, first_period, _, last_period, _ = periods
    for ref in c.AVERAGE_COST_REFS:
        place = _destination(values, c.kpi_name(ref))
        if place is None:
            continue
        sheet, _, row, _, _ = place
        for column in range(first_period, last_period + 1):
            average = sheet.cell(row, column)
            n_cell = (counts[0].cell(n_rows[ref], column) if counts is not None
                      and ref in n_rows else None)
            n = n_cell.value if n_cell is not None else None
            small_n = isinstance(n, int | float) and 0 < n < threshold
            if isinstance(average.value, int | float) and not (
                    isinstance(n, int | float) and n >= threshold):
                average.value = SUPPRESSED
            if small_n and n_cell is not None:
                n_cell.value = SUPPRESSED
