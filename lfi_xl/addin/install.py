"""Install the add-in for the current Windows user or for every user of the PC, or remove
it (``lfi-xl addin install [--all-users]`` / ``lfi-xl addin remove [--all-users]``).

``install`` does what ``xlwings addin install`` does for xlwings' own add-in, with the
add-in's own settings:

- copies ``lfi_xl.xlam`` into an Excel start-up folder, which Excel opens at every start
  (nothing to tick in the Add-ins dialog): the user's (``%APPDATA%\\Microsoft\\Excel\\XLSTART``)
  or, with ``--all-users`` (IT's route, run as administrator), Office's own XLSTART
  folder beside ``EXCEL.EXE``, which every user's Excel opens and which is one of Office's
  default trusted locations;
- writes ``INTERPRETER_WIN`` (this Python) into the installed copy's own settings sheet
  (``lfi_xl.conf``), not into any shared file: xlwings' own add-in and other tools keep
  their ``xlwings.conf``, and theirs cannot point this add-in elsewhere.

It first checks what Excel will need of this Python, and refuses with the fix when
something is missing: the xlwings version the add-in was built for (its VBA declares
that version's DLL, ``xlwings64-<version>.dll``: constraints.txt pins it), and that DLL,
for the Office bitness (64-bit Office loads only the 64-bit DLL), beside the interpreter,
where ``pip install xlwings`` puts it. A Microsoft Store Python, or xlwings installed
with ``pip --user``, gets its own advice. Every function takes the platform, the folders
and the bitness as arguments, so it is tested on any system with temporary folders.
"""

from __future__ import annotations

import os
import site
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from lfi_xl.adapters.files.package import atomic_write
from lfi_xl.build.addin.build import (
    DEFAULT_OUTPUT,
    build_addin,
    built_with_xlwings,
    with_settings,
)
from lfi_xl.build.addin.modules import ADDIN_NAME, SOURCES

INTERPRETER_KEY = "INTERPRETER_WIN"
#: The lfi-xl project folder when this is a source checkout (an editable install).
PROJECT = Path(__file__).resolve().parents[2]
#: Where a source checkout keeps the add-in it builds, whatever the current folder; an
#: installed lfi-xl (from the wheel) has no such folder and builds into a temporary one.
PROJECT_ADDIN = PROJECT / DEFAULT_OUTPUT if (PROJECT / "pyproject.toml").is_file() else None


class InstallError(Exception):
    """Why the add-in could not be installed or removed, and what to do; one message for
    a person."""


