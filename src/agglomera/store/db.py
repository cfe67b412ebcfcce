"""The DuckDB file: schema, migrations and the stable views other tools read.

Tables are suffixed ``_data`` where a stable view of the plain name sits on top; outside
tools should read the views ``observations`` and ``enterprises`` (columns documented in
docs/data-model.md) and never rely on the tables behind them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from agglomera.errors import BackendError
from agglomera.schema.catalog import Catalog, IndustryMatcher, RegionMatcher

SCHEMA_VERSION = 3

_V1 = """
CREATE TABLE regions (
    code        VARCHAR PRIMARY KEY,
    name_zh     VARCHAR,
    name_en     VARCHAR,
    level       VARCHAR NOT NULL,  -- nation, province, prefecture, county, zone, group,
                                   -- aggregate, total
    parent_code VARCHAR,
    kind        VARCHAR NOT NULL,  -- official (GB/T 2260), aggregate, user
    note        VARCHAR,
    lon         DOUBLE,
    lat         DOUBLE
);
CREATE TABLE region_aliases (alias VARCHAR NOT NULL, code VARCHAR NOT NULL);
CREATE TABLE region_members (
    group_code  VARCHAR NOT NULL,
    member_code VARCHAR NOT NULL,
    PRIMARY KEY (group_code, member_code)
);
CREATE TABLE industry_schemes (
    scheme  VARCHAR PRIMARY KEY,
    name_zh VARCHAR,
    name_en VARCHAR,
    note    VARCHAR
);
CREATE TABLE industries (
    scheme      VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    level       VARCHAR,
    parent_code VARCHAR,
    name_zh     VARCHAR,
    name_en     VARCHAR,
    PRIMARY KEY (scheme, code)
);
CREATE TABLE industry_aliases (scheme VARCHAR, code VARCHAR, alias VARCHAR);
CREATE SEQUENCE source_id_seq START 1;
CREATE TABLE sources (
    source_id     INTEGER PRIMARY KEY,
    file_name     VARCHAR NOT NULL,
    file_path     VARCHAR,
    sha256        VARCHAR NOT NULL,
    sheet         VARCHAR,
    options       VARCHAR,   -- JSON of the import options that change the result
    kind          VARCHAR,   -- observations | enterprises
    layout        VARCHAR,   -- long | wide:<rows>x<columns> | enterprises
    encoding      VARCHAR,
    title         VARCHAR,
    notes         VARCHAR,   -- units line, footnotes
    imported_at   TIMESTAMP NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL
);
CREATE TABLE source_tables (
    source_id  INTEGER NOT NULL,
    table_ref  VARCHAR NOT NULL,
    source_url VARCHAR
);
CREATE TABLE observations_data (
    source_id       INTEGER NOT NULL,
    table_ref       VARCHAR NOT NULL,
    region_code     VARCHAR NOT NULL,
    industry_scheme VARCHAR NOT NULL,
    industry_code   VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    metric          VARCHAR NOT NULL,
    value           DOUBLE,
    unit            VARCHAR,
    value_original  VARCHAR,
    unit_original   VARCHAR,
    marker          VARCHAR,
    source_row      BIGINT
);
CREATE TABLE enterprises_data (
    source_id       INTEGER NOT NULL,
    enterprise_id   VARCHAR NOT NULL,
    name            VARCHAR,
    region_code     VARCHAR,
    industry_scheme VARCHAR,
    industry_code   VARCHAR,
    year            INTEGER,
    lon             DOUBLE,
    lat             DOUBLE,
    employment      DOUBLE,
    revenue         DOUBLE,
    attributes      JSON,
    source_row      BIGINT
);
CREATE TABLE rejected_rows (
    source_id  INTEGER NOT NULL,
    sheet      VARCHAR,
    source_row BIGINT,
    reasons    VARCHAR NOT NULL,
    raw        VARCHAR
);
CREATE VIEW observations AS
SELECT o.region_code,
       coalesce(r.name_zh, r.name_en, o.region_code)          AS region_name,
       o.industry_scheme,
       o.industry_code,
       coalesce(i.name_zh, i.name_en, o.industry_code)        AS industry_name,
       o.year, o.metric, o.value, o.unit, o.source_id,
       r.name_en AS region_name_en, r.level AS region_level,
       i.name_en AS industry_name_en,
       o.table_ref, o.marker, o.value_original, o.unit_original, o.source_row
