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
taken first (Freeze, Extract, Adopt and Start next period change the workbook, and
AutoSave saves that with no Undo).

A workbook Excel has open is changed only through Excel: Start next period changes the
DSG plan workbook through this Excel when it is open here (found by ``FullName``), and
refuses, before anything changes, when it is open anywhere else (Excel's ``~$`` owner file
beside it, or Windows refusing to open it for writing). No output is written over a file
that is open (:func:`refuse_if_open`).

The buttons run inside the add-in's long-lived Python server: nothing here exits the
process or keeps state between presses.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import posixpath
from collections.abc import Callable
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any, TypeVar

from lfi_xl import contract as c
from lfi_xl.adapters.excel.live import LiveWorkbook
from lfi_xl.adapters.files.package import owner_file
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
    return _copy_now(book, fullname, folder, "before lfi-xl")


def _copy_now(book: Any, fullname: str, folder: Path, what: str) -> Path:
    """The workbook as Excel holds it now, written by Excel into ``folder``
    (``SaveCopyAs``), named ``NAME <what> <date time>``."""
    name = Path(fullname.replace("\\", "/").rsplit("/", 1)[-1])
    copy = folder / f"{name.stem} {what} {dt.datetime.now():%Y-%m-%d %H%M%S}{name.suffix}"
    book.api.SaveCopyAs(str(copy))
    return copy


def _copy_first(book: Any, what: str) -> Path | None:
    """:func:`_safety_copy` for a button that changes ``book``: the same AutoSave rule as
    Freeze; the copy goes where the button's outputs go (:func:`output_folder`)."""
    if not _autosave_on(book):
        return None
    fullname, path = location(book)
    return _safety_copy(book, fullname, output_folder(fullname, path, what))


def _kept(copies: list[Path]) -> str:
    """The message's sentence on the copies taken under AutoSave, or nothing."""
    if not copies:
        return ""
    return (" AutoSave is on, so a copy from before was kept: "
            + "; ".join(str(copy) for copy in copies) + ".")


def _same_place(one: str, other: str) -> bool:
    """Whether two full names (Excel's ``FullName``, a path, a URL) name the same file, as
    Windows compares them: case and slashes aside."""
    def plain(name: str) -> str:
        return posixpath.normpath(name.replace("\\", "/")).casefold()
    return bool(one) and bool(other) and plain(one) == plain(other)


def open_here(book: Any, fullname: str) -> Any | None:
    """The workbook this Excel has open under ``fullname`` (its COM ``FullName``,
    compared as Windows does), or ``None``."""
    try:
        books = list(book.app.books)
    except Exception:  # hosts without an app's list of books
        return None
    for other in books:
        if _same_place(location(other)[0], fullname):
            return other
    return None


def refuse_if_open(book: Any, path: Path, what: str, instead: str = "close it") -> None:
    """Refused (exit 2) before anything changes when ``path`` is open: in this Excel, in
    Excel anywhere (its ``~$`` owner file beside it), or in any program Windows will not
    let write it (opening it for writing fails). Opening to check changes nothing."""
    if open_here(book, str(path)) is not None:
        raise UnusableInput(f"{path} is open in this Excel: close it, then {what} again "
                            "(lfi-xl never writes a file Excel has open). Nothing was changed.")
    owner = owner_file(path)
    if owner is not None:
        raise UnusableInput(f"{path} is open in Excel, here or on another PC ({owner.name} "
                            f"is beside it): {instead}, then {what} again. Nothing was "
                            "changed.")
    if path.is_file():
        try:
            with open(path, "r+b"):
                pass
        except PermissionError:
            raise UnusableInput(f"{path} is open in another program, or read-only: "
                                f"{instead}, then {what} again. Nothing was changed."
                                ) from None


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
                    by or _office_user(book), supersede, reason, source,
                    plan=_plan_for_checks(book))
    # No receipt file from here: the freeze exists only once the user saves.
    kept = f" AutoSave is on, so a copy from before was kept: {copy}." if copy else ""
    _tell(book, f"{frozen}. Save the workbook to keep it; keep a copy of the chain head "
                f"(lfi-xl verify checks the file still holds it).{kept}")
    return frozen


