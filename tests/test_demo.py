"""make demo / agglomera demo: comparisons, ratings, benchmark, plan check, reports."""

from __future__ import annotations

import openpyxl
from rich.console import Console

from agglomera.demo import run_demo


def test_demo_writes_reports_and_flags_the_plan_mismatch(tmp_path):
    console = Console(record=True, width=240, soft_wrap=True)
    db = tmp_path / "demo.duckdb"
    run_demo(db, console)
    text = console.export_text()
    html = tmp_path / "demo-output" / "report.html"
    xlsx = tmp_path / "demo-output" / "report.xlsx"
    assert html.exists() and xlsx.exists()
    page = html.read_text(encoding="utf-8")
    assert "吉林省" in page and "Jiangsu" in page and 'id="lang-switch"' in page
    # the ratings printed by the demo are stored and shown in the report
    assert "Stored rating run 1, preset us-cmp" in page
    assert "indicators" in openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    # Jilin 2017: 13 categories add to 160 clusters, the stated total is 162
    assert "category_sum" in text and "add to 160" in text and "162" in text
    assert "Cluster ratings" in text and "Scored against Jiangsu" in text
    # Jilin GDP 2007 as a share of Jiangsu's: 5,226.0 / 25,560.0 = 20.4 %
    assert "20.4%" in text
    assert f"agglomera serve --db {db}" in text
    # the earlier comparisons are still shown
    assert "376.5" in text and "Shift-share" in text
