"""The DfE monitoring return (lfi-xl dfe-return, the Build DfE return button): a finance
officer's cycle on copies of the shipped workbooks (freeze, then build), and on a second
authority's workbook built from the template with its own conditions and 4 reports a year.
The document is read back with python-docx and through LibreOffice (PDF, text, PNG)."""

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from helpers import edit, json_book

from lfi_xl import contract as c
from lfi_xl.adapters import libreoffice
from lfi_xl.adapters.files.reader import WorkbookValues, read_plan
from lfi_xl.book.kpi_book import KpiBook
from lfi_xl.book.snapshots import audit_rows, file_sha256
from lfi_xl.cli import main
from lfi_xl.core.periods import parse_period
from lfi_xl.core.plan import compute_plan

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
PERIOD = "2023-24 Q3"


def build(kpi, plan, out, *extra, period=PERIOD):
    return main(["dfe-return", "--kpi", str(kpi), "--plan", str(plan), "--period", period,
                 "-o", str(out), "--by", "A. Finance", *extra])


def freeze(kpi, period=PERIOD, *extra):
    assert main(["freeze", str(kpi), "--period", period, "--by", "A. Finance", *extra]) == 0


def refresh_and_freeze(kpi, plan, period=PERIOD):
    """The officer's cycle: the plan's latest forecast into Plan Data, recalculate, freeze."""
    assert main(["refresh", "--kpi", str(kpi), "--plan", str(plan), "--period", period]) == 0
    assert main(["recalc", str(kpi)]) == 0
    freeze(kpi, period)


def text_of(document) -> str:
    """Every paragraph of the body, its tables and their nested tables, in order."""
    def cells(table):
        seen = []   # the cells' XML elements, kept alive so that "is" compares them
        for row in table.rows:
            for cell in row.cells:
                if any(cell._tc is other for other in seen):   # a merged cell, once
                    continue
                seen.append(cell._tc)
                yield from cell.paragraphs
                for inner in cell.tables:
                    yield from cells(inner)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [p.text for p in cells(table)]
    return "\n".join(parts)


def to_pdf(docx: Path) -> tuple[Path, list[str]]:
    pdf = libreoffice.convert(docx, "pdf", docx.parent)
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    return pdf, [page for page in pages if page.strip()]


def money(value: float) -> str:
    return f"{round(value, 3) + 0.0:,.3f}".replace("-", "−")


@pytest.fixture(scope="module")
def frozen_return(tmp_path_factory):
    """The shipped workbooks, 2023-24 Q3 frozen, and the return built from them."""
    folder = tmp_path_factory.mktemp("norfolk")
    kpi = Path(shutil.copy(SHIPPED / c.KPI_WORKBOOK, folder / c.KPI_WORKBOOK))
    plan = Path(shutil.copy(SHIPPED / c.PLAN_WORKBOOK, folder / c.PLAN_WORKBOOK))
    refresh_and_freeze(kpi, plan)
    assert build(kpi, plan, folder / "out") == 0
    return kpi, plan, folder / "out"


