"""Snapshots and the audit log read and checked through any adapter: the record of what
was reported, and its guard (``freeze`` writes them: :mod:`lfi_xl.actions.freeze`).

Freezing copies a report period's values (not formulas) into the Snapshots table: every
KPI, the condition RAGs, the narrative answers and the plan figures, each row with the
cell's formula and number format, who froze it, when, the SHA-256 of the source file and
the SHA-256 of the whole snapshot over a canonical form of its rows. The period's cells
are then locked and the freeze is logged in the Audit table: each entry holds the
snapshot's SHA-256 and the previous entry's, and its own SHA-256 covers all of them, so
the last entry's hash (the chain *head*) fixes every snapshot frozen so far.

Verification recomputes every snapshot's hash and the audit chain, checks that every
logged freeze still has its rows and every snapshot its entry, and compares each current
snapshot with the live cells (value, formula and number format). The hashes carry no
secret: someone who rewrites a value, its snapshot and the whole chain consistently is
caught only by a copy of the head kept outside the file (the receipt file freeze writes,
or the head printed on the published paper): ``verify(..., heads=...)``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.book.area import Area, parse_area
from lfi_xl.book.findings import ERROR, Finding, Rule
from lfi_xl.book.kpi_book import KpiBook, Row
from lfi_xl.book.workbook import Workbook
from lfi_xl.core.periods import Period, PeriodError
from lfi_xl.core.shown import as_shown_apart
from lfi_xl.core.shown import label as key_label
from lfi_xl.core.text import storable_text
from lfi_xl.core.values import EXCEL_ERRORS
from lfi_xl.errors import cell_ref

CURRENT, SUPERSEDED = "current", "superseded"
FREEZE, SUPERSEDE = "freeze", "supersede"
#: The Field of a KPI's frozen n (placements behind an average cost).
COUNT_FIELD = "n"
#: Every snapshot column but its own hash and its status (superseding changes the status).
_HASHED = tuple(column for column in c.SNAPSHOT_COLUMNS
                if column not in ("Snapshot SHA-256", "Status"))
#: Every audit column but the entry's own hash; the previous entry's hash is hashed too.
_AUDIT_HASHED = c.AUDIT_COLUMNS[:-1]
_FUNCTION_PREFIX = re.compile(r"_xl(?:fn|udf|ws)\.", re.I)


def canonical(value) -> object:
    """One cell value in a form that hashes the same however it was read back."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 1e15 else float(
            f"{number:.15g}")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    # The text a cell can store: hashed as it is written (lfi_xl.core.text).
    text = storable_text(str(value)).strip()
    try:  # keys such as 16 read back as 16.0 from a number cell: same key
        number = float(text)
        if text and number.is_integer() and text.lstrip("-").replace(".", "", 1).isdigit():
            return int(number) if "." not in text else canonical(number)
    except ValueError:
        pass
    return text


#: Columns that are text whatever they look like: number format 0.0 is not 0.000.
_TEXT_COLUMNS = ("Formula", "Number format", c.SNAPSHOT_CELL)


