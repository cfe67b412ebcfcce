"""Hand-built firms with worked verdicts, at least three per programme.

Application year 2025; fiscal years 2022-2024 (2024 = 上年度, the latest). Amounts in
yuan. Each docstring works the verdict out by hand from the documents' criteria.
"""

from __future__ import annotations

import pytest

from agglomera.screening.explain import explain

from .helpers import firm, run, status, verdict
from .test_bands import innov_fields

# ---- hnte-2016 -------------------------------------------------------------------------

def hnte_firm(**over) -> dict:
    base = {"registration_date": "2015-03-01", "sales_revenue": [8e7, 1e8, 1.2e8],
                "total_revenue": 1.25e8, "rd_expense": [4e6, 4.5e6, 5.5e6],
                "domestic_rd_expense": [4e6, 4.5e6, 5.5e6],
                "hightech_product_service_revenue": 8e7, "st_personnel": 30,
                "total_employees": 200, "owns_core_ip_for_main_products": "是",
                "core_technology_field": "电子信息", "innovation_capability_score": 78,
                "major_incident_in_year_before_application": "否"}
    return {**base, **over}


def test_hnte_eligible_firm():
    """Registered 2015 (> 1 year); own core IP; field 电子信息 (one of the eight);
    S&T staff 30 / 200 = 15 % >= 10 %; latest sales 120 m -> band (50 m, 200 m], 4 %;
    R&D 14 m / sales 300 m = 4.67 % >= 4 %; domestic R&D 100 % >= 60 %; high-tech
    revenue 80 / 125 = 64 % >= 60 %; score 78 > 70; no incident -> eligible."""
    r = run(firm(**hnte_firm()), "hnte-2016")
    assert verdict(r) == "true"
    assert r.distance[0] == 0


def test_hnte_near_miss_on_rd_with_gap_sentence():
    """As above but R&D 3.0 + 3.5 + 3.7 = 10.2 m over sales 300 m = 3.4 % < 4 %.
    4 % of 300 m is 12 m, so R&D must rise by 1.8 m yuan -> not eligible, distance
    (4 - 3.4) / 4 = 0.15."""
    rd = [3e6, 3.5e6, 3.7e6]
    r = run(firm(**hnte_firm(rd_expense=rd, domestic_rd_expense=rd)), "hnte-2016")
    assert verdict(r) == "false"
    assert status(r, "hnte.rd_ratio.medium") == "fail"
    assert r.gap["hnte.rd_ratio.medium"][0] == pytest.approx(1.8e6)
    assert r.distance[0] == pytest.approx(0.15)
    ex = explain(r, statuses=("fail",)).set_index("criterion")
    en = ex.loc["hnte.rd_ratio.medium", "explanation_en"]
    zh = ex.loc["hnte.rd_ratio.medium", "explanation_zh"]
    assert "must rise by 1.8 m yuan to reach 4% of sales" in en
    assert "需增加180万元" in zh and "4%" in zh


def test_hnte_score_of_exactly_70_fails():
    """Art. 11(7): 70分以上（不含70分）: a score of 70 fails, everything else passes ->
    not eligible; the sentence says the score must exceed 70."""
    r = run(firm(**hnte_firm(innovation_capability_score=70)), "hnte-2016")
    assert verdict(r) == "false"
    ex = explain(r, statuses=("fail",)).set_index("criterion")
    assert "must exceed 70" in ex.loc["hnte.innovation_score", "explanation_en"]


def test_hnte_missing_score_is_unknown_not_fail():
    """Every criterion passes except the innovation score, which is not given ->
    unknown (missing data is never a fail)."""
    r = run(firm(**hnte_firm(innovation_capability_score=None)), "hnte-2016")
    assert verdict(r) == "unknown"
    assert status(r, "hnte.innovation_score") == "unknown"


# ---- little-giant-2022 -----------------------------------------------------------------

def lg22_firm(**over) -> dict:
    base = {"is_specialized_sme": "是", "years_in_niche_market": 5,
                "operating_revenue": [1.3e8, 1.4e8, 1.5e8],
                "main_business_revenue": [1e8, 1.1e8, 1.2e8],
                "core_processes_with_information_system": 2,
                "has_management_or_product_certification": "是", "total_assets": 2e8,
                "total_liabilities": 1e8, "national_niche_market_share": 12, "has_own_brand": "是",
                "rd_expense": 5e6, "has_rd_institution": "是",
                "class_i_ip_in_use_leading_product": 2, "supply_chain_key_link": "是",
                "leading_product_field": "manufacturing_core_basics"}
    return {**base, **over}


