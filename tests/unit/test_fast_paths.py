"""The faster ways validate and freeze read and write (issue 20) give the same answers as
the ways they replace: openpyxl's cell helpers and number formats, the whole-part regular
expressions, the core's criteria, one finding at a time, and a package written whole."""

import io
import re
import zipfile

import numpy as np
import pytest
from helpers import edit
from hypothesis import given
from hypothesis import strategies as st

from lfi_xl.actions.validate import MAX_PER_COLUMN, Findings, _numbers_found, validate
from lfi_xl.adapters.files import package as pk
from lfi_xl.adapters.files import reader as rd
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.adapters.files.writer import FileWorkbook
from lfi_xl.book.area import Area, CellCoordinatesException, column_index, column_letter, split_cell
from lfi_xl.book.findings import ERROR
from lfi_xl.core import costs
from lfi_xl.core.costs import text_matches
from lfi_xl.core.values import BadValue, to_number


def _outcome(function, *args):
    try:
        return function(*args)
    except Exception as error:  # the same exception, with the same message
        return type(error).__name__, str(error)


def test_cell_helpers_are_openpyxls():
    from openpyxl.utils.cell import (
        column_index_from_string,
        coordinate_from_string,
        get_column_letter,
    )

    for index in range(1, 18279):
        letters = get_column_letter(index)
        assert column_letter(index) == letters
        assert column_index(letters) == column_index(letters.lower()) == index
    for bad in ("", "AAAA", "A1", "ÄB", " A", "A-"):
        assert _outcome(column_index, bad) == _outcome(column_index_from_string, bad)
    for index in (0, -1, 18279):
        with pytest.raises(ValueError, match=f"Invalid column index {index}"):
            column_letter(index)
    for address in ("A1", "$B$12", "a5", "XFD1048576", "A0", "AAAA1", "A", "1", " A1"):
        ours, theirs = _outcome(split_cell, address), _outcome(coordinate_from_string, address)
        assert ours == theirs, address
    with pytest.raises(CellCoordinatesException, match=r"There is no row 0 \(A0\)"):
        split_cell("A0")


def test_builtin_number_formats_are_openpyxls():
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    assert wx.BUILTIN_FORMATS == BUILTIN_FORMATS


