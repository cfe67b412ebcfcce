"""Growth of regions and industries: shift-share, growth rates, specialisation changes,
location-quotient quadrants and regional convergence.

Every function here needs at least two years: a long frame with ``year=``, or a 3-D
array (years x regions x industries, years numbered 0, 1, ...).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, stats

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures._core import location_quotient_array
from agglomera.measures._input import RegionIndustry, as_region_industry
from agglomera.measures._input import check_choice as _choice
from agglomera.measures._registry import (
    PERMUTATION_EQUIVARIANT,
    SCALE_INVARIANT,
    register,
)

__all__ = [
    "ConvergenceResult",
    "ShiftShareResult",
    "convergence",
    "growth_rates",
    "lq_growth_quadrants",
    "shift_share",
    "specialisation_changes",
]

SHIFT_SHARE_METHODS = ("classic", "esteban_marquillas", "arcelus", "dynamic")
GROWTH_KINDS = ("total", "annual", "cagr")
GROWTH_BY = ("cell", "region", "industry", "total")
CONVERGENCE_MISSING = ("warn", "raise", "drop")
QUADRANTS = ("star", "mature", "emerging", "transforming")

COMPONENTS = {
    "classic": ("national_share", "industry_mix", "regional_shift"),
    "dynamic": ("national_share", "industry_mix", "regional_shift"),
    "esteban_marquillas": (
        "national_share",
        "industry_mix",
        "competitive_effect",
        "allocation_effect",
    ),
    "arcelus": (
        "national_share",
        "industry_mix",
        "regional_growth",
        "regional_growth_allocation",
        "regional_industry_mix",
        "regional_industry_mix_allocation",
    ),
}



def _panel(data, region, industry, value, year, missing, func: str) -> RegionIndustry:
    ri = as_region_industry(
        data, region=region, industry=industry, value=value, year=year, missing=missing
    )
    if not ri.is_panel or ri.values.shape[0] < 2:
        raise SchemaError(
            f"{func} needs values for at least two years: a long frame with "
            "year= naming its year column, or a 3-D array (years x regions "
            "x industries)"
        )
    return ri


def _year_positions(years: pd.Index, start, end) -> tuple[int, int]:
    pos = []
    for name, label, default in (("start", start, 0), ("end", end, len(years) - 1)):
        if label is None:
            pos.append(default)
            continue
        try:
            pos.append(int(years.get_loc(label)))
        except KeyError:
            raise SchemaError(
                f"`{name}` year {label!r} is not in the data; years are "
                f"{', '.join(map(str, years))}"
            ) from None
    if pos[0] >= pos[1]:
        raise SchemaError(
            f"`start` ({years[pos[0]]!r}) must come before `end` ({years[pos[1]]!r})"
        )
    return pos[0], pos[1]


def _rate(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """new / old - 1, NaN where old is not positive."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(old > 0, new / np.where(old > 0, old, 1.0) - 1.0, np.nan)


# ---- shift-share --------------------------------------------------------------------
@dataclass(frozen=True)
class ShiftShareResult:
    """Shift-share decomposition of the change between two years.

    ``cells`` has one row per (region, industry) and ``totals`` one per region; both
    have one column per component plus ``change`` (end minus start value), and the
    components add up to ``change``. ``totals`` also has ``growth``, the region's
    growth rate. ``reference_growth`` is the reference economy's growth rate G.
    """

    cells: pd.DataFrame
    totals: pd.DataFrame
    components: tuple[str, ...]
    method: str
    start: object
    end: object
    reference: object
    reference_growth: float

    def to_frame(self) -> pd.DataFrame:
        """Long frame: region, industry, one column per component, change."""
        return self.cells.reset_index()


def _ss_classic(x0, x1, n0, n1):
    g = n1.sum() / n0.sum() - 1.0
    gi = _rate(n1, n0)
    ns = x0 * g
    with np.errstate(invalid="ignore"):
        im = np.where(x0 > 0, x0 * (gi - g), 0.0)
    rs = (x1 - x0) - ns - im
    return {"national_share": ns, "industry_mix": im, "regional_shift": rs}, g


def _rate_gap(x0, x1, gi) -> tuple[np.ndarray, int]:
    """g_ri - G_i, 0 where a cell is zero in both years, NaN where it enters from 0."""
    gri = _rate(x1, x0)
    gap = gri - gi
    gap = np.where((x0 == 0) & (x1 == 0), 0.0, gap)
    return gap, int(((x0 == 0) & (x1 > 0)).sum())


