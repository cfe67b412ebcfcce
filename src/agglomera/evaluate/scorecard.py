"""Annual scorecards of development zones or cities, with the evidence for every score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.evaluate._common import as_list, check_columns
from agglomera.evaluate.composite import composite_index

__all__ = ["Scorecard", "scorecard"]


@dataclass(frozen=True)
class Scorecard:
    """Annual ranking and its evidence.

    ``table``: one row per year and unit (score, rank, rank_change against the
    previous year, Monte-Carlo rank interval when asked). ``evidence``: one row per
    year, unit and indicator (raw value, normalised value, weight, contribution,
    source row).
    """

    table: pd.DataFrame
    evidence: pd.DataFrame
    indicators: tuple[str, ...]
    normalise: str
    weighting: str
    aggregate: str

    @property
    def statistic(self) -> pd.Series:
        return self.table.set_index(["year", "region"])["score"]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def top(self, n: int = 10, *, year: int | None = None) -> pd.DataFrame:
        """The ``n`` best units of ``year`` (default the latest)."""
        y = int(self.table["year"].max()) if year is None else int(year)
        t = self.table[self.table["year"] == y]
        if t.empty:
            raise SchemaError(f"the scorecard has no year {y}")
        return t.sort_values(["rank", "region"]).head(n)


def scorecard(frame: pd.DataFrame, *, indicators: str | Sequence[str],
              polarity: Mapping[str, object] | Sequence[object],
              region: str = "region", year: str | None = "year",
              name_column: str | None = None, normalise: str = "minmax",
              weights: object = "equal", aggregate: str = "linear",
              monte_carlo: int = 0, seed: int | None = None,
              missing: str = "raise") -> Scorecard:
    r"""Rank development zones or cities each year on an indicator set (评价排名).

    Every year is scored on its own with :func:`composite_index` (normalisation
    across the units of that year), and the evidence behind each score is kept.

    Parameters
    ----------
    frame : DataFrame
        One row per unit and year: ``region``, ``year``, indicator columns and, when
        present, ``source_row`` (carried into the evidence).
    indicators : str or sequence of str
        Indicator columns.
    polarity : mapping or sequence
        ``'higher'``/``'lower'`` is better, for every indicator.
    region, year : str
        Column names (``year=None`` for one cross-section).
    name_column : str, optional
        Column of unit names, copied to the table.
    normalise, weights, aggregate, monte_carlo, seed, missing
        As in :func:`composite_index`. Data-driven weights (entropy, CRITIC, PCA) are
        computed within each year.

    Returns
    -------
    Scorecard

    Raises
    ------
    SchemaError
        As :func:`composite_index`; a unit listed twice in a year.

    See Also
    --------
    composite_index

    Notes
    -----
    For unit :math:`c` in year :math:`t`, with :math:`I_{qct}` the normalised value
    and :math:`w_{qt}` the weight, a linear score is

    .. math::

        S_{ct} = \sum_q w_{qt} I_{qct}, \qquad
        \text{contribution}_{qct} = w_{qt} I_{qct},

    and ``rank_change`` = rank in :math:`t - 1` minus rank in :math:`t` (positive:
    moved up). Because normalisation is within a year, scores compare units within a
    year; ranks compare across years.

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, section 8
    (presentation: tables of scores with their components). doi:10.1787/9789264043466-en

    Examples
    --------
    >>> f = pd.DataFrame({"region": list("abab"), "year": [1, 1, 2, 2],
    ...                   "out": [1.0, 2.0, 3.0, 1.0]})
    >>> scorecard(f, indicators="out", polarity={"out": "higher"}).table[
    ...     ["year", "region", "rank", "rank_change"]].values.tolist()
    [[1, 'a', 2, nan], [1, 'b', 1, nan], [2, 'a', 1, 1.0], [2, 'b', 2, -1.0]]
    """
    inds = as_list(indicators, "indicators")
    check_columns(frame, [region] + ([year] if year else []) + inds, "scorecard")
    f = frame.copy()
    if "source_row" not in f.columns:
        f["source_row"] = np.arange(len(f))
    years = [None] if year is None else sorted(pd.unique(f[year].dropna()))
    tables, evid = [], []
    for y in years:
        sub = f if y is None else f[f[year] == y]
        if len(sub) < 2:
            raise SchemaError(f"year {y}: a scorecard needs at least 2 units; got {len(sub)}")
        res = composite_index(sub.set_index(region), indicators=inds, polarity=polarity,
                              normalise=normalise, weights=weights, aggregate=aggregate,
                              monte_carlo=monte_carlo, seed=seed, missing=missing)
        t = res.to_frame()
        t.insert(0, "year", y)
        if name_column:
            names = sub.set_index(region)[name_column]
            t.insert(2, "name", t["region"].map(names))
        tables.append(t)
        e = res.evidence.copy()
        e.insert(0, "year", y)
        evid.append(e)
    table = pd.concat(tables, ignore_index=True)
    if year is not None:
        prev = table[["year", "region", "rank"]].copy()
        order = {y: k for k, y in enumerate(years)}
        prev["year"] = prev["year"].map(lambda v: years[order[v] + 1]
                                        if order[v] + 1 < len(years) else None)
        prev = prev.dropna(subset=["year"]).rename(columns={"rank": "rank_prev"})
        prev["year"] = prev["year"].astype(table["year"].dtype)
        table = table.merge(prev, on=["year", "region"], how="left")
        table["rank_change"] = table["rank_prev"] - table["rank"]
        table = table.drop(columns="rank_prev")
    else:
        table = table.drop(columns="year").assign(year=np.nan)
    evidence = pd.concat(evid, ignore_index=True)
    w = weights if isinstance(weights, str) else "explicit"
    return Scorecard(table=table, evidence=evidence, indicators=tuple(inds),
                     normalise=normalise, weighting=w, aggregate=aggregate)
