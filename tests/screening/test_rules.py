"""Rule sets: bundled ids, agreement with the cited YAML, user files, safe expressions."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from agglomera.bundled import reference_file
from agglomera.errors import SchemaError
from agglomera.screening.expr import Expr
from agglomera.screening.rules import bundled_rules_path, load_rules

from .helpers import firm, run, status

IDS = ["hnte-2016", "little-giant-2022", "little-giant-2026-provisional",
       "specialised-sme-2022", "innovative-sme-2022", "tsme-2017"]


def _yaml():
    return yaml.safe_load(reference_file("enterprise_programs.yaml").read_text("utf-8"))


def _yaml_criteria(node, out):
    if isinstance(node, dict):
        if "id" in node and ("operator" in node or "metric" in node):
            out[node["id"]] = node
        for v in node.values():
            _yaml_criteria(v, out)
    elif isinstance(node, list):
        for v in node:
            _yaml_criteria(v, out)
    return out


def test_bundled_ids_and_sources():
    rules = load_rules()
    assert [p.id for p in rules.programmes] == IDS
    ref = _yaml()
    assert {p.yaml_id for p in rules.programmes} == {p["id"] for p in ref["programs"]}
    for p in rules.programmes:
        assert p.document in ref["documents"]
        for c in p.leaves():
            if c.source:
                assert c.source.document in ref["documents"], c.id


def test_thresholds_agree_with_the_cited_yaml():
    ref = _yaml_criteria(_yaml()["programs"], {})
    checked = 0
    for p in load_rules().programmes:
        for c in p.leaves():
            if not c.ref:
                continue
            assert c.ref in ref, f"{c.id}: ref {c.ref} not in enterprise_programs.yaml"
            y = ref[c.ref]
            yt, ct = y.get("threshold"), c.threshold
            if isinstance(yt, bool) or isinstance(ct, bool):
                continue
            if isinstance(yt, (int, float)) and isinstance(ct, (int, float)):
                assert float(yt) == float(ct), c.id
                assert y["operator"] == c.op, c.id
                assert y.get("unit") == c.unit or (y.get("unit"), c.unit) == ("percent", "percent")
                checked += 1
            elif isinstance(yt, list):
                assert yt == ct, c.id
                checked += 1
    assert checked >= 25


def test_unverified_flags_are_kept():
    ref = _yaml_criteria(_yaml()["programs"], {})
    unverified = {k for k, v in ref.items() if v.get("status") == "unverified"}
    rules = load_rules()
    flagged = {c.ref for p in rules.programmes for c in p.leaves()
               if c.status == "unverified"}
    assert unverified <= flagged | {None}
    assert "lg22.prerequisite_provincial_sjtx" in flagged
    assert rules.get("little-giant-2026-provisional").provisional


def test_unknown_programme_is_a_clear_error():
    with pytest.raises(SchemaError, match="unknown programme 'hnte-2008'.*hnte-2016"):
        load_rules().get("hnte-2008")


PROVINCIAL = """
ruleset_version: 1
derived_from: "Liaoning variant (example)"
programmes:
  - id: specialised-sme-2022-liaoning
    name_zh: 辽宁省专精特新中小企业（示例）
    name_en: Liaoning specialised SMEs (example variant)
    document: msme_ladder_interim_2022
    criteria:
      - {id: ln.years, metric: years_in_niche_market, op: ">=", threshold: 3, unit: years}
      - {id: ln.rd, metric: rd_expense, op: ">=", threshold: 150, unit: CNY_10k}
"""


def test_user_file_adds_a_provincial_variant(tmp_path):
    f = tmp_path / "ln.yaml"
    f.write_text(PROVINCIAL, encoding="utf-8")
    rules = load_rules(f)
    assert "specialised-sme-2022-liaoning" in [p.id for p in rules.programmes]
    assert "hnte-2016" in [p.id for p in rules.programmes]
    import pandas as pd

    from agglomera.screening.engine import screen_all
    from agglomera.screening.records import normalise_records

    recs = normalise_records(pd.DataFrame(firm(years_in_niche_market=3, rd_expense=1.5e6)))
    r = screen_all(recs, rules, ["specialised-sme-2022-liaoning"], application_year=2025)[0]
    assert r.to_frame()["eligible"].iloc[0] == "true"


@pytest.mark.parametrize("bad,expect", [
    ('op: ">="', 'op: "≥"'),
    ("threshold: 3, unit: years", "threshold: 3"),
    ("metric: years_in_niche_market", "metric: years_in_niche"),
    ("metric: rd_expense", "metric: \"__import__('os').system('x')\""),
])
def test_bad_user_file_names_file_and_field(tmp_path, bad, expect):
    f = tmp_path / "bad.yaml"
    f.write_text(PROVINCIAL.replace(bad, expect, 1), encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        load_rules(f)
    msg = str(e.value)
    assert str(f) in msg
    assert "programmes[0]" in msg or "ln." in msg


def test_user_file_with_unknown_document(tmp_path):
    f = tmp_path / "doc.yaml"
    f.write_text(PROVINCIAL.replace("msme_ladder_interim_2022", "ln_2023"), encoding="utf-8")
    with pytest.raises(SchemaError, match="document 'ln_2023' is not defined"):
        load_rules(f)


def test_bundled_file_is_packaged():
    assert bundled_rules_path().exists()


@pytest.mark.parametrize("text", [
    "rd_expense.__class__", "[x for x in y]", "lambda: 1", "open('f')", "rd_expense[0]",
    "sum_last(rd_expense, n)", "'text'", "sum_last(rd_expense)", "a if b else c", "1 +",
])
def test_expression_whitelist_rejects(text):
    with pytest.raises(SchemaError):
        Expr(text)


def test_expression_three_valued_logic_and_windows():
    m = {"a": np.array([[1.0, np.nan, 0.0], [2.0, 1.0, 3.0], [4.0, 1.0, 3.0]]),
         "b": np.array([[0.0, 1.0, 1.0]])}
    look = m.__getitem__
    np.testing.assert_array_equal(Expr("a >= 1 or b == 1").evaluate(look), [1, 1, 1])
    out = Expr("a >= 1 and b == 1").evaluate(look)
    assert out[0] == 0 and np.isnan(out[1]) and out[2] == 0
    np.testing.assert_allclose(Expr("sum_last(a, 3)").evaluate(look)[[0, 2]], [7, 6])
    assert np.isnan(Expr("sum_last(a, 3)").evaluate(look)[1])  # missing year: unknown
    assert np.isnan(Expr("a / b").evaluate(look)[0])  # division by zero: unknown
    # firm 0 went 4 -> 2 -> 1 (latest first in the matrix): halving each year
    np.testing.assert_allclose(Expr("cagr(a, 2)").evaluate(look)[0], -0.5)
    np.testing.assert_allclose(Expr("growth_mean(a, 2)").evaluate(look)[0], -0.5)


def test_rank_in_expression_none_is_worse_than_any_rank():
    r = run(firm(provincial_st_award_rank_last_3_years=4), "specialised-sme-2022")
    assert status(r, "sjtx.st_award.provincial") == "fail"
