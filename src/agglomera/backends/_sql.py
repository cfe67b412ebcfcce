"""SQL shared by every backend: one conservative dialect (Spark 3.1+ and DuckDB).

Rules kept here, because each of them is a difference between the engines:

* no ``GROUP BY ALL``, no ``^`` (XOR in Spark), no ``QUALIFY``, no ``FILTER`` clause,
  no parameter markers (Spark < 3.4 has none): the only literals written into the SQL
  are integers checked in Python (the sample seed and size), never user text;
* identifiers are quoted by the dialect (``"x"`` in DuckDB, ```x``` in Spark), with the
  quote character doubled inside a name;
* integer metrics are summed **exactly**: ``SUM(CAST(x AS DECIMAL(38,0)))`` and the
  square ``CAST(x AS DECIMAL(19,0)) * CAST(x AS DECIMAL(19,0))`` summed as
  ``DECIMAL(38,0)`` (both engines use 128-bit integers), so totals do not depend on the
  order in which partitions are added. Floating metrics are ``SUM(CAST(x AS DOUBLE))``
  and ``SUM(CAST(x AS DOUBLE) * CAST(x AS DOUBLE))``, whose last bits may depend on
  the order; fourth powers (only used by the Ellison-Glaeser variance) are always
  doubles;
* NULLs stay NULLs: ``COUNT(x)`` next to ``COUNT(*)`` says how many values were missing,
  and a cell with no known value has a NULL sum.
"""

from __future__ import annotations

from dataclasses import dataclass

from agglomera.errors import SchemaError

#: column of the row count in every sufficient-statistics frame
N_ROWS = "n_rows"
#: suffixes of the per-metric statistics
STATS = ("count", "sum", "sumsq", "sum4", "min", "max")


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines' SQL (only the identifier quote so far)."""

    name: str
    quote: str
    #: sort the (small) result in SQL: cheap in DuckDB; in Spark a global ORDER BY
    #: adds a range-partitioning pass that tripled the time, so pandas sorts instead
    order_in_sql: bool = True

    def ident(self, name: str) -> str:
        """Quote one identifier (a column name)."""
        if not isinstance(name, str) or not name:
            raise SchemaError(f"a column name must be a non-empty string; got {name!r}")
        q = self.quote
        return q + name.replace(q, q + q) + q


DUCKDB = Dialect("duckdb", '"')
SPARK = Dialect("spark", "`", order_in_sql=False)


def aggregate_sql(table: str, *, by: list[str], metrics: dict[str, bool],
                  dialect: Dialect, fourth: bool = True) -> str:
    """One pass of GROUP BY giving counts, sums, sums of squares (and fourth powers),
    minimum and maximum of each metric per group.

    ``metrics`` maps a column to ``True`` when it holds integers (summed exactly as
    DECIMAL(38,0)) or ``False`` (summed as DOUBLE).
    """
    q = dialect.ident
    cols = [f"{q(c)}" for c in by]
    sel = list(cols) + [f"COUNT(*) AS {q(N_ROWS)}"]
    for m, exact in metrics.items():
        x = q(m)
        d = f"CAST({x} AS DOUBLE)"
        sel.append(f"COUNT({x}) AS {q(m + '_count')}")
        if exact:
            sel.append(f"SUM(CAST({x} AS DECIMAL(38,0))) AS {q(m + '_sum')}")
            sel.append("SUM(CAST(CAST({x} AS DECIMAL(19,0)) * CAST({x} AS DECIMAL(19,0))"
                       " AS DECIMAL(38,0))) AS {a}".format(x=x, a=q(m + "_sumsq")))
        else:
            sel.append(f"SUM({d}) AS {q(m + '_sum')}")
            sel.append(f"SUM({d} * {d}) AS {q(m + '_sumsq')}")
        if fourth:
            sel.append(f"SUM(({d} * {d}) * ({d} * {d})) AS {q(m + '_sum4')}")
        sel.append(f"MIN({d}) AS {q(m + '_min')}")
        sel.append(f"MAX({d}) AS {q(m + '_max')}")
    sql = "SELECT " + ",\n       ".join(sel) + f"\nFROM {table}"
    if cols:
        sql += "\nGROUP BY " + ", ".join(cols)
    if cols and dialect.order_in_sql:
        # sorted by the engine (in parallel); NULLS LAST spelled out because the
        # defaults differ (DuckDB: last, Spark: first); both compare text bytewise
        sql += "\nORDER BY " + ", ".join(f"{c} ASC NULLS LAST" for c in cols)
    return sql


def sample_sql(table: str, *, id: str, by: list[str], columns: list[str], k: int,
               seed: int, dialect: Dialect) -> str:
    r"""Deterministic per-group sample: the ``k`` rows with the smallest
    ``md5(CAST(id AS STRING) || '#' || seed)`` in each group (ties by the id's text).

    MD5 gives the same 32 lowercase hex digits in both engines, and fixed-length hex
    strings sort like the numbers they spell, so both engines keep the same rows.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise SchemaError(f"`k` (rows per group) must be a positive integer; got {k!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise SchemaError(f"`seed` must be an integer in [0, 2^63); got {seed!r}")
    q = dialect.ident
    key = f"CAST({q(id)} AS STRING)"
    h = f"md5(CONCAT({key}, '#{int(seed)}'))"
    part = ", ".join(q(c) for c in by)
    keep = [q(c) for c in dict.fromkeys([*by, id, *columns])]
    inner = (f"SELECT {', '.join(keep)}, {h} AS sample_hash,\n"
             f"       ROW_NUMBER() OVER ({'PARTITION BY ' + part + ' ' if part else ''}"
             f"ORDER BY {h}, {key}) AS sample_rank\n"
             f"FROM {table}\nWHERE {q(id)} IS NOT NULL")
    for c in by:
        inner += f" AND {q(c)} IS NOT NULL"
    return (f"SELECT * FROM (\n{inner}\n) sampled\nWHERE sample_rank <= {int(k)}")
