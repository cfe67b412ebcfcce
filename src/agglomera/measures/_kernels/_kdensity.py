"""Kernels for distance-based measures: random point sets and pair-distance histograms.

Point sets (``draw_sets_numba``, ``draw_prefixes_numba``, twins ``*_numpy``).
Simulation ``c`` orders the ``n`` reference sites at random with its own counter-based
stream, started at ``splitmix64(seed, c)`` (Steele, Lea & Flood 2014): a sparse
Fisher-Yates shuffle (Durstenfeld 1964) with Lemire's (2019) exact bounded integers,
of which only the first ``k`` steps are made, so a k-prefix is the same for every
longer prefix. An industry of ``k`` establishments takes the first ``k`` sites (sorted
for the site-ordered kernels); for weighted measures the industry's weights are then
shuffled onto them (Fisher-Yates, the industry's own stream). A set depends on
``(seed, c)`` alone, never on the number of threads or on how simulations are chunked.

Shared histograms (``nested_histograms_numba``, ``shared_histograms_numba``, twin
``nested_histograms_numpy``): pairs binned on one grid of chord nodes, then each
industry's nodes on its own bins; one sweep in rank order serves every industry whose
set is a prefix of the same ordering (see those functions).

Histograms (``pair_histogram_numba``, twin ``pair_histogram_numpy``). For every point
set ``s`` (row of ``sel``) the linearly binned histogram of the distances between the
points ``xyz[sel[s]]``: a pair at distance ``d <= cutoff`` with weight product ``ww``
adds ``ww (1 - f)`` to bin ``i`` and ``ww f`` to bin ``i + 1``, where
``d / bin_width = i + f`` (bin ``i`` is centred on ``i * bin_width``). The position
``i + f`` is held in fixed point with ``Q`` fraction bits (``quantum_bits``: 16 up to
32,766 bins): it is rounded to the nearest ``2**-Q`` of a bin, a shift of at most
``bin_width * 2**-(Q+1)`` (0.0008 % of a bin), which ``duranton_overman`` adds to its
stated binning error bound. Unweighted pairs are counted in integers: one packed
64-bit add per pair (count in the high bits, fraction quanta in the low bits), so the
histogram is exact in those units and independent of summation order.

``xyz`` are 3-D: unit vectors on the sphere when ``geo`` is true (the distance is then
the great-circle arc ``2 radius asin(chord / 2)``, by the Taylor series of asin when
every kept chord is short enough, see ``ASIN_SERIES_MAX``), or planar coordinates
(third column ignored). The sites are sorted by strip (bands of ``strip_width`` in the
second coordinate) and, within a strip, by the first coordinate; a set's points are
therefore in the same order when its site ids are sorted. Pairs are pruned strip by
strip: for two strips ``j`` apart only points closer than
``sqrt(cutoff^2 - ((j - 1) strip_width)^2)`` in the first coordinate are compared (two
monotone pointers), so nearly only pairs within the cutoff are visited. Each set is one
task of a ``prange`` loop, summed in a fixed order by one thread: the result does not
depend on the number of threads.

The numpy twins draw the same sets and compute every pair with numpy; they are tested
equal in ``tests/measures/test_kdensity.py``. None of these functions validates its
inputs.

References: Steele, G. L., Lea, D. and Flood, C. H. (2014). Fast splittable
pseudorandom number generators. OOPSLA 2014, 453-472. doi:10.1145/2660193.2660195.
Lemire, D. (2019). Fast random integer generation in an interval. ACM TOMACS 29(1), 3.
doi:10.1145/3230636. Durstenfeld, R.
(1964). Algorithm 235: Random permutation. CACM 7(7), 420. doi:10.1145/364520.364540. Wand, M. P.
(1994). Fast computation of multivariate kernel estimators. JCGS 3(4), 433-445
(linear binning). doi:10.1080/10618600.1994.10474656
"""

from __future__ import annotations

import math

import numpy as np
from numba import literally, njit, prange

from agglomera.measures._kernels._simd import LANES, vhsum, vload, vmuladd, vzero

# the counter-based splitmix64 streams shared with the spatial permutation kernels
from agglomera.measures._kernels._spatial import (
    _GOLDEN,
    _MASK32,
    _TWO32,
    _mix,
    _stream_start,
)

#: Below this half-chord, asin is evaluated by its Taylor series to s**11 (relative error
#: < 1e-10 at 0.2, i.e. < 0.3 m at 2,500 km), which the compiler can vectorise.
ASIN_SERIES_MAX = 0.2

_U64 = (1 << 64) - 1


@njit(cache=True, fastmath=True)
def _asin_series(s):
    s2 = s * s
    return s * (1.0 + s2 * (1.0 / 6.0 + s2 * (3.0 / 40.0 + s2 * (5.0 / 112.0 + s2 * (
        35.0 / 1152.0 + s2 * (63.0 / 2816.0))))))


# ------------------------------------------------------------------ random point sets


@njit(cache=True, inline="always")
def _uniform(state, m):
    """(integer uniform on [0, m), new state): Lemire (2019) with its rejection step on
    the high 32 bits of one splitmix64 output per try; 1 <= m < 2**32."""
    mm = np.uint64(m)
    while True:
        state = state + _GOLDEN
        prod = (_mix(state) >> np.uint64(32)) * mm
        low = prod & _MASK32
        if low >= mm or low >= (_TWO32 - mm) % mm:
            return np.int64(prod >> np.uint64(32)), state


@njit(cache=True, inline="always")
def _slot(hkey, key, shift):
    """Slot of ``key`` in the open-addressing table ``hkey`` (-1: empty), or the empty
    slot where it would go (Fibonacci hashing, linear probing)."""
    mask = hkey.size - 1
    i = np.int64((np.uint64(key) * _GOLDEN) >> shift)
    while hkey[i] != key and hkey[i] != -1:
        i = (i + 1) & mask
    return i


@njit(cache=True)
def _perm_prefix(state, n, k, hkey, hval, out):
    """``out[:k]`` = the first ``k`` entries of a uniformly random permutation of
    ``0..n-1`` by a sparse Fisher-Yates shuffle: step ``i`` swaps position ``i`` with
    position ``i + U[0, n - i)`` of the (virtual) identity array, whose moved entries
    are kept in the hash table ``hkey``/``hval`` (``hkey`` all -1, a power of two of
    at least ``2 k`` slots; all -1 again on return). Entry ``i`` depends on the first
    ``i + 1`` draws only, so the first ``k`` entries are the same for every longer
    prefix drawn from the same stream."""
    bits = 0
    while (1 << bits) < hkey.size:
        bits += 1
    shift = np.uint64(64 - bits)
    for i in range(k):
        r, state = _uniform(state, n - i)
        r += i
        sr = _slot(hkey, r, shift)
        vr = hval[sr] if hkey[sr] == r else r
        if r != i:
            si = _slot(hkey, i, shift)
            vi = hval[si] if hkey[si] == i else i
            hkey[sr] = r
            hval[sr] = vi
        out[i] = vr
    hkey[:] = -1
    return state


@njit(parallel=True, cache=True)
def sort_rows_numba(a, n):
    """Sort each row of ``a`` (distinct integers in ``[0, n)``) in place, rows in
    parallel, by marking them in a bitmap of ``n`` flags and reading it back: ``O(n)``
    per row, for rows that hold a good part of ``[0, n)`` (numpy's sort is faster for
    sparse rows)."""
    k = a.shape[1]
    for r in prange(a.shape[0]):
        row = a[r]
        flag = np.zeros(n, dtype=np.bool_)
        for q in range(k):
            flag[row[q]] = True
        t = 0
        for v in range(n):
            if flag[v]:
                row[t] = v
                t += 1


def _table_size(k):
    size = 16
    while size < 2 * k:
        size *= 2
    return size


@njit(parallel=True, cache=True)
def draw_prefixes_numba(n, k, seed, start, count, size):
    """Row ``r``: the first ``k`` sites of the random ordering of simulation ``start +
    r`` (see ``draw_sets_numba``), in their drawn order. ``size``: hash table slots, a
    power of two >= 2 k. Depends on (seed, simulation) alone."""
    out = np.empty((count, k), dtype=np.int64)
    useed = np.uint64(seed)
    for r in prange(count):
        hkey = np.full(size, -1, dtype=np.int64)
        hval = np.empty(size, dtype=np.int64)
        _perm_prefix(_stream_start(useed, start + r), n, k, hkey, hval, out[r])
    return out


