"""Code lists and lookup rules: regions, industries, units, metrics, header aliases.

The seed lists are data files (``schema/data/*.csv`` and the bundled references in
``agglomera/data/reference``). The store copies them into its tables on creation; the
matchers below work on those tables so that user-defined regions and schemes are matched
the same way as the bundled ones.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

_SCHEMA_DATA = "agglomera.schema.data"
_BUNDLED_REF = "agglomera.data.reference"

# --------------------------------------------------------------------------- helpers

_PUNCT_RE = re.compile(r"[\s\u3000'\"`´’‘“”.,，。、;；:：·・\-–—_/\\()（）\[\]【】{}<>《》!！?？*＊#＃]+")
_LEADING_MARKS_RE = re.compile(
    r"^\s*(?:#|＃|\*|其中[:：]?|内[:：]|of which[:：]?|incl(?:uding|\.)?[:：]?|[①-⑳]|\(\d+\)|（\d+）)\s*",
    re.IGNORECASE,
)
_TRAILING_NOTE_RE = re.compile(r"(?:[①-⑳]|\*+|\(\d\)|（\d）|\[\d\])+\s*$")
_BRACKET_TAIL_RE = re.compile(r"^(?P<head>.*?)\s*[\(（\[【](?P<inner>[^\)）\]】]*)[\)）\]】]\s*$")
_YEAR_RE = re.compile(r"^\s*(?P<y>(?:19|20|21)\d\d)\s*(?:年|年度|年末|年底|ye|yr|\.0+)?\s*$", re.I)


def normalise_label(text: object) -> str:
    """Key used to compare labels: NFKC, lower case, no spaces or punctuation, & as 'and'.

    >>> normalise_label("辽  宁")
    '辽宁'
    >>> normalise_label("Wholesale & Retail Trades")
    'wholesaleandretailtrades'
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = s.replace("&", "and")
    return _PUNCT_RE.sub("", s)


def clean_row_label(text: object) -> str:
    """Strip indentation, "#", "其中:" and footnote marks from a printed row label."""
    s = unicodedata.normalize("NFKC", str(text)).replace("\u3000", " ").strip()
    prev = None
    while prev != s:
        prev = s
        s = _LEADING_MARKS_RE.sub("", s)
        s = _TRAILING_NOTE_RE.sub("", s).strip()
    return s


def split_bracket_tail(text: str) -> tuple[str, str | None]:
    """Split "从业人员(万人)" into ("从业人员", "万人"); no bracket -> (text, None)."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    m = _BRACKET_TAIL_RE.match(s)
    if m and m.group("head").strip():
        return m.group("head").strip(), m.group("inner").strip()
    return s, None


def parse_year(value: object) -> int | None:
    """Year from 2015, 2015.0, "2015", "2015年"; None when it is not a plausible year."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        return value if 1900 <= value <= 2199 else None
    m = _YEAR_RE.match(unicodedata.normalize("NFKC", str(value)))
    return int(m.group("y")) if m else None


