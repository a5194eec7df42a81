"""Build Schools Forum extract: the public paper, gathered from the two workbooks.

``lfi-xl extract`` and :func:`build_extract` are the same thing: read the KPI workbook
(the Forum's KPI subset, the EHCP referral series, the report's status) and the plan
workbook (plan and latest forecast), compute with the core, and hand a plain
:class:`ExtractData` to the report writer. A frozen period's figures come from its
snapshot; otherwise the extract says "provisional - not frozen".
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lfi_xl import contract as c
from lfi_xl.adapters.opening import open_workbook
from lfi_xl.book import tables
from lfi_xl.book.discover import discovering
from lfi_xl.book.findings import ERROR, Rule
from lfi_xl.book.formulas import COUNT_REFS
from lfi_xl.book.kpi_book import KpiBook, is_error
from lfi_xl.book.kpi_values import no_placements, placement_counts, plan_data_rows, plan_kpis
from lfi_xl.book.settings import Settings, read_settings
from lfi_xl.book.snapshots import (
    Reported,
    audit_rows,
    canonical,
    chain_head,
    verify,
)
from lfi_xl.book.source_file import fingerprint, workbook_path
from lfi_xl.book.workbook import Workbook
from lfi_xl.core import measures
from lfi_xl.core import plan as p
from lfi_xl.core.cells import NA, ExcelError
from lfi_xl.core.kpis import COUNT
from lfi_xl.core.periods import Period, year_label
from lfi_xl.core.plan import PlanResult, compute_plan
from lfi_xl.core.reconcile import errors, reconcile
from lfi_xl.core.shown import as_shown_apart
from lfi_xl.core.values import BadValue, to_number
from lfi_xl.data import published
from lfi_xl.errors import Refused, UnusableInput

if TYPE_CHECKING:  # the demand page needs pandas: imported when the paper is built
    from lfi_xl.actions.demand import DemandOutlook

REFERRAL_REFS = (6, 7, 8)
#: Plan lines shown in the table of what drives the gap between forecast and plan.
VARIANCE_LINES = 6


#: What a suppressed count shows in the public paper.
SUPPRESSED = "c"
#: What an average of no placements (n = 0) shows in the public paper.
NO_DATA = "–"


@dataclass
class KpiLine:
    forum_line: int | None    # the Forum's own line number (None: not one of its KPIs)
    ref: int
    measure: str
    unit: str
    current: float | str | None     # "c" when suppressed
    previous: float | str | None
    change: float | str | None
    rag: str
    basis: str              # what the RAG compares with
    n: int | str | None = None   # placements behind an average cost (0: none, shown as
                                 # NO_DATA; SUPPRESSED when below the threshold)


@dataclass
class ExtractData:
    la_name: str
    period: str
    previous_period: str
    generated: dt.datetime
    frozen: bool
    status: str
    sources: list[tuple[str, str, str]]        # (role, file name, SHA-256)
    snapshot_hashes: list[tuple[str, str]]     # (period, SHA-256)
    kpis: list[KpiLine]
    referral_periods: list[str]
    referrals: dict[str, list[float | str | None]]   # measure -> values by period
    years: tuple[str, ...]
    plan: dict[str, list[float]]               # line label -> values by year (£m)
    forecast: dict[str, list[float]]
    footnotes: list[str] = field(default_factory=list)
    suppression_threshold: int = 5
    illustrative: bool = False
    headlines: list[str] = field(default_factory=list)
    # the plan lines whose forecast differs most from plan: (label, plan, forecast)
    variance: list[tuple[str, float, float]] = field(default_factory=list)
    variance_year: str = ""
    rounding: str = ""
    programme: str = ""                        # Settings' programme name, for titles
    safety_valve: bool = True                  # False: no agreement, no DfE money
    chain_head: str = ""
    corrections: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)   # frozen cells typed over since
    demand: DemandOutlook | None = None   # the EHCP page
    previous_frozen: bool = True   # the previous report's figures are from its snapshot


class PlanNotKnown(UnusableInput):
    """No plan workbook was named, and the one the last refresh recorded cannot be used."""


#: The plan lines the paper shows, in its order.
PLAN_SUMMARY_ROWS = tuple((c.PLAN_SUMMARY[key], key) for key in (
    "total_income", "total_expenditure", "in_year", "cumulative_before_sv", "dfe", "la")) + (
    (f"{c.PLAN_SUMMARY['cumulative_after_sv']} as agreed", "cumulative_after_sv"),)
#: The plan page's row the chart draws: the balance on the money agreed (the headlines say
#: the balance on the money received too, where it differs).
CUMULATIVE_AFTER_LABEL = PLAN_SUMMARY_ROWS[-1][0]
#: The same rows for a council without a Safety Valve agreement: no DfE money.
NO_AGREEMENT_ROWS: dict[str, str | None] = {
    c.PLAN_SUMMARY["cumulative_before_sv"]: "Cumulative balance before council contributions",
    c.PLAN_SUMMARY["dfe"]: None,
    CUMULATIVE_AFTER_LABEL: "Cumulative balance after council contributions",
}
#: The balance the paper charts, by whether there is an agreement.
CHARTED_BALANCE: dict[bool, str] = {
    True: CUMULATIVE_AFTER_LABEL,
    False: "Cumulative balance after council contributions"}


def _without_agreement(rows: dict[str, list[float]]) -> dict[str, list[float]]:
    """Plan summary rows worded for a council without an agreement (no DfE row)."""
    worded = {}
    for label, values in rows.items():
        new = NO_AGREEMENT_ROWS.get(label, label)
        if new is not None:
            worded[new] = values
    return worded


class _Figures:
    """Every KPI figure the paper shows, read strictly, as reported (:class:`Reported`). A
    cell that is not a number (text, an Excel error) stops the extract, naming it: the
    public paper never shows a blank where a figure was."""

    def __init__(self, book: KpiBook, reported: Reported):
        self.book, self.reported = book, reported
        self._counts: dict[Period, dict[int, int]] = {}

    def counts(self, period: Period) -> dict[int, int]:
        """n behind each average cost in ``period``: a frozen period's from its snapshot
        (none, for a snapshot taken before n was frozen), another's from the register."""
        if period not in self._counts and self.reported.frozen(period):
            numbers = {canonical(row.get("Key")): _count(row.get("Value"))
                       for row in self.reported.rows(period)
                       if row.get("Kind") == c.SNAPSHOT_COUNT}
            self._counts[period] = {ref: n for ref, n in numbers.items()
                                    if isinstance(ref, int) and n is not None}
        if period not in self._counts:
            self._counts[period] = {}
            if self.book.computes_kpis:
                try:
                    self._counts[period] = placement_counts(self.book.kpi_inputs(period))
                except (UnusableInput, ValueError):
                    pass  # the figures themselves say what is wrong
        return self._counts[period]

    def n(self, period: Period, ref: int) -> int | None:
        """n behind an average cost in ``period``: from the register, else the KPI sheet's
        n row (KPI_Counts), else None (not known)."""
        found = self.counts(period).get(ref)
        if found is not None:
            return found
        counts, periods = self.book.workbook.area(c.KPI_COUNTS), self.book.workbook.area(
            c.KPI_PERIODS)
        if counts is None or periods is None or period.label not in self.book.period_labels:
            return None
        column = periods.min_col - counts.min_col + self.book.column_of(period)
        for row in self.book.workbook.values(counts)[1:]:
            try:
                if int(float(row[0])) == ref and column < len(row):
                    value = to_number(row[column])
                    return None if value is None or math.isnan(value) else int(value)
            except (TypeError, ValueError, BadValue):
                continue
        return None

    def get(self, period: Period, ref: int, required: bool = False) -> float | None:
        frozen = self.reported.frozen(period)
        if not frozen and ref not in self.book.kpis:
            raise UnusableInput(f"{self.book.label}: KPI {ref} "
                                f"({c.KPI_BY_REF[ref].measure}) is not in the workbook")
        row = self.book.kpis.get(ref)
        raw = self.reported.value(period, c.SNAPSHOT_KPI, ref, row)
        where = self.reported.where(period, row)
        frozen_none = frozen and str(raw).upper() == NA
        if ref in COUNT_REFS and (frozen_none or no_placements(raw, self.counts(period).get(
                ref))):
            return None  # no placements (n = 0): no figure, shown as NO_DATA
        try:
            value = None if is_error(raw) else to_number(raw)
        except BadValue:
            value = None
        if value is None and raw not in (None, ""):
            raise Refused(f"{self.book.label}: {where} (KPI {ref}, {period}) holds "
                          f"{raw!r}, not a figure: fix it (Validate entries) before "
                          "building the public extract")
        if value is None or math.isnan(value):
            if required and ref in c.CALCULATED_KPIS and self.book.computes_kpis:
                raise Refused(f"{self.book.label}: {where} (KPI {ref}, {period}) is "
                              "blank: it is calculated; start the period (lfi-xl "
                              "start-period, or Start next period) and recalculate "
                              "(F9 in Excel, or lfi-xl recalc)")
            if required:
                raise Refused(f"{self.book.label}: {where} (KPI {ref}, {period}) is "
                              "blank, and the KPI is reported every term: fill it in "
                              "before building the public extract")
            return None
        return value


