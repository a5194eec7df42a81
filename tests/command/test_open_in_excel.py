"""The ribbon's buttons with both workbooks open in Excel: nothing is written behind Excel.

Excel holding a workbook leaves its ``~$NAME`` owner file beside it (both are made here,
as Excel writes them: a length byte, then the user's name) and, on Windows, refuses every
other program's write to it. So a button must change an open workbook only through Excel
(the live book) and must refuse, before anything changes, when the workbook is open in
an Excel it cannot reach. The buttons run on xlwings' JSON engine, as in test_live.py,
with what Excel's COM objects say of each workbook (``FullName``, ``Path``, ``Saved``,
``AutoSaveOn``, ``SaveCopyAs``) as in test_onedrive.py, and an Application that lists
the workbooks it has open and shows messages. Every test compares the files' bytes
before and after.
"""

import hashlib
import json
import shutil
import subprocess
import types
from pathlib import Path

import pytest
from helpers import json_book

from lfi_xl import contract as c
from lfi_xl import macros
from lfi_xl.cli import main
from lfi_xl.errors import UnusableInput

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
URL = "https://contoso-my.sharepoint.com/personal/ann_contoso_gov_uk/Documents/LFI"


class Excel:
    """Excel's Application as the buttons use it: its open workbooks, its message box."""

    def __init__(self):
        self.books = []
        self.said = []
        self.api = types.SimpleNamespace(UserName="Ann Tester")

    def alert(self, prompt, title=None, **_):
        self.said.append(prompt)


class OpenBook:
    """A workbook open in :class:`Excel`: a JSON-engine book with Excel's COM properties.
    ``SaveCopyAs`` writes the workbook as it is now: here, its file."""

    def __init__(self, excel, path: Path, full_name: str | None = None,
                 folder: str | None = None, autosave=False, saved=True):
        self._book = json_book(path)
        self.app = excel
        self.copies = []

        def save_copy_as(target):
            shutil.copyfile(path, target)
            self.copies.append(Path(target))

        self.api = types.SimpleNamespace(
            FullName=full_name or str(path), Path=str(path.parent) if folder is None else folder,
            AutoSaveOn=autosave, Saved=saved, SaveCopyAs=save_copy_as)
        excel.books.append(self)

    def __getattr__(self, name):
        return getattr(self._book, name)

    def changes(self):
        return [a for a in self._book.json()["actions"]
                if a["func"] in ("setValues", "setFormula", "namesAdd", "addSheet", "clear")]


