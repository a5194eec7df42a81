"""The Schools Forum extract: its figures against the sources, and what a public paper
must and must not carry."""

import re
import subprocess
import zipfile

import openpyxl
import pytest
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues, read_plan
from lfi_xl.cli import main
from lfi_xl.core.plan import compute_plan
from lfi_xl.core.shown import displayed
from lfi_xl.data import published


def run(kpi_book, plan_book, out, *extra):
    return main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "-o", str(out),
                 *extra])


def test_provisional_extract_matches_the_sources(kpi_book, plan_book, tmp_path, capsys):
    assert run(kpi_book, plan_book, tmp_path / "out", "--no-pdf") == 0
    path = tmp_path / "out" / "LFI_Schools_Forum_2023-24_Q3.xlsx"
    assert str(path) in capsys.readouterr().out
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "KPIs", "Variance", "DSG plan", "Demand",
                             "EHCP referrals", "About this paper"]
    about = {row[0]: row[1] for row in wb["About this paper"].iter_rows(values_only=True)}
    assert about["Status"] == "provisional - not frozen"
    assert about["Report period"] == "2023-24 Q3"
    kpis = list(wb["KPIs"].iter_rows(min_row=5, max_row=19, values_only=True))
    assert [row[1] for row in kpis] == list(c.FORUM_DEFAULT_REFS)
    assert [row[0] for row in kpis] == [*range(8, 18), *range(33, 38)]
    source = WorkbookValues(kpi_book)
    column = 2  # 2023-24 Q3 is the third report column
    for row in kpis:  # each with the sign it has in the workbook (and the DfE copy), as
        live = source.read(c.kpi_name(row[1]))[1][0]   # its cell shows it: rounded
        assert row[4] == displayed(live[column], c.UNIT_FORMATS[row[3]]), row
        assert row[5] == displayed(live[column - 1], c.UNIT_FORMATS[row[3]]), row
    funding_gap = next(row for row in kpis if row[1] == 19)
    assert funding_gap[4:7] == (0.253, 0.186, 6.7)   # the change in percentage points
    ehcp_schools = next(row for row in kpis if row[1] == 6)
    assert ehcp_schools[6] == 330 - 265 and ehcp_schools[8] == "previous report"
    assert ehcp_schools[7] == "R"  # referrals up 24.5% on the previous report
    in_year = next(row for row in kpis if row[1] == 16)
    assert in_year[8] == "plan 2023/24" and in_year[7] == "R"   # 34.149 against 25.149
    plan = compute_plan(read_plan(plan_book))
    forecast = compute_plan(read_plan(plan_book, "Forecast"))
    rows = {row[0]: row[1:] for row in wb["DSG plan"].iter_rows(values_only=True) if row[0]}
    header_rows = [row for row in wb["DSG plan"].iter_rows(values_only=True)
                   if row[0] in ("Plan (as agreed)", "Latest forecast")]
    assert header_rows[0][1:] == plan.years
    values = [row for row in wb["DSG plan"].iter_rows(values_only=True)
              if row[0] == "Cumulative balance after Safety Valve funding as agreed"]
    published_rows = {line_id: values for line_id, *_, values in published.LINES}
    assert values[0][1:] == tuple(published_rows["cumulative_after_sv"])  # as agreed
    assert values[0][1:] == pytest.approx(list(plan.cumulative_after_sv), abs=0.0035)
    assert values[1][1:] == pytest.approx(list(forecast.cumulative_after_sv))
    assert rows["Total income"] == pytest.approx(list(forecast.total_income))  # the last


