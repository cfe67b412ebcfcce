"""Evaluation at scale: DEA over 3,000 units x 20 years (60,000 linear programmes) and a
composite index with 10,000 Monte-Carlo draws.

Run: .venv/bin/python benchmarks/bench_evaluate.py [--units 3000 --years 20 --draws 10000]
[--no-write]. Results replace the marked section bench_evaluate of BENCHMARKS.md. The
machine is shared: the load average before and after each step is recorded with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def dea_panel(units: int, years: int, seed: int = 0) -> pd.DataFrame:
    """3 inputs, 2 outputs; Cobb-Douglas frontier, half-normal inefficiency, 2 % a year
    technical progress."""
    g = np.random.default_rng(seed)
    frames = []
    for t in range(years):
        X = g.uniform(1, 10, (units, 3))
        eff = np.exp(-np.abs(g.normal(0, 0.3, units)))
        base = (X ** np.array([0.3, 0.3, 0.2])).prod(axis=1) * 1.02 ** t * eff
        mix = g.uniform(0.3, 0.7, units)
        frames.append(pd.DataFrame({"region": [f"u{k:05d}" for k in range(units)],
                                    "year": 2000 + t, "x1": X[:, 0], "x2": X[:, 1],
                                    "x3": X[:, 2], "y1": base * mix,
                                    "y2": base * (1 - mix)}))
    return pd.concat(frames, ignore_index=True)


def timed(fn):
    before = load()
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t, before, load()


def main() -> None:
    from _machine import describe

    from agglomera.evaluate import composite_index, dea

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=10)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    rows = []
    kw = dict(inputs=["x1", "x2", "x3"], outputs=["y1", "y2"], region="region",
              year="year")

    panel = dea_panel(args.units, args.years)
    for model, orientation, engine, yrs in (("ccr", "input", "highs", args.years),
                                            ("bcc", "output", "highs", 1),
                                            ("sbm", "none", "highs", 1),
                                            ("ccr", "input", "linprog", 1)):
        sub = panel[panel.year < 2000 + yrs]
        res, sec, b, a = timed(lambda: dea(sub, model=model, orientation=orientation,
                                           engine=engine, **kw))
        n = len(sub)
        rows.append({"what": f"DEA {model.upper()} {orientation}, engine={engine}",
                     "size": f"{args.units:,} units x {yrs} year(s) = {n:,} programmes",
                     "seconds": sec, "detail": f"{res.lp_count:,} HiGHS solves "
                     f"({res.lp_count / n:.2f} per unit), {n / sec:,.0f} units/s, "
                     f"{int((res.scores > 1 - 1e-9).sum()):,} efficient",
                     "load": f"{b} -> {a}"})
        print(rows[-1], flush=True)

    g = np.random.default_rng(1)
    k = args.indicators
    cols = [f"i{j}" for j in range(k)]
    for units in (300, args.units):
        f = pd.DataFrame(g.lognormal(0, 1, (units, k)), columns=cols,
                         index=[f"r{j:05d}" for j in range(units)])
        pol = {c: ("lower" if j % 4 == 3 else "higher") for j, c in enumerate(cols)}
        res, sec, b, a = timed(lambda: composite_index(
            f, indicators=cols, polarity=pol, normalise=["minmax", "distance"],
            weights=["equal", "entropy", "critic"], aggregate=["linear", "topsis"],
            monte_carlo=args.draws, seed=0))
        width = (res.rank_interval.rank_high - res.rank_interval.rank_low).median()
        rows.append({"what": "composite index, Monte Carlo (2 normalisations x 3 weightings"
                             " x 2 aggregations, weights +-20 %)",
                     "size": f"{units:,} units x {k} indicators x {args.draws:,} draws",
                     "seconds": sec,
                     "detail": f"{units * args.draws / sec / 1e6:.1f} m unit-draws/s; median "
                               f"90 % rank-interval width {width:.0f}",
                     "load": f"{b} -> {a}"})
        print(rows[-1], flush=True)

    lines = [
        "<!-- bench_evaluate:start -->",
        "## Evaluation at scale (benchmarks/bench_evaluate.py)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on "
        f"{describe('numpy', 'scipy', 'pandas')}.",
        "",
        "DEA data: synthetic Cobb-Douglas frontier with 3 inputs and 2 outputs, half-normal "
        "inefficiency, a separate frontier per year. Each unit's programme is solved by "
        "exact column generation (only frontier units enter the programme; every other "
        "unit is priced with the duals); `engine=highs` keeps one HiGHS model per "
        "frontier and changes it unit by unit (warm start), `engine=linprog` calls "
        "`scipy.optimize.linprog` once per programme. Composite: log-normal indicators, "
        "fully vectorised draws, rank distribution kept as a units x ranks histogram.",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_evaluate.py --units {args.units} "
        f"--years {args.years} --draws {args.draws}`",
        "",
        "| task | size | wall time (s) | detail | load average before -> after |",
        "|---|---|---:|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['what']} | {r['size']} | {r['seconds']:.1f} | {r['detail']} | "
                     f"{r['load']} |")
    lines += ["", "The machine (2 CPUs) was shared with other jobs while this ran; the load "
              "averages show how much. Times are single runs, wall clock, so they are "
              "upper bounds for an idle machine.", "<!-- bench_evaluate:end -->"]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        from _machine import write_section

        print(f"updated {write_section('bench_evaluate', section)}")


if __name__ == "__main__":
    main()
