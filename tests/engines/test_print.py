"""The workbooks print readably on A4: every page of `lfi-xl print`'s PDF, measured.

LibreOffice renders the shipped pair, a blank pair made by `lfi-xl new`, the shipped pair
after a period is started (a column more on the period sheets), and pairs after several
starts: the shipped pair across a year boundary at three reports a year, and again after
Settings' Reports a year changed to 4 (each year's Q4 column made after the programme's
last column, the future ones between), and a blank quarterly pair whose Last programme
year is extended (columns made after the last). Poppler measures the PDFs: on every page
the words stand at least 10 pt tall (median of their boxes) and no text is set below 9 pt
(the type sizes the PDF draws), and no page is blank. Figures' headings stand over them,
a note wider than its page wraps within it, and the period sheets print the reports
started so far, every one of them and no later one, on no more pages than they need. The
Audit sheet freeze adds prints as the built sheets do, its hashes and reasons whole.
"""

import math
import re
import shutil
import statistics
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from helpers import edit, pdf_words
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main
from lfi_xl.core.periods import PeriodError, parse_period

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
#: A word's box is about 1.2-1.3 times its type size: 10 pt is 8 to 8.5 pt type.
MIN_WORD_HEIGHT = 10.0
MIN_TYPE = 9.0


def _settings(books, **values) -> None:
    """Settings typed into each workbook, by key, as a council types them."""
    for book in books:
        read = WorkbookValues(book)
        areas = {key: read.require(c.setting_name(key)) for key in values}
        edit(book, next(iter(areas.values())).sheet,
             {areas[key].ref: value for key, value in values.items()})


def _start(kpi: Path, plan: Path | None, times: int) -> None:
    for _ in range(times):
        assert main(["start-period", "--kpi", str(kpi),
                     *(["--plan", str(plan)] if plan else [])]) == 0


def _frozen(folder: Path) -> None:
    """The shipped pair with the sheet lfi-xl adds itself to a file: Audit (a freeze, and
    a superseding one with its reason). (Validation is written by the ribbon, in Excel:
    tests/command/test_live.py.)"""
    folder.mkdir()
    for name in (c.PLAN_WORKBOOK, c.KPI_WORKBOOK):
        shutil.copy(SHIPPED / name, folder / name)
    for supersede in ([], ["--supersede", "--reason", "KPI 19 retyped after the placements "
                           "register was corrected for three late entries in December"]):
        assert main(["freeze", "--kpi", str(folder / c.KPI_WORKBOOK), "--plan",
                     str(folder / c.PLAN_WORKBOOK), "--period", "2023-24 Q3", "--by",
                     "A. Finance Officer", *supersede]) == 0


#: The pairs started several times: case -> (reports a year, the current period after).
STARTED = {"three": (3, "2025-26 Q1"), "quarterly": (4, "2025-26 Q1"),
           "extended": (4, "2025-26 Q2")}


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Path]:
    """The PDFs, by case and workbook: "shipped/plan", "new/kpi", "started/kpi"..."""
    root = tmp_path_factory.mktemp("print")
    for case in ("shipped", "started", "three", "quarterly"):
        (root / case).mkdir()
        for name in (c.PLAN_WORKBOOK, c.KPI_WORKBOOK):
            shutil.copy(SHIPPED / name, root / case / name)
    pair = {case: (root / case / c.KPI_WORKBOOK, root / case / c.PLAN_WORKBOOK)
            for case in ("started", "three", "quarterly")}
    _start(*pair["started"], 1)
    # three a year, across a year boundary: 2024-25 Q1 to Q3, then 2025-26 Q1
    _start(*pair["three"], 4)
    # four a year from now on: 2023-24 Q4 and 2024-25 Q4 made after 2028-29 Q3, the last
    _settings(pair["quarterly"], ReportsPerYear=4, DueDates="16 Jun, 15 Sep, 15 Dec, 15 Mar")
    _start(*pair["quarterly"], 6)
    assert main(["new", str(root / "new"), "--authority", "Borsetshire County Council",
                 "--reports", "4", "--first-year", "2024-25", "--last-year", "2028-29"]) == 0
    # a one-year quarterly programme, extended by a year once its last report is started
    assert main(["new", str(root / "extended"), "--authority", "Borsetshire County Council",
                 "--reports", "4", "--first-year", "2024-25", "--last-year", "2024-25"]) == 0
    extended = (root / "extended" / "kpi.xlsx", root / "extended" / c.PLAN_WORKBOOK)
    _start(*extended, 3)
    _settings(extended, LastYear="2025-26")
    _start(extended[0], None, 2)  # the plan has no 2025/26 yet: the KPI workbook alone
    for case in (*pair, "extended"):
        assert main(["recalc", *map(str, sorted((root / case).glob("*.xlsx")))]) in (0, 1)
    _frozen(root / "frozen")
    pdfs = {}
    for case in ("shipped", "started", "new", *STARTED, "frozen"):
        books = sorted((root / case).glob("*.xlsx"))
        assert main(["print", *map(str, books), "-o", str(root / case / "pdf")]) == 0
        for book in books:
            kind = "plan" if book.name == c.PLAN_WORKBOOK else "kpi"
            pdfs[f"{case}/{kind}"] = root / case / "pdf" / book.with_suffix(".pdf").name
    return pdfs




