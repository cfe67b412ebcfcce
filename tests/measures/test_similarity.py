"""Structural similarity of regions and overlap of leading industries."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures import (
    StructuralSimilarityResult,
    leading_industries_overlap,
    structural_similarity,
)
from agglomera.testing import region_industry_matrices

METHODS = ("cosine", "lq_correlation", "krugman")
DATA_DIR = Path(
    os.environ.get(
        "AGGLOMERA_DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"
    )
)


def _lq(m: np.ndarray) -> np.ndarray:
    """Location quotient written out independently of agglomera's kernel."""
    return (m / m.sum(axis=1, keepdims=True)) / (m.sum(axis=0) / m.sum())


# ---- hand-computed examples ---------------------------------------------------------
def test_structural_similarity_hand_example_two_regions():
    # a = (1, 2), b = (2, 1): cosine = (2 + 2) / (sqrt(5) sqrt(5)) = 0.8;
    # shares (1/3, 2/3) vs (2/3, 1/3): Krugman = 1/3 + 1/3 = 2/3;
    # LQ a = (2/3, 4/3), b = (4/3, 2/3): perfectly negatively correlated.
    x = pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=["a", "b"], columns=["i", "j"])
    cos = structural_similarity(x)
    assert cos.loc["a", "b"] == pytest.approx(0.8)
    assert cos.loc["a", "a"] == 1.0
    assert structural_similarity(x, method="krugman").loc["a", "b"] == pytest.approx(
        2 / 3
    )
    assert structural_similarity(x, method="lq_correlation").loc["a", "b"] == (
        pytest.approx(-1.0)
    )


def test_identical_and_disjoint_structures():
    x = np.array([[3.0, 4.0, 0.0], [6.0, 8.0, 0.0], [0.0, 0.0, 5.0]])
    cos = structural_similarity(x).to_numpy()
    np.testing.assert_allclose(cos, [[1, 1, 0], [1, 1, 0], [0, 0, 1]])
    kr = structural_similarity(x, method="krugman").to_numpy()
    np.testing.assert_allclose(kr, [[0, 0, 2], [0, 0, 2], [2, 2, 0]])


def test_empty_region_gives_nan_row():
    x = np.array([[1.0, 2.0], [0.0, 0.0], [2.0, 2.0]])
    for method in METHODS:
        s = structural_similarity(x, method=method).to_numpy()
        assert np.isnan(s[1]).all() and np.isnan(s[:, 1]).all()
        assert np.isfinite(s[np.ix_([0, 2], [0, 2])]).all()


# ---- cross-checks against scipy / numpy -----------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cosine_and_krugman_match_scipy_cdist(seed):
    m = np.random.default_rng(seed).gamma(1.0, 10.0, (12, 9))
    np.testing.assert_allclose(
        structural_similarity(m).to_numpy(),
        1.0 - cdist(m, m, metric="cosine"),
        atol=1e-12,
    )
    s = m / m.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        structural_similarity(m, method="krugman").to_numpy(),
        cdist(s, s, metric="cityblock"),
        atol=1e-12,
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_lq_correlation_matches_numpy_corrcoef(seed):
    m = np.random.default_rng(seed).gamma(1.0, 10.0, (10, 7))
    np.testing.assert_allclose(
        structural_similarity(m, method="lq_correlation").to_numpy(),
        np.corrcoef(_lq(m)),
        atol=1e-12,
    )


def test_lq_correlation_ignores_industries_absent_everywhere():
    m = np.random.default_rng(3).gamma(1.0, 10.0, (6, 5))
    with_empty = np.column_stack([m, np.zeros(6)])
    np.testing.assert_allclose(
        structural_similarity(with_empty, method="lq_correlation").to_numpy(),
        np.corrcoef(_lq(m)),
        atol=1e-12,
    )


