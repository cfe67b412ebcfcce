"""Indicator weights: entropy, CRITIC, AHP (with consistency ratio) and PCA.

Each function returns weights that are non-negative and sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError

__all__ = [
    "RANDOM_INDEX",
    "AHPResult",
    "ahp_weights",
    "critic_weights",
    "entropy_weights",
    "pca_weights",
]

#: Saaty's random consistency index RI by matrix order n (Saaty 1980, Table 1.3;
#: repeated in Saaty 1990, p. 13).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                9: 1.45, 10: 1.49}


def _matrix(data: pd.DataFrame | np.ndarray, what: str) -> tuple[np.ndarray, list[str]]:
    if isinstance(data, pd.DataFrame):
        cols = [str(c) for c in data.columns]
        x = data.to_numpy(dtype=float)
    else:
        x = np.asarray(data, dtype=float)
        if x.ndim != 2:
            raise SchemaError(f"{what}: expected a 2-D matrix (units x indicators); got "
                              f"{x.ndim} dimension(s)")
        cols = [f"x{k}" for k in range(x.shape[1])]
    if not np.isfinite(x).all():
        raise SchemaError(f"{what}: the data hold missing or infinite values")
    if x.shape[0] < 2:
        raise SchemaError(f"{what}: needs at least 2 units; got {x.shape[0]}")
    return x, cols


def entropy_weights_array(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    tot = x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / tot
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    if d.sum() <= 0:
        return np.full(x.shape[1], 1.0 / x.shape[1])
    return d / d.sum()


def entropy_weights(data: pd.DataFrame | np.ndarray) -> pd.Series:
    r"""Entropy weights (熵权法): indicators that vary more between units weigh more.

    Parameters
    ----------
    data : DataFrame or ndarray
        Units in rows, indicators in columns; non-negative, already normalised and
        oriented (``composite_index`` passes min-max normalised values).

    Returns
    -------
    Series
        Weights by indicator, summing to 1.

    Raises
    ------
    SchemaError
        Negative, missing or infinite values, an all-zero indicator, fewer than 2 units.

    Notes
    -----
    With :math:`n` units and :math:`x_{ij} \ge 0`:

    .. math::

        p_{ij} = \frac{x_{ij}}{\sum_i x_{ij}}, \qquad
        e_j = -\frac{1}{\ln n} \sum_i p_{ij} \ln p_{ij} \;(0 \ln 0 = 0), \qquad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}

    :math:`e_j \in [0, 1]`; an indicator equal for all units has :math:`e_j = 1` and
    weight 0. If every indicator has :math:`e_j = 1`, the weights are equal.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System Technical
    Journal* 27(3), 379-423. doi:10.1002/j.1538-7305.1948.tb01338.x

    Zeleny, M. (1982). *Multiple Criteria Decision Making*. New York: McGraw-Hill,
    pp. 189-195 (entropy as a measure of the contrast intensity of a criterion).

    Examples
    --------
    >>> entropy_weights(np.array([[1.0, 1.0], [0.0, 1.0]])).round(6).tolist()
    [1.0, 0.0]
    """
    x, cols = _matrix(data, "entropy_weights")
    if (x < 0).any():
        raise SchemaError("entropy_weights needs non-negative values; normalise first "
                          "(min-max)")
    zero = x.sum(axis=0) == 0
    if zero.any():
        raise SchemaError(f"entropy_weights: indicator(s) "
                          f"{', '.join(c for c, z in zip(cols, zero) if z)} are zero for "
                          "every unit")
    return pd.Series(entropy_weights_array(x), index=cols, name="weight")


def critic_weights_array(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x, rowvar=False)
    r = np.atleast_2d(r)
    c = sd * (1.0 - r).sum(axis=0)
    if not np.isfinite(c).all() or c.sum() <= 0:
        raise SchemaError("CRITIC weights are undefined: an indicator is constant, or all "
                          "indicators are perfectly correlated")
    return c / c.sum()


def critic_weights(data: pd.DataFrame | np.ndarray) -> pd.Series:
    r"""CRITIC weights (CRiteria Importance Through Intercriteria Correlation).

    Contrast (standard deviation) and conflict (low correlation with the other
    indicators) both raise a weight.

    Parameters
    ----------
    data : DataFrame or ndarray
        Units in rows, indicators in columns, normalised (min-max in the original).

    Returns
    -------
    Series
        Weights by indicator, summing to 1.

    Raises
    ------
    SchemaError
        Constant indicators, missing values, fewer than 2 units.

    Notes
    -----
    .. math::

        C_j = \sigma_j \sum_{k=1}^{m} (1 - r_{jk}), \qquad w_j = \frac{C_j}{\sum_k C_k}

    with :math:`\sigma_j` the standard deviation of indicator :math:`j` and
    :math:`r_{jk}` the Pearson correlation (Diakoulaki et al. 1995, eqs. 2-3). The
    weights do not depend on the ``ddof`` of :math:`\sigma` (a common factor).

    References
    ----------
    Diakoulaki, D., Mavrotas, G. & Papayannakis, L. (1995). Determining objective
    weights in multiple criteria problems: the CRITIC method. *Computers & Operations
    Research* 22(7), 763-770. doi:10.1016/0305-0548(94)00059-H

    Examples
    --------
    >>> critic_weights(np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])).tolist()
    [0.5, 0.5]
    """
    x, cols = _matrix(data, "critic_weights")
    if x.shape[1] < 2:
        return pd.Series([1.0], index=cols, name="weight")
    return pd.Series(critic_weights_array(x), index=cols, name="weight")


def _varimax(loadings: np.ndarray, *, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """Kaiser's (1958) varimax rotation (SVD algorithm)."""
    p, k = loadings.shape
    rot = np.eye(k)
    crit = 0.0
    for _ in range(max_iter):
        lam = loadings @ rot
        u, s, vt = np.linalg.svd(loadings.T @ (lam ** 3 - lam @ np.diag((lam ** 2).sum(0)) / p))
        rot = u @ vt
        new = s.sum()
        if new - crit < tol * max(new, 1.0):
            break
        crit = new
    return loadings @ rot


