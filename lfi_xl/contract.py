"""The workbook contract: the one place that names sheets, defined names, table columns,
settings and the KPI catalogue.

The workbook builder, the worksheet functions' formulas, the macros and validation all
read these names from here; no other module spells a sheet or cell name. Code finds data
by defined name or by column header, never by a fixed address, so users can insert rows
and columns.
"""

from __future__ import annotations

from collections.abc import Callable

from lfi_xl.core import kpis as k
from lfi_xl.core import plan as _plan
from lfi_xl.core.kpis import Kpi
from lfi_xl.core.periods import parse_due_dates, parse_period, parse_year

# ---------------------------------------------------------------------------------------
# The KPI catalogue: the 46 LFI programme KPIs of the DfE return (Schools Forum, 17 May
# 2023, appendix 2), keyed by master ref. Measures are verbatim, typos included, so they
# match the council's own sheets. Columns: ref | measure | workstreams | data source |
# regularity | unit | sign (how a positive value reads) | Schools Forum line | Forum
# wording ("=" where it is the same). All are programme KPIs ("Prog: Yes").
# ---------------------------------------------------------------------------------------
_KPI_TABLE = """
1|Actual EHCPs|12|Synergy|Termly|COUNT||1|=
2|% change in EHCPs|123|Synergy|Termly|PERCENT|+increase|2|=
3|Net EHCPs Projected|123|SEN2|Annually|COUNT||3|=
4|New EHCPs|1|SEN Key headlines|Annually|COUNT||4|=
5|% of EHCP per head of school age population|123|school census|Termly|PERCENT||6|% of EHCP per head of population
6|EHCP referral rates from schools|123|manual/Synergy|Termly|COUNT||34|=
7|EHCP referral rates from parents|123|manual/Synergy|Termly|COUNT||35|=
8|EHCP referral rates from other professionals|123|manual/Synergy|Termly|COUNT||36|=
9|% of pupils with SEN support|123|school census|Termly|PERCENT||7|=
10|Movers and other pupil flow including incomers into county|5|NR spreadsheet|Annually|COUNT||5|=
11|HNB surplus (+) / deficit (-)|12345|My Oracle|Termly|MILLIONS|+surplus/-deficit|8|HNB surplus / deficit
12|HNB spend|12345|My Oracle|Termly|MILLIONS||9|=
13|HNB spend - direct (includes recoupmnt and future demand)|5|My Oracle|Termly|MILLIONS||10|HNB spend - direct (includes recoupment and future demand)
14|HNB spend - central|123|My Oracle|Termly|MILLIONS||11|=
15|Average cost - all HNB 2 - 18|12345|My Oracle|Termly|POUNDS||21|=
16|In Year DSG surplus/deficit|12345|My Oracle|Termly|MILLIONS|+deficit/-surplus|12|=
17|Cumulative DSG surplus/deficit - before safety valve funding|-|My Oracle|Termly|MILLIONS|+deficit/-surplus|13|=
18|Cumulative DSG surplus/deficit - after safety valve funding|-|My Oracle|Termly|MILLIONS|+deficit/-surplus|14|=
19|Funding gap as % of HNB allocation|-|My Oracle|Annually|PERCENT|+gap|15|=
20|HNB DSG allocation|-|My Oracle|Annually|MILLIONS||16|=
21|Block transfers|-|My Oracle|Annually|MILLIONS||17|=
22|General Fund (Councils core budget)|-|My Oracle|Annually|MILLIONS||18|=
23|Savings/mitigation < 16|12345|manual|Termly|MILLIONS|+saving|19|=
24|Savings /mitigation > 16|12345|manual|Termly|MILLIONS|+saving|20|=
25|Savings /mitigation - all HNB|12345|manual|Termly|MILLIONS|+saving|22|=
26|Savings / mitigation - alternative provision|34|manual|Termly|MILLIONS|+saving|32|=
27|Average placement cost < 16s|1345|manual|Termly|POUNDS||23|=
28|Average placement cost > 16s|1345|manual|Termly|POUNDS||24|=
29|Average cost of in county special school < 16|1345|manual|Termly|POUNDS||25|=
30|Average cost of in county special school > 16|4|manual|Termly|POUNDS||26|=
31|Average cost of maintained / academy special school place - in county|-|manual|Termly|POUNDS||27|=
32|Average cost of maintained / academy special school place - out county|-|manual|Termly|POUNDS||28|=
33|Average cost of in county FE college place|-|manual|Termly|POUNDS||29|=
34|Average cost of in county Independent special school place > 16|4|manual|Termly|POUNDS||30|=
35|Average placement cost - alternative provision|34|manual|Termly|POUNDS||31|=
36|Average cost of new independent <16|4|manual|Termly|POUNDS||43|=
37|Average cost of new independent >16|4|manual|Termly|POUNDS||44|=
38|Average cost of ceased independent <16|45|manual|Termly|POUNDS||45|=
39|Average cost reduction from independent placement renegotiations|4|manual|Termly|POUNDS|+reduction|46|=
40|Number of independent providers|45|manual|Annually|COUNT||38|=
41|Number of independent providers with >1 place commissioned|4|manual|Annually|COUNT||39|=
42|Number in independent provision|345|SEN2|Termly|COUNT||40|=
43|% of SEMH placements in independent provision|345|SEN2|Termly|PERCENT||41|% of SEMH independent provision
44|Ratio of placements, Independent vs Maintained special school|345|SEN2|Termly|RATIO||33|=
45|PEX numbers|123|Fex/Pex dashboard|Termly|COUNT||37|=
46|Number in school based AP|235|manual|Annually|COUNT||42|=
"""

