"""Kernels for entropy-based variety (numba, with a numpy twin tested equal).

``variety_numba(x, codes, n_groups)`` returns, for every (year, region) of the
(T, R, I) array ``x``, the total entropy E, the unrelated variety UV (entropy of group
shares) and the related variety RV = sum_g P_g H_g (within-group entropies weighted by
group shares), all in nats, with 0 ln 0 = 0. RV is accumulated from its own terms
-s_i ln(s_i / P_g), not taken as E - UV. Empty regions and regions with a NaN cell give
NaN.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def variety_numba(x, codes, n_groups):
    t_n, r_n, i_n = x.shape
    e_out = np.empty((t_n, r_n))
    uv_out = np.empty((t_n, r_n))
    rv_out = np.empty((t_n, r_n))
    for k in prange(t_n * r_n):
        t = k // r_n
        r = k % r_n
        total = 0.0
        for i in range(i_n):
            total += x[t, r, i]
        if not (total > 0.0):  # empty region, or NaN inside
            e_out[t, r] = np.nan
            uv_out[t, r] = np.nan
            rv_out[t, r] = np.nan
            continue
        p = np.zeros(n_groups)
        e = 0.0
        for i in range(i_n):
            s = x[t, r, i] / total
            if s > 0.0:
                e -= s * np.log(s)
                p[codes[i]] += s
        rv = 0.0
        for i in range(i_n):
            s = x[t, r, i] / total
            if s > 0.0:
                rv -= s * np.log(s / p[codes[i]])
        uv = 0.0
        for g in range(n_groups):
            if p[g] > 0.0:
                uv -= p[g] * np.log(p[g])
        e_out[t, r] = e
        uv_out[t, r] = uv
        rv_out[t, r] = rv
    return e_out, uv_out, rv_out


def variety_numpy(x, codes, n_groups):
    """Numpy twin of :func:`variety_numba` (same signature and results)."""
    from scipy.special import entr

    total = x.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(total > 0, x / np.where(total > 0, total, 1.0), np.nan)
    e = entr(s).sum(axis=2)
    p = np.zeros(x.shape[:2] + (n_groups,))
    for g in range(n_groups):
        p[:, :, g] = s[:, :, codes == g].sum(axis=2)
    uv = entr(p).sum(axis=2)
    pg = p[:, :, codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(pg > 0, s / np.where(pg > 0, pg, 1.0), 0.0)
    rv = (entr(within) * pg).sum(axis=2)
    bad = ~(total[:, :, 0] > 0)
    for a in (e, uv, rv):
        a[bad] = np.nan
    return e, uv, rv
