"""A workbook's Settings, read by defined name and checked.

Every setting has a default in the contract; a missing or unreadable setting falls back
to it and says so (a finding), so one bad cell never stops a whole report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lfi_xl import contract as c
from lfi_xl.book.area import Area
from lfi_xl.book.findings import ERROR, WARNING, Finding, Rule
from lfi_xl.book.workbook import EditableWorkbook, Workbook
from lfi_xl.core.periods import Cadence, Period, PeriodError
from lfi_xl.core.shown import as_shown
from lfi_xl.errors import UnusableInput


@dataclass
class Settings:
    la_name: str
    current_year: str          # plan style, e.g. 2023/24
    cadence: Cadence
    current_period: Period
    first_year: int
    last_year: int
    funding_gap_method: str
    forum_refs: tuple[int, ...]
    suppression_threshold: int
    rag_tolerance: float
    findings: list[Finding] = field(default_factory=list)
    illustrative: bool = False     # the workbook holds made-up figures
    plan_workbook: str = ""        # recorded by refresh: where Plan Data came from
    plan_sha256: str = ""
    # The DfE return's cover: the programme's local name, who signs off, the steps before.
    programme_name: str = str(c.SETTING_DEFAULTS["ProgrammeName"])
    signed_off_by: str = str(c.SETTING_DEFAULTS["SignedOffBy"])
    sign_off_steps: str = str(c.SETTING_DEFAULTS["SignOffSteps"])
    safety_valve: bool = True      # No: a DSG management plan without an agreement

    def periods(self) -> list[Period]:
        return self.cadence.periods(self.first_year, self.last_year)

    def reported(self) -> list[Period]:
        """Report periods up to and including the current one."""
        return [period for period in self.periods() if period <= self.current_period]


def is_error_text(value) -> bool:
    from lfi_xl.core.values import EXCEL_ERRORS

    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def _said(value: object) -> str:
    """A setting's value in a message: a number or date as a cell shows it, text quoted."""
    return f"'{value}'" if isinstance(value, str) else as_shown(value)


def _raw(workbook: Workbook, key: str):
    area = workbook.area(c.setting_name(key))
    if area is None:
        return None, None
    return area, workbook.values(area)[0][0]


def read_settings(workbook: Workbook) -> Settings:
    findings: list[Finding] = []
    raw: dict[str, tuple[Area | None, object]] = {}
    for key, label, default, _ in c.SETTING_ROWS:
        area, found = _raw(workbook, key)
        if area is None and key not in c.OPTIONAL_SETTINGS:
            findings.append(Finding(WARNING, c.SETTINGS, "", Rule.SETTING,
                                    f"{label}: no cell named {c.setting_name(key)}; "
                                    f"using the default {_said(default)}"))
            found = None
        raw[key] = (area, found)

    def bad(key: str, message: str) -> None:
        area, value = raw[key]
        sheet, cell = (area.sheet, area.ref) if area else (c.SETTINGS, "")
        found = "" if value is None or str(value).strip() == "" else f" (found {_said(value)})"
        findings.append(Finding(ERROR, sheet, cell, Rule.SETTING,
                                f"{message}{found}; using the default "
                                f"{_said(c.SETTING_DEFAULTS[key])}"))

    def value(key: str):
        area, found = raw[key]
        if key in c.RECORDED_SETTINGS:
            return "" if found is None or is_error_text(found) else str(found).strip()
        if area is not None and (found is None or str(found).strip() == ""):
            bad(key, f"{dict((k, lbl) for k, lbl, *_ in c.SETTING_ROWS)[key]} is blank")
            raw[key] = (area, c.SETTING_DEFAULTS[key])  # say it once
            return c.SETTING_DEFAULTS[key]
        if is_error_text(found):
            bad(key, "an Excel error where a setting belongs")
            raw[key] = (area, c.SETTING_DEFAULTS[key])
            return c.SETTING_DEFAULTS[key]
        return c.SETTING_DEFAULTS[key] if found is None else found

    def text(key: str) -> str:
        """A text setting: its default when blank (not worth a finding)."""
        found = raw[key][1]
        return ("" if found is None else str(found).strip()) or str(c.SETTING_DEFAULTS[key])

    def parsed(key: str, parse: Callable[[object], Any] | None = None) -> Any:
        """The setting as its contract parser (or ``parse``) reads it, else its default."""
        own, message = c.SETTING_PARSERS[key]
        parse = parse or own
        try:
            return parse(value(key))
        except (ValueError, TypeError):
            bad(key, message)
            return parse(c.SETTING_DEFAULTS[key])

    count: int = parsed("ReportsPerYear")
    dates: tuple[tuple[int, int], ...] | None = parsed("DueDates")
    if dates is not None and len(dates) != count:
        bad("DueDates", f"{count} reports a year need {count} due dates")
        dates = None
    try:
        cadence = Cadence(count, dates)
    except PeriodError:
        cadence = Cadence(count) if count in (3, 4) else Cadence(3)
    current: Period = parsed("CurrentPeriod", lambda v: cadence.parse(str(v)))
    first: int = parsed("FirstYear")
    last: int = parsed("LastYear")
    method: str = parsed("FundingGapMethod")
    forum: tuple[int, ...] = parsed("ForumKPIs")
    threshold: int = parsed("SuppressionThreshold")
    tolerance: float = parsed("RAGTolerance")
    current_year: str = parsed("CurrentYear")
    illustrative: bool = parsed("Illustrative")
    safety_valve: bool = parsed("SafetyValve")
    return Settings(str(value("LAName")).strip(), current_year, cadence, current, first, last,
                    method, forum, threshold, tolerance, findings, illustrative,
                    str(value("PlanWorkbook")), str(value("PlanWorkbookSHA256")),
                    text("ProgrammeName"), text("SignedOffBy"), text("SignOffSteps"),
                    safety_valve)


def record_setting(workbook: EditableWorkbook, key: str, value: object) -> None:
    """Write a setting into ``workbook``. A workbook that lacks it (made or adopted before
    the setting existed) gets a new row below its last setting, label and name."""
    area = workbook.area(c.setting_name(key))
    if area is None:
        first = workbook.area(c.setting_name("LAName"))
        if first is None:
            raise UnusableInput(f"{workbook.label}: has no Settings (run lfi-xl adopt first)")
        below = max((a.max_row for k, *_ in c.SETTING_ROWS
                     if (a := workbook.area(c.setting_name(k))) and a.sheet == first.sheet))
        label = next(text for k, text, *_ in c.SETTING_ROWS if k == key)
        value_cell = first.cell(below + 1 - first.min_row, 0)
        workbook.set_cells(first.sheet, {first.cell(below + 1 - first.min_row, -1): label})
        workbook.set_name(c.setting_name(key), first.sheet, value_cell)
        area = workbook.require(c.setting_name(key))
    workbook.set_cells(area.sheet, {area.ref: value})
