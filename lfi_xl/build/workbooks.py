"""``lfi-xl build workbooks``: the two shipped workbooks, generated from the contract.

Layout comes from :mod:`lfi_xl.contract`, figures from :mod:`lfi_xl.data.published` (the
plan) and :mod:`lfi_xl.data.illustrative` (everything not published). openpyxl writes the
sheets; :mod:`lfi_xl.actions.recalc` then evaluates every formula and stores the results as
cached values, so the files show numbers before any add-in runs. The zip entries and
document properties carry fixed dates: the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter as col
from openpyxl.utils import range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from lfi_xl import contract as c
from lfi_xl.actions.recalc import NO_DATA, recalc
from lfi_xl.adapters.files.package import EXCEL_CALC_ID, Package, atomic_write
from lfi_xl.book import formulas, page_setup
from lfi_xl.book.area import absolute
from lfi_xl.book.kpi_values import KpiInputs, average_cost_kpis, plan_data_rows
from lfi_xl.core import plan as p
from lfi_xl.core.cells import ExcelError, serial
from lfi_xl.core.page_layout import text_width, wrapped_lines
from lfi_xl.core.periods import Cadence, year_label
from lfi_xl.core.shown import as_shown
from lfi_xl.core.values import stored_number
from lfi_xl.data import illustrative, published
from lfi_xl.data.council import SHIPPED, Council
from lfi_xl.errors import UnusableInput, quote_sheet

#: The date the shipped workbooks say they were made: the published plan's meeting.
BUILD_DATE = dt.datetime(2023, 5, 17, 9, 0, 0)

_INPUT = PatternFill("solid", fgColor=c.INPUT_FILL)
_HEADER = PatternFill("solid", fgColor=c.HEADER_FILL)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TITLE = Font(bold=True, size=14)
_NOTE = Font(italic=True, color="7F3F00")
_ILLUSTRATIVE = Font(bold=True, color="C00000")
_GREY = Font(color="808080")
_UNLOCKED = Protection(locked=False)
_CENTRE = Alignment(horizontal="center", vertical="top")

def _absolute(sheet: str, ref: str) -> str:
    return f"{quote_sheet(sheet)}!{absolute(ref)}"


def _name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=_absolute(sheet, ref))


def _title(ws: Worksheet, title: str, note: str | None = None, note2: str | None = None):
    ws["A1"] = title
    ws["A1"].font = _TITLE
    for row, text in ((2, note), (3, note2)):
        if text == c.ILLUSTRATIVE_NOTE:  # shown while Settings say the data is made up
            ws.cell(row, 1, f'=IF({c.setting_name("Illustrative")}="Yes","{text}","")')
            ws.cell(row, 1).font = _ILLUSTRATIVE
        elif text:
            ws.cell(row, 1, text).font = _NOTE


def _header(ws: Worksheet, row: int, values) -> None:
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row, column, value)
        cell.fill, cell.font = _HEADER, _HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _input(cell, value=None, number_format: str | None = None) -> None:
    if isinstance(value, float):
        value = stored_number(value)  # the figure as typed, 15 digits (-9.015, not ...01)
    if value is not None:
        cell.value = value
    cell.fill, cell.protection = _INPUT, _UNLOCKED
    if number_format:
        cell.number_format = number_format


def _print_setup(ws: Worksheet, area: str | None, title_rows: str | None = None,
                 title_columns: str | None = None, grows: bool = False) -> None:
    """A4 landscape, the print area and the headings every page repeats: ``title_rows``
    at the top; ``title_columns`` at the left of every page a wide sheet continues on.
    The scale is set once the columns have their widths (:func:`_scale`); a sheet that
    ``grows`` a column each report period prints at ``page_setup.MIN_SCALE`` from the start, so its
    pages keep their size and fill before the next begins."""
    if grows:
        ws.page_setup.scale = page_setup.MIN_SCALE
    if area:
        ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows
    if title_columns:
        ws.print_title_cols = title_columns
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins = PageMargins(**page_setup.MARGINS)
    ws.oddFooter.left.text, ws.oddFooter.center.text = "&A", "&F"
    ws.oddFooter.right.text = "Page &P of &N"


def _validation(ws: Worksheet, ref: str, **kwargs) -> None:
    rule = DataValidation(allow_blank=True, showErrorMessage=True, **kwargs)
    ws.add_data_validation(rule)
    rule.add(ref)


# ---------------------------------------------------------------------------- Settings
def _settings(wb: Workbook, ws: Worksheet, lists: dict[str, str],
              council: Council = SHIPPED) -> None:
    _title(ws, "Settings", "Change these to suit your authority; lfi-xl and the worksheet "
           "functions read them by name.")
    _header(ws, 4, ("Setting", "Value", "What it means"))
    values = council.settings()
    for row, (key, label, _default, meaning) in enumerate(c.SETTING_ROWS, start=5):
        ws.cell(row, 1, label)
        value = values[key]
        if key == "PlanWorkbook" and "periods" in lists:  # the KPI workbook: its plan's
            value = c.PLAN_WORKBOOK                       # beside it, as shipped
        _input(ws.cell(row, 2), value, "0%" if key == "RAGTolerance" else None)
        ws.cell(row, 3, meaning)
        _name(wb, c.setting_name(key), ws.title, f"B{row}")
        if key == "ReportsPerYear":
            _validation(ws, f"B{row}", type="whole", operator="between", formula1="1",
                        formula2="4", error="Reports a year: a whole number from 1 to 4.")
        elif key == "FundingGapMethod":
            _validation(ws, f"B{row}", type="list", formula1='"A,B,C"')
        elif key in ("Illustrative", "SafetyValve"):
            _validation(ws, f"B{row}", type="list", formula1='"Yes,No"')
        elif key == "CurrentPeriod" and "periods" in lists:
            _validation(ws, f"B{row}", type="list", formula1=lists["periods"])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 28, 28
    ws.column_dimensions["C"].width = 66  # the meanings wrap: the page holds all three
    ws.freeze_panes = "A5"
    _print_setup(ws, f"A1:C{4 + len(c.SETTING_ROWS)}", "4:4")


def _lists(wb: Workbook, ws: Worksheet, columns: dict[str, tuple]) -> dict[str, str]:
    """One column per list; returns validation formulas by list key."""
    _title(ws, "Lists", "The values the drop-downs offer.")
    refs = {}
    for index, (key, values) in enumerate(columns.items(), start=1):
        letter = col(index)
        _header(ws, 4, [None] * (index - 1) + [key])
        for row, value in enumerate(values, start=5):
            ws.cell(row, index, value)
        ref = f"{letter}5:{letter}{4 + len(values)}"
        _name(wb, f"Lists_{key}", ws.title, ref)
        refs[key] = "=" + _absolute(ws.title, ref)
        ws.column_dimensions[letter].width = max(14, max(len(str(v)) for v in values) + 2)
    return refs


# ---------------------------------------------------------------------------- Plan
#: The cumulative deficit before the plan's first year (£m), as published.
OPENING_BALANCE = 53.976


def _plan_sheet(wb: Workbook, ws: Worksheet, prefix: str, values_for, note: str,
                extra_rows: bool = False, council: Council = SHIPPED) -> None:
    years = council.plan_years
    lines = council.lines
    last = col(1 + len(years))
    _title(ws, "DSG management plan: High Needs Block (£m)" if prefix == c.PLAN_PREFIX else
           "DSG plan: latest forecast" + (" and money received" if council.safety_valve
                                          else "") + " (£m)", note,
           "Yellow cells are inputs. Totals and in-year are SUM formulas; cumulative rows "
           "use LFI_CUMBAL. Signs: income and contributions negative, in-year +deficit.")
    ws["A4"] = "Opening cumulative balance before the first year (£m, +deficit)"
    ws["A4"].font = Font(bold=True)
    _input(ws["B4"], council.opening_balance, c.FORMAT_MILLIONS)
    _name(wb, f"{prefix}_OpeningBalance", ws.title, "B4")
    header_row = 6
    _header(ws, header_row, (c.PLAN_LINE_HEADER, *years, c.PLAN_ID_HEADER, c.PLAN_KIND_HEADER))
    _name(wb, f"{prefix}_Years", ws.title, f"B{header_row}:{last}{header_row}")
    rows = {}
    row = header_row
    for line_id, label, role, kind, _values in lines:
        row += 1
        rows[line_id] = row
        ws.cell(row, 1, label)
        ws.cell(row, 2 + len(years), line_id).font = _GREY
        ws.cell(row, 3 + len(years),
                c.role_labels(council.safety_valve)[(role, kind)]).font = _GREY
        _name(wb, c.plan_line_name(line_id, prefix), ws.title, f"B{row}:{last}{row}")
    incomes = [rows[i] for i, _, r, _, _ in lines if r == p.INCOME]
    spends = [rows[i] for i, _, r, _, _ in lines if r == p.EXPENDITURE]
    for line_id, _, role, _, published_values in lines:
        row = rows[line_id]
        line_values = (values_for(line_id, published_values) if published_values is not None
                       else (None,) * len(years))
        for index, _year in enumerate(years):
            letter = col(2 + index)
            cell = ws.cell(row, 2 + index)
            cell.number_format = c.FORMAT_MILLIONS
            if role in p.INPUT_ROLES:
                _input(cell, line_values[index])
            elif role == p.TOTAL_INCOME:
                cell.value = f"=SUM({letter}{min(incomes)}:{letter}{max(incomes)})"
            elif role == p.TOTAL_EXPENDITURE:
                cell.value = f"=SUM({letter}{min(spends)}:{letter}{max(spends)})"
            elif role == p.IN_YEAR:
                cell.value = (f"={letter}{rows['total_expenditure']}"
                              f"+{letter}{rows['total_income']}")
        if role in (p.TOTAL_INCOME, p.TOTAL_EXPENDITURE, p.IN_YEAR):
            for index in range(len(years)):
                ws.cell(row, 2 + index).font = Font(bold=True)
    opening, flows = f"{prefix}_OpeningBalance", c.plan_line_name("in_year", prefix)
    span = f"B{{row}}:{last}{{row}}"
    before = rows["cumulative_before_sv"]
    ws[f"B{before}"] = ArrayFormula(span.format(row=before), f"=LFI_CUMBAL({opening},{flows})")
    after = rows["cumulative_after_sv"]
    contributions = ",".join(c.plan_line_name(line_id, prefix)
                             for line_id in ("dfe_contribution", "la_contribution")
                             if line_id in rows)
    ws[f"B{after}"] = ArrayFormula(span.format(row=after), (
        f"=LFI_CUMBAL({opening},{flows},{contributions})"))
    for row_number in (before, after):
        for index in range(len(years)):
            ws.cell(row_number, 2 + index).font = Font(bold=True)
    table_end = max(rows.values())
    if extra_rows:
        table_end = _received_rows(wb, ws, prefix, table_end, last, len(years), council)
    _name(wb, f"{prefix}_Table", ws.title, f"A{header_row}:{col(3 + len(years))}{table_end}")
    ws.column_dimensions["A"].width = 56
    for index in range(len(years)):
        ws.column_dimensions[col(2 + index)].width = 10
    ws.column_dimensions[col(2 + len(years))].width = 24
    ws.column_dimensions[col(3 + len(years))].width = 30
    ws.freeze_panes = f"B{header_row + 1}"
    _print_setup(ws, f"A1:{col(1 + len(years))}{table_end}", f"{header_row}:{header_row}",
                 "A:A")


# Illustrative money received: the 2022-23 DfE payment, the 2023-24 and 2024-25 payments
# suspended (as Norfolk's were), the council's £5.5m a year paid.
_RECEIVED = {
    "dfe_received": (-28.0, 0.0, 0.0, None, None, None, None),
    "la_received": (None, -5.5, -5.5, None, None, None, None),
}


def _received_rows(wb, ws, prefix, after_row, last, year_count,
                   council: Council = SHIPPED) -> int:
    row = after_row
    # without an agreement there is no DfE money: only the council's own contributions
    received = [(line_id, label) for line_id, label in c.RECEIVED_LINES
                if council.safety_valve or line_id != "dfe_received"]
    for line_id, label in received:
        row += 1
        ws.cell(row, 1, label)
        ws.cell(row, 2 + year_count, line_id).font = _GREY
        _name(wb, c.plan_line_name(line_id, prefix), ws.title, f"B{row}:{last}{row}")
        if line_id in _RECEIVED:
            values = _RECEIVED[line_id] if council.illustrative else (None,) * year_count
            for index, value in enumerate(values):
                _input(ws.cell(row, 2 + index), value, c.FORMAT_MILLIONS)
        else:
            money = ",".join(c.plan_line_name(line_id, prefix) for line_id, _ in received
                             if line_id in _RECEIVED)
            ws[f"B{row}"] = ArrayFormula(f"B{row}:{last}{row}", (
                f"=LFI_CUMBAL({prefix}_OpeningBalance,{c.plan_line_name('in_year', prefix)},"
                f"{money})"))
            for index in range(year_count):
                ws.cell(row, 2 + index).number_format = c.FORMAT_MILLIONS
                ws.cell(row, 2 + index).font = Font(bold=True)
    return row


#: Illustrative forecast: independent special school spend above plan (the pressure
#: Norfolk reported in 2024), everything else as planned.
_FORECAST_CHANGES = {"independent_special": (0.0, 9.0, 22.0, 20.0, 20.0, 20.0, 20.0)}


def _forecast_values(line_id, values):
    changes = _FORECAST_CHANGES.get(line_id)
    if changes is None:
        return values
    return tuple(None if v is None else round(v + d, 3) for v, d in zip(values, changes,
                                                                          strict=True))


def _forecast_plan() -> p.Plan:
    """The Forecast sheet's figures as the core reads them (what refresh brings in)."""
    plan = published.published_plan()
    return p.Plan(plan.years, tuple(
        p.PlanLine(line.id, line.label, line.role, np.array(
            [np.nan if v is None else v for v in _forecast_values(line.id, tuple(
                None if np.isnan(x) else float(x) for x in line.values))], dtype=float),
            line.kind) for line in plan.lines if line.role in p.INPUT_ROLES), OPENING_BALANCE)


