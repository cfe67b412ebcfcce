r"""Regional specialisation and diversity: location quotients and region-level indices.

The location quotient (and its trade twin, Balassa's revealed comparative advantage)
compares an industry's share of a region with its share of a reference economy. The
region-level indices summarise a region's whole industry mix: how far it is from the
reference mix (Krugman, Hoover, Hachman, relative diversity, average LQ) or how spread
it is in itself (Herfindahl, entropy and its related / unrelated variety decomposition).

Conventions (reference economy, empty cells, scales) are in
``docs/conventions.md``; every function states its own in Notes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.measures._core import shares_within_region
from agglomera.measures._input import RegionIndustry, as_region_industry
from agglomera.measures._registry import (
    BOUNDED_0_1,
    NONNEGATIVE,
    PERMUTATION_EQUIVARIANT,
    SCALE_INVARIANT,
    register,
)

__all__ = [
    "LocationQuotientResult",
    "RelatedUnrelatedVarietyResult",
    "average_lq",
    "entropy",
    "hachman",
    "herfindahl",
    "hoover_specialisation",
    "krugman_specialisation",
    "location_quotient",
    "rca",
    "related_unrelated_variety",
    "relative_diversity",
]

_LIST_TYPES = (list, tuple, np.ndarray, pd.Index, pd.Series)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _read(data, region, industry, value, year, missing) -> RegionIndustry:
    return as_region_industry(data, region=region, industry=industry, value=value,
                              year=year, missing=missing)


def _region_rows(ri: RegionIndustry, labels, what: str) -> np.ndarray:
    """Positions of one region label or a list of them (a boolean mask over regions)."""
    items = list(labels) if isinstance(labels, _LIST_TYPES) else [labels]
    if not items:
        raise SchemaError(f"`{what}` names no region; give a region label or a non-empty "
                          "list of region labels")
    mask = np.zeros(len(ri.regions), dtype=bool)
    for lab in items:
        mask[ri.region_position(lab)] = True
    return mask


def _industry_mask(ri: RegionIndustry, traded) -> np.ndarray:
    """A boolean mask over industries from a list of labels or a boolean mask."""
    arr = np.asarray(traded)
    if arr.dtype == bool:
        if arr.shape != (len(ri.industries),):
            raise SchemaError(f"`traded` as a boolean mask needs one entry per industry "
                              f"({len(ri.industries)}); got shape {arr.shape}")
        mask = arr.copy()
    else:
        items = list(traded) if isinstance(traded, _LIST_TYPES) else [traded]
        pos = ri.industries.get_indexer(items)
        if (pos < 0).any():
            bad = [items[k] for k in np.flatnonzero(pos < 0)[:5]]
            raise SchemaError(f"`traded` names industries not in the data: {bad}")
        mask = np.zeros(len(ri.industries), dtype=bool)
        mask[pos] = True
    if not mask.any():
        raise SchemaError("`traded` selects no industry; give at least one traded industry")
    return mask


def _is_keyword(ref, keywords) -> bool:
    return isinstance(ref, str) and ref in keywords


def _reference_shares(ri: RegionIndustry, reference, *, what: str = "reference"
                      ) -> np.ndarray:
    """Reference industry mix s_ref,i, shape (T, 1, I) or (T, R, I).

    ``None``/"total": all regions in the data; "others": all other regions pooled;
    "mean_others": unweighted mean of the other regions' share vectors (REAT
    ``krugman.spec2``); a region label or list of labels: those rows pooled.
    """
    x = ri.values
    if reference is None or _is_keyword(reference, ("total",)):
        col = x.sum(axis=1, keepdims=True)
        tot = col.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return col / tot
    if _is_keyword(reference, ("others",)):
        col = x.sum(axis=1, keepdims=True) - x
        tot = col.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return col / tot
    if _is_keyword(reference, ("mean_others",)):
        if x.shape[1] < 2:
            raise SchemaError(f"`{what}`='mean_others' needs at least two regions")
        s = shares_within_region(x)
        valid = ~np.isnan(s[:, :, :1])  # (T, R, 1): region has employment
        total = np.nansum(s, axis=1, keepdims=True)
        n = valid.sum(axis=1, keepdims=True) - valid
        with np.errstate(invalid="ignore", divide="ignore"):
            return (total - np.where(valid, s, 0.0)) / np.where(n > 0, n, np.nan)
    if isinstance(reference, str) and reference not in ri.regions:
        raise SchemaError(f"`{what}` must be one of None, 'total', 'others', "
                          f"'mean_others', a region label or a list of region labels; "
                          f"got {reference!r}")
    rows = _region_rows(ri, reference, what)
    col = x[:, rows, :].sum(axis=1, keepdims=True)
    tot = col.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return col / tot


def _share_distance(ri: RegionIndustry, reference) -> np.ndarray:
    """sum_i |s_ri - s_ref,i|, shape (T, R)."""
    ref = _reference_shares(ri, reference)
    s = _shares(ri.values)
    s -= ref
    np.abs(s, out=s)
    return s.sum(axis=2)


def _shares(x: np.ndarray) -> np.ndarray:
    """s_ri = x_ri / x_r. in one allocation; NaN for an empty region (0 / 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.divide(x, x.sum(axis=2, keepdims=True))


def _log_base(base) -> float:
    if isinstance(base, str):
        if base != "e":
            raise SchemaError(f"`base` must be 'e' or a positive number other than 1 "
                              f"(e.g. 2); got {base!r}")
        return 1.0
    try:
        b = float(base)
    except (TypeError, ValueError):
        raise SchemaError(f"`base` must be 'e' or a positive number other than 1; "
                          f"got {base!r}") from None
    if not b > 0 or b == 1.0 or not np.isfinite(b):
        raise SchemaError(f"`base` must be 'e' or a positive number other than 1; "
                          f"got {base!r}")
    return math.log(b)


def _entr(s: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """-s ln(s) with 0 ln 0 = 0 (NaN kept), elementwise."""
    from scipy.special import entr

    return entr(s, out=out) if out is not None else entr(s)


# ---------------------------------------------------------------------------------------
# location quotient
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LocationQuotientResult:
    """Location quotients with confidence bounds and/or empirical-Bayes shrunk values.

    Each statistic has the shape the data came in (ndarray, wide frame or long frame);
    statistics that were not asked for are ``None``.
    """

    lq: object
    lower: object
    upper: object
    shrunk: object
    interval: str | None
    shrinkage: str | None
    confidence: float
    base: object
    exclude_self: bool
    _arrays: dict = field(repr=False, compare=False, default_factory=dict)
    _ri: RegionIndustry | None = field(repr=False, compare=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        """Long frame: (year,) region, industry, then one column per statistic."""
        ri = self._ri
        t, r, i = ri.values.shape
        region, industry, _, year = ri.names
        cols: dict[str, np.ndarray] = {}
        if ri.is_panel:
            cols[year or "year"] = np.repeat(np.asarray(ri.years), r * i)
        cols[region or "region"] = np.tile(np.repeat(np.asarray(ri.regions), i), t)
        cols[industry or "industry"] = np.tile(np.asarray(ri.industries), t * r)
        for name in ("lq", "lower", "upper", "shrunk"):
            if self._arrays.get(name) is not None:
                cols[name] = self._arrays[name].reshape(-1)
        return pd.DataFrame(cols)


def _lq_parts(ri: RegionIndustry, base, exclude_self: bool, traded):
    """Numerator and reference pieces of the LQ: a, n_r, A_ri, N_r and c_r.

    a = x_ri, n = region total over the industries in scope, A = reference industry
    total, N = reference total, c = 1 where the region still counts in its reference.
    """
    x = ri.values
    if _is_keyword(base, ("traded",)):
        if traded is None:
            raise SchemaError("base='traded' needs `traded`: the traded industries as a "
                              "list of industry labels or a boolean mask")
        scope = _industry_mask(ri, traded)
        rows = np.ones(len(ri.regions), dtype=bool)
    else:
        if traded is not None:
            raise SchemaError("`traded` is used only with base='traded'; got base="
                              f"{base!r}")
        scope = np.ones(len(ri.industries), dtype=bool)
        if _is_keyword(base, ("total",)):
            rows = np.ones(len(ri.regions), dtype=bool)
        else:
            if isinstance(base, str) and base not in ri.regions:
                raise SchemaError(f"`base` must be one of 'total', 'traded', a region "
                                  f"label or a list of region labels; got {base!r}")
            rows = _region_rows(ri, base, "base")
    xs = x if scope.all() else np.where(scope, x, 0.0)
    n = xs.sum(axis=2, keepdims=True)  # (T, R, 1)
    a_ref = xs[:, rows, :].sum(axis=1, keepdims=True) if not rows.all() else \
        xs.sum(axis=1, keepdims=True)  # (T, 1, I)
    n_ref = a_ref.sum(axis=2, keepdims=True)  # (T, 1, 1)
    c = rows.astype(float)[None, :, None]  # (1, R, 1)
    if exclude_self:
        a_ref = a_ref - c * xs
        n_ref = n_ref - c * n
        c = np.zeros_like(c)
    return xs, n, a_ref, n_ref, c, scope


def _lq_from_parts(xs, n, a_ref, n_ref, scope) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = np.multiply(xs, 1.0 / n)  # 0 * inf = NaN for an empty region
        if a_ref.shape == xs.shape:  # exclude_self: the reference differs by region
            lq /= a_ref
            lq *= n_ref
        else:
            lq *= n_ref / a_ref
    if not scope.all():
        lq[:, :, ~scope] = np.nan
    return lq


def _symmetric(lq: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = (lq - 1.0) / (lq + 1.0)
    out[np.isposinf(lq)] = 1.0
    return out


def _check_bool(value, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise SchemaError(f"`{name}` must be True or False; got {value!r}")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="cells")
def location_quotient(data, /, *, region: str | None = None, industry: str | None = None,
                      value: str | None = None, year: str | None = None,
                      base="total", exclude_self: bool = False, symmetric: bool = False,
                      interval: str | None = None, shrinkage: str | None = None,
                      confidence: float = 0.95, traded=None, missing: str = "warn"):
    r"""Location quotient of every region and industry.

    The location quotient (区位熵) divides an industry's share of a region's employment
    (or output) by its share in a reference economy: above 1 the industry is
    over-represented in the region, below 1 under-represented. Optionally it returns
    Laursen's symmetric form, confidence bounds, or empirical-Bayes shrunk values for
    small cells.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix (2-D array, or 3-D years x regions x industries), a
        wide frame (index regions, columns industries) or a long frame with ``region``,
        ``industry``, ``value`` (and ``year``) columns.
    region, industry, value, year : str, optional
        Column names of a long frame; ``year`` makes it a panel (every year at once).
    base : {"total", "traded"} or region label or list of region labels, default "total"
        Reference economy. "total": all regions in the data. "traded": all regions,
        with region and reference totals taken over the ``traded`` industries only
        (non-traded industries get NaN). A label (e.g. the nation row ``"100000"``) or a
        list of labels (e.g. the three Northeast provinces): those rows pooled; they may
        be in the data.
    exclude_self : bool, default False
        Remove the region from its own reference (when it is part of it).
    symmetric : bool, default False
        Return :math:`(LQ-1)/(LQ+1)` in :math:`[-1, 1]` (Laursen 1998).
    interval : {"poisson", "delta"}, optional
        Confidence bounds; returns a :class:`LocationQuotientResult`.
    shrinkage : {"empirical_bayes"}, optional
        Empirical-Bayes shrunk LQs; returns a :class:`LocationQuotientResult`.
    confidence : float, default 0.95
        Confidence level of the bounds, in (0, 1).
    traded : list of industry labels or boolean mask, optional
        The traded industries, for ``base="traded"`` only.
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean (see :func:`~agglomera.measures.as_region_industry`).

    Returns
    -------
    ndarray or DataFrame or LocationQuotientResult
        Without ``interval``/``shrinkage``: the LQs in the shape of ``data`` (a long
        frame gets a ``location_quotient`` column). With them: a result whose ``lq``,
        ``lower``, ``upper`` and ``shrunk`` are in that shape, and ``to_frame()``.

    Raises
    ------
    SchemaError
        Bad input (negative or infinite values, unknown columns, unknown region labels)
        or an option outside its choices.

    See Also
    --------
    rca : the same quotient on export data.
    average_lq, hachman : region-level summaries of the LQs.

    Notes
    -----
    .. math::

        LQ_{ri} = \frac{x_{ri} / x_{r\cdot}}{X_{i} / X}

    where :math:`x_{ri}` is the value (employment) of industry :math:`i` in region
    :math:`r`, :math:`x_{r\cdot}=\sum_i x_{ri}` the region's total, :math:`X_i` the
    reference economy's value in industry :math:`i` and :math:`X=\sum_i X_i` its total
    (Hoover & Giarratani 1985; Farhauer & Kröll 2014). With ``exclude_self`` the region's
    own row is subtracted from :math:`X_i` and :math:`X` when it belongs to the
    reference. For ``base="total"`` without exclusion the employment-weighted mean over
    regions is one: :math:`\sum_r x_{r\cdot} LQ_{ri} / \sum_r x_{r\cdot} = 1`.

    Empty cells: an empty region gives NaN in every industry; an industry absent from
    the reference gives NaN (and ``inf`` where the region nevertheless has it, which
    can happen only with ``exclude_self`` or an outside reference). The symmetric form
    of ``inf`` is 1.

    **Intervals** treat :math:`a=x_{ri}` as a count (persons, firms): pass counts, not
    values in 10,000 persons, because the bounds are not scale invariant.
    ``"poisson"`` takes :math:`a` as Poisson with the reference share fixed and uses
    the exact (Garwood 1936) bounds
    :math:`a_L=\tfrac12\chi^2_{2a,\alpha/2}`, :math:`a_U=\tfrac12\chi^2_{2a+2,1-\alpha/2}`,
    so that :math:`LQ_{L,U}=a_{L,U}X/(x_{r\cdot}X_i)`; a zero cell has lower bound 0.
    ``"delta"`` is the delta method on :math:`\ln LQ` with binomial counts in the region
    (:math:`a`, proportion :math:`p_r=a/x_{r\cdot}`) and in the rest of the reference
    (:math:`b=X_i-c\,a`, :math:`p_o=b/(X-c\,x_{r\cdot})`), :math:`c=1` when the region
    is part of its reference (Moineddin, Beyene & Boyle 2003; Beyene & Moineddin 2005):

    .. math::

        \widehat{\operatorname{Var}}(\ln LQ) = \Big(\frac1a-\frac{c}{X_i}\Big)^2
        a(1-p_r) + \frac{b(1-p_o)}{X_i^2},\qquad
        LQ\,\exp(\pm z_{1-\alpha/2}\sqrt{\widehat{\operatorname{Var}}})

    which for :math:`c=0` is the familiar :math:`(1-p_r)/a+(1-p_o)/b` of a ratio of
    two independent proportions; it is undefined (NaN) for zero cells.

    **Shrinkage** ``"empirical_bayes"`` is the gamma-Poisson model of disease mapping
    (Clayton & Kaldor 1987) with Marshall's (1991) moment estimates, fitted separately
    for every industry and year across regions: :math:`a\sim\text{Poisson}(E\theta)`
    with expected count :math:`E=x_{r\cdot}X_i/X` (so :math:`\theta=LQ`) and
    :math:`\theta\sim\text{Gamma}` with mean :math:`m=\sum a/\sum E` and variance
    :math:`A=\max(0, s^2-m/\bar E)`, :math:`s^2=\sum E(\theta-m)^2/\sum E`,
    :math:`\bar E` the mean of :math:`E`. The posterior mean is
    :math:`m + C(\theta-m)`, :math:`C=A/(A+m/E)`: small cells move most toward
    :math:`m`. Regions with :math:`E=0` are left out of the fit and get NaN.

    References
    ----------
    .. [1] Hoover, E. M. & Giarratani, F. (1985). *An Introduction to Regional
       Economics*, 3rd ed. New York: Knopf.
    .. [2] Farhauer, O. & Kröll, A. (2014). *Standorttheorien: Regional- und
       Stadtökonomik in Theorie und Praxis*, 2nd ed. Wiesbaden: Springer Gabler.
    .. [3] Laursen, K. (1998). Revealed comparative advantage and the alternatives as
       measures of international specialisation. DRUID Working Paper 98-30; published
       2015 in *Eurasian Business Review* 5(1), 99-115. doi:10.1007/s40821-015-0017-1
    .. [4] Moineddin, R., Beyene, J. & Boyle, E. (2003). On the location quotient
       confidence interval. *Geographical Analysis* 35(3), 249-256.
       doi:10.1111/j.1538-4632.2003.tb01113.x
    .. [5] Beyene, J. & Moineddin, R. (2005). Methods for confidence interval
       estimation of a ratio parameter with application to location quotients. *BMC
       Medical Research Methodology* 5, 32. doi:10.1186/1471-2288-5-32
    .. [6] Garwood, F. (1936). Fiducial limits for the Poisson distribution.
       *Biometrika* 28(3/4), 437-442. doi:10.1093/biomet/28.3-4.437
    .. [7] Clayton, D. & Kaldor, J. (1987). Empirical Bayes estimates of
       age-standardized relative risks for use in disease mapping. *Biometrics* 43(3),
       671-681. doi:10.2307/2532003
    .. [8] Marshall, R. J. (1991). Mapping disease and mortality rates using empirical
       Bayes estimators. *Applied Statistics* 40(2), 283-294. doi:10.2307/2347593

    Examples
    --------
    Two regions, two industries; region A has 10 of its 40 workers in industry 0,
    against 30 of 100 overall: LQ = (10/40)/(30/100) = 0.8333.

    >>> import numpy as np
    >>> x = np.array([[10.0, 30.0], [20.0, 40.0]])
    >>> location_quotient(x).round(4)
    array([[0.8333, 1.0714],
           [1.1111, 0.9524]])
    >>> location_quotient(x, exclude_self=True).round(4)
    array([[0.75  , 1.125 ],
           [1.3333, 0.8889]])
    >>> location_quotient(x, symmetric=True).round(4)
    array([[-0.0909,  0.0345],
           [ 0.0526, -0.0244]])
    """
    ri = _read(data, region, industry, value, year, missing)
    _check_bool(exclude_self, "exclude_self")
    _check_bool(symmetric, "symmetric")
    if interval not in (None, "poisson", "delta"):
        raise SchemaError(f"`interval` must be one of None, 'poisson', 'delta'; "
                          f"got {interval!r}")
    if shrinkage not in (None, "empirical_bayes"):
        raise SchemaError(f"`shrinkage` must be one of None, 'empirical_bayes'; "
                          f"got {shrinkage!r}")
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise SchemaError(f"`confidence` must be a number in (0, 1); got {confidence!r}")
    if isinstance(base, str) and base not in ("total", "traded") and \
            base not in ri.regions:
        raise SchemaError(f"`base` must be one of 'total', 'traded', a region label or a "
                          f"list of region labels; got {base!r}")
    xs, n, a_ref, n_ref, c, scope = _lq_parts(ri, base, exclude_self, traded)
    lq = _lq_from_parts(xs, n, a_ref, n_ref, scope)
    transform = _symmetric if symmetric else (lambda v: v)
    if interval is None and shrinkage is None:
        return ri.cells(transform(lq), "location_quotient")

    arrays: dict[str, np.ndarray | None] = {"lq": transform(lq), "lower": None,
                                           "upper": None, "shrunk": None}
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = n_ref / (n * a_ref)  # LQ per unit of count a
    if interval == "poisson":
        lo, hi = _garwood(xs, 1.0 - confidence)
        arrays["lower"], arrays["upper"] = lo * scale, hi * scale
    elif interval == "delta":
        from scipy.stats import norm

        z = norm.ppf(0.5 + confidence / 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_r = xs / n
            b = a_ref - c * xs
            p_o = b / (n_ref - c * n)
            var = (1.0 / xs - c / a_ref) ** 2 * xs * (1 - p_r) + b * (1 - p_o) / a_ref**2
            half = z * np.sqrt(var)
            ok = xs > 0
        with np.errstate(invalid="ignore", over="ignore"):
            arrays["lower"] = np.where(ok, lq * np.exp(-half), np.nan)
            arrays["upper"] = np.where(ok, lq * np.exp(half), np.nan)
    if interval is not None:
        for key in ("lower", "upper"):
            arrays[key][:, :, ~scope] = np.nan
            arrays[key] = transform(arrays[key])
    if shrinkage == "empirical_bayes":
        arrays["shrunk"] = transform(_empirical_bayes(xs, lq, scale))
    return LocationQuotientResult(
        lq=ri.cells(arrays["lq"], "lq"),
        lower=None if arrays["lower"] is None else ri.cells(arrays["lower"], "lower"),
        upper=None if arrays["upper"] is None else ri.cells(arrays["upper"], "upper"),
        shrunk=None if arrays["shrunk"] is None else ri.cells(arrays["shrunk"], "shrunk"),
        interval=interval, shrinkage=shrinkage, confidence=float(confidence),
        base=base, exclude_self=bool(exclude_self), _arrays=arrays, _ri=ri)


def _garwood(a: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson bounds of a count: chi2(2a, alpha/2)/2 and chi2(2a+2, 1-alpha/2)/2.

    chi2.ppf(q, 2k) / 2 is gammaincinv(k, q). Counts are usually whole numbers with few
    distinct values, so the bounds are computed once per distinct value.
    """
    from scipy.special import gammaincinv

    flat = a.reshape(-1)
    finite = np.isfinite(flat)
    if finite.all() and np.array_equal(flat, np.round(flat)):
        values, inverse = np.unique(flat, return_inverse=True)
    else:
        values, inverse = flat, None
    with np.errstate(invalid="ignore"):
        lo = np.where(values > 0, gammaincinv(np.where(values > 0, values, 1.0),
                                              alpha / 2), 0.0)
        hi = gammaincinv(values + 1.0, 1.0 - alpha / 2)
    if inverse is not None:
        lo, hi = lo[inverse], hi[inverse]
    return lo.reshape(a.shape), hi.reshape(a.shape)


def _empirical_bayes(a: np.ndarray, lq: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Marshall (1991) global moment estimator, per industry and year across regions."""
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.broadcast_to(1.0 / scale, a.shape)  # expected count under LQ = 1
        ok = np.isfinite(e) & (e > 0) & np.isfinite(lq)
        ew = np.where(ok, e, 0.0)
        aw = np.where(ok, a, 0.0)
        sum_e = ew.sum(axis=1, keepdims=True)
        m = aw.sum(axis=1, keepdims=True) / sum_e
        theta = np.where(ok, lq, 0.0)
        s2 = (ew * (theta - m) ** 2).sum(axis=1, keepdims=True) / sum_e
        e_bar = sum_e / ok.sum(axis=1, keepdims=True)
        between = np.maximum(s2 - m / e_bar, 0.0)
        weight = between / (between + m / e)
        return np.where(ok, m + weight * (lq - m), np.nan)


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="cells")
def rca(data, /, *, region: str | None = None, industry: str | None = None,
        value: str | None = None, year: str | None = None, symmetric: bool = False,
        missing: str = "warn"):
    r"""Balassa's revealed comparative advantage of every exporter and product.

    Revealed comparative advantage (显示性比较优势指数) compares a product's share of a
    country's (or province's) exports with its share of the exports of all exporters in
    the data; above 1 the exporter is revealed to have a comparative advantage.

    Parameters
    ----------
    data : ndarray, DataFrame
        Exporter x product export values: matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame (exporter, product, export value, year).
    symmetric : bool, default False
        Return Laursen's revealed symmetric comparative advantage
        :math:`(RCA-1)/(RCA+1)` in :math:`[-1, 1]`.
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean.

    Returns
    -------
    ndarray or DataFrame
        RCA in the shape of ``data`` (a long frame gets an ``rca`` column).

    Raises
    ------
    SchemaError
        Bad input or options.

    See Also
    --------
    location_quotient : the same quotient on employment, with more reference options.

    Notes
    -----
    .. math::

        RCA_{ci} = \frac{X_{ci} / \sum_j X_{cj}}{\sum_k X_{ki} / \sum_k \sum_j X_{kj}}

    with :math:`X_{ci}` the exports of product :math:`i` by exporter :math:`c`
    (Balassa 1965, p. 106); the "world" is every exporter in the data. An exporter with
    no exports gives NaN; a product nobody exports gives NaN.

    References
    ----------
    .. [1] Balassa, B. (1965). Trade liberalisation and "revealed" comparative
       advantage. *The Manchester School* 33(2), 99-123.
       doi:10.1111/j.1467-9957.1965.tb00050.x
    .. [2] Laursen, K. (2015). Revealed comparative advantage and the alternatives as
       measures of international specialization. *Eurasian Business Review* 5(1),
       99-115. doi:10.1007/s40821-015-0017-1

    Examples
    --------
    >>> import numpy as np
    >>> exports = np.array([[50.0, 50.0], [10.0, 90.0]])
    >>> rca(exports).round(4)
    array([[1.6667, 0.7143],
           [0.3333, 1.2857]])
    >>> rca(exports, symmetric=True).round(4)
    array([[ 0.25  , -0.1667],
           [-0.5   ,  0.125 ]])
    """
    ri = _read(data, region, industry, value, year, missing)
    _check_bool(symmetric, "symmetric")
    xs, n, a_ref, n_ref, _, scope = _lq_parts(ri, "total", False, None)
    out = _lq_from_parts(xs, n, a_ref, n_ref, scope)
    return ri.cells(_symmetric(out) if symmetric else out, "rca")


# ---------------------------------------------------------------------------------------
# distance to a reference mix: Krugman, Hoover, relative diversity
# ---------------------------------------------------------------------------------------
_REFERENCE_DOC = """reference : None or {"total", "others", "mean_others"} or region label(s)
        Reference industry mix. None / "total" (default): all regions in the data,
        the region included. "others": all other regions pooled. "mean_others": the
        unweighted mean of the other regions' share vectors (REAT ``krugman.spec2``).
        A region label or list of labels: those rows pooled (e.g. the nation row)."""


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="region")
def krugman_specialisation(data, /, *, region: str | None = None,
                           industry: str | None = None, value: str | None = None,
                           year: str | None = None, reference=None, pairs: bool = False,
                           halved: bool = False, missing: str = "warn"):
    r"""Krugman specialisation index of every region (or of every pair of regions).

    The Krugman specialisation index (克鲁格曼专业化指数, also 地区专业化系数) adds up
    the absolute differences between a region's industry shares and a reference mix: 0
    when the region looks like the reference, 2 when they share no industry. With
    ``pairs=True`` it gives the dissimilarity of every pair of regions, the measure of
    structural similarity between neighbours.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame (see
        :func:`location_quotient`).
    region, industry, value, year : str, optional
        Column names of a long frame.
    {reference}
    pairs : bool, default False
        Return the all-pairs matrix :math:`K_{{rq}}` instead (``reference`` is then not
        used).
    halved : bool, default False
        Divide by two, giving the 0..1 scale (the Hoover coefficient of specialisation).
    missing : {{"warn", "zero", "raise", "propagate"}}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series or DataFrame
        One value per region (index region, or (year, region) for a panel). With
        ``pairs=True`` a region x region DataFrame (for a panel, rows indexed by
        (year, region)).

    Raises
    ------
    SchemaError
        Bad input, an unknown ``reference`` or a reference region not in the data.

    See Also
    --------
    hoover_specialisation : half of this index.
    relative_diversity : its reciprocal.

    Notes
    -----
    .. math::

        K_r = \sum_i \lvert s_{{ri}} - s^{{ref}}_i \rvert, \qquad
        s_{{ri}} = x_{{ri}} / \sum_j x_{{rj}}

    with :math:`s^{{ref}}_i` the reference economy's share of industry :math:`i`
    (Krugman 1991, app. D; Midelfart-Knarvik et al. 2000 compare with the other regions
    pooled, ``reference="others"``). Pairs: :math:`K_{{rq}} = \sum_i |s_{{ri}} -
    s_{{qi}}|`. Scale 0..2 (Farhauer & Kröll 2014; REAT); ``halved=True`` gives 0..1.
    EconGeo's ``krugman_index`` is ``reference="total"``; REAT's ``krugman.spec2`` and
    ``spec()`` use ``reference="mean_others"``. An empty region gives NaN. Pairs cost
    :math:`R^2 I` operations per year.

    References
    ----------
    .. [1] Krugman, P. (1991). *Geography and Trade*. Cambridge, MA: MIT Press.
    .. [2] Midelfart-Knarvik, K. H., Overman, H. G., Redding, S. J. & Venables, A. J.
       (2000). The location of European industry. *European Economy, Economic Papers*
       142. Brussels: European Commission.
    .. [3] Farhauer, O. & Kröll, A. (2014). *Standorttheorien*, 2nd ed. Wiesbaden:
       Springer Gabler.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[20.0, 10.0, 70.0, 0.0, 0.0], [0.0, 0.0, 0.0, 60.0, 40.0]])
    >>> krugman_specialisation(x, pairs=True).to_numpy().tolist()
    [[0.0, 2.0], [2.0, 0.0]]
    >>> krugman_specialisation(x).round(4).tolist()
    [1.0, 1.0]
    """
    ri = _read(data, region, industry, value, year, missing)
    _check_bool(pairs, "pairs")
    _check_bool(halved, "halved")
    factor = 0.5 if halved else 1.0
    if pairs:
        return _pairs_frame(ri, factor)
    return ri.per_region(factor * _share_distance(ri, reference), "krugman")


if krugman_specialisation.__doc__:
    krugman_specialisation.__doc__ = krugman_specialisation.__doc__.format(
        reference=_REFERENCE_DOC)


def _pairs_frame(ri: RegionIndustry, factor: float) -> pd.DataFrame:
    from scipy.spatial.distance import cdist

    s = _shares(ri.values)
    mats = []
    for t in range(s.shape[0]):  # one distance matrix per year
        st = s[t]
        d = cdist(np.nan_to_num(st), np.nan_to_num(st), metric="cityblock")
        empty = np.isnan(st).any(axis=1)
        d[empty, :] = np.nan
        d[:, empty] = np.nan
        mats.append(factor * d)
    cols = ri.regions
    if not ri.is_panel:
        return pd.DataFrame(mats[0], index=ri.regions, columns=cols)
    idx = pd.MultiIndex.from_product([ri.years, ri.regions],
                                     names=[ri.names[3], ri.regions.name])
    return pd.DataFrame(np.vstack(mats), index=idx, columns=cols)


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="region")
def hoover_specialisation(data, /, *, region: str | None = None,
                          industry: str | None = None, value: str | None = None,
                          year: str | None = None, reference=None, missing: str = "warn"):
    r"""Hoover coefficient of specialisation of every region (0..1).

    The Hoover coefficient of specialisation (胡佛专业化系数) is the share of a region's
    employment that would have to change industry for the region to have the reference
    economy's industry mix: half the Krugman index.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    {reference}
    missing : {{"warn", "zero", "raise", "propagate"}}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series
        One value per region in [0, 1] (index region, or (year, region)).

    Raises
    ------
    SchemaError
        Bad input or options.

    See Also
    --------
    krugman_specialisation : twice this coefficient.

    Notes
    -----
    .. math::

        HC_r = \tfrac12 \sum_i \lvert s_{{ri}} - s^{{ref}}_i \rvert

    (Hoover & Giarratani 1985, table 9-4; EconGeo ``spec_coeff``). Symbols as in
    :func:`krugman_specialisation`. An empty region gives NaN.

    References
    ----------
    .. [1] Hoover, E. M. & Giarratani, F. (1985). *An Introduction to Regional
       Economics*, 3rd ed. New York: Knopf.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[30.0, 10.0], [10.0, 30.0]])
    >>> hoover_specialisation(x).tolist()
    [0.25, 0.25]
    """
    ri = _read(data, region, industry, value, year, missing)
    return ri.per_region(0.5 * _share_distance(ri, reference), "hoover_specialisation")


if hoover_specialisation.__doc__:
    hoover_specialisation.__doc__ = hoover_specialisation.__doc__.format(
        reference=_REFERENCE_DOC)


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="region")
def relative_diversity(data, /, *, region: str | None = None, industry: str | None = None,
                       value: str | None = None, year: str | None = None,
                       reference=None, missing: str = "warn"):
    r"""Duranton and Puga's relative diversity index of every region.

    The relative diversity index (相对多样化指数) is the reciprocal of the summed
    absolute differences between a region's industry shares and the national shares:
    large when the region's mix is close to the nation's.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    {reference}
    missing : {{"warn", "zero", "raise", "propagate"}}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series
        One value per region (index region, or (year, region)); ``inf`` for a region
        whose mix equals the reference exactly.

    Raises
    ------
    SchemaError
        Bad input or options.

    See Also
    --------
    krugman_specialisation : the denominator.

    Notes
    -----
    .. math::

        RDI_r = \frac{{1}}{{\sum_i \lvert s_{{ri}} - s_i \rvert}}

    with :math:`s_{{ri}}` the share of industry :math:`i` in region :math:`r` and
    :math:`s_i` its share in the reference (the nation: all regions in the data by
    default) (Duranton & Puga 2000, p. 537). The minimum is 1/2. An empty region gives
    NaN.

    References
    ----------
    .. [1] Duranton, G. & Puga, D. (2000). Diversity and specialisation in cities: why,
       where and when does it matter? *Urban Studies* 37(3), 533-555.
       doi:10.1080/0042098002104

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[30.0, 10.0], [10.0, 30.0]])
    >>> relative_diversity(x).tolist()
    [2.0, 2.0]
    """
    ri = _read(data, region, industry, value, year, missing)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 / _share_distance(ri, reference)
    return ri.per_region(out, "relative_diversity")


if relative_diversity.__doc__:
    relative_diversity.__doc__ = relative_diversity.__doc__.format(
        reference=_REFERENCE_DOC)


# ---------------------------------------------------------------------------------------
# LQ summaries: Hachman, average LQ
# ---------------------------------------------------------------------------------------
def _weighted_lq(ri: RegionIndustry, reference) -> np.ndarray:
    """sum_i s_ri LQ_ri = sum_i s_ri^2 / s_ref,i over cells with s_ri > 0, (T, R)."""
    _refuse_mean_others(reference)
    ref = _reference_shares(ri, reference)
    s = _shares(ri.values)
    empty = np.isnan(s[:, :, 0])
    sq = np.multiply(s, s, out=s)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.zeros_like(sq)
        np.divide(sq, ref, out=out, where=sq > 0)
        total = out.sum(axis=2)
    total[empty] = np.nan
    return total


def _refuse_mean_others(reference) -> None:
    if _is_keyword(reference, ("mean_others",)):
        raise SchemaError("`reference` must be None, 'total', 'others', a region label or "
                          "a list of region labels here; got 'mean_others'")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="region")
def hachman(data, /, *, region: str | None = None, industry: str | None = None,
            value: str | None = None, year: str | None = None, reference=None,
            missing: str = "warn"):
    r"""Hachman index of every region: similarity of its mix to the reference, (0, 1].

    The Hachman index (哈克曼指数) is the reciprocal of the region's share-weighted mean
    location quotient; 1 when the region's industry mix equals the reference mix, near
    0 when it is concentrated in industries that are small in the reference.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    reference : None or {"total", "others"} or region label(s)
        Reference economy (default: all regions in the data, the region included).
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series
        One value per region (index region, or (year, region)).

    Raises
    ------
    SchemaError
        Bad input or options.

    See Also
    --------
    average_lq : with ``weighted=True``, the reciprocal of this index.

    Notes
    -----
    .. math::

        HI_r = \Big(\sum_i s_{ri}\, LQ_{ri}\Big)^{-1}
             = \Big(\sum_i s_{ri}^2 / s^{ref}_i\Big)^{-1}

    with :math:`s_{ri}` the region's share of industry :math:`i`, :math:`s^{ref}_i`
    the reference share and :math:`LQ_{ri}=s_{ri}/s^{ref}_i` (Hachman 1994, as
    described by Wagner 2000). By the Cauchy-Schwarz inequality :math:`HI_r \le 1`
    whenever the reference has every industry the region has, with equality only for
    identical mixes; a region with an industry the reference lacks gets 0. Cells with
    :math:`s_{ri}=0` add nothing. An empty region gives NaN. Equals EconGeo's
    ``hachman`` for ``reference="total"``.

    References
    ----------
    .. [1] Hachman, F. (1994). *Economic Report to the Governor*. Salt Lake City: State
       of Utah, Governor's Office of Planning and Budget.
    .. [2] Wagner, J. E. (2000). Regional economic diversity: action, concept, or state
       of confusion. *Journal of Regional Analysis and Policy* 30(2), 1-22.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[30.0, 10.0], [10.0, 30.0]])
    >>> hachman(x).tolist()
    [0.8, 0.8]
    """
    ri = _read(data, region, industry, value, year, missing)
    out = 1.0 / _weighted_lq(ri, reference)
    return ri.per_region(out, "hachman")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="region")
