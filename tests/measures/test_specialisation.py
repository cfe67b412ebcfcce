"""Tests of agglomera.measures.specialisation (LQ, RCA and region-level indices)."""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures import (
    LocationQuotientResult,
    RelatedUnrelatedVarietyResult,
    average_lq,
    entropy,
    hachman,
    herfindahl,
    hoover_specialisation,
    krugman_specialisation,
    location_quotient,
    rca,
    related_unrelated_variety,
    relative_diversity,
)
from agglomera.testing import region_industry_frames, region_industry_matrices

REF = Path(__file__).resolve().parents[1] / "reference"
REPO = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    return Path(os.environ.get("AGGLOMERA_DATA_DIR", REPO.parent / "shared" / "data"))


def _reat(name: str) -> pd.DataFrame:
    path = _data_dir() / "reference" / name
    if not path.exists():
        pytest.skip(f"REAT teaching data {name} not found under {path.parent}; set "
                    "AGGLOMERA_DATA_DIR to the shared data folder")
    return pd.read_csv(path)


# A small province x GB/T-section table (hand-checkable): LN, JL, HLJ and JS.
WIDE = pd.DataFrame([[10.0, 30.0, 60.0], [20.0, 20.0, 10.0], [5.0, 10.0, 35.0],
                     [65.0, 40.0, 50.0]],
                    index=["LN", "JL", "HLJ", "JS"], columns=["B", "C", "D"])


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.rename_axis(index="province", columns="section").stack().rename(
        "emp").reset_index()


# ---------------------------------------------------------------------------------------
# location quotient: hand examples
# ---------------------------------------------------------------------------------------
def test_location_quotient_hand_example_wide_and_long():
    got = location_quotient(WIDE)
    # totals: regions 100, 50, 50, 155 (all 355); industries B 100, C 100, D 155
    # LN in C: (30/100) / (100/355) = 1.065; JS in B: (65/155) / (100/355)
    assert got.loc["LN", "C"] == pytest.approx(1.065)
    assert got.loc["JS", "B"] == pytest.approx((65 / 155) / (100 / 355))
    long = location_quotient(_long(WIDE), region="province", industry="section",
                             value="emp")
    assert list(long.columns) == ["province", "section", "location_quotient"]
    piv = long.pivot(index="province", columns="section", values="location_quotient")
    pd.testing.assert_frame_equal(piv.loc[WIDE.index, WIDE.columns], got,
                                  check_names=False)


def test_location_quotient_exclude_self_hand_example():
    got = location_quotient(WIDE, exclude_self=True)
    # LN in C against JL+HLJ+JS: (30/100) / (70/255)
    assert got.loc["LN", "C"] == pytest.approx((30 / 100) / (70 / 255))


def test_location_quotient_reference_row_in_data_equals_total_of_the_others():
    nation = WIDE.sum().rename("100000")
    with_nation = pd.concat([WIDE, nation.to_frame().T])
    got = location_quotient(with_nation, base="100000")
    pd.testing.assert_frame_equal(got.loc[WIDE.index], location_quotient(WIDE))
    assert np.allclose(got.loc["100000"], 1.0)


def test_location_quotient_group_base_northeast():
    northeast = ["LN", "JL", "HLJ"]
    got = location_quotient(WIDE, base=northeast)
    ref = WIDE.loc[northeast].sum()
    expected = WIDE.div(WIDE.sum(axis=1), axis=0) / (ref / ref.sum())
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    # JS is outside the reference: exclude_self changes only the Northeast rows
    ex = location_quotient(WIDE, base=northeast, exclude_self=True)
    pd.testing.assert_series_equal(ex.loc["JS"], got.loc["JS"])
    ref_ln = WIDE.loc[["JL", "HLJ"]].sum()
    assert ex.loc["LN", "B"] == pytest.approx((10 / 100) / (ref_ln["B"] / ref_ln.sum()))


