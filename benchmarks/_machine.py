"""One description of the machine for every benchmark's BENCHMARKS.md section."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(*packages: str) -> str:
    """'AMD EPYC, 2 CPUs, 24 GB RAM (Linux ...); Python 3.11.7, numpy 2.4.6, ...'."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in packages)
    return (f"{cpu_model()}, {os.cpu_count()} CPUs, {mem:.0f} GB RAM ({platform.system()} "
            f"{platform.release()}); Python {platform.python_version()}"
            + (f", {versions}" if versions else ""))


def write_section(name: str, section: str, path: Path | None = None) -> Path:
    """Replace the ``<!-- name:start -->...<!-- name:end -->`` section of BENCHMARKS.md
    with ``section`` (which carries both markers), or append it when absent."""
    path = path or Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8")
    if start in text:
        a, z = text.index(start), text.index(end) + len(end)
        text = text[:a] + section + text[z:]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    return path
