r"""Concentration and inequality: Hoover, locational Gini, Gini, Theil, Atkinson, CV.

Two groups of measures live here.

* **Spatial concentration of an industry** (region x industry data, one value per
  industry): :func:`hoover_concentration` and :func:`locational_gini` compare an
  industry's distribution across regions with a reference distribution (total
  employment by default, or a per-region weight such as population or area).
* **Inequality of a regional variable** (e.g. GDP per capita): :func:`gini`,
  :func:`theil`, :func:`atkinson`, :func:`coefficient_of_variation`,
  :func:`williamson` and :func:`lorenz_curve`. They take a 1-D vector, a long frame with
  ``value=`` (and ``year=`` for one result per year), or region x industry data, for
  which they return one value per industry, measuring inequality *across regions*.

Conventions (scales, weights, missing values) are in docs/conventions.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import xlogy

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures._core import shares_within_industry
from agglomera.measures._input import RegionIndustry, as_region_industry
from agglomera.measures._input import check_choice as _choice
from agglomera.measures._registry import (
    BOUNDED_0_1,
    NONNEGATIVE,
    PERMUTATION_EQUIVARIANT,
    SCALE_INVARIANT,
    register,
)

__all__ = [
    "LocationalGiniResult",
    "LorenzCurveResult",
    "TheilResult",
    "atkinson",
    "coefficient_of_variation",
    "gini",
    "hoover_concentration",
    "locational_gini",
    "lorenz_curve",
    "theil",
    "williamson",
]

VALUE_MISSING = ("warn", "omit", "zero", "raise", "propagate")



# ---------------------------------------------------------------------------------------
# Input for the inequality family: vector, long frame with value=, or region x industry
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Values:
    """Values (T, R, I) with NaN = left out, weights broadcastable to it (or None)."""

    y: np.ndarray
    w: np.ndarray | None
    nan_out: np.ndarray | None  # (T, I): result forced to NaN (missing="propagate")
    ri: RegionIndustry
    vector: bool  # one result per year (True) or per industry (False)
    codes: np.ndarray | None  # (T, R) group codes
    group_labels: pd.Index | None

    def out(self, arr: np.ndarray, name: str):
        arr = np.asarray(arr, dtype=float)
        if self.nan_out is not None:
            arr = np.where(self.nan_out, np.nan, arr)
        if self.vector:
            return self.ri.per_year(arr[:, 0], name)
        return self.ri.per_industry(arr, name)


def _check_numbers(arr: np.ndarray, what: str, *, allow_nan: bool = True) -> None:
    if np.isinf(arr).any():
        raise SchemaError(f"{what} contains infinite values")
    if (arr < 0).any():
        raise SchemaError(f"{what} contains negative values ({int((arr < 0).sum())}); "
                          "these measures need non-negative quantities")
    if not allow_nan and np.isnan(arr).any():
        raise SchemaError(f"{what} has {int(np.isnan(arr).sum())} missing value(s); "
                          "every weight must be given")


def _numeric_column(data: pd.DataFrame, col: str, what: str) -> np.ndarray:
    if col not in data.columns:
        raise SchemaError(f"column {col!r} ({what}) not found among "
                          f"{', '.join(map(str, data.columns))}")
    vals = pd.to_numeric(data[col], errors="coerce")
    bad = vals.isna() & data[col].notna()
    if bad.any():
        raise SchemaError(f"column {col!r} has {int(bad.sum())} non-numeric value(s), "
                          f"e.g. {data.loc[bad, col].iloc[0]!r}")
    return vals.to_numpy(dtype=float)


def _vector_ri(n: int, labels: pd.Index | None) -> RegionIndustry:
    regions = labels if labels is not None else pd.RangeIndex(n, name="region")
    if regions.name is None:
        regions = regions.rename("region")
    return RegionIndustry(np.empty((1, n, 1)), regions, pd.Index(["value"], name="industry"),
                          None, "array", ("region", "industry", "value", None))


def _align_per_region(obj: Any, ri: RegionIndustry, what: str, T: int) -> np.ndarray:
    """Per-region (or per-cell) numbers given as Series/array -> array broadcastable to
    (T, R, I)."""
    R, I = len(ri.regions), len(ri.industries)
    if isinstance(obj, pd.Series):
        if obj.index.has_duplicates:
            raise SchemaError(f"`{what}` has duplicate region labels")
        missing_labels = ri.regions.difference(obj.index)
        if len(missing_labels) and not isinstance(ri.regions, pd.RangeIndex):
            raise SchemaError(f"`{what}` has no value for region(s) "
                              f"{', '.join(map(str, missing_labels[:8]))}")
        if len(missing_labels) == 0:
            obj = obj.reindex(ri.regions)
        arr = np.asarray(pd.to_numeric(obj, errors="coerce"), dtype=float)
    elif isinstance(obj, Mapping):
        arr = np.asarray([obj.get(r, np.nan) for r in ri.regions], dtype=float)
    else:
        try:
            arr = np.asarray(obj, dtype=float)
        except (TypeError, ValueError):
            raise SchemaError(f"`{what}` must be numeric") from None
    if arr.shape == (R,):
        return arr[None, :, None]
    if arr.shape == (R, I) and I > 1:
        return arr[None, :, :]
    if arr.shape == (T, R) and T > 1:
        return arr[:, :, None]
    if arr.shape == (T, R, I):
        return arr
    raise SchemaError(f"`{what}` has shape {arr.shape} but the data cover {R} regions"
                      f"{f' and {I} industries' if I > 1 else ''}"
                      f"{f' in {T} years' if T > 1 else ''}; give one value per region")


def _groups_per_region(obj: Any, ri: RegionIndustry) -> np.ndarray:
    R = len(ri.regions)
    if isinstance(obj, pd.Series):
        missing_labels = ri.regions.difference(obj.index)
        if len(missing_labels) == 0:
            obj = obj.reindex(ri.regions)
        elif not isinstance(ri.regions, pd.RangeIndex):
            raise SchemaError(f"`groups` has no group for region(s) "
                              f"{', '.join(map(str, missing_labels[:8]))}")
        arr = obj.to_numpy()
    elif isinstance(obj, Mapping):
        arr = np.asarray([obj.get(r) for r in ri.regions], dtype=object)
    else:
        arr = np.asarray(obj, dtype=object)
    if arr.shape != (R,):
        raise SchemaError(f"`groups` has {arr.size} value(s) but the data cover {R} "
                          "regions; give one group per region")
    return arr


def _inequality_input(values: Any, *, weights: Any, groups: Any, region: str | None,
                      industry: str | None, value: str | None, year: str | None,
                      missing: str) -> _Values:
    _choice("missing", missing, VALUE_MISSING)
    w = None
    codes = None
    group_labels = None
    raw_groups = None  # (T, R) object array of group labels
    if isinstance(values, pd.DataFrame) and (value or industry or region):
        if value is None:
            raise SchemaError("a long frame needs value= naming its value column "
                              f"(columns: {', '.join(map(str, values.columns))})")
        if industry is not None:  # region x industry long frame
            if region is None:
                raise SchemaError("a long region x industry frame needs region= as well")
            ri = as_region_industry(values, region=region, industry=industry, value=value,
                                    year=year, missing="propagate", what="values")
            y = ri.values
            vector = False
            pad = None
            key_cols = [c for c in (year, region) if c is not None]
        else:  # a vector per year
            cols = [c for c in (region, year) if c is not None]
            absent = [c for c in cols + [value] if c not in values.columns]
            if absent:
                raise SchemaError(f"column(s) {absent} not found among "
                                  f"{', '.join(map(str, values.columns))}")
            vals = _numeric_column(values, value, "values")
            _check_numbers(vals, f"column {value!r}")
            ys = (pd.Index(sorted(pd.unique(values[year])), name=year) if year else None)
            ti = (ys.get_indexer(values[year]) if year else np.zeros(len(values), int))
            if region is not None:
                if values.duplicated(cols).any():
                    dup = values.loc[values.duplicated(cols, keep=False), cols].iloc[0]
                    raise SchemaError(f"rows share the same {'/'.join(cols)} "
                                      f"(e.g. {dup.to_dict()}); aggregate them first")
                regions = pd.Index(pd.unique(values[region]), name=region)
                rpos = regions.get_indexer(values[region])
            else:
                rpos = (values.groupby(year, sort=False).cumcount().to_numpy() if year
                        else np.arange(len(values)))
                regions = pd.RangeIndex(int(rpos.max()) + 1 if len(rpos) else 0,
                                        name="region")
            T = len(ys) if year else 1
            if len(values) == 0:
                raise SchemaError("values is empty")
            y = np.full((T, len(regions), 1), np.nan)
            y[ti, rpos, 0] = vals
            pad = np.ones(y.shape, dtype=bool)
            pad[ti, rpos, 0] = False  # True where no row exists (not a missing value)
            ri = RegionIndustry(y, regions, pd.Index(["value"], name="industry"), ys,
                                "long", (region or "region", "industry", value, year))
            vector = True
            key_cols = None
        T = y.shape[0]
        if isinstance(weights, str):
            if vector:
                wv = _numeric_column(values, weights, "weights")
                w = np.zeros(y.shape)
                w[ti, rpos, 0] = wv
            else:
                w = as_region_industry(values, region=region, industry=industry,
                                       value=weights, year=year, missing="propagate",
                                       what=f"column {weights!r} (weights)").values
        elif weights is not None:
            w = _align_per_region(weights, ri, "weights", T)
        if isinstance(groups, str):
            if groups not in values.columns:
                raise SchemaError(f"column {groups!r} (groups) not found among "
                                  f"{', '.join(map(str, values.columns))}")
            if vector:
                raw_groups = np.full((T, y.shape[1]), None, dtype=object)
                raw_groups[ti, rpos] = values[groups].to_numpy(dtype=object)
            else:
                g = values[key_cols + [groups]].drop_duplicates()
                if g.duplicated(key_cols).any():
                    ex = g.loc[g.duplicated(key_cols, keep=False)].iloc[0]
                    raise SchemaError(f"column {groups!r} gives region "
                                      f"{ex[region]!r} more than one group; a region "
                                      "must belong to one group (per year)")
                raw_groups = np.full((T, y.shape[1]), None, dtype=object)
                gt = ri.years.get_indexer(g[year]) if year else np.zeros(len(g), int)
                raw_groups[gt, ri.regions.get_indexer(g[region])] = \
                    g[groups].to_numpy(dtype=object)
        elif groups is not None:
            raw_groups = np.broadcast_to(_groups_per_region(groups, ri), (T, y.shape[1]))
    elif isinstance(values, pd.DataFrame) or (
            not isinstance(values, pd.Series) and np.ndim(values) in (2, 3)):
        if isinstance(weights, str) or isinstance(groups, str):
            raise SchemaError("weights= or groups= as a column name needs a long frame "
                              "with value= (and region=)")
        ri = as_region_industry(values, region=region, industry=industry, value=value,
                                year=year, missing="propagate", what="values")
        y, vector, pad = ri.values, False, None
        T = y.shape[0]
        if weights is not None:
            w = _align_per_region(weights, ri, "weights", T)
        if groups is not None:
            raw_groups = np.broadcast_to(_groups_per_region(groups, ri), (T, y.shape[1]))
    else:  # 1-D vector
        if isinstance(weights, str) or isinstance(groups, str):
            raise SchemaError("weights= or groups= as a column name needs a long frame "
                              "with value=")
        labels = values.index if isinstance(values, pd.Series) else None
        try:
            arr = np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=float)
        except (TypeError, ValueError):
            raise SchemaError("values must be numeric") from None
        if arr.ndim != 1:
            raise SchemaError(f"values must be a 1-D vector, a region x industry matrix "
                              f"or a long frame; got {arr.ndim} dimension(s)")
        if arr.size == 0:
            raise SchemaError("values is empty")
        _check_numbers(arr, "values")
        ri = _vector_ri(arr.size, labels)
        y, vector, pad, T = arr[None, :, None].copy(), True, None, 1
        if weights is not None:
            w = _align_per_region(weights, ri, "weights", 1)
        if groups is not None:
            raw_groups = _groups_per_region(groups, ri)[None, :]
    if w is not None:
        what = "`weights`"
        wcheck = w if pad is None else np.where(pad, 0.0, np.broadcast_to(w, y.shape))
        # a weight may be missing only where the value itself is missing
        wnan = np.isnan(wcheck) & ~np.isnan(y)
        if wnan.any():
            raise SchemaError(f"{what} has {int(wnan.sum())} missing value(s) where values "
                              "are given; every weight must be given")
        _check_numbers(np.nan_to_num(wcheck), what)
        w = np.nan_to_num(wcheck)
    if raw_groups is not None:
        present = ~np.all(np.isnan(y), axis=2) if pad is None else ~pad[:, :, 0]
        gvals = raw_groups[present]
        if pd.isna(pd.Series(gvals, dtype=object)).any():
            raise SchemaError("`groups` is missing for some regions; every region needs a "
                              "group")
        group_labels = pd.Index(pd.unique(pd.Series(gvals, dtype=object)), name="group")
        flat = pd.Series(np.asarray(raw_groups, dtype=object).reshape(-1), dtype=object)
        codes = group_labels.get_indexer(flat).reshape(raw_groups.shape)
    # ---- missing values -------------------------------------------------------------
    miss = np.isnan(y) if pad is None else (np.isnan(y) & ~pad)
    n = int(miss.sum())
    nan_out = None
    if n:
        if missing == "raise":
            raise SchemaError(f"values has {n} missing value(s); pass missing='omit' to "
                              "leave them out, 'zero' to count them as zero or "
                              "'propagate' to return NaN")
        if missing == "warn":
            warnings.warn(f"values has {n} missing value(s), left out of the computation; "
                          "pass missing='omit' to accept this silently, 'zero' to count "
                          "them as zero, 'propagate' to return NaN or 'raise'",
                          MissingValueWarning, stacklevel=3)
        if missing == "zero":
            y = np.where(miss, 0.0, y)
        if missing == "propagate":
            nan_out = miss.any(axis=1)
    return _Values(y, w, nan_out, ri, vector, codes, group_labels)


def _effective(y: np.ndarray, w: np.ndarray | None):
    """Values with left-out entries set to 1.0 and their weight to 0 (None = all equal).

    Without left-out entries the weights stay as given (broadcastable to ``y``).
    """
    gone = np.isnan(y)
    if not gone.any():
        return y, w
    w = np.ones(y.shape) if w is None else np.broadcast_to(w, y.shape)
    return np.where(gone, 1.0, y), np.where(gone, 0.0, w)


def _wsum(a: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """sum_r w_r a_r along axis 1 of (T, R, I); w broadcastable to a."""
    if w is None:
        return a.sum(axis=1)
    if w.shape[2] == 1:  # one weight per region: a matrix product, no full copy
        wr = np.broadcast_to(w[:, :, 0], a.shape[:2])
        return np.einsum("tri,tr->ti", a, wr)
    return np.einsum("tri,tri->ti", a, np.broadcast_to(w, a.shape))


def _total_weight(y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    T, _, I = y.shape
    if w is None:
        return np.full((T, I), float(y.shape[1]))
    return np.broadcast_to(w.sum(axis=1), (T, I)).copy()


# ---------------------------------------------------------------------------------------
# Kernels (arrays only)
# ---------------------------------------------------------------------------------------
def _lorenz_gini(p: np.ndarray, q: np.ndarray, axis: int = 1) -> np.ndarray:
    """Gini from weights p and masses q already sorted by q/p along ``axis``.

    G = 1 - sum_k (p_k/P)(L_k + L_{k-1})/L with L_k the cumulative mass.
    """
    cum = np.cumsum(q, axis=axis)
    tot_q = np.take(cum, -1, axis=axis)
    tot_p = p.sum(axis=axis)
    cum *= 2.0
    cum -= q
    cum *= p
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.maximum(1.0 - cum.sum(axis=axis) / (tot_p * tot_q), 0.0)


def _gini_array(y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Gini along axis 1 of (T, R, I); NaN entries are left out."""
    if w is None:  # sort, then the rank form sum (2k - n - 1) y_(k) / (n sum y)
        out = np.empty((y.shape[0], y.shape[2]))
        k = np.arange(1, y.shape[1] + 1, dtype=float)
        gaps = bool(np.isnan(y).any())
        n = float(y.shape[1])
        for t in range(y.shape[0]):  # one year at a time bounds the memory
            ys = np.array(y[t].T, order="C")  # (I, R) copy, sorted in place
            ys.sort(axis=1)  # NaN sort last
            if gaps:
                n = (~np.isnan(ys)).sum(axis=1).astype(float)
                ys = np.nan_to_num(ys, copy=False)
            s = ys.sum(axis=1)
            ks = ys @ k
            with np.errstate(invalid="ignore", divide="ignore"):
                out[t] = np.maximum((2.0 * ks - (n + 1.0) * s) / (n * s), 0.0)
        return out
    out = np.empty((y.shape[0], y.shape[2]))
    per_region = w.shape[2] == 1
    for t in range(y.shape[0]):  # NaN (left out) sort last and get weight 0
        yt = np.ascontiguousarray(y[t].T)  # (I, R)
        order = np.argsort(yt, axis=1)
        ys = np.take_along_axis(yt, order, axis=1)
        wt = w[t if w.shape[0] > 1 else 0]
        ws = (wt[:, 0][order] if per_region
              else np.take_along_axis(np.ascontiguousarray(wt.T), order, axis=1))
        gone = np.isnan(ys)
        if gone.any():
            ws = np.where(gone, 0.0, ws)
            ys = np.where(gone, 0.0, ys)
        out[t] = _lorenz_gini(ws, ws * ys, axis=1)
    return out


