"""The receipt file: the audit chain's head after each freeze, kept outside the workbook.

``NAME.xlsx.lfi-receipts.jsonl`` beside the workbook (the whole file name: ``kpi.xlsx``
and ``kpi.xlsm`` keep separate receipts), one JSON line per freeze, only ever
appended to. A workbook rewritten consistently (values, snapshots and the whole audit
chain recomputed) or with its last entries cut off no longer contains the heads its
receipts name: ``lfi-xl verify FILE --receipts R`` finds it. Keep a copy of the receipts
(or the head printed on the published paper) where the workbook's editors cannot change
it: a receipt beside the file proves only as much as that folder is trusted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lfi_xl import contract as c
from lfi_xl.errors import UnusableInput

HEAD_LENGTH = 64


def receipts_path(workbook: Path) -> Path:
    workbook = Path(workbook)
    return workbook.with_name(workbook.name + c.RECEIPTS_SUFFIX)


def legacy_receipts_path(workbook: Path) -> Path:
    """Where lfi-xl before 2026-12 kept them: named by the stem only (shared by
    ``kpi.xlsx`` and ``kpi.xlsm``; each line names its file, so they are told apart)."""
    workbook = Path(workbook)
    return workbook.with_name(workbook.stem + c.RECEIPTS_SUFFIX)


def open_receipts(workbook: Path) -> int:
    """The workbook's receipt file opened for appending (created if needed), never
    through a link: opened before the workbook is saved, so a receipt file that cannot
    be written refuses the freeze before anything changed."""
    from lfi_xl.adapters.files.package import open_own

    path = receipts_path(workbook)
    try:
        return open_own(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, "the receipt file")
    except PermissionError:
        raise UnusableInput(f"cannot write the receipt file {path} (read-only?); nothing "
                            "was changed") from None
    except OSError as error:
        raise UnusableInput(f"cannot write the receipt file {path} ({error.strerror}); "
                            "nothing was changed") from None


def write_receipt(handle: int, record: dict) -> None:
    """Append one receipt line through :func:`open_receipts`' handle, flushed to disk;
    raises :class:`OSError` when it could not be written whole."""
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode()
    written = os.write(handle, line)
    if written != len(line):
        raise OSError(28, "No space left on device (the receipt was cut short)")
    os.fsync(handle)


def append_receipt(workbook: Path, record: dict) -> Path:
    """Add one line to the workbook's receipt file (created if needed), flushed to disk,
    never through a link."""
    handle = open_receipts(workbook)
    try:
        write_receipt(handle, record)
    except OSError as error:
        raise UnusableInput(f"cannot write the receipt {receipts_path(workbook)} "
                            f"({error.strerror})") from None
    finally:
        os.close(handle)
    return receipts_path(workbook)


def receipts_for(workbook: Path) -> tuple[Path, list[tuple[str, str]]] | None:
    """The receipts kept beside a workbook: its own file's, and the lines of the older,
    stem-named file that name it (a workbook frozen before and after the change has
    both); ``None`` when there are none."""
    own, legacy = receipts_path(workbook), legacy_receipts_path(workbook)
    heads = read_heads(legacy, only_file=Path(workbook).name) if legacy.exists() else []
    if own.exists():
        heads += read_heads(own)
    if not own.exists() and not legacy.exists():
        return None
    return (own if own.exists() else legacy), heads


def read_heads(path: Path, only_file: str | None = None) -> list[tuple[str, str]]:
    """(where, head) of every receipt in a receipt file (``only_file``: only the lines
    written for that workbook file name)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UnusableInput(f"{path}: no such receipt file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UnusableInput(f"{path}: cannot read the receipts ({error})") from None
    heads = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            head = check_head(str(record["head"]))
        except (ValueError, KeyError, TypeError, UnusableInput):
            raise UnusableInput(f"{path}: line {number} is not a receipt lfi-xl wrote "
                                "(a JSON line with the chain head)") from None
        if only_file is not None and record.get("file") not in (None, only_file):
            continue
        heads.append((f"the receipt of {record.get('period', '?')} frozen at "
                      f"{record.get('when', '?')} ({path.name} line {number})", head))
    return heads


def check_head(text: str) -> str:
    head = text.strip().lower()
    if len(head) != HEAD_LENGTH or any(ch not in "0123456789abcdef" for ch in head):
        raise UnusableInput(f"{text!r} is not a chain head: 64 hexadecimal characters, as "
                            "freeze prints it and the extract's cover shows it")
    return head
