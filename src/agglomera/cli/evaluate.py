"""``agglomera evaluate ...`` and ``agglomera benchmark``: thin wrappers over
:mod:`agglomera.evaluate` (read a file or the database, call, write, store)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typing_extensions import Self

from agglomera.errors import SchemaError

OUT_FORMATS = (".csv", ".parquet", ".xlsx")
POLARITY_WORDS = {"higher": "higher", "+": "higher", "lower": "lower", "-": "lower"}

# ---------------------------------------------------------------------- helpers


def parse_indicators(specs: list[str] | None, polarity: list[str] | None
                     ) -> tuple[list[str], dict[str, str]]:
    """``gdp:higher,energy:lower`` (or ``gdp+``/``energy-``) plus ``--polarity k=v``."""
    names: list[str] = []
    pol: dict[str, str] = {}
    for spec in specs or []:
        for item in (s.strip() for s in spec.split(",")):
            if not item:
                continue
            name, p = item, None
            if ":" in item:
                name, p = (t.strip() for t in item.rsplit(":", 1))
            elif item[-1] in "+-" and len(item) > 1:
                name, p = item[:-1], item[-1]
            if p is not None:
                if p.lower() not in POLARITY_WORDS:
                    raise SchemaError(f"polarity of {name!r} must be 'higher' or 'lower'; "
                                      f"got {p!r}")
                pol[name] = POLARITY_WORDS[p.lower()]
            names.append(name)
    for item in polarity or []:
        if "=" not in item:
            raise SchemaError(f"--polarity must look like indicator=higher|lower; got {item!r}")
        k, v = (t.strip() for t in item.split("=", 1))
        if v.lower() not in POLARITY_WORDS:
            raise SchemaError(f"--polarity {k}: expected higher or lower; got {v!r}")
        pol[k] = POLARITY_WORDS[v.lower()]
        if k not in names:
            names.append(k)
    return names, pol


def require_polarity(names: list[str], pol: dict[str, str]) -> None:
    if not names:
        raise SchemaError("name the indicators: --indicators gdp:higher,energy:lower")
    missing = [n for n in names if n not in pol]
    if missing:
        raise SchemaError(f"say whether higher or lower is better for {', '.join(missing)}: "
                          "write name:higher / name:lower in --indicators or use "
                          "--polarity name=lower")


def split_cols(text: str | None, what: str) -> list[str]:
    cols = [c.strip() for c in (text or "").split(",") if c.strip()]
    if not cols:
        raise SchemaError(f"{what} names no column")
    return cols


def read_table(path: Path, sheet: str | None = None) -> pd.DataFrame:
    from agglomera.cli.measure import read_input

    if sheet is not None:
        if not path.exists():
            raise SchemaError(f"{path}: no such file")
        return pd.read_excel(path, sheet_name=sheet)
    return read_input(path)


def load_frame(input: Path | None, db: Path | None, metrics: list[str], *,
               region_column: str, year_column: str | None, year: int | None,
               industry_code: str, region_level: list[str] | None,
               table_ref: list[str] | None = None
               ) -> tuple[pd.DataFrame, str, str | None, pd.DataFrame | None, str]:
    """Wide frame (one row per region and year) from a file or from the observations.

    Returns (frame, region column, year column or None, provenance or None, description).
    """
    if (input is None) == (db is None) and input is None:
        raise SchemaError("give the data: --input FILE, or --db DATABASE (its observations "
                          "with the indicators as metrics)")
    if input is not None:
        f = read_table(input)
        rcol = region_column
        if rcol not in f.columns:
            for alt in ("region_code", "region", "地区"):
                if alt in f.columns:
                    rcol = alt
                    break
            else:
                raise SchemaError(f"no region column {region_column!r} in {input}; it has "
                                  f"{', '.join(map(str, f.columns))} (use --region-column)")
        ycol = year_column if year_column and year_column in f.columns else None
        if year_column and year_column != "year" and ycol is None:
            raise SchemaError(f"no year column {year_column!r} in {input}")
        if year is not None:
            if ycol is None:
                raise SchemaError("--year needs a year column in the file")
            f = f[pd.to_numeric(f[ycol], errors="coerce") == year]
            if f.empty:
                raise SchemaError(f"{input} has no rows for year {year}")
        f[rcol] = f[rcol].astype(str)
        return f, rcol, ycol, None, str(input)
    from agglomera.store import open_store

    if not db.exists():
        raise SchemaError(f"no database at {db}")
    levels = region_level or ["province", "prefecture", "county", "zone"]
    sql = ("SELECT region_code, region_name, year, metric, value, source_id, source_row, "
           "table_ref FROM observations WHERE industry_code = ? AND metric IN "
           f"({', '.join('?' * len(metrics))}) AND region_level IN "
           f"({', '.join('?' * len(levels))})")
    params: list[object] = [industry_code, *metrics, *levels]
    if year is not None:
        sql += " AND year = ?"
        params.append(year)
    if table_ref:
        marks = ", ".join("?" * len(table_ref))
        sql += (f" AND (table_ref IN ({marks}) OR CAST(source_id AS VARCHAR) IN ({marks}))")
        params.extend(table_ref)
        params.extend(table_ref)
    with open_store(db, read_only=True) as store:
        long = store.con.execute(sql, params).df()
        if long.empty:
            known = [r[0] for r in store.con.execute(
                "SELECT DISTINCT metric FROM observations ORDER BY 1").fetchall()]
            raise SchemaError(f"no observations of {', '.join(metrics)} (industry "
                              f"{industry_code!r}) in {db}; its metrics: "
                              f"{', '.join(known[:30]) or 'none'}")
    absent = [m for m in metrics if m not in set(long["metric"])]
    if absent:
        raise SchemaError(f"{db} has no observations of {', '.join(absent)}")
    key = ["region_code", "year", "metric"]
    # the same value printed in two tables (two yearbook editions) is one observation
    long = long.sort_values("source_id").drop_duplicates(key + ["value"], keep="first")
    if long.duplicated(key).any():
        clash = long[long.duplicated(key, keep=False)].sort_values(key)
        first = clash.iloc[0]
        rows = clash[(clash[key] == first[key]).all(axis=1)]
        def label(t, sid):
            return str(t) if isinstance(t, str) and t else f"source {sid}"

        seen = "; ".join(f"{label(t, sid)}: {v:g}" for t, sid, v in
                         zip(rows["table_ref"], rows["source_id"], rows["value"]))
        tables = sorted({label(t, sid) if isinstance(t, str) and t else str(sid)
                         for t, sid in zip(clash["table_ref"], clash["source_id"])})
        raise SchemaError(
            f"the database holds different values for one region, year and metric from "
            f"different tables ({len(clash)} rows), e.g. {first['metric']} of "
            f"{first['region_code']} in {first['year']}: {seen}; choose the tables with "
            f"--table-ref, which takes a table reference or a source id (involved: "
            f"{', '.join(tables)}; see agglomera db info)")
    wide = long.pivot(index=["region_code", "year"], columns="metric", values="value")
    names = long.drop_duplicates("region_code").set_index("region_code")["region_name"]
    wide = wide.reset_index()
    wide.columns.name = None
    wide.insert(1, "region_name", wide["region_code"].map(names))
    prov = long[["region_code", "year", "metric", "source_id", "source_row", "table_ref"]]
    return wide, "region_code", "year", prov, f"{db} observations"


def one_year(frame: pd.DataFrame, ycol: str | None, what: str) -> pd.DataFrame:
    if ycol is None:
        return frame
    years = sorted(pd.unique(frame[ycol].dropna()))
    if len(years) > 1:
        raise SchemaError(f"{what} compares units within one year; the data have years "
                          f"{years[0]}..{years[-1]}: choose one with --year (or use "
                          "'agglomera evaluate scorecard' for a ranking every year)")
    return frame


def write_tables(out: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """First table to ``out`` (csv/parquet); all tables as sheets of an .xlsx."""
    suffix = out.suffix.lower()
    if suffix not in OUT_FORMATS:
        raise SchemaError(f"--out must end in {', '.join(OUT_FORMATS)}; got {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        with pd.ExcelWriter(out) as xw:
            for name, t in sheets.items():
                t.to_excel(xw, sheet_name=name[:31], index=False)
        return
    first = next(iter(sheets.values()))
    if suffix == ".csv":
        first.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        first.to_parquet(out, index=False)


def store_result(db: Path | None, measure: str, frame: pd.DataFrame | list[pd.DataFrame],
                 *, params: dict, desc: str, columns: dict[str, str],
                 console: Console) -> None:
    """Store one run per table (a list stores scores and evidence as separate runs, so
    that no row carries statistics that do not apply to it)."""
    if db is None:
        return
    from agglomera.store import open_store

    frames = frame if isinstance(frame, list) else [frame]
    runs = []
    with open_store(db) as st:
        for k, f in enumerate(frames):
            p = params if len(frames) == 1 else {**params, "part": ["scores", "evidence"][k]
                                                 if len(frames) == 2 else k}
            runs.append(st.save_measure(measure, f, parameters=json.dumps(p, default=str),
                                        input_desc=desc, columns=columns))
    console.print(f"stored as {measure} run {', '.join(map(str, runs))} in {db} "
                  "(view measure_results)", markup=False, highlight=False)


class Notes:
    """Turn library warnings (missing values left out, ...) into plain notes on stderr."""

    def __enter__(self) -> Notes:
        import warnings

        self._cm = warnings.catch_warnings(record=True)
        self.caught = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)
        err = Console(stderr=True, soft_wrap=True)
        for w in self.caught:
            err.print(f"note: {w.message}", markup=False, highlight=False)


def show(frame: pd.DataFrame, title: str, console: Console, rows: int = 20) -> None:
    t = Table(title=f"{title} ({len(frame):,} rows)")
    for c in frame.columns:
        t.add_column(str(c))
    for row in frame.head(rows).itertuples(index=False):
        t.add_row(*[f"{v:.4g}" if isinstance(v, float) else escape(str(v)) for v in row])
    console.print(t)


class Bar:
    """rich progress bar for long work; ``__call__(done, total)``."""

    def __init__(self, label: str, enabled: bool = True):
        self.progress = Progress(TextColumn(label), BarColumn(),
                                 TextColumn("{task.completed}/{task.total}"),
                                 TimeElapsedColumn(), console=Console(stderr=True),
                                 transient=True, disable=not enabled)
        self.task = None

    def __enter__(self) -> Self:
        self.progress.__enter__()
        self.task = self.progress.add_task("", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)


def parse_weights(specs: list[str] | None, names: list[str]) -> list[object]:
    from agglomera.evaluate import ahp_weights

    out: list[object] = []
    for spec in specs or ["equal"]:
        spec = spec.strip()
        if spec.startswith("ahp:"):
            path = Path(spec[4:])
            if not path.exists():
                raise SchemaError(f"AHP matrix {path}: no such file")
            m = pd.read_csv(path, index_col=0)
            res = ahp_weights(m)
            if not res.consistent:
                Console(stderr=True).print(
                    f"warning: AHP consistency ratio {res.consistency_ratio:.3f} > 0.10 "
                    "(Saaty's limit); revise the judgements", markup=False, highlight=False)
            out.append(res)
        elif "=" in spec:
            w = {}
            for item in spec.split(","):
                k, v = item.split("=", 1)
                try:
                    w[k.strip()] = float(v)
                except ValueError:
                    raise SchemaError(f"weight of {k.strip()!r} is not a number: {v!r}"
                                      ) from None
            out.append(w)
        else:
            out.append(spec)
    return out


def _attach_provenance(evidence: pd.DataFrame, prov: pd.DataFrame | None,
                       year: object | None) -> pd.DataFrame:
    if prov is None:
        return evidence
    p = prov.rename(columns={"region_code": "region", "metric": "indicator"})
    if year is not None and "year" not in evidence.columns:
        p = p[p["year"] == year].drop(columns="year")
        keys = ["region", "indicator"]
    else:
        keys = ["year", "region", "indicator"] if "year" in evidence.columns else [
            "region", "indicator"]
        if "year" not in keys:
            p = p.drop(columns="year").drop_duplicates(["region", "indicator"])
    e = evidence.drop(columns="source_row").merge(p, on=keys, how="left")
    return e


# ---------------------------------------------------------------------- commands

InputOpt = Annotated[Path | None, typer.Option("--input", help="Table: CSV, .xlsx or Parquet, one row per region (and year).")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="Database: read the indicators as metrics of its observations (without --input) and store the result.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Result table: .csv, .parquet or .xlsx (all tables as sheets).")]
RegionColOpt = Annotated[str, typer.Option("--region-column", help="Region column of the file.")]
YearColOpt = Annotated[str, typer.Option("--year-column", help="Year column of the file (if it has one).")]
YearOpt = Annotated[int | None, typer.Option("--year", help="Only this year.")]
IndustryOpt = Annotated[str, typer.Option("--industry-code", help="With --db: industry code of the values (_T = all industries).")]
LevelOpt = Annotated[list[str] | None, typer.Option("--region-level", help="With --db: province, prefecture, county, zone (repeatable).")]
TableOpt = Annotated[list[str] | None, typer.Option("--table-ref", help="With --db: read only these tables (a table reference such as CSY2008-4-11, or a source id; repeatable; see agglomera db info), when two tables give one value differently.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def composite_cmd(
    indicators: Annotated[list[str], typer.Option("--indicators", "-i", help="Indicators with polarity: gdp:higher,energy:lower (repeatable).")],
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None,
    polarity: Annotated[list[str] | None, typer.Option("--polarity", help="indicator=higher|lower (repeatable).")] = None,
    normalise: Annotated[list[str] | None, typer.Option("--normalise", help="minmax, zscore, distance, vector (repeat for Monte-Carlo choices).")] = None,
    weights: Annotated[list[str] | None, typer.Option("--weights", help="equal, entropy, critic, pca, ahp:MATRIX.csv or gdp=0.6,energy=0.4 (repeatable).")] = None,
    aggregate: Annotated[list[str] | None, typer.Option("--aggregate", help="linear, geometric, topsis (repeatable).")] = None,
    monte_carlo: Annotated[int, typer.Option("--monte-carlo", help="Random draws of the choices and weights (0: none).")] = 0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.")] = None,
    year: YearOpt = None, region_column: RegionColOpt = "region",
    year_column: YearColOpt = "year", industry_code: IndustryOpt = "_T",
    region_level: LevelOpt = None, table_ref: TableOpt = None, missing: Annotated[str, typer.Option(help="raise or omit units with missing values.")] = "raise",
) -> None:
    """Composite index with Monte-Carlo rank intervals (综合评价指数)."""
    from agglomera.evaluate import composite_index

    names, pol = parse_indicators(indicators, polarity)
    require_polarity(names, pol)
    frame, rcol, ycol, prov, desc = load_frame(
        input, db, names, region_column=region_column, year_column=year_column,
        year=year, industry_code=industry_code, region_level=region_level, table_ref=table_ref)
    frame = one_year(frame, ycol, "a composite index")
    the_year = frame[ycol].iloc[0] if ycol else None
    with Bar("Monte Carlo 蒙特卡洛", enabled=monte_carlo > 0) as bar, Notes():
        res = composite_index(frame.set_index(rcol), indicators=names, polarity=pol,
                              normalise=normalise or ["minmax"],
                              weights=parse_weights(weights, names),
                              aggregate=aggregate or ["linear"], monte_carlo=monte_carlo,
                              seed=seed, missing=missing, progress=bar)
    table = res.to_frame()
    if ycol:
        table.insert(1, "year", the_year)
    if "region_name" in frame.columns:
        table.insert(1, "region_name", table["region"].map(
            frame.set_index(rcol)["region_name"]))
    evidence = _attach_provenance(res.evidence, prov, the_year)
    console = Console(soft_wrap=True)
    if out is not None:
        write_tables(out, {"scores": table, "evidence": evidence,
                           "weights": res.weights.rename_axis("indicator").reset_index()})
        console.print(f"composite index: {len(table):,} units written to {out}",
                      markup=False, highlight=False)
    params = {"indicators": pol, "normalise": list(res.normalise),
              "weights": list(res.weighting), "aggregate": list(res.aggregate),
              "monte_carlo": monte_carlo, "seed": seed, "year": the_year}
    ev = evidence.rename(columns={"indicator": "industry_code"})
    if ycol:
        ev["year"] = the_year
    stored = [table, ev[[c for c in ("region", "industry_code", "year", "raw_value",
                                     "normalised", "weight", "contribution")
                         if c in ev.columns]]]
    store_result(db, "evaluate.composite", stored, params=params, desc=desc,
                 columns={"region": "region_code", "industry_code": "industry_code",
                          "year": "year"}, console=console)
    show(table.sort_values("rank"), "Composite index 综合指数", console)


def dea_cmd(
    inputs: Annotated[str, typer.Option("--inputs", help="Input columns/metrics, comma-separated.")],
    outputs: Annotated[str, typer.Option("--outputs", help="Output columns/metrics, comma-separated.")],
    model: Annotated[str, typer.Option("--model", help="ccr, bcc or sbm.")] = "ccr",
    orientation: Annotated[str, typer.Option("--orientation", help="input or output (sbm also: none).")] = "input",
    rts: Annotated[str | None, typer.Option("--rts", help="SBM returns to scale: crs or vrs.")] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Simar-Wilson bootstrap replications (ccr, bcc).")] = 0,
    slacks: Annotated[bool, typer.Option("--slacks", help="Also the maximal slacks (ccr, bcc) and Pareto efficiency.")] = False,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None, year: YearOpt = None,
    region_column: RegionColOpt = "region", year_column: YearColOpt = "year",
    industry_code: IndustryOpt = "_T", region_level: LevelOpt = None, table_ref: TableOpt = None, quiet: QuietOpt = False,
) -> None:
    """DEA efficiency (CCR, BCC, SBM), a frontier per year (数据包络分析)."""
    from agglomera.evaluate import dea

    ins, outs = split_cols(inputs, "--inputs"), split_cols(outputs, "--outputs")
    frame, rcol, ycol, _, desc = load_frame(
        input, db, ins + outs, region_column=region_column, year_column=year_column,
        year=year, industry_code=industry_code, region_level=region_level, table_ref=table_ref)
    with Bar("DEA 效率", enabled=not quiet) as bar:
        res = dea(frame, inputs=ins, outputs=outs, model=model, orientation=orientation,
                  rts=rts, region=rcol, year=ycol, bootstrap=bootstrap, seed=seed,
                  progress=bar, slacks=slacks)
    table = res.to_frame()
    console = Console(soft_wrap=True)
    if out is not None:
        write_tables(out, {"scores": table, "peers": res.peers})
        console.print(f"DEA ({model}, {orientation}): {len(table):,} units written to {out}",
                      markup=False, highlight=False)
    store_result(db, "evaluate.dea", table.drop(columns=[c for c in ("efficient",
                                                                      "pareto_efficient")
                                                         if c in table.columns]),
                 params={"inputs": ins, "outputs": outs, "model": model,
                         "orientation": orientation, "rts": res.rts, "bootstrap": bootstrap,
                         "seed": seed}, desc=desc,
                 columns={"region": "region_code", "year": "year"}, console=console)
    console.print(f"{int(table['efficient'].sum())} of {len(table)} units on the frontier; "
                  f"{res.lp_count:,} linear programmes", markup=False, highlight=False)
    show(table.sort_values("score", ascending=False), "DEA efficiency 效率", console)


def malmquist_cmd(
    inputs: Annotated[str, typer.Option("--inputs", help="Input columns/metrics.")],
    outputs: Annotated[str, typer.Option("--outputs", help="Output columns/metrics.")],
    orientation: Annotated[str, typer.Option("--orientation", help="output or input.")] = "output",
    vrs_decomposition: Annotated[bool, typer.Option("--vrs-decomposition", help="Split efficiency change into pure and scale parts.")] = False,
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None,
    region_column: RegionColOpt = "region", year_column: YearColOpt = "year",
    industry_code: IndustryOpt = "_T", region_level: LevelOpt = None, table_ref: TableOpt = None, quiet: QuietOpt = False,
) -> None:
    """Malmquist productivity index = efficiency change x technical change."""
    from agglomera.evaluate import malmquist

    ins, outs = split_cols(inputs, "--inputs"), split_cols(outputs, "--outputs")
    frame, rcol, ycol, _, desc = load_frame(
        input, db, ins + outs, region_column=region_column, year_column=year_column,
        year=None, industry_code=industry_code, region_level=region_level, table_ref=table_ref)
    if ycol is None:
        raise SchemaError("the Malmquist index needs a panel: a year column")
    with Bar("Malmquist", enabled=not quiet) as bar:
        res = malmquist(frame, inputs=ins, outputs=outs, region=rcol, year=ycol,
                        orientation=orientation, vrs_decomposition=vrs_decomposition,
                        progress=bar)
    table = res.to_frame()
    console = Console(soft_wrap=True)
    if out is not None:
        write_tables(out, {"malmquist": table, "cumulative": res.cumulative()})
        console.print(f"Malmquist: {len(table):,} rows written to {out}", markup=False,
                      highlight=False)
    store_result(db, "evaluate.malmquist", table.drop(columns="year_from"),
                 params={"inputs": ins, "outputs": outs, "orientation": orientation},
                 desc=desc, columns={"region": "region_code", "year": "year"},
                 console=console)
    show(table, "Malmquist index 全要素生产率指数", console)


def tfp_cmd(
    output: Annotated[str, typer.Option("--output", help="Real output column/metric (GDP at constant prices).")],
    labour: Annotated[str, typer.Option("--labour", help="Employment column/metric.")],
    capital_share: Annotated[str, typer.Option("--capital-share", help="Capital share alpha in (0, 1), or a column name.")],
    capital: Annotated[str | None, typer.Option("--capital", help="Capital stock column/metric.")] = None,
    investment: Annotated[str | None, typer.Option("--investment", help="Investment column/metric: capital by perpetual inventory.")] = None,
    depreciation: Annotated[float | None, typer.Option("--depreciation", help="Depreciation rate for the perpetual inventory (e.g. 0.096).")] = None,
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None,
    region_column: RegionColOpt = "region", year_column: YearColOpt = "year",
    industry_code: IndustryOpt = "_T", region_level: LevelOpt = None, table_ref: TableOpt = None,
) -> None:
    """Growth-accounting TFP (Solow residual) by region and year."""
    from agglomera.evaluate import tfp

    try:
        share: float | str = float(capital_share)
    except ValueError:
        share = capital_share
    metrics = [output, labour] + [c for c in (capital, investment) if c] + (
        [share] if isinstance(share, str) else [])
    frame, rcol, ycol, _, desc = load_frame(
        input, db, metrics, region_column=region_column, year_column=year_column,
        year=None, industry_code=industry_code, region_level=region_level, table_ref=table_ref)
    if ycol is None:
        raise SchemaError("TFP growth needs a panel: a year column")
    res = tfp(frame, output=output, labour=labour, capital_share=share, capital=capital,
              investment=investment, depreciation=depreciation, region=rcol, year=ycol)
    table = res.to_frame()
    console = Console(soft_wrap=True)
    if out is not None:
        write_tables(out, {"tfp": table})
        console.print(f"TFP: {len(table):,} rows written to {out}", markup=False,
                      highlight=False)
    store_result(db, "evaluate.tfp", table,
                 params={"output": output, "labour": labour, "capital": capital,
                         "investment": investment, "depreciation": depreciation,
                         "capital_share": share}, desc=desc,
                 columns={"region": "region_code", "year": "year"}, console=console)
    show(table, "TFP 全要素生产率 (Solow residual)", console)


def scorecard_cmd(
    indicators: Annotated[list[str], typer.Option("--indicators", "-i", help="Indicators with polarity: gdp:higher,energy:lower.")],
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None,
    polarity: Annotated[list[str] | None, typer.Option("--polarity", help="indicator=higher|lower (repeatable).")] = None,
    normalise: Annotated[str, typer.Option("--normalise")] = "minmax",
    weights: Annotated[str, typer.Option("--weights", help="equal, entropy, critic, pca, ahp:FILE or a=0.5,b=0.5.")] = "equal",
    aggregate: Annotated[str, typer.Option("--aggregate")] = "linear",
    monte_carlo: Annotated[int, typer.Option("--monte-carlo")] = 0,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    top: Annotated[int, typer.Option("--top", help="Units shown for the latest year.")] = 10,
    region_column: RegionColOpt = "region", year_column: YearColOpt = "year",
    industry_code: IndustryOpt = "_T", region_level: LevelOpt = None, table_ref: TableOpt = None,
    missing: Annotated[str, typer.Option(help="raise or omit units with missing values.")] = "raise",
) -> None:
    """Annual ranking of zones or cities with the evidence behind every score (评价排名)."""
    from agglomera.evaluate import scorecard

    names, pol = parse_indicators(indicators, polarity)
    require_polarity(names, pol)
    frame, rcol, ycol, prov, desc = load_frame(
        input, db, names, region_column=region_column, year_column=year_column,
        year=None, industry_code=industry_code, region_level=region_level, table_ref=table_ref)
    w = parse_weights([weights], names)[0]
    with Notes():
        sc = scorecard(frame, indicators=names, polarity=pol, region=rcol, year=ycol,
                       name_column="region_name" if "region_name" in frame.columns
                       else None, normalise=normalise, weights=w, aggregate=aggregate,
                       monte_carlo=monte_carlo, seed=seed, missing=missing)
    evidence = _attach_provenance(sc.evidence, prov, None)
    console = Console(soft_wrap=True)
    if out is not None:
        write_tables(out, {"scorecard": sc.table, "evidence": evidence})
        console.print(f"scorecard: {len(sc.table):,} rows written to {out}", markup=False,
                      highlight=False)
    ev = evidence.rename(columns={"indicator": "industry_code"})
    stored = [sc.table.drop(columns=[c for c in ("name",) if c in sc.table]),
              ev[[c for c in ("year", "region", "industry_code", "raw_value",
                              "normalised", "weight", "contribution") if c in ev.columns]]]
    store_result(db, "evaluate.scorecard", stored,
                 params={"indicators": pol, "normalise": normalise, "weights": weights,
                         "aggregate": aggregate}, desc=desc,
                 columns={"region": "region_code", "industry_code": "industry_code",
                          "year": "year"}, console=console)
    show(sc.top(top), "Scorecard 评价排名 (latest year)", console)


def benchmark_cmd(
    region: Annotated[str, typer.Option("--region", help="Code or name of the region to assess.")],
    against: Annotated[str, typer.Option("--against", help="Code or name of the advanced region (comma-separated for several), or auto[:k] for the k structural peers.")],
    indicators: Annotated[list[str] | None, typer.Option("--indicators", "-i", help="Indicators with polarity: gdp:higher,energy:lower.")] = None,
    polarity: Annotated[list[str] | None, typer.Option("--polarity", help="indicator=higher|lower (repeatable).")] = None,
    template: Annotated[str | None, typer.Option("--template", help="five_accounts (bundled) or a template YAML.")] = None,
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None,
    structure: Annotated[Path | None, typer.Option("--structure", help="Region x industry table for auto peers (wide: first column regions; or long: region, industry, value).")] = None,
    structure_metric: Annotated[str | None, typer.Option("--structure-metric", help="With --db: metric whose industry mix defines structure (e.g. employment).")] = None,
    at_year: Annotated[int | None, typer.Option("--at-year", help="Comparison year (default the latest common year).")] = None,
    growth_years: Annotated[int, typer.Option("--growth-years", help="Window of the growth rates.")] = 5,
    region_column: RegionColOpt = "region", year_column: YearColOpt = "year",
    industry_code: IndustryOpt = "_T", region_level: LevelOpt = None, table_ref: TableOpt = None,
) -> None:
    """Gap of a region to an advanced region or to its structural peers (对标分析)."""
    from agglomera.evaluate import benchmark_gap, five_accounts_template

    names, pol = parse_indicators(indicators, polarity)
    if template is None:
        require_polarity(names, pol)
    metrics = list(names)
    if template is not None and input is None:
        t = five_accounts_template(None if template == "five_accounts" else template)
        metrics = sorted(set(metrics) | set(t["id"]) | set(t["numerator"].dropna())
                         | set(t["denominator"].dropna()))
    frame, rcol, ycol, _, desc = _load_some(input, db, metrics, region_column, year_column,
                                            industry_code, region_level, table_ref)
    struct = None
    if against.strip().lower().startswith("auto"):
        struct = _structure(structure, db, structure_metric, region_level)
    with Notes():
        res = benchmark_gap(frame, region=region,
                            against=against if "," not in against else against.split(","),
                            indicators=names or None, polarity=pol or None,
                            template=template, region_column=rcol,
                            name_column="region_name" if "region_name" in frame.columns
                            else None, year=ycol, at_year=at_year, structure=struct,
                            growth_years=growth_years)
    table = res.to_frame()
    console = Console(soft_wrap=True)
    console.print(f"{res.region} against {', '.join(res.peers)}"
                  + (f" (structural peers, cosine {', '.join(f'{v:.3f}' for v in res.similarity)})"
                     if len(res.similarity) else ""), markup=False, highlight=False)
    if out is not None:
        write_tables(out, {"gaps": table, "over_time": res.over_time,
                           "peers": res.per_peer.reset_index()})
        console.print(f"benchmark: {len(table)} indicators written to {out}", markup=False,
                      highlight=False)
    stored = table.rename(columns={"indicator": "industry_code", "value": "region_value",
                                   "benchmark": "benchmark_value"}).drop(
        columns=[c for c in ("benchmark_regions", "name_zh", "name_en", "account", "polarity")
                 if c in table.columns])
    stored["behind"] = stored["behind"].astype(float)
    store_result(db, "benchmark.gap", stored,
                 params={"region": res.region, "against": list(res.peers),
                         "template": template, "growth_years": growth_years},
                 desc=desc, columns={"region": "region_code",
                                     "industry_code": "industry_code", "year": "year"},
                 console=console)
    cols = [c for c in ("indicator", "account", "year", "value", "benchmark", "relative_gap",
                        "years_to_close") if c in table.columns]
    show(table[cols], "Gap to benchmark 差距 (all columns with --out)", console, rows=40)


def _load_some(input: Path | None, db: Path | None, metrics: list[str], rc: str, yc: str,
               industry_code: str, region_level: list[str] | None,
               table_ref: list[str] | None = None):
    """Like load_frame, but with --db only the metrics the database has are read."""
    if input is None and db is not None and metrics:
        from agglomera.store import open_store

        if not db.exists():
            raise SchemaError(f"no database at {db}")
        with open_store(db, read_only=True) as st:
            have = {r[0] for r in st.con.execute(
                "SELECT DISTINCT metric FROM observations").fetchall()}
        metrics = [m for m in metrics if m in have] or metrics
    return load_frame(input, db, metrics, region_column=rc, year_column=yc, year=None,
                      industry_code=industry_code, region_level=region_level,
                      table_ref=table_ref)


def _structure(path: Path | None, db: Path | None, metric: str | None,
               region_level: list[str] | None) -> pd.DataFrame:
    if path is not None:
        s = read_table(path)
        cols = [c.lower() for c in map(str, s.columns)]
        if {"industry", "value"} <= set(cols) and len(s.columns) in (3, 4):
            s.columns = cols
            rc = next(c for c in cols if c not in ("industry", "value", "year"))
            if "year" in cols:
                s = s[s["year"] == s["year"].max()]
            return s.pivot_table(index=rc, columns="industry", values="value", aggfunc="sum")
        s = s.set_index(s.columns[0])
        s.index = s.index.astype(str)
        return s
    if db is not None and metric:
        from agglomera.store import open_store

        levels = region_level or ["province", "prefecture", "county", "zone"]
        with open_store(db, read_only=True) as st:
            long = st.con.execute(
                "SELECT region_code, industry_code, year, value FROM observations WHERE "
                "metric = ? AND industry_code <> '_T' AND value IS NOT NULL AND "
                f"region_level IN ({', '.join('?' * len(levels))})",
                [metric, *levels]).df()
        if long.empty:
            raise SchemaError(f"no industry breakdown of {metric!r} in {db}")
        long = long[long["year"] == long["year"].max()]
        return long.pivot_table(index="region_code", columns="industry_code",
                                values="value", aggfunc="sum", fill_value=0.0)
    raise SchemaError("--against auto needs the industry structure: --structure FILE, or "
                      "--db with --structure-metric METRIC")


def evaluate_callback(
    ctx: typer.Context,
    indicators: Annotated[list[str] | None, typer.Option("--indicators", "-i", help="Composite index straight away: indicators with polarity, gdp:higher,energy:lower (same options as 'evaluate composite').")] = None,
    input: InputOpt = None, db: DbOpt = None, out: OutOpt = None,
    polarity: Annotated[list[str] | None, typer.Option("--polarity", help="indicator=higher|lower (repeatable).")] = None,
    normalise: Annotated[list[str] | None, typer.Option("--normalise", help="minmax, zscore, distance, vector (repeatable).")] = None,
    weights: Annotated[list[str] | None, typer.Option("--weights", help="equal, entropy, critic, pca, ahp:MATRIX.csv or a=0.6,b=0.4 (repeatable).")] = None,
    aggregate: Annotated[list[str] | None, typer.Option("--aggregate", help="linear, geometric, topsis (repeatable).")] = None,
    monte_carlo: Annotated[int, typer.Option("--monte-carlo", help="Random draws (0: none).")] = 0,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    year: YearOpt = None, region_column: RegionColOpt = "region",
    year_column: YearColOpt = "year", industry_code: IndustryOpt = "_T",
    region_level: LevelOpt = None, table_ref: TableOpt = None,
    missing: Annotated[str, typer.Option(help="raise or omit units with missing values.")] = "raise",
) -> None:
    """Performance evaluation 绩效评价: composite indices (also directly: agglomera
    evaluate --input FILE -i ...), DEA, Malmquist, TFP, scorecards."""
    if ctx.invoked_subcommand is not None:
        if indicators or input or db or out:
            raise SchemaError(f"give the options after the command: agglomera evaluate "
                              f"{ctx.invoked_subcommand} --input ...")
        return
    if not indicators:
        Console(soft_wrap=True).print(ctx.get_help(), markup=False, highlight=False)
        raise typer.Exit(0)
    composite_cmd(indicators=indicators, input=input, db=db, out=out, polarity=polarity,
                  normalise=normalise, weights=weights, aggregate=aggregate,
                  monte_carlo=monte_carlo, seed=seed, year=year,
                  region_column=region_column, year_column=year_column,
                  industry_code=industry_code, region_level=region_level, table_ref=table_ref, missing=missing)


def register(app: typer.Typer, friendly) -> None:
    """Add ``evaluate`` (composite, dea, malmquist, tfp, scorecard) and ``benchmark``."""
    ev = typer.Typer(no_args_is_help=True)
    ev.callback(invoke_without_command=True)(friendly(evaluate_callback))
    ev.command("composite")(friendly(composite_cmd))
    ev.command("dea")(friendly(dea_cmd))
    ev.command("malmquist")(friendly(malmquist_cmd))
    ev.command("tfp")(friendly(tfp_cmd))
    ev.command("scorecard")(friendly(scorecard_cmd))
    app.add_typer(ev, name="evaluate")
    app.command("benchmark")(friendly(benchmark_cmd))
