"""``lfi-xl addin check``: on the council's PC, turn "should work in Excel" into "checked".

Run at the end of ``lfi-xl addin install`` and by the ribbon's **Check lfi-xl** button.
Through xlwings it opens the installed add-in in Excel and goes through :data:`STEPS`,
printing one line per step; at the first step that fails it prints what to do and stops
(the later steps need the earlier ones). The last step saves the add-in through Excel, so
that the copy Excel loads from then on holds a project Excel compiled itself.

Nothing here can run without Excel for Windows. The steps are plain functions of a
:class:`Context`, so the plan, the messages and the steps that need only Python are
tested anywhere; the steps that talk to Excel are not pretended.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lfi_xl.addin.install import (
    INTERPRETER_KEY,
    InstallError,
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
    app: object | None = None  # an xlwings App
    addin_book: object | None = None  # the add-in as Excel's COM Workbook
    scratch: object | None = None  # a new COM Workbook for the formulas
    office_bits: int | None = None
    descriptions: tuple[int, int, str] | None = None
    started_excel: bool = False
    seen: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Context], str]  # returns what was seen; raises StepFailed
    fix: str


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
    try:  # already open (the ribbon's button, or Excel started normally)
        context.addin_book = workbooks(ADDIN_NAME)
    except Exception:
        context.addin_book = workbooks.Open(str(context.addin))
    return f"Excel {context.app.version} opened {context.addin_book.FullName}"


def _vba_runs(context: Context) -> str:
    try:
        answer = str(context.app.api.Run(f"'{ADDIN_NAME}'!LfiSelfTest"))
    except Exception as error:
        raise StepFailed(f"Excel could not run the add-in's VBA: {error}") from None
    bits, described, failed, first = (answer.split("|", 3) + ["", "", ""])[:4]
    context.office_bits = int(bits)
    context.descriptions = (int(described or 0), int(failed or 0), first)
    return f"the VBA project compiles and runs; Office is {bits}-bit"


def _dll(context: Context) -> str:
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
    if spill:
        sheet.Range(first).Formula2 = formula
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
         "Excel that shows a dialog, then check again"),
    Step("Its VBA compiles and runs", _vba_runs,
         "macros are blocked or the project does not compile: see Trust Center and the "
         f"attack-surface-reduction rules in {_SUPPORT}; in Excel, Alt+F11, then Debug > "
         "Compile VBAProject shows the line"),
    Step("xlwings matches, with the DLL for this Office", _dll,
         "do what the line above says, then run lfi-xl addin install again"),
    Step("LFI_PCTCHANGE gives Python's answer", _pctchange,
         "LFI_WHY's reason above says why; Python not starting is usually the interpreter, "
         f"a blocked cmd.exe or python.exe ({_SUPPORT}); then press Restart Python"),
    Step("LFI_CUMBAL spills Python's answer", _cumbal,
         "as for the step above"),
    Step("The function wizard has the descriptions", _wizard,
         "the functions work without them; report the failure shown above"),
    Step("Excel saves the add-in it compiled", _save,
         "close every other Excel window and check again; the add-in still works unsaved"),
)


def run_steps(steps: tuple[Step, ...], context: Context,
              out: Callable[[str], None] = print) -> bool:
    """Run ``steps`` in order, one line each; stop at the first that fails."""
    for number, step in enumerate(steps, start=1):
        try:
            seen = step.run(context)
        except StepFailed as failure:
            out(f"{number}. {step.title}: FAILED - {failure}")
            out(f"   What to do: {step.fix}.")
            return False
        out(f"{number}. {step.title}: ok - {seen}")
    return True


def check(*, platform: str = sys.platform, xlstart: Path | None = None, app=None,
          out: Callable[[str], None] = print) -> bool:
    """Check the installed add-in in Excel (``app``: an xlwings App, or start one);
    ``True`` when every step passed."""
    if not platform.startswith("win"):
        raise InstallError(f"lfi-xl addin check runs Excel for Windows, and this is "
                           f"{platform}: run it on the PC where the add-in is installed.")
    folder = Path(xlstart) if xlstart is not None else xlstart_folder()
    context = Context(addin=folder / ADDIN_NAME, app=app)
    try:
        passed = run_steps(STEPS, context, out)
    finally:
        _tidy(context)
    out("All checks passed: lfi-xl works in this Excel." if passed else
        "Not every check passed: send these lines to whoever supports lfi-xl.")
    return passed


def _tidy(context: Context) -> None:
    """Close what the check opened: the scratch book unsaved, Excel if it started it."""
    try:
        if context.scratch is not None:
            context.scratch.Close(False)
        if context.started_excel and context.app is not None:
            context.app.quit()
    except Exception:  # Excel already gone: nothing left to close
        pass