def test_matches_scipy_on_reat_german_laender():
    path = DATA_DIR / "reference" / "reat_germany_laender_industries_2015.csv"
    if not path.exists():
        pytest.skip(f"REAT reference data not found at {path}; set AGGLOMERA_DATA_DIR")
    long = pd.read_csv(path)
    got = structural_similarity(
        long, region="region", industry="ind_code", value="emp_all", missing="zero"
    )
    wide = long.pivot(index="region", columns="ind_code", values="emp_all").fillna(0.0)
    wide = wide.loc[got.index, :]
    expected = 1.0 - cdist(wide.to_numpy(), wide.to_numpy(), metric="cosine")
    np.testing.assert_allclose(got.to_numpy(), expected, atol=1e-12)
    assert got.shape == (16, 16)


# ---- shapes -------------------------------------------------------------------------------
def test_long_wide_and_array_agree_and_panel_computes_each_year():
    rng = np.random.default_rng(5)
    cube = rng.gamma(1.0, 10.0, (3, 4, 5))
    regions, industries, years = (
        ["LN", "JL", "HLJ", "JS"],
        list("ABCDE"),
        [2020, 2021, 2022],
    )
    rows = [
        (y, r, i, cube[t, a, b])
        for t, y in enumerate(years)
        for a, r in enumerate(regions)
        for b, i in enumerate(industries)
    ]
    long = pd.DataFrame(rows, columns=["year", "region", "industry", "emp"])
    for method in METHODS:
        panel = structural_similarity(
            long,
            region="region",
            industry="industry",
            value="emp",
            year="year",
            method=method,
        )
        assert panel.index.names == ["year", "region"]
        for t, y in enumerate(years):
            one = structural_similarity(
                pd.DataFrame(cube[t], index=regions, columns=industries), method=method
            )
            np.testing.assert_allclose(
                panel.loc[y].to_numpy(), one.to_numpy(), atol=1e-12
            )
            np.testing.assert_allclose(
                one.to_numpy(),
                structural_similarity(cube[t], method=method),
                atol=1e-12,
            )
        np.testing.assert_allclose(
            structural_similarity(cube, method=method).to_numpy(),
            panel.to_numpy(),
            atol=1e-12,
        )


def test_missing_cells_warn_by_default():
    long = pd.DataFrame(
        {"r": ["a", "a", "b"], "i": ["x", "y", "x"], "v": [1.0, 2.0, 3.0]}
    )
    with pytest.warns(MissingValueWarning):
        structural_similarity(long, region="r", industry="i", value="v")


# ---- Hypothesis properties ----------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(m=region_industry_matrices(), method=st.sampled_from(METHODS))
def test_symmetric_with_the_right_diagonal_and_range(m, method):
    s = structural_similarity(m, method=method).to_numpy()
    np.testing.assert_allclose(s, s.T, atol=1e-12)
    diag = np.diag(s)
    if method == "krugman":
        np.testing.assert_allclose(diag, 0.0, atol=1e-12)
        assert ((s >= -1e-12) & (s <= 2 + 1e-12)).all()
    elif method == "cosine":
        np.testing.assert_array_equal(diag, 1.0)
        assert ((s >= 0) & (s <= 1)).all()
    else:
        ok = ~np.isnan(diag)
        np.testing.assert_array_equal(diag[ok], 1.0)
        assert ((s[~np.isnan(s)] >= -1) & (s[~np.isnan(s)] <= 1)).all()


@settings(max_examples=40, deadline=None)
@given(
    m=region_industry_matrices(),
    method=st.sampled_from(("cosine", "krugman")),
    data=st.data(),
)
def test_invariant_to_scaling_each_region(m, method, data):
    c = np.array(
        data.draw(
            st.lists(st.floats(0.01, 1000.0), min_size=m.shape[0], max_size=m.shape[0])
        )
    )
    np.testing.assert_allclose(
        structural_similarity(m * c[:, None], method=method),
        structural_similarity(m, method=method),
        rtol=1e-9,
        atol=1e-9,
    )


@settings(max_examples=25, deadline=None)
@given(m=region_industry_matrices(), c=st.floats(0.01, 1000.0))
def test_lq_correlation_invariant_to_global_scaling(m, c):
    np.testing.assert_allclose(
        structural_similarity(m * c, method="lq_correlation").to_numpy(),
        structural_similarity(m, method="lq_correlation").to_numpy(),
        rtol=1e-9,
        atol=1e-9,
        equal_nan=True,
    )


