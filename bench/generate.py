"""Benchmark workbooks: the shipped KPI template with N placement rows.

The Placements sheet is written straight as sheet XML (openpyxl would take minutes at a
million rows), its defined names are moved over the N rows, and the calculated KPIs'
cached values are recomputed by the core, so the file is exactly what a user would have
after recalculating in Excel. A second, native workbook holds the same placements with
28 AVERAGEIFS / SUMIFS / COUNTIFS cells: what Excel alone would need to do the same work.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import sys
from pathlib import Path

import numpy as np

from lfi_xl import contract as c
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.book.area import Area, ErrorValue, absolute, parse_area
from lfi_xl.core.cells import serial

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = np.array(c.CATEGORIES, dtype=object)
COSTS = {0: (15_000, 25_000), 1: (50_000, 90_000), 2: (10_000, 18_000), 3: (8_000, 16_000),
         4: (12_000, 22_000), 5: (6_000, 12_000)}


def placements(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    category = rng.choice(len(CATEGORIES), size=n, p=[.42, .22, .15, .09, .07, .05])
    low = np.array([COSTS[k][0] for k in range(6)])[category]
    high = np.array([COSTS[k][1] for k in range(6)])[category]
    start = serial(dt.date(2019, 9, 1)) + rng.integers(0, 1700, size=n)
    end = np.where(rng.random(n) < 0.3, start + rng.integers(180, 1400, size=n), np.nan)
    cost = np.round(rng.uniform(low, high), -1)
    previous = np.where((category == 1) & (rng.random(n) < 0.25),
                        np.round(cost * rng.uniform(1.03, 1.12, size=n), -1), np.nan)
    return {
        "ID": np.array([f"P{i:07d}" for i in range(1, n + 1)], dtype=object),
        "Category": CATEGORIES[category],
        "AgeBand": np.array(c.AGE_BANDS, dtype=object)[(rng.random(n) < 0.2).astype(int)],
        "Location": np.array(c.LOCATIONS, dtype=object)[(rng.random(n) < 0.15).astype(int)],
        "Start": start.astype(float), "End": end, "AnnualCost": cost, "PreviousCost": previous,
    }


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_xml(columns: dict[str, np.ndarray], header: list[str], first_row: int = 1,
              header_row: int | None = None, styles: dict[str, str] | None = None) -> bytes:
    """A worksheet of inline strings and numbers, built as text (fast at a million rows);
    ``styles``: a column letter's cell style (``s``), as the template formats it."""
    letters = [chr(65 + k) for k in range(len(columns))]
    style = {letter: f' s="{s}"' for letter, s in (styles or {}).items()}
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="',
             wx.MAIN, '"><sheetData>']
    if header_row is not None:
        cells = "".join(f'<c r="{letters[k]}{header_row}" t="inlineStr"><is><t>{_esc(h)}</t>'
                        f"</is></c>" for k, h in enumerate(header))
        parts.append(f'<row r="{header_row}">{cells}</row>')
    arrays = list(columns.values())
    n = len(arrays[0])
    for i in range(n):
        r = first_row + i
        cells = []
        for k, array in enumerate(arrays):
            value = array[i]
            if isinstance(value, str):
                cells.append(f'<c r="{letters[k]}{r}"{style.get(letters[k], "")} t="inlineStr">'
                             f"<is><t>{_esc(value)}</t></is></c>")
            elif value == value:  # not nan
                cells.append(f'<c r="{letters[k]}{r}"{style.get(letters[k], "")}><v>{value:g}'
                             "</v></c>")
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def _placements_sheet(template: bytes, data: dict[str, np.ndarray], last: int) -> bytes:
    """The template's Placements sheet with its rows below the header replaced by ``data``
    (its title rows, header, columns, validations and table part kept), each cell styled as
    the template's first placement (dates as dates: a reader gets date cells, as from a
    register typed in Excel)."""
    text = template.decode()
    start, end = text.index("<sheetData>"), text.index("</sheetData>")
    head = re.search(r"^.*?<row r=\"4\"[^>]*>.*?</row>", text[start + 11:end], re.S).group(0)
    styles = dict(re.findall(r'<c r="([A-H])5" s="(\d+)"', text[start:end]))
    rows = sheet_xml(data, [], first_row=5, styles=styles).decode()
    rows = rows[rows.index("<sheetData>") + 11:rows.index("</sheetData>")]
    text = text[:start] + "<sheetData>" + head + rows + text[end:]
    text = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{last}"/>', text)
    return re.sub(r'sqref="([A-H])5:([A-H])\d+"', rf'sqref="\g<1>5:\g<2>{last}"', text).encode()


