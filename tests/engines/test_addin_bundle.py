"""IT's route: lfi-xl's wheel carries the add-in's sources, so an installed (non-editable)
lfi-xl builds the same add-in from any folder; the bundle's wheelhouse is checked as
Windows would read it; the bundle holds the add-in, the blank workbooks and install.cmd.

``make bundle`` itself downloads 44 Windows wheels (140 MB) from PyPI; that is run by hand
(docs/addin.md); here everything that needs no download is tested."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lfi_xl.build.addin import build_addin
from lfi_xl.build.addin import bundle as b

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """lfi-xl's wheel, built from the project as make bundle builds it."""
    return b.project_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_carries_the_add_ins_sources(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    sources = {f"lfi_xl/addin/sources/{path.name}"
               for path in (ROOT / "lfi_xl" / "addin" / "sources").iterdir()}
    assert sources <= names
    assert {"lfi_xl/addin/install.py", "lfi_xl/addin/check.py",
            "lfi_xl/build/addin/build.py", "lfi_udfs/__init__.py"} <= names


def test_an_installed_lfi_xl_builds_the_same_add_in_from_any_folder(wheel, tmp_path):
    """The wheel, installed non-editable into a fresh environment with the lock file,
    builds the add-in from another folder, byte for byte as the source tree does."""
    environment = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    python = environment / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), str(wheel)],
        capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {key: value for key, value in os.environ.items()
               if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    built = subprocess.run([str(environment / "bin" / "lfi-xl"), "addin", "build", "-o",
                            "x.xlam"], cwd=elsewhere, env=environ, capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip() == "built x.xlam"
    # It ran the installed copy, not this project's.
    where = subprocess.run([str(python), "-c", "import lfi_xl; print(lfi_xl.__file__)"],
                           cwd=elsewhere, env=environ, capture_output=True, text=True)
    assert str(environment) in where.stdout and str(ROOT) not in where.stdout
    assert (elsewhere / "x.xlam").read_bytes() == \
        build_addin(tmp_path / "from_source.xlam").read_bytes()


def test_the_wheelhouse_check_reads_requirements_as_windows_does(wheel, tmp_path):
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    assert b.missing_for_windows(wheelhouse, "3.12") == ["lfi-xl (its own wheel)"]
    (wheelhouse / wheel.name).write_bytes(wheel.read_bytes())
    missing = b.missing_for_windows(wheelhouse, "3.12")
    names = {item.split(" (for ")[0].split(";")[0].split(">")[0].split("=")[0]
             for item in missing}
    # pywin32 is asked for on Windows only: pip running here would leave it out.
    assert {"xlwings", "numpy", "openpyxl", "lxml", "pywin32", "ms-ovba"} <= names
    assert "pywin32>=306; sys_platform == \"win32\" (for lfi-xl)" in missing
    assert b.windows_only((ROOT / "constraints.txt").read_text()) == [
        "colorama==0.4.6", "pywin32==312"]


def test_the_bundle_holds_the_add_in_the_workbooks_and_an_offline_install(tmp_path):
    b.assemble(tmp_path)
    assert (tmp_path / "lfi_xl.xlam").read_bytes() == \
        build_addin(tmp_path / "again.xlam").read_bytes()
    (tmp_path / "again.xlam").unlink()
    for name in ("dsg_plan.xlsx", "template_kpi.xlsx"):
        assert (tmp_path / "workbooks" / name).read_bytes() == \
            (ROOT / "workbooks" / name).read_bytes()
    script = (tmp_path / "install.cmd").read_bytes()
    assert script.count(b"\r\n") == script.count(b"\n")  # Windows line ends throughout
    text = script.decode("ascii")
    assert ('-m pip install --no-index --find-links "%HERE%wheelhouse" ^\r\n'
            '  --only-binary=:all: -c "%HERE%constraints.txt" lfi-xl\r\n') in text
    assert ('"%PY%" -c "import sys; from lfi_xl.cli import main; sys.exit(main())" ^\r\n'
            '  addin install --all-users -o "%HERE%lfi_xl.xlam"\r\n') in text
    sums = dict(reversed(line.split("  ", 1)) for line in
                (tmp_path / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"lfi_xl.xlam", "install.cmd", "workbooks/dsg_plan.xlsx",
                         "workbooks/template_kpi.xlsx"}
    for name, digest in sums.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest


def test_an_installed_lfi_xl_installs_from_any_folder_with_nothing_left_behind(
        tmp_path, monkeypatch):
    """From the wheel there is no project folder: the add-in is built into a temporary
    folder, installed, and the temporary folder goes."""
    import importlib

    import xlwings

    from lfi_xl.addin.install import INTERPRETER_KEY, install
    from lfi_xl.build.addin.build import addin_settings

    module = importlib.import_module("lfi_xl.addin.install")
    monkeypatch.setattr(module, "PROJECT_ADDIN", None)
    monkeypatch.chdir(tmp_path)
    python = tmp_path / "Python312" / "python.exe"
    python.parent.mkdir()
    (python.parent / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    office = tmp_path / "Microsoft Office" / "root" / "Office16" / "XLSTART"
    message = install(None, platform="win32", interpreter=python, office_bits=64,
                      user_base=tmp_path / "user-site", all_users=True, xlstart=office)
    assert "Installed the add-in for every user of this PC" in message
    assert addin_settings((office / "lfi_xl.xlam").read_bytes())[-1] == (
        INTERPRETER_KEY, str(python))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Microsoft Office",
                                                                 "Python312"]


def test_offices_own_start_up_folder_is_found_for_both_kinds_of_install():
    from lfi_xl.addin.install import InstallError, office_xlstart_folder

    assert office_xlstart_folder({"InstallationPath": r"C:\Program Files\Microsoft Office"}
                                 ) == Path(r"C:\Program Files\Microsoft Office") / "root" / \
        "Office16" / "XLSTART"
    assert office_xlstart_folder({"InstallRoot": r"C:\Office\Office16"}) == \
        Path(r"C:\Office\Office16") / "XLSTART"
    with pytest.raises(InstallError, match="Windows does not say where Office is installed"):
        office_xlstart_folder({})
