"""``agglomera measure NAME``: run any registered measure on a file or a database.

The output is long: the identifying columns (region, industry, year, ...) plus one column
per statistic, named as in the Python result.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd

from agglomera.errors import SchemaError

PLANT_PARAMS = ("plants",)
REGION_LEVELS = ("province", "prefecture", "county", "zone")
OUT_FORMATS = (".csv", ".parquet", ".xlsx", ".dta")


def parse_param(text: str) -> tuple[str, object]:
    """``key=value`` with value read as JSON when it parses (true, 1.5, ["a","b"])."""
    if "=" not in text:
        raise SchemaError(f"--param must look like key=value; got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip().replace("-", "_")
    raw = raw.strip()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        low = raw.lower()
        value = {"true": True, "false": False, "none": None}.get(low, raw)
    return key, value


def measure_function(name: str):
    from agglomera.measures import REGISTRY

    if name not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, list(REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SchemaError(f"unknown measure {name!r}{hint} (agglomera measure list shows all)")
    return REGISTRY[name].func


def takes_plants(func) -> bool:
    params = list(inspect.signature(func).parameters)
    return bool(params) and params[0] in PLANT_PARAMS


def read_input(path: Path) -> pd.DataFrame:
    from agglomera.ingest.readers import detect_encoding, sniff_delimiter, sniff_kind

    if not path.exists():
        raise SchemaError(f"{path}: no such file")
    kind = sniff_kind(path)
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind in ("xlsx", "xls"):
        return pd.read_excel(path)
    enc = detect_encoding(path, kind)
    with open(path, encoding=enc, errors="replace") as fh:
        sample = fh.read(65536)
    return pd.read_csv(path, encoding=enc, sep=sniff_delimiter(sample, kind),
                       compression="gzip" if kind.endswith(".gz") else None)


def read_db(db: Path, *, plants: bool, metric: str | None, table_ref: str | None,
            industry_scheme: str | None, region_level: list[str] | None,
            year: int | None) -> tuple[pd.DataFrame, str]:
    from agglomera.store import open_store

    if not db.exists():
        raise SchemaError(f"no database at {db}")
    with open_store(db, read_only=True) as store:
        if plants:
            sql = ("SELECT enterprise_id, region_code, industry_code, year, employment, "
                   "revenue, lon, lat FROM enterprises WHERE employment IS NOT NULL")
            params: list[object] = []
            if year is not None:
                sql += " AND year = ?"
                params.append(year)
            return store.con.execute(sql, params).df(), "enterprises"
        if not metric:
            known = [r[0] for r in store.con.execute(
                "SELECT DISTINCT metric FROM observations_data ORDER BY 1").fetchall()]
            raise SchemaError("--metric is needed with --db; the database has "
                              + (", ".join(known[:20]) or "no observations"))
        levels = region_level or list(REGION_LEVELS)
        sql = ("SELECT region_code, industry_code, year, value FROM observations "
               "WHERE metric = ? AND industry_code <> '_T' AND region_level IN "
               f"({', '.join('?' * len(levels))})")
        params = [metric, *levels]
        for col, val in (("table_ref", table_ref), ("industry_scheme", industry_scheme),
                         ("year", year)):
            if val is not None:
                sql += f" AND {col} = ?"
                params.append(val)
        frame = store.con.execute(sql, params).df()
    if frame.empty:
        raise SchemaError(f"no observations of metric {metric!r} match the filters")
    desc = f"observations metric={metric}" + (f" table_ref={table_ref}" if table_ref else "")
    return frame, desc


def to_long(result: object, name: str) -> pd.DataFrame:
    """Whatever a measure returned, as a long frame."""
    if hasattr(result, "to_frame") and not isinstance(result, (pd.Series, pd.DataFrame)):
        return result.to_frame()
    if isinstance(result, pd.Series):
        return result.rename(result.name or name).reset_index()
    if isinstance(result, pd.DataFrame):
        if result.index.equals(result.columns):  # a square pairwise matrix
            a = result.index.name or "a"
            stacked = result.rename_axis(index=f"{a}_a", columns=f"{a}_b").stack(
                future_stack=True).rename(name).reset_index()
            return stacked
        return result.reset_index(drop=isinstance(result.index, pd.RangeIndex))
    if isinstance(result, dict):
        return pd.DataFrame([result])
    return pd.DataFrame({name: [float(result)]})


def write_output(frame: pd.DataFrame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in OUT_FORMATS:
        raise SchemaError(f"--out must end in {', '.join(OUT_FORMATS)}; got {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(out, index=False)
    else:
        stata = frame.copy()
        stata.columns = [_stata_name(c) for c in stata.columns]
        for c in stata.columns:
            if stata[c].dtype == object or str(stata[c].dtype).startswith("str"):
                stata[c] = stata[c].astype(str)
        stata.to_stata(out, write_index=False, version=118)


def _stata_name(col: object) -> str:
    import re

    s = re.sub(r"[^A-Za-z0-9_]", "_", str(col))[:32]
    return s if s and not s[0].isdigit() else f"v_{s}"[:32]


def run_measure(name: str, frame: pd.DataFrame, *, region: str, industry: str, value: str,
                year: str | None, params: dict[str, object],
                explicit: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Call measure ``name`` on a long frame; ``explicit`` names the columns the user gave
    (a default column that the input lacks is simply not passed)."""
    func = measure_function(name)
    sig = inspect.signature(func).parameters
    # a JSON object on the command line is a mapping by label (area, population, groups)
    kwargs = {k: pd.Series(v) if isinstance(v, dict) else v for k, v in params.items()}
    for key, col in (("region", region), ("industry", industry), ("value", value),
                     ("year", year)):
        if key in sig and col is not None and key not in kwargs:
            if col not in frame.columns and key not in explicit:
                continue
            if col not in frame.columns:
                raise SchemaError(f"column {col!r} (--{key}) not found; the input has "
                                  f"{', '.join(map(str, frame.columns))}")
            kwargs[key] = col
    unknown = [k for k in kwargs if k not in sig]
    if unknown:
        raise SchemaError(f"{name} has no option {', '.join(map(repr, unknown))}; it takes "
                          f"{', '.join(p for p in list(sig)[1:])}")
    try:
        result = func(frame, **kwargs)
    except (TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, SchemaError):
            raise
        raise SchemaError(f"{name}: {exc}") from None
    return to_long(result, name)