#: KPI groups by the last master ref in each, in the order of the return.
KPI_GROUPS = ((10, "EHCP"), (15, "HNB"), (22, "DSG"), (26, "Savings/mitigation"),
              (39, "Average costs"), (44, "Independent"), (46, "Alternative Provision"))

#: The subset the Schools Forum tracks by default, in its order: its lines 8-17 (master
#: refs 11-14, 16-21) and 33-37 (44, 6, 7, 8, 45). A workbook setting can change it.
FORUM_DEFAULT_REFS = (11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 44, 6, 7, 8, 45)

#: KPI 11 reports the HNB position the other way round from the plan (surplus positive).
_DISPLAY_SIGN = {11: -1}
#: Which way is better, for RAG ratings: most KPIs are better lower (deficits, spend,
#: costs, EHCP demand); these are better higher, and these have no better direction.
_BETTER_HIGHER = {11, 23, 24, 25, 26, 39, 46}
_NO_DIRECTION = {9, 10, 20, 21, 22}


def _catalogue() -> tuple[Kpi, ...]:
    rows = []
    for line in _KPI_TABLE.strip().splitlines():
        number, measure, streams, source, regularity, unit, sign, forum_line, forum = (
            line.split("|"))
        ref = int(number)
        group = next((name for last, name in KPI_GROUPS if ref <= last), None)
        if group is None:  # docs/adding-a-kpi.md
            raise ValueError(f"KPI {ref} ({measure}): no group: KPI_GROUPS in "
                             f"lfi_xl/contract.py ends at KPI {KPI_GROUPS[-1][0]}; extend the "
                             "last group's ref or add a group for it")
        rows.append(Kpi(
            ref=ref,
            group=group,
            measure=measure,
            programme=True,
            workstreams=tuple(int(c) for c in streams if c.isdigit()),
            source=source,
            regularity=regularity,
            unit=getattr(k, unit),
            sign=sign,
            display_sign=_DISPLAY_SIGN.get(ref, 1),
            better="" if ref in _NO_DIRECTION else "higher" if ref in _BETTER_HIGHER else "lower",
            forum_line=int(forum_line),
            forum_measure=measure if forum == "=" else forum,
            forum_default=ref in FORUM_DEFAULT_REFS,
        ))
    return tuple(rows)


KPIS: tuple[Kpi, ...] = _catalogue()
KPI_BY_REF = k.by_ref(KPIS)
KPI_BY_FORUM_LINE = {kpi.forum_line: kpi for kpi in KPIS}


# ---------------------------------------------------------------------------------------
# Workbook names. Defined names are how code and formulas find data; the sheet names are
# what the builder creates (a user may rename a sheet: Excel updates the defined names).
# ---------------------------------------------------------------------------------------
PLAN_WORKBOOK = "dsg_plan.xlsx"
KPI_WORKBOOK = "template_kpi.xlsx"

# Sheets of dsg_plan.xlsx
SETTINGS = "Settings"
PLAN = "Plan"
FORECAST = "Forecast"
MONITORING = "Monitoring"
LISTS = "Lists"
# Sheets of template_kpi.xlsx (with Settings and Lists). Placements and Mitigations live
# here, not in the plan workbook: the KPIs computed from them are live formulas, and
# formulas never reach into another workbook.
KPI_SHEET = "KPIs"
PLAN_DATA = "Plan Data"
PLACEMENTS = "Placements"
MITIGATIONS = "Mitigations"
CONDITIONS = "Conditions"
NARRATIVE = "Narrative"
SNAPSHOTS = "Snapshots"
COST_WORKINGS = "Cost workings"
AUDIT = "Audit"
VALIDATION = "Validation"

#: Prefix of every worksheet function.
FUNCTION_PREFIX = "LFI_"
#: Category of the worksheet functions in Excel's function wizard.
FUNCTION_CATEGORY = "Local First Inclusion"


