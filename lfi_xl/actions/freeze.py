"""Freeze period snapshot: copy a report period's values into the Snapshots table, lock
its cells and log the freeze in the Audit table (what is stored and hashed:
:mod:`lfi_xl.book.snapshots`). Validation runs first and must find no errors."""

from __future__ import annotations

import datetime as dt
import getpass

from lfi_xl import contract as c
from lfi_xl.actions.validate import validate
from lfi_xl.book.findings import ERROR
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.snapshots import (
    CURRENT,
    FREEZE,
    SUPERSEDE,
    SUPERSEDED,
    audit_hash,
    audit_rows,
    canonical,
    current_snapshots,
    file_sha256,
    items_formats,
    period_items,
    snapshot_hash,
    stored_value,
    verify,
)
from lfi_xl.book.tables import free_sheet_name
from lfi_xl.core.text import storable_text
from lfi_xl.errors import Refused
from lfi_xl.progress import step


def _cannot_be_a_report(book: KpiBook, period: str, by: str | None) -> None:
    """What freezing refuses before anything else: a period not yet reached (after
    Settings' current one), a period with no input typed at all, an empty name for who
    froze it. (None: the login name, the macros' Office user name.)"""
    if by is not None and not by.strip():
        raise Refused("who is freezing? --by is empty: give your name (or leave --by out "
                      "to record your login name)")
    settings = book.settings
    target = settings.cadence.parse(book.requested_period(period))
    if target > settings.current_period:
        raise Refused(f"{target.label} is after Settings' current period "
                      f"({settings.current_period.label}): it is not a report yet; start it "
                      f"first (lfi-xl start-period, or Start next period)")
    column = book.column_of(target.label)
    calculated = c.CALCULATED_KPIS if book.computes_kpis else frozenset()
    typed = [row.values[column] for ref, row in book.kpis.items() if ref not in calculated]
    if typed and all(value is None or str(value).strip() == "" for value in typed):
        raise Refused(f"{target.label}: every input KPI is blank ({len(typed)} cells): there "
                      "is nothing to report yet")


