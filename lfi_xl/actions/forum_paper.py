"""The Schools Forum extract as a workbook (and PDF): values only, no formulas, no links.

A new file, so openpyxl writes it (nothing of a user's is re-saved). Text from the
source workbooks is always written as text, never as a formula, whatever it starts with.

The pages, in the order a Forum member reads them: the headline answers (is the deficit
on track, the money received, the Red KPIs, the period's status), the KPIs, what drives
the gap between forecast and plan, the plan itself, the referral series, and last where
every figure came from (files, hashes, snapshots, corrections).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter as col

from lfi_xl import contract as c
from lfi_xl.actions.extract import CHARTED_BALANCE, ExtractData
from lfi_xl.adapters.files.package import EXCEL_CALC_ID, atomic_write
from lfi_xl.core.text import storable_all, storable_text
from lfi_xl.core.values import stored_number

_HEADER = PatternFill("solid", fgColor=c.HEADER_FILL)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_RAG_FILL = {"G": "C6EFCE", "A": "FFEB9C", "R": "FFC7CE"}
_WARNING_FONT = Font(bold=True, color="C00000")
ILLUSTRATIVE_BANNER = ("ILLUSTRATIVE DATA: made-up figures for the template, not a "
                       "council's own")
EDITED_BANNER = "FIGURES EDITED AFTER FREEZING"
#: Rows above each page's own content: its title, then its banner (a blank row between).
FIRST_ROW = 4


def _text(cell, value) -> None:
    """Text as text: a leading = + - @ never turns it into a formula; a control character
    (from an authority's name, say) stored as every written text is."""
    if isinstance(value, str):
        value = storable_text(value)
    cell.value = stored_number(value) if isinstance(value, float) else value
    if isinstance(value, str):
        cell.data_type = "s"


def _header(ws, row: int, values) -> None:
    ws.row_dimensions[row].height = 32  # room for two lines of wrapped heading
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row, column)
        _text(cell, value)
        cell.fill, cell.font = _HEADER, _HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _fit(ws, title_rows: str, pages_tall: int = 0) -> None:
    """A4 landscape, one page wide, the title and heading rows repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows


def _page(wb: Workbook, data: ExtractData, title: str, sheet: str | None = None):
    """A sheet with its title and the marks every page carries: illustrative data, figures
    edited after freezing, provisional figures (in its first rows and its page header)."""
    ws = wb.active if sheet is None else wb.create_sheet(sheet)
    _text(ws["A1"], title)
    ws["A1"].font = Font(bold=True, size=13)
    marks = []
    if data.illustrative:
        marks.append(ILLUSTRATIVE_BANNER)
    if data.edited:
        marks.append(f"{EDITED_BANNER}: {', '.join(data.edited[:6])}"
                     f"{', ...' if len(data.edited) > 6 else ''} differ from the snapshot; "
                     "the frozen figures are shown")
    if not data.frozen:
        marks.append("PROVISIONAL - NOT FROZEN")
    if marks:
        _text(ws["A2"], " / ".join(marks))
        ws["A2"].font = _WARNING_FONT
    ws.oddHeader.center.text = " / ".join(m.split(":")[0] for m in marks).replace("&", "&&")
    ws.oddHeader.center.color = "C00000"
    ws.oddFooter.left.text = f"{data.la_name}: Schools Forum KPI extract, {data.period}"
    ws.oddFooter.right.text = "Page &P of &N"
    return ws


#: Characters across the first page: what A4 landscape holds at full size.
SUMMARY_WIDTH = 100


def _paragraph(ws, row: int, text: str, font: Font | None = None,
               width: int = SUMMARY_WIDTH) -> None:
    """Text wrapped in column A, its row tall enough for every line when printed."""
    _text(ws.cell(row, 1), text)
    ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    if font is not None:
        ws.cell(row, 1).font = font
    ws.row_dimensions[row].height = 15 * (1 + len(text) // int(width * 1.1))


def shown(value, unit: str) -> str:
    """A figure as its column shows it (the unit's number format), for a sentence."""
    if not isinstance(value, int | float):
        return str(value)
    return {"£m": f"£{value:,.3f}m", "£": f"£{value:,.0f}", "%": f"{value:.1%}",
            "count": f"{value:,.0f}", "ratio": f"{value:.2f}"}.get(unit, f"{value:,}")


def programme(data: ExtractData) -> str:
    """The programme's name as Settings give it (the DfE return's title uses it too)."""
    return data.programme or str(c.SETTING_DEFAULTS["ProgrammeName"])


def _summary(wb: Workbook, data: ExtractData) -> None:
    ws = _page(wb, data, f"{data.la_name}: {programme(data)}, Schools Forum report "
               f"{data.period}")
    ws.title = "Summary"
    _text(ws.cell(FIRST_ROW, 1), "Is the deficit on track against the agreed plan?")
    ws.cell(FIRST_ROW, 1).font = Font(bold=True, size=12)
    row = FIRST_ROW
    for sentence in data.headlines:
        row += 1
        strong = sentence.startswith(("Not on track", "On track")) or " rated Red" in sentence
        _paragraph(ws, row, sentence, Font(bold=True) if strong else None)
        if sentence.endswith("(listed below)."):
            for line in (line for line in data.kpis if line.rag == "R"):
                row += 1
                _paragraph(ws, row, f"    KPI {line.ref} {line.measure}: "
                           f"{shown(line.current, line.unit)} (against the {line.basis})")
    ws.column_dimensions["A"].width = SUMMARY_WIDTH
    _fit(ws, "1:3", pages_tall=1)


def _number_format(unit: str) -> str:
    return c.UNIT_FORMATS.get(unit, "General")


def _kpis(wb: Workbook, data: ExtractData) -> None:
    ws = _page(wb, data, f"Schools Forum KPIs: {data.period} ({data.status})", "KPIs")
    header = ("SF line", "Master ref", "Measure", "Unit", data.period,
              f"Previous ({data.previous_period}"
              + ("" if data.previous_frozen else ", provisional - not frozen") + ")",
              "Change", "RAG", "RAG against")
    _header(ws, FIRST_ROW, header)
    for number, line in enumerate(data.kpis, start=FIRST_ROW + 1):
        measure = line.measure if line.n is None else f"{line.measure} (n = {line.n})"
        values = (line.forum_line, line.ref, measure, line.unit, line.current,
                  line.previous, line.change, line.rag, line.basis)
        for column, value in enumerate(values, start=1):
            _text(ws.cell(number, column), value)
        for column in (5, 6, 7):
            ws.cell(number, column).number_format = _number_format(line.unit)
            ws.cell(number, column).alignment = Alignment(horizontal="right")
        if line.rag in _RAG_FILL:
            ws.cell(number, 8).fill = PatternFill("solid", fgColor=_RAG_FILL[line.rag])
        ws.cell(number, 8).alignment = Alignment(horizontal="center")
    end = FIRST_ROW + len(data.kpis)
    for offset, note in enumerate(data.footnotes, start=2):
        _text(ws.cell(end + offset, 1), note)
        ws.cell(end + offset, 1).font = Font(italic=True, size=9)
    for letter, width in zip("ABCDEFGHI", (8, 10, 58, 7, 13, 16, 12, 6, 14), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{FIRST_ROW + 1}"
    _fit(ws, f"1:{FIRST_ROW}")


def _variance(wb: Workbook, data: ExtractData) -> None:
    ws = _page(wb, data, f"What drives the gap: the plan lines whose forecast for "
               f"{data.variance_year} differs most from the plan (£m)", "Variance")
    _header(ws, FIRST_ROW, ("Plan line", "Plan", "Latest forecast", "Forecast less plan"))
    for row, (label, planned, latest) in enumerate(data.variance, start=FIRST_ROW + 1):
        _text(ws.cell(row, 1), label)
        for column, value in ((2, planned), (3, latest), (4, latest - planned)):
            _text(ws.cell(row, column), value)
            ws.cell(row, column).number_format = c.FORMAT_MILLIONS
    last = FIRST_ROW + len(data.variance)
    _text(ws.cell(last + 2, 1), "Expenditure above plan, or income below it, adds to the "
          "deficit: a positive difference is worse.")
    ws.cell(last + 2, 1).font = Font(italic=True, size=9)
    chart = BarChart()
    chart.type, chart.title = "bar", f"Forecast less plan, {data.variance_year} (£m)"
    chart.legend = None
    chart.height, chart.width = 8, 24
    chart.add_data(Reference(ws, min_col=4, min_row=FIRST_ROW, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_ROW + 1, max_row=last))
    chart.y_axis.number_format = "0.0"
    ws.add_chart(chart, f"A{last + 4}")
    ws.column_dimensions["A"].width = 70
    for letter in "BCD":
        ws.column_dimensions[letter].width = 16
    _fit(ws, f"1:{FIRST_ROW}", pages_tall=1)


def _plan(wb: Workbook, data: ExtractData) -> None:
    ws = _page(wb, data, "DSG plan: plan and latest forecast (£m)", "DSG plan")
    row = FIRST_ROW
    anchors = {}
    sections = [("Plan (as agreed)", data.plan)]
    if data.forecast:
        sections.append(("Latest forecast", data.forecast))
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
    notes = [data.rounding] + ([] if data.forecast else [
        "The plan workbook keeps no separate forecast: the plan alone is shown."])
    for note in filter(None, notes):
        _text(ws.cell(row - 1, 1), note)
        ws.cell(row - 1, 1).font = Font(italic=True, size=9)
        row += 1
    ws.column_dimensions["A"].width = 58  # the longest row label, unclipped
    for k in range(len(data.years)):
        ws.column_dimensions[col(2 + k)].width = 11
    _fit(ws, f"1:{FIRST_ROW}", pages_tall=1)  # the tables and their chart on one page

    chart = LineChart()
    charted = CHARTED_BALANCE[data.safety_valve]
    chart.title = f"{charted} (£m)"
    chart.y_axis.title, chart.x_axis.title = "£m (+deficit)", "Financial year"
    chart.y_axis.number_format = "0"
    chart.height, chart.width = 8, 18
    offset = list(data.plan).index(charted) + 1
    for title, anchor in anchors.items():
        values = Reference(ws, min_col=2, max_col=1 + len(data.years), min_row=anchor + offset)
        chart.series.append(Series(values, title=title))
        chart.series[-1].smooth = False  # a balance moves year to year: no curves
    chart.set_categories(Reference(ws, min_col=2, max_col=1 + len(data.years),
                                   min_row=anchors["Plan (as agreed)"]))
    ws.add_chart(chart, f"A{row + 1}")


def short_labels(measures: list[str]) -> list[str]:
    """Series names without the words they all start with, for a legend that can be read:
    "EHCP referral rates from schools", "... from parents" -> "Schools", "Parents"."""
    words = [measure.split() for measure in measures]
    common = len(os.path.commonprefix(words)) if len(measures) > 1 else 0
    common = min(common, min(len(w) for w in words) - 1) if words else 0
    return [" ".join(w[common:])[:1].upper() + " ".join(w[common:])[1:] for w in words]


def _referrals(wb: Workbook, data: ExtractData) -> None:
    names = short_labels(list(data.referrals))
    ws = _page(wb, data, "EHCP referral requests by report, by who made them",
               "EHCP referrals")
    _header(ws, FIRST_ROW, ("Report", *names))
    for number, period in enumerate(data.referral_periods, start=FIRST_ROW + 1):
        _text(ws.cell(number, 1), period)
        for k, values in enumerate(data.referrals.values()):
            cell = ws.cell(number, 2 + k)
            _text(cell, values[number - FIRST_ROW - 1])
            cell.number_format = c.FORMAT_COUNT
            cell.alignment = Alignment(horizontal="right")
    last = FIRST_ROW + len(data.referral_periods)
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title = "EHCP referral requests by report"
    chart.y_axis.title = "Requests"
    chart.height, chart.width = 8, 18
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(data.referrals), min_row=FIRST_ROW,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_ROW + 1, max_row=last))
    ws.add_chart(chart, f"A{last + 2}")
    ws.column_dimensions["A"].width = 14
    for k in range(len(data.referrals)):
        ws.column_dimensions[col(2 + k)].width = 24
    _fit(ws, f"1:{FIRST_ROW}", pages_tall=1)