# Settings: (key, label, default, meaning). Each value cell is named Settings_<key>.
SETTING_ROWS = (
    ("LAName", "Local authority", "Norfolk County Council", "Shown on the extract's cover."),
    ("CurrentYear", "Current financial year", "2023/24",
     "The year the Monitoring sheet reports on (plan style, e.g. 2023/24)."),
    ("CurrentPeriod", "Current report period", "2023-24 Q3",
     "The latest report period; KPI columns up to it are expected to be filled."),
    ("ReportsPerYear", "Reports a year", 3, "3 for the DfE's tri-annual reports; 4 quarterly."),
    ("DueDates", "Due dates", "16 Jun, 15 Sep, 15 Dec",
     "Day and month each report is due, in report order."),
    ("FirstYear", "First programme year", "2023-24", "First year with report columns."),
    ("LastYear", "Last programme year", "2028-29", "Last year with report columns."),
    ("FundingGapMethod", "Funding gap method", "A",
     "A: in-year / HNB allocation; B: / (allocation + block transfers); "
     "C: (expenditure - allocation) / allocation."),
    ("ForumKPIs", "Schools Forum KPIs", ", ".join(map(str, FORUM_DEFAULT_REFS)),
     "Master refs of the KPIs in the Schools Forum extract, in order."),
    ("SuppressionThreshold", "Small-number suppression", 5,
     "Counts below this are shown as c in the public extract."),
    ("RAGTolerance", "RAG amber tolerance", 0.05,
     "How far short of target (share of target) is still amber."),
    # The DfE monitoring return (lfi-xl dfe-return): what its cover page says.
    ("ProgrammeName", "Programme's local name", "Local First Inclusion",
     "What the council calls its Safety Valve programme; the DfE return's title uses it."),
    ("SignedOffBy", "Signed off by", "S151 Officer; Director of Children's Services",
     "Who signs the DfE return off, separated by ';'; add a name after a colon "
     "(S151 Officer: A Person)."),
    ("SignOffSteps", "Internal sign-off dates",
     "final signed off by Executive Board: 12 Jun, 12 Sep, 12 Dec; "
     "draft to Delivery Group: 26 May, 25 Aug, 24 Nov",
     "Each step before the DfE due date: a name, a colon, then its day and month for each "
     "report; steps separated by ';'."),
    ("Illustrative", "Illustrative data", "No",
     "Yes while the workbook holds made-up figures (the shipped templates): every page of "
     "the Schools Forum extract then says so. No for a council's own figures."),
    ("SafetyValve", "Safety Valve agreement", "Yes",
     "Yes when the council has a Safety Valve agreement with the DfE (DfE contributions, "
     "agreement conditions, the DfE's monitoring return); No for a DSG management plan "
     "without one: nothing then assumes an agreement."),
    ("PlanWorkbook", "Plan workbook (last refresh)", "",
     "Written by lfi-xl refresh: the DSG plan workbook Plan Data was filled from. The "
     "extract uses it when no plan workbook is named."),
    ("PlanWorkbookSHA256", "Plan workbook SHA-256 (last refresh)", "",
     "Written by lfi-xl refresh: the plan file's SHA-256 then; the extract refuses a plan "
     "workbook that changed since (refresh again)."),
)
SETTING_DEFAULTS = {key: default for key, _, default, _ in SETTING_ROWS}
#: Settings a workbook may lack (older and adopted workbooks) without a warning; the
#: ones lfi-xl records may be blank.
OPTIONAL_SETTINGS = frozenset({"Illustrative", "PlanWorkbook", "PlanWorkbookSHA256",
                               "SafetyValve"})
RECORDED_SETTINGS = frozenset({"PlanWorkbook", "PlanWorkbookSHA256"})


#: The lowest small-number suppression threshold a council can set: counts of 1 to 4 (and
#: averages over so few placements) are the ones that identify a child (the Government
#: Statistical Service's usual rule; a council may set a higher one).
MIN_SUPPRESSION = 5


def _whole(low: int, high: int) -> Callable[[object], int]:
    def whole(value: object) -> int:
        number = float(str(value))
        if not number.is_integer() or not low <= number <= high:
            raise ValueError(value)
        return int(number)
    return whole


def _share(value: object) -> float:
    number = float(str(value))
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


def _method(value: object) -> str:
    method = str(value).strip().upper()
    if method not in ("A", "B", "C"):
        raise ValueError(value)
    return method


def _refs(value: object) -> tuple[int, ...]:
    numbers = tuple(int(float(part)) for part in str(value).replace(";", ",").split(",")
                    if part.strip())
    if not numbers or any(ref not in KPI_BY_REF for ref in numbers):
        raise ValueError(value)
    return numbers


def _plan_year(value: object) -> str:
    year = parse_year(str(value).strip())
    return f"{year}/{(year + 1) % 100:02d}"


def _yes_no(value: object) -> bool:
    answer = str(value).strip().lower()
    if answer not in ("yes", "no", "true", "false", "y", "n"):
        raise ValueError(value)
    return answer in ("yes", "true", "y")


