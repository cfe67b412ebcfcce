"""Import pipeline: read -> stage (DuckDB temp table) -> validate -> load, atomically.

Every file of one call is imported in one transaction: with ``on_error="fail"`` any
problem in any file leaves the database exactly as it was; with ``"quarantine"`` good
rows load and rejected rows are kept (table ``rejected_rows`` and a CSV) with their
reasons. A file already imported with the same options (same SHA-256, sheet and
options) is skipped and reported as such, so imports are idempotent.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from agglomera.errors import AgglomeraError, ImportValidationError, SchemaError
from agglomera.ingest.layout import STAGE_COLUMNS, ParsedSheet, SheetParser
from agglomera.ingest.readers import (
    csv_grid,
    detect_encoding,
    excel_grids,
    read_text,
    sha256_of,
    sniff_delimiter,
    sniff_kind,
    transcode_to_utf8,
)
from agglomera.ingest.validate import PROBLEM_COLUMNS, ValidationReport
from agglomera.schema.catalog import (
    HeaderAliases,
    load_catalog,
    parse_year,
    region_level_counts,
)
from agglomera.store.db import Store, open_store

Progress = Callable[[str, int | None, int | None], None]
"""progress(step, done, total): a step name and, where known, units done of total."""

ON_ERROR = ("fail", "quarantine")
KINDS = ("auto", "observations", "enterprises")
NONNEG_DIMENSIONS = {"persons", "count", "person_years"}
SURE_ENCODINGS = {"utf-8", "utf-8-sig", "utf-16", "gb18030", "ascii"}
FAST_PATH_MIN_BYTES = 0  # header-first delimited text always goes through DuckDB


@dataclass
class FileOutcome:
    path: Path
    sheet: str | None
    status: str  # imported | skipped | failed
    source_id: int | None = None
    kind: str | None = None
    layout: str | None = None
    encoding: str | None = None
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejects_csv: Path | None = None
    message: str = ""


@dataclass
class ImportResult:
    """What an import did: one outcome per file (and sheet), and the problems found."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    report: ValidationReport = field(default_factory=ValidationReport)

    @property
    def rows_accepted(self) -> int:
        return sum(o.rows_accepted for o in self.outcomes)

    @property
    def rows_rejected(self) -> int:
        return sum(o.rows_rejected for o in self.outcomes)

    @property
    def changed(self) -> bool:
        return any(o.status == "imported" for o in self.outcomes)


