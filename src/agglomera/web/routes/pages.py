"""Dashboard pages: region dashboard, cluster dashboard, comparison, map, import.

Pages are HTML shells rendered with the labels of the chosen language; their charts and
tables are filled by ``static/app.js`` from the JSON API. The language comes from the
``lang`` parameter, else the ``agglomera_lang`` cookie (set by the switch, so it is
remembered), else the browser's Accept-Language, else English.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from agglomera.web.deps import Database, get_db, records, rows
from agglomera.web.problems import Problem
from agglomera.web.routes._common import MAX_VALUES, Code

router = APIRouter(tags=["dashboard"])
templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))

COOKIE = "agglomera_lang"
Lang = Annotated[Literal["en", "zh"] | None, Query(description="Page language: en or zh (zh-CN); remembered in a cookie.")]
PREFIXES = ("web.", "common.", "lang.", "map.", "indicator.", "section.")


def _lang(request: Request, lang: str | None) -> str:
    if lang:
        return lang
    cookie = request.cookies.get(COOKIE)
    if cookie in ("en", "zh"):
        return cookie
    accept = request.headers.get("accept-language", "").lower()
    return "zh" if accept.startswith("zh") else "en"


def _render(request: Request, name: str, lang: str | None, **context) -> HTMLResponse:
    from agglomera.i18n import labels

    code = _lang(request, lang)
    labs = {k: v for k, v in labels(code).items() if k.startswith(PREFIXES)}
    page_data = context.pop("page_data", {})
    response = templates.TemplateResponse(request, name, {
        "lang": code, "L": labs, "other": "en" if code == "zh" else "zh",
        "page_json": Markup(json.dumps({"lang": code, "labels": labs, **page_data},
                                       ensure_ascii=False).replace("</", "<\\/")),
        **context})
    if lang:
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse, summary="Start page")
def home(request: Request, db: Annotated[Database, Depends(get_db)], lang: Lang = None):
    with db.reader() as cur:
        cols, data = rows(cur, (
            "SELECT r.code, r.name_zh, r.name_en, r.level, count(*) AS n "
            "FROM observations_data o JOIN regions r ON r.code = o.region_code "
            "WHERE r.level IN ('nation', 'province', 'prefecture', 'county', 'zone') "
            "GROUP BY ALL ORDER BY r.code"))
    return _render(request, "home.html", lang, regions=records(cols, data))


@router.get("/regions", include_in_schema=False)
def regions_redirect():
    return RedirectResponse("/")


@router.get("/regions/{code}", response_class=HTMLResponse, summary="Region dashboard")
def region_page(request: Request, code: str, db: Annotated[Database, Depends(get_db)],
                lang: Lang = None):
    with db.reader() as cur:
        cols, data = rows(cur, "SELECT code, name_zh, name_en, level, parent_code FROM "
                          "regions WHERE code = ?", [code])
    if not data:
        raise Problem(404, "not-found", detail=f"no region with code {code!r}")
    region = records(cols, data)[0]
    return _render(request, "region.html", lang, region=region,
                   page_data={"page": "region", "region": region})


@router.get("/clusters", response_class=HTMLResponse, summary="Cluster dashboard")
def clusters_page(request: Request, lang: Lang = None):
    return _render(request, "clusters.html", lang, page_data={"page": "clusters"})


@router.get("/compare", response_class=HTMLResponse, summary="Region comparison")
def compare_page(
    request: Request,
    region: Annotated[list[Code] | None, Query(max_length=MAX_VALUES)] = None,
    metric: Annotated[str | None, Query(max_length=200)] = None,
    lang: Lang = None,
):
    return _render(request, "compare.html", lang, page_data={
        "page": "compare", "regions": list(dict.fromkeys(region or []))[:10],
        "metric": metric})


@router.get("/map", response_class=HTMLResponse, summary="Map explorer")
def map_page(request: Request, level: Literal["province", "prefecture"] = "province",
             lang: Lang = None):
    return _render(request, "map.html", lang, page_data={"page": "map", "level": level})


@router.get("/import", response_class=HTMLResponse, summary="Data import page")
def import_page(request: Request, db: Annotated[Database, Depends(get_db)],
                lang: Lang = None):
    limit = request.app.state.settings.max_upload_bytes
    return _render(request, "import.html", lang, read_only=db.read_only,
                   max_upload=limit, page_data={"page": "import", "max_upload": limit,
                                                "read_only": db.read_only})
