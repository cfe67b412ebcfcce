"""Kernels for distance-based measures: pair-distance histograms (numba, numpy twin).

``pair_histogram_numba(coords, sel, w, bin_width, n_bins, cutoff, geo, radius)`` returns,
for every simulation ``s`` (row of ``sel``), the linearly binned histogram of the
distances between the points ``coords[sel[s]]``: pair ``(a, b)`` at distance ``d``
with ``d <= cutoff`` adds ``w[a] w[b] (1 - f)`` to bin ``i`` and ``w[a] w[b] f`` to bin
``i + 1``, where ``d / bin_width = i + f`` (bin ``i`` is centred on ``i * bin_width``).

``coords`` are 3-D: unit vectors on the sphere when ``geo`` is true (the distance is
then the great-circle arc ``2 radius asin(chord / 2)``; the kernel uses the Taylor
series of asin when every kept chord is short enough, see ``ASIN_SERIES_MAX``), or planar coordinates (the
third column is ignored). Pairs are pruned with a sweep along the first coordinate (sorted,
stable): two points further apart than ``cutoff`` in that coordinate are never
compared. Each simulation is one task of a ``prange`` loop and is summed in a fixed
order by one thread, so the result does not depend on the number of threads.

The numpy twin ``pair_histogram_numpy`` has the same signature and returns the same
histograms up to floating-point summation order (tested equal to 1e-12 relative in
``tests/measures/test_kdensity.py``). Neither validates its inputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: Below this half-chord, asin is evaluated by its Taylor series to s**11 (relative error
#: < 1e-10 at 0.2, i.e. < 0.3 m at 2,500 km), which the compiler can vectorise.
ASIN_SERIES_MAX = 0.2


@njit(cache=True, fastmath=True)
def _asin_series(s):
    s2 = s * s
    return s * (1.0 + s2 * (1.0 / 6.0 + s2 * (3.0 / 40.0 + s2 * (5.0 / 112.0 + s2 * (
        35.0 / 1152.0 + s2 * (63.0 / 2816.0))))))


@njit(parallel=True, cache=True, fastmath=True)
def pair_histogram_numba(coords, sel, w, bin_width, n_bins, cutoff, geo, radius):
    """Linearly binned pair-distance histogram of each row of ``sel`` (see module doc).

    Requires ``n_bins >= floor(cutoff / bin_width) + 2`` (then no pair falls outside).
    Two passes per point: the distances to the points inside the sweep window are
    computed into a buffer (vectorised), then binned.
    """
    n_sim, k = sel.shape
    hist = np.zeros((n_sim, n_bins))
    inv = 1.0 / bin_width
    if geo:
        half = cutoff / (2.0 * radius)
        chord_cut = 2.0 * math.sin(half) if half < math.pi / 2 else 2.0
    else:
        chord_cut = cutoff
    cut2 = chord_cut * chord_cut
    series = geo and chord_cut / 2.0 <= ASIN_SERIES_MAX
    dump = float(n_bins)  # pairs beyond the cutoff are binned here and dropped
    scale = 2.0 * radius * inv
    # never write outside the row, even if n_bins is too small for the cutoff
    limit = min(cutoff * inv, n_bins - 1.0)
    for s in prange(n_sim):
        px = np.empty(k)
        for a in range(k):
            px[a] = coords[sel[s, a], 0]
        order = np.argsort(px, kind="mergesort")
        xs = np.empty(k)
        ys = np.empty(k)
        zs = np.empty(k)
        ws = np.empty(k)
        for a in range(k):
            i = sel[s, order[a]]
            xs[a] = coords[i, 0]
            ys[a] = coords[i, 1]
            zs[a] = coords[i, 2]
            ws[a] = w[order[a]]
        row = np.zeros(n_bins + 2)
        buf = np.empty(k)
        e = 0
        for a in range(k):
            xa = xs[a]
            ya = ys[a]
            za = zs[a]
            wa = ws[a]
            # the window end only moves forward as xa grows: scan it once per set
            if e < a + 1:
                e = a + 1
            while e < k and xs[e] - xa <= chord_cut:
                e += 1
            m = e - a - 1
            if not geo:
                for t in range(m):
                    dx = xs[a + 1 + t] - xa
                    dy = ys[a + 1 + t] - ya
                    d2 = dx * dx + dy * dy
                    buf[t] = math.sqrt(d2) * inv if d2 <= cut2 else dump
            elif series:
                for t in range(m):
                    dx = xs[a + 1 + t] - xa
                    dy = ys[a + 1 + t] - ya
                    dz = zs[a + 1 + t] - za
                    d2 = dx * dx + dy * dy + dz * dz
                    buf[t] = _asin_series(0.5 * math.sqrt(d2)) * scale if (
                        d2 <= cut2) else dump
            else:
                for t in range(m):
                    dx = xs[a + 1 + t] - xa
                    dy = ys[a + 1 + t] - ya
                    dz = zs[a + 1 + t] - za
                    d2 = dx * dx + dy * dy + dz * dz
                    buf[t] = math.asin(min(0.5 * math.sqrt(d2), 1.0)) * scale if (
                        d2 <= cut2) else dump
            for t in range(m):
                pos = buf[t]
                if pos > limit:
                    continue
                ib = int(pos)
                f = pos - ib
                ww = wa * ws[a + 1 + t]
                row[ib] += ww - ww * f
                row[ib + 1] += ww * f
        hist[s] = row[:n_bins]
    return hist


@njit(cache=True)
def pair_distance_list_numba(coords, idx, geo, radius):
    """Distances of all pairs ``a < b`` of ``coords[idx]``, in row order (a, then b)."""
    k = idx.size
    out = np.empty(k * (k - 1) // 2)
    p = 0
    for a in range(k):
        i = idx[a]
        for b in range(a + 1, k):
            j = idx[b]
            dx = coords[i, 0] - coords[j, 0]
            dy = coords[i, 1] - coords[j, 1]
            dz = coords[i, 2] - coords[j, 2]
            c = math.sqrt(dx * dx + dy * dy + dz * dz)
            out[p] = 2.0 * radius * math.asin(min(0.5 * c, 1.0)) if geo else c
            p += 1
    return out


def pair_distance_list_numpy(coords, idx, geo, radius):
    """Numpy twin of :func:`pair_distance_list_numba`."""
    return pair_distances_numpy(coords[idx], geo, radius)[0]


@njit(parallel=True, cache=True, fastmath=True)
def banded_kde_numba(hist, kband, lo):
    """``out[s, m] = sum_t hist[s, lo[m] + t] * kband[m, t]`` (kernel band per row m).

    Blocks of four simulations share each kernel row (cache reuse); every output
    element is one dot product in a fixed order, whatever the number of threads.
    """
    n_sim, n_bins = hist.shape
    n_out, width = kband.shape
    out = np.zeros((n_sim, n_out))
    n_blocks = (n_sim + 3) // 4
    for blk in prange(n_blocks):
        s0 = blk * 4
        s1 = min(n_sim, s0 + 4)
        for m in range(n_out):
            start = lo[m]
            stop = min(width, n_bins - start)
            kr = kband[m]
            for s in range(s0, s1):
                hr = hist[s, start:start + stop]
                acc = 0.0
                for t in range(stop):
                    acc += hr[t] * kr[t]
                out[s, m] = acc
    return out


def banded_kde_numpy(hist, kband, lo):
    """Numpy twin of :func:`banded_kde_numba` (dense matrix product)."""
    n_out, width = kband.shape
    dense = np.zeros((n_out, hist.shape[1]))
    for m in range(n_out):
        stop = min(width, hist.shape[1] - lo[m])
        dense[m, lo[m]:lo[m] + stop] = kband[m, :stop]
    return hist @ dense.T


def pair_distances_numpy(points, geo, radius):
    """All ``i < j`` pair distances of ``points`` (n x 3) and the index arrays."""
    k = points.shape[0]
    ia, ib = np.triu_indices(k, 1)
    diff = points[ia] - points[ib]
    chord = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    if geo:
        d = 2.0 * radius * np.arcsin(np.minimum(chord / 2.0, 1.0))
    else:
        d = chord
    return d, ia, ib


def pair_histogram_numpy(coords, sel, w, bin_width, n_bins, cutoff, geo, radius):
    """Numpy twin of :func:`pair_histogram_numba` (same signature and results)."""
    n_sim = sel.shape[0]
    hist = np.zeros((n_sim, n_bins))
    for s in range(n_sim):
        d, ia, ib = pair_distances_numpy(coords[sel[s]], geo, radius)
        keep = d <= cutoff
        d, ww = d[keep], (w[ia] * w[ib])[keep]
        pos = d * (1.0 / bin_width)
        i0 = np.floor(pos).astype(np.int64)
        f = pos - i0
        hist[s] += np.bincount(i0, weights=ww - ww * f, minlength=n_bins)
        hist[s] += np.bincount(i0 + 1, weights=ww * f, minlength=n_bins)
    return hist
