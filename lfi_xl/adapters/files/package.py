"""An .xlsx file as a package of parts, changed part by part and written safely.

A workbook is a zip of XML parts. lfi-xl never loads a user's workbook into a library
that re-creates it (openpyxl drops charts, images and pivot tables it cannot read).
Instead a :class:`Package` keeps every part's bytes as found; a change replaces only
the parts it concerns, and :meth:`Package.save` writes the whole package to a temporary
file in the same folder, then moves it into place (keeping a ``.bak`` of the original
when asked, in dated generations).

Every command that changes a workbook holds :func:`exclusive` over its whole
read-check-write: one writer at a time, never behind Excel's back (its ``~$`` owner
file), through a symlink to the real file. Before anything reads a package, its zip
entries are checked against size limits (a zip bomb is refused, not inflated).
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import os
import shutil
import socket
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
#: Limits on a package before anything inflates it (zip-bomb defences): one part, all
#: parts, the compression ratio of a large part, and one XML token (a text or attribute
#: value). Excel's own files stay far below: a 1M-placement register is ~150 MB of XML
#: compressed about 8:1, and no token of a workbook comes near a megabyte.
MAX_PART_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30
MAX_RATIO, RATIO_FROM_BYTES = 100, 16 << 20
MAX_TOKEN_BYTES = 8 << 20
#: How many dated backups (NAME.xlsx.YYYYMMDD-HHMMSS.bak) are kept besides NAME.xlsx.bak.
BACKUP_GENERATIONS = 10
#: How long a command waits for another one writing the same workbook.
LOCK_WAIT_SECONDS = 10.0


def check_workbook_file(path: Path,
                        watch: Callable[[zipfile.ZipInfo, bytes], None] | None = None) -> None:
    """Raise :class:`UnusableInput` with one clear line unless ``path`` is an .xlsx/.xlsm.

    Tells apart: a missing file, a folder, a password-protected workbook, an old .xls,
    a CSV or other text renamed, a damaged zip and a zip that is not a workbook.
    ``watch(info, chunk)`` sees each part's bytes as they are checked, in order (a
    reader notes what it needs without inflating the part again).
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
            check_parts(path, archive, watch)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as error:
        raise UnusableInput(f"{path}: the workbook file is damaged ({error})") from None
    for required in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if required not in names:
            raise UnusableInput(f"{path}: is a zip file but not a complete Excel workbook "
                                f"(no {required})")


def check_parts(path: Path, archive: zipfile.ZipFile,
                watch: Callable[[zipfile.ZipInfo, bytes], None] | None = None) -> None:
    """Every entry readable, within the limits, and its CRC right: read in chunks, so a
    zip bomb is stopped at the limit instead of inflated (``watch``: as
    :func:`check_workbook_file`)."""
    infos = archive.infolist()
    seen: dict[str, str] = {}
    for info in infos:
        folded = info.filename.casefold()
        if folded in seen:
            raise UnusableInput(f"{path}: the workbook has two parts named {seen[folded]} and "
                                f"{info.filename} (differing only in case): it is damaged or "
                                "was not written by a spreadsheet program")
        seen[folded] = info.filename
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnusableInput(f"{path}: the part {info.filename} is compressed with method "
                                f"{info.compress_type}, which Excel does not write (only "
                                "stored or deflated): save the workbook again from Excel")
        if info.flag_bits & 0x1:
            raise UnusableInput(f"{path}: the part {info.filename} is encrypted inside the zip; "
                                "a workbook's parts never are: save it again from Excel "
                                "without zip encryption")
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise UnusableInput(f"{path}: the workbook says it unpacks to {total >> 20} MB, more "
                            f"than lfi-xl reads ({MAX_TOTAL_BYTES >> 20} MB): refused")
    for info in infos:
        _check_size(path, info, info.file_size)
    for info in infos:
        size, longest, since = 0, 0, 0
        xml = info.filename.endswith((".xml", ".rels", ".vml"))
        with archive.open(info) as part:   # checks the CRC at the end
            while chunk := part.read(1 << 20):
                size += len(chunk)
                _check_size(path, info, size)
                if xml:
                    longest, since = _longest_token(chunk, longest, since)
                    if longest > MAX_TOKEN_BYTES:
                        raise UnusableInput(
                            f"{path}: the part {info.filename} holds a single XML value of "
                            f"over {MAX_TOKEN_BYTES >> 20} MB, which no workbook has: refused")
                if watch is not None:
                    watch(info, chunk)


