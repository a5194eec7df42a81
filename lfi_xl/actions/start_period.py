"""Start a report period: make its column of the KPI workbook ready to fill in.

The calculated KPIs get their formulas (the contract's, as the builder writes them, placed
by the workbook's defined names, so a council's own layout works too), the n row its
counts, the input cells (typed KPIs, Conditions, Narrative, Plan Data) the input style,
unlocked; Settings' current period moves on (in the plan workbook too, when given), and
Plan Data is filled from the plan as ``refresh`` does. Earlier periods are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.actions.period_columns import add_period_columns, print_started
from lfi_xl.actions.refresh import Refreshed, refresh_plan_data
from lfi_xl.book import formulas, tables
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.settings import Settings
from lfi_xl.book.workbook import EditableWorkbook, Workbook
from lfi_xl.core import plan as p
from lfi_xl.core.periods import Period, PeriodError, year_label
from lfi_xl.errors import Refused, UnusableInput


@dataclass(frozen=True)
class Started:
    """What starting a period did."""

    period: Period
    previous: Period
    formulas: int                  # formula cells written
    inputs: int                    # input cells made ready
    in_plan: bool                  # Settings' current period set in the plan workbook too
    plan_data: Refreshed | None    # Plan Data filled from the plan workbook, when it was
    monitoring: str = ""           # what the plan workbook's Monitoring sheet still holds
    notes: tuple[str, ...] = ()    # what the host would not let lfi-xl do
    finished: bool = False         # only the plan moved on: finishing an interrupted start
    columns_added: tuple[str, ...] = ()  # sheets given the period's column (it had none)

    def __str__(self) -> str:
        if self.finished:
            return (f"Finished starting {self.period}: the plan workbook was still at "
                    f"{self.previous} (a start interrupted after the KPI workbook was saved, "
                    f"or one without the plan); its current period is now {self.period}, as "
                    "the KPI workbook's. Nothing else was changed.")
        plan_data = (f"Plan Data holds the {self.plan_data.source}'s {self.plan_data.year} "
                     "figures." if self.plan_data else
                     "Plan Data is not filled yet: refresh it from the DSG plan workbook.")
        made = (f"Made the columns for {self.period} (after the last report column) on: "
                f"{', '.join(self.columns_added)}." if self.columns_added else "")
        return " ".join(part for part in (
            made,
            f"Started {self.period} (after {self.previous}): {self.formulas} formula cell(s) "
            f"written, {self.inputs} input cell(s) ready, Settings' current period set"
            + (" in both workbooks." if self.in_plan else "."), plan_data, self.monitoring,
            *self.notes) if part)


def next_period(settings: Settings) -> Period:
    """The report after Settings' current one."""
    return next_period_of(settings, settings.current_period)


def next_period_of(settings: Settings, current: Period) -> Period:
    """The report after ``current``."""
    if current.report < settings.cadence.reports_per_year:
        return Period(current.year, current.report + 1)
    return Period(current.year + 1, 1)


def _target(settings: Settings, period: Period | None, allow_gap: bool) -> Period:
    current = settings.current_period
    following = next_period(settings)
    target = following if period is None else period
    try:   # a period these Settings do not have (Q4 with three reports a year): refused
        settings.cadence.check(target)
    except PeriodError as error:
        raise Refused(str(error)) from None
    programme = settings.periods()
    if target > programme[-1]:
        raise Refused(f"{target} is beyond the programme, which ends with "
                      f"{programme[-1]} (Settings' last programme year)")
    if target <= current:
        raise Refused(f"{target} is already started: Settings' current period is {current}")
    if target != following and not allow_gap:
        raise Refused(f"the next report after {current} is {following}, not {target}; "
                      "starting it would skip reports", unless="allow_gap")
    return target


