"""The command line: import, db info, demo."""

from __future__ import annotations

from typer.testing import CliRunner

from agglomera.cli.main import app

runner = CliRunner()


def _csv(tmp_path, name="t.csv"):
    f = tmp_path / name
    f.write_text("地区,年份,从业人员(万人)\n辽宁,2015,10.5\n吉林,2015,—\n", encoding="utf-8")
    return f


def test_import_then_again_says_nothing_changed(tmp_path):
    db = tmp_path / "c.duckdb"
    f = _csv(tmp_path)
    first = runner.invoke(app, ["import", str(f), "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert "imported 2 rows as source 1" in first.output
    again = runner.invoke(app, ["import", str(f), "--db", str(db)])
    assert again.exit_code == 0
    assert "already imported as source 1" in again.output
    assert "Nothing changed" in again.output


def test_db_info_lists_sources_and_metrics(tmp_path):
    db = tmp_path / "c.duckdb"
    runner.invoke(app, ["import", str(_csv(tmp_path)), "--db", str(db)])
    info = runner.invoke(app, ["db", "info", "--db", str(db)])
    assert info.exit_code == 0, info.output
    assert "schema version 3" in info.output
    assert "t.csv" in info.output
    assert "employment" in info.output and "persons" in info.output
    assert "observations: 2" in info.output


def test_db_info_on_missing_database_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["db", "info", "--db", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 2
    assert "No database at" in res.output


def test_demo_builds_and_prints_the_northeast_comparison(tmp_path):
    db = tmp_path / "demo.duckdb"
    res = runner.invoke(app, ["demo", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "6,597 observations" in res.output
    # Liaoning private & self-employed total 2006: 376.5 (10 000 persons), CSY2007 5-12
    assert "376.5" in res.output
    # Jiangsu employed persons 2007: 4,193.2 (10 000 persons), CSY2008 4-4
    assert "4,193.2" in res.output


def test_regions_define_and_list(tmp_path):
    db = tmp_path / "z.duckdb"
    f = tmp_path / "zones.csv"
    f.write_text("code,name_zh,name_en,level,parent,members\n"
                 "Z-SY-HUNNAN,沈阳浑南高新区,Shenyang Hunnan Hi-tech Zone,zone,沈阳,沈阳市\n",
                 encoding="gb18030")
    res = runner.invoke(app, ["regions", "define", str(f), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "1 region(s) defined" in res.output
    listed = runner.invoke(app, ["regions", "list", "--db", str(db), "--level", "zone"])
    assert "Z-SY-HUNNAN" in listed.output and "210100" in listed.output


def test_regions_define_with_unknown_member_exits_2(tmp_path):
    f = tmp_path / "zones.csv"
    f.write_text("code,name_zh,members\nZ1,某园区,沈杨市\n", encoding="utf-8")
    res = runner.invoke(app, ["regions", "define", str(f), "--db", str(tmp_path / "z.duckdb")])
    assert res.exit_code == 2
    assert "member '沈杨市' is not a known region" in res.output
    assert "沈阳市" in res.output  # the closest suggestion


def test_industries_define(tmp_path):
    f = tmp_path / "naics.csv"
    f.write_text("code,name_en,level,parent\n31-33,Manufacturing,sector,\n"
                 "336,Transportation Equipment,subsector,31-33\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    res = runner.invoke(app, ["industries", "define", str(f), "--scheme", "NAICS 2012",
                              "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "2 industries defined" in res.output
