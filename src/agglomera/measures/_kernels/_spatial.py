"""Permutation kernels for spatial autocorrelation (numba, with numpy twins tested equal).

Random numbers come from a counter-based generator: the stream of draws for one
(site or permutation) ``c`` under ``seed`` starts from ``splitmix64(seed, c)``
(Steele, Lea & Flood 2014), so every site's or permutation's draws are fixed by
(seed, c) alone. The results do not depend on the number of threads or on the order
in which sites are processed.

* Total permutation (global statistics): each permutation is a Fisher-Yates shuffle
  of 0..n-1 from its own stream; each splitmix64 output gives two 32-bit draws, the
  high half first, each turned into an integer in [0, m) by Lemire's (2019)
  multiply-shift method with its rejection step (exactly uniform). The kernels
  shuffle blocks of 8 permutations, interleave them (site i's 8 values side by side)
  and sum their cross-products in one pass over the links with an 8-lane vector
  accumulator (``_simd.Vec8``; each lane in link order, no fused multiply-add).
* Conditional permutation (local statistics): for site i with k_i neighbours, each of
  the P permutations draws k_i distinct ids out of the n - 1 other sites with the
  permutation form of Floyd's algorithm (Bentley & Floyd 1987): digit s is uniform
  in [0, j_s], j_s = n - 1 - k_i + s; a new digit is put first in the sequence, a
  digit already in it puts j_s right after it. The sequence is a uniformly random
  ordered sample without replacement, so the neighbours' weights (equal or not) meet
  uniformly random values. Ids 0..n-2 stand for the other sites (id i stands for
  site n - 1). The digits come in batches of B (4 up to 32,768 sites, 3 up to
  2**20, then 2, 1): one splitmix64 output R gives all B digits of a batch by
  Lemire's method on the product M of their ranges, split into mixed-radix digits by
  successive 64 x 64 -> 128-bit multiplications (Brackett-Rozinsky & Lemire 2024);
  the batch is redrawn while (R * M) mod 2**64 < 2**64 mod M, which makes its digits
  exactly uniform and independent.

Speed: the local kernel sums the lag from the raw digits while it looks them up in a
per-thread stamp array; only the permutations where two raw digits coincide (about
k**2 / 2n of them), or where Lemire's test rejects a batch, are done again exactly
(digits drawn again, ordered by Floyd's rule). Without a coincidence Floyd's sequence
is the digits in reverse order, which the fast path uses directly. The test needs no
extra multiplication: after the B digits are split off, what is left of the output
is (R * M) mod 2**64 itself.

Changed streams: before this version each local digit came from half a splitmix64
output, one Lemire draw at a time, with Floyd's set form (id t or j_s at position s)
and ids mapped by skipping i; the p-values of a seed are therefore not the ones the
earlier versions gave (they agree within Monte-Carlo error). The global kernels draw
as before.

References: Steele, G. L., Lea, D., & Flood, C. H. (2014). Fast splittable
pseudorandom number generators. OOPSLA 2014, 453-472. doi:10.1145/2660193.2660195.
Lemire, D. (2019). Fast random integer generation in an interval. ACM Transactions on
Modeling and Computer Simulation 29(1), 3. doi:10.1145/3230636. Brackett-Rozinsky, N.,
& Lemire, D. (2024). Batched ranged random integer generation. Software: Practice and
Experience. doi:10.1002/spe.3369 (arXiv:2408.06213). Bentley, J., & Floyd, R. W. (1987).
Programming pearls: a sample of brilliance. Communications of the ACM 30(9), 754-757.
doi:10.1145/30401.315746.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._simd import LANES, vacc_pair, vacc_scaled, vacc_sqdiff, vlane, vzero

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)


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
def _draw(state, spare, has, m):
    # One integer in [0, m), m < 2**32, by Lemire's (2019) multiply-shift method with
    # its rejection step (exactly uniform); each splitmix64 output gives two 32-bit
    # draws, the high half first. The generator state lives in local variables.
    # Returns (value, state, spare, has); same draws as ``_NpStream.uniform_int``.
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


# Conditional permutations (local statistics), from version 0.x on
# ---------------------------------------------------------------------------------
# Site i draws from its own stream splitmix64(seed, i). Each 64-bit output R gives a
# batch of up to B Floyd digits at once (Lemire's method on the product M of their
# ranges, split into mixed-radix digits by successive multiplications; Brackett-
# Rozinsky & Lemire 2024): the batch is accepted when (R * M) mod 2**64 >=
# 2**64 mod M, which makes the B digits exactly uniform and independent. B is the
# largest of 1..4 with n**B <= 2**60 (4 up to 32,768 sites), so a rejection happens
# with probability below 1/16 (about 5e-4 at 10,000 sites).
#
# Floyd's duplicate check runs off the critical path: each digit is looked up in a
# per-thread stamp array (uint16; n > 65,536: two 64-bit filters) and the
# permutation's lag is summed from the raw digits at once; only when two raw digits
# of a permutation coincide (about k**2/2n of the permutations) is the permutation
# redone exactly (``_floyd_redo``). Floyd's permutation variant (prefix t, or insert
# j after t) makes the ordered tuple a uniformly random ordered sample, so that
# unequal weights get uniformly random neighbours' values; without a duplicate the
# tuple is the digits in reverse order. The stamp-array path also tests Lemire's
# rejection after the digits, on the low half left by the last split
# ((R * M) mod 2**64), and redraws a rejected permutation exactly (``_redraw``).


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


@intrinsic
def _mulhilo(typingctx, a, b):
    """(high, low) 64-bit halves of the 128-bit product of two uint64."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        i64 = ir.IntType(64)
        prod = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        lo = builder.trunc(prod, i64)
        hi = builder.trunc(builder.lshr(prod, ir.Constant(i128, 64)), i64)
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_SIX = np.uint64(6)
_M63 = np.uint64(63)
# Up to this many sites the duplicate check uses a per-thread uint16 stamp array.
_MARK_MAX_N = 1 << 16
# Floyd digits per splitmix64 output: the largest B <= _MAX_BATCH with n**B <= 2**60
_MAX_BATCH = 4


