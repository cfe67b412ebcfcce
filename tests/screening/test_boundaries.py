"""Every criterion at its boundary: just below, at, just above, and with data missing.

The cases are generated from the bundled rule sets, so a criterion added to
``programmes.yaml`` without a recipe here makes ``test_every_criterion_has_a_recipe``
fail. Expected statuses follow the operator the document states (">=" = 不低于/以上,
">" = 以上（不含）, "<=" = 不高于/不超过); revenue bands are in test_bands.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from agglomera.screening.rules import Criterion

from .helpers import RULES, firm, run, status

DATE = dt.date(2025, 6, 30)  # explicit application date for the registration test


def _ratio(num, den, den_value=1e8, years=1):
    def build(v, ctx):
        d = ctx.get(den, den_value)
        return {den: d, num: None if v is None else v / 100 * d}
    return build


def _ratio3(num, den):
    """sum over 3 years of num / sum of den, den in the band given by the context."""
    def build(v, ctx):
        d = ctx.get(den, 4e7)
        return {den: d, num: None if v is None else v / 100 * d}
    return build


def _growth(field):
    def build(v, ctx):
        if v is None:
            return {field: None}
        g = v / 100
        return {field: [1e8, 1e8 * (1 + g), 1e8 * (1 + g) ** 2]}
    return build


def _per_year_sum(field, n):
    def build(v, ctx):
        return {field: None if v is None else v / n}
    return build


def _plain(field, scale=1.0):
    def build(v, ctx):
        return {field: None if v is None else v / scale}
    return build


def _registration(v, ctx):
    if v is None:
        return {"registration_date": None}
    d = DATE - dt.timedelta(days=round(v * 365))
    return {"registration_date": d.isoformat()}


# metric expression -> (builder(value, context) -> fields, step in the threshold's unit)
RECIPES = {
    "years_since(registration_date)": (_registration, 1 / 365),
    "st_personnel / total_employees": (_ratio("st_personnel", "total_employees", 1000), 0.1),
    "sum_operated(rd_expense, 3, registration_date) / "
    "sum_operated(sales_revenue, 3, registration_date)":
        (_ratio3("rd_expense", "sales_revenue"), 0.01),
    "sum_operated(domestic_rd_expense, 3, registration_date) / "
    "sum_operated(rd_expense, 3, registration_date)":
        (_ratio("domestic_rd_expense", "rd_expense", 1e6), 0.01),
    "hightech_product_service_revenue / total_revenue":
        (_ratio("hightech_product_service_revenue", "total_revenue"), 0.01),
    "innovation_capability_score": (_plain("innovation_capability_score"), 1),
    "years_in_niche_market": (_plain("years_in_niche_market"), 1),
    "main_business_revenue / operating_revenue":
        (_ratio("main_business_revenue", "operating_revenue"), 0.01),
    "growth_mean(main_business_revenue, 2)": (_growth("main_business_revenue"), 0.01),
    "core_processes_with_information_system":
        (_plain("core_processes_with_information_system"), 1),
    "total_liabilities / total_assets": (_ratio("total_liabilities", "total_assets"), 0.01),
    "national_niche_market_share / 100": (_plain("national_niche_market_share"), 0.01),
    "min_last(rd_expense / operating_revenue, 2)":
        (_ratio("rd_expense", "operating_revenue"), 0.01),
    "sum_last(new_equity_financing, 2)": (_per_year_sum("new_equity_financing", 2), 2),
    "sum_last(new_equity_financing, 3)": (_per_year_sum("new_equity_financing", 3), 3),
    "sum_last(rd_expense, 2)": (_per_year_sum("rd_expense", 2), 2),
    "mean_last(rd_expense, 2)": (_plain("rd_expense"), 1),
    "rd_staff / total_employees": (_ratio("rd_staff", "total_employees", 1000), 0.1),
    "class_i_ip_in_use_leading_product": (_plain("class_i_ip_in_use_leading_product"), 1),
    "national_st_award_rank_last_3_years": (_plain("national_st_award_rank_last_3_years"), 1),
    "national_st_award_rank_last_5_years": (_plain("national_st_award_rank_last_5_years"), 1),
    "provincial_st_award_rank_last_3_years":
        (_plain("provincial_st_award_rank_last_3_years"), 1),
    "niche_market_domestic_rank": (_plain("niche_market_domestic_rank"), 1),
    "operating_revenue": (_plain("operating_revenue"), 1),
    "cagr(operating_revenue, 2)": (_growth("operating_revenue"), 0.01),
    "sme_sjtx_development_score": (_plain("sme_sjtx_development_score"), 1),
    "rd_expense": (_plain("rd_expense"), 1),
    "rd_expense / operating_revenue": (_ratio("rd_expense", "operating_revenue"), 0.01),
    "total_employees": (_plain("total_employees"), 1),
    "sales_revenue": (_plain("sales_revenue"), 1),
    "total_assets": (_plain("total_assets"), 1),
}

EXPECTED = {  # op -> statuses just below, at, just above the threshold
    ">=": ("fail", "pass", "pass"), ">": ("fail", "fail", "pass"),
    "<=": ("pass", "pass", "fail"), "<": ("pass", "fail", "fail"),
}


def _leaves_with_context():
    """(programme, criterion, conditions inherited from enclosing groups)."""
    out = []

    def walk(pid, c: Criterion, conds):
        conds = conds + ([c.condition] if c.condition else [])
        if c.op in ("any_of", "all_of"):
            for s in c.criteria:
                walk(pid, s, conds)
        else:
            out.append((pid, c, conds))

    for p in RULES.programmes:
        for c in p.criteria:
            walk(p.id, c, [])
    return out


LEAVES = _leaves_with_context()
NUMERIC = [(p, c, k) for p, c, k in LEAVES if c.op in EXPECTED
           and not c.metric.startswith("score_")]
FACTS = [(p, c, k) for p, c, k in LEAVES if c.op in ("exists", "==", "in")]


def _context(conds) -> dict:
    """Field values that put the firm inside the criterion's band (at its edge)."""
    ctx = {}
    for cond in conds:
        scale = 10_000 if cond.unit == "CNY_10k" else 1
        if cond.op == "range":
            v = cond.upper if cond.upper_inclusive else (
                cond.lower if cond.lower_inclusive else (cond.lower + cond.upper) / 2)
        else:
            v = {"<=": cond.value, ">=": cond.value, "<": cond.value / 2,
                 ">": cond.value * 2}[cond.op]
        ctx[cond.metric] = v * scale
    return ctx


