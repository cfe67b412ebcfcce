"""Builders of hand-made firm-year records for the screening tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agglomera.screening.engine import LABELS, screen_all
from agglomera.screening.records import normalise_records
from agglomera.screening.rules import load_rules

APPLICATION_YEAR = 2025
YEARS = (2022, 2023, 2024)  # 2024 is the latest fiscal year (上年度)
RULES = load_rules()


def firm(firm_id: str = "F1", **fields) -> list[dict]:
    """Three fiscal years of one firm. A list value gives [2022, 2023, 2024]."""
    rows = []
    for i, y in enumerate(YEARS):
        row = {"firm_id": firm_id, "fiscal_year": y}
        for k, v in fields.items():
            row[k] = v[i] if isinstance(v, (list, tuple)) else v
        rows.append(row)
    return rows


def run(rows: list[dict] | pd.DataFrame, programme: str, *, date: dt.date | None = None,
        money_unit: str = "yuan"):
    """Screen rows; return the ProgrammeResult."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    records = normalise_records(frame, money_unit=money_unit)
    return screen_all(records, RULES, [programme], application_year=APPLICATION_YEAR,
                      application_date=date)[0]


def status(result, criterion: str, firm_id: str = "F1") -> str:
    i = list(result.firm_ids).index(firm_id)
    return LABELS[result.status[criterion][i]]


def verdict(result, firm_id: str = "F1") -> str:
    frame = result.to_frame().set_index("firm_id")
    return frame.loc[firm_id, "eligible"]
