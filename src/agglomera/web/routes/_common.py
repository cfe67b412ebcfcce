"""Query parameters and answers shared by the resource routers."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response, StreamingResponse
from pydantic import StringConstraints

from agglomera.web.deps import DEFAULT_LIMIT, MAX_LIMIT, _plain

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT,
                             description=f"Page size (1-{MAX_LIMIT}).")]
Offset = Annotated[int, Query(ge=0, le=2**40, description="Rows to skip.")]
Format = Annotated[Literal["json", "csv"], Query(
    description="json: one page with total and next link; csv: every matching row "
                "as a UTF-8 CSV download (with BOM, so Excel reads Chinese).")]
DEFAULT = DEFAULT_LIMIT
#: one code or name inside a repeated parameter (max_length on a list would bound
#: the number of values, not their length)
Code = Annotated[str, StringConstraints(max_length=40)]
Name = Annotated[str, StringConstraints(max_length=200)]
MAX_VALUES = 200

PAGE_EXAMPLE: dict[str, Any] = {"items": [], "total": 0, "limit": DEFAULT_LIMIT,
                                "offset": 0, "next": None}


CSV_BATCH = 10_000


def csv_stream(db, select: str, where, order: str, filename: str) -> StreamingResponse:
    """Every matching row as CSV, fetched and written in batches (large exports never
    sit in memory whole). The stream has its own cursor and read-only transaction."""
    sql = f"{select}{where.sql()} ORDER BY {order}"
    params = list(where.params)

    def body():
        with db.reader() as cur:
            res = cur.execute(sql, params)
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            buf.write("\ufeff")
            w.writerow([d[0] for d in res.description])
            while True:
                batch = res.fetchmany(CSV_BATCH)
                w.writerows(["" if v is None else _plain(v) for v in r] for r in batch)
                yield buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
                if not batch:
                    return

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{filename}"'})


def csv_response(cols: list[str], data: list[tuple], filename: str) -> Response:
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in data:
        w.writerow(["" if v is None else _plain(v) for v in r])
    return Response(buf.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
