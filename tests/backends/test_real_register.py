"""A real register through both engines: the Shenzhen Stock Exchange's list of 2,875
listed A-share companies (``china/szse_listed_companies_2025.csv`` in the shared data,
see its PROVENANCE.md; read in place, never copied), with province, CSRC industry
section and total shares (up to 1.9e10, a BIGINT whose squares exceed 2^64).

Ellison-Glaeser concentration of CSRC sections across provinces, firm size = total
shares: the SQL route equals the plant-record function, and Spark equals DuckDB bit
for bit; samples by the text stock code (leading zeros) are identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomera import measures as m
from agglomera.config import Settings


@pytest.fixture(scope="module")
def szse(tmp_path_factory):
    data_dir = Settings().resolved_data_dir()
    path = None if data_dir is None else data_dir / "china" / "szse_listed_companies_2025.csv"
    if path is None or not path.exists():
        pytest.skip("shared data china/szse_listed_companies_2025.csv not found; set "
                    "AGGLOMERA_DATA_DIR to the shared data folder")
    firms = pd.read_csv(path, dtype={"a_share_code": str})
    firms = firms[["a_share_code", "province", "industry_csrc_section",
                   "a_share_total_shares"]].rename(
        columns={"province": "region", "industry_csrc_section": "industry",
                 "a_share_total_shares": "shares"})
    firms["shares"] = pd.array(firms["shares"], dtype="Int64")
    out = tmp_path_factory.mktemp("szse") / "szse.parquet"
    firms.to_parquet(out, index=False)
    return firms, f"parquet:{out}"


def test_szse_eg_sql_route_equals_plant_records(szse):
    from agglomera.backends import aggregate

    firms, src = szse
    assert len(firms) > 2800 and firms["shares"].max() > 2**32
    stats = aggregate(src, by=["region", "industry"], metrics=["shares"])
    assert stats.exact == {"shares": True}
    got = m.ellison_glaeser_from_stats(stats, value="shares", missing="raise")
    plants = firms.dropna(subset=["region", "industry"]).assign(
        shares=lambda d: d["shares"].astype(float))
    assert len(plants) == len(firms)  # no missing labels or sizes in this list
    ref = m.ellison_glaeser(plants, value="shares", missing="raise")
    assert got.gamma.index.tolist() == ref.gamma.index.tolist()
    # float64 squares of 1e10 in the plant path round; the SQL sums are exact
    np.testing.assert_allclose(got.gamma, ref.gamma, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got.plant_herfindahl, ref.plant_herfindahl, rtol=1e-12)


@pytest.mark.spark
def test_szse_spark_equals_duckdb(szse, spark_backend):
    from agglomera.backends import DuckDBBackend

    _, src = szse
    with DuckDBBackend() as duck:
        d = duck.aggregate(src, by=["region", "industry"], metrics=["shares"])
        ds = duck.sample(src, id="a_share_code", by=["industry"], k=10, seed=2025,
                         columns=["region"])
    s = spark_backend.aggregate(src, by=["region", "industry"], metrics=["shares"])
    ss = spark_backend.sample(src, id="a_share_code", by=["industry"], k=10, seed=2025,
                              columns=["region"])
    pd.testing.assert_frame_equal(d.frame.drop(columns="shares_sum4"),
                                  s.frame.drop(columns="shares_sum4"), check_exact=True)
    np.testing.assert_allclose(d.frame["shares_sum4"], s.frame["shares_sum4"],
                               rtol=1e-12)
    pd.testing.assert_frame_equal(ds, ss, check_exact=True)
    assert ds["a_share_code"].str.len().eq(6).all()  # leading zeros kept as text
    a = m.ellison_glaeser_from_stats(d, value="shares").to_frame()
    b = m.ellison_glaeser_from_stats(s, value="shares").to_frame()
    pd.testing.assert_frame_equal(a.drop(columns=["variance", "zscore", "pvalue"]),
                                  b.drop(columns=["variance", "zscore", "pvalue"]),
                                  check_exact=True)
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