def _count(value) -> int | None:
    try:
        number = to_number(value)
    except BadValue:
        return None
    return None if math.isnan(number) else int(number)


def _plan_sections(workbook: Workbook,
                   method: str) -> tuple[tuple[str, ...], dict, dict, PlanResult]:
    """The plan and (when the workbook keeps one) the latest forecast, line by line.
    A printed total that differs from its lines by more than rounding stops the extract."""
    plans = {"plan": tables.read_plan_from(workbook, c.PLAN_PREFIX)}
    if workbook.area(c.FORECAST_TABLE) is not None:
        plans["forecast"] = tables.read_plan_from(workbook, c.FORECAST_PREFIX)
    elif c.FORECAST in workbook.sheet_names:
        raise UnusableInput(f"{workbook.label}: there is a {c.FORECAST} sheet but its defined "
                            f"name {c.FORECAST_TABLE} is missing or points to #REF!: the "
                            "extract would silently leave the forecast out")
    for name, plan in plans.items():
        wrong = errors(reconcile(plan))
        if wrong:
            raise Refused(f"{workbook.label}: the {name} does not add up: "
                                f"{wrong[0].message} (run lfi-xl validate)")
    results = {name: compute_plan(plan, method) for name, plan in plans.items()}
    plan_result = results["plan"]
    summary = {name: {label: [float(v) for v in getattr(result, key)]
                      for label, key in PLAN_SUMMARY_ROWS}
               for name, result in results.items()}
    return plan_result.years, summary["plan"], summary.get("forecast", {}), plan_result


