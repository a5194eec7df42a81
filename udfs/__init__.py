"""lfi_udfs: the LFI_ worksheet functions.

Installed as ``lfi_udfs`` (the add-in's "UDF Modules" setting names it). Each function
converts its cells (:mod:`lfi_xl.core.cells`), calls the core and converts the result back;
the arithmetic lives in :mod:`lfi_xl.core`. A failure raises
:class:`lfi_xl.core.cells.ExcelError`, whose text starts with the Excel error code: the
add-in's wrapper shows that error in the cell and keeps the reason for ``LFI_WHY``; the
headless engine (``lfi-xl recalc``) does the same in its report.

The first 255 characters of each docstring are what Excel's function wizard shows.
"""

from __future__ import annotations

from functools import wraps

import numpy as np
from lfi_udfs.classic import decorators

from lfi_xl import contract
from lfi_xl.core import costs, measures, periods, plan
from lfi_xl.core import forecast as ehcp_forecast
from lfi_xl.core import snapshots as frozen
from lfi_xl.core.cells import (
    DATE_1904,
    DIV0,
    NA,
    NUM,
    VALUE,
    ExcelError,
    column_values,
    criteria_pairs,
    first_blank,
    grid,
    nth,
    number,
    numbers_of,
    omitted,
    same_length,
    serial,
    shaped,
    text,
    to_date,
    whole_number,
)
from lfi_xl.core.values import EXCEL_ERRORS, BadValue

func, _xlwings_arg, ret = decorators()

CATEGORY = contract.FUNCTION_CATEGORY
#: Every range argument arrives as a 2-D list.
RANGE = {"ndim": 2}


def arg(name, **options):
    """xlwings' ``@arg`` with ``err_to_str`` for every argument, range or single value:
    without it xlwings turns an error (``#N/A``) in an argument into ``None``, a blank,
    so ``LFI_CUMBAL(A1, ...)`` with A1 = #N/A would count from 0 and an error in
    ``tolerance`` would become its default. With it the error arrives as its text and
    :mod:`lfi_xl.core.cells` passes it on."""
    return _xlwings_arg(name, **{"err_to_str": True, **options})


def _worksheet_function(function):
    """Turn the core's refusals into Excel errors, so no Python message reaches a cell."""

    @wraps(function)
    def call(*args):
        try:
            return function(*args)
        except ExcelError:
            raise
        except costs.NoMatch as error:  # no placements (n = 0): "no data", not a fault
            raise ExcelError(NA, f"{function.__name__}: {error}") from None
        except (BadValue, ValueError, periods.PeriodError) as error:
            raise ExcelError(VALUE, f"{function.__name__}: {error}") from None

    return call


@func(category=CATEGORY)
@arg("opening", doc="Cumulative balance before the first year, £m (+deficit). Norfolk: 53.976.")
@arg("in_year", doc="In-year position per year, £m (+deficit/-surplus): one row or column.",
     **RANGE)
@arg("dfe", doc="Optional. DfE Safety Valve contributions per year, £m (negative).", **RANGE)
@arg("la", doc="Optional. Council contributions per year, £m (negative).", **RANGE)
@_worksheet_function
def LFI_CUMBAL(opening, in_year, dfe=None, la=None):
    """Running cumulative DSG balance from an opening balance, £m, same shape as in_year (spills). Blanks count as 0. Norfolk: LFI_CUMBAL(53.976, 19.637..-16.675, -28..-12, 0..-4.923) ends 2028/29 at 0.000.

    Add dfe (and la) for the balance after Safety Valve funding; leave them out for the
    balance before it.
    """  # noqa: E501
    flows, shape = numbers_of(in_year, "in_year")
    extras = []
    for name, series in (("dfe", dfe), ("la", la)):
        if series is not None:
            values, _ = numbers_of(series, name)
            same_length("LFI_CUMBAL", ("in_year", flows), (name, values))
            extras.append(values)
        else:
            extras.append(None)
    balance = plan.cumulative_balance(number(opening, "opening"), flows, *extras)
    return shaped(balance, shape)


