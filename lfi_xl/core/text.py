"""Text as a workbook can hold it: one normalisation for every string lfi-xl writes.

XML 1.0 (and so an .xlsx cell) cannot hold most control characters. Word and PowerPoint
paste U+000B as their line break; a form feed or a NUL can arrive from other systems.
Every string is normalised here *before* it is hashed and before it is written, so what
a snapshot stores is exactly what its hash covers and a freeze always verifies.
"""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile("[\x0b\x0c]")
#: Control characters XML 1.0 cannot carry (tab and newline can), and the non-characters.
_NOT_STORABLE = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def storable_text(text: str) -> str:
    """``text`` as a cell stores it: the line break pasted from Word (U+000B) and a form
    feed become a newline; any other control character XML cannot hold becomes U+FFFD
    (the replacement character), so it shows instead of vanishing.

    >>> storable_text("Line one\\x0bLine two\\x01")
    'Line one\\nLine two\\ufffd'
    """
    return _NOT_STORABLE.sub("\ufffd", _LINE_BREAKS.sub("\n", text))


def storable_all(value, change=storable_text):
    """``value`` with every string in it passed through ``change`` (by default made
    :func:`storable_text`): through dataclasses, lists, tuples, sets and dicts (keys
    too). What a paper or a return writes from a workbook (an authority's name, an
    answer, a file name) may hold a control character Word's and Excel's XML cannot
    carry."""
    import dataclasses

    if isinstance(value, str):
        return change(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{
            field.name: storable_all(getattr(value, field.name), change)
            for field in dataclasses.fields(value) if field.init})
    if isinstance(value, dict):
        return type(value)((storable_all(k, change), storable_all(v, change))
                           for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):   # a named tuple
        return type(value)(*(storable_all(item, change) for item in value))
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(storable_all(item, change) for item in value)
    return value