def _check_size(path: Path, info: zipfile.ZipInfo, size: int) -> None:
    ratio = size / max(info.compress_size, 1)
    if size > MAX_PART_BYTES or (size > RATIO_FROM_BYTES and ratio > MAX_RATIO):
        raise UnusableInput(
            f"{path}: the part {info.filename} unpacks to {size >> 20} MB or more from "
            f"{info.compress_size >> 10} KB (a zip bomb?): lfi-xl reads parts up to "
            f"{MAX_PART_BYTES >> 20} MB, compressed at most {MAX_RATIO}:1: refused")


def _longest_token(chunk: bytes, longest: int, since: int) -> tuple[int, int]:
    """The longest run without "<" or ">" so far (a text or attribute value, at least),
    carried over chunk boundaries in ``since``, as far as it can reach the limit: a run
    inside one chunk is shorter than the chunk (1 MB, under ``MAX_TOKEN_BYTES``), so
    only runs that start or end at a chunk's edge are followed, found by plain searches
    that stop at the first "<" or ">" from each end."""
    first = min((at for at in (chunk.find(b"<"), chunk.find(b">")) if at >= 0), default=-1)
    if first < 0:
        since += len(chunk)
        return max(longest, since), since
    tail = len(chunk) - 1 - max(chunk.rfind(b"<"), chunk.rfind(b">"))
    return max(longest, since + first, tail), tail


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


