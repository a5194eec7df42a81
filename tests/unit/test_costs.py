"""Average placement costs: FTE, Excel criteria, weighted averages and their n."""

import datetime as dt
import math
import operator

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lfi_xl.core.costs import (
    NoMatch,
    average_cost,
    count_placements,
    exact_sum,
    from_serial,
    fte,
    matches,
    serial,
    typed_number,
)
from lfi_xl.core.values import BadValue

NAN = np.nan
APR_2023 = 45017.0  # 2023-04-01
MAR_2024 = 45382.0  # 2024-03-31: the 2023-24 financial year has 366 days (29 Feb 2024)


def day(year, month, d):
    return serial(dt.date(year, month, d))


def cells(*values):
    return np.array(values, dtype=object)


# Excel serial numbers


def test_serial_anchors():
    assert serial(dt.date(2023, 4, 1)) == APR_2023
    assert serial(dt.date(2024, 3, 31)) == MAR_2024
    assert serial(dt.date(1900, 1, 1)) == 1
    assert serial(dt.date(1900, 2, 28)) == 59
    assert serial(dt.date(1900, 3, 1)) == 61  # 60 is Excel's fictitious 29 February 1900
    assert serial(dt.datetime(2023, 4, 1, 18)) == 45017.75


def test_from_serial():
    assert from_serial(45017.0) == dt.date(2023, 4, 1)
    assert from_serial(45017.75) == dt.date(2023, 4, 1)
    assert from_serial(1) == dt.date(1900, 1, 1)
    assert from_serial(59) == dt.date(1900, 2, 28)
    assert from_serial(61) == dt.date(1900, 3, 1)
    assert from_serial(2958465) == dt.date(9999, 12, 31)
    for bad in (60, 0, -5, NAN, 2958466):
        with pytest.raises(ValueError):
            from_serial(bad)
    with pytest.raises(ValueError):
        serial(dt.date(1899, 12, 31))


@given(st.dates(min_value=dt.date(1900, 1, 1)))
def test_serial_round_trip(date):
    assert from_serial(serial(date)) == date


# FTE


def test_fte_partial_overlap_the_brief_example():
    # Open since 1 May 2023; April-July 2023 is 122 days, 92 of them from 1 May.
    got = fte([day(2023, 5, 1)], [NAN], APR_2023, day(2023, 7, 31))
    assert got.tolist() == [92 / 122]


def test_fte_cases_over_the_financial_year():
    start = np.array([
        day(2023, 10, 1),  # open, second half of the year: 183 of 366 days
        day(2022, 9, 1),  # ended before the year
        day(2024, 4, 1),  # starts after the year
        day(2021, 9, 1),  # spans the whole year
        day(2022, 9, 1),  # ends on the first day of the year: one day
        day(2023, 4, 1),  # ends 30 September 2023: 183 days
        day(2024, 3, 31),  # one day, the last
    ])
    end = np.array([NAN, day(2023, 3, 31), NAN, day(2025, 7, 31), APR_2023,
                    day(2023, 9, 30), day(2024, 3, 31)])
    got = fte(start, end, APR_2023, MAR_2024)
    np.testing.assert_allclose(got, [183 / 366, 0, 0, 1, 1 / 366, 183 / 366, 1 / 366])
    assert got[0] == 0.5


def test_fte_invalid_rows_are_nan():
    got = fte([NAN, day(2023, 6, 1), NAN, day(2023, 5, 1)],
              [day(2023, 6, 1), day(2023, 5, 31), NAN, day(2023, 5, 1)], APR_2023, MAR_2024)
    assert np.isnan(got[:2]).all()  # no start; end before start
    assert got[2] == 0  # an empty row of the register: no placement
    assert got[3] == 1 / 366  # a one-day placement is valid


def test_fte_accepts_blank_cells_as_none_and_drops_times_of_day():
    got = fte([day(2023, 5, 1) + 0.75, None], [None, None], APR_2023, day(2023, 7, 31))
    assert got[0] == 92 / 122 and got[1] == 0


def test_fte_bad_periods():
    with pytest.raises(ValueError, match="before it starts"):
        fte([APR_2023], [NAN], MAR_2024, APR_2023)
    with pytest.raises(ValueError):
        fte([APR_2023], [NAN], NAN, MAR_2024)
    with pytest.raises(ValueError, match="start dates"):
        fte([APR_2023, APR_2023], [NAN], APR_2023, MAR_2024)
    assert fte([APR_2023], [NAN], APR_2023, APR_2023).tolist() == [1.0]  # a one-day period


