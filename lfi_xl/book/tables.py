"""The contract's tables, read through any adapter (a file, or a live Excel book).

An adapter ("source") offers ``label`` (for messages), ``area(name)`` (where a defined
name points, or ``None``), ``require(name)`` and ``values(area)`` (a rectangle of cell
values, blanks ``None``, error cells as :class:`~lfi_xl.adapters.files.workbook_xml.ErrorValue`
or their text). Readers here either return the raw cells with their addresses (for
validation, which reports every bad cell) or strict numbers (for computing, which stops
at the first bad cell, naming it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from lfi_xl import contract as c
from lfi_xl.book.area import Area
from lfi_xl.book.workbook import Workbook
from lfi_xl.core import plan as p
from lfi_xl.core.cells import serial
from lfi_xl.core.values import BadValue, fast_numbers, to_number
from lfi_xl.errors import Refused, UnusableInput, cell_ref


class CellProblem(Refused, UnusableInput):
    """A cell whose content cannot be used, named by file, sheet and cell: what validate
    lists, so a command refuses it (exit 1); readers that go on without it catch it as
    unusable input."""


def free_sheet_name(workbook: Workbook, name: str) -> str:
    """``name`` for a sheet lfi-xl adds, or "LFI <name>" when the user already has one."""
    return name if name not in workbook.sheet_names else f"LFI {name}"


def read(workbook: Workbook, name: str) -> tuple[Area, list[list]]:
    area = workbook.require(name)
    return area, workbook.values(area)


def read_column(workbook: Workbook, name: str) -> tuple[Area, np.ndarray]:
    """A one-column table column by name, as a flat object array (blanks ``None``)."""
    area = workbook.require(name)
    return area, workbook.column_cells(area)


def number_at(workbook: Workbook, area: Area, row: int, column: int, value: object,
              expected: str = "a number in £m") -> float:
    """A cell's value as a float (``nan`` if blank), or a :class:`CellProblem` naming it."""
    return cell_number(workbook, area.sheet, area.cell(row, column), value, expected)


def date_number(workbook: Workbook, area: Area, row: int, value: object) -> float:
    """A date cell as an Excel serial number (``nan`` if blank)."""
    if isinstance(value, dt.date | dt.datetime):
        return serial(value)
    return number_at(workbook, area, row, 0, value, "a date")


# ---------------------------------------------------------------------------- plan
_ROLE_BY_LABEL = {label.lower(): role_kind for labels in (c.PLAN_ROLE_LABELS,
                                                           c.NO_AGREEMENT_ROLE_LABELS)
                  for role_kind, label in labels.items()}


@dataclass
class PlanRow:
    line_id: str
    label: str
    role: str | None          # None: a "Counts as" value lfi-xl does not know
    kind: str | None
    sheet: str
    cells: list[str]          # the row's cell for each year
    values: list              # raw cell values, one per year
    kind_cell: str = ""       # where its role is written (the template's "Counts as")


@dataclass
class PlanTable:
    sheet: str
    years: tuple[str, ...]
    rows: list[PlanRow]
    opening_cell: str | None  # None: derived from the printed cumulative balance
    opening: object
    extra_rows: list[PlanRow]  # rows that are not plan lines (the Forecast's money received)


def plan_table(workbook: Workbook, prefix: str = c.PLAN_PREFIX) -> PlanTable:
    """The raw plan table: by the contract's names (``<prefix>_Table``) when the workbook
    has them, else found by its labels (a council's own plan sheet)."""
    if workbook.area(f"{prefix}_Table") is None and prefix == c.PLAN_PREFIX:
        return discovered_plan(workbook)
    area, table = read(workbook, f"{prefix}_Table")
    header = [str(v).strip() if v is not None else "" for v in table[0]]
    try:
        id_column = header.index(c.PLAN_ID_HEADER)
        kind_column = header.index(c.PLAN_KIND_HEADER)
    except ValueError:
        raise UnusableInput(f"{workbook.label}: the {prefix} table has no "
                            f"'{c.PLAN_ID_HEADER}' and '{c.PLAN_KIND_HEADER}' columns in "
                            f"its first row ({cell_ref(area.sheet, area.cell(0, 0))})") from None
    years = tuple(header[1:id_column])
    _check_years(workbook, area, years)
    received = {line for line, _ in c.RECEIVED_LINES}
    rows: list[PlanRow] = []
    extra: list[PlanRow] = []
    for offset, row in enumerate(table[1:], start=1):
        label, line_id, counts_as = row[0], row[id_column], row[kind_column]
        if line_id in (None, "") and label in (None, ""):
            continue
        role, kind = _ROLE_BY_LABEL.get(str(counts_as or "").strip().lower(), (None, None))
        entry = PlanRow(str(line_id or f"row{offset}"), str(label or line_id), role, kind,
                        area.sheet, [area.cell(offset, 1 + k) for k in range(len(years))],
                        list(row[1:id_column]), area.cell(offset, kind_column))
        (extra if entry.line_id in received else rows).append(entry)
    roles = {row.role for row in rows}
    missing = [label for role, label in ((p.INCOME, "income"), (p.EXPENDITURE, "expenditure"))
               if role not in roles]
    if missing:
        raise UnusableInput(f"{workbook.label}: the {prefix} table "
                            f"({cell_ref(area.sheet, area.ref)}) has no {' and no '.join(missing)} "
                            "lines: it cannot be computed")
    opening_area, opening = read(workbook, f"{prefix}_OpeningBalance")
    return PlanTable(area.sheet, years, rows, opening_area.ref, opening[0][0], extra)


