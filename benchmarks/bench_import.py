"""Import throughput: agglomera.import_files vs. DuckDB's own read_csv.

Run from the repository root::

    .venv/bin/python benchmarks/bench_import.py [--rows-long N] [--rows-enterprises N]

It generates (deterministically, seeded numpy; written by DuckDB's COPY) into
``benchmarks/_work/`` (gitignored):

* ``long_<N>.csv``: a long-layout statistical table, columns
  ``region,region_code,industry_code,year,metric,value,unit``. Regions are the 31
  mainland provinces named in Chinese or English (mixed row by row) with synthetic
  6-digit prefecture/county codes under them (GB/T 2260 layout, accepted by the region
  matcher when the 2-digit province prefix is known); industries are the 97 GB/T
  4754-2017 divisions; years 2000-2023; metric ``employment`` in ``万人``; ~1% of the
  values are the missing markers ``—`` and ``…``. The key region x industry x year x
  metric never repeats.
* ``enterprises_<N>.csv``: unique 18-character credit-code-like ids, Chinese-style
  company names, 6-digit region codes, 4-digit GB/T 4754-2017 class codes, years
  2015-2023, coordinates inside China, employment and revenue (~0.5% missing markers).

Then, for each file, it times ``--repeat`` runs (default 3) of

* (a) the baseline: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` into a fresh
  on-disk DuckDB file (connect to close, so the checkpoint is included);
* (b) ``agglomera.import_files(fresh_db, [file])`` (creating the store included).

Every run is a fresh Python process (no warm caches inside the process; the CSV itself is
in the OS page cache after generation). It prints a markdown table and replaces the
"Import throughput" section of BENCHMARKS.md. ``--profile`` adds one instrumented
import per file that times every SQL statement and the Python phases of the importer
(without changing agglomera: the store's connection is wrapped in a timing proxy).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
BENCH_MD = ROOT / "BENCHMARKS.md"
GENERATOR_VERSION = 1
SEED = 20240601

SECTION_START = "<!-- bench_import:start -->"
SECTION_END = "<!-- bench_import:end -->"

# code, Chinese name, English name, approx. centre (lon, lat), relative weight of firms
PROVINCES = [
    ("11", "北京市", "Beijing", 116.4, 40.0, 4), ("12", "天津市", "Tianjin", 117.3, 39.2, 2),
    ("13", "河北省", "Hebei", 115.0, 38.5, 4), ("14", "山西省", "Shanxi", 112.4, 37.6, 2),
    ("15", "内蒙古自治区", "Inner Mongolia", 111.7, 41.0, 1),
    ("21", "辽宁省", "Liaoning", 123.0, 41.5, 3), ("22", "吉林省", "Jilin", 125.8, 43.7, 1),
    ("23", "黑龙江省", "Heilongjiang", 127.5, 46.5, 1),
    ("31", "上海市", "Shanghai", 121.4, 31.2, 5), ("32", "江苏省", "Jiangsu", 119.5, 32.8, 10),
    ("33", "浙江省", "Zhejiang", 120.2, 29.5, 9), ("34", "安徽省", "Anhui", 117.2, 31.8, 4),
    ("35", "福建省", "Fujian", 118.2, 26.0, 5), ("36", "江西省", "Jiangxi", 115.8, 27.6, 3),
    ("37", "山东省", "Shandong", 118.0, 36.3, 7), ("41", "河南省", "Henan", 113.6, 34.0, 5),
    ("42", "湖北省", "Hubei", 112.3, 30.9, 4), ("43", "湖南省", "Hunan", 111.7, 27.6, 4),
    ("44", "广东省", "Guangdong", 113.3, 23.1, 12),
    ("45", "广西壮族自治区", "Guangxi", 108.8, 23.6, 2),
    ("46", "海南省", "Hainan", 109.8, 19.2, 1), ("50", "重庆市", "Chongqing", 107.0, 29.8, 3),
    ("51", "四川省", "Sichuan", 104.0, 30.6, 4), ("52", "贵州省", "Guizhou", 106.7, 26.6, 2),
    ("53", "云南省", "Yunnan", 101.5, 24.9, 2), ("54", "西藏自治区", "Tibet", 91.1, 29.6, 1),
    ("61", "陕西省", "Shaanxi", 108.9, 34.3, 3), ("62", "甘肃省", "Gansu", 103.8, 36.1, 1),
    ("63", "青海省", "Qinghai", 101.8, 36.6, 1),
    ("64", "宁夏回族自治区", "Ningxia", 106.3, 38.5, 1),
    ("65", "新疆维吾尔自治区", "Xinjiang", 87.6, 43.8, 1),
]
SHORT_ZH = {p[0]: p[1].removesuffix("省").removesuffix("市")[:2] for p in PROVINCES}
SHORT_ZH.update({"15": "内蒙", "23": "黑龙", "45": "广西", "54": "西藏", "64": "宁夏",
                 "65": "新疆"})
YEARS_LONG = list(range(2000, 2024))
YEARS_ENT = list(range(2015, 2024))
TRADE_WORDS = ["华", "鑫", "恒", "宏", "盛", "泰", "兴", "达", "源", "通", "瑞", "丰", "安",
               "诚", "信", "德", "海", "天", "金", "龙", "中", "新", "凯", "博", "润", "嘉",
               "聚", "远", "腾", "飞", "明", "光", "昌", "隆", "永", "富", "力", "创", "星",
               "宇"]
BUSINESS_WORDS = ["科技", "机械", "化工", "纺织", "电子", "食品", "建材", "物流", "贸易",
                  "制药", "汽车零部件", "新材料", "能源", "钢铁", "家具", "服装", "塑胶",
                  "精密制造", "环保", "信息技术", "光电", "农业", "建设", "实业"]
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司", "集团有限公司"]
CHECK_CHARS = list("0123456789ABCDEFGHJKLMNPQRTUWXY")


# ----------------------------------------------------------------------------- data
def divisions() -> list[str]:
    """The 97 GB/T 4754-2017 division codes ("01".."97") from agglomera's bundled list."""
    import csv
    from importlib import resources

    text = resources.files("agglomera.data.reference").joinpath(
        "gbt4754_2017.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(ln for ln in text.splitlines() if not ln.startswith("#"))
    return [r["code"] for r in rows if r["level"] == "division"]


def region_codes(n: int) -> list[tuple[int, str]]:
    """n distinct 6-digit codes spread over the 31 provinces: (province index, code).

    Codes are PP FF CC (province, prefecture 01-99, county 00-99; CC=00 is the
    prefecture itself), handed out round-robin over the provinces.
    """
    per = -(-n // len(PROVINCES))
    per_pref = 10 if per <= 990 else 100
    if per > 99 * per_pref:
        raise SystemExit(f"cannot make {n} distinct region codes; use fewer rows")
    out = []
    for k in range(per):
        pref, cty = divmod(k, per_pref)
        for pi, p in enumerate(PROVINCES):
            out.append((pi, f"{p[0]}{pref + 1:02d}{cty:02d}"))
    return out[:n]


def _dict_array(indices, values):
    import numpy as np
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)),
                                          pa.array(values, pa.string()))


