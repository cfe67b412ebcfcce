"""The bundled sample data and reference lists."""

from __future__ import annotations

import csv
import io

from agglomera.bundled import domain_figures, nbs_files, reference_file


def test_bundled_tables_are_present_and_readable():
    import gzip

    files = nbs_files()
    assert [f.name for f in files] == [
        "nbs_employment.csv.gz", "nbs_wages.csv.gz", "nbs_grp.csv.gz",
        "nbs_fdi_trade.csv.gz", "nbs_industry.csv.gz", "nbs_rnd.csv.gz"]
    for f in files:
        rows = list(csv.DictReader(io.StringIO(gzip.decompress(f.read_bytes()).decode())))
        assert rows and all(r["source_url"].startswith("http") for r in rows)


def test_domain_figures_flag_the_jilin_plan_inconsistency():
    fig = domain_figures()["jilin_plan_2017"]
    assert sum(fig["by_category"].values()) == 160
    assert sum(fig["by_output_tier"].values()) == 162
    assert fig["clusters_in_development_zones"] == 162


def test_reference_files_are_bundled():
    gbt = list(csv.DictReader(reference_file("gbt4754_2017.csv").open(encoding="utf-8")))
    assert sum(r["level"] == "section" for r in gbt) == 20
    assert sum(r["level"] == "division" for r in gbt) == 97
    assert reference_file("enterprise_programs.yaml").exists()
