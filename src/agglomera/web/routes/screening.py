"""Programme screening of the enterprises in the database (read-only computation)."""

from __future__ import annotations

import functools
import json
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request

from agglomera.errors import SchemaError
from agglomera.web.deps import Database, get_db, next_link, records
from agglomera.web.routes._common import DEFAULT, Format, Limit, Offset, csv_response

router = APIRouter(tags=["screening"])


@functools.cache
def _rules():
    """The bundled rule sets, parsed once per process (they never change at run time)."""
    from agglomera.screening.rules import load_rules

    return load_rules()


def _records(cur, source: str, money_unit: str) -> pd.DataFrame:
    """Firm-years of the enterprises view, mapped as ``records_from_db`` maps them."""
    from agglomera.screening.fields import FIELDS, canonical
    from agglomera.screening.records import normalise_records

    frame = cur.execute(
        "SELECT enterprise_id, name, region_code, industry_code, year, employment, "
        "revenue, CAST(attributes AS VARCHAR) AS attributes FROM enterprises").fetchdf()
    if frame.empty:
        raise SchemaError(f"{source}: the enterprises view is empty; import an enterprise "
                          "list first ('agglomera import FILE --kind enterprises')")
    attrs = pd.DataFrame([json.loads(a) if isinstance(a, str) and a else {}
                          for a in frame["attributes"]], index=frame.index)
    base = frame.drop(columns=["attributes"]).rename(
        columns={"enterprise_id": "firm_id", "year": "fiscal_year"})
    mapped = {c: canonical(str(c)) for c in attrs.columns}
    attrs = attrs[[c for c, m in mapped.items() if m and m in FIELDS]]
    attrs = attrs.rename(columns={c: mapped[c] for c in attrs.columns})
    if "operating_revenue" not in attrs.columns:
        attrs["operating_revenue"] = base["revenue"]
    if "total_employees" not in attrs.columns:
        attrs["total_employees"] = base["employment"]
    combined = pd.concat([base.drop(columns=["revenue", "employment"]), attrs], axis=1)
    return normalise_records(combined, money_unit=money_unit, source=source)


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