def _complete_sum(span: str) -> str:
    """SUM of a column of inputs, blank ("") while any of them is blank (COUNTIF, whose
    criteria recalc computes as Excel does)."""
    return f'=IF(COUNTIF({span},"")>0,"",SUM({span}))'


def _monitoring(wb: Workbook, ws: Worksheet, council: Council = SHIPPED) -> None:
    _title(ws, "Monitoring: the current year by report (£m)",
           c.ILLUSTRATIVE_NOTE if council.illustrative else None,
           "Plan figures come from the Plan sheet for the year in Settings. The current "
           "report's column shows the Forecast sheet's figures for that year (type the "
           "forecast there); earlier reports keep theirs. Variance = forecast - plan.")
    columns = c.MONITORING_COLUMNS
    variances = [f"Variance {name.split()[0]}" for name in columns[1:]]
    _header(ws, 4, ("£m", *columns, *variances))
    current = c.setting_name("CurrentYear")
    lines = [line for line in council.lines
             if line[2] in (p.INCOME, p.EXPENDITURE, p.TOTAL_INCOME, p.TOTAL_EXPENDITURE,
                            p.IN_YEAR)]
    rows = {line[0]: 5 + index for index, line in enumerate(lines)}
    incomes = [rows[line[0]] for line in lines if line[2] == p.INCOME]
    spends = [rows[line[0]] for line in lines if line[2] == p.EXPENDITURE]
    plan_values = {line_id: values for line_id, _, _, _, values in council.lines}
    year_index = council.plan_years.index(str(council.settings()["CurrentYear"]))
    current_offset = columns.index(c.monitoring_report_header(
        int(str(council.settings()["CurrentPeriod"]).rsplit("Q", 1)[1]))) - 1
    for line_id, label, role, _, _ in lines:
        row = rows[line_id]
        ws.cell(row, 1, label)
        ws.cell(row, 2, f"=INDEX({c.plan_line_name(line_id)},MATCH({current},"
                        f"{c.PLAN_YEARS},0))")
        for offset in range(len(columns) - 1):
            letter = col(3 + offset)
            cell = ws.cell(row, 3 + offset)
            # A forecast not yet typed in (any line blank) has no total: blank, never 0.
            if role == p.TOTAL_INCOME:
                cell.value = _complete_sum(f"{letter}{min(incomes)}:{letter}{max(incomes)}")
            elif role == p.TOTAL_EXPENDITURE:
                cell.value = _complete_sum(f"{letter}{min(spends)}:{letter}{max(spends)}")
            elif role == p.IN_YEAR:
                spend, income = (f"{letter}{rows['total_expenditure']}",
                                 f"{letter}{rows['total_income']}")
                cell.value = f'=IF(OR({spend}="",{income}=""),"",{spend}+{income})'
            elif offset == current_offset:  # the current report: the Forecast sheet's
                cell.value = c.monitoring_forecast_formula(line_id)
            else:
                value = None
                # earlier reports, as they were (illustrative): the plan, then the
                # pressure showing
                if offset < current_offset and council.illustrative:
                    planned = plan_values[line_id][year_index]
                    figure = planned if offset == 0 else _forecast_values(
                        line_id, plan_values[line_id])[year_index] * 0.97
                    assert figure is not None  # only totals are left blank in the table
                    value = round(figure, 3)
                _input(cell, value)
            ws.cell(row, 3 + len(columns) - 1 + offset,
                    f'=IF({letter}{row}="","",{letter}{row}-$B{row})')
        for column in range(2, 2 + 2 * len(columns)):
            ws.cell(row, column).number_format = c.FORMAT_MILLIONS
    last_row = max(rows.values())
    _name(wb, c.MONITORING_TABLE, ws.title, f"A4:{col(1 + 2 * len(columns) - 1)}{last_row}")
    ws.column_dimensions["A"].width = 38
    for column in range(2, 2 + 2 * len(columns)):
        ws.column_dimensions[col(column)].width = 10
    ws.freeze_panes = "B5"
    _print_setup(ws, f"A1:{col(2 * len(columns))}{last_row}", "4:4", "A:A")