def _check_years(workbook: Workbook, area: Area, years: tuple[str, ...]) -> None:
    """The header's years must be financial years, one after another."""
    from lfi_xl.core.periods import PeriodError, parse_year

    previous = None
    for k, label in enumerate(years):
        where = cell_ref(area.sheet, area.cell(0, 1 + k))
        try:
            year = parse_year(label)
        except PeriodError:
            raise CellProblem(f"{workbook.label}: {where}: expected a financial year such as "
                              f"2023/24 in the header, found {label!r}") from None
        if previous is not None and year != previous + 1:
            raise CellProblem(f"{workbook.label}: {where}: {label} does not follow the year "
                              "before it")
        previous = year
    if not years:
        raise UnusableInput(f"{workbook.label}: the plan table "
                            f"({cell_ref(area.sheet, area.ref)}) has no year columns")


def discovered_plan(workbook: Workbook) -> PlanTable:
    """A plan table found by its labels; unusable (naming what is missing) otherwise."""
    from lfi_xl.book.discover import REQUIRED_LINES, find_plan, line_kind, role_of

    sheets = {name: workbook.sheet_values(name) for name in workbook.sheet_names}
    found = find_plan(sheets)
    if found is None or found.missing:
        looked_for = ", ".join(f"'{label}'" for label in (
            found.missing if found else [dict((i, lbl) for i, lbl, *_ in
                                              _published_lines())[k] for k in REQUIRED_LINES]))
        where = f" (sheet '{found.sheet}', row {found.header_row})" if found else ""
        raise UnusableInput(f"{workbook.label}: no DSG plan table with the lines lfi-xl needs"
                            f"{where}: did not find {looked_for}; looked for a row of years "
                            "(2022/23, 2022-23, FY2022/23 or 22/23) with the plan's labels")
    rows = []
    kinds = line_kinds(workbook)
    for match in [*found.lines, *found.extra]:
        values = sheets[found.sheet][match.row - 1]
        cells = [found.cell(match.row, k) for k in range(len(found.years))]
        raw = [values[col - 1] if col - 1 < len(values) else None
               for col in found.year_columns]
        role, kind = kinds.get(str(match.key)) or role_of(str(match.key))
        if role == p.EXPENDITURE and kind is None and str(match.key) not in kinds:
            kind = line_kind(match.label)[0]  # by its words, until the council says
        rows.append(PlanRow(str(match.key), match.label, role, kind, found.sheet, cells, raw))
    rows.sort(key=lambda row: int(re.sub(r"\D", "", row.cells[0])))
    return PlanTable(found.sheet, found.years, rows, None, None, [])