def usable_kpi_book(kpi: Workbook, what: str) -> KpiBook:
    """The KPI workbook, refused (naming the first problem) when its Settings or its
    tables are not fit to publish from."""
    book = KpiBook(kpi)
    problems = [f.message for f in book.settings.findings if f.severity == ERROR]
    problems += book.structure_problems()
    if problems:
        raise Refused(f"{book.label}: {problems[0]}: fix it (Validate entries) before "
                            f"building {what}")
    return book


def recorded_plan(book: KpiBook, kpi: Workbook) -> Path:
    """The DSG plan workbook the last refresh filled Plan Data from, as recorded in
    Settings, checked to be the same file: the paper never guesses its plan."""
    settings = book.settings
    if not settings.plan_workbook:
        raise PlanNotKnown(f"{book.label}: no DSG plan workbook named, and no refresh has "
                           "recorded one: refresh Plan Data from it first (which records it)",
                           unless="plan")
    path = Path(settings.plan_workbook)
    if not path.is_absolute():
        beside = workbook_path(kpi)
        path = (beside.parent if beside else Path.cwd()) / path
    if not path.is_file():
        raise PlanNotKnown(f"{book.label}: the DSG plan workbook recorded by the last "
                           f"refresh, {path}, is not there", unless="plan")
    # A plan saved since the last refresh is not refused for that: its figures are
    # compared with Plan Data's (consistency.plan_data_agreement) and a disagreement is
    # refused with the one step that resolves it; no other plan workbook is offered.
    return path


