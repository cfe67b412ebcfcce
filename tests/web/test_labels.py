"""Every label the dashboard uses exists in English and Chinese (agglomera.i18n)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import agglomera.web
from agglomera.i18n import labels

WEB = Path(agglomera.web.__file__).parent
KEY = re.compile(r"""L(?:\[|\()\s*['"]((?:web|common|lang|map|indicator|section)\.[\w.]+)['"]""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*WEB.joinpath("templates").glob("*.html"), WEB / "static" / "app.js"]:
        keys |= set(KEY.findall(path.read_text(encoding="utf-8")))
    return keys


def test_the_scan_finds_the_keys():
    keys = used_keys()
    assert {"web.nav.map", "web.export_csv", "common.year", "web.clusters.none"} <= keys
    assert len(keys) > 40


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_used_label_is_translated(lang):
    table = labels(lang)
    missing = sorted(k for k in used_keys() if table.get(k, k) == k)
    assert missing == []


def test_chinese_labels_are_chinese():
    zh, en = labels("zh"), labels("en")
    for k in used_keys():
        if k.startswith("web.") and k != "web.nav.api":
            assert zh[k] != en[k], k
            assert re.search(r"[\u4e00-\u9fff]", zh[k]), (k, zh[k])