def pca_weights_array(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x, rowvar=False)
    if not np.isfinite(r).all():
        raise SchemaError("PCA weights are undefined for a constant indicator")
    vals, vecs = np.linalg.eigh(r)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    keep = max(1, int((vals > 1.0).sum()))
    load = vecs[:, :keep] * np.sqrt(np.clip(vals[:keep], 0, None))
    if keep > 1:
        load = _varimax(load)
    sq = load ** 2
    expl = sq.sum(axis=0)                  # variance explained by each (rotated) factor
    scaled = sq / expl                     # squared loadings scaled to unity sum
    best = scaled.argmax(axis=1)           # each indicator goes with its factor
    w = scaled[np.arange(len(best)), best] * (expl[best] / expl.sum())
    return w / w.sum()


def pca_weights(data: pd.DataFrame | np.ndarray) -> pd.Series:
    r"""Weights from principal components / factor loadings (OECD/JRC 2008, §6.1).

    Parameters
    ----------
    data : DataFrame or ndarray
        Units in rows, indicators in columns (any scale: the correlation matrix is used).

    Returns
    -------
    Series
        Weights by indicator, summing to 1.

    Raises
    ------
    SchemaError
        Constant indicators, missing values.

    Notes
    -----
    Following the handbook's procedure (pp. 89-91, Tables 16-17): eigen-decompose the
    correlation matrix :math:`R`, keep the components with eigenvalue
    :math:`\lambda > 1` (at least one), loadings :math:`L = V \Lambda^{1/2}`, varimax
    rotation (Kaiser 1958) when more than one is kept. With :math:`E_f = \sum_j L_{jf}^2`
    the variance explained by factor :math:`f`, each indicator is assigned to the
    factor with its largest scaled squared loading and

    .. math::

        w_j \propto \frac{L_{j f(j)}^2}{E_{f(j)}} \cdot
            \frac{E_{f(j)}}{\sum_f E_f}, \qquad \sum_j w_j = 1.

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, pp. 89-91.
    doi:10.1787/9789264043466-en

    Nicoletti, G., Scarpetta, S. & Boylaud, O. (2000). Summary indicators of product
    market regulation with an extension to employment protection legislation. OECD
    Economics Department Working Papers 226. doi:10.1787/215182844604

    Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor
    analysis. *Psychometrika* 23(3), 187-200. doi:10.1007/BF02289233

    Examples
    --------
    >>> pca_weights(np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 5.0]])).round(3).tolist()
    [0.5, 0.5]
    """
    x, cols = _matrix(data, "pca_weights")
    if x.shape[1] < 2:
        return pd.Series([1.0], index=cols, name="weight")
    return pd.Series(pca_weights_array(x), index=cols, name="weight")


