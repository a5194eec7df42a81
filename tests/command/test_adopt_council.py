"""A council's own plan and KPI workbooks, laid out its own way (a table at an offset,
years as 2023/24, its own line wording, a subtotal, £m in the header, footnote marks, its
own KPI sheet, four reports a year), adopted without anyone else's settings: the Forum
paper rates KPIs 13 and 14 against the council's own direct and central spend, and a
draft DfE return builds on the pair."""

import json
import zipfile

import openpyxl
import pytest

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main

NAME = "Borsetshire County Council"
YEARS = ("2022/23", "2023/24", "2024/25", "2025/26", "2026/27")
#: (label as the council writes it, first-year value £m; later years fall 2% a year)
INCOME = (("High Needs Block DSG income\u00b9", -88.0), ("Schools block transfer (0.5%)", -2.4))
SPEND = (
    ("Special schools (maintained & academy)", 31.2),
    ("Resourced provision / SEN units", 7.4),
    ("Independent & non-maintained special schools*", 22.5),
    ("Post-16 & FE top-ups", 9.1),
    ("Mainstream EHCP top-ups", 12.6),
    ("Alternative provision", 5.8),
    ("Central SEN services & hospital education", 7.0),
)
DIRECT, CENTRAL = 31.2 + 7.4 + 22.5 + 9.1 + 12.6 + 5.8, 7.0
OPENING = 20.0
DFE, LA = -3.0, -1.0
PERIODS = ("2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4")


def series(first):
    return [round(first * 0.98 ** k, 3) for k in range(len(YEARS))]


def borsetshire_plan(path, title=True, dfe=True):
    """The plan at C8 (labels) / E8 onwards (years), the council's wording, a subtotal,
    footnotes, totals and balances as values (the file as Excel saved it)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DSG plan"
    if title:
        ws["B2"] = f"{NAME}: DSG deficit management plan (submitted June 2023)"
    ws["C8"] = "£m"
    for k, year in enumerate(YEARS):
        ws.cell(8, 5 + k, year)
    row = 9
    income = [series(v) for _, v in INCOME]
    spend = [series(v) for _, v in SPEND]
    total_income = [round(sum(v[k] for v in income), 3) for k in range(len(YEARS))]
    total_spend = [round(sum(v[k] for v in spend), 3) for k in range(len(YEARS))]
    in_year = [round(s + i, 3) for s, i in zip(total_spend, total_income, strict=True)]
    before, after, b, a = [], [], OPENING, OPENING
    for k in range(len(YEARS)):
        b, a = b + in_year[k], a + in_year[k] + (DFE if dfe else 0) + LA
        before.append(round(b, 3))
        after.append(round(a, 3))

    def line(label, values):
        nonlocal row
        ws.cell(row, 3, label)
        for k, value in enumerate(values):
            ws.cell(row, 5 + k, value)
        row += 1

    for (label, _), values in zip(INCOME, income, strict=True):
        line(label, values)
    line("Total income", total_income)
    row += 1
    for (label, _), values in zip(SPEND[:5], spend[:5], strict=True):
        line(label, values)
    line("Subtotal: placements and top-ups",
         [round(sum(v[k] for v in spend[:5]), 3) for k in range(len(YEARS))])
    for (label, _), values in zip(SPEND[5:], spend[5:], strict=True):
        line(label, values)
    line("Total expenditure (\u00a3m)", total_spend)
    line("In-year deficit/(surplus)", in_year)
    line("Cumulative deficit before Safety Valve funding", before)
    if dfe:
        line("DfE Safety Valve contribution", [DFE] * len(YEARS))
    line("Council contribution", [LA] * len(YEARS))
    line("Cumulative deficit after Safety Valve funding", after)
    ws.cell(row + 1, 3, "\u00b9 Provisional allocation. * Includes non-maintained schools.")
    wb.save(path)
    return path


def borsetshire_kpis(path):
    """The council's own KPI sheet: Ref and measure, then four reports of 2023-24."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Our KPIs"
    ws["A1"] = f"{NAME} - KPI tracker"
    ws.cell(3, 2, "Ref")
    ws.cell(3, 3, "KPI")
    for k, period in enumerate(PERIODS):
        ws.cell(3, 4 + k, period)
    for offset, kpi in enumerate(c.KPIS):
        row = 4 + offset
        ws.cell(row, 2, kpi.ref)
        ws.cell(row, 3, kpi.measure)
        for k in range(len(PERIODS)):
            value = 10.0 + kpi.ref + k
            if kpi.ref == 11:   # HNB surplus/deficit counts a surplus positive: -KPI 16
                value = -(10.0 + 16 + k)
            elif kpi.ref == 13:
                value = round(DIRECT * 0.98, 3)  # this year's direct spend, as planned
            elif kpi.ref == 14:
                value = round(CENTRAL * 0.98, 3)
            elif kpi.unit == "%":
                value = 0.01 * (1 + k)
            ws.cell(row, 4 + k, value)
    wb.save(path)
    return path


