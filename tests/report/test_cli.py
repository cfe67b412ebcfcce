"""agglomera report from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agglomera.cli.main import app

runner = CliRunner()


def test_report_writes_excel(demo_db, tmp_path):
    out = tmp_path / "hlj.xlsx"
    res = runner.invoke(app, ["report", "--db", str(demo_db), "--region", "黑龙江",
                              "--benchmark", "Jiangsu", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and out.stat().st_size > 5000
    assert "黑龙江省 / Heilongjiang (230000)" in res.output
    assert "ratings" in res.output  # sections without data are named


@pytest.mark.parametrize("args,message", [
    (["--region", "Jilln"], "did you mean"),
    (["--region", "220000", "--benchmark", "吉林"], "must differ"),
    (["--region", "220000", "--out-suffix", ".docx"], "--out must end in"),
    (["--region", "220000", "--lang", "fr"], "fr"),
])
def test_report_mistakes_exit_2_without_traceback(demo_db, tmp_path, args, message):
    suffix = ".html"
    if "--out-suffix" in args:
        suffix = args[args.index("--out-suffix") + 1]
        args = args[:args.index("--out-suffix")]
    res = runner.invoke(app, ["report", "--db", str(demo_db), *args, "--out",
                              str(tmp_path / f"r{suffix}")])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
