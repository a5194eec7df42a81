"""How the Schools Forum paper says a figure: a balance as the deficit or surplus it is,
whatever sign its KPI counts it with; a change of a percentage in percentage points; a
published cell holding the figure as it shows; a wrapped note's row tall enough."""

import pytest

from lfi_xl import contract as c
from lfi_xl.actions.forum_paper import change_format, change_value, points, said, shown
from lfi_xl.core.page_layout import text_width, wrapped_lines
from lfi_xl.core.shown import decimals, displayed

HNB = c.KPI_BY_REF[11].sign        # +surplus/-deficit, the DfE's HNB measure
IN_YEAR = c.KPI_BY_REF[16].sign    # +deficit/-surplus


def test_a_balance_is_said_as_a_deficit_or_a_surplus_by_its_own_sign():
    assert (HNB, IN_YEAR) == ("+surplus/-deficit", "+deficit/-surplus")
    assert said(-34.149, "£m", HNB) == "deficit of £34.149m"
    assert said(34.149, "£m", IN_YEAR) == "deficit of £34.149m"
    assert said(2.5, "£m", HNB) == "surplus of £2.500m"
    assert said(-2.5, "£m", IN_YEAR) == "surplus of £2.500m"
    assert said(-0.0004, "£m", IN_YEAR) == "balanced (£0.000m)"  # shows as 0.000
    for ref in (17, 18):   # the cumulative balances count a deficit positive too
        assert said(68.262, "£m", c.KPI_BY_REF[ref].sign) == "deficit of £68.262m"


def test_other_figures_are_said_as_their_cells_show_them():
    assert said(178.376, "£m", c.KPI_BY_REF[12].sign) == "£178.376m"
    assert said(0.252558944472384, "%", c.KPI_BY_REF[19].sign) == "25.3%"
    assert said(72918.8648648649, "£") == "£72,919"
    assert said("c", "count") == "c"
    assert shown(-1.5, "£m") == "-£1.500m"      # the minus before the pound sign
    assert shown(-0.0001, "£m") == "£0.000m"    # no minus on what shows as nought
    assert shown(-250.0, "£") == "-£250"
    assert "£-" not in said(-9.0, "£m", "")


def test_a_change_between_percentages_is_in_percentage_points():
    before, now = 0.258, 0.253          # 25.8% -> 25.3%
    assert points(now - before) == "down 0.5 percentage points"
    assert points(0.066562139455078) == "up 6.7 percentage points"
    assert points(0.00001) == "no change (0.0 percentage points)"
    assert change_value(now - before, "%") == pytest.approx(-0.5)
    assert change_format("%") == '+0.0" pp";-0.0" pp";0.0" pp"'
    assert displayed(change_value(now - before, "%"), change_format("%")) == -0.5
    # other changes keep their unit, signed
    assert change_format("£m") == "+0.000;-0.000;0.000"
    assert change_value(9.0, "£m") == 9.0 and change_value("c", "%") == "c"


def test_a_published_cell_holds_the_figure_as_it_shows():
    assert displayed(72918.8648648649, "£#,##0") == 72919
    assert isinstance(displayed(72918.8648648649, "£#,##0"), int)
    assert displayed(0.252558944472384, "0.0%") == 0.253
    assert displayed(34.14949999, "0.000") == 34.149
    assert displayed(2.675, "0.00") == 2.68          # half away from zero, as Excel shows
    assert displayed(-2.675, "0.00") == -2.68
    assert str(displayed(-0.0004, "0.000")) == "0.0"  # never "-0.0"
    assert displayed(12536.11580248171, "#,##0") == 12536
    assert displayed(6.656, '+0.0" pp";-0.0" pp";0.0" pp"') == 6.7
    assert displayed(1 / 3, "General") == 1 / 3
    assert [decimals(f) for f in ("0.000", "£#,##0", "0.0%", "#,##0.000", "General",
                                  '0.0" pp"', "0.00")] == [3, 0, 3, 3, None, 1, 2]


def test_a_note_is_given_the_lines_it_wraps_to():
    assert wrapped_lines("short", 40) == 1
    assert wrapped_lines("word " * 60, 40) >= 300 * 0.8 // 40
    assert wrapped_lines("one\ntwo", 40) == 2
    assert wrapped_lines("x" * 100, 20) >= 5       # a word longer than the line
    # wider for bold and for larger type
    assert text_width("Total", bold=True) > text_width("Total")
    assert text_width("Total", 13) > text_width("Total")
