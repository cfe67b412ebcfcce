"""``agglomera screen`` and ``agglomera programmes``: bodies of the commands."""

from __future__ import annotations

import datetime as dt
import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agglomera.errors import SchemaError

RULES_ENV = "AGGLOMERA_SCREENING_RULES"


class MoneyUnit(str, Enum):
    yuan = "yuan"
    wan = "10k-yuan"


def _rules(path: Path | None):
    from agglomera.screening.rules import load_rules

    if path is None and os.environ.get(RULES_ENV):
        path = Path(os.environ[RULES_ENV])
    return load_rules(path)


def screen_cmd(
    programme: Annotated[list[str], typer.Option("--programme", "-p", help="Programme id (repeatable), or 'all'; see 'agglomera programmes'.")],
    application_year: Annotated[int, typer.Option("--application-year", help="Year of application; criteria look at the fiscal years before it.")],
    input: Annotated[Path | None, typer.Option("--input", help="Firm-year rows: CSV, .xlsx or Parquet (docs/enterprise-fields.md).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Read firm-years from the enterprises view of this database.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Result: .csv, .parquet or .xlsx (coloured, with explanations).")] = None,
    money_unit: Annotated[MoneyUnit, typer.Option("--money-unit", help="Unit of money fields in the input.")] = MoneyUnit.yuan,
    application_date: Annotated[str | None, typer.Option("--application-date", help="YYYY-MM-DD; default: any day of the application year (unsure cases are 'unknown').")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help=f"Extra rule-set YAML (provincial variants); also ${RULES_ENV}.")] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="Summarise by region_code, industry_code or cluster (repeatable).")] = None,
    details: Annotated[Path | None, typer.Option("--details", help="Also write firm x criterion explanations (en/zh) to this CSV.")] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet of an Excel input.")] = None,
    top: Annotated[int, typer.Option(help="Candidates shown per programme (and group).")] = 10,
) -> None:
    """Screen enterprises against programme criteria (HNTE, Little Giant, SME tiers)."""
    from agglomera.screening import records as rec
    from agglomera.screening.engine import screen_all
    from agglomera.screening.explain import explain
    from agglomera.screening.outputs import (
        candidates,
        results_frame,
        summary,
        write_excel,
        write_table,
    )

    if (input is None) == (db is None):
        raise SchemaError("give the enterprises with exactly one of --input FILE or --db DATABASE")
    date = None
    if application_date:
        try:
            date = dt.date.fromisoformat(application_date)
        except ValueError:
            raise SchemaError(f"--application-date must be YYYY-MM-DD; got {application_date!r}") from None
        if date.year != application_year:
            raise SchemaError(f"--application-date {date} is not in --application-year {application_year}")
    ruleset = _rules(rules)
    ids = [p.id for p in ruleset.programmes] if "all" in programme else list(programme)
    for pid in ids:
        ruleset.get(pid)
    if input is not None:
        records = rec.read_records(input, money_unit=money_unit.value, sheet=sheet)
    else:
        records = rec.records_from_db(db, money_unit=money_unit.value)
    results = screen_all(records, ruleset, ids, application_year=application_year,
                         application_date=date)
    by = list(by or [])
    counts = summary(results, by=by)
    console = Console(soft_wrap=True)
    if out is not None:
        if out.suffix.lower() == ".xlsx":
            write_excel(results, ruleset, out, by=by)
        else:
            write_table(results_frame(results), out)
    if details is not None:
        import pandas as pd

        pd.concat([explain(r, statuses=("fail", "unknown")) for r in results],
                  ignore_index=True).to_csv(details, index=False, encoding="utf-8-sig")
    t = Table(title=f"Screening 筛选 (application year {application_year})")
    for c in counts.columns:
        t.add_column(str(c))
    for row in counts.itertuples(index=False):
        t.add_row(*[escape(str(v)) for v in row])
    console.print(t)
    for r in results:
        if r.programme.provisional:
            console.print(f"note: {r.programme.id} is provisional: {r.programme.status_note}",
                          markup=False, highlight=False)
        flagged = [c.id for c in r.programme.leaves() if c.status == "unverified"]
        if flagged:
            console.print(f"note: {r.programme.id}: unverified criteria "
                          f"{', '.join(flagged)} (see the criteria sheet / SOURCES.md)",
                          markup=False, highlight=False)
    cand = candidates(results, by=by, top=top)
    t = Table(title="Candidates 候选企业 (closest first)")
    cols = ["programme", *by, "firm_id", "eligible", "distance", "n_failed", "n_unknown"]
    for c in cols:
        t.add_column(c)
    for row in cand[cols].itertuples(index=False):
        t.add_row(*[escape(f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row])
    console.print(t)
    if out is not None:
        console.print(f"{len(results[0].firm_ids):,} firms x {len(results)} programme(s) "
                      f"written to {out}", markup=False, highlight=False)


def programmes_cmd(
    rules: Annotated[Path | None, typer.Option("--rules", help=f"Extra rule-set YAML; also ${RULES_ENV}.")] = None,
) -> None:
    """List the programme rule sets: ids, documents, criteria and verification flags."""
    ruleset = _rules(rules)
    console = Console(soft_wrap=True)
    console.print("Programmes 认定/评价项目", style="bold", highlight=False)
    for p in ruleset.programmes:
        doc = ruleset.documents.get(p.document)
        docs = " ".join(x for x in (doc.title_zh, doc.doc_no, f"({doc.date})" if doc.date
                                    else "") if x) if doc else p.document
        leaves = p.leaves()
        flags = []
        if p.provisional:
            flags.append("provisional")
        unver = [c.id for c in leaves if c.status == "unverified"]
        if unver:
            flags.append(f"unverified: {', '.join(unver)}")
        if doc and doc.status != "verified":
            flags.append("document details unverified")
        console.print(f"{p.id}  {p.name_zh} / {p.name_en}", markup=False, highlight=False)
        console.print(f"    source: {docs}; {len(leaves)} criteria; scoring table: "
                      f"{'yes' if p.scoring else 'no'}"
                      + (f"; flags: {'; '.join(flags)}" if flags else ""),
                      markup=False, highlight=False)
    console.print("Citations: agglomera/data/reference/enterprise_programs.yaml and "
                  "SOURCES.md; add provincial variants with --rules FILE.",
                  markup=False, highlight=False)


def register(app: typer.Typer, friendly) -> None:
    """Add the commands to the main Typer app."""
    app.command("screen")(friendly(screen_cmd))
    app.command("programmes")(friendly(programmes_cmd))
    # --engine/--source on `agglomera measure` (registered just before this module)
    from agglomera.cli.measure import add_engine_options, add_screen_engine_options

    add_engine_options(app, friendly)
    add_screen_engine_options(app, friendly)
