r"""Apply programme rule sets to enterprise records, all firms at once.

Firm-year rows are turned once into per-firm matrices (firms x fiscal years, latest year
first); every criterion is then a handful of numpy operations over all firms.

Each firm x criterion gets a status (pass / fail / unknown / n/a), the actual value, the
threshold and the gap in natural units. Missing data gives *unknown*, never *fail*.
Logic is three-valued: ``all_of`` fails if any part fails, else is unknown if any part
is unknown; ``any_of`` passes if any part passes, else is unknown if any part is unknown.
A criterion whose condition (e.g. a revenue band) does not hold is *n/a* and is neutral.

Intervals: a computed score whose items lack data lies between a lower bound (missing
items score 0) and an upper bound (missing items score full marks); without an
application date, years since registration lie between 1 January and 31 December of the
application year. A criterion passes only if it passes at both ends, fails only if it
fails at both ends, and is unknown otherwise.

The distance to eligibility ranks candidates: the sum, over failed criteria, of the
relative shortfall :math:`\min(1, |t - v| / \max(|t|, 1))` (1 for a failed yes/no or
list criterion); an ``any_of`` group counts its nearest alternative. Eligible firms have
distance 0.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.screening.expr import Expr
from agglomera.screening.fields import DESCRIPTIVE, FIELDS
from agglomera.screening.rules import Condition, Criterion, Programme, RuleSet

FAIL, PASS, UNKNOWN, NA = 0, 1, 2, 3
LABELS = np.array(["fail", "pass", "unknown", "n/a"], dtype=object)
ELIGIBLE_LABELS = np.array(["false", "true", "unknown", "unknown"], dtype=object)
_EPOCH = dt.date(1970, 1, 1)


def _days(d: dt.date) -> float:
    return float((d - _EPOCH).days)


@dataclass
class FirmData:
    """Per-firm matrices of every field (fiscal years x firms, latest year first)."""

    firm_ids: np.ndarray
    application_year: int
    matrices: dict[str, np.ndarray]
    categories: dict[str, np.ndarray]
    descriptive: pd.DataFrame
    window: int

    @property
    def n(self) -> int:
        return len(self.firm_ids)

    def lookup(self, name: str) -> np.ndarray:
        m = self.matrices.get(name)
        if m is None:  # a field the input does not have: all unknown
            m = np.full((1, self.n), np.nan)
            self.matrices[name] = m
        return m

    def slice(self, start: int, stop: int) -> FirmData:
        """The firms start:stop (views, no copy)."""
        return FirmData(self.firm_ids[start:stop], self.application_year,
                        {k: v[:, start:stop] for k, v in self.matrices.items()},
                        {k: v[start:stop] for k, v in self.categories.items()},
                        self.descriptive.iloc[start:stop], self.window)

    @classmethod
    def from_records(cls, records: pd.DataFrame, *, application_year: int,
                     window: int = 3) -> FirmData:
        """Build from :func:`~agglomera.screening.records.normalise_records` output.

        Rows of fiscal years before ``application_year - window`` or from the application
        year on are ignored: criteria look at the fiscal years before the application.
        """
        years = records["fiscal_year"].to_numpy()
        k = (application_year - 1) - years
        codes, firms = pd.factorize(records["firm_id"], sort=True)
        n = len(firms)
        keep = (k >= 0) & (k < window)
        rows_k, rows_c = k[keep], codes[keep]
        flat = rows_k * n + rows_c
        latest = rows_k == 0
        mats: dict[str, np.ndarray] = {}
        cats: dict[str, pd.Categorical] = {}
        for name in records.columns:
            f = FIELDS.get(name)
            if f is None:
                continue
            if f.kind == "category":
                col = pd.Categorical(records[name])
                c = np.full(n, -1, dtype=np.int64)
                c[rows_c[latest]] = col.codes[keep][latest]
                cats[name] = pd.Categorical.from_codes(c, categories=col.categories)
                continue
            m = np.full((window, n), np.nan)
            m.ravel()[flat] = records[name].to_numpy(dtype=float)[keep]
            if f.kind == "date":  # a fact of the firm: take it from any year given
                for j in range(1, window):
                    m[0] = np.where(np.isnan(m[0]), m[j], m[0])
            mats[name] = m
        desc_cols = [c for c in DESCRIPTIVE if c in records.columns]
        if desc_cols:
            ordered = records.assign(_c=codes).sort_values("fiscal_year")
            desc = ordered.groupby("_c")[desc_cols].last()
            desc = desc.reindex(range(n))
            desc.index = firms
        else:
            desc = pd.DataFrame(index=firms)
        return cls(np.asarray(firms, dtype=object), application_year, mats, cats, desc,
                   window)


@dataclass
class ProgrammeResult:
    """Screening of every firm against one programme."""

    programme: Programme
    firm_ids: np.ndarray
    eligible: np.ndarray
    distance: np.ndarray
    status: dict[str, np.ndarray]
    value: dict[str, np.ndarray]
    value_hi: dict[str, np.ndarray]
    gap: dict[str, np.ndarray]
    threshold: dict[str, object]
    score_min: np.ndarray | None
    score_max: np.ndarray | None
    descriptive: pd.DataFrame
    n_failed: np.ndarray = field(default=None)
    n_unknown: np.ndarray = field(default=None)
    data: FirmData | None = field(default=None, repr=False)

    def criterion_ids(self) -> list[str]:
        return [c.id for c in self.programme.leaves()]

    def to_frame(self) -> pd.DataFrame:
        """One row per firm: eligible (true/false/unknown), ranking, score, criteria."""
        cols: dict[str, object] = {"firm_id": self.firm_ids}
        for c in self.descriptive.columns:
            cols[c] = self.descriptive[c].to_numpy()
        cols["programme"] = self.programme.id
        cols["eligible"] = ELIGIBLE_LABELS[self.eligible]
        cols["distance"] = np.round(self.distance, 6)
        order = np.lexsort((self.firm_ids.astype(str), self.distance,
                            _eligible_rank(self.eligible)))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        cols["rank"] = rank
        cols["n_failed"] = self.n_failed
        cols["n_unknown"] = self.n_unknown
        if self.score_min is not None:
            cols["score_min"] = self.score_min
            cols["score_max"] = self.score_max
        for cid in self.criterion_ids():
            cols[cid] = LABELS[self.status[cid]]
        return pd.DataFrame(cols)


def _eligible_rank(e: np.ndarray) -> np.ndarray:
    # eligible first, then unknown, then not eligible (ordered by distance)
    return np.select([e == PASS, e == FAIL], [0, 2], 1)


def _compare(op: str, lo: np.ndarray, hi: np.ndarray, t: float) -> np.ndarray:
    tol = 1e-9 * max(1.0, abs(t))
    if op == ">=":
        ok, bad = lo >= t - tol, hi < t - tol
    elif op == ">":
        ok, bad = lo > t + tol, hi <= t + tol
    elif op == "<=":
        ok, bad = hi <= t + tol, lo > t + tol
    elif op == "<":
        ok, bad = hi < t - tol, lo >= t - tol
    else:  # "==" on numbers / booleans
        ok = (lo == t) & (hi == t)
        bad = ~np.isnan(lo) & ~np.isnan(hi) & (lo != t) & (hi != t)
    out = np.full(lo.shape, UNKNOWN, dtype=np.int8)
    out[ok] = PASS
    out[bad] = FAIL
    return out


def combine(op: str, statuses: list[np.ndarray]) -> np.ndarray:
    """Three-valued all_of / any_of; n/a parts are neutral."""
    s = np.stack(statuses)
    any_fail, any_pass = (s == FAIL).any(0), (s == PASS).any(0)
    any_unk, all_na = (s == UNKNOWN).any(0), (s == NA).all(0)
    if op == "all_of":
        return np.select([any_fail, any_unk, all_na], [FAIL, UNKNOWN, NA], PASS).astype(np.int8)
    return np.select([any_pass, any_unk, all_na], [PASS, UNKNOWN, NA], FAIL).astype(np.int8)


def _threshold(c: Criterion | Condition, value: float) -> float:
    return value * 10_000.0 if c.unit == "CNY_10k" else float(value)


class _Evaluator:
    def __init__(self, data: FirmData, application_date: dt.date | None):
        self.data = data
        y = data.application_year
        if application_date is not None:
            self.ref = (_days(application_date),) * 2
        else:
            self.ref = (_days(dt.date(y, 1, 1)), _days(dt.date(y, 12, 31)))
        self.scalars: tuple[dict, dict] = ({}, {})
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def metric(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        if text in self.cache:
            return self.cache[text]
        e = Expr(text)
        lo = e.evaluate(self.data.lookup, reference_day=self.ref[0], scalars=self.scalars[0])
        interval = e.uses_date and self.ref[0] != self.ref[1] or (
            e.names & set(self.scalars[0]))
        hi = e.evaluate(self.data.lookup, reference_day=self.ref[1],
                        scalars=self.scalars[1]) if interval else lo
        self.cache[text] = (lo, hi)
        return lo, hi

    def truth(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self.metric(text)

    def scores(self, programme: Programme) -> tuple[np.ndarray, np.ndarray] | None:
        sc = programme.scoring
        if sc is None:
            return None
        n = self.data.n
        groups: dict[str, list[np.ndarray]] = {}
        total_lo, total_hi = np.zeros(n), np.zeros(n)
        for item in sc.items:
            lo, hi = self._item(item, n)
            total_lo += lo
            total_hi += hi
            g = groups.setdefault(item.group, [np.zeros(n), np.zeros(n)])
            g[0] += lo
            g[1] += hi
        self.scalars[0][f"score_{sc.id}"] = total_lo
        self.scalars[1][f"score_{sc.id}"] = total_hi
        for g, (lo, hi) in groups.items():
            if g != "total":
                self.scalars[0][f"score_{sc.id}_{g}"] = lo
                self.scalars[1][f"score_{sc.id}_{g}"] = hi
        self.cache = {k: v for k, v in self.cache.items()
                      if not (Expr(k).names & set(self.scalars[0]))}
        return total_lo, total_hi

    def _item(self, item, n):
        mx = item.max_points
        if item.points is not None:
            v, _ = self.metric(item.points)
            v = np.clip(v, 0, mx)
            return np.where(np.isnan(v), 0.0, v), np.where(np.isnan(v), mx, v)
        lo = np.zeros(n)
        hi = np.full(n, np.nan)
        open_ = np.ones(n, dtype=bool)
        for band in item.bands:
            pts = min(band.points, mx)
            if band.when is None:
                t = np.ones(n)
            else:
                t, _ = self.truth(band.when)
            yes = open_ & (t == 1)
            touched = open_ & ((t == 1) | np.isnan(t))
            hi = np.where(touched, np.fmax(hi, pts), hi)
            lo = np.where(yes, pts, lo)
            open_ &= ~yes
        # firms with no band decided: the lowest points of any band
        low = min(min(b.points for b in item.bands), mx)
        lo = np.where(open_, low, lo)
        hi = np.where(np.isnan(hi), low, hi)
        return lo, hi


CHUNK = 131_072


def screen(data: FirmData, programme: Programme, *,
           application_date: dt.date | None = None, chunk: int = CHUNK,
           workers: int | None = None) -> ProgrammeResult:
    """Screen all firms in ``data`` against ``programme``.

    Firms are processed in chunks of ``chunk`` (arrays stay in cache) on ``workers``
    threads (default: the CPU count, at most 8; numpy releases the GIL).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    for name in list(data.matrices):
        data.lookup(name)
    for c in programme.leaves():  # create missing fields once, before threads start
        for text in (c.metric, c.condition.metric if c.condition else None):
            if text:
                for name in Expr(text).names:
                    if name in FIELDS and FIELDS[name].kind != "category":
                        data.lookup(name)
    if programme.scoring:
        for item in programme.scoring.items:
            for text in [item.points, *[b.when for b in item.bands]]:
                if text:
                    for name in Expr(text).names:
                        data.lookup(name)
    n = data.n
    bounds = [(i, min(i + chunk, n)) for i in range(0, n, chunk)] or [(0, 0)]
    if len(bounds) == 1:
        return _screen_chunk(data, programme, application_date)
    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda b: _screen_chunk(data.slice(*b), programme,
                                                      application_date), bounds))
    return _concat(parts, data)


