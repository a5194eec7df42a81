"""lfi-xl recalc on workbooks written by Excel (Windows, Mac, Online) and WPS, not by us
(tests/fixtures/excel, see its README), and on Excel-shaped files: every value recalc
writes equals the value Excel saved, and every formula it does not calculate keeps its
saved value and is counted; the ones that matter are reported."""

import math
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from lfi_xl.actions.recalc import evaluate
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.book.area import ErrorValue
from lfi_xl.cli import main
from lfi_xl.core.costs import serial

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "excel"


def saved_values(path: Path) -> dict[tuple[str, str], object]:
    """Every formula cell's cached value, as the file stores it."""
    package = Package.read(path)
    view = wx.transitional(package)
    formula_cells = {(f.sheet, f.cell) for f in wx.formulas(view)}
    out = {}
    for info in wx.sheets(view):
        for cell in wx.parse(view.parts[info.part]).iterfind("m:sheetData/m:row/m:c", wx.NS):
            key = (info.name, cell.get("r"))
            value = cell.find("m:v", wx.NS)
            if key in formula_cells and value is not None:
                kind = cell.get("t", "n")
                out[key] = float(value.text) if kind == "n" else (kind, value.text or "")
    return out


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-300)
    return a == b


# file, formula cells, recalculated, kept (Excel's value)
EXCEL_FILES = [
    ("poi-shared_formulas.xlsx", 40, 40, 0),            # 39 cells of one shared formula
    ("poi-TestShiftRowSharedFormula.xlsx", 6, 6, 0),
    ("poi-55906-MultiSheetRefs.xlsx", 13, 0, 13),       # SUM(Sheet1:Sheet3!A1), COUNTA
    ("poi-SimpleStrict.xlsx", 2, 2, 0),                 # strict OOXML
    ("poi-xlookup.xlsx", 4, 0, 4),                      # Excel Online: XLOOKUP, XMATCH
    ("poi-56315.xlsx", 2, 2, 0),                        # ROUND(0.049999999999999975, 1)
    ("poi-FormulaEvalTestData_Copy.xlsx", 1295, 339, 956),  # POI's evaluation test data
    ("sheetjs-1904.xlsx", 10, 0, 10),                   # Mac Excel, 1904 dates, TEXT
    ("sheetjs-formulae_test_simple.xlsx", 15, 14, 1),   # SUM(A1:A5*B1:B5), not an array
    ("sheetjs-sheet_visibility_strict.xlsx", 23, 0, 23),  # strict, shared CODE()
    ("sheetjs-wps_fn.xlsx", 2, 0, 2),                   # WPS: EVALUATE, FIELDVALUE
]


@pytest.mark.parametrize(("name", "count", "computed", "kept"), EXCEL_FILES)
def test_recalc_writes_only_what_excel_saved(name, count, computed, kept, tmp_path, capsys):
    source = tmp_path / name
    shutil.copyfile(FIXTURES / name, source)
    before = saved_values(source)
    target = tmp_path / "out.xlsx"
    code = main(["recalc", str(source), "-o", str(target)])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert f"{computed} of {count} formula cell(s) recalculated" in out
    evaluation = evaluate(source)
    assert len(evaluation.kept) == kept
    after = saved_values(target)
    assert after.keys() == before.keys()
    written = [key for key in before if not same(before[key], after[key])]
    assert written == [], [(key, before[key], after[key]) for key in written]
    # and what recalc computed is what Excel saved, not merely left alone
    for key, value in evaluation.values.items():
        if key in before and isinstance(value, float | int) and not isinstance(value, bool):
            assert same(before[key], float(value)), key
    if "strict" in name.lower():  # patched, and kept, in the strict namespaces
        sheet = zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml")
        assert b"http://purl.oclc.org/ooxml/spreadsheetml/main" in sheet