def as_text(value) -> str | None:
    """A text column's canonical form (no reading of numbers into it)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = storable_text(str(value)).strip()
    return text or None


def _sha(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def snapshot_hash(rows: list[dict]) -> str:
    """SHA-256 over the canonical form of a snapshot's rows (order does not matter): the
    cell each value was frozen from too, when recorded (snapshots frozen before it was
    recorded hash as they always did)."""
    columns = _HASHED + ((c.SNAPSHOT_CELL,) if any(
        as_text(row.get(c.SNAPSHOT_CELL)) for row in rows) else ())
    canonical_rows = sorted(([as_text(row.get(column)) if column in _TEXT_COLUMNS
                              else canonical(row.get(column)) for column in columns]
                             for row in rows), key=json.dumps)
    return _sha(canonical_rows)


def audit_hash(entry: dict, previous: str) -> str:
    """SHA-256 of an audit entry: every column (the snapshot's hash included) and the
    previous entry's hash."""
    fields = [canonical(entry.get(column)) for column in _AUDIT_HASHED
              if column != "Previous entry SHA-256"]
    return _sha([fields, previous])


_QUOTED = re.compile(r'("(?:[^"]|"")*")')


def same_formula(live: str | None, recorded: str | None) -> bool:
    """Whether two formulas are the same as Excel reads them: function and cell names in
    any case (LibreOffice saves ``lfi_pctchange(k8,$h$8)`` for what Excel shows in capitals),
    text in quotes exactly."""
    def folded(text: str | None) -> str:
        return "".join(part if index % 2 else part.upper()
                       for index, part in enumerate(_QUOTED.split(as_text(text) or "")))
    return folded(live) == folded(recorded)


#: Characters a number format shows as themselves, escaped or not (ECMA-376 Part 1,
#: 18.8.31): ``\£#,##0`` (LibreOffice) and ``£#,##0`` (Excel) show the same.
_SHOWN_AS_THEMSELVES = set("$-+():!^&'~{}<>= £€¥")


def same_number_format(live: str | None, recorded: str | None) -> bool:
    """Whether two number format codes show a value alike: a backslash before a character
    shown as itself anyway, and the case of ``General``, are not differences."""
    def plain(code: str | None) -> str:
        text, out, index = as_text(code) or "General", [], 0
        while index < len(text):
            if text[index] == "\\" and index + 1 < len(text) \
                    and text[index + 1] in _SHOWN_AS_THEMSELVES:
                index += 1
            elif text[index] == '"':   # quoted text kept as it is
                end = text.find('"', index + 1)
                end = len(text) - 1 if end < 0 else end
                out.append(text[index:end + 1])
                index = end + 1
                continue
            out.append(text[index])
            index += 1
        joined = "".join(out)
        return "General" if joined.lower() == "general" else joined
    return plain(live) == plain(recorded)


def formula_text(text) -> str:
    """A formula as Excel shows it, whichever program wrote it: no ``=``, no ``_xlfn.``
    or ``_xludf.`` prefixes (the file keeps them, Excel hides them)."""
    return _FUNCTION_PREFIX.sub("", str(text or "").strip().lstrip("="))


def cell_formats(workbook: Workbook, sheet: str,
                 cells: list[str]) -> dict[str, tuple[str, str] | None]:
    """(formula, number format) of cells, through the adapter; ``None`` for a cell whose
    formula the adapter cannot read (xlwings' remote engines read formulas only async)."""
    found = workbook.cell_formats(sheet, cells)
    return {cell: None if value is None else (formula_text(value[0]), str(value[1] or "General"))
            for cell, value in found.items()}


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FrozenItem:
    kind: str
    key: object
    field: str
    value: object
    sheet: str
    cell: str


def period_items(book: KpiBook, period: Period) -> list[FrozenItem]:
    """Every value a period's snapshot holds, with the cell it comes from."""
    column = book.column_of(period)
    items = []
    for ref, row in book.kpis.items():
        items.append(FrozenItem(c.SNAPSHOT_KPI, ref, "value", row.values[column],
                                row.area.sheet, row.area.cell(0, column)))
    for kind, rows, field in ((c.SNAPSHOT_CONDITION, book.conditions, "RAG"),
                              (c.SNAPSHOT_NARRATIVE, book.narrative, "answer")):
        for row in rows:
            items.append(FrozenItem(kind, row.key, field, row.values[column], row.area.sheet,
                                    row.area.cell(0, column)))
    for key, row in book.plan_data.items():
        items.append(FrozenItem(c.SNAPSHOT_PLAN, key, "£m", row.values[column], row.area.sheet,
                                row.area.cell(0, column)))
    return items + _count_items(book, column)


def _count_items(book: KpiBook, column: int) -> list[FrozenItem]:
    """The n behind each average cost (the KPI_Counts row), frozen with the average: a
    frozen figure is published with the n it had, never the register's n of today."""
    counts, periods = book.workbook.area(c.KPI_COUNTS), book.workbook.area(c.KPI_PERIODS)
    if counts is None or periods is None:
        return []
    offset = periods.min_col - counts.min_col + column
    items = []
    for r, row in enumerate(book.workbook.values(counts)[1:], start=1):
        ref = canonical(row[0]) if row else None
        if isinstance(ref, int) and 0 < offset < len(row):
            items.append(FrozenItem(c.SNAPSHOT_COUNT, ref, COUNT_FIELD, row[offset],
                                    counts.sheet, counts.cell(r, offset)))
    return items


def stored_value(value) -> object:
    """What a snapshot row stores: the value, an Excel error as its text."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return canonical(value)


def current_snapshots(rows: list[dict]) -> dict[str, object]:
    """Period -> id of its current snapshot."""
    return {str(row.get("Period")): canonical(row.get("Snapshot")) for row in rows
            if str(row.get("Status") or "").strip().lower() == CURRENT}


def audit_rows(book: KpiBook) -> list[dict]:
    return table(book, c.AUDIT_TABLE)[1]


_TABLES = {c.SNAPSHOTS_TABLE: (c.SNAPSHOTS, c.SNAPSHOT_COLUMNS, Rule.SNAPSHOT),
           c.AUDIT_TABLE: (c.AUDIT, c.AUDIT_COLUMNS, Rule.AUDIT)}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: How far down a sheet a table's header is looked for when its defined name is gone.
HEADER_ROWS = 1000


def _find_by_header(workbook: Workbook, header: tuple[str, ...], usual_sheet: str) -> Area | None:
    """The table whose header row reads ``header``, on any sheet (its usual one first;
    not the registers, which are long and hold no such table), down to its last row."""
    registers = {area.sheet for area in (workbook.area(c.placement_name("AnnualCost")),
                                         workbook.area(c.mitigation_name("Saving")))
                 if area is not None}
    names = [name for name in workbook.sheet_names if name not in registers]
    for sheet in sorted(names, key=lambda name: name != usual_sheet):
        rows = workbook.sheet_values(sheet)
        for index, row in enumerate(rows[:HEADER_ROWS]):
            for column, value in enumerate(row):
                if value != header[0]:
                    continue
                cells = [str(v).strip() if v is not None else "" for v in
                         row[column:column + len(header)]]
                if cells == list(header):
                    area = Area(sheet, index + 1, column + 1, index + 1, column + len(header))
                    return _extent(workbook, area)
    return None


_HEX = re.compile(r"^[0-9a-f]{64}$")


def _extent(workbook: Workbook, area: Area) -> Area:
    """``area`` carried down to the last row below it that holds a hash in the table's
    own hash column (lfi-xl wrote it): rows under a table whose name was cut short still
    belong to it, a note typed under the table does not."""
    rows = workbook.sheet_values(area.sheet)
    header = [str(v).strip() if v is not None else "" for v in
              (rows[area.min_row - 1][area.min_col - 1:area.max_col]
               if area.min_row - 1 < len(rows) else [])]
    column = next((area.min_col - 1 + header.index(name) for name in
                   ("Snapshot SHA-256", "Entry SHA-256") if name in header), None)
    last = area.max_row
    if column is not None:
        for index in range(area.max_row, len(rows)):
            row = rows[index]
            if column < len(row) and _HEX.match(str(row[column] or "").strip()):
                last = index + 1
    return Area(area.sheet, area.min_row, area.min_col, last, area.max_col)


def table(book: KpiBook, name: str) -> tuple[Area | None, list[dict], list[Finding]]:
    """The Snapshots or Audit table: its area, its non-empty rows (each with ``_row``, its
    offset below the header) and findings when its defined name is missing or was cut
    short (the table is then found by its header, so nothing frozen hides behind a name)."""
    usual_sheet, header, rule = _TABLES[name]
    workbook = book.workbook
    named = workbook.area(name)
    findings = []
    if named is None or named.sheet not in workbook.sheet_names:
        area = _find_by_header(workbook, header, usual_sheet)
        if area is None:
            return None, [], []
        state = "broken" if named is not None else "missing"
        findings.append(Finding(
            ERROR, area.sheet, area.cell(0, 0), rule,
            f"the defined name {name} is {state}; "
            f"the table was found by its header at {area.sheet}!{area.cell(0, 0)}: restore "
            f"the name (Formulas > Name Manager, {name} = {area.sheet}!{area.ref}) or undo "
            "the change"))
    else:
        area = _extent(workbook, named)
        if area.max_row > named.max_row:
            findings.append(Finding(
                ERROR, area.sheet, area.cell(named.max_row - area.min_row + 1, 0), rule,
                f"the defined name {name} ends at row {named.max_row} but the table goes on "
                f"to row {area.max_row}: the name was cut short"))
    values = workbook.values(area)
    head = [str(v).strip() if v is not None else "" for v in values[0]]
    rows = [dict(zip(head, row, strict=False)) | {"_row": offset}
            for offset, row in enumerate(values[1:], start=1)
            if any(not _blank(v) for v in row)]
    return area, rows, findings


def _period(book: KpiBook, label: str) -> Period | None:
    """The report period a snapshot row names, as a period (``None``: not one)."""
    try:
        return book.settings.cadence.parse(label)
    except PeriodError:
        return None


def frozen_changes(book: KpiBook, rows: list[dict] | None = None,
                   area: Area | None = None) -> list[Finding]:
    """Live cells of frozen periods that differ from their current snapshot: in value,
    formula or number format (what the cell shows, conditional formats included), read
    at the cell each value was frozen from when the snapshot records it; a snapshot row
    whose item is no longer in the workbook, an item the snapshot does not hold, and a
    name or table that now points at another cell than the one frozen."""
    if rows is None:
        area, rows, _ = table(book, c.SNAPSHOTS_TABLE)
    if area is None:
        return []
    findings = []
    current = current_snapshots(rows)
    for period, snapshot_id in current.items():
        report = _period(book, period)
        frozen = {(row.get("Kind"), canonical(row.get("Key")), row.get("Field")): row
                  for row in rows if canonical(row.get("Snapshot")) == snapshot_id}
        try:
            if report is None:
                raise PeriodError(f"{period!r} is not one of its report periods")
            items = period_items(book, report)
        except Exception as error:
            findings.append(Finding(ERROR, area.sheet, "", Rule.UNREADABLE,
                                    f"{period} is frozen but its cells cannot be read: {error}",
                                    report))
            continue
        live: dict[tuple, FrozenItem] = {(item.kind, canonical(item.key), item.field): item
                                         for item in items}
        what = f"{period} is frozen (snapshot {snapshot_id}) but"
        checks: list[tuple[dict, str, str, object]] = []   # row, sheet, cell, live value
        for key, row in frozen.items():
            item, recorded = live.get(key), _recorded_cell(row)
            label = f"{key[0]} {key[1]}"
            if item is None:
                sheet, cell = recorded or (area.sheet, area.cell(row["_row"], 0))
                findings.append(Finding(
                    ERROR, sheet, cell, Rule.FROZEN,
                    f"{what} {label} of its snapshot is no longer in the workbook (its row, "
                    "key or name was removed or changed): the frozen value has no cell",
                    report))
                if recorded is not None:
                    checks.append((row, *recorded, _value_at(book, *recorded)))
                continue
            if recorded is not None and recorded != (item.sheet, item.cell):
                findings.append(Finding(
                    ERROR, item.sheet, item.cell, Rule.FROZEN,
                    f"{what} {label} now reads from {cell_ref(item.sheet, item.cell)}, not "
                    f"{cell_ref(*recorded)} where it was frozen: a defined name or a table's "
                    "range was moved", report))
                checks.append((row, *recorded, _value_at(book, *recorded)))
            checks.append((row, item.sheet, item.cell, item.value))
        for key, item in live.items():
            if key not in frozen:
                findings.append(Finding(
                    ERROR, item.sheet, item.cell, Rule.FROZEN,
                    f"{what} {item.kind} {canonical(item.key)} is not in its snapshot (added "
                    "after the freeze?): a frozen period's figures, conditions and answers "
                    "are only those frozen", report))
        by_sheet: dict[str, list[str]] = {}
        for _, sheet, cell, _ in checks:
            by_sheet.setdefault(sheet, []).append(cell)
        formats = {(sheet, cell): shown for sheet, cells in by_sheet.items()
                   for cell, shown in cell_formats(book.workbook, sheet, cells).items()}
        seen = set()
        for row, sheet, cell, value in checks:
            if (sheet, cell, id(row)) in seen:
                continue
            seen.add((sheet, cell, id(row)))
            label = f"{row.get('Kind')} {canonical(row.get('Key'))}"
            shown = formats.get((sheet, cell))
            if canonical(row.get("Value")) != stored_value(value):
                now, then = _as_shown_apart(value, row.get("Value"),
                                            shown[1] if shown else "General")
                findings.append(Finding(
                    ERROR, sheet, cell, Rule.FROZEN,
                    f"{what} {label} now reads {now} instead of {then}", report))
                continue
            recorded_format = as_text(row.get("Number format"))
            if shown is None or recorded_format is None:
                continue  # not readable here, or not recorded when it was frozen
            formula, code = shown
            if not same_formula(formula, row.get("Formula")):
                findings.append(Finding(
                    ERROR, sheet, cell, Rule.FROZEN,
                    f"{what} {label}: its formula is now {formula or '(none)'!r} instead of "
                    f"{as_text(row.get('Formula')) or '(none)'!r}", report))
            elif not same_number_format(code, recorded_format):
                findings.append(Finding(
                    ERROR, sheet, cell, Rule.FROZEN,
                    f"{what} {label}: its number format is now {code!r} instead of "
                    f"{recorded_format!r}, so it may show another figure", report))
    return findings


def _as_shown_apart(live: object, frozen: object, code: str) -> tuple[str, str]:
    """A frozen value and the cell's value now, as the cell shows them (its format; a
    conditional one aside), text in quotes."""
    now, then = as_shown_apart(live, frozen, code.split(" | conditional:")[0].strip()
                               or "General")

    def quoted(value: object, text: str) -> str:
        plain = isinstance(value, str) and value.strip() and \
            value.strip().upper() not in EXCEL_ERRORS
        return f"'{text}'" if plain else text
    return quoted(live, now), quoted(frozen, then)


def cell_address(sheet: str, cell: str) -> str:
    """What a snapshot row records as the cell a value was frozen from."""
    return cell_ref(sheet, cell)


def _recorded_cell(row: dict) -> tuple[str, str] | None:
    """(sheet, cell) a snapshot row records, or None (frozen before it was recorded)."""
    text = as_text(row.get(c.SNAPSHOT_CELL))
    place = parse_area(text) if text else None
    if place is None:
        return None
    return place.sheet, place.cell(0, 0)


def _value_at(book: KpiBook, sheet: str, cell: str) -> object:
    place = parse_area(cell_ref(sheet, cell))
    if place is None or sheet not in book.workbook.sheet_names:
        return None
    values = book.workbook.values(place)
    return values[0][0] if values and values[0] else None


def items_formats(workbook: Workbook,
                  items: list[FrozenItem]) -> dict[tuple[str, str], tuple[str, str] | None]:
    """(formula, number format) of each item's cell, one read per sheet."""
    by_sheet: dict[str, list[str]] = {}
    for item in items:
        by_sheet.setdefault(item.sheet, []).append(item.cell)
    found: dict[tuple[str, str], tuple[str, str] | None] = {}
    for sheet, cells in by_sheet.items():
        for cell, value in cell_formats(workbook, sheet, cells).items():
            found[(sheet, cell)] = value
    return found


