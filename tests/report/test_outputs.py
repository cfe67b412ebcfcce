"""The three renderings: self-contained bilingual HTML (also in a real browser with the
network cut), PDF pages rendered to PNG, Excel sheets equal to the computed tables."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomera.i18n import label
from agglomera.report.profile import SECTION_KEYS


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("src", "href"):
            if a.get(key):
                self.refs.append((tag, key, a[key]))


# ------------------------------------------------------------------------- HTML


def test_html_is_self_contained(html_file):
    text = html_file.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    external = [(t, k, v) for t, k, v in parser.refs
                if t in ("script", "link", "img", "iframe") and not v.startswith(
                    ("data:", "#"))]
    assert external == []
    assert not re.search(r"<script[^>]+src=", text)
    # Plotly inlined, not fetched
    from plotly.offline import get_plotlyjs

    assert get_plotlyjs()[:2000] in text


def test_html_has_every_section_in_both_languages(html_file):
    text = html_file.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    for key in SECTION_KEYS:
        assert key in parser.ids, key
        assert label(f"section.{key}", "en") in text
        assert label(f"section.{key}", "zh") in text
    assert 'id="lang-switch"' in text
    assert "吉林省" in text and "Jilin" in text


def test_html_charts_have_a_figure_per_language(html_file, profile):
    text = html_file.read_text(encoding="utf-8")
    m = re.search(r"const FIGS = (\{.*?\});\n", text, re.S)
    figs = json.loads(m.group(1).replace("<\\/", "</"))
    assert set(figs) == {"portfolio", "similarity", "shift_share"}
    for per in figs.values():
        assert set(per) == {"en", "zh"}
    port = profile.sections["portfolio"].tables["portfolio"]
    xs = sorted(v for tr in figs["portfolio"]["en"]["data"] for v in tr["x"])
    np.testing.assert_allclose(xs, sorted(port.lq_change))
    names_zh = {t for tr in figs["portfolio"]["zh"]["data"] for t in tr["text"]}
    assert names_zh == set(port.industry_name_zh)
    assert figs["portfolio"]["zh"]["layout"]["xaxis"]["title"]["text"] == label(
        "portfolio.x", "zh")


def test_html_maps_are_inline_svg_with_each_province(html_file):
    text = html_file.read_text(encoding="utf-8")
    codes = set(re.findall(r'data-code="(\d{6})"', text))
    assert "220000" in codes and "320000" in codes
    assert len([c for c in codes if c.endswith("0000")]) == 34
    # Jilin's prefectures (2201xx ... 2224xx) on the prefecture map
    assert {"220100", "220200"} <= codes


@pytest.mark.slow
def test_html_in_a_real_browser_offline_with_language_switch(html_file):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian chromium is not installed (make sysdeps installs it)")
    from playwright.sync_api import sync_playwright

    requests = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.route(re.compile(r"^https?://"), lambda route: (requests.append(
            route.request.url), route.abort()))
        page.goto(html_file.as_uri())
        page.wait_for_selector("#chart-portfolio .main-svg", timeout=30_000)
        assert page.locator(".js-plotly-plot").count() == 3
        title = page.locator("#similarity h2")
        assert title.inner_text().strip() == label("section.similarity", "en")
        page.click("#lang-switch")
        assert title.inner_text().strip() == label("section.similarity", "zh")
        axis = page.locator("#chart-portfolio .xtitle").text_content()
        assert axis == label("portfolio.x", "zh")
        browser.close()
    assert requests == []


# -------------------------------------------------------------------------- PDF


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed; make sysdeps installs it")
    return path


@pytest.fixture(scope="module")
def pdf_files(profile, out_dir):
    from agglomera.report.render import write_report

    return {lang: write_report(profile, out_dir / f"report_{lang}.pdf", lang=lang)
            for lang in ("en", "zh")}


def _pages(pdf: Path, tmp: Path) -> list[Path]:
    subprocess.run([_need("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp / pdf.stem)],
                   check=True)
    return sorted(tmp.glob(f"{pdf.stem}-*.png"))


def test_pdf_pages_rendered_and_not_blank(pdf_files, tmp_path):
    from PIL import Image

    info = subprocess.run([_need("pdfinfo"), str(pdf_files["en"])], check=True,
                          capture_output=True, text=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    pngs = _pages(pdf_files["en"], tmp_path)
    assert len(pngs) == n and 4 <= n <= 20
    for png in pngs:
        grey = np.asarray(Image.open(png).convert("L"), dtype=float)
        ink = (grey < 200).mean()
        assert ink > 0.002, f"{png.name} looks blank ({ink:.4f} of pixels inked)"


def test_pdf_contains_every_section_title(pdf_files):
    text = subprocess.run([_need("pdftotext"), str(pdf_files["en"]), "-"], check=True,
                          capture_output=True, text=True).stdout
    for key in SECTION_KEYS:
        assert label(f"section.{key}", "en") in text, key
    assert "Jilin" in text and "CQYB2008-App3" in text


def test_pdf_in_chinese(pdf_files):
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout \
        if shutil.which("fc-list") else ""
    if not fonts.strip():
        pytest.skip("no Chinese font installed (fonts-wqy-microhei); zh PDF glyphs missing")
    text = subprocess.run([_need("pdftotext"), str(pdf_files["zh"]), "-"], check=True,
                          capture_output=True, text=True).stdout
    for key in SECTION_KEYS:
        assert label(f"section.{key}", "zh") in text, key
    assert "吉林省" in text


# ------------------------------------------------------------------------ Excel


def test_excel_one_sheet_per_table_with_the_computed_values(xlsx_file, profile):
    import openpyxl

    tables = profile.tables()
    wb = openpyxl.load_workbook(xlsx_file, read_only=True)
    assert wb.sheetnames == [n[:31] for n in tables]
    wb.close()
    for name in ("indicators", "portfolio", "similarity", "shift_share",
                 "shift_share_cells", "targets", "map_provinces"):
        got = pd.read_excel(xlsx_file, sheet_name=name)
        want = tables[name].reset_index(drop=True)
        assert list(got.columns) == [str(c) for c in want.columns], name
        for col in want.columns:
            w = want[col]
            g = got[str(col)]
            if pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w):
                np.testing.assert_allclose(g.astype(float), w.astype(float), rtol=1e-12,
                                           equal_nan=True, err_msg=f"{name}.{col}")
    ratio = pd.read_excel(xlsx_file, sheet_name="indicators").set_index("metric")["ratio"]
    assert ratio["gdp"] == pytest.approx(5226.0 / 25560.0)
