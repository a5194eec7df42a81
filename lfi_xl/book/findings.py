"""Findings: what validation (and the macros that refuse to run) tell people."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lfi_xl.core.periods import Period

ERROR, WARNING, INFO = "error", "warning", "info"
_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


class Rule(StrEnum):
    """What a finding is about: its value is the short id shown in the Rule column and
    the JSON output, and callers choose findings by it, never by their message's text."""

    AUDIT = "audit"               # the audit log's chain or an entry is broken
    BASELINE = "baseline"         # a KPI baseline that is not a number
    CONTRIBUTION = "contribution"  # contributions against the agreed profile
    DUPLICATE = "duplicate"       # a key given twice
    ERROR = "error"               # an Excel error (#N/A) where a figure belongs
    FILE = "file"                 # the file cannot be used at all
    FROZEN = "frozen"             # a frozen period's cell changed since its snapshot
    UNREADABLE = "unreadable"     # a frozen period's cells cannot be read back
    INPUTS = "inputs"             # the calculated KPIs' inputs cannot be read
    LINE = "line"                 # a plan line that is not one of the contract's
    MISSING = "missing"           # a figure missing for a reported period
    MITIGATION = "mitigation"     # the mitigation log
    NAMES = "names"               # defined names missing or broken
    NARRATIVE = "narrative"       # a narrative answer
    NO_PLACEMENTS = "n=0"         # an average cost shown with no placements behind it
    NEW_YEAR = "new year"         # a report column still holding last year's figures
    NUMBER = "number"             # text where a number belongs
    OPENING = "opening"           # the opening balance
    OUTSIDE = "outside"           # entries outside the tables lfi-xl reads
    PERIODS = "periods"           # report period headers
    PLACEMENT = "placement"       # the placements register
    PLAN_DATA = "plan data"       # Plan Data that is not the plan workbook's latest forecast
    RAG = "rag"                   # a condition's RAG rating
    ROUNDING = "rounding"         # a total off its lines by rounding only
    SETTING = "setting"           # a Settings cell
    SIGN = "sign"                 # a plan figure with the wrong sign
    SNAPSHOT = "snapshot"         # the Snapshots table
    STALE = "stale"               # a calculated value not recalculated since its inputs
    TABLE = "table"               # a table that cannot be read
    TOTAL = "total"               # a total that differs from its lines
    TYPED = "typed"               # a KPI list with typed figures only (a note)
    TYPED_ONCE = "typed once"     # a copy of the forecast typed over (type it in Forecast)


@dataclass(frozen=True)
class Finding:
    severity: str   # error (must be fixed), warning (look at it), info (for the record)
    sheet: str
    cell: str       # A1 address or range; "" for the file as a whole
    rule: Rule
    message: str
    #: The report period the finding is about, when it is about one (not shown).
    period: Period | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "sheet": self.sheet, "cell": self.cell,
                "rule": str(self.rule), "message": self.message}


def sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (_ORDER[f.severity], f.sheet, _cell_key(f.cell),
                                           f.rule))


def with_plan_agreement(own: list[Finding], agreement: list[Finding]) -> list[Finding]:
    """The KPI workbook's own findings and its Plan Data checked against the plan workbook,
    sorted: a Plan Data cell the agreement names (with the figure to bring in) is not
    listed a second time as missing."""
    named = {(f.sheet, f.cell) for f in agreement if f.rule == Rule.PLAN_DATA}
    return sort([f for f in own if not (f.rule == Rule.MISSING and (f.sheet, f.cell) in named)]
                + agreement)


def _cell_key(cell: str) -> tuple[int, str]:
    if ":" in cell and not any(ch.isdigit() for ch in cell):  # a whole column: list it last
        return (1 << 30, cell)
    letters = "".join(ch for ch in cell.split(":")[0] if ch.isalpha())
    digits = "".join(ch for ch in cell.split(":")[0] if ch.isdigit())
    return (int(digits) if digits else 0, letters.rjust(3))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def table(findings: list[Finding]) -> str:
    """A readable text table: severity, where, rule, message."""
    if not findings:
        return "No findings: the entries pass every check."
    rows = [(f.severity.upper(), f"{f.sheet}!{f.cell}" if f.cell else f.sheet, f.rule,
             f.message) for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows]
    counts = {s: sum(f.severity == s for f in findings) for s in (ERROR, WARNING, INFO)}
    lines.append(f"\n{counts[ERROR]} error(s), {counts[WARNING]} warning(s), "
                 f"{counts[INFO]} note(s).")
    return "\n".join(lines)
