"""Opening a workbook for an action: the one way to read one, the one way to change one.

Every entry point (a command's file argument, a Python caller's path, the ribbon's
xlwings book) becomes a :class:`~lfi_xl.book.workbook.Workbook` through :func:`open_workbook`.
Every change to a file goes through :func:`changing` (or :func:`changing_both` for the
KPI and plan workbooks together): it holds the file's lock and refuses while Excel has
it open, hands the action the workbook, and saves (atomically, the original kept as
``NAME.bak``) only when the action succeeded. An action that raises (a refusal, bad
input, a fault) leaves every file as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from lfi_xl.adapters.excel.live import LiveWorkbook
from lfi_xl.adapters.files.package import exclusive, real_path
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.adapters.files.writer import FileWorkbook
from lfi_xl.book.discover import Discovering, DiscoveringEditable, discovering
from lfi_xl.book.workbook import Workbook
from lfi_xl.errors import UnusableInput


def open_workbook(given: Path | str | Workbook | Any) -> Discovering:
    """A workbook to read, with discovery, from what an entry point was given: a path's
    file is opened (checked, read-only), a workbook is taken as it is, anything else is
    taken for an xlwings ``Book`` (the ribbon's ``Book.caller()``)."""
    if isinstance(given, str | Path):
        return Discovering(WorkbookValues(Path(given)))
    if isinstance(given, Workbook):
        return discovering(given)
    return Discovering(LiveWorkbook(given))


def open_live(book: Any) -> DiscoveringEditable:
    """An xlwings book to change in place: nothing is saved (its user saves)."""
    return DiscoveringEditable(LiveWorkbook(book))


@contextmanager
def held(path: Path | str) -> Iterator[Path]:
    """The right to change the file at ``path`` (yields its real path, symlinks followed),
    for an action that writes the file itself (recalc): the same lock and refusal while
    Excel has it open as :func:`changing`."""
    with exclusive(Path(path)) as real:
        yield real


@contextmanager
def changing(path: Path | str) -> Iterator[DiscoveringEditable]:
    """The workbook file at ``path``, held for the whole read-check-write: refused while
    Excel has it open (its ``~$`` owner file is there) or another lfi-xl command changes
    it; saved over the original (``NAME.bak`` kept) when the block ends without an
    exception, left exactly as it was otherwise."""
    with changing_both(path) as (workbook,):
        yield workbook


@contextmanager
def changing_both(*paths: Path | str) -> Iterator[tuple[DiscoveringEditable, ...]]:
    """:func:`changing` for several workbooks at once (the KPI and plan workbooks of
    start-period): every file is held before any is read, and each is saved only after
    the action succeeded on all of them."""
    if len({real_path(Path(path)).resolve() for path in paths}) < len(paths):
        raise UnusableInput(f"{' and '.join(map(str, paths))} are the same file: name each "
                            "workbook once")
    with ExitStack() as stack:
        real = [stack.enter_context(exclusive(Path(path))) for path in paths]
        files = [FileWorkbook(path) for path in real]
        yield tuple(DiscoveringEditable(file) for file in files)
        for file in files:
            file.save(backup=True)