def _read_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def read_data_csv(text: str) -> pd.DataFrame:
    """Read one of our small data files: UTF-8, '#' comment lines, everything as text."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header, body = rows[0], rows[1:]
    return pd.DataFrame(body, columns=header, dtype=object).fillna("")


# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitInfo:
    """A unit as written, the canonical unit, the factor to it and its dimension."""

    written: str
    canonical: str
    factor: float
    dimension: str


_UNIT_PREFIX_RE = re.compile(r"^\s*(?:单位|计量单位|unit|units)\s*[:：]?\s*", re.I)


def unit_key(text: str) -> str:
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = _UNIT_PREFIX_RE.sub("", s)
    s = s.strip().strip("()（）[]").strip()
    return re.sub(r"\s+", "", s.lower())


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class RegionMatch:
    code: str
    name: str
    level: str
    new_code: bool = False  # a well-formed GB/T 2260 code not yet in the store


@dataclass(frozen=True)
class IndustryMatch:
    scheme: str
    code: str
    name: str


@dataclass
class HeaderAliases:
    """Header text -> canonical column; metric aliases -> metric name."""

    columns: dict[str, str]
    metrics: dict[str, str]
    metric_info: dict[str, dict[str, str]] = field(default_factory=dict)

    def column(self, header: str) -> str | None:
        head, _ = split_bracket_tail(header)
        return self.columns.get(normalise_label(header)) or self.columns.get(
            normalise_label(head)
        )

    def metric(self, header: str) -> str | None:
        head, _ = split_bracket_tail(header)
        return self.metrics.get(normalise_label(header)) or self.metrics.get(
            normalise_label(head)
        )

    def extend(self, path: Path) -> None:
        """Add aliases from a user file with columns ``canonical,alias`` (or ``metric,alias``)."""
        frame = read_data_csv(Path(path).read_text(encoding="utf-8-sig"))
        if {"canonical", "alias"} <= set(frame.columns):
            for canon, alias in zip(frame["canonical"], frame["alias"], strict=True):
                canon = canon.strip()
                if canon.startswith("metric:"):
                    self.metrics[normalise_label(alias)] = canon.split(":", 1)[1]
                else:
                    self.columns[normalise_label(alias)] = canon
        elif {"metric", "alias"} <= set(frame.columns):
            for metric, alias in zip(frame["metric"], frame["alias"], strict=True):
                self.metrics[normalise_label(alias)] = metric.strip()
        else:
            from agglomera.errors import SchemaError

            raise SchemaError(
                f"alias file {path} must have columns 'canonical,alias' or 'metric,alias'; "
                f"got {', '.join(frame.columns)}"
            )


class Catalog:
    """Seed lists plus the matchers built on them."""

    def __init__(self) -> None:
        self.units = self._load_units()
        self.markers = self._load_markers()
        self.aliases = self._load_aliases()

    # ---- seeds -------------------------------------------------------------------
    @staticmethod
    def regions_seed() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(regions, region_aliases, region_members) as stored on creation."""
        prov = read_data_csv(_read_text(_SCHEMA_DATA, "provinces.csv"))
        special = read_data_csv(_read_text(_SCHEMA_DATA, "special_regions.csv"))
        ne = read_data_csv(_read_text(_BUNDLED_REF, "northeast_regions.csv"))
        rows: dict[str, dict[str, object]] = {}
        aliases: list[tuple[str, str]] = []
        members: list[tuple[str, str]] = []
        for r in special.itertuples(index=False):
            rows[r.code] = dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en,
                                level=r.level, parent_code=None, kind="official"
                                if r.level == "nation" else "aggregate", note=r.note,
                                lon=None, lat=None)
            for a in [r.name_zh, r.name_en, *r.aliases.split(";")]:
                if a.strip():
                    aliases.append((a.strip(), r.code))
            for m in filter(None, r.members.split(";")):
                members.append((r.code, m))
        for r in prov.itertuples(index=False):
            rows[r.code] = dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en,
                                level="province", parent_code="100000", kind="official",
                                note="", lon=None, lat=None)
            for a in [r.code, r.name_zh, r.short_zh, r.name_en, r.pinyin,
                      *r.aliases_en.split(";")]:
                if a.strip():
                    aliases.append((a.strip(), r.code))
            for suffix in (" Province", " Sheng", " Shi", " Municipality"):
                aliases.append((r.name_en + suffix, r.code))
        for r in ne.itertuples(index=False):
            entry = rows.setdefault(r.adcode, dict(code=r.adcode))
            entry.update(name_zh=r.name_zh, name_en=r.name_en, level=r.level,
                         parent_code=r.parent_adcode or "100000", kind="official",
                         note=f"region_group={r.region_group}",
                         lon=float(r.lon) if r.lon else None,
                         lat=float(r.lat) if r.lat else None)
            names = [r.adcode, r.name_zh, r.name_en]
            if r.level != "province":
                short = re.sub(r"(市|地区|盟|朝鲜族自治州|自治州)$", "", r.name_zh)
                if len(short) >= 2:
                    names.append(short)
                names += [r.name_en + " City", r.name_pinyin + " Shi"]
                if not r.name_en.endswith(("City", "Prefecture", "League")):
                    names.append(r.name_en)
            for a in names:
                if a and a.strip():
                    aliases.append((a.strip(), r.adcode))
        regions = pd.DataFrame(list(rows.values()))
        alias_frame = pd.DataFrame(aliases, columns=["alias", "code"]).drop_duplicates()
        member_frame = pd.DataFrame(members, columns=["group_code", "member_code"])
        return regions, alias_frame, member_frame

    @staticmethod
    def industries_seed() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(schemes, industries, industry_aliases) as stored on creation."""
        schemes = read_data_csv(_read_text(_SCHEMA_DATA, "industry_schemes.csv"))
        gbt = read_data_csv(_read_text(_BUNDLED_REF, "gbt4754_2017.csv"))
        extra = read_data_csv(_read_text(_SCHEMA_DATA, "industries_extra.csv"))
        rows = [
            dict(scheme="GB/T 4754-2017", code=r.code, level=r.level,
                 parent_code=r.parent_section or None, name_zh=r.name_zh,
                 name_en=r.name_en)
            for r in gbt.itertuples(index=False)
        ]
        aliases: list[tuple[str, str, str]] = []
        for r in extra.itertuples(index=False):
            rows.append(dict(scheme=r.scheme, code=r.code, level=r.level,
                             parent_code=r.parent or None, name_zh=r.name_zh,
                             name_en=r.name_en))
            for a in filter(None, r.aliases.split(";")):
                aliases.append((r.scheme, r.code, a.strip()))
        extra_alias = read_data_csv(_read_text(_SCHEMA_DATA, "industry_aliases.csv"))
        for r in extra_alias.itertuples(index=False):
            aliases.append((r.scheme, r.code, r.alias))
        return (
            schemes,
            pd.DataFrame(rows),
            pd.DataFrame(aliases, columns=["scheme", "code", "alias"]),
        )

    # ---- loaders -----------------------------------------------------------------
    @staticmethod
    def _load_units() -> dict[str, UnitInfo]:
        frame = read_data_csv(_read_text(_SCHEMA_DATA, "units.csv"))
        return {
            unit_key(r.unit): UnitInfo(r.unit, r.canonical, float(r.factor), r.dimension)
            for r in frame.itertuples(index=False)
        }

    @staticmethod
    def _load_markers() -> dict[str, str]:
        frame = read_data_csv(_read_text(_SCHEMA_DATA, "missing_markers.csv"))
        return {r.marker.strip(): r.meaning for r in frame.itertuples(index=False)}

    @staticmethod
    def _load_aliases() -> HeaderAliases:
        frame = read_data_csv(_read_text(_SCHEMA_DATA, "header_aliases.csv"))
        columns = {normalise_label(a): c for c, a in zip(frame["canonical"], frame["alias"],
                                                          strict=True)}
        metrics_frame = read_data_csv(_read_text(_SCHEMA_DATA, "metrics.csv"))
        metrics: dict[str, str] = {}
        info: dict[str, dict[str, str]] = {}
        for r in metrics_frame.itertuples(index=False):
            info[r.metric] = dict(label_zh=r.label_zh, label_en=r.label_en,
                                  dimension=r.dimension, nonnegative=r.nonnegative)
            for a in [r.metric, r.label_zh, r.label_en, *r.aliases.split(";")]:
                if a.strip():
                    metrics[normalise_label(a)] = r.metric
        return HeaderAliases(columns=columns, metrics=metrics, metric_info=info)

    # ---- lookups -----------------------------------------------------------------
    def unit(self, text: str | None) -> UnitInfo | None:
        if text is None or not str(text).strip():
            return None
        return self.units.get(unit_key(text))

    def looks_like_unit_line(self, text: str) -> str | None:
        """Return the unit written in a line such as "单位：万人" or "(10 000 persons)"."""
        s = unicodedata.normalize("NFKC", str(text)).strip()
        m = re.match(r"^(?:单位|计量单位|unit|units)\s*[:：]\s*(?P<u>.+)$", s, re.I)
        if m:
            return m.group("u").strip()
        if s.startswith(("(", "（")) and self.unit(s):
            return s.strip("()（）").strip()
        if self.unit(s):
            return s
        return None

    def is_missing_marker(self, text: str) -> bool:
        return text.strip() in self.markers


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The bundled catalog (cached; copy the aliases before extending them)."""
    return Catalog()


