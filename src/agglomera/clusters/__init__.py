"""Clusters: definitions (groups of industries), identification and rating, stability.

Public API: :func:`load_definitions`, :func:`derive_clusters`, :func:`rate`,
:func:`rating_stability`, :func:`output_tiers`. Methods and references are in the
docstrings; user documentation in docs/clusters.md.
"""

from agglomera.clusters.definitions import (
    PRESET_FILES,
    ClusterDefinitions,
    load_definitions,
)
from agglomera.clusters.derive import (
    DerivedClusters,
    ValidationScores,
    derive_clusters,
    relatedness,
    validation_scores,
)
from agglomera.clusters.rating import (
    LEVELS,
    PRESETS,
    OutputTiersResult,
    RatingResult,
    output_tiers,
    rate,
)
from agglomera.clusters.stability import StabilityResult, rating_stability

__all__ = [
    "LEVELS",
    "PRESETS",
    "PRESET_FILES",
    "ClusterDefinitions",
    "DerivedClusters",
    "OutputTiersResult",
    "RatingResult",
    "StabilityResult",
    "ValidationScores",
    "derive_clusters",
    "load_definitions",
    "output_tiers",
    "rate",
    "rating_stability",
    "relatedness",
    "validation_scores",
]