def average_lq(data, /, *, region: str | None = None, industry: str | None = None,
               value: str | None = None, year: str | None = None, reference=None,
               weighted: bool = False, missing: str = "warn"):
    r"""Average location quotient of every region.

    The average location quotient (平均区位熵) summarises a region's LQs in one number:
    the plain mean over industries, or (``weighted=True``) the mean weighted by the
    region's own industry shares, which is EconGeo's ``location_quotient_avg`` and the
    reciprocal of the Hachman index.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    reference : None or {"total", "others"} or region label(s)
        Reference economy (default: all regions in the data, the region included).
    weighted : bool, default False
        Weight each LQ by the region's share of the industry.
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series
        One value per region (index region, or (year, region)).

    Raises
    ------
    SchemaError
        Bad input or options.

    See Also
    --------
    location_quotient, hachman

    Notes
    -----
    .. math::

        \overline{LQ}_r = \frac{1}{|I^*|} \sum_{i \in I^*} LQ_{ri}, \qquad
        \overline{LQ}^{w}_r = \sum_i s_{ri} LQ_{ri}

    where :math:`LQ_{ri}=s_{ri}/s^{ref}_i` and :math:`I^*` are the industries present
    in the reference (:math:`s^{ref}_i>0`). An empty cell (:math:`x_{ri}=0`) enters the
    plain mean as LQ = 0; an industry absent from the reference is left out (its LQ is
    undefined); an empty region gives NaN. In the weighted mean empty cells carry zero
    weight. (Hoover & Giarratani 1985; Boschma, Balland & Kogler 2015.)

    References
    ----------
    .. [1] Hoover, E. M. & Giarratani, F. (1985). *An Introduction to Regional
       Economics*, 3rd ed. New York: Knopf.
    .. [2] Boschma, R., Balland, P.-A. & Kogler, D. F. (2015). Relatedness and
       technological change in cities: the rise and fall of technological knowledge in
       US metropolitan areas from 1981 to 2010. *Industrial and Corporate Change*
       24(1), 223-250. doi:10.1093/icc/dtu012

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[30.0, 10.0], [10.0, 30.0]])
    >>> average_lq(x).tolist()
    [1.0, 1.0]
    >>> average_lq(x, weighted=True).tolist()
    [1.25, 1.25]
    """
    ri = _read(data, region, industry, value, year, missing)
    _check_bool(weighted, "weighted")
    if weighted:
        return ri.per_region(_weighted_lq(ri, reference), "average_lq")
    _refuse_mean_others(reference)
    ref = _reference_shares(ri, reference)
    present = ref > 0  # industries present in the reference; the others are left out
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = np.divide(_shares(ri.values), ref)
        lq[np.broadcast_to(~present, lq.shape)] = 0.0
        out = lq.sum(axis=2) / present.sum(axis=2)
    return ri.per_region(out, "average_lq")


