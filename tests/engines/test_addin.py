"""The Excel add-in: built from text, read back by independent readers, installed.

No Microsoft Excel runs here. The built ``lfi_xl.xlam`` is checked by what can read it:
oletools' ``olevba`` and LibreOffice read the VBA project back (LibreOffice also runs the
error parsing in its Basic), ``openxml-audit`` (a port of the Open XML SDK's validator)
checks the package and the ribbon against Office's schemas. CI installs LibreOffice and
Debian's python3-uno for the system Python (.ci/run): these tests run there, never skip.
"""

import csv
import importlib
import inspect
import re
import warnings
from pathlib import Path

import lfi_udfs
import pytest
import xlwings
from helpers import run_basic, run_in_libreoffice
from lxml import etree
from openxml_audit import OpenXmlValidator

from lfi_xl.adapters.files.package import Package
from lfi_xl.addin.install import INTERPRETER_KEY, InstallError, install, remove, xlstart_folder
from lfi_xl.build.addin import build_addin
from lfi_xl.build.addin import modules as m
from lfi_xl.build.addin import render_ribbon as rr
from lfi_xl.build.addin.build import RIBBON_PART, VBA_PART, addin_settings
from lfi_xl.build.addin.vba_project import VbaModule

with warnings.catch_warnings():  # oletools 0.60 still calls pyparsing's old names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "lfi_xl" / "addin" / "sources"
XLWINGS = Path(xlwings.__file__).parent
CUSTOMUI = "{http://schemas.microsoft.com/office/2009/07/customui}"
BUTTONS = {"lfi_validate": "Validate entries", "lfi_freeze": "Freeze period snapshot",
           "lfi_extract": "Build Schools Forum extract", "lfi_adopt": "Adopt this workbook",
           "lfi_start": "Start next period", "lfi_dfe_return": "Build DfE return",
           "lfi_refresh": "Refresh plan figures", "lfi_supersede": "Supersede frozen period"}
#: Buttons that run VBA (Python may be what is broken; Check lfi-xl checks the user's own
#: Excel from VBA, and reaches Python through a button's path itself).
VBA_BUTTONS = {"lfi_restart": "Restart Python", "lfi_check": "Check lfi-xl"}


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "lfi_xl.xlam")


