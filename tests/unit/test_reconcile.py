"""Printed totals against their terms: rounding is reported as rounding, errors as errors."""

import dataclasses

import numpy as np

from lfi_xl.core.plan import Plan
from lfi_xl.core.reconcile import ERROR, ROUNDING, errors, reconcile
from lfi_xl.data import published


def findings(plan):
    return {(d.line_id, d.year): d for d in reconcile(plan)}


def test_known_rounding_differences_are_rounding_not_errors():
    found = findings(published.published_plan())
    income = found[("total_income", "2023/24")]
    assert (income.printed, round(income.recomputed, 3), income.kind) == (-144.228, -144.227,
                                                                          ROUNDING)
    spend = found[("total_expenditure", "2024/25")]
    assert (spend.printed, round(spend.recomputed, 3), spend.kind) == (171.112, 171.113,
                                                                       ROUNDING)
    assert spend.terms == 12
    assert errors(list(found.values())) == []


def with_value(plan, line_id, year_index, delta):
    lines = []
    for line in plan.lines:
        if line.id == line_id:
            values = line.values.copy()
            values[year_index] += delta
            line = dataclasses.replace(line, values=values)
        lines.append(line)
    return Plan(plan.years, tuple(lines), plan.opening_balance)


def test_a_total_off_by_one_million_is_an_error_naming_line_and_year():
    plan = with_value(published.published_plan(), "total_expenditure", 3, 1.000)
    wrong = errors(reconcile(plan))
    assert [(d.line_id, d.year) for d in wrong][0] == ("total_expenditure", "2025/26")
    message = wrong[0].message()
    assert "Total Expenditure 2025/26" in message and "real difference" in message
    assert wrong[0].kind == ERROR


def test_a_wrong_input_line_shows_in_its_total():
    plan = with_value(published.published_plan(), "independent_special", 1, 1.0)
    wrong = errors(reconcile(plan))
    assert ("total_expenditure", "2023/24") in [(d.line_id, d.year) for d in wrong]


def test_a_wrong_cumulative_is_an_error_in_that_year_and_the_next():
    plan = with_value(published.published_plan(), "cumulative_after_sv", 4, -1.0)
    years = [d.year for d in errors(reconcile(plan)) if d.line_id == "cumulative_after_sv"]
    assert years == ["2026/27", "2027/28"]


def test_blank_printed_cells_are_not_checked():
    plan = with_value(published.published_plan(), "total_income", 0, np.nan)
    assert ("total_income", "2022/23") not in findings(plan)