# ---------------------------------------------------------------------------------------
# spread of the region's own mix: Herfindahl, entropy, related / unrelated variety
# ---------------------------------------------------------------------------------------
@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, BOUNDED_0_1, NONNEGATIVE,
          kind="region")
def herfindahl(data, /, *, region: str | None = None, industry: str | None = None,
               value: str | None = None, year: str | None = None,
               normalised: bool = False, missing: str = "warn"):
    r"""Herfindahl index of every region's industry mix.

    The Herfindahl(-Hirschman) index (赫芬达尔指数) of a region is the sum of its
    squared industry shares: 1 when all employment is in one industry, 1/I when it is
    spread evenly over the I industries of the data.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    normalised : bool, default False
        Rescale to [0, 1]: :math:`(H - 1/I)/(1 - 1/I)`.
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series
        One value per region (index region, or (year, region)).

    Raises
    ------
    SchemaError
        Bad input or options; ``normalised=True`` with a single industry.

    See Also
    --------
    entropy : another measure of the spread of the mix.

    Notes
    -----
    .. math::

        H_r = \sum_i s_{ri}^2, \qquad H^*_r = \frac{H_r - 1/I}{1 - 1/I}

    with :math:`s_{ri}` the share of industry :math:`i` in region :math:`r` and
    :math:`I` the number of industries in the data (columns, including those the
    region lacks; REAT ``herf(norm=TRUE)`` does the same). An empty region gives NaN.
    (Herfindahl 1950; Hirschman 1945.)

    References
    ----------
    .. [1] Hirschman, A. O. (1945). *National Power and the Structure of Foreign Trade*.
       Berkeley: University of California Press.
    .. [2] Herfindahl, O. C. (1950). *Concentration in the Steel Industry*. PhD thesis,
       Columbia University.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[20.0, 50.0, 20.0, 10.0]])
    >>> round(float(herfindahl(x)[0]), 4)
    0.34
    >>> round(float(herfindahl(x, normalised=True)[0]), 4)
    0.12
    """
    ri = _read(data, region, industry, value, year, missing)
    _check_bool(normalised, "normalised")
    n_ind = ri.values.shape[2]
    if normalised and n_ind < 2:
        raise SchemaError("normalised=True needs at least two industries; the data have 1")
    s = _shares(ri.values)
    h = np.multiply(s, s, out=s).sum(axis=2)
    if normalised:
        h = (h - 1.0 / n_ind) / (1.0 - 1.0 / n_ind)
    return ri.per_region(h, "herfindahl")


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="region")
def entropy(data, /, *, region: str | None = None, industry: str | None = None,
            value: str | None = None, year: str | None = None, base=2,
            missing: str = "warn"):
    r"""Shannon entropy of every region's industry mix.

    The entropy index (熵指数, 多样化指数) is 0 when a region has a single industry and
    :math:`\log I` when its employment is spread evenly over the :math:`I` industries.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    base : float or "e", default 2
        Base of the logarithm: 2 (bits, as Frenken et al. 2007 and EconGeo), "e"
        (nats, as scipy) or any positive number other than 1.
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean.

    Returns
    -------
    Series
        One value per region (index region, or (year, region)).

    Raises
    ------
    SchemaError
        Bad input or an invalid ``base``.

    See Also
    --------
    related_unrelated_variety : its decomposition into between- and within-group parts.

    Notes
    -----
    .. math::

        E_r = -\sum_i s_{ri} \log_b s_{ri}, \qquad 0 \log 0 = 0

    with :math:`s_{ri}` the share of industry :math:`i` in region :math:`r` and
    :math:`b` the base (Shannon 1948). Exact: EconGeo's ``entropy`` adds 1e-9 inside
    the logarithm and rounds to three decimals. An empty region gives NaN.

    References
    ----------
    .. [1] Shannon, C. E. (1948). A mathematical theory of communication. *Bell System
       Technical Journal* 27(3), 379-423. doi:10.1002/j.1538-7305.1948.tb01338.x

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[25.0, 25.0, 25.0, 25.0], [50.0, 50.0, 0.0, 0.0]])
    >>> entropy(x).tolist()
    [2.0, 1.0]
    >>> entropy(x, base="e").round(4).tolist()
    [1.3863, 0.6931]
    """
    ri = _read(data, region, industry, value, year, missing)
    ln_b = _log_base(base)
    s = _shares(ri.values)
    return ri.per_region(_entr(s, out=s).sum(axis=2) / ln_b, "entropy")


