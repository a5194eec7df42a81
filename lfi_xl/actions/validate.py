"""Validate entries: every rule, one finding per bad cell, through any adapter.

Severity: *error* must be fixed (freezing refuses while there is one), *warning* should be
looked at, *info* is for the record (for example a printed total that differs from its
terms only by rounding). Each finding names the sheet and cell.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lfi_xl import contract as c
from lfi_xl.book import tables
from lfi_xl.book.area import Area
from lfi_xl.book.discover import Discovering
from lfi_xl.book.findings import ERROR, INFO, WARNING, Finding, Rule
from lfi_xl.book.kpi_book import KpiBook, is_error
from lfi_xl.book.kpi_values import calculated_kpis, no_placements, placement_counts
from lfi_xl.book.settings import read_settings
from lfi_xl.book.snapshots import cell_formats
from lfi_xl.book.workbook import Workbook
from lfi_xl.core import plan as p
from lfi_xl.core.cells import ExcelError, serial
from lfi_xl.core.costs import distinct, matches_any
from lfi_xl.core.periods import Period, PeriodError, year_label
from lfi_xl.core.reconcile import ERROR as RECONCILE_ERROR
from lfi_xl.core.reconcile import reconcile
from lfi_xl.core.shown import as_shown, as_shown_apart
from lfi_xl.core.shown import label as key_label
from lfi_xl.core.values import MAX_MAGNITUDE, BadValue, describe, fast_numbers, to_number
from lfi_xl.errors import UnusableInput
from lfi_xl.progress import step

#: At most this many findings of one rule in one column are listed; the rest are counted.
MAX_PER_COLUMN = 20
#: A cached KPI value this close to the recomputed one is current, not stale.
_STALE_TOLERANCE = 1e-6


class Findings(list):
    """Findings, capped per (rule, sheet, column) so a broken column stays readable."""

    def __init__(self):
        super().__init__()
        self._counts: Counter = Counter()

    def add_cell(self, severity: str, sheet: str, cell: str, rule: Rule, message: str,
                 period: Period | None = None) -> None:
        key = (rule, sheet, "".join(ch for ch in cell if ch.isalpha()))
        self._counts[key] += 1
        if self._counts[key] <= MAX_PER_COLUMN:
            self.append(Finding(severity, sheet, cell, rule, message, period))

    def add(self, severity: str, area: Area | None, row: int, column: int, rule: Rule,
            message: str, sheet: str = "", period: Period | None = None) -> None:
        """A finding at ``area``'s cell (row, column offsets), or on a whole sheet."""
        self.add_cell(severity, area.sheet if area is not None else sheet,
                      area.cell(row, column) if area is not None else "", rule, message,
                      period)

    def add_rows(self, severity: str, area: Area, rows, column: int, rule: Rule,
                 message: str | Callable[[int], str]) -> None:
        """A finding at each of ``rows`` (offsets, in order) in one column of ``area``:
        the same as :meth:`add` for each, but the text of a finding past the cap is never
        made (``message(row)`` gives it, or one text for all)."""
        rows = [int(row) for row in rows]
        if not rows:
            return
        cell = area.cell(rows[0], column)
        key = (rule, area.sheet, "".join(ch for ch in cell if ch.isalpha()))
        room = max(0, MAX_PER_COLUMN - self._counts[key])
        self._counts[key] += len(rows)
        for row in rows[:room]:
            self.append(Finding(severity, area.sheet, area.cell(row, column), rule,
                                message(row) if callable(message) else message))

    def close(self) -> list[Finding]:
        """The findings, plus one line per column whose list was cut short."""
        out = list(self)
        for (rule, sheet, column), count in self._counts.items():
            if count > MAX_PER_COLUMN:
                out.append(Finding(ERROR if any(f.rule == rule and f.severity == ERROR
                                                for f in self) else WARNING, sheet,
                                   f"{column}:{column}", rule,
                                   f"{count - MAX_PER_COLUMN} more cell(s) in column {column} "
                                   f"break the same rule"))
        return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(findings: Findings, area: Area, row: int, column: int, value, expected: str,
            rule: Rule = Rule.NUMBER) -> float | None:
    """The cell as a float (``nan`` blank), or ``None`` after recording the finding."""
    try:
        return to_number(value, expected)
    except BadValue as error:
        findings.add(ERROR, area, row, column, rule, _sentence(str(error)))
        return None