def _plan_for_checks(book: Any) -> Workbook | None:
    """The DSG plan workbook freeze checks Plan Data against: the one Settings record, or
    one open in the same Excel (None: freeze says which is needed)."""
    recorded = _recorded_plan(book)[0]
    if recorded is not None:
        return open_workbook(recorded)
    return _open_plan_book(book)


@_refusing("Not refreshed")
def refresh_plan_figures(book: Any = None) -> object:
    """Refresh: Plan Data of the current report from the DSG plan workbook's latest
    forecast (the one Settings record, or one open in the same Excel), then Excel
    recalculates. A frozen period is corrected with Supersede frozen period instead."""
    from lfi_xl.actions.refresh import refresh_plan_data

    plan = _plan_for_checks(book)
    if plan is None:
        raise UnusableInput("Which DSG plan workbook? None is recorded in Settings, and none "
                            "is open in this Excel: open it, then press Refresh plan figures "
                            "again")
    refreshed = refresh_plan_data(open_live(book), plan)
    _calculate(book)
    _tell(book, f"{refreshed} Excel has recalculated: Validate entries next. Save the "
                "workbook to keep it.")
    return refreshed


@_refusing("Not superseded")
def supersede_frozen_period(book: Any = None, reason: str | None = None,
                            by: str | None = None) -> Frozen | None:
    """Supersede frozen period: the one step that corrects a frozen report. Asks why,
    brings the plan's latest forecast into Plan Data, lets Excel recalculate, and freezes
    the period again (the old snapshot kept, marked superseded, with the reason)."""
    from lfi_xl.actions.freeze import freeze, superseding
    from lfi_xl.actions.refresh import refresh_plan_data
    from lfi_xl.book.kpi_book import KpiBook

    reason = reason if reason is not None else _ask(
        book, "Why is the frozen period corrected? (kept in the Audit log and printed on "
              "the Schools Forum paper)")
    if not (reason or "").strip():
        _tell(book, "Not superseded: a superseding snapshot needs a reason.")
        return None
    workbook = open_live(book)
    kpis = KpiBook(workbook)
    superseding(kpis, kpis.settings.current_period, reason)   # before anything changes
    plan = _plan_for_checks(book)
    if plan is not None:
        refresh_plan_data(workbook, plan, superseding=True)
        _calculate(book)
    frozen = freeze(workbook, None, by or _office_user(book), True, reason, None, plan=plan)
    _tell(book, f"{frozen}. Save the workbook to keep it; keep a copy of the chain head "
                "(lfi-xl verify checks the file still holds it).")
    return frozen


def _calculate(book: Any) -> None:
    """Excel recalculates the workbook (F9), where the host can."""
    try:
        book.app.calculate()
    except Exception:  # hosts that do not calculate (xlwings' file engines): recalc does
        pass


def _ask(book: Any, prompt: str) -> str:
    """A line of text from the person who pressed the button ("" when they cancel)."""
    try:
        answer = book.app.api.InputBox(prompt, "Local First Inclusion")
    except Exception:  # hosts without an input box
        return ""
    return "" if answer is False else str(answer)


@_refusing("No Schools Forum extract")
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
    target = folder / extract_name(data)
    for output in (target, target.with_suffix(".pdf")):  # last time's, still open
        refuse_if_open(book, output, "build the extract")
    write_extract(data, target)
    kept = f" AutoSave is on, so a copy of the workbook as it was is kept: {copy}." if copy \
        else ""
    _tell(book, f"Schools Forum extract written: {target}.{kept}{_pdf(book, target)}")
    return target


