"""Excel tables (ListObjects) and their structured references: ``Placements[Start date]``.

The registers are Excel tables, so rows typed or pasted below them join the table in
Excel, and their defined names refer to table columns (``Placements_Start`` is
``=Placements[Start date]``). Every reader turns such a reference into the cells it covers
now (:func:`resolve`), and the formula engine gets formulas with plain ranges instead
(:func:`translate`). Nothing here reads a file: the adapters hand in the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lfi_xl.book.area import Area
from lfi_xl.errors import quote_sheet


@dataclass(frozen=True)
class ExcelTable:
    name: str
    sheet: str
    area: Area                  # the whole table: header, data and totals rows
    columns: tuple[str, ...]
    header_rows: int = 1
    totals_rows: int = 0

    @property
    def data(self) -> tuple[int, int]:
        """First and last data row (an empty table: first = last + 1)."""
        return self.area.min_row + self.header_rows, self.area.max_row - self.totals_rows


def by_name(tables) -> dict[str, ExcelTable]:
    """Tables keyed by upper-case name (Excel's names ignore case)."""
    return {table.name.upper(): table for table in tables}


_SPECIALS = ("#ALL", "#DATA", "#HEADERS", "#TOTALS", "#THIS ROW")
_ITEM = re.compile(r"\[((?:[^\[\]']|'.)*)\]")


def _items(spec: str) -> list[tuple[str, str]]:
    """``[#Data],[Cost]:[End]`` -> [("", "#Data"), (",", "Cost"), (":", "End")]; a bare
    ``Cost`` or ``#All`` is one item."""
    spec = spec.strip()
    if not spec.startswith("["):
        return [("", spec)]
    items, position, separator = [], 0, ""
    while position < len(spec):
        match = _ITEM.match(spec, position)
        if match is None:
            raise ValueError(spec)
        items.append((separator, match.group(1)))
        position = match.end()
        rest = spec[position:].lstrip()
        position = len(spec) - len(rest)
        if rest:
            separator, position = rest[0], position + 1
            if separator not in ",:":
                raise ValueError(spec)
            position = len(spec) - len(spec[position:].lstrip())
    return items


def _unescape(name: str) -> str:
    return re.sub(r"'(.)", r"\1", name).strip()


def area_of(table: ExcelTable, spec: str, row: int | None = None) -> Area | None:
    """The cells ``table[spec]`` covers (``row``: the formula's row, for [#This Row])."""
    try:
        items = _items(spec)
    except ValueError:
        return None
    specials = [text.strip().upper() for _, text in items if text.strip().startswith("#")]
    names = [_unescape(text) for _, text in items if not text.strip().startswith("#")]
    if any(s not in _SPECIALS for s in specials) or len(names) > 2:
        return None
    first, last = table.data
    rows = set(specials) or {"#DATA"}
    if "#THIS ROW" in rows:
        if row is None:
            return None
        first = last = row
    elif rows == {"#ALL"}:
        first, last = table.area.min_row, table.area.max_row
    elif rows == {"#HEADERS"}:
        first = last = table.area.min_row
    elif rows == {"#TOTALS"}:
        first = last = table.area.max_row
    elif rows == {"#HEADERS", "#DATA"}:
        first = table.area.min_row
    elif rows == {"#DATA", "#TOTALS"}:
        last = table.area.max_row
    elif rows != {"#DATA"}:
        return None
    lower = [column.upper() for column in table.columns]
    try:
        columns = [lower.index(name.upper()) for name in names] or [0, len(lower) - 1]
    except ValueError:
        return None
    start = table.area.min_col
    return Area(table.sheet, first, start + min(columns), last, start + max(columns))


_REFERENCE = re.compile(r"^\s*=?\s*([A-Za-z_\\][\w.]*)\[(.*)\]\s*$")


def resolve(text: str, tables: dict[str, ExcelTable]) -> Area | None:
    """``Placements[Start date]`` (a defined name's text) -> its cells; None otherwise."""
    match = _REFERENCE.match(text or "")
    if match is None or match.group(1).upper() not in tables:
        return None
    return area_of(tables[match.group(1).upper()], match.group(2))


def _closing(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start``."""
    depth, position = 0, start
    while position < len(text):
        char = text[position]
        if char == "'":
            position += 2
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        position += 1
        if depth == 0:
            return position
    return -1


_NAME_BEFORE = re.compile(r"([A-Za-z_\\][\w.]*)$")


def translate(formula: str, tables: dict[str, ExcelTable], sheet: str = "",
              row: int | None = None) -> str:
    """A formula with each structured reference to a known table replaced by the plain
    range it covers (absolute; the cell's own row for [#This Row]), strings left alone."""
    if "[" not in formula or not tables:
        return formula
    out: list[str] = []
    position, in_string = 0, False
    while position < len(formula):
        char = formula[position]
        if char == '"':
            in_string = not in_string
        if char == "[" and not in_string:
            before = _NAME_BEFORE.search("".join(out))
            end = _closing(formula, position)
            if before and before.group(1).upper() in tables and end > 0:
                area = area_of(tables[before.group(1).upper()], formula[position + 1:end - 1],
                               row)
                if area is not None:
                    done = "".join(out)[: before.start()]
                    ref = "$" + area.ref.replace(":", ":$")
                    ref = re.sub(r"([A-Z])(\d)", r"\1$\2", ref)
                    prefix = "" if area.sheet == sheet else f"{quote_sheet(area.sheet)}!"
                    out = [done, prefix + ref]
                    position = end
                    continue
        out.append(char)
        position += 1
    return "".join(out)