def _ss_homothetic(x0, x1, n0, n1, method):
    comps, g = _ss_classic(x0, x1, n0, n1)
    gi = _rate(n1, n0)
    xstar = x0.sum(axis=1, keepdims=True) * (n0 / n0.sum())
    gap, entries = _rate_gap(x0, x1, gi)
    if entries:
        warnings.warn(
            f"{entries} region x industry cell(s) grow from zero, where the "
            f"{method} split of the regional shift is undefined; their split "
            "components are NaN (the classic components are still defined)",
            MissingValueWarning,
            stacklevel=3,
        )
    out = {
        "national_share": comps["national_share"],
        "industry_mix": comps["industry_mix"],
    }
    if method == "esteban_marquillas":
        out["competitive_effect"] = xstar * gap
        out["allocation_effect"] = (x0 - xstar) * gap
        return out, g
    gr = _rate(x1.sum(axis=1, keepdims=True), x0.sum(axis=1, keepdims=True))
    rg = gr - g
    rim = gap - rg
    out["regional_growth"] = xstar * rg
    out["regional_growth_allocation"] = (x0 - xstar) * rg
    out["regional_industry_mix"] = xstar * rim
    out["regional_industry_mix_allocation"] = (x0 - xstar) * rim
    return out, g


def _ss_dynamic(x, n):
    """Annual classic components summed over consecutive years; x (T, R, I), n (T, I)."""
    g = n[1:].sum(axis=1) / n[:-1].sum(axis=1) - 1.0  # (T-1,)
    gi = _rate(n[1:], n[:-1])  # (T-1, I)
    ns = np.tensordot(g, x[:-1], axes=(0, 0))
    mix = np.nan_to_num(gi - g[:, None], nan=0.0)
    im = np.einsum("tri,ti->ri", x[:-1], mix)
    bad = ((x[:-1] > 0) & np.isnan(gi)[:, None, :]).any(axis=0)
    im[bad] = np.nan
    rs = (x[-1] - x[0]) - ns - im
    total_g = n[-1].sum() / n[0].sum() - 1.0
    return {"national_share": ns, "industry_mix": im, "regional_shift": rs}, total_g


