"""The calculated KPIs' formulas for one report column, from the contract.

The builder writes them into the shipped template and ``lfi-xl start-period`` writes them
into a new period's column of any KPI workbook: both call :func:`kpi_formula`, given where
that column's cells are (:class:`Column`), so the two cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lfi_xl import contract as c
from lfi_xl.book.area import Area
from lfi_xl.book.workbook import Workbook
from lfi_xl.errors import quote_sheet


@dataclass(frozen=True)
class Column:
    """Where one report column's cells are, as a formula on the KPI sheet refers to them."""

    header: str                # the period label (row absolute): J$4
    start: str                 # first day the period covers: J$6
    end: str                   # last day: J$7
    plan_data: dict[str, str]  # Plan Data key -> its cell for the period: 'Plan Data'!E5
    kpi1: str = ""             # KPI 1 in this column (for KPI 2): J8
    kpi1_baseline: str = ""    # KPI 1's baseline: $H$8
    #: The Cost workings cell of each (ref, result, cost key) for the period: 'Cost
    #: workings'!J5. Empty in a workbook made before that sheet: the average-cost cells
    #: then get their own LFI_AVGCOST / LFI_PLACEMENTS formulas, as that workbook had.
    costs: dict[tuple[int, str, str], str] = field(default_factory=dict)


def _fte(column: Column) -> str:
    return (f"LFI_FTE({c.placement_name('Start')},{c.placement_name('End')},"
            f"{column.start},{column.end})")


def _criteria_text(criteria, column: Column) -> str:
    parts = []
    for key, criterion in criteria:
        if "{start}" in criterion or "{end}" in criterion:
            operator = criterion.split("{")[0]
            value = f'"{operator}"&{column.start if "{start}" in criterion else column.end}'
        else:
            value = f'"{criterion}"'
        parts.append(f"{c.placement_name(key)},{value}")
    return "".join("," + part for part in parts)


def _from_workings(ref: int, cells: dict[tuple[int, str, str], str]) -> str:
    """An average-cost KPI shown from the Cost workings: #N/A where the average is blank
    (no placements, n = 0), as LFI_AVGCOST gives; an error there passes through."""
    averages = [cells[key] for key in c.cost_averages(ref)]
    if len(averages) == 2:  # KPI 39: before renegotiation less after
        before, after = averages
        return f'=IF(OR({before}="",{after}=""),NA(),{before}-{after})'
    return f'=IF({averages[0]}="",NA(),{averages[0]})'


def kpi_formula(ref: int, column: Column) -> str | None:
    """The formula of calculated KPI ``ref`` in a report column (None: an input KPI)."""
    plan = column.plan_data
    fte = _fte(column)
    if ref in c.PLAN_KPIS:
        key, sign = c.PLAN_KPIS[ref]
        return f"={'-' if sign < 0 else ''}{plan[key]}"
    if ref == c.FUNDING_GAP_KPI:
        method = c.setting_name("FundingGapMethod")
        return (f"=LFI_FUNDGAP({plan['in_year']},{plan['allocation']},{method},"
                f'IF({method}="C",{plan["total_expenditure"]},{plan["block_transfers"]}))')
    if column.costs and ref in c.AVERAGE_COST_REFS:
        return _from_workings(ref, column.costs)
    if ref in c.AVERAGE_COST_KPIS:
        criteria = _criteria_text(c.AVERAGE_COST_KPIS[ref], column)
        return f"=LFI_AVGCOST({c.placement_name('AnnualCost')},{fte}{criteria})"
    if ref == c.RENEGOTIATION_KPI[0]:
        criteria = _criteria_text(c.RENEGOTIATION_KPI[1], column)
        return (f"=LFI_AVGCOST({c.placement_name('PreviousCost')},{fte}{criteria})"
                f"-LFI_AVGCOST({c.placement_name('AnnualCost')},{fte}{criteria})")
    if ref in c.SAVINGS_KPIS:
        criteria = "".join(f',{c.mitigation_name(key)},"{value}"'
                           for key, value in c.SAVINGS_KPIS[ref])
        return (f"=SUMIFS({c.mitigation_name('Saving')},{c.mitigation_name('Period')},"
                f"{column.header}{criteria})/10^6")
    if ref in c.PERCENT_CHANGE_KPIS:
        return f"=LFI_PCTCHANGE({column.kpi1},{column.kpi1_baseline})"
    return None


