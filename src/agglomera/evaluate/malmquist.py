"""Malmquist productivity index with its efficiency-change / technical-change split."""

from __future__ import annotations

import itertools
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
)
from agglomera.evaluate.dea import _check_data, dea_scores

__all__ = ["MalmquistResult", "malmquist"]


@dataclass(frozen=True)
class MalmquistResult:
    """Malmquist index and components for each unit and pair of consecutive years.

    ``table`` has columns region, year_from, year (to), ``effch`` (efficiency change),
    ``techch`` (technical change), ``malmquist`` (= effch x techch) and the four
    distance functions ``d_t_t``, ``d_t_t1``, ``d_t1_t``, ``d_t1_t1`` (frontier year,
    data year). With ``vrs_decomposition``, also ``pech`` and ``sech``.
    """

    table: pd.DataFrame
    orientation: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def statistic(self) -> pd.Series:
        return self.table.set_index(["region", "year"])["malmquist"]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def cumulative(self) -> pd.DataFrame:
        """Chained indices per unit (product over the years)."""
        cols = [c for c in ("malmquist", "effch", "techch", "pech", "sech")
                if c in self.table.columns]
        t = self.table.sort_values(["region", "year"])
        out = t.groupby("region")[cols].cumprod()
        return pd.concat([t[["region", "year"]], out], axis=1)


