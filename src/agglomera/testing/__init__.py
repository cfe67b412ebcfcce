"""Public test helpers: Hypothesis strategies for region x industry data.

Import requires the ``test`` extra (hypothesis).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["region_industry_frames", "region_industry_matrices"]


@st.composite
def region_industry_matrices(draw, *, min_regions: int = 2, max_regions: int = 8,
                             min_industries: int = 2, max_industries: int = 8,
                             min_value: float = 0.0, max_value: float = 1e6,
                             positive_margins: bool = True) -> np.ndarray:
    """Non-negative finite matrices; with ``positive_margins`` every row and column sum
    is positive (no empty region or industry)."""
    r = draw(st.integers(min_regions, max_regions))
    i = draw(st.integers(min_industries, max_industries))
    elems = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                      width=64).map(lambda v: float(round(v, 3)))
    m = draw(hnp.arrays(np.float64, (r, i), elements=elems))
    if positive_margins:
        m = m + 1.0  # every cell positive: margins positive, shares well defined
    return m


@st.composite
def region_industry_frames(draw, **kwargs) -> pd.DataFrame:
    """Wide frames (index = regions, columns = industries) with string labels."""
    m = draw(region_industry_matrices(**kwargs))
    return pd.DataFrame(m, index=[f"r{k}" for k in range(m.shape[0])],
                        columns=[f"i{k}" for k in range(m.shape[1])])