def type_sizes(pdf: Path) -> list[list[float]]:
    """Each page's type sizes (points) of the text it draws: poppler's font sizes at
    three times the page size, to a third of a point."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-zoom", "3", str(pdf)],
                         capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    sizes = {spec.get("id"): float(spec.get("size")) / 3 for spec in root.iter("fontspec")}
    return [[sizes[text.get("font")] for text in page.iter("text")
             if "".join(text.itertext()).strip()] for page in root.iter("page")]


CASES = [f"{case}/{kind}" for case in ("shipped", "started", "new", *STARTED)
         for kind in ("plan", "kpi")] + ["frozen/kpi"]


@pytest.mark.parametrize("case", CASES)
def test_every_page_prints_at_a_readable_size(printed, case):
    pdf = printed[case]
    pages, sizes = pdf_words(pdf), type_sizes(pdf)
    assert len(pages) == len(sizes) >= 5
    for number, (page, page_sizes) in enumerate(zip(pages, sizes, strict=True), start=1):
        assert page, f"{case}: page {number} is blank"
        height = statistics.median(word["yMax"] - word["yMin"] for word in page)
        assert height >= MIN_WORD_HEIGHT, (case, number, height)
        assert min(page_sizes) >= MIN_TYPE, (case, number, min(page_sizes))
    # the sheets shown at a size a reader reads, not shrunk to a page: the measure 11 pt
    # type at 85% or more gives
    assert statistics.median(statistics.median(word["yMax"] - word["yMin"] for word in page)
                             for page in pages) >= 12


def _page(pages: list[list[dict]], first_words: str) -> list[dict]:
    """The first page whose text starts with ``first_words``."""
    return next(page for page in pages
                if " ".join(word["text"] for word in page).startswith(first_words))


def _column(page: list[dict], heading: str) -> tuple[dict, list[dict]]:
    """The word ``heading`` that heads figures (of the words so written, the one with the
    most figures under it) and those figures: the words below it that overlap it across
    and end in a digit."""
    def under(top: dict) -> list[dict]:
        return [word for word in page if word["yMin"] > top["yMax"] and word["text"][-1:]
                .isdigit() and word["xMin"] < top["xMax"] and word["xMax"] > top["xMin"]]
    top = max((word for word in page if word["text"] == heading), key=lambda w: len(under(w)))
    return top, under(top)


@pytest.mark.parametrize("case, sheet, heading, figure", [
    ("shipped/plan", "DSG management plan", "2022/23", "-120.578"),
    ("shipped/plan", "Monitoring", "Plan", "-135.212"),
    ("started/plan", "Monitoring", "Variance", "0.000"),
    ("shipped/kpi", "Plan Data", "Q1", "-135.212"),
    ("shipped/kpi", "LFI programme KPIs", "Q1", "9,350"),
    ("shipped/kpi", "Mitigations", "Placements", "38"),
])
def test_headings_of_figures_stand_over_them(printed, case, sheet, heading, figure):
    """A column of figures (right-aligned, as numbers are) has its heading right-aligned
    too: the heading's right edge is the figures'."""
    top, figures = _column(_page(pdf_words(printed[case]), sheet), heading)
    assert figure in [word["text"] for word in figures]
    assert len(figures) >= 5
    for word in figures:
        assert abs(word["xMax"] - top["xMax"]) < 1.5, (heading, word)


def test_a_started_period_prints_its_column(printed):
    """start-period widens the print areas: the new period prints on the KPI sheet,
    Plan Data, Conditions and Narrative; it is not in the shipped pair's print."""
    started = " ".join(word["text"] for page in pdf_words(printed["started/kpi"]) for word in page)
    shipped = " ".join(word["text"] for page in pdf_words(printed["shipped/kpi"]) for word in page)
    assert started.count("2024-25 Q1") >= 4 + shipped.count("2024-25 Q1")


