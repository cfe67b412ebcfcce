"""Rating stability: threshold grid checked against repeated rate() calls; resampling."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomera.clusters import rate, rating_stability
from agglomera.errors import SchemaError

REF = Path(__file__).parents[1] / "reference" / "us_cmp"
LEVELS = ["qualifying", "significant", "strong", "strong_top_decile"]


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(REF / "worked_example.csv")


def test_threshold_share_equals_mean_of_rate_over_the_grid(example):
    s = rating_stability(example, establishments="establishments", traded="traded",
                         shift=10, resample="none")
    names = ["lq_percentile", "employment_percentile", "establishments_percentile",
             "top_percentile"]
    base = [75, 25, 25, 90]
    grids = [[b - 10, b, min(b + 10, 100)] for b in base]
    runs = []
    for combo in itertools.product(*grids):
        r = rate(example, establishments="establishments", traded="traded",
                 **dict(zip(names, combo, strict=True))).to_frame()
        runs.append(r[LEVELS].astype(bool).to_numpy())
    mean = np.mean(runs, axis=0)
    assert len(s.grid) == 81
    t = s.to_frame()
    for j, level in enumerate(LEVELS):
        part = t[t["level"] == level]
        np.testing.assert_allclose(part["threshold_share"].to_numpy(), mean[:, j])
    assert t["resample_share"].isna().all()


def test_no_perturbation_means_full_stability(example):
    s = rating_stability(example, traded="traded", shift=0, resample="none").to_frame()
    assert (s["stability"] == 1.0).all()
    flags = rate(example, traded="traded").to_frame()
    strong = s[s["level"] == "strong"]["threshold_share"].to_numpy()
    assert (strong == flags["strong"].astype(bool).astype(float).to_numpy()).all()


def test_resampling_is_seeded_and_keeps_absent_cells_absent(example):
    kw = {"establishments": "establishments", "traded": "traded", "draws": 30,
          "shift": 0}
    a = rating_stability(example, seed=11, **kw).to_frame()
    b = rating_stability(example, seed=11, **kw).to_frame()
    pd.testing.assert_frame_equal(a, b)
    t = a.set_index(["region", "cluster", "level"])
    # D has no X employment: a Poisson draw with mean 0 is 0, never a flag
    assert t.loc[("D", "X", "strong"), "resample_share"] == 0.0
    # E holds half of X with LQ 3: its specialisation survives every draw
    assert t.loc[("E", "X", "significant"), "resample_share"] == 1.0
    m = rating_stability(example, traded="traded", draws=30, seed=3, shift=0,
                         resample="multinomial").to_frame()
    assert m["resample_share"].between(0, 1).all()


def test_eu_stars_grid_and_errors(example):
    s = rating_stability(example, preset="eu-stars", draws=5, seed=1)
    assert len(s.grid) == 9
    assert set(s.to_frame()["level"]) == {"size", "specialisation", "focus"}
    with pytest.raises(SchemaError, match="preset"):
        rating_stability(example, preset="gold-stars")
    with pytest.raises(SchemaError, match="needs `year=`"):
        rating_stability(example, preset="lq-growth")
    with pytest.raises(SchemaError, match="shift"):
        rating_stability(example, shift=-1)
    with pytest.raises(SchemaError, match="resample"):
        rating_stability(example, resample="jackknife")


def test_lq_growth_stability_equals_rate_over_the_lq_threshold_grid():
    rng = np.random.default_rng(1)
    rows = [(r, c, y, float(rng.integers(1, 100))) for r in "ABCDE" for c in "xyz"
            for y in (2015, 2020)]
    t = pd.DataFrame(rows, columns=["region", "cluster", "year", "employment"])
    s = rating_stability(t, preset="lq-growth", year="year", shift=10, resample="none")
    assert s.grid["threshold"].tolist() == pytest.approx([0.9, 1.0, 1.1])
    runs = [rate(t, preset="lq-growth", year="year", threshold=th).to_frame()
            for th in (0.9, 1.0, 1.1)]
    got = s.to_frame()
    for level in ("star", "mature", "emerging", "transforming"):
        want = np.mean([r[level].astype(bool).to_numpy() for r in runs], axis=0)
        np.testing.assert_allclose(
            got[got["level"] == level]["threshold_share"].to_numpy(), want)
    res = rating_stability(t, preset="lq-growth", year="year", draws=10, seed=2)
    assert res.to_frame()["resample_share"].between(0, 1).all()


def test_output_tier_stability_near_a_bound():
    o = pd.DataFrame({"region": "r", "cluster": list("abc"),
                      "output": [101e9, 9.8e9, 3e9]})
    s = rating_stability(o, preset="output-tiers", value="output", shift=5)
    t = s.to_frame().set_index(["cluster", "level"])
    # 101 bn: tier above_100_bn unless the bound moves up 5% (105 bn): 2 of 3 grid points
    assert t.loc[("a", "above_100_bn"), "threshold_share"] == pytest.approx(2 / 3)
    # 9.8 bn reaches the 10 bn tier when the bound moves down 5% (9.5 bn)
    assert t.loc[("b", "above_10_bn"), "threshold_share"] == pytest.approx(1 / 3)
    assert t.loc[("c", "above_2_bn"), "stability"] == 1.0
    with pytest.raises(SchemaError, match="not a count"):
        rating_stability(o, preset="output-tiers", value="output", resample="poisson")
