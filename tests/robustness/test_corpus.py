"""Every command on every variant of the corpus (tests/corpus.py), in-process.

For each variant, every command that applies to its workbook runs (plan workbook: plan,
validate, extract with the shipped KPI workbook, recalc; KPI workbook: validate, freeze on
a copy, verify, extract with the shipped plan workbook, recalc). Never a traceback, never
exit 3. A DAMAGED variant makes the commands that read the damage exit 1 or 2 naming the
file or the cell; a BENIGN one works (exit 0) with the undamaged figures. Whenever plan or
extract exits 0, its figures are those of the undamaged workbook: an exit 0 never hides a
bad cell. A refused freeze leaves the file as it was, byte for byte.

Recalculation takes seconds a workbook, so it runs on a sample: every variant whose
damage only recalc can see, every unusable file (refused at once) and every RECALC_EVERY-th
of the rest.

Also: hypothesis properties of the core's strict input parsing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import shutil
import time
import traceback
import zipfile
from dataclasses import dataclass
from pathlib import Path

import corpus
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import load_workbook

from lfi_xl.cli import main
from lfi_xl.core.cells import ExcelError, numbers_of
from lfi_xl.core.values import (
    EXCEL_ERRORS,
    MAX_MAGNITUDE,
    BadValue,
    fast_numbers,
    to_number,
    to_numbers,
)

VARIANTS = corpus.variants()
PERIOD = "2023-24 Q3"               # the current report period of the shipped KPI workbook
RECALC_EVERY = 40                   # recalc runs on every 40th variant (and see above)
# every page but "About this paper", which says when the paper was made
EXTRACT_SHEETS = ("Summary", "KPIs", "Variance", "DSG plan", "EHCP referrals")


# ---------------------------------------------------------------------------------------
# Running commands
# ---------------------------------------------------------------------------------------
@dataclass
class Run:
    command: str
    args: list[str]
    code: int
    out: str
    err: str
    trace: str = ""      # the traceback behind an exit 3 (re-run with LFI_XL_DEBUG=1)

    @property
    def text(self) -> str:
        return self.out + "\n" + self.err

    def json(self) -> dict | None:
        try:
            return json.loads(self.out)
        except ValueError:
            return None

    def describe(self) -> str:
        text = (self.out.strip()[-600:] + " | " + self.err.strip()[-600:]).strip(" |")
        return (f"`lfi-xl {' '.join(self.args)}` -> exit {self.code}: {text}"
                + (f"\n{self.trace}" if self.trace else ""))


def _call(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit_:          # argparse: never expected here
            code = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException:                # noqa: BLE001 - reported as a fault below
            code = 3
            err.write(traceback.format_exc())
    return code, out.getvalue(), err.getvalue()


def run(command: str, *args: object) -> Run:
    argv = [command, *map(str, args)]
    code, out, err = _call(argv)
    result = Run(command, argv, code, out, err)
    if code == 3 and "Traceback" not in err:
        os.environ["LFI_XL_DEBUG"] = "1"
        try:
            _, _, trace_err = _call(argv)
        finally:
            del os.environ["LFI_XL_DEBUG"]
        lines = trace_err.strip().splitlines()
        result.trace = "\n".join(lines[-12:])
    return result


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def extract_values(path: Path) -> dict:
    """The extract's figures: every cell of its pages (the headlines included)."""
    book = load_workbook(path, data_only=True)
    values = {name: [list(row) for row in book[name].iter_rows(values_only=True)]
              for name in EXTRACT_SHEETS if name in book.sheetnames}
    book.close()
    return values


def plan_figures(result: Run) -> dict:
    data = result.json() or {}
    data.pop("source", None)
    return data


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12,
                                                                           abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def first_difference(a, b, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}/{key}: only in one"
            if not same(a[key], b[key]):
                return first_difference(a[key], b[key], f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if not same(x, y):
                return first_difference(x, y, f"{path}[{index}]")
    return f"{path}: {a!r} instead of {b!r}"


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory) -> dict[str, Path]:
    """The corpus, built once."""
    folder = tmp_path_factory.mktemp("corpus")
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        files = {variant.name: variant.make(folder) for variant in VARIANTS}
    print(f"corpus: {len(files)} variants built in {time.perf_counter() - started:.1f} s")
    return files


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict:
    """The figures of the undamaged workbooks."""
    folder = tmp_path_factory.mktemp("baseline")
    plan = run("plan", corpus.SOURCES[corpus.PLAN], "--json")
    extract = run("extract", "--kpi", corpus.SOURCES[corpus.KPI], "--plan",
                  corpus.SOURCES[corpus.PLAN], "-o", folder, "--no-pdf")
    assert plan.code == 0 and extract.code == 0, (plan.describe(), extract.describe())
    return {"plan": plan_figures(plan),
            "extract": extract_values(next(folder.glob("*.xlsx")))}


