r"""Plan targets: load a targets file, check it, compare actual values, project attainment.

A targets file (YAML) lists a plan's quantitative targets: counts of clusters (in total,
by output tier, by category), levels of an indicator (output in yuan), shares (percent),
each with a deadline year. :func:`check_targets` compares actual values with them,
measures progress, extrapolates to the deadline (linear or compound) and warns early,
and reports where the plan itself does not add up.

The bundled example ``jilin-2017`` (``agglomera/data/targets/jilin_2017.yaml``) is Jilin's
plan for clusters in development zones at the end of 2017, whose 13 categories add to 160
clusters while its output tiers add to the stated total of 162.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError

__all__ = [
    "KINDS",
    "Plan",
    "PlanProblem",
    "TargetCheck",
    "actuals_from_clusters",
    "actuals_from_store",
    "bundled_plans",
    "check_targets",
    "load_targets",
    "save_check",
    "save_plan",
]

KINDS = ("count", "level", "share")
DIRECTIONS = ("at_least", "at_most")
METHODS = ("linear", "compound")
PLAN_COLUMNS = ["plan", "target_id", "kind", "category", "tier", "metric", "target_value",
                "unit", "deadline_year", "source", "direction", "baseline_year",
                "baseline_value", "name_zh", "category_zh"]
_ENTRY_KEYS = {"id", "kind", "metric", "category", "tier", "target", "unit", "deadline",
               "source", "direction", "baseline", "baseline_year", "name_zh",
               "category_zh", "name_en"}


@dataclass(frozen=True)
class PlanProblem:
    """One inconsistency of a plan: ``kind``, the targets involved, expected and got."""

    kind: str
    message: str
    targets: tuple[str, ...] = ()
    expected: float | None = None
    got: float | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Plan:
    """A plan's targets: one row per target in ``targets`` (see :data:`PLAN_COLUMNS`)."""

    name: str
    targets: pd.DataFrame
    title_en: str = ""
    title_zh: str = ""
    source: str = ""
    region: str | None = None
    path: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The targets table (a copy), columns as in the ``plan_targets`` table."""
        return self.targets.copy()

    def consistency(self) -> list[PlanProblem]:
        """Where the plan does not add up (see :func:`check_targets`, Notes)."""
        return _consistency(self)


def bundled_plans() -> dict[str, Path]:
    """Bundled example plans by name (``jilin-2017``)."""
    base = resources.files("agglomera.data.targets")
    out = {}
    for entry in base.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name[:-5].replace("_", "-")] = Path(str(entry))
    return out


def _num(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace(",", ""))
        except ValueError:
            raise SchemaError(f"{where} must be a number; got {value!r}") from None
    if not math.isfinite(float(value)):
        raise SchemaError(f"{where} must be finite; got {value!r}")
    return float(value)


def load_targets(path: str | Path) -> Plan:
    r"""Read a plan's targets from a YAML file (or a bundled plan by name).

    Parameters
    ----------
    path : str or Path
        A YAML file, or the name of a bundled plan (``"jilin-2017"``).

    Returns
    -------
    Plan
        Name, titles, source and the targets table.

    Raises
    ------
    SchemaError
        File not found, not YAML, missing keys, unknown kinds, duplicate ids,
        non-numeric targets, deadlines that are not years.

    Notes
    -----
    File layout (keys other than ``targets`` optional)::

        plan: my-plan
        title_en: ...        title_zh: ...        source: where the figures come from
        deadline_year: 2020  # default deadline of every target
        targets:
          - {id: clusters_total, kind: count, metric: clusters, target: 162}
          - {id: tier_a, kind: count, metric: clusters, tier: above_100_bn, target: 8}
          - {id: cat_x, kind: count, metric: clusters, category: auto parts, target: 16}
          - {id: output, kind: level, metric: output, target: 1.7e12, unit: yuan,
             baseline: 1.2e12, baseline_year: 2015, direction: at_least}
          - {id: share, kind: share, metric: output_share, target: 35.4, unit: percent}

    ``kind`` is ``count`` (clusters), ``level`` (an indicator in its unit) or ``share``
    (percent); ``direction`` ``at_least`` (default) or ``at_most`` (e.g. energy use).

    References
    ----------
    .. [1] See :func:`check_targets`.

    Examples
    --------
    >>> plan = load_targets("jilin-2017")
    >>> plan.name, len(plan.targets)
    ('jilin-2017', 20)
    """
    import yaml

    plans = bundled_plans()
    p = Path(path)
    if str(path) in plans and not p.exists():
        p = plans[str(path)]
    if not p.exists():
        raise SchemaError(
            f"targets file {str(path)!r} not found; give a YAML file or one of the "
            f"bundled plans: {', '.join(sorted(plans))}"
        )
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{p}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("targets"), list):
        raise SchemaError(f"{p}: expected a mapping with a list under 'targets'")
    name = str(doc.get("plan") or p.stem)
    default_deadline = doc.get("deadline_year")
    rows, seen = [], set()
    for i, entry in enumerate(doc["targets"], start=1):
        where = f"{p.name}: target {i}"
        if not isinstance(entry, dict):
            raise SchemaError(f"{where}: expected a mapping, got {entry!r}")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise SchemaError(f"{where}: unknown keys {unknown}; allowed: "
                              f"{sorted(_ENTRY_KEYS)}")
        for key in ("id", "kind", "target"):
            if key not in entry:
                raise SchemaError(f"{where}: missing {key!r}")
        tid = str(entry["id"])
        where = f"{p.name}: target {tid!r}"
        if tid in seen:
            raise SchemaError(f"{p.name}: target id {tid!r} appears twice")
        seen.add(tid)
        kind = str(entry["kind"])
        if kind not in KINDS:
            raise SchemaError(f"{where}: kind must be one of {', '.join(KINDS)}; "
                              f"got {kind!r}")
        direction = str(entry.get("direction", "at_least"))
        if direction not in DIRECTIONS:
            raise SchemaError(f"{where}: direction must be one of "
                              f"{', '.join(DIRECTIONS)}; got {direction!r}")
        deadline = entry.get("deadline", default_deadline)
        if deadline is None:
            raise SchemaError(f"{where}: no deadline (give 'deadline' or the file's "
                              "'deadline_year')")
        deadline_f = _num(deadline, f"{where}: deadline")
        if deadline_f != int(deadline_f) or not 1900 <= deadline_f <= 2200:
            raise SchemaError(f"{where}: deadline must be a year; got {deadline!r}")
        baseline = entry.get("baseline")
        rows.append({
            "plan": name, "target_id": tid, "kind": kind,
            "category": entry.get("category"), "tier": entry.get("tier"),
            "metric": str(entry.get("metric", tid)),
            "target_value": _num(entry["target"], f"{where}: target"),
            "unit": entry.get("unit", {"count": "count", "share": "percent"}.get(kind)),
            "deadline_year": int(deadline_f),
            "source": str(entry.get("source", doc.get("source", ""))).strip(),
            "direction": direction,
            "baseline_year": (int(_num(entry["baseline_year"], f"{where}: baseline_year"))
                              if entry.get("baseline_year") is not None else None),
            "baseline_value": (_num(baseline, f"{where}: baseline")
                               if baseline is not None else None),
            "name_zh": entry.get("name_zh"), "category_zh": entry.get("category_zh"),
        })
    if not rows:
        raise SchemaError(f"{p}: the plan has no targets")
    targets = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    targets["deadline_year"] = targets["deadline_year"].astype("int64")
    targets["baseline_year"] = targets["baseline_year"].astype("Int64")
    targets["baseline_value"] = targets["baseline_value"].astype(float)
    return Plan(name=name, targets=targets, title_en=str(doc.get("title_en", "")),
                title_zh=str(doc.get("title_zh", "")),
                source=str(doc.get("source", "")).strip(),
                region=(str(doc["region"]) if doc.get("region") is not None else None),
                path=str(p))


def _consistency(plan: Plan) -> list[PlanProblem]:
    t = plan.targets
    problems: list[PlanProblem] = []
    counts = t[t["kind"] == "count"]
    for (metric, deadline), grp in counts.groupby(["metric", "deadline_year"], sort=True):
        totals = grp[grp["category"].isna() & grp["tier"].isna()]
        if len(totals) > 1:
            problems.append(PlanProblem(
                "several_totals", f"{len(totals)} total count targets for {metric!r} in "
                f"{deadline}: {', '.join(totals['target_id'])}",
                tuple(totals["target_id"])))
        total = totals.iloc[0] if len(totals) else None
        sums = {}
        for dim in ("tier", "category"):
            parts = grp[grp[dim].notna()]
            if parts.empty:
                continue
            s = float(parts["target_value"].sum())
            sums[dim] = s
            if total is not None and not math.isclose(s, total["target_value"]):
                word = "output tiers" if dim == "tier" else "categories"
                problems.append(PlanProblem(
                    f"{dim}_sum", f"the {len(parts)} {word} of {metric!r} (deadline "
                    f"{deadline}) add to {s:g}, but the total target "
                    f"{total['target_id']!r} is {total['target_value']:g}",
                    tuple(parts["target_id"]) + (total["target_id"],),
                    expected=float(total["target_value"]), got=s))
        if total is None and len(sums) == 2 and not math.isclose(sums["tier"],
                                                                 sums["category"]):
            problems.append(PlanProblem(
                "breakdowns_differ", f"tiers add to {sums['tier']:g} but categories to "
                f"{sums['category']:g} for {metric!r} (deadline {deadline})",
                tuple(grp["target_id"]), expected=sums["tier"], got=sums["category"]))
        frac = grp[grp["target_value"] != grp["target_value"].round()]
        for _, row in frac.iterrows():
            problems.append(PlanProblem(
                "fractional_count", f"count target {row['target_id']!r} is not a whole "
                f"number: {row['target_value']:g}", (row["target_id"],)))
    for _, row in t[t["kind"] == "share"].iterrows():
        if not 0 <= row["target_value"] <= 100:
            problems.append(PlanProblem(
                "share_out_of_range", f"share target {row['target_id']!r} is "
                f"{row['target_value']:g}%, outside 0-100", (row["target_id"],)))
    for _, row in t.iterrows():
        if pd.notna(row["baseline_year"]) and row["baseline_year"] >= row["deadline_year"]:
            problems.append(PlanProblem(
                "baseline_after_deadline", f"target {row['target_id']!r}: baseline year "
                f"{row['baseline_year']} is not before the deadline "
                f"{row['deadline_year']}", (row["target_id"],)))
    return problems


@dataclass(frozen=True)
class TargetCheck:
    """Actual against target for every target of a plan.

    ``table`` has one row per target: the plan columns, ``actual`` (latest),
    ``actual_year``, ``progress`` (share of the way from baseline to target, 1 = met),
    ``projected`` (value extrapolated to the deadline), ``method``, ``observations``
    and ``status`` (``met``, ``on_track``, ``at_risk``, ``missed``, ``no_data``,
    ``unknown``). ``consistency`` lists the plan's own problems, ``warnings`` the
    early warnings and data problems, as sentences.
    """

    plan: Plan
    table: pd.DataFrame
    consistency: list[PlanProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    method: str = "linear"

    def to_frame(self) -> pd.DataFrame:
        """The check table (a copy)."""
        return self.table.copy()


def _actual_frame(actual: object, plan: Plan) -> pd.DataFrame:
    if actual is None:
        return pd.DataFrame({"target_id": [], "year": [], "value": []})
    if isinstance(actual, dict):
        rows = []
        for tid, val in actual.items():
            if isinstance(val, dict):
                rows += [{"target_id": tid, "year": y, "value": v} for y, v in val.items()]
            else:
                raise SchemaError(
                    f"actual[{tid!r}] must map years to values, e.g. {{2016: 150}}; "
                    f"got {val!r}")
        actual = pd.DataFrame(rows, columns=["target_id", "year", "value"])
    if not isinstance(actual, pd.DataFrame):
        raise SchemaError("`actual` must be a DataFrame with columns target_id, year, value"
                          f" or a mapping target_id -> {{year: value}}; got "
                          f"{type(actual).__name__}")
    need = ["target_id", "year", "value"]
    absent = [c for c in need if c not in actual.columns]
    if absent:
        raise SchemaError(f"actual values need columns {need}; missing {absent}; "
                          f"got {list(map(str, actual.columns))}")
    out = actual[need].copy()
    out["target_id"] = out["target_id"].astype(str)
    years = pd.to_numeric(out["year"], errors="coerce")
    if years.isna().any():
        raise SchemaError(f"actual values: {int(years.isna().sum())} rows have no valid "
                          "year")
    out["year"] = years.astype("int64")
    vals = pd.to_numeric(out["value"], errors="coerce")
    bad = vals.isna() & out["value"].notna()
    if bad.any():
        raise SchemaError(f"actual values: {int(bad.sum())} non-numeric values, e.g. "
                          f"{out.loc[bad, 'value'].iloc[0]!r}")
    out["value"] = vals.astype(float)
    dup = out.duplicated(["target_id", "year"])
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise SchemaError(f"actual values: target {first['target_id']!r} has two values "
                          f"for {first['year']}")
    return out.dropna(subset=["value"])


def _project(years: np.ndarray, values: np.ndarray, deadline: int,
             method: str) -> float:
    r"""Least-squares trend extrapolated to ``deadline`` (NaN with < 2 years)."""
    if len(np.unique(years)) < 2:
        return float("nan")
    x = years.astype(float)
    if method == "compound":
        if (values <= 0).any():
            return float("nan")
        slope, intercept = np.polyfit(x, np.log(values), 1)
        return float(np.exp(intercept + slope * deadline))
    slope, intercept = np.polyfit(x, values, 1)
    return float(intercept + slope * deadline)


def check_targets(
    plan: Plan,
    actual: object = None,
    *,
    method: str = "linear",
    as_of: int | None = None,
) -> TargetCheck:
    r"""Compare actual values with a plan's targets, project attainment, check the plan.

    规划目标完成情况：实际值与目标值对比、进度、到期预测与预警、规划自身一致性检查.

    Parameters
    ----------
    plan : Plan
        From :func:`load_targets`.
    actual : DataFrame or dict, optional
        Columns ``target_id``, ``year``, ``value`` (one row per target and year), or a
        mapping ``{target_id: {year: value}}``. Without it only the plan is checked.
    method : {"linear", "compound"}, default "linear"
        Extrapolation to the deadline: least-squares line through the observations,
        or a constant growth rate (least-squares line through their logarithms).
    as_of : int, optional
        The current year: a target whose deadline is before it and is not met is
        ``missed``. Default: the latest year with an actual value.

    Returns
    -------
    TargetCheck
        ``to_frame()`` one row per target; ``consistency`` the plan's problems;
        ``warnings`` early warnings and data problems.

    Raises
    ------
    SchemaError
        Unknown method, malformed actual values.

    Notes
    -----
    For a target :math:`T` with deadline :math:`t_D`, observations
    :math:`(t_j, y_j)` and baseline :math:`y_0` (the plan's ``baseline`` or else the
    earliest observation), with latest observation :math:`y_L` at :math:`t_L`:

    .. math::

        \text{progress} = \frac{y_L - y_0}{T - y_0}
        \quad(\text{or } y_L / T \text{ when } T = y_0 \text{ or only } y_L
        \text{ is known}),

    linear projection :math:`\hat y(t_D) = a + b\,t_D` with :math:`(a, b)` the
    least-squares fit of :math:`y_j` on :math:`t_j`; compound projection
    :math:`\hat y(t_D) = \exp(a + b\,t_D)` with :math:`(a, b)` fitted to
    :math:`\ln y_j` (constant growth rate :math:`e^b - 1`).
    Status (``at_least`` targets; reversed inequalities for ``at_most``):
    ``met`` if :math:`y_L \ge T`; else ``missed`` if :math:`t_L \ge t_D`; else
    ``on_track`` if :math:`\hat y(t_D) \ge T`, ``at_risk`` if not (early warning),
    ``unknown`` with fewer than two years.

    Consistency: for each metric and deadline, the count targets by ``tier`` and by
    ``category`` must each add up to the total count target (the one with neither);
    count targets must be whole numbers; shares must lie in [0, 100]; baselines must
    precede deadlines.

    References
    ----------
    .. [1] OECD (2008). *Handbook on Constructing Composite Indicators: Methodology and
       User Guide*. Paris: OECD Publishing, section on target-based normalisation
       ("distance to a target"). doi:10.1787/9789264043466-en
    .. [2] Jilin plan for industrial clusters in development zones, end-2017 targets, as
       summarised in ``agglomera/data/reference/domain_figures.yaml``.

    Examples
    --------
    >>> check = check_targets(load_targets("jilin-2017"))
    >>> [p.kind for p in check.consistency]
    ['category_sum']
    >>> check.consistency[0].expected, check.consistency[0].got
    (162.0, 160.0)
    """
    if method not in METHODS:
        raise SchemaError(f"`method` must be one of {', '.join(map(repr, METHODS))}; "
                          f"got {method!r}")
    if not isinstance(plan, Plan):
        raise SchemaError(f"`plan` must be a Plan from load_targets(); got "
                          f"{type(plan).__name__}")
    act = _actual_frame(actual, plan)
    warns: list[str] = []
    known = set(plan.targets["target_id"])
    stray = sorted(set(act["target_id"]) - known)
    if stray:
        warns.append(f"actual values for {len(stray)} ids that are not targets of plan "
                     f"{plan.name!r} were ignored: {', '.join(stray[:10])}")
    current = as_of if as_of is not None else (int(act["year"].max()) if len(act)
                                                else None)
    rows = []
    for _, t in plan.targets.iterrows():
        obs = act[act["target_id"] == t["target_id"]].sort_values("year")
        target = float(t["target_value"])
        sign = 1.0 if t["direction"] == "at_least" else -1.0
        row = {**t.to_dict(), "actual": np.nan, "actual_year": pd.NA, "progress": np.nan,
               "projected": np.nan, "method": method, "observations": len(obs),
               "status": "no_data"}
        if len(obs):
            y = obs["value"].to_numpy(dtype=float)
            yrs = obs["year"].to_numpy()
            latest, latest_year = float(y[-1]), int(yrs[-1])
            if pd.notna(t["baseline_value"]):
                base = float(t["baseline_value"])
                if pd.notna(t["baseline_year"]) and int(t["baseline_year"]) not in yrs:
                    yrs = np.append(int(t["baseline_year"]), yrs)
                    y = np.append(base, y)
            else:
                base = float(y[0]) if len(y) > 1 else np.nan
            if np.isfinite(base) and not math.isclose(target, base):
                progress = (latest - base) / (target - base)
            else:
                progress = latest / target if target != 0 else np.nan
            projected = _project(yrs, y, int(t["deadline_year"]), method)
            met = sign * (latest - target) >= 0
            if met:
                status = "met"
            elif latest_year >= t["deadline_year"] or (
                    current is not None and current > t["deadline_year"]):
                status = "missed"
            elif np.isnan(projected):
                status = "unknown"
            else:
                status = "on_track" if sign * (projected - target) >= 0 else "at_risk"
            row.update(actual=latest, actual_year=latest_year, progress=progress,
                       projected=projected, status=status)
            if status == "at_risk":
                warns.append(
                    f"early warning: {t['target_id']!r} is projected at {projected:,.4g} "
                    f"by {t['deadline_year']} ({method}) against a target of "
                    f"{target:,.4g} (latest {latest:,.4g} in {latest_year})")
            elif status == "missed":
                warns.append(f"missed: {t['target_id']!r} is {latest:,.4g} in "
                             f"{latest_year}, target {target:,.4g} by "
                             f"{t['deadline_year']}")
        rows.append(row)
    table = pd.DataFrame(rows)
    table["actual_year"] = table["actual_year"].astype("Int64")
    return TargetCheck(plan=plan, table=table, consistency=_consistency(plan),
                       warnings=warns, method=method)


# ---- actual values from data ---------------------------------------------------------
def actuals_from_clusters(
    clusters: pd.DataFrame,
    plan: Plan,
    /,
    *,
    cluster: str = "cluster",
    category: str | None = "category",
    output: str | None = "output",
    year: str = "year",
    unit_factor: float = 1.0,
) -> pd.DataFrame:
    r"""Actual values of a plan's count (and output level) targets from a list of clusters.

    Parameters
    ----------
    clusters : DataFrame
        One row per cluster and year: its ``category`` (the plan's category names)
        and ``output`` (yuan after ``unit_factor``).
    plan : Plan
        The plan whose count targets are counted.
    cluster, category, output, year : str
        Columns (``category`` / ``output`` may be None when absent).
    unit_factor : float, default 1.0
        Multiplier from the output column's unit to yuan (1e8 for 亿元).

    Returns
    -------
    DataFrame
        ``target_id``, ``year``, ``value``, for the total count, each category count,
        each tier count (tiers as in :func:`agglomera.clusters.output_tiers`, from the
        plan's tier names ``above_<x>_bn``) and ``level`` targets whose metric is
        ``cluster_gross_industrial_output`` (sum of output).

    Raises
    ------
    SchemaError
        Absent columns, tier names that are not ``above_<number>_bn``.

    Notes
    -----
    :math:`n_{k,t} = \#\{c : \text{category}_c = k, \text{year}_c = t\}`; tiers are
    exclusive bands, :math:`\text{tier}(c) = \min\{j : Y_c \ge b_j\}`. A cluster whose
    output is missing is counted in no tier (never as below a bound).

    References
    ----------
    .. [1] See :func:`check_targets`.

    Examples
    --------
    >>> plan = load_targets("jilin-2017")
    >>> cl = pd.DataFrame({"cluster": ["a", "b"], "category": ["auto parts", "textiles"],
    ...                    "output": [120e9, 3e9], "year": [2016, 2016]})
    >>> a = actuals_from_clusters(cl, plan).set_index("target_id")["value"]
    >>> a[["clusters_total", "tier_above_100_bn", "cat_auto_parts"]].tolist()
    [2.0, 1.0, 1.0]
    """
    import re

    from agglomera.clusters.rating import output_tiers

    for col in [cluster, year] + [c for c in (category, output) if c]:
        if col not in clusters.columns:
            raise SchemaError(f"cluster list: no column {col!r}; columns are "
                              f"{list(map(str, clusters.columns))}")
    t = plan.targets
    counts = t[t["kind"] == "count"]
    rows = []
    years = sorted(pd.to_numeric(clusters[year]).astype(int).unique())
    cl = clusters.assign(_year=pd.to_numeric(clusters[year]).astype(int))
    for _, tg in counts[counts["category"].isna() & counts["tier"].isna()].iterrows():
        for y in years:
            rows.append((tg["target_id"], y, float((cl["_year"] == y).sum())))
    if category:
        for _, tg in counts[counts["category"].notna()].iterrows():
            for y in years:
                n = ((cl["_year"] == y) & (cl[category].astype(str) == tg["category"])).sum()
                rows.append((tg["target_id"], y, float(n)))
    tier_targets = counts[counts["tier"].notna()]
    if output and len(tier_targets):
        bounds = {}
        for tier in tier_targets["tier"].unique():
            m = re.fullmatch(r"above_(\d+(?:_\d+)?)_bn", str(tier))
            if not m:
                raise SchemaError(f"tier {tier!r} is not of the form above_<number>_bn; "
                                  "count tiers with agglomera.clusters.output_tiers")
            bounds[tier] = float(m.group(1).replace("_", ".")) * 1e9
        labels = sorted(bounds, key=bounds.get, reverse=True)
        tiers = output_tiers(cl, value=output, cluster=cluster, year="_year",
                             bounds=[bounds[x] for x in labels], labels=labels,
                             unit_factor=unit_factor).to_frame()
        for _, tg in tier_targets.iterrows():
            for y in years:
                sel = (tiers["_year"] == y) & (tiers["tier"] == tg["tier"])
                rows.append((tg["target_id"], y, float(sel.sum())))
    if output:
        lv = t[(t["kind"] == "level") & (t["metric"] == "cluster_gross_industrial_output")]
        for _, tg in lv.iterrows():
            for y in years:
                vals = pd.to_numeric(cl.loc[cl["_year"] == y, output], errors="coerce")
                total = float(vals.sum()) * unit_factor if vals.notna().all() else np.nan
                rows.append((tg["target_id"], y, total))
    return pd.DataFrame(rows, columns=["target_id", "year", "value"])


def actuals_from_store(store, plan: Plan, /, *, region: str | None = None) -> pd.DataFrame:
    """Actual values of ``level`` and ``share`` targets from the database.

    For each such target, the observations of its ``metric`` for the plan's region
    (or ``region``), all-industry totals (``industry_code = '_T'``), every year.
    Count targets are not in observations: give a cluster list
    (:func:`actuals_from_clusters`).
    """
    reg = region or plan.region
    if reg is None:
        raise SchemaError(f"plan {plan.name!r} names no region; pass region=")
    t = plan.targets[plan.targets["kind"].isin(["level", "share"])]
    rows = []
    for _, tg in t.iterrows():
        got = store.con.execute(
            "SELECT year, value FROM observations WHERE metric = ? AND region_code = ? "
            "AND industry_code = '_T' AND value IS NOT NULL ORDER BY year",
            [tg["metric"], reg]).fetchall()
        rows += [(tg["target_id"], int(y), float(v)) for y, v in got]
    return pd.DataFrame(rows, columns=["target_id", "year", "value"])


# ---- database ------------------------------------------------------------------------
def save_plan(store, plan: Plan) -> int:
    """Store a plan's targets in ``plan_targets`` (replacing the plan); returns rows."""
    cols = ["plan", "target_id", "kind", "category", "tier", "metric", "target_value",
            "unit", "deadline_year", "source"]
    t = plan.targets[cols].astype(object).where(plan.targets[cols].notna(), None)
    with store.transaction() as con:
        con.execute("DELETE FROM plan_targets WHERE plan = ?", [plan.name])
        con.register("_pt", t)
        con.execute(f"INSERT INTO plan_targets ({', '.join(cols)}) SELECT "
                    f"{', '.join(cols)} FROM _pt")
        con.unregister("_pt")
    return len(t)


def save_check(store, check: TargetCheck) -> int:
    """Store a check in ``target_checks`` (with its plan); returns the check id."""
    import datetime as dt

    save_plan(store, check.plan)
    t = check.table
    out = pd.DataFrame({"plan": check.plan.name, "target_id": t["target_id"],
                        "actual": t["actual"].astype(float),
                        "actual_year": t["actual_year"].astype("Int64"),
                        "progress": t["progress"].astype(float),
                        "projected": t["projected"].astype(float),
                        "status": t["status"]})
    with store.transaction() as con:
        cid = con.execute("SELECT nextval('target_check_seq')").fetchall()[0][0]
        con.register("_tc", out)
        con.execute("INSERT INTO target_checks SELECT ?, plan, target_id, actual, "
                    "actual_year, progress, projected, status, ? FROM _tc",
                    [cid, dt.datetime.now()])
        con.unregister("_tc")
    return int(cid)
