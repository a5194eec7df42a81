"""The workbook contract: the one place that names sheets, defined names, table columns,
settings and the KPI catalogue.

The workbook builder, the worksheet functions' formulas, the macros and validation all
read these names from here; no other module spells a sheet or cell name. Code finds data
by defined name or by column header, never by a fixed address, so users can insert rows
and columns.
"""

from __future__ import annotations

from lfi_xl.core import kpis as k
from lfi_xl.core.kpis import Kpi

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


def _catalogue() -> tuple[Kpi, ...]:
    rows = []
    for line in _KPI_TABLE.strip().splitlines():
        ref, measure, streams, source, regularity, unit, sign, forum_line, forum = line.split("|")
        ref = int(ref)
        rows.append(Kpi(
            ref=ref,
            group=next(name for last, name in KPI_GROUPS if ref <= last),
            measure=measure,
            programme=True,
            workstreams=tuple(int(c) for c in streams if c.isdigit()),
            source=source,
            regularity=regularity,
            unit=getattr(k, unit),
            sign=sign,
            display_sign=_DISPLAY_SIGN.get(ref, 1),
            forum_line=int(forum_line),
            forum_measure=measure if forum == "=" else forum,
            forum_default=ref in FORUM_DEFAULT_REFS,
        ))
    return tuple(rows)


KPIS: tuple[Kpi, ...] = _catalogue()
KPI_BY_REF = k.by_ref(KPIS)
KPI_BY_FORUM_LINE = {kpi.forum_line: kpi for kpi in KPIS}
