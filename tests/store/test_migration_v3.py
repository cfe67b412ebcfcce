"""Schema v3 (clusters, plan targets, ratings, target checks, api tokens): a new
database has it and a version-2 database written by the previous agglomera migrates."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from agglomera import open_store
from agglomera.store import SCHEMA_VERSION
from agglomera.store import db as dbmod

V3_TABLES = {
    "cluster_definitions": ["scheme", "cluster_code", "cluster_name_en", "cluster_name_zh",
                            "industry_scheme", "industry_code", "traded", "source"],
    "plan_targets": ["plan", "target_id", "kind", "category", "tier", "metric",
                     "target_value", "unit", "deadline_year", "source"],
    "cluster_rating_runs": ["run_id", "preset", "parameters", "input", "created_at",
                            "agglomera_version"],
    "cluster_ratings": ["run_id", "preset", "region_code", "cluster_code", "year", "level",
                        "flag", "stability", "employment", "lq"],
    "cluster_region_strength": ["run_id", "region_code", "year", "traded_employment",
                                "strong_employment", "strength"],
    "target_checks": ["check_id", "plan", "target_id", "actual", "actual_year", "progress",
                      "projected", "status", "created_at"],
    "api_tokens": ["name", "token_sha256", "scopes", "created_at"],
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall()
    return [r[0] for r in rows]


def test_schema_version_is_at_least_3():
    assert SCHEMA_VERSION >= 3
    assert [m.version for m in dbmod.MIGRATIONS][:3] == [1, 2, 3]


def test_new_database_has_v3_tables(tmp_path):
    with open_store(tmp_path / "new.duckdb") as store:
        assert store.schema_version() == SCHEMA_VERSION
        for table, cols in V3_TABLES.items():
            assert _columns(store.con, table) == cols, table
        assert _columns(store.con, "cluster_rating_results")[:4] == [
            "run_id", "preset", "parameters", "input"]


def test_version_2_database_migrates_and_keeps_its_data(tmp_path):
    db = tmp_path / "old.duckdb"
    saved = dbmod.MIGRATIONS[:]
    dbmod.MIGRATIONS[:] = saved[:2]
    try:
        with open_store(db) as store:  # written as schema version 2
            assert store.schema_version() == 2
            assert "cluster_definitions" not in {
                r[0] for r in store.con.execute(
                    "SELECT table_name FROM information_schema.tables").fetchall()}
            store.con.execute(
                "INSERT INTO measure_runs VALUES (1, 'lq', '{}', 'test', now(), 'x')")
            store.con.execute(
                "INSERT INTO measure_values VALUES (1, '210000', NULL, 'C', NULL, 2015, "
                "'lq', 1.25)")
    finally:
        dbmod.MIGRATIONS[:] = saved
    with open_store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        versions = [r[0] for r in store.con.execute(
            "SELECT version FROM schema_version ORDER BY version").fetchall()]
        assert versions[:3] == [1, 2, 3]
        assert store.con.execute(
            "SELECT value FROM measure_results WHERE run_id = 1").fetchone()[0] == 1.25
        for table, cols in V3_TABLES.items():
            assert _columns(store.con, table) == cols, table
        # the new tables work: keys are enforced
        store.con.execute("INSERT INTO api_tokens VALUES ('ci', 'ab', 'read', ?)",
                          [dt.datetime(2026, 1, 1)])
        with pytest.raises(duckdb.ConstraintException):
            store.con.execute("INSERT INTO api_tokens VALUES ('ci', 'cd', NULL, now())")
        store.con.execute("INSERT INTO plan_targets VALUES ('p', 't1', 'count', NULL, "
                          "NULL, 'clusters', 160, 'count', 2020, 'x')")
        with pytest.raises(duckdb.ConstraintException):
            store.con.execute("INSERT INTO plan_targets VALUES ('p', 't1', 'count', NULL, "
                              "NULL, 'clusters', 1, 'count', 2020, 'x')")
    with open_store(db) as store:  # reopening applies nothing
        assert store.migrate() == []


def test_failed_v3_migration_leaves_version_2(tmp_path, monkeypatch):
    db = tmp_path / "old.duckdb"
    saved = dbmod.MIGRATIONS[:]
    dbmod.MIGRATIONS[:] = saved[:2]
    try:
        open_store(db).close()
    finally:
        dbmod.MIGRATIONS[:] = saved

    def broken(con):
        dbmod._v3(con)
        con.execute("SELECT * FROM no_such_table")

    v3 = dbmod.Migration(3, "broken", broken)
    monkeypatch.setattr(dbmod, "MIGRATIONS", saved[:2] + [v3])
    with pytest.raises(duckdb.Error):
        open_store(db)
    monkeypatch.setattr(dbmod, "MIGRATIONS", saved)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 2
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        assert "cluster_definitions" not in tables
    finally:
        con.close()
