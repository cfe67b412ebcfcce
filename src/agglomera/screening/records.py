"""Enterprise records for screening: read, normalise and validate firm-year rows.

Input is one row per firm and fiscal year: ``firm_id``, ``fiscal_year`` and fields named
after the rule sets' metrics (English names or the Chinese aliases of
:mod:`agglomera.screening.fields`). Problems are collected and reported together, each
naming the firm, the fiscal year and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.screening.fields import DESCRIPTIVE, FIELDS, canonical

MONEY_UNITS = {"yuan": 1.0, "10k-yuan": 10_000.0}
MISSING = {"", "-", "—", "–", "na", "n/a", "nan", "none", "null", "…", "..."}
TRUE = {"true", "1", "1.0", "yes", "y", "t", "是", "有", "√"}
FALSE = {"false", "0", "0.0", "no", "n", "f", "否", "无", "×"}
MAX_LISTED = 20


class _Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []
        self.count = 0

    def add(self, firm, year, field: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_LISTED:
            label = _label(field)
            year_txt = f", fiscal year {int(year)}" if year is not None and not pd.isna(year) else ""
            self.items.append(f"firm {firm}{year_txt}, field {label}: {message}")

    def raise_if_any(self) -> None:
        if self.count:
            more = f"\n... and {self.count - len(self.items)} more" \
                if self.count > len(self.items) else ""
            raise SchemaError(f"{self.source}: {self.count} problem(s) in the enterprise "
                              "records:\n" + "\n".join(self.items) + more)


def _label(field: str) -> str:
    f = FIELDS.get(field)
    return f"'{field}' ({f.zh})" if f else f"'{field}'"


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def _is_missing(s: pd.Series) -> pd.Series:
    t = _text(s)
    return s.isna() | t.str.lower().isin(MISSING).fillna(True)


def _add_bad(problems, frame, mask, field, message_fn):
    if not mask.any():
        return
    idx = np.flatnonzero(np.asarray(mask))
    firms = frame["firm_id"].to_numpy()
    years = frame["fiscal_year"].to_numpy()
    for i in idx[:MAX_LISTED]:
        problems.add(firms[i], years[i], field, message_fn(i))
    problems.count += max(0, len(idx) - MAX_LISTED)


def normalise_records(frame: pd.DataFrame, *, money_unit: str = "yuan",
                      source: str = "input") -> pd.DataFrame:
    """Canonical columns, numbers in yuan, booleans as 1.0/0.0, dates as days since 1970.

    Missing values stay missing (NaN); they make a criterion 'unknown', never 'fail'.

    Raises
    ------
    SchemaError
        Unknown money unit, no firm or year column, duplicate firm-years, text in a
        numeric field, a negative count or amount, a share above 100 % (e.g. S&T
        personnel above total employees), with the firm, the year and the field named.
    """
    if money_unit not in MONEY_UNITS:
        raise SchemaError(f"money unit must be one of {', '.join(MONEY_UNITS)}; "
                          f"got {money_unit!r}")
    rename: dict[str, str] = {}
    for col in frame.columns:
        c = canonical(str(col))
        if c is None:
            continue
        if c in rename.values():
            other = next(k for k, v in rename.items() if v == c)
            raise SchemaError(f"{source}: columns {other!r} and {col!r} both mean "
                              f"{c!r}; keep one")
        rename[col] = c
    for key in ("firm_id", "fiscal_year"):
        if key not in rename.values():
            raise SchemaError(f"{source}: no {key!r} column (one row per firm and fiscal "
                              f"year; headers found: {', '.join(map(str, frame.columns))})")
    df = frame[list(rename)].rename(columns=rename)
    problems = _Problems(source)
    out = pd.DataFrame(index=df.index)
    out["firm_id"] = _ids(df["firm_id"])
    no_id = pd.isna(out["firm_id"]) | (out["firm_id"].astype(str) == "")
    if no_id.any():
        rows = np.flatnonzero(no_id.to_numpy())[:5] + 2
        raise SchemaError(f"{source}: firm_id is empty on row(s) {', '.join(map(str, rows))}")
    out["fiscal_year"] = df["fiscal_year"]
    fy = pd.to_numeric(df["fiscal_year"], errors="coerce")
    bad = fy.isna() | (fy != np.floor(fy))
    _add_bad(problems, pd.DataFrame({"firm_id": out["firm_id"], "fiscal_year": None}),
             bad, "fiscal_year",
             lambda i: f"{df['fiscal_year'].iloc[i]!r} is not a year")
    problems.raise_if_any()
    out["fiscal_year"] = fy.astype("int64")
    dup = out.duplicated(["firm_id", "fiscal_year"])
    if dup.any():
        _add_bad(problems, out, dup, "fiscal_year",
                 lambda i: "appears twice (one row per firm and fiscal year)")
        problems.raise_if_any()
    for c in DESCRIPTIVE:
        if c in df.columns:
            out[c] = _text(df[c])
    scale = MONEY_UNITS[money_unit]
    for name in [c for c in df.columns if c in FIELDS]:
        f = FIELDS[name]
        s = df[name]
        if f.kind == "category":
            out[name] = _categories(s)
            continue
        if f.kind == "boolean":
            out[name] = _booleans(s, name, out, problems)
            continue
        if f.kind == "date":
            out[name] = _dates(s, name, out, problems)
            continue
        v = _numbers(s, name, out, problems)
        if f.kind == "money" and scale != 1.0:
            v = v * scale
        negative = v < 0
        if name != "net_profit" and negative.any():
            _add_bad(problems, out, negative, name,
                     lambda i, v=v, f=f: f"{v.iloc[i] / (scale if f.kind == 'money' else 1):g} is "
                                    "negative; amounts and counts cannot be below zero")
        if f.kind == "percent":
            over = v > 100
            _add_bad(problems, out, over, name,
                     lambda i, v=v: f"{v.iloc[i]:g} % is above 100 %")
        if f.kind == "rank":
            v = v.where(v != 0, np.inf)  # 0 = no award / not ranked
        out[name] = v
    for name, f in FIELDS.items():
        if f.at_most and name in out.columns and f.at_most in out.columns:
            a, b = out[name], out[f.at_most]
            over = a > b * (1 + 1e-9) + 1e-9
            _add_bad(problems, out, over, name,
                     lambda i, a=a, b=b, f=f: f"{a.iloc[i]:g} is above "
                     f"{_label(f.at_most)} {b.iloc[i]:g} (a share above 100 %)")
    problems.raise_if_any()
    return out


def _ids(s: pd.Series) -> pd.Series:
    """Firm ids as text, stripped; integer ids are kept as they are."""
    if pd.api.types.is_integer_dtype(s):
        return s
    codes, uniques = pd.factorize(s)
    clean = pd.Index(uniques).astype(str).str.strip().to_numpy(dtype=object)
    out = np.take(clean, codes) if len(clean) else np.array([], dtype=object)
    out = np.where(codes < 0, None, out)
    return pd.Series(out, index=s.index, dtype=object)


def _categories(s: pd.Series) -> pd.Categorical:
    """Category text, stripped; missing markers become missing."""
    codes, uniques = pd.factorize(s)
    clean = [str(u).strip() for u in uniques]
    keep = [u.lower() not in MISSING for u in clean]
    cats = sorted({u for u, k in zip(clean, keep) if k})
    lut = np.array([cats.index(u) if k else -1 for u, k in zip(clean, keep)] + [-1],
                   dtype=np.int64)
    return pd.Categorical.from_codes(lut[codes], categories=cats)


def _numbers(s: pd.Series, name, out, problems) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    missing = _is_missing(s)
    t = _text(s).str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    v = pd.to_numeric(t.where(~missing, None), errors="coerce").astype("float64")
    bad = v.isna() & ~missing
    _add_bad(problems, out, bad, name,
             lambda i: f"{s.iloc[i]!r} is not a number")
    return v


def _booleans(s: pd.Series, name, out, problems) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        bad = ~(s.isna() | s.isin([0, 1]))
        _add_bad(problems, out, bad, name,
                 lambda i: f"{s.iloc[i]!r} is not yes/no (use true/false, 1/0, 是/否)")
        return s.astype("float64").where(~bad)
    t = _text(s).str.lower()
    missing = _is_missing(s)
    v = pd.Series(np.nan, index=s.index)
    v[t.isin(TRUE).fillna(False)] = 1.0
    v[t.isin(FALSE).fillna(False)] = 0.0
    bad = v.isna() & ~missing
    _add_bad(problems, out, bad, name,
             lambda i: f"{s.iloc[i]!r} is not yes/no (use true/false, 1/0, 是/否)")
    return v


def _dates(s: pd.Series, name, out, problems) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return ((s - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).astype("float64")
    missing = _is_missing(s)
    d = pd.to_datetime(_text(s).where(~missing, None), errors="coerce", format="mixed")
    bad = d.isna() & ~missing
    _add_bad(problems, out, bad, name,
             lambda i: f"{s.iloc[i]!r} is not a date (use YYYY-MM-DD)")
    days = (d - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return days.astype("float64")


def read_records(path: Path, *, money_unit: str = "yuan", sheet: str | None = None
                 ) -> pd.DataFrame:
    """Read firm-year rows from a CSV (UTF-8 or GB18030 detected) or Excel file."""
    from agglomera.ingest.readers import detect_encoding, sniff_kind

    path = Path(path)
    if not path.exists():
        raise SchemaError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise SchemaError(f"{path}: the file is empty; expected firm-year rows with a "
                          "header line (docs/enterprise-fields.md)")
    kind = sniff_kind(path)
    if kind in ("xlsx", "xls"):
        frame = pd.read_excel(path, dtype=str, sheet_name=sheet or 0)
    elif kind in ("csv", "tsv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                            sep="\t" if kind == "tsv" else ",",
                            encoding=detect_encoding(path, kind))
    elif kind == "parquet":
        frame = pd.read_parquet(path)
    else:
        raise SchemaError(f"{path}: expected a CSV, Excel or Parquet file (found {kind})")
    return normalise_records(frame, money_unit=money_unit, source=str(path))


def records_from_db(db: Path, *, money_unit: str = "yuan") -> pd.DataFrame:
    """Firm-year rows from the ``enterprises`` view of an agglomera database.

    ``enterprise_id`` becomes ``firm_id`` and ``year`` ``fiscal_year``; metrics come from
    columns of the view or from keys of its ``attributes`` JSON (English names or Chinese
    aliases). ``revenue`` is used as ``operating_revenue`` and ``employment`` as
    ``total_employees`` when the attributes do not give them.
    """
    from agglomera.store import open_store

    db = Path(db)
    if not db.exists():
        raise SchemaError(f"{db}: no such database")
    with open_store(db, read_only=True) as store:
        return records_from_connection(store.con, money_unit=money_unit, source=str(db))


def records_from_connection(con, *, money_unit: str = "yuan", source: str = "database"
                            ) -> pd.DataFrame:
    """Like :func:`records_from_db`, on an open DuckDB connection or cursor (the web
    server reads through its own cursor)."""
    frame = con.execute(
        "SELECT enterprise_id, name, region_code, industry_code, year, employment, "
        "revenue, CAST(attributes AS VARCHAR) AS attributes FROM enterprises").fetchdf()
    if frame.empty:
        raise SchemaError(f"{source}: the enterprises view is empty; import an enterprise "
                          "list with 'agglomera import FILE --kind enterprises'")
    attrs = pd.DataFrame([json.loads(a) if isinstance(a, str) and a else {}
                          for a in frame["attributes"]], index=frame.index)
    base = frame.drop(columns=["attributes"]).rename(
        columns={"enterprise_id": "firm_id", "year": "fiscal_year"})
    mapped = {c: canonical(str(c)) for c in attrs.columns}
    attrs = attrs[[c for c, m in mapped.items() if m and m in FIELDS]]
    attrs = attrs.rename(columns={c: mapped[c] for c in attrs.columns})
    if "operating_revenue" not in attrs.columns:
        attrs["operating_revenue"] = base["revenue"]
    if "total_employees" not in attrs.columns:
        attrs["total_employees"] = base["employment"]
    combined = pd.concat([base.drop(columns=["revenue", "employment"]), attrs], axis=1)
    return normalise_records(combined, money_unit=money_unit, source=source)