def _concat(parts: list[ProgrammeResult], data: FirmData) -> ProgrammeResult:
    first = parts[0]

    def cat(attr):
        keys = set().union(*(getattr(p, attr) for p in parts))
        fallback = "value" if attr == "value_hi" else attr
        return {k: np.concatenate([getattr(p, attr).get(k, getattr(p, fallback).get(k))
                                   for p in parts]) for k in keys}

    def arr(attr):
        if getattr(first, attr) is None:
            return None
        return np.concatenate([getattr(p, attr) for p in parts])

    return ProgrammeResult(
        first.programme, data.firm_ids, arr("eligible"), arr("distance"), cat("status"),
        cat("value"), cat("value_hi"), cat("gap"), first.threshold, arr("score_min"),
        arr("score_max"), data.descriptive, n_failed=arr("n_failed"),
        n_unknown=arr("n_unknown"), data=data)


def _screen_chunk(data: FirmData, programme: Programme,
                  application_date: dt.date | None) -> ProgrammeResult:
    ev = _Evaluator(data, application_date)
    score = ev.scores(programme)
    status: dict[str, np.ndarray] = {}
    value: dict[str, np.ndarray] = {}
    value_hi: dict[str, np.ndarray] = {}
    gaps: dict[str, np.ndarray] = {}
    thresholds: dict[str, object] = {}
    distance: dict[str, np.ndarray] = {}

    def run(c: Criterion, inherited: np.ndarray | None = None) -> None:
        cond = inherited
        if c.condition is not None:
            own = _condition(ev, c.condition)
            cond = own if cond is None else combine("all_of", [cond, own])
        if c.op in ("any_of", "all_of"):
            for sub in c.criteria:
                run(sub, cond)
            st = combine(c.op, [status[s.id] for s in c.criteria])
            ds = np.stack([np.where(status[s.id] == NA, np.inf if c.op == "any_of" else 0.0,
                                    distance[s.id]) for s in c.criteria])
            d = ds.sum(0) if c.op == "all_of" else ds.min(0)
            d = np.where(np.isfinite(d), d, 0.0)
        else:
            st, d = _leaf(ev, c, value, value_hi, gaps, thresholds)
        if cond is not None:
            st = np.where(cond == FAIL, NA, np.where(cond == UNKNOWN, UNKNOWN, st)).astype(np.int8)
        d = np.where(st == FAIL, d, 0.0)
        status[c.id] = st
        distance[c.id] = d

    for c in programme.criteria:
        run(c)
    tops = [status[c.id] for c in programme.criteria]
    eligible = combine(programme.combination, tops)
    eligible = np.where(eligible == NA, UNKNOWN, eligible).astype(np.int8)
    dtop = np.stack([distance[c.id] for c in programme.criteria])
    if programme.combination == "all_of":
        dist = dtop.sum(0)
    else:
        dist = np.where(np.stack(tops) == FAIL, dtop, np.inf).min(0)
        dist = np.where(np.isfinite(dist), dist, 0.0)
    dist = np.where(eligible == FAIL, dist, 0.0)
    top = np.stack(tops)
    res = ProgrammeResult(
        programme, data.firm_ids, eligible, dist, status, value, value_hi, gaps, thresholds,
        score[0] if score else None, score[1] if score else None, data.descriptive,
        n_failed=(top == FAIL).sum(0), n_unknown=(top == UNKNOWN).sum(0), data=data)
    return res