def build_extract(kpi: Workbook, plan: Workbook | None = None, period: Period | None = None,
                  allow_edited: bool = False) -> ExtractData:
    """Gather every figure of the Schools Forum extract.

    Without ``plan``, the plan workbook recorded by the last refresh
    (:func:`recorded_plan`). ``period``: default Settings' current one. ``allow_edited``:
    publish a frozen period whose cells were typed over since, under a banner saying so
    (otherwise refused, naming the cells).
    """
    kpi = discovering(kpi)
    book = usable_kpi_book(kpi, "the public extract")
    settings = book.settings
    plan = discovering(plan) if plan is not None else open_workbook(recorded_plan(book, kpi))
    report = book.requested_period(period)
    before = settings.cadence.previous(report)
    reported = Reported(book)
    # The snapshots and the audit log must be intact (and findable: a deleted defined
    # name must not turn a frozen report into a "provisional" one). A frozen figure typed
    # over in its cell is a correction nobody has recorded: refused, unless the paper says so.
    found = verify(kpi)
    tampered = [f for f in found if f.rule in (Rule.SNAPSHOT, Rule.AUDIT)]
    if tampered:
        raise Refused(f"{book.label}: {tampered[0].sheet}!{tampered[0].cell}: "
                            f"{tampered[0].message} (run lfi-xl verify): a frozen report "
                            "cannot be published from an edited snapshot")
    edited = [f"{f.sheet}!{f.cell}" for f in found if f.rule == Rule.FROZEN]
    if edited and not allow_edited:
        raise Refused(
            f"{book.label}: figures were typed over after freezing ({', '.join(edited[:8])}"
            f"{', ...' if len(edited) > 8 else ''}): put them back, or freeze the period "
            "again superseding its snapshot to record the correction, or publish the "
            "frozen figures with a banner saying cells were edited",
            unless="allow_edited")
    _agreeing(book, plan, report, [p for p in (report, before)
                                   if not reported.frozen(p) and p.label in book.period_labels])
    figures = _Figures(book, reported)
    has_previous = reported.in_book(before)
    years, planned, forecast, plan_result = _plan_sections(plan, settings.funding_gap_method)
    agreed = agreed_plan(plan, plan_result)
    planned = {label: [float(v) for v in agreed.get(key, getattr(plan_result, key))]
               for label, key in PLAN_SUMMARY_ROWS}
    year = year_label(report.year, "/")

    lines = []
    for ref in settings.forum_refs:
        measure = c.KPI_BY_REF[ref]
        value = figures.get(report, ref, required=measure.termly)
        last = figures.get(before, ref) if has_previous else None
        target, basis = last, "previous report"
        if year in plan_result.years and (ref in c.PLAN_KPIS or ref == c.FUNDING_GAP_KPI):
            index = plan_result.years.index(year)
            if ref == c.FUNDING_GAP_KPI:
                target = float(plan_result.funding_gap[index])
            else:
                key, sign = c.PLAN_KPIS[ref]
                target = sign * float(agreed.get(key, plan_data_rows(plan_result)[key])[
                    index])
            basis = f"plan {year}"
        rag = ""
        if measure.better and value is not None and target is not None:
            rag = str(measures.rag(value, target, settings.rag_tolerance, measure.better))
        change = None if value is None or last is None else value - last
        # each KPI with the sign it has in the workbook and the DfE's KPI copy (KPI 11,
        # the DfE's HNB surplus/deficit, counts a surplus positive: -KPI 16); stated below
        wording = measure.forum_measure or measure.measure
        if not settings.safety_valve:
            wording = c.NO_AGREEMENT_MEASURES.get(ref, wording)
        line = KpiLine(measure.forum_line, ref, wording,
                       measure.unit, value, last, change, rag, basis,
                       figures.counts(report).get(ref) if ref in COUNT_REFS else None)
        if line.n == 0 and value is None:
            line.current = NO_DATA
        if measure.unit == COUNT:
            _suppress(line, settings.suppression_threshold)
        if ref in COUNT_REFS:   # an average over few placements is near one child's cost
            _suppress_average(line, figures.n(report, ref),
                              figures.n(before, ref) if has_previous else None,
                              settings.suppression_threshold)
        lines.append(line)
    if book.has(c.plan_data_name("in_year")):
        for period_shown in (report, before):
            if period_shown.label in book.period_labels and not reported.frozen(period_shown):
                _check_current(book, period_shown, figures, settings)

    so_far = [p for p in settings.reported() if p <= report]
    referrals = {}
    for ref in REFERRAL_REFS:
        series = [_small(figures.get(p, ref, required=c.KPI_BY_REF[ref].termly),
                         settings.suppression_threshold) for p in so_far]
        referrals[c.KPI_BY_REF[ref].measure] = series
    frozen = reported.frozen(report)
    status = (f"Frozen: snapshot {reported.snapshot(report)} of {report}" if frozen
              else "provisional - not frozen")
    sources = [("KPI workbook", *fingerprint(kpi)),
               ("DSG plan workbook", *fingerprint(plan))]
    hashes = sorted((p.label, reported.snapshot_sha256(p)) for p in so_far
                    if reported.frozen(p))
    footnotes = [
        SIGN_CONVENTION,
        "RAG: against the plan for the year where the KPI comes from the plan, otherwise "
        f"against the previous report; amber = worse by up to {settings.rag_tolerance:.0%} "
        "of the figure it is compared with.",
        f"{SUPPRESSED}: a count below {settings.suppression_threshold}, not shown to protect "
        "individuals; a change or rating that would reveal it is not shown either"
        + (f"; so is an average cost over fewer than {settings.suppression_threshold} "
           "placements, with its n." if any(line.ref in COUNT_REFS for line in lines)
           else "."),
    ]
    if any(line.current == NO_DATA for line in lines):
        footnotes.append(f"{NO_DATA}: no placements in the period (n = 0): an average cost "
                         "of no placements is not a figure.")
    audit = audit_rows(book)
    labels = [p.label for p in so_far]
    data = ExtractData(settings.la_name, report.label, before.label, dt.datetime.now().replace(
        microsecond=0), frozen, status, sources, hashes, lines, labels, referrals, years,
        planned, forecast, footnotes, settings.suppression_threshold,
        illustrative=settings.illustrative or read_settings(plan).illustrative,
        chain_head=chain_head(audit),
        corrections=_corrections(audit, labels), edited=edited,
        previous_frozen=reported.frozen(before),
        programme=settings.programme_name, safety_valve=settings.safety_valve)
    if has_previous and not data.previous_frozen:
        footnotes.append(f"Previous ({before}): not frozen, so provisional: its figures may "
                         "still change.")
    if not settings.safety_valve:
        data.plan, data.forecast = map(_without_agreement, (data.plan, data.forecast))
    _story(data, plan, plan_result, year, settings.funding_gap_method, agreed)
    from lfi_xl.actions.demand import outlook_for_paper  # pandas only for the paper

    data.demand = outlook_for_paper(tables.read_plan_from(plan, c.PLAN_PREFIX),
                                    settings, book, data.footnotes, plan)
    return data


