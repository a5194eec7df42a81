"""make bench's EHCP forecast section: the backtest on the bundled DfE series, including
the latest origins the data can score (lfi_xl.actions.forecast)."""

from __future__ import annotations

from lfi_xl.actions.forecast import backtest, score
from lfi_xl.data import ehcps

#: (label, origins, method): the test suite's check, then each origin on its own.
RUNS = [("2019-2022, split-conformal across LAs (the test's check)", range(2019, 2023),
         "split"),
        ("2019-2022, calibrated as at each origin", range(2019, 2023), "as-at")]


def scores() -> dict:
    """Coverage of the 80% band and median absolute % error, by horizon, for each run and
    for every origin from 2021 (the first that can be calibrated at horizons 1-3) to the
    last the data can score."""
    _, years, _ = ehcps.panel()
    runs = RUNS + [(f"origin {o}, calibrated as at {o}", [o], "as-at")
                   for o in range(2021, years[-1])]
    out = []
    for label, origins, method in runs:
        table = score(backtest(list(origins), method=method))
        out.append({"label": label, "horizons": {
            str(int(h)): {"forecasts": int(r.forecasts), "coverage": round(float(r.coverage), 4),
                     "mdape": round(float(r.mdape), 4)} for h, r in table.iterrows()}})
    return {"last_year": years[-1], "areas": len(ehcps.panel()[0]), "runs": out}


def section(results: dict) -> list[str]:
    lines = ["", "## EHCP forecast backtest", "",
             f"Every one of the {results['areas']} LAs of the bundled DfE series (January "
             f"2015-{results['last_year']}); coverage of the 80% band (p10-p90) and the "
             "median absolute % error of the median, by horizon (docs/forecast.md).", "",
             "| Origins | h1 coverage | h2 coverage | h3 coverage | h1 MdAPE | h2 MdAPE |",
             "|---|---|---|---|---|---|"]
    for run in results["runs"]:
        h = run["horizons"]

        def cell(k, key, h=h):
            return f"{h[str(k)][key]:.1%}" if str(k) in h else "-"
        lines.append(f"| {run['label']} | {cell(1, 'coverage')} | {cell(2, 'coverage')} | "
                     f"{cell(3, 'coverage')} | {cell(1, 'mdape')} | {cell(2, 'mdape')} |")
    return lines


if __name__ == "__main__":
    print("\n".join(section(scores())))