#: How each setting's cell is read, and what is said when it cannot be (the setting then
#: takes its default: one bad cell never stops a report). Raises ValueError (PeriodError
#: is one) for a value that is not one. The current period is also checked against the
#: cadence the two settings before it give; the text settings, not here, are taken as
#: typed (a blank one is its default).
SETTING_PARSERS: dict[str, tuple[Callable[[object], object], str]] = {
    "ReportsPerYear": (_whole(1, 4), "Reports a year must be a whole number 1-4"),
    "DueDates": (lambda value: parse_due_dates(str(value)),
                 "Due dates must read like '16 Jun, 15 Sep'"),
    "CurrentPeriod": (lambda value: parse_period(str(value)),
                      "Current report period must read like '2023-24 Q1'"),
    "FirstYear": (lambda value: parse_year(str(value)),
                  "First programme year must read like 2023-24"),
    "LastYear": (lambda value: parse_year(str(value)),
                 "Last programme year must read like 2028-29"),
    "FundingGapMethod": (_method, "Funding gap method must be A, B or C"),
    "ForumKPIs": (_refs, "Schools Forum KPIs must be master refs 1-46, separated by commas"),
    "SuppressionThreshold": (_whole(MIN_SUPPRESSION, 1000),
                             f"Small-number suppression must be a whole number from "
                             f"{MIN_SUPPRESSION} to 1,000: below {MIN_SUPPRESSION}, a count "
                             "or an average could identify a child"),
    "RAGTolerance": (_share, "RAG amber tolerance must be a share, 0 to 1"),
    "CurrentYear": (_plan_year, "Current financial year must read like 2023/24"),
    "Illustrative": (_yes_no, "Illustrative data must be Yes or No"),
    "SafetyValve": (_yes_no, "Safety Valve agreement must be Yes or No"),
}


def setting_name(key: str) -> str:
    return f"Settings_{key}"


# Plan sheet (and Forecast, same shape): header row of years, one row per line. Their
# defined names start with these prefixes (Plan_Table, Forecast_in_year, ...).
PLAN_PREFIX = "Plan"
FORECAST_PREFIX = "Forecast"
PLAN_LINE_HEADER = "£m"
PLAN_ID_HEADER = "Line id"
PLAN_KIND_HEADER = "Counts as"
PLAN_TABLE = "Plan_Table"
PLAN_YEARS = "Plan_Years"
PLAN_OPENING = "Plan_OpeningBalance"
FORECAST_TABLE = "Forecast_Table"
FORECAST_YEARS = "Forecast_Years"
FORECAST_OPENING = "Forecast_OpeningBalance"
#: Extra Forecast lines: money actually received, apart from the agreed profile.
RECEIVED_LINES = (
    ("dfe_received", "DfE funding received"),
    ("la_received", "Council contribution made"),
    ("cumulative_after_received", "Cumulative balance after funding received"),
)


#: How the Plan sheet's "Counts as" column names each role and kind.
PLAN_ROLE_LABELS = {
    (_plan.INCOME, _plan.ALLOCATION): "income: HNB allocation",
    (_plan.INCOME, _plan.BLOCK_TRANSFER): "income: block transfer",
    (_plan.INCOME, None): "income",
    (_plan.EXPENDITURE, _plan.DIRECT): "expenditure: direct",
    (_plan.EXPENDITURE, _plan.CENTRAL): "expenditure: central",
    (_plan.EXPENDITURE, None): "expenditure",
    (_plan.TOTAL_INCOME, None): "total income",
    (_plan.TOTAL_EXPENDITURE, None): "total expenditure",
    (_plan.IN_YEAR, None): "in-year",
    (_plan.CUMULATIVE_BEFORE, None): "cumulative before Safety Valve",
    (_plan.DFE, None): "DfE contribution",
    (_plan.LA, None): "council contribution",
    (_plan.CUMULATIVE_AFTER, None): "cumulative after Safety Valve",
}




#: The same, worded for a council without a Safety Valve agreement (both are understood).
NO_AGREEMENT_ROLE_LABELS = {
    **{key: label for key, label in PLAN_ROLE_LABELS.items() if key != (_plan.DFE, None)},
    (_plan.CUMULATIVE_BEFORE, None): "cumulative before contributions",
    (_plan.CUMULATIVE_AFTER, None): "cumulative after contributions",
}


def role_labels(safety_valve: bool = True) -> dict:
    """The "Counts as" labels for a plan with or without a Safety Valve agreement."""
    return PLAN_ROLE_LABELS if safety_valve else NO_AGREEMENT_ROLE_LABELS


def plan_line_name(line_id: str, sheet_prefix: str = "Plan") -> str:
    """Defined name of one plan line's values (years across): ``Plan_in_year``."""
    return f"{sheet_prefix}_{line_id}"


# Line kinds (written by adopt into a council's own plan workbook): how each income and
# expenditure line of its plan counts (the "Counts as" labels above), where the council can
# see and correct it; the plan's direct and central spend (KPIs 13 and 14) follow it.
LINE_KINDS = "Line kinds"
LINE_KINDS_TABLE = "LineKinds_Table"
LINE_KINDS_COLUMNS = ("Line", "Line id", PLAN_KIND_HEADER, "Why")

