"""Canonical columns, code lists, units, missing markers and header aliases.

All lists are plain data files in ``schema/data`` (and the bundled references in
``agglomera/data/reference``) so that users can read and extend them.
"""

from agglomera.schema.catalog import (
    Catalog,
    HeaderAliases,
    IndustryMatch,
    RegionMatch,
    UnitInfo,
    load_catalog,
    normalise_label,
)

__all__ = [
    "Catalog",
    "HeaderAliases",
    "IndustryMatch",
    "RegionMatch",
    "UnitInfo",
    "load_catalog",
    "normalise_label",
]
