"""Concentration and inequality: Hoover, locational Gini, Gini, Theil, Atkinson, CV,
Williamson, Lorenz curve."""

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
    LocationalGiniResult,
    TheilResult,
    atkinson,
    coefficient_of_variation,
    gini,
    hoover_concentration,
    locational_gini,
    lorenz_curve,
    theil,
    williamson,
)
from agglomera.testing import region_industry_matrices

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = Path(os.environ.get("AGGLOMERA_DATA_DIR",
                           Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))

vectors = st.lists(st.floats(0.5, 1e5, allow_nan=False, width=64), min_size=2,
                   max_size=30).map(np.array)


def _reat(name: str) -> pd.DataFrame:
    path = DATA / "reference" / name
    if not path.exists():
        pytest.skip(f"REAT teaching data {name} not found under {DATA / 'reference'}; "
                    "set AGGLOMERA_DATA_DIR to the shared data folder")
    return pd.read_csv(path)


# ---- hand-computed examples ---------------------------------------------------------
def test_gini_hand_example_and_shapes():
    assert gini([1, 3]) == pytest.approx(0.25)  # |1-3| * 2 / (2 * 2^2 * 2)
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 9]) == pytest.approx(0.75)  # (n - 1) / n
    s = gini(pd.Series([1.0, 3.0], index=["LN", "JL"]))
    assert isinstance(s, float)
    m = pd.DataFrame([[1.0, 5.0], [3.0, 0.0]], index=["LN", "JL"], columns=["C", "D"])
    out = gini(m)
    assert list(out.index) == ["C", "D"]
    np.testing.assert_allclose(out.to_numpy(), [0.25, 0.5])


def test_weighted_gini_equals_replicated_regions():
    y, w = np.array([2.0, 7.0, 3.0]), np.array([2, 1, 3])
    assert gini(y, weights=w) == pytest.approx(gini(np.repeat(y, w)), abs=1e-12)
    assert gini(y, weights=pd.Series(w, index=["a", "b", "c"])) == pytest.approx(
        gini(np.repeat(y, w)))


def test_hoover_hand_example_against_total_employment():
    # regions' totals 100 and 300; industry C has 50/50: s = (.5, .5), b = (.25, .75)
    m = pd.DataFrame([[50.0, 50.0], [50.0, 250.0]], index=["a", "b"], columns=["C", "D"])
    h = hoover_concentration(m)
    assert h["C"] == pytest.approx(0.25)
    assert h["D"] == pytest.approx(0.5 * (abs(50 / 300 - 0.25) + abs(250 / 300 - 0.75)))


def test_hoover_reference_forms_agree():
    m = pd.DataFrame([[0.0], [10], [10], [30], [50]], index=list("abcde"), columns=["I"])
    pop = [10, 15, 20, 25, 30]
    expected = 0.25  # EconGeo's hoover_index example, by hand (it prints no value)
    assert hoover_concentration(m, reference=pop)["I"] == pytest.approx(expected)
    ser = pd.Series(pop[::-1], index=list("edcba"))
    assert hoover_concentration(m, reference=ser)["I"] == pytest.approx(expected)
    assert hoover_concentration(m, reference=dict(zip("abcde", pop)))["I"] == \
        pytest.approx(expected)
    long = m.rename_axis(index="r", columns="i").stack().rename("v").reset_index()
    long["pop"] = long["r"].map(dict(zip("abcde", pop)))
    got = hoover_concentration(long, region="r", industry="i", value="v", reference="pop")
    assert got["I"] == pytest.approx(expected)


def test_locational_gini_hand_example_scales_and_lorenz():
    m = np.array([[5.0, 75.0], [5.0, 15.0]])
    assert locational_gini(m)[0] == pytest.approx(0.3)
    assert locational_gini(m, scale="half")[0] == pytest.approx(0.15)
    res = locational_gini(m, lorenz=True)
    assert isinstance(res, LocationalGiniResult)
    f = res.to_frame()
    c0 = f[f["industry"] == 0]
    np.testing.assert_allclose(c0["cumulative_reference_share"], [0, 0.8, 1.0])
    np.testing.assert_allclose(c0["cumulative_industry_share"], [0, 0.5, 1.0])
    assert (c0["locational_gini"] == res.locational_gini[0]).all()