@func(category=CATEGORY)
@arg("start_date", doc="Placement start dates (one per placement).", **RANGE)
@arg("end_date", doc="Placement end dates; blank = still open.", **RANGE)
@arg("period_start", doc="First day of the period, e.g. 01/04/2023.")
@arg("period_end", doc="Last day of the period, e.g. 30/06/2023.")
@_worksheet_function
def LFI_FTE(start_date, end_date, period_start, period_end):
    """Fraction of the period each placement is active (0 to 1), same shape as start_date (spills). Use it as the weights of LFI_AVGCOST. Example: a placement from 01/05/2023, open, in 01/04/2023-31/07/2023 gives 92/122 = 0.754."""  # noqa: E501
    starts, shape = numbers_of(start_date, "start_date", blank=float("nan"), dates=True)
    ends, _ = numbers_of(end_date, "end_date", blank=float("nan"), dates=True)
    same_length("LFI_FTE", ("start_date", starts), ("end_date", ends))
    weights = costs.fte(starts, ends, serial(to_date(period_start, "period_start")),
                        serial(to_date(period_end, "period_end")))
    return shaped(weights, shape, VALUE, "LFI_FTE: a placement with no start date or an "
                                         "end before its start", "start_date")


def _weights(cost, fte, what):
    costs_, _ = numbers_of(cost, "cost", blank=float("nan"))
    weights = None
    if not omitted(fte):
        weights, _ = numbers_of(fte, "fte", blank=float("nan"))
        if weights.size == 1:  # one weight for every row (1 = unweighted)
            weights = weights.repeat(costs_.size)
        same_length(what, ("cost", costs_), ("fte", weights))
    return costs_, weights


def _pairs(criteria, length, what, first="cost"):
    pairs = criteria_pairs(criteria, what)
    for k, (values, _) in enumerate(pairs, start=1):
        if values.size != length:
            raise ExcelError(VALUE, f"{what}: criteria range {k} has {values.size} cells "
                                    f"but the {first} range has {length}")
    return [item for pair in pairs for item in pair]


@func(category=CATEGORY)
@arg("cost", doc="Annual cost of each placement, £.", **RANGE)
@arg("fte", doc="Weights, usually LFI_FTE(...); 1 (or left empty) = every row weighs 1.",
     **RANGE)
@arg("criteria", doc="Pairs: a criteria range, then its criterion (as in AVERAGEIFS).",
     **RANGE)
@_worksheet_function
def LFI_AVGCOST(cost, fte, *criteria):
    """FTE-weighted average annual cost (£) of the placements matching every criterion; criteria as in AVERAGEIFS. #N/A when none match (no placements: n = 0). Example: LFI_AVGCOST(Placements_AnnualCost, LFI_FTE(...), Placements_AgeBand, "Under 16")."""  # noqa: E501
    costs_, weights = _weights(cost, fte, "LFI_AVGCOST")
    return costs.average_cost(costs_, weights, *_pairs(criteria, costs_.size, "LFI_AVGCOST"),
                              date1904=DATE_1904.get())


@func(category=CATEGORY)
@arg("fte", doc="Weights, usually LFI_FTE(...): placements with weight 0 do not count.",
     **RANGE)
@arg("criteria", doc="Pairs: a criteria range, then its criterion (as in COUNTIFS).", **RANGE)
@_worksheet_function
def LFI_PLACEMENTS(fte, *criteria):
    """Number of placements active in the period (weight > 0) matching every criterion: the n shown beside each average cost. Example: LFI_PLACEMENTS(LFI_FTE(...), Placements_Category, "Independent special school")."""  # noqa: E501
    weights, _ = numbers_of(fte, "fte", blank=float("nan"))
    return costs.count_placements(weights, *_pairs(criteria, weights.size, "LFI_PLACEMENTS",
                                                   "fte"),
                                  date1904=DATE_1904.get())