@settings(max_examples=40, deadline=None)
@given(
    m=region_industry_matrices(),
    method=st.sampled_from(METHODS),
    seed=st.integers(0, 999),
)
def test_relabelling_regions_permutes_and_industries_leave_unchanged(m, method, seed):
    rng = np.random.default_rng(seed)
    pr, pi = rng.permutation(m.shape[0]), rng.permutation(m.shape[1])
    base = structural_similarity(m, method=method).to_numpy()
    got = structural_similarity(m[pr][:, pi], method=method).to_numpy()
    np.testing.assert_allclose(got, base[np.ix_(pr, pr)], atol=1e-10, equal_nan=True)


# ---- permutation test -------------------------------------------------------------------
def test_permutation_test_is_seeded_and_detects_shared_structure():
    rng = np.random.default_rng(0)
    base = rng.gamma(0.5, 10.0, 30)
    other = rng.gamma(0.5, 10.0, 30)
    x = np.vstack([base, base * 2 + rng.uniform(0, 0.1, 30), other])
    r1 = structural_similarity(x, permutations=199, seed=42)
    r2 = structural_similarity(x, permutations=199, seed=42)
    assert isinstance(r1, StructuralSimilarityResult)
    pd.testing.assert_frame_equal(r1.pvalue, r2.pvalue)
    p = r1.pvalue.to_numpy()
    assert np.isnan(np.diag(p)).all()
    assert p[0, 1] == pytest.approx(1 / 200)  # nothing random is as similar as a copy
    off = p[~np.eye(3, dtype=bool)]
    assert ((off >= 1 / 200) & (off <= 1)).all()
    np.testing.assert_allclose(p, p.T)
    assert r1.method == "cosine" and r1.permutations == 199 and r1.seed == 42


def test_krugman_permutation_counts_smaller_dissimilarity():
    rng = np.random.default_rng(1)
    base = rng.gamma(0.5, 10.0, 25)
    x = np.vstack([base, base * 3, rng.gamma(0.5, 10.0, 25)])
    res = structural_similarity(x, method="krugman", permutations=99, seed=0)
    assert res.pvalue.iloc[0, 1] == pytest.approx(0.01)
    assert res.similarity.iloc[0, 1] == pytest.approx(0.0, abs=1e-12)


def test_to_frame_lists_each_pair_once():
    cube = np.random.default_rng(2).gamma(1.0, 10.0, (2, 4, 6))
    res = structural_similarity(cube, permutations=9, seed=1)
    f = res.to_frame()
    assert list(f.columns) == ["region_a", "region_b", "year", "similarity", "pvalue"]
    assert len(f) == 2 * 6
    row = f[(f.year == 1) & (f.region_a == 0) & (f.region_b == 3)].iloc[0]
    assert row.similarity == pytest.approx(res.similarity.loc[(1, 0), 3])
    assert row.pvalue == pytest.approx(res.pvalue.loc[(1, 0), 3])
    cross = structural_similarity(cube[0], top=2).to_frame()
    assert list(cross.columns) == ["region_a", "region_b", "similarity", "pvalue"]
    assert cross.pvalue.isna().all()


