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

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book import tables
from lfi_xl.book.findings import ERROR
from lfi_xl.book.kpi_book import KpiBook, is_error
from lfi_xl.book.kpi_values import plan_data_rows, plan_kpis
from lfi_xl.book.snapshots import (
    canonical,
    chain_head,
    current_snapshots,
    file_sha256,
    verify,
)
from lfi_xl.core import measures
from lfi_xl.core.kpis import COUNT
from lfi_xl.core.periods import year_label
from lfi_xl.core.plan import compute_plan
from lfi_xl.core.reconcile import errors, reconcile
from lfi_xl.core.values import BadValue, to_number
from lfi_xl.errors import UnusableInput

REPO_WORKBOOKS = Path(__file__).resolve().parents[2] / "workbooks"
REFERRAL_REFS = (6, 7, 8)


#: What a suppressed count shows in the public paper.
SUPPRESSED = "c"


@dataclass
class KpiLine:
    forum_line: int
    ref: int
    measure: str
    unit: str
    current: float | str | None     # "c" when suppressed
    previous: float | str | None
    change: float | str | None
    rag: str
    basis: str              # what the RAG compares with


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
    chain_head: str = ""                       # the audit chain's head (verify --head)


PLAN_SUMMARY_ROWS = (
    ("Total income", "total_income"),
    ("Total expenditure", "total_expenditure"),
    ("In-year +deficit/-surplus", "in_year"),
    ("Cumulative balance before Safety Valve funding", "cumulative_before_sv"),
    ("DfE contribution", "dfe"),
    ("Council contribution", "la"),
    ("Cumulative balance after Safety Valve funding", "cumulative_after_sv"),
)


class _Figures:
    """Every KPI figure the paper shows, read strictly: a frozen period's from its snapshot,
    another's from its cells. A cell that is not a number (text, an Excel error) stops
    the extract, naming it: the public paper never shows a blank where a figure was."""

    def __init__(self, book: KpiBook, frozen_rows: dict[str, list]):
        self.book, self.frozen_rows = book, frozen_rows

    def get(self, period: str, ref: int, required: bool = False) -> float | None:
        if period in self.frozen_rows:
            row = next((r for r in self.frozen_rows[period] if r.get("Kind") == c.SNAPSHOT_KPI
                        and canonical(r.get("Key")) == ref), None)
            raw = None if row is None else row.get("Value")
            where = f"the {period} snapshot (Snapshots table)"
        else:
            if ref not in self.book.kpis:
                raise UnusableInput(f"{self.book.label}: KPI {ref} "
                                    f"({c.KPI_BY_REF[ref].measure}) is not in the workbook")
            row = self.book.kpis[ref]
            column = self.book.column_of(period)
            raw = row.values[column]
            where = f"{row.area.sheet}!{row.area.cell(0, column)}"
        try:
            value = None if is_error(raw) else to_number(raw)
        except BadValue:
            value = None
        if value is None and raw not in (None, ""):
            raise UnusableInput(f"{self.book.label}: {where} (KPI {ref}, {period}) holds "
                                f"{raw!r}, not a figure: fix it (Validate entries) before "
                                "building the public extract")
        if value is None or math.isnan(value):
            if required:
                raise UnusableInput(f"{self.book.label}: {where} (KPI {ref}, {period}) is "
                                    "blank, and the KPI is reported every term: fill it in "
                                    "before building the public extract")
            return None
        return value


def _plan_sections(source, method: str) -> tuple[tuple[str, ...], dict, dict, object]:
    """The plan and (when the workbook keeps one) the latest forecast, line by line.
    A printed total that differs from its lines by more than rounding stops the extract."""
    plans = {"plan": tables.read_plan_from(source, c.PLAN_PREFIX)}
    if source.area(c.FORECAST_TABLE) is not None:
        plans["forecast"] = tables.read_plan_from(source, c.FORECAST_PREFIX)
    elif c.FORECAST in source.sheet_names:
        raise UnusableInput(f"{source.label}: there is a {c.FORECAST} sheet but its defined "
                            f"name {c.FORECAST_TABLE} is missing or points to #REF!: the "
                            "extract would silently leave the forecast out")
    for name, plan in plans.items():
        wrong = errors(reconcile(plan))
        if wrong:
            raise UnusableInput(f"{source.label}: the {name} does not add up: "
                                f"{wrong[0].message} (run lfi-xl validate)")
    results = {name: compute_plan(plan, method) for name, plan in plans.items()}
    plan_result = results["plan"]
    summary = {name: {label: [float(v) for v in getattr(result, key)]
                      for label, key in PLAN_SUMMARY_ROWS}
               for name, result in results.items()}
    return plan_result.years, summary["plan"], summary.get("forecast", {}), plan_result


def _source(given, default: str):
    """An adapter as given (a live book), or a file's reader (default: the shipped one);
    names the workbook lacks are found by its labels."""
    from lfi_xl.book.discover import Discovering
    if not hasattr(given, "values"):
        given = WorkbookValues(Path(given or REPO_WORKBOOKS / default))
    return given if isinstance(given, Discovering) else Discovering(given)


def _fingerprint(source) -> tuple[str, str]:
    """(file name, SHA-256 of the file as saved) for the cover."""
    path = getattr(source, "path", None) or getattr(getattr(source, "book", None),
                                                    "fullname", None)
    if path and Path(path).is_file():
        return Path(path).name, file_sha256(Path(path).read_bytes())
    return source.label, "not saved to a file"