@given(st.lists(st.tuples(st.integers(0, 40), st.one_of(st.none(), st.integers(0, 40))),
                max_size=15),
       st.integers(5, 20), st.integers(0, 20))
def test_fte_agrees_with_counting_days(rows, first, length):
    last = first + length
    start = np.array([s for s, _ in rows], dtype=float)
    end = np.array([NAN if e is None else e for _, e in rows], dtype=float)
    got = fte(start, end, first, last)
    for (s, e), value in zip(rows, got, strict=True):
        if e is not None and e < s:
            assert math.isnan(value)
            continue
        active = sum(1 for d in range(first, last + 1) if s <= d and (e is None or d <= e))
        assert value == pytest.approx(active / (length + 1))


# Criteria


def test_numbers():
    values = cells(5, 5.0, "5", 6, None, "five")
    assert matches(values, 5).tolist() == [True, True, True, False, False, False]
    assert matches(values, "=5").tolist() == [True, True, True, False, False, False]
    assert matches(np.array([5.0, NAN, 6.0]), 5.0).tolist() == [True, False, False]


def test_operators_on_dates():
    start = np.array([45016.0, APR_2023, 45100.0, NAN])
    assert matches(start, ">=45017").tolist() == [False, True, True, False]
    assert matches(start, ">45017").tolist() == [False, False, True, False]
    assert matches(start, "<45017").tolist() == [True, False, False, False]
    assert matches(start, "<=45017").tolist() == [True, True, False, False]
    assert matches(start, "<>45017").tolist() == [True, False, True, True]  # blank included
    assert matches(start, "=45017").tolist() == [False, True, False, False]


def test_ordering_only_matches_numbers():
    values = cells(10, "20", None, "abc", 3.5)
    assert matches(values, ">5").tolist() == [True, False, False, False, False]
    assert matches(values, "<=10").tolist() == [True, False, False, False, True]


def test_text_ordering_is_case_insensitive_and_only_text():
    values = cells("apple", "Banana", 5, None, "cherry")
    assert matches(values, "<b").tolist() == [True, False, False, False, False]
    assert matches(values, ">=BANANA").tolist() == [False, True, False, False, True]


def test_wildcards_and_case():
    values = cells("Independent special", "INDEPENDENT AP", "State special", "AP", None,
                   "independent")
    assert matches(values, "independent*").tolist() == [True, True, False, False, False, True]
    assert matches(values, "*SPECIAL").tolist() == [True, False, True, False, False, False]
    assert matches(values, "?P").tolist() == [False, False, False, True, False, False]
    assert matches(values, "state ?pecial").tolist() == [False, False, True, False, False,
                                                          False]
    assert matches(values, "Independent").tolist() == [False, False, False, False, False, True]


def test_regex_characters_are_literal():
    values = cells("a.c", "abc", "(x)", "a+")
    assert matches(values, "a.c").tolist() == [True, False, False, False]
    assert matches(values, "(x)").tolist() == [False, False, True, False]
    assert matches(values, "a+").tolist() == [False, False, False, True]


def test_tilde_escapes():
    values = cells("5*", "55", "5~", "5?", "a~b")
    assert matches(values, "5~*").tolist() == [True, False, False, False, False]
    assert matches(values, "5~?").tolist() == [False, False, False, True, False]
    assert matches(values, "5~~").tolist() == [False, False, True, False, False]
    assert matches(values, "a~b").tolist() == [False, False, False, False, True]  # literal ~
    assert matches(values, "5*").tolist() == [True, True, True, True, False]


def test_blanks():
    values = cells("Out", None, NAN, "", 0, "in")
    blank = [False, True, True, True, False, False]
    assert matches(values, "").tolist() == blank
    assert matches(values, "=").tolist() == blank
    assert matches(values, "<>").tolist() == [not b for b in blank]
    assert matches(np.array([1.0, NAN]), "").tolist() == [False, True]
    assert matches(np.array([1.0, NAN]), "<>").tolist() == [True, False]


def test_not_equal_text_includes_blanks_and_numbers():
    values = cells("Out of county", "OUT OF COUNTY", "In county", None, 7)
    assert matches(values, "<>Out of county").tolist() == [False, False, True, True, True]
    assert matches(np.array([1.0, NAN]), "<>Out").tolist() == [True, True]
    assert matches(np.array([1.0, NAN]), "Out").tolist() == [False, False]


def test_empty_criterion_cell_is_zero_as_in_excel():
    assert matches(cells(0, None, 1, ""), None).tolist() == [True, False, False, False]


