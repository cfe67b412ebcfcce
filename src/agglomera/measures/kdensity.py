r"""Distance-based localisation: Duranton–Overman Kd and Marcon–Puech M / m.

Functions take a frame of establishments (one row per establishment or plant) with an
industry column and coordinates, either geographic (``lon=``, ``lat=``, degrees;
great-circle distances in kilometres) or projected (``x=``, ``y=``, distances in the
unit of the coordinates). Conventions and the comparison with R dbmss are in
docs/kdensity.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.measures._input import check_choice
from agglomera.measures._kernels._kdensity import (
    LOG_FRACTION_BITS,
    MAX_NODES,
    NEAR_BITS,
    _table_size,
    banded_kde_numba,
    chord_nodes,
    chord_length,
    draw_prefixes_numba,
    draw_sets_numba,
    envelope_numba,
    gaussian_band_numba,
    log_node_table,
    nested_histograms_numba,
    order_stats_numba,
    pair_distance_list_numba,
    pair_distances_at_numba,
    pair_distances_numpy,
    pair_histograms_wide,
    quantum_bits,
    shared_histograms_numba,
    sort_rows_numba,
)

__all__ = ["KdResult", "MResult", "duranton_overman", "marcon_puech_m"]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
#: Pairs above which bandwidth and median distance are estimated from a random sample
#: of this many pairs (relative standard error of the median or IQR about 1e-3).
PAIR_SAMPLE_LIMIT = 2_000_000
#: Kernel support used for pruning: the Gaussian beyond 8 bandwidths is < 1.3e-14 of its
#: peak, so pairs further than ``max_distance + 8 h`` are not enumerated.
KERNEL_REACH = 8.0

#: Strips per largest distance of interest in the pair kernel (see _kernels/_kdensity).
STRIPS_PER_MAX_DISTANCE = 4

#: Largest industry (points per set) the pair kernel's packed counters allow.
MAX_SET_SIZE = 1 << 22

#: The two-stage binning (see _kernels/_kdensity.py) is used when a point set has at
#: least this many pairs per node of its table (below, the nodes cost more than the
#: pairs save).
LOG_MIN_PAIRS_PER_NODE = 20

Progress = Callable[[str, "int | None", "int | None"], None]

_BANDWIDTHS = ("silverman", "nrd0")
_METHODS = ("binned", "exact", "dbmss")
_NORMALISE = ("all_pairs", "within_max")
_NULLS = ("random_labelling",)


# --------------------------------------------------------------------------- input


def _numeric_column(frame: pd.DataFrame, col: str, what: str) -> np.ndarray:
    if col not in frame.columns:
        raise SchemaError(f"{what} column {col!r} is not in the data; columns are "
                          f"{', '.join(map(str, frame.columns[:20]))}")
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = int(bad[0])
        shown = raw.iloc[first]
        kind = "missing" if pd.isna(shown) else "non-numeric or infinite"
        raise SchemaError(f"{what} column {col!r} has {bad.size} {kind} value(s); first at "
                          f"row {first + 1} (data row, 1-based): {shown!r}; expected a "
                          "finite number in every row")
    return values


def _coordinates(frame: pd.DataFrame, lon, lat, x, y, where: str):
    """(n x 3 array, geo flag): unit vectors for lon/lat, (x, y, 0) for projected."""
    geo = lon is not None or lat is not None
    proj = x is not None or y is not None
    if geo == proj or (geo and (lon is None or lat is None)) or (
            proj and (x is None or y is None)):
        raise SchemaError("give the coordinates as exactly one pair: lon= and lat= "
                          "(degrees, great-circle km) or x= and y= (projected); got "
                          f"lon={lon!r}, lat={lat!r}, x={x!r}, y={y!r}")
    if geo:
        lo = _numeric_column(frame, lon, f"{where} longitude")
        la = _numeric_column(frame, lat, f"{where} latitude")
        bad = np.flatnonzero((la < -90) | (la > 90))
        if bad.size:
            raise SchemaError(f"{where} latitude column {lat!r} has {bad.size} value(s) "
                              f"outside [-90, 90]; first at row {bad[0] + 1}: "
                              f"{float(la[bad[0]])!r} (were longitude and latitude swapped?)")
        bad = np.flatnonzero((lo < -180) | (lo > 360))
        if bad.size:
            raise SchemaError(f"{where} longitude column {lon!r} has {bad.size} value(s) "
                              f"outside [-180, 360]; first at row {bad[0] + 1}: "
                              f"{float(lo[bad[0]])!r}")
        phi, lam = np.radians(la), np.radians(lo)
        coords = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam),
                                  np.sin(phi)])
    else:
        coords = np.column_stack([_numeric_column(frame, x, f"{where} x"),
                                  _numeric_column(frame, y, f"{where} y"),
                                  np.zeros(len(frame))])
    return np.ascontiguousarray(coords), geo


def _weights(frame: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(frame))
    w = _numeric_column(frame, weight, "weight")
    bad = np.flatnonzero(w <= 0)
    if bad.size:
        raise SchemaError(f"weight column {weight!r} has {bad.size} value(s) <= 0; first at "
                          f"row {bad[0] + 1}: {float(w[bad[0]])!r}; weights (e.g. employment) must "
                          "be positive: drop establishments without employment first")
    return w


def _industries(frame: pd.DataFrame, industry: str, industries):
    if industry not in frame.columns:
        raise SchemaError(f"industry column {industry!r} is not in the data; columns are "
                          f"{', '.join(map(str, frame.columns[:20]))}")
    lab = frame[industry]
    if lab.isna().any():
        first = int(np.flatnonzero(lab.isna().to_numpy())[0])
        raise SchemaError(f"industry column {industry!r} has {int(lab.isna().sum())} missing "
                          f"label(s); first at row {first + 1}")
    codes, uniques = pd.factorize(lab, sort=True)
    labels = list(uniques)
    if industries is None:
        chosen = list(range(len(labels)))
    else:
        wanted = [industries] if isinstance(industries, str) else list(industries)
        lookup = {str(v): i for i, v in enumerate(labels)}
        lookup.update({v: i for i, v in enumerate(labels)})
        chosen = []
        for v in wanted:
            if v not in lookup and str(v) not in lookup:
                raise SchemaError(f"industry {v!r} is not in column {industry!r}; it has "
                                  f"{', '.join(map(str, labels[:10]))}"
                                  f"{'...' if len(labels) > 10 else ''}")
            chosen.append(lookup.get(v, lookup.get(str(v))))
    return codes, labels, chosen


def _distance_grid(distances, max_distance, n_distances, min_size=2):
    if distances is not None:
        grid = np.asarray(distances, dtype=float)
        if grid.ndim != 1 or grid.size < min_size or not np.all(np.isfinite(grid)) or (
                grid[0] < 0) or np.any(np.diff(grid) <= 0):
            raise SchemaError("`distances` must be an increasing 1-D sequence of at least "
                              f"{min_size} finite distance(s) >= 0; got {distances!r}")
        return grid
    if not isinstance(n_distances, (int, np.integer)) or n_distances < 2:
        raise SchemaError(f"`n_distances` must be an integer >= 2; got {n_distances!r}")
    return np.linspace(0.0, max_distance, int(n_distances))


def _sample_pair_distances(coords, idx, geo, radius, rng, limit=PAIR_SAMPLE_LIMIT):
    """Distances of all pairs of ``coords[idx]``, or of ``limit`` random pairs."""
    k = idx.size
    n_pairs = k * (k - 1) // 2
    if n_pairs <= limit:
        d = pair_distance_list_numba(coords, idx.astype(np.int64), geo, radius)
        return d, n_pairs, False
    a = rng.integers(0, k, size=limit)
    b = rng.integers(0, k - 1, size=limit)
    b = b + (b >= a)  # a uniformly random pair of distinct points
    d = pair_distances_at_numba(coords, idx.astype(np.int64), a, b, geo, radius)
    return d, n_pairs, True


def _percentiles(d: np.ndarray, qs) -> list[float]:
    """``np.percentile(d, qs)`` (linear interpolation, numpy's formula) from the exact
    order statistics of ``order_stats_numba`` instead of a partition of ``d``."""
    n = d.size
    pos = [q / 100.0 * (n - 1) for q in qs]
    lo = [math.floor(p) for p in pos]
    ranks = np.array(sorted({r for i in lo for r in (i, min(i + 1, n - 1))}),
                     dtype=np.int64)
    vals = dict(zip(ranks.tolist(), order_stats_numba(np.ascontiguousarray(d), ranks)))
    out = []
    for p, i in zip(pos, lo):
        a, b = vals[i], vals[min(i + 1, n - 1)]
        t = p - i
        diff = b - a
        out.append(float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t))
    return out


def _nrd0(d: np.ndarray, n: int) -> float:
    """Silverman (1986, eq. 3.31) rule as R's ``bw.nrd0`` with ``n`` observations."""
    hi = float(np.std(d, ddof=1)) if d.size > 1 else 0.0
    q75, q25 = _percentiles(d, (75.0, 25.0)) if d.size else (0.0, 0.0)
    lo = min(hi, (q75 - q25) / 1.34)
    if not lo:
        lo = hi or (abs(float(d[0])) if d.size else 0.0) or 1.0
    return 0.9 * lo * n ** -0.2


# --------------------------------------------------------------------------- kernels


def _gauss(u):
    return np.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)


