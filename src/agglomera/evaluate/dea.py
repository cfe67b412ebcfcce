"""Data envelopment analysis: CCR, BCC and SBM, with Simar-Wilson bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.evaluate._common import (
    as_list,
    check_choice,
    check_columns,
    numeric_block,
    rng,
)
from agglomera.evaluate._lp import HighsSolver, Solver, make_solver, slack_parts

__all__ = ["DEAResult", "dea", "dea_scores"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DEAResult:
    """Efficiency scores (in (0, 1], 1 = on the frontier) and what they rest on.

    ``scores``: Series by unit (by (year, unit) with ``year=``). ``peers``: long frame
    of the reference units and their weights (lambda) for each unit. ``bootstrap``:
    with ``bootstrap=B``, a frame by unit with ``bias``, ``bias_corrected``, ``lower``
    and ``upper`` (Farrell scale), else ``None``.
    """

    scores: pd.Series
    peers: pd.DataFrame
    bootstrap: pd.DataFrame | None
    model: str
    orientation: str
    rts: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    lp_count: int
    alpha: float
    slacks: pd.DataFrame | None = None

    @property
    def statistic(self) -> pd.Series:
        return self.scores

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: score, ``efficient`` (radial score 1), with ``slacks=True``
        the slacks and ``pareto_efficient`` (score 1 and no slack), and the bootstrap
        columns when computed."""
        f = self.scores.rename("score").to_frame()
        f["efficient"] = np.isclose(f["score"], 1.0, atol=1e-7)
        if self.slacks is not None:
            f = f.join(self.slacks)
            f["pareto_efficient"] = f["efficient"] & self._no_slack()
        if self.bootstrap is not None:
            f = f.join(self.bootstrap)
        return f.reset_index()

    def _no_slack(self) -> pd.Series:
        s = self.slacks
        return (s.abs() <= 1e-7 * (1.0 + s.abs().max())).all(axis=1)


def _check_data(X: np.ndarray, Y: np.ndarray, model: str, names_in: Sequence[str],
                names_out: Sequence[str]) -> None:
    if (X < 0).any() or (Y < 0).any():
        raise SchemaError("DEA inputs and outputs must be non-negative")
    if model == "sbm":
        bad = [c for c, b in zip(list(names_in) + list(names_out),
                                 np.concatenate([(X <= 0).any(0), (Y <= 0).any(0)])) if b]
        if bad:
            raise SchemaError(f"the SBM model needs positive data; {', '.join(bad)} have "
                              "zeros (Tone 2001 treats zeros specially; this is not done here)")
    if (X.sum(axis=1) <= 0).any():
        raise SchemaError("every unit needs a positive input")
    if (Y.sum(axis=1) <= 0).any():
        raise SchemaError("every unit needs a positive output")
    if (X.sum(axis=0) <= 0).any() or (Y.sum(axis=0) <= 0).any():
        raise SchemaError("an input or output column is zero for every unit")


def dea_scores(X: np.ndarray, Y: np.ndarray, *, model: str = "ccr",
               orientation: str = "input", rts: str | None = None,
               Xref: np.ndarray | None = None, Yref: np.ndarray | None = None,
               self_in_reference: bool = True, progress: Progress | None = None,
               solver: Solver | HighsSolver | None = None, engine: str = "auto",
               ) -> tuple[np.ndarray, list, Solver | HighsSolver]:
    """Array kernel: scores of the rows of (X, Y) against the reference (Xref, Yref).

    Columns are rescaled by the reference means (DEA scores are units invariant), which
    keeps HiGHS well conditioned. Returns scores, per-unit (peer indices, lambdas) and
    the solver (with its count of programmes).
    """
    vrs = (model == "bcc") or (rts == "vrs")
    Xr = X if Xref is None else Xref
    Yr = Y if Yref is None else Yref
    sx, sy = Xr.mean(axis=0), Yr.mean(axis=0)
    sx = np.where(sx > 0, sx, 1.0)
    sy = np.where(sy > 0, sy, 1.0)
    Xs, Ys, Xrs, Yrs = X / sx, Y / sy, Xr / sx, Yr / sy
    if solver is None:
        solver = make_solver(Xrs, Yrs, model=model, orientation=orientation, vrs=vrs,
                             engine=engine)
    n = X.shape[0]
    out = np.empty(n)
    peers = []
    for o in range(n):
        sc, idx, lam = solver.solve(Xs[o], Ys[o], self_idx=o if self_in_reference else None)
        out[o] = sc
        peers.append((idx, lam))
        if progress is not None:
            progress(o + 1, n)
    return out, peers, solver


