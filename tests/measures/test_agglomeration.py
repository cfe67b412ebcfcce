"""Agglomeration indices from plant records: EG, MS, coagglomeration, LS cluster
index and HNT co-location."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures import (
    coagglomeration,
    colocation,
    ellison_glaeser,
    litzenberger_sternberg,
    maurel_sedillot,
)
from agglomera.measures._kernels.agglomeration import (
    group_moments_numba,
    group_moments_numpy,
)

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = Path(os.environ.get("AGGLOMERA_DATA_DIR",
                           Path(__file__).resolve().parents[3] / "shared" / "data"))


def _reat(name: str) -> pd.DataFrame:
    path = DATA / "reference" / name
    if not path.exists():
        pytest.skip(f"REAT fixture {path} not found; set AGGLOMERA_DATA_DIR to the "
                    "folder holding reference/ (see shared/data/PROVENANCE.md)")
    return pd.read_csv(path)


SMALL = pd.DataFrame({"region": ["n", "n", "n", "s"], "industry": ["a", "a", "b", "b"],
                      "employment": [1.0, 3.0, 2.0, 2.0]})


@st.composite
def plant_frames(draw, min_plants=4, max_plants=40):
    """Plant records: every industry has >= 2 plants, sizes positive."""
    n_reg = draw(st.integers(2, 5))
    n_ind = draw(st.integers(2, 4))
    n = draw(st.integers(max(min_plants, 2 * n_ind), max_plants))
    reg = draw(hnp.arrays(np.int64, n, elements=st.integers(0, n_reg - 1)))
    ind = np.arange(n) % n_ind
    size = draw(hnp.arrays(np.float64, n, elements=st.floats(
        1.0, 1000.0, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2))))
    return pd.DataFrame({"region": [f"r{k}" for k in reg],
                         "industry": [f"i{k}" for k in ind], "employment": size})


# ------------------------------------------------------------------ Ellison-Glaeser
def test_ellison_glaeser_hand_example():
    res = ellison_glaeser(SMALL)
    # x = (0.75, 0.25); a: s = (1, 0), G = 0.125, H = 0.625; b: s = (.5, .5), H = .5
    assert res.raw_concentration["a"] == pytest.approx(0.125)
    assert res.plant_herfindahl["a"] == pytest.approx(0.625)
    assert res.gamma["a"] == pytest.approx((0.125 - 0.375 * 0.625) / (0.375 * 0.375))
    assert res.gamma["b"] == pytest.approx(-1 / 3)
    assert res.expected_concentration["b"] == pytest.approx(0.375 * 0.5)
    f = res.to_frame()
    assert list(f.columns) == ["industry", "gamma", "raw_concentration",
                               "plant_herfindahl", "expected_concentration", "variance",
                               "zscore", "pvalue", "n_plants"]
    assert f["n_plants"].tolist() == [2.0, 2.0]


def test_ellison_glaeser_matches_reat_ellison_a_example():
    ref = pd.read_csv(REF / "ellison_glaeser" / "reat_ellison_a_wien_linz_graz.csv")
    plants = ref.assign(industry="x")
    totals = ref.groupby("region")["region_total"].first()
    res = ellison_glaeser(plants, region_totals=totals)
    assert res.gamma["x"] == pytest.approx(0.05990628, abs=5e-9)
    # the same through a column of region totals
    res2 = ellison_glaeser(plants, region_totals="region_total")
    assert res2.gamma["x"] == pytest.approx(0.05990628, abs=5e-9)


def test_ellison_glaeser_matches_reat_ellison_a2_FK2014():
    firms = _reat("reat_FK2014_EGC_fictional_firms.csv")
    ref = pd.read_csv(REF / "ellison_glaeser" / "reat_ellison_a2_FK2014_EGC.csv")
    res = ellison_glaeser(firms, value="emp_firm")  # ellison.a2: x_r from the firms
    for ind, g in zip(ref["industry"], ref["gamma"]):
        assert res.gamma[ind] == pytest.approx(g, abs=5e-9)
    # REAT's ellison.a with emp_region gives a different x_r and hence other values
    alt = ellison_glaeser(firms, value="emp_firm", region_totals="emp_region")
    assert not np.allclose(alt.gamma.to_numpy(), res.gamma.to_numpy())


def test_ellison_glaeser_variance_is_exact_by_enumeration():
    # 4 plants, 3 regions: enumerate all 81 dartboard placements
    x = np.array([0.5, 0.3, 0.2])
    z = np.array([5.0, 3.0, 1.5, 0.5])
    g_vals, probs = [], []
    for loc in itertools.product(range(3), repeat=4):
        s = np.bincount(loc, weights=z / z.sum(), minlength=3)
        g_vals.append(((s - x) ** 2).sum())
        probs.append(np.prod(x[list(loc)]))
    g_vals, probs = np.array(g_vals), np.array(probs)
    mean = (probs * g_vals).sum()
    var = (probs * (g_vals - mean) ** 2).sum()
    plants = pd.DataFrame({"region": ["A", "A", "A", "A"], "industry": ["i"] * 4,
                           "employment": z})
    res = ellison_glaeser(plants, region_totals=pd.Series({"A": 5.0, "B": 3.0,
                                                           "C": 2.0}))
    assert res.expected_concentration["i"] == pytest.approx(mean, rel=1e-12)
    assert res.variance["i"] == pytest.approx(var, rel=1e-12)


def _dartboard(rng, x, n_ind, n_plants):
    regions = rng.choice(len(x), size=(n_ind, n_plants), p=x)
    sizes = rng.gamma(0.7, 50.0, size=(n_ind, n_plants))
    return pd.DataFrame({"region": regions.reshape(-1),
                         "industry": np.repeat(np.arange(n_ind), n_plants),
                         "employment": sizes.reshape(-1)})


@pytest.mark.parametrize("func", [ellison_glaeser, maurel_sedillot])
def test_gamma_is_unbiased_under_random_location(func):
    rng = np.random.default_rng(20240601)
    x = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    totals = pd.Series(x * 1e6, index=range(len(x)))
    plants = _dartboard(rng, x, n_ind=2000, n_plants=12)
    res = func(plants, region_totals=totals)
    eg = ellison_glaeser(plants, region_totals=totals)
    # sd of gamma_EG under the null, from the EG (1997) variance of G
    sx2 = (x**2).sum()
    sd = np.sqrt(eg.variance) / ((1 - sx2) * (1 - eg.plant_herfindahl))
    if func is maurel_sedillot:
        sd = sd * 3  # no closed form used for MS: allow a wider band
    tol = 4 * np.sqrt((sd**2).mean() / len(sd))
    assert abs(res.gamma.mean()) < tol
    if func is ellison_glaeser:
        assert abs(eg.zscore.mean()) < 4 / np.sqrt(len(sd))
        assert eg.zscore.std() == pytest.approx(1.0, abs=0.1)


def test_region_only_in_totals_enters_with_zero_share():
    totals = pd.Series({"n": 6.0, "s": 2.0, "w": 8.0})
    res = ellison_glaeser(SMALL, region_totals=totals)
    x = np.array([6, 2, 8]) / 16
    s_a = np.array([1.0, 0.0, 0.0])
    assert res.raw_concentration["a"] == pytest.approx(((s_a - x) ** 2).sum())


def test_ellison_glaeser_panel_equals_per_year_calls():
    rng = np.random.default_rng(3)
    frames = [_dartboard(rng, np.array([0.5, 0.3, 0.2]), 3, 5).assign(year=y)
              for y in (2020, 2021)]
    panel = pd.concat(frames, ignore_index=True)
    res = ellison_glaeser(panel, year="year")
    for y, f in zip((2020, 2021), frames):
        one = ellison_glaeser(f)
        np.testing.assert_allclose(res.gamma.loc[y].to_numpy(), one.gamma.to_numpy())
    assert list(res.to_frame().columns[:2]) == ["year", "industry"]


@settings(max_examples=30, deadline=None)
@given(plants=plant_frames(), c=st.floats(0.01, 1000.0))
def test_scaling_sizes_leaves_indices_unchanged(plants, c):
    scaled = plants.assign(employment=plants["employment"] * c)
    for f in (ellison_glaeser, maurel_sedillot):
        np.testing.assert_allclose(f(scaled).gamma, f(plants).gamma, rtol=1e-8,
                                   atol=1e-10, equal_nan=True)
    np.testing.assert_allclose(coagglomeration(scaled).matrix,
                               coagglomeration(plants).matrix, rtol=1e-8, atol=1e-10,
                               equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(plants=plant_frames(), seed=st.integers(0, 10_000))
def test_relabelling_industries_permutes_results(plants, seed):
    labels = sorted(plants["industry"].unique())
    new = dict(zip(labels, np.random.default_rng(seed).permutation(
        [f"z{k}" for k in range(len(labels))])))
    relab = plants.assign(industry=plants["industry"].map(new))
    for f in (ellison_glaeser, maurel_sedillot):
        a, b = f(plants).gamma, f(relab).gamma
        np.testing.assert_allclose(b.loc[[new[k] for k in a.index]].to_numpy(),
                                   a.to_numpy(), rtol=1e-10, equal_nan=True)
    ma, mb = coagglomeration(plants).matrix, coagglomeration(relab).matrix
    order = [new[k] for k in ma.index]
    np.testing.assert_allclose(mb.loc[order, order].to_numpy(), ma.to_numpy(),
                               rtol=1e-10, equal_nan=True)


def test_single_plant_industry_gives_nan_gamma():
    plants = pd.DataFrame({"region": ["n", "s", "s"], "industry": ["a", "b", "b"],
                           "employment": [1.0, 2.0, 3.0]})
    assert np.isnan(ellison_glaeser(plants).gamma["a"])
    assert np.isnan(maurel_sedillot(plants).gamma["a"])


@pytest.mark.parametrize("func", [ellison_glaeser, maurel_sedillot, coagglomeration])
def test_plant_sizes_are_required(func):
    with pytest.raises(SchemaError, match="plant-level sizes are needed"):
        func(SMALL.drop(columns="employment"))
    with pytest.raises(SchemaError, match="plant-level sizes are needed"):
        func(SMALL.assign(employment=np.nan))


def test_bad_inputs_are_refused():
    with pytest.raises(SchemaError, match="negative"):
        ellison_glaeser(SMALL.assign(employment=[1.0, -1.0, 2.0, 2.0]))
    with pytest.raises(SchemaError, match="infinite"):
        ellison_glaeser(SMALL.assign(employment=[1.0, np.inf, 2.0, 2.0]))
    with pytest.raises(SchemaError, match="`alternative` must be one of"):
        ellison_glaeser(SMALL, alternative="both")
    with pytest.raises(SchemaError, match="missing label"):
        ellison_glaeser(SMALL.assign(region=["n", None, "n", "s"]))
    with pytest.raises(SchemaError, match="not found"):
        ellison_glaeser(SMALL, region="county")
    with pytest.raises(SchemaError, match="no \\(numeric\\) value"):
        ellison_glaeser(SMALL, region_totals=pd.Series({"n": 5.0}))
    with pytest.raises(SchemaError, match="constant within a region"):
        ellison_glaeser(SMALL.assign(tot=[1.0, 2.0, 1.0, 3.0]), region_totals="tot")
    with pytest.raises(SchemaError, match="DataFrame"):
        ellison_glaeser(SMALL.to_numpy())


def test_missing_sizes_follow_the_policy():
    plants = SMALL.assign(employment=[1.0, np.nan, 2.0, 2.0])
    with pytest.warns(MissingValueWarning):
        warned = ellison_glaeser(plants)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        silent = ellison_glaeser(plants, missing="zero")
    np.testing.assert_allclose(warned.gamma, silent.gamma, equal_nan=True)
    prop = ellison_glaeser(plants, missing="propagate")
    assert np.isnan(prop.gamma["a"]) and not np.isnan(prop.gamma["b"])
    with pytest.raises(SchemaError, match="missing plant size"):
        ellison_glaeser(plants, missing="raise")
    with pytest.raises(SchemaError, match="`missing` must be one of"):
        ellison_glaeser(plants, missing="drop")


def test_categorical_and_string_labels_agree():
    cat = SMALL.assign(region=pd.Categorical(SMALL["region"],
                                             categories=["n", "s", "q"]),
                       industry=pd.Categorical(SMALL["industry"]))
    np.testing.assert_allclose(ellison_glaeser(cat).gamma, ellison_glaeser(SMALL).gamma)


# ------------------------------------------------------------------ Maurel-Sedillot
def test_maurel_sedillot_hand_example():
    res = maurel_sedillot(SMALL)
    assert res.raw_concentration["a"] == pytest.approx(1.0)
    assert res.gamma["b"] == pytest.approx((-1 / 3 - 0.5) / 0.5)
    assert list(res.to_frame().columns) == ["industry", "gamma", "raw_concentration",
                                            "plant_herfindahl", "n_plants"]


@settings(max_examples=30, deadline=None)
@given(plants=plant_frames())
def test_maurel_sedillot_differs_from_eg_by_the_cross_term(plants):
    eg, ms = ellison_glaeser(plants), maurel_sedillot(plants)
    tab = plants.pivot_table(index="region", columns="industry", values="employment",
                             aggfunc="sum", fill_value=0.0)
    x = (tab.sum(axis=1) / tab.to_numpy().sum()).to_numpy()
    s = (tab / tab.sum()).to_numpy()
    cross = 2 * (x[:, None] * (s - x[:, None])).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # one region: 0/0 in both
        expected = eg.gamma.loc[tab.columns].to_numpy() + cross / (
            (1 - (x**2).sum()) * (1 - eg.plant_herfindahl.loc[tab.columns].to_numpy()))
    np.testing.assert_allclose(ms.gamma.loc[tab.columns].to_numpy(), expected,
                               rtol=1e-9, atol=1e-9, equal_nan=True)


# ------------------------------------------------------------------ coagglomeration
def test_coagglomeration_hand_example():
    plants = pd.DataFrame({"region": ["n", "s", "n", "s"],
                           "industry": ["a", "b", "c", "c"],
                           "employment": [1.0, 1.0, 1.0, 1.0]})
    res = coagglomeration(plants)
    assert res.matrix.loc["a", "b"] == pytest.approx(-1.0)
    assert res.matrix.loc["a", "c"] == pytest.approx(0.0)
    assert np.isnan(res.matrix.loc["a", "a"])
    long = res.to_frame()
    assert list(long.columns) == ["industry_1", "industry_2", "gamma_c"]
    assert len(long) == 3


@settings(max_examples=30, deadline=None)
@given(plants=plant_frames())
def test_coagglomeration_is_symmetric_and_pair_group_equals_pairwise(plants):
    res = coagglomeration(plants)
    m = res.matrix.to_numpy()
    np.testing.assert_allclose(m, m.T, equal_nan=True)
    labels = list(res.matrix.index)
    a, b = labels[0], labels[1]
    grp = coagglomeration(plants, pairs=False,
                          groups={k: ("g" if k in (a, b) else None) for k in labels})
    np.testing.assert_allclose(grp.groups.loc["g", "gamma_c"], res.matrix.loc[a, b],
                               rtol=1e-8, atol=1e-10, equal_nan=True)


def test_group_coagglomeration_on_FK2014_is_finite_and_matches_eg_pieces():
    firms = _reat("reat_FK2014_EGC_fictional_firms.csv")
    groups = {"Clothing trade": "textile", "Textiles dyeing": "textile",
              "Textiles trade": "textile", "Forestry": None}
    res = coagglomeration(firms, value="emp_firm", groups=groups)
    g = res.groups.loc["textile"]
    assert g["n_industries"] == 3
    # plant Herfindahl of the group = Herfindahl of all its firms together
    sub = firms[firms["industry"].isin(["Clothing trade", "Textiles dyeing",
                                        "Textiles trade"])]
    z = sub["emp_firm"] / sub["emp_firm"].sum()
    assert g["plant_herfindahl"] == pytest.approx((z**2).sum())
    assert np.isfinite(g["gamma_c"])
    assert list(res.to_frame("groups").columns) == ["group", "gamma_c",
                                                    "raw_concentration",
                                                    "plant_herfindahl", "n_industries"]


def test_coagglomeration_bad_groups_and_options():
    with pytest.raises(SchemaError, match="does not map"):
        coagglomeration(SMALL, groups={"a": "g"})
    with pytest.raises(SchemaError, match="nothing to compute"):
        coagglomeration(SMALL, pairs=False)
    one = coagglomeration(SMALL, groups={"a": "g", "b": "h"})
    assert np.isnan(one.groups.loc["g", "gamma_c"])  # one industry: undefined


def test_coagglomeration_panel():
    rng = np.random.default_rng(5)
    frames = [_dartboard(rng, np.array([0.5, 0.3, 0.2]), 3, 6).assign(year=y)
              for y in (1, 2)]
    res = coagglomeration(pd.concat(frames, ignore_index=True), year="year")
    single = coagglomeration(frames[1])
    np.testing.assert_allclose(res.matrix.loc[2].to_numpy(), single.matrix.to_numpy(),
                               equal_nan=True)
    assert list(res.to_frame().columns) == ["year", "industry_1", "industry_2",
                                            "gamma_c"]


# ------------------------------------------------------- Litzenberger-Sternberg
def test_litzenberger_sternberg_matches_reat_litzenberger_example():
    n_other = 53 - 35
    plants = pd.DataFrame({
        "region": ["j"] * 35 + ["k"] * n_other,
        "industry": "i",
        "employment": [1743 / 35] * 35 + [(5740 - 1743) / n_other] * n_other})
    area = pd.Series({"j": 50.0, "k": 576.0 - 50.0})
    pop = pd.Series({"j": 488.0, "k": 4621.0 - 488.0})
    res = litzenberger_sternberg(plants, area=area, population=pop)
    assert res.cluster_index[("j", "i")] == pytest.approx(21.87491, abs=5e-6)


def test_litzenberger_sternberg_hand_example_and_components():
    plants = pd.DataFrame({"region": ["n", "n", "s", "s"],
                           "industry": ["a", "a", "a", "b"],
                           "employment": [2.0, 2.0, 4.0, 1.0]})
    area = pd.Series({"n": 1.0, "s": 3.0})
    res = litzenberger_sternberg(plants, area=area, population=area * 10)
    assert res.density[("n", "a")] == pytest.approx((4 / 1) / (8 / 4))
    assert res.stock[("n", "a")] == pytest.approx((4 / 10) / (8 / 40))
    assert res.size[("n", "a")] == pytest.approx((4 / 2) / (8 / 3))
    assert res.cluster_index[("n", "a")] == pytest.approx(2 * 2 / 0.75)
    assert res.cluster_index[("n", "b")] == 0.0  # no firm of b in n
    assert list(res.to_frame().columns) == ["region", "industry", "cluster_index",
                                            "density", "stock", "size"]


def test_litzenberger_sternberg_on_reat_germany_laender_with_firm_counts():
    d = _reat("reat_germany_laender_industries_2015.csv")
    res = litzenberger_sternberg(d, area="area_sqkm", population="pop",
                                 region="region_code", industry="ind_code",
                                 value="emp_all", firms="firms")
    # REAT's formula cell by cell (litzenberger2 with na.rm: complete rows only)
    e_i = d.groupby("ind_code")["emp_all"].transform("sum")
    b_i = d.groupby("ind_code")["firms"].transform("sum")
    regions = d.groupby("region_code")[["area_sqkm", "pop"]].first()
    a, p = regions["area_sqkm"].sum(), regions["pop"].sum()
    ci = ((d["emp_all"] / d["area_sqkm"]) / (e_i / a)
          * (d["emp_all"] / d["pop"]) / (e_i / p)
          / ((d["emp_all"] / d["firms"]) / (e_i / b_i)))
    got = res.cluster_index.loc[list(zip(d["region_code"], d["ind_code"]))].to_numpy()
    pos = (d["emp_all"] > 0).to_numpy()
    np.testing.assert_allclose(got[pos], ci.to_numpy()[pos], rtol=1e-10)
    # one cell has no employment: REAT's quotient form is 0/0 (NaN), ours gives 0
    assert (~pos).sum() == 1 and (got[~pos] == 0).all()


def test_litzenberger_sternberg_bad_inputs():
    area = pd.Series({"n": 1.0, "s": 0.0})
    with pytest.raises(SchemaError, match="positive"):
        litzenberger_sternberg(SMALL, area=area, population=area + 1)
    with pytest.raises(SchemaError, match="no \\(numeric\\) value"):
        litzenberger_sternberg(SMALL, area=pd.Series({"n": 1.0}), population=area + 1)
    with pytest.raises(SchemaError, match="firm counts"):
        litzenberger_sternberg(SMALL.assign(f=-1), area=area + 1, population=area + 1,
                               firms="f")


# ------------------------------------------------------------------ co-location
HNT = pd.DataFrame({"industry": list("ABABAB"), "region": list("XXXYYX")})


def test_colocation_hand_example_from_reat_howard_cl():
    res = colocation(HNT, permutations=0)
    assert res.colocation.loc["A", "B"] == pytest.approx(5 / 9, abs=1e-12)
    # own co-location of A: pairs of distinct A firms in the same place, 2 of 6
    assert res.colocation.loc["A", "A"] == pytest.approx(2 / 6)
    assert res.pvalue is None


@pytest.mark.parametrize("null", ["pooled", "all"])
def test_colocation_expectation_is_exact_by_enumeration(null):
    plants = pd.DataFrame({"industry": list("ABABABCC"), "region": list("XXXYYXYZ")})
    res = colocation(plants, null=null, permutations=0)
    pool = plants if null == "all" else plants[plants["industry"].isin(["A", "B"])]
    labels = pool["industry"].to_numpy()
    values = []
    for perm in set(itertools.permutations(labels)):
        sub = pool.assign(industry=list(perm))
        values.append(colocation(sub, permutations=0).colocation.loc["A", "B"])
    assert res.expected.loc["A", "B"] == pytest.approx(np.mean(values), rel=1e-12)
    assert res.excess.loc["A", "B"] == pytest.approx(
        res.colocation.loc["A", "B"] - np.mean(values), rel=1e-12)


@pytest.mark.parametrize("null", ["pooled", "all"])
def test_colocation_permutation_test_is_seeded_and_sane(null):
    rng = np.random.default_rng(1)
    plants = pd.DataFrame({"industry": rng.choice(list("ABC"), 120),
                           "region": rng.choice(list("VWXYZ"), 120)})
    a = colocation(plants, null=null, permutations=199, seed=7)
    b = colocation(plants, null=null, permutations=199, seed=7)
    pd.testing.assert_frame_equal(a.pvalue, b.pvalue)
    p = a.to_frame()["pvalue"]
    assert ((p > 0) & (p <= 1)).all()
    # the null band contains the exact expectation
    f = a.to_frame()
    assert ((f["null_low"] <= f["expected"] + 1e-12)
            & (f["expected"] <= f["null_high"] + 1e-12)).all()


def test_colocation_perfect_coagglomeration_is_significant():
    plants = pd.DataFrame({"industry": ["A", "B"] * 30,
                           "region": np.repeat([f"r{k}" for k in range(30)], 2)})
    plants = pd.concat([plants, pd.DataFrame({"industry": ["C"] * 30,
                                              "region": [f"r{k}" for k in range(30)]})])
    res = colocation(plants, permutations=199, seed=0, null="all")
    assert res.pvalue.loc["A", "B"] <= 0.01
    assert res.excess.loc["A", "B"] > 0


def test_colocation_coordinates_agree_with_brute_force_and_region_codes():
    rng = np.random.default_rng(2)
    n = 60
    plants = pd.DataFrame({"industry": rng.choice(list("ABC"), n),
                           "px": rng.uniform(0, 10, n), "py": rng.uniform(0, 10, n)})
    res = colocation(plants, x="px", y="py", distance=2.0, permutations=0)
    xy = plants[["px", "py"]].to_numpy()
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    ia = plants["industry"].to_numpy() == "A"
    ib = plants["industry"].to_numpy() == "B"
    assert res.colocation.loc["A", "B"] == pytest.approx(
        (dist[np.ix_(ia, ib)] <= 2.0).mean())
    # identical points per region with distance 0 reproduce same-region co-location
    pts = pd.DataFrame({"industry": list("ABABAB"), "px": [0, 0, 0, 5, 5, 0.0],
                        "py": [0.0] * 6})
    np.testing.assert_allclose(
        colocation(pts, x="px", y="py", distance=0.0, permutations=0).colocation,
        colocation(HNT, permutations=0).colocation)


def test_colocation_lon_lat_uses_great_circle_km():
    # two firms 1 degree of latitude apart (about 111.2 km)
    plants = pd.DataFrame({"industry": ["A", "B"], "lon": [120.0, 120.0],
                           "lat": [40.0, 41.0]})
    near = colocation(plants, lon="lon", lat="lat", distance=112.0, permutations=0)
    far = colocation(plants, lon="lon", lat="lat", distance=110.0, permutations=0)
    assert near.colocation.loc["A", "B"] == 1.0
    assert far.colocation.loc["A", "B"] == 0.0


def test_colocation_pooled_permutations_with_coordinates_run():
    plants = pd.DataFrame({"industry": list("ABABAB"), "px": [0, 0, 0, 5, 5, 0.0],
                           "py": [0.0] * 6})
    res = colocation(plants, x="px", y="py", distance=0.5, permutations=50, seed=3)
    assert 0 < res.pvalue.loc["A", "B"] <= 1


def test_colocation_bad_inputs():
    with pytest.raises(SchemaError, match="`null` must be one of"):
        colocation(HNT, null="global")
    with pytest.raises(SchemaError, match="`distance`"):
        colocation(HNT.assign(px=0.0, py=0.0), x="px", y="py")
    with pytest.raises(SchemaError, match="lon= and lat="):
        colocation(HNT.assign(px=0.0), x="px", lat="px", distance=1.0)
    with pytest.raises(SchemaError, match="`permutations`"):
        colocation(HNT, permutations=-1)
    with pytest.raises(SchemaError, match="not found"):
        colocation(HNT, region="county")


# ------------------------------------------------------------------ kernels
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_group_moments_numba_equals_numpy_twin(data):
    n = data.draw(st.integers(1, 200))
    n_groups = data.draw(st.integers(1, 10))
    codes = data.draw(hnp.arrays(np.intp, n, elements=st.integers(0, n_groups - 1)))
    values = data.draw(hnp.arrays(np.float64, n, elements=st.floats(
        0, 1e4, allow_nan=False, allow_infinity=False)))
    for a, b in zip(group_moments_numba(codes, values, n_groups),
                    group_moments_numpy(codes, values, n_groups)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-6)