def _theil_array(y: np.ndarray, w: np.ndarray | None, variant: str) -> np.ndarray:
    tot = _total_weight(y, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = _wsum(y, w) / tot
        r = y / mu[:, None, :]
        if variant == "T":
            return np.maximum(_wsum(xlogy(r, r), w) / tot, 0.0)  # >= 0 up to rounding
        term = -np.log(r)
        if w is not None:  # a zero value of weight zero (another group) counts nothing
            term = np.where(np.broadcast_to(w, y.shape) > 0, term, 0.0)
        return np.maximum(_wsum(term, w) / tot, 0.0)


def _theil_decomposition(y, w, codes, n_groups, variant):
    """Total, between, within and per-group parts from group sums (one pass)."""
    y, w = _effective(y, w)
    T, R, I = y.shape
    onehot = np.zeros((codes.shape[0], R, n_groups))
    tt, rr = np.nonzero(codes >= 0)
    onehot[tt, rr, codes[tt, rr]] = 1.0
    onehot = np.broadcast_to(onehot, (T, R, n_groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        term = xlogy(y, y) if variant == "T" else np.log(y)
        if w is not None:
            wfull = np.broadcast_to(w, y.shape)
            if variant == "L":
                term = np.where(wfull > 0, term, 0.0)
            term = term * wfull
            wy = y * wfull
        else:
            wfull, wy = None, y
        # group sums (T, I, G): weight, value, and w*y*ln y (T) or w*ln y (L)
        pg = (np.einsum("trg->tg", onehot)[:, None, :] if wfull is None
              else np.einsum("tri,trg->tig", wfull, onehot))
        pg = np.broadcast_to(pg, (T, I, n_groups))
        yg = np.einsum("tri,trg->tig", wy, onehot)
        ag = np.einsum("tri,trg->tig", term, onehot)
        p, yt, a = pg.sum(axis=2), yg.sum(axis=2), ag.sum(axis=2)
        mu, mug = yt / p, yg / pg
        if variant == "T":
            total = a / yt - np.log(mu)
            tg = ag / yg - np.log(mug)
            share = yg / yt[:, :, None]  # the group's share of the total value
            b = share * np.log(mug / mu[:, :, None])
        else:
            total = np.log(mu) - a / p
            tg = np.log(mug) - ag / pg
            share = pg / p[:, :, None]  # the group's share of the weight
            b = share * np.log(mu[:, :, None] / mug)
        has = pg > 0
        between = np.where(has, b, 0.0).sum(axis=2)
        within = np.where(has, share * tg, 0.0).sum(axis=2)
    total = np.maximum(total, 0.0)
    parts = [(tg[:, :, g], share[:, :, g], pg[:, :, g] / p) for g in range(n_groups)]
    return total, between, within, parts


def _atkinson_array(y, w, epsilon):
    y, w = _effective(y, w)
    tot = _total_weight(y, w)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mu = _wsum(y, w) / tot
        if epsilon == 1.0:
            ede = np.exp(_wsum(np.log(y), w) / tot)
        else:
            ede = (_wsum(y ** (1.0 - epsilon), w) / tot) ** (1.0 / (1.0 - epsilon))
        return np.maximum(1.0 - ede / mu, 0.0)  # >= 0 up to rounding


def _cv_array(y, w, ddof):
    y, w = _effective(y, w)
    tot = _total_weight(y, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = _wsum(y, w) / tot
        dev = (y - mu[:, None, :]) ** 2
        return np.sqrt(_wsum(dev, w) / (tot - ddof)) / mu


# ---------------------------------------------------------------------------------------
# Inequality of a regional variable
# ---------------------------------------------------------------------------------------
@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="industry")
def gini(values: Any, /, *, weights: Any = None, normalized: bool = False,
         region: str | None = None, industry: str | None = None,
         value: str | None = None, year: str | None = None,
         missing: str = "warn") -> float | pd.Series:
    r"""Gini coefficient of a regional variable, optionally population-weighted.

    The Gini coefficient (基尼系数) is the area between the line of equality and the
    Lorenz curve, relative to the whole triangle under the line: 0 when every region has
    the same value, approaching 1 when one region has everything.

    Parameters
    ----------
    values : array-like, Series or DataFrame
        A 1-D vector of regional values (e.g. GDP per capita); a long frame naming its
        columns with ``value=`` (optionally ``region=`` and ``year=``: one result per
        year); or region x industry data (matrix, wide frame, or long frame with
        ``region=``, ``industry=``, ``value=``), giving one Gini per industry across
        regions.
    weights : array-like, Series, mapping or str, optional
        Non-negative weight per region (e.g. population): the population-weighted Gini,
        in which region :math:`r` counts as :math:`w_r` people each with value
        :math:`y_r`. A Series or mapping is aligned on region labels; a str names a
        column of a long frame. Default: every region counts once.
    normalized : bool, default False
        Multiply the unweighted Gini by :math:`n / (n - 1)` so that the maximum is 1
        (REAT's ``coefnorm``/``norm``). Only for unweighted data.
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "omit", "zero", "raise", "propagate"}, default "warn"
        Missing values are left out of the computation ("warn" says so, "omit" does not),
        counted as zero, refused, or make the result NaN.

    Returns
    -------
    float or pandas.Series
        A float for one vector; a Series by year for a long panel; a Series by industry
        (or by year and industry) for region x industry data.

    Raises
    ------
    SchemaError
        Negative or infinite values or weights, misaligned weights, unknown columns, or
        ``normalized=True`` with weights.

    See Also
    --------
    lorenz_curve : the points of the Lorenz curve.
    locational_gini : Krugman's Gini of an industry against a reference distribution.

    Notes
    -----
    With regions sorted so that :math:`y_{(1)} \le \dots \le y_{(n)}`, weight shares
    :math:`p_k = w_{(k)} / \sum_j w_j` and cumulative value shares
    :math:`L_k = \sum_{j \le k} w_{(j)} y_{(j)} / \sum_j w_j y_j` (:math:`L_0 = 0`),

    .. math::

        G = 1 - \sum_{k=1}^{n} p_k \, (L_k + L_{k-1}),

    which for equal weights is :math:`G = \sum_k (2k - n - 1) y_{(k)} / (n \sum_k
    y_k)`, the mean absolute difference over twice the mean (Cowell 2011, eq. 2.9 and
    Technical Appendix). The unweighted maximum is :math:`(n-1)/n`, so :math:`G \in
    [0, 1)`. This is the same number as ``inequality.gini.Gini`` (PySAL) and REAT
    ``gini()`` (Dörsam 2004); EconGeo's ``Gini`` computes the same Lorenz area.

    References
    ----------
    .. [1] Gini, C. (1912). *Variabilità e mutabilità*. Bologna: Cuppini.
    .. [2] Lorenz, M. O. (1905). Methods of measuring the concentration of wealth.
       *Publications of the American Statistical Association* 9(70), 209–219.
       doi:10.2307/2276207
    .. [3] Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford: Oxford
       University Press. doi:10.1093/acprof:osobl/9780199594030.001.0001
    .. [4] Dörsam, P. (2004). *Wirtschaftsstatistik anschaulich dargestellt*. Heidenau:
       PD-Verlag, pp. 44–48.

    Examples
    --------
    Sales of four firms (Dörsam 2004, as in REAT's documentation): sorted 10, 20, 20, 50,
    so :math:`G = (-3 \cdot 10 - 20 + 20 + 3 \cdot 50) / (4 \cdot 100) = 0.3`.

    >>> gini([20, 50, 20, 10])
    0.3
    >>> round(gini([20, 50, 20, 10], normalized=True), 12)
    0.4

    Weighting a region by 3 is the same as listing it three times:

    >>> round(gini([1, 4], weights=[3, 1]), 12) == round(gini([1, 1, 1, 4]), 12)
    True

    Region x industry data give one value per industry:

    >>> import numpy as np
    >>> gini(np.array([[1.0, 5.0], [1.0, 0.0]])).tolist()
    [0.0, 0.5]
    """
    v = _inequality_input(values, weights=weights, groups=None, region=region,
                          industry=industry, value=value, year=year, missing=missing)
    if not isinstance(normalized, bool):
        raise SchemaError(f"`normalized` must be True or False; got {normalized!r}")
    if normalized and v.w is not None:
        raise SchemaError("`normalized=True` applies to the unweighted Gini only; its "
                          "weighted maximum depends on the weights")
    g = _gini_array(v.y, v.w)
    if normalized:
        n = (~np.isnan(v.y)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = g * n / (n - 1.0)
    return v.out(g, "gini")


@dataclass(frozen=True)
class TheilResult:
    """Theil index with its between- and within-group parts.

    ``theil == between + within``. Each statistic is a float for one vector, or a Series
    by year and/or industry. ``groups`` holds one row per group (and year/industry) with
    the group's own index, its share of the total value (``value_share``; the weight of
    Theil T's decomposition) and of the total weight (``weight_share``; the weight of
    Theil L's).
    """

    theil: float | pd.Series
    between: float | pd.Series
    within: float | pd.Series
    groups: pd.DataFrame
    variant: str

    def to_frame(self) -> pd.DataFrame:
        """One row per year/industry: identifying columns, theil, between, within."""
        if isinstance(self.theil, pd.Series):
            f = pd.DataFrame({"theil": self.theil, "between": self.between,
                              "within": self.within})
            return f.reset_index()
        return pd.DataFrame({"theil": [self.theil], "between": [self.between],
                             "within": [self.within]})


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="industry")
def theil(values: Any, /, *, groups: Any = None, weights: Any = None, variant: str = "T",
          region: str | None = None, industry: str | None = None,
          value: str | None = None, year: str | None = None,
          missing: str = "warn") -> float | pd.Series | TheilResult:
    r"""Theil index of a regional variable, with a between/within-group decomposition.

    The Theil index (泰尔指数) is an entropy measure of inequality: 0 when every region
    has the same value, :math:`\ln n` at most (variant T). It splits exactly into
    inequality between groups of regions (e.g. the three Northeast provinces vs the
    rest) and inequality within them.

    Parameters
    ----------
    values : array-like, Series or DataFrame
        As for :func:`gini`: a vector, a long frame with ``value=`` (and ``year=``), or
        region x industry data (one index per industry across regions).
    groups : array-like, Series, mapping or str, optional
        Group of each region (Series/mapping aligned on region labels; a str names a
        column of a long frame). With groups a :class:`TheilResult` is returned.
    weights : array-like, Series, mapping or str, optional
        Non-negative weight per region (e.g. population); default equal weights.
    variant : {"T", "L"}, default "T"
        "T": Theil's T, :math:`GE(1)`; "L": Theil's L, the mean log deviation
        :math:`GE(0)` (REAT's ``theil()``), infinite when a weighted value is zero.
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "omit", "zero", "raise", "propagate"}, default "warn"
        As for :func:`gini`.

    Returns
    -------
    float, pandas.Series or TheilResult
        Without groups as :func:`gini`; with groups a :class:`TheilResult`.

    Raises
    ------
    SchemaError
        Bad values, weights or groups, or an unknown ``variant``.

    See Also
    --------
    gini, atkinson

    Notes
    -----
    With weight shares :math:`p_r = w_r / \sum_s w_s` and the weighted mean
    :math:`\mu = \sum_r p_r y_r`,

    .. math::

        T = \sum_r p_r \frac{y_r}{\mu} \ln \frac{y_r}{\mu}, \qquad
        L = \sum_r p_r \ln \frac{\mu}{y_r},

    with :math:`0 \ln 0 = 0`. For groups :math:`g` with weight share :math:`P_g`, mean
    :math:`\mu_g`, value share :math:`s_g = P_g \mu_g / \mu` and own index
    :math:`T_g` (or :math:`L_g`),

    .. math::

        T = \underbrace{\sum_g s_g \ln \frac{\mu_g}{\mu}}_{\text{between}}
          + \underbrace{\sum_g s_g T_g}_{\text{within}}, \qquad
        L = \sum_g P_g \ln \frac{\mu}{\mu_g} + \sum_g P_g L_g

    (Theil 1967; Shorrocks 1980, eq. 8; Cowell 2011, ch. 3 and Technical Appendix).
    Unweighted T equals PySAL's ``inequality.theil.Theil`` and its decomposition
    ``TheilD`` (which adds a tiny number to zeros instead of using :math:`0 \ln 0 = 0`).

    References
    ----------
    .. [1] Theil, H. (1967). *Economics and Information Theory*. Amsterdam:
       North-Holland.
    .. [2] Shorrocks, A. F. (1980). The class of additively decomposable inequality
       measures. *Econometrica* 48(3), 613–625. doi:10.2307/1913126
    .. [3] Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford: Oxford
       University Press. doi:10.1093/acprof:osobl/9780199594030.001.0001
    .. [4] Stoermann, W. (2009). *Regionalökonomik: Theorie und Politik*. München:
       Oldenbourg.

    Examples
    --------
    Two regions with 1 and 3: :math:`\mu = 2`, so
    :math:`T = \tfrac12(\tfrac12 \ln \tfrac12 + \tfrac32 \ln \tfrac32)`:

    >>> import math
    >>> math.isclose(theil([1, 3]), 0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)))
    True

    Regional incomes 10, 10, 10, 20, 50 (Stoermann 2009, REAT's example), Theil L:

    >>> round(theil([10, 10, 10, 20, 50], variant="L"), 7)
    0.2326302

    Between and within groups add up to the total:

    >>> r = theil([1, 3, 2, 6], groups=["a", "a", "b", "b"])
    >>> math.isclose(r.between + r.within, r.theil)
    True
    """
    _choice("variant", variant, ("T", "L"))
    v = _inequality_input(values, weights=weights, groups=groups, region=region,
                          industry=industry, value=value, year=year, missing=missing)
    if v.codes is None:
        y, w = _effective(v.y, v.w)
        return v.out(_theil_array(y, w, variant), "theil")
    total, between, within, parts = _theil_decomposition(
        v.y, v.w, v.codes, len(v.group_labels), variant)
    frames = []
    for g, (tg, vshare, wshare) in enumerate(parts):
        vs = v.vector
        f = pd.DataFrame({
            "theil": np.ravel(tg[:, 0] if vs else tg),
            "value_share": np.ravel(vshare[:, 0] if vs else vshare),
            "weight_share": np.ravel(wshare[:, 0] if vs else wshare)})
        if vs and v.ri.is_panel:
            f.insert(0, v.ri.names[3], v.ri.years)
        elif not vs:
            idx = v.ri.per_industry(np.zeros(tg.shape), "x").index.to_frame(index=False)
            f = pd.concat([idx, f], axis=1)
        f.insert(0, "group", v.group_labels[g])
        frames.append(f)
    return TheilResult(theil=v.out(total, "theil"), between=v.out(between, "between"),
                       within=v.out(within, "within"),
                       groups=pd.concat(frames, ignore_index=True), variant=variant)


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="industry")
def atkinson(values: Any, /, *, epsilon: float = 0.5, weights: Any = None,
             region: str | None = None, industry: str | None = None,
             value: str | None = None, year: str | None = None,
             missing: str = "warn") -> float | pd.Series:
    r"""Atkinson inequality index with inequality aversion :math:`\varepsilon`.

    The Atkinson index (阿特金森指数) is the share of the mean that could be given up,
    with the rest shared equally, without lowering social welfare: 0 for equal values,
    1 at most. Larger :math:`\varepsilon` weighs the poorest regions more.

    Parameters
    ----------
    values : array-like, Series or DataFrame
        As for :func:`gini`.
    epsilon : float, default 0.5
        Inequality aversion, :math:`\varepsilon \ge 0`.
    weights : array-like, Series, mapping or str, optional
        Non-negative weight per region (e.g. population).
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "omit", "zero", "raise", "propagate"}, default "warn"
        As for :func:`gini`.

    Returns
    -------
    float or pandas.Series
        As for :func:`gini`.

    Raises
    ------
    SchemaError
        Bad values or weights, or a negative or non-numeric ``epsilon``.

    Notes
    -----
    With weight shares :math:`p_r` and weighted mean :math:`\mu`,

    .. math::

        A_\varepsilon = 1 - \frac{1}{\mu}
            \Big(\sum_r p_r\, y_r^{1-\varepsilon}\Big)^{1/(1-\varepsilon)}
        \quad (\varepsilon \ne 1), \qquad
        A_1 = 1 - \frac{1}{\mu} \exp\Big(\sum_r p_r \ln y_r\Big)

    (Atkinson 1970, p. 257; Cowell 2011, Technical Appendix). A zero value with
    :math:`\varepsilon \ge 1` gives :math:`A = 1` (the limit). PySAL's
    ``inequality.atkinson`` refuses zeros; REAT's ``atkinson`` uses the same formula.

    References
    ----------
    .. [1] Atkinson, A. B. (1970). On the measurement of inequality. *Journal of
       Economic Theory* 2(3), 244–263. doi:10.1016/0022-0531(70)90039-6
    .. [2] Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford: Oxford
       University Press. doi:10.1093/acprof:osobl/9780199594030.001.0001

    Examples
    --------
    One region of four holds everything, :math:`\varepsilon = 0.8`: the equally
    distributed equivalent is :math:`\mu (4^{0.2}/4)^{5} = \mu / 256`:

    >>> round(atkinson([100, 0, 0, 0], epsilon=0.8), 12) == round(1 - 1 / 256, 12)
    True
    >>> atkinson([5, 5, 5])
    0.0
    """
    try:
        epsilon = float(epsilon)
    except (TypeError, ValueError):
        raise SchemaError(f"`epsilon` must be a number >= 0; got {epsilon!r}") from None
    if not np.isfinite(epsilon) or epsilon < 0:
        raise SchemaError(f"`epsilon` must be a finite number >= 0; got {epsilon!r}")
    v = _inequality_input(values, weights=weights, groups=None, region=region,
                          industry=industry, value=value, year=year, missing=missing)
    return v.out(_atkinson_array(v.y, v.w, epsilon), "atkinson")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="industry")
def coefficient_of_variation(values: Any, /, *, weights: Any = None, ddof: int = 0,
                             region: str | None = None, industry: str | None = None,
                             value: str | None = None, year: str | None = None,
                             missing: str = "warn") -> float | pd.Series:
    r"""Coefficient of variation: standard deviation over mean, optionally weighted.

    The coefficient of variation (变异系数) of regional values; with population weights it
    is the Williamson index (see :func:`williamson`).

    Parameters
    ----------
    values : array-like, Series or DataFrame
        As for :func:`gini`.
    weights : array-like, Series, mapping or str, optional
        Non-negative weight per region; the mean and the variance are then weighted.
    ddof : int, default 0
        Delta degrees of freedom of the unweighted variance (0: population, 1: sample
        variance as in R's ``sd`` and REAT's default). Must be 0 with weights.
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "omit", "zero", "raise", "propagate"}, default "warn"
        As for :func:`gini`.

    Returns
    -------
    float or pandas.Series
        As for :func:`gini`.

    Raises
    ------
    SchemaError
        Bad values or weights; ``ddof`` not 0 or 1, or not 0 with weights.

    Notes
    -----
    .. math::

        CV = \frac{1}{\mu} \sqrt{\frac{\sum_r w_r (y_r - \mu)^2}{\sum_r w_r - d}},
        \qquad \mu = \frac{\sum_r w_r y_r}{\sum_r w_r},

    with :math:`w_r = 1` unweighted and :math:`d` = ``ddof``.

    References
    ----------
    .. [1] Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford: Oxford
       University Press, sec. 2.3. doi:10.1093/acprof:osobl/9780199594030.001.0001

    Examples
    --------
    Values 1 and 3: mean 2, population standard deviation 1:

    >>> coefficient_of_variation([1, 3])
    0.5
    """
    if ddof not in (0, 1) or isinstance(ddof, bool):
        raise SchemaError(f"`ddof` must be 0 or 1; got {ddof!r}")
    v = _inequality_input(values, weights=weights, groups=None, region=region,
                          industry=industry, value=value, year=year, missing=missing)
    if ddof and v.w is not None:
        raise SchemaError("`ddof` must be 0 with weights: the weighted variance has no "
                          "sample correction here")
    return v.out(_cv_array(v.y, v.w, ddof), "coefficient_of_variation")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="scalar",
          needs=("population",))