def test_little_giant_2022_general_route():
    """Specialised SME; 5 years in niche (>= 3); main share 120 / 150 = 80 % (>= 70);
    main growth 10 % and 9.1 %, mean 9.5 % (>= 5); 2 systems; certified; debt 50 %
    (<= 70); share 12 % (>= 10); brand; revenue 150 m >= 1亿 so R&D must be >= 3 % in
    each of 2023 (5 / 140 = 3.6 %) and 2024 (5 / 150 = 3.3 %); R&D institute; 2
    class-I IP in use -> general route holds -> eligible."""
    r = run(firm(**lg22_firm()), "little-giant-2022")
    assert status(r, "lg22.innovation.general") == "pass"
    assert verdict(r) == "true"


def test_little_giant_2022_direct_route():
    """Only 1 class-I IP (general route fails), but a national S&T award ranked 2nd in
    the last 3 years meets the direct route -> innovation passes -> eligible."""
    r = run(firm(**lg22_firm(class_i_ip_in_use_leading_product=1,
                             national_st_award_rank_last_3_years=2)), "little-giant-2022")
    assert status(r, "lg22.innovation.general") == "fail"
    assert status(r, "lg22.innovation.direct") == "pass"
    assert verdict(r) == "true"


def test_little_giant_2022_debt_too_high():
    """Debt 150 / 200 = 75 % > 70 % -> fails; liabilities must fall by 10 m yuan
    (to 70 % of 200 m = 140 m) -> not eligible."""
    r = run(firm(**lg22_firm(total_liabilities=1.5e8)), "little-giant-2022")
    assert verdict(r) == "false"
    assert r.gap["lg22.debt_ratio"][0] == pytest.approx(1e7)
    en = explain(r, statuses=("fail",)).set_index("criterion").loc[
        "lg22.debt_ratio", "explanation_en"]
    assert "must fall by 10 m yuan" in en


def test_little_giant_2022_unverified_prerequisite_missing():
    """Everything passes but the (unverified) provincial-SME prerequisite is not
    given -> unknown, and the explanation flags the criterion as unverified."""
    r = run(firm(**lg22_firm(is_specialized_sme=None)), "little-giant-2022")
    assert verdict(r) == "unknown"
    ex = explain(r, statuses=("unknown",)).set_index("criterion")
    assert ex.loc["lg22.prerequisite_provincial_sjtx", "flag"] == "unverified"


# ---- little-giant-2026-provisional -----------------------------------------------------

def lg26_firm(**over) -> dict:
    base = {"is_specialized_sme": "是", "years_in_niche_market": 4,
                "operating_revenue": [1e8, 1.1e8, 1.21e8],
                "main_business_revenue": [0.95e8, 1.045e8, 1.1495e8], "total_assets": 2e8,
                "total_liabilities": 1.2e8, "rd_expense": [5e6, 6e6, 7e6],
                "class_i_ip_in_use_leading_product": 4, "national_niche_market_share": 12,
                "leading_product_field": "emerging_industries", "sme_sjtx_development_score": 65}
    return {**base, **over}


def test_little_giant_2026_eligible():
    """Specialised SME, 4 years; revenue 121 m >= 50 m; main share 95 % >= 90 %;
    revenue CAGR (121 / 100)^(1/2) - 1 = 10 % >= 5 %; debt 60 % <= 75 %; R&D 6 + 7 =
    13 m >= 12 m, 5.5 % and 5.8 % of revenue (>= 3 % each year); 4 class-I IP; share
    12 %; emerging industry; score 65 >= 60 -> eligible (provisional rule set)."""
    r = run(firm(**lg26_firm()), "little-giant-2026-provisional")
    assert verdict(r) == "true"
    assert r.programme.provisional


def test_little_giant_2026_ip_waived_by_award():
    """Only 2 class-I IP (< 4) but a national S&T award ranked 1st in the last 3 years
    waives the IP item -> eligible."""
    r = run(firm(**lg26_firm(class_i_ip_in_use_leading_product=2,
                             national_st_award_rank_last_3_years=1)),
            "little-giant-2026-provisional")
    assert status(r, "lg26.class_I_ip.count") == "fail"
    assert verdict(r) == "true"


