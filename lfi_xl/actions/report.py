"""The Schools Forum extract as a workbook (and PDF): values only, no formulas, no links.

A new file, so openpyxl writes it (nothing of a user's is re-saved). Text from the
source workbooks is always written as text, never as a formula, whatever it starts with.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter as col

from lfi_xl import contract as c
from lfi_xl.actions.extract import ExtractData
from lfi_xl.adapters.files.package import atomic_write
from lfi_xl.core.text import storable_text

_HEADER = PatternFill("solid", fgColor=c.HEADER_FILL)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_RAG_FILL = {"G": "C6EFCE", "A": "FFEB9C", "R": "FFC7CE"}


def _text(cell, value) -> None:
    """Text as text: a leading = + - @ never turns it into a formula; a control character
    (from an authority's name, say) stored as every written text is."""
    if isinstance(value, str):
        value = storable_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _header(ws, row: int, values) -> None:
    ws.row_dimensions[row].height = 32  # room for two lines of wrapped heading
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row, column)
        _text(cell, value)
        cell.fill, cell.font = _HEADER, _HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _fit(ws, title_rows: str, landscape: bool = True, pages_tall: int = 0) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows


def _cover(wb: Workbook, data: ExtractData) -> None:
    ws = wb.active
    ws.title = "Cover"
    rows = [
        (f"{data.la_name}", None),
        ("Local First Inclusion: Schools Forum KPI extract", None),
        (None, None),
        ("Report period", data.period),
        ("Status", data.status.upper() if not data.frozen else data.status),
        ("Produced", data.generated.strftime("%d %B %Y %H:%M")),
        (None, None),
        ("Sources", None),
    ]
    rows += [(f"{role}: {name}", f"SHA-256 {sha}") for role, name, sha in data.sources]
    rows += [(None, None), ("Frozen snapshots used", None)]
    rows += [(period, f"SHA-256 {sha}") for period, sha in data.snapshot_hashes] or [
        ("none: every figure is provisional", None)]
    if data.chain_head:   # what `lfi-xl verify FILE --head HASH` checks the workbook against
        rows += [("Audit chain head", data.chain_head)]
    for number, (label, value) in enumerate(rows, start=1):
        _text(ws.cell(number, 1), label)
        _text(ws.cell(number, 2), value)
    ws["A1"].font, ws["A2"].font = Font(bold=True, size=16), Font(bold=True, size=13)
    for number, (label, _) in enumerate(rows, start=1):
        if label in ("Sources", "Frozen snapshots used", "Report period", "Status",
                     "Audit chain head"):
            ws.cell(number, 1).font = Font(bold=True)
    if not data.frozen:
        ws["B5"].font = Font(bold=True, color="C00000")
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 48, 80
    _fit(ws, "1:2", landscape=False)


def _number_format(unit: str) -> str:
    return c.UNIT_FORMATS.get(unit, "General")


