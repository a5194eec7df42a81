"""Working inside the council's own workbooks: the contract's names, found by labels.

:class:`Discovering` wraps any adapter: a contract name the workbook has is used as it
is; one it lacks is supplied from discovery (the plan's rows, the KPI rows and report
columns), so every command works on a council's own workbook as found. ``lfi-xl adopt``
writes those names (and a Settings sheet) into the workbook, so that from then on it
works like the shipped template, also in Excel formulas (``=LFI_CUMBAL(...,Plan_in_year)``).
"""

from __future__ import annotations

from functools import cached_property

from lfi_xl import contract as c
from lfi_xl.discover import KpiFound, PlanFound, find_kpis, find_plan, report
from lfi_xl.errors import UnusableInput
from lfi_xl.files.workbook_xml import Area
from lfi_xl.tables import free_sheet_name


def _row_area(sheet: str, row: int, columns: list[int]) -> Area:
    return Area(sheet, row, min(columns), row, max(columns))


class Discovering:
    """An adapter whose missing contract names are filled in from discovery."""

    def __init__(self, source):
        self.source = source

    def __getattr__(self, name: str):
        return getattr(self.source, name)

    @cached_property
    def _sheets(self) -> dict[str, list[list]]:
        return {name: self.source.sheet_values(name) for name in self.source.sheet_names}

    @cached_property
    def plan(self) -> PlanFound | None:
        if self.source.area(c.PLAN_TABLE) is not None:
            return None  # the template's own table, read by its names
        return find_plan(self._sheets)

    @cached_property
    def kpis(self) -> KpiFound | None:
        if self.source.area(c.KPI_TABLE) is not None:
            return None
        return find_kpis(self._sheets)

    @cached_property
    def found_names(self) -> dict[str, Area]:
        """The contract names discovery can give this workbook."""
        names: dict[str, Area] = {}
        plan = self.plan
        if plan is not None and not plan.missing:
            names[c.PLAN_YEARS] = _row_area(plan.sheet, plan.header_row, plan.year_columns)
            for match in [*plan.lines, *plan.extra]:
                names[c.plan_line_name(str(match.key))] = _row_area(plan.sheet, match.row,
                                                                    plan.year_columns)
        kpis = self.kpis
        if kpis is not None and kpis.rows and kpis.period_columns:
            columns = sorted(kpis.period_columns.values())
            if columns == list(range(columns[0], columns[-1] + 1)):  # one block of reports
                names[c.KPI_PERIODS] = _row_area(kpis.sheet, kpis.header_row, columns)
                for match in kpis.rows:
                    names[c.kpi_name(int(match.key))] = _row_area(kpis.sheet, match.row,
                                                                  columns)
                last = max(match.row for match in kpis.rows)
                names[c.KPI_TABLE] = Area(kpis.sheet, kpis.header_row, kpis.ref_column, last,
                                          columns[-1])
        return names

    def area(self, name: str) -> Area | None:
        found = self.source.area(name)
        if found is not None or not self._discoverable(name):
            return found
        return self.found_names.get(name)

    def _discoverable(self, name: str) -> bool:
        """Only names discovery can give, and only in a workbook without the template's
        own table of that kind (a template never needs scanning)."""
        if name.startswith("Plan_"):
            return self.source.area(c.PLAN_TABLE) is None
        if name.startswith("KPI_"):
            return self.source.area(c.KPI_TABLE) is None
        return False

    def require(self, name: str) -> Area:
        area = self.area(name)
        if area is None:
            return self.source.require(name)  # says what is missing
        return area

    def report(self) -> list[str]:
        return report(self.plan, self.kpis)


def adopt(book) -> list[str]:
    """Write the contract's names and a Settings sheet into ``book`` (a FileWorkbook or a
    LiveWorkbook); returns the discovery report. Refuses, listing the labels it looked
    for, when neither a plan nor a KPI table can be found."""
    found = Discovering(book)
    names = {name: area for name, area in found.found_names.items()
             if book.area(name) is None}
    if not names and book.area(c.PLAN_TABLE) is None and book.area(c.KPI_TABLE) is None:
        wanted = ", ".join(f"'{label}'" for label in (found.plan.missing if found.plan else []))
        raise UnusableInput(
            f"{book.label}: found neither a DSG plan table (a row of years such as 2022/23 "
            "with the plan's labels: 'High Needs Block DSG Income', 'In-year +deficit/"
            "-surplus', 'Cumulative Balance without contribution', 'DfE Contribution'"
            + (f"; missing here: {wanted}" if wanted else "") + ") nor a KPI table (a 'Ref' "
            "column beside the KPI measures with report columns such as 2023-24 Q1)")
    for name, area in names.items():
        book.set_name(name, area.sheet, area.ref)
    if book.area(c.setting_name("LAName")) is None:
        sheet = free_sheet_name(book, c.SETTINGS)
        rows = [[label, default, meaning] for _, label, default, meaning in c.SETTING_ROWS]
        book.replace_sheet(sheet, ["Setting", "Value", "What it means"], rows,
                           widths=[28, 30, 90])
        for offset, (key, *_rest) in enumerate(c.SETTING_ROWS, start=2):
            book.set_name(c.setting_name(key), sheet, f"B{offset}")
    return [*found.report(), f"Defined names written: {len(names)}"
            + (f" ({', '.join(sorted(names)[:6])}{', ...' if len(names) > 6 else ''})"
               if names else "")]
