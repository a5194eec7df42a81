"""What the tests build and look at, in one place (no test module imports another): cell
edits that keep everything else, xlwings' JSON book (the headless engine xlwings Server
uses) built from a workbook file, councils' own plan and KPI workbooks laid out as the
published tables, what a sheet's protection locks, and a report's figures typed in."""

import datetime as dt
import os
from pathlib import Path

import openpyxl

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import column_index, split_cell
from lfi_xl.data import published


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


# ------------------------------------------------------- councils' own workbooks
VARIANTS = {
    "in_year": "In year deficit/(surplus) ¹",
    "total_income": "TOTAL INCOME (£m)",
    "hnb_dsg_income": "High Needs Block DSG income*",
    "cumulative_before_sv": "Cumulative balance without contribution",
    "la_contribution": "Council contribution",
    "special_schools": "Maintained/Academy/Free special schools",
}


def plan_sheet(ws, top: int, left: int, year_style: str, labels=None, subtotal=True):
    """The published plan table at (top, left), years written as ``year_style``."""
    labels = labels or {}
    ws.cell(top - 3, left, "Norfolk DSG management plan, January 2023 (£m)")
    for k, year in enumerate(published.YEARS):
        start = int(year[:4])
        text = {"slash": year, "dash": f"{start}-{(start + 1) % 100:02d}",
                "fy": f"FY{year}", "short": f"{start % 100:02d}/{(start + 1) % 100:02d}"}[
            year_style]
        ws.cell(top, left + 1 + k, text)
    row = top + 1
    for line_id, label, _role, _kind, values in published.LINES:
        if line_id == "special_schools":
            row += 1  # an extra blank row inside the table
        ws.cell(row, left, labels.get(line_id, label))
        for k, value in enumerate(values):
            ws.cell(row, left + 1 + k, value)
        if subtotal and line_id == "independent_special":
            row += 1
            ws.cell(row, left, "Subtotal special provision")
            for k in range(7):
                ws.cell(row, left + 1 + k, 1.0)
        row += 1
    ws.cell(row + 2, left, "Note: prepared before the 2022-23 outturn.")


def kpi_sheet(ws, top: int, left: int, forum: bool):
    ws.cell(top - 2, left, "LFI Programme KPI's")
    ws.cell(top, left, "Ref")
    ws.cell(top, left + 1, None)
    ws.cell(top, left + 2, "Prog")
    kpis = sorted(c.KPIS, key=lambda k: k.forum_line) if forum else c.KPIS
    group = None
    row = top + 1
    for kpi in kpis:
        if not forum and kpi.group != group:
            ws.cell(row, left + 1, kpi.group)  # group headings between the rows
            group, row = kpi.group, row + 1
        ws.cell(row, left, kpi.forum_line if forum else kpi.ref)
        ws.cell(row, left + 1, kpi.forum_measure if forum else kpi.measure)
        ws.cell(row, left + 2, "Yes")
        row += 1


SHIPPED_KPIS = Path(__file__).resolve().parents[1] / "workbooks" / "template_kpi.xlsx"


def council_plan(path):
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active["A1"] = "Anyshire County Council: High Needs Block, our plan"
    wb.active["B3"] = "=1+1"
    plan_sheet(wb.create_sheet("DSG Plan 2023"), 9, 3, "dash", VARIANTS)
    wb.save(path)
    return path


def council_kpis(path):
    """The seed's KPI list (group headings, master refs, measures) with three reports."""
    shipped = WorkbookValues(SHIPPED_KPIS)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "LFI KPIs"
    kpi_sheet(ws, 6, 2, forum=False)
    periods = ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3"]
    for k, period in enumerate(periods):
        ws.cell(6, 6 + k, period)
    for row in ws.iter_rows(min_row=7):
        ref = row[1].value
        if isinstance(ref, int):
            values = shipped.values(shipped.require(c.kpi_name(ref)))[0]
            for k in range(3):
                ws.cell(row[0].row, 6 + k, values[k])
    ws["H60"] = "Notes: figures are illustrative."
    wb.save(path)
    return path


# ------------------------------------------------------- sheet protection
def locks(path: Path, sheet: str, extra: tuple[str, ...] = ()) -> dict[str, bool]:
    """Whether each written cell (and each address of ``extra``) is locked, as Excel
    decides it: the cell's style, else its row's, else its column's, else the default."""
    package = Package.read(path)
    part = next(info.part for info in wx.sheets(package) if info.name == sheet)
    root = wx.parse(package.parts[part])
    xfs = wx.parse(package.parts["xl/styles.xml"]).find("m:cellXfs", wx.NS)

    def locked(style: int) -> bool:
        protection = xfs[style].find("m:protection", wx.NS)
        return protection is None or protection.get("locked") not in ("0", "false")

    cells, rows = {}, {}
    for row in root.iterfind("m:sheetData/m:row", wx.NS):
        if row.get("customFormat") == "1":
            rows[int(row.get("r"))] = int(row.get("s", "0"))
        for cell in row.iterfind("m:c", wx.NS):
            cells[cell.get("r")] = cell.get("s")
    columns = [(int(c.get("min")), int(c.get("max")), int(c.get("style", "0")))
               for c in root.iterfind("m:cols/m:col", wx.NS)]
    out = {}
    for address in [*cells, *extra]:
        letters, number = split_cell(address)
        column = column_index(letters)
        style = cells.get(address)
        if style is None:
            style = rows.get(number, next((s for a, b, s in columns if a <= column <= b), 0))
        out[address] = locked(int(style))
    return out


