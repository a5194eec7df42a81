"""The plan workbook's Demand sheet: the EHC plan counts the forecast starts from, and the
planned EHC plans the plan's demand lines were costed on (both optional)."""

from __future__ import annotations

import math

import numpy as np

from lfi_xl import contract as c
from lfi_xl.book.tables import CellProblem, number_at
from lfi_xl.errors import cell_ref


def read_demand(source) -> tuple[tuple[tuple[int, ...], np.ndarray] | None, np.ndarray | None]:
    """(history, planned): the workbook's (years, counts), or None without a Demand sheet
    (or with its counts all blank); its planned EHC plans a plan year (``nan`` blank), or
    None when there are none. A cell that is not a number raises, naming it."""
    history = planned = None
    if source.area(c.DEMAND_YEARS) is not None and source.area(c.DEMAND_EHCPS) is not None:
        year_area, counts_area = source.require(c.DEMAND_YEARS), source.require(c.DEMAND_EHCPS)
        years = [number_at(source, year_area, i, 0, row[0], "a year (e.g. 2025)")
                 for i, row in enumerate(source.values(year_area))]
        counts = [number_at(source, counts_area, i, 0, row[0], "a number of EHC plans")
                  for i, row in enumerate(source.values(counts_area))]
        pairs = [(y, n) for y, n in zip(years, counts, strict=False)
                 if not (math.isnan(y) and math.isnan(n))]
        for i, (y, n) in enumerate(pairs):
            if (math.isnan(y) or math.isnan(n) or n <= 0 or y != int(y)
                    or (i and y != pairs[i - 1][0] + 1)):
                where = cell_ref(counts_area.sheet, counts_area.cell(i, 0))
                raise CellProblem(f"{source.label}: {where}: the EHC plan counts must be above "
                                  "0, one for each January in turn, oldest first")
        if pairs:
            history = (tuple(int(y) for y, _ in pairs), np.array([n for _, n in pairs]))
    if source.area(c.DEMAND_PLANNED) is not None:
        area = source.require(c.DEMAND_PLANNED)
        row = source.values(area)[0]
        values = np.array([number_at(source, area, 0, j, v, "a number of EHC plans")
                           for j, v in enumerate(row)])
        if not np.all(np.isnan(values)):
            planned = values
    return history, planned
