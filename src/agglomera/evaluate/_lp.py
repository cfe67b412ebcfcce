"""DEA linear programmes solved with HiGHS, one unit at a time, by column generation.

A DEA programme for one unit has m + s (+1) rows and one column per reference unit.
Only the units that span the frontier are ever basic, so each programme is first solved
over a small *active* set of reference columns; the duals then price every other
column (reduced cost c_j - A_j' pi), and columns with a negative reduced cost are added
until none is left. The answer is exactly that of the full programme (LP optimality),
and the active set is shared between units, so after the first few units most
programmes are solved once with a few dozen columns instead of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from agglomera.errors import AgglomeraError

MODELS = ("ccr", "bcc", "sbm")
ORIENTATIONS = ("input", "output", "none")


@dataclass
class Parts:
    """Fixed columns of one unit's programme and how to price reference columns."""

    c: np.ndarray            # costs of the fixed variables
    a_ub: np.ndarray | None  # (rows_ub, nf)
    b_ub: np.ndarray | None
    a_eq: np.ndarray | None  # (rows_eq, nf)
    b_eq: np.ndarray | None
    bounds: list[tuple[float | None, float | None]]
    kind: str                # what to do with the optimum


def build(xo: np.ndarray, yo: np.ndarray, model: str, orientation: str,
          vrs: bool) -> Parts:
    m, s = xo.size, yo.size
    if model in ("ccr", "bcc"):
        if orientation == "input":
            a_ub = np.concatenate([-xo, np.zeros(s)])[:, None]
            b_ub = np.concatenate([np.zeros(m), -yo])
            c = np.array([1.0])
            kind = "theta"
        else:
            a_ub = np.concatenate([np.zeros(m), yo])[:, None]
            b_ub = np.concatenate([xo, np.zeros(s)])
            c = np.array([-1.0])
            kind = "phi"
        a_eq = np.zeros((1, 1)) if vrs else None
        b_eq = np.ones(1) if vrs else None
        return Parts(c, a_ub, b_ub, a_eq, b_eq, [(None, None)], kind)
    # SBM (Tone 2001)
    if orientation == "none":
        nf = 1 + m + s
        c = np.concatenate([[1.0], -1.0 / (m * xo), np.zeros(s)])
        rows = 1 + m + s + (1 if vrs else 0)
        a_eq = np.zeros((rows, nf))
        a_eq[0, 0] = 1.0
        a_eq[0, 1 + m:] = 1.0 / (s * yo)
        a_eq[1:1 + m, 0] = -xo
        a_eq[1:1 + m, 1:1 + m] = np.eye(m)
        a_eq[1 + m:1 + m + s, 0] = -yo
        a_eq[1 + m:1 + m + s, 1 + m:] = -np.eye(s)
        if vrs:
            a_eq[-1, 0] = -1.0
        b_eq = np.zeros(rows)
        b_eq[0] = 1.0
        return Parts(c, None, None, a_eq, b_eq, [(0, None)] * nf, "sbm")
    nf = m + s
    if orientation == "input":
        c = np.concatenate([-1.0 / (m * xo), np.zeros(s)])
        kind = "sbm_in"
    else:
        c = np.concatenate([np.zeros(m), -1.0 / (s * yo)])
        kind = "sbm_out"
    rows = m + s + (1 if vrs else 0)
    a_eq = np.zeros((rows, nf))
    a_eq[:m, :m] = np.eye(m)
    a_eq[m:m + s, m:] = -np.eye(s)
    b_eq = np.concatenate([xo, yo, [1.0] if vrs else []])
    return Parts(c, None, None, a_eq, b_eq, [(0, None)] * nf, kind)


