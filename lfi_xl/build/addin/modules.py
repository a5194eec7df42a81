"""The add-in's VBA modules, from text: the repo's sources, xlwings' runtime and two
modules generated from the worksheet functions' xlwings metadata.

- ``lfi_xl/addin/sources/*.cls``, ``*.bas``: ThisWorkbook (registers the function help
  when the add-in opens), Sheet1 (the settings sheet), LfiRibbon (the ribbon's buttons),
  LfiErrors (Python failures as Excel errors, ``LFI_WHY``, and "Python could not be
  reached"), LfiServer (how Excel starts Python: python.exe itself, one server) and
  LfiCheck (Check lfi-xl, Restart Python, and the self-test ``lfi-xl addin check`` runs).
- ``xlwings`` and ``Dictionary``: taken at build time from the installed xlwings, so the
  VBA always matches the Python side, with the few changes of :func:`one_server` (Excel
  starts python.exe itself, one server for every workbook and for the buttons). The module
  is xlwings' own one for custom add-ins (``xlwings_custom_addin.bas``, what ``xlwings
  copy vba --addin`` gives): it passes the *active* workbook to Python, where the stock
  ``xlwings.bas`` would pass the add-in itself. Its ``PROJECT_NAME`` is set to "lfi_xl",
  as xlwings' "renaming your add-in" documentation describes, so it reads only its own
  settings: a sheet ``lfi_xl.conf`` (the user's workbook's, then the add-in's own), a file
  ``lfi_xl.conf`` beside the workbook, or ``%USERPROFILE%\\.lfi_xl\\lfi_xl.conf``; never
  the ``xlwings.conf`` of xlwings' own add-in or another tool, which could point it at a
  Python without ``lfi_udfs``. Dictionary is xlwings' stand-in for Scripting.Dictionary,
  which the module uses on a Mac.
- ``xlwings_udfs``: one wrapper per ``LFI_`` function, written by xlwings'
  ``generate_vba_wrapper`` as its "Import Functions" would, except that a Python failure
  becomes an Excel error value through ``LfiUdfError`` instead of text in the cell, and
  that once Python could not be reached the wrapper answers ``#VALUE!`` at once.
- ``LfiFunctionHelp``: the function wizard's descriptions of each function and argument.
"""

from __future__ import annotations

import copy
import io
import re
import types
import uuid
from pathlib import Path

from lfi_xl.build.addin.vba_project import CLASS, DOCUMENT, STANDARD, VbaModule

#: The add-in's text sources: package data of :mod:`lfi_xl.addin` (read as files, not
#: imported), so that an installed lfi-xl builds the add-in from any folder.
SOURCES = Path(__file__).resolve().parents[2] / "addin" / "sources"
ADDIN_NAME = "lfi_xl.xlam"
#: The Python module holding the worksheet functions (xlwings' "UDF Modules" setting).
UDF_MODULE = "lfi_udfs"
#: The add-in's own settings namespace (xlwings' PROJECT_NAME): the sheet and file
#: ``lfi_xl.conf``, the per-user folder ``%USERPROFILE%\\.lfi_xl``.
SETTINGS_NAME = "lfi_xl"
#: The document modules, in the order Excel lists them.
DOCUMENT_MODULES = ("ThisWorkbook", "Sheet1")
#: The base class every VBA class module names in its VB_Base attribute.
_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
#: VBA's limit on a physical line; Excel's on a function wizard description.
MAX_VBA_LINE, MAX_DESCRIPTION = 1023, 255


def vba_modules(sources: Path = SOURCES) -> list[VbaModule]:
    """Every module of the add-in's VBA project, in project order."""
    sources = Path(sources)
    modules = [_source_module(sources / f"{name}.cls", DOCUMENT) for name in DOCUMENT_MODULES]
    modules += [_source_module(path, STANDARD) for path in sorted(sources.glob("*.bas"))]
    modules += [VbaModule("xlwings_udfs", STANDARD, udf_wrappers()),
                VbaModule("LfiFunctionHelp", STANDARD, function_help())]
    modules += xlwings_modules()
    return modules


def project_id(modules: list[VbaModule]) -> str:
    """A GUID for the VBA project that changes with its code and only with it."""
    text = "\n".join(f"{module.name}\n{module.code}" for module in modules)
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "lfi-xl:" + text)).upper() + "}"


def _source_module(path: Path, kind: str) -> VbaModule:
    code = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    name = _declared_name(code, path)
    if name != path.stem:
        raise ValueError(f"{path}: declares the module {name!r}; name the file {name}"
                         f"{path.suffix}")
    return VbaModule(name, kind, code)


