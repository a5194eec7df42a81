"""No Excel needed for the registers: a placement and a mitigation typed just below their
tables are taken in by the command validate names, and counted, command line only."""

import datetime as dt
import re

import pytest
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.kpi_values import placement_counts
from lfi_xl.cli import main
from lfi_xl.core.cells import serial
from lfi_xl.core.periods import parse_period

PERIOD = parse_period("2023-24 Q3")


def kpi(path, ref):
    book = KpiBook(WorkbookValues(path))
    return book.kpis[ref].values[book.column_of(PERIOD)]


def test_a_placement_and_a_mitigation_below_the_registers_are_counted(kpi_book, capsys):
    before_counts = placement_counts(KpiBook(WorkbookValues(kpi_book)).kpi_inputs(PERIOD))
    before_savings = kpi(kpi_book, 25)
    edit(kpi_book, c.PLACEMENTS, {"A614": "P-NEW-1", "B614": "Maintained/academy special school",
                                  "C614": "Under 16", "D614": "In county",
                                  "E614": serial(dt.date(2023, 10, 2)), "G614": 30000})
    # a mitigation: the inputs typed, the Saving columns left to the table, as in Excel
    edit(kpi_book, c.MITIGATIONS, {"A17": 2, "B17": "Mainstream outreach", "C17": PERIOD.label,
                                   "D17": "Under 16", "E17": "Mainstream", "F17": 10,
                                   "G17": 20000, "H17": 8, "I17": 19000})
    assert main(["validate", str(kpi_book)]) == 1
    out = capsys.readouterr().out
    command = "take it in: in Excel a row typed just below joins the table (without " \
              "Excel, lfi-xl take-rows takes it in)"
    assert re.search(r"Placements!A614 +outside .*" + re.escape(command), out)
    assert re.search(r"Mitigations!A17 +outside .*" + re.escape(command), out)

    assert main(["take-rows", "--kpi", str(kpi_book)]) == 0
    out = capsys.readouterr().out
    assert "Placements: 1 row(s) taken in" in out
    assert "Mitigations: 1 row(s) taken in, 3 calculated cell(s) given their formula" in out
    book = WorkbookValues(kpi_book)
    assert book.area(c.placement_name("ID")).max_row == 614
    assert book.area(c.mitigation_name("Saving")).max_row == 17
    formulas = {f.cell: f.text for f in wx.formulas(Package.read(kpi_book))
                if f.sheet == c.MITIGATIONS}
    assert formulas["J17"].startswith("LFI_SAVING(Mitigations[[#This Row],[Baseline placements]]")
    # the drop-downs and formats grow with the table
    sheet = Package.read(kpi_book).parts
    assert b'sqref="C5:C17"' in b"".join(v for k, v in sheet.items() if "worksheets" in k)

    assert main(["recalc", str(kpi_book)]) == 0
    capsys.readouterr()
    assert main(["validate", str(kpi_book)]) == 0, capsys.readouterr().out
    saving = 10 * 20000 - 8 * 19000  # 48,000: the do-nothing cost less the actual
    assert WorkbookValues(kpi_book).values(book.require(c.mitigation_name("Saving")))[-1][0] \
        == saving
    assert kpi(kpi_book, 25) == pytest.approx(before_savings + saving / 1e6)
    counts = placement_counts(KpiBook(WorkbookValues(kpi_book)).kpi_inputs(PERIOD))
    assert counts[15] == before_counts[15] + 1 and counts[29] == before_counts[29] + 1

    assert main(["take-rows", "--kpi", str(kpi_book)]) == 0  # again: nothing more to take
    assert "nothing to take in" in capsys.readouterr().out


def test_a_mitigation_row_without_its_saving_formula_names_the_command_that_fills_it(
        kpi_book, capsys):
    # a row taken into the table by a program that does not fill calculated columns
    edit(kpi_book, c.MITIGATIONS, {"J16": None, "K16": None, "L16": None})
    assert main(["recalc", str(kpi_book)]) == 0
    capsys.readouterr()
    assert main(["validate", str(kpi_book)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"Mitigations!J16 +mitigation +Saving \(£\) is blank: the row has no "
                     r"formula there; in Excel, copy the formula from the row above "
                     r"\(without Excel, lfi-xl take-rows fills", out)
    assert main(["take-rows", "--kpi", str(kpi_book)]) == 0
    assert "3 calculated cell(s) given their formula" in capsys.readouterr().out
    assert main(["recalc", str(kpi_book)]) == 0
    assert main(["validate", str(kpi_book)]) == 0  # no loop: recalculated, it passes
    assert WorkbookValues(kpi_book).values(WorkbookValues(kpi_book).require(
        c.mitigation_name("Saving")))[-1][0] == 157000
