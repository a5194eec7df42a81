"""lfi-xl: the Local First Inclusion (DSG Safety Valve) plan and KPI tools.

The Python API mirrors the command line, one function per command:

=========================  ==========================================================
``lfi-xl plan``            :func:`load_plan` + :func:`plan_summary`
``lfi-xl validate``        ``lfi_xl.actions.validate.validate(open_workbook(path))``
``lfi-xl freeze``          ``with changing(path) as workbook:`` :func:`freeze` ``(workbook,
                           period)`` (saved when the block ends without an error)
``lfi-xl verify``          :func:`verify` ``(open_workbook(path))``
``lfi-xl extract``         :func:`build_extract` + :func:`write_extract`
``lfi-xl adopt``           ``with changing(path) as workbook:`` ``adopt(workbook)``
``lfi-xl recalc``          ``lfi_xl.actions.recalc.recalc(path, out)``
``lfi-xl forecast``        :func:`forecast_table` (a pandas DataFrame; :func:`read_history`)
=========================  ==========================================================

Periods are :class:`~lfi_xl.core.periods.Period` values (``parse_period("2023-24 Q1")``).
"""

import importlib

# Loaded on first use, so a quick command does not pay for every engine's import.
_API = {
    "Plan": "lfi_xl.core.plan", "PlanLine": "lfi_xl.core.plan",
    "compute_plan": "lfi_xl.core.plan", "reconcile": "lfi_xl.core.reconcile",
    "build_extract": "lfi_xl.actions.extract", "WorkbookValues": "lfi_xl.adapters.files.reader",
    "FileWorkbook": "lfi_xl.adapters.files.writer", "plan_summary": "lfi_xl.actions.plan",
    "write_extract": "lfi_xl.actions.forum_paper", "freeze": "lfi_xl.actions.freeze",
    "verify": "lfi_xl.book.snapshots", "load_plan": "lfi_xl.actions.plan",
    "open_workbook": "lfi_xl.adapters.opening", "changing": "lfi_xl.adapters.opening",
    "parse_period": "lfi_xl.core.periods", "Period": "lfi_xl.core.periods",
    "forecast_table": "lfi_xl.actions.forecast", "read_history": "lfi_xl.actions.forecast",
}
__all__ = sorted(_API)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'lfi_xl' has no attribute {name!r}")
