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
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter as col
from openpyxl.worksheet.page import PageMargins

from lfi_xl import contract as c
from lfi_xl.actions.extract import CHARTED_BALANCE, PLAN_SIGNS, ExtractData
from lfi_xl.adapters.files.package import EXCEL_CALC_ID, atomic_write
from lfi_xl.core.page_layout import line_points, row_points, text_width
from lfi_xl.core.shown import as_shown, displayed
from lfi_xl.core.text import storable_all, storable_text
from lfi_xl.core.values import stored_number

if TYPE_CHECKING:  # the demand page's figures come with pandas: typed only
    from lfi_xl.actions.demand import DemandOutlook

_HEADER = PatternFill("solid", fgColor=c.HEADER_FILL)
_RAG_FILL = {"G": "C6EFCE", "A": "FFEB9C", "R": "FFC7CE"}
ILLUSTRATIVE_BANNER = ("ILLUSTRATIVE DATA: made-up figures for the template, not a "
                       "council's own")
EDITED_BANNER = "FIGURES EDITED AFTER FREEZING"
#: Rows above each page's own content: its title, then its banner (a blank row between).
FIRST_ROW = 4
#: The paper's one typeface (a font without a name is each reader's own default).
FONT = "Calibri"
#: Footnotes' size: smaller than the tables, still 9 pt or more when printed.
NOTE_SIZE = 10
#: A4 landscape margins (inches): the width holds 110 columns' units at full size in the
#: widest font LibreOffice falls back on (about 140 in Calibri).
MARGINS = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.25, footer=0.25)
#: A row left as a little space between parts of a page (points).
GAP_POINTS = 8
#: How a change between two percentages is shown: in percentage points.
POINTS_FORMAT = '+0.0" pp";-0.0" pp";0.0" pp"'


def _font(size: float = 11, bold: bool = False, italic: bool = False,
          color: str | None = None) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic, color=color)


_HEADER_FONT = _font(bold=True, color="FFFFFF")
_WARNING_FONT = _font(bold=True, color="C00000")
_NOTE_FONT = _font(NOTE_SIZE, italic=True)


def _text(cell, value) -> None:
    """Text as text: a leading = + - @ never turns it into a formula; a control character
    (from an authority's name, say) stored as every written text is."""
    if isinstance(value, str):
        value = storable_text(value)
    cell.value = stored_number(value) if isinstance(value, float) else value
    if isinstance(value, str):
        cell.data_type = "s"


def _figure(cell, value, number_format: str, align: str = "right") -> None:
    """A figure with its number format, holding what it shows: rounded to the format's
    decimals (the paper is public: its file says what its page says). Text ("c", "–")
    as text, aligned as the figures are."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = displayed(float(value), number_format)
    _text(cell, value)
    cell.number_format = number_format
    cell.alignment = Alignment(horizontal=align, vertical="top")


class _Page:
    """A sheet of the paper and its columns' widths: a text across the page is merged
    over them and wrapped, each row as tall as its lines (neither Excel nor LibreOffice
    sizes a row to wrapped text in merged cells)."""

    def __init__(self, ws, widths) -> None:
        self.ws, self.widths = ws, tuple(widths)
        for number, width in enumerate(self.widths, start=1):
            ws.column_dimensions[col(number)].width = width

    @property
    def width(self) -> float:
        return float(sum(self.widths))

    def across(self, row: int, text: str, font: Font | None = None) -> None:
        font = font or _font()
        cell = self.ws.cell(row, 1)
        _text(cell, text)
        if len(self.widths) > 1:
            self.ws.merge_cells(start_row=row, start_column=1, end_row=row,
                                end_column=len(self.widths))
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        self.fit_row(row, [(text, self.width, font)])

    def fit_row(self, row: int, texts) -> None:
        """Row ``row`` tall enough for each (text, width, font) wrapped, at least one line."""
        points = max([line_points()] + [row_points(str(text), width, font.sz or 11,
                                                   bool(font.b))
                                        for text, width, font in texts if text])
        self.ws.row_dimensions[row].height = points

    def header(self, row: int, values, aligns) -> None:
        """A table's heading row: each heading aligned as its column's figures are."""
        texts = []
        for number, (value, align) in enumerate(zip(values, aligns, strict=True), start=1):
            cell = self.ws.cell(row, number)
            _text(cell, value)
            cell.fill, cell.font = _HEADER, _HEADER_FONT
            cell.alignment = Alignment(horizontal=align, vertical="bottom", wrap_text=True)
            texts.append((value, self.widths[number - 1], _HEADER_FONT))
        self.fit_row(row, texts)

    def fit(self, title_rows: str, pages_tall: int = 0) -> None:
        """A4 landscape, one page wide (its widths are chosen to need no shrinking; a wider
        table is shrunk to the width, never the type below what the tests hold), the title
        rows repeated on every page; ``pages_tall`` 0: as many pages as it takes."""
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_margins = copy(MARGINS)
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, pages_tall
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = title_rows


#: The narrowest a page's title and banner wrap to (a narrow table gets an empty column).
TITLE_WIDTH = 90


def _page(wb: Workbook, data: ExtractData, title: str, sheet: str | None,
          widths) -> _Page:
    """A sheet with its title and the marks every page carries: illustrative data, figures
    edited after freezing, provisional figures (in its first rows and its page header)."""
    ws = wb.active if sheet is None else wb.create_sheet(sheet)
    if sum(widths) < TITLE_WIDTH:
        widths = (*widths, TITLE_WIDTH - sum(widths))
    page = _Page(ws, widths)
    page.across(1, title, _font(13, bold=True))
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
        page.across(2, " / ".join(marks), _WARNING_FONT)
    ws.row_dimensions[FIRST_ROW - 1].height = GAP_POINTS   # space before the content
    ws.oddHeader.center.text = " / ".join(m.split(":")[0] for m in marks).replace("&", "&&")
    ws.oddHeader.center.color = "C00000"
    ws.oddFooter.left.text = f"{data.la_name}: Schools Forum KPI extract, {data.period}"
    ws.oddFooter.right.text = "Page &P of &N"
    return page


def _chart_title(text: str, size: float = 12) -> Title:
    """A chart's title at ``size`` pt (the applications' default, 18 pt or so, takes a
    small chart's room), bold, above the plot."""
    props = CharacterProperties(sz=int(size * 100), b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props),
                          r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


