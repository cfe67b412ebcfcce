"""Errors as JSON problem details (RFC 9457, ``application/problem+json``).

Every error answer has the members ``type``, ``title``, ``status``, ``detail`` and
``instance`` (the request path). ``type`` is a relative URI ``/problems/<slug>``; the
server answers it with the problem's description, and docs/web.md lists them. Extension
members: ``errors`` (request validation), ``problems`` (an import's ValidationReport).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agglomera.errors import AgglomeraError, BackendError

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

#: slug -> (title, description)
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "bad-request": ("Bad request", "The request cannot be processed as sent."),
    "validation": ("Invalid request parameters",
                   "A query or path parameter is missing, of the wrong type or out of "
                   "range; `errors` lists each one."),
    "invalid-input": ("Invalid input", "The parameters are well-formed but name "
                      "something that does not fit (an unknown programme, too many "
                      "regions...); `detail` says what was expected."),
    "not-found": ("Not found", "No such resource (unknown region code, run id, page)."),
    "missing-table": ("Table not in this database", "The database was written by an "
                      "older agglomera and lacks the table; migrate it by opening it "
                      "read-write once."),
    "unauthorized": ("Token required", "Writing needs a valid token in the header "
                     "`Authorization: Bearer TOKEN`; create one with `agglomera serve "
                     "token create NAME --db DB`."),
    "forbidden": ("Token lacks the scope", "The token is valid but may not do this."),
    "read-only": ("Server is read-only", "The server opened the database read-only; "
                  "DuckDB allows one writing process per file."),
    "payload-too-large": ("Upload too large", "The upload is larger than the limit "
                          "(setting AGGLOMERA_MAX_UPLOAD_BYTES)."),
    "import-rejected": ("Import rejected", "The file did not pass validation; nothing "
                        "was imported; `problems` lists every problem (file, sheet, row, "
                        "column, value, rule, message)."),
    "unsupported-media-type": ("Unsupported file type", "Uploads must be CSV/TSV/TXT "
                               "(optionally .gz), .xlsx, .xls or .parquet."),
    "method-not-allowed": ("Method not allowed", "This path does not accept the method."),
    "backend": ("Database error", "The database could not answer (locked, damaged)."),
    "unavailable": ("Feature unavailable", "An optional dependency is missing; "
                    "`detail` names the extra to install."),
    "internal": ("Internal server error", "A bug; the server log has the traceback."),
}

_STATUS_SLUG = {400: "bad-request", 401: "unauthorized", 403: "forbidden",
                404: "not-found", 405: "method-not-allowed", 409: "read-only",
                413: "payload-too-large", 415: "unsupported-media-type",
                422: "validation", 500: "internal", 503: "unavailable"}


class Problem(Exception):
    """An error answer: status, problem type slug, detail and extension members."""

    def __init__(self, status: int, slug: str, *, detail: str,
                 headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(detail)
        if slug not in PROBLEM_TYPES:
            raise ValueError(f"unknown problem type {slug!r}")
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(request: Request, status: int, slug: str, detail: str, *,
                     headers: dict[str, str] | None = None, **extensions: Any
                     ) -> JSONResponse:
    body = {"type": f"/problems/{slug}", "title": PROBLEM_TYPES[slug][0],
            "status": status, "detail": detail, "instance": request.url.path}
    body.update(jsonable_encoder(extensions))
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc.status, exc.slug, exc.detail,
                                headers=exc.headers, **exc.extensions)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                           for e in errors)
        return problem_response(request, 422, "validation", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        slug = _STATUS_SLUG.get(exc.status_code, "bad-request")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        return problem_response(request, exc.status_code, slug, detail,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(BackendError)
    async def _backend(request: Request, exc: BackendError):
        return problem_response(request, 503, "backend", str(exc))

    @app.exception_handler(AgglomeraError)
    async def _agglomera(request: Request, exc: AgglomeraError):
        status = 503 if isinstance(exc, ImportError) else 422
        slug = "unavailable" if status == 503 else "invalid-input"
        return problem_response(request, status, slug, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        logger.exception("unhandled error on %s", request.url.path)
        return problem_response(request, 500, "internal",
                                f"{type(exc).__name__} (see the server log)")
