"""Start a report period: make its column of the KPI workbook ready to fill in.

The calculated KPIs get their formulas (the contract's, as the builder writes them, placed
by the workbook's defined names, so a council's own layout works too), the n row its
counts, the input cells (typed KPIs, Conditions, Narrative, Plan Data) the input style,
unlocked; Settings' current period moves on (in the plan workbook too, when given), and
Plan Data is filled from the plan as ``refresh`` does. Earlier periods are not touched.
"""

from __future__ import annotations

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from lfi_xl import contract as c
from lfi_xl.actions.period_columns import add_period_columns
from lfi_xl.actions.refresh import refresh_plan_data
from lfi_xl.book import formulas
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.core.periods import Period, PeriodError, year_label
from lfi_xl.errors import Refused, UnusableInput


def next_period(settings) -> Period:
    """The report after Settings' current one."""
    current = settings.current_period
    if current.report < settings.cadence.reports_per_year:
        return Period(current.year, current.report + 1)
    return Period(current.year + 1, 1)


def _target(settings, period: str | None, allow_gap: bool) -> Period:
    current = settings.current_period
    following = next_period(settings)
    try:
        target = settings.cadence.parse(period) if period else following
    except PeriodError as error:
        raise UnusableInput(f"--period: {error}") from None
    programme = settings.periods()
    if target > programme[-1]:
        raise Refused(f"{target.label} is beyond the programme, which ends with "
                      f"{programme[-1].label} (Settings' last programme year)")
    if target <= current:
        raise Refused(f"{target.label} is already started: Settings' current period is "
                      f"{current.label}")
    if target != following and not allow_gap:
        raise Refused(f"the next report after {current.label} is {following.label}, not "
                      f"{target.label}; to skip reports, start it with --allow-gap")
    return target


def _counts_cells(source, column: int) -> dict[int, str]:
    """The n cell of each average-cost KPI in report column ``column`` (KPI_Counts rows)."""
    counts, periods = source.area(c.KPI_COUNTS), source.area(c.KPI_PERIODS)
    if counts is None or periods is None:
        return {}
    cells = {}
    for offset, row in enumerate(source.values(counts)[1:], start=1):
        try:
            ref = int(row[0])
        except (TypeError, ValueError):
            continue
        if ref in formulas.COUNT_REFS:
            cells[ref] = formulas.cell_ref(counts, offset, periods.min_col - counts.min_col
                                           + column, counts.sheet)
    return cells


def start_period(kpi_adapter, period: str | None = None, plan_adapter=None,
                 allow_gap: bool = False, use: str | None = None) -> dict:
    """Start ``period`` (default: the report after Settings' current one) in the KPI
    workbook behind ``kpi_adapter``, and in the plan workbook's Settings when given.
    Raises :class:`Refused` for a period already started, skipped to or past the end."""
    book = KpiBook(kpi_adapter)
    settings = book.settings
    target = _target(settings, period, allow_gap)
    label = target.label
    added = []
    if label not in book.period_labels:  # the sheets lack the period: make its columns
        added = add_period_columns(kpi_adapter, target, settings.cadence)
        book = KpiBook(kpi_adapter)
    column = book.column_of(label)
    kpi_sheet = book.kpis[min(book.kpis)].area.sheet if book.kpis else c.KPI_SHEET
    place = formulas.column_from_names(kpi_adapter, column) if book.computes_kpis else None
    written: dict[str, str] = {}
    inputs: dict[str, list[str]] = {}
    for ref, row in book.kpis.items():
        cell = row.area.cell(0, column)
        formula = formulas.kpi_formula(ref, place) if place is not None else None
        if formula is not None:
            written[cell] = formula
        else:
            inputs.setdefault(row.area.sheet, []).append(cell)
    if place is not None:
        for ref, cell in _counts_cells(kpi_adapter, column).items():
            written[cell] = formulas.count_formula(ref, place)
    for rows in (book.conditions, book.narrative, list(book.plan_data.values())):
        for row in rows:
            inputs.setdefault(row.area.sheet, []).append(row.area.cell(0, column))
    if written:
        kpi_adapter.set_formulas(kpi_sheet, written)
    for sheet, cells in inputs.items():
        kpi_adapter.make_inputs(sheet, cells, c.INPUT_FILL)
    for sheet, cells in _by_sheet(written, kpi_sheet, inputs).items():
        kpi_adapter.print_through(sheet, max(column_index_from_string(
            coordinate_from_string(cell)[0]) for cell in cells))
    workings = kpi_adapter.area(c.COST_RESULTS) if place is not None and place.costs else None
    if workings is not None:  # the Cost workings column the new KPI cells show
        kpi_adapter.print_through(workings.sheet, workings.min_col + column)
    _set_current(kpi_adapter, target)
    result = {"period": label, "previous": settings.current_period.label,
              "formulas": len(written), "inputs": sum(map(len, inputs.values())),
              "plan_data": None, "columns_added": added}
    if plan_adapter is not None:
        result["monitoring"] = _monitoring_note(plan_adapter, settings.current_period, target)
        _set_current(plan_adapter, target)
        if book.plan_data:
            result["plan_data"] = refresh_plan_data(kpi_adapter, plan_adapter, label, use)
    return result


def _by_sheet(written: dict[str, str], kpi_sheet: str,
              inputs: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every cell the period's start wrote or readied, by sheet."""
    cells = {sheet: list(refs) for sheet, refs in inputs.items()}
    cells.setdefault(kpi_sheet, []).extend(written)
    return {sheet: refs for sheet, refs in cells.items() if refs}


def _monitoring_note(plan_adapter, previous: Period, target: Period) -> str:
    """At a new financial year, the Monitoring sheet still holds the last year's forecasts
    (lfi-xl does not delete what was typed): say so, since they now face the new plan."""
    area = plan_adapter.area(c.MONITORING_TABLE)
    if area is None or target.year == previous.year:
        return ""
    typed = [value for row in plan_adapter.values(area)[1:]
             for value in row[2:1 + len(c.MONITORING_COLUMNS)] if value not in (None, "")]
    if not typed:
        return ""
    return (f"The Monitoring sheet still holds {year_label(previous.year, '/')}'s forecasts "
            f"({len(typed)} cells), now set against the {year_label(target.year, '/')} plan: "
            "keep a copy of the plan workbook, then clear them for the new year.")


def _set_current(adapter, period: Period) -> None:
    """Settings' current period (and the plan workbook's current year) moved to ``period``."""
    for key, value in (("CurrentPeriod", period.label),
                       ("CurrentYear", year_label(period.year, "/"))):
        area = adapter.area(c.setting_name(key))
        if area is None:
            if key == "CurrentPeriod":
                raise UnusableInput(f"{adapter.label}: no cell named "
                                    f"{c.setting_name(key)}: Settings' current period")
            continue
        adapter.set_cells(area.sheet, {area.cell(0, 0): value})