class FileParts(MutableMapping):
    """The parts of a package file by name, in its order, each inflated when it is first
    asked for. A part never replaced is still the file's own, and goes into a package
    written from this one as it is, compressed (:meth:`Package.to_bytes`): a change to a
    few small parts does not inflate and deflate a 100 MB register again."""

    def __init__(self, path: Path, infos: dict[str, zipfile.ZipInfo]):
        self._data: dict[str, bytes | None] = dict.fromkeys(infos)  # None: not read yet
        self._use(path, infos)

    def _use(self, path: Path, infos: dict[str, zipfile.ZipInfo]) -> None:
        self._path = Path(path)
        self._infos = infos
        self._original = {name for name in self._data if name in infos}
        self._stamp = _stamp(self._path)

    def rebase(self, path: Path) -> None:
        """The package was just written to ``path``: its parts are that file's now."""
        with zipfile.ZipFile(path) as archive:
            self._use(path, {info.filename: info for info in archive.infolist()})

    def check_unchanged(self) -> None:
        """Refuse (exit 2) when the file was changed since it was read."""
        self._source()

    def _source(self) -> Path:
        if _stamp(self._path) != self._stamp:
            raise UnusableInput(f"{self._path}: the file was changed by something else while "
                                "lfi-xl was working on it; nothing was written: run the "
                                "command again")
        return self._path

    def __getitem__(self, name: str) -> bytes:
        data = self._data[name]
        if data is None:
            with zipfile.ZipFile(self._source()) as archive:
                data = self._data[name] = archive.read(self._infos[name])
        return data

    def __setitem__(self, name: str, data: bytes) -> None:
        self._data[name] = data
        self._original.discard(name)

    def __delitem__(self, name: str) -> None:
        del self._data[name]
        self._original.discard(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def original(self, name: str) -> zipfile.ZipInfo | None:
        """The file's entry for a part that still holds the file's bytes, else None."""
        return self._infos[name] if name in self._original else None

    def compressed(self, name: str) -> bytes:
        """The part's bytes as stored in the file (compressed), read from its entry."""
        info = self._infos[name]
        with open(self._source(), "rb") as handle:
            handle.seek(info.header_offset)
            header = handle.read(30)
            if header[:4] != b"PK\x03\x04":
                raise UnusableInput(f"{self._path}: the part {name} has no local header; "
                                    "the file is damaged")
            name_length, extra_length = int.from_bytes(header[26:28], "little"), int.from_bytes(
                header[28:30], "little")
            handle.seek(name_length + extra_length, os.SEEK_CUR)
            data = handle.read(info.compress_size)
        if len(data) != info.compress_size:
            raise UnusableInput(f"{self._path}: the part {name} is cut short; the file is "
                                "damaged")
        return data


def _stamp(path: Path) -> tuple[int, int, int]:
    status = os.stat(path)
    return status.st_ino, status.st_size, status.st_mtime_ns


def _write_stored_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """Add an entry whose compressed bytes, CRC and sizes are already known (a part copied
    from another zip as it is), as ``ZipFile.writestr`` adds one."""
    zf: Any = archive  # ZipFile's own private state, as writestr uses it
    with zf._lock:
        if zf._writing:
            raise ValueError("the zip is being written")
        zf.fp.seek(zf.start_dir)
        info.header_offset = zf.fp.tell()
        zf._writecheck(info)
        zf._didModify = True
        zf.fp.write(info.FileHeader(False))
        zf.fp.write(raw)
        zf.filelist.append(info)
        zf.NameToInfo[info.filename] = info
        zf.start_dir = zf.fp.tell()


class Package:
    """The parts of an .xlsx, in their original order, as bytes."""

    def __init__(self, parts: MutableMapping[str, bytes],
                 infos: dict[str, zipfile.ZipInfo] | None = None):
        self.parts = parts
        self._infos = infos or {}

    @classmethod
    def read(cls, path: Path, *, checked: bool = False, lazy: bool = False) -> Package:
        """The package of a file. ``lazy``: each part inflated when first used, and the
        parts never changed copied as they are when it is written (:class:`FileParts`;
        the file must stay in place, unchanged, until then: a command holding
        :func:`exclusive` over it). ``checked``: the caller has just checked the file
        (:func:`check_workbook_file`)."""
        if not checked:
            check_workbook_file(path)   # sizes checked: the parts may be read whole
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            if lazy:
                return cls(FileParts(path, infos), infos)
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
            for name in self.parts:
                original = self._infos.get(name)
                stamp = FIXED_ZIP_TIME if fixed_time or original is None else original.date_time
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                parts = self.parts
                unchanged = parts.original(name) if isinstance(parts, FileParts) else None
                if unchanged is not None and unchanged.compress_type in (
                        zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
                    info.compress_type = unchanged.compress_type
                    info.CRC, info.file_size = unchanged.CRC, unchanged.file_size
                    info.compress_size = unchanged.compress_size
                    assert isinstance(parts, FileParts)  # where unchanged comes from
                    _write_stored_entry(archive, info, parts.compressed(name))
                else:
                    archive.writestr(info, self.parts[name])
        return buffer.getvalue()

    def stamped_bytes(self, fixed_time: bool = False) -> bytes:
        """:meth:`to_bytes` of the package stamped with current Excel's calculation
        engine id (:func:`with_current_calc_id`)."""
        if "xl/workbook.xml" in self.parts:
            self.parts["xl/workbook.xml"] = with_current_calc_id(self.parts["xl/workbook.xml"])
        return self.to_bytes(fixed_time)

    def save(self, path: Path, *, backup: bool = False, fixed_time: bool = False) -> None:
        """Write to ``path`` safely (see :func:`atomic_write`), stamped with current
        Excel's calculation engine id (:func:`with_current_calc_id`)."""
        atomic_write(path, self.stamped_bytes(fixed_time), backup=backup)
        if isinstance(self.parts, FileParts):
            self.parts.rebase(real_path(path))


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
    removed (or, after a kill, left as an inert ``.~lfi-*.tmp`` file); a failure to
    write (a full disk, a read-only folder) is refused in one line saying the file is
    unchanged. With ``backup``, the original is first copied to ``path.bak`` (the
    previous ``.bak`` kept, dated). A symlink is followed: the real file is replaced,
    the link stays a link.
    """
    path = real_path(path)
    temporary = _temporary(path)
    try:
        try:
            yield temporary
            _ready(temporary, path)
            if backup and path.exists():
                _backup(path)
            os.replace(temporary, path)
        except OSError as error:
            raise cannot_write(path, error) from None
    finally:
        if temporary.exists():
            temporary.unlink()


@contextmanager
def atomic_outputs(paths: list[Path]) -> Iterator[list[Path]]:
    """:func:`atomic_output` for a set of files written together (a return's document,
    copies and manifest): one temporary path each; only when all are written do they
    replace their targets, one after the other. On any failure none is replaced and
    every temporary file is removed: no partial set is left, and no earlier set is
    broken up."""
    paths = [real_path(path) for path in paths]
    temporaries: list[Path] = []
    try:
        try:
            for path in paths:
                temporaries.append(_temporary(path))
            yield temporaries
            for temporary, path in zip(temporaries, paths, strict=True):
                _ready(temporary, path)
            for temporary, path in zip(temporaries, paths, strict=True):
                os.replace(temporary, path)
        except OSError as error:
            failed = paths[len(temporaries) - 1] if temporaries else paths[0]
            raise UnusableInput(f"cannot write {failed} ({_why(error)}); nothing of this "
                                "set was written") from None
    finally:
        for temporary in temporaries:
            if temporary.exists():
                temporary.unlink()


def check_output_folder(folder: Path, inputs: dict[str, Path], names: list[str]) -> None:
    """Refuse (exit 2) an output folder that is a file, or in which one of ``names``
    would replace one of the ``inputs`` (what it is, as people say it -> path)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UnusableInput(f"{folder}: is a file, not a folder: give a folder for the "
                            "output (nothing was written)")
    for name in names:
        target = folder / name
        for role, source in inputs.items():
            if source is not None and target.exists() and Path(source).exists() \
                    and os.path.samefile(source, target):
                raise UnusableInput(f"{target}: the output would replace its own input "
                                    f"({role}); write it to another folder")


def _temporary(path: Path) -> Path:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".~lfi-{path.stem}-", suffix=".tmp",
                                        dir=folder)
    except PermissionError:
        raise UnusableInput(f"cannot write in {folder} (read-only?)") from None
    except OSError as error:
        raise UnusableInput(f"cannot write in {folder} ({error.strerror or error})") from None
    os.close(handle)
    return Path(name)


def _ready(temporary: Path, path: Path) -> None:
    """The temporary file on disk (fsync) with the original's mode, or the usual one
    (mkstemp makes it private)."""
    with open(temporary, "rb") as written:
        os.fsync(written.fileno())
    os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else _default_mode())


