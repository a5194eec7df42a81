"""One truth across the two workbooks: the checks every later step relies on, run first.

The current report's forecast is typed once, in the plan workbook's Forecast sheet (the
current year's column); the Monitoring sheet's current report column is a formula of it,
and the KPI workbook's Plan Data is a copy of it (``refresh``). These checks say where the
copies and the cached values disagree with what they come from. ``validate`` reports
them, ``freeze`` refuses on them, and ``extract`` and ``dfe-return`` run the same ones
(never a refusal of their own a user could not have seen at validate):

- :func:`plan_staleness`: the plan workbook's formula cells (totals, in-year, cumulative
  balances, the Monitoring sheet's columns and variances) against what the core computes
  from its lines: a cached value Excel or ``lfi-xl recalc`` has not updated;
- :func:`plan_data_agreement`: the KPI workbook's Plan Data for a report against the plan
  workbook's latest forecast for its year;
- :func:`kpi_signs`: KPI 11 (surplus positive) against KPI 16 (in-year, +deficit);
- :func:`monitoring_year`: report columns of the Monitoring sheet after the current report
  still holding figures (last year's, at a new year's first report).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lfi_xl import contract as c
from lfi_xl.book import tables
from lfi_xl.book.findings import ERROR, WARNING, Finding, Rule
from lfi_xl.book.kpi_values import plan_data_rows
from lfi_xl.book.settings import read_settings
from lfi_xl.book.snapshots import cell_formats, current_snapshots
from lfi_xl.book.source_file import workbook_path
from lfi_xl.core import plan as p
from lfi_xl.core.periods import Period, year_label
from lfi_xl.core.shown import as_shown
from lfi_xl.core.values import BadValue, to_number
from lfi_xl.errors import UnusableInput, quote_sheet

#: A cached figure this far (£m) from what its lines give is stale, not rounding (the
#: figures are typed to £1k; the core's sums are exact).
TOLERANCE = 0.0005

_RECALC_PLAN = "recalculate the plan workbook (lfi-xl recalc dsg_plan.xlsx, or F9 in Excel)"

#: Plan roles whose cells are computed from the lines, and the figure each shows.
_COMPUTED = {p.TOTAL_INCOME: "total_income", p.TOTAL_EXPENDITURE: "total_expenditure",
             p.IN_YEAR: "in_year", p.CUMULATIVE_BEFORE: "cumulative_before_sv",
             p.CUMULATIVE_AFTER: "cumulative_after_sv"}


def _number(value) -> float | None:
    """A cached value as a number (``nan`` blank), or ``None`` when it is not one."""
    try:
        return to_number(value)
    except BadValue:
        return None


def _formulas(source, sheet: str, cells: list[str]) -> set[str]:
    """Which of ``cells`` hold a formula (a typed figure is the user's, never stale)."""
    found = cell_formats(source, sheet, cells)
    return {cell for cell, value in found.items() if value is not None and value[0]}


def _differs(shown, expected: float) -> bool:
    number = _number(shown)
    if number is None or math.isnan(number):
        return not math.isnan(expected)
    return math.isnan(expected) or abs(number - expected) > TOLERANCE


def _shown(value) -> str:
    """A plan figure as its cell shows it (£m to 3 decimals), "blank" for none."""
    number = _number(value)
    return as_shown(None if number is not None and math.isnan(number) else
                    value if number is None else number, c.FORMAT_MILLIONS)


def plan_staleness(source) -> list[Finding]:
    """Every formula cell of the Plan, Forecast and Monitoring sheets whose cached value is
    not what the core computes from the typed lines."""
    findings: list[Finding] = []
    computed = {}
    for prefix in (c.PLAN_PREFIX, c.FORECAST_PREFIX):
        if source.area(f"{prefix}_Table") is None:
            continue
        try:
            table = tables.plan_table(source, prefix)
            result = p.compute_plan(tables.to_plan(source, table))
        except (UnusableInput, p.PlanError, ValueError):
            continue  # validate names the cells that keep it from being computed
        computed[prefix] = (table, result)
        rows = [row for row in table.rows if row.role in _COMPUTED]
        expected = {row.line_id: getattr(result, _COMPUTED[str(row.role)]) for row in rows}
        extra = {row.line_id: row for row in table.extra_rows}
        if "cumulative_after_received" in extra:
            received = tables.received(source, table)
            expected["cumulative_after_received"] = p.cumulative_balance(
                result.opening_balance, result.in_year,
                *(np.nan_to_num(received.get(key, np.zeros(len(table.years))))
                  for key in ("dfe_received", "la_received")))
            rows.append(extra["cumulative_after_received"])
        found: list[tuple[str, str, str]] = []   # cell, what it shows, its row's label
        for row in rows:
            formulas = _formulas(source, row.sheet, row.cells)
            if formulas and row.role not in (p.TOTAL_INCOME, p.TOTAL_EXPENDITURE, p.IN_YEAR):
                formulas = set(row.cells)  # a cumulative row: one array formula (LFI_CUMBAL)
            found += [(row.cells[k], f"{row.label} {table.years[k]} shows "
                                     f"{_shown(row.values[k])} but its lines give "
                                     f"{float(expected[row.line_id][k]):.3f}", row.label)
                      for k, (cell, value) in enumerate(zip(row.cells, row.values,
                                                            strict=True))
                      if cell in formulas and _differs(value,
                                                       float(expected[row.line_id][k]))]
        if found:  # one finding a sheet: the first cell, and how many more, where
            findings.append(Finding(ERROR, table.sheet, found[0][0], Rule.STALE,
                                    f"{found[0][1]}{_more(found, 'row')}: {_RECALC_PLAN}"))
    findings += _monitoring_staleness(source, computed)
    return findings


def _more(found: list[tuple[str, str, str]], where: str) -> str:
    """" (and 16 more cells in the rows Total income, In-year)": the rest of a sheet's
    stale cells, told once with the rows (or columns) they are in."""
    if len(found) < 2:
        return ""
    places = list(dict.fromkeys(place for _, _, place in found))
    named = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
    return (f" (and {len(found) - 1} more cell(s) in the {where}"
            f"{'' if len(places) == 1 else 's'} {named})")


def _monitoring_staleness(source, computed: dict) -> list[Finding]:
    """The Monitoring sheet's formula cells: the plan column (the Plan sheet's current
    year), the current report's column (the Forecast sheet's), totals, in-year and
    variances (from the column's own lines)."""
    area = source.area(c.MONITORING_TABLE)
    if area is None or c.PLAN_PREFIX not in computed or (
            source.area(c.FORECAST_TABLE) is not None and c.FORECAST_PREFIX not in computed):
        return []  # a plan or forecast that cannot be computed: validate names its cells
    year = read_settings(source).current_year
    values = source.values(area)
    header = [str(v or "").strip() for v in values[0]]
    plan_table = computed[c.PLAN_PREFIX][0]
    forecast = computed.get(c.FORECAST_PREFIX, (None,))[0]
    by_label = {row.label: row for row in plan_table.rows}
    forecast_rows = {row.line_id: row for row in forecast.rows} if forecast else {}
    width = len(c.MONITORING_COLUMNS)
    cells = [area.cell(r, k) for r in range(1, len(values)) for k in range(1, 2 * width)]
    written = cell_formats(source, area.sheet, cells)
    formulas = {cell for cell, value in written.items() if value is not None and value[0]}
    # a column started before the forecast formula kept untyped lines blank shows them
    # as INDEX does, 0, until the next start-period writes the formula anew
    bare_index = {cell for cell, value in written.items()
                  if value is not None and value[0].upper().startswith("INDEX(")}
    findings: list[Finding] = []

    def year_value(row, table, empty: float):
        """What the Monitoring formula gives of the line's cell for the year: the plan
        column's INDEX gives 0 for an empty cell (as in Excel); the forecast column's
        formula keeps a line not typed yet blank (``empty``)."""
        if table is None or row is None or year not in table.years:
            return math.nan
        value = row.values[table.years.index(year)]
        return empty if value is None else _number(value)

    found: list[tuple[str, str, str]] = []   # cell, what it shows, its column's header
    lines = {r: by_label[str(values[r][0] or "").strip()] for r in range(1, len(values))
             if str(values[r][0] or "").strip() in by_label}
    for k in range(1, width + 1):
        want: dict[int, float | None] = {}
        for r, line in lines.items():
            if k == 1:
                want[r] = year_value(line, plan_table, 0.0)  # INDEX of the Plan sheet
            elif line.role in (p.INCOME, p.EXPENDITURE):
                cell = area.cell(r, k)
                want[r] = (year_value(forecast_rows.get(line.line_id), forecast,
                                      0.0 if cell in bare_index else math.nan)
                           if cell in formulas else _number(values[r][k]))
        if k > 1:
            sums = {}
            for role, total_role in ((p.INCOME, p.TOTAL_INCOME),
                                     (p.EXPENDITURE, p.TOTAL_EXPENDITURE)):
                given = [want[r] for r, line in lines.items() if line.role == role]
                terms = [t for t in given if t is not None and not math.isnan(t)]
                complete = bool(given) and len(terms) == len(given)
                sums[total_role] = math.fsum(terms) if complete else math.nan
            sums[p.IN_YEAR] = sums[p.TOTAL_INCOME] + sums[p.TOTAL_EXPENDITURE]
            want |= {r: sums[line.role] for r, line in lines.items() if line.role in sums}
        stale, variances = [], []
        for r, line in lines.items():
            cell, shown = area.cell(r, k), values[r][k]
            expected = want.get(r)
            if expected is not None and cell in formulas and _differs(shown, expected):
                source_of = ("the Plan sheet's" if k == 1 else "the Forecast sheet's"
                             if line.role in (p.INCOME, p.EXPENDITURE) else "its lines'")
                stale.append((cell, f"Monitoring {header[k]}, {line.label}: shows "
                                    f"{_shown(shown)} but {source_of} {year} figure is "
                                    f"{_shown(expected)}"))
            variance = k + width - 1
            if k == 1 or variance >= len(values[r]):
                continue
            plan_value, value = _number(values[r][1]), _number(shown)
            expected = (math.nan if value is None or plan_value is None or math.isnan(value)
                        else value - plan_value)
            cell = area.cell(r, variance)
            if cell in formulas and _differs(values[r][variance], expected):
                variances.append((cell, f"Monitoring {header[variance]}, {line.label}: shows "
                                        f"{_shown(values[r][variance])} but {header[k]} less "
                                        f"plan is {_shown(expected)}"))
        found += [(cell, text, header[k]) for cell, text in stale]
        found += [(cell, text, header[k + width - 1]) for cell, text in variances]
    if found:  # one finding for the sheet: the first cell, and how many more, where
        findings.append(Finding(ERROR, area.sheet, found[0][0], Rule.STALE,
                                f"{found[0][1]}{_more(found, 'column')}: {_RECALC_PLAN}"))
    return findings


def monitoring_year(source) -> list[Finding]:
    """Report columns after the current report that hold figures: at a year's first
    report, last year's; and a current report column typed over (the forecast is typed in
    the Forecast sheet, which it shows)."""
    area = source.area(c.MONITORING_TABLE)
    if area is None:
        return []
    settings = read_settings(source)
    period = settings.current_period
    values = source.values(area)
    header = [str(v or "").strip() for v in values[0]]
    current = c.monitoring_report_header(period.report)
    later = [k for k, name in enumerate(header) if name in c.MONITORING_COLUMNS[1:]
             and c.MONITORING_COLUMNS.index(name) > c.MONITORING_COLUMNS.index(current)]
    findings = []
    for k in later:
        typed = [r for r in range(1, len(values)) if values[r][k] not in (None, "")]
        inputs = set(_inputs(source, area, values, k))
        typed = [r for r in typed if area.cell(r, k) in inputs]
        if typed:
            findings.append(Finding(
                WARNING, area.sheet, area.cell(typed[0], k), Rule.NEW_YEAR,
                f"Monitoring {header[k]} holds {len(typed)} figure(s) though the current "
                f"report is {period.label} ({settings.current_year}): last year's? Clear "
                f"them (lfi-xl start-period clears them when a year's first report starts)"))
    if current in header:
        k = header.index(current)
        cells = _inputs(source, area, values, k, lines_only=True)
        if cells:
            findings.append(Finding(
                WARNING, area.sheet, cells[0], Rule.TYPED_ONCE,
                f"Monitoring {current} ({period.label}, the current report) is typed in "
                f"{len(cells)} cell(s): type the forecast in the {c.FORECAST} sheet's "
                f"{settings.current_year} column; this column shows it "
                f"(restore {c.monitoring_forecast_formula('<line>')})"))
    return findings


def _inputs(source, area, values, k: int, lines_only: bool = False) -> list[str]:
    """The cells of Monitoring column ``k`` that hold a typed value, not a formula."""
    cells = [area.cell(r, k) for r in range(1, len(values))
             if values[r][k] not in (None, "") or lines_only]
    formulas = _formulas(source, area.sheet, cells)
    typed = [cell for r, cell in zip(range(1, len(values)), cells, strict=False)
             if cell not in formulas]
    if lines_only:
        labels = {row.label for row in tables.plan_table(source, c.PLAN_PREFIX).rows
                  if row.role in (p.INCOME, p.EXPENDITURE)}
        typed = [area.cell(r, k) for r in range(1, len(values))
                 if str(values[r][0] or "").strip() in labels and area.cell(r, k) not in formulas
                 and values[r][k] not in (None, "")]
    return typed


def kpi_signs(book, reported: dict[Period, int]) -> list[Finding]:
    """KPI 11 (HNB surplus/deficit, the DfE's: surplus positive) is -KPI 16 (in-year,
    +deficit). Typing the same figure in both says two things."""
    if 11 not in book.kpis or 16 not in book.kpis:
        return []
    findings = []
    eleven, sixteen = book.kpis[11], book.kpis[16]
    for label, column in reported.items():
        a, b = (_number(row.values[column]) if column < len(row.values) else None
                for row in (eleven, sixteen))
        if a is None or b is None or math.isnan(a) or math.isnan(b):
            continue
        if abs(a + b) > TOLERANCE:
            findings.append(Finding(
                ERROR, eleven.area.sheet, eleven.area.cell(0, column), Rule.SIGN,
                f"KPI 11 {label} is {a:.3f} and KPI 16 is {b:.3f}: KPI 11 (HNB surplus/"
                f"deficit) counts a surplus positive, KPI 16 (in-year) a deficit positive, "
                f"so KPI 11 must be -KPI 16 ({-b + 0.0:.3f})"))
    return findings


def recorded_plan_path(book, kpi_source) -> Path | None:
    """The plan workbook Settings record (the last refresh's), when it is there."""
    recorded = book.settings.plan_workbook
    if not recorded:
        return None
    path = Path(recorded)
    if not path.is_absolute():
        beside = workbook_path(kpi_source)
        path = (beside.parent if beside else Path.cwd()) / path
    return path if path.is_file() else None


def forecast_figures(plan_source, year: str, method: str) -> dict[str, float] | None:
    """The Plan Data figures the plan workbook's latest forecast (or its plan, when it
    keeps no forecast) gives for ``year``; ``None`` when it cannot be computed."""
    prefix = c.FORECAST_PREFIX if plan_source.area(c.FORECAST_TABLE) is not None else (
        c.PLAN_PREFIX)
    try:
        result = p.compute_plan(tables.read_plan_from(plan_source, prefix), method)
    except (UnusableInput, p.PlanError, ValueError):
        return None
    if year not in result.years:
        return None
    index = result.years.index(year)
    return {key: float(values[index]) for key, values in plan_data_rows(result).items()}


def plan_data_agreement(book, plan_source, period: Period | None = None,
                        any_period: bool = False) -> list[Finding]:
    """The KPI workbook's Plan Data for ``period`` (default: the current report) against
    the plan workbook's latest forecast for its year: what refresh would bring in. An
    earlier report's Plan Data holds the forecast as it stood then, so it is compared only
    when ``any_period`` (a paper that would print today's forecast beside it)."""
    if not book.plan_data:
        return []
    settings = book.settings
    period = period or settings.current_period
    if period.label not in book.period_labels or (
            period != settings.current_period and not any_period):
        return []
    year = year_label(period.year, "/")
    expected = forecast_figures(plan_source, year, settings.funding_gap_method)
    if expected is None:
        return []
    frozen = period.label in current_snapshots(book.snapshots[1])
    column = book.column_of(period)
    findings = []
    for key, row in book.plan_data.items():
        shown = row.values[column] if column < len(row.values) else None
        want = expected.get(key)
        if want is None or not _differs(shown, want):
            continue
        fix = (f"the forecast has moved on since {period} was reported, and its paper would "
               "print today's forecast beside that report's figures: build it from the plan "
               "workbook as it was then (the DSG plan copy sent with that report's DfE "
               "return)" if period != settings.current_period else
               f"{period} is frozen: correct it by freezing it again, superseding its "
               "snapshot with a reason (lfi-xl freeze, or Freeze period snapshot in Excel: "
               "it brings the forecast in and recalculates first)" if frozen else
               "bring it in: refresh Plan Data from the plan workbook (lfi-xl refresh, or "
               "Refresh in Excel), then recalculate (lfi-xl recalc, or F9)")
        findings.append(Finding(
            ERROR, row.area.sheet, row.area.cell(0, column), Rule.PLAN_DATA,
            f"Plan Data's {book.plan_data_label(key)} for {period} is {_shown(shown)} but "
            f"the plan workbook's latest forecast for {year} gives {want:.3f}: {fix}"))
    return findings


def pair_findings(book, plan_source, period: Period | None = None,
                  any_period: bool = False) -> list[Finding]:
    """What a later step would refuse about the two workbooks together: the plan
    workbook's stale cached values and Plan Data against the forecast."""
    return plan_staleness(plan_source) + plan_data_agreement(book, plan_source, period,
                                                             any_period)


def first_error(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.severity == ERROR), None)


def refusal(findings: list[Finding], what: str) -> str | None:
    """The message a step refuses with, the same as validate showed: ``None`` if none."""
    errors = [f for f in findings if f.severity == ERROR]
    if not errors:
        return None
    first = errors[0]
    more = (f" (and {len(errors) - 1} more: lfi-xl validate, or Validate entries in Excel, "
            "lists them)" if len(errors) > 1 else "")
    return (f"{quote_sheet(first.sheet)}!{first.cell}: {first.message}{more}: {what} would "
            "not agree with it")
