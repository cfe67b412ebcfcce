r"""Spatial autocorrelation of a regional variable (空间自相关).

Global statistics: :func:`morans_i`, :func:`gearys_c`, :func:`getis_ord_g`,
:func:`bivariate_morans_i`. Local statistics: :func:`local_morans` (LISA with
conditional permutation, HH/LL/HL/LH labels, FDR), :func:`local_bivariate_morans` and
:func:`local_getis_ord` (Gi and Gi*).

Weights may be :class:`~agglomera.measures.spatial_weights.SpatialWeights`, a libpysal
``W`` or ``Graph``, or a scipy sparse matrix; the statistic applies ``transform`` to the
original weights. Values are an array in the weights' order or a Series indexed by
region id (aligned to the weights).

Policies (the same for every function here):

``missing="raise"`` (default) refuses missing values and names the regions;
``missing="drop"`` removes those regions *and all their links* (a
:class:`~agglomera.errors.MissingValueWarning` names them), then row-standardises the
remaining weights anew. Missing values are never filled.

``islands="raise"`` (default) refuses regions without neighbours (after dropping);
``islands="drop"`` removes them (an ``IslandWarning`` names them); ``islands="keep"``
keeps them in n, in the mean and in the variance, where they contribute nothing to
the numerator (their weight rows are zero): this is what esda does for global
statistics. Local statistics of a kept island are NaN with label "island", never a
number computed from an empty neighbourhood.

Permutation inference is seeded and reproducible: every site (local) or permutation
(global) has its own counter-based random stream fixed by (seed, site/permutation),
so results do not depend on the number of threads. Unlike esda, which reuses one table
of permuted ids for all sites, every site here draws its own conditional permutations.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures._kernels import _spatial as _k
from agglomera.measures.spatial_weights import IslandWarning, SpatialWeights, as_weights

__all__ = [
    "BivariateMoransIResult",
    "GearysCResult",
    "GetisOrdGResult",
    "LocalGetisOrdResult",
    "LocalMoransResult",
    "MoransIResult",
    "benjamini_hochberg",
    "bivariate_morans_i",
    "gearys_c",
    "getis_ord_g",
    "local_bivariate_morans",
    "local_getis_ord",
    "local_morans",
    "morans_i",
]

_ALTERNATIVES = ("two-sided", "greater", "less")
_LOCAL_ALTERNATIVES = ("two-sided", "greater", "less", "folded")


def _choice(name: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise SchemaError(f"`{name}` must be one of {opts}; got {value!r}.")


def _seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    if isinstance(seed, (int, np.integer)) and seed >= 0:
        return int(seed)
    raise SchemaError(f"`seed` must be a non-negative integer or None; got {seed!r}.")


@dataclass(frozen=True)
class _Prepared:
    ids: tuple[str, ...]
    y: np.ndarray
    w: SpatialWeights
    dropped_missing: tuple[str, ...]
    dropped_islands: tuple[str, ...]
    islands: tuple[str, ...]
    extra: tuple[np.ndarray, ...] = ()


def _values(values: Any, w: SpatialWeights, name: str) -> np.ndarray:
    if isinstance(values, pd.Series):
        idx = values.index.map(str)
        if idx.has_duplicates:
            raise SchemaError(f"`{name}` has duplicate region labels.")
        extra = sorted(set(idx) - set(w.ids))
        if extra:
            raise SchemaError(
                f"`{name}` has {len(extra)} region(s) that the weights do not cover: "
                f"{extra[:10]}; expected the weights' ids."
            )
        s = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=idx)
        return s.reindex(list(w.ids)).to_numpy(dtype=float)
    arr = np.asarray(values, dtype=float).ravel()
    if arr.shape[0] != w.n:
        raise SchemaError(
            f"`{name}` has {arr.shape[0]} values but the weights cover {w.n} regions."
        )
    return arr


def _prepare(
    values: Any,
    weights: Any,
    *,
    missing: str,
    islands: str,
    others: Sequence[tuple[str, Any]] = (),
) -> _Prepared:
    _choice("missing", missing, ("raise", "drop"))
    _choice("islands", islands, ("raise", "keep", "drop"))
    w = as_weights(weights)
    y = _values(values, w, "values")
    extra = [_values(v, w, nm) for nm, v in others]
    arrays = [y, *extra]
    if any(np.isinf(a).any() for a in arrays):
        raise SchemaError("values contain infinite numbers.")
    bad = np.zeros(w.n, dtype=bool)
    for a in arrays:
        bad |= np.isnan(a)
    dropped_missing: tuple[str, ...] = ()
    if bad.any():
        names = [w.ids[i] for i in np.flatnonzero(bad)]
        if missing == "raise":
            raise SchemaError(
                f"{len(names)} region(s) have missing values: {names[:10]}"
                + (" ..." if len(names) > 10 else "")
                + "; pass missing='drop' to drop them and their links."
            )
        warnings.warn(
            f"dropped {len(names)} region(s) with missing values and their links: "
            f"{names[:10]}" + (" ..." if len(names) > 10 else ""),
            MissingValueWarning,
            stacklevel=3,
        )
        dropped_missing = tuple(names)
        w = w.subset(~bad)
        arrays = [a[~bad] for a in arrays]
    isl = w.islands
    dropped_islands: tuple[str, ...] = ()
    if isl:
        if islands == "raise":
            raise SchemaError(
                f"{len(isl)} region(s) have no neighbours (islands): {list(isl[:10])}"
                + (" ..." if len(isl) > 10 else "")
                + "; pass islands='keep' or islands='drop', or use kNN weights."
            )
        if islands == "drop":
            warnings.warn(
                f"dropped {len(isl)} island(s) without neighbours: {list(isl[:10])}",
                IslandWarning,
                stacklevel=3,
            )
            keep = w.cardinalities > 0
            w = w.subset(keep)
            arrays = [a[keep] for a in arrays]
            dropped_islands = isl
            isl = ()
    if w.n < 4:
        raise SchemaError(f"spatial statistics need at least 4 regions; got {w.n}.")
    return _Prepared(
        w.ids, arrays[0], w, dropped_missing, dropped_islands, isl, tuple(arrays[1:])
    )


def _symmetric_terms(m: sp.csr_array) -> tuple[float, float, float, sp.csr_array]:
    r"""S0, S1, S2 of the weights and the strict upper triangle U of W + W'.

    .. math:: S_0 = \sum_{ij} w_{ij},\quad
        S_1 = \tfrac12 \sum_{ij} (w_{ij} + w_{ji})^2 = \sum_{i<j} u_{ij}^2,\quad
        S_2 = \sum_i (w_{i\cdot} + w_{\cdot i})^2

    (Cliff & Ord 1981, ch. 1; the diagonal is zero). U carries the symmetric
    cross-products :math:`\sum_{ij} w_{ij} a_i a_j = \sum_{i<j} u_{ij} a_i a_j` with
    about half the links, for the total-permutation kernels.
    """
    ptr, cols, vals = _k.upper_links_numba(m.indptr, m.indices, m.data)
    n = m.shape[0]
    u = sp.csr_array((vals, cols, ptr), shape=(n, n))
    s0 = float(m.data.sum())
    s1 = float((vals * vals).sum())
    col = np.bincount(m.indices, weights=m.data, minlength=n)
    row = np.asarray(m.sum(axis=1)).ravel()
    s2 = float(((row + col) ** 2).sum())
    return s0, s1, s2, u


def _p_normal(z: float | np.ndarray, alternative: str):
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "less":
        return stats.norm.cdf(z)
    return 2 * stats.norm.sf(np.abs(z))


def _p_perm(n_ge, n_le, permutations: int, alternative: str):
    p_ge = (np.asarray(n_ge) + 1.0) / (permutations + 1.0)
    p_le = (np.asarray(n_le) + 1.0) / (permutations + 1.0)
    if alternative == "greater":
        return p_ge
    if alternative == "less":
        return p_le
    if alternative == "folded":
        return np.minimum(p_ge, p_le)
    return np.minimum(1.0, 2 * np.minimum(p_ge, p_le))


def _counts(null: np.ndarray, obs: float) -> tuple[int, int]:
    tol = 1e-12 * max(abs(obs), 1e-300)
    return int((null >= obs - tol).sum()), int((null <= obs + tol).sum())


def _common_checks(permutations: int, alternative: str, allowed=_ALTERNATIVES) -> None:
    _choice("alternative", alternative, allowed)
    if not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise SchemaError(
            f"`permutations` must be an integer >= 0; got {permutations!r}."
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class _GlobalResult:
    statistic: float
    expected: float
    pvalue: float
    n: int
    permutations: int
    alternative: str
    transform: str
    null_distribution: np.ndarray | None = field(repr=False)
    dropped: tuple[str, ...]
    islands: tuple[str, ...]

    def _extra(self) -> dict[str, Any]:
        return {}

    def to_frame(self) -> pd.DataFrame:
        """One row with the statistic, its moments and p-values."""
        row = {"statistic": self.statistic, "expected": self.expected}
        row.update(self._extra())
        row.update(
            {
                "pvalue": self.pvalue,
                "n": self.n,
                "permutations": self.permutations,
                "alternative": self.alternative,
                "transform": self.transform,
            }
        )
        return pd.DataFrame(
            [row], index=pd.Index([type(self).__name__[:-6]], name="measure")
        )


@dataclass(frozen=True)
class MoransIResult(_GlobalResult):
    """Global Moran's I; ``pvalue`` is the permutation p-value when permutations > 0,
    else the p-value under randomization (normal approximation)."""

    variance_normal: float = np.nan
    variance_randomization: float = np.nan
    z_normal: float = np.nan
    z_randomization: float = np.nan
    pvalue_normal: float = np.nan
    pvalue_randomization: float = np.nan
    z_permutation: float = np.nan

    def _extra(self) -> dict[str, Any]:
        return {
            "variance_normal": self.variance_normal,
            "variance_randomization": self.variance_randomization,
            "z_normal": self.z_normal,
            "z_randomization": self.z_randomization,
            "z_permutation": self.z_permutation,
            "pvalue_normal": self.pvalue_normal,
            "pvalue_randomization": self.pvalue_randomization,
        }


@dataclass(frozen=True)
class GearysCResult(MoransIResult):
    """Global Geary's C (same fields as :class:`MoransIResult`; expected = 1)."""