@dataclass
class _Options:
    metric: str | None = None
    year: str | None = None
    region: str | None = None
    unit: str | None = None
    industry: str | None = None
    industry_scheme: str | None = None
    sheet: str | None = None
    kind: str = "auto"

    def key(self) -> str:
        """The options that change what a file imports as (part of idempotency)."""
        d = {k: v for k, v in self.__dict__.items() if v not in (None, "auto")}
        return json.dumps(d, sort_keys=True, ensure_ascii=False)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Importer:
    def __init__(self, store: Store, opts: _Options, on_error: str, aliases: HeaderAliases,
                 progress: Progress | None, rejects_dir: Path | None):
        self.store = store
        self.con = store.con
        self.opts = opts
        self.on_error = on_error
        self.catalog = load_catalog()
        self.aliases = aliases
        self.regions = store.region_matcher()
        self.industries = store.industry_matcher()
        if opts.industry_scheme and opts.industry_scheme not in self.industries.schemes:
            raise SchemaError(
                f"unknown industry scheme '{opts.industry_scheme}'; this database knows "
                f"{', '.join(repr(s) for s in self.industries.schemes)}. Define a new one "
                "with Store.define_classification (or 'agglomera industries define')")
        self.progress = progress or (lambda step, done, total: None)
        self.rejects_dir = rejects_dir
        self.report = ValidationReport()
        self._n = 0
        self._tmpdir = tempfile.TemporaryDirectory(prefix="agglomera-import-")

    def close(self) -> None:
        self._tmpdir.cleanup()

    # ------------------------------------------------------------------ per file
    def import_file(self, path: Path) -> list[FileOutcome]:
        label = str(path)
        if not path.exists():
            raise SchemaError(f"{label}: no such file")
        if path.is_dir():
            raise SchemaError(f"{label}: is a folder; give the files inside it")
        size = path.stat().st_size
        if size == 0:
            raise SchemaError(f"{label}: the file is empty (0 bytes)")
        kind = sniff_kind(path)
        total = size
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            self.progress(f"hashing {path.name}", done, total)

        sha = sha256_of(path, tick)
        if kind == "parquet":
            return [self._one(path, sha, None, kind, None, self._stage_parquet)]
        if kind in ("xlsx", "xls"):
            self.progress(f"reading {path.name}", None, None)
            grids = excel_grids(path, kind, self.opts.sheet)
            outs = []
            for grid in grids:
                if not any(any(c is not None for c in r) for r in grid.rows):
                    if self.opts.sheet is None and len(grids) > 1:
                        continue  # empty extra sheets of a workbook are not an error
                    raise SchemaError(f"{label}, sheet '{grid.sheet}': the sheet is empty")
                outs.append(self._one(path, sha, grid.sheet, kind, None,
                                      lambda p, g=grid: self._stage_grid(p, g)))
            return outs
        encoding = detect_encoding(path, kind)
        out = self._one(path, sha, None, kind, encoding,
                        lambda p: self._stage_text(p, kind, encoding))
        if out.rows_rejected and encoding not in SURE_ENCODINGS:
            # the problems may come from reading the text in the wrong encoding
            self.report.add(file=label, rule="guessed_encoding",
                            message=f"the file is neither UTF-8 nor GB18030; it was read as "
                                    f"{encoding} (a guess), so the values below may be "
                                    "garbled. Save it as UTF-8 and import it again")
        return [out]

    def _one(self, path, sha, sheet, kind, encoding, stager) -> FileOutcome:
        found = self.store.find_source(sha, sheet, self.opts.key())
        if found is not None:
            sid, fname, when, acc, rej = found
            return FileOutcome(path, sheet, "skipped", source_id=sid, rows_accepted=0,
                               message=f"already imported as source {sid} ({fname}, "
                                       f"{when:%Y-%m-%d %H:%M}, {acc} rows); nothing changed")
        self._n += 1
        self._bad_lines: list[int] = []  # lines the CSV reader itself could not read
        self.progress(f"reading {path.name}", None, None)
        parsed = stager(path)  # creates the stage table, returns meta
        meta = parsed
        if not self._bad_lines and self.con.execute(
                f"SELECT count(*) FROM {meta['stage']}").fetchall()[0][0] == 0:
            where = str(path) + (f", sheet '{sheet}'" if sheet else "")
            raise SchemaError(f"{where}: found a header but no data rows; expected rows "
                              "of values below the header")
        self.progress(f"validating {path.name}", None, None)
        if meta["kind"] == "enterprises":
            return self._one_enterprises(path, sha, sheet, encoding, meta)
        self._prepare_observations(path, sheet, meta)
        chk = meta["checked"]
        out = FileOutcome(path, sheet, "imported", kind=meta["kind"], layout=meta["layout"],
                          encoding=encoding)
        self.progress(f"writing {path.name}", None, None)
        sid = self._insert_source(path, sha, sheet, encoding, meta)
        n_total = self.con.execute(f"SELECT count(*) FROM {meta['stage']}").fetchall()[0][0]
        bad_lines = self._bad_lines
        n_good = self._load_observations(sid, chk)
        if n_good < n_total or bad_lines:
            self.progress(f"checking {path.name}", None, None)
            n_bad = self._collect_bad_observations(path, sheet, meta) + len(bad_lines)
        else:
            self.con.execute(f"CREATE TEMP TABLE {chk}_bad AS SELECT * FROM {chk} LIMIT 0")
            meta["reader_rejects"] = []
            self._bad_lines = []
            n_bad = 0
        n_dup = self._check_duplicates(sid, path, sheet, meta)
        n_bad += n_dup
        n_good -= n_dup
        out.rows_accepted, out.rows_rejected = n_good, n_bad
        if n_bad and self.on_error == "fail":
            out.status = "failed"  # the whole import is rolled back
            return out
        out.source_id = sid
        self.con.execute("UPDATE sources SET rows_accepted = ?, rows_rejected = ? "
                         "WHERE source_id = ?", [n_good, n_bad, sid])
        if n_bad:
            out.rejects_csv = self._keep_rejects(sid, path, sheet, chk, meta)
        return out

    def _insert_source(self, path, sha, sheet, encoding, meta) -> int:
        sid = self.con.execute("SELECT nextval('source_id_seq')").fetchall()[0][0]
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sid, path.name, str(path.resolve()), sha, sheet, self.opts.key(), meta["kind"],
             meta["layout"], encoding, meta.get("title"), meta.get("notes"),
             datetime.now(), 0, 0])
        return sid

    def _one_enterprises(self, path, sha, sheet, encoding, meta) -> FileOutcome:
        n_bad, n_good = self._validate_enterprises(path, sheet, meta)
        out = FileOutcome(path, sheet, "imported", kind=meta["kind"], layout=meta["layout"],
                          encoding=encoding, rows_accepted=n_good, rows_rejected=n_bad)
        if n_bad and self.on_error == "fail":
            out.status = "failed"
            return out
        self.progress(f"writing {path.name}", None, None)
        sid = self._insert_source(path, sha, sheet, encoding, meta)
        out.source_id = sid
        self.con.execute("UPDATE sources SET rows_accepted = ?, rows_rejected = ? "
                         "WHERE source_id = ?", [n_good, n_bad, sid])
        chk = meta["checked"]
        self._load_enterprises(sid, chk, meta)
        if n_bad:
            out.rejects_csv = self._keep_rejects(sid, path, sheet, chk, meta)
        return out

    # ------------------------------------------------------------------ staging
    def _stage_name(self) -> str:
        return f"_stage_{self._n}"

    def _stage_text(self, path: Path, kind: str, encoding: str) -> dict:
        sample_text = read_text(path, kind, encoding) if path.stat().st_size < (
            64 << 20) else None
        if sample_text is None:
            with (open(path, "rb") if not kind.endswith(".gz") else __import__("gzip").open(
                    path, "rb")) as fh:
                sample_text = fh.read(1 << 16).decode(encoding, errors="replace")
        delim = sniff_delimiter(sample_text[:65536], kind)
        first = next((ln for ln in sample_text.splitlines() if ln.strip()), "")
        header = [h.strip().strip('"').strip() for h in first.split(delim)]
        canon = [self.aliases.column(h) for h in header]
        metric_cols = [self.aliases.metric(h) for h in header]
        dims = {c for c in canon if c}
        header_first = (len(dims) >= 2 or ("value" in dims) or (
            len(dims) >= 1 and any(metric_cols))) and all(
            c or m or h for c, m, h in zip(canon, metric_cols, header, strict=True))
        small = len(sample_text) < (64 << 20) - 1
        enterprise = bool(dims & {"enterprise_id", "name"}) and bool(
            dims & {"region", "region_code", "lon", "lat"})
        plain_metrics = all(c or m for c, m in zip(canon, metric_cols, strict=True))
        if header_first and small and not ("value" in dims or enterprise or plain_metrics):
            # other column headers are years, industries or regions: a cross-table,
            # which the sheet parser reads (large files keep the fast path)
            header_first = False
        if header_first:
            return self._stage_text_duckdb(path, kind, encoding, delim, header, canon)
        if len(sample_text) >= (64 << 20) - 1:
            raise SchemaError(f"{path}: a file this large must start with a header row "
                              "naming its columns")
        grid = csv_grid(sample_text, delim)
        return self._stage_grid(path, grid)

    def _stage_text_duckdb(self, path, kind, encoding, delim, header, canon) -> dict:
        src = path
        if encoding not in ("utf-8", "utf-8-sig", "ascii"):
            target = Path(self._tmpdir.name) / (path.stem + ".utf8.csv")
            total = path.stat().st_size
            done = 0

            def tick(n: int) -> None:
                nonlocal done
                done += n
                self.progress(f"converting {path.name} from {encoding}", done, total)

            transcode_to_utf8(path, kind, encoding, target, tick)
            src = target
        raw = f"_raw_{self._n}"
        rej = f"_rej_{self._n}"
        self.progress(f"reading {path.name}", None, None)
        try:
            self.con.execute(
                f"CREATE TEMP TABLE {raw} AS SELECT * FROM read_csv({_lit(str(src))}, "
                f"header=true, all_varchar=true, delim={_lit(delim)}, quote='\"', "
                f"escape='\"', ignore_errors=true, store_rejects=true, "
                f"rejects_table={_lit(rej)}, rejects_scan={_lit(rej + '_scan')}, "
                f"null_padding=false, auto_detect=false, columns={self._columns_arg(header)})"
            )
        except duckdb.Error as exc:
            raise SchemaError(f"{path}: cannot read as delimited text: "
                              f"{str(exc).splitlines()[0]}") from exc
        bad = self.con.execute(
            f"SELECT line, column_name, error_type, csv_line, error_message FROM {rej} "
            "ORDER BY line").fetchall()
        for line, col, etype, csv_line, msg in bad:
            rule = {"TOO MANY COLUMNS": "ragged_row", "MISSING COLUMNS": "ragged_row",
                    "INVALID UNICODE": "bad_encoding"}.get(str(etype), "unreadable_row")
            expl = (f"expected {len(header)} fields like the header, {msg.split('.')[0]}"
                    if rule == "ragged_row" else msg.split("\n")[0])
            self.report.add(file=str(path), row=int(line), column=col, rule=rule,
                            value=(csv_line or "")[:80], message=expl)
        self._bad_lines = [int(b[0]) for b in bad]
        cols = self.con.execute(f"SELECT * FROM {raw} LIMIT 0").description
        names = [c[0] for c in cols]
        # line numbers: header is line 1; rows rejected by the reader shift the rest
        # rowids of a table made in an open transaction start at an offset
        base = self.con.execute(f"SELECT coalesce(min(rowid), 0) FROM {raw}").fetchall()[0][0]
        if self._bad_lines:
            breaks = sorted(ln - 2 - j for j, ln in enumerate(sorted(self._bad_lines)))
            self.con.execute(f"CREATE TEMP TABLE {raw}_br (b BIGINT)")
            self.con.executemany(f"INSERT INTO {raw}_br VALUES (?)", [[b] for b in breaks])
            rowexpr = (f"rowid - {base} + 2 + (SELECT count(*) FROM {raw}_br "
                       f"WHERE b <= {raw}.rowid - {base})")
        else:
            rowexpr = f"rowid - {base} + 2"
        is_enterprise = any(c in ("enterprise_id", "name") for c in canon) and any(
            c in ("region", "region_code", "lon", "lat") for c in canon)
        if self.opts.kind == "enterprises" or (self.opts.kind == "auto" and is_enterprise):
            return self._stage_enterprises_sql(path, raw, names, header, rowexpr)
        return self._stage_observations_sql(path, raw, names, header, canon, rowexpr)

    @staticmethod
    def _columns_arg(header: list[str]) -> str:
        seen: dict[str, int] = {}
        parts = []
        for h in header:
            name = h or "column"
            if name in seen:
                seen[name] += 1
                name = f"{name}_{seen[name]}"
            else:
                seen[name] = 0
            parts.append(f"{_lit(name)}: 'VARCHAR'")
        return "{" + ", ".join(parts) + "}"

    def _stage_observations_sql(self, path, raw, names, header, canon, rowexpr) -> dict:
        stage = self._stage_name()
        dup = [c for c in set(canon) if c and canon.count(c) > 1]
        if dup:
            cols = [h for h, c in zip(header, canon, strict=True) if c == dup[0]]
            raise SchemaError(f"{path}: columns {', '.join(repr(c) for c in cols)} all mean "
                              f"'{dup[0]}'; keep one of them")
        dim_map = {c: n for n, c in zip(names, canon, strict=True) if c}
        metric_cols = [n for n, c in zip(names, canon, strict=True) if not c]
        sel = {col: "NULL" for col in STAGE_COLUMNS}
        for col in STAGE_COLUMNS:
            src = "table" if col == "table_ref" else col
            if src in dim_map:
                sel[col] = _q(dim_map[src])
        for key, opt in (("year", self.opts.year), ("region", self.opts.region),
                         ("metric", self.opts.metric), ("unit", self.opts.unit),
                         ("industry", self.opts.industry)):
            if opt is not None:
                sel[key] = f"coalesce({sel[key]}, {_lit(opt)})" if sel[key] != "NULL" \
                    else _lit(opt)
        sel["src_row"] = rowexpr
        if "value" in dim_map:
            sel["value_column"] = _lit(dim_map["value"])
            body = ", ".join(f"{expr} AS {col}" for col, expr in sel.items())
            self.con.execute(f"CREATE TEMP VIEW {stage} AS SELECT {body} FROM {raw}")
            layout = "long"
        else:
            if not metric_cols:
                raise SchemaError(f"{path}: no value column; expected a column named "
                                  "value/数值 or one column per metric")
            inner = ", ".join(f"{expr} AS {col}" for col, expr in sel.items()
                              if col not in ("value", "metric", "unit", "value_column"))
            unit_expr = sel["unit"]
            metric_names = []
            for n in metric_cols:
                metric_names.append((n, self.aliases.metric(n) or n))
            unp = ", ".join(_q(n) for n, _ in metric_names)
            case = " ".join(f"WHEN {_lit(n)} THEN {_lit(m)}" for n, m in metric_names)
            unit_case = " ".join(
                f"WHEN {_lit(n)} THEN {_lit(u)}" for n in metric_cols
                if (u := self._bracket_unit(n)) is not None)
            unit_sql = f"CASE _col {unit_case} ELSE {unit_expr} END" if unit_case else unit_expr
            self.con.execute(
                f"CREATE TEMP VIEW {stage} AS SELECT src_row, region, region_code, industry,"
                f" industry_code, industry_scheme, year, "
                f"coalesce({sel['metric'] if sel['metric'] != 'NULL' else 'NULL'}, "
                f"CASE _col {case} END) AS metric, value, {unit_sql} AS unit, marker, "
                f"table_ref, source_url, _col AS value_column FROM (SELECT {inner}, "
                f"{unit_expr if unit_expr != 'NULL' else 'NULL'} AS unit, "
                f"{', '.join(_q(n) for n in metric_cols)} FROM {raw}) "
                f"UNPIVOT INCLUDE NULLS (value FOR _col IN ({unp}))")
            layout = f"wide:rowsxmetric({len(metric_cols)})"
        header_map = {c: n for n, c in zip(header, canon, strict=True) if c}
        return dict(kind="observations", layout=layout, stage=stage, header=header_map,
                    title=None, notes=None, sheet=None)

    def _bracket_unit(self, header: str) -> str | None:
        from agglomera.schema.catalog import split_bracket_tail

        _, bracket = split_bracket_tail(header)
        return bracket if bracket and self.catalog.unit(bracket) else None

    def _stage_enterprises_sql(self, path, raw, names, header, rowexpr) -> dict:
        stage = self._stage_name()
        cols = []
        attrs = []
        seen = set()
        for n, h in zip(names, header, strict=True):
            canon = self.aliases.column(h)
            metric = self.aliases.metric(h)
            target = canon if canon in ENTERPRISE_COLUMNS else (
                metric if metric in ("employment", "revenue") else None)
            if target and target not in seen:
                seen.add(target)
                cols.append(f"{_q(n)} AS {target}")
            else:
                attrs.append(n)
        for c in ENTERPRISE_COLUMNS:
            if c not in seen:
                cols.append(f"NULL::VARCHAR AS {c}")
        attr_sql = ("to_json(struct_pack(" + ", ".join(f"{_q(a)} := {_q(a)}" for a in attrs)
                    + "))") if attrs else "NULL::JSON"
        self.con.execute(f"CREATE TEMP VIEW {stage} AS SELECT {rowexpr} AS src_row, "
                         f"{', '.join(cols)}, {attr_sql} AS attributes FROM {raw}")
        header_map = {}
        for h in header:
            c = self.aliases.column(h) or self.aliases.metric(h)
            if c:
                header_map[c] = h
        return dict(kind="enterprises", layout="enterprises", stage=stage, header=header_map,
                    title=None, notes=None, sheet=None)

    def _stage_grid(self, path: Path, grid) -> dict:
        parser = SheetParser(self.catalog, self.aliases, self.regions, self.industries,
                             file_label=str(path), defaults=self._defaults())
        parsed: ParsedSheet = parser.parse(grid)
        stage = self._stage_name()
        frame = parsed.frame
        if parsed.kind == "enterprises" or self.opts.kind == "enterprises":
            return self._stage_enterprise_frame(path, parsed, stage, grid.sheet)
        frame = frame.astype(object).where(frame.notna(), None)
        for col in STAGE_COLUMNS:
            if col != "src_row":
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
        frame["src_row"] = frame["src_row"].astype("int64")
        self.con.register("_frame", frame)
        casts = ", ".join(f"CAST({c} AS {'BIGINT' if c == 'src_row' else 'VARCHAR'}) AS {c}"
                          for c in STAGE_COLUMNS)
        self.con.execute(f"CREATE TEMP TABLE {stage} AS SELECT {casts} FROM _frame")
        self.con.unregister("_frame")
        notes = "; ".join(filter(None, [f"unit line: {parsed.unit_line}"
                                        if parsed.unit_line else None, *parsed.notes]))
        return dict(kind="observations", layout=parsed.layout, stage=stage,
                    header=parsed.header, title=parsed.title or None, notes=notes or None,
                    sheet=grid.sheet)

    def _stage_enterprise_frame(self, path, parsed, stage, sheet) -> dict:
        frame = parsed.frame
        keep = [c for c in frame.columns if c in ENTERPRISE_COLUMNS]
        attrs = [c for c in frame.columns if c not in ENTERPRISE_COLUMNS and c != "src_row"]
        out = pd.DataFrame({"src_row": frame["src_row"].astype("int64")})
        for c in ENTERPRISE_COLUMNS:
            out[c] = frame[c].astype(object) if c in keep else None
        out["attributes"] = [json.dumps({a: r[a] for a in attrs}, ensure_ascii=False)
                             if attrs else None for _, r in frame.iterrows()]
        for c in ENTERPRISE_COLUMNS:
            out[c] = out[c].map(lambda v: None if v is None or v != v else str(v))
        self.con.register("_frame", out)
        casts = ", ".join(["CAST(src_row AS BIGINT) AS src_row",
                           *[f"CAST({c} AS VARCHAR) AS {c}" for c in ENTERPRISE_COLUMNS],
                           "CAST(attributes AS JSON) AS attributes"])
        self.con.execute(f"CREATE TEMP TABLE {stage} AS SELECT {casts} FROM _frame")
        self.con.unregister("_frame")
        return dict(kind="enterprises", layout="enterprises", stage=stage,
                    header={c: h for c, h in parsed.header.items()}, title=parsed.title,
                    notes="; ".join(parsed.notes) or None, sheet=sheet)

    def _stage_parquet(self, path: Path) -> dict:
        raw = f"_raw_{self._n}"
        try:
            self.con.execute(f"CREATE TEMP TABLE {raw} AS SELECT * FROM "
                             f"read_parquet({_lit(str(path))})")
        except duckdb.Error as exc:
            raise SchemaError(f"{path}: cannot read the Parquet file: "
                              f"{str(exc).splitlines()[0]}") from exc
        desc = self.con.execute(f"SELECT * FROM {raw} LIMIT 0").description
        names = [d[0] for d in desc]
        # cast every column to text so that one validation path serves every format
        cast = ", ".join(f"CAST({_q(n)} AS VARCHAR) AS {_q(n)}" for n in names)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT {cast} FROM {raw}")
        canon = [self.aliases.column(n) for n in names]
        self._bad_lines = []
        base = self.con.execute(f"SELECT coalesce(min(rowid), 0) FROM {raw}").fetchall()[0][0]
        rowexpr = f"rowid - {base} + 1"
        if self.opts.kind == "enterprises" or (self.opts.kind == "auto" and any(
                c in ("enterprise_id", "name") for c in canon)):
            return self._stage_enterprises_sql(path, raw, names, names, rowexpr)
        return self._stage_observations_sql(path, raw, names, names, canon, rowexpr)

    def _defaults(self) -> dict[str, str | None]:
        return dict(metric=self.opts.metric, year=self.opts.year, region=self.opts.region,
                    unit=self.opts.unit, industry=self.opts.industry)

    # ------------------------------------------------------------------ validation
    def _region_map(self, stage: str, name_col: str = "region",
                    code_col: str = "region_code") -> pd.DataFrame:
        pairs = self.con.execute(
            f"SELECT DISTINCT {name_col}, {code_col} FROM {stage}").fetchall()
        first = {(n, c): (self.regions.match(c) if c else self.regions.match(n))
                 for n, c in pairs}
        prefer = region_level_counts(first)
        rows = []
        for n, c in pairs:
            label = c if c else n
            if label is None or str(label).strip() == "":
                rows.append((n, c, None, None, "missing_region",
                             "no region in this row and none given with --region"))
                continue
            m = self.regions.match(label, prefer_level=prefer)
            if m is None:
                sugg = self.regions.suggest(label)
                hint = f"; closest: {', '.join(sugg)}" if sugg else ""
                rows.append((n, c, None, None, "unknown_region",
                             f"region '{label}' is not a known region name or GB/T 2260 "
                             f"code{hint}"))
            else:
                rows.append((n, c, m.code, m.name if m.new_code else None, None, None))
        return pd.DataFrame(rows, columns=["k_name", "k_code", "region_out", "new_name",
                                           "rule", "msg"], dtype=object)

    def _industry_map(self, stage: str) -> pd.DataFrame:
        combos = self.con.execute(
            f"SELECT DISTINCT table_ref, industry, industry_code, industry_scheme FROM {stage}"
        ).fetchall()
        by_table: dict[object, list[tuple]] = {}
        for t, name, code, scheme in combos:
            by_table.setdefault(t, []).append((name, code, scheme))
        rows = []
        for t, items in by_table.items():
            scheme_opt = self.opts.industry_scheme
            row_schemes = {s for _, _, s in items if s}
            scheme = scheme_opt or (next(iter(row_schemes)) if len(row_schemes) == 1 else None)
            labels = [code or name for name, code, _ in items if (code or name)]
            resolved, missing = self.industries.resolve(labels, scheme=scheme)
            for name, code, s in items:
                label = code or name
                if label is None or str(label).strip() == "":
                    rows.append((t, name, code, s, "ALL", "_T", None, None))
                elif label in resolved:
                    m = resolved[label]
                    rows.append((t, name, code, s, m.scheme, m.code, None, None))
                else:
                    sugg = self.industries.suggest(label)
                    hint = f"; closest: {'; '.join(sugg)}" if sugg else ""
                    scheme_hint = f" in {scheme}" if scheme else ""
                    rows.append((t, name, code, s, None, None, "unknown_industry",
                                 f"industry '{label}' is not a known industry{scheme_hint}"
                                 f"{hint}"))
        return pd.DataFrame(rows, columns=["k_table", "k_name", "k_code", "k_scheme",
                                           "scheme_out", "code_out", "rule", "msg"],
                            dtype=object)

    def _year_map(self, stage: str, col: str = "year") -> pd.DataFrame:
        vals = [r[0] for r in self.con.execute(f"SELECT DISTINCT {col} FROM {stage}").fetchall()]
        rows = []
        for v in vals:
            if v is None or str(v).strip() == "":
                rows.append((v, None, "missing_year",
                             "no year in this row, the header or the title; pass --year"))
                continue
            y = parse_year(v)
            if y is None:
                rows.append((v, None, "bad_year",
                             f"'{v}' is not a year; expected four digits such as 2015 or "
                             "2015年"))
            else:
                rows.append((v, y, None, None))
        return pd.DataFrame(rows, columns=["k_year", "year_out", "rule", "msg"], dtype=object)

    def _metric_unit_map(self, stage: str) -> pd.DataFrame:
        pairs = self.con.execute(f"SELECT DISTINCT metric, unit FROM {stage}").fetchall()
        rows = []
        canon_units: dict[str, set[str]] = {}
        for metric, unit in pairs:
            if metric is None or str(metric).strip() == "":
                rows.append([metric, unit, None, None, 1.0, None, "missing_metric",
                             "no metric: name it in a metric column, a header, or --metric"])
                continue
            m_out = self.aliases.metric(metric) or str(metric).strip()
            info = self.aliases.metric_info.get(m_out, {})
            if unit is None or str(unit).strip() == "":
                rows.append([metric, unit, m_out, None, 1.0, None, None, None])
                continue
            u = self.catalog.unit(unit)
            if u is None:
                rows.append([metric, unit, m_out, None, 1.0, None, "unknown_unit",
                             f"unit '{unit}' is unknown; known units include 万人, 人, 亿元, "
                             "万元, 元, %, 个 (extend schema/data/units.csv)"])
                continue
            expected = info.get("dimension")
            if expected and expected.split("_usd")[0] != u.dimension.split("_usd")[0]:
                rows.append([metric, unit, m_out, u.canonical, u.factor, u.dimension,
                             "unit_mismatch",
                             f"unit '{unit}' measures {u.dimension}, but metric '{m_out}' "
                             f"is measured in {expected}"])
                continue
            canon_units.setdefault(m_out, set()).add(u.canonical)
            rows.append([metric, unit, m_out, u.canonical, u.factor, u.dimension, None, None])
        for row in rows:
            m_out = row[2]
            if row[6] is None and m_out in canon_units and len(canon_units[m_out]) > 1:
                row[6] = "mixed_units"
                row[7] = (f"metric '{m_out}' comes in units that cannot be converted to one "
                          f"another ({', '.join(sorted(canon_units[m_out]))}); split the "
                          "file or fix the units")
        return pd.DataFrame(rows, columns=["k_metric", "k_unit", "metric_out", "unit_out",
                                           "factor", "dimension", "rule", "msg"], dtype=object)

    def _nonneg(self, metric: str, dimension: str | None) -> bool:
        info = self.aliases.metric_info.get(metric)
        if info is not None:
            return info.get("nonnegative") == "true"
        return dimension in NONNEG_DIMENSIONS

    def _prepare_observations(self, path: Path, sheet: str | None, meta: dict) -> None:
        """Lookup maps and the view of checked rows (nothing is scanned yet)."""
        stage = meta["stage"]
        con = self.con
        rmap, imap, ymap, mmap = (self._region_map(stage), self._industry_map(stage),
                                  self._year_map(stage), self._metric_unit_map(stage))
        mmap["nonneg"] = [self._nonneg(m, d) if m else False
                          for m, d in zip(mmap["metric_out"], mmap["dimension"], strict=True)]
        self._new_regions = rmap[rmap["new_name"].notna()][["region_out", "new_name"]]
        for name, frame in (("_rmap", rmap), ("_imap", imap), ("_ymap", ymap),
                            ("_mmap", mmap)):
            con.register(name + "_df", frame)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
            con.unregister(name + "_df")
        con.execute("UPDATE _ymap SET year_out = NULL WHERE year_out IS NULL")
        markers = list(self.catalog.markers)
        marker_list = ", ".join(_lit(m) for m in markers)
        nul = "chr(0)"
        chk = f"_chk_{self._n}"
        note_chars = ", ".join(_lit(c) for c in "*①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳")
        # The checked rows are a view: materialising ten million rows of text costs more
        # than computing the joins again for the one pass that loads them.
        con.execute(f"""
            CREATE TEMP VIEW {chk} AS
            WITH v AS (
              SELECT s.*, trim(s.value) AS v_trim FROM {stage} s
            ), u AS (
              SELECT v.*, TRY_CAST(v_trim AS DOUBLE) AS num0,
                     (v_trim IS NULL OR v_trim = '' OR v_trim IN ({marker_list}))
                       AS is_missing
              FROM v
            ), w AS (
              -- footnote marks ("123.4*", "56①") are looked for only where the cell is
              -- not already a plain number
              SELECT u.*,
                     CASE WHEN num0 IS NULL AND NOT is_missing
                               AND right(v_trim, 1) IN ({note_chars})
                          THEN regexp_extract(v_trim, '([*①-⑳]+)$', 1) ELSE '' END
                       AS note_mark
              FROM u
            ), j AS (
              SELECT w.*, r.region_out, r.rule AS r_rule, r.msg AS r_msg,
                     i.scheme_out, i.code_out, i.rule AS i_rule, i.msg AS i_msg,
                     CAST(y.year_out AS INTEGER) AS year_out, y.rule AS y_rule,
                     y.msg AS y_msg, m.metric_out, m.unit_out, CAST(m.factor AS DOUBLE)
                     AS factor, m.nonneg, m.rule AS m_rule, m.msg AS m_msg,
                     CASE WHEN w.v_trim IS NULL OR w.v_trim = '' THEN ''
                          WHEN w.is_missing THEN w.v_trim
                          WHEN w.note_mark <> '' THEN w.note_mark END AS marker_out,
                     CASE WHEN w.is_missing THEN NULL
                          WHEN w.num0 IS NOT NULL THEN w.v_trim
                          ELSE replace(replace(
                                 substr(w.v_trim, 1, length(w.v_trim) - length(w.note_mark)),
                                 ',', ''), ' ', '') END AS v_clean
              FROM w
              LEFT JOIN _rmap r ON coalesce(w.region, {nul}) = coalesce(r.k_name, {nul})
                               AND coalesce(w.region_code, {nul}) = coalesce(r.k_code, {nul})
              LEFT JOIN _imap i ON coalesce(w.table_ref, {nul}) = coalesce(i.k_table, {nul})
                               AND coalesce(w.industry, {nul}) = coalesce(i.k_name, {nul})
                               AND coalesce(w.industry_code, {nul}) = coalesce(i.k_code, {nul})
                               AND coalesce(w.industry_scheme, {nul})
                                   = coalesce(i.k_scheme, {nul})
              LEFT JOIN _ymap y ON coalesce(w.year, {nul}) = coalesce(y.k_year, {nul})
              LEFT JOIN _mmap m ON coalesce(w.metric, {nul}) = coalesce(m.k_metric, {nul})
                               AND coalesce(w.unit, {nul}) = coalesce(m.k_unit, {nul})
            ), k AS (
              SELECT j.*, CASE WHEN is_missing THEN NULL
                               ELSE coalesce(num0, TRY_CAST(v_clean AS DOUBLE)) END AS num,
                     -- exact decimal scaling where the factor is a whole number, so that
                     -- 2.47 万人 is 24700 persons, not 24700.000000000004
                     CASE WHEN factor <> 1 AND factor = round(factor) AND factor < 1e15
                          AND length(v_clean) + log10(factor) < 24 THEN
                       TRY_CAST(TRY_CAST(v_clean AS DECIMAL(38, 12))
                                * CAST(factor AS BIGINT) AS DOUBLE) END AS num_exact
              FROM j
            ), f AS (
              SELECT k.*,
                CASE WHEN num IS NULL AND marker_out IS NULL THEN
                  'expected a number or a missing marker (—, …, x, blank)' END AS v_msg,
                CASE WHEN num < 0 AND nonneg THEN
                  'negative value for ' || metric_out || ', which cannot be negative' END
                  AS n_msg
              FROM k
            )
            SELECT f.*, (r_rule IS NOT NULL OR i_rule IS NOT NULL OR y_rule IS NOT NULL
                         OR m_rule IS NOT NULL OR v_msg IS NOT NULL OR n_msg IS NOT NULL)
                        AS rejected
            FROM f
        """)
        meta["checked"] = chk

    def _collect_bad_observations(self, path: Path, sheet: str | None, meta: dict) -> int:
        """Materialise the rejected rows and report their problems; return their number.

        Run only when the load pass accepted fewer rows than were read, so that a clean
        file is read once for loading and never for looking for problems."""
        con = self.con
        chk = meta["checked"]
        con.execute(f"CREATE TEMP TABLE {chk}_bad AS SELECT * FROM {chk} WHERE rejected")
        header = meta.get("header", {})

        def col(name: str) -> str:
            h = header.get(name)
            return f"'{h}' ({name})" if h and h != name else name

        sheet_sql = _lit(sheet) if sheet else "NULL"
        file_sql = _lit(str(path))
        problems = con.execute(f"""
            SELECT {file_sql} AS file, {sheet_sql} AS sheet, src_row AS row, col AS column,
                   val AS value, rule, message
            FROM (
              SELECT DISTINCT src_row, {_lit(col('region'))} AS col,
                     coalesce(region, region_code) AS val, r_rule AS rule, r_msg AS message
                     FROM {chk}_bad WHERE r_rule IS NOT NULL
              UNION ALL
              SELECT DISTINCT src_row, {_lit(col('industry'))},
                     coalesce(industry_code, industry), i_rule, i_msg
                     FROM {chk}_bad WHERE i_rule IS NOT NULL
              UNION ALL
              SELECT DISTINCT src_row, {_lit(col('year'))}, year, y_rule, y_msg
                     FROM {chk}_bad WHERE y_rule IS NOT NULL
              UNION ALL
              SELECT DISTINCT src_row,
                     CASE WHEN m_rule = 'missing_metric' THEN {_lit(col('metric'))}
                          ELSE {_lit(col('unit'))} END,
                     CASE WHEN m_rule = 'missing_metric' THEN metric
                          ELSE coalesce(unit, metric) END, m_rule, m_msg
                     FROM {chk}_bad WHERE m_rule IS NOT NULL
              UNION ALL
              SELECT src_row, '''' || value_column || '''', value, 'not_a_number', v_msg
                     FROM {chk}_bad WHERE v_msg IS NOT NULL
              UNION ALL
              SELECT src_row, '''' || value_column || '''', value, 'negative_value', n_msg
                     FROM {chk}_bad WHERE n_msg IS NOT NULL
            )
        """).df()
        bad_lines = getattr(self, "_bad_lines", [])
        self._bad_lines = []
        self.report.add_frame(problems[PROBLEM_COLUMNS] if len(problems) else problems)
        meta["reader_rejects"] = bad_lines
        return con.execute(f"SELECT count(*) FROM {chk}_bad").fetchall()[0][0]

    def _check_duplicates(self, sid: int, path: Path, sheet: str | None, meta: dict) -> int:
        """Find duplicate keys among the rows just loaded (one aggregate over compact,
        typed columns); report them, and in quarantine mode move them to the rejects."""
        con = self.con
        chk = meta["checked"]
        keys = "table_ref, region_code, industry_scheme, industry_code, year, metric"
        # group on one 64-bit hash of the key first (faster than six text columns);
        # only keys whose hash repeats are compared exactly
        con.execute(f"""
            CREATE TEMP TABLE {chk}_duphash AS
            SELECT hash({keys}) AS h FROM observations_data
            WHERE source_id = ? GROUP BY h HAVING count(*) > 1
        """, [sid])
        if not con.execute(f"SELECT count(*) FROM {chk}_duphash").fetchall()[0][0]:
            return 0
        con.execute(f"""
            CREATE TEMP TABLE {chk}_dupkeys AS
            SELECT {keys}, count(*) AS n FROM observations_data
            WHERE source_id = ? AND hash({keys}) IN (SELECT h FROM {chk}_duphash)
            GROUP BY ALL HAVING count(*) > 1
        """, [sid])
        if not con.execute(f"SELECT count(*) FROM {chk}_dupkeys").fetchall()[0][0]:
            return 0
        match = ("coalesce(c.table_ref, '') = d.table_ref AND c.region_out = d.region_code "
                 "AND c.scheme_out = d.industry_scheme AND c.code_out = d.industry_code "
                 "AND c.year_out = d.year AND c.metric_out = d.metric")
        dup_rows = f"{chk}_duprows"
        con.execute(f"""
            CREATE TEMP TABLE {dup_rows} AS
            SELECT c.*, list_filter(list(c.src_row) OVER (PARTITION BY d.table_ref,
                       d.region_code, d.industry_scheme, d.industry_code, d.year, d.metric
                       ORDER BY c.src_row ROWS BETWEEN UNBOUNDED PRECEDING
                       AND UNBOUNDED FOLLOWING), lambda x: x <> c.src_row) AS others
            FROM {chk} c JOIN {chk}_dupkeys d ON {match}
            WHERE NOT c.rejected
        """)
        sheet_sql = _lit(sheet) if sheet else "NULL"
        problems = con.execute(f"""
            SELECT {_lit(str(path))} AS file, {sheet_sql} AS sheet, src_row AS row,
                   '''' || value_column || '''' AS column, value, 'duplicate_key' AS rule,
                   CASE WHEN len(others) = 0 THEN
                     'same region, industry, year and metric as another column of this row'
                   ELSE 'same region, industry, year and metric as row'
                     || CASE WHEN len(others) > 1 THEN 's ' ELSE ' ' END
                     || array_to_string(list_distinct(others)[1:5], ', ')
                     || CASE WHEN len(others) > 5 THEN ', ...' ELSE '' END END AS message
            FROM {dup_rows} ORDER BY src_row
        """).df()
        self.report.add_frame(problems)
        n_dup = len(problems)
        if self.on_error == "quarantine":
            con.execute(f"""
                DELETE FROM observations_data o USING {chk}_dupkeys d
                WHERE o.source_id = ? AND o.table_ref = d.table_ref
                  AND o.region_code = d.region_code
                  AND o.industry_scheme = d.industry_scheme
                  AND o.industry_code = d.industry_code AND o.year = d.year
                  AND o.metric = d.metric
            """, [sid])
            cols = ", ".join(_q(c[0]) for c in con.execute(
                f"SELECT * FROM {chk}_bad LIMIT 0").description)
            con.execute(f"INSERT INTO {chk}_bad SELECT {cols} FROM {dup_rows}")
        return n_dup

    def _load_observations(self, sid: int, chk: str) -> int:
        con = self.con
        if len(self._new_regions):
            con.register("_newreg", self._new_regions)
            con.execute("""INSERT INTO regions (code, name_zh, level, kind, note)
                SELECT DISTINCT n.region_out, NULL,
                  CASE WHEN n.region_out LIKE '%0000' THEN 'province'
                       WHEN n.region_out LIKE '%00' THEN 'prefecture' ELSE 'county' END,
                  'official', 'code seen in an import; name not in the bundled list'
                FROM _newreg n WHERE n.region_out NOT IN (SELECT code FROM regions)""")
            con.unregister("_newreg")
        inserted = con.execute(f"""
            INSERT INTO observations_data
            SELECT {sid}, coalesce(table_ref, ''), region_out, scheme_out, code_out,
                   year_out, metric_out, coalesce(num_exact, num * coalesce(factor, 1.0)), unit_out, value, unit,
                   marker_out, src_row
            FROM {chk} WHERE NOT rejected
        """).fetchall()[0][0]
        con.execute(f"""
            INSERT INTO source_tables
            SELECT DISTINCT {sid}, table_ref, source_url FROM {chk}
            WHERE table_ref IS NOT NULL AND table_ref <> ''
        """)
        return int(inserted)

    def _keep_rejects(self, sid, path, sheet, chk, meta) -> Path | None:
        con = self.con
        stage_cols = [c for c in con.execute(f"SELECT * FROM {meta['stage']} LIMIT 0").description]
        names = [c[0] for c in stage_cols if c[0] != "src_row"]
        raw = "to_json(struct_pack(" + ", ".join(f"{_q(n)} := {_q(n)}" for n in names) + "))"
        sheet_sql = _lit(sheet) if sheet else "NULL"
        con.register("_probs", self.report.to_frame())
        con.execute(f"""
            INSERT INTO rejected_rows
            SELECT {sid}, {sheet_sql}, c.src_row,
                   coalesce((SELECT string_agg(p.rule || ': ' || p.message, ' | ')
                             FROM _probs p WHERE p.file = {_lit(str(path))}
                               AND p."row" = c.src_row
                               AND coalesce(p.sheet, '') = coalesce({sheet_sql}, '')),
                            'rejected'), {raw}
            FROM {chk}_bad c
        """)
        for line in meta.get("reader_rejects", []):
            probs = self.report.to_frame()
            reason = " | ".join(
                f"{r.rule}: {r.message}" for r in probs[(probs["file"] == str(path))
                                                      & (probs["row"] == line)].itertuples())
            con.execute("INSERT INTO rejected_rows VALUES (?, ?, ?, ?, NULL)",
                        [sid, sheet, line, reason or "unreadable row"])
        con.unregister("_probs")
        out_dir = self.rejects_dir or Path(self.store.path).parent / "rejects"
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = f".{re.sub(r'[^A-Za-z0-9_-]+', '_', sheet)}" if sheet else ""
        target = out_dir / f"source{sid}_{path.stem}{suffix}.rejected.csv"
        frame = con.execute(
            "SELECT source_row, reasons, raw FROM rejected_rows WHERE source_id = ? "
            "AND coalesce(sheet, '') = coalesce(?, '') ORDER BY source_row",
            [sid, sheet]).df()
        frame.to_csv(target, index=False, encoding="utf-8-sig")
        return target

    # ------------------------------------------------------------------ enterprises
    def _validate_enterprises(self, path: Path, sheet: str | None, meta: dict):
        stage = meta["stage"]
        con = self.con
        rmap = self._region_map(stage)
        self._new_regions = rmap[rmap["new_name"].notna()][["region_out", "new_name"]]
        # industries of enterprises: GB/T 4754-2017 codes (2-4 digits) or names
        combos = con.execute(f"SELECT DISTINCT industry, industry_code FROM {stage}").fetchall()
        irows = []
        scheme = self.opts.industry_scheme or "GB/T 4754-2017"
        for name, code in combos:
            label = code or name
            if label is None or str(label).strip() == "":
                irows.append((name, code, None, None, None, None))
                continue
            m = self.industries.code_in_scheme(str(label), scheme)
            if m is None:
                resolved, _ = self.industries.resolve([label], scheme=scheme)
                m = resolved.get(label)
            if m is None:
                sugg = self.industries.suggest(label)
                hint = f"; closest: {'; '.join(sugg)}" if sugg else ""
                irows.append((name, code, None, None, "unknown_industry",
                              f"industry '{label}' is not a known {scheme} code or name{hint}"))
            else:
                irows.append((name, code, m.scheme, m.code, None, None))
        imap = pd.DataFrame(irows, columns=["k_name", "k_code", "scheme_out", "code_out",
                                            "rule", "msg"], dtype=object)
        ymap = self._year_map(stage)
        for name, frame in (("_rmap", rmap), ("_imap", imap), ("_ymap", ymap)):
            con.register(name + "_df", frame)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
            con.unregister(name + "_df")
        nul = "chr(0)"
        chk = f"_chk_{self._n}"

        def num(c: str) -> str:
            return f"TRY_CAST(replace(trim({c}), ',', '') AS DOUBLE)"

        con.execute(f"""
            CREATE TEMP TABLE {chk} AS
            SELECT s.*, r.region_out, r.rule AS r_rule, r.msg AS r_msg,
                   i.scheme_out, i.code_out, i.rule AS i_rule, i.msg AS i_msg,
                   CAST(y.year_out AS INTEGER) AS year_out,
                   CASE WHEN s.year IS NULL OR trim(s.year) = '' THEN NULL ELSE y.rule END
                     AS y_rule, y.msg AS y_msg,
                   {num('s.lon')} AS lon_v, {num('s.lat')} AS lat_v,
                   {num('s.employment')} AS emp_v, {num('s.revenue')} AS rev_v
            FROM {stage} s
            LEFT JOIN _rmap r ON coalesce(s.region, {nul}) = coalesce(r.k_name, {nul})
                             AND coalesce(s.region_code, {nul}) = coalesce(r.k_code, {nul})
            LEFT JOIN _imap i ON coalesce(s.industry, {nul}) = coalesce(i.k_name, {nul})
                             AND coalesce(s.industry_code, {nul}) = coalesce(i.k_code, {nul})
            LEFT JOIN _ymap y ON coalesce(s.year, {nul}) = coalesce(y.k_year, {nul})
        """)
        # a missing region is allowed when coordinates are given
        con.execute(f"""UPDATE {chk} SET r_rule = NULL, r_msg = NULL
            WHERE r_rule = 'missing_region' AND lon_v IS NOT NULL AND lat_v IS NOT NULL""")
        header = meta.get("header", {})

        def col(name: str) -> str:
            h = header.get(name)
            return f"'{h}' ({name})" if h and h != name else name

        def is_bad(c: str) -> str:
            return f"(trim({c}) <> '' AND NOT trim({c}) IN ({', '.join(_lit(m) for m in self.catalog.markers)}) AND {num(c)} IS NULL)"

        parts = [
            f"SELECT src_row, {_lit(col('region'))} AS col, coalesce(region, region_code) AS "
            f"val, r_rule AS rule, r_msg AS message FROM {chk} WHERE r_rule IS NOT NULL",
            f"SELECT src_row, {_lit(col('industry'))}, coalesce(industry_code, industry), "
            f"i_rule, i_msg FROM {chk} WHERE i_rule IS NOT NULL",
            f"SELECT src_row, {_lit(col('year'))}, year, y_rule, y_msg FROM {chk} "
            f"WHERE y_rule IS NOT NULL",
            f"SELECT src_row, {_lit(col('enterprise_id'))}, enterprise_id, 'missing_id', "
            f"'every enterprise needs an id (统一社会信用代码 or your own)' FROM {chk} "
            f"WHERE enterprise_id IS NULL OR trim(enterprise_id) = ''",
        ]
        for c, lo, hi, what in (("lon", -180, 180, "longitude"), ("lat", -90, 90, "latitude")):
            parts.append(
                f"SELECT src_row, {_lit(col(c))}, {c}, 'bad_coordinate', "
                f"'expected a {what} between {lo} and {hi} in decimal degrees' FROM {chk} "
                f"WHERE {is_bad(c)} OR {c}_v < {lo} OR {c}_v > {hi}")
        for c, v in (("employment", "emp_v"), ("revenue", "rev_v")):
            parts.append(
                f"SELECT src_row, {_lit(col(c))}, {c}, 'not_a_number', "
                f"'expected a number or a missing marker (—, …, x, blank)' FROM {chk} "
                f"WHERE {is_bad(c)}")
        parts.append(
            f"SELECT src_row, {_lit(col('employment'))}, employment, 'negative_value', "
            f"'employment cannot be negative' FROM {chk} WHERE emp_v < 0")
        parts.append(
            f"SELECT src_row, {_lit(col('enterprise_id'))}, enterprise_id, 'duplicate_key', "
            f"'enterprise id appears more than once for the same year (first at row ' || "
            f"first_row || ')' FROM (SELECT src_row, enterprise_id, "
            f"count(*) OVER w AS n, min(src_row) OVER w AS first_row FROM {chk} "
            f"WINDOW w AS (PARTITION BY enterprise_id, year_out)) WHERE n > 1 "
            f"AND enterprise_id IS NOT NULL")
        file_sql, sheet_sql = _lit(str(path)), _lit(sheet) if sheet else "NULL"
        problems = con.execute(
            f"SELECT {file_sql} AS file, {sheet_sql} AS sheet, src_row AS row, col AS column, "
            f"val AS value, rule, message FROM ({' UNION ALL '.join(parts)})").df()
        bad_lines = getattr(self, "_bad_lines", [])
        self._bad_lines = []
        self.report.add_frame(problems)
        con.register("_bad_rows", pd.DataFrame({"r": problems["row"].astype("int64")
                                                if len(problems) else pd.Series([], dtype="int64")}))
        con.execute(f"ALTER TABLE {chk} ADD COLUMN rejected BOOLEAN")
        con.execute(f"UPDATE {chk} SET rejected = src_row IN (SELECT r FROM _bad_rows)")
        con.execute(f"CREATE TEMP TABLE {chk}_bad AS SELECT * FROM {chk} WHERE rejected")
        con.unregister("_bad_rows")
        n_bad, n_good = con.execute(
            f"SELECT count(*) FILTER (WHERE rejected), count(*) FILTER (WHERE NOT rejected) "
            f"FROM {chk}").fetchall()[0]
        meta["checked"] = chk
        meta["reader_rejects"] = bad_lines
        return n_bad + len(bad_lines), n_good

    def _load_enterprises(self, sid: int, chk: str, meta: dict) -> None:
        self._load_observations_regions_only()
        self.con.execute(f"""
            INSERT INTO enterprises_data
            SELECT {sid}, trim(enterprise_id), name, region_out, scheme_out, code_out,
                   year_out, lon_v, lat_v, emp_v, rev_v, attributes, src_row
            FROM {chk} WHERE NOT rejected
        """)

    def _load_observations_regions_only(self) -> None:
        if len(self._new_regions):
            self.con.register("_newreg", self._new_regions)
            self.con.execute("""INSERT INTO regions (code, name_zh, level, kind, note)
                SELECT DISTINCT n.region_out, NULL,
                  CASE WHEN n.region_out LIKE '%0000' THEN 'province'
                       WHEN n.region_out LIKE '%00' THEN 'prefecture' ELSE 'county' END,
                  'official', 'code seen in an import; name not in the bundled list'
                FROM _newreg n WHERE n.region_out NOT IN (SELECT code FROM regions)""")
            self.con.unregister("_newreg")