# ---------------------------------------------------------------------------------
# --engine duckdb|spark: enterprise data read where they are (agglomera.backends)
# ---------------------------------------------------------------------------------
STATS_MEASURES = {
    "ellison_glaeser": "ellison_glaeser_from_stats",
    "maurel_sedillot": "maurel_sedillot_from_stats",
    "coagglomeration": "coagglomeration_from_stats",
    "litzenberger_sternberg": "litzenberger_sternberg_from_stats",
    "colocation": "colocation_from_stats",
}
ENV_MASTER = "AGGLOMERA_SPARK_MASTER"
ENV_CONF = "AGGLOMERA_SPARK_CONF"
ENV_CONF_PREFIX = "AGGLOMERA_SPARK_CONF__"


def read_spark_conf(path: Path | None, environ: dict[str, str] | None = None,
                    ) -> dict[str, str]:
    """Spark settings from a file of ``key=value`` lines (``#`` comments), after the
    file named by ``$AGGLOMERA_SPARK_CONF`` and the variables
    ``AGGLOMERA_SPARK_CONF__spark_executor_memory=8g`` (``_`` -> ``.``)."""
    import os

    env = dict(os.environ if environ is None else environ)
    conf: dict[str, str] = {}
    for key, val in sorted(env.items()):
        if key.startswith(ENV_CONF_PREFIX) and len(key) > len(ENV_CONF_PREFIX):
            conf[key[len(ENV_CONF_PREFIX):].replace("_", ".")] = val
    files = [Path(env[ENV_CONF])] if env.get(ENV_CONF) else []
    if path is not None:
        files.append(path)
    for file in files:
        if not file.exists():
            raise SchemaError(f"Spark config file {file} does not exist")
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            if "=" not in text:
                raise SchemaError(f"{file}, line {n}: expected key=value; got {line!r}")
            key, val = (s.strip() for s in text.split("=", 1))
            if not key.startswith("spark."):
                raise SchemaError(f"{file}, line {n}: Spark settings start with "
                                  f"'spark.'; got {key!r}")
            conf[key] = val
    return conf


