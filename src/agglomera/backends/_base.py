r"""The backend contract: where the enterprise records are, and the two questions asked
of them (sufficient statistics per group, and deterministic samples per group).

A backend only runs SQL where the data are and returns small frames; every index is
then computed in-process by the same code whatever the engine (see docs/scaling.md).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agglomera.backends import _sql
from agglomera.errors import BackendError, SchemaError

#: kinds of column a backend reports
INTEGER, FLOAT, DECIMAL, STRING, OTHER = "integer", "float", "decimal", "string", "other"
SOURCE_KINDS = ("parquet", "hive", "duckdb", "table")
_TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


@dataclass(frozen=True)
class Source:
    """Where the enterprise records are.

    ``kind`` is ``"parquet"`` (a file, directory or glob of Parquet files), ``"hive"``
    (a metastore table ``db.table``, Spark only), ``"duckdb"`` (a table or view of a
    DuckDB database file, ``table`` defaulting to the ``enterprises`` view) or
    ``"table"`` (a table or view already known to the backend's session).
    """

    kind: str
    location: str
    table: str | None = None

    @classmethod
    def parse(cls, text: str) -> Source:
        """``parquet:PATH``, ``hive:db.table``, ``duckdb:DB[::table]`` or ``table:NAME``.

        >>> Source.parse("hive:register.firms")
        Source(kind='hive', location='register.firms', table=None)
        >>> Source.parse("duckdb:agglomera.duckdb::enterprises").table
        'enterprises'
        """
        if not isinstance(text, str) or ":" not in text:
            raise SchemaError("a source looks like parquet:PATH, hive:db.table, "
                              f"duckdb:DB[::table] or table:NAME; got {text!r}")
        kind, rest = text.split(":", 1)
        kind = kind.strip().lower()
        if kind not in SOURCE_KINDS:
            raise SchemaError(f"source kind must be one of {', '.join(SOURCE_KINDS)}; "
                              f"got {kind!r} in {text!r}")
        if not rest:
            raise SchemaError(f"source {text!r} names no location")
        table = None
        if kind == "duckdb":
            rest, _, table = rest.partition("::")
            table = table or "enterprises"
        if kind in ("hive", "table") or table is not None:
            name = table if kind == "duckdb" else rest
            if not _TABLE_RE.match(name or ""):
                raise SchemaError(f"table name {name!r} must look like name or "
                                  "db.name (letters, digits, underscores)")
        return cls(kind, rest, table)

    def __str__(self) -> str:
        return f"{self.kind}:{self.location}" + (f"::{self.table}" if self.table else "")


@dataclass(frozen=True)
class SufficientStats:
    r"""Counts, sums and power sums of metrics per group, from one pass over the records.

    ``frame`` has one row per group (the ``by`` columns, sorted, missing keys last),
    ``n_rows`` (``COUNT(*)``) and for each metric ``m``: ``m_count`` (``COUNT(m)``,
    non-missing values), ``m_sum``, ``m_sumsq`` (:math:`\sum x^2`), ``m_sum4``
    (:math:`\sum x^4`), ``m_min`` and ``m_max``. A group without any known value of
    ``m`` has missing sums (never 0). ``exact`` tells which metrics were summed as exact
    integers. The enterprise measures accept this object directly (their
    ``*_from_stats`` entry points call :meth:`to_frame`).
    """

    frame: pd.DataFrame
    by: tuple[str, ...]
    metrics: tuple[str, ...]
    exact: dict[str, bool] = field(default_factory=dict)
    engine: str = ""
    source: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The statistics as a frame (a copy)."""
        return self.frame.copy()

    def long(self, metric: str, *, stat: str = "sum") -> pd.DataFrame:
        """The ``by`` columns and one statistic of ``metric`` as column ``metric``:
        a long frame for the region x industry measures (e.g. ``location_quotient``)."""
        if metric not in self.metrics:
            raise SchemaError(f"metric {metric!r} was not aggregated; have "
                              f"{', '.join(self.metrics)}")
        if stat not in _sql.STATS:
            raise SchemaError(f"`stat` must be one of {', '.join(_sql.STATS)}; "
                              f"got {stat!r}")
        col = f"{metric}_{stat}"
        return self.frame[[*self.by, col]].rename(columns={col: metric})


class TableBackend(abc.ABC):
    """Contract of an engine that holds enterprise records.

    Subclasses give :attr:`dialect`, :meth:`relation`, :meth:`column_kinds` and
    :meth:`query`; :meth:`aggregate` and :meth:`sample` are shared, so the SQL and the
    post-processing are the same on every engine.
    """

    name: str = "abstract"
    dialect: _sql.Dialect

    @abc.abstractmethod
    def relation(self, source: object) -> str:
        """A SQL table expression for ``source`` (registers views as needed)."""

    @abc.abstractmethod
    def column_kinds(self, relation: str) -> dict[str, str]:
        """Column name -> one of integer, float, decimal, string, other."""

    @abc.abstractmethod
    def query(self, sql: str, *, table: str) -> pd.DataFrame | dict[str, pd.Series]:
        """Run ``sql`` and return the (small) result, a DataFrame or a mapping of
        column -> Series; failures raise BackendError."""

    def close(self) -> None:
        """Release what the backend opened itself (default: nothing)."""

    def __enter__(self) -> TableBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared -----------------------------------------------------------------------
    def _columns(self, relation: str, wanted: Sequence[str], what: str) -> dict[str, str]:
        kinds = self.column_kinds(relation)
        absent = [c for c in wanted if c not in kinds]
        if absent:
            raise SchemaError(f"{what}: columns {absent} not found in {relation}; it has "
                              f"{', '.join(kinds)}")
        return kinds

    def aggregate(self, source: object, *, by: Sequence[str], metrics: Sequence[str],
                  exact: bool | None = None, fourth: bool = True) -> SufficientStats:
        r"""Sufficient statistics of ``metrics`` per ``by`` group in one SQL pass.

        Parameters
        ----------
        source : Source, str or engine object
            The records (see :class:`Source`; a backend may also take its own frame
            type, e.g. a pandas DataFrame on DuckDB).
        by : sequence of str
            Grouping columns, e.g. ``["year", "region", "industry"]``.
        metrics : sequence of str
            Numeric columns to summarise.
        exact : bool, optional
            Sum integer columns exactly as DECIMAL(38,0) (default: yes for integer
            columns). ``True`` refuses non-integer columns; ``False`` sums everything as
            DOUBLE.
        fourth : bool
            Also sum fourth powers (needed for the Ellison-Glaeser variance).

        Returns
        -------
        SufficientStats
            One row per group, sorted by ``by`` (missing keys last).

        Raises
        ------
        SchemaError
            For unknown or non-numeric columns, or ``exact=True`` on a non-integer one.
        BackendError
            If the engine fails; keeps the SQL and the table.

        Notes
        -----
        For each group :math:`g` and metric :math:`x`: :math:`n_g` rows,
        :math:`c_g = \#\{x \ne \mathrm{NULL}\}`, :math:`S_1 = \sum x`,
        :math:`S_2 = \sum x^2`, :math:`S_4 = \sum x^4`, min and max. These are enough
        for every aggregate-based index: the Ellison & Glaeser (1997) plant
        Herfindahl of an industry is :math:`H = \sum_r S_{2,ri} / (\sum_r S_{1,ri})^2`.
        """
        by = list(by)
        metrics = list(dict.fromkeys(metrics))
        if not metrics and not by:
            raise SchemaError("nothing to aggregate: give by= and/or metrics=")
        overlap = set(by) & set(metrics)
        if overlap:
            raise SchemaError(f"columns {sorted(overlap)} are both a group and a metric")
        rel = self.relation(source)
        kinds = self._columns(rel, [*by, *metrics], "aggregate")
        plan: dict[str, bool] = {}
        for m in metrics:
            kind = kinds[m]
            if kind not in (INTEGER, FLOAT, DECIMAL):
                raise SchemaError(f"metric {m!r} is not numeric (column type {kind}); "
                                  "convert it before aggregating")
            if exact is True and kind != INTEGER:
                raise SchemaError(f"exact=True needs integer columns; {m!r} is {kind}")
            plan[m] = kind == INTEGER and exact is not False
        sql = _sql.aggregate_sql(rel, by=by, metrics=plan, dialect=self.dialect,
                                 fourth=fourth)
        raw = self.query(sql, table=rel)
        try:
            frame = _normalise(raw, by=by, metrics=plan, kinds=kinds, fourth=fourth,
                               dialect=self.dialect)
        except BackendError as exc:
            raise BackendError(str(exc), sql=sql, table=rel) from None
        return SufficientStats(frame, tuple(by), tuple(metrics), plan, self.name,
                               str(source) if isinstance(source, (str, Source))
                               else type(source).__name__)

    def sample(self, source: object, *, id: str, by: Sequence[str] = (),
               k: int, seed: int, columns: Sequence[str] = ()) -> pd.DataFrame:
        r"""The ``k`` rows per ``by`` group with the smallest hash of (id, seed).

        Parameters
        ----------
        source : Source, str or engine object
            The records.
        id : str
            Enterprise identifier column (integer or text; floats are refused because
            the engines print them differently).
        by : sequence of str
            Groups sampled separately (e.g. ``["industry"]``).
        k : int
            Rows kept per group (all rows of a smaller group).
        seed : int
            Seed in [0, 2^63); a different seed gives an independent sample.
        columns : sequence of str
            Further columns to return (e.g. ``["lon", "lat"]``).

        Returns
        -------
        pandas.DataFrame
            The ``by``, ``id`` and ``columns`` columns, ``sample_hash`` and
            ``sample_rank`` (1 = smallest hash in its group), sorted by group and rank.

        Notes
        -----
        Row :math:`k` is kept when its rank of
        :math:`h_k = \mathrm{MD5}(\mathrm{str}(id_k) \,\|\, \texttt{"\#"} \,\|\,
        \mathrm{seed})` (Rivest 1992, RFC 1321, doi:10.17487/RFC1321) within its group
        is at most ``k``. With a good hash this is a simple random sample without
        replacement of each group (bottom-k sampling; Cohen & Kaplan 2007,
        "Summarizing data using bottom-k sketches", PODC '07, 225–234,
        doi:10.1145/1281100.1281133), and it is identical on every engine because
        it involves no random generator, only the hash.
        """
        by = list(by)
        columns = list(columns)
        rel = self.relation(source)
        kinds = self._columns(rel, [id, *by, *columns], "sample")
        if kinds[id] not in (INTEGER, STRING):
            raise SchemaError(f"id column {id!r} must hold integers or text (it is "
                              f"{kinds[id]}); the engines format other types "
                              "differently, so the samples would differ")
        sql = _sql.sample_sql(rel, id=id, by=by, columns=columns, k=k, seed=seed,
                              dialect=self.dialect)
        raw = self.query(sql, table=rel)
        out = pd.DataFrame(_normalise_keys(raw, [*dict.fromkeys([*by, id, *columns])],
                                           kinds))
        out["sample_hash"] = raw["sample_hash"].astype(object).to_numpy()
        out["sample_rank"] = pd.to_numeric(raw["sample_rank"]).astype(np.int64).to_numpy()
        order = [*by, "sample_rank"]
        return out.sort_values(order, kind="stable", na_position="last",
                               ignore_index=True)


def _to_float(col: pd.Series) -> np.ndarray:
    """Decimal/int/float/None -> float64 with NaN for missing (correctly rounded)."""
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=float, na_value=np.nan)
    vals = col.to_numpy(dtype=object, na_value=None)
    return np.array([np.nan if v is None else float(v) for v in vals], dtype=float)