@register(PERMUTATION_EQUIVARIANT, kind="result")
def shift_share(
    data: object,
    /,
    *,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    start: object = None,
    end: object = None,
    reference: object = None,
    method: str = "classic",
    missing: str = "warn",
) -> ShiftShareResult:
    r"""Shift-share decomposition of regional change (偏离-份额分析).

    Splits the change of each region's value in each industry between ``start`` and
    ``end`` into the part explained by the growth of the reference economy, by the
    industry's own growth there, and by the region's competitive performance, with the
    Esteban-Marquillas, Arcelus and dynamic (Barff-Knight) refinements.

    Parameters
    ----------
    data : DataFrame or ndarray
        A long panel (``region``, ``industry``, ``value``, ``year`` columns) or a 3-D
        array (years x regions x industries).
    region, industry, value, year : str, optional
        Column names of a long frame.
    start, end : year label, optional
        The two years compared (default: first and last year in the data).
    reference : region label, optional
        The region holding the reference (e.g. national) totals, for instance
        ``"100000"``; it is excluded from the analysed regions. Default: the reference
        economy is the sum of all regions in the data (each region included).
    method : {"classic", "esteban_marquillas", "arcelus", "dynamic"}
        Decomposition (see Notes).
    missing : {"warn", "zero", "raise", "propagate"}
        What to do with missing cells.

    Returns
    -------
    ShiftShareResult
        ``cells`` (per region x industry), ``totals`` (per region), ``components``,
        ``method``, ``start``, ``end``, ``reference``, ``reference_growth``.

    Raises
    ------
    SchemaError
        For data with fewer than two years, unknown ``start``/``end``/``reference``
        labels, ``start`` not before ``end``, an unknown ``method``, or a reference
        economy with zero total at a compared year.

    Warns
    -----
    MissingValueWarning
        For Esteban-Marquillas and Arcelus, when cells grow from zero (their split is
        undefined and set to NaN).

    Notes
    -----
    Let :math:`x_{ri}^0, x_{ri}^1` be region :math:`r`'s value in industry :math:`i` at
    start and end, :math:`X_i^0, X_i^1` the reference economy's, :math:`X^0, X^1` its
    totals, :math:`x_r^0, x_r^1` the region's totals, and the growth rates
    :math:`G = X^1/X^0 - 1`, :math:`G_i = X_i^1/X_i^0 - 1`,
    :math:`g_r = x_r^1/x_r^0 - 1`, :math:`g_{ri} = x_{ri}^1/x_{ri}^0 - 1`.

    *classic* (Dunn 1960; Perloff et al. 1960):

    .. math::

        x_{ri}^1 - x_{ri}^0 = \underbrace{x_{ri}^0 G}_{NS}
        + \underbrace{x_{ri}^0 (G_i - G)}_{IM}
        + \underbrace{x_{ri}^0 (g_{ri} - G_i)}_{RS}.

    *esteban_marquillas* (1972) splits RS with the homothetic value
    :math:`\hat x_{ri}^0 = x_r^0 X_i^0 / X^0` (the region's size with the reference
    structure) into the competitive effect :math:`\hat x_{ri}^0 (g_{ri} - G_i)` and the
    allocation effect :math:`(x_{ri}^0 - \hat x_{ri}^0)(g_{ri} - G_i)`.

    *arcelus* (1984) splits RS into a regional growth effect
    :math:`x_{ri}^0 (g_r - G)` and a regional industry-mix effect
    :math:`x_{ri}^0 [(g_{ri} - g_r) - (G_i - G)]`, each again into a homothetic part
    (``regional_growth``, ``regional_industry_mix``, with :math:`\hat x_{ri}^0`) and an
    allocation part (with :math:`x_{ri}^0 - \hat x_{ri}^0`). The two homothetic parts
    add up to the Esteban-Marquillas competitive effect, the two allocation parts to
    its allocation effect.

    *dynamic* (Barff & Knight 1988) computes the classic decomposition for every pair of
    consecutive years from ``start`` to ``end`` and sums each component; NS uses each
    year's :math:`G_t`.

    ``RS`` is computed as :math:`(x^1 - x^0) - NS - IM`, so the components add up to the
    change exactly, also for cells that are zero at the start. Where both years are zero
    the split effects are zero; where a cell grows from zero the split effects are NaN
    (a growth rate from zero is undefined) and a warning says how many.

    References
    ----------
    .. [1] Dunn, E. S. Jr. (1960). A statistical and analytical technique for regional
       analysis. *Papers and Proceedings of the Regional Science Association* 6,
       97-112.
    .. [2] Esteban-Marquillas, J. M. (1972). A reinterpretation of shift-share analysis.
       *Regional and Urban Economics* 2(3), 249-255.
    .. [3] Arcelus, F. J. (1984). An extension of shift-share analysis. *Growth and
       Change* 15(1), 3-8.
    .. [4] Barff, R. A., & Knight, P. L. III (1988). Dynamic shift-share analysis.
       *Growth and Change* 19(2), 1-10.

    Examples
    --------
    Three regions, four industries; the reference is their sum (example data of
    Farhauer & Kröll 2013, as used in the REAT documentation):

    >>> x = np.array([[[90, 20, 10, 60], [60, 30, 30, 40], [250, 100, 110, 300]],
    ...               [[100, 40, 10, 55], [85, 55, 40, 35], [255, 115, 85, 390]]])
    >>> res = shift_share(x)
    >>> round(res.reference_growth, 12)
    0.15
    >>> res.totals.round(6)  # doctest: +NORMALIZE_WHITESPACE
            national_share  industry_mix  regional_shift  change    growth
    region
    0                 27.0           1.0            -3.0    25.0  0.138889
    1                 24.0          -1.0            32.0    55.0  0.343750
    2                114.0           0.0           -29.0    85.0  0.111842
    """
    _choice("method", method, SHIFT_SHARE_METHODS)
    ri = _panel(data, region, industry, value, year, missing, "shift_share")
    s, e = _year_positions(ri.years, start, end)
    x = ri.values
    regions = ri.regions
    if reference is None:
        n = x.sum(axis=1)
    else:
        pos = ri.region_position(reference)
        n = x[:, pos, :]
        keep = np.ones(len(regions), dtype=bool)
        keep[pos] = False
        x = x[:, keep, :]
        regions = regions[keep]
        if len(regions) == 0:
            raise SchemaError("no region is left to analyse besides the reference")
    for t in (s, e) if method != "dynamic" else range(s, e + 1):
        if not n[t].sum() > 0:
            raise SchemaError(
                f"the reference economy has a zero total in {ri.years[t]!r}; "
                "growth rates against it are undefined"
            )
    if method == "dynamic":
        comps, g = _ss_dynamic(x[s : e + 1], n[s : e + 1])
    elif method == "classic":
        comps, g = _ss_classic(x[s], x[e], n[s], n[e])
    else:
        comps, g = _ss_homothetic(x[s], x[e], n[s], n[e], method)
    change = x[e] - x[s]
    names = COMPONENTS[method]
    idx = pd.MultiIndex.from_product(
        [regions, ri.industries], names=[regions.name, ri.industries.name]
    )
    cells = pd.DataFrame({k: comps[k].reshape(-1) for k in names}, index=idx)
    cells["change"] = change.reshape(-1)
    totals = pd.DataFrame(
        {k: comps[k].sum(axis=1) for k in names},
        index=pd.Index(regions, name=regions.name),
    )
    totals["change"] = change.sum(axis=1)
    totals["growth"] = _rate(x[e].sum(axis=1), x[s].sum(axis=1))
    return ShiftShareResult(
        cells, totals, names, method, ri.years[s], ri.years[e], reference, float(g)
    )