def _agreeing(book: KpiBook, plan: Workbook, report: Period, live: list[Period]) -> None:
    """Refuse, with validate's own words, a paper whose figures could not agree: the plan
    workbook's stale cached values, Plan Data that is not the plan's latest forecast for
    the report, calculated KPIs of an unfrozen period that are stale. Freeze refuses the
    same, so a frozen period is refused here only when the plan changed since."""
    from lfi_xl.actions.consistency import pair_findings, refusal
    from lfi_xl.actions.validate import stale_kpis

    reason = refusal(pair_findings(book, plan, report, any_period=True)
                     + stale_kpis(book, live), "the Schools Forum paper")
    if reason:
        raise Refused(reason)


def agreed_plan(plan: Workbook, computed) -> dict[str, np.ndarray]:
    """The agreed plan's totals and balances as agreed: the published table when the plan
    sheet's lines are the published ones, else the plan sheet's own printed figures (a
    blank one: computed from its lines). The recomputation from £1k lines is a
    reconciliation note (:func:`_rounding`), never the figure printed as agreed."""
    printed = _printed_table(tables.read_plan_from(plan, c.PLAN_PREFIX))
    out = {}
    for role in (*p.PRINTED_ROLES, p.DFE, p.LA):
        line = printed.printed(role) if role in p.PRINTED_ROLES else None
        ours = np.array(getattr(computed, role), dtype=float)
        if line is not None and len(line.values) == len(ours):
            shown = np.array(line.values, dtype=float)
            ours = np.where(np.isnan(shown), ours, shown)
        out[role] = ours
    return out


def _printed_table(typed: p.Plan) -> p.Plan:
    """Norfolk's plan as published when the sheet's lines are its lines, else the sheet."""
    lines = {line.id: line.values for line in typed.lines if line.role in p.INPUT_ROLES}
    shipped = {line_id: values for line_id, *_rest, values in published.LINES}
    if typed.years == published.YEARS and all(
            line_id in shipped and all(abs((0.0 if v is None else v) - (0.0 if math.isnan(w)
                                                                        else w)) < 1e-9
                                       for v, w in zip(shipped[line_id], values, strict=True))
            for line_id, values in lines.items()):
        return published.published_plan()
    return typed