def _kpis(wb: Workbook, data: ExtractData) -> None:
    ws = wb.create_sheet("KPIs")
    _text(ws["A1"], f"Schools Forum KPIs: {data.period} ({data.status})")
    ws["A1"].font = Font(bold=True, size=13)
    header = ("SF line", "Master ref", "Measure", "Unit", data.period,
              f"Previous ({data.previous_period})", "Change", "RAG", "RAG against")
    _header(ws, 3, header)
    for number, line in enumerate(data.kpis, start=4):
        values = (line.forum_line, line.ref, line.measure, line.unit, line.current,
                  line.previous, line.change, line.rag, line.basis)
        for column, value in enumerate(values, start=1):
            _text(ws.cell(number, column), value)
        for column in (5, 6, 7):
            ws.cell(number, column).number_format = _number_format(line.unit)
            ws.cell(number, column).alignment = Alignment(horizontal="right")
        if line.rag in _RAG_FILL:
            ws.cell(number, 8).fill = PatternFill("solid", fgColor=_RAG_FILL[line.rag])
        ws.cell(number, 8).alignment = Alignment(horizontal="center")
    end = 3 + len(data.kpis)
    for offset, note in enumerate(data.footnotes, start=2):
        _text(ws.cell(end + offset, 1), note)
        ws.cell(end + offset, 1).font = Font(italic=True, size=9)
    for column, width in zip("ABCDEFGHI", (8, 10, 58, 7, 13, 16, 12, 6, 14), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A4"
    _fit(ws, "3:3")


def _plan(wb: Workbook, data: ExtractData) -> None:
    ws = wb.create_sheet("DSG plan")
    _text(ws["A1"], "DSG plan: plan and latest forecast (£m)")
    ws["A1"].font = Font(bold=True, size=13)
    row = 3
    anchors = {}
    sections = [("Plan (as agreed)", data.plan)]
    if data.forecast:
        sections.append(("Latest forecast", data.forecast))
    else:
        _text(ws["A2"], "The plan workbook keeps no separate forecast: the plan alone is shown.")
    for title, section in sections:
        _header(ws, row, (title, *data.years))
        anchors[title] = row
        for label, values in section.items():
            row += 1
            _text(ws.cell(row, 1), label)
            for k, value in enumerate(values):
                cell = ws.cell(row, 2 + k, round(value, 6))
                cell.number_format = c.FORMAT_MILLIONS
            if label.startswith("Cumulative") or label.startswith("In-year"):
                for k in range(len(values) + 1):
                    ws.cell(row, 1 + k).font = Font(bold=True)
        row += 2
    ws.column_dimensions["A"].width = 48
    for k in range(len(data.years)):
        ws.column_dimensions[col(2 + k)].width = 11
    _fit(ws, "3:3", pages_tall=1)  # the tables and their chart on one page

    chart = LineChart()
    chart.title = "Cumulative balance after Safety Valve funding (£m)"
    chart.y_axis.title, chart.x_axis.title = "£m (+deficit)", "Financial year"
    chart.y_axis.number_format = "0"
    chart.height, chart.width = 8, 18
    offset = list(data.plan).index("Cumulative balance after Safety Valve funding") + 1
    for title, anchor in anchors.items():
        values = Reference(ws, min_col=2, max_col=1 + len(data.years), min_row=anchor + offset)
        chart.series.append(Series(values, title=title))
        chart.series[-1].smooth = False  # a balance moves year to year: no curves
    chart.set_categories(Reference(ws, min_col=2, max_col=1 + len(data.years),
                                   min_row=anchors["Plan (as agreed)"]))
    ws.add_chart(chart, f"A{row + 1}")


def _referrals(wb: Workbook, data: ExtractData) -> None:
    ws = wb.create_sheet("EHCP referrals")
    _text(ws["A1"], "EHCP referral rates by report (number of requests)")
    ws["A1"].font = Font(bold=True, size=13)
    _header(ws, 3, ("Report", *data.referrals))
    for number, period in enumerate(data.referral_periods, start=4):
        _text(ws.cell(number, 1), period)
        for k, values in enumerate(data.referrals.values()):
            cell = ws.cell(number, 2 + k)
            _text(cell, values[number - 4])
            cell.number_format = c.FORMAT_COUNT
            cell.alignment = Alignment(horizontal="right")
    last = 3 + len(data.referral_periods)
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title = "EHCP referral rates by report"
    chart.y_axis.title = "Requests"
    chart.height, chart.width = 8, 18
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(data.referrals), min_row=3,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=4, max_row=last))
    ws.add_chart(chart, f"A{last + 2}")
    ws.column_dimensions["A"].width = 14
    for k in range(len(data.referrals)):
        ws.column_dimensions[col(2 + k)].width = 24
    _fit(ws, "3:3", pages_tall=1)


def write_extract(data: ExtractData, path: Path) -> Path:
    """Write the extract workbook to ``path`` (atomically)."""
    wb = Workbook()
    _cover(wb, data)
    _kpis(wb, data)
    _plan(wb, data)
    _referrals(wb, data)
    wb.properties.creator = "lfi-xl"
    wb.properties.title = f"Local First Inclusion: Schools Forum KPI extract, {data.period}"
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write(Path(path), buffer.getvalue())
    return Path(path)


def extract_name(data: ExtractData) -> str:
    return f"LFI_Schools_Forum_{data.period.replace(' ', '_')}.xlsx"
