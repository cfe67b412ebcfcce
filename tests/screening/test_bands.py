"""Revenue bands (which threshold applies) and computed-score criteria at their edges."""

from __future__ import annotations

import pytest

from .helpers import firm, run, status

WAN = 10_000


@pytest.mark.parametrize("sales,band,other", [
    (5000 * WAN, "hnte.rd_ratio.small", ("hnte.rd_ratio.medium", "hnte.rd_ratio.large")),
    (5000 * WAN + 1, "hnte.rd_ratio.medium", ("hnte.rd_ratio.small", "hnte.rd_ratio.large")),
    (20000 * WAN, "hnte.rd_ratio.medium", ("hnte.rd_ratio.small", "hnte.rd_ratio.large")),
    (20000 * WAN + 1, "hnte.rd_ratio.large", ("hnte.rd_ratio.small", "hnte.rd_ratio.medium")),
    (100 * WAN, "hnte.rd_ratio.small", ("hnte.rd_ratio.medium", "hnte.rd_ratio.large")),
    (90000 * WAN, "hnte.rd_ratio.large", ("hnte.rd_ratio.small", "hnte.rd_ratio.medium")),
])
def test_hnte_rd_band_follows_latest_year_sales(sales, band, other):
    """Art. 11(5): <= 50 m (含) -> 5 %, (50 m, 200 m] -> 4 %, > 200 m -> 3 %."""
    r = run(firm(sales_revenue=sales, rd_expense=0.035 * sales), "hnte-2016")
    want = {"hnte.rd_ratio.small": "fail", "hnte.rd_ratio.medium": "fail",
            "hnte.rd_ratio.large": "pass"}[band]  # 3.5 % meets only the 3 % band
    assert status(r, band) == want
    for o in other:
        assert status(r, o) == "n/a"


def test_hnte_band_uses_latest_year_sales_but_three_year_ratio():
    """Sales 30 m, 40 m, 60 m: the latest year (60 m) puts the firm in the 4 % band;
    R&D 1.2 m + 1.6 m + 2.4 m = 5.2 m over sales 130 m = 4.0 % -> pass (at the edge)."""
    r = run(firm(sales_revenue=[3e7, 4e7, 6e7], rd_expense=[1.2e6, 1.6e6, 2.4e6]),
            "hnte-2016")
    assert status(r, "hnte.rd_ratio.medium") == "pass"
    assert status(r, "hnte.rd_ratio.small") == "n/a"


def test_hnte_band_unknown_without_latest_sales():
    r = run(firm(sales_revenue=[3e7, 4e7, None], rd_expense=1e6), "hnte-2016")
    for band in ("hnte.rd_ratio.small", "hnte.rd_ratio.medium", "hnte.rd_ratio.large"):
        assert status(r, band) == "unknown"


@pytest.mark.parametrize("revenue,applies", [
    (10000 * WAN, "lg22.rd_ratio.rev_ge_100m"),
    (10000 * WAN - 1, "lg22.rd_ratio.rev_50m_100m"),
    (5000 * WAN, "lg22.rd_ratio.rev_50m_100m"),
    (5000 * WAN - 1, "lg22.rd_small_firm_route"),
])
def test_little_giant_2022_rd_bands(revenue, applies):
    """1亿元以上 -> 3 % each year; 5000万-1亿 -> 6 %; below 5000万 -> equity route."""
    r = run(firm(operating_revenue=revenue, rd_expense=0.04 * revenue), "little-giant-2022")
    bands = ["lg22.rd_ratio.rev_ge_100m", "lg22.rd_ratio.rev_50m_100m",
             "lg22.rd_small_firm_route"]
    for b in bands:
        if b == applies:
            assert status(r, b) != "n/a"
        else:
            assert status(r, b) == "n/a"
    want = {"lg22.rd_ratio.rev_ge_100m": "pass", "lg22.rd_ratio.rev_50m_100m": "fail"}
    if applies in want:
        assert status(r, applies) == want[applies]


@pytest.mark.parametrize("revenue,equity,rev_status,eq_status", [
    (1000 * WAN, None, "pass", "n/a"),
    (1000 * WAN - 1, 1000 * WAN, "fail", "pass"),   # 2 x 10 m = 20 m: at the threshold
    (1000 * WAN - 1, 999 * WAN, "fail", "fail"),
])
def test_specialised_sme_revenue_or_equity_band(revenue, equity, rev_status, eq_status):
    r = run(firm(operating_revenue=revenue, new_equity_financing=equity),
            "specialised-sme-2022")
    assert status(r, "sjtx.revenue_or_equity.revenue") == rev_status
    assert status(r, "sjtx.revenue_or_equity.equity") == eq_status


# ---- computed scores -------------------------------------------------------------------

def sjtx_base(local: float) -> dict:
    """Items: s1 5 (85 %), s2 10 (12 % growth), s3 5, s4 5, r5 5, r6 5 (2 x 3, capped),
    r7 10 (12 % margin), r8 5 (40 % debt), t9 = local, IP / R&D / staff / institute 0:
    total 50 + local."""
    g = 1.12
    return {"operating_revenue": 1e8, "main_business_revenue": [8.5e7 / g / g, 8.5e7 / g, 8.5e7],
                "years_in_niche_market": 10, "sjtx_leading_product_field_points": 5,
                "digital_level": 3, "quality_conditions_met": 2, "net_profit": 1.2e7,
                "total_assets": 1e8, "total_liabilities": 4e7, "sjtx_local_feature_score": local,
                "class_i_ip": 0, "class_i_ip_self_developed": 0, "class_i_ip_high_value": 0,
                "class_ii_ip": 0, "rd_expense": 0, "rd_staff": 0, "total_employees": 100,
                "rd_institution_level": 0}