#: Stated once on the paper: every figure follows it.
SIGN_CONVENTION = ("Each KPI has the sign it has in the KPI workbook and the DfE return: "
                   "KPI 16 (in-year), 17 and 18 (cumulative) +deficit / -surplus; KPI 11 (HNB "
                   "surplus/deficit, the DfE's measure) +surplus / -deficit, so it is always "
                   "-KPI 16; KPIs 20 (HNB allocation), 21 (block transfers) and 22 (council "
                   "contribution) are amounts received, positive.")
#: Stated on the plan page: its figures follow the DfE plan.
PLAN_SIGNS = "As in the DfE plan: income and contributions negative, +deficit / -surplus."


def _money(value: float) -> str:
    return f"£{abs(value):,.3f}m"


def _position(value: float) -> str:
    return f"{_money(value)} {'deficit' if value > 0 else 'surplus'}" if round(
        value, 3) else "£0.000m (balanced)"


def _than(forecast: float, plan: float) -> str:
    """How a forecast deficit compares with the plan's (+deficit: higher is worse)."""
    gap = forecast - plan
    if abs(gap) < 0.0005:
        return "as planned"
    return f"{_money(gap)} {'worse' if gap > 0 else 'better'} than planned"


def _story(data: ExtractData, plan, planned, year: str, method: str, agreed: dict) -> None:
    """The headline answers of the DfE's first question, each sentence from the figures;
    what drives the gap; and how the plan's figures relate to its printed table."""
    data.rounding = _rounding(tables.read_plan_from(plan, c.PLAN_PREFIX), planned)
    planned = _Agreed(planned, agreed)
    if year not in planned.years:
        data.headlines.append(f"The plan has no year {year}: no comparison with it.")
    elif not data.forecast:
        k = planned.years.index(year)
        data.headlines += [
            f"In-year position {year} in the agreed plan: {_position(planned.in_year[k])} "
            "(the plan workbook keeps no separate forecast).",
            f"{CHARTED_BALANCE[data.safety_valve]} at the end of {year}: "
            f"{_position(planned.cumulative_after_sv[k])} planned."]
    else:
        latest = compute_plan(tables.read_plan_from(plan, c.FORECAST_PREFIX), method)
        k, end = planned.years.index(year), len(planned.years) - 1
        data.headlines.append(
            f"In-year position {year}: {_position(latest.in_year[k])} forecast against "
            f"{_position(planned.in_year[k])} in the agreed plan "
            f"({_than(latest.in_year[k], planned.in_year[k])}).")
        for when, index in ((f"at the end of {year}", k),
                            (f"at the end of the programme ({planned.years[end]})", end)):
            ours, target = latest.cumulative_after_sv[index], planned.cumulative_after_sv[index]
            data.headlines.append(
                f"{CHARTED_BALANCE[data.safety_valve]} {when}: "
                f"{_position(ours)} forecast against {_position(target)} planned "
                f"({_than(ours, target)}).")
            if index == k and data.safety_valve:
                data.headlines += _after_received(plan, latest, year, ours)
        gap = latest.cumulative_after_sv[end] - planned.cumulative_after_sv[end]
        data.headlines.append(
            "On track: the latest forecast meets the agreed plan by the end of the programme."
            if gap <= p.ZERO_TOLERANCE else
            f"Not on track: the latest forecast misses the agreed plan for the end of the "
            f"programme by {_money(gap)}.")
        data.headlines += _money_received(plan, planned, year, data.period,
                                          data.safety_valve)
        data.variance_year, data.variance = year, _variance(plan, year)
    red = [line for line in data.kpis if line.rag == "R"]
    data.headlines.append(f"{len(red)} of the {len(data.kpis)} Schools Forum KPIs are rated "
                          "Red (listed below)." if red else "No Schools Forum KPI is rated Red.")
    if data.frozen:
        head = (f"; audit chain head {data.chain_head[:16]}... (in full on the last page)"
                if data.chain_head else "")
        data.headlines.append(f"Status: {data.status}{head}.")
    else:
        data.headlines.append("Status: provisional - not frozen: these figures may change "
                              "before the period is frozen.")


class _Agreed:
    """The computed plan, with its totals and balances as agreed (the printed table)."""

    def __init__(self, computed, agreed: dict):
        self._computed, self._agreed = computed, agreed

    def __getattr__(self, name: str):
        return self._agreed[name] if name in self._agreed else getattr(self._computed, name)