def batch_size(n: int) -> int:
    """Digits per 64-bit output for n sites (ranges < n): largest B <= 4 with
    n**B <= 2**60."""
    b = 1
    while b < _MAX_BATCH and n ** (b + 1) <= 1 << 60:
        b += 1
    return b


@njit(cache=True)
def _floyd_order(i, n, k, chosen, order):
    # Exact Floyd (permutation form) over the raw digits in ``chosen`` after a
    # repeated digit: the sequence is built in ``order`` by prefixing a new id, or
    # inserting j right after t when t is already in it; ids are then mapped to
    # sites (id i stands for site n - 1).
    length = 0
    for s in range(k):
        t = chosen[s]
        j = np.uint64(n - 1 - k + s)
        pos = -1
        for q in range(length):
            if order[q] == t:
                pos = q
                break
        if pos < 0:
            for q in range(length, 0, -1):
                order[q] = order[q - 1]
            order[0] = t
        else:
            for q in range(length, pos + 1, -1):
                order[q] = order[q - 1]
            order[pos + 1] = j
        length += 1
    ui = np.uint64(i)
    ulast = np.uint64(n - 1)
    for q in range(k):
        if order[q] == ui:
            order[q] = ulast


@njit(cache=True)
def _floyd_redo(b, wts, uniform, i, n, k, chosen, order):
    # The lag of a permutation rebuilt by ``_floyd_order``: the two partial sums
    # (even / odd positions, summed from the last position down, as the fast path
    # does).
    _floyd_order(i, n, k, chosen, order)
    l0 = 0.0
    l1 = 0.0
    for q in range(k - 1, -1, -1):
        idx = order[q]
        v = b[idx] if uniform else wts[q] * b[idx]
        if q & 1:
            l1 += v
        else:
            l0 += v
    return l0, l1


