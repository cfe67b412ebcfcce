"""Reading enterprise records: aliases, units, and clear errors naming firm and field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomera.errors import SchemaError
from agglomera.screening.records import normalise_records, read_records, records_from_db

from .helpers import firm, run, status


def frame(**fields) -> pd.DataFrame:
    return pd.DataFrame(firm("ACME", **fields))


def test_chinese_aliases_are_accepted():
    df = pd.DataFrame({"企业编号": ["A", "A"], "会计年度": [2023, 2024],
                       "科技人员数": [12, 15], "职工总数": [100, 100],
                       "研发费用": ["1,000", "2,000"], "是否": [1, 2]})
    out = normalise_records(df)
    assert list(out.columns[:2]) == ["firm_id", "fiscal_year"]
    assert out["st_personnel"].tolist() == [12, 15]
    assert out["rd_expense"].tolist() == [1000.0, 2000.0]
    assert "是否" not in out.columns  # unknown headers are ignored


def test_text_in_a_number_names_firm_year_and_field():
    with pytest.raises(SchemaError) as e:
        normalise_records(frame(st_personnel=["12", "abc", "15"], total_employees=100))
    msg = str(e.value)
    assert "firm ACME, fiscal year 2023, field 'st_personnel' (科技人员数)" in msg
    assert "'abc' is not a number" in msg


def test_negative_staff_is_rejected():
    with pytest.raises(SchemaError, match=r"firm ACME, fiscal year 2022, field "
                                          r"'total_employees'.*negative"):
        normalise_records(frame(total_employees=[-5, 10, 10]))


def test_share_above_100_percent_is_rejected():
    with pytest.raises(SchemaError) as e:
        normalise_records(frame(st_personnel=120, total_employees=100))
    assert "firm ACME" in str(e.value) and "'st_personnel'" in str(e.value)
    assert "share above 100 %" in str(e.value)
    with pytest.raises(SchemaError, match="domestic_rd_expense"):
        normalise_records(frame(domestic_rd_expense=2e6, rd_expense=1e6))
    with pytest.raises(SchemaError, match="national_niche_market_share.*above 100"):
        normalise_records(frame(national_niche_market_share=120))


def test_all_problems_are_reported_together():
    with pytest.raises(SchemaError) as e:
        normalise_records(frame(st_personnel="x", total_employees=-1))
    assert "6 problem(s)" in str(e.value)


def test_bad_boolean_and_date():
    with pytest.raises(SchemaError, match="'maybe' is not yes/no"):
        normalise_records(frame(has_own_brand="maybe"))
    with pytest.raises(SchemaError, match="'soon' is not a date"):
        normalise_records(frame(registration_date="soon"))


def test_duplicate_firm_year_and_missing_keys():
    df = pd.concat([frame(), frame()])
    with pytest.raises(SchemaError, match="firm ACME, fiscal year 2022.*appears twice"):
        normalise_records(df)
    with pytest.raises(SchemaError, match="no 'fiscal_year' column"):
        normalise_records(pd.DataFrame({"firm_id": ["a"]}))
    with pytest.raises(SchemaError, match="money unit"):
        normalise_records(frame(), money_unit="dollars")


def test_missing_markers_stay_missing_not_zero():
    out = normalise_records(frame(rd_expense=["", "—", "5"]))
    assert np.isnan(out["rd_expense"].iloc[0]) and np.isnan(out["rd_expense"].iloc[1])
    assert out["rd_expense"].iloc[2] == 5


def test_money_unit_10k_yuan_scales_money_only():
    out = normalise_records(frame(rd_expense=150, total_employees=150),
                            money_unit="10k-yuan")
    assert out["rd_expense"].iloc[0] == 1_500_000
    assert out["total_employees"].iloc[0] == 150


def test_rank_zero_means_no_award():
    """0 = no award: fails '排名前三' instead of passing as rank 0."""
    r = run(firm(national_st_award_rank_last_3_years=0), "little-giant-2022")
    assert status(r, "lg22.national_st_award") == "fail"


def test_read_records_csv_gb18030_and_excel(tmp_path):
    df = pd.DataFrame({"企业编号": ["A"], "会计年度": [2024], "职工总数": [10]})
    csv = tmp_path / "f.csv"
    df.to_csv(csv, index=False, encoding="gb18030")
    assert read_records(csv)["total_employees"].iloc[0] == 10
    xlsx = tmp_path / "f.xlsx"
    df.to_excel(xlsx, index=False)
    assert read_records(xlsx)["firm_id"].iloc[0] == "A"
    with pytest.raises(SchemaError, match="no such file"):
        read_records(tmp_path / "nope.csv")


def test_records_from_db_maps_ids_years_and_attributes(tmp_path):
    from agglomera.ingest import import_files

    src = tmp_path / "ent.csv"
    src.write_text("统一社会信用代码,企业名称,地区,年份,从业人员,营业收入,科技人员数,"
                   "core_technology_field\n"
                   "E1,Acme,沈阳市,2023,100,5000,12,电子信息\n"
                   "E1,Acme,沈阳市,2024,100,5500,15,电子信息\n", encoding="utf-8")
    db = tmp_path / "e.duckdb"
    import_files(db, [src], kind="enterprises")
    out = records_from_db(db)
    assert set(out["firm_id"]) == {"E1"}
    assert sorted(out["fiscal_year"]) == [2023, 2024]
    out = out.sort_values("fiscal_year")
    assert out["st_personnel"].tolist() == [12, 15]
    assert out["total_employees"].tolist() == [100, 100]
    assert out["operating_revenue"].tolist() == [5000, 5500]
    assert out["core_technology_field"].iloc[0] == "电子信息"
    assert out["region_code"].iloc[0] == "210100"
    with pytest.raises(SchemaError, match="no such database"):
        records_from_db(tmp_path / "none.duckdb")


def test_every_field_is_documented():
    from pathlib import Path

    from agglomera.screening.fields import FIELDS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "enterprise-fields.md").read_text(
        encoding="utf-8")
    missing = [n for n in FIELDS if f"`{n}`" not in doc]
    assert not missing, f"document {missing} in docs/enterprise-fields.md"