#: The first page's width (column units): what A4 landscape holds at full size.
SUMMARY_WIDTH = 108


def shown(value, unit: str) -> str:
    """A figure as its column shows it (the unit's number format), for a sentence; a
    negative amount with its minus before the pound sign."""
    if not isinstance(value, int | float):
        return str(value)
    value = displayed(value, _number_format(unit))   # no "-0.000" for what shows as nought
    if unit in ("£m", "£") and value < 0:
        return "-" + shown(-value, unit)
    text = as_shown(value, _number_format(unit))
    return f"£{text}m" if unit == "£m" else text


def said(value, unit: str, sign: str = "") -> str:
    """A KPI figure in words: a balance (``sign`` "+surplus/-deficit" or
    "+deficit/-surplus", the KPI's own convention) as a deficit or a surplus of the
    amount, whichever it is; any other figure as :func:`shown`."""
    words = [word.strip("+- ") for word in sign.split("/")]
    if not isinstance(value, int | float) or sorted(words) != ["deficit", "surplus"]:
        return shown(value, unit)
    if not displayed(value, _number_format(unit)):
        return f"balanced ({shown(0.0, unit)})"
    return f"{words[0] if value > 0 else words[1]} of {shown(abs(value), unit)}"


def points(change: float) -> str:
    """A change between two percentages (fractions: 0.253 - 0.186), in words: percentage
    points, never a percentage."""
    amount = displayed(change * 100, POINTS_FORMAT)
    if not amount:
        return "no change (0.0 percentage points)"
    return f"{'up' if amount > 0 else 'down'} {abs(amount):.1f} percentage points"


def programme(data: ExtractData) -> str:
    """The programme's name as Settings give it (the DfE return's title uses it too)."""
    return data.programme or str(c.SETTING_DEFAULTS["ProgrammeName"])


def _summary(wb: Workbook, data: ExtractData) -> None:
    page = _page(wb, data, f"{data.la_name}: {programme(data)}, Schools Forum report "
                 f"{data.period}", None, (SUMMARY_WIDTH,))
    page.ws.title = "Summary"
    page.across(FIRST_ROW, "Is the deficit on track against the agreed plan?",
                _font(12, bold=True))
    row = FIRST_ROW
    for sentence in data.headlines:
        row += 1
        strong = sentence.startswith(("Not on track", "On track")) or " rated Red" in sentence
        page.across(row, sentence, _font(bold=strong))
        if sentence.endswith("(listed below)."):
            for line in (line for line in data.kpis if line.rag == "R"):
                row += 1
                page.across(row, f"    KPI {line.ref} {line.measure}: "
                            f"{said(line.current, line.unit, c.KPI_BY_REF[line.ref].sign)} "
                            f"(against the {line.basis})")
    page.fit("1:3")