def build_extract(kpi=None, plan=None, period: str | None = None) -> ExtractData:
    """Gather every figure of the Schools Forum extract.

    ``kpi`` and ``plan``: workbook paths or live adapters (default: the shipped files).
    """
    kpi_source = _source(kpi, c.KPI_WORKBOOK)
    plan_source = _source(plan, c.PLAN_WORKBOOK)
    book = KpiBook(kpi_source)
    settings = book.settings
    problems = [f.message for f in settings.findings if f.severity == ERROR]
    problems += book.structure_problems()
    if problems:
        raise UnusableInput(f"{book.label}: {problems[0]}: fix it (Validate entries) before "
                            "building the public extract")
    period = book.requested_period(period) if period else settings.current_period.label
    previous = settings.cadence.previous(settings.cadence.parse(period)).label
    _, snapshot_rows = book.snapshots
    current = current_snapshots(snapshot_rows)
    frozen_rows: dict[str, list] = {}
    for row in snapshot_rows:
        if current.get(str(row.get("Period"))) == canonical(row.get("Snapshot")):
            frozen_rows.setdefault(str(row.get("Period")), []).append(row)
    # The snapshots and the audit log must be intact (and findable: a deleted defined
    # name must not turn a frozen report into a "provisional" one); a live cell typed over
    # after freezing does not matter here: the paper shows what was frozen.
    tampered = [f for f in verify(kpi_source) if f.rule in ("snapshot", "audit")]
    if tampered:
        raise UnusableInput(f"{book.label}: {tampered[0].sheet}!{tampered[0].cell}: "
                            f"{tampered[0].message} (run lfi-xl verify): a frozen report "
                            "cannot be published from an edited snapshot")
    figures = _Figures(book, frozen_rows)
    has_previous = previous in book.period_labels or previous in frozen_rows
    years, plan, forecast, plan_result = _plan_sections(plan_source,
                                                        settings.funding_gap_method)
    year = year_label(settings.cadence.parse(period).year, "/")

    lines = []
    for ref in settings.forum_refs:
        kpi = c.KPI_BY_REF[ref]
        value = figures.get(period, ref, required=kpi.termly)
        last = figures.get(previous, ref) if has_previous else None
        target, basis = last, "previous report"
        if year in plan_result.years and (ref in c.PLAN_KPIS or ref == c.FUNDING_GAP_KPI):
            index = plan_result.years.index(year)
            if ref == c.FUNDING_GAP_KPI:
                target = float(plan_result.funding_gap[index])
            else:
                key, sign = c.PLAN_KPIS[ref]
                target = sign * float(plan_data_rows(plan_result)[key][index])
            basis = f"plan {year}"
        rag = ""
        if kpi.better and value is not None and target is not None:
            rag = str(measures.rag(value, target, settings.rag_tolerance, kpi.better))
        change = None if value is None or last is None else value - last
        line = KpiLine(kpi.forum_line, ref, kpi.forum_measure or kpi.measure, kpi.unit,
                       value, last, change, rag, basis)
        if kpi.unit == COUNT:
            _suppress(line, settings.suppression_threshold)
        lines.append(line)
    if book.has(c.plan_data_name("in_year")):
        for label in (period, previous):
            if label in book.period_labels and label not in frozen_rows:
                _check_current(book, label, figures, settings)

    reported = [p.label for p in settings.reported() if p.label <= period]
    referrals = {}
    for ref in REFERRAL_REFS:
        series = [_small(figures.get(label, ref, required=c.KPI_BY_REF[ref].termly),
                         settings.suppression_threshold) for label in reported]
        referrals[c.KPI_BY_REF[ref].measure] = series
    frozen = period in frozen_rows
    status = (f"Frozen: snapshot {current[period]} of {period}" if frozen
              else "provisional - not frozen")
    sources = [("KPI workbook", *_fingerprint(kpi_source)),
               ("DSG plan workbook", *_fingerprint(plan_source))]
    hashes = sorted({(str(row.get("Period")), str(row.get("Snapshot SHA-256")))
                     for rows in frozen_rows.values() for row in rows
                     if str(row.get("Period")) in reported})
    footnotes = [
        "Money in £m; income and contributions are negative and the in-year position is "
        "+deficit/-surplus, as in the DfE plan, except KPI 11 (HNB surplus +).",
        "RAG: against the plan for the year where the KPI comes from the plan, otherwise "
        f"against the previous report; amber = worse by up to {settings.rag_tolerance:.0%}.",
        "Plan figures are computed from the plan's lines, rounded to £1k as published.",
        f"{SUPPRESSED}: a count below {settings.suppression_threshold}, not shown to protect "
        "individuals; a change or rating that would reveal it is not shown either.",
    ]
    return ExtractData(settings.la_name, period, previous, dt.datetime.now().replace(
        microsecond=0), frozen, status, sources, hashes, lines, reported, referrals, years,
        plan, forecast, footnotes, settings.suppression_threshold, chain_head(book))


def _small(value: float | None, threshold: int) -> float | str | None:
    """A count below the threshold is suppressed (primary suppression)."""
    return SUPPRESSED if value is not None and value < threshold else value


def _suppress(line: KpiLine, threshold: int) -> None:
    """Suppress small counts, and what would reveal them: with one of current and previous
    shown, the change (and its RAG) would give the other away (secondary suppression)."""
    line.current = _small(line.current, threshold)
    line.previous = _small(line.previous, threshold)
    if SUPPRESSED in (line.current, line.previous):
        line.change = SUPPRESSED if line.change is not None else None
        line.rag = SUPPRESSED if line.rag else ""


def _check_current(book: KpiBook, period: str, figures: _Figures, settings) -> None:
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
        if hasattr(want, "code") or value is None or abs(value - want) > 1e-6 * max(
                1.0, abs(want)):
            raise UnusableInput(
                f"{book.label}: {where} (KPI {ref}) shows {value!r} but the Plan Data for "
                f"{period} gives {getattr(want, 'code', want)!r}: recalculate (lfi-xl "
                "recalc, or F9 in Excel) and validate before building the public extract")