def _radial_slacks(X: np.ndarray, Y: np.ndarray, scores: np.ndarray, *, orientation: str,
                   vrs: bool) -> np.ndarray:
    """Maximal input and output slacks with the radial score fixed (second stage),
    in the data's units; shape (n, m + s)."""
    sx, sy = X.mean(axis=0), Y.mean(axis=0)
    sx = np.where(sx > 0, sx, 1.0)
    sy = np.where(sy > 0, sy, 1.0)
    Xs, Ys = X / sx, Y / sy
    solver = Solver(Xs, Ys, model="sbm", orientation="input", vrs=vrs)
    out = np.full((X.shape[0], X.shape[1] + Y.shape[1]), np.nan)
    for o, sc in enumerate(scores):
        if not np.isfinite(sc) or sc <= 0:
            continue
        if orientation == "input":
            parts = slack_parts(sc * Xs[o], Ys[o], sx, sy, vrs)
        else:
            parts = slack_parts(Xs[o], Ys[o] / sc, sx, sy, vrs)
        solver.solve(Xs[o], Ys[o], self_idx=o, parts=parts)
        out[o] = np.clip(solver.last_fixed, 0.0, None) * np.concatenate([sx, sy])
    return out


def _bandwidth(delta: np.ndarray) -> float:
    """Silverman's rule on the reflected inefficient distances, rescaled to n.

    Units on the frontier (delta = 1) are a spurious mass at the boundary; with them in
    the sample the interquartile range can collapse to zero. Following Simar & Wilson
    (2008, section 4.3) the bandwidth is computed from the m inefficient units and
    multiplied by (m / n)^(1/5).
    """
    n = delta.size
    ineff = delta[delta > 1.0 + 1e-9]
    m = ineff.size
    if m < 2:
        return 0.0
    refl = np.concatenate([ineff, 2.0 - ineff])
    sd = refl.std(ddof=1)
    q75, q25 = np.percentile(refl, [75, 25])
    spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
    return 0.9 * spread * refl.size ** (-0.2) * (m / n) ** 0.2


def _bootstrap(X: np.ndarray, Y: np.ndarray, theta: np.ndarray, *, model: str,
               orientation: str, rts: str | None, B: int, seed: int | None,
               alpha: float, progress: Progress | None, engine: str) -> pd.DataFrame:
    g = rng(seed)
    n = X.shape[0]
    delta = 1.0 / theta                      # Shephard distance, >= 1
    delta = np.where(np.abs(delta - 1.0) < 1e-9, 1.0, delta)  # solver round-off at 1
    h = _bandwidth(delta)
    var = delta.var(ddof=1) if n > 1 else 0.0
    boot = np.empty((B, n))
    for b in range(B):
        beta = delta[g.integers(n, size=n)]
        eps = g.standard_normal(n)
        bbar = beta.mean()
        smooth = beta + h * eps
        star = bbar + (smooth - bbar) / np.sqrt(1.0 + h * h / var) if var > 0 else smooth
        star = np.where(star < 1.0, 2.0 - star, star)
        if orientation == "input":
            Xb, Yb = X * (star / delta)[:, None], Y
        else:
            Xb, Yb = X, Y * (delta / star)[:, None]
        sc, _, _ = dea_scores(X, Y, model=model, orientation=orientation, rts=rts,
                              Xref=Xb, Yref=Yb, self_in_reference=True, engine=engine)
        boot[b] = 1.0 / sc
        if progress is not None:
            progress(b + 1, B)
    diff = boot - delta
    bias = diff.mean(axis=0)
    lo_q, hi_q = np.quantile(diff, [alpha / 2, 1 - alpha / 2], axis=0)
    d_corr = delta - bias
    return pd.DataFrame({
        "bias": 1.0 / d_corr - theta,
        "bias_corrected": 1.0 / d_corr,
        "lower": 1.0 / (delta - lo_q),
        "upper": 1.0 / (delta - hi_q),
    })


