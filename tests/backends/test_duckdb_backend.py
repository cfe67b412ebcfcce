"""DuckDB backend against independent computations: Python integers and pandas for the
sufficient statistics, hashlib's MD5 for the samples, and the plant-level measures of
agglomera.measures for the *_from_stats entry points."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from agglomera import measures as m
from agglomera.backends import (
    DuckDBBackend,
    Source,
    SufficientStats,
    _sql,
    aggregate,
    get_backend,
    sample,
)
from agglomera.errors import BackendError, MissingValueWarning, SchemaError

KEYS = ["year", "region", "industry"]


def python_stats(df: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Reference: exact sums with Python integers (or math.fsum for floats)."""
    import math

    rows = []
    for key, g in df.groupby(by, dropna=False, sort=False):
        vals = [v for v in g[metric].tolist() if not pd.isna(v)]
        integral = all(float(v).is_integer() for v in vals)
        if integral:
            ints = [int(v) for v in vals]
            s1, s2 = sum(ints), sum(v * v for v in ints)
        else:
            s1, s2 = math.fsum(vals), math.fsum(v * v for v in vals)
        rows.append((*((key,) if len(by) == 1 else key), len(g), len(vals),
                     float(s1) if vals else np.nan, float(s2) if vals else np.nan,
                     min(vals) if vals else np.nan))
    out = pd.DataFrame(rows, columns=[*by, "n_rows", "count", "sum", "sumsq", "min"])
    return out


def test_aggregate_matches_python_integers(register):
    st = aggregate(register, by=KEYS, metrics=["employment"])
    assert isinstance(st, SufficientStats) and st.exact == {"employment": True}
    ref = python_stats(register, KEYS, "employment").sort_values(KEYS, ignore_index=True)
    got = st.frame
    assert len(got) == len(ref)
    assert got[KEYS].astype(str).equals(ref[KEYS].astype(str))
    np.testing.assert_array_equal(got["n_rows"], ref["n_rows"])
    np.testing.assert_array_equal(got["employment_count"], ref["count"])
    # exact: identical doubles, including squares above 2^61 that float sums would round
    np.testing.assert_array_equal(got["employment_sum"], ref["sum"])
    np.testing.assert_array_equal(got["employment_sumsq"], ref["sumsq"])
    assert (got["employment_sumsq"] > 2**61).any()
    np.testing.assert_array_equal(got["employment_min"], ref["min"])
    # a cell without any known size has NULL sums, not 0
    empty = got["employment_count"] == 0
    assert empty.any() and got.loc[empty, "employment_sum"].isna().all()
    assert (got.loc[~empty, "employment_sum"] > 0).all()


def test_float_metric_sums_close_to_fsum(register):
    st = aggregate(register, by=["industry"], metrics=["revenue"])
    assert st.exact == {"revenue": False}
    ref = python_stats(register, ["industry"], "revenue").sort_values("industry",
                                                                     ignore_index=True)
    np.testing.assert_allclose(st.frame["revenue_sum"], ref["sum"], rtol=1e-13)
    np.testing.assert_allclose(st.frame["revenue_sumsq"], ref["sumsq"], rtol=1e-13)
    np.testing.assert_array_equal(st.frame["revenue_count"], ref["count"])


def test_missing_group_keys_are_kept_last(register):
    st = aggregate(register, by=["park"], metrics=["employment"])
    assert st.frame["park"].iloc[:3].tolist() == ["P1", "P2", "P3"]
    assert pd.isna(st.frame["park"].iloc[3])
    assert st.frame["n_rows"].sum() == len(register)
    assert st.frame["n_rows"].iloc[-1] == register["park"].isna().sum()


def test_long_frame_feeds_location_quotient(register):
    st = aggregate(register, by=["region", "industry"], metrics=["revenue"])
    long = st.long("revenue")
    lq = m.location_quotient(long, region="region", industry="industry",
                             value="revenue", missing="zero")
    ref_cells = register.groupby(["region", "industry"])["revenue"].sum(min_count=1)
    ref = m.location_quotient(ref_cells.reset_index(), region="region",
                              industry="industry", value="revenue", missing="zero")
    pd.testing.assert_frame_equal(lq, ref, rtol=1e-12)


def md5_sample(df: pd.DataFrame, *, id: str, by: list[str], k: int, seed: int):
    h = [hashlib.md5(f"{v}#{seed}".encode()).hexdigest() for v in df[id]]
    d = df.assign(_h=h, _t=df[id].astype(str)).sort_values([*by, "_h", "_t"])
    return d.groupby(by, sort=True).head(k)


