"""End to end: ``agglomera serve`` in a subprocess on a real DuckDB file, driven by
Debian's Chromium through Playwright.

Screenshots go to ``$AGGLOMERA_TEST_ARTIFACTS`` (default ``tests/_artifacts/``). Every
request the pages make must stay on the server (no CDN: plotly.js is served locally).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agglomera.store import open_store
from agglomera.web.deps import create_token

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="end-to-end tests need Debian's Chromium at /usr/bin/chromium "
                              "(apt-get install chromium)"),
]


def artifacts() -> Path:
    default = Path(__file__).resolve().parents[1] / "_artifacts"
    path = Path(os.environ.get("AGGLOMERA_TEST_ARTIFACTS") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_db):
    """A real uvicorn server started by the CLI: (base URL, token, db path)."""
    path = tmp_path_factory.mktemp("e2e") / "e2e.duckdb"
    shutil.copy(demo_db, path)
    with open_store(path) as store:
        token = create_token(store, "browser")
        con = store.con  # cluster rows for the cluster dashboard (fixture data)
        con.execute("INSERT INTO cluster_rating_runs VALUES (9001, 'us-cmp', '{}', 'e2e', "
                    "now(), '0')")
        con.execute("INSERT INTO cluster_ratings VALUES "
                    "(9001, 'us-cmp', '220000', 'AUTO', 2017, 'strong', true, 0.9, 1000, 2.1),"
                    "(9001, 'us-cmp', '210000', 'AUTO', 2017, 'qualifying', false, 0.4, 50, "
                    "0.7)")
        con.execute("INSERT INTO cluster_region_strength VALUES "
                    "(9001, '220000', 2017, 5000, 1000, 0.2), (9001, '210000', 2017, 4000, 0, 0)")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from agglomera.cli.main import main; main()", "serve",
         "--db", str(path), "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        first = proc.stdout.readline()
        assert f"{base}/" in first, first  # `agglomera serve` prints its URL
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "server did not start in 60 s"
            time.sleep(0.2)
        yield base, token, path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    base = server[0]
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280,
                                                                    "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    outside, errors = [], []
    pg.on("request", lambda r: None if r.url.startswith(base) or r.url.startswith(
        ("data:", "blob:")) else outside.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error"
          and "favicon" not in m.text else None)
    yield pg
    name = request.node.name.replace("/", "_")
    pg.screenshot(path=str(artifacts() / f"e2e-{name}-final.png"), full_page=True)
    context.close()
    assert outside == [], f"requests left the server: {outside}"
    real = [e for e in errors if "Failed to load resource" not in e]
    assert real == [], real


def ready(pg):
    pg.wait_for_function("document.body.dataset.ready && document.body.dataset.ready !== "
                         "'error'")


def test_dashboard_and_language_switch(page, server):
    base = server[0]
    page.goto(f"{base}/?lang=en")
    ready(page)
    assert page.inner_text("#nav-map") == "Map explorer"
    assert page.locator("#region-list tbody tr[data-code='210000']").count() == 1
    page.screenshot(path=str(artifacts() / "e2e-home-en.png"))
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.inner_text("#nav-map") == "地图浏览"
    page.screenshot(path=str(artifacts() / "e2e-home-zh.png"))
    # remembered: another page without ?lang is still Chinese
    page.goto(f"{base}/regions/210000")
    ready(page)
    assert page.inner_text("#nav-compare") == "地区对比"
    assert page.inner_text("#region-title").startswith("辽宁省")
    assert page.locator("#metric option").count() > 5
    assert page.evaluate("document.getElementById('chart').data[0].x.length") >= 1
    page.screenshot(path=str(artifacts() / "e2e-region-zh.png"), full_page=True)
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.inner_text("#nav-compare") == "Compare regions"


def test_map_click_selects_region_and_opens_dashboard(page, server):
    base = server[0]
    page.goto(f"{base}/map?lang=en")
    ready(page)
    page.select_option("#metric", "gdp|yuan")
    page.wait_for_function("document.querySelectorAll('#map path.choroplethlocation')"
                           ".length > 30")
    page.wait_for_function("document.getElementById('map').data[1].locations"
                           ".includes('210000')")
    # a point inside Liaoning's polygon of the coloured trace, in page coordinates
    point = page.evaluate("""() => {
        const paths = [...document.querySelectorAll('#map path.choroplethlocation')]
            .filter(p => p.__data__ && p.__data__.loc === '210000');
        const p = paths[paths.length - 1];
        const box = p.getBBox(), m = p.getScreenCTM();
        for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
            const x = box.x + box.width * i / 20, y = box.y + box.height * j / 20;
            if (p.isPointInFill(new DOMPoint(x, y))) {
                const q = new DOMPoint(x, y).matrixTransform(m);
                return [q.x, q.y];
            }
        }
        return null; }""")
    assert point is not None
    page.mouse.move(point[0], point[1])
    page.mouse.click(point[0], point[1])
    page.wait_for_function("document.body.dataset.selected === '210000'")
    assert page.inner_text("#sel-name") == "Liaoning"
    assert page.is_visible("#sel-body") and page.is_visible("#open-dashboard")
    page.screenshot(path=str(artifacts() / "e2e-map-selected.png"))
    page.click("#open-dashboard")
    page.wait_for_url(f"{base}/regions/210000")
    ready(page)
    assert page.inner_text("#region-title").startswith("Liaoning")


def test_compare_two_regions_and_export_csv(page, server):
    base = server[0]
    page.goto(f"{base}/compare?region=210000&lang=en")
    ready(page)
    page.select_option("#region-pick", "320000")
    page.click("#add-region")
    page.wait_for_function("document.body.dataset.ready === '2'")
    page.select_option("#metric", "gdp")
    page.wait_for_function("""() => { const c = document.getElementById('chart');
        return c.data && c.data.length === 2 && c.layout.title.text === 'gdp'; }""")
    assert page.locator("#chosen li").count() == 2
    names = page.evaluate("document.getElementById('chart').data.map(t => t.name)")
    assert names == ["Liaoning", "Jiangsu"]
    assert "region=320000" in page.url  # the comparison is in the address (shareable)
    page.screenshot(path=str(artifacts() / "e2e-compare.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    target = artifacts() / "e2e-comparison.csv"
    download.save_as(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    api = httpx.get(f"{base}/api/v1/compare", params=[
        ("region", "210000"), ("region", "320000"), ("metric", "gdp")]).json()
    assert {r["region_code"] for r in rows} == {"210000", "320000"}
    assert {r["metric"] for r in rows} == {"gdp"}
    assert len(rows) == api["total"] > 2
    got = sorted((r["region_code"], int(r["year"]), float(r["value"])) for r in rows)
    exp = sorted((i["region_code"], i["year"], i["value"]) for i in api["items"])
    assert got == exp


def test_cluster_dashboard(page, server):
    page.goto(f"{server[0]}/clusters?lang=en")
    ready(page)
    assert page.input_value("#run") == "9001"  # the latest run is shown
    assert page.locator("#ratings tbody tr").count() == 2
    bars = page.evaluate("(() => { const d = document.getElementById('chart').data[0];"
                         " return Object.fromEntries(d.customdata.map((x, i) => [x, d.y[i]]));"
                         " })()")
    assert bars == {"220000": 0.2, "210000": 0}
    labels = page.evaluate("document.getElementById('chart').data[0].x")
    names = [httpx.get(f"{server[0]}/api/v1/regions/{c}").json()["name_en"]
             for c in ("210000", "220000")]
    assert sorted(labels) == sorted(names)
    levels = page.locator("#ratings tbody tr td:nth-child(5)").all_inner_texts()
    assert sorted(levels) == ["strong", "—"]
    assert page.is_hidden("#clusters-empty")


def test_import_page_with_token(page, server, tmp_path):
    base, token, _ = server
    good = tmp_path / "upload.csv"
    good.write_text("region,year,metric,value,unit\n辽宁,2031,employment,1.5,万人\n",
                    encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("region,year,metric,value,unit\nAtlantis,2031,employment,x,万人\n",
                   encoding="utf-8")
    page.goto(f"{base}/import?lang=en")
    ready(page)
    page.set_input_files("#file", str(bad))
    page.fill("#token", token)
    page.click("#import-submit")
    page.wait_for_function("document.body.dataset.ready === '422'")
    assert "Rejected" in page.inner_text("#import-result")
    assert page.locator("#problems tbody tr").count() >= 1
    page.screenshot(path=str(artifacts() / "e2e-import-rejected.png"), full_page=True)
    page.set_input_files("#file", str(good))
    page.click("#import-submit")
    page.wait_for_function("document.body.dataset.ready === '201'")
    assert "Imported: 1 rows" in page.inner_text("#import-result")
    got = httpx.get(f"{base}/api/v1/observations", params={"year": 2031}).json()
    assert [(i["region_code"], i["value"]) for i in got["items"]] == [("210000", 15000.0)]