def _condition(ev: _Evaluator, cond: Condition) -> np.ndarray:
    lo, hi = ev.metric(cond.metric)
    if cond.op == "range":
        a = _compare(">=" if cond.lower_inclusive else ">", lo, hi, _threshold(cond, cond.lower))
        b = _compare("<=" if cond.upper_inclusive else "<", lo, hi, _threshold(cond, cond.upper))
        return combine("all_of", [a, b])
    return _compare(cond.op, lo, hi, _threshold(cond, cond.value))


def _leaf(ev, c: Criterion, value, value_hi, gaps, thresholds):
    n = ev.data.n
    if c.op == "in":
        names = Expr(c.metric).names
        name = next(iter(names))
        cats = ev.data.categories.get(name)
        if cats is None:
            cats = pd.Categorical.from_codes(np.full(n, -1), categories=[])
        known = cats.codes >= 0
        lut = np.append(np.isin(np.asarray(cats.categories, dtype=object),
                                list(c.threshold)), False)
        member = lut[cats.codes]
        st = np.where(known, np.where(member, PASS, FAIL), UNKNOWN).astype(np.int8)
        thresholds[c.id] = list(c.threshold)
        return st, np.where(st == FAIL, 1.0, 0.0)
    lo, hi = ev.metric(c.metric)
    if c.op == "exists":
        st = _compare("==", lo, hi, 1.0)
        thresholds[c.id] = True
        value[c.id] = lo
        return st, np.where(st == FAIL, 1.0, 0.0)
    if c.op == "==" and isinstance(c.threshold, bool):
        t = 1.0 if c.threshold else 0.0
        st = _compare("==", lo, hi, t)
        thresholds[c.id] = c.threshold
        value[c.id] = lo
        return st, np.where(st == FAIL, 1.0, 0.0)
    scale = 100.0 if c.unit == "percent" else 1.0
    t = _threshold(c, c.threshold)
    vlo = lo * scale if scale != 1.0 else lo
    vhi = vlo if hi is lo else (hi * scale if scale != 1.0 else hi)
    st = _compare(c.op, vlo, vhi, t)
    value[c.id], thresholds[c.id] = vlo, t
    if vhi is not vlo:
        value_hi[c.id] = vhi
    with np.errstate(invalid="ignore"):
        short = np.where(c.op in (">=", ">"), t - vhi, vlo - t)
        rel = np.minimum(1.0, np.abs(short) / max(abs(t), 1.0))
    rel = np.where(np.isfinite(rel), rel, 1.0)
    gaps[c.id] = np.where(st == FAIL, _gap(ev, c, t, vlo, vhi), np.nan)
    return st, rel


