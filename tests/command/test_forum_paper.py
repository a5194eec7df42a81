"""The Schools Forum paper as a Forum member reads it, and the workbooks as they print.

Every figure's source is known (never the shipped demo plan by default), made-up figures
are marked on every page, the first page answers the DfE's first question from the
figures, corrections show, and the pages render (LibreOffice, pdftotext, pdftoppm).
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

import lfi_udfs
import openpyxl
import pytest
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.actions.forum_paper import ILLUSTRATIVE_BANNER, short_labels
from lfi_xl.actions.recalc import recalc
from lfi_xl.adapters.files import workbook_xml as wx
from lfi_xl.adapters.files.package import Package
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.book.area import parse_area
from lfi_xl.cli import main
from lfi_xl.core import measures

PAPER = "LFI_Schools_Forum_2023-24_Q3"
SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"


def extract(kpi_book, out, *extra) -> int:
    return main(["extract", "--kpi", str(kpi_book), "-o", str(out), *extra])


def refreshed(kpi_book, plan_book) -> None:
    """The report as a finance officer prepares it: Plan Data from the plan workbook's
    latest forecast, then recalculated."""
    assert main(["refresh", "--kpi", str(kpi_book), "--plan", str(plan_book)]) == 0
    assert main(["recalc", str(kpi_book)]) == 0


def pdf_text(pdf, first=None, last=None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def setting_cell(book, key: str) -> str:
    """Where the workbook keeps a setting (its defined name's cell)."""
    return WorkbookValues(book).area(c.setting_name(key)).ref


def page_count(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages")))


# ------------------------------------------------------------------ where figures come from
def test_without_a_plan_the_paper_never_guesses_one(kpi_book, tmp_path, capsys):
    edit(kpi_book, "Settings", {setting_cell(kpi_book, "PlanWorkbook"): None})
    assert extract(kpi_book, tmp_path, "--no-pdf") == 2
    message = capsys.readouterr().err
    assert "no DSG plan workbook named" in message and "refresh" in message
    assert not list(tmp_path.glob("LFI_*"))


def test_the_plan_recorded_by_refresh_is_used_and_checked(kpi_book, plan_book, tmp_path,
                                                            capsys):
    refreshed(kpi_book, plan_book)
    settings = WorkbookValues(kpi_book)
    recorded = settings.values(settings.area(c.setting_name("PlanWorkbook")))[0][0]
    assert recorded == "dsg_plan.xlsx"  # beside the KPI workbook: recorded relative to it
    assert extract(kpi_book, tmp_path / "out", "--no-pdf") == 0
    about = openpyxl.load_workbook(tmp_path / "out" / f"{PAPER}.xlsx")["About this paper"]
    sources = {row[0]: row[1] for row in about.iter_rows(values_only=True) if row[0]}
    assert sources["DSG plan workbook: dsg_plan.xlsx"] == (
        "SHA-256 " + hashlib.sha256(plan_book.read_bytes()).hexdigest())
    edit(plan_book, "Forecast", {"D12": 50.0})  # 2024/25's forecast typed, not recalculated
    capsys.readouterr()
    assert extract(kpi_book, tmp_path / "again", "--no-pdf") == 1
    message = capsys.readouterr().err
    assert "Forecast!D22: Total Expenditure 2024/25 shows 193.113 but its lines give" in message
    assert "recalculate the plan workbook (lfi-xl recalc dsg_plan.xlsx" in message
    assert main(["recalc", str(plan_book)]) == 0   # a later year: this report's figures stand
    assert extract(kpi_book, tmp_path / "again", "--no-pdf") == 0
    edit(plan_book, "Forecast", {"C12": 50.0})  # this year's: Plan Data is not the forecast
    assert main(["recalc", str(plan_book)]) == 0
    capsys.readouterr()
    assert extract(kpi_book, tmp_path / "third", "--no-pdf") == 1
    message = capsys.readouterr().err
    assert "Plan Data's Total expenditure (£m) for 2023-24 Q3 is 178.376" in message
    assert "refresh Plan Data from the plan workbook (lfi-xl refresh" in message
    assert not list((tmp_path / "third").glob("LFI_*"))
    plan_book.unlink()
    assert extract(kpi_book, tmp_path / "gone", "--no-pdf") == 2
    assert "is not there" in capsys.readouterr().err


def test_a_workbook_adopted_before_the_setting_existed_gets_it_on_refresh(
        kpi_book, plan_book, tmp_path):
    """An older workbook without the PlanWorkbook rows: refresh adds them below Settings."""
    cells = [setting_cell(kpi_book, key) for key in ("PlanWorkbook", "PlanWorkbookSHA256")]
    package = Package.read(kpi_book)
    workbook = wx.parse(package.parts["xl/workbook.xml"])
    for name in list(workbook.iterfind("m:definedNames/m:definedName", wx.NS)):
        if name.get("name") in (c.setting_name("PlanWorkbook"),
                                c.setting_name("PlanWorkbookSHA256")):
            name.getparent().remove(name)
    package.parts["xl/workbook.xml"] = wx.serialize(workbook)
    kpi_book.write_bytes(package.to_bytes())
    edit(kpi_book, "Settings", {ref: None for cell in cells
                                for ref in (cell, "A" + cell[1:])})
    refreshed(kpi_book, plan_book)
    book = WorkbookValues(kpi_book)
    area = book.area(c.setting_name("PlanWorkbook"))
    assert (area.sheet, area.ref) == ("Settings", cells[0])  # the first free row again
    assert book.values(area)[0][0] == "dsg_plan.xlsx"
    assert extract(kpi_book, tmp_path, "--no-pdf") == 0


# ------------------------------------------------------------------------ what the page says
@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    """The demo paper: refreshed from the forecast, so it shows the forecast against plan."""
    folder = tmp_path_factory.mktemp("paper")
    kpi_book, plan_book = (Path(shutil.copy(SHIPPED / name, folder / name))
                           for name in (c.KPI_WORKBOOK, c.PLAN_WORKBOOK))
    refreshed(kpi_book, plan_book)
    assert extract(kpi_book, folder / "out", "--pdf") == 0
    return folder / "out" / f"{PAPER}.xlsx"


def test_the_first_page_answers_the_dfe_first_question(paper):
    summary = openpyxl.load_workbook(paper)["Summary"]
    text = [row[0] for row in summary.iter_rows(values_only=True) if row[0]]
    assert text[0] == "Norfolk County Council: Local First Inclusion, Schools Forum report " \
        "2023-24 Q3"
    assert ("In-year position 2023/24: £34.149m deficit forecast against £25.149m deficit in "
            "the agreed plan (£9.000m worse than planned).") in text
    # the agreed plan as agreed: balanced (0.000) in 2028/29, not the £0.003m its rounded
    # lines add up to; the balance on agreed money, and on the money received, both said
    assert ("Cumulative balance after Safety Valve funding as agreed at the end of the "
            "programme (2028/29): £111.003m deficit forecast against £0.000m (balanced) "
            "planned (£111.003m worse than planned).") in text
    assert ("Cumulative balance after Safety Valve funding as agreed at the end of 2023/24: "
            "£68.262m deficit forecast against £59.262m deficit planned (£9.000m worse than "
            "planned).") in text
    assert ("Counting the Safety Valve money actually received rather than agreed, the "
            "cumulative balance at the end of 2023/24 is £74.262m deficit (£6.000m more).") \
        in text
    assert ("Not on track: the latest forecast misses the agreed plan for the end of the "
            "programme by £111.003m.") in text
    assert ("DfE Safety Valve funding to 2023/24: £34.000m agreed, £32.000m of it due by "
            "2023-24 Q3 (each year's paid in 3 instalments, one after each report), £28.000m "
            "received; £4.000m due and not received (2023/24).") in text
    assert "11 of the 15 Schools Forum KPIs are rated Red (listed below)." in text
    # each balance said as the deficit it is, whichever sign its KPI counts it with
    assert "    KPI 16 In Year DSG surplus/deficit: deficit of £34.149m (against the plan " \
        "2023/24)" in text
    assert "    KPI 11 HNB surplus / deficit: deficit of £34.149m (against the plan 2023/24)" \
        in text
    assert text[-1].startswith("Status: provisional - not frozen")
    assert summary.page_setup.orientation == "landscape"


def test_what_drives_the_gap(paper):
    rows = list(openpyxl.load_workbook(paper)["Variance"].iter_rows(min_row=5,
                                                                    values_only=True))
    assert rows[0][:4] == ("Independent Special Schools", 47.424, 56.424, 9.0)


def test_one_sign_convention_and_readable_legends(paper):
    rows = {row[1]: row for row in openpyxl.load_workbook(paper)["KPIs"].iter_rows(
        min_row=5, max_row=19, values_only=True)}
    # each KPI with its sign in the workbook and the DfE copy: KPI 11 is -KPI 16, stated
    assert rows[11][4] == pytest.approx(-34.149) and rows[16][4] == pytest.approx(34.149)
    assert rows[20][4] == pytest.approx(135.212) and rows[21][4] == pytest.approx(9.015)
    notes = [row[0] for row in openpyxl.load_workbook(paper)["KPIs"].iter_rows(
        min_row=20, values_only=True) if row[0]]
    assert any("KPI 11 (HNB surplus/deficit, the DfE's measure) +surplus / -deficit, so it "
               "is always -KPI 16" in note for note in notes)
    referrals = openpyxl.load_workbook(paper)["EHCP referrals"]
    assert [cell.value for cell in referrals[4]][:4] == [
        "Report", "Schools", "Parents", "Other professionals"]
    assert referrals["A1"].value == "EHCP referral requests by report, by who made them"
    assert short_labels(["EHCP referral rates from schools", "EHCP referral rates from "
                         "parents"]) == ["Schools", "Parents"]


def test_rounding_is_explained_on_the_plan_page(paper):
    notes = [row[0] for row in openpyxl.load_workbook(paper)["DSG plan"].iter_rows(
        values_only=True) if row[0] and str(row[0]).startswith("Reconciliation")]
    assert notes == ["Reconciliation: the plan is shown as agreed. Its totals and balances "
                     "recomputed from its lines, typed to £1k as published, differ from the "
                     "agreed figures in 18 of 35 places, by at most £3k (Cumulative Balance "
                     "without contribution, 2026/27: 130.421 from the lines, 130.418 agreed): "
                     "the printed lines are rounded to £1k, the agreed totals were computed "
                     "from unrounded figures."]
    agreed = next(row[1:] for row in openpyxl.load_workbook(paper)["DSG plan"].iter_rows(
        values_only=True) if row[0] == "Cumulative balance after Safety Valve funding as agreed")
    assert agreed[-1] == 0.0 and agreed[1] == 59.262   # as published, not recomputed


def test_illustrative_figures_are_marked_on_every_page(paper, kpi_book, plan_book, tmp_path):
    wb = openpyxl.load_workbook(paper)
    for sheet in wb:
        assert ILLUSTRATIVE_BANNER in sheet["A2"].value, sheet.title
        assert sheet.oddHeader.center.text.startswith("ILLUSTRATIVE DATA"), sheet.title
    pdf = paper.with_suffix(".pdf")
    pages = page_count(pdf)
    assert pages == 7
    for number in range(1, pages + 1):
        assert "ILLUSTRATIVE DATA" in pdf_text(pdf, number, number), number
    first = " ".join(pdf_text(pdf, 1, 1).split())  # the headlines as printed, unclipped
    assert "Not on track: the latest forecast misses the agreed plan for the end of the " \
        "programme by £111.003m." in first
    assert "£4.000m due and not received (2023/24)." in first
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert len(list(tmp_path.glob("page-*.png"))) == pages
    # a council's own figures: the flag cleared, no mark (and none in the workbook itself)
    for book in (kpi_book, plan_book):
        edit(book, "Settings", {setting_cell(book, "Illustrative"): "No"})
    refreshed(kpi_book, plan_book)
    assert extract(kpi_book, tmp_path / "own", "--no-pdf") == 0
    own = openpyxl.load_workbook(tmp_path / "own" / f"{PAPER}.xlsx")
    assert not any("ILLUSTRATIVE" in str(sheet["A2"].value) for sheet in own)


def test_the_workbooks_say_illustrative_while_their_settings_do(kpi_book, tmp_path):
    book = WorkbookValues(kpi_book)
    assert book.values(parse_area("KPIs!A2"))[0][0] == c.ILLUSTRATIVE_NOTE
    edit(kpi_book, "Settings", {setting_cell(kpi_book, "Illustrative"): "No"})
    recalc(kpi_book, kpi_book)
    assert WorkbookValues(kpi_book).values(parse_area("KPIs!A2"))[0][0] in (None, "")


# -------------------------------------------------------------------------------- ratings
def test_exactly_on_plan_is_green():
    assert measures.rag(0.1 + 0.2, 0.3).tolist() == "G"
    assert measures.rag(156.049, 156.04899999999998).tolist() == "G"
    assert measures.rag(156.050, 156.049).tolist() == "A"  # £1k over: a real shortfall
    assert lfi_udfs.LFI_RAG(0.1 + 0.2, 0.3) == "G"


# ---------------------------------------------------------------------------- corrections
def test_a_superseded_snapshot_is_listed_with_who_when_and_why(kpi_book, plan_book, tmp_path):
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "A Officer"]) == 0
    edit(kpi_book, "KPIs", {"K52": 33})  # PEX numbers corrected after the freeze
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "B Manager",
                 "--supersede", "--reason", "two exclusions were missed"]) == 0
    assert main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "-o",
                 str(tmp_path), "--no-pdf"]) == 0
    about = [row[0] for row in openpyxl.load_workbook(tmp_path / f"{PAPER}.xlsx")[
        "About this paper"].iter_rows(values_only=True) if row[0]]
    correction = next(line for line in about if "superseded" in str(line))
    assert correction.startswith("2023-24 Q3: snapshot 1 was superseded by snapshot 2 on ")
    assert correction.endswith("by B Manager: two exclusions were missed")


