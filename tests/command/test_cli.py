import json

from lfi_xl.cli import main


def test_plan_json_keys_and_figures(capsys):
    assert main(["plan", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("years", "opening_balance", "total_income", "total_expenditure", "in_year",
                "cumulative_before_sv", "cumulative_after_sv", "dfe", "la", "funding_gap",
                "reconciliation"):
        assert key in data
    assert data["years"][0] == "2022/23" and data["opening_balance"] == 53.976
    assert round(data["funding_gap"][0], 4) == 0.1629
    assert {d["kind"] for d in data["reconciliation"]} == {"rounding"}


def test_plan_text(capsys):
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "53.976" in out and "2027/28" in out and "Total income 2023/24" in out


def test_kpis(capsys):
    assert main(["kpis", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 46
    assert main(["kpis", "--forum"]) == 0
    assert "PEX numbers" in capsys.readouterr().out


def test_missing_file_is_unusable_input(tmp_path, capsys):
    assert main(["plan", str(tmp_path / "nope.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "nope.xlsx" in err and "Traceback" not in err


def test_progress_is_quiet_when_not_a_terminal(tmp_path):
    """Piped output (CI, scripts, the tests) carries the result only, no progress bar."""
    import subprocess
    import sys
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "workbooks" / "template_kpi.xlsx"
    done = subprocess.run([sys.executable, "-m", "lfi_xl.cli", "validate", str(shipped)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    # the KPI workbook, then the plan workbook its Settings record (checked with it)
    assert done.stdout.startswith(f"== {shipped}\nNo findings: the entries pass every check.")