# ---------------------------------------------------------------------------- plan book
def _plan_checks(workbook: Workbook, findings: Findings, prefix: str) -> tables.PlanTable | None:
    try:
        table = tables.plan_table(workbook, prefix)
    except UnusableInput as error:
        findings.append(Finding(ERROR, prefix, "", Rule.TABLE, str(error)))
        return None
    bad_years: set[int] = set()  # years with a cell that is not a number: not reconciled
    values: dict[str, list[float]] = {}
    for row in table.rows:
        if row.role is None:
            findings.add_cell(ERROR, row.sheet, row.kind_cell, Rule.LINE,
                              "'Counts as' must be one of: "
                              + ", ".join(c.PLAN_ROLE_LABELS.values()))
        values[row.line_id] = []
        for k, (cell, value) in enumerate(zip(row.cells, row.values, strict=True)):
            try:
                number = to_number(value, "a number in £m")
            except BadValue as error:
                findings.add_cell(ERROR, row.sheet, cell, Rule.NUMBER, _sentence(str(error)))
                bad_years.add(k)
                number = math.nan
            values[row.line_id].append(number)
            if math.isnan(number):
                continue
            if row.role in (p.INCOME, p.DFE, p.LA) and number > 0:
                findings.add_cell(ERROR, row.sheet, cell, Rule.SIGN,
                                  f"{row.label} {table.years[k]}: income and contributions are "
                                  f"negative in the plan, found +{number:.3f}")
            elif row.role == p.EXPENDITURE and number < 0:
                findings.add_cell(WARNING, row.sheet, cell, Rule.SIGN,
                                  f"{row.label} {table.years[k]}: expenditure is positive in "
                                  f"the plan, found {number:.3f} (a recoupment?)")
    for row in table.extra_rows:
        if row.line_id == "cumulative_after_received":
            continue
        for cell, value in zip(row.cells, row.values, strict=True):
            try:
                to_number(value, "a number in £m")
            except BadValue as error:
                findings.add_cell(ERROR, row.sheet, cell, Rule.NUMBER, _sentence(str(error)))
    opening = math.nan
    if table.opening_cell:
        try:
            opening = to_number(table.opening, "a number in £m")
        except BadValue as error:
            findings.add_cell(ERROR, table.sheet, table.opening_cell, Rule.NUMBER,
                              _sentence(str(error)))
        if math.isnan(opening):
            findings.add_cell(WARNING, table.sheet, table.opening_cell, Rule.OPENING,
                              "No opening balance: it is derived from the printed cumulative "
                              "balance, or taken as 0")
    plan = p.Plan(table.years, tuple(
        p.PlanLine(row.line_id, row.label, row.role, np.array(values[row.line_id]), row.kind)
        for row in table.rows if row.role is not None),
        None if math.isnan(opening) else opening)
    rows = {row.line_id: row for row in table.rows}
    for difference in reconcile(plan):
        year = table.years.index(difference.year)
        row = rows[difference.line_id]
        # A cumulative carries every earlier year: skip it from the first bad year on.
        carried = row.role in (p.CUMULATIVE_BEFORE, p.CUMULATIVE_AFTER)
        if year in bad_years or (carried and any(k <= year for k in bad_years)):
            continue
        findings.add_cell(ERROR if difference.kind == RECONCILE_ERROR else INFO, row.sheet,
                          row.cells[year],
                          Rule.TOTAL if difference.kind == RECONCILE_ERROR else Rule.ROUNDING,
                          difference.message())
    return table


def _contributions(workbook: Workbook, findings: Findings, plan: tables.PlanTable,
                   forecast: tables.PlanTable, current_year: str, report: Period,
                   reports_per_year: int) -> None:
    """Money received against the agreed profile, for the years up to the current one."""
    try:
        received = tables.received(workbook, forecast)
        agreed = tables.to_plan(workbook, plan)
    except UnusableInput:
        return  # the cells at fault are already findings
    rows = {row.line_id: row for row in forecast.extra_rows}
    for line_id, role, who in (("dfe_received", p.DFE, "DfE"),
                               ("la_received", p.LA, "council")):
        if line_id not in received:
            continue
        profile = p.total(agreed.with_role(role), len(agreed.years))
        for k, year in enumerate(forecast.years):
            if year > current_year or year not in agreed.years:
                continue
            got = received[line_id][k]
            agreed_value = profile[agreed.years.index(year)]
            expected, share = due_by_report(agreed_value, year, current_year, report,
                                            reports_per_year)
            got_value = 0.0 if math.isnan(got) else got
            # the year's money arrives in instalments: only what is due by now is owed
            short = (got_value - expected > 0.0005) if year == current_year else (
                abs(got_value - expected) > 0.0005)
            if short:
                findings.add_cell(WARNING, forecast.sheet, rows[line_id].cells[k],
                                  Rule.CONTRIBUTION,
                                  f"{who} {year}: agreed {-agreed_value + 0.0:.3f}, due by "
                                  f"{report} {-expected + 0.0:.3f} ({share}), received "
                                  f"{-got_value + 0.0:.3f} (£m)")


def due_by_report(agreed: float, year: str, current_year: str, report: Period,
                  reports_per_year: int) -> tuple[float, str]:
    """What of a year's agreed contribution is due by ``report``: the DfE pays in equal
    instalments, one after each report of the year, so at the year's r-th report (r - 1)
    of them have been paid; an earlier year's is due in full."""
    if year != current_year:
        return agreed, "the whole year's"
    paid = report.report - 1
    return agreed * paid / reports_per_year, (
        f"{paid} of {reports_per_year} instalments, one paid after each report")