@dataclass(frozen=True)
class GetisOrdGResult(_GlobalResult):
    """Global General G; ``pvalue`` permutation-based when permutations > 0."""

    variance: float = np.nan
    z_normal: float = np.nan
    pvalue_normal: float = np.nan
    z_permutation: float = np.nan

    def _extra(self) -> dict[str, Any]:
        return {
            "variance": self.variance,
            "z_normal": self.z_normal,
            "z_permutation": self.z_permutation,
            "pvalue_normal": self.pvalue_normal,
        }


@dataclass(frozen=True)
class BivariateMoransIResult(_GlobalResult):
    """Bivariate Moran's I of x with the spatial lag of y (permutation inference)."""

    z_permutation: float = np.nan

    def _extra(self) -> dict[str, Any]:
        return {"z_permutation": self.z_permutation}


def _perm_summary(null: np.ndarray, obs: float, permutations: int, alternative: str):
    ge, le = _counts(null, obs)
    p = float(_p_perm(ge, le, permutations, alternative))
    sd = null.std()
    z = (obs - null.mean()) / sd if sd > 0 else np.nan
    return p, float(z)


# --------------------------------------------------------------------------- global


def morans_i(
    values: Any,
    weights: Any,
    *,
    transform: str = "r",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    missing: str = "raise",
    islands: str = "raise",
) -> MoransIResult:
    r"""Global Moran's I (全局莫兰指数) with analytical and permutation inference.

    Parameters
    ----------
    values : array-like or pandas.Series
        One value per region (Series: indexed by region id, aligned to the weights).
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights; ``transform`` is applied here.
    transform : {"r", "b", "o"}, default "r"
        Row-standardised, binary or original weights.
    permutations : int, default 999
        Random relabellings for the permutation p-value (0: none).
    seed : int, optional
        Seed of the counter-based permutation streams (reproducible; independent of
        the thread count).
    alternative : {"two-sided", "greater", "less"}
        "greater" tests positive autocorrelation.
    missing : {"raise", "drop"}
        Policy for missing values (module docstring).
    islands : {"raise", "keep", "drop"}
        Policy for regions without neighbours (module docstring).

    Returns
    -------
    MoransIResult
        ``statistic`` I, ``expected`` E[I] = -1/(n-1), variances and z under
        normality and randomization, ``pvalue`` (permutation p-value if
        permutations > 0, else randomization), ``null_distribution``.

    Raises
    ------
    SchemaError
        Bad options, length mismatch, missing values or islands under "raise",
        constant values.

    See Also
    --------
    gearys_c, local_morans, bivariate_morans_i

    Notes
    -----
    With :math:`z_i = y_i - \bar y`, :math:`S_0 = \sum_{ij} w_{ij}`,
    :math:`S_1 = \tfrac12\sum_{ij}(w_{ij}+w_{ji})^2`,
    :math:`S_2 = \sum_i (w_{i\cdot}+w_{\cdot i})^2` and
    :math:`b_2 = n\sum z_i^4 / (\sum z_i^2)^2` (Cliff & Ord 1981, eqs. 1.34-1.39,
    pp. 21-22):

    .. math::

        I = \frac{n}{S_0}\frac{\sum_{ij} w_{ij} z_i z_j}{\sum_i z_i^2},\qquad
        E[I] = -\frac{1}{n-1}

        \mathrm{Var}_N[I] = \frac{n^2 S_1 - n S_2 + 3 S_0^2}{(n^2-1) S_0^2} - E[I]^2

        \mathrm{Var}_R[I] = \frac{n[(n^2-3n+3)S_1 - nS_2 + 3S_0^2]
            - b_2[(n^2-n)S_1 - 2nS_2 + 6S_0^2]}{(n-1)(n-2)(n-3)S_0^2} - E[I]^2

    Permutation p-values (Phipson & Smyth 2010): with P relabellings and
    :math:`P_{\ge}` of them at least the observed I, "greater" gives
    :math:`(P_{\ge}+1)/(P+1)`, "less" likewise with :math:`\le`, "two-sided"
    :math:`\min(1, 2\min(p_{\ge}, p_{\le}))`. (esda's ``p_sim`` is the one-sided
    p-value in the direction of the observed value, i.e. :math:`\min(p_\ge, p_\le)`.)

    References
    ----------
    .. [1] Moran, P. A. P. (1950). Notes on continuous stochastic phenomena.
       Biometrika 37(1/2), 17-23. doi:10.2307/2332142
    .. [2] Cliff, A. D., & Ord, J. K. (1981). Spatial Processes: Models and
       Applications. London: Pion, pp. 17-23.
    .. [3] Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be
       zero. Statistical Applications in Genetics and Molecular Biology 9(1), 39.
       doi:10.2202/1544-6115.1585

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> round(morans_i([1, 2, 3, 4], w, transform="b", permutations=0).statistic, 4)
    0.3333
    """
    _common_checks(permutations, alternative)
    pr = _prepare(values, weights, missing=missing, islands=islands)
    m = pr.w.transformed(transform)
    y = pr.y
    n = len(y)
    z = y - y.mean()
    zz = float(z @ z)
    if zz == 0:
        raise SchemaError("values are constant; Moran's I is undefined.")
    s0, s1, s2, u = _symmetric_terms(m)
    if s0 == 0:
        raise SchemaError("the weights have no links.")
    num = float(z @ (m @ z))
    stat = n / s0 * num / zz
    ei = -1.0 / (n - 1)
    vn = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - ei * ei
    k = n * float((z**4).sum()) / zz**2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    vr = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    zn = (stat - ei) / np.sqrt(vn)
    zr = (stat - ei) / np.sqrt(vr) if vr > 0 else np.nan
    pn = float(_p_normal(zn, alternative))
    prr = float(_p_normal(zr, alternative))
    null = None
    p = prr
    zp = np.nan
    if permutations:
        cross = _k.global_perm_numba(
            z, z, u.indptr, u.indices, u.data, int(permutations), _seed(seed), True
        )
        null = n / s0 * cross / zz
        p, zp = _perm_summary(null, stat, permutations, alternative)
    return MoransIResult(
        statistic=float(stat),
        expected=ei,
        pvalue=float(p),
        n=n,
        permutations=int(permutations),
        alternative=alternative,
        transform=transform,
        null_distribution=null,
        dropped=pr.dropped_missing + pr.dropped_islands,
        islands=pr.islands,
        variance_normal=float(vn),
        variance_randomization=float(vr),
        z_normal=float(zn),
        z_randomization=float(zr),
        pvalue_normal=pn,
        pvalue_randomization=prr,
        z_permutation=zp,
    )