@njit(parallel=True, cache=True)
def _shuffled_weights(w, seed, start, count):
    k = w.size
    out = np.empty((count, k))
    useed = np.uint64(seed)
    for r in prange(count):
        state = _stream_start(useed, start + r)
        row = out[r]
        for a in range(k):
            row[a] = w[a]
        for a in range(k - 1, 0, -1):
            j, state = _uniform(state, a + 1)
            tmp = row[a]
            row[a] = row[j]
            row[j] = tmp
    return out


def draw_sets_numba(n, k, seed, start, count, w, weighted, weight_seed=0):
    """Counterfactual point sets: row ``r`` is simulation ``start + r``.

    Simulation ``c`` orders the ``n`` reference sites at random with its own
    counter-based stream, fixed by ``(seed, c)`` (a sparse Fisher-Yates shuffle, of
    which only the first ``k`` steps are made); the set is its first ``k`` sites,
    returned sorted. An industry of ``k`` establishments and one of ``k' > k`` thus
    get nested sets in the same simulation (what lets ``nested_histograms_numba``
    share the pairs between industries). When ``weighted``, the industry's weights
    ``w`` are shuffled onto the sites with the stream ``(weight_seed, c)``
    (Fisher-Yates). Returns ``(sel, wsel)``; ``wsel`` has no columns when not
    ``weighted``. The rows depend on (seed, weight_seed, c) alone, not on ``start``,
    ``count`` or the number of threads.
    """
    sel = draw_prefixes_numba(n, k, seed, start, count, _table_size(k))
    sel.sort(axis=1)
    if not weighted:
        return sel, np.empty((count, 0))
    return sel, _shuffled_weights(np.ascontiguousarray(w, dtype=float), weight_seed,
                                  start, count)


def _py_mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _U64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _U64
    return z ^ (z >> 31)


def _py_uniform(state: int, m: int):
    while True:
        state = (state + 0x9E3779B97F4A7C15) & _U64
        prod = (_py_mix(state) >> 32) * m
        low = prod & 0xFFFFFFFF
        if low >= m or low >= (2**32 - m) % m:
            return prod >> 32, state


def _py_stream_start(seed: int, c: int) -> int:
    return _py_mix(_py_mix((seed + 0x9E3779B97F4A7C15) & _U64)
                   ^ ((c * 0x9E3779B97F4A7C15 + 0x94D049BB133111EB) & _U64))


def draw_prefixes_numpy(n, k, seed, start, count):
    """Pure-Python twin of :func:`draw_prefixes_numba` (a dict for the moved entries)."""
    out = np.empty((count, k), dtype=np.int64)
    for r in range(count):
        state = _py_stream_start(int(seed), start + r)
        moved: dict[int, int] = {}
        for i in range(k):
            j, state = _py_uniform(state, n - i)
            j += i
            out[r, i] = moved.get(j, j)
            moved[j] = moved.get(i, i)
    return out


def draw_sets_numpy(n, k, seed, start, count, w, weighted, weight_seed=0):
    """Pure-Python twin of :func:`draw_sets_numba` (same draws, slow: for tests)."""
    sel = np.sort(draw_prefixes_numpy(n, k, seed, start, count), axis=1)
    wsel = np.empty((count, k if weighted else 0))
    if weighted:
        for r in range(count):
            state = _py_stream_start(int(weight_seed), start + r)
            row = np.array(w, dtype=float)
            for a in range(k - 1, 0, -1):
                j, state = _py_uniform(state, a + 1)
                row[a], row[j] = row[j], row[a]
            wsel[r] = row
    return sel, wsel


# ------------------------------------------------------------------ pair histograms


@njit(cache=True)
def chord_length(distance, geo, radius):
    """The straight-line length the kernels compare for a distance: the chord of the
    unit sphere for a great-circle ``distance`` (capped at the diameter), else the
    distance itself."""
    if not geo:
        return distance
    half = distance / (2.0 * radius)
    return 2.0 * math.sin(half) if half < math.pi / 2 else 2.0


@njit(cache=True)
def _fraction_bits(n_bins):
    q = 16
    while (n_bins + 2) * (1 << q) > 2147483647:
        q -= 1
    return q


def quantum_bits(n_bins: int) -> int:
    """Fraction bits ``Q`` of the fixed-point bin positions: 16, fewer only when
    ``(n_bins + 2) * 2**Q`` would not fit in 31 bits."""
    q = int(_fraction_bits(int(n_bins)))
    if q < 10:
        raise ValueError(f"{n_bins} distance bins are too many (at most 2,097,150): "
                         "use a larger bin width")
    return q


#: Packed accumulator: a pair adds ``2**_COUNT_SHIFT + q`` to its bin (count in the high
#: bits, fraction quanta ``q < 2**16`` in the low bits); flushed every ``_FLUSH`` pairs
#: so that neither field can overflow (count < 2**23, sum of q < 2**40).
_COUNT_SHIFT = 40
_FLUSH = 1 << 22


#: Two-stage ("log") path: bins of the squared chord with LOG_BIN_BITS bits of mantissa
#: (2,048 bins per doubling of the squared distance, each 1/4,096 of the distance
#: wide), LOG_FRACTION_BITS fraction bits within a bin; pairs closer than the first
#: node (``max_distance / 2**NEAR_BITS``, see ``log_node_table``) are binned directly.
LOG_BIN_BITS = 10
LOG_FRACTION_BITS = 16

#: Sets of at most this many points compare every pair (no strips).
ALL_PAIRS_MAX = 160
#: Sets with at most this many pairs per bin are binned straight into the row.
ROW_DIRECT_PAIRS_PER_BIN = 4


@njit(cache=True, fastmath=True, inline="never")
def _near_pair(u, ww, near, geo, radius, bin_width):
    """Two-stage path, a pair closer than the first node: exact linear binning."""
    c = math.sqrt(u)
    d = 2.0 * radius * math.asin(min(0.5 * c, 1.0)) if geo else c
    pos = d / bin_width
    ib = int(pos)
    f = pos - ib
    near[ib] += ww - ww * f
    near[ib + 1] += ww * f


@njit(cache=True, inline="always")
def _strip_runs(st, one_run):
    """Starts of the runs of equal strip numbers in ``st`` (then ``st.size``), and
    their number; a single run when ``one_run``."""
    k = st.size
    run = np.empty(k + 1, dtype=np.int64)
    n_runs = 0
    for a in range(k):
        if a == 0 or (st[a] != st[a - 1] and not one_run):
            run[n_runs] = a
            n_runs += 1
    run[n_runs] = k
    return run, n_runs


@njit(cache=True, inline="always")
def _window(xs, a, lo, hi, b1, wx, same_run):
    """The points ``lo .. hi - 1`` of a run (ending at ``b1``, sorted by the first
    coordinate) within ``wx`` of point ``a`` along it, after the previous point's
    window (two monotone pointers); in its own run, the points after ``a``."""
    xa = xs[a]
    if same_run:
        lo = a + 1
    else:
        while lo < b1 and xs[lo] < xa - wx:
            lo += 1
    hi = max(hi, lo)
    while hi < b1 and xs[hi] <= xa + wx:
        hi += 1
    return lo, hi


@njit(cache=True, inline="always")
def _load_set(xyz, strip, sel_row, keep_z):
    """The points ``xyz[sel_row]`` in local arrays (the compiler then knows they alias
    nothing, which the vectorised distance loops need), padded by 16: the distance
    loops run to a multiple of 4, the vector width (the extra values are never
    binned; padding to 16, the unrolled loop's step, measured slower on short
    windows); the third coordinate zero unless ``keep_z``; and their strip numbers."""
    k = sel_row.size
    xs = np.zeros(k + 16)
    ys = np.zeros(k + 16)
    zs = np.zeros(k + 16)
    st = np.empty(k, dtype=np.int64)
    for a in range(k):
        i = sel_row[a]
        xs[a] = xyz[i, 0]
        ys[a] = xyz[i, 1]
        zs[a] = xyz[i, 2] if keep_z else 0.0
        st[a] = strip[i]
    return xs, ys, zs, st


