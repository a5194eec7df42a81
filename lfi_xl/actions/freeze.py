"""Freeze period snapshot: copy a report period's values into the Snapshots table, lock
its cells and log the freeze in the Audit table (what is stored and hashed:
:mod:`lfi_xl.book.snapshots`). Validation runs first and must find no errors."""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.actions.validate import validate
from lfi_xl.book.discover import discovering_editable
from lfi_xl.book.findings import ERROR, Finding, Rule, with_plan_agreement
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.snapshots import (
    CURRENT,
    FREEZE,
    SUPERSEDE,
    SUPERSEDED,
    audit_hash,
    audit_rows,
    canonical,
    cell_address,
    chain_head,
    current_snapshots,
    file_sha256,
    items_formats,
    period_items,
    snapshot_hash,
    stored_value,
    verify,
)
from lfi_xl.book.tables import free_sheet_name
from lfi_xl.book.workbook import EditableWorkbook, Workbook
from lfi_xl.core.periods import Period
from lfi_xl.core.text import storable_text
from lfi_xl.errors import Refused, UnusableInput, cell_ref
from lfi_xl.progress import step


@dataclass(frozen=True)
class Frozen:
    """What a freeze did."""

    period: Period
    snapshot: int
    sha256: str            # the snapshot's
    rows: int              # values frozen
    head: str              # the audit chain's head after it
    frozen_by: str
    frozen_at: str         # ISO time, UTC
    source_sha256: str     # the file as saved before, "" when unknown
    superseded: int | None = None   # the snapshot it replaced
    notes: tuple[str, ...] = ()     # what the host would not let lfi-xl do

    def __str__(self) -> str:
        kept = (f" Snapshot {self.superseded} is kept, marked superseded."
                if self.superseded is not None else "")
        notes = "".join(f" {note}" for note in self.notes)
        return (f"Froze {self.period} as snapshot {self.snapshot} ({self.rows} values) by "
                f"{self.frozen_by} at {_when(self.frozen_at)}.{kept} The period's cells are "
                f"locked.{notes} Audit chain head: {self.head}")