def validate_plan_book(workbook: Workbook) -> list[Finding]:
    findings = Findings()
    settings = read_settings(workbook)
    findings.extend(settings.findings)
    plan = _plan_checks(workbook, findings, c.PLAN_PREFIX)
    forecast = _plan_checks(workbook, findings, c.FORECAST_PREFIX) if workbook.area(
        c.FORECAST_TABLE) else None
    if plan is not None and forecast is not None:
        _contributions(workbook, findings, plan, forecast, settings.current_year,
                       settings.current_period, settings.cadence.reports_per_year)
    _outside_tables(workbook, findings, _PLAN_TABLES)
    area = workbook.area(c.MONITORING_TABLE)
    if area is not None:
        values = workbook.values(area)
        for r, row in enumerate(values[1:], start=1):
            for k, value in enumerate(row[1:len(c.MONITORING_COLUMNS) + 1], start=1):
                _number(findings, area, r, k, value, "a number in £m")
        if plan is not None:
            _monitoring_missing(workbook, findings, area, values, plan, forecast, settings)
    _current_and_stale(workbook, findings)
    return findings.close()


def _current_and_stale(workbook: Workbook, findings: Findings) -> None:
    """The cached values the core recomputes (a stale cell replaces the printed-total
    finding at the same cell: it is the same disagreement, and recalculating fixes it),
    and the Monitoring columns of the year (see :mod:`consistency`)."""
    from lfi_xl.actions import consistency

    stale = consistency.plan_staleness(workbook)
    cells = {(f.sheet, f.cell) for f in stale}
    findings[:] = [f for f in findings if not (f.rule in (Rule.TOTAL, Rule.ROUNDING)
                                               and (f.sheet, f.cell) in cells)]
    findings.extend(stale + consistency.monitoring_year(workbook))


def _monitoring_missing(workbook: Workbook, findings: Findings, area: Area,
                        values: list[list], plan: tables.PlanTable,
                        forecast: tables.PlanTable | None, settings) -> None:
    """The current report's forecast, line by line: each income or expenditure line whose
    forecast is not in, told once for all of them. The Monitoring column shows the
    Forecast sheet's figures, so a line missing there is named in the Forecast sheet; a
    Monitoring cell typed blank (its formula gone) is named where it is. A cell blank only
    because it is not recalculated is stale, and said so (see :mod:`consistency`)."""
    period = settings.current_period
    header = [str(v or "").strip() for v in values[0]]
    wanted = f"Q{period.report} forecast"
    column = header.index(wanted) if wanted in header else (
        header.index(c.MONITORING_COLUMNS[-1]) if c.MONITORING_COLUMNS[-1] in header else None)
    if column is None:
        return
    inputs = {row.label for row in plan.rows if row.role in (p.INCOME, p.EXPENDITURE)}
    rows = [r for r in range(1, len(values)) if values[r][0] in inputs]
    formulas = {cell for cell, found in cell_formats(
        workbook, area.sheet, [area.cell(r, column) for r in rows]).items()
        if found is not None and found[0]}
    year = settings.current_year
    figures: dict[str, tuple[str, object]] = {}   # line label -> (Forecast cell, value)
    if forecast is not None and year in forecast.years:
        k = forecast.years.index(year)
        figures = {row.label: (row.cells[k], row.values[k]) for row in forecast.rows}
    typed_blank, not_forecast = [], []
    for r in rows:
        label = values[r][0]
        cell = area.cell(r, column)
        if cell in formulas and label in figures:
            if figures[label][1] in (None, ""):
                not_forecast.append(label)
        elif values[r][column] in (None, ""):
            typed_blank.append((r, label))
    if not_forecast:
        first = next(cell for label, (cell, _) in figures.items() if label == not_forecast[0])
        findings.add_cell(WARNING, forecast.sheet if forecast else area.sheet, first,
                          Rule.MISSING,
                          f"{_lines(not_forecast)}: no forecast for {year} typed in the "
                          f"{c.FORECAST} sheet for {period} (the current report); the "
                          f"Monitoring sheet's {header[column]} column shows "
                          f"{'them' if len(not_forecast) > 1 else 'it'} once typed",
                          period)
    if typed_blank:
        findings.add(WARNING, area, typed_blank[0][0], column, Rule.MISSING,
                     f"{_lines([label for _, label in typed_blank])}: no {header[column]} "
                     f"for {period} (the current report); the totals and variances stay "
                     f"blank until {'they are' if len(typed_blank) > 1 else 'it is'} in",
                     period=period)


def _lines(labels: list[str], shown: int = 3) -> str:
    """Plan lines by label, the first few named and the rest counted."""
    if len(labels) <= shown:
        return labels[0] if len(labels) == 1 else (", ".join(labels[:-1]) + " and "
                                                   + labels[-1])
    return f"{', '.join(labels[:shown])} and {len(labels) - shown} more line(s)"


# ---------------------------------------------------------------------------- KPI book
def _period_columns(book: KpiBook, findings: Findings) -> dict[Period, int]:
    """Report columns up to the current period: period -> column index."""
    settings = book.settings
    labels = book.period_labels
    reported = [period.label for period in settings.reported()]
    absent = [label for label in reported if label not in labels]
    if absent:
        findings.append(Finding(ERROR, c.KPI_SHEET, "", Rule.PERIODS,
                                f"No KPI column for the report(s) {', '.join(absent)} (up to "
                                f"the current period in Settings); found "
                                f"{', '.join(label for label in labels[:4] if label)} ..."))
    present = []
    for label in labels:
        try:
            present.append(settings.cadence.parse(label))
        except PeriodError:
            pass  # not a report column
    if present != sorted(present):
        # every sheet is read by its headers' labels, so order is for the eye only: a
        # report added to a year (start-period, after four reports a year) comes last
        late = next(b for a, b in zip(present, present[1:], strict=False) if b < a)
        findings.append(Finding(INFO, c.KPI_SHEET, "", Rule.PERIODS,
                                f"The report columns are not in date order ({late.label} "
                                "stands after later reports): lfi-xl reads each by its "
                                "label, so nothing is wrong; move it in Excel if you like"))
    return {period: labels.index(period.label) for period in settings.reported()
            if period.label in labels}


