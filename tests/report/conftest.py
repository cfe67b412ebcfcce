"""A real DuckDB built once per session from the bundled yearbook tables, and the
Jilin-against-Jiangsu profile and reports computed from it."""

from __future__ import annotations

import pytest

from agglomera.demo import build_demo_db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    return build_demo_db(tmp_path_factory.mktemp("report_db") / "demo.duckdb")


@pytest.fixture(scope="session")
def profile(demo_db):
    from agglomera.report import build_profile

    return build_profile(demo_db, "吉林", benchmark="Jiangsu")


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("report_out")


@pytest.fixture(scope="session")
def html_file(profile, out_dir):
    from agglomera.report.render import write_report

    return write_report(profile, out_dir / "report.html", lang="en")


@pytest.fixture(scope="session")
def xlsx_file(profile, out_dir):
    from agglomera.report.render import write_report

    return write_report(profile, out_dir / "report.xlsx")
