"""Adopt this workbook: write the contract's names, found by labels
(:class:`~lfi_xl.book.discover.Discovering`), and a Settings sheet into a council's own
workbook, so that from then on it works like the shipped template, also in Excel formulas
(``=LFI_CUMBAL(...,Plan_in_year)``).
"""

from __future__ import annotations

from lfi_xl import contract as c
from lfi_xl.book.discover import Discovering
from lfi_xl.book.tables import free_sheet_name
from lfi_xl.errors import UnusableInput


def adopt(book) -> list[str]:
    """Write the contract's names and a Settings sheet into ``book`` (a FileWorkbook or a
    LiveWorkbook); returns the discovery report. Refuses, listing the labels it looked
    for, when neither a plan nor a KPI table can be found."""
    found = Discovering(book)
    names = {name: area for name, area in found.found_names.items()
             if book.area(name) is None}
    if not names and book.area(c.PLAN_TABLE) is None and book.area(c.KPI_TABLE) is None:
        wanted = ", ".join(f"'{label}'" for label in (found.plan.missing if found.plan else []))
        raise UnusableInput(
            f"{book.label}: found neither a DSG plan table (a row of years such as 2022/23 "
            "with the plan's labels: 'High Needs Block DSG Income', 'In-year +deficit/"
            "-surplus', 'Cumulative Balance without contribution', 'DfE Contribution'"
            + (f"; missing here: {wanted}" if wanted else "") + ") nor a KPI table (a 'Ref' "
            "column beside the KPI measures with report columns such as 2023-24 Q1)")
    for name, area in names.items():
        book.set_name(name, area.sheet, area.ref)
    if book.area(c.setting_name("LAName")) is None:
        sheet = free_sheet_name(book, c.SETTINGS)
        rows = [[label, default, meaning] for _, label, default, meaning in c.SETTING_ROWS]
        book.replace_sheet(sheet, ["Setting", "Value", "What it means"], rows,
                           widths=[28, 30, 90])
        for offset, (key, *_rest) in enumerate(c.SETTING_ROWS, start=2):
            book.set_name(c.setting_name(key), sheet, f"B{offset}")
    return [*found.report(), f"Defined names written: {len(names)}"
            + (f" ({', '.join(sorted(names)[:6])}{', ...' if len(names) > 6 else ''})"
               if names else "")]