def _kpi_inputs(book: KpiBook, findings: Findings, reported: dict[Period, int]) -> None:
    settings = book.settings
    calculated = c.CALCULATED_KPIS if book.computes_kpis else frozenset()
    by_year: dict[tuple[int, int], list[Period]] = {}
    for ref, row in book.kpis.items():
        kpi = c.KPI_BY_REF[ref]
        if book.baselines is not None:
            baseline = book.baselines.values[ref - 1]
            if baseline in (None, ""):
                findings.add(ERROR, book.baselines.area, ref - 1, 0, Rule.BASELINE,
                             f"KPI {ref} ({kpi.measure}): no baseline")
            else:
                _number(findings, book.baselines.area, ref - 1, 0, baseline, "a number")
        if ref in calculated:
            continue
        for period, column in reported.items():
            number = _number(findings, row.area, 0, column, row.values[column], "a number")
            if number is not None and not math.isnan(number):
                by_year.setdefault((ref, period.year), []).append(period)
            elif number is not None and kpi.termly:
                findings.add(ERROR, row.area, 0, column, Rule.MISSING,
                             f"KPI {ref} ({kpi.measure}) is termly: no value for {period}")
        if not kpi.termly:
            for year in sorted({period.year for period in reported}):
                if (ref, year) not in by_year and _year_complete(settings, year):
                    first = next(col for period, col in reported.items()
                                 if period.year == year)
                    findings.add(ERROR, row.area, 0, first, Rule.MISSING,
                                 f"KPI {ref} ({kpi.measure}) is annual: no value in "
                                 f"{year_label(year)}")


def _year_complete(settings, year: int) -> bool:
    """An annual KPI is due once a year's first report has been made."""
    return any(period.year == year for period in settings.reported())


