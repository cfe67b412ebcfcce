"""Cluster definitions: US benchmark presets read from the shared data, the bundled Jilin
categories, user YAML/CSV files, aggregation of industry data to clusters."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomera.clusters import load_definitions
from agglomera.errors import DuplicateKeyWarning, MissingValueWarning, SchemaError


@pytest.fixture(scope="module")
def data_dir() -> Path:
    from agglomera.config import Settings

    d = Settings().resolved_data_dir()
    if d is None or not (d / "us" / "uscmp_cluster_naics_definitions_api2018.csv").exists():
        pytest.skip("shared data (us/uscmp_*.csv) not available; set AGGLOMERA_DATA_DIR")
    return d


def test_us_cmp_preset_matches_the_published_counts(data_dir):
    d = load_definitions("us-cmp", data_dir=data_dir)
    c = d.clusters()
    # DPS (2016) / CMP: 51 traded and 16 local clusters; 978 NAICS-2012 codes
    assert len(c) == 67
    assert int(c["traded"].sum()) == 51
    assert len(d.table) == 978
    assert d.industry_scheme == "NAICS 2012"
    assert not d.table.duplicated("industry_code").any()  # each code in one cluster
    # independent read of the raw file
    raw = pd.read_csv(data_dir / "us" / "uscmp_cluster_naics_definitions_api2018.csv",
                      dtype=str)
    raw = raw[raw["naics_vintage"] == "2012"]
    got = d.table.set_index("industry_code")["cluster_code"]
    assert (got.loc[raw["naics"]].to_numpy() == raw["cluster_key"].to_numpy()).all()
    aero = d.table[d.table["industry_code"] == "336411"]["cluster_name_en"].iloc[0]
    assert aero == "Aerospace Vehicles and Defense"
    older = load_definitions("us-cmp", data_dir=data_dir, vintage=2007)
    assert older.industry_scheme == "NAICS 2007" and len(older.table) == 1088


def test_us_subcluster_crosswalk_agrees_with_the_api_clusters(data_dir):
    api = load_definitions("us-cmp", data_dir=data_dir).table
    sub = load_definitions("us-cmp-subclusters", data_dir=data_dir).table
    assert sub["cluster_code"].str.contains("/").all()
    names_api = api.set_index("industry_code")["cluster_name_en"]
    names_sub = sub.set_index("industry_code")["cluster_name_en"].str.split(": ").str[0]
    common = names_api.index.intersection(names_sub.index)
    assert len(common) > 900  # PROVENANCE: 950 of 978 shared
    assert (names_api.loc[common] == names_sub.loc[common]).mean() == 1.0


def test_us_preset_without_data_dir_says_what_to_do():
    with pytest.raises(SchemaError, match="data_dir"):
        load_definitions("us-cmp")


def test_jilin_categories_cover_the_plan_and_are_disjoint():
    from agglomera.bundled import domain_figures

    d = load_definitions("jilin-plan-2017")
    plan = domain_figures()["jilin_plan_2017"]["by_category"]
    assert d.clusters()["cluster_name_en"].tolist() == list(plan)
    assert not d.table.duplicated("industry_code").any()
    assert set(d.table["industry_scheme"]) == {"GB/T 4754-2017"}
    assert d.table["cluster_name_zh"].notna().all()


def test_yaml_and_csv_definitions(tmp_path):
    y = tmp_path / "mine.yaml"
    y.write_text("scheme: mine\nclusters:\n"
                 "  - {code: auto, name_zh: 汽车, traded: true, industries: ['36', '3670']}\n"
                 "  - {code: food, industries: ['13', '14']}\n", encoding="utf-8")
    d = load_definitions(y)
    assert d.scheme == "mine" and len(d.table) == 4
    assert d.clusters().set_index("cluster_code").loc["auto", "traded"]
    assert d.clusters()["traded"].isna().tolist() == [False, True]
    c = tmp_path / "defs.csv"
    c.write_text("集群,行业代码,traded\nauto,36,Traded\nfood,13,Local\n", encoding="utf-8")
    d2 = load_definitions(c, scheme="zh")
    assert d2.table["cluster_code"].tolist() == ["auto", "food"]
    assert d2.table["traded"].tolist() == [True, False]
    bad = tmp_path / "bad.csv"
    bad.write_text("cluster_code,industry_code\nauto,99\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="not GB/T 4754-2017"):
        load_definitions(bad)
    with pytest.raises(SchemaError, match="no such file, and not a preset"):
        load_definitions(tmp_path / "none.yaml")
    noind = tmp_path / "noind.yaml"
    noind.write_text("clusters:\n  - {code: a}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="needs 'code' and 'industries'"):
        load_definitions(noind)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="industry_code"):
        load_definitions(nocol)
    overlap = tmp_path / "overlap.yaml"
    overlap.write_text("clusters:\n  - {code: a, industries: ['36']}\n"
                       "  - {code: b, industries: ['36']}\n", encoding="utf-8")
    with pytest.warns(DuplicateKeyWarning, match="more than one cluster"):
        load_definitions(overlap)


def test_aggregate_sums_members_and_keeps_missing_missing():
    d = load_definitions("jilin-plan-2017")
    data = pd.DataFrame({"region": ["220000"] * 5 + ["210000"] * 2,
                         "industry": ["36", "13", "14", "15", "99x", "14", "15"],
                         "employment": [10.0, 5.0, 3.0, 2.0, 7.0, np.nan, 4.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        agg = d.aggregate(data)
    kinds = {type(w.message) for w in caught}
    assert MissingValueWarning in kinds
    assert any("in no cluster" in str(w.message) for w in caught)
    got = agg.set_index(["region", "cluster"])["employment"]
    assert got[("220000", "auto_parts")] == 10.0
    assert got[("220000", "food_processing")] == 5.0  # 14 + 15
    assert got[("220000", "agro_processing")] == 5.0
    assert np.isnan(got[("210000", "food_processing")])  # 14 missing: not 4
    with pytest.raises(SchemaError, match="missing member"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the unassigned industry 99x
        d.aggregate(data, missing="raise")