def test_logical_values_match_only_logical_criteria_as_in_excel():
    # Excel: COUNTIF({TRUE,FALSE,1,0,"TRUE"}, TRUE) is 1; a number never matches a logical
    values = cells(True, False, 1, 0, "TRUE")
    assert matches(values, True).tolist() == [True, False, False, False, False]
    assert matches(values, "FALSE").tolist() == [False, True, False, False, False]
    assert matches(values, 1).tolist() == [False, False, True, False, False]
    assert matches(np.array([True, False]), 1).tolist() == [False, False]
    assert matches(values, "<>TRUE").tolist() == [False, True, True, True, True]


def test_inputs_lists_strings_and_cells_of_numbers():
    assert matches(["AP", None, "ap"], "AP").tolist() == [True, False, True]
    assert matches(np.array(["AP", "", "x"]), "<>").tolist() == [True, False, True]
    assert matches(cells(45017.0, None, 45100), ">45017").tolist() == [False, False, True]
    assert matches([[1], [2]], 2).tolist() == [False, True]
    with pytest.raises(TypeError):
        matches([1], [1])
    with pytest.raises(TypeError, match="serial"):
        matches(np.array(["2023-04-01"], dtype="datetime64[D]"), ">=45017")
    assert matches(cells(), "<b").tolist() == matches(np.array([]), "x").tolist() == []


def test_a_factorised_column_matches_as_its_cells_do_one_by_one():
    # TRUE equals 1 in Python and 5.0 equals 5: factorising must not merge what a
    # criterion tells apart, nor tell apart what it does not
    values = cells("Independent special", None, "AP", "", 5, 5.0, "5", "ap", NAN, True, 1,
                   False, 0, np.float64(5), dt.date(2023, 4, 1))
    for criterion in ["ap", "<>ap", "", "<>", "ind*", 5, ">1", True, "FALSE", "=0", 1]:
        assert matches(values, criterion).tolist() == [
            matches(cells(v), criterion)[0] for v in values], criterion


# Average cost and n

# Five placements in 2023-24 (366 days). Costs are whole pounds a year.
CATEGORY = cells("Independent special", "Independent special", "State special",
                 "State special", "State special", "Independent special")
COUNTY = cells("Out", "Out", "In", "In", "Out", "In")
AGE = cells("Under 16", "16 and over", "Under 16", "Under 16", "16 and over", "Under 16")
COST = np.array([62_400.0, 84_500.0, 21_300.0, 17_850.0, 24_900.0, NAN])
START = np.array([day(2022, 9, 1), day(2023, 10, 1), day(2021, 9, 1), day(2023, 4, 1),
                  day(2023, 9, 1), day(2020, 9, 1)])
END = np.array([NAN, NAN, NAN, day(2023, 9, 30), NAN, day(2023, 3, 31)])  # last ended
FTE = fte(START, END, APR_2023, MAR_2024)  # 1, 0.5, 1, 0.5, 213/366, 0


def test_the_fixture_weights():
    np.testing.assert_allclose(FTE, [1, 0.5, 1, 0.5, 213 / 366, 0])


def test_average_cost_weighted():
    # Independent special: a full year at £62,400 and half a year at £84,500. The row that
    # ended before the year (weight 0) has a blank cost and does not count.
    got = average_cost(COST, FTE, CATEGORY, "independent*")
    assert got == pytest.approx((62_400 * 1 + 84_500 * 0.5) / (1 + 0.5))
    assert count_placements(FTE, CATEGORY, "independent*") == 2


def test_average_cost_several_criteria():
    got = average_cost(COST, FTE, CATEGORY, "State special", COUNTY, "In", AGE, "Under 16")
    assert got == pytest.approx((21_300 * 1 + 17_850 * 0.5) / (1 + 0.5))
    # State special, all: one row is in from 1 September 2023 (213 days).
    w = 213 / 366
    got = average_cost(COST, FTE, CATEGORY, "state*")
    assert got == pytest.approx((21_300 + 17_850 * 0.5 + 24_900 * w) / (1 + 0.5 + w))
    assert count_placements(FTE, CATEGORY, "state*") == 3


def test_new_and_ceased_in_the_period():
    new = (START, f">={APR_2023:g}", START, f"<={MAR_2024:g}")
    assert count_placements(FTE, *new) == 3
    got = average_cost(COST, FTE, *new)
    w = 213 / 366
    assert got == pytest.approx((84_500 * 0.5 + 17_850 * 0.5 + 24_900 * w) / (0.5 + 0.5 + w))
    ceased = (END, f">={APR_2023:g}", END, f"<={MAR_2024:g}")
    assert average_cost(COST, FTE, *ceased) == 17_850
    assert count_placements(FTE, *ceased) == 1


