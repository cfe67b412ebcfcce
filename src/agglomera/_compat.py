"""Helpers for optional dependencies."""

from __future__ import annotations

import importlib
from types import ModuleType

from agglomera.errors import MissingDependencyError


def import_optional(name: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``name`` or raise :class:`MissingDependencyError` naming the extra."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"{purpose} needs the optional package '{name}'; "
            f"install it with: pip install 'agglomera[{extra}]'"
        ) from exc