@njit(cache=True, fastmath=True)
def _set_histogram(xyz, strip, sel_row, ws, strip_width, chord_cut, radius, bin_width,
                   n_bins, cutoff, qbits, log_nodes, log_key0, log_shift, log_dump,
                   node_bin, node_frac, row, use_log, weighted, mode):
    """Histogram of one point set into ``row`` (see ``pair_histogram_numba``).

    ``use_log``, ``weighted`` and ``mode`` (0: planar, 1: great circle by the asin
    series, 2: great circle by asin) are compile-time constants (``literally``): each
    combination is its own compiled function, which keeps the hot loops free of the
    other combinations' code (measured 1.3x faster than runtime branches).
    """
    literally(use_log)
    literally(weighted)
    literally(mode)
    geo = mode > 0
    series = mode == 1
    k = sel_row.size
    xs, ys, zs, st = _load_set(xyz, strip, sel_row, True)
    cut2 = chord_cut * chord_cut
    quanta = float(1 << qbits)
    qmask = (1 << qbits) - 1
    inv = quanta / bin_width
    scale = 2.0 * radius * inv
    # direct path: never write outside the row, even if n_bins is too small
    limit = min(cutoff / bin_width, n_bins - 1.0) * quanta
    dump = (n_bins + 1.0) * quanta  # beyond the cutoff: bin n_bins + 1, dropped
    one = np.int64(1) << _COUNT_SHIFT
    low_mask = one - 1
    uq = np.uint32(qbits)  # unsigned positions: no negative-index wrap-around code
    uqm = np.uint32(qmask)
    bits_lo = log_key0 << log_shift
    n_acc = log_nodes + 1 if use_log else n_bins + 2
    # small sets: every pair, no strips (their windows would cost more than the pairs
    # they skip); pairs binned straight into the row (partial sums of multiples of
    # 2**-Q stay exact, so the row is the same as through the packed counters)
    all_pairs = k <= ALL_PAIRS_MAX
    in_row = (not use_log) and k * (k - 1) // 2 <= ROW_DIRECT_PAIRS_PER_BIN * n_bins
    inv_quanta = 1.0 / quanta
    # strips: runs of equal strip numbers (one run: every pair)
    run, n_runs = _strip_runs(st, all_pairs)
    n_keep = 0 if in_row else n_acc
    acc = np.zeros(n_keep, dtype=np.int64)
    cnt = np.zeros(n_keep, dtype=np.int64)
    sq = np.zeros(n_keep, dtype=np.int64)
    cw = np.zeros(n_keep if weighted else 0)
    fw = np.zeros(n_keep if weighted else 0)
    near = np.zeros(n_bins + 1 if use_log else 0)  # pairs below the first log node
    buf = np.empty(k + 16, dtype=np.uint32)
    ubuf = np.empty(k + 16 if use_log else 0)
    ubits = ubuf.view(np.int64)
    near_t = np.empty(k if use_log else 0, dtype=np.int64)
    since = 0
    for ra in range(n_runs):
        a0 = run[ra]
        a1 = run[ra + 1]
        for rb in range(ra, n_runs):
            gap = (st[run[rb]] - st[a0] - 1) * strip_width
            if gap > chord_cut and not all_pairs:
                break
            wx = math.sqrt(cut2 - gap * gap) if gap > 0 else chord_cut
            b1 = run[rb + 1]
            lo = run[rb]
            hi = lo
            for a in range(a0, a1):
                xa = xs[a]
                ya = ys[a]
                za = zs[a]
                if all_pairs:
                    lo = a + 1
                    hi = k
                else:
                    lo, hi = _window(xs, a, lo, hi, b1, wx, rb == ra)
                m = hi - lo
                if m == 0:
                    continue
                if not weighted and not in_row and since + m > _FLUSH:
                    for i in range(n_acc):
                        v = acc[i]
                        cnt[i] += v >> _COUNT_SHIFT
                        sq[i] += v & low_mask
                        acc[i] = 0
                    since = 0
                since += m
                wa = ws[a] if weighted else 1.0
                mp = (m + 3) & -4
                # views of the window: indices from 0 are provably non-negative, so the
                # compiler drops numba's negative-index wraparound and vectorises loads
                xw = xs[lo:lo + mp]
                yw = ys[lo:lo + mp]
                zw = zs[lo:lo + mp]
                wsw = ws[lo:lo + m]
                if use_log:
                    # squared chord; its IEEE-754 bits give the log bin and fraction
                    if geo:
                        for t in range(mp):
                            dx = xw[t] - xa
                            dy = yw[t] - ya
                            dz = zw[t] - za
                            u = dx * dx + dy * dy + dz * dz
                            ubuf[t] = u if u <= cut2 else log_dump
                    else:
                        for t in range(mp):
                            dx = xw[t] - xa
                            dy = yw[t] - ya
                            u = dx * dx + dy * dy
                            ubuf[t] = u if u <= cut2 else log_dump
                    # very close pairs are set aside and binned exactly afterwards
                    n_near = 0
                    if weighted:
                        for t in range(m):
                            b = ubits[t]
                            if b < bits_lo:
                                near_t[n_near] = t
                                n_near += 1
                                continue
                            ww = wa * wsw[t]
                            key = (b >> log_shift) - log_key0
                            cw[key >> qbits] += ww
                            fw[key >> qbits] += ww * (key & qmask)
                    else:
                        for t in range(m):
                            b = ubits[t]
                            if b < bits_lo:
                                near_t[n_near] = t
                                n_near += 1
                                continue
                            key = (b >> log_shift) - log_key0
                            acc[key >> qbits] += one + (key & qmask)
                    for q in range(n_near):
                        t = near_t[q]
                        _near_pair(ubuf[t], wa * wsw[t] if weighted else 1.0, near,
                                   geo, radius, bin_width)
                    continue
                if not geo:
                    for t in range(mp):
                        dx = xw[t] - xa
                        dy = yw[t] - ya
                        p = math.sqrt(dx * dx + dy * dy) * inv
                        buf[t] = np.uint32(np.int32((p if p <= limit else dump) + 0.5))
                elif series:
                    for t in range(mp):
                        dx = xw[t] - xa
                        dy = yw[t] - ya
                        dz = zw[t] - za
                        p = _asin_series(0.5 * math.sqrt(
                            dx * dx + dy * dy + dz * dz)) * scale
                        buf[t] = np.uint32(np.int32((p if p <= limit else dump) + 0.5))
                else:
                    for t in range(mp):
                        dx = xw[t] - xa
                        dy = yw[t] - ya
                        dz = zw[t] - za
                        p = math.asin(min(0.5 * math.sqrt(
                            dx * dx + dy * dy + dz * dz), 1.0)) * scale
                        buf[t] = np.uint32(np.int32((p if p <= limit else dump) + 0.5))
                if in_row and weighted:
                    for t in range(m):
                        pq = buf[t]
                        ib = pq >> uq
                        ww = wa * wsw[t]
                        f = ww * ((pq & uqm) * inv_quanta)
                        row[ib] += ww - f
                        row[ib + 1] += f
                elif in_row:
                    for t in range(m):
                        pq = buf[t]
                        ib = pq >> uq
                        f = (pq & uqm) * inv_quanta
                        row[ib] += 1.0 - f
                        row[ib + 1] += f
                elif weighted:
                    for t in range(m):
                        pq = buf[t]
                        ib = pq >> uq
                        ww = wa * wsw[t]
                        cw[ib] += ww
                        fw[ib] += ww * (pq & uqm)
                else:
                    for t in range(m):
                        pq = buf[t]
                        acc[pq >> uq] += one + np.int64(pq & uqm)
    if in_row:  # drop what went past the cutoff (row has 3 spare entries)
        for i in range(n_bins, row.size):
            row[i] = 0.0
        return
    # fraction sums per bin: integers (unweighted) or doubles, in quanta
    if not weighted:
        for i in range(n_acc):
            v = acc[i]
            cnt[i] += v >> _COUNT_SHIFT
            sq[i] += v & low_mask
    n_out = log_nodes if use_log else n_bins
    prev = 0.0
    for i in range(n_out):
        if weighted:
            f = fw[i] / quanta
            mass = (cw[i] - f) + prev
        else:
            f = sq[i] / quanta
            mass = (cnt[i] - f) + prev
        prev = f
        if use_log:  # node i at distance (node_bin[i] + node_frac[i]) bin widths
            if mass != 0.0:
                ib = node_bin[i]
                g = node_frac[i]
                row[ib] += mass - mass * g
                row[ib + 1] += mass * g
        else:
            row[i] = mass
    if use_log:
        for i in range(n_bins):
            row[i] += near[i]

def _make_driver(use_log, weighted, mode):
    """The parallel loop over point sets for one combination of flags. The flags are
    closure constants, so ``_set_histogram`` is compiled for them (literal types) once,
    and a call from Python dispatches on plain argument types (cached). Returns the
    histograms, ``n_sets x (n_bins + 3)`` (the last 3 columns zero)."""

    @njit(parallel=True, cache=True, fastmath=True)
    def pair_histograms(xyz, strip, strip_width, sel, wsel, bin_width, n_bins, cutoff,
                        radius, log_nodes, log_key0, log_shift, log_dump, node_bin,
                        node_frac):
        n_sets = sel.shape[0]
        # 3 spare columns (always zero on return): bins past the cutoff during binning
        hist = np.zeros((n_sets, n_bins + 3))
        qbits = LOG_FRACTION_BITS if use_log else _fraction_bits(n_bins)
        chord_cut = chord_length(cutoff, mode > 0, radius)
        for s in prange(n_sets):
            _set_histogram(xyz, strip, sel[s], wsel[s], strip_width, chord_cut, radius,
                           bin_width, n_bins, cutoff, qbits, log_nodes, log_key0,
                           log_shift, log_dump, node_bin, node_frac, hist[s], use_log,
                           weighted, mode)
        return hist

    return pair_histograms


