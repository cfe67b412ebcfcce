"""Shared pieces of the web app: the database handle, cursors, tokens, pagination.

DuckDB allows one process to write a database file at a time (any number may read it
when every one of them opens it read-only). The server therefore either

* owns the file (default): it opens it read-write, applies pending migrations once, runs
  every read on its own cursor inside ``BEGIN TRANSACTION READ ONLY`` (so a read can
  never write, whatever reaches it) and serialises writes (imports) behind one lock; no
  other process can open the file while the server runs; or
* opens it read-only (``read_only=True``, ``agglomera serve --read-only``): other
  processes may read the file at the same time, and every write is refused with a
  ``409`` problem.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import math
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from fastapi import Request

from agglomera.errors import AgglomeraError, BackendError
from agglomera.store.db import Store
from agglomera.web.problems import Problem

TOKEN_PREFIX = "agg_"
SCOPES = ("write",)
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (only this is stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A new random token: ``agg_`` + 43 URL-safe characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class _CursorStore(Store):
    """A :class:`Store` over a cursor of the server's connection (no new connection)."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection):  # noqa: D107
        self.path = Path(path)
        self.con = con


class Database:
    """The server's DuckDB file: one connection, one cursor per request."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        if not self.path.exists():
            raise AgglomeraError(
                f"database {self.path} does not exist; create it with "
                f"'agglomera import FILE --db {self.path}' (or 'agglomera demo')")
        self.read_only = read_only
        self._store = Store(self.path, read_only=read_only)  # migrates when writable
        self.con = self._store.con
        self._cursor_lock = threading.Lock()
        self.write_lock = threading.Lock()
        self._tables: frozenset[str] | None = None

    def close(self) -> None:
        self._store.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._cursor_lock:
            return self.con.cursor()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one request; read-only transaction when the file is writable."""
        cur = self.cursor()
        try:
            if not self.read_only:
                cur.execute("BEGIN TRANSACTION READ ONLY")
            yield cur
        finally:
            try:
                if not self.read_only:
                    cur.execute("ROLLBACK")
            except duckdb.Error:  # pragma: no cover - the transaction is gone already
                pass
            cur.close()

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """A Store on its own cursor, one writer at a time."""
        if self.read_only:
            raise Problem(409, "read-only", detail=(
                "this server opened the database read-only (agglomera serve --read-only); "
                "restart it without --read-only to import (DuckDB allows one writing "
                "process per file)"))
        with self.write_lock:
            cur = self.cursor()
            try:
                yield _CursorStore(self.path, cur)
            finally:
                cur.close()

    def tables(self, cur: duckdb.DuckDBPyConnection) -> set[str]:
        """Tables and views of the database (they change only by migration, which
        happens when the server opens the file, so the list is read once)."""
        if self._tables is None:
            self._tables = frozenset(r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables").fetchall())
        return set(self._tables)

    def schema_version(self, cur: duckdb.DuckDBPyConnection) -> int:
        if "schema_version" not in self.tables(cur):
            return 0
        return int(cur.execute("SELECT max(version) FROM schema_version").fetchone()[0]
                   or 0)


def get_db(request: Request) -> Database:
    return request.app.state.db


def require_table(db: Database, cur: duckdb.DuckDBPyConnection, table: str) -> None:
    """Raise a 404 problem naming the missing table and how to get it."""
    if table not in db.tables(cur):
        raise Problem(404, "missing-table", detail=(
            f"this database has no table '{table}' (schema version "
            f"{db.schema_version(cur)}); open it once with a current agglomera "
            "(e.g. 'agglomera db info --db FILE') to migrate it, or serve it without "
            "--read-only"))


# ---- tokens -------------------------------------------------------------------------
def create_token(store: Store, name: str, *, scopes: Sequence[str] = ("write",)) -> str:
    """Store a new token's SHA-256 under ``name`` and return the token (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AgglomeraError(f"token name must be 1-100 characters; got {name!r}")
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise AgglomeraError(f"unknown scope(s) {', '.join(bad)}; known: "
                             f"{', '.join(SCOPES)}")
    _need_tokens_table(store.con)
    if store.con.execute("SELECT 1 FROM api_tokens WHERE name = ?", [name]).fetchone():
        raise AgglomeraError(f"a token named {name!r} exists already; revoke it first "
                             "('agglomera serve token revoke NAME') or pick another name")
    token = new_token()
    with store.transaction():
        store.con.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?)",
                          [name, hash_token(token), ",".join(scopes),
                           _dt.datetime.now()])
    return token


def revoke_token(store: Store, name: str) -> bool:
    _need_tokens_table(store.con)
    with store.transaction():
        n = store.con.execute("SELECT count(*) FROM api_tokens WHERE name = ?",
                              [name]).fetchone()[0]
        store.con.execute("DELETE FROM api_tokens WHERE name = ?", [name])
    return bool(n)


def list_tokens(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, object]]:
    _need_tokens_table(con)
    return con.execute("SELECT name, scopes, created_at FROM api_tokens "
                       "ORDER BY name").fetchall()


def _need_tokens_table(con: duckdb.DuckDBPyConnection) -> None:
    has = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'api_tokens'").fetchone()[0]
    if not has:
        raise BackendError("this database has no api_tokens table (schema older than "
                           "version 3); open it read-write once to migrate it",
                           table="api_tokens")


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-token") or None


def check_token(db: Database, token: str | None, scope: str = "write") -> str:
    """The name of the token's owner; a 401/403 problem otherwise.

    The SHA-256 of the presented token is compared with every stored hash with
    :func:`hmac.compare_digest` (constant time, no early exit over the list).
    """
    if not token:
        raise Problem(401, "unauthorized", detail=(
            "writing needs a token: send 'Authorization: Bearer TOKEN' (create one with "
            "'agglomera serve token create NAME --db DB')"),
            headers={"WWW-Authenticate": 'Bearer realm="agglomera"'})
    with db.reader() as cur:
        if "api_tokens" not in db.tables(cur):
            rows = []
        else:
            rows = cur.execute("SELECT name, token_sha256, scopes FROM api_tokens").fetchall()
    presented = hash_token(token)
    owner, owner_scopes = None, ""
    for name, stored, scopes in rows:
        if hmac.compare_digest(presented, str(stored)):
            owner, owner_scopes = name, scopes or ""
    if owner is None:
        raise Problem(401, "unauthorized", detail="the token is not valid for this database",
                      headers={"WWW-Authenticate": 'Bearer realm="agglomera", '
                                                   'error="invalid_token"'})
    if scope not in owner_scopes.split(","):
        raise Problem(403, "forbidden", detail=f"token {owner!r} lacks the scope {scope!r}")
    return owner


# ---- rows and pages -------------------------------------------------------------------
def _plain(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    return v


def rows(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
         ) -> tuple[list[str], list[tuple]]:
    res = cur.execute(sql, list(params))
    cols = [d[0] for d in res.description]
    return cols, res.fetchall()


def records(cols: list[str], data: list[tuple]) -> list[dict[str, Any]]:
    return [{c: _plain(v) for c, v in zip(cols, r)} for r in data]


@dataclass
class Where:
    """WHERE clauses and their parameters, built only from fixed column names."""

    clauses: list[str]
    params: list[Any]

    @classmethod
    def new(cls) -> Where:
        return cls([], [])

    def eq(self, column: str, value: Any) -> Where:
        if value is None:
            return self
        if isinstance(value, (list, tuple)):
            if not value:
                return self
            self.clauses.append(f"{column} IN ({', '.join('?' * len(value))})")
            self.params.extend(value)
        else:
            self.clauses.append(f"{column} = ?")
            self.params.append(value)
        return self

    def op(self, column: str, op: str, value: Any) -> Where:
        if value is not None:
            assert op in {">=", "<=", ">", "<"}
            self.clauses.append(f"{column} {op} ?")
            self.params.append(value)
        return self

    def search(self, columns: Sequence[str], text: str | None) -> Where:
        if text:
            self.clauses.append("(" + " OR ".join(
                f"contains(lower(coalesce({c}, '')), lower(?))" for c in columns) + ")")
            self.params.extend([text] * len(columns))
        return self

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def page(cur: duckdb.DuckDBPyConnection, request: Request, select: str, where: Where,
         order: str, *, limit: int, offset: int) -> dict[str, Any]:
    """Run ``select + where + order`` with LIMIT/OFFSET; items, total and next link."""
    # one query: the total rides along as a window column (a second query only when
    # the page is past the end)
    cols, data = rows(cur, f"SELECT *, count(*) OVER () AS __total FROM "
                      f"({select}{where.sql()}) ORDER BY {order} LIMIT ? OFFSET ?",
                      [*where.params, limit, offset])
    if data:
        total = data[0][-1]
        cols, data = cols[:-1], [r[:-1] for r in data]
    else:
        total = cur.execute(f"SELECT count(*) FROM ({select}{where.sql()})",
                            where.params).fetchone()[0]
    nxt = None
    if offset + limit < total:
        nxt = next_link(request, offset + limit, limit)
    return {"items": records(cols, data), "total": int(total), "limit": limit,
            "offset": offset, "next": nxt}


def next_link(request: Request, offset: int, limit: int) -> str:
    """Path and query of the next page (relative, so it works behind a proxy)."""
    url = request.url.include_query_params(offset=offset, limit=limit)
    return f"{url.path}?{url.query}"


def all_rows(cur: duckdb.DuckDBPyConnection, select: str, where: Where, order: str
             ) -> tuple[list[str], list[tuple]]:
    return rows(cur, f"{select}{where.sql()} ORDER BY {order}", where.params)