def williamson(values: Any, /, *, population: Any, region: str | None = None,
               industry: str | None = None, value: str | None = None,
               year: str | None = None, missing: str = "warn") -> float | pd.Series:
    r"""Williamson index: population-weighted coefficient of variation of per-capita values.

    The Williamson index (威廉森系数, 加权变异系数) measures regional disparity of a
    per-capita variable such as GDP per capita, each region counting by its population,
    around the national per-capita value.

    Parameters
    ----------
    values : array-like, Series or DataFrame
        Regional per-capita values, as for :func:`gini` (region x industry data give one
        index per industry across regions).
    population : array-like, Series, mapping or str
        Population of each region (a str names a column of a long frame).
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "omit", "zero", "raise", "propagate"}, default "warn"
        As for :func:`gini`.

    Returns
    -------
    float or pandas.Series
        As for :func:`gini`.

    Raises
    ------
    SchemaError
        Bad values or population, or population missing where a value is given.

    Notes
    -----
    .. math::

        V_w = \frac{1}{\bar y} \sqrt{\sum_r (y_r - \bar y)^2 \frac{p_r}{P}}, \qquad
        \bar y = \sum_r y_r \frac{p_r}{P},

    where :math:`y_r` is region :math:`r`'s per-capita value, :math:`p_r` its population,
    :math:`P = \sum_r p_r` and :math:`\bar y` the national per-capita value (Williamson
    1965, p. 11). REAT's ``williamson()`` centres on the unweighted mean unless
    ``wmean = TRUE``; Gluschenko (2018) discusses what the weighting measures.

    References
    ----------
    .. [1] Williamson, J. G. (1965). Regional inequality and the process of national
       development: a description of the patterns. *Economic Development and Cultural
       Change* 13(4, Part 2), 1–84. doi:10.1086/450136
    .. [2] Gluschenko, K. (2018). Measuring regional inequality: to weight or not to
       weight? *Spatial Economic Analysis* 13(1), 36–59.
       doi:10.1080/17421772.2017.1343491

    Examples
    --------
    Per-capita income 1 (population 3) and 5 (population 1): national value
    :math:`\bar y = 2`, variance :math:`(3 \cdot 1 + 1 \cdot 9)/4 = 3`:

    >>> import math
    >>> math.isclose(williamson([1, 5], population=[3, 1]), math.sqrt(3) / 2)
    True
    """
    if population is None:
        raise SchemaError("`population` is required: the Williamson index weights each "
                          "region by its population")
    v = _inequality_input(values, weights=population, groups=None, region=region,
                          industry=industry, value=value, year=year, missing=missing)
    return v.out(_cv_array(v.y, v.w, 0), "williamson")


