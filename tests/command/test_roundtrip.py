"""Round trip: freeze and recalc keep every part of a user's workbook they do not change.

The workbook (see roundtrip_workbook.py) is the KPI template plus what lfi-xl does not
read: a chart, an image, comments, conditional formatting, list validations (an x14 one
in an extLst), an Excel table, a pivot table and user defined names. ``lfi-xl freeze``
may change only workbook.xml, its rels, the content types, styles.xml, the Snapshots
sheet and the sheets whose frozen cells it locks, and add one part (the Audit sheet);
``lfi-xl recalc`` may change only sheets holding formulas. Every other part must come
back byte for byte, and each part that did change must differ only where it has to.
LibreOffice, an independent reader, must still open the result with its pivot table
and chart.
"""

from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
import roundtrip_workbook as rw
from helpers import edit
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.adapters import libreoffice
from lfi_xl.cli import main

M = f"{{{rw.MAIN}}}"
#: The sheets freeze locks cells on (the period's KPI, condition, narrative, plan cells).
LOCKED_SHEETS = (c.KPI_SHEET, c.CONDITIONS, c.NARRATIVE, c.PLAN_DATA)
PACKAGE_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                 "xl/styles.xml")
#: What a user's extras are made of: none of it may change, whatever lfi-xl does.
FOREIGN_PREFIXES = ("xl/charts/", "xl/drawings/", "xl/media/", "xl/comments", "xl/tables/",
                    "xl/pivotTables/", "xl/pivotCache/", "xl/worksheets/_rels/", "docProps/",
                    "xl/theme/", "_rels/")


# ------------------------------------------------------------------------- helpers
def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def localname(element: etree._Element) -> str:
    return etree.QName(element).localname


def defined_names(parts: dict[str, bytes]) -> dict[tuple[str, str | None], str]:
    """(name, scope sheet or None) -> target, scope resolved to the sheet's name."""
    workbook = xml(parts["xl/workbook.xml"])
    sheets = [sheet.get("name") for sheet in workbook.iter(f"{M}sheet")]
    found = {}
    for name in workbook.iter(f"{M}definedName"):
        local = name.get("localSheetId")
        found[(name.get("name"), None if local is None else sheets[int(local)])] = name.text
    return found


def figures(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, int | list]:
    same = [name for name in before if after.get(name) == before[name]]
    changed = [name for name in before if name in after and after[name] != before[name]]
    return {"parts": len(before), "preserved": len(same), "changed": len(changed),
            "new": len(set(after) - set(before)), "removed": len(set(before) - set(after)),
            "changed_parts": changed, "new_parts": sorted(set(after) - set(before))}


def children_except(root: etree._Element, *skip: str) -> list[bytes]:
    return [c14n(child) for child in root if localname(child) not in skip]


def libreoffice_parts(path: Path, folder: Path) -> dict[str, bytes]:
    """The package LibreOffice writes after opening ``path`` (it must open it)."""
    return parts_of(libreoffice.convert(path, "xlsx", folder))


def assert_user_extras(parts: dict[str, bytes], what: str, audit: bool) -> None:
    """A package written by LibreOffice still holds the pivot table, chart, image,
    comments, table and the x14 list validation (which LibreOffice reads as a list)."""
    names = list(parts)
    for folder in ("xl/pivotTables/pivotTable", "xl/pivotCache/pivotCacheDefinition",
                   "xl/charts/chart", "xl/media/", "xl/tables/table", "xl/comments"):
        assert any(name.startswith(folder) for name in names), (what, folder, names)
    pivot = xml(parts[next(n for n in names if n.startswith("xl/pivotTables/pivotTable")
                           and n.endswith(".xml"))])
    assert pivot.find(f"{M}location").get("ref") == rw.PIVOT_REF, what
    workbook = xml(parts["xl/workbook.xml"])
    sheet_names = [sheet.get("name") for sheet in workbook.iter(f"{M}sheet")]
    assert rw.DASHBOARD in sheet_names, what
    assert c.KPI_SHEET in sheet_names and (c.AUDIT in sheet_names) == audit, what
    validations = {v.get("sqref"): v.get("type") for name in names
                   if name.startswith("xl/worksheets/sheet")
                   for v in xml(parts[name]).iter(f"{M}dataValidation")}
    for sqref in (rw.X14_LIST_SQREF, rw.KPI_X14_LIST_SQREF):
        assert validations.get(sqref) == "list", (what, sqref, "x14 list validation lost")


