"""Errors that reach people: each says which file, sheet and cell, and what was expected."""

from __future__ import annotations


class UnusableInput(Exception):
    """A file lfi-xl cannot use at all (missing, corrupt, encrypted, not a workbook, or
    missing a table it needs). The CLI prints the message on one line and exits 2."""


def cell_ref(sheet: str, cell: str) -> str:
    """``Plan!D7``, quoting sheet names that need it as Excel does (``'DSG Plan'!D7``)."""
    needs_quotes = not sheet.replace("_", "").isalnum()
    name = "'" + sheet.replace("'", "''") + "'" if needs_quotes else sheet
    return f"{name}!{cell}"
