"""agglomera measure: every registered measure reachable from the command line."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from agglomera.cli.main import app
from agglomera.measures import location_quotient, structural_similarity

runner = CliRunner()

LONG = pd.DataFrame({
    "region": ["LN", "LN", "JL", "JL", "JS", "JS"],
    "industry": ["C", "F", "C", "F", "C", "F"],
    "value": [30.0, 10.0, 5.0, 15.0, 50.0, 40.0],
})


@pytest.fixture()
def long_csv(tmp_path):
    f = tmp_path / "long.csv"
    LONG.to_csv(f, index=False)
    return f


def test_list_shows_the_measures():
    res = runner.invoke(app, ["measure", "list"])
    assert res.exit_code == 0
    for name in ("location_quotient", "ellison_glaeser", "shift_share", "gini"):
        assert name in res.output


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".dta"])
def test_location_quotient_to_every_format(tmp_path, long_csv, suffix):
    out = tmp_path / f"lq{suffix}"
    res = runner.invoke(app, ["measure", "location_quotient", "--input", str(long_csv),
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel,
           ".dta": pd.read_stata}[suffix](out)
    assert list(got.columns) == ["region", "industry", "location_quotient"]
    expected = location_quotient(LONG, region="region", industry="industry", value="value")
    merged = got.merge(expected, on=["region", "industry"], suffixes=("", "_py"))
    assert len(merged) == 6
    assert (merged.location_quotient - merged.location_quotient_py).abs().max() < 1e-12


def test_params_reach_the_measure(tmp_path, long_csv):
    out = tmp_path / "lq.csv"
    res = runner.invoke(app, ["measure", "location_quotient", "--input", str(long_csv),
                              "-p", "base=JS", "-p", "symmetric=true", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    expected = location_quotient(LONG, region="region", industry="industry",
                                 value="value", base="JS", symmetric=True)
    assert sorted(got.location_quotient.round(12)) == sorted(
        expected.location_quotient.round(12))


def test_pairwise_result_and_store_in_database(tmp_path, long_csv):
    db = tmp_path / "m.duckdb"
    res = runner.invoke(app, ["measure", "structural_similarity", "--input", str(long_csv),
                              "--db", str(db), "--store"])
    assert res.exit_code == 0, res.output
    assert "stored as run 1" in res.output
    from agglomera.store import open_store

    with open_store(db, read_only=True) as store:
        stored = store.con.execute(
            "SELECT region_code, region_code_b, statistic, value FROM measure_results "
            "WHERE measure = 'structural_similarity'").df()
    sim = structural_similarity(LONG, region="region", industry="industry", value="value")
    assert len(stored) == 9
    for r in stored.itertuples():
        assert r.value == pytest.approx(sim.loc[r.region_code, r.region_code_b])


def test_measure_from_database(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("地区,行业,年份,从业人员(万人)\n辽宁,制造业,2015,10\n辽宁,建筑业,2015,30\n"
                 "吉林,制造业,2015,20\n吉林,建筑业,2015,20\n", encoding="utf-8")
    db = tmp_path / "d.duckdb"
    assert runner.invoke(app, ["import", str(f), "--db", str(db)]).exit_code == 0
    out = tmp_path / "lq.csv"
    res = runner.invoke(app, ["measure", "location_quotient", "--db", str(db), "--metric",
                              "employment", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, dtype={"region_code": str})
    lq = got.set_index(["region_code", "industry_code"]).location_quotient
    # Liaoning: manufacturing 10 of 40 against 30 of 80 overall -> 0.25 / 0.375
    assert lq[("210000", "C")] == pytest.approx(0.25 / 0.375)


def test_enterprise_measure_from_file(tmp_path):
    plants = pd.DataFrame({"region": ["a", "a", "b", "b", "c", "c"],
                           "industry": ["x", "y", "x", "y", "x", "y"],
                           "employment": [10, 1, 1, 10, 5, 5]})
    f = tmp_path / "plants.csv"
    plants.to_csv(f, index=False)
    out = tmp_path / "eg.csv"
    res = runner.invoke(app, ["measure", "ellison_glaeser", "--input", str(f), "--out",
                              str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert {"industry", "gamma", "raw_concentration", "plant_herfindahl"} <= set(got.columns)


@pytest.mark.parametrize("args, message", [
    (["measure", "location_quotent", "--input", "x.csv"], "did you mean location_quotient"),
    (["measure", "location_quotient"], "give the data"),
    (["measure", "location_quotient", "--input", "LONG", "-p", "nonsense"], "key=value"),
    (["measure", "location_quotient", "--input", "LONG", "-p", "colour=red"],
     "has no option 'colour'"),
    (["measure", "location_quotient", "--input", "LONG", "--out", "x.txt"], ".dta"),
    (["measure", "location_quotient", "--input", "LONG", "--value", "nope"],
     "column 'nope'"),
])
def test_user_mistakes_exit_2(tmp_path, long_csv, args, message):
    args = [str(long_csv) if a == "LONG" else a for a in args]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert message in res.output


PANEL = pd.DataFrame({
    "region": ["LN", "JL", "JS", "LN", "JL", "JS"] * 2,
    "industry": ["C"] * 3 + ["F"] * 3 + ["C"] * 3 + ["F"] * 3,
    "year": [2015] * 6 + [2020] * 6,
    "value": [30.0, 5.0, 50.0, 10.0, 15.0, 40.0, 35.0, 4.0, 70.0, 12.0, 14.0, 41.0],
    "population": [43.0, 27.0, 80.0] * 4,
})
PLANTS = pd.DataFrame({"region": list("aabbccaabbcc"), "industry": list("xyxyxyxxyyxy"),
                       "employment": [10, 1, 1, 10, 5, 5, 3, 4, 2, 8, 1, 1]})
CALLS = {  # measure -> (input frame, extra CLI arguments)
    "williamson": (PANEL[PANEL.industry == "C"].drop(columns="industry"),
                   ["--year", "year", "-p", "population=population"]),
    "convergence": (PANEL[PANEL.industry == "C"].drop(columns="industry"), []),
    "litzenberger_sternberg": (PLANTS, ["-p", 'area={"a": 1, "b": 2, "c": 3}',
                                        "-p", 'population={"a": 10, "b": 20, "c": 30}']),
    "related_unrelated_variety": (PANEL[PANEL.year == 2020].drop(
        columns=["year", "population"]), ["-p", 'groups={"C": "m", "F": "s"}']),
}


def _all_measures():
    from agglomera.measures import REGISTRY

    return sorted(REGISTRY)


@pytest.mark.parametrize("name", _all_measures())
def test_every_measure_runs_from_the_command_line(tmp_path, name):
    from agglomera.cli.measure import takes_plants
    from agglomera.measures import REGISTRY

    func = REGISTRY[name].func
    frame, extra = CALLS.get(name, (PLANTS, []) if takes_plants(func) else (PANEL, []))
    if REGISTRY[name].kind in ("cells", "region", "industry", "region_pairs") \
            and name not in CALLS:
        frame = PANEL[PANEL.year == 2020].drop(columns=["year", "population"])
    if name == "shift_share" or REGISTRY[name].kind == "panel":
        frame = PANEL.drop(columns="population")
    f = tmp_path / "in.csv"
    frame.to_csv(f, index=False)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["measure", name, "--input", str(f), "--out", str(out), *extra])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert len(got) > 0 and got.select_dtypes("number").shape[1] >= 1
