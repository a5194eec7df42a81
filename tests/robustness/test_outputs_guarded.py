"""Issue 27, findings 3 and 9: the outputs (the DfE return, the extract, print) never
replace their inputs, never leave a partial set, and bad input is exit 2 and one line:
an output folder that is a file, control characters in names, a far cell, a zip entry
compressed by a method Excel never uses, a column of a million pasted numbers for recalc,
a Strict Open XML workbook."""

from __future__ import annotations

import hashlib
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import edit

from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.cli import main

PERIOD = "2023-24 Q3"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ready(kpi: Path, plan: Path) -> None:
    """The officer's cycle up to a frozen period the DfE return can be built from."""
    assert main(["refresh", "--kpi", str(kpi), "--plan", str(plan), "--period", PERIOD]) == 0
    assert main(["recalc", str(kpi)]) == 0
    assert main(["freeze", "--kpi", str(kpi), "--period", PERIOD, "--by", "A. Finance"]) == 0


def dfe_return(kpi: Path, plan: Path, out: Path) -> int:
    return main(["dfe-return", "--kpi", str(kpi), "--plan", str(plan), "--period", PERIOD,
                 "-o", str(out), "--by", "A. Finance"])


@pytest.fixture(scope="module")
def frozen_once(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frozen")
    shipped = Path(__file__).resolve().parents[2] / "workbooks"
    kpi = Path(shutil.copy(shipped / "template_kpi.xlsx", folder / "template_kpi.xlsx"))
    plan = Path(shutil.copy(shipped / "dsg_plan.xlsx", folder / "dsg_plan.xlsx"))
    ready(kpi, plan)
    return kpi, plan


@pytest.fixture
def frozen(frozen_once, tmp_path, capsys):
    """Copies of a frozen KPI workbook (with its receipts) and its plan."""
    capsys.readouterr()
    kpi, plan = frozen_once
    for path in kpi.parent.iterdir():
        if path.is_file() and not path.name.startswith(".~"):
            shutil.copy(path, tmp_path / path.name)
    return tmp_path / kpi.name, tmp_path / plan.name


def test_dfe_return_never_writes_over_its_inputs(frozen, tmp_path, capsys):
    kpi, plan = frozen
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    kpi = Path(shutil.move(kpi, inputs / f"LFI_DfE_KPIs_{PERIOD.replace(' ', '_')}.xlsx"))
    plan = Path(shutil.move(plan, inputs / f"LFI_DfE_DSG_plan_{PERIOD.replace(' ', '_')}.xlsx"))
    before = {path.name: sha(path) for path in inputs.iterdir()}
    assert dfe_return(kpi, plan, inputs) == 2
    error = capsys.readouterr().err
    assert "would replace its own input" in error and error.count("\n") == 1
    assert {path.name: sha(path) for path in inputs.iterdir()} == before
    assert main(["verify", "--kpi", str(kpi)]) == 0


@pytest.mark.parametrize("command", ["dfe-return", "extract", "print"])
def test_an_output_folder_that_is_a_file_is_one_line(command, frozen, tmp_path, capsys):
    kpi, plan = frozen
    target = tmp_path / "a_file"
    target.write_text("mine")
    args = {"dfe-return": ["dfe-return", "--kpi", kpi, "--plan", plan, "-o", target],
            "extract": ["extract", "--kpi", kpi, "--plan", plan, "--no-pdf", "-o", target],
            "print": ["print", kpi, "-o", target]}[command]
    assert main(list(map(str, args))) == 2
    error = capsys.readouterr().err
    assert "is a file, not a folder" in error and error.count("\n") == 1
    assert target.read_text() == "mine"


def test_a_failed_return_leaves_no_partial_set_and_keeps_the_last_one(frozen, tmp_path,
                                                                       monkeypatch, capsys):
    kpi, plan = frozen
    out = tmp_path / "out"
    assert dfe_return(kpi, plan, out) == 0
    before = {path.name: sha(path) for path in out.iterdir()}
    import lfi_xl.actions.dfe_return as module

    calls = []

    def full_on_the_plan(source, target, draft=False):
        calls.append(source)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(source, target, draft)

    real = module.values_copy
    monkeypatch.setattr(module, "values_copy", full_on_the_plan)
    capsys.readouterr()
    assert dfe_return(kpi, plan, out) == 2
    error = capsys.readouterr().err
    assert "disk is full" in error and "nothing of this set was written" in error
    assert {path.name: sha(path) for path in out.iterdir()} == before  # no .tmp left


def control_characters(path: Path) -> None:
    """The authority's name as Excel stores a control character (``_x0001_``)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for name, data in parts.items():
        if name.startswith("xl/") and name.endswith(".xml"):
            parts[name] = data.replace(b"Norfolk County Council",
                                       b"Norfolk_x0001_ County_x0007_ Council")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_control_characters_in_names_are_shown_not_a_fault(frozen, tmp_path, capsys):
    kpi, plan = frozen
    odd = Path(shutil.copy(kpi, tmp_path / "KPIs \x01 copy.xlsx"))
    edit(plan, "Settings", {"B3": "Norfolk\x01 County\x07 Council"})
    assert dfe_return(odd, plan, tmp_path / "ret") == 0, capsys.readouterr().err
    manifest = (tmp_path / "ret" / "manifest.json").read_text()
    assert "KPIs \\u0001 copy.xlsx" in manifest   # named as it is
    assert main(["extract", "--kpi", str(odd), "--plan", str(plan), "--no-pdf",
                 "-o", str(tmp_path / "x")]) == 0, capsys.readouterr().err


def test_a_far_cell_is_bounded_for_the_dfe_return(frozen, tmp_path):
    """Settings!XFD1048576 typed in both workbooks: built within 1.5 GB of memory (before:
    8.6 GB, stopped at 120 s: the copy walked the sheet's whole rectangle)."""
    kpi, plan = frozen
    for book in (kpi, plan):
        edit(book, "Settings", {"XFD1048576": "far"})

    def bounded():
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))

    done = subprocess.run([sys.executable, "-m", "lfi_xl.cli", "dfe-return", "--kpi", str(kpi),
                           "--plan", str(plan), "--period", PERIOD, "-o", str(tmp_path / "far")],
                          capture_output=True, text=True, preexec_fn=bounded, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "far" / "manifest.json").exists()


