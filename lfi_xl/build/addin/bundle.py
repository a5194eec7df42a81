"""``make bundle``: the folder IT installs lfi-xl from, for every user of a Windows PC, with
no internet and no compiler on that PC.

    python -m lfi_xl.build.addin.bundle [-o dist/bundle]

writes (on a developer's machine, which reaches PyPI)::

    bundle/
      install.cmd       IT runs it as administrator, with the all-users python.exe
      constraints.txt   the tested versions
      wheelhouse/       lfi-xl's wheel and every wheel it needs, at those versions, built
                        for 64-bit Windows and CPython 3.11 and 3.12 (binary wheels only:
                        nothing is compiled on the PC)
      lfi_xl.xlam       the add-in, built once here: every PC gets the same file
      workbooks/        the blank workbooks (dsg_plan.xlsx, template_kpi.xlsx)
      SHA256SUMS        a hash of every file, for IT to vet and to compare across PCs

pip on Linux cannot judge Windows-only requirements (``pywin32; sys_platform ==
'win32'``): it would leave them out. So the Windows-only pins of constraints.txt are
fetched by name, and the wheelhouse is then checked as Windows would read it
(:func:`missing_for_windows`): every requirement of every wheel, markers evaluated for
Windows and each Python version, is met by a wheel in the folder, or the bundle is refused.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from lfi_xl.build.addin.build import build_addin
from lfi_xl.build.addin.modules import ADDIN_NAME

PROJECT = Path(__file__).resolve().parents[3]
#: The Pythons IT may install for all users (python.org, 64-bit).
PYTHON_VERSIONS = ("3.11", "3.12")
PLATFORM = "win_amd64"
WORKBOOKS = ("dsg_plan.xlsx", "template_kpi.xlsx")

INSTALL_CMD = r"""@echo off
rem Installs lfi-xl for every user of this PC, from this folder only (no internet).
rem Run as administrator:  install.cmd "C:\Program Files\Python312\python.exe"
rem (a python.org Python 3.11 or 3.12, 64-bit, installed for all users).
setlocal
set "HERE=%~dp0"
if "%~1"=="" (
  echo Give the all-users python.exe, for example:
  echo   install.cmd "C:\Program Files\Python312\python.exe"
  exit /b 2
)
set "PY=%~1"
if not exist "%PY%" (
  echo No Python at %PY%
  exit /b 2
)
"%PY%" -m pip install --no-index --find-links "%HERE%wheelhouse" ^
  --only-binary=:all: -c "%HERE%constraints.txt" lfi-xl
if errorlevel 1 exit /b 1
"%PY%" -c "import sys; from lfi_xl.cli import main; sys.exit(main())" ^
  addin install --all-users -o "%HERE%lfi_xl.xlam"