ENTERPRISE_COLUMNS = ["enterprise_id", "name", "region", "region_code", "industry",
                      "industry_code", "year", "lon", "lat", "employment", "revenue"]


def import_files(
    db: str | Path | Store,
    paths: Sequence[str | Path],
    *,
    metric: str | None = None,
    year: int | str | None = None,
    region: str | None = None,
    unit: str | None = None,
    industry: str | None = None,
    industry_scheme: str | None = None,
    sheet: str | None = None,
    kind: str = "auto",
    on_error: str = "fail",
    aliases_file: str | Path | None = None,
    rejects_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import yearbook tables, statistical tables or enterprise lists into a store.

    Parameters
    ----------
    db
        Path of the DuckDB file (created when missing) or an open :class:`Store`.
    paths
        CSV/TSV (UTF-8, UTF-8 with BOM, GB18030/GBK; optionally gzip-compressed), Excel
        .xlsx/.xls (every sheet unless ``sheet`` is given) or Parquet files.
    metric, year, region, unit, industry
        Values for dimensions the file does not state itself (a wide regions x industries
        sheet of one metric and one year, say). Values written in the file win.
    industry_scheme
        Classification of the industry labels; detected per table when omitted.
    kind
        ``"observations"``, ``"enterprises"`` or ``"auto"`` (decided from the columns).
    on_error
        ``"fail"`` (default): any problem aborts the whole import and nothing changes.
        ``"quarantine"``: good rows load; rejected rows go to table ``rejected_rows``
        and to a CSV in ``rejects_dir`` (default: ``rejects/`` beside the database).

    Returns
    -------
    ImportResult
        One outcome per file and sheet (``imported`` or ``skipped`` when the same file was
        already imported with the same options) and the validation report.

    Raises
    ------
    ImportValidationError
        With ``on_error="fail"`` when any problem was found; ``.report`` lists them all.
    SchemaError
        A file cannot be read at all (missing, empty, damaged, unknown encoding).
    """
    if on_error not in ON_ERROR:
        raise SchemaError(f"on_error must be one of {', '.join(ON_ERROR)}; got {on_error!r}")
    if kind not in KINDS:
        raise SchemaError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if not paths:
        raise SchemaError("no files given to import")
    opts = _Options(metric=metric, year=None if year is None else str(year), region=region,
                    unit=unit, industry=industry, industry_scheme=industry_scheme,
                    sheet=sheet, kind=kind)
    catalog = load_catalog()
    aliases = HeaderAliases(dict(catalog.aliases.columns), dict(catalog.aliases.metrics),
                            dict(catalog.aliases.metric_info))
    extra = aliases_file or os.environ.get("AGGLOMERA_ALIASES_FILE")
    if extra:
        aliases.extend(Path(extra))
    own = not isinstance(db, Store)
    store = open_store(db) if own else db
    result = ImportResult()
    importer = _Importer(store, opts, on_error, aliases, progress,
                         Path(rejects_dir) if rejects_dir else None)
    try:
        file_errors: list[str] = []
        with store.transaction():
            for p in paths:
                path = Path(p)
                try:
                    result.outcomes.extend(importer.import_file(path))
                except AgglomeraError as exc:
                    file_errors.append(str(exc))
                    importer.report.add(file=str(path), rule="unreadable_file",
                                        message=str(exc).split(": ", 1)[-1])
                    result.outcomes.append(FileOutcome(path, None, "failed",
                                                       message=str(exc)))
            result.report = importer.report
            failed_rows = any(o.status == "failed" for o in result.outcomes)
            if file_errors or (on_error == "fail" and failed_rows):
                raise ImportValidationError(importer.report)
    finally:
        importer.close()
        if own:
            store.close()
    return result
