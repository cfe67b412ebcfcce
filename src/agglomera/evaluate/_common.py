"""Input checks shared by the evaluation functions (validation at the public boundary)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from agglomera.errors import MissingValueWarning, SchemaError

HIGHER = ("higher", "+", "max", "benefit", "positive")
LOWER = ("lower", "-", "min", "cost", "negative")


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SchemaError(f"`{name}` must be one of {', '.join(map(repr, allowed))}; "
                          f"got {value!r}")
    return value


def as_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    if value is None:
        raise SchemaError(f"`{name}` is required: name the columns to use")
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    out = [str(v) for v in value]
    if not out:
        raise SchemaError(f"`{name}` names no column")
    if len(set(out)) != len(out):
        dup = sorted({v for v in out if out.count(v) > 1})
        raise SchemaError(f"`{name}` names {', '.join(dup)} twice")
    return out


def check_columns(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame with one row per unit; got "
                          f"{type(frame).__name__}")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} column(s) {', '.join(map(repr, missing))} not found; "
                          f"the data has {', '.join(map(str, frame.columns))}")


def polarity_vector(polarity: object, indicators: Sequence[str]) -> np.ndarray:
    """+1 (higher is better) / -1 (lower is better) for each indicator; explicit only."""
    if polarity is None:
        raise SchemaError("`polarity` is required: say for every indicator whether higher "
                          "or lower is better, e.g. {'gdp': 'higher', 'energy': 'lower'}")
    if isinstance(polarity, str):
        polarity = [polarity] * len(indicators) if len(indicators) == 1 else polarity
    if isinstance(polarity, Mapping):
        missing = [i for i in indicators if i not in polarity]
        if missing:
            raise SchemaError(f"`polarity` does not say whether higher or lower is better "
                              f"for {', '.join(missing)}")
        values = [polarity[i] for i in indicators]
    elif isinstance(polarity, str):
        raise SchemaError("`polarity` must be a mapping indicator -> 'higher'|'lower' or a "
                          f"list with one entry per indicator; got {polarity!r}")
    else:
        values = list(polarity)  # type: ignore[call-overload]
        if len(values) != len(indicators):
            raise SchemaError(f"`polarity` has {len(values)} entries but there are "
                              f"{len(indicators)} indicators")
    out = np.empty(len(indicators))
    for k, (ind, v) in enumerate(zip(indicators, values)):
        s = str(v).strip().lower() if not isinstance(v, (int, float)) else v
        if s in HIGHER or s == 1:
            out[k] = 1.0
        elif s in LOWER or s == -1:
            out[k] = -1.0
        else:
            raise SchemaError(f"polarity of {ind!r} must be 'higher' or 'lower' (or +1/-1); "
                              f"got {v!r}")
    return out


def unit_labels(frame: pd.DataFrame, region: str | None) -> pd.Index:
    if region is None:
        labels = frame.index
    else:
        check_columns(frame, [region], "region")
        labels = pd.Index(frame[region])
    if labels.hasnans:
        raise SchemaError("some units have no label (missing region codes)")
    if labels.has_duplicates:
        dup = labels[labels.duplicated()].unique()[:5]
        raise SchemaError(f"units must be unique; {', '.join(map(str, dup))} appear more "
                          "than once (filter one year, or use scorecard(..., year=) for a "
                          "panel)")
    return labels.astype(str) if labels.dtype == object else labels


def numeric_block(frame: pd.DataFrame, cols: Sequence[str], *, missing: str,
                  what: str = "indicator") -> tuple[np.ndarray, np.ndarray]:
    """Float matrix of ``cols`` and a boolean mask of the rows kept.

    ``missing="raise"`` refuses missing values; ``"omit"`` drops the rows that have one
    and warns (MissingValueWarning) with their number. Never fills.
    """
    check_choice("missing", missing, ("raise", "omit"))
    block = frame[list(cols)]
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(block[c])
           or pd.api.types.is_bool_dtype(block[c])]
    if bad:
        conv = block[bad].apply(pd.to_numeric, errors="coerce")
        nonnum = [c for c in bad if (conv[c].isna() & block[c].notna()).any()]
        if nonnum:
            raise SchemaError(f"{what} column(s) {', '.join(nonnum)} hold non-numeric "
                              "values; expected numbers")
        block = block.assign(**{c: conv[c] for c in bad})
    x = block.to_numpy(dtype=float)
    if np.isinf(x).any():
        cols_inf = [c for k, c in enumerate(cols) if np.isinf(x[:, k]).any()]
        raise SchemaError(f"{what} column(s) {', '.join(cols_inf)} hold infinite values")
    nan_rows = np.isnan(x).any(axis=1)
    if nan_rows.any():
        cols_nan = [c for k, c in enumerate(cols) if np.isnan(x[:, k]).any()]
        if missing == "raise":
            raise SchemaError(f"{int(nan_rows.sum())} unit(s) have missing values in "
                              f"{', '.join(cols_nan)}; pass missing='omit' to leave those "
                              "units out (they are never filled with zero)")
        warnings.warn(f"{int(nan_rows.sum())} unit(s) with missing values in "
                      f"{', '.join(cols_nan)} were left out", MissingValueWarning,
                      stacklevel=3)
    return x[~nan_rows], ~nan_rows


def rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