# Demand sheet (optional): the EHC plans each January the forecast starts from (the DfE's
# series for the authority, or its own counts) and the EHC plans the plan was costed on, one
# per plan year (blank: the trend when the plan was made). lfi_xl.actions.demand reads them.
DEMAND = "Demand"
DEMAND_YEARS = "Demand_Years"
DEMAND_EHCPS = "Demand_EHCPs"
DEMAND_PLANNED = "Demand_Planned"
DEMAND_FORECAST = "Demand_Forecast"
#: Years LFI_FORECAST looks ahead on the Demand sheet: to the shipped plan's last January.
DEMAND_HORIZON = 4

# Monitoring sheet: the current year, by report.
MONITORING_COLUMNS = ("Plan", "Q1 forecast", "Q2 forecast", "Q3 forecast", "Outturn")
MONITORING_TABLE = "Monitoring_Table"


def monitoring_report_header(report: int) -> str:
    """The Monitoring column of a year's report ``report`` (1, 2, ...): its forecast
    column, or the Outturn column for a report past the last of them."""
    header = f"Q{report} forecast"
    return header if header in MONITORING_COLUMNS else MONITORING_COLUMNS[-1]


def monitoring_forecast_formula(line_id: str) -> str:
    """The current report's Monitoring cell of a plan line: the Forecast sheet's figure
    for Settings' current year. The forecast is typed once, in the Forecast sheet; the
    Monitoring sheet shows it, and keeps earlier reports' columns as values."""
    figure = (f"INDEX({plan_line_name(line_id, FORECAST_PREFIX)},"
              f"MATCH({setting_name('CurrentYear')},{FORECAST_YEARS},0))")
    # INDEX of an empty cell is 0: a line not typed yet stays blank, never 0, so the
    # column's totals and variances stay blank too
    return f'=IF({figure}="","",{figure})'


# KPI sheet
KPI_FIXED_COLUMNS = ("Ref", "Group", "Measure", "Workstreams", "Data source", "Regularity",
                     "Unit", "Baseline (June 2023)")
KPI_TABLE = "KPI_Table"
KPI_PERIODS = "KPI_Periods"
KPI_DUE = "KPI_Due"
KPI_PERIOD_START = "KPI_PeriodStart"
KPI_PERIOD_END = "KPI_PeriodEnd"
KPI_BASELINE = "KPI_Baseline"
KPI_COUNTS = "KPI_Counts"


def kpi_name(ref: int) -> str:
    """Defined name of one KPI's report columns: ``KPI_16``."""
    return f"KPI_{ref}"


#: The computed plan's summary lines (key: the core's PlanResult field), worded once for
#: every output: the plan command's table, the Forum paper and the DfE return.
PLAN_SUMMARY = {
    "total_income": "Total income",
    "total_expenditure": "Total expenditure",
    "in_year": "In-year +deficit/-surplus",
    "cumulative_before_sv": "Cumulative balance before Safety Valve funding",
    "dfe": "DfE contribution",
    "la": "Council contribution",
    "cumulative_after_dfe_only": "Cumulative balance after DfE funding only",
    "cumulative_after_sv": "Cumulative balance after Safety Valve funding",
    "funding_gap": "Funding gap as % of HNB allocation",
}

# Plan Data sheet (KPI workbook): plan figures by report period, copied as values from the
# DSG plan workbook (the year's plan/forecast as at each report). Key, label, plan line(s).
PLAN_DATA_ROWS = (
    ("allocation", "HNB DSG allocation (income, £m)"),
    ("block_transfers", "Block transfers (income, £m)"),
    ("total_expenditure", "Total expenditure (£m)"),
    ("direct_spend", "Direct spend (£m)"),
    ("central_spend", "Central spend (£m)"),
    ("in_year", "In-year +deficit/-surplus (£m)"),
    ("cumulative_before_sv", "Cumulative before Safety Valve funding (£m)"),
    ("cumulative_after_sv", "Cumulative after Safety Valve funding (£m)"),
    ("dfe", "DfE contribution (£m)"),
    ("la", "Council contribution (£m)"),
)
PLAN_DATA_PERIODS = "PlanData_Periods"
#: Plan Data labels worded for a council without a Safety Valve agreement.
NO_AGREEMENT_PLAN_DATA = {
    "cumulative_before_sv": "Cumulative before council contributions (£m)",
    "cumulative_after_sv": "Cumulative after council contributions (£m)",
    "dfe": "DfE money (£m; none without an agreement)",
}


def plan_data_name(key: str) -> str:
    return f"PlanData_{key}"