def _calculated(book: KpiBook, findings: Findings, reported: dict[Period, int]) -> None:
    """Calculated KPIs: errors explained by the inputs at fault, stale cached values
    caught (the KPIs not calculated since their period started told once, together),
    n = 0 averages."""
    # each calculated KPI cell's formula and format, one read of each sheet for every period
    by_sheet: dict[str, list[str]] = {}
    for ref in sorted(c.CALCULATED_KPIS & book.kpis.keys()):
        area = book.kpis[ref].area
        by_sheet.setdefault(area.sheet, []).extend(area.cell(0, column)
                                                   for column in reported.values())
    cells = {(sheet, cell): found for sheet, addresses in by_sheet.items()
             for cell, found in cell_formats(book.workbook, sheet, addresses).items()}
    plan_data_sheets = {row.area.sheet for row in book.plan_data.values()}
    for period, column in reported.items():
        try:
            inputs = book.kpi_inputs(period)
            expected = calculated_kpis(inputs)
            counts = placement_counts(inputs)
        except (UnusableInput, BadValue, ValueError) as error:
            if any(f.period == period and f.rule in (Rule.MISSING, Rule.NUMBER)
                   and f.sheet in plan_data_sheets for f in findings):
                continue  # the Plan Data cells at fault are listed; the KPIs wait for them
            reason = str(error).removeprefix(f"{book.label}: ")
            findings.append(Finding(ERROR, c.KPI_SHEET, "", Rule.INPUTS,
                                    f"{period}: the calculated KPIs cannot be checked: "
                                    f"{reason}", period))
            continue
        rows = {ref: book.kpis[ref] for ref in expected if ref in book.kpis}
        not_calculated: list[int] = []   # blank though a formula stands there
        never_started: list[int] = []    # blank with no formula: the period was not started
        formula_gone: list[int] = []     # blank with no formula in a started column
        started = any((cells.get((row.area.sheet, row.area.cell(0, column))) or ("?",))[0]
                      for row in rows.values())
        for ref, value in expected.items():
            if ref not in rows:
                continue
            row = rows[ref]
            cell = row.area.cell(0, column)
            formula, code = cells.get((row.area.sheet, cell)) or ("?", "General")
            shown = row.values[column]
            if no_placements(shown, counts.get(ref)):
                continue  # n = 0: the average of no placements is "no data" (#N/A)
            blank = shown is None or (isinstance(shown, str) and not shown.strip())
            if blank and not started:
                never_started.append(ref)   # no formula in the column: never started
                continue
            if blank and (not isinstance(value, ExcelError) or ref in counts):
                (not_calculated if formula else formula_gone).append(ref)
                continue
            if isinstance(value, ExcelError) and (
                    blank or str(shown).strip().upper() == value.code):
                findings.add(ERROR, row.area, 0, column, Rule.ERROR,
                             f"KPI {ref} for {period} "
                             + (f"shows {value.code}" if not blank else
                                f"cannot be calculated ({value.code})")
                             + f": {value.reason}")
                continue
            if isinstance(value, ExcelError) and is_error(shown):
                findings.add(ERROR, row.area, 0, column, Rule.STALE,
                             f"KPI {ref} for {period} shows {str(shown).strip()}{_typed(formula)}"
                             f" but its inputs now give {value.code} ({value.reason}): "
                             f"{_fix(formula)}")
                continue
            if is_error(shown):
                findings.add(ERROR, row.area, 0, column, Rule.STALE,
                             f"KPI {ref} for {period} shows {str(shown).strip()}{_typed(formula)}"
                             f" but its inputs give {as_shown(value, code)}: {_fix(formula)}")
                continue
            if ref in counts and counts[ref] == 0:
                findings.add(ERROR, row.area, 0, column, Rule.NO_PLACEMENTS,
                             f"KPI {ref} for {period}: an average with no placements behind it "
                             f"(n = 0) shows {as_shown(shown, code)}; its formula gives #N/A "
                             "(no placements): restore the formula and recalculate (F9 in "
                             "Excel, or lfi-xl recalc)")
                continue
            if isinstance(value, ExcelError):
                findings.add(ERROR, row.area, 0, column, Rule.ERROR,
                             f"KPI {ref} for {period} shows {as_shown(shown, code)} but its "
                             f"formula gives {value.code}: {value.reason}")
                continue
            try:
                number = to_number(shown)
            except BadValue as error:
                findings.add(ERROR, row.area, 0, column, Rule.NUMBER, _sentence(str(error)))
                continue
            if math.isnan(number) or abs(number - value) > _STALE_TOLERANCE * max(
                    1.0, abs(value)):
                now, then = as_shown_apart(number, value, code)
                findings.add(ERROR, row.area, 0, column, Rule.STALE,
                             f"KPI {ref} for {period} shows {now}{_typed(formula)} but its "
                             f"inputs give {then}: {_fix(formula)}")
        for ref in formula_gone:  # typed over or cleared: the period was started
            value = expected[ref]
            code = (cells.get((rows[ref].area.sheet, rows[ref].area.cell(0, column)))
                    or ("", "General"))[1]
            gives = value.code if isinstance(value, ExcelError) else as_shown(value, code)
            findings.add(ERROR, rows[ref].area, 0, column, Rule.STALE,
                         f"KPI {ref} for {period} is blank and its formula is gone (its "
                         f"inputs give {gives}): {_fix('')}", period=period)
        for refs, in_place in ((not_calculated, True), (never_started, False)):
            if not refs:
                continue
            refs = sorted(refs, key=lambda ref: rows[ref].area.min_row)
            one = len(refs) == 1
            why = (f"{'its formula is' if one else 'their formulas are'} in place but not "
                   f"calculated yet: {_RECALCULATE}" if in_place else
                   "the column has no formulas: the period was never started (Settings' "
                   "current period was moved on by hand?): set Settings' current period "
                   f"back to {book.settings.cadence.previous(period)} in both workbooks, "
                   f"then start {period} (lfi-xl start-period, or Start next period)")
            first, last = (rows[ref].area.cell(0, column) for ref in (refs[0], refs[-1]))
            findings.append(Finding(
                ERROR, rows[refs[0]].area.sheet, first if first == last else f"{first}:{last}",
                Rule.STALE, f"{_kpi_list(refs)} for {period} {'is' if one else 'are'} blank: "
                            f"{why}", period))


#: What a stale calculated value needs, in both shells' words.
_RECALCULATE = "recalculate (F9 in Excel, or lfi-xl recalc)"


def _typed(formula: str) -> str:
    """Said of a calculated KPI's cell holding no formula: a figure typed over it."""
    return "" if formula else ", typed over its formula,"


def _fix(formula: str) -> str:
    """What a calculated KPI showing the wrong figure needs: recalculating, or, typed
    over, its formula back first."""
    return _RECALCULATE if formula else (
        "restore the formula (copy it from the same row of another report's column) and "
        + _RECALCULATE)


def _kpi_list(refs: list[int]) -> str:
    """KPIs by ref, runs joined: "KPI 11", "KPIs 11-22, 27-34 and 37"."""
    runs: list[list[int]] = []
    for ref in sorted(refs):
        if runs and ref == runs[-1][-1] + 1:
            runs[-1].append(ref)
        else:
            runs.append([ref])
    parts = [f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run))
             for run in runs]
    if len(refs) == 1:
        return f"KPI {refs[0]}"
    return "KPIs " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1
                      else parts[0])


def stale_kpis(book: KpiBook, periods: list[Period]) -> list[Finding]:
    """The calculated KPIs of ``periods`` whose cached values are not what their inputs
    give (or show an error): what validate reports, for the steps that publish them."""
    findings = Findings()
    reported = {period: book.column_of(period) for period in periods
                if period.label in book.period_labels}
    if book.computes_kpis and reported:
        _calculated(book, findings, reported)
    return [f for f in findings.close() if f.severity == ERROR]


def _by_period_rows(findings: Findings, rows, reported: dict[Period, int], check) -> None:
    for row in rows:
        for period, column in reported.items():
            check(row, period, column,
                  row.values[column] if column < len(row.values) else None)


