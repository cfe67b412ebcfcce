"""Exception and warning hierarchy.

Every error a user can cause is an :class:`AgglomeraError`; the CLI turns those into a
readable message and exit code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from agglomera.ingest.validate import ValidationReport


class AgglomeraError(Exception):
    """Base class of all errors raised on purpose by agglomera."""


class SchemaError(AgglomeraError, ValueError):
    """Input data do not have the expected shape, columns, codes or values."""


class MissingDependencyError(AgglomeraError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class BackendError(AgglomeraError):
    """A storage or compute backend failed; keeps the SQL and the table involved."""

    def __init__(self, message: str, *, sql: str | None = None, table: str | None = None):
        super().__init__(message)
        self.sql = sql
        self.table = table


class ImportValidationError(SchemaError):
    """An import found problems; ``report`` lists every one of them."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.summary())


class MissingValueWarning(UserWarning):
    """Values were missing and were kept as missing (never filled with zero)."""


class DuplicateKeyWarning(UserWarning):
    """Two or more records share the same key."""
