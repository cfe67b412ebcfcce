"""Spatial autocorrelation: hand-computed cases, exact permutation nulls, esda, policies."""

from __future__ import annotations

import itertools
import warnings

import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures import _kernels
from agglomera.measures._kernels import _spatial as K
from agglomera.measures.autocorrelation import (
    benjamini_hochberg,
    bivariate_morans_i,
    gearys_c,
    getis_ord_g,
    local_bivariate_morans,
    local_getis_ord,
    local_morans,
    morans_i,
)
from agglomera.measures.spatial_weights import IslandWarning, as_weights

assert _kernels  # the package imports

PATH4 = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float)


def _lattice(rows, cols):
    """Rook lattice built by hand."""
    n = rows * cols
    a = np.zeros((n, n))
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                a[i, i + 1] = a[i + 1, i] = 1
            if r + 1 < rows:
                a[i, i + cols] = a[i + cols, i] = 1
    return a


def _mc_bound(p, permutations, sd=5.0):
    """Allowed |p_a - p_b| of two independent permutation estimates of the same p."""
    return sd * np.sqrt(2 * p * (1 - p) / permutations) + 2.0 / (permutations + 1)


# ----------------------------------------------------------------- hand-computed


def test_morans_i_hand_computed_path():
    # y = 1..4 on a path, binary weights: z = (-1.5, -.5, .5, 1.5), sum z^2 = 5,
    # S0 = 6, sum_ij w_ij z_i z_j = 2(.75 - .25 + .75) = 2.5 -> I = 4/6 * 2.5/5 = 1/3.
    r = morans_i([1, 2, 3, 4], PATH4, transform="b", permutations=0)
    assert r.statistic == pytest.approx(1 / 3, abs=1e-15)
    assert r.expected == pytest.approx(-1 / 3)
    # Var_N: S1 = 0.5 * 6 * 4 = 12, S2 = (2+2)^2*2 + (4+4)^2... by hand:
    # row+col sums 1,2,2,1 doubled: 2,4,4,2 -> S2 = 4+16+16+4 = 40.
    # (n^2 S1 - n S2 + 3 S0^2)/((n^2-1) S0^2) - 1/9 = (192 - 160 + 108)/(15*36) - 1/9
    assert r.variance_normal == pytest.approx(140 / 540 - 1 / 9, abs=1e-15)
    # row-standardised: lags of z = (-.5, -.5, .5, .5), S0 = 4, I = 4/4 * 2/5 = 0.4
    assert morans_i([1, 2, 3, 4], PATH4, permutations=0).statistic == pytest.approx(0.4)


def test_gearys_c_and_g_hand_computed_path():
    # C = (n-1) sum w (yi-yj)^2 / (2 S0 sum z^2) = 3 * 6 / (2 * 6 * 5) = 0.3
    c = gearys_c([1, 2, 3, 4], PATH4, transform="b", permutations=0)
    assert c.statistic == pytest.approx(0.3, abs=1e-15)
    # G = sum w y_i y_j / sum_{i != j} y_i y_j = 2(2 + 6 + 12) / (100 - 30) = 4/7
    g = getis_ord_g([1, 2, 3, 4], PATH4, permutations=0)
    assert g.statistic == pytest.approx(4 / 7, abs=1e-15)
    assert g.expected == pytest.approx(6 / 12)


def test_local_statistics_hand_computed_path():
    r = local_morans([1, 2, 3, 4], PATH4, permutations=0).to_frame()
    # I_i = (n-1) z_i lag_i / sum z^2, lag (row-standardised) = (-.5, -.5, .5, .5)
    np.testing.assert_allclose(r["statistic"], [0.45, 0.15, 0.15, 0.45], atol=1e-15)
    assert list(r["quadrant"]) == ["LL", "LL", "HH", "HH"]
    g = local_getis_ord([1, 2, 3, 4], PATH4, permutations=0).to_frame()
    # Gi*: (y_i + sum_j y_j) / (k_i + 1) / sum y
    np.testing.assert_allclose(
        g["statistic"], [3 / 20, 6 / 30, 9 / 30, 7 / 20], atol=1e-15
    )
    gi = local_getis_ord([1, 2, 3, 4], PATH4, star=False, permutations=0).to_frame()
    # Gi: sum_{j != i} w_ij y_j / (sum y - y_i)
    np.testing.assert_allclose(
        gi["statistic"], [2 / 9, 2 / 8, 3 / 7, 3 / 6], atol=1e-15
    )