def _conditions(book: KpiBook, findings: Findings, reported: dict[Period, int]) -> None:
    def check(row, period, column, value):
        text = "" if value is None else str(value).strip()
        if text == "":
            findings.add(ERROR, row.area, 0, column, Rule.MISSING,
                         f"Condition {key_label(row.key)}: no RAG for {period}")
        elif text not in c.RAG_VALUES:
            findings.add(ERROR, row.area, 0, column, Rule.RAG,
                         f"Condition {key_label(row.key)}: RAG must be R, A or G, found "
                         f"{text!r}")

    _by_period_rows(findings, book.conditions, reported, check)
    table = book.workbook.area(c.CONDITIONS_TABLE)
    if table is not None and book.settings.safety_valve and reported and not any(
            row.key not in (None, "") for row in book.conditions):
        findings.add(WARNING, table, 1, 0, Rule.MISSING,
                     f"The {c.CONDITIONS} sheet lists no conditions: the DfE return needs "
                     "each condition of the agreement, its number and wording here and its "
                     "RAG at every report")


def _narrative(book: KpiBook, findings: Findings, reported: dict[Period, int]) -> None:
    required = {key for key, _ in c.NARRATIVE_QUESTIONS[:4]}  # the DfE's four questions

    def check(row, period, column, value):
        if row.key in required and (value is None or str(value).strip() == ""):
            findings.add(WARNING, row.area, 0, column, Rule.NARRATIVE,
                         f"{period}: no answer to '{dict(c.NARRATIVE_QUESTIONS)[row.key]}'")

    _by_period_rows(findings, book.narrative, reported, check)


def _plan_data(book: KpiBook, findings: Findings, reported: dict[Period, int]) -> None:
    for key, row in book.plan_data.items():
        for period, column in reported.items():
            before = len(findings)
            number = _number(findings, row.area, 0, column, row.values[column], "a number in £m")
            if number is not None and math.isnan(number):
                findings.add(ERROR, row.area, 0, column, Rule.MISSING,
                             f"Plan Data {book.plan_data_label(key)}: no figure for {period}",
                             period=period)
            elif len(findings) > before:   # the cell is not a number: said, for the period
                findings[-1] = dataclasses.replace(findings[-1], period=period)


def _column(book: KpiBook, key: str, name_of) -> tuple[Area, np.ndarray]:
    return tables.read_column(book.workbook, name_of(key))


def _numbers_found(findings: Findings, area: Area, values, expected: str,
                   dates: bool = False) -> np.ndarray:
    """A column as floats (vectorised when clean); each bad cell a finding and ``nan``.

    Each cell is what :func:`to_number` makes of it (a date, in a date column, its serial);
    the cells it plainly accepts or refuses (numbers, blanks, text) are told without it,
    and a refused cell's message is only made for the findings listed."""
    fast = fast_numbers(values, dates=dates)
    if fast is not None:
        return fast
    out = np.full(len(values), np.nan)
    bad = []
    for i, value in enumerate(values):
        kind = type(value)
        if value is None:
            continue
        if (kind is float or kind is int) and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
            out[i] = value
            continue
        if dates and hasattr(value, "year"):
            out[i] = serial(value)
            continue
        if kind is str and value.strip():
            bad.append(i)  # text is never a number
            continue
        try:
            out[i] = to_number(value, expected)
        except BadValue:
            bad.append(i)

    def message(i: int) -> str:
        try:
            to_number(values[i], expected)
        except BadValue as error:
            return _sentence(str(error))
        raise AssertionError(f"{values[i]!r} was refused as a number")  # pragma: no cover

    findings.add_rows(ERROR, area, bad, 0, Rule.NUMBER, message)
    return out


def _not_one_of(label: str, allowed: tuple[str, ...],
               values: np.ndarray) -> Callable[[int], str]:
    """The message for row ``i`` of a column that must hold one of ``allowed``."""
    return lambda i: f"{label} must be one of: {', '.join(allowed)}; found {describe(values[i])}"


