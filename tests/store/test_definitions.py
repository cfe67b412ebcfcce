"""User-defined regions (development zones) and classifications (NAICS, user schemes)."""

from __future__ import annotations

import pandas as pd
import pytest

from agglomera import import_files, open_store
from agglomera.errors import SchemaError


def test_development_zone_with_members_is_matched_on_import(tmp_path):
    db = tmp_path / "z.duckdb"
    with open_store(db) as store:
        n = store.define_regions(pd.DataFrame([{
            "code": "Z-CC-HITECH", "name_zh": "长春高新技术产业开发区",
            "name_en": "Changchun Hi-tech Zone", "level": "zone", "parent": "长春市",
            "members": "长春市", "aliases": "长春高新区"}]))
        assert n == 1
        members = store.con.execute("SELECT member_code FROM region_members "
                                    "WHERE group_code = 'Z-CC-HITECH'").fetchall()
        assert members == [("220100",)]
    f = tmp_path / "zone.csv"
    f.write_text("地区,年份,工业总产值(亿元)\n长春高新区,2017,1234.5\n", encoding="utf-8")
    import_files(db, [f])
    with open_store(db, read_only=True) as store:
        df = store.observations()
    assert df.region_code.tolist() == ["Z-CC-HITECH"]
    assert df.region_level.tolist() == ["zone"]
    assert df.value.tolist() == [123_450_000_000]


def test_region_definitions_report_every_problem(tmp_path):
    with open_store(tmp_path / "z.duckdb") as store:
        with pytest.raises(SchemaError) as info:
            store.define_regions(pd.DataFrame([
                {"code": "210000", "name_zh": "x"},
                {"code": "Z1", "name_zh": "y", "members": "辽守省;Shenyang"},
            ]))
    msg = str(info.value)
    assert "row 2: code '210000'" in msg
    assert "member '辽守省' is not a known region" in msg


def test_user_classification_is_used_on_import(tmp_path):
    db = tmp_path / "n.duckdb"
    with open_store(db) as store:
        store.define_classification("NAICS 2012", pd.DataFrame([
            {"code": "31-33", "name_en": "Manufacturing", "level": "sector"},
            {"code": "336", "name_en": "Transportation Equipment Manufacturing",
             "level": "subsector", "parent": "31-33"}]))
    f = tmp_path / "us.csv"
    f.write_text("region,industry_code,year,metric,value\nJiangsu,336,2019,employment,5\n",
                 encoding="utf-8")
    import_files(db, [f], industry_scheme="NAICS 2012")
    with open_store(db, read_only=True) as store:
        df = store.observations()
    assert df.industry_scheme.tolist() == ["NAICS 2012"]
    assert df.industry_name.tolist() == ["Transportation Equipment Manufacturing"]


def test_unknown_scheme_is_refused(tmp_path):
    f = tmp_path / "us.csv"
    f.write_text("region,industry_code,year,metric,value\nJiangsu,336,2019,employment,5\n",
                 encoding="utf-8")
    with pytest.raises(SchemaError, match="unknown industry scheme 'NAICS 2017'"):
        import_files(tmp_path / "n.duckdb", [f], industry_scheme="NAICS 2017")
