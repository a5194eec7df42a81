"""Issue 17's security review, attack by attack: each is now found (verify exit 1, or a
refusal with exit 2), each false alarm now passes, and writes never lose a freeze."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import edit
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.adapters.files.package import dated_backups
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.snapshots import audit_hash, snapshot_hash
from lfi_xl.cli import main

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS = {"m": MAIN}


def run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def freeze(path, period="2023-24 Q1", *extra):
    return main(["freeze", str(path), "--period", period, "--by", "A. Finance", *extra])


def rows_of(path, name):
    book = WorkbookValues(path)
    area = book.area(name)
    values = book.values(area)
    return area, [dict(zip(values[0], row, strict=False)) | {"_row": n}
                  for n, row in enumerate(values[1:], start=1)]


def column(name_of_table, header) -> str:
    columns = c.SNAPSHOT_COLUMNS if name_of_table == c.SNAPSHOTS_TABLE else c.AUDIT_COLUMNS
    return chr(ord("A") + columns.index(header))


def forge(path, new_value, rewrite_chain: bool):
    """The review's forgery: KPI 1 of 2023-24 Q1 changed in the live cell and in its
    snapshot row, the snapshot's SHA-256 recomputed with the public algorithm (and, with
    ``rewrite_chain``, the audit entry's hashes too)."""
    edit(path, "KPIs", {"I8": new_value})
    area, rows = rows_of(path, c.SNAPSHOTS_TABLE)
    target = next(r for r in rows if r["Kind"] == "KPI" and r["Key"] == 1)
    edit(path, "Snapshots", {f"{column(c.SNAPSHOTS_TABLE, 'Value')}"
                             f"{area.min_row + target['_row']}": new_value})
    area, rows = rows_of(path, c.SNAPSHOTS_TABLE)
    digest = snapshot_hash(rows)
    edit(path, "Snapshots", {f"{column(c.SNAPSHOTS_TABLE, 'Snapshot SHA-256')}"
                             f"{area.min_row + r['_row']}": digest for r in rows})
    if rewrite_chain:
        audit_area, entries = rows_of(path, c.AUDIT_TABLE)
        previous = ""
        cells = {}
        for entry in entries:
            entry["Snapshot SHA-256"] = digest
            entry["Previous entry SHA-256"] = previous
            previous = audit_hash(entry, previous)
            row = audit_area.min_row + entry["_row"]
            cells[f"{column(c.AUDIT_TABLE, 'Snapshot SHA-256')}{row}"] = digest
            cells[f"{column(c.AUDIT_TABLE, 'Entry SHA-256')}{row}"] = previous
        edit(path, "Audit", cells)


def test_a_forged_snapshot_with_its_hash_recomputed_is_found(kpi_book, plan_book, tmp_path,
                                                             capsys):
    assert freeze(kpi_book) == 0
    forge(kpi_book, 9999, rewrite_chain=False)
    code, text = run(capsys, "verify", kpi_book)
    assert code == 1 and "the snapshot was rewritten" in text
    assert run(capsys, "validate", kpi_book)[0] == 1
    code, text = run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "-o",
                     tmp_path / "out", "--period", "2023-24 Q1", "--no-pdf")
    assert code == 1 and "cannot be published" in text   # refused


def test_a_consistently_rewritten_file_is_found_by_its_receipts(kpi_book, tmp_path, capsys):
    assert freeze(kpi_book) == 0
    out = capsys.readouterr().out
    head = out.split("Audit chain head: ")[1].split()[0]
    receipts = kpi_book.with_name(kpi_book.name + c.RECEIPTS_SUFFIX)
    record = json.loads(receipts.read_text().splitlines()[-1])
    assert record["head"] == head and record["period"] == "2023-24 Q1"
    forge(kpi_book, 9999, rewrite_chain=True)
    moved = Path(shutil.move(receipts, tmp_path / "kept-elsewhere.jsonl"))
    # Without an anchor outside the file, a consistent rewrite passes: README says so.
    assert run(capsys, "verify", kpi_book)[0] == 0
    code, text = run(capsys, "verify", kpi_book, "--receipts", moved)
    assert code == 1 and "rewritten or cut off" in text
    code, text = run(capsys, "verify", kpi_book, "--head", head)
    assert code == 1 and head[:12] in text
    shutil.copy(moved, receipts)  # beside the file: used without being asked
    assert run(capsys, "verify", kpi_book)[0] == 1
    assert run(capsys, "verify", kpi_book, "--head", "not-a-hash")[0] == 2


