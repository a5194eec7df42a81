"""Issue 27, finding 8: no average cost over fewer placements than the threshold leaves in
any output (the Forum paper with every average-cost KPI in its list, the DfE copies),
this period or the previous one, and its n is suppressed with it; the threshold cannot
be set below the safe minimum."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from helpers import edit

from lfi_xl import contract as c
from lfi_xl.adapters.files.reader import WorkbookValues
from lfi_xl.cli import main

PERIOD, BEFORE = "2023-24 Q3", "2023-24 Q2"


def n_row(path: Path) -> dict[int, dict[str, float]]:
    """The KPI sheet's own n row (KPI_Counts) by ref and period: how many placements
    each average is over, as the workbook computed them."""
    book = WorkbookValues(path)
    header, *rows = book.values(book.area(c.KPI_COUNTS))
    labels = header[8:]
    return {int(row[0]): dict(zip(labels, row[8:], strict=False)) for row in rows
            if isinstance(row[0], int | float)}


def every_average_in_the_forum_list(kpi: Path) -> None:
    refs = (*c.FORUM_DEFAULT_REFS,
            *(ref for ref in c.AVERAGE_COST_REFS if ref not in c.FORUM_DEFAULT_REFS))
    edit(kpi, "Settings", {"B13": ", ".join(map(str, refs))})


def test_the_forum_paper_publishes_no_average_over_few_placements(kpi_book, plan_book,
                                                                  tmp_path):
    every_average_in_the_forum_list(kpi_book)
    counts = n_row(kpi_book)
    small = {ref for ref in c.AVERAGE_COST_REFS
             if any(0 < (counts[ref].get(p) or 0) < 5 for p in (PERIOD, BEFORE))}
    assert small, "the template has averages over fewer than 5 placements"
    assert main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "--no-pdf",
                 "-o", str(tmp_path)]) == 0
    paper = openpyxl.load_workbook(tmp_path / "LFI_Schools_Forum_2023-24_Q3.xlsx")
    lines = {row[1]: row for row in paper["KPIs"].iter_rows(min_row=5, values_only=True)
             if isinstance(row[1], int)}
    for ref in c.AVERAGE_COST_REFS:
        _, _, measure, _, now, before, change, rag, _ = lines[ref][:9]
        for shown, period in ((now, PERIOD), (before, BEFORE)):
            n = counts[ref].get(period)
            if isinstance(shown, float | int):
                assert n is not None and n >= 5, (ref, period, shown, n)
        if ref in small:
            assert "c" in (now, before) and change in ("c", None) and rag in ("c", "", None)
        for k in range(1, 5):
            assert f"(n = {k})" not in measure, measure


def test_the_dfe_copies_hold_no_average_over_few_placements(kpi_book, plan_book, tmp_path):
    assert main(["dfe-return", "--kpi", str(kpi_book), "--plan", str(plan_book), "--draft",
                 "-o", str(tmp_path / "out")]) == 0
    counts = n_row(kpi_book)
    copy = WorkbookValues(tmp_path / "out" / "LFI_DfE_KPIs_2023-24_Q3_DRAFT.xlsx")
    rows = {int(row[0]): row for row in copy.sheet_values("KPIs")
            if row and isinstance(row[0], int | float) and row[2]
            and not str(row[2]).startswith("n for")}
    n_rows = {int(row[0]): row for row in copy.sheet_values("KPIs")
              if row and row[2] and str(row[2]).startswith("n for")}
    source = WorkbookValues(kpi_book)
    labels = source.values(source.area(c.KPI_PERIODS))[0]
    checked = 0
    for ref in c.AVERAGE_COST_REFS:
        for offset, label in enumerate(labels):
            shown, n_shown = rows[ref][8 + offset], n_rows[ref][8 + offset]
            n = counts[ref].get(label)
            if isinstance(n, int | float) and 0 < n < 5:
                assert shown in ("c", None) and n_shown == "c", (ref, label, shown)
                checked += 1
            if isinstance(shown, float):
                assert n is not None and n >= 5
    assert checked


@pytest.mark.parametrize("threshold", [0, 1, 4])
def test_a_threshold_below_the_safe_minimum_is_refused(kpi_book, plan_book, tmp_path, capsys,
                                                       threshold):
    edit(kpi_book, "Settings", {"B14": threshold})
    book = WorkbookValues(kpi_book)
    assert book.values(book.area(c.setting_name("SuppressionThreshold")))[0][0] == threshold
    capsys.readouterr()
    code = main(["extract", "--kpi", str(kpi_book), "--plan", str(plan_book), "--no-pdf",
                 "-o", str(tmp_path / "out")])
    said = capsys.readouterr()
    assert code != 0 and "from 5 to 1,000" in said.err
    assert not list((tmp_path / "out").glob("*.xlsx")) if (tmp_path / "out").exists() else True
    assert main(["validate", str(kpi_book)]) == 1
