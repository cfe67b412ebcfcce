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
