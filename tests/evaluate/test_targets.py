"""Plan targets: the Jilin example's inconsistency, progress, projection, statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.evaluate.targets import (
    actuals_from_clusters,
    check_targets,
    load_targets,
)


@pytest.fixture(scope="module")
def jilin():
    return load_targets("jilin-2017")


def test_jilin_plan_is_built_from_the_domain_figures(jilin):
    from agglomera.bundled import domain_figures

    fig = domain_figures()["jilin_plan_2017"]
    t = jilin.to_frame().set_index("target_id")
    assert t.loc["clusters_total", "target_value"] == fig["clusters_in_development_zones"]
    tiers = t[t["tier"].notna()]
    assert dict(zip(tiers["tier"], tiers["target_value"], strict=True)) == {
        k: float(v) for k, v in fig["by_output_tier"].items()}
    cats = t[t["category"].notna()]
    assert dict(zip(cats["category"], cats["target_value"], strict=True)) == {
        k: float(v) for k, v in fig["by_category"].items()}
    assert t.loc["cluster_output", "target_value"] == fig["total_output_trillion_yuan"] * 1e12
    assert t.loc["cluster_output_share", "target_value"] == fig[
        "share_of_provincial_gross_industrial_output_percent"]
    assert (t["deadline_year"] == fig["target_year"]).all()


def test_jilin_category_tier_mismatch_is_flagged(jilin):
    check = check_targets(jilin)
    assert len(check.consistency) == 1
    p = check.consistency[0]
    assert p.kind == "category_sum"
    assert (p.expected, p.got) == (162.0, 160.0)
    assert "add to 160" in str(p) and "162" in str(p)
    assert (check.to_frame()["status"] == "no_data").all()


def _plan(tmp_path, body: str):
    f = tmp_path / "plan.yaml"
    f.write_text(body, encoding="utf-8")
    return load_targets(f)


def test_linear_and_compound_projection_match_scipy(tmp_path):
    plan = _plan(tmp_path, "plan: p\ndeadline_year: 2020\ntargets:\n"
                 "  - {id: out, kind: level, metric: output, target: 200}\n")
    years, vals = [2015, 2016, 2017], [100.0, 112.0, 119.0]
    actual = pd.DataFrame({"target_id": "out", "year": years, "value": vals})
    lin = check_targets(plan, actual).to_frame().iloc[0]
    fit = stats.linregress(years, vals)
    assert lin["projected"] == pytest.approx(fit.intercept + fit.slope * 2020)
    assert lin["progress"] == pytest.approx((119 - 100) / (200 - 100))
    assert lin["status"] == "at_risk"  # 149.67 < 200
    comp = check_targets(plan, actual, method="compound").to_frame().iloc[0]
    lf = stats.linregress(years, np.log(vals))
    assert comp["projected"] == pytest.approx(np.exp(lf.intercept + lf.slope * 2020))
    check = check_targets(plan, actual)
    assert any("early warning" in w and "'out'" in w for w in check.warnings)


def test_statuses_and_directions(tmp_path):
    plan = _plan(tmp_path, "plan: p\ndeadline_year: 2020\ntargets:\n"
                 "  - {id: met, kind: count, metric: a, target: 10}\n"
                 "  - {id: track, kind: count, metric: b, target: 10}\n"
                 "  - {id: late, kind: count, metric: c, target: 10, deadline: 2016}\n"
                 "  - {id: one, kind: count, metric: d, target: 10}\n"
                 "  - {id: energy, kind: level, metric: e, target: 50, direction: at_most,"
                 " baseline: 80, baseline_year: 2014}\n")
    actual = {"met": {2017: 11}, "track": {2016: 4, 2017: 6}, "late": {2016: 5, 2017: 6},
              "one": {2017: 3}, "energy": {2016: 70, 2017: 65}}
    t = check_targets(plan, actual).to_frame().set_index("target_id")
    assert t["status"].to_dict() == {"met": "met", "track": "on_track", "late": "missed",
                                     "one": "unknown", "energy": "on_track"}
    # at_most with baseline 80 (2014): progress (65 - 80) / (50 - 80) = 0.5
    assert t.loc["energy", "progress"] == pytest.approx(0.5)
    # line through (2014, 80), (2016, 70), (2017, 65) at 2020
    fit = stats.linregress([2014, 2016, 2017], [80, 70, 65])
    assert t.loc["energy", "projected"] == pytest.approx(fit.intercept + fit.slope * 2020)
    assert t.loc["one", "progress"] == pytest.approx(0.3)


def test_actual_counts_from_a_cluster_list(jilin):
    cl = pd.DataFrame({
        "cluster": list("abcdef"),
        "category": ["auto parts", "auto parts", "biomedicine", "textiles", "other",
                     "biomedicine"],
        "output": [1500.0, 120.0, 60.0, 25.0, 10.0, np.nan],  # 亿元
        "year": 2016})
    with pytest.warns(MissingValueWarning):
        a = actuals_from_clusters(cl, jilin, unit_factor=1e8)
    a = a.set_index("target_id")["value"]
    assert a["clusters_total"] == 6
    assert a["cat_auto_parts"] == 2 and a["cat_biomedicine"] == 2
    assert a["tier_above_100_bn"] == 1  # 1500 亿 = 150 bn
    assert a["tier_above_10_bn"] == 1  # 120 亿
    assert a["tier_above_5_bn"] == 1  # 60 亿
    assert a["tier_above_2_bn"] == 1  # 25 亿; 10 亿 is below, NaN in no tier
    assert np.isnan(a["cluster_output"])  # one output missing: no partial sum
    actual = a.reset_index().assign(year=2016)
    status = check_targets(jilin, actual).to_frame().set_index("target_id")["status"]
    assert status["clusters_total"] == "unknown"  # one year before the deadline
    assert status["cat_textiles"] == "unknown"
    late = check_targets(jilin, actual, as_of=2018).to_frame().set_index("target_id")
    assert late.loc["clusters_total", "status"] == "missed"
    assert late.loc["cat_auto_parts", "status"] == "missed"  # 2 of 16


def test_plan_file_errors(tmp_path):
    with pytest.raises(SchemaError, match="bundled plans: jilin-2017"):
        load_targets(tmp_path / "nope.yaml")
    for body, msg in [
        ("targets: 3\n", "list under 'targets'"),
        ("targets:\n  - {id: a, kind: count, target: 1}\n", "no deadline"),
        ("deadline_year: 2020\ntargets:\n  - {id: a, kind: ratio, target: 1}\n",
         "kind must be one of"),
        ("deadline_year: 2020\ntargets:\n  - {id: a, kind: count, target: x}\n",
         "must be a number"),
        (("deadline_year: 2020\ntargets:\n  - {id: a, kind: count, target: 1}\n"
          "  - {id: a, kind: count, target: 2}\n"), "appears twice"),
        ("deadline_year: 20.5\ntargets:\n  - {id: a, kind: count, target: 1}\n",
         "must be a year"),
        ("deadline_year: 2020\ntargets:\n  - {id: a, kind: count, target: 1, foo: 2}\n",
         "unknown keys"),
    ]:
        with pytest.raises(SchemaError, match=msg):
            _plan(tmp_path, body)


def test_more_consistency_problems(tmp_path):
    plan = _plan(tmp_path, "deadline_year: 2020\ntargets:\n"
                 "  - {id: t1, kind: count, metric: m, tier: a, target: 2}\n"
                 "  - {id: t2, kind: count, metric: m, category: x, target: 3.5}\n"
                 "  - {id: s, kind: share, metric: sh, target: 120}\n")
    kinds = sorted(p.kind for p in plan.consistency())
    assert kinds == ["breakdowns_differ", "fractional_count", "share_out_of_range"]
    with pytest.raises(SchemaError, match="columns"):
        check_targets(plan, pd.DataFrame({"id": [1]}))
    with pytest.raises(SchemaError, match="method"):
        check_targets(plan, method="spline")
