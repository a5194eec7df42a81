"""Killed mid-way: SIGKILL at random points of every command that writes: `lfi-xl freeze`,
`extract`, and (in :data:`WRITERS`, one entry per command) `adopt`, `refresh` and `recalc`
in place.

Each command runs as its own process (``python -m lfi_xl.cli``) and is killed after a
random delay drawn from its measured duration (a fixed seed: the same delays every run):
over the whole run, around the write as measured once, and (as the write itself takes a
millisecond or two) a few kills timed from the moment its temporary file, or the backup
copy, appears.
After each kill:

* freeze: the workbook is either byte for byte the original or a complete frozen
  workbook (a valid zip that lfi-xl reads and `lfi-xl verify` accepts, holding the
  snapshot); a ``.bak``, if there is one, is the original; nothing else is left but an
  inert ``.~lfi-*.tmp``;
* extract: the extract is either absent or a complete workbook that opens; the source
  workbooks are untouched;
* adopt, refresh, recalc: the workbook is the original byte for byte or a complete one
  that lfi-xl reads (and, for a KPI workbook, that verifies); a ``.bak`` is the original.

A killed command may leave its lock file (``.~lfi-NAME.lock``): the OS lock on it died
with the process, so the next command takes it (checked: each kill is followed by a run
that must not wait).

The summary (kills before, during and after the write) is printed; run with ``-s``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
KILLS = 25
BIG_KILLS = 6
SEED = 20230517
PERIOD = "2023-24 Q3"


#: The plan workbook freeze checks Plan Data against (Settings record one beside the KPI
#: workbook; here the KPI workbook is alone in its folder).
PLAN = SHIPPED / "dsg_plan.xlsx"


def lfi_xl(*args: object) -> list[str]:
    plan = ("--plan", PLAN) if args[:1] == ("freeze",) else ()
    return [sys.executable, "-m", "lfi_xl.cli", *map(str, (*args, *plan))]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def measure(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    finished = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    return time.perf_counter() - started


def kill_after(args: list[str], cwd: Path, delay: float) -> bool:
    """Start the command, SIGKILL it after ``delay`` seconds; whether it had finished."""
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        process.kill()                      # SIGKILL, this process only
        process.wait()
        return False


def kill_on_file(args: list[str], cwd: Path, folder: Path, appears, delay: float) -> bool:
    """Start the command and SIGKILL it ``delay`` seconds after a file for which
    ``appears(path)`` is true shows in ``folder``; whether it had finished first."""
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    while process.poll() is None and not (
            folder.exists() and any(appears(path) for path in folder.iterdir())):
        time.sleep(0.0001)
    if process.poll() is not None:
        return True
    time.sleep(delay)
    process.kill()                          # SIGKILL, this process only
    process.wait()
    return False


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".~lfi-") and not is_lock(path)


def is_lock(path: Path) -> bool:
    return path.name.startswith(".~lfi-") and path.name.endswith(".lock")


def is_backup(path: Path) -> bool:
    return path.name.endswith(".bak")


def write_window(args: list[str], cwd: Path, folder: Path, target: Path) -> tuple[float, float]:
    """When, in one run, the command starts writing (a temporary file appears in ``folder``)
    and when ``target`` is in place (created, or replaced: a new inode)."""
    before = target.stat().st_ino if target.exists() else None
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    first = last = None
    while process.poll() is None:
        now = time.perf_counter() - started
        if first is None and folder.exists() and temporaries(folder):
            first = now
        if target.exists() and target.stat().st_ino != before:
            last = now
            break
        time.sleep(0.0005)
    process.wait()
    end = time.perf_counter() - started
    return (first if first is not None else end * 0.8), (last if last is not None else end)


def delays(rng: random.Random, duration: float, window: tuple[float, float],
           backup: bool, kills: int = KILLS) -> list[tuple[str, float]]:
    """(how, delay) for each kill: after a delay drawn over the whole run ("delay"), or
    around the write as measured once; and, the write itself taking a millisecond or
    two, timed from the appearance of the temporary file ("on-write") or of the backup
    copy ("on-backup", freeze only)."""
    low, high = window
    timed = {"on-write": 5, "on-backup": 5} if backup else {"on-write": 7}
    if kills < KILLS:
        timed = {how: max(1, count * kills // KILLS) for how, count in timed.items()}
    rest = kills - sum(timed.values())
    plan = ([("delay", rng.uniform(0, duration)) for _ in range(rest - rest // 2)]
            + [("delay", rng.uniform(max(0.0, low - 0.01), high + 0.01))
               for _ in range(rest // 2)])
    for how, count in timed.items():
        plan += [(how, rng.uniform(0, 0.002)) for _ in range(count)]
    return plan


def measured(tmp_path: Path, make, args: list[str]) -> tuple[float, tuple[float, float]]:
    """How long ``args`` takes on a fresh ``make``-d folder, and when in that run it writes
    the KPI workbook (:func:`write_window`): what the kills' delays are drawn from."""
    trial = tmp_path / "measure"
    trial.mkdir()
    make(trial)
    duration = measure(args, trial)
    make(trial)
    return duration, write_window(args, trial, trial, trial / "kpi.xlsx")