def _declared_name(code: str, where: object) -> str:
    match = re.match(r'Attribute VB_Name = "(\w+)"\n', code)
    if not match:
        raise ValueError(f'{where}: the first line must be Attribute VB_Name = "<name>"')
    return match.group(1)


# ---------------------------------------------------------------- generated modules
#: VBA's reserved identifiers ([MS-VBAL] 3.3.5.2), which cannot name an argument.
VBA_RESERVED = frozenset(word.lower() for word in """
    Abs AddressOf And Any As Attribute Boolean ByRef Byte ByVal Call Case CBool CByte CCur
    CDate CDbl CDec CInt CLng CLngLng CLngPtr Const CSng CStr Currency CVar CVErr Date Debug
    Declare DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr
    DefObj DefSng DefStr DefVar Dim Do Double Each Else ElseIf Empty End EndIf Enum Eqv Erase
    Event Exit False Fix For Friend Function Global GoSub GoTo If Imp Implements In Input
    InputB Int Integer Is LBound Len LenB Let Like LineInput Lock Long LongLong LongPtr Loop
    LSet Me Mod New Next Not Nothing Null On Open Option Optional Or ParamArray Preserve Print
    Private PSet Public Put RaiseEvent ReDim Rem Resume Return RSet Scale Seek Select Set Sgn
    Shared Single Spc Static Stop String Sub Tab Then To True Type TypeOf UBound Unlock Until
    Variant Wend While With WithEvents Write Xor""".split())


def vba_argument_name(name: str) -> str:
    """A Python argument's name in the VBA wrapper: the same, with "_" after a VBA
    reserved word (an argument ``end`` would become ``end_``).

    xlwings passes the arguments by position, so only the function wizard sees the name.
    """
    return name + "_" if name.lower() in VBA_RESERVED else name


def udf_wrappers() -> str:
    """The ``xlwings_udfs`` module: xlwings' wrappers of every ``LFI_`` function, with
    ``fname = Err.Description`` (text in the cell) replaced by ``LfiUdfError``."""
    import lfi_udfs
    from lfi_udfs.classic import udfs_module

    # xlwings writes each argument's name as it is, and a VBA keyword as an argument
    # (end, date) would stop the whole module compiling: it gets a copy of the metadata
    # with those names changed (a copy also keeps lfi_udfs' own metadata as it is).
    stand_in = types.SimpleNamespace()
    for name, function in lfi_udfs.FUNCTIONS.items():
        meta = copy.deepcopy(function.__xlfunc__)
        for arg in meta["args"]:
            arg["name"] = vba_argument_name(arg["name"])
        setattr(stand_in, name, types.SimpleNamespace(__xlfunc__=meta))
    buffer = io.StringIO()
    # A workbook whose name ends in .xlam makes xlwings pass ActiveWorkbook, not the add-in.
    udfs_module().generate_vba_wrapper(UDF_MODULE, stand_in, buffer,
                                       types.SimpleNamespace(Name=ADDIN_NAME))
    wrappers, replaced = re.subn(r"^(\s*)(\w+) = Err\.Description$",
                                 r"\1\2 = LfiUdfError(Err.Description, Err.Number)",
                                 buffer.getvalue(), flags=re.MULTILINE)
    # Once Python could not be reached, answer at once (LfiErrors.LfiPythonDown): without
    # this every LFI_ cell waits up to 2 minutes for xlwings' server (its DLL polls 1,200
    # times 100 ms), and the template has 144 such cells.
    wrappers, guarded = re.subn(
        r"^Function (\w+)\((.*\n)*?(\s*)(If TypeOf Application\.Caller Is Range Then On "
        r"Error GoTo failed)$",
        lambda found: found.group(0).replace(
            found.group(3) + found.group(4),
            f"{found.group(3)}If LfiPythonDown() Then\n"
            f"{found.group(3)}    {found.group(1)} = LfiPythonDownError()\n"
            f"{found.group(3)}    Exit Function\n"
            f"{found.group(3)}End If\n{found.group(3)}{found.group(4)}"),
        wrappers, flags=re.MULTILINE)
    if replaced != len(lfi_udfs.FUNCTIONS) or guarded != len(lfi_udfs.FUNCTIONS):
        raise RuntimeError(f"xlwings' wrappers changed: {replaced} failure lines and "
                           f"{guarded} calls for {len(lfi_udfs.FUNCTIONS)} functions; update "
                           "udf_wrappers()")
    # The header xlwings' own import_udfs writes.
    return ('Attribute VB_Name = "xlwings_udfs"\n'
            "'Generated from lfi_udfs by lfi_xl.build.addin (xlwings' generate_vba_wrapper; "
            "failures through LfiUdfError) - changes are lost with the next build.\n"
            "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel\n"
            + wrappers)