def decimal_to_float(arr: object) -> np.ndarray:
    """A pyarrow DECIMAL(38,0) array -> float64, each value the correctly rounded
    double of the exact integer (NaN for NULL), as ``float(int)`` would give.

    Values below 2^53 in magnitude are converted with numpy; the rest through Python
    integers, so the result does not depend on how a library rounds 128-bit integers.
    """
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type.scale != 0:
        raise SchemaError(f"expected an integer DECIMAL; got {arr.type}")
    n = len(arr)
    words = np.frombuffer(arr.buffers()[1], dtype="<u8", count=2 * (arr.offset + n))
    words = words[2 * arr.offset:].reshape(n, 2)
    lo, hi = words[:, 0], words[:, 1].view(np.int64)
    out = lo.astype(float)
    nulls = arr.is_null().to_numpy(zero_copy_only=False)
    small = ((hi == 0) & (lo < 2**53)) | nulls  # a NULL slot may hold anything
    for k in np.flatnonzero(~small):
        out[k] = float((int(hi[k]) << 64) + int(lo[k]))
    out[nulls] = np.nan
    return out


def arrow_to_frame(table: object) -> dict[str, pd.Series]:
    """A pyarrow Table -> columns as Series, with exact DECIMAL(38,0) -> float.

    A dict rather than a DataFrame: the statistics frame is assembled once, in
    :func:`_normalise`, which saves a consolidating copy of a million-row result.
    """
    import pyarrow as pa

    cols = {}
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_decimal(col.type) and col.type.scale == 0:
            cols[name] = pd.Series(decimal_to_float(col), copy=False)
        else:
            cols[name] = col.to_pandas()
    return cols


