"""``agglomera serve token ...`` through Typer's CliRunner on a real database file."""

from __future__ import annotations

import hashlib

from typer.testing import CliRunner

from agglomera.cli.main import app
from agglomera.store import open_store

runner = CliRunner()


def test_token_create_prints_once_and_stores_only_the_hash(db_copy):
    r = runner.invoke(app, ["serve", "token", "create", "analyst", "--db", str(db_copy)])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("agg_")
    with open_store(db_copy, read_only=True) as store:
        rows = store.con.execute("SELECT name, token_sha256, scopes FROM api_tokens"
                                 ).fetchall()
    assert rows == [("analyst", hashlib.sha256(token.encode()).hexdigest(), "write")]
    listed = runner.invoke(app, ["serve", "token", "list", "--db", str(db_copy)])
    assert "analyst" in listed.stdout and token not in listed.stdout
    again = runner.invoke(app, ["serve", "token", "create", "analyst", "--db",
                                str(db_copy)])
    assert again.exit_code == 2 and "exists already" in again.output
    gone = runner.invoke(app, ["serve", "token", "revoke", "analyst", "--db",
                               str(db_copy)])
    assert gone.exit_code == 0
    with open_store(db_copy, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == 0
    missing = runner.invoke(app, ["serve", "token", "revoke", "analyst", "--db",
                                  str(db_copy)])
    assert missing.exit_code == 2 and "no token named" in missing.output


def test_serve_on_a_missing_database_is_a_clean_error(tmp_path):
    r = runner.invoke(app, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2
    assert "does not exist" in r.output and "Traceback" not in r.output