def build_plan_workbook(council: Council = SHIPPED) -> Workbook:
    wb = Workbook()
    settings = wb.active
    settings.title = c.SETTINGS
    plan_sheet = wb.create_sheet(c.PLAN)
    forecast = wb.create_sheet(c.FORECAST)
    monitoring = wb.create_sheet(c.MONITORING)
    lists = wb.create_sheet(c.LISTS)
    refs = _lists(wb, lists, {"CountsAs": tuple(c.role_labels(council.safety_valve).values())})
    _settings(wb, settings, refs, council)
    _plan_sheet(wb, plan_sheet, c.PLAN_PREFIX, lambda _id, values: values,
                council.source_note, council=council)
    kinds = col(3 + len(council.plan_years))
    _validation(plan_sheet, f"{kinds}7:{kinds}{6 + len(council.lines)}", type="list",
                formula1=refs["CountsAs"])
    _plan_sheet(wb, forecast, c.FORECAST_PREFIX, _forecast_values,
                c.ILLUSTRATIVE_NOTE if council.illustrative else
                "Your latest forecast for each year: copy the plan, then change what moved.",
                extra_rows=True, council=council)
    _monitoring(wb, monitoring, council)
    from lfi_xl.data import ehcps

    # the DfE's published EHC plan counts, for an authority in its series (the sheet is
    # optional: a council it does not list types its own counts on a Demand sheet later)
    if ehcps.find_area(council.name) is not None:
        _demand(wb, wb.create_sheet(c.DEMAND, wb.sheetnames.index(c.LISTS)), council)
    return wb


def _demand(wb: Workbook, ws: Worksheet, council: Council = SHIPPED) -> None:
    """The EHCP history (the DfE's published counts for the council), the LFI_FORECAST
    fan from it, and the plan's own EHC plan numbers (blank)."""
    from lfi_xl.data import ehcps

    area = ehcps.find_area(council.name)
    assert area is not None, "the council is in the bundled DfE series"
    years, counts = ehcps.series(area)
    _title(ws, "Demand: EHC plans each January, and the forecast",
           "EHC plans: the DfE's published counts for the authority (SEN2; Open Government "
           "Licence v3.0): type your own over them, insert rows inside the table for a new "
           "year. The forecast's bands are calibrated on every English LA (docs/forecast.md).",
           "Planned EHC plans: the numbers the plan's demand lines were costed on; blank = "
           "the trend when the plan was made. The Schools Forum paper shows the balance's "
           "fan under the forecast.")
    _header(ws, 4, ("January", "EHC plans", None, "January", "p10", "p50", "p90"))
    first, last = 5, 5 + len(years) - 1
    for row, (year, count) in enumerate(zip(years, counts, strict=True), start=first):
        _input(ws.cell(row, 1), int(year), "0")
        _input(ws.cell(row, 2), int(count), c.FORMAT_COUNT)
    _name(wb, c.DEMAND_YEARS, ws.title, f"A{first}:A{last}")
    _name(wb, c.DEMAND_EHCPS, ws.title, f"B{first}:B{last}")
    for cell in ws[4][2:3]:
        cell.fill = PatternFill(None)
    spill = f"D{first}:G{first + c.DEMAND_HORIZON - 1}"
    ws[f"D{first}"] = ArrayFormula(spill, f"=LFI_FORECAST({c.DEMAND_YEARS},{c.DEMAND_EHCPS},"
                                          f"{c.DEMAND_HORIZON})")
    for row in ws[spill]:
        row[0].number_format = "0"
        for cell in row[1:]:
            cell.number_format = c.FORMAT_COUNT
    _name(wb, c.DEMAND_FORECAST, ws.title, spill)
    planned = last + 3
    _header(ws, planned, ("Plan year", *council.plan_years))
    ws.cell(planned + 1, 1, "Planned EHC plans (January)")
    for column in range(2, 2 + len(council.plan_years)):
        _input(ws.cell(planned + 1, column), None, c.FORMAT_COUNT)
    _name(wb, c.DEMAND_PLANNED, ws.title,
          f"B{planned + 1}:{col(1 + len(council.plan_years))}{planned + 1}")
    ws.column_dimensions["A"].width = 28
    for letter in "BCDEFGH":
        ws.column_dimensions[letter].width = 11
    _print_setup(ws, f"A1:{col(1 + len(council.plan_years))}{planned + 1}", "4:4", "A:A")


