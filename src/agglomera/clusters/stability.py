r"""How stable a rating is: threshold perturbation and resampling of employment."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agglomera.clusters._input import prepare
from agglomera.clusters.rating import (
    LEVELS,
    PERCENTILE_THRESHOLDS,
    RELATIVE_THRESHOLDS,
    _thresholds,
    flags_for,
)
from agglomera.errors import SchemaError

__all__ = ["RESAMPLING", "StabilityResult", "rating_stability"]

RESAMPLING = ("poisson", "multinomial", "none")


@dataclass(frozen=True)
class StabilityResult:
    """Share of perturbed ratings in which each flag holds.

    ``table``: one row per region x cluster (x year) x level with the baseline
    ``flag``, ``threshold_share`` (share of threshold-grid points where the flag is
    True), ``resample_share`` (share of resampled draws where it is True) and
    ``stability`` (share of all perturbed ratings that agree with the baseline flag).
    """

    preset: str
    table: pd.DataFrame
    grid: pd.DataFrame
    draws: int
    resample: str
    seed: int | None
    thresholds: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The stability table (a copy)."""
        return self.table.copy()


def _grid(preset: str, th: dict[str, float], shift: float, steps: int) -> pd.DataFrame:
    offsets = np.linspace(-shift, shift, 2 * steps + 1)
    if preset in PERCENTILE_THRESHOLDS:
        names = list(PERCENTILE_THRESHOLDS[preset])
        values = [[float(np.clip(th[n] + o, 0.0, 100.0)) for o in offsets]
                  for n in names]
    else:
        names = list(RELATIVE_THRESHOLDS[preset])
        values = [[th.get(n, 1.0) * (1.0 + o / 100.0) for o in offsets] for n in names]
    rows = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    return pd.DataFrame(rows).drop_duplicates().reset_index(drop=True)


