"""DuckDB backend (the default): Parquet files, DuckDB databases and pandas frames."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pandas as pd

from agglomera.backends import _sql
from agglomera.backends._base import (
    DECIMAL,
    FLOAT,
    INTEGER,
    OTHER,
    STRING,
    Source,
    TableBackend,
    arrow_to_frame,
    wrap_error,
)
from agglomera.errors import SchemaError

_INT = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "UHUGEINT")
_COUNTER = itertools.count()


def _kind(sql_type: str) -> str:
    t = sql_type.upper()
    if t in _INT:
        return INTEGER
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return FLOAT
    if t.startswith("DECIMAL"):
        return DECIMAL
    if t == "VARCHAR" or t.startswith("ENUM"):
        return STRING
    return OTHER


class DuckDBBackend(TableBackend):
    """Runs the backend SQL in DuckDB.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection, optional
        An open connection to use (not closed by :meth:`close`). Default: a new
        in-memory connection, closed by :meth:`close`.
    threads : int, optional
        ``SET threads`` on the connection the backend opens itself.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"region": ["a", "a", "b"], "industry": ["x"] * 3,
    ...                       "employment": [1, 2, 4]})
    >>> with DuckDBBackend() as be:
    ...     st = be.aggregate(firms, by=["region", "industry"], metrics=["employment"])
    >>> st.frame[["region", "n_rows", "employment_sum", "employment_sumsq"]]
      region  n_rows  employment_sum  employment_sumsq
    0      a       2             3.0               5.0
    1      b       1             4.0              16.0
    """

    name = "duckdb"
    dialect = _sql.DUCKDB

    def __init__(self, connection: duckdb.DuckDBPyConnection | None = None, *,
                 threads: int | None = None):
        self._own = connection is None
        self.con = duckdb.connect() if connection is None else connection
        if self._own and threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._attached: dict[str, str] = {}
        self._views: dict[int, tuple[str, object]] = {}

    def close(self) -> None:
        if self._own:
            self.con.close()

    def relation(self, source: object) -> str:
        if isinstance(source, pd.DataFrame):
            key = id(source)
            if key not in self._views:
                name = f"agglomera_frame_{next(_COUNTER)}"
                self.con.register(name, source)
                self._views[key] = (name, source)  # keep the frame alive
            return self.dialect.ident(self._views[key][0])
        if isinstance(source, (str, Path)) and not isinstance(source, Source):
            src = Source.parse(str(source)) if ":" in str(source) and not \
                Path(str(source)).exists() else Source("parquet", str(source))
        elif isinstance(source, Source):
            src = source
        else:
            raise SchemaError("a DuckDB source is a Source, 'parquet:PATH', "
                              "'duckdb:DB[::table]', 'table:NAME' or a pandas DataFrame; "
                              f"got {type(source).__name__}")
        if src.kind == "parquet":
            path = src.location
            if not any(ch in path for ch in "*?[") and not Path(path).exists():
                raise SchemaError(f"no Parquet file or directory at {path}")
            many = Path(path).is_dir() or any(ch in path for ch in "*?[")
            if Path(path).is_dir():
                path = str(Path(path) / "**" / "*.parquet")
            name = f"agglomera_parquet_{next(_COUNTER)}"
            # the path is a bound parameter of the view's table function, never SQL text
            try:
                # year=2023/ folders become columns when reading a directory
                rel = (self.con.read_parquet(path, hive_partitioning=True) if many
                       else self.con.read_parquet(path))
                rel.create_view(name)
            except duckdb.Error as exc:
                raise wrap_error(exc, f"read_parquet({path!r})", path, self.name) from None
            return self.dialect.ident(name)
        if src.kind == "duckdb":
            db = src.location
            if not Path(db).exists():
                raise SchemaError(f"no DuckDB database at {db}")
            alias = self._attached.get(db)
            if alias is None:
                alias = f"agglomera_db_{next(_COUNTER)}"
                try:
                    self.con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [db])
                except duckdb.Error as exc:
                    raise wrap_error(exc, "ATTACH", db, self.name) from None
                self._attached[db] = alias
            parts = [alias, *str(src.table).split(".")]
            return ".".join(self.dialect.ident(p) for p in parts)
        if src.kind == "table":
            return ".".join(self.dialect.ident(p) for p in src.location.split("."))
        raise SchemaError(f"DuckDB cannot read {src.kind} sources ({src}); Hive tables "
                          "need engine='spark'")

    def column_kinds(self, relation: str) -> dict[str, str]:
        sql = f"DESCRIBE SELECT * FROM {relation}"
        try:
            rows = self.con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise wrap_error(exc, sql, relation, self.name) from None
        return {r[0]: _kind(r[1]) for r in rows}

    def query(self, sql: str, *, table: str) -> pd.DataFrame | dict[str, pd.Series]:
        try:
            rel = self.con.sql(sql)
            fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb < 1.4
            result = fetch()
        except duckdb.Error as exc:
            raise wrap_error(exc, sql, table, self.name) from None
        # Arrow keeps NULLs and DECIMAL(38,0) sums exact until the one conversion
        return arrow_to_frame(result)
