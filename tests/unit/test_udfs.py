"""The LFI_ worksheet functions, called as Excel calls them (2-D lists, None for blanks)."""

import datetime as dt
import functools
import inspect

import lfi_udfs as f
import pytest
from lfi_udfs import ExcelError

IN_YEAR = [19.637, 25.149, 20.433, 10.924, 0.300, -11.320, -16.675]
DFE = [-28, -6, -6, -6, -6, -6, -12]
LA = [None, -5.5, -5.5, -5.5, -5.5, -5.5, -4.923]
PRINTED_AFTER = [45.613, 59.262, 68.194, 67.618, 56.418, 33.598, 0.000]


def row(values):
    return [list(values)]


def column(values):
    return [[v] for v in values]


def error_code(call):
    with pytest.raises(ExcelError) as caught:
        call()
    return caught.value.code


def test_cumbal_on_the_published_row_reproduces_the_printed_balances():
    after = f.LFI_CUMBAL(53.976, row(IN_YEAR), row(DFE), row(LA))[0]
    assert after == pytest.approx(PRINTED_AFTER, abs=0.002)
    before = f.LFI_CUMBAL(53.976, row(IN_YEAR))[0]
    assert before[0] == pytest.approx(73.613) and before[-1] == pytest.approx(102.423,
                                                                               abs=0.002)


def test_cumbal_shapes_follow_the_input():
    as_column = f.LFI_CUMBAL(53.976, column(IN_YEAR[:2]))
    assert as_column == [[pytest.approx(73.613)], [pytest.approx(98.762)]]
    assert f.LFI_CUMBAL(53.976, 19.637) == pytest.approx(73.613)
    assert f.LFI_CUMBAL([[53.976]], [[19.637]]) == pytest.approx(73.613)


def test_cumbal_blanks_are_zero_and_text_is_an_error():
    assert f.LFI_CUMBAL(None, row([1, None, 2]))[0] == [1, 1, 3]
    error = pytest.raises(ExcelError, f.LFI_CUMBAL, 1, row([1, "TBC", 2])).value
    assert error.code == "#VALUE!" and "cell 2 of 3" in error.reason and "'TBC'" in error.reason
    assert str(error).startswith("#VALUE! ")
    assert error_code(lambda: f.LFI_CUMBAL(1, row([1, "#N/A"]))) == "#N/A"
    assert error_code(lambda: f.LFI_CUMBAL(1, row([1, 2]), row([1]))) == "#VALUE!"
    assert error_code(lambda: f.LFI_CUMBAL(1, [[1, 2], [3, 4]])) == "#VALUE!"
    assert error_code(lambda: f.LFI_CUMBAL(1, row([True]))) == "#VALUE!"


def test_fte_and_average_cost():
    start = column([dt.datetime(2023, 5, 1), 45017.0, dt.datetime(2022, 9, 1)])
    end = column([None, dt.datetime(2023, 5, 31), dt.datetime(2023, 3, 31)])
    weights = f.LFI_FTE(start, end, dt.datetime(2023, 4, 1), dt.datetime(2023, 7, 31))
    assert [w[0] for w in weights] == pytest.approx([92 / 122, 61 / 122, 0.0])
    cost = column([20_000, 60_000, 80_000])
    fte = [[w[0]] for w in weights]
    expected = (20_000 * 92 / 122 + 60_000 * 61 / 122) / (92 / 122 + 61 / 122)
    assert f.LFI_AVGCOST(cost, fte) == pytest.approx(expected)
    band = column(["Under 16", "16 and over", "Under 16"])
    assert f.LFI_AVGCOST(cost, fte, band, "under 16") == pytest.approx(20_000)
    assert f.LFI_PLACEMENTS(fte, band, "Under 16") == 1
    assert error_code(lambda: f.LFI_AVGCOST(cost, fte, band, "Post-16")) == "#N/A"  # n = 0: no data
    assert error_code(lambda: f.LFI_AVGCOST(cost, fte, column(["a"]), "a")) == "#VALUE!"
    assert error_code(lambda: f.LFI_AVGCOST(cost, fte, band)) == "#VALUE!"
    assert error_code(lambda: f.LFI_FTE(column([None]), column([45100]), 45017,
                                        45107)) == "#VALUE!"


