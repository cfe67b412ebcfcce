"""``agglomera kdensity``: Duranton–Overman Kd of every industry of an establishment file.

The command reads the file, calls :func:`agglomera.measures.duranton_overman`, writes
one row per industry x distance (CSV or Parquet by extension) and a self-contained
Plotly page with the Kd curves and their local and global bands.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agglomera.errors import SchemaError

VERDICT_ZH = {"localised": "集聚 localised", "dispersed": "分散 dispersed",
              "not significant": "不显著 not significant", "not tested": "未检验 not tested"}


def _read(path: Path, industry: str):
    import pandas as pd

    if not path.exists():
        raise SchemaError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path, dtype={industry: str}, encoding="utf-8-sig")
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype={industry: str})
    raise SchemaError(f"{path}: input must be .csv, .parquet or .xlsx; got {suffix!r}")


def _number_or(value: str, choices: tuple[str, ...], option: str):
    if value in choices:
        return value
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (number > 0 and math.isfinite(number)):
        raise SchemaError(f"{option} must be one of {', '.join(choices)} or a positive "
                          f"number; got {value!r}")
    return number


def write_plot(result, path: Path, *, units: str) -> None:
    """Self-contained HTML: Kd with local (shaded) and global (dashed) bands."""
    import plotly.graph_objects as go

    fig = go.Figure()
    industries = list(result.kd.index)
    per = 5
    for k, ind in enumerate(industries):
        visible = k == 0
        d = result.distances
        fig.add_trace(go.Scatter(x=d, y=result.local_upper.loc[ind], line={"width": 0},
                                 showlegend=False, hoverinfo="skip", visible=visible))
        fig.add_trace(go.Scatter(x=d, y=result.local_lower.loc[ind], line={"width": 0},
                                 fill="tonexty", fillcolor="rgba(100,149,237,0.25)",
                                 name=f"local band 局部置信带 ({result.alpha:g}–"
                                      f"{1 - result.alpha:g})", visible=visible))
        for col, name in (("global_upper", "global upper 全局上界"),
                          ("global_lower", "global lower 全局下界")):
            fig.add_trace(go.Scatter(x=d, y=getattr(result, col).loc[ind], name=name,
                                     line={"dash": "dash", "color": "gray"},
                                     visible=visible))
        fig.add_trace(go.Scatter(x=d, y=result.kd.loc[ind], name="Kd observed 观测值",
                                 line={"color": "crimson", "width": 2.5},
                                 visible=visible))
    summary = result.summary
    buttons = []
    for k, ind in enumerate(industries):
        vis = [False] * (per * len(industries))
        vis[per * k: per * (k + 1)] = [True] * per
        row = summary.loc[ind]
        title = (f"Kd {ind}: n = {int(row['n'])}, h = {row['bandwidth']:.3g} {units}, "
                 f"{VERDICT_ZH.get(row['verdict'], row['verdict'])}, "
                 f"Γ = {row['gamma']:.3g}, Ψ = {row['psi']:.3g}")
        buttons.append({"label": str(ind), "method": "update",
                        "args": [{"visible": vis}, {"title": title}]})
    fig.update_layout(
        title=buttons[0]["args"][1]["title"] if buttons else "Kd",
        xaxis_title=f"distance 距离 ({units})", yaxis_title="Kd (density 密度)",
        template="plotly_white",
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "y": 1.15,
                      "xanchor": "right"}] if len(buttons) > 1 else [])
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)


def kdensity_cmd(
    input: Annotated[Path, typer.Option("--input", help="Establishments: CSV, Parquet or .xlsx, one row per establishment.")],
    out: Annotated[Path, typer.Option("--out", help="Result, one row per industry x distance: .csv or .parquet.")],
    industry: Annotated[str, typer.Option("--industry", help="Industry column.")] = "industry",
    lon: Annotated[str | None, typer.Option("--lon", help="Longitude column (degrees); distances in km.")] = None,
    lat: Annotated[str | None, typer.Option("--lat", help="Latitude column (degrees).")] = None,
    x: Annotated[str | None, typer.Option("--x", help="Projected x column (instead of --lon/--lat).")] = None,
    y: Annotated[str | None, typer.Option("--y", help="Projected y column.")] = None,
    weight: Annotated[str | None, typer.Option("--weight", help="Weight column (employment): K_emp.")] = None,
    industries: Annotated[list[str] | None, typer.Option("--industries", help="Only these industries (repeatable, or comma-separated).")] = None,
    simulations: Annotated[int, typer.Option("--simulations", help="Counterfactuals per industry.")] = 999,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible bands).")] = None,
    bandwidth: Annotated[str, typer.Option("--bandwidth", help="silverman, nrd0 or a number.")] = "silverman",
    max_distance: Annotated[str, typer.Option("--max-distance", help="median (of all pairs) or a number.")] = "median",
    n_distances: Annotated[int, typer.Option("--n-distances", help="Points of the distance grid.")] = 201,
    alpha: Annotated[float, typer.Option("--alpha", help="Tail probability of each band (DO 2005: 0.05).")] = 0.05,
    method: Annotated[str, typer.Option("--method", help="binned (fast), exact or dbmss.")] = "binned",
    reference: Annotated[Path | None, typer.Option("--reference", help="Reference sites file (same coordinate columns); default: all input rows.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Plot page; default: the output with .html.")] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not write the plot.")] = False,
    summary: Annotated[Path | None, typer.Option("--summary", help="Also write the per-industry summary (Γ, Ψ, verdict) to this CSV.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Duranton–Overman Kd with local and global bands (K 密度函数, 距离法集聚检验)."""
    from agglomera.measures import duranton_overman

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise SchemaError(f"--out must end in .csv or .parquet; got {out.name!r}")
    frame = _read(input, industry)
    ref = _read(reference, industry) if reference is not None else None
    wanted = None
    if industries:
        wanted = [v.strip() for item in industries for v in item.split(",") if v.strip()]
    err = Console(stderr=True, soft_wrap=True)
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=err,
                  transient=True, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("Kd", total=None)

        def progress(step: str, done: int | None, total: int | None) -> None:
            bar.update(task, description=step, completed=done or 0, total=total)

        result = duranton_overman(
            frame, industry=industry, lon=lon, lat=lat, x=x, y=y, weight=weight,
            bandwidth=_number_or(bandwidth, ("silverman", "nrd0"), "--bandwidth"),
            max_distance=_number_or(max_distance, ("median",), "--max-distance"),
            n_distances=n_distances, simulations=simulations, reference=ref, alpha=alpha,
            method=method, industries=wanted, seed=seed, progress=progress)
    table = result.to_frame()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        table.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        table.to_parquet(out, index=False)
    if summary is not None:
        result.summary.reset_index().to_csv(summary, index=False, encoding="utf-8-sig")
    units = "km" if lon is not None else "units"
    plot_path = None if no_plot else (plot or out.with_suffix(".html"))
    if plot_path is not None:
        write_plot(result, plot_path, units=units)
    console = Console(soft_wrap=True)
    t = Table(title=f"Duranton–Overman Kd (0–{result.max_distance:.4g} {units}, "
                    f"{result.simulations} simulations 次模拟)")
    for col in ("industry 行业", "n", "h 带宽", "Γ", "Ψ", "p", "verdict 判定"):
        t.add_column(col)
    for ind, row in result.summary.iterrows():
        t.add_row(escape(str(ind)), f"{int(row['n']):,}", f"{row['bandwidth']:.3g}",
                  f"{row['gamma']:.3g}", f"{row['psi']:.3g}",
                  f"{row['pvalue_localisation']:.3g}",
                  VERDICT_ZH.get(row["verdict"], row["verdict"]))
    console.print(t)
    console.print("h: bandwidth; Γ / Ψ: localisation / dispersion index (DO 2005); p: "
                  "global extreme-rank p-value of localisation", markup=False,
                  highlight=False)
    console.print(f"{len(result.kd)} industries x {len(result.distances)} distances written "
                  f"to {out}" + (f"; plot: {plot_path}" if plot_path else ""),
                  markup=False, highlight=False)


def register(app: typer.Typer, friendly) -> None:
    """Add the command to the main Typer app."""
    app.command("kdensity")(friendly(kdensity_cmd))
    # --engine/--source/--sample-size: establishments sampled where they are (issue 8)
    from agglomera.cli.measure import add_kdensity_engine_options

    add_kdensity_engine_options(app, friendly)
