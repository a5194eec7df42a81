"""make bench: lfi-xl against the native-Excel way, at 1k to 1M placements, one machine.

For each size it generates the KPI workbook (the shipped template with N placements) and
the native workbook (the same placements with 28 AVERAGEIFS/SUMIFS/COUNTIFS cells), then
times, each in a fresh process so peak memory is that run's own:

- a bare python-calamine read of every value of the KPI workbook (the floor for anything
  that must read the file);
- ``lfi-xl extract``, ``validate`` and ``freeze`` end to end;
- LibreOffice headless opening, recalculating and saving the native workbook;
- the ``formulas`` engine evaluating the native workbook;
- each LFI_ function's body (the core) and its whole worksheet-function call;

``lfi-xl recalc`` against LibreOffice opening and saving the same KPI workbook
(``soffice --headless --convert-to xlsx``), each recalc run beside a LibreOffice run, on
the shipped book and up to 10,000 placements, as generated and after four more report
periods are started (``lfi-xl start-period --plan``, four times: the work must grow with
the formulas, not faster);

and, up to 100,000 placements, counts the LFI_ calls and the cells one full recalculation
hands between Excel and Python (bench/transfer.py), on the book as generated and with
every report period started, at 3 and 4 reports a year.

Results go to bench/results.json and docs/performance.md (with docs/performance.png and
docs/transfer.png). ``--transfer-only`` counts the transfer alone, ``--recalc-only``
times recalc against LibreOffice alone, each keeping the other figures already in
bench/results.json.
Nothing here is part of ``make test``: a test never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
import transfer  # noqa: E402

PYTHON = sys.executable
LFI = str(Path(sys.executable).with_name("lfi-xl"))
PLAN = str(ROOT / "workbooks" / "dsg_plan.xlsx")
#: One run of something slower than this is not tried at larger sizes (the formulas
#: engine: 95-133 s and 3.7 GB at 100,000 placements; at 1,000,000 the system killed it,
#: out of memory, after some minutes).
SLOW = 60.0
#: One run slower than this is not repeated (its noise is small beside its length).
LONG = 30.0
#: The largest size at which the transfer is counted (it grows linearly beyond).
TRANSFER_MAX = 100_000
#: The largest size at which recalc is timed against LibreOffice (and the shipped book).
RECALC_MAX = 10_000
#: Report periods started on a copy before recalc is timed again.
MORE_PERIODS = 4
#: The jobs compared with the calamine floor: each run beside a floor run of its own.
FLOOR_RATIOS = ("extract", "validate", "freeze", "freeze_refused")

_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                      timeout=float({timeout}))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak, "exit": done.returncode,
                  "stderr": done.stderr.decode()[-300:]}}))
"""


def _run(command: list[str], timeout: float) -> dict | None:
    try:
        out = subprocess.run([PYTHON, "-c", _MEASURE.format(timeout=timeout), *command],
                             capture_output=True, text=True, timeout=timeout + 60)
        return json.loads(out.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError):
        return None


def measure(command: list[str], repeats: int, timeout: float = 1800,
            exits: tuple[int, ...] = (0, 1), beside: list[str] | None = None) -> dict:
    """Median seconds and peak memory (MB) of ``command``, each run in a fresh process;
    ``exits``: the exit codes of a run that did its job. ``beside``: a command run just
    before each run (the floor): ``beside_ratio`` is the median of each run's time over
    its floor run's, a ratio of runs made at the same time, which a machine whose speed
    drifts does not skew (``beside_seconds``: the floor runs' median)."""
    runs, besides = [], []
    for _ in range(repeats):
        floor = _run(beside, timeout) if beside is not None else None
        run = _run(command, timeout)
        if run is None:
            return {"seconds": None, "peak_mb": None, "note": f"over {timeout:.0f} s"}
        if run["exit"] not in exits:
            return {"seconds": None, "peak_mb": None,
                    "note": f"exit {run['exit']}: {run['stderr'].strip()[:120]}"}
        runs.append(run)
        if floor is not None:
            besides.append((floor["seconds"], run["seconds"]))
        if run["seconds"] > LONG:
            break
    out = {"seconds": statistics.median(r["seconds"] for r in runs),
           "peak_mb": max(r["peak_mb"] for r in runs), "runs": len(runs)}
    if besides:
        out["beside_seconds"] = statistics.median(floor for floor, _ in besides)
        out["beside_ratio"] = statistics.median(run / floor for floor, run in besides)
    return out


