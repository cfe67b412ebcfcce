"""Malmquist index and growth-accounting TFP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomera.errors import SchemaError
from agglomera.evaluate import dea, malmquist, perpetual_inventory, tfp


def hand_panel() -> pd.DataFrame:
    # tests/reference/malmquist/README.md
    return pd.DataFrame({"region": ["A", "B", "A", "B"], "year": [1, 1, 2, 2],
                         "x": [2.0, 1.0, 2.0, 1.0], "y": [2.0, 2.0, 6.0, 2.5]})


def random_panel(seed: int = 0, n: int = 12, years: int = 3) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    rows = []
    for t in range(years):
        for u in range(n):
            x1, x2 = g.uniform(1, 10, 2)
            y = (x1 ** 0.5 * x2 ** 0.4) * g.uniform(0.5, 1.0) * 1.05 ** t
            rows.append({"region": f"u{u}", "year": 2010 + t, "x1": x1, "x2": x2,
                         "y1": y, "y2": y * g.uniform(0.5, 1.5)})
    return pd.DataFrame(rows)


def test_malmquist_matches_hand_computed_case():
    t = malmquist(hand_panel(), inputs="x", outputs="y").table.set_index("region")
    np.testing.assert_allclose(t.loc["A", ["d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"]],
                               [0.5, 1.5, 1 / 3, 1.0])
    np.testing.assert_allclose(t.loc["B", ["d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"]],
                               [1.0, 1.25, 2 / 3, 5 / 6])
    np.testing.assert_allclose(t.loc[["A", "B"], "effch"], [2.0, 5 / 6])
    np.testing.assert_allclose(t.loc[["A", "B"], "techch"], [1.5, 1.5])
    np.testing.assert_allclose(t.loc[["A", "B"], "malmquist"], [3.0, 1.25])


def test_malmquist_identities_on_a_random_panel():
    p = random_panel()
    kw = {"inputs": ["x1", "x2"], "outputs": ["y1", "y2"]}
    r = malmquist(p, vrs_decomposition=True, **kw)
    t = r.table
    np.testing.assert_allclose(t.malmquist, t.effch * t.techch, rtol=1e-12)
    np.testing.assert_allclose(t.effch, t.pech * t.sech, rtol=1e-12)
    own = dea(p, region="region", year="year", **kw).scores
    first = t[t.year_from == 2010].set_index("region")
    np.testing.assert_allclose(first.d_t_t, own.xs(2010, level="year")[first.index],
                               atol=1e-9)
    bcc = dea(p, region="region", year="year", model="bcc", orientation="output",
              **kw).scores
    np.testing.assert_allclose(first.pech, bcc.xs(2011, level="year")[first.index]
                               / bcc.xs(2010, level="year")[first.index], atol=1e-9)
    inp = malmquist(p, orientation="input", **kw).table
    np.testing.assert_allclose(inp.malmquist, t.malmquist, rtol=1e-9)
    cum = r.cumulative().set_index(["region", "year"])
    u0 = t[t.region == "u0"].malmquist.prod()
    assert cum.loc[("u0", 2012), "malmquist"] == pytest.approx(u0)


def test_scaling_next_year_outputs_is_pure_technical_change():
    p = random_panel(3, years=1)
    q = p.assign(year=2011, y1=p.y1 * 1.3, y2=p.y2 * 1.3)
    t = malmquist(pd.concat([p, q]), inputs=["x1", "x2"], outputs=["y1", "y2"]).table
    np.testing.assert_allclose(t.effch, 1.0, atol=1e-9)
    np.testing.assert_allclose(t.techch, 1.3, atol=1e-9)
    np.testing.assert_allclose(t.malmquist, 1.3, atol=1e-9)


def test_malmquist_errors():
    with pytest.raises(SchemaError, match="at least two years"):
        malmquist(hand_panel().query("year == 1"), inputs="x", outputs="y")
    with pytest.raises(SchemaError, match="two rows for year"):
        malmquist(pd.concat([hand_panel(), hand_panel().iloc[:1]]), inputs="x", outputs="y")
    with pytest.raises(SchemaError, match="`orientation` must be one of"):
        malmquist(hand_panel(), inputs="x", outputs="y", orientation="none")


# ------------------------------------------------------------------ TFP

def test_perpetual_inventory_by_hand():
    # g = (12.1 / 10) ** (1/2) - 1 = 0.1; K0 = 10 / (0.1 + 0.1) = 50
    k = perpetual_inventory([10.0, 11.0, 12.1], depreciation=0.1)
    np.testing.assert_allclose(k, [50.0, 0.9 * 50 + 11, 0.9 * 56 + 12.1])
    k = perpetual_inventory([10.0, 11.0], depreciation=0.05, initial=100.0)
    np.testing.assert_allclose(k, [100.0, 106.0])
    with pytest.raises(SchemaError, match="depreciation"):
        perpetual_inventory([1.0, 2.0], depreciation=1.5)
    with pytest.raises(SchemaError, match="complete"):
        perpetual_inventory([1.0, np.nan], depreciation=0.1)


def test_solow_residual_recovers_cobb_douglas_productivity():
    g = np.random.default_rng(1)
    rows = []
    for r in ("210000", "220000"):
        lnA = np.cumsum(g.normal(0.02, 0.01, 6))
        for t in range(6):
            K, L = g.uniform(100, 200), g.uniform(10, 20)
            alpha = 0.35 + 0.01 * t
            rows.append({"region": r, "year": 2000 + t, "K": K, "L": L, "alpha": alpha,
                         "lnA": lnA[t],
                         "Y": np.exp(lnA[t]) * K ** alpha * L ** (1 - alpha)})
    f = pd.DataFrame(rows)
    res = tfp(f, output="Y", labour="L", capital="K", capital_share="alpha")
    t = res.table
    np.testing.assert_allclose(t.ln_tfp, f.lnA, atol=1e-12)
    # log-difference growth accounting adds up exactly
    ok = t.output_growth.notna()
    np.testing.assert_allclose(
        t.output_growth[ok],
        (t.capital_contribution + t.labour_contribution + t.tfp_growth)[ok], atol=1e-14)
    assert t.tfp_growth.isna().sum() == 2   # first year of each region
    # with a constant share the residual growth is exactly the change in ln A
    res = tfp(f.assign(alpha=0.4, Y=np.exp(f.lnA) * f.K ** 0.4 * f.L ** 0.6), output="Y",
              labour="L", capital="K", capital_share=0.4)
    diff = f.groupby("region").lnA.diff()
    np.testing.assert_allclose(res.table.tfp_growth[ok], diff[ok], atol=1e-12)


def test_tfp_from_investment_builds_capital_per_region():
    f = pd.DataFrame({"region": ["a"] * 3 + ["b"] * 3, "year": [1, 2, 3] * 2,
                      "Y": [10.0, 11, 12, 20, 21, 23], "L": [5.0] * 6,
                      "I": [10.0, 11.0, 12.1, 20.0, 22.0, 24.2]})
    res = tfp(f, output="Y", labour="L", investment="I", depreciation=0.1,
              capital_share=0.3)
    np.testing.assert_allclose(res.table.capital[:3], [50.0, 56.0, 62.5])
    np.testing.assert_allclose(res.table.capital[3:], [100.0, 112.0, 125.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"capital": "K", "investment": "I"}, "exactly one of"),
    ({"investment": "I"}, "depreciation"),
    ({"capital": "K", "capital_share": 1.2}, r"in \(0, 1\)"),
])
def test_tfp_errors(kwargs, message):
    f = pd.DataFrame({"region": ["a", "a"], "year": [1, 2], "Y": [1.0, 2.0],
                      "L": [1.0, 1.0], "K": [1.0, 1.0], "I": [1.0, 1.0]})
    kw = {"capital_share": 0.3, **kwargs}
    with pytest.raises(SchemaError, match=message):
        tfp(f, output="Y", labour="L", **kw)


def test_tfp_refuses_missing_values():
    f = pd.DataFrame({"region": ["a", "a"], "year": [1, 2], "Y": [1.0, np.nan],
                      "L": [1.0, 1.0], "K": [1.0, 1.0]})
    with pytest.raises(SchemaError, match="never filled"):
        tfp(f, output="Y", labour="L", capital="K", capital_share=0.3)


def test_malmquist_matches_peer_dea_jl():
    from pathlib import Path

    ref = pd.read_csv(Path(__file__).parents[1] / "reference" / "malmquist"
                      / "peer_dea_jl_malmquist.csv")
    t = malmquist(ref, inputs="x", outputs="y", region="firm", year="period").table
    got = t.set_index(["region", "year"]).sort_index()
    exp = ref.dropna().set_index(["firm", "period"]).sort_index()
    for col in ("malmquist", "effch", "techch"):
        np.testing.assert_allclose(got[col].to_numpy(), exp[col].to_numpy(), atol=1e-7)
