"""Structured references to Excel tables, as the readers and the formula engine see them."""

import zipfile

import pytest

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import Area
from lfi_xl.book.structured import ExcelTable, by_name, resolve, translate

TABLES = by_name([ExcelTable("Placements", "Placements", Area("Placements", 4, 1, 613, 8),
                             ("Placement ID", "Category", "Age band", "Location", "Start date",
                              "End date", "Annual cost (£)", "Cost before (£)"))])


@pytest.mark.parametrize("text, ref", [
    ("Placements[Start date]", "E5:E613"),
    ("=placements[start date]", "E5:E613"),         # Excel's names ignore case
    ("Placements[[Start date]]", "E5:E613"),
    ("Placements[#Data]", "A5:H613"),
    ("Placements[#All]", "A4:H613"),
    ("Placements[[#Headers],[#Data]]", "A4:H613"),
    ("Placements[#Headers]", "A4:H4"),
    ("Placements[[#Headers],[Category]]", "B4"),
    ("Placements[[Start date]:[End date]]", "E5:F613"),
])
def test_a_table_reference_is_the_cells_it_covers(text, ref):
    assert resolve(text, TABLES).ref == ref


@pytest.mark.parametrize("text", ["Placements[Nope]", "Other[Start date]", "Placements!A1",
                                  "Placements[[#This Row],[Start date]]", "Placements[#Bad]"])
def test_what_is_not_a_known_table_column_is_not_resolved(text):
    assert resolve(text, TABLES) is None


def test_formulas_get_plain_ranges_strings_left_alone():
    assert translate('=SUM(Placements[Annual cost (£)])&"Placements[x]"', TABLES, "KPIs") == (
        '=SUM(Placements!$G$5:$G$613)&"Placements[x]"')
    assert translate("LFI_SAVING(Placements[[#This Row],[Start date]])", TABLES,
                     "Placements", 9) == "LFI_SAVING($E$9)"
    assert translate("SUM(A1:A3)", TABLES) == "SUM(A1:A3)"


def test_the_shipped_registers_are_excel_tables_their_names_on_the_columns(kpi_book):
    book = WorkbookValues(kpi_book)
    assert {name: (t.sheet, t.area.ref) for name, t in book.tables.items()} == {
        "PLACEMENTS": (c.PLACEMENTS, "A4:H613"), "MITIGATIONS": (c.MITIGATIONS, "A4:L16")}
    assert book.names[c.placement_name("Start")] == "Placements[Start date]"
    assert book.area(c.placement_name("Start")).ref == "E5:E613"
    assert book.area(c.PLACEMENTS_TABLE).ref == "A4:H613"
    with zipfile.ZipFile(book.path) as archive:
        assert {"xl/tables/table1.xml", "xl/tables/table2.xml"} <= set(archive.namelist())
