"""Savings (cost avoidance), relative change and RAG ratings.

All functions broadcast like numpy: scalars in give a scalar out, arrays give arrays.
``nan`` marks a result that has no value (a zero base); the worksheet layer turns it into
the matching Excel error.
"""

from __future__ import annotations

import numpy as np

SAVING_PARTS = ("total", "volume", "price")
RAG_DIRECTIONS = ("lower", "higher")


def saving(base_volume, base_unit_cost, volume, unit_cost, part: str = "total"):
    """Cost avoidance against the unmitigated ("do nothing") baseline.

    Parameters
    ----------
    base_volume, base_unit_cost : array_like
        Placements and unit cost (£ a year) the baseline expected without the programme.
    volume, unit_cost : array_like
        Placements and unit cost actually seen.
    part : {"total", "volume", "price"}
        ``volume`` = fewer placements at the baseline price; ``price`` = the lower unit
        cost on the placements actually made. The two add up to ``total``.

    Returns
    -------
    ndarray or float
        £ a year; positive = a saving.

    Notes
    -----
    ``total  = base_volume * base_unit_cost - volume * unit_cost``
    ``volume = (base_volume - volume) * base_unit_cost``
    ``price  = (base_unit_cost - unit_cost) * volume``

    Examples
    --------
    20 independent placements expected at £60,000; 15 made at £58,000:

    >>> float(saving(20, 60000, 15, 58000))
    330000.0
    >>> float(saving(20, 60000, 15, 58000, "volume")), float(saving(20, 60000, 15, 58000, "price"))
    (300000.0, 30000.0)
    """
    base_volume, base_unit_cost, volume, unit_cost = (
        np.asarray(x, dtype=float) for x in (base_volume, base_unit_cost, volume, unit_cost))
    part = part.lower()
    if part == "total":
        return base_volume * base_unit_cost - volume * unit_cost
    if part == "volume":
        return (base_volume - volume) * base_unit_cost
    if part == "price":
        return (base_unit_cost - unit_cost) * volume
    raise ValueError(f"part must be one of {', '.join(SAVING_PARTS)}, not {part!r}")


def pct_change(current, base):
    """Relative change from ``base`` to ``current`` (0.05 = +5%); ``nan`` on a zero base.

    >>> float(pct_change(10_500, 10_000))
    0.05
    >>> bool(np.isnan(pct_change(3, 0)))
    True
    """
    current, base = np.asarray(current, dtype=float), np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, (current - base) / np.where(base != 0, base, 1), np.nan)


#: A difference this small relative to the figures is float noise, not a shortfall: the
#: sums behind a figure differ from it in the 16th digit (1e-16 of it), a real shortfall
#: of £1k on £156m is 6e-6 of it. Beyond float noise the bands are exact (docs/functions.md):
#: 105.0000001 against 100 is more than 5% over, so R.
ON_TARGET = 1e-12


def rag(actual, target, tolerance: float = 0.05, direction: str = "lower"):
    """Red / amber / green rating of ``actual`` against ``target``.

    Parameters
    ----------
    actual, target : array_like
    tolerance : float
        How far short of the target is still amber, as a share of the target
        (0.05 = within 5%).
    direction : {"lower", "higher"}
        Whether lower values are better (deficits, costs, EHCP numbers: the default) or
        higher ones (savings).

    Returns
    -------
    ndarray of str
        ``"G"`` on or better than target, ``"A"`` short by no more than the tolerance,
        ``"R"`` otherwise; ``""`` where ``actual`` or ``target`` is missing.

    Examples
    --------
    An in-year deficit of £26.0m against a plan of £25.149m is 3.4% over: amber.

    >>> rag(26.0, 25.149).tolist()
    'A'
    >>> rag([20, 30], [25.149, 25.149]).tolist()
    ['G', 'R']

    Exactly on target is green, whatever the float noise of the sums behind it (a
    difference within 1e-12 of the figures counts as none); past the band by more is
    past it:

    >>> rag(0.1 + 0.2, 0.3).tolist(), rag(156.049, 156.04899999999998).tolist()
    ('G', 'G')
    >>> rag(105.0, 100).tolist(), rag(105.0000001, 100).tolist()
    ('A', 'R')
    """
    direction = direction.lower()
    if direction not in RAG_DIRECTIONS:
        raise ValueError(f"direction must be 'lower' or 'higher', not {direction!r}")
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    actual, target = np.asarray(actual, dtype=float), np.asarray(target, dtype=float)
    shortfall = actual - target if direction == "lower" else target - actual
    allowed = tolerance * np.abs(target)
    noise = ON_TARGET * np.maximum(np.abs(actual), np.abs(target))
    with np.errstate(invalid="ignore"):
        rating = np.where(shortfall <= noise, "G",
                          np.where(shortfall <= allowed + noise, "A", "R"))
    return np.where(np.isnan(actual) | np.isnan(target), "", rating)
