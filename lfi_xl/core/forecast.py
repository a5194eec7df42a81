"""EHCP demand forecast: drift on log growth, with bands calibrated on what happened.

How many children will have an EHC plan each January? From one series of January counts
the median forecast follows the series' recent growth (the mean log growth of the last
:data:`WINDOW` years), shrunk half-way towards the median growth of every English local
authority over the same years (:data:`SHRINK`): one council's last three years are a noisy
guide, the country's are a steadier one. The bands are not a model's assumptions: they are
the errors this very forecast made, across every local authority, at each origin whose
outcome is known (split-conformal calibration). Because growth changed after 2022, the
errors of the calibration origins are not pooled: each quantile takes the widest of the
origins (the lowest 10th percentile, the highest 90th), so a band is as wide as the worst
recent year needed. Horizons 1-3 are calibrated; 4-6 widen in proportion to the horizon
(uncalibrated extrapolation: no origin in the data can score them yet).

Everything here is pure: arrays in, arrays out. The DfE series (``lfi_xl/data/ehcp``) is
read by :mod:`lfi_xl.data.ehcp`; :data:`SHIPPED` is the calibration on it as at January
2025, kept here so that the worksheet function needs no file (a test recomputes it).
docs/forecast.md gives the method and the backtest's figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Years of growth the drift averages.
WINDOW = 3
#: How far each series' drift moves towards the median drift of all LAs (0 = not at all).
SHRINK = 0.5
#: Horizons the calibration scores; beyond them the bands widen with the horizon.
CALIBRATED_HORIZONS = 3
#: Longest forecast, in years.
MAX_HORIZON = 6
#: The quantiles a calibration keeps; any quantile between the ends is interpolated.
QUANTILE_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)

#: A series of figures: a list, a tuple or a numpy array.
Numbers = Sequence[float] | np.ndarray


class ForecastError(ValueError):
    """A series or a request the forecast cannot take (too short, not positive, ...)."""


def _log_counts(counts: Numbers, window: int) -> np.ndarray:
    values = np.asarray(counts, dtype=float)
    if values.ndim != 1:
        raise ForecastError("the counts must be one series")
    if values.size < window + 1:
        raise ForecastError(f"the forecast needs at least {window + 1} years of counts, "
                            f"got {values.size}")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ForecastError("every count must be a number above 0")
    return np.log(values)


def log_growth(counts: Numbers, window: int = WINDOW) -> float:
    """Mean yearly log growth of the last ``window`` years of a series.

    Parameters
    ----------
    counts : sequence of float
        Counts of consecutive years, oldest first, all above 0.
    window : int
        Years of growth to average (``window + 1`` counts are used).

    Returns
    -------
    float
        ``(log(last) - log(count window years before)) / window``.

    Examples
    --------
    Norfolk's EHC plans, January 2019-2022 (6,152, 6,689, 7,753, 8,671):

    >>> round(log_growth([6152, 6689, 7753, 8671]), 4)
    0.1144
    """
    logs = _log_counts(counts, window)
    return float((logs[-1] - logs[-1 - window]) / window)


def drift(counts: Numbers, prior: float | None = None, window: int = WINDOW,
          shrink: float = SHRINK) -> float:
    """The yearly log growth the median forecast follows.

    Parameters
    ----------
    counts : sequence of float
        Counts of consecutive years, oldest first.
    prior : float, optional
        The median log growth of all LAs over the same years; without it the series'
        own growth is used alone.
    window, shrink : int, float
        Years averaged; how far the series' growth moves towards ``prior`` (0-1).

    Returns
    -------
    float
        ``(1 - shrink) * log_growth(counts) + shrink * prior``.

    Examples
    --------
    >>> round(drift([6152, 6689, 7753, 8671], prior=0.09), 4)
    0.1022
    """
    own = log_growth(counts, window)
    if prior is None:
        return own
    return (1.0 - shrink) * own + shrink * float(prior)


def median_path(counts: Numbers, horizon: int, prior: float | None = None,
                window: int = WINDOW, shrink: float = SHRINK) -> np.ndarray:
    """The median forecast for the ``horizon`` years after the last count.

    Returns
    -------
    numpy.ndarray
        ``last * exp(h * drift)`` for h = 1 .. horizon.

    Examples
    --------
    Norfolk to January 2022, its own growth only:

    >>> median_path([6152, 6689, 7753, 8671], 2).round(0)
    array([ 9722., 10900.])
    """
    _check_horizon(horizon)
    growth = drift(counts, prior, window, shrink)
    last = float(np.asarray(counts, dtype=float)[-1])
    return last * np.exp(growth * np.arange(1, horizon + 1))


def _check_horizon(horizon: int) -> None:
    if not 1 <= int(horizon) <= MAX_HORIZON or int(horizon) != horizon:
        raise ForecastError(f"the horizon must be a whole number of years from 1 to "
                            f"{MAX_HORIZON}, got {horizon}")


def _check_quantiles(quantiles: Numbers) -> np.ndarray:
    qs = np.asarray(quantiles, dtype=float).ravel()
    low, high = QUANTILE_GRID[0], QUANTILE_GRID[-1]
    if qs.size == 0 or np.any(~np.isfinite(qs)) or np.any(qs < low) or np.any(qs > high):
        raise ForecastError(f"each quantile must be between {low} and {high} "
                            f"(0.1 for the 10th percentile)")
    return qs


# --- calibration over a panel of series --------------------------------------------------

def panel_drifts(panel: np.ndarray, origin: int, window: int = WINDOW,
                 shrink: float = SHRINK) -> tuple[np.ndarray, float]:
    """Each row's drift at column ``origin``, and the median growth it is shrunk to.

    ``panel`` is areas x consecutive years of counts; ``origin`` a column index.
    """
    logs = np.log(np.asarray(panel, dtype=float))
    if origin - window < 0:
        raise ForecastError(f"an origin needs {window} years of growth before it")
    own = (logs[:, origin] - logs[:, origin - window]) / window
    prior = float(np.median(own))
    return (1.0 - shrink) * own + shrink * prior, prior


def log_errors(panel: np.ndarray, origin: int, horizon: int, window: int = WINDOW,
               shrink: float = SHRINK) -> np.ndarray:
    """log(outcome) - log(median forecast) of every row, forecast at column ``origin``
    for column ``origin + horizon``."""
    logs = np.log(np.asarray(panel, dtype=float))
    growth, _ = panel_drifts(panel, origin, window, shrink)
    return logs[:, origin + horizon] - (logs[:, origin] + horizon * growth)


@dataclass(frozen=True)
class Calibration:
    """What turns a median forecast into quantiles.

    ``offsets[h - 1, i]`` is the log offset from the median at horizon h for
    ``QUANTILE_GRID[i]`` (negative below the median); ``prior`` the median growth of all
    LAs over the window ending at ``origin`` (the January year calibrated at);
    ``origins[h - 1]`` the origin years whose errors were scored at horizon h.
    """

    origin: int
    prior: float
    offsets: tuple[tuple[float, ...], ...]
    origins: tuple[tuple[int, ...], ...]
    window: int = WINDOW
    shrink: float = SHRINK

    def offset(self, horizon: int, quantiles: Numbers) -> np.ndarray:
        """Log offsets from the median for ``quantiles`` at ``horizon`` (1-6)."""
        _check_horizon(horizon)
        qs = _check_quantiles(quantiles)
        table = np.asarray(self.offsets, dtype=float)
        h = min(horizon, table.shape[0])
        row = np.interp(qs, QUANTILE_GRID, table[h - 1])
        # Past the last calibrated horizon the spread grows in proportion to the horizon.
        return row * (horizon / h)


def band_offsets(errors_by_origin: Sequence[np.ndarray],
                 quantiles: Numbers = QUANTILE_GRID) -> np.ndarray:
    """Quantile offsets from the errors of several origins: for each quantile below the
    median the lowest of the origins' quantiles, above it the highest (never inside 0).

    Examples
    --------
    >>> band_offsets([np.array([-0.1, 0.0, 0.1]), np.array([-0.3, 0.0, 0.05])],
    ...              [0.25, 0.5, 0.75]).round(3)
    array([-0.15,  0.  ,  0.05])
    """
    qs = np.asarray(quantiles, dtype=float)
    per_origin = np.array([np.quantile(e, qs) for e in errors_by_origin])
    low = np.minimum(per_origin.min(axis=0), 0.0)
    high = np.maximum(per_origin.max(axis=0), 0.0)
    return np.where(qs < 0.5, low, np.where(qs > 0.5, high, 0.0))


def calibrate(panel: np.ndarray, years: Sequence[int], origin_year: int,
              horizons: int = CALIBRATED_HORIZONS, window: int = WINDOW,
              shrink: float = SHRINK, rows: np.ndarray | None = None) -> Calibration:
    """The calibration a forecast made in January ``origin_year`` can have: scored on
    every earlier origin whose outcome ``horizon`` years on was known by then.

    Parameters
    ----------
    panel : numpy.ndarray
        Counts, areas x consecutive ``years``; columns after ``origin_year`` are ignored.
    years : sequence of int
        The January of each column.
    origin_year : int
        The last January the forecast knows.
    horizons : int
        Horizons to calibrate (1 .. horizons).
    rows : numpy.ndarray of bool, optional
        The areas whose errors calibrate (all by default), for split-conformal checks.

    Returns
    -------
    Calibration

    Notes
    -----
    An origin needs ``window`` years of growth before it, so with counts from 2015 the
    first origin is 2018 and horizon 3 is first scored on origin 2018 at 2021.
    """
    years = [int(y) for y in years]
    if origin_year not in years:
        raise ForecastError(f"the panel has no January {origin_year}")
    end = years.index(origin_year)
    data = np.asarray(panel, dtype=float)[:, : end + 1]
    if rows is not None:
        data = data[np.asarray(rows, dtype=bool)]
    _, prior = panel_drifts(data, end, window, shrink)
    offsets, used = [], []
    for h in range(1, horizons + 1):
        scored = [o for o in range(window, end - h + 1)]
        if not scored:
            raise ForecastError(f"no origin before {origin_year} can be scored {h} years "
                                f"on with {window} years of growth before it")
        errors = [log_errors(data, o, h, window, shrink) for o in scored]
        offsets.append(tuple(float(x) for x in band_offsets(errors)))
        used.append(tuple(years[o] for o in scored))
    return Calibration(origin_year, prior, tuple(offsets), tuple(used), window, shrink)


# --- the forecast -------------------------------------------------------------------------

def forecast(counts: Numbers, horizon: int,
             quantiles: Numbers = DEFAULT_QUANTILES,
             calibration: Calibration | None = None) -> np.ndarray:
    """Quantiles of the EHCP count for each of the ``horizon`` years after the last count.

    Parameters
    ----------
    counts : sequence of float
        January counts of consecutive years, oldest first: at least ``WINDOW + 1``.
    horizon : int
        Years ahead, 1 to :data:`MAX_HORIZON`.
    quantiles : sequence of float
        Between 0.05 and 0.95; 0.5 is the median. Default 10th, 50th, 90th percentiles.
    calibration : Calibration, optional
        Default :data:`SHIPPED` (all English LAs, as at January 2025).

    Returns
    -------
    numpy.ndarray
        ``horizon`` rows x ``len(quantiles)`` columns of counts (not rounded).

    Notes
    -----
    The median is ``last * exp(h * g)`` with ``g`` the series' mean log growth over the
    last ``WINDOW`` years shrunk by ``SHRINK`` towards ``calibration.prior``; quantile q
    is the median times ``exp(offset)``, the offset being the calibration's for q at h.

    Examples
    --------
    Norfolk's EHC plans in January 2015-2025, forecast for 2026-2028:

    >>> norfolk = [4378, 4385, 4806, 5502, 6152, 6689, 7753, 8671, 8735, 10736, 12147]
    >>> forecast(norfolk, 3).round(-1)
    array([[12540., 13490., 14680.],
           [13150., 14990., 17070.],
           [14010., 16650., 19410.]])
    """
    _check_horizon(horizon)
    qs = _check_quantiles(quantiles)
    calibration = SHIPPED if calibration is None else calibration
    median = median_path(counts, horizon, calibration.prior, calibration.window,
                         calibration.shrink)
    offsets = np.array([calibration.offset(h, qs) for h in range(1, horizon + 1)])
    return median[:, None] * np.exp(offsets)


#: The calibration on the bundled DfE series (147 LAs, January 2015-2025) as at January
#: 2025; tests/unit/test_forecast.py checks it equals ``calibrate`` on that data.
SHIPPED = Calibration(
    origin=2025,
    prior=0.097811,
    offsets=(
        (-0.091065, -0.073557, -0.059213, -0.050620, -0.045864, -0.036799, -0.031088,
         -0.025118, -0.018078, 0.000000, 0.025193, 0.031890, 0.039118, 0.043585,
         0.051704, 0.061684, 0.069564, 0.084509, 0.117875),
        (-0.149293, -0.131097, -0.106498, -0.086181, -0.082054, -0.071451, -0.056694,
         -0.043070, -0.036645, 0.000000, 0.050116, 0.061558, 0.073251, 0.080382,
         0.087940, 0.101801, 0.116869, 0.130270, 0.176491),
        (-0.219385, -0.172794, -0.151650, -0.134999, -0.115958, -0.101818, -0.089845,
         -0.071405, -0.064574, 0.000000, 0.033485, 0.049837, 0.065570, 0.084205,
         0.103284, 0.116155, 0.134804, 0.153192, 0.234913),
    ),
    origins=(
        (2018, 2019, 2020, 2021, 2022, 2023, 2024),
        (2018, 2019, 2020, 2021, 2022, 2023),
        (2018, 2019, 2020, 2021, 2022),
    ),
)
