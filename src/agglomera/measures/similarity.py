"""Structural similarity between regions: do neighbours duplicate each other?

Pairwise comparisons of the industry structures of all regions (产业结构相似系数), a
permutation test against chance, and the overlap of the regions' leading industries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from agglomera.errors import SchemaError
from agglomera.measures._core import location_quotient_array, shares_within_region
from agglomera.measures._input import RegionIndustry, as_region_industry
from agglomera.measures._input import check_choice as _choice
from agglomera.measures._registry import (
    PERMUTATION_EQUIVARIANT,
    SCALE_INVARIANT,
    register,
)

__all__ = [
    "StructuralSimilarityResult",
    "leading_industries_overlap",
    "structural_similarity",
]

SIMILARITY_METHODS = ("cosine", "lq_correlation", "krugman")
OVERLAP_BY = ("lq", "share")



def _positive_int(name: str, value: object, *, allow_zero: bool) -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    low = 0 if allow_zero else 1
    if not ok or value < low:
        raise SchemaError(f"`{name}` must be an integer >= {low}; got {value!r}")
    return int(value)


# ---- kernels (T, R, I) -> (T, R, R) ---------------------------------------------------
# Each year is one Gram matrix of row-normalised vectors, written into a preallocated
# output: only (R, I) temporaries per year besides the (T, R, R) result.
def _gram(rows: np.ndarray, out: np.ndarray, ok: np.ndarray, low: float) -> None:
    np.matmul(rows, rows.T, out=out)
    np.clip(out, low, 1.0, out=out)  # rounding can give 1 + 1e-16
    out[~ok, :] = np.nan
    out[:, ~ok] = np.nan
    np.fill_diagonal(out, np.where(ok, 1.0, np.nan))


def _cosine(x: np.ndarray) -> np.ndarray:
    out = np.empty((x.shape[0], x.shape[1], x.shape[1]))
    for t in range(x.shape[0]):
        norm = np.sqrt(np.einsum("ri,ri->r", x[t], x[t]))
        ok = norm > 0
        unit = x[t] / np.where(ok, norm, 1.0)[:, None]
        _gram(unit, out[t], ok, 0.0)
    return out


def _lq_correlation(x: np.ndarray) -> np.ndarray:
    out = np.empty((x.shape[0], x.shape[1], x.shape[1]))
    for t in range(x.shape[0]):
        xt = x[t]
        valid = xt.sum(axis=0) > 0  # industries present somewhere in the data
        lq = location_quotient_array(xt[None, :, valid])[0]
        lq -= lq.mean(axis=1, keepdims=True)
        sd = np.sqrt(np.einsum("ri,ri->r", lq, lq))
        ok = np.isfinite(sd) & (sd > 0)
        z = np.where(ok[:, None], lq / np.where(ok, sd, 1.0)[:, None], 0.0)
        _gram(z, out[t], ok, -1.0)
    return out


def _krugman(x: np.ndarray) -> np.ndarray:
    s = shares_within_region(x)
    out = np.empty((x.shape[0], x.shape[1], x.shape[1]))
    for t in range(x.shape[0]):  # one BLAS-free pairwise L1 distance per year
        st = s[t]
        ok = ~np.isnan(st).any(axis=1)
        out[t] = np.nan
        out[t][np.ix_(ok, ok)] = cdist(st[ok], st[ok], metric="cityblock")
    return out


_KERNELS = {"cosine": _cosine, "lq_correlation": _lq_correlation, "krugman": _krugman}


def _pair_matrix(ri: RegionIndustry, sim: np.ndarray) -> pd.DataFrame:
    cols = pd.Index(ri.regions, name=ri.regions.name)
    if not ri.is_panel:
        return pd.DataFrame(sim[0], index=ri.regions, columns=cols, copy=False)
    idx = pd.MultiIndex.from_product(
        [ri.years, ri.regions], names=[ri.names[3], ri.regions.name]
    )
    return pd.DataFrame(
        sim.reshape(-1, sim.shape[2]), index=idx, columns=cols, copy=False
    )


@dataclass(frozen=True)
class StructuralSimilarityResult:
    """Pairwise structural similarity of regions, with permutation p-values.

    ``similarity`` and ``pvalue`` are region x region frames (rows (year, region) for a
    panel); ``pvalue`` is None without a permutation test. ``overlap`` is the
    leading-industries table of :func:`leading_industries_overlap` when ``top`` was given.
    """

    similarity: pd.DataFrame
    pvalue: pd.DataFrame | None
    overlap: pd.DataFrame | None
    method: str
    permutations: int
    seed: int | None
    top: int | None

    def to_frame(self) -> pd.DataFrame:
        """Long frame, one row per unordered pair of distinct regions (a before b in the
        data's order): region_a, region_b, [year], similarity, pvalue."""
        sim = self.similarity
        regions = sim.columns
        r = len(regions)
        a, b = np.triu_indices(r, 1)
        panel = isinstance(sim.index, pd.MultiIndex)
        years = sim.index.get_level_values(0)[::r] if panel else [None]
        simv = sim.to_numpy().reshape(len(years), r, r)
        pv = (
            self.pvalue.to_numpy().reshape(len(years), r, r)
            if self.pvalue is not None
            else None
        )
        frames = []
        for t, y in enumerate(years):
            f = pd.DataFrame({"region_a": regions[a], "region_b": regions[b]})
            if panel:
                f.insert(2, sim.index.names[0], y)
            f["similarity"] = simv[t][a, b]
            f["pvalue"] = pv[t][a, b] if pv is not None else np.nan
            frames.append(f)
        return pd.concat(frames, ignore_index=True)


@register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, kind="region_pairs")
def structural_similarity(
    data: object,
    /,
    *,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    method: str = "cosine",
    permutations: int = 0,
    seed: int | None = None,
    top: int | None = None,
    missing: str = "warn",
) -> pd.DataFrame | StructuralSimilarityResult:
    r"""Similarity of the industry structures of every pair of regions.

    Compares each region's industry mix with every other region's. High similarity
    between neighbours signals duplicated industrial structures and low-level repetitive
    competition (产业同构; the coefficient is 产业结构相似系数). One call computes every
    year of a panel.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry values (e.g. employment or output): a matrix, a wide frame, a
        long frame with ``region``, ``industry``, ``value`` (and ``year``) columns, or a
        3-D array (years x regions x industries).
    region, industry, value, year : str, optional
        Column names of a long frame.
    method : {"cosine", "lq_correlation", "krugman"}
        ``"cosine"`` (default): the UNIDO / Chinese industrial-isomorphism coefficient,
        in [0, 1], 1 for identical structures. ``"lq_correlation"``: Pearson correlation
        of the two regions' location-quotient vectors, in [-1, 1]. ``"krugman"``: the
        Krugman *dissimilarity* index, in [0, 2], 0 for identical structures (note the
        reversed direction).
    permutations : int, default 0
        Number of random permutations for a test against chance; 0 for none.
    seed : int, optional
        Seed of the permutation test.
    top : int, optional
        Also report how many of each pair's top-``top`` industries by location quotient
        coincide (see :func:`leading_industries_overlap`).
    missing : {"warn", "zero", "raise", "propagate"}
        What to do with missing cells (default: count as zero and warn).

    Returns
    -------
    DataFrame or StructuralSimilarityResult
        Without ``permutations`` and ``top``: a region x region frame (rows
        (year, region) for a panel), symmetric. Otherwise a
        :class:`StructuralSimilarityResult` with ``similarity``, ``pvalue`` (one-sided:
        the share of permutations at least as similar as observed, i.e. ``>=`` for
        cosine and LQ correlation, ``<=`` for the Krugman dissimilarity), ``overlap`` and
        the parameters; ``to_frame()`` gives one row per pair.

    Raises
    ------
    SchemaError
        For an unknown ``method``, a negative ``permutations``, a ``top`` below 1, or
        bad data (negative or infinite values, unknown columns).

    See Also
    --------
    leading_industries_overlap : shared top industries of each pair of regions.

    Notes
    -----
    With :math:`x_{ai}` the value of industry :math:`i` in region :math:`a`,
    :math:`s_{ai} = x_{ai} / \sum_k x_{ak}` its share, :math:`LQ_{ai}` the location
    quotient against all regions in the data and :math:`\overline{LQ}_a` its mean over
    the industries present in the data,

    .. math::

        S_{ab} = \frac{\sum_i x_{ai} x_{bi}}{\sqrt{\sum_i x_{ai}^2 \sum_i x_{bi}^2}},
        \qquad
        K_{ab} = \sum_i |s_{ai} - s_{bi}|,

    .. math::

        \rho_{ab} = \frac{\sum_i (LQ_{ai} - \overline{LQ}_a)(LQ_{bi} - \overline{LQ}_b)}
        {\sqrt{\sum_i (LQ_{ai} - \overline{LQ}_a)^2 \sum_i (LQ_{bi} - \overline{LQ}_b)^2}}.

    :math:`S_{ab}` is the same on values and on shares, so it does not change when one
    region's values are scaled. The permutation test shuffles the industry values
    within each region independently (the regions' size distributions are kept, the
    alignment of industries across regions is destroyed) and gives
    :math:`p = (1 + \#\{\text{permuted at least as similar}\}) / (1 + P)`. The diagonal
    of ``pvalue`` is NaN. A region with no activity gets NaN rows. The Krugman matrix
    costs :math:`O(R^2 I)` without BLAS; cosine and LQ correlation are matrix products.

    References
    ----------
    .. [1] UNIDO (1979). *World Industry since 1960: Progress and Prospects*. Special
       issue of the Industrial Development Survey for the Third General Conference of
       UNIDO. New York: United Nations. (Origin of the similarity coefficient.)
    .. [2] Krugman, P. (1991). *Geography and Trade*. Cambridge, MA: MIT Press.
       Appendix D (specialisation index).
    .. [3] Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be
       zero. *Statistical Applications in Genetics and Molecular Biology* 9(1), 39.
       doi:10.2202/1544-6115.1585

    Examples
    --------
    >>> x = np.array([[3.0, 4.0, 0.0], [6.0, 8.0, 0.0], [0.0, 0.0, 5.0]])
    >>> structural_similarity(x)  # doctest: +NORMALIZE_WHITESPACE
    region    0    1    2
    region
    0       1.0  1.0  0.0
    1       1.0  1.0  0.0
    2       0.0  0.0  1.0
    >>> structural_similarity(x, method="krugman").iloc[0].tolist()
    [0.0, 0.0, 2.0]
    """
    _choice("method", method, SIMILARITY_METHODS)
    permutations = _positive_int("permutations", permutations, allow_zero=True)
    if top is not None:
        top = _positive_int("top", top, allow_zero=False)
    ri = as_region_industry(
        data, region=region, industry=industry, value=value, year=year, missing=missing
    )
    kernel = _KERNELS[method]
    sim = kernel(ri.values)
    if permutations == 0 and top is None:
        return _pair_matrix(ri, sim)
    pvalue = None
    if permutations:
        rng = np.random.default_rng(seed)
        count = np.zeros_like(sim)
        tol = 1e-12
        for _ in range(permutations):
            perm = kernel(rng.permuted(ri.values, axis=2))
            if method == "krugman":
                count += perm <= sim + tol
            else:
                count += perm >= sim - tol
        pv = (1.0 + count) / (1.0 + permutations)
        pv[np.isnan(sim)] = np.nan
        r = np.arange(sim.shape[1])
        pv[:, r, r] = np.nan
        pvalue = _pair_matrix(ri, pv)
    overlap = _overlap_table(ri, top, "lq") if top is not None else None
    return StructuralSimilarityResult(
        _pair_matrix(ri, sim), pvalue, overlap, method, permutations, seed, top
    )


