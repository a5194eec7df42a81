from lfi_xl import contract
from lfi_xl.core.kpis import forum_subset


def test_all_46_master_refs():
    assert [k.ref for k in contract.KPIS] == list(range(1, 47))


def test_catalogue_rows_match_the_seed_appendix():
    k = contract.KPI_BY_REF
    assert k[13].measure == "HNB spend - direct (includes recoupmnt and future demand)"
    assert (k[1].group, k[11].group, k[16].group, k[23].group) == (
        "EHCP", "HNB", "DSG", "Savings/mitigation")
    assert (k[27].group, k[40].group, k[46].group) == ("Average costs", "Independent",
                                                       "Alternative Provision")
    assert k[10].workstreams == (5,) and k[26].workstreams == (3, 4)
    assert k[46].workstreams == (2, 3, 5) and k[17].workstreams == ()
    assert (k[45].source, k[45].regularity) == ("Fex/Pex dashboard", "Termly")
    assert (k[19].regularity, k[19].unit) == ("Annually", "%")
    assert k[11].display_sign == -1 and k[16].display_sign == 1
    assert all(kpi.programme for kpi in contract.KPIS)


def test_forum_subset_and_numbering():
    subset = forum_subset(contract.KPIS, contract.FORUM_DEFAULT_REFS)
    assert [k.ref for k in subset] == [11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 44, 6, 7, 8, 45]
    assert [k.forum_line for k in subset] == [*range(8, 18), *range(33, 38)]
    assert {k.ref for k in contract.KPIS if k.forum_default} == set(contract.FORUM_DEFAULT_REFS)
    assert sorted(contract.KPI_BY_FORUM_LINE) == list(range(1, 47))
    assert contract.KPI_BY_REF[5].forum_measure == "% of EHCP per head of population"
