"""Imports of real-looking files, checked value by value against the numbers written in them."""

from __future__ import annotations

import csv
import gzip
import io
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from agglomera import import_files, open_store
from agglomera.bundled import nbs_files

UNIT_FACTORS = {
    "10 000 persons": 1e4, "yuan": 1.0, "100 million yuan": 1e8, "USD 10 000": 1e4,
    "10 000 yuan": 1e4, "man-year": 1.0, "person": 1.0, "item": 1.0, "unit": 1.0,
    "%": 1.0, "% (total=100)": 1.0, "% (GRP=100)": 1.0, "preceding year=100": 1.0,
    "rank": 1.0, "times/year": 1.0, "10 000 yuan/person": 1e4, "yuan/person-year": 1.0,
}


CANONICAL = {"gross_regional_product": "gdp", "total_wage_bill": "wage_bill",
             "average_wage": "average_wage",
             "foreign_direct_investment_actually_used": "fdi"}


def shared_nbs_dir() -> Path | None:
    base = os.environ.get("AGGLOMERA_DATA_DIR")
    cands = [Path(base) / "nbs"] if base else []
    cands.append(Path(__file__).resolve().parents[3] / "shared" / "data" / "nbs")
    return next((c for c in cands if c.is_dir()), None)


@pytest.fixture(scope="module")
def nbs_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("nbs") / "nbs.duckdb"
    result = import_files(db, nbs_files())
    assert all(o.status == "imported" for o in result.outcomes)
    assert result.rows_rejected == 0
    return db


def _source_rows(name: str) -> list[dict[str, str]]:
    """The transcribed rows, read with the csv module (not with agglomera)."""
    shared = shared_nbs_dir()
    if shared is not None:
        text = (shared / f"{name}.csv").read_text(encoding="utf-8")
    else:
        text = gzip.decompress(
            next(p for p in nbs_files() if p.name.startswith(name)).read_bytes()
        ).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("name", ["nbs_employment", "nbs_wages", "nbs_grp", "nbs_fdi_trade",
                                  "nbs_industry", "nbs_rnd"])
def test_bundled_tables_match_the_printed_numbers(nbs_db, name):
    rows = _source_rows(name)
    with open_store(nbs_db, read_only=True) as store:
        got = store.con.execute(
            "SELECT o.table_ref, o.year, o.region_name_en, o.metric, o.value, o.unit_original,"
            " o.value_original, o.marker, o.source_row FROM observations o "
            "JOIN sources s USING (source_id) WHERE s.file_name = ?", [f"{name}.csv.gz"]).df()
    assert len(got) == len(rows)
    got = got.set_index("source_row").sort_index()
    for line, row in enumerate(rows, start=2):
        g = got.loc[line]
        assert g.table_ref == row["table_id"]
        assert int(g.year) == int(row["data_year"])
        # known metrics get their canonical name (gross_regional_product -> gdp)
        assert g.metric == (CANONICAL.get(row["metric"]) or row["metric"])
        assert g.unit_original == row["unit"]
        if row["value"]:
            assert g.value_original == row["value"]
        else:
            assert pd.isna(g.value_original)
        if row["value"] == "":
            assert pd.isna(g.value) and g.marker == ""  # blank kept as missing, never 0
        else:
            expected = float(row["value"]) * UNIT_FACTORS[row["unit"]]
            assert g.value == pytest.approx(expected, rel=1e-12)


def test_bundled_regions_and_totals_are_kept_apart(nbs_db):
    with open_store(nbs_db, read_only=True) as store:
        levels = dict(store.con.execute(
            "SELECT DISTINCT region_code, region_level FROM observations").fetchall())
    assert levels["100000"] == "nation"  # National Total
    assert levels["210000"] == "province"  # Liaoning
    assert levels["220000"] == "province"  # "Jilin" is the province, not Jilin City
    assert "220200" not in levels
    assert levels["X-REGIONAL-TOTAL"] == "aggregate"
    assert levels["X-NORTHEAST"] == "group"


def test_liaoning_private_employment_2006(nbs_db):
    # CSY2007 table 5-12: Liaoning, total 376.5 (10 000 persons); manufacturing 67.1
    with open_store(nbs_db, read_only=True) as store:
        df = store.observations(table_ref="CSY2007-5-12", region_code="210000")
    by = dict(zip(df["industry_name_en"], df["value"], strict=True))
    assert by["Total"] == pytest.approx(3_765_000)
    assert by["Manufacturing"] == pytest.approx(671_000)
    assert set(df["unit"]) == {"persons"}


