r"""Backends: where enterprise records live, and the one pass of SQL run there.

DuckDB is the default and always available; Spark is the optional extra ``spark``,
loaded only when asked for (``import agglomera`` never imports pyspark). Every backend
answers the same two questions with the same SQL (a conservative subset valid on Spark
3.1 and later and on DuckDB):

* :func:`aggregate`: counts, sums, sums of squares and fourth powers of metrics per
  group (:class:`SufficientStats`), enough for the location quotient, shift-share, the
  Gini-type indices and the Ellison-Glaeser family without a second scan;
* :func:`sample`: a deterministic, hash-based sample of rows per group, identical on
  every engine, for the distance-based measures.

The indices are then computed in-process by ``agglomera.measures`` (e.g.
``ellison_glaeser_from_stats``), so a laptop and a cluster give the same numbers. See
docs/scaling.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from agglomera.backends._base import Source, SufficientStats, TableBackend
from agglomera.backends.duckdb import DuckDBBackend
from agglomera.errors import SchemaError

ENGINES = ("duckdb", "spark")

__all__ = [
    "ENGINES",
    "DuckDBBackend",
    "Source",
    "SparkBackend",
    "SufficientStats",
    "TableBackend",
    "aggregate",
    "get_backend",
    "sample",
]


def __getattr__(name: str) -> object:  # lazy: pyspark only when SparkBackend is used
    if name == "SparkBackend":
        from agglomera.backends.spark import SparkBackend

        return SparkBackend
    raise AttributeError(f"module 'agglomera.backends' has no attribute {name!r}")


def get_backend(engine: str | TableBackend = "duckdb", *, spark_master: str | None = None,
                spark_conf: Mapping[str, str] | None = None) -> TableBackend:
    """A backend from its name, or ``engine`` itself when it already is one.

    Parameters
    ----------
    engine : {"duckdb", "spark"} or TableBackend
        Engine name, or a backend to pass through.
    spark_master : str, optional
        Spark master URL for ``engine="spark"`` (``yarn``, ``local[4]``, ...).
    spark_conf : mapping, optional
        Spark settings for ``engine="spark"``. An active SparkSession is reused by
        Spark itself (its master and settings then stay).

    Returns
    -------
    TableBackend
        A :class:`DuckDBBackend` (in-memory connection) or a ``SparkBackend``.

    Raises
    ------
    SchemaError
        For an unknown engine name.
    MissingDependencyError
        For ``"spark"`` without pyspark (install ``agglomera[spark]``).

    Examples
    --------
    >>> get_backend("duckdb").name
    'duckdb'
    """
    if isinstance(engine, TableBackend):
        return engine
    if engine == "duckdb":
        return DuckDBBackend()
    if engine == "spark":
        from agglomera.backends.spark import SparkBackend

        return SparkBackend(master=spark_master, conf=spark_conf)
    raise SchemaError(f"`engine` must be one of {', '.join(ENGINES)} or a TableBackend; "
                      f"got {engine!r}")


def aggregate(source: object, *, engine: str | TableBackend = "duckdb",
              by: Sequence[str] = ("region", "industry"),
              metrics: Sequence[str] = ("employment",), exact: bool | None = None,
              fourth: bool = True) -> SufficientStats:
    r"""Sufficient statistics of enterprise records per group, on any engine.

    Parameters
    ----------
    source : str, Source, pandas.DataFrame or Spark DataFrame
        ``"parquet:PATH"`` (or a plain path), ``"hive:db.table"`` (Spark),
        ``"duckdb:DB[::table]"`` (DuckDB; default table the ``enterprises`` view),
        ``"table:NAME"``, or a frame the engine understands.
    engine : {"duckdb", "spark"} or TableBackend
        Where to run the SQL. A name makes a backend for this call (a Spark session
        is reused if one is active); pass a backend to reuse it across calls.
    by : sequence of str
        Grouping columns, e.g. ``["year", "region", "industry"]``.
    metrics : sequence of str
        Numeric columns to summarise (e.g. employment, revenue).
    exact : bool, optional
        Integer columns are summed exactly (DECIMAL(38,0)) unless ``False``.
    fourth : bool
        Also sum fourth powers (for the Ellison-Glaeser variance).

    Returns
    -------
    SufficientStats
        One row per group with ``n_rows`` and, per metric, ``_count``, ``_sum``,
        ``_sumsq``, ``_sum4``, ``_min``, ``_max``.

    Raises
    ------
    SchemaError
        Unknown columns, non-numeric metrics, an unknown engine or source.
    BackendError
        The engine failed; ``.sql`` and ``.table`` keep the statement and the table.

    See Also
    --------
    agglomera.measures.ellison_glaeser_from_stats, sample

    Notes
    -----
    Per group :math:`g`: :math:`n_g = \mathrm{COUNT(*)}`, :math:`c_g =
    \mathrm{COUNT}(x)`, :math:`S_k = \sum_{i \in g} x_i^k` for :math:`k = 1, 2, 4`.
    The Ellison & Glaeser (1997) plant Herfindahl of industry :math:`i` is then
    :math:`H_i = \sum_r S_{2,ri} / (\sum_r S_{1,ri})^2` and the region x industry
    matrix :math:`E_{ri} = S_{1,ri}`; see Ellison, G. & Glaeser, E. L. (1997).
    Geographic concentration in U.S. manufacturing industries: a dartboard approach.
    Journal of Political Economy 105(5), 889–927. doi:10.1086/262098.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"region": ["a", "a", "b"], "industry": ["x", "x", "x"],
    ...                       "employment": [3, None, 4]})
    >>> st = aggregate(firms, by=["region", "industry"], metrics=["employment"])
    >>> st.frame[["region", "n_rows", "employment_count", "employment_sum"]]
      region  n_rows  employment_count  employment_sum
    0      a       2                 1             3.0
    1      b       1                 1             4.0
    """
    backend = get_backend(engine)
    try:
        return backend.aggregate(source, by=by, metrics=metrics, exact=exact,
                                 fourth=fourth)
    finally:
        if backend is not engine:
            backend.close()


def sample(source: object, *, engine: str | TableBackend = "duckdb",
           id: str = "enterprise_id", by: Sequence[str] = ("industry",), k: int,
           seed: int, columns: Sequence[str] = ()) -> pd.DataFrame:
    r"""Deterministic per-group sample of enterprise rows, identical on every engine.

    Parameters
    ----------
    source : str, Source, pandas.DataFrame or Spark DataFrame
        As in :func:`aggregate`.
    engine : {"duckdb", "spark"} or TableBackend
        Where to run the SQL.
    id : str
        Enterprise identifier column (integers or text).
    by : sequence of str
        Groups sampled separately (default: per industry).
    k : int
        Rows kept per group.
    seed : int
        Seed in [0, 2^63).
    columns : sequence of str
        Further columns to return (e.g. lon, lat).

    Returns
    -------
    pandas.DataFrame
        Group, id and requested columns, ``sample_hash`` and ``sample_rank``.

    Raises
    ------
    SchemaError
        Unknown columns, a float id, or a bad ``k``/``seed``.
    BackendError
        The engine failed.

    Notes
    -----
    Bottom-k sampling on :math:`\mathrm{MD5}(\mathrm{str}(id) \| \texttt{"\#"} \|
    \mathrm{seed})` (Rivest 1992, RFC 1321, doi:10.17487/RFC1321; Cohen, E. & Kaplan,
    H. (2007). Summarizing data using bottom-k sketches. Proc. 26th ACM PODC, 225–234,
    doi:10.1145/1281100.1281133): within each group the ``k`` rows with the smallest
    hash are kept, ties broken by the id's text.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"enterprise_id": range(10), "industry": ["x"] * 10})
    >>> s = sample(firms, k=3, seed=1)
    >>> len(s), s["sample_rank"].tolist()
    (3, [1, 2, 3])
    """
    backend = get_backend(engine)
    try:
        return backend.sample(source, id=id, by=by, k=k, seed=seed, columns=columns)
    finally:
        if backend is not engine:
            backend.close()
