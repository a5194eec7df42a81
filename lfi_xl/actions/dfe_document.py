"""The DfE monitoring return as a Word document, laid out as the DfE template (Schools
Forum, 17 May 2023, appendix 1), written with python-docx.

It is handed a :class:`lfi_xl.actions.dfe_return.ReturnData` (gathered and checked there).
Text from the workbook is only ever text: paragraphs (blank lines) and bullets (lines
starting with -, * or •) are kept; control characters that XML cannot hold are dropped,
and text that looks like a formula stays the characters it is (Word evaluates nothing).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from lfi_xl.adapters.files.package import atomic_write

#: Shown where a draft has no answer yet (a final return refuses instead).
NO_ANSWER = "[No answer yet]"
NOT_YET = "–"   # a report of the year still to come

_RAG_FILL = {"G": "C6EFCE", "A": "FFEB9C", "R": "FFC7CE"}
_HEADER_FILL = "D9E2F3"
# Everything below U+0020 but tab and newline, and the non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x08\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_BULLET = re.compile(r"^\s*[-*•–]\s+")
_DRAFT = "DRAFT: not frozen, not for submission to the DfE"


def inert(text) -> str:
    """Workbook text made safe for the document: line breaks as newlines (Excel's
    Alt+Enter, Word's vertical tab, CR), other control characters dropped."""
    text = "" if text is None else str(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    return _UNSAFE.sub("", text)


def _paragraphs(container, text: str, empty: str = NO_ANSWER) -> None:
    """An answer as paragraphs and bullets, in a table cell or the document's body."""
    lines = [line.rstrip() for line in inert(text).split("\n") if line.strip()] or [empty]
    for line in lines:
        bullet = _BULLET.match(line)
        last = container.paragraphs[-1] if container.paragraphs else None
        if hasattr(container, "_tc") and last is not None and not last.text:
            paragraph = last          # a new cell's own empty paragraph
        else:
            paragraph = container.add_paragraph()
        if bullet:
            paragraph.style = "List Bullet"
        paragraph.add_run(line[bullet.end():] if bullet else line.strip())


def _shade(cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _bold(cell, text: str, fill: str | None = _HEADER_FILL) -> None:
    cell.paragraphs[0].add_run(inert(text)).bold = True
    if fill:
        _shade(cell, fill)


def _table(container: Any, rows: int, widths: Sequence[float]) -> Any:
    """A bordered table with its column widths set before any merge (Word and
    LibreOffice read the grid; rows added later take the grid's widths)."""
    table = container.add_table(rows=rows, cols=len(widths))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def _keep_together(table) -> None:
    """One condition's table on one page: no row split, each row kept with the next."""
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell in row.cells[:1]:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def _money(value) -> str:
    if value is None:
        return "not recorded"
    value = round(value, 3) + 0.0   # no "-0.000"
    return f"{value:,.3f}".replace("-", "−")


def _evidence(cell, data) -> None:
    """The figures behind question 1, after the council's own answer."""
    cell.add_paragraph().add_run(
        f"Evidence from the figures, {data.year} (£m):").bold = True
    for title, rows in (((" ", "Plan", data.forecast_label, "Difference"), data.balances),
                        (("Safety Valve funding", "Agreed", "Received", "Difference"),
                         data.funding)):
        table = _table(cell, 1, (4.1, 2.0, 2.7, 2.6))
        for column, heading in enumerate(title):
            _bold(table.rows[0].cells[column], heading)
        for row in rows:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(row.label)
            for column, figure in enumerate((row.first, row.second, row.difference),
                                            start=1):
                paragraph = cells[column].paragraphs[0]
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                paragraph.add_run(_money(figure))
        cell.add_paragraph()
    for note in data.notes:
        cell.add_paragraph().add_run(note).font.size = Pt(8)


def _heading(document, text: str, level: int = 2) -> None:
    document.add_heading(inert(text), level=level)


def write_document(data, path: Path) -> Path:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    header = section.header.paragraphs[0]
    header.text = (f"{data.la_name}: {data.programme} – DfE monitoring return {data.period}")
    if data.draft:
        run = section.header.add_paragraph().add_run(_DRAFT)
        run.bold, run.font.color.rgb, run.font.size = True, RGBColor(0xC0, 0, 0), Pt(14)
    footer = section.footer.paragraphs[0]
    footer.text = (f"Built by lfi-xl from {data.sources[0][1]} and {data.sources[1][1]}; "
                   + (f"snapshot {data.snapshot} of {data.period} (SHA-256 "
                      f"{data.snapshot_sha256[:16]}…)" if data.frozen
                      else "not frozen: provisional figures"))
    footer.runs[0].font.size = Pt(7)

    kind = {3: "Tri-annual", 4: "Quarterly"}.get(data.reports_per_year, "")
    title = document.add_heading(level=1)
    title.add_run(f"Safety Valve {kind} Monitoring Report – within {inert(data.la_name)}’s "
                  f"{inert(data.programme)} Programme* – {data.period} "
                  f"({data.due:%B %Y})".replace("  ", " "))
    if data.draft:
        draft = document.add_paragraph().add_run(_DRAFT)
        draft.bold, draft.font.color.rgb = True, RGBColor(0xC0, 0, 0)

    table = _table(document, 1, (5.2, 12.2))
    _bold(table.rows[0].cells[0], "DfE report requirement elements")
    _bold(table.rows[0].cells[1], "Executive Summary")
    for heading, keys in (("Content", ("on_track", "conditions", "risks", "setbacks")),
                          ("Additional Information", ("forum_papers", "staff_changes",
                                                      "impact"))):
        cells = table.add_row().cells
        merged = cells[0].merge(cells[1])
        run = merged.paragraphs[0].add_run(heading)
        run.bold, run.underline = True, True
        answers = [data.answers[key] for key in keys if key in data.answers]
        if heading == "Additional Information":
            answers += data.extra_answers
        for answer in answers:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(inert(answer.question))
            _paragraphs(cells[1], answer.text)
            if answer.key == "on_track":
                _evidence(cells[1], data)
    document.add_paragraph(
        f"*{inert(data.programme)} is {inert(data.la_name)}’s name for its Safety Valve "
        "programme.").runs[0].font.size = Pt(8)

    _heading(document, "Safety Valve Monitoring template")
    table = _table(document, 2, (5.2, 12.2))
    _bold(table.rows[0].cells[0], "Date Submitted")
    dates = [f"{data.due:%-d %B %Y} (final submitted to DfE)",
             *(f"{when:%-d %B %Y} ({inert(name)})" for name, when in data.sign_off_steps)]
    _paragraphs(table.rows[0].cells[1], "Target dates: " + "\n".join(dates))
    _bold(table.rows[1].cells[0], "Signed off by "
          + " / ".join(role for role, _ in data.signed_off_by))
    _paragraphs(table.rows[1].cells[1], "\n".join(
        f"{role}: {name or '________________  Date: ________'}"
        for role, name in data.signed_off_by))

    _heading(document, "Summary:")
    count = len(data.year_periods)
    rag_width = 1.6
    text_width = 17.4 - rag_width * count
    for condition in data.conditions:
        table = _table(document, 4, (text_width, *([rag_width] * count)))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _bold(table.rows[0].cells[0], "Agreement Condition")
        merged = table.rows[0].cells[1].merge(table.rows[0].cells[count])
        _bold(merged, "Assurance Level")
        text = table.rows[1].cells[0].merge(table.rows[2].cells[0])
        text.paragraphs[0].add_run(f"Condition {condition.number}: ").bold = True
        text.paragraphs[0].add_run(inert(condition.text))
        for column, period in enumerate(data.year_periods, start=1):
            table.rows[1].cells[column].paragraphs[0].add_run(period.split()[-1]).bold = True
            rag = condition.rags.get(period, "")
            cell = table.rows[2].cells[column]
            cell.paragraphs[0].add_run(rag or NOT_YET).bold = bool(rag)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            table.rows[1].cells[column].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if rag:
                _shade(cell, _RAG_FILL[rag])
        progress = table.rows[3].cells[0].merge(table.rows[3].cells[count])
        progress.paragraphs[0].add_run("Progress Update:").bold = True
        _paragraphs(progress, condition.progress)
        _keep_together(table)
        document.add_paragraph()

    for key, title in (("emerging_risks", "Emerging risks:"),
                       ("support", "Any support required:")):
        _heading(document, title)
        answer = data.answers.get(key)
        _paragraphs(document, answer.text if answer else "", "None reported.")

    _heading(document, "Summary of Appendices")
    appendix = data.answers.get("appendices")
    rows = [line.split("\t", 1) if "\t" in line else ["", line]
            for line in inert(appendix.text if appendix else "").split("\n") if line.strip()]
    rows += [["", f"DfE {data.programme} KPIs spreadsheet, {data.period} (values)"],
             ["", f"DfE {data.programme} DSG management plan, {data.period} (values)"]]
    table = _table(document, 0, (3.2, 14.2))
    for number, (name, title) in enumerate(rows, start=1):
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(name.strip() or f"Appendix {number}")
        cells[1].paragraphs[0].add_run(title.strip())

    document.core_properties.author = "lfi-xl"
    document.core_properties.title = (f"{data.programme}: DfE monitoring return "
                                      f"{data.period}" + (" (DRAFT)" if data.draft else ""))
    buffer = io.BytesIO()
    document.save(buffer)
    atomic_write(Path(path), buffer.getvalue())
    return Path(path)