def _register_columns(placements) -> dict[str, tuple[str, list]]:
    """The placements range (with its header row): by header (case ignored), the header
    as typed and the column's cells as Excel passes a column."""
    table = grid(placements)
    columns = {}
    for j, header in enumerate(table[0]):
        name = str(header).strip() if header is not None else ""
        if name:
            columns[name.casefold()] = (name, table[1:, j][:, None].tolist())
    return columns


def _measure_rows(measures) -> list[tuple[str | None, list]]:
    """The measures range (with its header row) as (cost header or None, criteria)."""
    table = grid(measures)
    column_values(table.tolist(), "measures")  # an error cell is that error
    headers = [str(h).strip() if h is not None else "" for h in table[0]]
    fixed = [name.casefold() for name in contract.COST_MEASURE_COLUMNS]
    lowered = [header.casefold() for header in headers]
    for name in contract.COST_MEASURE_COLUMNS[1:]:
        if name.casefold() not in lowered:
            raise ExcelError(VALUE, f"LFI_COSTS: the measures range has no '{name}' column "
                                    "in its first row")
    result, cost = (lowered.index(name.casefold()) for name in contract.COST_MEASURE_COLUMNS[1:])
    rows = []
    for position, row in enumerate(table[1:], start=1):
        kind = text(row[result], f"measure {position}'s Result", default="").casefold()
        if kind not in (contract.COST_AVERAGE.casefold(), contract.COST_COUNT.casefold()):
            raise ExcelError(VALUE, f"LFI_COSTS: measure {position}'s Result must be "
                                    f"'{contract.COST_AVERAGE}' or '{contract.COST_COUNT}'")
        criteria = []
        for j, header in enumerate(headers):
            cell = row[j]
            if header.casefold() in fixed or cell is None or str(cell).strip() == "":
                continue
            if isinstance(cell, str) and cell.strip().casefold() == contract.IN_PERIOD:
                cell = costs.IN_PERIOD
            criteria.append((header.casefold(), cell))
        cost_header = None
        if kind == contract.COST_AVERAGE.casefold():
            cost_header = text(row[cost], f"measure {position}'s Cost").strip().casefold()
        rows.append((cost_header, criteria))
    return rows


@func(category=CATEGORY)
@arg("placements", doc="The Placements table with its header row (Placements[#All]).",
     **RANGE)
@arg("measures", doc="The measures with their header row: Ref, Result (Average or n), Cost, "
     "then criteria columns headed like the Placements columns they test.", **RANGE)