@dataclass(frozen=True)
class LorenzCurveResult:
    """Lorenz curve points and the Gini coefficient they give.

    ``points`` is a long frame: identifying columns (year, industry where they apply),
    ``rank`` (0 for the origin), ``region``, ``cumulative_weight_share`` (x axis: share of
    regions, or of the weight, up to this region) and ``cumulative_value_share`` (y axis).
    """

    gini: float | pd.Series
    points: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The points (one row per point of each curve)."""
        return self.points.copy()


def _points_frame(ri: RegionIndustry, vector: bool, order: np.ndarray, x: np.ndarray,
                  yc: np.ndarray, keep: np.ndarray, xname: str, yname: str) -> pd.DataFrame:
    """Lorenz points (T, R, I) sorted along axis 1 -> long frame with an origin row."""
    T, _, I = x.shape
    region_name, industry_name, _, year_name = ri.names
    region_name = region_name or "region"
    frames = []
    labels = np.asarray(ri.regions, dtype=object)
    for t in range(T):
        for i in range(I):
            k = keep[t, :, i]
            f = pd.DataFrame({
                "rank": np.arange(0, int(k.sum()) + 1),
                region_name: np.concatenate([[None], labels[order[t, :, i]][k]]),
                xname: np.concatenate([[0.0], x[t, :, i][k]]),
                yname: np.concatenate([[0.0], yc[t, :, i][k]])})
            if not vector:
                f.insert(0, industry_name or "industry", ri.industries[i])
            if ri.is_panel:
                f.insert(0, year_name, ri.years[t])
            frames.append(f)
    return pd.concat(frames, ignore_index=True)


@register(SCALE_INVARIANT, kind="result")
def lorenz_curve(values: Any, /, *, weights: Any = None, region: str | None = None,
                 industry: str | None = None, value: str | None = None,
                 year: str | None = None, missing: str = "warn") -> LorenzCurveResult:
    r"""Points of the Lorenz curve of a regional variable, and its Gini coefficient.

    The Lorenz curve (洛伦兹曲线) plots, for regions sorted from the smallest value up,
    the cumulative share of regions (or of the weight, e.g. population) against the
    cumulative share of the value.

    Parameters
    ----------
    values : array-like, Series or DataFrame
        As for :func:`gini`.
    weights : array-like, Series, mapping or str, optional
        Non-negative weight per region (x axis = cumulative weight share).
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "omit", "zero", "raise", "propagate"}, default "warn"
        As for :func:`gini`; left-out regions have no point.

    Returns
    -------
    LorenzCurveResult
        ``gini`` (as :func:`gini` returns it) and ``points`` (also ``to_frame()``).

    Raises
    ------
    SchemaError
        As for :func:`gini`.

    Notes
    -----
    Point :math:`k` (regions sorted by :math:`y`, :math:`k = 0` the origin) is

    .. math::

        \Big(\frac{\sum_{j \le k} w_{(j)}}{\sum_j w_j},\;
             \frac{\sum_{j \le k} w_{(j)} y_{(j)}}{\sum_j w_j y_j}\Big)

    (Lorenz 1905); twice the area between it and the diagonal is :func:`gini`.

    References
    ----------
    .. [1] Lorenz, M. O. (1905). Methods of measuring the concentration of wealth.
       *Publications of the American Statistical Association* 9(70), 209–219.
       doi:10.2307/2276207

    Examples
    --------
    >>> lc = lorenz_curve([3, 1])
    >>> lc.points[["cumulative_weight_share", "cumulative_value_share"]].values.tolist()
    [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    >>> lc.gini
    0.25
    """
    v = _inequality_input(values, weights=weights, groups=None, region=region,
                          industry=industry, value=value, year=year, missing=missing)
    y, w = _effective(v.y, v.w)
    w = np.ones(y.shape) if w is None else np.broadcast_to(w, y.shape)
    keys = np.where(w > 0, y, np.inf)
    order = np.argsort(keys, axis=1, kind="stable")
    ws = np.take_along_axis(w, order, axis=1)
    qs = ws * np.take_along_axis(y, order, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.cumsum(ws, axis=1) / ws.sum(axis=1, keepdims=True)
        yc = np.cumsum(qs, axis=1) / qs.sum(axis=1, keepdims=True)
    g = _lorenz_gini(ws, qs)
    points = _points_frame(v.ri, v.vector, order, x, yc, ws > 0,
                           "cumulative_weight_share", "cumulative_value_share")
    return LorenzCurveResult(gini=v.out(g, "gini"), points=points)


# ---------------------------------------------------------------------------------------
# Spatial concentration of industries against a reference distribution
# ---------------------------------------------------------------------------------------
def _reference_shares(ri: RegionIndustry, reference: Any, data: Any) -> np.ndarray:
    """Reference distribution across regions, shape (T, R, 1), summing to 1."""
    x = ri.values
    T, R, _ = x.shape
    if reference is None:  # NaN cells (missing="propagate") make every result NaN
        ref = x.sum(axis=2)
        return (ref / ref.sum(axis=1, keepdims=True))[:, :, None]
    elif isinstance(reference, str):
        region, _, _, year = ri.names
        if ri.shape != "long" or not isinstance(data, pd.DataFrame):
            raise SchemaError("reference= as a column name needs a long frame with "
                              "region=, industry= and value=")
        if reference not in data.columns:
            raise SchemaError(f"column {reference!r} (reference) not found among "
                              f"{', '.join(map(str, data.columns))}")
        keys = [c for c in (year, region) if c is not None]
        vals = _numeric_column(data, reference, "reference")
        f = data[keys].assign(_ref=vals).drop_duplicates()
        if f.duplicated(keys).any():
            ex = f.loc[f.duplicated(keys, keep=False), keys].iloc[0].to_dict()
            raise SchemaError(f"column {reference!r} has more than one value for {ex}; "
                              "a reference such as population is one number per region")
        ref = np.full((T, R), np.nan)
        ti = ri.years.get_indexer(f[year]) if year else np.zeros(len(f), int)
        ref[ti, ri.regions.get_indexer(f[region])] = f["_ref"].to_numpy()
        what = f"column {reference!r}"
    else:
        arr = _align_per_region(reference, ri, "reference", T)
        if arr.shape[2] != 1:
            raise SchemaError(f"`reference` must give one value per region "
                              f"({R} regions); got shape {arr.shape[1:]}")
        ref = np.broadcast_to(arr[:, :, 0], (T, R))
        what = "`reference`"
    if np.isnan(ref).any():
        raise SchemaError(f"{what} is missing for {int(np.isnan(ref).sum())} region(s); "
                          "the reference must be given for every region")
    _check_numbers(ref, what)
    tot = ref.sum(axis=1, keepdims=True)
    if (tot <= 0).any():
        raise SchemaError(f"{what} sums to zero; the reference needs a positive total")
    return (ref / tot)[:, :, None]


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="industry")
def hoover_concentration(data: Any, /, *, region: str | None = None,
                         industry: str | None = None, value: str | None = None,
                         year: str | None = None, reference: Any = None,
                         missing: str = "warn") -> pd.Series:
    r"""Hoover concentration index of each industry against a reference distribution.

    The Hoover index (胡佛集中系数, also the index of dissimilarity or "Robin Hood"
    index) is the share of an industry's employment that would have to move between
    regions for the industry to be spread like the reference (total employment,
    population, area): 0 when it is, approaching 1 when it sits in a region with a
    negligible reference share.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry data: a matrix (regions in rows), a wide frame, or a long frame
        with ``region=``, ``industry=``, ``value=`` (and ``year=`` for a panel).
    region, industry, value, year : str, optional
        Column names of a long frame.
    reference : array-like, Series, mapping or str, optional
        Reference per region, e.g. population or area (a Series or mapping is aligned on
        region labels; a str names a long frame's column holding one value per region).
        Default: the region's total over all industries in the data (region included).
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        Missing cells: counted as zero with a warning ("warn"), silently ("zero"),
        refused, or kept so that the industry's index is NaN ("propagate").

    Returns
    -------
    pandas.Series
        One value per industry (index industry, or year and industry for a panel); NaN
        for an industry with no employment.

    Raises
    ------
    SchemaError
        Negative or infinite values, a reference that is missing, negative or sums to
        zero, or unknown columns.

    See Also
    --------
    locational_gini : the Gini counterpart on the same Lorenz curve.

    Notes
    -----
    .. math::

        H_i = \frac12 \sum_r \left| s_{ri} - b_r \right|, \qquad
        s_{ri} = \frac{x_{ri}}{x_{\cdot i}}, \qquad
        b_r = \frac{z_r}{\sum_{r'} z_{r'}},

    where :math:`x_{ri}` is the value of industry :math:`i` in region :math:`r`,
    :math:`x_{\cdot i}` the industry's total, and :math:`z_r` the reference (by default
    :math:`z_r = x_{r\cdot}`, the region's total). :math:`H_i` is the largest vertical
    gap between the industry's Lorenz curve (regions ordered by location quotient) and
    the diagonal (Hoover 1936, pp. 162–165). It equals REAT's ``hoover(x, weighting)``
    and EconGeo's ``hoover_index`` / 100.

    References
    ----------
    .. [1] Hoover, E. M. (1936). The measurement of industrial localization. *The Review
       of Economics and Statistics* 18(4), 162–171. doi:10.2307/1927875
    .. [2] Huang, Y. and Leung, Y. (2009). Measuring regional inequality: a comparison of
       coefficient of variation and Hoover concentration index. *The Open Geography
       Journal* 2, 25–34. doi:10.2174/1874923200902010025

    Examples
    --------
    An industry with shares 0, .1, .1, .3, .5 in regions holding 10, 15, 20, 25 and 30 %
    of the population: :math:`H = (.1 + .05 + .1 + .05 + .2)/2 = .25` (the example of
    EconGeo's ``hoover_index``):

    >>> import numpy as np
    >>> ind = np.array([[0.0], [10], [10], [30], [50]])
    >>> round(float(hoover_concentration(ind, reference=[10, 15, 20, 25, 30]).iloc[0]), 12)
    0.25
    """
    ri = as_region_industry(data, region=region, industry=industry, value=value,
                            year=year, missing=missing)
    b = _reference_shares(ri, reference, data)
    s = shares_within_industry(ri.values)
    s -= b
    np.abs(s, out=s)
    out = 0.5 * s.sum(axis=1)
    return ri.per_industry(out, "hoover_concentration")


@dataclass(frozen=True)
class LocationalGiniResult:
    """Locational Gini per industry with its Lorenz curve points.

    ``points`` has identifying columns (year, industry), ``rank`` (0 = origin), the
    region, ``cumulative_reference_share`` (x) and ``cumulative_industry_share`` (y),
    regions ordered by rising location quotient. With ``weighting="equal"`` the x axis
    is the share of regions and the y axis the share of the summed location quotients.
    """

    locational_gini: pd.Series
    points: pd.DataFrame
    scale: str
    weighting: str

    def to_frame(self) -> pd.DataFrame:
        """The Lorenz points with each industry's ``locational_gini`` alongside."""
        g = self.locational_gini.rename("locational_gini").reset_index()
        keys = [c for c in g.columns if c != "locational_gini"]
        return self.points.merge(g, on=keys, how="left")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="industry")
def locational_gini(data: Any, /, *, region: str | None = None,
                    industry: str | None = None, value: str | None = None,
                    year: str | None = None, reference: Any = None, scale: str = "unit",
                    weighting: str = "reference", lorenz: bool = False,
                    missing: str = "warn") -> pd.Series | LocationalGiniResult:
    r"""Krugman's locational Gini coefficient of each industry.

    The locational Gini (区位基尼系数) compares an industry's distribution across regions
    with a reference distribution (total employment by default): regions are ordered by
    their location quotient, and the Gini is the area between the resulting Lorenz
    curve (cumulative reference share vs cumulative industry share) and the diagonal.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry data (matrix, wide frame, or long frame with ``region=``,
        ``industry=``, ``value=`` and optionally ``year=``).
    region, industry, value, year : str, optional
        Column names of a long frame.
    reference : array-like, Series, mapping or str, optional
        Reference per region (e.g. population); default each region's total over all
        industries in the data. As in :func:`hoover_concentration`.
    scale : {"unit", "half"}, default "unit"
        "unit": the usual Gini normalisation (area over the triangle's area), 0 for an
        industry spread like the reference, approaching 1 for total concentration in a
        small region; "half": the bare area, theoretical limit 0.5, as EconGeo's
        ``locational_gini`` reports it. ``half = unit / 2``.
    weighting : {"reference", "equal"}, default "reference"
        "reference": Krugman's curve, each region counting with its reference share (the
        reference-weighted Gini of location quotients). "equal": every region counts
        once and the y axis is the share of summed location quotients, i.e. the plain
        Gini of the regions' location quotients (REAT's ``gini.conc``, Farhauer and Kröll
        2013); regions with a zero reference are then left out.
    lorenz : bool, default False
        Return a :class:`LocationalGiniResult` with the Lorenz curve points.
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        As in :func:`hoover_concentration`.

    Returns
    -------
    pandas.Series or LocationalGiniResult
        One value per industry (NaN for an industry with no employment); with
        ``lorenz=True`` the result dataclass.

    Raises
    ------
    SchemaError
        Bad data or reference, or an unknown ``scale`` or ``weighting``.

    See Also
    --------
    hoover_concentration : the largest gap on the same Lorenz curve.
    gini : the unit-scale locational Gini is ``gini(LQ, weights=b)``.

    Notes
    -----
    With :math:`s_{ri} = x_{ri}/x_{\cdot i}`, reference shares :math:`b_r` and location
    quotients :math:`LQ_{ri} = s_{ri}/b_r`, sort regions so that
    :math:`LQ_{(1)i} \le \dots \le LQ_{(n)i}` and let :math:`X_k = \sum_{j\le k} b_{(j)}`,
    :math:`Y_k = \sum_{j \le k} s_{(j)i}` (:math:`X_0 = Y_0 = 0`). Then

    .. math::

        G_i = 1 - \sum_{k=1}^{n} (X_k - X_{k-1})(Y_k + Y_{k-1})

    on the unit scale (Krugman 1991, pp. 55–56 and Appendix D), and :math:`G_i / 2` on
    the half scale. Because :math:`\sum_r b_r LQ_{ri} = 1`, :math:`G_i` is the Gini of
    the location quotients weighted by the reference shares. With
    ``weighting="equal"``, :math:`X_k = k/n` and :math:`Y_k` is the cumulative share
    of :math:`\sum_r LQ_{ri}`.

    References
    ----------
    .. [1] Krugman, P. (1991). *Geography and Trade*. Cambridge, MA: MIT Press,
       pp. 55–56 and Appendix D.
    .. [2] Farhauer, O. and Kröll, A. (2013). *Standorttheorien: Regional- und
       Stadtökonomik in Theorie und Praxis*. Wiesbaden: Springer Gabler.
    .. [3] Balland, P.-A. (2017). Economic geography in R: introduction to the EconGeo
       package. *Papers in Evolutionary Economic Geography* 17.09, Utrecht University.

    Examples
    --------
    Two regions with 80 % and 20 % of all employment; the industry sits 50/50. Sorted by
    LQ (5/8, then 5/2): :math:`X = .8, 1`, :math:`Y = .5, 1`, so
    :math:`G = 1 - (.8 \cdot .5 + .2 \cdot 1.5) = 0.3`:

    >>> import numpy as np
    >>> m = np.array([[5.0, 75.0], [5.0, 15.0]])
    >>> round(float(locational_gini(m).iloc[0]), 12)
    0.3
    >>> round(float(locational_gini(m, scale="half").iloc[0]), 12)
    0.15
    """
    _choice("scale", scale, ("unit", "half"))
    _choice("weighting", weighting, ("reference", "equal"))
    if not isinstance(lorenz, bool):
        raise SchemaError(f"`lorenz` must be True or False; got {lorenz!r}")
    ri = as_region_industry(data, region=region, industry=industry, value=value,
                            year=year, missing=missing)
    b = _reference_shares(ri, reference, data)
    T, _, I = ri.values.shape
    out = np.empty((T, I))
    keep_points = [] if lorenz else None
    for t in range(T):  # one year at a time bounds the memory of the sort
        # industries x regions, contiguous along regions: sorting and cumsum are faster
        s = np.ascontiguousarray(shares_within_industry(ri.values[t:t + 1])[0].T)
        bt = b[t, :, 0]  # (R,)
        pos = bt > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            lq = s / np.where(pos, bt, 1.0)
        if not pos.all():  # a region with a zero reference: last if it has employment
            lq[:, ~pos] = np.where(s[:, ~pos] > 0, np.inf, 0.0)
        order = np.argsort(lq, axis=1)
        if weighting == "reference":
            ps = bt[order]
            qs = (np.take_along_axis(s, order, axis=1) if not pos.all()
                  else ps * np.take_along_axis(lq, order, axis=1))
        else:
            ps = pos.astype(float)[order]
            qs = np.where(ps > 0, np.take_along_axis(lq, order, axis=1), 0.0)
        out[t] = _lorenz_gini(ps[None], qs[None], axis=2)[0]
        if lorenz:
            with np.errstate(invalid="ignore", divide="ignore"):
                x = np.cumsum(ps, axis=1) / ps.sum(axis=1, keepdims=True)
                yc = np.cumsum(qs, axis=1) / qs.sum(axis=1, keepdims=True)
            keep_points.append((order.T, x.T, yc.T, (ps > 0).T))
    if scale == "half":
        out /= 2.0
    g = ri.per_industry(out, "locational_gini")
    if not lorenz:
        return g
    order, x, yc, keep = (np.stack([kp[j] for kp in keep_points]) for j in range(4))
    points = _points_frame(ri, False, order, x, yc, keep, "cumulative_reference_share",
                           "cumulative_industry_share")
    return LocationalGiniResult(locational_gini=g, points=points, scale=scale,
                                weighting=weighting)
