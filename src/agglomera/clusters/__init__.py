"""Clusters: definitions (groups of industries), identification and rating, stability.

Public API: :func:`load_definitions`, :func:`derive_clusters`, :func:`rate`,
:func:`rating_stability`, :func:`output_tiers`. Methods and references are in the
docstrings; user documentation in docs/clusters.md.
"""

from agglomera.clusters.rating import (
    LEVELS,
    PRESETS,
    OutputTiersResult,
    RatingResult,
    output_tiers,
    rate,
)

__all__ = [
    "LEVELS",
    "PRESETS",
    "OutputTiersResult",
    "RatingResult",
    "output_tiers",
    "rate",
]