def test_an_unsupported_compression_method_is_one_line(kpi_book, capsys):
    data = bytearray(kpi_book.read_bytes())
    with zipfile.ZipFile(kpi_book) as archive:
        info = archive.getinfo("xl/styles.xml")
    # method 14 (LZMA) in the part's central directory entry and its local header
    central = next(at for at in range(len(data) - 4) if data[at:at + 4] == b"PK\x01\x02"
                   and data[at + 46:at + 46 + 13] == b"xl/styles.xml")
    data[central + 10:central + 12] = (14).to_bytes(2, "little")
    data[info.header_offset + 8:info.header_offset + 10] = (14).to_bytes(2, "little")
    kpi_book.write_bytes(bytes(data))
    for command in (["validate", kpi_book], ["freeze", "--kpi", kpi_book, "--period", PERIOD]):
        assert main(list(map(str, command))) == 2
        said = capsys.readouterr()
        assert "compressed with method 14" in said.out + said.err


def pasted_column(path: Path, rows: int = 1_048_576) -> None:
    """A workbook of one sheet holding a column of ``rows`` pasted numbers (5 MB)."""
    shipped = Path(__file__).resolve().parents[2] / "workbooks" / "template_kpi.xlsx"
    with zipfile.ZipFile(shipped) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i % 997)
                    for i in range(1, rows + 1))
    parts["xl/worksheets/sheet4.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + body + b"</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_recalc_refuses_a_million_pasted_numbers_in_one_line(tmp_path):
    """Before: out of memory after a traceback (exit 3); the bound is in the reader's
    check recalc runs first (``check_dense``), so no engine is started."""
    book = tmp_path / "pasted.xlsx"
    pasted_column(book)
    before = sha(book)

    def bounded():
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))

    done = subprocess.run([sys.executable, "-m", "lfi_xl.cli", "recalc", str(book)],
                          capture_output=True, text=True, preexec_fn=bounded, timeout=600)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.count("\n") == 1 and "1,048,576 on the sheet" in done.stderr
    assert sha(book) == before


def strict(source: Path, target: Path) -> Path:
    """``source`` saved as Strict Open XML (the namespaces Excel's Save As writes)."""
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name.endswith((".xml", ".rels")):
                for strict_name, plain in wx._STRICT:
                    data = data.replace(plain, strict_name)
            archive.writestr(name, data)
    return target


def test_strict_open_xml_is_read_and_not_changed(kpi_book, plan_book, tmp_path, capsys):
    book = strict(kpi_book, tmp_path / "strict.xlsx")
    assert main(["validate", str(book)]) == 0, capsys.readouterr().out   # names found
    assert "No findings" in capsys.readouterr().out
    assert main(["extract", "--kpi", str(book), "--plan", str(plan_book), "--no-pdf",
                 "-o", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    before = sha(book)
    assert main(["freeze", "--kpi", str(book), "--period", PERIOD, "--by", "A"]) == 2
    error = capsys.readouterr().err
    assert "Strict Open XML" in error and error.count("\n") == 1
    assert sha(book) == before