def columns(X: np.ndarray, Y: np.ndarray, model: str, orientation: str,
            vrs: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Coefficients of the reference columns in the ub and eq rows: (rows, n) each."""
    n = X.shape[0]
    if model in ("ccr", "bcc"):
        ub = np.vstack([X.T, -Y.T])
        eq = np.ones((1, n)) if vrs else None
        return ub, eq
    if orientation == "none":
        eq = np.vstack([np.zeros((1, n)), X.T, Y.T] + ([np.ones((1, n))] if vrs else []))
        return None, eq
    eq = np.vstack([X.T, Y.T] + ([np.ones((1, n))] if vrs else []))
    return None, eq


def slack_parts(x_rhs: np.ndarray, y_rhs: np.ndarray, wx: np.ndarray, wy: np.ndarray,
                vrs: bool) -> Parts:
    """Second stage of the radial models: maximise the weighted sum of slacks with the
    radial score fixed (rows X lambda + s- = x_rhs, Y lambda - s+ = y_rhs, [1' lambda = 1]);
    the reference columns are those of ``columns(..., 'sbm', 'input', vrs)``."""
    m, s = x_rhs.size, y_rhs.size
    rows = m + s + (1 if vrs else 0)
    a_eq = np.zeros((rows, m + s))
    a_eq[:m, :m] = np.eye(m)
    a_eq[m:m + s, m:] = -np.eye(s)
    b_eq = np.concatenate([x_rhs, y_rhs, [1.0] if vrs else []])
    c = -np.concatenate([wx, wy])
    return Parts(c, None, None, a_eq, b_eq, [(0, None)] * (m + s), "slack")


def score_of(kind: str, fun: float) -> float:
    if kind == "slack":
        return -fun
    if kind == "theta":
        return fun
    if kind == "phi":
        return 1.0 / -fun if fun < 0 else np.inf
    if kind == "sbm":
        return fun
    if kind == "sbm_in":
        return 1.0 + fun
    return 1.0 / (1.0 - fun)  # sbm_out


class Solver:
    """Solve many units' programmes against one reference set (X, Y)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, *, model: str, orientation: str,
                 vrs: bool, tol: float = 1e-9, add: int = 16):
        self.X, self.Y = X, Y
        self.model, self.orientation, self.vrs = model, orientation, vrs
        self.col_ub, self.col_eq = columns(X, Y, model, orientation, vrs)
        self.n = X.shape[0]
        self.tol, self.add = tol, add
        self.lp_count = 0
        # seed the active set with units that are on the frontier whatever the weights:
        # the best ratio of every output to every input (CRS) and, for VRS, the smallest
        # input and largest output of each kind
        act: set[int] = set()
        with np.errstate(divide="ignore", invalid="ignore"):
            for i in range(X.shape[1]):
                for r in range(Y.shape[1]):
                    ratio = np.where(X[:, i] > 0, Y[:, r] / X[:, i], -np.inf)
                    act.add(int(np.argmax(ratio)))
        for r in range(Y.shape[1]):
            act.add(int(np.argmax(Y[:, r])))
        for i in range(X.shape[1]):
            act.add(int(np.argmin(X[:, i])))
        self.active = act

    def solve(self, xo: np.ndarray, yo: np.ndarray, self_idx: int | None = None,
              parts: Parts | None = None) -> tuple[float, np.ndarray, np.ndarray]:
        """Score, reference indices and their weights (lambda) for one unit.

        ``parts`` replaces the unit's programme (same reference columns), e.g. the
        second-stage slack programme; the fixed variables' values are kept in
        ``last_fixed``.
        """
        parts = build(xo, yo, self.model, self.orientation, self.vrs) if parts is None \
            else parts
        nf = parts.c.size
        full = False
        while True:
            cols = np.arange(self.n) if full else np.array(
                sorted(self.active | ({self_idx} if self_idx is not None else set())))
            k = cols.size
            c = np.concatenate([parts.c, np.zeros(k)])
            a_ub = (np.hstack([parts.a_ub, self.col_ub[:, cols]])
                    if parts.a_ub is not None else None)
            a_eq = (np.hstack([parts.a_eq, self.col_eq[:, cols]])
                    if parts.a_eq is not None else None)
            res = linprog(c, A_ub=a_ub, b_ub=parts.b_ub, A_eq=a_eq, b_eq=parts.b_eq,
                          bounds=parts.bounds + [(0, None)] * k, method="highs-ds")
            self.lp_count += 1
            if res.status == 2:  # infeasible over the active set: try every column once
                if full:
                    return np.nan, np.empty(0, int), np.empty(0)
                full = True
                continue
            if res.status == 3:
                return np.inf, np.empty(0, int), np.empty(0)
            if res.status != 0:
                raise AgglomeraError(f"HiGHS could not solve a DEA programme: {res.message}")
            if full:
                break
            d = np.zeros(self.n)
            if self.col_ub is not None:
                d -= self.col_ub.T @ res.ineqlin.marginals
            if self.col_eq is not None:
                d -= self.col_eq.T @ res.eqlin.marginals
            scale = 1.0 + np.abs(res.fun)
            neg = np.flatnonzero(d < -self.tol * scale)
            if neg.size == 0:
                break
            take = neg[np.argsort(d[neg])[: self.add]]
            self.active.update(int(j) for j in take)
        lam = res.x[nf:]
        self.last_fixed = res.x[:nf]
        pos = lam > 1e-10
        if full:
            self.active.update(int(j) for j in cols[pos])
        return score_of(parts.kind, float(res.fun)), cols[pos], lam[pos]


try:  # scipy's own HiGHS bindings (the module behind linprog(method="highs"))
    from scipy.optimize._highspy import _core as _highs
except ImportError:  # pragma: no cover - older or repackaged scipy: linprog path only
    _highs = None


class HighsSolver:
    """Same programmes as :class:`Solver`, on one persistent HiGHS model.

    The model keeps the rows and the reference columns already brought in; for each
    unit only the unit's own coefficients, right-hand sides and costs are changed, and
    HiGHS restarts from the previous optimal basis (warm start). Columns are priced and
    added exactly as in :class:`Solver`. Uses scipy's bundled HiGHS bindings.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, *, model: str, orientation: str,
                 vrs: bool, tol: float = 1e-9, add: int = 16):
        if _highs is None:  # pragma: no cover
            raise ImportError("scipy's HiGHS bindings are not available")
        self.X, self.Y = X, Y
        self.model, self.orientation, self.vrs = model, orientation, vrs
        self.col_ub, self.col_eq = columns(X, Y, model, orientation, vrs)
        self.n = X.shape[0]
        self.tol, self.add = tol, add
        self.lp_count = 0
        self.active = set(Solver(X, Y, model=model, orientation=orientation,
                                 vrs=vrs).active)
        self.h = None
        self.in_model: list[int] = []
        self.pos: dict[int, int] = {}

    def _colmat(self) -> np.ndarray:
        parts = [p for p in (self.col_ub, self.col_eq) if p is not None]
        return np.vstack(parts)

    def _build(self, parts: Parts) -> None:
        h = _highs._Highs()
        h.setOptionValue("output_flag", False)
        inf = h.getInfinity()
        self.inf = inf
        self.nf = parts.c.size
        lo = np.array([-inf if b[0] is None else b[0] for b in parts.bounds], float)
        hi = np.array([inf if b[1] is None else b[1] for b in parts.bounds], float)
        h.addVars(self.nf, lo, hi)
        h.changeColsCost(self.nf, np.arange(self.nf, dtype=np.int32), parts.c.astype(float))
        self.rub = 0 if parts.a_ub is None else parts.a_ub.shape[0]
        self.req = 0 if parts.a_eq is None else parts.a_eq.shape[0]
        self.fixed = np.vstack([p for p in (parts.a_ub, parts.a_eq) if p is not None])
        idx = np.arange(self.nf, dtype=np.int32)
        for r in range(self.rub + self.req):
            lo_r, hi_r = self._row_bounds(parts, r)
            h.addRow(lo_r, hi_r, self.nf, idx, self.fixed[r].astype(float))
        self.h = h
        self.A = self._colmat()
        self.in_model = []
        self.pos = {}

    def _row_bounds(self, parts: Parts, r: int) -> tuple[float, float]:
        if r < self.rub:
            return -self.inf, float(parts.b_ub[r])
        v = float(parts.b_eq[r - self.rub])
        return v, v

    def _add_columns(self, cols: list[int]) -> None:
        rows = np.arange(self.A.shape[0], dtype=np.int32)
        for j in cols:
            if j in self.pos:
                continue
            a = self.A[:, j]
            nz = a != 0
            self.h.addCol(0.0, 0.0, self.inf, int(nz.sum()), rows[nz], a[nz].astype(float))
            self.pos[j] = self.nf + len(self.in_model)
            self.in_model.append(j)

    def _update(self, parts: Parts) -> None:
        h = self.h
        new = np.vstack([p for p in (parts.a_ub, parts.a_eq) if p is not None])
        for r, c in zip(*np.nonzero(new != self.fixed)):
            h.changeCoeff(int(r), int(c), float(new[r, c]))
        self.fixed = new
        for r in range(self.rub + self.req):
            lo_r, hi_r = self._row_bounds(parts, r)
            h.changeRowBounds(r, lo_r, hi_r)
        h.changeColsCost(self.nf, np.arange(self.nf, dtype=np.int32), parts.c.astype(float))

    def solve(self, xo: np.ndarray, yo: np.ndarray, self_idx: int | None = None
              ) -> tuple[float, np.ndarray, np.ndarray]:
        parts = build(xo, yo, self.model, self.orientation, self.vrs)
        if self.h is None:
            self._build(parts)
        else:
            self._update(parts)
        self._add_columns(sorted(self.active - set(self.pos)))
        tried_self = tried_all = False
        h = self.h
        while True:
            h.run()
            self.lp_count += 1
            status = h.getModelStatus()
            if status in (_highs.HighsModelStatus.kInfeasible,
                          _highs.HighsModelStatus.kUnboundedOrInfeasible):
                if self_idx is not None and not tried_self and self_idx not in self.pos:
                    tried_self = True
                    self._add_columns([self_idx])
                    continue
                if not tried_all:
                    tried_all = True
                    self._add_columns(list(range(self.n)))
                    continue
                return np.nan, np.empty(0, int), np.empty(0)
            if status == _highs.HighsModelStatus.kUnbounded:
                return np.inf, np.empty(0, int), np.empty(0)
            if status != _highs.HighsModelStatus.kOptimal:
                raise AgglomeraError("HiGHS could not solve a DEA programme: "
                                     f"{h.modelStatusToString(status)}")
            y = np.asarray(h.getSolution().row_dual)
            d = -(self.A.T @ y)
            fun = h.getInfo().objective_function_value
            scale = 1.0 + abs(fun)
            neg = np.flatnonzero(d < -self.tol * scale)
            neg = neg[[j not in self.pos for j in neg]] if neg.size else neg
            if neg.size == 0:
                break
            take = neg[np.argsort(d[neg])[: self.add]]
            self.active.update(int(j) for j in take)
            self._add_columns([int(j) for j in take])
        x = np.asarray(h.getSolution().col_value)
        lam = x[self.nf:]
        ids = np.array(self.in_model, dtype=int)
        pos = lam > 1e-10
        return score_of(parts.kind, float(fun)), ids[pos], lam[pos]


def make_solver(X: np.ndarray, Y: np.ndarray, *, model: str, orientation: str,
                vrs: bool, engine: str = "auto") -> Solver | HighsSolver:
    """``engine='highs'``: persistent HiGHS model (fast); ``'linprog'``: one
    ``scipy.optimize.linprog`` call per programme (reference path); ``'auto'``: HiGHS
    when scipy's bindings are importable."""
    if engine == "highs" or (engine == "auto" and _highs is not None):
        return HighsSolver(X, Y, model=model, orientation=orientation, vrs=vrs)
    return Solver(X, Y, model=model, orientation=orientation, vrs=vrs)
