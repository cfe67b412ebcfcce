"""``agglomera clusters ...`` and ``agglomera targets ...``: thin wrappers.

clusters define / list / derive / rate; targets check. The work is done by
agglomera.clusters and agglomera.evaluate.targets.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agglomera.errors import SchemaError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

clusters_app = typer.Typer(no_args_is_help=True,
                           help="Cluster definitions, derivation and rating (集群定义、推导与评级).")
targets_app = typer.Typer(no_args_is_help=True,
                          help="Plan targets: actual against target (规划目标考核).")

PRESET_HELP = "us-cmp | eu-stars | lq-growth | output-tiers"


def _db_path(db: Path | None) -> Path:
    from agglomera.config import Settings

    return db if db is not None else Settings().db


def _data_dir() -> Path | None:
    from agglomera.config import Settings

    return Settings().resolved_data_dir()


def _cell(v: object) -> str:
    import pandas as pd

    if v is None or (not isinstance(v, (str, bytes)) and pd.api.types.is_scalar(v)
                     and pd.isna(v)):
        return ""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _show(frame, title: str, limit: int = 30) -> None:
    table = Table(title=title, show_lines=False)
    for col in frame.columns:
        table.add_column(str(col))
    for _, row in frame.head(limit).iterrows():
        table.add_row(*[escape(_cell(v)) for v in row.tolist()])
    out.print(table)
    if len(frame) > limit:
        out.print(f"... {len(frame) - limit} more rows / 另有 {len(frame) - limit} 行")


def _emit(caught) -> None:
    """Show library warnings (missing values, unassigned industries) on stderr."""
    for w in caught:
        err.print(f"[yellow]warning:[/] {escape(str(w.message))}", highlight=False)


def _write(frame, path: Path) -> None:
    from agglomera.cli.measure import write_output

    frame = frame.copy()
    for c in frame.columns:  # nullable booleans -> plain objects for every writer
        if str(frame[c].dtype) in ("boolean", "category"):
            frame[c] = frame[c].astype(object)
    write_output(frame, path)
    err.print(f"wrote {path} ({len(frame)} rows) / 已写出")


# ---- clusters ------------------------------------------------------------------------
def define_cmd(
    source: Annotated[str, typer.Argument(help="Preset (us-cmp, us-cmp-subclusters, jilin-plan-2017) or a YAML/CSV/Excel file.")],
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB file to store the definitions in.")] = None,
    scheme: Annotated[str | None, typer.Option(help="Name of the set (tables; default: file name).")] = None,
    industry_scheme: Annotated[str, typer.Option("--industry-scheme", help="Classification of a table's industry codes.")] = "GB/T 4754-2017",
    vintage: Annotated[int, typer.Option(help="NAICS vintage of the us-cmp preset.")] = 2012,
) -> None:
    """Load cluster definitions (preset or file) and store them (定义集群)."""
    from agglomera.clusters import load_definitions
    from agglomera.clusters.store import save_definitions
    from agglomera.store import open_store

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        defs = load_definitions(source, data_dir=_data_dir(), scheme=scheme,
                                industry_scheme=industry_scheme, vintage=vintage)
    _emit(caught)
    with open_store(_db_path(db)) as store:
        n = save_definitions(store, defs)
    c = defs.clusters()
    err.print(f"stored {defs.scheme!r}: {len(c)} clusters, {n} industry rows "
              f"({defs.industry_scheme}) / 已保存 {len(c)} 个集群")
    _show(c, f"{defs.scheme} clusters / 集群")


def list_cmd(
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB file.")] = None,
    scheme: Annotated[str | None, typer.Option(help="Show the clusters of this stored (or preset) set.")] = None,
) -> None:
    """List presets and stored cluster definitions (集群定义列表)."""
    import pandas as pd

    from agglomera.clusters import PRESET_FILES, load_definitions
    from agglomera.clusters.store import list_definitions, read_definitions
    from agglomera.store import open_store

    path = _db_path(db)
    if scheme is not None:
        if path.exists() and scheme not in PRESET_FILES:
            with open_store(path) as store:
                defs = read_definitions(store, scheme)
        else:
            defs = load_definitions(scheme, data_dir=_data_dir())
        _show(defs.clusters(), f"{scheme} clusters / 集群", limit=200)
        return
    _show(pd.DataFrame({"preset": list(PRESET_FILES),
                        "source": [v.replace("bundled:", "bundled ") for v in
                                   PRESET_FILES.values()]}),
          "presets / 预设")
    if path.exists():
        with open_store(path) as store:
            stored = list_definitions(store)
        if stored.empty:
            out.print(f"no definitions stored in {path} / 数据库中尚无集群定义")
        else:
            _show(stored, f"stored in {path} / 已存储")


def derive_cmd(
    k: Annotated[int, typer.Option("--k", help="Number of clusters.")],
    input: Annotated[Path | None, typer.Option("--input", help="Region x industry employment: long CSV/Excel/Parquet.")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Read observations (GB/T 4754-2017 divisions) from this database; store the result there.")] = None,
    region: Annotated[str, typer.Option(help="Region column.")] = "region",
    industry: Annotated[str, typer.Option(help="Industry column.")] = "industry",
    value: Annotated[str, typer.Option(help="Employment column.")] = "employment",
    metric: Annotated[str, typer.Option(help="Metric read from --db.")] = "employment",
    year: Annotated[int | None, typer.Option(help="Year read from --db (required with --db).")] = None,
    method: Annotated[str, typer.Option(help="hierarchical | kmeans")] = "hierarchical",
    relatedness: Annotated[str, typer.Option(help="lq-correlation | share-correlation | coagglomeration")] = "lq-correlation",
    io: Annotated[Path | None, typer.Option("--io", help="Input-output flows, industry x industry CSV (first column: industry).")] = None,
    io_weight: Annotated[float, typer.Option("--io-weight")] = 0.5,
    linkage: Annotated[str, typer.Option(help="Hierarchical linkage.")] = "average",
    seed: Annotated[int | None, typer.Option(help="Seed of k-means.")] = None,
    scheme: Annotated[str, typer.Option(help="Name of the derived set.")] = "derived",
    out_path: Annotated[Path | None, typer.Option("--out", help="Per-industry assignment and validation scores (.csv/.xlsx/.parquet).")] = None,
) -> None:
    """Derive clusters of related industries from co-location (DPS 2016) (推导集群)."""
    import pandas as pd

    from agglomera.cli.measure import read_input
    from agglomera.clusters import derive_clusters
    from agglomera.clusters.store import save_definitions
    from agglomera.store import open_store

    if input is None and db is None:
        raise SchemaError("give --input FILE or --db DB")
    ind_scheme = "GB/T 4754-2017"
    if input is not None:
        frame = read_input(input)
        reg_col, ind_col, val_col = region, industry, value
    else:
        if year is None:
            raise SchemaError("--db needs --year (one cross-section)")
        with open_store(db) as store:
            frame = store.con.execute(
                "SELECT region_code, industry_code, value FROM observations WHERE "
                "metric = ? AND year = ? AND industry_scheme = ? AND region_level IN "
                "('province', 'prefecture', 'county') AND length(industry_code) = 2",
                [metric, year, ind_scheme]).df()
        if frame.empty:
            raise SchemaError(f"no {metric!r} observations of GB/T 4754-2017 divisions "
                              f"by region in {year}")
        reg_col, ind_col, val_col = "region_code", "industry_code", "value"
    flows = None
    if io is not None:
        flows = read_input(io)
        flows = flows.set_index(flows.columns[0])
        flows.index = flows.index.astype(str)
        flows.columns = flows.columns.astype(str)
    frame = frame.copy()
    frame[ind_col] = frame[ind_col].astype(str)
    d = derive_clusters(frame, k=k, method=method, relatedness_method=relatedness,
                        io=flows, io_weight=io_weight, linkage=linkage, seed=seed,
                        region=reg_col, industry=ind_col, value=val_col)
    v = d.validation
    err.print(f"validation score VS = {v.vs:.3f} (share of industries more related to "
              f"their own cluster); mean within {v.within:.3f} vs between {v.between:.3f}"
              f" / 验证得分")
    _show(v.clusters, "clusters / 集群")
    if out_path is not None:
        _write(d.to_frame(), out_path)
    if db is not None:
        defs = d.to_definitions(scheme, industry_scheme=ind_scheme)
        with open_store(db) as store:
            save_definitions(store, defs)
        err.print(f"stored definitions {scheme!r} in {db} / 已保存")
    elif input is not None and out_path is None:
        _show(pd.DataFrame(d.to_frame()), "industries / 产业")


class _Bar:
    def __init__(self, enabled: bool):
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"),
                                 TimeElapsedColumn(), console=err, transient=True,
                                 disable=not enabled)

    def __enter__(self):
        self.progress.__enter__()
        self.task = self.progress.add_task("stability / 稳健性", total=None)
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def __call__(self, step: str, done: int, total: int) -> None:
        label = {"thresholds": "thresholds / 阈值扰动",
                 "resampling": "resampling / 重抽样"}.get(step, step)
        self.progress.update(self.task, description=label, completed=done, total=total)


def rate_cmd(
    preset: Annotated[str, typer.Option(help=PRESET_HELP)] = "us-cmp",
    input: Annotated[Path | None, typer.Option("--input", help="Region x cluster table (CSV/Excel/Parquet).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Database: input (with --scheme) and where results are stored.")] = None,
    scheme: Annotated[str | None, typer.Option(help="Stored cluster definitions used to aggregate observations from --db.")] = None,
    metric: Annotated[str, typer.Option(help="Metric aggregated from --db.")] = "employment",
    establishments_metric: Annotated[str | None, typer.Option("--establishments-metric", help="Metric of establishment counts in --db (e.g. enterprises).")] = None,
    region: Annotated[str, typer.Option(help="Region column.")] = "region",
    cluster: Annotated[str, typer.Option(help="Cluster column.")] = "cluster",
    employment: Annotated[str, typer.Option(help="Employment column.")] = "employment",
    establishments: Annotated[str | None, typer.Option(help="Establishments column.")] = None,
    lq: Annotated[str | None, typer.Option("--lq", help="Location-quotient column (else computed).")] = None,
    traded: Annotated[str | None, typer.Option(help="Traded flag column (true/false, Traded/Local).")] = None,
    year: Annotated[str | None, typer.Option(help="Year column (file), or the year to read (--db).")] = None,
    value: Annotated[str | None, typer.Option(help="Output column (output-tiers).")] = None,
    threshold: Annotated[list[str] | None, typer.Option("--threshold", "-t", help="Override a threshold: name=value (repeatable), e.g. lq_percentile=80.")] = None,
    stability: Annotated[bool, typer.Option("--stability/--no-stability", help="Also measure how often each flag holds under perturbation.")] = False,
    draws: Annotated[int, typer.Option(help="Resampled data sets for --stability.")] = 200,
    shift: Annotated[float, typer.Option(help="Threshold shift in percentile points for --stability.")] = 5.0,
    resample: Annotated[str | None, typer.Option(help="poisson | multinomial | none (default: poisson; none for output-tiers)")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed for --stability.")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Result table: .csv, .xlsx, .parquet (or .dta).")] = None,
) -> None:
    """Rate clusters: strong clusters (US CMP), stars (EU), quadrants, tiers (集群评级)."""
    import pandas as pd

    from agglomera.cli.measure import read_input
    from agglomera.clusters import rate, rating_stability
    from agglomera.store import open_store

    thresholds: dict[str, float] = {}
    for item in threshold or []:
        name, sep, val = item.partition("=")
        try:
            thresholds[name.strip()] = float(val)
        except ValueError:
            raise SchemaError(f"--threshold must be name=number; got {item!r}") from None
        if not sep:
            raise SchemaError(f"--threshold must be name=number; got {item!r}")
    if input is None and db is None:
        raise SchemaError("give --input FILE, or --db DB with --scheme NAME")
    if input is not None:
        frame = read_input(input)
        desc = f"file {input}"
        year_col = year
    else:
        from agglomera.clusters.store import cluster_totals

        if scheme is None:
            raise SchemaError("--db input needs --scheme (stored cluster definitions; "
                              "see 'agglomera clusters list')")
        yr = None
        if year is not None:
            try:
                yr = int(year)
            except ValueError:
                raise SchemaError(f"with --db, --year is a year; got {year!r}") from None
        with open_store(db) as store:
            frame = cluster_totals(store, scheme, metric=metric, year=yr)
            frame = frame.rename(columns={"region_code": "region",
                                          "cluster_code": "cluster",
                                          "value": "employment"})
            if establishments_metric:
                est = cluster_totals(store, scheme, metric=establishments_metric, year=yr)
                est = est.rename(columns={"region_code": "region",
                                          "cluster_code": "cluster",
                                          "value": "establishments"})
                frame = frame.merge(est[["region", "cluster", "year", "establishments"]],
                                    on=["region", "cluster", "year"], how="left")
        region, cluster, employment = "region", "cluster", "employment"
        establishments = "establishments" if establishments_metric else None
        traded = "traded" if frame["traded"].notna().all() else None
        frame["traded"] = frame["traded"].astype(object)
        year_col = "year"
        if preset == "output-tiers":
            value = "employment"
        desc = f"database {db} scheme={scheme} metric={metric}" + (
            f" year={year}" if year else "")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = rate(frame, preset=preset, region=region, cluster=cluster,
                      employment=employment, establishments=establishments, lq=lq,
                      traded=traded, year=year_col, value=value, **thresholds)
        stab = None
        if stability:
            with _Bar(enabled=err.is_terminal) as bar:
                stab = rating_stability(
                    frame, preset=preset, region=region, cluster=cluster,
                    employment=employment, establishments=establishments, lq=lq,
                    traded=traded, year=year_col, value=value, draws=draws, shift=shift,
                    resample=resample, seed=seed, progress=bar, **thresholds)
    _emit(caught)
    table = result.to_frame()
    if stab is not None:
        keys = [c for c in (region, cluster, year_col) if c is not None and c in table]
        wide = stab.to_frame().pivot_table(index=keys, columns="level",
                                           values="stability", aggfunc="first")
        wide.columns = [f"{c}_stability" for c in wide.columns]
        table = table.merge(wide.reset_index(), on=keys, how="left")
    levels = list(result.levels)
    counts = {lv: int(pd.Series(table[lv]).fillna(False).astype(bool).sum())
              for lv in levels}
    err.print(f"{preset}: {len(table)} region x cluster rows; "
              + ", ".join(f"{k}={v}" for k, v in counts.items()))
    if out_path is not None:
        _write(table, out_path)
    else:
        show = [c for c in table.columns if c in {region, cluster, year_col, "lq", "stars",
                                                  "tier", "quadrant"} or c in levels]
        _show(table[show], f"{preset} rating / 评级")
    if result.region_strength is not None and out_path is None:
        _show(result.region_strength, "region cluster strength / 地区集群强度")
    if db is not None:
        from agglomera.clusters.store import save_rating

        with open_store(db) as store:
            run_id = save_rating(store, result, input_desc=desc, stability=stab)
        err.print(f"stored as rating run {run_id} in {db} (table cluster_ratings) / 已保存")


# ---- targets -------------------------------------------------------------------------
STATUS_ZH = {"met": "已完成", "on_track": "按期可完成", "at_risk": "预警", "missed": "未完成",
             "no_data": "无数据", "unknown": "无法预测"}


def check_cmd(
    targets: Annotated[str, typer.Option("--targets", help="Targets YAML, or a bundled plan (jilin-2017).")],
    db: Annotated[Path | None, typer.Option("--db", help="Read level/share actuals from observations; store the check.")] = None,
    actual: Annotated[Path | None, typer.Option("--actual", help="Actual values: target_id, year, value (CSV/Excel/Parquet).")] = None,
    clusters_file: Annotated[Path | None, typer.Option("--clusters", help="Cluster list (cluster, category, output, year) to count clusters by category and tier.")] = None,
    output_unit: Annotated[float, typer.Option("--output-unit", help="Yuan per unit of the cluster list's output (1e8 for 亿元).")] = 1.0,
    method: Annotated[str, typer.Option(help="Projection: linear | compound")] = "linear",
    as_of: Annotated[int | None, typer.Option("--as-of", help="Current year (default: latest actual).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Check table: .csv, .xlsx, .parquet.")] = None,
) -> None:
    """Check a plan: consistency, actual against target, projection, early warning (目标考核)."""
    import pandas as pd

    from agglomera.cli.measure import read_input
    from agglomera.evaluate.targets import (
        actuals_from_clusters,
        actuals_from_store,
        check_targets,
        load_targets,
        save_check,
    )
    from agglomera.store import open_store

    plan = load_targets(targets)
    parts = []
    if actual is not None:
        parts.append(read_input(actual))
    if clusters_file is not None:
        parts.append(actuals_from_clusters(read_input(clusters_file), plan,
                                           unit_factor=output_unit))
    if db is not None and plan.region is not None:
        with open_store(db) as store:
            parts.append(actuals_from_store(store, plan))
    act = pd.concat(parts, ignore_index=True) if parts else None
    if act is not None and act.duplicated(["target_id", "year"]).any():
        dup = act[act.duplicated(["target_id", "year"])].iloc[0]
        raise SchemaError(f"actual values for {dup['target_id']!r} in {dup['year']} come "
                          "from two inputs; give each target one source")
    check = check_targets(plan, act, method=method, as_of=as_of)
    if check.consistency:
        err.print(f"[bold yellow]plan inconsistencies / 规划自身不一致 "
                  f"({len(check.consistency)}):[/]")
        for p in check.consistency:
            err.print(f"  - {escape(str(p))}", highlight=False)
    else:
        err.print("plan is consistent / 规划目标自洽")
    for w in check.warnings:
        err.print(f"[yellow]{escape(w)}[/]", highlight=False)
    table = check.to_frame()
    table["status_zh"] = table["status"].map(STATUS_ZH)
    if out_path is not None:
        _write(table, out_path)
    else:
        _show(table[["target_id", "category", "tier", "target_value", "deadline_year",
                     "actual", "actual_year", "progress", "projected", "status",
                     "status_zh"]], f"{plan.name}: targets / 目标", limit=100)
    if db is not None:
        with open_store(db) as store:
            cid = save_check(store, check)
        err.print(f"stored as target check {cid} in {db} (tables plan_targets, "
                  "target_checks) / 已保存")


def show_cmd(
    targets: Annotated[str, typer.Argument(help="Targets YAML, or a bundled plan (jilin-2017).")],
) -> None:
    """Show a plan's targets (显示规划目标)."""
    from agglomera.evaluate.targets import load_targets

    plan = load_targets(targets)
    out.print(f"{plan.name}: {plan.title_en} / {plan.title_zh}")
    _show(plan.to_frame()[["target_id", "kind", "category", "tier", "metric",
                           "target_value", "unit", "deadline_year"]],
          "targets / 目标", limit=200)


def register(app: typer.Typer, friendly) -> None:
    """Add the ``clusters`` and ``targets`` groups to the main app."""
    clusters_app.command("define")(friendly(define_cmd))
    clusters_app.command("list")(friendly(list_cmd))
    clusters_app.command("derive")(friendly(derive_cmd))
    clusters_app.command("rate")(friendly(rate_cmd))
    targets_app.command("check")(friendly(check_cmd))
    targets_app.command("show")(friendly(show_cmd))
    app.add_typer(clusters_app, name="clusters")
    app.add_typer(targets_app, name="targets")


__all__ = ["register"]