@lru_cache(maxsize=1)
def _gbt_division_sections() -> dict[str, str]:
    """GB/T 4754-2017 division (2-digit) -> section letter, from the bundled list."""
    path = resources.files("agglomera.data.reference").joinpath("gbt4754_2017.csv")
    with path.open("r", encoding="utf-8") as fh:
        ref = pd.read_csv(fh, dtype=str)
    div = ref[ref["level"] == "division"]
    return dict(zip(div["code"], div["parent_section"], strict=True))


_LEVELS = ("auto", "division", "section")


def _default_groups(industries: pd.Index, levels: str) -> list[str]:
    codes = []
    for lab in industries:
        code = str(lab).strip() if isinstance(lab, str) else None
        if code is None or not code.isdigit() or len(code) not in (2, 3, 4):
            raise SchemaError(
                f"industry {lab!r} is not a GB/T 4754 code given as text (2, 3 or 4 "
                "digits, e.g. '13' or '1310'); pass groups= as a mapping industry -> "
                "group")
        codes.append(code)
    lengths = {len(c) for c in codes}
    sections = _gbt_division_sections()
    to_section = levels == "section" or (levels == "auto" and lengths == {2})
    out = []
    for c in codes:
        if to_section:
            if c[:2] not in sections:
                raise SchemaError(f"industry {c!r}: division {c[:2]!r} is not in GB/T "
                                  "4754-2017; pass groups=")
            out.append(sections[c[:2]])
        else:
            out.append(c[:2])
    return out


