"""docs/performance.md (and its chart) from bench/results.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

JOBS = (("calamine_read", "calamine: read every value (floor)"),
        ("extract", "lfi-xl extract"),
        ("validate", "lfi-xl validate"),
        ("freeze", "lfi-xl freeze (validates first)"),
        ("freeze_refused", "lfi-xl freeze refused (every register cell but the ID \"TBC\")"),
        ("libreoffice_recalc", "LibreOffice: open + recalculate + save (native formulas)"),
        ("formulas_engine", "formulas engine: load + calculate (native formulas)"))


def _seconds(entry: dict) -> str:
    if entry.get("seconds") is None:
        note = entry.get("note", "-")
        return "killed by the system (out of memory)" if note.startswith("exit -9") else note
    return f"{entry['seconds']:.2f} s"


def _mb(entry: dict) -> str:
    return "" if entry.get("peak_mb") is None else f"{entry['peak_mb']:.0f} MB"


def _ratio(a: dict, b: dict) -> str:
    """``a``'s seconds / ``b``'s."""
    if a.get("seconds") is None or not b.get("seconds"):
        return "-"
    return f"{a['seconds'] / b['seconds']:.2f}"


def _floor_ratio(a: dict, floor: dict) -> str:
    """``a`` / the calamine floor: the median ratio of ``a``'s runs to the floor runs made
    beside them, when it has them."""
    if a.get("beside_ratio") is not None and a.get("seconds") is not None:
        return f"{a['beside_ratio']:.2f}"
    return _ratio(a, floor)


def write_report(results: dict, path: Path, chart: Path,
                 transfer_chart: Path | None = None) -> None:
    sizes = list(results["sizes"])
    m = results["machine"]
    lines = [
        "# Performance",
        "",
        "Measured by `make bench` (bench/run.py) in one run on one machine; every figure is",
        "a median of 5 runs (1 run at 1M rows, or of over 30 s), each in a fresh process,",
        "with that process's peak memory (for LibreOffice: its own processes). Regenerate",
        "with `make bench`.",
        "A ratio to the calamine floor is the median, over an lfi-xl job's runs, of each run's",
        "time over a calamine read run just before it, so a machine whose speed drifts during",
        "the bench does not skew it; lfi-xl's modules are byte-compiled first, as an install",
        "leaves them. A run over 30 s is not repeated.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} memory; {m['os']}; Python "
        f"{m['python']}; {m['libreoffice']}; formulas {m['formulas']}; numpy {m['numpy']}; "
        f"measured {m['date']}.",
        "",
        "The KPI workbook is the shipped template with N placement rows (8 columns, dates",
        "as date cells, styled as the template's first row) and its KPI cells recalculated;",
        "the native workbook holds the same placements and 28",
        "AVERAGEIFS / SUMIFS / COUNTIFS cells: what Excel alone would compute.",
        "",
        "## End to end",
        "",
        "| Placements | " + " | ".join(label for _, label in JOBS) + " |",
        "|---|" + "---|" * len(JOBS),
    ]
    for n in sizes:
        row = results["sizes"][n]
        lines.append(f"| {int(n):,} | " + " | ".join(
            ", ".join(part for part in (_seconds(row.get(key, {})), _mb(row.get(key, {})))
                      if part)
            for key, _ in JOBS) + " |")
    lines += ["", "## Ratios", "",
              "| Placements | extract / calamine floor | extract / LibreOffice | "
              "validate / calamine floor | freeze / calamine floor | validate / LibreOffice | "
              "file (KPI, native) |",
              "|---|---|---|---|---|---|---|"]
    for n in sizes:
        row = results["sizes"][n]
        lines.append(
            f"| {int(n):,} | {_floor_ratio(row['extract'], row['calamine_read'])} | "
            f"{_ratio(row['extract'], row['libreoffice_recalc'])} | "
            f"{_floor_ratio(row['validate'], row['calamine_read'])} | "
            f"{_floor_ratio(row['freeze'], row['calamine_read'])} | "
            f"{_ratio(row['validate'], row['libreoffice_recalc'])} | "
            f"{row['kpi_file_mb']:.1f} MB, {row['native_file_mb']:.1f} MB |")
    functions = list(results["sizes"][sizes[0]]["functions"])
    lines += ["", "## LFI_ functions", "",
              "The body is the core's vectorised computation on numpy arrays; the call adds",
              "converting Excel's cells (lists of lists, as xlwings passes them) in and out.",
              "Milliseconds, median.", "",
              "| Function | " + " | ".join(f"{int(n):,} body | {int(n):,} call"
                                         for n in sizes) + " |",
              "|---|" + "---|---|" * len(sizes)]
    for name in functions:
        cells = []
        for n in sizes:
            entry = results["sizes"][n]["functions"].get(name, {})
            cells += [f"{entry['body_ms']:.2f}" if "body_ms" in entry else "-",
                      f"{entry['call_ms']:.1f}" if "call_ms" in entry else "-"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "![Seconds against placements, log-log](performance.png)", ""]
    if results.get("recalc"):
        lines += _recalc(results["recalc"])
    if results.get("transfer", {}).get("sizes") and transfer_chart is not None:
        lines += _transfer(results["transfer"], transfer_chart.name)
    lines += _findings(results)
    if results.get("forecast"):
        from forecast_scores import section

        lines += section(results["forecast"])
    path.write_text("\n".join(lines) + "\n")
    _chart(results, chart)
    if results.get("transfer", {}).get("sizes") and transfer_chart is not None:
        _transfer_chart(results["transfer"], transfer_chart)


#: The targets: recalc in at most half LibreOffice's open + save, and no more than
#: 1.3 times slower after four more report periods are started.
RECALC_TARGET, GROWTH_TARGET = 0.5, 1.3


def _recalc(rows: dict) -> list[str]:
    """lfi-xl recalc against LibreOffice opening and saving the same KPI workbook."""
    lines = [
        "## lfi-xl recalc against LibreOffice", "",
        "`lfi-xl recalc BOOK -o OUT` (start-up, read, every formula evaluated, write) beside",
        "LibreOffice opening and saving the same book (`soffice --headless --convert-to",
        "xlsx`, its default: no recalculation on load). Each recalc run follows a",
        "LibreOffice run; the ratio is the median of each run's time over the LibreOffice",
        "run just before it. \"More periods\": the same book after four more report periods",
        "are started (`lfi-xl start-period --plan`, four times), which adds 44 formulas each.",
        f"Targets: recalc / LibreOffice at most {RECALC_TARGET}; more periods /",
        f"as is at most {GROWTH_TARGET}. Measured {rows.get('measured', '-')}.", "",
        "| Book | recalc | LibreOffice | recalc / LibreOffice | recalc, 4 more periods | "
        "LibreOffice, 4 more periods | recalc / LibreOffice, 4 more periods | "
        "recalc, 4 more periods / as is |",
        "|---|---|---|---|---|---|---|---|"]
    for key, row in rows.items():
        if key == "measured":
            continue
        label = "shipped template" if key == "shipped" else f"{int(key):,} placements"
        now, more = row["as is"], row["more periods"]
        cells = []
        for entry in (now, more):
            cells += [_seconds(entry),
                      f"{entry['beside_seconds']:.2f} s" if entry.get("beside_seconds")
                      else "-",
                      f"{entry['beside_ratio']:.2f}" if entry.get("beside_ratio") else "-"]
        growth = _ratio(more, now)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {growth} |")
    return lines + [""]


#: The redesign's target: cells handed to Python per full recalculation at 10,000 rows.
TARGET_CELLS, TARGET_AT = 500_000, 10_000


def _transfer(transfer: dict, chart: str) -> list[str]:
    """The cells handed to Python per full recalculation: how counted, a table, a chart."""
    per_cell = transfer["seconds_per_cell"] * 1e6
    per_call = transfer["seconds_per_call"] * 1e3
    lines = [
        "## Cells handed to Python per full recalculation", "",
        "Every `LFI_` function is an xlwings UDF: in a recalculation Excel copies each "
        "argument's cells through xlwings' COM bridge to Python and the result back, call "
        "by call. `bench/transfer.py` counts this from each workbook's own formulas (no "
        "list of formulas is written by hand, and no function is named beyond the `LFI_` "
        "prefix): every formula cell once, an array formula as one call whose result fills "
        "its range; each argument the cells it covers (ranges, defined names, table "
        "references such as `Placements[#All]`, resolved against the table's range in the "
        "file), a literal or single value 1; a nested `LFI_` call its own inputs, its "
        "result handed back to Excel and handed again into the outer call (its size taken "
        "as its largest argument's, as `LFI_FTE` returns one value a row); an argument "
        "Excel computes first (`\">=\"&I$6`) the size of its value. Ranges read only by "
        "native functions (SUMIFS, IF) cost nothing. So each `LFI_AVGCOST(cost, "
        "LFI_FTE(start, end, ...))` of the per-cell formulas hands over the register's start, "
        "end and cost columns and the criteria columns, plus the FTE column twice (out of "
        "`LFI_FTE`, into `LFI_AVGCOST`): the first estimate's \"about 4.2 million cells at 10,000 "
        "placements\" counted the register's columns only.",
        "",
        f"Estimated seconds = cells x {per_cell:g} µs + calls x {per_call:g} ms:",
        "",
        f"- {per_cell:g} µs a cell: [xlwings issue 397](https://github.com/xlwings/xlwings/"
        "issues/397) measured a UDF handed a 1,000,000-cell argument and returning it: "
        "2.7 s as a row, 5.5 s as a column (2.7-5.5 µs a cell, in and out).",
        f"- {per_call:g} ms a call: [xlwings issue 2315](https://github.com/xlwings/xlwings/"
        "issues/2315) timed one call of a trivial UDF through `Py.CallUDF` at about 2/100 s "
        "with the function imported through the xlwings ribbon (and about 1/3 s from a "
        "standalone add-in, which xlwings' maintainer could not explain). xlwings' "
        "documentation gives no figure, only that one big array formula is much more "
        "efficient than many single-cell formulas (docs/udfs.md, \"Array formulas: Get "
        "efficient\"). VBA's `Timer` counts in steps of about 1/64 s, so this is rough; the "
        "calls column lets the estimate be redone with another figure.",
        "",
        "The books: the KPI workbook of the tables above (the template with N placements, "
        "its started report periods only); the same book with every later report period "
        "started by the project's own `start-period` (no freezing needed; it stops at the "
        "first period beyond the programme); and both again with Settings' reports a year "
        "at 4, the template built by the project's builder with 4 reports a year and a "
        "fourth due date.",
        "",
        "| Placements | Book | LFI_ calls | cells in | cells out | estimated seconds |",
        "|---|---|---|---|---|---|",
    ]
    for n, row in transfer["sizes"].items():
        for key, entry in row.items():
            lines.append(f"| {int(n):,} | {transfer['books'][key]} | {entry['calls']:,} | "
                         f"{entry['cells_in']:,} | {entry['cells_out']:,} | "
                         f"{entry['seconds']:.1f} |")
    at = transfer["sizes"].get(str(TARGET_AT))
    if at:
        first = next(iter(at))
        lines += ["", f"By function at {TARGET_AT:,} placements, {transfer['books'][first]} "
                  "(cells: in and out):", "", "| Function | calls | cells |", "|---|---|---|"]
        for name, entry in at[first]["functions"].items():
            lines.append(f"| {name} | {entry['calls']:,} | {entry['cells']:,} |")
    unresolved = sorted({text for row in transfer["sizes"].values() for entry in row.values()
                         for text in entry["unresolved"]})
    if unresolved:
        lines += ["", "References the counter could not resolve (counted as 1 cell each): "
                  + ", ".join(f"`{text}`" for text in unresolved) + "."]
    lines += ["", f"![Cells handed to Python per full recalculation, log-log]({chart})", ""]
    return lines


def _transfer_chart(transfer: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in transfer["sizes"]]
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    styles = ({"marker": "o"}, {"marker": "s"}, {"marker": "x", "linestyle": "--"},
              {"marker": "^", "linestyle": "--"})
    for (key, label), style in zip(transfer["books"].items(), styles * 4, strict=False):
        points = [(n, transfer["sizes"][str(n)][key]["cells_in"]
                   + transfer["sizes"][str(n)][key]["cells_out"]) for n in sizes
                  if key in transfer["sizes"][str(n)]]
        if points:
            axis.plot(*zip(*points, strict=True), label=label, **style)
    axis.axhline(TARGET_CELLS, color="black", linestyle="--", linewidth=1,
                 label=f"target: {TARGET_CELLS / 1e6:g} million cells at {TARGET_AT:,} "
                 "placements")
    axis.axvline(TARGET_AT, color="grey", linestyle=":", linewidth=1)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("placement rows")
    axis.set_ylabel("cells handed between Excel and Python (log)")
    per_cell = transfer["seconds_per_cell"] * 1e6
    axis.set_title(f"Cells per full recalculation (1 million cells = {per_cell:g} s at "
                   f"{per_cell:g} µs a cell)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _findings(results: dict) -> list[str]:
    """The targets of the performance issue, checked against these figures."""
    out = ["## Against the targets", ""]
    for key, row in results.get("recalc", {}).items():
        if key == "measured":
            continue
        now, more = row["as is"], row["more periods"]
        if now.get("beside_ratio") is None or more.get("beside_ratio") is None:
            continue
        label = "the shipped template" if key == "shipped" else f"{int(key):,} placements"
        out.append(
            f"- `lfi-xl recalc` of {label}: {now['seconds']:.2f} s, {now['beside_ratio']:.2f}x "
            f"LibreOffice's open + save ({now['beside_seconds']:.2f} s; target: at most "
            f"{RECALC_TARGET}x); after four more periods {more['seconds']:.2f} s, "
            f"{more['beside_ratio']:.2f}x LibreOffice's, {_ratio(more, now)}x the book as "
            f"it was (target: at most {GROWTH_TARGET}x).")
    at = results["sizes"].get("100000")
    if at:
        ratio = float(_floor_ratio(at["extract"], at["calamine_read"]))
        lo = at["libreoffice_recalc"]["seconds"] / at["extract"]["seconds"]
        out.append(f"- `lfi-xl extract` on 100,000 placements: {at['extract']['seconds']:.2f} s, "
                   f"{ratio:.2f}x the calamine read of the whole file (target: at most 1.5x); "
                   f"{lo:.1f}x faster than LibreOffice's open + recalculate + save.")
        out.append("- `lfi-xl validate` and `lfi-xl freeze` on 100,000 placements: " + " and ".join(
            f"{_floor_ratio(at[key], at['calamine_read'])}x" for key in ("validate", "freeze"))
            + " the calamine read (target: at most 2x).")
        slowest = max((entry.get("body_ms", 0), name) for name, entry in
                      at["functions"].items())
        out.append(f"- The slowest LFI_ function body on 100,000 rows: {slowest[1]}, "
                   f"{slowest[0]:.2f} ms (target: at most 5 ms). The whole worksheet call, "
                   "converting Excel's cells in and out, costs more (the table above); in "
                   "Excel, xlwings' own transfer of 100,000 cells costs more again.")
    transfer = results.get("transfer", {}).get("sizes", {}).get(str(TARGET_AT))
    if transfer:
        books = results["transfer"]["books"]
        out.append(f"- Cells handed to Python per full recalculation at {TARGET_AT:,} "
                   f"placements (target: at most {TARGET_CELLS:,} whatever the number of "
                   "report periods): " + "; ".join(
                       f"{books[key]}: {entry['cells_in'] + entry['cells_out']:,} "
                       f"({(entry['cells_in'] + entry['cells_out']) / TARGET_CELLS:.1f}x), "
                       f"{entry['calls']:,} calls, about {entry['seconds']:.0f} s"
                       for key, entry in transfer.items() if not key.startswith("before"))
                   + "; the earlier layout: " + "; ".join(
                       f"{books[key]}: {entry['cells_in'] + entry['cells_out']:,}, "
                       f"{entry['calls']:,} calls, about {entry['seconds']:.0f} s"
                       for key, entry in transfer.items() if key.startswith("before")) + ".")
    big = results["sizes"].get("1000000")
    if big:
        peaks = {key: big.get(key, {}).get("peak_mb") for key in (
            "extract", "validate", "freeze", "freeze_refused")}
        names = {"freeze_refused": "a refused freeze (every register cell but the ID "
                                   "\"TBC\")"}
        out.append("- Peak memory at 1,000,000 placements: " + ", ".join(
            f"{names.get(key, key)} {value:.0f} MB" for key, value in peaks.items() if value)
            + " (target: under 2 GB).")
    small = results["sizes"].get("1000", {}).get("validate", {}).get("seconds")
    start_up = f"about {small:.1f} s, validate at 1,000 placements" if small else "Python"
    out += [
        "- Cost grows linearly with rows: on the chart each line has slope 1 once the fixed",
        f"  start-up ({start_up}: Python and the libraries loading) stops dominating.",
        "- The extract reads only what it publishes (the KPI sheet, Plan Data, snapshots,",
        "  the plan): the Forum's KPIs do not come from the placements register, so its cost",
        "  barely grows with it. Validation and freezing read and check the whole register.",
        "- The formulas engine needs memory in proportion to every cell it models (3.7 GB",
        "  at 100,000 placements); at a million rows an earlier run was killed by the system,",
        "  out of memory, so it is no longer tried there.",
        "",
    ]
    return out


def _chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in results["sizes"]]
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    for key, label in JOBS:
        points = [(n, results["sizes"][str(n)][key]["seconds"]) for n in sizes
                  if results["sizes"][str(n)][key].get("seconds")]
        if points:
            axis.plot(*zip(*points, strict=True), marker="o", label=label)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("placement rows")
    axis.set_ylabel("seconds (log)")
    axis.set_title("Cost against rows: a straight line of slope 1 is linear")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    write_report(json.loads(Path(sys.argv[1]).read_text()), root / "docs" / "performance.md",
                 root / "docs" / "performance.png", root / "docs" / "transfer.png")
