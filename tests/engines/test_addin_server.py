"""How the add-in starts Python, read back from the built add-in: Excel starts python.exe
itself (no command prompt), one server for every workbook and for the buttons, and a
Python that dies at start leaves its reason for LFI_WHY.

The add-in's VBA is read with oletools' olevba; LfiServer's functions run in LibreOffice
Basic; the command line they write is split by Windows' rules and run by this Python.
What xlwings' DLL does with the command is read from its source (xlwingsdll config.cpp:
CreateProcessA(NULL, command, ...), with CREATE_NO_WINDOW, one server per distinct
command, a dead process noticed at the next 100 ms poll): docs/addin.md says so, and what
only Excel can settle is in docs/acceptance.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import helpers
import lfi_udfs
import pytest
import xlwings

from lfi_xl.addin import check as ch
from lfi_xl.addin.install import install
from lfi_xl.build.addin import build_addin
from lfi_xl.build.addin import modules as m
from lfi_xl.build.addin.build import addin_settings

with warnings.catch_warnings():  # oletools 0.60 still calls pyparsing's old names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

ROOT = Path(__file__).resolve().parents[2]
XLWINGS = Path(xlwings.__file__).parent
INTERPRETER = r"C:\Program Files\Python312\python.exe"


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "lfi_xl.xlam")


@pytest.fixture(scope="module")
def code(addin) -> dict[str, str]:
    """Every module of the built add-in as olevba reads it (\\n line ends)."""
    parser = VBA_Parser(str(addin))
    try:
        return {Path(stream).name: text.replace("\r\n", "\n")
                for _, stream, _, text in parser.extract_macros()}
    finally:
        parser.close()


def procedure(text: str, name: str) -> str:
    found = re.search(rf"^(Public |Private )?(Function|Sub) {name}\b.*?^End (Function|Sub)$",
                      text, re.MULTILINE | re.DOTALL)
    assert found, name
    return found.group(0)


def code_lines(text: str) -> list[str]:
    """The lines of VBA that are code, not comments."""
    return [line for line in text.split("\n") if line.strip() and not
            line.strip().startswith("'")]


# ------------------------------------------------------------------- no command prompt
def test_no_module_starts_a_command_prompt_or_any_other_program(code):
    assert {"xlwings", "LfiServer", "LfiRibbon", "LfiCheck"} <= set(code)
    launches = re.compile(r"\bcmd(\.exe)?\b|WScript\.(Run|Exec)\b|ShellExecute|\bShell\s*\(|"
                          r"\bShell\s+\"|CreateProcess", re.IGNORECASE)
    found = {name: [line for line in code_lines(text) if launches.search(line)]
             for name, text in code.items()}
    assert {name: lines for name, lines in found.items() if lines} == {}
    # Comments too: nothing in the project even mentions the command prompt's program.
    assert not any(re.search(r"\bcmd(\.exe)?\b", text, re.IGNORECASE)
                   for text in code.values())
    # The one program the DLL is asked to start is the command XLPyCommand returns.
    assert code_lines(procedure(code["xlwings"], "XLPyCommand")) == [
        "Function XLPyCommand()", "    XLPyCommand = LfiServerCommand()", "End Function"]


def test_the_functions_and_the_buttons_share_one_server(code, addin):
    xlwings_code = code["xlwings"]
    # Only XLPy (functions, and RunPython in server mode) and KillPy (Restart Python) ask
    # the DLL for a server, both with XLPyCommand: the same command, the same server.
    askers = re.findall(r"^(?:Function|Sub) (\w+)\(.*?\n(?:(?!^End ).*\n)*?.*"
                        r"XLPyDLLActivateAuto\(\w+, (\w+), (-?1)\)", xlwings_code, re.MULTILINE)
    assert askers == [("XLPy", "XLPyCommand", "1"), ("KillPy", "XLPyCommand", "-1")]
    # RunPython always takes the server path; the shell path it had is gone.
    run_python = procedure(xlwings_code, "RunPython")
    assert "    OPTIMIZED_CONNECTION = True ' lfi-xl: buttons run in the functions' server" \
        in run_python
    assert 'XLPy.SetAttr XLPy.Module("xlwings._xlwindows"), "BOOK_CALLER", ActiveWorkbook' \
        in run_python
    assert code_lines(procedure(xlwings_code, "ExecuteWindows"))[-3:] == [
        '    ShowError "", "lfi-xl runs Python only through its server: this way of running '
        'it is off."', "    ExecuteWindows = -1", "End Function"]
    # ... and the add-in's settings say so too.
    assert ("USE UDF SERVER", "True") in addin_settings(addin.read_bytes())
    # The command depends on the add-in's own settings only: no workbook's name, no
    # workbook's settings sheet (GetConfig would read the active workbook's first).
    server = code["LfiServer"]
    for name in ("LfiServerCommand", "LfiServerCommandFor", "LfiInterpreter"):
        body = procedure(server, name)
        assert "ActiveWorkbook" not in body and "GetConfig(\"INTERPRETER_WIN\", \"\")" \
            not in body, name
    assert 'GetConfigFromSheet(ThisWorkbook)' in procedure(server, "LfiInterpreter")
    assert 'GetConfig("INTERPRETER_WIN", "", "user")' in procedure(server, "LfiInterpreter")
    # The DLL is loaded from beside that same Python.
    assert "    PYTHON_WIN = LfiServerInterpreter() ' lfi-xl: the add-in's own, checked" in \
        procedure(xlwings_code, "XLPyLoadDLL")
    # Restart Python stops that server (KillPy, with the command that started it), then
    # forgets the command.
    restart = code_lines(procedure(code["LfiCheck"], "OnRestartPython"))
    assert restart.index("    KillPy") < restart.index("    LfiResetPython")
    assert "    LfiForgetServerCommand" in procedure(code["LfiErrors"], "LfiResetPython")


def test_the_build_refuses_an_xlwings_module_it_no_longer_understands():
    shipped = (XLWINGS / "xlwings_custom_addin.bas").read_text().replace("\r\n", "\n")
    changed = shipped.replace('OPTIMIZED_CONNECTION = GetConfig("USE UDF SERVER", False)',
                              'OPTIMIZED_CONNECTION = GetConfig("USE UDF SERVER", True)')
    with pytest.raises(RuntimeError, match="0 places for RunPython's USE UDF SERVER, not 1"):
        m.one_server(changed, "9.9")


# ------------------------------------------------- the command line, run for real
def windows_argv(command: str) -> list[str]:
    """A command line split as Windows' C runtime splits it for python.exe
    (CommandLineToArgvW's rules): the program name up to its closing quote; then
    arguments split at blanks outside quotes; 2n backslashes before a quote give n and the
    quote delimits, 2n+1 give n and a literal quote; other backslashes are literal."""
    args, index = [], 0
    if command.startswith('"'):
        end = command.index('"', 1)
        args.append(command[1:end])
        index = end + 1
    else:
        end = len(command.split(" ", 1)[0])
        args.append(command[:end])
        index = end
    current, quoted, started = "", False, False
    while index < len(command):
        char = command[index]
        if char == "\\":
            run = len(command[index:]) - len(command[index:].lstrip("\\"))
            if index + run < len(command) and command[index + run] == '"':
                current += "\\" * (run // 2)
                if run % 2:
                    current += '"'
                    index += run + 1
                else:
                    index += run
                started = True
                continue
            current += "\\" * run
            index += run
            started = True
            continue
        if char == '"':
            quoted = not quoted
            started = True
        elif char in " \t" and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current += char
            started = True
        index += 1
    if started:
        args.append(current)
    return args


def test_windows_argv_follows_the_documented_examples():
    # The examples of Microsoft's "Parsing C command-line arguments".
    assert windows_argv('p "a b c" d e') == ["p", "a b c", "d", "e"]
    assert windows_argv(r'p "ab\"c" "\\" d') == ["p", 'ab"c', "\\", "d"]
    assert windows_argv(r'p a\\\b d"e f"g h') == ["p", r"a\\\b", "de fg", "h"]
    assert windows_argv(r'p a\\\"b c d') == ["p", r'a\"b', "c", "d"]
    assert windows_argv(r'p a\\\\"b c" d e') == ["p", r"a\\b c", "d", "e"]


def run_basic(addin: Path, tmp_path: Path, function: str, calls: list) -> list:
    """``LfiServer.<function>`` run by LibreOffice Basic on a project of the document
    modules, LfiErrors and LfiServer."""
    return helpers.run_basic(addin, tmp_path, ("LfiErrors", "LfiServer"),
                             f"LfiServer.{function}", calls)


def test_the_command_starts_python_itself_and_a_python_dying_at_start_leaves_its_reason(
        addin, tmp_path):
    (command,) = run_basic(addin, tmp_path, "LfiServerCommandFor", [[INTERPRETER]])
    # As CreateProcess hands it to python.exe: the interpreter IT installed, then -B -c and
    # the code as one argument.
    program, *arguments = windows_argv(command)
    assert program == INTERPRETER
    assert arguments[:2] == ["-B", "-c"] and len(arguments) == 3
    code = arguments[2]
    assert '"' not in code and "\\" not in code and code.count("$(") == 1
    assert code.endswith("import xlwings;xlwings.serve('$(CLSID)')")
    # The code, run by a real Python as the DLL would (with $(CLSID) filled in): here
    # xlwings' server cannot start (no pywin32 off Windows), which is a Python dying at
    # start; its reason is in %TEMP%\lfi_xl-python.log.
    clsid = "{" + str(uuid.uuid4()).upper() + "}"
    ran = subprocess.run([sys.executable, "-B", "-c", code.replace("$(CLSID)", clsid)],
                         env={"TEMP": str(tmp_path), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0 and ran.stderr == ""  # nothing lost on a hidden console
    log = tmp_path / "lfi_xl-python.log"
    last = [line for line in log.read_text().splitlines() if line.strip()][-1]
    # (xlwings' stand-in for serve off Windows is raise_missing_pywin32, taking no clsid.)
    assert re.match(r"\w+Error: ", last) and "pywin32" in last, last
    # VBA reads that last line back for LFI_WHY, and says what the DLL's message means.
    said, none = run_basic(addin, tmp_path, "LfiPythonSaid",
                           [[str(log)], [str(tmp_path / "no such log")]])
    assert said == last.strip() and none == ""
    hints = run_basic(addin, tmp_path, "LfiStartHint", [
        ["Could not create Python process.\nError message: Access is denied.\nCommand: x"],
        ["Python process exited before it was possible to create the interface object."],
        ["Could not load xlwings64-0.37.8.dll from either of the following folders"],
        ["Could not activate Python COM server, hr = -2147221164"],
        ["something else"]])
    assert "attack-surface-reduction rule (Block all Office applications from creating " \
           "child processes)" in hints[0]
    assert hints[1] == " Python started and stopped at once."
    assert "Block Win32 API calls from Office macros" in hints[2]
    assert "did not answer within the DLL's two minutes" in hints[3]
    assert hints[4] == ""


def test_the_reason_for_lfi_why_joins_the_message_the_hint_and_what_python_said(code):
    note = procedure(code["LfiErrors"], "NotePythonDown")
    assert "said = LfiPythonSaid()" in note
    assert ('TrimLineEnds(description) & LfiStartHint(description)' in note)
    assert 'pythonDownReason & " Python said: " & said' in note
    # Every way Python cannot run reaches it: a function's cell, a button, the check.
    assert "NotePythonDown number, description" in procedure(code["LfiErrors"], "LfiUdfError")
    assert "NotePythonDown(number, description)" in procedure(code["LfiRibbon"],
                                                              "LfiButtonFailure")
    assert "On Error GoTo failed" in procedure(code["LfiRibbon"], "OnButton")
    # A missing Python is said before the DLL is asked (raised as 1000: unreachable).
    command = procedure(code["LfiServer"], "LfiServerCommand")
    assert command.count("Err.Raise 1000") == 2 and "FileExists(interpreter)" in command


# ------------------------------------------------------------------- Check lfi-xl
def test_the_ribbon_check_expects_the_functions_own_answers(code):
    constants = dict(re.findall(r"^Private Const (\w+) As (?:Double|String) = (.+)$",
                                code["LfiCheck"], re.MULTILINE))
    assert constants["PCTCHANGE_FORMULA"] == f'"{ch.PCTCHANGE[0]}"'
    assert constants["CUMBAL_FORMULA"] == f'"{ch.CUMBAL[0]}"'
    assert float(constants["PCTCHANGE_ANSWER"]) == pytest.approx(
        lfi_udfs.FUNCTIONS["LFI_PCTCHANGE"](*ch.PCTCHANGE[1]), rel=1e-12)
    first, second = lfi_udfs.FUNCTIONS["LFI_CUMBAL"](*ch.CUMBAL[1])[0]
    assert float(constants["CUMBAL_FIRST"]) == pytest.approx(first, rel=1e-12)
    assert float(constants["CUMBAL_SECOND"]) == pytest.approx(second, rel=1e-12)
    assert f"Public Const LFI_FUNCTION_COUNT As Long = {len(lfi_udfs.FUNCTIONS)}" in \
        code["LfiFunctionHelp"]


def ribbon_steps(code: dict[str, str]) -> list[str]:
    """The titles of Check lfi-xl's lines, in the order OnCheck says them."""
    check = code["LfiCheck"]
    constants = dict(re.findall(r'Const (\w+) As String = "([^"]+)"', check))

    def said(text: str) -> list[str]:
        return list(dict.fromkeys(constants.get(title, title.strip('"'))
                                  for title in re.findall(r'\bSay (\w+|"[^"]+"),', text)))

    order = []
    for line in code_lines(procedure(check, "OnCheck")):
        called = re.search(r"\b(Check[A-Z]\w*)\b", line)
        order += said(procedure(check, called.group(1)) if called else line)
    return order


def test_the_ribbon_check_runs_every_step_on_its_own_in_the_acceptance_tests_order(code):
    steps = ribbon_steps(code)
    assert steps == [
        "This Excel is supported", "The add-in's macros run", "The ribbon is loaded",
        "Every module compiles", "Python starts", "LFI_PCTCHANGE gives Python's answer",
        "LFI_CUMBAL fills two cells", "A button runs Python in the same server",
        "This Python has the add-in's xlwings and DLL",
        "The function wizard has the descriptions", "Excel saves the add-in it compiled"]
    # No step ends the check: no Exit Sub in OnCheck, and the Python steps say "not run"
    # when Python did not start rather than being skipped.
    assert "Exit Sub" not in procedure(code["LfiCheck"], "OnCheck")
    assert procedure(code["LfiCheck"], "CheckButtonPath").count('"not run: Python did not '
                                                                'start"') == 2
    # docs/acceptance.md, part C, walks through the same lines in the same order.
    acceptance = (ROOT / "docs" / "acceptance.md").read_text()
    acceptance = acceptance[acceptance.index("## C. Check lfi-xl"):acceptance.index("## D.")]
    positions = [acceptance.find(f"{number}. {title}")
                 for number, title in enumerate(steps, start=1)]
    assert -1 not in positions and positions == sorted(positions), positions
    # Formula2 (dynamic arrays) is late-bound: Excel 2016/2019 do not know it, and an
    # early-bound use would stop LfiCheck compiling there.
    assert re.search(r"Dim [^\n]*\bspill As Object", procedure(code["LfiCheck"],
                                                               "CheckFormulas"))
    assert not re.search(r"Range\([^)]*\)\.Formula2", code["LfiCheck"])


def test_the_button_step_reads_back_what_python_found(tmp_path):
    python = tmp_path / "Python312" / "python.exe"
    python.parent.mkdir()
    (python.parent / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    built = build_addin(tmp_path / "built.xlam")
    install(built, platform="win32", xlstart=tmp_path / "XLSTART", interpreter=python,
            office_bits=64, user_base=tmp_path / "user-site")
    addin = tmp_path / "XLSTART" / "lfi_xl.xlam"
    pid, verdict, what = ch.probe_line(addin, python, 64, pid=4242).split("|")
    assert (pid, verdict) == ("4242", "ok")
    assert what == f"xlwings {xlwings.__version__} in {python}, with its 64-bit DLL"
    pid, verdict, what = ch.probe_line(addin, python, 32, pid=4242).split("|")
    assert verdict == "FAILED" and f"xlwings32-{xlwings.__version__}.dll" in what
