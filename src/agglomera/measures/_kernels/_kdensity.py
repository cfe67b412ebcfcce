"""Kernels for distance-based measures: pair-distance histograms (numba, numpy twin).

``pair_histogram_numba(coords, sel, w, bin_width, n_bins, cutoff, geo, radius)`` returns,
for every simulation ``s`` (row of ``sel``), the linearly binned histogram of the
distances between the points ``coords[sel[s]]``: pair ``(a, b)`` at distance ``d``
with ``d <= cutoff`` adds ``w[a] w[b] (1 - f)`` to bin ``i`` and ``w[a] w[b] f`` to bin
``i + 1``, where ``d / bin_width = i + f`` (bin ``i`` is centred on ``i * bin_width``).

``coords`` are 3-D: unit vectors on the sphere when ``geo`` is true (the distance is
then the great-circle arc ``2 radius asin(chord / 2)``), or planar coordinates (the
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


@njit(parallel=True, cache=True)
def pair_histogram_numba(coords, sel, w, bin_width, n_bins, cutoff, geo, radius):
    """Linearly binned pair-distance histogram of each row of ``sel`` (see module doc).

    Requires ``n_bins >= floor(cutoff / bin_width) + 2`` (then no pair falls outside).
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
        row = np.zeros(n_bins)
        if geo:
            for a in range(k):
                xa = xs[a]
                ya = ys[a]
                za = zs[a]
                wa = ws[a]
                for b in range(a + 1, k):
                    dx = xs[b] - xa
                    if dx > chord_cut:
                        break
                    dy = ys[b] - ya
                    dz = zs[b] - za
                    d2 = dx * dx + dy * dy + dz * dz
                    if d2 <= cut2:
                        half = 0.5 * math.sqrt(d2)
                        d = 2.0 * radius * math.asin(min(half, 1.0))
                        if d <= cutoff:
                            pos = d * inv
                            ib = int(pos)
                            f = pos - ib
                            ww = wa * ws[b]
                            row[ib] += ww - ww * f
                            row[ib + 1] += ww * f
        else:
            for a in range(k):
                xa = xs[a]
                ya = ys[a]
                wa = ws[a]
                for b in range(a + 1, k):
                    dx = xs[b] - xa
                    if dx > chord_cut:
                        break
                    dy = ys[b] - ya
                    d2 = dx * dx + dy * dy
                    if d2 <= cut2:
                        pos = math.sqrt(d2) * inv
                        ib = int(pos)
                        f = pos - ib
                        ww = wa * ws[b]
                        row[ib] += ww - ww * f
                        row[ib + 1] += ww * f
        hist[s] = row
    return hist


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