def _number_format(unit: str) -> str:
    return c.UNIT_FORMATS.get(unit, "General")


def change_format(unit: str) -> str:
    """A change's number format: signed; between two percentages, percentage points."""
    if unit == "%":
        return POINTS_FORMAT
    base = _number_format(unit)
    return base if base == "General" else f"+{base};-{base};{base}"


def change_value(change, unit: str):
    """The change as its cell holds it: a change of a percentage in points."""
    return change * 100 if unit == "%" and isinstance(change, int | float) else change


#: The KPI page's columns: their widths and how each heading and figure aligns.
KPI_WIDTHS = (6, 7, 44, 6, 10, 13, 10, 6, 15)
KPI_ALIGNS = ("center", "center", "left", "left", "right", "right", "right", "center", "left")


def _kpis(wb: Workbook, data: ExtractData) -> None:
    page = _page(wb, data, f"Schools Forum KPIs: {data.period} ({data.status})", "KPIs",
                 KPI_WIDTHS)
    ws = page.ws
    header = ("SF line", "Master ref", "Measure", "Unit", data.period,
              data.previous_period
              + ("" if data.previous_frozen else " (provisional - not frozen)"),
              "Change", "RAG", "RAG against")
    page.header(FIRST_ROW, header, KPI_ALIGNS)
    for number, line in enumerate(data.kpis, start=FIRST_ROW + 1):
        measure = line.measure if line.n is None else f"{line.measure} (n = {line.n})"
        for column, value in ((1, line.forum_line), (2, line.ref), (3, measure),
                              (4, line.unit), (8, line.rag), (9, line.basis)):
            _text(ws.cell(number, column), value)
            ws.cell(number, column).alignment = Alignment(
                horizontal=KPI_ALIGNS[column - 1], vertical="top", wrap_text=column == 3)
        for column, figure in ((5, line.current), (6, line.previous)):
            _figure(ws.cell(number, column), figure, _number_format(line.unit))
        _figure(ws.cell(number, 7), change_value(line.change, line.unit),
                change_format(line.unit))
        if line.rag in _RAG_FILL:
            ws.cell(number, 8).fill = PatternFill("solid", fgColor=_RAG_FILL[line.rag])
        page.fit_row(number, [(measure, KPI_WIDTHS[2], _font())])
    end = FIRST_ROW + len(data.kpis)
    for offset, note in enumerate(data.footnotes, start=2):
        page.across(end + offset, note, _NOTE_FONT)
    ws.freeze_panes = f"A{FIRST_ROW + 1}"
    page.fit(f"1:{FIRST_ROW}")


def _variance(wb: Workbook, data: ExtractData) -> None:
    page = _page(wb, data, f"What drives the gap: the plan lines whose forecast for "
                 f"{data.variance_year} differs most from the plan (£m)", "Variance",
                 (60, 13, 13, 13))
    ws = page.ws
    page.header(FIRST_ROW, ("Plan line", "Plan", "Latest forecast", "Forecast less plan"),
                ("left", "right", "right", "right"))
    for row, (label, planned, latest) in enumerate(data.variance, start=FIRST_ROW + 1):
        _text(ws.cell(row, 1), label)
        for column, value in ((2, planned), (3, latest)):
            _figure(ws.cell(row, column), value, c.FORMAT_MILLIONS)
        _figure(ws.cell(row, 4), latest - planned, change_format("£m"))  # signed, as changes
    last = FIRST_ROW + len(data.variance)
    page.across(last + 2, "Expenditure above plan, or income below it, adds to the "
                "deficit: a positive difference is worse.", _NOTE_FONT)
    chart = BarChart()
    chart.type = "bar"
    chart.title = _chart_title(f"Forecast less plan, {data.variance_year} (£m)")
    chart.legend = None
    chart.height, chart.width = 8, 22
    chart.add_data(Reference(ws, min_col=4, min_row=FIRST_ROW, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_ROW + 1, max_row=last))
    chart.y_axis.number_format = "0.0"
    ws.add_chart(chart, f"A{last + 4}")
    page.fit(f"1:{FIRST_ROW}", pages_tall=1)


