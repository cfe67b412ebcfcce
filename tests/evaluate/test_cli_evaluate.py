"""agglomera evaluate ... and agglomera benchmark: real files, a real DuckDB database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agglomera.cli.main import app
from agglomera.evaluate import benchmark_gap, composite_index, dea, malmquist
from agglomera.store import open_store

runner = CliRunner()


def make_panel() -> pd.DataFrame:
    g = np.random.default_rng(0)
    rows = []
    for y in (2019, 2020, 2021):
        for r in range(6):
            emp = g.uniform(10, 20)
            cap = g.uniform(100, 300)
            rows.append({"region": f"R{r}", "year": y, "emp": emp, "cap": cap,
                         "gdp": emp ** 0.6 * cap ** 0.4 * g.uniform(0.6, 1) * 1.04 ** (y - 2019),
                         "energy": g.uniform(1, 3)})
    return pd.DataFrame(rows)


@pytest.fixture()
def panel_csv(tmp_path):
    f = tmp_path / "panel.csv"
    make_panel().to_csv(f, index=False)
    return f


@pytest.fixture()
def obs_db(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("region,year,metric,value,unit\n"
                 "辽宁,2020,gdp,100,亿元\n吉林,2020,gdp,80,亿元\n黑龙江,2020,gdp,60,亿元\n"
                 "辽宁,2020,employment,50,万人\n吉林,2020,employment,30,万人\n"
                 "黑龙江,2020,employment,45,万人\n", encoding="utf-8")
    db = tmp_path / "o.duckdb"
    res = runner.invoke(app, ["import", str(f), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


def stored(db, measure: str) -> pd.DataFrame:
    with open_store(db, read_only=True) as st:
        return st.con.execute("SELECT * FROM measure_results WHERE measure = ?",
                              [measure]).df()


def test_composite_from_file_equals_library(tmp_path, panel_csv):
    out = tmp_path / "c.csv"
    res = runner.invoke(app, ["evaluate", "composite", "--input", str(panel_csv),
                              "-i", "gdp:higher,energy:lower", "--year", "2021",
                              "--weights", "entropy", "--monte-carlo", "200", "--seed", "3",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out).set_index("region")
    p = make_panel().query("year == 2021").set_index("region")
    ref = composite_index(p, indicators=["gdp", "energy"],
                          polarity={"gdp": "higher", "energy": "lower"}, weights="entropy",
                          monte_carlo=200, seed=3)
    np.testing.assert_allclose(got.score[ref.scores.index], ref.scores)
    np.testing.assert_array_equal(got.rank_high[ref.scores.index],
                                  ref.rank_interval.rank_high)


def test_composite_xlsx_has_scores_evidence_and_weights(tmp_path, panel_csv):
    out = tmp_path / "c.xlsx"
    res = runner.invoke(app, ["evaluate", "composite", "--input", str(panel_csv),
                              "-i", "gdp+,energy-", "--year", "2020", "--out", str(out)])
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"scores", "evidence", "weights"}
    assert len(sheets["evidence"]) == 12


def test_composite_from_database_keeps_provenance_and_stores(tmp_path, obs_db):
    out = tmp_path / "c.xlsx"
    res = runner.invoke(app, ["evaluate", "composite", "--db", str(obs_db), "-i",
                              "gdp:higher,employment:higher", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "stored as evaluate.composite run" in res.output
    scores = pd.read_excel(out, sheet_name="scores", dtype={"region": str})
    # minmax: gdp (100, 80, 60) -> (1, .5, 0); employment (50, 30, 45) -> (1, 0, .75)
    s = scores.set_index("region").score
    assert s["210000"] == pytest.approx(1.0)
    assert s["220000"] == pytest.approx(0.25)
    assert s["230000"] == pytest.approx(0.375)
    ev = pd.read_excel(out, sheet_name="evidence", dtype={"region": str})
    row = ev[(ev.region == "220000") & (ev.indicator == "gdp")].iloc[0]
    assert row.source_id == 1 and row.source_row == 3  # line 3 of the imported CSV
    st = stored(obs_db, "evaluate.composite")
    sc = st[(st.statistic == "score") & st.industry_code.isna()].set_index("region_code")
    assert sc.value["230000"] == pytest.approx(0.375)
    w = st[(st.statistic == "weight") & (st.region_code == "210000")]
    assert set(w.industry_code) == {"gdp", "employment"}


def test_dea_cli_stores_and_equals_library(tmp_path, panel_csv):
    db = tmp_path / "r.duckdb"
    out = tmp_path / "d.parquet"
    res = runner.invoke(app, ["evaluate", "dea", "--input", str(panel_csv), "--inputs",
                              "emp,cap", "--outputs", "gdp", "--model", "bcc",
                              "--orientation", "output", "--db", str(db), "--out", str(out),
                              "-q"])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out).set_index(["year", "region"]).score
    ref = dea(make_panel(), inputs=["emp", "cap"], outputs="gdp", model="bcc",
              orientation="output", region="region", year="year").scores
    np.testing.assert_allclose(got[ref.index], ref)
    st = stored(db, "evaluate.dea")
    s = st[st.statistic == "score"].set_index(["year", "region_code"]).value
    assert s[(2020, "R1")] == pytest.approx(ref[(2020, "R1")])


def test_malmquist_and_tfp_cli(tmp_path, panel_csv):
    out = tmp_path / "m.csv"
    res = runner.invoke(app, ["evaluate", "malmquist", "--input", str(panel_csv),
                              "--inputs", "emp,cap", "--outputs", "gdp", "--out", str(out),
                              "-q"])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    ref = malmquist(make_panel(), inputs=["emp", "cap"], outputs="gdp").table
    np.testing.assert_allclose(got.malmquist, ref.malmquist)
    out = tmp_path / "t.csv"
    res = runner.invoke(app, ["evaluate", "tfp", "--input", str(panel_csv), "--output",
                              "gdp", "--labour", "emp", "--capital", "cap",
                              "--capital-share", "0.4", "--out", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out)
    p = make_panel().sort_values(["region", "year"]).reset_index(drop=True)
    np.testing.assert_allclose(t.ln_tfp, np.log(p.gdp) - 0.4 * np.log(p.cap)
                               - 0.6 * np.log(p.emp))


def test_scorecard_cli(tmp_path, panel_csv):
    out = tmp_path / "s.xlsx"
    res = runner.invoke(app, ["evaluate", "scorecard", "--input", str(panel_csv), "-i",
                              "gdp:higher", "--polarity", "energy=lower", "--out", str(out)])
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets["scorecard"].year) == {2019, 2020, 2021}
    assert len(sheets["evidence"]) == 36


def test_benchmark_cli_named_and_auto(tmp_path, panel_csv):
    out = tmp_path / "g.csv"
    res = runner.invoke(app, ["benchmark", "--input", str(panel_csv), "--region", "R1",
                              "--against", "R2", "-i", "gdp:higher,energy:lower",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out).set_index("indicator")
    ref = benchmark_gap(make_panel(), region="R1", against="R2",
                        indicators=["gdp", "energy"],
                        polarity={"gdp": "higher", "energy": "lower"}).gaps
    np.testing.assert_allclose(got.absolute_gap, ref.absolute_gap)
    s = tmp_path / "s.csv"
    pd.DataFrame({"region": ["R0", "R1", "R2", "R3", "R4", "R5"],
                  "C": [1, 10, 9, 1, 1, 1], "F": [9, 1, 2, 9, 9, 9]}).to_csv(s, index=False)
    db = tmp_path / "g.duckdb"
    res = runner.invoke(app, ["benchmark", "--input", str(panel_csv), "--region", "R1",
                              "--against", "auto:1", "--structure", str(s), "-i",
                              "gdp:higher", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "R1 against R2" in res.output
    st = stored(db, "benchmark.gap")
    assert set(st.industry_code) == {"gdp"}
    assert "years_to_close" in set(st.statistic)


@pytest.mark.parametrize("args, message", [
    (["evaluate", "composite", "--input", "{csv}", "-i", "gdp"], "higher or lower"),
    (["evaluate", "composite", "--input", "{csv}", "-i", "gdp:up"], "'higher' or 'lower'"),
    (["evaluate", "composite", "--input", "{csv}", "-i", "gdp:higher"], "choose one with --year"),
    (["evaluate", "composite", "-i", "gdp:higher"], "give the data"),
    (["evaluate", "dea", "--input", "{csv}", "--inputs", "emp", "--outputs", "gdp",
      "--model", "xyz"], "`model` must be one of"),
    (["benchmark", "--input", "{csv}", "--region", "R1", "--against", "auto", "-i",
      "gdp:higher"], "needs the industry structure"),
    (["evaluate", "composite", "--input", "{csv}", "-i", "gdp:higher", "--year", "2020",
      "--out", "x.txt"], "--out must end in"),
])
def test_user_mistakes_exit_2_without_traceback(panel_csv, args, message):
    args = [a.replace("{csv}", str(panel_csv)) for a in args]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_evaluate_without_subcommand_runs_the_composite(tmp_path, panel_csv):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["--input", str(panel_csv), "-i", "gdp:higher,energy:lower", "--year", "2019"]
    assert runner.invoke(app, ["evaluate", *args, "--out", str(a)]).exit_code == 0
    assert runner.invoke(app, ["evaluate", "composite", *args, "--out", str(b)]).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(a), pd.read_csv(b))
    res = runner.invoke(app, ["evaluate"])
    assert "dea" in res.output and "scorecard" in res.output


def test_benchmark_five_accounts_from_database_by_short_name(tmp_path):
    f = tmp_path / "t.csv"
    rows = ["region,year,metric,value,unit"]
    for y, k in ((2019, 0.9), (2020, 1.0)):
        rows += [f"辽宁,{y},gdp,{100 * k},亿元", f"吉林,{y},gdp,{80 * k},亿元",
                 f"辽宁,{y},population,4000,万人", f"吉林,{y},population,2400,万人"]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "t.duckdb"
    assert runner.invoke(app, ["import", str(f), "--db", str(db)]).exit_code == 0
    out = tmp_path / "g.csv"
    res = runner.invoke(app, ["benchmark", "--db", str(db), "--region", "吉林", "--against",
                              "辽宁", "--template", "five_accounts", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "note: five-accounts indicators not in the data" in res.output
    g = pd.read_csv(out, dtype={"region": str}).set_index("indicator")
    # GDP per capita: 80e8 / 2400e4 = 333.3 yuan against 100e8 / 4000e4 = 250 yuan
    assert g.loc["gdp_per_capita", "value"] == pytest.approx(8e9 / 2.4e7)
    assert g.loc["gdp_per_capita", "benchmark"] == pytest.approx(1e10 / 4e7)
    assert g.loc["gdp", "relative_gap"] == pytest.approx(0.2)
    assert g.loc["gdp", "account"] == "advanced_gap"
    assert set(g.region) == {"220000"}


def test_two_tables_with_one_value_merge_and_conflicts_name_the_tables(tmp_path, obs_db):
    # a second table repeats Liaoning's GDP (same value: one observation) and revises
    # Jilin's (a conflict the user must settle with --table-ref, never silently)
    f = tmp_path / "revised.csv"
    f.write_text("region,year,metric,value,unit\n辽宁,2020,gdp,100,亿元\n吉林,2020,gdp,85,亿元\n",
                 encoding="utf-8")
    res = runner.invoke(app, ["import", str(f), "--db", str(obs_db)])
    assert res.exit_code == 0, res.output
    with open_store(obs_db, read_only=True) as st:
        refs = dict(st.con.execute(
            "SELECT DISTINCT source_id, table_ref FROM observations").fetchall())
    assert len(refs) == 2
    res = runner.invoke(app, ["evaluate", "composite", "--db", str(obs_db), "-i",
                              "gdp:higher,employment:higher"])
    assert res.exit_code == 2
    assert "gdp of 220000 in 2020" in res.output and "--table-ref" in res.output
    assert "source 1: 8e+09" in res.output and "source 2: 8.5e+09" in res.output
    out = tmp_path / "c.csv"
    res = runner.invoke(app, ["evaluate", "composite", "--db", str(obs_db), "-i",
                              "gdp:higher,employment:higher", "--table-ref", "1",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    s = pd.read_csv(out, dtype={"region": str}).set_index("region").score
    assert s["220000"] == pytest.approx(0.25)  # the first table's values, as above