def received_balance(plan: Workbook, latest, year: str) -> float | None:
    """The cumulative balance at the end of ``year`` counting the Safety Valve money
    actually received (the Forecast sheet's received lines), not the agreed profile."""
    table = tables.plan_table(plan, c.FORECAST_PREFIX)
    received = tables.received(plan, table)
    if year not in latest.years or not {"dfe_received", "la_received"} & set(received):
        return None
    zero = np.zeros(len(table.years))
    balance = p.cumulative_balance(
        latest.opening_balance, latest.in_year,
        *(np.nan_to_num(received.get(key, zero)) for key in ("dfe_received", "la_received")))
    return float(balance[latest.years.index(year)])


def _after_received(plan: Workbook, latest, year: str, agreed_basis: float) -> list[str]:
    """Where the money received differs from the agreed profile, the balance on the money
    received too: the paper says both, each named."""
    got = received_balance(plan, latest, year)
    if got is None or abs(got - agreed_basis) < 0.0005:
        return []
    return [f"Counting the Safety Valve money actually received rather than agreed, the "
            f"cumulative balance at the end of {year} is {_position(got)} "
            f"({_money(got - agreed_basis)} {'more' if got > agreed_basis else 'less'})."]


def _money_received(plan: Workbook, plan_result, year: str, period: str,
                    safety_valve: bool = True) -> list[str]:
    """Safety Valve money agreed against received, for the years up to the report's: the
    report's own year counted as due by this report (an instalment after each report)."""
    from lfi_xl.actions.validate import due_by_report

    settings = read_settings(plan)
    report = settings.cadence.parse(period)
    table = tables.plan_table(plan, c.FORECAST_PREFIX)
    received = tables.received(plan, table)
    years = [y for y in plan_result.years if y <= year and y in table.years]
    sentences = []
    for line_id, role, who in (("dfe_received", p.DFE, "DfE Safety Valve funding"),
                               ("la_received", p.LA, "Council contribution")):
        if line_id not in received or (role == p.DFE and not safety_valve):
            continue
        # contributions are negative in the plan; money is counted positive here
        agreed = {y: -float(getattr(plan_result, role)[plan_result.years.index(y)])
                  for y in years}
        got = {y: -float(np.nan_to_num(received[line_id][table.years.index(y)]))
               for y in years}
        due = {y: due_by_report(agreed[y], y, year, report,
                                settings.cadence.reports_per_year)[0] for y in years}
        missing = [y for y in years if due[y] - got[y] > 0.0005]
        short = math.fsum(due.values()) - math.fsum(got.values())
        sentence = (f"{who} to {year}: {_money(math.fsum(agreed.values()))} agreed, "
                    f"{_money(math.fsum(due.values()))} of it due by {period} (each year's "
                    f"paid in {settings.cadence.reports_per_year} instalments, one after each "
                    f"report), {_money(math.fsum(got.values()))} received")
        sentences.append(sentence + (f"; {_money(short)} due and not received "
                                     f"({', '.join(missing)})." if missing and short > 0.0005
                                     else ", as due."))
    return sentences


def _variance(plan, year: str) -> list[tuple[str, float, float]]:
    """The plan lines whose forecast for ``year`` differs most from the plan."""
    planned = tables.read_plan_from(plan, c.PLAN_PREFIX)
    latest = tables.read_plan_from(plan, c.FORECAST_PREFIX)
    if year not in planned.years or year not in latest.years:
        return []
    rows = []
    for line in planned.lines:
        if line.role not in (p.INCOME, p.EXPENDITURE):
            continue
        try:
            other = latest.line(line.id)
        except p.PlanError:
            continue
        a = line.values[planned.years.index(year)]
        b = other.values[latest.years.index(year)]
        a, b = (0.0 if math.isnan(v) else float(v) for v in (a, b))
        if abs(b - a) >= 0.0005:
            rows.append((line.label, a, b))
    rows.sort(key=lambda row: -abs(row[2] - row[1]))
    return rows[:VARIANCE_LINES]