# ------------------------------------------------------------------------------- printing
@pytest.mark.parametrize("name, pages", [(c.PLAN_WORKBOOK, 6), (c.KPI_WORKBOOK, 43)])
def test_the_shipped_workbooks_print(name, pages, tmp_path, kpi_book, plan_book):
    book = plan_book if name == c.PLAN_WORKBOOK else kpi_book
    assert main(["print", str(book), "-o", str(tmp_path / "print")]) == 0
    pdf = tmp_path / "print" / book.with_suffix(".pdf").name
    assert not list((tmp_path / "print").glob("*.xlsx"))  # the copy it rendered is gone
    assert page_count(pdf) == pages
    text = pdf_text(pdf)
    if name == c.KPI_WORKBOOK:
        # every sheet starts a page, title first (a sheet wider than its page continues on
        # the next ones to the right: its title tops those too); headings whole, wrapped
        for title in ("Settings", "LFI programme KPIs", "Plan Data", "Mitigations",
                      "Cost workings", "Agreement conditions", "Narrative", "Snapshots",
                      "Lists"):
            starts = [number for number in range(1, pages + 1)
                      if pdf_text(pdf, number, number).lstrip().startswith(title)]
            assert starts == list(range(starts[0], starts[0] + len(starts))), title
        cells = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                        text=True, check=True).stdout.split())
        for heading in ("Workstreams", "Annual cost before renegotiation (£)", "(June 2023)"):
            assert heading in cells, heading
    else:
        assert "Speech & Language, Sensory, Youth Offending and Child &" in text
        assert "Health support & contributions" in text
