"""Clusters at scale: rating 3,000 regions x 70 clusters, its stability, and deriving
clusters of 600 industries from 3,000 regions.

Run: .venv/bin/python benchmarks/bench_clusters.py [--regions 3000 --clusters 70
--industries 600 --draws 50] [--no-write]. Times are the best of --repeat calls in this
process; the load average is recorded because the machine may be shared.
Results replace the marked section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench_clusters:start -->", "<!-- bench_clusters:end -->"


def best(func, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def main() -> None:
    from agglomera.clusters import derive_clusters, rate, rating_stability

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=int, default=3000)
    ap.add_argument("--clusters", type=int, default=70)
    ap.add_argument("--industries", type=int, default=600)
    ap.add_argument("--draws", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = args.regions * args.clusters
    table = pd.DataFrame({
        "region": np.repeat(np.arange(args.regions).astype(str), args.clusters),
        "cluster": np.tile(np.arange(args.clusters).astype(str), args.regions),
        "employment": rng.gamma(0.5, 2000, n).round(),
        "establishments": rng.gamma(0.5, 40, n).round(),
        "traded": np.tile(np.arange(args.clusters) < int(args.clusters * 0.75),
                          args.regions)})
    load0 = os.getloadavg()
    rows = []
    b, m = best(lambda: rate(table, establishments="establishments", traded="traded"),
                args.repeat)
    rows.append((f"rate us-cmp ({n:,} rows)", b, m))
    b, m = best(lambda: rate(table, preset="eu-stars"), args.repeat)
    rows.append((f"rate eu-stars ({n:,} rows)", b, m))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b, m = best(lambda: rating_stability(
            table, establishments="establishments", traded="traded", draws=args.draws,
            seed=1), 1)
    rows.append((f"rating_stability us-cmp (81 grid points + {args.draws} Poisson draws)",
                 b, m))
    x = pd.DataFrame(rng.gamma(1.0, 100, size=(args.regions, args.industries)) + 1,
                     columns=[f"i{j}" for j in range(args.industries)])
    b, m = best(lambda: derive_clusters(x, k=40), args.repeat)
    rows.append(((f"derive_clusters hierarchical ({args.regions:,} x {args.industries} "
                 "-> 40)"), b, m))
    b, m = best(lambda: derive_clusters(x, k=40, method="kmeans", seed=1), args.repeat)
    rows.append((f"derive_clusters k-means ({args.regions:,} x {args.industries} -> 40)",
                 b, m))
    load1 = os.getloadavg()
    for name, b, m in rows:
        print(f"{name:70s} best {b:7.2f}s median {m:7.2f}s", flush=True)
    from _machine import describe

    lines = [
        START,
        "## Clusters (benchmarks/bench_clusters.py)",
        "",
        (f"Measured {time.strftime('%Y-%m-%d')} on {describe('numpy', 'pandas', 'scipy')}. "
        f"Load average before/after: {load0[0]:.1f} / {load1[0]:.1f} (1 min): the machine "
        "was shared with other work, so these times are upper bounds. Best and median of "
        f"{args.repeat} calls (stability: one call). Synthetic gamma-distributed "
        "employment and establishments, 75% of clusters traded."),
        "",
        "| call | best (s) | median (s) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {b:.2f} | {m:.2f} |" for name, b, m in rows]
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        from _machine import write_section

        print(f"updated {write_section('bench_clusters', section)}")


if __name__ == "__main__":
    main()
