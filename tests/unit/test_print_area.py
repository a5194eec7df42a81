"""The print area start-period moves on: the fixed columns and the report columns started
so far, in ranges where a column made after the last one leaves future columns between;
a print area that is not lfi-xl's is left as the council set it."""

from lfi_xl.actions.period_columns import printed_through
from lfi_xl.book.area import Area, parse_areas
from lfi_xl.core.periods import Period

SHEET = "KPIs"
#: The shipped KPI sheet: fixed columns A:H, 2023-24 Q1 to 2028-29 Q3 in I:Z (three a
#: year), then 2023-24 Q4 made in AA once Reports a year became 4.
PERIODS = {9 + k: Period(2023 + k // 3, k % 3 + 1) for k in range(18)} | {27: Period(2023, 4)}


def areas(*refs: str) -> list[Area]:
    found = parse_areas(",".join(f"'{SHEET}'!{ref}" for ref in refs))
    assert found is not None
    return found


def test_a_column_made_after_the_last_prints_in_a_range_of_its_own():
    q3, q4, next_q1 = Period(2023, 3), Period(2023, 4), Period(2024, 1)
    assert printed_through(areas("$A$1:$K$69"), PERIODS, q3, q4) == areas("A1:K69", "AA1:AA69")
    assert printed_through(areas("A1:K69", "AA1:AA69"), PERIODS, q4, next_q1) == areas(
        "A1:L69", "AA1:AA69")
    # the area as start-period once widened it, through every future column: repaired
    assert printed_through(areas("A1:AA69"), PERIODS, q4, next_q1) == areas(
        "A1:L69", "AA1:AA69")
    # a skipped report prints too: it is before the current one
    assert printed_through(areas("A1:K69"), PERIODS, q3, Period(2024, 2)) == areas(
        "A1:M69", "AA1:AA69")


def test_columns_in_order_print_as_one_range():
    three = {column: period for column, period in PERIODS.items() if period.report < 4}
    assert printed_through(areas("A1:K69"), three, Period(2023, 3), Period(2024, 1)) == (
        areas("A1:L69"))


def test_a_print_area_not_lfi_xls_is_left_alone():
    q3, q4 = Period(2023, 3), Period(2023, 4)
    for own in (areas("A1:Z69"),                   # every report, future ones too
                areas("A1:H69"),                   # no report column
                areas("A1:J69"),                   # not the current one
                areas("A1:K69", "AA1:AA40"),       # ranges of other rows
                areas("A1:K69", "M1:M69")):        # a future report
        assert printed_through(own, PERIODS, q3, q4) is None, own
    # nothing to change: the area already shows the reports through the target
    assert printed_through(areas("A1:K69", "AA1:AA69"), PERIODS, q4, q4) is None


def test_print_areas_of_several_ranges_are_read():
    assert parse_areas("'My, sheet'!$A$1:$B$2,'My, sheet'!$D$1") == [
        Area("My, sheet", 1, 1, 2, 2), Area("My, sheet", 1, 4, 1, 4)]
    assert parse_areas("KPIs!#REF!") is None
    assert parse_areas("") is None
