"""Adopt this workbook: write the contract's names, found by labels
(:class:`~lfi_xl.book.discover.Discovering`), and a Settings sheet into a council's own
workbook, so that from then on it works like the shipped template, also in Excel formulas
(``=LFI_CUMBAL(...,Plan_in_year)``).

Settings are the council's own: its name (given, or read from a title in the file: never
another council's), reports a year read from the KPI table's report columns, its years
and current report. A plan workbook gets a Line kinds sheet (how each line counts: direct
or central spend, where the council can correct it); a KPI workbook without Conditions and
Narrative sheets gets them, empty, for the council's own conditions and answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.book.area import Area, column_letter
from lfi_xl.book.discover import (
    Discovering,
    authority_in,
    confidence,
    line_kind,
    line_label,
    role_of,
)
from lfi_xl.book.settings import read_settings
from lfi_xl.book.tables import free_sheet_name
from lfi_xl.book.workbook import EditableWorkbook, Workbook
from lfi_xl.core import plan as p
from lfi_xl.core.periods import Cadence, Period, PeriodError, parse_period, year_label
from lfi_xl.data.council import blank_council
from lfi_xl.errors import UnusableInput, cell_ref

#: Empty rows an adopted KPI workbook's Conditions sheet has for the council's conditions.
CONDITION_ROWS = 12


#: Defined names adopt's message gives as examples, when it wrote them.
_EXAMPLE_NAMES = (c.PLAN_YEARS, c.plan_line_name("in_year"), c.KPI_PERIODS, c.kpi_name(1))


@dataclass(frozen=True)
class Adopted:
    """What adopting a workbook did: what discovery found where (in the workbook's labels
    and the plan's), and the names written. ``str()`` is the details, then
    :attr:`summary`; no command-line option: where the council can change what adopt
    assumed, it says the sheet."""

    found: tuple[str, ...]        # the discovery report and what adopt added, line by line
    names: tuple[str, ...]        # the defined names written
    settings_added: bool

    @property
    def summary(self) -> str:
        """What was done, in a sentence."""
        return ("Adopted: lfi-xl's names" + (" and the council's Settings" if
                                             self.settings_added else "")
                + " were added; nothing you typed was changed.")

    @property
    def details(self) -> tuple[str, ...]:
        """What was found where, what was added, and the names written."""
        examples = [name for name in _EXAMPLE_NAMES if name in self.names][:2]
        names = (f"Defined names written: {len(self.names)}"
                 + (f" (such as {' and '.join(examples)})" if examples else "")
                 + ", for formulas in the workbook to use") if self.names else \
            "Defined names written: none (the workbook has them all already)"
        return (*self.found, names)

    @property
    def headlines(self) -> tuple[str, ...]:
        """The details but each label's match: the tables found, what adopt read, assumed
        and added, what it could not find or place (what a short message keeps)."""
        return tuple(line for line in self.details
                     if not line.startswith("  ") or "NOT FOUND" in line or "NOT PLACED" in line)

    def __str__(self) -> str:
        return "\n".join([*self.details, self.summary])


def adopt(workbook: EditableWorkbook, authority: str | None = None,
          programme: str | None = None, reports: int | None = None,
          safety_valve: bool | None = None) -> Adopted:
    """Write the contract's names, the council's own Settings and the sheets it lacks
    into ``workbook``; returns what was found and written. Refuses, listing the labels it
    looked for, when neither a plan nor a KPI table can be found, and when the council's
    name is neither given nor in the file's titles."""
    own = workbook.workbook if isinstance(workbook, Discovering) else workbook  # its names
    found = Discovering(own)
    names = {name: area for name, area in found.found_names.items() if own.area(name) is None}
    if not names and own.area(c.PLAN_TABLE) is None and own.area(c.KPI_TABLE) is None:
        wanted = ", ".join(f"'{label}'" for label in (found.plan.missing if found.plan else []))
        raise UnusableInput(
            f"{workbook.label}: found neither a DSG plan table (a row of years such as 2022/23 "
            "with the plan's labels: 'High Needs Block DSG Income', 'In-year +deficit/"
            "-surplus', 'Cumulative Balance without contribution'"
            + (f"; missing here: {wanted}" if wanted else "") + ") nor a KPI table (a 'Ref' "
            "column beside the KPI measures with report columns such as 2023-24 Q1)")
    report = [*found.report()]
    settings = None
    if own.area(c.setting_name("LAName")) is None:
        settings, said = _settings(workbook, found, authority, programme, reports,
                                   safety_valve)
        report += said
    for name, area in names.items():
        workbook.set_name(name, area.sheet, area.ref)
    if settings is not None:
        sheet = free_sheet_name(workbook, c.SETTINGS)
        rows = [[label, settings[key], meaning] for key, label, _, meaning in c.SETTING_ROWS]
        workbook.replace_sheet(sheet, ["Setting", "Value", "What it means"], rows,
                               widths=[28, 30, 90])
        for offset, (key, *_rest) in enumerate(c.SETTING_ROWS, start=2):
            workbook.set_name(c.setting_name(key), sheet, f"B{offset}")
    report += _line_kinds(workbook, found)
    report += _conditions_and_narrative(workbook, found, _current(own, settings))
    return Adopted(tuple(report), tuple(sorted(names)), settings is not None)


def _settings(book: EditableWorkbook, found: Discovering, authority: str | None,
              programme: str | None, reports: int | None,
              safety_valve: bool | None) -> tuple[dict[str, object], list[str]]:
    """The council's own Settings, and what adopt says about where each came from (what
    it assumed is changed on the Settings sheet it writes: adopting again keeps them)."""
    said = []
    if not authority:
        named = authority_in(found._sheets)
        if named is None:
            raise UnusableInput(
                f"{book.label}: whose workbook is this? No council's name in its titles: "
                "type a title naming the council, such as 'Borsetshire County Council: DSG "
                "plan', in a top cell, then adopt it again; lfi-xl never writes another "
                "council's name into your file", unless="authority")
        authority = named[0]
        said.append(f"Authority: '{authority}' (read from {named[1]}; if that is not the "
                    "council, change it on the Settings sheet)")
    periods = []
    if found.kpis is not None and found.kpis.period_columns:
        columns = found.kpis.period_columns
        labels = sorted(columns, key=lambda label: columns[label])
        periods = [Cadence(4).parse(label) for label in labels]
    highest = max((period.report for period in periods), default=0)
    if reports is None:
        reports = 4 if highest == 4 else 3
        said.append(f"Reports a year: {reports} (" + (
            f"the KPI table's report columns go to Q{highest}" if highest else
            "no report columns here") + (
            "; if the council reports quarterly, set 4 on the Settings sheet, with four due "
            "dates)" if reports == 3 else ")"))
    elif highest > reports:
        raise UnusableInput(f"{book.label}: {reports} reports a year were given, but the KPI "
                            f"table has a Q{highest} column")
    plan = found.plan
    if safety_valve is None:
        safety_valve = plan is None or any(m.key == "dfe_contribution" for m in plan.lines)
    years = ([period.year for period in periods]
             or ([int(y[:4]) for y in plan.years[1:] or plan.years] if plan else []))
    if plan is not None:
        years.append(int(plan.years[-1][:4]))
    if not years:
        raise UnusableInput(f"{book.label}: no years found: neither report columns nor a "
                            "plan's years")
    try:
        council = blank_council(authority, reports, year_label(min(years)),
                                year_label(max(years)), programme, None, safety_valve)
    except PeriodError as error:
        raise UnusableInput(f"{book.label}: {error}") from None
    values = council.settings()
    current = _latest_reported(book, found, periods)
    if current is not None:
        values["CurrentPeriod"] = current.label
        values["CurrentYear"] = year_label(current.year, "/")
    said.append(f"Settings written for {authority}: {council.programme}, {reports} reports a "
                f"year, {values['FirstYear']} to {values['LastYear']}, current report "
                f"{values['CurrentPeriod']}"
                + ("" if safety_valve else ", no Safety Valve agreement")
                + ": check them on the Settings sheet")
    return values, said


def _latest_reported(book: EditableWorkbook, found: Discovering,
                     periods: list[Period]) -> Period | None:
    """The last report column with any KPI figure in it."""
    if not periods or found.kpis is None:
        return None
    columns = found.kpis.period_columns
    latest = None
    for match in found.kpis.rows:
        row = found._sheets[found.kpis.sheet][match.row - 1]
        for period in periods:
            column = columns[period.label] - 1
            if column < len(row) and row[column] not in (None, "") and (
                    latest is None or period > latest):
                latest = period
    return latest


def _line_kinds(book: EditableWorkbook, found: Discovering) -> list[str]:
    """A Line kinds sheet: how each income and expenditure line of the council's plan
    counts, and why; the lines lfi-xl could not place are said."""
    plan = found.plan
    if plan is None or plan.missing or book.area(c.LINE_KINDS_TABLE) is not None:
        return []
    rows, unplaced = [], []
    for match in [*plan.lines, *plan.extra]:
        role, kind = role_of(str(match.key))
        if role not in (p.INCOME, p.EXPENDITURE):
            continue
        if match in plan.lines:
            why = (f"its label matches the plan line '{line_label(str(match.key))}' "
                   f"({confidence(match)})")
        if role == p.EXPENDITURE and (kind is None or match in plan.extra):
            kind, why = line_kind(match.label)
            if kind is None:
                unplaced.append(f"  NOT PLACED: {cell_ref(match.sheet, match.cell)} "
                                f"'{match.label}': {why}; say on the {c.LINE_KINDS} sheet")
        rows.append([match.label, str(match.key), c.PLAN_ROLE_LABELS[(role, kind)], why])
    sheet = free_sheet_name(book, c.LINE_KINDS)
    book.replace_sheet(sheet, list(c.LINE_KINDS_COLUMNS), rows, widths=[50, 24, 24, 60])
    book.set_name(c.LINE_KINDS_TABLE, sheet, f"A1:D{1 + len(rows)}")
    direct = sum(1 for row in rows if row[2] == c.PLAN_ROLE_LABELS[(p.EXPENDITURE, p.DIRECT)])
    central = sum(1 for row in rows if row[2] == c.PLAN_ROLE_LABELS[(p.EXPENDITURE,
                                                                     p.CENTRAL)])
    return [f"Line kinds: {direct} direct and {central} central expenditure line(s), "
            f"{len(unplaced)} not placed; the sheet '{sheet}' says how each line counts "
            "(direct and central spend, KPIs 13 and 14): correct its 'Counts as' there",
            *unplaced]


def _period(label: str) -> Period:
    """A report column's period (its heading); one that is no period sorts first."""
    try:
        return parse_period(label)
    except PeriodError:
        return Period(0, 1)


def _current(own: Workbook, settings: dict | None) -> Period | None:
    """The current report: the one adopt writes in Settings, or the workbook's own
    Settings'; ``None`` when neither can be read."""
    if settings is not None:
        return _period(str(settings["CurrentPeriod"]))
    try:
        return read_settings(own).current_period
    except (UnusableInput, PeriodError):
        return None


def _conditions_and_narrative(book: EditableWorkbook, found: Discovering,
                              current: Period | None) -> list[str]:
    """Empty Conditions and Narrative sheets for a KPI workbook without them (the DfE
    return reads the council's conditions, their RAGs and its answers from them), printed
    through the ``current`` report (every report column when it is not known)."""
    kpis = found.kpis
    if kpis is None or not kpis.period_columns:
        return []
    columns = kpis.period_columns
    labels = sorted(columns, key=lambda label: columns[label])
    last = column_letter(2 + len(labels))
    through = max((k + 1 for k, label in enumerate(labels)
                   if current is None or _period(label) <= current), default=len(labels))
    said = []
    for table, periods_name, title, rows in (
            (c.CONDITIONS_TABLE, c.CONDITIONS_PERIODS, c.CONDITIONS,
             [[None, None] for _ in range(CONDITION_ROWS)]),
            (c.NARRATIVE_TABLE, c.NARRATIVE_PERIODS, c.NARRATIVE,
             [*([key, question] for key, question in c.NARRATIVE_QUESTIONS),
              *([c.progress_key(n), f"Condition {n}: progress update"]
                for n in range(1, CONDITION_ROWS + 1))])):
        if book.area(table) is not None:
            continue
        sheet = free_sheet_name(book, title)
        book.replace_sheet(sheet, ["#", "Item", *labels],
                           [row + [None] * len(labels) for row in rows],
                           widths=[14, 60, *([12] * len(labels))])
        book.set_name(table, sheet, f"A1:{last}{1 + len(rows)}")
        book.set_name(periods_name, sheet, f"C1:{last}1")
        # printed through the current report, as start-period moves it on: never the
        # empty columns of reports to come
        book.set_print_area(sheet, [Area(sheet, 1, 1, 1 + len(rows), 2 + through)])
        said.append(sheet)
    if not said:
        return []
    sheets = " and ".join(f"'{sheet}'" for sheet in said)
    return [f"Added the sheets {sheets} for the DfE return: "
            "type each condition's number and wording, its RAG at every report, and the "
            "answers to the questions"]

