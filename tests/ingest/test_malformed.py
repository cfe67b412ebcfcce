"""Malformed inputs: every one ends with exit code 2, a message that names the problem
(rule, row, value, suggestion) and a database left exactly as it was.

Each case builds its own small file under ``tmp_path`` and imports it through the CLI into
a database that already holds one good observations file and one good enterprise list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from agglomera.cli.main import app

runner = CliRunner()

GOOD_OBS = (
    "地区,年份,指标,单位,数值\n"
    "辽宁省,2015,从业人员,万人,2265.5\n"
    "吉林省,2015,从业人员,万人,1367.9\n"
    "黑龙江省,2015,从业人员,万人,1969.3\n"
)
GOOD_ENT = (
    "enterprise_id,name,region,industry_code,year,lon,lat,employment\n"
    "E001,沈阳机床,沈阳市,342,2015,123.43,41.80,5200\n"
    "E002,一汽集团,长春市,361,2015,125.32,43.88,118000\n"
)

SNAPSHOT_TABLES = ("observations_data", "enterprises_data", "sources", "source_tables",
                   "rejected_rows", "regions")


# ----------------------------------------------------------------------------- helpers
def snapshot(db: Path) -> dict[str, object]:
    """Row counts of the tables an import writes, and checksums of their rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        snap: dict[str, object] = {}
        for t in SNAPSHOT_TABLES:
            snap[t] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("observations_data", "enterprises_data", "sources", "rejected_rows"):
            rows = con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            snap[f"{t}#sha"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        snap["next_source_id"] = con.execute(
            "SELECT coalesce(max(source_id), 0) FROM sources").fetchone()[0]
        return snap
    finally:
        con.close()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"crashed with {result.exception!r}:\n{result.output}")
    assert "Traceback" not in result.output


@pytest.fixture
def seeded_db(tmp_path: Path) -> Path:
    """A database holding one good observations file and one good enterprise list."""
    db = tmp_path / "db" / "test.duckdb"
    db.parent.mkdir()
    good = tmp_path / "good"
    good.mkdir()
    (good / "employment.csv").write_text(GOOD_OBS, encoding="utf-8")
    (good / "firms.csv").write_text(GOOD_ENT, encoding="utf-8")
    result = invoke("import", good / "employment.csv", good / "firms.csv", "--db", db)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    snap = snapshot(db)
    assert snap["observations_data"] == 3 and snap["enterprises_data"] == 2
    assert snap["sources"] == 2 and snap["rejected_rows"] == 0
    return db


def assert_rejected(db: Path, files: list[Path | str], *expected: str,
                    args: tuple[str, ...] = ()) -> str:
    """Import ``files`` into ``db``: exit code 2, no traceback, every ``expected`` text in
    the message, and the database exactly as it was before."""
    before = snapshot(db)
    result = invoke("import", *files, "--db", db, *args)
    no_traceback(result)
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    out = result.output
    for text in expected:
        assert text in out, f"{text!r} not in the message:\n{out}"
    assert snapshot(db) == before, "a failed import changed the database"
    return out