def test_every_criterion_has_a_recipe():
    missing = {c.metric for _, c, _ in NUMERIC if c.metric not in RECIPES}
    assert not missing, f"add boundary recipes for {missing}"
    kinds = {c.op for _, c, _ in LEAVES}
    assert kinds <= set(EXPECTED) | {"exists", "==", "in"}


def _threshold(c: Criterion) -> float:
    return c.threshold * 10_000 if c.unit == "CNY_10k" else c.threshold


@pytest.mark.parametrize("where", ["below", "at", "above"])
@pytest.mark.parametrize("pid,crit,conds", NUMERIC, ids=[c.id for _, c, _ in NUMERIC])
def test_numeric_criterion_boundary(pid, crit, conds, where):
    build, step = RECIPES[crit.metric]
    t = _threshold(crit)
    v = {"below": t - step, "at": t, "above": t + step}[where]
    ctx = _context(conds)
    fields = {**ctx, **build(v, ctx)}
    result = run(firm(**fields), pid, date=DATE)
    want = EXPECTED[crit.op][["below", "at", "above"].index(where)]
    assert status(result, crit.id) == want, (crit.id, v, fields)


@pytest.mark.parametrize("pid,crit,conds", NUMERIC, ids=[c.id for _, c, _ in NUMERIC])
def test_numeric_criterion_missing_is_unknown(pid, crit, conds):
    build, _ = RECIPES[crit.metric]
    ctx = _context(conds)
    fields = {**ctx, **build(None, ctx)}
    result = run(firm(**fields), pid, date=DATE)
    assert status(result, crit.id) == "unknown"


def _fact_values(c: Criterion):
    """(value that meets, value that does not) for yes/no and list criteria."""
    if c.op == "in":
        return c.threshold[0], "其他 other"
    if c.op == "==":
        return ("否", "是") if c.threshold is False else ("是", "否")
    return "是", "否"


@pytest.mark.parametrize("pid,crit,conds", FACTS, ids=[c.id for _, c, _ in FACTS])
def test_fact_criterion_met_unmet_missing(pid, crit, conds):
    name = crit.metric
    good, bad = _fact_values(crit)
    ctx = _context(conds)
    assert status(run(firm(**ctx, **{name: good}), pid), crit.id) == "pass"
    assert status(run(firm(**ctx, **{name: bad}), pid), crit.id) == "fail"
    assert status(run(firm(**ctx, **{name: None}), pid), crit.id) == "unknown"


def test_registration_without_application_date_is_unknown_inside_the_year():
    """Registered 2024-06-30: one year old from 2025-06-30 on, so during 2025 it
    depends on the application day (unknown); registered 2023-12-31 passes on any
    day of 2025; registered 2025-01-02 fails on every day."""
    for reg, want in (("2024-06-30", "unknown"), ("2023-12-31", "pass"),
                      ("2025-01-02", "fail")):
        r = run(firm(registration_date=reg), "hnte-2016")
        assert status(r, "hnte.years_registered") == want, reg