#: The errors of a full disk or an exhausted quota (EDQUOT: not on Windows).
_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def _why(error: OSError) -> str:
    return ("the disk is full" if error.errno in _FULL
            else "read-only" if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
            else error.strerror or str(error))


def cannot_write(path: Path, error: OSError) -> UnusableInput:
    """One line for a write that failed: why, and that the file is as it was."""
    return UnusableInput(f"cannot write {path} ({_why(error)}); {path.name} is unchanged")


def save_together(saves: list[tuple[Package, Path]], *, backup: bool = True) -> None:
    """Save several packages both-or-neither, as far as files allow: every new file is
    written in full (and every backup made) before the first replaces its original, so
    a full disk or any failure leaves all the originals; only a kill between the
    renames, microseconds apart, can part them (start-period finishes its own on the
    next run)."""
    prepared: list[tuple[Path, Path]] = []
    try:
        try:
            for package, path in saves:
                path = real_path(path)
                temporary = _temporary(path)
                prepared.append((temporary, path))
                temporary.write_bytes(package.stamped_bytes())
                _ready(temporary, path)
            for package, _ in saves:   # the stamp check: nobody wrote them meanwhile
                if isinstance(package.parts, FileParts):
                    package.parts.check_unchanged()
            if backup:
                for _, path in prepared:
                    if path.exists():
                        _backup(path)
            for temporary, path in prepared:
                os.replace(temporary, path)
        except OSError as error:
            failed = next((path for temporary, path in prepared if temporary.exists()),
                          prepared[-1][1] if prepared else Path("?"))
            names = " and ".join(path.name for _, path in prepared) or "nothing"
            raise UnusableInput(f"cannot write {failed} ({_why(error)}); {names} are "
                                "unchanged: neither was written") from None
    finally:
        for temporary, _ in prepared:
            if temporary.exists():
                temporary.unlink()
    for package, path in saves:
        if isinstance(package.parts, FileParts):
            package.parts.rebase(real_path(path))