# ---- growth rates ---------------------------------------------------------------------
def _numeric_span(ri: RegionIndustry, s: int, e: int) -> float:
    try:
        span = float(ri.years[e]) - float(ri.years[s])
    except (TypeError, ValueError):
        raise SchemaError(
            "kind='cagr' needs numeric year labels to count the years "
            f"between {ri.years[s]!r} and {ri.years[e]!r}"
        ) from None
    return span


@register(kind="panel")
def growth_rates(
    data: object,
    /,
    *,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    start: object = None,
    end: object = None,
    kind: str = "total",
    by: str = "cell",
    missing: str = "warn",
):
    r"""Growth rates between two years, or year on year (增长率).

    Parameters
    ----------
    data : DataFrame or ndarray
        A long panel or a 3-D array (years x regions x industries).
    region, industry, value, year : str, optional
        Column names of a long frame.
    start, end : year label, optional
        First and last year (default: first and last in the data).
    kind : {"total", "annual", "cagr"}
        ``"total"``: growth over the whole period; ``"cagr"``: compound annual growth
        rate (needs numeric year labels); ``"annual"``: one rate per year from the
        previous year in the data, labelled by the later year.
    by : {"cell", "region", "industry", "total"}
        Growth of each region x industry cell (default), of region totals, of industry
        totals, or of the grand total.
    missing : {"warn", "zero", "raise", "propagate"}
        What to do with missing cells.

    Returns
    -------
    DataFrame, Series, ndarray or float
        For a long frame: ``by="cell"`` a long frame (region, industry, [year],
        ``growth``); ``"region"``/``"industry"`` a Series (index (year, label) for
        ``"annual"``); ``"total"`` a float (a Series by year for ``"annual"``). For an
        array: arrays of the same layout ((years,) + shape for ``"annual"``).

    Raises
    ------
    SchemaError
        For fewer than two years, unknown years or options, or ``"cagr"`` with
        non-numeric years.

    Notes
    -----
    .. math::

        g^{total} = \frac{x_{end}}{x_{start}} - 1, \qquad
        g^{cagr} = \left(\frac{x_{end}}{x_{start}}\right)^{1/(end - start)} - 1,
        \qquad g^{annual}_t = \frac{x_t}{x_{t-1}} - 1,

    where :math:`x` is the cell, region, industry or grand total. A rate from a
    non-positive start value is NaN (undefined), never infinite.

    References
    ----------
    .. [1] OECD (2001). *Measuring Productivity: OECD Manual*. Paris: OECD Publishing.
       Annex on growth-rate formulas. doi:10.1787/9789264194519-en

    Examples
    --------
    >>> x = np.array([[[100.0, 50.0]], [[110.0, 50.0]], [[121.0, 40.0]]])
    >>> growth_rates(x).round(4)
    array([[ 0.21, -0.2 ]])
    >>> growth_rates(x, kind="cagr").round(4)
    array([[ 0.1   , -0.1056]])
    >>> round(growth_rates(x, by="total"), 6)
    0.073333
    """
    _choice("kind", kind, GROWTH_KINDS)
    _choice("by", by, GROWTH_BY)
    ri = _panel(data, region, industry, value, year, missing, "growth_rates")
    s, e = _year_positions(ri.years, start, end)
    x = ri.values[s : e + 1]
    if by == "region":
        x = x.sum(axis=2)
    elif by == "industry":
        x = x.sum(axis=1)
    elif by == "total":
        x = x.sum(axis=(1, 2))
    if kind == "annual":
        out = _rate(x[1:], x[:-1])
        years = ri.years[s + 1 : e + 1]
    else:
        out = _rate(x[-1], x[0])
        if kind == "cagr":
            with np.errstate(invalid="ignore"):
                out = np.power(1.0 + out, 1.0 / _numeric_span(ri, s, e)) - 1.0
        years = None
    return _growth_output(ri, out, by, years)


def _growth_output(ri: RegionIndustry, out, by: str, years):
    region, industry, _, year = ri.names
    if by == "total":
        if years is None:
            return float(out)
        return (
            out if ri.shape == "array" else pd.Series(out, index=years, name="growth")
        )
    if ri.shape == "array":
        return out
    if by in ("region", "industry"):
        labels = ri.regions if by == "region" else ri.industries
        if years is None:
            return pd.Series(out, index=labels, name="growth")
        idx = pd.MultiIndex.from_product([years, labels], names=[year, labels.name])
        return pd.Series(out.reshape(-1), index=idx, name="growth")
    r, i = np.meshgrid(
        np.arange(len(ri.regions)), np.arange(len(ri.industries)), indexing="ij"
    )
    if years is None:
        return pd.DataFrame(
            {
                region: ri.regions[r.ravel()],
                industry: ri.industries[i.ravel()],
                "growth": out.reshape(-1),
            }
        )
    nt = len(years)
    return pd.DataFrame(
        {
            year: np.repeat(np.asarray(years), r.size),
            region: np.tile(ri.regions[r.ravel()], nt),
            industry: np.tile(ri.industries[i.ravel()], nt),
            "growth": out.reshape(-1),
        }
    )


