"""Tags of the public measures, used by the shared contract tests (tests/measures/test_common.py).

A measure is registered with the properties it promises, for example::

    @register(SCALE_INVARIANT, PERMUTATION_EQUIVARIANT, kind="cells")
    def location_quotient(data, /, *, ...): ...

``kind`` says what one call returns for a cross-section: ``"cells"`` (region x industry,
shape kept), ``"region"`` (one value per region), ``"industry"`` (one per industry),
``"scalar"`` (one number) or ``"result"`` (a result dataclass with ``to_frame()``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SCALE_INVARIANT = "scale_invariant"  # multiplying every value by c > 0 changes nothing
PERMUTATION_EQUIVARIANT = "permutation_equivariant"  # relabelling permutes the output
BOUNDED_0_1 = "bounded_0_1"  # results lie in [0, 1]
NONNEGATIVE = "nonnegative"


@dataclass
class MeasureInfo:
    func: Callable
    tags: frozenset[str]
    kind: str
    extra: dict = field(default_factory=dict)


REGISTRY: dict[str, MeasureInfo] = {}


def register(*tags: str, kind: str, **extra):
    def deco(func: Callable) -> Callable:
        REGISTRY[func.__name__] = MeasureInfo(func, frozenset(tags), kind, extra)
        return func

    return deco
