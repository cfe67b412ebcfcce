"""Regions and industries: the reference lists of the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from agglomera.web.deps import Database, Where, get_db, page, records, rows
from agglomera.web.problems import Problem
from agglomera.web.routes._common import DEFAULT, Limit, Offset

router = APIRouter(tags=["regions"])

_REGION = ("SELECT code, name_zh, name_en, level, parent_code, kind, lon, lat "
           "FROM regions")


@router.get("/regions", summary="Regions (filter by level, parent, kind, name)")
def list_regions(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    level: Annotated[str | None, Query(max_length=40, description="nation, province, prefecture, county, zone, group, aggregate, total")] = None,
    parent: Annotated[str | None, Query(max_length=40, description="Parent region code.")] = None,
    kind: Annotated[str | None, Query(max_length=40, description="official, aggregate, user")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the code or the Chinese/English name.")] = None,
    has_data: Annotated[bool, Query(description="Only regions with observations.")] = False,
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = Where.new().eq("level", level).eq("parent_code", parent).eq("kind", kind)
    where.search(["code", "name_zh", "name_en"], q)
    if has_data:
        where.clauses.append("code IN (SELECT DISTINCT region_code FROM observations_data)")
    with db.reader() as cur:
        return page(cur, request, _REGION, where, "code", limit=limit, offset=offset)


@router.get("/regions/{code}", summary="One region with its aliases, members and metrics")
def get_region(
    db: Annotated[Database, Depends(get_db)],
    code: Annotated[str, Path(max_length=40, description="Region code (GB/T 2260 or user code).")],
):
    with db.reader() as cur:
        cols, data = rows(cur, _REGION + " WHERE code = ?", [code])
        if not data:
            raise Problem(404, "not-found", detail=f"no region with code {code!r}; list "
                          "them at /api/v1/regions")
        out = records(cols, data)[0]
        out["aliases"] = [r[0] for r in cur.execute(
            "SELECT DISTINCT alias FROM region_aliases WHERE code = ? ORDER BY alias",
            [code]).fetchall()]
        out["members"] = [r[0] for r in cur.execute(
            "SELECT member_code FROM region_members WHERE group_code = ? "
            "ORDER BY member_code", [code]).fetchall()]
        cols, data = rows(cur, (
            "SELECT metric, unit, count(*) AS n, count(value) AS n_values, "
            "min(year) AS first_year, max(year) AS last_year, "
            "count(DISTINCT industry_code) AS industries FROM observations_data "
            "WHERE region_code = ? GROUP BY metric, unit ORDER BY metric, unit"), [code])
        out["metrics"] = records(cols, data)
    return out


@router.get("/industries", tags=["industries"],
            summary="Industries (filter by scheme, level, parent, name)")
def list_industries(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    scheme: Annotated[str | None, Query(max_length=80, description="e.g. 'GB/T 4754-2017'")] = None,
    level: Annotated[str | None, Query(max_length=40)] = None,
    parent: Annotated[str | None, Query(max_length=40)] = None,
    code: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = (Where.new().eq("scheme", scheme).eq("level", level).eq("parent_code", parent)
             .eq("code", code).search(["code", "name_zh", "name_en"], q))
    with db.reader() as cur:
        return page(cur, request, "SELECT scheme, code, level, parent_code, name_zh, "
                    "name_en FROM industries", where, "scheme, code",
                    limit=limit, offset=offset)
