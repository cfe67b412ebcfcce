"""--engine/--source on the CLI (Typer's CliRunner): the numbers equal the library's,
options and settings are checked, errors exit with code 2 and no traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agglomera import measures as m
from agglomera.backends import DuckDBBackend, aggregate
from agglomera.cli.main import app
from agglomera.cli.measure import read_spark_conf

runner = CliRunner()


@pytest.fixture(scope="module")
def small(register, tmp_path_factory):
    """2,000 firms of the register, as Parquet."""
    path = tmp_path_factory.mktemp("cli") / "small.parquet"
    register.iloc[:2000].to_parquet(path, index=False)
    return register.iloc[:2000], str(path)


def test_measure_eg_from_parquet_source(small, tmp_path):
    frame, path = small
    out = tmp_path / "eg.csv"
    res = runner.invoke(app, ["measure", "ellison_glaeser", "--source", f"parquet:{path}",
                              "--year", "year", "-p", "missing=zero", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    ref = m.ellison_glaeser_from_stats(
        aggregate(frame, by=["year", "region", "industry"], metrics=["employment"]),
        year="year", missing="zero").to_frame()
    np.testing.assert_allclose(got["gamma"], ref["gamma"], rtol=1e-12)
    assert got["industry"].tolist() == ref["industry"].tolist()


def test_measure_region_industry_measure_on_aggregates(small, tmp_path):
    frame, path = small
    out = tmp_path / "lq.parquet"
    res = runner.invoke(app, ["measure", "location_quotient", "--source",
                              f"parquet:{path}", "--value", "revenue", "-p",
                              "missing=zero", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    cells = frame.groupby(["region", "industry"], as_index=False)["revenue"].sum()
    ref_long = m.location_quotient(cells, region="region", industry="industry",
                                   value="revenue", missing="zero")
    merged = got.merge(ref_long, on=["region", "industry"], suffixes=("", "_ref"))
    assert len(merged) == len(got) == len(ref_long)
    np.testing.assert_allclose(merged["location_quotient"],
                               merged["location_quotient_ref"], rtol=1e-12)


def test_measure_from_duckdb_database_view(tmp_path):
    from agglomera.store import open_store

    db = tmp_path / "a.duckdb"
    with open_store(db) as store:
        store.con.execute(
            "INSERT INTO sources (source_id, kind, path) VALUES (1, 'enterprises', 'x')"
            if False else "SELECT 1")
    firms = pd.DataFrame({"enterprise_id": ["a", "b", "c", "d"],
                          "region_code": ["210100", "210100", "210200", "210200"],
                          "industry_code": ["C13", "C13", "C13", "C14"],
                          "employment": [1.0, 3.0, 2.0, 2.0]})
    import duckdb

    con = duckdb.connect(str(db))
    con.register("f", firms)
    con.execute("INSERT INTO enterprises_data (source_id, enterprise_id, region_code, "
                "industry_code, employment) SELECT 1, enterprise_id, region_code, "
                "industry_code, employment FROM f")
    con.close()
    out = tmp_path / "ms.csv"
    res = runner.invoke(app, ["measure", "maurel_sedillot", "--source", f"duckdb:{db}",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, dtype={"industry_code": str})
    ref = m.maurel_sedillot(firms, region="region_code", industry="industry_code")
    np.testing.assert_allclose(got["gamma"], ref.gamma.to_numpy(), rtol=1e-12,
                               equal_nan=True)


def test_colocation_with_coordinates_uses_the_sample(small, tmp_path):
    frame, path = small
    out = tmp_path / "cl.csv"
    res = runner.invoke(app, ["measure", "colocation", "--source", f"parquet:{path}",
                              "-p", "lon=lon", "-p", "lat=lat", "-p", "distance=30",
                              "-p", "permutations=9", "-p", "seed=4", "--sample-size",
                              "20", "--out", str(out)])
    assert res.exit_code == 0, res.output
    with DuckDBBackend() as be:
        smp = be.sample(frame, id="enterprise_id", by=["industry"], k=20, seed=4,
                        columns=["lon", "lat"])
    ref = m.colocation(smp, region=None, lon="lon", lat="lat", distance=30.0,
                       permutations=9, seed=4).to_frame()
    got = pd.read_csv(out)
    np.testing.assert_allclose(got["colocation"], ref["colocation"], rtol=1e-12)
    np.testing.assert_allclose(got["pvalue"], ref["pvalue"], rtol=1e-12)


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "spark"], "--source"),
    (["--engine", "oracle", "--source", "parquet:x"], "--engine must be one of"),
    (["--source", "hive:db.t"], "Hive tables need"),
    (["--source", "parquet:/no/such.parquet"], "no Parquet"),
    (["--spark-master", "local[1]"], "need --engine spark"),
    (["--source", "s3:x"], "kind must be one of"),
])
def test_engine_errors_are_friendly(args, message):
    res = runner.invoke(app, ["measure", "ellison_glaeser", *args])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output


def test_spark_conf_from_file_and_environment(tmp_path):
    f = tmp_path / "spark.conf"
    f.write_text("# cluster\nspark.executor.memory = 8g\nspark.executor.instances=4 "
                 "# four\n", encoding="utf-8")
    env = {"AGGLOMERA_SPARK_CONF__spark_sql_shuffle_partitions": "400",
           "AGGLOMERA_SPARK_CONF__spark_executor_memory": "2g"}
    conf = read_spark_conf(f, env)
    assert conf == {"spark.executor.memory": "8g", "spark.executor.instances": "4",
                    "spark.sql.shuffle.partitions": "400"}
    bad = tmp_path / "bad.conf"
    bad.write_text("executor.memory=1g\n", encoding="utf-8")
    with pytest.raises(Exception, match="start with 'spark.'"):
        read_spark_conf(bad, {})
    with pytest.raises(Exception, match="does not exist"):
        read_spark_conf(None, {"AGGLOMERA_SPARK_CONF": str(tmp_path / "none.conf")})


@pytest.mark.spark
def test_measure_engine_spark_equals_duckdb(spark, small, tmp_path):
    _, path = small
    outs = {}
    for engine in ("duckdb", "spark"):
        outs[engine] = tmp_path / f"co_{engine}.csv"
        res = runner.invoke(app, ["measure", "coagglomeration", "--engine", engine,
                                  "--source", f"parquet:{path}", "-p", "missing=zero",
                                  "--out", str(outs[engine])]
                            + (["--spark-master", "local[2]"] if engine == "spark"
                               else []))
        assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(outs["duckdb"]), pd.read_csv(outs["spark"]),
                                  check_exact=True)


def test_kdensity_from_source_equals_kdensity_of_the_sample(small, tmp_path):
    frame, path = small
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ["--lon", "lon", "--lat", "lat", "--simulations", "9", "--seed", "3",
              "--no-plot", "--industries", "C14,C15", "--n-distances", "21"]
    res = runner.invoke(app, ["kdensity", "--source", f"parquet:{path}",
                              "--sample-size", "25", "--out", str(a), *common])
    assert res.exit_code == 0, res.output
    with DuckDBBackend() as be:
        smp = be.sample(frame, id="enterprise_id", by=["industry"], k=25, seed=3,
                        columns=["lon", "lat"])
    smp_file = tmp_path / "smp.parquet"
    smp.drop(columns=["sample_hash", "sample_rank"]).to_parquet(smp_file, index=False)
    res = runner.invoke(app, ["kdensity", "--input", str(smp_file), "--out", str(b),
                              *common])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(a), pd.read_csv(b))
    res = runner.invoke(app, ["kdensity", "--out", str(b), *common])
    assert res.exit_code == 2 and "--input" in res.output