def test_the_receipt_and_head_match_an_untouched_file(kpi_book, capsys):
    assert freeze(kpi_book) == 0
    head = capsys.readouterr().out.split("Audit chain head: ")[1].split()[0]
    assert run(capsys, "verify", kpi_book, "--head", head)[0] == 0
    assert freeze(kpi_book, "2023-24 Q2") == 0
    capsys.readouterr()
    # The first head is still in the chain (it grew); the receipts name both.
    assert run(capsys, "verify", kpi_book, "--head", head)[0] == 0
    receipts = kpi_book.with_name(kpi_book.name + c.RECEIPTS_SUFFIX)
    assert len(receipts.read_text().splitlines()) == 2


def _drop_rows(path, sheet, numbers):
    """Remove worksheet rows (as deleting them in Excel would, minus the names)."""
    target = _sheet_part(path, sheet)
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    root = etree.fromstring(parts[target])
    for row in list(root.iterfind("m:sheetData/m:row", NS)):
        if int(row.get("r")) in numbers:
            row.getparent().remove(row)
    parts[target] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_every_row_of_a_snapshot_blanked_is_found_and_refreezing_refused(kpi_book, capsys):
    assert freeze(kpi_book) == 0
    area, rows = rows_of(kpi_book, c.SNAPSHOTS_TABLE)
    _drop_rows(kpi_book, "Snapshots", {area.min_row + r["_row"] for r in rows})
    code, text = run(capsys, "verify", kpi_book)
    assert code == 1 and "has no rows of it: they were removed" in text
    assert freeze(kpi_book) == 1   # validation (verify) refuses: no second "freeze 1"


def test_the_last_entry_cut_off_with_its_snapshot_is_found_by_the_receipts(kpi_book, capsys):
    assert freeze(kpi_book) == 0 and freeze(kpi_book, "2023-24 Q2") == 0
    area, rows = rows_of(kpi_book, c.SNAPSHOTS_TABLE)
    audit_area, entries = rows_of(kpi_book, c.AUDIT_TABLE)
    _drop_rows(kpi_book, "Snapshots", {area.min_row + r["_row"] for r in rows
                                       if r["Snapshot"] == 2})
    _drop_rows(kpi_book, "Audit", {audit_area.min_row + entries[-1]["_row"]})
    capsys.readouterr()
    code, text = run(capsys, "verify", kpi_book)  # the receipts beside it
    assert code == 1 and "rewritten or cut off" in text


