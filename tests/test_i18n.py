"""Labels: lookups, both languages complete, missing keys visible and logged."""

from __future__ import annotations

import csv
import logging
from importlib import resources

import pytest

from agglomera.errors import AgglomeraError
from agglomera.i18n import LANGUAGES, label, labels


def _rows() -> list[dict[str, str]]:
    text = resources.files("agglomera.data.i18n").joinpath("labels.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_label_reads_the_csv_row():
    rows = _rows()
    assert rows, "labels.csv is empty"
    for row in rows:
        assert label(row["key"], "en") == row["en"].strip()
        assert label(row["key"], "zh") == row["zh"].strip()


def test_every_key_has_both_languages_and_is_unique():
    rows = _rows()
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys)), "duplicate keys in labels.csv"
    for r in rows:
        assert r["en"].strip() and r["zh"].strip(), f"{r['key']} lacks a translation"


def test_labels_dict_matches_label():
    for lang in LANGUAGES:
        table = labels(lang)
        assert set(table) == {r["key"] for r in _rows()}
        for key in ("section.maps", "common.region"):
            assert table[key] == label(key, lang)
    assert labels("en")["section.maps"] == "Maps"
    assert labels("zh")["section.maps"] == "地图"


def test_labels_returns_a_copy():
    table = labels("en")
    table["common.region"] = "changed"
    assert labels("en")["common.region"] == "Region"


def test_missing_key_returns_key_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="agglomera.i18n"):
        assert label("no.such.key", "zh") == "no.such.key"
    assert any("no.such.key" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("alias,expected", [("zh-CN", "地区"), ("zh_CN", "地区"),
                                            ("EN", "Region"), ("en-US", "Region")])
def test_language_aliases(alias, expected):
    assert label("common.region", alias) == expected


def test_unknown_language_is_a_clear_error():
    with pytest.raises(AgglomeraError, match=r"language must be one of 'en', 'zh'.*got 'fr'"):
        label("common.region", "fr")
