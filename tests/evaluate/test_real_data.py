"""Evaluation on real public data: provincial high-tech industry 2010-2023 and a 2015
city cross-section (../shared/data, see its PROVENANCE.md). Skipped when absent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from .test_dea import multiplier_scores

from agglomera.config import Settings
from agglomera.evaluate import benchmark_gap, composite_index, dea, malmquist


def _file(*parts: str):
    base = Settings().resolved_data_dir()
    path = None if base is None else base.joinpath(*parts)
    if path is None or not path.exists():
        pytest.skip(f"shared data file {'/'.join(parts)} not found; set AGGLOMERA_DATA_DIR "
                    "to the shared data folder")
    return path


@pytest.fixture(scope="module")
def hitech() -> pd.DataFrame:
    """Province x year: high-tech firms, revenue and profit (亿元), R&D (亿元, intensity)."""
    raw = pd.read_csv(_file("china", "province_hitech_rd_2010_2023_long.csv"))
    pick = {("hitech_industry_operation", "企业数"): "firms",
            ("hitech_industry_operation", "主营业务收入"): "revenue",
            ("hitech_industry_operation", "利润总额"): "profit",
            ("rd_intensity", "RD经费"): "rd",
            ("rd_intensity", "RD强度"): "rd_intensity"}
    raw["var"] = [pick.get((t, i)) for t, i in zip(raw.table, raw.indicator_zh)]
    raw = raw.dropna(subset=["var"])
    wide = raw.pivot_table(index=["province", "year"], columns="var", values="value",
                           aggfunc="first").reset_index()
    wide.columns.name = None
    return wide[wide.province != "全国"].dropna()


def test_dea_on_provinces_equals_multiplier_form(hitech):
    y = hitech[hitech.year == hitech.year.max()].reset_index(drop=True)
    y = y[(y[["firms", "rd", "revenue"]] > 0).all(axis=1)]
    r = dea(y, inputs=["firms", "rd"], outputs="revenue", region="province")
    X, Y = y[["firms", "rd"]].to_numpy(float), y[["revenue"]].to_numpy(float)
    np.testing.assert_allclose(r.scores.to_numpy(), multiplier_scores(
        X, Y, vrs=False, orientation="input"), atol=1e-7)
    assert len(y) >= 25 and r.scores.max() == pytest.approx(1.0)


def test_malmquist_on_provinces_is_consistent(hitech):
    p = hitech[hitech.year.isin([2019, 2020, 2021])]
    p = p[(p[["firms", "rd", "revenue"]] > 0).all(axis=1)]
    counts = p.groupby("province").year.nunique()
    p = p[p.province.isin(counts[counts == 3].index)]
    t = malmquist(p, inputs=["firms", "rd"], outputs="revenue", region="province",
                  year="year").table
    np.testing.assert_allclose(t.malmquist, t.effch * t.techch, rtol=1e-12)
    assert np.isfinite(t.malmquist).all() and (t.malmquist > 0).all()


def test_benchmark_jilin_against_jiangsu_by_hand(hitech):
    g = benchmark_gap(hitech, region="吉林", against="江苏", indicators=["revenue"],
                      polarity={"revenue": "higher"}, region_column="province",
                      growth_years=5)
    row = g.gaps.loc["revenue"]
    t = int(row["year"])
    jl = hitech.set_index(["province", "year"]).revenue
    x, b = jl[("吉林", t)], jl[("江苏", t)]
    assert row["absolute_gap"] == pytest.approx(b - x)
    assert row["relative_gap"] == pytest.approx((b - x) / b)
    gx = (x / jl[("吉林", t - 5)]) ** (1 / 5) - 1
    gb = (b / jl[("江苏", t - 5)]) ** (1 / 5) - 1
    assert row["growth_region"] == pytest.approx(gx)
    assert row["growth_benchmark"] == pytest.approx(gb)
    expected = (np.log(b / x) / (np.log1p(gx) - np.log1p(gb)) if gx > gb else np.inf)
    assert row["years_to_close"] == pytest.approx(expected)


def test_composite_on_2015_cities_with_monte_carlo():
    f = pd.read_csv(_file("china", "city_cross_section_2015_gdp_employment_establishments.csv"))
    f = f.dropna(subset=["gdp_10k_yuan", "fiscal_revenue_10k_yuan", "estab_total_2015",
                         "employment_persons"]).drop_duplicates("city").set_index("city")
    f["gdp_per_worker"] = f.gdp_10k_yuan / f.employment_persons
    inds = ["gdp_10k_yuan", "fiscal_revenue_10k_yuan", "estab_total_2015", "gdp_per_worker"]
    r = composite_index(f, indicators=inds, polarity=dict.fromkeys(inds, "higher"),
                        normalise=["minmax", "distance"], weights=["equal", "entropy"],
                        monte_carlo=300, seed=0)
    ri = r.rank_interval
    assert len(ri) > 250
    assert (ri.rank_low <= ri.rank_high).all()
    # Changchun's evidence: raw values are the file's, contributions add up to the score
    e = r.evidence[r.evidence.region == "长春市"].set_index("indicator")
    assert e.loc["gdp_10k_yuan", "raw_value"] == f.loc["长春市", "gdp_10k_yuan"]
    assert e.contribution.sum() == pytest.approx(r.scores["长春市"])
