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

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from lfi_xl.adapters.excel.live import LiveWorkbook
from lfi_xl.adapters.files.package import (
    Package,
    exclusive,
    real_path,
    refuse_link,
    save_together,
)
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.adapters.files.receipts import open_receipts, receipts_path, write_receipt
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
        refuse_link(receipts_path(real), "the receipt file")
        yield real


@contextmanager
def changing(path: Path | str, *, receipt: dict | None = None
             ) -> Iterator[DiscoveringEditable]:
    """The workbook file at ``path``, held for the whole read-check-write: refused while
    Excel has it open (its ``~$`` owner file is there) or another lfi-xl command changes
    it; saved over the original (``NAME.bak`` kept) when the block ends without an
    exception, left exactly as it was otherwise. ``receipt``: a dict the block fills
    with the freeze's receipt, added to the workbook's receipt file as part of the
    change (see :func:`changing_both`); its ``"receipts"`` is then that file's path."""
    with changing_both(path, receipt=receipt) as (workbook,):
        yield workbook


@contextmanager
def changing_both(*paths: Path | str, receipt: dict | None = None
                  ) -> Iterator[tuple[DiscoveringEditable, ...]]:
    """:func:`changing` for several workbooks at once (the KPI and plan workbooks of
    start-period): every file is held before any is read (in the order given: the KPI
    workbook first in every command, so two commands never wait on each other), and
    all are saved both-or-neither (:func:`save_together`: every new file written in
    full before the first replaces its original) only after the action succeeded.

    With ``receipt``, the first workbook's receipt file is opened (never through a
    link) before anything is saved, so a receipt that cannot be kept refuses the change
    while nothing changed; the receipt is written after the save and before the block's
    caller reports anything, and a receipt lost after the save is refused in one line
    saying the workbook IS changed, with the chain head to keep."""
    if len({real_path(Path(path)).resolve() for path in paths}) < len(paths):
        raise UnusableInput(f"{' and '.join(map(str, paths))} are the same file: name each "
                            "workbook once")
    with ExitStack() as stack:
        real = [stack.enter_context(exclusive(Path(path))) for path in paths]
        for held_path in real:   # never a receipt written through a link, by any command
            refuse_link(receipts_path(held_path), "the receipt file")
        files = [FileWorkbook(path) for path in real]
        yield tuple(DiscoveringEditable(file) for file in files)
        saves = [(file.package, path) for file, path in zip(files, real, strict=True)]
        if receipt is None:
            save_together(saves)
            return
        save_with_receipt(saves, real[0], receipt)


def save_with_receipt(saves: list[tuple[Package, Path]], workbook: Path,
                      receipt: dict) -> None:
    """Save (:func:`save_together`) and add ``receipt`` to the first workbook's receipt
    file, opened (never through a link) before anything is saved: the freeze's receipt is
    part of the change, and one lost after the save is said in one line."""
    refuse_link(receipts_path(workbook), "the receipt file")
    had_receipts = receipts_path(workbook).exists()
    handle = open_receipts(workbook)
    try:
        try:
            save_together(saves)
        except BaseException:
            if not had_receipts and os.fstat(handle).st_size == 0:
                receipts_path(workbook).unlink()   # made just now: not left behind
            raise
        try:
            write_receipt(handle, receipt)
        except OSError as error:
            raise UnusableInput(
                f"{workbook} IS FROZEN: {receipt.get('period')} was saved as snapshot "
                f"{receipt.get('snapshot')} (the original is kept as {workbook.name}.bak), but "
                f"its receipt could not be added to {receipts_path(workbook)} "
                f"({error.strerror}): keep this audit chain head elsewhere yourself: "
                f"{receipt.get('head')}") from None
    finally:
        os.close(handle)
    receipt["receipts"] = receipts_path(workbook)