def protected(path: Path, sheet: str) -> bool:
    package = Package.read(path)
    part = next(info.part for info in wx.sheets(package) if info.name == sheet)
    protection = wx.parse(package.parts[part]).find("m:sheetProtection", wx.NS)
    return protection is not None and protection.get("sheet") == "1"


def enter_period(path, label, value_base):
    """Type a period's inputs: every typed KPI, each condition's RAG, the narrative."""
    from lfi_xl.book.kpi_book import KpiBook
    from lfi_xl.core.periods import parse_period

    book = KpiBook(WorkbookValues(path))
    column = book.column_of(parse_period(label))
    typed = [ref for ref in book.kpis if ref not in c.CALCULATED_KPIS or not book.computes_kpis]
    figures = {ref: value_base + ref for ref in typed}
    if 11 in figures and 16 in figures:   # KPI 11 (surplus positive) is -KPI 16
        figures[11] = -figures[16]
    kpis = {book.kpis[ref].area.cell(0, column): figures[ref] for ref in typed}
    edit(path, book.kpis[typed[0]].area.sheet, kpis)
    for rows, answer in ((book.conditions, "G"), (book.narrative, f"{label}: on track")):
        if rows:
            edit(path, rows[0].area.sheet, {row.area.cell(0, column): answer for row in rows})
    return kpis


def type_council_plan(plan: Path, leave_out: str | None = None) -> None:
    """A council's plan and latest forecast typed in a new plan workbook: every input line,
    every year (£m, a little less each year), an opening balance; ``leave_out``: one
    forecast line left for later."""
    book = WorkbookValues(plan)
    figures = {"hnb_dsg_income": -80.0, "schools_block_transfer": -1.0,
               "special_schools": 40.0, "resource_bases": 8.0, "independent_special": 20.0,
               "alternative_provision": 3.0, "post16_fe": 6.0, "inclusion_fund": 10.0,
               "support_services": 2.5, "other_central": 1.5, "dfe_contribution": -4.0,
               "la_contribution": -1.0}
    for prefix in (c.PLAN_PREFIX, c.FORECAST_PREFIX):
        cells, sheet = {}, None
        for line_id, value in figures.items():
            area = book.area(c.plan_line_name(line_id, prefix))
            if area is None or (prefix == c.FORECAST_PREFIX and line_id == leave_out):
                continue
            sheet = area.sheet
            for k in range(area.shape[1]):
                cells[area.cell(0, k)] = round(value * (1 - 0.02 * k), 3)
        cells[book.require(f"{prefix}_OpeningBalance").ref] = 12.0
        edit(plan, sheet, cells)


def pdf_words(pdf: Path) -> list[list[dict]]:
    """Each page's words with their boxes (points, from the top left), as poppler's
    ``pdftotext -bbox`` reads them: what a person sees printed, measured."""
    import subprocess

    from lxml import etree

    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          check=True).stdout
    root = etree.fromstring(html, etree.HTMLParser(encoding="utf-8"))
    return [[{"text": word.text or "", **{key: float(word.get(key.lower())) for key in
                                          ("xMin", "yMin", "xMax", "yMax")}}
             for word in page.iter("word")] for page in root.iter("page")]


#: The add-in's VBA run by LibreOffice Basic (VBA mode), through the system Python's uno.
LO_MODULES = Path(__file__).resolve().parents[1] / "lfi_xl" / "build" / "addin" / "lo_modules.py"


def run_in_libreoffice(workbook: Path, *args: str) -> dict:
    """``lo_modules.py`` on ``workbook``: its VBA modules as LibreOffice reads them, or
    (``--call Module.Function --args JSON``) a function's results."""
    import json
    import subprocess

    result = subprocess.run(["/usr/bin/python3", str(LO_MODULES), str(workbook), *args],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def run_basic(addin: Path, tmp_path: Path, modules: tuple[str, ...], call: str,
              calls: list) -> list:
    """``call`` (``Module.Function``) run by LibreOffice Basic on each of ``calls``, in a
    project of the add-in's document modules and ``modules`` alone (LibreOffice Basic has
    no #If, which xlwings' modules use)."""
    import json

    from lfi_xl.build.addin import modules as m
    from lfi_xl.build.addin.build import VBA_PART
    from lfi_xl.build.addin.vba_project import DOCUMENT, vba_project_bin

    package = Package.read(addin)
    alone = [module for module in m.vba_modules() if module.kind == DOCUMENT
             or module.name in modules]
    package.parts[VBA_PART] = vba_project_bin(alone, m.project_id(alone))
    book = tmp_path / "modules_only.xlam"
    package.save(book, fixed_time=True)
    return run_in_libreoffice(book, "--call", call, "--args", json.dumps(calls))["results"]