def package_text(path):
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace")
                         for name in archive.namelist() if name.endswith(".xml"))


def settings_of(path):
    book = WorkbookValues(path)
    return {key: book.values(book.require(c.setting_name(key)))[0][0]
            for key, *_ in c.SETTING_ROWS}


def test_adopt_needs_the_councils_name_and_never_writes_anothers(tmp_path, capsys):
    plan = borsetshire_plan(tmp_path / "plan.xlsx", title=False)
    before = plan.read_bytes()
    assert main(["adopt", str(plan)]) == 2
    assert capsys.readouterr().err.rstrip().endswith(
        '(or name the council: --authority "NAME")')
    assert plan.read_bytes() == before
    assert main(["adopt", str(plan), "--authority", NAME]) == 0
    assert settings_of(plan)["LAName"] == NAME


def test_a_councils_own_workbooks_adopted_rated_and_returned(tmp_path, capsys):
    plan = borsetshire_plan(tmp_path / "plan.xlsx")
    kpis = borsetshire_kpis(tmp_path / "kpis.xlsx")
    assert main(["adopt", str(plan), "--reports", "4"]) == 0  # a plan has no report columns
    out = capsys.readouterr().out
    assert f"Authority: '{NAME}' (read from 'DSG plan'!B2; if that is not the council, " \
           "change it on the Settings sheet)" in out
    assert "Line kinds: 6 direct and 1 central expenditure line(s), 0 not placed" in out
    assert main(["adopt", str(kpis)]) == 0
    out = capsys.readouterr().out
    assert "Reports a year: 4 (the KPI table's report columns go to Q4)" in out
    assert "Added the sheets 'Conditions' and 'Narrative'" in out
    for path in (plan, kpis):
        settings = settings_of(path)
        assert settings["LAName"] == NAME and settings["Illustrative"] == "No"
        assert settings["ReportsPerYear"] == 4
        assert settings["DueDates"] == "16 Jun, 15 Sep, 15 Dec, 15 Mar"
        text = package_text(path)
        for trace in ("Norfolk", "Local First Inclusion", "Executive Board", "NCC"):
            assert trace not in text, (path.name, trace)
    assert settings_of(kpis)["CurrentPeriod"] == "2023-24 Q4"

    # the classification, where the council sees and corrects it
    book = WorkbookValues(plan)
    kinds = book.values(book.require(c.LINE_KINDS_TABLE))
    counts = {row[0]: row[2] for row in kinds[1:]}
    assert counts["Central SEN services & hospital education"] == "expenditure: central"
    for label in ("Special schools (maintained & academy)", "Resourced provision / SEN units",
                  "Post-16 & FE top-ups", "Mainstream EHCP top-ups"):
        assert counts[label] == "expenditure: direct", label
    assert main(["plan", str(plan), "--json"]) == 0
    computed = json.loads(capsys.readouterr().out)
    assert computed["direct_spend"][1] == pytest.approx(DIRECT * 0.98, abs=0.002)
    assert computed["central_spend"][1] == pytest.approx(CENTRAL * 0.98, abs=1e-6)
    assert computed["total_expenditure"][1] == pytest.approx((DIRECT + CENTRAL) * 0.98,
                                                             abs=0.002)

    # the Forum paper rates KPIs 13 and 14 against the council's own direct and central
    assert main(["validate", str(plan), str(kpis)]) == 0, capsys.readouterr().out
    assert main(["extract", "--kpi", str(kpis), "--plan", str(plan), "-o", str(tmp_path),
                 "--no-pdf"]) == 0
    paper = openpyxl.load_workbook(next(tmp_path.glob("*2023-24_Q4.xlsx")))
    rows = {row[1]: row for row in paper["KPIs"].iter_rows(min_row=4, values_only=True)}
    for ref in (13, 14):
        assert "G" in rows[ref], rows[ref]  # on plan: green
    assert NAME in str(paper["Summary"]["A1"].value)
    assert "Local First Inclusion" not in package_text(next(tmp_path.glob("*Q4.xlsx")))

    # a correction on the Line kinds sheet is what the KPIs rate against
    from helpers import edit
    central_row = next(k for k, row in enumerate(kinds) if row[0].startswith("Central"))
    edit(plan, c.LINE_KINDS, {f"C{1 + central_row}": "expenditure: direct"})
    capsys.readouterr()
    assert main(["plan", str(plan), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["central_spend"][1] == 0

    # a draft DfE return builds on the adopted pair
    assert main(["dfe-return", "--kpi", str(kpis), "--plan", str(plan), "--draft",
                 "-o", str(tmp_path / "dfe")]) == 0, capsys.readouterr()
    assert any((tmp_path / "dfe").rglob("*.docx"))


def test_a_plan_without_dfe_money_is_adopted_as_no_agreement(tmp_path, capsys):
    plan = borsetshire_plan(tmp_path / "plan.xlsx", dfe=False)
    assert main(["adopt", str(plan)]) == 0
    assert "no Safety Valve agreement" in capsys.readouterr().out
    settings = settings_of(plan)
    assert settings["SafetyValve"] == "No" and settings["ProgrammeName"] == "DSG management plan"
    assert main(["validate", str(plan)]) == 0, capsys.readouterr().out


def test_adopted_conditions_and_narrative_print_the_reports_so_far(tmp_path, capsys):
    """A council's KPI sheet made with next year's report columns already there, empty:
    the Conditions and Narrative sheets adopt adds print through the current report, and
    start-period moves that on, as on the shipped sheets."""
    kpis = borsetshire_kpis(tmp_path / "kpis.xlsx")
    wb = openpyxl.load_workbook(kpis)
    ws = wb["Our KPIs"]
    for k, period in enumerate(("2024-25 Q1", "2024-25 Q2"), start=len(PERIODS)):
        ws.cell(3, 4 + k, period)
    wb.save(kpis)
    assert main(["adopt", str(kpis), "--authority", NAME]) == 0
    assert settings_of(kpis)["CurrentPeriod"] == "2023-24 Q4"

    def printed():
        book = openpyxl.load_workbook(kpis)
        return {sheet: book[sheet].print_area for sheet in ("Conditions", "Narrative")}

    # #, Item, then 2023-24 Q1-Q4 (C:F); 2024-25's two columns are not printed yet
    assert printed() == {"Conditions": "'Conditions'!$A$1:$F$13",
                         "Narrative": "'Narrative'!$A$1:$F$23"}
    capsys.readouterr()
    assert main(["start-period", "--kpi", str(kpis)]) == 0, capsys.readouterr()
    assert printed() == {"Conditions": "'Conditions'!$A$1:$G$13",
                         "Narrative": "'Narrative'!$A$1:$G$23"}