def real_path(path: Path) -> Path:
    """The file a path names, symlinks followed (a write replaces the real workbook)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _backup(path: Path) -> None:
    """``path.bak``: a full copy or the previous one, never half a copy (copied to a
    temporary file first, then moved into place). An older ``.bak`` is kept as
    ``NAME.YYYYMMDD-HHMMSS.bak`` (its own date); the last :data:`BACKUP_GENERATIONS`
    of those are kept."""
    bak = path.with_name(path.name + ".bak")
    if bak.is_dir() or (bak.exists() and not bak.is_file()):
        raise UnusableInput(f"{bak} is a folder, not a backup: move or rename it so lfi-xl "
                            f"can keep the original of {path.name} there")
    handle, temporary = tempfile.mkstemp(prefix=f".~lfi-{path.stem}-bak-", suffix=".tmp",
                                         dir=path.parent)
    os.close(handle)
    try:
        shutil.copy2(path, temporary)
        with open(temporary, "rb") as copy:   # a read-only original's copy is read-only
            os.fsync(copy.fileno())
        if bak.exists():
            _keep_dated(path, bak)
        os.replace(temporary, bak)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def dated_backups(path: Path) -> list[Path]:
    """The dated backups of ``path``, oldest first."""
    return sorted(p for p in path.parent.glob(f"{path.name}.*.bak")
                  if p.name[len(path.name) + 1:-4].replace("-", "").isdigit())


def _keep_dated(path: Path, bak: Path) -> None:
    stamp = dt.datetime.fromtimestamp(bak.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    number = 1
    while target.exists():   # two backups in one second: never one over the other
        number += 1
        target = path.with_name(f"{path.name}.{stamp}-{number}.bak")
    os.replace(bak, target)
    for old in dated_backups(path)[:-BACKUP_GENERATIONS]:
        old.unlink()


def owner_file(path: Path) -> Path | None:
    """Excel's ``~$NAME`` owner file beside a workbook it has open (long names lose their
    first two characters to it, as Word's do), or ``None``."""
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def _owner(owner: Path) -> str:
    """The user name Excel writes at the start of its owner file (a length byte, then the
    name), or "someone"."""
    try:
        data = owner.read_bytes()[:120]
        name = data[1:1 + data[0]].decode("latin-1").strip() if data else ""
    except (OSError, IndexError):
        name = ""
    return name if name.isprintable() and name else "someone"


@contextmanager
def exclusive(path: Path, wait: float | None = None) -> Iterator[Path]:
    """Hold the right to change the workbook at ``path`` for the whole read-check-write:
    yields the real file's path (symlinks followed).

    Refused (exit 2) when Excel has it open (its ``~$`` owner file is there) or when
    another lfi-xl command still holds it after ``wait`` seconds. The lock file,
    ``.~lfi-NAME.lock``, is created with ``O_EXCL`` and held with an OS lock, so one left
    by a killed command is free again (the OS lets go of a dead process's lock).
    """
    path = real_path(path)
    owner = owner_file(path)
    if owner is not None:
        raise UnusableInput(f"{path}: open in Excel by {_owner(owner)}: close it first, or "
                            "use the ribbon button inside Excel (lfi-xl will not change a "
                            f"workbook Excel would overwrite on its next save; {owner.name})")
    if path.exists() and not path.stat().st_mode & stat.S_IWUSR:
        raise UnusableInput(f"{path}: the file is read-only, so lfi-xl will not change it; "
                            "if it should change, clear its read-only setting (Properties), "
                            "then run this again (nothing was changed)")
    lock = path.with_name(f".~lfi-{path.name}.lock")
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
    while True:
        handle = _take(lock, path)
        if handle is not None:
            break
        if time.monotonic() >= deadline:
            raise UnusableInput(f"{path}: another lfi-xl command is changing this workbook "
                                f"({_holder(lock)}); wait for it to finish, then run this "
                                "again")
        time.sleep(0.1)
    try:
        yield path
    finally:
        try:                   # while still held: a waiting command then retries afresh
            if os.path.samestat(os.fstat(handle), os.lstat(lock)):
                lock.unlink()
        except OSError:
            pass
        os.close(handle)


