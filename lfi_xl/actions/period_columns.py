"""A report period's columns made where the sheets lack them: on the KPI sheet (header,
due date, the days it covers, every KPI and n row), Conditions, Narrative, Plan Data and
Cost workings, each after its last period column, formatted like the column before it,
with the defined names (and the Cost workings' array formula, data validations and column
widths) grown over it. Used by start-period when a period has no column yet (the
programme extended by a year, or a council moving from three reports a year to four).

Periods are read by their header labels everywhere, so a column added after the last one
is read as its period wherever it stands. Files only: in Excel, insert the column.

Each period sheet prints its fixed columns and the report columns started so far, never
the future ones: :func:`print_started` moves the print area on with the current period,
in ranges when a column made after the last one leaves future columns between (each range
starts a page, the sheet's title columns repeated beside it).
"""

from __future__ import annotations

from lfi_xl import contract as c
from lfi_xl.book.area import Area, column_letter
from lfi_xl.core.cells import serial
from lfi_xl.core.periods import Cadence, Period, PeriodError, parse_period
from lfi_xl.errors import Refused, cell_ref


def _wider(adapter, names, sheet: str, last: int) -> None:
    """Every name among ``names`` ending in column ``last`` of ``sheet``, one wider."""
    for name in names:
        area = adapter.area(name)
        if area is not None and area.sheet == sheet and area.max_col == last:
            adapter.set_name(name, sheet, Area(sheet, area.min_row, area.min_col,
                                               area.max_row, last + 1).ref)


def _free(adapter, sheet: str, column: int, top: int, bottom: int, label: str) -> None:
    """Refuse to write over anything in the column the period would take."""
    cells = adapter.values(Area(sheet, top, column, bottom, column))
    for offset, row in enumerate(cells):
        if row and row[0] not in (None, ""):
            raise Refused(
                f"{adapter.label}: {cell_ref(sheet, f'{column_letter(column)}{top + offset}')}"
                f" is not empty: it is where the column for report {label} would go; lfi-xl "
                "does not write over it: move it, or insert a column headed "
                f"{label} inside the table yourself, then start the period")


def _add(adapter, sheet: str, periods: Area, top: int, bottom: int, label: str,
         names) -> None:
    new = periods.max_col + 1
    _free(adapter, sheet, new, top, bottom, label)
    adapter.widen(sheet, periods.max_col, top, bottom)
    adapter.set_cells(sheet, {f"{column_letter(new)}{periods.min_row}": label})
    _wider(adapter, names, sheet, periods.max_col)


def add_period_columns(adapter, period: Period, cadence: Cadence) -> list[str]:
    """Make ``period``'s columns in every sheet that has period columns and lacks it;
    returns the sheets given one."""
    if not hasattr(adapter, "widen"):  # Excel: a person inserts columns there
        raise Refused(f"{adapter.label}: the KPI sheet has no column for report "
                      f"{period.label}: insert one headed {period.label} inside the KPI "
                      "table, then start the period (lfi-xl start-period makes it in "
                      "a saved file)")
    label = period.label
    added = []
    periods = adapter.require(c.KPI_PERIODS)
    table = adapter.require(c.KPI_TABLE)
    counts = adapter.area(c.KPI_COUNTS)
    bottom = max(table.max_row, counts.max_row if counts is not None
                 and counts.sheet == periods.sheet else 0)
    sheet, new = periods.sheet, periods.max_col + 1
    _add(adapter, sheet, periods, table.min_row, bottom, label,
         [c.KPI_PERIODS, c.KPI_DUE, c.KPI_PERIOD_START, c.KPI_PERIOD_END, c.KPI_TABLE,
          c.KPI_COUNTS, *(c.kpi_name(kpi.ref) for kpi in c.KPIS)])
    letter = column_letter(new)
    due = adapter.area(c.KPI_DUE)
    if due is not None and due.sheet == sheet:
        adapter.set_formulas(sheet, {f"{letter}{due.min_row}": (
            f"=LFI_DUEDATE({letter}${periods.min_row},{c.setting_name('ReportsPerYear')},"
            f"{c.setting_name('DueDates')})")})
    for name, day in ((c.KPI_PERIOD_START, cadence.start(period)),
                      (c.KPI_PERIOD_END, cadence.end(period))):
        area = adapter.area(name)
        if area is not None and area.sheet == sheet:
            adapter.set_cells(sheet, {f"{letter}{area.min_row}": serial(day)})
    added.append(sheet)

    for table_name, periods_name, rows in (
            (c.CONDITIONS_TABLE, c.CONDITIONS_PERIODS, ()),
            (c.NARRATIVE_TABLE, c.NARRATIVE_PERIODS, ()),
            (None, c.PLAN_DATA_PERIODS, tuple(c.plan_data_name(k) for k, _ in c.PLAN_DATA_ROWS))):
        header = adapter.area(periods_name)
        if header is None or label in [str(v).strip() for v in adapter.values(header)[0]]:
            continue
        areas = [a for a in (adapter.area(n) for n in (table_name, *rows) if n) if a]
        bottom = max([header.max_row, *(a.max_row for a in areas if a.sheet == header.sheet)])
        _add(adapter, header.sheet, header, header.min_row, bottom, label,
             [n for n in (table_name, periods_name, *rows) if n])
        added.append(header.sheet)

    periods_list = adapter.area(c.LISTS_PERIODS)
    if periods_list is not None and periods_list.shape[1] == 1:  # the drop-downs offer it
        below = Area(periods_list.sheet, periods_list.max_row + 1, periods_list.min_col,
                     periods_list.max_row + 1, periods_list.min_col)
        if adapter.values(below)[0][0] in (None, ""):
            grown = Area(periods_list.sheet, periods_list.min_row, periods_list.min_col,
                         below.max_row, periods_list.max_col)
            adapter.set_cells(below.sheet, {below.ref: label})
            adapter.set_name(c.LISTS_PERIODS, grown.sheet, grown.ref)
            adapter.retarget_lists(periods_list, grown)
            added.append(below.sheet)
    results, measures = adapter.area(c.COST_RESULTS), adapter.area(c.COST_MEASURES)
    if results is not None and measures is not None:
        heading = Area(results.sheet, measures.min_row, results.min_col, measures.min_row,
                       results.max_col)
        _add(adapter, results.sheet, heading, measures.min_row, results.max_row, label,
             [c.COST_RESULTS])
        added.append(results.sheet)
    return added


