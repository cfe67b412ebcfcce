"""Growth accounting: Solow residual TFP for regions, perpetual-inventory capital."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.evaluate._common import check_columns

__all__ = ["TFPResult", "perpetual_inventory", "tfp"]


def perpetual_inventory(investment: pd.Series | np.ndarray, *, depreciation: float,
                        initial: float | None = None, growth_years: int = 5) -> np.ndarray:
    r"""Capital stock by the perpetual inventory method (永续盘存法).

    Parameters
    ----------
    investment : Series or ndarray
        Real gross investment for consecutive years (no gaps, no missing values).
    depreciation : float
        Geometric depreciation rate :math:`\delta` in (0, 1) (e.g. 0.096, Zhang et al.
        2004 for Chinese provinces); there is no default.
    initial : float, optional
        Capital stock of the first year; default Harberger's steady-state estimate.
    growth_years : int
        Years of investment growth averaged for the initial stock.

    Returns
    -------
    ndarray
        End-of-year capital stock :math:`K_t`.

    Raises
    ------
    SchemaError
        Missing or negative investment, depreciation outside (0, 1), a non-positive
        :math:`g + \delta`.

    Notes
    -----
    .. math::

        K_t = (1 - \delta) K_{t-1} + I_t, \qquad
        K_0 = \frac{I_0}{g + \delta} \;(\text{Harberger 1978}),

    with :math:`g` the compound annual growth of investment over the first
    ``growth_years`` years (all years if fewer).

    References
    ----------
    Harberger, A. C. (1978). Perspectives on capital and technology in less developed
    countries. In M. J. Artis & A. R. Nobay (eds.), *Contemporary Economic Analysis*,
    pp. 42-72. London: Croom Helm.

    Zhang, J., Wu, G. & Zhang, J. (2004). The estimation of China's provincial capital
    stock: 1952-2000. *Economic Research Journal* (经济研究) 2004(10), 35-44.

    Examples
    --------
    >>> perpetual_inventory([10.0, 11.0, 12.1], depreciation=0.1).round(3).tolist()
    [50.0, 56.0, 62.5]
    """
    inv = np.asarray(investment, dtype=float)
    if inv.ndim != 1 or inv.size == 0:
        raise SchemaError("investment must be a non-empty series of years")
    if not np.isfinite(inv).all() or (inv < 0).any():
        raise SchemaError("investment must be complete (no missing years) and non-negative")
    if not 0 < depreciation < 1:
        raise SchemaError(f"`depreciation` must be a rate in (0, 1); got {depreciation}")
    if initial is None:
        h = min(max(1, growth_years), inv.size - 1)
        if h >= 1 and inv[0] > 0 and inv[h] > 0:
            g = (inv[h] / inv[0]) ** (1.0 / h) - 1.0
        else:
            g = 0.0
        if g + depreciation <= 0:
            raise SchemaError(f"investment shrinks by {-g:.1%} a year, faster than "
                              f"depreciation {depreciation:.1%}: Harberger's initial stock "
                              "is undefined; give the initial stock (initial_capital=) or a "
                              "capital stock column instead")
        k0 = inv[0] / (g + depreciation)
    else:
        k0 = float(initial)
    out = np.empty(inv.size)
    out[0] = k0
    for t in range(1, inv.size):
        out[t] = (1.0 - depreciation) * out[t - 1] + inv[t]
    return out


@dataclass(frozen=True)
class TFPResult:
    """Solow-residual TFP by region and year.

    ``table``: region, year, output, capital, labour, capital_share, ``ln_tfp`` (level),
    and for years after the first ``output_growth``, ``capital_contribution``,
    ``labour_contribution``, ``tfp_growth`` (log differences; they add up) and
    ``tfp_share`` (TFP growth / output growth).
    """

    table: pd.DataFrame
    depreciation: float | None

    @property
    def statistic(self) -> pd.Series:
        return self.table.set_index(["region", "year"])["tfp_growth"]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def tfp(frame: pd.DataFrame, *, output: str, labour: str, capital_share: float | str,
        capital: str | None = None, investment: str | None = None,
        depreciation: float | None = None,
        initial_capital: Mapping[str, float] | None = None, growth_years: int = 5,
        region: str = "region", year: str = "year") -> TFPResult:
    r"""Total factor productivity by growth accounting (Solow residual, 全要素生产率).

    Parameters
    ----------
    frame : DataFrame
        One row per region and year: real output, labour and capital (or investment).
    output, labour : str
        Columns of real output (GDP at constant prices) and labour (employment).
    capital_share : float or str
        Output elasticity of capital :math:`\alpha` in (0, 1), or a column holding it
        by region and year (e.g. 1 - labour share of income). No default.
    capital : str, optional
        Column of real capital stock.
    investment : str, optional
        Column of real investment: the stock is built by
        :func:`perpetual_inventory` for each region (needs ``depreciation``).
    depreciation : float, optional
        Depreciation rate for the perpetual inventory.
    initial_capital : mapping, optional
        Initial capital stock by region (default Harberger's estimate).
    growth_years : int
        Years used for Harberger's initial stock.
    region, year : str
        Key columns.

    Returns
    -------
    TFPResult

    Raises
    ------
    SchemaError
        Neither or both of ``capital`` and ``investment``; missing depreciation; gaps in
        the years of a region; non-positive output, capital or labour; shares outside
        (0, 1).

    See Also
    --------
    malmquist, perpetual_inventory

    Notes
    -----
    With a Cobb-Douglas technology with constant returns,
    :math:`Y = A K^{\alpha} L^{1-\alpha}` (Solow 1957):

    .. math::

        \ln A_t = \ln Y_t - \alpha_t \ln K_t - (1 - \alpha_t) \ln L_t,

        \Delta \ln A_t = \Delta \ln Y_t - \bar\alpha_t \Delta \ln K_t
            - (1 - \bar\alpha_t) \Delta \ln L_t, \qquad
        \bar\alpha_t = \tfrac12(\alpha_t + \alpha_{t-1})

    (Törnqvist average of the shares when they vary). The three log-difference terms
    add up to output growth exactly.

    References
    ----------
    Solow, R. M. (1957). Technical change and the aggregate production function.
    *Review of Economics and Statistics* 39(3), 312-320. doi:10.2307/1926047

    Hall, R. E. & Jones, C. I. (1999). Why do some countries produce so much more
    output per worker than others? *Quarterly Journal of Economics* 114(1), 83-116.
    doi:10.1162/003355399555954

    Examples
    --------
    >>> f = pd.DataFrame({"region": ["a", "a"], "year": [1, 2], "y": [100.0, 110.0],
    ...                   "k": [200.0, 200.0], "l": [50.0, 50.0]})
    >>> r = tfp(f, output="y", labour="l", capital="k", capital_share=0.4)
    >>> bool(abs(r.table["tfp_growth"].iloc[1] - np.log(1.1)) < 1e-12)
    True
    """
    if (capital is None) == (investment is None):
        raise SchemaError("give exactly one of `capital` (a stock) or `investment` (the "
                          "stock is then built by perpetual inventory)")
    if investment is not None and depreciation is None:
        raise SchemaError("`depreciation` is needed to build capital from investment "
                          "(e.g. 0.096 for Chinese provinces, Zhang et al. 2004)")
    share_col = capital_share if isinstance(capital_share, str) else None
    cols = [region, year, output, labour] + [c for c in (capital, investment, share_col) if c]
    check_columns(frame, cols, "tfp")
    if share_col is None:
        a = float(capital_share)
        if not 0 < a < 1:
            raise SchemaError(f"`capital_share` must be in (0, 1); got {capital_share}")
    f = frame[cols].copy()
    if f.duplicated([region, year]).any():
        d = f.loc[f.duplicated([region, year]), [region, year]].iloc[0]
        raise SchemaError(f"region {d[region]} has two rows for year {d[year]}")
    f = f.sort_values([region, year]).reset_index(drop=True)
    for c in cols[2:]:
        f[c] = pd.to_numeric(f[c], errors="coerce")
        if f[c].isna().any():
            bad = f.loc[f[c].isna(), [region, year]].iloc[0]
            raise SchemaError(f"column {c!r} is missing for region {bad[region]} in "
                              f"{bad[year]}; TFP needs complete series (never filled)")
    if investment is not None:
        ks = []
        for r, g in f.groupby(region, sort=False):
            yrs = g[year].to_numpy()
            if len(yrs) > 1 and (np.diff(yrs) != 1).any():
                raise SchemaError(f"region {r}: the perpetual inventory needs consecutive "
                                  f"years; got {yrs.tolist()}")
            init = None if initial_capital is None else initial_capital.get(r)
            ks.append(pd.Series(perpetual_inventory(g[investment].to_numpy(),
                                                    depreciation=float(depreciation),
                                                    initial=init, growth_years=growth_years),
                                index=g.index))
        f["capital"] = pd.concat(ks)
        kcol = "capital"
    else:
        kcol = capital
    alpha = f[share_col].to_numpy(float) if share_col else np.full(len(f), a)
    if ((alpha <= 0) | (alpha >= 1)).any():
        raise SchemaError(f"capital shares in {share_col!r} must lie in (0, 1)")
    Y, K, L = (f[c].to_numpy(float) for c in (output, kcol, labour))
    if (Y <= 0).any() or (K <= 0).any() or (L <= 0).any():
        raise SchemaError("output, capital and labour must be positive (logarithms)")
    ln_a = np.log(Y) - alpha * np.log(K) - (1 - alpha) * np.log(L)
    out = pd.DataFrame({"region": f[region], "year": f[year], "output": Y, "capital": K,
                        "labour": L, "capital_share": alpha, "ln_tfp": ln_a})
    same = (f[region].to_numpy()[1:] == f[region].to_numpy()[:-1])
    consecutive = same & (np.diff(f[year].to_numpy()) == 1)
    prev = np.r_[False, consecutive]
    dy = np.r_[np.nan, np.diff(np.log(Y))]
    dk = np.r_[np.nan, np.diff(np.log(K))]
    dl = np.r_[np.nan, np.diff(np.log(L))]
    abar = np.r_[np.nan, 0.5 * (alpha[1:] + alpha[:-1])]
    out["output_growth"] = np.where(prev, dy, np.nan)
    out["capital_contribution"] = np.where(prev, abar * dk, np.nan)
    out["labour_contribution"] = np.where(prev, (1 - abar) * dl, np.nan)
    out["tfp_growth"] = (out["output_growth"] - out["capital_contribution"]
                         - out["labour_contribution"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["tfp_share"] = out["tfp_growth"] / out["output_growth"]
    return TFPResult(table=out, depreciation=depreciation)
