"""The DuckDB store: schema version, migrations, stable views, atomic and idempotent imports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from agglomera import import_files, open_store
from agglomera.store import SCHEMA_VERSION

OBSERVATIONS_COLUMNS = ["region_code", "region_name", "industry_scheme", "industry_code",
                        "industry_name", "year", "metric", "value", "unit", "source_id"]
ENTERPRISES_COLUMNS = ["enterprise_id", "name", "region_code", "region_name",
                       "industry_scheme", "industry_code", "industry_name", "year", "lon",
                       "lat", "employment", "revenue", "attributes", "source_id"]


def test_new_database_has_schema_version_and_seeds(tmp_path):
    db = tmp_path / "new.duckdb"
    with open_store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION == 3
        regions = store.con.execute("SELECT count(*) FROM regions WHERE level = 'province'"
                                    ).fetchone()[0]
        assert regions == 34  # 31 provinces + Taiwan, Hong Kong, Macao
        gbt = store.con.execute(
            "SELECT count(*) FROM industries WHERE scheme = 'GB/T 4754-2017' "
            "AND level = 'division'").fetchone()[0]
        assert gbt == 97  # GB/T 4754-2017 has 97 divisions
    with open_store(db) as store:  # reopening applies nothing twice
        assert store.migrate() == []
        n = store.con.execute("SELECT count(*) FROM schema_version").fetchone()[0]
        assert n == 3  # one row per applied migration


def test_version_1_database_is_migrated(tmp_path):
    db = tmp_path / "old.duckdb"
    from agglomera.store import db as dbmod

    saved = dbmod.MIGRATIONS[:]
    dbmod.MIGRATIONS[:] = saved[:1]
    try:
        with open_store(db) as store:  # written as schema version 1
            assert store.schema_version() == 1
    finally:
        dbmod.MIGRATIONS[:] = saved
    with open_store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.con.execute("SELECT count(*) FROM measure_results").fetchone()[0] == 0


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "future.duckdb"
    with open_store(db) as store:
        store.con.execute("INSERT INTO schema_version VALUES (99, now(), 'future')")
    from agglomera.errors import BackendError

    with pytest.raises(BackendError, match="newer than this agglomera"):
        open_store(db)


def test_stable_views_have_the_promised_columns(tmp_path):
    db = tmp_path / "v.duckdb"
    with open_store(db) as store:
        obs = [d[0] for d in store.con.execute("SELECT * FROM observations LIMIT 0"
                                               ).description]
        ent = [d[0] for d in store.con.execute("SELECT * FROM enterprises LIMIT 0"
                                               ).description]
    assert obs[: len(OBSERVATIONS_COLUMNS)] == OBSERVATIONS_COLUMNS
    assert ent == ENTERPRISES_COLUMNS


def test_enterprise_list_lands_in_the_enterprises_view(tmp_path):
    f = tmp_path / "firms.csv"
    f.write_text(
        "统一社会信用代码,企业名称,行政区划代码,行业代码,年份,经度,纬度,从业人员,营业收入,高新技术企业\n"
        "91210100A,沈阳机床,210100,3421,2020,123.4,41.8,1200,35000,是\n"
        "91220100B,长春一汽配套,220100,3670,2020,125.3,43.9,850,—,否\n",
        encoding="utf-8")
    db = tmp_path / "e.duckdb"
    import_files(db, [f])
    with open_store(db, read_only=True) as store:
        df = store.con.execute("SELECT * FROM enterprises ORDER BY enterprise_id").df()
    assert list(df.enterprise_id) == ["91210100A", "91220100B"]
    assert list(df.region_name) == ["沈阳市", "长春市"]
    assert list(df.industry_code) == ["3421", "3670"]
    assert df.employment.tolist() == [1200, 850]
    assert df.revenue.iloc[0] == 35000 and pd.isna(df.revenue.iloc[1])
    assert '"高新技术企业":"是"' in df.attributes.iloc[0].replace(" ", "")


# --------------------------------------------------------------------------- atomicity


def _snapshot(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
            "observations_data", "enterprises_data", "sources", "rejected_rows", "regions"))
        rows = con.execute("SELECT * FROM observations_data ORDER BY ALL").fetchall()
    return counts, rows


def _big_csv(path: Path, n: int) -> None:
    """n rows with unique keys: 406 county codes x 300 years x industries."""
    rng = np.random.default_rng(1)
    codes = np.array([f"21{p:02d}{c:02d}" for p in range(1, 15) for c in range(1, 30)])
    years = np.arange(1900, 2200)
    idx = np.arange(n)
    pd.DataFrame({
        "region_code": codes[idx % len(codes)],
        "industry_code": (13 + idx // (len(codes) * len(years))).astype(str),
        "year": years[(idx // len(codes)) % len(years)],
        "metric": "employment",
        "value": rng.integers(1, 1000, n),
        "unit": "人",
    }).to_csv(path, index=False)


def _has_open(pid: int, path: Path) -> bool:
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd_dir / fd) == str(path) for fd in os.listdir(fd_dir))
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc")
def test_import_killed_part_way_leaves_database_unchanged_and_usable(tmp_path):
    db = tmp_path / "atomic.duckdb"
    small = tmp_path / "small.csv"
    small.write_text("region,year,metric,value,unit\n辽宁,2015,employment,1,万人\n",
                     encoding="utf-8")
    import_files(db, [small])
    before = _snapshot(db)
    big = tmp_path / "big.csv"
    n = 1_000_000
    _big_csv(big, n)
    code = ("import sys, agglomera.cli.main as m; sys.argv=['agglomera','import',"
            f"{str(big)!r},'--db',{str(db)!r},'-q']; m.main()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    # wait until the importer has the database open (its transaction starts at once),
    # then give it time to be in the middle of reading and validating
    deadline = time.monotonic() + 60
    while proc.poll() is None and not _has_open(proc.pid, db.resolve()):
        assert time.monotonic() < deadline, "the importer never opened the database"
        time.sleep(0.01)
    time.sleep(0.8)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(db) == before
    # and the database is still usable: the same import now succeeds
    res = import_files(db, [big])
    assert res.rows_accepted == n
    assert _snapshot(db)[0][0] == before[0][0] + n


def test_failed_import_of_several_files_changes_nothing(tmp_path):
    db = tmp_path / "multi.duckdb"
    good = tmp_path / "good.csv"
    good.write_text("region,year,metric,value\n辽宁,2015,gdp,1\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("region,year,metric,value\n辽宁,2015,gdp,abc\n", encoding="utf-8")
    from agglomera.errors import ImportValidationError

    with pytest.raises(ImportValidationError) as info:
        import_files(db, [good, bad])
    assert "not_a_number" in str(info.value)
    with open_store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM sources").fetchone()[0] == 0
        assert store.con.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc")
def test_ctrl_c_during_import_rolls_back_and_says_so(tmp_path):
    db = tmp_path / "int.duckdb"
    big = tmp_path / "big.csv"
    n = 1_000_000
    _big_csv(big, n)
    code = ("import sys, agglomera.cli.main as m; sys.argv=['agglomera','import',"
            f"{str(big)!r},'--db',{str(db)!r},'-q']; m.main()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not _has_open(proc.pid, db.resolve()):
        assert time.monotonic() < deadline, "the importer never opened the database"
        time.sleep(0.01)
    time.sleep(0.8)
    assert proc.poll() is None, "the import finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; nothing was changed" in err
    assert "Traceback" not in err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM observations_data").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 0