def _overlap_table(ri: RegionIndustry, top: int, by: str) -> pd.DataFrame:
    x = ri.values
    n_ind = x.shape[2]
    k = min(top, n_ind)
    r = x.shape[1]
    a, b = np.triu_indices(r, 1)
    chunk = 1 << 20
    frames = []
    for t in range(x.shape[0]):
        xt = x[t][None]
        score = location_quotient_array(xt) if by == "lq" else shares_within_region(xt)
        score = np.where((xt > 0) & np.isfinite(score), score, -np.inf)[0]
        order = np.argsort(-score, axis=1, kind="stable")[:, :k]
        leads = np.isfinite(np.take_along_axis(score, order, axis=1))
        # each region's leading industries in data order; n_ind marks "no industry"
        tops = np.sort(np.where(leads, order, n_ind), axis=1)
        member = np.zeros((r, n_ind + 1), dtype=bool)
        np.put_along_axis(member, tops, True, axis=1)
        member[:, n_ind] = False
        counts, flat = [], []
        for lo in range(0, len(a), chunk):
            ta = tops[a[lo : lo + chunk]]
            mask = np.take_along_axis(member[b[lo : lo + chunk]], ta, axis=1)
            counts.append(mask.sum(axis=1))
            flat.append(ta[mask])
        n_common = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
        labels = ri.industries.take(np.concatenate(flat) if flat else []).tolist()
        ends = np.cumsum(n_common).tolist()
        starts = [0, *ends[:-1]] if ends else []
        f = pd.DataFrame({"region_a": ri.regions[a], "region_b": ri.regions[b]})
        if ri.is_panel:
            f.insert(2, ri.names[3], ri.years[t])
        f["n_common"] = n_common.astype(np.int64)
        f["common"] = [labels[i:j] for i, j in zip(starts, ends, strict=True)]
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


