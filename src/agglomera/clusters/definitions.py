r"""Cluster definitions: groups of industries, from files or presets.

A definition maps industry codes of one classification (NAICS 2012, GB/T 4754-2017, ...)
to clusters, with the cluster's names (en/zh) and whether it is traded. Presets:

* ``us-cmp``: the U.S. benchmark cluster definitions of Delgado, Porter & Stern (2016)
  as served by the U.S. Cluster Mapping Project API (2018 snapshot; NAICS 2012 by
  default; 51 traded and 16 local clusters). Read from the shared data directory
  (``us/uscmp_cluster_naics_definitions_api2018.csv``), not bundled (no licence stated).
* ``us-cmp-subclusters``: the NAICS-2012 -> cluster -> subcluster crosswalk of NoCo
  REDI (ACR1/industry-clusters, CC-BY-SA), subclusters as ``cluster_code``; Emsi
  non-standard codes dropped.
* ``jilin-plan-2017``: the 13 categories of Jilin's 2017 plan mapped to GB/T 4754-2017
  divisions (bundled; agglomera's approximation, see the file).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.clusters._input import parse_traded
from agglomera.errors import DuplicateKeyWarning, MissingValueWarning, SchemaError

__all__ = ["DEFINITION_COLUMNS", "PRESET_FILES", "ClusterDefinitions", "load_definitions"]

DEFINITION_COLUMNS = ["scheme", "cluster_code", "cluster_name_en", "cluster_name_zh",
                      "industry_scheme", "industry_code", "traded", "source"]

#: Presets read from the shared data directory (relative paths) or bundled.
PRESET_FILES = {
    "us-cmp": "us/uscmp_cluster_naics_definitions_api2018.csv",
    "us-cmp-subclusters": "us/uscmp_cluster_definitions_naics2012_acr1.csv",
    "jilin-plan-2017": "bundled:jilin_plan_2017.yaml",
}

_ALIASES = {
    "cluster_code": ["cluster_code", "cluster", "code", "集群代码", "集群"],
    "cluster_name_en": ["cluster_name_en", "cluster_name", "name_en", "name"],
    "cluster_name_zh": ["cluster_name_zh", "name_zh", "集群名称"],
    "industry_code": ["industry_code", "industry", "naics", "行业代码", "行业"],
    "industry_scheme": ["industry_scheme", "scheme_of_industry", "行业分类"],
    "traded": ["traded", "traded_local", "可贸易"],
}


@dataclass(frozen=True)
class ClusterDefinitions:
    """A set of clusters, each a group of industry codes of one classification.

    ``table`` has the columns of the database table ``cluster_definitions``
    (:data:`DEFINITION_COLUMNS`), one row per cluster x industry.
    """

    scheme: str
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per cluster x industry (a copy)."""
        return self.table.copy()

    @property
    def industry_scheme(self) -> str:
        """The classification of the industry codes (one per definition set)."""
        return str(self.table["industry_scheme"].iloc[0])

    def clusters(self) -> pd.DataFrame:
        """One row per cluster: code, names, traded, number of industries."""
        t = self.table
        return (t.groupby("cluster_code", sort=False)
                .agg(cluster_name_en=("cluster_name_en", "first"),
                     cluster_name_zh=("cluster_name_zh", "first"),
                     traded=("traded", "first"),
                     industries=("industry_code", "nunique"))
                .reset_index())

    def aggregate(self, data: pd.DataFrame, /, *, region: str = "region",
                  industry: str = "industry", value: str = "employment",
                  year: str | None = None, missing: str = "warn") -> pd.DataFrame:
        r"""Sum an industry-level table to clusters: region x cluster (x year).

        Parameters
        ----------
        data : DataFrame
            Long table with one row per region x industry (x year).
        region, industry, value, year : str
            Its columns.
        missing : {"warn", "raise"}
            A cluster total with a missing member value is missing (NaN, never a
            partial sum); "warn" says how many, "raise" refuses.

        Returns
        -------
        DataFrame
            Columns region, ``cluster``, (year), ``value`` name, ``traded``,
            ``industries`` (members with data).

        Notes
        -----
        :math:`E_{rc} = \sum_{i \in c} E_{ri}`, over the member industries :math:`i`
        of cluster :math:`c` present in the data; industries of the data that belong
        to no cluster are left out (a warning names how many).
        """
        for col in (region, industry, value) + ((year,) if year else ()):
            if col not in data.columns:
                raise SchemaError(f"aggregate(): no column {col!r}; columns are "
                                  f"{list(map(str, data.columns))}")
        d = data.copy()
        d["_ind"] = d[industry].astype(str).str.strip()
        members = self.table[["cluster_code", "industry_code", "traded"]].rename(
            columns={"industry_code": "_ind", "cluster_code": "cluster"})
        unassigned = sorted(set(d["_ind"]) - set(members["_ind"]))
        if unassigned:
            warnings.warn(
                f"{len(unassigned)} industries of the data are in no cluster of "
                f"{self.scheme!r} and are left out: {', '.join(unassigned[:10])}"
                + (" ..." if len(unassigned) > 10 else ""), stacklevel=2)
        m = d.merge(members, on="_ind", how="inner")
        if m.empty:
            raise SchemaError(f"no industry code of the data matches the definitions "
                              f"{self.scheme!r} ({self.industry_scheme})")
        m["_v"] = pd.to_numeric(m[value], errors="coerce")
        keys = [region, "cluster"] + ([year] if year else [])
        agg = m.groupby(keys, sort=True).agg(
            _sum=("_v", "sum"), _n=("_v", "size"), _known=("_v", "count"),
            traded=("traded", "first")).reset_index()
        incomplete = agg["_known"] < agg["_n"]
        if incomplete.any():
            msg = (f"{int(incomplete.sum())} region x cluster totals have a missing "
                   "member value and are left missing (not summed as 0)")
            if missing == "raise":
                raise SchemaError(msg)
            warnings.warn(msg, MissingValueWarning, stacklevel=2)
        agg[value] = np.where(incomplete, np.nan, agg["_sum"])
        agg = agg.rename(columns={"_n": "industries"})
        return agg[keys + [value, "traded", "industries"]]