def test_three_d_references_count_and_xlookup_are_kept_not_overwritten(tmp_path, capsys):
    source = tmp_path / "refs.xlsx"
    shutil.copyfile(FIXTURES / "poi-55906-MultiSheetRefs.xlsx", source)
    assert main(["recalc", str(source)]) == 0  # nothing depends on an LFI_ result
    out = capsys.readouterr().out
    assert "13 kept the value Excel saved" in out
    assert "uses a reference across sheets (Sheet1:Sheet3!A1) (13)" in out
    assert saved_values(source)[("Sheet1", "A3")] == 66.0  # SUM(Sheet1:Sheet3!A1)


def test_shared_formulas_are_read_cell_by_cell():
    formulas = {(f.sheet, f.cell): f.text for f in wx.formulas(Package.read(
        FIXTURES / "poi-TestShiftRowSharedFormula.xlsx"))}
    assert formulas[("Sheet1", "D5")] == "SUM(D2:D4)"
    assert formulas[("Sheet1", "E5")] == "SUM(E2:E4)"  # stored as <f t="shared" si="0"/>


def test_strict_ooxml_formulas_are_read():
    strict = wx.formulas(Package.read(FIXTURES / "sheetjs-sheet_visibility_strict.xlsx"))
    assert len(strict) == 23 and all(f.text.startswith("CODE(") for f in strict)


# ----------------------------------------------------------------- Excel-shaped files

def _with_values(path: Path, values: dict) -> None:
    """Give cells cached values, as Excel would have saved them."""
    package = Package.read(path)
    wx.set_cached_values(package, values)
    package.save(path)


def test_an_xlookup_on_lfi_results_is_reported_and_what_depends_on_it_kept(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=LFI_CUMBAL(0,5)"
    ws["B1"] = "=_xlfn.XLOOKUP(5,A1:A1,A1:A1)"
    ws["C1"] = "=B1+1"
    ws["D1"] = "=SUM(A1,1)"
    source = tmp_path / "book.xlsx"
    wb.save(source)
    _with_values(source, {("Sheet", "A1"): 4, ("Sheet", "B1"): 4, ("Sheet", "C1"): 5,
                          ("Sheet", "D1"): 5})
    assert main(["recalc", str(source)]) == 1
    out = capsys.readouterr().out
    assert ("not calculated: Sheet!B1: uses XLOOKUP, which lfi-xl does not calculate: "
            "open in Excel and press F9") in out
    assert ("not calculated: Sheet!C1: depends on Sheet!B1, which lfi-xl does not "
            "calculate: open in Excel and press F9") in out
    values = saved_values(source)
    assert (values[("Sheet", "A1")], values[("Sheet", "D1")]) == (5.0, 6.0)  # recalculated
    assert (values[("Sheet", "B1")], values[("Sheet", "C1")]) == (4.0, 5.0)  # as saved


EXTERNAL_LINK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="http://'
    'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><externalBook r:id="rId1">'
    '<sheetNames/></externalBook></externalLink>')
LINK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
    'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'externalLinkPath" Target="{target}" TargetMode="External"/></Relationships>')