@arg("period_start", doc="First day of each period: one row (KPI_PeriodStart).", **RANGE)
@arg("period_end", doc="Last day of each period, the same length (KPI_PeriodEnd).", **RANGE)
@_worksheet_function
def LFI_COSTS(placements, measures, period_start, period_end):
    """Each measure's FTE-weighted average cost (blank if n = 0) or n, per period, reading the register once: a row per measure, a column per period. Example: =LFI_COSTS(Placements_Table, CostWorkings_Measures, KPI_PeriodStart, KPI_PeriodEnd).

    Each cell equals LFI_AVGCOST or LFI_PLACEMENTS with that period's LFI_FTE; enter it
    as an array formula over the measures' rows and the periods' columns.
    """  # noqa: E501
    register = _register_columns(placements)
    rows = _measure_rows(measures)
    criteria_headers = {key for _, criteria in rows for key, _ in criteria}
    cost_headers = {cost for cost, _ in rows if cost}
    for header in sorted(criteria_headers | cost_headers) + [_START, _END]:
        if header not in register:
            raise ExcelError(VALUE, "LFI_COSTS: the placements range has no column headed "
                                    f"'{header}' in its first row")
    # Criteria ranges and cost ranges read as LFI_AVGCOST reads them (a cost column can be
    # both: "Annual cost before renegotiation" > 0), so kept apart by key.
    def read(header, convert, **options):
        name, cells = register[header]
        try:
            return convert(cells, name, **options)
        except ExcelError as error:   # named by its placement: the register's row
            if error.item is None:
                raise ExcelError(error.code, f"LFI_COSTS: {error.reason}") from None
            raise ExcelError(error.code, f"LFI_COSTS: placement {error.item}'s {name}: "
                                         f"{error.reason.split(': ', 1)[-1]}") from None

    columns = {header: read(header, column_values) for header in criteria_headers}
    for header in cost_headers:
        columns[_COST + header] = read(header, numbers_of, blank=float("nan"))[0]
    rows = [(_COST + cost if cost else None, criteria) for cost, criteria in rows]
    start = read(_START, numbers_of, blank=float("nan"), dates=True)[0]
    end = read(_END, numbers_of, blank=float("nan"), dates=True)[0]
    _undated(register, start, end)
    firsts, lasts = grid(period_start).ravel(), grid(period_end).ravel()
    if firsts.size != lasts.size:
        raise ExcelError(VALUE, f"LFI_COSTS: period_start has {firsts.size} cells but "
                                f"period_end has {lasts.size}")
    periods = []
    for k, (first, last) in enumerate(zip(firsts, lasts, strict=True), start=1):
        if first in (None, "") and last in (None, ""):
            periods.append(None)
            continue
        periods.append((serial(to_date(first, f"period_start {k}")),
                        serial(to_date(last, f"period_end {k}"))))
    try:
        return costs.costs_by_period(rows, columns, start, end, periods,
                                     date1904=DATE_1904.get())
    except BadValue as error:
        if error.position is None:
            raise
        raise ExcelError(VALUE, f"LFI_COSTS: placement {error.position + 1}: {error}") from None


def _undated(register, start, end) -> None:
    """A placement with neither a start nor an end date but something else filled in (a
    cost, a category) cannot be weighed: #VALUE!, naming it. A row with nothing in it is
    no placement (a table's spare rows)."""
    for at in np.flatnonzero(np.isnan(start) & np.isnan(end)):
        if any(cells[at][0] not in (None, "") for _, cells in register.values()):
            raise ExcelError(VALUE, f"LFI_COSTS: placement {at + 1} has neither a start "
                                    "nor an end date")


#: LFI_COSTS's key of a column read as costs (a criteria column keeps its header).
_COST = "cost: "
#: The placement columns LFI_COSTS weighs by (their headers, as matched).
_START, _END = (dict(contract.PLACEMENT_COLUMNS)[key].casefold() for key in ("Start", "End"))


@func(category=CATEGORY)
@arg("base_volume", doc="Baseline (do nothing) number of placements.", **RANGE)
@arg("base_unit_cost", doc="Baseline unit cost, £ a year.", **RANGE)
@arg("volume", doc="Actual number of placements.", **RANGE)
@arg("unit_cost", doc="Actual unit cost, £ a year.", **RANGE)
@arg("part", doc='Optional. "total" (default), "volume" or "price".')
@_worksheet_function
def LFI_SAVING(base_volume, base_unit_cost, volume, unit_cost, part=None):
    """Cost avoidance against the do-nothing baseline, £ a year: total, or its volume or price effect (the two add up to the total). Example: 20 placements expected at £60,000, 15 made at £58,000: total 330,000; volume 300,000; price 30,000.

    A blank volume or cost is #VALUE!, not 0: a blank would otherwise count as a saving.
    """  # noqa: E501
    series = [numbers_of(v, name, blank=float("nan")) for v, name in (
        (base_volume, "base_volume"), (base_unit_cost, "base_unit_cost"),
        (volume, "volume"), (unit_cost, "unit_cost"))]
    same_length("LFI_SAVING", *[(name, values) for (values, _), name in zip(
        series, ("base_volume", "base_unit_cost", "volume", "unit_cost"), strict=True)])
    result = measures.saving(*(values for values, _ in series),
                             part=text(part, "part", default="total"))
    for (values, _), name in zip(series, ("base_volume", "base_unit_cost", "volume",
                                          "unit_cost"), strict=True):
        first_blank(f"LFI_SAVING: {name}", name, values)  # a blank is not a 0 here
    return shaped(result, series[0][1], VALUE, "LFI_SAVING: a volume or unit cost is blank")


