"""The main job on the bundled data: ``make demo`` / ``agglomera demo``.

Builds a fresh DuckDB from the bundled China Statistical Yearbook tables through the same
import path users use, then compares the Northeast provinces with Jiangsu and the
national total: employment by sector from the tables that cover all of them; rates the
provinces' sectors with the U.S. Cluster Mapping rule (agglomera.clusters), scores the
Northeast against Jiangsu (agglomera.evaluate), checks the Jilin 2017 plan targets, and
writes a region report (HTML, Excel) for Jilin against Jiangsu into ``demo-output/``
beside the database.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from agglomera.bundled import nbs_files
from agglomera.ingest import import_files
from agglomera.ingest.pipeline import Progress
from agglomera.store import open_store

NORTHEAST = [("210000", "辽宁 Liaoning"), ("220000", "吉林 Jilin"),
             ("230000", "黑龙江 Heilongjiang")]
LQ_TABLE = "CSY2008-4-11"  # professional & technical personnel by 19 sections, 2007

REGIONS = [("210000", "辽宁 Liaoning"), ("220000", "吉林 Jilin"),
           ("230000", "黑龙江 Heilongjiang"), ("320000", "江苏 Jiangsu"),
           ("100000", "全国 National")]

SECTOR_TABLE = "CSY2007-5-12"  # private enterprises & self-employed by sector, 2006
STRATA_TABLE = "CSY2008-4-4"  # employed persons by three strata, 2007


def build_demo_db(db: str | Path, progress: Progress | None = None) -> Path:
    """Create ``db`` afresh from the bundled yearbook tables."""
    db = Path(db)
    for p in (db, Path(str(db) + ".wal")):
        if p.exists():
            p.unlink()
    import_files(db, nbs_files(), progress=progress)
    return db


def employment_by_sector(db: str | Path, table_ref: str) -> pd.DataFrame:
    """Sector x region employment (persons) of one bundled table, with shares."""
    codes = [c for c, _ in REGIONS]
    with open_store(db, read_only=True) as store:
        frame = store.con.execute(
            "SELECT region_code, industry_scheme, industry_code, industry_name, "
            "industry_name_en, year, metric, value FROM observations "
            "WHERE table_ref = ? AND region_code IN (SELECT unnest(?)) AND unit = 'persons'",
            [table_ref, codes]).df()
    wide = frame.pivot_table(index=["industry_code", "industry_name", "industry_name_en"],
                             columns="region_code", values="value", aggfunc="first")
    return wide.reindex(columns=codes)


def run_demo(db: str | Path, console: Console, progress: Progress | None = None, *,
             out_dir: str | Path | None = None) -> None:
    """Build the demo database, print the comparisons and write the Jilin report.

    ``out_dir`` (default ``demo-output`` beside ``db``) receives ``report.html`` and
    ``report.xlsx``.
    """
    db = build_demo_db(db, progress)
    with open_store(db, read_only=True) as store:
        info = store.info()
    console.print(f"[bold]agglomera demo[/] - built {db} from the bundled China Statistical "
                  f"Yearbook tables: {info['observations']:,} observations from "
                  f"{len(info['sources'])} files.", highlight=False)
    for table_ref, title in (
        (SECTOR_TABLE, "Employment in urban private enterprises & self-employed by sector, "
                       "2006 / 城镇私营和个体从业人员 (CSY2007 table 5-12)"),
        (STRATA_TABLE, "Employed persons by three strata, 2007 / 三次产业就业人员 "
                       "(CSY2008 table 4-4)"),
    ):
        wide = employment_by_sector(db, table_ref)
        if wide.empty:
            continue
        t = Table(title=title, caption="10 000 persons (share of the region's total, %) / "
                  "万人（占本地区合计%）")
        t.add_column("sector 行业")
        for _, label in REGIONS:
            t.add_column(label, justify="right")
        totals = wide[wide.index.get_level_values("industry_code") == "_T"]
        total_row = totals.iloc[0] if len(totals) else None
        order = sorted(wide.index, key=lambda k: (k[0] != "_T", k[0]))
        for key in order:
            row = wide.loc[key]
            cells = []
            for code, _ in REGIONS:
                v = row[code]
                if pd.isna(v):
                    cells.append("—")
                    continue
                share = ("" if total_row is None or key[0] == "_T" or pd.isna(total_row[code])
                         else f" ({100 * v / total_row[code]:.1f}%)")
                cells.append(f"{v / 1e4:,.1f}{share}")
            t.add_row(f"{key[1]} {key[2]}", *cells)
        console.print(t)
    show_measures(db, console)
    show_ratings(db, console)
    show_benchmark(db, console)
    show_plan_check(console)
    write_reports(db, console, Path(out_dir) if out_dir is not None
                  else Path(db).parent / "demo-output")
    console.print("Sources: National Bureau of Statistics of China, China Statistical Yearbook "
                  "1999 table 5-3, 2007 table 5-12, 2008 tables 4-4 and 4-11 (see "
                  "agglomera/data/nbs/SOURCES.md; coverage of the bundled tables is partial). "
                  f"Next: agglomera db info --db {db}; agglomera measure list", highlight=False)
    console.print(f"Open the dashboard / 打开仪表盘: agglomera serve --db {db}",
                  highlight=False)


def _frame(db: str | Path, sql: str, params: list) -> pd.DataFrame:
    with open_store(db, read_only=True) as store:
        return store.con.execute(sql, params).df()


def show_measures(db: str | Path, console: Console) -> None:
    """Leading specialisations, structural similarity and a shift-share decomposition."""
    from agglomera.measures import location_quotient, shift_share, structural_similarity

    keys = dict(region="region_code", industry="industry_code", value="value")
    # 1. leading specialisations: LQ against the national total, 19 sections, 2007
    cells = _frame(db, "SELECT region_code, industry_code, value FROM observations "
                   "WHERE table_ref = ? AND year = 2007 AND industry_code <> '_T'",
                   [LQ_TABLE])
    names = dict(_frame(db, "SELECT code, name_zh FROM industries "
                        "WHERE scheme = 'GB/T 4754-2002'", []).itertuples(index=False))
    lq = location_quotient(cells, **keys, base="100000")
    t = Table(title="Leading specialisations, 2007: location quotient against the national "
              "total / 区位熵前三位 (professional & technical personnel, CSY2008 table 4-11)")
    t.add_column("region 地区")
    for k in (1, 2, 3):
        t.add_column(f"#{k}")
    for code, label in NORTHEAST:
        top = lq[lq.region_code == code].nlargest(3, "location_quotient")
        t.add_row(label, *[f"{names.get(r.industry_code, r.industry_code)} "
                           f"{r.location_quotient:.2f}" for r in top.itertuples()])
    console.print(t)
    # 2. structural similarity (cosine) of the Northeast, Jiangsu and the nation
    private = _frame(db, "SELECT region_code, industry_code, value FROM observations "
                     "WHERE table_ref = ? AND industry_code <> '_T' AND region_code IN "
                     "(SELECT unnest(?))", [SECTOR_TABLE, [c for c, _ in REGIONS]])
    sim = structural_similarity(private, **keys)
    t = Table(title="Structural similarity of industry mixes, 2006 / 产业结构相似系数 "
              "(cosine; private enterprises & self-employed by 7 sectors, CSY2007 5-12)")
    t.add_column("")
    for _, label in REGIONS:
        t.add_column(label, justify="right")
    for code, label in REGIONS:
        t.add_row(label, *[f"{sim.loc[code, c]:.3f}" for c, _ in REGIONS])
    console.print(t)
    # 3. shift-share 1998 -> 2007 on the three strata against the national total
    strata = _frame(db, "SELECT region_code, industry_code, year, value FROM observations "
                    "WHERE table_ref IN ('CSY1999-5-3', 'CSY2008-4-4') AND metric = "
                    "'employed_persons_year_end' AND industry_code <> '_T'", [])
    ss = shift_share(strata, **keys, year="year", reference="100000").totals
    t = Table(title="Shift-share of employment 1998-2007, three strata, against the nation "
              "/ 偏离-份额分析 (CSY1999 5-3, CSY2008 4-4; 10 000 persons)")
    for c in ("region 地区", "change 变化", "national share 全国份额",
              "industry mix 结构偏离", "regional shift 竞争力偏离"):
        t.add_column(c, justify="right")
    for code, label in REGIONS[:4]:
        r = ss.loc[code]
        t.add_row(label, *[f"{r[c] / 1e4:,.1f}" for c in
                           ("change", "national_share", "industry_mix", "regional_shift")])
    console.print(t)


def show_ratings(db: str | Path, console: Console) -> None:
    """U.S. Cluster Mapping strong-cluster rule on the provinces' private-sector sectors."""
    from agglomera.clusters import rate

    frame = _frame(db, "SELECT region_code AS region, industry_code AS cluster, "
                   "value AS employment FROM observations WHERE table_ref = ? AND "
                   "industry_code <> '_T' AND region_level = 'province' AND unit = 'persons'",
                   [SECTOR_TABLE])
    names = dict(_frame(db, "SELECT code, name_zh FROM industries "
                        "WHERE scheme = 'GB/T 4754-2002'", []).itertuples(index=False))
    result = rate(frame, preset="us-cmp")
    flags = result.to_frame()
    # stored, so that the region report and the dashboard show the same ratings
    from agglomera.clusters.store import save_rating

    with open_store(db) as store:
        save_rating(store, result, input_desc=f"{SECTOR_TABLE}: employment in urban "
                    "private enterprises & self-employed by 7 sectors, 2006 (sectors "
                    "stand in for clusters)")
    t = Table(title="Cluster ratings, 2006: U.S. Cluster Mapping rule on 7 sectors of 26 "
              "provinces / 集群评级（美国集群地图规则；CSY2007 5-12 的 7 个行业代替集群）")
    for c in ("region 地区", "strong 强集群", "significant 显著", "qualifying 合格",
              "strength 强集群就业占比"):
        t.add_column(c)
    strength = result.region_strength.set_index("region")["strength"]

    def names_of(rows, level):
        return ", ".join(f"{names.get(c, c)} (LQ {lq:.2f})" for c, lq in
                         rows.loc[rows[level].fillna(False).astype(bool),
                                  ["cluster", "lq"]].itertuples(index=False)) or "—"

    for code, label in (*NORTHEAST, ("320000", "江苏 Jiangsu")):
        rows = flags[flags.region == code]
        sig = rows[rows.significant.fillna(False).astype(bool)
                   & ~rows.strong.fillna(False).astype(bool)]
        t.add_row(label, names_of(rows, "strong"), names_of(sig, "significant"),
                  str(int(rows.qualifying.fillna(False).astype(bool).sum())),
                  f"{100 * strength.get(code, float('nan')):.1f}%")
    console.print(t)