def make_backend(engine: str, *, spark_master: str | None, spark_conf: Path | None):
    """The backend for --engine (Spark settings from options, files and environment)."""
    import os

    from agglomera.backends import ENGINES, get_backend

    if engine not in ENGINES:
        raise SchemaError(f"--engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if engine == "spark":
        return get_backend("spark", spark_master=spark_master or os.environ.get(ENV_MASTER),
                           spark_conf=read_spark_conf(spark_conf))
    if spark_master or spark_conf:
        raise SchemaError("--spark-master and --spark-conf need --engine spark")
    return get_backend("duckdb")


def run_on_backend(name: str, source: str, *, backend, region: str, industry: str,
                   value: str, year: str | None, params: dict[str, object],
                   sample_size: int, sample_id: str, status=None) -> pd.DataFrame:
    """Run measure ``name`` on ``source`` through ``backend``: one SQL pass for the
    sufficient statistics (or a per-industry sample for distance-based co-location),
    then the measure in-process. Returns the long result."""
    from agglomera import measures

    func = measure_function(name)
    kwargs = {k: pd.Series(v) if isinstance(v, dict) else v for k, v in params.items()}
    say = status or (lambda text: None)
    keys = [c for c in (year, region, industry) if c]
    if name == "colocation" and any(k in kwargs for k in ("lon", "lat", "x", "y")):
        coords = [kwargs[k] for k in ("lon", "lat", "x", "y") if k in kwargs]
        say(f"sampling {sample_size:,} firms per industry 抽样 on {backend.name}")
        smp = backend.sample(source, id=sample_id, by=[industry], k=sample_size,
                             seed=int(kwargs.get("seed") or 0), columns=coords)
        kwargs.setdefault("region", None)
        say("computing 计算 colocation")
        return to_long(_call(func, name, smp, industry=industry, **kwargs), name)
    if name in STATS_MEASURES:
        metrics = [] if name == "colocation" else [value]
        say(f"aggregating 汇总 {', '.join(keys)} on {backend.name}")
        stats = backend.aggregate(source, by=keys, metrics=metrics)
        entry = getattr(measures, STATS_MEASURES[name])
        opts = {"region": region, "industry": industry, **kwargs}
        if name != "colocation":
            opts.update(value=value, year=year)
        elif year:
            raise SchemaError("colocation has no year=; filter the source to one year")
        say(f"computing 计算 {name}")
        return to_long(_call(entry, name, stats, **opts), name)
    if takes_plants(func):
        raise SchemaError(f"{name} needs plant records and has no sufficient-statistics "
                          f"entry point; measures with --source: {', '.join(STATS_MEASURES)}"
                          " and the region x industry measures")
    say(f"aggregating 汇总 {', '.join(keys)} on {backend.name}")
    stats = backend.aggregate(source, by=keys, metrics=[value], fourth=False)
    frame = stats.long(value)
    say(f"computing 计算 {name}")
    return run_measure(name, frame, region=region, industry=industry, value=value,
                       year=year, params=params)


def _call(func, name: str, data: object, **kwargs: object):
    try:
        return func(data, **kwargs)
    except TypeError as exc:  # an option the entry point does not take
        raise SchemaError(f"{name}: {exc}") from None


def _extend_command(app, command: str, extra: list[inspect.Parameter], handler, friendly,
                    optional: tuple[str, ...] = ()) -> None:
    """Add options to an already registered command without touching its module: the
    new callback takes the old parameters plus ``extra`` and calls
    ``handler(original, kwargs)``. Parameters in ``optional`` get the default None."""
    info = next((c for c in app.registered_commands
                 if (c.name or getattr(c.callback, "__name__", "")) == command), None)
    if info is None or info.callback is None:
        return
    original = info.callback
    sig = inspect.signature(original, eval_str=True)
    kw = inspect.Parameter.KEYWORD_ONLY  # called with keywords: order of defaults free
    params = [p.replace(kind=kw, default=None) if p.name in optional
              else p.replace(kind=kw) for p in sig.parameters.values()]
    params += extra

    def callback(**kwargs: object) -> None:
        return handler(original, kwargs)

    callback.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    callback.__annotations__ = {p.name: p.annotation for p in params}
    callback.__doc__ = original.__doc__
    callback.__name__ = getattr(original, "__name__", command)
    info.callback = friendly(callback)


def _engine_params(*, sample: bool) -> list[inspect.Parameter]:
    from typing import Annotated

    import typer

    def opt(name: str, annotation: object, default: object) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                 annotation=annotation, default=default)

    out = [
        opt("engine", Annotated[str, typer.Option(
            "--engine", help="Where enterprise records are read: duckdb (default) or "
            "spark (extra agglomera\\[spark]); see docs/scaling.md.")], "duckdb"),
        opt("source", Annotated[str | None, typer.Option(
            "--source", help="Enterprise records where they are: parquet:PATH, "
            "hive:db.table (Spark) or duckdb:DB[::table] (default view enterprises).")],
            None),
        opt("spark_master", Annotated[str | None, typer.Option(
            "--spark-master", help=f"Spark master (yarn, local[4], k8s://...); also "
            f"${ENV_MASTER}.")], None),
        opt("spark_conf", Annotated[Path | None, typer.Option(
            "--spark-conf", help=f"File of spark.key=value lines; also ${ENV_CONF} and "
            f"{ENV_CONF_PREFIX}spark_executor_memory=8g.")], None),
        opt("sample_id", Annotated[str, typer.Option(
            "--id", help="Enterprise id column for samples (integers or text).")],
            "enterprise_id"),
    ]
    if sample:
        out.append(opt("sample_size", Annotated[int, typer.Option(
            "--sample-size", help="Firms per industry in the hash-based sample used by "
            "distance-based measures (identical on every engine).")], 2000))
    return out


