"""agglomera kdensity: files in, Kd table and Plotly page out, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agglomera.cli.main import app
from agglomera.measures import duranton_overman

runner = CliRunner()
CHROMIUM = Path("/usr/bin/chromium")


def _firms(n=60, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # industry "0131" clustered around Changchun, "3670" spread over the Northeast
    a = n // 2
    return pd.DataFrame({
        "industry": ["0131"] * a + ["3670"] * (n - a),
        "lon": np.r_[125.3 + rng.normal(0, 0.2, a), rng.uniform(121, 131, n - a)],
        "lat": np.r_[43.9 + rng.normal(0, 0.2, a), rng.uniform(40, 48, n - a)],
        "emp": rng.integers(5, 500, n),
    })


@pytest.fixture()
def firms_csv(tmp_path):
    f = tmp_path / "firms.csv"
    _firms().to_csv(f, index=False)
    return f


def test_kdensity_writes_table_plot_and_summary(tmp_path, firms_csv):
    out = tmp_path / "kd.csv"
    summ = tmp_path / "summary.csv"
    res = runner.invoke(app, ["kdensity", "--input", str(firms_csv), "--out", str(out),
                              "--lon", "lon", "--lat", "lat", "--weight", "emp",
                              "--simulations", "19", "--seed", "7", "--summary",
                              str(summ)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype={"industry": str})
    # the same numbers as the library call with the same options and seed
    lib = duranton_overman(_firms(), lon="lon", lat="lat", weight="emp", simulations=19,
                           seed=7).to_frame()
    pd.testing.assert_frame_equal(table, lib, check_dtype=False, rtol=1e-12)
    assert set(table["industry"]) == {"0131", "3670"}  # leading zero kept
    s = pd.read_csv(summ, dtype={"industry": str}).set_index("industry")
    assert s.loc["0131", "verdict"] == "localised"
    html = (tmp_path / "kd.html").read_text(encoding="utf-8")
    assert "plotly" in html and "Kd observed" in html and "0131" in html
    assert "集聚 localised" in res.output


def test_kdensity_parquet_subset_and_plot_path(tmp_path, firms_csv):
    out = tmp_path / "kd.parquet"
    plot = tmp_path / "figs" / "kd_plot.html"
    plot.parent.mkdir()
    res = runner.invoke(app, ["kdensity", "--input", str(firms_csv), "--out", str(out),
                              "--lon", "lon", "--lat", "lat", "--industries", "0131",
                              "--simulations", "9", "--seed", "1", "--max-distance", "300",
                              "--bandwidth", "20", "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out)
    assert set(table["industry"]) == {"0131"}
    assert table["distance"].max() == pytest.approx(300)
    assert plot.exists() and not (tmp_path / "kd.html").exists()


@pytest.mark.parametrize("edit,args,message", [
    (lambda d: d.drop(columns="lat"), [], "column 'lat' is not in the data"),
    (lambda d: d.assign(lon=d.lon.astype(object).where(d.index != 4, "east")), [],
     "row 5"),
    (lambda d: d.assign(lat=d.lat.where(d.index != 2, 123.0)), [], "outside [-90, 90]"),
    (lambda d: d, ["--bandwidth", "wide"], "--bandwidth must be one of"),
    (lambda d: d, ["--industries", "9999"], "industry '9999'"),
    (lambda d: d, ["--x", "lon"], "exactly one pair"),
])
def test_kdensity_bad_input_exit_2_without_traceback(tmp_path, edit, args, message):
    f = tmp_path / "bad.csv"
    edit(_firms()).to_csv(f, index=False)
    res = runner.invoke(app, ["kdensity", "--input", str(f), "--out",
                              str(tmp_path / "o.csv"), "--lon", "lon", "--lat", "lat",
                              "--simulations", "0", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_kdensity_bad_output_suffix(tmp_path, firms_csv):
    res = runner.invoke(app, ["kdensity", "--input", str(firms_csv), "--out",
                              str(tmp_path / "o.json"), "--lon", "lon", "--lat", "lat"])
    assert res.exit_code == 2
    assert ".csv or .parquet" in res.output


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at "
                    "/usr/bin/chromium (apt-get install chromium)")
def test_plot_renders_in_a_browser(tmp_path, firms_csv):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "kd.csv"
    res = runner.invoke(app, ["kdensity", "--input", str(firms_csv), "--out", str(out),
                              "--lon", "lon", "--lat", "lat", "--simulations", "19",
                              "--seed", "2"])
    assert res.exit_code == 0, res.output
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto((tmp_path / "kd.html").as_uri())  # offline: plotly.js is inlined
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
        n_traces = page.evaluate("document.querySelector('.js-plotly-plot').data.length")
        title = page.evaluate(
            "document.querySelector('.js-plotly-plot').layout.title.text")
        drawn = page.evaluate("document.querySelectorAll('.scatterlayer .trace').length")
        browser.close()
    assert n_traces == 2 * 5  # per industry: 2 local band edges, 2 global bounds, Kd
    assert title.startswith("Kd 0131")
    assert drawn >= 5