def malmquist(frame: pd.DataFrame, *, inputs: str | Sequence[str],
              outputs: str | Sequence[str], region: str = "region", year: str = "year",
              orientation: str = "output", vrs_decomposition: bool = False,
              missing: str = "raise",
              progress: Callable[[int, int], None] | None = None) -> MalmquistResult:
    r"""Malmquist productivity index (Malmquist 全要素生产率指数) between consecutive years.

    Parameters
    ----------
    frame : DataFrame
        Balanced panel: one row per unit and year with inputs and outputs.
    inputs, outputs : str or sequence of str
        Input and output columns (non-negative; every unit needs a positive input and
        output).
    region, year : str
        Unit and year columns.
    orientation : {'output', 'input'}
        Distance functions of the output (Färe et al. 1994) or input orientation. Under
        constant returns the index is the same; it is reported so that values above 1
        mean productivity growth in both cases.
    vrs_decomposition : bool
        Also split efficiency change into pure efficiency change (VRS) and scale
        efficiency change (Färe et al. 1994, section III).
    missing : {'raise', 'omit'}
        Units with a missing value in a year raise, or are left out of that pair.
    progress : callable, optional
        ``progress(done, total)`` over the programmes.

    Returns
    -------
    MalmquistResult

    Raises
    ------
    SchemaError
        Fewer than two years, unknown columns, a unit listed twice in a year, bad data.

    See Also
    --------
    dea, tfp

    Notes
    -----
    With :math:`D^a(x^b, y^b)` the constant-returns Farrell efficiency (Shephard
    distance function) of the unit's year-:math:`b` data against the year-:math:`a`
    frontier (Färe, Grosskopf, Norris & Zhang 1994, eqs. 6-8; output orientation):

    .. math::

        M = \left[\frac{D^t(x^{t+1}, y^{t+1})}{D^t(x^t, y^t)}
                  \frac{D^{t+1}(x^{t+1}, y^{t+1})}{D^{t+1}(x^t, y^t)}\right]^{1/2}
          = \underbrace{\frac{D^{t+1}(x^{t+1}, y^{t+1})}{D^t(x^t, y^t)}}_{EC}
            \underbrace{\left[\frac{D^t(x^{t+1}, y^{t+1})}{D^{t+1}(x^{t+1}, y^{t+1})}
            \frac{D^t(x^t, y^t)}{D^{t+1}(x^t, y^t)}\right]^{1/2}}_{TC}.

    Cross-period distances can exceed 1 (the unit lies beyond the other year's
    frontier). For the input orientation the input distance functions are used and
    the index is inverted, so that :math:`M > 1` is growth either way (under constant
    returns input and output Farrell scores coincide, so both orientations give the same
    index; the ``d_*`` columns are Farrell scores of the chosen orientation). The VRS split
    is :math:`EC = PEC \times SEC` with :math:`PEC = D^{t+1}_V / D^t_V` (own-period VRS
    scores) and :math:`SEC = EC / PEC`.

    References
    ----------
    Färe, R., Grosskopf, S., Norris, M. & Zhang, Z. (1994). Productivity growth,
    technical progress, and efficiency change in industrialized countries. *American
    Economic Review* 84(1), 66-83. https://www.jstor.org/stable/2117971

    Caves, D. W., Christensen, L. R. & Diewert, W. E. (1982). The economic theory of
    index numbers and the measurement of input, output, and productivity.
    *Econometrica* 50(6), 1393-1414. doi:10.2307/1913388

    Coelli, T. J., Rao, D. S. P., O'Donnell, C. J. & Battese, G. E. (2005). *An
    Introduction to Efficiency and Productivity Analysis*, 2nd ed. New York: Springer,
    ch. 11. doi:10.1007/b136381

    Examples
    --------
    >>> f = pd.DataFrame({"region": ["a", "b"] * 2, "year": [1, 1, 2, 2],
    ...                   "x": [1.0, 1.0, 1.0, 1.0], "y": [1.0, 2.0, 2.0, 2.0]})
    >>> malmquist(f, inputs="x", outputs="y").table[["region", "malmquist", "effch",
    ...                                              "techch"]].values.tolist()
    [['a', 2.0, 2.0, 1.0], ['b', 1.0, 1.0, 1.0]]
    """
    ins = as_list(inputs, "inputs")
    outs = as_list(outputs, "outputs")
    check_columns(frame, [region, year] + ins + outs, "malmquist")
    orientation = check_choice("orientation", orientation, ("output", "input"))
    years = sorted(pd.unique(frame[year].dropna()))
    if len(years) < 2:
        raise SchemaError(f"the Malmquist index needs at least two years; got {len(years)}")
    if frame.duplicated([region, year]).any():
        d = frame.loc[frame.duplicated([region, year]), [region, year]].iloc[0]
        raise SchemaError(f"region {d[region]} has two rows for year {d[year]}")
    cols = ins + outs
    data = {}
    for y in years:
        sub = frame[frame[year] == y]
        block, keep = numeric_block(sub, cols, missing=missing, what="input/output")
        X, Y = block[:, :len(ins)], block[:, len(ins):]
        _check_data(X, Y, "ccr", ins, outs)
        data[y] = (pd.Index(sub[region].to_numpy()[keep]), X, Y)
    pairs = list(itertools.pairwise(years))
    total = sum(2 * len(data[a][0]) + 2 * len(data[b][0]) for a, b in pairs)
    state = {"done": 0}

    def tick(k: int, n: int) -> None:
        if progress is not None and k == n:
            state["done"] += n
            progress(state["done"], total)

    own: dict[tuple[object, str], np.ndarray] = {}

    def score(frontier: object, at: object, units: pd.Index, vrs: bool = False) -> np.ndarray:
        key = (frontier, "vrs" if vrs else "crs")
        _, Xf, Yf = data[frontier]
        lab_a, Xa, Ya = data[at]
        pos = lab_a.get_indexer(units)
        if frontier == at and key in own:
            s = own[key]
            return s[pos]
        sc, _, _ = dea_scores(Xa[pos] if frontier != at else Xa,
                              Ya[pos] if frontier != at else Ya,
                              model="bcc" if vrs else "ccr",
                              orientation="output" if orientation == "output" else "input",
                              Xref=Xf, Yref=Yf, self_in_reference=(frontier == at),
                              progress=tick)
        if frontier == at:
            own[key] = sc
            return sc[pos]
        return sc

    rows = []
    for a, b in pairs:
        units = data[a][0].intersection(data[b][0], sort=False)
        if len(units) == 0:
            continue
        d_aa = score(a, a, units)
        d_bb = score(b, b, units)
        d_ab = score(a, b, units)   # year-b data, year-a frontier
        d_ba = score(b, a, units)   # year-a data, year-b frontier
        # Farrell scores; under constant returns the input and output scores coincide
        effch = d_bb / d_aa
        techch = np.sqrt((d_ab / d_bb) * (d_aa / d_ba))
        t = pd.DataFrame({"region": units, "year_from": a, "year": b, "effch": effch,
                          "techch": techch, "malmquist": effch * techch,
                          "d_t_t": d_aa, "d_t_t1": d_ab, "d_t1_t": d_ba, "d_t1_t1": d_bb})
        if vrs_decomposition:
            v_a = score(a, a, units, vrs=True)
            v_b = score(b, b, units, vrs=True)
            pech = v_b / v_a
            t.insert(5, "pech", pech)
            t.insert(6, "sech", effch / pech)
        rows.append(t)
    if not rows:
        raise SchemaError("no unit is observed in two consecutive years")
    table = pd.concat(rows, ignore_index=True)
    return MalmquistResult(table=table, orientation=orientation, inputs=tuple(ins),
                           outputs=tuple(outs))