def test_saving_parts_add_up():
    total = f.LFI_SAVING(20, 60_000, 15, 58_000)
    volume = f.LFI_SAVING(20, 60_000, 15, 58_000, "volume")
    price = f.LFI_SAVING(20, 60_000, 15, 58_000, "price")
    assert (total, volume, price) == (330_000, 300_000, 30_000)
    assert f.LFI_SAVING(row([20, 10]), row([60_000, 1]), row([15, 10]), row([58_000, 1]))[0] \
        == [330_000, 0]
    assert error_code(lambda: f.LFI_SAVING(20, 60_000, None, 58_000)) == "#VALUE!"
    assert error_code(lambda: f.LFI_SAVING(20, 60_000, 15, 58_000, "both")) == "#VALUE!"


def test_fundgap_and_pctchange():
    assert round(f.LFI_FUNDGAP(19.637, -120.578), 4) == 0.1629
    assert f.LFI_FUNDGAP(19.637, -120.578, "B", -8.529) == pytest.approx(19.637 / 129.107)
    assert f.LFI_FUNDGAP(row([19.637, 25.149]), row([120.578, 135.212]))[0][1] == \
        pytest.approx(25.149 / 135.212)
    assert error_code(lambda: f.LFI_FUNDGAP(1, 0)) == "#DIV/0!"
    assert error_code(lambda: f.LFI_FUNDGAP(1, 2, "C")) == "#VALUE!"
    assert f.LFI_PCTCHANGE(10_500, 10_000) == pytest.approx(0.05)
    assert error_code(lambda: f.LFI_PCTCHANGE(3, 0)) == "#DIV/0!"
    assert error_code(lambda: f.LFI_PCTCHANGE(None, 3)) == "#VALUE!"


def test_periods_and_due_dates():
    assert f.LFI_PERIOD(dt.datetime(2023, 6, 10)) == "2023-24 Q1"
    assert f.LFI_PERIOD(45087.0) == "2023-24 Q1"  # 10 June 2023 as an Excel serial
    assert f.LFI_PERIOD(dt.datetime(2024, 2, 1), 4) == "2023-24 Q4"
    assert f.LFI_DUEDATE("2023-24 Q2") == 45184  # 15/09/2023
    assert f.LFI_DUEDATE("2023-24 Q4", 4) == 45366  # 15/03/2024
    assert f.LFI_DUEDATE("2023-24 Q1", 3, "1 Jul, 1 Oct, 1 Jan") == 45108  # 01/07/2023
    assert error_code(lambda: f.LFI_DUEDATE("2023-24 Q4")) == "#VALUE!"
    assert error_code(lambda: f.LFI_PERIOD("soon")) == "#VALUE!"


def test_rag():
    assert f.LFI_RAG(26.0, 25.149) == "A"
    assert f.LFI_RAG(row([20, 30]), row([25.149, 25.149]))[0] == ["G", "R"]
    assert f.LFI_RAG(0.9, 1.0, 0.05, "higher") == "R"
    assert error_code(lambda: f.LFI_RAG(None, 1)) == "#N/A"


def test_snapshot_lookup():
    table = [["Snapshot", "Period", "Kind", "Key", "Field", "Value", "Status"],
             [1, "2023-24 Q1", "KPI", 16, "value", 25.1, "superseded"],
             [2, "2023-24 Q1", "KPI", 16.0, "value", 24.9, "current"]]
    assert f.LFI_SNAPSHOT(table, "2023-24 Q1", 16) == 24.9
    assert error_code(lambda: f.LFI_SNAPSHOT(table, "2023-24 Q2", 16)) == "#N/A"
    assert error_code(lambda: f.LFI_SNAPSHOT([["Period"]], "2023-24 Q2", 16)) == "#VALUE!"


def test_every_function_registers_with_xlwings_metadata_and_descriptions():
    assert set(f.FUNCTIONS) == {
        "LFI_CUMBAL", "LFI_FTE", "LFI_AVGCOST", "LFI_PLACEMENTS", "LFI_SAVING", "LFI_FUNDGAP",
        "LFI_PCTCHANGE", "LFI_PERIOD", "LFI_DUEDATE", "LFI_RAG", "LFI_SNAPSHOT", "LFI_COSTS",
        "LFI_FORECAST"}
    for name, function in f.FUNCTIONS.items():
        meta = function.__xlfunc__
        assert meta["name"] == name and meta["category"] == "Local First Inclusion"
        parameters = list(inspect.signature(function).parameters)
        assert [a["name"] for a in meta["args"]] == parameters
        for argument in meta["args"]:
            assert not argument["doc"].startswith("Positional argument"), (name, argument)
            assert len(argument["doc"]) <= 255
        summary = meta["ret"]["doc"].splitlines()[0]
        # The function wizard shows 255 characters: the first line must stand alone there.
        assert len(summary) <= 255 and summary.endswith("."), name
        assert "Norfolk" in meta["ret"]["doc"] or "Example" in meta["ret"]["doc"]


