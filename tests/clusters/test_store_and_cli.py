"""Clusters and targets in a real DuckDB file and through the real CLI (CliRunner)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agglomera import import_files, open_store
from agglomera.cli.main import app
from agglomera.clusters import load_definitions, rate, rating_stability
from agglomera.clusters.store import (
    cluster_totals,
    list_definitions,
    read_definitions,
    save_definitions,
    save_rating,
)
from agglomera.errors import SchemaError

REF = Path(__file__).parents[1] / "reference" / "us_cmp"
runner = CliRunner()

OBS = """region,industry,year,metric,value,unit
吉林,36,2016,employment,100,persons
吉林,13,2016,employment,50,persons
吉林,14,2016,employment,20,persons
辽宁,36,2016,employment,30,persons
辽宁,13,2016,employment,60,persons
辽宁,14,2016,employment,40,persons
黑龙江,36,2016,employment,10,persons
黑龙江,13,2016,employment,90,persons
黑龙江,14,2016,employment,,persons
"""


@pytest.fixture()
def db(tmp_path) -> Path:
    obs = tmp_path / "obs.csv"
    obs.write_text(OBS, encoding="utf-8")
    path = tmp_path / "t.duckdb"
    import_files(path, [obs])
    return path


def test_definitions_round_trip_and_cluster_totals(db):
    defs = load_definitions("jilin-plan-2017")
    with open_store(db) as store:
        assert save_definitions(store, defs) == len(defs.table)
        assert save_definitions(store, defs) == len(defs.table)  # replaces, no duplicates
        back = read_definitions(store, "jilin-plan-2017")
        pd.testing.assert_frame_equal(
            back.to_frame().sort_values(["cluster_code", "industry_code"]).reset_index(
                drop=True),
            defs.to_frame().sort_values(["cluster_code", "industry_code"]).reset_index(
                drop=True), check_dtype=False)
        assert list_definitions(store)["clusters"].tolist() == [13]
        tot = cluster_totals(store, "jilin-plan-2017").set_index(
            ["region_code", "cluster_code"])["value"]
        assert tot[("220000", "auto_parts")] == 100
        assert tot[("220000", "food_processing")] == 20
        assert tot[("210000", "agro_processing")] == 60
        assert np.isnan(tot[("230000", "food_processing")])  # missing member, not 0
        with pytest.raises(SchemaError, match="no cluster definitions 'nope'"):
            read_definitions(store, "nope")
        with pytest.raises(SchemaError, match="no observations of metric 'gdp'"):
            cluster_totals(store, "jilin-plan-2017", metric="gdp")


def test_save_rating_writes_long_flags_and_region_strength(db):
    data = pd.read_csv(REF / "worked_example.csv")
    r = rate(data, establishments="establishments", traded="traded")
    s = rating_stability(data, establishments="establishments", traded="traded",
                         shift=0, resample="none")
    with open_store(db) as store:
        run = save_rating(store, r, input_desc="worked example", stability=s)
        got = store.con.execute(
            "SELECT region_code, cluster_code, level, flag, stability, lq FROM "
            "cluster_rating_results WHERE run_id = ? ORDER BY 1, 2, 3", [run]).df()
        assert len(got) == len(data) * 4
        strong = got[(got["level"] == "strong") & got["flag"]]
        assert sorted(zip(strong["region_code"], strong["cluster_code"], strict=True)) == [
            ("D", "Y"), ("E", "X")]
        assert (got["stability"] == 1.0).all()
        rs = store.con.execute("SELECT region_code, strength FROM cluster_region_strength "
                               "WHERE run_id = ? ORDER BY 1", [run]).df()
        assert rs["strength"].tolist() == [0, 0, 0, 0.5, 1.0]
        params = store.con.execute("SELECT parameters FROM cluster_rating_runs WHERE "
                                   "run_id = ?", [run]).fetchone()[0]
        assert '"lq_percentile": 75.0' in params


def test_cli_rate_file_to_each_format(tmp_path):
    for ext in (".csv", ".xlsx", ".parquet"):
        out = tmp_path / f"r{ext}"
        res = runner.invoke(app, [
            "clusters", "rate", "--preset", "us-cmp", "--input",
            str(REF / "worked_example.csv"), "--region", "region", "--cluster", "cluster",
            "--employment", "employment", "--establishments", "establishments",
            "--traded", "traded", "--out", str(out)])
        assert res.exit_code == 0, res.output
        back = {".csv": pd.read_csv, ".xlsx": pd.read_excel,
                ".parquet": pd.read_parquet}[ext](out)
        assert {"region", "cluster", "qualifying", "significant", "strong",
                "strong_top_decile"} <= set(back.columns)
        flags = back.set_index(["region", "cluster"])["strong"].astype(str)
        assert flags[("E", "X")] == "True" and flags[("B", "Y")] == "False"
    res = runner.invoke(app, ["clusters", "rate", "--preset", "eu-stars", "--input",
                              str(REF / "worked_example.csv"), "--out",
                              str(tmp_path / "eu.csv")])
    assert res.exit_code == 0, res.output
    assert "stars" in pd.read_csv(tmp_path / "eu.csv").columns


def test_cli_rate_from_database_with_stability_stores_the_run(db, tmp_path):
    res = runner.invoke(app, ["clusters", "define", "jilin-plan-2017", "--db", str(db)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["clusters", "list", "--db", str(db)])
    assert res.exit_code == 0 and "jilin-plan-2017" in res.output
    out = tmp_path / "db.csv"
    res = runner.invoke(app, ["clusters", "rate", "--db", str(db), "--scheme",
                              "jilin-plan-2017", "--year", "2016", "--stability",
                              "--draws", "5", "--seed", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    back = pd.read_csv(out, dtype={"region": str})
    assert "strong_stability" in back.columns
    with open_store(db) as store:
        n = store.con.execute("SELECT count(*) FROM cluster_ratings").fetchone()[0]
        assert n == len(back) * 4


def test_cli_targets_check_flags_jilin_and_stores(db, tmp_path):
    actual = tmp_path / "actual.csv"
    actual.write_text("target_id,year,value\nclusters_total,2015,140\n"
                      "clusters_total,2016,150\n", encoding="utf-8")
    out = tmp_path / "check.csv"
    res = runner.invoke(app, ["targets", "check", "--targets", "jilin-2017", "--actual",
                              str(actual), "--db", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "add to 160" in res.output
    back = pd.read_csv(out).set_index("target_id")
    # line through (2015, 140), (2016, 150) reaches 160 in 2017 < 162: early warning
    assert back.loc["clusters_total", "status"] == "at_risk"
    assert back.loc["clusters_total", "projected"] == pytest.approx(160)
    assert "early warning" in res.output
    with open_store(db) as store:
        assert store.con.execute("SELECT count(*) FROM plan_targets").fetchone()[0] == 20
        assert store.con.execute("SELECT count(*) FROM target_checks").fetchone()[0] == 20


def test_cli_errors_exit_2_without_traceback(tmp_path):
    res = runner.invoke(app, ["clusters", "rate", "--input",
                              str(REF / "worked_example.csv"), "--employment", "jobs"])
    assert res.exit_code == 2
    assert "jobs" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["targets", "check", "--targets", str(tmp_path / "x.yaml")])
    assert res.exit_code == 2 and "not found" in res.output
    res = runner.invoke(app, ["clusters", "rate", "--input",
                              str(REF / "worked_example.csv"), "-t", "lq_percentile"])
    assert res.exit_code == 2 and "name=number" in res.output


def test_cli_derive_and_show(tmp_path):
    rng = np.random.default_rng(0)
    pattern = rng.lognormal(0, 1, size=(12, 2))
    rows = []
    for i in range(12):
        for j, ind in enumerate(["13", "14", "15", "36", "37", "38"]):
            rows.append((f"r{i}", ind, float(pattern[i, j // 3] * (10 + j))))
    f = tmp_path / "emp.csv"
    pd.DataFrame(rows, columns=["region", "industry", "employment"]).to_csv(f, index=False)
    out = tmp_path / "derived.csv"
    res = runner.invoke(app, ["clusters", "derive", "--input", str(f), "--k", "2",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "VS = 1.000" in res.output
    back = pd.read_csv(out, dtype={"industry": str})
    assert back.groupby("cluster")["industry"].apply(sorted).tolist() == [
        ["13", "14", "15"], ["36", "37", "38"]]
    res = runner.invoke(app, ["targets", "show", "jilin-2017"])
    assert res.exit_code == 0 and "162" in res.output and "35.4" in res.output


def test_level_targets_read_from_observations(tmp_path):
    from agglomera.evaluate.targets import (
        actuals_from_store,
        check_targets,
        load_targets,
    )

    gdp = tmp_path / "gdp.csv"
    gdp.write_text("region,year,metric,value,unit\n吉林,2014,gdp,1000,亿元\n"
                   "吉林,2015,gdp,1100,亿元\n吉林,2016,gdp,1150,亿元\n", encoding="utf-8")
    path = tmp_path / "g.duckdb"
    import_files(path, [gdp])
    plan_file = tmp_path / "p.yaml"
    plan_file.write_text("plan: gdp-plan\nregion: '220000'\ndeadline_year: 2018\ntargets:\n"
                         "  - {id: gdp, kind: level, metric: gdp, target: 1.4e11, "
                         "unit: yuan}\n", encoding="utf-8")
    plan = load_targets(plan_file)
    with open_store(path, read_only=True) as store:
        act = actuals_from_store(store, plan)
    assert act["value"].tolist() == [1e11, 1.1e11, 1.15e11]
    row = check_targets(plan, act).to_frame().iloc[0]
    # least squares through (2014, 100), (2015, 110), (2016, 115) bn: slope 7.5 bn a
    # year through the mean point (2015, 108.33 bn) -> 2018: 108.33 + 3 * 7.5 = 130.83 bn
    assert row["projected"] == pytest.approx((325e9 / 3) + 3 * 7.5e9)
    assert row["status"] == "at_risk"
    res = runner.invoke(app, ["targets", "check", "--targets", str(plan_file), "--db",
                              str(path)])
    assert res.exit_code == 0, res.output
    assert "plan is consistent" in res.output


def test_cli_output_tiers_from_a_table(tmp_path):
    f = tmp_path / "out.csv"
    f.write_text("region,cluster,output\n220100,auto,1500\n220100,food,60\n"
                 "220200,chem,15\n", encoding="utf-8")
    out = tmp_path / "tiers.csv"
    res = runner.invoke(app, ["clusters", "rate", "--preset", "output-tiers", "--input",
                              str(f), "--value", "output", "-t", "unit_factor=1e8",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    # 1500 亿 = 150 bn, 60 亿 = 6 bn, 15 亿 = 1.5 bn yuan
    assert pd.read_csv(out)["tier"].tolist() == ["above_100_bn", "above_5_bn", "below"]
    res = runner.invoke(app, ["clusters", "rate", "--preset", "output-tiers", "--input",
                              str(f), "--value", "output", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["tier"].tolist() == ["below", "below", "below"]  # yuan
    res = runner.invoke(app, ["clusters", "rate", "--preset", "output-tiers", "--input",
                              str(f), "-t", "lq_min=2"])
    assert res.exit_code == 2 and "unknown threshold" in res.output


def test_cli_lq_growth_with_stability_is_stored_without_year(tmp_path):
    rng = np.random.default_rng(1)
    rows = [(r, c, y, float(rng.integers(1, 100))) for r in "ABCDE" for c in "xyz"
            for y in (2015, 2020)]
    f = tmp_path / "p.csv"
    pd.DataFrame(rows, columns=["region", "cluster", "year", "employment"]).to_csv(
        f, index=False)
    db = tmp_path / "lg.duckdb"
    res = runner.invoke(app, ["clusters", "rate", "--preset", "lq-growth", "--input",
                              str(f), "--year", "year", "--stability", "--draws", "5",
                              "--seed", "1", "--out", str(tmp_path / "lg.csv"),
                              "--db", str(db)])
    assert res.exit_code == 0, res.output
    with open_store(db) as store:
        got = store.con.execute("SELECT level, count(*), count(stability), count(year) "
                                "FROM cluster_ratings GROUP BY level ORDER BY level"
                                ).fetchall()
    assert got == [(lv, 15, 15, 0) for lv in ("emerging", "mature", "star",
                                              "transforming")]


def test_cli_derive_from_database_then_rate_the_derived_clusters(tmp_path):
    rng = np.random.default_rng(0)
    provs = ["北京", "天津", "河北", "山西", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江"]
    pattern = rng.lognormal(0, 1, (10, 2))
    rows = [(p, ind, 2015, "employment", round(float(pattern[i, j // 3] * (10 + j) * 100)),
             "persons") for i, p in enumerate(provs)
            for j, ind in enumerate(["13", "14", "15", "36", "37", "38"])]
    f = tmp_path / "emp.csv"
    pd.DataFrame(rows, columns=["region", "industry", "year", "metric", "value",
                                "unit"]).to_csv(f, index=False)
    db = tmp_path / "d.duckdb"
    import_files(db, [f])
    res = runner.invoke(app, ["clusters", "derive", "--db", str(db), "--year", "2015",
                              "--k", "2", "--scheme", "derived-2015"])
    assert res.exit_code == 0, res.output
    with open_store(db) as store:
        defs = read_definitions(store, "derived-2015").to_frame()
    groups = defs.groupby("cluster_code")["industry_code"].apply(sorted).tolist()
    assert groups == [["13", "14", "15"], ["36", "37", "38"]]
    out = tmp_path / "r.csv"
    res = runner.invoke(app, ["clusters", "rate", "--db", str(db), "--scheme",
                              "derived-2015", "--year", "2015", "--out", str(out)])
    assert res.exit_code == 0, res.output
    back = pd.read_csv(out, dtype={"region": str})
    assert len(back) == 20 and set(back["cluster"]) == {"C01", "C02"}
    # cluster employment is the sum of its divisions, from the database
    bj = [r for r in rows if r[0] == "北京"]
    want = sum(r[4] for r in bj if r[1] in ("13", "14", "15"))
    got = back[(back["region"] == "110000") & (back["cluster"] == "C01")]["employment"]
    assert float(got.iloc[0]) == want
