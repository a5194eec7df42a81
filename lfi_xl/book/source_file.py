"""The file behind a workbook: where it was read from, and its fingerprint."""

from __future__ import annotations

from pathlib import Path

from lfi_xl.book.snapshots import file_sha256
from lfi_xl.book.workbook import Workbook


def workbook_path(workbook: Workbook) -> Path | None:
    """The saved file a workbook reads (a file reader's path, a live book's full name),
    or None for a book never saved (or saved only to the web: ``https://...``)."""
    path = workbook.path
    if path and "://" not in str(path) and Path(path).is_file():
        return Path(path)
    return None


def fingerprint(workbook: Workbook) -> tuple[str, str]:
    """(file name, SHA-256 of the file as saved), for the paper's record of its sources."""
    path = workbook_path(workbook)
    if path is None:
        return workbook.label, "not saved to a file"
    return path.name, file_sha256(path.read_bytes())
