"""KPI definitions: what a KPI is, independent of any one council's list.

The catalogue itself (Norfolk's 46 LFI KPIs) is data in :mod:`lfi_xl.contract`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TERMLY = "Termly"
ANNUALLY = "Annually"

# Units, as the KPI sheet formats them.
COUNT = "count"
PERCENT = "%"
MILLIONS = "£m"
POUNDS = "£"
RATIO = "ratio"
UNITS = (COUNT, PERCENT, MILLIONS, POUNDS, RATIO)


@dataclass(frozen=True)
class Kpi:
    """One KPI of the DfE return.

    ``ref`` is the master reference (1-46 in Norfolk's list); ``measure`` is the wording
    of the master list, verbatim; ``workstreams`` the LFI workstreams (1-5) it is most
    aligned to; ``sign`` says how a positive value reads and ``display_sign`` turns a
    figure in the plan's convention (+deficit) into the KPI's (KPI 11 shows a surplus as
    positive, so -1). ``forum_line`` and ``forum_measure`` are the Schools Forum's own
    numbering and wording of the same KPI.
    """

    ref: int
    group: str
    measure: str
    programme: bool
    workstreams: tuple[int, ...]
    source: str
    regularity: str
    unit: str
    sign: str = ""
    display_sign: int = 1
    forum_line: int | None = None
    forum_measure: str | None = None
    forum_default: bool = False
    better: str = "lower"  # "lower", "higher", or "" when neither is better (RAG)

    @property
    def termly(self) -> bool:
        return self.regularity == TERMLY


def by_ref(catalogue: Iterable[Kpi]) -> dict[int, Kpi]:
    return {kpi.ref: kpi for kpi in catalogue}


def forum_subset(catalogue: Sequence[Kpi], refs: Sequence[int] | None = None) -> list[Kpi]:
    """The KPIs the Schools Forum tracks, in the order given (default: the catalogue's)."""
    index = by_ref(catalogue)
    if refs is None:
        return [kpi for kpi in catalogue if kpi.forum_default]
    unknown = [ref for ref in refs if ref not in index]
    if unknown:
        raise KeyError(f"no KPI with master ref {', '.join(map(str, unknown))}")
    return [index[ref] for ref in refs]