def xlstart_folder(environ: Mapping[str, str] | None = None) -> Path:
    """The current Windows user's Excel start-up folder."""
    environ = os.environ if environ is None else environ
    if not environ.get("APPDATA"):
        raise InstallError("Windows did not say where the user's folders are (APPDATA not "
                           "set)")
    return Path(environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART"


def office_xlstart_folder(registry: dict[str, str] | None = None) -> Path:
    """Office's own start-up folder, opened by every user's Excel: ``XLSTART`` beside
    ``EXCEL.EXE``. ``registry`` gives the two places Windows records Office's folder
    (Click-to-Run's ``InstallationPath``, an MSI install's Excel ``InstallRoot``); read
    from the registry when not given."""
    registry = _office_registry() if registry is None else registry
    click_to_run = registry.get("InstallationPath")
    if click_to_run:
        return Path(click_to_run) / "root" / "Office16" / "XLSTART"
    msi = registry.get("InstallRoot")
    if msi:
        return Path(msi) / "XLSTART"
    raise InstallError("Windows does not say where Office is installed (no Click-to-Run "
                       "InstallationPath and no Excel InstallRoot in the registry): copy the "
                       "add-in by hand into the XLSTART folder beside EXCEL.EXE, with "
                       "INTERPRETER_WIN set (docs/addin.md, For IT)")


def _office_registry() -> dict[str, str]:
    if sys.platform != "win32":  # no registry
        return {}
    import winreg

    found = {}
    places = ((r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration", "InstallationPath"),
              (r"SOFTWARE\Microsoft\Office\16.0\Excel\InstallRoot", "Path"))
    for key, value in places:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key) as opened:
                found[value if value != "Path" else "InstallRoot"] = str(
                    winreg.QueryValueEx(opened, value)[0])
        except OSError:
            continue
    return found


def find_addin(addin: Path | None = None, scratch: Path | None = None) -> Path:
    """The add-in to install: ``addin`` when given; else ``dist/lfi_xl.xlam`` here or in
    the project folder (a source checkout), built there first when there is none yet; an
    installed lfi-xl with neither builds it from the sources it ships into ``scratch``."""
    if addin is not None:
        addin = Path(addin)
        if not addin.is_file():
            raise InstallError(f"{addin}: no add-in there; build it first (lfi-xl addin "
                               "build)")
        return addin
    for candidate in (DEFAULT_OUTPUT, PROJECT_ADDIN):
        if candidate is not None and candidate.is_file():
            return candidate
    target = PROJECT_ADDIN or (Path(scratch) / ADDIN_NAME if scratch is not None else None)
    if SOURCES.is_dir() and target is not None:
        return build_addin(target)
    raise InstallError(f"no add-in found ({DEFAULT_OUTPUT} here) and no sources to build "
                       "one: reinstall lfi-xl, or give the add-in file with -o")


def install(addin: Path | None = None, *, platform: str = sys.platform,
            xlstart: Path | None = None, interpreter: Path | None = None,
            office_bits: int | None = None, user_base: Path | None = None,
            all_users: bool = False) -> str:
    """Install the add-in for Excel; returns what was done, for the person who asked.

    ``xlstart`` defaults to the current user's (:func:`xlstart_folder`), or with
    ``all_users`` to Office's own (:func:`office_xlstart_folder`); ``interpreter`` to this
    Python, ``office_bits`` to what Windows says of the installed Office.
    """
    _require_windows(platform)
    with tempfile.TemporaryDirectory(prefix="lfi-xl-addin-") as scratch:
        addin = find_addin(addin, Path(scratch))
        interpreter = Path(interpreter or sys.executable)
        require_matching_python(addin, interpreter,
                                office_bits or installed_office_bits(), user_base)
        if xlstart is None:
            xlstart = office_xlstart_folder() if all_users else xlstart_folder()
        xlstart = Path(xlstart)
        target = xlstart / ADDIN_NAME
        try:  # through a temporary file: Excel never sees half an add-in
            atomic_write(target, with_settings(addin.read_bytes(),
                                               {INTERPRETER_KEY: str(interpreter)}))
        except PermissionError:
            raise InstallError(
                f"{target} is in use or not writable: close Excel"
                + (", run this as an administrator" if all_users else "")
                + f", then run lfi-xl addin install{' --all-users' if all_users else ''} "
                "again") from None
    lines = [f"Installed the add-in{' for every user of this PC' if all_users else ''}: "
             f"{target}",
             f"Python for Excel ({INTERPRETER_KEY} in the add-in's sheet lfi_xl.conf): "
             f"{interpreter}"]
    if _is_network_path(xlstart):
        lines.append(
            f"Warning: your start-up folder {xlstart} is on the network (AppData is "
            "redirected). Excel does not trust network folders by default, so the add-in's "
            "macros may be disabled: ask IT to add it as a trusted location (docs/addin.md, "
            "For IT).")
    lines.append('Start Excel (close it first if it is open): the ribbon shows the tab '
                 '"Local First Inclusion" and =LFI_... functions work in any workbook. '
                 "Press Check lfi-xl on that tab to check it in your own Excel.")
    return "\n".join(lines)


def remove(*, platform: str = sys.platform, xlstart: Path | None = None,
           all_users: bool = False) -> str:
    """Remove the add-in from Excel's start-up folder (Office's own with ``all_users``);
    returns what was done. Its settings (the interpreter) went into the add-in file itself,
    so nothing else is left behind."""
    _require_windows(platform)
    if xlstart is None:
        xlstart = office_xlstart_folder() if all_users else xlstart_folder()
    target = Path(xlstart) / ADDIN_NAME
    if not target.exists():
        return f"The add-in is not installed (no {target})."
    try:
        target.unlink()
    except PermissionError:
        raise InstallError(f"{target} is in use: close Excel, then run "
                           "lfi-xl addin remove again") from None
    return (f"Removed the add-in: {target}\n"
            "From its next start Excel shows no Local First Inclusion tab, and LFI_ "
            "formulas show #NAME? when they recalculate.")


def _require_windows(platform: str) -> None:
    if not platform.startswith("win"):
        raise InstallError(
            f"The add-in needs Excel for Windows, and this is {platform}. Copy "
            f"{DEFAULT_OUTPUT.as_posix()} to a Windows PC that has Excel, install lfi-xl "
            "there (it brings xlwings; see docs/addin.md), then run lfi-xl addin install "
            "there.")


def _is_network_path(path: Path) -> bool:
    return str(path).startswith(("\\\\", "//"))


def installed_office_bits() -> int:
    """64 or 32: the bitness of the installed Office, from the registry (Click-to-Run's
    ``Platform``, else Office 2016's ``Bitness``). Microsoft 365 installs 64-bit by
    default, so 64 when Windows does not say."""
    if sys.platform != "win32":  # no registry
        return 64
    import winreg

    places = ((r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration", "Platform"),
              (r"SOFTWARE\Microsoft\Office\16.0\Outlook", "Bitness"))
    for key, value in places:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key) as opened:
                found = str(winreg.QueryValueEx(opened, value)[0]).lower()
        except OSError:
            continue
        return 32 if found in ("x86", "32") else 64
    return 64


def require_matching_python(addin: Path, interpreter: Path, office_bits: int,
                            user_base: Path | None = None) -> None:
    """Refuse, with the fix, a Python that Excel could not start for this add-in.

    The add-in's xlwings VBA declares the DLL of the xlwings it was built with and loads
    it from the interpreter's folder or the one above (a virtual environment's Scripts
    folder), as its ``XLPyLoadDLL`` does; Office of one bitness loads only the DLL of
    that bitness; and the Python side must be the same xlwings as the VBA.
    """
    import xlwings

    version = built_with_xlwings(addin)
    if version is None:
        raise InstallError(f"{addin} does not say which xlwings it was built with: "
                           "rebuild it (lfi-xl addin build)")
    if "WindowsApps" in interpreter.parts or "PythonSoftwareFoundation" in sys.prefix:
        raise InstallError(
            f"{interpreter} is the Microsoft Store Python, which Excel cannot start from "
            "the add-in (its python.exe is an app alias, and its packages live inside the "
            "app's private folder). Install Python from python.org for your user, install "
            "lfi-xl into it, and run lfi-xl addin install with that Python.")
    reinstall = (f'"{interpreter}" -m pip install --force-reinstall --no-deps '
                 f"xlwings=={version}")
    if xlwings.__version__ != version:
        raise InstallError(
            f"The add-in was built for xlwings {version} and this Python has xlwings "
            f"{xlwings.__version__}: every LFI_ function would fail. Install the pinned "
            f"version ({reinstall}; constraints.txt pins it), or rebuild the add-in with "
            "this xlwings (lfi-xl addin build), then run lfi-xl addin install again.")
    name = f"xlwings{office_bits}-{version}.dll"
    folders = (interpreter.parent, interpreter.parent.parent)
    if any((folder / name).is_file() for folder in folders):
        return
    user_base = Path(user_base if user_base is not None else site.getuserbase())
    if (user_base / name).is_file():
        raise InstallError(
            f"xlwings was installed with pip --user: its DLL ({name}) is in {user_base}, "
            f"where Excel does not look (it looks beside {interpreter}). Install it into "
            f"this Python itself, without --user ({reinstall}), then run lfi-xl addin "
            "install again.")
    other_bits = 32 if office_bits == 64 else 64
    other = f"xlwings{other_bits}-{version}.dll"
    found_other = any((folder / other).is_file() for folder in folders)
    raise InstallError(
        f"The add-in was built with xlwings {version}, whose {office_bits}-bit DLL ({name}) "
        f"is not beside {interpreter} (looked in {folders[0]} and {folders[1]})"
        + (f"; only the {other_bits}-bit one ({other}) is" if found_other else "")
        + f", so {office_bits}-bit Excel could not start this Python. Reinstall xlwings "
        f"into it ({reinstall}), then run lfi-xl addin install again.")
