"""An .xlsx file as a package of parts, changed part by part and written safely.

A workbook is a zip of XML parts. lfi-xl never loads a user's workbook into a library
that re-creates it (openpyxl drops charts, images and pivot tables it cannot read).
Instead a :class:`Package` keeps every part's bytes as found; a change replaces only
the parts it concerns, and :meth:`Package.save` writes the whole package to a temporary
file in the same folder, then moves it into place (keeping a ``.bak`` of the original
when asked).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lfi_xl.errors import UnusableInput

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
#: Zip entry time for files we build, so a rebuild from the same inputs is byte-identical.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: The calculation engine id of current Excel (2019, 2021, 2024 and Microsoft 365), which
#: it writes as ``<calcPr calcId="191029"/>``. Excel recalculates every formula of a
#: workbook whose calcId is older than its own engine when it opens it (ECMA-376 Part 1,
#: 18.2.2 calcPr): with openpyxl's default (124519, Excel 2007) every LFI_ cell would call
#: Python at once, or show #NAME? without the add-in, instead of its cached value.
EXCEL_CALC_ID = 191029
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: What may follow calcPr in a workbook part (CT_Workbook's sequence).
_AFTER_CALC_PR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                  "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
                  "extLst")


def check_workbook_file(path: Path) -> None:
    """Raise :class:`UnusableInput` with one clear line unless ``path`` is an .xlsx/.xlsm.

    Tells apart: a missing file, a folder, a password-protected workbook, an old .xls,
    a CSV or other text renamed, a damaged zip and a zip that is not a workbook.
    """
    if not path.exists():
        raise UnusableInput(f"{path}: no such file")
    if path.is_dir():
        raise UnusableInput(f"{path}: is a folder, not a workbook")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted(path):
            raise UnusableInput(
                f"{path}: the workbook is password-protected; open it in Excel, remove the "
                "password (File > Info > Protect Workbook) and save a copy for lfi-xl")
        raise UnusableInput(
            f"{path}: is an old Excel 97-2003 (.xls) file; open it in Excel and save it as "
            "an Excel Workbook (.xlsx)")
    if not head.startswith(_ZIP_MAGIC):
        kind = "empty" if not head else "text (a CSV or similar renamed?)" if _is_text(
            path) else "not a zip container"
        raise UnusableInput(f"{path}: is not an Excel workbook: the file is {kind}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as error:
        raise UnusableInput(f"{path}: the workbook file is damaged ({error})") from None
    if broken:
        raise UnusableInput(f"{path}: the workbook file is damaged (part {broken} is corrupt)")
    for required in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if required not in names:
            raise UnusableInput(f"{path}: is a zip file but not a complete Excel workbook "
                                f"(no {required})")


def _is_encrypted(path: Path) -> bool:
    import msoffcrypto

    try:
        with open(path, "rb") as handle:
            return bool(msoffcrypto.OfficeFile(handle).is_encrypted())
    except Exception:  # msoffcrypto raises various errors on files it does not know
        return False


def _is_text(path: Path) -> bool:
    with open(path, "rb") as handle:
        sample = handle.read(4096)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


class Package:
    """The parts of an .xlsx, in their original order, as bytes."""

    def __init__(self, parts: dict[str, bytes], infos: dict[str, zipfile.ZipInfo] | None = None):
        self.parts = parts
        self._infos = infos or {}

    @classmethod
    def read(cls, path: Path) -> Package:
        check_workbook_file(path)
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            parts = {name: archive.read(name) for name in infos}
        return cls(parts, infos)

    @classmethod
    def from_bytes(cls, data: bytes) -> Package:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            return cls({name: archive.read(name) for name in infos}, infos)

    def to_bytes(self, fixed_time: bool = False) -> bytes:
        """The package as a zip. ``fixed_time`` stamps every entry alike, for builds that
        must be byte-identical; otherwise each part keeps its original entry time."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.parts.items():
                original = self._infos.get(name)
                stamp = FIXED_ZIP_TIME if fixed_time or original is None else original.date_time
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                archive.writestr(info, data)
        return buffer.getvalue()

    def save(self, path: Path, *, backup: bool = False, fixed_time: bool = False) -> None:
        """Write to ``path`` safely (see :func:`atomic_write`), stamped with current
        Excel's calculation engine id (:func:`with_current_calc_id`)."""
        if "xl/workbook.xml" in self.parts:
            self.parts["xl/workbook.xml"] = with_current_calc_id(self.parts["xl/workbook.xml"])
        atomic_write(path, self.to_bytes(fixed_time), backup=backup)


def with_current_calc_id(workbook: bytes) -> bytes:
    """The workbook part with ``calcPr/@calcId`` at least :data:`EXCEL_CALC_ID` (a newer
    one is kept), so Excel shows the cached values on open; unchanged bytes when it is."""
    from lxml import etree

    root = etree.fromstring(workbook)
    calc = root.find(f"{{{_MAIN}}}calcPr")
    if calc is not None and calc.get("calcId", "").isdigit() \
            and int(calc.get("calcId")) >= EXCEL_CALC_ID:
        return workbook
    if calc is None:
        calc = etree.Element(f"{{{_MAIN}}}calcPr")
        later = [child for child in root if etree.QName(child).localname in _AFTER_CALC_PR]
        if later:
            later[0].addprevious(calc)
        else:
            root.append(calc)
    calc.set("calcId", str(EXCEL_CALC_ID))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@contextmanager
def atomic_output(path: Path, *, backup: bool = False) -> Iterator[Path]:
    """A temporary path in ``path``'s folder; on success it replaces ``path``.

    On any failure (or a kill) the original is untouched and the temporary file is
    removed (or, after a kill, left as an inert ``.~lfi-*.tmp`` file). With ``backup``,
    the original is first copied to ``path.bak``.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".~lfi-{path.stem}-", suffix=".tmp",
                                         dir=folder)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        # mkstemp makes the file private; give it the original's mode, or the usual one.
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else _default_mode())
        if backup and path.exists():
            _backup(path)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _backup(path: Path) -> None:
    """``path.bak``: a full copy or the previous one, never half a copy (copied to a
    temporary file first, then moved into place)."""
    handle, temporary = tempfile.mkstemp(prefix=f".~lfi-{path.stem}-bak-", suffix=".tmp",
                                         dir=path.parent)
    os.close(handle)
    try:
        shutil.copy2(path, temporary)
        with open(temporary, "rb+") as copy:
            os.fsync(copy.fileno())
        os.replace(temporary, path.with_name(path.name + ".bak"))
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, *, backup: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    with atomic_output(path, backup=backup) as temporary:
        temporary.write_bytes(data)