@pytest.mark.parametrize("name", [c.SNAPSHOTS_TABLE, c.AUDIT_TABLE])
def test_a_deleted_table_name_is_found_and_said(kpi_book, plan_book, tmp_path, capsys, name):
    assert freeze(kpi_book) == 0
    edit(kpi_book, "KPIs", {"I8": 9999})
    with zipfile.ZipFile(kpi_book) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    workbook = etree.fromstring(parts["xl/workbook.xml"])
    names = workbook.find("m:definedNames", NS)
    names.remove(next(n for n in names if n.get("name") == name))
    parts["xl/workbook.xml"] = etree.tostring(workbook, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(kpi_book, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    code, text = run(capsys, "verify", kpi_book)
    assert code == 1 and f"the defined name {name} is missing" in text
    assert run(capsys, "validate", kpi_book)[0] == 1
    code, text = run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "-o",
                     tmp_path / "out", "--period", "2023-24 Q1", "--no-pdf")
    assert code == 1 and name in text   # refused, as validate lists it


def _sheet_part(path, sheet):
    book = WorkbookValues(path)
    return next(i.part for i in book.sheets if i.name == sheet)


def _patch_cell(path, sheet, address, change):
    part = _sheet_part(path, sheet)
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    root = etree.fromstring(parts[part])
    cell = next(x for x in root.iterfind("m:sheetData/m:row/m:c", NS) if x.get("r") == address)
    change(root, cell, parts)
    parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _format_999(root, cell, parts):
    styles = etree.fromstring(parts["xl/styles.xml"])
    formats = styles.find("m:numFmts", NS)
    if formats is None:
        formats = etree.Element(f"{{{MAIN}}}numFmts")
        styles.insert(0, formats)
    etree.SubElement(formats, f"{{{MAIN}}}numFmt", numFmtId="200", formatCode='"999"')
    xfs = styles.find("m:cellXfs", NS)
    clone = etree.fromstring(etree.tostring(xfs[int(cell.get("s", "0"))]))
    clone.set("numFmtId", "200")
    xfs.append(clone)
    cell.set("s", str(len(xfs) - 1))
    parts["xl/styles.xml"] = etree.tostring(styles, xml_declaration=True, encoding="UTF-8")


def _formula_kept_value(root, cell, parts):
    formula = cell.find("m:f", NS)
    formula.text = formula.text.replace("I8", "I10")    # the cached value stays


def _shared_anchor(root, cell, parts):
    """The frozen cell made the anchor of a shared formula and the formula edited."""
    formula = cell.find("m:f", NS)
    formula.set("t", "shared")
    formula.set("si", "77")
    formula.set("ref", cell.get("r"))
    formula.text = "LFI_PCTCHANGE(I10,$H$8)"


@pytest.mark.parametrize("change, word", [(_format_999, "number format"),
                                          (_formula_kept_value, "formula"),
                                          (_shared_anchor, "formula")],
                         ids=["number-format-999", "formula-kept-value", "shared-formula"])
def test_a_frozen_cell_changed_but_not_its_value_is_found(kpi_book, capsys, change, word):
    assert freeze(kpi_book) == 0
    _patch_cell(kpi_book, "KPIs", "I9", change)   # KPI 2 of 2023-24 Q1: a formula cell
    code, text = run(capsys, "verify", kpi_book)
    assert code == 1 and f"its {word} is now" in text and "I9" in text


def test_word_line_breaks_and_control_characters_freeze_and_verify(kpi_book, plan_book, tmp_path,
                                                                   capsys):
    edit(kpi_book, "Narrative", {"C5": "On track.\x0bCosts above plan.\x01"})
    # Q1's Plan Data made the plan workbook's forecast, so its paper can be built from it
    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book), "--period",
                 "2023-24 Q1"]) == 0
    assert main(["recalc", str(kpi_book)]) == 0
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q1", "--by", "A.\x07Finance"]) == 0
    assert run(capsys, "verify", kpi_book)[0] == 0
    code, _ = run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "-o", tmp_path,
                  "--period", "2023-24 Q1", "--no-pdf")
    assert code == 0
    edit(kpi_book, "KPIs", {"I52": 37})
    assert freeze(kpi_book, "2023-24 Q1", "--supersede", "--reason", "PEX\x0bcorrected") == 0
    assert run(capsys, "verify", kpi_book)[0] == 0


def test_a_control_character_in_the_authority_name_is_not_a_fault(kpi_book, plan_book, tmp_path,
                                                                   capsys):
    _patch_cell(kpi_book, "Settings", "B5", lambda root, cell, parts: (
        [cell.remove(x) for x in list(cell)], cell.set("t", "inlineStr"),
        etree.SubElement(etree.SubElement(cell, f"{{{MAIN}}}is"), f"{{{MAIN}}}t").__setattr__(
            "text", "Norfolk_x0001_ County Council")))
    code, text = run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "-o", tmp_path,
                     "--no-pdf")
    assert code == 0, text


def test_bak_keeps_dated_generations_so_the_original_survives(kpi_book):
    original = kpi_book.read_bytes()
    for period in ("2023-24 Q1", "2023-24 Q2", "2023-24 Q3"):
        assert freeze(kpi_book, period) == 0
    backups = [kpi_book.with_name(kpi_book.name + ".bak"), *dated_backups(kpi_book)]
    assert len(backups) == 3
    assert original in [b.read_bytes() for b in backups]


