"""Derive lfi_xl/data/ehcp/ehcps_england.csv from the DfE's "Education, health and care
plans" statistics (Open Government Licence v3.0).

The two releases it reads are kept in the public repository MastodonC/witan.sen2
(data/education-health-and-care-plans/): the 2022 release (sen2_age_caseload.csv,
January 2010-2022, statements + EHC plans) and the 2025 release (caseload.csv, January
2019-2025). Each LA is followed by its 3-digit LA number, which survives the code
changes of 2019-2023; the later release wins where both give a year (they agree for
2019-2022). Only LAs with a count for every January 2015-2025 are kept.

    python bench/ehcp_extract.py RELEASE_2022.zip RELEASE_2025.zip \
        > lfi_xl/data/ehcp/ehcps_england.csv

Not part of the package: it needs the releases, which are not shipped.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile

FIRST, LAST = 2015, 2025


def _rows(archive: str, member: str):
    with zipfile.ZipFile(archive) as z, z.open(member) as f:
        yield from csv.DictReader(io.TextIOWrapper(f, encoding="utf-8-sig"))


def series(release_2022: str, release_2025: str) -> dict[str, dict]:
    """{LA number: {"area", "code", "counts": {year: count}}} from both releases."""
    las: dict[str, dict] = {}

    def put(row, year, value):
        la = las.setdefault(row["old_la_code"], {"counts": {}})
        la["area"], la["code"] = row["la_name"], row["new_la_code"]
        la["counts"][year] = value

    for row in _rows(release_2022, "data/sen2_age_caseload.csv"):
        if (row["geographic_level"] == "Local authority" and row["characteristic_age"] == "Total"
                and FIRST <= int(row["time_period"]) < 2019):
            # Until 2018 statements were still being converted: count both, as DfE does.
            put(row, int(row["time_period"]), row["Total_all"])
    for row in _rows(release_2025, "data/caseload.csv"):
        if (row["geographic_level"] == "Local authority"
                and row["breakdown_topic"] == "All EHC plans"):
            # Academic year 2024/25 is the count at January 2025.
            put(row, int(row["time_period"][:4]) + 1, row["ehcplans"])
    return las


def main(argv: list[str]) -> None:
    las = series(argv[1], argv[2])
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["area", "code", "year", "ehcps"])
    years = range(FIRST, LAST + 1)
    for la in sorted(las.values(), key=lambda la: la["area"]):
        if all(la["counts"].get(y, "").isdigit() for y in years):
            for y in years:
                out.writerow([la["area"], la["code"], y, int(la["counts"][y])])


if __name__ == "__main__":
    main(sys.argv)