def excel_shaped_addin_links(path: Path, targets: list[str]) -> None:
    """Add external links as Excel saves them when a formula calls an add-in function
    (link n is ``[n]!``), each pointing at ``targets[n-1]``."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    types = parts["[Content_Types].xml"].decode()
    references = ""
    for n, target in enumerate(targets, start=1):
        parts[f"xl/externalLinks/externalLink{n}.xml"] = EXTERNAL_LINK.encode()
        parts[f"xl/externalLinks/_rels/externalLink{n}.xml.rels"] = LINK_RELS.format(
            target=target).encode()
        rels = rels.replace("</Relationships>", f'<Relationship Id="rIdLink{n}" Type="http:'
                            '//schemas.openxmlformats.org/officeDocument/2006/relationships/'
                            f'externalLink" Target="externalLinks/externalLink{n}.xml"/>'
                            "</Relationships>")
        types = types.replace("</Types>", f'<Override PartName="/xl/externalLinks/externalLink'
                              f'{n}.xml" ContentType="application/vnd.openxmlformats-'
                              'officedocument.spreadsheetml.externalLink+xml"/></Types>')
        references += (f'<externalReference xmlns:r="http://schemas.openxmlformats.org/'
                       f'officeDocument/2006/relationships" r:id="rIdLink{n}"/>')
    workbook = workbook.replace("</sheets>", f"</sheets><externalReferences>{references}"
                                "</externalReferences>")
    parts["xl/workbook.xml"] = workbook.encode()
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts["[Content_Types].xml"] = types.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_add_in_calls_saved_by_excel_are_the_lfi_functions(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = 100, 10
    ws["C1"] = "=[1]!LFI_CUMBAL(A1,B1)"           # the add-in, installed per user
    ws["C2"] = "=_xludf.LFI_CUMBAL(A1,B1)+1"      # the add-in not loaded when saved
    ws["C3"] = '=[2]!LFI_CUMBAL(A1,B1)&"[1]!LFI_X("'  # another workbook's function
    ws["C4"] = "=[3]!LFI_CUMBAL(A1,B1)"           # the add-in at another path
    source = tmp_path / "saved by Excel.xlsx"
    wb.save(source)
    excel_shaped_addin_links(source, [
        r"file:///C:\Users\finance\AppData\Roaming\Microsoft\AddIns\lfi_xl.xlam",
        "Other%20book.xlsm", "/Users/jo/Library/Group Containers/UBF8T346G9.Office/"
        "User Content.localized/Add-Ins.localized/LFI_XL.xlam"])
    _with_values(source, {("Sheet", "C3"): "as saved"})
    texts = {f.cell: f.text for f in wx.formulas(Package.read(source))}
    assert texts["C1"] == "LFI_CUMBAL(A1,B1)" and texts["C2"] == "LFI_CUMBAL(A1,B1)+1"
    assert texts["C3"].startswith("[2]!LFI_CUMBAL(") and texts["C4"] == "LFI_CUMBAL(A1,B1)"
    assert main(["recalc", str(source)]) == 1  # C3 depends on an LFI_ call: reported
    out = capsys.readouterr().out
    assert "Sheet!C3: refers to another workbook, which lfi-xl does not calculate" in out
    assert "cannot read" not in out
    values = saved_values(source)
    assert values[("Sheet", "C1")] == 110.0 and values[("Sheet", "C2")] == 111.0
    assert values[("Sheet", "C4")] == 110.0 and values[("Sheet", "C3")] == ("str", "as saved")
    assert "[1]!LFI_CUMBAL" in zipfile.ZipFile(source).read(
        "xl/worksheets/sheet1.xml").decode()  # the formula itself is left as Excel wrote it


def test_the_1904_date_system_is_applied_to_dates_the_functions_read_and_give(tmp_path):
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws["A1"] = serial(dt_date(2023, 6, 10)) - 1462  # 10 June 2023, in 1904 serials
    ws["B1"] = "=LFI_PERIOD(A1)"
    ws["C1"] = '=LFI_DUEDATE("2023-24 Q1")'
    ws["A3"], ws["A4"], ws["B3"], ws["B4"] = 43554, 43555, 1, 2  # 31/03, 01/04/2023
    ws["C3"] = '=SUMIFS(B3:B4,A3:A4,">=01/04/2023")'
    source = tmp_path / "mac.xlsx"
    wb.save(source)
    assert wx.date1904(Package.read(source))
    values = evaluate(source).values
    assert values[("Sheet", "B1")] == "2023-24 Q1"
    assert values[("Sheet", "C1")] == serial(dt_date(2023, 6, 16)) - 1462
    assert values[("Sheet", "C3")] == 2


def dt_date(*args):
    import datetime

    return datetime.date(*args)


def test_check_compares_with_what_excel_saved_and_writes_nothing(tmp_path, capsys):
    source = tmp_path / "shared.xlsx"
    shutil.copyfile(FIXTURES / "poi-TestShiftRowSharedFormula.xlsx", source)
    before = source.read_bytes()
    assert main(["recalc", "--check", str(source)]) == 0
    assert "lfi-xl's values equal the ones saved in the file" in capsys.readouterr().out
    _with_values(source, {("Sheet1", "E5"): 99})  # as if Excel had saved another figure
    assert main(["recalc", "--check", str(source)]) == 1
    out = capsys.readouterr().out
    assert "differs: Sheet1!E5: lfi-xl gives 18, the file has 99\n" in out
    assert before != source.read_bytes() and not source.with_name("shared.xlsx.bak").exists()


def test_tables_subtotal_and_database_functions_are_kept_not_refused(tmp_path, capsys):
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "Amount"])
    for row in (["a", 1], ["b", 2], ["c", 3]):
        ws.append(row)
    ws.add_table(Table(displayName="Costs", ref="A1:B4"))
    wb.defined_names["Total"] = DefinedName("Total", attr_text="SUM(Costs[Amount])")
    ws["D1"] = "=SUBTOTAL(109,Costs[Amount])"
    ws["D2"] = '=DSUM(A1:B4,"Amount",A1:A2)'
    ws["D3"] = "=Total"
    ws["D4"] = '=SUMIF(A2:A4,"b",B2:B3)'  # Excel resizes the sum range: not ours to guess
    ws["D5"] = "=SUM(B2:B4)"
    source = tmp_path / "tables.xlsx"
    wb.save(source)
    _with_values(source, {("Sheet", f"D{n}"): v for n, v in enumerate((6, 1, 6, 2, 6), 1)})
    assert main(["recalc", str(source)]) == 0
    out = capsys.readouterr().out
    # the table reference is read as the range it covers (and gives Excel's 6)
    assert "2 of 5 formula cell(s) recalculated" in out and "3 kept the value Excel saved" in out
    assert "uses SUBTOTAL" in out and "uses DSUM" in out
    assert "uses SUMIFS with ranges of different sizes" in out
    values = saved_values(source)
    assert [values[("Sheet", f"D{n}")] for n in range(1, 6)] == [6.0, 1.0, 6.0, 2.0, 6.0]


# ------------------------------------------- POI's evaluation test data, cell by cell

POI_EVAL = FIXTURES / "poi-FormulaEvalTestData_Copy.xlsx"
POI_CELLS = [(f.sheet, f.cell) for f in wx.formulas(Package.read(POI_EVAL))]


def as_saved(value) -> object:
    """A value recalc computes in the form :func:`saved_values` gives the file's."""
    from lfi_xl.book.area import ErrorValue

    if isinstance(value, ErrorValue):
        return ("e", str(value))
    if isinstance(value, bool):
        return ("b", "1" if value else "0")
    if isinstance(value, str):
        return ("str", value)
    return float(value)