def _pdf(book: Any, target: Path) -> str:
    """Desktop Excel writes the extract's PDF itself: the message's sentence on the PDF,
    made or not, and why not."""
    pdf = target.with_suffix(".pdf")
    try:
        extract = book.app.books.open(str(target))
    except Exception as error:
        return (f" No PDF was made: Excel could not open the extract ({_why(error)}). Open "
                f"{target} and save it as PDF (File > Export).")
    try:
        extract.to_pdf(str(pdf))
    except Exception as error:
        return (f" No PDF was made: Excel could not export it ({_why(error)}). The extract "
                f"is open in Excel ({target}): save it as PDF from there (File > Export).")
    try:
        extract.close()
    except Exception:  # the PDF is made; an extract left open is harmless
        pass
    return f" PDF: {pdf}."


def _why(error: Exception) -> str:
    """What Excel said, in a sentence: a COM error's own description (pywin32's
    ``com_error`` carries it in its third argument, the exception info: code, source,
    description, ...), else the error's text, at most 200 characters; never a Python
    type's name."""
    args: tuple[Any, ...] = tuple(getattr(error, "args", ()))
    if len(args) >= 3 and isinstance(args[2], tuple) and len(args[2]) >= 3 and args[2][2]:
        text = str(args[2][2])   # (code, source, description, ...): Excel's own words
    elif len(args) >= 2 and isinstance(args[1], str) and isinstance(args[0], int):
        text = args[1]           # (hresult, "Exception occurred.", ...)
    else:
        text = str(error)
    text = " ".join(text.split())
    return text[:200] if text else "it gave no reason"


def _recorded_plan(book: Any) -> tuple[Path | None, UnusableInput | None]:
    """(The DSG plan workbook the last refresh recorded in Settings, if unchanged, else
    None; and why not.) A recorded relative path is read from the workbook's own folder,
    as Excel's COM object gives it."""
    from lfi_xl.actions.extract import PlanNotKnown, recorded_plan
    from lfi_xl.book.kpi_book import KpiBook

    live = LiveWorkbook(book)
    fullname = location(book)[0]
    live.path = fullname if fullname and "://" not in fullname else None
    kpis = KpiBook(live)
    recorded = kpis.settings.plan_workbook
    if live.path is None and recorded and not _absolute(recorded):
        # Not beside a file on this PC, and never the Python server's working folder.
        return None, PlanNotKnown(f"{kpis.label}: the DSG plan workbook the last refresh "
                                  f"recorded, {recorded}, is beside this workbook, which "
                                  "is not in a folder on this PC: open it in this Excel")
    try:
        return recorded_plan(kpis, live), None
    except PlanNotKnown as reason:
        return None, reason


def _absolute(name: str) -> bool:
    """Whether a recorded file name is a full one (``C:\\...``, ``\\\\server\\...``,
    ``/...``, a URL)."""
    return "://" in name or PureWindowsPath(name).is_absolute() or Path(name).is_absolute()


def _recorded_name(book: Any) -> str:
    """The DSG plan workbook the last refresh recorded, as a full name to find among the
    workbooks Excel has open: as recorded when full, else beside this workbook (Excel's
    ``Path``: a folder, or a OneDrive/SharePoint address); "" when none is recorded."""
    from lfi_xl.book.kpi_book import KpiBook

    recorded = KpiBook(LiveWorkbook(book)).settings.plan_workbook
    path = location(book)[1]
    if not recorded or _absolute(recorded) or not path:
        return recorded
    return path.rstrip("/\\") + ("/" if "://" in path else "\\" if "\\" in path
                                  else "/") + recorded