def _kernel_matrix(grid, centres, h):
    """K[m, b] = (phi((r_m - g_b)/h) + phi((r_m + g_b)/h)) / h (reflection at 0)."""
    r = grid[:, None]
    g = centres[None, :]
    return (_gauss((r - g) / h) + _gauss((r + g) / h)) / h


def _binned_kernel(grid, n_bins, delta, h):
    """Kernel weights of the bin centres ``b delta`` near each grid distance.

    A band per distance ``r``: the bins within ``KERNEL_REACH`` bandwidths of ``r``
    (the kernel beyond is below 1.3e-14 of its peak), starting at bin ``lo[r]``; the
    reflected term ``phi((r + g)/h)`` only reaches bins inside the same band. The
    Gaussian values come from ``gaussian_band_numba`` (a recurrence re-anchored on
    ``exp`` every 16 bins: relative error below 1e-13).
    """
    width = math.floor(2 * KERNEL_REACH * h / delta) + 3
    lo = np.clip(np.floor((grid - KERNEL_REACH * h) / delta), 0, n_bins - 1).astype(
        np.int64)
    band = gaussian_band_numba(np.ascontiguousarray(grid, dtype=float), lo, width,
                               float(delta), float(h), KERNEL_REACH + 1.0)
    return band, lo


def _exact_curve(d, ww, grid, h, chunk=200_000):
    """sum_p w_p (phi((r - d_p)/h) + phi((r + d_p)/h)) / h, summed in chunks of pairs."""
    out = np.zeros(grid.size)
    for a in range(0, d.size, chunk):
        out += _kernel_matrix(grid, d[a:a + chunk], h) @ ww[a:a + chunk]
    return out


def _pairs_within(coords, geo, radius, cutoff):
    """(distances, i, j) of the pairs of ``coords`` closer than ``cutoff`` (KD-tree)."""
    from scipy.spatial import cKDTree

    chord = chord_length(cutoff, geo, radius)
    tree = cKDTree(coords)
    pairs = tree.query_pairs(chord * (1 + 1e-12), output_type="ndarray")
    if pairs.size == 0:
        return np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)
    i, j = pairs[:, 0], pairs[:, 1]
    diff = coords[i] - coords[j]
    c = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    d = 2.0 * radius * np.arcsin(np.minimum(c / 2, 1.0)) if geo else c
    keep = d <= cutoff
    return d[keep], i[keep], j[keep]


def _r_density(x, wts, bw, frm, to, n_user):
    """R ``stats::density`` (R < 4.4 grid, ``old.coords``) with a Gaussian kernel.

    Linear binning of ``x`` with weights ``wts`` on ``n`` points over ``[frm - 4 bw,
    to + 4 bw]``, circular FFT convolution with the kernel sampled at R's spacing
    ``2 (up - lo) / (2 n - 1)``, then linear interpolation at ``n_user`` points.
    """
    n = max(n_user, 512)
    if n > 512:
        n = int(2 ** math.ceil(math.log2(n)))
    lo, up = frm - 4 * bw, to + 4 * bw
    y = np.zeros(2 * n)
    dx = (up - lo) / (n - 1)
    pos = (x - lo) / dx
    ix = np.floor(pos).astype(np.int64)
    fx = pos - ix
    mid = (ix >= 0) & (ix <= n - 2)
    y += np.bincount(ix[mid], weights=wts[mid] * (1 - fx[mid]), minlength=2 * n)
    y += np.bincount(ix[mid] + 1, weights=wts[mid] * fx[mid], minlength=2 * n)
    y[0] += np.sum((wts * fx)[ix == -1])
    y[n - 1] += np.sum((wts * (1 - fx))[ix == n - 1])
    kords = np.linspace(0.0, 2 * (up - lo), 2 * n)
    kords[n + 1:] = -kords[n - 1:0:-1]
    kords = _gauss(kords / bw) / bw
    conv = np.fft.ifft(np.fft.fft(y) * np.conj(np.fft.fft(kords))).real[:n]
    conv = np.maximum(conv, 0.0)
    xords = np.linspace(lo, up, n)
    xo = np.linspace(frm, to, n_user)
    return xo, np.interp(xo, xords, conv)


def _dbmss_curve(d, ww, grid, h, rmax):
    """dbmss ``Kdhat`` (Original, exact distances): see Notes of duranton_overman."""
    refl = d <= 4 * h
    dx = np.concatenate([d, -d[refl]])
    wx = np.concatenate([ww, ww[refl]])
    wx = wx / wx.sum()
    n_density = int(min(max(512, dx.max() / rmax * 128), 4096))
    x, y = _r_density(dx, wx, h, 0.0, rmax, n_density)
    mx, my = _r_density(dx, wx, h, float(dx.min()) - 3 * h, 0.0, 512)
    y = y / (1 - my.mean() * (mx.max() - mx.min()))
    return np.interp(grid, x, y, left=np.nan, right=np.nan)


def _sites(coords, offset, geo, strip_chord):
    """Sites sorted for the pair kernel: (coords, strip numbers, new position of each
    old row).

    Geographic unit vectors are first rotated so that the sites' mean direction is the
    third axis (distances are unchanged; the first two coordinates are then close to a
    map of the region, which is what the strips prune on). The first coordinate is the
    wider of the two. The reference sites (rows ``< offset`` when a reference
    population was given) and the points are sorted separately, each by strip (bands
    of ``strip_chord`` in the second coordinate) then by the first coordinate, so that
    uniformly drawn reference positions stay uniform draws of reference sites.
    """
    if geo:
        m = coords.mean(axis=0)
        norm = float(np.linalg.norm(m))
        if norm > 1e-9:
            c = m / norm
            helper = np.eye(3)[int(np.argmin(np.abs(c)))]
            e1 = np.cross(helper, c)
            e1 /= np.linalg.norm(e1)
            e2 = np.cross(c, e1)
            coords = coords @ np.column_stack([e1, e2, c])
    spread = coords[:, :2].max(axis=0) - coords[:, :2].min(axis=0)
    if spread[1] > spread[0]:
        coords = coords[:, [1, 0, 2]]
    coords = np.ascontiguousarray(coords)
    strip = np.floor((coords[:, 1] - coords[:, 1].min()) / strip_chord).astype(np.int64)
    order = np.empty(coords.shape[0], dtype=np.int64)
    for lo, hi in ((0, offset), (offset, coords.shape[0])):
        if hi > lo:
            order[lo:hi] = lo + np.lexsort((coords[lo:hi, 0], strip[lo:hi]))
    new_pos = np.empty_like(order)
    new_pos[order] = np.arange(order.size)
    return np.ascontiguousarray(coords[order]), strip[order], new_pos


_PHI0 = 1.0 / math.sqrt(2.0 * math.pi)  # phi(0)
_PHI1 = math.exp(-0.5) / math.sqrt(2.0 * math.pi)  # phi(1) = max |phi'|


