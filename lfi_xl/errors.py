"""Errors that reach people: each says which file, sheet and cell, and what was expected."""

from __future__ import annotations


class UnusableInput(Exception):
    """A file lfi-xl cannot use at all (missing, corrupt, encrypted, not a workbook, or
    missing a table it needs). The CLI prints the message on one line and exits 2.

    ``unless``: as for :class:`Refused`, the action's keyword argument that would use it
    all the same (``allow_edited``, ``draft``)."""

    def __init__(self, reason: str, *, unless: str | None = None):
        super().__init__(reason)
        self.unless = unless


def quote_sheet(sheet: str, always: bool = False) -> str:
    """A sheet name as a reference writes it: ``Plan``, ``'DSG Plan'``, ``'Bob''s'``."""
    if always or not sheet.replace("_", "").isalnum():
        return "'" + sheet.replace("'", "''") + "'"
    return sheet


def cell_ref(sheet: str, cell: str) -> str:
    """``Plan!D7``, quoting sheet names that need it as Excel does (``'DSG Plan'!D7``)."""
    return f"{quote_sheet(sheet)}!{cell}"


class Refused(Exception):
    """The request cannot be carried out as asked (exit 1), with the reason.

    ``unless``: the action's keyword argument that would carry it out all the same
    (``allow_gap``, ``supersede``, ``draft``), for a shell to say how in its own terms (a
    command-line flag); the reason itself never names one."""

    def __init__(self, reason: str, *, unless: str | None = None):
        super().__init__(reason)
        self.unless = unless