FROM observations_data o
LEFT JOIN regions r ON r.code = o.region_code
LEFT JOIN industries i ON i.scheme = o.industry_scheme AND i.code = o.industry_code;
CREATE VIEW enterprises AS
SELECT e.enterprise_id, e.name, e.region_code,
       coalesce(r.name_zh, r.name_en, e.region_code) AS region_name,
       e.industry_scheme, e.industry_code,
       coalesce(i.name_zh, i.name_en, e.industry_code) AS industry_name,
       e.year, e.lon, e.lat, e.employment, e.revenue, e.attributes, e.source_id
FROM enterprises_data e
LEFT JOIN regions r ON r.code = e.region_code
LEFT JOIN industries i ON i.scheme = e.industry_scheme AND i.code = e.industry_code;
"""


def _seed_v1(con: duckdb.DuckDBPyConnection) -> None:
    regions, aliases, members = Catalog.regions_seed()
    schemes, industries, ind_aliases = Catalog.industries_seed()
    for table, frame in (("regions", regions), ("region_aliases", aliases),
                         ("region_members", members), ("industry_schemes", schemes),
                         ("industries", industries), ("industry_aliases", ind_aliases)):
        con.register("_seed", frame)
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _seed")
        con.unregister("_seed")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_V1)
    _seed_v1(con)


_V2 = """
CREATE SEQUENCE measure_run_seq START 1;
CREATE TABLE measure_runs (
    run_id      INTEGER PRIMARY KEY,
    measure     VARCHAR NOT NULL,
    parameters  VARCHAR NOT NULL,   -- JSON of the call's options
    input       VARCHAR NOT NULL,   -- what was measured (file, or the database query)
    created_at  TIMESTAMP NOT NULL,
    agglomera_version VARCHAR
);
CREATE TABLE measure_values (
    run_id        INTEGER NOT NULL,
    region_code   VARCHAR,
    region_code_b VARCHAR,          -- second region of pairwise results (similarity)
    industry_code VARCHAR,
    industry_code_b VARCHAR,        -- second industry of pairwise results
    year          INTEGER,
    statistic     VARCHAR NOT NULL,
    value         DOUBLE
);
CREATE VIEW measure_results AS
SELECT r.run_id, r.measure, r.parameters, r.created_at, v.region_code, v.region_code_b,
       v.industry_code, v.industry_code_b, v.year, v.statistic, v.value
FROM measure_values v JOIN measure_runs r USING (run_id);
"""


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_V2)


_V3 = """
CREATE TABLE cluster_definitions (
    scheme          VARCHAR NOT NULL,   -- cluster set, e.g. us-cmp-2018, jilin-plan-2017
    cluster_code    VARCHAR NOT NULL,
    cluster_name_en VARCHAR,
    cluster_name_zh VARCHAR,
    industry_scheme VARCHAR NOT NULL,   -- NAICS 2012, GB/T 4754-2017, ...
    industry_code   VARCHAR NOT NULL,
    traded          BOOLEAN,
    source          VARCHAR,
    PRIMARY KEY (scheme, cluster_code, industry_scheme, industry_code)
);
CREATE TABLE plan_targets (
    plan          VARCHAR NOT NULL,
    target_id     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,     -- count, share, level, total
    category      VARCHAR,
    tier          VARCHAR,
    metric        VARCHAR,
    target_value  DOUBLE,
    unit          VARCHAR,
    deadline_year INTEGER,
    source        VARCHAR,
    PRIMARY KEY (plan, target_id)
);
CREATE SEQUENCE cluster_rating_seq START 1;
CREATE TABLE cluster_rating_runs (
    run_id      INTEGER PRIMARY KEY,
    preset      VARCHAR NOT NULL,
    parameters  VARCHAR NOT NULL,       -- JSON of thresholds and options
    input       VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    agglomera_version VARCHAR
);
CREATE TABLE cluster_ratings (
    run_id       INTEGER NOT NULL,
    preset       VARCHAR NOT NULL,
    region_code  VARCHAR NOT NULL,
    cluster_code VARCHAR NOT NULL,
    year         INTEGER,
    level        VARCHAR NOT NULL,      -- qualifying, significant, strong, stars, ...
    flag         BOOLEAN,
    stability    DOUBLE,                -- share of perturbed/resampled draws that agree
    employment   DOUBLE,
    lq           DOUBLE
);
CREATE TABLE cluster_region_strength (
    run_id             INTEGER NOT NULL,
    region_code        VARCHAR NOT NULL,
    year               INTEGER,
    traded_employment  DOUBLE,
    strong_employment  DOUBLE,
    strength           DOUBLE
);
CREATE SEQUENCE target_check_seq START 1;
CREATE TABLE target_checks (
    check_id     INTEGER NOT NULL,
    plan         VARCHAR NOT NULL,
    target_id    VARCHAR NOT NULL,
    actual       DOUBLE,
    actual_year  INTEGER,
    progress     DOUBLE,
    projected    DOUBLE,
    status       VARCHAR,
    created_at   TIMESTAMP NOT NULL
);
CREATE TABLE api_tokens (
    name         VARCHAR PRIMARY KEY,
    token_sha256 VARCHAR NOT NULL,
    scopes       VARCHAR,
    created_at   TIMESTAMP NOT NULL
);
CREATE VIEW cluster_rating_results AS
SELECT r.run_id, r.preset, r.parameters, r.input, r.created_at, c.region_code,
       c.cluster_code, c.year, c.level, c.flag, c.stability, c.employment, c.lq
