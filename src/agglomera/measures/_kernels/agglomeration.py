"""Kernels for plant-level agglomeration indices (numba, each with a numpy twin).

No pandas, no validation: the public functions in ``measures/agglomeration.py`` check
their inputs and call these on plain arrays. Each ``*_numba`` kernel has a ``*_numpy``
twin with the same signature and results, tested equal in
``tests/measures/test_agglomeration.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def group_moments_numba(codes, values, n_groups):
    """Per-group sum of v, v**2, v**4 and the count, in one pass over the plants."""
    s1 = np.zeros(n_groups)
    s2 = np.zeros(n_groups)
    s4 = np.zeros(n_groups)
    count = np.zeros(n_groups, dtype=np.int64)
    for k in range(codes.shape[0]):
        g = codes[k]
        v = values[k]
        v2 = v * v
        s1[g] += v
        s2[g] += v2
        s4[g] += v2 * v2
        count[g] += 1
    return s1, s2, s4, count


def group_moments_numpy(codes, values, n_groups):
    """Numpy twin of :func:`group_moments_numba` (four ``np.bincount`` passes)."""
    v2 = values * values
    s1 = np.bincount(codes, weights=values, minlength=n_groups)
    s2 = np.bincount(codes, weights=v2, minlength=n_groups)
    s4 = np.bincount(codes, weights=v2 * v2, minlength=n_groups)
    count = np.bincount(codes, minlength=n_groups).astype(np.int64)
    return s1, s2, s4, count