def owner(path: Path):
    """Excel's owner file for ``path``: it has the workbook open."""
    path.with_name(f"~${path.name}").write_bytes(b"\x0aAnn Tester" + b" " * 44)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()
            if p.is_file()}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The two workbooks with Plan Data refreshed from the plan (so the KPI workbook
    records it) and recalculated, as a user has them before pressing a button."""
    folder = tmp_path_factory.mktemp("refreshed")
    kpi, plan = (Path(shutil.copy(SHIPPED / name, folder / name))
                 for name in (c.KPI_WORKBOOK, c.PLAN_WORKBOOK))
    assert main(["refresh", "--kpi", str(kpi), "--plan", str(plan)]) == 0
    assert main(["recalc", str(kpi)]) == 0
    return folder


@pytest.fixture
def both_open(refreshed, kpi_book, plan_book, tmp_path):
    """Both workbooks, refreshed, open in one Excel; the files' fingerprints as Excel
    opened them."""
    for path in (kpi_book, plan_book):
        shutil.copy(refreshed / path.name, path)
    owner(kpi_book)
    owner(plan_book)
    excel = Excel()
    kpi, plan = OpenBook(excel, kpi_book), OpenBook(excel, plan_book)
    return types.SimpleNamespace(excel=excel, kpi=kpi, plan=plan, before=digests(tmp_path))


def test_start_next_period_changes_the_open_plan_workbook_through_excel(both_open, tmp_path):
    started = macros.start_next_period(both_open.kpi)
    assert started.period.label == "2024-25 Q1" and started.in_plan
    assert started.plan_data is not None and started.plan_data.year == "2024/25"
    assert both_open.kpi.changes() and both_open.plan.changes()   # both through Excel
    assert digests(tmp_path) == both_open.before                  # no file written
    assert "Save both workbooks to keep it." in both_open.excel.said[0]


def test_start_next_period_refuses_a_plan_open_in_another_excel(both_open, tmp_path):
    both_open.excel.books.remove(both_open.plan)   # open, but not in this Excel
    with pytest.raises(UnusableInput, match=r"dsg_plan.xlsx is open in Excel, here or on "
                                            r"another PC \(~\$dsg_plan.xlsx is beside it\): "
                                            r"close it there, or open it in this Excel, then "
                                            r"start the next period again. Nothing was "
                                            r"changed.$"):
        macros.start_next_period(both_open.kpi)
    assert not both_open.kpi.changes()            # refused before the KPI workbook changed
    assert digests(tmp_path) == both_open.before


def test_start_next_period_refuses_a_plan_windows_will_not_let_it_write(both_open,
                                                                       plan_book, tmp_path):
    """No owner file (Excel on another PC that left none, another program): the file
    cannot be opened for writing. An immutable file stands in for Windows' refusal."""
    both_open.excel.books.remove(both_open.plan)
    plan_book.with_name(f"~${plan_book.name}").unlink()
    before = digests(tmp_path)
    # root on this project's machines (CI included) may mark a file immutable: the test
    # runs, never skips
    subprocess.run(["chattr", "+i", str(plan_book)], check=True, capture_output=True)
    try:
        with pytest.raises(UnusableInput, match="is open in another program, or read-only: "
                                                "close it there, or open it in this Excel"):
            macros.start_next_period(both_open.kpi)
    finally:
        subprocess.run(["chattr", "-i", str(plan_book)], check=True)
    assert not both_open.kpi.changes()
    assert digests(tmp_path) == before


def test_start_next_period_changes_a_closed_plan_as_a_file_safely(both_open, plan_book,
                                                                 tmp_path):
    both_open.excel.books.remove(both_open.plan)
    plan_book.with_name(f"~${plan_book.name}").unlink()   # closed everywhere
    before = digests(tmp_path)
    started = macros.start_next_period(both_open.kpi)
    assert started.in_plan and started.plan_data is not None
    after = digests(tmp_path)
    assert after[plan_book.name] != before[plan_book.name]      # changed as a file,
    assert after[plan_book.name + ".bak"] == before[plan_book.name]   # the original kept
    assert after[c.KPI_WORKBOOK] == before[c.KPI_WORKBOOK]      # the KPI one through Excel


def test_start_next_period_and_adopt_keep_a_copy_under_autosave(kpi_book, plan_book,
                                                              tmp_path):
    from helpers import council_plan

    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    excel = Excel()
    kpi = OpenBook(excel, kpi_book, autosave=True)
    plan = OpenBook(excel, plan_book, autosave=True)
    macros.start_next_period(kpi)
    (kpi_copy,), (plan_copy,) = kpi.copies, plan.copies
    assert kpi_copy.parent == tmp_path and kpi_copy.name.startswith("template_kpi before "
                                                                    "lfi-xl ")
    assert plan_copy.name.startswith("dsg_plan before lfi-xl ")
    assert f"AutoSave is on, so a copy from before was kept: {kpi_copy}; {plan_copy}." in \
        excel.said[0]

    council = OpenBook(excel, council_plan(tmp_path / "council.xlsx"), autosave=True)
    macros.adopt_workbook(council)
    (copy,) = council.copies
    assert copy.name.startswith("council before lfi-xl ")
    assert f"AutoSave is on, so a copy from before was kept: {copy}." in excel.said[1]