def test_long_notes_wrap_within_the_page(printed):
    """Plan Data's note is wider than its page: it wraps, every word printed, none past the
    page's right margin."""
    pages = pdf_words(printed["shipped/kpi"])
    page = _page(pages, "Plan Data")
    text = " ".join(word["text"] for word in page)
    assert ("Values copied from the DSG plan workbook: for each report, the year's plan or "
            "latest forecast as it stood then. The KPI sheet's finance KPIs read them.") in text
    width = 841.9
    for page in pages:
        assert max(word["xMax"] for word in page) < width - 12


YEAR, QUARTER = re.compile(r"^20\d\d-\d\d$"), re.compile(r"^Q[1-4]$")


def headings(page: list[dict]) -> tuple[str, ...]:
    """The report periods heading the columns a page prints, left to right: a year word
    with its quarter beside it or wrapped under it, on the page's first line of them (the
    heading row every page repeats; a period in text lower down is not a heading)."""
    years = [word for word in page if YEAR.match(word["text"])]
    if not years:
        return ()
    top = min(word["yMin"] for word in years)
    found = []
    for year in sorted((word for word in years if word["yMin"] < top + 2),
                       key=lambda word: word["xMin"]):
        quarter = next((word for word in page if QUARTER.match(word["text"]) and (
            abs(word["yMin"] - year["yMin"]) < 2 and 0 <= word["xMin"] - year["xMax"] < 10
            or -4 < word["yMin"] - year["yMax"] < 6 and word["xMin"] < year["xMax"]
            and word["xMax"] > year["xMin"])), None)
        if quarter is not None:
            found.append(f"{year['text']} {quarter['text']}")
    return tuple(found)


def sheet_of(page: list[dict], book: str) -> str:
    """The sheet a page prints, from its footer: the sheet's name, the file's, the page."""
    bottom = max(word["yMin"] for word in page)
    footer = [word["text"] for word in sorted(page, key=lambda word: word["xMin"])
              if word["yMin"] > bottom - 3]
    return " ".join(footer[:footer.index(book)])


def report_columns(book: Path) -> dict[str, list[tuple[int, str]]]:
    """Each period sheet's report columns: (sheet column, the period heading it)."""
    read = WorkbookValues(book)
    results, measures = read.require(c.COST_RESULTS), read.require(c.COST_MEASURES)
    headers = [read.require(name) for name in (c.KPI_PERIODS, c.PLAN_DATA_PERIODS,
                                               c.CONDITIONS_PERIODS, c.NARRATIVE_PERIODS)]
    columns = {header.sheet: list(enumerate(read.values(header)[0], start=header.min_col))
               for header in headers}
    row = read.sheet_values(results.sheet)[measures.min_row - 1]
    columns[results.sheet] = [(k, row[k - 1]) for k in range(results.min_col,
                                                              results.max_col + 1)]
    return {sheet: [(k, str(label).strip()) for k, label in found if label]
            for sheet, found in columns.items()}


