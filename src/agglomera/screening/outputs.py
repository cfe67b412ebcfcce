"""Outputs of a screening: tables, candidate lists, summary counts, coloured Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from agglomera.errors import SchemaError
from agglomera.screening.engine import ProgrammeResult
from agglomera.screening.explain import explain
from agglomera.screening.rules import RuleSet

FILLS = {"pass": "C6EFCE", "fail": "FFC7CE", "unknown": "FFEB9C", "n/a": "EDEDED",
         "true": "C6EFCE", "false": "FFC7CE"}
EXCEL_MAX_ROWS = 1_048_575


def results_frame(results: list[ProgrammeResult]) -> pd.DataFrame:
    """One row per firm and programme; criterion columns of all programmes."""
    return pd.concat([r.to_frame() for r in results], ignore_index=True, sort=False)


def summary(results: list[ProgrammeResult], *, by: list[str] | None = None) -> pd.DataFrame:
    """Counts of eligible / unknown / not eligible firms per programme (and group).

    ``by`` names descriptive columns of the input: region_code, industry_code, cluster.
    """
    frame = results_frame(results)
    by = list(by or [])
    missing = [b for b in by if b not in frame.columns]
    if missing:
        raise SchemaError(f"cannot group by {', '.join(missing)}: the input has no such "
                          "column (give region_code, industry_code or cluster)")
    keys = ["programme", *by]
    counts = (frame.groupby(keys + ["eligible"], dropna=False).size()
              .unstack("eligible", fill_value=0))
    for col in ("true", "unknown", "false"):
        if col not in counts.columns:
            counts[col] = 0
    counts = counts[["true", "unknown", "false"]].rename(
        columns={"true": "eligible", "unknown": "unknown", "false": "not_eligible"})
    counts["firms"] = counts.sum(axis=1)
    return counts.reset_index()


def candidates(results: list[ProgrammeResult], *, by: list[str] | None = None,
               top: int = 20, include_eligible: bool = True) -> pd.DataFrame:
    """Nearest candidates per programme (and group): not-yet-eligible firms by distance.

    Firms already eligible come first when ``include_eligible``; then firms whose
    verdict is unknown, then firms that fail, closest first.
    """
    frame = results_frame(results)
    if not include_eligible:
        frame = frame[frame["eligible"] != "true"]
    keys = ["programme", *(by or [])]
    frame = frame.sort_values(["programme", "rank"])
    return frame.groupby(keys, dropna=False, sort=True).head(top).reset_index(drop=True)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """CSV (UTF-8 with BOM, opens in Excel), Parquet, or .xlsx without colours."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        raise SchemaError(f"{path}: output must end in .csv, .xlsx or .parquet")


def write_excel(results: list[ProgrammeResult], rules: RuleSet, path: Path, *,
                by: list[str] | None = None, explain_limit: int = 20_000) -> None:
    """Workbook: one sheet per programme (a column per criterion, coloured pass / fail /
    unknown), explanations (en/zh) for up to ``explain_limit`` firms per programme, the
    criteria with their sources and verification flags, and summary counts."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    total = max(len(r.firm_ids) for r in results)
    if total > EXCEL_MAX_ROWS:
        raise SchemaError(f"{path}: {total:,} firms do not fit in an Excel sheet "
                          f"({EXCEL_MAX_ROWS:,} rows); write .csv or .parquet instead")
    fills = {k: PatternFill("solid", start_color=v, end_color=v) for k, v in FILLS.items()}
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for r in results:
            frame = r.to_frame().sort_values("rank")
            name = r.programme.id[:31]
            frame.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            crit_cols = {c: i + 1 for i, c in enumerate(frame.columns)
                         if c in set(r.criterion_ids()) or c == "eligible"}
            for col, j in crit_cols.items():
                letter = get_column_letter(j)
                for k, v in enumerate(frame[col].to_numpy(), start=2):
                    fill = fills.get(v)
                    if fill is not None:
                        ws[f"{letter}{k}"].fill = fill
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "B2"
        parts = []
        for r in results:
            ranked = r.to_frame().sort_values("rank")["firm_id"].head(explain_limit)
            parts.append(explain(r, firms=list(ranked)))
        ex = pd.concat(parts, ignore_index=True)
        ex.to_excel(xw, sheet_name="explanations", index=False)
        ws = xw.sheets["explanations"]
        for k, v in enumerate(ex["status"].to_numpy(), start=2):
            fill = fills.get(v)
            if fill is not None:
                ws[f"D{k}"].fill = fill
        criteria_sheet(results, rules).to_excel(xw, sheet_name="criteria", index=False)
        summary(results, by=by).to_excel(xw, sheet_name="summary", index=False)


def criteria_sheet(results: list[ProgrammeResult], rules: RuleSet) -> pd.DataFrame:
    """Criteria with document, article, verification status and provisional flag."""
    rows = []
    for r in results:
        p = r.programme
        for c in p.leaves():
            doc = rules.documents.get(c.source.document) if c.source else None
            rows.append({
                "programme": p.id, "criterion": c.id, "description_zh": c.description_zh,
                "description_en": c.description_en, "metric": c.metric or c.op,
                "operator": c.op, "threshold": r.threshold.get(c.id, ""),
                "unit": c.unit or "",
                "document": (f"{doc.title_zh} {doc.doc_no}".strip() if doc else
                             (c.source.document if c.source else "")),
                "article": c.source.article if c.source else "",
                "status": c.status, "provisional": p.provisional,
                "machine": "assessed input" if c.assessed else "computed from data",
                "notes": c.notes})
    return pd.DataFrame(rows)