def _copy_csv(table, path: Path, select: str) -> None:
    import duckdb

    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.register("gen", table)
    con.execute(f"COPY ({select}) TO '{tmp}' (HEADER, DELIMITER ',')")
    con.close()
    tmp.replace(path)


def generate_long(path: Path, n: int, seed: int = SEED) -> dict:
    """Long-layout observations CSV with n rows and unique keys."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    divs = divisions()
    per_region = len(divs) * len(YEARS_LONG)
    codes = region_codes(-(-n // per_region))
    idx = np.arange(n, dtype=np.int64)
    reg = idx // per_region
    ind = (idx // len(YEARS_LONG)) % len(divs)
    year = (2000 + idx % len(YEARS_LONG)).astype(np.int16)
    prov_of_code = np.array([pi for pi, _ in codes], dtype=np.int32)
    names = [x for p in PROVINCES for x in (p[1], p[2])]  # zh, en per province
    name_idx = prov_of_code[reg] * 2 + (rng.random(n) < 0.5)
    value = np.round(rng.lognormal(mean=0.5, sigma=1.4, size=n), 2)
    u = rng.random(n)
    marker = np.where(u < 0.006, 1, np.where(u < 0.01, 2, 0)).astype(np.int8)
    table = pa.table({
        "region": _dict_array(name_idx, names),
        "region_code": _dict_array(reg, [c for _, c in codes]),
        "industry_code": _dict_array(ind, divs),
        "year": year,
        "v": value,
        "m": marker,
    })
    _copy_csv(table, path, """
        SELECT region::VARCHAR AS region, region_code::VARCHAR AS region_code,
               industry_code::VARCHAR AS industry_code, year, 'employment' AS metric,
               CASE m WHEN 1 THEN '—' WHEN 2 THEN '…'
                      ELSE CAST(CAST(v AS DECIMAL(14, 2)) AS VARCHAR) END AS value,
               '万人' AS unit
        FROM gen""")
    return {"rows": n, "regions": len(codes), "industries": len(divs),
            "years": len(YEARS_LONG), "missing": int((marker > 0).sum())}


def generate_enterprises(path: Path, n: int, seed: int = SEED + 1) -> dict:
    """Enterprise list CSV with n rows and unique enterprise ids."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    divs = divisions()
    codes = region_codes(31 * 150)
    prov_of_code = np.array([pi for pi, _ in codes], dtype=np.int32)
    w = np.array([PROVINCES[pi][5] for pi in prov_of_code], dtype=float)
    reg = rng.choice(len(codes), size=n, p=w / w.sum())
    prov = prov_of_code[reg]
    # 4-digit classes: division + 2 digits (10-99); manufacturing divisions weighted up
    dw = np.array([4.0 if "13" <= d <= "43" else 1.0 for d in divs])
    div = rng.choice(len(divs), size=n, p=dw / dw.sum())
    cls = rng.integers(10, 100, size=n)
    class_codes = [f"{d}{c}" for d in divs for c in range(10, 100)]
    ind = div * 90 + (cls - 10)
    serial = rng.permutation(n).astype(np.int64) + rng.integers(0, 10**8)
    lon0 = np.array([p[3] for p in PROVINCES])[prov]
    lat0 = np.array([p[4] for p in PROVINCES])[prov]
    lon = np.clip(np.round(lon0 + rng.normal(0, 0.8, n), 6), 73.6, 134.7)
    lat = np.clip(np.round(lat0 + rng.normal(0, 0.6, n), 6), 18.2, 53.5)
    emp = np.floor(rng.lognormal(3.5, 1.3, n)).astype(np.int64) + 1
    rev = np.round(emp * rng.lognormal(3.0, 0.8, n), 2)
    u = rng.random(n)
    table = pa.table({
        "serial": serial,
        "chk": _dict_array(rng.integers(0, len(CHECK_CHARS), n), CHECK_CHARS),
        "place": _dict_array(prov, [SHORT_ZH[p[0]] for p in PROVINCES]),
        "w1": _dict_array(rng.integers(0, len(TRADE_WORDS), n), TRADE_WORDS),
        "w2": _dict_array(rng.integers(0, len(TRADE_WORDS), n), TRADE_WORDS),
        "biz": _dict_array(rng.integers(0, len(BUSINESS_WORDS), n), BUSINESS_WORDS),
        "suf": _dict_array(rng.integers(0, len(SUFFIXES), n), SUFFIXES),
        "region_code": _dict_array(reg, [c for _, c in codes]),
        "industry_code": _dict_array(ind, class_codes),
        "year": rng.integers(YEARS_ENT[0], YEARS_ENT[-1] + 1, n).astype(np.int16),
        "lon": lon, "lat": lat, "emp": emp, "rev": rev,
        "m": np.where(u < 0.0025, 1, np.where(u < 0.005, 2, 0)).astype(np.int8),
    })
    _copy_csv(table, path, """
        SELECT '91' || region_code::VARCHAR || lpad(CAST(serial AS VARCHAR), 9, '0')
                 || chk::VARCHAR AS enterprise_id,
               place::VARCHAR || w1::VARCHAR || w2::VARCHAR || biz::VARCHAR
                 || suf::VARCHAR AS name,
               region_code::VARCHAR AS region_code, industry_code::VARCHAR AS industry_code,
               year, CAST(CAST(lon AS DECIMAL(10, 6)) AS VARCHAR) AS lon,
               CAST(CAST(lat AS DECIMAL(9, 6)) AS VARCHAR) AS lat,
               CASE m WHEN 1 THEN '—' ELSE CAST(emp AS VARCHAR) END AS employment,
               CASE m WHEN 2 THEN '…' ELSE CAST(CAST(rev AS DECIMAL(16, 2)) AS VARCHAR) END
                 AS revenue
        FROM gen""")
    return {"rows": n, "regions": len(codes), "industry_classes": len(class_codes),
            "missing": int((table["m"].to_numpy() > 0).sum())}