@pytest.mark.parametrize("control", sorted(macros.BUTTONS))
def test_no_button_writes_an_open_workbook_behind_excel(both_open, tmp_path, control):
    """Every button, on the KPI workbook and on the plan workbook, both open: whatever
    it does or refuses, neither file changes, and no lock or backup is left."""
    for book in (both_open.kpi, both_open.plan):
        try:
            macros.BUTTONS[control](book)
        except UnusableInput:   # said in a message box by button(): a refusal
            pass
    after = digests(tmp_path)
    assert {name: after[name] for name in both_open.before} == both_open.before
    assert not [name for name in after if name.endswith(".bak") or name.startswith(".~lfi")]


def test_dfe_return_from_two_open_workbooks(both_open, tmp_path):
    written = macros.build_dfe_return(both_open.kpi)
    assert [path.name for path in written] == [
        "LFI_DfE_return_2023-24_Q3_DRAFT.docx", "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx",
        "LFI_DfE_DSG_plan_2023-24_Q3_DRAFT.xlsx", "manifest.json"]
    assert {path.parent for path in written} == {tmp_path}
    manifest = json.loads(written[-1].read_text())
    assert [(s["file"], s["sha256"]) for s in manifest["sources"]] == [
        (c.KPI_WORKBOOK, both_open.before[c.KPI_WORKBOOK]),
        (c.PLAN_WORKBOOK, both_open.before[c.PLAN_WORKBOOK])]


def test_dfe_return_refuses_an_open_plan_with_changes_not_saved(both_open, tmp_path):
    both_open.plan.api.Saved = False
    with pytest.raises(UnusableInput, match=r"^Save dsg_plan.xlsx first"):
        macros.build_dfe_return(both_open.kpi)
    assert digests(tmp_path) == both_open.before


def test_dfe_return_of_onedrive_workbooks_copies_them_through_excel(kpi_book, plan_book,
                                                                    tmp_path, monkeypatch):
    """xlwings' ``fullname`` raises for these names (test_onedrive.py): Excel writes a copy
    of each into the local folder, and the return is made from the copies."""
    monkeypatch.setattr(macros.Path, "home", classmethod(lambda cls: tmp_path))
    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    excel = Excel()
    kpi = OpenBook(excel, kpi_book, f"{URL}/{c.KPI_WORKBOOK}", URL, autosave=True,
                   saved=False)
    plan = OpenBook(excel, plan_book, f"{URL}/{c.PLAN_WORKBOOK}", URL, autosave=True)
    written = macros.build_dfe_return(kpi)
    local = tmp_path / "lfi-xl"
    assert {path.parent for path in written} == {local}
    (kpi_copy,), (plan_copy,) = kpi.copies, plan.copies
    assert kpi_copy.parent == plan_copy.parent == local
    assert kpi_copy.name.startswith("template_kpi as sent ")
    manifest = json.loads(written[-1].read_text())
    assert [s["file"] for s in manifest["sources"]] == [kpi_copy.name, plan_copy.name]


def test_extract_refuses_to_overwrite_last_times_extract_open_in_excel(both_open, tmp_path):
    last = tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx"
    last.write_bytes(b"last time's")
    owner(last)
    before = digests(tmp_path)
    with pytest.raises(UnusableInput, match="LFI_Schools_Forum_2023-24_Q3.xlsx is open in "
                                            "Excel, here or on another PC"):
        macros.build_forum_extract(both_open.kpi)
    assert digests(tmp_path) == before


def test_extract_says_when_no_pdf_was_made(both_open, tmp_path):
    """The JSON engine cannot open a file, as Excel can fail to: the message says so."""
    target = macros.build_forum_extract(both_open.kpi)
    message = both_open.excel.said[-1]
    assert message.startswith(f"Schools Forum extract written: {target}.")
    assert "No PDF was made: Excel could not open the extract (" in message
    assert f"Open {target} and save it as PDF (File > Export)." in message
    assert not target.with_suffix(".pdf").exists()
