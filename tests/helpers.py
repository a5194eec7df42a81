"""Helpers for tests: cell edits that keep everything else, and xlwings' JSON book (the
headless engine xlwings Server uses) built from a workbook file."""

import datetime as dt
import os
from pathlib import Path


def edit(path: Path, sheet: str, cells: dict) -> None:
    """Type values into cells of a workbook file (formulas in them are replaced), as a
    person would, leaving every other cell's cached value alone."""
    from lfi_xl.adapters.files.writer import FileWorkbook

    book = FileWorkbook(path)
    book.set_cells(sheet, cells)
    book.package.save(path)


def json_book(path: Path):
    """An xlwings Book on the JSON engine, holding the file's values and names."""
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    from lfi_xl.adapters.files.reader import WorkbookValues
    from lfi_xl.core.cells import serial
    book = WorkbookValues(path)
    sheets = []
    for info in book.sheets:
        rows = book.sheet_values(info.name)
        width = max((len(row) for row in rows), default=0)
        values = [[serial(v) if isinstance(v, dt.date | dt.datetime) else v for v in row]
                  + [""] * (width - len(row)) for row in rows]
        sheets.append({"name": info.name, "values": values or [[]], "pictures": [],
                       "tables": []})
    index = {sheet["name"]: i for i, sheet in enumerate(sheets)}
    names = []
    for name in book.names:
        area = book.area(name)  # a name on a table column: the cells Excel gives for it
        if area is not None:
            names.append({"name": name, "sheet_index": index[area.sheet], "address": area.ref,
                          "scope_sheet_name": None, "scope_sheet_index": None,
                          "book_scope": True})
    return xw.Book(json={"client": "Microsoft Office Scripts", "version": xw.__version__,
                         "book": {"name": path.name, "active_sheet_index": 0,
                                  "selection": "A1"},
                         "names": names, "sheets": sheets})
