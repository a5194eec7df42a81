"""The calculated KPIs, computed directly by the core from the workbook's tables.

The KPI sheet computes the same figures with live formulas (``LFI_AVGCOST``, ``SUMIFS``,
...); both follow the tables in :mod:`lfi_xl.contract`, so the extract, validation and
tests can compute a KPI without evaluating the sheet, and the two must agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lfi_xl import contract as c
from lfi_xl.core import costs, measures
from lfi_xl.core import plan as p
from lfi_xl.core.cells import DIV0, NA, VALUE, ExcelError


@dataclass
class KpiInputs:
    """What the calculated KPIs of one report period are computed from."""

    period: str
    start: float                      # first day the period covers (Excel serial)
    end: float                        # last day it covers
    plan_data: dict[str, float]       # Plan Data rows for the period (plan signs)
    placements: dict[str, np.ndarray]  # placement columns by contract key
    mitigations: dict[str, np.ndarray]  # mitigation log columns by contract key
    kpi1: float = float("nan")        # KPI 1 this period, for KPI 2
    kpi1_baseline: float = float("nan")
    funding_gap_method: str = "A"
    #: Which cells meet a criterion on the register, by (column key, criterion), and each
    #: text column's distinct values, by (column key, None): found once for every KPI
    #: (and, shared by the book, every period) that asks.
    masks: dict[tuple[str, object], object] = field(default_factory=dict, repr=False)
    _costs: dict | None = field(default=None, repr=False)


def cost_figures(inputs: KpiInputs) -> dict[tuple[int, str, str], float | int | str]:
    """The period's Cost workings figures, as ``LFI_COSTS`` computes them from the
    register: (KPI ref, result, cost key) -> an FTE-weighted average (``""`` where no
    placement counts) or n (:func:`lfi_xl.contract.cost_measures`)."""
    if inputs._costs is None:
        rows = c.cost_measures()
        measures = [(cost or None, [(key, costs.IN_PERIOD if cell == c.IN_PERIOD else cell)
                                    for key, cell in cells.items()])
                    for _, _, cost, cells in rows]
        figures = costs.costs_by_period(measures, inputs.placements, inputs.placements["Start"],
                                        inputs.placements["End"], [(inputs.start, inputs.end)],
                                        masks=inputs.masks)
        inputs._costs = {(ref, result, cost): found[0]
                         for (ref, result, cost, _), found in zip(rows, figures, strict=True)}
    return inputs._costs


def average_cost_kpis(inputs: KpiInputs) -> dict[int, float | ExcelError]:
    """The average-cost KPIs of one period, and KPI 39 (the average cost before
    renegotiation less after): a number, or #N/A where no placement counts."""
    figures = cost_figures(inputs)
    out: dict[int, float | ExcelError] = {}
    for ref in c.AVERAGE_COST_REFS:
        found = [figures[key] for key in c.cost_averages(ref)]
        if "" in found:
            out[ref] = ExcelError(NA, f"no placements match KPI {ref}'s criteria in "
                                      f"{inputs.period}")
            continue
        averages = [float(value) for value in found]
        out[ref] = averages[0] - averages[1] if len(averages) == 2 else averages[0]
    return out


def plan_kpis(data: dict[str, float], method: str = "A") -> dict[int, float | ExcelError]:
    """The finance KPIs (11-22) from one report's Plan Data figures."""
    out: dict[int, float | ExcelError] = {ref: sign * data[key]
                                          for ref, (key, sign) in c.PLAN_KPIS.items()}
    gap = p.funding_gap([data["in_year"]], [data["allocation"]], method,
                        block_transfers=[data["block_transfers"]],
                        total_expenditure=[data["total_expenditure"]])[0]
    out[c.FUNDING_GAP_KPI] = (ExcelError(DIV0, "the HNB allocation is 0 or blank")
                              if np.isnan(gap) else float(gap))
    return out


def calculated_kpis(inputs: KpiInputs) -> dict[int, float | ExcelError]:
    """Every calculated KPI for one period: a number, or the Excel error it shows."""
    out = plan_kpis(inputs.plan_data, inputs.funding_gap_method) | average_cost_kpis(inputs)
    log = inputs.mitigations
    savings = measures.saving(log["BaseVolume"], log["BaseUnitCost"], log["Volume"],
                              log["UnitCost"])
    in_period = costs.matches(log["Period"], inputs.period)
    for ref, criteria in c.SAVINGS_KPIS.items():
        mask = in_period.copy()
        for key, criterion in criteria:
            mask &= costs.matches(log[key], criterion)
        if np.isnan(savings[mask]).any():  # as SUMIFS over a #VALUE! saving
            row = int(np.flatnonzero(mask & np.isnan(savings))[0]) + 1
            out[ref] = ExcelError(VALUE, f"mitigation {row}: a volume or unit cost is blank")
        else:
            out[ref] = math.fsum(savings[mask]) / 1e6
    for ref in c.PERCENT_CHANGE_KPIS:
        change = measures.pct_change(inputs.kpi1, inputs.kpi1_baseline)
        out[ref] = ExcelError(DIV0, "the baseline is 0 or blank") if np.isnan(
            change) else float(change)
    return out


def no_placements(shown, count: int | None) -> bool:
    """An average-cost KPI with no placements behind it: it shows #N/A and its n is 0 (the
    one "no data" state validate, freeze and the extract accept; docs/functions.md)."""
    return count == 0 and str(shown or "").strip().upper() == NA


def placement_counts(inputs: KpiInputs) -> dict[int, int]:
    """n, the placements behind each average-cost KPI, for one period."""
    figures = cost_figures(inputs)
    return {ref: int(figures[c.cost_count(ref)]) for ref in c.AVERAGE_COST_REFS}


def plan_data_rows(result: p.PlanResult) -> dict[str, np.ndarray]:
    """The Plan Data rows (contract keys) of a computed plan, year by year."""
    return {"allocation": result.hnb_allocation, "block_transfers": result.block_transfers,
            "total_expenditure": result.total_expenditure, "direct_spend": result.direct_spend,
            "central_spend": result.central_spend, "in_year": result.in_year,
            "cumulative_before_sv": result.cumulative_before_sv,
            "cumulative_after_sv": result.cumulative_after_sv, "dfe": result.dfe,
            "la": result.la}