def _slug(text: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", text.strip().lower()).strip("_")
    return s or text


def _gbt_codes() -> set[str]:
    from agglomera.bundled import reference_file

    codes = pd.read_csv(reference_file("gbt4754_2017.csv"), dtype=str)["code"]
    return set(codes)


def _finish(scheme: str, t: pd.DataFrame, source: str) -> ClusterDefinitions:
    t = t.copy()
    t["scheme"] = scheme
    if "source" not in t:
        t["source"] = source
    for col in DEFINITION_COLUMNS:
        if col not in t:
            t[col] = None
    t["cluster_code"] = t["cluster_code"].astype(str).str.strip()
    t["industry_code"] = t["industry_code"].astype(str).str.strip()
    bad = t["cluster_code"].isin(["", "nan", "None"]) | t["industry_code"].isin(
        ["", "nan", "None"])
    if bad.any():
        raise SchemaError(f"definitions {scheme!r}: {int(bad.sum())} rows lack a cluster "
                          "code or an industry code")
    dup = t.duplicated(["cluster_code", "industry_scheme", "industry_code"])
    if dup.any():
        first = t.loc[dup].iloc[0]
        raise SchemaError(f"definitions {scheme!r}: industry {first['industry_code']!r} "
                          f"is listed twice in cluster {first['cluster_code']!r}")
    multi = t.groupby(["industry_scheme", "industry_code"])["cluster_code"].nunique()
    multi = multi[multi > 1]
    if len(multi):
        warnings.warn(
            f"definitions {scheme!r}: {len(multi)} industries belong to more than one "
            f"cluster (e.g. {multi.index[0][1]!r}); cluster totals will count them in "
            "each", DuplicateKeyWarning, stacklevel=3)
    gbt = t["industry_scheme"] == "GB/T 4754-2017"
    if gbt.any():
        known = _gbt_codes()
        ok = t.loc[gbt, "industry_code"].map(
            lambda c: c in known or (len(c) in (3, 4) and c[:2] in known))
        if not ok.all():
            unknown = sorted(t.loc[gbt, "industry_code"][~ok].unique())
            raise SchemaError(
                f"definitions {scheme!r}: {len(unknown)} codes are not GB/T 4754-2017 "
                f"sections, divisions or codes under a known division: "
                f"{', '.join(unknown[:10])}")
    t["traded"] = t["traded"].astype("boolean")
    return ClusterDefinitions(scheme=scheme, table=t[DEFINITION_COLUMNS].reset_index(
        drop=True))


def _from_yaml(path: Path) -> ClusterDefinitions:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("clusters"), list):
        raise SchemaError(f"{path}: expected a mapping with a list under 'clusters' "
                          "(each with code and industries)")
    scheme = str(doc.get("scheme") or path.stem)
    ind_scheme = str(doc.get("industry_scheme", "GB/T 4754-2017"))
    rows = []
    for i, c in enumerate(doc["clusters"], start=1):
        if not isinstance(c, dict) or "code" not in c or "industries" not in c:
            raise SchemaError(f"{path}: cluster {i} needs 'code' and 'industries'; "
                              f"got {c!r}")
        inds = c["industries"]
        if isinstance(inds, (str, int)):
            inds = [inds]
        if not inds:
            raise SchemaError(f"{path}: cluster {c['code']!r} has no industries")
        traded = c.get("traded")
        for ind in inds:
            rows.append({"cluster_code": str(c["code"]),
                         "cluster_name_en": c.get("name_en"),
                         "cluster_name_zh": c.get("name_zh"),
                         "industry_scheme": str(c.get("industry_scheme", ind_scheme)),
                         "industry_code": str(ind),
                         "traded": None if traded is None else bool(traded)})
    return _finish(scheme, pd.DataFrame(rows), str(doc.get("source", path.name)).strip())