def _gap(ev, c: Criterion, t: float, vlo, vhi) -> np.ndarray:
    """Change needed in natural units: of the numerator for a ratio, else of the value."""
    tree = ast.parse(c.metric, mode="eval").body
    rising = c.op in (">=", ">")
    ratio = t / 100.0 if c.unit == "percent" else t
    text = None
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div):
        num, den = ast.unparse(tree.left), ast.unparse(tree.right)
        if not (isinstance(tree.right, ast.Constant)):
            text = (f"{ratio!r} * ({den}) - ({num})" if rising
                    else f"({num}) - {ratio!r} * ({den})")
    elif (isinstance(tree, ast.Call) and tree.func.id in ("min_last", "max_last")
          and isinstance(tree.args[0], ast.BinOp) and isinstance(tree.args[0].op, ast.Div)):
        num, den = ast.unparse(tree.args[0].left), ast.unparse(tree.args[0].right)
        w = tree.args[1].value
        inner = (f"{ratio!r} * ({den}) - ({num})" if rising
                 else f"({num}) - {ratio!r} * ({den})")
        text = f"max_last({inner}, {w})"
    if text is not None:
        g, _ = ev.metric(text)
        return np.maximum(g, 0.0)
    with np.errstate(invalid="ignore"):
        g = (t - vhi) if rising else (vlo - t)
    return np.where(np.isfinite(g), np.maximum(g, 0.0), np.nan)


def screen_all(records: pd.DataFrame, rules: RuleSet, programme_ids: list[str], *,
               application_year: int, application_date: dt.date | None = None
               ) -> list[ProgrammeResult]:
    """Screen normalised records against several programmes (matrices built once)."""
    progs = [rules.get(p) for p in programme_ids]
    if not len(records):
        raise SchemaError("no enterprise records to screen")
    window = 3
    for p in progs:
        for c in p.leaves():
            for text in (c.metric, c.condition.metric if c.condition else None):
                if text:
                    window = max(window, Expr(text).window)
        if p.scoring:
            for item in p.scoring.items:
                for text in [item.points, *[b.when for b in item.bands]]:
                    if text:
                        window = max(window, Expr(text).window)
    data = FirmData.from_records(records, application_year=application_year, window=window)
    return [screen(data, p, application_date=application_date) for p in progs]
