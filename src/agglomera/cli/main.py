"""``agglomera`` command line.

User mistakes (bad files, unknown regions, a locked database...) end with exit code 2 and
a readable message, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agglomera.config import Settings
from agglomera.errors import AgglomeraError, ImportValidationError

app = typer.Typer(help="agglomera: industrial-cluster statistics and evaluation.",
                  no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Inspect a database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
regions_app = typer.Typer(help="User-defined regions: development zones, planning areas.",
                          no_args_is_help=True)
app.add_typer(regions_app, name="regions")
industries_app = typer.Typer(help="Industry classifications (NAICS, NACE, your own).",
                             no_args_is_help=True)
app.add_typer(industries_app, name="industries")

# soft_wrap: messages name files and rows; never break them at the terminal width (a
# path folded across lines cannot be copied, and logs of piped output would be cut)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class OnError(str, Enum):
    fail = "fail"
    quarantine = "quarantine"


class Kind(str, Enum):
    auto = "auto"
    observations = "observations"
    enterprises = "enterprises"


def friendly(func):
    """Turn user mistakes (AgglomeraError) into a message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AgglomeraError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            # every command that writes does so in one transaction, rolled back by now
            err.print("interrupted; nothing was changed by the interrupted command",
                      highlight=False)
            raise typer.Exit(130) from None

    return wrapper


def _db(db: Optional[Path]) -> Path:
    return db if db is not None else Settings().db


class _Bar:
    """A rich progress bar fed by the library's progress callback."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                 console=err, transient=True, disable=not enabled)
        self.task = None

    def __enter__(self):
        self.progress.__enter__()
        self.task = self.progress.add_task("starting", total=None)
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def __call__(self, step: str, done: int | None, total: int | None) -> None:
        self.progress.update(self.task, description=step, completed=done or 0, total=total)


@app.command("import")
@friendly
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV/TSV, .xlsx/.xls or Parquet files.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file (created if missing).")] = None,
    metric: Annotated[Optional[str], typer.Option(help="Metric of the values when the file does not name it.")] = None,
    year: Annotated[Optional[int], typer.Option(help="Year of the values when the file does not state it.")] = None,
    region: Annotated[Optional[str], typer.Option(help="Region of the values when the file does not state it.")] = None,
    unit: Annotated[Optional[str], typer.Option(help="Unit of the values when the file does not state it (e.g. 万人).")] = None,
    industry: Annotated[Optional[str], typer.Option(help="Industry of the values when the file does not state it.")] = None,
    industry_scheme: Annotated[Optional[str], typer.Option(help="Industry classification, e.g. 'GB/T 4754-2017'.")] = None,
    sheet: Annotated[Optional[str], typer.Option(help="Only this sheet of a workbook (name or 1-based number).")] = None,
    kind: Annotated[Kind, typer.Option(help="What the rows are.")] = Kind.auto,
    on_error: Annotated[OnError, typer.Option("--on-error", help="fail: change nothing on any problem; quarantine: load good rows, keep rejected rows with reasons.")] = OnError.fail,
    aliases: Annotated[Optional[Path], typer.Option(help="Extra header aliases (CSV: canonical,alias).")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write every problem found to this CSV.")] = None,
    rejects_dir: Annotated[Optional[Path], typer.Option(help="Folder for rejected-row CSVs (quarantine).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import yearbook tables, statistical tables or enterprise lists."""
    from agglomera.ingest import import_files

    path = _db(db)
    try:
        with _Bar(enabled=not quiet and err.is_terminal) as bar:
            result = import_files(
                path, files, metric=metric, year=year, region=region, unit=unit,
                industry=industry, industry_scheme=industry_scheme, sheet=sheet,
                kind=kind.value, on_error=on_error.value,
                aliases_file=aliases or Settings().aliases_file, rejects_dir=rejects_dir,
                progress=bar)
    except ImportValidationError as exc:
        if report:
            exc.report.write_csv(report)
        err.print(f"[bold red]Import failed; the database {escape(str(path))} is "
                  "unchanged.[/]", highlight=False)
        err.print(exc.report.summary(), highlight=False, markup=False)
        if report:
            err.print(f"All problems written to {report}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    for o in result.outcomes:
        where = f"{o.path.name}" + (f" [{o.sheet}]" if o.sheet else "")
        if o.status == "skipped":
            out.print(f"{where}: {o.message}", highlight=False, markup=False)
        else:
            out.print(f"{where}: imported {o.rows_accepted} rows as source {o.source_id} "
                      f"({o.kind}, layout {o.layout}"
                      + (f", encoding {o.encoding}" if o.encoding else "") + ")",
                      highlight=False, markup=False)
            if o.rows_rejected:
                out.print(f"  {o.rows_rejected} rows rejected, kept in table rejected_rows "
                          f"and {o.rejects_csv}", highlight=False, markup=False)
    if result.report and report:
        result.report.write_csv(report)
    if result.report:
        err.print(result.report.summary(), highlight=False, markup=False)
    if not result.changed:
        out.print("Nothing changed: every file was already imported.", highlight=False)


@db_app.command("info")
@friendly
def db_info(
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file.")] = None,
) -> None:
    """List what is in a database."""
    from agglomera.store import open_store

    path = _db(db)
    if not path.exists():
        err.print(f"No database at {path}; create one with 'agglomera import FILE --db {path}'.",
                  highlight=False, markup=False)
        raise typer.Exit(2)
    with open_store(path, read_only=True) as store:
        info = store.info()
    out.print(f"[bold]{escape(str(info['path']))}[/] "
              f"(schema version {info['schema_version']})", highlight=False)
    out.print(f"observations: {info['observations']:,}   enterprises: {info['enterprises']:,}"
              f"   rejected rows: {info['rejected_rows']:,}   regions: {info['regions']:,}   "
              f"industries: {info['industries']:,}", highlight=False)
    sources = info["sources"]
    t = Table(title="Sources 来源")
    for c in ("id", "file", "sheet", "kind", "layout", "accepted", "rejected", "imported at"):
        t.add_column(c)
    for r in sources.itertuples(index=False):
        t.add_row(str(r.source_id), escape(r.file_name), escape(r.sheet or ""),
                  r.kind or "", r.layout or "",
                  f"{r.rows_accepted:,}", f"{r.rows_rejected:,}", f"{r.imported_at:%Y-%m-%d %H:%M}")
    out.print(t)
    metrics = info["metrics"]
    if len(metrics):
        t = Table(title="Metrics 指标")
        for c in ("metric", "unit", "rows", "years", "regions"):
            t.add_column(c)
        for r in metrics.itertuples(index=False):
            t.add_row(r.metric, r.unit or "", f"{r.n:,}", f"{r.first_year}-{r.last_year}",
                      str(r.regions))
        out.print(t)


@app.command()
@friendly
def demo(
    db: Annotated[Path, typer.Option("--db", help="DuckDB file to build afresh.")] = Path("demo.duckdb"),
) -> None:
    """Build a fresh database from the bundled yearbook tables and show a first result."""
    from agglomera.demo import run_demo

    with _Bar(enabled=err.is_terminal) as bar:
        run_demo(db, out, progress=bar)


def _read_table(path: Path):
    """A small CSV (UTF-8/GB18030 detected) or the first sheet of an Excel file."""
    import pandas as pd

    from agglomera.errors import SchemaError
    from agglomera.ingest.readers import detect_encoding, sniff_kind

    if not path.exists():
        raise SchemaError(f"{path}: no such file")
    kind = sniff_kind(path)
    if kind in ("xlsx", "xls"):
        return pd.read_excel(path, dtype=str).fillna("")
    if kind not in ("csv", "tsv"):
        raise SchemaError(f"{path}: expected a CSV or Excel file")
    sep = "\t" if kind == "tsv" else ","
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep,
                       encoding=detect_encoding(path, kind))