def calamine_read(path: Path) -> list[str]:
    return [PYTHON, "-c", "import python_calamine as c, sys\n"
            "book = c.CalamineWorkbook.from_path(sys.argv[1])\n"
            "for name in book.sheet_names: book.get_sheet_by_name(name).to_python()",
            str(path)]


def libreoffice(path: Path, folder: Path) -> list[str]:
    from lfi_xl.adapters import libreoffice as lo

    profile = lo._profile("always")
    return [lo.executable(), f"-env:UserInstallation=file://{profile}", "--headless",
            "--norestore", "--convert-to", "xlsx", "--outdir", str(folder), str(path)]


def libreoffice_open_save(path: Path, folder: Path) -> list[str]:
    """LibreOffice opening and saving a workbook as it does by default (no
    recalculation on load): ``soffice --headless --convert-to xlsx``."""
    from lfi_xl.adapters import libreoffice as lo

    profile = lo._profile("never")
    return [lo.executable(), f"-env:UserInstallation=file://{profile}", "--headless",
            "--norestore", "--convert-to", "xlsx", "--outdir", str(folder), str(path)]


def more_periods(kpi: Path, folder: Path) -> Path:
    """A copy of ``kpi`` with :data:`MORE_PERIODS` more report periods started (with a
    copy of the shipped plan, so Plan Data is filled as a council's would be)."""
    folder.mkdir(parents=True, exist_ok=True)
    book = Path(shutil.copy(kpi, folder / kpi.name))
    plan = Path(shutil.copy(PLAN, folder / "dsg_plan.xlsx"))
    for _ in range(MORE_PERIODS):
        subprocess.run([LFI, "start-period", str(book), "--plan", str(plan)], check=True,
                       capture_output=True)
    return book


def recalc_against_libreoffice(kpi: Path, folder: Path, repeats: int) -> dict:
    """``lfi-xl recalc`` of ``kpi`` (written to another file, so every run starts from the
    same book) beside LibreOffice opening and saving it, as it is and after
    :data:`MORE_PERIODS` more periods are started."""
    out = {}
    books = {"as is": kpi, "more periods": more_periods(kpi, folder / f"more_{kpi.stem}")}
    for key, book in books.items():
        command = [LFI, "recalc", str(book), "-o", str(folder / f"recalc_{key[:4]}.xlsx")]
        out[key] = measure(command, repeats, beside=libreoffice_open_save(book, folder / "lo"))
        print(f"   recalc {key:14} {out[key]}", flush=True)
    return out


def recalc_rows(sizes: list[int], folder: Path) -> dict:
    """recalc against LibreOffice on the shipped book and each size up to
    :data:`RECALC_MAX`."""
    rows = {"measured": time.strftime("%Y-%m-%d"), "shipped": recalc_against_libreoffice(
        ROOT / "workbooks" / "template_kpi.xlsx", folder / "shipped", 7)}
    for n in sizes:
        if n <= RECALC_MAX:
            print(f"== recalc, {n:,} placements", flush=True)
            kpi = generate.kpi_workbook(n, folder / f"recalc_kpi_{n}.xlsx")
            rows[str(n)] = recalc_against_libreoffice(kpi, folder / f"recalc_{n}", 5)
    return rows


def formulas_engine(path: Path) -> list[str]:
    return [PYTHON, "-c", "import os, sys\nos.environ['TQDM_DISABLE'] = '1'\n"
            "import formulas\nmodel = formulas.ExcelModel().loads(sys.argv[1]).finish()\n"
            "model.calculate()", str(path)]


