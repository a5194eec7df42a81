"""The KPI workbook through any adapter: report columns, KPI rows, conditions, narrative,
plan data, placements, mitigations and snapshots, each cell with its address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lfi_xl import contract as c
from lfi_xl.book import tables
from lfi_xl.book.area import Area, ErrorValue
from lfi_xl.book.discover import Discovering
from lfi_xl.book.kpi_values import KpiInputs
from lfi_xl.book.settings import Settings, read_settings
from lfi_xl.book.workbook import Workbook
from lfi_xl.core.cells import serial, to_date
from lfi_xl.core.periods import Period, PeriodError
from lfi_xl.core.values import EXCEL_ERRORS, BadValue, to_number
from lfi_xl.errors import cell_ref


@dataclass
class Row:
    """One row of a by-period table: its key, cells and where they are."""

    key: object
    area: Area            # the row's report columns
    values: list          # one raw value per report column


@dataclass(frozen=True)
class PeriodCells(Area):
    """A row's report columns when its sheet orders them otherwise than KPI_Periods:
    column ``k`` (KPI_Periods' order) is at offset ``columns[k]`` of the area."""

    columns: tuple[int, ...] = field(default=())

    def cell(self, row_offset: int, col_offset: int) -> str:
        if 0 <= col_offset < len(self.columns):
            col_offset = self.columns[col_offset]
        return super().cell(row_offset, col_offset)


class KpiBook:
    """Reads lazily; every reader names its defined names in the contract."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook

    def has(self, name: str) -> bool:
        return self.workbook.area(name) is not None

    def structure_problems(self) -> list[str]:
        """What stops the KPI tables being read: names missing or broken in a template
        (a council's own list may lack KPIs; the template has all 46), rows whose report
        columns do not line up with the periods, register columns of unequal length."""
        problems = []
        width = len(self.period_labels)
        workbook = self.workbook  # its own names, not discovery's
        own = workbook.own_area if isinstance(workbook, Discovering) else workbook.area
        if own(c.KPI_TABLE) is not None:  # the template: it has every KPI's name
            missing = [c.kpi_name(kpi.ref) for kpi in c.KPIS if not self.has(c.kpi_name(kpi.ref))]
            if missing:
                problems.append(f"the defined name(s) {', '.join(missing)} are missing or "
                                "point to #REF!: each KPI row needs its name")
        rows = [(c.kpi_name(ref), self.workbook.area(c.kpi_name(ref))) for ref in c.KPI_BY_REF]
        rows += [(c.plan_data_name(key), self.workbook.area(c.plan_data_name(key)))
                 for key, _ in c.PLAN_DATA_ROWS]
        for name, area in rows:
            if area is not None and area.shape != (1, width):
                problems.append(f"{name} covers {area.ref} but there are {width} report "
                                "columns: it should be one row as wide as KPI_Periods")
        if self.computes_kpis or any(self.has(c.placement_name(k)) for k, _ in
                                     c.PLACEMENT_COLUMNS):
            for kind, name_of, columns in ((c.PLACEMENTS, c.placement_name, c.PLACEMENT_COLUMNS),
                                           (c.MITIGATIONS, c.mitigation_name,
                                            c.MITIGATION_COLUMNS)):
                areas = {key: self.workbook.area(name_of(key)) for key, _ in columns}
                absent = [name_of(key) for key, area in areas.items() if area is None]
                if absent:
                    problems.append(f"{kind}: the defined name(s) {', '.join(absent)} are "
                                    "missing or point to #REF!")
                    continue
                found = {key: area for key, area in areas.items() if area is not None}
                spans = [(a.min_row, a.max_row, a.shape[1]) for a in found.values()]
                usual = max(set(spans), key=spans.count)
                for key, area in found.items():
                    if (area.min_row, area.max_row, area.shape[1]) != usual:
                        problems.append(f"{kind}: {name_of(key)} covers {area.sheet}!"
                                        f"{area.ref} (from {area.sheet}!{area.cell(0, 0)}) but "
                                        f"the other columns cover rows {usual[0]}-{usual[1]}: "
                                        "every column must cover the same rows, one column "
                                        "each")
        problems += self.period_header_problems()
        if self.computes_kpis:
            absent = [c.plan_data_name(key) for key, _ in c.PLAN_DATA_ROWS
                      if not self.has(c.plan_data_name(key))]
            if absent:
                problems.append(f"Plan Data: the defined name(s) {', '.join(absent)} are "
                                "missing or point to #REF!")
        return problems

    @property
    def computes_kpis(self) -> bool:
        """Whether the workbook holds what the calculated KPIs are computed from (the
        template does; a council's own KPI list may hold typed figures only)."""
        return all(self.has(name) for name in (
            c.placement_name("AnnualCost"), c.mitigation_name("Saving"),
            c.plan_data_name("in_year")))

    @property
    def label(self) -> str:
        return self.workbook.label

    @cached_property
    def settings(self) -> Settings:
        return read_settings(self.workbook)

    @cached_property
    def period_labels(self) -> list[str]:
        _, values = tables.read(self.workbook, c.KPI_PERIODS)
        return ["" if v is None else str(v).strip() for v in values[0]]

    def _period_key(self, value) -> str:
        text = "" if value is None else str(value).strip()
        try:
            return self.settings.cadence.parse(text).label
        except Exception:  # not a period label: compared as typed
            return text

    def _header_labels(self, periods_name: str) -> tuple[Area, list[str]] | None:
        area = self.workbook.area(periods_name)
        if area is None:
            return None
        return area, [self._period_key(v) for v in self.workbook.values(area)[0]]

    def period_order(self, periods_name: str) -> list[int | None] | None:
        """Where each of KPI_Periods' reports is among another sheet's period headers
        (``None``: not there); ``None`` when the sheet has no such header. Sheets are read
        by their headers' labels, so reordered columns never give another period's values."""
        found = self._header_labels(periods_name)
        if found is None:
            return None
        labels = found[1]
        return [labels.index(key) if key in labels else None
                for key in (self._period_key(p) for p in self.period_labels)]

    def period_header_problems(self) -> list[str]:
        """Period headers of Conditions, Narrative and Plan Data that are duplicated or
        lack a report of KPI_Periods."""
        problems = []
        wanted = [self._period_key(p) for p in self.period_labels if p]
        for periods_name, what in ((c.CONDITIONS_PERIODS, c.CONDITIONS),
                                   (c.NARRATIVE_PERIODS, c.NARRATIVE),
                                   (c.PLAN_DATA_PERIODS, c.PLAN_DATA)):
            found = self._header_labels(periods_name)
            if found is None:
                continue
            area, labels = found
            for label in dict.fromkeys(label for label in labels if label):
                cells = [f"{area.sheet}!{area.cell(0, k)}" for k, other in enumerate(labels)
                         if other == label]
                if len(cells) > 1:
                    problems.append(f"{what}: the report period {label} heads "
                                    f"{len(cells)} columns ({', '.join(cells)}): each "
                                    "period needs exactly one")
            missing = [label for label in wanted if label not in labels]
            if missing:
                problems.append(f"{what}: no column headed {', '.join(missing)} in "
                                f"{area.sheet}!{area.ref} (the KPI sheet has these reports): "
                                "each report period needs its column, headed by its label")
        return problems

    def requested_period(self, period: Period | None) -> Period:
        """A period someone asked for (a command's --period), checked against this
        workbook's cadence; ``None``: Settings' current period."""
        if period is None:
            return self.settings.current_period
        try:
            self.settings.cadence.check(period)
        except PeriodError as error:
            periods = ", ".join(p for p in self.period_labels if p) or "none"
            raise tables.CellProblem(f"{self.label}: {error}; this workbook's report periods "
                                     f"are {periods}") from None
        return period

    def column_of(self, period: Period) -> int:
        """The report column (0-based within KPI_Periods) headed by ``period``."""
        try:
            return self.period_labels.index(period.label)
        except ValueError:
            raise tables.CellProblem(f"{self.label}: the KPI sheet has no column for report "
                                     f"{period.label}") from None

    @cached_property
    def kpis(self) -> dict[int, Row]:
        """Rows by master ref (a council's own list may lack some: they are absent)."""
        rows = {}
        for kpi in c.KPIS:
            if self.has(c.kpi_name(kpi.ref)):
                area, values = tables.read(self.workbook, c.kpi_name(kpi.ref))
                rows[kpi.ref] = Row(kpi.ref, area, values[0])
        return rows

    @cached_property
    def baselines(self) -> Row | None:
        if not self.has(c.KPI_BASELINE):
            return None
        area, values = tables.read(self.workbook, c.KPI_BASELINE)
        return Row("baseline", area, [row[0] for row in values])

    def _by_period(self, table_name: str, periods_name: str) -> list[Row]:
        if not self.has(table_name):
            return []
        area, values = tables.read(self.workbook, table_name)
        periods_area = self.workbook.require(periods_name)
        first = periods_area.min_col - area.min_col
        order = self.period_order(periods_name)
        rows = []
        for offset, row in enumerate(values[1:], start=1):
            if row[0] in (None, ""):
                continue
            row_area = Area(area.sheet, area.min_row + offset, periods_area.min_col,
                            area.min_row + offset, periods_area.max_col)
            rows.append(self._in_period_order(
                Row(row[0], row_area, row[first:first + row_area.shape[1]]), order))
        return rows

    @staticmethod
    def _in_period_order(row: Row, order: list[int | None] | None) -> Row:
        """``row`` with its values (and cells) in KPI_Periods' order."""
        if order is None or order == list(range(len(row.values))):
            return row
        columns = tuple(k if at is None else at for k, at in enumerate(order))
        values = [None if at is None or at >= len(row.values) else row.values[at]
                  for at in order]
        area = row.area
        return Row(row.key, PeriodCells(area.sheet, area.min_row, area.min_col, area.max_row,
                                        area.max_col, columns), values)

    @cached_property
    def conditions(self) -> list[Row]:
        return self._by_period(c.CONDITIONS_TABLE, c.CONDITIONS_PERIODS)

    @cached_property
    def narrative(self) -> list[Row]:
        return self._by_period(c.NARRATIVE_TABLE, c.NARRATIVE_PERIODS)

    @cached_property
    def plan_data(self) -> dict[str, Row]:
        rows = {}
        order = self.period_order(c.PLAN_DATA_PERIODS)
        for key, _ in c.PLAN_DATA_ROWS:
            if not self.has(c.plan_data_name(key)):
                continue
            area, values = tables.read(self.workbook, c.plan_data_name(key))
            rows[key] = self._in_period_order(Row(key, area, values[0]), order)
        return rows

    @cached_property
    def placements(self) -> dict[str, np.ndarray]:
        return tables.read_placements(self.workbook)

    @cached_property
    def mitigations(self) -> dict[str, np.ndarray]:
        return tables.read_mitigations(self.workbook)

    @cached_property
    def snapshots(self) -> tuple[Area | None, list[dict]]:
        if not self.has(c.SNAPSHOTS_TABLE):
            return None, []
        area, values = tables.read(self.workbook, c.SNAPSHOTS_TABLE)
        header = [str(v).strip() if v is not None else "" for v in values[0]]
        rows = [dict(zip(header, row, strict=False)) | {"_row": offset}
                for offset, row in enumerate(values[1:], start=1)
                if any(v not in (None, "") for v in row)]
        return area, rows

    def plan_figures(self, column: int) -> dict[str, float]:
        """Plan Data for one report column, strictly: a bad or blank cell raises, naming it."""
        figures = {}
        for key, row in self.plan_data.items():
            figures[key] = tables.number_at(self.workbook, row.area, 0, column,
                                            row.values[column])
            if np.isnan(figures[key]):
                where = cell_ref(row.area.sheet, row.area.cell(0, column))
                raise tables.CellProblem(f"{self.label}: {where}: Plan Data's "
                                         f"{self.plan_data_label(key)} is blank for "
                                         f"{self.period_labels[column]}")
        return figures

    def plan_data_label(self, key: str) -> str:
        """A Plan Data row as its sheet names it (the text beside its first report
        column), else as the contract does."""
        return self._plan_data_labels.get(key) or dict(c.PLAN_DATA_ROWS).get(key, key)

    @cached_property
    def _plan_data_labels(self) -> dict[str, str]:
        labels = {}
        for key, row in self.plan_data.items():
            area = row.area
            if area.min_col <= 1:
                continue
            beside = self.workbook.values(Area(area.sheet, area.min_row, area.min_col - 1,
                                               area.min_row, area.min_col - 1))
            text = beside[0][0] if beside and beside[0] else None
            if isinstance(text, str) and text.strip():
                labels[key] = text.strip()
        return labels

    def covers(self, column: int) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day report column ``column`` covers, as its cells on the KPI
        sheet say: a column keeps the meaning it was made with (a 2023-24 Q3 made with
        three reports a year runs to March, whatever Reports a year says now)."""
        dates = []
        for name in (c.KPI_PERIOD_START, c.KPI_PERIOD_END):
            area = self.workbook.area(name)
            value = None
            if area is not None and column < area.shape[1]:
                value = self.workbook.values(area)[0][column]
            try:
                dates.append(None if value in (None, "") else to_date(value, name))
            except Exception:  # not a date: the cadence's dates, as before
                dates.append(None)
        return dates[0], dates[1]

    def kpi_inputs(self, period: Period) -> KpiInputs:
        """Everything the calculated KPIs of one period are computed from."""
        settings = self.settings
        column = self.column_of(period)
        kpi1 = self.kpis[1]
        start, end = self.covers(column)
        cells = {key: cell_ref(row.area.sheet, row.area.cell(0, column))
                 for key, row in self.plan_data.items()}
        cells["kpi1"] = cell_ref(kpi1.area.sheet, kpi1.area.cell(0, column))
        if self.baselines is not None:
            cells["kpi1_baseline"] = cell_ref(self.baselines.area.sheet,
                                              self.baselines.area.cell(0, 0))
        return KpiInputs(
            period.label, serial(start or settings.cadence.start(period)),
            serial(end or settings.cadence.end(period)), self.plan_figures(column),
            self.placements, self.mitigations,
            kpi1=_number_or_nan(kpi1.values[column]),
            kpi1_baseline=_number_or_nan(self.baselines.values[0] if self.baselines else None),
            funding_gap_method=settings.funding_gap_method, masks=self.criteria_masks,
            cells=cells, labels={key: self.plan_data_label(key) for key in self.plan_data})

    def cell_names(self) -> dict[tuple[str, str], str]:
        """What each input and KPI cell is, in the workbook's words, by (sheet, cell):
        "KPI 1 for 2024-25 Q1", "KPI 1's baseline", "Plan Data's HNB DSG allocation
        (income, £m) for 2024-25 Q1": for a message that names a cell."""
        names: dict[tuple[str, str], str] = {}
        labels = self.period_labels
        for ref, row in self.kpis.items():
            for column, period in enumerate(labels):
                if period and column < row.area.shape[1]:
                    names[(row.area.sheet, row.area.cell(0, column))] = f"KPI {ref} for {period}"
        if self.baselines is not None:
            area = self.baselines.area
            for ref in sorted(self.kpis):
                if ref - 1 < area.shape[0]:
                    names[(area.sheet, area.cell(ref - 1, 0))] = f"KPI {ref}'s baseline"
        for key, row in self.plan_data.items():
            for column, period in enumerate(labels):
                if period and column < len(row.values):
                    names[(row.area.sheet, row.area.cell(0, column))] = (
                        f"Plan Data's {self.plan_data_label(key)} for {period}")
        return names

    @cached_property
    def criteria_masks(self) -> dict:
        """Criteria tested on the register (and each text column's distinct values, under
        (key, None)), shared by every period: ``masks`` of
        :func:`~lfi_xl.core.costs.costs_by_period`."""
        return {}


def _number_or_nan(value) -> float:
    try:
        return to_number(value)
    except BadValue:
        return float("nan")


def is_error(value) -> bool:
    """An Excel error value, as a file (``ErrorValue``) or live Excel (its text) gives it."""
    return isinstance(value, ErrorValue) or (
        isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS)
