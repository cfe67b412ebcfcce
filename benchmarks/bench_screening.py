"""Benchmark: screen N synthetic firms x 3 fiscal years against all programmes.

Usage: .venv/bin/python benchmarks/bench_screening.py [--firms 5000000] [--write]

Times (a) validation/normalisation of the firm-year rows, (b) building the per-firm
matrices and screening every programme, and reports peak RSS. With --write, the result
replaces the marked section of BENCHMARKS.md (read afresh just before writing; other
sections are left as they are).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.screening.engine import FirmData, screen
from agglomera.screening.fields import FIELDS
from agglomera.screening.records import normalise_records
from agglomera.screening.rules import load_rules

START, END = "<!-- bench_screening:start -->", "<!-- bench_screening:end -->"


def synthetic(n_firms: int, *, years=(2022, 2023, 2024), seed: int = 0) -> pd.DataFrame:
    """Plausible firm-years: every field of every rule set, about 2 % missing values."""
    rng = np.random.default_rng(seed)
    ny = len(years)
    n = n_firms * ny
    firm = np.repeat(np.arange(n_firms, dtype=np.int64), ny)
    year = np.tile(np.asarray(years, dtype=np.int64), n_firms)
    size = np.repeat(np.exp(rng.normal(17.0, 1.5, n_firms)), ny)  # yuan, median ~24 m
    growth = np.cumprod(1 + rng.normal(0.06, 0.1, n).reshape(n_firms, ny), axis=1).ravel()
    sales = size * growth
    cols: dict[str, np.ndarray] = {"firm_id": firm, "fiscal_year": year}
    cols["sales_revenue"] = sales
    cols["operating_revenue"] = sales * rng.uniform(1.0, 1.2, n)
    cols["total_revenue"] = cols["operating_revenue"] * rng.uniform(1.0, 1.05, n)
    cols["main_business_revenue"] = cols["operating_revenue"] * rng.uniform(0.5, 1.0, n)
    cols["hightech_product_service_revenue"] = cols["total_revenue"] * rng.uniform(0, 1, n)
    cols["rd_expense"] = sales * rng.uniform(0.0, 0.09, n)
    cols["domestic_rd_expense"] = cols["rd_expense"] * rng.uniform(0.3, 1.0, n)
    cols["total_assets"] = sales * rng.uniform(0.5, 2.0, n)
    cols["total_liabilities"] = cols["total_assets"] * rng.uniform(0.1, 0.95, n)
    cols["net_profit"] = sales * rng.normal(0.05, 0.05, n)
    cols["cost_expense_total"] = sales * rng.uniform(0.6, 1.0, n)
    cols["new_equity_financing"] = np.where(rng.random(n) < 0.05, size * rng.uniform(0, 2, n), 0.0)
    emp = np.maximum(5, (size / 4e5 * rng.uniform(0.5, 1.5, n))).round()
    cols["total_employees"] = emp
    cols["st_personnel"] = (emp * rng.uniform(0, 0.4, n)).round()
    cols["rd_staff"] = (cols["st_personnel"] * rng.uniform(0.5, 1, n)).round()
    for c in ("class_i_ip", "class_ii_ip", "class_i_ip_in_use_leading_product",
              "core_processes_with_information_system", "quality_conditions_met",
              "digital_level", "rd_institution_level"):
        cols[c] = rng.poisson(1.0, n).astype(float)
    cols["class_i_ip_self_developed"] = np.minimum(cols["class_i_ip"], rng.poisson(0.5, n))
    cols["class_i_ip_high_value"] = np.minimum(cols["class_i_ip"], rng.poisson(0.2, n))
    cols["years_in_niche_market"] = rng.integers(0, 20, n).astype(float)
    cols["national_niche_market_share"] = rng.uniform(0, 30, n)
    cols["niche_market_domestic_rank"] = rng.integers(0, 20, n).astype(float)
    for c in ("innovation_capability_score", "sme_sjtx_development_score"):
        cols[c] = rng.integers(40, 95, n).astype(float)
    cols["sjtx_local_feature_score"] = rng.integers(0, 16, n).astype(float)
    cols["sjtx_leading_product_field_points"] = rng.choice([0.0, 3.0, 5.0], n)
    for c in ("national_st_award_rank_last_3_years", "national_st_award_rank_last_5_years",
              "provincial_st_award_rank_last_3_years"):
        cols[c] = np.where(rng.random(n) < 0.02, rng.integers(1, 10, n), 0).astype(float)
    for name, f in FIELDS.items():
        if f.kind == "boolean":
            cols[name] = (rng.random(n) < 0.5).astype(float)
    reg = pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 9000, n_firms), "D")
    cols["registration_date"] = np.repeat(reg.strftime("%Y-%m-%d").to_numpy(), ny) \
        if n_firms <= 200_000 else np.repeat(reg.to_numpy(), ny)
    fields = ["电子信息", "新材料", "先进制造与自动化", "其他"]
    cols["core_technology_field"] = pd.Categorical.from_codes(rng.integers(0, 4, n), fields)
    lp = ["manufacturing_core_basics", "cyber_power_fields", "emerging_industries", "other"]
    cols["leading_product_field"] = pd.Categorical.from_codes(rng.integers(0, 4, n), lp)
    frame = pd.DataFrame(cols)
    for c in ("rd_expense", "total_employees", "innovation_capability_score"):
        frame.loc[rng.random(n) < 0.02, c] = np.nan
    return frame


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n_firms: int) -> dict:
    rules = load_rules()
    frame = synthetic(n_firms)
    rows, cols = frame.shape
    t0 = time.perf_counter()
    records = normalise_records(frame, source="synthetic")
    t1 = time.perf_counter()
    del frame
    data = FirmData.from_records(records, application_year=2025, window=3)
    del records
    t2 = time.perf_counter()
    counts = {}
    for p in rules.programmes:
        r = screen(data, p)
        counts[p.id] = int((r.eligible == 1).sum())
    t3 = time.perf_counter()
    return {"firms": n_firms, "rows": rows, "columns": cols, "programmes": len(rules.programmes),
                "validate": t1 - t0, "build": t2 - t1, "screen": t3 - t2, "total": t3 - t0,
                "peak": peak_rss_mib(), "eligible": counts}


def machine() -> str:
    from _machine import describe

    return describe("numpy", "pandas")


def section(res: dict) -> str:
    elig = ", ".join(f"{k} {v:,}" for k, v in res["eligible"].items())
    return f"""{START}
