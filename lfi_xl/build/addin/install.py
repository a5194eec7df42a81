"""Install the add-in for the current Windows user, or remove it (``lfi-xl addin
install`` / ``lfi-xl addin remove``).

``install`` does what ``xlwings addin install`` does for xlwings' own add-in:

- copies ``lfi_xl.xlam`` into the user's Excel start-up folder
  (``%APPDATA%\\Microsoft\\Excel\\XLSTART``), which Excel opens at every start: nothing to
  tick in the Add-ins dialog, and the same place on every PC;
- writes ``INTERPRETER_WIN`` (this Python) into ``%USERPROFILE%\\.xlwings\\xlwings.conf``,
  keeping every other setting in that file: xlwings' own add-in and other tools read it
  too. The add-in's UDF module (``lfi_udfs``) travels inside the add-in (its sheet
  ``xlwings.conf``): written into this shared file it would also become the default of
  xlwings' "Import Functions" in every other workbook.

It first checks what Excel will need of this Python: the DLL of the xlwings whose VBA the
add-in holds (``xlwings64-<version>.dll``, put beside the interpreter by ``pip install
xlwings``), and says what to do when it is missing. Both functions take the platform and
the folders as arguments, so they are tested on any system with temporary folders.
"""

from __future__ import annotations

import csv
import io
import locale
import os
import sys
from pathlib import Path

from lfi_xl.adapters.files.package import atomic_write
from lfi_xl.build.addin.build import DEFAULT_OUTPUT, built_with_xlwings
from lfi_xl.build.addin.modules import ADDIN_NAME

INTERPRETER_KEY = "INTERPRETER_WIN"


class InstallError(Exception):
    """Why the add-in could not be installed or removed, and what to do; one message for
    a person."""


def windows_folders(environ: dict[str, str] | None = None) -> tuple[Path, Path]:
    """``(XLSTART folder, xlwings settings file)`` of the current Windows user."""
    environ = os.environ if environ is None else environ
    missing = [name for name in ("APPDATA", "USERPROFILE") if not environ.get(name)]
    if missing:
        raise InstallError(f"Windows did not say where the user's folders are "
                           f"({', '.join(missing)} not set)")
    return (Path(environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART",
            Path(environ["USERPROFILE"]) / ".xlwings" / "xlwings.conf")


def install(addin: Path = DEFAULT_OUTPUT, *, platform: str = sys.platform,
            xlstart: Path | None = None, settings_file: Path | None = None,
            interpreter: Path | None = None) -> str:
    """Install ``addin`` for Excel; returns what was done, for the person who asked.

    ``xlstart`` and ``settings_file`` default to the current user's (:func:`windows_folders`),
    ``interpreter`` to this Python.
    """
    _require_windows(platform)
    addin = Path(addin)
    if not addin.is_file():
        raise InstallError(f"{addin}: no add-in there; build it first (lfi-xl addin build)")
    interpreter = Path(interpreter or sys.executable)
    _check_xlwings_dll(addin, interpreter)
    if xlstart is None or settings_file is None:
        user_xlstart, user_settings = windows_folders()
        xlstart, settings_file = xlstart or user_xlstart, settings_file or user_settings
    target = Path(xlstart) / ADDIN_NAME
    try:  # through a temporary file: Excel never sees half an add-in
        atomic_write(target, addin.read_bytes())
    except PermissionError:
        raise InstallError(f"{target} is in use: close Excel, then run "
                           "lfi-xl addin install again") from None
    set_setting(Path(settings_file), INTERPRETER_KEY, str(interpreter))
    return (f"Installed the add-in: {target}\n"
            f"Python for Excel ({INTERPRETER_KEY} in {settings_file}): {interpreter}\n"
            "Start Excel (close it first if it is open): the ribbon shows the tab "
            '"Local First Inclusion" and =LFI_... functions work in any workbook.')


def remove(*, platform: str = sys.platform, xlstart: Path | None = None) -> str:
    """Remove the add-in from Excel's start-up folder; returns what was done.

    The settings file stays as it is: the interpreter setting is shared with xlwings'
    own add-in and other tools, which may rely on it.
    """
    _require_windows(platform)
    if xlstart is None:
        xlstart = windows_folders()[0]
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


def _check_xlwings_dll(addin: Path, interpreter: Path) -> None:
    """The add-in's xlwings VBA loads the DLL of the xlwings it was built with, from the
    interpreter's folder or the one above (a virtual environment's Scripts folder), as
    xlwings' VBA (XLPyLoadDLL) looks for it."""
    import xlwings

    version = built_with_xlwings(addin)
    if version is None:
        raise InstallError(f"{addin} does not say which xlwings it was built with: "
                           "rebuild it (lfi-xl addin build)")
    folders = (interpreter.parent, interpreter.parent.parent)
    names = [f"xlwings{bits}-{version}.dll" for bits in (64, 32)]
    if not any((folder / name).is_file() for folder in folders for name in names):
        raise InstallError(
            f"The add-in was built with xlwings {version}, whose DLL ({names[0]}) is not "
            f"beside {interpreter} (looked in {folders[0]} and {folders[1]}), so Excel "
            f"could not start this Python. This Python has xlwings {xlwings.__version__}: "
            f'install xlwings {version} into it ("{interpreter}" -m pip install '
            f"xlwings=={version}), or rebuild the add-in with it (lfi-xl addin build), "
            "then run lfi-xl addin install again.")


def set_setting(path: Path, key: str, value: str) -> None:
    """Set ``key`` in a file of xlwings' settings format, keeping every other line.

    Keys compare without regard to case, as xlwings' VBA reads them; the first line of
    the key is replaced and any repeat of it dropped, so the file holds one value.
    """
    # VBA's Input # reads the file in the PC's ANSI code page; Python's locale is that.
    encoding = locale.getpreferredencoding(False)
    lines = path.read_text(encoding=encoding).splitlines() if path.exists() else []
    line = _setting_line(key, value)
    kept, placed = [], False
    for existing in lines:
        if _setting_key(existing) == key.lower():
            if not placed:
                kept.append(line)
                placed = True
            continue
        kept.append(existing)
    if not placed:
        kept.append(line)
    atomic_write(path, ("\r\n".join(kept) + "\r\n").encode(encoding))


def _setting_key(line: str) -> str | None:
    row = next(csv.reader([line]), [])
    return row[0].strip().lower() if len(row) >= 2 else None


def _setting_line(key: str, value: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow([key, value])
    return buffer.getvalue()
