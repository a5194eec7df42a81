"""Looking up frozen values: what a KPI was when its report period was frozen."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from lfi_xl.core.periods import Cadence, PeriodError

CURRENT = "current"
SUPERSEDED = "superseded"


class NotFrozen(LookupError):
    """No current snapshot holds the value asked for."""


def _norm(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip().lower()


@lru_cache(maxsize=256)
def _period(label: str) -> str:
    """A period in any spelling the command line accepts (``2023/24 Q1``, ``Q1 2023-24``)
    as its label, ``2023-24 q1``; other text as it is."""
    try:
        return Cadence(4).parse(label).label.lower()
    except PeriodError:
        return label


def frozen_value(periods, kinds, keys, values, statuses, period: str, key: object,
                 kind: str):
    """The value frozen for ``kind`` ``key`` at ``period`` by its current snapshot.

    The columns are parallel sequences (one element per snapshot row). Superseded rows
    are skipped; if several current rows match (which freezing never writes), the last
    one counts.

    >>> frozen_value(["2023-24 Q1", "2023-24 Q1"], ["KPI", "KPI"], [16, 16], [25.1, 24.9],
    ...              ["superseded", "current"], "2023-24 Q1", 16, "KPI")
    24.9

    The period may be spelt any way the command line accepts, in the call and in the
    table; the other rows may hold anything (an error frozen for another KPI among them):

    >>> frozen_value(["Q1 2023/24", "2023-24 Q1"], ["KPI", "KPI"], [37, 16], ["#N/A", 25.1],
    ...              ["current", "current"], "2023/24 Q1", 16, "KPI")
    25.1
    """
    wanted = (_period(_norm(period)), _norm(kind), _norm(key))
    found = None
    for row in range(len(values)):
        if _norm(statuses[row]) == SUPERSEDED:
            continue
        if (_period(_norm(periods[row])), _norm(kinds[row]), _norm(keys[row])) == wanted:
            found = values[row]
    if found is None:
        raise NotFrozen(f"no frozen value for {kind} {key} at {period}")
    return found.item() if isinstance(found, np.generic) else found