def test_return_is_laid_out_as_the_dfe_template_from_the_workbook(frozen_return):
    kpi, plan, out = frozen_return
    assert sorted(p.name for p in out.iterdir()) == [
        "LFI_DfE_DSG_plan_2023-24_Q3.xlsx", "LFI_DfE_KPIs_2023-24_Q3.xlsx",
        "LFI_DfE_return_2023-24_Q3.docx", "manifest.json"]
    document = Document(out / "LFI_DfE_return_2023-24_Q3.docx")
    text = text_of(document)
    assert ("Safety Valve Tri-annual Monitoring Report – within Norfolk County Council’s "
            "Local First Inclusion Programme* – 2023-24 Q3 (December 2023)") in text
    assert "DRAFT" not in text + document.sections[0].header.paragraphs[0].text
    # Due date from the cadence, internal steps and signers from Settings.
    assert "15 December 2023 (final submitted to DfE)" in text
    assert "12 December 2023 (final signed off by Executive Board)" in text
    assert "24 November 2023 (draft to Delivery Group)" in text
    assert "Signed off by S151 Officer / Director of Children's Services" in text
    # Every question as the Narrative sheet words it, each with its frozen answer.
    book = KpiBook(WorkbookValues(kpi))
    questions = {row[0]: row[1] for row in WorkbookValues(kpi).read(c.NARRATIVE_TABLE)[1][1:]}
    answers = {row.key: row.values[2] for row in book.narrative}
    for key in (*c.NARRATIVE_CONTENT, *c.NARRATIVE_ADDITIONAL, "emerging_risks", "support"):
        assert questions[key] in text or questions[key].rstrip(":") in text, key
        for line in answers[key].split("\n"):
            assert line.lstrip("- ").strip() in text, (key, line)
    # Every condition, its full text from the Conditions sheet, its RAGs Q1-Q3 in order.
    tables = document.tables
    condition_tables = [t for t in tables if t.rows[0].cells[0].text == "Agreement Condition"]
    assert len(condition_tables) == 9
    for table, row in zip(condition_tables, book.conditions, strict=True):
        label = WorkbookValues(kpi).read(c.CONDITIONS_TABLE)[1][int(row.key)][1]
        assert table.rows[1].cells[0].text == f"Condition {int(row.key)}: {label}"
        assert [cell.text for cell in table.rows[1].cells[1:]] == ["Q1", "Q2", "Q3"]
        assert [cell.text for cell in table.rows[2].cells[1:]] == list(row.values[:3])
        assert answers[c.progress_key(int(row.key))] in table.rows[3].cells[0].text
    assert [cell.text for cell in condition_tables[5].rows[2].cells[1:]] == ["R", "A", "A"]
    # The council's appendices, then the two workbooks sent with the return.
    appendices = [[cell.text for cell in row.cells] for row in tables[-1].rows]
    assert appendices == [
        ["Appendix 1", "Schools Forum KPI extract, 2023-24 Q3"],
        ["Appendix 2", "Revised DSG management plan"],
        ["Appendix 3", "DfE Local First Inclusion KPIs spreadsheet, 2023-24 Q3 (values)"],
        ["Appendix 4", "DfE Local First Inclusion DSG management plan, 2023-24 Q3 (values)"]]


def test_evidence_table_is_the_cores_figures(frozen_return):
    kpi, plan_book, out = frozen_return
    document = Document(out / "LFI_DfE_return_2023-24_Q3.docx")
    question = document.tables[0].rows[2].cells
    assert question[0].text.startswith("Is the LA still on track")
    assert question[1].paragraphs[0].text == c_answer(kpi, "on_track")
    balances, funding = ([[cell.text for cell in row.cells] for row in table.rows]
                         for table in question[1].tables)
    plan = compute_plan(read_plan(plan_book))
    latest = compute_plan(read_plan(plan_book, "Forecast"))
    year = plan.years.index("2023/24")
    frozen = {r["Key"]: r["Value"] for r in KpiBook(WorkbookValues(kpi)).snapshots[1]
              if r["Kind"] == c.SNAPSHOT_PLAN}
    assert balances[0] == [" ", "Plan", "Latest forecast", "Difference"]
    for row, key in zip(balances[1:], ("in_year", "cumulative_before_sv",
                                       "cumulative_after_sv"), strict=True):
        planned, forecast = float(getattr(plan, key)[year]), float(getattr(latest, key)[year])
        assert row[1:] == [money(planned), money(forecast), money(forecast - planned)]
        assert frozen[key] == pytest.approx(forecast, abs=5e-4)   # what the KPIs were sent
    # The published plan's 2023/24 in-year deficit; the forecast's £9m independent pressure.
    assert balances[1][1:] == ["25.149", "34.149", "9.000"]
    received = WorkbookValues(plan_book).read(c.plan_line_name("dfe_received", "Forecast"))[1][0]
    assert funding[1] == ["DfE contribution 2023/24", money(plan.dfe[year]),
                          money(received[year]), money(received[year] - plan.dfe[year])]
    to_date = sum(received[: year + 1])
    assert funding[2][1:3] == [money(sum(plan.dfe[: year + 1])), money(to_date)]


def c_answer(kpi, key):
    row = next(r for r in KpiBook(WorkbookValues(kpi)).narrative if r.key == key)
    return row.values[2]


def test_manifest_hashes_every_file_and_names_the_snapshot(frozen_return):
    kpi, plan, out = frozen_return
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["file"] for f in manifest["files"]] == [
        "LFI_DfE_return_2023-24_Q3.docx", "LFI_DfE_KPIs_2023-24_Q3.xlsx",
        "LFI_DfE_DSG_plan_2023-24_Q3.xlsx"]
    for entry in manifest["files"]:
        assert entry["sha256"] == file_sha256((out / entry["file"]).read_bytes())
    rows = KpiBook(WorkbookValues(kpi)).snapshots[1]
    assert manifest["snapshot"] == 1 and manifest["draft"] is False
    assert manifest["snapshot_sha256"] == rows[0]["Snapshot SHA-256"]
    assert manifest["audit_chain_head"] == audit_rows(KpiBook(WorkbookValues(kpi)))[-1][
        "Entry SHA-256"]
    assert manifest["built_by"] == "A. Finance" and manifest["built_at"].endswith("+00:00")
    assert manifest["sources"][0] == {"role": "KPI workbook", "file": c.KPI_WORKBOOK,
                                      "sha256": file_sha256(kpi.read_bytes())}