@regions_app.command("define")
@friendly
def regions_define(
    file: Annotated[Path, typer.Argument(help="CSV/Excel: code, name_zh, name_en, level, parent, members (;-separated), aliases.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file.")] = None,
) -> None:
    """Add or replace user-defined regions such as development zones with their members."""
    from agglomera.store import open_store

    frame = _read_table(file)
    with open_store(_db(db)) as store:
        n = store.define_regions(frame, source=str(file))
    out.print(f"{n} region(s) defined from {file.name}", highlight=False, markup=False)


@regions_app.command("list")
@friendly
def regions_list(
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file.")] = None,
    level: Annotated[Optional[str], typer.Option(help="Only this level (province, prefecture, zone...).")] = None,
) -> None:
    """List the regions a database knows."""
    from agglomera.store import open_store

    with open_store(_db(db)) as store:
        sql = ("SELECT r.code, r.name_zh, r.name_en, r.level, r.parent_code, "
               "string_agg(m.member_code, ';') AS members FROM regions r "
               "LEFT JOIN region_members m ON m.group_code = r.code "
               + ("WHERE r.level = ? " if level else "")
               + "GROUP BY ALL ORDER BY r.code")
        rows = store.con.execute(sql, [level] if level else []).fetchall()
    t = Table(title="Regions 地区")
    for c in ("code", "名称", "name", "level", "parent", "members"):
        t.add_column(c)
    for r in rows:
        t.add_row(*[escape(str(v)) if v is not None else "" for v in r])
    out.print(t)


@industries_app.command("define")
@friendly
def industries_define(
    file: Annotated[Path, typer.Argument(help="CSV/Excel: code, name_zh, name_en, level, parent.")],
    scheme: Annotated[str, typer.Option(help="Name of the classification, e.g. 'NAICS 2012'.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file.")] = None,
) -> None:
    """Add or replace an industry classification."""
    from agglomera.store import open_store

    frame = _read_table(file)
    with open_store(_db(db)) as store:
        n = store.define_classification(scheme, frame, source=str(file))
    out.print(f"{n} industries defined in scheme {scheme}", highlight=False, markup=False)


