"""Print a workbook to PDF as it was saved, without Excel.

LibreOffice renders every sheet with the workbook's own page set-up (print areas, A4
landscape, scale, repeated headings and row labels: the built workbooks print at 85% to
100%, never shrunk to fit, a wide sheet continuing on the pages to its right). It cannot
run the LFI_ functions, so it renders a copy holding only the cached values; the workbook
itself is never changed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from lfi_xl.adapters import libreoffice
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package, check_workbook_file


def print_to_pdf(path: Path, folder: Path) -> Path:
    """``folder``/NAME.pdf of the workbook at ``path``; raises RuntimeError when
    LibreOffice is missing or fails."""
    path, folder = Path(path), Path(folder)
    check_workbook_file(path)
    package = Package.read(path)
    wx.strip_formulas(package)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".~lfi-print-", dir=folder) as scratch:
        copy = Path(scratch) / path.name
        copy.write_bytes(package.to_bytes())
        return libreoffice.convert(copy, "pdf", folder)