#: The KPIs with an n (placements behind the average) in the KPI sheet's counts table.
COUNT_REFS = c.AVERAGE_COST_REFS


def count_formula(ref: int, column: Column) -> str:
    """n: the placements behind average-cost KPI ``ref`` in a report column."""
    if column.costs:
        return f"={column.costs[c.cost_count(ref)]}"
    criteria = (c.RENEGOTIATION_KPI[1] if ref == c.RENEGOTIATION_KPI[0]
                else c.AVERAGE_COST_KPIS[ref])
    return f"=LFI_PLACEMENTS({_fte(column)}{_criteria_text(criteria, column)})"


def cell_ref(area: Area, row: int, col: int, on_sheet: str, fixed_row: bool = False,
             fixed: bool = False) -> str:
    """How a formula on ``on_sheet`` names a cell of ``area``: J$6, $H$8, 'Plan Data'!E5."""
    address = area.cell(row, col)
    letters = address.rstrip("0123456789")
    number = address[len(letters):]
    text = (f"${letters}${number}" if fixed else f"{letters}${number}" if fixed_row
            else address)
    return text if area.sheet == on_sheet else f"{quote_sheet(area.sheet)}!{text}"


def column_from_names(workbook: Workbook, column: int) -> Column | None:
    """Report column ``column`` (0-based) of a KPI workbook found by its defined names; None
    when the workbook lacks a name the formulas need (its KPIs are typed, not computed)."""
    periods = workbook.area(c.KPI_PERIODS)
    starts, ends = workbook.area(c.KPI_PERIOD_START), workbook.area(c.KPI_PERIOD_END)
    plan = {key: workbook.area(c.plan_data_name(key)) for key, _ in c.PLAN_DATA_ROWS}
    kpi1, baseline = workbook.area(c.kpi_name(1)), workbook.area(c.KPI_BASELINE)
    if (periods is None or starts is None or ends is None or kpi1 is None or baseline is None
            or None in plan.values()):
        return None
    sheet = periods.sheet
    return Column(
        cell_ref(periods, 0, column, sheet, fixed_row=True),
        cell_ref(starts, 0, column, sheet, fixed_row=True),
        cell_ref(ends, 0, column, sheet, fixed_row=True),
        {key: cell_ref(area, 0, column, sheet) for key, area in plan.items()
         if area is not None},
        cell_ref(kpi1, 0, column, sheet), cell_ref(baseline, 0, 0, sheet, fixed=True),
        _workings_cells(workbook, column, sheet))


def _workings_cells(workbook: Workbook, column: int,
                    on_sheet: str) -> dict[tuple[int, str, str], str]:
    """The Cost workings cell of each measure for report column ``column``, found by the
    names CostWorkings_Measures and CostWorkings_Results ({} when the workbook has no
    such sheet, or its measures lack one the KPI formulas need)."""
    measures, results = workbook.area(c.COST_MEASURES), workbook.area(c.COST_RESULTS)
    if measures is None or results is None or column >= results.shape[1]:
        return {}
    rows = workbook.values(measures)
    header = [str(h or "").strip().casefold() for h in rows[0]]
    try:
        at = [header.index(name.casefold()) for name in c.COST_MEASURE_COLUMNS]
    except ValueError:
        return {}
    keys = {label.casefold(): key for key, label in c.PLACEMENT_COLUMNS}
    results_named = {name.casefold(): name for name in (c.COST_AVERAGE, c.COST_COUNT)}
    cells: dict[tuple[int, str, str], str] = {}
    for offset, row in enumerate(rows[1:]):
        ref, result, cost = (row[j] for j in at)
        try:
            ref = int(ref)
        except (TypeError, ValueError):
            continue
        # as LFI_COSTS reads it; a result it does not know matches no KPI's
        result = results_named.get(str(result or "").strip().casefold(), "")
        key = (ref, result, keys.get(str(cost or "").strip().casefold(), ""))
        cells.setdefault(key, cell_ref(results, offset, column, on_sheet))
    needed = [key for ref in COUNT_REFS for key in (*c.cost_averages(ref), c.cost_count(ref))]
    return cells if all(key in cells for key in needed) else {}
