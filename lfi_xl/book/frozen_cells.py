"""The cells a freeze protects, with the value each was frozen with: what ``recalc`` must
never rewrite (a formula of a frozen period whose input changed since, a baseline say,
keeps its frozen value, and recalc says which and why)."""

from __future__ import annotations

from dataclasses import dataclass

from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.snapshots import canonical, current_snapshots, period_items


@dataclass(frozen=True)
class FrozenCell:
    period: str
    snapshot: object
    value: object      # as the snapshot stores it


def frozen_cells(book: KpiBook, release: tuple[str, ...] = ()) -> dict[tuple[str, str],
                                                                        FrozenCell]:
    """(sheet, cell) -> what it was frozen as, for every current snapshot's period but
    those in ``release`` (a period being superseded)."""
    _, rows = book.snapshots
    found = {}
    for period, snapshot in current_snapshots(rows).items():
        if period in release or period not in book.period_labels:
            continue
        frozen = {(row.get("Kind"), canonical(row.get("Key")), row.get("Field")): row
                  for row in rows if canonical(row.get("Snapshot")) == snapshot}
        for item in period_items(book, book.settings.cadence.parse(period)):
            row = frozen.get((item.kind, canonical(item.key), item.field))
            if row is not None:
                found[(item.sheet, item.cell)] = FrozenCell(period, snapshot, row.get("Value"))
    return found
