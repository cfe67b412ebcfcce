"""DuckDB store: schema-versioned tables, stable views, parameterised queries."""

from agglomera.store.db import SCHEMA_VERSION, Store, open_store

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]