# --------------------------------------------------------------------------- matchers

_LEVEL_RANK = {"province": 0, "nation": 1, "prefecture": 2, "county": 3, "zone": 4,
               "group": 5, "aggregate": 6, "total": 7}


class RegionMatcher:
    """Match region names or codes in any common form to stored region codes."""

    def __init__(self, regions: pd.DataFrame, aliases: pd.DataFrame):
        self.regions = {r.code: r for r in regions.itertuples(index=False)}
        self.index: dict[str, set[str]] = {}
        for alias, code in zip(aliases["alias"], aliases["code"], strict=True):
            self.index.setdefault(normalise_label(alias), set()).add(code)
        for r in regions.itertuples(index=False):
            for a in (r.code, r.name_zh, r.name_en):
                if isinstance(a, str) and a:
                    self.index.setdefault(normalise_label(a), set()).add(r.code)
        self._display = {k: self._name(next(iter(v))) for k, v in self.index.items()}

    def _name(self, code: str) -> str:
        r = self.regions.get(code)
        if r is None:
            return code
        return f"{r.name_zh} / {r.name_en} ({code})"

    def match(self, label: object, *, prefer_level: str | None = None) -> RegionMatch | None:
        raw = clean_row_label(label)
        key = normalise_label(raw)
        if not key:
            return None
        codes = self.index.get(key)
        if not codes:
            code = key.upper()
            if re.fullmatch(r"\d{6}", code) and code[:2] + "0000" in self.regions:
                level = ("province" if code.endswith("0000") else
                         "prefecture" if code.endswith("00") else "county")
                return RegionMatch(code, raw, level, new_code=True)
            return None
        if len(codes) > 1:
            ranked = sorted(codes, key=lambda c: (
                0 if prefer_level and self.regions[c].level == prefer_level else 1,
                _LEVEL_RANK.get(self.regions[c].level, 9), c))
            code = ranked[0]
        else:
            code = next(iter(codes))
        r = self.regions[code]
        return RegionMatch(code, r.name_zh or r.name_en or code, r.level)

    def suggest(self, label: object, n: int = 3) -> list[str]:
        key = normalise_label(clean_row_label(label))
        close = difflib.get_close_matches(key, list(self.index), n=n * 3, cutoff=0.5)
        out: list[str] = []
        for k in close:
            name = self._display[k]
            if name not in out:
                out.append(name)
        return out[:n]