def start_and_kill(how: str, delay: float, args: list[str], cwd: Path, folder: Path) -> bool:
    if how == "on-write":
        return kill_on_file(args, cwd, folder, is_temporary, delay)
    if how == "on-backup":
        return kill_on_file(args, cwd, folder, is_backup, delay)
    return kill_after(args, cwd, delay)


def leftovers(folder: Path, expected: set[str]) -> list[str]:
    """Files other than ``expected`` and inert temporary files."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name not in expected and not is_lock(p)
                  and not (p.name.startswith(".~lfi-") and p.name.endswith(".tmp")))


def temporaries(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if is_temporary(p))


def verifies(path: Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["verify", str(path)])
    return code, out.getvalue()


@pytest.fixture
def rng() -> random.Random:
    return random.Random(SEED)


def test_freeze_killed_at_random_points(tmp_path, rng):
    original = SHIPPED / "template_kpi.xlsx"
    digest = sha(original)
    duration, window = measured(tmp_path, lambda folder: shutil.copyfile(
        original, folder / "kpi.xlsx"), lfi_xl("freeze", "kpi.xlsx", "--period", PERIOD,
                                                "--by", "Kill"))
    outcomes: Counter = Counter()
    problems = []
    for number, (how, delay) in enumerate(delays(rng, duration, window, backup=True)):
        folder = tmp_path / f"kill{number}"
        folder.mkdir()
        book = folder / "kpi.xlsx"
        shutil.copyfile(original, book)
        finished = start_and_kill(how, delay, lfi_xl("freeze", book.name, "--period", PERIOD,
                                                     "--by", "Kill"), folder, folder)
        backup = folder / "kpi.xlsx.bak"
        where = f"kill {number} ({how}) at {delay:.4f} s of {duration:.3f} s"
        if not book.exists():
            problems.append(f"{where}: the workbook is gone")
            continue
        if sha(book) == digest:
            outcome = "during" if backup.exists() or temporaries(folder) else "before"
        else:
            outcome = "after"
            try:
                with zipfile.ZipFile(book) as archive:
                    assert archive.testzip() is None
                values = WorkbookValues(book)
                area = values.area("Snapshots_Table")
                assert area is not None and area.max_row > area.min_row, "no snapshot rows"
            except Exception as error:  # noqa: BLE001 - any failure to read is the finding
                problems.append(f"{where}: changed but not a complete workbook ({error!r})")
                continue
            code, text = verifies(book)
            if code != 0:
                problems.append(f"{where}: frozen workbook does not verify: {text[-300:]}")
        if finished:
            outcome = "finished"
        outcomes[outcome] += 1
        if backup.exists() and sha(backup) != digest:
            problems.append(f"{where}: the .bak is not the original")
        extra = leftovers(folder, {book.name, backup.name, "kpi.xlsx.lfi-receipts.jsonl"})
        if extra:
            problems.append(f"{where}: unexpected files {extra}")
        outcomes["temporary files left"] += temporaries(folder)
    print(f"\nfreeze ({duration:.2f} s a run, writing {window[0]:.3f}-{window[1]:.3f} s): "
          f"{KILLS} kills: {dict(outcomes)}")
    assert sha(original) == digest
    assert not problems, "\n".join(problems)


def test_extract_killed_at_random_points(tmp_path, rng):
    sources = tmp_path / "sources"
    sources.mkdir()
    kpi = Path(shutil.copyfile(SHIPPED / "template_kpi.xlsx", sources / "kpi.xlsx"))
    plan = Path(shutil.copyfile(SHIPPED / "dsg_plan.xlsx", sources / "plan.xlsx"))
    digests = {kpi: sha(kpi), plan: sha(plan)}
    trial = tmp_path / "measure"
    duration = measure(lfi_xl("extract", "--kpi", kpi, "--plan", plan, "-o", trial,
                              "--no-pdf"), tmp_path)
    name = next(trial.glob("*.xlsx")).name
    window = write_window(lfi_xl("extract", "--kpi", kpi, "--plan", plan, "-o", tmp_path / "w",
                                 "--no-pdf"), tmp_path, tmp_path / "w", tmp_path / "w" / name)
    outcomes: Counter = Counter()
    problems = []
    for number, (how, delay) in enumerate(delays(rng, duration, window, backup=False)):
        out = tmp_path / f"kill{number}"
        finished = start_and_kill(how, delay, lfi_xl("extract", "--kpi", kpi, "--plan", plan,
                                                     "-o", out, "--no-pdf"), tmp_path, out)
        where = f"kill {number} ({how}) at {delay:.4f} s of {duration:.3f} s"
        target = out / name
        if target.exists():
            outcome = "after"
            try:
                book = load_workbook(target, read_only=True)
                assert {"Summary", "KPIs", "About this paper"} <= set(book.sheetnames)
                book.close()
            except Exception as error:  # noqa: BLE001 - any failure to open is the finding
                problems.append(f"{where}: the extract is there but incomplete ({error!r})")
        else:
            outcome = "during" if out.exists() and temporaries(out) else "before"
        if finished:
            outcome = "finished"
        outcomes[outcome] += 1
        if out.exists():
            extra = leftovers(out, {name})
            if extra:
                problems.append(f"{where}: unexpected files {extra}")
            outcomes["temporary files left"] += temporaries(out)
        for source, digest in digests.items():
            if sha(source) != digest:
                problems.append(f"{where}: {source.name} was changed")
    print(f"\nextract ({duration:.2f} s a run, writing {window[0]:.3f}-{window[1]:.3f} s): "
          f"{KILLS} kills: {dict(outcomes)}")
    assert not problems, "\n".join(problems)


def test_freeze_of_a_big_workbook_killed_while_it_keeps_the_backup(tmp_path, rng):
    """A workbook with a big picture (8 MB): copying it to ``.bak`` takes long enough for
    kills timed from the backup's appearance to land during the copy."""
    original = tmp_path / "big.xlsx"
    shutil.copyfile(SHIPPED / "template_kpi.xlsx", original)
    with zipfile.ZipFile(original, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.bin", random.Random(SEED).randbytes(8 << 20))
    digest = sha(original)
    outcomes: Counter = Counter()
    problems = []
    for number in range(BIG_KILLS):
        folder = tmp_path / f"kill{number}"
        folder.mkdir()
        book = folder / "kpi.xlsx"
        shutil.copyfile(original, book)
        delay = rng.uniform(0, 0.002)
        finished = start_and_kill("on-backup", delay, lfi_xl(
            "freeze", book.name, "--period", PERIOD, "--by", "Kill"), folder, folder)
        backup = folder / "kpi.xlsx.bak"
        where = f"kill {number} (on-backup) at {delay:.4f} s"
        unchanged = sha(book) == digest
        outcomes["finished" if finished else "during" if unchanged else "after"] += 1
        if not unchanged:
            code, text = verifies(book)
            if code != 0:
                problems.append(f"{where}: frozen workbook does not verify: {text[-300:]}")
        if backup.exists() and sha(backup) != digest:
            problems.append(f"{where}: the .bak is not the original ({backup.stat().st_size} "
                            f"of {original.stat().st_size} bytes)")
    print(f"\nfreeze of an 8 MB workbook: {BIG_KILLS} kills: {dict(outcomes)}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# Every other command that changes a workbook in place: one entry each.
# ---------------------------------------------------------------------------------------
WRITER_KILLS = 8


def _council_kpis(folder: Path) -> Path:
    from helpers import council_kpis

    return council_kpis(folder / "kpi.xlsx")


def _template(folder: Path) -> Path:
    shutil.copyfile(SHIPPED / "dsg_plan.xlsx", folder / "plan.xlsx")
    return Path(shutil.copyfile(SHIPPED / "template_kpi.xlsx", folder / "kpi.xlsx"))


def _reads(book: Path) -> None:
    assert WorkbookValues(book).area("KPI_Periods") is not None, "no KPI_Periods"


def _verifies(book: Path) -> None:
    code, text = verifies(book)
    assert code == 0, text[-300:]


#: command -> (makes the workbook in a folder, the arguments, checks a changed workbook).
#: start-period (issue 14) joins with one line here.
WRITERS = {
    "adopt": (_council_kpis, ["adopt", "kpi.xlsx", "--authority", "A Council"], _reads),
    "refresh": (_template, ["refresh", "--kpi", "kpi.xlsx", "--plan", "plan.xlsx",
                            "--period", PERIOD], _verifies),
    "recalc": (_template, ["recalc", "kpi.xlsx"], _verifies),
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_writing_command_killed_at_random_points(tmp_path, rng, command):
    make, args, check = WRITERS[command]
    duration, window = measured(tmp_path, make, lfi_xl(*args))
    outcomes: Counter = Counter()
    problems = []
    for number, (how, delay) in enumerate(delays(rng, duration, window, backup=True,
                                                 kills=WRITER_KILLS)):
        folder = tmp_path / f"kill{number}"
        folder.mkdir()
        book = make(folder)
        digest = sha(book)
        finished = start_and_kill(how, delay, lfi_xl(*args), folder, folder)
        backup = folder / "kpi.xlsx.bak"
        where = f"{command}: kill {number} ({how}) at {delay:.4f} s of {duration:.3f} s"
        if sha(book) == digest:
            outcome = "during" if backup.exists() or temporaries(folder) else "before"
        else:
            outcome = "after"
            try:
                with zipfile.ZipFile(book) as archive:
                    assert archive.testzip() is None
                check(book)
            except Exception as error:  # noqa: BLE001 - any failure to read is the finding
                problems.append(f"{where}: changed but not a complete workbook ({error!r})")
        outcomes["finished" if finished else outcome] += 1
        if backup.exists() and sha(backup) != digest:
            problems.append(f"{where}: the .bak is not the original")
        extra = leftovers(folder, {book.name, backup.name, "plan.xlsx"})
        if extra:
            problems.append(f"{where}: unexpected files {extra}")
        # A lock left by the killed command must not hold up the next one.
        from lfi_xl.adapters.files.package import exclusive

        with exclusive(book, wait=0):
            pass
    print(f"\n{command} ({duration:.2f} s a run): {WRITER_KILLS} kills: {dict(outcomes)}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# start-period changes two workbooks: both or neither (issue 27).
# ---------------------------------------------------------------------------------------
START = ["start-period", "--kpi", "kpi.xlsx", "--plan", "plan.xlsx"]
STARTED = "2024-25 Q1"


def current_period(path: Path) -> str:
    from lfi_xl.contract import setting_name

    book = WorkbookValues(path)
    return book.values(book.area(setting_name("CurrentPeriod")))[0][0]


def test_start_period_killed_at_random_points(tmp_path, rng):
    """After each kill both workbooks are whole and on one period, or (killed between the
    two renames, microseconds apart) the KPI workbook started and the plan not, which
    the next start-period finishes instead of starting the period after."""
    duration, window = measured(tmp_path, _template, lfi_xl(*START))
    outcomes: Counter = Counter()
    problems = []
    for number, (how, delay) in enumerate(delays(rng, duration, window, backup=True,
                                                 kills=WRITER_KILLS)):
        folder = tmp_path / f"kill{number}"
        folder.mkdir()
        kpi = _template(folder)
        plan = folder / "plan.xlsx"
        digests = sha(kpi), sha(plan)
        finished = start_and_kill(how, delay, lfi_xl(*START), folder, folder)
        where = f"start-period: kill {number} ({how}) at {delay:.4f} s of {duration:.3f} s"
        try:
            periods = current_period(kpi), current_period(plan)
        except Exception as error:  # noqa: BLE001 - a workbook that cannot be read
            problems.append(f"{where}: a workbook cannot be read ({error!r})")
            continue
        parted = periods[0] != periods[1]
        if parted:
            outcomes["parted, then finished"] += 1
            rerun = subprocess.run(lfi_xl(*START), cwd=folder, capture_output=True, text=True,
                                   timeout=60)
            if rerun.returncode != 0 or "Finished starting" not in rerun.stdout:
                problems.append(f"{where}: left {periods}; the rerun: {rerun.stderr[-300:]}")
            periods = current_period(kpi), current_period(plan)
        else:
            unchanged = (sha(kpi), sha(plan)) == digests
            outcomes["finished" if finished else "before" if unchanged else "after"] += 1
        if periods not in ((PERIOD, PERIOD), (STARTED, STARTED)):
            problems.append(f"{where}: the workbooks are on {periods}")
        if periods[0] == STARTED:
            code, text = verifies(kpi)
            if code != 0:
                problems.append(f"{where}: the started workbook does not verify: {text[-300:]}")
        kept = {"kpi.xlsx", "plan.xlsx", "kpi.xlsx.bak", "plan.xlsx.bak"}
        for book, digest in ((kpi, digests[0]), (plan, digests[1])):
            backup = book.with_name(book.name + ".bak")
            if parted:
                # the finishing run kept the workbooks as they were before it (README: the
                # previous .bak is kept as NAME.xlsx.YYYYMMDD-HHMMSS.bak): the original is
                # one of the copies kept, never lost
                older = sorted(folder.glob(f"{book.name}.*.bak"))
                kept |= {path.name for path in older}
                if digest not in {sha(path) for path in (backup, *older) if path.exists()}:
                    problems.append(f"{where}: no copy kept of the original {book.name}")
            elif backup.exists() and sha(backup) != digest:
                problems.append(f"{where}: {backup.name} is not the original")
        extra = leftovers(folder, kept)
        if extra:
            problems.append(f"{where}: unexpected files {extra}")
    print(f"\nstart-period ({duration:.2f} s a run): {WRITER_KILLS} kills: {dict(outcomes)}")
    assert not problems, "\n".join(problems)


RACES = 6


def test_start_period_racing_a_freeze_never_loses_a_reported_success(tmp_path):
    """start-period and freeze started together on the same KPI workbook, again and
    again: each that reports success has its change in the final files (before issue 27,
    2 of 152 runs lost a freeze that had printed "Froze ...", and one left the two
    workbooks on different periods)."""
    from lfi_xl.book.snapshots import current_snapshots

    problems, outcomes = [], Counter()
    for number in range(RACES):
        folder = tmp_path / f"race{number}"
        folder.mkdir()
        kpi = _template(folder)
        plan = folder / "plan.xlsx"
        first, second = ((START, ["freeze", "--kpi", "kpi.xlsx", "--period", PERIOD,
                                  "--by", "Race"]) if number % 2 else
                         (["freeze", "--kpi", "kpi.xlsx", "--period", PERIOD, "--by", "Race"],
                          START))
        runs = [subprocess.Popen(lfi_xl(*args), cwd=folder, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for args in (first, second)]
        results = {tuple(args[:1]): run.communicate(timeout=120) + (run.returncode,)
                   for args, run in zip((first, second), runs, strict=True)}
        froze = results[("freeze",)][2] == 0
        started = results[("start-period",)][2] == 0
        outcomes[(froze, started)] += 1
        periods = current_period(kpi), current_period(plan)
        if periods[0] != periods[1]:
            problems.append(f"race {number}: the workbooks are on {periods}")
        if started and periods != (STARTED, STARTED):
            problems.append(f"race {number}: start-period reported success, files on {periods}")
        book = WorkbookValues(kpi)
        from lfi_xl.book.kpi_book import KpiBook
        from lfi_xl.book.snapshots import table

        _, rows, _ = table(KpiBook(book), "Snapshots_Table")
        if froze and PERIOD not in current_snapshots(rows):
            problems.append(f"race {number}: freeze printed success, but the file has no "
                            f"snapshot of {PERIOD}")
        code, text = verifies(kpi)
        if code != 0:
            problems.append(f"race {number}: the workbook does not verify: {text[-300:]}")
    print(f"\nstart-period racing freeze: {RACES} races, (froze, started): {dict(outcomes)}")
    assert not problems, "\n".join(problems)
