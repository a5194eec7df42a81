"""Copy the plan's figures into the KPI workbook's Plan Data, for one report period.

No formula reaches from one workbook into the other, so the finance KPIs (11-22) read a
Plan Data sheet in the KPI workbook; this fills the report's column with the year's
figures from the DSG plan workbook (its latest forecast, or the plan), as values. Past
reports keep what they had: a frozen period is refused. The plan workbook's path and
SHA-256 are recorded in Settings, so the extract knows which plan the figures came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lfi_xl import contract as c
from lfi_xl.book import tables
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.kpi_values import plan_data_rows
from lfi_xl.book.settings import record_setting
from lfi_xl.book.snapshots import current_snapshots
from lfi_xl.book.source_file import fingerprint, workbook_path
from lfi_xl.book.workbook import EditableWorkbook, Workbook
from lfi_xl.core.periods import Period, year_label
from lfi_xl.core.plan import compute_plan
from lfi_xl.errors import Refused, UnusableInput


@dataclass(frozen=True)
class Refreshed:
    """What a refresh of Plan Data did."""

    period: Period
    year: str                     # plan style, 2023/24
    source: str                   # "forecast" or "plan": what was copied
    figures: dict[str, float]     # Plan Data key -> value written
    plan_workbook: str            # as recorded in Settings
    plan_sha256: str

    def __str__(self) -> str:
        return (f"Plan Data for {self.period} now holds the {self.source}'s {self.year} "
                f"figures (in-year {self.figures['in_year']:.3f}). The finance KPIs show "
                "the new figures once recalculated.")


def refresh_plan_data(kpi: EditableWorkbook, plan: Workbook, period: Period | None = None,
                      use: str | None = None, superseding: bool = False) -> Refreshed:
    """Write the plan's figures for ``period``'s year (default: Settings' current period)
    into the KPI workbook's Plan Data. ``use``: "forecast" (the default when the plan
    workbook keeps one) or "plan". A frozen period is refreshed only as the first step
    of superseding its snapshot (``superseding``: the superseding freeze does it)."""
    book = KpiBook(kpi)
    settings = book.settings
    period = book.requested_period(period)
    if period.label in current_snapshots(book.snapshots[1]) and not superseding:
        raise Refused(f"{period} is frozen: its Plan Data stays as it was reported. To "
                      "correct it, freeze it again superseding its snapshot, with a reason: "
                      "that brings the plan's latest forecast in, recalculates and freezes")
    use = use or ("forecast" if plan.area(c.FORECAST_TABLE) is not None else "plan")
    prefix = c.FORECAST_PREFIX if use == "forecast" else c.PLAN_PREFIX
    result = compute_plan(tables.read_plan_from(plan, prefix),
                          settings.funding_gap_method)
    year = year_label(period.year, "/")
    if year not in result.years:
        raise UnusableInput(f"{plan.label}: the {use} has no year {year} for {period}")
    index, column = result.years.index(year), book.column_of(period)
    missing = [c.plan_data_name(key) for key, _ in c.PLAN_DATA_ROWS if key not in book.plan_data]
    if missing:
        raise UnusableInput(f"{book.label}: no Plan Data names {', '.join(missing)}")
    figures = plan_data_rows(result)
    written = {}
    for key, row in book.plan_data.items():
        value = round(float(figures[key][index]), 6)
        kpi.set_cells(row.area.sheet, {row.area.cell(0, column): value})
        written[key] = value
    plan_path, (_, plan_sha) = workbook_path(plan), fingerprint(plan)
    record_setting(kpi, "PlanWorkbook", _relative(plan_path, kpi)
                   if plan_path else plan.label)
    record_setting(kpi, "PlanWorkbookSHA256", plan_sha if plan_path else "")
    return Refreshed(period, year, use, written, str(plan_path or plan.label), plan_sha)


def _relative(plan_path: Path, kpi: Workbook) -> str:
    """The plan's path as recorded: beside or below the KPI workbook, relative to it (the
    pair can move together, e.g. to another drive letter); elsewhere, in full."""
    kpi_path = workbook_path(kpi)
    plan_path = plan_path.resolve()
    if kpi_path is not None and plan_path.is_relative_to(kpi_path.resolve().parent):
        return os.path.relpath(plan_path, kpi_path.resolve().parent)
    return str(plan_path)
