"""The Schools Forum paper as it prints (LibreOffice renders it, poppler reads it back):
type a Forum member can read on every A4 page, each table's headings over their figures,
and nothing on the page or in the file that is not what a reader should see.

The cycle is the README's: the shipped workbooks refreshed from the plan's forecast,
recalculated, validated and frozen, the Forum's list with an average cost and a
percentage added (the previous report not frozen: its longest heading), then extracted.
"""

import re
import shutil
import statistics
from pathlib import Path

import openpyxl
import pytest
from helpers import edit, pdf_words

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main
from lfi_xl.core.shown import displayed

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
PAPER = "LFI_Schools_Forum_2023-24_Q3"
#: Added to the Forum's list: an average cost (£, n beside it) and a percentage.
ADDED = (15, 43)


@pytest.fixture(scope="module")
def paper(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cycle")
    kpi, plan = (Path(shutil.copy(SHIPPED / name, folder / name))
                 for name in (c.KPI_WORKBOOK, c.PLAN_WORKBOOK))
    forum = ", ".join(map(str, (*c.FORUM_DEFAULT_REFS, *ADDED)))
    edit(kpi, c.SETTINGS, {WorkbookValues(kpi).area(c.setting_name("ForumKPIs")).cell(0, 0):
                           forum})
    assert main(["refresh", "--kpi", str(kpi), "--plan", str(plan)]) == 0
    assert main(["recalc", str(kpi), str(plan)]) == 0
    assert main(["validate", str(kpi), str(plan)]) == 0
    assert main(["freeze", "--kpi", str(kpi), "--period", "2023-24 Q3", "--by",
                 "Finance officer"]) == 0
    assert main(["extract", "--kpi", str(kpi), "-o", str(folder / "out"), "--pdf"]) == 0
    return folder / "out" / f"{PAPER}.pdf"




def page_text(words: list[dict]) -> str:
    return " ".join(word["text"] for word in words)


def lines(words: list[dict]) -> list[list[dict]]:
    """The page's words by line (the same baseline), each line left to right."""
    rows: dict[float, list[dict]] = {}
    for word in words:
        rows.setdefault(round(word["yMax"]), []).append(word)
    return [sorted(row, key=lambda w: w["xMin"]) for _, row in sorted(rows.items())]


def page_titled(all_pages, title: str) -> list[dict]:
    found = [words for words in all_pages if title in page_text(words)]
    assert found, title
    return found[0]


def is_figure(text: str) -> bool:
    return re.fullmatch(r"[+-]?£?[\d,]+(\.\d+)?%?", text) is not None


def assert_aligned(header: list[dict], rows: list[list[dict]], tolerance: float = 1.5):
    """Each heading's right edge over its column's figures' right edges."""
    assert rows
    for row in rows:
        assert len(row) == len(header), [w["text"] for w in row]
        for heading, figure in zip(header, row, strict=True):
            assert abs(heading["xMax"] - figure["xMax"]) <= tolerance, (
                heading["text"], figure["text"], heading["xMax"], figure["xMax"])


def test_every_page_prints_type_that_can_be_read(paper):
    heights = []
    for number, words in enumerate(pdf_words(paper), start=1):
        median = statistics.median(w["yMax"] - w["yMin"] for w in words)
        heights.append(median)
        assert median >= 10, (number, median, page_text(words)[:80])
    assert len(heights) >= 7
    # the footnotes, the smallest type of the tables' pages, 9 pt or more as printed: a
    # word's box is 1.2-1.3 times its type in the fonts LibreOffice prints with
    all_pages = pdf_words(paper)
    for title, note in (("Schools Forum KPIs: 2023-24 Q3", "RAG:"),
                        ("DSG plan: plan and latest forecast", "Reconciliation:")):
        line = next(line for line in lines(page_titled(all_pages, title))
                    if line[0]["text"] == note)
        assert min(w["yMax"] - w["yMin"] for w in line) >= 9 * 1.25, (title, note)


def test_referral_headings_sit_over_their_figures(paper):
    words = page_titled(pdf_words(paper), "EHCP referral requests by report, by who made them")
    table = [line for line in lines(words) if line[0]["text"] == "2023-24"
             and sum(is_figure(w["text"]) for w in line) == 3]
    assert len(table) == 3   # 2023-24 Q1, Q2 and Q3
    heading = next(line for line in lines(words) if line[0]["text"] == "Report")
    last_words = [w for w in heading if w["text"] in ("Schools", "Parents", "professionals")]
    assert_aligned(last_words, [[w for w in line if is_figure(w["text"])] for line in table])


def test_kpi_and_plan_headings_sit_over_their_figures(paper):
    all_pages = pdf_words(paper)
    kpis = lines(page_titled(all_pages, "Schools Forum KPIs: 2023-24 Q3"))
    change = next(w for line in kpis for w in line if w["text"] == "Change")
    for line in kpis:
        if line[-1]["text"] in ("report", "2023/24") and line[-2]["text"] in (
                "previous", "plan") and line[-3]["text"] in "RAG":
            figure = line[-4]   # the change, before the RAG and what it is rated against
            assert abs(figure["xMax"] - change["xMax"]) <= 1.5, (figure, change)
    plan = lines(page_titled(all_pages, "DSG plan: plan and latest forecast"))
    years = next(line for line in plan if line[0]["text"] == "Plan")[-7:]
    assert [w["text"] for w in years] == ["2022/23", "2023/24", "2024/25", "2025/26",
                                          "2026/27", "2027/28", "2028/29"]
    rows = [line[-7:] for line in plan if line[0]["text"] in ("Total", "DfE", "Council")]
    assert len(rows) == 8
    assert_aligned(years, rows)


def test_the_page_says_what_a_reader_should_read(paper):
    text = [page_text(words) for words in pdf_words(paper)]
    whole = "\n".join(text)
    assert not re.search(r"\d\.\d{9,}", whole)   # no float's digits
    # a number that labels something, never a float's "1.0"
    assert not re.search(r"\b(Condition|KPI|KPIs|snapshot|line|ref|Q)\s?\d+\.0\b", whole)
    assert not re.search(r"\b(None|nan|NaN|float|int|str|Decimal|numpy)\b", whole)
    assert "£-" not in whole
    # KPI 11 (+surplus/-deficit) and KPI 16 (+deficit/-surplus) said as the deficit they are
    assert "KPI 11 HNB surplus / deficit: deficit of £34.149m" in text[0]
    assert "KPI 16 In Year DSG surplus/deficit: deficit of £34.149m" in text[0]
    # a change between two percentages in percentage points: the funding gap, 18.6% -> 25.3%
    kpis = page_titled(pdf_words(paper), "Schools Forum KPIs: 2023-24 Q3")
    gap = next(line for line in lines(kpis) if "Funding" in page_text(line))
    assert "25.3% 18.6% +6.7 pp" in page_text(gap)


def test_the_published_file_holds_what_the_page_shows(paper):
    book = openpyxl.load_workbook(paper.with_suffix(".xlsx"))
    checked = 0
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    assert cell.value == displayed(cell.value, cell.number_format), (
                        sheet.title, cell.coordinate, cell.value, cell.number_format)
                    checked += 1
    assert checked > 100
    kpis = {row[1]: row for row in book["KPIs"].iter_rows(min_row=5, values_only=True)
            if isinstance(row[1], int)}
    assert kpis[19][4:7] == (0.253, 0.186, 6.7)   # the change in percentage points
    assert book["KPIs"]["G" + str(5 + list(kpis).index(19))].number_format.startswith(
        '+0.0" pp"')
    assert isinstance(kpis[15][4], int)            # an average cost, to the pound
