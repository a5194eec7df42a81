"""``lfi-xl addin check``: the installed add-in checked in an Excel started for the check,
and the Python side of the ribbon's **Check lfi-xl**.

Two checks, each saying only what it proved:

- ``lfi-xl addin check`` (also the end of ``lfi-xl addin install``) starts Excel through
  xlwings (COM automation), opens the installed add-in and goes through :data:`STEPS`,
  one line each. An Excel started by automation runs macros whatever the Trust Center
  says, loads no ribbon and starts no add-in from XLSTART: so this proves the add-in's
  file, its VBA, this Python and the functions, not the user's own Excel.
- The ribbon's **Check lfi-xl** runs in the user's own Excel (VBA, ``sources/LfiCheck.bas``):
  the Excel version, the macros allowed by the user's trust settings, the ribbon, every
  module compiled, Python started, two cells and a button's path. The button's path runs
  :func:`ribbon_probe` here, through ``RunPython``, as every button does.

Every step runs and reports on its own: one that fails does not stop the others; a step
that needs an earlier one (Excel open, the add-in's VBA run) says "not run" when that one
failed. Nothing here can run without Excel for Windows. The steps are plain functions of a
:class:`Context`, so the plan, the messages and the steps that need only Python are
tested anywhere; the steps that talk to Excel are not pretended.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfi_xl.addin.install import (
    INTERPRETER_KEY,
    InstallError,
    office_xlstart_folder,
    require_matching_python,
    xlstart_folder,
)
from lfi_xl.build.addin.build import addin_settings
from lfi_xl.build.addin.modules import ADDIN_NAME

#: What the check writes into a scratch workbook, and the arguments Python gets for it.
PCTCHANGE = ("=LFI_PCTCHANGE(10500,10000)", (10500.0, 10000.0))
CUMBAL = ("=LFI_CUMBAL(53.976,{19.637,25.149})", (53.976, [[19.637, 25.149]]))
#: The function whose function wizard text is reported.
WIZARD_FUNCTION = "LFI_PCTCHANGE"


class StepFailed(Exception):
    """A step's finding: what was seen instead of what was expected."""


@dataclass
class Context:
    """What the steps share: the installed add-in, and Excel once it is open."""

    addin: Path
    interpreter: Path | None = None
    # xlwings and COM objects are untyped: Any, honestly.
    app: Any = None  # an xlwings App
    addin_book: Any = None  # the add-in as Excel's COM Workbook
    scratch: Any = None  # a new COM Workbook for the formulas
    office_bits: int | None = None
    descriptions: tuple[int, int, str] | None = None
    started_excel: bool = False
    seen: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Context], str]  # returns what was seen; raises StepFailed
    fix: str
    needs: tuple[int, ...] = ()  # the steps (numbers from 1) whose failure means "not run"


# ------------------------------------------------------------------------- the steps
def _installed(context: Context) -> str:
    if not context.addin.is_file():
        raise StepFailed(f"no add-in at {context.addin}")
    settings = {key.upper(): value for key, value in addin_settings(context.addin.read_bytes())}
    if INTERPRETER_KEY not in settings:
        raise StepFailed(f"the add-in's sheet lfi_xl.conf has no {INTERPRETER_KEY}")
    context.interpreter = Path(settings[INTERPRETER_KEY])
    return f"{context.addin}, Python {context.interpreter}"


def _open_in_excel(context: Context) -> str:
    import xlwings as xw

    if context.app is None:
        context.app = xw.App(visible=False, add_book=False)
        context.started_excel = True
    workbooks = context.app.api.Workbooks
    try:  # already open (Excel started normally)
        context.addin_book = workbooks(ADDIN_NAME)
    except Exception:
        context.addin_book = workbooks.Open(str(context.addin))
    return f"Excel {context.app.version} opened {context.addin_book.FullName}"


#: Excel's version number from Excel 2016 on (2016, 2019, 2021 and Microsoft 365 say 16.0).
SUPPORTED_VERSION = 16


def supported_excel(version: str, has_formula2: bool) -> str:
    """What this Excel means for lfi-xl, or :class:`StepFailed` for one it cannot run on.

    >>> supported_excel("16.0", has_formula2=False)[:44]
    'Excel 16.0 without dynamic arrays (Excel 201'
    """
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise StepFailed(f"Excel says its version is {version!r}") from None
    if major < SUPPORTED_VERSION:
        raise StepFailed(f"Excel {version} is older than Excel 2016 (16.0), which lfi-xl "
                         "needs (Microsoft 365 recommended)")
    if has_formula2:
        return f"Excel {version}, with dynamic arrays"
    return (f"Excel {version} without dynamic arrays (Excel 2016 or 2019): every function "
            "works; LFI_CUMBAL and LFI_COSTS fill only the cells of an array formula "
            "entered with Ctrl+Shift+Enter, as in the template")


def _excel_version(context: Context) -> str:
    context.seen["formula2"] = _has_formula2(context.addin_book)
    return supported_excel(str(context.app.version), context.seen["formula2"])


