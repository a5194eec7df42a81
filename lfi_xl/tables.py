"""The contract's tables, read through any adapter (a file, or a live Excel book).

An adapter ("source") offers ``label`` (for messages), ``area(name)`` (where a defined
name points, or ``None``), ``require(name)`` and ``values(area)`` (a rectangle of cell
values, blanks ``None``, error cells as :class:`~lfi_xl.files.workbook_xml.ErrorValue`
or their text). Readers here either return the raw cells with their addresses (for
validation, which reports every bad cell) or strict numbers (for computing, which stops
at the first bad cell, naming it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from lfi_xl import contract as c
from lfi_xl.cells import serial
from lfi_xl.core import plan as p
from lfi_xl.core.values import BadValue, to_number
from lfi_xl.errors import UnusableInput, cell_ref
from lfi_xl.files.workbook_xml import Area


class CellProblem(UnusableInput):
    """A cell whose content cannot be used, named by file, sheet and cell."""


def read(source, name: str) -> tuple[Area, list[list]]:
    area = source.require(name)
    return area, source.values(area)


def number_at(source, area: Area, row: int, column: int, value: object,
              expected: str = "a number in £m") -> float:
    """A cell's value as a float (``nan`` if blank), or a :class:`CellProblem` naming it."""
    try:
        return to_number(value, expected)
    except BadValue as error:
        where = cell_ref(area.sheet, area.cell(row, column))
        raise CellProblem(f"{source.label}: {where}: {error}") from None


def date_number(source, area: Area, row: int, value: object) -> float:
    """A date cell as an Excel serial number (``nan`` if blank)."""
    if isinstance(value, dt.date | dt.datetime):
        return serial(value)
    return number_at(source, area, row, 0, value, "a date")


# ---------------------------------------------------------------------------- plan
_ROLE_BY_LABEL = {label.lower(): role_kind for role_kind, label in c.PLAN_ROLE_LABELS.items()}


@dataclass
class PlanRow:
    line_id: str
    label: str
    role: str | None          # None: a "Counts as" value lfi-xl does not know
    kind: str | None
    offset: int               # row offset within the table area (header = 0)
    values: list              # raw cell values, one per year


@dataclass
class PlanTable:
    area: Area
    years: tuple[str, ...]
    rows: list[PlanRow]
    kind_column: int
    opening_area: Area
    opening: object
    extra_rows: list[PlanRow]  # rows that are not plan lines (the Forecast's money received)

    def cell(self, row: PlanRow, year_index: int) -> str:
        return self.area.cell(row.offset, 1 + year_index)


def plan_table(source, prefix: str = "Plan") -> PlanTable:
    """The raw plan table named ``<prefix>_Table`` (Plan or Forecast)."""
    area, table = read(source, f"{prefix}_Table")
    header = [str(v).strip() if v is not None else "" for v in table[0]]
    try:
        id_column = header.index(c.PLAN_ID_HEADER)
        kind_column = header.index(c.PLAN_KIND_HEADER)
    except ValueError:
        raise UnusableInput(f"{source.label}: the {prefix} table has no "
                            f"'{c.PLAN_ID_HEADER}' and '{c.PLAN_KIND_HEADER}' columns in "
                            f"its first row ({cell_ref(area.sheet, area.cell(0, 0))})") from None
    years = tuple(header[1:id_column])
    received = {line for line, _ in c.RECEIVED_LINES}
    rows, extra = [], []
    for offset, row in enumerate(table[1:], start=1):
        label, line_id, counts_as = row[0], row[id_column], row[kind_column]
        if line_id in (None, "") and label in (None, ""):
            continue
        role_kind = _ROLE_BY_LABEL.get(str(counts_as or "").strip().lower(), (None, None))
        entry = PlanRow(str(line_id or f"row{offset}"), str(label or line_id), *role_kind,
                        offset, list(row[1:id_column]))
        (extra if entry.line_id in received else rows).append(entry)
    opening_area, opening = read(source, f"{prefix}_OpeningBalance")
    return PlanTable(area, years, rows, kind_column, opening_area, opening[0][0], extra)


def to_plan(source, table: PlanTable) -> p.Plan:
    """Strict: the table as a :class:`~lfi_xl.core.plan.Plan`, or the first bad cell."""
    lines = []
    for row in table.rows:
        if row.role is None:
            where = cell_ref(table.area.sheet, table.area.cell(row.offset, table.kind_column))
            raise CellProblem(f"{source.label}: {where}: not one of: "
                              + ", ".join(c.PLAN_ROLE_LABELS.values()))
        values = [number_at(source, table.area, row.offset, 1 + k, v)
                  for k, v in enumerate(row.values)]
        lines.append(p.PlanLine(row.line_id, row.label, row.role, np.array(values), row.kind))
    opening = number_at(source, table.opening_area, 0, 0, table.opening)
    return p.Plan(table.years, tuple(lines), None if np.isnan(opening) else opening)


def read_plan_from(source, prefix: str = "Plan") -> p.Plan:
    return to_plan(source, plan_table(source, prefix))


def received(source, table: PlanTable) -> dict[str, np.ndarray]:
    """The Forecast's money actually received, by line id (``nan`` = blank)."""
    return {row.line_id: np.array([number_at(source, table.area, row.offset, 1 + k, v)
                                   for k, v in enumerate(row.values)])
            for row in table.extra_rows if row.line_id != "cumulative_after_received"}


# ---------------------------------------------------------------------------- columns
def columns(source, names: dict[str, str], numbers: frozenset[str] = frozenset(),
            dates: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Table columns by defined name: numbers and dates as floats (``nan`` blank, a bad cell
    raises :class:`CellProblem`), other columns as object arrays (blank ``None``)."""
    out = {}
    for key, name in names.items():
        area, values = read(source, name)
        flat = [row[0] for row in values]
        if key in dates:
            out[key] = np.array([date_number(source, area, i, v) for i, v in enumerate(flat)],
                                dtype=float)
        elif key in numbers:
            out[key] = np.array([number_at(source, area, i, 0, v, "a number")
                                 for i, v in enumerate(flat)], dtype=float)
        else:
            out[key] = np.array(flat, dtype=object)
    return out


PLACEMENT_NUMBERS = frozenset({"AnnualCost", "PreviousCost"})
PLACEMENT_DATES = frozenset({"Start", "End"})
MITIGATION_NUMBERS = frozenset({"BaseVolume", "BaseUnitCost", "Volume", "UnitCost", "Saving",
                                "VolumeEffect", "PriceEffect", "Workstream"})


def read_placements(source) -> dict[str, np.ndarray]:
    return columns(source, {key: c.placement_name(key) for key, _ in c.PLACEMENT_COLUMNS},
                   PLACEMENT_NUMBERS, PLACEMENT_DATES)


def read_mitigations(source) -> dict[str, np.ndarray]:
    return columns(source, {key: c.mitigation_name(key) for key, _ in c.MITIGATION_COLUMNS},
                   MITIGATION_NUMBERS)
