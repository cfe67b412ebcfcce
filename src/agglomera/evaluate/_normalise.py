"""Normalisation of indicators for composite indices (OECD/JRC 2008, section 5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.evaluate._common import (
    as_list,
    check_choice,
    check_columns,
    numeric_block,
    polarity_vector,
    unit_labels,
)

NORMALISATIONS = ("minmax", "zscore", "distance", "vector")
_ALIASES = {"z": "zscore", "min-max": "minmax", "min_max": "minmax",
            "frontier": "distance"}


def canonical_method(method: str) -> str:
    method = _ALIASES.get(method, method) if isinstance(method, str) else method
    return check_choice("normalise", method, NORMALISATIONS)


def normalise_array(x: np.ndarray, polarity: np.ndarray, method: str,
                    names: Sequence[str] | None = None) -> np.ndarray:
    """Oriented normalised values (higher is better after normalisation).

    ``x`` has shape (n, k); ``polarity`` +1/-1 per column. Kernel without label handling;
    refuses constant columns (min-max) and non-positive values (distance).
    """
    names = list(names) if names is not None else [f"column {k}" for k in range(x.shape[1])]
    if x.shape[0] < 2:
        raise SchemaError(f"normalisation needs at least 2 units; got {x.shape[0]}")
    lo, hi = x.min(axis=0), x.max(axis=0)
    const = hi == lo
    if const.any() and method != "vector":
        raise SchemaError(f"indicator(s) {', '.join(n for n, c in zip(names, const) if c)} "
                          "take the same value for every unit and cannot be normalised "
                          "(they do not discriminate between units; leave them out)")
    if method == "minmax":
        z = (x - lo) / (hi - lo)
        return np.where(polarity > 0, z, 1.0 - z)
    if method == "zscore":
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        return z * polarity
    if method == "distance":
        if (x <= 0).any():
            bad = [n for n, b in zip(names, (x <= 0).any(axis=0)) if b]
            raise SchemaError(f"normalise='distance' (ratio to the best unit) needs positive "
                              f"values; {', '.join(bad)} have zero or negative values")
        return np.where(polarity > 0, x / hi, lo / x)
    # vector (Hwang & Yoon 1981): x / ||x||; lower-is-better columns are negated so that
    # higher is better everywhere (TOPSIS distances are unchanged by the sign flip)
    norm = np.sqrt((x * x).sum(axis=0))
    if (norm == 0).any():
        bad = [n for n, b in zip(names, norm == 0) if b]
        raise SchemaError(f"normalise='vector' needs a non-zero column; {', '.join(bad)} "
                          "are all zero")
    return x / norm * polarity


def normalise(frame: pd.DataFrame, *, indicators: str | Sequence[str],
              polarity: Mapping[str, object] | Sequence[object],
              method: str = "minmax", region: str | None = None,
              missing: str = "raise") -> pd.DataFrame:
    r"""Normalise indicators so that they are comparable and higher is always better.

    指标标准化 (无量纲化). Each indicator is rescaled across the units (regions, zones)
    of ``frame``; indicators where lower is better are turned round, so after
    normalisation a higher value is always better.

    Parameters
    ----------
    frame : DataFrame
        One row per unit; indicator columns.
    indicators : str or sequence of str
        Indicator columns (a comma-separated string is accepted).
    polarity : mapping or sequence
        For every indicator ``'higher'`` (higher is better) or ``'lower'``; there is no
        default, the direction must be explicit.
    method : {'minmax', 'zscore', 'distance', 'vector'}
        See Notes. ``'z'`` is accepted for ``'zscore'``.
    region : str, optional
        Column holding the unit labels; default the index.
    missing : {'raise', 'omit'}
        A unit with a missing indicator raises, or is left out with a
        ``MissingValueWarning``; never filled.

    Returns
    -------
    DataFrame
        Index = units, columns = indicators, oriented normalised values.

    Raises
    ------
    SchemaError
        Missing polarity, unknown column, constant indicator, non-positive values for
        ``'distance'``, missing values with ``missing='raise'``.

    Notes
    -----
    With :math:`x_{qc}` the value of indicator :math:`q` for unit :math:`c`, polarity
    :math:`p_q \in \{+1, -1\}` (OECD/JRC 2008, section 5, Table 14):

    .. math::

        \text{minmax:}\quad I_{qc} = \frac{x_{qc} - \min_c x_{qc}}
            {\max_c x_{qc} - \min_c x_{qc}} \;(p_q = 1), \qquad
            1 - \text{that} \;(p_q = -1)

        \text{zscore:}\quad I_{qc} = p_q \frac{x_{qc} - \bar x_q}{\sigma_q}
            \quad (\sigma_q \text{ the population standard deviation})

        \text{distance (to the frontier):}\quad I_{qc} = \frac{x_{qc}}{\max_c x_{qc}}
            \;(p_q = 1), \qquad \frac{\min_c x_{qc}}{x_{qc}} \;(p_q = -1)

        \text{vector:}\quad I_{qc} = p_q \frac{x_{qc}}{\sqrt{\sum_c x_{qc}^2}}

    ``distance`` is the handbook's "distance to a reference" with the best unit as the
    reference: the frontier unit scores 1, the others their fraction of it (values must
    be positive). ``vector`` is the normalisation of TOPSIS (Hwang & Yoon 1981).

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and
    User Guide*. Paris: OECD Publishing, pp. 27-31, 83-88. doi:10.1787/9789264043466-en

    Hwang, C.-L. & Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and
    Applications*. Lecture Notes in Economics and Mathematical Systems 186. Berlin:
    Springer, pp. 128-140. doi:10.1007/978-3-642-48318-9

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"gdp": [1.0, 2.0, 3.0], "pollution": [3.0, 1.0, 2.0]},
    ...                  index=["a", "b", "c"])
    >>> normalise(f, indicators=["gdp", "pollution"],
    ...           polarity={"gdp": "higher", "pollution": "lower"})
       gdp  pollution
    a  0.0        0.0
    b  0.5        1.0
    c  1.0        0.5
    """
    method = canonical_method(method)
    inds = as_list(indicators, "indicators")
    check_columns(frame, inds, "indicator")
    pol = polarity_vector(polarity, inds)
    labels = unit_labels(frame, region)
    x, keep = numeric_block(frame, inds, missing=missing)
    z = normalise_array(x, pol, method, inds)
    return pd.DataFrame(z, index=labels[keep], columns=inds)
