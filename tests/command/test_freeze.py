"""Freeze period snapshot and verify: refusals, supersede, tamper evidence, safe writes."""

import re
import zipfile

from helpers import edit

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.snapshots import snapshot_hash, verify
from lfi_xl.cli import main


def snapshots(path):
    return KpiBook(WorkbookValues(path)).snapshots[1]


def freeze(path, *extra):
    return main(["freeze", str(path), "--period", "2023-24 Q1", "--by", "A. Finance", *extra])


def test_freeze_copies_values_locks_and_logs(kpi_book, capsys):
    original = kpi_book.read_bytes()
    assert freeze(kpi_book) == 0
    said = capsys.readouterr().out
    # the time as people write it, not an ISO stamp
    assert re.search(r"Froze 2023-24 Q1 as snapshot 1 \(98 values\) by A\. Finance at "
                     r"\d\d:\d\d UTC on \d{1,2} [A-Z][a-z]+ 20\d\d\. ", said), said
    assert (kpi_book.with_name(kpi_book.name + ".bak")).read_bytes() == original
    rows = snapshots(kpi_book)
    # KPIs, conditions, narrative rows, Plan Data, and the n of each average cost
    assert len(rows) == 46 + 9 + 19 + 10 + 14
    counts = {r["Key"]: r["Value"] for r in rows if r["Kind"] == c.SNAPSHOT_COUNT}
    assert sorted(counts) == sorted(c.AVERAGE_COST_REFS) and counts[15] > 0
    kpi16 = next(r for r in rows if r["Kind"] == "KPI" and r["Key"] == 16)
    assert kpi16["Value"] == 25.149 and kpi16["Frozen by"] == "A. Finance"
    assert {r["Status"] for r in rows} == {"current"}
    assert {r["Snapshot SHA-256"] for r in rows} == {snapshot_hash(rows)}
    assert next(r for r in rows if r["Kind"] == "Condition" and r["Key"] == 6)["Value"] == "R"
    book = WorkbookValues(kpi_book)
    assert book.area(c.AUDIT_TABLE).shape == (2, len(c.AUDIT_COLUMNS))
    sheet_xml = zipfile.ZipFile(kpi_book).read("xl/worksheets/sheet2.xml").decode()
    assert "<sheetProtection" in sheet_xml  # the KPI sheet is protected, frozen cells locked
    assert main(["verify", str(kpi_book)]) == 0
    # The frozen values are what LFI_SNAPSHOT looks up.
    import lfi_udfs

    area = book.area(c.SNAPSHOTS_TABLE)
    assert lfi_udfs.LFI_SNAPSHOT(book.values(area), "2023-24 Q1", 16) == 25.149


def test_freezing_twice_is_refused_unless_superseded_with_a_reason(kpi_book, capsys):
    assert freeze(kpi_book) == 0
    assert freeze(kpi_book) == 1
    assert "already frozen" in capsys.readouterr().err
    assert freeze(kpi_book, "--supersede") == 2   # an option missing
    assert "needs a reason" in capsys.readouterr().err
    edit(kpi_book, "KPIs", {"I52": 37})  # a corrected PEX figure (KPI 45)
    assert freeze(kpi_book, "--supersede", "--reason", "PEX corrected") == 0
    rows = snapshots(kpi_book)
    status = {r["Snapshot"]: r["Status"] for r in rows}
    assert status == {1: "superseded", 2: "current"}
    book = WorkbookValues(kpi_book)
    audit = book.values(book.area(c.AUDIT_TABLE))
    assert [row[3] for row in audit[1:]] == ["freeze", "supersede", "freeze"]
    assert audit[2][c.AUDIT_COLUMNS.index("Reason")] == "PEX corrected"
    assert main(["verify", str(kpi_book)]) == 0


def test_freeze_is_refused_while_validation_has_errors(kpi_book, capsys):
    edit(kpi_book, "KPIs", {"I8": "TBC"})
    before = kpi_book.read_bytes()
    assert freeze(kpi_book) == 1
    assert "KPIs!I8" in capsys.readouterr().err
    assert kpi_book.read_bytes() == before


def _snapshot_cell(path, column, key=16):
    rows = snapshots(path)
    row = next(r for r in rows if r["Kind"] == "KPI" and r["Key"] == key)
    return f"{column}{4 + row['_row']}"


