"""Duranton–Overman Kd and Marcon–Puech M/m: brute force, R dbmss, kernels, bands."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agglomera.errors import SchemaError
from agglomera.measures import duranton_overman, marcon_puech_m
from agglomera.measures._kernels._kdensity import (  # noqa: I001
    banded_kde_numba,
    banded_kde_numpy,
    pair_distance_list_numba,
    pair_distance_list_numpy,
    pair_distances_at_numba,
    pair_distances_numpy,
    draw_prefixes_numba,
    draw_prefixes_numpy,
    sort_rows_numba,
    draw_sets_numba,
    draw_sets_numpy,
    nested_histograms_numba,
    nested_histograms_numpy,
    shared_histograms_numba,
    node_of,
    chord_nodes,
    _stable_argsort,
    _table_size,
    envelope_numba,
    gaussian_band_numba,
    gaussian_band_numpy,
    log_node_table,
    pair_histogram_numba,
    pair_histogram_numpy,
    pair_histograms_wide,
)
from agglomera.measures import kdensity as kdensity_module
from agglomera.measures.kdensity import (
    EARTH_RADIUS_KM,
    _extreme_rank_pvalues,
    _global_bands,
    _sites,
    _sorted_columns,
)

HERE = Path(__file__).resolve().parents[1]


def _peers() -> Path:
    if os.environ.get("AGGLOMERA_PEERS_DIR"):
        base = Path(os.environ["AGGLOMERA_PEERS_DIR"])
    else:
        data = os.environ.get("AGGLOMERA_DATA_DIR")
        base = (Path(data).parent if data else HERE.parents[1] / "shared") / "peers"
        if not base.exists():
            base = HERE.parents[2] / "shared" / "peers"
    path = base / "dbmss_kd_n1000"
    if not (path / "points.csv").exists():
        pytest.skip(f"dbmss reference {path} not found; set AGGLOMERA_PEERS_DIR to the "
                    "folder holding dbmss_kd_n1000/ (tests/reference/duranton_overman)")
    return path


# ----------------------------------------------------------------- brute force


def _haversine(lon1, lat1, lon2, lat2, radius=EARTH_RADIUS_KM):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def _brute_kd(pts, grid, h, weights=None, geo=False):
    """Reflected Gaussian KDE of all pair distances, plain loops, no pruning."""
    n = len(pts)
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    num = np.zeros(len(grid))
    den = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            if geo:
                d = _haversine(pts[i][0], pts[i][1], pts[j][0], pts[j][1])
            else:
                d = math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1])
            ww = w[i] * w[j]
            den += ww
            for m, r in enumerate(grid):
                num[m] += ww * (math.exp(-0.5 * ((r - d) / h) ** 2)
                                + math.exp(-0.5 * ((r + d) / h) ** 2)) / (
                    h * math.sqrt(2 * math.pi))
    return num / den


def _frame(n=40, seed=0, geo=False):
    rng = np.random.default_rng(seed)
    ind = np.array(["a"] * (n // 2) + ["b"] * (n - n // 2))
    if geo:  # Northeast China
        return pd.DataFrame({"industry": ind, "lon": rng.uniform(120, 130, n),
                             "lat": rng.uniform(40, 48, n),
                             "emp": rng.integers(1, 50, n).astype(float)})
    return pd.DataFrame({"industry": ind, "x": rng.uniform(0, 50, n),
                         "y": rng.uniform(0, 30, n),
                         "emp": rng.integers(1, 50, n).astype(float)})


@pytest.mark.parametrize("geo", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_duranton_overman_matches_brute_force(geo, weighted):
    df = _frame(geo=geo)
    coords = {"lon": "lon", "lat": "lat"} if geo else {"x": "x", "y": "y"}
    h = 40.0 if geo else 3.0
    maxd = 400.0 if geo else 25.0
    res = duranton_overman(df, **coords, weight="emp" if weighted else None,
                           bandwidth=h, max_distance=maxd, n_distances=41,
                           simulations=0, method="exact")
    a = df[df.industry == "a"]
    cols = ["lon", "lat"] if geo else ["x", "y"]
    ref = _brute_kd(a[cols].to_numpy(), res.distances, h,
                    a["emp"].to_numpy() if weighted else None, geo=geo)
    np.testing.assert_allclose(res.kd.loc["a"].to_numpy(), ref, rtol=1e-9, atol=0)
    # the binned estimator stays within its stated error bound
    binned = duranton_overman(df, **coords, weight="emp" if weighted else None,
                              bandwidth=h, max_distance=maxd, n_distances=41,
                              simulations=0, method="binned")
    bound = binned.summary.loc["a", "binning_error_bound"]
    err = np.abs(binned.kd.loc["a"].to_numpy() - ref).max()
    assert err <= bound
    assert bound < 1e-3 * ref.max()


def test_binned_converges_to_exact_with_finer_bins():
    df = _frame(60, seed=3)
    kw = {"x": "x", "y": "y", "bandwidth": 2.0, "max_distance": 20.0, "simulations": 0,
              "industries": ["a"]}
    exact = duranton_overman(df, method="exact", **kw).kd.to_numpy()
    e1 = np.abs(duranton_overman(df, bin_width=0.2, **kw).kd.to_numpy() - exact).max()
    e2 = np.abs(duranton_overman(df, bin_width=0.02, **kw).kd.to_numpy() - exact).max()
    assert e2 < e1 / 50  # second order: 10x finer bins, ~100x smaller error


def test_great_circle_distance_one_degree_of_meridian():
    # two establishments one degree of latitude apart: 2 pi R / 360 = 111.195 km
    df = pd.DataFrame({"industry": ["a", "a"], "lon": [125.0, 125.0],
                       "lat": [43.0, 44.0]})
    d0 = 2 * math.pi * EARTH_RADIUS_KM / 360
    res = duranton_overman(df, lon="lon", lat="lat", bandwidth=5.0,
                           distances=[d0 - 5, d0, d0 + 5], simulations=0, method="exact")
    kd = res.kd.loc["a"].to_numpy()
    assert kd[1] == pytest.approx(1 / (5 * math.sqrt(2 * math.pi)), rel=1e-12)
    assert kd[0] == pytest.approx(kd[2], rel=1e-9)  # symmetric around the pair


def test_kd_integrates_to_one_over_all_distances():
    df = _frame(30, seed=5)
    res = duranton_overman(df, x="x", y="y", bandwidth=2.0, max_distance=120.0,
                           n_distances=2401, simulations=0, method="exact")
    for ind in ("a", "b"):
        assert np.trapezoid(res.kd.loc[ind], res.distances) == pytest.approx(1, abs=1e-4)


def test_constant_weights_equal_unweighted():
    df = _frame(30, seed=6).assign(emp=7.0)
    kw = {"x": "x", "y": "y", "bandwidth": 2.0, "max_distance": 20.0, "simulations": 0}
    a = duranton_overman(df, method="exact", **kw).kd
    b = duranton_overman(df, weight="emp", method="exact", **kw).kd
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    # binned: unweighted industries take the shared sweep, weighted ones their own
    # bins; both within their bounds of the exact curve
    for weight in (None, "emp"):
        res = duranton_overman(df, weight=weight, **kw)
        err = np.abs(res.kd.to_numpy() - a.to_numpy()).max(axis=1)
        assert (err <= res.summary["binning_error_bound"].to_numpy()).all()


def test_silverman_bandwidth_is_rule_of_thumb_on_all_pairs():
    df = _frame(30, seed=8)
    res = duranton_overman(df, x="x", y="y", max_distance=10.0, simulations=0)
    a = df[df.industry == "a"][["x", "y"]].to_numpy()
    d = np.array([math.dist(a[i], a[j]) for i in range(len(a)) for j in range(i + 1,
                                                                             len(a))])
    q75, q25 = np.percentile(d, [75, 25])
    h = 0.9 * min(d.std(ddof=1), (q75 - q25) / 1.34) * len(d) ** -0.2
    assert res.summary.loc["a", "bandwidth"] == pytest.approx(h, rel=1e-12)


# ----------------------------------------------------------------- R dbmss


def _dbmss_call(pts, weighted, **kw):
    rmax = 100 * math.sqrt(2) / 3  # diameter of the 100 x 100 window / 3
    return duranton_overman(pts, industry="PointType", x="X", y="Y",
                            weight="PointWeight" if weighted else None, bandwidth="nrd0",
                            max_distance=rmax, n_distances=512, industries=["C"], **kw)


@pytest.mark.parametrize("weighted,name", [(False, "kd_local_envelope_99.csv"),
                                           (True, "kd_weighted_local_envelope_99.csv")])
def test_duranton_overman_matches_dbmss_kdhat(weighted, name):
    path = _peers()
    pts = pd.read_csv(path / "points.csv")
    ref = pd.read_csv(path / name)
    res = _dbmss_call(pts, weighted, method="dbmss", simulations=0)
    np.testing.assert_allclose(res.distances, ref["r"], rtol=1e-12)
    np.testing.assert_allclose(res.kd.loc["C"].to_numpy(), ref["obs"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.kd.loc["C"].to_numpy(), ref["obs"], rtol=1e-10)
    # the exact estimator differs from R's binned density() by ~0.2 % only
    exact = _dbmss_call(pts, weighted, method="binned", simulations=0)
    np.testing.assert_allclose(exact.kd.loc["C"].to_numpy(), ref["obs"], rtol=5e-3)


@pytest.mark.slow
@pytest.mark.parametrize("weighted,name", [(False, "kd_local_envelope_99.csv"),
                                           (True, "kd_weighted_local_envelope_99.csv")])
def test_envelope_agrees_with_dbmss_within_monte_carlo_error(weighted, name):
    """dbmss's 99-simulation envelope (2.5 % / 97.5 %), averaged over the 512
    distances, must lie in the central 99.9 % of the distribution of the same
    statistic over 500 random 99-subsets of our 999 simulations."""
    path = _peers()
    pts = pd.read_csv(path / "points.csv")
    ref = pd.read_csv(path / name)
    res = _dbmss_call(pts, weighted, simulations=999, seed=2, alpha=0.025,
                      return_null=True)
    sims = res.null_distribution["C"]
    rng = np.random.default_rng(0)
    lo, hi = [], []
    for _ in range(500):
        sub = sims[rng.choice(999, 99, replace=False)]
        q = np.quantile(sub, [0.025, 0.975], axis=0)
        lo.append(q[0].mean())
        hi.append(q[1].mean())
    for stat, col in ((np.array(lo), "lo"), (np.array(hi), "hi")):
        a, b = np.quantile(stat, [0.0005, 0.9995])
        assert a <= ref[col].mean() <= b, (col, a, ref[col].mean(), b)
    # and the clustered type C is localised, as its curve is far above the bands
    assert res.verdict.loc["C"] == "localised"


# ----------------------------------------------------------------- kernels


def _kernel_case(geo, n=400, seed=1):
    """Sites sorted for the pair kernel, with two coincident sites (ids a, b)."""
    rng = np.random.default_rng(seed)
    if geo:
        lon, lat = np.radians(rng.uniform(120, 135, n)), np.radians(rng.uniform(38, 53, n))
        coords = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                  np.sin(lat)])
        cutoff, bw = 500.0, 2.0
        strip = 2 * math.sin(400 / (2 * EARTH_RADIUS_KM)) / 4
    else:
        coords = np.column_stack([rng.uniform(0, 100, n), rng.uniform(0, 60, n),
                                  np.zeros(n)])
        cutoff, bw = 30.0, 0.1
        strip = 25 / 4
    coords[5] = coords[6]
    xyz, strips, new_pos = _sites(coords, 0, geo, strip)
    return xyz, strips, strip, new_pos[[5, 6]], cutoff, bw


def _path_args(path, cutoff, bw, geo):
    if path == "direct":
        return (0, 0, 0, 0.0, np.zeros(0, np.int64), np.zeros(0)), math.floor(cutoff / bw) + 2
    t = log_node_table(cutoff, bw, geo, EARTH_RADIUS_KM, cutoff / 4096)
    return (t["n_nodes"], t["key0"], t["shift"], t["dump"], t["node_bin"],
            t["node_frac"]), t["n_bins"]


@pytest.mark.parametrize("geo", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("path", ["direct", "two-stage"])
def test_pair_histogram_numba_equals_numpy_twin(geo, weighted, path):
    xyz, strips, width, dup, cutoff, bw = _kernel_case(geo)
    n, k = xyz.shape[0], 120
    w = np.random.default_rng(2).uniform(1, 10, k)
    sel, wsel = draw_sets_numba(n, k, 77, 0, 6, w, weighted, weight_seed=2)
    others = np.setdiff1d(np.arange(n), dup)[:k - 2]
    sel[0] = np.sort(np.r_[dup, others])  # a set with two points at the same site
    args, n_bins = _path_args(path, cutoff, bw, geo)
    a = pair_histogram_numba(xyz, strips, width, sel, wsel, bw, n_bins, cutoff, geo,
                             EARTH_RADIUS_KM, *args)
    b = pair_histogram_numpy(xyz, strips, width, sel, wsel, bw, n_bins, cutoff, geo,
                             EARTH_RADIUS_KM, *args)
    if weighted:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    else:  # integer counts and fractions in fixed point: equal to rounding of f / 2**Q
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert a[0, 0] > 0  # the coincident pair is at distance 0
    # every pair within the cutoff is counted once, with its full weight
    iu = np.triu_indices(k, 1)
    for s in range(sel.shape[0]):
        p = xyz[sel[s]]
        c = np.linalg.norm(p[iu[0]] - p[iu[1]], axis=1)
        d = 2 * EARTH_RADIUS_KM * np.arcsin(c / 2) if geo else c
        ww = wsel[s][iu[0]] * wsel[s][iu[1]] if weighted else np.ones(c.size)
        assert a[s].sum() == pytest.approx(ww[d <= cutoff].sum(), rel=1e-12)


def test_wide_histograms_have_three_zero_columns():
    xyz, strips, width, _, cutoff, bw = _kernel_case(False)
    for k in (12, 120, 300):  # every pair / strips; straight into the row / packed
        sel, wsel = draw_sets_numba(xyz.shape[0], k, 5, 0, 4, np.ones(k), False)
        args, n_bins = _path_args("direct", cutoff, bw, False)
        hist = pair_histograms_wide(xyz, strips, width, sel, wsel, bw, n_bins, cutoff,
                                    False, EARTH_RADIUS_KM, *args)
        assert hist.shape[1] == n_bins + 3 and not hist[:, n_bins:].any()
        np.testing.assert_array_equal(hist[:, :n_bins], pair_histogram_numpy(
            xyz, strips, width, sel, wsel, bw, n_bins, cutoff, False, EARTH_RADIUS_KM,
            *args))


def test_draw_sets_twin_and_independent_of_threads_and_chunks():
    w = np.arange(1.0, 8.0)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a, wa = draw_sets_numba(50, 7, 123, 10, 20, w, True, weight_seed=8)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b, wb = draw_sets_numba(50, 7, 123, 10, 20, w, True, weight_seed=8)
    finally:
        numba.set_num_threads(before)
    c, wc = draw_sets_numba(50, 7, 123, 15, 5, w, True, weight_seed=8)  # rows 15..19
    d, wd = draw_sets_numpy(50, 7, 123, 10, 20, w, True, weight_seed=8)
    for x, y in ((a, b), (a, d), (wa, wb), (wa, wd)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a[5:10], c)
    np.testing.assert_array_equal(wa[5:10], wc)
    assert np.all(np.diff(a, axis=1) > 0) and a.min() >= 0 and a.max() < 50
    np.testing.assert_array_equal(np.sort(wa, axis=1), np.tile(w, (20, 1)))
    # the sites do not depend on the weight stream; the weights do
    e, we = draw_sets_numba(50, 7, 123, 10, 20, w, True, weight_seed=9)
    np.testing.assert_array_equal(a, e)
    assert not np.array_equal(wa, we)
    big, _ = draw_sets_numba(100_000, 50, 5, 0, 3, np.ones(50), False)
    assert np.all(np.diff(big, axis=1) > 0) and big.max() < 100_000


def test_draw_prefixes_nested_twin_and_distinct():
    # the first k sites of a longer prefix are the k-prefix: nested sets per simulation
    long = draw_prefixes_numba(1_000, 300, 17, 4, 6, _table_size(300))
    short = draw_prefixes_numba(1_000, 40, 17, 4, 6, _table_size(40))
    np.testing.assert_array_equal(long[:, :40], short)
    np.testing.assert_array_equal(long, draw_prefixes_numpy(1_000, 300, 17, 4, 6))
    for row in long:
        assert np.unique(row).size == 300 and row.min() >= 0 and row.max() < 1_000
    # a whole permutation (k = n) uses every site once
    full = draw_prefixes_numba(64, 64, 3, 0, 5, _table_size(64))
    np.testing.assert_array_equal(np.sort(full, axis=1), np.tile(np.arange(64), (5, 1)))
    # the bitmap sort of dense prefixes equals numpy's sort
    rows = long.copy()
    sort_rows_numba(rows, 1_000)
    np.testing.assert_array_equal(rows, np.sort(long, axis=1))


def test_draw_prefixes_uniform_over_orders():
    # all 24 orders of 4 sites equally likely; ordered pairs of 2 out of 6 likewise
    from itertools import permutations

    from scipy.stats import chisquare

    full = draw_prefixes_numba(4, 4, 21, 0, 24_000, _table_size(4))
    codes = full @ np.array([64, 16, 4, 1])
    _, counts = np.unique(codes, return_counts=True)
    assert counts.size == len(list(permutations(range(4))))
    assert chisquare(counts).pvalue > 1e-3
    two = draw_prefixes_numba(6, 2, 22, 0, 30_000, _table_size(2))
    _, counts = np.unique(two[:, 0] * 6 + two[:, 1], return_counts=True)
    assert counts.size == 30
    assert chisquare(counts).pvalue > 1e-3


def test_draw_sets_uniform_over_subsets_and_weight_orders():
    # all 10 subsets of 2 out of 5 equally likely, and both orders of the weights
    from scipy.stats import chisquare

    sel, wsel = draw_sets_numba(5, 2, 9, 0, 20_000, np.array([1.0, 2.0]), True, 2)
    codes = sel[:, 0] * 5 + sel[:, 1]
    _, counts = np.unique(codes, return_counts=True)
    assert counts.size == 10
    assert chisquare(counts).pvalue > 1e-3
    first_is_one = (wsel[:, 0] == 1.0).mean()
    assert abs(first_is_one - 0.5) < 4 * math.sqrt(0.25 / 20_000)
    # sparse draws from a large population: inclusion frequencies flat
    sel, _ = draw_sets_numba(1_000, 30, 4, 0, 4_000, np.ones(30), False, 2)
    freq = np.bincount(sel.ravel(), minlength=1_000)
    assert chisquare(freq).pvalue > 1e-3


@pytest.mark.parametrize("weighted", [False, True])
def test_two_stage_binning_within_its_bound(weighted, monkeypatch):
    # the two-stage path serves great-circle distances (projected ones stay direct);
    # unweighted industries always take it (shared sweeps), weighted ones when large
    df = _frame(120, seed=21, geo=True)
    kw = {"lon": "lon", "lat": "lat", "weight": "emp" if weighted else None,
          "bandwidth": 40.0, "simulations": 0, "n_distances": 61}
    exact = duranton_overman(df, method="exact", **kw)
    if weighted:
        direct = duranton_overman(df, **kw)
        monkeypatch.setattr(kdensity_module, "LOG_MIN_PAIRS_PER_NODE", 0)
    two = duranton_overman(df, **kw)
    bound = two.summary["binning_error_bound"]
    for lab in ("a", "b"):
        err = np.abs(two.kd.loc[lab].to_numpy() - exact.kd.loc[lab].to_numpy()).max()
        assert err <= bound.loc[lab]
        assert bound.loc[lab] < 2e-3 * exact.kd.loc[lab].max()
    if weighted:
        assert (bound > direct.summary["binning_error_bound"]).all()
        # the two paths agree within the sum of their bounds
        gap = np.abs(two.kd.to_numpy() - direct.kd.to_numpy()).max()
        assert gap <= (bound + direct.summary["binning_error_bound"]).max()


def _nested_case(geo, seed=4):
    rng = np.random.default_rng(seed)
    n = 700
    if geo:
        lon = np.radians(rng.uniform(120, 130, n))
        lat = np.radians(rng.uniform(40, 48, n))
        coords = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                  np.sin(lat)])
        max_d, hs = 300.0, np.array([20.0, 35.0, 15.0, 60.0, 35.0])
    else:
        coords = np.column_stack([rng.uniform(0, 100, n), rng.uniform(0, 60, n),
                                  rng.uniform(0, 1, n)])  # third column ignored
        max_d, hs = 30.0, np.array([2.0, 3.5, 1.5, 6.0, 3.5])
    coords[11] = coords[12]  # a coincident pair
    coords[13] = coords[14] + 1e-9  # a pair far below the first node
    width = (2 * math.sin(max_d / 2 / EARTH_RADIUS_KM) if geo else max_d) / 4
    xyz, strips, new_pos = _sites(coords, 0, geo, width)
    ks = np.array([30, 120, 120, 260, 2], dtype=np.int64)
    o = np.argsort(ks, kind="stable")
    ks, hs = ks[o], hs[o]
    cut = max_d + 8 * hs
    t = chord_nodes(max_d, cut.max(), geo, EARTH_RADIUS_KM)
    last = np.array([node_of(c, geo, EARTH_RADIUS_KM, t["scale"]) for c in cut],
                    dtype=np.int64)
    inv = 50 / hs
    nb = np.array([max(math.floor(c * i) + 2, math.floor(t["d"][la + 1] * i) + 2)
                   for c, i, la in zip(cut, inv, last)], dtype=np.int64)
    order = draw_prefixes_numba(n, 260, 5, 0, 5, _table_size(260))
    special = new_pos[[11, 12, 13, 14]]
    rest = order[0][~np.isin(order[0], special)][:256]
    order[0] = np.r_[special, rest]
    tab = (t["scale"], t["n_nodes"], t["d"])
    return xyz, strips, width, order, tab, (ks, last, inv, nb), cut


@pytest.mark.parametrize("geo", [False, True])
def test_nested_histograms_equal_twin_and_each_industry_alone(geo):
    xyz, strips, width, order, tab, ind, cut = _nested_case(geo)
    rows, off = nested_histograms_numba(xyz, strips, width, geo, order, *tab, *ind)
    twin = nested_histograms_numpy(xyz, order, geo, *tab, *ind)
    ks, last, inv, nb = ind
    for i in range(ks.size):
        a = rows[off[i]:off[i + 1]].reshape(order.shape[0], nb[i] + 3)
        np.testing.assert_allclose(a, twin[i], rtol=1e-12, atol=1e-9)
        assert not a[:, nb[i]:].any()
        # alone, on its own first k sites only, in another order: the same bits
        alone = order[:, :ks[i]][:, ::-1].copy()
        r1, _ = nested_histograms_numba(xyz, strips, width, geo, alone, *tab,
                                        *(v[i:i + 1] for v in ind))
        np.testing.assert_array_equal(r1, rows[off[i]:off[i + 1]])
        # mass: every pair up to the end of its cutoff's node, once
        for s in range(order.shape[0]):
            p = xyz[order[s, :ks[i]]].copy()
            if not geo:
                p[:, 2] = 0
            iu = np.triu_indices(ks[i], 1)
            c = np.sqrt(((p[iu[0]] - p[iu[1]]) ** 2).sum(axis=1))
            kept = np.floor(c * tab[0] + 0.5) < (last[i] + 1) * 2 ** 16
            assert a[s].sum() == pytest.approx(kept.sum(), rel=1e-12)
    # the coincident pair sits at distance 0 in every industry of row 0 with k >= 2
    assert rows[off[0]] >= 1.0


def test_kd_of_an_industry_does_not_depend_on_the_others():
    # shared sweeps (unweighted lon/lat) and per-industry sets (weighted) alike
    df = _frame(160, seed=31, geo=True)
    df["industry"] = np.random.default_rng(1).choice(list("abcd"), len(df))
    for weight in (None, "emp"):
        kw = {"lon": "lon", "lat": "lat", "weight": weight, "simulations": 19, "seed": 4}
        every = duranton_overman(df, **kw).to_frame()
        for lab in ("b", "d"):
            alone = duranton_overman(df, industries=[lab], **kw).to_frame()
            pd.testing.assert_frame_equal(
                every[every.industry == lab].reset_index(drop=True), alone,
                check_exact=True)


def test_shared_groups_and_batches_change_nothing(monkeypatch):
    df = _frame(160, seed=32, geo=True)
    df["industry"] = np.random.default_rng(2).choice(list("abcde"), len(df))
    kw = {"lon": "lon", "lat": "lat", "simulations": 23, "seed": 6, "return_null": True}
    one = duranton_overman(df, **kw)
    monkeypatch.setattr(kdensity_module, "SHARED_CURVES_BYTES", 1)  # one per group
    monkeypatch.setattr(kdensity_module, "SHARED_ROWS_BYTES", 1)  # small batches
    many = duranton_overman(df, **kw)
    pd.testing.assert_frame_equal(one.to_frame(), many.to_frame(), check_exact=True)
    for lab in "abcde":
        np.testing.assert_array_equal(one.null_distribution[lab],
                                      many.null_distribution[lab])


def test_other_kernels_equal_numpy_twins():
    rng = np.random.default_rng(3)
    coords = np.column_stack([rng.normal(size=50), rng.normal(size=50),
                              rng.normal(size=50)])
    coords /= np.linalg.norm(coords, axis=1)[:, None]
    idx = rng.choice(50, 30, replace=False).astype(np.int64)
    for geo in (False, True):
        np.testing.assert_allclose(pair_distance_list_numba(coords, idx, geo, 6371.0),
                                   pair_distance_list_numpy(coords, idx, geo, 6371.0),
                                   rtol=1e-13)
        a = np.array([0, 3, 29, 7], dtype=np.int64)
        b = np.array([1, 2, 0, 7 + 1], dtype=np.int64)
        full = pair_distances_numpy(coords[idx], geo, 6371.0)
        lookup = {(int(i), int(j)): d for d, i, j in zip(*full)}
        want = [lookup[(min(x, y), max(x, y))] for x, y in zip(a, b)]
        np.testing.assert_allclose(pair_distances_at_numba(coords, idx, a, b, geo, 6371.0),
                                   want, rtol=1e-13)
    hist = rng.random((6, 500))
    kband = rng.random((20, 40))
    lo = np.array([0, 5, 470, 480, 499] + list(range(100, 250, 10)), dtype=np.int64)
    np.testing.assert_allclose(banded_kde_numba(hist, kband, lo),
                               banded_kde_numpy(hist, kband, lo), rtol=1e-12)
    # each row's sums are in one fixed order: the same bits whatever the row's
    # position in a block of four, alone or with others
    full = banded_kde_numba(hist, kband, lo)
    np.testing.assert_array_equal(banded_kde_numba(hist[1:], kband, lo), full[1:])
    for r in range(hist.shape[0]):
        np.testing.assert_array_equal(banded_kde_numba(hist[r:r + 1], kband, lo),
                                      full[r:r + 1])
    # kernel bands: recurrence vs exp, relative to each value (reflection near 0 only)
    grid = np.linspace(0.0, 40.0, 97)
    h, delta = 1.3, 1.3 / 50
    width = math.floor(16 * h / delta) + 3
    lo = np.clip(np.floor((grid - 8 * h) / delta), 0, 5000).astype(np.int64)
    a = gaussian_band_numba(grid, lo, width, delta, h, 9.0)
    b = gaussian_band_numpy(grid, lo, width, delta, h, 9.0)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)


def test_banded_kernel_path_matches_exact():
    # a narrow bandwidth against a long range: the kernel is applied as a band
    df = _frame(40, seed=13)
    kw = {"x": "x", "y": "y", "bandwidth": 0.2, "max_distance": 25.0, "simulations": 0,
          "n_distances": 501}
    exact = duranton_overman(df, method="exact", **kw)
    binned = duranton_overman(df, **kw)
    err = np.abs(binned.kd.to_numpy() - exact.kd.to_numpy()).max()
    assert err <= binned.summary["binning_error_bound"].min()
    assert exact.kd.to_numpy().max() > 100 * err


def test_result_does_not_depend_on_thread_count():
    df = _frame(200, seed=9)
    kw = {"x": "x", "y": "y", "max_distance": 15.0, "simulations": 40, "seed": 11, "weight": "emp"}
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = duranton_overman(df, **kw)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = duranton_overman(df, **kw)
    finally:
        numba.set_num_threads(before)
    pd.testing.assert_frame_equal(one.to_frame(), many.to_frame(), check_exact=True)


# ----------------------------------------------------------------- simulations


def test_seed_reproducible_and_reference_default_is_points():
    df = _frame(80, seed=12)
    kw = {"x": "x", "y": "y", "max_distance": 15.0, "simulations": 30}
    a = duranton_overman(df, seed=5, **kw).to_frame()
    b = duranton_overman(df, seed=5, **kw).to_frame()
    c = duranton_overman(df, seed=6, **kw).to_frame()
    d = duranton_overman(df, seed=5, reference=df[["x", "y"]], **kw).to_frame()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, d)
    assert not np.allclose(a["local_upper"], c["local_upper"])


def test_counterfactuals_drawn_from_reference_sites():
    # reference sites all in a 1 x 1 square: every simulated pair distance is < 1.5,
    # so the simulated curves have no mass far away
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"industry": ["a"] * 10, "x": rng.uniform(0, 50, 10),
                       "y": rng.uniform(0, 50, 10)})
    ref = pd.DataFrame({"x": rng.uniform(0, 1, 200), "y": rng.uniform(0, 1, 200)})
    res = duranton_overman(df, x="x", y="y", reference=ref, bandwidth=0.2,
                           max_distance=30.0, simulations=20, seed=1, return_null=True)
    far = res.distances > 5
    assert np.all(res.null_distribution["a"][:, far] < 1e-10)
    # observed pairs far apart lie above the global upper band (0 there): localised
    # takes precedence over dispersion (DO 2005, section 4), so psi is set to 0
    assert res.gamma.loc["a"] > 0
    assert res.psi.loc["a"] == 0
    assert res.verdict.loc["a"] == "localised"
    near = res.distances < 0.5
    assert np.all(res.kd.loc["a"].to_numpy()[near] < res.global_lower.loc["a"].to_numpy()[
        near])


def test_global_bands_cross_at_most_alpha_of_simulations():
    rng = np.random.default_rng(4)
    sims = rng.normal(size=(200, 30)).cumsum(axis=1)
    lower, upper = _global_bands(sims, 0.05)
    above = (sims > upper).any(axis=1).mean()
    below = (sims < lower).any(axis=1).mean()
    assert above <= 0.05 and below <= 0.05
    # the tightest such band: the next rank inwards is crossed by more than 5 %
    desc, asc = -np.sort(-sims, axis=0), np.sort(sims, axis=0)
    q_up = int(np.flatnonzero((desc == upper).all(axis=1))[0])
    q_lo = int(np.flatnonzero((asc == lower).all(axis=1))[0])
    assert (sims > desc[q_up + 1]).any(axis=1).mean() > 0.05
    assert (sims < asc[q_lo + 1]).any(axis=1).mean() > 0.05
    assert q_up > 0  # here the upper band is not simply the pointwise maximum
    # global bands are wider than local ones
    lo, hi = np.quantile(sims, [0.05, 0.95], axis=0)
    assert np.all(upper >= hi - 1e-12) and np.all(lower <= lo + 1e-12)


@pytest.mark.parametrize("shape,ties", [((999, 201), False), ((50, 7), True),
                                         ((20, 30), True), ((99, 64), False),
                                         ((10, 3), True)])
def test_compiled_envelope_equals_the_definitions(shape, ties):
    rng = np.random.default_rng(shape[0] + shape[1])
    sims = rng.random(shape)
    obs = rng.random(shape[1])
    if ties:
        sims, obs = np.round(sims * 4) / 4, np.round(obs * 4) / 4
        obs[0] = sims[3, 0]
    cols = _sorted_columns(sims)
    ref = (*np.quantile(sims, [0.025, 0.975], axis=0), *_global_bands(sims, 0.025, cols),
           *_extreme_rank_pvalues(obs, sims, cols))
    got = envelope_numba(sims, obs, 0.025)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_stable_argsort_equals_numpy_stable():
    rng = np.random.default_rng(4)
    cases = [rng.random(999), np.round(rng.random(500) * 5) / 5, np.zeros(9),
             np.r_[0.0, -0.0, 5e-324, 1e-300, 1e300, rng.random(40)],
             rng.normal(size=200),  # up to _INSERTION_MAX: insertion sort
             np.round(rng.random(120) * 3),  # short, many ties
             rng.normal(size=600),  # long with negatives: merge sort
             np.r_[rng.random(30), np.nan, 0.5, np.nan, -1.0]]  # NaN: merge sort
    for x in cases:
        np.testing.assert_array_equal(_stable_argsort(x.copy()),
                                      np.argsort(x, kind="stable"))


def test_global_bands_hand_example():
    # 4 simulations, 2 distances; allowed crossings floor(0.25 * 4) = 1
    sims = np.array([[4.0, 1.0], [3.0, 2.0], [2.0, 4.0], [1.0, 3.0]])
    lower, upper = _global_bands(sims, 0.25)
    # ranks from the top: min ranks are 0, 1, 0, 1 -> rank-1 band leaves two above
    # (the sims with rank 0), too many; so the band is the pointwise maximum
    np.testing.assert_array_equal(upper, [4.0, 4.0])
    np.testing.assert_array_equal(lower, [1.0, 1.0])


def test_extreme_rank_pvalue_hand_example():
    # observed (first row) and 3 simulations at 2 distances
    obs = np.array([5.0, 0.0])
    sims = np.array([[4.0, 1.0], [3.0, 2.0], [1.0, 3.0]])
    # ranks from the top: obs (1, 4); sims (2, 3), (3, 2), (4, 1); sorted rank vectors
    # (1, 4), (2, 3), (2, 3), (1, 4): as extreme as obs: obs and the third, p = 2 / 4;
    # from below likewise p = 2 / 4
    assert _extreme_rank_pvalues(obs, sims) == (0.5, 0.5)
    # an observed curve above every simulation everywhere: p = 1 / (S + 1)
    up, down = _extreme_rank_pvalues(np.array([9.0, 9.0]), sims)
    assert up == 0.25 and down == 1.0
    # the rank-length order breaks ties of the smallest rank: ranks from the top are
    # obs (1, 1, 3), s1 (2, 3, 1), s2 (3, 2, 2); sorted (1, 1, 3) < (1, 2, 3) < (2, 2, 3):
    # only the observed curve is as extreme as itself, p = 1 / 3 (smallest rank alone
    # would tie obs with s1 and give 2 / 3)
    up, _ = _extreme_rank_pvalues(np.array([10.0, 10.0, 0.0]),
                                  np.array([[9.0, 0.0, 10.0], [0.0, 9.0, 9.0]]))
    assert up == pytest.approx(1 / 3)


def _bands_by_definition(sims, alpha):
    # DO (2005): ranks from a stable sort of each sign; q grows while at most
    # floor(alpha S) simulations have an extreme rank below q + 1
    n = sims.shape[0]
    out = []
    for sign in (1.0, -1.0):
        vals = sign * sims
        ranks = np.empty(vals.shape, dtype=np.int64)
        for m in range(vals.shape[1]):
            ranks[np.argsort(-vals[:, m], kind="stable"), m] = np.arange(n)
        extreme = ranks.min(axis=1)
        q = 0
        while q + 1 < n and (extreme < q + 1).sum() <= math.floor(alpha * n + 1e-9):
            q += 1
        out.append(sign * np.sort(-vals, axis=0)[q] * -1.0)
    return out[1], out[0]


def _erl_by_definition(obs, sims):
    allc = np.vstack([obs, sims])
    res = []
    for sign in (1.0, -1.0):
        v = sign * allc
        ranks = 1 + (v[None, :, :] > v[:, None, :]).sum(axis=1)  # 1 + larger values
        vec = [tuple(sorted(r)) for r in ranks]
        res.append(sum(x <= vec[0] for x in vec) / len(vec))
    return tuple(res)


@pytest.mark.parametrize("ties", [False, True])
def test_bands_and_pvalues_equal_their_definitions(ties):
    # the one-sort implementation against direct loops, with and without tied values
    rng = np.random.default_rng(11)
    for _ in range(40):
        s, m = int(rng.integers(2, 40)), int(rng.integers(1, 9))
        if ties:
            sims = rng.integers(0, 4, (s, m)).astype(float)
            obs = rng.integers(0, 4, m).astype(float)
        else:
            sims, obs = rng.random((s, m)), rng.random(m)
        for alpha in (0.05, 0.25):
            lower, upper = _global_bands(sims, alpha)
            ref_lo, ref_up = _bands_by_definition(sims, alpha)
            np.testing.assert_array_equal(lower, ref_lo)
            np.testing.assert_array_equal(upper, ref_up)
        assert _extreme_rank_pvalues(obs, sims) == pytest.approx(_erl_by_definition(
            obs, sims), abs=1e-15)


def test_gamma_psi_and_verdict_definitions():
    P = _peers()
    pts = pd.read_csv(P / "points.csv")
    res = duranton_overman(pts, industry="PointType", x="X", y="Y", max_distance=30.0,
                           simulations=99, seed=3)
    for ind in ("C", "U"):
        kd = res.kd.loc[ind].to_numpy()
        gu = res.global_upper.loc[ind].to_numpy()
        gl = res.global_lower.loc[ind].to_numpy()
        g = np.trapezoid(np.maximum(kd - gu, 0), res.distances)
        assert res.gamma.loc[ind] == pytest.approx(g, rel=1e-12)
        if g == 0:
            assert res.psi.loc[ind] == pytest.approx(
                np.trapezoid(np.maximum(gl - kd, 0), res.distances), rel=1e-12)
    assert res.verdict.loc["C"] == "localised"
    assert res.gamma.loc["C"] > 0
    # the clustered type is above all 99 simulations over the short distances
    assert res.pvalue.loc["C"] == pytest.approx(1 / 100)
    assert 0.01 <= res.summary.loc["U", "pvalue_localisation"] <= 1
    frame = res.to_frame()
    assert list(frame.columns) == ["industry", "distance", "kd", "local_lower",
                                   "local_upper", "global_lower", "global_upper"]
    assert len(frame) == 2 * len(res.distances)


def test_progress_callback_counts_every_step():
    df = _frame(40)
    calls = []
    duranton_overman(df, x="x", y="y", max_distance=10.0, simulations=5, seed=1,
                     progress=lambda step, done, total: calls.append((step, done, total)))
    assert calls[-1][1] == calls[-1][2] == 2 * (1 + 5)


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize("change,kwargs,match", [
    (lambda d: d.drop(columns="y"), {}, "column 'y'"),
    (lambda d: d.assign(x=d.x.astype(object).where(d.index != 3, "abc")), {},
     "row 4.*'abc'"),
    (lambda d: d, {"lon": "x", "lat": "y", "x": None, "y": None}, None),
    (lambda d: d, {"lon": "x"}, "exactly one pair"),
    (lambda d: d.assign(emp=0.0), {"weight": "emp"}, "<= 0"),
    (lambda d: d, {"method": "fft"}, "method"),
    (lambda d: d, {"industries": ["zzz"]}, "industry 'zzz'"),
    (lambda d: d.assign(industry=["a"] + ["b"] * (len(d) - 1)), {}, "at least 2"),
])
def test_bad_input_clear_error(change, kwargs, match):
    df = _frame(20)
    args = {"x": "x", "y": "y", "max_distance": 10.0, "simulations": 0} | kwargs
    args = {k: v for k, v in args.items() if v is not None}
    if match is None:  # y in [0, 30] as latitude is fine, x as longitude too
        duranton_overman(change(df), **args)
        return
    with pytest.raises(SchemaError, match=match):
        duranton_overman(change(df), **args)


def test_latitude_out_of_range_names_row():
    df = pd.DataFrame({"industry": ["a", "a"], "lon": [125.0, 126.0], "lat": [43.0, 95.0]})
    with pytest.raises(SchemaError, match=r"outside \[-90, 90\].*row 2.*swapped"):
        duranton_overman(df, lon="lon", lat="lat", simulations=0)


# ----------------------------------------------------------------- M and m


def _brute_m(df, grid, weight=None, density_h=None):
    xy = df[["x", "y"]].to_numpy()
    lab = df["industry"].to_numpy()
    w = np.ones(len(df)) if weight is None else df[weight].to_numpy(float)
    out = {}
    for s in np.unique(lab):
        ws, wt = w[lab == s].sum(), w.sum()
        vals = []
        for r in grid:
            num = den = 0.0
            for i in np.flatnonzero(lab == s):
                same = tot = 0.0
                for j in range(len(df)):
                    if j == i:
                        continue
                    d = math.dist(xy[i], xy[j])
                    if density_h is None:
                        k = 1.0 if d <= r else 0.0
                    else:
                        k = math.exp(-0.5 * ((r - d) / density_h) ** 2)
                    tot += w[j] * k
                    same += w[j] * k * (lab[j] == s)
                if tot > 0:
                    num += same / tot
                    den += (ws - w[i]) / (wt - w[i])
            vals.append(num / den)
        out[s] = vals
    return pd.DataFrame(out).T


@pytest.mark.parametrize("weighted", [False, True])
def test_marcon_puech_m_matches_brute_force(weighted):
    df = _frame(30, seed=21)
    grid = [2.0, 5.0, 10.0, 20.0]
    res = marcon_puech_m(df, x="x", y="y", weight="emp" if weighted else None,
                         distances=grid)
    ref = _brute_m(df, grid, "emp" if weighted else None)
    np.testing.assert_allclose(res.values.to_numpy(), ref.to_numpy(), rtol=1e-12)


def test_marcon_puech_m_density_matches_brute_force():
    df = _frame(30, seed=22)
    grid = [0.0, 3.0, 8.0, 15.0]
    res = marcon_puech_m(df, x="x", y="y", distances=grid, density=True, bandwidth=2.0)
    ref = _brute_m(df, grid, density_h=2.0)
    np.testing.assert_allclose(res.values.to_numpy(), ref.to_numpy(), rtol=1e-9)


def test_marcon_puech_m_hand_example_and_simulations():
    # two industries, two pairs 1 apart, 10 apart from each other: within 2 every
    # neighbour is of the own industry: M = (1 + 1) / (2 * (2 - 1) / (4 - 1)) = 3
    pts = pd.DataFrame({"industry": ["a", "a", "b", "b"],
                        "x": [0.0, 1.0, 10.0, 11.0], "y": [0.0] * 4})
    res = marcon_puech_m(pts, x="x", y="y", distances=[2.0, 20.0])
    np.testing.assert_allclose(res.values.to_numpy(), [[3.0, 1.0], [3.0, 1.0]])
    sims = marcon_puech_m(_frame(40), x="x", y="y", distances=[5.0, 10.0],
                          simulations=19, seed=1)
    assert np.all(sims.local_lower.to_numpy() <= sims.local_upper.to_numpy())
    assert list(sims.to_frame().columns) == ["industry", "distance", "M", "local_lower",
                                             "local_upper"]


# ----------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 12), angle=st.floats(0, 2 * math.pi),
       shift=st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
       scale=st.floats(0.1, 10), seed=st.integers(0, 2**16))
def test_kd_invariant_to_rigid_motion_and_scales_with_units(n, angle, shift, scale, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20, (n, 2))
    df = pd.DataFrame({"industry": "a", "x": xy[:, 0], "y": xy[:, 1]})
    kw = {"x": "x", "y": "y", "bandwidth": 1.5, "max_distance": 15.0, "n_distances": 16,
          "simulations": 0, "method": "exact"}
    base = duranton_overman(df, **kw).kd.to_numpy()
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])
    moved = xy @ rot.T + np.array(shift)
    df2 = df.assign(x=moved[:, 0], y=moved[:, 1])
    np.testing.assert_allclose(duranton_overman(df2, **kw).kd.to_numpy(), base,
                               rtol=1e-7, atol=1e-12)
    # distances in other units (km -> m: scale): Kd(scale d) = Kd(d) / scale
    df3 = df.assign(x=xy[:, 0] * scale, y=xy[:, 1] * scale)
    kw3 = kw | {"bandwidth": 1.5 * scale, "max_distance": 15.0 * scale}
    np.testing.assert_allclose(duranton_overman(df3, **kw3).kd.to_numpy() * scale, base,
                               rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------- real data


def _szse_firms() -> pd.DataFrame:
    """SZSE-listed companies placed at the centroid of their registered city."""
    import json

    shape = pytest.importorskip("shapely.geometry", reason="needs shapely (extra "
                                "'spatial') for the city centroids").shape

    from agglomera.config import Settings

    data = Settings().resolved_data_dir() or HERE.parents[1] / "shared" / "data"
    firms_path = data / "china" / "szse_listed_companies_2025.csv"
    cities_path = data / "china" / "city_boundaries_2020_simplified.geojson"
    if not (firms_path.exists() and cities_path.exists()):
        pytest.skip(f"real data {firms_path} / {cities_path} not found; set "
                    "AGGLOMERA_DATA_DIR to the shared data folder")
    feats = json.loads(cities_path.read_text(encoding="utf-8"))["features"]
    centre = {}
    for f in feats:
        c = shape(f["geometry"]).centroid
        centre[f["properties"]["city"]] = (c.x, c.y)
    firms = pd.read_csv(firms_path, dtype=str)
    firms = firms[firms["city"].isin(centre)].copy()
    firms["lon"] = [centre[c][0] for c in firms["city"]]
    firms["lat"] = [centre[c][1] for c in firms["city"]]
    return firms


def test_real_data_listed_firms_kd_mass_matches_independent_formula():
    """Real coordinates: 2,800 SZSE-listed firms at their city's centroid. The
    reflected Kd integrates over [0, M] to the mean over pairs of
    Phi((M - d)/h) - Phi(-d/h) + Phi((M + d)/h) - Phi(d/h), computed here independently
    from haversine distances; and about to the share of pairs closer than M."""
    from scipy.stats import norm

    firms = _szse_firms()
    assert len(firms) > 2500
    res = duranton_overman(firms, industry="industry_csrc_section", lon="lon",
                           lat="lat", simulations=19, seed=1, industries=["C", "I"])
    big_m = res.max_distance
    for ind in ("C", "I"):
        sub = firms[firms["industry_csrc_section"] == ind]
        lon, lat = np.radians(sub["lon"].to_numpy(float)), np.radians(
            sub["lat"].to_numpy(float))
        i, j = np.triu_indices(len(sub), 1)
        a = (np.sin((lat[j] - lat[i]) / 2) ** 2
             + np.cos(lat[i]) * np.cos(lat[j]) * np.sin((lon[j] - lon[i]) / 2) ** 2)
        d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
        h = res.summary.loc[ind, "bandwidth"]
        expected = np.mean(norm.cdf((big_m - d) / h) - norm.cdf(-d / h)
                           + norm.cdf((big_m + d) / h) - norm.cdf(d / h))
        mass = np.trapezoid(res.kd.loc[ind], res.distances)
        assert mass == pytest.approx(expected, abs=5e-5), (ind, mass - expected)
        assert mass == pytest.approx(np.mean(d <= big_m), abs=0.01), ind
    assert res.summary.loc["C", "n"] > 1500


@pytest.mark.parametrize("geo", [False, True])
def test_shared_single_industry_sweep_equals_rank_order_sweep(geo):
    xyz, strips, width, order, tab, ind, cut = _nested_case(geo)
    rows, off = nested_histograms_numba(xyz, strips, width, geo, order, *tab, *ind)
    ks, last, inv, nb = ind
    for i in range(ks.size):
        sel = np.sort(order[:, :ks[i]], axis=1)
        one = shared_histograms_numba(xyz, strips, width, geo, sel, *tab, last[i], inv[i],
                                      nb[i])
        np.testing.assert_array_equal(one.ravel(), rows[off[i]:off[i + 1]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=300),
       st.sampled_from([(75.0, 25.0), (50.0,), (0.0, 100.0, 12.5)]))
def test_percentiles_equal_numpy(values, qs):
    from agglomera.measures.kdensity import _percentiles

    d = np.array(values)
    assert _percentiles(d, qs) == list(np.percentile(d, list(qs)))