# Placements: one row per placement. (key, header). Named Placements_<key>.
PLACEMENT_COLUMNS = (
    ("ID", "Placement ID"),
    ("Category", "Category"),
    ("AgeBand", "Age band (at 31 August)"),
    ("Location", "Location"),
    ("Start", "Start date"),
    ("End", "End date"),
    ("AnnualCost", "Annual cost (£)"),
    ("PreviousCost", "Annual cost before renegotiation (£)"),
)
PLACEMENTS_TABLE = "Placements_Table"
#: The Excel tables (ListObjects) the registers are: rows typed below them join them, and
#: the registers' defined names refer to their columns (Placements[Start date]).
PLACEMENTS_EXCEL_TABLE = "Placements"
CATEGORIES = (
    "Maintained/academy special school",
    "Independent special school",
    "Specialist resource base",
    "FE college",
    "Alternative provision",
    "Mainstream (EHCP top-up)",
)
AGE_BANDS = ("Under 16", "16 and over")
LOCATIONS = ("In county", "Out of county")


def placement_name(key: str) -> str:
    return f"Placements_{key}"


# Mitigations log: savings against the unmitigated baseline. (key, header).
MITIGATION_COLUMNS = (
    ("Workstream", "Workstream"),
    ("Project", "Project"),
    ("Period", "Report period"),
    ("AgeBand", "Age band"),
    ("Provision", "Provision"),
    ("BaseVolume", "Baseline placements"),
    ("BaseUnitCost", "Baseline unit cost (£)"),
    ("Volume", "Placements"),
    ("UnitCost", "Unit cost (£)"),
    ("Saving", "Saving (£)"),
    ("VolumeEffect", "Volume effect (£)"),
    ("PriceEffect", "Price effect (£)"),
)
MITIGATIONS_TABLE = "Mitigations_Table"
MITIGATIONS_EXCEL_TABLE = "Mitigations"
PROVISIONS = ("Special school", "Independent special school", "Specialist resource base",
              "Alternative provision", "Post-16", "Mainstream")


def mitigation_name(key: str) -> str:
    return f"Mitigations_{key}"


# Conditions of the agreement: one row each, RAG per report period.
CONDITIONS_TABLE = "Conditions_Table"
CONDITIONS_PERIODS = "Conditions_Periods"
#: The agreement's conditions, as the DfE template words them (Norfolk's nine; another
#: authority types its own on the Conditions sheet, as many as its agreement has).
AGREEMENT_CONDITIONS = (
    "Develop further the culture and practice of mainstream school inclusion by improving "
    "the support offer to schools, enabling inclusion with enhanced inclusion support "
    "funding, and agreeing an Inclusion Charter with schools",
    "Improve the systems and processes for annual reviews",
    "Develop a more robust and inclusive communication strategy, targeting school leaders, "
    "key groups, and working closely with the children and young people Strategic Alliance, "
    "Norfolk Learning Board and Schools Forum",
    "Develop the early help and inclusion agenda by establishing School & Community Teams "
    "and Zones to provide proactive early help to children and young people, families, and "
    "professionals",
    "Implement a school-led Alternative Provision (AP) model as a strategy to prevent "
    "exclusions and the need for an education health and care plan (EHCP) or specialist "
    "placement. This new provision should support reintegration to mainstream as quickly as "
    "possible and be funded through reconfiguration of existing AP spend",
    "Ensure that the needs of children and young people can be addressed earlier and more "
    "effectively, thereby leading to the 'stepping down' to special educational needs (SEN) "
    "support and 'stepping-back' from the over-reliance on the independent sector, by "
    "enabling local mainstream schools to support a greater complexity of need and "
    "increasing access to state-funded specialist provision",
    "Revise the process for commissioning independent sector placements and review existing "
    "contracts",
    "Revise the design of care packages in line with the local authority's (LA's) "
    "\"Gloriously Ordinary Lives\" approach, prioritising and investing in family, friends "
    "and community when building support",
    "Implement Phase two of the LA's special educational needs and disabilities (SEND) "
    "Sufficiency Capital Programme, which centres around capacity in special schools and "
    "specialist resource bases (SRB) and the construction of two new special schools",
)
RAG_VALUES = ("R", "A", "G")
#: The Lists sheet's column of report periods (the Mitigations' and Settings' drop-downs).
LISTS_PERIODS = "Lists_periods"

# Narrative: the DfE template's questions, one row each, an answer per report period. The
# question's wording is read from the sheet (column Item), so a council can follow its own
# template; the keys say where each answer goes in the DfE return.
NARRATIVE_TABLE = "Narrative_Table"
NARRATIVE_PERIODS = "Narrative_Periods"
NARRATIVE_QUESTIONS = (
    ("on_track", "Is the LA still on track to meet the deficit control and reduction targets "
                 "as set out in the agreement? Please demonstrate evidence of your answer."),
    ("conditions", "What progress has been made towards implementing the conditions set in "
                   "the agreement, and are the timelines set in your detailed proposals still "
                   "on track?"),
    ("risks", "What are the current risks to implementation, and how are you mitigating these?"),
    ("setbacks", "Have there been any unforeseen difficulties or setbacks in implementing the "
                 "agreement? How have you mitigated these?"),
    ("staff_changes", "Details of any substantial changes to the senior staff at the LA "
                      "responsible for implementing your agreement."),
    ("impact", "Positive impacts of the DSG management plan on the experiences of children "
               "and young people (an example case study, narrative or a contribution from "
               "the Parent Carer Forum)."),
    ("emerging_risks", "Emerging risks"),
    ("support", "Any support required"),
    ("forum_papers", "Any relevant Schools Forum papers."),
    ("appendices", "Summary of Appendices (one a line: Appendix 1 <tab> its title)"),
)
#: The DfE return's sections: Content (the four questions a return must answer), then
#: Additional Information; emerging risks, support and appendices have their own headings.
NARRATIVE_CONTENT = ("on_track", "conditions", "risks", "setbacks")
NARRATIVE_ADDITIONAL = ("forum_papers", "staff_changes", "impact")
#: Each condition's progress update: a Narrative row keyed progress_<condition number>.
PROGRESS_PREFIX = "progress_"


