"""The workbooks print readably on A4: every page of `lfi-xl print`'s PDF, measured.

LibreOffice renders the shipped pair, a blank pair made by `lfi-xl new` and the shipped
pair after a period is started (a column more on the period sheets); poppler measures the
PDFs: on every page the words stand at least 10 pt tall (median of their boxes) and no
text is set below 9 pt (the type sizes the PDF draws), and no page is blank. Figures'
headings stand over them, and a note wider than its page wraps within it.
"""

import shutil
import statistics
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from lfi_xl import contract as c
from lfi_xl.cli import main

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
#: A word's box is about 1.2-1.3 times its type size: 10 pt is 8 to 8.5 pt type.
MIN_WORD_HEIGHT = 10.0
MIN_TYPE = 9.0


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Path]:
    """The PDFs, by case and workbook: "shipped/plan", "new/kpi", "started/kpi"..."""
    root = tmp_path_factory.mktemp("print")
    shipped, started = root / "shipped", root / "started"
    for folder in (shipped, started):
        folder.mkdir()
        for name in (c.PLAN_WORKBOOK, c.KPI_WORKBOOK):
            shutil.copy(SHIPPED / name, folder / name)
    assert main(["start-period", "--kpi", str(started / c.KPI_WORKBOOK), "--plan",
                 str(started / c.PLAN_WORKBOOK)]) == 0
    assert main(["new", str(root / "new"), "--authority", "Borsetshire County Council",
                 "--reports", "4", "--first-year", "2024-25", "--last-year", "2028-29"]) == 0
    pdfs = {}
    for case in ("shipped", "started", "new"):
        books = sorted((root / case).glob("*.xlsx"))
        assert main(["print", *map(str, books), "-o", str(root / case / "pdf")]) == 0
        for book in books:
            kind = "plan" if book.name == c.PLAN_WORKBOOK else "kpi"
            pdfs[f"{case}/{kind}"] = root / case / "pdf" / book.with_suffix(".pdf").name
    return pdfs


def words(pdf: Path) -> list[list[dict]]:
    """Each page's words with their boxes (points, from the top left), as poppler reads
    them."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          check=True).stdout
    root = etree.fromstring(html, etree.HTMLParser(encoding="utf-8"))
    return [[{"text": word.text or "", **{key: float(word.get(key.lower())) for key in
                                          ("xMin", "yMin", "xMax", "yMax")}}
             for word in page.iter("word")] for page in root.iter("page")]


def type_sizes(pdf: Path) -> list[list[float]]:
    """Each page's type sizes (points) of the text it draws: poppler's font sizes at
    three times the page size, to a third of a point."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-zoom", "3", str(pdf)],
                         capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    sizes = {spec.get("id"): float(spec.get("size")) / 3 for spec in root.iter("fontspec")}
    return [[sizes[text.get("font")] for text in page.iter("text")
             if "".join(text.itertext()).strip()] for page in root.iter("page")]


CASES = [f"{case}/{kind}" for case in ("shipped", "started", "new") for kind in ("plan", "kpi")]


@pytest.mark.parametrize("case", CASES)
def test_every_page_prints_at_a_readable_size(printed, case):
    pdf = printed[case]
    pages, sizes = words(pdf), type_sizes(pdf)
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
    top, figures = _column(_page(words(printed[case]), sheet), heading)
    assert figure in [word["text"] for word in figures]
    assert len(figures) >= 5
    for word in figures:
        assert abs(word["xMax"] - top["xMax"]) < 1.5, (heading, word)


def test_a_started_period_prints_its_column(printed):
    """start-period widens the print areas: the new period prints on the KPI sheet,
    Plan Data, Conditions and Narrative; it is not in the shipped pair's print."""
    started = " ".join(word["text"] for page in words(printed["started/kpi"]) for word in page)
    shipped = " ".join(word["text"] for page in words(printed["shipped/kpi"]) for word in page)
    assert started.count("2024-25 Q1") >= 4 + shipped.count("2024-25 Q1")


def test_long_notes_wrap_within_the_page(printed):
    """Plan Data's note is wider than its page: it wraps, every word printed, none past the
    page's right margin."""
    pages = words(printed["shipped/kpi"])
    page = _page(pages, "Plan Data")
    text = " ".join(word["text"] for word in page)
    assert ("Values copied from the DSG plan workbook: for each report, the year's plan or "
            "latest forecast as it stood then. The KPI sheet's finance KPIs read them.") in text
    width = 841.9
    for page in pages:
        assert max(word["xMax"] for word in page) < width - 12