def _binning(cutoff, delta, h, geo, radius, k, max_d, shared=False, bin_width=None):
    """How the pairs of a k-point set are binned, and the error bound of the result.

    Returns ``{"n_bins", "args", "bound", "path", "last"}``: ``args`` are the kernel's
    node-table arguments (``n_nodes = 0``: direct path), ``last`` the node of the
    cutoff on the two-stage path. ``shared``: the set's histograms come from
    ``nested_histograms_numba`` (two-stage, nodes from ``max_d / 2**NEAR_BITS``).
    The bound on ``|binned - exact|`` per unit pair weight, with ``K(r, d) = (phi((r
    - d)/h) + phi((r + d)/h)) / h``, ``|d2K/dd2| <= 2 phi(0) / h^3`` and ``|dK/dd| <=
    2 phi(1) / h^2``:

    * linear binning on bins of width delta: ``delta^2 / 8 * 2 phi(0) / h^3`` (both
      paths; on the two-stage path it is the nodes that are binned so);
    * the rounding of positions to 2**-(Q+1) bins, ``delta 2**-(Q+1) * 2 phi(1) /
      h^2`` (direct path; on the two-stage path the pairs closer than the first
      node, Q = 16);
    * two-stage path: linear interpolation in the squared chord ``u`` between nodes
      ``u_j`` and ``u_j + du_j`` of ``g(u) = K(r, D(u))``, ``du_j^2 / 8 * max |g''|``
      with ``g'' = K_dd D'^2 + K_d D''`` evaluated at the node (where ``D'`` and
      ``|D''|`` are largest), and the rounding of the fraction, ``D'(u_j) du_j
      2**-(F+1) * 2 phi(1) / h^2``; the largest over the nodes within the cutoff.
    """
    k2 = 2.0 * _PHI0 / h ** 3
    k1 = 2.0 * _PHI1 / h ** 2
    base = delta ** 2 / 8.0 * k2
    n_direct = math.floor(cutoff / delta) + 2
    near = max_d * 2.0 ** -NEAR_BITS
    table = None
    if shared:
        nodes = chord_nodes(max_d, cutoff, geo, radius, bin_width)
        if nodes["n_nodes"] <= MAX_NODES:  # (else a bandwidth far beyond max_d)
            return _shared_binning(nodes, cutoff, delta, geo, radius, base, k1, k2)
    # two-stage for great-circle distances only: it saves a square root and an arcsine
    # per pair; with projected coordinates the direct path (one square root) measured
    # faster (2.2 vs 3.5 ns per pair)
    elif geo and k * (k - 1) / 2 >= LOG_MIN_PAIRS_PER_NODE * 4096:  # cheap pre-check
        table = log_node_table(cutoff, delta, geo, radius, near)
        # (a table of a few nodes means a bin width near the cutoff: direct is exact)
        if (k * (k - 1) / 2 < LOG_MIN_PAIRS_PER_NODE * table["n_nodes"]
                or table["n_nodes"] < 1024):
            table = None
    if table is None:
        try:
            qbits = quantum_bits(n_direct)
        except ValueError as exc:
            raise SchemaError(f"{exc} (bin_width={delta!r})") from None
        bound = base + k1 * delta * 2.0 ** -(qbits + 1)
        return {"n_bins": n_direct, "bound": bound, "path": "direct", "last": -1,
                "args": (0, 0, 0, 0.0, np.zeros(0, np.int64), np.zeros(0))}
    u = table["u"][:table["n_nodes"]]
    du = np.diff(u)
    uj = u[:-1]
    if geo:
        s = np.sqrt(uj) / 2.0
        d1 = radius / (4.0 * s * np.sqrt(1.0 - s * s))
        d2 = radius * np.abs(1.0 - 2.0 * s * s) / (32.0 * s ** 3 * (1.0 - s * s) ** 1.5)
    else:
        d1 = 1.0 / (2.0 * np.sqrt(uj))
        d2 = 1.0 / (4.0 * uj ** 1.5)
    stage1 = du ** 2 / 8.0 * (k2 * d1 ** 2 + k1 * d2)
    quant = k1 * d1 * du * 2.0 ** -(LOG_FRACTION_BITS + 1)
    bound = (base + float(np.max(stage1 + quant))
             + k1 * delta * 2.0 ** -(LOG_FRACTION_BITS + 1))
    args = (table["n_nodes"], table["key0"], table["shift"], table["dump"],
            table["node_bin"], table["node_frac"])
    return {"n_bins": table["n_bins"], "bound": bound, "path": "two-stage",
            "last": table["last"], "args": args, "table": table}


def _shared_binning(nodes, cutoff, delta, geo, radius, base, k1, k2):
    """``_binning`` of the shared path: chords binned on the nodes of ``chord_nodes``
    (spacing ``s``), then the nodes on the bins. With ``D(c)`` the distance of chord
    ``c`` (``2 R asin(c / 2)``, or ``c``), the interpolation between nodes adds ``s^2
    / 8 (K_dd D'^2 + K_d |D''|)`` and the rounding of positions to 2**-16 of a node
    ``D' s 2**-17 |K_d|``, both largest at the last node (``D'`` and ``D''`` grow with
    ``c``)."""
    s = nodes["spacing"]
    c = (nodes["last"] + 1) * s
    if geo:
        d1 = radius / math.sqrt(max(1.0 - c * c / 4.0, 1e-300))
        d2 = radius * (c / 4.0) / max(1.0 - c * c / 4.0, 1e-300) ** 1.5
    else:
        d1, d2 = 1.0, 0.0
    bound = (base + s * s / 8.0 * (k2 * d1 * d1 + k1 * d2)
             + k1 * d1 * s * 2.0 ** -(LOG_FRACTION_BITS + 1))
    n_bins = max(math.floor(cutoff / delta) + 2,
                 math.floor(nodes["d"][nodes["last"] + 1] / delta) + 2)
    return {"n_bins": n_bins, "bound": bound, "path": "shared", "last": nodes["last"],
            "args": None}


def _curves(sel, wsel, *, method, coords, strip, strip_width, grid, h, cutoff, delta,
            denom, geo, radius, max_d, binning=None, kmat=None):
    """Kd curves (rows of ``sel`` x grid) of the point sets ``coords[sel[s]]`` with
    weights ``wsel[s]`` (no columns: unit weights)."""
    if method == "binned":
        if binning is None:
            binning = _binning(cutoff, delta, h, geo, radius, sel.shape[1], max_d)
        n_bins = binning["n_bins"]
        if kmat is None:
            kmat = _binned_kernel(grid, n_bins, delta, h)
        # (3 extra zero columns: the banded KDE reads them as empty bins)
        hist = pair_histograms_wide(coords, strip, strip_width, sel, wsel, delta, n_bins,
                                    cutoff, geo, radius, *binning["args"])
        return banded_kde_numba(hist, kmat[0], kmat[1]) / denom
    out = np.empty((sel.shape[0], grid.size))
    for s in range(sel.shape[0]):
        pts = coords[sel[s]]
        w = wsel[s] if wsel.shape[1] else np.ones(sel.shape[1])
        if method == "exact":
            d, i, j = _pairs_within(pts, geo, radius, cutoff)
            out[s] = _exact_curve(d, w[i] * w[j], grid, h) / denom
        else:
            d, i, j = pair_distances_numpy(pts, geo, radius)
            out[s] = _dbmss_curve(d, w[i] * w[j], grid, h, max_d)
    return out


#: Memory for the simulated curves of the industries that share one sweep (bytes), and
#: for the histograms of one batch of simulations of such a group.
SHARED_CURVES_BYTES = 256 << 20
SHARED_ROWS_BYTES = 64 << 20


