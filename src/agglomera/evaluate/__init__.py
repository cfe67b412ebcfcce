"""Evaluation of clusters and development zones: composite indices, efficiency (DEA,
Malmquist, TFP), benchmarking, scorecards and plan targets (issue 7).

Pure functions on DataFrames; nothing here reads files, settings or databases.
"""

from agglomera.evaluate import weights
from agglomera.evaluate._normalise import NORMALISATIONS, normalise
from agglomera.evaluate.benchmark import (
    GapResult,
    benchmark_gap,
    five_accounts_template,
    structural_peers,
)
from agglomera.evaluate.composite import (
    AGGREGATIONS,
    WEIGHTINGS,
    CompositeResult,
    composite_index,
)
from agglomera.evaluate.dea import DEAResult, dea
from agglomera.evaluate.malmquist import MalmquistResult, malmquist
from agglomera.evaluate.scorecard import Scorecard, scorecard
from agglomera.evaluate.targets import Plan, TargetCheck, check_targets, load_targets
from agglomera.evaluate.tfp import TFPResult, perpetual_inventory, tfp
from agglomera.evaluate.weights import (
    AHPResult,
    ahp_weights,
    critic_weights,
    entropy_weights,
    pca_weights,
)

__all__ = [
    "AGGREGATIONS",
    "NORMALISATIONS",
    "WEIGHTINGS",
    "AHPResult",
    "CompositeResult",
    "DEAResult",
    "GapResult",
    "MalmquistResult",
    "Plan",
    "Scorecard",
    "TFPResult",
    "TargetCheck",
    "ahp_weights",
    "benchmark_gap",
    "check_targets",
    "composite_index",
    "critic_weights",
    "dea",
    "entropy_weights",
    "five_accounts_template",
    "load_targets",
    "malmquist",
    "normalise",
    "pca_weights",
    "perpetual_inventory",
    "scorecard",
    "structural_peers",
    "tfp",
    "weights",
]