def _has_formula2(book) -> bool:
    """Whether Excel knows Range.Formula2 (dynamic arrays): Excel 2016 and 2019 do not."""
    try:
        book.Worksheets(1).Range("A1").Formula2  # noqa: B018 - asking is the test
        return True
    except Exception:
        return False


def _vba_runs(context: Context) -> str:
    try:
        answer = str(context.app.api.Run(f"'{ADDIN_NAME}'!LfiSelfTest"))
    except Exception as error:
        raise StepFailed(f"Excel could not run the add-in's VBA: {error}") from None
    bits, described, failed, first = (answer.split("|", 3) + ["", "", ""])[:4]
    context.office_bits = int(bits)
    context.descriptions = (int(described or 0), int(failed or 0), first)
    return (f"the VBA project runs; Office is {bits}-bit (macros run here whatever the Trust "
            "Center says: Check lfi-xl on the ribbon checks your own settings)")


def _dll(context: Context) -> str:
    if context.interpreter is None or context.office_bits is None:  # steps it needs failed
        raise StepFailed("the add-in's Python or Office's bitness is not known")
    try:
        require_matching_python(context.addin, context.interpreter, context.office_bits)
    except InstallError as error:
        raise StepFailed(str(error)) from None
    return f"xlwings{context.office_bits} DLL found for {context.interpreter}"


def _excel_value(context: Context, formula: str, cells: str, spill: bool = False):
    """The value Excel shows for ``formula`` written at the first cell of ``cells``."""
    if context.scratch is None:
        context.scratch = context.app.api.Workbooks.Add()
    sheet = context.scratch.Worksheets(1)
    first = cells.split(":")[0]
    if spill and context.seen.get("formula2", True):
        sheet.Range(first).Formula2 = formula
    elif spill:  # Excel 2016/2019: an array formula over the cells, as the template has
        sheet.Range(cells).FormulaArray = formula
    else:
        sheet.Range(first).Formula = formula
    context.app.api.Calculate()
    value = sheet.Range(cells).Value
    flat = [item for row in value for item in row] if isinstance(value, tuple) else [value]
    if any(isinstance(item, int) and item < 0 for item in flat):  # a COM error value
        sheet.Range("Z1").Formula = f"=LFI_WHY({first})"
        context.app.api.Calculate()
        raise StepFailed(f"{formula} shows an error; LFI_WHY: {sheet.Range('Z1').Value}")
    return flat


def compare(formula: str, excel: list, python: list) -> str:
    """One line saying that Excel and Python agree, or :class:`StepFailed`."""
    if len(excel) != len(python) or not all(
            isinstance(a, float | int) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
            for a, b in zip(excel, python, strict=False)):
        raise StepFailed(f"{formula}: Excel shows {excel}, Python gives {python}")
    return f"{formula} = {', '.join(f'{value:.6g}' for value in excel)} in Excel and Python"


def _python_answer(function: str, args: tuple) -> list:
    import lfi_udfs

    result = lfi_udfs.FUNCTIONS[function](*args)
    return [item for row in result for item in row] if isinstance(result, list) else [result]


def _pctchange(context: Context) -> str:
    formula, args = PCTCHANGE
    return compare(formula, _excel_value(context, formula, "A1"),
                   _python_answer("LFI_PCTCHANGE", args))


def _cumbal(context: Context) -> str:
    formula, args = CUMBAL
    return compare(formula, _excel_value(context, formula, "A2:B2", spill=True),
                   _python_answer("LFI_CUMBAL", args))


def _wizard(context: Context) -> str:
    import lfi_udfs

    described, failed, first = context.descriptions or (0, 0, "")
    wanted = len(lfi_udfs.FUNCTIONS)
    if failed or described != wanted:
        raise StepFailed(f"{described} of {wanted} function descriptions registered"
                         + (f"; the first failure: {first}" if first else ""))
    summary = lfi_udfs.FUNCTIONS[WIZARD_FUNCTION].__xlfunc__["ret"]["doc"].split("\n")[0]
    # Excel has no way to read a description back: the person looks, once.
    return (f"{described} descriptions registered; the function wizard (fx) on "
            f"{WIZARD_FUNCTION} should read: {summary}")


def _save(context: Context) -> str:
    if context.scratch is not None:
        context.scratch.Close(False)
        context.scratch = None
    context.addin_book.Save()
    return f"Excel saved {context.addin_book.FullName} with the project it compiled"


