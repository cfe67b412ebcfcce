"""Parity: every enterprise-level measure on DuckDB and on Spark (local mode) over the
same 10,000-firm register (conftest.py) gives the same numbers.

Sufficient statistics of the integer metric are exact on both engines
(DECIMAL(38,0) sums, converted once to the correctly rounded double), so they are
compared bit for bit, and so are the indices computed from them; the float metric
(revenue) and the fourth-power sums are DOUBLE sums whose order differs between the
engines, compared at rtol 1e-12. Missing values must sit in the same places.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from agglomera import measures as m
from agglomera.backends import DuckDBBackend, aggregate, sample
from agglomera.errors import BackendError, MissingValueWarning

pytestmark = pytest.mark.spark

KEYS = ["year", "region", "industry"]
RTOL = 1e-12
GROUPS = {f"C{k}": ("g1" if k < 18 else "g2") for k in [*range(13, 24), 99]}


@pytest.fixture(scope="module")
def engines(spark_backend):
    duck = DuckDBBackend()
    yield {"duckdb": duck, "spark": spark_backend}
    duck.close()


@pytest.fixture(scope="module")
def stats(engines, register_parquet):
    return {name: be.aggregate(f"parquet:{register_parquet}", by=KEYS,
                               metrics=["employment", "revenue"])
            for name, be in engines.items()}


def same(a, b, *, exact: bool = False) -> None:
    """Equal frames/Series/arrays: identical NaN positions, then values."""
    if isinstance(a, pd.DataFrame):
        assert a.columns.tolist() == b.columns.tolist()
        assert a.index.tolist() == b.index.tolist()
        for c in a.columns:
            same(a[c], b[c], exact=exact)
        return
    if isinstance(a, pd.Series):
        assert a.index.tolist() == b.index.tolist()
        assert a.isna().tolist() == b.isna().tolist()
        if not pd.api.types.is_numeric_dtype(a.dtype):
            try:
                a, b = a.astype(float), b.astype(float)
            except (TypeError, ValueError):  # labels
                assert a.tolist() == b.tolist()
                return
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
    if exact:
        np.testing.assert_array_equal(x, y)
    else:
        np.testing.assert_allclose(x, y, rtol=RTOL, atol=0, equal_nan=True)


def test_sufficient_statistics_identical(stats):
    d, s = stats["duckdb"].frame, stats["spark"].frame
    assert d.dtypes.to_dict() == s.dtypes.to_dict()
    assert stats["duckdb"].exact == stats["spark"].exact == {"employment": True,
                                                             "revenue": False}
    exact_cols = [*KEYS, "n_rows", "employment_count", "employment_sum",
                  "employment_sumsq", "employment_min", "employment_max",
                  "revenue_count", "revenue_min", "revenue_max"]
    same(d[exact_cols], s[exact_cols], exact=True)
    same(d[["employment_sum4", "revenue_sum", "revenue_sumsq", "revenue_sum4"]],
         s[["employment_sum4", "revenue_sum", "revenue_sumsq", "revenue_sum4"]])
    assert d["employment_sum"].isna().any()  # the cells without any known size


def test_row_collection_path_identical(spark, stats, register_parquet):
    """Spark 3.x has no DataFrame.toArrow: the row path (collect) gives the same."""
    from agglomera.backends import SparkBackend

    rows = SparkBackend(spark, arrow=False).aggregate(
        f"parquet:{register_parquet}", by=KEYS, metrics=["employment", "revenue"])
    same(rows.frame, stats["spark"].frame, exact=True)
    same(rows.frame, stats["duckdb"].frame)


def test_null_group_keys_identical(engines, register, register_parquet):
    src = f"parquet:{register_parquet}"
    d, s = (engines[e].aggregate(src, by=["park", "industry"], metrics=["revenue"])
            for e in ("duckdb", "spark"))
    same(d.frame, s.frame)
    # one NULL-park group per industry with firms outside any park
    assert d.frame["park"].isna().sum() == register.loc[register["park"].isna(),
                                                        "industry"].nunique()


def test_samples_identical(engines, register_parquet):
    src = f"parquet:{register_parquet}"
    for seed in (0, 42):
        d, s = (engines[e].sample(src, id="enterprise_id", by=["year", "industry"],
                                  k=40, seed=seed, columns=["lon", "lat", "region"])
                for e in ("duckdb", "spark"))
        pd.testing.assert_frame_equal(d, s, check_exact=True)
        assert len(d) == 2 * 11 * 40 + 1  # C99 has one firm


def test_text_id_samples_identical(engines, register, tmp_path):
    df = register[["enterprise_id", "industry"]].assign(
        uscc=lambda x: "9121" + x["enterprise_id"].astype(str) + "X").drop(
        columns="enterprise_id")
    path = tmp_path / "text_ids.parquet"
    df.to_parquet(path, index=False)
    d, s = (engines[e].sample(f"parquet:{path}", id="uscc", by=["industry"], k=15,
                              seed=9) for e in ("duckdb", "spark"))
    pd.testing.assert_frame_equal(d, s, check_exact=True)


def measures_from(st):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValueWarning)
        regions = sorted(st.frame["region"].unique())
        area = pd.Series(np.linspace(100, 500, len(regions)), index=regions)
        pop = pd.Series(np.linspace(1e5, 9e5, len(regions)), index=regions)
        cells = st.frame.groupby(["region", "industry"], as_index=False)["n_rows"].sum()
        return {
            "ellison_glaeser": m.ellison_glaeser_from_stats(st, year="year").to_frame(),
            "ellison_glaeser_revenue": m.ellison_glaeser_from_stats(
                st, year="year", value="revenue").to_frame(),
            "maurel_sedillot": m.maurel_sedillot_from_stats(st, year="year").to_frame(),
            "coagglomeration_pairs": m.coagglomeration_from_stats(
                st, year="year").to_frame(),
            "coagglomeration_groups": m.coagglomeration_from_stats(
                st, year="year", pairs=False, groups=GROUPS).to_frame("groups"),
            "litzenberger_sternberg": m.litzenberger_sternberg_from_stats(
                st, year="year", area=area, population=pop).to_frame(),
            "colocation": m.colocation_from_stats(cells, permutations=49,
                                                  seed=1).to_frame(),
            "location_quotient": m.location_quotient(
                st.long("employment"), region="region", industry="industry",
                value="employment", year="year", missing="zero"),
        }


def test_every_enterprise_measure_identical(stats):
    d, s = measures_from(stats["duckdb"]), measures_from(stats["spark"])
    for name in d:
        # exact statistics -> bit-identical indices; revenue (a DOUBLE sum) at 1e-12
        same(d[name], s[name], exact=name != "ellison_glaeser_revenue"
             and name != "ellison_glaeser")
    eg = d["ellison_glaeser"]
    same(eg[["gamma", "raw_concentration", "plant_herfindahl"]],
         measures_from(stats["spark"])["ellison_glaeser"][
             ["gamma", "raw_concentration", "plant_herfindahl"]], exact=True)
    assert eg["gamma"].isna().any() and eg["gamma"].notna().sum() > 10


def test_distance_colocation_on_identical_samples(engines, register_parquet):
    src = f"parquet:{register_parquet}"
    res = []
    for e in ("duckdb", "spark"):
        smp = engines[e].sample(src, id="enterprise_id", by=["industry"], k=60, seed=3,
                                columns=["lon", "lat"])
        res.append(m.colocation(smp, region=None, lon="lon", lat="lat", distance=50.0,
                                permutations=19, seed=2).to_frame())
    same(res[0], res[1], exact=True)


def test_spark_errors_keep_sql_and_table(spark_backend):
    with pytest.raises(BackendError) as info:
        spark_backend.aggregate("hive:no_such_db.firms", by=["region"],
                                metrics=["employment"])
    assert info.value.table == "`no_such_db`.`firms`"
    assert "no_such_db" in info.value.sql


def test_module_level_helpers_accept_a_backend(spark_backend, register_parquet):
    a = aggregate(f"parquet:{register_parquet}", engine=spark_backend,
                  by=["industry"], metrics=["employment"])
    b = aggregate(f"parquet:{register_parquet}", by=["industry"], metrics=["employment"])
    same(a.frame, b.frame, exact=True)
    c = sample(f"parquet:{register_parquet}", engine=spark_backend, k=3, seed=1)
    d = sample(f"parquet:{register_parquet}", k=3, seed=1)
    pd.testing.assert_frame_equal(c, d, check_exact=True)


@pytest.mark.parametrize("ansi", ["true", "false"])
def test_spark_decimal_overflow_is_an_error(spark, spark_backend, tmp_path, ansi):
    """ANSI mode raises on overflow; without it (Spark 3.x default) Spark returns NULL,
    which the backend refuses instead of passing on as a missing sum."""
    path = tmp_path / "big.parquet"
    pd.DataFrame({"g": ["a", "a"], "x": np.array([9 * 10**18] * 2, dtype=np.int64)}
                 ).to_parquet(path, index=False)
    old = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", ansi)
    try:
        with pytest.raises(BackendError) as info:
            spark_backend.aggregate(f"parquet:{path}", by=["g"], metrics=["x"])
        assert "SUM" in info.value.sql
    finally:
        spark.conf.set("spark.sql.ansi.enabled", old)