def _placements(book: KpiBook, findings: Findings) -> None:
    """Placements: numbers, dates, known lists, positive costs, end >= start, unique ids."""
    read = {key: _column(book, key, c.placement_name)
            for key, _ in c.PLACEMENT_COLUMNS}
    cells = {key: values for key, (_, values) in read.items()}
    # numpy's stubs do not know np.equal against None, elementwise on object arrays
    blank = {key: np.equal(column, None)  # type: ignore[call-overload]
             for key, column in cells.items()}
    blank_rows = np.logical_and.reduce(list(blank.values()))
    numbers = {key: _numbers_found(findings, read[key][0], read[key][1], expected,
                                   dates=key in tables.PLACEMENT_DATES)
               for key, expected in (("Start", "a date"), ("End", "a date"),
                                     ("AnnualCost", "a cost in £"),
                                     ("PreviousCost", "a cost in £"))}
    findings.add_rows(ERROR, read["Start"][0], np.flatnonzero(blank["Start"] & ~blank_rows),
                      0, Rule.PLACEMENT, "No start date")
    with np.errstate(invalid="ignore"):
        findings.add_rows(ERROR, read["End"][0],
                          np.flatnonzero(numbers["End"] < numbers["Start"]), 0, Rule.PLACEMENT,
                          "The end date is before the start date")
        findings.add_rows(ERROR, read["AnnualCost"][0],
                          np.flatnonzero((numbers["AnnualCost"] <= 0)
                                         | (blank["AnnualCost"] & ~blank_rows)), 0,
                          Rule.PLACEMENT, "The annual cost must be above £0")
        findings.add_rows(ERROR, read["PreviousCost"][0],
                          np.flatnonzero(numbers["PreviousCost"] <= 0), 0, Rule.PLACEMENT,
                          "A cost before renegotiation must be above £0 (or blank)")
    for key, allowed in (("Category", c.CATEGORIES), ("AgeBand", c.AGE_BANDS),
                         ("Location", c.LOCATIONS)):
        area, values = read[key]
        known = matches_any(cells[key], [option.replace("*", "~*").replace("?", "~?")
                                         for option in allowed],
                            book.criteria_masks.setdefault((key, None), {}))  # as KPIs see it
        findings.add_rows(ERROR, area, np.flatnonzero(~known & ~blank_rows), 0, Rule.PLACEMENT,
                          _not_one_of(dict(c.PLACEMENT_COLUMNS)[key], allowed, values))
    ids_area, ids = read["ID"]
    findings.add_rows(ERROR, ids_area, np.flatnonzero(blank["ID"] & ~blank_rows), 0,
                      Rule.PLACEMENT, "No placement ID")
    present = ~blank["ID"]
    typed = cells["ID"][present]
    if len(set(typed.tolist())) < typed.size:  # some ID twice (or TRUE beside 1): which
        first = _first_seen(typed)
        positions = np.flatnonzero(present)
        again = np.flatnonzero(first != np.arange(len(first)))
        also = dict(zip(positions[again].tolist(), positions[first[again]].tolist(),
                        strict=True))
        findings.add_rows(ERROR, ids_area, positions[again], 0, Rule.DUPLICATE, lambda i: (
            f"Placement ID {key_label(ids[i])} is also in {ids_area.cell(also[i], 0)}"))
    # The register as the KPIs read it (tables.read_placements): the calculated KPIs are
    # recomputed from these, not from a second read (only when no cell was refused above).
    book.placements = cells | numbers


def _first_seen(values: np.ndarray) -> np.ndarray:
    """For each value, the index of its first occurrence (as a criterion tells values
    apart: the ID TRUE is not the ID 1)."""
    codes, _ = distinct(values)
    return np.unique(codes, return_index=True)[1][codes]


#: The Mitigations columns Excel calculates (the table's calculated columns).
_MITIGATION_CALCULATED = frozenset({"Saving", "VolumeEffect", "PriceEffect"})


def _mitigations(book: KpiBook, findings: Findings) -> None:
    labels = set(book.period_labels)
    read = {key: _column(book, key, c.mitigation_name)
            for key, _ in c.MITIGATION_COLUMNS}
    typed = [key for key, _ in c.MITIGATION_COLUMNS if key not in _MITIGATION_CALCULATED]
    # a row with nothing typed in it (a new register's empty row) is no mitigation
    blank_rows = {i for i in range(len(read[typed[0]][1]))
                  if all(read[key][1][i] in (None, "") for key in typed)}
    for key in sorted(_MITIGATION_CALCULATED):
        area, values = read[key]
        for i, value in enumerate(values):
            if i not in blank_rows and value in (None, ""):
                # a row taken into the table by hand: Excel would have filled the
                # formula in; recalculating cannot, so say what does
                findings.add(ERROR, area, i, 0, Rule.MITIGATION,
                             f"{dict(c.MITIGATION_COLUMNS)[key]} is blank: the row has no "
                             "formula there; in Excel, copy the formula from the row "
                             "above (without Excel, lfi-xl take-rows fills the table's "
                             "calculated columns)")
    for key in ("BaseVolume", "BaseUnitCost", "Volume", "UnitCost"):
        area, values = read[key]
        for i, value in enumerate(values):
            if i in blank_rows:
                continue
            number = _number(findings, area, i, 0, value, "a number")
            if number is not None and (math.isnan(number) or number < 0):
                findings.add(ERROR, area, i, 0, Rule.MITIGATION,
                             f"{dict(c.MITIGATION_COLUMNS)[key]} must be 0 or more")
    for key, allowed in (("Period", labels), ("AgeBand", set(c.AGE_BANDS)),
                         ("Provision", set(c.PROVISIONS))):
        area, values = read[key]
        for i, value in enumerate(values):
            if value not in allowed and i not in blank_rows:
                findings.add(ERROR, area, i, 0, Rule.MITIGATION,
                             f"{dict(c.MITIGATION_COLUMNS)[key]}: {describe(value)} is not "
                             "one of the allowed values")


#: Table name -> what a cell just outside it is, and whether text there is only a note.
_OUTSIDE = {
    c.PLACEMENTS_TABLE: ("a placement outside the register: it is not counted", False),
    c.MITIGATIONS_TABLE: ("a mitigation outside the log: it is not counted", False),
    c.KPI_TABLE: ("a figure outside the KPI table: no report reads it", True),
    c.PLAN_TABLE: ("a figure outside the plan table: it is not part of the plan", True),
    c.FORECAST_TABLE: ("a figure outside the forecast table: it is not part of it", True),
}


#: The registers lfi-xl take-rows grows.
_REGISTERS = (c.PLACEMENTS_TABLE, c.MITIGATIONS_TABLE)