def test_without_weights_every_matching_row_counts_once():
    assert average_cost(COST[:5], None, COUNTY[:5], "Out") == pytest.approx(
        (62_400 + 84_500 + 24_900) / 3)
    assert average_cost([20_000, 30_000]) == 25_000
    assert count_placements(None, COUNTY, "Out") == 3


def test_costs_as_cells():
    cost = cells(62_400, 84_500.0, None, "")
    assert average_cost(cost, [1.0, 0.5, 0.0, 0.0]) == pytest.approx(
        (62_400 + 84_500 * 0.5) / 1.5)


def test_no_match():
    with pytest.raises(NoMatch, match="no placements match 'Alternative provision'"):
        average_cost(COST, FTE, CATEGORY, "Alternative provision")
    assert count_placements(FTE, CATEGORY, "Alternative provision") == 0
    with pytest.raises(NoMatch):  # matches, but not active in the period
        average_cost(COST, np.zeros(6), CATEGORY, "*")
    with pytest.raises(ValueError):  # the Excel wrapper may catch ValueError
        average_cost([], None)


def test_mismatched_lengths_name_the_pair():
    with pytest.raises(ValueError, match="criteria range 2 has 5 cells but cost has 6"):
        average_cost(COST, FTE, CATEGORY, "*", COUNTY[:5], "Out")
    with pytest.raises(ValueError, match="weights has 5 values"):
        average_cost(COST, FTE[:5])
    with pytest.raises(ValueError, match="pairs"):
        average_cost(COST, FTE, CATEGORY)
    with pytest.raises(ValueError, match="criteria range 2"):
        count_placements(FTE, CATEGORY, "*", AGE[:2], "Under 16")
    with pytest.raises(ValueError):
        count_placements(None)


def test_blank_cost_in_a_matching_row_is_an_error_with_its_position():
    cost = COST.copy()
    cost[2] = NAN
    with pytest.raises(BadValue, match="found a blank") as error:
        average_cost(cost, FTE, CATEGORY, "State special")
    assert error.value.position == 2
    # Without weights the ended placement counts too, and its cost is blank.
    with pytest.raises(BadValue) as error:
        average_cost(COST, None, CATEGORY, "independent*")
    assert error.value.position == 5
    # Not matching: no error.
    assert average_cost(cost, FTE, CATEGORY, "independent*") > 0


def test_text_cost_is_an_error_with_its_position():
    cost = cells(62_400, "TBC", 21_300, None)
    with pytest.raises(BadValue, match="found text 'TBC'") as error:
        average_cost(cost, None, ["a", "b", "b", "b"], "b")
    assert error.value.position == 1
    with pytest.raises(BadValue, match="found a blank") as error:
        average_cost(cells(62_400, 1, 21_300, None), None, ["a", "b", "b", "b"], "b")
    assert error.value.position == 3
    with pytest.raises(BadValue) as error:
        average_cost(np.array([1.0, np.inf]), None)
    assert error.value.position == 1


def test_invalid_weight_in_a_matching_row_is_an_error():
    w = FTE.copy()
    w[3] = NAN  # fte() of a row with no start date
    with pytest.raises(BadValue, match="found a blank") as error:
        average_cost(COST, w, CATEGORY, "State*")
    assert error.value.position == 3
    with pytest.raises(BadValue):
        count_placements(w, CATEGORY, "State*")
    assert count_placements(w, CATEGORY, "Independent*") == 2  # not matching: no error
    w[3] = -0.5
    with pytest.raises(BadValue, match="-0.5") as error:
        average_cost(COST, w, CATEGORY, "State*")
    assert error.value.position == 3


# Properties: the vectorised functions agree with plain loops over rows

CATEGORIES = ["Independent special", "INDEPENDENT SPECIAL", "State special", "AP", "", None]
row = st.tuples(st.integers(0, 120_000).map(float),
                st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]),
                          st.integers(0, 366).map(lambda days: days / 366)),
                st.sampled_from(CATEGORIES), st.sampled_from(["In", "Out", None]))


@given(st.lists(row, max_size=30), st.sampled_from(["independent special", "AP", "ap"]),
       st.sampled_from(["In", "out"]), st.booleans())
def test_average_cost_agrees_with_a_loop(rows, category, county, weighted):
    cost = np.array([r[0] for r in rows])
    weights = np.array([r[1] for r in rows]) if weighted else None
    criteria = (cells(*[r[2] for r in rows]), category, cells(*[r[3] for r in rows]), county)
    total = weight = count = 0
    for c, w, cat, cty in rows:
        w = w if weighted else 1.0
        if w > 0 and cat is not None and cat.lower() == category.lower() and (
                cty is not None and cty.lower() == county.lower()):
            total, weight, count = total + c * w, weight + w, count + 1
    assert count_placements(weights, *criteria) == count
    if count == 0:
        with pytest.raises(NoMatch):
            average_cost(cost, weights, *criteria)
    else:
        assert average_cost(cost, weights, *criteria) == pytest.approx(total / weight, rel=1e-9)


