r"""Agglomeration indices from enterprise (plant) records.

Every function here takes a plant frame first: one row per plant or enterprise, with
the columns named by ``region=``, ``industry=``, ``value=`` (the plant's size, usually
employment) and, for a panel, ``year=`` (one call computes every year). Plant sizes are
never approximated from regional aggregates: an index that needs the plant Herfindahl
:math:`H` refuses data without plant-level sizes.

The region x industry totals are built once with categorical codes and ``np.bincount``
(no Python loop over plants), so ten million records take about a second.

Conventions (reference distribution :math:`x_r`, missing sizes, the null models of the
tests) are written down in ``docs/conventions.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures._input import check_choice as _check_choice
from agglomera.measures._kernels.agglomeration import group_moments_numba
from agglomera.measures._registry import (
    PERMUTATION_EQUIVARIANT,
    SCALE_INVARIANT,
    register,
)

__all__ = [
    "CoagglomerationResult",
    "ColocationResult",
    "EllisonGlaeserResult",
    "LitzenbergerSternbergResult",
    "MaurelSedillotResult",
    "coagglomeration",
    "coagglomeration_from_stats",
    "colocation",
    "colocation_from_stats",
    "ellison_glaeser",
    "ellison_glaeser_from_stats",
    "litzenberger_sternberg",
    "litzenberger_sternberg_from_stats",
    "maurel_sedillot",
    "maurel_sedillot_from_stats",
]

_MISSING = ("warn", "zero", "raise", "propagate")
_ALTERNATIVES = ("greater", "less", "two-sided")
_NULLS = ("pooled", "all")


# ---------------------------------------------------------------------------------
# one conversion: plant records -> codes and (T, R, I) totals
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plants:
    """Plant records reduced to arrays (private)."""

    size: np.ndarray  # (T, R, I) sum of plant sizes
    s1: np.ndarray  # (T, I) industry size
    s2: np.ndarray  # (T, I) sum of squared plant sizes
    s4: np.ndarray  # (T, I) sum of fourth powers
    n: np.ndarray  # (T, I) number of plants
    regions: pd.Index
    industries: pd.Index
    years: pd.Index | None
    t_code: np.ndarray  # per plant
    r_code: np.ndarray
    i_code: np.ndarray
    names: tuple[str, str, str | None]  # region, industry, year column names

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.size.shape  # type: ignore[return-value]

    def per_industry(self, out: np.ndarray, name: str) -> pd.Series:
        """(T, I) -> Series indexed by industry, or (year, industry) for a panel."""
        if self.years is None:
            return pd.Series(out[0], index=self.industries, name=name)
        idx = pd.MultiIndex.from_product([self.years, self.industries])
        return pd.Series(out.reshape(-1), index=idx, name=name)



def _codes(col: pd.Series, what: str, *,
           sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    if col.isna().any():
        raise SchemaError(f"column {col.name!r} ({what}) has {int(col.isna().sum())} "
                          "missing label(s); every plant needs a " + what)
    if isinstance(col.dtype, pd.CategoricalDtype):  # fast path: codes are ready
        codes = col.cat.codes.to_numpy(np.intp)
        cats = col.cat.categories
        used = np.bincount(codes, minlength=len(cats)) > 0
        if used.all():
            return codes, pd.Index(cats)
        remap = np.cumsum(used) - 1  # drop categories without plants
        return remap[codes], pd.Index(cats[used])
    codes, uniques = pd.factorize(col, sort=sort)
    return codes.astype(np.intp, copy=False), pd.Index(uniques)


def _plant_arrays(plants: object, *, region: str, industry: str, value: str | None,
                  year: str | None, missing: str, need_sizes: bool = True) -> _Plants:
    _check_choice("missing", missing, _MISSING)
    if not isinstance(plants, pd.DataFrame):
        raise SchemaError("`plants` must be a pandas DataFrame with one row per plant "
                          f"or enterprise; got {type(plants).__name__}")
    if len(plants) == 0:
        raise SchemaError("`plants` is empty")
    absent = [c for c in (region, industry, year) if c is not None
              and c not in plants.columns]
    if absent:
        raise SchemaError(f"columns {absent} not found among "
                          f"{', '.join(map(str, plants.columns))}; name them with "
                          "region=, industry= (and year=)")
    why = ("plant-level sizes are needed: the index corrects for the plant Herfindahl "
           "H = sum_k z_k^2 of each industry, which cannot be recovered from regional "
           "totals; approximating plant shares from regional shares would bias gamma")
    if value is None or value not in plants.columns:
        if need_sizes:
            raise SchemaError(f"column {value!r} with plant sizes not found among "
                              f"{', '.join(map(str, plants.columns))}; {why}")
        vals = np.ones(len(plants))
    else:
        raw = plants[value]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna()
        if bad.any():
            raise SchemaError(f"column {value!r} has {int(bad.sum())} non-numeric "
                              f"value(s), e.g. {raw[bad].iloc[0]!r}")
        vals = num.to_numpy(dtype=float)
        nan = np.isnan(vals)
        if nan.all():
            raise SchemaError(f"column {value!r} holds no plant sizes (all missing); "
                              f"{why}")
        if np.isinf(vals).any():
            raise SchemaError(f"column {value!r} contains infinite plant sizes")
        if (vals < 0).any():
            raise SchemaError(f"column {value!r} contains {int((vals < 0).sum())} "
                              "negative plant size(s); sizes such as employment "
                              "must be >= 0")
        n_nan = int(nan.sum())
        if n_nan:
            if missing == "raise":
                raise SchemaError(f"column {value!r} has {n_nan} missing plant "
                                  "size(s); pass missing='zero' to count them as size "
                                  "0, or 'propagate' to make their industries' results "
                                  "NaN")
            if missing == "warn":
                warnings.warn(f"column {value!r} has {n_nan} missing plant size(s), "
                              "counted as size 0; pass missing='zero' to accept this "
                              "silently, 'propagate' or 'raise'", MissingValueWarning,
                              stacklevel=3)
            if missing in ("warn", "zero"):
                vals = np.where(nan, 0.0, vals)
    r_code, regions = _codes(plants[region], "region")
    i_code, industries = _codes(plants[industry], "industry")
    regions = regions.rename(region)
    industries = industries.rename(industry)
    if year is not None:
        t_code, years = _codes(plants[year], "year")
        years = years.rename(year)
    else:
        t_code, years = np.zeros(len(plants), dtype=np.intp), None
    n_t = 1 if years is None else len(years)
    n_r, n_i = len(regions), len(industries)
    ti = t_code * n_i + i_code
    s1, s2, s4, n = group_moments_numba(ti, vals, n_t * n_i)
    cell = (t_code * n_r + r_code) * n_i + i_code
    size = np.bincount(cell, weights=vals, minlength=n_t * n_r * n_i)
    return _Plants(size.reshape(n_t, n_r, n_i), s1.reshape(n_t, n_i),
                   s2.reshape(n_t, n_i), s4.reshape(n_t, n_i),
                   n.reshape(n_t, n_i).astype(float), regions, industries, years,
                   t_code, r_code, i_code, (region, industry, year))


def _region_level(given: object, p: _Plants, plants: pd.DataFrame | None, what: str,
                  ) -> tuple[np.ndarray, pd.Index]:
    """Region-level totals (T, R') and the region index R' (plant regions first, then
    regions that only the Series knows)."""
    n_t = p.shape[0]
    region, _, year = p.names
    if isinstance(given, str):
        if plants is None:
            raise SchemaError(f"`{what}` must be a Series indexed by region (or (year, "
                              "region)) with sufficient statistics; a column name "
                              f"({given!r}) needs the plant records")
        if given not in plants.columns:
            raise SchemaError(f"`{what}` names column {given!r}, which is not among "
                              f"{', '.join(map(str, plants.columns))}")
        v = pd.to_numeric(plants[given], errors="coerce").to_numpy(dtype=float)
        if np.isnan(v).any():
            raise SchemaError(f"column {given!r} (`{what}`) has missing or non-numeric "
                              "values; every plant row needs its region's value")
        key = p.t_code * len(p.regions) + p.r_code
        g = pd.Series(v).groupby(key)
        lo, hi = g.min(), g.max()
        if not np.allclose(lo.to_numpy(), hi.to_numpy(), rtol=1e-12, atol=0.0):
            k = int(np.flatnonzero(~np.isclose(lo.to_numpy(), hi.to_numpy(),
                                               rtol=1e-12, atol=0.0))[0])
            r = p.regions[int(lo.index[k]) % len(p.regions)]
            raise SchemaError(f"column {given!r} (`{what}`) must be constant within a "
                              f"region{' and year' if year else ''}; region {r!r} has "
                              f"values from {lo.iloc[k]} to {hi.iloc[k]}")
        out = np.full(n_t * len(p.regions), np.nan)
        out[lo.index.to_numpy()] = lo.to_numpy()
        out = out.reshape(n_t, len(p.regions))
        regions = p.regions
    elif isinstance(given, pd.Series):
        s = pd.to_numeric(given, errors="coerce")
        if isinstance(s.index, pd.MultiIndex):
            if p.years is None or s.index.nlevels != 2:
                raise SchemaError(f"`{what}` with a MultiIndex must be indexed by "
                                  "(year, region) and needs year=")
            extra = s.index.get_level_values(1).unique().difference(p.regions)
            regions = p.regions.append(extra).rename(region)
            idx = pd.MultiIndex.from_product([p.years, regions])
            out = s.reindex(idx).to_numpy(dtype=float).reshape(n_t, len(regions))
        else:
            if s.index.has_duplicates:
                raise SchemaError(f"`{what}` has duplicate region labels")
            extra = s.index.difference(p.regions)
            regions = p.regions.append(extra).rename(region)
            out = np.broadcast_to(s.reindex(regions).to_numpy(dtype=float),
                                  (n_t, len(regions))).copy()
        lacking = np.isnan(out[:, : len(p.regions)]).any(axis=0)
        if lacking.any():
            sample = ", ".join(map(repr, p.regions[lacking][:8]))
            raise SchemaError(f"`{what}` has no (numeric) value for "
                              f"{int(lacking.sum())} region(s) with plants: {sample}")
        out = np.where(np.isnan(out), 0.0, out) if len(extra) else out
    else:
        raise SchemaError(f"`{what}` must be a Series indexed by region or the name of "
                          "a column of region-level values; got "
                          f"{type(given).__name__}")
    if np.isinf(out).any() or (out < 0).any():
        raise SchemaError(f"`{what}` must be finite and non-negative")
    return out, regions


def _aggregate_shares(p: _Plants, plants: pd.DataFrame | None, region_totals: object,
                      ) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Industry shares S (T, R', I) and aggregate shares x (T, R')."""
    size = p.size
    regions = p.regions
    if region_totals is None:
        tot = np.nansum(size, axis=2)  # with missing="propagate": from known sizes
    else:
        tot, regions = _region_level(region_totals, p, plants, "region_totals")
        extra = len(regions) - len(p.regions)
        if extra:
            pad = np.zeros((size.shape[0], extra, size.shape[2]))
            size = np.concatenate([size, pad], axis=1)
    grand = tot.sum(axis=1, keepdims=True)
    if (grand <= 0).any():
        raise SchemaError("total size over all regions is zero"
                          + (" in some year" if p.years is not None else ""))
    x = tot / grand
    with np.errstate(invalid="ignore", divide="ignore"):
        s = size / p.s1[:, None, :]
    return s, x, regions


def _pvalue(z: np.ndarray, alternative: str) -> np.ndarray:
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "less":
        return stats.norm.cdf(z)
    return 2.0 * stats.norm.sf(np.abs(z))


def _frame(p: _Plants, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    region, industry, year = p.names
    n_t, _, n_i = p.shape
    data: dict[str, object] = {}
    if p.years is not None:
        data[year] = np.repeat(np.asarray(p.years), n_i)
    data[industry] = np.tile(np.asarray(p.industries), n_t)
    for k, v in columns.items():
        data[k] = np.asarray(v).reshape(-1)
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------------
# Ellison-Glaeser
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class EllisonGlaeserResult:
    """Ellison-Glaeser index per industry (and year), with the dartboard z-test."""

    gamma: pd.Series
    raw_concentration: pd.Series
    plant_herfindahl: pd.Series
    expected_concentration: pd.Series
    variance: pd.Series
    zscore: pd.Series
    pvalue: pd.Series
    n_plants: pd.Series
    alternative: str
    region_totals: str
    _plants: _Plants = field(repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Long frame: (year,) industry, then one column per statistic."""
        cols = ("gamma", "raw_concentration", "plant_herfindahl",
                "expected_concentration", "variance", "zscore", "pvalue", "n_plants")
        return _frame(self._plants, {c: getattr(self, c).to_numpy() for c in cols})


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, kind="result", input="plants")
def ellison_glaeser(
    plants: pd.DataFrame,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    region_totals: pd.Series | str | None = None,
    alternative: str = "greater",
    missing: str = "warn",
) -> EllisonGlaeserResult:
    r"""Ellison-Glaeser index of geographic concentration from plant records.

    The "dartboard" index (Ellison–Glaeser 指数, 产业地理集中指数) compares the raw
    geographic concentration of an industry's employment with the concentration
    expected if its plants had been thrown at the map at random, with probabilities
    equal to each region's share of aggregate employment. It corrects for the lumpiness
    of plants through the plant Herfindahl, so industries with few large plants are not
    mistaken for clustered ones. Also returns the variance-based z-test of
    :math:`\gamma = 0` from the paper's appendix.

    Parameters
    ----------
    plants : pandas.DataFrame
        One row per plant or enterprise.
    region, industry, value : str
        Column names: the plant's region, its industry, and its size (employment).
        Plant sizes are required (see Raises).
    year : str, optional
        Column of years; one result per year and industry.
    region_totals : pandas.Series or str, optional
        Aggregate size of each region defining :math:`x_r` (e.g. total regional
        employment of all industries, like REAT's ``emp_region``): a Series indexed by
        region (or by (year, region)), or the name of a column that is constant within
        each region (and year). Regions that only the Series knows enter with
        :math:`s_{ri} = 0`. Default: the sum of the plants' sizes in each region.
    alternative : {"greater", "less", "two-sided"}
        Alternative hypothesis of the z-test; "greater" tests for agglomeration.
    missing : {"warn", "zero", "raise", "propagate"}
        Missing plant sizes: counted as 0 with a warning, silently, refused, or kept
        so that the affected industries' results are NaN (:math:`x_r` then comes from
        the known sizes).

    Returns
    -------
    EllisonGlaeserResult
        Series ``gamma``, ``raw_concentration`` (G), ``plant_herfindahl`` (H),
        ``expected_concentration`` (E[G] under the null), ``variance`` (Var[G]),
        ``zscore``, ``pvalue`` and ``n_plants``, indexed by industry (or (year,
        industry)), plus ``to_frame()``.

    Raises
    ------
    SchemaError
        If the size column is absent or entirely missing (plant-level sizes are needed
        for H), sizes are negative or infinite, labels are missing, or an option is
        invalid.

    See Also
    --------
    maurel_sedillot, coagglomeration

    Notes
    -----
    With :math:`E_{ri}` the size of industry :math:`i` in region :math:`r`,
    :math:`s_{ri} = E_{ri} / \sum_r E_{ri}` the region's share of the industry,
    :math:`x_r` the region's share of aggregate size, and :math:`z_k` plant
    :math:`k`'s share of its industry (Ellison & Glaeser 1997, eq. 4):

    .. math::

        G_i = \sum_r (s_{ri} - x_r)^2, \qquad H_i = \sum_{k \in i} z_k^2, \qquad
        \gamma_i = \frac{G_i - (1 - \sum_r x_r^2) H_i}{(1 - \sum_r x_r^2)(1 - H_i)}.

    Under the null of independent dartboard location (:math:`\gamma = 0`),
    :math:`E[G_i] = (1 - \sum_r x_r^2) H_i` and (appendix)

    .. math::

        \operatorname{Var}(G_i) = 2 \Big\{ H_i^2 \big[\textstyle\sum_r x_r^2
        - 2 \sum_r x_r^3 + (\sum_r x_r^2)^2\big] - \sum_k z_k^4 \big[\sum_r x_r^2
        - 4 \sum_r x_r^3 + 3 (\sum_r x_r^2)^2\big] \Big\},

    and :math:`z_i = (G_i - E[G_i]) / \sqrt{\operatorname{Var}(G_i)}` is referred to
    the standard normal, an approximation that is poor for industries with few plants.
    :math:`\gamma` is NaN for an industry with a single plant (:math:`H = 1`).

    References
    ----------
    .. [1] Ellison, G., & Glaeser, E. L. (1997). Geographic concentration in U.S.
       manufacturing industries: a dartboard approach. Journal of Political Economy,
       105(5), 889–927. doi:10.1086/262098
    .. [2] Wieland, T. (2019). REAT: A Regional Economic Analysis Toolbox for R.
       REGION, 6(3), R1–R57. doi:10.18335/region.v6i3.267

    Examples
    --------
    Two regions; industry "a" has two plants of 1 and 3 in region "n", industry "b"
    one plant of 2 in each region. Aggregate shares :math:`x = (0.75, 0.25)`,
    :math:`1 - \sum x^2 = 0.375`; for "a", :math:`s = (1, 0)`, :math:`G = 0.125`,
    :math:`H = 10/16`, :math:`\gamma = (0.125 - 0.375 \cdot 0.625) / (0.375 \cdot
    0.375) = -0.7778`; for "b", :math:`G = 0.125`, :math:`H = 0.5`,
    :math:`\gamma = (0.125 - 0.1875) / 0.1875 = -1/3`.

    >>> import pandas as pd
    >>> plants = pd.DataFrame({"region": ["n", "n", "n", "s"],
    ...                        "industry": ["a", "a", "b", "b"],
    ...                        "employment": [1.0, 3.0, 2.0, 2.0]})
    >>> res = ellison_glaeser(plants)
    >>> res.gamma.round(4).tolist()
    [-0.7778, -0.3333]
    >>> res.plant_herfindahl.tolist()
    [0.625, 0.5]
    """
    _check_choice("alternative", alternative, _ALTERNATIVES)
    p = _plant_arrays(plants, region=region, industry=industry, value=value, year=year,
                      missing=missing)
    return _eg_result(p, plants, region_totals, alternative)


def _eg_result(p: _Plants, plants: pd.DataFrame | None, region_totals: object,
               alternative: str) -> EllisonGlaeserResult:
    s, x, _ = _aggregate_shares(p, plants, region_totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = ((s - x[:, :, None]) ** 2).sum(axis=1)
        h = p.s2 / p.s1**2
        z4 = p.s4 / p.s1**4
        sx2 = (x**2).sum(axis=1)[:, None]
        sx3 = (x**3).sum(axis=1)[:, None]
        gamma = (g - (1 - sx2) * h) / ((1 - sx2) * (1 - h))
        gamma = np.where(h < 1.0, gamma, np.nan)
        eg = (1 - sx2) * h
        var = 2.0 * (h**2 * (sx2 - 2 * sx3 + sx2**2)
                     - z4 * (sx2 - 4 * sx3 + 3 * sx2**2))
        zscore = np.where(var > 0, (g - eg) / np.sqrt(np.where(var > 0, var, 1.0)),
                          np.nan)
    pval = _pvalue(zscore, alternative)
    return EllisonGlaeserResult(
        gamma=p.per_industry(gamma, "gamma"),
        raw_concentration=p.per_industry(g, "raw_concentration"),
        plant_herfindahl=p.per_industry(h, "plant_herfindahl"),
        expected_concentration=p.per_industry(eg, "expected_concentration"),
        variance=p.per_industry(var, "variance"),
        zscore=p.per_industry(zscore, "zscore"),
        pvalue=p.per_industry(pval, "pvalue"),
        n_plants=p.per_industry(p.n, "n_plants"),
        alternative=alternative,
        region_totals="plants" if region_totals is None else "given",
        _plants=p,
    )


# ---------------------------------------------------------------------------------
# Maurel-Sedillot
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MaurelSedillotResult:
    """Maurel-Sédillot index per industry (and year)."""

    gamma: pd.Series
    raw_concentration: pd.Series
    plant_herfindahl: pd.Series
    n_plants: pd.Series
    region_totals: str
    _plants: _Plants = field(repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Long frame: (year,) industry, then one column per statistic."""
        cols = ("gamma", "raw_concentration", "plant_herfindahl", "n_plants")
        return _frame(self._plants, {c: getattr(self, c).to_numpy() for c in cols})


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, kind="result", input="plants")
def maurel_sedillot(
    plants: pd.DataFrame,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    region_totals: pd.Series | str | None = None,
    missing: str = "warn",
) -> MaurelSedillotResult:
    r"""Maurel-Sédillot index of geographic concentration from plant records.

    The Maurel–Sédillot index (Maurel–Sédillot 指数, 产业地理集中指数) is the
    Ellison–Glaeser index rebuilt from the probability that two plants of the same
    industry locate in the same region; like EG it is zero in expectation when plants
    locate independently with probabilities :math:`x_r`, and corrects for the plant
    Herfindahl.

    Parameters
    ----------
    plants : pandas.DataFrame
        One row per plant or enterprise.
    region, industry, value, year : str
        Column names, as in :func:`ellison_glaeser`.
    region_totals : pandas.Series or str, optional
        Aggregate size of each region defining :math:`x_r`; see
        :func:`ellison_glaeser`.
    missing : {"warn", "zero", "raise", "propagate"}
        Missing plant sizes, as in :func:`ellison_glaeser`.

    Returns
    -------
    MaurelSedillotResult
        Series ``gamma``, ``raw_concentration`` (:math:`G^{MS}`),
        ``plant_herfindahl`` and ``n_plants``, plus ``to_frame()``.

    Raises
    ------
    SchemaError
        As :func:`ellison_glaeser` (plant-level sizes are needed for H).

    See Also
    --------
    ellison_glaeser

    Notes
    -----
    With :math:`s_{ri}`, :math:`x_r` and :math:`H_i` as in :func:`ellison_glaeser`
    (Maurel & Sédillot 1999, section 2):

    .. math::

        G^{MS}_i = \frac{\sum_r s_{ri}^2 - \sum_r x_r^2}{1 - \sum_r x_r^2}, \qquad
        \gamma^{MS}_i = \frac{G^{MS}_i - H_i}{1 - H_i}.

    It differs from the Ellison–Glaeser :math:`\gamma` by
    :math:`2 \sum_r x_r (s_{ri} - x_r) / ((1 - \sum_r x_r^2)(1 - H_i))`.

    References
    ----------
    .. [1] Maurel, F., & Sédillot, B. (1999). A measure of the geographic concentration
       in French manufacturing industries. Regional Science and Urban Economics, 29(5),
       575–604. doi:10.1016/S0166-0462(99)00020-4

    Examples
    --------
    The data of :func:`ellison_glaeser` (:math:`\sum x^2 = 0.625`): for "a",
    :math:`\sum s^2 = 1`, :math:`G^{MS} = 0.375 / 0.375 = 1`, :math:`H = 5/8`, so
    :math:`\gamma^{MS} = 1`; for "b", :math:`G^{MS} = (0.5 - 0.625)/0.375 = -1/3`,
    :math:`H = 0.5`, :math:`\gamma^{MS} = (-1/3 - 0.5)/0.5 = -1.6667`.

    >>> import pandas as pd
    >>> plants = pd.DataFrame({"region": ["n", "n", "n", "s"],
    ...                        "industry": ["a", "a", "b", "b"],
    ...                        "employment": [1.0, 3.0, 2.0, 2.0]})
    >>> maurel_sedillot(plants).gamma.round(4).tolist()
    [1.0, -1.6667]
    """
    p = _plant_arrays(plants, region=region, industry=industry, value=value, year=year,
                      missing=missing)
    return _ms_result(p, plants, region_totals)


def _ms_result(p: _Plants, plants: pd.DataFrame | None,
               region_totals: object) -> MaurelSedillotResult:
    s, x, _ = _aggregate_shares(p, plants, region_totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        sx2 = (x**2).sum(axis=1)[:, None]
        gms = ((s**2).sum(axis=1) - sx2) / (1 - sx2)
        h = p.s2 / p.s1**2
        gamma = np.where(h < 1.0, (gms - h) / (1 - h), np.nan)
    return MaurelSedillotResult(
        gamma=p.per_industry(gamma, "gamma"),
        raw_concentration=p.per_industry(gms, "raw_concentration"),
        plant_herfindahl=p.per_industry(h, "plant_herfindahl"),
        n_plants=p.per_industry(p.n, "n_plants"),
        region_totals="plants" if region_totals is None else "given",
        _plants=p,
    )


# ---------------------------------------------------------------------------------
# Coagglomeration
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoagglomerationResult:
    """Pairwise (EGK 2010) and group (EG 1997) coagglomeration indices."""

    matrix: pd.DataFrame | None
    groups: pd.DataFrame | None
    region_totals: str
    _plants: _Plants = field(repr=False, compare=False)

    def to_frame(self, kind: str = "pairs") -> pd.DataFrame:
        """Long frame of the pairs i < j (``kind="pairs"``) or of the groups.

        Columns: (year,) ``industry_1``, ``industry_2``, ``gamma_c`` for pairs;
        (year,) group, ``gamma_c``, ``raw_concentration``, ``plant_herfindahl``,
        ``n_industries`` for groups.
        """
        _check_choice("kind", kind, ("pairs", "groups"))
        if kind == "groups":
            if self.groups is None:
                raise SchemaError("no groups were computed; pass groups= to "
                                  "coagglomeration")
            return self.groups.reset_index()
        if self.matrix is None:
            raise SchemaError("no pairs were computed; pass pairs=True")
        p = self._plants
        year = p.names[2]
        n_i = len(p.industries)
        iu, ju = np.triu_indices(n_i, k=1)
        vals = self.matrix.to_numpy().reshape(-1, n_i, n_i)[:, iu, ju]
        data: dict[str, object] = {}
        if p.years is not None:
            data[year] = np.repeat(np.asarray(p.years), len(iu))
        data["industry_1"] = np.tile(np.asarray(p.industries)[iu], vals.shape[0])
        data["industry_2"] = np.tile(np.asarray(p.industries)[ju], vals.shape[0])
        data["gamma_c"] = vals.reshape(-1)
        return pd.DataFrame(data)


@register(PERMUTATION_EQUIVARIANT, SCALE_INVARIANT, kind="result", input="plants")
def coagglomeration(
    plants: pd.DataFrame,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    region_totals: pd.Series | str | None = None,
    pairs: bool = True,
    groups: Mapping[object, object] | pd.Series | None = None,
    missing: str = "warn",
) -> CoagglomerationResult:
    r"""Coagglomeration of industry pairs (EGK 2010) and groups (EG 1997).

    The coagglomeration index (协同集聚指数) measures whether industries locate
    together more than independent dartboard location would produce. For every pair it
    gives the Ellison–Glaeser–Kerr index, the covariance of the two industries'
    deviations from the aggregate distribution; for groups of industries it gives the
    original Ellison–Glaeser group index, which also corrects for plant lumpiness and
    for each industry's own agglomeration.

    Parameters
    ----------
    plants : pandas.DataFrame
        One row per plant or enterprise.
    region, industry, value, year : str
        Column names, as in :func:`ellison_glaeser`.
    region_totals : pandas.Series or str, optional
        Aggregate size of each region defining :math:`x_r`; see
        :func:`ellison_glaeser`.
    pairs : bool
        Compute the industry x industry matrix of pairwise indices.
    groups : mapping or pandas.Series, optional
        Industry -> group label; every industry in the data must be mapped (map an
        industry to ``None`` to leave it out). Gives the EG group index per group.
    missing : {"warn", "zero", "raise", "propagate"}
        Missing plant sizes, as in :func:`ellison_glaeser`.

    Returns
    -------
    CoagglomerationResult
        ``matrix``: DataFrame industry x industry (rows (year, industry) for a panel),
        symmetric, NaN on the diagonal; ``groups``: DataFrame indexed by group (or
        (year, group)) with ``gamma_c``, ``raw_concentration`` (G of the group),
        ``plant_herfindahl`` (H of the group) and ``n_industries``; ``to_frame()``.

    Raises
    ------
    SchemaError
        For bad plant data (as :func:`ellison_glaeser`), an unmapped industry in
        ``groups``, or when neither pairs nor groups are asked for.

    See Also
    --------
    ellison_glaeser, colocation

    Notes
    -----
    Pairwise index (Ellison, Glaeser & Kerr 2010, eq. 1), with :math:`s_{ri}` and
    :math:`x_r` as in :func:`ellison_glaeser`:

    .. math::

        \gamma^c_{ij} = \frac{\sum_r (s_{ri} - x_r)(s_{rj} - x_r)}{1 - \sum_r x_r^2}.

    Group index (Ellison & Glaeser 1997, eq. 5) for industries :math:`j = 1..U` with
    :math:`w_j` industry :math:`j`'s share of the group's size, :math:`G` and :math:`H`
    the raw concentration and plant Herfindahl of the group as one industry,
    :math:`\gamma_j` and :math:`H_j` the industries' own EG indices and Herfindahls:

    .. math::

        \gamma^c = \frac{G / (1 - \sum_r x_r^2) - H
        - \sum_j \gamma_j w_j^2 (1 - H_j)}{1 - \sum_j w_j^2}.

    For a group of two industries this equals the pairwise index exactly; a group of
    one industry is undefined (NaN).

    References
    ----------
    .. [1] Ellison, G., Glaeser, E. L., & Kerr, W. R. (2010). What causes industry
       agglomeration? Evidence from coagglomeration patterns. American Economic Review,
       100(3), 1195–1213. doi:10.1257/aer.100.3.1195
    .. [2] Ellison, G., & Glaeser, E. L. (1997). Geographic concentration in U.S.
       manufacturing industries: a dartboard approach. Journal of Political Economy,
       105(5), 889–927. doi:10.1086/262098

    Examples
    --------
    Shares :math:`x = (0.5, 0.5)`; industry "a" is all in "n" (:math:`s - x = (0.5,
    -0.5)`), "b" all in "s" (:math:`(-0.5, 0.5)`): :math:`\gamma^c = -0.5 / 0.5 = -1`.

    >>> import pandas as pd
    >>> plants = pd.DataFrame({"region": ["n", "s", "n", "s"],
    ...                        "industry": ["a", "b", "c", "c"],
    ...                        "employment": [1.0, 1.0, 1.0, 1.0]})
    >>> coagglomeration(plants).matrix.loc["a", "b"]
    np.float64(-1.0)
    """
    if not pairs and groups is None:
        raise SchemaError("nothing to compute: pass pairs=True and/or groups=")
    p = _plant_arrays(plants, region=region, industry=industry, value=value, year=year,
                      missing=missing)
    return _coag_result(p, plants, region_totals, pairs, groups)


def _coag_result(p: _Plants, plants: pd.DataFrame | None, region_totals: object,
                 pairs: bool, groups: object) -> CoagglomerationResult:
    s, x, _ = _aggregate_shares(p, plants, region_totals)
    d = s - x[:, :, None]
    sx2 = (x**2).sum(axis=1)
    n_t, _, n_i = d.shape
    matrix = None
    if pairs:
        d0 = np.where(np.isnan(d), 0.0, d)
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = np.matmul(d0.transpose(0, 2, 1), d0)  # batched BLAS over years
            cov /= (1 - sx2)[:, None, None]
        bad = np.isnan(d).any(axis=1)  # empty industries
        cov[np.broadcast_to(bad[:, :, None], cov.shape)] = np.nan
        cov[np.broadcast_to(bad[:, None, :], cov.shape)] = np.nan
        cov[:, np.arange(n_i), np.arange(n_i)] = np.nan
        if p.years is None:
            matrix = pd.DataFrame(cov[0], index=p.industries, columns=p.industries)
        else:
            idx = pd.MultiIndex.from_product([p.years, p.industries])
            matrix = pd.DataFrame(cov.reshape(n_t * n_i, n_i), index=idx,
                                  columns=p.industries)
    group_frame = None
    if groups is not None:
        group_frame = _group_coagglomeration(p, s, x, sx2, groups)
    return CoagglomerationResult(matrix, group_frame,
                                 "plants" if region_totals is None else "given", p)


def _group_coagglomeration(p: _Plants, s: np.ndarray, x: np.ndarray, sx2: np.ndarray,
                           groups: object) -> pd.DataFrame:
    mapping = pd.Series(groups) if not isinstance(groups, pd.Series) else groups
    if not isinstance(groups, (Mapping, pd.Series)):
        raise SchemaError("`groups` must be a mapping or Series industry -> group; got "
                          f"{type(groups).__name__}")
    unmapped = p.industries.difference(mapping.index)
    if len(unmapped):
        raise SchemaError(f"`groups` does not map {len(unmapped)} industr"
                          f"{'y' if len(unmapped) == 1 else 'ies'} in the data, e.g. "
                          f"{', '.join(map(repr, unmapped[:5]))}; map them (None "
                          "leaves an industry out)")
    lab = mapping.reindex(p.industries)
    g_code, g_labels = pd.factorize(lab, sort=True)  # None/NaN -> -1
    n_g = len(g_labels)
    n_t, _, n_i = s.shape
    member = np.zeros((n_i, n_g))
    keep = g_code >= 0
    member[np.flatnonzero(keep), g_code[keep]] = 1.0
    e = p.s1  # (T, I)
    eg = e @ member  # (T, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        size_g = np.einsum("tri,ig->trg", p.size, member)
        sg = size_g / eg[:, None, :]
        g_raw = ((sg - x[:, :, None]) ** 2).sum(axis=1)
        h_i = p.s2 / e**2
        h_g = (p.s2 @ member) / eg**2
        sxx = sx2[:, None]
        gamma_i = np.where(h_i < 1, (((s - x[:, :, None]) ** 2).sum(axis=1)
                                     - (1 - sxx) * h_i) / ((1 - sxx) * (1 - h_i)),
                           np.nan)
        w = e / (eg @ member.T)  # industry share of its group, (T, I)
        w = np.where(keep[None, :], w, 0.0)
        own = np.nan_to_num(gamma_i * w**2 * (1 - h_i), nan=0.0) @ member
        sw2 = (w**2) @ member
        gamma_c = (g_raw / (1 - sxx) - h_g - own) / (1 - sw2)
        gamma_c = np.where(np.isclose(sw2, 1.0), np.nan, gamma_c)
    n_ind = np.broadcast_to(member.sum(axis=0), (n_t, n_g))
    cols = {"gamma_c": gamma_c, "raw_concentration": g_raw, "plant_herfindahl": h_g,
            "n_industries": n_ind.astype(float)}
    group_name = "group"
    if p.years is None:
        idx = pd.Index(g_labels, name=group_name)
        return pd.DataFrame({k: v[0] for k, v in cols.items()}, index=idx)
    idx = pd.MultiIndex.from_product([p.years, pd.Index(g_labels)],
                                     names=[p.names[2], group_name])
    return pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()}, index=idx)


# ---------------------------------------------------------------------------------
# Litzenberger-Sternberg cluster index
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LitzenbergerSternbergResult:
    """Litzenberger-Sternberg cluster index and its three components, per cell."""

    cluster_index: pd.Series
    density: pd.Series
    stock: pd.Series
    size: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Long frame: (year,) region, industry, then one column per statistic."""
        df = pd.concat([self.cluster_index, self.density, self.stock, self.size],
                       axis=1)
        return df.reset_index()


@register(PERMUTATION_EQUIVARIANT, SCALE_INVARIANT, kind="result", input="plants")
def litzenberger_sternberg(
    plants: pd.DataFrame,
    /,
    *,
    area: pd.Series | str,
    population: pd.Series | str,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    firms: str | None = None,
    missing: str = "warn",
) -> LitzenbergerSternbergResult:
    r"""Litzenberger-Sternberg cluster index per region and industry.

    The cluster index (集群指数) of Litzenberger & Sternberg multiplies an industry's
    relative density in a region (employment per area), its relative stock (employment
    per inhabitant) and divides by the relative size of its businesses (employment per
    firm), so that many small firms count for more than one large plant. A value above
    1 means the region hosts more of the industry than its area, population and
    firm sizes would suggest.

    Parameters
    ----------
    plants : pandas.DataFrame
        One row per plant or enterprise; or pre-aggregated rows (e.g. region x
        industry) with the number of firms each row stands for in ``firms``.
    area, population : pandas.Series or str
        Region area and population: Series indexed by region (or (year, region)), or
        columns constant within a region (and year). Totals are summed over all
        regions the Series gives (over the regions with plants for columns).
    region, industry, value, year : str
        Column names, as in :func:`ellison_glaeser`.
    firms : str, optional
        Column with the number of firms a row represents; default 1 per row.
    missing : {"warn", "zero", "raise", "propagate"}
        Missing plant sizes, as in :func:`ellison_glaeser`.

    Returns
    -------
    LitzenbergerSternbergResult
        Series ``cluster_index``, ``density``, ``stock`` and ``size`` indexed by
        (year,) region, industry (regions with plants only), plus ``to_frame()``.

    Raises
    ------
    SchemaError
        For bad plant data, a region without area or population, non-positive area or
        population, or a negative firm count.

    See Also
    --------
    ellison_glaeser

    Notes
    -----
    With :math:`e_{ri}` the employment and :math:`b_{ri}` the number of firms of
    industry :math:`i` in region :math:`r`, :math:`a_r` the area and :math:`p_r` the
    population of the region, and dots for sums (Litzenberger & Sternberg 2006):

    .. math::

        CI_{ri} = \frac{\dfrac{e_{ri}/a_r}{e_{\cdot i}/a_\cdot} \cdot
        \dfrac{e_{ri}/p_r}{e_{\cdot i}/p_\cdot}}{\dfrac{e_{ri}/b_{ri}}{e_{\cdot i}/
        b_{\cdot i}}}
        = \frac{e_{ri}\, b_{ri}}{e_{\cdot i}\, b_{\cdot i}} \cdot
        \frac{a_\cdot}{a_r} \cdot \frac{p_\cdot}{p_r}.

    The second form is used, so a cell without firms has :math:`CI = 0` (its ``size``
    component is NaN).

    References
    ----------
    .. [1] Litzenberger, T., & Sternberg, R. (2006). Der Clusterindex – eine Methodik
       zur Identifizierung regionaler Cluster am Beispiel deutscher Industriebranchen.
       Geographische Zeitschrift, 94(2), 209–224.
    .. [2] Wieland, T. (2019). REAT: A Regional Economic Analysis Toolbox for R.
       REGION, 6(3), R1–R57. doi:10.18335/region.v6i3.267

    Examples
    --------
    Region "n": area 1, population 1; region "s": area 3, population 3. Industry "a"
    has two plants (2 + 2) in "n" and one (4) in "s": :math:`CI_{n,a} = (4 \cdot 2)/
    (8 \cdot 3) \cdot 4 \cdot 4 = 5.333`, :math:`CI_{s,a} = 4/24 \cdot 4/3 \cdot 4/3
    = 0.2963`.

    >>> import pandas as pd
    >>> plants = pd.DataFrame({"region": ["n", "n", "s"], "industry": ["a"] * 3,
    ...                        "employment": [2.0, 2.0, 4.0]})
    >>> area = pd.Series({"n": 1.0, "s": 3.0})
    >>> ci = litzenberger_sternberg(plants, area=area, population=area)
    >>> ci.cluster_index.round(4).tolist()
    [5.3333, 0.2963]
    """
    p = _plant_arrays(plants, region=region, industry=industry, value=value, year=year,
                      missing=missing)
    if firms is None:
        b = np.bincount((p.t_code * len(p.regions) + p.r_code) * len(p.industries)
                        + p.i_code, minlength=p.size.size).astype(float)
    else:
        if firms not in plants.columns:
            raise SchemaError(f"`firms` names column {firms!r}, which is not among "
                              f"{', '.join(map(str, plants.columns))}")
        f = pd.to_numeric(plants[firms], errors="coerce").to_numpy(dtype=float)
        if np.isnan(f).any() or (f < 0).any() or np.isinf(f).any():
            raise SchemaError(f"column {firms!r} (`firms`) must hold finite, "
                              "non-negative firm counts")
        b = np.bincount((p.t_code * len(p.regions) + p.r_code) * len(p.industries)
                        + p.i_code, weights=f, minlength=p.size.size)
    return _ls_result(p, plants, b.reshape(p.shape), area, population)


def _ls_result(p: _Plants, plants: pd.DataFrame | None, b: np.ndarray, area: object,
               population: object) -> LitzenbergerSternbergResult:
    n_r = len(p.regions)
    a, _ = _region_level(area, p, plants, "area")
    pop, _ = _region_level(population, p, plants, "population")
    if (a[:, :n_r] <= 0).any() or (pop[:, :n_r] <= 0).any():
        raise SchemaError("`area` and `population` must be positive for every region "
                          "with plants")
    a_tot = a.sum(axis=1)[:, None, None]
    p_tot = pop.sum(axis=1)[:, None, None]
    a_r = a[:, :n_r, None]
    p_r = pop[:, :n_r, None]
    e = p.size
    e_i = e.sum(axis=1, keepdims=True)
    b_i = b.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        density = (e / a_r) / (e_i / a_tot)
        stock = (e / p_r) / (e_i / p_tot)
        size = (e / b) / (e_i / b_i)
        ci = (e * b) / (e_i * b_i) * (a_tot / a_r) * (p_tot / p_r)
    region_name, industry_name, year_name = p.names
    levels = [p.regions, p.industries]
    names = [region_name, industry_name]
    if p.years is not None:
        levels.insert(0, p.years)
        names.insert(0, year_name)
    idx = pd.MultiIndex.from_product(levels, names=names)

    def ser(v: np.ndarray, name: str) -> pd.Series:
        return pd.Series(v.reshape(-1), index=idx, name=name)

    return LitzenbergerSternbergResult(ser(ci, "cluster_index"),
                                       ser(density, "density"), ser(stock, "stock"),
                                       ser(size, "size"))


# ---------------------------------------------------------------------------------
# Howard-Newman-Tarp co-location
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColocationResult:
    """Howard-Newman-Tarp co-location (CL) and excess co-location (XCL) matrices."""

    colocation: pd.DataFrame
    excess: pd.DataFrame
    expected: pd.DataFrame
    pvalue: pd.DataFrame | None
    null_low: pd.DataFrame | None
    null_high: pd.DataFrame | None
    null: str
    permutations: int
    alternative: str
    distance: float | None

    def to_frame(self) -> pd.DataFrame:
        """Long frame of the pairs i < j: ``industry_1``, ``industry_2`` and one column
        per statistic (``colocation``, ``excess``, ``expected``, ``pvalue``,
        ``null_low``, ``null_high``)."""
        labels = self.colocation.index
        iu, ju = np.triu_indices(len(labels), k=1)
        lab = np.asarray(labels)
        out = {"industry_1": lab[iu], "industry_2": lab[ju]}
        for name in ("colocation", "excess", "expected", "pvalue", "null_low",
                     "null_high"):
            m = getattr(self, name)
            if m is not None:
                out[name] = m.to_numpy()[iu, ju]
        return pd.DataFrame(out)


def _pair_counts_region(r_code: np.ndarray, i_code: np.ndarray, n_r: int,
                        n_i: int) -> np.ndarray:
    counts = np.bincount(r_code * n_i + i_code, minlength=n_r * n_i).astype(float)
    counts = counts.reshape(n_r, n_i)
    out = counts.T @ counts
    out[np.diag_indices_from(out)] -= counts.sum(axis=0)
    return out


def _pair_counts_points(trees: list, radius: float) -> np.ndarray:
    n_i = len(trees)
    out = np.zeros((n_i, n_i))
    for i in range(n_i):  # industry pairs: unavoidable with point trees
        for j in range(i, n_i):
            c = float(trees[i].count_neighbors(trees[j], radius))
            if i == j:
                c -= trees[i].n  # a plant is not its own neighbour
            out[i, j] = out[j, i] = c
    return out


@register(PERMUTATION_EQUIVARIANT, kind="result", input="plants")
def colocation(
    plants: pd.DataFrame,
    /,
    *,
    region: str | None = "region",
    industry: str = "industry",
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
    distance: float | None = None,
    null: str = "pooled",
    permutations: int = 999,
    alternative: str = "greater",
    seed: int | None = None,
) -> ColocationResult:
    r"""Howard-Newman-Tarp co-location and excess co-location of industry pairs.

    The co-location index (共址指数) is the share of all pairs of firms, one from each
    of two industries, that sit in the same location (same region code, or within
    ``distance`` of each other). It counts firms, not employment, and so measures the
    co-location of entrepreneurs' location choices. The excess co-location subtracts
    its expectation when industry labels are reshuffled at random among the firms,
    and a seeded permutation test gives p-values.

    Parameters
    ----------
    plants : pandas.DataFrame
        One row per firm or plant.
    region : str, optional
        Column of location codes (same code = co-located). Ignored when coordinates
        are given.
    industry : str
        Column of industry labels.
    lon, lat : str, optional
        Columns of longitude/latitude in degrees; ``distance`` is then in kilometres
        (great-circle, spherical Earth of radius 6371.0088 km).
    x, y : str, optional
        Columns of projected coordinates; ``distance`` is in their unit.
    distance : float, optional
        Co-location radius (pairs at distance <= ``distance``); needed with
        coordinates.
    null : {"pooled", "all"}
        Random relabelling behind XCL: "pooled" reshuffles the labels of the firms of
        the two industries only (as REAT's ``howard.xcl``), "all" reshuffles the labels
        of all firms.
    permutations : int
        Number of seeded random relabellings for p-values and the null band; 0 skips
        the test (XCL uses the exact expectation either way).
    alternative : {"greater", "less", "two-sided"}
        Alternative hypothesis of the permutation test.
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    ColocationResult
        Industry x industry DataFrames ``colocation`` (CL; the diagonal is the share
        of pairs of distinct firms of one industry that are co-located), ``excess``
        (XCL = CL - expected), ``expected`` (exact E[CL] under ``null``), ``pvalue``,
        ``null_low`` and ``null_high`` (2.5 % and 97.5 % quantiles of CL over the
        relabellings), plus ``to_frame()``.

    Raises
    ------
    SchemaError
        For missing columns or labels, incomplete coordinates, no ``distance`` with
        coordinates, or an invalid option.

    See Also
    --------
    coagglomeration

    Notes
    -----
    With :math:`N_i` the number of firms of industry :math:`i` and :math:`c_{kl} = 1`
    when firms :math:`k` and :math:`l` are co-located (Howard, Newman & Tarp 2016):

    .. math::

        CL_{ij} = \frac{\sum_{k \in i} \sum_{l \in j} c_{kl}}{N_i N_j}, \qquad
        XCL_{ij} = CL_{ij} - E[CL_{ij}].

    Under a random relabelling of a set of :math:`M` firms, every pair of distinct
    firms is equally likely to be an :math:`(i, j)` pair, so
    :math:`E[CL_{ij}] = W / (M (M - 1))` with :math:`W` the ordered co-located pairs of
    distinct firms in that set: the firms of :math:`i` and :math:`j` for "pooled",
    all firms for "all". The p-value is :math:`(1 + \#\{CL^{*} \ge CL\}) /
    (1 + B)` for "greater" over :math:`B` relabellings. Firms are not weighted by
    employment.

    References
    ----------
    .. [1] Howard, E., Newman, C., & Tarp, F. (2016). Measuring industry
       coagglomeration and identifying the driving forces. Journal of Economic
       Geography, 16(5), 1055–1078. doi:10.1093/jeg/lbv037

    Examples
    --------
    The example of REAT's ``howard.cl``: firms of A in X, X, Y and of B in X, Y, X.
    Of the 9 A-B pairs, 2 x 2 share X and 1 x 1 share Y: :math:`CL = 5/9`.

    >>> import pandas as pd
    >>> firms = pd.DataFrame({"industry": list("ABABAB"),
    ...                       "region": ["X", "X", "X", "Y", "Y", "X"]})
    >>> res = colocation(firms, permutations=0)
    >>> round(float(res.colocation.loc["A", "B"]), 4)
    0.5556
    """
    _check_choice("null", null, _NULLS)
    _check_choice("alternative", alternative, _ALTERNATIVES)
    if not isinstance(plants, pd.DataFrame) or len(plants) == 0:
        raise SchemaError("`plants` must be a non-empty DataFrame, one row per firm")
    if not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise SchemaError(f"`permutations` must be a non-negative integer; got "
                          f"{permutations!r}")
    coords = [c for c in (lon, lat, x, y) if c is not None]
    use_points = bool(coords)
    if use_points:
        if not ((lon and lat and not (x or y)) or (x and y and not (lon or lat))):
            raise SchemaError("give coordinates as lon= and lat=, or as x= and y=; "
                              f"got {coords}")
        if distance is None or not np.isfinite(distance) or distance < 0:
            raise SchemaError("`distance` (a non-negative radius) is needed with "
                              f"coordinates; got {distance!r}")
    elif region is None:
        raise SchemaError("give region= (location codes) or coordinates (lon/lat, x/y)")
    cols = [industry] + (coords if use_points else [region])
    absent = [c for c in cols if c not in plants.columns]
    if absent:
        raise SchemaError(f"columns {absent} not found among "
                          f"{', '.join(map(str, plants.columns))}")
    i_code, industries = _codes(plants[industry], "industry")
    industries = industries.rename(industry)
    n_i = len(industries)
    n_firms = np.bincount(i_code, minlength=n_i).astype(float)
    rng = np.random.default_rng(seed)
    if use_points:
        from scipy.spatial import cKDTree

        xy = plants[coords].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        if not np.isfinite(xy).all():
            raise SchemaError(f"coordinates {coords} have missing or non-finite values")
        if lon is not None:
            lam, phi = np.radians(xy[:, 0]), np.radians(xy[:, 1])
            pts = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam),
                                   np.sin(phi)])
            radius = 2.0 * np.sin(min(distance / 6371.0088, np.pi) / 2.0)
        else:
            pts, radius = xy, float(distance)
        radius = radius * (1 + 1e-12)

        def count(codes: np.ndarray) -> np.ndarray:
            trees = [cKDTree(pts[codes == i]) for i in range(n_i)]
            return _pair_counts_points(trees, radius)

        all_tree = cKDTree(pts)
        w_all = float(all_tree.count_neighbors(all_tree, radius)) - len(pts)
    else:
        r_code, regions = _codes(plants[region], "location")

        def count(codes: np.ndarray) -> np.ndarray:
            return _pair_counts_region(r_code, codes, len(regions), n_i)

        reg_n = np.bincount(r_code).astype(float)
        w_all = float((reg_n * (reg_n - 1)).sum())
    pc = count(i_code)
    denom = np.outer(n_firms, n_firms) - np.diag(n_firms)
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = pc / denom
        diag = np.diag(pc)
        if null == "pooled":
            m = n_firms[:, None] + n_firms[None, :]
            w = diag[:, None] + diag[None, :] + 2 * pc
            expected = w / (m * (m - 1))
            own = diag / (n_firms * (n_firms - 1))
            expected[np.diag_indices(n_i)] = own  # a pool of one industry: CL = E[CL]
        else:
            n = n_firms.sum()
            expected = np.full((n_i, n_i), w_all / (n * (n - 1)))
    pvalue = low = high = None
    if permutations:
        sims = np.empty((permutations, n_i, n_i))
        if null == "all":
            for b in range(permutations):  # draws: each needs a full relabelling
                sims[b] = count(rng.permutation(i_code))
        else:
            sims = _pooled_draws(i_code, n_i, permutations, rng,
                                 points=(pts, radius) if use_points else None,
                                 regions=None if use_points else (r_code, len(regions)))
        with np.errstate(invalid="ignore", divide="ignore"):
            sims = sims / denom
        ge = (sims >= cl - 1e-12).sum(axis=0)
        le = (sims <= cl + 1e-12).sum(axis=0)
        if alternative == "greater":
            pv = (1 + ge) / (1 + permutations)
        elif alternative == "less":
            pv = (1 + le) / (1 + permutations)
        else:
            pv = np.minimum(1.0, 2 * (1 + np.minimum(ge, le)) / (1 + permutations))
        pv = np.where(np.isnan(cl), np.nan, pv)
        # a cell is NaN in every draw or in none, so plain quantiles are enough
        low = np.quantile(sims, 0.025, axis=0)
        high = np.quantile(sims, 0.975, axis=0)
        pvalue = pv

    def frame(v: np.ndarray | None) -> pd.DataFrame | None:
        if v is None:
            return None
        return pd.DataFrame(v, index=industries, columns=industries)

    return ColocationResult(frame(cl), frame(cl - expected), frame(expected),
                            frame(pvalue), frame(low), frame(high), null,
                            int(permutations), alternative,
                            None if distance is None else float(distance))


def _pooled_draws(i_code: np.ndarray, n_i: int, permutations: int,
                  rng: np.random.Generator, *,
                  points: tuple[np.ndarray, float] | None,
                  regions: tuple[np.ndarray, int] | None) -> np.ndarray:
    """Cross-pair counts under relabelling within each pair's pooled firms (loops over
    the industry pairs are unavoidable: every pair has its own pool)."""
    sims = np.full((permutations, n_i, n_i), np.nan)
    if regions is not None:
        r_code, n_r = regions
        counts = np.bincount(r_code * n_i + i_code, minlength=n_r * n_i)
        counts = counts.reshape(n_r, n_i)
        for i in range(n_i):
            for j in range(i + 1, n_i):
                pool = counts[:, i] + counts[:, j]
                pool = pool[pool > 0]
                a = rng.multivariate_hypergeometric(pool, int(counts[:, i].sum()),
                                                    size=permutations)
                v = (a * (pool - a)).sum(axis=1)  # i firms x j firms per location
                sims[:, i, j] = sims[:, j, i] = v
        return sims
    from scipy.spatial import cKDTree

    pts, radius = points  # type: ignore[misc]
    for i in range(n_i):
        for j in range(i + 1, n_i):
            sel = np.flatnonzero((i_code == i) | (i_code == j))
            lab = i_code[sel] == i
            for b in range(permutations):
                perm = rng.permutation(lab)
                t_i, t_j = cKDTree(pts[sel[perm]]), cKDTree(pts[sel[~perm]])
                sims[b, i, j] = sims[b, j, i] = t_i.count_neighbors(t_j, radius)
    return sims


# ---------------------------------------------------------------------------------
# the same indices from sufficient statistics (one SQL pass on any backend)
# ---------------------------------------------------------------------------------
def _stats_frame(stats: object) -> pd.DataFrame:
    if isinstance(stats, pd.DataFrame):
        frame = stats
    elif hasattr(stats, "to_frame"):
        frame = stats.to_frame()
    else:
        raise SchemaError("`stats` must be a SufficientStats (agglomera.backends."
                          "aggregate) or a DataFrame of its columns; got "
                          f"{type(stats).__name__}")
    if len(frame) == 0:
        raise SchemaError("`stats` has no rows")
    return frame


def _plants_from_stats(stats: object, *, region: str, industry: str, value: str,
                       year: str | None, missing: str,
                       need_sizes: bool = True) -> _Plants:
    """Sufficient statistics per (year,) region, industry -> the arrays of _Plants
    (codes per statistics row; sums added up with np.bincount in row order)."""
    _check_choice("missing", missing, _MISSING)
    frame = _stats_frame(stats)
    keys = [c for c in (region, industry, year) if c is not None]
    need = [*keys, "n_rows"]
    if need_sizes:
        need += [f"{value}_count", f"{value}_sum", f"{value}_sumsq"]
    absent = [c for c in need if c not in frame.columns]
    if absent:
        raise SchemaError(f"`stats` lacks columns {absent} (has "
                          f"{', '.join(map(str, frame.columns))}); aggregate with "
                          f"by=[{', '.join(map(repr, keys))}] and metrics=[{value!r}]")
    n_rows = pd.to_numeric(frame["n_rows"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(n_rows).any() or (n_rows < 0).any():
        raise SchemaError("column 'n_rows' must hold non-negative row counts")
    if need_sizes:
        cnt = pd.to_numeric(frame[f"{value}_count"]).to_numpy(dtype=float)
        s1 = pd.to_numeric(frame[f"{value}_sum"]).to_numpy(dtype=float)
        s2 = pd.to_numeric(frame[f"{value}_sumsq"]).to_numpy(dtype=float)
        s4 = (pd.to_numeric(frame[f"{value}_sum4"]).to_numpy(dtype=float)
              if f"{value}_sum4" in frame.columns else np.full(len(frame), np.nan))
        if cnt.sum() == 0:
            raise SchemaError(f"metric {value!r} holds no plant sizes (all missing); "
                              "plant-level sizes are needed for the plant Herfindahl")
        if f"{value}_min" in frame.columns and (frame[f"{value}_min"] < 0).any():
            raise SchemaError(f"metric {value!r} has negative plant sizes; sizes such "
                              "as employment must be >= 0")
        if np.isinf(s1).any() or np.isinf(s2).any():
            raise SchemaError(f"metric {value!r} has infinite sums")
        miss = n_rows - cnt
        n_nan = int(miss.sum())
        if n_nan:
            if missing == "raise":
                raise SchemaError(f"metric {value!r} has {n_nan} missing plant size(s); "
                                  "pass missing='zero' to count them as size 0, or "
                                  "'propagate' to make their industries' results NaN")
            if missing == "warn":
                warnings.warn(f"metric {value!r} has {n_nan} missing plant size(s), "
                              "counted as size 0; pass missing='zero' to accept this "
                              "silently, 'propagate' or 'raise'", MissingValueWarning,
                              stacklevel=3)
        known = cnt > 0  # SUM over no known value is NULL, i.e. a sum of 0
        s1, s2, s4 = (np.where(known, v, 0.0) for v in (s1, s2, s4))
        if missing == "propagate":
            s1, s2, s4 = (np.where(miss > 0, np.nan, v) for v in (s1, s2, s4))
    else:
        s1 = s2 = s4 = n_rows
    r_code, regions = _codes(frame[region], "region")
    i_code, industries = _codes(frame[industry], "industry")
    regions, industries = regions.rename(region), industries.rename(industry)
    if year is not None:
        t_code, years = _codes(frame[year], "year")
        years = years.rename(year)
    else:
        t_code, years = np.zeros(len(frame), dtype=np.intp), None
    n_t = 1 if years is None else len(years)
    n_r, n_i = len(regions), len(industries)
    ti = t_code * n_i + i_code
    m = n_t * n_i
    cell = (t_code * n_r + r_code) * n_i + i_code
    size = np.bincount(cell, weights=s1, minlength=n_t * n_r * n_i)
    return _Plants(size.reshape(n_t, n_r, n_i),
                   np.bincount(ti, weights=s1, minlength=m).reshape(n_t, n_i),
                   np.bincount(ti, weights=s2, minlength=m).reshape(n_t, n_i),
                   np.bincount(ti, weights=s4, minlength=m).reshape(n_t, n_i),
                   np.bincount(ti, weights=n_rows, minlength=m).reshape(n_t, n_i),
                   regions, industries, years, t_code, r_code, i_code,
                   (region, industry, year))




def ellison_glaeser_from_stats(
    stats: object,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    region_totals: pd.Series | None = None,
    alternative: str = "greater",
    missing: str = "warn",
) -> EllisonGlaeserResult:
    r"""Ellison-Glaeser index from sufficient statistics instead of plant records.

    The same index (Ellison–Glaeser 指数) and z-test as :func:`ellison_glaeser`,
    computed from per-cell counts and power sums that one SQL pass on DuckDB or Spark
    returns, so enterprise registers that never leave their cluster give the same
    numbers as plant records in memory.

    Parameters
    ----------
    stats : SufficientStats or pandas.DataFrame
        Per (year,) region x industry statistics of the plant sizes (see Notes).
    region, industry, value, year : str
        Group columns and the metric, as in :func:`ellison_glaeser`.
    region_totals : pandas.Series, optional
        As in :func:`ellison_glaeser`, but only a Series (a column name needs the
        plant records).
    alternative : {"greater", "less", "two-sided"}
        Alternative hypothesis of the z-test.
    missing : {"warn", "zero", "raise", "propagate"}
        Plants whose size is missing (``n_rows - <value>_count``), as in
        :func:`ellison_glaeser`.

    Returns
    -------
    EllisonGlaeserResult
        As :func:`ellison_glaeser`; ``variance``, ``zscore`` and ``pvalue`` are NaN
        without ``<value>_sum4``.

    Raises
    ------
    SchemaError
        Missing statistics columns, no known plant size, negative sizes, missing labels
        or an invalid option.

    See Also
    --------
    ellison_glaeser, agglomera.backends.aggregate

    Notes
    -----
    With :math:`S_{k,ri} = \sum_{p \in (r, i)} x_p^k` the power sums of plant sizes
    per cell, :math:`E_{ri} = S_{1,ri}` and the plant Herfindahl and fourth-power sum
    follow without a second pass (Ellison & Glaeser 1997, eq. 4 and appendix):

    .. math::

        H_i = \frac{\sum_r S_{2,ri}}{(\sum_r S_{1,ri})^2}, \qquad
        \sum_{k \in i} z_k^4 = \frac{\sum_r S_{4,ri}}{(\sum_r S_{1,ri})^4},

    and :math:`G_i`, :math:`\gamma_i`, :math:`E[G_i]`, :math:`\operatorname{Var}(G_i)`
    are those of :func:`ellison_glaeser`.

    ``stats`` is the result of ``agglomera.backends.aggregate(source, by=[(year,)
    region, industry], metrics=[value])`` or a DataFrame with its columns: the group
    columns, ``n_rows`` (plants), ``<value>_count`` (plants with a known size),
    ``<value>_sum``, ``<value>_sumsq`` and, for the variance, ``<value>_sum4``. Rows
    with the same keys are added up (statistics grouped more finely are fine).

    References
    ----------
    .. [1] Ellison, G., & Glaeser, E. L. (1997). Geographic concentration in U.S.
       manufacturing industries: a dartboard approach. Journal of Political Economy,
       105(5), 889–927. doi:10.1086/262098

    Examples
    --------
    The plants of :func:`ellison_glaeser` as statistics: industry "a" has plants of
    1 and 3 in "n" (:math:`S_1 = 4`, :math:`S_2 = 10`), "b" one plant of 2 in each
    region; :math:`H_a = 10/16`.

    >>> import pandas as pd
    >>> stats = pd.DataFrame({"region": ["n", "n", "s"], "industry": ["a", "b", "b"],
    ...                       "n_rows": [2, 1, 1], "employment_count": [2, 1, 1],
    ...                       "employment_sum": [4.0, 2.0, 2.0],
    ...                       "employment_sumsq": [10.0, 4.0, 4.0]})
    >>> res = ellison_glaeser_from_stats(stats)
    >>> res.gamma.round(4).tolist(), res.plant_herfindahl.tolist()
    ([-0.7778, -0.3333], [0.625, 0.5])
    """
    _check_choice("alternative", alternative, _ALTERNATIVES)
    p = _plants_from_stats(stats, region=region, industry=industry, value=value,
                           year=year, missing=missing)
    return _eg_result(p, None, region_totals, alternative)


def maurel_sedillot_from_stats(
    stats: object,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    region_totals: pd.Series | None = None,
    missing: str = "warn",
) -> MaurelSedillotResult:
    r"""Maurel-Sédillot index from sufficient statistics instead of plant records.

    The same index (Maurel–Sédillot 指数) as :func:`maurel_sedillot`, from the
    per-cell counts and power sums of :func:`agglomera.backends.aggregate`.

    Parameters
    ----------
    stats : SufficientStats or pandas.DataFrame
        Per (year,) region x industry statistics (see Notes).
    region, industry, value, year : str
        Group columns and the metric.
    region_totals : pandas.Series, optional
        As in :func:`maurel_sedillot` (Series only).
    missing : {"warn", "zero", "raise", "propagate"}
        Plants whose size is missing.

    Returns
    -------
    MaurelSedillotResult
        As :func:`maurel_sedillot`.

    Raises
    ------
    SchemaError
        As :func:`ellison_glaeser_from_stats`.

    See Also
    --------
    maurel_sedillot, ellison_glaeser_from_stats

    Notes
    -----
    With :math:`H_i = \sum_r S_{2,ri} / (\sum_r S_{1,ri})^2` and
    :math:`s_{ri} = S_{1,ri} / \sum_r S_{1,ri}` (Maurel & Sédillot 1999, section 2):

    .. math::

        G^{MS}_i = \frac{\sum_r s_{ri}^2 - \sum_r x_r^2}{1 - \sum_r x_r^2}, \qquad
        \gamma^{MS}_i = \frac{G^{MS}_i - H_i}{1 - H_i}.

    ``stats`` is the result of ``agglomera.backends.aggregate(source, by=[(year,)
    region, industry], metrics=[value])`` or a DataFrame with its columns: the group
    columns, ``n_rows`` (plants), ``<value>_count`` (plants with a known size),
    ``<value>_sum``, ``<value>_sumsq`` and, for the variance, ``<value>_sum4``. Rows
    with the same keys are added up (statistics grouped more finely are fine).

    References
    ----------
    .. [1] Maurel, F., & Sédillot, B. (1999). A measure of the geographic concentration
       in French manufacturing industries. Regional Science and Urban Economics, 29(5),
       575–604. doi:10.1016/S0166-0462(99)00020-4

    Examples
    --------
    >>> import pandas as pd
    >>> stats = pd.DataFrame({"region": ["n", "n", "s"], "industry": ["a", "b", "b"],
    ...                       "n_rows": [2, 1, 1], "employment_count": [2, 1, 1],
    ...                       "employment_sum": [4.0, 2.0, 2.0],
    ...                       "employment_sumsq": [10.0, 4.0, 4.0]})
    >>> maurel_sedillot_from_stats(stats).gamma.round(4).tolist()
    [1.0, -1.6667]
    """
    p = _plants_from_stats(stats, region=region, industry=industry, value=value,
                           year=year, missing=missing)
    return _ms_result(p, None, region_totals)


def coagglomeration_from_stats(
    stats: object,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    region_totals: pd.Series | None = None,
    pairs: bool = True,
    groups: Mapping[object, object] | pd.Series | None = None,
    missing: str = "warn",
) -> CoagglomerationResult:
    r"""Coagglomeration indices from sufficient statistics instead of plant records.

    The pairwise Ellison–Glaeser–Kerr and group Ellison–Glaeser coagglomeration
    indices (协同集聚指数) of :func:`coagglomeration`, from the per-cell counts and
    power sums of :func:`agglomera.backends.aggregate`.

    Parameters
    ----------
    stats : SufficientStats or pandas.DataFrame
        Per (year,) region x industry statistics (see Notes).
    region, industry, value, year : str
        Group columns and the metric.
    region_totals : pandas.Series, optional
        As in :func:`coagglomeration` (Series only).
    pairs : bool
        Compute the industry x industry matrix.
    groups : mapping or pandas.Series, optional
        Industry -> group label, as in :func:`coagglomeration`.
    missing : {"warn", "zero", "raise", "propagate"}
        Plants whose size is missing.

    Returns
    -------
    CoagglomerationResult
        As :func:`coagglomeration`.

    Raises
    ------
    SchemaError
        As :func:`coagglomeration` and :func:`ellison_glaeser_from_stats`.

    See Also
    --------
    coagglomeration

    Notes
    -----
    Pairwise (Ellison, Glaeser & Kerr 2010, eq. 1) and group (Ellison & Glaeser 1997,
    eq. 5) indices with :math:`s_{ri} = S_{1,ri} / \sum_r S_{1,ri}` and
    :math:`H_i = \sum_r S_{2,ri} / (\sum_r S_{1,ri})^2`:

    .. math::

        \gamma^c_{ij} = \frac{\sum_r (s_{ri} - x_r)(s_{rj} - x_r)}{1 - \sum_r x_r^2},
        \qquad
        \gamma^c = \frac{G / (1 - \sum_r x_r^2) - H
        - \sum_j \gamma_j w_j^2 (1 - H_j)}{1 - \sum_j w_j^2}.

    ``stats`` is the result of ``agglomera.backends.aggregate(source, by=[(year,)
    region, industry], metrics=[value])`` or a DataFrame with its columns: the group
    columns, ``n_rows`` (plants), ``<value>_count`` (plants with a known size),
    ``<value>_sum``, ``<value>_sumsq`` and, for the variance, ``<value>_sum4``. Rows
    with the same keys are added up (statistics grouped more finely are fine).

    References
    ----------
    .. [1] Ellison, G., Glaeser, E. L., & Kerr, W. R. (2010). What causes industry
       agglomeration? Evidence from coagglomeration patterns. American Economic Review,
       100(3), 1195–1213. doi:10.1257/aer.100.3.1195
    .. [2] Ellison, G., & Glaeser, E. L. (1997). Geographic concentration in U.S.
       manufacturing industries: a dartboard approach. Journal of Political Economy,
       105(5), 889–927. doi:10.1086/262098

    Examples
    --------
    >>> import pandas as pd
    >>> stats = pd.DataFrame({"region": ["n", "s", "n", "s"],
    ...                       "industry": ["a", "b", "c", "c"], "n_rows": [1] * 4,
    ...                       "employment_count": [1] * 4,
    ...                       "employment_sum": [1.0] * 4,
    ...                       "employment_sumsq": [1.0] * 4})
    >>> float(coagglomeration_from_stats(stats).matrix.loc["a", "b"])
    -1.0
    """
    if not pairs and groups is None:
        raise SchemaError("nothing to compute: pass pairs=True and/or groups=")
    p = _plants_from_stats(stats, region=region, industry=industry, value=value,
                           year=year, missing=missing)
    return _coag_result(p, None, region_totals, pairs, groups)


def litzenberger_sternberg_from_stats(
    stats: object,
    /,
    *,
    area: pd.Series,
    population: pd.Series,
    region: str = "region",
    industry: str = "industry",
    value: str = "employment",
    year: str | None = None,
    missing: str = "warn",
) -> LitzenbergerSternbergResult:
    r"""Litzenberger-Sternberg cluster index from sufficient statistics.

    The cluster index (集群指数) of :func:`litzenberger_sternberg`, with employment
    :math:`e_{ri}` the cell sum and the number of firms :math:`b_{ri}` the cell's
    row count from :func:`agglomera.backends.aggregate`.

    Parameters
    ----------
    stats : SufficientStats or pandas.DataFrame
        Per (year,) region x industry statistics (see Notes).
    area, population : pandas.Series
        Region area and population indexed by region (or (year, region)).
    region, industry, value, year : str
        Group columns and the metric.
    missing : {"warn", "zero", "raise", "propagate"}
        Firms whose size is missing.

    Returns
    -------
    LitzenbergerSternbergResult
        As :func:`litzenberger_sternberg`.

    Raises
    ------
    SchemaError
        As :func:`litzenberger_sternberg` and :func:`ellison_glaeser_from_stats`.

    See Also
    --------
    litzenberger_sternberg

    Notes
    -----
    With :math:`e_{ri} = S_{1,ri}` and :math:`b_{ri} = n_{ri}` (Litzenberger &
    Sternberg 2006):

    .. math::

        CI_{ri} = \frac{e_{ri}\, b_{ri}}{e_{\cdot i}\, b_{\cdot i}} \cdot
        \frac{a_\cdot}{a_r} \cdot \frac{p_\cdot}{p_r}.

    ``stats`` is the result of ``agglomera.backends.aggregate(source, by=[(year,)
    region, industry], metrics=[value])`` or a DataFrame with its columns: the group
    columns, ``n_rows`` (plants), ``<value>_count`` (plants with a known size),
    ``<value>_sum``, ``<value>_sumsq`` and, for the variance, ``<value>_sum4``. Rows
    with the same keys are added up (statistics grouped more finely are fine).

    References
    ----------
    .. [1] Litzenberger, T., & Sternberg, R. (2006). Der Clusterindex – eine Methodik
       zur Identifizierung regionaler Cluster am Beispiel deutscher Industriebranchen.
       Geographische Zeitschrift, 94(2), 209–224.

    Examples
    --------
    The example of :func:`litzenberger_sternberg`: "n" has two plants (2 + 2), "s"
    one (4).

    >>> import pandas as pd
    >>> stats = pd.DataFrame({"region": ["n", "s"], "industry": ["a", "a"],
    ...                       "n_rows": [2, 1], "employment_count": [2, 1],
    ...                       "employment_sum": [4.0, 4.0],
    ...                       "employment_sumsq": [8.0, 16.0]})
    >>> area = pd.Series({"n": 1.0, "s": 3.0})
    >>> res = litzenberger_sternberg_from_stats(stats, area=area, population=area)
    >>> res.cluster_index.round(4).tolist()
    [5.3333, 0.2963]
    """
    p = _plants_from_stats(stats, region=region, industry=industry, value=value,
                           year=year, missing=missing)
    n_rows = pd.to_numeric(_stats_frame(stats)["n_rows"]).to_numpy(dtype=float)
    cell = (p.t_code * len(p.regions) + p.r_code) * len(p.industries) + p.i_code
    b = np.bincount(cell, weights=n_rows, minlength=p.size.size).reshape(p.shape)
    return _ls_result(p, None, b, area, population)


def colocation_from_stats(
    stats: object,
    /,
    *,
    region: str = "region",
    industry: str = "industry",
    null: str = "pooled",
    permutations: int = 999,
    alternative: str = "greater",
    seed: int | None = None,
) -> ColocationResult:
    r"""Howard-Newman-Tarp co-location by region codes from firm counts per cell.

    The co-location index (共址指数) of :func:`colocation` with region codes depends on
    the firms only through the number of firms per region x industry cell, which
    ``n_rows`` of :func:`agglomera.backends.aggregate` gives.

    Parameters
    ----------
    stats : SufficientStats or pandas.DataFrame
        Per region x industry statistics with ``n_rows`` (firms).
    region, industry : str
        Group columns.
    null : {"pooled", "all"}
        Random relabelling behind XCL, as in :func:`colocation`.
    permutations : int
        Seeded relabellings for p-values (0 skips them).
    alternative : {"greater", "less", "two-sided"}
        Alternative hypothesis of the permutation test.
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    ColocationResult
        As :func:`colocation`. CL, XCL and the exact expectation equal those of the
        firm records; with ``null="pooled"`` (draws from the counts) the p-values equal
        those of :func:`colocation` on the firm records for the same seed; with
        ``null="all"`` the draws relabel firms in (region, industry) order, the same
        null distribution but other draws.

    Raises
    ------
    SchemaError
        Missing columns or labels, or an invalid option.

    See Also
    --------
    colocation

    Notes
    -----
    With :math:`n_{ri}` the firms of industry :math:`i` in region :math:`r` and
    :math:`N_i = \sum_r n_{ri}` (Howard, Newman & Tarp 2016):

    .. math::

        CL_{ij} = \frac{\sum_r n_{ri} n_{rj}}{N_i N_j} \; (i \ne j), \qquad
        CL_{ii} = \frac{\sum_r n_{ri} (n_{ri} - 1)}{N_i (N_i - 1)}.

    References
    ----------
    .. [1] Howard, E., Newman, C., & Tarp, F. (2016). Measuring industry
       coagglomeration and identifying the driving forces. Journal of Economic
       Geography, 16(5), 1055–1078. doi:10.1093/jeg/lbv037

    Examples
    --------
    REAT's ``howard.cl`` example as counts: A has 2 firms in X and 1 in Y, B 2 in X
    and 1 in Y: :math:`CL = (2 \cdot 2 + 1 \cdot 1)/9`.

    >>> import pandas as pd
    >>> stats = pd.DataFrame({"region": ["X", "Y", "X", "Y"],
    ...                       "industry": ["A", "A", "B", "B"], "n_rows": [2, 1, 2, 1]})
    >>> res = colocation_from_stats(stats, permutations=0)
    >>> round(float(res.colocation.loc["A", "B"]), 4)
    0.5556
    """
    frame = _stats_frame(stats)
    absent = [c for c in (region, industry, "n_rows") if c not in frame.columns]
    if absent:
        raise SchemaError(f"`stats` lacks columns {absent}; aggregate with "
                          f"by=[{region!r}, {industry!r}]")
    n = pd.to_numeric(frame["n_rows"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(n).any() or (n < 0).any() or (n != np.round(n)).any():
        raise SchemaError("column 'n_rows' must hold non-negative whole firm counts")
    r_code, regions = _codes(frame[region], "region")
    i_code, industries = _codes(frame[industry], "industry")
    reps = n.astype(np.int64)
    firms = pd.DataFrame({
        region: pd.Categorical.from_codes(np.repeat(r_code, reps), categories=regions),
        industry: pd.Categorical.from_codes(np.repeat(i_code, reps),
                                            categories=industries),
    })
    return colocation(firms, region=region, industry=industry, null=null,
                      permutations=permutations, alternative=alternative, seed=seed)