def gearys_c(
    values: Any,
    weights: Any,
    *,
    transform: str = "r",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    missing: str = "raise",
    islands: str = "raise",
) -> GearysCResult:
    r"""Global Geary's C (吉尔里指数) with analytical and permutation inference.

    Parameters and policies as in :func:`morans_i`. C < 1 indicates positive spatial
    autocorrelation, so "greater" here tests C > 1 (negative autocorrelation) and
    "less" tests C < 1.

    Parameters
    ----------
    values : array-like or pandas.Series
        One value per region.
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights.
    transform : {"r", "b", "o"}, default "r"
        Weight transformation.
    permutations : int, default 999
        Random relabellings (0: none).
    seed : int, optional
        Seed of the permutation streams.
    alternative : {"two-sided", "greater", "less"}
        Direction of the test on C.
    missing : {"raise", "drop"}
        Missing-value policy.
    islands : {"raise", "keep", "drop"}
        Island policy.

    Returns
    -------
    GearysCResult
        ``statistic`` C, ``expected`` 1, variances and z under normality and
        randomization, ``pvalue``, ``null_distribution``.

    Raises
    ------
    SchemaError
        As :func:`morans_i`.

    Notes
    -----
    With symbols as in :func:`morans_i` and :math:`k = b_2` (Cliff & Ord 1981,
    pp. 21-22; the randomization variance in the form used by esda):

    .. math::

        C = \frac{(n-1)\sum_{ij} w_{ij}(y_i-y_j)^2}{2 S_0 \sum_i z_i^2},\qquad E[C]=1

        \mathrm{Var}_N[C] = \frac{(2S_1+S_2)(n-1) - 4S_0^2}{2(n+1)S_0^2}

        \mathrm{Var}_R[C] = \frac{(n-1)S_1[n^2-3n+3-(n-1)k]
            - \tfrac14(n-1)S_2[n^2+3n-6-(n^2-n+2)k]
            + S_0^2[n^2-3-(n-1)^2k]}{n(n-2)(n-3)S_0^2}

    References
    ----------
    .. [1] Geary, R. C. (1954). The contiguity ratio and statistical mapping. The
       Incorporated Statistician 5(3), 115-145. doi:10.2307/2986645
    .. [2] Cliff, A. D., & Ord, J. K. (1981). Spatial Processes: Models and
       Applications. London: Pion, pp. 17-23.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> round(gearys_c([1, 2, 3, 4], w, transform="b", permutations=0).statistic, 4)
    0.3
    """
    _common_checks(permutations, alternative)
    pr = _prepare(values, weights, missing=missing, islands=islands)
    m = pr.w.transformed(transform)
    y = pr.y
    n = len(y)
    z = y - y.mean()
    zz = float(z @ z)
    if zz == 0:
        raise SchemaError("values are constant; Geary's C is undefined.")
    s0, s1, s2, u = _symmetric_terms(m)
    if s0 == 0:
        raise SchemaError("the weights have no links.")
    coo = m.tocoo()
    num = float((coo.data * (y[coo.row] - y[coo.col]) ** 2).sum())
    den = 2.0 * s0 * zz
    stat = (n - 1) * num / den
    s02 = s0 * s0
    k = (float((z**4).sum()) / n) / (zz / n) ** 2
    n2 = n * n
    a = (n - 1) * s1 * (n2 - 3 * n + 3 - (n - 1) * k)
    b = 0.25 * ((n - 1) * s2 * (n2 + 3 * n - 6 - (n2 - n + 2) * k))
    c = s02 * (n2 - 3 - (n - 1) ** 2 * k)
    vr = (a - b + c) / (n * (n - 2) * (n - 3) * s02)
    vn = ((2 * s1 + s2) * (n - 1) - 4 * s02) / (2 * (n + 1) * s02)
    zn = (stat - 1.0) / np.sqrt(vn)
    zr = (stat - 1.0) / np.sqrt(vr) if vr > 0 else np.nan
    pn = float(_p_normal(zn, alternative))
    prr = float(_p_normal(zr, alternative))
    null = None
    p = prr
    zp = np.nan
    if permutations:
        tot = _k.geary_perm_numba(
            y - y.mean(), u.indptr, u.indices, u.data, int(permutations), _seed(seed)
        )
        null = (n - 1) * tot / den
        p, zp = _perm_summary(null, stat, permutations, alternative)
    return GearysCResult(
        statistic=float(stat),
        expected=1.0,
        pvalue=float(p),
        n=n,
        permutations=int(permutations),
        alternative=alternative,
        transform=transform,
        null_distribution=null,
        dropped=pr.dropped_missing + pr.dropped_islands,
        islands=pr.islands,
        variance_normal=float(vn),
        variance_randomization=float(vr),
        z_normal=float(zn),
        z_randomization=float(zr),
        pvalue_normal=pn,
        pvalue_randomization=prr,
        z_permutation=zp,
    )


