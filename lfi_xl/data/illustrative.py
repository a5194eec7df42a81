"""Illustrative data for the shipped KPI workbook: placements, mitigations, KPI values.

None of this is published. It is made up, plausibly, so the template works end to end
out of the box, and every sheet that holds it says so. It is generated from a fixed seed,
so the workbooks rebuild byte for byte. Ranges follow the domain notes: state special
school places £15-25k a year, independent special £50-90k.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from lfi_xl import contract

SEED = 20230517  # the Schools Forum meeting the published plan comes from
PLACEMENT_COUNT = 600

# Category: (share of placements, annual cost range £, share in county)
_CATEGORY_MIX = {
    "Maintained/academy special school": (0.42, (15_000, 25_000), 0.92),
    "Independent special school": (0.22, (50_000, 90_000), 0.55),
    "Specialist resource base": (0.15, (10_000, 18_000), 1.0),
    "FE college": (0.09, (8_000, 16_000), 0.85),
    "Alternative provision": (0.07, (12_000, 22_000), 1.0),
    "Mainstream (EHCP top-up)": (0.05, (6_000, 12_000), 1.0),
}


def placements() -> list[tuple]:
    """Rows of (id, category, age band, location, start, end, annual cost, previous cost)."""
    rng = np.random.default_rng(SEED)
    names = list(_CATEGORY_MIX)
    shares = np.array([_CATEGORY_MIX[name][0] for name in names])
    rows = []
    for number in range(1, PLACEMENT_COUNT + 1):
        category = names[rng.choice(len(names), p=shares / shares.sum())]
        _, (low, high), in_county = _CATEGORY_MIX[category]
        over16 = category == "FE college" or rng.random() < 0.2
        # Most placements start in September; a few at other times of year.
        year = int(rng.integers(2019, 2024))
        start = dt.date(year, 9, 1) if rng.random() < 0.7 else dt.date(
            year, 9, 1) + dt.timedelta(days=int(rng.integers(30, 300)))
        end = None
        if rng.random() < 0.3:
            end = min(start + dt.timedelta(days=int(rng.integers(180, 1400))),
                      dt.date(2025, 7, 31))
        cost = round(float(rng.uniform(low, high)), -1)
        previous = None
        if category == "Independent special school" and rng.random() < 0.25:
            previous = round(cost * float(rng.uniform(1.03, 1.12)), -1)
        rows.append((f"P{number:05d}", category, contract.AGE_BANDS[over16],
                     contract.LOCATIONS[0] if rng.random() < in_county else contract.LOCATIONS[1],
                     start, end, cost, previous))
    # In every report of 2023-24, new independent placements of both age bands and one
    # that ends, so the "new" and "ceased" averages (KPIs 36-38) have placements to show.
    for quarter_start in (dt.date(2023, 5, 2), dt.date(2023, 8, 1), dt.date(2023, 11, 6)):
        for age in contract.AGE_BANDS:
            number += 1
            rows.append((f"P{number:05d}", "Independent special school", age,
                         contract.LOCATIONS[0], quarter_start, None,
                         round(float(rng.uniform(50_000, 90_000)), -1), None))
        number += 1
        rows.append((f"P{number:05d}", "Independent special school", contract.AGE_BANDS[0],
                     contract.LOCATIONS[1], dt.date(2021, 9, 1),
                     quarter_start + dt.timedelta(days=20),
                     round(float(rng.uniform(50_000, 90_000)), -1), None))
    return rows


# Workstream, project, age band, provision, baseline volume and unit cost, and the actual
# volume and unit cost in each of the first three reports of 2023-24.
_MITIGATIONS = (
    (4, "Independent placement renegotiation", "Under 16", "Independent special school",
     20, 62_000, ((20, 60_800), (20, 59_900), (20, 59_500))),
    (5, "SRB places instead of independent", "Under 16", "Specialist resource base",
     40, 58_000, ((38, 57_000), (35, 56_500), (32, 56_000))),
    (3, "School-led alternative provision", "Under 16", "Alternative provision",
     60, 18_000, ((58, 17_900), (55, 17_700), (52, 17_500))),
    (4, "Post-16 pathways", "16 and over", "Post-16",
     25, 45_000, ((25, 44_800), (24, 44_300), (22, 44_000))),
)


def mitigations(periods: list[str]) -> list[tuple]:
    """Rows of (workstream, project, period, age band, provision, base volume, base unit
    cost, volume, unit cost) for the given periods (the first three are filled)."""
    rows = []
    for index, period in enumerate(periods[:3]):
        for workstream, project, age, provision, base_volume, base_cost, actual in _MITIGATIONS:
            volume, cost = actual[index]
            rows.append((workstream, project, period, age, provision, base_volume, base_cost,
                         volume, cost))
    return rows


# Input KPIs: baseline and one value per report (annual KPIs: one value a year, in the
# first report of the year).
KPI_SERIES = {
    1: (9_180, (9_350, 9_520, 9_680)),
    3: (9_600, (9_900,)),
    4: (1_380, (1_450,)),
    5: (0.050, (0.051, 0.052, 0.053)),
    6: (295, (310, 265, 330)),
    7: (180, (190, 175, 205)),
    8: (58, (60, 55, 70)),
    9: (0.131, (0.132, 0.133, 0.134)),
    10: (410, (420,)),
    40: (98, (95,)),
    41: (55, (52,)),
    42: (1_170, (1_150, 1_130, 1_105)),
    43: (0.42, (0.41, 0.40, 0.40)),
    44: (0.53, (0.52, 0.50, 0.48)),
    45: (41, (38, 24, 31)),
    46: (110, (120,)),
}

CONDITION_RAGS = ("GGG", "AAG", "GGG", "AGG", "AAA", "RAA", "AAA", "GAA", "GGA")

NARRATIVE = {
    "on_track": ("Broadly on track; independent placement costs are above plan.",
                 "Pressure from EHCP demand; mitigations under way.",
                 "Forecast in-year deficit above plan; recovery actions agreed."),
    "conditions": ("School & Community Teams recruited.", "Inclusion Charter consulted on.",
                   "SRB feasibility studies complete."),
    "risks": ("EHCP demand.", "Independent sector prices.", "Capital build timelines."),
    "setbacks": ("None beyond the risks above.", "Recruitment to two zone teams delayed.",
                 "DfE payment for 2023-24 withheld pending the revised plan."),
    "staff_changes": ("None.", "None.", "Interim Director of SEND appointed from November."),
    "impact": ("Parent Carer Forum co-produced the Inclusion Charter.",
               "Case study: a Year 6 pupil supported to stay in a local mainstream school.",
               "Zone teams report earlier help for families.\n\n- 120 schools signed up to the "
               "Charter\n- 40 families helped through the zone teams"),
    "emerging_risks": ("Post-16 demand.", "Inflation in transport costs.",
                       "Special school capital costs above estimates."),
    "support": ("None.", "None.", "Advice on the revised profile of the DfE payments."),
    "forum_papers": ("Schools Forum, 17 May 2023: LFI programme update.",
                     "Schools Forum, 20 September 2023: KPI extract.",
                     "Schools Forum, 17 January 2024: KPI extract and DSG plan."),
    "appendices": ("Appendix 1\tSpecialist Resource Base and Special School Growth Plan\n"
                   "Appendix 2\tSchools Forum PDF presentation March 2023",
                   "Appendix 1\tSchools Forum KPI extract, 2023-24 Q2",
                   "Appendix 1\tSchools Forum KPI extract, 2023-24 Q3\n"
                   "Appendix 2\tRevised DSG management plan"),
    **{f"progress_{number}": tuple(f"Condition {number}: {text}" for text in texts)
       for number, texts in enumerate((
           ("Inclusion support offer agreed.", "Charter consulted on.", "Charter adopted."),
           ("Review backlog mapped.", "New review process piloted.", "Process live."),
           ("Strategy drafted.", "Launched with school leaders.", "Alliance briefings held."),
           ("Zones defined.", "Teams recruited.", "Two teams short of staff."),
           ("AP model designed.", "Commissioning under way.", "First hubs open."),
           ("Step-down criteria agreed.", "Pilot in two zones.", "Rolled out county-wide."),
           ("Contracts listed.", "Framework tendered.", "Renegotiations started."),
           ("Approach agreed.", "Training delivered.", "Packages under review."),
           ("Sites chosen.", "Planning permission sought.", "Build behind by a term."),
       ), start=1)},
}


def period_value(ref: int, index: int, annual: bool) -> float | None:
    """The illustrative value of input KPI ``ref`` at report ``index`` (0, 1, 2)."""
    baseline, values = KPI_SERIES[ref]
    if annual:
        return values[0] if index == 0 else None
    return values[index] if index < len(values) else None
