"""Uploads: a file is saved to a temporary folder, then imported in one transaction.

The body of ``POST /api/v1/imports`` is the file itself (``Content-Type:
application/octet-stream``), named by the ``filename`` parameter. The token is checked
before a byte of the body is read; the size limit (setting
``AGGLOMERA_MAX_UPLOAD_BYTES``) is checked against ``Content-Length`` first and again
while the body streams to disk. The file then goes through
:func:`agglomera.ingest.import_files` with ``on_error="fail"``: either every row loads or
nothing changes, and a rejected file answers ``422`` with the validation report.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from agglomera.errors import ImportValidationError
from agglomera.web.deps import Database, bearer_token, check_token, get_db
from agglomera.web.problems import Problem

router = APIRouter(tags=["imports"])

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".csv.gz", ".tsv.gz",
            ".txt.gz")


def _safe_name(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]+", "_", base).lstrip(".")
    if not base or not base.lower().endswith(SUFFIXES):
        raise Problem(415, "unsupported-media-type", detail=(
            f"file name {filename!r} must end in one of {', '.join(SUFFIXES)}"))
    return base[-120:]


def _report(exc: ImportValidationError) -> list[dict]:
    frame = exc.report.to_frame().astype(object)
    frame = frame.where(frame.notna(), None)
    return frame.to_dict("records")


Opt = Annotated[str | None, Query(max_length=200)]


@router.post(
    "/imports", status_code=201, summary="Import one file (needs a token)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={401: {"description": "no or invalid token"},
               413: {"description": "upload larger than AGGLOMERA_MAX_UPLOAD_BYTES"},
               422: {"description": "import rejected: `problems` lists every problem"}})
async def create_import(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    filename: Annotated[str, Query(max_length=255, description="Name of the file, with its extension (.csv, .xlsx, .parquet ...).")],
    kind: Literal["auto", "observations", "enterprises"] = "auto",
    metric: Opt = None,
    year: Annotated[int | None, Query(ge=1000, le=9999)] = None,
    region: Opt = None,
    unit: Opt = None,
    industry: Opt = None,
    industry_scheme: Opt = None,
    sheet: Opt = None,
):
    owner = await run_in_threadpool(check_token, db, bearer_token(request))
    if db.read_only:
        with db.writer():  # raises the 409 problem
            pass
    name = _safe_name(filename)
    limit = request.app.state.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "payload-too-large", detail=(
            f"the upload has {int(declared):,} bytes; the limit is {limit:,} "
            "(setting AGGLOMERA_MAX_UPLOAD_BYTES)"), limit=limit)
    with tempfile.TemporaryDirectory(prefix="agglomera-upload-") as tmp:
        path = Path(tmp) / name
        size = 0
        with path.open("wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Problem(413, "payload-too-large", detail=(
                        f"the upload exceeds the limit of {limit:,} bytes (setting "
                        "AGGLOMERA_MAX_UPLOAD_BYTES)"), limit=limit)
                fh.write(chunk)
        if size == 0:
            raise Problem(422, "import-rejected", detail="the upload is empty",
                          problems=[])

        def _run():
            from agglomera.ingest import import_files

            with db.writer() as store:
                return import_files(store, [path], kind=kind, metric=metric, year=year,
                                    region=region, unit=unit, industry=industry,
                                    industry_scheme=industry_scheme, sheet=sheet,
                                    on_error="fail")

        try:
            result = await run_in_threadpool(_run)
        except ImportValidationError as exc:
            problems = _report(exc)
            raise Problem(422, "import-rejected", detail=(
                f"{name}: {len(problems)} problem(s); nothing was imported"),
                problems=problems) from None
    return {"file": name, "bytes": size, "imported_by": owner,
            "rows_accepted": result.rows_accepted, "rows_rejected": result.rows_rejected,
            "outcomes": [{"sheet": o.sheet, "status": o.status, "source_id": o.source_id,
                          "kind": o.kind, "layout": o.layout, "encoding": o.encoding,
                          "rows_accepted": o.rows_accepted, "message": o.message}
                         for o in result.outcomes]}
