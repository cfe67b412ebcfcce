"""Evaluation of clusters and development zones: composite indices, efficiency, plan targets."""

from agglomera.evaluate.targets import Plan, TargetCheck, check_targets, load_targets  # noqa: F401