# --------------------------------------------------------------------------- GB18030


def test_gb18030_csv_with_chinese_headers(tmp_path):
    text = (
        "地区,行业,年份,从业人员(万人),工业总产值(亿元)\n"
        "辽宁省,制造业,2015,123.4,5000.5\n"
        "吉林,制造业,2015,—,2100\n"
        "Heilongjiang,采矿业,2015,45.6,…\n"
        "210000,采矿业,2015,12.0,300\n"
    )
    f = tmp_path / "gbk.csv"
    f.write_bytes(text.encode("gb18030"))
    db = tmp_path / "t.duckdb"
    res = import_files(db, [f])
    assert res.outcomes[0].encoding == "gb18030"
    with open_store(db, read_only=True) as store:
        df = store.con.execute(
            "SELECT region_code, industry_code, metric, value, unit, marker FROM observations"
        ).df()
    emp = df[df.metric == "employment"].set_index(["region_code", "industry_code"])
    assert emp.loc[("210000", "C"), "value"] == pytest.approx(1_234_000)
    assert emp.loc[("210000", "B"), "value"] == pytest.approx(120_000)
    assert pd.isna(emp.loc[("220000", "C"), "value"])
    assert emp.loc[("220000", "C"), "marker"] == "—"
    out = df[df.metric == "gross_industrial_output"].set_index(["region_code",
                                                                "industry_code"])
    assert out.loc[("210000", "C"), "value"] == pytest.approx(5000.5e8)
    assert out.loc[("230000", "B"), "marker"] == "…"
    assert set(df.unit.dropna()) == {"persons", "yuan"}


# --------------------------------------------------------------------------- yearbook xlsx


