"""bench/generate.py's junk register: the workbook make bench times a refused freeze on
is a real refusal (exit 1, the file untouched), not a crash."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main

_BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(_BENCH))
_SPEC = importlib.util.spec_from_file_location("bench_generate", _BENCH / "generate.py")
generate = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(generate)


def test_a_junk_register_is_refused_and_left_as_it_was(tmp_path, capsys):
    path = generate.junk_workbook(50, tmp_path / "junk.xlsx")
    book = WorkbookValues(path)
    register = book.values(book.area(c.PLACEMENTS_TABLE))
    assert len(register) == 51 and register[50][0] == "junk 50"
    assert {cell for row in register[1:] for cell in row[1:]} == {"TBC"}
    before = path.read_bytes()
    plan = Path(__file__).resolve().parents[2] / "workbooks" / "dsg_plan.xlsx"
    assert main(["freeze", str(path), "--period", "2023-24 Q1", "--by", "bench",
                 "--plan", str(plan)]) == 1
    out = "".join(capsys.readouterr())
    assert "Placements!C5 Age band (at 31 August) must be one of" in out
    assert path.read_bytes() == before and not path.with_suffix(".xlsx.bak").exists()