BENCH_METRICS = (("gdp", "CQYB2008-App3", "GDP 地区生产总值 2007"),
                 ("per_capita_gdp", "CQYB2008-App3", "GDP per capita 人均 2007"),
                 ("rd_intramural_expenditure_lme", "EC2008-1-G-18",
                  "R&D spending 研发经费 2008"),
                 ("rd_personnel_lme", "EC2008-1-G-18", "R&D personnel 研发人员 2008"))


def benchmark_frame(db: str | Path) -> pd.DataFrame:
    """One row per Northeast province and Jiangsu, one column per indicator."""
    codes = [c for c, _ in NORTHEAST] + ["320000"]
    parts = []
    for metric, table_ref, _ in BENCH_METRICS:
        parts.append(_frame(db, "SELECT region_code AS region, metric, value FROM "
                            "observations WHERE industry_code = '_T' AND metric = ? AND "
                            "table_ref = ? AND region_code IN (SELECT unnest(?))",
                            [metric, table_ref, codes]))
    long = pd.concat(parts, ignore_index=True)
    return long.pivot_table(index="region", columns="metric", values="value",
                            aggfunc="first").reindex(codes).reset_index()


def show_benchmark(db: str | Path, console: Console) -> None:
    """Gap of each Northeast province to Jiangsu and a composite score of the four."""
    from agglomera.evaluate import benchmark_gap, composite_index

    frame = benchmark_frame(db)
    indicators = [m for m, _, _ in BENCH_METRICS]
    t = Table(title="Scored against Jiangsu / 对标江苏: region as a share of Jiangsu, and "
              "composite score (min-max, equal weights, 0-1)")
    t.add_column("region 地区")
    for _, _, label in BENCH_METRICS:
        t.add_column(label, justify="right")
    t.add_column("composite 综合得分", justify="right")
    scores = composite_index(frame, indicators=indicators, polarity=["higher"] * 4,
                             region="region")
    score = scores.to_frame().set_index("region")["score"] \
        if "region" in scores.to_frame().columns else scores.to_frame()["score"]
    for code, label in NORTHEAST:
        gap = benchmark_gap(frame, region=code, against="320000", indicators=indicators,
                            polarity=["higher"] * 4, year=None).gaps
        t.add_row(label, *[f"{100 * gap.loc[m, 'ratio']:.1f}%" for m in indicators],
                  f"{float(score.get(code, float('nan'))):.3f}")
    t.add_row("江苏 Jiangsu", *["100.0%"] * 4, f"{float(score.get('320000')):.3f}")
    console.print(t)