## Programme screening (benchmarks/bench_screening.py)

Measured {dt.date.today():%Y-%m-%d} on {machine()}.

Synthetic data: {res['firms']:,} firms x 3 fiscal years = {res['rows']:,} firm-year rows,
{res['columns']} columns (every field of every rule set, ~2 % missing in three fields),
application year 2025, all {res['programmes']} bundled programmes. One process, one run;
the frame is built in memory before timing starts (file reading is not included).

Command: `.venv/bin/python benchmarks/bench_screening.py --firms {res['firms']} --write`

| step | seconds |
|---|---:|
| validate and normalise firm-year rows (`normalise_records`) | {res['validate']:.1f} |
| build per-firm matrices (`FirmData.from_records`) | {res['build']:.1f} |
| screen all {res['programmes']} programmes (`screen`) | {res['screen']:.1f} |
| **total** | **{res['total']:.1f}** |

Peak RSS: {res['peak']:,.0f} MiB (includes the synthetic input frame).
Eligible firms (synthetic, for sanity only): {elig}.
{END}"""


def write_section(text: str, path: Path) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(current):
        new = pattern.sub(lambda m: text, current)
    else:
        new = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--firms", type=int, default=5_000_000)
    ap.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = ap.parse_args(argv)
    res = run(args.firms)
    text = section(res)
    print(text)
    if args.write:
        write_section(text, Path(__file__).resolve().parents[1] / "BENCHMARKS.md")


if __name__ == "__main__":
    sys.exit(main())