# ---------------------------------------------------------------------------- KPI book
def _periods(council: Council = SHIPPED) -> tuple[Cadence, list]:
    return council.cadence, council.periods()


def _reported(periods, council: Council = SHIPPED) -> list:
    current = council.settings()["CurrentPeriod"]
    labels = [period.label for period in periods]
    return periods[: labels.index(current) + 1]


KPI_HEADER_ROW, KPI_FIRST_ROW = 4, 8
COST_FIRST_ROW = 5
COST_FIRST_PERIOD_COLUMN = len(c.COST_MEASURE_COLUMNS) + len(c.COST_CRITERIA_KEYS) + 1
KPI_FIRST_PERIOD_COLUMN = len(c.KPI_FIXED_COLUMNS) + 1
PLAN_DATA_FIRST_ROW, PLAN_DATA_FIRST_COLUMN = 5, 3


def _kpi_row(ref: int) -> int:
    return KPI_FIRST_ROW + ref - 1


def _plan_data_cell(key: str, period_column: int) -> str:
    row = PLAN_DATA_FIRST_ROW + [k for k, _ in c.PLAN_DATA_ROWS].index(key)
    return f"{quote_sheet(c.PLAN_DATA)}!{col(PLAN_DATA_FIRST_COLUMN + period_column)}{row}"


def _column(period_column: int) -> formulas.Column:
    """Where the template's report column ``period_column`` (0-based) has its cells."""
    letter = col(KPI_FIRST_PERIOD_COLUMN + period_column)
    base = _kpi_row(next(iter(c.PERCENT_CHANGE_KPIS.values())))
    workings = col(COST_FIRST_PERIOD_COLUMN + period_column)
    return formulas.Column(f"{letter}${KPI_HEADER_ROW}", f"{letter}$6", f"{letter}$7",
                           {key: _plan_data_cell(key, period_column)
                            for key, _ in c.PLAN_DATA_ROWS},
                           f"{letter}{base}", f"$H${base}",
                           {(ref, result, cost): f"{quote_sheet(c.COST_WORKINGS)}!{workings}"
                                                 f"{COST_FIRST_ROW + index}"
                            for index, (ref, result, cost, _) in enumerate(c.cost_measures())})


def kpi_formula(ref: int, period_column: int) -> str | None:
    """The formula of calculated KPI ``ref`` in report column ``period_column`` (0-based)."""
    return formulas.kpi_formula(ref, _column(period_column))


def count_formula(ref: int, period_column: int) -> str:
    """n: the placements behind average-cost KPI ``ref`` in a report column."""
    return formulas.count_formula(ref, _column(period_column))


COUNT_REFS = formulas.COUNT_REFS


def _kpi_sheet(wb: Workbook, ws: Worksheet, cadence: Cadence, periods: list,
               council: Council = SHIPPED) -> None:
    _title(ws, "LFI programme KPIs: DfE Safety Valve return" if council.illustrative else
           f"{council.programme} KPIs"
           + (": DfE Safety Valve return" if council.safety_valve else ""),
           c.ILLUSTRATIVE_NOTE if council.illustrative else None,
           "Yellow cells are inputs; white cells are calculated from Plan Data, Placements "
           "and Mitigations. Annual KPIs are reported once a year, in the first report.")
    reported = _reported(periods, council)
    first = KPI_FIRST_PERIOD_COLUMN
    last = col(first + len(periods) - 1)
    _header(ws, KPI_HEADER_ROW, (*c.KPI_FIXED_COLUMNS[:-1], council.baseline_header,
                                 *(period.label for period in periods)))
    for row, label in ((5, "Due"), (6, "Covers from"), (7, "Covers to")):
        ws.cell(row, first - 1, label).font = Font(bold=True)
    for index, period in enumerate(periods):
        column = first + index
        letter = col(column)
        ws.cell(5, column, f"=LFI_DUEDATE({letter}${KPI_HEADER_ROW},"
                           f"{c.setting_name('ReportsPerYear')},{c.setting_name('DueDates')})")
        ws.cell(6, column, cadence.start(period))
        ws.cell(7, column, cadence.end(period))
        for row in (5, 6, 7):
            ws.cell(row, column).number_format = c.FORMAT_DATE
            ws.cell(row, column).font = _GREY
        ws.column_dimensions[letter].width = 11
    _name(wb, c.KPI_PERIODS, ws.title, f"{col(first)}{KPI_HEADER_ROW}:{last}{KPI_HEADER_ROW}")
    _name(wb, c.KPI_DUE, ws.title, f"{col(first)}5:{last}5")
    _name(wb, c.KPI_PERIOD_START, ws.title, f"{col(first)}6:{last}6")
    _name(wb, c.KPI_PERIOD_END, ws.title, f"{col(first)}7:{last}7")
    baselines = _baselines(cadence, periods[0]) if council.illustrative else {}
    for kpi in c.KPIS:
        row = _kpi_row(kpi.ref)
        number_format = c.UNIT_FORMATS[kpi.unit]
        measure = (kpi.measure if council.safety_valve else
                   c.NO_AGREEMENT_MEASURES.get(kpi.ref, kpi.measure))
        values = (kpi.ref, kpi.group, measure, ", ".join(map(str, kpi.workstreams)) or "-",
                  kpi.source, kpi.regularity, kpi.unit)
        for column, value in enumerate(values, start=1):
            ws.cell(row, column, value)
        ws.cell(row, 1).alignment = _CENTRE  # a ref apart from the group beside it
        for column in (2, 3, 5):  # group, measure, source: wrapped
            ws.cell(row, column).alignment = Alignment(wrap_text=True, vertical="top")
        _input(ws.cell(row, first - 1), baselines.get(kpi.ref), number_format)
        _name(wb, c.kpi_name(kpi.ref), ws.title, f"{col(first)}{row}:{last}{row}")
        for index, period in enumerate(periods):
            cell = ws.cell(row, first + index)
            cell.number_format = number_format
            formula = kpi_formula(kpi.ref, index) if period in reported else None
            if kpi.ref in c.CALCULATED_KPIS:
                cell.value = formula
            else:
                value = None
                if period in reported and council.illustrative:
                    value = illustrative.period_value(kpi.ref, reported.index(period),
                                                      not kpi.termly)
                _input(cell, value)
                _validation_number(ws, cell.coordinate)
    last_kpi_row = _kpi_row(len(c.KPIS))
    _name(wb, c.KPI_TABLE, ws.title, f"A{KPI_HEADER_ROW}:{last}{last_kpi_row}")
    _name(wb, c.KPI_BASELINE, ws.title, f"{col(first - 1)}{KPI_FIRST_ROW}:"
                                        f"{col(first - 1)}{last_kpi_row}")
    counts_header = last_kpi_row + 2
    _header(ws, counts_header, ("Ref", None, "n: placements behind each average cost",
                                *[None] * (len(c.KPI_FIXED_COLUMNS) - 3),
                                *(period.label for period in periods)))
    for offset, ref in enumerate(COUNT_REFS, start=1):
        row = counts_header + offset
        ws.cell(row, 1, ref).alignment = _CENTRE
        ws.cell(row, 3, f"n for: {c.KPI_BY_REF[ref].measure}")
        for index, period in enumerate(periods):
            if period in reported:
                ws.cell(row, first + index, count_formula(ref, index))
            ws.cell(row, first + index).number_format = c.FORMAT_COUNT
    counts_end = counts_header + len(COUNT_REFS)
    _name(wb, c.KPI_COUNTS, ws.title, f"A{counts_header}:{last}{counts_end}")
    # printed: Ref, Group and Measure repeated left of the periods on every page
    widths = {"A": 5, "B": 18, "C": 36, "D": 13, "E": 12, "F": 11, "G": 6, "H": 12}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"{col(first)}{KPI_FIRST_ROW}"
    # printed: the periods reported so far (starting a period extends it); those the
    # first page has no room for continue on the next, beside the KPIs' refs and measures
    _print_setup(ws, f"A1:{col(first + len(reported) - 1)}{counts_end}",
                 f"{KPI_HEADER_ROW}:{KPI_HEADER_ROW}", "A:C", grows=True)