FROM cluster_ratings c JOIN cluster_rating_runs r USING (run_id);
"""


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_V3)


MIGRATIONS: list[Migration] = [
    Migration(1, "regions, industries, sources, observations, enterprises; seeds", _v1),
    Migration(2, "measure results: measure_runs, measure_values, view measure_results", _v2),
    Migration(3, "clusters and plans: cluster_definitions, plan_targets, cluster ratings, "
                 "target checks; api_tokens", _v3),
]


def _is_interrupt(exc: BaseException) -> bool:
    interrupt = getattr(duckdb, "InterruptException", None)
    if interrupt is not None and isinstance(exc, interrupt):
        return True
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


class Store:
    """An open agglomera database (a DuckDB file)."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            msg = str(exc).splitlines()[0]
            if "lock" in msg.lower():
                msg = (f"database {self.path} is in use by another process; close it "
                       f"and try again ({msg})")
            raise BackendError(f"cannot open database {self.path}: {msg}") from exc
        except duckdb.Error as exc:
            raise BackendError(
                f"cannot open database {self.path}: {str(exc).splitlines()[0]}"
            ) from exc
        if not read_only:
            self.migrate()

    # ---- schema ------------------------------------------------------------------
    def schema_version(self) -> int:
        has = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()[0]
        if not has:
            return 0
        return int(self.con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
                   or 0)

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; return those applied."""
        applied: list[int] = []
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise BackendError(
                f"database {self.path} has schema version {current}, newer than this "
                f"agglomera ({SCHEMA_VERSION}); upgrade agglomera to open it"
            )
        for mig in MIGRATIONS:
            if mig.version <= current:
                continue
            with self.transaction():
                self.con.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL, description VARCHAR)"
                )
                mig.apply(self.con)
                self.con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                                 [mig.version, _dt.datetime.now(), mig.description])
            applied.append(mig.version)
        return applied

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException as exc:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:  # pragma: no cover - already rolled back by DuckDB
                pass
            if _is_interrupt(exc):
                # DuckDB turns Ctrl-C inside a query into an error; give it back as such
                raise KeyboardInterrupt from exc
            raise
        else:
            self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reference lists ---------------------------------------------------------
    def region_matcher(self) -> RegionMatcher:
        regions = self.con.execute("SELECT * FROM regions").df()
        aliases = self.con.execute("SELECT alias, code FROM region_aliases").df()
        return RegionMatcher(regions, aliases)

    def industry_matcher(self) -> IndustryMatcher:
        industries = self.con.execute("SELECT * FROM industries").df()
        aliases = self.con.execute("SELECT scheme, code, alias FROM industry_aliases").df()
        return IndustryMatcher(industries, aliases)

    # ---- user-defined regions and classifications ---------------------------------
    def define_regions(self, frame: pd.DataFrame, *, source: str = "table") -> int:
        """Add or replace user-defined regions (development zones, planning areas, groups).

        ``frame`` columns: ``code`` and ``name_zh`` (required), ``name_en``, ``level``
        (default ``zone``), ``parent`` (a region name or code), ``members`` (region names
        or codes separated by ``;``), ``aliases`` (``;``-separated), ``lon``, ``lat``.
        Every name is matched like imported names; all problems are raised together.
        """
        from agglomera.errors import SchemaError

        frame = frame.fillna("").astype(str)
        missing = {"code", "name_zh"} - set(frame.columns)
        if missing:
            raise SchemaError(f"{source}: region definitions need columns "
                              f"{', '.join(sorted(missing))}; got {', '.join(frame.columns)}")
        matcher = self.region_matcher()
        problems: list[str] = []
        regions, aliases, members = [], [], []
        official = {r[0] for r in self.con.execute(
            "SELECT code FROM regions WHERE kind = 'official'").fetchall()}
        for i, r in enumerate(frame.to_dict("records"), start=2):
            code = r["code"].strip()
            if not code or code in official:
                problems.append(f"{source}, row {i}: code '{code}' is empty or an official "
                                "GB/T 2260 code; user regions need codes of their own "
                                "(e.g. 'Z-CC-HITECH')")
                continue
            parent = None
            if r.get("parent", "").strip():
                m = matcher.match(r["parent"])
                if m is None:
                    problems.append(f"{source}, row {i}: parent '{r['parent']}' is not a "
                                    f"known region; closest: "
                                    f"{', '.join(matcher.suggest(r['parent'])) or 'none'}")
                else:
                    parent = m.code
            for name in filter(None, (s.strip() for s in r.get("members", "").split(";"))):
                m = matcher.match(name)
                if m is None:
                    problems.append(f"{source}, row {i}: member '{name}' is not a known "
                                    f"region; closest: "
                                    f"{', '.join(matcher.suggest(name)) or 'none'}")
                else:
                    members.append((code, m.code))
            lon = float(r["lon"]) if r.get("lon") else None
            lat = float(r["lat"]) if r.get("lat") else None
            regions.append((code, r["name_zh"], r.get("name_en") or None,
                            r.get("level") or "zone", parent, "user", None, lon, lat))
            for a in [code, r["name_zh"], r.get("name_en", ""),
                      *r.get("aliases", "").split(";")]:
                if a.strip():
                    aliases.append((a.strip(), code))
        if problems:
            raise SchemaError("region definitions rejected:\n  " + "\n  ".join(problems))
        with self.transaction():
            codes = [r[0] for r in regions]
            for table, col in (("regions", "code"), ("region_aliases", "code"),
                               ("region_members", "group_code")):
                self.con.executemany(f"DELETE FROM {table} WHERE {col} = ?",
                                     [[c] for c in codes])
            self.con.executemany("INSERT INTO regions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 regions)
            if aliases:
                self.con.executemany("INSERT INTO region_aliases VALUES (?, ?)", aliases)
            if members:
                self.con.executemany("INSERT INTO region_members VALUES (?, ?)",
                                     sorted(set(members)))
        return len(regions)

    def define_classification(self, scheme: str, frame: pd.DataFrame, *,
                              name_zh: str | None = None, name_en: str | None = None,
                              source: str = "table") -> int:
        """Add (or replace) an industry classification such as NAICS, NACE or a user scheme.

        ``frame`` columns: ``code`` (required), ``name_zh``, ``name_en``, ``level``,
        ``parent`` (a code of the same scheme).
        """
        from agglomera.errors import SchemaError

        frame = frame.fillna("").astype(str)
        if "code" not in frame.columns or not ({"name_zh", "name_en"} & set(frame.columns)):
            raise SchemaError(f"{source}: a classification needs a 'code' column and "
                              f"'name_zh' or 'name_en'; got {', '.join(frame.columns)}")
        if scheme in {"GB/T 4754-2017", "ALL"}:
            raise SchemaError(f"'{scheme}' is bundled and cannot be redefined")
        codes = [c.strip() for c in frame["code"]]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup or "" in codes:
            raise SchemaError(f"{source}: codes must be unique and non-empty; "
                              f"repeated: {', '.join(dup) or '(empty code)'}")
        known = set(codes)
        bad_parents = sorted({p for p in frame.get("parent", []) if p and p not in known})
        if bad_parents:
            raise SchemaError(f"{source}: parent codes not in the classification: "
                              f"{', '.join(bad_parents)}")
        rows = [(scheme, r["code"].strip(), r.get("level") or None, r.get("parent") or None,
                 r.get("name_zh") or None, r.get("name_en") or None)
                for r in frame.to_dict("records")]
        with self.transaction():
            self.con.execute("DELETE FROM industries WHERE scheme = ?", [scheme])
            self.con.execute("DELETE FROM industry_schemes WHERE scheme = ?", [scheme])
            self.con.execute("INSERT INTO industry_schemes VALUES (?, ?, ?, ?)",
                             [scheme, name_zh, name_en or scheme, "user-defined"])
            self.con.executemany("INSERT INTO industries VALUES (?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    # ---- queries -----------------------------------------------------------------
    def find_source(self, sha256: str, sheet: str | None, options: str) -> tuple | None:
        return self.con.execute(
            "SELECT source_id, file_name, imported_at, rows_accepted, rows_rejected "
            "FROM sources WHERE sha256 = ? AND coalesce(sheet, '') = coalesce(?, '') "
            "AND options = ?",
            [sha256, sheet, options],
        ).fetchone()

    def info(self) -> dict[str, object]:
        """What is in the database: counts, sources, metrics, years, regions."""
        q = self.con.execute
        out: dict[str, object] = {
            "path": str(self.path),
            "schema_version": self.schema_version(),
            "observations": q("SELECT count(*) FROM observations_data").fetchone()[0],
            "enterprises": q("SELECT count(*) FROM enterprises_data").fetchone()[0],
            "rejected_rows": q("SELECT count(*) FROM rejected_rows").fetchone()[0],
            "regions": q("SELECT count(*) FROM regions").fetchone()[0],
            "industries": q("SELECT count(*) FROM industries").fetchone()[0],
        }
        out["sources"] = q(
            "SELECT source_id, file_name, sheet, kind, layout, rows_accepted, rows_rejected, "
            "imported_at FROM sources ORDER BY source_id"
        ).df()
        out["metrics"] = q(
            "SELECT metric, unit, count(*) AS n, min(year) AS first_year, "
            "max(year) AS last_year, count(DISTINCT region_code) AS regions "
            "FROM observations_data GROUP BY metric, unit ORDER BY metric, unit"
        ).df()
        return out

    def save_measure(self, measure: str, frame: pd.DataFrame, *, parameters: str,
                     input_desc: str, columns: dict[str, str]) -> int:
        """Store a measure's long result; ``columns`` maps result columns to the key
        columns region_code, region_code_b, industry_code, industry_code_b, year. Every
        other numeric column is stored as a statistic. Returns the run id."""
        from agglomera import __version__

        keys = ["region_code", "region_code_b", "industry_code", "industry_code_b", "year"]
        rename = {src: dst for src, dst in columns.items() if src in frame.columns}
        f = frame.rename(columns=rename)
        stats = [c for c in f.columns if c not in keys
                 and pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c])]
        for k in keys:
            if k not in f.columns:
                f[k] = None
        long = f.melt(id_vars=keys, value_vars=stats, var_name="statistic",
                      value_name="value")
        for k in keys[:-1]:
            long[k] = long[k].map(lambda v: None if v is None or v != v else str(v))
        long["year"] = pd.to_numeric(long["year"], errors="coerce").astype("Int64")
        long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
        with self.transaction():
            run_id = self.con.execute("SELECT nextval('measure_run_seq')").fetchall()[0][0]
            self.con.execute("INSERT INTO measure_runs VALUES (?, ?, ?, ?, ?, ?)",
                             [run_id, measure, parameters, input_desc, _dt.datetime.now(),
                              __version__])
            self.con.register("_mv", long[keys[:4] + ["year", "statistic", "value"]])
            self.con.execute(f"INSERT INTO measure_values SELECT {run_id}, region_code, "
                             "region_code_b, industry_code, industry_code_b, year, "
                             "statistic, value FROM _mv")
            self.con.unregister("_mv")
        return int(run_id)

    def observations(self, **filters: object) -> pd.DataFrame:
        """Rows of the ``observations`` view, filtered by equality on the given columns."""
        allowed = {"region_code", "industry_scheme", "industry_code", "year", "metric",
                   "source_id", "table_ref", "region_level"}
        clauses, params = [], []
        for col, val in filters.items():
            if col not in allowed:
                raise ValueError(f"cannot filter observations on {col!r}; "
                                 f"allowed: {', '.join(sorted(allowed))}")
            if isinstance(val, (list, tuple, set)):
                clauses.append(f"{col} IN ({', '.join('?' * len(val))})")
                params.extend(val)
            else:
                clauses.append(f"{col} = ?")
                params.append(val)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.con.execute(f"SELECT * FROM observations{where}", params).df()


def open_store(path: str | Path, *, read_only: bool = False) -> Store:
    """Open (and create or migrate) the database at ``path``."""
    return Store(path, read_only=read_only)
