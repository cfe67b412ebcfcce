"""Cluster rating: US CMP rule against a hand computation, EU stars, quadrants, tiers,
properties (monotonicity, row order), errors, and a sector-level demo on real SUSB data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agglomera.clusters import output_tiers, rate
from agglomera.errors import MissingValueWarning, SchemaError

REF = Path(__file__).parents[1] / "reference" / "us_cmp"
LEVELS = ["qualifying", "significant", "strong", "strong_top_decile"]


def _data_dir() -> Path | None:
    from agglomera.config import Settings

    return Settings().resolved_data_dir()


# ---- known values ------------------------------------------------------------------------
def test_us_cmp_matches_hand_computation():
    data = pd.read_csv(REF / "worked_example.csv")
    expected = pd.read_csv(REF / "expected_flags.csv")
    r = rate(data, establishments="establishments", traded="traded")
    got = r.to_frame()
    traded = got[got["traded"]].merge(expected, on=["region", "cluster"],
                                      suffixes=("", "_hand"))
    assert len(traded) == 15
    np.testing.assert_allclose(traded["lq"], traded["lq_hand"], rtol=1e-12)
    for level in LEVELS:
        assert traded[level].astype(bool).tolist() == traded[f"{level}_hand"].tolist(), level
    local = got[~got["traded"]]
    assert not local[LEVELS].astype(bool).any().any()
    assert local["lq"].isna().all()
    # thresholds written in the README
    th = got.drop_duplicates("cluster").set_index("cluster")
    assert th.loc["X", "lq_threshold"] == pytest.approx(2.1)
    assert th.loc["Y", "employment_threshold"] == pytest.approx(27.5)
    assert th.loc["Z", "establishments_threshold"] == pytest.approx(1.75)
    strength = r.region_strength.set_index("region")["strength"]
    assert strength.to_dict() == pytest.approx({"A": 0, "B": 0, "C": 0, "D": 0.5, "E": 1.0})


def test_us_cmp_without_establishments_matches_hand_computation():
    data = pd.read_csv(REF / "worked_example.csv")
    got = rate(data, traded="traded").to_frame().set_index(["region", "cluster"])
    strong = sorted(got.index[got["strong"].astype(bool)].tolist())
    assert strong == [("B", "Y"), ("D", "Y"), ("D", "Z"), ("E", "X")]
    top = sorted(got.index[got["strong_top_decile"].astype(bool)].tolist())
    assert top == [("B", "Y"), ("D", "Y"), ("D", "Z"), ("E", "X")]
    assert "establishments_threshold" not in got.columns


def test_thresholds_agree_with_numpy_percentile():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"region": np.repeat([f"r{i}" for i in range(12)], 4),
                          "cluster": np.tile(list("abcd"), 12),
                          "employment": rng.integers(0, 500, 48).astype(float)})
    got = rate(frame).to_frame()
    for c, grp in got.groupby("cluster"):
        present = grp[grp["employment"] > 0]
        assert grp["employment_threshold"].iloc[0] == pytest.approx(
            np.percentile(present["employment"], 25))
        assert grp["lq_threshold"].iloc[0] == pytest.approx(
            max(np.percentile(present["lq"], 75), 1.0))


def test_lq_equals_measures_location_quotient():
    from agglomera.measures import location_quotient

    data = pd.read_csv(REF / "worked_example.csv")
    traded = data[data["traded"]]
    got = rate(traded).to_frame().set_index(["region", "cluster"])["lq"]
    wide = traded.pivot(index="region", columns="cluster", values="employment")
    ref = location_quotient(wide)
    ref = ref.lq if hasattr(ref, "lq") else ref
    ref = ref.stack().rename("lq")
    ref.index.names = ["region", "cluster"]
    np.testing.assert_allclose(got.loc[ref.index], ref, rtol=1e-12)


def test_eu_stars_hand_example():
    # region totals 200, 100, 100, 100; E = 500; auto 160, food 340
    t = pd.DataFrame({"region": list("ABCD") * 2, "cluster": ["auto"] * 4 + ["food"] * 4,
                      "employment": [100.0, 10, 20, 30, 100, 90, 80, 70]})
    got = rate(t, preset="eu-stars").to_frame().set_index(["region", "cluster"])
    # LQ(A, auto) = (100/200)/(160/500) = 1.5625 < 2 -> no specialisation star
    assert got.loc[("A", "auto"), "lq"] == pytest.approx(1.5625)
    # size: Q90 of auto employment (10, 20, 30, 100) = 30 + 0.7 * 70 = 79 -> A only
    assert got.xs("auto", level="cluster")["size"].astype(bool).tolist() == [
        True, False, False, False]
    # focus of auto: 0.5, 0.1, 0.2, 0.3 -> Q90 = 0.3 + 0.7 * 0.2 = 0.44 -> A only
    assert got.loc[("A", "auto"), "focus_share"] == pytest.approx(0.5)
    assert got.loc[("A", "auto"), "stars"] == 2
    # food focus: 0.5, 0.9, 0.8, 0.7 -> Q90 = 0.8 + 0.7 * 0.1 = 0.87 -> B only
    assert got.loc[("B", "food"), "focus"] and not got.loc[("C", "food"), "focus"]
    # LQ >= 2 when a region holds a small cluster: add one
    t2 = pd.concat([t, pd.DataFrame({"region": ["D"], "cluster": ["ict"],
                                     "employment": [40.0]})])
    g2 = rate(t2, preset="eu-stars").to_frame().set_index(["region", "cluster"])
    # LQ(D, ict) = (40/140)/(40/540) = 3.857 -> specialisation star
    assert g2.loc[("D", "ict"), "lq"] == pytest.approx((40 / 140) / (40 / 540))
    assert g2.loc[("D", "ict"), "specialisation"]
    assert g2.loc[("D", "ict"), "stars"] == 3


def test_lq_growth_preset_equals_measures_quadrants():
    from agglomera.measures import lq_growth_quadrants

    rng = np.random.default_rng(1)
    rows = [(r, c, y, float(rng.integers(1, 100))) for r in "ABCD" for c in "xyz"
            for y in (2015, 2020)]
    t = pd.DataFrame(rows, columns=["region", "cluster", "year", "employment"])
    got = rate(t, preset="lq-growth", year="year").to_frame()
    ref = lq_growth_quadrants(t, region="region", industry="cluster", value="employment",
                              year="year")
    assert got["quadrant"].astype(str).tolist() == ref["quadrant"].astype(str).tolist()
    for q in ("star", "mature", "emerging", "transforming"):
        assert (got[q].astype(bool) == (ref["quadrant"].astype(str) == q)).all()
    with pytest.raises(SchemaError, match="needs `year=`"):
        rate(t, preset="lq-growth")


def test_output_tiers_are_exclusive_bands_at_plan_bounds():
    t = pd.DataFrame({"cluster": list("abcdefg"),
                      "output": [100e9, 99.99e9, 10e9, 5e9, 4.9e9, 2e9, 1.99e9]})
    res = output_tiers(t)
    assert res.to_frame()["tier"].astype(str).tolist() == [
        "above_100_bn", "above_10_bn", "above_10_bn", "above_5_bn", "above_2_bn",
        "above_2_bn", "below"]
    assert res.counts.to_dict() == {"above_100_bn": 1, "above_10_bn": 2, "above_5_bn": 1,
                                    "above_2_bn": 2, "below": 1}
    # 亿元 input: 1000 亿 = 100 bn
    t2 = pd.DataFrame({"cluster": ["a"], "output": [1000.0]})
    assert output_tiers(t2, unit_factor=1e8).to_frame()["tier"].iloc[0] == "above_100_bn"
    r = rate(t.assign(region="x"), preset="output-tiers", value="output")
    assert r.levels == ("above_100_bn", "above_10_bn", "above_5_bn", "above_2_bn")
    with pytest.raises(SchemaError, match="bounds"):
        output_tiers(t, bounds=[1e9, 1e9])


# ---- properties --------------------------------------------------------------------------
@st.composite
def cmp_tables(draw):
    n_regions = draw(st.integers(3, 7))
    n_clusters = draw(st.integers(2, 4))
    emp = draw(st.lists(st.integers(0, 400), min_size=n_regions * n_clusters,
                        max_size=n_regions * n_clusters))
    est = draw(st.lists(st.integers(0, 30), min_size=n_regions * n_clusters,
                        max_size=n_regions * n_clusters))
    frame = pd.DataFrame({
        "region": np.repeat([f"r{i}" for i in range(n_regions)], n_clusters),
        "cluster": np.tile([f"c{j}" for j in range(n_clusters)], n_regions),
        "employment": np.asarray(emp, dtype=float),
        "establishments": np.asarray(est, dtype=float)})
    if frame.groupby("region")["employment"].sum().min() == 0:
        frame.loc[frame.index[0::n_clusters], "employment"] += 1.0
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cmp_tables(), st.data())
def test_raising_employment_never_lowers_that_pairs_cmp_flags(frame, data):
    """Raising E_rc of one region-cluster pair (others fixed) keeps or raises each of
    its us-cmp flags. (Other pairs of the region can lose flags: its traded base grows.)"""
    i = data.draw(st.integers(0, len(frame) - 1))
    extra = data.draw(st.integers(1, 1000))
    before = rate(frame, establishments="establishments").to_frame()
    up = frame.copy()
    up.loc[i, "employment"] += extra
    after = rate(up, establishments="establishments").to_frame()
    for level in LEVELS:
        b, a = bool(before.loc[i, level]), bool(after.loc[i, level])
        assert a or not b, (level, frame.loc[i].to_dict(), extra)


@settings(max_examples=40, deadline=None)
@given(cmp_tables(), st.data(), st.sampled_from(["us-cmp", "eu-stars"]))
def test_raising_given_lq_never_lowers_flags(frame, data, preset):
    rng = np.random.default_rng(0)
    frame = frame.assign(lq=rng.uniform(0, 3, len(frame)).round(2))
    i = data.draw(st.integers(0, len(frame) - 1))
    up = frame.copy()
    up.loc[i, "lq"] += data.draw(st.floats(0.01, 5))
    kw = {"lq": "lq"}
    before = rate(frame, preset=preset, **kw).to_frame()
    after = rate(up, preset=preset, **kw).to_frame()
    levels = LEVELS if preset == "us-cmp" else ["size", "specialisation", "focus"]
    for level in levels:
        assert bool(after.loc[i, level]) or not bool(before.loc[i, level]), level


@settings(max_examples=40, deadline=None)
@given(cmp_tables(), st.randoms(use_true_random=False),
       st.sampled_from(["us-cmp", "eu-stars"]))
def test_flags_do_not_depend_on_row_order(frame, rnd, preset):
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    est = "establishments" if preset == "us-cmp" else None
    a = rate(frame, preset=preset, establishments=est).to_frame()
    b = rate(shuffled, preset=preset, establishments=est).to_frame()
    key = ["region", "cluster"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


# ---- errors and missing values -------------------------------------------------------------
def test_errors_name_what_is_wrong():
    t = pd.DataFrame({"region": ["a", "b"], "cluster": ["x", "x"], "employment": [1, 2]})
    with pytest.raises(SchemaError, match="preset"):
        rate(t, preset="stars")
    with pytest.raises(SchemaError, match=r"no column for employment='jobs'"):
        rate(t, employment="jobs")
    with pytest.raises(SchemaError, match="unknown threshold"):
        rate(t, lq_pct=70)
    with pytest.raises(SchemaError, match="percentile in"):
        rate(t, lq_percentile=170)
    with pytest.raises(SchemaError, match="negative"):
        rate(t.assign(employment=[-1, 2]))
    with pytest.raises(SchemaError, match="non-numeric"):
        rate(t.assign(employment=["1", "x"]))
    with pytest.raises(SchemaError, match="repeat"):
        rate(pd.concat([t, t]))
    with pytest.raises(SchemaError, match="Traded/Local"):
        rate(t.assign(tr=["yes", "perhaps"]), traded="tr")


def test_missing_employment_gives_na_flags_not_zero():
    t = pd.DataFrame({"region": list("abcd"), "cluster": "x",
                      "employment": [10.0, np.nan, 30.0, 40.0]})
    t = pd.concat([t, t.assign(cluster="y", employment=[5.0, 5, 5, 5])])
    with pytest.warns(MissingValueWarning, match="never counted as 0"):
        got = rate(t).to_frame()
    assert got.loc[1, "strong"] is pd.NA
    with pytest.raises(SchemaError, match="missing values"):
        rate(t, missing="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValueWarning)
        strength = rate(t).region_strength.set_index("region")
    assert np.isnan(strength.loc["b", "strength"])  # incomplete region: no strength


# ---- real data: US SUSB 2021, states x 2-digit NAICS sectors ---------------------------
@pytest.fixture(scope="module")
def susb():
    d = _data_dir()
    path = d / "us" / "susb_state_by_naics2_2021.csv" if d else None
    if path is None or not path.exists():
        pytest.skip("shared data (us/susb_state_by_naics2_2021.csv) not available; set "
                    "AGGLOMERA_DATA_DIR")
    t = pd.read_csv(path, dtype={"state_fips": str, "naics2": str})
    return t[(t["state_fips"] != "00") & (t["naics2"] != "99")].reset_index(drop=True)


def test_us_cmp_sector_demo_on_susb(susb):
    r = rate(susb, region="state_name", cluster="naics2", employment="employment",
             establishments="establishments")
    got = r.to_frame()
    assert len(got) == len(susb) == 967  # 51 x 19 sectors (99 dropped), 2 cells absent
    # strong implies significant and qualifying; top decile implies strong
    assert (got["strong"] <= (got["significant"] & got["qualifying"])).all()
    assert (got["strong_top_decile"] <= got["strong"]).all()
    # LQ against an independent computation from the file
    emp = susb.pivot(index="state_name", columns="naics2", values="employment")
    lq = (emp.div(emp.sum(axis=1), axis=0)).div(emp.sum(axis=0) / np.nansum(emp))
    mine = got.set_index(["state_name", "naics2"])["lq"]
    np.testing.assert_allclose(mine.to_numpy(), lq.stack().loc[mine.index].to_numpy(),
                               rtol=1e-10)
    # Nevada's accommodation & food services (72) and Wyoming's mining (21) are famous
    # specialisations; with 51 regions, roughly a quarter of states are significant
    flags = got.set_index(["state_name", "naics2"])
    assert flags.loc[("Nevada", "72"), "significant"]
    assert flags.loc[("Wyoming", "21"), "significant"]
    share = got.groupby("naics2")["significant"].mean()
    assert ((share > 0.15) & (share <= 0.27)).all()
    s = r.region_strength
    assert ((s["strength"] >= 0) & (s["strength"] <= 1)).all()
    assert len(s) == 51


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1e6), st.booleans()),
                min_size=1, max_size=30), st.floats(0, 1))
def test_group_quantile_equals_numpy_percentile(rows, q):
    from agglomera.clusters._input import group_quantile

    g = np.array([r[0] for r in rows])
    v = np.array([r[1] for r in rows])
    m = np.array([r[2] for r in rows])
    got = group_quantile(v, g, m, q)
    for i in range(len(rows)):
        sel = (g == g[i]) & m
        want = np.percentile(v[sel], q * 100) if sel.any() else np.nan
        assert np.isclose(got[i], want, equal_nan=True, rtol=1e-12, atol=1e-9)


def test_each_year_is_rated_on_its_own():
    data = pd.read_csv(REF / "worked_example.csv")
    other = data.assign(employment=data["employment"][::-1].to_numpy())
    panel = pd.concat([data.assign(year=2015), other.assign(year=2016)],
                      ignore_index=True)
    got = rate(panel, establishments="establishments", traded="traded", year="year")
    both = got.to_frame()
    for y, part in ((2015, data), (2016, other)):
        alone = rate(part, establishments="establishments", traded="traded").to_frame()
        mine = both[both["year"] == y].drop(columns="year").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_dtype=False)
    assert set(got.region_strength["year"]) == {2015, 2016}