def test_sample_matches_hashlib(register):
    got = sample(register, id="enterprise_id", by=["industry"], k=25, seed=7,
                 columns=["lon", "lat"])
    ref = md5_sample(register, id="enterprise_id", by=["industry"], k=25, seed=7)
    assert got["enterprise_id"].tolist() == ref["enterprise_id"].tolist()
    assert got["sample_hash"].tolist() == ref["_h"].tolist()
    assert got.groupby("industry").size().max() == 25
    assert (got.groupby("industry").size()["C99"]) == 1  # smaller group: all rows
    other = sample(register, id="enterprise_id", by=["industry"], k=25, seed=8)
    assert set(other["enterprise_id"]) != set(got["enterprise_id"])


def test_sample_is_roughly_uniform(register):
    """Bottom-k by MD5 is a simple random sample: over 40 seeds of 100 firms the share
    of even ids, and of the first half of the ids, stays near 1/2 (binomial sd 0.008;
    sequential ids are the worst case for a weak hash)."""
    ids = register[["enterprise_id"]]
    with DuckDBBackend() as be:
        kept = pd.concat([be.sample(ids, id="enterprise_id", k=100, seed=s)
                          for s in range(40)])
    assert len(kept) == 4000
    assert abs((kept["enterprise_id"] % 2 == 0).mean() - 0.5) < 0.035
    assert abs((kept["enterprise_id"] < 1_005_000).mean() - 0.5) < 0.035


def test_text_ids_and_refused_float_ids():
    df = pd.DataFrame({"uscc": ["91210100MA0XYZ01", "91210100MA0XYZ02", "中文编号"],
                       "industry": ["a", "a", "a"], "x": [1.5, 2.5, 3.5]})
    got = sample(df, id="uscc", by=["industry"], k=2, seed=0)
    ref = md5_sample(df, id="uscc", by=["industry"], k=2, seed=0)
    assert got["uscc"].tolist() == ref["uscc"].tolist()
    with pytest.raises(SchemaError, match="integers or text"):
        sample(df, id="x", by=["industry"], k=2, seed=0)
    with pytest.raises(SchemaError, match="positive integer"):
        sample(df, id="uscc", k=0, seed=0)
    with pytest.raises(SchemaError, match="seed"):
        sample(df, id="uscc", k=1, seed=-1)


# -- measures from statistics equal the plant-level measures ------------------------
@pytest.fixture(scope="module")
def plants(register):
    return register.dropna(subset=["employment"]).assign(
        employment=lambda d: d["employment"].astype(float))


@pytest.fixture(scope="module")
def stats(register):
    return aggregate(register, by=KEYS, metrics=["employment"])


def assert_series(a: pd.Series, b: pd.Series, rtol: float):
    assert a.index.tolist() == b.index.tolist()
    np.testing.assert_array_equal(np.isnan(a.to_numpy()), np.isnan(b.to_numpy()))
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=rtol, equal_nan=True)


def test_eg_from_stats_equals_plant_records(plants, stats):
    ref = m.ellison_glaeser(plants, year="year")
    with pytest.warns(MissingValueWarning, match="missing plant size"):
        got = m.ellison_glaeser_from_stats(stats, year="year")
    # same plants: the missing sizes count as 0 in both (warned), so only their rows
    # in n_plants differ; compare the indices on the plants with a known size
    for name in ("gamma", "raw_concentration", "plant_herfindahl", "variance",
                 "zscore", "pvalue"):
        # the plant path squares in float64, the SQL path exactly: 1e-9 is the
        # rounding of squares near 2^62 in float64, not a difference in formulas
        assert_series(getattr(got, name), getattr(ref, name), rtol=1e-9)
    assert np.isnan(got.gamma.loc[(2020, "C99")]) or np.isnan(got.gamma.loc[(2021,
                                                                             "C99")])


def test_eg_from_stats_on_small_integers_is_exact():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"region": rng.choice(list("abcdef"), 500),
                       "industry": rng.choice(list("uvwxyz"), 500),
                       "employment": rng.integers(1, 500, 500).astype(float)})
    st = aggregate(df, by=["region", "industry"], metrics=["employment"])
    a, b = m.ellison_glaeser(df), m.ellison_glaeser_from_stats(st)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), rtol=1e-13)
    pd.testing.assert_frame_equal(m.maurel_sedillot(df).to_frame(),
                                  m.maurel_sedillot_from_stats(st).to_frame(),
                                  rtol=1e-13)