def _counts_cells(workbook: Workbook, column: int) -> dict[int, str]:
    """The n cell of each average-cost KPI in report column ``column`` (KPI_Counts rows)."""
    counts, periods = workbook.area(c.KPI_COUNTS), workbook.area(c.KPI_PERIODS)
    if counts is None or periods is None:
        return {}
    cells = {}
    for offset, row in enumerate(workbook.values(counts)[1:], start=1):
        try:
            ref = int(row[0])
        except (TypeError, ValueError):
            continue
        if ref in formulas.COUNT_REFS:
            cells[ref] = formulas.cell_ref(counts, offset, periods.min_col - counts.min_col
                                           + column, counts.sheet)
    return cells


def start_period(kpi: EditableWorkbook, period: Period | None = None,
                 plan: EditableWorkbook | None = None, allow_gap: bool = False,
                 use: str | None = None) -> Started:
    """Start ``period`` (default: the report after Settings' current one) in the KPI
    workbook, and in the plan workbook's Settings when given.
    Raises :class:`Refused` for a period already started, skipped to or past the end."""
    book = KpiBook(kpi)
    settings = book.settings
    if plan is not None and (behind := _plan_behind(plan, settings)) is not None:
        # A start killed between its two saves: the KPI workbook started the period, the
        # plan did not. Finish that one; starting another would part them further.
        _set_current(plan, settings.current_period)
        return Started(settings.current_period, behind, 0, 0, True, None, finished=True)
    target = _target(settings, period, allow_gap)
    label = target.label
    added: list[str] = []
    if label not in book.period_labels:  # the sheets lack the period: make its columns
        added = add_period_columns(kpi, target, settings.cadence)
        book = KpiBook(kpi)
    column = book.column_of(target)
    kpi_sheet = book.kpis[min(book.kpis)].area.sheet if book.kpis else c.KPI_SHEET
    place = formulas.column_from_names(kpi, column) if book.computes_kpis else None
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
        for ref, cell in _counts_cells(kpi, column).items():
            written[cell] = formulas.count_formula(ref, place)
    for rows in (book.conditions, book.narrative, list(book.plan_data.values())):
        for row in rows:
            inputs.setdefault(row.area.sheet, []).append(row.area.cell(0, column))
    if written:
        kpi.set_formulas(kpi_sheet, written)
    for sheet, cells in inputs.items():
        kpi.make_inputs(sheet, cells, c.INPUT_FILL)
    print_started(kpi, settings.current_period, target)
    _set_current(kpi, target)
    monitoring, filled = "", None
    if plan is not None:
        monitoring = _roll_monitoring(plan, settings.current_period, target)
        _set_current(plan, target)
        if book.plan_data:
            filled = refresh_plan_data(kpi, plan, target, use)
    return Started(target, settings.current_period, len(written),
                   sum(map(len, inputs.values())), plan is not None, filled, monitoring,
                   tuple(kpi.notes), columns_added=tuple(dict.fromkeys(added)))


def _plan_behind(plan_adapter: Workbook, settings: Settings) -> Period | None:
    """The plan workbook's current period when it is the report just before the KPI
    workbook's (a start-period interrupted between its saves); refused when the two
    disagree otherwise; ``None`` when they agree."""
    area = plan_adapter.area(c.setting_name("CurrentPeriod"))
    if area is None:
        return None
    value = plan_adapter.values(area)[0][0]
    try:
        current = settings.cadence.parse(str(value or "").strip())
    except PeriodError:
        return None  # validate names a bad setting; the start sets it anew
    if current == settings.current_period:
        return None
    previous = next_period_of(settings, current)
    if current < settings.current_period and previous == settings.current_period:
        return current
    raise Refused(f"{plan_adapter.label}: Settings' current period is {current.label} "
                  f"but the KPI workbook's is {settings.current_period.label}: set the "
                  "one that is wrong (Settings, Current report period), then start the "
                  "next period (nothing was changed)")


