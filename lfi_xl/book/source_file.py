"""The file behind an adapter: where a workbook was read from, and its fingerprint."""

from __future__ import annotations

from pathlib import Path

from lfi_xl.book.snapshots import file_sha256


def workbook_path(source) -> Path | None:
    """The saved file a source reads (a file reader's path, a live book's full name), or
    None for a book never saved (or saved only to the web: ``https://...``)."""
    path = getattr(source, "path", None)
    try:
        path = path or getattr(getattr(source, "book", None), "fullname", None)
    except Exception:  # xlwings cannot map an https:// OneDrive name to a local file
        path = None
    if path and "://" not in str(path) and Path(path).is_file():
        return Path(path)
    return None


def fingerprint(source) -> tuple[str, str]:
    """(file name, SHA-256 of the file as saved), for the paper's record of its sources."""
    path = workbook_path(source)
    if path is None:
        return source.label, "not saved to a file"
    return path.name, file_sha256(path.read_bytes())
