"""A finance officer's whole cycle on a council's own KPI workbook as Excel saves it:
formulas filled down (shared formulas), every cell locked by default and no sheet
protected. adopt, recalc, validate, freeze; the next period stays editable."""

import re
import zipfile

from helpers import council_kpis, locks, protected

from lfi_xl.cli import main


def fill_down_as_excel_saves(path, column: str, first: int, last: int, text: str,
                             si: int = 0) -> None:
    """Cells ``column first..last`` hold ``text`` (with {row}) filled down: Excel stores
    the first formula once (``t="shared"``) and every other cell as a reference to it."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for row in range(first, last + 1):
        formula = (f'<f t="shared" ref="{column}{first}:{column}{last}" si="{si}">'
                   f'{text.format(row=first)}</f>' if row == first else
                   f'<f t="shared" si="{si}"/>')
        cell = f'<c r="{column}{row}">{formula}<v>0</v></c>'
        sheet, n = re.subn(rf'(<row r="{row}"[^>]*>)(.*?)(</row>)',
                           lambda m, cell=cell: m.group(1) + m.group(2) + cell + m.group(3),
                           sheet, count=1, flags=re.S)
        if not n:  # a row with nothing in it yet
            sheet = sheet.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_councils_own_kpi_workbook_through_the_cycle(tmp_path, capsys):
    kpis = council_kpis(tmp_path / "kpis.xlsx")
    fill_down_as_excel_saves(kpis, "J", 7, 20, "IF(ISNUMBER(H{row}),H{row}-G{row},\"\")")
    fill_down_as_excel_saves(kpis, "K", 7, 20, "ROUND(H{row},1)", si=1)
    assert main(["adopt", str(kpis), "--authority", "Norfolk County Council"]) == 0
    assert main(["recalc", str(kpis)]) == 0  # no "cannot read the formula"
    out = capsys.readouterr().out
    assert "14 kept the value Excel saved" in out  # ISNUMBER is not calculated
    from lfi_xl.adapters.files.reader import WorkbookValues
    from lfi_xl.book.area import parse_area

    book = WorkbookValues(kpis)
    h, k = (book.values(parse_area(f"'LFI KPIs'!{c}7:{c}20")) for c in "HK")
    assert [row[0] for row in k] == [0 if v[0] is None else round(v[0], 1) for v in h]
    assert any(v[0] not in (None, 0) for v in h)
    assert main(["validate", str(kpis)]) == 0
    assert main(["freeze", str(kpis), "--period", "2023-24 Q2", "--by", "A. Finance"]) == 0
    capsys.readouterr()
    sheet = "LFI KPIs"
    assert protected(kpis, sheet)
    state = locks(kpis, sheet, extra=("Z200",))
    locked = {a for a, is_locked in state.items() if is_locked}
    assert locked and {re.match(r"[A-Z]+", a).group() for a in locked} == {"G"}  # Q2 only
    assert not any(state.get(f"H{row}") for row in range(7, 60))  # Q3 still editable
    assert not state["Z200"]
    assert main(["verify", str(kpis)]) == 0
