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
    console.print("Sources: National Bureau of Statistics of China, China Statistical Yearbook "
                  "2007 table 5-12 and 2008 table 4-4 (see agglomera/data/nbs/SOURCES.md; "
                  "coverage of the bundled tables is partial). Next: agglomera db info --db "
                  f"{db}", highlight=False)