@_refusing("No DfE return")
def build_dfe_return(book: Any = None, plan: Path | Workbook | None = None,
                     folder: Path | None = None) -> list[Path]:
    """Write the DfE monitoring return for the current report period next to the workbook
    (in the local folder for one on OneDrive/SharePoint): from its frozen snapshot, or,
    while the period is not frozen, a draft marked DRAFT. The values-only copies are made
    from the saved files, so a workbook in a local folder must be saved; one on
    OneDrive/SharePoint is copied by Excel as it is now (``SaveCopyAs``)."""
    from lfi_xl.actions.dfe_return import build_dfe_return as gather
    from lfi_xl.actions.dfe_return import return_name, write_dfe_return

    book = _book(book)
    fullname, path = location(book)
    if folder is None and _has_com(book):
        folder = output_folder(fullname, path, "build the DfE return")
    kpi_live = _saved_as_file(book, folder)
    kpi = open_workbook(kpi_live)
    given: Path | Workbook | LiveWorkbook | None = plan or _recorded_plan(book)[0]
    if given is None:
        other = _open_plan_book(book)
        given = _saved_as_file(other.book, folder) if other is not None else None
    elif isinstance(given, Path) and open_here(book, str(given)) is not None:
        given = _saved_as_file(open_here(book, str(given)), folder)
    plan_workbook = open_workbook(given) if given is not None else None
    unsaved = [workbook.label for workbook in (kpi, plan_workbook)
               if workbook is not None and workbook.path is None]
    live_books = [book] + ([given.book] if isinstance(given, LiveWorkbook) else [])
    for each in live_books:
        try:  # desktop Excel: changes not saved yet would be missing from the copies
            if each.api.Saved is False and "://" not in location(each)[0]:
                unsaved.append(each.name)
        except Exception:  # hosts without the COM object model: the file as saved is used
            pass
    if plan_workbook is None or unsaved:
        raise UnusableInput(f"Save {' and '.join(unsaved) or 'the DSG plan workbook'} first "
                            "(or open the DSG plan workbook, or refresh from it): the DfE "
                            "return copies the saved files")
    try:
        data = gather(kpi, plan_workbook)
    except Refused as refusal:   # not frozen yet: a draft, said so on every page and here
        data = gather(kpi, plan_workbook, draft=True)
        if data.frozen:   # a frozen period: refused as the command refuses it
            raise refusal from None
    kpi_file, plan_file = kpi.path, plan_workbook.path
    assert kpi_file is not None and plan_file is not None  # both saved: checked above
    folder = folder or kpi_file.parent   # hosts without COM: beside the file as saved
    for kind, suffix in (("return", ".docx"), ("KPIs", ".xlsx"), ("DSG_plan", ".xlsx")):
        refuse_if_open(book, folder / return_name(data, kind, suffix), "build the DfE return")
    written = write_dfe_return(data, kpi_file, plan_file, folder)
    _tell(book, ("DRAFT DfE return (the period is not frozen) written:\n" if data.draft
                 else f"DfE return for {data.period} (snapshot {data.snapshot}) written:\n")
          + "\n".join(str(path) for path in written))
    return written


def _saved_as_file(book: Any, folder: Path | None) -> LiveWorkbook:
    """An open workbook with the saved file behind it: its own, in a local folder; for one
    on OneDrive/SharePoint, a copy Excel writes now into ``folder`` (the button's output
    folder); none for one never saved."""
    live = LiveWorkbook(book)
    fullname = location(book)[0]
    if "://" in fullname and folder is not None:
        live.path = _copy_now(book, fullname, folder, "as sent")
    return live


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


#: Lines of what adopt found that the Adopt button's message box shows (a box taller than
#: the screen hides its OK button).
ADOPT_LINES = 30


@_refusing("Not adopted")
def adopt_workbook(book: Any = None) -> Adopted:
    """Find the plan and KPI tables by their labels and add lfi-xl's names and Settings."""
    from lfi_xl.actions.adopt import adopt

    workbook = open_live(book)
    copy = _copy_first(book, "adopt it")
    adopted = adopt(workbook)
    # what it read, assumed and added first; then each label's match, as many as fit
    first = list(adopted.headlines)
    matches = [line for line in adopted.details if line not in first]
    room = max(0, ADOPT_LINES - len(first))
    shown = first + (["Each label found, and what it was taken for:"] if matches else []) \
        + matches[:room] + ([f"  ... and {len(matches) - room} more"]
                            if len(matches) > room else [])
    _tell(book, f"{adopted.summary} Save the workbook to keep them."
                f"{_kept([copy] if copy else [])}\n\n" + "\n".join(shown))
    return adopted


