"""Properties: improving a metric never turns a pass into a fail; verdicts do not depend
on column order, row order or the money unit of the file (yuan vs 10,000 yuan)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agglomera.screening.engine import screen_all
from agglomera.screening.fields import FIELDS
from agglomera.screening.records import normalise_records

from .helpers import APPLICATION_YEAR, RULES, YEARS

PROGRAMMES = [p.id for p in RULES.programmes]
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

money = st.integers(0, 400_000_000).map(float)
frac = st.floats(0, 1)
BOOLS = [n for n, f in FIELDS.items() if f.kind == "boolean"]
BAD_WHEN_TRUE = {"major_incident_in_year_before_application", "in_prohibited_category"}
RANKS = [n for n, f in FIELDS.items() if f.kind == "rank"]


def opt(strategy):
    return st.one_of(st.none(), strategy, strategy, strategy)


@st.composite
def firm_years(draw) -> dict:
    """One firm, three fiscal years, every field drawn (sometimes missing)."""
    f: dict[str, list] = {}
    per_year = lambda s: [draw(s) for _ in YEARS]
    for name in ("sales_revenue", "total_revenue", "operating_revenue", "total_assets",
                 "cost_expense_total", "new_equity_financing"):
        f[name] = per_year(opt(money))
    f["net_profit"] = per_year(opt(st.integers(-50_000_000, 50_000_000).map(float)))
    f["rd_expense"] = per_year(opt(money))
    f["domestic_rd_expense"] = [None if r is None else np.floor(r * draw(frac))
                                for r in f["rd_expense"]]
    f["hightech_product_service_revenue"] = [None if r is None else np.floor(r * draw(frac))
                                             for r in f["total_revenue"]]
    f["main_business_revenue"] = [None if r is None else np.floor(r * draw(frac))
                                  for r in f["operating_revenue"]]
    f["total_liabilities"] = [None if r is None else np.floor(r * draw(frac) * 1.2)
                              for r in f["total_assets"]]
    f["total_employees"] = per_year(opt(st.integers(1, 2000).map(float)))
    for share in ("st_personnel", "rd_staff"):
        f[share] = [None if e is None else float(np.floor(e * draw(frac)))
                    for e in f["total_employees"]]
    f["class_i_ip"] = per_year(opt(st.integers(0, 6).map(float)))
    for sub in ("class_i_ip_self_developed", "class_i_ip_high_value"):
        f[sub] = [None if c is None else float(np.floor(c * draw(frac))) for c in f["class_i_ip"]]
    for name in ("class_ii_ip", "class_i_ip_in_use_leading_product",
                 "core_processes_with_information_system", "quality_conditions_met",
                 "digital_level", "rd_institution_level", "years_in_niche_market"):
        f[name] = per_year(opt(st.integers(0, 8).map(float)))
    f["national_niche_market_share"] = per_year(opt(st.floats(0, 60)))
    for name in ("innovation_capability_score", "sme_sjtx_development_score"):
        f[name] = per_year(opt(st.integers(40, 100).map(float)))
    f["sjtx_local_feature_score"] = per_year(opt(st.integers(0, 15).map(float)))
    f["sjtx_leading_product_field_points"] = per_year(opt(st.sampled_from([0.0, 3.0, 5.0])))
    for name in RANKS:
        f[name] = per_year(opt(st.integers(0, 8).map(float)))
    for name in BOOLS:
        f[name] = per_year(opt(st.booleans()))
    f["registration_date"] = [draw(opt(st.dates(pd.Timestamp("2015-01-01").date(),
                                                 pd.Timestamp("2025-12-31").date())))] * 3
    f["core_technology_field"] = per_year(opt(st.sampled_from(["电子信息", "新材料", "其他"])))
    f["leading_product_field"] = per_year(opt(st.sampled_from(
        ["manufacturing_core_basics", "emerging_industries", "other"])))
    return f


def _frame(firms: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for fid, f in firms.items():
        for i, y in enumerate(YEARS):
            row = {"firm_id": fid, "fiscal_year": y}
            for k, v in f.items():
                row[k] = v[i]
            rows.append(row)
    return pd.DataFrame(rows)


def _screen(frame: pd.DataFrame, money_unit: str = "yuan") -> pd.DataFrame:
    recs = normalise_records(frame, money_unit=money_unit)
    results = screen_all(recs, RULES, PROGRAMMES, application_year=APPLICATION_YEAR)
    parts = []
    for r in results:
        t = r.to_frame().set_index("firm_id")
        t = t[["eligible", *r.criterion_ids()]]
        t.columns = [f"{r.programme.id}:{c}" for c in t.columns]
        parts.append(t)
    return pd.concat(parts, axis=1).sort_index()


def _improve(f: dict, move: str, k: int, amount: float) -> dict:
    g = {key: list(v) for key, v in f.items()}

    def add(name, cap=None):
        if g[name][k] is None:
            return
        v = g[name][k] + amount
        if cap is not None and g[cap][k] is not None:
            v = min(v, g[cap][k])
        g[name][k] = max(v, g[name][k])

    if move == "rd":  # more R&D, all of it in China
        if g["rd_expense"][k] is not None and g["domestic_rd_expense"][k] is not None:
            g["rd_expense"][k] += amount
            g["domestic_rd_expense"][k] += amount
    elif move == "hightech":
        add("hightech_product_service_revenue", "total_revenue")
    elif move == "st":
        add("st_personnel", "total_employees")
    elif move == "rd_staff":
        add("rd_staff", "total_employees")
    elif move == "main_latest":
        k = 2
        add("main_business_revenue", "operating_revenue")
    elif move == "liabilities":
        if g["total_liabilities"][k] is not None:
            g["total_liabilities"][k] = max(0.0, g["total_liabilities"][k] - amount)
    elif move == "share":
        if g["national_niche_market_share"][k] is not None:
            g["national_niche_market_share"][k] = min(100.0, g["national_niche_market_share"][k] + amount % 40)
    elif move in ("innovation_capability_score", "sme_sjtx_development_score",
                  "sjtx_local_feature_score", "years_in_niche_market", "class_i_ip",
                  "class_ii_ip", "class_i_ip_in_use_leading_product", "digital_level",
                  "quality_conditions_met", "rd_institution_level",
                  "core_processes_with_information_system", "new_equity_financing",
                  "net_profit"):
        step = amount if move in ("new_equity_financing", "net_profit") else 1 + amount % 5
        if g[move][k] is not None:
            g[move][k] += step
    elif move in RANKS:
        v = g[move][k]
        if v is not None:
            g[move][k] = 1.0 if v == 0 else max(1.0, v - 1)
    elif move in BOOLS:
        g[move][k] = move not in BAD_WHEN_TRUE
    elif move == "registration_date":
        if g[move][0] is not None:
            g[move] = [g[move][0] - pd.Timedelta(days=1 + int(amount) % 400).to_pytimedelta()] * 3
    elif move == "core_technology_field":
        g[move][k] = "电子信息"
    elif move == "leading_product_field":
        g[move][k] = "manufacturing_core_basics"
    return g


MOVES = (["rd", "hightech", "st", "rd_staff", "main_latest", "liabilities", "share",
          "innovation_capability_score", "sme_sjtx_development_score",
          "sjtx_local_feature_score", "years_in_niche_market", "class_i_ip", "class_ii_ip",
          "class_i_ip_in_use_leading_product", "digital_level", "quality_conditions_met",
          "rd_institution_level", "core_processes_with_information_system",
          "new_equity_financing", "net_profit", "registration_date",
          "core_technology_field", "leading_product_field"] + RANKS + BOOLS)

ORDER = {"fail": 0, "unknown": 1, "n/a": 1, "pass": 2, "false": 0, "true": 2}


@SETTINGS
@given(firm_years(), st.integers(1, 50_000_000).map(float))
def test_improving_a_metric_never_turns_pass_into_fail(f, amount):
    """Every improvement move is applied, one at a time and in each fiscal year, to the
    same firm; all the variants are screened together with the original."""
    firms = {"before": f}
    firms["after:all"] = f
    for k in range(3):
        for move in MOVES:
            firms[f"after:{move}:{k}"] = _improve(f, move, k, amount)
            firms["after:all"] = _improve(firms["after:all"], move, k, amount)
    out = _screen(_frame(firms))
    before = out.loc["before"]
    for name in firms:
        if name == "before":
            continue
        after = out.loc[name]
        turned = [c for c in out.columns if before[c] == "pass" and after[c] == "fail"]
        assert not turned, (name, turned)
        lost = [c for c in out.columns if c.endswith(":eligible")
                and before[c] == "true" and after[c] != "true"]
        assert not lost, (name, lost)


@SETTINGS
@given(firm_years(), firm_years(), st.randoms(use_true_random=False))
def test_verdict_independent_of_column_and_row_order(f1, f2, rnd):
    frame = _frame({"A": f1, "B": f2})
    cols = list(frame.columns)
    rnd.shuffle(cols)
    shuffled = frame[cols].sample(frac=1, random_state=rnd.randint(0, 10_000))
    pd.testing.assert_frame_equal(_screen(frame), _screen(shuffled))


@SETTINGS
@given(firm_years(), firm_years())
def test_verdict_independent_of_money_unit(f1, f2):
    frame = _frame({"A": f1, "B": f2})
    wan = frame.copy()
    for c in wan.columns:
        if c in FIELDS and FIELDS[c].kind == "money":
            wan[c] = wan[c].astype(float) / 10_000
    pd.testing.assert_frame_equal(_screen(frame), _screen(wan, money_unit="10k-yuan"))
