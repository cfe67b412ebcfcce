"""Measures: pure functions on region x industry arrays and frames, and on enterprise records.

Every function takes the data first and positionally, every option keyword-only, never
mutates its input, and documents its formula and reference (numpydoc, Notes and
References). Conventions shared by all measures are in docs/conventions.md.
"""

from agglomera.measures._input import RegionIndustry, as_region_industry
from agglomera.measures._registry import REGISTRY
from agglomera.measures.agglomeration import (
    CoagglomerationResult,
    ColocationResult,
    EllisonGlaeserResult,
    LitzenbergerSternbergResult,
    MaurelSedillotResult,
    coagglomeration,
    colocation,
    ellison_glaeser,
    litzenberger_sternberg,
    maurel_sedillot,
)
from agglomera.measures.concentration import (
    LocationalGiniResult,
    LorenzCurveResult,
    TheilResult,
    atkinson,
    coefficient_of_variation,
    gini,
    hoover_concentration,
    locational_gini,
    lorenz_curve,
    theil,
    williamson,
)
from agglomera.measures.growth import (
    ConvergenceResult,
    ShiftShareResult,
    convergence,
    growth_rates,
    lq_growth_quadrants,
    shift_share,
    specialisation_changes,
)
from agglomera.measures.similarity import (
    StructuralSimilarityResult,
    leading_industries_overlap,
    structural_similarity,
)
from agglomera.measures.specialisation import (
    LocationQuotientResult,
    RelatedUnrelatedVarietyResult,
    average_lq,
    entropy,
    hachman,
    herfindahl,
    hoover_specialisation,
    krugman_specialisation,
    location_quotient,
    rca,
    related_unrelated_variety,
    relative_diversity,
)

__all__ = [
    "REGISTRY",
    "CoagglomerationResult",
    "ColocationResult",
    "ConvergenceResult",
    "EllisonGlaeserResult",
    "LitzenbergerSternbergResult",
    "LocationQuotientResult",
    "LocationalGiniResult",
    "LorenzCurveResult",
    "MaurelSedillotResult",
    "RegionIndustry",
    "RelatedUnrelatedVarietyResult",
    "ShiftShareResult",
    "StructuralSimilarityResult",
    "TheilResult",
    "as_region_industry",
    "atkinson",
    "average_lq",
    "coagglomeration",
    "coefficient_of_variation",
    "colocation",
    "convergence",
    "ellison_glaeser",
    "entropy",
    "gini",
    "growth_rates",
    "hachman",
    "herfindahl",
    "hoover_concentration",
    "hoover_specialisation",
    "krugman_specialisation",
    "leading_industries_overlap",
    "litzenberger_sternberg",
    "location_quotient",
    "locational_gini",
    "lorenz_curve",
    "lq_growth_quadrants",
    "maurel_sedillot",
    "rca",
    "related_unrelated_variety",
    "relative_diversity",
    "shift_share",
    "specialisation_changes",
    "structural_similarity",
    "theil",
    "williamson",
]
