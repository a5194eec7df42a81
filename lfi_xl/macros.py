"""The ribbon's buttons: Validate entries, Freeze period snapshot, Build Schools Forum
extract, Adopt this workbook, Check lfi-xl. Each runs on the workbook that called it
(``xw.Book.caller()``) through the live adapter, on exactly the code the command line
runs on files.

Where the workbook is comes from Excel's own ``FullName`` and ``Path`` (:func:`location`),
never from xlwings' ``Book.fullname``: for a file on OneDrive or SharePoint (AutoSave on,
an ``https://`` name) that calls ``fullname_url_to_local_path``, which raises for unsynced
libraries, hyphenated tenant names and duplicate file names. Such a workbook gets its
outputs in a local folder (:func:`output_folder`); a workbook never saved is refused
("save it first") rather than written next to Python; and with AutoSave on, a copy is
taken first (Freeze and Extract change the workbook, and AutoSave saves that with no
Undo).
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lfi_xl import contract as c
from lfi_xl.adapters.excel.live import LiveWorkbook
from lfi_xl.adapters.opening import open_live, open_workbook
from lfi_xl.book.findings import Finding
from lfi_xl.book.workbook import Workbook
from lfi_xl.core.periods import parse_period
from lfi_xl.errors import Refused, UnusableInput

if TYPE_CHECKING:
    from lfi_xl.actions.adopt import Adopted
    from lfi_xl.actions.freeze import Frozen
    from lfi_xl.actions.start_period import Started

R = TypeVar("R")


def _book(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _refusing(what: str) -> Callable[[Callable[..., R]], Callable[..., R | None]]:
    """A button's refusal (:class:`~lfi_xl.errors.Refused`), told in one message box,
    "``what``: the reason", the button then giving ``None``: every button's the same."""
    def decorate(button: Callable[..., R]) -> Callable[..., R | None]:
        @functools.wraps(button)
        def run(book: Any = None, *args: Any, **kwargs: Any) -> R | None:
            book = _book(book)
            try:
                return button(book, *args, **kwargs)
            except Refused as refusal:
                _tell(book, f"{what}: {refusal}")
                return None
        return run
    return decorate


def _tell(book: Any, message: str) -> None:
    """Show a message to the person who pressed the button, where the host allows it."""
    try:
        book.app.alert(message, title="Local First Inclusion")
    except Exception:  # hosts without message boxes: the sheet changes speak for themselves
        pass


def _office_user(book: Any) -> str:
    """Who is freezing: the user name Office knows (File > Options), else the login."""
    try:
        name = str(book.app.api.UserName or "").strip()
    except Exception:  # hosts without Excel's object model
        name = ""
    return name or getpass.getuser()


def location(book: Any) -> tuple[str, str]:
    """``(FullName, Path)`` of the workbook as Excel's COM object gives them: ``Path`` is
    "" for a workbook never saved, and both are ``https://...`` for one on OneDrive or
    SharePoint. Hosts without COM (xlwings' JSON engine) give their ``fullname``."""
    try:
        return str(book.api.FullName), str(book.api.Path)
    except Exception:
        fullname = str(getattr(book, "fullname", None) or "")
        folder = Path(fullname).parent
        return fullname, str(folder) if folder.is_absolute() else ""


def local_folder(home: Path | None = None) -> Path:
    """Where outputs go for a workbook that is not in a local folder: Documents\\lfi-xl."""
    home = Path.home() if home is None else home
    documents = home / "Documents"
    return (documents if documents.is_dir() else home) / "lfi-xl"


def output_folder(fullname: str, path: str, what: str, home: Path | None = None) -> Path:
    """The folder for what a button writes: the workbook's own, or :func:`local_folder`
    for one on OneDrive/SharePoint; a workbook never saved is refused."""
    from lfi_xl.errors import UnusableInput

    if not path:
        raise UnusableInput(f"{fullname or 'This workbook'} has never been saved: save it "
                            f"first (File > Save As), then {what} again.")
    if "://" in path:
        folder = local_folder(home)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return Path(path)


def _autosave_on(book: Any) -> bool:
    try:
        return bool(book.api.AutoSaveOn)
    except Exception:  # Excel before 2016, or no COM: no AutoSave
        return False


def _safety_copy(book: Any, fullname: str, folder: Path) -> Path | None:
    """With AutoSave on, a copy of the workbook as it is now (``SaveCopyAs``: the open
    workbook stays as it is), since what the button changes is saved with no Undo."""
    if not _autosave_on(book):
        return None
    name = Path(fullname.replace("\\", "/").rsplit("/", 1)[-1])
    copy = folder / f"{name.stem} before lfi-xl {dt.datetime.now():%Y-%m-%d %H%M%S}{name.suffix}"
    book.api.SaveCopyAs(str(copy))
    return copy