@_refusing("Not started")
def start_next_period(book: Any = None, period: str | None = None,
                      allow_gap: bool = False) -> Started:
    """Start the report after Settings' current one: its formulas, inputs and Settings,
    and Plan Data from the DSG plan workbook (the one the last refresh recorded, or one
    open in the same Excel).

    The plan workbook is found before anything changes: open in this Excel, it is changed
    there (its user saves); open anywhere else, the button refuses and nothing changes;
    otherwise its file is changed safely (:func:`~lfi_xl.adapters.opening.changing`).
    With AutoSave on, a copy of each workbook it changes is taken first."""
    from lfi_xl.actions.start_period import start_period
    from lfi_xl.adapters.opening import changing

    what = "start the next period"
    workbook = open_live(book)
    target = parse_period(period) if period else None
    plan_book, plan_file = _plan_to_start(book)
    if plan_file is not None:
        refuse_if_open(book, plan_file, what, "close it there, or open it in this Excel")
    copies = [copy for copy in (_copy_first(book, what),
                                _copy_first(plan_book, what) if plan_book else None) if copy]
    if plan_file is not None:
        with changing(plan_file) as plan:
            started = start_period(workbook, target, plan, allow_gap)
    else:
        started = start_period(workbook, target,
                               open_live(plan_book) if plan_book is not None else None,
                               allow_gap)
    saved = ("Save both workbooks to keep it." if plan_book is not None
             else "Save the workbook to keep it.")
    _tell(book, f"{started}" + ("" if started.plan_data else " To fill Plan Data: open the "
                                "DSG plan workbook, then press Refresh plan figures.")
          + f" Enter the period's figures, press F9, then Validate entries. {saved}"
          + _kept(copies))
    return started


def _plan_to_start(book: Any) -> tuple[Any | None, Path | None]:
    """(The DSG plan workbook open in this Excel, to change there; or its file, to change
    as a file), either or neither: the one the last refresh recorded (open here, found by
    its full name; else its file, if unchanged since), else a plan open in this Excel."""
    recorded = _recorded_name(book)
    here = open_here(book, recorded) if recorded else None
    if here is not None:
        return here, None
    plan = _recorded_plan(book)[0]
    if plan is not None:
        return None, plan
    other = _open_plan_book(book)
    return (other.book if other is not None else None), None


BUTTONS: dict[str, Callable[..., object]] = {
    "lfi_validate": validate_entries,
    "lfi_freeze": freeze_period_snapshot,
    "lfi_extract": build_forum_extract,
    "lfi_adopt": adopt_workbook,
    "lfi_start": start_next_period,
    "lfi_dfe_return": build_dfe_return,
    "lfi_refresh": refresh_plan_figures,
    "lfi_supersede": supersede_frozen_period,
}


def button(control_id: str) -> None:
    """What the ribbon calls: ``RunPython "import lfi_xl.macros; lfi_xl.macros.button('...')"``.

    A workbook lfi-xl cannot use gets a plain message box, not a Python traceback.
    """
    book = _book(None)
    try:
        BUTTONS[control_id](book)
    except (UnusableInput, Refused) as error:
        _tell(book, str(error))
    except Exception:  # a fault of lfi-xl's: a plain box, the details kept for support
        _tell(book, "The button stopped on a fault in lfi-xl, not in your workbook. What it "
                    "changed is only in the open workbook (close it without saving to undo "
                    f"that). The details are in {_fault_report()}: send that file to whoever "
                    "supports lfi-xl.")


def _fault_report() -> Path:
    """The traceback of the fault being handled, written to a dated file in the user's
    temporary folder (the only place sure to be writable on a locked-down PC)."""
    import tempfile
    import traceback

    path = Path(tempfile.gettempdir()) / f"lfi-xl-fault-{dt.datetime.now():%Y%m%d-%H%M%S}.txt"
    path.write_text(traceback.format_exc(), encoding="utf-8")
    return path