def junk_placements(n: int) -> dict[str, np.ndarray]:
    """``n`` rows a freeze must refuse: an ID, and "TBC" in every other register cell."""
    tbc = np.full(n, "TBC", dtype=object)
    return {"ID": np.array([f"junk {i}" for i in range(1, n + 1)], dtype=object),
            **{key: tbc for key, _ in c.PLACEMENT_COLUMNS[1:]}}


def junk_workbook(n: int, path: Path) -> Path:
    """The shipped KPI template with ``n`` junk placement rows (cached values as shipped)."""
    package = Package.read(ROOT / "workbooks" / c.KPI_WORKBOOK)
    with_placements(package, n, junk_placements(n))
    package.save(path)
    return path


def with_placements(package: Package, n: int, data: dict | None = None) -> None:
    """``package`` (a KPI workbook) with ``n`` generated placements (or ``data``): the
    Placements sheet's rows, its table's range (a register whose names are table columns,
    as the template's are) or else its plain-range defined names, moved over the rows."""
    from lfi_xl.adapters.files.tables_xml import _TABLE_TYPE

    data = placements(n) if data is None else data
    last = 4 + n
    info = next(info for info in wx.sheets(package) if info.name == c.PLACEMENTS)
    package.parts[info.part] = _placements_sheet(package.parts[info.part], data, last)
    folder, name = info.part.rsplit("/", 1)
    rels = package.parts.get(f"{folder}/_rels/{name}.rels")
    for rel in wx.parse(rels).iter(f"{{{wx.PKG_REL}}}Relationship") if rels else ():
        if rel.get("Type", "").endswith(_TABLE_TYPE):
            target = rel.get("Target")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            table = wx.parse(package.parts[part])
            if table.get("name") == c.PLACEMENTS or table.get("displayName") == c.PLACEMENTS:
                table.set("ref", re.sub(r"\d+$", str(last), table.get("ref")))
                package.parts[part] = wx.serialize(table)
    workbook = wx.parse(package.parts["xl/workbook.xml"])
    for defined in workbook.iterfind("m:definedNames/m:definedName", wx.NS):
        area = parse_area(defined.text or "")
        if defined.get("name").startswith("Placements_") and area is not None:
            whole = Area(area.sheet, area.min_row, area.min_col, last, area.max_col)
            defined.text = f"{c.PLACEMENTS}!{absolute(whole.ref)}"
    package.parts["xl/workbook.xml"] = wx.serialize(workbook)


def kpi_workbook(n: int, path: Path, template: Path | None = None) -> Path:
    """The shipped KPI template (or ``template``) with ``n`` placements, cached values
    recomputed."""
    from lfi_xl.adapters.files.reader import WorkbookValues
    from lfi_xl.book.kpi_book import KpiBook
    from lfi_xl.book.kpi_values import calculated_kpis, placement_counts

    package = Package.read(template or ROOT / "workbooks" / c.KPI_WORKBOOK)
    with_placements(package, n)
    draft = path.with_suffix(".draft.xlsx")
    package.save(draft)
    book = KpiBook(WorkbookValues(draft))
    values = {}
    for column, period in enumerate(book.settings.reported()):
        inputs = book.kpi_inputs(period)
        letter = chr(ord("I") + column)
        for ref, value in calculated_kpis(inputs).items():
            values[(c.KPI_SHEET, f"{letter}{7 + ref}")] = (
                ErrorValue(value.code) if hasattr(value, "code") else value)
        for offset, count in enumerate(placement_counts(inputs).values(), start=1):
            values[(c.KPI_SHEET, f"{letter}{55 + offset}")] = count
    wx.set_cached_values(package, values)
    package.save(path)
    draft.unlink()
    return path


