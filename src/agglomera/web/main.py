"""The FastAPI application: REST API under ``/api/v1`` and the dashboard pages.

``create_app(db_path)`` gives an app bound to one DuckDB file; ``agglomera serve`` runs it
with uvicorn. OpenAPI is at ``/openapi.json`` and the interactive docs at ``/docs``.
"""

from __future__ import annotations

import os

import functools
import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from agglomera.config import Settings
from agglomera.web import problems
from agglomera.web.deps import Database

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"
CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@functools.cache
def plotly_js() -> bytes:
    """plotly.js from the installed plotly package (served locally, never a CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def _warm_geo() -> None:
    """Build the province GeoJSON in the background so the first map opens fast."""
    from agglomera.web.routes.geo import _geojson

    try:
        _geojson("province", None)
    except Exception:  # noqa: BLE001 - the map endpoint reports the error itself
        logger.info("province boundaries not available", exc_info=True)


def create_app(db_path: str | Path, *, settings: Settings | None = None,
               read_only: bool = False, warm_geo: bool = True) -> FastAPI:
    r"""The web app (REST API and dashboard) for the database at ``db_path``.

    Parameters
    ----------
    db_path : str or Path
        An agglomera DuckDB file (it must exist).
    settings : Settings, optional
        Runtime settings (``max_upload_bytes``); default ``Settings()`` from the
        environment (``AGGLOMERA_*``).
    read_only : bool, default False
        Open the file read-only: other processes may read it meanwhile, imports are
        refused (409). Otherwise the server owns the file (DuckDB allows one writer
        per file) and runs every read in a read-only transaction on its own cursor.
    warm_geo : bool, default True
        Build the province boundaries in a background thread at start-up.

    Returns
    -------
    fastapi.FastAPI
        The application; serve it with uvicorn (``agglomera serve`` does) or test it
        with ``fastapi.testclient.TestClient``. ``app.state.db`` is its
        :class:`agglomera.web.deps.Database`.

    Raises
    ------
    AgglomeraError
        The database file does not exist.
    BackendError
        DuckDB cannot open it (locked by another process, newer schema).

    See Also
    --------
    agglomera.ingest.import_files : the import path uploads go through.

    Notes
    -----
    Errors are RFC 9457 problem details (Nottingham, Wilde & Dalal 2023, "Problem
    Details for HTTP APIs", RFC 9457, IETF, doi:10.17487/RFC9457).

    Examples
    --------
    >>> from fastapi.testclient import TestClient  # doctest: +SKIP
    >>> with TestClient(create_app("demo.duckdb")) as client:  # doctest: +SKIP
    ...     client.get("/api/v1/regions", params={"level": "province"}).json()["total"]
    34
    """
    from agglomera import __version__
    from agglomera.web.routes import (
        clusters,
        geo,
        imports,
        measures,
        observations,
        pages,
        regions,
        screening,
    )

    settings = settings or Settings()
    db = Database(db_path, read_only=read_only)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_geo:
            threading.Thread(target=_warm_geo, daemon=True).start()
        yield
        db.close()

    swagger_dir = _swagger_ui_dir()
    app = FastAPI(
        title="agglomera", version=__version__, lifespan=lifespan, redoc_url=None,
        # Swagger UI from the installed swagger-ui-bundle package (offline); FastAPI's
        # default page, which loads it from a CDN, only when that package is missing
        docs_url=None if swagger_dir is not None else "/docs",
        description=("Industrial-cluster statistics: regions, industries, observations, "
                     "measures, clusters, evaluations, plan targets and screening. "
                     "Reading needs no login; imports need a token "
                     "(`Authorization: Bearer TOKEN`). Lists take `limit`/`offset` and "
                     "return `items`, `total` and a `next` link; errors are RFC 9457 "
                     "problem details (`application/problem+json`)."))
    app.state.db = db
    app.state.settings = settings
    problems.install(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.headers.get("content-type", "").startswith("text/html") and \
                not request.url.path.startswith("/docs"):
            # pages load scripts, data and styles from this server only; no inline
            # script runs (plotly.js needs 'unsafe-eval' for a feature test)
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    api = APIRouter(prefix=API_PREFIX)
    for module in (regions, observations, measures, clusters, screening, geo, imports):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(pages.router)

    @app.get("/problems/{slug}", tags=["meta"], summary="What a problem type means")
    def problem_type(slug: str):
        if slug not in problems.PROBLEM_TYPES:
            raise problems.Problem(404, "not-found", detail=f"no problem type {slug!r}")
        title, text = problems.PROBLEM_TYPES[slug]
        return JSONResponse({"type": f"/problems/{slug}", "title": title,
                             "description": text})

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly(request: Request):
        return Response(plotly_js(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)

    if swagger_dir is not None:
        from fastapi.openapi.docs import get_swagger_ui_html

        @app.get("/docs", include_in_schema=False)
        def docs():
            return get_swagger_ui_html(
                openapi_url=app.openapi_url, title="agglomera API",
                swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                swagger_css_url="/static/swagger/swagger-ui.css",
                swagger_favicon_url="/static/swagger/favicon-32x32.png")

        app.mount("/static/swagger", StaticFiles(directory=swagger_dir), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _swagger_ui_dir():
    """Folder of Swagger UI's files from the swagger-ui-bundle package, or None."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    path = getattr(swagger_ui_bundle, "swagger_ui_path", None)
    return path if path and os.path.isdir(path) else None