def test_workbook_copies_are_values_only(frozen_return):
    kpi, plan, out = frozen_return
    copy = out / "LFI_DfE_KPIs_2023-24_Q3.xlsx"
    names = zipfile.ZipFile(copy).namelist()
    assert not [n for n in names if "vbaProject" in n or "externalLink" in n
                or "calcChain" in n]
    xml = b"".join(zipfile.ZipFile(copy).read(n) for n in names if n.startswith("xl/work"))
    assert b"<f>" not in xml and b"<f " not in xml
    names = re.findall(rb'<definedName name="([^"]+)"', zipfile.ZipFile(copy).read(
        "xl/workbook.xml"))
    assert set(names) == {b"_xlnm.Print_Area", b"_xlnm.Print_Titles"}   # printing only
    assert b"dataValidation" not in xml and b"sheetProtection" not in xml
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames == ["Settings", "KPIs", "Plan Data", "Mitigations", "Conditions",
                             "Narrative"]
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)
    # The figures are the frozen ones: KPI 16 (in-year deficit) for 2023-24 Q3.
    frozen = {r["Key"]: r["Value"] for r in KpiBook(WorkbookValues(kpi)).snapshots[1]
              if r["Kind"] == c.SNAPSHOT_KPI}
    copied = WorkbookValues(copy)
    row = next(r for r in copied.sheet_values("KPIs") if r and r[0] == 16)
    assert frozen[16] == 34.149 and 34.149 in row
    # the savings KPIs as the return gives them: £m to 3 dp (the KPI sheet holds 0.2198)
    for ref in c.SAVINGS_KPIS:
        savings = next(r for r in copied.sheet_values("KPIs") if r and r[0] == ref)
        figures = [v for v in savings[1:] if isinstance(v, float)]
        assert figures and all(v == round(v, 3) for v in figures), (ref, figures)
    plan_copy = openpyxl.load_workbook(out / "LFI_DfE_DSG_plan_2023-24_Q3.xlsx")
    assert plan_copy.sheetnames == ["Settings", "Plan", "Forecast", "Monitoring", "Demand"]
    totals = [r for r in plan_copy["Plan"].iter_rows(values_only=True)
              if r[0] and str(r[0]).startswith("In-year")]
    assert totals and totals[0][1:8] == pytest.approx(list(compute_plan(read_plan(plan))
                                                           .in_year))


def test_libreoffice_renders_every_condition_question_and_figure(frozen_return):
    kpi, plan_book, out = frozen_return
    pdf, pages = to_pdf(out / "LFI_DfE_return_2023-24_Q3.docx")
    text = re.sub(r"\s+", " ", " ".join(pages))
    for number, rags in enumerate(("GGG", "AAG", "GGG", "AGG", "AAA", "RAA", "AAA", "GAA",
                                   "GGA"), start=1):
        found = re.search(rf"Condition {number}:.*?Q1 Q2 Q3 {' '.join(rags)}", text)
        assert found and f"Condition {number + 1}:" not in found.group(0), number
    for start in ("Is the LA still on track", "What progress has been made",
                  "What are the current risks", "Have there been any unforeseen"):
        assert start in text
    for answer in ("Forecast in-year deficit above plan", "SRB feasibility studies complete",
                   "Capital build timelines", "DfE payment for 2023-24 withheld"):
        assert answer in text
    plan = compute_plan(read_plan(plan_book))
    year = plan.years.index("2023/24")
    latest = compute_plan(read_plan(plan_book, "Forecast"))
    for figure in (plan.in_year[year], plan.cumulative_before_sv[year],
                   plan.cumulative_after_sv[year], plan.dfe[year], latest.in_year[year],
                   latest.cumulative_after_sv[year]):
        assert money(figure) in text
    png = subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf),
                          str(out / "page")], capture_output=True)
    assert png.returncode == 0
    from PIL import Image
    with Image.open(out / "page-1.png") as image:
        low, high = image.convert("L").getextrema()
        assert image.size[0] > 300 and high - low > 200   # text on a page, not a blank