def test_locational_gini_is_reference_weighted_gini_of_lq():
    rng = np.random.default_rng(3)
    m = rng.gamma(1, 10, (12, 4))
    b = m.sum(axis=1) / m.sum()
    lq = (m / m.sum(axis=0)) / b[:, None]
    for i in range(4):
        assert locational_gini(m)[i] == pytest.approx(gini(lq[:, i], weights=b))


def test_theil_and_decomposition_by_hand():
    assert theil([1, 3]) == pytest.approx(0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)))
    r = theil([1, 1, 3, 3], groups=["a", "a", "b", "b"])
    assert isinstance(r, TheilResult)
    assert r.within == pytest.approx(0.0, abs=1e-15)  # equal values within groups
    assert r.between == pytest.approx(r.theil)
    assert set(r.to_frame().columns) == {"theil", "between", "within"}


def test_atkinson_cv_williamson_by_hand():
    assert atkinson([100, 0, 0, 0], epsilon=0.8) == pytest.approx(1 - 1 / 256)
    assert atkinson([1, 0], epsilon=1) == 1.0
    assert atkinson([1, 0], epsilon=2) == 1.0
    assert atkinson([1, 4], epsilon=1) == pytest.approx(1 - 2 / 2.5)
    assert coefficient_of_variation([1, 3]) == pytest.approx(0.5)
    assert coefficient_of_variation([1, 3], ddof=1) == pytest.approx(math.sqrt(2) / 2)
    assert williamson([1, 5], population=[3, 1]) == pytest.approx(math.sqrt(3) / 2)
    assert williamson([1, 5], population=[1, 1]) == pytest.approx(
        coefficient_of_variation([1, 5]))


def test_lorenz_curve_points():
    lc = lorenz_curve(pd.Series([3.0, 1.0], index=["LN", "JL"]))
    pts = lc.to_frame()
    assert pd.isna(pts["region"].iloc[0])  # the origin
    assert pts["region"].iloc[1:].tolist() == ["JL", "LN"]
    np.testing.assert_allclose(pts["cumulative_value_share"], [0, 0.25, 1])
    assert lc.gini == pytest.approx(gini([3, 1]))
    lw = lorenz_curve([1.0, 4.0], weights=[3, 1])
    np.testing.assert_allclose(lw.points["cumulative_weight_share"], [0, 0.75, 1])
    np.testing.assert_allclose(lw.points["cumulative_value_share"], [0, 3 / 7, 1])


# ---- input shapes -------------------------------------------------------------------
def test_long_frame_vector_and_panel_by_year():
    long = pd.DataFrame({"year": [2020, 2020, 2021, 2021, 2021],
                         "prov": ["LN", "JL", "LN", "JL", "HLJ"],
                         "gdp_pc": [1.0, 3.0, 1.0, 1.0, 4.0],
                         "pop": [1, 1, 1, 1, 2],
                         "ne": ["n", "s", "n", "s", "s"]})
    g = gini(long, value="gdp_pc", year="year", region="prov")
    assert list(g.index) == [2020, 2021]
    assert g[2020] == pytest.approx(gini([1, 3]))
    assert g[2021] == pytest.approx(gini([1, 1, 4]))
    # without region= the rows of a year are the regions
    np.testing.assert_allclose(gini(long, value="gdp_pc", year="year"), g)
    w = williamson(long, value="gdp_pc", year="year", region="prov", population="pop")
    assert w[2021] == pytest.approx(williamson([1, 1, 4], population=[1, 1, 2]))
    t = theil(long, value="gdp_pc", year="year", region="prov", groups="ne",
              weights="pop")
    ref = theil([1, 1, 4], groups=["n", "s", "s"], weights=[1, 1, 2])
    assert t.theil[2021] == pytest.approx(ref.theil)
    assert t.between[2021] == pytest.approx(ref.between)
    assert set(t.groups["group"]) == {"n", "s"}


def test_region_industry_panel_gives_one_value_per_year_and_industry():
    rng = np.random.default_rng(0)
    x = rng.gamma(1, 10, (3, 6, 4))
    long = pd.DataFrame([(t, r, i, x[t, r, i]) for t in range(3) for r in range(6)
                         for i in range(4)], columns=["y", "r", "i", "v"])
    for f in (gini, theil, atkinson, coefficient_of_variation, hoover_concentration,
              locational_gini):
        got = f(long, region="r", industry="i", value="v", year="y")
        assert got.index.names == ["y", "i"]
        for t in range(3):
            np.testing.assert_allclose(got.loc[t].to_numpy(), f(x[t]).to_numpy(),
                                       rtol=1e-12)


