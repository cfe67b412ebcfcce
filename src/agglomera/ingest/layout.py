"""From a grid of cells to long records: yearbook sheets, wide and long layouts.

A yearbook sheet is read top to bottom as: title lines (one text cell; a year in the
title, such as "(2015)" or "2015年", applies to the whole table), a units line
("单位：万人", "(10 000 persons)", "亿元"), one or more header rows (merged cells repeat
their text across the columns they span), data rows (a label and numbers or missing
markers), and footnotes ("注：", "Note:", "资料来源", "①"...). Leading columns whose
header names a dimension (地区/region, 行业/industry, 年份/year, 指标/metric, 单位/unit) or
whose cells are text are label columns; every other column holds values, and its header
parts say which year, industry, region or metric the values belong to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from agglomera.errors import SchemaError
from agglomera.ingest.readers import Grid
from agglomera.schema.catalog import (
    Catalog,
    HeaderAliases,
    IndustryMatcher,
    RegionMatcher,
    clean_row_label,
    normalise_label,
    parse_year,
    split_bracket_tail,
)

STAGE_COLUMNS = ["src_row", "region", "region_code", "industry", "industry_code",
                 "industry_scheme", "year", "metric", "value", "unit", "marker",
                 "table_ref", "source_url", "value_column"]

ROW_DIMS = {"region", "region_code", "industry", "industry_code", "industry_scheme", "year",
            "metric", "unit", "marker", "table", "source_url"}
ENTERPRISE_KEYS = {"enterprise_id", "name"}
ENTERPRISE_PLACE = {"region", "region_code", "lon", "lat"}

_NOTE_PREFIX = re.compile(
    r"^\s*(注|附注|说明|资料来源|数据来源|来源|备注|note|notes|source|sources|remark|[①-⑳]|\*|a\))",
    re.I)
_HEADER_WORDS = {normalise_label(w) for w in (
    "项目", "指标", "item", "items", "indicator", "地区", "region", "行业", "industry",
    "sector", "年份", "year", "合计项目", "单位", "unit", "代码", "code")}
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20|21)\d\d)\s*(?:年|\)|）|$)")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")


@dataclass
class ParsedSheet:
    kind: str  # observations | enterprises
    layout: str
    frame: pd.DataFrame
    title: str = ""
    unit_line: str | None = None
    notes: list[str] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)  # canonical -> header as written


def cell_text(v: object) -> str | None:
    """A cell as text, the way it reads: 12.0 -> '12', 1234.5 -> '1234.5'."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    s = str(v).strip()
    return s or None


def is_number(v: object) -> bool:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v == v
    if v is None:
        return False
    s = unicodedata.normalize("NFKC", str(v)).strip().rstrip("*①②③④⑤⑥⑦⑧⑨⑩").strip()
    return bool(s) and bool(_NUMBER.match(s)) and any(ch.isdigit() for ch in s)


def metric_slug(header: str) -> str:
    head, _ = split_bracket_tail(header)
    s = unicodedata.normalize("NFKC", head).strip().lower()
    s = re.sub(r"[^\w]+", "_", s).strip("_")
    return s or "value"


