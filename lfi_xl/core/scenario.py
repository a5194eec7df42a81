"""The demand scenario: the plan re-costed with forecast EHCPs, so the balance is a fan.

The plan's demand-driven lines (expenditure counted as direct: special schools,
independent places, resource bases, post-16, alternative provision, the inclusion fund)
were costed on a number of children with EHC plans, ``planned``, net of the mitigations'
savings. Their unmitigated cost is the line plus its share of the year's savings; its
unit cost that over ``planned``. With ``ehcps`` children instead, each line becomes::

    line + (ehcps / planned - 1) * (line + savings * line / sum of demand lines)

so the demand lines together cost ``unit cost x ehcps - savings`` and, with demand as
planned, every line is the plan's own to the last bit (the change is exactly 0). Income,
central lines and the Safety Valve contributions stay as planned. A quantile path of
EHCPs gives that quantile of every year's balance: a balance rises with demand, and the
forecast's errors carry from one year to the next (a year above the median is followed by
years above it), so the paths are taken whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from lfi_xl.core import plan as p
from lfi_xl.core.forecast import Numbers


def january_of(year: str) -> int:
    """The January inside a financial year: "2023/24" -> 2024 (the EHCP count then)."""
    return int(year[:4]) + 1


def demand_line_ids(plan: p.Plan) -> list[str]:
    """The lines demand drives: expenditure counted as direct spend."""
    return [line.id for line in plan.lines
            if line.role == p.EXPENDITURE and line.kind == p.DIRECT]


def scenario_plan(plan: p.Plan, planned: Numbers, ehcps: Numbers,
                  savings: Numbers | None = None,
                  lines: Sequence[str] | None = None) -> p.Plan:
    """The plan with its demand lines re-costed for ``ehcps`` children instead of
    ``planned`` (both one figure a plan year; ``savings`` the mitigations' £m a year,
    positive, already taken off the lines).

    >>> from lfi_xl.data.published import published_plan
    >>> plan = published_plan()
    >>> same = scenario_plan(plan, [9000.0] * 7, [9000.0] * 7, [1.5] * 7)
    >>> all(np.array_equal(a.values, b.values, equal_nan=True)
    ...     for a, b in zip(same.lines, plan.lines, strict=True))
    True
    >>> more = scenario_plan(plan, [9000.0] * 7, [9900.0] * 7)
    >>> round(float(more.line("special_schools").values[0]), 4)  # 46.878 x 1.1
    51.5658
    """
    planned_counts = np.asarray(planned, dtype=float)
    forecast_counts = np.asarray(ehcps, dtype=float)
    n = len(plan.years)
    saved = np.zeros(n) if savings is None else np.asarray(savings, dtype=float)
    if not (planned_counts.shape == forecast_counts.shape == saved.shape == (n,)):
        raise p.PlanError(f"the scenario needs one planned count, one forecast count and one "
                          f"saving for each of the plan's {n} years")
    if np.any(~(planned_counts > 0)) or np.any(~np.isfinite(forecast_counts)):
        raise p.PlanError("the planned EHCPs must be above 0 and the forecast ones numbers")
    ids = set(demand_line_ids(plan) if lines is None else lines)
    demand = p.total([line for line in plan.lines if line.id in ids], n)
    change = forecast_counts / planned_counts - 1.0
    new_lines = []
    for line in plan.lines:
        if line.id in ids:
            values = line.values
            share = np.divide(np.nan_to_num(values), demand, out=np.zeros(n),
                              where=demand != 0)
            delta = change * (np.nan_to_num(values) + saved * share)
            line = replace(line, values=np.where(delta == 0, values, values + delta))
        new_lines.append(line)
    return p.Plan(plan.years, tuple(new_lines), plan.opening_balance)


@dataclass(frozen=True)
class DemandFan:
    """The plan's balances for each quantile path of EHCPs (rows follow ``quantiles``)."""

    years: tuple[str, ...]
    quantiles: tuple[float, ...]
    planned: np.ndarray
    ehcps: np.ndarray
    in_year: np.ndarray
    cumulative: np.ndarray  # after Safety Valve funding

    def row(self, q: float) -> int:
        return self.quantiles.index(q)

    def chance_to_clear(self) -> tuple[float, str]:
        """The chance the last year's cumulative balance is 0 or less (cleared), and how
        to say it: read off the quantiles (a balance quantile q below 0 means a chance of
        at least q), so "below 5%" / "above 95%" outside the quantiles given."""
        last = self.cumulative[:, -1]
        qs = np.asarray(self.quantiles)
        if np.all(last > 0):
            return 0.0, f"less than {qs[0]:.0%}"
        if np.all(last <= 0):
            return 1.0, f"more than {qs[-1]:.0%}"
        chance = float(np.interp(0.0, last, qs))
        return chance, f"about {chance:.0%}"


def demand_fan(plan: p.Plan, planned: Numbers, paths: np.ndarray,
               quantiles: Numbers, savings: Numbers | None = None,
               funding_gap_method: str = "A") -> DemandFan:
    """Every quantile path of EHCPs (``paths``: one row per quantile, one column per plan
    year) through :func:`scenario_plan` and the plan's own arithmetic."""
    in_year, cumulative = [], []
    for path in np.asarray(paths, dtype=float):
        result = p.compute_plan(scenario_plan(plan, planned, path, savings), funding_gap_method)
        in_year.append(result.in_year)
        cumulative.append(result.cumulative_after_sv)
    return DemandFan(tuple(plan.years), tuple(float(q) for q in quantiles),
                     np.asarray(planned, dtype=float), np.asarray(paths, dtype=float),
                     np.array(in_year), np.array(cumulative))