@pytest.mark.parametrize("local,want", [(9, "fail"), (10, "pass"), (11, "pass")])
def test_specialised_sme_score_boundary(local, want):
    """Score 59 / 60 / 61 against '60分以上' (>= 60)."""
    r = run(firm(**sjtx_base(local)), "specialised-sme-2022")
    assert r.score_min[0] == r.score_max[0] == 50 + local
    assert status(r, "sjtx.score") == want


def test_specialised_sme_score_missing_item_is_an_interval():
    """Without the local item (0-15 points) the score is 50-65: unknown against 60."""
    fields = sjtx_base(0)
    fields["sjtx_local_feature_score"] = None
    r = run(firm(**fields), "specialised-sme-2022")
    assert (r.score_min[0], r.score_max[0]) == (50, 65)
    assert status(r, "sjtx.score") == "unknown"


def innov_fields(i1, i2, g3, g4, p5, p6) -> dict:
    """Firm whose innovative-SME items score exactly the points given."""
    ip = {20: (1, 1, 1, 0), 15: (1, 1, 0, 0), 10: (1, 0, 0, 0), 5: (0, 0, 0, 1),
          0: (0, 0, 0, 0)}[i1]
    ratio = {20: 0.06, 15: 0.04, 10: 0.025, 5: 0.015, 0: 0.005}[i2]
    growth = {20: 0.20, 15: 0.12, 10: 0.07, 5: 0.02, 0: -0.05}[g3]
    debt = {10: 0.50, 5: 0.60, 0: 0.80}[g4]
    share = {20: 0.75, 15: 0.65, 10: 0.57, 5: 0.52, 0: 0.40}[p6]
    main = 1e8 * share
    return {"class_i_ip": ip[0], "class_i_ip_self_developed": ip[1],
                "class_i_ip_high_value": ip[2], "class_ii_ip": ip[3], "operating_revenue": 1e8,
                "rd_expense": ratio * 1e8,
                "main_business_revenue": [main / (1 + growth), main / (1 + growth), main],
                "total_assets": 1e8, "total_liabilities": debt * 1e8,
                "strategic_emerging_industry": "是" if p5 == 10 else "否"}


@pytest.mark.parametrize("points,crit,want", [
    ((5, 20, 5, 10, 5, 10), "innov.score_route.total", "fail"),      # 55
    ((5, 20, 10, 10, 5, 10), "innov.score_route.total", "pass"),     # 60
    ((5, 20, 10, 10, 5, 15), "innov.score_route.total", "pass"),     # 65
    ((0, 15, 20, 10, 10, 20), "innov.score_route.innovation", "fail"),  # 15
    ((5, 15, 20, 10, 10, 20), "innov.score_route.innovation", "pass"),  # 20
    ((10, 15, 20, 10, 10, 20), "innov.score_route.innovation", "pass"),  # 25
    ((20, 20, 5, 5, 10, 20), "innov.score_route.growth", "fail"),    # 10
    ((20, 20, 5, 10, 10, 20), "innov.score_route.growth", "pass"),   # 15
    ((20, 20, 10, 10, 10, 20), "innov.score_route.growth", "pass"),  # 20
    ((20, 20, 20, 10, 5, 5), "innov.score_route.specialisation", "fail"),   # 10
    ((20, 20, 20, 10, 5, 10), "innov.score_route.specialisation", "pass"),  # 15
    ((20, 20, 20, 10, 10, 10), "innov.score_route.specialisation", "pass"),  # 20
])
def test_innovative_sme_score_boundaries(points, crit, want):
    """Total >= 60, innovation >= 20, growth >= 15, specialisation >= 15 (附件1)."""
    fields = innov_fields(*points)
    r = run(firm(**fields), "innovative-sme-2022")
    assert r.score_min[0] == r.score_max[0] == sum(points)
    assert status(r, crit) == want


@pytest.mark.parametrize("st_share,rd_ratio,class_ii,total,st_status,total_status", [
    (0.30, 0.055, 0, 60, "pass", "pass"),
    (0.29, 0.055, 0, 56, "pass", "fail"),
    (0.30, 0.055, 1, 66, "pass", "pass"),
    (0.0999, 0.07, 4, 74, "fail", "pass"),
    (0.10, 0.07, 4, 78, "pass", "pass"),
])
def test_tsme_score_boundaries(st_share, rd_ratio, class_ii, total, st_status, total_status):
    """第七条: >= 60 points and a non-zero S&T-personnel score; bands marked (含)."""
    r = run(firm(total_employees=10000, st_personnel=st_share * 10000,
                 sales_revenue=1e8, rd_expense=rd_ratio * 1e8, cost_expense_total=1e9,
                 class_i_ip=0, class_ii_ip=class_ii), "tsme-2017")
    assert r.score_min[0] == r.score_max[0] == total
    assert status(r, "tsme.score_route.st_personnel") == st_status
    assert status(r, "tsme.score_route.total") == total_status
