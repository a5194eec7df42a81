"""The house style is part of the build: ruff must be clean, the layers must hold, the
types must check (mypy), and every command must be documented."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def test_ruff_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "lfi_xl", "udfs", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_follow_the_layers():
    """The contracts in pyproject.toml: core pure, book below the adapters, no cycles."""
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_types_check():
    """mypy, as configured in pyproject.toml ([tool.mypy]), finds no error in lfi_xl."""
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr


def test_no_test_module_imports_another():
    """Shared builders live in tests/helpers.py; a test module never imports another."""
    importers = [path.name for path in (ROOT / "tests").rglob("*.py")
                 if re.search(r"^\s*(from|import) test_\w+", path.read_text(), re.M)]
    assert importers == []


def test_every_command_is_in_the_readme_and_has_help(capsys):
    import argparse

    from lfi_xl.cli import build_parser

    parser = build_parser()
    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction))
    readme = (ROOT / "README.md").read_text()
    undocumented = [name for name in commands.choices if f"lfi-xl {name}" not in readme]
    assert undocumented == []
    helps = {action.dest: action.help for action in commands._choices_actions}
    for name, command in commands.choices.items():
        assert helps.get(name) and command.description, name
        try:
            parser.parse_args([name, "--help"])
        except SystemExit as done:
            assert done.code == 0
        assert capsys.readouterr().out.startswith(f"usage: lfi-xl {name}")
