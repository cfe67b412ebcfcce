"""Ingestion: readers for CSV/TSV/Excel/Parquet, yearbook layouts, validation, loading."""

from agglomera.ingest.pipeline import FileOutcome, ImportResult, import_files
from agglomera.ingest.validate import ValidationReport

__all__ = ["FileOutcome", "ImportResult", "ValidationReport", "import_files"]
