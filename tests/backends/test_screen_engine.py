"""``agglomera screen --source/--engine``: firm-years read where they are (Parquet through
DuckDB or Spark) give exactly the result of screening the same rows from a file."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from agglomera.cli.main import app

from ..screening.helpers import firm
from ..screening.test_programmes import hnte_firm

runner = CliRunner()


@pytest.fixture(scope="module")
def firms(tmp_path_factory):
    rd = [3e6, 3.5e6, 3.7e6]
    rows = (firm("G1", **hnte_firm(), region_code="210100")
            + firm("N1", **hnte_firm(rd_expense=rd, domestic_rd_expense=rd),
                   region_code="210200")
            + firm("U1", **hnte_firm(innovation_capability_score=None),
                   region_code="210100"))
    frame = pd.DataFrame(rows)
    frame["not_a_screening_field"] = "ignored"
    d = tmp_path_factory.mktemp("screen")
    csv, parquet = d / "firms.csv", d / "firms.parquet"
    frame.drop(columns="not_a_screening_field").to_csv(csv, index=False)
    frame.to_parquet(parquet, index=False)
    return csv, parquet


def _screen(args, out):
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--application-year", "2025",
                              "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    return pd.read_csv(out)


def test_screen_from_parquet_source_equals_file_input(firms, tmp_path):
    csv, parquet = firms
    ref = _screen(["--input", str(csv)], tmp_path / "ref.csv")
    got = _screen(["--source", f"parquet:{parquet}"], tmp_path / "got.csv")
    assert dict(zip(ref["firm_id"], ref["eligible"].astype(str).str.lower())) == {
        "G1": "true", "N1": "false", "U1": "unknown"}
    pd.testing.assert_frame_equal(got, ref)


@pytest.mark.spark
def test_screen_on_spark_equals_duckdb(firms, spark, tmp_path, monkeypatch):
    csv, parquet = firms
    ref = _screen(["--input", str(csv)], tmp_path / "ref.csv")
    got = _screen(["--engine", "spark", "--source", f"parquet:{parquet}"],
                  tmp_path / "spark.csv")
    pd.testing.assert_frame_equal(got, ref)


def test_screen_source_errors_exit_2(firms):
    csv, parquet = firms
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--application-year", "2025",
                              "--input", str(csv), "--source", f"parquet:{parquet}"])
    assert res.exit_code == 2 and "--source replaces" in res.output
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--application-year", "2025",
                              "--engine", "spark", "--input", str(csv)])
    assert res.exit_code == 2 and "--engine spark needs --source" in res.output
