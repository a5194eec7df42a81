"""README's "Every report, step by step" is the whole cycle a council runs: every `lfi-xl ...`
command of its numbered steps runs as written, in order, in the folder holding both
workbooks (copies of the shipped ones), with the period's figures typed where step 2 says
to type them, and the one-step correction after it."""

import datetime as dt
import re
import shlex
import shutil
from pathlib import Path

from helpers import edit, enter_period

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.cli import main
from lfi_xl.core.cells import serial

ROOT = Path(__file__).resolve().parents[2]
KPI, PLAN = "template_kpi.xlsx", "dsg_plan.xlsx"


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Every report, step by step")
    return text[start:text.index("\n### ", start + 1)]


def commands(text: str) -> list[list[str]]:
    """The `lfi-xl ...` spans of ``text``, as a shell would split them."""
    return [shlex.split(" ".join(span.split())) for span in re.findall(r"`([^`]+)`", text)
            if span.startswith("lfi-xl ")]


def steps() -> list[tuple[int, list[list[str]]]]:
    """(number, its commands) for each step of the numbered list."""
    listed = section().split("\n**Correcting")[0]
    found = []
    for item in re.split(r"\n(?=\d+\. )", listed):
        number = re.match(r"(\d+)\. ", item)
        if number:
            found.append((int(number.group(1)), commands(item)))
    return found


def test_the_steps_are_the_whole_cycle():
    numbered = steps()
    assert [number for number, _ in numbered] == list(range(1, len(numbered) + 1))
    named = [line[1] for _, lines in numbered for line in lines]
    for command in ("start-period", "refresh", "recalc", "validate", "freeze", "extract",
                    "dfe-return", "verify"):
        assert command in named, command
    assert named.index("freeze") < named.index("extract") < named.index("verify")


def plan_data(kpi: Path, key: str, label: str) -> float:
    book = KpiBook(WorkbookValues(kpi))
    return book.plan_data[key].values[book.period_labels.index(label)]


def type_step_2(folder: Path, label: str) -> float:
    """What step 2 says to type: the forecast in the plan workbook's Forecast sheet (the
    current year's column), the KPI inputs, RAGs and narrative, and a new placement in the
    row just below the register. Returns how much the forecast's expenditure rose."""
    plan = WorkbookValues(folder / PLAN)
    area = plan.require(c.FORECAST_TABLE)
    rows = plan.values(area)
    row = next(i for i, r in enumerate(rows) if r[-2] == "independent_special")
    column = rows[0].index("2024/25")
    edit(folder / PLAN, area.sheet, {area.cell(row, column): rows[row][column] + 0.5})
    enter_period(folder / KPI, label, 1000)
    below = WorkbookValues(folder / KPI).area(c.placement_name("ID")).max_row + 1
    edit(folder / KPI, c.PLACEMENTS, {
        f"A{below}": "P-README-1", f"B{below}": "Maintained/academy special school",
        f"C{below}": "Under 16", f"D{below}": "In county",
        f"E{below}": serial(dt.date(2024, 5, 1)), f"G{below}": 30000})
    return 0.5


def test_every_step_runs_as_written(tmp_path, monkeypatch, capsys):
    for name in (KPI, PLAN):
        shutil.copy(ROOT / "workbooks" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)   # "in the folder with both files"
    label = "2024-25 Q1"          # the report after the shipped workbooks' current one
    ran = []
    for number, lines in steps():
        if number == 2:
            rise = type_step_2(tmp_path, label)
            typed = plan_data(tmp_path / KPI, "total_expenditure", label)
        for line in lines:
            if "COPY.jsonl" in line:   # step 8: the receipts copied where editors cannot go
                shutil.copy(f"{KPI}.lfi-receipts.jsonl", "COPY.jsonl")
            capsys.readouterr()
            code = main(line[1:])
            out, err = capsys.readouterr()
            assert code == 0, f"step {number}: {shlex.join(line)}\n{out}\n{err}"
            assert "internal fault" not in err
            ran.append((number, line[1], out))
        if number == 3:   # the forecast typed after step 1 reaches Plan Data
            after = plan_data(tmp_path / KPI, "total_expenditure", label)
            assert abs(after - typed - rise) < 1e-9
    said = {(number, command): out for number, command, out in ran}
    assert f"Started {label}" in said[1, "start-period"]
    assert "Placements: 1 row(s) taken in" in said[2, "take-rows"]
    assert f"Froze {label}" in said[6, "freeze"]
    assert "(snapshot 1)" in said[7, "dfe-return"]
    assert "Every snapshot, frozen value and audit entry is as it was frozen." in \
        said[8, "verify"]
    assert sorted(path.name for path in (tmp_path / "DIR").iterdir()) == sorted([
        "LFI_Schools_Forum_2024-25_Q1.xlsx", "LFI_Schools_Forum_2024-25_Q1.pdf",
        "LFI_DfE_return_2024-25_Q1.docx", "LFI_DfE_KPIs_2024-25_Q1.xlsx",
        "LFI_DfE_DSG_plan_2024-25_Q1.xlsx", "manifest.json"])

    # Correcting a frozen period is one step, as written; the kept receipts still verify.
    (correction,) = commands(section().split("\n**Correcting")[1].split("\n\n")[0])
    assert "--supersede" in correction
    assert main(correction[1:]) == 0, capsys.readouterr()
    assert main(["verify", "--kpi", KPI, "--receipts", "COPY.jsonl"]) == 0, capsys.readouterr()
