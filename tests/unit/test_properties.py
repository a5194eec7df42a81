"""Property tests: the vectorised functions agree with a plain loop."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lfi_xl.core.plan import cumulative_balance
from lfi_xl.core.values import BadValue, to_number

amount = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
cell = st.one_of(amount, st.none())


def loop(opening, *series):
    balance, out = opening, []
    for values in zip(*series, strict=True):
        balance += sum(0.0 if v is None else v for v in values)
        out.append(balance)
    return out


@given(amount, st.lists(st.tuples(cell, cell, cell), max_size=20))
def test_cumulative_balance_agrees_with_a_loop(opening, rows):
    in_year = [r[0] for r in rows]
    dfe = [r[1] for r in rows]
    la = [r[2] for r in rows]
    as_array = [np.array([np.nan if v is None else v for v in s], dtype=float)
                for s in (in_year, dfe, la)]
    got = cumulative_balance(opening, *as_array)
    np.testing.assert_allclose(got, loop(opening, in_year, dfe, la), rtol=1e-9, atol=1e-6)


@given(st.lists(cell, max_size=20))
def test_blanks_count_as_zero(values):
    with_blanks = np.array([np.nan if v is None else v for v in values], dtype=float)
    zeros = np.array([0.0 if v is None else v for v in values], dtype=float)
    np.testing.assert_array_equal(cumulative_balance(1.0, with_blanks),
                                  cumulative_balance(1.0, zeros))


@given(st.one_of(st.text(), st.dates(), st.booleans()))
def test_anything_but_a_number_or_blank_is_refused(value):
    if isinstance(value, str) and value.strip() == "":
        assert math.isnan(to_number(value))
        return
    try:
        to_number(value)
    except BadValue as error:
        assert "expected a number" in str(error)
    else:
        raise AssertionError(f"{value!r} was taken as a number")