def test_bivariate_hand_computed():
    # x = y: zx = zy = z / sd(ddof=1); sum z_i lag_i = 2, sd^2 = 5/3 -> 2 / (5/3) / 3
    r = bivariate_morans_i([1, 2, 3, 4], [1, 2, 3, 4], PATH4, permutations=0)
    assert r.statistic == pytest.approx(0.4, abs=1e-15)


# ----------------------------------------------------------------- exact nulls


def test_global_permutation_pvalue_matches_exact_null():
    # 6 regions on a path: the exact null enumerates all 720 relabellings
    w = _lattice(1, 6)
    y = np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0])
    z = y - y.mean()
    r = w / w.sum(axis=1, keepdims=True)
    obs = (z @ r @ z) / (z @ z) * 6 / 6
    null = np.array(
        [
            (z[list(p)] @ r @ z[list(p)]) / (z @ z)
            for p in itertools.permutations(range(6))
        ]
    )
    exact = (null >= obs - 1e-12).mean()
    res = morans_i(y, w, permutations=9999, seed=11, alternative="greater")
    assert res.statistic == pytest.approx(obs)
    assert abs(res.pvalue - exact) < 5 * np.sqrt(exact * (1 - exact) / 9999) + 2e-4


def test_local_conditional_permutation_matches_exact_null():
    # ring of 9 regions (2 neighbours): the exact conditional null of site i takes
    # every ordered pair of the other 8 values (56 pairs, each equally likely)
    n = 9
    a = np.zeros((n, n))
    for i in range(n):
        a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1
    y = np.array([5.0, 7.0, 6.0, 1.0, 2.0, 0.5, 3.0, 8.0, 4.0])
    z = y - y.mean()
    res = local_morans(
        y, a, permutations=9999, seed=5, alternative="greater"
    ).to_frame()
    for i in range(n):
        others = np.delete(z, i)
        lag_obs = (z[(i - 1) % n] + z[(i + 1) % n]) / 2
        stat_obs = z[i] * lag_obs
        sims = np.array(
            [z[i] * (u + v) / 2 for u, v in itertools.permutations(others, 2)]
        )
        exact = (sims >= stat_obs - 1e-12).mean()
        p = res["pvalue"].iloc[i]
        # P(sim >= obs) with the (P_ge + 1)/(P + 1) correction
        assert abs(p - exact) < 5 * np.sqrt(exact * (1 - exact) / 9999) + 3e-4, i


# ----------------------------------------------------------------- kernels


def test_kernels_equal_numpy_twins():
    rng = np.random.default_rng(0)
    m = sp.csr_array(_lattice(5, 6) / _lattice(5, 6).sum(axis=1, keepdims=True))
    z = rng.normal(size=30)
    lag = m @ z
    a = K.local_perm_numba(lag, z, m.indptr, m.indices, m.data, 97, 13)
    b = K.local_perm_numpy(lag, z, m.indptr, m.indices, m.data, 97, 13)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    zr = z[::-1].copy()
    for a, permute_a in ((z, True), (z, False)):
        b = z if permute_a else zr  # univariate kernels take a is b
        # 40: one permutation per chunk; 600: full blocks of K._BLOCK permutations
        # per pass over the links, and a partial last block
        for perms in (40, 600):
            x = K.global_perm_numba(
                a, b, m.indptr, m.indices, m.data, perms, 2, permute_a
            )
            y = K.global_perm_numpy(
                a, b, m.indptr, m.indices, m.data, perms, 2, permute_a
            )
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(
        K.geary_perm_numba(z, m.indptr, m.indices, m.data, 40, 2),
        K.geary_perm_numpy(z, m.indptr, m.indices, m.data, 40, 2),
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    density=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**31 - 1),
)
def test_upper_links_equal_scipy_triu(n, density, seed):
    # Strict upper triangle of W + W' with sorted columns: asymmetric weights, empty
    # rows, a diagonal (left out) and rows longer than the insertion-sort cut (32).
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.1, 3.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    m = sp.csr_array(a)
    ptr, cols, vals = K.upper_links_numba(m.indptr, m.indices.astype(np.int64), m.data)
    ref = sp.csr_array(sp.triu(sp.csr_array(a + a.T), 1))
    ref.sort_indices()
    np.testing.assert_array_equal(ptr, ref.indptr)
    np.testing.assert_array_equal(cols, ref.indices)
    np.testing.assert_array_equal(vals, ref.data)