@pytest.fixture(scope="module")
def extracted(addin) -> dict[str, str]:
    """Module name -> source, as olevba reads them out of the add-in."""
    parser = VBA_Parser(str(addin))
    try:
        assert parser.detect_vba_macros()
        return {name.rsplit(".", 1)[0]: code.replace("\r\n", "\n")
                for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


# ------------------------------------------------------------------ the VBA project
def dir_records(addin: Path) -> list[tuple[int, bytes]]:
    """The records of the VBA project's ``dir`` stream, decompressed by oletools and split
    per [MS-OVBA] 2.3.4.2: ``Id`` (2 bytes), ``Size`` (4), data; PROJECTVERSION (0x09) is
    the one record whose data (6 bytes) is longer than its Size field says."""
    import io
    import struct
    import zipfile

    import olefile
    from oletools.olevba import decompress_stream

    ole = olefile.OleFileIO(io.BytesIO(zipfile.ZipFile(addin).read(VBA_PART)))
    data = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    records, at = [], 0
    while at < len(data):
        record, size = struct.unpack_from("<HI", data, at)
        size = 6 if record == 0x09 else size
        records.append((record, data[at + 6:at + 6 + size]))
        at += 6 + size
        if record == 0x10:  # the dir stream's terminator
            break
    assert at == len(data), "bytes after the terminator"
    return records


def project_stream(addin: Path) -> str:
    import io
    import zipfile

    import olefile

    ole = olefile.OleFileIO(io.BytesIO(zipfile.ZipFile(addin).read(VBA_PART)))
    return ole.openstream("PROJECT").read().decode("cp1252")


def test_dir_stream_refers_to_stdole_and_office_as_excel_writes_them(addin):
    import struct

    records = dir_records(addin)
    ids = [record for record, _ in records]
    assert dict(records)[0x01] == struct.pack("<I", 3)  # SysKind: 64-bit Windows
    # Each reference: REFERENCENAME (0x16, then its Unicode 0x3E), REFERENCEREGISTERED.
    names = [data.decode() for record, data in records if record == 0x16]
    unicode_names = [data.decode("utf-16-le") for record, data in records if record == 0x3E]
    libids = []
    for record, data in records:
        if record == 0x0D:
            size, = struct.unpack_from("<I", data)
            libids.append(data[4:4 + size].decode("cp1252"))
            assert data[4 + size:] == b"\0" * 6  # Reserved1, Reserved2
    assert names == unicode_names == ["stdole", "Office"]
    assert libids == [
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb"
        "#OLE Automation",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
        r"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library"]
    # In spec order: after PROJECTCONSTANTS (0x0C, 0x3C), before PROJECTMODULES (0x0F).
    assert ids.index(0x3C) < ids.index(0x16) < ids.index(0x0D) < ids.index(0x0F)
    modules = [data.decode() for record, data in records if record == 0x19]
    assert modules == [module.name for module in m.vba_modules()]


def test_project_stream_has_version_compatible32_and_a_workspace_line_per_module(addin):
    text = project_stream(addin)
    lines_ = text.split("\r\n")
    assert lines_.index('HelpContextID="0"') + 1 == lines_.index(
        'VersionCompatible32="393222000"')
    assert lines_.index('VersionCompatible32="393222000"') < [
        n for n, line in enumerate(lines_) if line.startswith("CMG=")][0]
    workspace = lines_[lines_.index("[Workspace]") + 1:]
    expected = [f"{module.name}=0, 0, 0, 0, C" if module.kind != "Module"
                else f"{module.name}=25, 25, 1439, 639, " for module in m.vba_modules()]
    assert [line for line in workspace if line] == expected


def test_olevba_reads_back_every_module_line_for_line(extracted):
    expected = {path.stem: path.read_text()
                for path in [*SOURCES.glob("*.bas"), *SOURCES.glob("*.cls")]}
    assert set(expected) == {"ThisWorkbook", "Sheet1", "LfiRibbon", "LfiErrors", "LfiCheck",
                             "LfiServer"}
    expected["xlwings_udfs"] = m.udf_wrappers()
    expected["LfiFunctionHelp"] = m.function_help()
    assert set(extracted) == set(expected) | {"xlwings", "Dictionary"}
    for name, code in expected.items():
        assert lines(extracted[name]) == lines(code), name


def test_xlwings_runtime_is_xlwings_own_add_in_module(extracted):
    """As xlwings ships it for custom add-ins, reading the add-in's own settings, with
    one_server's changes only (tests/test_addin_server.py checks what they do)."""
    shipped = (XLWINGS / "xlwings_custom_addin.bas").read_text().replace("\r\n", "\n")
    renamed = shipped.replace('Public Const PROJECT_NAME As String = "myaddin"',
                              'Public Const PROJECT_NAME As String = "lfi_xl"')
    assert renamed != shipped
    assert lines(extracted["xlwings"]) == lines(m.one_server(renamed, xlwings.__version__))
    # So its settings are the sheet and files named lfi_xl.conf, in %USERPROFILE%\.lfi_xl.
    assert ('GetConfigFilePath = Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & '
            'PROJECT_NAME & ".conf"' in extracted["xlwings"])
    # Its Mac branch uses xlwings' Dictionary class: that is in the project too.
    assert "New Dictionary" in extracted["xlwings"]
    exported = lines((XLWINGS / "addin" / "Dictionary.cls").read_text())
    stored = lines(extracted["Dictionary"])
    added = {'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"}
    assert exported[:4] == ["VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END"]
    assert [line for line in stored if line not in added] == exported[4:]


def test_libreoffice_lists_the_same_modules_with_the_same_code(addin):
    """LibreOffice, an independent reader of vbaProject.bin, sees every module and its
    code (it adds its own header lines and hides the Attribute lines)."""
    found = run_in_libreoffice(addin)
    ours = {module.name: module.code for module in m.vba_modules()}
    assert {key.split("/", 1)[1] for key in found} == set(ours)
    assert {key.split("/", 1)[0] for key in found} == {"VBAProject"}
    header = ("Rem Attribute VBA_ModuleType=", "Option VBASupport 1", "Option ClassModule")
    for key, text in found.items():
        code = ours[key.split("/", 1)[1]]
        theirs = [line for line in lines(text)[:3] if line.startswith(header)]
        body = lines(text)[len(theirs):]
        assert body == [line for line in lines(code) if not line.startswith("Attribute ")], key


def test_libreoffice_basic_turns_python_failures_into_error_codes_and_reasons(addin, tmp_path):
    """LfiErrors.SplitLfiError, run by LibreOffice Basic in VBA mode, on what xlwings
    hands the wrapper when Python raises. (LibreOffice Basic has no #If, which xlwings'
    modules use, so it runs a project of LfiErrors alone.)"""
    traceback = ("Unexpected Python Error: Traceback (most recent call last):\r\n"
                 '  File "udfs/__init__.py", line 56, in call\r\n'
                 "lfi_xl.core.cells.ExcelError: #N/A LFI_RAG: actual is #N/A, not a number\r\n")
    cases = [
        ("#DIV/0! LFI_AVGCOST: no placements match 'Independent special school'",
         ["#DIV/0!", "LFI_AVGCOST: no placements match 'Independent special school'"]),
        (traceback, ["#N/A", "LFI_RAG: actual is #N/A, not a number"]),
        ("ExcelError: #NUM! LFI_CUMBAL: opening is not finite",
         ["#NUM!", "LFI_CUMBAL: opening is not finite"]),
        ("#VALUE! LFI_SAVING: part must be total, volume or price, not 'all: #N/A'",
         ["#VALUE!", "LFI_SAVING: part must be total, volume or price, not 'all: #N/A'"]),
        ("ModuleNotFoundError: No module named 'lfi_udfs'",
         ["#VALUE!", "Python error: ModuleNotFoundError: No module named 'lfi_udfs'"]),
    ]
    assert run_basic(addin, tmp_path, ("LfiErrors",), "LfiErrors.SplitLfiError",
                     [[text] for text, _ in cases]) == [expected for _, expected in cases]


def test_every_lfi_function_has_a_wrapper_with_its_arguments(extracted):
    wrappers = extracted["xlwings_udfs"]
    signatures = dict(re.findall(r"^Function (\w+)\((.*)\)$", wrappers, re.MULTILINE))
    assert set(signatures) == set(lfi_udfs.FUNCTIONS)
    for name, function in lfi_udfs.FUNCTIONS.items():
        expected = []
        for parameter in inspect.signature(function).parameters.values():
            vba = m.vba_argument_name(parameter.name)
            assert vba.lower() not in m.VBA_RESERVED
            if parameter.kind is parameter.VAR_POSITIONAL:
                expected.append(f"ParamArray {vba}()")
            elif parameter.default is not parameter.empty:
                expected.append(f"Optional {vba}")
            else:
                expected.append(vba)
        assert signatures[name].split(", ") == expected, name
    # Every failure becomes an Excel error value through LfiUdfError, never text.
    assert "= Err.Description" not in wrappers
    assert wrappers.count("= LfiUdfError(Err.Description, Err.Number)") == len(
        lfi_udfs.FUNCTIONS)
    # Once Python could not be reached, each function answers at once, before calling it.
    for name in lfi_udfs.FUNCTIONS:
        body = wrappers[wrappers.index(f"Function {name}("):]
        body = body[:body.index("End Function")]
        guard = (f"        If LfiPythonDown() Then\n            {name} = LfiPythonDownError()\n"
                 "            Exit Function\n        End If\n"
                 "        If TypeOf Application.Caller Is Range Then On Error GoTo failed\n"
                 f"        {name} = XLPy.CallUDF(")
        assert guard in body, name
    assert lines(wrappers)[:3] == [
        'Attribute VB_Name = "xlwings_udfs"',
        "'Generated from lfi_udfs by lfi_xl.build.addin (xlwings' generate_vba_wrapper; failures "
        "through LfiUdfError) - changes are lost with the next build.",
        "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel"]
    # VBA keywords as argument names would stop the module compiling: the renamed ones.
    assert "Function LFI_FTE(start_date, end_date, period_start, period_end)" in wrappers


def _vba_text(expression: str) -> str:
    """The value of a VBA string expression of "..." literals and ChrW(n) joined by &."""
    value = ""
    for literal, code in re.findall(r'"((?:[^"]|"")*)"|ChrW\((\d+)\)', expression):
        value += chr(int(code)) if code else literal.replace('""', '"')
    return value


def test_function_wizard_descriptions_come_from_the_metadata(extracted):
    help_code = extracted["LfiFunctionHelp"]
    calls = re.findall(r'^    Describe "(\w+)", (.*), _\n        (.*), _\n'
                       r"        Array\(((?:.*, _\n)*.*)\)$", help_code, re.MULTILINE)
    assert {call[0] for call in calls} == set(lfi_udfs.FUNCTIONS)
    for name, category, description, arguments in calls:
        meta = lfi_udfs.FUNCTIONS[name].__xlfunc__
        assert _vba_text(category) == "Local First Inclusion"
        assert _vba_text(description) == meta["ret"]["doc"].split("\n")[0]
        texts = [_vba_text(part) for part in re.split(r", _\n\s*", arguments)]
        assert texts == [" ".join(arg["doc"].split()) for arg in meta["args"]], name
        assert all(0 < len(text) <= 255 for text in [_vba_text(description), *texts])
    assert "Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!\"" in help_code
    assert all(ord(char) < 128 for char in help_code)
    # Registered whenever the add-in opens, LFI_WHY with them.
    opening = extracted["ThisWorkbook"]
    assert re.search(r"Private Sub Workbook_Open\(\)\n(.*\n)*?    DescribeLfiFunctions\n"
                     r"    DescribeLfiWhy\n", opening)
    assert "Public Sub DescribeLfiWhy()" in extracted["LfiErrors"]
    assert "Public Function LFI_WHY(cell As Range) As String" in extracted["LfiErrors"]


def test_vba_string_doubles_quotes_and_spells_out_non_ascii():
    assert m.vba_string('say "hi"') == '"say ""hi"""'
    assert m.vba_string("£5 – ok") == 'ChrW(163) & "5 " & ChrW(8211) & " ok"'
    assert m.vba_string("") == '""'
    assert _vba_text(m.vba_string('"£" – ')) == '"£" – '


# -------------------------------------------------------------------- the package
def test_package_is_a_valid_macro_enabled_add_in(addin):
    result = OpenXmlValidator().validate(str(addin))
    assert result.is_valid, [str(error) for error in result.errors]
    parts = Package.read(addin).parts
    types = etree.fromstring(parts["[Content_Types].xml"])
    overrides = {element.get("PartName"): element.get("ContentType") for element in types}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    root_rels = etree.fromstring(parts["_rels/.rels"])
    assert {(r.get("Type"), r.get("Target")) for r in root_rels} >= {
        ("http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
         RIBBON_PART)}
    book_rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    assert ("http://schemas.microsoft.com/office/2006/relationships/vbaProject",
            "vbaProject.bin") in {(r.get("Type"), r.get("Target")) for r in book_rels}
    assert b'<workbookPr codeName="ThisWorkbook"/>' in parts["xl/workbook.xml"]
    assert b'<sheetPr codeName="Sheet1"/>' in parts["xl/worksheets/sheet1.xml"]
    assert parts[RIBBON_PART] == (SOURCES / "customUI14.xml").read_bytes()


def test_settings_sheet_names_the_udf_module_and_keeps_the_workbook_off_sys_path(addin):
    parts = Package.read(addin).parts
    assert b'<sheet name="lfi_xl.conf"' in parts["xl/workbook.xml"]
    expected = [("UDF Modules", "lfi_udfs"), ("ADD_WORKBOOK_TO_PYTHONPATH", "False"),
                ("USE UDF SERVER", "True")]
    assert addin_settings(addin.read_bytes()) == expected
    assert [tuple(row) for row in csv.reader((SOURCES / "lfi_xl.conf").open())] == expected
    # xlwings' prepare_sys_path resolves the workbook's name (https:// on OneDrive) only
    # when the first field it gets is "true".
    source = (XLWINGS / "utils.py").read_text()
    assert 'if args[0].lower() == "true":  # Add dir of Excel file to PYTHONPATH' in source


def test_the_validator_does_check_the_ribbon(addin, tmp_path):
    """So that the previous test can fail: one value off the schema is reported."""
    package = Package.read(addin)
    package.parts[RIBBON_PART] = package.parts[RIBBON_PART].replace(
        b'size="large"', b'size="huge"', 1)
    broken = tmp_path / "broken.xlam"
    package.save(broken, fixed_time=True)
    errors = [str(error) for error in OpenXmlValidator().validate(str(broken)).errors]
    assert len(errors) == 1 and "/customUI/customUI14.xml" in errors[0] and "huge" in errors[0]


def test_ribbon_tab_has_the_four_buttons_each_running_a_vba_procedure():
    from lfi_xl import macros

    root = etree.parse(str(SOURCES / "customUI14.xml")).getroot()
    assert root.tag == f"{CUSTOMUI}customUI"  # the Office 2010+ (2009/07) schema
    (tab,) = root.iter(f"{CUSTOMUI}tab")
    assert tab.get("label") == "Local First Inclusion"
    buttons = list(tab.iter(f"{CUSTOMUI}button"))
    assert {button.get("id"): button.get("label") for button in buttons} == BUTTONS | VBA_BUTTONS
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    code = {module.name: module.code for module in m.vba_modules()}
    for button in buttons:
        assert button.get("imageMso") and button.get("screentip") and button.get("supertip")
        module, procedure = button.get("onAction").split(".")
        # A ribbon callback: a public Sub taking the pressed control.
        assert re.search(rf"^Public Sub {procedure}\(control As \w+\)$", code[module],
                         re.MULTILINE), button.get("onAction")
    # The procedure hands the pressed button's id to the Python macros, which know each.
    assert ('RunPython "import lfi_xl.macros; lfi_xl.macros.button(\'" & control.Id & "\')"'
            in code["LfiRibbon"])
    assert set(BUTTONS) == set(macros.BUTTONS)
    assert {button.get("id") for button in buttons
            if button.get("onAction") == "LfiRibbon.OnButton"} == set(BUTTONS)


def test_ribbon_picture_is_drawn_from_the_current_ribbon(tmp_path):
    from PIL import Image

    with Image.open(ROOT / "docs" / "ribbon.png") as picture:
        assert picture.text[rr.HASH_KEY] == rr.source_hash(rr.CUSTOMUI.read_bytes()), (
            "docs/ribbon.png is older than addin/customUI14.xml: "
            "run python -m lfi_xl.build.addin.render_ribbon")
    drawn = rr.render_ribbon(output=tmp_path / "ribbon.png")
    with Image.open(drawn) as picture:
        assert picture.size == (rr.WIDTH, rr.STRIP + rr.BODY + 40)
    assert rr.ribbon(rr.CUSTOMUI.read_bytes())[1] == [
        ("Monitoring return", [("Start next period", "SheetInsert"),
                               ("Validate entries", "AcceptInvitation"),
                               ("Freeze period snapshot", "Lock"),
                               ("Refresh plan figures", "Refresh"),
                               ("Supersede frozen period", "Lock"),
                               ("Build Schools Forum extract", "ExportExcel"),
                               ("Build DfE return", "ExportWord")]),
        ("Set-up", [("Adopt this workbook", "ImportExcel")]),
        ("Support", [("Check lfi-xl", "ReviewAcceptChange"), ("Restart Python", "Refresh")])]


# -------------------------------------------------------------------- rebuilding
def test_rebuild_from_the_same_sources_is_byte_identical(addin, tmp_path):
    assert build_addin(tmp_path / "again.xlam").read_bytes() == addin.read_bytes()


def test_a_changed_source_changes_the_add_in(addin, tmp_path):
    sources = tmp_path / "addin"
    sources.mkdir()
    for path in SOURCES.iterdir():
        if path.is_file():
            (sources / path.name).write_bytes(path.read_bytes())
    ribbon = sources / "LfiRibbon.bas"
    ribbon.write_text(ribbon.read_text() + "' one more comment\n")
    changed = Package.read(build_addin(tmp_path / "changed.xlam", sources)).parts
    original = Package.read(addin).parts
    assert changed[VBA_PART] != original[VBA_PART]
    assert {name for name in original if changed[name] != original[name]} == {VBA_PART}


def test_a_module_file_must_declare_its_own_name(tmp_path):
    wrong = tmp_path / "LfiRibbon.bas"
    wrong.write_text('Attribute VB_Name = "Ribbon"\n')
    with pytest.raises(ValueError, match="declares the module 'Ribbon'"):
        m._source_module(wrong, "Module")


def test_non_ascii_module_text_is_refused():
    with pytest.raises(ValueError, match=r"ChrW\(163\)"):
        VbaModule("X", "Module", 'Attribute VB_Name = "X"\n\' £\n').stream_text()


# ------------------------------------------------------------ install and remove
@pytest.fixture
def python_with_xlwings(tmp_path) -> Path:
    """A Windows virtual environment's layout: Scripts\\python.exe, and xlwings' 64-bit
    DLL in the environment's folder, where pip puts it."""
    environment = tmp_path / "venv"
    (environment / "Scripts").mkdir(parents=True)
    (environment / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    return environment / "Scripts" / "python.exe"


def _install(addin, tmp_path, interpreter, **options):
    options.setdefault("xlstart", tmp_path / "XLSTART")
    return install(addin, platform="win32", interpreter=interpreter, office_bits=64,
                   user_base=tmp_path / "user-site", **options)


def test_install_writes_this_python_into_the_installed_copy_only(addin, tmp_path,
                                                                 python_with_xlwings):
    xlstart = tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    built = addin.read_bytes()
    for _ in range(2):  # installing again changes nothing more
        message = _install(addin, tmp_path, python_with_xlwings, xlstart=xlstart)
        installed = (xlstart / "lfi_xl.xlam").read_bytes()
        assert addin_settings(installed) == [
            ("UDF Modules", "lfi_udfs"), ("ADD_WORKBOOK_TO_PYTHONPATH", "False"),
            ("USE UDF SERVER", "True"), (INTERPRETER_KEY, str(python_with_xlwings))]
    # Everything but the settings sheet is the built add-in's, byte for byte.
    ours, theirs = Package.from_bytes(built).parts, Package.from_bytes(installed).parts
    assert {name for name in ours if ours[name] != theirs[name]} == {
        "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"}
    assert addin.read_bytes() == built  # the dist copy is untouched
    assert str(xlstart / "lfi_xl.xlam") in message and "Local First Inclusion" in message
    assert [path.name for path in xlstart.iterdir()] == ["lfi_xl.xlam"]
    assert not (tmp_path / ".xlwings").exists() and "Warning" not in message


def test_install_refuses_a_python_with_another_xlwings(addin, tmp_path, python_with_xlwings):
    """The add-in's VBA declares the DLL of the xlwings it was built with: an upgrade of
    the Python side alone would break every function."""
    package = Package.read(addin)
    core = package.parts["docProps/core.xml"].decode()
    package.parts["docProps/core.xml"] = core.replace(
        f"xlwings {xlwings.__version__}<", "xlwings 0.30.0<").encode()
    other = tmp_path / "old.xlam"
    package.save(other, fixed_time=True)
    with pytest.raises(InstallError) as refused:
        _install(other, tmp_path, python_with_xlwings)
    message = str(refused.value)
    assert (f"built for xlwings 0.30.0 and this Python has xlwings {xlwings.__version__}"
            in message)
    assert f'"{python_with_xlwings}" -m pip install --force-reinstall --no-deps ' \
           "xlwings==0.30.0" in message and "lfi-xl addin build" in message
    assert not (tmp_path / "XLSTART").exists()


def test_install_requires_the_64_bit_dll_for_64_bit_office(addin, tmp_path):
    interpreter = tmp_path / "Python311" / "python.exe"
    interpreter.parent.mkdir()
    (interpreter.parent / f"xlwings32-{xlwings.__version__}.dll").write_bytes(b"MZ")
    with pytest.raises(InstallError) as refused:
        _install(addin, tmp_path, interpreter)
    message = str(refused.value)
    assert (f"64-bit DLL (xlwings64-{xlwings.__version__}.dll) is not beside {interpreter}"
            in message)
    assert f"only the 32-bit one (xlwings32-{xlwings.__version__}.dll) is" in message
    assert "64-bit Excel could not start this Python" in message
    # 32-bit Office takes the 32-bit DLL.
    install(addin, platform="win32", interpreter=interpreter, office_bits=32,
            xlstart=tmp_path / "XLSTART", user_base=tmp_path / "user-site")


def test_install_explains_xlwings_installed_with_pip_user(addin, tmp_path):
    interpreter = tmp_path / "Python311" / "python.exe"
    interpreter.parent.mkdir()
    user_base = tmp_path / "user-site"
    user_base.mkdir()
    (user_base / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    with pytest.raises(InstallError, match=r"installed with pip --user: its DLL .* is in "
                                           r".*user-site, where Excel does not look"):
        _install(addin, tmp_path, interpreter)


def test_install_explains_the_microsoft_store_python(addin, tmp_path):
    store = Path("C:/Users/ann/AppData/Local/Microsoft/WindowsApps/python.exe")
    with pytest.raises(InstallError, match="Microsoft Store Python.*python.org"):
        _install(addin, tmp_path, store)


def test_install_warns_when_the_start_up_folder_is_on_the_network(addin, tmp_path,
                                                                  python_with_xlwings,
                                                                  monkeypatch):
    module = importlib.import_module("lfi_xl.addin.install")

    written = {}
    monkeypatch.setattr(module, "atomic_write", lambda path, data: written.update({path: data}))
    unc = Path("//fileserver/profiles$/ann/AppData/Roaming/Microsoft/Excel/XLSTART")
    message = _install(addin, tmp_path, python_with_xlwings, xlstart=unc)
    assert list(written) == [unc / "lfi_xl.xlam"]
    assert "Warning: your start-up folder" in message and "trusted location" in message


def test_install_from_any_folder_uses_the_project_add_in(addin, tmp_path, python_with_xlwings,
                                                         monkeypatch):
    module = importlib.import_module("lfi_xl.addin.install")

    project_addin = tmp_path / "project" / "dist" / "lfi_xl.xlam"
    monkeypatch.setattr(module, "PROJECT_ADDIN", project_addin)
    monkeypatch.chdir(tmp_path)  # no dist/ here
    # None built yet: it is built from the sources, then installed.
    _install(None, tmp_path, python_with_xlwings)
    assert project_addin.is_file()
    assert addin_settings((tmp_path / "XLSTART" / "lfi_xl.xlam").read_bytes())[-1] == (
        INTERPRETER_KEY, str(python_with_xlwings))


def test_install_says_when_the_add_in_is_not_built(tmp_path, python_with_xlwings):
    with pytest.raises(InstallError, match="build it first"):
        _install(tmp_path / "dist" / "lfi_xl.xlam", tmp_path, python_with_xlwings)


def test_remove_takes_the_add_in_out(addin, tmp_path, python_with_xlwings):
    xlstart = tmp_path / "XLSTART"
    _install(addin, tmp_path, python_with_xlwings)
    assert "Removed" in remove(platform="win32", xlstart=xlstart)
    assert not (xlstart / "lfi_xl.xlam").exists()
    assert "not installed" in remove(platform="win32", xlstart=xlstart)


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_elsewhere_install_and_remove_say_excel_for_windows_is_needed(addin, tmp_path,
                                                                     platform):
    for attempt in (lambda: install(addin, platform=platform, xlstart=tmp_path),
                    lambda: remove(platform=platform, xlstart=tmp_path)):
        with pytest.raises(InstallError) as refused:
            attempt()
        message = str(refused.value)
        assert "needs Excel for Windows" in message and platform in message
        assert "dist/lfi_xl.xlam" in message and "lfi-xl addin install" in message
    assert list(tmp_path.iterdir()) == []


def test_xlstart_is_the_users_start_up_folder():
    assert xlstart_folder({"APPDATA": "C:/Users/ann/AppData/Roaming"}) == Path(
        "C:/Users/ann/AppData/Roaming/Microsoft/Excel/XLSTART")
    with pytest.raises(InstallError, match="APPDATA"):
        xlstart_folder({"USERPROFILE": "C:/Users/ann"})