def _roll_monitoring(plan: EditableWorkbook, previous: Period, target: Period) -> str:
    """The Monitoring sheet moved on with the report. The forecast is typed once, in the
    Forecast sheet; the current report's Monitoring column shows it (a formula). So the
    previous report's column keeps its figures as values (what it showed), and the new
    report's column gets the formulas; at a year's first report, last year's report
    columns are cleared first (the year's last forecast stays in the Forecast sheet's
    column for it, and in the copy kept as .bak). Returns what it did, in a sentence."""
    from lfi_xl.book.snapshots import cell_formats

    area = plan.area(c.MONITORING_TABLE)
    if area is None or plan.area(c.FORECAST_TABLE) is None:
        return ""
    values = plan.values(area)
    header = [str(v or "").strip() for v in values[0]]
    forecast = tables.plan_table(plan, c.FORECAST_PREFIX)
    lines = {row.label: row for row in tables.plan_table(plan, c.PLAN_PREFIX).rows
             if row.role in (p.INCOME, p.EXPENDITURE)}
    rows = {r: lines[str(values[r][0] or "").strip()] for r in range(1, len(values))
            if str(values[r][0] or "").strip() in lines}
    by_id = {row.line_id: row for row in forecast.rows}
    old, new = (c.monitoring_report_header(period.report) for period in (previous, target))
    reports = [k for k, name in enumerate(header) if name in c.MONITORING_COLUMNS[1:]]
    cells = [area.cell(r, k) for r in rows for k in reports]
    formulas = {cell for cell, value in cell_formats(plan, area.sheet, cells).items()
                if value is not None and value[0]}
    said = []
    if target.year != previous.year:
        cleared: dict[str, object] = {area.cell(r, k): None for r in rows for k in reports
                   if values[r][k] not in (None, "") or area.cell(r, k) in formulas}
        if cleared:
            plan.set_cells(area.sheet, cleared)
            said.append(f"New year: the Monitoring sheet's report columns of "
                        f"{year_label(previous.year, '/')} are cleared ({len(cleared)} "
                        f"cells; that year's last forecast stays in the {c.FORECAST} sheet's "
                        f"{year_label(previous.year, '/')} column, and in the copy kept as "
                        ".bak).")
        formulas = set()
    elif old in header and old != new:
        year = year_label(previous.year, "/")
        k = header.index(old)
        kept = {}
        for r, line in rows.items():
            cell = area.cell(r, k)
            source = by_id.get(line.line_id)
            if cell in formulas and source is not None and year in forecast.years:
                kept[cell] = tables.cell_number(plan, source.sheet, source.cells[
                    forecast.years.index(year)], source.values[forecast.years.index(year)])
        if kept:
            plan.set_cells(area.sheet, {cell: None if v != v else v for cell, v in kept.items()})
            said.append(f"The Monitoring sheet's {old} column keeps {previous}'s forecast as "
                        "figures.")
    if new in header:
        k = header.index(new)
        shown = {area.cell(r, k): c.monitoring_forecast_formula(line.line_id)
                 for r, line in rows.items()}
        replaced = sum(1 for r in rows if values[r][k] not in (None, "")
                       and area.cell(r, k) not in formulas and target.year == previous.year)
        if shown:
            plan.set_formulas(area.sheet, shown)
            said.append(f"Its {new} column shows the {c.FORECAST} sheet's "
                        f"{year_label(target.year, '/')} figures"
                        + (f" (in place of {replaced} figure(s) typed there)" if replaced
                           else "")
                        + f": type {target}'s forecast there, in the {c.FORECAST} sheet, "
                        "then recalculate both workbooks.")
    return " ".join(said)


def _set_current(workbook: EditableWorkbook, period: Period) -> None:
    """Settings' current period (and the plan workbook's current year) moved to ``period``."""
    for key, value in (("CurrentPeriod", period.label),
                       ("CurrentYear", year_label(period.year, "/"))):
        area = workbook.area(c.setting_name(key))
        if area is None:
            if key == "CurrentPeriod":
                raise UnusableInput(f"{workbook.label}: no cell named "
                                    f"{c.setting_name(key)}: Settings' current period")
            continue
        workbook.set_cells(area.sheet, {area.cell(0, 0): value})