def function_bodies(n: int, repeats: int) -> dict[str, dict]:
    """Each LFI_ function: the core body alone, and the whole worksheet call (arguments
    converted from Excel's lists of lists), on ``n`` rows; median milliseconds."""
    import lfi_udfs as udf

    from lfi_xl.core import costs, measures
    from lfi_xl.core import plan as p

    data = generate.placements(n)
    start, end, cost = data["Start"], data["End"], data["AnnualCost"]
    band, category = data["AgeBand"], data["Category"]
    fte = costs.fte(start, end, 45017.0, 45107.0)
    flows = np.random.default_rng(1).normal(0, 5, n)
    as_cells = {name: [[v] for v in (np.where(np.isnan(a), None, a) if a.dtype.kind == "f"
                                     else a).tolist()]
                for name, a in (("start", start), ("end", end), ("cost", cost),
                                ("band", band), ("fte", fte), ("flows", flows))}
    cases = {
        "LFI_CUMBAL": (lambda: p.cumulative_balance(53.976, flows, flows, flows),
                       lambda: udf.LFI_CUMBAL(53.976, as_cells["flows"], as_cells["flows"])),
        "LFI_FTE": (lambda: costs.fte(start, end, 45017.0, 45107.0),
                    lambda: udf.LFI_FTE(as_cells["start"], as_cells["end"], 45017, 45107)),
        "LFI_AVGCOST": (lambda: costs.average_cost(cost, fte, band, "Under 16"),
                        lambda: udf.LFI_AVGCOST(as_cells["cost"], as_cells["fte"],
                                                as_cells["band"], "Under 16")),
        "LFI_AVGCOST (3 criteria)": (
            lambda: costs.average_cost(cost, fte, band, "Under 16", category,
                                       "*special school", start, ">=43000"), None),
        "LFI_PLACEMENTS": (lambda: costs.count_placements(fte, band, "Under 16"),
                           lambda: udf.LFI_PLACEMENTS(as_cells["fte"], as_cells["band"],
                                                      "Under 16")),
        "LFI_SAVING": (lambda: measures.saving(cost, cost, cost, cost),
                       lambda: udf.LFI_SAVING(as_cells["cost"], as_cells["cost"],
                                              as_cells["cost"], as_cells["cost"])),
        "LFI_FUNDGAP": (lambda: p.funding_gap(flows, cost), None),
        "LFI_PCTCHANGE": (lambda: measures.pct_change(cost, cost + 1.0), None),
        "LFI_RAG": (lambda: measures.rag(cost, cost * 1.01), None),
    }
    results = {}
    for name, (body, call) in cases.items():
        row = {}
        for kind, function in (("body_ms", body), ("call_ms", call)):
            if function is None:
                continue
            times = []
            for _ in range(repeats):
                start_time = time.perf_counter()
                function()
                times.append((time.perf_counter() - start_time) * 1000)
            row[kind] = statistics.median(times)
        results[name] = row
    return results


def run(sizes: list[int], folder: Path) -> dict:
    # byte-compiled first, as pip install leaves an installed package (an editable
    # install, or PYTHONDONTWRITEBYTECODE, would otherwise compile it on every run)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "lfi_xl"),
                    str(ROOT / "udfs")], check=True)
    results = {"machine": machine(), "sizes": {},
               "transfer": transfer.run([], folder) | {"sizes": {}},
               "recalc": recalc_rows(sizes, folder)}
    slow: set[str] = set()
    for n in sizes:
        repeats = 5 if n <= 100_000 else 1
        print(f"== {n:,} placements", flush=True)
        kpi = generate.kpi_workbook(n, folder / f"kpi_{n}.xlsx")
        native = generate.native_workbook(n, folder / f"native_{n}.xlsx")
        row = {"kpi_file_mb": kpi.stat().st_size / 1e6,
               "native_file_mb": native.stat().st_size / 1e6}
        copy = folder / f"freeze_{n}.xlsx"
        junk = generate.junk_workbook(n, folder / f"junk_{n}.xlsx")
        junk_copy = folder / f"junk_freeze_{n}.xlsx"
        jobs = {
            "calamine_read": calamine_read(kpi),
            "extract": [LFI, "extract", "--kpi", str(kpi), "--plan", PLAN, "-o",
                        str(folder / "extract"), "--no-pdf"],
            "validate": [LFI, "validate", str(kpi)],
            "freeze": [PYTHON, "-c", "import shutil, sys\nshutil.copy(sys.argv[1], sys.argv[2])"
                       "\nfrom lfi_xl.cli import main\nsys.exit(main(['freeze', sys.argv[2], "
                       "'--period', '2023-24 Q1', '--by', 'bench']))", str(kpi), str(copy)],
            # every row "TBC": freeze validates first and refuses (exit 1), writing nothing
            "freeze_refused": [PYTHON, "-c", "import shutil, sys\nshutil.copy(sys.argv[1], "
                               "sys.argv[2])\nfrom lfi_xl.cli import main\nsys.exit(main(["
                               "'freeze', sys.argv[2], '--period', '2023-24 Q1', '--by', "
                               "'bench']))", str(junk), str(junk_copy)],
            "libreoffice_recalc": libreoffice(native, folder / "lo"),
            "formulas_engine": formulas_engine(native),
            "calamine_read_native": calamine_read(native),
        }
        for name, command in jobs.items():
            if name in slow:
                row[name] = {"seconds": None, "peak_mb": None, "note": "slower than "
                             f"{SLOW:.0f} s at a smaller size: not run"}
                continue
            row[name] = measure(command, repeats,
                                exits=(1,) if name == "freeze_refused" else (0, 1),
                                beside=jobs["calamine_read"] if name in FLOOR_RATIOS else None)
            print(f"   {name:22} {row[name]}", flush=True)
            if row[name]["seconds"] is None or row[name]["seconds"] > SLOW:
                slow.add(name)
        row["functions"] = function_bodies(n, 7 if n <= 100_000 else 3)
        print(f"   functions {row['functions']}", flush=True)
        if n <= TRANSFER_MAX:
            results["transfer"]["sizes"][str(n)] = _transfer(n, folder / "transfer", kpi)
        results["sizes"][str(n)] = row
    return results


