"""pytest-benchmark: import of a 100k-row long CSV, agglomera vs. DuckDB's read_csv.

Not part of ``make test`` (testpaths = tests). Run with::

    .venv/bin/python -m pytest benchmarks/ --benchmark-enable

The full-size comparison (10M / 1M rows, results in BENCHMARKS.md) is
``benchmarks/bench_import.py``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest

import agglomera
from bench_import import generate_enterprises, generate_long

ROWS = 100_000
ENTERPRISE_ROWS = 20_000
_counter = itertools.count()


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / f"long_{ROWS}.csv"
    generate_long(path, ROWS)
    return path


@pytest.fixture(scope="module")
def enterprises_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / f"enterprises_{ENTERPRISE_ROWS}.csv"
    generate_enterprises(path, ENTERPRISE_ROWS)
    return path


def _fresh(tmp_path: Path):
    """pedantic setup: a new database path for every round."""
    def setup():
        return (tmp_path / f"db{next(_counter)}.duckdb",), {}
    return setup


def _duckdb_read_csv(csv: Path):
    def run(db: Path) -> int:
        con = duckdb.connect(str(db))
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
        n = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        return n
    return run


def _agglomera_import(csv: Path):
    def run(db: Path) -> int:
        res = agglomera.import_files(db, [csv])
        assert res.rows_rejected == 0
        return res.rows_accepted
    return run


@pytest.mark.benchmark(group="import long 100k")
def test_long_duckdb_read_csv(benchmark, long_csv, tmp_path):
    n = benchmark.pedantic(_duckdb_read_csv(long_csv), setup=_fresh(tmp_path), rounds=5)
    assert n == ROWS


@pytest.mark.benchmark(group="import long 100k")
def test_long_agglomera_import(benchmark, long_csv, tmp_path):
    n = benchmark.pedantic(_agglomera_import(long_csv), setup=_fresh(tmp_path), rounds=5)
    assert n == ROWS


@pytest.mark.benchmark(group="import enterprises 20k")
def test_enterprises_duckdb_read_csv(benchmark, enterprises_csv, tmp_path):
    n = benchmark.pedantic(_duckdb_read_csv(enterprises_csv), setup=_fresh(tmp_path),
                           rounds=5)
    assert n == ENTERPRISE_ROWS


@pytest.mark.benchmark(group="import enterprises 20k")
def test_enterprises_agglomera_import(benchmark, enterprises_csv, tmp_path):
    n = benchmark.pedantic(_agglomera_import(enterprises_csv), setup=_fresh(tmp_path),
                           rounds=5)
    assert n == ENTERPRISE_ROWS