#: Opening never follows a symbolic link where the OS can say so (not on Windows, where
#: creating a link needs an administrator, and the checks below still hold).
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def refuse_link(path: Path, what: str) -> None:
    """Refuse (exit 2) when ``path`` is a symbolic link, a hard link to another file or not
    a plain file: lfi-xl's own files beside a workbook (its lock, its receipts) are never
    written through a link, which could point at the workbook itself."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise UnusableInput(f"cannot use {path} ({error.strerror})") from None
    if stat.S_ISLNK(status.st_mode):
        raise UnusableInput(f"{path}: {what} is a link to {os.readlink(path)}; lfi-xl never "
                            "writes through a link: remove it, then run this again (nothing "
                            "was changed)")
    if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
        kind = "not a plain file" if not stat.S_ISREG(status.st_mode) else (
            f"linked to another file ({status.st_nlink} names)")
        raise UnusableInput(f"{path}: {what} is {kind}; lfi-xl never writes through it: "
                            "remove it, then run this again (nothing was changed)")


def open_own(path: Path, flags: int, what: str) -> int:
    """A file handle on ``path`` that is certainly the plain file of that name and no
    other: not a link followed, checked again after opening (a link planted between
    the check and the open is found)."""
    refuse_link(path, what)
    handle = os.open(path, flags | _NO_FOLLOW, 0o644)
    try:
        opened, named = os.fstat(handle), os.lstat(path)
    except OSError:
        os.close(handle)
        raise
    if (opened.st_ino, opened.st_dev) != (named.st_ino, named.st_dev) \
            or not stat.S_ISREG(opened.st_mode) or opened.st_nlink != 1:
        os.close(handle)
        raise UnusableInput(f"{path}: {what} changed into a link while lfi-xl opened it; "
                            "nothing was changed: remove it, then run this again")
    return handle


def _take(lock: Path, path: Path) -> int | None:
    """The lock's file handle, held, or ``None`` when another process holds it. The lock
    file is lfi-xl's own or refused: never a link (which could name the workbook: writing
    the holder into it would destroy it), never a file lfi-xl did not write."""
    try:
        handle = open_own(lock, os.O_CREAT | os.O_EXCL | os.O_RDWR, "the lock file")
        fresh = True
    except FileExistsError:
        fresh = False
        try:
            handle = open_own(lock, os.O_RDWR, "the lock file")
        except FileNotFoundError:
            return None        # released meanwhile: try again
        except OSError as error:
            if error.errno == errno.ELOOP:   # a link planted just now
                refuse_link(lock, "the lock file")
            raise UnusableInput(f"cannot write in {lock.parent} ({error.strerror})") from None
    except PermissionError:
        raise UnusableInput(f"cannot write in {lock.parent} (read-only?)") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            refuse_link(lock, "the lock file")
        raise UnusableInput(f"cannot write in {lock.parent} ({error.strerror})") from None
    if not _os_lock(handle):
        os.close(handle)
        return None
    try:
        same = os.fstat(handle).st_ino == os.lstat(lock).st_ino
    except FileNotFoundError:
        same = False
    if not same:               # removed by its holder between our open and our lock
        os.close(handle)
        return None
    if not fresh and not _ours(handle):
        os.close(handle)
        raise UnusableInput(f"{lock}: a file lfi-xl did not write has the name of its lock "
                            "file; nothing was changed: move it away, then run this again")
    try:
        os.ftruncate(handle, 0)
        os.write(handle, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "since": dt.datetime.now().isoformat(timespec="seconds"),
                                     "file": path.name}).encode())
    except OSError:
        pass                   # the holder's name is a courtesy: the OS lock is what holds
    return handle


def _ours(handle: int) -> bool:
    """Whether an existing lock file holds what :func:`_take` writes (or nothing: a
    command killed between creating and writing it)."""
    if os.fstat(handle).st_size > 4096:
        return False
    os.lseek(handle, 0, os.SEEK_SET)
    data = os.read(handle, 4096)
    if not data.strip():
        return True
    try:
        holder = json.loads(data)
    except ValueError:
        return False
    return isinstance(holder, dict) and {"pid", "host", "since"} <= set(holder)


def _os_lock(handle: int) -> bool:
    try:
        import fcntl
    except ImportError:        # Windows
        import msvcrt

        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _holder(lock: Path) -> str:
    try:
        holder = json.loads(lock.read_text() or "{}")
        return f"process {holder['pid']} on {holder['host']} since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a command starting now"


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, *, backup: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    with atomic_output(path, backup=backup) as temporary:
        temporary.write_bytes(data)
