r"""Clusters of related industries derived from data, after Delgado, Porter & Stern (2016).

Three steps: (1) relatedness of every pair of industries from how their employment
co-locates across regions (optionally blended with input-output links); (2) grouping
of industries by hierarchical clustering or k-means over the similarity matrix;
(3) validation scores comparing within-cluster with between-cluster relatedness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.cluster.vq import kmeans2
from scipy.spatial.distance import squareform
from scipy.stats import rankdata

from agglomera.errors import SchemaError

__all__ = [
    "CLUSTERING_METHODS",
    "RELATEDNESS_METHODS",
    "DerivedClusters",
    "ValidationScores",
    "derive_clusters",
    "relatedness",
    "validation_scores",
]

RELATEDNESS_METHODS = ("lq-correlation", "share-correlation", "coagglomeration")
CLUSTERING_METHODS = ("hierarchical", "kmeans")
LINKAGES = ("average", "complete", "single", "weighted")


def _matrix(data: object, region: str | None, industry: str | None,
            value: str | None) -> pd.DataFrame:
    from agglomera.measures import as_region_industry

    ri = as_region_industry(data, region=region, industry=industry, value=value,
                            missing="raise", what="employment")
    if ri.is_panel:
        raise SchemaError("derive_clusters() takes one cross-section; filter one year")
    m = pd.DataFrame(ri.values[0], index=ri.regions, columns=ri.industries)
    empty = m.columns[m.sum(axis=0) <= 0]
    if len(empty):
        raise SchemaError(f"{len(empty)} industries have no employment in any region "
                          f"(e.g. {empty[0]!r}); drop them first")
    if m.shape[0] < 3:
        raise SchemaError(f"relatedness from co-location needs at least 3 regions; got "
                          f"{m.shape[0]}")
    if m.shape[1] < 2:
        raise SchemaError("need at least 2 industries")
    return m


def relatedness(
    data: object,
    /,
    *,
    method: str = "lq-correlation",
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    r"""Relatedness of industry pairs from the co-location of their employment.

    产业关联度（基于就业空间共现）.

    Parameters
    ----------
    data : DataFrame or ndarray
        Region x industry employment (matrix, wide frame, or long frame with
        ``region=``, ``industry=``, ``value=``).
    method : {"lq-correlation", "share-correlation", "coagglomeration"}
        See Notes.
    region, industry, value : str, optional
        Columns of a long frame.

    Returns
    -------
    DataFrame
        Symmetric industry x industry matrix, diagonal 1 (correlations) or the
        industry's own agglomeration (coagglomeration).

    Raises
    ------
    SchemaError
        Fewer than 3 regions or 2 industries, industries without employment, an
        industry whose LQ or share does not vary across regions (correlation
        undefined).

    Notes
    -----
    With :math:`E_{ri}` employment, :math:`LQ_{ri} = (E_{ri}/E_{r\cdot}) /
    (E_{\cdot i}/E_{\cdot\cdot})`, :math:`s_{ri} = E_{ri}/E_{\cdot i}` the region's
    share of industry :math:`i` and :math:`x_r = E_{r\cdot}/E_{\cdot\cdot}`:

    * lq-correlation: :math:`\rho_{ij} = \operatorname{corr}_r(LQ_{ri}, LQ_{rj})`
      (Pearson, over regions);
    * share-correlation: :math:`\operatorname{corr}_r(s_{ri}, s_{rj})`;
    * coagglomeration (Ellison, Glaeser & Kerr 2010, eq. 1; on the diagonal the same
      expression is the Ellison-Glaeser index with the plant Herfindahl set to zero):

      .. math:: \gamma^c_{ij} = \frac{\sum_r (s_{ri} - x_r)(s_{rj} - x_r)}
                {1 - \sum_r x_r^2}.

    Delgado, Porter & Stern (2016) measure co-location of employment and of
    establishments across regions (locational correlation) besides input-output and
    occupation links; Porter (2003) delineated clusters from co-location patterns of
    employment across US regions. Which of the correlations above matches their exact
    computation was not checked against the papers' appendices.

    References
    ----------
    .. [1] Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related
       industries. *Journal of Economic Geography* 16(1), 1-38. doi:10.1093/jeg/lbv017
    .. [2] Porter, M. E. (2003). The economic performance of regions. *Regional Studies*
       37(6-7), 549-578. doi:10.1080/0034340032000108688
    .. [3] Ellison, G., Glaeser, E. L., & Kerr, W. R. (2010). What causes industry
       agglomeration? Evidence from coagglomeration patterns. *American Economic
       Review* 100(3), 1195-1213. doi:10.1257/aer.100.3.1195

    Examples
    --------
    >>> x = pd.DataFrame({"a": [10.0, 20, 30], "b": [20.0, 40, 60], "c": [30.0, 20, 10]},
    ...                  index=["r1", "r2", "r3"])
    >>> relatedness(x, method="share-correlation").round(3)
         a    b    c
    a  1.0  1.0 -1.0
    b  1.0  1.0 -1.0
    c -1.0 -1.0  1.0
    """
    if method not in RELATEDNESS_METHODS:
        raise SchemaError(f"`method` must be one of {', '.join(map(repr, RELATEDNESS_METHODS))}"
                          f"; got {method!r}")
    m = _matrix(data, region, industry, value)
    e = m.to_numpy(dtype=float)
    tot = e.sum()
    reg = e.sum(axis=1, keepdims=True)
    ind = e.sum(axis=0, keepdims=True)
    s = e / ind
    if method == "coagglomeration":
        x = (reg / tot).reshape(-1, 1)
        d = s - x
        out = d.T @ d / (1.0 - float((x ** 2).sum()))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (e / reg) / (ind / tot) if method == "lq-correlation" else s
        if not np.isfinite(v).all():
            raise SchemaError("a region has no employment in any industry; drop it")
        sd = v.std(axis=0)
        flat = np.flatnonzero(sd <= 1e-15 * np.maximum(np.abs(v).max(axis=0), 1))
        if len(flat):
            raise SchemaError(
                f"{len(flat)} industries have the same {method.split('-')[0].upper()} in"
                f" every region (e.g. {m.columns[flat[0]]!r}); their correlation is "
                "undefined")
        out = np.corrcoef(v, rowvar=False)
    labels = pd.Index(m.columns).rename(None)
    return pd.DataFrame(out, index=labels, columns=labels)


def _io_relatedness(io: pd.DataFrame, labels: pd.Index) -> np.ndarray:
    if not isinstance(io, pd.DataFrame):
        raise SchemaError("`io` must be a DataFrame of flows, rows selling to columns")
    missing = [c for c in labels if c not in io.index or c not in io.columns]
    if missing:
        raise SchemaError(f"`io` lacks {len(missing)} industries of the data, e.g. "
                          f"{missing[0]!r}")
    f = io.loc[labels, labels].to_numpy(dtype=float)
    if not np.isfinite(f).all() or (f < 0).any():
        raise SchemaError("`io` flows must be finite and non-negative")
    with np.errstate(divide="ignore", invalid="ignore"):
        buy = np.nan_to_num(f / f.sum(axis=0, keepdims=True))   # share of j's inputs from i
        sell = np.nan_to_num(f / f.sum(axis=1, keepdims=True))  # share of i's output to j
    return np.maximum.reduce([buy, buy.T, sell, sell.T])


def _percentile_ranks(a: np.ndarray) -> np.ndarray:
    n = a.shape[0]
    iu = np.triu_indices(n, 1)
    r = rankdata(a[iu], method="average")
    r = (r - 1) / max(len(r) - 1, 1)
    out = np.eye(n)
    out[iu] = r
    out[(iu[1], iu[0])] = r
    return out


@dataclass(frozen=True)
class ValidationScores:
    """Within- vs between-cluster relatedness of a grouping of industries.

    ``industries``: per industry its ``cluster``, ``own`` (mean relatedness to the
    other members of its cluster), ``best_other`` and ``best_other_cluster`` (the
    highest mean relatedness to another cluster) and ``consistent`` (own >
    best_other). ``clusters``: per cluster ``size``, ``within`` and ``between``
    mean relatedness and ``vs`` (share of consistent members). ``vs``: share of
    consistent industries overall; ``within``, ``between``: means over all
    within-cluster and between-cluster pairs.
    """

    industries: pd.DataFrame
    clusters: pd.DataFrame
    vs: float
    within: float
    between: float

    def to_frame(self) -> pd.DataFrame:
        """Per-industry scores (a copy)."""
        return self.industries.copy()


def validation_scores(similarity: pd.DataFrame, assignments: pd.Series, /
                      ) -> ValidationScores:
    r"""Validation scores of a cluster assignment: within- vs between-cluster relatedness.

    Parameters
    ----------
    similarity : DataFrame
        Symmetric industry x industry relatedness.
    assignments : Series
        Cluster label per industry (index: industries of ``similarity``).

    Returns
    -------
    ValidationScores

    Raises
    ------
    SchemaError
        Labels that do not match, fewer than two clusters.

    Notes
    -----
    For industry :math:`i` in cluster :math:`C(i)` and relatedness :math:`S`,

    .. math::

        \text{own}_i = \frac{1}{|C(i)| - 1}\sum_{j \in C(i), j \ne i} S_{ij},\qquad
        \text{other}_i(D) = \frac{1}{|D|}\sum_{j \in D} S_{ij},\qquad
        VS = \frac{1}{n}\sum_i \left[\text{own}_i > \max_{D \ne C(i)}
        \text{other}_i(D)\right].

    A singleton industry has no own relatedness and counts as not consistent. The
    score is modelled on the validation scores of Delgado, Porter & Stern (2016),
    which compare each industry's relatedness to its own cluster with its
    relatedness to the other clusters; their exact definitions (several variants)
    were not transcribed, so values are not comparable with the paper's tables.

    References
    ----------
    .. [1] Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related
       industries. *Journal of Economic Geography* 16(1), 1-38. doi:10.1093/jeg/lbv017

    Examples
    --------
    >>> s = pd.DataFrame([[1, .9, .1, .2], [.9, 1, .2, .1], [.1, .2, 1, .8],
    ...                   [.2, .1, .8, 1]], index=list("abcd"), columns=list("abcd"))
    >>> v = validation_scores(s, pd.Series(["X", "X", "Y", "Y"], index=list("abcd")))
    >>> v.vs, round(v.within, 3), round(v.between, 3)
    (1.0, 0.85, 0.15)
    """
    labels = pd.Series(assignments)
    if set(labels.index) != set(similarity.index) or not similarity.index.equals(
            similarity.columns):
        raise SchemaError("`assignments` must label exactly the industries of the "
                          "square `similarity` matrix")
    labels = labels.reindex(similarity.index)
    groups = pd.unique(labels.to_numpy())
    if len(groups) < 2:
        raise SchemaError("validation scores need at least two clusters")
    s = similarity.to_numpy(dtype=float)
    n = len(labels)
    code = pd.Categorical(labels.to_numpy(), categories=groups).codes
    member = np.zeros((n, len(groups)))
    member[np.arange(n), code] = 1.0
    sums = s @ member - np.diag(s)[:, None] * member  # exclude self
    sizes = member.sum(axis=0)
    denom = sizes[None, :] - member
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(denom > 0, sums / denom, np.nan)
    own = means[np.arange(n), code]
    other = means.copy()
    other[np.arange(n), code] = -np.inf
    best = other.max(axis=1)
    best_code = other.argmax(axis=1)
    consistent = np.where(np.isnan(own), False, own > best)
    ind = pd.DataFrame({"industry": similarity.index, "cluster": labels.to_numpy(),
                        "own": own, "best_other": best,
                        "best_other_cluster": np.asarray(groups, dtype=object)[best_code],
                        "consistent": consistent})
    iu = np.triu_indices(n, 1)
    same = code[iu[0]] == code[iu[1]]
    pair = s[iu]
    per = []
    for k, g in enumerate(groups):
        inside = (code[iu[0]] == k) & (code[iu[1]] == k)
        cross = ((code[iu[0]] == k) ^ (code[iu[1]] == k))
        per.append({"cluster": g, "size": int(sizes[k]),
                    "within": float(pair[inside].mean()) if inside.any() else np.nan,
                    "between": float(pair[cross].mean()) if cross.any() else np.nan,
                    "vs": float(consistent[code == k].mean())})
    return ValidationScores(
        industries=ind, clusters=pd.DataFrame(per), vs=float(consistent.mean()),
        within=float(pair[same].mean()) if same.any() else float("nan"),
        between=float(pair[~same].mean()) if (~same).any() else float("nan"))


@dataclass(frozen=True)
class DerivedClusters:
    """Industries grouped into clusters from data (see :func:`derive_clusters`)."""

    assignments: pd.Series
    similarity: pd.DataFrame
    validation: ValidationScores
    method: str
    relatedness: str
    k: int
    io_weight: float

    def to_frame(self) -> pd.DataFrame:
        """Per industry: cluster and validation scores."""
        return self.validation.to_frame()

    def to_definitions(self, scheme: str, *, industry_scheme: str = "GB/T 4754-2017",
                       names: dict[str, str] | None = None):
        """As :class:`~agglomera.clusters.ClusterDefinitions` (traded left unknown)."""
        from agglomera.clusters.definitions import _finish

        t = pd.DataFrame({"cluster_code": self.assignments.to_numpy(),
                          "industry_code": self.assignments.index.astype(str),
                          "industry_scheme": industry_scheme, "traded": None})
        if names:
            t["cluster_name_zh"] = t["industry_code"].map(names)
        src = (f"derived by agglomera: {self.relatedness} relatedness"
               + (f" + input-output (weight {self.io_weight})" if self.io_weight else "")
               + f", {self.method} clustering, k={self.k}, VS={self.validation.vs:.3f}")
        return _finish(scheme, t, src)


def derive_clusters(
    data: object,
    /,
    *,
    k: int,
    method: str = "hierarchical",
    relatedness_method: str = "lq-correlation",
    io: pd.DataFrame | None = None,
    io_weight: float = 0.5,
    linkage: str = "average",
    seed: int | None = None,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
) -> DerivedClusters:
    r"""Group industries into clusters of related industries from regional employment.

    从地区就业数据推导相关产业集群（Delgado-Porter-Stern 方法）.

    Parameters
    ----------
    data : DataFrame or ndarray
        Region x industry employment of one year (matrix, wide or long frame).
    k : int
        Number of clusters (2 <= k < number of industries).
    method : {"hierarchical", "kmeans"}, default "hierarchical"
        Agglomerative clustering of the distance :math:`1 - S` (``linkage``), or
        k-means on the rows of :math:`S`.
    relatedness_method : {"lq-correlation", "share-correlation", "coagglomeration"}
        Co-location measure, see :func:`relatedness`.
    io : DataFrame, optional
        Input-output flows between the industries (rows sell to columns).
    io_weight : float, default 0.5
        Weight of input-output links in the blended similarity when ``io`` is given.
    linkage : {"average", "complete", "single", "weighted"}, default "average"
        Linkage of hierarchical clustering (``scipy.cluster.hierarchy.linkage``).
    seed : int, optional
        Seed of k-means initialisation (k-means++).
    region, industry, value : str, optional
        Columns of a long frame.

    Returns
    -------
    DerivedClusters
        ``assignments`` (industry -> ``C01``, ``C02``, ... numbered by first
        industry), ``similarity``, ``validation`` (:class:`ValidationScores`);
        ``to_definitions(scheme)`` for storing or rating.

    Raises
    ------
    SchemaError
        Bad ``k``, method, linkage, weights or input.

    Notes
    -----
    Without ``io`` the similarity is the co-location relatedness :math:`C_{ij}`. With
    ``io``, both measures are turned into percentile ranks over industry pairs (so
    that their scales agree) and blended,

    .. math:: S_{ij} = (1 - w)\,\mathrm{pct}(C)_{ij} + w\,\mathrm{pct}(IO)_{ij},
              \qquad IO_{ij} = \max(a_{ij}, a_{ji}, b_{ij}, b_{ji}),

    with :math:`a_{ij} = F_{ij}/\sum_k F_{kj}` (share of j's inputs bought from i) and
    :math:`b_{ij} = F_{ij}/\sum_k F_{ik}` (share of i's output sold to j), the
    input-output measure of Delgado, Porter & Stern (2016). Hierarchical clustering
    cuts the dendrogram into ``k`` clusters (``fcluster(..., "maxclust")``); note
    that it can return fewer than ``k`` clusters when merge heights tie.
    Validation scores: :func:`validation_scores`. DPS generate many candidate
    groupings with different parameters and pick by validation scores; run this
    function over several ``k``, methods and relatedness measures and compare
    ``validation.vs``.

    References
    ----------
    .. [1] Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related
       industries. *Journal of Economic Geography* 16(1), 1-38. doi:10.1093/jeg/lbv017
    .. [2] Müllner, D. (2011). Modern hierarchical, agglomerative clustering
       algorithms. arXiv:1109.2378 (the algorithms behind scipy's ``linkage``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = rng.uniform(1, 2, size=(8, 1))
    >>> x = np.hstack([base * [10, 11, 12], base[::-1] * [10, 9, 8]])
    >>> d = derive_clusters(pd.DataFrame(x, columns=list("abcdef")), k=2)
    >>> d.assignments.tolist(), d.validation.vs
    (['C01', 'C01', 'C01', 'C02', 'C02', 'C02'], 1.0)
    """
    if method not in CLUSTERING_METHODS:
        raise SchemaError(f"`method` must be one of {', '.join(map(repr, CLUSTERING_METHODS))}"
                          f"; got {method!r}")
    if linkage not in LINKAGES:
        raise SchemaError(f"`linkage` must be one of {', '.join(map(repr, LINKAGES))}; "
                          f"got {linkage!r}")
    rel = relatedness(data, method=relatedness_method, region=region, industry=industry,
                      value=value)
    n = rel.shape[0]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 2 <= k < n:
        raise SchemaError(f"`k` must be an integer with 2 <= k < {n} (industries); "
                          f"got {k!r}")
    if not (0.0 <= float(io_weight) <= 1.0):
        raise SchemaError(f"`io_weight` must be in [0, 1]; got {io_weight!r}")
    s = rel.to_numpy(dtype=float)
    w = 0.0
    if io is not None:
        w = float(io_weight)
        s = (1 - w) * _percentile_ranks(s) + w * _percentile_ranks(
            _io_relatedness(io, rel.index))
    sim = pd.DataFrame(s, index=rel.index, columns=rel.columns)
    if method == "hierarchical":
        dist = np.clip(s.max() - s, 0.0, None) if relatedness_method == "coagglomeration" \
            and io is None else np.clip(1.0 - s, 0.0, None)
        dist = (dist + dist.T) / 2
        np.fill_diagonal(dist, 0.0)
        z = hierarchy.linkage(squareform(dist, checks=False), method=linkage)
        raw = hierarchy.fcluster(z, t=k, criterion="maxclust")
    else:
        rng = np.random.default_rng(seed)
        _, raw = kmeans2(s, k, minit="++", seed=rng)
    order = {lab: i for i, lab in enumerate(pd.unique(raw))}
    labels = pd.Series([f"C{order[lab] + 1:02d}" for lab in raw], index=rel.index,
                       name="cluster")
    if labels.nunique() < 2:
        raise SchemaError("the clustering put every industry in one cluster; try another "
                          "method, linkage or k")
    return DerivedClusters(assignments=labels, similarity=sim,
                           validation=validation_scores(sim, labels), method=method,
                           relatedness=relatedness_method, k=int(k), io_weight=w)