def _numeric(text):
    try:
        float(text)
    except ValueError:
        return typed_number(text) is not None
    return True


cell = st.one_of(st.text(max_size=6), st.sampled_from(["AP", "ap", "Ap ", "ß", "SS"]),
                 st.none(), st.floats(allow_nan=True), st.integers(-5, 5))


@given(st.lists(cell, max_size=30), st.one_of(st.text(min_size=1, max_size=6),
                                            st.sampled_from(["AP", "ss", "ß"])))
def test_plain_text_criterion_agrees_with_a_loop(values, criterion):
    assume(criterion[0] not in "<>=" and not set(criterion) & set("*?~"))
    assume(not _numeric(criterion) and criterion.upper() not in ("TRUE", "FALSE"))
    expected = [isinstance(v, str) and v.lower() == criterion.lower() for v in values]
    column = np.empty(len(values), dtype=object)
    column[:] = values
    assert matches(column, criterion).tolist() == expected


@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(NAN)), max_size=30),
       st.sampled_from(["<", ">", "<=", ">=", "=", "<>"]), st.integers(-1000, 1000))
def test_numeric_criterion_agrees_with_a_loop(values, op, x):
    compare = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
               "=": operator.eq, "<>": operator.ne}[op]
    expected = [(op == "<>") if math.isnan(v) else compare(v, x) for v in values]
    assert matches(np.array(values, dtype=float), f"{op}{x}").tolist() == expected
    as_cells = [None if math.isnan(v) else v for v in values]
    assert matches(np.array(as_cells, dtype=object), f"{op}{x}").tolist() == expected


def test_criteria_typed_as_text_are_read_as_excel_reads_them():
    # Microsoft's COUNTIFS/AVERAGEIFS pages type dates into criteria (">3/1/2010" in a US
    # locale); a UK Excel reads 01/04/2023 day first. Amounts, percentages, thousands too.
    starts = np.array([45016.0, 45017.0, 45018.0])  # 31/03, 01/04, 02/04/2023
    for criterion in (">=01/04/2023", ">=2023-04-01", ">=1 Apr 2023", ">=1-April-2023"):
        assert matches(starts, criterion).tolist() == [False, True, True], criterion
    assert matches(np.array([0.4, 0.5, 0.6]), "<50%").tolist() == [True, False, False]
    assert matches(np.array([4.0, 5.0]), "=$5").tolist() == [False, True]
    assert matches(np.array([4.0, 5.0]), "£5").tolist() == [False, True]
    assert matches(np.array([999.0, 1000.0]), ">=1,000").tolist() == [False, True]
    assert matches(cells(5.0, "05", "5"), "05").tolist() == [True, True, True]
    assert typed_number("1,00") is None and typed_number("31/02/2023") is None
    # the 1904 date system: 1 April 2023 is serial 43555
    assert matches(np.array([43554.0, 43555.0]), ">=01/04/2023",
                   date1904=True).tolist() == [False, True]


def test_text_order_and_wildcards_follow_excel():
    words = cells("école", "f", "Zèbre", "apple", None, 5.0)
    assert matches(words, "<f").tolist() == [True, False, False, True, False, False]
    assert matches(words, ">=F").tolist() == [False, True, True, False, False, False]
    assert matches(cells("A1", "a", "ab", 1.0, None), "?").tolist() == [
        False, True, False, False, False]
    assert matches(cells("a*b", "axb", "a?"), "a~*b").tolist() == [True, False, False]
    assert matches(cells("a?", "ab"), "a~?").tolist() == [True, False]
    assert matches(cells(None, "", "x", 0.0), "=").tolist() == [True, True, False, False]
    assert matches(cells("Apple", "apple pie", "b"), "A*").tolist() == [True, True, False]


@given(st.lists(st.one_of(st.integers(-10**7, 10**7).map(float),
                          st.integers(-2**60, 2**60).map(float),
                          st.floats(-1e9, 1e9, allow_nan=False),
                          st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e15, -1e15, 2.0**53])),
                max_size=60))
def test_exact_sum_is_fsum_bit_for_bit(values):
    # whole numbers summed by numpy first must not change a single bit of fsum's answer
    got, want = exact_sum(np.array(values, dtype=float)), math.fsum(values)
    assert got.hex() == want.hex()
