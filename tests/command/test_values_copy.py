"""Issue 27, finding 7: the DfE return's values-only copies choose their sheets from what
the workbook's names and tables say each sheet is, not from sheet titles: the register
of children's placements never leaves under any title, and a hidden or renamed sheet
the return needs is still copied (shown)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from corpus import Parts, _hide, _rename

from lfi_xl.cli import main

PERIOD = "2023-24 Q3"


def change(path: Path, *changes) -> None:
    parts = Parts(path)
    for one in changes:
        one(parts)
    parts.save(path)


def build(kpi: Path, plan: Path, out: Path) -> openpyxl.Workbook:
    assert main(["dfe-return", "--kpi", str(kpi), "--plan", str(plan), "--period", PERIOD,
                 "--draft", "-o", str(out)]) == 0
    return openpyxl.load_workbook(out / "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx")


def holds_register(book: openpyxl.Workbook) -> list[str]:
    """The sheets of a copy that hold the register's header or a placement ID."""
    found = []
    for sheet in book.worksheets:
        text = {str(cell.value) for row in sheet.iter_rows(max_row=30) for cell in row
                if cell.value is not None}
        if "Placement ID" in text or any(value.startswith("P0") for value in text):
            found.append(sheet.title)
    return found


@pytest.mark.parametrize("title", ["Data 2", "Settings2", "Summary"])
def test_the_register_never_leaves_under_another_title(kpi_book, plan_book, tmp_path, title):
    change(kpi_book, _rename("Placements", title))
    copy = build(kpi_book, plan_book, tmp_path / "out")
    assert title not in copy.sheetnames
    assert holds_register(copy) == []


def test_a_register_without_names_is_known_by_its_header(kpi_book, plan_book, tmp_path):
    from lfi_xl.adapters.files.writer import FileWorkbook

    book = FileWorkbook(kpi_book)   # the register's header copied to a sheet of notes
    header = [value for value in book.values(book.area("Placements_Table"))[0]]
    book.set_cells("Mitigations", {f"{chr(ord('P') + i)}2": value   # beside its table
                                   for i, value in enumerate(header)})
    book.save(backup=False)
    copy = build(kpi_book, plan_book, tmp_path / "out")
    assert "Mitigations" not in copy.sheetnames and "Placements" not in copy.sheetnames


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_kpi_sheet_is_copied_shown(kpi_book, plan_book, tmp_path, state):
    change(kpi_book, _hide("KPIs", state), _hide("Conditions", state))
    copy = build(kpi_book, plan_book, tmp_path / "out")
    for title in ("KPIs", "Conditions"):
        assert title in copy.sheetnames and copy[title].sheet_state == "visible"
    assert copy["KPIs"]["B8"].value is not None   # its figures, not an empty sheet


def test_a_renamed_kpi_sheet_is_copied(kpi_book, plan_book, tmp_path):
    change(kpi_book, _rename("KPIs", "Indicators"))
    copy = build(kpi_book, plan_book, tmp_path / "out")
    assert "Indicators" in copy.sheetnames


def test_a_hidden_sheet_the_return_does_not_need_is_left_out(kpi_book, plan_book, tmp_path):
    change(kpi_book, _hide("Mitigations"))
    copy = build(kpi_book, plan_book, tmp_path / "out")
    assert "Mitigations" not in copy.sheetnames
