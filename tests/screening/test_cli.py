"""``agglomera screen`` and ``agglomera programmes`` through Typer's CliRunner."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from agglomera.cli.main import app

from .helpers import firm
from .test_programmes import hnte_firm

runner = CliRunner()


def _input(tmp_path, name="firms.csv", unit=1.0):
    good = firm("G1", **hnte_firm(), region_code="210100")
    rd = [3e6, 3.5e6, 3.7e6]
    near = firm("N1", **hnte_firm(rd_expense=rd, domestic_rd_expense=rd),
                region_code="210200")
    unknown = firm("U1", **hnte_firm(innovation_capability_score=None), region_code="210100")
    df = pd.DataFrame(good + near + unknown)
    if unit != 1.0:
        for c in ("sales_revenue", "total_revenue", "rd_expense", "domestic_rd_expense",
                  "hightech_product_service_revenue"):
            df[c] = df[c] / unit
    path = tmp_path / name
    if name.endswith(".xlsx"):
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, index=False)
    return path


def test_programmes_lists_ids_and_sources():
    res = runner.invoke(app, ["programmes"])
    assert res.exit_code == 0, res.output
    for pid in ("hnte-2016", "little-giant-2022", "little-giant-2026-provisional",
                "specialised-sme-2022", "innovative-sme-2022", "tsme-2017"):
        assert pid in res.output
    assert "国科发火〔2016〕32号" in res.output
    assert "provisional" in res.output and "unverified" in res.output


def test_screen_csv_to_csv(tmp_path):
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["screen", "--programme", "hnte-2016", "--input",
                              str(_input(tmp_path)), "--application-year", "2025",
                              "--out", str(out), "--by", "region_code"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, dtype=str).set_index("firm_id")
    assert df.loc["G1", "eligible"] == "true"
    assert df.loc["N1", "eligible"] == "false"
    assert df.loc["U1", "eligible"] == "unknown"
    assert df.loc["N1", "hnte.rd_ratio.medium"] == "fail"
    assert "hnte.innovation_score" in df.columns
    assert "Candidates" in res.output and "210100" in res.output


def test_screen_money_unit_gives_same_result(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    runner.invoke(app, ["screen", "-p", "hnte-2016", "--input", str(_input(tmp_path)),
                        "--application-year", "2025", "--out", str(a)])
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--input",
                              str(_input(tmp_path, "w.csv", unit=10_000)),
                              "--application-year", "2025", "--out", str(b),
                              "--money-unit", "10k-yuan"])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(a), pd.read_csv(b))


def test_screen_excel_has_colours_and_explanations(tmp_path):
    out = tmp_path / "out.xlsx"
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "-p", "tsme-2017", "--input",
                              str(_input(tmp_path, "f.xlsx")), "--application-year", "2025",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    assert {"hnte-2016", "tsme-2017", "explanations", "criteria", "summary"} <= set(wb.sheetnames)
    ws = wb["hnte-2016"]
    header = [c.value for c in ws[1]]
    col = header.index("hnte.rd_ratio.medium") + 1
    colours = {ws.cell(r, col).value: ws.cell(r, col).fill.start_color.rgb
               for r in range(2, ws.max_row + 1)}
    assert colours["fail"].endswith("FFC7CE") and colours["pass"].endswith("C6EFCE")
    ex = pd.read_excel(out, sheet_name="explanations")
    row = ex[(ex.firm_id == "N1") & (ex.criterion == "hnte.rd_ratio.medium")].iloc[0]
    assert "1.8 m yuan" in row.explanation_en and "180万元" in row.explanation_zh
    crit = pd.read_excel(out, sheet_name="criteria")
    assert "第十一条（五）2" in set(crit.article)


def test_screen_details_csv(tmp_path):
    det = tmp_path / "d.csv"
    res = runner.invoke(app, ["screen", "-p", "all", "--input", str(_input(tmp_path)),
                              "--application-year", "2025", "--details", str(det)])
    assert res.exit_code == 0, res.output
    d = pd.read_csv(det)
    assert set(d.status) <= {"fail", "unknown"}
    assert "little-giant-2026-provisional is provisional" in res.output


def test_user_mistakes_exit_2_with_a_message(tmp_path):
    f = _input(tmp_path)
    cases = [
        (["screen", "-p", "hnte-2099", "--input", str(f), "--application-year", "2025"],
         "unknown programme 'hnte-2099'"),
        (["screen", "-p", "hnte-2016", "--application-year", "2025"], "exactly one of"),
        (["screen", "-p", "hnte-2016", "--input", str(tmp_path / "no.csv"),
          "--application-year", "2025"], "no such file"),
        (["screen", "-p", "hnte-2016", "--input", str(f), "--application-year", "2025",
          "--application-date", "2024-01-01"], "not in --application-year"),
        (["screen", "-p", "hnte-2016", "--input", str(f), "--application-year", "2025",
          "--by", "province"], "cannot group by province"),
        (["programmes", "--rules", str(tmp_path / "none.yaml")], "no such rule-set file"),
    ]
    for args, msg in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output, (args, res.output)
        assert "Traceback" not in res.output


def test_bad_values_exit_2_naming_firm_and_field(tmp_path):
    df = pd.DataFrame(firm("BAD1", st_personnel=["5", "x", "5"], total_employees=10))
    f = tmp_path / "bad.csv"
    df.to_csv(f, index=False)
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--input", str(f),
                              "--application-year", "2025"])
    assert res.exit_code == 2
    assert "firm BAD1, fiscal year 2023, field 'st_personnel'" in res.output


def test_rules_from_environment(tmp_path, monkeypatch):
    from .test_rules import PROVINCIAL

    rules = tmp_path / "ln.yaml"
    rules.write_text(PROVINCIAL, encoding="utf-8")
    monkeypatch.setenv("AGGLOMERA_SCREENING_RULES", str(rules))
    res = runner.invoke(app, ["programmes"])
    assert res.exit_code == 0
    assert "specialised-sme-2022-liaoning" in res.output


def test_screen_from_db(tmp_path):
    from agglomera.ingest import import_files

    src = tmp_path / "ent.csv"
    src.write_text("统一社会信用代码,企业名称,地区,年份,从业人员,科技人员数\n"
                   "E1,Acme,沈阳市,2024,100,15\n", encoding="utf-8")
    db = tmp_path / "e.duckdb"
    import_files(db, [src], kind="enterprises")
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--db", str(db),
                              "--application-year", "2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert df.loc[0, "hnte.st_personnel_share"] == "pass"
    assert df.loc[0, "eligible"] == "unknown"


def test_screen_empty_file_is_a_clear_error(tmp_path):
    empty = tmp_path / "firms.csv"
    empty.write_bytes(b"")
    res = runner.invoke(app, ["screen", "-p", "hnte-2016", "--application-year", "2025",
                              "--input", str(empty)])
    assert res.exit_code == 2
    assert "the file is empty" in res.output and "Traceback" not in res.output