def test_validate_and_freeze_do_not_import_openpyxl(kpi_book):
    import subprocess
    import sys

    code = ("import sys\nfrom lfi_xl.cli import main\nmain(['validate', sys.argv[1]])\n"
            "main(['freeze', sys.argv[1], '--period', '2023-24 Q1', '--by', 'Test'])\n"
            "assert 'openpyxl' not in sys.modules, 'openpyxl was imported'")
    done = subprocess.run([sys.executable, "-c", code, str(kpi_book)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "Froze 2023-24 Q1" in done.stdout


SAMPLES = [
    b'<c r="A1"/>', b'<c r="XFD1"/>', b'<c r = "AB1234567"/>', b"<c r='ABC9'/>",
    b'<x:c r="ZZ1048576" t="e"><x:v>#N/A</x:v></x:c>', b'<c xr="ABC1"/>', b'<c _r="ABC1"/>',
    b'<c r="AB123456"/>', b'<c t="e"/>', b"<c t = 'e' r='B2'/>", b'<c at="e"/>',
    b'<c r="A1" t="str"><v>"e"</v></c>', b'<t>r="XFD1" t="e"</t>', b'r="XFD1"', b't="e"',
    b'<c \xe9r="XFD1"/>', b'<c r=\n"ABCD1"/>', b'<c t=\t"e"/>',
]


@pytest.mark.parametrize("data", SAMPLES)
def test_quick_searches_answer_as_the_regular_expressions(data):
    assert rd._has_far_ref(data) == bool(rd._FAR_REF.search(data))
    assert rd._may_have_errors(data) == bool(rd._HAS_ERROR.search(data))


@given(st.lists(st.sampled_from([b"r", b"t", b"x", b"=", b" ", b"\n", b'"', b"'", b"e",
                                 b"A", b"XFD", b"1", b"1234567", b"<c ", b"/>", b"_", b"\xe9"]),
                max_size=40))
def test_one_pass_finds_what_each_regular_expression_finds(pieces):
    data = b"".join(pieces)
    assert rd._flags(data) == (bool(rd._FAR_REF.search(data)),
                               bool(rd._HAS_ERROR.search(data)))


def test_a_large_part_is_searched_in_chunks_as_a_whole(monkeypatch):
    """A match split across chunks at any byte is still found (each chunk is searched
    with the previous one's tail from its last '<')."""
    monkeypatch.setattr(rd, "_SCAN_BYTES", 0)
    body = b"".join(b'<c r="B%d" s="1"><v>%d</v></c>' % (k, k) for k in range(1, 30))
    for needle in (b'<c r = "XFD7"/>', b"<x:c  t='e' r='C3'><x:v>#REF!</x:v></x:c>",
                   b'<c r="Q1"/>'):
        data = body + needle + body
        whole = [rd._has_far_ref(data), rd._may_have_errors(data)]
        for cut in range(len(body) - 5, len(body) + len(needle) + 5):
            for size in (len(data), 7):  # the rest whole, or in chunks of 7 bytes
                large = rd._LargeParts()
                info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
                info.file_size = len(data)
                chunks = [data[:cut], *[data[k:k + size] for k in range(cut, len(data), size)]]
                for chunk in chunks:
                    large.watch(info, chunk)
                assert large._flags[info.filename] == whole, (needle, cut, size)
                assert large.plain(info.filename) == (not any(whole))


def test_an_error_cell_in_a_large_register_is_still_found(kpi_book, monkeypatch):
    """The register's part is not inflated again when the check saw nothing in it; when
    it saw an error cell, the cell is read and reported at its address."""
    monkeypatch.setattr(rd, "_SCAN_BYTES", 1000)
    assert [f for f in validate(WorkbookValues(kpi_book)) if f.severity == ERROR] == []
    book = FileWorkbook(kpi_book)
    part = book._sheet_part("Placements")
    data = book.package.parts[part]
    cell = re.search(rb'<c r="G9"[^>]*?(/>|>.*?</c>)', data).group(0)
    book.package.parts[part] = data.replace(cell, b'<c r="G9" t="e"><v>#N/A</v></c>')
    book.package.save(kpi_book)
    reader = WorkbookValues(kpi_book)
    assert not reader._large.plain(part)
    found = [f for f in validate(reader) if (f.sheet, f.cell) == ("Placements", "G9")]
    assert [(f.rule, f.message) for f in found] == [
        ("number", "Expected a cost in £, found the Excel error #N/A")]


COLUMNS = [
    np.array(["Under 16", None, "under 16", "16 and over", "", " Under 16", "UNDER 16"] * 3,
             dtype=object),
    np.array(["In county", 1, 1.0, True, False, 0, None, "1", "TRUE", "In county"],
             dtype=object),
    np.array(["Independent special school", "independent SPECIAL school", "FE college",
              "*special school", "special school", np.nan, None], dtype=object),
    np.array([], dtype=object),
]
CRITERIA = ["Under 16", "<>Under 16", "*special school", "~*special school", "1", 1, True,
            "TRUE", "", "<>", "=", ">0", "in*", "?E college"]


@pytest.mark.parametrize("column", COLUMNS, ids=range(len(COLUMNS)))
def test_text_matches_is_the_cores_criterion(column):
    distinct: dict = {}
    for criterion in CRITERIA:
        expected = costs.matches(column, criterion)
        assert text_matches(column, criterion, distinct).tolist() == expected.tolist()
        assert text_matches(column, criterion).tolist() == expected.tolist()


def test_findings_of_many_rows_are_those_of_one_at_a_time():
    area = Area("Placements", 5, 2, 200, 2)
    one, many = Findings(), Findings()
    rows = list(range(0, 150, 3))
    for row in rows:
        one.add(ERROR, area, row, 0, "placement", f"row {row}")
    made = []
    many.add_rows(ERROR, area, np.array(rows), 0, "placement",
                  lambda row: made.append(row) or f"row {row}")
    assert many == one and many.close() == one.close()
    assert len(made) == MAX_PER_COLUMN  # the text of a finding past the cap is never made
    assert many.close()[-1].message == (f"{len(rows) - MAX_PER_COLUMN} more cell(s) in "
                                        "column B break the same rule")


def test_a_junk_column_gives_the_messages_of_to_number():
    import datetime as dt

    from lfi_xl.book.area import ErrorValue

    values = ([None, 45000, 45000.5, " ", "TBC", True, ErrorValue("#N/A"), "£1,234",
               float("nan"), float("inf"), 10 ** 400, dt.date(2023, 4, 1), np.float64(3)]
              + ["junk"] * 40)
    area = Area("Placements", 5, 5, 4 + len(values), 5)
    found = Findings()
    out = _numbers_found(found, area, values, "a date", dates=True)
    expected = []
    for i, value in enumerate(values):
        if hasattr(value, "year"):
            continue
        try:
            number = to_number(value, "a date")
            assert out[i] == number or (np.isnan(out[i]) and np.isnan(number)), i
        except BadValue as error:
            assert np.isnan(out[i])
            text = str(error)
            expected.append((area.cell(i, 0), text[:1].upper() + text[1:]))
    assert out[11] == 45017.0
    assert [(f.cell, f.message) for f in found] == expected[:MAX_PER_COLUMN]
    assert found.close()[-1].message == (f"{len(expected) - MAX_PER_COLUMN} more cell(s) "
                                         "in column E break the same rule")
    assert ("E12", "Expected a date, found text '£1,234' (a number typed as text)") in [
        (f.cell, f.message) for f in found]


def test_a_package_keeps_unchanged_parts_as_they_are(kpi_book):
    """Only the changed parts are inflated and deflated; the others are copied from the
    file as they are: the same compressed bytes, CRC and contents."""
    package = pk.Package.read(kpi_book, lazy=True)
    assert all(data is None for data in package.parts._data.values())  # nothing read yet
    workbook = package.parts["xl/workbook.xml"]
    package.parts["xl/workbook.xml"] = workbook.replace(b"<workbookPr/>", b"<workbookPr />")
    written = zipfile.ZipFile(io.BytesIO(package.to_bytes()))
    original = zipfile.ZipFile(kpi_book)
    assert written.testzip() is None
    assert written.namelist() == original.namelist()
    for info in original.infolist():
        new = written.getinfo(info.filename)
        assert (new.date_time, new.compress_type) == (info.date_time, zipfile.ZIP_DEFLATED)
        if info.filename == "xl/workbook.xml":
            assert written.read(new) == package.parts["xl/workbook.xml"]
            continue
        assert written.read(new) == original.read(info)
        assert (new.CRC, new.compress_size) == (info.CRC, info.compress_size)
    assert [name for name, data in package.parts._data.items() if data is not None] == [
        "xl/workbook.xml"]


def test_a_new_sheet_is_written_with_the_r_prefix(kpi_book):
    """Audit, added by the first freeze, as it was written while openpyxl was imported."""
    from lfi_xl.cli import main

    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q1", "--by", "Test"]) == 0
    workbook = zipfile.ZipFile(kpi_book).read("xl/workbook.xml")
    assert re.search(rb'<sheet xmlns:r="[^"]+relationships" name="Audit" sheetId="\d+" '
                     rb'r:id="rIdLfi1"/>', workbook)


def test_columns_and_strips_read_as_before(kpi_book):
    """A register's column, a strip beside it and rows of unequal length (an error cell
    restored past a row's end) read as cell-by-cell reading gives them."""
    edit(kpi_book, "Placements", {"J7": "a note", "A9": "", "C10": "#N/A"})
    reader = WorkbookValues(kpi_book)
    rows = reader.sheet_values("Placements")

    def read_as_before():
        for col in range(1, 13):
            area = Area("Placements", 3, col, len(rows) + 3, col)
            expected = [None if (row[col - 1] if col - 1 < len(row) else "") == "" else
                        row[col - 1] for row in rows[2:]] + [None] * 3
            assert reader.column(area) == expected, col
            assert reader.column_cells(area).tolist() == expected, col
            assert reader.values(area) == [[value] for value in expected], col
        assert reader.column(Area("Placements", 7, 10, 7, 10)) == ["a note"]

    assert len(set(map(len, rows))) == 1  # calamine's rectangle: read as one block
    read_as_before()
    assert reader._blocks["Placements"] is not None
    rows[7].extend(["", rd.ErrorValue("#DIV/0!")])  # as _error_cells would leave it
    reader._blocks.clear()
    read_as_before()
    assert reader._blocks["Placements"] is None  # row by row


def test_a_lazy_package_saved_twice_stays_whole(kpi_book):
    """After a save the parts are the written file's: a second change and save keep
    every part (a later change to the file by anything else is refused, not copied)."""
    book = FileWorkbook(kpi_book)
    book.set_cells("Settings", {"B5": "First"})
    book.save()
    book.set_cells("Settings", {"B16": "Second"})
    book.save()
    assert zipfile.ZipFile(kpi_book).testzip() is None
    values = WorkbookValues(kpi_book)
    assert values.sheet_values("Settings")[4][1] == "First"
    assert values.sheet_values("Settings")[15][1] == "Second"
    assert [f for f in validate(values) if f.rule == "file"] == []
    other = FileWorkbook(kpi_book)
    kpi_book.write_bytes(kpi_book.read_bytes() + b"")  # rewritten behind its back
    import os
    os.utime(kpi_book, ns=(1, 1))
    with pytest.raises(pk.UnusableInput, match="changed by something else"):
        other.package.parts["xl/worksheets/sheet4.xml"]


def test_a_write_reads_again_only_the_sheets_it_changed(kpi_book):
    """After cells are written, the written sheet reads as written and every other sheet
    keeps what was read (the register is not read, or freed, again)."""
    book = FileWorkbook(kpi_book)
    register = book.sheet_values("Placements")
    before = book.sheet_values("Settings")[4][1]
    book.set_cells("Settings", {"B5": "Written"})
    assert book.sheet_values("Settings")[4][1] == "Written" != before
    assert book.sheet_values("Placements") is register
    book.set_cells("Placements", {"A5": "P99999"})
    assert book.sheet_values("Placements")[4][0] == "P99999"


def _sheet(refs: list[str], extra: bytes = b"") -> bytes:
    cells = b"".join(b'<c r="%s"><v>1</v></c>' % ref.encode() for ref in refs)
    return b"<worksheet><sheetData><row>" + cells + b"</row></sheetData>" + extra + \
        b"</worksheet>"


def _exact_extent(data: bytes) -> tuple[int, int, int]:
    rows = [int(m.group(2)) for m in rd._CELL_REF.finditer(data)]
    columns = [column_index(m.group(1).decode()) for m in rd._CELL_REF.finditer(data)]
    return max(rows), max(columns), len(rows)


@pytest.mark.parametrize("refs, extra, bounded", [
    # a register of a million rows in columns A-H: bounded, not read reference by reference
    ([f"{col}{row}" for row in (5, 999_999, 1_000_000, 1_000_004) for col in "ABCDEFGH"]
     * 10_000, b"", True),
    # a column past Z somewhere: every reference is read
    (["A1000004", "AA5"] * 20_000, b"", False),
    # a comment could hold "<c " that is no cell: every reference is read
    (["A1000004", "B5"] * 20_000, b"<!-- <c r='A5'> -->", False),
])
def test_a_large_part_with_far_rows_is_bounded_when_that_shows_it_dense(monkeypatch, refs,
                                                                        extra, bounded):
    # (a slack of 100, not 8: a million rows' worth of cells would make a slow test)
    monkeypatch.setattr(rd, "_SCAN_BYTES", 0)
    monkeypatch.setattr(rd, "DENSE_SLACK", 100)
    data = _sheet(refs, extra)
    exact = _exact_extent(data)
    found = rd._extent(data)
    assert rd._dense(*found) == rd._dense(*exact)
    assert found[0] == exact[0]  # the last row exactly: one past Excel's is refused
    assert (found == (exact[0], 26, exact[2])) if bounded else found == exact


def test_a_far_cell_beside_few_is_still_found_sparse(monkeypatch):
    monkeypatch.setattr(rd, "_SCAN_BYTES", 0)
    data = _sheet([f"A{row}" for row in range(1, 11)] + ["Z1048576"])
    assert rd._extent(data) == (1_048_576, 26, 11)
    assert not rd._dense(*rd._extent(data))
