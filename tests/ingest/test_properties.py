"""Property tests: layouts round-trip and unit normalisation preserves totals."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agglomera import import_files, open_store

PROVINCES = ["辽宁省", "吉林", "Heilongjiang", "江苏省", "Zhejiang", "山东", "Guangdong",
             "北京市"]
PROVINCE_CODES = ["210000", "220000", "230000", "320000", "330000", "370000", "440000",
                  "110000"]
INDUSTRIES = [("农副食品加工业", "13"), ("纺织业", "17"), ("医药制造业", "27"),
              ("通用设备制造业", "34"), ("汽车制造业", "36"),
              ("计算机、通信和其他电子设备制造业", "39")]

SETTINGS = settings(max_examples=8, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def wide_tables(draw):
    n_r = draw(st.integers(1, len(PROVINCES)))
    n_i = draw(st.integers(1, len(INDUSTRIES)))
    rows = draw(st.permutations(range(len(PROVINCES))))[:n_r]
    cols = draw(st.permutations(range(len(INDUSTRIES))))[:n_i]
    cell = st.one_of(st.none(), st.integers(0, 10**7).map(lambda v: Decimal(v) / 100))
    values = [[draw(cell) for _ in cols] for _ in rows]
    return rows, cols, values


@SETTINGS
@given(wide_tables(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_wide_to_long_to_wide_round_trips(table, encoding):
    rows, cols, values = table
    lines = ["地区," + ",".join(INDUSTRIES[c][0] for c in cols)]
    for r, vals in zip(rows, values, strict=True):
        cells = ["—" if v is None else str(v) for v in vals]
        lines.append(PROVINCES[r] + "," + ",".join(f'"{c}"' if "," in c else c
                                                    for c in cells))
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "wide.csv"
        f.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        db = Path(tmp) / "t.duckdb"
        import_files(db, [f], metric="employment", year=2020, unit="万人")
        with open_store(db, read_only=True) as store:
            long = store.observations()
    assert len(long) == len(rows) * len(cols)
    back = long.pivot_table(index="region_code", columns="industry_code", values="value",
                            aggfunc="first", dropna=False)
    for r, vals in zip(rows, values, strict=True):
        for c, v in zip(cols, vals, strict=True):
            got = back.loc[PROVINCE_CODES[r], INDUSTRIES[c][1]]
            if v is None:
                assert np.isnan(got)
            else:
                assert got == float(v * 10000)
    assert set(long.marker.dropna()) <= {"—"}


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 10**9), st.sampled_from(["人", "千人", "万人"])),
                min_size=1, max_size=40))
def test_unit_normalisation_preserves_totals(rows):
    factor = {"人": 1, "千人": 1000, "万人": 10000}
    lines = ["region_code,year,metric,value,unit"]
    for k, (persons, unit) in enumerate(rows):
        written = Decimal(persons) / factor[unit]
        lines.append(f"210000,{1900 + k},employment,{written},{unit}")
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "long.csv"
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        db = Path(tmp) / "t.duckdb"
        import_files(db, [f])
        with open_store(db, read_only=True) as store:
            got = store.observations().sort_values("year")
    assert set(got.unit) == {"persons"}
    expected = np.array([p for p, _ in rows], dtype=float)
    np.testing.assert_allclose(got.value.to_numpy(), expected, rtol=1e-12)
    assert got.value.sum() == pd.Series(expected).sum() or np.isclose(
        got.value.sum(), expected.sum(), rtol=1e-12)