# ------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return rw.build(tmp_path_factory.mktemp("roundtrip") / "user_kpi.xlsx")


@pytest.fixture
def book(built, tmp_path) -> Path:
    return Path(shutil.copy(built, tmp_path / built.name))


# ------------------------------------------------------------------------- the workbook
def test_the_workbook_holds_every_kind_of_extra_and_independent_readers_open_it(
        built, tmp_path):
    parts = parts_of(built)
    sheets = rw.sheet_parts(parts)
    dashboard = xml(parts[sheets[rw.DASHBOARD]])
    assert dashboard.get(f"{{{rw.MC}}}Ignorable") == "x14ac"
    ext = dashboard.find(f"{M}extLst/{M}ext")
    assert ext.get("uri") == rw.X14_VALIDATIONS_URI
    assert ext.find(f"{{{rw.X14}}}dataValidations/{{{rw.X14}}}dataValidation/"
                    f"{{{rw.X14}}}formula1/{{{rw.XM}}}f").text.startswith(f"{c.LISTS}!")
    for part in (rw.PIVOT_TABLE, rw.PIVOT_CACHE, rw.PIVOT_RECORDS, "xl/charts/chart1.xml",
                 "xl/media/image1.png", "xl/tables/table1.xml"):
        assert part in parts, part
    assert sum(name.startswith("xl/comments") for name in parts) == 2  # KPIs and Dashboard
    assert xml(parts["xl/workbook.xml"]).find(f"{M}pivotCaches/{M}pivotCache") is not None
    names = defined_names(parts)
    for name, target in rw.USER_NAMES.items():
        assert names[(name, None)] == target
    assert names[(rw.LOCAL_NAME[0], rw.DASHBOARD)] == rw.LOCAL_NAME[1]
    kpis = xml(parts[sheets[c.KPI_SHEET]])
    assert kpis.find(f"{M}extLst/{M}ext").get("uri") == rw.X14_VALIDATIONS_URI
    assert kpis.find(f"{M}conditionalFormatting") is not None
    assert kpis.find(f"{M}legacyDrawing") is not None  # the comment's shape

    import openpyxl

    with warnings.catch_warnings():  # "Data Validation extension is not supported"
        warnings.simplefilter("ignore", UserWarning)
        loaded = openpyxl.load_workbook(built)
    assert rw.TABLE_NAME in loaded[rw.DASHBOARD].tables
    assert loaded[rw.DASHBOARD]._pivots  # openpyxl reads our pivot table too
    assert_user_extras(libreoffice_parts(built, tmp_path / "lo"), "built workbook", audit=False)