def text_file(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_file(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def xls_file(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if v is not None:
                ws.write(i, j, v)
    wb.save(str(path))
    return path


def parquet_file(path: Path, columns: dict[str, list[object]]) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table(columns), path)
    return path


def long_csv(rows: list[tuple[object, ...]], header: str = "地区,年份,指标,单位,数值") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header.split(","))
    w.writerows(rows)
    return buf.getvalue()


def in_order(out: str, *parts: str) -> None:
    """``parts`` occur on one line of ``out`` in this order (file, row, value, rule)."""
    pattern = ".*".join(re.escape(p) for p in parts)
    assert re.search(pattern, out), f"no line with {parts} in order:\n{out}"


# ----------------------------------------------------------------------------- cases
@dataclass
class Case:
    """A malformed input: ``build(tmp)`` writes it and returns (files, extra args)."""

    build: Callable[[Path], tuple[list[Path | str], tuple[str, ...]]]
    expected: tuple[str, ...]
    line: tuple[str, ...] = field(default_factory=tuple)  # in order on one line


def _one(f: Path, *args: str):
    return [f], tuple(args)


CASES: dict[str, Case] = {}


def case(name: str, *expected: str, line: tuple[str, ...] = ()):
    def deco(build):
        CASES[name] = Case(build, expected, line)
        return build
    return deco


# --- bytes and encodings
@case("invalid_bytes_any_encoding", "UTF-8", "GB18030")
def _(tmp):
    # \xff is invalid in UTF-8 and in GB18030; whatever else the reader guesses, the
    # message must say the file is neither
    data = (b"region,year,metric,unit,value\n" + b"\xff\xfe\xff\x81\xff,2016,x,\xff,1\n"
            + b"\x80\x81\xff\xfe,2016,y,\x9f,2\n")
    f = tmp / "garbage.csv"
    f.write_bytes(data)
    return _one(f)


@case("utf8_file_damaged_on_line_2", "line 2", "not valid UTF-8", "mixes encodings")
def _(tmp):
    data = "地区,年份,指标,单位,数值\n".encode() + b"\xff\xfe\xff\x81\xff,2016,x,\xff,1\n" * 3
    f = tmp / "damaged.csv"
    f.write_bytes(data)
    return _one(f)


@case("mixed_utf8_and_gbk", "line 3", "not valid UTF-8", "mixes encodings")
def _(tmp):
    data = (long_csv([("辽宁省", 2016, "从业人员", "万人", 1)]).encode("utf-8")
            + "吉林省,2016,从业人员,万人,2\n".encode("gbk"))
    f = tmp / "mixed.csv"
    f.write_bytes(data)
    return _one(f)


@case("binary_file", "binary")
def _(tmp):
    f = tmp / "data.csv"
    f.write_bytes(bytes(range(256)) * 8)
    return _one(f)


@case("gb18030_unknown_region", "unknown_region", "辽守省", "辽宁省",
      line=("row 3", "辽守省", "closest: 辽宁省"))
def _(tmp):
    f = text_file(tmp / "gbk.csv", long_csv([("吉林省", 2016, "从业人员", "万人", 1),
                                             ("辽守省", 2016, "从业人员", "万人", 2)]),
                  "gb18030")
    return _one(f)


# --- shape of delimited text
@case("ragged_too_many_fields", "ragged_row", "Found: 6", line=("row 3", "ragged_row"))
def _(tmp):
    f = text_file(tmp / "wide.csv", GOOD_OBS.replace("吉林省,2015,从业人员,万人,1367.9",
                                                     "吉林省,2016,从业人员,万人,1367.9,99"))
    return _one(f)


@case("ragged_too_few_fields", "ragged_row", "Found: 4", line=("row 3", "ragged_row"))
def _(tmp):
    f = text_file(tmp / "short.csv", long_csv([("辽宁省", 2016, "从业人员", "万人", 1),
                                               ("吉林省", 2016, "从业人员", "万人"),
                                               ("黑龙江省", 2016, "从业人员", "万人", 3)]))
    return _one(f)


@case("duplicate_key", "duplicate_key", "row 2", line=("row 4", "duplicate_key"))
def _(tmp):
    f = text_file(tmp / "dup.csv", long_csv([("辽宁省", 2016, "从业人员", "万人", 1),
                                             ("吉林省", 2016, "从业人员", "万人", 2),
                                             ("辽宁省", 2016, "从业人员", "万人", 3)]))
    return _one(f)


@case("two_columns_same_meaning", "region", "地区", "keep one")
def _(tmp):
    f = text_file(tmp / "twice.csv",
                  "region,地区,年份,指标,单位,数值\nLiaoning,辽宁省,2016,从业人员,万人,1\n")
    return _one(f)


# --- regions, industries, values
@case("unknown_region_chinese", "unknown_region", "辽守省", "closest: 辽宁省",
      line=("row 3", "辽守省", "closest: 辽宁省"))
def _(tmp):
    f = text_file(tmp / "reg.csv", long_csv([("吉林省", 2016, "从业人员", "万人", 1),
                                             ("辽守省", 2016, "从业人员", "万人", 2)]))
    return _one(f)


@case("unknown_region_pinyin", "unknown_region", "Liaonin", "Liaoning",
      line=("row 2", "Liaonin", "closest: 辽宁省 / Liaoning"))
def _(tmp):
    f = text_file(tmp / "pinyin.csv",
                  "region,year,metric,unit,value\nLiaonin,2016,employment,万人,1\n"
                  "Jilin,2016,employment,万人,2\n")
    return _one(f)


@case("unknown_industry", "unknown_industry", "量子纺织", line=("row 3", "量子纺织"))
def _(tmp):
    f = text_file(tmp / "ind.csv",
                  "地区,行业,年份,指标,单位,数值\n辽宁省,制造业,2016,从业人员,万人,1\n"
                  "辽宁省,量子纺织,2016,从业人员,万人,2\n")
    return _one(f)


@case("text_in_numeric_cell", "not_a_number", "abc", line=("row 3", "abc", "not_a_number"))
def _(tmp):
    f = text_file(tmp / "text.csv", long_csv([("辽宁省", 2016, "从业人员", "万人", 1),
                                              ("吉林省", 2016, "从业人员", "万人", "abc")]))
    return _one(f)


@case("negative_employment", "negative_value", "-5", line=("row 2", "-5", "negative_value"))
def _(tmp):
    f = text_file(tmp / "neg.csv", long_csv([("辽宁省", 2016, "从业人员", "万人", -5),
                                             ("吉林省", 2016, "从业人员", "万人", 2)]))
    return _one(f)


@case("employment_in_money_units", "unit_mismatch", "亿元", line=("row 3", "亿元"))
def _(tmp):
    f = text_file(tmp / "units.csv", long_csv([("辽宁省", 2016, "从业人员", "万人", 1),
                                               ("吉林省", 2016, "从业人员", "亿元", 2)]))
    return _one(f)


@case("mixed_units_one_metric", "mixed_units", "persons", "yuan")
def _(tmp):
    f = text_file(tmp / "mixed_units.csv",
                  long_csv([("辽宁省", 2016, "技工数", "万人", 1),
                            ("吉林省", 2016, "技工数", "亿元", 2)]))
    return _one(f)


@case("unknown_unit", "unknown_unit", "万只羊", line=("row 2", "万只羊", "unknown_unit"))
def _(tmp):
    f = text_file(tmp / "unit.csv", long_csv([("辽宁省", 2016, "从业人员", "万只羊", 1)]))
    return _one(f)


@case("bad_year", "bad_year", "20x5", line=("row 2", "20x5", "bad_year"))
def _(tmp):
    f = text_file(tmp / "year.csv", long_csv([("辽宁省", "20x5", "从业人员", "万人", 1)]))
    return _one(f)


@case("missing_year_wide_table", "missing_year", "--year",
      line=("row 5", "--year", "missing_year"))
def _(tmp):
    f = text_file(tmp / "noyear.csv",
                  "从业人员\n单位：万人\n地区,制造业,建筑业\n辽宁省,100,50\n吉林省,80,40\n")
    return _one(f, "--metric", "employment")


@case("missing_metric", "missing_metric", "--metric", line=("row 2", "missing_metric"))
def _(tmp):
    f = text_file(tmp / "nometric.csv", "地区,年份,单位,数值\n辽宁省,2016,万人,1\n")
    return _one(f)


@case("blank_region_in_long_file", "missing_region", line=("row 1502", "missing_region"))
def _(tmp):
    rows = [(r, y, f"指标{k}", "万人", y + k) for r in ("辽宁省", "吉林省", "黑龙江省")
            for y in range(2000, 2020) for k in range(40)]
    assert len(rows) == 2400
    rows[1500] = ("", *rows[1500][1:])  # line 1502: the header is line 1
    f = text_file(tmp / "long.csv", long_csv(rows))
    return _one(f)


# --- empty and headless files
@case("empty_file", "empty", "0 bytes")
def _(tmp):
    f = tmp / "empty.csv"
    f.write_bytes(b"")
    return _one(f)


@case("header_only", "header but no data rows")
def _(tmp):
    f = text_file(tmp / "header.csv", "地区,年份,指标,单位,数值\n")
    return _one(f)


@case("only_title_lines", "only title lines", "从业人员数")
def _(tmp):
    f = text_file(tmp / "title.csv", "表2-1 分地区从业人员数（2015年）\n单位：万人\n")
    return _one(f)


# --- files that are not what their name says
@case("wrong_sheet_name", "no sheet named 'Sheet2'", "'就业'")
def _(tmp):
    f = xlsx_file(tmp / "book.xlsx", [["地区", "年份", "指标", "单位", "数值"],
                                      ["辽宁省", 2016, "从业人员", "万人", 1]], sheet="就业")
    return _one(f, "--sheet", "Sheet2")


@case("truncated_xlsx", "truncated")
def _(tmp):
    f = xlsx_file(tmp / "cut.xlsx", [["地区", "年份", "指标", "单位", "数值"]]
                  + [["辽宁省", 2000 + i, "从业人员", "万人", i] for i in range(200)])
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    return _one(f)


@case("xlsx_name_csv_content", "not a valid .xlsx")
def _(tmp):
    f = text_file(tmp / "really_csv.xlsx", GOOD_OBS.replace("2015", "2016"))
    return _one(f)


@case("parquet_name_text_content", "not a Parquet file")
def _(tmp):
    f = text_file(tmp / "really_text.parquet", GOOD_OBS.replace("2015", "2016"))
    return _one(f)


@case("missing_file", "no such file")
def _(tmp):
    return _one(tmp / "nowhere" / "missing.csv")


@case("directory_not_file", "is a folder")
def _(tmp):
    d = tmp / "a_folder"
    d.mkdir()
    return _one(d)


# --- other formats with bad values
@case("xlsx_text_in_numeric_cell", "not_a_number", "n/a?",
      line=("sheet '就业'", "row 3", "n/a?", "not_a_number"))
def _(tmp):
    f = xlsx_file(tmp / "vals.xlsx", [["地区", "年份", "指标", "单位", "数值"],
                                      ["辽宁省", 2016, "从业人员", "万人", 1],
                                      ["吉林省", 2016, "从业人员", "万人", "n/a?"]], sheet="就业")
    return _one(f)


@case("xls_unknown_region", "unknown_region", "Liaonin", "Liaoning",
      line=("row 3", "Liaonin", "Liaoning"))
def _(tmp):
    f = xls_file(tmp / "old.xls", [["region", "year", "metric", "unit", "value"],
                                   ["Jilin", 2016, "employment", "万人", 1],
                                   ["Liaonin", 2016, "employment", "万人", 2]])
    return _one(f)


@case("parquet_negative_employment", "negative_value", "-3",
      line=("row 2", "-3", "negative_value"))
def _(tmp):
    f = parquet_file(tmp / "emp.parquet", {"region": ["Jilin", "Liaoning"],
                                           "year": [2016, 2016],
                                           "metric": ["employment", "employment"],
                                           "unit": ["万人", "万人"], "value": [1.0, -3.0]})
    return _one(f)


# --- enterprise lists
ENT_HEADER = "enterprise_id,name,region,industry_code,year,lon,lat,employment\n"


@case("enterprise_bad_coordinates", "bad_coordinate", "500", "longitude",
      line=("row 3", "500", "bad_coordinate"))
def _(tmp):
    f = text_file(tmp / "coords.csv", ENT_HEADER + "F1,甲厂,沈阳市,342,2016,123.4,41.8,10\n"
                  "F2,乙厂,大连市,342,2016,500,38.9,20\n")
    return _one(f)


@case("enterprise_duplicate_ids", "duplicate_key", "F1", "first at row 2",
      line=("row 3", "F1", "duplicate_key"))
def _(tmp):
    f = text_file(tmp / "dupids.csv", ENT_HEADER + "F1,甲厂,沈阳市,342,2016,123.4,41.8,10\n"
                  "F1,乙厂,大连市,342,2016,121.6,38.9,20\n")
    return _one(f)


@case("enterprise_negative_employment", "negative_value", "-20",
      line=("row 3", "-20", "negative_value"))
def _(tmp):
    f = text_file(tmp / "negemp.csv", ENT_HEADER + "F1,甲厂,沈阳市,342,2016,123.4,41.8,10\n"
                  "F2,乙厂,大连市,342,2016,121.6,38.9,-20\n")
    return _one(f)


@case("enterprise_missing_id", "missing_id", line=("row 3", "missing_id"))
def _(tmp):
    f = text_file(tmp / "noid.csv", ENT_HEADER + "F1,甲厂,沈阳市,342,2016,123.4,41.8,10\n"
                  ",乙厂,大连市,342,2016,121.6,38.9,20\n")
    return _one(f)


@case("enterprise_xlsx_bad_coordinates", "bad_coordinate", "latitude",
      line=("row 2", "95", "bad_coordinate"))
def _(tmp):
    f = xlsx_file(tmp / "firms.xlsx",
                  [["企业代码", "企业名称", "地区", "经度", "纬度", "从业人员"],
                   ["G1", "丙厂", "沈阳市", 123.4, 95, 10]])
    return _one(f)


def test_there_are_enough_cases():
    assert len(CASES) >= 28


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input_is_rejected(name, seeded_db, tmp_path):
    c = CASES[name]
    work = tmp_path / "in"
    work.mkdir()
    files, args = c.build(work)
    out = assert_rejected(seeded_db, files, *c.expected, args=args)
    # the message names the file
    assert any(Path(f).name in out for f in files), out
    if c.line:
        in_order(out, Path(files[0]).name, *c.line)


# ----------------------------------------------------------------------------- quarantine
def test_quarantine_loads_good_rows_and_keeps_unknown_regions(seeded_db, tmp_path):
    f = text_file(tmp_path / "mixed_quality.csv",
                  long_csv([("辽宁省", 2016, "从业人员", "万人", 10),
                            ("辽守省", 2016, "从业人员", "万人", 20),
                            ("吉林省", 2016, "从业人员", "万人", 30),
                            ("吉林省", 2016, "工业总产值", "亿元", "abc")]))
    rejects = tmp_path / "rejects"
    before = snapshot(seeded_db)
    result = invoke("import", f, "--db", seeded_db, "--on-error", "quarantine",
                    "--rejects-dir", rejects)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "2 rows rejected" in result.output
    after = snapshot(seeded_db)
    assert after["observations_data"] == before["observations_data"] + 2
    assert after["rejected_rows"] == 2 and after["sources"] == before["sources"] + 1
    con = duckdb.connect(str(seeded_db), read_only=True)
    try:
        sid = con.execute("SELECT max(source_id) FROM sources").fetchone()[0]
        loaded = con.execute(
            "SELECT region_code, value, source_row FROM observations_data "
            "WHERE source_id = ? ORDER BY source_row", [sid]).fetchall()
        rejected = con.execute(
            "SELECT source_row, reasons, raw FROM rejected_rows WHERE source_id = ? "
            "ORDER BY source_row", [sid]).fetchall()
        accepted, n_rejected = con.execute(
            "SELECT rows_accepted, rows_rejected FROM sources WHERE source_id = ?",
            [sid]).fetchone()
    finally:
        con.close()
    assert loaded == [("210000", 100000.0, 2), ("220000", 300000.0, 4)]
    assert (accepted, n_rejected) == (2, 2)
    assert [r[0] for r in rejected] == [3, 5]
    assert "unknown_region" in rejected[0][1] and "辽宁省" in rejected[0][1]
    assert "辽守省" in rejected[0][2]
    assert "not_a_number" in rejected[1][1] and "abc" in rejected[1][2]
    csvs = list(rejects.glob("*.rejected.csv"))
    assert len(csvs) == 1 and "mixed_quality" in csvs[0].name
    kept = list(csv.DictReader(io.StringIO(csvs[0].read_text(encoding="utf-8-sig"))))
    assert [int(r["source_row"]) for r in kept] == [3, 5]
    assert "unknown_region" in kept[0]["reasons"]
    assert "not_a_number" in kept[1]["reasons"]


def test_quarantine_keeps_ragged_rows_and_bad_coordinates_of_enterprises(seeded_db,
                                                                          tmp_path):
    f = text_file(tmp_path / "firms_q.csv", ENT_HEADER
                  + "Q1,甲厂,沈阳市,342,2016,123.4,41.8,10\n"
                  + "Q2,乙厂,大连市,342,2016,500,38.9,20\n"
                  + "Q3,丙厂,大连市,342,2016,121.6,38.9,30,extra\n"
                  + "Q4,丁厂,鞍山市,342,2016,122.9,41.1,40\n")
    rejects = tmp_path / "rej"
    before = snapshot(seeded_db)
    result = invoke("import", f, "--db", seeded_db, "--on-error", "quarantine",
                    "--rejects-dir", rejects)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    after = snapshot(seeded_db)
    assert after["enterprises_data"] == before["enterprises_data"] + 2
    assert after["observations_data"] == before["observations_data"]
    con = duckdb.connect(str(seeded_db), read_only=True)
    try:
        sid = con.execute("SELECT max(source_id) FROM sources").fetchone()[0]
        loaded = con.execute(
            "SELECT enterprise_id, source_row FROM enterprises_data WHERE source_id = ? "
            "ORDER BY source_row", [sid]).fetchall()
        rejected = con.execute(
            "SELECT source_row, reasons FROM rejected_rows WHERE source_id = ? "
            "ORDER BY source_row", [sid]).fetchall()
    finally:
        con.close()
    assert loaded == [("Q1", 2), ("Q4", 5)]
    assert [r[0] for r in rejected] == [3, 4]
    assert "bad_coordinate" in rejected[0][1]
    assert "ragged_row" in rejected[1][1]
    csvs = list(rejects.glob("*.rejected.csv"))
    assert len(csvs) == 1
    kept = list(csv.DictReader(io.StringIO(csvs[0].read_text(encoding="utf-8-sig"))))
    assert [int(r["source_row"]) for r in kept] == [3, 4]


def test_brackets_in_paths_are_printed_as_written(tmp_path):
    """Rich markup must neither eat [..] in a path nor choke on it (MarkupError)."""
    d = tmp_path / "["
    db = d / "x]" / "t.duckdb"  # the path reads ".../[/x]/t.duckdb": a closing tag
    db.parent.mkdir(parents=True)
    good = text_file(d / "[red]good.csv", GOOD_OBS)
    result = invoke("import", good, "--db", db)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "[red]good.csv: imported 3 rows" in result.output
    bad = text_file(d / "[bold]bad.csv", long_csv([("辽守省", 2016, "从业人员", "万人", 1)]))
    assert_rejected(db, [bad], f"the database {db} is unchanged", "[bold]bad.csv",
                    "unknown_region")


@pytest.mark.parametrize("cut", [0, 1])  # 1 or 2 of the 3 bytes of "辽" in the sample
def test_large_utf8_file_cut_inside_a_character_is_still_utf8(tmp_path, cut):
    """The encoding sample ends at a fixed byte; ending inside a character is not damage."""
    from agglomera.ingest.readers import SAMPLE_BYTES, detect_encoding

    line = "辽宁省,2016,从业人员,万人,1\n".encode()
    head = "地区,年份,指标,单位,数值\n".encode() + line * ((SAMPLE_BYTES - 100) // len(line))
    pad = SAMPLE_BYTES - 8 - len(head) - cut - 1
    body = head + b"x" * pad + line * 10
    f = tmp_path / "big.csv"
    f.write_bytes(body)
    assert detect_encoding(f) == "utf-8"