def chain_head(book: KpiBook | list[dict]) -> str:
    """The last audit entry's SHA-256 (of ``book``'s audit log, or of its rows already
    read): what a receipt or a published paper keeps, and what the next entry chains to."""
    audit = audit_rows(book) if isinstance(book, KpiBook) else book
    return str(audit[-1].get("Entry SHA-256") or "") if audit else ""


class Reported:
    """The values each report period was reported with: a frozen period's from its
    current snapshot, any other's from its cells. The extract and the DfE return ask
    here, so the two papers never read a period two ways."""

    def __init__(self, book: KpiBook):
        self.book = book
        _, rows = book.snapshots
        self.snapshots = current_snapshots(rows)
        self._rows: dict[str, list[dict]] = {}
        self._by_key: dict[str, dict[tuple[object, object], dict]] = {}
        for row in rows:
            label = str(row.get("Period"))
            if self.snapshots.get(label) == canonical(row.get("Snapshot")):
                self._rows.setdefault(label, []).append(row)
                self._by_key.setdefault(label, {})[
                    (row.get("Kind"), canonical(row.get("Key")))] = row

    def frozen(self, period: Period) -> bool:
        return period.label in self._rows

    def snapshot(self, period: Period) -> object:
        """The id of the period's current snapshot (``None``: not frozen)."""
        return self.snapshots.get(period.label)

    def rows(self, period: Period) -> list[dict]:
        """The current snapshot's rows ([] when the period is not frozen)."""
        return self._rows.get(period.label, [])

    def snapshot_sha256(self, period: Period) -> str:
        return next((str(row.get("Snapshot SHA-256")) for row in self.rows(period)), "")

    def in_book(self, period: Period) -> bool:
        """Whether the period's values can be read: frozen, or a column of the KPI sheet."""
        return self.frozen(period) or period.label in self.book.period_labels

    def value(self, period: Period, kind: str, key: object, row: Row | None) -> object:
        """The value of ``kind`` ``key`` (``row``: its cells) for ``period``: as frozen
        (``None`` when its snapshot has no such value), or as its cell holds it now."""
        if self.frozen(period):
            frozen = self._by_key[period.label].get((kind, canonical(key)))
            return None if frozen is None else frozen.get("Value")
        if row is None:
            return None
        column = self.book.column_of(period)
        return row.values[column] if column < len(row.values) else None

    def where(self, period: Period, row: Row | None) -> str:
        """Where :meth:`value` came from, as a message names it."""
        if self.frozen(period) or row is None:
            return f"the {period} snapshot (Snapshots table)"
        return f"{row.area.sheet}!{row.area.cell(0, self.book.column_of(period))}"


