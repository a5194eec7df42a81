"""LibreOffice, headless: a checker and renderer, never an editor of users' files.

LibreOffice rewrites unknown function names in lower case when it saves (``=lfi_cumbal``)
and shows them as ``#NAME?``, so a user's workbook never goes through it and back. We
use it to recalculate native formulas independently (``xlsx`` out, read, compared) and to
render PDFs of files we write.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

_RECALC_MODES = {"always": 0, "never": 1}


def executable() -> str | None:
    """The soffice command, or ``None`` when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@cache
def _profile(recalc: str) -> Path:
    """A private LibreOffice user profile, set to recalculate OOXML files on load always
    (to check formulas) or never (to render the values we cached); removed when Python
    exits."""
    folder = Path(tempfile.mkdtemp(prefix=f"lfi-lo-{recalc}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)   # no profile left behind
    (folder / "user").mkdir()
    (folder / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
        '<prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        f"<value>{_RECALC_MODES[recalc]}</value></prop></item></oor:items>\n")
    return folder


def convert(source: Path, to: str, folder: Path, recalc: str = "never",
            timeout: float = 180) -> Path:
    """Convert ``source`` with LibreOffice into ``folder`` (``to``: "pdf", "xlsx"...).

    Raises ``RuntimeError`` with LibreOffice's own words when it produces nothing.
    """
    command = executable()
    if command is None:
        raise RuntimeError("LibreOffice is not installed (Debian: apt-get install "
                           "libreoffice-calc-nogui)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # LibreOffice writes its output in place; let it write into a private folder beside the
    # target, then move the finished file in, so a kill never leaves half a PDF.
    with tempfile.TemporaryDirectory(prefix=".~lfi-lo-", dir=folder) as scratch:
        result = subprocess.run(
            [command, f"-env:UserInstallation=file://{_profile(recalc)}", "--headless",
             "--norestore", "--convert-to", to, "--outdir", scratch, str(source)],
            capture_output=True, text=True, timeout=timeout)
        name = Path(source).stem + "." + to.split(":")[0]
        made = Path(scratch) / name
        if not made.exists() or made.stat().st_size == 0:
            raise RuntimeError(f"LibreOffice could not convert {source}: "
                               f"{(result.stderr or result.stdout).strip()}")
        target = folder / name
        os.replace(made, target)
    return target