def line_kinds(workbook: Workbook) -> dict[str, tuple[str, str | None]]:
    """The council's own word on how each line of its plan counts: the Line kinds table
    adopt writes (line id -> role and kind); empty when there is none."""
    area = workbook.area(c.LINE_KINDS_TABLE)
    if area is None:
        return {}
    values = workbook.values(area)
    header = [str(v).strip() if v is not None else "" for v in values[0]]
    try:
        id_column, kind_column = (header.index(c.LINE_KINDS_COLUMNS[1]),
                                  header.index(c.PLAN_KIND_HEADER))
    except ValueError:
        raise UnusableInput(f"{workbook.label}: the {c.LINE_KINDS} table "
                            f"({cell_ref(area.sheet, area.ref)}) has no "
                            f"'{c.LINE_KINDS_COLUMNS[1]}' and '{c.PLAN_KIND_HEADER}' "
                            "columns in its first row") from None
    kinds = {}
    for offset, row in enumerate(values[1:], start=1):
        line_id, text = row[id_column], str(row[kind_column] or "").strip()
        if line_id in (None, ""):
            continue
        if text.lower() not in _ROLE_BY_LABEL:
            where = cell_ref(area.sheet, area.cell(offset, kind_column))
            raise CellProblem(f"{workbook.label}: {where}: {text!r} is not one of: "
                              + ", ".join(c.PLAN_ROLE_LABELS.values()))
        kinds[str(line_id)] = _ROLE_BY_LABEL[text.lower()]
    return kinds


def _published_lines():
    from lfi_xl.data import published

    return published.LINES


def to_plan(workbook: Workbook, table: PlanTable) -> p.Plan:
    """Strict: the table as a :class:`~lfi_xl.core.plan.Plan`, or the first bad cell."""
    lines = []
    for row in table.rows:
        if row.role is None:
            raise CellProblem(f"{workbook.label}: {cell_ref(row.sheet, row.kind_cell)}: not one "
                              f"of: " + ", ".join(c.PLAN_ROLE_LABELS.values()))
        values = [cell_number(workbook, row.sheet, cell, value)
                  for cell, value in zip(row.cells, row.values, strict=True)]
        lines.append(p.PlanLine(row.line_id, row.label, row.role, np.array(values), row.kind))
    opening = (cell_number(workbook, table.sheet, table.opening_cell, table.opening)
               if table.opening_cell else float("nan"))
    return p.Plan(table.years, tuple(lines), None if np.isnan(opening) else opening)


def cell_number(workbook: Workbook, sheet: str, cell: str, value: object,
                expected: str = "a number in £m") -> float:
    """A cell's value as a float (``nan`` if blank), or a :class:`CellProblem` naming it."""
    try:
        return to_number(value, expected)
    except BadValue as error:
        raise CellProblem(f"{workbook.label}: {cell_ref(sheet, cell)}: {error}") from None


def read_plan_from(workbook: Workbook, prefix: str = c.PLAN_PREFIX) -> p.Plan:
    return to_plan(workbook, plan_table(workbook, prefix))


def received(workbook: Workbook, table: PlanTable) -> dict[str, np.ndarray]:
    """The Forecast's money actually received, by line id (``nan`` = blank)."""
    return {row.line_id: np.array([cell_number(workbook, row.sheet, cell, value)
                                   for cell, value in zip(row.cells, row.values, strict=True)])
            for row in table.extra_rows if row.line_id != "cumulative_after_received"}


# ---------------------------------------------------------------------------- columns
def columns(workbook: Workbook, names: dict[str, str], numbers: frozenset[str] = frozenset(),
            dates: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Table columns by defined name: numbers and dates as floats (``nan`` blank, a bad cell
    raises :class:`CellProblem`), other columns as object arrays (blank ``None``)."""
    out = {}
    for key, name in names.items():
        area, flat = read_column(workbook, name)
        if key in dates or key in numbers:
            fast = fast_numbers(flat, dates=key in dates)
            if fast is None:  # a bad cell somewhere: find it and say where
                convert = date_number if key in dates else (
                    lambda s, a, i, v: number_at(s, a, i, 0, v, "a number"))
                fast = np.array([convert(workbook, area, i, v) for i, v in enumerate(flat)],
                                dtype=float)
            out[key] = fast
        else:
            out[key] = flat
    return out


PLACEMENT_NUMBERS = frozenset({"AnnualCost", "PreviousCost"})
PLACEMENT_DATES = frozenset({"Start", "End"})
MITIGATION_NUMBERS = frozenset({"BaseVolume", "BaseUnitCost", "Volume", "UnitCost", "Saving",
                                "VolumeEffect", "PriceEffect", "Workstream"})


def read_placements(workbook: Workbook) -> dict[str, np.ndarray]:
    return columns(workbook, {key: c.placement_name(key) for key, _ in c.PLACEMENT_COLUMNS},
                   PLACEMENT_NUMBERS, PLACEMENT_DATES)


def read_mitigations(workbook: Workbook) -> dict[str, np.ndarray]:
    return columns(workbook, {key: c.mitigation_name(key) for key, _ in c.MITIGATION_COLUMNS},
                   MITIGATION_NUMBERS)
