"""The part-by-part writer: cells typed where none existed land in order and read back."""

from helpers import edit

from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import parse_area


def test_typing_into_cells_that_do_not_exist_yet(kpi_book):
    edit(kpi_book, "Snapshots", {"C2": "note", "A200": 7, "AB3": 1.5})
    book = WorkbookValues(kpi_book)
    assert book.values(parse_area("Snapshots!C2"))[0][0] == "note"
    assert book.values(parse_area("Snapshots!A200"))[0][0] == 7
    assert book.values(parse_area("Snapshots!AB3"))[0][0] == 1.5
    package = Package.read(kpi_book)
    part = next(i.part for i in wx.sheets(package) if i.name == "Snapshots")
    rows = [int(row.get("r")) for row in wx.parse(package.parts[part]).iterfind(
        "m:sheetData/m:row", wx.NS)]
    assert rows == sorted(rows) and 200 in rows  # rows stay in order, as Excel requires


def test_written_numbers_do_not_depend_on_the_last_digits(kpi_book):
    """Two machines that add in another order differ in the 16th-17th significant digit
    (KPIs!K22: 30072.61054172767 against 30072.610541727674); the bytes written must not."""
    written = []
    for value in (30072.61054172767, 30072.610541727674, 30072.6105417276700001,
                  30072.610541727677):
        package = Package.read(kpi_book)
        wx.set_cached_values(package, {("KPIs", "K22"): value})
        written.append(package.to_bytes(fixed_time=True))
    assert len(set(written)) == 1
    package = Package.from_bytes(written[0])
    kpis = next(info.part for info in wx.sheets(package) if info.name == "KPIs")
    assert wx.parse(package.parts[kpis]).find(
        "m:sheetData/m:row/m:c[@r='K22']/m:v", wx.NS).text == "30072.6105417277"
