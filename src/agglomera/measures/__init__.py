"""Measures: pure functions on region x industry arrays and frames, and on enterprise records.

Every function takes the data first and positionally, every option keyword-only, never
mutates its input, and documents its formula and reference (numpydoc, Notes and
References). Conventions shared by all measures are in docs/conventions.md.
"""

from agglomera.measures._input import RegionIndustry, as_region_industry
from agglomera.measures._registry import REGISTRY

__all__ = ["REGISTRY", "RegionIndustry", "as_region_industry"]