# ---------------------------------------------------------------------------------------
# What each result must show
# ---------------------------------------------------------------------------------------
def _names_cell(result: Run, sheet: str, cell: str) -> bool:
    data = result.json()
    if data and isinstance(data.get("findings"), list):
        for finding in data["findings"]:
            if finding.get("sheet") == sheet and finding.get("cell") == cell:
                return True
    quoted = "'" + sheet.replace("'", "''") + "'"
    pattern = rf"(?:{re.escape(sheet)}|{re.escape(quoted)})!\$?{re.escape(cell)}(?![0-9])"
    return re.search(pattern, result.text) is not None


def names_where(result: Run, variant: corpus.Variant) -> bool:
    return any(_names_cell(result, sheet, cell) for sheet, cell in variant.where)


def names_file(result: Run, variant: corpus.Variant) -> bool:
    return variant.filename in result.text


def check(variant: corpus.Variant, result: Run, baseline: dict) -> list[str]:
    """Problems with one command's result on one variant (empty: as it should be)."""
    problems = []
    command = result.command

    def problem(text: str) -> None:
        problems.append(f"[{variant.name}] {command}: {text}\n    {result.describe()}")

    if result.code not in (0, 1, 2):
        problem("exit code is not 0, 1 or 2 (3 = internal fault)")
        return problems
    if "Traceback" in result.text:
        problem("a traceback in the output")
    if variant.file_level:
        # recalc lists what it cannot evaluate cell by cell (exit 1) when the zip opens.
        allowed = {1, 2} if command == "recalc" else {2}
        if command not in variant.must_fail:
            pass
        elif result.code not in allowed:
            problem("an unusable file must give exit 2")
        elif result.code == 2 and not names_file(result, variant):
            problem("the message does not name the file")
        return problems
    if variant.damaged and command in variant.must_fail:
        if result.code == 0:
            problem("exit 0 on damage this command reads")
        elif command == "validate" and variant.where and not names_where(result, variant):
            problem(f"no finding names {variant.where}")
        elif command == "validate" and variant.mention and variant.mention not in result.text:
            problem(f"the output does not mention {variant.mention}")
        elif (command == "freeze" and variant.where and not names_where(result, variant)
              and "validation error" not in result.err):
            problem("the refusal names neither the cell nor the validation errors")
        elif (command in ("plan", "extract", "verify") and variant.where
              and not (names_where(result, variant) or names_file(result, variant))):
            problem(f"the message names neither the file nor {variant.where}")
    if variant.damaged and command == "validate" and variant.mention and result.code == 0:
        if variant.mention not in result.text:
            problem(f"validate passes without mentioning {variant.mention}")
    if not variant.damaged and command != "recalc" and result.code != 0:
        problem("a benign change must keep working (exit 0)")
    if command == "plan" and result.code == 0:
        got = plan_figures(result)
        if not same(got, baseline["plan"]):
            problem("exit 0 but the figures differ from the undamaged plan: "
                    + first_difference(got, baseline["plan"]))
    return problems


def _check_extract(variant, result: Run, folder: Path, baseline: dict) -> list[str]:
    if result.code != 0:
        return []
    written = list(folder.glob("*.xlsx"))
    if len(written) != 1:
        return [f"[{variant.name}] extract: exit 0 but {len(written)} workbook(s) written"]
    got = extract_values(written[0])
    if not same(got, baseline["extract"]):
        return [f"[{variant.name}] extract: exit 0 but the extract's figures differ from the "
                f"undamaged ones: {first_difference(got, baseline['extract'])}"
                f"\n    {result.describe()}"]
    return []


#: Benign variants whose formulas moved: recalc must still evaluate them.
RECALC_ALWAYS = {"plan-row-inserted-Plan-2", "plan-renamed-Plan-to-Plan_s_lines",
                 "kpi-column-inserted-KPIs-A", "kpi-renamed-PlanData-to-Plan_figures"}


def _recalc_sampled(variant: corpus.Variant, index: int) -> bool:
    return ("recalc" in variant.must_fail or variant.file_level
            or variant.name in RECALC_ALWAYS or index % RECALC_EVERY == 0)