def _cost_workings(wb: Workbook, ws: Worksheet, periods: list,
                   council: Council = SHIPPED) -> None:
    """Every average cost and n of every period from one LFI_COSTS array formula: Excel
    hands Python the register once per recalculation (docs/performance.md)."""
    _title(ws, "Cost workings: average costs and n, every period, in one calculation",
           "Calculated: do not type here. One LFI_COSTS formula fills the period columns "
           "from the Placements table; the KPI sheet's average costs and n show these cells.",
           "Each row: the placements matching its criteria (as in AVERAGEIFS; "
           f'"{c.IN_PERIOD}": within the report period), weighted by FTE in the period. A '
           "blank average has no placements behind it (n = 0): the KPI shows #N/A.")
    headers = dict(c.PLACEMENT_COLUMNS)
    first = COST_FIRST_PERIOD_COLUMN
    _header(ws, 4, (*c.COST_MEASURE_COLUMNS, *(headers[key] for key in c.COST_CRITERIA_KEYS),
                    *(period.label for period in periods)))
    measures = c.cost_measures()
    for offset, (ref, result, cost, criteria) in enumerate(measures):
        row = COST_FIRST_ROW + offset
        for column, value in enumerate((ref, result, headers.get(cost),
                                        *(criteria.get(key) for key in c.COST_CRITERIA_KEYS)),
                                       start=1):
            ws.cell(row, column, value)
        ws.cell(row, 1).alignment = _CENTRE
        for column in (3, 4):  # cost, category: wrapped
            ws.cell(row, column).alignment = Alignment(wrap_text=True, vertical="top")
        for index in range(len(periods)):
            ws.cell(row, first + index).number_format = (
                c.FORMAT_POUNDS if result == c.COST_AVERAGE else c.FORMAT_COUNT)
    last_row = COST_FIRST_ROW + len(measures) - 1
    last = col(first + len(periods) - 1)
    results = f"{col(first)}{COST_FIRST_ROW}:{last}{last_row}"
    ws[f"{col(first)}{COST_FIRST_ROW}"] = ArrayFormula(results, (
        f"=LFI_COSTS({c.PLACEMENTS_TABLE},{c.COST_MEASURES},{c.KPI_PERIOD_START},"
        f"{c.KPI_PERIOD_END})"))
    _name(wb, c.COST_MEASURES, ws.title, f"A4:{col(first - 1)}{last_row}")
    _name(wb, c.COST_RESULTS, ws.title, results)
    for letter, width in {"A": 5, "B": 8, "C": 16, "D": 18, "E": 12, "F": 13}.items():
        ws.column_dimensions[letter].width = width
    for index in range(len(c.COST_CRITERIA_KEYS) + len(periods) - 3):
        ws.column_dimensions[col(7 + index)].width = 10
    ws.freeze_panes = f"{col(first)}{COST_FIRST_ROW}"
    # printed: the periods reported so far (starting a period extends it), as the KPIs
    _print_setup(ws, f"A1:{col(first + len(_reported(periods, council)) - 1)}{last_row}",
                 "4:4", "A:F", grows=True)


def _validation_number(ws: Worksheet, ref: str) -> None:
    # One rule for all numeric inputs: openpyxl merges cells added to the same rule.
    rule = getattr(ws, "_lfi_number_rule", None)
    if rule is None:
        rule = DataValidation(type="decimal", operator="between", formula1="-1E12",
                              formula2="1E12", allow_blank=True, showErrorMessage=True,
                              error="Enter a number (no £ sign, commas or text).")
        ws.add_data_validation(rule)
        ws._lfi_number_rule = rule
    rule.add(ref)


def _baselines(cadence: Cadence, first_period) -> dict[int, float]:
    """The June 2023 baselines: the 2022/23 plan figures for the finance KPIs, no savings
    or change yet, and the position at the first report for the placement averages."""
    year = p.compute_plan(published.published_plan())
    rows = plan_data_rows(year)
    out = {ref: sign * float(rows[key][0]) + 0.0 for ref, (key, sign) in c.PLAN_KPIS.items()}
    out[c.FUNDING_GAP_KPI] = round(float(year.funding_gap[0]), 6)
    out.update({ref: 0.0 for ref in (*c.SAVINGS_KPIS, *c.PERCENT_CHANGE_KPIS)})
    placements = illustrative.placements()
    columns = {key: [row[index] for row in placements]
               for index, (key, _) in enumerate(c.PLACEMENT_COLUMNS)}
    arrays = {key: (np.array([np.nan if v is None else serial(v) for v in values])
                    if key in ("Start", "End") else
                    np.array([np.nan if v is None else v for v in values], dtype=float)
                    if key in ("AnnualCost", "PreviousCost") else np.array(values, dtype=object))
              for key, values in columns.items()}
    inputs = KpiInputs(first_period.label, serial(cadence.start(first_period)),
                       serial(cadence.end(first_period)), {}, arrays, {})
    for ref, value in average_cost_kpis(inputs).items():
        assert not isinstance(value, ExcelError), value  # the illustrative data has them all
        out[ref] = round(value, -1)
    out.update({ref: series[0] for ref, series in illustrative.KPI_SERIES.items()})
    # typed as the figures they are (73.613, not the sum's 73.61299999999997)
    return {ref: stored_number(value) for ref, value in out.items()}


def _plan_data(wb: Workbook, ws: Worksheet, periods: list, council: Council = SHIPPED) -> None:
    _title(ws, "Plan Data: DSG plan figures by report (£m)",
           "Values copied from the DSG plan workbook: for each report, the year's plan or "
           "latest forecast as it stood then. The KPI sheet's finance KPIs read them.",
           "Here: the published plan for the earlier reports, the latest forecast (the "
           "plan workbook's Forecast sheet) for the current one." if council.illustrative
           else "Filled by lfi-xl refresh (or start-period --plan) from your plan workbook.")
    _header(ws, 4, ("Key", "Measure", *(period.label for period in periods)))
    planned = (plan_data_rows(p.compute_plan(published.published_plan()))
               if council.illustrative else None)
    forecast = plan_data_rows(p.compute_plan(_forecast_plan())) if council.illustrative \
        else None
    reported = _reported(periods, council)
    for offset, (key, label) in enumerate(c.PLAN_DATA_ROWS):
        row = PLAN_DATA_FIRST_ROW + offset
        ws.cell(row, 1, key).font = _GREY
        ws.cell(row, 2, label if council.safety_valve else
                c.NO_AGREEMENT_PLAN_DATA.get(key, label))
        for index, period in enumerate(periods):
            cell = ws.cell(row, PLAN_DATA_FIRST_COLUMN + index)
            cell.number_format = c.FORMAT_MILLIONS
            if period in reported and planned is not None and forecast is not None:
                year = published.YEARS.index(year_label(period.year, "/"))
                figures = forecast if period == reported[-1] else planned
                _input(cell, round(float(figures[key][year]), 6))
            else:
                _input(cell)
        _name(wb, c.plan_data_name(key), ws.title,
              f"{col(PLAN_DATA_FIRST_COLUMN)}{row}:"
              f"{col(PLAN_DATA_FIRST_COLUMN + len(periods) - 1)}{row}")
    _name(wb, c.PLAN_DATA_PERIODS, ws.title, f"{col(PLAN_DATA_FIRST_COLUMN)}4:"
                                             f"{col(PLAN_DATA_FIRST_COLUMN + len(periods) - 1)}4")
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 20, 44
    for index in range(len(periods)):
        ws.column_dimensions[col(PLAN_DATA_FIRST_COLUMN + index)].width = 11
    ws.freeze_panes = "C5"
    _print_setup(ws, f"A1:{col(PLAN_DATA_FIRST_COLUMN + len(reported) - 1)}"
                     f"{PLAN_DATA_FIRST_ROW + len(c.PLAN_DATA_ROWS) - 1}", "4:4", "A:B",
                 grows=True)