def _rounding(typed: p.Plan, computed) -> str:
    """Where the plan's figures are computed from lines typed to £1k, the largest
    difference from the printed table, and why there is one."""
    printed = _printed_table(typed)
    worst, differ, compared = (0.0, "", "", 0.0, 0.0), 0, 0
    for role in p.PRINTED_ROLES:
        line = printed.printed(role)
        if line is None:
            continue
        for k, year in enumerate(computed.years):
            shown, ours = line.values[k], float(getattr(computed, role)[k])
            if math.isnan(shown):
                continue
            compared += 1
            differ += abs(ours - shown) >= 0.0005
            if abs(ours - shown) > worst[0] + 1e-9:
                worst = (abs(ours - shown), line.label, year, ours, shown)
    if not differ:
        return "The plan's totals and balances as agreed equal the sum of its lines."
    return (f"Reconciliation: the plan is shown as agreed. Its totals and balances "
            f"recomputed from its lines, typed to £1k as published, differ from the agreed "
            f"figures in {differ} of {compared} places, by at most "
            f"£{worst[0] * 1000:,.0f}k ({worst[1]}, {worst[2]}: {worst[3]:.3f} from the "
            f"lines, {worst[4]:.3f} agreed): the printed lines are rounded to £1k, the "
            "agreed totals were computed from unrounded figures.")


def _corrections(audit: list[dict], reported: list[str]) -> list[str]:
    """Every superseded snapshot of the reported periods: which, by whom, when and why."""
    lines = []
    for number, entry in enumerate(audit):
        if str(entry.get("Action")) != "supersede" or str(entry.get("Period")) not in reported:
            continue
        after = next((e for e in audit[number + 1:] if str(e.get("Action")) == "freeze"), {})
        lines.append(f"{entry.get('Period')}: snapshot {canonical(entry.get('Snapshot'))} "
                     f"was superseded by snapshot {canonical(after.get('Snapshot'))} on "
                     f"{entry.get('When')} by {entry.get('Who')}: {entry.get('Reason')}")
    return lines


def _small(value: float | str | None, threshold: int) -> float | str | None:
    """A count below the threshold is suppressed (primary suppression)."""
    return SUPPRESSED if isinstance(value, int | float) and value < threshold else value


def _suppress(line: KpiLine, threshold: int) -> None:
    """Suppress small counts, and what would reveal them: with one of current and previous
    shown, the change (and its RAG) would give the other away (secondary suppression)."""
    line.current = _small(line.current, threshold)
    line.previous = _small(line.previous, threshold)
    if SUPPRESSED in (line.current, line.previous):
        line.change = SUPPRESSED if line.change is not None else None
        line.rag = SUPPRESSED if line.rag else ""


def _suppress_average(line: KpiLine, n_now: int | None, n_before: int | None,
                      threshold: int) -> None:
    """An average cost over fewer placements than the threshold (or over a number not
    known) is suppressed, this period's and the previous one's, with its n and with the
    change and rating that would reveal it."""
    def small(value, n) -> bool:
        return isinstance(value, int | float) and (n is None or n < threshold)

    if small(line.current, n_now):
        line.current, line.n = SUPPRESSED, SUPPRESSED
    if small(line.previous, n_before):
        line.previous = SUPPRESSED
    if SUPPRESSED in (line.current, line.previous):
        line.change = SUPPRESSED if line.change is not None else None
        line.rag = SUPPRESSED if line.rag else ""


def _check_current(book: KpiBook, period: Period, figures: _Figures,
                   settings: Settings) -> None:
    """Live figures only: the finance KPIs must agree with the Plan Data they come from, so
    a stale or broken cell never reaches the public paper unnoticed."""
    column = book.column_of(period)
    expected = plan_kpis(book.plan_figures(column), settings.funding_gap_method)
    for ref in settings.forum_refs:
        if ref not in expected:
            continue
        value, want = figures.get(period, ref), expected[ref]
        row = book.kpis[ref]
        where = f"{row.area.sheet}!{row.area.cell(0, column)}"
        if isinstance(want, ExcelError) or value is None or abs(value - want) > 1e-6 * max(
                1.0, abs(want)):
            shown, wanted = as_shown_apart(value, want.code if isinstance(
                want, ExcelError) else want, c.UNIT_FORMATS.get(c.KPI_BY_REF[ref].unit))
            raise Refused(
                f"{book.label}: {where} (KPI {ref}) shows {shown} but the Plan Data for "
                f"{period} gives {wanted}: recalculate (lfi-xl recalc, or F9 in Excel) and "
                "validate before building the public extract")
