"""Where the figures come from: the shipped default or a workbook the user names."""

from __future__ import annotations

from pathlib import Path

from lfi_xl import published
from lfi_xl.core.plan import Plan
from lfi_xl.files.package import check_workbook_file


def load_plan(path: str | Path | None) -> tuple[Plan, str]:
    """The plan in ``path`` (a DSG plan workbook), or the published default without one."""
    if path is None:
        return published.published_plan(), published.SOURCE
    path = Path(path)
    check_workbook_file(path)
    from lfi_xl.files.reader import read_plan

    return read_plan(path), str(path)