def test_location_quotient_traded_base():
    got = location_quotient(WIDE, base="traded", traded=["B", "C"])
    assert got["D"].isna().all()
    # LN in B over traded industries only: (10/40) / (100/200)
    assert got.loc["LN", "B"] == pytest.approx((10 / 40) / (100 / 200))
    mask = location_quotient(WIDE, base="traded", traded=np.array([True, True, False]))
    pd.testing.assert_frame_equal(mask, got)


def test_location_quotient_symmetric_and_empty_cells():
    x = np.array([[0.0, 10.0], [10.0, 10.0], [0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lq = location_quotient(x)
    assert lq[0, 0] == 0.0 and np.isnan(lq[2]).all()
    sym = location_quotient(x, symmetric=True)
    assert sym[0, 0] == -1.0
    np.testing.assert_allclose(sym[:2], (lq[:2] - 1) / (lq[:2] + 1))
    # region 1 holds all of industry 0: against the others it is infinitely specialised
    ex = location_quotient(x[:2], exclude_self=True)
    assert np.isposinf(ex[1, 0])
    assert location_quotient(x[:2], exclude_self=True, symmetric=True)[1, 0] == 1.0


def test_location_quotient_long_panel_computes_every_year():
    panel = pd.concat([_long(WIDE).assign(year=2020),
                       _long(WIDE * np.array([1.0, 2.0, 0.5])).assign(year=2021)])
    got = location_quotient(panel, region="province", industry="section", value="emp",
                            year="year")
    assert list(got.columns) == ["year", "province", "section", "location_quotient"]
    for yr, factor in ((2020, 1.0), (2021, np.array([1.0, 2.0, 0.5]))):
        one = got[got.year == yr].pivot(index="province", columns="section",
                                        values="location_quotient")
        exp = location_quotient(WIDE * factor)
        np.testing.assert_allclose(one.loc[WIDE.index, WIDE.columns], exp)
    arr = location_quotient(np.stack([WIDE.to_numpy(), WIDE.to_numpy() * 2]))
    assert arr.shape == (2, 4, 3)


def test_location_quotient_missing_cells_warn_by_default():
    x = WIDE.copy()
    x.iloc[0, 0] = np.nan
    with pytest.warns(MissingValueWarning):
        location_quotient(x)
    got = location_quotient(x, missing="propagate")
    assert got.loc["LN"].isna().all() and got["B"].isna().all()


# ---------------------------------------------------------------------------------------
# location quotient: known values
# ---------------------------------------------------------------------------------------
def test_location_quotient_matches_farhauer_kroell_2014():
    ref = pd.read_csv(REF / "location_quotient" / "farhauer_kroell_2014.csv").iloc[0]
    e_ij, e_j, e_i, e = ref.e_ij, ref.e_j, ref.e_i, ref.e
    table = np.array([[e_ij, e_j - e_ij], [e_i - e_ij, e - e_j - e_i + e_ij]])
    assert location_quotient(table)[0, 0] == pytest.approx(ref.lq, abs=5e-8)


# ---------------------------------------------------------------------------------------
# location quotient: intervals and shrinkage
# ---------------------------------------------------------------------------------------
COUNTS = pd.DataFrame([[12.0, 300.0, 988.0], [2.0, 50.0, 148.0], [150.0, 2000.0, 7850.0],
                       [0.0, 40.0, 60.0]],
                      index=["a", "b", "c", "d"], columns=["x", "y", "z"])


def test_location_quotient_poisson_interval_is_the_exact_garwood_interval():
    from scipy.stats import chi2

    res = location_quotient(COUNTS, interval="poisson", confidence=0.9)
    assert isinstance(res, LocationQuotientResult)
    lq = location_quotient(COUNTS)
    pd.testing.assert_frame_equal(res.lq, lq)
    # cell (b, x): a = 2 counts; bounds of the count are chi2 quantiles / 2
    scale = lq.loc["b", "x"] / 2.0
    assert res.lower.loc["b", "x"] == pytest.approx(chi2.ppf(0.05, 4) / 2 * scale)
    assert res.upper.loc["b", "x"] == pytest.approx(chi2.ppf(0.95, 6) / 2 * scale)
    assert res.lower.loc["d", "x"] == 0.0 and res.upper.loc["d", "x"] > 0
    assert res.shrunk is None


def test_location_quotient_delta_interval_independent_reference_is_katz():
    # exclude_self: region vs the rest, two independent binomial proportions, so the
    # variance of ln LQ is (1 - p1)/a + (1 - p2)/b (Katz et al. log ratio interval)
    res = location_quotient(COUNTS, interval="delta", exclude_self=True)
    a, n = 12.0, 1300.0
    b = COUNTS["x"].sum() - a
    m = COUNTS.to_numpy().sum() - n
    lq = (a / n) / (b / m)
    se = math.sqrt((1 - a / n) / a + (1 - b / m) / b)
    assert res.lq.loc["a", "x"] == pytest.approx(lq)
    assert res.lower.loc["a", "x"] == pytest.approx(lq * math.exp(-1.959963985 * se))
    assert res.upper.loc["a", "x"] == pytest.approx(lq * math.exp(1.959963985 * se))
    assert np.isnan(res.lower.loc["d", "x"])  # zero cell: delta method undefined


def test_location_quotient_delta_interval_covers_by_simulation():
    """Region inside its reference: the delta bounds cover the true LQ about 95%."""
    rng = np.random.default_rng(7)
    n = np.array([400.0, 3000.0, 6000.0])
    p = np.array([0.05, 0.03, 0.02])
    true_lq = p[0] / ((n * p).sum() / n.sum())
    hits = 0
    reps = 2000
    for _ in range(reps):
        a = rng.binomial(n.astype(int), p).astype(float)
        x = np.column_stack([a, n - a])
        res = location_quotient(x, interval="delta")
        hits += res.lower[0, 0] <= true_lq <= res.upper[0, 0]
    assert 0.93 <= hits / reps <= 0.97


def test_location_quotient_empirical_bayes_shrinks_small_cells_most():
    res = location_quotient(COUNTS, shrinkage="empirical_bayes")
    lq = res.lq["x"]
    shrunk = res.shrunk["x"]
    # the pooled mean is 1 for base="total"; every shrunk value lies between LQ and 1
    assert ((shrunk - 1.0) * (lq - 1.0) >= -1e-12).all()
    assert (np.abs(shrunk - 1.0) <= np.abs(lq - 1.0) + 1e-12).all()
    # the small region b is pulled harder toward 1 than the large region c
    pull_b = abs(shrunk["b"] - lq["b"]) / abs(lq["b"] - 1.0)
    pull_c = abs(shrunk["c"] - lq["c"]) / abs(lq["c"] - 1.0)
    assert pull_b > pull_c


def test_location_quotient_empirical_bayes_matches_gamma_poisson_posterior_mean():
    res = location_quotient(COUNTS, shrinkage="empirical_bayes")
    a = COUNTS["y"].to_numpy()
    e = COUNTS.sum(axis=1).to_numpy() * COUNTS["y"].sum() / COUNTS.to_numpy().sum()
    theta = a / e
    m = a.sum() / e.sum()
    s2 = (e * (theta - m) ** 2).sum() / e.sum()
    var = max(s2 - m / e.mean(), 0.0)
    if var > 0:  # gamma prior with mean m, variance var: posterior mean (a + k)/(e + r)
        shape, rate = m * m / var, m / var
        expected = (a + shape) / (e + rate)
    else:
        expected = np.full_like(a, m)
    np.testing.assert_allclose(res.shrunk["y"].to_numpy(), expected, rtol=1e-10)


def test_location_quotient_result_to_frame_long_panel():
    panel = pd.concat([_long(COUNTS.rename_axis(index="province", columns="section")
                             .rename(columns=str)).assign(year=y) for y in (2019, 2020)])
    res = location_quotient(panel, region="province", industry="section", value="emp",
                            year="year", interval="poisson", shrinkage="empirical_bayes")
    frame = res.to_frame()
    assert list(frame.columns) == ["year", "province", "section", "lq", "lower",
                                   "upper", "shrunk"]
    assert len(frame) == 2 * COUNTS.size
    row = frame[(frame.year == 2020) & (frame.province == "b") & (frame.section == "x")]
    assert row.lq.iloc[0] == pytest.approx(location_quotient(COUNTS).loc["b", "x"])
    wide_frame = location_quotient(COUNTS, interval="delta").to_frame()
    assert list(wide_frame.columns) == ["region", "industry", "lq", "lower", "upper"]


@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices(max_value=1e4), conf=st.sampled_from([0.8, 0.95]),
       method=st.sampled_from(["poisson", "delta"]))
def test_location_quotient_interval_brackets_the_estimate(m, conf, method):
    m = np.round(m)
    res = location_quotient(m, interval=method, confidence=conf)
    ok = ~np.isnan(res.lower)
    assert (res.lower[ok] <= res.lq[ok] * (1 + 1e-12)).all()
    assert (res.upper[ok] >= res.lq[ok] * (1 - 1e-12)).all()


# ---------------------------------------------------------------------------------------
# location quotient: properties
# ---------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(m=region_industry_matrices())
def test_location_quotient_employment_weighted_mean_is_one(m):
    lq = location_quotient(m)
    weights = m.sum(axis=1, keepdims=True)
    np.testing.assert_allclose((weights * lq).sum(axis=0) / m.sum(), 1.0, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(m=region_industry_frames())
def test_location_quotient_relabelled_frame_permutes_rows_and_columns(m):
    rng = np.random.default_rng(len(m))
    perm = m.iloc[rng.permutation(len(m)), rng.permutation(m.shape[1])]
    got = location_quotient(perm)
    pd.testing.assert_frame_equal(got, location_quotient(m).loc[perm.index, perm.columns])


def test_location_quotient_weighted_mean_on_real_eu_panel():
    eu = _reat("reat_eurostat_eu_employment_by_nace_2004_2016.csv")
    eu = eu[eu.nace_r2 != "TOTAL"]
    lq = location_quotient(eu, region="geo", industry="nace_r2", value="emp1000",
                           year="time", missing="zero")
    merged = lq.merge(eu, on=["time", "geo", "nace_r2"])
    reg = eu.groupby(["time", "geo"]).emp1000.sum().rename("reg")
    merged = merged.join(reg, on=["time", "geo"])
    tot = eu.groupby("time").emp1000.sum()
    w = (merged.reg * merged.location_quotient).groupby(
        [merged.time, merged.nace_r2]).sum()
    np.testing.assert_allclose(w / tot.reindex(w.index.get_level_values(0)).to_numpy(),
                               1.0, rtol=1e-9)


# ---------------------------------------------------------------------------------------
# RCA
# ---------------------------------------------------------------------------------------
def test_rca_hand_example_and_symmetric():
    exports = pd.DataFrame([[50.0, 50.0], [10.0, 90.0]], index=["CN", "DE"],
                           columns=["steel", "cars"])
    got = rca(exports)
    assert got.loc["CN", "steel"] == pytest.approx(0.5 / 0.3)
    sym = rca(exports, symmetric=True)
    assert sym.loc["CN", "steel"] == pytest.approx((0.5 / 0.3 - 1) / (0.5 / 0.3 + 1))
    long = rca(_long(exports), region="province", industry="section", value="emp")
    assert list(long.columns) == ["province", "section", "rca"]


def test_rca_equals_location_quotient_total_base():
    pd.testing.assert_frame_equal(rca(WIDE), location_quotient(WIDE))


# ---------------------------------------------------------------------------------------
# Krugman and Hoover specialisation, relative diversity
# ---------------------------------------------------------------------------------------
def test_krugman_specialisation_hand_example():
    got = krugman_specialisation(WIDE)
    s = WIDE.div(WIDE.sum(axis=1), axis=0)
    ref = WIDE.sum() / WIDE.to_numpy().sum()
    assert got["LN"] == pytest.approx((s.loc["LN"] - ref).abs().sum())
    halved = krugman_specialisation(WIDE, halved=True)
    pd.testing.assert_series_equal(halved, got / 2, check_names=False)
    others = krugman_specialisation(WIDE, reference="others")
    ref_ln = WIDE.drop("LN").sum() / WIDE.drop("LN").to_numpy().sum()
    assert others["LN"] == pytest.approx((s.loc["LN"] - ref_ln).abs().sum())
    js = krugman_specialisation(WIDE, reference="JS")
    assert js["JS"] == 0.0


def test_krugman_specialisation_matches_reat_farhauer_kroell_nordic():
    data = pd.read_csv(REF / "krugman_specialisation" / "farhauer_kroell_nordic.csv",
                       index_col="country")
    got = krugman_specialisation(data, reference="mean_others")
    assert got["Sweden"] == pytest.approx(0.1595, abs=5e-5)


def test_krugman_specialisation_matches_reat_disjoint_regions_example():
    x = pd.DataFrame([[20.0, 10.0, 70.0, 0.0, 0.0], [0.0, 0.0, 0.0, 60.0, 40.0]],
                     index=["j", "l"])
    assert krugman_specialisation(x, pairs=True).loc["j", "l"] == 2.0
    assert krugman_specialisation(x, reference="others")["j"] == 2.0


def test_krugman_pairs_hand_example_and_panel():
    pairs = krugman_specialisation(WIDE, pairs=True)
    s = WIDE.div(WIDE.sum(axis=1), axis=0)
    assert pairs.loc["LN", "JL"] == pytest.approx((s.loc["LN"] - s.loc["JL"]).abs().sum())
    assert list(pairs.index) == list(WIDE.index) == list(pairs.columns)
    panel = pd.concat([_long(WIDE).assign(year=2020), _long(WIDE * 2).assign(year=2021)])
    pp = krugman_specialisation(panel, region="province", industry="section",
                                value="emp", year="year", pairs=True)
    assert pp.index.names == ["year", "province"]
    np.testing.assert_allclose(pp.loc[2021].to_numpy(), pairs.to_numpy())


@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices(min_regions=2, max_regions=10),
       halved=st.booleans())
def test_krugman_pairs_matrix_is_symmetric_with_zero_diagonal(m, halved):
    d = krugman_specialisation(m, pairs=True, halved=halved).to_numpy()
    np.testing.assert_allclose(d, d.T, atol=1e-12)
    np.testing.assert_array_equal(np.diag(d), 0.0)
    assert (d >= 0).all() and (d <= (1.0 if halved else 2.0) + 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices(),
       reference=st.sampled_from([None, "total", "others", "mean_others", 0]))
def test_hoover_is_half_krugman_and_in_unit_interval(m, reference):
    k = krugman_specialisation(m, reference=reference).to_numpy()
    h = hoover_specialisation(m, reference=reference).to_numpy()
    np.testing.assert_allclose(h, k / 2)
    assert ((h >= 0) & (h <= 1 + 1e-12)).all()


def test_hoover_specialisation_hand_example():
    x = pd.DataFrame([[30.0, 10.0], [10.0, 30.0]], index=["A", "B"])
    # shares .75/.25 vs .5/.5: half of (.25 + .25)
    assert hoover_specialisation(x).tolist() == [0.25, 0.25]


def test_relative_diversity_hand_example_and_reciprocal_of_krugman():
    got = relative_diversity(WIDE)
    pd.testing.assert_series_equal(got, 1 / krugman_specialisation(WIDE),
                                   check_names=False)
    same = pd.DataFrame([[1.0, 2.0], [2.0, 4.0]])
    assert np.isposinf(relative_diversity(same)).all()


def test_region_measures_on_long_panel_index_by_year_and_region():
    panel = pd.concat([_long(WIDE).assign(year=2020), _long(WIDE ** 1.5).assign(year=2021)])
    for func in (krugman_specialisation, hoover_specialisation, relative_diversity,
                 hachman, average_lq, herfindahl, entropy):
        got = func(panel, region="province", industry="section", value="emp",
                   year="year")
        assert got.index.names == ["year", "province"], func.__name__
        np.testing.assert_allclose(got.loc[2021].to_numpy(),
                                   func(WIDE ** 1.5).to_numpy(), err_msg=func.__name__)


# ---------------------------------------------------------------------------------------
# Hachman and average LQ
# ---------------------------------------------------------------------------------------
def test_hachman_and_average_lq_hand_example():
    x = pd.DataFrame([[30.0, 10.0], [10.0, 30.0]], index=["A", "B"])
    # A: shares .75/.25, LQs 1.5/.5: weighted mean .75*1.5 + .25*.5 = 1.25, HI = 0.8
    assert hachman(x)["A"] == pytest.approx(0.8)
    assert average_lq(x, weighted=True)["A"] == pytest.approx(1.25)
    assert average_lq(x)["A"] == pytest.approx(1.0)


def test_average_lq_empty_cells_count_as_zero_and_absent_industries_are_left_out():
    x = pd.DataFrame([[10.0, 0.0, 0.0], [10.0, 20.0, 0.0]], index=["A", "B"])
    # industry 2 is absent everywhere: left out; A's empty cell in industry 1 is LQ 0
    lq_a0 = (10 / 10) / (20 / 40)
    assert average_lq(x)["A"] == pytest.approx((lq_a0 + 0.0) / 2)


def test_hachman_reference_lacking_an_industry_gives_zero():
    x = pd.DataFrame([[10.0, 0.0], [5.0, 5.0]], index=["nation", "B"])
    assert hachman(x, reference="nation")["B"] == 0.0
    assert hachman(x, reference="nation")["nation"] == 1.0


@settings(max_examples=60, deadline=None)
@given(m=region_industry_matrices(positive_margins=False, min_value=0.0,
                                  max_value=100.0),
       reference=st.sampled_from([None, "others"]))
def test_hachman_lies_in_zero_one(m, reference):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = hachman(m, reference=reference)
    h = h[~np.isnan(h)]
    assert ((h > 0) & (h <= 1 + 1e-12)).all() if reference is None else \
        ((h >= 0) & (h <= 1 + 1e-12)).all()
    # Hachman is the reciprocal of the share-weighted average LQ
    np.testing.assert_allclose(hachman(m, reference=reference),
                               1 / average_lq(m, reference=reference, weighted=True))


# ---------------------------------------------------------------------------------------
# Herfindahl and entropy
# ---------------------------------------------------------------------------------------
def test_herfindahl_matches_doersam_2004():
    sales = pd.read_csv(REF / "herfindahl" / "doersam_2004.csv").sales.to_numpy(float)
    x = sales[None, :]
    assert herfindahl(x)[0] == pytest.approx(0.34, abs=5e-3)
    assert herfindahl(x, normalised=True)[0] == pytest.approx(0.12, abs=5e-3)


def test_herfindahl_hand_example():
    got = herfindahl(WIDE)
    assert got["LN"] == pytest.approx(0.1**2 + 0.3**2 + 0.6**2)
    norm = herfindahl(WIDE, normalised=True)
    assert norm["LN"] == pytest.approx((got["LN"] - 1 / 3) / (1 - 1 / 3))


def test_entropy_hand_example_and_scipy_peer():
    from scipy.stats import entropy as scipy_entropy

    got = entropy(WIDE)
    assert got["LN"] == pytest.approx(-(0.1 * math.log2(0.1) + 0.3 * math.log2(0.3)
                                        + 0.6 * math.log2(0.6)))
    for base, sbase in ((2, 2), ("e", None), (10, 10)):
        ours = entropy(WIDE, base=base).to_numpy()
        theirs = scipy_entropy(WIDE.to_numpy(), base=sbase, axis=1)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    zero = pd.DataFrame([[1.0, 0.0, 0.0]])
    assert entropy(zero)[0] == 0.0


@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices())
def test_entropy_and_herfindahl_bounds(m):
    n = m.shape[1]
    e = entropy(m, base="e")
    h = herfindahl(m)
    assert ((e >= -1e-12) & (e <= math.log(n) + 1e-9)).all()
    assert ((h >= 1 / n - 1e-12) & (h <= 1 + 1e-12)).all()
    # Renyi order-2 entropy never exceeds Shannon entropy
    assert (-np.log(h) <= e + 1e-9).all()


# ---------------------------------------------------------------------------------------
# related / unrelated variety
# ---------------------------------------------------------------------------------------
def test_related_unrelated_variety_hand_example_gbt_classes():
    x = pd.DataFrame([[1.0, 1.0, 2.0], [4.0, 0.0, 0.0]], index=["A", "B"],
                     columns=["1310", "1320", "2610"])
    res = related_unrelated_variety(x)
    assert isinstance(res, RelatedUnrelatedVarietyResult)
    assert res.groups.tolist() == ["13", "13", "26"]
    # A: groups 13 and 26 each one half: UV = 1 bit; within 13 two halves: RV = .5 * 1
    assert res.unrelated["A"] == pytest.approx(1.0)
    assert res.related["A"] == pytest.approx(0.5)
    assert res.entropy["A"] == pytest.approx(1.5)
    assert res.entropy["B"] == 0.0 and res.related["B"] == 0.0
    frame = res.to_frame()
    assert list(frame.columns) == ["region", "entropy", "related", "unrelated"]


def test_related_unrelated_variety_divisions_group_to_sections():
    x = pd.DataFrame([[1.0, 1.0, 2.0]], index=["A"], columns=["13", "14", "44"])
    res = related_unrelated_variety(x)
    assert res.groups.tolist() == ["C", "C", "D"]  # 13, 14 manufacturing; 44 power
    assert res.unrelated["A"] == pytest.approx(1.0)
    fine = related_unrelated_variety(
        pd.DataFrame([[1.0, 1.0]], index=["A"], columns=["1310", "1410"]),
        levels="section")
    assert fine.groups.tolist() == ["C", "C"] and fine.unrelated["A"] == 0.0


def test_related_unrelated_variety_groups_mapping_and_long_panel():
    panel = pd.concat([_long(WIDE).assign(year=2020), _long(WIDE * 3).assign(year=2021)])
    res = related_unrelated_variety(panel, region="province", industry="section",
                                    value="emp", year="year",
                                    groups={"B": "primary", "C": "manufacturing",
                                            "D": "manufacturing"}, base="e")
    assert res.entropy.index.names == ["year", "province"]
    np.testing.assert_allclose(res.entropy.loc[2020].to_numpy(),
                               entropy(WIDE, base="e").to_numpy())
    assert list(res.to_frame().columns) == ["year", "province", "entropy", "related",
                                            "unrelated"]


@settings(max_examples=60, deadline=None)
@given(m=region_industry_frames(max_industries=10), data=st.data())
def test_related_unrelated_variety_identity_total_is_related_plus_unrelated(m, data):
    n_groups = data.draw(st.integers(1, m.shape[1]))
    assign = data.draw(st.lists(st.integers(0, n_groups - 1), min_size=m.shape[1],
                                max_size=m.shape[1]))
    groups = dict(zip(m.columns, assign, strict=True))
    res = related_unrelated_variety(m, groups=groups)
    np.testing.assert_allclose(res.entropy, res.related + res.unrelated, rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(res.entropy, entropy(m), rtol=1e-12)
    assert (res.related >= -1e-12).all() and (res.unrelated >= -1e-12).all()
    # invariance: scaling and relabelling regions
    scaled = related_unrelated_variety(m * 3.5, groups=groups)
    np.testing.assert_allclose(scaled.related, res.related, rtol=1e-9, atol=1e-12)
    perm = m.iloc[::-1]
    np.testing.assert_allclose(related_unrelated_variety(perm, groups=groups).related,
                               res.related.loc[perm.index], rtol=1e-12)


def test_related_unrelated_variety_matches_pysal_theil_decomposition():
    """Live peer: PySAL's TheilD splits Theil's T into between and within groups.

    For one region with n industries of shares s (groups g with n_g industries),
    T = ln n - E, between B = sum_g P_g ln(P_g n / n_g), within W = T - B, so
    RV = sum_g P_g ln n_g - W and UV = ln n - B - sum_g P_g ln n_g (in nats).
    """
    theil = pytest.importorskip("inequality.theil")
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 50.0, (5, 9)) + 1.0
    part = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    res = related_unrelated_variety(x, groups=dict(enumerate(part)), base="e")
    n = x.shape[1]
    n_g = np.bincount(part)
    for r in range(x.shape[0]):
        d = theil.TheilD(x[r], part)
        s = x[r] / x[r].sum()
        p_g = np.bincount(part, weights=s)
        t, b = float(np.squeeze(d.T)), float(np.squeeze(d.bg))
        w = t - b
        assert res.entropy[r] == pytest.approx(math.log(n) - t, rel=1e-10)
        assert res.related[r] == pytest.approx((p_g * np.log(n_g)).sum() - w, rel=1e-10)
        assert res.unrelated[r] == pytest.approx(
            math.log(n) - b - (p_g * np.log(n_g)).sum(), rel=1e-10)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: location_quotient(WIDE, base="nation"), "`base` must be one of"),
    (lambda: location_quotient(WIDE, base=["LN", "XX"]), "region 'XX' is not in"),
    (lambda: location_quotient(WIDE, base="traded"), "needs `traded`"),
    (lambda: location_quotient(WIDE, traded=["B"]), "only with base='traded'"),
    (lambda: location_quotient(WIDE, base="traded", traded=["Q"]), "not in the data"),
    (lambda: location_quotient(WIDE, interval="wald"), "`interval` must be one of"),
    (lambda: location_quotient(WIDE, shrinkage="js"), "`shrinkage` must be one of"),
    (lambda: location_quotient(WIDE, interval="delta", confidence=95),
     "`confidence` must be"),
    (lambda: location_quotient(WIDE, exclude_self="yes"), "`exclude_self` must be"),
    (lambda: krugman_specialisation(WIDE, reference="nation"), "`reference` must be"),
    (lambda: hachman(WIDE, reference="mean_others"), "`reference` must be"),
    (lambda: entropy(WIDE, base=1), "`base` must be"),
    (lambda: entropy(WIDE, base="ten"), "`base` must be"),
    (lambda: herfindahl(WIDE[["B"]], normalised=True), "at least two industries"),
    (lambda: related_unrelated_variety(WIDE), "not a GB/T 4754 code"),
    (lambda: related_unrelated_variety(WIDE, groups={"B": 1}), "does not map 2"),
    (lambda: related_unrelated_variety(WIDE, groups={"B": 1, "C": 1, "D": 2},
                                       levels="class"), "`levels` must be one of"),
    (lambda: location_quotient(-WIDE), "negative"),
    (lambda: location_quotient(_long(WIDE), region="province", industry="sector",
                               value="emp"), "not found"),
])
def test_bad_input_raises_schema_error(call, message):
    with pytest.raises(SchemaError, match=message.replace("(", r"\(")):
        call()


@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices(max_regions=6, max_industries=9),
       n_groups=st.integers(1, 4), zero_cells=st.integers(0, 5))
def test_variety_kernel_equals_its_numpy_twin(m, n_groups, zero_cells):
    from agglomera.measures._kernels.variety import variety_numba, variety_numpy

    x = m.copy()
    x.flat[:zero_cells] = 0.0
    x[0] = 0.0  # an empty region
    codes = np.arange(x.shape[1]) % n_groups
    a = variety_numba(x[None], codes.astype(np.int64), n_groups)
    b = variety_numpy(x[None], codes, n_groups)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12, equal_nan=True)
