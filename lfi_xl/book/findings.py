"""Findings: what validation (and the macros that refuse to run) tell people."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"
_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Finding:
    severity: str   # error (must be fixed), warning (look at it), info (for the record)
    sheet: str
    cell: str       # A1 address or range; "" for the file as a whole
    rule: str       # short rule id, e.g. "number", "sign", "rounding"
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (_ORDER[f.severity], f.sheet, _cell_key(f.cell),
                                           f.rule))


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
