"""DPS-style derivation: relatedness measures, clustering, validation scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglomera.clusters import derive_clusters, relatedness, validation_scores
from agglomera.errors import SchemaError


def _planted(seed: int = 0, noise: float = 0.05):
    """Three groups of industries; each group follows its own regional pattern."""
    rng = np.random.default_rng(seed)
    n_regions = 30
    patterns = rng.lognormal(0, 1, size=(n_regions, 3))
    cols, labels = {}, {}
    for g, members in enumerate([["a1", "a2", "a3", "a4"], ["b1", "b2", "b3"],
                                 ["c1", "c2", "c3", "c4", "c5"]]):
        for m in members:
            scale = rng.uniform(50, 500)
            cols[m] = scale * patterns[:, g] * rng.lognormal(0, noise, n_regions)
            labels[m] = g
    return pd.DataFrame(cols, index=[f"r{i}" for i in range(n_regions)]), labels


def _same_partition(a: pd.Series, b: dict) -> bool:
    pairs = [(x, y) for x in a.index for y in a.index if x < y]
    return all((a[x] == a[y]) == (b[x] == b[y]) for x, y in pairs)


def test_share_correlation_equals_pandas_corr_of_shares():
    x, _ = _planted()
    shares = x / x.sum(axis=0)
    got = relatedness(x, method="share-correlation")
    pd.testing.assert_frame_equal(got, shares.corr(), check_names=False, atol=1e-12)


def test_lq_correlation_equals_corr_of_measures_lq():
    from agglomera.measures import location_quotient

    x, _ = _planted(1)
    lq = location_quotient(x)
    lq = lq.lq if hasattr(lq, "lq") else lq
    got = relatedness(x, method="lq-correlation")
    np.testing.assert_allclose(got.to_numpy(), lq.corr().to_numpy(), atol=1e-12)


def test_coagglomeration_hand_example():
    # shares s_r1 = (.5, 0, .5), s_r2 = (0, .5, .5); x_r = (.25, .25, .5); sum x^2 = .375
    x = pd.DataFrame({"i1": [10.0, 0, 10], "i2": [0.0, 10, 10]}, index=["A", "B", "C"])
    g = relatedness(x, method="coagglomeration")
    # (0.25*-0.25 + -0.25*0.25 + 0) / 0.625 = -0.2 ; own: (0.0625 * 2) / 0.625 = 0.2
    assert g.loc["i1", "i2"] == pytest.approx(-0.2)
    assert g.loc["i1", "i1"] == pytest.approx(0.2)
    assert g.loc["i2", "i1"] == pytest.approx(-0.2)


@pytest.mark.parametrize("method", ["hierarchical", "kmeans"])
@pytest.mark.parametrize("rel", ["lq-correlation", "share-correlation"])
def test_planted_groups_are_recovered_with_full_validation_score(method, rel):
    x, truth = _planted()
    d = derive_clusters(x, k=3, method=method, relatedness_method=rel, seed=7)
    assert _same_partition(d.assignments, truth)
    assert d.validation.vs == 1.0
    assert d.validation.within > d.validation.between
    assert sorted(d.assignments.unique()) == ["C01", "C02", "C03"]
    assert d.assignments.iloc[0] == "C01"


def test_long_frame_input_and_definitions_round_trip():
    x, truth = _planted(2)
    long = x.rename_axis("region").reset_index().melt(
        id_vars="region", var_name="industry", value_name="employment")
    d = derive_clusters(long, k=3, region="region", industry="industry",
                        value="employment")
    assert _same_partition(d.assignments, truth)
    defs = d.to_definitions("derived-test", industry_scheme="synthetic")
    assert len(defs.table) == 12 and defs.scheme == "derived-test"
    agg = defs.aggregate(long)
    total = agg.groupby("region")["employment"].sum()
    np.testing.assert_allclose(total.loc[x.index], x.sum(axis=1))


def test_input_output_links_can_drive_the_grouping():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.lognormal(0, 1, size=(20, 6)), columns=list("abcdef"))
    io = pd.DataFrame(0.0, index=list("abcdef"), columns=list("abcdef"))
    for p, q in [("a", "b"), ("b", "c"), ("a", "c"), ("d", "e"), ("e", "f"), ("d", "f")]:
        io.loc[p, q] = 100.0
    d = derive_clusters(x, k=2, io=io, io_weight=1.0)
    assert _same_partition(d.assignments, dict(zip("abcdef", [0, 0, 0, 1, 1, 1],
                                                   strict=True)))
    assert d.io_weight == 1.0
    with pytest.raises(SchemaError, match="lacks"):
        derive_clusters(x, k=2, io=io.drop(index="f"))


def test_validation_scores_hand_example_and_singleton():
    s = pd.DataFrame([[1, .9, .1, .2, .3], [.9, 1, .2, .1, .3], [.1, .2, 1, .8, .1],
                      [.2, .1, .8, 1, .1], [.3, .3, .1, .1, 1]],
                     index=list("abcde"), columns=list("abcde"))
    v = validation_scores(s, pd.Series(list("XXYYZ"), index=list("abcde")))
    ind = v.industries.set_index("industry")
    assert ind.loc["a", "own"] == pytest.approx(0.9)
    # a: mean to Y = (.1 + .2)/2 = .15, to Z = .3 -> best other .3 (Z)
    assert ind.loc["a", "best_other"] == pytest.approx(0.3)
    assert ind.loc["a", "best_other_cluster"] == "Z"
    assert not ind.loc["e", "consistent"]  # singleton: no own relatedness
    assert v.vs == pytest.approx(4 / 5)
    # within pairs: ab .9, cd .8 -> .85; between: the other 8 pairs
    assert v.within == pytest.approx(0.85)
    assert v.between == pytest.approx((.1 + .2 + .3 + .2 + .1 + .3 + .1 + .1) / 8)


def test_errors():
    x, _ = _planted()
    with pytest.raises(SchemaError, match="k"):
        derive_clusters(x, k=12)
    with pytest.raises(SchemaError, match="method"):
        derive_clusters(x, k=3, method="dbscan")
    with pytest.raises(SchemaError, match="at least 3 regions"):
        relatedness(x.iloc[:2])
    flat = x.copy()
    flat["z"] = x.sum(axis=1) * 0.1  # same LQ everywhere
    with pytest.raises(SchemaError, match="same LQ"):
        relatedness(flat)


def test_derived_sector_groups_on_susb_beat_random_groupings():
    """Real data: 51 states x 19 NAICS sectors (SUSB 2021). The derived grouping's
    within-cluster relatedness must exceed that of random groupings of the same sizes."""
    from agglomera.config import Settings

    d = Settings().resolved_data_dir()
    path = d / "us" / "susb_state_by_naics2_2021.csv" if d else None
    if path is None or not path.exists():
        pytest.skip("shared data (us/susb_state_by_naics2_2021.csv) not available; set "
                    "AGGLOMERA_DATA_DIR")
    t = pd.read_csv(path, dtype={"state_fips": str, "naics2": str})
    t = t[(t["state_fips"] != "00") & (t["naics2"] != "99")]
    wide = t.pivot(index="state_name", columns="naics2", values="employment").dropna(
        axis=0)
    res = derive_clusters(wide, k=5)
    v = res.validation
    assert v.within > v.between
    rng = np.random.default_rng(0)
    labels = res.assignments.to_numpy()
    random_within = []
    for _ in range(200):
        perm = pd.Series(rng.permutation(labels), index=res.assignments.index)
        random_within.append(validation_scores(res.similarity, perm).within)
    assert v.within > np.quantile(random_within, 0.95)
