"""The validation report: every problem an import found, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "rule", "message"]


@dataclass
class ValidationReport:
    """Problems found while importing, one row each.

    Columns: ``file``, ``sheet``, ``row`` (1-based as a spreadsheet shows it; for a CSV the
    line of the record), ``column`` (the header as written, with its canonical meaning),
    ``value`` (as written), ``rule`` (a short name, e.g. ``unknown_region``) and
    ``message`` (what was expected and, where known, how to fix it).
    """

    problems: list[dict[str, object]] = field(default_factory=list)
    frames: list[pd.DataFrame] = field(default_factory=list)

    def add(self, *, file: str, rule: str, message: str, sheet: str | None = None,
            row: int | None = None, column: str | None = None,
            value: object = None) -> None:
        self.problems.append(dict(file=file, sheet=sheet, row=row, column=column,
                                  value=None if value is None else str(value), rule=rule,
                                  message=message))

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Add many problems at once (a frame with PROBLEM_COLUMNS)."""
        if len(frame):
            self.frames.append(frame[PROBLEM_COLUMNS])

    def to_frame(self) -> pd.DataFrame:
        parts = [pd.DataFrame(self.problems, columns=PROBLEM_COLUMNS), *self.frames]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        frame = pd.concat(parts, ignore_index=True)
        frame["row"] = pd.to_numeric(frame["row"], errors="coerce").astype("Int64")
        return frame.sort_values(["file", "sheet", "row", "column"], na_position="first",
                                 kind="stable").reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.problems) + sum(len(f) for f in self.frames)

    def __bool__(self) -> bool:
        return len(self) > 0

    def rules(self) -> dict[str, int]:
        frame = self.to_frame()
        return frame["rule"].value_counts().to_dict() if len(frame) else {}

    def summary(self, limit: int = 20) -> str:
        frame = self.to_frame()
        n = len(frame)
        if not n:
            return "no problems"
        lines = [f"{n} problem{'s' if n != 1 else ''} found "
                 f"({', '.join(f'{k}: {v}' for k, v in self.rules().items())}):"]
        for r in frame.head(limit).itertuples(index=False):
            where = [str(r.file)]
            if isinstance(r.sheet, str) and r.sheet:
                where.append(f"sheet '{r.sheet}'")
            if not pd.isna(r.row):
                where.append(f"row {int(r.row)}")
            if isinstance(r.column, str) and r.column:
                where.append(f"column {r.column}")
            val = "" if r.value is None or (isinstance(r.value, float) and pd.isna(r.value)) \
                else f" value '{r.value}':"
            lines.append(f"  {', '.join(where)}:{val} {r.message} [{r.rule}]")
        if n > limit:
            lines.append(f"  ... and {n - limit} more (write them all with --report FILE)")
        return "\n".join(lines)

    def write_csv(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.to_frame().to_csv(path, index=False, encoding="utf-8-sig")
        return path