_SUPPORT = "docs/addin.md (For IT) and docs/acceptance.md"
STEPS = (
    Step("The add-in is installed", _installed,
         "run lfi-xl addin install (with the Python that has lfi-xl), then check again"),
    Step("Excel opens the add-in", _open_in_excel,
         "check that desktop Excel for Windows is installed and opens normally; close any "
         "Excel that shows a dialog, then check again", needs=(1,)),
    Step("This Excel is supported", _excel_version,
         "install Excel 2016 or later (Microsoft 365 recommended)", needs=(2,)),
    Step("Its VBA runs in an Excel started for this check", _vba_runs,
         "the project does not compile or VBA is switched off entirely: in Excel, Alt+F11, "
         "then Debug > Compile VBAProject shows the line; see the attack-surface-reduction "
         f"rules in {_SUPPORT}", needs=(2,)),
    Step("xlwings matches, with the DLL for this Office", _dll,
         "do what the line above says, then run lfi-xl addin install again", needs=(1, 4)),
    Step("LFI_PCTCHANGE gives Python's answer", _pctchange,
         "LFI_WHY's reason above says why; Python not starting is usually the interpreter, "
         f"or a policy on python.exe ({_SUPPORT}); then press Restart Python", needs=(2,)),
    Step("LFI_CUMBAL fills two cells with Python's answer", _cumbal,
         "as for the step above", needs=(2,)),
    Step("The function wizard has the descriptions", _wizard,
         "the functions work without them; report the failure shown above", needs=(4,)),
    Step("Excel saves the add-in it compiled", _save,
         "close every other Excel window and check again; the add-in still works unsaved",
         needs=(2,)),
)


def run_steps(steps: tuple[Step, ...], context: Context,
              out: Callable[[str], None] = print) -> bool:
    """Run every one of ``steps`` in order, one line each, whatever an earlier one found;
    a step whose ``needs`` failed says "not run". ``True`` when every step passed."""
    failed: set[int] = set()
    for number, step in enumerate(steps, start=1):
        missing = [need for need in step.needs if need in failed]
        if missing:
            failed.add(number)
            out(f"{number}. {step.title}: not run - it needs step "
                f"{' and '.join(map(str, missing))}")
            continue
        try:
            seen = step.run(context)
        except StepFailed as failure:
            failed.add(number)
            out(f"{number}. {step.title}: FAILED - {failure}")
            out(f"   What to do: {step.fix}.")
            continue
        except Exception as error:  # Excel said something this step did not expect
            failed.add(number)
            out(f"{number}. {step.title}: FAILED - Excel answered {type(error).__name__}: "
                f"{error}")
            out(f"   What to do: {step.fix}.")
            continue
        out(f"{number}. {step.title}: ok - {seen}")
    return not failed


def check(*, platform: str = sys.platform, xlstart: Path | None = None, app=None,
          out: Callable[[str], None] = print) -> bool:
    """Check the installed add-in in Excel (``app``: an xlwings App, or start one);
    ``True`` when every step passed. ``xlstart``: the user's start-up folder, or Office's
    when the add-in was installed for every user."""
    if not platform.startswith("win"):
        raise InstallError(f"lfi-xl addin check runs Excel for Windows, and this is "
                           f"{platform}: run it on the PC where the add-in is installed.")
    if xlstart is not None:
        folder = Path(xlstart)
    else:
        folder = xlstart_folder()
        if not (folder / ADDIN_NAME).is_file():
            try:  # installed for every user (IT's route)
                folder = office_xlstart_folder()
            except InstallError:
                pass
    context = Context(addin=folder / ADDIN_NAME, app=app)
    try:
        passed = run_steps(STEPS, context, out)
    finally:
        _tidy(context)
    out("All checks passed: the add-in, its VBA, this Python and the functions work in an "
        "Excel started for the check. Now press Check lfi-xl on the ribbon in Excel started "
        "the usual way: that checks your own Excel's settings." if passed else
        "Not every check passed: send these lines to whoever supports lfi-xl.")
    return passed


def ribbon_probe(office_bits: int, book=None) -> str:
    """The ribbon's Check lfi-xl, its button step: run through ``RunPython`` as every button
    is, in the add-in's Python server. Writes :func:`probe_line` into D1 of the calling
    workbook's first sheet, through Excel, for the VBA to read back."""
    import xlwings

    book = book if book is not None else xlwings.Book.caller()
    addin = Path(str(book.app.api.Workbooks(ADDIN_NAME).FullName))
    line = probe_line(addin, Path(sys.executable), int(office_bits))
    book.sheets[0]["D1"].value = line
    return line


def probe_line(addin: Path, interpreter: Path, office_bits: int, pid: int | None = None) -> str:
    """``"<process id>|ok|<what>"``, or ``FAILED`` and why: the process shows that buttons
    and functions share one Python; the verdict, that this Python has the xlwings and the
    DLL the add-in was built for."""
    import os

    import xlwings

    try:
        require_matching_python(addin, interpreter, office_bits)
        verdict = ("ok", f"xlwings {xlwings.__version__} in {interpreter}, with its "
                         f"{office_bits}-bit DLL")
    except (InstallError, OSError) as refusal:
        verdict = ("FAILED", str(refusal))
    return "|".join((str(os.getpid() if pid is None else pid),
                     *(part.replace("|", "/") for part in verdict)))


def _tidy(context: Context) -> None:
    """Close what the check opened: the scratch book unsaved, Excel if it started it."""
    try:
        if context.scratch is not None:
            context.scratch.Close(False)
        if context.started_excel and context.app is not None:
            context.app.quit()
    except Exception:  # Excel already gone: nothing left to close
        pass