def getis_ord_g(
    values: Any,
    weights: Any,
    *,
    transform: str = "b",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    missing: str = "raise",
    islands: str = "raise",
) -> GetisOrdGResult:
    r"""Getis-Ord General G (全局 G 统计量) of a non-negative variable.

    G above its expectation indicates clustering of high values, below it of low
    values.

    Parameters
    ----------
    values : array-like or pandas.Series
        Non-negative values, one per region.
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights.
    transform : {"b", "r", "o"}, default "b"
        Binary by default, as in Getis & Ord (1992) and esda.
    permutations : int, default 999
        Random relabellings (0: none).
    seed : int, optional
        Seed of the permutation streams.
    alternative : {"two-sided", "greater", "less"}
        Direction of the test.
    missing : {"raise", "drop"}
        Missing-value policy.
    islands : {"raise", "keep", "drop"}
        Island policy.

    Returns
    -------
    GetisOrdGResult
        ``statistic`` G, ``expected``, ``variance``, ``z_normal``, ``pvalue``.

    Raises
    ------
    SchemaError
        Negative values, and as :func:`morans_i`.

    Notes
    -----
    Getis & Ord (1992), eqs. 12-13, moments as in their Appendix (with the
    :math:`b_0..b_4` of esda):

    .. math::

        G = \frac{\sum_{i}\sum_{j\ne i} w_{ij} y_i y_j}{\sum_i\sum_{j\ne i} y_i y_j},
        \qquad E[G] = \frac{S_0}{n(n-1)}

        E[G^2] = \frac{b_0 (\sum y^2)^2 + b_1 \sum y^4 + b_2 (\sum y)^2\sum y^2
            + b_3 \sum y \sum y^3 + b_4 (\sum y)^4}
            {[(\sum y)^2 - \sum y^2]^2\, n(n-1)(n-2)(n-3)}

    with :math:`b_0=(n^2-3n+3)S_1-nS_2+3S_0^2`,
    :math:`b_1=-[(n^2-n)S_1-2nS_2+6S_0^2]`, :math:`b_2=-[2nS_1-(n+3)S_2+6S_0^2]`,
    :math:`b_3=4(n-1)S_1-2(n+1)S_2+8S_0^2`, :math:`b_4=S_1-S_2+S_0^2`, and
    :math:`\mathrm{Var}[G] = E[G^2]-E[G]^2`.

    References
    ----------
    .. [1] Getis, A., & Ord, J. K. (1992). The analysis of spatial association by
       use of distance statistics. Geographical Analysis 24(3), 189-206.
       doi:10.1111/j.1538-4632.1992.tb00261.x

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> round(getis_ord_g([1, 2, 3, 4], w, permutations=0).statistic, 4)
    0.5714
    """
    _common_checks(permutations, alternative)
    pr = _prepare(values, weights, missing=missing, islands=islands)
    y = pr.y
    if (y < 0).any():
        raise SchemaError("General G needs non-negative values; got negative values.")
    m = pr.w.transformed(transform)
    n = len(y)
    s0, s1, s2, u = _symmetric_terms(m)
    if s0 == 0:
        raise SchemaError("the weights have no links.")
    sy, sy2, sy3, sy4 = (float((y**p).sum()) for p in (1, 2, 3, 4))
    den = sy * sy - sy2
    if den <= 0:
        raise SchemaError("General G needs at least two positive values.")
    stat = float(y @ (m @ y)) / den
    eg = s0 / (n * (n - 1))
    s02 = s0 * s0
    n2 = n * n
    b0 = (n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02
    b1 = -((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s02)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s02
    b4 = s1 - s2 + s02
    eg2 = (b0 * sy2**2 + b1 * sy4 + b2 * sy**2 * sy2 + b3 * sy * sy3 + b4 * sy**4) / (
        den**2 * n * (n - 1) * (n - 2) * (n - 3)
    )
    vg = eg2 - eg * eg
    zn = (stat - eg) / np.sqrt(vg)
    pn = float(_p_normal(zn, alternative))
    null = None
    p = pn
    zp = np.nan
    if permutations:
        cross = _k.global_perm_numba(
            y, y, u.indptr, u.indices, u.data, int(permutations), _seed(seed), True
        )
        null = cross / den
        p, zp = _perm_summary(null, stat, permutations, alternative)
    return GetisOrdGResult(
        statistic=float(stat),
        expected=float(eg),
        pvalue=float(p),
        n=n,
        permutations=int(permutations),
        alternative=alternative,
        transform=transform,
        null_distribution=null,
        dropped=pr.dropped_missing + pr.dropped_islands,
        islands=pr.islands,
        variance=float(vg),
        z_normal=float(zn),
        pvalue_normal=pn,
        z_permutation=zp,
    )


def bivariate_morans_i(
    x: Any,
    y: Any,
    weights: Any,
    *,
    transform: str = "r",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    missing: str = "raise",
    islands: str = "raise",
) -> BivariateMoransIResult:
    r"""Bivariate Moran's I: association of x with the spatial lag of y (双变量莫兰指数).

    Parameters
    ----------
    x, y : array-like or pandas.Series
        Two variables per region (a region missing either is handled by ``missing``).
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights.
    transform : {"r", "b", "o"}, default "r"
        Weight transformation.
    permutations : int, default 999
        Relabellings of y with x held in place (0: none).
    seed : int, optional
        Seed of the permutation streams.
    alternative : {"two-sided", "greater", "less"}
        Direction of the test.
    missing : {"raise", "drop"}
        Missing-value policy.
    islands : {"raise", "keep", "drop"}
        Island policy.

    Returns
    -------
    BivariateMoransIResult
        ``statistic``, ``expected`` (NaN: no closed form is used), ``pvalue``
        (permutation; NaN without permutations), ``null_distribution``.

    Raises
    ------
    SchemaError
        As :func:`morans_i`.

    Notes
    -----
    With :math:`x^*, y^*` standardised with the sample standard deviation
    (ddof = 1), as in Anselin, Syabri & Smirnov (2002) and esda's ``Moran_BV``:

    .. math:: I_{xy} = \frac{\sum_i x^*_i \sum_j w_{ij} y^*_j}{n - 1}

    References
    ----------
    .. [1] Anselin, L., Syabri, I., & Smirnov, O. (2002). Visualizing multivariate
       spatial correlation with dynamically linked windows. In L. Anselin & S. Rey
       (eds.), New Tools for Spatial Data Analysis: Proceedings of the Specialist
       Meeting. Santa Barbara: CSISS, University of California.
    .. [2] Wartenberg, D. (1985). Multivariate spatial correlation: a method for
       exploratory geographical analysis. Geographical Analysis 17(4), 263-283.
       doi:10.1111/j.1538-4632.1985.tb00849.x

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> r = bivariate_morans_i([1, 2, 3, 4], [1, 2, 3, 4], w, permutations=0)
    >>> round(r.statistic, 4)
    0.4
    """
    _common_checks(permutations, alternative)
    pr = _prepare(x, weights, missing=missing, islands=islands, others=[("y", y)])
    m = pr.w.transformed(transform)
    xv, yv = pr.y, pr.extra[0]
    n = len(xv)
    if xv.std() == 0 or yv.std() == 0:
        raise SchemaError("x or y is constant; bivariate Moran's I is undefined.")
    zx = (xv - xv.mean()) / xv.std(ddof=1)
    zy = (yv - yv.mean()) / yv.std(ddof=1)
    stat = float(zx @ (m @ zy)) / (n - 1)
    null = None
    p = np.nan
    zp = np.nan
    if permutations:
        cross = _k.global_perm_numba(
            zx, zy, m.indptr, m.indices, m.data, int(permutations), _seed(seed), False
        )
        null = cross / (n - 1)
        p, zp = _perm_summary(null, stat, permutations, alternative)
    return BivariateMoransIResult(
        statistic=stat,
        expected=np.nan,
        pvalue=float(p),
        n=n,
        permutations=int(permutations),
        alternative=alternative,
        transform=transform,
        null_distribution=null,
        dropped=pr.dropped_missing + pr.dropped_islands,
        islands=pr.islands,
        z_permutation=zp,
    )


# --------------------------------------------------------------------------- local


def benjamini_hochberg(pvalues: Any) -> np.ndarray:
    r"""Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN.

    Parameters
    ----------
    pvalues : array-like
        p-values in [0, 1]; NaN entries are left out of the count m.

    Returns
    -------
    numpy.ndarray
        :math:`q_{(i)} = \min_{j \ge i} \min(1, m\,p_{(j)}/j)` in the input order.

    Notes
    -----
    .. math:: q_{(i)} = \min_{j\ge i} \frac{m\, p_{(j)}}{j}

    References
    ----------
    .. [1] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery
       rate: a practical and powerful approach to multiple testing. Journal of the
       Royal Statistical Society B 57(1), 289-300.
       doi:10.1111/j.2517-6161.1995.tb02031.x

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    pv = p[ok]
    m = len(pv)
    if m == 0:
        return out
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


@dataclass(frozen=True)
class _LocalResult:
    frame: pd.DataFrame = field(repr=False)
    permutations: int
    alternative: str
    transform: str
    alpha: float
    fdr: bool
    dropped: tuple[str, ...]
    islands: tuple[str, ...]

    @property
    def statistic(self) -> pd.Series:
        """The local statistic per region."""
        return self.frame["statistic"]

    @property
    def pvalue(self) -> pd.Series:
        """The local p-value per region (NaN for islands or without permutations)."""
        return self.frame["pvalue"]

    def to_frame(self) -> pd.DataFrame:
        """One row per region (index: region id)."""
        return self.frame.copy()


@dataclass(frozen=True)
class LocalMoransResult(_LocalResult):
    """Local Moran's I per region: statistic, quadrant, p/q-values and labels."""

    @property
    def labels(self) -> pd.Series:
        """HH/LL/HL/LH where significant, "ns" otherwise, "island" for islands."""
        return self.frame["label"]


@dataclass(frozen=True)
class LocalGetisOrdResult(_LocalResult):
    """Local Getis-Ord Gi or Gi* per region with hot/cold-spot labels."""

    star: bool = True

    @property
    def labels(self) -> pd.Series:
        """ "hot"/"cold" where significant, "ns" otherwise, "island" for islands."""
        return self.frame["label"]


def _local_perm(focal_lag, b, m_off, permutations, seed):
    return _k.local_perm_numba(
        np.ascontiguousarray(focal_lag, dtype=float),
        np.ascontiguousarray(b, dtype=float),
        m_off.indptr,
        m_off.indices,
        m_off.data,
        int(permutations),
        _seed(seed),
    )


def _local_inference(scale, lag, b, m, permutations, seed, alternative, isl_mask):
    """Permutation p-values and moments of stat = scale * lag (+ constant)."""
    n = len(lag)
    out = {
        "pvalue": np.full(n, np.nan),
        "expected_sim": np.full(n, np.nan),
        "sd_sim": np.full(n, np.nan),
    }
    if not permutations:
        return out
    ge, le, s1, s2 = _local_perm(lag, b, m, permutations, seed)
    # the statistic falls as the lag rises where scale < 0
    neg = scale < 0
    st_ge = np.where(neg, le, ge)
    st_le = np.where(neg, ge, le)
    zero = scale == 0
    st_ge = np.where(zero, permutations, st_ge)
    st_le = np.where(zero, permutations, st_le)
    p = _p_perm(st_ge, st_le, permutations, alternative)
    mean_lag = s1 / permutations
    var_lag = np.maximum(s2 / permutations - mean_lag**2, 0.0)
    out["pvalue"] = np.where(isl_mask, np.nan, p)
    out["expected_sim"] = np.where(isl_mask, np.nan, scale * mean_lag)
    out["sd_sim"] = np.where(isl_mask, np.nan, np.abs(scale) * np.sqrt(var_lag))
    return out


def local_morans(
    values: Any,
    weights: Any,
    *,
    transform: str = "r",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    fdr: bool = False,
    missing: str = "raise",
    islands: str = "raise",
) -> LocalMoransResult:
    r"""Local Moran's I (LISA, 局部莫兰指数) with conditional permutation inference.

    Parameters
    ----------
    values : array-like or pandas.Series
        One value per region.
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights.
    transform : {"r", "b", "o"}, default "r"
        Weight transformation.
    permutations : int, default 999
        Conditional permutations per region (0: statistic and quadrants only).
    seed : int, optional
        Seed; region i's draws come from the stream (seed, i).
    alternative : {"two-sided", "greater", "less", "folded"}
        "folded" is the one-sided p-value in the direction of the observed value
        (esda's ``p_sim``, GeoDa's pseudo p-value); "two-sided" doubles it (capped
        at 1).
    alpha : float, default 0.05
        Significance level for the labels.
    fdr : bool, default False
        Label by Benjamini-Hochberg q-values instead of p-values.
    missing : {"raise", "drop"}
        Missing-value policy.
    islands : {"raise", "keep", "drop"}
        Island policy (kept islands: NaN statistic, label "island").

    Returns
    -------
    LocalMoransResult
        ``to_frame()`` has, per region: value, z (standardised value), lag (spatial
        lag of z), statistic, quadrant (HH, LH, LL, HL), expected_sim, sd_sim,
        z_sim, pvalue, qvalue (BH over non-island regions), label (quadrant where
        significant, "ns", or "island").

    Raises
    ------
    SchemaError
        As :func:`morans_i`; alpha outside (0, 1).

    Notes
    -----
    With :math:`z_i = y_i - \bar y` and :math:`m_2 = \sum_i z_i^2 / n`
    (Anselin 1995, eq. 12; esda scales by :math:`n-1` instead of :math:`n`, and we
    follow esda so that the values agree):

    .. math:: I_i = \frac{(n-1)\, z_i \sum_{j} w_{ij} z_j}{\sum_k z_k^2}

    Quadrants: HH when :math:`z_i > 0` and lag > 0, LH when :math:`z_i \le 0` and
    lag > 0, LL when both :math:`\le 0`, HL when :math:`z_i > 0` and lag
    :math:`\le 0` (esda's q = 1, 2, 3, 4).

    Conditional permutation (Anselin 1995, p. 99): :math:`z_i` stays at i and its
    :math:`k_i` neighbours' values are replaced by :math:`k_i` values drawn without
    replacement, in uniformly random order, from the other :math:`n-1` regions
    (Floyd's sampler, see ``agglomera.measures._kernels._spatial``); P such draws give
    :math:`p_{\ge} = (\#\{I_i^{(p)} \ge I_i\} + 1)/(P + 1)`. Every region has its own
    random stream, so the p-values of neighbouring regions are not tied through a
    shared table of permuted ids (esda's ``crand`` reuses one table for all sites).

    References
    ----------
    .. [1] Anselin, L. (1995). Local indicators of spatial association - LISA.
       Geographical Analysis 27(2), 93-115. doi:10.1111/j.1538-4632.1995.tb00338.x
    .. [2] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery
       rate. Journal of the Royal Statistical Society B 57(1), 289-300.
       doi:10.1111/j.2517-6161.1995.tb02031.x

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> r = local_morans([1, 2, 3, 4], w, permutations=0)
    >>> r.statistic.round(2).tolist(), r.to_frame()["quadrant"].tolist()
    ([0.45, 0.15, 0.15, 0.45], ['LL', 'LL', 'HH', 'HH'])
    """
    _common_checks(permutations, alternative, _LOCAL_ALTERNATIVES)
    if not 0 < alpha < 1:
        raise SchemaError(f"`alpha` must be in (0, 1); got {alpha}.")
    pr = _prepare(values, weights, missing=missing, islands=islands)
    m = pr.w.transformed(transform)
    y = pr.y
    n = len(y)
    z = y - y.mean()
    zz = float(z @ z)
    if zz == 0:
        raise SchemaError("values are constant; local Moran's I is undefined.")
    lag = m @ z
    scale = (n - 1) * z / zz
    stat = scale * lag
    isl = pr.w.cardinalities == 0
    quad = np.select(
        [(z > 0) & (lag > 0), (z <= 0) & (lag > 0), (z <= 0) & (lag <= 0)],
        ["HH", "LH", "LL"],
        "HL",
    ).astype(object)
    inf = _local_inference(scale, lag, z, m, permutations, seed, alternative, isl)
    return _local_result(
        LocalMoransResult,
        pr,
        y,
        z / np.sqrt(zz / n),
        lag / np.sqrt(zz / n),
        stat,
        quad,
        inf,
        isl,
        permutations,
        alternative,
        transform,
        alpha,
        fdr,
        {"hot": None},
    )


def local_bivariate_morans(
    x: Any,
    y: Any,
    weights: Any,
    *,
    transform: str = "r",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    fdr: bool = False,
    missing: str = "raise",
    islands: str = "raise",
) -> LocalMoransResult:
    r"""Local bivariate Moran: x in each region against the spatial lag of y (双变量 LISA).

    Parameters
    ----------
    x, y : array-like or pandas.Series
        Two variables per region.
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights.
    transform : {"r", "b", "o"}, default "r"
        Weight transformation.
    permutations : int, default 999
        Conditional permutations per region: x stays, the neighbours' y are redrawn.
    seed : int, optional
        Seed; region i's draws come from the stream (seed, i).
    alternative : {"two-sided", "greater", "less", "folded"}
        As in :func:`local_morans`.
    alpha : float, default 0.05
        Significance level for the labels.
    fdr : bool, default False
        Label by Benjamini-Hochberg q-values.
    missing : {"raise", "drop"}
        Missing-value policy (a region missing x or y).
    islands : {"raise", "keep", "drop"}
        Island policy.

    Returns
    -------
    LocalMoransResult
        As :func:`local_morans`; ``z`` is the standardised x, ``lag`` the lag of the
        standardised y, quadrants by the signs of x and of the lag of y.

    Raises
    ------
    SchemaError
        As :func:`local_morans`.

    Notes
    -----
    With :math:`x^*, y^*` standardised with the population standard deviation
    (esda's ``Moran_Local_BV``; Anselin, Syabri & Smirnov 2002):

    .. math:: I_i^{xy} = \frac{(n-1)\, x^*_i \sum_j w_{ij} y^*_j}{\sum_k x^{*2}_k}

    References
    ----------
    .. [1] Anselin, L., Syabri, I., & Smirnov, O. (2002). Visualizing multivariate
       spatial correlation with dynamically linked windows. In L. Anselin & S. Rey
       (eds.), New Tools for Spatial Data Analysis. Santa Barbara: CSISS.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> r = local_bivariate_morans([1, 2, 3, 4], [1, 2, 3, 4], w, permutations=0)
    >>> r.statistic.round(2).tolist()
    [0.45, 0.15, 0.15, 0.45]
    """
    _common_checks(permutations, alternative, _LOCAL_ALTERNATIVES)
    if not 0 < alpha < 1:
        raise SchemaError(f"`alpha` must be in (0, 1); got {alpha}.")
    pr = _prepare(x, weights, missing=missing, islands=islands, others=[("y", y)])
    m = pr.w.transformed(transform)
    xv, yv = pr.y, pr.extra[0]
    n = len(xv)
    if xv.std() == 0 or yv.std() == 0:
        raise SchemaError("x or y is constant; local bivariate Moran is undefined.")
    zx = (xv - xv.mean()) / xv.std()
    zy = (yv - yv.mean()) / yv.std()
    lag = m @ zy
    scale = (n - 1) * zx / float(zx @ zx)
    stat = scale * lag
    isl = pr.w.cardinalities == 0
    quad = np.select(
        [(zx > 0) & (lag > 0), (zx <= 0) & (lag > 0), (zx <= 0) & (lag <= 0)],
        ["HH", "LH", "LL"],
        "HL",
    ).astype(object)
    inf = _local_inference(scale, lag, zy, m, permutations, seed, alternative, isl)
    return _local_result(
        LocalMoransResult,
        pr,
        xv,
        zx,
        lag,
        stat,
        quad,
        inf,
        isl,
        permutations,
        alternative,
        transform,
        alpha,
        fdr,
        {},
    )


def _local_result(
    cls,
    pr,
    y,
    zs,
    lag,
    stat,
    quad,
    inf,
    isl,
    permutations,
    alternative,
    transform,
    alpha,
    fdr,
    extra,
):
    stat = np.where(isl, np.nan, stat)
    p = inf["pvalue"]
    q = benjamini_hochberg(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        zsim = (stat - inf["expected_sim"]) / inf["sd_sim"]
    sig = (q if fdr else p) <= alpha
    label = np.where(sig, quad, "ns").astype(object)
    label[isl] = "island"
    if not permutations:
        label[~isl] = "ns"
    frame = pd.DataFrame(
        {
            "value": y,
            "z": zs,
            "lag": np.where(isl, np.nan, lag),
            "statistic": stat,
            "quadrant": np.where(isl, None, quad),
            "expected_sim": inf["expected_sim"],
            "sd_sim": inf["sd_sim"],
            "z_sim": zsim,
            "pvalue": p,
            "qvalue": q,
            "label": label,
        },
        index=pd.Index(list(pr.ids), name="region"),
    )
    kwargs = {
        "frame": frame,
        "permutations": int(permutations),
        "alternative": alternative,
        "transform": transform,
        "alpha": float(alpha),
        "fdr": bool(fdr),
        "dropped": pr.dropped_missing + pr.dropped_islands,
        "islands": pr.islands,
    }
    if cls is LocalGetisOrdResult:
        kwargs["star"] = extra["star"]
    return cls(**kwargs)


def local_getis_ord(
    values: Any,
    weights: Any,
    *,
    star: bool = True,
    transform: str = "r",
    permutations: int = 999,
    seed: int | None = None,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    fdr: bool = False,
    missing: str = "raise",
    islands: str = "raise",
) -> LocalGetisOrdResult:
    r"""Local Getis-Ord Gi* (default) or Gi: hot and cold spots (热点分析).

    Parameters
    ----------
    values : array-like or pandas.Series
        Non-negative values, one per region.
    weights : SpatialWeights, libpysal W/Graph or scipy sparse matrix
        Original weights (no self-links; Gi* adds the region itself with weight 1
        before ``transform``).
    star : bool, default True
        Gi* (region included in its own neighbourhood) or Gi (excluded).
    transform : {"r", "b", "o"}, default "r"
        Weight transformation, applied after the self-link is added (esda's
        ``G_Local`` default "R").
    permutations : int, default 999
        Conditional permutations per region (0: analytical z only).
    seed : int, optional
        Seed; region i's draws come from the stream (seed, i).
    alternative : {"two-sided", "greater", "less", "folded"}
        As in :func:`local_morans`.
    alpha : float, default 0.05
        Significance level for the labels.
    fdr : bool, default False
        Label by Benjamini-Hochberg q-values.
    missing : {"raise", "drop"}
        Missing-value policy.
    islands : {"raise", "keep", "drop"}
        Island policy (for Gi* a kept island's neighbourhood is itself only: NaN).

    Returns
    -------
    LocalGetisOrdResult
        ``to_frame()`` per region: value, statistic, expected, variance, z_normal,
        pvalue_normal, expected_sim, sd_sim, z_sim, pvalue, qvalue, label ("hot"
        when the statistic exceeds its expectation and is significant, "cold"
        below, "ns", "island"). ``pvalue`` is the permutation p-value when
        permutations > 0, else the normal one.

    Raises
    ------
    SchemaError
        Negative values, and as :func:`morans_i`.

    Notes
    -----
    With :math:`N = n` for Gi* and :math:`n-1` for Gi, sums :math:`\sum_j'` over
    :math:`j` (Gi*) or :math:`j \ne i` (Gi), :math:`W_i = \sum_j' w_{ij}`,
    :math:`\bar y_{(i)}` and :math:`s^2_{(i)}` the mean and (population) variance of
    the :math:`N` values in the sum (Getis & Ord 1992, eqs. 1-3; Ord & Getis 1995):

    .. math::

        G_i = \frac{\sum_j' w_{ij} y_j}{\sum_j' y_j},\qquad
        E[G_i] = \frac{W_i}{N},\qquad
        \mathrm{Var}[G_i] = \frac{W_i (N - W_i)}{N^2 (N-1)}
            \frac{s^2_{(i)}}{\bar y_{(i)}^2}

    Conditional permutation keeps :math:`y_i` (and, for Gi*, its self weight) and
    redraws the neighbours' values from the other :math:`n-1` regions.

    References
    ----------
    .. [1] Getis, A., & Ord, J. K. (1992). The analysis of spatial association by
       use of distance statistics. Geographical Analysis 24(3), 189-206.
       doi:10.1111/j.1538-4632.1992.tb00261.x
    .. [2] Ord, J. K., & Getis, A. (1995). Local spatial autocorrelation statistics:
       distributional issues and an application. Geographical Analysis 27(4),
       286-306. doi:10.1111/j.1538-4632.1995.tb00912.x

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    >>> r = local_getis_ord([1, 2, 3, 4], w, permutations=0)
    >>> r.statistic.round(4).tolist()
    [0.15, 0.2, 0.3, 0.35]
    """
    _common_checks(permutations, alternative, _LOCAL_ALTERNATIVES)
    if not 0 < alpha < 1:
        raise SchemaError(f"`alpha` must be in (0, 1); got {alpha}.")
    pr = _prepare(values, weights, missing=missing, islands=islands)
    y = pr.y
    if (y < 0).any():
        raise SchemaError("local G needs non-negative values; got negative values.")
    n = len(y)
    base = pr.w.matrix
    isl = pr.w.cardinalities == 0
    if star:
        full = sp.csr_array(base + sp.eye_array(n, format="csr"))
        mt = _transform_full(full, transform)
        diag = mt.diagonal()
        off = mt.copy()
        off.setdiag(0)
        off.eliminate_zeros()
        off.sort_indices()
    else:
        mt = pr.w.transformed(transform)
        diag = np.zeros(n)
        off = mt
    ysum = float(y.sum())
    denom = ysum - (0.0 if star else 1.0) * y
    if (denom <= 0).any():
        raise SchemaError(
            "local G needs positive totals; the values are (almost) all zero."
        )
    lag_off = off @ y
    stat = (lag_off + diag * y) / denom
    big_n = n if star else n - 1
    remove = 0.0 if star else 1.0
    mean_i = (ysum - y * remove) / big_n
    msq_i = ((y**2).sum() - (y**2) * remove) / big_n
    var_emp = msq_i - mean_i**2
    card = np.asarray(mt.sum(axis=1)).ravel()
    expected = card / big_n
    variance = card * (big_n - card) / (big_n - 1) / big_n**2 * var_emp / mean_i**2
    with np.errstate(divide="ignore", invalid="ignore"):
        zn = (stat - expected) / np.sqrt(variance)
    pn = _p_normal(zn, "two-sided" if alternative == "folded" else alternative)
    if alternative == "folded":
        pn = pn / 2
    scale = 1.0 / denom
    inf = _local_inference(scale, lag_off, y, off, permutations, seed, alternative, isl)
    if not permutations:
        inf["pvalue"] = np.where(isl, np.nan, pn)
    quad = np.where(stat > expected, "hot", "cold").astype(object)
    res = _local_result(
        LocalGetisOrdResult,
        pr,
        y,
        (y - y.mean()) / y.std(),
        lag_off,
        stat,
        quad,
        inf,
        isl,
        permutations,
        alternative,
        transform,
        alpha,
        fdr,
        {"star": bool(star)},
    )
    f = res.frame.drop(columns=["z", "lag", "quadrant"])
    at = f.columns.get_loc("statistic") + 1
    for j, (name, col) in enumerate(
        [
            ("expected", expected),
            ("variance", variance),
            ("z_normal", zn),
            ("pvalue_normal", pn),
        ]
    ):
        f.insert(at + j, name, np.where(isl, np.nan, col))
    res = replace(res, frame=f)
    return res


def _transform_full(m: sp.csr_array, transform: str) -> sp.csr_array:
    """Transform a matrix that may carry a diagonal (Gi*)."""
    t = str(transform).lower()
    m = sp.csr_array(m, dtype=float)
    m.sort_indices()
    if t == "o":
        return m
    if t == "b":
        out = m.copy()
        out.data = np.ones_like(out.data)
        return out
    if t == "r":
        rs = np.asarray(m.sum(axis=1)).ravel()
        inv = np.where(rs != 0, 1.0 / np.where(rs != 0, rs, 1.0), 0.0)
        out = m.copy()
        out.data = out.data * np.repeat(inv, np.diff(m.indptr))
        return out
    raise SchemaError(f"`transform` must be one of 'r', 'b', 'o'; got {transform!r}.")
