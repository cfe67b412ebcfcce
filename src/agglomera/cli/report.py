"""``agglomera report``: a region profile as HTML, PDF or Excel (thin wrapper)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from agglomera.config import Settings


class Lang(str, Enum):
    en = "en"
    zh = "zh"


def report_cmd(
    region: Annotated[str, typer.Option("--region", help="Region code or name (zh or en), e.g. 220000, 吉林, Jilin.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .html (offline, zh/en switch), .pdf or .xlsx.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="agglomera DuckDB file (default: AGGLOMERA_DB).")] = None,
    benchmark: Annotated[str, typer.Option("--benchmark", help="Region to compare with (code or name).")] = "320000",
    year: Annotated[Optional[int], typer.Option("--year", help="Latest year considered (default: the latest stored).")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the PDF; first language of the HTML.")] = Lang.en,
) -> None:
    """Region profile 地区画像: indicators vs a benchmark, portfolio, maps, similarity,
    shift-share, cluster ratings, plan targets, candidate enterprises, methods."""
    from agglomera.report import build_profile
    from agglomera.report.render import FORMATS, write_report
    from agglomera.errors import SchemaError

    if out.suffix.lower() not in FORMATS:
        raise SchemaError(f"--out must end in {', '.join(FORMATS)}; got {out.name!r}")
    db = db if db is not None else Settings().db
    err = Console(stderr=True, soft_wrap=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("computing the profile 计算地区画像", total=None)
        profile = build_profile(db, region, benchmark=benchmark, year=year)
        bar.update(task, description=f"writing {out.name} 生成报告")
        write_report(profile, out, lang=lang.value)
    empty = [k for k, s in profile.sections.items() if s.empty and k != "methods"]
    console = Console(soft_wrap=True)
    console.print(f"report for {profile.region['name_zh']} / {profile.region['name_en']} "
                  f"({profile.region['code']}) against {profile.benchmark['name_en']} "
                  f"written to {out}", markup=False, highlight=False)
    if empty:
        console.print(f"sections without data (explained in the report): {', '.join(empty)}",
                      markup=False, highlight=False)


def register(app: typer.Typer, friendly) -> None:
    """Add ``report`` to the main Typer app."""
    app.command("report")(friendly(report_cmd))