class IndustryMatcher:
    """Match industry names or codes to (scheme, code), choosing a scheme per table."""

    PREFERENCE = ["ALL", "GB/T 4754-2017", "three-strata", "GB/T 4754-2002", "GB/T 4754-1994"]

    def __init__(self, industries: pd.DataFrame, aliases: pd.DataFrame):
        self.items = {(r.scheme, r.code): r for r in industries.itertuples(index=False)}
        self.schemes = list(dict.fromkeys(industries["scheme"]))
        self.index: dict[str, set[tuple[str, str]]] = {}

        def add(label: object, scheme: str, code: str) -> None:
            if isinstance(label, str) and label.strip():
                self.index.setdefault(normalise_label(label), set()).add((scheme, code))

        for r in industries.itertuples(index=False):
            add(r.name_zh, r.scheme, r.code)
            add(r.name_en, r.scheme, r.code)
        for r in aliases.itertuples(index=False):
            add(r.alias, r.scheme, r.code)

    def _rank(self, scheme: str) -> int:
        return self.PREFERENCE.index(scheme) if scheme in self.PREFERENCE else len(
            self.PREFERENCE)

    def candidates(self, label: object) -> set[tuple[str, str]]:
        raw = clean_row_label(label)
        key = normalise_label(raw)
        found = set(self.index.get(key, set()))
        code = raw.strip().upper()
        for scheme in self.schemes:
            if (scheme, code) in self.items and scheme != "ALL":
                found.add((scheme, code))
        return found

    def code_in_scheme(self, code: str, scheme: str) -> IndustryMatch | None:
        """Exact code, or a finer GB/T 4754 code (3-4 digits) under a known division."""
        code = str(code).strip().upper()
        item = self.items.get((scheme, code))
        if item is not None:
            return IndustryMatch(scheme, code, item.name_zh or item.name_en)
        if re.fullmatch(r"\d{3,4}", code) and (scheme, code[:2]) in self.items:
            parent = self.items[(scheme, code[:2])]
            return IndustryMatch(scheme, code, f"{parent.name_zh} ({code})")
        return None

    def resolve(self, labels: Iterable[object], *, scheme: str | None = None
                ) -> tuple[dict[object, IndustryMatch], list[object]]:
        """Resolve a table's industry labels. The scheme that covers most labels wins;
        labels it lacks fall back to the preferred scheme that has them."""
        labels = list(dict.fromkeys(labels))
        cands = {lab: self.candidates(lab) for lab in labels}
        if scheme is None:
            votes: dict[str, int] = {}
            for cs in cands.values():
                for s in {s for s, _ in cs if s != "ALL"}:
                    votes[s] = votes.get(s, 0) + 1
            scheme = (max(votes, key=lambda s: (votes[s], -self._rank(s)))
                      if votes else None)
        out: dict[object, IndustryMatch] = {}
        missing: list[object] = []
        for lab, cs in cands.items():
            if scheme is not None and scheme not in self.schemes:
                # a user scheme given explicitly: its labels are its codes
                out[lab] = IndustryMatch(scheme, clean_row_label(lab), clean_row_label(lab))
                continue
            pick = None
            in_scheme = sorted(c for c in cs if c[0] == scheme)
            if in_scheme:
                pick = in_scheme[0]
            elif any(c[0] == "ALL" for c in cs):
                pick = ("ALL", "_T")
            elif cs:
                pick = sorted(cs, key=lambda c: (self._rank(c[0]), c[1]))[0]
            elif scheme is not None:
                m = self.code_in_scheme(clean_row_label(lab), scheme)
                if m:
                    out[lab] = m
                    continue
            if pick is None:
                missing.append(lab)
                continue
            item = self.items[pick]
            out[lab] = IndustryMatch(pick[0], pick[1], item.name_zh or item.name_en)
        return out, missing

    def suggest(self, label: object, n: int = 3) -> list[str]:
        key = normalise_label(clean_row_label(label))
        close = difflib.get_close_matches(key, list(self.index), n=n, cutoff=0.5)
        out = []
        for k in close:
            scheme, code = sorted(self.index[k])[0]
            item = self.items[(scheme, code)]
            out.append(f"{item.name_zh} / {item.name_en} ({scheme} {code})")
        return out


def region_level_counts(matches: Mapping[object, RegionMatch | None]) -> str | None:
    """Most common level among matched regions (used to break name ambiguities)."""
    levels: dict[str, int] = {}
    for m in matches.values():
        if m is not None and m.level in ("province", "prefecture", "county"):
            levels[m.level] = levels.get(m.level, 0) + 1
    return max(levels, key=levels.__getitem__) if levels else None
