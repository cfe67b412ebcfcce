"""Observations, the metrics they hold, region comparison and import sources."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from agglomera.web.deps import Database, Where, all_rows, get_db, page, records, rows
from agglomera.web.problems import Problem
from agglomera.web.routes._common import (
    DEFAULT,
    MAX_VALUES,
    Code,
    Format,
    Limit,
    Name,
    Offset,
    csv_response,
    csv_stream,
)

router = APIRouter(tags=["observations"])

MAX_COMPARE = 10

_OBS = ("SELECT region_code, region_name, region_name_en, region_level, industry_scheme, "
        "industry_code, industry_name, industry_name_en, year, metric, value, unit, "
        "source_id, table_ref, marker FROM observations")

Region = Annotated[list[Code] | None, Query(max_length=MAX_VALUES, description="Region code (repeat for several).")]
Metric = Annotated[list[Name] | None, Query(max_length=MAX_VALUES, description="Metric name (repeat for several).")]
Year = Annotated[int | None, Query(ge=0, le=9999)]


@router.get("/observations", summary="Observations (filter, page, or export as CSV)")
def list_observations(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    region: Region = None,
    metric: Metric = None,
    industry: Annotated[list[Code] | None, Query(max_length=MAX_VALUES, description="Industry code (repeat for several); '_T' = all industries.")] = None,
    scheme: Annotated[str | None, Query(max_length=80, description="Industry scheme, e.g. 'GB/T 4754-2017', 'ALL'.")] = None,
    year: Year = None,
    year_from: Year = None,
    year_to: Year = None,
    region_level: Annotated[str | None, Query(max_length=40)] = None,
    table_ref: Annotated[str | None, Query(max_length=80)] = None,
    source_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = (Where.new().eq("region_code", region).eq("metric", metric)
             .eq("industry_code", industry).eq("industry_scheme", scheme).eq("year", year)
             .op("year", ">=", year_from).op("year", "<=", year_to)
             .eq("region_level", region_level).eq("table_ref", table_ref)
             .eq("source_id", source_id))
    order = "metric, region_code, industry_scheme, industry_code, year, source_id"
    if format == "csv":
        return csv_stream(db, _OBS, where, order, "observations.csv")
    with db.reader() as cur:
        return page(cur, request, _OBS, where, order, limit=limit, offset=offset)


@router.get("/metrics", summary="Metrics with counts, years and regions")
def list_metrics(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    region: Region = None,
    region_level: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
):
    where = (Where.new().eq("region_code", region).eq("region_level", region_level)
             .search(["metric"], q))
    inner = ("SELECT metric, unit, count(*) AS n, count(value) AS n_values, "
             "min(year) AS first_year, max(year) AS last_year, "
             "count(DISTINCT region_code) AS regions, "
             "list(DISTINCT year ORDER BY year) AS years FROM observations"
             f"{where.sql()} GROUP BY metric, unit")
    with db.reader() as cur:
        return page(cur, request, f"SELECT * FROM ({inner})", Where([], where.params),
                    "metric, unit", limit=limit, offset=offset)


@router.get("/compare", summary=f"Compare up to {MAX_COMPARE} regions on one metric")
def compare(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    region: Annotated[list[Code], Query(max_length=MAX_VALUES, description=f"2-{MAX_COMPARE} region codes (repeat the parameter).")],
    metric: Annotated[str, Query(max_length=200)],
    industry: Annotated[str | None, Query(max_length=40, description="Industry code; default: the all-industry total '_T' when present.")] = None,
    year_from: Year = None,
    year_to: Year = None,
    format: Format = "json",
):
    codes = list(dict.fromkeys(region))
    if not 1 <= len(codes) <= MAX_COMPARE:
        raise Problem(422, "invalid-input", detail=(
            f"compare takes 1 to {MAX_COMPARE} distinct regions; got {len(codes)}"))
    with db.reader() as cur:
        known = {r[0] for r in cur.execute(
            f"SELECT code FROM regions WHERE code IN ({', '.join('?' * len(codes))})",
            codes).fetchall()}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Problem(404, "not-found", detail=f"unknown region code(s): "
                          f"{', '.join(repr(c) for c in unknown)}")
        where = Where.new().eq("region_code", codes).eq("metric", metric)
        where.op("year", ">=", year_from).op("year", "<=", year_to)
        inds = [r[0] for r in cur.execute(
            f"SELECT DISTINCT industry_code FROM observations{where.sql()} ORDER BY 1",
            where.params).fetchall()]
        chosen = industry if industry is not None else ("_T" if "_T" in inds or not inds
                                                         else inds[0])
        where.eq("industry_code", chosen)
        sel = ("SELECT region_code, region_name, region_name_en, industry_code, "
               "industry_name, year, metric, value, unit, source_id, table_ref "
               "FROM observations")
        cols, data = all_rows(cur, sel, where, "region_code, year, source_id")
    if format == "csv":
        return csv_response(cols, data, "comparison.csv")
    return {"regions": codes, "metric": metric, "industry": chosen, "industries": inds,
            "items": records(cols, data), "total": len(data)}


@router.get("/sources", tags=["imports"], summary="Imported files (sources)")
def list_sources(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    kind: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the file name or title.")] = None,
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = Where.new().eq("kind", kind).search(["file_name", "title"], q)
    with db.reader() as cur:
        return page(cur, request, "SELECT source_id, file_name, sheet, kind, layout, "
                    "encoding, title, imported_at, rows_accepted, rows_rejected, sha256 "
                    "FROM sources", where, "source_id", limit=limit, offset=offset)


@router.get("/info", tags=["meta"], summary="What the database holds")
def info(db: Annotated[Database, Depends(get_db)]):
    with db.reader() as cur:
        tables = db.tables(cur)
        counts = {t: cur.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in ("observations_data", "enterprises_data", "regions",
                            "industries", "sources", "measure_runs", "cluster_ratings",
                            "plan_targets") if t in tables}
        version = db.schema_version(cur)
        _, years = rows(cur, "SELECT min(year), max(year) FROM observations_data")
    from agglomera import __version__
    return {"agglomera_version": __version__, "schema_version": version,
            "read_only": db.read_only, "counts": counts,
            "years": {"first": years[0][0], "last": years[0][1]}}