@app.command("measure")
@friendly
def measure_cmd(
    name: Annotated[str, typer.Argument(help="Measure name (e.g. location_quotient), or 'list'.")],
    input: Annotated[Optional[Path], typer.Option("--input", help="CSV/Excel/Parquet file in long layout.")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Read from (and with --store write to) this database.")] = None,
    region: Annotated[Optional[str], typer.Option(help="Region column (default: region, or region_code from --db).")] = None,
    industry: Annotated[Optional[str], typer.Option(help="Industry column.")] = None,
    value: Annotated[Optional[str], typer.Option(help="Value column.")] = None,
    year: Annotated[Optional[str], typer.Option(help="Year column for a panel.")] = None,
    metric: Annotated[Optional[str], typer.Option(help="With --db: the metric to measure.")] = None,
    table_ref: Annotated[Optional[str], typer.Option(help="With --db: only this printed table.")] = None,
    industry_scheme: Annotated[Optional[str], typer.Option(help="With --db: only this classification.")] = None,
    region_level: Annotated[Optional[list[str]], typer.Option(help="With --db: region levels to include (default province, prefecture, county, zone).")] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Option of the measure as key=value (repeatable), e.g. -p base=100000.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the long result to .csv, .parquet, .xlsx or .dta.")] = None,
    store: Annotated[bool, typer.Option("--store", help="Also store the result in --db (table measure_results).")] = False,
) -> None:
    """Run a measure on a long file or on the database; output is long format."""
    import json

    from agglomera.cli import measure as m

    if name == "list":
        from agglomera.measures import REGISTRY

        t = Table(title="Measures 指标")
        t.add_column("name")
        t.add_column("returns")
        t.add_column("summary")
        for key in sorted(REGISTRY):
            doc = (REGISTRY[key].func.__doc__ or "").strip().splitlines()
            t.add_row(key, REGISTRY[key].kind, escape(doc[0] if doc else ""))
        out_console = Console(soft_wrap=True)
        out_console.print(t)
        return
    from agglomera.errors import SchemaError

    func = m.measure_function(name)
    plants = m.takes_plants(func)
    if input is None and db is None:
        raise SchemaError("give the data: --input FILE, or --db DATABASE with --metric "
                          "(with both, the file is measured and --db receives --store)")
    params = dict(m.parse_param(p) for p in (param or []))
    if input is not None:
        frame = m.read_input(input)
        desc = str(input)
        defaults = ("region", "industry", "employment" if plants else "value",
                    "year" if "year" in frame.columns else None)
    else:
        frame, desc = m.read_db(db, plants=plants, metric=metric, table_ref=table_ref,
                                industry_scheme=industry_scheme, region_level=region_level,
                                year=None)
        defaults = ("region_code", "industry_code", "employment" if plants else "value",
                    "year" if frame["year"].nunique() > 1 else None)
        if defaults[3] is None:
            frame = frame.drop(columns="year")
    result = m.run_measure(name, frame, region=region or defaults[0],
                           industry=industry or defaults[1], value=value or defaults[2],
                           year=year or defaults[3], params=params,
                           explicit=frozenset(k for k, v in (("region", region),
                                                             ("industry", industry),
                                                             ("value", value),
                                                             ("year", year)) if v))
    if out is not None:
        m.write_output(result, out)
        out_console = Console(soft_wrap=True)
        out_console.print(f"{name}: {len(result):,} rows written to {out}", markup=False,
                          highlight=False)
    if store:
        if db is None:
            raise SchemaError("--store needs --db to know where to store the result")
        from agglomera.store import open_store

        cols = {region or defaults[0]: "region_code", industry or defaults[1]: "industry_code",
                "year": "year"}
        for col in result.columns:
            if col.endswith("_a") and col[:-2] in (region or defaults[0], "region"):
                cols[col] = "region_code"
            if col.endswith("_b") and col[:-2] in (region or defaults[0], "region"):
                cols[col] = "region_code_b"
        with open_store(db) as st:
            run = st.save_measure(name, result, parameters=json.dumps(params, default=str),
                                  input_desc=desc, columns=cols)
        Console(soft_wrap=True).print(f"stored as run {run} in {db} (view measure_results)",
                                      markup=False, highlight=False)
    if out is None and not store:
        t = Table(title=f"{name} ({len(result):,} rows)")
        for c in result.columns:
            t.add_column(str(c))
        for row in result.head(40).itertuples(index=False):
            t.add_row(*[f"{v:.4g}" if isinstance(v, float) else escape(str(v)) for v in row])
        Console(soft_wrap=True).print(t)


from agglomera.cli.screen import register as _register_screening

_register_screening(app, friendly)

# Command groups added by later subsystems; each module has register(app, friendly).
# (find_spec rather than try/except ImportError so that a real import error is never hidden)
import importlib as _importlib
import importlib.util as _importlib_util

for _name in ("kdensity", "spatial", "clusters", "evaluate", "report", "serve"):
    if _importlib_util.find_spec(f"agglomera.cli.{_name}") is not None:
        _importlib.import_module(f"agglomera.cli.{_name}").register(app, friendly)


def main() -> None:
    try:
        app()
    except AgglomeraError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        # every command that writes does so in one transaction, rolled back here
        err.print("interrupted; nothing was changed by the interrupted command",
                  highlight=False)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