def _status():
    """Console on stderr for the spinner (Spark jobs give no progress to follow)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _measure_handler(original, kwargs: dict) -> None:
    engine = kwargs.pop("engine")
    source = kwargs.pop("source")
    master, conf_file = kwargs.pop("spark_master"), kwargs.pop("spark_conf")
    sample_id, sample_size = kwargs.pop("sample_id"), kwargs.pop("sample_size")
    name = kwargs["name"]
    if source is None and engine == "duckdb":
        if master or conf_file:
            raise SchemaError("--spark-master and --spark-conf need --engine spark")
        return original(**kwargs)
    if source is None:
        raise SchemaError("--engine spark reads enterprise records where they are: give "
                          "--source parquet:PATH or --source hive:db.table")
    if kwargs.get("input") is not None or kwargs.get("store"):
        raise SchemaError("--source replaces --input; --store is not available with "
                          "--source (write the result with --out)")
    from rich.table import Table

    from agglomera.backends import Source

    src = Source.parse(source)
    view = src.kind == "duckdb" and src.table == "enterprises"
    region = kwargs.get("region") or ("region_code" if view else "region")
    industry = kwargs.get("industry") or ("industry_code" if view else "industry")
    value = kwargs.get("value") or ("employment" if takes_plants(measure_function(name))
                                    else "value")
    params = dict(parse_param(p) for p in (kwargs.get("param") or []))
    console = _status()
    with console.status(f"{name}: starting {engine} 启动") as status:
        backend = make_backend(engine, spark_master=master, spark_conf=conf_file)
        try:
            result = run_on_backend(name, src, backend=backend, region=region,
                                    industry=industry, value=value,
                                    year=kwargs.get("year"), params=params,
                                    sample_size=sample_size, sample_id=sample_id,
                                    status=lambda text: status.update(text))
        finally:
            backend.close()
    out = kwargs.get("out")
    from rich.console import Console
    from rich.markup import escape

    if out is not None:
        write_output(result, out)
        Console(soft_wrap=True).print(f"{name}: {len(result):,} rows written to {out} "
                                      f"(engine {engine}, source {src})", markup=False,
                                      highlight=False)
        return
    t = Table(title=f"{name} ({len(result):,} rows; {engine}: {escape(str(src))})")
    for c in result.columns:
        t.add_column(str(c))
    for row in result.head(40).itertuples(index=False):
        t.add_row(*[f"{v:.4g}" if isinstance(v, float) else escape(str(v)) for v in row])
    Console(soft_wrap=True).print(t)


def _kdensity_handler(original, kwargs: dict) -> None:
    import tempfile

    engine = kwargs.pop("engine")
    source = kwargs.pop("source")
    master, conf_file = kwargs.pop("spark_master"), kwargs.pop("spark_conf")
    sample_id, sample_size = kwargs.pop("sample_id"), kwargs.pop("sample_size")
    if source is None:
        if engine != "duckdb" or master or conf_file:
            raise SchemaError("--engine spark needs --source parquet:PATH or "
                              "--source hive:db.table")
        if kwargs.get("input") is None:
            raise SchemaError("give the establishments with --input FILE or --source")
        return original(**kwargs)
    if kwargs.get("input") is not None or kwargs.get("reference") is not None:
        raise SchemaError("--source replaces --input; a --reference file is not "
                          "available with --source")
    from agglomera.backends import Source

    coords = [kwargs[k] for k in ("lon", "lat", "x", "y") if kwargs.get(k)]
    cols = coords + ([kwargs["weight"]] if kwargs.get("weight") else [])
    industry = kwargs.get("industry") or "industry"
    console = _status()
    with console.status(f"kdensity: sampling on {engine} 抽样"):
        backend = make_backend(engine, spark_master=master, spark_conf=conf_file)
        try:
            smp = backend.sample(Source.parse(source), id=sample_id, by=[industry],
                                 k=sample_size, seed=int(kwargs.get("seed") or 0),
                                 columns=cols)
        finally:
            backend.close()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.parquet"
        smp.drop(columns=["sample_hash", "sample_rank"]).to_parquet(path, index=False)
        kwargs["input"] = path
        return original(**kwargs)


def add_engine_options(app, friendly) -> None:
    """--engine/--source/--spark-* on ``agglomera measure`` (called while the CLI is
    assembled; cli/main.py is not edited)."""
    _extend_command(app, "measure", _engine_params(sample=True), _measure_handler,
                    friendly)


def add_kdensity_engine_options(app, friendly) -> None:
    """--engine/--source/--sample-size on ``agglomera kdensity``: the establishments
    are a hash-based sample per industry drawn where the data are."""
    _extend_command(app, "kdensity", _engine_params(sample=True), _kdensity_handler,
                    friendly, optional=("input",))


def _screen_handler(original, kwargs: dict) -> None:
    """``agglomera screen --source ...``: the firm-year rows are read where they are
    (Parquet, Hive through Spark, a DuckDB file) and screened here. Screening judges
    every firm, so unlike the measures there are no small statistics to bring back: the
    rows themselves come back, only the columns the screening fields use."""
    import tempfile

    engine = kwargs.pop("engine")
    source = kwargs.pop("source")
    master, conf_file = kwargs.pop("spark_master"), kwargs.pop("spark_conf")
    if source is None:
        if engine != "duckdb" or master or conf_file:
            raise SchemaError("--engine spark needs --source parquet:PATH or "
                              "--source hive:db.table")
        return original(**kwargs)
    if kwargs.get("input") is not None or kwargs.get("db") is not None:
        raise SchemaError("--source replaces --input and --db; give only one of them")
    import pandas as pd

    from agglomera.backends import Source
    from agglomera.screening.fields import canonical

    src = Source.parse(source)
    console = _status()
    with console.status(f"screen: reading firm-years on {engine} 读取"):
        backend = make_backend(engine, spark_master=master, spark_conf=conf_file)
        try:
            rel = backend.relation(src)
            kinds = backend.column_kinds(rel)
            wanted = [c for c in kinds if canonical(c) is not None]
            if not wanted:
                raise SchemaError(f"{src}: none of its columns ({', '.join(kinds)}) is a "
                                  "screening field; see docs/enterprise-fields.md")
            cols = ", ".join(backend.dialect.ident(c) for c in wanted)
            raw = backend.query(f"SELECT {cols} FROM {rel}", table=str(src))
        finally:
            backend.close()
    frame = pd.DataFrame(raw)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "firm_years.parquet"
        frame.to_parquet(path, index=False)
        kwargs["input"] = path
        return original(**kwargs)


def add_screen_engine_options(app, friendly) -> None:
    """--engine/--source/--spark-* on ``agglomera screen``."""
    params = [p for p in _engine_params(sample=False) if p.name != "sample_id"]
    _extend_command(app, "screen", params, _screen_handler, friendly)