@func(category=CATEGORY)
@arg("in_year", doc="In-year position, £m (+deficit).", **RANGE)
@arg("hnb_allocation", doc="HNB DSG allocation, £m (sign ignored).", **RANGE)
@arg("method", doc='Optional. "A" (default): in-year / allocation. "B": / (allocation + '
     'block transfers). "C": (expenditure - allocation) / allocation.')
@arg("other", doc="Optional. Method B: block transfers; method C: total expenditure.",
     **RANGE)
@_worksheet_function
def LFI_FUNDGAP(in_year, hnb_allocation, method=None, other=None):
    """Funding gap as a share of the HNB allocation (format as %). Method A (default): in-year / allocation. Norfolk 2022/23: LFI_FUNDGAP(19.637, -120.578) = 16.29%. #DIV/0! on a zero allocation."""  # noqa: E501
    position, shape = numbers_of(in_year, "in_year", blank=float("nan"))
    allocation, _ = numbers_of(hnb_allocation, "hnb_allocation", blank=float("nan"))
    same_length("LFI_FUNDGAP", ("in_year", position), ("hnb_allocation", allocation))
    first_blank("LFI_FUNDGAP: the in-year position", "in_year", position)  # not a 0
    first_blank("LFI_FUNDGAP: the HNB allocation", "hnb_allocation", allocation)
    method = text(method, "method", default="A").upper()
    extra = {}
    if method in ("B", "C"):
        if other is None:
            raise ExcelError(VALUE, f"LFI_FUNDGAP: method {method} needs the 4th argument")
        values, _ = numbers_of(other, "other")
        same_length("LFI_FUNDGAP", ("in_year", position), ("other", values))
        extra = {"block_transfers" if method == "B" else "total_expenditure": values}
    gap = plan.funding_gap(position, allocation, method, **extra)
    return shaped(gap, shape, DIV0, "LFI_FUNDGAP: the HNB allocation is 0", "hnb_allocation")


@func(category=CATEGORY)
@arg("current", doc="The current value(s).", **RANGE)
@arg("base", doc="The base value(s) to compare with, e.g. the June 2023 baseline.", **RANGE)
@_worksheet_function
def LFI_PCTCHANGE(current, base):
    """Relative change from base to current (format as %): (current - base) / base. #DIV/0! on a zero base. Example: 10,500 EHCPs against a baseline of 10,000 gives 5.0%."""  # noqa: E501
    now, shape = numbers_of(current, "current", blank=float("nan"))
    then, _ = numbers_of(base, "base", blank=float("nan"))
    if then.size == 1 and now.size > 1:
        then = then.repeat(now.size)
    same_length("LFI_PCTCHANGE", ("current", now), ("base", then))
    zero = np.flatnonzero(then == 0)
    if zero.size:
        where = nth(int(zero[0]), then.size)
        raise ExcelError(DIV0, f"LFI_PCTCHANGE: the base value{where}{',' if where else ''} "
                               "is 0", "base", int(zero[0]) + 1)
    first_blank("LFI_PCTCHANGE: the current value", "current", now)
    first_blank("LFI_PCTCHANGE: the base value", "base", then)
    return shaped(measures.pct_change(now, then), shape, VALUE, "LFI_PCTCHANGE: no change")