@njit(cache=True, inline="always")
def _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, redo_all, B, uniform):
    # Large n (no stamp array): first the ids of all P permutations (two 64-bit
    # filters flag repeats; each value is prefetched as its id is drawn), then the
    # gathers, which find the values in cache. Same ids and sums as _site_body.
    ui = np.uint64(i)
    ulast = np.uint64(n - 1)
    r0 = np.uint64(n - k)
    n_batch = (k + B - 1) // B
    for p in range(P):
        f1 = _ZERO
        f2 = _ZERO
        fh = _ZERO
        base = p * k
        for g in range(n_batch):
            state = state + _GOLDEN
            x = _mix(state)
            while x * mtab[g] < ttab[g]:
                state = state + _GOLDEN
                x = _mix(state)
            sb = g * B
            for u in range(B):
                s = sb + u
                if s < k:
                    t, x = _mulhilo(x, r0 + np.uint64(s))
                    t6 = t >> _SIX
                    fh |= (f1 >> (t & _M63)) & (f2 >> (t6 & _M63))
                    f1 |= _ONE << (t & _M63)
                    f2 |= _ONE << (t6 & _M63)
                    chosen[s] = t
                    idx = ulast if t == ui else t
                    buf[base + k - 1 - s] = idx
                    _prefetch(b, idx)
        if (fh & _ONE) != _ZERO or redo_all:
            _floyd_order(i, n, k, chosen, order)
            for q in range(k):
                buf[base + q] = order[q]
    ge = 0
    le = 0
    a1 = 0.0
    a2 = 0.0
    w0 = wts[0]
    for p in range(P):
        base = p * k
        l0 = 0.0
        l1 = 0.0
        for q in range(k - 1, -1, -1):
            idx = buf[base + q]
            v = b[idx] if uniform else wts[q] * b[idx]
            if q & 1:
                l1 += v
            else:
                l0 += v
        lag = l0 + l1
        if uniform:
            lag = w0 * lag
        if lag >= lo_t:
            ge += 1
        if lag <= hi_t:
            le += 1
        a1 += lag
        a2 += lag * lag
    return ge, le, a1, a2, 0


