"""The common contract of every registered region x industry measure.

Each measure registered with kind "cells", "region" or "industry" takes a region x
industry matrix first. For all of them: an ndarray and the same data as a wide DataFrame
give the same numbers; a long frame gives the same numbers; labels are kept; infinite
and negative inputs are refused with SchemaError; tagged properties hold.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import agglomera.measures  # noqa: F401  (fills the registry)
from agglomera.errors import SchemaError
from agglomera.measures._registry import PERMUTATION_EQUIVARIANT, REGISTRY, SCALE_INVARIANT
from agglomera.testing import region_industry_matrices

MATRIX_KINDS = ("cells", "region", "industry")
MEASURES = sorted(n for n, info in REGISTRY.items() if info.kind in MATRIX_KINDS)

M = np.array([[10.0, 20.0, 30.0], [5.0, 5.0, 40.0], [30.0, 10.0, 10.0], [1.0, 2.0, 3.0]])
WIDE = pd.DataFrame(M, index=["LN", "JL", "HLJ", "JS"], columns=["C", "D", "E"])


def _numbers(result) -> np.ndarray:
    if isinstance(result, (pd.Series, pd.DataFrame)):
        return np.asarray(result.to_numpy(dtype=float))
    return np.asarray(result, dtype=float)


def test_registry_is_not_empty():
    assert MEASURES, "no region x industry measure is registered"


@pytest.mark.parametrize("name", MEASURES)
def test_array_and_wide_frame_agree_and_labels_are_kept(name):
    func = REGISTRY[name].func
    a = func(M)
    w = func(WIDE)
    np.testing.assert_allclose(_numbers(a), _numbers(w), rtol=1e-12, equal_nan=True)
    kind = REGISTRY[name].kind
    if kind == "cells":
        assert list(w.index) == list(WIDE.index) and list(w.columns) == list(WIDE.columns)
    elif kind == "region":
        assert list(w.index) == list(WIDE.index)
    else:
        assert list(w.index) == list(WIDE.columns)


@pytest.mark.parametrize("name", MEASURES)
def test_long_frame_agrees(name):
    func = REGISTRY[name].func
    long = WIDE.rename_axis(index="r", columns="i").stack().rename("v").reset_index()
    got = func(long, region="r", industry="i", value="v")
    w = func(WIDE)
    if REGISTRY[name].kind == "cells":
        got = got.pivot(index="r", columns="i", values=got.columns[-1]).loc[
            WIDE.index, WIDE.columns]
    np.testing.assert_allclose(_numbers(got), _numbers(w), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", MEASURES)
@pytest.mark.parametrize("bad", [np.inf, -1.0])
def test_infinite_and_negative_inputs_are_refused(name, bad):
    m = M.copy()
    m[1, 1] = bad
    with pytest.raises(SchemaError):
        REGISTRY[name].func(m)


@pytest.mark.parametrize("name", [n for n in MEASURES
                                  if SCALE_INVARIANT in REGISTRY[n].tags])
@settings(max_examples=25, deadline=None)
@given(m=region_industry_matrices())
def test_scale_invariance(name, m):
    func = REGISTRY[name].func
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(_numbers(func(m * 7.5)), _numbers(func(m)),
                                   rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", [n for n in MEASURES
                                  if PERMUTATION_EQUIVARIANT in REGISTRY[n].tags])
@settings(max_examples=25, deadline=None)
@given(m=region_industry_matrices())
def test_relabelling_permutes_the_output(name, m):
    func = REGISTRY[name].func
    kind = REGISTRY[name].kind
    rng = np.random.default_rng(m.shape[0] * 31 + m.shape[1])
    pr = rng.permutation(m.shape[0])
    pi = rng.permutation(m.shape[1])
    base = _numbers(func(m))
    perm = _numbers(func(m[pr][:, pi]))
    if kind == "cells":
        expected = base[pr][:, pi]
    elif kind == "region":
        expected = base[pr]
    else:
        expected = base[pi]
    np.testing.assert_allclose(perm, expected, rtol=1e-9, atol=1e-12, equal_nan=True)
