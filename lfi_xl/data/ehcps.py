"""The DfE's EHC plan counts by local authority, January 2015-2025, bundled with lfi-xl.

``lfi_xl/data/ehcp/ehcps_england.csv`` (see its README.md: Open Government Licence v3.0,
source and release). The forecast's calibration and backtest run on it offline, and a
council without its own history CSV is forecast from its series here.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

import numpy as np

ATTRIBUTION = ("Contains public sector information licensed under the Open Government "
               "Licence v3.0: DfE, Education, health and care plans (2022 and 2025 releases)")
FILE = "ehcps_england.csv"


@functools.cache
def _rows() -> tuple[tuple[str, str, int, int], ...]:
    text = resources.files("lfi_xl.data").joinpath("ehcp", FILE).read_text(encoding="utf-8")
    return tuple((r["area"], r["code"], int(r["year"]), int(r["ehcps"]))
                 for r in csv.DictReader(io.StringIO(text)))


@functools.cache
def panel() -> tuple[tuple[str, ...], tuple[int, ...], np.ndarray]:
    """(areas, years, counts): one row of counts per area, one column per January."""
    rows = _rows()
    areas = tuple(sorted({r[0] for r in rows}))
    years = tuple(sorted({r[2] for r in rows}))
    counts = np.zeros((len(areas), len(years)))
    where = {a: i for i, a in enumerate(areas)}
    for area, _, year, value in rows:
        counts[where[area], years.index(year)] = value
    counts.setflags(write=False)
    return areas, years, counts


def _key(name: str) -> str:
    name = name.casefold().replace("&", "and")
    for word in ("county council", "city council", "borough council", "council",
                 "metropolitan", "london borough of", "royal borough of", "city of"):
        name = name.replace(word, " ")
    return " ".join(name.split())


def find_area(name: str) -> str | None:
    """The bundled area an authority's name means ("Norfolk County Council" -> "Norfolk"),
    or None."""
    areas, _, _ = panel()
    wanted = _key(name)
    for area in areas:
        if area.casefold() == name.strip().casefold() or _key(area) == wanted:
            return area
    return None


def series(area: str) -> tuple[tuple[int, ...], np.ndarray]:
    """(years, counts) of one bundled area, named as in the data."""
    areas, years, counts = panel()
    return years, counts[areas.index(area)]