def test_symmetric_terms_equal_libpysal():
    from libpysal.weights import WSP

    from agglomera.measures.autocorrelation import _symmetric_terms

    rng = np.random.default_rng(4)
    a = rng.uniform(0.5, 2.0, (30, 30)) * (rng.uniform(size=(30, 30)) < 0.2)
    np.fill_diagonal(a, 0)
    m = sp.csr_array(a)
    s0, s1, s2, u = _symmetric_terms(m)
    w = WSP(sp.csr_matrix(a)).to_W(silence_warnings=True)
    assert s0 == pytest.approx(w.s0, rel=1e-13)
    assert s1 == pytest.approx(w.s1, rel=1e-13)
    assert s2 == pytest.approx(w.s2, rel=1e-13)
    z = rng.normal(size=30)
    assert z @ (u @ z) == pytest.approx(z @ (m @ z), rel=1e-12)


def test_local_kernel_paths_agree():
    # The fast path (lag summed from the raw digits, Floyd's rule only after a
    # repeated digit, found by the stamp array or by the 64-bit filters) and the
    # exact Floyd rebuild of every permutation give the same results, for each batch
    # size (digits per 64-bit output) and for equal and unequal weights; all equal
    # the numpy twin, islands (k = 0) included.
    rng = np.random.default_rng(5)
    a = _lattice(6, 7)
    a[0, :] = 0
    a[:, 0] = 0
    unequal = a * rng.uniform(0.5, 2.0, a.shape)
    z = rng.normal(size=42)
    assert K.batch_size(42) == 4
    for base in (a, unequal):
        m = sp.csr_array(base / np.maximum(base.sum(axis=1, keepdims=True), 1))
        lag = m @ z
        for batch, use_mark in K._PATHS:
            twin = K.local_perm_numpy(
                lag, z, m.indptr, m.indices, m.data, 83, 4, batch=batch
            )
            for redo_all in (False, True):
                got = K._local_perm_kernel(
                    lag, z, m.indptr, m.data, 83, 4, batch, use_mark, redo_all
                )
                for x, y in zip(got, twin, strict=True):
                    np.testing.assert_array_equal(x, y)


def test_batch_size_keeps_products_below_2_to_60():
    for n, want in ((4, 4), (10_000, 4), (32_768, 4), (32_769, 3), (1 << 20, 3),
                    ((1 << 20) + 1, 2), (1 << 30, 2), ((1 << 30) + 1, 1)):
        assert K.batch_size(n) == want, n
        assert n ** K.batch_size(n) <= 1 << 60


def test_local_permutation_with_unequal_weights_matches_exact_null():
    # Unequal weights (transform "o"): the neighbours' values must be a uniformly
    # random *ordered* sample of the others (Floyd's permutation form), else the
    # heavier weight would meet some values more often than others. Ring of 7
    # regions, weights 1 and 3: the exact null takes every ordered pair of the
    # other 6 values (30 pairs, equally likely).
    n = 7
    a = np.zeros((n, n))
    for i in range(n):
        a[i, (i + 1) % n] = 1.0
        a[i, (i - 1) % n] = 3.0
    y = np.array([5.0, 7.0, 6.0, 1.0, 2.0, 0.5, 8.0])
    z = y - y.mean()
    res = local_morans(
        y, a, transform="o", permutations=9999, seed=3, alternative="greater"
    ).to_frame()
    for i in range(n):
        others = np.delete(z, i)
        stat_obs = z[i] * (z[(i + 1) % n] + 3 * z[(i - 1) % n])
        sims = np.array(
            [z[i] * (u + 3 * v) for u, v in itertools.permutations(others, 2)]
        )
        exact = (sims >= stat_obs - 1e-12).mean()
        p = res["pvalue"].iloc[i]
        assert abs(p - exact) < 5 * np.sqrt(exact * (1 - exact) / 9999) + 3e-4, i