NATIVE_CRITERIA = [  # 28 cells: (function, criteria) on columns B category, C age, D location
    ("AVERAGEIFS", 'C:C,"Under 16"'), ("AVERAGEIFS", 'C:C,"16 and over"'),
    ("AVERAGEIFS", 'B:B,"*special school",D:D,"In county",C:C,"Under 16"'),
    ("AVERAGEIFS", 'B:B,"*special school",D:D,"In county",C:C,"16 and over"'),
    ("AVERAGEIFS", 'B:B,"Maintained/academy special school",D:D,"In county"'),
    ("AVERAGEIFS", 'B:B,"Maintained/academy special school",D:D,"Out of county"'),
    ("AVERAGEIFS", 'B:B,"FE college",D:D,"In county"'),
    ("AVERAGEIFS", 'B:B,"Independent special school",D:D,"In county",C:C,"16 and over"'),
    ("AVERAGEIFS", 'B:B,"Alternative provision"'),
    ("AVERAGEIFS", 'B:B,"Independent special school",C:C,"Under 16",E:E,">=45017"'),
]


def native_workbook(n: int, path: Path) -> Path:
    """Placements plus 28 native AVERAGEIFS / SUMIFS / COUNTIFS cells (no LFI_ function)."""
    import zipfile

    data = placements(n)
    header = [title for _, title in c.PLACEMENT_COLUMNS]
    last = n + 1
    formulas = []
    for function, criteria in NATIVE_CRITERIA:
        ranges = criteria.replace("B:B", f"B2:B{last}").replace("C:C", f"C2:C{last}").replace(
            "D:D", f"D2:D{last}").replace("E:E", f"E2:E{last}")
        formulas.append(f"{function}(G2:G{last},{ranges})")
        formulas.append(f"SUMIFS(G2:G{last},{ranges})")
    for _, criteria in NATIVE_CRITERIA[:8]:
        ranges = criteria.replace("B:B", f"B2:B{last}").replace("C:C", f"C2:C{last}").replace(
            "D:D", f"D2:D{last}").replace("E:E", f"E2:E{last}")
        formulas.append(f"COUNTIFS({ranges})")
    kpis = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="'
            + wx.MAIN + '"><sheetData>' + "".join(
                f'<row r="{k}"><c r="A{k}"><f>{_esc(f)}</f></c></row>'
                for k, f in enumerate(formulas, start=1)) + "</sheetData></worksheet>")
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://'
             'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
             'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
             'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sheet.main+xml"/>' + "".join(
                 f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
                 f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 for k in (1, 2)) + "</Types>")
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships '
                         'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         f'<Relationship Id="r1" Type="{rel}/officeDocument" '
                         'Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook '
                         f'xmlns="{wx.MAIN}" xmlns:r="{rel}"><sheets><sheet name="Placements" '
                         'sheetId="1" r:id="r1"/><sheet name="KPIs" sheetId="2" r:id="r2"/>'
                         '</sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?>'
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'relationships"><Relationship Id="r1" Type="{rel}/worksheet" '
                         f'Target="worksheets/sheet1.xml"/><Relationship Id="r2" Type="{rel}/'
                         'worksheet" Target="worksheets/sheet2.xml"/></Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml(data, header, 2, 1))
        archive.writestr("xl/worksheets/sheet2.xml", kpis)
    return path


if __name__ == "__main__":
    size = int(sys.argv[1])
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    kpi_workbook(size, out / f"kpi_{size}.xlsx")
    native_workbook(size, out / f"native_{size}.xlsx")