# ------------------------------------------------ error arguments through xlwings itself
@functools.cache
def windows_cell_cleaning():
    """xlwings' conversion of an argument, with the cleaning step of its Windows engine,
    and the HRESULT of each error code.

    xlwings reads every UDF argument with ``conversion.read(None, value, options)``
    (``xlwings.udfs.call_udf``); an error cell arrives from COM as its HRESULT (an int),
    which the Windows engine's ``_clean_value_data_element`` turns into None, or into
    "#N/A" with ``err_to_str``. That module needs pywin32, so its cleaning code is taken
    from xlwings' own source file and registered as the "excel" engine.
    """
    import ast
    from pathlib import Path

    import xlwings
    from xlwings import conversion

    tree = ast.parse((Path(xlwings.__file__).parent / "_xlwindows.py").read_text())
    wanted = {"cell_errors", "_clean_value_data_element", "Engine"}
    body = [node for node in tree.body
            if getattr(node, "name", None) in wanted
            or any(getattr(target, "id", None) in wanted
                   for target in getattr(node, "targets", []))]
    assert len(body) == 3, "xlwings' Windows engine changed"
    namespace = {"time_types": (dt.date, dt.datetime),
                 "_com_time_to_datetime": lambda value, builder: value}
    exec(compile(ast.Module(body=body, type_ignores=[]), "_xlwindows.py", "exec"), namespace)
    xlwings.engines.add(xlwings.main.Engine(impl=namespace["Engine"]()))
    return conversion, {code: hresult for hresult, code in namespace["cell_errors"].items()}


SNAPSHOTS = [["Period", "Kind", "Key", "Value", "Status"], ["2023-24 Q1", "KPI", 16, 24.9,
                                                            "current"]]
#: A valid call of every function, each argument as Excel passes it (ranges 2-D).
CALLS = {
    "LFI_CUMBAL": (53.976, [[19.637, 25.149]], [[-28.0, -6.0]], [[0.0, -5.5]]),
    "LFI_FTE": ([[dt.datetime(2023, 5, 1)]], [[None]], dt.datetime(2023, 4, 1),
                dt.datetime(2023, 7, 31)),
    "LFI_AVGCOST": ([[50000.0], [60000.0]], [[1.0], [1.0]], [["a"], ["b"]], "a"),
    "LFI_PLACEMENTS": ([[1.0], [1.0]], [["a"], ["b"]], "a"),
    "LFI_SAVING": (20.0, 60000.0, 15.0, 58000.0, "total"),
    "LFI_FUNDGAP": (19.637, -120.578, "B", 2.0),
    "LFI_PCTCHANGE": (10500.0, 10000.0),
    "LFI_PERIOD": (dt.datetime(2023, 6, 10), 3.0),
    "LFI_DUEDATE": ("2023-24 Q2", 3.0, "16 Jun, 15 Sep, 15 Dec"),
    "LFI_RAG": (26.0, 25.149, 0.05, "lower"),
    "LFI_SNAPSHOT": (SNAPSHOTS, "2023-24 Q1", 16.0),
    "LFI_COSTS": ([["Start date", "End date", "Annual cost (£)", "Category"],
                   [45017.0, None, 50000.0, "a"]],
                  [["Ref", "Result", "Cost", "Category"], [1.0, "Average", "Annual cost (£)", "a"]],
                  [[45017.0]], [[45107.0]]),
    "LFI_FORECAST": ([[2019.0], [2020.0], [2021.0], [2022.0]],
                     [[6152.0], [6689.0], [7753.0], [8671.0]], 1.0, [[0.1, 0.9]]),
}


def call_as_xlwings_does(function, args):
    conversion, _ = windows_cell_cleaning()
    meta = function.__xlfunc__["args"]
    return function(*(conversion.read(None, value, meta[min(i, len(meta) - 1)]["options"])
                      for i, value in enumerate(args)))


def test_every_function_has_a_valid_sample_call():
    assert set(CALLS) == set(f.FUNCTIONS)
    for name, args in CALLS.items():
        call_as_xlwings_does(f.FUNCTIONS[name], args)  # no error