def test_missing_values_policy():
    y = [1.0, np.nan, 3.0]
    with pytest.warns(MissingValueWarning, match="1 missing"):
        assert gini(y) == pytest.approx(gini([1, 3]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gini(y, missing="omit") == pytest.approx(gini([1, 3]))
        assert gini(y, missing="zero") == pytest.approx(gini([1, 0, 3]))
        assert math.isnan(gini(y, missing="propagate"))
        m = np.array([[1.0, 2.0], [np.nan, 2.0], [3.0, 5.0]])
        out = theil(m, missing="propagate")
        assert math.isnan(out[0]) and out[1] == pytest.approx(theil([2, 2, 5]))
    with pytest.raises(SchemaError, match="missing"):
        gini(y, missing="raise")
    with pytest.raises(SchemaError, match="`missing` must be one of"):
        gini([1, 2], missing="drop")
    with pytest.warns(MissingValueWarning):  # concentration: counted as zero
        h = hoover_concentration(np.array([[1.0, np.nan], [2.0, 3.0]]))
    assert h[1] == pytest.approx(hoover_concentration(np.array([[1.0, 0], [2, 3]]))[1])


# ---- known values from cited sources --------------------------------------------------
def test_gini_matches_doersam2004():
    sales = pd.read_csv(REF / "gini" / "doersam2004_sales.csv")["sales"]
    assert gini(sales) == pytest.approx(0.3, abs=1e-12)
    assert gini(sales, normalized=True) == pytest.approx(0.4, abs=1e-12)


def test_locational_gini_matches_farhauer_kroell2013():
    d = pd.read_csv(REF / "locational_gini" / "farhauer_kroell2013.csv")
    m = np.column_stack([d["industry_employment"],
                         d["region_employment"] - d["industry_employment"]])
    got = locational_gini(m, weighting="equal")[0]
    assert got == pytest.approx(0.4068966, abs=5e-8)
    assert locational_gini(m)[0] == pytest.approx(0.3725, abs=1e-12)  # by hand
    # the same with the region totals given as the reference
    got2 = locational_gini(m[:, :1], reference=d["region_employment"].to_numpy(),
                           weighting="equal")[0]
    assert got2 == pytest.approx(0.4068966, abs=5e-8)


def test_theil_matches_stoermann2009():
    inc = pd.read_csv(REF / "theil" / "stoermann2009.csv")["income"]
    assert theil(inc, variant="L") == pytest.approx(0.2326302, abs=5e-8)


def _mexico():
    libpysal = pytest.importorskip("libpysal")
    path = libpysal.examples.get_path("mexico.csv")
    if not path or not Path(path).exists():
        pytest.skip("libpysal example 'mexico' (mexico.csv) is not installed")
    return pd.read_csv(path)


def test_theil_matches_pysal_mexico_doc():
    mex = _mexico()
    ref = pd.read_csv(REF / "theil" / "pysal_mexico_doc.csv")
    y = mex[[f"pcgdp{yr}" for yr in ref["year"]]].to_numpy()
    r = theil(y, groups=mex["hanson98"].to_numpy())
    np.testing.assert_allclose(r.theil.to_numpy(), ref["theil"], atol=5e-8)
    np.testing.assert_allclose(r.between.to_numpy(), ref["between"], atol=5e-8)
    np.testing.assert_allclose(r.within.to_numpy(), ref["within"], atol=5e-8)


def test_atkinson_matches_pysal_doc():
    ref = pd.read_csv(REF / "atkinson" / "pysal_doc.csv")
    inc = [10, 20, 30, 40, 50]
    for _, row in ref.iterrows():
        assert atkinson(inc, epsilon=row["epsilon"]) == pytest.approx(row["atkinson"],
                                                                      abs=5e-6)
        assert 30 * (1 - atkinson(inc, epsilon=row["epsilon"])) == pytest.approx(
            row["ede"], abs=5e-5)


# ---- live cross-checks against PySAL inequality -------------------------------------
def test_gini_cross_check_pysal_live():
    from inequality.gini import Gini
    rng = np.random.default_rng(7)
    for n in (2, 5, 31, 200):
        y = rng.lognormal(0, 1, n)
        assert gini(y) == pytest.approx(Gini(y).g, rel=1e-12)
    mex = _mexico()
    for col in ("pcgdp1940", "pcgdp2000"):
        assert gini(mex[col]) == pytest.approx(Gini(mex[col].to_numpy()).g, rel=1e-12)


def test_theil_cross_check_pysal_live():
    from inequality.theil import Theil, TheilD
    rng = np.random.default_rng(8)
    y = rng.lognormal(0, 1, (40, 3))
    part = rng.integers(0, 4, 40)
    r = theil(y, groups=part)
    d = TheilD(y, part)
    np.testing.assert_allclose(r.theil.to_numpy(), Theil(y).T, rtol=1e-10)
    np.testing.assert_allclose(r.between.to_numpy(), d.bg, rtol=1e-10)
    np.testing.assert_allclose(r.within.to_numpy(), d.wg, rtol=1e-10)


def test_atkinson_cross_check_pysal_live():
    import inequality.atkinson as pa
    rng = np.random.default_rng(9)
    y = rng.lognormal(0, 1, 50)
    for eps in (0.0, 0.5, 1.0, 2.0):
        assert atkinson(y, epsilon=eps) == pytest.approx(pa.atkinson(y, eps), abs=1e-12)


def test_gini_per_industry_on_reat_laender_matches_pysal():
    from inequality.gini import Gini
    d = _reat("reat_germany_laender_industries_2015.csv")
    g = gini(d, region="region", industry="ind_code", value="emp_all")
    wide = d.pivot(index="region", columns="ind_code", values="emp_all")
    for ind in wide.columns:
        assert g[ind] == pytest.approx(Gini(wide[ind].to_numpy()).g, rel=1e-12)
    # Hoover against population (REAT's hoover(x, weighting = pop)), one column
    h = hoover_concentration(d, region="region", industry="ind_code", value="emp_all",
                             reference="pop")
    pop = d.drop_duplicates("region").set_index("region")["pop"].reindex(wide.index)
    for ind in wide.columns:
        s = wide[ind] / wide[ind].sum()
        assert h[ind] == pytest.approx(0.5 * (s - pop / pop.sum()).abs().sum())


def test_eurostat_panel_runs_every_year_with_missing_warned():
    d = _reat("reat_eurostat_eu_employment_by_nace_2004_2016.csv")
    with pytest.warns(MissingValueWarning):
        g = locational_gini(d, region="geo", industry="nace_r2", value="emp1000",
                            year="time")
    assert g.index.get_level_values("time").nunique() == d["time"].nunique()
    assert ((g >= 0) & (g < 1)).all()


# ---- properties -----------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(y=vectors)
def test_gini_bounds_and_invariances(y):
    g = gini(y)
    assert 0 <= g < 1
    assert gini(y * 3.7) == pytest.approx(g, abs=1e-12)
    assert gini(np.tile(y, 2)) == pytest.approx(g, abs=1e-12)  # replication
    assert gini(y[::-1]) == pytest.approx(g, abs=1e-12)  # permutation
    assert g == pytest.approx(lorenz_curve(y).gini, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(y=vectors, data=st.data())
def test_theil_decomposes_and_is_invariant(y, data):
    groups = data.draw(st.lists(st.sampled_from("abc"), min_size=len(y),
                                max_size=len(y)))
    w = data.draw(st.lists(st.integers(1, 5), min_size=len(y), max_size=len(y)))
    for variant in ("T", "L"):
        r = theil(y, groups=groups, weights=w, variant=variant)
        assert r.between + r.within == pytest.approx(r.theil, abs=1e-10)
        assert r.theil == pytest.approx(theil(y, weights=w, variant=variant), abs=1e-12)
        assert r.theil >= 0 and r.between >= -1e-12 and r.within >= -1e-12
        # integer weights = replicated regions
        rep = theil(np.repeat(y, w), groups=np.repeat(groups, w), variant=variant)
        assert rep.between == pytest.approx(r.between, abs=1e-10)
    t = theil(y)
    assert theil(y * 0.01) == pytest.approx(t, abs=1e-12)
    assert theil(np.tile(y, 3)) == pytest.approx(t, abs=1e-12)
    assert theil(np.roll(y, 1)) == pytest.approx(t, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(y=vectors, eps=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_atkinson_cv_invariances(y, eps):
    a = atkinson(y, epsilon=eps)
    assert 0 <= a <= 1
    assert atkinson(y * 9, epsilon=eps) == pytest.approx(a, abs=1e-10)
    assert atkinson(np.tile(y, 2), epsilon=eps) == pytest.approx(a, abs=1e-10)
    cv = coefficient_of_variation(y)
    assert coefficient_of_variation(np.tile(y, 2)) == pytest.approx(cv, abs=1e-10)
    pop = np.arange(1, len(y) + 1)
    assert williamson(y, population=pop * 4) == pytest.approx(
        williamson(y, population=pop), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices())
def test_concentration_bounds_and_region_replication(m):
    for f in (hoover_concentration, locational_gini):
        v = f(m).to_numpy()
        assert ((v >= 0) & (v < 1)).all()
        # splitting every region into two identical halves changes nothing
        np.testing.assert_allclose(f(np.vstack([m, m])).to_numpy(), v, atol=1e-12)
    h = locational_gini(m, scale="half").to_numpy()
    np.testing.assert_allclose(h, locational_gini(m).to_numpy() / 2)
    # the Hoover index is the largest gap between the Lorenz curve and the diagonal
    f = locational_gini(m, lorenz=True).points
    gap = (f["cumulative_reference_share"] - f["cumulative_industry_share"]).groupby(
        f["industry"]).max()
    np.testing.assert_allclose(gap.to_numpy(), hoover_concentration(m).to_numpy(),
                               atol=1e-12)


def test_an_industry_spread_like_the_reference_scores_zero():
    base = np.array([10.0, 30.0, 60.0])
    m = np.column_stack([base, base * 2, base * 0.5])
    np.testing.assert_allclose(hoover_concentration(m).to_numpy(), 0, atol=1e-15)
    np.testing.assert_allclose(locational_gini(m).to_numpy(), 0, atol=1e-12)


# ---- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda: gini([1, -2]), "negative"),
    (lambda: gini([1, np.inf]), "infinite"),
    (lambda: gini(["a", "b"]), "numeric"),
    (lambda: gini([1, 2], weights=[1, 2, 3]), "3 values|shape"),
    (lambda: gini([1, 2], weights=[1, np.nan]), "missing"),
    (lambda: gini([1, 2], weights=[1, 2], normalized=True), "unweighted"),
    (lambda: theil([1, 2], variant="X"), "`variant` must be one of 'T', 'L'; got 'X'"),
    (lambda: theil([1, 2], groups=["a"]), "one group per region"),
    (lambda: theil([1, 2], groups=["a", None]), "group"),
    (lambda: atkinson([1, 2], epsilon=-1), "epsilon"),
    (lambda: coefficient_of_variation([1, 2], ddof=2), "ddof"),
    (lambda: williamson([1, 2], population=None), "population"),
    (lambda: locational_gini(np.ones((2, 2)), scale="full"), "`scale` must be one of"),
    (lambda: locational_gini(np.ones((2, 2)), weighting="pop"), "`weighting`"),
    (lambda: hoover_concentration(np.ones((2, 2)), reference=[1, 2, 3]), "2 regions"),
    (lambda: hoover_concentration(np.ones((2, 2)), reference=[0, 0]), "sums to zero"),
    (lambda: hoover_concentration(np.ones((2, 2)), reference=[1, -1]), "negative"),
    (lambda: hoover_concentration(np.ones((2, 2)), reference="pop"), "long frame"),
    (lambda: gini(pd.DataFrame({"v": [1.0]}), value="w"), "not found"),
])
def test_bad_input_is_refused_with_a_clear_message(call, match):
    with pytest.raises(SchemaError, match=match):
        call()


def test_reference_column_must_be_one_value_per_region():
    long = pd.DataFrame({"r": ["a", "a", "b", "b"], "i": ["x", "y", "x", "y"],
                         "v": [1.0, 2, 3, 4], "pop": [1, 2, 3, 3]})
    with pytest.raises(SchemaError, match="more than one value"):
        hoover_concentration(long, region="r", industry="i", value="v", reference="pop")