_DRIVERS = {(lg, w, md): _make_driver(lg, w, md) for lg in (False, True)
            for w in (False, True) for md in ((0, 2) if lg else (0, 1, 2))}

def pair_histogram_numba(xyz, strip, strip_width, sel, wsel, bin_width, n_bins, cutoff,
                         geo, radius, log_nodes, log_key0, log_shift, log_dump, node_bin,
                         node_frac):
    """Linearly binned pair-distance histogram of each point set (see module doc).

    ``xyz`` (sites x 3) sorted by ``strip`` then by the first coordinate; ``strip``
    the sites' strip numbers (non-decreasing); each row of ``sel`` sorted ascending;
    ``wsel`` the weights of the points of each row (no columns: unit weights).
    ``log_nodes > 0`` selects the two-stage path with the node table of
    :func:`log_node_table`. Requires ``n_bins >= floor(cutoff / bin_width) + 2``
    (and the node table's ``n_bins``) and at most 2**22 points per set.
    """
    return pair_histograms_wide(xyz, strip, strip_width, sel, wsel, bin_width, n_bins,
                                cutoff, geo, radius, log_nodes, log_key0, log_shift,
                                log_dump, node_bin, node_frac)[:, :n_bins]


def pair_histograms_wide(xyz, strip, strip_width, sel, wsel, bin_width, n_bins, cutoff,
                         geo, radius, log_nodes, log_key0, log_shift, log_dump, node_bin,
                         node_frac):
    """:func:`pair_histogram_numba` with 3 extra columns, all zero (no copy)."""
    chord_cut = chord_length(cutoff, geo, radius)
    use_log = bool(log_nodes > 0)
    if not geo:
        mode = 0
    elif use_log:  # no per-pair arc on the two-stage path
        mode = 2
    else:
        mode = 1 if chord_cut / 2.0 <= ASIN_SERIES_MAX else 2
    driver = _DRIVERS[(use_log, bool(wsel.shape[1] > 0), mode)]
    return driver(xyz, strip, float(strip_width), sel, wsel, float(bin_width),
                  int(n_bins), float(cutoff), float(radius), int(log_nodes),
                  int(log_key0), int(log_shift), float(log_dump), node_bin, node_frac)


def _double_bits(x: float) -> int:
    return int(np.array([x], dtype=np.float64).view(np.int64)[0])


def _bits_double(b) -> np.ndarray:
    return np.asarray(b, dtype=np.int64).view(np.float64)


#: Two-stage path: pairs closer than ``max_distance / 2**NEAR_BITS`` (below the first
#: node) are binned exactly; the nodes start at the octave of the squared chord below.
NEAR_BITS = 12


def log_node_table(cutoff, bin_width, geo, radius, near):
    """Node table of the two-stage path: dict with ``n_nodes``, ``key0``, ``shift``,
    ``dump`` (kernel arguments), ``u`` (the nodes' squared chords, one more than
    ``n_nodes``: the start of the dump node), ``d`` (their distances),
    ``node_bin``/``node_frac`` (their positions on the histogram bins, ``n_nodes``)
    and ``n_bins`` (bins needed to hold every node's mass). ``near``: the distance
    below which pairs are binned exactly (the first node is the octave of the squared
    chord at or below it). The key of a squared chord ``u >= u_0`` is
    ``(bits(u) >> shift) - key0``; its node the key's high bits, its fraction within
    the node the low ``LOG_FRACTION_BITS`` bits.
    """
    chord_cut = chord_length(cutoff, geo, radius)
    near_c = chord_length(near, geo, radius)
    cut2 = chord_cut * chord_cut
    u_lo = 2.0 ** math.floor(math.log2(near_c * near_c))  # an octave start
    shift = 52 - LOG_BIN_BITS - LOG_FRACTION_BITS
    key0 = _double_bits(u_lo) >> shift
    last = ((_double_bits(cut2) >> shift) - key0) >> LOG_FRACTION_BITS
    n_nodes = last + 2
    j = np.arange(n_nodes + 1, dtype=np.int64)
    u = _bits_double((key0 + (j << LOG_FRACTION_BITS)) << shift)
    c = np.sqrt(u)
    d = 2.0 * radius * np.arcsin(np.minimum(0.5 * c, 1.0)) if geo else c
    g = d[:-1] / bin_width
    node_bin = np.floor(g).astype(np.int64)
    node_frac = g - node_bin
    return {"n_nodes": int(n_nodes), "key0": int(key0), "shift": shift,
            "dump": float(u[-1]), "u": u, "d": d, "node_bin": node_bin,
            "node_frac": node_frac, "last": int(last),
            "n_bins": int(max(math.floor(cutoff / bin_width) + 2, node_bin[-1] + 2))}


#: Shared sweeps: nodes every ``chord(max_distance) / 2**NODE_BITS`` of chord length
#: (finer when a bin width is given, see ``chord_nodes``), at most ``MAX_NODES``
#: (positions in 16 fraction bits then fit 31 bits).
NODE_BITS = 11
MAX_NODES = 32_000


def chord_nodes(max_d, cutoff, geo, radius, bin_width=None):
    """The node grid of the shared sweeps for the largest ``cutoff``: dict with
    ``spacing`` (chord length between nodes: ``chord(max_d) / 2**NODE_BITS``, or the
    chord of ``bin_width / 4`` when smaller; the same for every industry of a call),
    ``scale`` (fixed-point positions per chord unit, ``2**16 / spacing``), ``n_nodes``
    (the node of the cutoff and one more), ``last`` (the node of the cutoff) and ``d``
    (the nodes' distances, ``n_nodes + 1``)."""
    spacing = chord_length(max_d, geo, radius) * 2.0 ** -NODE_BITS
    if bin_width is not None:
        spacing = min(spacing, chord_length(bin_width / 4.0, geo, radius))
    scale = float(1 << LOG_FRACTION_BITS) / spacing
    last = node_of(cutoff, geo, radius, scale)
    n_nodes = last + 2
    c = np.arange(n_nodes + 1) * spacing
    d = 2.0 * radius * np.arcsin(np.minimum(0.5 * c, 1.0)) if geo else c
    return {"spacing": spacing, "scale": scale, "n_nodes": int(n_nodes), "d": d,
            "last": int(last)}


def node_of(cutoff, geo, radius, scale):
    """Node of the chord grid (``scale``: see ``chord_nodes``) holding ``cutoff``."""
    c = chord_length(cutoff, geo, radius)
    return math.floor(c * scale + 0.5) >> LOG_FRACTION_BITS


# ------------------------------------------------------ nested (shared) histograms


#: Shared sweeps: pairs beyond the cutoff go to this many unused nodes in turn.
DUMP_SLOTS = 8
_DUMP_MASK = DUMP_SLOTS - 1
_NODE_QUANTA = float(1 << LOG_FRACTION_BITS)


@njit(cache=True)
def _chord_keys(xs, ys, zs, lo, mp, xa, ya, za, scale, end_pos, dump, kbuf):
    """Fixed-point node positions of the pairs of point ``(xa, ya, za)`` with the
    points ``lo .. lo + mp - 1``: ``round(chord * scale)``, or ``dump`` at or beyond
    ``end_pos``. One compiled function, without fast-math contraction, for every
    sweep: a pair gets the same key whichever kernel visits it."""
    # (views: indices from 0 are provably non-negative, so the compiler drops numba's
    # negative-index wraparound and loads the coordinates as vectors)
    xw = xs[lo:lo + mp]
    yw = ys[lo:lo + mp]
    zw = zs[lo:lo + mp]
    for q in range(mp):
        dx = xw[q] - xa
        dy = yw[q] - ya
        dz = zw[q] - za
        p = math.sqrt(dx * dx + dy * dy + dz * dz) * scale
        # (32-bit: the compiler vectorises that conversion, not the 64-bit one); pairs
        # beyond the cutoff spread over DUMP_SLOTS unused nodes (adds to one counter
        # would each wait for the previous one)
        kbuf[q] = np.uint32(np.int32((p if p < end_pos else dump + (q & _DUMP_MASK)
                                      * _NODE_QUANTA) + 0.5))