@njit(cache=True, inline="always")
def _redraw(state, n, k, mtab, ttab, chosen, B):
    # The raw digits of one permutation into ``chosen``, from the generator state
    # before its first batch (rejected batches drawn again); returns the state after
    # the permutation.
    r0 = np.uint64(n - k)
    for g in range((k + B - 1) // B):
        state = state + _GOLDEN
        x = _mix(state)
        while x * mtab[g] < ttab[g]:  # Lemire's rejection for the whole batch
            state = state + _GOLDEN
            x = _mix(state)
        for u in range(B):
            s = g * B + u
            if s < k:
                t, x = _mulhilo(x, r0 + np.uint64(s))
                chosen[s] = t
    return state


@njit(cache=True, inline="always")
def _site_body(bl, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen, order,
               mark, stamp, redo_all, B, uniform):
    # All P conditional permutations of site i (k >= 1 neighbours), n <= 65,536. B
    # and uniform are constants in each caller below, so the digit loop is unrolled.
    # ``bl`` is the value array with bl[i] = b[n - 1] (id i stands for site n - 1),
    # so a raw digit indexes it directly.
    #
    # Fast path: each batch's digits are split off its output at once, each digit t
    # is looked up in the stamp array (slot t + 1), and the lag is summed from the
    # raw digits meanwhile. A repeated digit, or a batch that Lemire's test rejects
    # (what is left of the output after its digits, (R * M) mod 2**64, below
    # 2**64 mod M), sets the flag mark[0] (a store, so that the look-ups stay
    # branches that are not taken). A flagged permutation is done again exactly:
    # digits drawn again from the saved state, rejected batches redrawn
    # (``_redraw``), and ordered by Floyd's rule (``_floyd_redo``). With
    # ``redo_all`` the flag stays set (every permutation done exactly; for tests).
    #
    # The sum: digit s goes to position q = k - 1 - s (no repeat), and the lag is
    # (sum over even q) + (sum over odd q), each partial sum from the last position
    # down. Even q are the s of one parity, so the two partial sums are kept by the
    # parity of s (the same additions in the same order) and the lag is their sum,
    # which does not depend on which is which.
    r0 = np.uint64(n - k)  # digit s is uniform in [0, r0 + s), i.e. [0, j_s]
    ge = 0
    le = 0
    a1 = 0.0
    a2 = 0.0
    n_full = k // B
    k_full = n_full * B
    w0 = wts[0]
    one = np.uint16(1)
    rest = np.uint16(1 if redo_all else 0)  # the flag after a redone permutation
    mark[0] = rest
    p0 = 0
    while p0 < P:
        # stamps 1..65535 between resets of the stamp array
        p1 = min(P, p0 + 65535 - stamp)
        if p1 == p0:
            mark[:] = 0
            mark[0] = rest
            stamp = 0
            continue
        for _p in range(p0, p1):
            stamp += 1
            st = np.uint16(stamp)
            ev = 0.0  # digits s even
            od = 0.0  # digits s odd
            y = state
            for g in range(n_full):
                y = y + _GOLDEN
                x = _mix(y)
                sb = g * B
                for u in range(B):
                    s = sb + u
                    t, x = _mulhilo(x, r0 + np.uint64(s))
                    if mark[t + _ONE] == st:
                        mark[0] = one
                    mark[t + _ONE] = st
                    # without a repeat, Floyd's sequence is the digits reversed
                    v = bl[t] if uniform else wts[k - 1 - s] * bl[t]
                    if s & 1:
                        od += v
                    else:
                        ev += v
                if x < ttab[g]:  # x is now (R * M) mod 2**64
                    mark[0] = one
            if k_full < k:  # last, partial batch
                y = y + _GOLDEN
                x = _mix(y)
                for u in range(B):
                    s = k_full + u
                    if s < k:
                        t, x = _mulhilo(x, r0 + np.uint64(s))
                        if mark[t + _ONE] == st:
                            mark[0] = one
                        mark[t + _ONE] = st
                        v = bl[t] if uniform else wts[k - 1 - s] * bl[t]
                        if s & 1:
                            od += v
                        else:
                            ev += v
                if x < ttab[n_full]:
                    mark[0] = one
            if mark[0] != 0:
                mark[0] = rest
                state = _redraw(state, n, k, mtab, ttab, chosen, B)
                ev, od = _floyd_redo(bl, wts, uniform, i, n, k, chosen, order)
            else:
                state = y
            lag = ev + od
            if uniform:
                lag = w0 * lag
            if lag >= lo_t:
                ge += 1
            if lag <= hi_t:
                le += 1
            a1 += lag
            a2 += lag * lag
        p0 = p1
    return ge, le, a1, a2, stamp


# (batch size, stamp array or filters) pairs that occur: B = 4 only with n <= 32,768,
# B <= 2 only with n > 2**20; uniform (equal weights) or not.
_PATHS = ((4, True), (3, True), (3, False), (2, False), (1, False))


@njit(cache=True)
def _site_b4mu(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st, ra):
    return _site_body(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st,
                      ra, 4, True)


@njit(cache=True)
def _site_b4mw(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st, ra):
    return _site_body(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st,
                      ra, 4, False)


@njit(cache=True)
def _site_b3mu(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st, ra):
    return _site_body(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st,
                      ra, 3, True)


@njit(cache=True)
def _site_b3mw(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st, ra):
    return _site_body(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, mk, st,
                      ra, 3, False)


@njit(cache=True)
def _site_b3fu(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, bf, st, ra):
    return _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch,
                               od, bf, ra, 3, True)


@njit(cache=True)
def _site_b3fw(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, bf, st, ra):
    return _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch,
                               od, bf, ra, 3, False)


@njit(cache=True)
def _site_b2fu(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, bf, st, ra):
    return _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch,
                               od, bf, ra, 2, True)


@njit(cache=True)
def _site_b2fw(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, bf, st, ra):
    return _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch,
                               od, bf, ra, 2, False)


@njit(cache=True)
def _site_b1fu(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, bf, st, ra):
    return _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch,
                               od, bf, ra, 1, True)


@njit(cache=True)
def _site_b1fw(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch, od, bf, st, ra):
    return _site_body_buffered(b, wts, i, n, k, P, state, lo_t, hi_t, mt, tt, ch,
                               od, bf, ra, 1, False)