def test_little_giant_2026_rd_short_by_one_million():
    """R&D 5 + 6 = 11 m over the last 2 years < 12 m: must rise by 1 m yuan -> not
    eligible."""
    r = run(firm(**lg26_firm(rd_expense=[5e6, 5e6, 6e6])), "little-giant-2026-provisional")
    assert verdict(r) == "false"
    assert r.gap["lg26.rd_total_2y"][0] == pytest.approx(1e6)


# ---- specialised-sme-2022 --------------------------------------------------------------

def sjtx_firm(**over) -> dict:
    g = 1.12
    base = {"years_in_niche_market": 10, "operating_revenue": 1e8,
                "main_business_revenue": [8.5e7 / g / g, 8.5e7 / g, 8.5e7],
                "sjtx_leading_product_field_points": 5, "digital_level": 3,
                "quality_conditions_met": 2, "net_profit": 1.2e7, "total_assets": 1e8,
                "total_liabilities": 4e7, "sjtx_local_feature_score": 10, "class_i_ip": 0,
                "class_i_ip_self_developed": 0, "class_i_ip_high_value": 0, "class_ii_ip": 0,
                "rd_expense": 3e6, "rd_staff": 0, "total_employees": 100, "rd_institution_level": 0}
    return {**base, **over}


def test_specialised_sme_eligible_by_score():
    """10 years in niche (>= 2); R&D 3 m >= 1 m and 3 m / 100 m = 3 % (>= 3 %, at the
    edge); revenue 100 m >= 10 m; score: s1 5 + s2 10 + s3 5 + s4 5 + r5 5 + r6 5 +
    r7 10 + r8 5 + t9 10 + i10 0 + i11 6 (R&D >= 3 m) + i12 0 + i13 0 = 66 >= 60 ->
    eligible."""
    r = run(firm(**sjtx_firm()), "specialised-sme-2022")
    assert r.score_min[0] == r.score_max[0] == 66
    assert verdict(r) == "true"


def test_specialised_sme_eligible_by_award_despite_unknown_score():
    """No scoring data at all (score 0-100, unknown) but a provincial S&T award ranked
    2nd in the last 3 years meets a direct condition -> eligible."""
    r = run(firm(years_in_niche_market=3, operating_revenue=5e7, rd_expense=2e6,
                 provincial_st_award_rank_last_3_years=2), "specialised-sme-2022")
    assert status(r, "sjtx.score") == "unknown"
    assert verdict(r) == "true"


def test_specialised_sme_rd_ratio_short():
    """R&D 2.5 m is >= 1 m but only 2.5 % of revenue 100 m (< 3 %): must rise by 0.5 m
    yuan -> not eligible."""
    r = run(firm(**sjtx_firm(rd_expense=2.5e6)), "specialised-sme-2022")
    assert status(r, "sjtx.rd_expense.amount") == "pass"
    assert status(r, "sjtx.rd_expense.ratio") == "fail"
    assert r.gap["sjtx.rd_expense.ratio"][0] == pytest.approx(5e5)
    assert verdict(r) == "false"


# ---- innovative-sme-2022 ---------------------------------------------------------------

def test_innovative_sme_eligible_by_score():
    """Items: IP 5 (class-II) + R&D 6 % -> 20 | growth 20 % -> 20 + debt 50 % -> 10 |
    strategic emerging 10 + main share 75 % -> 20: total 85 >= 60, innovation 25 >= 20,
    growth 30 >= 15, specialisation 30 >= 15 -> eligible."""
    r = run(firm(**innov_fields(5, 20, 20, 10, 10, 20)), "innovative-sme-2022")
    assert r.score_min[0] == 85
    assert verdict(r) == "true"


def test_innovative_sme_eligible_by_honour():
    """Score 55 (< 60) but a valid HNTE certificate (listed honour) is a direct
    condition -> eligible."""
    r = run(firm(**innov_fields(5, 20, 5, 10, 5, 10), holds_listed_honour="是"),
            "innovative-sme-2022")
    assert status(r, "innov.score_route") == "fail"
    assert verdict(r) == "true"