def test_not_frozen_is_refused_without_draft(kpi_book, plan_book, tmp_path, capsys):
    assert build(kpi_book, plan_book, tmp_path / "out") == 1
    assert "2023-24 Q3 is not frozen" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_draft_is_marked_on_every_page(kpi_book, plan_book, tmp_path):
    assert build(kpi_book, plan_book, tmp_path / "out", "--draft") == 0
    docx = tmp_path / "out" / "LFI_DfE_return_2023-24_Q3_DRAFT.docx"
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["draft"] is True and manifest["snapshot"] is None
    _, pages = to_pdf(docx)
    assert len(pages) >= 3
    assert all("DRAFT: not frozen, not for submission to the DfE" in page for page in pages)
    copy = openpyxl.load_workbook(tmp_path / "out" / "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx")
    assert copy["KPIs"].oddHeader.center.text.startswith("DRAFT")


def test_unrated_condition_is_refused_naming_the_cell(kpi_book, plan_book, tmp_path, capsys):
    edit(kpi_book, "Conditions", {"E7": None})
    assert build(kpi_book, plan_book, tmp_path / "out", "--draft") == 1   # refused
    err = capsys.readouterr().err
    assert "Conditions!E7: Condition 3 is not rated for 2023-24 Q3" in err
    assert "Traceback" not in err
    edit(kpi_book, "Conditions", {"E7": "Green"})
    assert build(kpi_book, plan_book, tmp_path / "out", "--draft") == 1
    assert "Conditions!E7: Condition 3 holds 'Green', not R, A or G" in capsys.readouterr().err


def test_empty_required_answer_is_refused_unless_draft(kpi_book, plan_book, tmp_path, capsys):
    edit(kpi_book, "Narrative", {"E7": None, "E18": None})   # risks; condition 4's progress
    freeze(kpi_book)   # validation only warns of a missing answer
    capsys.readouterr()
    assert build(kpi_book, plan_book, tmp_path / "out") == 1   # refused
    err = capsys.readouterr().err
    assert "Narrative!E7: no answer for 2023-24 Q3 to 'What are the current risks" in err
    assert "(and 1 more)" in err
    assert build(kpi_book, plan_book, tmp_path / "draft", "--draft") == 0
    text = text_of(Document(tmp_path / "draft" / "LFI_DfE_return_2023-24_Q3_DRAFT.docx"))
    assert text.count("[No answer yet]") == 2


def test_edited_frozen_figure_is_refused_naming_the_cell(kpi_book, plan_book, tmp_path,
                                                         capsys):
    freeze(kpi_book)
    edit(kpi_book, "KPIs", {"K23": 99.0})   # KPI 16, 2023-24 Q3, typed over after freezing
    capsys.readouterr()
    assert build(kpi_book, plan_book, tmp_path / "out") == 1   # refused
    err = capsys.readouterr().err
    assert "KPIs!K23: 2023-24 Q3 is frozen (snapshot 1) but KPI 16 now reads 99" in err
    assert build(kpi_book, plan_book, tmp_path / "out", "--draft") == 1
    assert not (tmp_path / "out").exists()


