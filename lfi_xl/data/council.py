"""Who the builder builds for: a council's description (name, programme, reports a year,
years, opening balance, Safety Valve agreement or not).

The shipped templates are :data:`SHIPPED` (Norfolk's published plan with illustrative
figures, for trying lfi-xl out); ``lfi-xl new`` builds a blank pair for any council with
:func:`blank_council`: its own name everywhere, a column for every report of every year,
no figures of anyone else's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lfi_xl import contract as c
from lfi_xl.core import plan as p
from lfi_xl.core.periods import Cadence, Period, PeriodError, parse_year, year_label
from lfi_xl.data import published

#: A council's plan lines when it starts blank: the DfE DSG management plan's usual lines,
#: in neutral wording (the council rewords or adds lines on its Plan sheet). The ids are
#: the contract's (validate, refresh and the KPIs find lines by them).
BLANK_LINES = (
    ("hnb_dsg_income", "High Needs Block DSG allocation", p.INCOME, p.ALLOCATION),
    ("schools_block_transfer", "Schools Block transfer", p.INCOME, p.BLOCK_TRANSFER),
    ("total_income", "Total income", p.TOTAL_INCOME, None),
    ("special_schools", "Maintained and academy special schools", p.EXPENDITURE, p.DIRECT),
    ("resource_bases", "Specialist resource bases and units", p.EXPENDITURE, p.DIRECT),
    ("independent_special", "Independent special schools", p.EXPENDITURE, p.DIRECT),
    ("alternative_provision", "Alternative provision", p.EXPENDITURE, p.DIRECT),
    ("post16_fe", "Post-16 and further education", p.EXPENDITURE, p.DIRECT),
    ("inclusion_fund", "Mainstream top-ups (EHCP and SEN support)", p.EXPENDITURE, p.DIRECT),
    ("support_services", "Central SEN support services", p.EXPENDITURE, p.CENTRAL),
    ("other_central", "Other central spend", p.EXPENDITURE, p.CENTRAL),
    ("total_expenditure", "Total expenditure", p.TOTAL_EXPENDITURE, None),
    ("in_year", "In-year +deficit/-surplus", p.IN_YEAR, None),
    ("cumulative_before_sv", "Cumulative balance before contributions", p.CUMULATIVE_BEFORE,
     None),
    ("dfe_contribution", "DfE Safety Valve contribution", p.DFE, None),
    ("la_contribution", "Council contribution", p.LA, None),
    ("cumulative_after_sv", "Cumulative balance", p.CUMULATIVE_AFTER, None),
)

#: Lines that exist only under a Safety Valve agreement.
SAFETY_VALVE_LINES = frozenset({"dfe_contribution"})


@dataclass(frozen=True)
class Council:
    """Everything the builder needs to know about the council it builds for."""

    name: str
    programme: str
    reports: int
    first_year: int                  # first programme year with report columns (2023)
    last_year: int
    plan_years: tuple[str, ...]      # plan style, 2022/23
    lines: tuple                     # (id, label, role, kind, values or None)
    opening_balance: float | None
    safety_valve: bool = True
    illustrative: bool = False       # the shipped templates' made-up figures
    current_period: str = ""
    source_note: str = ""
    baseline_header: str = "Baseline"

    @property
    def cadence(self) -> Cadence:
        return Cadence(self.reports)

    def periods(self) -> list[Period]:
        return self.cadence.periods(self.first_year, self.last_year)

    def line_ids(self) -> set[str]:
        return {line[0] for line in self.lines}

    def settings(self) -> dict[str, object]:
        """The Settings sheet's values, by key (the contract's defaults where not ours)."""
        values: dict[str, object] = dict(c.SETTING_DEFAULTS)
        if self.illustrative:
            values["Illustrative"] = "Yes"
            return values
        cadence = self.cadence
        due = cadence.due_dates or ()
        first = self.periods()[0]
        dates = ", ".join(f"{dt.date(2024, m, d):%-d %b}" for m, d in due)
        # Internal sign-off a week before each due date: the council renames the step and
        # moves the dates on Settings (no other council's committees).
        sign_off = ", ".join(
            f"{dt.date(2024, m, d) - dt.timedelta(days=7):%-d %b}" for m, d in due)
        values.update({
            "LAName": self.name, "ProgrammeName": self.programme,
            "ReportsPerYear": self.reports, "DueDates": dates,
            "FirstYear": year_label(self.first_year), "LastYear": year_label(self.last_year),
            "CurrentPeriod": self.current_period or first.label,
            "CurrentYear": year_label(first.year, "/"),
            "SignOffSteps": f"internal sign-off: {sign_off}",
            "SafetyValve": "Yes" if self.safety_valve else "No",
            "Illustrative": "No",
        })
        if not self.safety_valve:  # KPI 18 (after Safety Valve funding) is not the Forum's
            values["ForumKPIs"] = ", ".join(str(ref) for ref in c.FORUM_DEFAULT_REFS
                                            if ref != 18)
        return values


#: The shipped templates: Norfolk's published plan, illustrative everything else.
SHIPPED = Council(
    name=published.LA_NAME, programme=str(c.SETTING_DEFAULTS["ProgrammeName"]),
    reports=int(c.SETTING_DEFAULTS["ReportsPerYear"]),
    first_year=parse_year(str(c.SETTING_DEFAULTS["FirstYear"])),
    last_year=parse_year(str(c.SETTING_DEFAULTS["LastYear"])),
    plan_years=published.YEARS, lines=published.LINES, opening_balance=53.976,
    illustrative=True, current_period=str(c.SETTING_DEFAULTS["CurrentPeriod"]),
    source_note=f"Source: {published.SOURCE}.", baseline_header="Baseline (June 2023)")


def blank_council(name: str, reports: int, first_year: str, last_year: str,
                  programme: str | None = None, opening_balance: float | None = None,
                  safety_valve: bool = True) -> Council:
    """A council starting from nothing: blank figures, its own name and rhythm. The plan
    runs from the year before the first report year (the baseline year) to the last."""
    name = " ".join(str(name or "").split())
    if not name:
        raise PeriodError("--authority: give the council's name, e.g. 'Borsetshire County "
                          "Council'")
    first, last = parse_year(first_year), parse_year(last_year)
    if last < first:
        raise PeriodError(f"--last-year {last_year} is before --first-year {first_year}")
    if last - first > 15:
        raise PeriodError(f"{first_year} to {last_year}: more than 16 years of reports")
    Cadence(reports)  # 1-4 reports a year, with default due dates for 3 and 4
    lines = []
    for line_id, label, role, kind in BLANK_LINES:
        if not safety_valve and line_id in SAFETY_VALVE_LINES:
            continue
        if not safety_valve and line_id == "cumulative_before_sv":
            label = "Cumulative balance before council contributions"
        lines.append((line_id, label, role, kind, None))
    programme = " ".join(str(programme or "").split()) or (
        "Safety Valve programme" if safety_valve else "DSG management plan")
    return Council(
        name=name, programme=programme, reports=reports, first_year=first, last_year=last,
        plan_years=tuple(year_label(year, "/") for year in range(first - 1, last + 1)),
        lines=tuple(lines), opening_balance=opening_balance, safety_valve=safety_valve,
        source_note=f"{name}'s DSG management plan: type the figures in the yellow cells.")