def function_help() -> str:
    """The ``LfiFunctionHelp`` module: ``DescribeLfiFunctions`` registers, for Excel's
    function wizard, each function's description (the first line of its docstring) and
    its arguments' descriptions, as xlwings' "Import Functions" would."""
    import lfi_udfs

    lines = ['Attribute VB_Name = "LfiFunctionHelp"',
             "' Generated from lfi_udfs' xlwings metadata by lfi_xl.build.addin - changes are lost "
             "with the next build.",
             "' Called by ThisWorkbook.Workbook_Open.",
             "Option Explicit",
             "",
             "' How many there are (LfiCheck compares what was registered with it).",
             f"Public Const LFI_FUNCTION_COUNT As Long = {len(lfi_udfs.FUNCTIONS)}",
             "",
             "Private described As Long, failures As Long, firstFailure As String",
             "",
             "Public Sub DescribeLfiFunctions()",
             "    described = 0",
             "    failures = 0",
             "    firstFailure = \"\""]
    for name in sorted(lfi_udfs.FUNCTIONS):
        meta = lfi_udfs.FUNCTIONS[name].__xlfunc__
        description = _description(name, (meta["ret"].get("doc") or "").split("\n")[0])
        arguments = [_description(f"{name}({arg['name']})", arg.get("doc") or "")
                     for arg in meta["args"] if not arg["vba"]]
        lines += [f'    Describe "{name}", {vba_string(meta["category"])}, _',
                  f"        {vba_string(description)}, _",
                  "        Array(" + ", _\n            ".join(
                      vba_string(text) for text in arguments) + ")"]
    lines += ["End Sub",
              "",
              "' Each registration on its own: one that fails is counted, the others go on.",
              "Private Sub Describe(functionName As String, category As String, _",
              "        description As String, arguments As Variant)",
              "    On Error GoTo failed",
              "    Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!\" & "
              "functionName, _",
              "        Description:=description, Category:=category, "
              "ArgumentDescriptions:=arguments",
              "    described = described + 1",
              "    Exit Sub",
              "failed:",
              "    failures = failures + 1",
              "    If failures = 1 Then firstFailure = functionName & \": \" & Err.Description",
              "End Sub",
              "",
              "' \"<registered>|<failed>|<first failure>\", for Workbook_Open and lfi-xl addin "
              "check.",
              "Public Function LfiDescribeReport() As String",
              "    LfiDescribeReport = described & \"|\" & failures & \"|\" & firstFailure",
              "End Function",
              ""]
    code = "\n".join(lines)
    too_long = [line for line in code.split("\n") if len(line) > MAX_VBA_LINE]
    if too_long:
        raise ValueError(f"a VBA line is over {MAX_VBA_LINE} characters: {too_long[0][:80]}")
    return code