# ------------------------------------------------------------------------- freeze
def test_freeze_keeps_every_part_it_need_not_change_byte_for_byte(book, tmp_path, capsys):
    before = parts_of(book)
    original = book.read_bytes()
    with zipfile.ZipFile(book) as archive:
        stamps = {info.filename: info.date_time for info in archive.infolist()}
    sheets = rw.sheet_parts(before)

    plan = Path(__file__).resolve().parents[2] / "workbooks" / "dsg_plan.xlsx"
    assert main(["freeze", str(book), "--period", "2023-24 Q1", "--by", "tester",
                 "--plan", str(plan)]) == 0
    after = parts_of(book)
    assert book.with_name(book.name + ".bak").read_bytes() == original

    # One new part, the Audit sheet, and nothing removed; parts keep their order.
    new_sheets = rw.sheet_parts(after)
    assert set(after) - set(before) == {new_sheets[c.AUDIT]}
    assert new_sheets[c.AUDIT].startswith("xl/worksheets/sheet")
    assert set(before) <= set(after)
    assert [name for name in after if name in before] == list(before)
    assert all(new_sheets[name] == part for name, part in sheets.items())

    allowed = set(PACKAGE_PARTS) | {sheets[c.SNAPSHOTS]} | {
        sheets[name] for name in LOCKED_SHEETS}
    changed = {name for name in before if after[name] != before[name]}
    assert changed <= allowed, sorted(changed - allowed)
    untouched = [name for name in before if name not in allowed]
    for name in untouched:
        assert after[name] == before[name], name
    # What a user adds and lfi-xl does not read: every byte kept, named here for the record.
    for name in before:
        if name.startswith(FOREIGN_PREFIXES) or name == sheets[rw.DASHBOARD]:
            assert after[name] == before[name], name
    assert sheets[rw.DASHBOARD] in untouched
    with zipfile.ZipFile(book) as archive:  # untouched parts keep their zip entry time too
        for info in archive.infolist():
            if info.filename in untouched:
                assert info.date_time == stamps[info.filename], info.filename

    # The parts that did change, changed only where freeze must change them.
    check_workbook_xml(before["xl/workbook.xml"], after["xl/workbook.xml"])
    check_appended_children(before["xl/_rels/workbook.xml.rels"],
                            after["xl/_rels/workbook.xml.rels"], "Relationship")
    check_appended_children(before["[Content_Types].xml"], after["[Content_Types].xml"],
                            "Override")
    audit_rel = xml(after["xl/_rels/workbook.xml.rels"])[-1]
    assert audit_rel.get("Type").endswith("/worksheet")
    assert f"xl/{audit_rel.get('Target')}" == new_sheets[c.AUDIT]
    audit_type = xml(after["[Content_Types].xml"])[-1]
    assert audit_type.get("PartName") == f"/{new_sheets[c.AUDIT]}"
    assert audit_type.get("ContentType").endswith(".worksheet+xml")
    locked_styles, unlocked_styles = check_styles(before["xl/styles.xml"],
                                                  after["xl/styles.xml"])
    for name in LOCKED_SHEETS:
        check_locked_sheet(before[sheets[name]], after[sheets[name]], locked_styles,
                           unlocked_styles, name)
    check_snapshots_sheet(before[sheets[c.SNAPSHOTS]], after[sheets[c.SNAPSHOTS]])

    names_before, names_after = defined_names(before), defined_names(after)
    moved = {key for key in names_before if names_after.get(key) != names_before[key]}
    assert moved == {(c.SNAPSHOTS_TABLE, None)}, moved  # extended over the new rows
    assert set(names_after) - set(names_before) == {  # and its heading row on every page
        (c.AUDIT_TABLE, None), ("_xlnm.Print_Titles", c.AUDIT)}

    assert main(["verify", str(book)]) == 0
    assert_user_extras(libreoffice_parts(book, tmp_path / "lo"), "frozen workbook", audit=True)

    report = figures(before, after)
    assert report["changed"] == len(changed) and report["removed"] == 0
    with capsys.disabled():
        print(f"\nfreeze round trip: {report['parts']} parts; {report['preserved']} kept byte "
              f"for byte; {report['changed']} changed ({', '.join(report['changed_parts'])});"
              f" {report['new']} new ({', '.join(report['new_parts'])})")


def check_workbook_xml(old: bytes, new: bytes) -> None:
    """Only the sheet list (one sheet appended) and the defined names changed; the pivot
    caches and everything else are as they were."""
    before, after = xml(old), xml(new)
    assert before.nsmap == after.nsmap and dict(before.attrib) == dict(after.attrib)
    assert children_except(before, "sheets", "definedNames") == children_except(
        after, "sheets", "definedNames")
    assert after.find(f"{M}pivotCaches") is not None
    old_sheets, new_sheets = before.find(f"{M}sheets"), after.find(f"{M}sheets")
    assert [c14n(s) for s in old_sheets] == [c14n(s) for s in new_sheets][:len(old_sheets)]
    assert [s.get("name") for s in new_sheets][len(old_sheets):] == [c.AUDIT]
    old_names = {(n.get("name"), n.get("localSheetId")): n for n in before.iter(
        f"{M}definedName")}
    for n in after.iter(f"{M}definedName"):
        key = (n.get("name"), n.get("localSheetId"))
        if key in old_names and n.get("name") != c.SNAPSHOTS_TABLE:
            assert c14n(n) == c14n(old_names[key]), key


def check_appended_children(old: bytes, new: bytes, tag: str) -> None:
    """Every original child kept as it was, in order, and one ``tag`` appended."""
    before, after = xml(old), xml(new)
    assert [c14n(child) for child in before] == [c14n(child) for child in after][
        :len(before)]
    assert [localname(child) for child in after][len(before):] == [tag]


