r"""A small, safe evaluator for the metric expressions of the screening rule sets.

Expressions are parsed with :mod:`ast` and only a whitelist of nodes is accepted; nothing
is ever passed to ``eval``. They are evaluated over all firms at once on numpy arrays.

Names are enterprise fields. A bare name means the latest fiscal year (the year before the
application year, 上年度). Window functions look back over fiscal years:

``sum_last(x, n)``, ``mean_last(x, n)``, ``min_last(x, n)`` ("in each of the last n
years"), ``max_last(x, n)``; ``sum_operated(x, n, date_field)`` (the sum over the last n
fiscal years, or over the firm's actual operating period when it was registered less than
n years before: fiscal years before the year of ``date_field`` count as not required, e.g.
the High-tech Enterprise rule "实际经营期不满三年的按实际经营时间计算"); ``growth_mean(x, n)`` (mean of the last n year-on-year growth
rates, needs n + 1 years); ``cagr(x, n)`` (compound growth over n years). Scalar helpers:
``min(a, b)``, ``max(a, b)``, ``floor(a)``, ``wan(a)`` (a x 10,000: thresholds written in
万元), ``years_since(date_field)`` (years of 365 days up to the application date).
Comparisons and ``and``/``or``/``not`` use three-valued logic: 1.0 true, 0.0 false, NaN
unknown. Missing data and division by zero give NaN (unknown), never zero.

Examples
--------
>>> import numpy as np
>>> e = Expr("sum_last(rd_expense, 3) / sum_last(sales_revenue, 3)")
>>> sorted(e.names)
['rd_expense', 'sales_revenue']
>>> data = {"rd_expense": np.array([[4.0], [3.0], [2.0]]),
...         "sales_revenue": np.array([[100.0], [50.0], [50.0]])}
>>> float(e.evaluate(data.__getitem__)[0])
0.045
>>> Expr("__import__('os')")
Traceback (most recent call last):
...
agglomera.errors.SchemaError: expression "__import__('os')": function '__import__' is not allowed; use one of cagr, floor, growth_mean, max, max_last, mean_last, min, min_last, sum_last, sum_operated, wan, years_since
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

from agglomera.errors import SchemaError

WINDOW_FUNCS = {"sum_last", "mean_last", "min_last", "max_last", "growth_mean", "cagr",
                "sum_operated"}
SCALAR_FUNCS = {"min", "max", "floor", "wan", "years_since"}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call,
            ast.Compare, ast.BoolOp, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div,
            ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, ast.Lt, ast.LtE, ast.Gt,
            ast.GtE, ast.Eq, ast.NotEq)

#: Lookup of a field: (name) -> array of shape (n_years, n_firms), row 0 = latest year
Lookup = Callable[[str], np.ndarray]


def _tv(mask_true: np.ndarray, mask_known: np.ndarray) -> np.ndarray:
    return np.where(mask_known, mask_true.astype(float), np.nan)


class Expr:
    """A parsed, validated metric expression."""

    def __init__(self, text: str):
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise SchemaError(f'expression "{text}": not a valid expression ({exc.msg})') from None
        self.names: set[str] = set()
        self.window = 1
        self._check(tree, 1)
        self.tree = tree.body
        self.uses_date = "years_since" in {
            n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}

    def _check(self, node: ast.AST, depth: int) -> None:
        if not isinstance(node, _ALLOWED):
            raise SchemaError(f'expression "{self.text}": {type(node).__name__} is not '
                              "allowed (only fields, numbers, + - * /, comparisons, "
                              "and/or/not and the listed functions)")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, bool)):
            raise SchemaError(f'expression "{self.text}": only numeric constants are allowed')
        if isinstance(node, ast.Name):
            self.names.add(node.id)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.keywords:
                raise SchemaError(f'expression "{self.text}": only plain calls are allowed')
            fn = node.func.id
            allowed = sorted(WINDOW_FUNCS | SCALAR_FUNCS)
            if fn not in WINDOW_FUNCS | SCALAR_FUNCS:
                raise SchemaError(f'expression "{self.text}": function {fn!r} is not '
                                  f"allowed; use one of {', '.join(allowed)}")
            want = (3 if fn == "sum_operated" else
                    2 if fn in WINDOW_FUNCS or fn in ("min", "max") else 1)
            if len(node.args) != want:
                raise SchemaError(f'expression "{self.text}": {fn}() takes {want} '
                                  f"argument(s), got {len(node.args)}")
            if fn in WINDOW_FUNCS:
                n = node.args[1]
                if not (isinstance(n, ast.Constant) and isinstance(n.value, int)
                        and not isinstance(n.value, bool) and 1 <= n.value <= 10):
                    raise SchemaError(f'expression "{self.text}": the window of {fn}() '
                                      "must be a whole number of years from 1 to 10")
                need = n.value + (1 if fn in ("growth_mean", "cagr") else 0)
                self.window = max(self.window, need)
                self._check(node.args[0], depth + 1)
                if fn == "sum_operated":
                    if not isinstance(node.args[2], ast.Name):
                        raise SchemaError(f'expression "{self.text}": the third argument '
                                          "of sum_operated() must be a date field")
                    self.names.add(node.args[2].id)
                return
            if fn == "years_since" and not isinstance(node.args[0], ast.Name):
                raise SchemaError(f'expression "{self.text}": years_since() takes a date field')
            for a in node.args:
                self._check(a, depth + 1)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.boolop,
                                  ast.cmpop)):
                continue
            self._check(child, depth + 1)

    def evaluate(self, lookup: Lookup, *, reference_day: float = np.nan,
                 scalars: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Value per firm (1-D float array).

        ``lookup(name)`` returns a (years x firms) matrix, latest year first;
        ``scalars`` holds per-firm values that are not yearly (e.g. computed scores);
        ``reference_day`` is the application date in days since 1970-01-01.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self._ev(self.tree, None, lookup, reference_day, scalars or {})
        out = np.asarray(out, dtype=float)
        if out.ndim == 2:
            out = out[0]
        return out  # +inf stays: a rank of 'none' is worse than any rank

    def _ev(self, node, win, lookup, ref, scalars):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id in scalars:
                v = scalars[node.id]
                return v if win is None else v[None, :]
            m = lookup(node.id)
            if win is None:
                return m[0]
            if m.shape[0] < win:
                pad = np.full((win - m.shape[0], m.shape[1]), np.nan)
                m = np.vstack([m, pad])
            return m[:win]
        if isinstance(node, ast.UnaryOp):
            v = self._ev(node.operand, win, lookup, ref, scalars)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            return _tv(v == 0, ~np.isnan(v))
        if isinstance(node, ast.BinOp):
            a = self._ev(node.left, win, lookup, ref, scalars)
            b = self._ev(node.right, win, lookup, ref, scalars)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            b = np.where(np.asarray(b) == 0, np.nan, b)
            return a / b
        if isinstance(node, ast.Compare):
            left = self._ev(node.left, win, lookup, ref, scalars)
            result = None
            for op, comp in zip(node.ops, node.comparators):
                right = self._ev(comp, win, lookup, ref, scalars)
                known = ~(np.isnan(left) | np.isnan(right))
                # a relative tolerance of 1e-9 keeps boundaries stable under unit
                # conversions (yuan vs 10,000 yuan) and float rounding
                tol = 1e-9 * np.maximum(1.0, np.abs(right))
                kind = type(op)
                if kind is ast.GtE:
                    t = left >= right - tol
                elif kind is ast.Gt:
                    t = left > right + tol
                elif kind is ast.LtE:
                    t = left <= right + tol
                elif kind is ast.Lt:
                    t = left < right - tol
                elif kind is ast.Eq:
                    t = np.abs(left - right) <= tol
                else:
                    t = np.abs(left - right) > tol
                r = _tv(t, known)
                result = r if result is None else and3(result, r)
                left = right
            return result
        if isinstance(node, ast.BoolOp):
            vals = [self._ev(v, win, lookup, ref, scalars) for v in node.values]
            f = and3 if isinstance(node.op, ast.And) else or3
            out = vals[0]
            for v in vals[1:]:
                out = f(out, v)
            return out
        fn = node.func.id
        if fn in WINDOW_FUNCS:
            n = node.args[1].value
            width = n + 1 if fn in ("growth_mean", "cagr") else n
            x = self._ev(node.args[0], width, lookup, ref, scalars)
            if np.ndim(x) < 2:
                x = np.broadcast_to(np.asarray(x, float).reshape(1, -1), (width, np.size(x)))
            if fn == "sum_last":
                return x.sum(axis=0)
            if fn == "sum_operated":
                # fiscal year of each row (row 0 = the year before the application year)
                app_year = int(np.datetime64(int(ref), "D").astype("datetime64[Y]")
                               .astype(int)) + 1970
                row_year = app_year - 1 - np.arange(width)
                reg = np.asarray(lookup(node.args[2].id)[0], dtype=float)
                known = ~np.isnan(reg)
                reg_year = np.full(reg.shape, -np.inf)
                reg_year[known] = (reg[known].astype("int64").astype("datetime64[D]")
                                   .astype("datetime64[Y]").astype(int) + 1970)
                before = row_year[:, None] < reg_year[None, :]
                return np.where(np.isnan(x) & before, 0.0, x).sum(axis=0)
            if fn == "mean_last":
                return x.mean(axis=0)
            if fn == "min_last":
                return x.min(axis=0)
            if fn == "max_last":
                return x.max(axis=0)
            if fn == "growth_mean":
                base = np.where(x[1:] > 0, x[1:], np.nan)
                return (x[:-1] / base - 1).mean(axis=0)
            base = np.where(x[n] > 0, x[n], np.nan)
            ratio = np.where(x[0] >= 0, x[0] / base, np.nan)
            return ratio ** (1.0 / n) - 1
        args = [self._ev(a, win, lookup, ref, scalars) for a in node.args]
        if fn == "min":
            return np.minimum(args[0], args[1])
        if fn == "max":
            return np.maximum(args[0], args[1])
        if fn == "floor":
            return np.floor(args[0])
        if fn == "wan":
            return args[0] * 10_000.0
        return (ref - args[0]) / 365.0  # years_since


def and3(a, b):
    """Three-valued AND on 1.0 / 0.0 / NaN arrays."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = np.where((a == 0) | (b == 0), 0.0, np.where(np.isnan(a) | np.isnan(b), np.nan, 1.0))
    return out


def or3(a, b):
    """Three-valued OR on 1.0 / 0.0 / NaN arrays."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = np.where((a == 1) | (b == 1), 1.0, np.where(np.isnan(a) | np.isnan(b), np.nan, 0.0))
    return out