def test_verify_finds_every_kind_of_edit(kpi_book, capsys):
    assert freeze(kpi_book) == 0
    frozen = kpi_book.read_bytes()
    for column, value in (("F", 26.0), ("G", "SUM(I8:I9)"), ("H", "0.0"), ("I", "Someone else"),
                          ("J", "2024-01-01T00:00:00"), ("K", "0" * 64), ("D", 17),
                          ("E", "answer")):
        kpi_book.write_bytes(frozen)
        edit(kpi_book, "Snapshots", {_snapshot_cell(kpi_book, column): value})
        found = verify(WorkbookValues(kpi_book))
        assert any(f.rule == "snapshot" and "snapshot 1" in f.message for f in found), column
    kpi_book.write_bytes(frozen)
    edit(kpi_book, "KPIs", {"I23": 30.0})  # the frozen in-year figure typed over
    found = verify(WorkbookValues(kpi_book))
    assert [(f.sheet, f.cell, f.rule) for f in found] == [("KPIs", "I23", "frozen")]
    kpi_book.write_bytes(frozen)
    edit(kpi_book, "Audit", {"C2": "Someone else"})
    assert [f.rule for f in verify(WorkbookValues(kpi_book))] == ["audit"]
    kpi_book.write_bytes(frozen)
    edit(kpi_book, "Snapshots", {_snapshot_cell(kpi_book, "M"): "superseded"})
    assert any(f.rule == "snapshot" and "status" in f.message
               for f in verify(WorkbookValues(kpi_book)))
    assert main(["verify", str(kpi_book)]) == 1
    assert "do not agree on its status" in capsys.readouterr().out


def test_validation_reports_frozen_values_changed(kpi_book):
    from lfi_xl.actions.validate import validate

    assert freeze(kpi_book) == 0
    edit(kpi_book, "KPIs", {"I8": 9400})
    found = validate(WorkbookValues(kpi_book))
    # KPI 2 (% change) is computed from KPI 1, but a frozen period keeps the values it was
    # frozen with (recalc leaves them): the edit is the finding, not a recomputation.
    assert [(f.cell, f.rule) for f in found if f.severity == "error"] == [("I8", "frozen")]


def test_freeze_changes_only_the_parts_it_must(kpi_book):
    before = zipfile.ZipFile(kpi_book)
    old = {name: before.read(name) for name in before.namelist()}
    assert freeze(kpi_book) == 0
    after = zipfile.ZipFile(kpi_book)
    new = {name: after.read(name) for name in after.namelist()}
    changed = {name for name in old if old[name] != new.get(name)}
    # workbook (names, the new Audit sheet), its relationships and content types, the
    # styles (a locked copy of the input style), the snapshot table and the four sheets
    # whose frozen cells are locked.
    sheets = {f"xl/worksheets/sheet{n}.xml" for n in (2, 3, 7, 8, 9)}
    assert changed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "xl/styles.xml"} | sheets
    assert set(new) - set(old) == {"xl/worksheets/sheet11.xml"}


def test_freeze_will_not_overwrite_what_stands_below_the_snapshots(kpi_book, capsys):
    from lfi_xl.adapters.files import workbook_xml as wx
    from lfi_xl.adapters.files.package import Package

    package = Package.read(kpi_book)  # a note typed just under the (empty) Snapshots table
    part = next(i.part for i in wx.sheets(package) if i.name == c.SNAPSHOTS)
    package.parts[part] = package.parts[part].replace(
        b"</sheetData>", b'<row r="5"><c r="A5" t="inlineStr"><is><t>my note</t></is></c></row>'
                         b"</sheetData>")
    package.save(kpi_book)
    before = kpi_book.read_bytes()
    assert freeze(kpi_book) == 1   # refused
    assert "is not empty" in capsys.readouterr().err
    assert kpi_book.read_bytes() == before


def test_superseding_expects_only_the_periods_changed_cells_never_other_errors():
    """--supersede records corrections of the period's frozen cells: those findings are
    chosen by rule and period. Chosen by the start of their message, as they once were,
    "2023-24 Q1 is frozen..." also let through the period's unreadable cells."""
    from lfi_xl.actions.freeze import corrections
    from lfi_xl.book.findings import ERROR, Finding, Rule
    from lfi_xl.core.periods import Period

    q1, q2 = Period(2023, 1), Period(2023, 2)
    changed = Finding(ERROR, "KPIs", "G8", Rule.FROZEN,
                      "2023-24 Q1 is frozen (snapshot 1) but KPI 1 now reads 5 instead of 4", q1)
    unreadable = Finding(ERROR, "Snapshots", "", Rule.UNREADABLE,
                         "2023-24 Q1 is frozen but its cells cannot be read: no column", q1)
    other_period = Finding(ERROR, "KPIs", "H8", Rule.FROZEN,
                           "2023-24 Q2 is frozen (snapshot 2) but KPI 1 now reads 6", q2)
    assert corrections([changed, unreadable, other_period], q1) == [changed]