def progress_key(condition) -> str:
    return f"{PROGRESS_PREFIX}{condition}"


# Snapshots: frozen values. Columns are found by these headers.
# Formula and Number format: what the frozen cell held besides its value, so a formula
# edited behind its cached value or a format that shows another figure is found too.
SNAPSHOT_COLUMNS = ("Snapshot", "Period", "Kind", "Key", "Field", "Value", "Formula",
                    "Number format", "Frozen by", "Frozen at", "Source SHA-256",
                    "Snapshot SHA-256", "Status")
#: The cell each value was frozen from (``KPIs!K9``), recorded as the column after
#: ``SNAPSHOT_COLUMNS`` (added to the header of a Snapshots table frozen before it was).
SNAPSHOT_CELL = "Cell"
SNAPSHOT_RECORDED = (*SNAPSHOT_COLUMNS, SNAPSHOT_CELL)
SNAPSHOTS_TABLE = "Snapshots_Table"
SNAPSHOT_KINDS = ("KPI", "Condition", "Narrative", "Plan")
SNAPSHOT_KPI, SNAPSHOT_CONDITION, SNAPSHOT_NARRATIVE, SNAPSHOT_PLAN = SNAPSHOT_KINDS
#: The n behind a frozen average cost (its own kind: LFI_SNAPSHOT reads KPI rows only).
SNAPSHOT_COUNT = "KPI n"

# Audit: every freeze and supersede, each entry chained to the one before by its hash and
# anchoring the hash of the snapshot it logs.
AUDIT_COLUMNS = ("Entry", "When", "Who", "Action", "Period", "Snapshot", "Snapshot SHA-256",
                 "Reason", "Source SHA-256", "Previous entry SHA-256", "Entry SHA-256")
#: The receipt file freeze appends the audit chain's head to, beside the workbook.
RECEIPTS_SUFFIX = ".lfi-receipts.jsonl"
AUDIT_TABLE = "Audit_Table"

# Validation (written into the workbook by the ribbon button).
VALIDATION_COLUMNS = ("Severity", "Sheet", "Cell", "Rule", "Message")

# Formats
FORMAT_MILLIONS = "0.000"
FORMAT_POUNDS = "£#,##0"
FORMAT_PERCENT = "0.0%"
FORMAT_COUNT = "#,##0"
FORMAT_RATIO = "0.00"
FORMAT_DATE = "dd/mm/yyyy"
UNIT_FORMATS = {"£m": FORMAT_MILLIONS, "£": FORMAT_POUNDS, "%": FORMAT_PERCENT,
                "count": FORMAT_COUNT, "ratio": FORMAT_RATIO}
INPUT_FILL = "FFF2CC"      # inputs: pale yellow, the usual finance convention
HEADER_FILL = "1F4E78"     # header rows: dark blue with white text
#: (short enough to print within the narrowest sheet's page; Settings says what to do)
ILLUSTRATIVE_NOTE = "ILLUSTRATIVE DATA: made-up figures, not in the published plan."


# ---------------------------------------------------------------------------------------
# How the calculated KPIs are computed: the KPI sheet's formulas and the core's direct
# computation both read these tables, so the two cannot drift apart.
# ---------------------------------------------------------------------------------------
#: KPIs read from the Plan Data sheet: ref -> (Plan Data row, sign to show it with).
PLAN_KPIS = {
    11: ("in_year", -1), 12: ("total_expenditure", 1), 13: ("direct_spend", 1),
    14: ("central_spend", 1), 16: ("in_year", 1), 17: ("cumulative_before_sv", 1),
    18: ("cumulative_after_sv", 1), 20: ("allocation", -1), 21: ("block_transfers", -1),
    22: ("la", -1),
}
#: KPI 19, the funding gap, from the Plan Data in-year and allocation rows.
FUNDING_GAP_KPI = 19
#: Criteria on the placement columns for each FTE-weighted average cost KPI. A criterion
#: may hold {start} / {end}: the first / last day the report period covers.
_SPECIAL = ("Category", "*special school")
_INDEPENDENT = ("Category", "Independent special school")
_IN_COUNTY, _UNDER16, _OVER16 = ("Location", "In county"), ("AgeBand", "Under 16"), (
    "AgeBand", "16 and over")