# ---- specialisation changes and LQ quadrants ---------------------------------------------
def _lq_pair(ri: RegionIndustry, s: int, e: int) -> tuple[np.ndarray, np.ndarray]:
    lq = location_quotient_array(ri.values[[s, e]])
    return lq[0], lq[1]


def _cell_frame(
    ri: RegionIndustry, mask: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    region, industry = ri.names[0], ri.names[1]
    r, i = (
        np.nonzero(mask)
        if mask is not None
        else np.indices((len(ri.regions), len(ri.industries))).reshape(2, -1)
    )
    return pd.DataFrame({region: ri.regions[r], industry: ri.industries[i]}), r, i


@register(SCALE_INVARIANT, kind="panel")
def specialisation_changes(
    data: object,
    /,
    *,
    threshold: float = 1.0,
    inclusive: bool = True,
    start: object = None,
    end: object = None,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    missing: str = "warn",
) -> pd.DataFrame:
    r"""Specialisations gained and lost between two years (专业化部门的进入与退出).

    A region is specialised in an industry when its location quotient reaches the
    threshold. This lists every region x industry whose status changed: ``"entry"``
    (not specialised at ``start``, specialised at ``end``) and ``"exit"`` (the reverse).

    Parameters
    ----------
    data : DataFrame or ndarray
        A long panel or a 3-D array (years x regions x industries).
    threshold : float, default 1.0
        Location-quotient threshold of specialisation.
    inclusive : bool, default True
        ``True``: specialised when :math:`LQ \ge` threshold; ``False``: when
        :math:`LQ >` threshold.
    start, end : year label, optional
        Years compared (default: first and last).
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "zero", "raise", "propagate"}
        What to do with missing cells.

    Returns
    -------
    DataFrame
        Columns region, industry, ``lq_start``, ``lq_end``, ``status`` (categorical,
        "entry" or "exit"), in the data's region and industry order.

    Raises
    ------
    SchemaError
        For fewer than two years, unknown years, or a threshold that is not a positive
        number.

    Notes
    -----
    :math:`LQ_{ri} = (x_{ri}/x_r)/(x_i/x)` against the total of all regions in the data
    (each region included), computed in each year separately. A cell whose LQ is
    undefined (empty region or industry) in either year is never listed.

    References
    ----------
    .. [1] Isard, W. (1960). *Methods of Regional Analysis: An Introduction to Regional
       Science*. Cambridge, MA: MIT Press. Chapter 7.

    Examples
    --------
    >>> x = np.array([[[10.0, 10.0], [10.0, 10.0]], [[15.0, 5.0], [10.0, 10.0]]])
    >>> specialisation_changes(x).round(4)
       region  industry  lq_start  lq_end status
    0       0         1       1.0  0.6667   exit
    1       1         0       1.0  0.8000   exit
    >>> specialisation_changes(x, inclusive=False).round(4)
       region  industry  lq_start  lq_end status
    0       0         0       1.0  1.2000  entry
    1       1         1       1.0  1.3333  entry
    """
    if not (
        isinstance(threshold, (int, float, np.number))
        and np.isfinite(threshold)
        and threshold > 0
    ):
        raise SchemaError(f"`threshold` must be a positive number; got {threshold!r}")
    ri = _panel(data, region, industry, value, year, missing, "specialisation_changes")
    s, e = _year_positions(ri.years, start, end)
    lq0, lq1 = _lq_pair(ri, s, e)
    with np.errstate(invalid="ignore"):
        spec0 = lq0 >= threshold if inclusive else lq0 > threshold
        spec1 = lq1 >= threshold if inclusive else lq1 > threshold
    valid = np.isfinite(lq0) & np.isfinite(lq1)
    changed = valid & (spec0 != spec1)
    frame, r, i = _cell_frame(ri, changed)
    frame["lq_start"] = lq0[r, i]
    frame["lq_end"] = lq1[r, i]
    frame["status"] = pd.Categorical.from_codes(
        np.where(spec1[r, i], 0, 1), categories=["entry", "exit"]
    )
    return frame


@register(kind="panel")
def lq_growth_quadrants(
    data: object,
    /,
    *,
    start: object = None,
    end: object = None,
    threshold: float = 1.0,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    missing: str = "warn",
) -> pd.DataFrame:
    r"""Classify each region x industry by location quotient and its change (LQ 象限).

    The four quadrants of the economic-development "bubble chart": the location quotient
    at ``end`` on the vertical axis (split at ``threshold``), its change from ``start`` to
    ``end`` on the horizontal axis (split at 0):

    * ``"star"``: :math:`LQ_{end} \ge` threshold and LQ growing (strong and advancing);
    * ``"mature"``: :math:`LQ_{end} \ge` threshold and LQ not growing (strong, declining);
    * ``"emerging"``: :math:`LQ_{end} <` threshold and LQ growing;
    * ``"transforming"``: :math:`LQ_{end} <` threshold and LQ not growing.

    Parameters
    ----------
    data : DataFrame or ndarray
        A long panel or a 3-D array (years x regions x industries).
    start, end : year label, optional
        Years compared (default: first and last).
    threshold : float, default 1.0
        LQ level separating specialised from not specialised (inclusive).
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "zero", "raise", "propagate"}
        What to do with missing cells.

    Returns
    -------
    DataFrame
        Columns region, industry, ``lq_start``, ``lq_end``, ``lq_change`` and
        ``quadrant`` (categorical; missing where the LQ is undefined).

    Raises
    ------
    SchemaError
        For fewer than two years, unknown years or a non-positive threshold.

    Notes
    -----
    :math:`\Delta LQ_{ri} = LQ_{ri}^{end} - LQ_{ri}^{start}`; "growing" means
    :math:`\Delta LQ > 0` (an unchanged LQ counts as not growing). LQs are computed in
    each year against the total of all regions in the data. This follows the cluster
    bubble charts of the Indiana Business Research Center / Purdue Center for Regional
    Development (2007) used by the U.S. EDA and StatsAmerica; REAT's ``locq.growth``
    draws a related portfolio matrix with LQ against regional growth instead.

    References
    ----------
    .. [1] Indiana Business Research Center, Purdue Center for Regional Development,
       et al. (2007). *Unlocking Rural Competitiveness: The Role of Regional Clusters*.
       Report to the U.S. Economic Development Administration. Bloomington: Indiana
       University Kelley School of Business.

    Examples
    --------
    >>> x = np.array([[[10.0, 10.0], [10.0, 10.0]], [[15.0, 5.0], [10.0, 10.0]]])
    >>> lq_growth_quadrants(x)[["region", "industry", "lq_end", "quadrant"]].round(4)
       region  industry  lq_end      quadrant
    0       0         0  1.2000          star
    1       0         1  0.6667  transforming
    2       1         0  0.8000  transforming
    3       1         1  1.3333          star
    """
    if not (
        isinstance(threshold, (int, float, np.number))
        and np.isfinite(threshold)
        and threshold > 0
    ):
        raise SchemaError(f"`threshold` must be a positive number; got {threshold!r}")
    ri = _panel(data, region, industry, value, year, missing, "lq_growth_quadrants")
    s, e = _year_positions(ri.years, start, end)
    lq0, lq1 = _lq_pair(ri, s, e)
    change = lq1 - lq0
    high = lq1 >= threshold
    up = change > 0
    code = np.where(high, np.where(up, 0, 1), np.where(up, 2, 3))
    code = np.where(np.isfinite(lq0) & np.isfinite(lq1), code, -1)
    frame, _, _ = _cell_frame(ri)
    frame["lq_start"] = lq0.reshape(-1)
    frame["lq_end"] = lq1.reshape(-1)
    frame["lq_change"] = change.reshape(-1)
    frame["quadrant"] = pd.Categorical.from_codes(
        code.reshape(-1), categories=QUADRANTS
    )
    return frame


# ---- convergence --------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvergenceResult:
    r"""Beta and sigma convergence of a regional variable (e.g. GDP per capita).

    ``beta`` is the OLS slope of annualised log growth on the log initial level (negative:
    convergence), with ``beta_se``, ``beta_t``, ``beta_pvalue`` (two-sided), ``alpha``,
    ``r2``, ``n`` regions and ``periods`` (years between start and end); ``speed`` is
    the implied speed :math:`\lambda` and ``half_life`` :math:`\ln 2/\lambda`.
    ``sigma`` is the standard deviation of the log values by year, ``sigma_trend`` its
    OLS slope on the year and ``sigma_trend_pvalue`` its p-value.
    ``conditional_coefficients`` holds the other regressors' estimates (or None).
    """

    beta: float
    beta_se: float
    beta_t: float
    beta_pvalue: float
    alpha: float
    r2: float
    n: int
    periods: float
    speed: float
    half_life: float
    sigma: pd.Series
    sigma_trend: float
    sigma_trend_pvalue: float
    start: object
    end: object
    conditional_coefficients: pd.DataFrame | None = field(default=None)

    def to_frame(self) -> pd.DataFrame:
        """One row: start, end and every scalar statistic."""
        names = (
            "beta",
            "beta_se",
            "beta_t",
            "beta_pvalue",
            "alpha",
            "r2",
            "n",
            "periods",
            "speed",
            "half_life",
            "sigma_trend",
            "sigma_trend_pvalue",
        )
        row = {"start": self.start, "end": self.end}
        row.update({k: getattr(self, k) for k in names})
        return pd.DataFrame([row])


def _region_year_table(values, region, year, value) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame) and (region or year or value):
        ri = as_region_industry(
            values,
            region=region,
            industry=year,
            value=value,
            missing="propagate",
            allow_negative=True,
            what="values",
        )
        table = pd.DataFrame(ri.values[0], index=ri.regions, columns=ri.industries)
    elif isinstance(values, pd.DataFrame):
        ri = as_region_industry(
            values, missing="propagate", allow_negative=True, what="values"
        )
        table = pd.DataFrame(ri.values[0], index=ri.regions, columns=ri.industries)
    else:
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 2:
            raise SchemaError(
                "values must be a region x year table: a 2-D array, a wide "
                "frame (index regions, columns years) or a long frame with "
                f"region=, year=, value=; got {arr.ndim} dimension(s)"
            )
        ri = as_region_industry(
            arr, missing="propagate", allow_negative=True, what="values"
        )
        table = pd.DataFrame(
            ri.values[0],
            index=pd.RangeIndex(arr.shape[0], name="region"),
            columns=pd.RangeIndex(arr.shape[1], name="year"),
        )
    try:
        table = table.sort_index(axis=1)
    except TypeError:
        pass
    if table.shape[1] < 2:
        raise SchemaError("convergence needs values for at least two years")
    return table


