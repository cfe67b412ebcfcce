"""DEA: published examples, an independent multiplier-form LP, SBM theorems, properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from agglomera.errors import SchemaError
from agglomera.evaluate import dea

REF = Path(__file__).parents[1] / "reference" / "dea"


def multiplier_scores(X: np.ndarray, Y: np.ndarray, *, vrs: bool, orientation: str) -> np.ndarray:
    """Multiplier (dual) form over all units, written independently of the library.

    Input CCR/BCC: max u'y_o - u0 s.t. v'x_o = 1, u'y_j - v'x_j - u0 <= 0, u, v >= 0
    (u0 = 0 under CRS, free under VRS). Output: min v'x_o + v0 s.t. u'y_o = 1,
    u'y_j - v'x_j - v0 <= 0; efficiency 1 / optimum.
    """
    n, m = X.shape
    s = Y.shape[1]
    out = np.empty(n)
    for o in range(n):
        if orientation == "input":
            c = np.concatenate([np.zeros(m), -Y[o], [1.0]])       # v, u, u0 (min -u'y + u0)
            a_ub = np.hstack([-X, Y, -np.ones((n, 1))])
            a_eq = np.concatenate([X[o], np.zeros(s), [0.0]])[None, :]
            bounds = [(0, None)] * (m + s) + [((None, None) if vrs else (0, 0))]
            r = linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1.0],
                        bounds=bounds, method="highs")
            out[o] = -r.fun
        else:
            c = np.concatenate([X[o], np.zeros(s), [1.0]])        # v, u, v0
            a_ub = np.hstack([-X, Y, -np.ones((n, 1))])
            a_eq = np.concatenate([np.zeros(m), Y[o], [0.0]])[None, :]
            bounds = [(0, None)] * (m + s) + [((None, None) if vrs else (0, 0))]
            r = linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1.0],
                        bounds=bounds, method="highs")
            out[o] = 1.0 / r.fun
    return out


def sbm_full_lp(X: np.ndarray, Y: np.ndarray, *, vrs: bool = False) -> np.ndarray:
    """Tone (2001) eq. 9 over all units in one LP per unit (no column generation)."""
    n, m = X.shape
    s = Y.shape[1]
    out = np.empty(n)
    for o in range(n):
        # variables: t, S- (m), S+ (s), Lambda (n)
        c = np.concatenate([[1.0], -1.0 / (m * X[o]), np.zeros(s), np.zeros(n)])
        rows = [np.concatenate([[1.0], np.zeros(m), 1.0 / (s * Y[o]), np.zeros(n)])]
        b = [1.0]
        for i in range(m):
            e = np.zeros(m)
            e[i] = 1.0
            rows.append(np.concatenate([[-X[o, i]], e, np.zeros(s), X[:, i]]))
            b.append(0.0)
        for r_ in range(s):
            e = np.zeros(s)
            e[r_] = -1.0
            rows.append(np.concatenate([[-Y[o, r_]], np.zeros(m), e, Y[:, r_]]))
            b.append(0.0)
        if vrs:
            rows.append(np.concatenate([[-1.0], np.zeros(m + s), np.ones(n)]))
            b.append(0.0)
        res = linprog(c, A_eq=np.array(rows), b_eq=b, bounds=[(0, None)] * c.size,
                      method="highs")
        out[o] = res.fun
    return out


def random_data(seed: int, n: int = 40, m: int = 2, s: int = 2):
    g = np.random.default_rng(seed)
    X = g.uniform(1, 10, (n, m))
    Y = (X ** 0.4).prod(axis=1, keepdims=True) * g.uniform(0.3, 1.0, (n, s))
    f = pd.DataFrame(np.hstack([X, Y]), columns=[f"x{i}" for i in range(m)]
                     + [f"y{r}" for r in range(s)])
    return f, X, Y


def test_dea_matches_coelli_2005_table_6():
    ref = pd.read_csv(REF / "coelli2005_table6.csv", index_col="firm")
    got = dea(ref, inputs=["x1", "x2"], outputs="q", model="ccr", orientation="input")
    assert np.abs(got.scores.to_numpy() - ref["crs_te"].to_numpy()).max() < 5e-4
    # under CRS the output orientation gives the same scores
    out = dea(ref, inputs=["x1", "x2"], outputs="q", model="ccr", orientation="output")
    np.testing.assert_allclose(out.scores, got.scores, atol=1e-9)


def test_dea_matches_cooper_seiford_tone_2007_hospitals():
    ref = pd.read_csv(REF / "cst2007_hospitals.csv", index_col="hospital")
    got = dea(ref, inputs=["doctors", "nurses"], outputs=["outpatients", "inpatients"])
    assert np.abs(got.scores.to_numpy() - ref["ccr_input"].to_numpy()).max() < 5e-4
    assert list(got.to_frame().query("efficient").region) == ["A", "B", "D"]


@pytest.mark.parametrize("vrs, model", [(False, "ccr"), (True, "bcc")])
@pytest.mark.parametrize("orientation", ["input", "output"])
def test_envelopment_equals_multiplier_form(vrs, model, orientation):
    f, X, Y = random_data(3)
    got = dea(f, inputs=["x0", "x1"], outputs=["y0", "y1"], model=model,
              orientation=orientation).scores.to_numpy()
    np.testing.assert_allclose(got, multiplier_scores(X, Y, vrs=vrs,
                                                      orientation=orientation), atol=1e-7)


def test_column_generation_on_many_units_equals_multiplier_form():
    # enough units that the active set is much smaller than the reference set
    f, X, Y = random_data(11, n=300, m=3, s=2)
    got = dea(f, inputs=["x0", "x1", "x2"], outputs=["y0", "y1"])
    np.testing.assert_allclose(got.scores.to_numpy(),
                               multiplier_scores(X, Y, vrs=False, orientation="input"),
                               atol=1e-7)
    assert got.lp_count < 3 * len(f)


def test_sbm_hand_case_one_input_one_output():
    # one input, one output, CRS: SBM = CCR = (y/x) / max(y/x)
    f = pd.DataFrame({"x": [2.0, 4.0, 5.0], "y": [2.0, 2.0, 4.0]}, index=list("abc"))
    got = dea(f, inputs="x", outputs="y", model="sbm", orientation="none").scores
    np.testing.assert_allclose(got, [1.0, 0.5, 0.8], atol=1e-9)


@pytest.mark.parametrize("vrs", [False, True])
def test_sbm_equals_single_lp_and_tone_theorem(vrs):
    f, X, Y = random_data(5, n=30)
    got = dea(f, inputs=["x0", "x1"], outputs=["y0", "y1"], model="sbm",
              orientation="none", rts="vrs" if vrs else "crs").scores.to_numpy()
    np.testing.assert_allclose(got, sbm_full_lp(X, Y, vrs=vrs), atol=1e-7)
    radial = dea(f, inputs=["x0", "x1"], outputs=["y0", "y1"],
                 model="bcc" if vrs else "ccr").scores.to_numpy()
    assert (got <= radial + 1e-9).all()  # Tone (2001) Theorem 4: rho* <= theta*


def test_sbm_oriented_bounds_non_oriented():
    f, _, _ = random_data(8, n=25)
    kw = {"inputs": ["x0", "x1"], "outputs": ["y0", "y1"], "model": "sbm"}
    none = dea(f, orientation="none", **kw).scores
    inp = dea(f, orientation="input", **kw).scores
    out = dea(f, orientation="output", **kw).scores
    # the non-oriented measure charges both kinds of slack: it is below each oriented one
    assert (none <= inp + 1e-9).all() and (none <= out + 1e-9).all()


def test_panel_has_a_frontier_per_year():
    ref = pd.read_csv(REF / "coelli2005_table6.csv")
    panel = pd.concat([ref.assign(year=2000), ref.assign(year=2001, q=ref.q * 2)])
    got = dea(panel, inputs=["x1", "x2"], outputs="q", region="firm", year="year")
    a = got.scores.xs(2000, level="year").to_numpy()
    b = got.scores.xs(2001, level="year").to_numpy()
    np.testing.assert_allclose(a, b, atol=1e-9)  # doubling every output: same frontier
    assert set(got.peers.columns) == {"year", "region", "peer", "lambda"}


def test_peers_reconstruct_the_projection():
    ref = pd.read_csv(REF / "cst2007_hospitals.csv", index_col="hospital")
    got = dea(ref, inputs=["doctors", "nurses"], outputs=["outpatients", "inpatients"])
    e = got.peers[got.peers.region == "E"]
    lam = e.set_index("peer")["lambda"]
    proj_out = (ref.loc[lam.index, ["outpatients", "inpatients"]].mul(lam, axis=0)).sum()
    # outputs of the composite unit at least those of E (the LP constraint)
    assert (proj_out >= ref.loc["E", ["outpatients", "inpatients"]] - 1e-6).all()
    proj_in = (ref.loc[lam.index, ["doctors", "nurses"]].mul(lam, axis=0)).sum()
    theta = got.scores["E"]
    assert (proj_in <= theta * ref.loc["E", ["doctors", "nurses"]] + 1e-6).all()


def test_bootstrap_is_reproducible_and_ordered():
    f, _, _ = random_data(2, n=15)
    kw = {"inputs": ["x0", "x1"], "outputs": ["y0", "y1"], "model": "bcc", "bootstrap": 15, "seed": 4}
    a = dea(f, **kw)
    b = dea(f, **kw)
    pd.testing.assert_frame_equal(a.bootstrap, b.bootstrap)
    bt = a.bootstrap
    assert (bt["lower"] <= bt["upper"] + 1e-12).all()
    # DEA overstates efficiency (the sample frontier lies inside the true one): the
    # bias-corrected score is below the estimate on average
    assert (bt["bias_corrected"] - a.scores).mean() < 0


@pytest.mark.slow
def test_bootstrap_intervals_cover_true_efficiency():
    # known frontier y = x^0.5 (one input, one output, VRS), efficiency exp(-|N(0, .3)|)
    g = np.random.default_rng(7)
    n = 30
    x = g.uniform(1, 9, n)
    eff = np.exp(-np.abs(g.normal(0, 0.3, n)))
    f = pd.DataFrame({"x": x / eff, "y": np.sqrt(x)})   # input-inefficient units
    r = dea(f, inputs="x", outputs="y", model="bcc", bootstrap=100, seed=1, alpha=0.1)
    inside = (r.bootstrap["lower"] <= eff) & (eff <= r.bootstrap["upper"])
    assert inside.mean() >= 0.7   # 0.83 at nominal 0.90 (SW98 under-covers at n = 30)
    # the bias correction moves the scores towards the truth
    err_corrected = np.abs(r.bootstrap["bias_corrected"].to_numpy() - eff).mean()
    assert err_corrected < np.abs(r.scores.to_numpy() - eff).mean()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), col=st.integers(0, 3),
       factor=st.floats(1e-3, 1e3), model=st.sampled_from(["ccr", "bcc", "sbm"]))
def test_scores_bounded_efficient_at_one_and_units_invariant(seed, col, factor, model):
    f, _, _ = random_data(seed, n=15)
    kw = {"inputs": ["x0", "x1"], "outputs": ["y0", "y1"], "model": model,
              "orientation": "none" if model == "sbm" else "input"}
    base = dea(f, **kw).scores
    assert (base > 0).all() and (base <= 1 + 1e-9).all()
    assert np.isclose(base.max(), 1.0)
    g = f.copy()
    g.iloc[:, col] *= factor
    np.testing.assert_allclose(dea(g, **kw).scores, base, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"inputs": "x0", "outputs": "x0"}, "both an input and an output"),
    ({"inputs": "x0", "outputs": "y0", "model": "dea"}, "`model` must be one of"),
    ({"inputs": "x0", "outputs": "y0", "orientation": "none"}, "`orientation` must be one of"),
    ({"inputs": "x0", "outputs": "y0", "model": "sbm", "bootstrap": 5}, "radial models"),
    ({"inputs": "nope", "outputs": "y0"}, "not found"),
    ({"inputs": "x0", "outputs": "y0", "model": "ccr", "rts": "vrs"}, "contradicts"),
])
def test_bad_options_are_clear_errors(kwargs, message):
    f, _, _ = random_data(1, n=5)
    with pytest.raises(SchemaError, match=message):
        dea(f, **kwargs)


def test_bad_data_are_clear_errors():
    f = pd.DataFrame({"x": [1.0, -1.0], "y": [1.0, 1.0]})
    with pytest.raises(SchemaError, match="non-negative"):
        dea(f, inputs="x", outputs="y")
    f = pd.DataFrame({"x": [1.0, 0.0], "y": [1.0, 1.0]})
    with pytest.raises(SchemaError, match="positive input"):
        dea(f, inputs="x", outputs="y")
    f = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 0.0]})
    with pytest.raises(SchemaError, match="SBM model needs positive"):
        dea(f, inputs="x", outputs="y", model="sbm", orientation="none")
    f = pd.DataFrame({"x": [1.0, np.nan], "y": [1.0, 1.0]})
    with pytest.raises(SchemaError, match="missing"):
        dea(f, inputs="x", outputs="y")


@pytest.mark.parametrize("model, orientation", [
    ("ccr", "input"), ("ccr", "output"), ("bcc", "input"), ("bcc", "output"),
    ("sbm", "none"), ("sbm", "input"), ("sbm", "output")])
def test_persistent_highs_model_equals_one_linprog_per_programme(model, orientation):
    # the fast engine (one HiGHS model changed unit by unit, warm-started) against the
    # reference engine (a fresh scipy.optimize.linprog call per programme)
    f, _, _ = random_data(21, n=120, m=3, s=2)
    kw = dict(inputs=["x0", "x1", "x2"], outputs=["y0", "y1"], model=model,
              orientation=orientation)
    fast = dea(f, engine="highs", **kw).scores
    ref = dea(f, engine="linprog", **kw).scores
    np.testing.assert_allclose(fast, ref, atol=1e-9)


def test_engines_agree_on_bootstrap_and_cross_period_programmes():
    from agglomera.evaluate.dea import dea_scores

    _, X, Y = random_data(4, n=40)
    _, X2, Y2 = random_data(5, n=40)
    for orientation in ("input", "output"):
        a, _, _ = dea_scores(X2, Y2, model="ccr", orientation=orientation, Xref=X, Yref=Y,
                             self_in_reference=False, engine="highs")
        b, _, _ = dea_scores(X2, Y2, model="ccr", orientation=orientation, Xref=X, Yref=Y,
                             self_in_reference=False, engine="linprog")
        np.testing.assert_allclose(a, b, atol=1e-9)
    f, _, _ = random_data(2, n=12)
    kw = dict(inputs=["x0", "x1"], outputs=["y0", "y1"], model="bcc", bootstrap=5, seed=1)
    pd.testing.assert_frame_equal(dea(f, engine="highs", **kw).bootstrap,
                                  dea(f, engine="linprog", **kw).bootstrap, atol=1e-8)


def test_dea_matches_peer_dea_jl_radial_models():
    ref = pd.read_csv(REF / "peer_dea_jl_radial.csv", index_col="dmu")
    kw = dict(inputs=["x1", "x2"], outputs="y")
    cases = {("ccr", "input"): ref.crs_input, ("ccr", "output"): 1 / ref.crs_output_phi,
             ("bcc", "input"): ref.vrs_input, ("bcc", "output"): 1 / ref.vrs_output_phi}
    for (model, orientation), expected in cases.items():
        got = dea(ref, model=model, orientation=orientation, **kw).scores
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-8,
                                   err_msg=f"{model} {orientation}")


def test_sbm_matches_peer_dea_jl_enhanced_russell_graph():
    ref = pd.read_csv(REF / "peer_dea_jl_erg_sbm.csv", index_col="dmu")
    for rts in ("crs", "vrs"):
        got = dea(ref, inputs="x", outputs="y", model="sbm", orientation="none", rts=rts)
        np.testing.assert_allclose(got.scores.to_numpy(), ref[rts].to_numpy(), atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), unit=st.integers(0, 11),
       factor=st.floats(1.0, 3.0), model=st.sampled_from(["ccr", "bcc", "sbm"]),
       orientation=st.sampled_from(["input", "output"]))
def test_more_output_never_lowers_a_units_score(seed, unit, factor, model, orientation):
    f, _, _ = random_data(seed, n=12)
    kw = dict(inputs=["x0", "x1"], outputs=["y0", "y1"], model=model,
              orientation=orientation)
    before = dea(f, **kw).scores.iloc[unit]
    g = f.copy()
    g.loc[g.index[unit], "y0"] *= factor
    after = dea(g, **kw).scores.iloc[unit]
    assert after >= before - 1e-9


def test_radial_slacks_match_peer_dea_jl():
    ref = pd.read_csv(REF / "peer_dea_jl_radial.csv", index_col="dmu")
    sl = pd.read_csv(REF / "peer_dea_jl_radial_slacks.csv", index_col="dmu")
    for model, rts in (("ccr", "crs"), ("bcc", "vrs")):
        for orientation in ("input", "output"):
            r = dea(ref, inputs=["x1", "x2"], outputs="y", model=model,
                    orientation=orientation, slacks=True)
            pre = f"{rts}_{orientation}_"
            expected = sl[[pre + "sx1", pre + "sx2", pre + "sy"]].to_numpy()
            np.testing.assert_allclose(r.slacks.to_numpy(), expected, atol=1e-6,
                                       err_msg=f"{model} {orientation}")
            t = r.to_frame().set_index("region")
            # unit 11 has a radial score of 1 but an input slack: weakly efficient only
            assert t.loc[11, "efficient"] and not t.loc[11, "pareto_efficient"]
    with pytest.raises(SchemaError, match="radial models"):
        dea(ref, inputs=["x1", "x2"], outputs="y", model="sbm", orientation="none",
            slacks=True)


def test_unit_outside_the_reference_hull_is_nan_in_both_engines():
    # a VRS input programme with more output than any convex combination: infeasible
    from agglomera.evaluate.dea import dea_scores

    X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 1.0]])
    Y = np.array([[1.0], [2.0], [1.5]])
    for engine in ("highs", "linprog"):
        got, _, _ = dea_scores(np.array([[1.0, 1.0]]), np.array([[5.0]]), model="bcc",
                               orientation="input", rts="vrs", Xref=X, Yref=Y,
                               self_in_reference=False, engine=engine)
        assert np.isnan(got[0])
