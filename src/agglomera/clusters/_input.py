"""One conversion of the user's region x cluster table into canonical columns.

Every rating function calls :func:`prepare` once at its public boundary; the flag
computations after it work on the canonical columns ``region``, ``cluster``, ``year``,
``employment``, ``establishments``, ``lq``, ``traded`` and ``value``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from agglomera.errors import MissingValueWarning, SchemaError

MISSING_POLICIES = ("warn", "raise")

_TRUE = {"true", "t", "yes", "y", "1", "traded", "是"}
_FALSE = {"false", "f", "no", "n", "0", "local", "否"}


def parse_traded(col: pd.Series, name: str) -> pd.Series:
    """Booleans from True/False, 1/0, yes/no or the CMP's 'Traded'/'Local'."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype(bool)
    text = col.astype("string").str.strip().str.lower()
    bad = text[~text.isin(_TRUE | _FALSE) | text.isna()]
    if len(bad):
        examples = ", ".join(repr(v) for v in bad.astype(object).unique()[:5])
        raise SchemaError(
            f"column {name!r} (traded) must hold true/false, 1/0 or Traded/Local; "
            f"got {len(bad)} other values, e.g. {examples}"
        )
    return text.isin(_TRUE).astype(bool)


def _numeric(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    col = frame[name]
    if pd.api.types.is_bool_dtype(col):
        raise SchemaError(f"column {name!r} ({what}) must be numeric; got booleans")
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna() & col.notna() & (col.astype("string").str.strip() != "")
    if bad.any():
        examples = ", ".join(repr(v) for v in col[bad].astype(object).unique()[:5])
        raise SchemaError(
            f"column {name!r} ({what}) has {int(bad.sum())} non-numeric values, "
            f"e.g. {examples}"
        )
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        raise SchemaError(f"column {name!r} ({what}) has infinite values")
    if (arr[~np.isnan(arr)] < 0).any():
        n = int((arr < 0).sum())
        raise SchemaError(
            f"column {name!r} ({what}) has {n} negative values; expected counts >= 0"
        )
    return arr


def prepare(
    frame: object,
    *,
    region: str,
    cluster: str,
    employment: str | None,
    establishments: str | None = None,
    lq: str | None = None,
    traded: str | None = None,
    year: str | None = None,
    value: str | None = None,
    missing: str = "warn",
    func: str = "rate",
) -> pd.DataFrame:
    """Check the user's table and return it with canonical column names.

    Rows whose measured values are missing keep NaN (never 0); with ``missing="warn"``
    a :class:`MissingValueWarning` names how many, with ``"raise"`` a SchemaError.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(
            f"{func}() expects a long DataFrame (one row per region x cluster); "
            f"got {type(frame).__name__}"
        )
    if missing not in MISSING_POLICIES:
        raise SchemaError(
            f"`missing` must be one of {', '.join(map(repr, MISSING_POLICIES))}; "
            f"got {missing!r}"
        )
    wanted = {"region": region, "cluster": cluster, "employment": employment,
              "establishments": establishments, "lq": lq, "traded": traded,
              "year": year, "value": value}
    absent = [f"{role}={col!r}" for role, col in wanted.items()
              if col is not None and col not in frame.columns]
    if absent:
        have = ", ".join(map(repr, map(str, frame.columns)))
        raise SchemaError(
            f"{func}(): the table has no column for {', '.join(absent)}; "
            f"its columns are {have}"
        )
    if frame.empty:
        raise SchemaError(f"{func}(): the table has no rows")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for role in ("region", "cluster"):
        col = frame[wanted[role]]
        if col.isna().any():
            raise SchemaError(
                f"column {wanted[role]!r} ({role}) has {int(col.isna().sum())} missing "
                "values; every row needs a region and a cluster"
            )
        out[role] = col.astype(str).to_numpy()
    if year is not None:
        years = pd.to_numeric(frame[year], errors="coerce")
        if years.isna().any():
            raise SchemaError(
                f"column {year!r} (year) has {int(years.isna().sum())} missing or "
                "non-numeric values"
            )
        out["year"] = years.astype("int64").to_numpy()
    keys = ["region", "cluster"] + (["year"] if year is not None else [])
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        first = out.loc[dup, keys].iloc[0].to_dict()
        raise SchemaError(
            f"{int(dup.sum())} rows repeat a {' x '.join(keys)} key (first: {first}); "
            "aggregate them to one row per key before rating"
        )
    for role, what in (("employment", "employment"), ("establishments", "establishments"),
                       ("lq", "location quotient"), ("value", "value")):
        if wanted[role] is not None:
            out[role] = _numeric(frame, wanted[role], what)
    if traded is not None:
        out["traded"] = parse_traded(frame[traded].reset_index(drop=True), traded).to_numpy()
    # integer codes of the keys, so that repeated ratings (stability) need not
    # factorize strings again; used by rating._group_codes, never written out
    for k in keys:
        out[f"_{k}_code"] = pd.factorize(out[k])[0]
    measured = [r for r in ("employment", "establishments", "lq", "value") if r in out]
    n_missing = {r: int(out[r].isna().sum()) for r in measured if out[r].isna().any()}
    if n_missing:
        text = ", ".join(f"{wanted[r]!r} ({r}): {n}" for r, n in n_missing.items())
        if missing == "raise":
            raise SchemaError(f"{func}(): missing values in {text}; fill or drop them")
        warnings.warn(
            f"{func}(): missing values in {text}; those rows get no flags (NA) and are "
            "left out of the percentiles and totals, never counted as 0",
            MissingValueWarning, stacklevel=3,
        )
    return out


def group_quantile(values: np.ndarray, groups: np.ndarray, mask: np.ndarray,
                   q: float | tuple[float, ...]) -> np.ndarray | list[np.ndarray]:
    r"""Per row, the ``q``-quantile (linear interpolation, numpy/Hyndman-Fan type 7)
    of ``values`` among the rows of its group where ``mask`` holds; NaN for a group
    with no such row. ``groups`` are integer codes 0..G-1. A tuple ``q`` gives a list
    of arrays (one sort for all).

    With the group's sorted values :math:`x_{(0)} \le \dots \le x_{(n-1)}`,
    :math:`h = (n-1)q` and :math:`Q = x_{(\lfloor h \rfloor)} + (h - \lfloor h
    \rfloor)(x_{(\lfloor h \rfloor + 1)} - x_{(\lfloor h \rfloor)})`.
    """
    qs = (q,) if np.isscalar(q) else tuple(q)
    groups = np.asarray(groups, dtype=np.int64)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    outs = []
    if not mask.any():
        outs = [np.full(len(values), np.nan) for _ in qs]
        return outs[0] if np.isscalar(q) else outs
    v, g = values[mask], groups[mask]
    first = np.argsort(v)
    order = first[np.argsort(g[first], kind="stable")]
    v_sorted = v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    for qq in qs:
        h = (counts[has] - 1) * qq
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, counts[has] - 1)
        a = v_sorted[starts[has] + lo]
        b = v_sorted[starts[has] + hi]
        per_group = np.full(n_groups, np.nan)
        per_group[has] = a + (h - lo) * (b - a)
        outs.append(per_group[groups])
    return outs[0] if np.isscalar(q) else outs
