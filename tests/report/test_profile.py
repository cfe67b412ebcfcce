"""Numbers of the region profile against hand computations from the raw observations
and against the independent implementations in agglomera.measures / agglomera.evaluate."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from agglomera.errors import SchemaError
from agglomera.report import build_profile


def _obs(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def test_region_and_benchmark_resolved_from_names(profile):
    assert profile.region["code"] == "220000"
    assert profile.benchmark["code"] == "320000"
    assert list(profile.sections) == ["indicators", "portfolio", "maps", "similarity",
                                      "shift_share", "ratings", "targets", "candidates",
                                      "methods"]


@pytest.mark.parametrize("label", ["220000", "吉林省", "Jilin", "jilin province"])
def test_region_by_code_or_name(demo_db, label):
    from agglomera.report.profile import resolve_region
    from agglomera.store import open_store

    with open_store(demo_db, read_only=True) as store:
        assert resolve_region(store, label)["code"] == "220000"


def test_unknown_region_suggests_the_closest(demo_db):
    with pytest.raises(SchemaError, match=r"no region matches 'Jilln'.*did you mean.*220000"):
        build_profile(demo_db, "Jilln")


def test_benchmark_must_differ(demo_db):
    with pytest.raises(SchemaError, match="must differ"):
        build_profile(demo_db, "220000", benchmark="吉林")


def test_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(SchemaError, match="no such database"):
        build_profile(tmp_path / "none.duckdb", "220000")


def test_indicators_match_the_yearbook_values(profile):
    ind = profile.sections["indicators"].tables["indicators"].set_index("metric")
    # CQYB2008 appendix 3 (2007): GDP Jilin 5,226.0 and Jiangsu 25,560.0 (100 m yuan);
    # GDP per capita 19,168 and 33,689 yuan
    gdp = ind.loc["gdp"]
    assert gdp.year == 2007
    assert gdp.region == pytest.approx(5226.0e8)
    assert gdp.benchmark == pytest.approx(25560.0e8)
    assert gdp.ratio == pytest.approx(5226.0 / 25560.0)
    assert gdp.gap == pytest.approx((5226.0 - 25560.0) * 1e8)
    assert ind.loc["per_capita_gdp"].ratio == pytest.approx(19168 / 33689)


def test_indicator_ranks_recomputed_from_all_provinces(profile, demo_db):
    ind = profile.sections["indicators"].tables["indicators"]
    for r in ind.dropna(subset=["rank"]).head(6).itertuples():
        vals = _obs(demo_db, "SELECT region_code, first(value ORDER BY table_ref) v "
                    "FROM observations WHERE metric = ? AND year = ? AND table_ref = ? "
                    "AND industry_code = '_T' AND region_level = 'province' AND value "
                    "IS NOT NULL GROUP BY region_code", [r.metric, r.year, r.table_ref])
        mine = vals.loc[vals.region_code == "220000", "v"].iat[0]
        assert r.rank == 1 + int((vals.v > mine).sum()), r.metric
        assert r.provinces_ranked == len(vals)


def test_indicator_ratio_agrees_with_evaluate_benchmark_gap(profile):
    from agglomera.evaluate import benchmark_gap

    ind = profile.sections["indicators"].tables["indicators"].head(4)
    frame = pd.DataFrame({"region": ["220000", "320000"],
                          **{m: [a, b] for m, a, b in zip(ind.metric, ind.region,
                                                          ind.benchmark, strict=True)}})
    gap = benchmark_gap(frame, region="220000", against="320000",
                        indicators=list(ind.metric), polarity=["higher"] * len(ind),
                        year=None).gaps
    np.testing.assert_allclose(gap.loc[list(ind.metric), "ratio"], ind.ratio, rtol=1e-12)


def test_portfolio_lq_by_hand_and_by_location_quotient(profile, demo_db):
    from agglomera.measures import location_quotient

    port = profile.sections["portfolio"].tables["portfolio"].set_index("industry")
    assert port.metric.iat[0] == "employed_persons_year_end"
    assert (port.start.iat[0], port.end.iat[0]) == (1998, 2007)
    raw = _obs(demo_db, "SELECT region_code, industry_code, year, value FROM observations "
               "WHERE table_ref IN ('CSY1999-5-3', 'CSY2008-4-4') AND metric = "
               "'employed_persons_year_end' AND industry_code IN ('I', 'II', 'III') "
               "AND region_code IN ('220000', '100000')")
    for y, col in ((1998, "lq_start"), (2007, "lq_end")):
        w = raw[raw.year == y].pivot(index="industry_code", columns="region_code",
                                     values="value")
        hand = (w["220000"] / w["220000"].sum()) / (w["100000"] / w["100000"].sum())
        np.testing.assert_allclose(port.loc[hand.index, col], hand, rtol=1e-12)
        lq = location_quotient(raw[raw.year == y], region="region_code",
                               industry="industry_code", value="value", base="100000")
        lq = lq[lq.region_code == "220000"].set_index("industry_code")["location_quotient"]
        np.testing.assert_allclose(port.loc[lq.index, col], lq, rtol=1e-12)
    # primary industry: LQ 0.969 -> 1.147 (star); secondary 0.889 -> 0.729 (transforming)
    assert port.loc["I", "quadrant"] == "star"
    assert port.loc["II", "quadrant"] == "transforming"
    assert port.loc["III", "quadrant"] == "mature"
    assert port.loc["I", "size"] == pytest.approx(513.4e4)


def test_shift_share_adds_up_and_matches_hand_values(profile, demo_db):
    ss = profile.sections["shift_share"].tables["shift_share"].set_index("region_code")
    comp = ss[["national_share", "industry_mix", "regional_shift"]].sum(axis=1)
    np.testing.assert_allclose(comp, ss.change, rtol=1e-9)
    raw = _obs(demo_db, "SELECT region_code, industry_code, year, value FROM observations "
               "WHERE table_ref IN ('CSY1999-5-3', 'CSY2008-4-4') AND metric = "
               "'employed_persons_year_end' AND industry_code IN ('I', 'II', 'III')")
    w = raw.pivot_table(index=["region_code", "industry_code"], columns="year",
                        values="value", aggfunc="first")
    nat = w.loc["100000"]
    g = nat[2007].sum() / nat[1998].sum() - 1
    jl = w.loc["220000"]
    gi = nat[2007] / nat[1998] - 1
    assert ss.loc["220000", "national_share"] == pytest.approx(jl[1998].sum() * g)
    assert ss.loc["220000", "industry_mix"] == pytest.approx((jl[1998] * (gi - g)).sum())
    assert ss.loc["220000", "change"] == pytest.approx(jl[2007].sum() - jl[1998].sum())
    assert ss.reference_growth.iat[0] == pytest.approx(g)


def test_similarity_is_cosine_of_the_raw_values(profile, demo_db):
    sec = profile.sections["similarity"]
    sim = sec.tables["similarity"].set_index("region_code")
    # neighbours by shared border: Inner Mongolia, Liaoning, Heilongjiang
    assert set(sim.index) == {"220000", "150000", "210000", "230000", "320000", "100000"}
    raw = _obs(demo_db, "SELECT region_code, industry_code, value FROM observations WHERE "
               "table_ref = 'CSY2007-5-12' AND industry_code <> '_T' AND unit = 'persons' "
               "AND region_code IN ('220000', '320000')")
    w = raw.pivot(index="industry_code", columns="region_code", values="value")
    a, b = w["220000"].to_numpy(), w["320000"].to_numpy()
    assert sim.loc["220000", "320000"] == pytest.approx(
        a @ b / np.sqrt((a @ a) * (b @ b)), rel=1e-12)
    m = sim[list(sim.index)].to_numpy(dtype=float)
    np.testing.assert_allclose(m, m.T)
    np.testing.assert_allclose(np.diag(m), 1.0)


def test_sections_without_data_say_so(profile):
    ratings = profile.sections["ratings"]
    assert ratings.empty and "No cluster ratings are stored" in ratings.notes[0].en
    cand = profile.sections["candidates"]
    assert cand.empty and "No enterprise records" in cand.notes[0].en
    assert "企业" in cand.notes[0].zh


def test_plan_targets_of_jilin_with_the_plans_own_mismatch(profile):
    sec = profile.sections["targets"]
    targets = sec.tables["targets"]
    # 1 total + 4 output tiers + 13 categories + output level + output share
    assert len(targets) == 20 and set(targets.plan) == {"jilin-2017"}
    assert set(targets.status) == {"no_data"}  # no actual values stored
    cons = sec.tables["targets_consistency"]
    row = cons[cons.kind == "category_sum"].iloc[0]
    assert (row.expected, row.got) == (162.0, 160.0)
    assert any("160" in n.en and "162" in n.en for n in sec.notes)


def test_no_plan_for_another_region(demo_db):
    prof = build_profile(demo_db, "辽宁", benchmark="320000", year=2008)
    sec = prof.sections["targets"]
    assert sec.empty and "No plan targets are known" in sec.notes[0].en
    # --year limits every section: nothing after 2008
    ind = prof.sections["indicators"].tables["indicators"]
    assert ind.year.max() <= 2008


def test_maps_values_are_the_stored_province_values(profile, demo_db):
    sec = profile.sections["maps"]
    frame = sec.tables["map_provinces"]
    assert len(frame) == 34  # every province boundary, missing values kept missing
    metric, year = sec.extra["metric"], sec.extra["year"]
    raw = _obs(demo_db, "SELECT region_code, value FROM observations WHERE metric = ? AND "
               "year = ? AND industry_code = '_T' AND region_level = 'province'",
               [metric, year]).groupby("region_code").value.first()
    got = frame.set_index("code")["value"]
    np.testing.assert_allclose(got[raw.index], raw)
    assert got.drop(raw.index).isna().all()
    assert any("prefecture" in n.en.lower() for n in sec.notes)


def test_candidates_screen_the_regions_enterprises(demo_db, tmp_path):
    import shutil

    from agglomera.ingest import import_files
    from agglomera.screening.engine import screen_all
    from agglomera.screening.outputs import summary
    from agglomera.screening.records import normalise_records
    from agglomera.screening.rules import load_rules

    db = tmp_path / "with_firms.duckdb"
    shutil.copy(demo_db, db)
    src = tmp_path / "firms.csv"
    src.write_text("统一社会信用代码,企业名称,地区,年份,从业人员,科技人员数\n"
                   "J1,Changchun A,长春市,2016,100,15\n"
                   "J2,Jilin City B,吉林市,2016,50,1\n"
                   "L1,Shenyang C,沈阳市,2016,80,20\n", encoding="utf-8")
    import_files(db, [src], kind="enterprises")
    prof = build_profile(db, "220000", benchmark="320000")
    sec = prof.sections["candidates"]
    counts = sec.tables["candidates_summary"].set_index("programme")
    assert set(counts.firms) == {2}  # the two Jilin firms, not the Shenyang one
    assert set(sec.tables["candidates"].firm_id) == {"J1", "J2"}
    # same counts as the screening library run directly on the two firms
    rules = load_rules()
    ids = [p.id for p in rules.programmes if not p.provisional]
    recs = normalise_records(pd.DataFrame({
        "firm_id": ["J1", "J2"], "fiscal_year": [2016, 2016],
        "total_employees": [100, 50], "st_personnel": [15, 1]}))
    direct = summary(screen_all(recs, rules, ids, application_year=2017)).set_index(
        "programme")
    pd.testing.assert_frame_equal(counts[["eligible", "unknown", "not_eligible"]],
                                  direct[["eligible", "unknown", "not_eligible"]],
                                  check_names=False)
    assert "application year 2017" in sec.notes[0].en
    from agglomera.report.render import write_report

    page = write_report(prof, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "J1" in page and "hnte-2016" in page
    sheet = pd.read_excel(write_report(prof, tmp_path / "r.xlsx"),
                          sheet_name="candidates_summary")
    assert list(sheet.firms) == list(counts.firms)


def test_ratings_section_shows_the_stored_run(demo_db, tmp_path):
    import shutil

    from agglomera.clusters import rate
    from agglomera.clusters.store import save_rating
    from agglomera.store import open_store

    db = tmp_path / "rated.duckdb"
    shutil.copy(demo_db, db)
    frame = _obs(db, "SELECT region_code AS region, industry_code AS cluster, value AS "
                 "employment FROM observations WHERE table_ref = 'CSY2007-5-12' AND "
                 "industry_code <> '_T' AND region_level = 'province' AND unit = 'persons'")
    result = rate(frame, preset="us-cmp")
    with open_store(db) as store:
        run = save_rating(store, result, input_desc="CSY2007-5-12 sectors")
    sec = build_profile(db, "220000").sections["ratings"]
    got = sec.tables["ratings"].set_index("cluster_code")
    want = result.to_frame().query("region == '220000'").set_index("cluster")
    assert set(got.run_id) == {run}
    assert sorted(got.index) == sorted(want.index)
    for level in result.levels:
        assert (got.loc[want.index, level].astype(bool)
                == want[level].astype(bool)).all(), level
    np.testing.assert_allclose(got.loc[want.index, "lq"], want.lq)
    # Jilin: transport, storage & post (GB/T 4754-2002 F) is the one strong one, LQ 1.96
    assert got.loc["F", "strong"] and got.loc["F", "lq"] == pytest.approx(1.962, abs=1e-3)
    share = result.region_strength.set_index("region").loc["220000", "strength"]
    assert f"{100 * share:.1f}%" in sec.notes[1].en
    from agglomera.report.render import write_report

    page = write_report(build_profile(db, "220000"), tmp_path / "r.html").read_text("utf-8")
    assert "✓" in page and "Stored rating run" in page