def _cadence(reports_per_year, due_dates=None) -> periods.Cadence:
    count = 3 if reports_per_year is None else whole_number(reports_per_year,
                                                             "reports_per_year", blank=3)
    dates = None
    if due_dates is not None:
        # column_values refuses an error cell before "#N/A" could be read as text.
        cells = [cell for cell in column_values(due_dates, "due_dates")
                 if cell not in (None, "")]
        if len(cells) == 1 and isinstance(cells[0], str):
            dates = periods.parse_due_dates(cells[0])  # the Settings style: "16 Jun, 15 Sep"
        else:
            dates = tuple((d.month, d.day) for d in (to_date(c, "due_dates") for c in cells))
    return periods.Cadence(count, dates)


@func(category=CATEGORY)
@arg("on_date", doc="A date (a date cell or an Excel date number).")
@arg("reports_per_year", doc="Optional. Reports a year: 3 (default, tri-annual) or 4.")
@_worksheet_function
def LFI_PERIOD(on_date, reports_per_year=None):
    """The report period a date falls in, such as "2023-24 Q1" (financial year April-March; report k covers quarter k, the last report runs to 31 March). Example: LFI_PERIOD(DATE(2023,6,10)) = "2023-24 Q1"."""  # noqa: E501
    return _cadence(reports_per_year).period_of(to_date(on_date, "on_date")).label


@func(category=CATEGORY)
@arg("period", doc='A report period such as "2023-24 Q1".')
@arg("reports_per_year", doc="Optional. Reports a year: 3 (default) or 4.")
@arg("due_dates", doc='Optional. One date per report (only day and month count), or text '
     'such as "16 Jun, 15 Sep, 15 Dec".',
     **RANGE)
@_worksheet_function
def LFI_DUEDATE(period, reports_per_year=None, due_dates=None):
    """The date the report for a period is due with the DfE (format as a date). Defaults: 16 June, 15 September, 15 December (and 15 March with 4 a year). Example: LFI_DUEDATE("2023-24 Q2") = 15/09/2023."""  # noqa: E501
    cadence = _cadence(reports_per_year, due_dates)
    return serial(cadence.due_date(cadence.parse(text(period, "period"))))


@func(category=CATEGORY)
@arg("actual", doc="The actual or forecast value(s).", **RANGE)
@arg("target", doc="The target or plan value(s).", **RANGE)
@arg("tolerance", doc="Optional. Shortfall still amber, as a share of target (default 0.05).")
@arg("direction", doc='Optional. "lower" (default: lower is better) or "higher".')
@_worksheet_function
def LFI_RAG(actual, target, tolerance=None, direction=None):
    """RAG rating: "G" on or better than target, "A" short by no more than the tolerance (default 5%), "R" otherwise. Example: an in-year deficit of 26.0 against a plan of 25.149 is 3.4% over: LFI_RAG(26.0, 25.149) = "A"."""  # noqa: E501
    now, shape = numbers_of(actual, "actual", blank=float("nan"))
    goal, _ = numbers_of(target, "target", blank=float("nan"))
    same_length("LFI_RAG", ("actual", now), ("target", goal))
    rating = measures.rag(now, goal, number(tolerance, "tolerance", blank=0.05),
                          text(direction, "direction", default="lower"))
    first_blank("LFI_RAG: the actual value", "actual", now, NA)
    first_blank("LFI_RAG: the target value", "target", goal, NA)
    return shaped(rating, shape)


@func(category=CATEGORY)
@arg("snapshots", doc="The Snapshots table with its header row (the name Snapshots_Table).",
     **RANGE)