def test_innovative_sme_not_eligible_and_unknown():
    """Score 55 and every direct condition answered 'no' (equity 0) -> not eligible;
    the same firm with the direct conditions not given -> unknown."""
    no = {"st_award_last_3_years": "否", "holds_listed_honour": "否",
              "has_recognized_provincial_rd_institution": "否", "new_equity_financing": 0}
    r = run(firm(**innov_fields(5, 20, 5, 10, 5, 10), **no), "innovative-sme-2022")
    assert verdict(r) == "false"
    r = run(firm(**innov_fields(5, 20, 5, 10, 5, 10)), "innovative-sme-2022")
    assert verdict(r) == "unknown"


# ---- tsme-2017 ---------------------------------------------------------------------------

def tsme_firm(**over) -> dict:
    base = {"is_mainland_resident_enterprise": "是", "total_employees": 200,
                "st_personnel": 60, "sales_revenue": 5e7, "total_assets": 6e7,
                "in_prohibited_category": "否", "clean_compliance_record": "是",
                "rd_expense": 3e6, "cost_expense_total": 4e7, "class_i_ip": 1, "class_ii_ip": 0}
    return {**base, **over}


def test_tsme_eligible_by_score():
    """Resident; 200 staff <= 500, sales 50 m and assets 60 m <= 200 m; not prohibited;
    clean record; score: S&T 60 / 200 = 30 % -> 20, R&D 3 / 50 = 6 % -> 50, class-I IP
    -> 30: 100 >= 60 and S&T score 20 > 0 -> eligible."""
    r = run(firm(**tsme_firm()), "tsme-2017")
    assert r.score_min[0] == 100
    assert verdict(r) == "true"


def test_tsme_too_many_employees():
    """501 employees > 500 (不超过500人) -> size limits fail -> not eligible."""
    r = run(firm(**tsme_firm(total_employees=501)), "tsme-2017")
    assert status(r, "tsme.size_limits.employees") == "fail"
    assert verdict(r) == "false"


def test_tsme_direct_route_with_hnte_certificate():
    """S&T 10 / 200 = 5 % -> 0 points, so the score route fails (S&T score must be
    non-zero), but a valid HNTE certificate confirms directly (Art. 8) -> eligible."""
    r = run(firm(**tsme_firm(st_personnel=10, holds_valid_hnte_certificate="是")),
            "tsme-2017")
    assert status(r, "tsme.score_route") == "fail"
    assert verdict(r) == "true"


def test_hnte_young_firm_uses_its_actual_operating_period():
    """Registered 2023-03-01, applying in 2025: its operating period is fiscal 2023-2024
    (实际经营期不满三年的按实际经营时间计算). No 2022 figures exist; R&D 4.5 m + 5 m = 9.5 m
    over sales 100 m + 120 m = 220 m = 4.32 % >= 4 % (latest sales 120 m: 50-200 m band)
    -> the R&D criterion passes instead of being unknown for want of 2022."""
    young = hnte_firm(registration_date="2023-03-01",
                      rd_expense=[None, 4.5e6, 5e6], domestic_rd_expense=[None, 4.5e6, 5e6],
                      sales_revenue=[None, 1e8, 1.2e8])
    r = run(firm(**young), "hnte-2016")
    assert status(r, "hnte.rd_ratio.medium") == "pass"
    assert status(r, "hnte.domestic_rd_share") == "pass"


def test_hnte_missing_year_inside_the_operating_period_stays_unknown():
    """Registered 2015 (operating for the whole window) but fiscal 2022 R&D is missing:
    the 3-year ratio cannot be computed -> unknown, never fail."""
    r = run(firm(**hnte_firm(rd_expense=[None, 5e6, 5.5e6])), "hnte-2016")
    assert status(r, "hnte.rd_ratio.medium") == "unknown"


def test_hnte_young_firm_below_the_ratio_fails():
    """Registered 2023-06-30; fiscal 2023-2024: R&D 3 m + 3 m = 6 m over sales
    80 m + 120 m = 200 m = 3 % < 4 % -> fails, with the gap over the operating period:
    4 % of 200 m = 8 m, so R&D must rise by 2 m yuan."""
    young = hnte_firm(registration_date="2023-06-30",
                      rd_expense=[None, 3e6, 3e6], domestic_rd_expense=[None, 3e6, 3e6],
                      sales_revenue=[None, 8e7, 1.2e8])
    r = run(firm(**young), "hnte-2016")
    assert status(r, "hnte.rd_ratio.medium") == "fail"
    assert r.gap["hnte.rd_ratio.medium"][0] == pytest.approx(2e6)
