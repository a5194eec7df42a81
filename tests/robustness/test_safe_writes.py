"""Issue 27, findings 1, 2, 6 and 9 (writes): lfi-xl's own files beside a workbook (its
lock, its receipts) are never written through a link; start-period holds both workbooks
and changes both or neither; a write that fails (a full disk, a read-only file) says so
in one line and leaves the files as they were."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main
from lfi_xl.contract import setting_name

PERIOD = "2023-24 Q3"


def digest(folder: Path) -> dict[str, str]:
    """Every file of a folder (links as their target's name) and its SHA-256."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            found[path.name] = "-> " + os.readlink(path)
        elif path.is_file():
            found[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def current_period(path: Path) -> str:
    book = WorkbookValues(path)
    return book.values(book.area(setting_name("CurrentPeriod")))[0][0]


#: Every command that changes a workbook, as run on the KPI workbook ``k`` and plan ``p``.
WRITERS = {
    "freeze": lambda k, p: ["freeze", "--kpi", k, "--plan", p, "--period", PERIOD, "--by",
                           "A. Finance"],
    "refresh": lambda k, p: ["refresh", "--kpi", k, "--plan", p, "--period", PERIOD],
    "recalc": lambda k, p: ["recalc", k],
    "adopt": lambda k, p: ["adopt", k],
    "start-period": lambda k, p: ["start-period", "--kpi", k, "--plan", p],
}


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("planted", ["lock", "receipts", "hard lock"])
def test_a_planted_link_is_refused_and_nothing_changes(command, planted, kpi_book,
                                                       plan_book, capsys):
    folder = kpi_book.parent
    if planted == "lock":
        (folder / f".~lfi-{kpi_book.name}.lock").symlink_to(kpi_book.name)
    elif planted == "hard lock":
        os.link(kpi_book, folder / f".~lfi-{kpi_book.name}.lock")
    else:
        (folder / f"{kpi_book.name}.lfi-receipts.jsonl").symlink_to(plan_book.name)
    before = digest(folder)
    assert main(list(map(str, WRITERS[command](kpi_book, plan_book)))) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nothing was changed" in error
    assert "link" in error
    assert digest(folder) == before


def test_a_planted_link_on_the_plans_lock_refuses_start_period(kpi_book, plan_book, capsys):
    (plan_book.parent / f".~lfi-{plan_book.name}.lock").symlink_to(plan_book.name)
    before = digest(kpi_book.parent)
    assert main(["start-period", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 2
    assert "link" in capsys.readouterr().err
    assert digest(kpi_book.parent) == before


def test_a_file_lfi_xl_did_not_write_under_the_locks_name_is_not_overwritten(kpi_book, capsys):
    lock = kpi_book.parent / f".~lfi-{kpi_book.name}.lock"
    lock.write_text("a note someone kept here\n")
    assert main(["freeze", "--kpi", str(kpi_book), "--period", PERIOD, "--by", "A"]) == 2
    assert "did not write" in capsys.readouterr().err
    assert lock.read_text() == "a note someone kept here\n"


def test_a_lock_left_by_a_killed_command_is_taken_again(kpi_book, capsys):
    lock = kpi_book.parent / f".~lfi-{kpi_book.name}.lock"
    lock.write_text('{"pid": 1, "host": "h", "since": "2026-01-01T00:00:00", "file": "x"}')
    assert main(["freeze", "--kpi", str(kpi_book), "--period", PERIOD, "--by", "A"]) == 0
    capsys.readouterr()


def test_start_period_refuses_while_excel_has_either_workbook_open(kpi_book, plan_book,
                                                                    capsys):
    for book in (kpi_book, plan_book):
        owner = book.with_name("~$" + book.name)
        owner.write_bytes(b"\x07A. User" + b" " * 40)
        before = digest(kpi_book.parent)
        assert main(["start-period", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 2
        assert "open in Excel by A. User" in capsys.readouterr().err
        assert digest(kpi_book.parent) == before
        owner.unlink()


def test_a_start_interrupted_between_its_saves_is_finished_not_repeated(kpi_book, plan_book,
                                                                        tmp_path, capsys):
    original_plan = tmp_path / "plan_before.xlsx"
    shutil.copy(plan_book, original_plan)
    assert main(["start-period", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    started = current_period(kpi_book)
    shutil.copy(original_plan, plan_book)  # as if killed after the KPI workbook's save
    assert current_period(plan_book) == PERIOD != started
    capsys.readouterr()
    assert main(["start-period", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    assert "Finished starting" in capsys.readouterr().out
    assert current_period(kpi_book) == current_period(plan_book) == started


def test_start_period_refuses_two_workbooks_on_unrelated_periods(kpi_book, plan_book, capsys):
    from tests.helpers import edit

    edit(plan_book, "Settings", {"B7": "2023-24 Q1"})
    before = digest(kpi_book.parent)
    assert main(["start-period", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 1
    assert "2023-24 Q1" in capsys.readouterr().err   # refused, naming both periods
    assert digest(kpi_book.parent) == before


def test_reason_without_supersede_is_refused(kpi_book, capsys):
    before = digest(kpi_book.parent)
    assert main(["freeze", "--kpi", str(kpi_book), "--period", PERIOD, "--by", "A",
                 "--reason", "typo"]) == 2
    assert "--supersede" in capsys.readouterr().err
    assert digest(kpi_book.parent) == before


def test_a_read_only_workbook_is_refused_in_one_line(kpi_book, plan_book, capsys):
    for command in sorted(WRITERS):
        kpi_book.chmod(0o444)
        before = digest(kpi_book.parent)
        assert main(list(map(str, WRITERS[command](kpi_book, plan_book)))) == 2, command
        error = capsys.readouterr().err
        assert "read-only" in error and error.count("\n") == 1
        assert digest(kpi_book.parent) == before
        kpi_book.chmod(0o644)


def test_same_stem_workbooks_keep_separate_receipts(kpi_book, capsys):
    other = kpi_book.with_suffix(".xlsm")
    shutil.copy(kpi_book, other)
    for book in (kpi_book, other):
        assert main(["freeze", "--kpi", str(book), "--period", PERIOD, "--by", "A"]) == 0
    for book in (kpi_book, other):
        assert book.with_name(book.name + ".lfi-receipts.jsonl").is_file()
        capsys.readouterr()
        assert main(["verify", "--kpi", str(book)]) == 0, capsys.readouterr().out


def test_a_receipt_that_cannot_be_written_refuses_before_anything_changes(kpi_book, capsys):
    receipts = kpi_book.with_name(kpi_book.name + ".lfi-receipts.jsonl")
    receipts.mkdir()   # a folder where the receipt file goes
    before = digest(kpi_book.parent)
    assert main(["freeze", "--kpi", str(kpi_book), "--period", PERIOD, "--by", "A"]) == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert digest(kpi_book.parent) == before


def test_a_receipt_cut_short_after_the_save_says_the_workbook_is_frozen(kpi_book, capsys,
                                                                      monkeypatch):
    import lfi_xl.adapters.opening as opening

    def full(handle, record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(opening, "write_receipt", full)
    assert main(["freeze", "--kpi", str(kpi_book), "--period", PERIOD, "--by", "A"]) == 2
    error = capsys.readouterr().err
    assert "IS FROZEN" in error and "chain head" in error and error.count("\n") == 1
    assert main(["verify", "--kpi", str(kpi_book)]) == 0


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MB filesystem (tmpfs), when this machine lets us mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True)
    # root on this project's machines (CI included) can mount one: the tests run, never skip
    assert done.returncode == 0, f"cannot mount a small filesystem: {done.stderr.decode()}"
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the filesystem of ``folder`` until ``leave`` bytes are free."""
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    (folder / "filler").write_bytes(b"\0" * max(free - leave, 0))


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_full_disk_is_one_line_and_no_file_changes(command, small_disk, capsys):
    shipped = Path(__file__).resolve().parents[2] / "workbooks"
    kpi = Path(shutil.copy(shipped / "template_kpi.xlsx", small_disk / "kpi.xlsx"))
    plan = Path(shutil.copy(shipped / "dsg_plan.xlsx", small_disk / "plan.xlsx"))
    fill(small_disk, 40_000)   # room for the lock and a little, not for a new workbook
    before = digest(small_disk)
    code = main(list(map(str, WRITERS[command](kpi, plan))))
    error = capsys.readouterr().err
    assert code == 2, error
    assert "disk is full" in error and error.count("\n") == 1
    assert digest(small_disk) == before


@pytest.mark.parametrize("command", ["extract", "dfe-return"])
def test_a_full_disk_under_an_output_is_one_line_and_no_partial_set(command, small_disk,
                                                                    kpi_book, plan_book,
                                                                    capsys):
    out = small_disk / "out"
    out.mkdir()
    fill(small_disk, 20_000)
    args = {"extract": ["extract", "--kpi", kpi_book, "--plan", plan_book, "--no-pdf"],
            "dfe-return": ["dfe-return", "--kpi", kpi_book, "--plan", plan_book, "--draft"]}
    code = main(list(map(str, [*args[command], "-o", out])))
    error = capsys.readouterr().err
    assert code == 2, error
    assert "disk is full" in error and error.count("\n") == 1
    assert list(out.iterdir()) == []


def test_a_workbook_changed_behind_the_helper_is_not_overwritten(kpi_book, plan_book):
    """The stamp check: a file written by something else (not an lfi-xl command: those
    wait for the lock) while an action worked on it is not replaced."""
    from lfi_xl.adapters.opening import changing
    from lfi_xl.errors import UnusableInput

    with pytest.raises(UnusableInput, match="changed by something else"):
        with changing(kpi_book) as workbook:
            workbook.set_cells("Settings", {"B3": "Somewhere"})
            shutil.copy(plan_book, kpi_book)   # someone saves over it meanwhile
    assert kpi_book.read_bytes() == plan_book.read_bytes()
    assert not list(kpi_book.parent.glob("*.tmp")) and not list(kpi_book.parent.glob(".~*tmp"))


def test_receipts_of_the_older_stem_named_file_still_count(kpi_book, capsys):
    """A workbook frozen before receipts were named by the whole file name: its older
    receipts (the lines naming it) are still checked beside the new file's."""
    import json

    assert main(["freeze", "--kpi", str(kpi_book), "--period", PERIOD, "--by", "A"]) == 0
    own = kpi_book.with_name(kpi_book.name + ".lfi-receipts.jsonl")
    legacy = kpi_book.with_name(kpi_book.stem + ".lfi-receipts.jsonl")
    record = json.loads(own.read_text())
    other = dict(record, file="template_kpi.xlsm", head="0" * 64)   # another workbook's
    legacy.write_text(json.dumps(dict(record, head="f" * 64)) + "\n" + json.dumps(other) + "\n")
    capsys.readouterr()
    assert main(["verify", "--kpi", str(kpi_book)]) == 1
    out = capsys.readouterr().out
    assert "ffffffffffff" in out and "000000000000" not in out
