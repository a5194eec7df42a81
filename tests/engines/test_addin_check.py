"""``lfi-xl addin check`` and the add-in's VBA for a Python that cannot be reached.

No Excel runs here. The check's plan, its messages and its steps that need only Python
run for real; the steps that talk to Excel run only on a council PC. The VBA that decides
"Python could not be reached" and keeps the innermost reason runs in LibreOffice Basic.
"""

from pathlib import Path

import helpers
import lfi_udfs
import pytest
import xlwings

from lfi_xl.addin import check as ch
from lfi_xl.addin.install import InstallError, install
from lfi_xl.build.addin import build_addin
from lfi_xl.build.addin import modules as m
from lfi_xl.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "lfi_xl.xlam")


@pytest.fixture
def installed(addin, tmp_path) -> Path:
    """The add-in installed for a Python whose folder has the 64-bit DLL."""
    python = tmp_path / "Python311" / "python.exe"
    python.parent.mkdir()
    (python.parent / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    install(addin, platform="win32", xlstart=tmp_path / "XLSTART", interpreter=python,
            office_bits=64, user_base=tmp_path / "user-site")
    return tmp_path / "XLSTART" / "lfi_xl.xlam"


def test_the_plan_is_the_issues_steps_in_order():
    assert [step.title for step in ch.STEPS] == [
        "The add-in is installed", "Excel opens the add-in", "This Excel is supported",
        "Its VBA runs in an Excel started for this check",
        "xlwings matches, with the DLL for this Office", "LFI_PCTCHANGE gives Python's answer",
        "LFI_CUMBAL fills two cells with Python's answer",
        "The function wizard has the descriptions", "Excel saves the add-in it compiled"]
    # A step needs only steps before it.
    assert all(need < number for number, step in enumerate(ch.STEPS, start=1)
               for need in step.needs)
    assert all(step.fix and not step.fix.endswith(".") for step in ch.STEPS)
    assert ch.PCTCHANGE[0] == "=LFI_PCTCHANGE(10500,10000)"
    assert ch.CUMBAL[0] == "=LFI_CUMBAL(53.976,{19.637,25.149})"
    # The VBA procedure the check runs is in the add-in.
    code = {module.name: module.code for module in m.vba_modules()}
    assert "Public Function LfiSelfTest() As String" in code["LfiCheck"]
    assert "Public Function LfiDescribeReport() As String" in code["LfiFunctionHelp"]


def test_python_answers_are_the_functions_own():
    assert ch._python_answer("LFI_PCTCHANGE", ch.PCTCHANGE[1]) == [pytest.approx(0.05)]
    assert ch._python_answer("LFI_CUMBAL", ch.CUMBAL[1]) == [pytest.approx(73.613),
                                                             pytest.approx(98.762)]


def test_every_step_reports_on_its_own_and_those_needing_a_failed_one_say_not_run(tmp_path):
    lines = []
    context = ch.Context(addin=tmp_path / "XLSTART" / "lfi_xl.xlam")
    assert not ch.run_steps(ch.STEPS, context, lines.append)
    assert lines[:2] == [
        f"1. The add-in is installed: FAILED - no add-in at {context.addin}",
        "   What to do: run lfi-xl addin install (with the Python that has lfi-xl), then "
        "check again."]
    assert lines[2:] == [f"{number}. {step.title}: not run - it needs step "
                         + " and ".join(map(str, step.needs))
                         for number, step in enumerate(ch.STEPS[1:], start=2)]
    assert context.app is None  # Excel was never asked for


def test_a_soft_failure_does_not_skip_the_next_step(installed):
    """The descriptions failing (step 8) no longer keeps Excel from saving (step 9)."""
    def wizard(context):
        raise ch.StepFailed("3 of 19 function descriptions registered")

    saved = []
    steps = (ch.Step("The function wizard has the descriptions", wizard, "report it"),
             ch.Step("Excel saves the add-in it compiled",
                     lambda context: saved.append(True) or "saved", "close Excel"),
             ch.Step("Excel answers", lambda context: 1 / 0, "see above"))
    lines = []
    assert not ch.run_steps(steps, ch.Context(addin=installed), lines.append)
    assert saved == [True]
    assert lines == ["1. The function wizard has the descriptions: FAILED - 3 of 19 function "
                     "descriptions registered", "   What to do: report it.",
                     "2. Excel saves the add-in it compiled: ok - saved",
                     "3. Excel answers: FAILED - Excel answered ZeroDivisionError: division by "
                     "zero", "   What to do: see above."]


def test_an_unsupported_excel_gets_a_sentence_not_a_crash():
    with pytest.raises(ch.StepFailed, match=r"Excel 15.0 is older than Excel 2016 \(16.0\)"):
        ch.supported_excel("15.0", has_formula2=False)
    assert "without dynamic arrays (Excel 2016 or 2019): every function works" in \
        ch.supported_excel("16.0", has_formula2=False)
    assert ch.supported_excel("16.0", has_formula2=True) == "Excel 16.0, with dynamic arrays"
    with pytest.raises(ch.StepFailed, match="Excel says its version is 'x'"):
        ch.supported_excel("x", has_formula2=True)


def test_the_python_side_steps_pass_on_an_installed_add_in(installed):
    lines = []
    context = ch.Context(addin=installed, office_bits=64)
    steps = (ch.STEPS[0], ch.STEPS[4])  # the two that need no Excel
    assert ch.run_steps(steps, context, lines.append)
    assert lines[0] == (f"1. The add-in is installed: ok - {installed}, Python "
                        f"{installed.parent.parent / 'Python311' / 'python.exe'}")
    assert lines[1].startswith("2. xlwings matches, with the DLL for this Office: ok - "
                               "xlwings64 DLL found")


def test_32_bit_office_needs_the_32_bit_dll(installed):
    lines = []
    context = ch.Context(addin=installed, office_bits=32)
    assert not ch.run_steps((ch.STEPS[0], ch.STEPS[4]), context, lines.append)
    assert f"32-bit DLL (xlwings32-{xlwings.__version__}.dll) is not beside" in lines[1]
    assert "only the 64-bit one" in lines[1]


def test_comparing_excel_with_python():
    assert ch.compare("=X()", [0.05], [0.05]) == "=X() = 0.05 in Excel and Python"
    with pytest.raises(ch.StepFailed, match=r"Excel shows \[0.0\], Python gives \[0.05\]"):
        ch.compare("=X()", [0.0], [0.05])
    with pytest.raises(ch.StepFailed, match="Excel shows"):
        ch.compare("=X()", [73.613], [73.613, 98.762])  # did not spill
    with pytest.raises(ch.StepFailed):
        ch.compare("=X()", ["#NAME?"], [0.05])


def test_descriptions_step_reads_the_vba_report():
    context = ch.Context(addin=Path("x"), descriptions=(len(lfi_udfs.FUNCTIONS), 0, ""))
    seen = ch._wizard(context)
    assert seen.startswith(f"{len(lfi_udfs.FUNCTIONS)} descriptions registered")
    assert "Relative change from base to current" in seen
    context.descriptions = (10, 1, "LFI_RAG: Method 'MacroOptions' of object failed")
    wanted = len(lfi_udfs.FUNCTIONS)
    with pytest.raises(ch.StepFailed, match=f"10 of {wanted} .* the first failure: LFI_RAG"):
        ch._wizard(context)


def test_addin_check_elsewhere_says_it_needs_excel_for_windows(capsys):
    assert main(["addin", "check"]) == 2
    error = capsys.readouterr().err
    assert "runs Excel for Windows" in error and "Traceback" not in error
    with pytest.raises(InstallError):
        ch.check(platform="linux")


# ----------------------------------------------------- VBA, run by LibreOffice Basic
def run_basic(addin: Path, tmp_path: Path, function: str, calls: list) -> list:
    """``LfiErrors.<function>`` run by LibreOffice Basic on a project of LfiErrors alone."""
    return helpers.run_basic(addin, tmp_path, ("LfiErrors",), f"LfiErrors.{function}", calls)


def test_basic_tells_python_unreachable_from_python_raising(addin, tmp_path):
    # 1 and 1000: xlwings' VBA (DLL not loaded / server not reached); 53 and 48: VBA's
    # Declare (DLL file missing / not loadable); -2147023174: RPC server unavailable;
    # -2147352567 (DISP_E_EXCEPTION): Python raised; 0 and 11: anything else.
    numbers = [1, 1000, 53, 48, 453, -2147023174, -2147417848, -2147352567, 0, 11]
    # As floats: LibreOffice's Python bridge hands a small int to Basic as a type that
    # does not convert to the Long parameter (Err.Number is a Long in Excel).
    assert run_basic(addin, tmp_path, "IsPythonUnreachable",
                     [[float(n)] for n in numbers]) == [
        True, True, True, True, True, True, True, False, False, False]


def test_basic_keeps_the_innermost_reason_of_a_nested_call(addin, tmp_path):
    """LFI_AVGCOST(..., LFI_FTE(...)): LFI_FTE fails first in the same cell, then
    LFI_AVGCOST only passes its error on; the reason LFI_WHY shows is LFI_FTE's."""
    outer = ["#VALUE!", "LFI_AVGCOST: fte contains the error #VALUE!"]
    inner = "LFI_FTE: a placement with no start date or an end before its start"
    calls = [["#VALUE!", inner, 0.05, outer],        # the same calculation: inner kept
             ["#VALUE!", inner, 30.0, outer],        # half a minute ago: a new failure
             ["#N/A", inner, 0.05, outer],           # another code: not the same error
             ["#VALUE!", inner, 0.05, ["#VALUE!", "LFI_SAVING: part is 'all'"]]]
    assert run_basic(addin, tmp_path, "InnermostReason", calls) == [
        ["#VALUE!", inner], outer, outer, ["#VALUE!", "LFI_SAVING: part is 'all'"]]


def test_each_description_is_registered_on_its_own_and_the_status_bar_is_cleared():
    code = {module.name: module.code for module in m.vba_modules()}
    describe = code["LfiFunctionHelp"][code["LfiFunctionHelp"].index("Private Sub Describe("):]
    describe = describe[:describe.index("End Sub")]
    # The error handler wraps the one MacroOptions call and counts a failure.
    assert describe.index("On Error GoTo failed") < describe.index(
        "Application.MacroOptions") < describe.index("failed:\n    failures = failures + 1")
    assert code["LfiFunctionHelp"].count("    Describe \"LFI_") == len(lfi_udfs.FUNCTIONS)
    opening = code["ThisWorkbook"]
    assert "Application.OnTime Now + TimeSerial(0, 0, 15)" in opening
    assert "'!LfiClearStatusBar\"" in opening
    assert "Public Sub LfiClearStatusBar()\n    Application.StatusBar = False" in code["LfiCheck"]
    assert "On Error Resume Next" in code["LfiErrors"][
        code["LfiErrors"].index("Public Sub DescribeLfiWhy()"):]
