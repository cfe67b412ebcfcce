"""Readers: file type, text encoding, delimiter, and cell grids from CSV/Excel/Parquet.

Text encodings are detected, never asked of the user: a byte-order mark wins; otherwise
the sample must decode strictly as UTF-8, else as GB18030 (a superset of GBK and
GB2312), else charset-normalizer's best guess is used and named in the source record.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agglomera.errors import SchemaError

SAMPLE_BYTES = 1 << 20

TEXT_KINDS = {"csv", "tsv", "txt", "csv.gz", "tsv.gz"}


@dataclass
class Grid:
    """Cells of one sheet as read: rows of str | float | int | None, with row numbers."""

    sheet: str | None
    rows: list[list[object]]
    row_numbers: list[int]
    notes: list[str] = field(default_factory=list)


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def sniff_kind(path: Path) -> str:
    """'xlsx', 'xls', 'parquet', 'csv', 'tsv', 'csv.gz'... from magic bytes and name."""
    name = path.name.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        if name.endswith((".xlsx", ".xlsm")):
            return "xlsx"
        try:
            with zipfile.ZipFile(path) as zf:
                if "[Content_Types].xml" in zf.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise SchemaError(f"{path}: a zip archive that is not an Excel workbook; "
                          "expected .csv, .tsv, .xlsx, .xls or .parquet")
    if head.startswith(b"\x1f\x8b"):
        return "tsv.gz" if name.endswith(".tsv.gz") else "csv.gz"
    if name.endswith((".xlsx", ".xlsm")):
        raise SchemaError(f"{path}: named like an Excel workbook but it is not a valid .xlsx "
                          "(the file may be truncated or damaged); re-save it from Excel")
    if name.endswith(".xls"):
        raise SchemaError(f"{path}: named like an .xls workbook but its content is not one; "
                          "re-save it from Excel")
    if name.endswith(".parquet"):
        raise SchemaError(f"{path}: named .parquet but it is not a Parquet file")
    if name.endswith((".tsv", ".tab")):
        return "tsv"
    return "csv"


def _open_bytes(path: Path, kind: str):
    return gzip.open(path, "rb") if kind.endswith(".gz") else open(path, "rb")


def detect_encoding(path: Path, kind: str = "csv") -> str:
    """Python codec name of a text file: utf-8-sig, utf-8, utf-16, gb18030, or a guess."""
    with _open_bytes(path, kind) as fh:
        try:
            sample = fh.read(SAMPLE_BYTES)
        except (OSError, EOFError) as exc:
            raise SchemaError(f"{path}: cannot read the compressed file ({exc})") from exc
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample[:4096]:
        raise SchemaError(f"{path}: looks like a binary file, not delimited text "
                          "(expected CSV/TSV, .xlsx, .xls or .parquet)")
    whole = len(sample) < SAMPLE_BYTES
    for enc in ("utf-8", "gb18030"):
        try:
            # an incremental decoder holds back a character cut by the end of the sample
            decoded = codecs.getincrementaldecoder(enc)().decode(sample, final=whole)
        except UnicodeDecodeError as exc:
            if enc == "utf-8":
                _refuse_mixed_utf8(path, sample, exc)
            continue
        if enc == "utf-8" or _looks_chinese(decoded):
            return enc
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise SchemaError(f"{path}: cannot tell the text encoding (not UTF-8 and not GB18030); "
                          "save the file as UTF-8 and import it again")
    return best.encoding


def _refuse_mixed_utf8(path: Path, sample: bytes, exc: UnicodeDecodeError) -> None:
    """Whole lines of Chinese written in UTF-8, then bytes that are not UTF-8: the file
    mixes encodings (or is damaged); decoding all of it as anything else would garble it."""
    good = sample[: exc.start]
    complete = good[: good.rfind(b"\n") + 1].decode("utf-8")
    if not any("\u4e00" <= ch <= "\u9fff" for ch in complete):
        return
    line = good.count(b"\n") + 1
    raise SchemaError(
        f"{path}: line {line} (byte {exc.start}: {sample[exc.start:exc.start + 4]!r}) is "
        "not valid UTF-8 although the lines before it are; the file mixes encodings or is "
        "damaged. Save it again in one encoding (UTF-8 preferred)")


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; require mostly CJK/ASCII characters."""
    if not text:
        return True
    ok = sum(1 for ch in text if ord(ch) < 128 or "\u4e00" <= ch <= "\u9fff"
             or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
             or ch in "—…·“”‘’")
    return ok / len(text) > 0.95


