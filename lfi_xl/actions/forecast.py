"""lfi-xl forecast: EHCP forecasts with calibrated bands, as pandas tables.

:func:`forecast_table` is the Python API ``lfi-xl forecast`` prints (``--json`` gives
exactly its rows); :func:`read_history` reads a council's own ``area,year,ehcps`` CSV;
:func:`backtest` and :func:`score` replay the forecast on the bundled DfE series for the
test suite and ``make bench``. The arithmetic is :mod:`lfi_xl.core.forecast`. pandas is
imported here only, so validate and freeze never load it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lfi_xl.core import forecast as fc
from lfi_xl.data import ehcps
from lfi_xl.errors import UnusableInput

HISTORY_COLUMNS = ("area", "year", "ehcps")
#: A series: its years (consecutive Januaries) and counts.
Series = tuple[tuple[int, ...], np.ndarray]


def quantile_column(q: float) -> str:
    """``p10`` for 0.1, ``p50`` for 0.5, ``p2.5`` for 0.025."""
    return f"p{round(q * 100, 6):g}"


def read_history(path: str | Path) -> dict[str, Series]:
    """Each area's series from a CSV with the columns ``area,year,ehcps`` (others are
    ignored), in any row order. A problem raises :class:`UnusableInput` naming the row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UnusableInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UnusableInput(f"{path}: cannot be read as a UTF-8 CSV ({error})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().casefold() for h in (reader.fieldnames or [])]
    missing = [c for c in HISTORY_COLUMNS if c not in header]
    if missing:
        raise UnusableInput(f"{path}: row 1 must name the columns area,year,ehcps "
                            f"({', '.join(missing)} missing)")
    reader.fieldnames = header
    found: dict[str, dict[int, float]] = {}
    for row_number, row in enumerate(reader, start=2):
        area = (row.get("area") or "").strip()
        where = f"{path}: row {row_number}"
        if not area:
            raise UnusableInput(f"{where}: the area is empty")
        try:
            year = int((row.get("year") or "").strip())
        except ValueError:
            raise UnusableInput(f"{where}: the year {row.get('year')!r} is not a year "
                                "(the January of the count, e.g. 2025)") from None
        try:
            count = float((row.get("ehcps") or "").replace(",", "").strip())
        except ValueError:
            count = math.nan
        if not math.isfinite(count) or count <= 0:
            raise UnusableInput(f"{where}: ehcps {row.get('ehcps')!r} is not a count "
                                "above 0")
        if year in found.setdefault(area, {}):
            raise UnusableInput(f"{where}: {area} has a second count for {year}")
        found[area][year] = count
    if not found:
        raise UnusableInput(f"{path}: no rows under the header area,year,ehcps")
    history = {}
    for area, counts in found.items():
        years = tuple(sorted(counts))
        gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        if gaps:
            raise UnusableInput(f"{path}: {area} has no count for {gaps[0]}: the years "
                                "must follow each other")
        history[area] = (years, np.array([counts[y] for y in years]))
    return history


def calibration_for(last_year: int) -> fc.Calibration:
    """The calibration a forecast from January ``last_year`` can have: on the bundled
    series up to that year (so that a forecast made then is scored fairly), the shipped
    one from 2025 on, and the earliest one possible (2021) before that."""
    _, years, counts = ehcps.panel()
    if last_year >= fc.SHIPPED.origin:
        return fc.SHIPPED
    origin = max(last_year, years[0] + fc.WINDOW + fc.CALIBRATED_HORIZONS)
    return fc.calibrate(counts, years, origin)


def forecast_table(history: Mapping[str, Series] | None = None, horizon: int = 3,
                   quantiles: fc.Numbers = fc.DEFAULT_QUANTILES,
                   areas: Sequence[str] | None = None) -> pd.DataFrame:
    """The forecast for each area: one row per area and year, columns ``area``, ``year``
    and one per quantile (``p10``, ``p50``, ``p90`` by default), counts not rounded.

    ``history`` maps each area to its (years, counts), as :func:`read_history` gives;
    without it the bundled DfE series of ``areas`` (names as an authority writes them:
    "Norfolk County Council") are forecast.

    >>> forecast_table(areas=["Norfolk County Council"], horizon=2).round(0)
          area  year      p10      p50      p90
    0  Norfolk  2026  12536.0  13493.0  14683.0
    1  Norfolk  2027  13147.0  14988.0  17074.0
    """
    if history is None:
        if not areas:
            raise UnusableInput("name an area (as in the DfE data, e.g. Norfolk) or give "
                                "a history CSV")
        history = {}
        for name in areas:
            area = ehcps.find_area(name)
            if area is None:
                raise UnusableInput(f"no bundled EHCP series for {name!r}: give its "
                                    "history as a CSV (area,year,ehcps)")
            history[area] = ehcps.series(area)
    elif areas:
        history = {a: history[a] for a in areas if a in history}
    qs = list(quantiles)
    rows = []
    for area, (years, counts) in history.items():
        try:
            table = fc.forecast(counts, horizon, qs, calibration_for(years[-1]))
        except fc.ForecastError as error:
            raise UnusableInput(f"{area}: {error}") from None
        for h, values in enumerate(table, start=1):
            rows.append({"area": area, "year": years[-1] + h,
                         **{quantile_column(q): float(v) for q, v in zip(qs, values, strict=True)}})
    return pd.DataFrame(rows, columns=["area", "year", *map(quantile_column, qs)])


# --- the backtest -------------------------------------------------------------------------

def backtest(origins: Sequence[int], horizons: Sequence[int] = (1, 2, 3),
             method: str = "as-at", quantiles: fc.Numbers = (0.1, 0.5, 0.9),
             last_year: int | None = None) -> pd.DataFrame:
    """Forecast every bundled LA from each origin and set each quantile beside what
    happened: one row per (area, origin, horizon) with ``actual`` and the quantiles.

    ``method`` "as-at" calibrates each origin only on what was known then (origins
    scored by that January): how the forecast is used. "split" is split-conformal
    calibration across LAs on the same origins: the LAs are halved (alternately in name
    order), each half's bands calibrated on the other half's errors at all ``origins``.
    ``last_year`` ends the known outcomes (default: the data's last January).
    """
    areas, years, counts = ehcps.panel()
    last_year = years[-1] if last_year is None else last_year
    qs = np.asarray(quantiles, dtype=float)
    frames = []
    halves = np.arange(len(areas)) % 2
    for origin in origins:
        o = years.index(origin)
        growth, _ = fc.panel_drifts(counts[:, : o + 1], o)
        for h in horizons:
            if origin + h > last_year:
                continue
            median = counts[:, o] * np.exp(h * growth)
            if method == "as-at":
                try:
                    calibration = fc.calibrate(counts, years, origin, horizons=h)
                except fc.ForecastError:  # no earlier origin scored h years on: skipped
                    continue
                offsets = np.tile(calibration.offset(h, qs), (len(areas), 1))
            elif method == "split":
                scored = [years.index(y) for y in origins if y + h <= last_year]
                offsets = np.zeros((len(areas), qs.size))
                for half in (0, 1):
                    errors = [fc.log_errors(counts[halves != half], s, h) for s in scored]
                    offsets[halves == half] = fc.band_offsets(errors, qs)
            else:
                raise ValueError(f"unknown method {method!r}")
            bands = median[:, None] * np.exp(offsets)
            frame = pd.DataFrame(bands, columns=[quantile_column(q) for q in qs])
            frame.insert(0, "actual", counts[:, o + h])
            frame.insert(0, "horizon", h)
            frame.insert(0, "origin", origin)
            frame.insert(0, "area", areas)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def score(backtest_rows: pd.DataFrame, low: str = "p10", high: str = "p90",
          median: str = "p50") -> pd.DataFrame:
    """By horizon: how many forecasts, the share of outcomes inside [low, high], and the
    median absolute % error of the median."""
    inside = ((backtest_rows["actual"] >= backtest_rows[low])
              & (backtest_rows["actual"] <= backtest_rows[high]))
    ape = (backtest_rows[median] / backtest_rows["actual"] - 1).abs()
    frame = pd.DataFrame({"horizon": backtest_rows["horizon"], "inside": inside, "ape": ape})
    return frame.groupby("horizon").agg(
        forecasts=("inside", "size"), coverage=("inside", "mean"), mdape=("ape", "median"))
