"""Permutation kernels for spatial autocorrelation (numba, with numpy twins tested equal).

Random numbers come from a counter-based generator: the stream of draws for one
(site or permutation) ``c`` under ``seed`` starts from ``splitmix64(seed, c)``, so
every site's or permutation's draws are fixed by (seed, c) alone. The results do not
depend on the number of threads or on the order in which sites are processed.

* ``_uniform_int(rs, m)`` draws an integer in [0, m) with Lemire's (2019)
  multiply-shift method and its rejection step (exactly uniform, m < 2**32).
* Conditional permutation (local statistics): for site i with k_i neighbours, each of
  the P permutations draws k_i distinct indices out of the n - 1 other sites with
  Floyd's algorithm (Bentley & Floyd 1987), exactly uniform without replacement.
* Total permutation (global statistics): each permutation is a Fisher-Yates shuffle
  of 0..n-1 from its own stream.
* Each splitmix64 output (Steele, Lea & Flood 2014) gives two 32-bit draws, the high
  half first.

Speed without changing any draw: the hot loops keep the generator state in local
variables (``_draw``); the conditional kernel detects Floyd's duplicates with a stamp
array for n <= 65,536 and otherwise prefetches each drawn value before gathering; the
total-permutation kernels shuffle blocks of 8 permutations and sum their
cross-products in one pass over the links.

References: Steele, G. L., Lea, D., & Flood, C. H. (2014). Fast splittable
pseudorandom number generators. OOPSLA 2014, 453-472. doi:10.1145/2660193.2660195.
Lemire, D. (2019). Fast random integer generation in an interval. ACM Transactions on
Modeling and Computer Simulation 29(1), 3. doi:10.1145/3230636. Bentley, J., & Floyd,
R. W. (1987). Programming pearls: a sample of brilliance. Communications of the ACM
30(9), 754-757. doi:10.1145/30401.315746.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to load ``arr[idx]`` into cache (``llvm.prefetch``, read, high
    locality); no effect on results."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [i8p, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _stream_start(seed, counter):
    # Two rounds of splitmix64 over (seed, counter): distinct counters give
    # unrelated starting states.
    return _mix(_mix(seed + _GOLDEN) ^ (np.uint64(counter) * _GOLDEN + _M2))


@njit(cache=True, inline="always")
def _next32(rs):
    # rs = [state, spare, has_spare]: each splitmix64 output gives two 32-bit draws,
    # the high half first.
    if rs[2] != np.uint64(0):
        rs[2] = np.uint64(0)
        return rs[1]
    rs[0] = rs[0] + _GOLDEN
    out = _mix(rs[0])
    rs[1] = out & _MASK32
    rs[2] = np.uint64(1)
    return out >> np.uint64(32)


@njit(cache=True, inline="always")
def _uniform_int(rs, m):
    # Lemire (2019): m in [1, 2**32); exact by rejection.
    mm = np.uint64(m)
    prod = _next32(rs) * mm
    low = prod & _MASK32
    if low < mm:
        t = (_TWO32 - mm) % mm
        while low < t:
            prod = _next32(rs) * mm
            low = prod & _MASK32
    return np.int64(prod >> np.uint64(32))


@njit(cache=True, inline="always")
def _draw(state, spare, has, m):
    # Scalar form of ``_uniform_int`` for the hot loops: the generator state lives in
    # local variables (registers) instead of a 3-element array. Returns
    # (value in [0, m), state, spare, has). Same draws as ``_next32``/``_uniform_int``.
    mm = np.uint64(m)
    if has:
        r = spare
        has = False
    else:
        state = state + _GOLDEN
        out = _mix(state)
        spare = out & _MASK32
        r = out >> np.uint64(32)
        has = True
    prod = r * mm
    low = prod & _MASK32
    if low < mm:
        t = (_TWO32 - mm) % mm
        while low < t:
            if has:
                r = spare
                has = False
            else:
                state = state + _GOLDEN
                out = _mix(state)
                spare = out & _MASK32
                r = out >> np.uint64(32)
                has = True
            prod = r * mm
            low = prod & _MASK32
    return np.int64(prod >> np.uint64(32)), state, spare, has


# Up to this many sites the conditional-permutation kernel marks drawn ids in an
# n-sized stamp array (one load per draw for Floyd's duplicate check, the array stays
# in cache). Above it, a 64-bit filter of the permutation's ids decides whether to
# compare with the ids already drawn, and a site's ids are drawn (each value
# prefetched) before its values are gathered. Both paths draw the same ids, so the
# results do not depend on the path (tested).
_MARK_MAX_N = 1 << 16

# Permutations per pass over the links in the total-permutation kernels.
_BLOCK = 8


@njit(parallel=True, cache=True)
def _local_perm_kernel(focal_lag, b, indptr, weights, permutations, seed, use_mark):
    n = indptr.shape[0] - 1
    n_ge = np.zeros(n, dtype=np.int64)
    n_le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    useed = np.uint64(seed)
    kmax = 0
    for i in range(n):
        kmax = max(kmax, indptr[i + 1] - indptr[i])
    # Sites are processed in a fixed number of chunks (independent of the thread
    # count); each chunk reuses its buffers.
    n_chunks = min(n, 64 if use_mark else 1024)
    m = n - 1
    for c in prange(n_chunks):
        lo = c * n // n_chunks
        hi = (c + 1) * n // n_chunks
        chosen = np.empty(max(kmax, 1), dtype=np.int64)
        wk = np.empty(max(kmax, 1))
        mark = np.zeros(n if use_mark else 1, dtype=np.int64)
        buf = np.empty(1 if use_mark else max(permutations * kmax, 1), dtype=np.int64)
        stamp = 0
        for i in range(lo, hi):
            start = indptr[i]
            k = indptr[i + 1] - start
            if k == 0:
                continue
            for s in range(k):
                wk[s] = weights[start + s]
            obs = focal_lag[i]
            tol = 1e-12 * max(abs(obs), 1e-300)
            lo_t = obs - tol
            hi_t = obs + tol
            state = _stream_start(useed, i)
            spare = np.uint64(0)
            has = False
            ge = 0
            le = 0
            a1 = 0.0
            a2 = 0.0
            if use_mark:
                # Floyd with a stamp array; the lag is summed as the ids are drawn.
                for p in range(permutations):
                    stamp += 1
                    for s in range(k):
                        j = m - k + s
                        t, state, spare, has = _draw(state, spare, has, j + 1)
                        if mark[t] == stamp:
                            t = j
                        mark[t] = stamp
                        chosen[s] = t
                    lag = 0.0
                    for s in range(k):
                        idx = chosen[s]
                        if idx >= i:
                            idx += 1
                        lag += wk[s] * b[idx]
                    if lag >= lo_t:
                        ge += 1
                    if lag <= hi_t:
                        le += 1
                    a1 += lag
                    a2 += lag * lag
            else:
                # All of the site's ids first (each value prefetched as its id is
                # drawn), then the gathers, which then find the values in cache.
                for p in range(permutations):
                    # A 64-bit filter of the ids drawn so far: the compares run only
                    # when t's bit is already set (a possible duplicate).
                    seen = np.uint64(0)
                    for s in range(k):
                        j = m - k + s
                        t, state, spare, has = _draw(state, spare, has, j + 1)
                        bit = np.uint64(1) << (
                            (np.uint64(t) * _GOLDEN) >> np.uint64(58)
                        )
                        if seen & bit:
                            for q in range(s):
                                if chosen[q] == t:
                                    t = j
                                    bit = np.uint64(1) << (
                                        (np.uint64(t) * _GOLDEN) >> np.uint64(58)
                                    )
                                    break
                        seen |= bit
                        chosen[s] = t
                    base = p * k
                    for s in range(k):
                        idx = chosen[s]
                        if idx >= i:
                            idx += 1
                        buf[base + s] = idx
                        # the value is fetched while the next ids are drawn
                        _prefetch(b, idx)
                for p in range(permutations):
                    base = p * k
                    lag = 0.0
                    for s in range(k):
                        lag += wk[s] * b[buf[base + s]]
                    if lag >= lo_t:
                        ge += 1
                    if lag <= hi_t:
                        le += 1
                    a1 += lag
                    a2 += lag * lag
            n_ge[i] = ge
            n_le[i] = le
            s1[i] = a1
            s2[i] = a2
    return n_ge, n_le, s1, s2


def local_perm_numba(focal_lag, b, indptr, indices, weights, permutations, seed):
    """Conditional permutation counts for statistics monotone in a site's lag.

    For each site i the observed lag is ``focal_lag[i]`` = sum_j w_ij b_j over its
    neighbours (self excluded). Each permutation replaces the neighbours' values by
    k_i values drawn without replacement from the other n - 1 sites. Returns
    (n_ge, n_le, sum, sum_sq): counts of permuted lags >= / <= the observed lag
    (with a relative tolerance of 1e-12 for ties) and the first two moments.
    ``indices`` is not read (the neighbours' own values are replaced).
    """
    n = indptr.shape[0] - 1
    return _local_perm_kernel(
        focal_lag, b, indptr, weights, permutations, seed, n <= _MARK_MAX_N
    )


def _np_mix(z):
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _np_stream_start(seed, counter):
    with np.errstate(over="ignore"):
        return _np_mix(
            _np_mix(np.uint64(seed) + _GOLDEN) ^ (np.uint64(counter) * _GOLDEN + _M2)
        )


class _NpStream:
    """Numpy twin of the scalar stream: one generator state, Python ints."""

    def __init__(self, seed, counter):
        self.state = int(_np_stream_start(np.uint64(seed), np.uint64(counter)))
        self.spare = None

    def next32(self):
        if self.spare is not None:
            out, self.spare = self.spare, None
            return out
        self.state = (self.state + int(_GOLDEN)) & 0xFFFFFFFFFFFFFFFF
        out = int(_np_mix(np.uint64(self.state)))
        self.spare = out & 0xFFFFFFFF
        return out >> 32

    def uniform_int(self, m):
        m = int(m)
        r = self.next32()
        prod = r * m
        low = prod & 0xFFFFFFFF
        if low < m:
            t = ((1 << 32) - m) % m
            while low < t:
                r = self.next32()
                prod = r * m
                low = prod & 0xFFFFFFFF
        return prod >> 32


def local_perm_numpy(focal_lag, b, indptr, indices, weights, permutations, seed):
    """Numpy twin of :func:`local_perm_numba` (same signature and results; slow)."""
    n = indptr.shape[0] - 1
    n_ge = np.zeros(n, dtype=np.int64)
    n_le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    for i in range(n):
        start, stop = indptr[i], indptr[i + 1]
        k = stop - start
        if k == 0:
            continue
        stream = _NpStream(seed, i)
        m = n - 1
        draws = np.empty((permutations, k), dtype=np.int64)
        for p in range(permutations):
            chosen: list[int] = []
            for s in range(k):
                j = m - k + s
                t = stream.uniform_int(j + 1)
                chosen.append(j if t in chosen else t)
            draws[p] = chosen
        draws[draws >= i] += 1
        lags = np.zeros(permutations)
        for s in range(k):  # same summation order as the compiled kernel
            lags = lags + weights[start + s] * b[draws[:, s]]
        obs = focal_lag[i]
        tol = 1e-12 * max(abs(obs), 1e-300)
        n_ge[i] = int((lags >= obs - tol).sum())
        n_le[i] = int((lags <= obs + tol).sum())
        acc1 = 0.0
        acc2 = 0.0
        for v in lags:
            acc1 += v
            acc2 += v * v
        s1[i] = acc1
        s2[i] = acc2
    return n_ge, n_le, s1, s2


@njit(parallel=True, cache=True)
def global_perm_numba(a, b, indptr, indices, weights, permutations, seed, permute_a):
    """Total permutation null of the cross-product sum_i a_i sum_j w_ij b_pi(j).

    Permutation p relabels the sites by a Fisher-Yates shuffle drawn from stream p,
    applied to the values of ``b`` directly. With ``permute_a`` the statistic is
    univariate: ``a`` must be ``b`` and the permuted b stands on both sides
    (sum_i b_pi(i) sum_j w_ij b_pi(j)); otherwise ``a`` stays in place (bivariate
    Moran). Returns the P permuted cross-products.
    """
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    useed = np.uint64(seed)
    # Permutations in a fixed number of chunks (independent of the thread count).
    # Within a chunk, blocks of _BLOCK permutations are shuffled into reused buffers
    # and the cross-products of the whole block come from one pass over the links
    # (the link arrays are read once per block instead of once per permutation; each
    # permutation's sums keep the order of the single-permutation loop).
    n_chunks = min(permutations, 64)
    for c in prange(n_chunks):
        lo = c * permutations // n_chunks
        hi = (c + 1) * permutations // n_chunks
        bp = np.empty((_BLOCK, n))
        lag = np.empty(_BLOCK)
        total = np.empty(_BLOCK)
        for p0 in range(lo, hi, _BLOCK):
            nb = min(_BLOCK, hi - p0)
            for r in range(nb):
                row = bp[r]
                row[:] = b
                state = _stream_start(useed, p0 + r)
                spare = np.uint64(0)
                has = False
                for i in range(n - 1, 0, -1):
                    j, state, spare, has = _draw(state, spare, has, i + 1)
                    tmp = row[i]
                    row[i] = row[j]
                    row[j] = tmp
                total[r] = 0.0
            for i in range(n):
                for r in range(nb):
                    lag[r] = 0.0
                for q in range(indptr[i], indptr[i + 1]):
                    w = weights[q]
                    col = indices[q]
                    for r in range(nb):
                        lag[r] += w * bp[r, col]
                if permute_a:
                    for r in range(nb):
                        total[r] += bp[r, i] * lag[r]
                else:
                    ai = a[i]
                    for r in range(nb):
                        total[r] += ai * lag[r]
            for r in range(nb):
                out[p0 + r] = total[r]
    return out


def global_perm_numpy(a, b, indptr, indices, weights, permutations, seed, permute_a):
    """Numpy twin of :func:`global_perm_numba` (same signature and results; slow)."""
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    for p in range(permutations):
        stream = _NpStream(seed, p)
        perm = np.arange(n)
        for i in range(n - 1, 0, -1):
            j = stream.uniform_int(i + 1)
            perm[i], perm[j] = perm[j], perm[i]
        contrib = weights * b[perm[indices]]
        lag = np.zeros(n)
        for q in range(len(contrib)):  # same summation order as the compiled kernel
            lag[rows[q]] += contrib[q]
        ap = b[perm] if permute_a else a
        total = 0.0
        for i in range(n):
            total += ap[i] * lag[i]
        out[p] = total
    return out


@njit(parallel=True, cache=True)
def geary_perm_numba(z, indptr, indices, weights, permutations, seed):
    """Total permutation null of sum_ij w_ij (z_pi(i) - z_pi(j))**2 (Geary's numerator)."""
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    useed = np.uint64(seed)
    n_chunks = min(permutations, 64)
    for c in prange(n_chunks):
        lo = c * permutations // n_chunks
        hi = (c + 1) * permutations // n_chunks
        zp = np.empty(n)
        for p in range(lo, hi):
            zp[:] = z
            state = _stream_start(useed, p)
            spare = np.uint64(0)
            has = False
            for i in range(n - 1, 0, -1):
                j, state, spare, has = _draw(state, spare, has, i + 1)
                tmp = zp[i]
                zp[i] = zp[j]
                zp[j] = tmp
            total = 0.0
            for i in range(n):
                zi = zp[i]
                for q in range(indptr[i], indptr[i + 1]):
                    d = zi - zp[indices[q]]
                    total += weights[q] * d * d
            out[p] = total
    return out


def geary_perm_numpy(z, indptr, indices, weights, permutations, seed):
    """Numpy twin of :func:`geary_perm_numba` (same signature and results; slow)."""
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    for p in range(permutations):
        stream = _NpStream(seed, p)
        perm = np.arange(n)
        for i in range(n - 1, 0, -1):
            j = stream.uniform_int(i + 1)
            perm[i], perm[j] = perm[j], perm[i]
        d = z[perm[rows]] - z[perm[indices]]
        terms = weights * d * d
        total = 0.0
        for v in terms:
            total += v
        out[p] = total
    return out