def show_plan_check(console: Console) -> None:
    """Jilin's 2017 cluster targets: the plan's own category/tier mismatch."""
    from agglomera.evaluate.targets import check_targets, load_targets

    plan = load_targets("jilin-2017")
    check = check_targets(plan)
    console.print(f"[bold]Plan-target check 规划目标检查[/]: {plan.title_en} / "
                  f"{plan.title_zh}", highlight=False)
    if not check.consistency:
        console.print("  the plan's targets are consistent", highlight=False)
    for prob in check.consistency:
        console.print(f"  [yellow]mismatch 不一致[/] ({prob.kind}): {prob.message} "
                      f"(expected {prob.expected:g}, got {prob.got:g})", highlight=False)
    console.print("  actual counts are not in the bundled tables: every target is "
                  "'no_data' until you supply them (agglomera.evaluate.targets)",
                  highlight=False)


def write_reports(db: str | Path, console: Console, out_dir: Path) -> list[Path]:
    """Jilin against Jiangsu as report.html (offline, zh/en) and report.xlsx."""
    from agglomera.report import build_profile
    from agglomera.report.render import write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    profile = build_profile(db, "220000", benchmark="320000")
    paths = [write_report(profile, out_dir / "report.html"),
             write_report(profile, out_dir / "report.xlsx")]
    console.print(f"Region report 地区报告 (Jilin vs Jiangsu): {paths[0]} and {paths[1]}",
                  highlight=False)
    return paths