def _normalise_keys(raw: pd.DataFrame | dict, cols: list[str], kinds: dict[str, str],
                    ) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in cols:
        kind = kinds[c]
        col = raw[c]
        if kind == INTEGER:
            arr = pd.array(col, dtype="Int64")
            out[c] = arr if arr.isna().any() else arr.to_numpy(dtype=np.int64)
        elif kind in (FLOAT, DECIMAL):
            out[c] = _to_float(col)
        elif pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
            out[c] = col.array  # Arrow text: already pandas' default text dtype
        else:
            # pandas' default text dtype (str in pandas 3, object before), as a
            # frame read from a file would have, so results index like the plant path
            vals = col.astype(object)
            out[c] = pd.Series(vals.where(vals.notna(), None).to_numpy(dtype=object)
                               ).array
    return out


def _normalise(raw: pd.DataFrame | dict, *, by: list[str], metrics: dict[str, bool],
               kinds: dict[str, str], fourth: bool,
               dialect: _sql.Dialect) -> pd.DataFrame:
    """Engine result -> one dtype per column whatever the engine, sorted by ``by``."""
    cols = _normalise_keys(raw, by, kinds)
    cols[_sql.N_ROWS] = pd.to_numeric(raw[_sql.N_ROWS]).to_numpy(dtype=np.int64)
    for m in metrics:
        count = pd.to_numeric(raw[f"{m}_count"]).to_numpy(dtype=np.int64)
        cols[f"{m}_count"] = count
        for s in ("sum", "sumsq", "sum4", "min", "max"):
            if s == "sum4" and not fourth:
                continue
            cols[f"{m}_{s}"] = _to_float(raw[f"{m}_{s}"])
        lost = (count > 0) & (np.isnan(cols[f"{m}_sum"]) | np.isnan(cols[f"{m}_sumsq"]))
        if lost.any():  # Spark without ANSI mode turns a DECIMAL overflow into NULL
            raise BackendError(f"the sums of {m!r} overflowed DECIMAL(38,0) (or the "
                               "engine returned NULL for known values) in "
                               f"{int(lost.sum())} group(s); aggregate with exact=False "
                               "or rescale the metric", sql=None, table=None)
    frame = pd.DataFrame(cols)
    if by and not dialect.order_in_sql:  # else sorted by ORDER BY ... NULLS LAST
        frame = frame.sort_values(by, kind="stable", na_position="last",
                                  ignore_index=True)
    return frame


def wrap_error(exc: BaseException, sql: str, table: str, engine: str) -> BackendError:
    """A BackendError naming the engine, the table and the first line of the cause."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BackendError(f"{engine} failed on {table}: {first}", sql=sql, table=table)