def dea(frame: pd.DataFrame, *, inputs: str | Sequence[str], outputs: str | Sequence[str],
        model: str = "ccr", orientation: str = "input", rts: str | None = None,
        region: str | None = None, year: str | None = None, bootstrap: int = 0,
        alpha: float = 0.05, seed: int | None = None, missing: str = "raise",
        progress: Progress | None = None, engine: str = "auto",
        slacks: bool = False) -> DEAResult:
    r"""Data envelopment analysis efficiency scores (数据包络分析).

    Each unit (region, zone, firm: a "decision-making unit") is compared with the best
    practice frontier spanned by all units; the score is 1 on the frontier and below 1
    behind it. Linear programmes are solved with HiGHS.

    Parameters
    ----------
    frame : DataFrame
        One row per unit (and year).
    inputs, outputs : str or sequence of str
        Input and output columns (non-negative; SBM: positive).
    model : {'ccr', 'bcc', 'sbm'}
        CCR (constant returns to scale), BCC (variable returns) or Tone's slack-based
        measure (constant returns unless ``rts='vrs'``).
    orientation : {'input', 'output', 'none'}
        Radial models: input (shrink inputs) or output (expand outputs); SBM also
        ``'none'`` (non-oriented, Tone's original).
    rts : {'crs', 'vrs'}, optional
        Returns to scale of the SBM model (CCR is CRS and BCC is VRS by definition).
    region : str, optional
        Unit label column (default the index).
    year : str, optional
        Year column: a separate (contemporaneous) frontier for each year.
    bootstrap : int
        Number of Simar-Wilson (1998) smoothed-bootstrap replications (radial models).
    alpha : float
        1 - confidence level of the bootstrap intervals.
    seed : int, optional
        Seed of the bootstrap.
    missing : {'raise', 'omit'}
        Units with a missing input or output raise or are left out (with a warning).
    progress : callable, optional
        ``progress(done, total)`` after each unit (or bootstrap replication).
    slacks : bool
        Radial models: also compute the maximal input and output slacks with the score
        fixed (second stage; columns ``slack_<name>``, in the data's units) and flag
        ``pareto_efficient`` units (score 1 and no slack, Cooper et al. 2007, Def. 3.2).
    engine : {'auto', 'highs', 'linprog'}
        ``'highs'``: one persistent HiGHS model per frontier, changed unit by unit and
        warm-started (scipy's bundled HiGHS bindings; the default when importable);
        ``'linprog'``: one ``scipy.optimize.linprog(method="highs-ds")`` call per
        programme. Both give the same scores (tested).

    Returns
    -------
    DEAResult

    Raises
    ------
    SchemaError
        Unknown columns or options, negative data, zeros in SBM data, a unit with no
        positive input or output, bootstrap with SBM.

    See Also
    --------
    malmquist

    Notes
    -----
    Input-oriented CCR (Charnes, Cooper & Rhodes 1978), envelopment form, for unit
    :math:`o` with inputs :math:`x_{io}`, outputs :math:`y_{ro}`:

    .. math::

        \theta^* = \min_{\theta, \lambda \ge 0} \theta \quad \text{s.t.}\quad
        \sum_j \lambda_j x_{ij} \le \theta x_{io}, \quad
        \sum_j \lambda_j y_{rj} \ge y_{ro};

    BCC (Banker, Charnes & Cooper 1984) adds :math:`\sum_j \lambda_j = 1`. The output
    orientation maximises :math:`\phi` with :math:`\sum_j \lambda_j x_{ij} \le x_{io}`,
    :math:`\sum_j \lambda_j y_{rj} \ge \phi y_{ro}` and reports :math:`1/\phi^*`.
    SBM (Tone 2001, eq. 4, solved in its linear form eq. 9):

    .. math::

        \rho^* = \min \frac{1 - \frac{1}{m}\sum_i s^-_i / x_{io}}
                           {1 + \frac{1}{s}\sum_r s^+_r / y_{ro}} \quad\text{s.t.}\quad
        x_o = X\lambda + s^-,\; y_o = Y\lambda - s^+,\; \lambda, s^\pm \ge 0;

    input-oriented SBM keeps only the numerator, output-oriented only the denominator.
    Each programme is solved by column generation over the reference units (exact:
    stopped when no reference unit has a negative reduced cost).

    The bootstrap follows Simar & Wilson (1998, section 3): reflected Gaussian kernel
    on the Shephard distances :math:`\hat\delta = 1/\hat\theta` with Silverman's
    bandwidth :math:`h = 0.9 \min(\hat\sigma, \widehat{IQR}/1.34)(2m)^{-1/5}(m/n)^{1/5}`
    of the reflected distances of the :math:`m` units off the frontier (the units at
    :math:`\hat\delta = 1` are left out, Simar & Wilson 2008, section 4.3), variance
    correction
    :math:`\delta^* = \bar\beta^* + (\beta^* + h\varepsilon - \bar\beta^*)/\sqrt{1 + h^2/\hat\sigma^2_\delta}`,
    pseudo data :math:`x^*_j = x_j \delta^*_j / \hat\delta_j` (input orientation;
    outputs :math:`y^*_j = y_j \hat\delta_j / \delta^*_j` for the output orientation),
    and each original unit re-scored against the pseudo frontier. Bias
    :math:`\widehat{bias} = \overline{\hat\delta^*} - \hat\delta`, and the interval
    for :math:`\delta` is :math:`[\hat\delta - \hat q_{1-\alpha/2}, \hat\delta - \hat
    q_{\alpha/2}]` with :math:`\hat q` quantiles of :math:`\hat\delta^* - \hat\delta`;
    all are reported on the Farrell scale :math:`1/\delta`.

    References
    ----------
    Charnes, A., Cooper, W. W. & Rhodes, E. (1978). Measuring the efficiency of decision
    making units. *European Journal of Operational Research* 2(6), 429-444.
    doi:10.1016/0377-2217(78)90138-8

    Banker, R. D., Charnes, A. & Cooper, W. W. (1984). Some models for estimating
    technical and scale inefficiencies in data envelopment analysis. *Management
    Science* 30(9), 1078-1092. doi:10.1287/mnsc.30.9.1078

    Tone, K. (2001). A slacks-based measure of efficiency in data envelopment analysis.
    *European Journal of Operational Research* 130(3), 498-509.
    doi:10.1016/S0377-2217(99)00407-5

    Simar, L. & Wilson, P. W. (1998). Sensitivity analysis of efficiency scores: how to
    bootstrap in nonparametric frontier models. *Management Science* 44(1), 49-61.
    doi:10.1287/mnsc.44.1.49

    Simar, L. & Wilson, P. W. (2008). Statistical inference in nonparametric frontier
    models: recent developments and perspectives. In H. O. Fried, C. A. K. Lovell &
    S. S. Schmidt (eds.), *The Measurement of Productive Efficiency and Productivity
    Growth*, pp. 421-521. Oxford University Press.
    doi:10.1093/acprof:oso/9780195183528.003.0004

    Cooper, W. W., Seiford, L. M. & Tone, K. (2007). *Data Envelopment Analysis*, 2nd
    ed. New York: Springer. doi:10.1007/978-0-387-45283-8

    Examples
    --------
    >>> f = pd.DataFrame({"x": [2.0, 4.0, 4.0], "y": [2.0, 4.0, 2.0]}, index=list("abc"))
    >>> dea(f, inputs="x", outputs="y").scores.round(3).tolist()
    [1.0, 1.0, 0.5]
    """
    ins = as_list(inputs, "inputs")
    outs = as_list(outputs, "outputs")
    both = set(ins) & set(outs)
    if both:
        raise SchemaError(f"{', '.join(sorted(both))} cannot be both an input and an output")
    check_columns(frame, ins + outs, "input/output")
    model = check_choice("model", model, ("ccr", "bcc", "sbm"))
    allowed = ("input", "output", "none") if model == "sbm" else ("input", "output")
    orientation = check_choice("orientation", orientation, allowed)
    if rts is not None:
        rts = check_choice("rts", rts, ("crs", "vrs"))
        if model != "sbm" and rts != ("crs" if model == "ccr" else "vrs"):
            raise SchemaError(f"model={model!r} has {'constant' if model == 'ccr' else 'variable'}"
                              f" returns to scale; rts={rts!r} contradicts it")
    rts_used = rts or ("vrs" if model == "bcc" else "crs")
    engine = check_choice("engine", engine, ("auto", "highs", "linprog"))
    if slacks and model == "sbm":
        raise SchemaError("slacks=True is the second stage of the radial models (ccr, "
                          "bcc); the SBM score already accounts for every slack")
    if bootstrap and model == "sbm":
        raise SchemaError("the Simar-Wilson bootstrap is implemented for the radial models "
                          "(ccr, bcc) only")
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise SchemaError(f"`bootstrap` must be a number of replications >= 0; got {bootstrap!r}")
    if not 0 < alpha < 1:
        raise SchemaError(f"`alpha` must be in (0, 1); got {alpha}")
    cols = ins + outs
    labels = frame.index if region is None else pd.Index(frame[check_region(frame, region)])
    if year is not None:
        check_columns(frame, [year], "year")
        groups = [(y, np.flatnonzero((frame[year] == y).to_numpy()))
                  for y in sorted(pd.unique(frame[year].dropna()))]
    else:
        groups = [(None, np.arange(len(frame)))]
    total = sum(len(ix) for _, ix in groups) * (1 + bootstrap)
    done = 0
    scores, keys, peer_rows, boots, slack_rows = [], [], [], [], []
    lp = 0
    for y, ix in groups:
        sub = frame.iloc[ix]
        block, keep = numeric_block(sub, cols, missing=missing, what="input/output")
        lab = labels[ix][keep]
        if lab.has_duplicates:
            raise SchemaError(f"unit {lab[lab.duplicated()][0]} appears twice"
                              + (f" in year {y}" if y is not None else "")
                              + "; one row per unit (and year) expected")
        X, Y = block[:, :len(ins)], block[:, len(ins):]
        _check_data(X, Y, model, ins, outs)

        def tick(k: int, n: int, _base: int = done) -> None:
            if progress is not None:
                progress(_base + k, total)

        sc, peers, solver = dea_scores(X, Y, model=model, orientation=orientation,
                                       rts=rts_used, progress=tick, engine=engine)
        done += len(lab)
        lp += solver.lp_count
        scores.append(sc)
        keys.extend([(y, u) for u in lab] if y is not None else list(lab))
        if slacks:
            slack_rows.append(_radial_slacks(X, Y, sc, orientation=orientation,
                                             vrs=rts_used == "vrs"))
        for u, (idx, lam) in zip(lab, peers):
            for j, w in zip(idx, lam):
                peer_rows.append(((y,) if y is not None else ()) + (u, lab[j], w))
        if bootstrap:
            def btick(k: int, n: int, _base: int = done, _size: int = len(lab)) -> None:
                if progress is not None:
                    progress(_base + k * _size, total)

            bt = _bootstrap(X, Y, sc, model=model, orientation=orientation, rts=rts_used,
                            B=int(bootstrap), seed=seed, alpha=alpha, progress=btick,
                            engine=engine)
            done += int(bootstrap) * len(lab)
            boots.append(bt)
    index = (pd.MultiIndex.from_tuples(keys, names=["year", "region"]) if year is not None
             else pd.Index(keys, name="region"))
    score = pd.Series(np.concatenate(scores), index=index, name="score")
    pcols = (["year"] if year is not None else []) + ["region", "peer", "lambda"]
    boot = None
    if boots:
        boot = pd.concat(boots, ignore_index=True)
        boot.index = index
    slack_frame = None
    if slacks:
        slack_frame = pd.DataFrame(np.vstack(slack_rows), index=index,
                                   columns=[f"slack_{c}" for c in ins + outs])
    return DEAResult(scores=score, peers=pd.DataFrame(peer_rows, columns=pcols),
                     bootstrap=boot, model=model, orientation=orientation, rts=rts_used,
                     inputs=tuple(ins), outputs=tuple(outs), lp_count=lp, alpha=alpha,
                     slacks=slack_frame)


def check_region(frame: pd.DataFrame, region: str) -> str:
    check_columns(frame, [region], "region")
    return region