def test_a_bak_that_is_a_folder_is_refused_with_exit_2(kpi_book, capsys):
    kpi_book.with_name(kpi_book.name + ".bak").mkdir()
    before = kpi_book.read_bytes()
    code, text = run(capsys, "freeze", kpi_book, "--period", "2023-24 Q1")
    assert code == 2 and "is a folder" in text and kpi_book.read_bytes() == before


def test_a_workbook_open_in_excel_is_refused(kpi_book, capsys):
    owner = kpi_book.with_name("~$" + kpi_book.name)
    name = b"Jo Bloggs"
    owner.write_bytes(bytes([len(name)]) + name + b" " * (54 - len(name) - 1))
    before = kpi_book.read_bytes()
    code, text = run(capsys, "freeze", kpi_book, "--period", "2023-24 Q1")
    assert code == 2 and "open in Excel by Jo Bloggs: close it first" in text
    assert kpi_book.read_bytes() == before
    assert run(capsys, "adopt", kpi_book)[0] == 2


@pytest.mark.parametrize("open_in_excel", ["kpi", "plan"])
def test_start_period_refuses_while_excel_has_either_workbook_open(kpi_book, plan_book,
                                                                  capsys, open_in_excel):
    """start-period changes both workbooks: neither is touched while Excel has one open
    (it would overwrite lfi-xl's change at its next save)."""
    opened = kpi_book if open_in_excel == "kpi" else plan_book
    name = b"Jo Bloggs"
    opened.with_name("~$" + opened.name).write_bytes(bytes([len(name)]) + name + b" " * 44)
    before = kpi_book.read_bytes(), plan_book.read_bytes()
    code, text = run(capsys, "start-period", "--kpi", kpi_book, "--plan", plan_book)
    assert code == 2 and f"{opened.name}: open in Excel by Jo Bloggs: close it first" in text
    assert (kpi_book.read_bytes(), plan_book.read_bytes()) == before
    assert not list(kpi_book.parent.glob("*.bak"))


def test_freezing_through_a_symlink_freezes_the_real_workbook(kpi_book, tmp_path, capsys):
    link = tmp_path / "link.xlsx"
    link.symlink_to(kpi_book)
    assert freeze(link) == 0
    assert link.is_symlink() and link.resolve() == kpi_book.resolve()
    assert KpiBook(WorkbookValues(kpi_book)).snapshots[1]
    assert run(capsys, "verify", kpi_book)[0] == 0


def test_two_freezes_at_once_never_lose_a_snapshot(kpi_book):
    args = [sys.executable, "-m", "lfi_xl.cli", "freeze", str(kpi_book), "--by", "Twin",
            "--period"]
    runs = [subprocess.Popen([*args, period], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for period in ("2023-24 Q1", "2023-24 Q2")]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    done = sum(1 for code, _ in results if code == 0)
    periods = {r["Period"] for r in KpiBook(WorkbookValues(kpi_book)).snapshots[1]}
    assert len(periods) == done, results   # every "Froze" is in the file
    for code, err in results:
        assert code == 0 or "another lfi-xl command is changing this workbook" in err


def test_a_second_writer_waits_then_refuses(kpi_book, capsys, monkeypatch):
    from lfi_xl.adapters.files import package

    monkeypatch.setattr(package, "LOCK_WAIT_SECONDS", 0.3)
    with package.exclusive(kpi_book):
        code, text = run(capsys, "freeze", kpi_book, "--period", "2023-24 Q1")
    assert code == 2 and "another lfi-xl command is changing this workbook" in text
    assert freeze(kpi_book) == 0   # released: the next one goes ahead


def test_a_read_only_folder_is_named_not_a_temporary_file(kpi_book, capsys):
    """A folder the user may not write in. Root writes through permission bits, so as root
    (CI) the folder is made immutable instead, which refuses root too."""
    folder = kpi_book.parent
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        code, text = run(capsys, "freeze", kpi_book, "--period", "2023-24 Q1")
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)
    assert code == 2 and f"cannot write in {folder} (read-only?)" in text
    assert ".tmp" not in text