@njit(cache=True)
def _chord_keys_2d(xs, ys, lo, mp, xa, ya, scale, end_pos, dump, kbuf):
    """``_chord_keys`` for planar points (no third coordinate)."""
    xw = xs[lo:lo + mp]
    yw = ys[lo:lo + mp]
    for q in range(mp):
        dx = xw[q] - xa
        dy = yw[q] - ya
        p = math.sqrt(dx * dx + dy * dy) * scale
        kbuf[q] = np.uint32(np.int32((p if p < end_pos else dump + (q & _DUMP_MASK)
                                      * _NODE_QUANTA) + 0.5))


@njit(cache=True, inline="always")
def _node_counters(n_nodes, k):
    """Packed node counters (with the dump nodes), their flushed counts and fraction
    sums, and a key buffer for windows of up to ``k`` points (``_add_keys``)."""
    acc = np.zeros(n_nodes + DUMP_SLOTS, dtype=np.int64)
    cnt = np.zeros(n_nodes + DUMP_SLOTS, dtype=np.int64)
    sq = np.zeros(n_nodes + DUMP_SLOTS, dtype=np.int64)
    return acc, cnt, sq, np.empty(k + 16, dtype=np.uint32)


@njit(cache=True, inline="always")
def _add_keys(acc, kbuf, m):
    """One packed add per key (count and fraction of ``_chord_keys``)."""
    one = np.int64(1) << _COUNT_SHIFT
    ub = np.uint32(LOG_FRACTION_BITS)
    um = np.uint32((1 << LOG_FRACTION_BITS) - 1)
    for q in range(m):
        key = kbuf[q]
        acc[key >> ub] += one + np.int64(key & um)


@njit(cache=True, inline="always")
def _flush(acc, cnt, sq):
    low_mask = (np.int64(1) << _COUNT_SHIFT) - 1
    for q in range(acc.size):
        v = acc[q]
        cnt[q] += v >> _COUNT_SHIFT
        sq[q] += v & low_mask
        acc[q] = 0


@njit(cache=True, fastmath=True)
def _nodes_to_row(acc, cnt, sq, last, node_d, inv, row, nb):
    """An industry's histogram from the node counts (nodes ``<= last``): each node's
    mass placed linearly on the bins of width ``1 / inv`` at the node's distance."""
    low_mask = (np.int64(1) << _COUNT_SHIFT) - 1
    inv_quanta = 1.0 / float(1 << LOG_FRACTION_BITS)
    prev = 0.0
    for q in range(last + 2):
        if q <= last:
            v = acc[q]
            c = cnt[q] + (v >> _COUNT_SHIFT)
            f = (sq[q] + (v & low_mask)) * inv_quanta
            mass = (c - f) + prev
            prev = f
        else:
            mass = prev
        if mass != 0.0:
            g = node_d[q] * inv
            ib = np.int64(g)
            fr = g - ib
            row[ib] += mass - mass * fr
            row[ib + 1] += mass * fr
    for q in range(nb, nb + 3):
        row[q] = 0.0


@njit(cache=True, fastmath=True)
def _nested_set(xyz, strip, strip_width, geo, order, scale, n_nodes, node_d, ind_k,
                ind_last, ind_inv, ind_nb, ind_off, rows, r_out):
    """Sweep the points ``xyz[order]`` in the given order (ranks), adding each point's
    pairs with the points before it to one running histogram of chord nodes; when the
    rank reaches an industry's size, write that industry's histogram (bins of its
    width) to its row ``r_out``. See ``nested_histograms_numba``."""
    K = order.size
    n_ind = ind_k.size
    fbits = LOG_FRACTION_BITS
    # pairs are kept up to the end of node n_nodes - 2; beyond, they go to the unused
    # node n_nodes (a key past every kept one)
    end_pos = (n_nodes - 1.0) * (1 << fbits) - 0.5
    chord_cut = (end_pos + 0.5) / scale
    dump = float(n_nodes << fbits)
    # strips: the points grouped by strip, in rank order within a strip, so that the
    # points of a strip ranked before the current one are a prefix of its block
    smin = strip[order[0]]
    smax = smin
    for r in range(K):
        t = strip[order[r]]
        smin = min(smin, t)
        smax = max(smax, t)
    nst = smax - smin + 1
    bstart = np.zeros(nst + 1, dtype=np.int64)
    for r in range(K):
        bstart[strip[order[r]] - smin + 1] += 1
    for t in range(nst):
        bstart[t + 1] += bstart[t]
    fill = np.zeros(nst, dtype=np.int64)
    xs = np.zeros(K + 16)
    ys = np.zeros(K + 16)
    zs = np.zeros(K + 16)
    slot = np.empty(K, dtype=np.int64)
    for r in range(K):
        i = order[r]
        t = strip[i] - smin
        a = bstart[t] + fill[t]
        fill[t] += 1
        slot[r] = a
        xs[a] = xyz[i, 0]
        ys[a] = xyz[i, 1]
        zs[a] = xyz[i, 2] if geo else 0.0
    fill[:] = 0
    reach = np.int64(chord_cut / strip_width) + 2
    acc, cnt, sq, kbuf = _node_counters(n_nodes, K)
    since = 0
    nxt = 0
    while nxt < n_ind and ind_k[nxt] < 2:
        nxt += 1
    for r in range(K):
        if nxt >= n_ind:
            break
        a = slot[r]
        t = strip[order[r]] - smin
        xa = xs[a]
        ya = ys[a]
        za = zs[a]
        for t2 in range(max(0, t - reach), min(nst, t + reach + 1)):
            dt = abs(t2 - t)
            if dt > 1 and (dt - 1) * strip_width > chord_cut:
                continue
            m = fill[t2]
            if m == 0:
                continue
            if since + m > _FLUSH:
                _flush(acc, cnt, sq)
                since = 0
            since += m
            lo = bstart[t2]
            if geo:
                _chord_keys(xs, ys, zs, lo, (m + 3) & -4, xa, ya, za, scale, end_pos,
                            dump, kbuf)
            else:
                _chord_keys_2d(xs, ys, lo, (m + 3) & -4, xa, ya, scale, end_pos, dump,
                               kbuf)
            _add_keys(acc, kbuf, m)
        fill[t] += 1
        while nxt < n_ind and ind_k[nxt] == r + 1:
            # the histogram of the first r + 1 points, on this industry's bins
            nb = ind_nb[nxt]
            base = ind_off[nxt] + r_out * (nb + 3)
            _nodes_to_row(acc, cnt, sq, ind_last[nxt], node_d, ind_inv[nxt],
                          rows[base:base + nb + 3], nb)
            nxt += 1


@njit(parallel=True, cache=True, fastmath=True)
def nested_histograms_numba(xyz, strip, strip_width, geo, order, scale, n_nodes, node_d,
                            ind_k, ind_last, ind_inv, ind_nb):
    """Pair histograms of many industries from shared point sets.

    Row ``s`` of ``order`` lists sites (rows of ``xyz``, sorted by ``strip`` as for
    ``pair_histogram_numba``) in rank order; industry ``i`` (``ind_k`` ascending) gets
    the histogram of the pairs among the first ``ind_k[i]`` of them, on bins of width
    ``1 / ind_inv[i]`` (``ind_nb[i]`` bins), in two stages: each pair's chord ``c`` is
    binned linearly on the nodes ``j / scale * 2**16`` of ``chord_nodes`` (position
    ``c scale`` rounded to an integer: node in the high bits, fraction in the low 16;
    counts packed in integers as in ``pair_histogram_numba``); industry ``i`` keeps
    the nodes ``<= ind_last[i]`` (the node of its cutoff) and places each node's mass
    linearly on its bins, at the node's distance ``node_d``. The counts are integers,
    so each industry's histogram depends on its own points and parameters only: it is
    the same whichever other industries share the sweep and whatever the order of the
    points (``nested_histograms_numpy`` computes it industry by industry).

    The points are swept in rank order: each point is compared with the points ranked
    before it in the strips within the largest cutoff, and when the rank reaches an
    industry's size its histogram is written, so the pairs of the largest set are
    computed once for all industries. Returns the histograms as one flat array and the
    offsets: industry ``i``, row ``s`` at ``off[i] + s (ind_nb[i] + 3)``, ``ind_nb[i] +
    3`` values (the last 3 zero). Rows are processed in parallel, each by one thread.
    """
    n_rows = order.shape[0]
    n_ind = ind_k.size
    off = np.zeros(n_ind + 1, dtype=np.int64)
    for i in range(n_ind):
        off[i + 1] = off[i] + n_rows * (ind_nb[i] + 3)
    rows = np.zeros(off[n_ind])
    for s in prange(n_rows):
        _nested_set(xyz, strip, strip_width, geo, order[s], scale, n_nodes, node_d, ind_k,
                    ind_last, ind_inv, ind_nb, off, rows, s)
    return rows, off