@njit(parallel=True, cache=True)
def _local_perm_kernel(
    focal_lag, b, indptr, weights, permutations, seed, B, use_mark, redo_all
):
    n = indptr.shape[0] - 1
    n_ge = np.zeros(n, dtype=np.int64)
    n_le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    useed = np.uint64(seed)
    kmax = 1
    for i in range(n):
        kmax = max(kmax, indptr[i + 1] - indptr[i])
    # Sites in a fixed number of chunks (independent of the thread count); each
    # chunk has its own buffers, padded by 64 bytes so that no two threads write to
    # one cache line.
    n_chunks = min(n, 64)
    for c in prange(n_chunks):
        lo = c * n // n_chunks
        hi = (c + 1) * n // n_chunks
        scratch = np.empty(4 * kmax + 48, dtype=np.uint64)
        chosen = scratch[8 : 8 + kmax]
        order = scratch[16 + kmax : 16 + 2 * kmax + 1]
        mtab = scratch[24 + 2 * kmax : 24 + 3 * kmax]
        ttab = scratch[32 + 3 * kmax : 32 + 4 * kmax]
        mark = np.zeros(n + 64 if use_mark else 1, dtype=np.uint16)
        # stamp-array path: the chunk's copy of the values, with bl[i] = b[n - 1]
        # while site i is processed (raw digits index it directly)
        bl = np.empty(n if use_mark else 1)
        if use_mark:
            bl[:] = b
        buf = np.empty(1 if use_mark else max(permutations * kmax, 1) + 16, dtype=np.uint64)
        stamp = 0
        for i in range(lo, hi):
            start = indptr[i]
            k = indptr[i + 1] - start
            if k == 0:
                continue
            wts = weights[start : start + k]
            uniform = True
            for s in range(1, k):
                if wts[s] != wts[0]:
                    uniform = False
            # per batch: product M of its ranges and 2**64 mod M
            for g in range((k + B - 1) // B):
                mm = _ONE
                for s in range(g * B, min(g * B + B, k)):
                    mm *= np.uint64(n - k + s)
                mtab[g] = mm
                ttab[g] = (_ZERO - mm) % mm
            obs = focal_lag[i]
            tol = 1e-12 * max(abs(obs), 1e-300)
            lo_t = obs - tol
            hi_t = obs + tol
            state = _stream_start(useed, i)
            P = permutations
            if use_mark:
                bl[i] = b[n - 1]
            if B == 4 and use_mark:
                if uniform:
                    r = _site_b4mu(
                        bl, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, mark, stamp, redo_all,
                    )
                else:
                    r = _site_b4mw(
                        bl, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, mark, stamp, redo_all,
                    )
            elif B == 3 and use_mark:
                if uniform:
                    r = _site_b3mu(
                        bl, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, mark, stamp, redo_all,
                    )
                else:
                    r = _site_b3mw(
                        bl, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, mark, stamp, redo_all,
                    )
            elif B == 3 and not use_mark:
                if uniform:
                    r = _site_b3fu(
                        b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, stamp, redo_all,
                    )
                else:
                    r = _site_b3fw(
                        b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, stamp, redo_all,
                    )
            elif B == 2 and not use_mark:
                if uniform:
                    r = _site_b2fu(
                        b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, stamp, redo_all,
                    )
                else:
                    r = _site_b2fw(
                        b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, stamp, redo_all,
                    )
            elif B == 1 and not use_mark:
                if uniform:
                    r = _site_b1fu(
                        b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, stamp, redo_all,
                    )
                else:
                    r = _site_b1fw(
                        b, wts, i, n, k, P, state, lo_t, hi_t, mtab, ttab, chosen,
                        order, buf, stamp, redo_all,
                    )
            else:  # not reached: local_perm_numba passes one of _PATHS
                r = (0, 0, 0.0, 0.0, stamp)
            if use_mark:
                bl[i] = b[i]
            n_ge[i] = r[0]
            n_le[i] = r[1]
            s1[i] = r[2]
            s2[i] = r[3]
            stamp = r[4]
    return n_ge, n_le, s1, s2


def local_perm_numba(focal_lag, b, indptr, indices, weights, permutations, seed):
    """Conditional permutation counts for statistics monotone in a site's lag.

    For each site i the observed lag is ``focal_lag[i]`` = sum_j w_ij b_j over its
    neighbours (self excluded). Each permutation replaces the neighbours' values by
    k_i values drawn without replacement from the other n - 1 sites, in uniformly
    random order (so unequal weights get uniformly random values). Returns
    (n_ge, n_le, sum, sum_sq): counts of permuted lags >= / <= the observed lag
    (with a relative tolerance of 1e-12 for ties) and the first two moments.
    ``indices`` is not read (the neighbours' own values are replaced).
    """
    n = indptr.shape[0] - 1
    return _local_perm_kernel(
        focal_lag, b, indptr, weights, permutations, seed, batch_size(n),
        n <= _MARK_MAX_N, False,
    )


# Permutations per pass over the links in the total-permutation kernels.
_BLOCK = LANES


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


_U64 = (1 << 64) - 1


class _NpStream:
    """Numpy twin of the scalar stream: one generator state, Python ints."""

    def __init__(self, seed, counter):
        self.state = int(_np_stream_start(np.uint64(seed), np.uint64(counter)))
        self.spare = None

    def next64(self):
        self.state = (self.state + int(_GOLDEN)) & _U64
        return int(_np_mix(np.uint64(self.state)))

    def next32(self):
        if self.spare is not None:
            out, self.spare = self.spare, None
            return out
        out = self.next64()
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

    def batch(self, ranges):
        """Uniform digits in [0, r) for each r in ``ranges`` from one accepted 64-bit
        output (Lemire on the product, split into mixed-radix digits)."""
        big_m = 1
        for r in ranges:
            big_m *= int(r)
        thr = (1 << 64) % big_m
        while True:
            x = self.next64()
            if (x * big_m) & _U64 >= thr:
                break
        out = []
        for r in ranges:
            prod = x * int(r)
            out.append(prod >> 64)
            x = prod & _U64
        return out


def _floyd_sequence(digits, n, k):
    """Floyd's permutation form: prefix t, or insert j after t when t is there."""
    seq: list[int] = []
    for s, t in enumerate(digits):
        j = n - 1 - k + s
        if t in seq:
            seq.insert(seq.index(t) + 1, j)
        else:
            seq.insert(0, t)
    return seq


def local_perm_numpy(
    focal_lag, b, indptr, indices, weights, permutations, seed, batch=None
):
    """Numpy twin of :func:`local_perm_numba` (same signature and results; slow).

    ``batch`` overrides the digits per output (default ``batch_size(n)``), to test
    the kernel's other batch sizes on small inputs."""
    n = indptr.shape[0] - 1
    n_ge = np.zeros(n, dtype=np.int64)
    n_le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    B = batch_size(n) if batch is None else int(batch)
    for i in range(n):
        start, stop = indptr[i], indptr[i + 1]
        k = stop - start
        if k == 0:
            continue
        wts = weights[start:stop]
        uniform = bool(np.all(wts == wts[0]))
        stream = _NpStream(seed, i)
        ranges = [n - k + s for s in range(k)]
        draws = np.empty((permutations, k), dtype=np.int64)
        for p in range(permutations):
            digits: list[int] = []
            for g in range(0, k, B):
                digits += stream.batch(ranges[g : g + B])
            draws[p] = _floyd_sequence(digits, n, k)
        draws[draws == i] = n - 1  # ids 0..n-2 stand for the sites other than i
        # same summation order as the compiled kernel: even and odd positions apart,
        # the last position first
        lag0 = np.zeros(permutations)
        lag1 = np.zeros(permutations)
        for q in range(k - 1, -1, -1):
            v = b[draws[:, q]] if uniform else wts[q] * b[draws[:, q]]
            if q & 1:
                lag1 = lag1 + v
            else:
                lag0 = lag0 + v
        lags = lag0 + lag1
        if uniform:
            lags = wts[0] * lags
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


@njit(cache=True, inline="always")
def _shuffle(row, b, useed, p):
    # row <- b relabelled by permutation p: a Fisher-Yates shuffle from stream p
    # (the draws of ``_draw``). Fast path: when both 32-bit halves of the next output
    # pass Lemire's test, they give the next two swaps at once; otherwise ``_draw``
    # takes one step (same draws either way).
    n = b.shape[0]
    row[:] = b
    state = _stream_start(useed, p)
    spare = np.uint64(0)
    has = False
    i = n - 1
    while i > 0:
        if not has and i > 1:
            nxt = state + _GOLDEN
            out = _mix(nxt)
            m1 = np.uint64(i + 1)
            m2 = np.uint64(i)
            p1 = (out >> np.uint64(32)) * m1
            p2 = (out & _MASK32) * m2
            if (p1 & _MASK32) >= m1 and (p2 & _MASK32) >= m2:
                state = nxt
                j = np.int64(p1 >> np.uint64(32))
                tmp = row[i]
                row[i] = row[j]
                row[j] = tmp
                j = np.int64(p2 >> np.uint64(32))
                tmp = row[i - 1]
                row[i - 1] = row[j]
                row[j] = tmp
                i -= 2
                continue
        j, state, spare, has = _draw(state, spare, has, i + 1)
        tmp = row[i]
        row[i] = row[j]
        row[j] = tmp
        i -= 1


@njit(cache=True)
def _link_rows(indptr):
    # Row of each link of a CSR matrix (int64).
    n = indptr.shape[0] - 1
    rows = np.empty(indptr[n], dtype=np.int64)
    for i in range(n):
        for q in range(indptr[i], indptr[i + 1]):
            rows[q] = i
    return rows


@njit(cache=True)
def _column_sums(a, rows, indices, weights, n):
    # c = W'a, c_j = sum over the links (i, j) in link order of w_ij * a_i.
    c = np.zeros(n)
    for q in range(rows.shape[0]):
        c[indices[q]] += weights[q] * a[rows[q]]
    return c


@njit(parallel=True, cache=True)
def _block_kernel(a, b, indptr, indices, weights, permutations, seed, kind):
    # kind 0: sum over the links q of (w_q * b_pi(r_q)) * b_pi(c_q) (upper-triangle
    # links: univariate Moran, G); kind 1: sum_j c_j * b_pi(j) with c = W'a
    # (bivariate Moran); kind 2: sum over the links of (w_q * d) * d with
    # d = b_pi(r_q) - b_pi(c_q) (Geary). Permutations in a fixed number of chunks
    # (independent of the thread count); within a chunk, each block of LANES
    # permutations is shuffled into the rows of ``rb`` (one row at a time stays in
    # cache while it is shuffled), copied in one sequential pass into the interleaved
    # (n, LANES) array ``bp`` (lane r of row i is permutation r's value at site i),
    # and one pass over the links sums the whole block in a Vec8 accumulator, each
    # lane in link order. Lanes past a partial last block hold stale values whose
    # sums are not used.
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    useed = np.uint64(seed)
    rows = _link_rows(indptr)
    n_links = rows.shape[0]
    if kind == 1:
        c = _column_sums(a, rows, indices, weights, n)
    else:
        c = np.empty(0)
    n_chunks = min(permutations, 64)
    for ch in prange(n_chunks):
        lo = ch * permutations // n_chunks
        hi = (ch + 1) * permutations // n_chunks
        bp = np.zeros((n, LANES))
        rb = np.zeros((LANES, n))
        for p0 in range(lo, hi, LANES):
            nb = min(LANES, hi - p0)
            for r in range(nb):
                _shuffle(rb[r], b, useed, p0 + r)
            for i in range(n):
                for r in range(LANES):
                    bp[i, r] = rb[r, i]
            acc = vzero()
            if kind == 0:
                for q in range(n_links):
                    acc = vacc_pair(acc, bp, rows[q], indices[q], weights[q])
            elif kind == 1:
                for j in range(n):
                    acc = vacc_scaled(acc, bp, j, c[j])
            else:
                for q in range(n_links):
                    acc = vacc_sqdiff(acc, bp, rows[q], indices[q], weights[q])
            for r in range(nb):
                out[p0 + r] = vlane(acc, r)
    return out


def global_perm_numba(a, b, indptr, indices, weights, permutations, seed, permute_a):
    """Total permutation null of the cross-product sum_i a_i sum_j w_ij b_pi(j).

    Permutation p relabels the sites by a Fisher-Yates shuffle drawn from stream p,
    applied to the values of ``b`` directly. With ``permute_a`` the statistic is
    univariate: ``a`` must be ``b``, the permuted b stands on both sides and each
    permutation sums (w_q * b_pi(r_q)) * b_pi(c_q) over the links q = (r_q, c_q) in
    CSR order (pass the upper triangle of W + W' for the symmetric form); otherwise
    ``a`` stays in place (bivariate Moran) and each permutation sums c_j * b_pi(j)
    over j in order, c = W'a (c_j summed over the links in CSR order). Returns the P
    permuted cross-products.
    """
    kind = 0 if permute_a else 1
    return _block_kernel(a, b, indptr, indices, weights, permutations, seed, kind)


def _np_permuted(b, seed, p):
    """Twin of :func:`_shuffle`: b relabelled by permutation p."""
    n = b.shape[0]
    stream = _NpStream(seed, p)
    perm = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = stream.uniform_int(i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return b[perm]


def _np_ordered_sum(terms):
    """Left-to-right float64 sum (np.add.accumulate adds in order, not pairwise)."""
    return float(np.add.accumulate(terms)[-1]) if len(terms) else 0.0


def global_perm_numpy(a, b, indptr, indices, weights, permutations, seed, permute_a):
    """Numpy twin of :func:`global_perm_numba` (same signature and results; slow)."""
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    if not permute_a:
        c = np.zeros(n)
        np.add.at(c, indices, weights * a[rows])  # unbuffered: in link order
    for p in range(permutations):
        bp = _np_permuted(b, seed, p)
        if permute_a:
            out[p] = _np_ordered_sum((weights * bp[rows]) * bp[indices])
        else:
            out[p] = _np_ordered_sum(c * bp)
    return out


def geary_perm_numba(z, indptr, indices, weights, permutations, seed):
    """Total permutation null of sum over the links q of (w_q * d) * d, with
    d = z_pi(r_q) - z_pi(c_q) (Geary's numerator; pass the upper triangle of W + W')."""
    return _block_kernel(z, z, indptr, indices, weights, permutations, seed, 2)


def geary_perm_numpy(z, indptr, indices, weights, permutations, seed):
    """Numpy twin of :func:`geary_perm_numba` (same signature and results; slow)."""
    n = indptr.shape[0] - 1
    out = np.empty(permutations)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    for p in range(permutations):
        zp = _np_permuted(z, seed, p)
        d = zp[rows] - zp[indices]
        out[p] = _np_ordered_sum((weights * d) * d)
    return out


@njit(cache=True)
def upper_links_numba(indptr, indices, data):
    """Upper triangle of W + W' from the CSR arrays of W (zero diagonal assumed).

    Link (i, j, w) goes to row min(i, j), column max(i, j); the two links of a pair
    are added (w_ij + w_ji), links on the diagonal are left out. Returns the CSR
    arrays (indptr, indices, data) of the strict upper triangle with the columns of
    every row sorted: the same matrix as ``scipy.sparse.triu(W + W.T, 1)``.
    """
    n = indptr.shape[0] - 1
    count = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            if j != i:
                count[min(i, j) + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    fill = count[:n].copy()
    cols = np.empty(count[n], dtype=np.int64)
    vals = np.empty(count[n])
    for i in range(n):
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            if j != i:
                lo = min(i, j)
                cols[fill[lo]] = max(i, j)
                vals[fill[lo]] = data[q]
                fill[lo] += 1
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    k = 0
    for i in range(n):
        a = count[i]
        b = count[i + 1]
        if b - a > 32:
            order = np.argsort(cols[a:b], kind="mergesort")
            cs = cols[a:b][order]
            vs = vals[a:b][order]
            cols[a:b] = cs
            vals[a:b] = vs
        else:
            for x in range(a + 1, b):  # insertion sort of a short row
                c = cols[x]
                v = vals[x]
                y = x - 1
                while y >= a and cols[y] > c:
                    cols[y + 1] = cols[y]
                    vals[y + 1] = vals[y]
                    y -= 1
                cols[y + 1] = c
                vals[y + 1] = v
        x = a
        while x < b:
            c = cols[x]
            v = vals[x]
            if x + 1 < b and cols[x + 1] == c:
                v = v + vals[x + 1]
                x += 1
            cols[k] = c
            vals[k] = v
            k += 1
            x += 1
        out_ptr[i + 1] = k
    return out_ptr, cols[:k].copy(), vals[:k].copy()
