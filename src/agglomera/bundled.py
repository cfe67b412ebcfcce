"""The sample dataset shipped with agglomera: China Statistical Yearbook extracts.

Tables were transcribed from archived pages of the National Bureau of Statistics' *China
Statistical Yearbook* (and a few official provincial yearbooks reproducing NBS national
comparison tables); ``agglomera/data/nbs/SOURCES.md`` lists every table, its source page,
its coverage (partial: wide tables were cut after the first provinces) and the checks run
on the transcription. The reference lists (GB/T 4754-2017, Northeast region codes,
programme criteria) are in ``agglomera/data/reference`` with ``SOURCES.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

NBS_TABLES = ["nbs_employment", "nbs_wages", "nbs_grp", "nbs_fdi_trade", "nbs_industry",
              "nbs_rnd"]


def nbs_files() -> list[Path]:
    """Paths of the bundled yearbook tables (gzip-compressed long CSVs)."""
    base = resources.files("agglomera.data.nbs")
    return [Path(str(base.joinpath(f"{name}.csv.gz"))) for name in NBS_TABLES]


def reference_file(name: str) -> Path:
    """Path of a bundled reference file (e.g. ``gbt4754_2017.csv``)."""
    return Path(str(resources.files("agglomera.data.reference").joinpath(name)))


def domain_figures() -> dict:
    """Plan targets and benchmark figures users compare against (see the YAML's header)."""
    import yaml

    return yaml.safe_load(reference_file("domain_figures.yaml").read_text(encoding="utf-8"))
