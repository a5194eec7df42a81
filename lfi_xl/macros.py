"""The ribbon's buttons: Validate entries, Freeze period snapshot, Build Schools Forum
extract. Each runs on the workbook that called it (``xw.Book.caller()``) through the live
adapter, on exactly the code the command line runs on files."""

from __future__ import annotations

import getpass
from pathlib import Path

from lfi_xl import contract as c
from lfi_xl.adapters.excel.live import LiveWorkbook
from lfi_xl.book.findings import Finding


def _book(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _tell(book, message: str) -> None:
    """Show a message to the person who pressed the button, where the host allows it."""
    try:
        book.app.alert(message, title="Local First Inclusion")
    except Exception:  # hosts without message boxes: the sheet changes speak for themselves
        pass


def validate_entries(book=None) -> list[Finding]:
    """Check the workbook and list the findings on a Validation sheet, each cell linked."""
    from lfi_xl.actions.validate import validate

    adapter = LiveWorkbook(_book(book))
    findings = validate(adapter)
    rows, links = [], {}
    for number, finding in enumerate(findings, start=2):
        rows.append([finding.severity, finding.sheet, finding.cell, finding.rule,
                     finding.message])
        if finding.cell and ":" not in finding.cell and finding.sheet in adapter.sheet_names:
            links[f"C{number}"] = f"'{finding.sheet}'!{finding.cell}"
    if not rows:
        rows = [["info", "", "", "", "No findings: the entries pass every check."]]
    adapter.replace_sheet(c.VALIDATION, list(c.VALIDATION_COLUMNS), rows, links)
    return findings


def freeze_period_snapshot(book=None, period: str | None = None, by: str | None = None,
                           supersede: bool = False, reason: str | None = None) -> dict | None:
    """Freeze the current report period (Settings) of the workbook that called."""
    from lfi_xl.actions.freeze import freeze
    from lfi_xl.book.discover import Discovering
    from lfi_xl.book.kpi_book import KpiBook
    from lfi_xl.errors import Refused
    book = _book(book)
    adapter = Discovering(LiveWorkbook(book))
    period = period or KpiBook(adapter).settings.current_period.label
    saved = Path(book.fullname) if getattr(book, "fullname", None) else None
    source = saved.read_bytes() if saved and saved.is_file() else None
    try:
        result = freeze(adapter, period, by or getpass.getuser(), supersede, reason, source)
    except Refused as refusal:
        _tell(book, f"Not frozen: {refusal}")
        return None
    _tell(book, f"{result['period']} frozen as snapshot {result['snapshot']}. "
                + " ".join(adapter.notes) + " Save the workbook to keep it.")
    return result


def build_forum_extract(book=None, plan=None, folder: Path | None = None) -> Path:
    """Write the extract (and its PDF, through Excel where it can) next to the workbook."""
    from lfi_xl.actions.extract import build_extract
    from lfi_xl.actions.report import extract_name, write_extract

    book = _book(book)
    plan = plan or _open_plan_book(book)
    data = build_extract(LiveWorkbook(book), plan)
    folder = folder or (Path(book.fullname).parent if getattr(book, "fullname", None)
                        else Path.cwd())
    target = write_extract(data, folder / extract_name(data))
    try:  # desktop Excel writes the PDF itself
        extract = book.app.books.open(str(target))
        extract.to_pdf(str(target.with_suffix(".pdf")))
        extract.close()
    except Exception:
        pass
    _tell(book, f"Schools Forum extract written: {target}")
    return target


def build_dfe_return(book=None, plan=None, folder: Path | None = None) -> list[Path]:
    """Write the DfE monitoring return for the current report period next to the workbook:
    from its frozen snapshot, or, while the period is not frozen, a draft marked DRAFT.
    The values-only copies are made from the saved files, so the workbook must be saved."""
    from lfi_xl.actions.dfe_return import build_dfe_return as gather
    from lfi_xl.actions.dfe_return import write_dfe_return
    from lfi_xl.errors import Refused, UnusableInput

    book = _book(book)
    plan = plan or _open_plan_book(book)
    files = [Path(getattr(getattr(source, "book", source), "fullname", source) or "")
             for source in (book, plan)]
    unsaved = [path.name or "the DSG plan workbook" for path in files if not path.is_file()]
    try:  # desktop Excel: changes not saved yet would be missing from the copies
        if book.api.Saved is False:
            unsaved.append(book.name)
    except Exception:  # hosts without the COM object model: the file as saved is used
        pass
    if plan is None or unsaved:
        raise UnusableInput(f"Save {' and '.join(unsaved) or 'the DSG plan workbook'} first "
                            "(or open dsg_plan.xlsx): the DfE return copies the saved files")
    try:
        data = gather(LiveWorkbook(book), plan)
    except Refused:   # not frozen yet: a draft, said so on every page and here
        data = gather(LiveWorkbook(book), plan, draft=True)
    written = write_dfe_return(data, *files, folder or files[0].parent)
    _tell(book, ("DRAFT DfE return (the period is not frozen) written:\n" if data.draft
                 else f"DfE return for {data.period} (snapshot {data.snapshot}) written:\n")
          + "\n".join(str(path) for path in written))
    return written


def _open_plan_book(book):
    """The DSG plan workbook: open in the same Excel, or dsg_plan.xlsx beside this one."""
    try:
        for other in book.app.books:
            if other != book and c.PLAN_TABLE in [name.name for name in other.names]:
                return LiveWorkbook(other)
    except Exception:  # hosts without an app's list of books
        pass
    if getattr(book, "fullname", None):
        beside = Path(book.fullname).parent / c.PLAN_WORKBOOK
        if beside.is_file():
            return beside
    return None


def adopt_workbook(book=None) -> list[str]:
    """Find the plan and KPI tables by their labels and add lfi-xl's names and Settings."""
    from lfi_xl.actions.adopt import adopt
    from lfi_xl.errors import UnusableInput

    book = _book(book)
    try:
        found = adopt(LiveWorkbook(book))
    except UnusableInput as refusal:
        _tell(book, f"Not adopted: {refusal}")
        return []
    _tell(book, "Adopted: lfi-xl's names and a Settings sheet were added; nothing you typed "
                "was changed. Save the workbook to keep them.\n\n" + "\n".join(found[:25]))
    return found


BUTTONS = {
    "lfi_validate": validate_entries,
    "lfi_freeze": freeze_period_snapshot,
    "lfi_extract": build_forum_extract,
    "lfi_adopt": adopt_workbook,
    "lfi_dfe_return": build_dfe_return,
}


def button(control_id: str) -> None:
    """What the ribbon calls: ``RunPython "import lfi_xl.macros; lfi_xl.macros.button('...')"``.

    A workbook lfi-xl cannot use gets a plain message box, not a Python traceback.
    """
    from lfi_xl.errors import UnusableInput

    book = _book(None)
    try:
        BUTTONS[control_id](book)
    except UnusableInput as error:
        _tell(book, str(error))