# ---------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------
def test_the_corpus_is_big_and_varied():
    damaged = [v for v in VARIANTS if v.damaged]
    benign = [v for v in VARIANTS if not v.damaged]
    assert len(VARIANTS) >= 200 and len(benign) >= 20
    cells = [v for v in damaged if v.where]
    assert len(cells) >= 200
    sheets = {(v.book, sheet) for v in cells for sheet, _ in v.where}
    assert {("plan", "Plan"), ("plan", "Forecast"), ("kpi", "KPIs"), ("kpi", "Plan Data"),
            ("kpi", "Placements"), ("kpi", "Mitigations"), ("kpi", "Conditions"),
            ("kpi", "Settings")} <= sheets
    assert {v.damage for v in cells} >= {"tbc", "na-text", "blank", "err-na", "err-ref",
                                         "err-div0", "date", "pounds", "thousands", "huge",
                                         "e16", "negative"}
    assert {label for v in VARIANTS if v.file_level
            for label in ("truncated", "crc", "xls", "csv", "password")
            if label in v.name} == {"truncated", "crc", "xls", "csv", "password"}


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[v.name for v in VARIANTS])
def test_every_command_on_the_variant(index, corpus_files, baseline, tmp_path):
    variant = VARIANTS[index]
    path = corpus_files[variant.name]
    before = sha(path)
    shipped = {book: sha(source) for book, source in corpus.SOURCES.items()}
    problems: list[str] = []
    for command in corpus.COMMANDS[variant.book]:
        if command == "plan":
            result = run("plan", path, "--json")
        elif command == "validate":
            result = run("validate", path, "--json")
        elif command == "verify":
            result = run("verify", path, "--json")
        elif command == "recalc":
            if not _recalc_sampled(variant, index):
                continue
            target = tmp_path / "recalculated.xlsx"
            result = run("recalc", path, "-o", target)
            if result.code in (0, 1) and not variant.file_level:
                if not target.exists():
                    problems.append(f"[{variant.name}] recalc says done but wrote nothing")
                else:
                    with zipfile.ZipFile(target) as archive:
                        if archive.testzip() is not None:
                            problems.append(f"[{variant.name}] recalc wrote a damaged zip")
        elif command == "extract":
            folder = tmp_path / "extract"
            kpi, plan = ((path, corpus.SOURCES[corpus.PLAN]) if variant.book == corpus.KPI
                         else (corpus.SOURCES[corpus.KPI], path))
            result = run("extract", "--kpi", kpi, "--plan", plan, "-o", folder, "--no-pdf")
            problems += _check_extract(variant, result, folder, baseline)
        elif command == "freeze":
            folder = tmp_path / "freeze"
            folder.mkdir()
            copy = folder / variant.filename
            shutil.copyfile(path, copy)
            result = run("freeze", "--kpi", copy, "--period", PERIOD, "--by", "Corpus",
                         "--plan", corpus.SOURCES[corpus.PLAN])
            if result.code != 0:
                if sha(copy) != before or sorted(p.name for p in folder.iterdir()) != [
                        copy.name]:
                    problems.append(f"[{variant.name}] freeze refused (exit {result.code}) "
                                    f"but changed the folder: "
                                    f"{sorted(p.name for p in folder.iterdir())}")
            else:
                frozen = run("verify", copy)
                if frozen.code != 0:
                    problems.append(f"[{variant.name}] the frozen copy does not verify: "
                                    + frozen.describe())
                backup = copy.with_name(copy.name + ".bak")
                if not backup.exists() or sha(backup) != before:
                    problems.append(f"[{variant.name}] freeze kept no faithful .bak")
        problems += check(variant, result, baseline)
    if path.exists() and sha(path) != before:
        problems.append(f"[{variant.name}] a read-only command changed the variant file")
    if {book: sha(source) for book, source in corpus.SOURCES.items()} != shipped:
        problems.append(f"[{variant.name}] a shipped workbook was changed")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# The core's strict parsing of cell values
# ---------------------------------------------------------------------------------------
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-MAX_MAGNITUDE,
                   max_value=MAX_MAGNITUDE)
whole = st.integers(min_value=-int(MAX_MAGNITUDE), max_value=int(MAX_MAGNITUDE))
blank = st.one_of(st.none(), st.just(""), st.text(alphabet=" \t", max_size=3),
                  st.just(float("nan")))
not_numbers = st.one_of(
    st.text().filter(lambda text: text.strip() != ""),
    st.sampled_from(["TBC", "n/a", "£1,234", "1,234.5", "(12)", "12%", "#N/A", "#REF!", "1e3"]),
    st.booleans(),
    st.dates(), st.datetimes(), st.times(),
    st.floats(allow_nan=False).filter(lambda x: math.isinf(x) or abs(x) > MAX_MAGNITUDE),
    st.integers(min_value=int(MAX_MAGNITUDE) + 1, max_value=10**300).map(
        lambda n: n * (1 - 2 * (n % 2))),
    st.lists(st.integers(), max_size=2), st.builds(object),
)