def check_styles(old: bytes, new: bytes) -> tuple[set[int], set[int]]:
    """Only cellXfs grew, by locked copies of existing styles (the frozen cells) and
    unlocked ones (every other cell of a sheet protected for the first time), and the
    Audit sheet's own (the default style wrapping at the top left); returns the indices
    of the locked and unlocked ones."""
    before, after = xml(old), xml(new)
    assert children_except(before, "cellXfs") == children_except(after, "cellXfs")
    old_xfs, new_xfs = before.find(f"{M}cellXfs"), after.find(f"{M}cellXfs")
    assert [c14n(xf) for xf in old_xfs] == [c14n(xf) for xf in new_xfs][:len(old_xfs)]
    added = list(new_xfs)[len(old_xfs):]
    assert added, "freeze locked no cell style"
    locked, unlocked = set(), set()
    plain = {c14n(_without_protection(xf)) for xf in old_xfs}
    wrapping = [xf for xf in added if xf.find(f"{M}alignment") is not None
                and xf.find(f"{M}protection") is None]
    assert len(wrapping) == 1 and dict(wrapping[0].find(f"{M}alignment").attrib) == {
        "horizontal": "left", "vertical": "top", "wrapText": "1"}
    for index, xf in enumerate(added, start=len(old_xfs)):
        if xf in wrapping:
            continue
        assert c14n(_without_protection(xf)) in plain  # a copy of an existing style
        (locked if xf.find(f"{M}protection").get("locked") == "1" else unlocked).add(index)
    assert locked, "freeze locked no cell style"
    assert new_xfs.get("count") == str(len(new_xfs))
    return locked, unlocked


def _without_protection(xf: etree._Element) -> etree._Element:
    import copy

    xf = copy.deepcopy(xf)
    for protection in xf.findall(f"{M}protection"):
        xf.remove(protection)
    xf.attrib.pop("applyProtection", None)
    return xf


def _cells(root: etree._Element) -> dict[str, etree._Element]:
    return {cell.get("r"): cell for cell in root.iterfind(f"{M}sheetData/{M}row/{M}c")}


def check_locked_sheet(old: bytes, new: bytes, locked_styles: set[int],
                       unlocked_styles: set[int], name: str) -> None:
    """Same sheet, plus sheetProtection in its schema place, locked styles on some cells
    and, on a sheet not protected before, unlocked styles on the others and on every
    column: every other element (validations, conditional formats, the comment's
    legacyDrawing...) and every cell's value and formula as before."""
    before, after = xml(old), xml(new)
    assert before.nsmap == after.nsmap and dict(before.attrib) == dict(after.attrib), name
    assert children_except(before, "sheetData", "sheetProtection", "cols") == (
        children_except(after, "sheetData", "sheetProtection", "cols")), name
    old_cols = {(c.get("min"), c.get("max")): c for c in before.iterfind(f"{M}cols/{M}col")}
    for col in after.iterfind(f"{M}cols/{M}col"):
        original = old_cols.get((col.get("min"), col.get("max")))
        if original is not None:  # the user's column: only its style unlocked
            assert {k: v for k, v in col.attrib.items() if k != "style"} == {
                k: v for k, v in original.attrib.items() if k != "style"}, name
        assert int(col.get("style", "0")) not in locked_styles, name
    order = [localname(child) for child in after]
    protection = order.index("sheetProtection")
    assert order[protection - 1] in ("sheetData", "sheetCalcPr"), (name, order)
    old_cells, new_cells = _cells(before), _cells(after)
    assert list(old_cells) == list(new_cells), name
    relocked = 0
    for address, cell in old_cells.items():
        other = new_cells[address]
        assert [c14n(child) for child in cell] == [c14n(child) for child in other], address
        if cell.get("s") != other.get("s"):
            assert int(other.get("s")) in locked_styles | unlocked_styles, (name, address)
            relocked += int(other.get("s")) in locked_styles
        attributes = {k: v for k, v in cell.attrib.items() if k != "s"}
        assert attributes == {k: v for k, v in other.attrib.items() if k != "s"}, address
    assert relocked, f"{name}: no cell was locked"
    def rows(root):  # a styled row's style may be unlocked
        return [{k: v for k, v in row.attrib.items() if k != "s"}
                for row in root.iterfind(f"{M}sheetData/{M}row")]

    assert rows(before) == rows(after)