def _transfer(n: int, folder: Path, kpi: Path | None = None) -> dict:
    row = transfer.measure(n, folder, kpi)
    for key, entry in row.items():
        print(f"   transfer {key:14} {entry['calls']:5} calls, {entry['cells_in']:,} cells "
              f"in, {entry['cells_out']:,} out, {entry['seconds']:.1f} s", flush=True)
    return row


def machine() -> dict:
    import os

    memory = "unknown"
    try:
        with open("/proc/meminfo") as info:
            memory = f"{int(info.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    soffice = shutil.which("soffice")
    version = subprocess.run([soffice, "--version"], capture_output=True, text=True
                             ).stdout.strip() if soffice else "not installed"
    import formulas
    import python_calamine

    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory,
            "python": platform.python_version(), "os": platform.platform(),
            "libreoffice": version, "formulas": formulas.__version__,
            "python-calamine": getattr(python_calamine, "__version__", "?"),
            "numpy": np.__version__, "date": time.strftime("%Y-%m-%d")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--transfer-only", action="store_true",
                        help="count only the cells handed to Python; keep the timings "
                        "already in --out")
    parser.add_argument("--recalc-only", action="store_true",
                        help="time only lfi-xl recalc against LibreOffice; keep the other "
                        "figures already in --out")
    parser.add_argument("--forecast-only", action="store_true",
                        help="score only the EHCP forecast's backtest; keep the other "
                        "figures already in --out")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="lfi-bench-") as folder:
        if args.forecast_only:
            results = json.loads(args.out.read_text())
        elif args.recalc_only:
            results = json.loads(args.out.read_text())
            subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "lfi_xl"),
                            str(ROOT / "udfs")], check=True)
            results["recalc"] = recalc_rows(sizes, Path(folder))
        elif args.transfer_only:
            results = json.loads(args.out.read_text())
            results["transfer"] = transfer.run([], Path(folder)) | {"sizes": {}}
            for n in sizes:
                if n <= TRANSFER_MAX:
                    print(f"== {n:,} placements", flush=True)
                    results["transfer"]["sizes"][str(n)] = _transfer(n, Path(folder))
        else:
            results = run(sizes, Path(folder))
    from forecast_scores import scores  # the EHCP forecast's backtest, seconds

    results["forecast"] = scores()
    args.out.write_text(json.dumps(results, indent=1))
    from report import write_report

    write_report(results, ROOT / "docs" / "performance.md", ROOT / "docs" / "performance.png",
                 ROOT / "docs" / "transfer.png")
    print(f"results: {args.out}; report: docs/performance.md")


if __name__ == "__main__":
    main()
