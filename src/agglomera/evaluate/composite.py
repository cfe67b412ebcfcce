"""Composite indices: normalise, weight, aggregate, with Monte-Carlo uncertainty."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.evaluate._common import (
    as_list,
    check_columns,
    numeric_block,
    polarity_vector,
    rng,
    unit_labels,
)
from agglomera.evaluate._normalise import canonical_method, normalise_array
from agglomera.evaluate.weights import (
    AHPResult,
    critic_weights_array,
    entropy_weights_array,
    pca_weights_array,
)

__all__ = ["AGGREGATIONS", "WEIGHTINGS", "CompositeResult", "composite_index"]

WEIGHTINGS = ("equal", "entropy", "critic", "pca")
AGGREGATIONS = ("linear", "geometric", "topsis")


@dataclass(frozen=True)
class CompositeResult:
    """Scores, ranks and the evidence behind them.

    ``scores``/``ranks``: Series by unit (rank 1 = best) for the reference choices (the
    first of each list). ``rank_interval``: DataFrame by unit with ``rank_low``,
    ``rank_median``, ``rank_high`` (and score quantiles) over the Monte-Carlo draws, or
    ``None`` without Monte Carlo. ``evidence``: one row per unit and indicator with the
    raw value, the normalised value, the weight and the contribution.
    """

    scores: pd.Series
    ranks: pd.Series
    rank_interval: pd.DataFrame | None
    evidence: pd.DataFrame
    weights: pd.Series
    normalise: tuple[str, ...]
    weighting: tuple[str, ...]
    aggregate: tuple[str, ...]
    monte_carlo: int
    seed: int | None
    interval: float
    polarity: pd.Series = field(repr=False)

    @property
    def statistic(self) -> pd.Series:
        return self.scores

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: region, score, rank (and the Monte-Carlo intervals)."""
        f = pd.DataFrame({"score": self.scores, "rank": self.ranks})
        if self.rank_interval is not None:
            f = f.join(self.rank_interval)
        f.index.name = "region"
        return f.reset_index()


def _weight_vector(spec: object, z_minmax: np.ndarray, inds: list[str]) -> np.ndarray:
    k = len(inds)
    if isinstance(spec, AHPResult):
        spec = spec.weights
    if isinstance(spec, str):
        if spec == "equal":
            return np.full(k, 1.0 / k)
        if spec == "entropy":
            return entropy_weights_array(z_minmax)
        if spec == "critic":
            return critic_weights_array(z_minmax) if k > 1 else np.ones(1)
        if spec == "pca":
            return pca_weights_array(z_minmax) if k > 1 else np.ones(1)
        raise SchemaError(f"`weights` must be one of {', '.join(map(repr, WEIGHTINGS))}, "
                          f"an AHPResult or explicit weights by indicator; got {spec!r}")
    if isinstance(spec, (Mapping, pd.Series)):
        spec = dict(spec)
        missing = [i for i in inds if i not in spec]
        extra = [i for i in spec if i not in inds]
        if missing or extra:
            raise SchemaError("explicit weights must name exactly the indicators; "
                              + (f"missing {', '.join(missing)}" if missing else "")
                              + ("; " if missing and extra else "")
                              + (f"unknown {', '.join(map(str, extra))}" if extra else ""))
        w = np.array([float(spec[i]) for i in inds])
    else:
        try:
            w = np.asarray(spec, dtype=float).ravel()
        except (TypeError, ValueError):
            raise SchemaError(f"cannot read weights from {spec!r}") from None
        if w.size != k:
            raise SchemaError(f"{w.size} weights for {k} indicators")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise SchemaError(f"weights must be non-negative numbers with a positive sum; got "
                          f"{w.tolist()}")
    return w / w.sum()


def _weight_name(spec: object) -> str:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, AHPResult):
        return "ahp"
    return "explicit"


