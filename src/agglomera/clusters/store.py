"""Clusters in the database: definitions, cluster totals from observations, ratings.

Tables (schema v3, docs/data-model.md): ``cluster_definitions``, ``cluster_rating_runs``,
``cluster_ratings``, ``cluster_region_strength`` and the view ``cluster_rating_results``.
All SQL is parameterised.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from agglomera.clusters.definitions import DEFINITION_COLUMNS, ClusterDefinitions
from agglomera.clusters.rating import RatingResult
from agglomera.clusters.stability import StabilityResult
from agglomera.errors import SchemaError

__all__ = ["cluster_totals", "list_definitions", "read_definitions", "save_definitions",
           "save_rating"]

REGION_LEVELS = ("province", "prefecture", "county", "zone")


def save_definitions(store, defs: ClusterDefinitions, *, replace: bool = True) -> int:
    """Store a definition set (replacing one of the same scheme); returns rows written."""
    t = defs.to_frame()[DEFINITION_COLUMNS].copy()
    t["traded"] = t["traded"].astype(object).where(t["traded"].notna(), None)
    with store.transaction() as con:
        exists = con.execute("SELECT count(*) FROM cluster_definitions WHERE scheme = ?",
                             [defs.scheme]).fetchall()[0][0]
        if exists and not replace:
            raise SchemaError(f"cluster definitions {defs.scheme!r} already exist in the "
                              "database; replace them explicitly")
        con.execute("DELETE FROM cluster_definitions WHERE scheme = ?", [defs.scheme])
        con.register("_defs", t)
        con.execute(f"INSERT INTO cluster_definitions ({', '.join(DEFINITION_COLUMNS)}) "
                    f"SELECT {', '.join(DEFINITION_COLUMNS)} FROM _defs")
        con.unregister("_defs")
    return len(t)


def list_definitions(store) -> pd.DataFrame:
    """One row per stored scheme: clusters, industries, classification, source."""
    return store.con.execute(
        "SELECT scheme, count(DISTINCT cluster_code) AS clusters, "
        "count(*) AS industries, min(industry_scheme) AS industry_scheme, "
        "sum(CASE WHEN traded THEN 1 ELSE 0 END) AS traded_rows, min(source) AS source "
        "FROM cluster_definitions GROUP BY scheme ORDER BY scheme").df()


def read_definitions(store, scheme: str) -> ClusterDefinitions:
    """A stored definition set."""
    t = store.con.execute(
        f"SELECT {', '.join(DEFINITION_COLUMNS)} FROM cluster_definitions "
        "WHERE scheme = ? ORDER BY cluster_code, industry_code", [scheme]).df()
    if t.empty:
        known = list_definitions(store)["scheme"].tolist()
        raise SchemaError(f"no cluster definitions {scheme!r} in {store.path}; stored: "
                          f"{', '.join(known) or 'none'} (add with 'agglomera clusters "
                          "define')")
    t["traded"] = t["traded"].astype("boolean")
    return ClusterDefinitions(scheme=scheme, table=t)


def cluster_totals(store, scheme: str, *, metric: str = "employment",
                   year: int | None = None,
                   region_levels: tuple[str, ...] = REGION_LEVELS) -> pd.DataFrame:
    """Sum observations of ``metric`` over each cluster's industries, per region and year.

    A total with a missing member value is NULL (never a partial sum); ``members``
    counts member industries with a row, ``known`` those with a value.
    """
    read_definitions(store, scheme)  # clear error when absent
    sql = (
        "SELECT o.region_code, d.cluster_code, o.year, "
        "CASE WHEN count(o.value) = count(*) THEN sum(o.value) END AS value, "
        "count(*) AS members, count(o.value) AS known, bool_or(d.traded) AS traded "
        "FROM observations o JOIN cluster_definitions d "
        "ON d.industry_scheme = o.industry_scheme AND d.industry_code = o.industry_code "
        f"WHERE d.scheme = ? AND o.metric = ? AND o.region_level IN "
        f"({', '.join('?' * len(region_levels))})"
    )
    params: list[object] = [scheme, metric, *region_levels]
    if year is not None:
        sql += " AND o.year = ?"
        params.append(int(year))
    sql += " GROUP BY o.region_code, d.cluster_code, o.year ORDER BY 1, 2, 3"
    out = store.con.execute(sql, params).df()
    if out.empty:
        raise SchemaError(
            f"no observations of metric {metric!r} match the industries of cluster "
            f"definitions {scheme!r}" + (f" in {year}" if year is not None else "")
            + "; check the metric, the year and the industry classification")
    return out


def save_rating(store, result: RatingResult, *, input_desc: str,
                stability: StabilityResult | None = None) -> int:
    """Store a rating (and its stability) as one run; returns the run id.

    Long form in ``cluster_ratings``: one row per region x cluster x (year) x level
    with ``flag`` and ``stability`` (NULL without a stability analysis).
    """
    from agglomera import __version__

    cols = result.columns
    f = result.to_frame()
    region, cluster, year = cols["region"], cols["cluster"], cols.get("year")
    if year is not None and year not in f.columns:  # lq-growth: years compared
        year = None
    rows = []
    stab = None
    if stability is not None:
        s = stability.to_frame()
        keys = [region, cluster] + ([year] if year else [])
        stab = s.set_index(keys + ["level"])["stability"]
    for level in result.levels:
        part = pd.DataFrame({
            "region_code": f[region].astype(str),
            "cluster_code": f[cluster].astype(str),
            "year": (pd.to_numeric(f[year]).astype("Int64") if year
                     else pd.array([pd.NA] * len(f), dtype="Int64")),
            "level": level,
            "flag": f[level].astype("boolean"),
            "employment": f.get("employment", np.nan),
            "lq": f.get("lq", f.get("lq_end", np.nan)),
        })
        if stab is not None:
            idx = [tuple(x) for x in zip(f[region], f[cluster],
                                         *([f[year]] if year else []), [level] * len(f),
                                         strict=True)]
            part["stability"] = stab.reindex(idx).to_numpy(dtype=float)
        else:
            part["stability"] = np.nan
        rows.append(part)
    long = pd.concat(rows, ignore_index=True)
    long["flag"] = long["flag"].astype(object).where(long["flag"].notna(), None)
    params = json.loads(result.parameters_json())
    if stability is not None:
        params["stability"] = {"draws": stability.draws, "resample": stability.resample,
                               "seed": stability.seed, "grid_points": len(stability.grid)}
    with store.transaction() as con:
        run_id = con.execute("SELECT nextval('cluster_rating_seq')").fetchall()[0][0]
        con.execute("INSERT INTO cluster_rating_runs VALUES (?, ?, ?, ?, ?, ?)",
                    [run_id, result.preset, json.dumps(params, ensure_ascii=False),
                     input_desc, dt.datetime.now(), __version__])
        con.register("_cr", long)
        con.execute("INSERT INTO cluster_ratings SELECT ?, ?, region_code, cluster_code, "
                    "year, level, flag, stability, employment, lq FROM _cr",
                    [run_id, result.preset])
        con.unregister("_cr")
        if result.region_strength is not None:
            rs = result.region_strength.copy()
            rs_year = (pd.to_numeric(rs[year]).astype("Int64") if year and year in rs
                       else pd.array([pd.NA] * len(rs), dtype="Int64"))
            rs = pd.DataFrame({"region_code": rs[region].astype(str), "year": rs_year,
                               "traded_employment": rs["traded_employment"],
                               "strong_employment": rs["strong_employment"],
                               "strength": rs["strength"]})
            con.register("_rs", rs)
            con.execute("INSERT INTO cluster_region_strength SELECT ?, region_code, year, "
                        "traded_employment, strong_employment, strength FROM _rs",
                        [run_id])
            con.unregister("_rs")
    return int(run_id)
