"""agglomera: statistical analysis and performance evaluation of industrial clusters.

The data flow is ingest -> store -> measures -> clusters / evaluate / programmes ->
report, web, CLI. This release provides the foundation: yearbook-grade ingestion into a
schema-versioned DuckDB store, with the China Statistical Yearbook extracts bundled.
"""

from __future__ import annotations

from agglomera.errors import (
    AgglomeraError,
    BackendError,
    DuplicateKeyWarning,
    ImportValidationError,
    MissingDependencyError,
    MissingValueWarning,
    SchemaError,
)
from agglomera.ingest import ImportResult, import_files
from agglomera.store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "AgglomeraError",
    "BackendError",
    "DuplicateKeyWarning",
    "ImportResult",
    "ImportValidationError",
    "MissingDependencyError",
    "MissingValueWarning",
    "SchemaError",
    "Store",
    "__version__",
    "import_files",
    "open_store",
]