def test_a_forecast_changed_after_freezing_is_refused_and_one_step_corrects_it(
        kpi_book, plan_book, tmp_path, capsys):
    """Frozen, then the forecast moves: the document and the KPI workbook sent with it would
    give two in-year figures for the same year. The refusal is validate's, and names the
    one step that corrects the frozen period: freeze --supersede (refresh, recalc, freeze)."""
    freeze(kpi_book)
    edit(plan_book, "Forecast", {"C10": 60.0})   # a line of 2023/24's forecast: +6.416
    assert main(["recalc", str(plan_book)]) == 0
    capsys.readouterr()
    assert build(kpi_book, plan_book, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert ("'Plan Data'!E7: Plan Data's Total expenditure (£m) for 2023-24 Q3 is 178.376 but "
            "the plan workbook's latest forecast for 2023/24 gives 184.792") in err
    assert "2023-24 Q3 is frozen: correct it by freezing it again, superseding its " \
        "snapshot with a reason" in err
    assert main(["validate", str(kpi_book)]) == 1   # validate says the same, first
    assert "Plan Data's In-year +deficit/-surplus (£m) for 2023-24 Q3 is 34.149" in (
        capsys.readouterr().out)
    assert build(kpi_book, plan_book, tmp_path / "draft", "--draft") == 0
    text = text_of(Document(tmp_path / "draft" / "LFI_DfE_return_2023-24_Q3_DRAFT.docx"))
    assert "DRAFT: 'Plan Data'!E10: the KPIs of 2023-24 Q3 use" in text
    freeze(kpi_book, PERIOD, "--supersede", "--reason", "forecast revised")
    assert build(kpi_book, plan_book, tmp_path / "out") == 0
    book = KpiBook(WorkbookValues(kpi_book))
    assert book.kpis[16].values[book.column_of(parse_period(PERIOD))] == pytest.approx(40.565)
    document = Document(tmp_path / "out" / "LFI_DfE_return_2023-24_Q3.docx")
    evidence = document.tables[0].rows[2].cells[1].tables[0]
    assert [cell.text for cell in evidence.rows[1].cells][1:3] == ["25.149", "40.565"]


def test_narrative_keeps_paragraphs_bullets_and_stays_inert(kpi_book, plan_book, tmp_path):
    answer = ("Deficit on track.\n\nRecovery actions:\n- close two contracts\n• open a hub\n"
              "=HYPERLINK(\"http://example.invalid\",\"click\")\n+cmd|' /C calc'!A0\n"
              "bell_x0007_escape_x001B_end")   # control characters as Excel stores them
    edit(kpi_book, "Narrative", {"E5": answer, "E14": "=1+1"})   # on_track; appendices
    assert build(kpi_book, plan_book, tmp_path / "out", "--draft") == 0
    document = Document(tmp_path / "out" / "LFI_DfE_return_2023-24_Q3_DRAFT.docx")
    cell = document.tables[0].rows[2].cells[1]
    paragraphs = [(p.text, p.style.name) for p in cell.paragraphs][:7]
    assert paragraphs == [
        ("Deficit on track.", "Normal"), ("Recovery actions:", "Normal"),
        ("close two contracts", "List Bullet"), ("open a hub", "List Bullet"),
        ("=HYPERLINK(\"http://example.invalid\",\"click\")", "Normal"),
        ("+cmd|' /C calc'!A0", "Normal"), ("bellescapeend", "Normal")]
    xml = zipfile.ZipFile(tmp_path / "out" / "LFI_DfE_return_2023-24_Q3_DRAFT.docx").read(
        "word/document.xml")
    assert b"<w:fldSimple" not in xml and b"<w:instrText" not in xml   # no fields
    assert [row.cells[1].text for row in document.tables[-1].rows][0] == "=1+1"
    copy = openpyxl.load_workbook(tmp_path / "out" / "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx")
    assert copy["Narrative"]["E14"].value == "=1+1"
    assert copy["Narrative"]["E14"].data_type == "s"


# ------------------------------------------------------------- another authority
SECOND_LA = {
    "LAName": "Example Borough Council", "ProgrammeName": "Inclusive Futures",
    "ReportsPerYear": 4, "DueDates": "30 Jun, 30 Sep, 31 Dec, 31 Mar",
    "SignedOffBy": "Chief Finance Officer: J Smith; Director of Children's Services: P Jones",
    "SignOffSteps": "Cabinet member briefing: 20 Jun, 20 Sep, 20 Dec, 20 Mar"}
SECOND_CONDITIONS = ("Open two new special free schools",
                     "Reduce the use of independent placements",
                     "Introduce a graduated response toolkit for schools",
                     "Review post-16 commissioning",
                     "Strengthen SEN support in early years")


@pytest.fixture(scope="module")
def second_la(tmp_path_factory):
    """A quarterly authority's KPI workbook, built by the builder from its own Settings and
    Conditions (as a council would type them into the template), then frozen."""
    from lfi_xl.build import workbooks

    folder = tmp_path_factory.mktemp("second")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(c, "SETTING_ROWS", tuple(
            (key, label, SECOND_LA.get(key, default), meaning)
            for key, label, default, meaning in c.SETTING_ROWS))
        patch.setattr(c, "SETTING_DEFAULTS", {**c.SETTING_DEFAULTS, **SECOND_LA})
        patch.setattr(c, "AGREEMENT_CONDITIONS", SECOND_CONDITIONS)
        workbooks.save_built(workbooks.build_kpi_workbook(), folder / "kpi.xlsx")
    plan = Path(shutil.copy(SHIPPED / c.PLAN_WORKBOOK, folder / "plan.xlsx"))
    refresh_and_freeze(folder / "kpi.xlsx", plan)
    return folder / "kpi.xlsx", plan, folder


def test_second_authority_with_its_own_conditions_and_four_reports(second_la):
    kpi, plan, folder = second_la
    assert build(kpi, plan, folder / "out") == 0
    document = Document(folder / "out" / "LFI_DfE_return_2023-24_Q3.docx")
    text = text_of(document)
    assert ("Safety Valve Quarterly Monitoring Report – within Example Borough Council’s "
            "Inclusive Futures Programme* – 2023-24 Q3 (December 2023)") in text
    assert "Norfolk" not in text and "Local First Inclusion" not in text
    assert "31 December 2023 (final submitted to DfE)" in text
    assert "20 December 2023 (Cabinet member briefing)" in text
    assert "Signed off by Chief Finance Officer / Director of Children's Services" in text
    assert "Chief Finance Officer: J Smith" in text
    conditions = [t for t in document.tables if t.rows[0].cells[0].text == "Agreement Condition"]
    assert [t.rows[1].cells[0].text for t in conditions] == [
        f"Condition {n}: {text}" for n, text in enumerate(SECOND_CONDITIONS, start=1)]
    book = KpiBook(WorkbookValues(kpi))
    for table, row in zip(conditions, book.conditions, strict=True):
        assert [cell.text for cell in table.rows[1].cells[1:]] == ["Q1", "Q2", "Q3", "Q4"]
        assert [cell.text for cell in table.rows[2].cells[1:]] == [*row.values[:3], "–"]


def test_ribbon_button_builds_a_draft_next_to_the_workbook(kpi_book, plan_book,
                                                          monkeypatch):
    from lfi_xl import macros

    monkeypatch.chdir(kpi_book.parent)   # the JSON book's full name is its file name
    written = macros.BUTTONS["lfi_dfe_return"](json_book(kpi_book), plan_book)
    assert [path.name for path in written] == [
        "LFI_DfE_return_2023-24_Q3_DRAFT.docx", "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx",
        "LFI_DfE_DSG_plan_2023-24_Q3_DRAFT.xlsx", "manifest.json"]
    assert written[0].parent == Path(".")
    document = Document(written[0])
    assert "Condition 9: Implement Phase two" in text_of(document)


@pytest.mark.parametrize("name", ["kpi-everything-at-once", "kpi-renamed-Narrative-to-Narrative_23",
                                  "kpi-column-inserted-Conditions-A", "plan-everything-at-once"])
def test_council_rearranged_workbooks_build_the_same_return(name, tmp_path):
    """Sheets renamed, moved, hidden, rows and columns inserted, as councils do (corpus)."""
    import corpus

    variant = next(v for v in corpus.variants() if v.name == name)
    path = variant.make(tmp_path)
    kpi = path if name.startswith("kpi") else Path(shutil.copy(SHIPPED / c.KPI_WORKBOOK,
                                                               tmp_path / c.KPI_WORKBOOK))
    plan = path if name.startswith("plan") else Path(shutil.copy(SHIPPED / c.PLAN_WORKBOOK,
                                                                 tmp_path / c.PLAN_WORKBOOK))
    freeze(kpi, PERIOD, "--plan", str(plan))
    assert build(kpi, plan, tmp_path / "out", "--draft") == 0
    document = Document(tmp_path / "out" / "LFI_DfE_return_2023-24_Q3_DRAFT.docx")
    conditions = [t for t in document.tables if t.rows[0].cells[0].text == "Agreement Condition"]
    assert [t.rows[2].cells[3].text for t in conditions] == list("GGGGAAAAA")  # Q3
    evidence = document.tables[0].rows[2].cells[1].tables[0]
    assert [cell.text for cell in evidence.rows[1].cells][1:3] == ["25.149", "34.149"]
    copy = openpyxl.load_workbook(tmp_path / "out" / "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx")
    assert all(ws.sheet_state == "visible" for ws in copy.worksheets)


def test_sign_off_dates_setting_that_cannot_be_read_is_named(kpi_book, plan_book, tmp_path,
                                                             capsys):
    row = 5 + [key for key, *_ in c.SETTING_ROWS].index("SignOffSteps")
    edit(kpi_book, "Settings", {f"B{row}": "Executive Board: 12 Jun"})   # 1 date, 3 reports
    assert build(kpi_book, plan_book, tmp_path / "out", "--draft") == 1   # refused
    assert (f"Settings!B{row}: 'Executive Board: 12 Jun' must read 'name: day month, ...' "
            "with 3 dates") in capsys.readouterr().err
