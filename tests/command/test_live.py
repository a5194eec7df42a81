"""The ribbon's code path on a live xlwings Book: xlwings' own JSON book engine (the one
xlwings Server runs) stands in for Excel, headless. Its licence (PolyForm Noncommercial)
covers government institutions; it is used in tests only, never in shipped code."""

import os

import pytest
from helpers import edit, json_book

from lfi_xl import contract as c
from lfi_xl import macros

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def actions(book, func):
    return [action for action in book.json()["actions"] if action["func"] == func]


def test_validate_button_writes_a_validation_sheet_with_links(kpi_book):
    edit(kpi_book, "KPIs", {"I8": "TBC"})
    book = json_book(kpi_book)
    findings = macros.validate_entries(book)
    assert [(f.sheet, f.cell, f.rule) for f in findings if f.severity == "error"][0] == (
        "KPIs", "I8", "number")
    assert actions(book, "addSheet")[0]["args"][1] == c.VALIDATION
    written = actions(book, "setValues")[0]["values"]
    assert written[0] == list(c.VALIDATION_COLUMNS)
    assert written[1][:4] == ["error", "KPIs", "I8", "number"]
    links = actions(book, "addHyperlink")
    assert links[0]["args"][0] == "#'KPIs'!I8"


def test_validate_button_lays_its_sheet_out_to_print(kpi_book):
    """The Validation sheet's columns as wide as lfi-xl's own sheets print them (its
    messages wrapping, the rows fitted to them), as the file adapter writes it."""
    from lfi_xl.book import page_setup

    book = json_book(kpi_book)
    macros.validate_entries(book)
    assert [action["args"][0] for action in actions(book, "setColumnWidth")] == list(
        page_setup.WIDTHS[c.VALIDATION_COLUMNS])
    assert actions(book, "setWrapText")[0]["args"] == [True]
    assert actions(book, "setAutofit")[0]["args"] == ["rows"]


def test_freeze_button_appends_snapshot_rows_and_names(kpi_book, monkeypatch):
    monkeypatch.chdir(kpi_book.parent)  # the plan workbook Settings record, found beside
    book = json_book(kpi_book)
    result = macros.freeze_period_snapshot(book, by="tester")
    assert result.period.label == "2023-24 Q3" and result.rows == 98  # with each n
    header, rows = (action["values"] for action in actions(book, "setValues")[:2])
    assert header == [[c.SNAPSHOT_CELL]]  # the column recording each value's cell
    assert len(rows) == 98 and rows[0][:3] == [1, "2023-24 Q3", "KPI"]
    assert rows[0][-1] == "KPIs!K8"   # KPI 1, column 2023-24 Q3
    names = {action["args"][0]: action["args"][1] for action in actions(book, "namesAdd")}
    assert names[c.SNAPSHOTS_TABLE] == "='Snapshots'!$A$4:$N$102"
    assert names[c.AUDIT_TABLE] == "='Audit'!$A$1:$K$2"
    message = actions(book, "alert")[0]["args"][0]
    # The JSON engine cannot protect sheets; the message says so rather than pretend.
    assert "2023-24 Q3 as snapshot 1" in message and "Cells not locked on KPIs" in message


def test_freeze_button_tells_why_it_refuses(kpi_book):
    edit(kpi_book, "Conditions", {"E5": "Amber"})
    book = json_book(kpi_book)
    assert macros.freeze_period_snapshot(book) is None
    assert "Not frozen" in actions(book, "alert")[0]["args"][0]
    assert not actions(book, "namesAdd")


def test_extract_button_builds_the_same_extract(kpi_book, plan_book, tmp_path):
    import openpyxl

    book = json_book(kpi_book)
    target = macros.build_forum_extract(book, plan_book, tmp_path)
    assert target.name == "LFI_Schools_Forum_2023-24_Q3.xlsx"
    kpis = openpyxl.load_workbook(target)["KPIs"]
    assert [row[1] for row in kpis.iter_rows(min_row=5, max_row=19, values_only=True)] == \
        list(c.FORUM_DEFAULT_REFS)


@pytest.mark.parametrize("control", sorted(macros.BUTTONS))
def test_every_ribbon_button_has_a_macro(control):
    assert callable(macros.BUTTONS[control])


def test_adopt_button_names_a_council_plan(tmp_path):
    from helpers import council_plan

    plan = council_plan(tmp_path / "plan.xlsx")
    # the button has no --authority: the council is named by a title in the file
    edit(plan, "Summary", {"A1": "Anyshire County Council: High Needs Block plan"})
    book = json_book(plan)
    adopted = macros.adopt_workbook(book)
    assert "Authority: 'Anyshire County Council' (read from Summary!A1; if that is not the " \
           "council, change it on the Settings sheet)" in adopted.found
    assert "  'DSG Plan 2023'!C28 'In year deficit/(surplus) ¹': taken as the plan line " \
           "'In-year +deficit/-surplus' (confidence 100%)" in adopted.found
    told = actions(book, "alert")[0]["args"][0]
    assert told.startswith("Adopted: lfi-xl's names and the council's Settings were added; "
                           "nothing you typed was changed. Save the workbook to keep them.")
    names = {action["args"][0]: action["args"][1] for action in actions(book, "namesAdd")}
    assert names[c.plan_line_name("in_year")] == "='DSG Plan 2023'!$D$28:$J$28"
    assert actions(book, "addSheet")[0]["args"][1] == c.SETTINGS


def test_a_button_on_a_workbook_lfi_xl_cannot_use_says_so(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Minutes of the meeting"
    wb.save(tmp_path / "other.xlsx")
    book = json_book(tmp_path / "other.xlsx")
    book.set_mock_caller()
    macros.button("lfi_validate")
    assert "neither a KPI workbook nor a DSG plan workbook" in actions(book, "alert")[0]["args"][0]


def test_supersede_button_needs_a_reason_and_says_what_stops_it(kpi_book, monkeypatch):
    """Supersede frozen period: no reason, nothing done; a period not frozen, told so in
    a message box (the JSON engine keeps no rows written, so the freeze itself is the
    freeze button's test)."""
    monkeypatch.chdir(kpi_book.parent)
    book = json_book(kpi_book)
    assert macros.supersede_frozen_period(book, reason="") is None
    assert "needs a reason" in actions(book, "alert")[-1]["args"][0]
    monkeypatch.setattr(macros, "_book", lambda _book: book)
    monkeypatch.setattr(macros, "_ask", lambda _book, _prompt: "corrected")
    macros.button("lfi_supersede")
    assert "has no snapshot to supersede" in actions(book, "alert")[-1]["args"][0]