def _shared_kd(specs, coords, strip, strip_width, geo, radius, grid, max_d, bin_width,
               n_ref, simulations, site_seed, finish, report):
    """Kd of the industries on the shared path (``nested_histograms_numba``).

    Every simulation's counterfactual of an industry of ``k`` establishments is the
    first ``k`` sites of that simulation's random ordering of the reference, so one
    sweep over the first ``K`` sites gives the histograms of all industries up to ``K``
    establishments. Industries go largest first, in groups whose simulated curves fit
    in ``SHARED_CURVES_BYTES``; each group sweeps up to its largest industry. The
    histograms depend on each industry alone (integer counts), so the grouping and
    the batches change nothing in the result.
    """
    m = grid.size
    by_size = sorted(specs, key=lambda sp: -sp["k"])
    per = max(1, SHARED_CURVES_BYTES // max(1, simulations * m * 8))
    n_threads = numba.get_num_threads()
    for g0 in range(0, len(by_size), per):
        group = by_size[g0:g0 + per][::-1]  # ascending size
        nodes = chord_nodes(max_d, max(sp["cutoff"] for sp in group), geo, radius,
                            bin_width)
        ks = np.array([sp["k"] for sp in group], dtype=np.int64)
        last = np.array([sp["binning"]["last"] for sp in group], dtype=np.int64)
        inv = np.array([1.0 / sp["delta"] for sp in group])
        nb = np.array([sp["binning"]["n_bins"] for sp in group], dtype=np.int64)
        kmats = [_binned_kernel(grid, sp["binning"]["n_bins"], sp["delta"], sp["h"])
                 for sp in group]
        tab = (nodes["scale"], nodes["n_nodes"], nodes["d"])

        def sweep(order, sl, tab=tab, per_ind=(ks, last, inv, nb)):
            return nested_histograms_numba(coords, strip, float(strip_width), geo, order,
                                           *tab, *(v[sl] for v in per_ind))

        def single(sel, i, tab=tab, per_ind=(last, inv, nb)):
            # one industry: the site-ordered sweep (same values, each pair once)
            return shared_histograms_numba(coords, strip, float(strip_width), geo, sel,
                                           *tab, *(v[i] for v in per_ind))

        obs = [None] * len(group)
        alone = len(group) == 1
        for i, sp in enumerate(group):
            if alone and simulations:  # row 0 of the first batch below
                continue
            hist = single(np.ascontiguousarray(sp["obs_sel"]), i)
            obs[i] = banded_kde_numba(hist, *kmats[i])[0] / sp["denom"]
            report(sp["label"], 1)
        sims = [np.empty((simulations, m)) for _ in group]
        row_bytes = 8 * int((nb + 3).sum())
        batch = max(2 * n_threads, SHARED_ROWS_BYTES // row_bytes)
        label = (group[-1]["label"] if alone
                 else f"{len(group)} industries (largest {group[-1]['label']})")
        for a in range(0, simulations, batch):
            b = min(simulations, a + batch)
            order = draw_prefixes_numba(n_ref, int(ks[-1]), site_seed, a, b - a,
                                        _table_size(int(ks[-1])))
            if alone:
                if n_ref <= 16 * order.shape[1]:  # dense prefixes: bitmap sort
                    sort_rows_numba(order, n_ref)
                else:
                    order.sort(axis=1)
                lead = 1 if obs[0] is None else 0
                if lead:
                    order = np.vstack([group[0]["obs_sel"], order])
                cur = banded_kde_numba(single(order, 0), *kmats[0]) / group[0]["denom"]
                if lead:
                    obs[0] = cur[0]
                sims[0][a:b] = cur[lead:]
                report(label, b - a + lead)
                continue
            hist, off = sweep(order, slice(None))
            for i, sp in enumerate(group):
                rows_i = hist[off[i]:off[i + 1]].reshape(b - a, nb[i] + 3)
                sims[i][a:b] = banded_kde_numba(rows_i, *kmats[i]) / sp["denom"]
            report(label, (b - a) * len(group))
        for i, sp in enumerate(group):
            finish(sp, obs[i], sims[i])


# --------------------------------------------------------------------------- envelopes


def _sorted_columns(sims: np.ndarray):
    """One stable ascending sort of every column, shared by the bands and p-values.

    Returns the order, the sorted values and, at each sorted position, the first and
    last positions of its tie group (equal values).
    """
    n = sims.shape[0]
    order = np.argsort(sims, axis=0, kind="stable")
    srt = np.take_along_axis(sims, order, axis=0)
    pos = np.arange(n, dtype=np.int64)[:, None]
    starts = np.ones(srt.shape, dtype=bool)
    starts[1:] = srt[1:] != srt[:-1]
    ends = np.ones(srt.shape, dtype=bool)
    ends[:-1] = starts[1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, pos, n - 1)[::-1], axis=0)[::-1]
    return order, srt, first, last


def _unsort(order: np.ndarray, at_pos: np.ndarray) -> np.ndarray:
    out = np.empty(at_pos.shape, dtype=at_pos.dtype)
    np.put_along_axis(out, order, at_pos, axis=0)
    return out


def _global_bands(sims: np.ndarray, alpha: float, columns=None):
    """DO (2005, section 4) global bands: ``alpha`` of the simulated curves cross each.

    Upper band at rank ``q`` (``q``-th largest value, 0-based, ties in simulation
    order) at every distance; a simulation is above it somewhere iff its smallest rank
    over distances is ``< q``; ``q`` is the largest rank with at most
    ``floor(alpha S)`` such simulations. Lower band likewise with the smallest values.
    Both come from one stable sort of each column (``columns``: from
    :func:`_sorted_columns`, computed if not given).
    """
    n_sim = sims.shape[0]
    order, srt, first, last = columns if columns is not None else _sorted_columns(sims)
    allowed = math.floor(alpha * n_sim + 1e-9)
    pos = np.arange(n_sim, dtype=np.int64)[:, None]
    # rank in the decreasing order (ties keep simulation order), then in the increasing
    rank_pos = {1.0: (n_sim - 1 - last) + (pos - first), -1.0: np.broadcast_to(pos, srt.shape)}
    q_of = {}
    for sign, rp in rank_pos.items():
        extreme = np.sort(_unsort(order, np.ascontiguousarray(rp)).min(axis=1))
        # number of simulations with extreme rank < q is searchsorted(extreme, q)
        ok = np.searchsorted(extreme, np.arange(1, n_sim)) <= allowed
        q_of[sign] = int(np.argmin(ok)) if not ok.all() else n_sim - 1
    upper = srt[n_sim - 1 - q_of[1.0]]
    lower = srt[q_of[-1.0]]
    return lower, upper


def _extreme_rank_pvalues(obs: np.ndarray, sims: np.ndarray,
                          columns=None) -> tuple[float, float]:
    """Global Monte Carlo p-values by extreme rank length (Myllymaki et al. 2017).

    Among the ``S + 1`` curves (observed first), each curve's rank at every distance
    (1 = largest; ties share the best rank, i.e. 1 + the number of larger values);
    each curve's ranks sorted increasingly form its rank vector, and a curve is at
    least as extreme as the observed one when its rank vector is lexicographically <=
    the observed's. ``p`` = number of such curves (the observed included) / (S + 1).
    Upper (localisation), then lower. The ranks come from one stable sort of each
    column of ``sims`` (``columns``, see :func:`_sorted_columns`).
    """
    n_sim = sims.shape[0]
    order, srt, first, last = columns if columns is not None else _sorted_columns(sims)
    out = []
    for sign in (1.0, -1.0):
        if sign > 0:  # 1 + number of larger values
            sim_rank = _unsort(order, n_sim - last) + (obs > sims)
            obs_rank = 1 + (sims > obs).sum(axis=0)
        else:  # 1 + number of smaller values
            sim_rank = _unsort(order, first + 1) + (obs < sims)
            obs_rank = 1 + (sims < obs).sum(axis=0)
        ranks = np.vstack([obs_rank[None, :], sim_rank])
        vec = np.sort(ranks, axis=1)
        differs = vec != vec[0]
        any_diff = differs.any(axis=1)
        first_diff = np.argmax(differs, axis=1)
        rows = np.arange(ranks.shape[0])
        smaller = vec[rows, first_diff] < vec[0, first_diff]
        out.append(float(np.mean(~any_diff | smaller)))
    return out[0], out[1]


def _trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class KdResult:
    r"""Result of :func:`duranton_overman`: Kd curves, confidence bands and verdicts.

    Attributes
    ----------
    distances : ndarray
        Distance grid (km for lon/lat, coordinate units for x/y).
    kd : DataFrame
        Observed Kd, industries x distances.
    local_lower, local_upper, global_lower, global_upper : DataFrame
        Bands from the counterfactuals (NaN when ``simulations=0``).
    summary : DataFrame
        One row per industry: ``n``, ``bandwidth``, ``gamma`` (localisation Γ), ``psi``
        (dispersion Ψ), ``verdict``, ``pvalue_localisation``, ``pvalue_dispersion``
        and ``binning_error_bound``.
    statistic : Series
        Γ per industry (the localisation index).
    pvalue : Series
        Global extreme-rank p-value of localisation per industry.
    null_distribution : dict, optional
        Simulated curves per industry (``return_null=True`` only).
    """

    distances: np.ndarray
    kd: pd.DataFrame
    local_lower: pd.DataFrame
    local_upper: pd.DataFrame
    global_lower: pd.DataFrame
    global_upper: pd.DataFrame
    summary: pd.DataFrame
    simulations: int
    alpha: float
    max_distance: float
    method: str
    weighted: bool
    null_distribution: dict[Any, np.ndarray] | None = field(default=None, repr=False)

    @property
    def statistic(self) -> pd.Series:
        return self.summary["gamma"]

    @property
    def pvalue(self) -> pd.Series:
        """Global (extreme-rank) Monte Carlo p-value of localisation per industry."""
        return self.summary["pvalue_localisation"]

    @property
    def gamma(self) -> pd.Series:
        return self.summary["gamma"]

    @property
    def psi(self) -> pd.Series:
        return self.summary["psi"]

    @property
    def verdict(self) -> pd.Series:
        return self.summary["verdict"]

    def to_frame(self) -> pd.DataFrame:
        """One row per industry x distance: kd and the local and global bounds."""
        parts = []
        for ind in self.kd.index:
            parts.append(pd.DataFrame({
                "industry": ind,
                "distance": self.distances,
                "kd": self.kd.loc[ind].to_numpy(),
                "local_lower": self.local_lower.loc[ind].to_numpy(),
                "local_upper": self.local_upper.loc[ind].to_numpy(),
                "global_lower": self.global_lower.loc[ind].to_numpy(),
                "global_upper": self.global_upper.loc[ind].to_numpy(),
            }))
        return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class MResult:
    r"""Result of :func:`marcon_puech_m`: M (or m) per industry and distance.

    ``values`` is industries x distances; ``local_lower``/``local_upper`` are the
    pointwise ``alpha``/``1 - alpha`` quantiles of the random-labelling simulations (NaN
    when ``simulations=0``).
    """

    distances: np.ndarray
    values: pd.DataFrame
    local_lower: pd.DataFrame
    local_upper: pd.DataFrame
    density: bool
    bandwidth: pd.Series
    simulations: int
    alpha: float

    @property
    def statistic(self) -> pd.DataFrame:
        return self.values

    def to_frame(self) -> pd.DataFrame:
        """One row per industry x distance with ``m`` or ``M`` and the local bounds."""
        name = "m" if self.density else "M"
        parts = []
        for ind in self.values.index:
            parts.append(pd.DataFrame({
                "industry": ind, "distance": self.distances,
                name: self.values.loc[ind].to_numpy(),
                "local_lower": self.local_lower.loc[ind].to_numpy(),
                "local_upper": self.local_upper.loc[ind].to_numpy()}))
        return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- Kd


def duranton_overman(
    points: pd.DataFrame,
    /,
    *,
    industry: str = "industry",
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
    weight: str | None = None,
    bandwidth: str | float = "silverman",
    max_distance: str | float = "median",
    distances: Sequence[float] | np.ndarray | None = None,
    n_distances: int = 201,
    simulations: int = 999,
    null: str = "random_labelling",
    reference: pd.DataFrame | None = None,
    alpha: float = 0.05,
    method: str = "binned",
    normalise: str = "all_pairs",
    bin_width: float | None = None,
    industries: Sequence[Any] | None = None,
    radius: float = EARTH_RADIUS_KM,
    seed: int | np.random.SeedSequence | None = None,
    progress: Progress | None = None,
    return_null: bool = False,
) -> KdResult:
    r"""Duranton–Overman K-density of bilateral distances, with confidence bands.

    Kd (K 密度函数, 距离法集聚测度) is the kernel density of the distances between all
    pairs of establishments of an industry. It is compared with counterfactual
    industries of the same size whose sites are drawn at random from the reference
    population of all sites, so that it controls for the overall concentration of
    activity. Every industry of the register is computed in one call.

    Parameters
    ----------
    points : DataFrame
        One row per establishment, with an industry column and coordinates.
    industry : str
        Industry column.
    lon, lat : str, optional
        Longitude and latitude columns in degrees; distances are great-circle
        kilometres on a sphere of ``radius`` km.
    x, y : str, optional
        Projected coordinate columns (give either lon/lat or x/y).
    weight : str, optional
        Establishment weight (employment) for the weighted :math:`K^{emp}`.
    bandwidth : {"silverman", "nrd0"} or float
        ``"silverman"``: Silverman's rule on all pair distances of the industry
        (DO 2005). ``"nrd0"``: the same rule on pairs no further than
        ``2 max_distance`` apart (dbmss). A number is used as given.
    max_distance : "median" or float
        Largest distance of interest: ``"median"`` of all pair distances of the
        reference population (DO 2005's 180 km for the UK), or a number.
    distances : sequence of float, optional
        Distance grid; by default ``n_distances`` points on ``[0, max_distance]``.
        When given, ``max_distance`` is its maximum.
    n_distances : int
        Points of the default grid (201).
    simulations : int
        Counterfactual industries per industry (999; 0 for none).
    null : {"random_labelling"}
        Counterfactuals: the industry's ``n`` establishments (with their weights) are
        put on ``n`` sites drawn without replacement from the reference population:
        the first ``n`` sites of a random ordering of the reference, one ordering per
        simulation shared by all industries (so counterfactuals of different
        industries are nested, which lets one sweep serve all of them).
    reference : DataFrame, optional
        Reference population of sites, with the same coordinate columns; default all
        rows of ``points``.
    alpha : float
        Tail probability of each band: local bands are the ``alpha`` and ``1 - alpha``
        quantiles at each distance, global bands are crossed by ``alpha`` of the
        simulations over the whole grid (DO 2005: 0.05).
    method : {"binned", "exact", "dbmss"}
        ``"binned"``: pair distances linearly binned on a grid of ``bin_width`` and
        the exact KDE of the binned distances (fast; see the bound in Notes).
        ``"exact"``: kernel sum over every pair (small data). ``"dbmss"``: reproduces
        R dbmss ``Kdhat`` (see Notes).
    normalise : {"all_pairs", "within_max"}
        ``"all_pairs"`` divides by the (weighted) number of all pairs (DO 2005, dbmss);
        ``"within_max"`` rescales each curve to integrate to 1 over the grid.
    bin_width : float, optional
        Bin width of ``method="binned"``; default ``bandwidth / 50``.
    industries : sequence, optional
        Compute only these industries (the reference population is unchanged).
    radius : float
        Sphere radius in km for lon/lat.
    seed : int or SeedSequence, optional
        Seed; each simulation's ordering of the reference sites comes from its own
        counter-based stream (``draw_sets_numba``), and each industry has its own
        ``SeedSequence`` child (sampled bandwidth pairs, weight shuffles), so the
        result of an industry does not depend on the number of threads, on how
        simulations are chunked, or on the other industries of the call.
    progress : callable, optional
        ``progress(step, done, total)`` called as industries and simulations finish.
    return_null : bool
        Keep every simulated curve in ``null_distribution`` (industry -> simulations x
        distances array); off by default because it is large for whole registers.

    Returns
    -------
    KdResult
        Curves, bands, Γ, Ψ and verdicts; ``to_frame()`` gives one row per industry x
        distance.

    Raises
    ------
    SchemaError
        Missing columns, non-numeric or out-of-range coordinates (with the row),
        non-positive weights, an industry with fewer than 2 establishments, bad
        options.

    See Also
    --------
    marcon_puech_m : relative measure of concentration (M) and its density (m).

    Notes
    -----
    With pair distances :math:`d_{ij}`, weights :math:`w_i` (1 when unweighted),
    Gaussian kernel :math:`\phi` and bandwidth :math:`h`, the estimator with reflection
    at 0 (the reflection method of Silverman 1986) is (DO 2005; with weights their
    employment-weighted K_emp)

    .. math::

        \hat K(d) = \frac{1}{h \sum_{i<j} w_i w_j} \sum_{i<j} w_i w_j
            \left[\phi\!\left(\frac{d - d_{ij}}{h}\right)
            + \phi\!\left(\frac{d + d_{ij}}{h}\right)\right].

    Pairs further than :math:`\max d + 8h` are pruned (their kernels are below
    :math:`e^{-32}` of the peak there). Bandwidth: :math:`h = 0.9 \min(s, IQR/1.34)
    N^{-1/5}` over the :math:`N` pair distances (Silverman 1986, eq. 3.31), computed
    from a random sample of 2 million pairs when there are more (same for the median
    of ``max_distance``). Counterfactuals use the observed industry's bandwidth.

    ``method="binned"``: distances are linearly binned on :math:`g_b = b\,\delta` and
    :math:`\hat K` is the exact reflected KDE of the binned mass. Its absolute error is
    at most :math:`\delta^2 / (4\sqrt{2\pi} h^3)` (second derivative of the two kernel
    terms), about :math:`4 \times 10^{-5}/h` for the default :math:`\delta = h/50`
    (the density itself is of order :math:`1/\bar d`), reported per industry as
    ``binning_error_bound``. Unweighted industries are binned in two stages: chords
    on one grid of nodes per call (spacing :math:`s`: the chord of ``max_distance``
    / 2,048, or of ``bin_width`` / 4 when given and smaller), then the nodes on
    :math:`g_b`; the bound then adds the node interpolation :math:`s^2/8\,(K_{dd}
    D'^2 + K_d |D''|)` and rounding terms (``_shared_binning``).

    Local bands: :math:`\alpha` and :math:`1-\alpha` quantiles of the simulated curves
    at each distance. Global bands (DO 2005, section 4): the upper band
    :math:`\bar K(d)` is the pointwise rank-:math:`q` curve with :math:`q` the largest
    rank such that at most :math:`\alpha` of the simulations are above it somewhere;
    the lower band likewise. Indices (DO 2005, section 4):

    .. math::

        \Gamma = \int_0^{\bar d} \max(\hat K(d) - \bar K(d), 0)\,dd, \qquad
        \Psi = \int_0^{\bar d} \max(\underline K(d) - \hat K(d), 0)\,dd
        \ \text{if } \Gamma = 0 \text{ else } 0,

    by the trapezoid rule on the grid (DO sum over whole kilometres, i.e. the same
    up to the end points). Verdict: ``localised`` if :math:`\Gamma > 0`, ``dispersed``
    if :math:`\Psi > 0`, else ``not significant``. In addition, ``pvalue`` is the
    global Monte Carlo p-value of the extreme rank length test (Myllymäki et al.
    2017): among the observed and :math:`S` simulated curves, let
    :math:`\mathbf{R}_c` be the pointwise ranks of curve :math:`c` (1 = largest)
    sorted increasingly; :math:`p = \#\{c : \mathbf{R}_c \preceq \mathbf{R}_{obs}\}
    / (S + 1)` with :math:`\preceq` the lexicographic order (the observed curve
    counts). ``pvalue_dispersion`` is the same from below.

    Differences with R dbmss 2.11 ``Kdhat``/``KdEnvelope``: dbmss reflects only the
    distances below :math:`4h` and evaluates R's ``density()`` (linear binning on 512
    to 4096 points and an FFT; in R < 4.4 its kernel grid is stretched by
    :math:`(2n-1)/(2n-2)`), then divides by one minus the mass mirrored below 0; this
    differs from the exact estimator by about 0.2 % here. ``method="dbmss"`` reproduces
    that computation (tested to 1e-12 on the dbmss reference output) and, with
    ``bandwidth="nrd0"``, ``max_distance`` = diameter of the window / 3 and
    ``n_distances=512``, reproduces ``Kdhat``. dbmss recomputes the bandwidth for
    each simulation and permutes (type, weight) marks over all points; agglomera keeps
    the observed bandwidth and draws sites without replacement from the reference
    population, which is the same null when ``reference`` is ``points``.

    References
    ----------
    .. [1] Duranton, G. and Overman, H. G. (2005). Testing for localization using
       micro-geographic data. *Review of Economic Studies* 72(4), 1077–1106.
       doi:10.1111/0034-6527.00362
    .. [2] Silverman, B. W. (1986). *Density Estimation for Statistics and Data
       Analysis*. London: Chapman and Hall, p. 48, eq. 3.31 (bandwidth rule).
       doi:10.1007/978-1-4899-3324-9
    .. [3] Marcon, E., Traissac, S., Puech, F. and Lang, G. (2015). Tools to
       characterize point patterns: dbmss for R. *Journal of Statistical Software*
       67(Code Snippet 3), 1–15. doi:10.18637/jss.v067.c03
    .. [4] Myllymäki, M., Mrkvička, T., Grabarnik, P., Seijo, H. and Hahn, U. (2017).
       Global envelope tests for spatial processes. *Journal of the Royal Statistical
       Society B* 79(2), 381–404. doi:10.1111/rssb.12172

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"industry": ["a", "a", "a", "b"],
    ...                     "x": [0.0, 3.0, 0.0, 10.0], "y": [0.0, 0.0, 4.0, 10.0]})
    >>> res = duranton_overman(pts, x="x", y="y", bandwidth=1.0, max_distance=5.0,
    ...                        industries=["a"], simulations=0, method="exact")
    >>> # pairs at 3, 4 and 5; at d = 5: (phi(2) + phi(1) + phi(0)) / 3
    >>> round(float(res.kd.loc["a"].iloc[-1]), 6)
    0.231635
    """
    check_choice("null", null, _NULLS)
    check_choice("method", method, _METHODS)
    check_choice("normalise", normalise, _NORMALISE)
    if method == "dbmss" and normalise != "all_pairs":
        raise SchemaError("method='dbmss' normalises over all pairs; use "
                          "normalise='all_pairs'")
    if not isinstance(simulations, (int, np.integer)) or simulations < 0:
        raise SchemaError(f"`simulations` must be an integer >= 0; got {simulations!r}")
    if not (0 < alpha < 0.5):
        raise SchemaError(f"`alpha` must be in (0, 0.5); got {alpha!r}")
    if isinstance(bandwidth, str):
        check_choice("bandwidth", bandwidth, _BANDWIDTHS)
    elif not (isinstance(bandwidth, (int, float)) and bandwidth > 0 and math.isfinite(
            bandwidth)):
        raise SchemaError(f"`bandwidth` must be 'silverman', 'nrd0' or a positive number; "
                          f"got {bandwidth!r}")
    if not isinstance(points, pd.DataFrame):
        raise SchemaError(f"`points` must be a DataFrame; got {type(points).__name__}")

    codes, labels, chosen = _industries(points, industry, industries)
    coords, geo = _coordinates(points, lon, lat, x, y, "points")
    w_all = _weights(points, weight)
    if reference is None:
        ref_coords = coords
        all_coords = coords
        offset = 0
    else:
        if not isinstance(reference, pd.DataFrame):
            raise SchemaError("`reference` must be a DataFrame with the coordinate columns")
        ref_coords, _ = _coordinates(reference, lon, lat, x, y, "reference")
        all_coords = np.vstack([ref_coords, coords])
        offset = ref_coords.shape[0]
    n_ref = ref_coords.shape[0]
    if n_ref >= 2 ** 32:
        raise SchemaError(f"the reference population has {n_ref:,} sites; at most "
                          "4,294,967,295 are supported")

    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    ss_median, *ss_ind = ss.spawn(1 + len(labels))

    if distances is not None:
        grid = _distance_grid(distances, None, None)
        max_d = float(grid[-1])
    elif isinstance(max_distance, str):
        check_choice("max_distance", max_distance, ("median",))
        d, _, _ = _sample_pair_distances(all_coords, np.arange(n_ref), geo, radius,
                                         np.random.default_rng(ss_median))
        if d.size == 0:
            raise SchemaError("the reference population needs at least 2 sites")
        max_d = float(np.median(d))
        grid = _distance_grid(None, max_d, n_distances)
    else:
        if not (isinstance(max_distance, (int, float)) and max_distance > 0
                and math.isfinite(max_distance)):
            raise SchemaError(f"`max_distance` must be 'median' or a positive number; got "
                              f"{max_distance!r}")
        max_d = float(max_distance)
        grid = _distance_grid(None, max_d, n_distances)
    if max_d <= 0:
        raise SchemaError("the median pair distance of the reference population is 0 "
                          "(all sites coincide); give max_distance=")
    # strips a quarter of the largest distance of interest wide (as a chord for lon/lat)
    strip_chord = chord_length(max_d, geo, radius) / STRIPS_PER_MAX_DISTANCE
    all_coords, strip, new_pos = _sites(all_coords, offset, geo, strip_chord)
    weighted = weight is not None

    index = [labels[c] for c in chosen]
    m = grid.size
    kd = np.full((len(chosen), m), np.nan)
    bands = {k: np.full((len(chosen), m), np.nan) for k in ("ll", "lu", "gl", "gu")}
    rows: list[dict | None] = [None] * len(chosen)
    null_dist = {}
    total_steps = len(chosen) * (1 + simulations)
    done = [0]
    # counterfactual sites: one random ordering of the reference per simulation,
    # shared by every industry (an industry of k establishments takes its first k)
    site_seed = ss.spawn(1)[0].generate_state(1, dtype=np.uint64)[0]
    shared_path = method == "binned" and not weighted

    def report(label, n):
        done[0] += n
        if progress is not None:
            progress(f"Kd {label}", done[0], total_steps)

    def finish(sp, obs, sims):
        """Normalisation, bands, indices and the summary row of one industry."""
        pos, label = sp["pos"], sp["label"]
        if normalise == "within_max":
            obs = obs / _trapezoid(obs, grid)
            if simulations:
                sims = sims / (np.sum((sims[:, 1:] + sims[:, :-1]) * np.diff(grid), axis=1)
                               / 2)[:, None]
        kd[pos] = obs
        gamma = psi = p_loc = p_disp = np.nan
        verdict = "not tested"
        if simulations:
            # compiled; equal to _sorted_columns + np.quantile + _global_bands +
            # _extreme_rank_pvalues (tests/measures/test_kdensity.py)
            (bands["ll"][pos], bands["lu"][pos], bands["gl"][pos], bands["gu"][pos],
             p_loc, p_disp) = envelope_numba(np.ascontiguousarray(sims),
                                             np.ascontiguousarray(obs), float(alpha))
            p_loc, p_disp = float(p_loc), float(p_disp)
            gamma = _trapezoid(np.maximum(obs - bands["gu"][pos], 0.0), grid)
            psi = _trapezoid(np.maximum(bands["gl"][pos] - obs, 0.0), grid)
            if gamma > 0:
                psi = 0.0
                verdict = "localised"
            elif psi > 0:
                verdict = "dispersed"
            else:
                verdict = "not significant"
            if return_null:
                null_dist[label] = sims
        bound = sp["binning"]["bound"] if method == "binned" else 0.0
        rows[pos] = {"industry": label, "n": sp["k"], "bandwidth": sp["h"],
                     "gamma": gamma, "psi": psi, "verdict": verdict,
                     "pvalue_localisation": p_loc, "pvalue_dispersion": p_disp,
                     "binning_error_bound": bound}

    specs = []
    for pos, c in enumerate(chosen):
        label = labels[c]
        members = np.flatnonzero(codes == c)
        k = members.size
        if k < 2:
            raise SchemaError(f"industry {label!r} has {k} establishment(s); Kd needs at "
                              "least 2 (pass industries= to leave it out)")
        if simulations and k > n_ref:
            raise SchemaError(f"industry {label!r} has {k} establishments but the "
                              f"reference population only {n_ref} sites")
        if k > MAX_SET_SIZE:
            raise SchemaError(f"industry {label!r} has {k:,} establishments; at most "
                              f"{MAX_SET_SIZE:,} are supported per industry")
        weight_seed = ss_ind[c].spawn(1)[0].generate_state(1, dtype=np.uint64)[0]
        rng = np.random.default_rng(ss_ind[c])
        w = np.ascontiguousarray(w_all[members])
        obs_idx = new_pos[members + offset]
        order = np.argsort(obs_idx, kind="stable")
        obs_sel = obs_idx[order][None, :]
        obs_w = (w[order] if weighted else np.empty(0))[None, :]
        # bandwidth
        if isinstance(bandwidth, str):
            d, n_pairs, sampled = _sample_pair_distances(all_coords, obs_sel[0], geo,
                                                         radius, rng)
            if bandwidth == "nrd0":
                near = d <= 2 * max_d
                n_pairs = round(n_pairs * near.mean()) if sampled else int(near.sum())
                d = d[near]
            h = _nrd0(d, max(n_pairs, 1))
        else:
            h = float(bandwidth)
        denom = (w.sum() ** 2 - (w * w).sum()) / 2.0
        cutoff = max_d + KERNEL_REACH * h
        delta = float(bin_width) if bin_width is not None else h / 50.0
        if not (delta > 0 and math.isfinite(delta)):
            raise SchemaError(f"`bin_width` must be a positive number; got {bin_width!r}")
        sp = {"pos": pos, "label": label, "k": k, "h": h, "denom": denom,
              "cutoff": cutoff, "delta": delta, "w": w, "obs_sel": obs_sel,
              "obs_w": obs_w, "weight_seed": weight_seed, "binning": None,
              "kmat": None}
        if method == "binned":  # one binning and kernel matrix per industry
            try:
                sp["binning"] = _binning(cutoff, delta, h, geo, radius, k, max_d,
                                         shared_path, bin_width)
            except SchemaError as exc:
                raise SchemaError(f"industry {label!r}: {exc}") from None
        specs.append(sp)

    if shared_path:
        shared = [sp for sp in specs if sp["binning"]["path"] == "shared"]
        _shared_kd(shared, all_coords, strip, strip_chord, geo, radius, grid, max_d,
                   bin_width, n_ref, simulations, site_seed, finish, report)
        specs = [sp for sp in specs if sp["binning"]["path"] != "shared"]
    for sp in specs:
        label, k, w = sp["label"], sp["k"], sp["w"]
        kw = {"method": method, "coords": all_coords, "strip": strip,
              "strip_width": strip_chord, "grid": grid, "h": sp["h"],
              "cutoff": sp["cutoff"], "delta": sp["delta"], "denom": sp["denom"],
              "geo": geo, "radius": radius, "max_d": max_d, "binning": sp["binning"],
              "kmat": None}
        if method == "binned":
            kw["kmat"] = _binned_kernel(grid, sp["binning"]["n_bins"], sp["delta"],
                                        sp["h"])
        sims = np.empty((simulations, m))
        chunk = max(1, min(simulations, 2_000_000 // k)) if simulations else 1
        obs = None
        # the observed point set is row 0 of the first kernel call (one call less per
        # industry; every row is computed independently, so the values are the same)
        for a in range(0, max(simulations, 1), chunk):
            b = min(simulations, a + chunk)
            lead = 1 if obs is None else 0
            sel, wsel = draw_sets_numba(n_ref, k, site_seed, a, b - a, w, weighted,
                                        sp["weight_seed"])
            if lead:
                sel = np.vstack([sp["obs_sel"], sel])
                wsel = np.vstack([sp["obs_w"], wsel])
            cur = _curves(sel, wsel, **kw)
            if lead:
                obs = cur[0]
            sims[a:b] = cur[lead:]
            report(label, b - a + lead)
        finish(sp, obs, sims)

    cols = pd.Index(grid, name="distance")
    idx = pd.Index(index, name="industry")

    def frame(a):
        return pd.DataFrame(a, index=idx, columns=cols)

    summary = pd.DataFrame([{k: v for k, v in r.items() if k != "industry"}
                            for r in rows], index=idx)
    return KdResult(distances=grid, kd=frame(kd), local_lower=frame(bands["ll"]),
                    local_upper=frame(bands["lu"]), global_lower=frame(bands["gl"]),
                    global_upper=frame(bands["gu"]), summary=summary,
                    simulations=int(simulations), alpha=float(alpha), max_distance=max_d,
                    method=method, weighted=weight is not None,
                    null_distribution=null_dist or None)


# --------------------------------------------------------------------------- M and m


def _m_values(i, j, bins, lab, w, n_pts, n_r, density_kernel):
    """Per point, neighbour weight of its own industry and of all points, by distance.

    Returns (same, total), each ``n_pts x n_r``: cumulative up to ``r`` for M, kernel
    weighted at ``r`` for m (``density_kernel`` is the ``pairs x n_r`` kernel matrix).
    """
    same_pair = lab[i] == lab[j]
    if density_kernel is None:
        total = np.zeros((n_pts, n_r + 1))
        same = np.zeros((n_pts, n_r + 1))
        flat_i = i * (n_r + 1) + bins
        flat_j = j * (n_r + 1) + bins
        total += (np.bincount(flat_i, weights=w[j], minlength=n_pts * (n_r + 1))
                  + np.bincount(flat_j, weights=w[i], minlength=n_pts * (n_r + 1))
                  ).reshape(n_pts, n_r + 1)
        same += (np.bincount(flat_i[same_pair], weights=w[j][same_pair],
                             minlength=n_pts * (n_r + 1))
                 + np.bincount(flat_j[same_pair], weights=w[i][same_pair],
                               minlength=n_pts * (n_r + 1))).reshape(n_pts, n_r + 1)
        return np.cumsum(same, axis=1)[:, :n_r], np.cumsum(total, axis=1)[:, :n_r]
    total = np.zeros((n_pts, n_r))
    same = np.zeros((n_pts, n_r))
    for r_idx in range(n_r):
        kv = density_kernel[:, r_idx]
        total[:, r_idx] = (np.bincount(i, weights=w[j] * kv, minlength=n_pts)
                           + np.bincount(j, weights=w[i] * kv, minlength=n_pts))
        ks = np.where(same_pair, kv, 0.0)
        same[:, r_idx] = (np.bincount(i, weights=w[j] * ks, minlength=n_pts)
                          + np.bincount(j, weights=w[i] * ks, minlength=n_pts))
    return same, total


def marcon_puech_m(
    points: pd.DataFrame,
    /,
    *,
    industry: str = "industry",
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
    weight: str | None = None,
    distances: Sequence[float] | np.ndarray | None = None,
    max_distance: str | float = "median",
    n_distances: int = 64,
    density: bool = False,
    bandwidth: str | float = "nrd0",
    simulations: int = 0,
    alpha: float = 0.025,
    industries: Sequence[Any] | None = None,
    radius: float = EARTH_RADIUS_KM,
    seed: int | np.random.SeedSequence | None = None,
    progress: Progress | None = None,
) -> MResult:
    r"""Marcon–Puech M, the relative concentration of an industry within distance r.

    M (相对集聚函数) compares, around each establishment of industry S, the share of S
    in the (weighted) neighbours within distance :math:`r` with the share of S in the
    whole population. With ``density=True`` the neighbours are counted at distance
    :math:`r` through a Gaussian kernel instead (the density version m of Lang, Marcon
    and Puech 2020). All industries are computed in one pass over the pairs.

    Parameters
    ----------
    points : DataFrame
        One row per establishment with an industry column and coordinates; all rows
        are the reference population.
    industry, lon, lat, x, y, weight : str
        Columns, as in :func:`duranton_overman` (weights: employment).
    distances : sequence of float, optional
        Distances r (increasing). Default ``n_distances`` points on ``(0,
        max_distance]`` for M and ``[0, max_distance]`` for m.
    max_distance : "median" or float
        Largest distance: the median pair distance of all points, or a number.
    n_distances : int
        Points of the default grid.
    density : bool
        False: M (cumulative, Marcon & Puech 2010); True: m (kernel density, Lang et
        al. 2020).
    bandwidth : {"nrd0"} or float
        For m: Silverman's rule on the pair distances within each industry (as
        dbmss ``mhat``), or a number.
    simulations : int
        Random-labelling simulations (industry labels and weights permuted over the
        sites); 0 for none.
    alpha : float
        Tail probability of the pointwise bands.
    industries : sequence, optional
        Report only these industries.
    radius : float
        Sphere radius in km for lon/lat.
    seed : int or SeedSequence, optional
        Seed of the permutations.
    progress : callable, optional
        ``progress(step, done, total)``.

    Returns
    -------
    MResult
        ``values`` (industries x distances), bands, ``to_frame()``.

    Raises
    ------
    SchemaError
        Missing or bad columns, bad options.

    See Also
    --------
    duranton_overman : absolute localisation (Kd).

    Notes
    -----
    For industry :math:`S` with weights :math:`w`, :math:`W_S = \sum_{i \in S} w_i`,
    :math:`W = \sum_i w_i` (Marcon & Puech 2010):

    .. math::

        M_S(r) = \frac{\sum_{i \in S} \dfrac{\sum_{j \in S, j \ne i,
            d_{ij} \le r} w_j}{\sum_{j \ne i, d_{ij} \le r} w_j}}
            {\sum_{i \in S} \dfrac{W_S - w_i}{W - w_i}},

    where establishments without any neighbour within :math:`r` are left out of both
    sums (as dbmss ``Mhat``). :math:`M = 1` under random location of S among all
    sites; above 1 means relative concentration. The density version replaces
    :math:`1\{d_{ij} \le r\}` by :math:`\phi((r - d_{ij})/h)/h` (Lang, Marcon & Puech
    2020; no reflection, as dbmss ``mhat``). The cost is proportional to the
    number of pairs within ``max_distance`` (plus :math:`8h` for m), found with a
    KD-tree.

    References
    ----------
    .. [1] Marcon, E. and Puech, F. (2010). Measures of the geographic concentration
       of industries: improving distance-based methods. *Journal of Economic
       Geography* 10(5), 745–762. doi:10.1093/jeg/lbp056
    .. [2] Lang, G., Marcon, E. and Puech, F. (2020). Distance-based measures of
       spatial concentration: introducing a relative density function. *The Annals of
       Regional Science* 64(2), 243–265. doi:10.1007/s00168-019-00972-z

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"industry": ["a", "a", "b", "b"],
    ...                     "x": [0.0, 1.0, 10.0, 11.0], "y": [0.0, 0.0, 0.0, 0.0]})
    >>> res = marcon_puech_m(pts, x="x", y="y", distances=[2.0])
    >>> float(res.values.loc["a", 2.0])  # neighbours all of the own industry: 1 / (1/3)
    3.0
    """
    check_choice("bandwidth", bandwidth, _BANDWIDTHS[1:]) if isinstance(
        bandwidth, str) else None
    if not isinstance(simulations, (int, np.integer)) or simulations < 0:
        raise SchemaError(f"`simulations` must be an integer >= 0; got {simulations!r}")
    if not (0 < alpha < 0.5):
        raise SchemaError(f"`alpha` must be in (0, 0.5); got {alpha!r}")
    if not isinstance(points, pd.DataFrame):
        raise SchemaError(f"`points` must be a DataFrame; got {type(points).__name__}")
    codes, labels, chosen = _industries(points, industry, industries)
    coords, geo = _coordinates(points, lon, lat, x, y, "points")
    w = _weights(points, weight)
    n_pts = len(points)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    ss_med, ss_bw, ss_sim = ss.spawn(3)
    if distances is not None:
        grid = _distance_grid(distances, None, None, min_size=1)
    else:
        if isinstance(max_distance, str):
            check_choice("max_distance", max_distance, ("median",))
            d, _, _ = _sample_pair_distances(coords, np.arange(n_pts), geo, radius,
                                             np.random.default_rng(ss_med))
            max_d = float(np.median(d)) if d.size else 0.0
        else:
            max_d = float(max_distance)
        if not (max_d > 0 and math.isfinite(max_d)):
            raise SchemaError(f"`max_distance` must be positive; got {max_distance!r}")
        grid = _distance_grid(None, max_d, n_distances + (0 if density else 1))
        if not density:
            grid = grid[1:]
    n_r = grid.size
    # bandwidth (m): one per reported industry, from its own pair distances
    h_by = {}
    if density:
        rng_bw = np.random.default_rng(ss_bw)
        for c in chosen:
            if isinstance(bandwidth, str):
                members = np.flatnonzero(codes == c)
                d, n_pairs, _ = _sample_pair_distances(coords, members, geo, radius, rng_bw)
                if d.size == 0:
                    raise SchemaError(f"industry {labels[c]!r} has fewer than 2 "
                                      "establishments; m needs a bandwidth")
                h_by[c] = _nrd0(d, n_pairs)
            else:
                h_by[c] = float(bandwidth)
    reach = float(grid[-1]) + (KERNEL_REACH * max(h_by.values()) if density else 0.0)
    d, i, j = _pairs_within(coords, geo, radius, reach)
    if progress is not None:
        progress("M: pairs", 1, 1)

    W = w.sum()

    def compute(lab_codes, w_pts):
        W_lab = np.bincount(lab_codes, weights=w_pts, minlength=len(labels))
        out = np.full((len(chosen), n_r), np.nan)
        global_ratio = (W_lab[lab_codes] - w_pts) / (W - w_pts)
        if not density:
            bins = np.searchsorted(grid, d, side="left")
            same, total = _m_values(i, j, bins, lab_codes, w_pts, n_pts, n_r, None)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = same / total
            for pos, c in enumerate(chosen):
                mem = lab_codes == c
                r_c = ratio[mem]
                fin = np.isfinite(r_c)
                num = np.where(fin, r_c, 0.0).sum(axis=0)
                den = (fin * global_ratio[mem][:, None]).sum(axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[pos] = num / den
            return out
        for pos, c in enumerate(chosen):
            h = h_by[c]
            kern = _gauss((grid[None, :] - d[:, None]) / h) / h
            same, total = _m_values(i, j, None, lab_codes, w_pts, n_pts, n_r, kern)
            mem = lab_codes == c
            with np.errstate(invalid="ignore", divide="ignore"):
                r_c = same[mem] / total[mem]
            fin = np.isfinite(r_c)
            num = np.where(fin, r_c, 0.0).sum(axis=0)
            den = (fin * global_ratio[mem][:, None]).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[pos] = num / den
        return out

    values = compute(codes, w)
    lower = np.full_like(values, np.nan)
    upper = np.full_like(values, np.nan)
    if simulations:
        rng = np.random.default_rng(ss_sim)
        sims = np.empty((simulations, *values.shape))
        for s in range(simulations):
            perm = rng.permutation(n_pts)
            sims[s] = compute(codes[perm], w[perm])
            if progress is not None:
                progress("M: simulations", s + 1, simulations)
        lower, upper = np.nanquantile(sims, [alpha, 1 - alpha], axis=0)
    idx = pd.Index([labels[c] for c in chosen], name="industry")
    cols = pd.Index(grid, name="distance")
    return MResult(distances=grid, values=pd.DataFrame(values, index=idx, columns=cols),
                   local_lower=pd.DataFrame(lower, index=idx, columns=cols),
                   local_upper=pd.DataFrame(upper, index=idx, columns=cols),
                   density=bool(density),
                   bandwidth=pd.Series({labels[c]: h_by.get(c, np.nan) for c in chosen},
                                       name="bandwidth"),
                   simulations=int(simulations), alpha=float(alpha))