def validate_entries(book: Any = None) -> list[Finding]:
    """Check the workbook and list the findings on a Validation sheet, each cell linked."""
    from lfi_xl.actions.validate import validate

    workbook = open_live(_book(book))
    findings = validate(workbook)
    rows: list[list[Any]] = []
    links = {}
    for number, finding in enumerate(findings, start=2):
        rows.append([finding.severity, finding.sheet, finding.cell, str(finding.rule),
                     finding.message])
        if finding.cell and ":" not in finding.cell and finding.sheet in workbook.sheet_names:
            links[f"C{number}"] = f"'{finding.sheet}'!{finding.cell}"
    if not rows:
        rows = [["info", "", "", "", "No findings: the entries pass every check."]]
    workbook.replace_sheet(c.VALIDATION, list(c.VALIDATION_COLUMNS), rows, links)
    return findings


@_refusing("Not frozen")
def freeze_period_snapshot(book: Any = None, period: str | None = None, by: str | None = None,
                           supersede: bool = False, reason: str | None = None) -> Frozen:
    """Freeze the current report period (Settings) of the workbook that called."""
    from lfi_xl.actions.freeze import freeze

    fullname, path = location(book)
    folder = output_folder(fullname, path, "freeze") if _has_com(book) else None
    workbook = open_live(book)
    copy = _safety_copy(book, fullname, folder) if folder else None
    # The hash is of the file as saved: a local file, or the copy just taken.
    saved = copy or (Path(fullname) if fullname and "://" not in fullname else None)
    source = saved.read_bytes() if saved and saved.is_file() else None
    frozen = freeze(workbook, parse_period(period) if period else None,
                    by or _office_user(book), supersede, reason, source)
    # No receipt file from here: the freeze exists only once the user saves.
    kept = f" AutoSave is on, so a copy from before was kept: {copy}." if copy else ""
    _tell(book, f"{frozen}. Save the workbook to keep it; keep a copy of the chain head "
                f"(lfi-xl verify checks the file still holds it).{kept}")
    return frozen


def build_forum_extract(book: Any = None, plan: Path | Workbook | None = None,
                        folder: Path | None = None) -> Path:
    """Write the extract (and its PDF, through Excel where it can) next to the workbook."""
    from lfi_xl.actions.extract import build_extract
    from lfi_xl.actions.forum_paper import extract_name, write_extract

    book = _book(book)
    live, copy = LiveWorkbook(book), None
    if folder is None:
        fullname, path = location(book)
        folder = output_folder(fullname, path, "build the extract")
        copy = _safety_copy(book, fullname, folder)
        # The cover's file name and hash: of the copy, or of the local file as saved.
        live.path = copy or (fullname if "://" not in fullname else None)
    data = build_extract(live, open_workbook(plan or _plan_workbook(book)))
    target = write_extract(data, folder / extract_name(data))
    try:  # desktop Excel writes the PDF itself
        extract = book.app.books.open(str(target))
        extract.to_pdf(str(target.with_suffix(".pdf")))
        extract.close()
    except Exception:
        pass
    kept = f" AutoSave is on, so a copy of the workbook as it was is kept: {copy}." if copy \
        else ""
    _tell(book, f"Schools Forum extract written: {target}.{kept}")
    return target


def _recorded_plan(book: Any) -> tuple[Path | None, UnusableInput | None]:
    """(The DSG plan workbook the last refresh recorded in Settings, if unchanged, else
    None; and why not.) A recorded relative path is read from the workbook's own folder,
    as Excel's COM object gives it."""
    from lfi_xl.actions.extract import PlanNotKnown, recorded_plan
    from lfi_xl.book.kpi_book import KpiBook

    live = LiveWorkbook(book)
    fullname = location(book)[0]
    live.path = fullname if fullname and "://" not in fullname else None
    try:
        return recorded_plan(KpiBook(live), live), None
    except PlanNotKnown as reason:
        return None, reason