@njit(cache=True, fastmath=True)
def _sweep_set(xyz, strip, strip_width, geo, sel_row, scale, n_nodes, node_d, last, inv,
               nb, row):
    """One industry's histogram of ``nested_histograms_numba`` from a set sorted by
    site (strip, then first coordinate): every pair visited once, the other points of
    a strip within the cutoff found by two monotone pointers (as in
    ``_set_histogram``). Same keys (``_chord_keys``), counts and bins as the rank-order
    sweep."""
    k = sel_row.size
    fbits = LOG_FRACTION_BITS
    end_pos = (n_nodes - 1.0) * (1 << fbits) - 0.5
    # (slightly wide: pairs the windows keep beyond the cutoff are dumped by their key)
    chord_cut = (end_pos + 0.5) / scale * (1.0 + 1e-9)
    cut2 = chord_cut * chord_cut
    dump = float(n_nodes << fbits)
    xs, ys, zs, st = _load_set(xyz, strip, sel_row, geo)
    run, n_runs = _strip_runs(st, False)
    acc, cnt, sq, kbuf = _node_counters(n_nodes, k)
    since = 0
    for ra in range(n_runs):
        a0 = run[ra]
        a1 = run[ra + 1]
        for rb in range(ra, n_runs):
            gap = (st[run[rb]] - st[a0] - 1) * strip_width
            if gap > chord_cut:
                break
            wx = math.sqrt(cut2 - gap * gap) if gap > 0 else chord_cut
            b1 = run[rb + 1]
            lo = run[rb]
            hi = lo
            for a in range(a0, a1):
                xa = xs[a]
                lo, hi = _window(xs, a, lo, hi, b1, wx, rb == ra)
                m = hi - lo
                if m == 0:
                    continue
                if since + m > _FLUSH:
                    _flush(acc, cnt, sq)
                    since = 0
                since += m
                # (written out here and in _nested_set: the same lines as one inlined
                # helper measured 15 % slower)
                if geo:
                    _chord_keys(xs, ys, zs, lo, (m + 3) & -4, xa, ys[a], zs[a], scale,
                                end_pos, dump, kbuf)
                else:
                    _chord_keys_2d(xs, ys, lo, (m + 3) & -4, xa, ys[a], scale, end_pos,
                                   dump, kbuf)
                _add_keys(acc, kbuf, m)
    _nodes_to_row(acc, cnt, sq, last, node_d, inv, row, nb)


@njit(parallel=True, cache=True, fastmath=True)
def shared_histograms_numba(xyz, strip, strip_width, geo, sel, scale, n_nodes, node_d,
                            last, inv, nb):
    """The histograms of ``nested_histograms_numba`` for one industry, from point sets
    sorted by site (rows of ``sel``): ``rows x (nb + 3)``. The same values as the
    rank-order sweep (same keys and integer counts), with each pair visited once
    (no rank order to keep), which is faster when only one industry is binned."""
    n_rows = sel.shape[0]
    hist = np.zeros((n_rows, nb + 3))
    for s in prange(n_rows):
        _sweep_set(xyz, strip, strip_width, geo, sel[s], scale, n_nodes, node_d, last,
                   inv, nb, hist[s])
    return hist


def nested_histograms_numpy(xyz, order, geo, scale, n_nodes, node_d, ind_k, ind_last,
                            ind_inv, ind_nb):
    """Numpy twin of :func:`nested_histograms_numba`: each industry's pairs computed
    on their own (every pair, no strips, no sharing). Returns per industry an array
    ``rows x (ind_nb + 3)``."""
    quanta = float(1 << LOG_FRACTION_BITS)
    fmask = (1 << LOG_FRACTION_BITS) - 1
    out = []
    for i in range(ind_k.size):
        k, last, inv, nb = int(ind_k[i]), int(ind_last[i]), float(ind_inv[i]), int(ind_nb[i])
        hist = np.zeros((order.shape[0], nb + 3))
        ia, ib = np.triu_indices(k, 1)
        for s in range(order.shape[0]):
            pts = xyz[order[s, :k]].copy()
            if not geo:
                pts[:, 2] = 0.0
            diff = pts[ib] - pts[ia]
            p = np.sqrt(np.einsum("ij,ij->i", diff, diff)) * scale
            key = np.floor(p[p < (n_nodes - 1.0) * quanta - 0.5] + 0.5).astype(np.int64)
            node = key >> LOG_FRACTION_BITS
            keep = node <= last
            node, q = node[keep], key[keep] & fmask
            cnt = np.bincount(node, minlength=last + 2).astype(float)
            f = np.bincount(node, weights=q.astype(float), minlength=last + 2) / quanta
            mass = cnt - f
            mass[1:] += f[:-1]
            g = node_d[:last + 2] * inv
            b0 = np.floor(g).astype(np.int64)
            fr = g - b0
            hist[s] += np.bincount(b0, weights=mass * (1 - fr), minlength=nb + 3)[:nb + 3]
            hist[s] += np.bincount(b0 + 1, weights=mass * fr, minlength=nb + 3)[:nb + 3]
            hist[s, nb:] = 0.0
        out.append(hist)
    return out


@njit(parallel=True, cache=True)
def order_stats_numba(d, ranks):
    """Exact order statistics ``sort(d)[ranks]`` (0-based) without sorting ``d``: one
    pass counts the values in 4,096 equal bins between the minimum and the maximum,
    a second collects the values of the bins holding the wanted ranks, which are
    sorted. ``d`` finite, non-empty; ``ranks`` in ``[0, d.size)``. The passes run on
    16 chunks in parallel; counts are integers and the collected values are sorted,
    so the result does not depend on the number of threads."""
    n = d.size
    n_chunks = 16
    c_lo = np.empty(n_chunks)
    c_hi = np.empty(n_chunks)
    for c in prange(n_chunks):
        a = c * n // n_chunks
        b = (c + 1) * n // n_chunks
        lo_c = d[a] if b > a else d[0]
        hi_c = lo_c
        for i in range(a, b):
            lo_c = min(lo_c, d[i])
            hi_c = max(hi_c, d[i])
        c_lo[c] = lo_c
        c_hi[c] = hi_c
    lo = c_lo.min()
    hi = c_hi.max()
    out = np.empty(ranks.size)
    if not hi > lo:
        out[:] = lo
        return out
    nb = 4096
    scale = nb / (hi - lo)
    part = np.zeros((n_chunks, nb + 1), dtype=np.int64)
    for c in prange(n_chunks):
        row = part[c]
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            row[min(np.int64((d[i] - lo) * scale), nb - 1) + 1] += 1
    cnt = np.zeros(nb + 1, dtype=np.int64)
    for c in range(n_chunks):
        for b in range(nb + 1):
            cnt[b] += part[c, b]
    for b in range(nb):
        cnt[b + 1] += cnt[b]
    want = np.zeros(nb, dtype=np.bool_)
    rank_bin = np.empty(ranks.size, dtype=np.int64)
    for j in range(ranks.size):
        b = np.searchsorted(cnt, ranks[j], side="right") - 1
        rank_bin[j] = b
        want[b] = True
    n_keep = 0
    for b in range(nb):
        if want[b]:
            n_keep += cnt[b + 1] - cnt[b]
    keep_bin = np.empty(n_keep, dtype=np.int64)
    keep_val = np.empty(n_keep)
    start = np.zeros(n_chunks + 1, dtype=np.int64)  # kept values before chunk c
    for c in range(n_chunks):
        for b in range(nb):
            if want[b]:
                start[c + 1] += part[c, b + 1]
    for c in range(n_chunks):
        start[c + 1] += start[c]
    for c in prange(n_chunks):
        t = start[c]
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            b = min(np.int64((d[i] - lo) * scale), nb - 1)
            if want[b]:
                keep_bin[t] = b
                keep_val[t] = d[i]
                t += 1
    for j in range(ranks.size):
        b = rank_bin[j]
        vals = np.sort(keep_val[keep_bin == b])
        out[j] = vals[ranks[j] - cnt[b]]
    return out