def _aggregate(z: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    """Scores for weight rows ``w`` (d, k) of normalised ``z`` (n, k): shape (n, d)."""
    if method == "linear":
        return z @ w.T
    if method == "geometric":
        with np.errstate(divide="ignore"):
            return np.exp(np.log(z) @ w.T)
    # TOPSIS: distances of the weighted normalised values to the ideal / anti-ideal
    best, worst = z.max(axis=0), z.min(axis=0)
    w2 = (w * w).T
    dp = np.sqrt(((z - best) ** 2) @ w2)
    dm = np.sqrt(((z - worst) ** 2) @ w2)
    with np.errstate(invalid="ignore"):
        return dm / (dp + dm)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score; ties share the best (minimum) rank; columns independent."""
    from scipy.stats import rankdata

    return rankdata(-scores, method="min", axis=0).astype(np.int64)


def _as_tuple(value: object) -> tuple[object, ...]:
    if isinstance(value, (str, Mapping, pd.Series, AHPResult)):
        return (value,)
    if isinstance(value, np.ndarray):
        return (value,)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (int, float, np.floating)) for v in value):
            return (value,)
        return tuple(value) if value else (None,)
    return (value,)


def composite_index(frame: pd.DataFrame, *, indicators: str | Sequence[str],
                    polarity: Mapping[str, object] | Sequence[object],
                    normalise: str | Sequence[str] = "minmax",
                    weights: object = "equal",
                    aggregate: str | Sequence[str] = "linear",
                    monte_carlo: int = 0, seed: int | None = None,
                    weight_uncertainty: float = 0.2, interval: float = 0.9,
                    region: str | None = None, missing: str = "raise",
                    chunk: int = 1000,
                    progress: Callable[[int, int], None] | None = None) -> CompositeResult:
    r"""Composite indicator with uncertainty analysis (综合评价指数).

    Normalise the indicators, weight them and aggregate them into one score per unit,
    following the OECD/JRC handbook; with ``monte_carlo=N`` the choices are drawn at
    random N times and each unit's rank interval is reported.

    Parameters
    ----------
    frame : DataFrame
        One row per unit (region, zone); indicator columns. Units are the index, or the
        column named by ``region``.
    indicators : str or sequence of str
        Indicator columns.
    polarity : mapping or sequence
        ``'higher'`` or ``'lower'`` (is better) for every indicator; required.
    normalise : str or list of str
        ``'minmax'``, ``'zscore'`` (``'z'``), ``'distance'`` (to the frontier) or
        ``'vector'``; see :func:`agglomera.evaluate.normalise`. A list gives the
        choices of the Monte-Carlo draws; its first entry gives the reported scores.
    weights : str, AHPResult, mapping, sequence, or list of these
        ``'equal'``, ``'entropy'``, ``'critic'``, ``'pca'``, an :class:`AHPResult`
        (``ahp_weights``), or explicit weights by indicator (rescaled to sum 1).
        Data-driven weights are computed from the min-max normalised, oriented data,
        whatever the normalisation. A list gives Monte-Carlo choices.
    aggregate : str or list of str
        ``'linear'`` (weighted arithmetic mean), ``'geometric'`` or ``'topsis'``.
    monte_carlo : int
        Number of random draws (0: none). Each draw picks one normalisation, weighting
        and aggregation uniformly from the lists and multiplies every weight by an
        independent factor uniform on ``[1 - weight_uncertainty, 1 + weight_uncertainty]``
        (then rescales to sum 1).
    seed : int, optional
        Seed of the draws; the same seed gives the same intervals.
    weight_uncertainty : float
        Relative half-width of the weight perturbation, in [0, 1).
    interval : float
        Central probability of the reported intervals (0.9: 5th and 95th percentiles).
    region : str, optional
        Column with unit labels (default: the index).
    missing : {'raise', 'omit'}
        A unit with a missing indicator raises, or is left out with a warning.
    chunk : int
        Draws processed at once (memory: units x chunk floats).
    progress : callable, optional
        ``progress(done, total)`` after each chunk of draws.

    Returns
    -------
    CompositeResult

    Raises
    ------
    SchemaError
        Missing polarity, unknown options or columns, constant indicators, a geometric
        aggregation of normalised values that can be negative (z-scores), bad weights.

    See Also
    --------
    normalise, entropy_weights, critic_weights, ahp_weights, pca_weights, scorecard

    Notes
    -----
    With oriented normalised values :math:`I_{qc}` and weights :math:`w_q`
    (:math:`\sum_q w_q = 1`), the aggregations are (OECD/JRC 2008, section 6.2):

    .. math::

        \text{linear:}\quad CI_c = \sum_q w_q I_{qc}, \qquad
        \text{geometric:}\quad CI_c = \prod_q I_{qc}^{w_q},

    and TOPSIS (Hwang & Yoon 1981, pp. 128-134) with :math:`v_{qc} = w_q I_{qc}`,
    ideal :math:`v^+_q = \max_c v_{qc}` and anti-ideal :math:`v^-_q = \min_c v_{qc}`:

    .. math::

        D^\pm_c = \sqrt{\sum_q (v_{qc} - v^\pm_q)^2}, \qquad
        CI_c = \frac{D^-_c}{D^+_c + D^-_c}.

    The evidence's ``contribution`` is :math:`w_q I_{qc}` for linear (they add up to
    the score), :math:`w_q \ln I_{qc}` for geometric (they add up to the log score) and
    :math:`v_{qc}` for TOPSIS (not additive). The uncertainty analysis follows the
    handbook's section 7 (Saisana, Saltelli & Tarantola 2005): ranks are computed in
    every draw, and the interval is the pair of empirical quantiles of each unit's rank.
    Geometric aggregation needs non-negative normalised values; a unit with a zero
    (the worst unit under min-max) scores 0.

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and
    User Guide*. Paris: OECD Publishing. doi:10.1787/9789264043466-en

    Saisana, M., Saltelli, A. & Tarantola, S. (2005). Uncertainty and sensitivity
    analysis techniques as tools for the quality assessment of composite indicators.
    *Journal of the Royal Statistical Society A* 168(2), 307-323.
    doi:10.1111/j.1467-985X.2005.00350.x

    Hwang, C.-L. & Yoon, K. (1981). *Multiple Attribute Decision Making*. Berlin:
    Springer, pp. 128-140. doi:10.1007/978-3-642-48318-9

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"gdp": [1.0, 2.0, 3.0], "pollution": [3.0, 1.0, 2.0]},
    ...                  index=["a", "b", "c"])
    >>> r = composite_index(f, indicators=["gdp", "pollution"],
    ...                     polarity={"gdp": "higher", "pollution": "lower"})
    >>> r.scores.tolist(), r.ranks.tolist()
    ([0.0, 0.75, 0.75], [3, 1, 1])
    """
    inds = as_list(indicators, "indicators")
    check_columns(frame, inds, "indicator")
    pol = polarity_vector(polarity, inds)
    labels = unit_labels(frame, region)
    norms = tuple(canonical_method(m) for m in _as_tuple(normalise))
    wspecs = _as_tuple(weights)
    aggs = tuple(_as_tuple(aggregate))
    for a in aggs:
        if not isinstance(a, str) or a not in AGGREGATIONS:
            raise SchemaError(f"`aggregate` must be one of "
                              f"{', '.join(map(repr, AGGREGATIONS))}; got {a!r}")
    if not isinstance(monte_carlo, (int, np.integer)) or monte_carlo < 0:
        raise SchemaError(f"`monte_carlo` must be a number of draws >= 0; got {monte_carlo!r}")
    if not 0 <= weight_uncertainty < 1:
        raise SchemaError(f"`weight_uncertainty` must be in [0, 1); got {weight_uncertainty}")
    if not 0 < interval < 1:
        raise SchemaError(f"`interval` must be in (0, 1); got {interval}")
    x, keep = numeric_block(frame, inds, missing=missing)
    units = labels[keep]
    n, k = x.shape

    zs = {m: normalise_array(x, pol, m, inds) for m in norms}
    for m in norms:
        if "geometric" in aggs and (zs[m] < 0).any():
            raise SchemaError(f"aggregate='geometric' needs non-negative normalised values; "
                              f"normalise={m!r} gives negative ones (use 'minmax' or "
                              "'distance')")
    z_mm = zs["minmax"] if "minmax" in zs else normalise_array(x, pol, "minmax", inds)
    wvecs = np.stack([_weight_vector(s, z_mm, inds) for s in wspecs])

    # reference result: the first choice of every list
    z0, w0, a0 = zs[norms[0]], wvecs[0], aggs[0]
    score0 = _aggregate(z0, w0[None, :], a0)[:, 0]
    rank0 = _ranks(score0)
    if a0 == "linear":
        contrib = z0 * w0
    elif a0 == "geometric":
        with np.errstate(divide="ignore"):
            contrib = np.log(z0) * w0
    else:
        contrib = z0 * w0
    src = (frame["source_row"].to_numpy()[keep] if "source_row" in frame.columns
           else np.flatnonzero(keep))
    evidence = pd.DataFrame({
        "region": np.repeat(np.asarray(units, dtype=object), k),
        "indicator": np.tile(inds, n),
        "raw_value": x.ravel(),
        "polarity": np.tile(np.where(pol > 0, "higher", "lower"), n),
        "normalised": z0.ravel(),
        "weight": np.tile(w0, n),
        "contribution": contrib.ravel(),
        "score": np.repeat(score0, k),
        "rank": np.repeat(rank0, k),
        "source_row": np.repeat(src, k),
    })

    rank_interval = None
    if monte_carlo > 0:
        rank_interval = _monte_carlo(zs, norms, wvecs, aggs, n=n, draws=int(monte_carlo),
                                     seed=seed, u=weight_uncertainty, level=interval,
                                     chunk=max(1, int(chunk)), progress=progress)
        rank_interval.index = units
    return CompositeResult(
        scores=pd.Series(score0, index=units, name="score"),
        ranks=pd.Series(rank0, index=units, name="rank"),
        rank_interval=rank_interval, evidence=evidence,
        weights=pd.Series(w0, index=inds, name="weight"),
        normalise=norms, weighting=tuple(_weight_name(s) for s in wspecs),
        aggregate=tuple(str(a) for a in aggs), monte_carlo=int(monte_carlo), seed=seed,
        interval=interval, polarity=pd.Series(pol, index=inds, name="polarity"))


def _monte_carlo(zs: dict[str, np.ndarray], norms: tuple[str, ...], wvecs: np.ndarray,
                 aggs: tuple[object, ...], *, n: int, draws: int, seed: int | None,
                 u: float, level: float, chunk: int,
                 progress: Callable[[int, int], None] | None = None,
                 store: str = "auto") -> pd.DataFrame:
    """Rank distribution over the draws.

    ``store="histogram"`` keeps a units x ranks count matrix (memory n^2, independent of
    the draws); ``"ranks"`` keeps every draw's ranks (memory n x draws, int32); ``"auto"``
    takes the smaller. Both give identical quantiles (smallest rank r with F(r) >= p).
    """
    g = rng(seed)
    k = wvecs.shape[1]
    ni = g.integers(len(norms), size=draws)
    wi = g.integers(len(wvecs), size=draws)
    ai = g.integers(len(aggs), size=draws)
    mult = g.uniform(1.0 - u, 1.0 + u, size=(draws, k)) if u > 0 else np.ones((draws, k))
    w = wvecs[wi] * mult
    w /= w.sum(axis=1, keepdims=True)
    if store == "auto":
        store = "histogram" if n * n * 8 <= n * draws * 4 else "ranks"
    counts = np.zeros(n * n, dtype=np.int64) if store == "histogram" else None
    all_ranks = np.empty((n, draws), dtype=np.int32) if store == "ranks" else None
    # score quantiles need every score: kept when they fit (n * draws <= 5e7 floats)
    keep_scores = n * draws <= 50_000_000
    all_scores = np.empty((n, draws)) if keep_scores else None
    offs = (np.arange(n) * n)[:, None]
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        sl = slice(start, stop)
        scores = np.empty((n, stop - start))
        for a_idx in range(len(aggs)):
            for m_idx in range(len(norms)):
                sel = np.flatnonzero((ai[sl] == a_idx) & (ni[sl] == m_idx))
                if sel.size:
                    scores[:, sel] = _aggregate(zs[norms[m_idx]], w[start + sel],
                                                str(aggs[a_idx]))
        ranks = _ranks(scores)
        if counts is not None:
            counts += np.bincount((offs + ranks - 1).ravel(), minlength=n * n)
        else:
            all_ranks[:, sl] = ranks
        if all_scores is not None:
            all_scores[:, sl] = scores
        if progress is not None:
            progress(stop, draws)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    if counts is not None:
        counts = counts.reshape(n, n)
        cdf = np.cumsum(counts, axis=1) / draws

        def q(p: float) -> np.ndarray:
            # empirical quantile of a discrete distribution: smallest rank with F >= p
            return (cdf >= p - 1e-12).argmax(axis=1) + 1

        mean = counts @ np.arange(1, n + 1) / draws
    else:
        all_ranks.sort(axis=1)

        def q(p: float) -> np.ndarray:
            pos = int(np.ceil(p * draws - 1e-12 * draws)) - 1
            return all_ranks[:, min(max(pos, 0), draws - 1)].astype(np.int64)

        mean = all_ranks.mean(axis=1)
    out = pd.DataFrame({"rank_low": q(lo_q), "rank_median": q(0.5), "rank_high": q(hi_q),
                        "rank_mean": mean})
    if all_scores is not None:
        out["score_low"] = np.quantile(all_scores, lo_q, axis=1)
        out["score_median"] = np.quantile(all_scores, 0.5, axis=1)
        out["score_high"] = np.quantile(all_scores, hi_q, axis=1)
    return out