@pytest.fixture(scope="module")
def poi_evaluation():
    return evaluate(POI_EVAL), saved_values(POI_EVAL)


@pytest.mark.parametrize("cell", POI_CELLS, ids=[f"{s}!{c}" for s, c in POI_CELLS])
def test_each_value_recalc_computes_in_excels_evaluation_workbook_is_excels(cell,
                                                                            poi_evaluation):
    """1,295 formulas Excel saved over some 130 functions: each value recalc computes is
    the one Excel saved; every other cell is listed as keeping Excel's value."""
    evaluation, saved = poi_evaluation
    if cell in evaluation.values:
        assert same(as_saved(evaluation.values[cell]), saved[cell]), (
            evaluation.values[cell], saved[cell])
    else:
        assert cell in {(p.sheet, p.cell) for p in evaluation.kept}


#: Cells where Excel's rules differ from a naive evaluator's (issue 28), each computed.
EXCEL_RULES = {
    "D1320": 10000000537.00001,  # SUM over a range skips numbers typed as text and TRUE
    "E1320": 539.10002, "F1320": 1e-05, "G1320": 0.0, "H1320": -1000023.8999900001,
    "N35": ("b", "1"),           # FALSE=A1 with A1 empty
    "L96": ("e", "#VALUE!"),     # AND("1",1)
    "M96": ("e", "#VALUE!"),
    "N96": 345.0, "O96": 345.0,  # ABS(K9:N9): the cell in the formula's column
    "J136": ("e", "#VALUE!"),
    "G71": ("e", "#NUM!"),       # a negative number to a fractional power
    "M732": ("str", "A"),        # IF("tRue",...)
    "E296": 1.0,                 # COUNTIF(range, 1/0): the cells holding #DIV/0!
    "E884": 999999.99999, "F884": -1.00001, "K884": 345.0,  # MAX, MIN of typed text
    "H908": 0.0, "I908": -2.99999, "J908": -100.0, "K908": 2.0, "L908": -20.0,
    "F284": 1.0,                 # COUNT(2,"A","",#REF!,#DIV/0!)
    "D880": 3.0, "E880": 4.0, "F880": ("e", "#N/A"),  # approximate MATCH, sorted numbers
}