def _from_table(path: Path, scheme: str | None, industry_scheme: str) -> ClusterDefinitions:
    if path.suffix.lower() in (".xlsx", ".xls"):
        raw = pd.read_excel(path, dtype=str)
    elif path.suffix.lower() == ".parquet":
        raw = pd.read_parquet(path).astype(str)
    else:
        from agglomera.ingest.readers import detect_encoding

        raw = pd.read_csv(path, dtype=str, keep_default_na=False,
                          encoding=detect_encoding(path, "csv"))
    lower = {str(c).strip().lower(): c for c in raw.columns}
    cols = {}
    for canon, aliases in _ALIASES.items():
        for a in aliases:
            if a.lower() in lower:
                cols[canon] = lower[a.lower()]
                break
    missing = [c for c in ("cluster_code", "industry_code") if c not in cols]
    if missing:
        raise SchemaError(
            f"{path}: a definitions table needs columns cluster_code (or cluster) and "
            f"industry_code (or industry/naics); missing {missing}; got "
            f"{list(map(str, raw.columns))}")
    t = pd.DataFrame({canon: raw[col] for canon, col in cols.items()})
    if "industry_scheme" not in t:
        t["industry_scheme"] = industry_scheme
    if "traded" in t:
        blank = t["traded"].astype(str).str.strip() == ""
        parsed = pd.Series(pd.NA, index=t.index, dtype="boolean")
        if (~blank).any():
            parsed[~blank] = parse_traded(t.loc[~blank, "traded"], cols["traded"]).to_numpy()
        t["traded"] = parsed
    return _finish(scheme or path.stem, t, path.name)


def _us_cmp(path: Path, vintage: int) -> ClusterDefinitions:
    raw = pd.read_csv(path, dtype=str)
    raw = raw[raw["naics_vintage"] == str(vintage)]
    if raw.empty:
        raise SchemaError(f"{path.name}: no NAICS vintage {vintage}; available: "
                          "1997, 2002, 2007, 2012")
    t = pd.DataFrame({
        "cluster_code": raw["cluster_key"], "cluster_name_en": raw["cluster_name"],
        "cluster_name_zh": None, "industry_scheme": f"NAICS {vintage}",
        "industry_code": raw["naics"],
        "traded": raw["traded"].str.upper().map({"TRUE": True, "FALSE": False})})
    return _finish("us-cmp", t, f"U.S. Cluster Mapping Project API 2018 ({path.name}); "
                   "Delgado, Porter & Stern (2016)")


