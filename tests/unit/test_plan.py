"""The plan engine against Norfolk's published table (Schools Forum, 17 May 2023)."""

import numpy as np
import pytest

from lfi_xl.core import plan as p
from lfi_xl.core.plan import Plan, PlanError, PlanLine, compute_plan, cumulative_balance
from lfi_xl.data import published

PUBLISHED = {line_id: values for line_id, _, _, _, values in published.LINES}


def printed(line_id):
    return np.array([np.nan if v is None else v for v in PUBLISHED[line_id]])


def test_opening_balance_is_derived_from_the_printed_table():
    assert compute_plan(published.published_plan()).opening_balance == pytest.approx(53.976,
                                                                                      abs=1e-9)


def test_printed_in_year_and_contributions_reproduce_every_printed_cumulative():
    before = cumulative_balance(53.976, printed("in_year"))
    after = cumulative_balance(53.976, printed("in_year"), printed("dfe_contribution"),
                               printed("la_contribution"))
    np.testing.assert_allclose(before, printed("cumulative_before_sv"), atol=0.002)
    np.testing.assert_allclose(after, printed("cumulative_after_sv"), atol=0.002)
    assert after[-1] == pytest.approx(0.0, abs=0.002)


def test_contribution_totals():
    result = compute_plan(published.published_plan())
    assert result.dfe.sum() == pytest.approx(-70.000, abs=1e-9)
    assert result.la.sum() == pytest.approx(-32.423, abs=1e-9)


def test_computed_from_lines():
    result = compute_plan(published.published_plan())
    # Line items sum to the printed totals within the rounding that reconcile() reports.
    np.testing.assert_allclose(result.total_income, printed("total_income"), atol=0.001)
    np.testing.assert_allclose(result.total_expenditure, printed("total_expenditure"),
                               atol=0.001)
    np.testing.assert_allclose(result.in_year, printed("in_year"), atol=0.001)
    # Carried forward, the £1k roundings of the line items add up to at most £3k.
    np.testing.assert_allclose(result.cumulative_after_sv, printed("cumulative_after_sv"),
                               atol=0.003 + 1e-9)
    assert result.cumulative_after_sv[-1] == pytest.approx(0.003, abs=1e-9)
    assert result.first_balanced_year == "2027/28"
    assert result.reaches_zero


def test_after_dfe_only_leaves_the_council_share_uncleared():
    result = compute_plan(published.published_plan())
    assert result.cumulative_after_dfe[-1] == pytest.approx(32.423 + 0.003, abs=1e-9)


def test_funding_gap_methods():
    result = compute_plan(published.published_plan())
    assert round(result.funding_gap[0] * 100, 2) == 16.29  # 19.637 / 120.578
    b = compute_plan(published.published_plan(), "B").funding_gap[0]
    assert b == pytest.approx(19.637 / (120.578 + 8.529))
    c = compute_plan(published.published_plan(), "c").funding_gap[0]
    assert c == pytest.approx((148.744 - 120.578) / 120.578)
    with pytest.raises(ValueError, match="A, B or C"):
        p.funding_gap([1.0], [2.0], "D")


def test_funding_gap_never_divides_by_zero():
    gap = p.funding_gap([1.0, 2.0, 3.0], [0.0, np.nan, -10.0])
    assert np.isnan(gap[0]) and np.isnan(gap[1]) and gap[2] == pytest.approx(0.3)


def test_blanks_count_as_zero_in_balances():
    assert cumulative_balance(1.0, [np.nan, 2.0], la=[np.nan, np.nan]).tolist() == [1.0, 3.0]


def test_another_council_with_other_lines_and_no_printed_totals():
    """Made-up figures: nothing about Norfolk is built into the engine."""
    plan = Plan(
        years=("2024/25", "2025/26", "2026/27"),
        lines=(
            PlanLine("grant", "High needs grant", p.INCOME, [-50.0, -52.0, -55.0], p.ALLOCATION),
            PlanLine("top_up", "Top-up funding", p.EXPENDITURE, [40.0, 41.0, 42.0], p.DIRECT),
            PlanLine("place", "Place funding", p.EXPENDITURE, [14.0, 12.5, 11.0], p.DIRECT),
            PlanLine("team", "SEN support team", p.EXPENDITURE, [1.0, 1.0, 1.0], p.CENTRAL),
            PlanLine("dfe", "DfE", p.DFE, [-3.0, -3.0, -4.0]),
        ),
        opening_balance=12.0,
    )
    result = compute_plan(plan)
    np.testing.assert_allclose(result.in_year, [5.0, 2.5, -1.0])
    np.testing.assert_allclose(result.cumulative_before_sv, [17.0, 19.5, 18.5])
    np.testing.assert_allclose(result.cumulative_after_sv, [14.0, 13.5, 8.5])
    np.testing.assert_allclose(result.direct_spend, [54.0, 53.5, 53.0])
    np.testing.assert_allclose(result.central_spend, [1.0, 1.0, 1.0])
    assert result.la.tolist() == [0.0, 0.0, 0.0]
    assert result.first_balanced_year == "2026/27"
    assert not result.reaches_zero


def test_a_plan_without_opening_balance_or_printed_cumulative_is_refused():
    plan = Plan(("2024/25",), (PlanLine("x", "Income", p.INCOME, [-1.0]),))
    with pytest.raises(PlanError, match="no opening balance"):
        compute_plan(plan)


def test_lines_must_cover_every_year():
    with pytest.raises(PlanError, match="2 values for 3 years"):
        Plan(("a", "b", "c"), (PlanLine("x", "Income", p.INCOME, [1.0, 2.0]),))


def test_the_plan_table_names_what_each_funding_gap_method_divides(capsys):
    from pathlib import Path

    from lfi_xl.cli import main

    shipped = str(Path(__file__).resolve().parents[2] / "workbooks" / "dsg_plan.xlsx")
    for method, label in (("A", "Funding gap as % of HNB allocation   "),
                          ("B", "Funding gap as % of HNB allocation + block transfers"),
                          ("C", "Funding gap (expenditure - allocation) as % of HNB allocation")):
        assert main(["plan", shipped, "--method", method]) == 0
        out = capsys.readouterr().out
        assert label in out and f"Funding gap method {method}." in out