#: The plan page's columns: the line's label, then one a year.
PLAN_LABEL_WIDTH, YEAR_WIDTH = 46, 10


def _plan(wb: Workbook, data: ExtractData) -> None:
    page = _page(wb, data, "DSG plan: plan and latest forecast (£m)", "DSG plan",
                 (PLAN_LABEL_WIDTH, *[YEAR_WIDTH] * len(data.years)))
    ws = page.ws
    row = FIRST_ROW
    anchors = {}
    sections = [("Plan (as agreed)", data.plan)]
    if data.forecast:
        sections.append(("Latest forecast", data.forecast))
    for title, section in sections:
        page.header(row, (title, *data.years), ("left", *["right"] * len(data.years)))
        anchors[title] = row
        for label, values in section.items():
            row += 1
            strong = label.startswith("Cumulative") or label.startswith("In-year")
            _text(ws.cell(row, 1), label)
            ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
            for k, value in enumerate(values):
                _figure(ws.cell(row, 2 + k), value, c.FORMAT_MILLIONS)
            if strong:
                for k in range(len(values) + 1):
                    ws.cell(row, 1 + k).font = _font(bold=True)
            page.fit_row(row, [(label, PLAN_LABEL_WIDTH, _font(bold=strong))])
        row += 1
        ws.row_dimensions[row].height = GAP_POINTS
        row += 1
    row -= 1    # the notes right under the last table
    notes = [PLAN_SIGNS, data.rounding] + ([] if data.forecast else [
        "The plan workbook keeps no separate forecast: the plan alone is shown."])
    for note in filter(None, notes):
        page.across(row, note, _NOTE_FONT)
        row += 1
    ws.row_dimensions[row].height = GAP_POINTS
    row += 1
    page.fit(f"1:{FIRST_ROW}", pages_tall=1)  # the tables and their chart on one page

    chart = LineChart()
    charted = CHARTED_BALANCE[data.safety_valve]
    chart.title = _chart_title(f"{charted} (£m)")
    chart.y_axis.title, chart.x_axis.title = "£m (+deficit)", "Financial year"
    chart.y_axis.number_format = "0"
    chart.height, chart.width = 5.5, 24  # wide and low: the page's tables above it
    offset = list(data.plan).index(charted) + 1
    for title, anchor in anchors.items():
        values = Reference(ws, min_col=2, max_col=1 + len(data.years), min_row=anchor + offset)
        chart.series.append(Series(values, title=title))
        chart.series[-1].smooth = False  # a balance moves year to year: no curves
    chart.set_categories(Reference(ws, min_col=2, max_col=1 + len(data.years),
                                   min_row=anchors["Plan (as agreed)"]))
    ws.add_chart(chart, f"A{row}")


#: The method of the EHCP forecast, said under its page's figures.
DEMAND_METHOD = (
    "Method and its backtest: the median follows the last three years' growth, shrunk "
    "towards all English LAs'; the bands are the errors this forecast made for every LA "
    "(80% bands covered 76-79% of the 2024 and 2025 counts from January 2023). The demand "
    "lines (direct spend) are re-costed at the plan's unit cost per EHC plan, less the "
    "Mitigations log's savings.")


def _percentile(q: float) -> str:
    return "median" if q == 0.5 else f"{q * 100:.0f}th percentile"


