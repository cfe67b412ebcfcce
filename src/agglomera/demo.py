"""The main job on the bundled data: ``make demo`` / ``agglomera demo``.

Builds a fresh DuckDB from the bundled China Statistical Yearbook tables through the same
import path users use, then compares the Northeast provinces with Jiangsu and the
national total: employment by sector from the tables that cover all of them.
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


def run_demo(db: str | Path, console: Console, progress: Progress | None = None) -> None:
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
    console.print("Sources: National Bureau of Statistics of China, China Statistical Yearbook "
                  "1999 table 5-3, 2007 table 5-12, 2008 tables 4-4 and 4-11 (see "
                  "agglomera/data/nbs/SOURCES.md; coverage of the bundled tables is partial). "
                  f"Next: agglomera db info --db {db}; agglomera measure list", highlight=False)


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
