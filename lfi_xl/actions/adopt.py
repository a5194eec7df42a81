"""Adopt this workbook: write the contract's names, found by labels
(:class:`~lfi_xl.book.discover.Discovering`), and a Settings sheet into a council's own
workbook, so that from then on it works like the shipped template, also in Excel formulas
(``=LFI_CUMBAL(...,Plan_in_year)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.book.discover import Discovering
from lfi_xl.book.tables import free_sheet_name
from lfi_xl.book.workbook import EditableWorkbook
from lfi_xl.errors import UnusableInput


@dataclass(frozen=True)
class Adopted:
    """What adopting a workbook did: what discovery found where, and the names written."""

    found: tuple[str, ...]        # the discovery report, line by line
    names: tuple[str, ...]        # the defined names written
    settings_added: bool

    def __str__(self) -> str:
        names = (f" ({', '.join(self.names[:6])}{', ...' if len(self.names) > 6 else ''})"
                 if self.names else "")
        return "\n".join([*self.found, f"Defined names written: {len(self.names)}{names}",
                          "Adopted: lfi-xl's names" + (" and a Settings sheet" if
                                                        self.settings_added else "")
                          + " were added; nothing you typed was changed."])


def adopt(workbook: EditableWorkbook) -> Adopted:
    """Write the contract's names and a Settings sheet into ``workbook``; returns what
    was found and written. Refuses, listing the labels it looked for, when neither a plan
    nor a KPI table can be found."""
    own = workbook.workbook if isinstance(workbook, Discovering) else workbook  # its names
    found = Discovering(own)
    names = {name: area for name, area in found.found_names.items() if own.area(name) is None}
    if not names and own.area(c.PLAN_TABLE) is None and own.area(c.KPI_TABLE) is None:
        wanted = ", ".join(f"'{label}'" for label in (found.plan.missing if found.plan else []))
        raise UnusableInput(
            f"{workbook.label}: found neither a DSG plan table (a row of years such as 2022/23 "
            "with the plan's labels: 'High Needs Block DSG Income', 'In-year +deficit/"
            "-surplus', 'Cumulative Balance without contribution', 'DfE Contribution'"
            + (f"; missing here: {wanted}" if wanted else "") + ") nor a KPI table (a 'Ref' "
            "column beside the KPI measures with report columns such as 2023-24 Q1)")
    for name, area in names.items():
        workbook.set_name(name, area.sheet, area.ref)
    settings = own.area(c.setting_name("LAName")) is None
    if settings:
        sheet = free_sheet_name(workbook, c.SETTINGS)
        rows = [[label, default, meaning] for _, label, default, meaning in c.SETTING_ROWS]
        workbook.replace_sheet(sheet, ["Setting", "Value", "What it means"], rows,
                               widths=[28, 30, 90])
        for offset, (key, *_rest) in enumerate(c.SETTING_ROWS, start=2):
            workbook.set_name(c.setting_name(key), sheet, f"B{offset}")
    return Adopted(tuple(found.report()), tuple(sorted(names)), settings)