def _table_sheet(wb: Workbook, ws: Worksheet, title: str, columns, rows, table_name: str,
                 column_name, formats: dict, note: str = c.ILLUSTRATIVE_NOTE,
                 excel_table: str = "", calculated: dict | None = None,
                 note2: str | None = None) -> int:
    """A register: header in row 4, one row each below, as the Excel table ``excel_table``
    whose columns the defined names refer to (so they grow with it); ``calculated``:
    column key -> the formula Excel gives a new row of the table."""
    _title(ws, title, note, note2)
    _header(ws, 4, [header for _, header in columns])
    keys = [key for key, _ in columns]
    for offset, values in enumerate(rows, start=5):
        for index, value in enumerate(values):
            cell = ws.cell(offset, index + 1)
            if isinstance(value, str) and value.startswith("="):
                cell.value = value
            else:
                _input(cell, value)
            if keys[index] in formats:
                cell.number_format = formats[keys[index]]
    last_row = 4 + max(len(rows), 1)
    table = Table(displayName=excel_table, ref=f"A4:{col(len(keys))}{last_row}",
                  tableStyleInfo=TableStyleInfo(name="TableStyleLight9", showRowStripes=True))
    for index, (key, header) in enumerate(columns, start=1):
        column = TableColumn(id=index, name=header)
        if calculated and key in calculated:
            column.calculatedColumnFormula = TableFormula(attr_text=calculated[key])
        table.tableColumns.append(column)
    ws.add_table(table)
    for index, (key, header) in enumerate(columns, start=1):
        wb.defined_names[column_name(key)] = DefinedName(
            column_name(key), attr_text=f"{excel_table}[{header}]")
        ws.column_dimensions[col(index)].width = 9.5  # widened to its values' and
        # its heading's longest word (_printable); its heading wraps
    # Header and data rows (= #All without a totals row): LibreOffice does not read #All.
    wb.defined_names[table_name] = DefinedName(
        table_name, attr_text=f"{excel_table}[[#Headers],[#Data]]")
    ws.freeze_panes = "A5"
    _print_setup(ws, f"A1:{col(len(keys))}{last_row}", "4:4", "A:B")
    return last_row


def _placements(wb: Workbook, ws: Worksheet, refs: dict[str, str],
                council: Council = SHIPPED) -> None:
    rows = illustrative.placements() if council.illustrative else []
    formats = {"Start": c.FORMAT_DATE, "End": c.FORMAT_DATE, "AnnualCost": c.FORMAT_POUNDS,
               "PreviousCost": c.FORMAT_POUNDS}
    last = _table_sheet(wb, ws, "Placements: one row per placement", c.PLACEMENT_COLUMNS, rows,
                        c.PLACEMENTS_TABLE, c.placement_name, formats,
                        c.ILLUSTRATIVE_NOTE if council.illustrative else _REGISTER_NOTE,
                        c.PLACEMENTS_EXCEL_TABLE,
                        note2="Placement IDs only: never children's names.")
    _validation(ws, f"B5:B{last}", type="list", formula1=refs["Categories"])
    _validation(ws, f"C5:C{last}", type="list", formula1=refs["AgeBands"])
    _validation(ws, f"D5:D{last}", type="list", formula1=refs["Locations"])
    _validation(ws, f"E5:F{last}", type="date", operator="greaterThan", formula1="36526",
                error="Enter a date after 1 January 2000.")
    _validation(ws, f"G5:H{last}", type="decimal", operator="between", formula1="0",
                formula2="2000000", error="Annual cost in whole £, from 0 to 2,000,000.")
    ws.column_dimensions["B"].width = 34


def _saving_formulas() -> dict[str, str]:
    """The savings columns' formula for a new row of the Mitigations table."""
    headers = dict(c.MITIGATION_COLUMNS)
    this = ",".join(f"{c.MITIGATIONS_EXCEL_TABLE}[[#This Row],[{headers[key]}]]"
                    for key in ("BaseVolume", "BaseUnitCost", "Volume", "UnitCost"))
    return {"Saving": f"LFI_SAVING({this})", "VolumeEffect": f'LFI_SAVING({this},"volume")',
            "PriceEffect": f'LFI_SAVING({this},"price")'}


