"""The part-by-part writer: cells typed where none existed land in order and read back."""

from helpers import edit

from lfi_xl.files import workbook_xml as wx
from lfi_xl.files.package import Package
from lfi_xl.files.reader import WorkbookValues


def test_typing_into_cells_that_do_not_exist_yet(kpi_book):
    edit(kpi_book, "Snapshots", {"C2": "note", "A200": 7, "AB3": 1.5})
    book = WorkbookValues(kpi_book)
    assert book.values(wx.parse_area("Snapshots!C2"))[0][0] == "note"
    assert book.values(wx.parse_area("Snapshots!A200"))[0][0] == 7
    assert book.values(wx.parse_area("Snapshots!AB3"))[0][0] == 1.5
    package = Package.read(kpi_book)
    part = next(i.part for i in wx.sheets(package) if i.name == "Snapshots")
    rows = [int(row.get("r")) for row in wx.parse(package.parts[part]).iterfind(
        "m:sheetData/m:row", wx.NS)]
    assert rows == sorted(rows) and 200 in rows  # rows stay in order, as Excel requires