def build_dfe_return(book: Any = None, plan: Path | Workbook | None = None,
                     folder: Path | None = None) -> list[Path]:
    """Write the DfE monitoring return for the current report period next to the workbook:
    from its frozen snapshot, or, while the period is not frozen, a draft marked DRAFT.
    The values-only copies are made from the saved files, so the workbook must be saved."""
    from lfi_xl.actions.dfe_return import build_dfe_return as gather
    from lfi_xl.actions.dfe_return import write_dfe_return

    book = _book(book)
    kpi = open_live(book)
    given = plan or _recorded_plan(book)[0] or _open_plan_book(book)
    plan_workbook = open_workbook(given) if given is not None else None
    unsaved = [workbook.label for workbook in (kpi, plan_workbook)
               if workbook is not None and workbook.path is None]
    try:  # desktop Excel: changes not saved yet would be missing from the copies
        if book.api.Saved is False:
            unsaved.append(book.name)
    except Exception:  # hosts without the COM object model: the file as saved is used
        pass
    if plan_workbook is None or unsaved:
        raise UnusableInput(f"Save {' and '.join(unsaved) or 'the DSG plan workbook'} first "
                            "(or open the DSG plan workbook, or refresh from it): the DfE "
                            "return copies the saved files")
    try:
        data = gather(kpi, plan_workbook)
    except Refused:   # not frozen yet: a draft, said so on every page and here
        data = gather(kpi, plan_workbook, draft=True)
    kpi_file, plan_file = kpi.path, plan_workbook.path
    assert kpi_file is not None and plan_file is not None  # both saved: checked above
    written = write_dfe_return(data, kpi_file, plan_file, folder or kpi_file.parent)
    _tell(book, ("DRAFT DfE return (the period is not frozen) written:\n" if data.draft
                 else f"DfE return for {data.period} (snapshot {data.snapshot}) written:\n")
          + "\n".join(str(path) for path in written))
    return written


def _open_plan_book(book: Any) -> LiveWorkbook | None:
    """A DSG plan workbook the user has open in the same Excel, if any."""
    try:
        for other in book.app.books:
            if other != book and c.PLAN_TABLE in [name.name for name in other.names]:
                return LiveWorkbook(other)
    except Exception:  # hosts without an app's list of books
        pass
    return None


def _plan_workbook(book: Any) -> Path:
    """The plan for the paper: the one the last refresh recorded; when there is none, or
    the file changed since, the user is told why and asked to choose it (the paper never
    guesses its plan)."""
    plan, reason = _recorded_plan(book)
    if plan is not None:
        return plan
    _tell(book, f"{reason}. Choose the DSG plan workbook to use.")
    try:  # Excel's own file dialog; False when the user cancels
        chosen = book.app.api.GetOpenFilename(
            "Excel workbooks (*.xlsx;*.xlsm),*.xlsx;*.xlsm", 1,
            "The DSG plan workbook for the Schools Forum extract")
    except Exception:  # no dialog on this host
        chosen = False
    if not chosen:
        raise reason or UnusableInput("no DSG plan workbook chosen")
    return Path(chosen)


def _has_com(book: Any) -> bool:
    """Whether the host is Excel's COM object model (xlwings' JSON engine is not)."""
    try:
        return hasattr(book.api, "FullName")
    except Exception:
        return False


@_refusing("Not adopted")
def adopt_workbook(book: Any = None) -> Adopted:
    """Find the plan and KPI tables by their labels and add lfi-xl's names and Settings."""
    from lfi_xl.actions.adopt import adopt

    adopted = adopt(open_live(book))
    _tell(book, f"{adopted} Save the workbook to keep them.\n\n"
                + "\n".join(adopted.found[:25]))
    return adopted


@_refusing("Not started")
def start_next_period(book: Any = None, period: str | None = None,
                      allow_gap: bool = False) -> Started:
    """Start the report after Settings' current one: its formulas, inputs and Settings,
    and Plan Data from the DSG plan workbook (the one the last refresh recorded, or one
    open in the same Excel; a file not open in Excel is changed as a file, safely)."""
    from lfi_xl.actions.start_period import start_period
    from lfi_xl.adapters.opening import changing

    workbook = open_live(book)
    target = parse_period(period) if period else None
    recorded = _recorded_plan(book)[0]
    open_plan = None if recorded else _open_plan_book(book)
    if recorded is not None:
        with changing(recorded) as plan:
            started = start_period(workbook, target, plan, allow_gap)
    else:
        started = start_period(workbook, target,
                               open_live(open_plan.book) if open_plan else None, allow_gap)
    _tell(book, f"{started}" + ("" if started.plan_data else " Open the DSG plan workbook "
                                "and run it again to fill Plan Data.")
          + " Enter the period's figures, press F9, then Validate entries. Save the "
          "workbook to keep it.")
    return started


BUTTONS: dict[str, Callable[..., object]] = {
    "lfi_validate": validate_entries,
    "lfi_freeze": freeze_period_snapshot,
    "lfi_extract": build_forum_extract,
    "lfi_adopt": adopt_workbook,
    "lfi_start": start_next_period,
    "lfi_dfe_return": build_dfe_return,
}


def button(control_id: str) -> None:
    """What the ribbon calls: ``RunPython "import lfi_xl.macros; lfi_xl.macros.button('...')"``.

    A workbook lfi-xl cannot use gets a plain message box, not a Python traceback.
    """
    book = _book(None)
    try:
        BUTTONS[control_id](book)
    except UnusableInput as error:
        _tell(book, str(error))