@njit(parallel=True, cache=True)
def pair_distance_list_numba(coords, idx, geo, radius):
    """Distances of all pairs ``a < b`` of ``coords[idx]``, in row order (a, then b).

    The points are copied into local arrays first and each row is computed on views
    (contiguous loads the compiler vectorises); rows are dealt to 64 interleaved
    chunks in parallel (balanced: rows get shorter with ``a``), each written at its
    fixed offset, so the output does not depend on the number of threads."""
    k = idx.size
    out = np.empty(k * (k - 1) // 2)
    xs = np.empty(k)
    ys = np.empty(k)
    zs = np.empty(k)
    for a in range(k):
        i = idx[a]
        xs[a] = coords[i, 0]
        ys[a] = coords[i, 1]
        zs[a] = coords[i, 2]
    n_chunks = 64
    for c in prange(n_chunks):
        for a in range(c, k - 1, n_chunks):
            p = a * (2 * k - a - 1) // 2  # pairs in the rows before a
            m = k - 1 - a
            xw = xs[a + 1:]
            yw = ys[a + 1:]
            zw = zs[a + 1:]
            ow = out[p:p + m]
            xa = xs[a]
            ya = ys[a]
            za = zs[a]
            for q in range(m):
                dx = xa - xw[q]
                dy = ya - yw[q]
                dz = za - zw[q]
                ch = math.sqrt(dx * dx + dy * dy + dz * dz)
                ow[q] = 2.0 * radius * math.asin(min(0.5 * ch, 1.0)) if geo else ch
    return out


@njit(parallel=True, cache=True)
def pair_distances_at_numba(coords, idx, a, b, geo, radius):
    """Distances of the pairs ``(idx[a[p]], idx[b[p]])`` (as ``pair_distance_list``)."""
    out = np.empty(a.size)
    for p in prange(a.size):
        i = idx[a[p]]
        j = idx[b[p]]
        dx = coords[i, 0] - coords[j, 0]
        dy = coords[i, 1] - coords[j, 1]
        dz = coords[i, 2] - coords[j, 2]
        c = math.sqrt(dx * dx + dy * dy + dz * dz)
        out[p] = 2.0 * radius * math.asin(min(0.5 * c, 1.0)) if geo else c
    return out


def pair_distance_list_numpy(coords, idx, geo, radius):
    """Numpy twin of :func:`pair_distance_list_numba`."""
    return pair_distances_numpy(coords[idx], geo, radius)[0]


@njit(cache=True, inline="always")
def _band_dot_tail(hr, kr, t0, stop):
    acc = 0.0
    for t in range(t0, stop):
        acc += hr[t] * kr[t]
    return acc


@njit(parallel=True, cache=True)
def banded_kde_numba(hist, kband, lo):
    """``out[s, m] = sum_t hist[s, lo[m] + t] * kband[m, t]`` (kernel band per row m).

    Every dot product is summed in one fixed order, the same for every row whatever
    its block, batch or thread: eight partial sums (lane l takes the terms t = l mod
    8 in turn, ``Vec8`` arithmetic without fast-math), added pairwise, then the
    remaining terms one by one. Blocks of four simulations share each kernel vector
    load. ``banded_kde_numpy`` (a dense matrix product) agrees to rounding.
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
            kr = kband[m, :stop]
            nv = stop - stop % LANES
            if s1 - s0 == 4:
                h0 = hist[s0, start:start + stop]
                h1 = hist[s0 + 1, start:start + stop]
                h2 = hist[s0 + 2, start:start + stop]
                h3 = hist[s0 + 3, start:start + stop]
                a0 = vzero()
                a1 = vzero()
                a2 = vzero()
                a3 = vzero()
                for t in range(0, nv, LANES):
                    kv = vload(kr, t)
                    a0 = vmuladd(a0, vload(h0, t), kv)
                    a1 = vmuladd(a1, vload(h1, t), kv)
                    a2 = vmuladd(a2, vload(h2, t), kv)
                    a3 = vmuladd(a3, vload(h3, t), kv)
                out[s0, m] = vhsum(a0) + _band_dot_tail(h0, kr, nv, stop)
                out[s0 + 1, m] = vhsum(a1) + _band_dot_tail(h1, kr, nv, stop)
                out[s0 + 2, m] = vhsum(a2) + _band_dot_tail(h2, kr, nv, stop)
                out[s0 + 3, m] = vhsum(a3) + _band_dot_tail(h3, kr, nv, stop)
            else:
                for s in range(s0, s1):
                    hr = hist[s, start:start + stop]
                    a0 = vzero()
                    for t in range(0, nv, LANES):
                        a0 = vmuladd(a0, vload(hr, t), vload(kr, t))
                    out[s, m] = vhsum(a0) + _band_dot_tail(hr, kr, nv, stop)
    return out


@njit(parallel=True, cache=True, fastmath=True)
def gaussian_band_numba(grid, lo, width, delta, h, reach):
    """``band[m, t] = (phi((r_m - g)/h) + phi((r_m + g)/h)) / h`` at ``g = (lo[m] + t)
    delta`` (phi the standard normal density); the reflected term only for rows with
    ``r_m < reach h`` (elsewhere it is below phi(reach)).

    Along a row ``u_t = u_0 - t eps`` (``eps = delta / h``), so ``exp(-u_{t+1}^2 / 2) =
    exp(-u_t^2 / 2) * a_t`` with ``a_t = exp(u_0 eps - eps^2 / 2) * exp(-eps^2)^t``:
    two multiplications per value, the recurrence restarted from ``exp`` every 16
    values (relative error below 1e-13). Twin: ``gaussian_band_numpy``.
    """
    n_out = grid.size
    band = np.zeros((n_out, width))
    eps = delta / h
    step = math.exp(-eps * eps)
    norm = 1.0 / (math.sqrt(2.0 * math.pi) * h)
    for m in prange(n_out):
        r = grid[m]
        for sign in (-1.0, 1.0):
            if sign > 0 and r >= reach * h:
                break
            # u_t = (r - g_t) / h for sign -1; (r + g_t) / h (reflection) for sign +1
            u0 = (r + sign * lo[m] * delta) / h
            de = sign * eps
            t = 0
            while t < width:
                u = u0 + de * t
                e = math.exp(-0.5 * u * u)
                a = math.exp(-u * de - 0.5 * eps * eps)
                stop = min(width, t + 16)
                while True:
                    band[m, t] += e * norm
                    t += 1
                    if t >= stop:
                        break
                    e *= a
                    a *= step
    return band


def gaussian_band_numpy(grid, lo, width, delta, h, reach):
    """Numpy twin of :func:`gaussian_band_numba` (direct ``exp``)."""
    g = (lo[:, None] + np.arange(width)[None, :]) * delta
    r = grid[:, None]
    band = np.exp(-0.5 * ((r - g) / h) ** 2)
    refl = np.exp(-0.5 * ((r + g) / h) ** 2)
    band += np.where(r < reach * h, refl, 0.0)
    return band / (math.sqrt(2.0 * math.pi) * h)


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


def pair_histogram_numpy(xyz, strip, strip_width, sel, wsel, bin_width, n_bins, cutoff,
                         geo, radius, log_nodes, log_key0, log_shift, log_dump, node_bin,
                         node_frac):
    """Numpy twin of :func:`pair_histogram_numba` (same signature and results).

    Every pair of each set is computed (no strips: pairs the strips skip are beyond
    the cutoff and dropped anyway); the fixed-point positions and the integer counts
    are the same, so unweighted histograms agree to rounding (a position that rounds
    differently in its last bit, the compiled kernel contracting operations, moves by
    one quantum).
    """
    n_sets, k = sel.shape
    weighted = wsel.shape[1] > 0
    use_log = log_nodes > 0
    qbits = LOG_FRACTION_BITS if use_log else quantum_bits(n_bins)
    quanta = float(1 << qbits)
    inv = quanta / bin_width
    chord_cut = chord_length(cutoff, geo, radius)
    series = geo and chord_cut / 2.0 <= ASIN_SERIES_MAX
    limit = min(cutoff / bin_width, n_bins - 1.0) * quanta
    dump = (n_bins + 1.0) * quanta
    n_acc = log_nodes + 1 if use_log else n_bins + 2
    hist = np.zeros((n_sets, n_bins))
    ia, ib = np.triu_indices(k, 1)
    for s in range(n_sets):
        pts = xyz[sel[s]]
        diff = pts[ib] - pts[ia]
        ww = wsel[s, ia] * wsel[s, ib] if weighted else np.ones(ia.size)
        if use_log:
            u = np.einsum("ij,ij->i", diff, diff)
            u = np.where(u <= chord_cut * chord_cut, u, log_dump)
            bits = u.view(np.int64)
            near = bits < (log_key0 << log_shift)
            c = np.sqrt(u[near])
            d = 2.0 * radius * np.arcsin(np.minimum(0.5 * c, 1.0)) if geo else c
            pos = d / bin_width
            i0 = np.floor(pos).astype(np.int64)
            f = pos - i0
            wn = ww[near]
            hist[s] += np.bincount(i0, weights=wn - wn * f, minlength=n_bins + 1)[:n_bins]
            hist[s] += np.bincount(i0 + 1, weights=wn * f, minlength=n_bins + 1)[:n_bins]
            key = (bits[~near] >> log_shift) - log_key0
            b = key >> qbits
            q = key & ((1 << qbits) - 1)
            wf = ww[~near]
            cw = np.bincount(b, weights=wf, minlength=n_acc)[:log_nodes]
            f = np.bincount(b, weights=wf * q, minlength=n_acc)[:log_nodes] / quanta
            mass = cw - f
            mass[1:] += f[:-1]
            hist[s] += np.bincount(node_bin, weights=mass * (1.0 - node_frac),
                                   minlength=n_bins)[:n_bins]
            hist[s] += np.bincount(node_bin + 1, weights=mass * node_frac,
                                   minlength=n_bins)[:n_bins]
            continue
        if geo:
            c = 0.5 * np.sqrt(np.einsum("ij,ij->i", diff, diff))
            if series:
                c2 = c * c
                p = c * (1.0 + c2 * (1.0 / 6.0 + c2 * (3.0 / 40.0 + c2 * (
                    5.0 / 112.0 + c2 * (35.0 / 1152.0 + c2 * (63.0 / 2816.0))))))
            else:
                p = np.arcsin(np.minimum(c, 1.0))
            p = p * (2.0 * radius * inv)
        else:
            p = np.sqrt(diff[:, 0] ** 2 + diff[:, 1] ** 2) * inv
        pq = np.floor(np.where(p <= limit, p, dump) + 0.5).astype(np.int64)
        b = pq >> qbits
        q = pq & ((1 << qbits) - 1)
        cw = np.bincount(b, weights=ww, minlength=n_acc)[:n_bins]
        f = np.bincount(b, weights=ww * q, minlength=n_acc)[:n_bins] / quanta
        hist[s] = cw - f
        hist[s, 1:] += f[:-1]
    return hist


#: Columns up to this length are sorted by insertion in ``_stable_argsort``.
_INSERTION_MAX = 256


@njit(cache=True)
def _stable_argsort(col):
    """Stable ascending argsort of a float64 vector: insertion sort up to
    ``_INSERTION_MAX`` values without NaN; else LSD radix sort on the IEEE-754 bits
    (byte by byte, skipping bytes all keys share) when every value is >= 0 (the bits
    then order as the values; -0.0 is read as +0.0), else merge sort. Equal values
    keep their index order either way."""
    n = col.size
    ok = True
    nan = False
    for i in range(n):
        if not (col[i] >= 0.0):  # negative or NaN
            ok = False
            nan = nan or col[i] != col[i]
    if n <= _INSERTION_MAX and not nan:
        # short columns (the simulations of one distance): insertion sort, stable
        # (an element moves only past strictly greater ones)
        order = np.arange(n)
        for i in range(1, n):
            o = order[i]
            v = col[o]
            j = i - 1
            while j >= 0 and col[order[j]] > v:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = o
        return order
    if not ok:
        return np.argsort(col, kind="mergesort")
    keys = col.view(np.uint64).copy()
    for i in range(n):
        if col[i] == 0.0:
            keys[i] = np.uint64(0)
    order = np.arange(n)
    tmp = np.empty(n, dtype=np.int64)
    count = np.empty(257, dtype=np.int64)
    for byte in range(8):
        shift = np.uint64(8 * byte)
        count[:] = 0
        for i in range(n):
            count[np.int64((keys[order[i]] >> shift) & np.uint64(255)) + 1] += 1
        if count.max() == n:  # every key has the same byte here
            continue
        for b in range(256):
            count[b + 1] += count[b]
        for i in range(n):
            o = order[i]
            d = np.int64((keys[o] >> shift) & np.uint64(255))
            tmp[count[d]] = o
            count[d] += 1
        order, tmp = tmp, order
    return order


@njit(parallel=True, cache=True)
def envelope_numba(sims, obs, alpha):
    """Local and global bands and extreme-rank p-values of simulated curves.

    The compiled twin of ``_sorted_columns``, ``np.quantile(..., [alpha, 1 - alpha],
    axis=0)``, ``_global_bands`` and ``_extreme_rank_pvalues`` in
    ``agglomera.measures.kdensity`` (same definitions, same tie rules; tested equal):
    one stable sort per distance (parallel over distances), the extreme ranks of each
    simulation, and each curve's sorted rank vector (parallel over curves).
    Returns ``(local_lower, local_upper, global_lower, global_upper, p_upper,
    p_lower)``.
    """
    n, m = sims.shape
    srt = np.empty((m, n))
    pos_of = np.empty((m, n), dtype=np.int64)  # sorted position of simulation i
    first = np.empty((m, n), dtype=np.int64)
    last = np.empty((m, n), dtype=np.int64)
    n_gt = np.empty(m, dtype=np.int64)  # simulations above / below the observed
    n_lt = np.empty(m, dtype=np.int64)
    loc_lo = np.empty(m)
    loc_hi = np.empty(m)
    for j in prange(m):
        col = sims[:, j].copy()
        order = _stable_argsort(col)
        for p in range(n):
            srt[j, p] = col[order[p]]
            pos_of[j, order[p]] = p
        for p in range(n):
            first[j, p] = p if p == 0 or srt[j, p] != srt[j, p - 1] else first[j, p - 1]
        for p in range(n - 1, -1, -1):
            last[j, p] = p if p == n - 1 or srt[j, p] != srt[j, p + 1] else last[j, p + 1]
        # np.quantile (linear): a + (b - a) t, or b - (b - a) (1 - t) when t >= 0.5
        for which in range(2):
            q = alpha if which == 0 else 1.0 - alpha
            x = (n - 1) * q
            i0 = min(int(math.floor(x)), n - 1)
            i1 = min(i0 + 1, n - 1)
            t = x - i0
            a = srt[j, i0]
            b = srt[j, i1]
            v = a + (b - a) * t if t < 0.5 else b - (b - a) * (1.0 - t)
            if which == 0:
                loc_lo[j] = v
            else:
                loc_hi[j] = v
        o = obs[j]
        gt = 0
        lt = 0
        for p in range(n):
            if srt[j, p] > o:
                gt += 1
            elif srt[j, p] < o:
                lt += 1
        n_gt[j] = gt
        n_lt[j] = lt
    # global bands: each simulation's most extreme rank over the distances
    ext_up = np.empty(n, dtype=np.int64)
    ext_lo = np.empty(n, dtype=np.int64)
    for i in prange(n):
        eu = n
        el = n
        for j in range(m):
            p = pos_of[j, i]
            ru = (n - 1 - last[j, p]) + (p - first[j, p])
            if ru < eu:
                eu = ru
            if p < el:
                el = p
        ext_up[i] = eu
        ext_lo[i] = el
    allowed = math.floor(alpha * n + 1e-9)
    bands_q = np.empty(2, dtype=np.int64)
    for which in range(2):
        ext = np.sort(ext_up if which == 0 else ext_lo)
        q = 0
        below = 0  # simulations with extreme rank < q + 1
        while q + 1 <= n - 1:
            while below < n and ext[below] < q + 1:
                below += 1
            if below > allowed:
                break
            q += 1
        bands_q[which] = q
    glo = np.empty(m)
    ghi = np.empty(m)
    for j in range(m):
        ghi[j] = srt[j, n - 1 - bands_q[0]]
        glo[j] = srt[j, bands_q[1]]
    # extreme rank lengths: each curve's ranks sorted; observed is curve 0
    pvals = np.empty(2)
    for which in range(2):
        vec0 = np.empty(m, dtype=np.int64)
        for j in range(m):
            vec0[j] = 1 + (n_gt[j] if which == 0 else n_lt[j])
        vec0.sort()
        hits = np.zeros(n, dtype=np.int64)
        for i in prange(n):
            vec = np.empty(m, dtype=np.int64)
            for j in range(m):
                p = pos_of[j, i]
                if which == 0:
                    vec[j] = (n - last[j, p]) + (1 if obs[j] > sims[i, j] else 0)
                else:
                    vec[j] = first[j, p] + 1 + (1 if obs[j] < sims[i, j] else 0)
            # the smallest rank usually decides the lexicographic comparison; sort
            # the rank vector only when it ties with the observed one's
            low = vec[0]
            for j in range(1, m):
                if vec[j] < low:
                    low = vec[j]
            if low != vec0[0]:
                hits[i] = 1 if low < vec0[0] else 0
                continue
            vec.sort()
            hit = 1
            for j in range(m):
                if vec[j] != vec0[j]:
                    hit = 1 if vec[j] < vec0[j] else 0
                    break
            hits[i] = hit
        pvals[which] = (1.0 + hits.sum()) / (n + 1.0)
    return loc_lo, loc_hi, glo, ghi, pvals[0], pvals[1]
