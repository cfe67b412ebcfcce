"""Programme screening of the enterprises in the database (read-only computation)."""

from __future__ import annotations

import functools
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request

from agglomera.web.deps import Database, get_db, next_link, records
from agglomera.web.routes._common import DEFAULT, Format, Limit, Offset, csv_response

router = APIRouter(tags=["screening"])


@functools.cache
def _rules():
    """The bundled rule sets, parsed once per process (they never change at run time)."""
    from agglomera.screening.rules import load_rules

    return load_rules()


def _records(cur, source: str, money_unit: str) -> pd.DataFrame:
    """Firm-years of the enterprises view, read through the request's cursor."""
    from agglomera.screening.records import records_from_connection

    return records_from_connection(cur, money_unit=money_unit, source=source)


@router.get("/screening/programmes", summary="Programmes that firms can be screened for")
def list_programmes():
    rs = _rules()
    return {"items": [{"id": p.id, "name_zh": p.name_zh, "name_en": p.name_en,
                       "document": p.document, "provisional": p.provisional,
                       "criteria": len(p.leaves())} for p in rs.programmes],
            "ruleset_version": rs.ruleset_version}


@router.get("/screening", summary="Screen the database's enterprises for a programme")
def run_screening(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    programme: Annotated[str, Query(max_length=80, description="Programme id (see /screening/programmes).")],
    application_year: Annotated[int, Query(ge=1990, le=2100)],
    money_unit: Annotated[str, Query(pattern="^(yuan|10k-yuan)$")] = "yuan",
    eligible: Annotated[str | None, Query(pattern="^(true|false|unknown)$")] = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    from agglomera.screening.engine import screen_all
    from agglomera.screening.outputs import results_frame
    rs = _rules()
    rs.get(programme)  # unknown id -> SchemaError -> 422 problem
    with db.reader() as cur:
        recs = _records(cur, str(db.path), money_unit)
    frame = results_frame(screen_all(recs, rs, [programme],
                                     application_year=application_year))
    frame = frame.sort_values("rank", kind="stable").reset_index(drop=True)
    if eligible is not None:
        frame = frame[frame["eligible"] == eligible].reset_index(drop=True)
    cols = [str(c) for c in frame.columns]
    data = [tuple(None if (isinstance(v, float) and v != v) else v for v in r)
            for r in frame.itertuples(index=False, name=None)]
    if format == "csv":
        return csv_response(cols, data, f"screening-{programme}.csv")
    part = data[offset:offset + limit]
    nxt = next_link(request, offset + limit, limit) if offset + limit < len(data) else None
    return {"items": records(cols, part), "total": len(data), "limit": limit,
            "offset": offset, "next": nxt}