def read_text(path: Path, kind: str, encoding: str) -> str:
    with _open_bytes(path, kind) as fh:
        data = fh.read()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SchemaError(
            f"{path}: byte {exc.start} (line {line}) is not valid {encoding}: "
            f"{data[exc.start:exc.start + 4]!r}; the file mixes encodings or is damaged. "
            "Save it again in one encoding (UTF-8 preferred)"
        ) from exc


def transcode_to_utf8(path: Path, kind: str, encoding: str, target: Path,
                      progress: Callable[[int], None] | None = None) -> None:
    """Stream a text file into UTF-8 (for DuckDB's reader); errors name the line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    offset = 0
    with _open_bytes(path, kind) as src, open(target, "w", encoding="utf-8",
                                               newline="") as dst:
        while chunk := src.read(1 << 22):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk[: exc.start].count(b"\n")
                raise SchemaError(
                    f"{path}: byte {offset + exc.start} (line {bad_line}) is not valid "
                    f"{encoding}; the file mixes encodings or is damaged"
                ) from exc
            line += chunk.count(b"\n")
            offset += len(chunk)
            dst.write(text)
            if progress:
                progress(len(chunk))
        dst.write(decoder.decode(b"", final=True))


def sniff_delimiter(text_sample: str, kind: str) -> str:
    if kind.startswith("tsv"):
        return "\t"
    lines = [ln for ln in text_sample.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in (",", "\t", ";", "|"):
        counts = [ln.count(delim) for ln in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        # prefer delimiters that occur on most lines with a steady count
        common = max(set(nonzero), key=nonzero.count)
        score = nonzero.count(common) + len(nonzero) / len(lines)
        if score > best_score:
            best, best_score = delim, score
    return best


def csv_grid(text: str, delimiter: str) -> Grid:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, numbers = [], []
    for i, row in enumerate(reader, start=1):
        rows.append([c if c.strip() != "" else None for c in row])
        numbers.append(reader.line_num if reader.line_num else i)
    return Grid(sheet=None, rows=rows, row_numbers=numbers)


def excel_grids(path: Path, kind: str, sheet: str | None) -> list[Grid]:
    """Cells of the sheets of a workbook, merged ranges filled from their top-left cell."""
    if kind == "xlsx":
        from agglomera._compat import import_optional

        openpyxl = import_optional("openpyxl", extra="excel", purpose="Reading .xlsx files")
        try:
            wb = openpyxl.load_workbook(path, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise SchemaError(
                f"{path}: cannot open the workbook ({type(exc).__name__}: {exc}); "
                "the file may be truncated or damaged - re-save it from Excel"
            ) from exc
        names = wb.sheetnames
        chosen = _choose_sheets(path, names, sheet)
        grids = []
        for name in chosen:
            ws = wb[name]
            values = [list(r) for r in ws.iter_rows(values_only=True)]
            for rng in ws.merged_cells.ranges:
                top = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(
                    values) else None
                for r in range(rng.min_row - 1, min(rng.max_row, len(values))):
                    for c in range(rng.min_col - 1, rng.max_col):
                        if c < len(values[r]):
                            values[r][c] = top
            grids.append(_grid_from_values(name, values))
        return grids
    from agglomera._compat import import_optional

    xlrd = import_optional("xlrd", extra="excel", purpose="Reading .xls files")
    try:
        wb = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception as exc:
        raise SchemaError(
            f"{path}: cannot open the .xls workbook ({type(exc).__name__}: {exc}); "
            "the file may be truncated or damaged - re-save it from Excel"
        ) from exc
    names = wb.sheet_names()
    grids = []
    for name in _choose_sheets(path, names, sheet):
        ws = wb.sheet_by_name(name)
        values = [[_xls_value(ws.cell(r, c)) for c in range(ws.ncols)] for r in range(ws.nrows)]
        for rlo, rhi, clo, chi in ws.merged_cells:
            top = values[rlo][clo]
            for r in range(rlo, rhi):
                for c in range(clo, chi):
                    values[r][c] = top
        grids.append(_grid_from_values(name, values))
    return grids


def _xls_value(cell) -> object:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return "#N/A"
    return cell.value


def _choose_sheets(path: Path, names: list[str], sheet: str | None) -> list[str]:
    if sheet is None:
        return names
    if sheet in names:
        return [sheet]
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return [names[int(sheet) - 1]]
    import difflib

    close = difflib.get_close_matches(sheet, names, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise SchemaError(f"{path}: no sheet named '{sheet}'; the workbook has "
                      f"{', '.join(repr(n) for n in names)}{hint}")


def _grid_from_values(name: str, values: list[list[object]]) -> Grid:
    rows = []
    for row in values:
        rows.append([None if (v is None or (isinstance(v, str) and not v.strip())) else v
                     for v in row])
    return Grid(sheet=name, rows=rows, row_numbers=list(range(1, len(rows) + 1)))
