"""Norfolk's published DSG management plan: the shipped default.

Source: Norfolk Schools Forum, 17 May 2023, item 3 "Local First Inclusion", the
multi-year plan submitted to the DfE in January 2023 with the agreed Safety Valve
funding (``shared/seeds/004_*.txt``, section 2). £m, 3 decimals, income negative,
expenditure positive, in-year +deficit/-surplus, contributions negative, exactly as
printed (blank cells are ``None``). The line ids are stable: workbooks, defined names
and snapshots refer to them.
"""

from __future__ import annotations

import numpy as np

from lfi_xl.core import plan as p

LA_NAME = "Norfolk County Council"
SOURCE = "Norfolk Schools Forum, 17 May 2023, item 3: Local First Inclusion (DSG plan table)"

YEARS = ("2022/23", "2023/24", "2024/25", "2025/26", "2026/27", "2027/28", "2028/29")

# (id, label as printed, role, kind, values)
LINES = (
    ("hnb_dsg_income", "High Needs Block DSG Income", p.INCOME, p.ALLOCATION,
     (-120.578, -135.212, -141.484, -145.175, -148.682, -152.865, -157.846)),
    ("schools_block_transfer", "1.5% Schools Block transfer", p.INCOME, p.BLOCK_TRANSFER,
     (-8.529, -9.015, -9.196, -9.380, -9.567, -9.759, -9.954)),
    ("total_income", "Total income", p.TOTAL_INCOME, None,
     (-129.107, -144.228, -150.680, -154.555, -158.249, -162.623, -167.800)),
    ("special_schools", "Maintained / Academy / Free Special Schools", p.EXPENDITURE, p.DIRECT,
     (46.878, 53.584, 56.351, 58.883, 62.115, 64.828, 67.038)),
    ("resource_bases", "Specialist Resource Bases & Deaf Resource Bases", p.EXPENDITURE,
     p.DIRECT, (6.314, 7.966, 10.466, 14.291, 17.959, 19.497, 19.887)),
    ("independent_special", "Independent Special Schools", p.EXPENDITURE, p.DIRECT,
     (42.771, 47.424, 41.437, 29.825, 16.910, 7.427, 6.908)),
    ("alternative_provision", "Alternative Provision", p.EXPENDITURE, p.DIRECT,
     (2.133, 2.110, 2.007, 1.894, 1.783, 1.662, 1.552)),
    ("short_stay_schools", "Short Stay Schools", p.EXPENDITURE, p.DIRECT,
     (8.400, 8.831, 8.203, 7.578, 6.957, 6.339, 5.726)),
    ("post16_fe", "Post-16 (Further Education)", p.EXPENDITURE, p.DIRECT,
     (8.173, 8.631, 8.864, 8.620, 8.386, 8.160, 7.960)),
    ("other_provisions", "Other Provisions", p.EXPENDITURE, p.DIRECT,
     (5.027, 4.238, 3.866, 3.514, 3.133, 2.793, 2.393)),
    ("inclusion_fund", "Inclusion fund (including mainstream SEN / EHCP support)",
     p.EXPENDITURE, p.DIRECT, (20.176, 23.265, 25.118, 26.533, 27.310, 27.589, 27.370)),
    ("support_services", "Speech & Language, Sensory, Youth Offending and Child & Adolescent "
     "Mental Health support & contributions", p.EXPENDITURE, p.CENTRAL,
     (3.551, 3.680, 3.744, 3.841, 3.940, 4.042, 4.146)),
    ("inclusion_infrastructure", "High Needs Inclusion Infrastructure, cluster teams "
     "including parent link workers", p.EXPENDITURE, p.CENTRAL,
     (2.680, 6.098, 7.466, 7.346, 7.323, 6.163, 5.289)),
    ("other_central", "Other, including TPG/TPECG, H&SC levy and new school start-up costs",
     p.EXPENDITURE, p.CENTRAL, (2.641, 2.519, 2.591, 2.655, 2.734, 2.804, 2.856)),
    ("investment_contingency", "Investment contingency including Inclusion Fund",
     p.EXPENDITURE, p.CENTRAL, (0.000, 1.030, 1.000, 0.500, 0.000, 0.000, 0.000)),
    ("total_expenditure", "Total Expenditure", p.TOTAL_EXPENDITURE, None,
     (148.744, 169.376, 171.112, 165.479, 158.549, 151.303, 151.125)),
    ("in_year", "In-year +deficit/-surplus", p.IN_YEAR, None,
     (19.637, 25.149, 20.433, 10.924, 0.300, -11.320, -16.675)),
    ("cumulative_before_sv", "Cumulative Balance without contribution", p.CUMULATIVE_BEFORE,
     None, (73.613, 98.762, 119.194, 130.118, 130.418, 119.098, 102.423)),
    ("dfe_contribution", "DfE Contribution", p.DFE, None,
     (-28.000, -6.000, -6.000, -6.000, -6.000, -6.000, -12.000)),
    ("la_contribution", "NCC Contribution", p.LA, None,
     (None, -5.500, -5.500, -5.500, -5.500, -5.500, -4.923)),
    ("cumulative_after_sv", "Cumulative Balance", p.CUMULATIVE_AFTER, None,
     (45.613, 59.262, 68.194, 67.618, 56.418, 33.598, 0.000)),
)


def published_plan() -> p.Plan:
    """The published table as a :class:`~lfi_xl.core.plan.Plan` (opening balance derived)."""
    return p.Plan(
        years=YEARS,
        lines=tuple(
            p.PlanLine(line_id, label, role,
                       np.array([float("nan") if v is None else v for v in values]), kind)
            for line_id, label, role, kind, values in LINES
        ),
    )