@pytest.mark.parametrize("case", ["started", *STARTED])
def test_the_period_sheets_print_the_reports_started_and_no_later_one(printed, case):
    """After several starts (a column made after the programme's last one among them),
    each period sheet prints every report started so far, no later (empty) one, and on no
    more pages than those columns need: per band of rows, a page for the fixed columns and
    one for every k report columns of each run of adjacent started columns, k being the
    most one page holds. The shipped pair's pages are the count before."""
    pdf = printed[f"{case}/kpi"]
    book = pdf.parent.parent / pdf.with_suffix(".xlsx").name
    current = parse_period(WorkbookValues(book).values(WorkbookValues(book).require(
        c.setting_name("CurrentPeriod")))[0][0])
    assert current.label == STARTED.get(case, (3, "2024-25 Q1"))[1]
    pages = [(sheet_of(page, book.name), headings(page)) for page in pdf_words(pdf)]
    before = Counter(sheet_of(page, c.KPI_WORKBOOK) for page in pdf_words(printed["shipped/kpi"]))
    for sheet, columns in report_columns(book).items():
        started = []
        for column, label in columns:
            try:
                if parse_period(label) <= current:
                    started.append((column, label))
            except PeriodError:
                continue
        runs = [[started[0][0]]]
        for column, _ in started[1:]:
            if column == runs[-1][-1] + 1:
                runs[-1].append(column)
            else:
                runs.append([column])
        own = [shown for name, shown in pages if name == sheet]
        assert own, (case, sheet)
        printed_labels = [label for shown in own for label in shown]
        labels = [label for _, label in started]
        assert set(printed_labels) == set(labels), (case, sheet, printed_labels)
        most = max(len(shown) for shown in own)
        needed = 1 + sum(math.ceil(len(run) / most) for run in runs)
        bands = max(Counter(own).values())
        assert len(set(own)) <= needed and len(own) <= bands * needed, (
            case, sheet, f"{before[sheet]} page(s) before, {len(own)} after", own)


def test_the_audit_sheet_prints_as_the_built_ones(printed):
    """The Audit sheet freeze adds prints on A4 landscape (as the built sheets: CASES
    measures its type), its heading row and Entry column on every page, the reason
    wrapped within its column and every hash of the chain whole, in two lines of its
    column, nothing past the page's right margin."""
    pdf = printed["frozen/kpi"]
    book = WorkbookValues(pdf.parent.parent / c.KPI_WORKBOOK)
    pages = [page for page in pdf_words(pdf) if sheet_of(page, c.KPI_WORKBOOK) == c.AUDIT]
    assert len(pages) >= 2  # wider than a page: it continues on the next
    audit = book.sheet_values(c.AUDIT)
    reason = audit[-1][c.AUDIT_COLUMNS.index("Reason")]
    page = next(page for page in pages if any(word["text"] == "Reason" for word in page))
    left, right = (next(word for word in page if word["text"] == heading)["xMin"]
                   for heading in ("Reason", "Source"))
    column = sorted((word for word in page if left - 1 < word["xMin"] and word["xMax"] < right),
                    key=lambda word: (word["yMin"], word["xMin"]))
    assert reason in " ".join(word["text"] for word in column)
    assert len({round(word["yMin"]) for word in column}) >= 4  # the heading, and wrapped
    hashes = [value for row in audit[1:] for value in row
              if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value)]
    assert len(hashes) >= 10
    for value in hashes:  # its first line, and the rest under it
        assert any(first["text"] + second["text"] == value and abs(
            first["xMin"] - second["xMin"]) < 2 and 0 < second["yMin"] - first["yMin"] < 20
                   for page in pages for first in page for second in page), value
    for page in pages:
        top = sorted(page, key=lambda word: (word["yMin"], word["xMin"]))[0]
        assert top["text"] == "Entry"
        assert max(word["xMax"] for word in page) < 841.9 - 12
