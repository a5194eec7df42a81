"""The receipt file: the audit chain's head after each freeze, kept outside the workbook.

``NAME.lfi-receipts.jsonl`` beside the workbook, one JSON line per freeze, only ever
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
    return workbook.with_name(workbook.stem + c.RECEIPTS_SUFFIX)


def append_receipt(workbook: Path, record: dict) -> Path:
    """Add one line to the workbook's receipt file (created if needed), flushed to disk."""
    path = receipts_path(workbook)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise UnusableInput(f"cannot write the receipt {path} ({error.strerror})") from None
    return path


def read_heads(path: Path) -> list[tuple[str, str]]:
    """(where, head) of every receipt in a receipt file."""
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
        heads.append((f"the receipt of {record.get('period', '?')} frozen at "
                      f"{record.get('when', '?')} ({path.name} line {number})", head))
    return heads


def check_head(text: str) -> str:
    head = text.strip().lower()
    if len(head) != HEAD_LENGTH or any(ch not in "0123456789abcdef" for ch in head):
        raise UnusableInput(f"{text!r} is not a chain head: 64 hexadecimal characters, as "
                            "freeze prints it and the extract's cover shows it")
    return head
