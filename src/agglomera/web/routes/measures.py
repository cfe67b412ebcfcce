"""Stored measure results (``agglomera measure --store``) and evaluations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from agglomera.web.deps import (
    Database,
    Where,
    get_db,
    page,
    records,
    require_table,
    rows,
)
from agglomera.web.problems import Problem
from agglomera.web.routes._common import (
    DEFAULT,
    MAX_VALUES,
    Code,
    Format,
    Limit,
    Offset,
    csv_stream,
)

router = APIRouter(tags=["measures"])

_RUNS = ("SELECT run_id, measure, parameters, input, created_at, agglomera_version "
         "FROM measure_runs")
_VALUES = ("SELECT run_id, measure, region_code, region_code_b, industry_code, "
           "industry_code_b, year, statistic, value FROM measure_results")
#: measures written by the evaluation subsystem (composite indices, DEA, benchmark gaps)
EVALUATION_FILTER = "(measure LIKE 'evaluate.%' OR measure = 'benchmark.gap')"

Text = Annotated[str | None, Query(max_length=200)]
Year = Annotated[int | None, Query(ge=0, le=9999)]


def _values(request, db, where, format, limit, offset, filename):
    order = "run_id, statistic, region_code, region_code_b, industry_code, year"
    with db.reader() as cur:
        require_table(db, cur, "measure_values")
        if format != "csv":
            return page(cur, request, _VALUES, where, order, limit=limit, offset=offset)
    return csv_stream(db, _VALUES, where, order, filename)


@router.get("/measures", summary="Stored measure runs")
def list_runs(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    measure: Text = None,
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = Where.new().eq("measure", measure)
    with db.reader() as cur:
        require_table(db, cur, "measure_runs")
        return page(cur, request, _RUNS, where, "run_id", limit=limit, offset=offset)


@router.get("/measures/results", summary="Values of stored measures (long form)")
def list_values(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    measure: Text = None,
    run_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    region: Annotated[list[Code] | None, Query(max_length=MAX_VALUES)] = None,
    industry: Text = None,
    statistic: Text = None,
    year: Year = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = (Where.new().eq("measure", measure).eq("run_id", run_id)
             .eq("region_code", region).eq("industry_code", industry)
             .eq("statistic", statistic).eq("year", year))
    return _values(request, db, where, format, limit, offset, "measures.csv")


@router.get("/measures/{run_id}", summary="One stored measure run with its statistics")
def get_run(
    db: Annotated[Database, Depends(get_db)],
    run_id: Annotated[int, Path(ge=0, le=2**31 - 1)],
):
    with db.reader() as cur:
        require_table(db, cur, "measure_runs")
        cols, data = rows(cur, _RUNS + " WHERE run_id = ?", [run_id])
        if not data:
            raise Problem(404, "not-found", detail=f"no measure run {run_id}")
        out = records(cols, data)[0]
        cols, data = rows(cur, "SELECT statistic, count(*) AS n, count(value) AS "
                          "n_values FROM measure_values WHERE run_id = ? "
                          "GROUP BY statistic ORDER BY statistic", [run_id])
        out["statistics"] = records(cols, data)
    return out


@router.get("/evaluations", tags=["evaluations"],
            summary="Evaluation results (composite indices, DEA, benchmark gaps)")
def list_evaluations(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    measure: Annotated[str | None, Query(max_length=200, description="e.g. 'evaluate.composite', 'benchmark.gap'")] = None,
    run_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    region: Annotated[list[Code] | None, Query(max_length=MAX_VALUES)] = None,
    statistic: Text = None,
    year: Year = None,
    format: Format = "json",
    limit: Limit = DEFAULT,
    offset: Offset = 0,
):
    where = (Where.new().eq("measure", measure).eq("run_id", run_id)
             .eq("region_code", region).eq("statistic", statistic).eq("year", year))
    where.clauses.append(EVALUATION_FILTER)
    return _values(request, db, where, format, limit, offset, "evaluations.csv")