def test_ordered_sample_is_uniform():
    # Site 0 with two neighbours of unequal weight among 4 regions: each of the 6
    # ordered pairs of the other 3 sites is equally likely (lag = b_u + 10 b_v with
    # b = 1, 2, 3 on sites 1..3 makes the 6 lags distinct).
    a = np.zeros((4, 4))
    a[0, 1], a[0, 2] = 1.0, 10.0
    a[1:, 0] = 1.0
    m = sp.csr_array(a)
    b = np.array([0.0, 1.0, 2.0, 3.0])
    lags = sorted(u + 10 * v for u, v in itertools.permutations([1.0, 2.0, 3.0], 2))
    perms = 60_000
    counts = []
    for cut in lags:
        ge, le, _, _ = K.local_perm_numba(
            np.array([cut, 1.0, 1.0, 1.0]), b, m.indptr, m.indices, m.data, perms, 9
        )
        counts.append(le[0])
    freq = np.diff([0, *counts]) / perms
    assert np.all(np.abs(freq - 1 / 6) < 5 * np.sqrt((1 / 6) * (5 / 6) / perms)), freq


def test_uniform_draws_are_uniform():
    # Floyd's sampler: each of the 7 other sites equally likely to be drawn
    n = 8
    a = np.zeros((n, n))
    a[0, 1] = a[1, 0] = 1
    b = np.eye(n)[:, 3] * 1.0  # lag of site 0 is 1 exactly when site 3 is drawn
    m = sp.csr_array(a)
    ge, _, _, _ = K.local_perm_numba(
        np.array([1.0] + [0.0] * 7), b, m.indptr, m.indices, m.data, 70000, 1
    )
    assert abs(ge[0] / 70000 - 1 / 7) < 5 * np.sqrt((1 / 7) * (6 / 7) / 70000)


def test_seeded_reproducible_and_thread_independent():
    rng = np.random.default_rng(2)
    w = _lattice(6, 7)
    y = rng.normal(size=42)
    a = local_morans(y, w, seed=7).to_frame()
    b = local_morans(y, w, seed=7).to_frame()
    pd.testing.assert_frame_equal(a, b)
    g1 = morans_i(y, w, seed=7).null_distribution
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = local_morans(y, w, seed=7).to_frame()
        g2 = morans_i(y, w, seed=7).null_distribution
    finally:
        numba.set_num_threads(old)
    pd.testing.assert_frame_equal(a, c)
    np.testing.assert_array_equal(g1, g2)
    assert not np.array_equal(g1, morans_i(y, w, seed=8).null_distribution)


# ----------------------------------------------------------------- policies


def test_missing_raise_and_drop():
    w = pd.DataFrame(_lattice(3, 3), index=list("abcdefghi"))
    ws = as_weights(w.to_numpy(), ids=list(w.index))
    y = pd.Series([1.0, 2, 3, np.nan, 5, 6, 7, 8, 9], index=list("abcdefghi"))
    with pytest.raises(
        SchemaError, match=r"1 region\(s\) have missing values: \['d'\]"
    ):
        morans_i(y, ws)
    with pytest.warns(MissingValueWarning, match="'d'"):
        r = morans_i(y, ws, missing="drop", permutations=0)
    keep = y.notna().to_numpy()
    sub = ws.subset(keep)
    expect = morans_i(y.dropna().to_numpy(), sub.matrix, permutations=0)
    assert r.statistic == pytest.approx(expect.statistic, abs=1e-15)
    assert r.dropped == ("d",) and r.n == 8
    # a Series aligned by label, in another order
    with pytest.warns(MissingValueWarning):
        r2 = morans_i(y.iloc[::-1], ws, missing="drop", permutations=0)
    assert r2.statistic == pytest.approx(r.statistic, abs=1e-15)
    with pytest.raises(SchemaError, match="do not cover"):
        morans_i(pd.Series([1.0], index=["zz"]), ws)
    with pytest.raises(SchemaError, match="9 regions"):
        morans_i([1.0, 2.0], ws)


def test_islands_raise_keep_drop():
    a = _lattice(2, 3)
    a = np.pad(a, ((0, 1), (0, 1)))  # region 6 has no neighbours
    y = np.array([1.0, 3, 2, 5, 4, 6, 10])
    with pytest.raises(SchemaError, match=r"islands\): \['6'\]"):
        morans_i(y, a)
    with pytest.warns(IslandWarning, match="'6'"):
        d = morans_i(y, a, islands="drop", permutations=0)
    assert d.statistic == pytest.approx(
        morans_i(y[:6], a[:6, :6], permutations=0).statistic
    )
    k = morans_i(y, a, islands="keep", permutations=0)
    # keep: n = 7 and the mean include the island; row-standardised S0 = 6
    z = y - y.mean()
    r = a / np.maximum(a.sum(axis=1, keepdims=True), 1)
    assert k.statistic == pytest.approx(7 / 6 * (z @ r @ z) / (z @ z), abs=1e-14)
    assert k.islands == ("6",)
    loc = local_morans(y, a, islands="keep", seed=1).to_frame()
    assert loc.loc["6", "label"] == "island"
    assert np.isnan(loc.loc["6", "statistic"]) and np.isnan(loc.loc["6", "pvalue"])
    assert loc["pvalue"].drop("6").notna().all()


