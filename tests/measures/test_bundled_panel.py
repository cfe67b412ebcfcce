"""The bundled yearbook panel through every region-level measure, one call per measure.

Panel: employed persons by three strata and province, 1998 (CSY1999 table 5-3) and 2007
(CSY2008 table 4-4), the national row as reference where a measure takes one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import agglomera.measures as m
from agglomera import import_files, open_store
from agglomera.bundled import nbs_files
from agglomera.measures._registry import REGISTRY

KEYS = dict(region="region_code", industry="industry_code", value="value", year="year")


@pytest.fixture(scope="module")
def panel(tmp_path_factory) -> pd.DataFrame:
    db = tmp_path_factory.mktemp("panel") / "nbs.duckdb"
    import_files(db, [p for p in nbs_files() if "employment" in p.name])
    with open_store(db, read_only=True) as store:
        frame = store.con.execute(
            "SELECT region_code, industry_code, year, value FROM observations "
            "WHERE table_ref IN ('CSY1999-5-3', 'CSY2008-4-4') "
            "AND metric = 'employed_persons_year_end' AND industry_code <> '_T'").df()
    assert set(frame.year) == {1998, 2007}
    return frame


def provinces(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.region_code != "100000"]


@pytest.mark.parametrize("name", sorted(n for n, i in REGISTRY.items()
                                        if i.kind in ("cells", "region", "industry")))
def test_every_region_level_measure_runs_on_the_panel_in_one_call(panel, name):
    func = REGISTRY[name].func
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the panel is complete: no missing-value warning
        out = func(provinces(panel), **KEYS)
    numbers = out.select_dtypes("number") if isinstance(out, pd.DataFrame) else out
    assert len(numbers) > 0
    years = (out["year"] if isinstance(out, pd.DataFrame) and "year" in out
             else out.index.get_level_values("year"))
    assert set(years) == {1998, 2007}
    assert np.isfinite(np.asarray(numbers, dtype=float)).mean() > 0.9


def test_lq_against_the_national_row(panel):
    lq = m.location_quotient(panel, **KEYS, base="100000")
    row = lq[(lq.region_code == "230000") & (lq.industry_code == "I") & (lq.year == 2007)]
    # Heilongjiang 2007: primary 773.4 of 1659.9; nation 31444 of 76990 (10 000 persons)
    assert row.location_quotient.iloc[0] == pytest.approx((773.4 / 1659.9) / (31444 / 76990),
                                                          rel=1e-9)


def test_shift_share_similarity_and_convergence_on_the_panel(panel):
    ss = m.shift_share(panel, **KEYS, reference="100000")
    t = ss.totals.loc["210000"]
    assert t.change == pytest.approx(2071.3e4 - (2071.3e4 - 253.1e4), rel=1e-3)
    parts = t[list(ss.components)].sum()
    assert parts == pytest.approx(t.change, rel=1e-12)
    sim = m.structural_similarity(provinces(panel), **KEYS)
    assert sim.loc[(2007, "210000"), "220000"] == pytest.approx(
        sim.loc[(2007, "220000"), "210000"])
    totals = provinces(panel).groupby(["region_code", "year"], as_index=False).value.sum()
    conv = m.convergence(totals, region="region_code", year="year", value="value")
    assert np.isfinite(conv.beta)