@dataclass(frozen=True)
class AHPResult:
    """Priority weights of a pairwise comparison matrix and its consistency.

    ``statistic`` is the consistency ratio (CR); ``consistent`` is CR <= 0.1.
    """

    weights: pd.Series
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    matrix: pd.DataFrame

    @property
    def statistic(self) -> float:
        return self.consistency_ratio

    @property
    def consistent(self) -> bool:
        return bool(self.consistency_ratio <= 0.1)

    def to_frame(self) -> pd.DataFrame:
        f = self.weights.rename("weight").rename_axis("indicator").reset_index()
        f["lambda_max"] = self.lambda_max
        f["consistency_index"] = self.consistency_index
        f["consistency_ratio"] = self.consistency_ratio
        return f


def ahp_weights(matrix: pd.DataFrame | np.ndarray | Sequence[Sequence[float]], *,
                labels: Sequence[str] | None = None, tolerance: float = 1e-6) -> AHPResult:
    r"""Saaty's analytic hierarchy process (层次分析法): weights and consistency ratio.

    Parameters
    ----------
    matrix : DataFrame, ndarray or nested list
        Positive reciprocal pairwise comparison matrix, :math:`a_{ij}` = importance of
        criterion i over j on Saaty's 1-9 scale, :math:`a_{ji} = 1/a_{ij}`.
    labels : sequence of str, optional
        Criterion names (default: the frame's columns, or c0, c1, ...).
    tolerance : float
        Relative tolerance of the reciprocity check.

    Returns
    -------
    AHPResult
        ``weights`` (principal right eigenvector, summing to 1), ``lambda_max``,
        ``consistency_index``, ``random_index``, ``consistency_ratio``.

    Raises
    ------
    SchemaError
        Not square, non-positive entries, not reciprocal, diagonal not 1, order above 10
        (no random index).

    Notes
    -----
    .. math::

        A w = \lambda_{max} w, \qquad CI = \frac{\lambda_{max} - n}{n - 1}, \qquad
        CR = \frac{CI}{RI_n}

    with :math:`RI_n` Saaty's random index (:data:`RANDOM_INDEX`: 0, 0, 0.58, 0.90,
    1.12, 1.24, 1.32, 1.41, 1.45, 1.49 for n = 1..10). For n <= 2, CR = 0. A CR up to
    0.10 is acceptable (Saaty 1990, p. 13).

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. New York: McGraw-Hill.

    Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process.
    *European Journal of Operational Research* 48(1), 9-26.
    doi:10.1016/0377-2217(90)90057-I

    Examples
    --------
    >>> r = ahp_weights([[1, 3], [1 / 3, 1]])
    >>> r.weights.round(3).tolist(), r.consistency_ratio
    ([0.75, 0.25], 0.0)
    """
    if isinstance(matrix, pd.DataFrame):
        names = [str(c) for c in matrix.columns] if labels is None else list(labels)
        a = matrix.to_numpy(dtype=float)
    else:
        a = np.asarray(matrix, dtype=float)
        names = list(labels) if labels is not None else [f"c{k}" for k in range(len(a))]
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise SchemaError(f"the AHP comparison matrix must be square; got shape {a.shape}")
    n = a.shape[0]
    if len(names) != n:
        raise SchemaError(f"{len(names)} labels for a {n} x {n} comparison matrix")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise SchemaError("AHP comparison values must be positive numbers (Saaty's scale "
                          "1/9 .. 9)")
    if not np.allclose(np.diag(a), 1.0):
        raise SchemaError("the diagonal of an AHP comparison matrix must be 1")
    recip = np.abs(a * a.T - 1.0)
    if (recip > tolerance).any():
        i, j = np.unravel_index(recip.argmax(), a.shape)
        raise SchemaError(f"the comparison matrix is not reciprocal: a[{names[i]}, "
                          f"{names[j]}] = {a[i, j]:g} but a[{names[j]}, {names[i]}] = "
                          f"{a[j, i]:g} (expected {1 / a[i, j]:g})")
    if n > max(RANDOM_INDEX):
        raise SchemaError(f"AHP with {n} criteria: the random index is tabulated up to "
                          f"n = {max(RANDOM_INDEX)}; group the criteria hierarchically")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    return AHPResult(weights=pd.Series(w, index=names, name="weight"), lambda_max=lam,
                     consistency_index=float(ci), random_index=ri,
                     consistency_ratio=float(cr),
                     matrix=pd.DataFrame(a, index=names, columns=names))