def test_propagate_and_raise_follow_the_plant_path(register):
    df = register[register["year"] == 2021].drop(columns="year")
    st = aggregate(df, by=["region", "industry"], metrics=["employment"])
    plants = df.assign(employment=df["employment"].astype(float))
    ref = m.ellison_glaeser(plants, missing="propagate")
    got = m.ellison_glaeser_from_stats(st, missing="propagate")
    assert_series(got.gamma, ref.gamma, rtol=1e-9)
    assert got.gamma.isna().all()  # every industry has some missing size
    with pytest.raises(SchemaError, match="missing plant size"):
        m.ellison_glaeser_from_stats(st, missing="raise")


def test_ms_coagglomeration_ls_from_stats(plants, stats):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValueWarning)
        ms = m.maurel_sedillot_from_stats(stats, year="year")
        co = m.coagglomeration_from_stats(
            stats, year="year", groups={f"C{k}": ("g1" if k < 18 else "g2")
                                        for k in [*range(13, 24), 99]})
    assert_series(ms.gamma, m.maurel_sedillot(plants, year="year").gamma, rtol=1e-9)
    ref = m.coagglomeration(plants, year="year",
                            groups={f"C{k}": ("g1" if k < 18 else "g2")
                                    for k in [*range(13, 24), 99]})
    np.testing.assert_allclose(co.matrix.to_numpy(), ref.matrix.to_numpy(), rtol=1e-9,
                               equal_nan=True)
    pd.testing.assert_frame_equal(co.groups, ref.groups, rtol=1e-9, check_index_type=False)
    regions = sorted(plants["region"].unique())
    area = pd.Series(np.linspace(100, 500, len(regions)), index=regions)
    pop = pd.Series(np.linspace(1e5, 9e5, len(regions)), index=regions)
    st_known = aggregate(plants, by=KEYS, metrics=["employment"])
    ls = m.litzenberger_sternberg_from_stats(st_known, area=area, population=pop,
                                             year="year")
    ref_ls = m.litzenberger_sternberg(plants, area=area, population=pop, year="year")
    pd.testing.assert_frame_equal(ls.to_frame(), ref_ls.to_frame(), rtol=1e-9,
                                  check_dtype=False)


def test_colocation_from_counts_equals_firm_records(register):
    st = aggregate(register, by=["region", "industry"], metrics=[])
    got = m.colocation_from_stats(st, permutations=99, seed=5)
    ref = m.colocation(register, permutations=99, seed=5)
    for name in ("colocation", "excess", "expected", "pvalue", "null_low", "null_high"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(ref, name),
                                      rtol=1e-12)


def test_stats_errors_are_clear(stats):
    with pytest.raises(SchemaError, match="lacks columns"):
        m.ellison_glaeser_from_stats(stats, value="revenue")
    with pytest.raises(SchemaError, match="needs the plant records"):
        m.ellison_glaeser_from_stats(stats, year="year", region_totals="pop",
                                     missing="zero")
    with pytest.raises(SchemaError, match="SufficientStats"):
        m.ellison_glaeser_from_stats([1, 2, 3])


# -- sources, errors, SQL subset --------------------------------------------------
def test_parquet_and_duckdb_file_sources(register, register_parquet, tmp_path):
    a = aggregate(f"parquet:{register_parquet}", by=KEYS, metrics=["employment"])
    db = tmp_path / "reg.duckdb"
    con = duckdb.connect(str(db))
    con.register("reg", register)
    con.execute("CREATE TABLE firms AS SELECT * FROM reg")
    con.close()
    b = aggregate(f"duckdb:{db}::firms", by=KEYS, metrics=["employment"])
    c = aggregate(register, by=KEYS, metrics=["employment"])
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    pd.testing.assert_frame_equal(a.frame, c.frame, check_exact=True)
    with pytest.raises(BackendError) as info:
        aggregate(f"duckdb:{db}::no_such_table", by=KEYS, metrics=["employment"])
    assert info.value.table and "no_such_table" in info.value.table
    assert info.value.sql and "no_such_table" in info.value.sql


