"""Issue 27, findings 4, 5 and 6: verify checks each frozen value at the cell it was frozen
from, finds a snapshot row whose item is gone and a name that moved, checks what a cell
shows (conditional formats' number formats, cells written without ``r=``), and is not
alarmed by a no-change save in LibreOffice. Each attack below passed verify before."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from lfi_xl.adapters import libreoffice
from lfi_xl.adapters.files.writer import FileWorkbook
from lfi_xl.cli import main

PERIOD = "2023-24 Q3"


def frozen(kpi: Path) -> Path:
    assert main(["freeze", "--kpi", str(kpi), "--period", PERIOD, "--by", "A. Finance"]) == 0
    return kpi


def verify(kpi: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["verify", "--kpi", str(kpi)])
    return code, capsys.readouterr().out


def rewrite(path: Path, change) -> None:
    """Change the parts of a workbook file (``change(parts)`` edits the dict in place)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def sheet_part(path: Path, sheet: str) -> str:
    from lfi_xl.adapters.files import workbook_xml as wx
    from lfi_xl.adapters.files.package import Package

    return next(info.part for info in wx.sheets(Package.read(path)) if info.name == sheet)


def test_a_name_moved_to_a_copy_is_found_at_the_cell_frozen(kpi_book, capsys):
    """The plan's in-year figure copied to another row, its name pointed there, and the
    original cell (the one the KPI formulas read) changed: each name still reads the
    frozen value."""
    frozen(kpi_book)
    book = FileWorkbook(kpi_book)
    row = book.values(book.area("PlanData_in_year"))[0]
    book.set_cells("Plan Data", {f"{chr(ord('C') + i)}30": value
                                 for i, value in enumerate(row) if value is not None})
    book.set_name("PlanData_in_year", "Plan Data", "$C$30:$T$30")
    book.set_cells("Plan Data", {"E10": 99})
    book.save(backup=False)
    code, out = verify(kpi_book, capsys)
    assert code == 1
    assert "'Plan Data'!E10" in out and "now reads 99" in out
    assert "a defined name or a table's range was moved" in out


def test_a_key_changed_is_a_snapshot_row_without_its_item(kpi_book, capsys):
    frozen(kpi_book)
    book = FileWorkbook(kpi_book)
    book.set_cells("Conditions", {"A13": 10})   # condition 9's number
    book.save(backup=False)
    code, out = verify(kpi_book, capsys)
    assert code == 1
    assert "Condition 9 of its snapshot is no longer in the workbook" in out
    assert "Condition 10 is not in its snapshot" in " ".join(out.split())


def test_a_condition_cut_from_its_table_is_found_and_stops_the_return(kpi_book, plan_book,
                                                                        tmp_path, capsys):
    frozen(kpi_book)
    book = FileWorkbook(kpi_book)
    book.set_name("Conditions_Table", "Conditions", "$A$4:$T$12")   # the last row left out
    book.save(backup=False)
    code, out = verify(kpi_book, capsys)
    assert code == 1 and "Condition 9 of its snapshot is no longer in the workbook" in out
    assert main(["dfe-return", "--kpi", str(kpi_book), "--plan", str(plan_book),
                 "--period", PERIOD, "-o", str(tmp_path / "out")]) != 0
    assert not (tmp_path / "out" / "manifest.json").exists()


def add_format(styles: bytes, code: str, differential: bool) -> tuple[bytes, int]:
    """styles.xml with a number format ``code`` added as a cell style (or a differential
    format, for a conditional format); the new style's index."""
    text = styles.decode()
    escaped = code.replace('"', "&quot;")
    if differential:
        dxf = f'<dxf><numFmt numFmtId="190" formatCode="{escaped}"/></dxf>'
        if "<dxfs" in text and "<dxfs count=\"0\"/>" not in text:
            count = len(re.findall(r"<dxf>", text))
            text = text.replace("</dxfs>", dxf + "</dxfs>")
        else:
            count = 0
            text = re.sub(r'<dxfs count="0"\s*/>', "", text)
            text = text.replace("<tableStyles", f'<dxfs count="1">{dxf}</dxfs><tableStyles')
        return text.encode(), count
    number = f'<numFmt numFmtId="191" formatCode="{escaped}"/>'
    if "<numFmts" in text:
        text = re.sub(r"(<numFmts[^>]*>)", r"\1" + number, text, count=1)
    else:
        text = text.replace("<fonts", f'<numFmts count="1">{number}</numFmts><fonts', 1)
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", text, re.S)
    count = len(re.findall(r"<xf[ >]", xfs.group(1)))
    text = text.replace("</cellXfs>", '<xf numFmtId="191" fontId="0" fillId="0" borderId="0" '
                                      'xfId="0" applyNumberFormat="1"/></cellXfs>', 1)
    return text.encode(), count