def _us_subclusters(path: Path) -> ClusterDefinitions:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[(raw["emsi_nonstandard_code"].str.upper() != "TRUE")
              & (raw["subcluster"] != "") & (raw["cluster"] != "")]
    t = pd.DataFrame({
        "cluster_code": (raw["cluster"].map(_slug) + "/" + raw["subcluster"].map(_slug)),
        "cluster_name_en": raw["cluster"] + ": " + raw["subcluster"],
        "cluster_name_zh": None, "industry_scheme": "NAICS 2012",
        "industry_code": raw["naics"],
        "traded": raw["traded_local"].str.lower().map({"traded": True, "local": False})})
    return _finish("us-cmp-subclusters", t, f"ACR1/industry-clusters crosswalk "
                   f"({path.name}), CC-BY-SA, after the U.S. Cluster Mapping Project")


def load_definitions(path_or_preset: str | Path, /, *, data_dir: str | Path | None = None,
                     scheme: str | None = None, industry_scheme: str = "GB/T 4754-2017",
                     vintage: int = 2012) -> ClusterDefinitions:
    r"""Load cluster definitions from a preset name, a YAML file or a table.

    集群定义（产业组合）的读取.

    Parameters
    ----------
    path_or_preset : str or Path
        ``"us-cmp"``, ``"us-cmp-subclusters"``, ``"jilin-plan-2017"`` (see the module
        docstring), or a file: YAML (``scheme``, ``industry_scheme``, ``clusters``:
        list of ``code``, ``name_en``, ``name_zh``, ``traded``, ``industries``), or a
        CSV/Excel/Parquet table with columns ``cluster_code`` and ``industry_code``
        (optional ``cluster_name_en``, ``cluster_name_zh``, ``industry_scheme``,
        ``traded``).
    data_dir : path, optional
        The shared data directory holding ``us/...`` (the US presets are read from it,
        not bundled). The CLI passes ``Settings().data_dir``.
    scheme : str, optional
        Name of the set for tables (default: the file name).
    industry_scheme : str, default "GB/T 4754-2017"
        Classification of a table without an ``industry_scheme`` column. GB/T
        4754-2017 codes are checked against the bundled list.
    vintage : {1997, 2002, 2007, 2012}, default 2012
        NAICS vintage of the us-cmp preset.

    Returns
    -------
    ClusterDefinitions

    Raises
    ------
    SchemaError
        Unknown preset or file, missing columns, unknown GB/T codes, repeated rows,
        or a US preset without ``data_dir``.

    Notes
    -----
    The U.S. benchmark definitions group 6-digit NAICS industries into 51 traded and
    16 local clusters by relatedness (co-location, input-output links, occupations)
    following Delgado, Porter & Stern (2016); each industry belongs to exactly one
    cluster per vintage. No formula is applied here: the definitions are read as
    published.

    References
    ----------
    .. [1] Delgado, M., Porter, M. E., & Stern, S. (2016). Defining clusters of related
       industries. *Journal of Economic Geography* 16(1), 1-38. doi:10.1093/jeg/lbv017

    Examples
    --------
    >>> d = load_definitions("jilin-plan-2017")
    >>> d.scheme, len(d.clusters()), d.industry_scheme
    ('jilin-plan-2017', 13, 'GB/T 4754-2017')
    """
    key = str(path_or_preset)
    if key in PRESET_FILES:
        rel = PRESET_FILES[key]
        if rel.startswith("bundled:"):
            p = Path(str(resources.files("agglomera.data.clusters").joinpath(
                rel.split(":", 1)[1])))
            return _from_yaml(p)
        if data_dir is None:
            raise SchemaError(
                f"preset {key!r} is read from the shared data directory ({rel}); pass "
                "data_dir= (the CLI uses AGGLOMERA_DATA_DIR or ../shared/data)")
        p = Path(data_dir) / rel
        if not p.exists():
            raise SchemaError(f"preset {key!r}: {p} not found; check data_dir")
        return _us_cmp(p, vintage) if key == "us-cmp" else _us_subclusters(p)
    p = Path(path_or_preset)
    if not p.exists():
        raise SchemaError(f"cluster definitions {key!r}: no such file, and not a preset "
                          f"({', '.join(PRESET_FILES)})")
    if p.suffix.lower() in (".yaml", ".yml"):
        return _from_yaml(p)
    return _from_table(p, scheme, industry_scheme)