class SheetParser:
    def __init__(self, catalog: Catalog, aliases: HeaderAliases, regions: RegionMatcher,
                 industries: IndustryMatcher, *, file_label: str,
                 defaults: dict[str, str | None]):
        self.catalog = catalog
        self.aliases = aliases
        self.regions = regions
        self.industries = industries
        self.file_label = file_label
        self.defaults = defaults

    # ---- classification helpers --------------------------------------------------
    def _is_marker(self, v: object) -> bool:
        return isinstance(v, str) and self.catalog.is_missing_marker(v)

    def _is_header_word(self, v: object) -> bool:
        if v is None:
            return False
        t = cell_text(v) or ""
        return self.aliases.column(t) is not None or normalise_label(t) in _HEADER_WORDS

    def _is_data_row(self, row: list[object], first_value_col: int = 1) -> bool:
        values = row[first_value_col:]
        if not any(is_number(c) or self._is_marker(c) for c in values):
            return False
        label = row[0] if row else None
        if label is None or is_number(label):
            # a row of years under an empty corner cell is a header row
            nums = [c for c in values if c is not None]
            if nums and all(parse_year(cell_text(c)) is not None for c in nums):
                return False
            return label is not None or any(self._is_marker(c) for c in values)
        return not self._is_header_word(label)

    # ---- main --------------------------------------------------------------------
    def parse(self, grid: Grid) -> ParsedSheet:
        rows = [(n, self._trim(r)) for n, r in zip(grid.row_numbers, grid.rows, strict=True)]
        rows = [(n, r) for n, r in rows if any(c is not None for c in r)]
        where = f"{self.file_label}" + (f", sheet '{grid.sheet}'" if grid.sheet else "")
        if not rows:
            raise SchemaError(f"{where}: the file is empty (no rows with any value)")
        width = max(len(r) for _, r in rows)
        rows = [(n, r + [None] * (width - len(r))) for n, r in rows]

        title: list[str] = []
        unit_line: str | None = None
        i = 0
        while i < len(rows):
            cells = [c for c in rows[i][1] if c is not None]
            texts = [cell_text(c) or "" for c in cells]
            units = [self.catalog.looks_like_unit_line(t) for t in texts]
            header_like = any(self.aliases.column(t) for t in texts)
            if len(cells) == 1 and not header_like and not is_number(cells[0]):
                if units[0]:
                    unit_line = units[0]
                else:
                    title.append(texts[0])
                i += 1
                continue
            if len(cells) == 2 and any(units) and not header_like:
                for t, u in zip(texts, units, strict=True):
                    if u:
                        unit_line = u
                    else:
                        title.append(t)
                i += 1
                continue
            break
        if i >= len(rows):
            raise SchemaError(f"{where}: no table found - only title lines "
                              f"({'; '.join(title)[:120]})")

        header_rows: list[list[object]] = []
        j = i
        while j < len(rows) and not self._is_data_row(rows[j][1]) and len(header_rows) < 8:
            header_rows.append(rows[j][1])
            j += 1
        if j >= len(rows):
            raise SchemaError(
                f"{where}: found a header but no data rows (rows {rows[i][0]}-{rows[-1][0]}); "
                "expected rows with a label and numbers below the header")
        if not header_rows:
            raise SchemaError(
                f"{where}: row {rows[i][0]} holds numbers but there is no header row above "
                "it; the first row must name the columns (地区/region, 年份/year, ...)")
        data, notes = self._split_notes(rows[j:])
        for h in header_rows[:-1]:
            self._fill_right(h)
        labels = self._column_labels(header_rows, width)

        canon = [self.aliases.column(lab[-1]) if lab else None for lab in labels]
        if any(c in ENTERPRISE_KEYS for c in canon) and any(c in ENTERPRISE_PLACE
                                                            for c in canon):
            return self._enterprises(grid, labels, canon, data, title, notes)
        frame, layout = self._observations(where, labels, canon, data, title, unit_line)
        header = {c: lab[-1] for c, lab in zip(canon, labels, strict=True) if c and lab}
        return ParsedSheet(kind="observations", layout=layout, frame=frame,
                           title=" ".join(title), unit_line=unit_line, notes=notes,
                           header=header)

    @staticmethod
    def _trim(row: list[object]) -> list[object]:
        out = [c if not (isinstance(c, str) and not c.strip()) else None for c in row]
        while out and out[-1] is None:
            out.pop()
        return out

    @staticmethod
    def _fill_right(row: list[object]) -> None:
        last = None
        for k in range(1, len(row)):
            if row[k] is None and last is not None:
                row[k] = last
            elif row[k] is not None:
                last = row[k]

    @staticmethod
    def _column_labels(header_rows: list[list[object]], width: int) -> list[list[str]]:
        labels: list[list[str]] = []
        for k in range(width):
            parts: list[str] = []
            for h in header_rows:
                t = cell_text(h[k]) if k < len(h) else None
                if t and (not parts or parts[-1] != t):
                    parts.append(t)
            labels.append(parts)
        return labels

    def _split_notes(self, rows: list[tuple[int, list[object]]]):
        data, notes = [], []
        in_notes = False
        for n, r in rows:
            cells = [c for c in r if c is not None]
            first = cell_text(cells[0]) if cells else ""
            if in_notes or (len(cells) == 1 and not is_number(cells[0])
                            and (_NOTE_PREFIX.match(first or "") or len(first or "") > 20)):
                in_notes = True
                notes.append(" ".join(cell_text(c) or "" for c in cells))
                continue
            if _NOTE_PREFIX.match(first or "") and not any(
                    is_number(c) for c in r[1:]) and r[0] is not None and len(cells) <= 2:
                in_notes = True
                notes.append(" ".join(cell_text(c) or "" for c in cells))
                continue
            data.append((n, r))
        return data, notes

    # ---- observations ------------------------------------------------------------
    def _classify_part(self, part: str, row_dims: set[str]) -> tuple[str, object] | None:
        year = parse_year(part)
        if year is not None:
            return ("year", str(year))
        metric = self.aliases.metric(part)
        if metric:
            return ("metric", metric)
        if "region" not in row_dims and self.regions.match(part) is not None:
            return ("region", part)
        if "industry" not in row_dims and self.industries.candidates(part):
            return ("industry", part)
        unit = self.catalog.unit(part)
        if unit is not None:
            return ("unit", part)
        return None

    def _infer_label_dim(self, values: list[str]) -> str:
        vals = [v for v in values if v][:200]
        if not vals:
            return "region"
        scores = {
            "region": sum(self.regions.match(v) is not None for v in vals),
            "industry": sum(bool(self.industries.candidates(v)) for v in vals),
            "year": sum(parse_year(v) is not None for v in vals),
            "metric": sum(self.aliases.metric(v) is not None for v in vals),
        }
        best = max(scores, key=lambda k: (scores[k], k == "region"))
        return best if scores[best] else "region"

    def _observations(self, where, labels, canon, data, title, unit_line):
        width = len(labels)
        # label columns: leading columns named as a row dimension, or holding text
        label_cols: list[int] = []
        for k in range(width):
            c = canon[k]
            if c in ROW_DIMS or c == "value":
                continue
            col_vals = [r[k] for _, r in data if r[k] is not None]
            texty = col_vals and sum(not is_number(v) and not self._is_marker(v)
                                     for v in col_vals) > 0.8 * len(col_vals)
            if k == 0 or (texty and label_cols == list(range(k))):
                label_cols.append(k)
        dim_cols = {k: canon[k] for k in range(width) if canon[k] in ROW_DIMS}
        value_cols = [k for k in range(width) if k not in label_cols and k not in dim_cols
                      and labels[k] is not None]
        if "value" in canon:
            value_cols = [canon.index("value")]
        label_dims: dict[int, str] = {}
        for k in label_cols:
            head = labels[k][-1] if labels[k] else ""
            named = self.aliases.column(head) if head else None
            if named in ROW_DIMS:
                label_dims[k] = named
            else:
                label_dims[k] = self._infer_label_dim(
                    [clean_row_label(cell_text(r[k]) or "") for _, r in data])
        row_dims = set(label_dims.values()) | set(dim_cols.values())

        # column attributes from the header parts of each value column
        col_attrs: dict[int, dict[str, str]] = {}
        unknown: dict[int, list[str]] = {}
        for k in value_cols:
            attrs: dict[str, str] = {}
            if canon[k] == "value":
                col_attrs[k] = attrs
                continue
            for part in reversed(labels[k]):  # the lowest header row is the most specific
                head, bracket = split_bracket_tail(part)
                if bracket and self.catalog.unit(bracket):
                    attrs["unit"] = bracket
                got = self._classify_part(head, row_dims) or self._classify_part(part, row_dims)
                if got is None:
                    unknown.setdefault(k, []).append(head)
                elif got[0] not in attrs:
                    attrs[got[0]] = str(got[1])
            col_attrs[k] = attrs
        n_cols = max(len(value_cols), 1)
        share = {d: sum(d in a for a in col_attrs.values()) / n_cols
                 for d in ("industry", "region", "year", "metric")}
        for k, parts in unknown.items():
            attrs = col_attrs[k]
            text = parts[-1]
            if "industry" not in row_dims and "industry" not in attrs and share["industry"] >= .5:
                attrs["industry"] = text
            elif "region" not in row_dims and "region" not in attrs and share["region"] >= .5:
                attrs["region"] = text
            elif "metric" not in attrs and "metric" not in row_dims:
                attrs["metric"] = metric_slug(" ".join(parts))
        col_dims = sorted({d for a in col_attrs.values() for d in a if d != "unit"})

        title_text = " ".join(title)
        m = _TITLE_YEAR.search(title_text)
        file_attrs: dict[str, str | None] = {
            "year": self.defaults.get("year") or (m.group(1) if m else None),
            "metric": self.defaults.get("metric"),
            "unit": self.defaults.get("unit") or unit_line,
            "region": self.defaults.get("region"),
            "industry": self.defaults.get("industry"),
        }
        # the metric named on the command line wins over a slug made from a header
        records: list[dict[str, object]] = []
        for n, r in data:
            base: dict[str, object] = {"src_row": n}
            for k, dim in label_dims.items():
                base[dim] = clean_row_label(cell_text(r[k]) or "") or None
            for k, dim in dim_cols.items():
                key = "table_ref" if dim == "table" else dim
                base[key] = cell_text(r[k])
            if all(base.get(d) in (None, "") for d in label_dims.values()) and label_dims:
                label_missing = True
            else:
                label_missing = False
            for k in value_cols:
                rec = dict(base)
                for dim, val in col_attrs[k].items():
                    if dim == "metric" and self.defaults.get("metric") and k in unknown:
                        continue
                    if not rec.get(dim):
                        rec[dim] = val
                for dim, val in file_attrs.items():
                    if val is not None and not rec.get(dim):
                        rec[dim] = val
                rec["value"] = cell_text(r[k])
                rec["value_column"] = " / ".join(labels[k]) if labels[k] else f"#{k + 1}"
                if label_missing:
                    rec["region"] = rec.get("region") or ""
                records.append(rec)
        frame = pd.DataFrame(records)
        for col in STAGE_COLUMNS:
            if col not in frame.columns:
                frame[col] = None
        frame = frame[STAGE_COLUMNS]
        shown = {"region", "region_code", "industry", "industry_code", "year", "metric"}
        rows_desc = "+".join(sorted((set(label_dims.values()) | set(dim_cols.values()))
                                    & shown)) or "rows"
        if "value" in canon:
            layout = "long"
        elif col_dims:
            layout = f"wide:{rows_desc}x{'+'.join(col_dims)}"
        else:
            layout = f"wide:{rows_desc}"
        return frame, layout

    # ---- enterprises -------------------------------------------------------------
    def _enterprises(self, grid, labels, canon, data, title, notes) -> ParsedSheet:
        cols = []
        for k, lab in enumerate(labels):
            head = lab[-1] if lab else f"column_{k + 1}"
            metric = self.aliases.metric(head)
            name = canon[k] or (metric if metric in ("employment", "revenue") else None)
            cols.append(name or head)
        records = []
        for n, r in data:
            rec = {"src_row": n}
            for k, name in enumerate(cols):
                rec[name] = cell_text(r[k])
            records.append(rec)
        frame = pd.DataFrame(records)
        header = {c: (lab[-1] if lab else "") for c, lab in zip(cols, labels, strict=True)}
        return ParsedSheet(kind="enterprises", layout="enterprises", frame=frame,
                           title=" ".join(title), notes=notes, header=header)