def _period_headers(adapter) -> list[Area]:
    """The header row of every sheet's report columns: KPIs, Conditions, Narrative, Plan
    Data and Cost workings (the one heading its results)."""
    headers = [adapter.area(name) for name in (c.KPI_PERIODS, c.CONDITIONS_PERIODS,
                                               c.NARRATIVE_PERIODS, c.PLAN_DATA_PERIODS)]
    results, measures = adapter.area(c.COST_RESULTS), adapter.area(c.COST_MEASURES)
    if results is not None and measures is not None and results.sheet == measures.sheet:
        headers.append(Area(results.sheet, measures.min_row, results.min_col,
                            measures.min_row, results.max_col))
    return [header for header in headers if header is not None]


def _periods_of(adapter, header: Area) -> dict[int, Period]:
    """Each report column under ``header`` (its sheet column) and the period heading it."""
    periods = {}
    for offset, value in enumerate(adapter.values(header)[0]):
        try:
            periods[header.min_col + offset] = parse_period(str(value or "").strip())
        except PeriodError:
            continue  # not a report column
    return periods


def printed_through(areas: list[Area], periods: dict[int, Period], previous: Period,
                    target: Period) -> list[Area] | None:
    """The print area (``areas``, ranges of one sheet) made to show the report columns
    (``periods``: sheet column -> its period) through ``target``, when it shows them
    through ``previous`` as lfi-xl prints them: exactly those, or every column from the
    first through the last of those (how a print area was once widened). The other
    columns it shows (the fixed ones left of the periods) stay; the ranges follow the
    sheet's columns, each a run of adjacent ones. ``None``: leave it as it is (nothing
    to change, or a print area of the council's own: its rows differ from range to range,
    or it shows other report columns)."""
    rows = {(area.min_row, area.max_row) for area in areas}
    started = {column for column, period in periods.items() if period <= previous}
    if len(rows) != 1 or not started:
        return None
    covered = {column for area in areas for column in range(area.min_col, area.max_col + 1)}
    shown = covered & set(periods)
    if shown != started and shown != {column for column in periods if column <= max(started)}:
        return None
    wanted = sorted((covered - set(periods))
                    | {column for column, period in periods.items() if period <= target})
    runs: list[list[int]] = []
    for column in wanted:
        if runs and column == runs[-1][-1] + 1:
            runs[-1].append(column)
        else:
            runs.append([column])
    top, bottom = rows.pop()
    ranges = [Area(areas[0].sheet, top, run[0], bottom, run[-1]) for run in runs]
    return None if ranges == areas else ranges


def print_started(adapter, previous: Period, target: Period) -> list[str]:
    """Each period sheet's print area moved on from ``previous`` to ``target`` (see
    :func:`printed_through`); returns the sheets whose print area changed."""
    changed: list[str] = []
    for header in _period_headers(adapter):
        if header.sheet in changed:
            continue
        areas = adapter.print_area(header.sheet)
        ranges = printed_through(areas, _periods_of(adapter, header), previous,
                                 target) if areas else None
        if ranges is not None:
            adapter.set_print_area(header.sheet, ranges)
            changed.append(header.sheet)
    return changed