def _about(wb: Workbook, data: ExtractData) -> None:
    ws = _page(wb, data, "Where the figures come from", "About this paper")
    rows = [
        ("Report period", data.period),
        ("Status", data.status),
        ("Produced", data.generated.strftime("%d %B %Y %H:%M")),
        (None, None),
        ("Sources", None),
    ]
    rows += [(f"{role}: {name}", f"SHA-256 {sha}") for role, name, sha in data.sources]
    rows += [(None, None), ("Frozen snapshots used", None)]
    rows += [(period, f"SHA-256 {sha}") for period, sha in data.snapshot_hashes] or [
        ("none: every figure is provisional", None)]
    if data.chain_head:
        rows += [("Audit chain head", data.chain_head)]
    rows += [(None, None), ("Corrections", None)]
    rows += [(line, None) for line in data.corrections] or [
        ("none: no snapshot of these periods has been superseded", None)]
    if data.edited:
        rows += [(f"{EDITED_BANNER}: {', '.join(data.edited)}", None)]
    for number, (label, value) in enumerate(rows, start=FIRST_ROW):
        _text(ws.cell(number, 1), label)
        _text(ws.cell(number, 2), value)
        if label in ("Sources", "Frozen snapshots used", "Corrections", "Status"):
            ws.cell(number, 1).font = Font(bold=True)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 60, 80
    _fit(ws, "1:3")


def write_extract(data: ExtractData, path: Path) -> Path:
    """Write the extract workbook to ``path`` (atomically)."""
    data = storable_all(data)   # a control character in a name or a file name: shown
    wb = Workbook()
    _summary(wb, data)
    _kpis(wb, data)
    if data.variance:
        _variance(wb, data)
    _plan(wb, data)
    if data.demand is not None:  # the EHCP forecast's fans (lfi_xl.actions.demand)
        from lfi_xl.actions.demand import write_demand_page

        write_demand_page(_page(wb, data, "Demand: EHC plans forecast and the balance",
                                "Demand"), data.demand, FIRST_ROW)
    _referrals(wb, data)
    _about(wb, data)
    wb.properties.creator = "lfi-xl"
    wb.properties.title = f"{programme(data)}: Schools Forum KPI extract, {data.period}"
    wb.calculation.calcId = EXCEL_CALC_ID  # not openpyxl's Excel 2007 id
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write(Path(path), buffer.getvalue())
    return Path(path)


def extract_name(data: ExtractData) -> str:
    return f"LFI_Schools_Forum_{data.period.replace(' ', '_')}.xlsx"