def test_bad_options_raise():
    with pytest.raises(SchemaError, match="`alternative` must be one of"):
        morans_i([1, 2, 3, 4], PATH4, alternative="both")
    with pytest.raises(SchemaError, match="`permutations`"):
        morans_i([1, 2, 3, 4], PATH4, permutations=-1)
    with pytest.raises(SchemaError, match="constant"):
        morans_i([1, 1, 1, 1], PATH4)
    with pytest.raises(SchemaError, match="non-negative"):
        getis_ord_g([1, -2, 3, 4], PATH4)
    with pytest.raises(SchemaError, match="`missing`"):
        morans_i([1, 2, 3, 4], PATH4, missing="zero")
    with pytest.raises(SchemaError, match="`seed`"):
        morans_i([1, 2, 3, 4], PATH4, seed=-3)


def test_benjamini_hochberg_matches_scipy():
    p = np.random.default_rng(3).random(200) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p))
    q = benjamini_hochberg([0.01, np.nan, 0.02])
    assert np.isnan(q[1]) and q[0] == pytest.approx(0.02)


def test_labels_follow_alpha_and_fdr():
    rng = np.random.default_rng(9)
    w = _lattice(8, 8)
    y = np.add.outer(np.arange(8), np.arange(8)).ravel() + rng.normal(0, 0.5, 64)
    r = local_morans(y, w, seed=4).to_frame()
    sig = r["pvalue"] <= 0.05
    assert (r.loc[sig, "label"] == r.loc[sig, "quadrant"]).all()
    assert (r.loc[~sig, "label"] == "ns").all()
    f = local_morans(y, w, seed=4, fdr=True).to_frame()
    assert ((f["label"] != "ns") <= (r["label"] != "ns")).all()
    assert (f["qvalue"] >= f["pvalue"] - 1e-15).all()
    # a smooth trend: the corners are significant HH / LL
    assert r.loc["63", "label"] == "HH" and r.loc["0", "label"] == "LL"


# ----------------------------------------------------------------- esda


@pytest.fixture(scope="module")
def esda_case():
    esda = pytest.importorskip("esda")
    from libpysal.weights import lat2W

    rng = np.random.default_rng(1)
    n = 7 * 8
    y = rng.gamma(2.0, size=n) + np.arange(n) * 0.05
    x = rng.normal(size=n)
    return esda, lat2W, y, x


@pytest.mark.peer
@pytest.mark.parametrize("kind", ["W", "Graph", "sparse"])
def test_global_statistics_equal_esda(esda_case, kind):
    esda, lat2W, y, x = esda_case
    from libpysal.graph import Graph

    def ours_w():
        w = lat2W(7, 8)
        if kind == "Graph":
            return Graph.from_W(w)
        if kind == "sparse":
            return w.sparse
        return w

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = esda.Moran(y, lat2W(7, 8), permutations=0)
        c = esda.Geary(y, lat2W(7, 8), permutations=0)
        g = esda.G(y, lat2W(7, 8), permutations=0)
        bv = esda.Moran_BV(x, y, lat2W(7, 8), permutations=0)
    r = morans_i(y, ours_w(), permutations=0)
    for a, b in [
        (r.statistic, m.I),
        (r.expected, m.EI),
        (r.variance_normal, m.VI_norm),
        (r.variance_randomization, m.VI_rand),
        (r.z_normal, m.z_norm),
        (r.z_randomization, m.z_rand),
        (r.pvalue_normal, m.p_norm),
        (r.pvalue_randomization, m.p_rand),
    ]:
        assert a == pytest.approx(b, abs=1e-10)
    rc = gearys_c(y, ours_w(), permutations=0)
    for a, b in [
        (rc.statistic, c.C),
        (rc.variance_normal, c.VC_norm),
        (rc.variance_randomization, c.VC_rand),
        (rc.z_normal, c.z_norm),
        (rc.z_randomization, c.z_rand),
    ]:
        assert a == pytest.approx(b, abs=1e-10)
    rg = getis_ord_g(y, ours_w(), permutations=0)
    for a, b in [
        (rg.statistic, g.G),
        (rg.expected, g.EG),
        (rg.variance, g.VG),
        (rg.z_normal, g.z_norm),
    ]:
        assert a == pytest.approx(b, abs=1e-10)
    assert bivariate_morans_i(
        x, y, ours_w(), permutations=0
    ).statistic == pytest.approx(bv.I, abs=1e-10)