def _demand(wb: Workbook, data: ExtractData, outlook: DemandOutlook) -> None:
    """The EHCP forecast's page: its sentences, the table of the EHCP and balance fans
    (each row's figures as shown), and two line charts."""
    fan = outlook.fan
    page = _page(wb, data, "Demand: EHC plans forecast and the balance", "Demand",
                 (40, *[YEAR_WIDTH] * len(fan.years)))
    ws = page.ws
    row = FIRST_ROW
    for sentence in outlook.sentences(data.safety_valve) + outlook.notes + [DEMAND_METHOD]:
        page.across(row, sentence)
        row += 1
    row += 1
    page.header(row, ("", *fan.years), ("left", *["right"] * len(fan.years)))
    top = row
    rows = [("EHC plans assumed in the plan", fan.planned, c.FORMAT_COUNT)]
    rows += [(f"EHC plans, {_percentile(q)}", fan.ehcps[k], c.FORMAT_COUNT)
             for k, q in enumerate(fan.quantiles)]
    rows += [(f"In-year +deficit/-surplus, {_percentile(q)}", fan.in_year[k],
              c.FORMAT_MILLIONS) for k, q in enumerate(fan.quantiles)]
    balance = "Cumulative after SV" if data.safety_valve else "Cumulative"
    rows += [(f"{balance}, {_percentile(q)}", fan.cumulative[k], c.FORMAT_MILLIONS)
             for k, q in enumerate(fan.quantiles)]
    for label, values, number_format in rows:
        row += 1
        _text(ws.cell(row, 1), label)
        for j, value in enumerate(values, start=2):
            _figure(ws.cell(row, j), float(value), number_format)
    years = Reference(ws, min_col=2, max_col=1 + len(fan.years), min_row=top)
    bands = [_percentile(q).capitalize() for q in fan.quantiles]
    for title, first, names, anchor, unit in (
            ("EHC plans in January", top + 1, ["Assumed in the plan", *bands], f"A{row + 2}",
             "#,##0"),
            (f"{balance} (£m, +deficit)", top + 2 + 2 * len(bands), bands, f"D{row + 2}",
             "0")):
        chart = LineChart()
        chart.title, chart.height, chart.width = _chart_title(title), 6, 12
        chart.y_axis.number_format = unit
        chart.x_axis.tickLblPos = "low"   # the years below the plot, under a negative too
        chart.legend.position = "b"       # the plot the chart's width
        for k, name in enumerate(names):
            values = Reference(ws, min_col=2, max_col=1 + len(fan.years), min_row=first + k)
            chart.series.append(Series(values, title=name))
            chart.series[-1].smooth = False
        chart.set_categories(years)
        ws.add_chart(chart, anchor)
    page.fit(f"1:{FIRST_ROW - 1}", pages_tall=1)


def short_labels(measures: list[str]) -> list[str]:
    """Series names without the words they all start with, for a legend that can be read:
    "EHCP referral rates from schools", "... from parents" -> "Schools", "Parents"."""
    words = [measure.split() for measure in measures]
    common = len(os.path.commonprefix(words)) if len(measures) > 1 else 0
    common = min(common, min(len(w) for w in words) - 1) if words else 0
    return [" ".join(w[common:])[:1].upper() + " ".join(w[common:])[1:] for w in words]


def _referrals(wb: Workbook, data: ExtractData) -> None:
    names = short_labels(list(data.referrals))
    widths = (14, *(max(14, round(text_width(name, bold=True) * 1.1) + 3) for name in names))
    page = _page(wb, data, "EHCP referral requests by report, by who made them",
                 "EHCP referrals", widths)
    ws = page.ws
    page.header(FIRST_ROW, ("Report", *names), ("left", *["right"] * len(names)))
    for number, period in enumerate(data.referral_periods, start=FIRST_ROW + 1):
        _text(ws.cell(number, 1), period)
        for k, values in enumerate(data.referrals.values()):
            _figure(ws.cell(number, 2 + k), values[number - FIRST_ROW - 1], c.FORMAT_COUNT)
    last = FIRST_ROW + len(data.referral_periods)
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title = _chart_title("EHCP referral requests by report")
    chart.y_axis.title = "Requests"
    chart.height, chart.width = 8, 18
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(data.referrals), min_row=FIRST_ROW,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_ROW + 1, max_row=last))
    ws.add_chart(chart, f"A{last + 2}")
    page.fit(f"1:{FIRST_ROW}", pages_tall=1)


#: The last page's columns: what, and its value (a SHA-256 whole on one line).
ABOUT_WIDTHS = (38, 72)


def _about(wb: Workbook, data: ExtractData) -> None:
    page = _page(wb, data, "Where the figures come from", "About this paper", ABOUT_WIDTHS)
    ws = page.ws
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
    headings = ("Sources", "Frozen snapshots used", "Corrections", "Status")
    for number, (label, value) in enumerate(rows, start=FIRST_ROW):
        font = _font(bold=label in headings)
        if label is not None and value is None and len(label) > ABOUT_WIDTHS[0] * 0.8:
            page.across(number, label, font)  # a correction's sentence: the page's width
            continue
        _text(ws.cell(number, 1), label)
        _text(ws.cell(number, 2), value)
        ws.cell(number, 1).font = font
        for column in (1, 2):
            ws.cell(number, column).alignment = Alignment(wrap_text=True, vertical="top")
        page.fit_row(number, [(label, ABOUT_WIDTHS[0], font), (value, ABOUT_WIDTHS[1], _font())])
    page.fit("1:3")


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
        _demand(wb, data, data.demand)
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