def _mitigations(wb: Workbook, ws: Worksheet, periods: list, refs: dict[str, str],
                 council: Council = SHIPPED) -> None:
    rows = []
    made_up = (illustrative.mitigations([period.label for period in periods])
               if council.illustrative else [])
    for offset, values in enumerate(made_up, start=5):
        rows.append((*values, f"=LFI_SAVING(F{offset},G{offset},H{offset},I{offset})",
                     f'=LFI_SAVING(F{offset},G{offset},H{offset},I{offset},"volume")',
                     f'=LFI_SAVING(F{offset},G{offset},H{offset},I{offset},"price")'))
    formats = {key: c.FORMAT_POUNDS for key in ("BaseUnitCost", "UnitCost", "Saving",
                                                "VolumeEffect", "PriceEffect")}
    last = _table_sheet(wb, ws, "Mitigations: savings against the do-nothing baseline",
                        c.MITIGATION_COLUMNS, rows, c.MITIGATIONS_TABLE, c.mitigation_name,
                        formats, c.ILLUSTRATIVE_NOTE if council.illustrative else _REGISTER_NOTE,
                        excel_table=c.MITIGATIONS_EXCEL_TABLE,
                        calculated=_saving_formulas())
    _validation(ws, f"C5:C{last}", type="list", formula1=refs["periods"])
    _validation(ws, f"D5:D{last}", type="list", formula1=refs["AgeBands"])
    _validation(ws, f"E5:E{last}", type="list", formula1=refs["Provisions"])
    # project, age band and provision wrap, so the log prints one page wide
    for letter, width in {"B": 16, "C": 11, "D": 9, "E": 13}.items():
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=5, max_row=4 + len(rows), max_col=5):
        row[0].alignment = _CENTRE  # a workstream apart from the project beside it
        for cell in row[1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _by_period_sheet(wb, ws, title, note, rows, table, periods_name, periods, answer,
                     validation=None, width=12, council: Council = SHIPPED,
                     widths: tuple[float, float] = (14, 60)):
    _title(ws, title, note)
    _header(ws, 4, ("#", "Item", *(period.label for period in periods)))
    reported = _reported(periods, council)
    for offset, (key, label) in enumerate(rows, start=5):
        if key is None:  # a row for the council to type its own (number and wording)
            _input(ws.cell(offset, 1))
            _input(ws.cell(offset, 2))
        else:
            ws.cell(offset, 1, key).alignment = _CENTRE if isinstance(key, int) else Alignment(
                vertical="top")
        ws.cell(offset, 2, label).alignment = Alignment(wrap_text=True, vertical="top")
        for index, period in enumerate(periods):
            cell = ws.cell(offset, 3 + index)
            value = (answer(key, reported.index(period))
                     if period in reported and council.illustrative else None)
            _input(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    last_row, last = 4 + len(rows), col(2 + len(periods))
    _name(wb, table, ws.title, f"A4:{last}{last_row}")
    _name(wb, periods_name, ws.title, f"C4:{last}4")
    if validation:
        _validation(ws, f"C5:{last}{last_row}", type="list", formula1=validation)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = widths
    for index in range(len(periods)):
        ws.column_dimensions[col(3 + index)].width = width
    ws.freeze_panes = "C5"
    _print_setup(ws, f"A1:{col(2 + len(reported))}{last_row}", "4:4", "A:B", grows=True)


def _without_agreement(question: str) -> str:
    """A DfE template question worded for a council's own DSG management plan."""
    return question.replace("your agreement", "your plan").replace(
        "the agreement", "the plan")


#: Rows a blank council has for its own conditions (number and wording typed in).
BLANK_CONDITION_ROWS = 12
_REGISTER_NOTE = "Type a new row just below the table (in Excel it joins the table; without "\
    "Excel: lfi-xl take-rows)."


class BuildError(UnusableInput):
    """The contract asks for something the builder has not got (docs/adding-a-kpi.md)."""


def catalogue_problems(council: Council = SHIPPED) -> list[str]:
    """What the builder lacks for the KPI catalogue: the shipped template shows made-up
    figures for every typed KPI, so each needs its illustrative series."""
    if not council.illustrative:
        return []
    return [f"KPI {kpi.ref} ({kpi.measure}): no illustrative figures for the shipped "
            "template: add its (baseline, (report 1, report 2, report 3)) to KPI_SERIES in "
            "lfi_xl/data/illustrative.py"
            for kpi in c.KPIS
            if kpi.ref not in c.CALCULATED_KPIS and kpi.ref not in illustrative.KPI_SERIES]


def build_kpi_workbook(council: Council = SHIPPED) -> Workbook:
    problems = catalogue_problems(council)
    if problems:
        raise BuildError("the KPI workbook cannot be built: " + "; ".join(problems)
                         + " (how to add a KPI: docs/adding-a-kpi.md)")
    cadence, periods = _periods(council)
    wb = Workbook()
    settings = wb.active
    settings.title = c.SETTINGS
    sheets = {name: wb.create_sheet(name) for name in (
        c.KPI_SHEET, c.PLAN_DATA, c.PLACEMENTS, c.MITIGATIONS, c.COST_WORKINGS,
        c.CONDITIONS, c.NARRATIVE, c.SNAPSHOTS, c.LISTS)}
    refs = _lists(wb, sheets[c.LISTS], {
        "periods": tuple(period.label for period in periods), "RAG": c.RAG_VALUES,
        "Categories": c.CATEGORIES, "AgeBands": c.AGE_BANDS, "Locations": c.LOCATIONS,
        "Provisions": c.PROVISIONS,
    })
    _settings(wb, settings, refs, council)
    _kpi_sheet(wb, sheets[c.KPI_SHEET], cadence, periods, council)
    _plan_data(wb, sheets[c.PLAN_DATA], periods, council)
    _placements(wb, sheets[c.PLACEMENTS], refs, council)
    _mitigations(wb, sheets[c.MITIGATIONS], periods, refs, council)
    _cost_workings(wb, sheets[c.COST_WORKINGS], periods, council)
    if council.illustrative:
        conditions: list[tuple[int | None, str | None]] = list(
            enumerate(c.AGREEMENT_CONDITIONS, start=1))
        note = c.ILLUSTRATIVE_NOTE
    else:  # the council's own conditions, typed in: number in column A, wording in B
        conditions = [(None, None)] * BLANK_CONDITION_ROWS
        note = "Type each condition's number and wording, then its RAG at every report."
    _by_period_sheet(
        wb, sheets[c.CONDITIONS], "Agreement conditions: assurance by report (RAG)"
        if council.safety_valve else "Plan conditions: assurance by report (RAG)",
        note, conditions, c.CONDITIONS_TABLE, c.CONDITIONS_PERIODS, periods,
        lambda key, index: illustrative.CONDITION_RAGS[key - 1][index], refs["RAG"], 8,
        council=council, widths=(5, 80))
    _by_period_sheet(
        wb, sheets[c.NARRATIVE], "Narrative: answers to the DfE template's questions"
        if council.safety_valve else "Narrative: the report's questions and answers",
        c.ILLUSTRATIVE_NOTE if council.illustrative else None, [*(
            c.NARRATIVE_QUESTIONS if council.safety_valve else
            ((key, _without_agreement(question)) for key, question in c.NARRATIVE_QUESTIONS)), *(
            (c.progress_key(number), f"Condition {number}: progress update")
            for number in range(1, len(conditions) + 1))],
        c.NARRATIVE_TABLE, c.NARRATIVE_PERIODS,
        periods, lambda key, index: illustrative.NARRATIVE.get(key, (None,) * 3)[index],
        width=30, council=council, widths=(14, 56))
    snapshots = sheets[c.SNAPSHOTS]
    _title(snapshots, "Snapshots: values frozen at each report",
           "Written by 'Freeze period snapshot'. Do not edit: lfi-xl verify detects changes.")
    _header(snapshots, 4, c.SNAPSHOT_COLUMNS)
    _name(wb, c.SNAPSHOTS_TABLE, snapshots.title, f"A4:{col(len(c.SNAPSHOT_COLUMNS))}4")
    for index, width in enumerate((10, 11, 10, 8, 14, 14, 20, 14, 16, 20, 66, 66, 10),
                                  start=1):
        snapshots.column_dimensions[col(index)].width = width
    snapshots.freeze_panes = "A5"
    _print_setup(snapshots, None, "4:4", "A:B")
    return wb


# ---------------------------------------------------------------------------- output
def _fixed_properties(wb: Workbook) -> None:
    wb.properties.creator = "lfi-xl"
    wb.properties.lastModifiedBy = "lfi-xl"
    wb.properties.created = wb.properties.modified = BUILD_DATE
    wb.calculation.fullCalcOnLoad = False  # keep the cached values on open
    wb.calculation.calcId = EXCEL_CALC_ID  # current Excel's: no full recalculation on open


def _core_properties() -> bytes:
    stamp = BUILD_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/'
        'dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>lfi-xl</dc:creator><cp:lastModifiedBy>lfi-xl</cp:lastModifiedBy>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>").encode()


#: Columns widen to fit their values up to this; longer text wraps.
_WIDEST = 40


def _width(ws: Worksheet, letter: str) -> float:
    return ws.column_dimensions[letter].width or 8.43  # Excel's default column


def _numeric(cells) -> bool:
    """Whether a column's cells hold figures (numbers, dates, formatted formulas) more than
    text: its header is then aligned right, over them."""
    figures = text = 0
    for cell in cells:
        value = cell.value
        if isinstance(value, str) and not value.startswith("="):
            text += 1
        elif isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
            figures += 1
        elif (cell.number_format or "General") not in ("General", "@"):
            figures += 1
    return figures > text


def _print_columns(ws: Worksheet) -> tuple[int, int]:
    """The first and last column the sheet prints (its print area's, else those used)."""
    area = ws.print_area
    if area:
        first, _, last, _ = range_boundaries(str(area).split(",")[0].split("!")[-1]
                                             .replace("$", ""))
        return int(first or 1), int(last or ws.max_column)
    return 1, ws.max_column


def _scale(ws: Worksheet) -> int:
    """The sheet's print scale: as large as lets its printed columns fit one page wide,
    from ``page_setup.MIN_SCALE`` to 100%."""
    first, last = _print_columns(ws)
    return page_setup.scale([_width(ws, col(index)) for index in range(first, last + 1)])


def _first_page_columns(ws: Worksheet, scale: int) -> int:
    """The last column the first printed page holds at ``scale``."""
    first, last = _print_columns(ws)
    room = page_setup.PAGE_WIDTH * 100 / scale / page_setup.POINTS_PER_WIDTH
    used, column = 0.0, first
    for index in range(first, last + 1):
        used += _width(ws, col(index))
        if used > room:
            break
        column = index
    return column


def _header_rows(ws: Worksheet) -> list[int]:
    return [row[0].row for row in ws.iter_rows()
            if any(cell.fill.fgColor.rgb in (c.HEADER_FILL, "00" + c.HEADER_FILL)
                   for cell in row)]


def _printable(ws: Worksheet) -> None:
    """What a printed page needs that openpyxl does not work out: heading columns wide
    enough for their longest word, register columns for their values, rows tall enough
    for their wrapped text (so nothing is clipped or overlaps), headings of figures over
    the figures, notes wrapped within the page, and a page set-up on every sheet whose
    type prints at 9 pt or more."""
    header_rows = _header_rows(ws)
    if not header_rows:
        return
    header_row = header_rows[0]
    # (openpyxl makes the cells it is asked about: read only rows that hold something)
    for cells in (ws.iter_cols(min_row=header_row + 1) if ws.max_row > header_row else ()):
        letter = cells[0].column_letter
        if any(cell.alignment.wrap_text for cell in cells):
            continue  # a column of text set to wrap keeps its width
        longest = max((len(as_shown(cell.value, cell.number_format)) for cell in cells
                       if cell.value is not None and not str(cell.value).startswith("=")),
                      default=0)
        if _width(ws, letter) < longest + 1 <= _WIDEST + 1:  # a register's values on one line
            ws.column_dimensions[letter].width = longest + 1
    for number in header_rows:
        lines = 1
        later = [row for row in header_rows if row > number]
        end = later[0] - 1 if later else ws.max_row
        for cell in ws[number]:
            if not isinstance(cell.value, str):
                continue
            letter = cell.column_letter
            widest = max(text_width(word, bold=True) for word in cell.value.split())
            ws.column_dimensions[letter].width = max(_width(ws, letter), widest + 0.8)
            lines = max(lines, wrapped_lines(cell.value, _width(ws, letter), bold=True))
            below = [ws.cell(row, cell.column) for row in range(number + 1, end + 1)]
            if any(under.alignment.horizontal == "center" for under in below):
                cell.alignment = Alignment(horizontal="center", wrap_text=True,
                                           vertical="center")
            elif _numeric(below):  # headings over figures stand right, as they do
                cell.alignment = Alignment(horizontal="right", wrap_text=True,
                                           vertical="center")
        ws.row_dimensions[number].height = page_setup.LINE_HEIGHT * lines
    for row in ws.iter_rows(min_row=header_row + 1):
        if row[0].row in header_rows:
            continue
        needed = max((wrapped_lines(cell.value, _width(ws, cell.column_letter))
                      for cell in row if isinstance(cell.value, str)
                      and not cell.value.startswith("=")), default=1)
        if needed > 1:  # the row's figures stand level with the first line of its text
            for cell in row:
                cell.alignment = Alignment(horizontal=cell.alignment.horizontal,
                                           wrap_text=isinstance(cell.value, str),
                                           vertical="top")
            ws.row_dimensions[row[0].row].height = page_setup.LINE_HEIGHT * needed
    if not ws.print_title_rows:  # sheets that grow (Snapshots, Audit, Lists): no fixed area
        _print_setup(ws, None, f"{header_row}:{header_row}")
    scale = ws.page_setup.scale or _scale(ws)
    ws.page_setup.scale = scale
    if ws.print_title_cols:  # the rows' figures first, across, then the next rows
        ws.page_setup.pageOrder = "overThenDown"
    _wrap_notes(ws, header_row, _first_page_columns(ws, scale))


def _wrap_notes(ws: Worksheet, header_row: int, last: int) -> None:
    """The notes above the header (a cell of column A and nothing beside it) wrapped
    within the first page's columns when longer than they are wide, so none runs off the
    page; a label with its value beside it wraps within its column."""
    room = sum(_width(ws, col(index)) for index in range(1, last + 1))
    for number in range(2, header_row):
        cell = ws.cell(number, 1)
        if not isinstance(cell.value, str):
            continue
        text = c.ILLUSTRATIVE_NOTE if cell.value.startswith("=") else cell.value
        alone = all(ws.cell(number, index).value is None
                    for index in range(2, ws.max_column + 1))
        width = room if alone else _width(ws, "A")
        lines = wrapped_lines(text, width)
        if lines == 1 and (alone or len(text) < width):
            continue
        if alone:
            ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=last)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[number].height = page_setup.LINE_HEIGHT * lines


#: A number openpyxl wrote with 16 significant digits ("%.16g"): -9.015 as
#: -9.015000000000001, which Excel reads as another number than the one typed.
_LONG_NUMBER = re.compile(rb"<v>(-?\d+\.\d{12,}(?:[eE][-+]?\d+)?)</v>")


def _as_typed(match: re.Match) -> bytes:
    number = stored_number(float(match.group(1)))
    return b"<v>" + repr(number).encode() + b"</v>"


def save_built(wb: Workbook, path: Path, blank: bool = False) -> None:
    """Save ``wb`` with every formula's value cached and fixed dates, atomically. A
    ``blank`` workbook's formulas may give errors (#N/A, #DIV/0!) until its inputs are
    typed; any other problem (a syntax error, an unknown function) is the builder's."""
    _fixed_properties(wb)
    for ws in wb.worksheets:
        _printable(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    with tempfile.TemporaryDirectory(prefix="lfi-build-") as folder:
        draft = Path(folder) / path.name
        draft.write_bytes(buffer.getvalue())
        evaluation = recalc(draft, draft)
        problems = [str(problem) for problem in evaluation.problems
                    if not blank or problem.kind not in ("error", NO_DATA)]
        if problems:
            raise RuntimeError("the built workbook has formula problems:\n" + "\n".join(
                problems))
        package = Package.read(draft)
    for part, data in list(package.parts.items()):
        if part.startswith("xl/worksheets/sheet"):
            package.parts[part] = _LONG_NUMBER.sub(_as_typed, data)
    package.parts["docProps/core.xml"] = _core_properties()
    atomic_write(path, package.to_bytes(fixed_time=True))


def build_workbooks(folder: Path, council: Council = SHIPPED,
                    names: tuple[str, str] = (c.PLAN_WORKBOOK, c.KPI_WORKBOOK)) -> list[Path]:
    """Build the plan and KPI workbooks for ``council`` (default: the shipped templates)
    into ``folder`` as ``names``; returns their paths."""
    folder = Path(folder)
    outputs = []
    for name, build in zip(names, (build_plan_workbook, build_kpi_workbook), strict=True):
        path = folder / name
        save_built(build(council), path, blank=not council.illustrative)
        outputs.append(path)
    return outputs
