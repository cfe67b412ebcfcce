"""One conversion at the edge: region x industry data in any accepted shape -> arrays.

Every measure accepts

* a 2-D ``numpy.ndarray`` (regions in rows, industries in columns),
* a wide ``pandas.DataFrame`` (index = regions, columns = industries), or
* a long ``pandas.DataFrame`` whose columns the caller names with ``region=``,
  ``industry=``, ``value=`` and, for a panel, ``year=``.

:func:`as_region_industry` turns any of them into a :class:`RegionIndustry`: a float64
array of shape (years, regions, industries) with the labels, and remembers the shape it
was given so that a transform (e.g. a location quotient) can return the same shape.
Missing cells are never silently zero: ``missing`` chooses, and the default warns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from agglomera.errors import DuplicateKeyWarning, MissingValueWarning, SchemaError

Missing = Literal["warn", "zero", "raise", "propagate"]
MISSING_CHOICES = ("warn", "zero", "raise", "propagate")


@dataclass(frozen=True)
class RegionIndustry:
    """Labelled region x industry values, for one year or a panel.

    ``values`` has shape (T, R, I); ``years`` is None for a single cross-section
    (then T == 1). ``shape`` is how the data came in: "array", "wide" or "long".
    """

    values: np.ndarray
    regions: pd.Index
    industries: pd.Index
    years: pd.Index | None
    shape: str
    names: tuple[str, str, str, str | None]  # region, industry, value, year column names

    @property
    def is_panel(self) -> bool:
        return self.years is not None

    # ---- outputs -----------------------------------------------------------------
    def cells(self, out: np.ndarray, name: str):
        """A cell-level result (T, R, I) in the shape the data came in."""
        region, industry, _, year = self.names
        if self.shape == "array":
            return out[0] if not self.is_panel else out
        if self.shape == "wide":
            return pd.DataFrame(out[0], index=self.regions, columns=self.industries)
        frames = []
        for t in range(out.shape[0]):
            f = pd.DataFrame(out[t], index=self.regions, columns=self.industries)
            f = f.stack(future_stack=True).rename(name).reset_index()
            f.columns = [region, industry, name]
            if self.is_panel:
                f.insert(0, year, self.years[t])
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def per_region(self, out: np.ndarray, name: str) -> pd.Series:
        """A region-level result (T, R) as a Series (index region, or (year, region))."""
        return self._series(out, self.regions, name)

    def per_industry(self, out: np.ndarray, name: str) -> pd.Series:
        """An industry-level result (T, I) as a Series (index industry, or (year, industry))."""
        return self._series(out, self.industries, name)

    def per_year(self, out: np.ndarray, name: str) -> pd.Series | float:
        """One number per year (T,): a float for a cross-section, else a Series by year."""
        if not self.is_panel:
            return float(out[0])
        return pd.Series(out, index=self.years, name=name)

    def _series(self, out: np.ndarray, labels: pd.Index, name: str) -> pd.Series:
        if not self.is_panel:
            return pd.Series(out[0], index=labels, name=name)
        idx = pd.MultiIndex.from_product([self.years, labels],
                                         names=[self.names[3], labels.name])
        return pd.Series(np.asarray(out).reshape(-1), index=idx, name=name)

    def region_position(self, label: object) -> int:
        """Position of a region label; a clear error when it is not there."""
        try:
            return int(self.regions.get_loc(label))
        except KeyError:
            sample = ", ".join(map(str, self.regions[:8]))
            raise SchemaError(f"region {label!r} is not in the data; regions include "
                              f"{sample}{'...' if len(self.regions) > 8 else ''}") from None


def check_choice(name: str, got: object, choices: tuple) -> None:
    """Raise SchemaError unless ``got`` is one of ``choices`` (message names both)."""
    if got not in choices:
        raise SchemaError(f"`{name}` must be one of {', '.join(map(repr, choices))}; "
                          f"got {got!r}")


def _fill_missing(values: np.ndarray, missing: str, what: str) -> np.ndarray:
    if missing not in MISSING_CHOICES:
        raise SchemaError(f"`missing` must be one of {', '.join(map(repr, MISSING_CHOICES))}; "
                          f"got {missing!r}")
    n = int(np.isnan(values).sum())
    if n == 0 or missing == "propagate":
        return values
    if missing == "raise":
        raise SchemaError(f"{what} has {n} missing cell(s); pass missing='zero' to count them "
                          "as zero, or missing='propagate' to keep them missing")
    if missing == "warn":
        warnings.warn(f"{what} has {n} missing cell(s), counted as zero; pass missing='zero' "
                      "to accept this silently, 'propagate' to keep them missing or 'raise'",
                      MissingValueWarning, stacklevel=4)
    return np.where(np.isnan(values), 0.0, values)


def as_region_industry(
    data: object,
    *,
    region: str | None = None,
    industry: str | None = None,
    value: str | None = None,
    year: str | None = None,
    missing: str = "warn",
    allow_negative: bool = False,
    what: str = "data",
) -> RegionIndustry:
    """Convert a matrix, a wide frame or a long frame into a :class:`RegionIndustry`.

    Raises :class:`SchemaError` for infinite values, negative values (unless
    ``allow_negative``), duplicate keys in a long frame and unknown column names.
    """
    if isinstance(data, pd.DataFrame) and (region or industry or value):
        missing_cols = [c for c in (region, industry, value, year) if c is not None
                        and c not in data.columns]
        if missing_cols or not (region and industry and value):
            raise SchemaError(
                "a long frame needs region=, industry= and value= naming its columns; "
                f"columns {missing_cols or '(not named)'} not found among "
                f"{', '.join(map(str, data.columns))}")
        keys = [c for c in (year, region, industry) if c is not None]
        dup = data.duplicated(keys, keep=False)
        if dup.any():
            first = data.loc[dup, keys].iloc[0].to_dict()
            warnings.warn(f"{int(dup.sum())} rows share a key with another row (e.g. {first})",
                          DuplicateKeyWarning, stacklevel=3)
            raise SchemaError(f"{int(dup.sum())} rows of {what} share the same "
                              f"{'/'.join(keys)} (e.g. {first}); aggregate them first")
        vals = pd.to_numeric(data[value], errors="coerce")
        bad = vals.isna() & data[value].notna()
        if bad.any():
            raise SchemaError(f"column {value!r} has {int(bad.sum())} non-numeric value(s), "
                              f"e.g. {data.loc[bad, value].iloc[0]!r}")
        regions = pd.Index(pd.unique(data[region]), name=region)
        industries = pd.Index(pd.unique(data[industry]), name=industry)
        years = pd.Index(sorted(pd.unique(data[year])), name=year) if year else None
        ri = regions.get_indexer(data[region])
        ii = industries.get_indexer(data[industry])
        ti = years.get_indexer(data[year]) if year else np.zeros(len(data), dtype=int)
        arr = np.full((len(years) if year else 1, len(regions), len(industries)), np.nan)
        arr[ti, ri, ii] = vals.to_numpy(dtype=float)
        shape = "long"
        names = (region, industry, value, year)
    elif isinstance(data, pd.DataFrame):
        if year is not None:
            raise SchemaError("year= applies to long frames only; a wide frame is one year")
        try:
            arr = data.to_numpy(dtype=float)[None, :, :]
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"{what}: every cell of a wide frame must be numeric ({exc})"
                              ) from None
        regions = pd.Index(data.index, name=data.index.name or "region")
        industries = pd.Index(data.columns, name=data.columns.name or "industry")
        years = None
        shape = "wide"
        names = (regions.name, industries.name, "value", None)
    else:
        arr = np.asarray(data, dtype=float)
        if arr.ndim == 2:
            arr = arr[None, :, :]
            years = None
        elif arr.ndim == 3:
            years = pd.RangeIndex(arr.shape[0], name="year")
        else:
            raise SchemaError(f"{what} must be a 2-D region x industry matrix (or 3-D "
                              f"years x regions x industries); got {arr.ndim} dimension(s)")
        regions = pd.RangeIndex(arr.shape[1], name="region")
        industries = pd.RangeIndex(arr.shape[2], name="industry")
        shape = "array"
        names = ("region", "industry", "value", "year" if years is not None else None)
    if arr.size == 0:
        raise SchemaError(f"{what} is empty")
    if np.isinf(arr).any():
        raise SchemaError(f"{what} contains infinite values")
    if not allow_negative and (arr < 0).any():
        raise SchemaError(f"{what} contains negative values ({int((arr < 0).sum())} cells); "
                          "these measures need non-negative quantities such as employment")
    arr = _fill_missing(arr, missing, what)
    return RegionIndustry(arr, regions, industries, years, shape, names)