@arg("period", doc='A report period such as "2023-24 Q1".')
@arg("ref", doc="The KPI's master ref (1-46).")
@_worksheet_function
def LFI_SNAPSHOT(snapshots, period, ref):
    """The value a KPI had when its report period was frozen (from the Snapshots table). #N/A when the period is not frozen. Example: LFI_SNAPSHOT(Snapshots_Table, "2023-24 Q1", 16)."""  # noqa: E501
    table = grid(snapshots)
    header = [str(h).strip() if h is not None else "" for h in table[0]]
    columns = {}
    for name in ("Period", "Kind", "Key", "Value", "Status"):
        if name not in header:
            raise ExcelError(VALUE, f"LFI_SNAPSHOT: the snapshots range has no '{name}' "
                                    "column in its first row")
        cells = table[1:, header.index(name)]
        # the values as they are: an error frozen for another KPI (#N/A, n = 0) is that
        # KPI's value; an error where the table says which row is which is that error
        columns[name] = cells.tolist() if name == "Value" else column_values(cells, name)
    try:
        found = frozen.frozen_value(
            columns["Period"], columns["Kind"], columns["Key"], columns["Value"],
            columns["Status"], text(period, "period"), text(ref, "ref"), contract.SNAPSHOT_KPI)
    except frozen.NotFrozen as error:
        raise ExcelError(NA, f"LFI_SNAPSHOT: {error}") from None
    if isinstance(found, str) and found.strip().upper() in EXCEL_ERRORS:
        code = found.strip().upper()
        raise ExcelError(code, f"LFI_SNAPSHOT: KPI {text(ref, 'ref')} was frozen as {code}")
    return found


# --- LFI_FORECAST: the EHCP forecast (lfi_xl.core.forecast) --------------------------------

@func(category=CATEGORY)
@arg("years", doc="The January of each count, consecutive years, e.g. 2015..2025.", **RANGE)
@arg("counts", doc="EHC plans each January, the same length as years (at least 4).", **RANGE)
@arg("horizon", doc="Years ahead, 1 to 6.")
@arg("quantiles", doc="Optional. Quantiles between 0.05 and 0.95 (default 0.1, 0.5, 0.9).",
     **RANGE)
@_worksheet_function
def LFI_FORECAST(years, counts, horizon, quantiles=None):
    """EHCP forecast with calibrated bands, spilling a row per year: the year, then each quantile (default p10, p50, p90). Norfolk 2015-2025 (12,147 in 2025): =LFI_FORECAST(A2:A12, B2:B12, 1) gives 2026, 12,536, 13,493, 14,683.

    The bands are calibrated on every English LA's series as at January 2025
    (docs/forecast.md); lfi-xl forecast calibrates a series ending earlier as at its year.
    """  # noqa: E501
    year_values, _ = numbers_of(years, "years", blank=float("nan"))
    count_values, _ = numbers_of(counts, "counts", blank=float("nan"))
    same_length("LFI_FORECAST", ("years", year_values), ("counts", count_values))
    first_blank("LFI_FORECAST: the year", "years", year_values)
    first_blank("LFI_FORECAST: the count", "counts", count_values)
    if np.any(np.diff(year_values) != 1):
        raise ExcelError(VALUE, "LFI_FORECAST: the years must be consecutive, oldest first")
    steps = number(horizon, "horizon", blank=float("nan"))
    if not (1 <= steps <= ehcp_forecast.MAX_HORIZON and steps == int(steps)):
        raise ExcelError(NUM, "LFI_FORECAST: the horizon must be a whole number of years "
                              f"from 1 to {ehcp_forecast.MAX_HORIZON}")
    if omitted(quantiles):
        wanted = np.array(ehcp_forecast.DEFAULT_QUANTILES)
    else:
        wanted, _ = numbers_of(quantiles, "quantiles", blank=float("nan"))
        wanted = wanted[~np.isnan(wanted)]
        if not wanted.size or np.any((wanted < 0.05) | (wanted > 0.95)):
            raise ExcelError(NUM, "LFI_FORECAST: each quantile must be between 0.05 and 0.95")
    table = ehcp_forecast.forecast(count_values, int(steps), wanted)
    last = int(year_values[-1])
    return [[last + h, *map(float, row)] for h, row in enumerate(table, start=1)]


#: Every worksheet function, by its Excel name.
FUNCTIONS = {name: value for name, value in dict(globals()).items()
             if name.startswith(contract.FUNCTION_PREFIX) and callable(value)}
__all__ = [*FUNCTIONS, "ExcelError", "FUNCTIONS", "NUM"]
