"""DSG / High Needs Block plan arithmetic.

Sign convention (the DfE DSG management plan, and every function here): income and
Safety Valve contributions are negative, expenditure is positive, the in-year position
is **+deficit / -surplus** and so is every cumulative balance. Units are £m; values are
kept at full precision and rounded only for display.

A :class:`Plan` is a list of lines over years. Input lines carry a *role* (income,
expenditure, DfE or council contribution); lines printed as totals in a published table
carry the role of the total they print, so that :mod:`lfi_xl.core.reconcile` can compare
them with what the inputs add up to. Nothing here knows Norfolk: the shipped default is
data in :mod:`lfi_xl.data.published`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lfi_xl.core.values import blanks_as_zero

# Input roles: the figures a finance officer types.
INCOME = "income"
EXPENDITURE = "expenditure"
DFE = "dfe"
LA = "la"
INPUT_ROLES = (INCOME, EXPENDITURE, DFE, LA)

# Printed roles: totals a published table shows, recomputed by the engine.
TOTAL_INCOME = "total_income"
TOTAL_EXPENDITURE = "total_expenditure"
IN_YEAR = "in_year"
CUMULATIVE_BEFORE = "cumulative_before_sv"
CUMULATIVE_AFTER = "cumulative_after_sv"
PRINTED_ROLES = (TOTAL_INCOME, TOTAL_EXPENDITURE, IN_YEAR, CUMULATIVE_BEFORE, CUMULATIVE_AFTER)

# Kinds of income and expenditure line, for the KPIs built on them (allocation = KPI 20,
# block transfer = KPI 21, direct / central spend = KPIs 13 / 14).
ALLOCATION = "allocation"
BLOCK_TRANSFER = "block_transfer"
DIRECT = "direct"
CENTRAL = "central"

FUNDING_GAP_METHODS = {
    "A": "in-year deficit / HNB DSG allocation",
    "B": "in-year deficit / total HNB income (allocation + block transfers)",
    "C": "(total expenditure - HNB DSG allocation) / HNB DSG allocation: the gap before "
    "any block transfer",
}


class PlanError(ValueError):
    """A plan that cannot be computed (a missing line, a missing opening balance)."""


@dataclass(frozen=True)
class PlanLine:
    """One row of a plan table: a stable id, the label people read, its role and values.

    ``values`` holds one float per year, ``nan`` where the cell is blank.
    """

    id: str
    label: str
    role: str
    values: np.ndarray
    kind: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", np.asarray(self.values, dtype=float))


@dataclass(frozen=True)
class Plan:
    """A multi-year DSG plan: years, lines, and (optionally) the opening balance.

    Without an opening balance, it is derived from a printed cumulative-before line:
    opening = cumulative before Safety Valve in the first year - that year's in-year.
    """

    years: tuple[str, ...]
    lines: tuple[PlanLine, ...]
    opening_balance: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "years", tuple(self.years))
        object.__setattr__(self, "lines", tuple(self.lines))
        for line in self.lines:
            if line.values.shape != (len(self.years),):
                raise PlanError(
                    f"line {line.label!r} has {line.values.size} values for {len(self.years)} years"
                )
        ids = [line.id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise PlanError("two plan lines share an id")

    def with_role(self, role: str) -> list[PlanLine]:
        return [line for line in self.lines if line.role == role]

    def printed(self, role: str) -> PlanLine | None:
        """The line printing a total of ``role``, if the table has one."""
        found = self.with_role(role)
        return found[0] if found else None

    def line(self, line_id: str) -> PlanLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise PlanError(f"the plan has no line {line_id!r}")


def total(lines: Sequence[PlanLine], years: int) -> np.ndarray:
    """Sum of lines year by year; blanks count as 0."""
    out = np.zeros(years)
    for line in lines:
        out += blanks_as_zero(line.values)
    return out


def in_year(total_income: np.ndarray, total_expenditure: np.ndarray) -> np.ndarray:
    """In-year position: expenditure + income (income is negative). +deficit / -surplus.

    >>> round(float(in_year(np.array([-129.107]), np.array([148.744]))[0]), 3)
    19.637
    """
    return np.asarray(total_expenditure, dtype=float) + np.asarray(total_income, dtype=float)


def cumulative_balance(
    opening: float,
    in_year: np.ndarray | Sequence[float],
    dfe: np.ndarray | Sequence[float] | None = None,
    la: np.ndarray | Sequence[float] | None = None,
) -> np.ndarray:
    """Running cumulative balance, one value per year.

    Parameters
    ----------
    opening : float
        Cumulative balance before the first year (£m, +deficit).
    in_year : array_like
        In-year position per year (£m, +deficit / -surplus).
    dfe, la : array_like, optional
        Safety Valve contributions from the DfE and from the council (£m, negative).
        Leave both out for the balance *before* Safety Valve funding.

    Returns
    -------
    numpy.ndarray
        Same length as ``in_year``. Blanks (``nan``) count as 0.

    Notes
    -----
    ``balance[t] = opening + sum(in_year[:t+1]) + sum(dfe[:t+1]) + sum(la[:t+1])``

    Examples
    --------
    Norfolk's 2022/23-2024/25, from the published in-year row, opening balance 53.976:

    >>> cumulative_balance(53.976, [19.637, 25.149, 20.433]).round(3).tolist()
    [73.613, 98.762, 119.195]
    >>> cumulative_balance(53.976, [19.637, 25.149, 20.433],
    ...                    dfe=[-28, -6, -6], la=[None, -5.5, -5.5]).round(3).tolist()
    [45.613, 59.262, 68.195]
    """
    flows = blanks_as_zero(np.asarray(in_year, dtype=float))
    for extra in (dfe, la):
        if extra is not None:
            extra = blanks_as_zero(np.asarray(extra, dtype=float))
            if extra.shape != flows.shape:
                raise ValueError(
                    f"contributions have {extra.size} values but in-year has {flows.size}"
                )
            flows = flows + extra
    opening = 0.0 if opening is None or math.isnan(opening) else float(opening)
    return opening + np.cumsum(flows)


def funding_gap(
    in_year: np.ndarray | Sequence[float],
    hnb_allocation: np.ndarray | Sequence[float],
    method: str = "A",
    *,
    block_transfers: np.ndarray | Sequence[float] | None = None,
    total_expenditure: np.ndarray | Sequence[float] | None = None,
) -> np.ndarray:
    """Funding gap as a share of the HNB allocation (a fraction: 0.1629 = 16.29%).

    Parameters
    ----------
    in_year : array_like
        In-year position (£m, +deficit).
    hnb_allocation : array_like
        High Needs Block DSG allocation (£m; the income line's sign is ignored).
    method : {"A", "B", "C"}
        ``A`` (default) in-year / allocation; ``B`` in-year / (allocation + block
        transfers); ``C`` (total expenditure - allocation) / allocation, the gap before
        any block transfer. ``B`` needs ``block_transfers``, ``C`` ``total_expenditure``.

    Returns
    -------
    numpy.ndarray
        ``nan`` where the allocation is 0 or blank (no division by zero).

    Examples
    --------
    Norfolk 2022/23 (method A): 19.637 / 120.578

    >>> round(float(funding_gap([19.637], [-120.578])[0]), 4)
    0.1629
    """
    allocation = np.abs(np.asarray(hnb_allocation, dtype=float))
    position = np.asarray(in_year, dtype=float)
    method = method.upper()
    if method == "A":
        numerator, denominator = position, allocation
    elif method == "B":
        if block_transfers is None:
            raise ValueError("funding gap method B needs the block transfers")
        numerator = position
        denominator = allocation + np.abs(blanks_as_zero(np.asarray(block_transfers, dtype=float)))
    elif method == "C":
        if total_expenditure is None:
            raise ValueError("funding gap method C needs the total expenditure")
        numerator = np.asarray(total_expenditure, dtype=float) - allocation
        denominator = allocation
    else:
        raise ValueError(f"funding gap method must be A, B or C, not {method!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def first_balanced_year(years: Sequence[str], in_year: np.ndarray | Sequence[float]) -> str | None:
    """The first year whose in-year position is balanced or in surplus (<= 0), if any.

    >>> first_balanced_year(["2026/27", "2027/28"], [0.300, -11.320])
    '2027/28'
    """
    for year, value in zip(years, np.asarray(in_year, dtype=float), strict=True):
        if value <= 0:
            return year
    return None


#: A balance this small (£m) counts as cleared. A plan typed from a table printed to £1k
#: carries a few £k of accumulated rounding by its final year (Norfolk's published lines
#: sum to 0.003 in 2028/29 where the table prints 0.000); £5k keeps that from reading as
#: an uncleared deficit while any real remaining deficit still shows.
ZERO_TOLERANCE = 0.005


def reaches_zero(cumulative_after: np.ndarray | Sequence[float],
                 tolerance: float = ZERO_TOLERANCE) -> bool:
    """Whether the final year's cumulative balance is cleared (<= ``tolerance`` £m).

    >>> reaches_zero([45.613, 0.003]), reaches_zero([45.613, 0.2])
    (True, False)
    """
    values = np.asarray(cumulative_after, dtype=float)
    return bool(values.size) and bool(values[-1] <= tolerance)


def derive_opening_balance(plan: Plan) -> float:
    """The opening balance given, or derived from the printed first-year cumulative.

    Norfolk: 73.613 (cumulative before Safety Valve, 2022/23) - 19.637 (in-year) = 53.976.
    """
    if plan.opening_balance is not None and not math.isnan(plan.opening_balance):
        return float(plan.opening_balance)
    printed_cumulative = plan.printed(CUMULATIVE_BEFORE)
    if printed_cumulative is None or math.isnan(printed_cumulative.values[0]):
        raise PlanError(
            "no opening balance: give one, or a printed 'cumulative balance before Safety "
            "Valve funding' for the first year to derive it from"
        )
    printed_in_year = plan.printed(IN_YEAR)
    if printed_in_year is not None and not math.isnan(printed_in_year.values[0]):
        first_in_year = printed_in_year.values[0]
    else:
        first_in_year = _totals(plan)[2][0]
    return float(printed_cumulative.values[0] - first_in_year)


def _totals(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(plan.years)
    income = total(plan.with_role(INCOME), n)
    expenditure = total(plan.with_role(EXPENDITURE), n)
    return income, expenditure, in_year(income, expenditure)


def _kind_total(plan: Plan, role: str, kind: str) -> np.ndarray:
    return total([line for line in plan.with_role(role) if line.kind == kind], len(plan.years))


@dataclass(frozen=True)
class PlanResult:
    """Every computed line of a plan, year by year (£m, plan sign convention)."""

    years: tuple[str, ...]
    opening_balance: float
    total_income: np.ndarray
    total_expenditure: np.ndarray
    in_year: np.ndarray
    dfe: np.ndarray
    la: np.ndarray
    cumulative_before_sv: np.ndarray
    cumulative_after_dfe: np.ndarray
    cumulative_after_sv: np.ndarray
    hnb_allocation: np.ndarray
    block_transfers: np.ndarray
    direct_spend: np.ndarray
    central_spend: np.ndarray
    funding_gap: np.ndarray
    funding_gap_method: str
    first_balanced_year: str | None
    reaches_zero: bool


def compute_plan(plan: Plan, funding_gap_method: str = "A") -> PlanResult:
    """Compute every derived line of ``plan`` from its input lines.

    Totals, in-year and balances come from the income, expenditure and contribution
    lines, never from printed totals (those are checked by :func:`reconcile`).
    """
    income, expenditure, position = _totals(plan)
    n = len(plan.years)
    dfe = total(plan.with_role(DFE), n)
    la = total(plan.with_role(LA), n)
    opening = derive_opening_balance(plan)
    allocation = _kind_total(plan, INCOME, ALLOCATION)
    transfers = _kind_total(plan, INCOME, BLOCK_TRANSFER)
    after = cumulative_balance(opening, position, dfe, la)
    return PlanResult(
        years=plan.years,
        opening_balance=opening,
        total_income=income,
        total_expenditure=expenditure,
        in_year=position,
        dfe=dfe,
        la=la,
        cumulative_before_sv=cumulative_balance(opening, position),
        cumulative_after_dfe=cumulative_balance(opening, position, dfe),
        cumulative_after_sv=after,
        hnb_allocation=allocation,
        block_transfers=transfers,
        direct_spend=_kind_total(plan, EXPENDITURE, DIRECT),
        central_spend=_kind_total(plan, EXPENDITURE, CENTRAL),
        funding_gap=funding_gap(
            position, allocation, funding_gap_method,
            block_transfers=transfers, total_expenditure=expenditure,
        ),
        funding_gap_method=funding_gap_method.upper(),
        first_balanced_year=first_balanced_year(plan.years, position),
        reaches_zero=reaches_zero(after),
    )