#: The tables of each kind of workbook (a KPI workbook is not searched for a plan table by
#: its labels, nor a plan workbook for a KPI table).
_KPI_TABLES = (c.PLACEMENTS_TABLE, c.MITIGATIONS_TABLE, c.KPI_TABLE)
_PLAN_TABLES = (c.PLAN_TABLE, c.FORECAST_TABLE)


def _outside_tables(workbook: Workbook, findings: Findings, names: tuple[str, ...]) -> None:
    """A cell typed directly below or beside a table is not in it: Excel extends a table
    (a ListObject) to take it in, other programs and a table made of names do not. Said,
    never silently left out: an error for registers and for figures, a warning for text
    beside the KPI and plan tables (a note, probably)."""
    for name in names:
        what, notes_allowed = _OUTSIDE[name]
        area = workbook.area(name)
        if area is None or area.sheet not in workbook.sheet_names:
            continue
        strips = (Area(area.sheet, area.max_row + 1, area.min_col, area.max_row + 1,
                       area.max_col),
                  Area(area.sheet, area.min_row, area.max_col + 1, area.max_row,
                       area.max_col + 1))
        for strip in strips:
            rows: Iterable[tuple[int, list[Any]]]
            if strip.shape[1] == 1:  # a tall strip: the cells typed in it
                cells = workbook.column(strip)
                rows = ((r, [cells[r]]) for r in range(len(cells)) if cells[r] is not None)
            else:
                rows = enumerate(workbook.values(strip))
            for r, row in rows:
                for k, value in enumerate(row):
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    note = notes_allowed and isinstance(value, str) and not is_error(value)
                    how = ("take it in: in Excel a row typed just below joins the table "
                           "(without Excel, lfi-xl take-rows takes it in)"
                           if name in _REGISTERS else
                           "extend the table to include it (in Excel: Table Design > "
                           "Resize Table)")
                    findings.add(WARNING if note else ERROR, strip, r, k, Rule.OUTSIDE,
                                 f"{strip.sheet}!{strip.cell(r, k)}: {what}; {how}, or "
                                 "move it")
                    break  # one finding a row is enough to find it


def validate_kpi_book(workbook: Workbook) -> list[Finding]:
    from lfi_xl.book.snapshots import verify
    findings = Findings()
    book = KpiBook(workbook)
    findings.extend(book.settings.findings)
    reported = _period_columns(book, findings)
    for problem in book.structure_problems():
        findings.append(Finding(ERROR, c.KPI_SHEET, "", Rule.NAMES, problem))
    if any(f.rule == Rule.NAMES for f in findings):
        return findings.close()  # the tables cannot be read as they are: say that first
    _outside_tables(workbook, findings, _KPI_TABLES)
    step("Checking KPIs, conditions, narrative and plan data")
    for by_period in (_kpi_inputs, _conditions, _narrative, _plan_data):
        by_period(book, findings, reported)
    from lfi_xl.actions.consistency import kpi_signs
    findings.extend(kpi_signs(book, reported))
    if book.computes_kpis:
        step("Checking placements and mitigations")
        for register in (_placements, _mitigations):
            register(book, findings)
        step("Recomputing the calculated KPIs")
        if not any(f.severity == ERROR and f.rule in (Rule.NUMBER, Rule.PLACEMENT, Rule.MITIGATION)
                   for f in findings):
            # a frozen period keeps the values it was frozen with (recalc leaves them, and
            # says so): verify guards them, not a recomputation from today's inputs
            from lfi_xl.book.snapshots import current_snapshots
            frozen = current_snapshots(book.snapshots[1])
            _calculated(book, findings, {period: column for period, column in reported.items()
                                         if period.label not in frozen})
    else:
        findings.append(Finding(INFO, c.KPI_SHEET, "", Rule.TYPED,
                                "No placements, mitigation log or plan data in this workbook: "
                                "its KPI figures are checked as typed, not recomputed"))
    step("Checking snapshots")
    findings.extend(verify(workbook))  # snapshot rows, audit log, frozen cells
    return findings.close()


def kind_of(workbook: Workbook) -> str:
    """"kpi" or "plan": which workbook this is, by its defined names or its labels."""
    if workbook.area(c.KPI_TABLE) is not None:
        return "kpi"
    if workbook.area(c.PLAN_TABLE) is not None:
        return "plan"
    if isinstance(workbook, Discovering) and workbook.plan is not None:  # found by labels
        return "plan"
    raise UnusableInput(f"{workbook.label}: neither a KPI workbook nor a DSG plan workbook: "
                        f"no {c.KPI_TABLE} or {c.PLAN_TABLE} names, and no plan table (a row "
                        "of years with the plan's labels) or KPI table (a 'Ref' column beside "
                        "the KPI measures) found by their labels")


def validate(workbook: Workbook) -> list[Finding]:
    """Every finding for one workbook, sorted: errors first."""
    from lfi_xl.book.findings import sort

    workbook = workbook if isinstance(workbook, Discovering) else Discovering(workbook)
    try:
        found = validate_kpi_book(workbook) if kind_of(workbook) == "kpi" else validate_plan_book(
            workbook)
    except PeriodError as error:
        found = [Finding(ERROR, c.SETTINGS, "", Rule.SETTING, str(error))]
    return sort(found)
