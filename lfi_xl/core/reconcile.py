"""Reconciling a printed plan table with its own arithmetic.

A published table is rounded to 3 decimals (£1k), so a printed total can differ from the
sum of its printed terms. Each rounded term can be off by at most half a unit (0.0005 £m),
so a difference within ``terms x 0.0005`` is *rounding*; anything larger is an *error*.
The check says which, and never hides either.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from lfi_xl.core import plan as p

#: Half a unit of the third decimal: the most a value printed in £m to 3 dp is off by.
HALF_UNIT = 0.0005
#: Float noise when comparing sums of 3-decimal numbers.
_EPSILON = 1e-9

ROUNDING = "rounding"
ERROR = "error"


@dataclass(frozen=True)
class Difference:
    """A printed figure that differs from what its terms add up to."""

    line_id: str
    label: str
    year: str
    printed: float
    recomputed: float
    terms: int
    tolerance: float
    kind: str  # ROUNDING or ERROR

    @property
    def difference(self) -> float:
        return self.printed - self.recomputed

    def message(self) -> str:
        verdict = (
            f"within the rounding of {self.terms} figures shown to £1k (±{self.tolerance:.4f})"
            if self.kind == ROUNDING
            else f"more than the rounding of {self.terms} figures (±{self.tolerance:.4f}): "
            "a real difference"
        )
        return (
            f"{self.label} {self.year}: printed {self.printed:.3f}, its terms give "
            f"{self.recomputed:.3f} (difference {self.difference:+.3f}), {verdict}"
        )

    def as_dict(self) -> dict:
        return asdict(self) | {"difference": round(self.difference, 6), "message": self.message()}


def _classify(line: p.PlanLine, year: str, printed: float, recomputed: float, terms: int,
              half_unit: float) -> Difference | None:
    if math.isnan(printed):
        return None
    difference = abs(printed - recomputed)
    if difference <= _EPSILON:
        return None
    tolerance = terms * half_unit
    kind = ROUNDING if difference <= tolerance + _EPSILON else ERROR
    return Difference(line.id, line.label, year, float(printed), float(recomputed), terms,
                      tolerance, kind)


def _values(line: p.PlanLine | None, n: int) -> np.ndarray:
    return np.zeros(n) if line is None else np.nan_to_num(line.values, nan=0.0)


def reconcile(plan: p.Plan, half_unit: float = HALF_UNIT) -> list[Difference]:
    """Every printed total of ``plan`` that differs from the sum of its printed terms.

    Checks, year by year:

    - total income = sum of income lines;
    - total expenditure = sum of expenditure lines;
    - in-year = printed total expenditure + printed total income;
    - cumulative before Safety Valve = last year's printed cumulative + this in-year
      (the first year: opening balance + in-year, when the opening balance is given);
    - cumulative after = last year's printed cumulative after + in-year + DfE + council
      (the first year: printed cumulative before + DfE + council).

    Each check compares a printed value with printed terms, so a difference can only come
    from rounding or from a wrong figure.
    """
    n = len(plan.years)
    found: list[Difference] = []

    def check(line: p.PlanLine | None, recomputed: np.ndarray, terms) -> None:
        if line is None:
            return
        for t, year in enumerate(plan.years):
            count = terms(t) if callable(terms) else terms
            if count == 0 or math.isnan(recomputed[t]):
                continue
            difference = _classify(line, year, line.values[t], recomputed[t], count, half_unit)
            if difference:
                found.append(difference)

    incomes, expenditures = plan.with_role(p.INCOME), plan.with_role(p.EXPENDITURE)
    check(plan.printed(p.TOTAL_INCOME), p.total(incomes, n), len(incomes))
    check(plan.printed(p.TOTAL_EXPENDITURE), p.total(expenditures, n), len(expenditures))

    printed_income = plan.printed(p.TOTAL_INCOME)
    printed_expenditure = plan.printed(p.TOTAL_EXPENDITURE)
    printed_in_year = plan.printed(p.IN_YEAR)
    if printed_income is not None and printed_expenditure is not None:
        check(printed_in_year, printed_income.values + printed_expenditure.values, 2)

    position = (printed_in_year.values if printed_in_year is not None
                else p.total(incomes, n) + p.total(expenditures, n))
    before = plan.printed(p.CUMULATIVE_BEFORE)
    if before is not None:
        previous = np.concatenate(
            [[np.nan if plan.opening_balance is None else plan.opening_balance],
             before.values[:-1]])
        check(before, previous + position, 2)

    after = plan.printed(p.CUMULATIVE_AFTER)
    if after is not None and before is not None:
        contributions = [*plan.with_role(p.DFE), *plan.with_role(p.LA)]
        flows = p.total(contributions, n)
        recomputed = np.concatenate(
            [[before.values[0] + flows[0]], after.values[:-1] + position[1:] + flows[1:]])

        def terms(t: int) -> int:
            given = sum(not math.isnan(c.values[t]) for c in contributions)
            return 1 + given if t == 0 else 2 + given

        check(after, recomputed, terms)
    return found


def errors(differences: list[Difference]) -> list[Difference]:
    return [d for d in differences if d.kind == ERROR]
