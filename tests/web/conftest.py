"""Fixtures of the web tests: one demo database per session, copies for writing tests.

The demo database is built once from the bundled yearbook tables with
``agglomera.demo.build_demo_db`` (the same import path users take). Tests that write
(imports, tokens) work on a copy of it so that every test starts from the same content.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web tests need the 'web' extra")

from fastapi.testclient import TestClient  # noqa: E402

from agglomera.config import Settings  # noqa: E402
from agglomera.store import open_store  # noqa: E402
from agglomera.web import create_app  # noqa: E402
from agglomera.web.deps import create_token  # noqa: E402


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    from agglomera.demo import build_demo_db

    path = tmp_path_factory.mktemp("webdb") / "demo.duckdb"
    build_demo_db(path)
    with open_store(path) as store:  # migrate to the current schema once
        store.migrate()
    return path


@pytest.fixture
def db_copy(demo_db, tmp_path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def token(db_copy) -> str:
    with open_store(db_copy) as store:
        return create_token(store, "tester")


@pytest.fixture
def make_client(db_copy):
    """TestClient factory on the copy (optionally read-only / other settings)."""
    clients = []

    def make(*, read_only: bool = False, settings: Settings | None = None) -> TestClient:
        client = TestClient(create_app(db_copy, read_only=read_only,
                                       settings=settings or Settings()))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def ro_client(tmp_path_factory, demo_db):
    """A read-only server on its own copy, shared by a module's read tests."""
    path = tmp_path_factory.mktemp("ro") / "ro.duckdb"
    shutil.copy(demo_db, path)
    with TestClient(create_app(path, read_only=True)) as client:
        yield client


def snapshot(client: TestClient) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every table, plus the schema."""
    db = client.app.state.db
    with db.reader() as cur:
        tables = [r[0] for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out: dict[str, tuple] = {"__schema__": tuple(cur.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "ORDER BY ALL").fetchall())}
        union = " UNION ALL ".join(
            f"SELECT '{t}', count(*), coalesce(sum(hash(x)::HUGEINT), 0) FROM \"{t}\" x"
            for t in tables)
        for name, n, h in cur.execute(union).fetchall():
            out[name] = (n, h)
    return out
