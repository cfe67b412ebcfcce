"""SQL injection in every parameter of every operation in the OpenAPI schema.

The cases are generated from the app's own OpenAPI document, so a new endpoint or
parameter is tested without anyone adding it here. For each case the database checksum
(row count and hash of every table, plus the schema) must not change, no answer may be a
server error, and a list filtered by an injection string must hold exactly as many rows
as the same list filtered by a harmless value that matches nothing (string-built SQL
would widen it: ``' OR '1'='1`` matches every row).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from agglomera.store import open_store
from agglomera.web import create_app
from agglomera.web.deps import create_token

from .conftest import snapshot

PAYLOADS = [
    "' OR '1'='1",
    "1; DROP TABLE regions; --",
    "'); DELETE FROM observations_data; --",
    "x' UNION SELECT table_name, 1, 1, 1, 1, 1, 1, 1 FROM information_schema.tables --",
]
HARMLESS = "zz-no-such-value"

#: valid values for required parameters, so that only the tested one is hostile
VALID = {"code": "210000", "run_id": "1", "level": "province", "slug": "validation",
         "region": "210000", "metric": "gdp", "programme": "hnte-2016",
         "application_year": "2024", "filename": "a.csv"}
BODY = "region,year,metric,value,unit\nAtlantis,2030,employment,abc,万人\n".encode()


def _spec() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.duckdb"
        open_store(path).close()
        app = create_app(path)
        try:
            return app.openapi()
        finally:
            app.state.db.close()


SPEC = _spec()
CASES = []
for _path, _ops in SPEC["paths"].items():
    for _method, _op in _ops.items():
        _params = _op.get("parameters", [])
        for _p in _params:
            CASES.append((_method.upper(), _path, _p["name"], _p["in"], _params))
        if not _params:
            CASES.append((_method.upper(), _path, None, None, _params))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, demo_db):
    import shutil

    path = tmp_path_factory.mktemp("inj") / "inj.duckdb"
    shutil.copy(demo_db, path)
    with open_store(path) as store:
        token = create_token(store, "injector")
    with TestClient(create_app(path), raise_server_exceptions=False) as client:
        yield client, token


def _request(client, token, method, path, params, name, value, *, with_token=True):
    url, query = path, []
    for p in params:
        if p["in"] == "path":
            v = value if p["name"] == name else VALID[p["name"]]
            url = url.replace("{" + p["name"] + "}", quote(v, safe=""))
        elif p["in"] == "query":
            if p["name"] == name:
                query.append((name, value))
            elif p.get("required"):
                query.append((p["name"], VALID[p["name"]]))
    if method == "GET":
        return client.get(url, params=query)
    headers = {"Authorization": f"Bearer {token}"} if with_token else {}
    return client.request(method, url, params=query, content=BODY, headers=headers)


def test_cases_cover_every_operation(hostile):
    client, _ = hostile
    live = client.get("/openapi.json").json()["paths"]
    covered = {(m, p) for m, p, *_ in CASES}
    assert covered == {(m.upper(), p) for p, ops in live.items() for m in ops}
    assert len(CASES) > 60


@pytest.mark.parametrize(("method", "path", "name", "where", "params"), CASES,
                         ids=[f"{m} {p} {n}" for m, p, n, *_ in CASES])
def test_injection_changes_nothing(hostile, method, path, name, where, params):
    client, token = hostile
    before = snapshot(client)
    values = PAYLOADS if name else [None]
    for value in values:
        for with_token in ((True, False) if method != "GET" else (True,)):
            r = _request(client, token, method, path, params, name, value,
                         with_token=with_token)
            assert r.status_code < 500, (value, r.text)
            if method != "GET":
                assert r.status_code in (401, 413, 415, 422), (value, r.text)
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")
            elif name and r.headers["content-type"].startswith("application/json"):
                body = r.json()
                if isinstance(body, dict) and "total" in body:
                    ref = _request(client, token, method, path, params, name, HARMLESS)
                    assert ref.status_code == 200
                    assert body["total"] == ref.json()["total"], value
    assert snapshot(client) == before