def rating_stability(
    frame: pd.DataFrame,
    /,
    *,
    preset: str = "us-cmp",
    region: str = "region",
    cluster: str = "cluster",
    employment: str = "employment",
    establishments: str | None = None,
    lq: str | None = None,
    traded: str | None = None,
    year: str | None = None,
    value: str | None = None,
    shift: float = 5.0,
    steps: int = 1,
    draws: int = 200,
    resample: str | None = None,
    seed: int | None = None,
    missing: str = "warn",
    progress: Callable[[str, int, int], None] | None = None,
    **thresholds: float,
) -> StabilityResult:
    r"""How often each rating flag holds when thresholds move and data are resampled.

    评级稳健性：阈值扰动与就业数据重抽样下各标志成立的比例.

    Parameters
    ----------
    frame : DataFrame
        As for :func:`agglomera.clusters.rate`.
    preset : {"us-cmp", "eu-stars", "lq-growth", "output-tiers"}, default "us-cmp"
        Rating whose stability is measured.
    region, cluster, employment, establishments, lq, traded, year, value : str
        Column names as for :func:`~agglomera.clusters.rate`.
    shift : float, default 5.0
        Largest move of each threshold: in percentile points for the percentile
        thresholds of us-cmp and eu-stars; in percent of the value for the LQ level
        of lq-growth (1 -> 0.95..1.05) and the tier bounds of output-tiers.
    steps : int, default 1
        Grid points on each side of the baseline: offsets
        ``linspace(-shift, shift, 2*steps+1)`` for every moved threshold of the
        preset, all combinations (3^k points for k thresholds with steps=1).
    draws : int, default 200
        Number of resampled data sets.
    resample : {"poisson", "multinomial", "none"}, optional
        ``poisson`` (default for employment-based presets): each cell's employment
        (and establishments) drawn from a Poisson distribution with the observed count
        as mean; ``multinomial``: the year's total employment redistributed over the
        cells with the observed shares (the bootstrap of workers); ``none``
        (default, and the only choice, for output-tiers, whose output is not a
        count): thresholds only.
    seed : int, optional
        Seed of the random generator (``numpy.random.default_rng``).
    missing : {"warn", "raise"}
        As for rate().
    progress : callable, optional
        Called as ``progress(step, done, total)`` after each perturbed rating (the CLI
        draws a progress bar with it).
    **thresholds : float
        Baseline thresholds (as for rate()).

    Returns
    -------
    StabilityResult
        ``to_frame()``: region, cluster, (year), ``level``, ``flag``,
        ``threshold_share``, ``resample_share``, ``stability``.

    Raises
    ------
    SchemaError
        Unknown preset, bad ``shift``, ``steps``, ``draws`` or ``resample``, missing
        ``year`` (lq-growth) or ``value`` (output-tiers).

    Notes
    -----
    For flag :math:`f` of a region-cluster pair with baseline value :math:`f_0`,
    threshold grid :math:`G` and resampled data sets :math:`b = 1..B`,

    .. math::

        s_{thr} = \frac{1}{|G|}\sum_{g \in G} f(g), \qquad
        s_{res} = \frac{1}{B}\sum_{b=1}^{B} f(X^{*}_b), \qquad
        \text{stability} = \frac{\sum_g [f(g) = f_0] + \sum_b [f(X^*_b) = f_0]}
        {|G| + B},

    with :math:`X^*_b` drawn as :math:`E^*_{rc} \sim \text{Poisson}(E_{rc})`
    (parametric bootstrap of counts; Efron & Tibshirani 1993, ch. 6) or
    :math:`(E^*_{rc})_{r,c} \sim \text{Multinomial}(E, (E_{rc}/E)_{r,c})` within a
    year. When the caller supplies ``lq``, resampling cannot recompute it, so the LQ
    is held fixed and only employment and establishments move. Rows with missing
    inputs have NA shares.

    References
    ----------
    .. [1] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
       New York: Chapman & Hall. doi:10.1201/9780429246593
    .. [2] Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related
       industries. *Journal of Economic Geography* 16(1), 1-38.
       doi:10.1093/jeg/lbv017 (sensitivity of cluster outcomes to parameter choices).

    Examples
    --------
    >>> t = pd.DataFrame({"region": list("ABCDABCD"),
    ...                   "cluster": ["x"] * 4 + ["y"] * 4,
    ...                   "employment": [500.0, 10, 20, 30, 100, 90, 80, 70]})
    >>> s = rating_stability(t, draws=50, seed=1).to_frame()
    >>> s.query("cluster == 'x' and level == 'strong'")[["region", "flag", "stability"]]
       region   flag  stability
    16      A   True        1.0
    17      B  False        1.0
    18      C  False        1.0
    19      D  False        1.0
    """
    th = _thresholds(preset, thresholds)
    if resample is None:
        resample = "none" if preset == "output-tiers" else "poisson"
    if preset == "output-tiers" and resample != "none":
        raise SchemaError("output is not a count: output-tiers stability moves the tier "
                          "bounds only; use resample='none'")
    if preset == "lq-growth" and year is None:
        raise SchemaError("preset 'lq-growth' needs `year=`: LQ change needs two years")
    if preset == "output-tiers" and value is None:
        raise SchemaError("preset 'output-tiers' needs `value=`, the output column")
    if not (isinstance(shift, (int, float)) and np.isfinite(shift) and 0 <= shift <= 50):
        raise SchemaError(f"`shift` must be in [0, 50] percentile points; got {shift!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise SchemaError(f"`steps` must be a positive integer; got {steps!r}")
    if resample not in RESAMPLING:
        raise SchemaError(f"`resample` must be one of {', '.join(map(repr, RESAMPLING))};"
                          f" got {resample!r}")
    if not isinstance(draws, (int, np.integer)) or draws < 0 or (
            resample != "none" and draws < 1):
        raise SchemaError(f"`draws` must be a positive integer; got {draws!r}")
    if resample == "none":
        draws = 0
    count_based = preset in ("us-cmp", "eu-stars")
    c = prepare(frame, region=region, cluster=cluster,
                employment=None if preset == "output-tiers" else employment,
                establishments=establishments if preset == "us-cmp" else None,
                lq=lq if count_based else None,
                traded=traded if preset == "us-cmp" else None, year=year,
                value=value if preset == "output-tiers" else None,
                missing=missing, func="rating_stability")
    levels = list(LEVELS[preset])
    base_full = flags_for(c, preset, th)
    base = base_full[levels]
    na = base.isna().to_numpy()
    b0 = base.fillna(False).to_numpy(dtype=bool)
    grid = _grid(preset, th, float(shift), int(steps))
    thr_true = np.zeros(b0.shape)
    thr_agree = np.zeros(b0.shape)
    total = len(grid) + draws
    for i, (_, g) in enumerate(grid.iterrows(), start=1):
        f = flags_for(c, preset, th | g.to_dict())[levels].fillna(False).to_numpy(bool)
        thr_true += f
        thr_agree += f == b0
        if progress is not None:
            progress("thresholds", i, total)
    res_true = np.zeros(b0.shape)
    res_agree = np.zeros(b0.shape)
    rng = np.random.default_rng(seed)
    emp = (c["employment"].to_numpy(dtype=float) if "employment" in c
           else np.zeros(len(c)))
    known = ~np.isnan(emp)
    est = c["establishments"].to_numpy(dtype=float) if "establishments" in c else None
    for i in range(draws):
        if progress is not None:
            progress("resampling", len(grid) + i + 1, total)
        d = c.copy()
        e = np.where(known, emp, 0.0)
        if resample == "poisson":
            new = rng.poisson(e).astype(float)
        else:
            new = np.zeros(len(e))
            groups = (c["year"].to_numpy() if "year" in c else np.zeros(len(e), int))
            for yv in np.unique(groups):
                sel = groups == yv
                total = int(np.rint(e[sel].sum()))
                if total > 0:
                    new[sel] = rng.multinomial(total, e[sel] / e[sel].sum())
        d["employment"] = np.where(known, new, np.nan)
        if est is not None:
            ek = ~np.isnan(est)
            d["establishments"] = np.where(ek, rng.poisson(np.where(ek, est, 0.0)),
                                           np.nan)
        f = flags_for(d, preset, th)[levels].fillna(False).to_numpy(bool)
        res_true += f
        res_agree += f == b0
    n_g = len(grid)
    if preset == "lq-growth":  # one row per region x cluster, years compared
        keys = ["region", "cluster"]
        ident = base_full[keys].reset_index(drop=True)
    else:
        keys = ["region", "cluster"] + (["year"] if "year" in c else [])
        ident = c[keys]
    parts = []
    for j, level in enumerate(levels):
        part = ident.copy()
        part["level"] = level
        part["flag"] = base[level].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            part["threshold_share"] = np.where(na[:, j], np.nan, thr_true[:, j] / n_g)
            part["resample_share"] = (np.where(na[:, j], np.nan, res_true[:, j] / draws)
                                      if draws else np.nan)
            part["stability"] = np.where(
                na[:, j], np.nan, (thr_agree[:, j] + res_agree[:, j]) / (n_g + draws))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).rename(
        columns={"region": region, "cluster": cluster, "year": year})
    return StabilityResult(preset=preset, table=table, grid=grid, draws=draws,
                           resample=resample, seed=seed, thresholds=th)