def _yearbook_workbook(path: Path) -> None:
    """A sheet laid out like CSY tables: title, units line, merged two-row header,
    indented names, a national total row, missing markers and footnotes."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "4-7"
    ws["A1"] = "4-7 各地区按行业分城镇单位就业人员数(2015年)"
    ws["A2"] = "单位：万人"
    ws["A3"] = "地  区"
    ws.merge_cells("A3:A4")
    ws["B3"] = "合计"
    ws.merge_cells("B3:B4")
    ws["C3"] = "第二产业"
    ws.merge_cells("C3:D3")
    ws["C4"] = "采矿业"
    ws["D4"] = "制造业"
    ws["E3"] = "第三产业"
    ws["E4"] = "金融业"
    rows = [
        ("全  国", 18062.5, 545.8, 5068.7, 606.8),
        ("  辽  宁", 625.5, 35.1, 156.8, "—"),
        ("  吉  林", 345.3, 24.2, 79.6, 16.9),
        ("  黑龙江", 454.1, 61.2, 68.3, "…"),
        ("  江  苏", 1532.4, 6.9, 663.8, 38.5),
    ]
    for i, r in enumerate(rows, start=5):
        for j, v in enumerate(r, start=1):
            ws.cell(row=i, column=j, value=v)
    ws["A11"] = "注：本表数据不含私营单位。"
    ws["A12"] = "资料来源：国家统计局。"
    wb.save(path)


def test_yearbook_xlsx_with_merged_headers_units_and_footnotes(tmp_path):
    f = tmp_path / "yearbook.xlsx"
    _yearbook_workbook(f)
    db = tmp_path / "t.duckdb"
    res = import_files(db, [f], metric="employment")
    o = res.outcomes[0]
    assert o.status == "imported" and o.rows_rejected == 0 and o.rows_accepted == 20
    with open_store(db, read_only=True) as store:
        df = store.con.execute(
            "SELECT region_code, region_level, industry_scheme, industry_code, year, value, "
            "unit, unit_original, marker, source_row FROM observations").df()
        src = store.con.execute("SELECT title, notes, sheet FROM sources").fetchone()
    assert set(df.year) == {2015}  # from the title
    assert set(df.unit) == {"persons"} and set(df.unit_original) == {"万人"}
    idx = df.set_index(["region_code", "industry_code"])
    assert idx.loc[("100000", "_T"), "value"] == pytest.approx(180_625_000)
    assert idx.loc[("100000", "_T"), "region_level"] == "nation"
    assert idx.loc[("210000", "06" if False else "B"), "value"] == pytest.approx(351_000)
    assert idx.loc[("320000", "C"), "value"] == pytest.approx(6_638_000)
    assert pd.isna(idx.loc[("210000", "J"), "value"])
    assert idx.loc[("210000", "J"), "marker"] == "—"
    assert idx.loc[("230000", "J"), "marker"] == "…"
    assert idx.loc[("220000", "J"), "source_row"] == 7  # spreadsheet row number
    assert "2015" in src[0] and src[2] == "4-7"
    assert "不含私营单位" in src[1] and "万人" in src[1]


def test_same_file_twice_changes_nothing(tmp_path):
    f = tmp_path / "yearbook.xlsx"
    _yearbook_workbook(f)
    db = tmp_path / "t.duckdb"
    first = import_files(db, [f], metric="employment")
    second = import_files(db, [f], metric="employment")
    assert first.changed and not second.changed
    assert second.outcomes[0].status == "skipped"
    assert "already imported" in second.outcomes[0].message
    with open_store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM observations").fetchone()[0] == 20
        assert store.con.execute("SELECT count(*) FROM sources").fetchone()[0] == 1


# --------------------------------------------------------------------------- wide layouts


def test_wide_regions_by_years_xls(tmp_path):
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("GDP")
    ws.write(0, 0, "Gross Regional Product by Region")
    ws.write(1, 0, "(100 million yuan)")
    header = ["Region", 2013, 2014, 2015]
    for j, h in enumerate(header):
        ws.write(2, j, h)
    data = [("Liaoning", 27213.2, 28626.6, 28669.0), ("Jilin", 13046.4, 13803.1, 14063.1),
            ("Heilongjiang", 14454.9, 15039.4, 15083.7), ("Jiangsu", 59753.4, 65088.3, 70116.4)]
    for i, r in enumerate(data, start=3):
        for j, v in enumerate(r):
            ws.write(i, j, v)
    f = tmp_path / "grp.xls"
    wb.save(str(f))
    db = tmp_path / "t.duckdb"
    res = import_files(db, [f], metric="gdp")
    assert res.outcomes[0].layout.startswith("wide:region")
    with open_store(db, read_only=True) as store:
        df = store.observations(metric="gdp")
    assert len(df) == 12
    got = df.pivot_table(index="region_code", columns="year", values="value")
    for name, code in (("Liaoning", "210000"), ("Jilin", "220000"),
                       ("Heilongjiang", "230000"), ("Jiangsu", "320000")):
        row = next(r for r in data if r[0] == name)
        for year, v in zip((2013, 2014, 2015), row[1:], strict=True):
            assert got.loc[code, year] == pytest.approx(v * 1e8)
    assert set(df.industry_code) == {"_T"}


def test_wide_industries_by_years_with_region_option(tmp_path):
    text = ("行业,单位,2016年,2017年\n"
            "制造业,亿元,100.5,110.25\n"
            "建筑业,亿元,20,—\n")
    f = tmp_path / "kunshan.csv"
    f.write_text(text, encoding="utf-8-sig")
    db = tmp_path / "t.duckdb"
    import_files(db, [f], region="昆山市", metric="gross_industrial_output")
    with open_store(db, read_only=True) as store:
        df = store.observations()
    assert set(df.region_code) == {"320583"}
    idx = df.set_index(["industry_code", "year"])
    assert idx.loc[("C", 2017), "value"] == pytest.approx(110.25e8)
    assert idx.loc[("E", 2016), "value"] == pytest.approx(20e8)
    assert idx.loc[("E", 2017), "marker"] == "—"


def test_parquet_long_file(tmp_path):
    frame = pd.DataFrame({"region": ["Liaoning", "Jiangsu"], "industry": ["13", "13"],
                          "year": [2020, 2020], "metric": ["employment"] * 2,
                          "value": [1.5, 2.5], "unit": ["万人", "万人"]})
    f = tmp_path / "long.parquet"
    frame.to_parquet(f)
    db = tmp_path / "t.duckdb"
    import_files(db, [f])
    with open_store(db, read_only=True) as store:
        df = store.observations()
    assert sorted(df.value) == [15_000, 25_000]
    assert set(df.industry_scheme) == {"GB/T 4754-2017"}


def test_region_forms_all_match(tmp_path):
    lines = ["region,year,metric,value"]
    for i, name in enumerate(["辽宁省", "辽 宁", "Liaoning", "210000", "Liaoning Province"]):
        lines.append(f"{name},{2000 + i},gdp,1")
    f = tmp_path / "forms.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "t.duckdb"
    import_files(db, [f])
    with duckdb.connect(str(db), read_only=True) as con:
        codes = {r[0] for r in con.execute("SELECT region_code FROM observations").fetchall()}
    assert codes == {"210000"}