def test_bad_inputs_name_what_was_wrong(register):
    with pytest.raises(SchemaError, match="not found"):
        aggregate(register, by=["region"], metrics=["headcount"])
    with pytest.raises(SchemaError, match="not numeric"):
        aggregate(register, by=["region"], metrics=["industry"])
    with pytest.raises(SchemaError, match="exact=True"):
        aggregate(register, by=["region"], metrics=["revenue"], exact=True)
    with pytest.raises(SchemaError, match="engine"):
        get_backend("postgres")
    with pytest.raises(SchemaError, match="no Parquet"):
        aggregate("parquet:/nonexistent/x.parquet", metrics=["employment"])
    with pytest.raises(SchemaError, match="kind must be one of"):
        Source.parse("s3:bucket/x")
    with pytest.raises(SchemaError, match="table name"):
        Source.parse("hive:db.t; DROP TABLE x")
    with pytest.raises(SchemaError, match="Hive tables"):
        aggregate("hive:db.firms", metrics=["employment"])


def test_decimal_overflow_is_an_error_not_a_null():
    big = pd.DataFrame({"g": ["a", "a"], "x": np.array([9 * 10**18] * 2, dtype=np.int64)})
    with pytest.raises(BackendError) as info:
        aggregate(big, by=["g"], metrics=["x"])
    assert "SUM" in info.value.sql
    st = aggregate(big, by=["g"], metrics=["x"], exact=False)
    assert st.frame["x_sum"].tolist() == [1.8e19]


def test_identifiers_are_quoted_not_injected():
    weird = 'emp"; DROP TABLE x; --'
    df = pd.DataFrame({"g": ["a", "a"], weird: [1, 2]})
    st = aggregate(df, by=["g"], metrics=[weird])
    assert st.frame[f"{weird}_sum"].tolist() == [3.0]
    assert _sql.SPARK.ident("a`b") == "`a``b`"


def test_sql_stays_in_the_spark_31_subset():
    sql = _sql.aggregate_sql("t", by=["region"], metrics={"e": True, "r": False},
                             dialect=_sql.SPARK)
    sql += _sql.sample_sql("t", id="i", by=["industry"], columns=["lon"], k=3, seed=1,
                           dialect=_sql.SPARK)
    upper = sql.upper()
    for banned in ("GROUP BY ALL", "^", "QUALIFY", "FILTER (", "::", "?", "POW("):
        assert banned not in upper, banned
    assert "DECIMAL(38,0)" in upper


def test_import_without_pyspark():
    code = ("import sys; sys.modules['pyspark'] = None\n"
            "import agglomera, agglomera.backends as b\n"
            "assert 'pyspark.sql' not in sys.modules\n"
            "try:\n    b.get_backend('spark')\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "agglomera[spark]" in out.stdout
    assert DuckDBBackend.name == "duckdb"


@settings(max_examples=25, deadline=None)
@given(hst.lists(hst.tuples(hst.sampled_from(["a", "b", "c"]), hst.sampled_from([1, 2]),
                            hst.one_of(hst.none(), hst.integers(0, 2**31 - 1))),
                 min_size=1, max_size=40))
def test_aggregate_property_exact_sums(rows):
    """Any small register: counts, NULL handling and exact sums equal Python's."""
    df = pd.DataFrame(rows, columns=["region", "industry", "x"])
    df["x"] = pd.array(df["x"], dtype="Int64")
    got = aggregate(df, by=["region", "industry"], metrics=["x"]).frame
    ref = python_stats(df, ["region", "industry"], "x").sort_values(
        ["region", "industry"], ignore_index=True)
    assert got["region"].tolist() == ref["region"].tolist()
    np.testing.assert_array_equal(got["n_rows"], ref["n_rows"])
    np.testing.assert_array_equal(got["x_count"], ref["count"])
    np.testing.assert_array_equal(got["x_sum"], ref["sum"])
    np.testing.assert_array_equal(got["x_sumsq"], ref["sumsq"])


def test_region_industry_measures_on_aggregated_panel(register):
    """Shift-share and the locational Gini on the aggregated cells equal the same
    measures on pandas' own groupby of the records (an independent aggregation)."""
    st = aggregate(register, by=["year", "region", "industry"], metrics=["employment"])
    long = st.long("employment").dropna(subset=["employment"])
    known = register.dropna(subset=["employment"])
    ref = (known.groupby(["year", "region", "industry"], as_index=False)["employment"]
           .sum().astype({"employment": float}))
    kw = {"region": "region", "industry": "industry", "value": "employment",
          "year": "year", "missing": "zero"}
    a = m.shift_share(long, **kw).to_frame()
    b = m.shift_share(ref, **kw).to_frame()
    pd.testing.assert_frame_equal(a, b, rtol=1e-12, check_dtype=False,
                                  check_index_type=False)
    ga = m.locational_gini(long, **kw)
    gb = m.locational_gini(ref, **kw)
    np.testing.assert_allclose(ga.to_numpy(), gb.to_numpy(), rtol=1e-12)
