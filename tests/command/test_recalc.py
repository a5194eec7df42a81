"""lfi-xl recalc on workbooks it has never seen: array formulas, unknown functions,
circular references and syntax errors, reported by sheet and cell."""

import re
import zipfile

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula

from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import parse_area
from lfi_xl.cli import main

DYNAMIC_ARRAY_METADATA = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst><ext '
    'uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}"><xda:dynamicArrayProperties fDynamic="1" '
    'fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>')


def make_dynamic(path):
    """Mark B6's array formula as a dynamic array (a spill), as Excel 365 saves one."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="B6"', '<c r="B6" cm="1"', 1)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    parts["xl/metadata.xml"] = DYNAMIC_ARRAY_METADATA.encode()
    types = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/metadata.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"/></Types>')
    parts["[Content_Types].xml"] = types.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode().replace(
        "</Relationships>", '<Relationship Id="rIdMeta" Type="http://schemas.openxmlformats'
        '.org/officeDocument/2006/relationships/sheetMetadata" Target="metadata.xml"/>'
        "</Relationships>")
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_classic_and_dynamic_array_formulas(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My plan"
    ws["A1"] = 100
    ws["B4"], ws["C4"], ws["D4"] = 10, -20, 30
    ws["B5"] = ArrayFormula("B5:D5", "=LFI_CUMBAL(A1,B4:D4)")
    ws["B6"] = ArrayFormula("B6:D6", "=LFI_CUMBAL(A1,B4:D4,B4:D4)")
    ws["E5"] = "=SUM(B5:D5)"
    source = tmp_path / "unseen.xlsx"
    wb.save(source)
    make_dynamic(source)
    target = tmp_path / "out.xlsx"
    assert main(["recalc", str(source), "-o", str(target)]) == 0
    assert "3 of 3 formula cell(s) recalculated" in capsys.readouterr().out
    book = WorkbookValues(target)
    assert book.values(parse_area("'My plan'!B5:E5"))[0] == [110, 90, 120, 320]
    assert book.values(parse_area("'My plan'!B6:D6"))[0] == [120, 80, 140]
    sheet = zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml").decode()
    assert 'cm="1"' in sheet and "LFI_CUMBAL(A1,B4:D4)" in sheet  # formulas kept
    assert zipfile.ZipFile(target).read("xl/metadata.xml").decode() == DYNAMIC_ARRAY_METADATA
    assert source.read_bytes() != target.read_bytes()


def test_unknown_functions_and_circular_references_are_named(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=FOO(1)+LFI_CUMBAL(0,1)"
    ws["A2"] = "=B2+1"
    ws["B2"] = "=A2+1"
    ws["A3"] = '="FOO(" & "x"'  # text that looks like a call is not a function
    ws["A4"] = "=LFI_AVGCOST(B6:B7,1,C6:C7,\"x\")"
    ws["B6"], ws["B7"], ws["C6"], ws["C7"] = 1, 2, "y", "y"
    source = tmp_path / "book.xlsx"
    wb.save(source)
    assert main(["recalc", str(source)]) == 1
    out = capsys.readouterr().out
    # FOO is not calculated here: Excel's value is kept (none was saved), and said so
    assert ("not calculated: Sheet!A1: uses FOO, which lfi-xl does not calculate, and has "
            "no saved value: open in Excel and press F9") in out
    assert re.search(r"circular reference: Sheet!A2: circular reference", out)
    assert "Sheet!B2" in out and "Sheet!A3" not in out
    assert "Sheet!A4: #N/A LFI_AVGCOST: no placements match" in out
    assert (tmp_path / "book.xlsx.bak").exists()
    values = WorkbookValues(source)
    assert values.values(parse_area("Sheet!A1:A4")) == [[None], [None],
                                                            ["FOO(x"], ["#N/A"]]


def test_a_formula_that_cannot_be_read_stops_the_recalc_without_writing(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active["C3"] = "=SUM(1,"
    source = tmp_path / "broken.xlsx"
    wb.save(source)
    before = source.read_bytes()
    assert main(["recalc", str(source)]) == 2
    assert "syntax: Sheet!C3: cannot read the formula =SUM(1," in capsys.readouterr().out
    assert source.read_bytes() == before


def test_recalc_refuses_what_is_not_a_workbook(tmp_path, capsys):
    text = tmp_path / "figures.xlsx"
    text.write_text("a,b\n1,2\n")
    assert main(["recalc", str(text)]) == 2
    assert "is not an Excel workbook" in capsys.readouterr().err


def test_output_the_same_file_as_the_input_keeps_a_backup(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = 2, "=A1*3"
    source = tmp_path / "book.xlsx"
    wb.save(source)
    before = source.read_bytes()
    assert main(["recalc", str(source), "-o", str(tmp_path / "." / "book.xlsx")]) == 0
    assert f"(original kept as {source}.bak)" in capsys.readouterr().out
    assert (tmp_path / "book.xlsx.bak").read_bytes() == before
    assert WorkbookValues(source).values(parse_area("Sheet!A2")) == [[6]]


def test_a_workbook_without_formulas_is_told_so_and_left_alone(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active["A1"] = 5
    wb.create_sheet("It's mine")["B2"] = "text"  # an apostrophe is no reason
    source = tmp_path / "values.xlsx"
    wb.save(source)
    before = source.read_bytes()
    assert main(["recalc", str(source)]) == 0
    out = capsys.readouterr().out
    assert f"{source} has no formulas: nothing to recalculate (no file written)" in out
    assert "apostrophe" not in out
    assert source.read_bytes() == before and not (tmp_path / "values.xlsx.bak").exists()


def test_sheet_names_with_apostrophes_are_read(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.title = "Jo's plan"
    wb.active["A1"] = 4
    wb.active["A2"] = "='Jo''s plan'!A1+1"
    source = tmp_path / "book.xlsx"
    wb.save(source)
    assert main(["recalc", str(source)]) == 0
    assert WorkbookValues(source).values(parse_area("'Jo''s plan'!A2")) == [[5]]
