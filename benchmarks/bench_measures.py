"""Measures at scale: a 3,000 regions x 600 industries x 20 years panel (36 m cells)
through every region-level measure, and enterprise-record indices over 10 m plants.

Run: .venv/bin/python benchmarks/bench_measures.py [--regions 3000 --industries 600
--years 20 --plants 10000000] [--no-write]. Each measure runs in a fresh child process
(so peak memory is its own); the time is the best of --repeat runs inside that process.
Results replace the marked section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

PANEL_CALLS = {
    # name: (function, kwargs) applied to the (T, R, I) array
    "location_quotient": ("location_quotient", {}),
    "rca": ("rca", {}),
    "krugman_specialisation": ("krugman_specialisation", {}),
    "hoover_specialisation": ("hoover_specialisation", {}),
    "herfindahl": ("herfindahl", {}),
    "entropy": ("entropy", {}),
    "hachman": ("hachman", {}),
    "average_lq": ("average_lq", {}),
    "relative_diversity": ("relative_diversity", {}),
    "hoover_concentration": ("hoover_concentration", {}),
    "locational_gini": ("locational_gini", {}),
    "gini (per industry)": ("gini", {}),
    "theil (per industry)": ("theil", {}),
    "atkinson (per industry)": ("atkinson", {}),
    "coefficient_of_variation": ("coefficient_of_variation", {}),
    "related_unrelated_variety (60 groups)": ("related_unrelated_variety",
                                              {"groups": "tens"}),
    "shift_share (first vs last year)": ("shift_share", {}),
    "lq_growth_quadrants": ("lq_growth_quadrants", {}),
    "specialisation_changes": ("specialisation_changes", {}),
    "structural_similarity (3,000 x 3,000 per year)": ("structural_similarity", {}),
}
PLANT_CALLS = {
    "ellison_glaeser": ("ellison_glaeser", {}),
    "maurel_sedillot": ("maurel_sedillot", {}),
    "coagglomeration (600 x 600 pairs)": ("coagglomeration", {}),
}


def child(kind: str, name: str, args) -> dict:
    import agglomera.measures as m

    func_name, kwargs = (PANEL_CALLS if kind == "panel" else PLANT_CALLS)[name]
    func = getattr(m, func_name)
    rng = np.random.default_rng(0)
    if kind == "panel":
        data = rng.gamma(1.0, 100.0, (args.years, args.regions, args.industries))
        if kwargs.get("groups") == "tens":
            kwargs = dict(kwargs, groups={k: k // 10 for k in range(args.industries)})
        call = lambda: func(data, missing="zero", **kwargs)  # noqa: E731
    else:
        import pandas as pd

        n = args.plants
        data = pd.DataFrame({
            "region": pd.Categorical.from_codes(rng.integers(0, args.regions, n),
                                                [f"r{k}" for k in range(args.regions)]),
            "industry": pd.Categorical.from_codes(rng.integers(0, args.industries, n),
                                                  [f"i{k}" for k in range(args.industries)]),
            "employment": rng.gamma(1.0, 50.0, n),
        })
        call = lambda: func(data, **kwargs)  # noqa: E731
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.repeat):
            t = time.perf_counter()
            call()
            times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    input_mb = (data.nbytes if kind == "panel" else data.memory_usage(deep=True).sum()) / 2**20
    return {"name": name, "best": min(times), "median": float(np.median(times)),
            "peak_mb": peak / 1024, "input_mb": float(input_mb),
            "extra_mb": max(0.0, (peak - base_rss) / 1024)}


def machine() -> str:
    from _machine import describe

    return describe("numpy", "numba", "duckdb")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=int, default=3000)
    ap.add_argument("--industries", type=int, default=600)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--plants", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default=None, help="run only measures whose name contains this")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args)))
        return
    rows = []
    for kind, calls in (("panel", PANEL_CALLS), ("plants", PLANT_CALLS)):
        for name in calls:
            if args.only and args.only not in name:
                continue
            cmd = [sys.executable, __file__, "--child", kind, name, "--regions",
                   str(args.regions), "--industries", str(args.industries), "--years",
                   str(args.years), "--plants", str(args.plants), "--repeat", str(args.repeat)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                print(f"{name}: FAILED\n{res.stderr[-2000:]}", file=sys.stderr)
                continue
            r = json.loads(res.stdout.strip().splitlines()[-1])
            r["kind"] = kind
            rows.append(r)
            print(f"{kind:6s} {name:36s} best {r['best']:6.2f}s  median {r['median']:6.2f}s  "
                  f"peak {r['peak_mb']:7.0f} MiB (input {r['input_mb']:.0f} MiB)", flush=True)
    cells = args.regions * args.industries * args.years
    lines = [
        "<!-- bench_measures:start -->",
        "## Measures at scale (benchmarks/bench_measures.py)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.",
        "",
        f"Panel: {args.regions:,} regions x {args.industries:,} industries x {args.years} "
        f"years = {cells / 1e6:.0f} m cells (float64 array, gamma-distributed values); "
        f"plants: {args.plants:,} records over the same regions and industries (categorical "
        f"labels). Each measure runs in its own process, best and median of {args.repeat} "
        "calls; peak is the process's maximum resident memory, input included. Target: "
        "under 2 s each, a few copies of the panel at most.",
        "",
        "| input | measure | best (s) | median (s) | peak RSS (MiB) | input (MiB) | "
        "peak / input |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['kind']} | `{r['name']}` | {r['best']:.2f} | {r['median']:.2f} | "
                     f"{r['peak_mb']:.0f} | {r['input_mb']:.0f} | "
                     f"{r['peak_mb'] / max(r['input_mb'], 1):.1f} |")
    lines.append("<!-- bench_measures:end -->")
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        from _machine import write_section

        print(f"updated {write_section('bench_measures', section)}")


if __name__ == "__main__":
    main()
