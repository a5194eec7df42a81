"""bench/transfer.py: the calls and cells a full recalculation hands to Python, counted
from a small hand-made workbook whose counts are worked out below by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table

_SPEC = importlib.util.spec_from_file_location(
    "bench_transfer", Path(__file__).resolve().parents[2] / "bench" / "transfer.py")
transfer = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = transfer  # dataclasses look their module up
_SPEC.loader.exec_module(transfer)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    wb = Workbook()
    data = wb.active
    data.title = "Data"
    data.append(["Start", "End", "Cost"])
    for row in range(10):                      # the table Reg: A1:C11, 10 data rows
        data.append([45000 + row, 45100 + row, 1000 * row])
    data.add_table(Table(displayName="Reg", ref="A1:C11"))
    data["E1"], data["F1"] = 45017, 45107
    wb.defined_names["Costs"] = DefinedName("Costs", attr_text="Data!$C$2:$C$11")
    wb.defined_names["Period"] = DefinedName("Period", attr_text="Data!$E$1:$F$1")
    calc = wb.create_sheet("Calc")
    # nested: LFI_FTE 10 + 10 + 1 + 1 in, 10 back to Excel; LFI_AVG 10 + 10 in, 1 out
    calc["A1"] = "=LFI_AVG(Costs,LFI_FTE(Reg[Start],Reg[End],1,2))"
    # an array formula: one call, Reg[#All] 11 x 3 + Period 2 in, its 3 x 3 range out
    calc["B2"] = ArrayFormula("B2:D4", "=LFI_TABLE(Reg[#All],Period)")
    # SUMIFS's ranges cost nothing; LFI_ONE: "x" 1 + Data!A2:B3 4 in, 1 out
    calc["A3"] = '=SUMIFS(Data!C2:C11,Data!A2:A11,">0")+LFI_ONE("x",Data!A2:B3)'
    calc["A4"] = "=SUM(Data!A2:C11)"                   # no LFI_ call
    calc["A5"] = "=LFI_ONE(Reg[[#Headers],[Cost]])"    # 1 in, 1 out
    calc["A6"] = "=LFI_ONE(IF(A1>0,Data!A2:A11,0))"    # IF's value: 10 in, 1 out
    path = tmp_path_factory.mktemp("transfer") / "hand_made.xlsx"
    wb.save(path)
    return path


def test_counts_calls_and_cells_from_the_formulas(book):
    counted = transfer.count(book)
    calls = {(call.cell, call.function): (call.cells_in, call.cells_out, call.nested)
             for call in counted.calls}
    assert calls == {
        ("A1", "LFI_FTE"): (22, 10, True),
        ("A1", "LFI_AVG"): (20, 1, False),
        ("B2", "LFI_TABLE"): (35, 9, False),
        ("A3", "LFI_ONE"): (5, 1, False),
        ("A5", "LFI_ONE"): (1, 1, False),
        ("A6", "LFI_ONE"): (10, 1, False),
    }
    assert (counted.count, counted.cells_in, counted.cells_out) == (6, 93, 23)
    assert counted.unresolved == []
    assert counted.seconds == pytest.approx(
        116 * transfer.SECONDS_PER_CELL + 6 * transfer.SECONDS_PER_CALL)


def test_a_table_that_grows_hands_over_more_cells(book, tmp_path):
    """The table's range in the file decides a structured reference's cells."""
    from lfi_xl.adapters.files.package import Package

    package = Package.read(book)
    part = next(name for name in package.parts if name.startswith("xl/tables/"))
    package.parts[part] = package.parts[part].replace(b'ref="A1:C11"', b'ref="A1:C21"')
    grown = tmp_path / "grown.xlsx"
    package.save(grown)
    by_cell = {(call.cell, call.function): call.cells_in
               for call in transfer.count(grown).calls}
    assert by_cell[("A1", "LFI_FTE")] == 42            # Reg[Start], Reg[End]: 20 rows each
    assert by_cell[("B2", "LFI_TABLE")] == 21 * 3 + 2  # Reg[#All]: 21 rows
    assert by_cell[("A1", "LFI_AVG")] == 10 + 20       # Costs is a plain range: still 10
