"""Benchmark gaps, structural peers, the five-accounts template and scorecards."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cosine

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.evaluate import (
    benchmark_gap,
    composite_index,
    five_accounts_template,
    scorecard,
    structural_peers,
)


def panel() -> pd.DataFrame:
    # region a grows 10 % a year, b 5 %, c 0 %; energy per GDP: lower is better
    rows = []
    for t in range(6):
        rows += [
            {"region": "a", "name": "甲", "year": 2015 + t, "gdp": 100 * 1.1 ** t,
             "energy": 2.0 * 0.95 ** t},
            {"region": "b", "name": "乙", "year": 2015 + t, "gdp": 300 * 1.05 ** t,
             "energy": 1.0},
            {"region": "c", "name": "丙", "year": 2015 + t, "gdp": 200.0, "energy": 1.5},
        ]
    return pd.DataFrame(rows)


POL = {"gdp": "higher", "energy": "lower"}


def test_gap_to_one_region_by_hand():
    g = benchmark_gap(panel(), region="a", against="b", indicators=["gdp", "energy"],
                      polarity=POL)
    row = g.gaps.loc["gdp"]
    x, b = 100 * 1.1 ** 5, 300 * 1.05 ** 5
    assert row["year"] == 2020
    assert row["absolute_gap"] == pytest.approx(b - x)
    assert row["relative_gap"] == pytest.approx((b - x) / b)
    assert row["growth_region"] == pytest.approx(0.10)
    assert row["growth_benchmark"] == pytest.approx(0.05)
    # x 1.1^n = b 1.05^n
    assert row["years_to_close"] == pytest.approx(np.log(b / x) / np.log(1.1 / 1.05))
    e = g.gaps.loc["energy"]
    assert e["absolute_gap"] == pytest.approx(2.0 * 0.95 ** 5 - 1.0)  # lower is better
    assert e["behind"]
    # energy falls 5 % a year against a flat benchmark: 2 .95^5 .95^n = 1
    assert e["years_to_close"] == pytest.approx(np.log(1 / (2 * 0.95 ** 5)) / np.log(0.95))
    assert len(g.over_time) == 12
    first = g.over_time.query("year == 2015 and indicator == 'gdp'").iloc[0]
    assert first["absolute_gap"] == pytest.approx(200.0)


def test_not_behind_and_never_closing():
    g = benchmark_gap(panel(), region="b", against="c", indicators="gdp", polarity=POL)
    assert g.gaps.loc["gdp", "years_to_close"] == 0.0
    assert not g.gaps.loc["gdp", "behind"]
    g = benchmark_gap(panel(), region="c", against="b", indicators="gdp", polarity=POL)
    assert np.isinf(g.gaps.loc["gdp", "years_to_close"])  # 0 % growth against 5 %


def test_several_benchmarks_are_averaged_and_names_resolve():
    g = benchmark_gap(panel(), region="甲", against=["乙", "丙"], indicators="gdp",
                      polarity=POL, name_column="name", at_year=2015)
    assert g.peers == ("b", "c")
    assert g.gaps.loc["gdp", "benchmark"] == pytest.approx(250.0)
    assert g.gaps.loc["gdp", "year"] == 2015


def test_structural_peers_are_the_nearest_by_cosine():
    g = np.random.default_rng(0)
    s = pd.DataFrame(g.uniform(0, 10, (8, 5)), index=[f"r{i}" for i in range(8)])
    peers = structural_peers(s, "r0", k=3)
    ref = pd.Series({r: 1 - cosine(s.loc["r0"], s.loc[r]) for r in s.index[1:]})
    expect = ref.sort_values(ascending=False).head(3)
    assert list(peers.index) == list(expect.index)
    np.testing.assert_allclose(peers, expect, atol=1e-12)
    # shares instead of values: same peers (the cosine ignores the region total)
    shares = s.div(s.sum(axis=1), axis=0)
    assert list(structural_peers(shares, "r0", k=3).index) == list(peers.index)


def test_auto_peers_in_benchmark_gap():
    s = pd.DataFrame({"C": [10, 9, 1], "F": [1, 2, 10]}, index=["a", "b", "c"])
    g = benchmark_gap(panel(), region="a", against="auto:1", indicators="gdp",
                      polarity=POL, structure=s)
    assert g.peers == ("b",)
    assert g.similarity.index.tolist() == ["b"]
    with pytest.raises(SchemaError, match="give `structure`"):
        benchmark_gap(panel(), region="a", against="auto", indicators="gdp", polarity=POL)


def test_five_accounts_template_ships_as_data():
    t = five_accounts_template()
    raw = yaml.safe_load((resources.files("agglomera.data") / "evaluate"
                          / "five_accounts.yaml").read_text(encoding="utf-8"))
    assert len(t) == len(raw["indicators"])
    assert set(t.polarity) <= {"higher", "lower"}
    assert {a["id"] for a in raw["accounts"]} == set(t.account)


def test_five_accounts_against_kunshan_published_figures():
    # Kunshan 2015 figures as bundled (domain_figures.yaml, kunshan_benchmark)
    fig = yaml.safe_load((resources.files("agglomera.data") / "reference"
                          / "domain_figures.yaml").read_text(encoding="utf-8"))
    k = fig["kunshan_benchmark"]
    f = pd.DataFrame({
        "region": [k["region_code"], "220100"], "year": [k["year"]] * 2,
        "gdp": [k["gdp_bn_yuan"] * 1e9, 550e9],
        "industrial_output": [k["industrial_output_bn_yuan"] * 1e9, 900e9],
        "area_km2": [k["area_km2"], 20594.0],
        "population": [k["population_million"] * 1e6, 7.5e6],
        "disposable_income_per_capita": [k["disposable_income_per_capita_yuan"], 30000.0],
        "listed_firms": [k["firms_listed_total"], 40.0],
    })
    with pytest.warns(MissingValueWarning, match="energy_per_gdp"):
        g = benchmark_gap(f, region="220100", against=k["region_code"],
                          template="five_accounts", year="year")
    gaps = g.gaps
    assert gaps.loc["gdp_per_km2", "benchmark"] == pytest.approx(308e9 / 931)
    assert gaps.loc["gdp_per_capita", "benchmark"] == pytest.approx(308e9 / 2.57e6)
    assert gaps.loc["gdp_per_km2", "account"] == "land"
    assert gaps.loc["gdp_per_km2", "relative_gap"] == pytest.approx(
        1 - (550e9 / 20594) / (308e9 / 931))
    assert "hospital_beds_per_1000" not in gaps.index
    assert set(gaps.account) <= {"land", "population", "ecology", "public_services",
                                 "advanced_gap"}


@pytest.mark.parametrize("kwargs, message", [
    ({"region": "zz", "against": "b"}, "region 'zz' not found"),
    ({"region": "a", "against": "a"}, "its own benchmark"),
    ({"region": "a", "against": "b", "polarity": None}, "`polarity` is required"),
    ({"region": "a", "against": "auto:x"}, "integer k"),
])
def test_benchmark_errors(kwargs, message):
    kw = {"indicators": "gdp", "polarity": POL, **kwargs}
    with pytest.raises(SchemaError, match=message):
        benchmark_gap(panel(), **kw)


# ------------------------------------------------------------------ scorecard

def test_scorecard_ranks_every_year_with_evidence():
    p = panel().assign(source_row=np.arange(18) + 2)
    sc = scorecard(p, indicators=["gdp", "energy"], polarity=POL, name_column="name")
    t = sc.table
    assert set(t.year) == set(range(2015, 2021))
    for y, sub in t.groupby("year"):
        frame = p[p.year == y].set_index("region")
        ref = composite_index(frame, indicators=["gdp", "energy"], polarity=POL)
        np.testing.assert_allclose(sub.set_index("region").score[ref.scores.index],
                                   ref.scores)
    # evidence: contributions add up to the score; source rows are the input's
    e = sc.evidence
    sums = e.groupby(["year", "region"]).contribution.sum()
    np.testing.assert_allclose(sums.to_numpy(),
                               t.set_index(["year", "region"]).score[sums.index])
    row = e[(e.year == 2016) & (e.region == "b") & (e.indicator == "gdp")].iloc[0]
    assert row.source_row == p[(p.year == 2016) & (p.region == "b")].source_row.iloc[0]
    assert row.raw_value == pytest.approx(300 * 1.05)
    assert "name" in t.columns and t.loc[t.region == "a", "name"].iloc[0] == "甲"
    # rank_change = last year's rank - this year's rank
    r = t.set_index(["year", "region"])["rank"]
    for y in range(2016, 2021):
        for u in "abc":
            assert t.set_index(["year", "region"]).loc[(y, u), "rank_change"] == (
                r[(y - 1, u)] - r[(y, u)])
    assert sc.top(1, year=2015).region.tolist() == [
        t[(t.year == 2015) & (t["rank"] == 1)].region.iloc[0]]


@settings(max_examples=6, deadline=None)
@given(perm=st.permutations(list(range(18))))
def test_scorecard_invariant_to_row_order(perm):
    p = panel()
    a = scorecard(p, indicators=["gdp", "energy"], polarity=POL).table
    b = scorecard(p.iloc[list(perm)], indicators=["gdp", "energy"], polarity=POL).table
    key = ["year", "region"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                  b.sort_values(key).reset_index(drop=True))


def test_short_names_resolve_only_when_unambiguous():
    f = panel().assign(name=lambda d: d.region.map({"a": "长春市", "b": "长沙市",
                                                    "c": "吉林市"}))
    g = benchmark_gap(f, region="吉林", against="长春", indicators="gdp", polarity=POL,
                      name_column="name")
    assert (g.region, g.peers) == ("c", ("a",))
    with pytest.raises(SchemaError, match="matches several regions"):
        benchmark_gap(f, region="长", against="吉林", indicators="gdp", polarity=POL,
                      name_column="name")