if errorlevel 1 exit /b 1
echo.
echo Done. Each user: start Excel, then press Check lfi-xl on the Local First Inclusion tab.
echo The blank workbooks are in "%HERE%workbooks".
"""


class BundleError(Exception):
    """Why the bundle could not be made; one message for a person."""


def windows_only(constraints: str) -> list[str]:
    """The pins of ``constraints`` that only Windows installs, without their marker.

    >>> windows_only('numpy==2.4.6\\npywin32==312; sys_platform == "win32"\\n')
    ['pywin32==312']
    """
    return [line.split(";")[0].strip() for line in constraints.splitlines()
            if ";" in line and "win32" in line.split(";", 1)[1]
            and not line.lstrip().startswith("#")]


def missing_for_windows(wheelhouse: Path, python_version: str) -> list[str]:
    """What a Windows CPython ``python_version`` would still need to install lfi-xl from
    ``wheelhouse``: each requirement (markers evaluated for Windows) that no wheel there
    meets, as "<requirement> (for <who needs it>)"; [] when the folder is complete."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.tags import Tag
    from packaging.utils import canonicalize_name, parse_wheel_filename

    # Every marker variable is a string (PEP 508).
    environment = {key: str(value) for key, value in default_environment().items()} | {
        "sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
        "platform_machine": "AMD64", "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": python_version, "python_full_version": f"{python_version}.0"}
    major, minor = (int(part) for part in python_version.split("."))
    cp = f"cp{major}{minor}"
    fits = {Tag(interpreter, abi, platform)
            for interpreter in (cp, f"py{major}", f"py{major}{minor}")
            for abi in (cp, "none") for platform in (PLATFORM, "any")}
    # A stable-ABI wheel built for an older CPython 3 runs on this one.
    fits |= {Tag(f"cp{major}{older}", "abi3", PLATFORM) for older in range(2, minor + 1)}
    available: dict[str, tuple] = {}
    for wheel in sorted(wheelhouse.glob("*.whl")):
        name, version, _, tags = parse_wheel_filename(wheel.name)
        if tags & fits:
            available[canonicalize_name(name)] = (version, wheel)
    if "lfi-xl" not in available:
        return ["lfi-xl (its own wheel)"]
    missing: list[str] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    queue: list[tuple[Requirement, str, tuple[str, ...]]] = [
        (Requirement("lfi-xl"), "the install", ())]
    while queue:
        requirement, who, extras = queue.pop(0)
        if requirement.marker and not any(
                requirement.marker.evaluate(environment | {"extra": extra})
                for extra in extras or ("",)):
            continue
        name = canonicalize_name(requirement.name)
        found = available.get(name)
        if found is None or not requirement.specifier.contains(found[0], prereleases=True):
            missing.append(f"{requirement} (for {who})")
            continue
        key = (name, tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        for line in _requires(found[1]):
            queue.append((Requirement(line), name, tuple(requirement.extras)))
    return sorted(set(missing))


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(name for name in archive.namelist()
                        if re.fullmatch(r"[^/]+\.dist-info/METADATA", name))
        headers = Parser().parsestr(archive.read(metadata).decode("utf-8"))
    return headers.get_all("Requires-Dist") or []


def project_wheel(folder: Path, python: str = sys.executable) -> Path:
    """lfi-xl's own wheel, built from the project into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _run([python, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder),
          str(PROJECT)])
    (wheel,) = folder.glob("lfi_xl-*.whl")
    return wheel


def download_wheels(wheel: Path, wheelhouse: Path, constraints: Path,
                    python: str = sys.executable) -> None:
    """Every wheel lfi-xl needs, for 64-bit Windows and each of :data:`PYTHON_VERSIONS`."""
    extra = windows_only(constraints.read_text())
    for version in PYTHON_VERSIONS:
        _download(python, version, constraints, wheelhouse, [str(wheel), *extra])


def _download(python: str, version: str, constraints: Path, wheelhouse: Path,
              requirements: list[str]) -> None:
    _run([python, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
          "--platform", PLATFORM, "--python-version", version, "--implementation", "cp",
          "-c", str(constraints), "-d", str(wheelhouse), *requirements])


def write_bundle(output: Path, python: str = sys.executable) -> Path:
    """Make the bundle in ``output`` (replaced if there); returns ``output``."""
    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    wheelhouse = output / "wheelhouse"
    constraints = output / "constraints.txt"
    output.mkdir(parents=True)
    shutil.copyfile(PROJECT / "constraints.txt", constraints)
    wheel = project_wheel(wheelhouse, python)
    download_wheels(wheel, wheelhouse, constraints, python)
    for version in PYTHON_VERSIONS:
        missing = missing_for_windows(wheelhouse, version)
        if missing:  # Windows-only needs pip skipped here: fetched by name, then checked
            _download(python, version, constraints, wheelhouse,
                      [item.split(";")[0].split(" (for ")[0] for item in missing])
            missing = missing_for_windows(wheelhouse, version)
        if missing:
            raise BundleError(f"the wheelhouse lacks, for Windows and Python {version}: "
                              + "; ".join(missing))
    assemble(output)
    return output


def assemble(output: Path) -> None:
    """What the bundle holds besides its wheelhouse: the add-in, the blank workbooks,
    install.cmd, and SHA256SUMS over every file."""
    build_addin(output / ADDIN_NAME)
    (output / "workbooks").mkdir(exist_ok=True)
    for name in WORKBOOKS:
        shutil.copyfile(PROJECT / "workbooks" / name, output / "workbooks" / name)
    (output / "install.cmd").write_bytes(INSTALL_CMD.replace("\n", "\r\n").encode("ascii"))
    files = sorted(path for path in output.rglob("*")
                   if path.is_file() and path.name != "SHA256SUMS")
    (output / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  "
        f"{path.relative_to(output).as_posix()}\n" for path in files))


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BundleError(f"{' '.join(command[:4])} ... failed:\n{done.stderr[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("dist/bundle"))
    options = parser.parse_args(argv)
    try:
        output = write_bundle(options.output)
    except BundleError as error:
        print(f"make bundle: {error}", file=sys.stderr)
        return 1
    wheels = sorted(path.name for path in (output / "wheelhouse").glob("*.whl"))
    size = sum(path.stat().st_size for path in output.rglob("*") if path.is_file())
    print(f"wrote {output}: {len(wheels)} wheels, {size / 1e6:.0f} MB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
