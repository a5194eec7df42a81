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
    #: Where the inputs were read ("KPIs!L8"), to name the one at fault: "kpi1",
    #: "kpi1_baseline" and each Plan Data key; and Plan Data's labels as the sheet shows
    #: them. Empty when the inputs come from elsewhere (a test, the contract's figures).
    cells: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
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


def plan_kpis(data: dict[str, float], method: str = "A",
              inputs: KpiInputs | None = None) -> dict[int, float | ExcelError]:
    """The finance KPIs (11-22) from one report's Plan Data figures (``inputs``, when
    given, names the Plan Data cells a funding gap that cannot be computed reads)."""
    out: dict[int, float | ExcelError] = {ref: sign * data[key]
                                          for ref, (key, sign) in c.PLAN_KPIS.items()}
    gap = p.funding_gap([data["in_year"]], [data["allocation"]], method,
                        block_transfers=[data["block_transfers"]],
                        total_expenditure=[data["total_expenditure"]])[0]
    out[c.FUNDING_GAP_KPI] = (_no_funding_gap(data, method, inputs)
                              if np.isnan(gap) else float(gap))
    return out


def _no_funding_gap(data: dict[str, float], method: str, inputs: KpiInputs | None
                    ) -> ExcelError:
    """Why the funding gap has no figure, naming the Plan Data it divides by: a blank
    (#VALUE!, as LFI_FUNDGAP gives) or a 0 (#DIV/0!)."""
    keys = ["allocation"] + (["block_transfers"] if method.upper() == "B" else [])
    named = " and ".join(_plan_data(key, inputs) for key in keys)
    if any(math.isnan(data[key]) for key in keys):
        return ExcelError(VALUE, f"{named} {'is' if len(keys) == 1 else 'are'} blank: KPI "
                                 f"{c.FUNDING_GAP_KPI}, the funding gap, is measured "
                                 "against it")
    what = "is 0" if len(keys) == 1 else "add up to 0"
    return ExcelError(DIV0, f"{named} {what}: KPI {c.FUNDING_GAP_KPI}, the funding gap, is "
                            "measured against it")


def _plan_data(key: str, inputs: KpiInputs | None) -> str:
    """A Plan Data figure named as its sheet shows it, for the period, with its cell."""
    labels = dict(c.PLAN_DATA_ROWS)
    name = (inputs.labels.get(key) if inputs is not None else None) or labels.get(key, key)
    period = f" for {inputs.period}" if inputs is not None else ""
    cell = inputs.cells.get(key) if inputs is not None else None
    return f"Plan Data's {name}{period}" + (f" ({cell})" if cell else "")


def percent_change(inputs: KpiInputs, ref: int, source: int) -> float | ExcelError:
    """KPI ``ref``, the change of KPI ``source`` from its baseline (as LFI_PCTCHANGE gives
    it), or the error it shows, naming the input at fault: a 0 baseline (#DIV/0!), a
    blank current figure or a blank baseline (#VALUE!), in LFI_PCTCHANGE's order."""
    now, base = inputs.kpi1, inputs.kpi1_baseline

    def at(key: str) -> str:
        cell = inputs.cells.get(key)
        return f" ({cell})" if cell else ""

    if base == 0:
        return ExcelError(DIV0, f"KPI {source}'s baseline{at('kpi1_baseline')} is 0, and "
                                f"KPI {ref} is KPI {source}'s change from it: type the "
                                "baseline")
    if math.isnan(now):
        return ExcelError(VALUE, f"KPI {source} for {inputs.period}{at('kpi1')} is blank, "
                                 f"and KPI {ref} is its change from KPI {source}'s baseline: "
                                 f"type KPI {source}")
    if math.isnan(base):
        return ExcelError(VALUE, f"KPI {source}'s baseline{at('kpi1_baseline')} is blank, "
                                 f"and KPI {ref} is KPI {source}'s change from it: type the "
                                 "baseline")
    return float(measures.pct_change(now, base))


def calculated_kpis(inputs: KpiInputs) -> dict[int, float | ExcelError]:
    """Every calculated KPI for one period: a number, or the Excel error it shows."""
    out = plan_kpis(inputs.plan_data, inputs.funding_gap_method, inputs) | \
        average_cost_kpis(inputs)
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
    for ref, source in c.PERCENT_CHANGE_KPIS.items():
        out[ref] = percent_change(inputs, ref, source)
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