@pytest.mark.parametrize(("sheet", "cell", "code"), [
    ("KPIs", "K23", '"999"'),             # a figure shown as 999
    ("Conditions", "E5", ';;;"A"'),       # a G shown as an A
])
def test_a_conditional_format_showing_another_figure_is_found(kpi_book, capsys, sheet, cell,
                                                              code):
    frozen(kpi_book)
    part = sheet_part(kpi_book, sheet)

    def change(parts):
        parts["xl/styles.xml"], index = add_format(parts["xl/styles.xml"], code, True)
        rule = (f'<conditionalFormatting sqref="{cell}"><cfRule type="expression" '
                f'dxfId="{index}" priority="1"><formula>TRUE</formula></cfRule>'
                "</conditionalFormatting>")
        data = parts[part].decode()
        anchor = re.search(r"<(dataValidations|hyperlinks|printOptions|pageMargins)[ >]", data)
        parts[part] = (data[:anchor.start()] + rule + data[anchor.start():]).encode()

    rewrite(kpi_book, change)
    code_, out = verify(kpi_book, capsys)
    assert code_ == 1 and f"{sheet}!{cell}" in out and "conditional" in out


def test_cells_written_without_their_address_are_read_where_they_are(kpi_book, capsys):
    """A condition's RAG cell given a format that shows another letter, in a row whose
    cells carry no ``r=`` (optional in the file format): read before as "no formula,
    General", which matched the snapshot."""
    frozen(kpi_book)
    part = sheet_part(kpi_book, "Conditions")

    def change(parts):
        parts["xl/styles.xml"], index = add_format(parts["xl/styles.xml"], '"R"', False)
        data = parts[part].decode()
        row = re.search(r'<row r="5"[^>]*>(.*?)</row>', data, re.S)
        cells = re.sub(r'(<c r="E5")( s="\d+")?', rf'\1 s="{index}"', row.group(1))
        cells = re.sub(r'<c r="[A-Z]+5"', "<c", cells)
        parts[part] = (data[:row.start(1)] + cells + data[row.end(1):]).encode()

    rewrite(kpi_book, change)
    code, out = verify(kpi_book, capsys)
    assert code == 1 and "Conditions!E5" in out and '"R"' in out


def test_a_no_change_save_in_libreoffice_is_not_an_alarm(kpi_book, plan_book, tmp_path,
                                                         capsys):
    frozen(kpi_book)
    saved = tmp_path / "saved"
    saved.mkdir()
    subprocess.run([libreoffice.executable(), "--headless", "--convert-to", "xlsx",
                    "--outdir", str(saved), str(kpi_book)], check=True, capture_output=True,
                   timeout=180)
    resaved = saved / kpi_book.name
    with zipfile.ZipFile(resaved) as archive:   # LibreOffice's own spellings are there
        sheets = b"".join(archive.read(name) for name in archive.namelist()
                          if name.startswith("xl/worksheets/"))
        assert b"lfi_pctchange(" in sheets.lower() and b"LFI_PCTCHANGE(" not in sheets
    shutil.copy(kpi_book.with_name(kpi_book.name + ".lfi-receipts.jsonl"),
                resaved.with_name(resaved.name + ".lfi-receipts.jsonl"))
    code, out = verify(resaved, capsys)
    assert code == 0, out
    assert main(["extract", "--kpi", str(resaved), "--plan", str(plan_book), "--no-pdf",
                 "-o", str(tmp_path / "out")]) == 0
