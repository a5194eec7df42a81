"""lfi-xl: the Local First Inclusion (DSG Safety Valve) plan and KPI tools.

The Python API mirrors the command line: ``lfi-xl plan`` is :func:`plan_summary`.
"""

from lfi_xl.core.plan import Plan, PlanLine, compute_plan
from lfi_xl.core.reconcile import reconcile
from lfi_xl.plan_summary import plan_summary
from lfi_xl.sources import load_plan

__all__ = ["Plan", "PlanLine", "compute_plan", "load_plan", "plan_summary", "reconcile"]
__version__ = "0.1.0"