def test_frozen_extract_uses_the_snapshot(kpi_book, plan_book, tmp_path, capsys):
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "x"]) == 0
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf") == 0
    wb = openpyxl.load_workbook(tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx")
    about = [row for row in wb["About this paper"].iter_rows(values_only=True)]
    assert ("Status", "Frozen: snapshot 1 of 2023-24 Q3") in about
    assert any(row[0] == "2023-24 Q3" and str(row[1]).startswith("SHA-256 ") for row in about)
    pex = next(row for row in wb["KPIs"].iter_rows(min_row=5, values_only=True)
               if row[1] == 45)
    assert pex[4] == 31
    assert not any(sheet["A2"].value for sheet in wb if "FROZEN" in str(sheet["A2"].value))


def test_a_frozen_figure_typed_over_stops_the_paper_or_is_published_under_a_banner(
        kpi_book, plan_book, tmp_path, capsys):
    assert main(["freeze", str(kpi_book), "--period", "2023-24 Q3", "--by", "x"]) == 0
    edit(kpi_book, "KPIs", {"K52": 99})  # typed over after freezing
    capsys.readouterr()
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf") == 1   # refused
    message = capsys.readouterr().err
    assert "KPIs!K52" in message and "superseding its snapshot" in message
    assert "(to do it all the same: --allow-edited)" in message
    assert not list(tmp_path.glob("LFI_*"))
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf", "--allow-edited") == 0
    wb = openpyxl.load_workbook(tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx")
    for sheet in wb:  # every page says so, and shows the frozen figure, not the edit
        assert "FIGURES EDITED AFTER FREEZING: KPIs!K52" in sheet["A2"].value, sheet.title
        assert "FIGURES EDITED AFTER FREEZING" in sheet.oddHeader.center.text
    pex = next(row for row in wb["KPIs"].iter_rows(min_row=5, values_only=True)
               if row[1] == 45)
    assert pex[4] == 31


def test_a_public_paper_has_no_formulas_links_macros_or_hidden_sheets(kpi_book, plan_book,
                                                                        tmp_path):
    edit(kpi_book, "Settings", {"B5": '=HYPERLINK("http://x","click")'})
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf") == 0
    path = tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx"
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    assert not [n for n in names if "externalLink" in n or "vbaProject" in n]
    assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(names)
    for name in names:
        if name.startswith("xl/worksheets/sheet"):
            assert "<f>" not in archive.read(name).decode(), name
    assert 'state="hidden"' not in archive.read("xl/workbook.xml").decode()
    summary = openpyxl.load_workbook(path)["Summary"]
    assert summary["A1"].value.startswith('=HYPERLINK("http://x","click"): ')
    assert summary["A1"].data_type == "s"  # text, not a formula


def test_extract_refuses_a_kpi_that_is_not_a_figure(kpi_book, plan_book, tmp_path, capsys):
    edit(kpi_book, "KPIs", {"K23": "#REF!"})
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf") == 1   # validate's words
    assert ("KPIs!K23: KPI 16 for 2023-24 Q3 shows #REF!, typed over its formula, but its "
            "inputs give 34.149: restore the formula") in capsys.readouterr().err


def test_the_pdf_has_readable_tables_and_charts(kpi_book, plan_book, tmp_path):
    assert run(kpi_book, plan_book, tmp_path, "--pdf") == 0
    pdf = tmp_path / "LFI_Schools_Forum_2023-24_Q3.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Schools Forum KPIs: 2023-24 Q3" in text and "PEX numbers" in text
    assert re.search(r"Cumulative balance after Safety Valve funding as\s+45\.613", text)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 7
    # The variance, plan, demand and referral pages carry charts: far more ink than text.
    assert all(page.stat().st_size > 15_000 for page in pages[2:6])


def test_small_counts_are_suppressed_with_what_would_reveal_them(kpi_book, plan_book,
                                                                   tmp_path):
    edit(kpi_book, "KPIs", {"K52": 3, "J14": 4})  # PEX 2023-24 Q3; parents' referrals Q2
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf") == 0
    wb = openpyxl.load_workbook(tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx")
    rows = {row[1]: row for row in wb["KPIs"].iter_rows(min_row=5, max_row=19,
                                                         values_only=True)}
    assert rows[45][4:8] == ("c", 24, "c", "c")    # current hidden: change and RAG too
    assert rows[7][4:8] == (205, "c", "c", "c")    # previous hidden: the change reveals it
    assert rows[6][4:8] == (330, 265, 65, "R")     # large counts are shown
    referrals = list(wb["EHCP referrals"].iter_rows(min_row=5, values_only=True))
    assert referrals[1][:3] == ("2023-24 Q2", 265, "c")
    notes = [row[0] for row in wb["KPIs"].iter_rows(min_row=20, values_only=True) if row[0]]
    assert any(note.startswith("c: a count below 5") for note in notes)


def test_a_stale_finance_kpi_never_reaches_the_paper(kpi_book, plan_book, tmp_path, capsys):
    edit(kpi_book, "Plan Data", {"E10": 30.0})  # the in-year for Q3, not recalculated
    assert run(kpi_book, plan_book, tmp_path, "--no-pdf") == 1
    message = capsys.readouterr().err
    assert ("'Plan Data'!E10: Plan Data's In-year +deficit/-surplus (£m) for 2023-24 Q3 is "
            "30.000 but the plan workbook's latest forecast for 2023/24 gives 34.149") in message
    assert "(and 3 more: lfi-xl validate, or Validate entries" in message  # KPIs 11, 16, 19
    assert not list(tmp_path.glob("LFI_*"))