@dataclass(frozen=True)
class RelatedUnrelatedVarietyResult:
    """Entropy of every region split into unrelated (between-group) and related
    (within-group) variety: ``entropy == related + unrelated``."""

    entropy: pd.Series
    related: pd.Series
    unrelated: pd.Series
    groups: pd.Series
    base: object

    def to_frame(self) -> pd.DataFrame:
        """Long frame: (year,) region, entropy, related, unrelated."""
        frame = pd.concat({"entropy": self.entropy, "related": self.related,
                           "unrelated": self.unrelated}, axis=1)
        return frame.reset_index()


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, NONNEGATIVE, kind="result")
def related_unrelated_variety(data, /, *, region: str | None = None,
                              industry: str | None = None, value: str | None = None,
                              year: str | None = None, groups: Mapping | None = None,
                              levels: str = "auto", base=2, missing: str = "warn"
                              ) -> RelatedUnrelatedVarietyResult:
    r"""Related and unrelated variety of every region (Frenken, van Oort & Verburg 2007).

    Related variety (相关多样性) is the variety within broad industry groups, unrelated
    variety (无关多样性) the variety between them; they add up to the entropy of the
    region's detailed industry mix.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry matrix, wide frame or long frame.
    region, industry, value, year : str, optional
        Column names of a long frame.
    groups : mapping, optional
        Industry label -> group label (every industry must be mapped). Overrides the
        default grouping of GB/T 4754 codes.
    levels : {"auto", "division", "section"}, default "auto"
        Default grouping of GB/T 4754-2017 codes given as text: "division" groups 3-
        and 4-digit codes by their 2-digit division; "section" groups every code by
        its section letter (via its division, from the bundled GB/T 4754-2017 list);
        "auto" uses "section" when all codes are 2-digit divisions and "division"
        otherwise.
    base : float or "e", default 2
        Base of the logarithm (2 as in Frenken et al. 2007).
    missing : {"warn", "zero", "raise", "propagate"}, default "warn"
        What missing cells mean.

    Returns
    -------
    RelatedUnrelatedVarietyResult
        ``entropy``, ``related`` and ``unrelated`` Series by region (or
        (year, region)), the ``groups`` used (industry -> group), ``base``, and
        ``to_frame()``.

    Raises
    ------
    SchemaError
        Bad input; industries not mapped by ``groups``; labels that are not GB/T 4754
        codes when ``groups`` is not given; invalid ``levels`` or ``base``.

    See Also
    --------
    entropy : the total.

    Notes
    -----
    With :math:`s_{ri}` the share of industry :math:`i` in region :math:`r`,
    :math:`P_{rg}=\sum_{i\in g} s_{ri}` the share of group :math:`g` and
    :math:`H_{rg}=-\sum_{i\in g} (s_{ri}/P_{rg}) \log_b (s_{ri}/P_{rg})` the entropy
    within the group (Frenken, van Oort & Verburg 2007, eqs. 1-4):

    .. math::

        UV_r = -\sum_g P_{rg} \log_b P_{rg}, \qquad
        RV_r = \sum_g P_{rg} H_{rg}, \qquad
        E_r = -\sum_i s_{ri} \log_b s_{ri} = UV_r + RV_r.

    Groups with :math:`P_{rg}=0` add nothing; :math:`0\log 0=0`. An empty region gives
    NaN.

    References
    ----------
    .. [1] Frenken, K., van Oort, F. & Verburg, T. (2007). Related variety, unrelated
       variety and regional economic growth. *Regional Studies* 41(5), 685-697.
       doi:10.1080/00343400601120296
    .. [2] National Bureau of Statistics of China (2017). GB/T 4754-2017 *Industrial
       classification for national economic activities*. Beijing: Standards Press of
       China.

    Examples
    --------
    Two groups of two industries each, all four equally large: one bit between groups
    and one bit within them.

    >>> import pandas as pd
    >>> x = pd.DataFrame([[1.0, 1.0, 1.0, 1.0]], index=["A"],
    ...                  columns=["1310", "1320", "2610", "2620"])
    >>> res = related_unrelated_variety(x)
    >>> float(res.unrelated["A"]), float(res.related["A"]), float(res.entropy["A"])
    (1.0, 1.0, 2.0)
    """
    ri = _read(data, region, industry, value, year, missing)
    ln_b = _log_base(base)
    if levels not in _LEVELS:
        raise SchemaError(f"`levels` must be one of {', '.join(map(repr, _LEVELS))}; "
                          f"got {levels!r}")
    if groups is None:
        labels = _default_groups(ri.industries, levels)
    else:
        if not isinstance(groups, (Mapping, pd.Series)):
            raise SchemaError("`groups` must be a mapping industry -> group (dict or "
                              f"Series); got {type(groups).__name__}")
        lookup = dict(groups.items())
        unmapped = [lab for lab in ri.industries if lab not in lookup]
        if unmapped:
            raise SchemaError(f"`groups` does not map {len(unmapped)} industr"
                              f"{'y' if len(unmapped) == 1 else 'ies'}, e.g. "
                              f"{unmapped[:5]}; map every industry to a group")
        labels = [lookup[lab] for lab in ri.industries]
    group_index, codes = np.unique(np.asarray(labels, dtype=object).astype(str),
                                   return_inverse=True)
    # one compiled pass per region (twin: _kernels.variety.variety_numpy); RV is summed
    # from its own terms, not taken as E - UV, so that E = RV + UV is a real check
    from agglomera.measures._kernels.variety import variety_numba

    total, unrelated, related = variety_numba(
        np.ascontiguousarray(ri.values), codes.astype(np.int64), len(group_index))
    return RelatedUnrelatedVarietyResult(
        entropy=ri.per_region(total / ln_b, "entropy"),
        related=ri.per_region(related / ln_b, "related"),
        unrelated=ri.per_region(unrelated / ln_b, "unrelated"),
        groups=pd.Series(labels, index=ri.industries, name="group"),
        base=base,
    )
