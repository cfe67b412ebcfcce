"""Shift-share, growth rates, specialisation changes, LQ quadrants and convergence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures import (
    ConvergenceResult,
    ShiftShareResult,
    convergence,
    growth_rates,
    lq_growth_quadrants,
    shift_share,
    specialisation_changes,
)

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
DATA_DIR = Path(
    os.environ.get(
        "AGGLOMERA_DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"
    )
)
METHODS = ("classic", "esteban_marquillas", "arcelus", "dynamic")

# Farhauer & Kröll (2013) example inputs as given in the REAT documentation of shift():
# regions A, B, C; the "nation" X is exactly their sum.
FK_T0 = [[90, 20, 10, 60], [60, 30, 30, 40], [250, 100, 110, 300]]
FK_T1 = [[100, 40, 10, 55], [85, 55, 40, 35], [255, 115, 85, 390]]


def _long(cube: np.ndarray, years, regions, industries, name="emp") -> pd.DataFrame:
    rows = [
        (y, r, i, float(cube[t, a, b]))
        for t, y in enumerate(years)
        for a, r in enumerate(regions)
        for b, i in enumerate(industries)
    ]
    return pd.DataFrame(rows, columns=["year", "region", "industry", name])


def _lq(m: np.ndarray) -> np.ndarray:
    return (m / m.sum(axis=1, keepdims=True)) / (m.sum(axis=0) / m.sum())


panels = hnp.arrays(
    np.float64,
    st.tuples(st.integers(2, 4), st.integers(2, 5), st.integers(2, 5)),
    elements=st.floats(0.0, 1e5, allow_nan=False).map(lambda v: float(round(v, 2))),
).map(lambda a: a + 1.0)


# ---- shift-share: hand example and published table -------------------------------------
def test_shift_share_hand_example_farhauer_kroell_inputs():
    # Region A by hand: G = 1265/1100 - 1 = 0.15; NS = 180 * 0.15 = 27;
    # G_i - G = (-0.05, 0.25, -0.25, 0.05): IM = -4.5 + 5 - 2.5 + 3 = 1;
    # RS = (100-99) + (40-28) + (10-9) + (55-72) = -3; change = 205 - 180 = 25.
    res = shift_share(np.array([FK_T0, FK_T1], dtype=float))
    assert isinstance(res, ShiftShareResult)
    assert res.reference_growth == pytest.approx(0.15)
    a = res.totals.loc[0]
    assert (a.national_share, a.industry_mix, a.regional_shift, a.change) == (
        pytest.approx(27),
        pytest.approx(1),
        pytest.approx(-3),
        pytest.approx(25),
    )
    # region B: NS 24, IM -3 + 7.5 - 7.5 + 2 = -1, change 55, RS 32
    np.testing.assert_allclose(
        res.totals.loc[1, ["national_share", "industry_mix", "regional_shift"]],
        [24, -1, 32],
    )
    # with the reference the sum of all regions, IM and RS cancel over regions
    assert res.totals.industry_mix.sum() == pytest.approx(0, abs=1e-9)
    assert res.totals.regional_shift.sum() == pytest.approx(0, abs=1e-9)


def test_shift_share_matches_krumme_holukuluku():
    ref = pd.read_csv(REFERENCE / "shift_share" / "krumme_holukuluku.csv")
    ind = ref[ref.industry != "Total"]
    total = ref[ref.industry == "Total"].iloc[0]
    # national levels with the published 1985 shares and growth rates (any scale)
    nat0 = ind.national_share_1985_pct.to_numpy(float) * 100.0
    nat1 = nat0 * (1 + ind.national_change_pct.to_numpy(float) / 100.0)
    reg = ["Holukuluku", "Nation"]
    cube = np.array(
        [
            [ind.regional_1985.to_numpy(float), nat0],
            [ind.regional_1995.to_numpy(float), nat1],
        ]
    )
    long = _long(cube, [1985, 1995], reg, ind.industry.tolist())
    res = shift_share(
        long,
        region="region",
        industry="industry",
        value="emp",
        year="year",
        reference="Nation",
    )
    assert res.reference_growth == pytest.approx(total.national_change_pct / 100)
    cells = res.cells.loc["Holukuluku"]
    np.testing.assert_allclose(
        cells.national_share,
        ind.expected_at_national_rate - ind.regional_1985,
        atol=1e-9,
    )
    np.testing.assert_allclose(cells.industry_mix, ind.composition_effect, atol=1e-9)
    np.testing.assert_allclose(cells.regional_shift, ind.differential_effect, atol=1e-9)
    np.testing.assert_allclose(
        cells.industry_mix + cells.regional_shift, ind.total_shift, atol=1e-9
    )
    tot = res.totals.loc["Holukuluku"]
    assert tot.national_share == pytest.approx(290)
    assert tot.industry_mix == pytest.approx(total.composition_effect)
    assert tot.regional_shift == pytest.approx(total.differential_effect)
    assert tot.change == pytest.approx(630)
    assert list(res.totals.index) == ["Holukuluku"]


# ---- identities (Hypothesis) -------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(cube=panels, method=st.sampled_from(METHODS), use_reference=st.booleans())
def test_components_add_up_to_the_observed_change(cube, method, use_reference):
    reference = 0 if use_reference and cube.shape[1] > 2 else None
    res = shift_share(cube, method=method, reference=reference)
    comp = res.cells[list(res.components)].sum(axis=1)
    np.testing.assert_allclose(comp, res.cells.change, rtol=1e-9, atol=1e-6)
    tot = res.totals[list(res.components)].sum(axis=1)
    np.testing.assert_allclose(tot, res.totals.change, rtol=1e-9, atol=1e-6)
    keep = [r for r in range(cube.shape[1]) if r != reference]
    np.testing.assert_allclose(
        res.totals.change, (cube[-1] - cube[0])[keep].sum(axis=1), rtol=1e-12, atol=1e-6
    )


@settings(max_examples=40, deadline=None)
@given(cube=panels)
def test_refinements_split_the_classic_regional_shift(cube):
    classic = shift_share(cube)
    em = shift_share(cube, method="esteban_marquillas")
    ar = shift_share(cube, method="arcelus")
    np.testing.assert_allclose(
        em.cells.competitive_effect + em.cells.allocation_effect,
        classic.cells.regional_shift,
        rtol=1e-9,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ar.cells.regional_growth + ar.cells.regional_industry_mix,
        em.cells.competitive_effect,
        rtol=1e-9,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ar.cells.regional_growth_allocation + ar.cells.regional_industry_mix_allocation,
        em.cells.allocation_effect,
        rtol=1e-9,
        atol=1e-6,
    )
    for res in (em, ar):
        np.testing.assert_allclose(
            res.cells.national_share, classic.cells.national_share
        )
        np.testing.assert_allclose(res.cells.industry_mix, classic.cells.industry_mix)


@settings(max_examples=30, deadline=None)
@given(cube=panels)
def test_dynamic_is_the_sum_of_annual_classic_decompositions(cube):
    dyn = shift_share(cube, method="dynamic")
    parts = [shift_share(cube[t : t + 2]) for t in range(cube.shape[0] - 1)]
    for comp in ("national_share", "industry_mix", "regional_shift"):
        np.testing.assert_allclose(
            dyn.cells[comp], sum(p.cells[comp] for p in parts), rtol=1e-9, atol=1e-6
        )
    two = shift_share(cube[[0, -1]], method="dynamic")
    np.testing.assert_allclose(
        two.cells.to_numpy(), shift_share(cube[[0, -1]]).cells.to_numpy(), atol=1e-9
    )


def test_esteban_marquillas_homothetic_by_hand():
    # region 0: x0 = (30, 10), nation (sum) x0 = (40, 60): homothetic = 40 * (0.4, 0.6)
    # = (16, 24); g_ri = (0.5, 0), G_i = (20/40 - 1... computed below)
    x0 = np.array([[30.0, 10.0], [10.0, 50.0]])
    x1 = np.array([[45.0, 10.0], [10.0, 65.0]])
    res = shift_share(np.array([x0, x1]), method="esteban_marquillas")
    gi = x1.sum(0) / x0.sum(0) - 1  # (55/40 - 1, 75/60 - 1) = (0.375, 0.25)
    gap = np.array([0.5 - gi[0], 0.0 - gi[1]])
    np.testing.assert_allclose(res.cells.loc[0].competitive_effect, [16, 24] * gap)
    np.testing.assert_allclose(res.cells.loc[0].allocation_effect, [14, -14] * gap)


def test_cells_growing_from_zero_warn_and_zero_cells_split_to_zero():
    x0 = np.array([[10.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    x1 = np.array([[12.0, 3.0, 0.0], [5.0, 6.0, 7.0]])
    with pytest.warns(MissingValueWarning, match="1 region x industry cell"):
        res = shift_share(np.array([x0, x1]), method="arcelus")
    cell = res.cells.loc[(0, 1)]
    assert np.isnan(cell.regional_industry_mix)
    assert cell.national_share == 0 and cell.industry_mix == 0
    zero = res.cells.loc[(0, 2)]
    assert zero.regional_growth + zero.regional_industry_mix == pytest.approx(0)
    classic = shift_share(np.array([x0, x1]))
    assert classic.cells.loc[(0, 1)].regional_shift == pytest.approx(3.0)


def test_reference_row_is_excluded_and_years_selected():
    rng = np.random.default_rng(0)
    cube = rng.gamma(2.0, 10.0, (4, 3, 5))
    nation = cube.sum(axis=1, keepdims=True) * 1.7
    full = np.concatenate([nation, cube], axis=1)
    regions = ["100000", "210000", "220000", "230000"]
    long = _long(full, [2015, 2016, 2017, 2018], regions, list("ABCDE"))
    res = shift_share(
        long,
        region="region",
        industry="industry",
        value="emp",
        year="year",
        reference="100000",
        start=2016,
        end=2018,
    )
    assert list(res.totals.index) == regions[1:]
    assert (res.start, res.end, res.reference) == (2016, 2018, "100000")
    # scaling the reference row does not change growth rates: same as the plain sum
    plain = shift_share(cube[1:])
    np.testing.assert_allclose(res.cells.to_numpy(), plain.cells.to_numpy(), atol=1e-9)
    f = res.to_frame()
    assert list(f.columns[:2]) == ["region", "industry"]
    assert {"national_share", "industry_mix", "regional_shift", "change"} <= set(
        f.columns
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"method": "gerfin"},
            (
                "`method` must be one of 'classic', 'esteban_marquillas', "
                "'arcelus', 'dynamic'; got 'gerfin'"
            ),
        ),
        ({"reference": 9}, "region 9 is not in the data"),
        ({"start": 2}, "`start` \\(2\\) must come before `end` \\(2\\)"),
        ({"start": 1999}, "`start` year 1999 is not in the data"),
    ],
)
def test_shift_share_bad_options(kwargs, message):
    cube = np.ones((2, 3, 2))
    with pytest.raises(SchemaError, match=message):
        shift_share(np.concatenate([cube, cube[:1]]), **kwargs)


def test_shift_share_needs_two_years():
    with pytest.raises(SchemaError, match="at least two years"):
        shift_share(np.ones((3, 2)))
    with pytest.raises(SchemaError, match="at least two years"):
        shift_share(pd.DataFrame(np.ones((3, 2))))


def test_shift_share_on_reat_german_laender_employment():
    path = DATA_DIR / "reference" / "reat_germany_laender_employment_2008_2014.csv"
    if not path.exists():
        pytest.skip(f"REAT reference data not found at {path}; set AGGLOMERA_DATA_DIR")
    d = pd.read_csv(path)
    d = d[~d.industry.str.contains("Insgesamt|ohne Baugewerbe")]
    res = shift_share(
        d,
        region="region",
        industry="industry",
        value="emp",
        year="year",
        reference="Insgesamt",
        method="dynamic",
        missing="zero",
    )
    assert "Insgesamt" not in res.totals.index and len(res.totals) == 16
    np.testing.assert_allclose(
        res.totals[list(res.components)].sum(axis=1), res.totals.change, rtol=1e-9
    )
    classic = shift_share(
        d,
        region="region",
        industry="industry",
        value="emp",
        year="year",
        reference="Insgesamt",
        missing="zero",
    )
    np.testing.assert_allclose(classic.totals.change, res.totals.change)
    # the national share of the classic method is x_r0 * G
    g = classic.reference_growth
    start = d[(d.year == 2008) & (d.region != "Insgesamt")].groupby("region").emp.sum()
    np.testing.assert_allclose(
        classic.totals.national_share, start.loc[classic.totals.index] * g, rtol=1e-12
    )


# ---- growth rates ------------------------------------------------------------------------
def test_growth_rates_hand_example_all_kinds():
    x = np.array(
        [
            [[100.0, 50.0], [10.0, 0.0]],
            [[110.0, 50.0], [20.0, 5.0]],
            [[121.0, 40.0], [40.0, 5.0]],
        ]
    )
    np.testing.assert_allclose(growth_rates(x), [[0.21, -0.2], [3.0, np.nan]])
    np.testing.assert_allclose(
        growth_rates(x, kind="cagr"), [[0.1, np.sqrt(0.8) - 1], [1.0, np.nan]]
    )
    np.testing.assert_allclose(
        growth_rates(x, kind="annual"),
        [[[0.1, 0.0], [1.0, np.nan]], [[0.1, -0.2], [1.0, 0.0]]],
    )
    np.testing.assert_allclose(
        growth_rates(x, by="region"), [161 / 150 - 1, 45 / 10 - 1]
    )
    np.testing.assert_allclose(growth_rates(x, by="industry"), [161 / 110 - 1, -0.1])
    assert growth_rates(x, by="total") == pytest.approx(206 / 160 - 1)
    assert growth_rates(x, start=1, end=2, by="total") == pytest.approx(206 / 185 - 1)


def test_growth_rates_long_frame_outputs():
    cube = np.array([[[100.0, 50.0]], [[110.0, 60.0]], [[121.0, 66.0]]])
    long = _long(cube, [2000, 2001, 2002], ["LN"], ["C", "D"])
    kw = {"region": "region", "industry": "industry", "value": "emp", "year": "year"}
    cells = growth_rates(long, **kw, kind="cagr")
    assert list(cells.columns) == ["region", "industry", "growth"]
    np.testing.assert_allclose(cells.growth, [0.1, np.sqrt(66 / 50) - 1])
    annual = growth_rates(long, **kw, kind="annual")
    assert list(annual.columns) == ["year", "region", "industry", "growth"]
    assert annual.year.tolist() == [2001, 2001, 2002, 2002]
    by_region = growth_rates(long, **kw, by="region", kind="annual")
    assert by_region.index.names == ["year", "region"]
    np.testing.assert_allclose(by_region, [170 / 150 - 1, 187 / 170 - 1])
    total = growth_rates(long, **kw, by="total", kind="annual")
    assert list(total.index) == [2001, 2002]
    str_years = long.assign(year="y" + long.year.astype(str))
    with pytest.raises(SchemaError, match="numeric year labels"):
        growth_rates(str_years, **kw, kind="cagr")
    with pytest.raises(
        SchemaError, match="`kind` must be one of 'total', 'annual', 'cagr'; got 'log'"
    ):
        growth_rates(long, **kw, kind="log")


@settings(max_examples=30, deadline=None)
@given(cube=panels)
def test_annual_rates_compound_to_the_total(cube):
    annual = growth_rates(cube, kind="annual")
    np.testing.assert_allclose(
        np.prod(1 + annual, axis=0) - 1, growth_rates(cube), rtol=1e-9, atol=1e-9
    )


# ---- specialisation changes and quadrants --------------------------------------------------
def test_specialisation_changes_threshold_inclusive_or_not():
    x = np.array([[[10.0, 10.0], [10.0, 10.0]], [[15.0, 5.0], [10.0, 10.0]]])
    inc = specialisation_changes(x)  # start: every LQ is exactly 1 -> specialised
    assert inc[["region", "industry", "status"]].values.tolist() == [
        [0, 1, "exit"],
        [1, 0, "exit"],
    ]
    exc = specialisation_changes(x, inclusive=False)  # start: none specialised
    assert exc[["region", "industry", "status"]].values.tolist() == [
        [0, 0, "entry"],
        [1, 1, "entry"],
    ]
    np.testing.assert_allclose(exc.lq_end, [1.2, 4 / 3])
    assert specialisation_changes(x, threshold=1.25).status.tolist() == ["entry"]
    with pytest.raises(SchemaError, match="`threshold` must be a positive number"):
        specialisation_changes(x, threshold=0)


@settings(max_examples=40, deadline=None)
@given(cube=panels, threshold=st.floats(0.5, 2.0), inclusive=st.booleans())
def test_specialisation_changes_consistent_with_lq(cube, threshold, inclusive):
    f = specialisation_changes(cube, threshold=threshold, inclusive=inclusive)
    lq0, lq1 = _lq(cube[0]), _lq(cube[-1])
    spec = (lambda v: v >= threshold) if inclusive else (lambda v: v > threshold)
    expected = {
        (r, i)
        for r in range(cube.shape[1])
        for i in range(cube.shape[2])
        if spec(lq0[r, i]) != spec(lq1[r, i])
    }
    # cells within rounding of the threshold may flip; compare the clear ones
    clear = {
        (r, i)
        for (r, i) in expected
        if min(abs(lq0[r, i] - threshold), abs(lq1[r, i] - threshold)) > 1e-9
    }
    got = {(r, i): s for r, i, _, _, s in f.itertuples(index=False)}
    assert clear <= set(got)
    for (r, i), status in got.items():
        if (r, i) in clear:
            assert status == ("entry" if spec(lq1[r, i]) else "exit")


def test_lq_growth_quadrants_hand_example_long_frame():
    cube = np.array([[[10.0, 10.0], [10.0, 10.0]], [[15.0, 5.0], [10.0, 10.0]]])
    long = _long(cube, [2010, 2020], ["SY", "DL"], ["equipment", "chemicals"])
    q = lq_growth_quadrants(
        long, region="region", industry="industry", value="emp", year="year"
    )
    assert q.quadrant.astype(str).tolist() == [
        "star",
        "transforming",
        "transforming",
        "star",
    ]
    np.testing.assert_allclose(q.lq_change, [0.2, -1 / 3, -0.2, 1 / 3])
    # threshold 0.7: DL chemicals... LQ end 0.8 >= 0.7 and falling -> mature
    q2 = lq_growth_quadrants(cube, threshold=0.7)
    assert q2.quadrant.astype(str).tolist() == [
        "star",
        "transforming",
        "mature",
        "star",
    ]


@settings(max_examples=40, deadline=None)
@given(cube=panels)
def test_quadrant_labels_consistent_with_lq_inputs(cube):
    q = lq_growth_quadrants(cube)
    lq0, lq1 = _lq(cube[0]).reshape(-1), _lq(cube[-1]).reshape(-1)
    np.testing.assert_allclose(q.lq_end, lq1, rtol=1e-9)
    np.testing.assert_allclose(q.lq_start, lq0, rtol=1e-9)
    for label, end, change in zip(
        q.quadrant.astype(str), q.lq_end, q.lq_change, strict=True
    ):
        assert (end >= 1) == (label in ("star", "mature"))
        assert (change > 0) == (label in ("star", "emerging"))


def test_quadrant_missing_where_lq_undefined():
    cube = np.array([[[1.0, 0.0], [1.0, 0.0]], [[2.0, 0.0], [1.0, 0.0]]])
    q = lq_growth_quadrants(cube)
    assert q.quadrant.isna().tolist() == [False, True, False, True]


# ---- convergence ---------------------------------------------------------------------------
def _gdp(seed=0, n=40, years=(2000, 2005, 2010)):
    rng = np.random.default_rng(seed)
    y0 = rng.lognormal(10, 0.5, n)
    cols = {years[0]: y0}
    prev = y0
    for y in years[1:]:
        prev = prev * np.exp(0.3 - 0.025 * np.log(prev) + rng.normal(0, 0.05, n))
        cols[y] = prev
    return pd.DataFrame(cols, index=[f"r{k}" for k in range(n)])


def test_convergence_matches_scipy_linregress_and_polyfit():
    v = _gdp()
    res = convergence(v)
    assert isinstance(res, ConvergenceResult)
    x = np.log(v[2000].to_numpy())
    y = (np.log(v[2010].to_numpy()) - x) / 10
    lr = stats.linregress(x, y)
    assert res.beta == pytest.approx(lr.slope, rel=1e-10)
    assert res.alpha == pytest.approx(lr.intercept, rel=1e-10)
    assert res.beta_se == pytest.approx(lr.stderr, rel=1e-8)
    assert res.beta_pvalue == pytest.approx(lr.pvalue, rel=1e-6)
    assert res.r2 == pytest.approx(lr.rvalue**2, rel=1e-10)
    assert res.beta == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-10)
    assert res.beta < 0 and res.n == 40 and res.periods == 10
    assert res.speed == pytest.approx(-np.log(1 + res.beta * 10) / 10)
    assert res.half_life == pytest.approx(np.log(2) / res.speed)
    sig = [np.std(np.log(v[c])) for c in v.columns]
    np.testing.assert_allclose(res.sigma, sig)
    trend = stats.linregress([2000, 2005, 2010], sig)
    assert res.sigma_trend == pytest.approx(trend.slope)
    assert res.sigma_trend_pvalue == pytest.approx(trend.pvalue)
    row = res.to_frame()
    assert row.shape[0] == 1 and {"beta", "beta_se", "speed", "half_life"} <= set(row)


def test_convergence_conditional_matches_numpy_lstsq():
    v = _gdp(1)
    rng = np.random.default_rng(9)
    z = pd.DataFrame(
        {"coastal": rng.integers(0, 2, 40), "edu": rng.normal(size=40)},
        index=v.index[::-1],
    )  # aligned by label, not position
    res = convergence(v, conditional=z, start=2000, end=2005)
    x = np.log(v[2000].to_numpy())
    y = (np.log(v[2005].to_numpy()) - x) / 5
    zz = z.loc[v.index]
    design = np.column_stack([np.ones(40), x, zz.coastal, zz.edu])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    assert res.beta == pytest.approx(coef[1], rel=1e-9)
    np.testing.assert_allclose(
        res.conditional_coefficients.estimate, coef[2:], rtol=1e-9
    )
    assert list(res.conditional_coefficients.index) == ["coastal", "edu"]
    assert np.isnan(res.sigma_trend_pvalue)  # two years only


def test_convergence_long_and_wide_agree_and_missing_policy():
    v = _gdp(2, n=12)
    long = v.rename_axis(index="city", columns="yr").stack().rename("gdp").reset_index()
    a = convergence(v)
    b = convergence(long, region="city", year="yr", value="gdp")
    assert a.beta == pytest.approx(b.beta) and a.sigma_trend == pytest.approx(
        b.sigma_trend
    )
    arr = convergence(v.to_numpy())
    assert arr.periods == 2  # array years are numbered 0, 1, 2
    assert arr.beta == pytest.approx(a.beta * 10 / 2)  # same growth over 2 "years"
    v2 = v.copy()
    v2.iloc[0, 0] = np.nan
    v2.iloc[1, 2] = 0.0
    with pytest.warns(MissingValueWarning, match="2 region"):
        res = convergence(v2)
    assert res.n == 10
    with pytest.raises(SchemaError, match="2 region"):
        convergence(v2, missing="raise")
    assert convergence(v2, missing="drop").beta == pytest.approx(res.beta)
    with pytest.raises(
        SchemaError,
        match="`missing` must be one of 'warn', 'raise', 'drop'; got 'zero'",
    ):
        convergence(v, missing="zero")


def test_convergence_speed_and_half_life_by_hand():
    v = pd.DataFrame({2000: [1.0, 1.0, 4.0, 4.0], 2010: [2.0, 2.0, 6.0, 6.0]})
    res = convergence(v)
    beta = (np.log(1.5) - np.log(2)) / 10 / np.log(4)
    assert res.beta == pytest.approx(beta)
    assert res.speed == pytest.approx(-np.log(1 + 10 * beta) / 10)
    diverging = convergence(pd.DataFrame({0: [1.0, 2.0, 4.0], 5: [1.0, 3.0, 9.0]}))
    assert diverging.beta > 0 and np.isnan(diverging.half_life)


def test_convergence_bad_input():
    with pytest.raises(SchemaError, match="numeric year labels"):
        convergence(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.0, 4.0]}))
    with pytest.raises(SchemaError, match="at least two years"):
        convergence(pd.DataFrame({2000: [1.0, 2.0, 3.0]}))
    with pytest.raises(SchemaError, match="more regions than coefficients"):
        convergence(pd.DataFrame({2000: [1.0, 2.0], 2010: [2.0, 3.0]}))
    with pytest.raises(SchemaError, match="one row per region"):
        convergence(_gdp(), conditional=np.ones((3, 1)))
    with pytest.raises(SchemaError, match="2-D"):
        convergence(np.ones(5))