AVERAGE_COST_KPIS = {
    15: (),
    27: (_UNDER16,),
    28: (_OVER16,),
    29: (_SPECIAL, _IN_COUNTY, _UNDER16),
    30: (_SPECIAL, _IN_COUNTY, _OVER16),
    31: (("Category", "Maintained/academy special school"), _IN_COUNTY),
    32: (("Category", "Maintained/academy special school"), ("Location", "Out of county")),
    33: (("Category", "FE college"), _IN_COUNTY),
    34: (_INDEPENDENT, _IN_COUNTY, _OVER16),
    35: (("Category", "Alternative provision"),),
    36: (_INDEPENDENT, _UNDER16, ("Start", ">={start}"), ("Start", "<={end}")),
    37: (_INDEPENDENT, _OVER16, ("Start", ">={start}"), ("Start", "<={end}")),
    38: (_INDEPENDENT, _UNDER16, ("End", ">={start}"), ("End", "<={end}")),
}
#: KPI 39: average (cost before - cost after) over renegotiated independent placements.
RENEGOTIATION_KPI = (39, (_INDEPENDENT, ("PreviousCost", ">0")))
#: Savings KPIs: sums of the mitigation log's savings for the period (£ -> £m).
SAVINGS_KPIS = {
    23: (("AgeBand", "Under 16"),),
    24: (("AgeBand", "16 and over"),),
    25: (),
    26: (("Provision", "Alternative provision"),),
}
# Cost workings sheet: every average cost and n of every period from ONE LFI_COSTS call
# (an array formula), so Excel hands the register to Python once per recalculation, not
# once per cell; the KPI sheet's average-cost and n cells show its cells.
#: Header + one row per result: Ref, Result, Cost, then criteria columns headed like the
#: Placements columns they test.
COST_MEASURES = "CostWorkings_Measures"
#: LFI_COSTS's answer: one row per measure row, one column per KPI-sheet period.
COST_RESULTS = "CostWorkings_Results"
COST_MEASURE_COLUMNS = ("Ref", "Result", "Cost")
COST_AVERAGE, COST_COUNT = "Average", "n"
#: A date criterion meaning "within the report period" (>= its first day, <= its last).
IN_PERIOD = "in period"
#: The placement columns the measures' criteria test, in the order the sheet shows them.
COST_CRITERIA_KEYS = ("Category", "AgeBand", "Location", "Start", "End", "PreviousCost")


def _criteria_cells(criteria) -> dict[str, str]:
    """Contract criteria as the Cost workings cells: {start}/{end} pairs as IN_PERIOD."""
    cells: dict[str, str] = {}
    for key, criterion in criteria:
        if criterion in (">={start}", "<={end}"):
            cells[key] = IN_PERIOD
        else:
            cells[key] = criterion
    return cells


#: The KPIs with an average cost and an n: every AVERAGE_COST_KPIS one, and KPI 39.
AVERAGE_COST_REFS = (*AVERAGE_COST_KPIS, RENEGOTIATION_KPI[0])


def cost_averages(ref: int) -> tuple[tuple[int, str, str], ...]:
    """The Cost workings averages a KPI shows, as (ref, result, cost column key): its
    annual cost's, or for KPI 39 the cost before renegotiation's and after's (shown as
    the first less the second)."""
    if ref == RENEGOTIATION_KPI[0]:
        return (ref, COST_AVERAGE, "PreviousCost"), (ref, COST_AVERAGE, "AnnualCost")
    return ((ref, COST_AVERAGE, "AnnualCost"),)


def cost_count(ref: int) -> tuple[int, str, str]:
    """The Cost workings n of a KPI, as (ref, result, "")."""
    return ref, COST_COUNT, ""


def cost_measures() -> list[tuple[int, str, str, dict[str, str]]]:
    """The Cost workings rows: (KPI ref, result, cost column key or "", criteria cells).
    Each average-cost KPI has its averages (:func:`cost_averages`) then its n."""
    return [(*figure, _criteria_cells(criteria))
            for ref, criteria in (*AVERAGE_COST_KPIS.items(), RENEGOTIATION_KPI)
            for figure in (*cost_averages(ref), cost_count(ref))]


#: How papers word the Safety Valve KPIs for a council without an agreement.
NO_AGREEMENT_MEASURES = {
    17: "Cumulative DSG surplus/deficit - before council contributions",
    18: "Cumulative DSG surplus/deficit - after council contributions",
}

#: KPI 2, % change in EHCPs: KPI 1 against its baseline.
PERCENT_CHANGE_KPIS = {2: 1}
CALCULATED_KPIS = frozenset(
    {*PLAN_KPIS, FUNDING_GAP_KPI, *AVERAGE_COST_REFS, *SAVINGS_KPIS,
     *PERCENT_CHANGE_KPIS})
