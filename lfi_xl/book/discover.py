"""Finding the plan and KPI tables in a council's own workbook, by their labels.

People keep the DSG plan and the KPI list in their own spreadsheets, laid out like the
published tables but anywhere on any sheet, with their own wording. Discovery looks for
a row of financial years (``2022/23``, ``2022-23``, ``FY2022/23``, ``22/23``) with plan
line labels beside it, and for a ``Ref`` column beside KPI measures. Labels are compared
after normalising case, spacing, punctuation, ``£m`` and footnote marks, against the
published wording and its known variants; each match carries a confidence, and what is
not found is said.

:class:`Discovering` wraps any adapter: a contract name the workbook has is used as it
is; one it lacks is supplied from discovery (the plan's rows, the KPI rows and report
columns), so every command works on a council's own workbook as found.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np

from lfi_xl import contract as c
from lfi_xl.book.area import Area, column_letter
from lfi_xl.book.workbook import EditableWorkbook, Value, Workbook
from lfi_xl.core import plan as p
from lfi_xl.core.periods import PeriodError, parse_year, year_label
from lfi_xl.data import council, published
from lfi_xl.errors import cell_ref

#: A sheet's cells as read, row by row from A1.
Rows = list[list[Value]]
#: A label matches a line when its normalised similarity reaches this.
MIN_CONFIDENCE = 0.72
#: Tables are looked for in the top-left of each sheet: headers further down or across
#: are not a plan or KPI list (and a 100,000-row register need not be read cell by cell).
SCAN_ROWS, SCAN_COLUMNS = 1_000, 60

_FOOTNOTE = re.compile(r"[\u00b9\u00b2\u00b3\u2070-\u2079*\u2020\u2021]|\(\s*\d\s*\)|\[\s*\d\s*\]")
_UNITS = re.compile(r"\(?\s*£\s*m\s*\)?|\(?\s*£\s*000s?\s*\)?|\bgbp\b")


def normalise(label: object) -> str:
    """A label reduced to what matters: lower case words, no punctuation or footnotes.

    >>> normalise("In-year +deficit/-surplus ¹ (£m)")
    'in year deficit surplus'
    >>> normalise("In year deficit/(surplus)")
    'in year deficit surplus'
    """
    text = _FOOTNOTE.sub(" ", "" if label is None else str(label))
    text = unicodedata.normalize("NFKC", text)  # after the footnotes: ¹ would become 1
    text = _UNITS.sub(" ", text.lower())
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9%<>]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# Wording variants seen in councils' plans, by line id (the published wording is implied).
_PLAN_VARIANTS = {
    "hnb_dsg_income": ("high needs block income", "hnb dsg income", "high needs dsg income",
                       "hnb allocation", "high needs block dsg allocation"),
    "schools_block_transfer": ("schools block transfer", "block transfer",
                               "transfer from schools block"),
    "total_income": ("total income", "income total"),
    "total_expenditure": ("total expenditure", "total spend", "expenditure total"),
    "in_year": ("in year deficit surplus", "in year surplus deficit", "in year position",
                "in year deficit", "in year balance"),
    "cumulative_before_sv": ("cumulative balance before safety valve funding",
                             "cumulative deficit before safety valve",
                             "cumulative balance before contributions",
                             "cumulative balance without contributions"),
    "dfe_contribution": ("dfe contribution", "dfe safety valve contribution",
                         "safety valve funding dfe", "dfe funding"),
    "la_contribution": ("ncc contribution", "council contribution", "la contribution",
                        "local authority contribution"),
    "cumulative_after_sv": ("cumulative balance", "cumulative balance after safety valve",
                            "cumulative balance after contributions",
                            "cumulative deficit after safety valve funding"),
}
_PLAN_VARIANTS.update({
    "special_schools": ("special schools maintained and academy",
                        "maintained and academy special schools", "special schools",
                        "maintained special schools", "state funded special schools"),
    "resource_bases": ("resourced provision sen units", "resourced provision",
                       "sen units", "specialist resource bases", "resource bases",
                       "resourced provision and sen units"),
    "post16_fe": ("post 16 and fe top ups", "post 16 and fe", "post 16 top ups",
                  "further education top ups", "post 16 further education"),
    "inclusion_fund": ("mainstream ehcp top ups", "mainstream top ups",
                       "top ups mainstream schools", "mainstream sen support"),
    "support_services": ("central sen services and hospital education",
                         "central sen services", "central services",
                         "central sen support services"),
})

#: Words that place an expenditure line no published label matched: central (services
#: the council runs or commissions centrally) before direct (places and top-ups).
_CENTRAL_WORDS = ("central", "hospital education", "support service", "services",
                  "infrastructure", "contingency", "levy", "teams", "sensory", "therapy",
                  "therapies", "outreach", "inclusion team", "sendiass", "admin")
_DIRECT_WORDS = ("school", "academ", "provision", "top up", "place", "college",
                 "post 16", "post16", "further education", " fe ", "independent",
                 "resource", "unit", "tuition", "recoupment", "early years", "nursery",
                 "pupil referral", "alternative", "ehcp", "bases")


def line_kind(label: object) -> tuple[str | None, str]:
    """Direct or central spend for an expenditure line by the words in its label, with
    why; ``None`` and why not when no word says.

    >>> line_kind("Central SEN services & hospital education")
    ('central', "'central' in the label")
    >>> line_kind("Post-16 & FE top-ups")
    ('direct', "'top up' in the label")
    """
    text = f" {normalise(label)} "
    central = [word for word in _CENTRAL_WORDS if word in text]
    if central:
        return p.CENTRAL, f"'{central[0]}' in the label"
    direct = [word.strip() for word in _DIRECT_WORDS if word in text]
    if direct:
        return p.DIRECT, f"'{direct[0]}' in the label"
    return None, ("no word in the label says whether it is direct (places, top-ups) or "
                  "central (services) spend")


_COUNCIL = re.compile(r"\b((?:[A-Z][\w'&.-]*\s+(?:(?:of|upon|and|on|the)\s+)?)+Council)\b")


def authority_in(sheets: dict[str, list[list]]) -> tuple[str, str] | None:
    """A council's name written in a title (the top rows of a sheet), with where:
    ``("Borsetshire County Council", "Plan!A1")``."""
    for sheet, rows in sheets.items():
        for r, row in enumerate(rows[:6]):
            for k, value in enumerate(row[:8]):
                if isinstance(value, str) and (match := _COUNCIL.search(value)):
                    name = match.group(1).strip()
                    if name.lower() not in ("council",) and len(name.split()) >= 2:
                        return name, cell_ref(sheet, f"{column_letter(k + 1)}{r + 1}")
    return None


#: Lines a plan table must have for lfi-xl to compute it.
#: (Not the DfE contribution: a council without a Safety Valve agreement has none.)
REQUIRED_LINES = ("hnb_dsg_income", "in_year", "cumulative_before_sv")
_SUBTOTAL = re.compile(r"\bsub ?total\b")


def _plan_patterns() -> dict[str, list[str]]:
    patterns = {}
    for line_id, label, *_ in published.LINES:
        patterns[line_id] = [normalise(label), *(_PLAN_VARIANTS.get(line_id, ()))]
    return patterns


def _score(text: str, candidates: list[str]) -> float:
    if not text:
        return 0.0
    best = 0.0
    for candidate in candidates:
        if text == candidate:
            return 1.0
        best = max(best, difflib.SequenceMatcher(None, text, candidate).ratio())
    return best


@dataclass
class Match:
    key: Any             # plan line id (str) or KPI master ref (int); None: no match
    label: str           # as written in the workbook
    sheet: str
    cell: str            # the label's cell
    row: int             # 1-based
    confidence: float


@dataclass
class PlanFound:
    sheet: str
    header_row: int
    label_column: int
    year_columns: list[int]           # 1-based columns, one per year
    years: tuple[str, ...]            # in plan style, 2022/23
    lines: list[Match] = field(default_factory=list)
    extra: list[Match] = field(default_factory=list)     # unknown labels taken as lines
    skipped: list[Match] = field(default_factory=list)   # subtotals and notes
    missing: list[str] = field(default_factory=list)     # required labels not found

    def cell(self, row: int, year_index: int) -> str:
        return f"{column_letter(self.year_columns[year_index])}{row}"


def _year(value: object) -> int | None:
    if not isinstance(value, str) or not 4 <= len(value) <= 14:
        return None
    try:
        return parse_year(str(value))
    except PeriodError:
        return None


def _year_header(rows: list[list]) -> list[tuple[int, list[int], list[int]]]:
    """(row, columns, years) of every row holding three or more consecutive years."""
    found = []
    for r, row in enumerate(rows[:SCAN_ROWS]):
        columns: list[int] = []
        years: list[int] = []
        for col, value in enumerate(row[:SCAN_COLUMNS]):
            year = _year(value)
            if year is None:
                continue
            if years and year != years[-1] + 1:
                if len(years) >= 3:
                    break
                columns, years = [], []
            columns.append(col)
            years.append(year)
        if len(years) >= 3:
            found.append((r, columns, years))
    return found


def _label_column(rows: list[list], header: int, first_year_column: int) -> int | None:
    """The column left of the years where most labels stand, below the header."""
    best, best_count = None, 0
    for col in range(first_year_column):
        count = sum(1 for row in rows[header + 1:header + 40]
                    if col < len(row) and isinstance(row[col], str) and normalise(row[col]))
        if count > best_count:
            best, best_count = col, count
    return best


def find_plan(sheets: dict[str, list[list]]) -> PlanFound | None:
    """The best plan table among ``sheets`` (name -> rows of values from A1)."""
    patterns = _plan_patterns()
    best: PlanFound | None = None
    for sheet, rows in sheets.items():
        for header, columns, years in _year_header(rows):
            label_col = _label_column(rows, header, columns[0])
            if label_col is None:
                continue
            found = PlanFound(sheet, header + 1, label_col + 1, [col + 1 for col in columns],
                              tuple(year_label(y, "/") for y in years))
            _match_plan_rows(found, rows, header, label_col, columns, patterns)
            if best is None or len(found.lines) > len(best.lines):
                best = found
    if best is not None:
        have = {match.key for match in best.lines}
        # the label looked for: the published wording
        best.missing = [dict((line_id, label) for line_id, label, *_ in published.LINES)[key]
                        for key in REQUIRED_LINES if key not in have]
    return best


def _match_plan_rows(found: PlanFound, rows: Rows, header: int, label_col: int,
                     columns: list[int], patterns: dict[str, list[str]]) -> None:
    taken: dict[str, Match] = {}
    blank_run = 0
    in_spending = False
    for r in range(header + 1, len(rows)):
        row = rows[r]
        label = row[label_col] if label_col < len(row) else None
        numbers = [row[col] for col in columns if col < len(row) and row[col] not in (None, "")]
        if label in (None, "") and not numbers:
            blank_run += 1
            if blank_run > 3 and taken:
                break  # the table has ended
            continue
        blank_run = 0
        text = normalise(label)
        address = f"{column_letter(label_col + 1)}{r + 1}"
        match = Match(None, str(label), found.sheet, address, r + 1, 0.0)
        if _year(label) is not None or not text:
            continue
        if _SUBTOTAL.search(text):
            found.skipped.append(match)
            continue
        scores = {line_id: _score(text, candidates) for line_id, candidates in patterns.items()
                  if line_id not in taken and line_id not in _ruled_out(text)}
        line_id, score = max(scores.items(), key=lambda item: item[1], default=(None, 0.0))
        if score >= MIN_CONFIDENCE and line_id is not None:
            match.key, match.confidence = line_id, round(score, 2)
            taken[line_id] = match
            found.lines.append(match)
            in_spending = in_spending or line_id == "total_income"
            if line_id == "total_expenditure":
                in_spending = False
        elif numbers and in_spending:
            match.key, match.confidence = f"expenditure_row{r + 1}", 0.5
            found.extra.append(match)
        else:
            found.skipped.append(match)


def _ruled_out(text: str) -> tuple[str, ...]:
    """Lines a label cannot be, whatever its likeness: a balance *before* contributions is
    never the one *after* them (the two labels differ by a word)."""
    words = text.split()
    if "before" in words or "without" in words:
        return ("cumulative_after_sv",)
    if "after" in words:
        return ("cumulative_before_sv",)
    return ()


def plan_roles() -> dict[str, tuple[str, str | None]]:
    """Role and kind of each published line id."""
    return {line_id: (role, kind) for line_id, _, role, kind, _ in published.LINES}


def role_of(line_id: str) -> tuple[str, str | None]:
    """Role and kind of a line id: published, or an extra line taken as expenditure."""
    return plan_roles().get(line_id, (p.EXPENDITURE, None))


# ---------------------------------------------------------------------------- KPIs
def _kpi_patterns() -> dict[int, list[str]]:
    return {kpi.ref: sorted({normalise(kpi.measure), normalise(kpi.forum_measure or "")} - {""})
            for kpi in c.KPIS}


@dataclass
class KpiFound:
    sheet: str
    header_row: int
    ref_column: int
    measure_column: int
    period_columns: dict[str, int]          # period label -> 1-based column
    rows: list[Match] = field(default_factory=list)
    unmatched: list[Match] = field(default_factory=list)

    @property
    def missing(self) -> list[int]:
        have = {match.key for match in self.rows}
        return [kpi.ref for kpi in c.KPIS if kpi.ref not in have]


def find_kpis(sheets: dict[str, list[list]]) -> KpiFound | None:
    """The KPI table: a ``Ref`` header with measures beside it, anywhere."""
    patterns = _kpi_patterns()
    best: KpiFound | None = None
    for sheet, rows in sheets.items():
        for r, row in enumerate(rows[:SCAN_ROWS]):
            for col, value in enumerate(row[:SCAN_COLUMNS]):
                if not isinstance(value, str) or len(value) > 8 or normalise(value) != "ref":
                    continue
                measure_col = _measure_column(rows, r, col)
                if measure_col is None:
                    continue
                found = KpiFound(sheet, r + 1, col + 1, measure_col + 1,
                                 _period_columns(rows, r))
                _match_kpi_rows(found, rows, r, measure_col, patterns)
                if best is None or len(found.rows) > len(best.rows):
                    best = found
    return best


def _measure_column(rows: Rows, header: int, ref_col: int) -> int | None:
    best, best_count = None, 0
    for col in range(ref_col + 1, ref_col + 4):
        count = sum(1 for row in rows[header + 1:header + 60]
                    if col < len(row) and isinstance(row[col], str) and len(row[col]) > 6)
        if count > best_count:
            best, best_count = col, count
    return best


def _period_columns(rows: Rows, header: int) -> dict[str, int]:
    from lfi_xl.core.periods import Cadence

    periods = {}
    for offset in (0, 1):
        if header + offset >= len(rows):
            break
        for col, value in enumerate(rows[header + offset]):
            for count in (3, 4):
                try:
                    periods[Cadence(count).parse(str(value)).label] = col + 1
                    break
                except (PeriodError, ValueError):
                    continue
    return periods


def _match_kpi_rows(found: KpiFound, rows: Rows, header: int, measure_col: int,
                    patterns: dict[int, list[str]]) -> None:
    taken: set[int] = set()
    ref_col = found.ref_column - 1
    for r in range(header + 1, min(len(rows), header + 200)):
        row = rows[r]
        label = row[measure_col] if measure_col < len(row) else None
        text = normalise(label)
        ref_cell = row[ref_col] if ref_col < len(row) else None
        if not text or not str(ref_cell or "").strip().rstrip(".").isdigit() and not (
                isinstance(ref_cell, float) and ref_cell.is_integer()):
            continue  # KPI rows carry a ref number; group headings and notes do not
        scores = {ref: _score(text, candidates) for ref, candidates in patterns.items()
                  if ref not in taken}
        ref, score = max(scores.items(), key=lambda item: item[1], default=(None, 0.0))
        match = Match(ref, str(label), found.sheet, f"{column_letter(measure_col + 1)}{r + 1}",
                      r + 1, round(score, 2))
        if score >= MIN_CONFIDENCE and ref is not None:
            taken.add(ref)
            found.rows.append(match)
        elif len(text) > 6:
            found.unmatched.append(match)


def line_label(line_id: str) -> str:
    """A plan line as a plan names it, for messages, never by its id: in the wording of a
    council's own plan as ``lfi-xl new`` writes it (no council's name), else as the
    published plan has it.

    >>> line_label("hnb_dsg_income"), line_label("la_contribution")
    ('High Needs Block DSG allocation', 'Council contribution')
    >>> line_label("short_stay_schools")
    'Short Stay Schools'
    """
    labels = {key: label for key, label, *_ in published.LINES}
    labels.update((key, label) for key, label, *_ in council.BLANK_LINES)
    return labels.get(line_id, line_id)


def confidence(match: Match) -> str:
    """How alike a label and its match are, as a percentage: "confidence 87%"."""
    return f"confidence {match.confidence:.0%}"


def report(plan: PlanFound | None, kpis: KpiFound | None) -> list[str]:
    """What was found where, with confidence, and what was not: each label as the
    workbook has it, then what it was taken for, in the plan's and the KPI list's words."""
    lines: list[str] = []

    def each(matches: list[Match], outcome: Callable[[Match], str]) -> None:
        lines.extend(f"  {cell_ref(m.sheet, m.cell)} '{m.label}': {outcome(m)}"
                     for m in matches)

    if plan is not None:
        lines.append(f"DSG plan table: sheet '{plan.sheet}', years in row {plan.header_row} "
                     f"({plan.years[0]} to {plan.years[-1]}), labels in column "
                     f"{column_letter(plan.label_column)}")
        each(plan.lines, lambda m: f"taken as the plan line '{line_label(str(m.key))}' "
                                   f"({confidence(m)})")
        each(plan.extra, lambda m: "taken as an expenditure line (not a published label)")
        each(plan.skipped, lambda m: "skipped (a subtotal or a note)")
        lines.extend(f"  NOT FOUND: '{label}'" for label in plan.missing)
    if kpis is not None:
        lines.append(f"KPI table: sheet '{kpis.sheet}', header row {kpis.header_row}, "
                     f"{len(kpis.rows)} of 46 KPIs matched, report columns: "
                     f"{', '.join(kpis.period_columns) or 'none'}")
        each(kpis.rows, lambda m: f"KPI {m.key} ({confidence(m)})")
        each(kpis.unmatched, lambda m: f"no KPI matches (the nearest, KPI {m.key}: "
                                       f"{confidence(m)})")
        if kpis.missing:
            lines.append(f"  NOT FOUND: KPIs {', '.join(map(str, kpis.missing))}")
    return lines


def _row_area(sheet: str, row: int, columns: list[int]) -> Area:
    return Area(sheet, row, min(columns), row, max(columns))


class Discovering:
    """A workbook whose missing contract names are filled in from discovery: a
    :class:`~lfi_xl.book.workbook.Workbook` itself, reading through ``source``."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook

    # -- reading: as the workbook, but for the names discovery supplies ---------------
    @property
    def path(self) -> Path | None:
        return self.workbook.path

    @property
    def label(self) -> str:
        return self.workbook.label

    @property
    def sheet_names(self) -> list[str]:
        return self.workbook.sheet_names

    def values(self, area: Area) -> list[list[Value]]:
        return self.workbook.values(area)

    def column(self, area: Area) -> list[Value]:
        return self.workbook.column(area)

    def column_cells(self, area: Area) -> np.ndarray:
        return self.workbook.column_cells(area)

    def sheet_values(self, sheet: str) -> list[list[Value]]:
        return self.workbook.sheet_values(sheet)

    def cell_formats(self, sheet: str,
                     addresses: list[str]) -> dict[str, tuple[str, str] | None]:
        return self.workbook.cell_formats(sheet, addresses)

    def own_area(self, name: str) -> Area | None:
        """Where the workbook itself (not discovery) says a name points."""
        return self.workbook.area(name)

    @cached_property
    def _sheets(self) -> dict[str, list[list[Value]]]:
        return {name: self.workbook.sheet_values(name) for name in self.workbook.sheet_names}

    @cached_property
    def plan(self) -> PlanFound | None:
        if self.workbook.area(c.PLAN_TABLE) is not None:
            return None  # the template's own table, read by its names
        return find_plan(self._sheets)

    @cached_property
    def kpis(self) -> KpiFound | None:
        if self.workbook.area(c.KPI_TABLE) is not None:
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
        found = self.workbook.area(name)
        if found is not None or not self._discoverable(name):
            return found
        return self.found_names.get(name)

    def _discoverable(self, name: str) -> bool:
        """Only names discovery can give, and only in a workbook without the template's
        own table of that kind (a template never needs scanning)."""
        if name.startswith("Plan_"):
            return self.workbook.area(c.PLAN_TABLE) is None
        if name.startswith("KPI_"):
            return self.workbook.area(c.KPI_TABLE) is None
        return False

    def require(self, name: str) -> Area:
        area = self.area(name)
        if area is None:
            return self.workbook.require(name)  # says what is missing
        return area

    def report(self) -> list[str]:
        return report(self.plan, self.kpis)


