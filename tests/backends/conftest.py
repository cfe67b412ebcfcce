"""Fixtures of the backend tests: one synthetic enterprise register as Parquet, and one
SparkSession (local mode) for the whole session.

The register (generated here, seeded; about 400 kB of Parquet) is made to be hard for
a distributed sum: 10,000 firms over 2 years, 40 regions with Zipf-skewed sizes
(two cells hold a third of the firms), 12 industries (one with a single firm, one whose
employment is entirely missing in 2021), int32 employment with 40 values at
2^31 - 1 - k (squares above 2^61, so float64 sums of squares would be inexact),
3 % missing employment and 5 % missing revenue (a float metric), and a ``park`` column
(development zone) that is missing for a fifth of the firms.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

N_FIRMS = 10_000


def make_register(n: int = N_FIRMS, seed: int = 20261123) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, 41) ** 1.3
    region = rng.choice([f"R{k:02d}" for k in range(40)], n, p=weights / weights.sum())
    industry = rng.choice([f"C{k:02d}" for k in range(13, 24)], n)
    industry[0] = "C99"  # a one-firm industry: H = 1, gamma NaN
    employment = rng.lognormal(3.0, 1.5, n).round().astype(np.int64) + 1
    big = rng.choice(np.arange(1, n), 40, replace=False)
    employment[big] = 2**31 - 1 - rng.integers(0, 1000, 40)  # int32 near overflow
    year = rng.choice(np.array([2020, 2021], dtype=np.int32), n)
    emp = pd.array(employment, dtype="Int32")
    emp[rng.random(n) < 0.03] = pd.NA
    emp[(industry == "C13") & (year == 2021)] = pd.NA  # a cell family with no sizes
    revenue = rng.gamma(0.8, 5e6, n)
    revenue[rng.random(n) < 0.05] = np.nan
    park = pd.array(rng.choice(["P1", "P2", "P3"], n), dtype=object)
    park[rng.random(n) < 0.2] = None
    lon = 120.0 + rng.normal(0, 2.0, n)
    lat = 42.0 + rng.normal(0, 1.5, n)
    return pd.DataFrame({
        "enterprise_id": np.arange(1_000_000, 1_000_000 + n, dtype=np.int64),
        "region": region, "industry": industry, "year": year, "park": park,
        "employment": emp, "revenue": revenue, "lon": lon, "lat": lat,
    })


@pytest.fixture(scope="session")
def register() -> pd.DataFrame:
    return make_register()


@pytest.fixture(scope="session")
def register_parquet(register, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("register") / "firms.parquet"
    register.to_parquet(path, index=False)
    return str(path)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session (2 threads, 2 shuffle partitions, no UI, 1 GB driver)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (extra 'spark')")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("Spark needs a Java runtime (17+); none found on PATH or JAVA_HOME")
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (SparkSession.builder.master("local[2]").appName("agglomera-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_backend(spark):
    from agglomera.backends import SparkBackend

    return SparkBackend(spark)