def freeze(adapter, period: str, by: str | None = None, supersede: bool = False,
           reason: str | None = None, source_bytes: bytes | None = None,
           plan_source=None) -> dict:
    """Freeze ``period`` through ``adapter`` (a file or a live book). Raises
    :class:`Refused` when validation has errors or the period is already frozen.
    ``plan_source``: the DSG plan workbook; its own errors, its stale cached values and
    Plan Data that is not its latest forecast are refused here, as validate reports them,
    so extract and dfe-return never refuse a frozen period for them."""
    book = KpiBook(adapter)  # read before anything is written: it serves the whole freeze
    _cannot_be_a_report(book, period, by)
    if plan_source is None and book.plan_data:
        raise Refused("which DSG plan workbook? Plan Data must be its latest forecast when "
                      "freezing: name it (--plan FILE), or run lfi-xl refresh, which "
                      "records it in Settings")
    findings = validate(adapter)
    if plan_source is not None:
        from lfi_xl.actions.consistency import plan_data_agreement
        plan_findings = validate(plan_source)
        findings += [f for f in plan_findings if f.severity == ERROR]
        findings += plan_data_agreement(book, plan_source, book.requested_period(period))
    # Superseding exists to record corrected values of a frozen period: those are expected.
    corrected = f"{period} is frozen" if supersede else None
    errors = [f for f in findings if f.severity == ERROR
              and not (f.rule == "frozen" and corrected and f.message.startswith(corrected))]
    if errors:
        raise Refused(f"{len(errors)} validation error(s) must be fixed before freezing "
                      f"(run Validate entries): " + "; ".join(
                          f"{f.sheet}!{f.cell} {f.message}" for f in errors[:5]))
    step("Copying the period's values")
    period = book.requested_period(period)
    book.column_of(period)
    _, rows = book.snapshots
    current = current_snapshots(rows)
    if period in current and not supersede:
        raise Refused(f"{period} is already frozen (snapshot {current[period]}); to replace "
                      "it, freeze again with --supersede --reason \"why\"")
    if supersede and not (reason or "").strip():
        raise Refused("a superseding snapshot needs a reason (--reason)")
    if supersede and period not in current:
        raise Refused(f"{period} has no snapshot to supersede; freeze it without --supersede")
    ids = [canonical(row.get("Snapshot")) for row in rows]
    snapshot_id = max([i for i in ids if isinstance(i, int)], default=0) + 1
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    # Stored as written and hashed as stored (a control character in a name or answer).
    who = storable_text(by or getpass.getuser())
    reason = storable_text(reason) if reason else reason
    source_sha = file_sha256(source_bytes) if source_bytes is not None else ""
    items = period_items(book, period)
    formats = items_formats(adapter, items)
    # A cell whose formula this adapter cannot read: both left blank (not recorded).
    new_rows = [{"Snapshot": snapshot_id, "Period": period, "Kind": item.kind, "Key": item.key,
                 "Field": item.field, "Value": stored_value(item.value),
                 "Formula": (formats[(item.sheet, item.cell)] or (None, None))[0] or None,
                 "Number format": (formats[(item.sheet, item.cell)] or (None, None))[1],
                 "Frozen by": who, "Frozen at": when, "Source SHA-256": source_sha}
                for item in items]
    digest = snapshot_hash(new_rows)
    for row in new_rows:
        row["Snapshot SHA-256"], row["Status"] = digest, CURRENT
    snapshots_area, _ = book.snapshots
    snapshots_sheet = (snapshots_area.sheet if snapshots_area
                       else free_sheet_name(adapter, c.SNAPSHOTS))
    audit = audit_rows(book)  # read before writing: a file's reader is then not made again
    previous = str(audit[-1].get("Entry SHA-256") or "") if audit else ""
    if supersede:
        old = current[period]
        status_column = c.SNAPSHOT_COLUMNS.index("Status")
        adapter.set_cells(snapshots_area.sheet, {
            snapshots_area.cell(row["_row"], status_column): SUPERSEDED
            for row in rows if canonical(row.get("Snapshot")) == old})
    adapter.append_rows(snapshots_sheet, c.SNAPSHOTS_TABLE, list(c.SNAPSHOT_COLUMNS),
                        [[row[column] for column in c.SNAPSHOT_COLUMNS] for row in new_rows])
    entries = []
    if supersede:
        old_rows = [row for row in rows if canonical(row.get("Snapshot")) == current[period]]
        entries.append({"Action": SUPERSEDE, "Snapshot": current[period],
                        "Snapshot SHA-256": snapshot_hash(old_rows), "Reason": reason})
    entries.append({"Action": FREEZE, "Snapshot": snapshot_id, "Snapshot SHA-256": digest,
                    "Reason": reason if supersede else ""})
    logged = []
    for number, entry in enumerate(entries, start=len(audit) + 1):
        entry |= {"Entry": number, "When": when, "Who": who, "Period": period,
                  "Source SHA-256": source_sha}
        entry["Previous entry SHA-256"] = previous
        entry["Entry SHA-256"] = previous = audit_hash(entry, previous)
        logged.append([entry.get(column) for column in c.AUDIT_COLUMNS])
    audit_area = adapter.area(c.AUDIT_TABLE)
    adapter.append_rows(audit_area.sheet if audit_area else free_sheet_name(adapter, c.AUDIT),
                        c.AUDIT_TABLE, list(c.AUDIT_COLUMNS), logged)
    step("Locking the period and writing the snapshot")
    by_sheet: dict[str, list[str]] = {}
    for item in items:
        by_sheet.setdefault(item.sheet, []).append(item.cell)
    for sheet, cells in by_sheet.items():
        adapter.lock(sheet, cells)
    # What was just written must verify, before anything is saved: a freeze that its
    # own verify would call edited is our bug, never the user's stuck period.
    problems = verify(adapter)
    if problems:
        raise RuntimeError(f"the freeze would not verify ({problems[0].sheet}!"
                           f"{problems[0].cell} {problems[0].message}); nothing was saved")
    return {"period": period, "snapshot": snapshot_id, "sha256": digest, "rows": len(new_rows),
            "head": previous,
            "frozen_by": who, "frozen_at": when, "source_sha256": source_sha,
            "superseded": current.get(period) if supersede else None}