@pytest.mark.peer
def test_global_permutation_pvalues_agree_with_esda(esda_case):
    esda, lat2W, y, _x = esda_case
    y2 = y + 0.8 * np.repeat(np.arange(7), 8)  # moderate autocorrelation
    perms = 999
    m = esda.Moran(y2, lat2W(7, 8), permutations=perms)
    r = morans_i(y2, lat2W(7, 8), permutations=perms, seed=1)
    folded = min(
        morans_i(y2, lat2W(7, 8), permutations=perms, seed=1, alternative=a).pvalue
        for a in ("greater", "less")
    )
    assert abs(folded - m.p_sim) <= _mc_bound(m.p_sim, perms)
    assert r.pvalue == pytest.approx(min(1.0, 2 * folded))
    # null moments: the permutation mean of I is close to E[I] = -1/(n-1)
    assert abs(r.null_distribution.mean() - m.EI) < 5 * np.sqrt(m.VI_rand / perms)
    c = esda.Geary(y2, lat2W(7, 8), permutations=perms)
    rc = min(
        gearys_c(y2, lat2W(7, 8), seed=2, alternative=a).pvalue
        for a in ("greater", "less")
    )
    assert abs(rc - c.p_sim) <= _mc_bound(c.p_sim, perms)
    g = esda.G(y2, lat2W(7, 8), permutations=perms)
    rg = min(
        getis_ord_g(y2, lat2W(7, 8), seed=3, alternative=a).pvalue
        for a in ("greater", "less")
    )
    assert abs(rg - g.p_sim) <= _mc_bound(g.p_sim, perms)


@pytest.mark.peer
def test_local_morans_equals_esda(esda_case):
    esda, lat2W, y, _x = esda_case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = esda.Moran_Local(y, lat2W(7, 8), permutations=0)
    r = local_morans(y, lat2W(7, 8), seed=3, alternative="folded").to_frame()
    np.testing.assert_allclose(r["statistic"], lm.Is, atol=1e-10, rtol=0)
    assert list(r["quadrant"]) == list(np.array(["HH", "LH", "LL", "HL"])[lm.q - 1])


@pytest.mark.peer
@pytest.mark.parametrize("star", [True, False])
def test_local_getis_ord_equals_esda(esda_case, star):
    esda, lat2W, y, _x = esda_case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gl = esda.G_Local(y, lat2W(7, 8), star=star, permutations=0)
    r = local_getis_ord(
        y, lat2W(7, 8), star=star, seed=3, alternative="folded"
    ).to_frame()
    np.testing.assert_allclose(r["statistic"], gl.Gs, atol=1e-10, rtol=0)
    np.testing.assert_allclose(r["expected"], gl.EGs, atol=1e-10, rtol=0)
    np.testing.assert_allclose(r["variance"], gl.VGs, atol=1e-10, rtol=0)
    np.testing.assert_allclose(r["z_normal"], gl.Zs, atol=1e-10, rtol=0)