def check_snapshots_sheet(old: bytes, new: bytes) -> None:
    """Rows appended under the table (and the dimension grown); the rest as it was, but
    for the header's new last cell, "Cell" (the column recording where each value was
    frozen from, added to a table frozen before it was recorded)."""
    before, after = xml(old), xml(new)
    assert children_except(before, "sheetData", "dimension") == children_except(
        after, "sheetData", "dimension")
    old_rows = list(before.iterfind(f"{M}sheetData/{M}row"))
    new_rows = list(after.iterfind(f"{M}sheetData/{M}row"))
    headers = 0
    for was, now in zip(old_rows, new_rows, strict=False):
        if c14n(was) == c14n(now):
            continue
        headers += 1
        *kept, added = list(now)
        assert [c14n(cell) for cell in kept] == [c14n(cell) for cell in was]
        assert "".join(added.itertext()) == c.SNAPSHOT_CELL
    assert headers <= 1
    assert len(new_rows) > len(old_rows)


# ------------------------------------------------------------------------- recalc
def formula(cell: etree._Element) -> bytes | None:
    found = cell.find(f"{M}f")
    return None if found is None else c14n(found)


def sheets_with_formulas(parts: dict[str, bytes]) -> set[str]:
    return {part for part in rw.sheet_parts(parts).values()
            if xml(parts[part]).find(f"{M}sheetData/{M}row/{M}c/{M}f") is not None}


# formulas (the engine) reads the file with openpyxl, which warns that it skips the x14 lists
@pytest.mark.filterwarnings("ignore:Data Validation extension:UserWarning")
def test_recalc_keeps_every_part_but_the_sheets_with_formulas(book, tmp_path, capsys):
    # A user types new figures: cached results on KPIs and Dashboard are now stale.
    edit(book, rw.DASHBOARD, {"C2": 2.5})
    edit(book, c.KPI_SHEET, {"I8": 9400})  # KPI 1, 2023-24 Q1: KPI 2 (% change) follows
    before = parts_of(book)
    other = tmp_path / "recalculated.xlsx"
    assert main(["recalc", str(book), "-o", str(other)]) == 0
    after = parts_of(other)

    assert list(after) == list(before)  # no part added, none removed, same order
    formula_sheets = sheets_with_formulas(before)
    sheets = rw.sheet_parts(before)
    assert sheets[rw.DASHBOARD] in formula_sheets  # Dashboard!C7 = SUM(C2:C6)
    changed = {name for name in before if after[name] != before[name]}
    assert changed <= formula_sheets, sorted(changed - formula_sheets)
    assert {sheets[rw.DASHBOARD], sheets[c.KPI_SHEET]} <= changed  # the stale values
    for name in before:
        if name not in formula_sheets:
            assert after[name] == before[name], name
    for name in changed:  # only cached values differ: formulas, styles, extLst... kept
        old, new = xml(before[name]), xml(after[name])
        assert old.nsmap == new.nsmap and dict(old.attrib) == dict(new.attrib), name
        assert children_except(old, "sheetData") == children_except(new, "sheetData"), name
        old_cells, new_cells = _cells(old), _cells(new)
        assert set(old_cells) <= set(new_cells), name
        for address, cell in old_cells.items():
            other = new_cells[address]
            assert formula(cell) == formula(other), (name, address)
            assert cell.get("s") == other.get("s"), (name, address)
            if formula(cell) is None:
                assert c14n(cell) == c14n(other), (name, address)
    dashboard = _cells(xml(after[sheets[rw.DASHBOARD]]))
    assert float(dashboard["C7"].find(f"{M}v").text) == pytest.approx(7.25)
    assert xml(after[sheets[rw.DASHBOARD]]).find(f"{M}extLst") is not None

    report = figures(before, after)
    with capsys.disabled():
        print(f"\nrecalc round trip: {report['parts']} parts; {report['preserved']} kept byte "
              f"for byte; {report['changed']} changed ({', '.join(report['changed_parts'])});"
              f" {report['new']} new")
