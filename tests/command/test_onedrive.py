"""The ribbon's buttons on workbooks in OneDrive/SharePoint, never saved, or with AutoSave.

Where a workbook is comes from Excel's COM ``FullName``/``Path`` (Microsoft documents both
as the URL for a file opened from OneDrive or SharePoint, and ``Path`` as "" for one never
saved). xlwings' ``Book.fullname`` turns such a URL into a local path with
``fullname_url_to_local_path``, which raises when it cannot (shown below with xlwings'
own function). The buttons run here on xlwings' JSON engine, with the three COM
properties and ``SaveCopyAs`` given as Excel would report them.
"""

import hashlib
import shutil
import types

import pytest
from helpers import edit, json_book
from xlwings.utils import fullname_url_to_local_path

from lfi_xl import contract as c
from lfi_xl import macros
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.errors import UnusableInput

URL = "https://contoso-my.sharepoint.com/personal/ann_contoso_gov_uk/Documents/LFI"


class ExcelBook:
    """A JSON-engine book with what Excel's COM Workbook says of its place."""

    def __init__(self, book, full_name: str, path: str, autosave: bool, saved_copy=None):
        self._book = book
        self.copies = []

        def save_copy_as(target):  # Excel writes the workbook as it is now
            shutil.copyfile(saved_copy, target)
            self.copies.append(target)

        self.api = types.SimpleNamespace(FullName=full_name, Path=path, AutoSaveOn=autosave,
                                         SaveCopyAs=save_copy_as)

    @property
    def fullname(self):  # what xlwings does for a URL
        return fullname_url_to_local_path(url=self.api.FullName)

    def __getattr__(self, name):
        return getattr(self._book, name)


def test_xlwings_own_fullname_raises_for_a_hyphenated_tenant():
    with pytest.raises(Exception, match="OneDrive"):
        fullname_url_to_local_path(url=f"{URL}/template_kpi.xlsx")


def test_output_folder_is_the_workbooks_a_local_one_for_a_url_and_none_unsaved(tmp_path):
    assert macros.output_folder("C:\\LFI\\k.xlsx", "C:\\LFI", "freeze") == \
        macros.Path("C:\\LFI")
    (tmp_path / "Documents").mkdir()
    folder = macros.output_folder(f"{URL}/k.xlsx", URL, "freeze", home=tmp_path)
    assert folder == tmp_path / "Documents" / "lfi-xl" and folder.is_dir()
    with pytest.raises(UnusableInput, match=r"^Book1 has never been saved: save it first "
                                            r"\(File > Save As\), then freeze again\.$"):
        macros.output_folder("Book1", "", "freeze")


def test_freeze_on_onedrive_with_autosave_keeps_a_copy_and_hashes_it(kpi_book, tmp_path,
                                                                     monkeypatch):
    # A workbook on OneDrive has no folder on this PC: the plan workbook is found where
    # Settings record it in full (never in the Python server's working folder)
    setting = WorkbookValues(kpi_book).require(c.setting_name("PlanWorkbook"))
    edit(kpi_book, setting.sheet, {setting.ref: str(kpi_book.parent / c.PLAN_WORKBOOK)})
    monkeypatch.setattr(macros.Path, "home", classmethod(lambda cls: tmp_path))
    book = ExcelBook(json_book(kpi_book), f"{URL}/template_kpi.xlsx", URL, autosave=True,
                     saved_copy=kpi_book)
    result = macros.freeze_period_snapshot(book, by="tester")
    (copy,) = map(macros.Path, book.copies)
    assert copy.parent == tmp_path / "lfi-xl"
    assert copy.name.startswith("template_kpi before lfi-xl ") and copy.suffix == ".xlsx"
    assert result.source_sha256 == hashlib.sha256(kpi_book.read_bytes()).hexdigest()
    message = [a for a in book.json()["actions"] if a["func"] == "alert"][0]["args"][0]
    assert "AutoSave is on, so a copy from before was kept" in message and str(copy) in message


def test_freeze_and_extract_refuse_a_workbook_never_saved(kpi_book, plan_book):
    book = ExcelBook(json_book(kpi_book), "Book1", "", autosave=False)
    with pytest.raises(UnusableInput, match="never been saved: save it first"):
        macros.freeze_period_snapshot(book, by="tester")
    with pytest.raises(UnusableInput, match="never been saved: save it first"):
        macros.build_forum_extract(book, plan_book)
    assert not [a for a in book.json()["actions"] if a["func"] in ("setValues", "namesAdd")]


def test_extract_of_a_onedrive_workbook_goes_to_the_local_folder(kpi_book, plan_book,
                                                                 tmp_path, monkeypatch):
    monkeypatch.setattr(macros.Path, "home", classmethod(lambda cls: tmp_path))
    book = ExcelBook(json_book(kpi_book), f"{URL}/template_kpi.xlsx", URL, autosave=False)
    target = macros.build_forum_extract(book, plan_book)
    assert target == tmp_path / "lfi-xl" / "LFI_Schools_Forum_2023-24_Q3.xlsx"
    assert target.is_file() and not book.copies
