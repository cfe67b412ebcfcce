"""Load on the web API: N concurrent clients on loopback against a real uvicorn server.

The server is ``agglomera serve`` in its own process, on the demo database (built from
the bundled yearbook tables into benchmarks/_work/). The clients are an asyncio httpx
script in another process: ``--concurrency`` tasks, each sending the next request of a
fixed mix of read endpoints as soon as the previous answer arrived, for ``--duration``
seconds after a warm-up. Throughput = answered requests / measured seconds; latencies are
per request (client-side, includes the loopback round trip).

Run: .venv/bin/python benchmarks/bench_web.py [--concurrency 50 --duration 15]
[--modes read-only,owner] [--write]. ``--write`` replaces the bench_web section of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"

#: the read mix: (label, path)
MIX = [
    ("regions page", "/api/v1/regions?limit=50"),
    ("region detail", "/api/v1/regions/210000"),
    ("observations filter", "/api/v1/observations?region=210000&metric=gdp"),
    ("map values", "/api/v1/observations?metric=gdp&year=2007&region_level=province"
                   "&limit=100"),
    ("metrics", "/api/v1/metrics?region_level=province"),
    ("compare 2 regions", "/api/v1/compare?region=210000&region=320000&metric=gdp"),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


async def _client(base: str, concurrency: int, duration: float, warmup: float) -> dict:
    import httpx

    lat: dict[str, list[float]] = {label: [] for label, _ in MIX}
    errors = 0
    answered = 0  # every answer, warm-up included (for the server's CPU per request)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + duration

        async def worker(i: int) -> None:
            nonlocal errors, answered
            k = i
            while True:
                label, path = MIX[k % len(MIX)]
                k += 1
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                try:
                    r = await client.get(path)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                t1 = time.perf_counter()
                answered += 1
                if t0 >= measure_from and t1 <= stop:
                    if ok:
                        lat[label].append(t1 - t0)
                    else:
                        errors += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    every = [x for v in lat.values() for x in v]
    return {
        "requests": len(every), "errors": errors, "answered": answered, "seconds": duration,
        "throughput": len(every) / duration,
        "p50_ms": percentile(every, 50) * 1e3, "p99_ms": percentile(every, 99) * 1e3,
        "by_endpoint": {k: {"n": len(v), "p50_ms": percentile(v, 50) * 1e3,
                            "p99_ms": percentile(v, 99) * 1e3}
                        for k, v in lat.items() if v},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_mode(db: Path, mode: str, args) -> dict:
    import httpx

    port = free_port()
    cmd = [sys.executable, "-c", "from agglomera.cli.main import main; main()", "serve",
           "--db", str(db), "--port", str(port), "--log-level", "warning"]
    if mode == "read-only":
        cmd.append("--read-only")
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {server.stderr.read().decode()}")
            time.sleep(0.2)
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(server.pid)
        out = subprocess.run(
            [sys.executable, __file__, "--client", base, "--concurrency",
             str(args.concurrency), "--duration", str(args.duration), "--warmup",
             str(args.warmup)], capture_output=True, text=True, check=True)
        res = json.loads(out.stdout)
        res["server_cpu_ms_per_request"] = ((cpu_seconds(server.pid) - cpu_before)
                                            / max(res["answered"], 1) * 1e3)
        res["loadavg_before"] = load_before
        res["loadavg_after"] = os.getloadavg()
        res["mode"] = mode
        return res
    finally:
        server.terminate()
        server.wait(timeout=30)


def section(results: list[dict], args) -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _machine import describe

    lines = [
        "<!-- bench_web:start -->",
        "## Web API under load (benchmarks/bench_web.py)",
        "",
        f"{args.concurrency} concurrent clients (asyncio httpx, separate process) on "
        f"loopback against `agglomera serve` (uvicorn, one worker process) on the demo "
        f"database; a mix of {len(MIX)} read endpoints; {args.warmup:g} s warm-up, then "
        f"{args.duration:g} s measured. Latency is client-side per request.",
        "",
        f"Machine: {describe('duckdb', 'fastapi', 'uvicorn', 'httpx')}.",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_web.py --concurrency "
        f"{args.concurrency} --duration {args.duration:g} --write`",
        "",
        "| server mode | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) | "
        "server CPU per request (ms) | load avg before / after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lb = "/".join(f"{x:.1f}" for x in r["loadavg_before"])
        la = "/".join(f"{x:.1f}" for x in r["loadavg_after"])
        lines.append(f"| {r['mode']} | {r['requests']:,} | {r['errors']} | "
                     f"{r['throughput']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{r['server_cpu_ms_per_request']:.1f} | {lb} → {la} |")
    lines += ["", "Per endpoint (first mode): ", "",
              "| endpoint | requests | p50 (ms) | p99 (ms) |", "|---|---:|---:|---:|"]
    for k, v in results[0]["by_endpoint"].items():
        path = dict(MIX)[k]
        lines.append(f"| {k} (`{path}`) | {v['n']:,} | {v['p50_ms']:.1f} | "
                     f"{v['p99_ms']:.1f} |")
    lines += ["", "Server and clients share the machine's CPUs; with other work running "
              "(load average above) throughput and latency are lower bounds. The server's "
              "CPU time per answered request (from /proc, warm-up included) depends far "
              "less on that load: one worker saturating one CPU would serve about "
              "1000 / (CPU ms per request) requests per second.",
              "<!-- bench_web:end -->"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--modes", default="read-only,owner")
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if args.client:
        print(json.dumps(asyncio.run(_client(args.client, args.concurrency, args.duration,
                                             args.warmup))))
        return
    from agglomera.demo import build_demo_db

    WORK.mkdir(parents=True, exist_ok=True)
    db = build_demo_db(WORK / "web.duckdb")
    from agglomera.store import open_store

    with open_store(db) as store:  # migrate before a read-only server opens it
        store.migrate()
    results = [run_mode(db, m, args) for m in args.modes.split(",")]
    for r in results:
        print(f"{r['mode']}: {r['requests']} requests, {r['errors']} errors, "
              f"{r['throughput']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, "
              f"p99 {r['p99_ms']:.1f} ms, server CPU "
              f"{r['server_cpu_ms_per_request']:.1f} ms/request, load {r['loadavg_before']} -> "
              f"{r['loadavg_after']}")
    text = section(results, args)
    print(text)
    if args.write:
        md = ROOT / "BENCHMARKS.md"
        body = md.read_text(encoding="utf-8")
        start, end = "<!-- bench_web:start -->", "<!-- bench_web:end -->"
        if start in body:
            a, b = body.index(start), body.index(end) + len(end)
            body = body[:a] + text + body[b:]
        else:
            body = body.rstrip("\n") + "\n\n" + text + "\n"
        md.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()