def verify(workbook: Workbook, heads: Sequence[tuple[str, str]] = ()) -> list[Finding]:
    """Every sign that a snapshot, a frozen value or the audit log was edited. ``heads``:
    (where it was kept, chain head) pairs kept outside the file (receipts, a published
    paper): each must be an entry of this file's chain."""
    book = KpiBook(workbook)
    area, rows, findings = table(book, c.SNAPSHOTS_TABLE)
    audit_area, audit, audit_findings = table(book, c.AUDIT_TABLE)
    findings = findings + audit_findings
    if area is None and audit_area is None:
        findings += [Finding(ERROR, "", "", Rule.AUDIT,
                             f"{where} names the audit chain head {head[:12]}... but this "
                             "workbook has no audit log: it is not the frozen file")
                     for where, head in heads]
        return findings  # nothing has been frozen
    # A table that was not found has no rows: wherever there are rows, it is there.
    snapshots_at = area or Area(c.SNAPSHOTS, 1, 1, 1, 1)
    audit_at = audit_area or Area(c.AUDIT, 1, 1, 1, 1)
    by_id: dict[object, list[dict]] = {}
    for row in rows:
        by_id.setdefault(canonical(row.get("Snapshot")), []).append(row)
    computed_hashes = {}
    for snapshot_id, members in by_id.items():
        stored = {str(row.get("Snapshot SHA-256") or "") for row in members}
        computed = computed_hashes[snapshot_id] = snapshot_hash(members)
        first = snapshots_at.cell(members[0]["_row"], 0)
        if stored != {computed}:
            findings.append(Finding(
                ERROR, snapshots_at.sheet, first, Rule.SNAPSHOT,
                f"snapshot {snapshot_id} ({members[0].get('Period')}) has been edited: its "
                f"rows no longer match its SHA-256 {sorted(stored)[0][:12]}..."))
    periods: dict[str, list] = {}
    for snapshot_id, members in by_id.items():
        if str(members[0].get("Status") or "").strip().lower() == CURRENT:
            periods.setdefault(str(members[0].get("Period")), []).append(snapshot_id)
    for period, ids in periods.items():
        if len(ids) > 1:
            findings.append(Finding(ERROR, snapshots_at.sheet, "", Rule.SNAPSHOT,
                                    f"{period} has {len(ids)} current snapshots "
                                    f"({', '.join(map(str, ids))})"))
    previous = ""
    logged: dict[str, dict[object, list[dict]]] = {FREEZE: {}, SUPERSEDE: {}}
    chain = []
    for offset, entry in enumerate(audit, start=1):
        where = audit_at.cell(entry["_row"], 0)
        if canonical(entry.get("Entry")) != offset:
            findings.append(Finding(ERROR, audit_at.sheet, where, Rule.AUDIT,
                                    f"audit entry {offset} is numbered "
                                    f"{key_label(entry.get('Entry'))}: an entry was removed or "
                                    "moved"))
        expected = audit_hash(entry, previous)
        if str(entry.get("Previous entry SHA-256") or "") != previous or str(
                entry.get("Entry SHA-256") or "") != expected:
            findings.append(Finding(ERROR, audit_at.sheet, where,
                                    Rule.AUDIT, f"audit entry {key_label(entry.get('Entry'))} has "
                                             "been edited or an entry before it removed"))
        previous = str(entry.get("Entry SHA-256") or "")
        chain.append(previous)
        action = str(entry.get("Action") or "")
        if action in logged:
            logged[action].setdefault(canonical(entry.get("Snapshot")), []).append(entry)
    for snapshot_id, entries in logged[FREEZE].items():
        entry = entries[0]
        where = audit_at.cell(entry["_row"], 0)
        if len(entries) > 1:
            findings.append(Finding(ERROR, audit_at.sheet, where, Rule.AUDIT,
                                    f"snapshot {snapshot_id} is logged as frozen "
                                    f"{len(entries)} times"))
        if snapshot_id not in by_id:
            findings.append(Finding(ERROR, audit_at.sheet, where, Rule.AUDIT,
                                    f"audit entry {entry.get('Entry')} logs the freeze of "
                                    f"{entry.get('Period')} as snapshot {snapshot_id}, but "
                                    "the Snapshots table has no rows of it: they were removed"))
        elif str(entry.get("Snapshot SHA-256") or "") != computed_hashes[snapshot_id]:
            findings.append(Finding(ERROR, audit_at.sheet, where, Rule.AUDIT,
                                    f"audit entry {entry.get('Entry')} logged snapshot "
                                    f"{snapshot_id} with SHA-256 "
                                    f"{str(entry.get('Snapshot SHA-256'))[:12]}... but its "
                                    "rows now hash otherwise: the snapshot was rewritten"))
        elif str(by_id[snapshot_id][0].get("Period")) != str(entry.get("Period")):
            findings.append(Finding(ERROR, audit_at.sheet, where, Rule.AUDIT,
                                    f"snapshot {snapshot_id} is of "
                                    f"{by_id[snapshot_id][0].get('Period')} but audit entry "
                                    f"{entry.get('Entry')} logged it for {entry.get('Period')}"))
    for snapshot_id, members in by_id.items():
        statuses = {str(row.get("Status") or "").strip().lower() for row in members}
        status = statuses.pop() if len(statuses) == 1 else "mixed"
        first = snapshots_at.cell(members[0]["_row"], 0)
        if snapshot_id not in logged[FREEZE]:
            findings.append(Finding(ERROR, snapshots_at.sheet, first, Rule.AUDIT,
                                    f"snapshot {snapshot_id} is not in the audit log"))
        if status not in (CURRENT, SUPERSEDED):
            findings.append(Finding(ERROR, snapshots_at.sheet, first, Rule.SNAPSHOT,
                                    f"snapshot {snapshot_id}'s rows do not agree on its "
                                    "status (current or superseded)"))
        elif (status == SUPERSEDED) != (snapshot_id in logged[SUPERSEDE]):
            findings.append(Finding(ERROR, snapshots_at.sheet, first, Rule.AUDIT,
                                    f"snapshot {snapshot_id} is marked {status!r} but the "
                                    "audit log says otherwise"))
    for where, head in heads:
        if head not in chain:
            findings.append(Finding(
                ERROR, audit_area.sheet if audit_area else "", "", Rule.AUDIT,
                f"{where} names the audit chain head {head[:12]}..., which this workbook's "
                "audit log does not contain: the log was rewritten or cut off since"))
    findings.extend(frozen_changes(book, rows, area))
    return findings
