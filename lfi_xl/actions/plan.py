"""lfi-xl plan: the plan from a workbook or the shipped default (:func:`load_plan`), and
the computed plan with its reconciliation as one plain dictionary.

``lfi-xl plan --json`` prints exactly :func:`plan_summary`; the text table is drawn from
the same dictionary, so the two never disagree.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lfi_xl import contract as c
from lfi_xl.adapters.files.package import check_workbook_file
from lfi_xl.core.plan import Plan, compute_plan
from lfi_xl.core.reconcile import reconcile
from lfi_xl.data import published


def load_plan(path: str | Path | None) -> tuple[Plan, str]:
    """The plan in ``path`` (a DSG plan workbook), or the published default without one."""
    if path is None:
        return published.published_plan(), published.SOURCE
    path = Path(path)
    check_workbook_file(path)
    from lfi_xl.adapters.files.reader import read_plan

    return read_plan(path), str(path)


def _figures(values: np.ndarray, digits: int = 6) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), digits) for v in values]


def plan_summary(plan: Plan, funding_gap_method: str = "A", source: str = "") -> dict:
    """Every computed line (full precision to 6 dp, £m) and every reconciliation finding."""
    result = compute_plan(plan, funding_gap_method)
    differences = reconcile(plan)
    return {
        "source": source,
        "years": list(result.years),
        "opening_balance": round(result.opening_balance, 6),
        "total_income": _figures(result.total_income),
        "total_expenditure": _figures(result.total_expenditure),
        "in_year": _figures(result.in_year),
        "cumulative_before_sv": _figures(result.cumulative_before_sv),
        "dfe": _figures(result.dfe),
        "la": _figures(result.la),
        "cumulative_after_dfe_only": _figures(result.cumulative_after_dfe),
        "cumulative_after_sv": _figures(result.cumulative_after_sv),
        "funding_gap": _figures(result.funding_gap),
        "funding_gap_method": result.funding_gap_method,
        "hnb_allocation": _figures(result.hnb_allocation),
        "block_transfers": _figures(result.block_transfers),
        "direct_spend": _figures(result.direct_spend),     # KPI 13's plan figure
        "central_spend": _figures(result.central_spend),   # KPI 14's
        "first_balanced_year": result.first_balanced_year,
        "reaches_zero": result.reaches_zero,
        "total_dfe": round(float(result.dfe.sum()), 6),
        "total_la": round(float(result.la.sum()), 6),
        "reconciliation": [d.as_dict() for d in differences],
    }


_ROWS = tuple((label, key, "{:.2%}" if key == "funding_gap" else "{:,.3f}")
              for key, label in c.PLAN_SUMMARY.items())
#: The funding gap row's label by method, saying what each divides (core/plan.funding_gap).
_FUNDING_GAP_LABELS = {
    "A": "Funding gap as % of HNB allocation",
    "B": "Funding gap as % of HNB allocation + block transfers",
    "C": "Funding gap (expenditure - allocation) as % of HNB allocation",
}


def plan_table(summary: dict) -> str:
    """The summary as the text table a finance officer reads (£m, 3 dp)."""
    gap_label = _FUNDING_GAP_LABELS.get(str(summary["funding_gap_method"]).upper(),
                                        _ROWS[-1][0])
    label_width = max(len(label) for label in [*(row[0] for row in _ROWS), gap_label])
    width = 10
    lines = []
    if summary.get("source"):
        lines.append(f"Plan: {summary['source']}")
    lines.append(f"Opening balance (cumulative deficit before the first year): "
                 f"£{summary['opening_balance']:,.3f}m")
    lines.append("")
    lines.append(" " * label_width + "".join(f"{y:>{width}}" for y in summary["years"]))
    for label, key, fmt in _ROWS:
        if key == "funding_gap":
            label = gap_label
        cells = ["" if v is None else fmt.format(v) for v in summary[key]]
        lines.append(f"{label:<{label_width}}" + "".join(f"{c:>{width}}" for c in cells))
    lines.append("")
    lines.append(f"Total DfE contribution £{-summary['total_dfe']:,.3f}m; council contribution "
                 f"£{-summary['total_la']:,.3f}m.")
    balanced = summary["first_balanced_year"] or "not within the plan"
    lines.append(f"First year in balance (in-year <= 0): {balanced}.")
    final = summary["cumulative_after_sv"][-1]
    lines.append(
        f"Cumulative balance after Safety Valve funding in {summary['years'][-1]}: "
        f"£{final:,.3f}m: " + ("cleared." if summary["reaches_zero"] else "NOT cleared.")
    )
    lines.append(f"Funding gap method {summary['funding_gap_method']}.")
    lines.append("")
    findings = summary["reconciliation"]
    if not findings:
        lines.append("Reconciliation: every printed total equals the sum of its terms.")
    else:
        errors = sum(d["kind"] == "error" for d in findings)
        lines.append(f"Reconciliation: {len(findings)} printed figure(s) differ from their "
                     f"terms; {errors} beyond rounding.")
        for d in findings:
            lines.append(f"  [{d['kind']}] {d['message']}")
    return "\n".join(lines)
