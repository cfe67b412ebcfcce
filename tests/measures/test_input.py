"""The single conversion at the edge of every measure."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.measures import as_region_industry


def test_three_shapes_give_the_same_array():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    wide = pd.DataFrame(m, index=["a", "b"], columns=["x", "y"])
    long = wide.stack().rename("v").reset_index()
    long.columns = ["r", "i", "v"]
    for d, kw in ((m, {}), (wide, {}), (long, dict(region="r", industry="i", value="v"))):
        ri = as_region_industry(d, **kw)
        np.testing.assert_array_equal(ri.values[0], m)


def test_long_panel_and_round_trip_of_cells():
    long = pd.DataFrame({"y": [2020, 2020, 2021, 2021], "r": ["a", "b", "a", "b"],
                         "i": ["x"] * 4, "v": [1.0, 2.0, 3.0, 4.0]})
    ri = as_region_industry(long, region="r", industry="i", value="v", year="y")
    assert ri.values.shape == (2, 2, 1)
    back = ri.cells(ri.values, "v2")
    assert list(back.columns) == ["y", "r", "i", "v2"]
    assert back["v2"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_missing_cells_warn_by_default_and_never_silently_zero():
    m = np.array([[1.0, np.nan], [3.0, 4.0]])
    with pytest.warns(MissingValueWarning, match="1 missing cell"):
        ri = as_region_industry(m)
    assert ri.values[0, 0, 1] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_region_industry(m, missing="zero").values[0, 0, 1] == 0.0
        assert np.isnan(as_region_industry(m, missing="propagate").values[0, 0, 1])
    with pytest.raises(SchemaError, match="missing"):
        as_region_industry(m, missing="raise")


@pytest.mark.parametrize("bad, match", [
    (np.array([[1.0, np.inf]]), "infinite"),
    (np.array([[1.0, -2.0]]), "negative"),
    (np.zeros((0, 3)), "empty"),
    (np.ones(3), "2-D"),
])
def test_bad_inputs_are_named(bad, match):
    with pytest.raises(SchemaError, match=match):
        as_region_industry(bad)


def test_duplicate_keys_in_long_frame_are_refused():
    long = pd.DataFrame({"r": ["a", "a"], "i": ["x", "x"], "v": [1, 2]})
    with pytest.raises(SchemaError, match="share the same"), pytest.warns(Warning):
        as_region_industry(long, region="r", industry="i", value="v")