def _when(iso: str) -> str:
    """An ISO time as people write it: "08:30 UTC on 7 December 2026"."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    zone = " UTC" if moment.utcoffset() == dt.timedelta(0) else ""
    return f"{moment:%H:%M}{zone} on {moment.day} {moment:%B %Y}"


def corrections(findings: list[Finding], period: Period) -> list[Finding]:
    """The findings a superseding snapshot exists to record: the period's frozen cells
    changed since its current snapshot (nothing else, not even about that period)."""
    return [f for f in findings if f.rule == Rule.FROZEN and f.period == period]


def superseding(book: KpiBook, period: Period, reason: str | None) -> None:
    """What superseding ``period``'s snapshot needs, refused before anything is read or
    changed: a reason, and a snapshot to supersede."""
    if not (reason or "").strip():
        raise UnusableInput("a superseding snapshot needs a reason")
    if period.label not in current_snapshots(book.snapshots[1]):
        raise Refused(f"{period} has no snapshot to supersede: it is not frozen; freeze it "
                      "without superseding")


def _cannot_be_a_report(book: KpiBook, target: Period, by: str | None) -> None:
    """What freezing refuses before anything else: a period not yet reached (after
    Settings' current one), a period with no input typed at all, an empty name for who
    froze it. (None: the login name, the macros' Office user name.)"""
    if by is not None and not by.strip():
        raise UnusableInput("who is freezing? The name given is empty: give your name (or "
                            "none, to record your login name)")
    settings = book.settings
    if target > settings.current_period:
        raise Refused(f"{target.label} is after Settings' current period "
                      f"({settings.current_period.label}): it is not a report yet; start it "
                      f"first (lfi-xl start-period, or Start next period)")
    column = book.column_of(target)
    calculated = c.CALCULATED_KPIS if book.computes_kpis else frozenset()
    typed = [row.values[column] for ref, row in book.kpis.items() if ref not in calculated]
    if typed and all(value is None or str(value).strip() == "" for value in typed):
        raise Refused(f"{target.label}: every input KPI is blank ({len(typed)} cells): there "
                      "is nothing to report yet")


def freeze(workbook: EditableWorkbook, period: Period | None = None, by: str | None = None,
           supersede: bool = False, reason: str | None = None,
           source_bytes: bytes | None = None, plan: Workbook | None = None) -> Frozen:
    """Freeze ``period`` (default: Settings' current one) of ``workbook``. Raises
    :class:`Refused` when validation has errors or the period is already frozen.
    ``plan``: the DSG plan workbook; its errors (stale cached values among them) and Plan
    Data that is not its latest forecast are refused here, as validate reports them, so
    the extract and the DfE return never refuse a frozen period for them."""
    workbook = discovering_editable(workbook)
    book = KpiBook(workbook)  # read before anything is written: it serves the whole freeze
    period = book.requested_period(period)
    if supersede:
        superseding(book, period, reason)
    _cannot_be_a_report(book, period, by)
    if plan is None and book.plan_data:
        raise Refused("which DSG plan workbook? Plan Data must be its latest forecast when "
                      "freezing: name the plan workbook, or refresh Plan Data from it (which "
                      "records it in Settings)")
    findings = validate(workbook)
    if plan is not None:
        from lfi_xl.actions.consistency import plan_data_agreement
        findings = with_plan_agreement(findings, plan_data_agreement(book, plan, period))
        findings += [f for f in validate(plan) if f.severity == ERROR]
    # Superseding exists to record corrected values of a frozen period: those are expected.
    expected = corrections(findings, period) if supersede else []
    errors = [f for f in findings if f.severity == ERROR and f not in expected]
    if errors:
        raise Refused(f"{len(errors)} validation error(s) must be fixed before freezing "
                      f"(validate lists them all): " + "; ".join(
                          (f"{cell_ref(f.sheet, f.cell)} " if f.sheet and f.cell else "")
                          + f.message for f in errors[:5]))
    step("Copying the period's values")
    _, rows = book.snapshots
    current = current_snapshots(rows)
    if period.label in current and not supersede:
        raise Refused(f"{period} is already frozen (snapshot {current[period.label]}); to "
                      "replace it, freeze it again superseding the snapshot, with the reason",
                      unless="supersede")
    ids = [canonical(row.get("Snapshot")) for row in rows]
    snapshot_id = max([i for i in ids if isinstance(i, int)], default=0) + 1
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    # Stored as written and hashed as stored (a control character in a name or answer).
    who = storable_text(by or getpass.getuser())
    reason = storable_text(reason) if reason else reason
    source_sha = file_sha256(source_bytes) if source_bytes is not None else ""
    items = period_items(book, period)
    formats = items_formats(workbook, items)
    # A cell whose formula this adapter cannot read: both left blank (not recorded).
    new_rows = [{"Snapshot": snapshot_id, "Period": period.label, "Kind": item.kind,
                 "Key": item.key, "Field": item.field, "Value": stored_value(item.value),
                 "Formula": (formats[(item.sheet, item.cell)] or (None, None))[0] or None,
                 "Number format": (formats[(item.sheet, item.cell)] or (None, None))[1],
                 "Frozen by": who, "Frozen at": when, "Source SHA-256": source_sha,
                 c.SNAPSHOT_CELL: cell_address(item.sheet, item.cell)}
                for item in items]
    digest = snapshot_hash(new_rows)
    for row in new_rows:
        row["Snapshot SHA-256"], row["Status"] = digest, CURRENT
    snapshots_area, _ = book.snapshots
    snapshots_sheet = (snapshots_area.sheet if snapshots_area
                       else free_sheet_name(workbook, c.SNAPSHOTS))
    audit = audit_rows(book)  # read before writing: a file's reader is then not made again
    previous = chain_head(audit)  # what the first new entry chains to
    old = current.get(period.label)
    if supersede:
        assert snapshots_area is not None  # the period has a snapshot: the table is there
        status_column = c.SNAPSHOT_COLUMNS.index("Status")
        workbook.set_cells(snapshots_area.sheet, {
            snapshots_area.cell(row["_row"], status_column): SUPERSEDED
            for row in rows if canonical(row.get("Snapshot")) == old})
    if snapshots_area is not None and snapshots_area.shape[1] < len(c.SNAPSHOT_RECORDED):
        # a table frozen before the cell was recorded: its header gains the column
        workbook.set_cells(snapshots_area.sheet, {snapshots_area.cell(
            0, len(c.SNAPSHOT_COLUMNS)): c.SNAPSHOT_CELL})
    workbook.append_rows(snapshots_sheet, c.SNAPSHOTS_TABLE, list(c.SNAPSHOT_RECORDED),
                        [[row[column] for column in c.SNAPSHOT_RECORDED] for row in new_rows])
    entries = []
    if supersede:
        old_rows = [row for row in rows if canonical(row.get("Snapshot")) == old]
        entries.append({"Action": SUPERSEDE, "Snapshot": old,
                        "Snapshot SHA-256": snapshot_hash(old_rows), "Reason": reason})
    entries.append({"Action": FREEZE, "Snapshot": snapshot_id, "Snapshot SHA-256": digest,
                    "Reason": reason if supersede else ""})
    logged = []
    for number, entry in enumerate(entries, start=len(audit) + 1):
        entry |= {"Entry": number, "When": when, "Who": who, "Period": period.label,
                  "Source SHA-256": source_sha}
        entry["Previous entry SHA-256"] = previous
        entry["Entry SHA-256"] = previous = audit_hash(entry, previous)
        logged.append([entry.get(column) for column in c.AUDIT_COLUMNS])
    audit_area = workbook.area(c.AUDIT_TABLE)
    workbook.append_rows(audit_area.sheet if audit_area else free_sheet_name(workbook, c.AUDIT),
                        c.AUDIT_TABLE, list(c.AUDIT_COLUMNS), logged)
    step("Locking the period and writing the snapshot")
    by_sheet: dict[str, list[str]] = {}
    for item in items:
        by_sheet.setdefault(item.sheet, []).append(item.cell)
    for sheet, cells in by_sheet.items():
        workbook.lock(sheet, cells)
    # What was just written must verify, before anything is saved: a freeze that its
    # own verify would call edited is our bug, never the user's stuck period.
    problems = verify(workbook)
    if problems:
        raise RuntimeError(f"the freeze would not verify ({problems[0].sheet}!"
                           f"{problems[0].cell} {problems[0].message}); nothing was saved")
    return Frozen(period, snapshot_id, digest, len(new_rows), previous, who, when, source_sha,
                  old if supersede and isinstance(old, int) else None, tuple(workbook.notes))