def ensure_file(kind: str, n: int) -> tuple[Path, dict, float | None]:
    """The generated file (made when missing or stale), its facts and generation time."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{kind}_{n}.csv"
    meta_path = path.with_suffix(".json")
    want = {"generator": GENERATOR_VERSION, "kind": kind, "rows": n}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()) and \
                meta.get("bytes") == path.stat().st_size:
            return path, meta, None
    t0 = time.perf_counter()
    gen = generate_long if kind == "long" else generate_enterprises
    facts = gen(path, n)
    took = time.perf_counter() - t0
    meta = {**want, **facts, "bytes": path.stat().st_size}
    meta_path.write_text(json.dumps(meta))
    return path, meta, took


# ----------------------------------------------------------------------------- runs
def _fresh_db(tag: str) -> Path:
    d = WORK / "db"
    d.mkdir(parents=True, exist_ok=True)
    db = d / f"{tag}.duckdb"
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    return db


def _cleanup_db(db: Path) -> None:
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)


def run_baseline(csv: Path, db: Path) -> dict:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
    n = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return {"seconds": time.perf_counter() - t0, "rows": n}


def run_import(csv: Path, db: Path) -> dict:
    import agglomera

    t0 = time.perf_counter()
    res = agglomera.import_files(db, [csv])
    took = time.perf_counter() - t0
    return {"seconds": took, "rows": res.rows_accepted, "rejected": res.rows_rejected}


# statements whose DuckDB operator timings the profile shows
DEEP_PROFILE = ("CREATE TEMP TABLE _chk_", "INSERT INTO observations_data",
                "INSERT INTO enterprises_data", "CREATE TEMP TABLE _stage_")


def _operator_times(path: Path) -> list[tuple[str, str, float, int]]:
    """(operator, detail, seconds, rows) of every node of a DuckDB JSON profile."""
    if not path.exists():
        return []
    tree = json.loads(path.read_text())
    out = []

    def walk(node, depth):
        # DuckDB >= 1.4 / 2.0: type, timing, intermediate_rows; older: operator_*
        name = node.get("type") or node.get("operator_type") or node.get("operator_name", "")
        extra = node.get("extra_info") or {}
        detail = ""
        if isinstance(extra, dict):
            for key in ("Conditions", "Partitions", "Function", "Aggregates", "Groups",
                        "Table", "Projections", "Expressions", "Filters"):
                if key in extra:
                    v = extra[key]
                    detail = v if isinstance(v, str) else "; ".join(map(str, v))
                    detail = f"{key}: {detail}"
                    break
        secs = node.get("timing", node.get("operator_timing", 0.0)) or 0.0
        rows = node.get("intermediate_rows", node.get("operator_cardinality", 0)) or 0
        out.append(("  " * depth + str(name).strip(), " ".join(detail.split())[:120],
                    float(secs), int(rows)))
        for ch in node.get("children", []):
            walk(ch, depth + 1)

    roots = tree.get("operator") if isinstance(tree.get("operator"), list) else [tree]
    for root in roots:
        walk(root, 0)
    query = tree.get("query", {})
    out.append(("(query wall time)", f"cpu_time {float(query.get('cpu_time', 0.0)):.2f}s",
                float(query.get("total_time", 0.0) or 0.0), 0))
    return out


class _Fetched:
    """The rows of a statement already fetched (used by the profiler)."""

    def __init__(self, rows):
        self._rows = rows

    def fetchall(self):
        return self._rows

    def fetchone(self):
        return self._rows[0] if self._rows else None


def run_profiled_import(csv: Path, db: Path) -> dict:
    """One import with every SQL statement and the importer's Python phases timed."""
    import agglomera
    from agglomera.ingest import pipeline
    from agglomera.store import db as store_db

    events: list[tuple[str, str, float]] = []  # (kind, label, seconds)
    plans: list[tuple[str, list]] = []  # (statement, operator timings)

    class TimedCon:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args, **kw):
            flat = " ".join(str(sql).split())
            deep = flat.startswith(DEEP_PROFILE)
            if deep:
                out = Path(db).with_suffix(f".plan{len(plans)}.json")
                self._con.execute("PRAGMA enable_profiling = 'json'")
                self._con.execute(f"PRAGMA profiling_output = '{out}'")
            t = time.perf_counter()
            try:
                res = self._con.execute(sql, *args, **kw)
                if deep:  # fetch before the PRAGMA below, which would discard the result
                    return _Fetched(res.fetchall())
                return res
            finally:
                events.append(("sql", flat, time.perf_counter() - t))
                if deep:
                    self._con.execute("PRAGMA disable_profiling")
                    plans.append((flat, _operator_times(out)))
                    out.unlink(missing_ok=True)

        def executemany(self, sql, *args, **kw):
            t = time.perf_counter()
            try:
                return self._con.executemany(sql, *args, **kw)
            finally:
                events.append(("sql", "executemany " + " ".join(str(sql).split()),
                               time.perf_counter() - t))

        def __getattr__(self, name):
            return getattr(self._con, name)

    def wrap(owner, name, label):
        orig = getattr(owner, name)

        def inner(*a, **kw):
            t = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                events.append(("py", label, time.perf_counter() - t))
        setattr(owner, name, inner)

    for name in ("_region_map", "_industry_map", "_year_map", "_metric_unit_map"):
        wrap(pipeline._Importer, name, f"{name} (Python incl. its SELECT DISTINCT)")
    wrap(pipeline, "sha256_of", "sha256_of (hash the file)")
    wrap(pipeline, "detect_encoding", "detect_encoding")
    wrap(pipeline, "read_text", "read_text (sample)")

    t0 = time.perf_counter()
    store = store_db.open_store(db)
    t_open = time.perf_counter() - t0
    store.con = TimedCon(store.con)
    t1 = time.perf_counter()
    res = agglomera.import_files(store, [csv])
    t_imp = time.perf_counter() - t1
    t2 = time.perf_counter()
    store.con._con.close()
    t_close = time.perf_counter() - t2
    return {"open_store": t_open, "import": t_imp, "close": t_close,
            "total": time.perf_counter() - t0, "rows": res.rows_accepted,
            "rejected": res.rows_rejected, "events": events, "plans": plans}


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the address space made at exec;
    ru_maxrss is not used because Linux carries it over from the parent."""
    try:
        for ln in Path("/proc/self/status").read_text().splitlines():
            if ln.startswith("VmHWM:"):
                return int(ln.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(argv: list[str]) -> None:
    mode, csv, db = argv
    fn = {"baseline": run_baseline, "import": run_import,
          "profile": run_profiled_import}[mode]
    out = fn(Path(csv), Path(db))
    out["maxrss_mb"] = _peak_rss_mb()
    print("RESULT " + json.dumps(out, ensure_ascii=False))


def spawn(mode: str, csv: Path, tag: str) -> dict:
    db = _fresh_db(tag)
    try:
        proc = subprocess.run([sys.executable, __file__, "--child", mode, str(csv), str(db)],
                              capture_output=True, text=True, cwd=ROOT)
    finally:
        _cleanup_db(db)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run on {csv.name} failed:\n{proc.stderr[-4000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


# ----------------------------------------------------------------------------- report
def machine_info() -> dict:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import duckdb
    import numpy
    import pyarrow

    model = next((ln.split(":", 1)[1].strip() for ln in sh("lscpu").splitlines()
                  if ln.lower().startswith("model name")), platform.processor() or "?")
    mem = next((ln.split()[1] for ln in sh("free -g").splitlines()
                if ln.startswith("Mem:")), "?")
    return {"cpu": model, "nproc": sh("nproc") or str(os.cpu_count()), "mem_gb": mem,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}


def _fmt_s(x: float) -> str:
    return f"{x:.2f}"


def _rate(rows: int, secs: float) -> str:
    return f"{rows / secs / 1e6:.2f} M/s" if rows >= 1e6 else f"{rows / secs / 1e3:.0f} k/s"


def render(results: list[dict], info: dict, repeat: int) -> str:
    lines = [
        "| file | rows | size | method | min (s) | median (s) | rows/s (at min) "
        "| peak RSS | (b)/(a) at min | (b)/(a) at median |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        a, b = r["baseline"], r["import"]
        for label, m in (("(a) DuckDB `CREATE TABLE AS read_csv`", a),
                         ("(b) `agglomera.import_files`", b)):
            is_b = m is b
            lines.append(
                f"| {r['file']} | {r['rows']:,} | {r['bytes'] / 2**20:.0f} MiB | {label} "
                f"| {_fmt_s(m['min'])} | {_fmt_s(m['median'])} | {_rate(r['rows'], m['min'])} "
                f"| {m['rss']:.0f} MiB | "
                + (f"{b['min'] / a['min']:.2f}x | {b['median'] / a['median']:.2f}x |"
                   if is_b else " | |"))
    runs = f"{repeat} run" + ("s" if repeat != 1 else "")
    head = [
        "## Import throughput (benchmarks/bench_import.py)",
        "",
        f"Measured {info['date']} on {info['cpu']}, {info['nproc']} CPUs, "
        f"{info['mem_gb']} GB RAM ({info['os']}); Python {info['python']}, "
        f"DuckDB {info['duckdb']}, pyarrow {info['pyarrow']}, numpy {info['numpy']}.",
        "",
        f"Each timing is {runs}, each a fresh process and a fresh on-disk DuckDB file "
        "(connect to close). The CSV is in the OS page cache. (a) is "
        "`CREATE TABLE t AS SELECT * FROM read_csv('file')` with DuckDB's type "
        "detection; (b) is `agglomera.import_files(db, [file])`: hashing, staging, "
        "validation joins, insert, one transaction, store creation included. "
        "Generated data: "
        + "; ".join(r["describe"] for r in results) + ".",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_import.py {info['args']}`",
        "",
    ]
    return "\n".join(head + lines) + "\n"


def update_benchmarks_md(section: str) -> None:
    block = f"{SECTION_START}\n{section}{SECTION_END}\n"
    if BENCH_MD.exists():
        text = BENCH_MD.read_text(encoding="utf-8")
    else:
        text = ("# Benchmarks\n\nResults here are measured with the scripts in "
                "`benchmarks/`, not with timed tests.\n")
    if SECTION_START in text and SECTION_END in text:
        pre, rest = text.split(SECTION_START, 1)
        post = rest.split(SECTION_END, 1)[1].lstrip("\n")
        text = pre + block + ("\n" + post if post else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    BENCH_MD.write_text(text, encoding="utf-8")


def print_profile(prof: dict, name: str, min_op: float = 0.05) -> None:
    print(f"\n### Profile of one import of {name}: open_store {prof['open_store']:.2f}s, "
          f"import_files {prof['import']:.2f}s, close {prof['close']:.2f}s, "
          f"total {prof['total']:.2f}s, peak RSS {prof['maxrss_mb']:.0f} MiB\n")
    ev = sorted(prof["events"], key=lambda e: -e[2])
    total = prof["import"]
    print("| seconds | share | kind | statement |\n|---:|---:|---|---|")
    for kind, label, secs in ev[:20]:
        short = label if len(label) <= 160 else label[:157] + "..."
        print(f"| {secs:.2f} | {secs / total:.0%} | {kind} | `{short}` |")
    rest = sum(e[2] for e in ev[20:])
    print(f"| {rest:.2f} | {rest / total:.0%} | | ({len(ev) - 20} more) |")
    for stmt, ops in prof.get("plans", []):
        print(f"\nDuckDB operators of `{stmt[:90]}...` (operator_timing, summed over "
              "threads):\n\n| seconds | rows | operator | detail |\n|---:|---:|---|---|")
        for name, detail, secs, rows in ops:
            if secs >= min_op:
                print(f"| {secs:.2f} | {rows:,} | `{name}` | {detail} |")


# ----------------------------------------------------------------------------- main
def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows-long", type=int, default=10_000_000)
    ap.add_argument("--rows-enterprises", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["long", "enterprises"], default=None)
    ap.add_argument("--profile", action="store_true",
                    help="also run one instrumented import per file and print where "
                         "the time goes")
    ap.add_argument("--profile-only", action="store_true",
                    help="only the instrumented import (no timing runs, no BENCHMARKS.md)")
    ap.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    info = machine_info()
    info["date"] = _dt.date.today().isoformat()
    info["args"] = " ".join(sys.argv[1:]) or "(defaults)"
    print(f"machine: {info}", flush=True)
    results = []
    todo = [("long", args.rows_long), ("enterprises", args.rows_enterprises)]
    for kind, n in todo:
        if args.only and kind != args.only or n <= 0:
            continue
        path, meta, took = ensure_file(kind, n)
        size = meta["bytes"]
        print(f"{path.name}: {n:,} rows, {size / 2**20:.0f} MiB"
              + (f" (generated in {took:.1f}s)" if took is not None else " (cached)"),
              flush=True)
        if kind == "long":
            describe = (f"`{path.name}` has {meta['regions']:,} region codes x "
                        f"{meta['industries']} divisions x {meta['years']} years, "
                        f"{meta['missing']:,} missing markers")
        else:
            describe = (f"`{path.name}` has unique ids over {meta['regions']:,} region "
                        f"codes and {meta['industry_classes']:,} industry classes, "
                        f"{meta['missing']:,} missing markers")
        if args.profile_only:
            print_profile(spawn("profile", path, f"{kind}_profile"), path.name)
            continue
        runs: dict[str, list[dict]] = {"baseline": [], "import": []}
        for i in range(args.repeat):
            for mode in ("baseline", "import"):
                r = spawn(mode, path, f"{kind}_{mode}")
                if r["rows"] != n or r.get("rejected", 0):
                    raise SystemExit(f"{mode} on {path.name}: {r['rows']} rows accepted, "
                                     f"{r.get('rejected', 0)} rejected; expected {n}")
                runs[mode].append(r)
                print(f"  run {i + 1} {mode:8s} {r['seconds']:7.2f}s  "
                      f"{_rate(n, r['seconds'])}  peak RSS {r['maxrss_mb']:.0f} MiB",
                      flush=True)
        entry = {"file": f"`{path.name}`", "rows": n, "bytes": size, "describe": describe}
        for mode, rs in runs.items():
            secs = [r["seconds"] for r in rs]
            entry[mode] = {"min": min(secs), "median": statistics.median(secs),
                           "rss": max(r["maxrss_mb"] for r in rs)}
        results.append(entry)
        if args.profile:
            print_profile(spawn("profile", path, f"{kind}_profile"), path.name)
    if not results:
        return
    section = render(results, info, args.repeat)
    print("\n" + section)
    if not args.no_write:
        update_benchmarks_md(section)
        print(f"updated {BENCH_MD}")


if __name__ == "__main__":
    main()