# ---- leading industries overlap ---------------------------------------------------------
def test_leading_industries_overlap_hand_example():
    x = pd.DataFrame(
        [[50.0, 30.0, 0.0, 20.0], [10.0, 10.0, 60.0, 20.0], [40.0, 0.0, 10.0, 50.0]],
        index=["LN", "JL", "HLJ"],
        columns=["steel", "cars", "food", "chem"],
    )
    by_share = leading_industries_overlap(x, top=2, by="share")
    # LN top-2 by share: steel, cars; JL: food, chem (chem 20 vs steel/cars 10);
    # HLJ: chem, steel.
    got = {(a, b): (n, c) for a, b, n, c in by_share.itertuples(index=False)}
    assert got[("LN", "JL")] == (0, [])
    assert got[("LN", "HLJ")] == (1, ["steel"])
    assert got[("JL", "HLJ")] == (1, ["chem"])
    # by LQ: totals steel 100, cars 40, food 70, chem 90 (all 300). LQ rows (x 300/100):
    # LN: 1.5, 2.25, 0, 0.667 -> cars, steel; JL: 0.3, 0.75, 2.571, 0.667 -> food, cars;
    # HLJ: 1.2, 0, 0.429, 1.667 -> chem, steel.
    by_lq = leading_industries_overlap(x, top=2)
    got = {(a, b): (n, c) for a, b, n, c in by_lq.itertuples(index=False)}
    assert got[("LN", "JL")] == (1, ["cars"])
    assert got[("LN", "HLJ")] == (1, ["steel"])
    assert got[("JL", "HLJ")] == (0, [])


def test_zero_industries_never_lead_and_top_larger_than_industries():
    x = np.array([[5.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    f = leading_industries_overlap(x, top=10, by="share")
    assert f.n_common.tolist() == [1] and f.common.tolist() == [[0]]


def test_similarity_top_adds_the_lq_overlap_table():
    cube = np.random.default_rng(4).gamma(1.0, 10.0, (2, 5, 8))
    res = structural_similarity(cube, top=3)
    assert res.pvalue is None
    pd.testing.assert_frame_equal(res.overlap, leading_industries_overlap(cube, top=3))
    assert (res.overlap.n_common <= 3).all()
    assert list(res.overlap.columns) == [
        "region_a",
        "region_b",
        "year",
        "n_common",
        "common",
    ]


@settings(max_examples=30, deadline=None)
@given(m=region_industry_matrices(), top=st.integers(1, 5))
def test_overlap_counts_match_lists_and_set_intersections(m, top):
    f = leading_industries_overlap(m, top=top, by="share")
    order = np.argsort(-m, axis=1, kind="stable")[:, :top]
    for a, b, n, common in f.itertuples(index=False):
        expected = sorted(set(order[a]) & set(order[b]))
        assert n == len(common) == len(expected)
        assert common == expected


# ---- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"method": "jaccard"},
            (
                "`method` must be one of 'cosine', 'lq_correlation', "
                "'krugman'; got 'jaccard'"
            ),
        ),
        ({"permutations": -1}, "`permutations` must be an integer >= 0"),
        ({"permutations": 2.5}, "`permutations` must be an integer >= 0"),
        ({"top": 0}, "`top` must be an integer >= 1"),
    ],
)
def test_bad_options_raise_schema_error(kwargs, message):
    with pytest.raises(
        SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        structural_similarity(np.ones((3, 3)), **kwargs)


def test_bad_data_raise_schema_error():
    with pytest.raises(SchemaError, match="negative"):
        structural_similarity(np.array([[1.0, -1.0], [1.0, 1.0]]))
    with pytest.raises(
        SchemaError, match="`by` must be one of 'lq', 'share'; got 'size'"
    ):
        leading_industries_overlap(np.ones((2, 2)), by="size")
    long = pd.DataFrame({"r": ["a"], "i": ["x"], "v": [1.0]})
    with pytest.raises(SchemaError, match="not found"):
        structural_similarity(long, region="r", industry="i", value="emp")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SchemaError, match="infinite"):
            structural_similarity(np.array([[1.0, np.inf], [1.0, 1.0]]))


def test_krugman_matches_reat_krugman_spec_example():
    ref = pd.read_csv(
        Path(__file__).resolve().parents[1]
        / "reference"
        / "structural_similarity"
        / "reat_krugman_spec_example.csv"
    )
    wide = ref.set_index("industry").T  # regions in rows
    assert structural_similarity(wide, method="krugman").loc[
        "region_j", "region_l"
    ] == pytest.approx(2.0, abs=1e-12)
    assert structural_similarity(wide).loc["region_j", "region_l"] == pytest.approx(
        0.0, abs=1e-12
    )