def test_a_read_only_folder_message_without_root(tmp_path, monkeypatch):
    """As root the chmod test cannot bite: the same path, with the OS refusing."""
    import tempfile

    from lfi_xl.adapters.files import package
    from lfi_xl.errors import UnusableInput

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".~lfi-x.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(UnusableInput) as refused:
        package.atomic_write(tmp_path / "out.xlsx", b"data")
    assert str(refused.value) == f"cannot write in {tmp_path} (read-only?)"


def test_extract_never_replaces_its_input_and_removes_a_stale_pdf(kpi_book, plan_book, tmp_path,
                                                                  capsys):
    name = "LFI_Schools_Forum_2023-24_Q3.xlsx"
    trap = tmp_path / "trap"
    trap.mkdir()
    victim = Path(shutil.copy(kpi_book, trap / name))
    before = victim.read_bytes()
    code, text = run(capsys, "extract", "--kpi", victim, "--plan", plan_book, "-o", trap,
                     "--no-pdf")
    assert code == 2 and "would replace its own input" in text
    assert victim.read_bytes() == before and not list(trap.glob("*.bak"))
    out = tmp_path / "out"
    out.mkdir()
    (out / name).with_suffix(".pdf").write_bytes(b"%PDF- an older extract")
    code, text = run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "-o", out,
                     "--no-pdf")
    assert code == 0 and "was removed" in text
    assert not (out / name).with_suffix(".pdf").exists()


def test_the_extract_cover_prints_the_chain_head(kpi_book, plan_book, tmp_path, capsys):
    from openpyxl import load_workbook

    assert freeze(kpi_book, "2023-24 Q3") == 0
    head = capsys.readouterr().out.split("Audit chain head: ")[1].split()[0]
    assert run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "-o",
               tmp_path / "out", "--no-pdf")[0] == 0
    about = load_workbook(next((tmp_path / "out").glob("*.xlsx")))["About this paper"]
    assert ("Audit chain head", head) in [tuple(r) for r in about.iter_rows(values_only=True)]


def test_reordered_narrative_columns_freeze_the_right_answers(kpi_book, capsys):
    book = WorkbookValues(kpi_book)
    q1, q2 = book.values(book.area(c.NARRATIVE_TABLE))[1][2:4]
    edit(kpi_book, "Narrative", {"C4": "2023-24 Q2", "D4": "2023-24 Q1", "C5": q2, "D5": q1})
    assert freeze(kpi_book) == 0
    rows = KpiBook(WorkbookValues(kpi_book)).snapshots[1]
    answer = next(r for r in rows if r["Kind"] == c.SNAPSHOT_NARRATIVE and r["Key"] == "on_track")
    assert answer["Value"] == q1
    assert run(capsys, "verify", kpi_book)[0] == 0


def test_a_duplicated_or_missing_period_header_is_reported(kpi_book, capsys):
    edit(kpi_book, "Narrative", {"D4": "2023-24 Q1"})
    code, text = run(capsys, "validate", kpi_book)
    assert code == 1 and "heads 2 columns" in text and "no column headed 2023-24 Q2" in text


@pytest.mark.parametrize("label", ["2023/24 Q1", "Q1 2023/24", "Q1 2023-24", "2023-24: Q1"])
def test_common_period_spellings_are_accepted(kpi_book, capsys, label):
    assert freeze(kpi_book, label) == 0
    assert "Froze 2023-24 Q1" in capsys.readouterr().out


@pytest.mark.parametrize("label, code", [("June 2023", 2), ("2023-24 Q4", 1), ("Q9 2023/24", 2),
                                         ("2023-25 Q1", 2)])
def test_a_period_that_is_not_one_says_what_one_looks_like(kpi_book, plan_book, tmp_path, capsys,
                                                           label, code):
    """Not a period at all: unusable (2); a period this workbook does not have (a Q4 with
    three reports a year): refused (1). Either way the workbook's periods are named."""
    found, text = run(capsys, "freeze", kpi_book, "--period", label)
    assert found == code and "2023-24 Q1" in text and "internal fault" not in text
    found, text = run(capsys, "extract", "--kpi", kpi_book, "--plan", plan_book, "--period",
                      label, "-o", tmp_path, "--no-pdf")
    assert found == code and "report periods are 2023-24 Q1, 2023-24 Q2" in text
