"""Nothing said at interpreter exit: each command run as a council runs it (the installed
``lfi-xl``, in its own process) ends with what it has to say and no more: no "Exception
ignored in ... __del__", no traceback, nothing at all on stderr after a normal run, and
no temporary folder of its own (LibreOffice's private profile among them) left behind."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[2] / "workbooks"
LFI_XL = Path(sys.executable).with_name("lfi-xl")

#: (the command line, its exit code): the cycle's commands, a refusal and unusable input.
RUNS = [
    (["validate", "dsg_plan.xlsx", "template_kpi.xlsx"], 0),
    (["recalc", "template_kpi.xlsx", "dsg_plan.xlsx"], 0),
    (["freeze", "--kpi", "template_kpi.xlsx", "--period", "2023-24 Q3", "--by", "Tester"], 0),
    (["extract", "--kpi", "template_kpi.xlsx", "-o", "out", "--pdf"], 0),
    (["dfe-return", "--kpi", "template_kpi.xlsx", "--plan", "dsg_plan.xlsx", "-o", "out"], 0),
    (["verify", "--kpi", "template_kpi.xlsx"], 0),
    (["forecast", "--area", "Norfolk"], 0),
    (["refresh", "--kpi", "template_kpi.xlsx", "--plan", "dsg_plan.xlsx"], 1),   # frozen
    (["plan", "nope.xlsx"], 2),
]


def test_commands_say_nothing_at_exit(tmp_path):
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice is needed (make test installs it)")
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    for name in ("template_kpi.xlsx", "dsg_plan.xlsx"):
        shutil.copy(SHIPPED / name, work / name)
    environment = {**os.environ, "TMPDIR": str(temp), "PYTHONDEVMODE": "1"}
    for line, code in RUNS:
        done = subprocess.run([str(LFI_XL), *line], cwd=work, env=environment,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == code, (line, done.stdout, done.stderr)
        assert "Exception ignored" not in done.stderr, (line, done.stderr)
        assert "Traceback" not in done.stderr, (line, done.stderr)
        if code == 0:
            assert done.stderr == "", (line, done.stderr)
        else:   # one line, lfi-xl's own
            assert done.stderr.startswith("lfi-xl: ") and done.stderr.count("\n") == 1, (
                line, done.stderr)
        assert list(temp.iterdir()) == [], (line, list(temp.iterdir()))
    assert (work / "out" / "LFI_Schools_Forum_2023-24_Q3.pdf").is_file()