@register(PERMUTATION_EQUIVARIANT, kind="region_pairs")
def leading_industries_overlap(
    data: object,
    /,
    *,
    top: int = 10,
    by: str = "lq",
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    missing: str = "warn",
) -> pd.DataFrame:
    r"""How many leading industries each pair of regions shares.

    For each region the ``top`` leading industries (主导产业) are ranked by location
    quotient (or by share of the region's total); for each pair of regions the table
    counts and lists the industries in both regions' top lists. Large overlaps between
    neighbours are the "top ten industries are mostly the same" symptom of duplicated
    structures.

    Parameters
    ----------
    data : ndarray, DataFrame
        Region x industry values in any accepted shape (see
        :func:`structural_similarity`).
    top : int, default 10
        Length of each region's list of leading industries.
    by : {"lq", "share"}
        Rank by location quotient against all regions in the data (default), or by the
        industry's share of the region's total (equivalently, by the region's own values).
    region, industry, value, year : str, optional
        Column names of a long frame.
    missing : {"warn", "zero", "raise", "propagate"}
        What to do with missing cells.

    Returns
    -------
    DataFrame
        One row per unordered pair of distinct regions (and per year of a panel):
        ``region_a``, ``region_b``, [year], ``n_common`` and ``common`` (the shared
        industries, in the data's industry order).

    Raises
    ------
    SchemaError
        For an unknown ``by``, a ``top`` below 1 or bad data.

    Notes
    -----
    The leading set is :math:`L_a = \{i : \operatorname{rank}_a(i) \le N,\ x_{ai} > 0\}`
    where :math:`\operatorname{rank}_a` orders industries by decreasing :math:`LQ_{ai}`
    (or :math:`s_{ai}`); ties keep the data's industry order, and industries with zero
    value never lead (a region with fewer than :math:`N` active industries has a shorter
    list). The table reports :math:`|L_a \cap L_b|` and :math:`L_a \cap L_b`. Building the
    ``common`` lists costs one Python set operation per pair.

    References
    ----------
    .. [1] Isard, W. (1960). *Methods of Regional Analysis: An Introduction to Regional
       Science*. Cambridge, MA: MIT Press. Chapter 7 (location quotients).

    Examples
    --------
    >>> x = pd.DataFrame([[5.0, 3.0, 1.0], [4.0, 1.0, 3.0]], index=["LN", "JL"],
    ...                  columns=["steel", "cars", "food"])
    >>> leading_industries_overlap(x, top=2, by="share")
      region_a region_b  n_common   common
    0       LN       JL         1  [steel]
    """
    _choice("by", by, OVERLAP_BY)
    top = _positive_int("top", top, allow_zero=False)
    ri = as_region_industry(
        data, region=region, industry=industry, value=value, year=year, missing=missing
    )
    return _overlap_table(ri, top, by)
