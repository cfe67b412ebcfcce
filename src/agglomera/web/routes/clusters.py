"""Cluster definitions, ratings and regional cluster strength; plan targets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from agglomera.web.deps import Database, Where, get_db, page, require_table
from agglomera.web.routes._common import (
    DEFAULT,
    MAX_VALUES,
    Code,
    Format,
    Limit,
    Offset,
    csv_stream,
)

router = APIRouter()

Text = Annotated[str | None, Query(max_length=200)]
Year = Annotated[int | None, Query(ge=0, le=9999)]
RunId = Annotated[int | None, Query(ge=0, le=2**31 - 1)]


def _list(request, db, table, select, where, order, format, limit, offset, filename):
    with db.reader() as cur:
        require_table(db, cur, table)
        if format != "csv":
            return page(cur, request, select, where, order, limit=limit, offset=offset)
    return csv_stream(db, select, where, order, filename)


@router.get("/clusters", tags=["clusters"], summary="Cluster definitions")
def list_clusters(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    scheme: Text = None,
    cluster: Text = None,
    industry: Text = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = (Where.new().eq("scheme", scheme).eq("cluster_code", cluster)
             .eq("industry_code", industry)
             .search(["cluster_code", "cluster_name_en", "cluster_name_zh"], q))
    return _list(request, db, "cluster_definitions",
                 "SELECT * FROM cluster_definitions", where,
                 "scheme, cluster_code, industry_scheme, industry_code", format, limit,
                 offset, "clusters.csv")


@router.get("/clusters/ratings", tags=["clusters"],
            summary="Cluster ratings by region (stored rating runs)")
def list_ratings(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    run_id: RunId = None,
    preset: Text = None,
    region: Annotated[list[Code] | None, Query(max_length=MAX_VALUES)] = None,
    cluster: Text = None,
    level: Text = None,
    year: Year = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = (Where.new().eq("run_id", run_id).eq("preset", preset)
             .eq("region_code", region).eq("cluster_code", cluster).eq("level", level)
             .eq("year", year))
    sel = ("SELECT run_id, preset, region_code, cluster_code, year, level, flag, "
           "stability, employment, lq, created_at FROM cluster_rating_results")
    return _list(request, db, "cluster_ratings", sel, where,
                 "run_id, region_code, cluster_code, year", format, limit, offset,
                 "cluster_ratings.csv")


@router.get("/clusters/strength", tags=["clusters"],
            summary="Share of traded employment in strong clusters, by region")
def list_strength(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    run_id: RunId = None,
    region: Annotated[list[Code] | None, Query(max_length=MAX_VALUES)] = None,
    year: Year = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = Where.new().eq("run_id", run_id).eq("region_code", region).eq("year", year)
    return _list(request, db, "cluster_region_strength",
                 "SELECT * FROM cluster_region_strength", where,
                 "run_id, region_code, year", format, limit, offset,
                 "cluster_strength.csv")


@router.get("/targets", tags=["targets"], summary="Plan targets")
def list_targets(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    plan: Text = None,
    kind: Text = None,
    category: Text = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = Where.new().eq("plan", plan).eq("kind", kind).eq("category", category)
    return _list(request, db, "plan_targets", "SELECT * FROM plan_targets", where,
                 "plan, target_id", format, limit, offset, "targets.csv")


@router.get("/targets/checks", tags=["targets"], summary="Checks of plan targets")
def list_target_checks(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    plan: Text = None,
    target: Text = None,
    status: Text = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = Where.new().eq("plan", plan).eq("target_id", target).eq("status", status)
    return _list(request, db, "target_checks", "SELECT * FROM target_checks", where,
                 "check_id, plan, target_id", format, limit, offset,
                 "target_checks.csv")
