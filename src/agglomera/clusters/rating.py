r"""Identification and rating of clusters on the user's own region x cluster table.

Presets (``rate(frame, preset=...)``):

* ``"us-cmp"``: the strong-cluster rule of the U.S. Cluster Mapping Project, as fixed
  by this project's issue (levels ``qualifying``, ``significant``, ``strong``,
  ``strong_top_decile``) with region cluster strength;
* ``"eu-stars"``: the star rating of the European Cluster Observatory (criteria
  ``size``, ``specialisation``, ``focus`` and the count ``stars``);
* ``"lq-growth"``: the LQ x LQ-change quadrants (``star``, ``mature``, ``emerging``,
  ``transforming``), from :func:`agglomera.measures.lq_growth_quadrants`;
* ``"output-tiers"``: output-size tiers as written in Chinese cluster plans (see
  :func:`output_tiers`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agglomera.clusters._input import group_quantile, prepare
from agglomera.errors import SchemaError

__all__ = [
    "LEVELS",
    "PRESETS",
    "OutputTiersResult",
    "RatingResult",
    "output_tiers",
    "rate",
]

#: Default thresholds of each preset (all overridable as keyword arguments of rate()).
PRESETS: dict[str, dict[str, float]] = {
    "us-cmp": {"lq_percentile": 75.0, "lq_min": 1.0, "employment_percentile": 25.0,
               "establishments_percentile": 25.0, "top_percentile": 90.0},
    "eu-stars": {"size_percentile": 90.0, "lq_min": 2.0, "focus_percentile": 90.0},
    "lq-growth": {"threshold": 1.0},
    "output-tiers": {"unit_factor": 1.0},
}

#: Boolean columns written by each preset, in order.
LEVELS: dict[str, tuple[str, ...]] = {
    "us-cmp": ("qualifying", "significant", "strong", "strong_top_decile"),
    "eu-stars": ("size", "specialisation", "focus"),
    "lq-growth": ("star", "mature", "emerging", "transforming"),
    "output-tiers": ("above_100_bn", "above_10_bn", "above_5_bn", "above_2_bn"),
}

#: Percentile thresholds of a preset (those the stability grid moves by +-shift points).
PERCENTILE_THRESHOLDS = {
    "us-cmp": ("lq_percentile", "employment_percentile", "establishments_percentile",
               "top_percentile"),
    "eu-stars": ("size_percentile", "focus_percentile"),
}

#: Level thresholds the stability grid scales by (1 +- shift/100).
RELATIVE_THRESHOLDS = {"lq-growth": ("threshold",), "output-tiers": ("scale",)}

#: Output tiers of Chinese cluster plans, in yuan: >= 100 bn, 10 bn, 5 bn, 2 bn.
PLAN_TIERS_YUAN = (1e11, 1e10, 5e9, 2e9)


@dataclass(frozen=True)
class RatingResult:
    """Flags of one rating preset: one row per region x cluster (x year).

    Attributes
    ----------
    preset : str
        The preset used.
    flags : DataFrame
        Identifying columns (the caller's names for region, cluster and year), the
        measured columns (``employment``, ``establishments``, ``lq`` and, for us-cmp,
        the thresholds each row was compared with) and one boolean column per level
        (see :data:`LEVELS`; eu-stars adds the integer ``stars``; lq-growth adds
        ``quadrant``). A row whose inputs were missing has NA flags.
    levels : tuple of str
        The boolean level columns.
    thresholds : dict
        The thresholds used (defaults of the preset updated with the caller's).
    region_strength : DataFrame or None
        us-cmp only: per region (and year) ``traded_employment``,
        ``strong_employment`` and ``strength`` = strong / traded employment.
    columns : dict
        The caller's column names by role (region, cluster, year, ...).
    """

    preset: str
    flags: pd.DataFrame
    levels: tuple[str, ...]
    thresholds: dict[str, Any]
    region_strength: pd.DataFrame | None = None
    columns: dict[str, str | None] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The flags table (a copy)."""
        return self.flags.copy()

    def parameters_json(self) -> str:
        """Preset, thresholds and column roles as JSON (stored with a rating run)."""
        return json.dumps({"preset": self.preset, "thresholds": self.thresholds,
                           "columns": self.columns}, ensure_ascii=False, sort_keys=True)


def _thresholds(preset: str, given: dict[str, Any]) -> dict[str, Any]:
    if preset not in PRESETS:
        raise SchemaError(
            f"`preset` must be one of {', '.join(map(repr, PRESETS))}; got {preset!r}"
        )
    th: dict[str, Any] = dict(PRESETS[preset])
    unknown = sorted(set(given) - set(th))
    if unknown:
        allowed = ", ".join(th) or "none"
        raise SchemaError(
            f"unknown threshold(s) {', '.join(unknown)} for preset {preset!r}; "
            f"allowed: {allowed}"
        )
    for key, val in given.items():
        if not isinstance(val, (int, float, np.integer, np.floating)) or isinstance(
                val, bool) or not np.isfinite(val):
            raise SchemaError(f"threshold {key!r} must be a finite number; got {val!r}")
        if key.endswith("_percentile") and not 0 <= val <= 100:
            raise SchemaError(f"threshold {key!r} is a percentile in [0, 100]; got {val}")
        th[key] = float(val)
    return th


def _group_codes(c: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Integer codes (0..G-1, not necessarily dense) of the combinations of ``keys``."""
    if keys and all(f"_{k}_code" in c for k in keys):
        code = np.zeros(len(c), dtype=np.int64)
        for k in keys:
            col = c[f"_{k}_code"].to_numpy(dtype=np.int64)
            code = code * (int(col.max()) + 1) + col
        return code
    if len(keys) == 1:
        return pd.factorize(c[keys[0]])[0]
    return c.groupby(keys, sort=False).ngroup().to_numpy()


def _group_sum(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``x`` over the rows with the same code."""
    return np.bincount(codes, weights=x)[codes]


def _lq(c: pd.DataFrame, base: np.ndarray) -> np.ndarray:
    r"""LQ of each row against the rows in ``base`` of the same year:
    (E_rc / E_r) / (E_c / E), all totals over ``base`` rows with known employment."""
    emp = c["employment"].to_numpy(dtype=float)
    use = base & ~np.isnan(emp)
    e = np.where(use, emp, 0.0)
    yr = ["year"] if "year" in c else []
    by_region = _group_sum(e, _group_codes(c, ["region", *yr]))
    by_cluster = _group_sum(e, _group_codes(c, ["cluster", *yr]))
    total = (_group_sum(e, _group_codes(c, yr)) if yr else np.full(len(e), e.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (emp / by_region) / (by_cluster / total)
    return np.where(base & np.isfinite(out), out, np.nan)


def _cmp_flags(c: pd.DataFrame, th: dict[str, float]) -> pd.DataFrame:
    """The us-cmp levels on canonical columns (see :func:`rate` for the definition)."""
    n = len(c)
    traded = c["traded"].to_numpy() if "traded" in c else np.ones(n, dtype=bool)
    emp = c["employment"].to_numpy(dtype=float)
    lq = c["lq"].to_numpy(dtype=float) if "lq" in c else _lq(c, traded)
    est = (c["establishments"].to_numpy(dtype=float) if "establishments" in c
           else None)
    # a computed LQ is undefined (0/0) only for a cluster absent everywhere: not present
    known = ~np.isnan(emp) & (~np.isnan(lq) if "lq" in c else True)
    if est is not None:
        known &= ~np.isnan(est)
    present = traded & known & (emp > 0) & ~np.isnan(lq)
    keys = ["cluster"] + (["year"] if "year" in c else [])
    g = _group_codes(c, keys)
    q_lq, q_top = group_quantile(lq, g, present, (th["lq_percentile"] / 100,
                                                  th["top_percentile"] / 100))
    q_emp = group_quantile(emp, g, present, th["employment_percentile"] / 100)
    with np.errstate(invalid="ignore"):
        significant = present & (lq >= np.fmax(q_lq, th["lq_min"]))
        qualifying = present & (emp > q_emp)
        if est is not None:
            q_est = group_quantile(est, g, present, th["establishments_percentile"] / 100)
            qualifying &= est > q_est
        strong = significant & qualifying
        top = strong & (lq >= q_top)
    out = pd.DataFrame({"lq": lq, "lq_threshold": np.fmax(q_lq, th["lq_min"]),
                        "employment_threshold": q_emp})
    if est is not None:
        out["establishments_threshold"] = q_est
    for name, flag in (("qualifying", qualifying), ("significant", significant),
                       ("strong", strong), ("strong_top_decile", top)):
        col = pd.array(flag, dtype="boolean")
        col[~known & traded] = pd.NA
        out[name] = col
    return out


def _eu_flags(c: pd.DataFrame, th: dict[str, float]) -> pd.DataFrame:
    """The eu-stars criteria on canonical columns (see :func:`rate`)."""
    n = len(c)
    emp = c["employment"].to_numpy(dtype=float)
    lq = c["lq"].to_numpy(dtype=float) if "lq" in c else _lq(c, np.ones(n, dtype=bool))
    known = ~np.isnan(emp) & (~np.isnan(lq) if "lq" in c else True)
    e = np.where(np.isnan(emp), 0.0, emp)
    yr = ["year"] if "year" in c else []
    region_total = _group_sum(e, _group_codes(c, ["region", *yr]))
    with np.errstate(divide="ignore", invalid="ignore"):
        focus = np.where(known, emp / region_total, np.nan)
    present = known & (emp > 0) & ~np.isnan(lq)
    keys = ["cluster"] + (["year"] if "year" in c else [])
    g = _group_codes(c, keys)
    q_size = group_quantile(emp, g, present, th["size_percentile"] / 100)
    q_focus = group_quantile(focus, g, present, th["focus_percentile"] / 100)
    with np.errstate(invalid="ignore"):
        size = present & (emp >= q_size)
        spec = present & (lq >= th["lq_min"])
        foc = present & (focus >= q_focus)
    out = pd.DataFrame({"lq": lq, "focus": focus})
    for name, flag in (("size", size), ("specialisation", spec), ("focus_top", foc)):
        col = pd.array(flag, dtype="boolean")
        col[~known] = pd.NA
        out[name] = col
    out["stars"] = (out[["size", "specialisation", "focus_top"]].astype("Int64")
                    .sum(axis=1, skipna=False))
    out = out.rename(columns={"focus": "focus_share", "focus_top": "focus"})
    return out


def _lq_growth_flags(c: pd.DataFrame, th: dict[str, float]) -> pd.DataFrame:
    """lq-growth levels, one row per region x cluster (columns region, cluster first)."""
    from agglomera.measures import lq_growth_quadrants

    q = lq_growth_quadrants(c[["region", "cluster", "year", "employment"]],
                            region="region", industry="cluster", value="employment",
                            year="year", threshold=th["threshold"],
                            missing="warn" if c["employment"].isna().any() else "raise")
    out = q.rename(columns={"industry": "cluster"})
    for name in LEVELS["lq-growth"]:
        col = pd.array(out["quadrant"].astype(object) == name, dtype="boolean")
        col[out["quadrant"].isna().to_numpy()] = pd.NA
        out[name] = col
    return out


def _tier_flags(c: pd.DataFrame, th: dict[str, float]) -> pd.DataFrame:
    """output-tier levels per row, bounds scaled by ``th['scale']`` (stability grid)."""
    y = c["value"].to_numpy(dtype=float) * th["unit_factor"]
    bounds = [b * th.get("scale", 1.0) for b in PLAN_TIERS_YUAN]
    code = np.full(len(y), len(bounds))
    for j in range(len(bounds) - 1, -1, -1):
        code = np.where(y >= bounds[j], j, code)
    out = pd.DataFrame(index=c.index)
    for j, b in enumerate(PLAN_TIERS_YUAN):
        col = pd.array(code == j, dtype="boolean")
        col[np.isnan(y)] = pd.NA
        out[_tier_label(b)] = col
    return out


def flags_for(c: pd.DataFrame, preset: str, th: dict[str, float]) -> pd.DataFrame:
    """Preset dispatch on canonical columns (used by rate() and rating_stability()).

    Rows align with ``c`` except for lq-growth (one row per region x cluster, with
    ``region`` and ``cluster`` columns)."""
    if preset == "us-cmp":
        return _cmp_flags(c, th)
    if preset == "eu-stars":
        return _eu_flags(c, th)
    if preset == "lq-growth":
        return _lq_growth_flags(c, th)
    if preset == "output-tiers":
        return _tier_flags(c, th)
    raise SchemaError(f"preset {preset!r} has no flag engine")  # pragma: no cover


def _region_strength(c: pd.DataFrame, flags: pd.DataFrame, names: dict) -> pd.DataFrame:
    traded = c["traded"].to_numpy() if "traded" in c else np.ones(len(c), dtype=bool)
    emp = c["employment"].to_numpy(dtype=float)
    strong = flags["strong"].fillna(False).to_numpy(dtype=bool)
    keys = ["region"] + (["year"] if "year" in c else [])
    t = pd.DataFrame({k: c[k] for k in keys})
    t["traded_employment"] = np.where(traded, emp, 0.0)
    t["strong_employment"] = np.where(strong, emp, 0.0)
    t["_missing"] = traded & np.isnan(emp)
    agg = t.groupby(keys, sort=True).agg(
        traded_employment=("traded_employment", "sum"),
        strong_employment=("strong_employment", "sum"),
        incomplete=("_missing", "any")).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["strength"] = agg["strong_employment"] / agg["traded_employment"]
    agg.loc[agg["incomplete"], ["traded_employment", "strength"]] = np.nan
    agg = agg.drop(columns="incomplete")
    return agg.rename(columns={k: names[k] for k in keys})


def rate(
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
    missing: str = "warn",
    **thresholds: float,
) -> RatingResult:
    r"""Identify and rate clusters: strong clusters (U.S. CMP), stars (Europe), quadrants.

    集群识别与评级. ``frame`` has one row per region x cluster (x year) with the
    cluster's employment in the region; the flags are computed for every row, with
    percentiles taken within each cluster (and year) over the regions where the cluster
    is present.

    Parameters
    ----------
    frame : DataFrame
        Long table, one row per region x cluster (x year).
    preset : {"us-cmp", "eu-stars", "lq-growth", "output-tiers"}, default "us-cmp"
        Rating rule, see Notes.
    region, cluster, employment : str
        Column names of region, cluster and employment (persons).
    establishments : str, optional
        Column of establishment counts (us-cmp: also screened at the 25th
        percentile; without it only employment is screened).
    lq : str, optional
        Column of location quotients computed by the caller. Without it the LQ is
        computed from ``employment`` (us-cmp: on the traded base; eu-stars: on the
        total of all rows of the region).
    traded : str, optional
        Column of booleans (or Traded/Local) marking traded clusters. us-cmp rates
        traded rows only (local rows get False); without it every row is treated as
        traded.
    year : str, optional
        Column of years; each year is rated on its own (lq-growth: needs two or more).
    value : str, optional
        Column of output for ``preset="output-tiers"`` (yuan).
    missing : {"warn", "raise"}, default "warn"
        Rows with missing inputs get NA flags and a :class:`MissingValueWarning`, or
        raise. Missing is never read as 0.
    **thresholds : float
        Overrides of the preset's thresholds (:data:`PRESETS`): us-cmp
        ``lq_percentile=75``, ``lq_min=1``, ``employment_percentile=25``,
        ``establishments_percentile=25``, ``top_percentile=90``; eu-stars
        ``size_percentile=90``, ``lq_min=2``, ``focus_percentile=90``; lq-growth
        ``threshold=1``; output-tiers ``unit_factor=1`` (yuan per unit of ``value``,
        1e8 for 亿元).

    Returns
    -------
    RatingResult
        ``to_frame()``: identifying columns, measured columns and one boolean column
        per level; ``region_strength`` for us-cmp.

    Raises
    ------
    SchemaError
        Unknown preset or threshold, absent or non-numeric columns, negative counts,
        duplicate keys.

    See Also
    --------
    rating_stability : how often each flag holds when thresholds and data move.
    output_tiers : output-size tiers.

    Notes
    -----
    **us-cmp.** Let :math:`E_{rc}` be the employment of traded cluster :math:`c` in
    region :math:`r`, :math:`E_r = \sum_{c \in T} E_{rc}` the region's traded
    employment, :math:`E_c = \sum_r E_{rc}` and :math:`E = \sum_r E_r`. The location
    quotient on the traded employment base is

    .. math:: LQ_{rc} = \frac{E_{rc} / E_r}{E_c / E}.

    The set of regions where the cluster is present is
    :math:`P_c = \{r : E_{rc} > 0\}`; :math:`Q_p(x; P_c)` is the p-th percentile of
    :math:`x` over :math:`P_c` with linear interpolation between order statistics
    (Hyndman & Fan 1996, definition 7; ``numpy.percentile`` default). For
    :math:`r \in P_c`:

    * significant (specialised): :math:`LQ_{rc} \ge \max(Q_{75}(LQ), 1)`;
    * qualifying (critical mass): :math:`E_{rc} > Q_{25}(E)` and, when
      establishments :math:`N_{rc}` are given, :math:`N_{rc} > Q_{25}(N)`;
    * strong: significant and qualifying;
    * strong_top_decile: strong and :math:`LQ_{rc} \ge Q_{90}(LQ)`.

    Region cluster strength is
    :math:`S_r = \sum_{c \in T} E_{rc}\,[\text{strong}_{rc}] / E_r`.
    This is the rule as fixed by the agglomera issue (LQ at or above the 75th
    percentile and at least 1; employment and establishments above the 25th
    percentile; percentiles over the regions where the cluster is present; LQ on the
    traded base). The U.S. Cluster Mapping Project describes its strong clusters as
    the region's clusters with high specialisation and sufficient size, using the
    benchmark definitions of Delgado, Porter & Stern (2016) and the traded/local
    split of Porter (2003); the CMP pages read for this implementation (methodology
    and FAQ at clustermapping.us) did not state the numeric thresholds, so those above
    are the issue's and were not checked against the CMP's own computations.

    **eu-stars.** European Cluster Observatory (Ketels & Sölvell 2006; page
    "Methodology" of clusterobservatory.eu): one star for each of size
    (:math:`E_{rc} \ge Q_{90}(E)` over regions with the cluster: top 10% of the
    category), specialisation (:math:`LQ_{rc} \ge 2`, LQ on total employment) and
    focus (share :math:`E_{rc}/\sum_{c'} E_{rc'}` of the region's employment
    :math:`\ge Q_{90}`: top 10%). ``stars`` is their count (0-3).

    **lq-growth.** Quadrants of LQ level (at ``threshold``) and LQ change between the
    first and last year, see :func:`agglomera.measures.lq_growth_quadrants`.

    **Monotonicity** (tested): with the other rows fixed, raising one region's
    employment in one traded cluster never turns a us-cmp flag of that region-cluster
    pair from True to False; the same holds for raising a given ``lq`` value under
    every preset. (For eu-stars with computed LQ, raising employment can lower the LQ
    of a region that already holds most of the cluster, so ``specialisation`` can
    fall; the property is stated for the LQ input there.)

    References
    ----------
    .. [1] Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related
       industries. *Journal of Economic Geography* 16(1), 1-38.
       doi:10.1093/jeg/lbv017
    .. [2] Porter, M. E. (2003). The economic performance of regions. *Regional
       Studies* 37(6-7), 549-578. doi:10.1080/0034340032000108688
    .. [3] Ketels, C. H. M., & Sölvell, Ö. (2006). *Clusters in the EU-10 new member
       countries*. Europe INNOVA / European Cluster Observatory, European Commission,
       DG Enterprise and Industry; star criteria as stated on the Observatory's
       methodology page (clusterobservatory.eu, index.php?id=49). See also Sölvell,
       Ö., Ketels, C., & Lindqvist, G. (2008). Industrial specialization and regional
       clusters in the ten new EU member states. *Competitiveness Review* 18(1/2),
       104-130. doi:10.1108/10595420810874655
    .. [4] Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages.
       *The American Statistician* 50(4), 361-365. doi:10.1080/00031305.1996.10473566

    Examples
    --------
    >>> t = pd.DataFrame({"region": list("ABCD"), "cluster": "auto",
    ...                   "employment": [100.0, 10.0, 20.0, 30.0]})
    >>> other = pd.DataFrame({"region": list("ABCD"), "cluster": "food",
    ...                       "employment": [100.0, 90.0, 80.0, 70.0]})
    >>> r = rate(pd.concat([t, other]))
    >>> r.to_frame().query("cluster == 'auto'")[["region", "lq", "strong"]].round(3)
      region     lq  strong
    0      A  1.562    True
    1      B  0.312   False
    2      C  0.625   False
    3      D  0.938   False
    """
    th = _thresholds(preset, thresholds)
    names = {"region": region, "cluster": cluster, "year": year}
    if preset == "lq-growth":
        return _rate_lq_growth(frame, region=region, cluster=cluster,
                               employment=employment, year=year, th=th)
    if preset == "output-tiers":
        if value is None:
            raise SchemaError("preset 'output-tiers' needs `value=`, the output column")
        tiers = output_tiers(frame, value=value, region=region, cluster=cluster,
                             year=year, unit_factor=th["unit_factor"])
        return RatingResult(preset=preset, flags=tiers.to_frame(),
                            levels=tiers.labels,
                            thresholds=th | {"tiers": list(tiers.bounds)},
                            columns=names | {"value": value})
    c = prepare(frame, region=region, cluster=cluster, employment=employment,
                establishments=establishments if preset == "us-cmp" else None,
                lq=lq, traded=traded if preset == "us-cmp" else None, year=year,
                missing=missing, func="rate")
    flags = flags_for(c, preset, th)
    keys = ["region", "cluster"] + (["year"] if year is not None else [])
    measured = [m for m in ("employment", "establishments") if m in c]
    out = pd.concat([c[keys + measured + (["traded"] if "traded" in c else [])],
                     flags], axis=1)
    strength = _region_strength(c, flags, names) if preset == "us-cmp" else None
    out = out.rename(columns={k: names[k] for k in keys})
    cols = names | {"employment": employment, "establishments": establishments,
                    "lq": lq, "traded": traded}
    return RatingResult(preset=preset, flags=out, levels=LEVELS[preset], thresholds=th,
                        region_strength=strength, columns=cols)


def _rate_lq_growth(frame, *, region, cluster, employment, year, th) -> RatingResult:
    if year is None:
        raise SchemaError("preset 'lq-growth' needs `year=`: LQ change needs two years")
    c = prepare(frame, region=region, cluster=cluster, employment=employment, year=year,
                func="rate")
    out = _lq_growth_flags(c, th).rename(columns={"region": region, "cluster": cluster})
    years = sorted(c["year"].unique())
    return RatingResult(preset="lq-growth", flags=out, levels=LEVELS["lq-growth"],
                        thresholds=th | {"start": int(years[0]), "end": int(years[-1])},
                        columns={"region": region, "cluster": cluster, "year": year,
                                 "employment": employment})


# ---- output tiers ----------------------------------------------------------------------
@dataclass(frozen=True)
class OutputTiersResult:
    """Output tier of each cluster; ``counts`` per tier (exclusive bands)."""

    tiers: pd.DataFrame
    counts: pd.Series
    bounds: tuple[float, ...]
    labels: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per input row: identifying columns, value, ``tier`` and one boolean
        column per tier label."""
        return self.tiers.copy()


def _tier_label(bound: float) -> str:
    bn = bound / 1e9
    text = f"{bn:g}".replace(".", "_")
    return f"above_{text}_bn"


def output_tiers(
    frame: pd.DataFrame,
    /,
    *,
    value: str = "output",
    cluster: str = "cluster",
    region: str | None = None,
    year: str | None = None,
    bounds: tuple[float, ...] | list[float] = PLAN_TIERS_YUAN,
    labels: tuple[str, ...] | list[str] | None = None,
    unit_factor: float = 1.0,
) -> OutputTiersResult:
    r"""Output-size tiers of clusters as counted in Chinese cluster plans (产值规模档次).

    Jilin's 2017 plan counts clusters "above 100 bn", "above 10 bn", "above 5 bn" and
    "above 2 bn" yuan; the four counts add up to the plan's total, so the tiers are
    exclusive bands: a cluster is in the highest tier whose lower bound it reaches.

    Parameters
    ----------
    frame : DataFrame
        One row per cluster (optionally per region and year) with its output.
    value : str, default "output"
        Column of output.
    cluster, region, year : str
        Identifying columns (region and year optional).
    bounds : sequence of float, default (1e11, 1e10, 5e9, 2e9)
        Lower bounds of the tiers in yuan, any order (sorted descending).
    labels : sequence of str, optional
        Tier names; default ``above_100_bn``, ``above_10_bn``, ``above_5_bn``,
        ``above_2_bn`` from the bounds.
    unit_factor : float, default 1.0
        Multiplier from the column's unit to yuan (1e8 for 亿元, 1e4 for 万元).

    Returns
    -------
    OutputTiersResult
        ``to_frame()`` with ``tier`` (label or ``below``; NA where output is
        missing) and a boolean column per tier; ``counts`` per tier (including
        ``below``).

    Raises
    ------
    SchemaError
        Absent or non-numeric columns, negative output, bad bounds or labels.

    Notes
    -----
    With bounds :math:`b_1 > b_2 > \dots > b_k` and output :math:`Y_c` in yuan,

    .. math:: \text{tier}(c) = \min\{j : Y_c \ge b_j\},

    and ``below`` when :math:`Y_c < b_k`. Thresholds as printed in the plan summarised
    in the project's domain figures (Jilin province, plan for end-2017; see
    ``agglomera/data/reference/domain_figures.yaml``, key ``jilin_plan_2017``).

    References
    ----------
    .. [1] Jilin provincial plan for industrial clusters in development zones (targets
       for end-2017) as summarised in agglomera's ``domain_figures.yaml``
       (``jilin_plan_2017``), transcribed from the public policy papers the project
       started from.

    Examples
    --------
    >>> t = pd.DataFrame({"cluster": ["a", "b", "c"], "output": [150e9, 6e9, 1e9]})
    >>> output_tiers(t).to_frame()["tier"].tolist()
    ['above_100_bn', 'above_5_bn', 'below']
    """
    b = sorted((float(x) for x in bounds), reverse=True)
    if not b or any(not np.isfinite(x) or x <= 0 for x in b) or len(set(b)) != len(b):
        raise SchemaError(f"`bounds` must be distinct positive numbers; got {list(bounds)}")
    labs = tuple(labels) if labels is not None else tuple(_tier_label(x) for x in b)
    if len(labs) != len(b) or len(set(labs)) != len(labs) or "below" in labs:
        raise SchemaError(
            f"`labels` must name each of the {len(b)} tiers once (not 'below'); "
            f"got {list(labs)}")
    if not (np.isfinite(unit_factor) and unit_factor > 0):
        raise SchemaError(f"`unit_factor` must be positive; got {unit_factor!r}")
    region_col = region
    if region is None:
        frame = frame.assign(_region="")
        region_col = "_region"
    c = prepare(frame, region=region_col, cluster=cluster, employment=None, year=year,
                value=value, func="output_tiers")
    y = c["value"].to_numpy(dtype=float) * unit_factor
    code = np.full(len(y), len(b))
    for j in range(len(b) - 1, -1, -1):
        code = np.where(y >= b[j], j, code)
    names = list(labs) + ["below"]
    tier = pd.Series(pd.Categorical.from_codes(np.where(np.isnan(y), -1, code),
                                               categories=names))
    keys = (["region"] if region is not None else []) + ["cluster"] + (
        ["year"] if year is not None else [])
    out = c[keys].rename(columns={"region": region, "cluster": cluster, "year": year})
    out[value] = c["value"]
    out["tier"] = tier
    for j, lab in enumerate(labs):
        col = pd.array(code == j, dtype="boolean")
        col[np.isnan(y)] = pd.NA
        out[lab] = col
    counts = tier.value_counts(sort=False).reindex(names).astype(int)
    return OutputTiersResult(tiers=out, counts=counts, bounds=tuple(b), labels=labs)
