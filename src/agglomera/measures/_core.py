"""Array kernels shared by several measure families (no pandas, no validation).

All take float64 arrays of shape (T, R, I) (years, regions, industries) and broadcast
over the leading year axis.
"""

from __future__ import annotations

import numpy as np


def shares_within_region(x: np.ndarray) -> np.ndarray:
    """s_ri = x_ri / sum_i x_ri (NaN where a region is empty)."""
    tot = x.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, x / np.where(tot > 0, tot, 1.0), np.nan)


def shares_within_industry(x: np.ndarray) -> np.ndarray:
    """s_ri = x_ri / sum_r x_ri (NaN where an industry is empty)."""
    tot = x.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, x / np.where(tot > 0, tot, 1.0), np.nan)


def location_quotient_array(x: np.ndarray) -> np.ndarray:
    r"""Plain location quotient against the total of all regions in the data.

    .. math:: LQ_{ri} = \frac{x_{ri} / x_{r\cdot}}{x_{\cdot i} / x_{\cdot\cdot}}
    """
    reg = x.sum(axis=2, keepdims=True)
    ind = x.sum(axis=1, keepdims=True)
    tot = x.sum(axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * tot) / (reg * ind)
