"""The plan under forecast demand: the EHCP fan, the balance fan and the chance of clearing.

:func:`demand_outlook` puts a council's EHCP history (its own ``area,year,ehcps`` CSV, or
the DfE series bundled for its authority, Settings' ``LAName``) through the forecast
(:mod:`lfi_xl.core.forecast`), and the plan through the demand scenario
(:mod:`lfi_xl.core.scenario`); the Schools Forum paper's Demand page shows it
(:mod:`lfi_xl.actions.forum_paper`). The planned EHCPs are the trend when the plan was
made (the forecast's median from the counts up to the January before the plan's first
one) unless the council gives its own; the mitigations' savings are the Mitigations log's,
the last report of each year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from lfi_xl.actions.forecast import Series, calibration_for
from lfi_xl.book.demand import read_demand
from lfi_xl.core import forecast as fc
from lfi_xl.core.plan import Plan, PlanError
from lfi_xl.core.scenario import DemandFan, demand_fan, january_of
from lfi_xl.data import ehcps
from lfi_xl.errors import UnusableInput

QUANTILES = (0.1, 0.5, 0.9)
#: The quantiles the chance of clearing is read from.
CHANCE_QUANTILES = fc.QUANTILE_GRID


@dataclass
class DemandOutlook:
    area: str
    source: str
    fan: DemandFan               # rows: QUANTILES
    chance: tuple[float, str]    # of the last year's cumulative balance <= 0
    last_known: int              # the last January counted
    savings: np.ndarray          # £m a year taken off the demand lines
    notes: list[str] = field(default_factory=list)

    def sentences(self, safety_valve: bool = True) -> list[str]:
        """What the page says of the fans; ``safety_valve`` False: a council without an
        agreement, whose balance is after its own contributions only."""
        fan, years = self.fan, self.fan.years
        after = "Safety Valve funding" if safety_valve else "council contributions"
        low, mid, high = (fan.cumulative[fan.row(q), -1] for q in QUANTILES)
        return [
            f"EHC plans ({self.area}, {self.source}): forecast for January "
            f"{january_of(years[-1])} between {fan.ehcps[0, -1]:,.0f} and "
            f"{fan.ehcps[-1, -1]:,.0f} (10th-90th percentile), median {fan.ehcps[1, -1]:,.0f}, "
            f"against {fan.planned[-1]:,.0f} assumed when the plan was made.",
            f"With demand as forecast, the cumulative balance after {after} at "
            f"the end of {years[-1]} is between {_money(low)} and {_money(high)} "
            f"(10th-90th percentile; median {_money(mid)}).",
            f"The chance that the plan clears the deficit by {years[-1]} is "
            f"{self.chance[1]} on this forecast.",
        ]


def _money(value: float) -> str:
    return f"£{value:,.1f}m deficit" if value > 0.0005 else (
        f"£{-value:,.1f}m surplus" if value < -0.0005 else "£0.0m (balanced)")


def yearly_savings(plan: Plan, mitigations: Mapping[str, np.ndarray] | None) -> np.ndarray:
    """£m a year of mitigations' savings: each plan year's last report in the log (the
    log's savings are a year's cost avoidance as at each report); 0 where it has none."""
    savings = np.zeros(len(plan.years))
    if not mitigations or "Period" not in mitigations or "Saving" not in mitigations:
        return savings
    periods = [str(v) for v in mitigations["Period"]]
    amounts = np.nan_to_num(np.asarray(mitigations["Saving"], dtype=float))
    for k, year in enumerate(plan.years):
        start = year[:4]
        labels = sorted({p for p in periods if p.startswith(f"{start}-")})
        if labels:
            last = labels[-1]
            savings[k] = sum(a for p, a in zip(periods, amounts, strict=True) if p == last) / 1e6
    return savings


def demand_outlook(plan: Plan, la_name: str, history: Series | None = None,
                   mitigations: Mapping[str, np.ndarray] | None = None,
                   planned: fc.Numbers | None = None,
                   funding_gap_method: str = "A",
                   history_source: str = "the council's own counts") -> DemandOutlook:
    """The EHCP fan and the plan's balance fan for an authority. ``planned``: one figure a
    plan year, ``nan`` (or all of it None) where the plan's trend stands in."""
    if history is None:
        area = ehcps.find_area(la_name)
        if area is None:
            raise PlanError(f"no EHCP history for {la_name!r}: the bundled DfE series has no "
                            "authority of that name (give its history CSV)")
        history, source = ehcps.series(area), "DfE, Education, health and care plans"
    else:
        area, source = la_name, history_source
    years, counts = tuple(int(y) for y in history[0]), np.asarray(history[1], dtype=float)
    januaries = [january_of(y) for y in plan.years]
    last = years[-1]
    ahead = max(januaries[-1] - last, 0)
    if ahead > fc.MAX_HORIZON:
        raise PlanError(f"the plan runs to January {januaries[-1]}, more than "
                        f"{fc.MAX_HORIZON} years after the last EHCP count ({last})")
    grid = tuple(sorted(set(QUANTILES) | set(CHANCE_QUANTILES)))
    table = (fc.forecast(counts, ahead, grid, calibration_for(last)) if ahead
             else np.empty((0, len(grid))))
    paths = np.empty((len(grid), len(januaries)))
    for j, january in enumerate(januaries):
        if january <= last:
            if january not in years:
                raise PlanError(f"the EHCP history has no count for January {january}")
            paths[:, j] = counts[years.index(january)]
        else:
            paths[:, j] = table[january - last - 1]
    notes = []
    given = (np.full(len(januaries), np.nan) if planned is None
             else np.asarray(planned, dtype=float))
    if given.shape != (len(januaries),):
        raise PlanError(f"the planned EHC plans need one figure for each of the plan's "
                        f"{len(januaries)} years")
    planned = given
    if np.any(np.isnan(given)):
        made = years.index(januaries[0] - 1) if januaries[0] - 1 in years else None
        if made is None or made < fc.WINDOW:
            raise PlanError("no planned EHC plans given, and the history does not reach "
                            f"back to January {januaries[0] - 1} (with {fc.WINDOW} years "
                            "before it) to take the trend then")
        at_plan = calibration_for(years[made])
        growth = fc.drift(counts[: made + 1], at_plan.prior)
        trend = counts[made] * np.exp(growth * (np.array(januaries) - years[made]))
        planned = np.where(np.isnan(given), trend, given)
        notes.append(f"Planned EHC plans: the trend when the plan was made (from January "
                     f"{years[made]}, growing {math.expm1(growth):.1%} a year)"
                     + (", as the plan states none." if np.all(np.isnan(given)) else
                        " where the Demand sheet leaves them blank."))
    else:
        notes.append("Planned EHC plans: as the plan workbook's Demand sheet gives them.")
    savings = yearly_savings(plan, mitigations)
    fan = demand_fan(plan, planned, paths, grid, savings, funding_gap_method)
    chance = fan.chance_to_clear()
    keep = [grid.index(q) for q in QUANTILES]
    shown = DemandFan(fan.years, QUANTILES, fan.planned, fan.ehcps[keep], fan.in_year[keep],
                      fan.cumulative[keep])
    return DemandOutlook(area, source, shown, chance, last, savings, notes)


def outlook_for_paper(plan: Plan, settings, book, footnotes: list[str], plan_source=None):
    """The outlook the Schools Forum paper shows: from the plan workbook's Demand sheet
    when it has one, otherwise the DfE series bundled for Settings' authority; None (with
    a footnote saying why) when there is neither. ``book``: the KPI workbook, whose
    Mitigations log gives the savings (none without a log)."""
    history, planned = read_demand(plan_source) if plan_source is not None else (None, None)
    try:
        mitigations = book.mitigations
    except UnusableInput:  # a council's KPI workbook without a Mitigations log
        mitigations = None
    try:
        return demand_outlook(plan, settings.la_name, history=history, mitigations=mitigations,
                              planned=planned, funding_gap_method=settings.funding_gap_method,
                              history_source="the plan workbook's Demand sheet")
    except (PlanError, fc.ForecastError) as error:
        footnotes.append(f"No EHCP demand forecast: {error}.")
        return None