@pytest.mark.peer
@pytest.mark.slow
def test_local_permutation_pvalues_agree_with_esda(esda_case):
    """esda compiles its crand kernels on first use (slow), hence one slow test.

    Check: for every site, |p_ours - p_esda| <= 5 sd of the difference of two
    independent Monte Carlo estimates of the same p (sd = sqrt(2 p (1 - p) / P)) plus
    2/(P + 1) for the +1 corrections and ties. With 56 sites x 3 statistics the chance
    of a false failure is below 1e-4.
    """
    esda, lat2W, y, _x = esda_case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = esda.Moran_Local(y, lat2W(7, 8), permutations=999, seed=1, n_jobs=1)
        gs = [
            esda.G_Local(y, lat2W(7, 8), star=s, permutations=999, seed=1, n_jobs=1)
            for s in (True, False)
        ]
    r = local_morans(y, lat2W(7, 8), seed=3, alternative="folded").to_frame()
    assert (np.abs(r["pvalue"] - lm.p_sim) <= _mc_bound(lm.p_sim, 999)).all()
    sd_bound = 6 * lm.seI_sim / np.sqrt(999)
    assert (np.abs(r["expected_sim"] - lm.EI_sim) <= sd_bound).all()
    for star, gl in zip((True, False), gs, strict=True):
        rg = local_getis_ord(
            y, lat2W(7, 8), star=star, seed=3, alternative="folded"
        ).to_frame()
        assert (np.abs(rg["pvalue"] - gl.p_sim) <= _mc_bound(gl.p_sim, 999)).all()


@pytest.mark.peer
def test_keep_islands_equals_esda_global():
    esda = pytest.importorskip("esda")
    from libpysal.weights import W

    neighbors = {0: [1], 1: [0, 2], 2: [1, 3], 3: [2, 4], 4: [3], 5: []}
    y = np.array([1.0, 4.0, 2.0, 8.0, 5.0, 7.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W(neighbors, silence_warnings=True)
        m = esda.Moran(y, w, permutations=0)
    r = morans_i(y, W(neighbors, silence_warnings=True), islands="keep", permutations=0)
    assert r.statistic == pytest.approx(m.I, abs=1e-12)
    assert r.variance_randomization == pytest.approx(m.VI_rand, abs=1e-12)


# ----------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    rows=st.integers(2, 5),
    cols=st.integers(2, 5),
    scale=st.floats(0.01, 1000),
    shift=st.floats(-100, 100),
)
def test_relabelling_and_affine_invariance(seed, rows, cols, scale, shift):
    """Relabelling regions (with the weights) permutes local results and leaves the
    global ones unchanged; I, C and local I_i are invariant to y -> a y + b (a > 0)."""
    rng = np.random.default_rng(seed)
    w = _lattice(rows, cols)
    n = rows * cols
    y = rng.normal(size=n)
    if np.ptp(y) == 0:
        return
    perm = rng.permutation(n)
    wp = w[np.ix_(perm, perm)]
    a = morans_i(y, w, permutations=0)
    b = morans_i(y[perm], wp, permutations=0)
    assert b.statistic == pytest.approx(a.statistic, abs=1e-10)
    c = morans_i(scale * y + shift, w, permutations=0)
    assert c.statistic == pytest.approx(a.statistic, abs=1e-8)
    ga = gearys_c(y, w, permutations=0).statistic
    assert gearys_c(y[perm], wp, permutations=0).statistic == pytest.approx(
        ga, abs=1e-10
    )
    la = local_morans(y, w, permutations=0).statistic.to_numpy()
    lb = local_morans(y[perm], wp, permutations=0).statistic.to_numpy()
    np.testing.assert_allclose(lb, la[perm], atol=1e-10)
    # Anselin (1995, eq. 13): with row-standardised weights (S0 = n) the local
    # statistics add up to the global one, sum_i I_i = (n - 1) I in esda's scaling
    assert la.sum() == pytest.approx((n - 1) * a.statistic, abs=1e-9)


def test_local_bivariate_with_x_equal_y_is_local_moran():
    rng = np.random.default_rng(6)
    w = _lattice(5, 5)
    y = rng.gamma(2.0, size=25)
    a = local_morans(y, w, seed=9).to_frame()
    b = local_bivariate_morans(y, y, w, seed=9).to_frame()
    np.testing.assert_allclose(b["statistic"], a["statistic"], atol=1e-12)
    # the same per-site draws: identical permutation p-values and labels
    np.testing.assert_allclose(b["pvalue"], a["pvalue"], atol=0)
    assert list(b["label"]) == list(a["label"])


@pytest.mark.peer
def test_local_bivariate_equals_esda(esda_case):
    esda, lat2W, y, x = esda_case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lb = esda.Moran_Local_BV(x, y, lat2W(7, 8), permutations=0)
    r = local_bivariate_morans(x, y, lat2W(7, 8), permutations=0).to_frame()
    np.testing.assert_allclose(r["statistic"], lb.Is, atol=1e-10, rtol=0)
    assert list(r["quadrant"]) == list(np.array(["HH", "LH", "LL", "HL"])[lb.q - 1])