def _description(where: str, text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError(f"{where}: no description for Excel's function wizard")
    if len(text) > MAX_DESCRIPTION:
        raise ValueError(f"{where}: the description is {len(text)} characters; Excel's "
                         f"function wizard takes {MAX_DESCRIPTION}: {text[:60]}...")
    return text


def vba_string(text: str) -> str:
    """``text`` as a VBA string expression: quotes doubled, other than printable ASCII
    as ``ChrW(n)`` (the module text stays ASCII, whatever the PC's code page).

    >>> vba_string('Optional. "A" (default), £ a year')
    '"Optional. ""A"" (default), " & ChrW(163) & " a year"'
    """
    pieces, plain = [], ""
    for char in text:
        if " " <= char <= "~":
            plain += '""' if char == '"' else char
            continue
        if ord(char) > 0xFFFF:
            raise ValueError(f"{text[:60]!r}: {char!r} is outside VBA's character set")
        if plain:
            pieces.append(f'"{plain}"')
            plain = ""
        pieces.append(f"ChrW({ord(char)})")
    if plain or not pieces:
        pieces.append(f'"{plain}"')
    return " & ".join(pieces)


# ------------------------------------------------------------------ xlwings runtime
def xlwings_modules() -> list[VbaModule]:
    """xlwings' VBA for custom add-ins and its Dictionary class, from the installed
    xlwings."""
    import xlwings

    folder = Path(xlwings.__file__).parent
    code = (folder / "xlwings_custom_addin.bas").read_text(encoding="ascii")
    code = code.replace("\r\n", "\n")
    stock = 'Public Const PROJECT_NAME As String = "myaddin"\n'
    if code.count(stock) != 1:
        raise RuntimeError(f"xlwings {xlwings.__version__}: xlwings_custom_addin.bas no "
                           f"longer sets PROJECT_NAME as expected; update xlwings_modules()")
    code = code.replace(stock, f'Public Const PROJECT_NAME As String = "{SETTINGS_NAME}"\n')
    code = one_server(code, xlwings.__version__)
    dictionary = exported_class_to_stream(
        (folder / "addin" / "Dictionary.cls").read_text(encoding="ascii"))
    return [VbaModule(_declared_name(code, "xlwings_custom_addin.bas"), STANDARD, code),
            VbaModule(_declared_name(dictionary, "Dictionary.cls"), CLASS, dictionary)]


#: xlwings' XLPyCommand, replaced: the DLL starts LfiServer's command (python.exe itself,
#: the same for every workbook) instead of a command prompt with the active workbook's name.
XLPY_COMMAND = """Function XLPyCommand()
    ' lfi-xl: python.exe itself, one server for every workbook (LfiServer.LfiServerCommand).
    XLPyCommand = LfiServerCommand()
End Function
"""
#: xlwings' ExecuteWindows (RunPython without the UDF server: a command prompt started by
#: WScript.Shell), replaced: the add-in runs Python only as its server.
EXECUTE_WINDOWS = """Function ExecuteWindows(IsFrozen As Boolean, PythonCommand As String, _
        PYTHON_WIN As String, Optional PYTHONPATH As String, _
        Optional FrozenArgs As String) As Integer
    ' lfi-xl: Python runs only as the add-in's one server (LfiServer); Excel starts no shell.
    ShowError "", "lfi-xl runs Python only through its server: this way of running it is off."
    ExecuteWindows = -1
End Function
"""
#: What of xlwings' module is changed, as (what it says, what it says instead, where).
_INTERPRETER_LOOKUP = """    PYTHON_WIN = GetConfig("INTERPRETER_WIN", "")
    If PYTHON_WIN = "" Then
        ' Legacy
        PYTHON_WIN = GetConfig("INTERPRETER", "pythonw")
    End If
"""


def one_server(code: str, version: str) -> str:
    """xlwings' module for custom add-ins, changed so that Excel starts only the add-in's
    Python and only one of it (docs/addin.md, For IT):

    - ``XLPyCommand`` returns ``LfiServerCommand`` (:data:`XLPY_COMMAND`);
    - ``XLPyLoadDLL`` loads the DLL from beside that same Python (the add-in's own
      ``INTERPRETER_WIN``, never a workbook's);
    - ``RunPython`` always runs in that server (``USE UDF SERVER`` is on whatever a
      workbook's settings say), and ``ExecuteWindows``, the other way it had, is replaced
      (:data:`EXECUTE_WINDOWS`).

    Each change must apply exactly once: a new xlwings that no longer matches stops the
    build with what to update, rather than building an add-in that starts a shell.
    """
    changes = [
        (r"^Function XLPyCommand\(\)\n.*?^End Function\n", XLPY_COMMAND, "XLPyCommand"),
        (r"^Function ExecuteWindows\(.*?^End Function\n", EXECUTE_WINDOWS, "ExecuteWindows"),
        ("^" + re.escape(_INTERPRETER_LOOKUP),
         "    PYTHON_WIN = LfiServerInterpreter() ' lfi-xl: the add-in's own, checked\n",
         "XLPyLoadDLL's interpreter"),
        (r'^    OPTIMIZED_CONNECTION = GetConfig\("USE UDF SERVER", False\)\n',
         "    OPTIMIZED_CONNECTION = True ' lfi-xl: buttons run in the functions' server\n",
         "RunPython's USE UDF SERVER"),
    ]
    for pattern, replacement, what in changes:
        # The replacement is used here and now (no late binding), taken as given.
        code, count = re.subn(pattern, lambda _match: replacement, code,  # noqa: B023
                              flags=re.MULTILINE | re.DOTALL)
        if count != 1:
            raise RuntimeError(f"xlwings {version}: xlwings_custom_addin.bas has {count} "
                               f"places for {what}, not 1; update one_server()")
    return code


def exported_class_to_stream(exported: str) -> str:
    """A class module as the VBA editor exports it (a ``VERSION 1.0 CLASS`` header) to
    the text Excel stores for it: no header, and the attributes Excel adds on import."""
    lines = exported.replace("\r\n", "\n").split("\n")
    if lines[0] != "VERSION 1.0 CLASS" or "END" not in lines[:6]:
        raise ValueError("not an exported VBA class module")
    lines = lines[lines.index("END") + 1:]
    if not lines[0].startswith("Attribute VB_Name = ") \
            or "Attribute VB_Exposed = True" not in lines:
        raise ValueError("an exported VBA class module without the usual attributes")
    lines.insert(1, f'Attribute VB_Base = "{_CLASS_BASE}"')
    exposed = lines.index("Attribute VB_Exposed = True") + 1
    lines[exposed:exposed] = ["Attribute VB_TemplateDerived = False",
                              "Attribute VB_Customizable = False"]
    return "\n".join(lines)