@pytest.mark.parametrize("code", ["#N/A", "#DIV/0!", "#VALUE!", "#NUM!"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_error_in_any_argument_is_that_error_never_a_blank(name, code):
    conversion, hresults = windows_cell_cleaning()
    # Without err_to_str xlwings reads an error as None: the finding this guards against.
    assert conversion.read(None, hresults[code], {}) is None
    function, args = f.FUNCTIONS[name], CALLS[name]
    for position, value in enumerate(args):
        broken = list(args)
        if isinstance(value, list):  # one cell of the range is the error
            grid_ = [list(cells) for cells in value]
            grid_[-1][-1] = hresults[code]
            broken[position] = grid_
        else:
            broken[position] = hresults[code]
        assert error_code(lambda b=broken: call_as_xlwings_does(function, b)) == code, \
            (name, position)


def test_a_snapshot_is_read_whatever_other_kpis_were_frozen_as_and_however_spelt():
    """Issue 28: an average of no placements is frozen as #N/A; that must not make every
    other KPI of the table #N/A. The period is read in every spelling the CLI accepts."""
    table = [["Period", "Kind", "Key", "Value", "Status"],
             ["2023-24 Q1", "KPI", 37, "#N/A", "current"],
             ["2023-24 Q1", "KPI", 16, 24.9, "current"],
             ["Q1 2023/24", "KPI", 15, 29680.0, "current"]]
    for spelling in ("2023-24 Q1", "2023/24 Q1", "Q1 2023/24", "q1 2023-24"):
        assert f.LFI_SNAPSHOT(table, spelling, 16) == 24.9
        assert f.LFI_SNAPSHOT(table, spelling, 15) == 29680.0
    assert error_code(lambda: f.LFI_SNAPSHOT(table, "2023-24 Q1", 37)) == "#N/A"
    assert error_code(lambda: f.LFI_SNAPSHOT(table, "2023-24 Q2", 16)) == "#N/A"


def test_the_functions_do_what_the_docs_say_on_the_departures_of_issue_28():
    date = dt.datetime(2023, 4, 1)
    # a date where money is expected: #VALUE! (xlwings passes a date cell as a datetime)
    assert error_code(lambda: f.LFI_CUMBAL(53.976, [[date]])) == "#VALUE!"
    assert error_code(lambda: f.LFI_CUMBAL(date, [[1.0]])) == "#VALUE!"
    assert error_code(lambda: f.LFI_SAVING(20.0, [[date]], 15.0, 58000.0)) == "#VALUE!"
    assert f.LFI_FTE([[date]], [[None]], date, dt.datetime(2023, 4, 30)) == 1.0  # dates
    # a blank in-year or allocation is not 0
    assert error_code(lambda: f.LFI_FUNDGAP([[None]], [[-120.578]])) == "#VALUE!"
    assert error_code(lambda: f.LFI_FUNDGAP([[19.637]], [[None]])) == "#VALUE!"
    assert f.LFI_FUNDGAP(19.637, -120.578) == pytest.approx(0.16286, abs=1e-5)
    # reports a year are whole
    assert error_code(lambda: f.LFI_DUEDATE("2023-24 Q2", 3.5)) == "#VALUE!"
    assert error_code(lambda: f.LFI_PERIOD(date, 3.5)) == "#VALUE!"
    # LFI_PLACEMENTS' message names its own first range
    with pytest.raises(ExcelError, match="but the fte range has 2"):
        f.LFI_PLACEMENTS([[1.0], [1.0]], [["a"]], "a")
    # a RAG past the amber band by more than float noise is red
    assert f.LFI_RAG(105.0, 100.0) == "A" and f.LFI_RAG(105.0000001, 100.0) == "R"


def test_a_placement_with_other_fields_but_no_dates_is_refused_an_empty_row_is_none():
    header = ["Start date", "End date", "Annual cost (£)", "Category"]
    measures = [["Ref", "Result", "Cost", "Category"], [1.0, "Average", "Annual cost (£)", "a"]]
    register = [header, [45017.0, None, 50000.0, "a"], [None, None, 70000.0, "a"]]
    with pytest.raises(ExcelError, match="placement 2 has neither a start nor an end date"):
        f.LFI_COSTS(register, measures, [[45017.0]], [[45107.0]])
    register[2] = [None, None, None, None]  # a spare row of the table
    assert f.LFI_COSTS(register, measures, [[45017.0]], [[45107.0]]) == [[50000.0]]
