"""Snapshots and the audit log read and checked through any adapter: the record of what
was reported, and its guard (``freeze`` writes them: :mod:`lfi_xl.actions.freeze`).

Freezing copies a report period's values (not formulas) into the Snapshots table: every
KPI, the condition RAGs, the narrative answers and the plan figures, each row with who
froze it, when, the SHA-256 of the source file and the SHA-256 of the whole snapshot
over a canonical form of its rows. The period's cells are then locked and the freeze is
logged in the Audit table, each entry chained to the previous one by its hash.

Verification recomputes every snapshot's hash and the audit chain, and compares each
current snapshot with the live cells, so an edit to a frozen value, a snapshot row or the
audit log is found. The hashes are tamper *evidence* against edits and slips, not a
secret: someone who rewrites both a value and its hash deliberately is not stopped, but
the audit chain and the .bak files make that visible too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.book.findings import ERROR, Finding
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.core.values import EXCEL_ERRORS

CURRENT, SUPERSEDED = "current", "superseded"
FREEZE, SUPERSEDE = "freeze", "supersede"
_HASHED = ("Snapshot", "Period", "Kind", "Key", "Field", "Value", "Frozen by", "Frozen at",
           "Source SHA-256")


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
    text = str(value).strip()
    try:  # keys such as 16 read back as 16.0 from a number cell: same key
        number = float(text)
        if text and number.is_integer() and text.lstrip("-").replace(".", "", 1).isdigit():
            return int(number) if "." not in text else canonical(number)
    except ValueError:
        pass
    return text


def _sha(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def snapshot_hash(rows: list[dict]) -> str:
    """SHA-256 over the canonical form of a snapshot's rows (order does not matter)."""
    canonical_rows = sorted(([canonical(row.get(column)) for column in _HASHED]
                             for row in rows), key=json.dumps)
    return _sha(canonical_rows)


def audit_hash(entry: dict, previous: str) -> str:
    fields = [canonical(entry.get(column)) for column in c.AUDIT_COLUMNS[:8]]
    return _sha([fields, previous])


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


def period_items(book: KpiBook, period: str) -> list[FrozenItem]:
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
    area = book.source.area(c.AUDIT_TABLE)
    if area is None:
        return []
    values = book.source.values(area)
    header = [str(v).strip() if v is not None else "" for v in values[0]]
    return [dict(zip(header, row, strict=False)) for row in values[1:]
            if any(v not in (None, "") for v in row)]


def frozen_changes(book: KpiBook) -> list[Finding]:
    """Live cells of frozen periods that differ from their current snapshot."""
    area, rows = book.snapshots
    if area is None:
        return []
    findings = []
    current = current_snapshots(rows)
    for period, snapshot_id in current.items():
        frozen = {(row.get("Kind"), canonical(row.get("Key")), row.get("Field")): row
                  for row in rows if canonical(row.get("Snapshot")) == snapshot_id}
        try:
            items = period_items(book, period)
        except Exception as error:
            findings.append(Finding(ERROR, area.sheet, "", "frozen",
                                    f"{period} is frozen but its cells cannot be read: {error}"))
            continue
        for item in items:
            row = frozen.get((item.kind, canonical(item.key), item.field))
            if row is None:
                continue
            if canonical(row.get("Value")) != stored_value(item.value):
                findings.append(Finding(
                    ERROR, item.sheet, item.cell, "frozen",
                    f"{period} is frozen (snapshot {snapshot_id}) but {item.kind} {item.key} "
                    f"now reads {stored_value(item.value)!r} instead of "
                    f"{canonical(row.get('Value'))!r}"))
    return findings


def verify(adapter) -> list[Finding]:
    """Every sign that a snapshot, a frozen value or the audit log was edited."""
    book = KpiBook(adapter)
    area, rows = book.snapshots
    findings: list[Finding] = []
    if area is None and adapter.area(c.AUDIT_TABLE) is None:
        return findings  # nothing has been frozen
    by_id: dict[object, list[dict]] = {}
    for row in rows:
        by_id.setdefault(canonical(row.get("Snapshot")), []).append(row)
    for snapshot_id, members in by_id.items():
        stored = {str(row.get("Snapshot SHA-256") or "") for row in members}
        computed = snapshot_hash(members)
        first = area.cell(members[0]["_row"], 0)
        if stored != {computed}:
            findings.append(Finding(
                ERROR, area.sheet, first, "snapshot",
                f"snapshot {snapshot_id} ({members[0].get('Period')}) has been edited: its "
                f"rows no longer match its SHA-256 {sorted(stored)[0][:12]}..."))
    periods: dict[str, list] = {}
    for snapshot_id, members in by_id.items():
        if str(members[0].get("Status") or "").strip().lower() == CURRENT:
            periods.setdefault(str(members[0].get("Period")), []).append(snapshot_id)
    for period, ids in periods.items():
        if len(ids) > 1:
            findings.append(Finding(ERROR, area.sheet, "", "snapshot",
                                    f"{period} has {len(ids)} current snapshots ({ids})"))
    audit = audit_rows(book)
    previous = ""
    logged = {FREEZE: set(), SUPERSEDE: set()}
    audit_area = adapter.area(c.AUDIT_TABLE)
    for offset, entry in enumerate(audit, start=1):
        expected = audit_hash(entry, previous)
        if str(entry.get("Previous entry SHA-256") or "") != previous or str(
                entry.get("Entry SHA-256") or "") != expected:
            findings.append(Finding(ERROR, audit_area.sheet, audit_area.cell(offset, 0),
                                    "audit", f"audit entry {entry.get('Entry')} has been edited "
                                             "or an entry before it removed"))
        previous = str(entry.get("Entry SHA-256") or "")
        action = str(entry.get("Action") or "")
        if action in logged:
            logged[action].add(canonical(entry.get("Snapshot")))
    for snapshot_id, members in by_id.items():
        statuses = {str(row.get("Status") or "").strip().lower() for row in members}
        status = statuses.pop() if len(statuses) == 1 else "mixed"
        if snapshot_id not in logged[FREEZE]:
            findings.append(Finding(ERROR, area.sheet, area.cell(members[0]["_row"], 0),
                                    "audit", f"snapshot {snapshot_id} is not in the audit log"))
        if status not in (CURRENT, SUPERSEDED):
            findings.append(Finding(ERROR, area.sheet, area.cell(members[0]["_row"], 0),
                                    "snapshot", f"snapshot {snapshot_id}'s rows do not agree "
                                                "on its status (current or superseded)"))
        elif (status == SUPERSEDED) != (snapshot_id in logged[SUPERSEDE]):
            findings.append(Finding(ERROR, area.sheet, area.cell(members[0]["_row"], 0),
                                    "audit", f"snapshot {snapshot_id} is marked {status!r} but "
                                             "the audit log says otherwise"))
    findings.extend(frozen_changes(book))
    return findings