def _ols(y: np.ndarray, x: np.ndarray):
    coef, _, rank, _ = linalg.lstsq(x, y)
    n, k = x.shape
    if rank < k or n <= k:
        raise SchemaError(
            f"the convergence regression cannot be estimated: {n} regions "
            f"for {k} coefficients (rank {rank})"
        )
    resid = y - x @ coef
    dof = n - k
    s2 = resid @ resid / dof
    cov = s2 * linalg.inv(x.T @ x)
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef / se
    p = 2.0 * stats.t.sf(np.abs(t), dof)
    tss = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - (resid @ resid) / tss if tss > 0 else np.nan
    return coef, se, t, p, float(r2)


@register(kind="result")
def convergence(
    values: object,
    /,
    *,
    region: str | None = None,
    year: str | None = None,
    value: str | None = None,
    start: object = None,
    end: object = None,
    conditional: object = None,
    missing: str = "warn",
) -> ConvergenceResult:
    r"""Beta and sigma convergence across regions (β 收敛与 σ 收敛).

    Do poorer regions grow faster (beta convergence), and does the dispersion of the
    variable shrink over time (sigma convergence)?

    Parameters
    ----------
    values : DataFrame or ndarray
        A region x year table: a wide frame (index regions, columns years), a long frame
        with ``region``, ``year`` and ``value`` columns, or a 2-D array (regions x years,
        years numbered 0, 1, ...). Values must be positive (e.g. GDP per capita).
    region, year, value : str, optional
        Column names of a long frame.
    start, end : year label, optional
        Initial and final years (default: first and last). Year labels must be numeric.
    conditional : DataFrame or ndarray, optional
        Extra regressors for conditional beta convergence: a frame indexed by region
        (aligned on the regions) or an array with one row per region in data order.
    missing : {"warn", "raise", "drop"}
        Regions whose start or end value is missing or not positive are dropped with a
        warning (default), dropped silently, or refused. Filling with zero is not offered:
        the logarithm of zero is undefined.

    Returns
    -------
    ConvergenceResult
        See :class:`ConvergenceResult`.

    Raises
    ------
    SchemaError
        For non-numeric years, unknown years, fewer than three usable regions, bad
        ``conditional`` shapes or unknown options.

    Notes
    -----
    With :math:`T = end - start` and :math:`y_{r,t}` the value of region :math:`r`,
    beta convergence is the OLS regression (Barro & Sala-i-Martin 1992, eq. 1 linearised)

    .. math::

        \frac{1}{T}\ln\frac{y_{r,end}}{y_{r,start}} = \alpha + \beta \ln y_{r,start}
        + \gamma' z_r + \varepsilon_r,

    with the conditioning variables :math:`z_r` when given. Since
    :math:`\beta = -(1 - e^{-\lambda T})/T`, the speed of convergence and the half-life
    are

    .. math::

        \lambda = -\frac{\ln(1 + \beta T)}{T}, \qquad H = \frac{\ln 2}{\lambda},

    with :math:`\lambda` NaN when :math:`1 + \beta T \le 0` and :math:`H` NaN unless
    :math:`\lambda > 0`. Sigma convergence is
    :math:`\sigma_t = \operatorname{sd}_r(\ln y_{r,t})` (population standard deviation,
    ``ddof=0``) over the regions of the beta sample for every year from start to end;
    ``sigma_trend`` is the OLS slope of :math:`\sigma_t` on :math:`t` (negative:
    convergence), with its two-sided p-value (NaN with only two years).

    References
    ----------
    .. [1] Barro, R. J., & Sala-i-Martin, X. (1992). Convergence. *Journal of Political
       Economy* 100(2), 223-251. doi:10.1086/261816
    .. [2] Young, A. T., Higgins, M. J., & Levy, D. (2008). Sigma convergence versus
       beta convergence: evidence from U.S. county-level data. *Journal of Money, Credit
       and Banking* 40(5), 1083-1093. doi:10.1111/j.1538-4616.2008.00148.x

    Examples
    --------
    Poor regions double, rich ones grow by half, over ten years:

    >>> v = pd.DataFrame({2000: [1.0, 1.0, 4.0, 4.0], 2010: [2.0, 2.0, 6.0, 6.0]},
    ...                  index=["a", "b", "c", "d"])
    >>> res = convergence(v)
    >>> round(res.beta, 6), round(res.r2, 6)
    (-0.020752, 1.0)
    >>> round(res.speed, 6), round(res.half_life, 3)
    (0.023259, 29.802)
    """
    _choice("missing", missing, CONVERGENCE_MISSING)
    table = _region_year_table(values, region, year, value)
    years = table.columns
    s, e = _year_positions(years, start, end)
    try:
        span = float(years[e]) - float(years[s])
        yr_num = np.asarray(years[s : e + 1], dtype=float)
    except (TypeError, ValueError):
        raise SchemaError(
            "convergence needs numeric year labels to count the years "
            f"between {years[s]!r} and {years[e]!r}"
        ) from None
    v = table.to_numpy()
    ok = np.isfinite(v[:, s]) & np.isfinite(v[:, e]) & (v[:, s] > 0) & (v[:, e] > 0)
    if not ok.all():
        bad = int((~ok).sum())
        msg = (
            f"{bad} region(s) have a missing or non-positive value at the start or end "
            "year"
        )
        if missing == "raise":
            raise SchemaError(msg + "; pass missing='drop' to leave them out")
        if missing == "warn":
            warnings.warn(
                msg + " and are left out; pass missing='drop' to accept this silently",
                MissingValueWarning,
                stacklevel=2,
            )
    x0 = np.log(v[ok, s])
    y = (np.log(v[ok, e]) - x0) / span
    design = [np.ones_like(x0), x0]
    cond_names: list[str] = []
    if conditional is not None:
        if isinstance(conditional, (pd.DataFrame, pd.Series)):
            c = (
                conditional.to_frame()
                if isinstance(conditional, pd.Series)
                else conditional
            )
            missing_regions = table.index.difference(c.index)
            if len(missing_regions):
                raise SchemaError(
                    f"`conditional` lacks {len(missing_regions)} region(s), "
                    f"e.g. {missing_regions[0]!r}"
                )
            c = c.loc[table.index]
            cond_names = [str(k) for k in c.columns]
            carr = c.to_numpy(dtype=float)
        else:
            carr = np.asarray(conditional, dtype=float)
            carr = carr[:, None] if carr.ndim == 1 else carr
            if carr.ndim != 2 or carr.shape[0] != len(table):
                raise SchemaError(
                    f"`conditional` must have one row per region "
                    f"({len(table)}); got shape {carr.shape}"
                )
            cond_names = [f"z{k}" for k in range(carr.shape[1])]
        carr = carr[ok]
        if not np.isfinite(carr).all():
            raise SchemaError("`conditional` contains missing or infinite values")
        design.extend(carr.T)
    xmat = np.column_stack(design)
    if len(y) < xmat.shape[1] + 1:
        raise SchemaError(
            f"convergence needs more regions than coefficients; "
            f"{len(y)} usable region(s) for {xmat.shape[1]} coefficients"
        )
    coef, se, t, p, r2 = _ols(y, xmat)
    beta = float(coef[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = float(-np.log1p(beta * span) / span) if 1 + beta * span > 0 else np.nan
        half = float(np.log(2) / speed) if speed > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(v[ok, s : e + 1] > 0, v[ok, s : e + 1], np.nan))
    sig = np.nanstd(logs, axis=0)
    sigma = pd.Series(sig, index=years[s : e + 1], name="sigma")
    if len(sig) >= 3:
        lr = stats.linregress(yr_num, sig)
        trend, trend_p = float(lr.slope), float(lr.pvalue)
    else:
        trend, trend_p = float((sig[-1] - sig[0]) / span), np.nan
    cond = None
    if cond_names:
        cond = pd.DataFrame(
            {"estimate": coef[2:], "se": se[2:], "t": t[2:], "pvalue": p[2:]},
            index=pd.Index(cond_names, name="term"),
        )
    return ConvergenceResult(
        beta,
        float(se[1]),
        float(t[1]),
        float(p[1]),
        float(coef[0]),
        r2,
        len(y),
        span,
        speed,
        half,
        sigma,
        trend,
        trend_p,
        years[s],
        years[e],
        cond,
    )