def test_excels_rules_for_text_logical_values_blanks_and_errors_are_computed(
        poi_evaluation):
    evaluation, saved = poi_evaluation
    for address, value in EXCEL_RULES.items():
        key = ("EverythingTests", address)
        assert saved[key] == value or same(saved[key], value), address
        assert key in evaluation.values, address  # computed, not merely kept
        assert same(as_saved(evaluation.values[key]), value), address
    assert evaluation.computed >= 330
    assert not [p for p in evaluation.problems if p.kind == "error not written"]


def test_the_five_cell_workbook_keeps_every_value(tmp_path, capsys):
    """A1 = 5, A2 = "3" (text), A3 = TRUE, A4 empty: Excel's SUM(A1:A4) is 5."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 5, "3", True
    ws["A5"] = "=SUM(A1:A4)"
    source = tmp_path / "five.xlsx"
    wb.save(source)
    _with_values(source, {("Sheet", "A5"): 5})
    target = tmp_path / "out.xlsx"
    assert main(["recalc", str(source), "-o", str(target)]) == 0
    assert "1 of 1 formula cell(s) recalculated" in capsys.readouterr().out
    after = openpyxl.load_workbook(target, data_only=True).active
    assert [after[f"A{n}"].value for n in range(1, 6)] == [5, "3", True, None, 5]


def test_a_value_no_cell_holds_is_never_written_and_errors_never_replace_excels(tmp_path,
                                                                                capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = -0.5, 0.5
    ws["B1"] = "=A1^A2"          # Excel: #NUM! (Python would give a complex number)
    ws["B2"] = "=1/A3"           # Excel saved 7 (say, before A3 was cleared by a script)
    ws["B3"] = "=B2+1"
    source = tmp_path / "book.xlsx"
    wb.save(source)
    _with_values(source, {("Sheet", "B2"): 7, ("Sheet", "B3"): 8})
    assert main(["recalc", str(source)]) == 1
    out = capsys.readouterr().out
    assert "Sheet!B2: lfi-xl computes #DIV/0! where Excel saved 7: Excel's value is kept" in out
    values = saved_values(source)
    assert values[("Sheet", "B1")] == ("e", "#NUM!")
    assert values[("Sheet", "B2")] == 7.0 and values[("Sheet", "B3")] == 8.0


def test_a_table_column_named_like_a_number_and_approximate_match(tmp_path):
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "_Prime.1", "Amount"])
    for row in (["a", 1, 10], ["b", 2, 20], ["c", 3, 30]):
        ws.append(row)
    ws.add_table(Table(displayName="T", ref="A1:C4"))
    ws["E1"] = "=SUM(T[_Prime.1])"
    ws["E2"] = "=MATCH(2.5,B2:B4)"        # sorted: the last value at or below 2.5
    ws["E3"] = "=MATCH(2.5,C2:C4,-1)"     # not sorted descending: Excel's value kept
    ws["E4"] = "=MATCH(0.5,B2:B4,1)"      # below the first: #N/A
    source = tmp_path / "table.xlsx"
    wb.save(source)
    _with_values(source, {("Sheet", "E1"): 6, ("Sheet", "E2"): 2, ("Sheet", "E3"): 1,
                          ("Sheet", "E4"): ErrorValue("#N/A")})
    evaluation = evaluate(source)
    assert evaluation.values[("Sheet", "E1")] == 6 and evaluation.values[("Sheet", "E2")] == 2
    assert evaluation.values[("Sheet", "E4")] == "#N/A"
    assert [p.message for p in evaluation.kept] == [
        "uses approximate MATCH over values not in strict order"]