class DiscoveringEditable(Discovering):
    """:class:`Discovering` over a workbook that can be changed: an
    :class:`~lfi_xl.book.workbook.EditableWorkbook` whose writes go straight to it."""

    workbook: EditableWorkbook

    def __init__(self, workbook: EditableWorkbook):
        super().__init__(workbook)

    @property
    def notes(self) -> list[str]:
        return self.workbook.notes

    def set_cells(self, sheet: str, values: dict[str, object]) -> None:
        self.workbook.set_cells(sheet, values)

    def set_formulas(self, sheet: str, formulas: dict[str, str]) -> None:
        self.workbook.set_formulas(sheet, formulas)

    def set_name(self, name: str, sheet: str, ref: str) -> None:
        self.workbook.set_name(name, sheet, ref)

    def replace_sheet(self, sheet: str, header: list[Any], rows: list[list[Any]],
                      links: dict[str, str] | None = None,
                      widths: list[float] | None = None) -> None:
        self.workbook.replace_sheet(sheet, header, rows, links, widths)

    def append_rows(self, sheet: str, table_name: str, header: list[Any],
                    rows: list[list[Any]]) -> None:
        self.workbook.append_rows(sheet, table_name, header, rows)

    # Changes only a workbook file makes (Excel makes them itself): absent on a live book,
    # so ``hasattr`` tells an action whether it can ask.
    @property
    def widen(self) -> Any:
        """A report period's new column made like the one before it (period_columns)."""
        return cast(Any, self.workbook).widen  # AttributeError on a live book

    @property
    def retarget_lists(self) -> Any:
        """Drop-downs offering one list made to offer a grown one (period_columns)."""
        return cast(Any, self.workbook).retarget_lists

    @property
    def take_rows_below(self) -> Any:
        """Rows typed just below an Excel table taken into it (take_rows)."""
        return cast(Any, self.workbook).take_rows_below

    def make_inputs(self, sheet: str, refs: list[str], fill: str) -> None:
        self.workbook.make_inputs(sheet, refs, fill)

    def print_area(self, sheet: str) -> list[Area] | None:
        return self.workbook.print_area(sheet)

    def set_print_area(self, sheet: str, areas: list[Area]) -> None:
        self.workbook.set_print_area(sheet, areas)

    def lock(self, sheet: str, refs: list[str]) -> None:
        self.workbook.lock(sheet, refs)


def discovering(workbook: Workbook) -> Discovering:
    """``workbook`` with discovery (as it is, when it has it already)."""
    return workbook if isinstance(workbook, Discovering) else Discovering(workbook)


def discovering_editable(workbook: EditableWorkbook) -> DiscoveringEditable:
    """An editable ``workbook`` with discovery (as it is, when it has it already)."""
    return (workbook if isinstance(workbook, DiscoveringEditable)
            else DiscoveringEditable(workbook))