@given(finite, whole)
def test_a_number_round_trips(number, integer):
    assert to_number(number) == number
    assert to_number(integer) == float(integer)
    assert to_number(np.float64(number)) == number


@given(blank)
def test_a_blank_is_nan(value):
    assert math.isnan(to_number(value))


@given(not_numbers)
@example(10**400)       # an integer beyond the range of a float
@example(-(10**400))
def test_anything_else_is_refused_with_a_message(value):
    with pytest.raises(BadValue) as refused:
        to_number(value, "a number in £m")
    message = str(refused.value)
    assert message.startswith("expected a number in £m") and "found" in message
    assert refused.value.found is value


@given(st.lists(st.one_of(finite, blank), max_size=12), st.data())
def test_to_numbers_names_the_position_of_the_first_bad_value(values, data):
    converted = to_numbers(values)
    assert converted.shape == (len(values),)
    for got, value in zip(converted, values, strict=True):
        assert math.isnan(got) if (value is None or isinstance(value, str)
                                   or math.isnan(value)) else got == value
    bad = data.draw(not_numbers)
    position = data.draw(st.integers(0, len(values)))
    with pytest.raises(BadValue) as refused:
        to_numbers([*values[:position], bad, *values[position:], "TBC"])
    assert refused.value.position == position
    assert refused.value.found is bad


cell_values = st.one_of(finite, whole, blank, st.floats(), st.text(max_size=4), st.booleans(),
                        st.dates(), st.sampled_from(sorted(EXCEL_ERRORS)))


@given(st.lists(cell_values, max_size=20))
def test_the_fast_path_refuses_whatever_the_strict_path_refuses(values):
    """Long columns are converted at once when clean; nothing the cell-by-cell
    conversion refuses may get through that way."""
    fast = fast_numbers(values)
    try:
        strict = to_numbers(values)
    except BadValue:
        assert fast is None
    else:
        assert fast is None or np.array_equal(fast, strict, equal_nan=True)


error_codes = st.sampled_from(sorted(EXCEL_ERRORS))
error_text = st.builds(lambda code, case, pad: pad + (code.lower() if case else code) + pad,
                       error_codes, st.booleans(), st.sampled_from(["", " "]))
plain_text = st.text(min_size=1).filter(
    lambda text: text.strip() != "" and text.strip().upper() not in EXCEL_ERRORS)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
shapes = st.sampled_from(["column", "row", "array"])


def laid_out(values: list, shape: str):
    """Cells as Excel hands them over: a column or a row of lists, or a 2-D array."""
    if shape == "column":
        return [[v] for v in values]
    if shape == "row":
        return [list(values)]
    return np.array([[v] for v in values], dtype=object)


@given(st.lists(st.one_of(any_finite, st.none()), min_size=1, max_size=6), plain_text,
       shapes, st.data())
def test_numbers_of_refuses_text_with_value_error(values, text, shape, data):
    position = data.draw(st.integers(0, len(values)))
    cells = laid_out([*values[:position], text, *values[position:]], shape)
    with pytest.raises(ExcelError) as refused:
        numbers_of(cells, "costs")
    assert refused.value.code == "#VALUE!"
    assert f"cell {position + 1} of {len(values) + 1}" in refused.value.reason


@given(st.lists(st.one_of(any_finite, st.none()), max_size=6), error_text, shapes, st.data())
def test_numbers_of_passes_an_error_on_as_the_same_error(values, text, shape, data):
    position = data.draw(st.integers(0, len(values)))
    cells = laid_out([*values[:position], text, *values[position:]], shape)
    with pytest.raises(ExcelError) as refused:
        numbers_of(cells, "costs")
    assert refused.value.code == text.strip().upper()


@given(st.lists(st.one_of(any_finite, st.integers(-10**15, 10**15), st.none(),
                          st.just(float("nan"))), min_size=1, max_size=40),
       st.sampled_from([0.0, float("nan")]), shapes)
def test_numbers_of_reads_numbers_and_blanks(values, blank_as, shape):
    got, orientation = numbers_of(laid_out(values, shape), "costs", blank=blank_as)
    assert orientation == ("single" if len(values) == 1 else
                           "row" if shape == "row" else "column")
    expected = [blank_as if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for v in values]
    assert np.array_equal(got, np.array(expected, dtype=float), equal_nan=True)
