"""REST API on a real DuckDB file (the bundled demo database), through TestClient.

Expected values come from plain SQL/pandas on the same file (``SELECT *`` then pandas
filters), never from the endpoint's own query; writes are checked with a checksum of
every table before and after.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from agglomera.config import Settings
from agglomera.store import open_store
from agglomera.web import create_app
from agglomera.web.deps import create_token

from .conftest import snapshot

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def frame(client: TestClient, sql: str, params=()) -> pd.DataFrame:
    with client.app.state.db.reader() as cur:
        return cur.execute(sql, list(params)).df()


def assert_problem(r, status: int, slug: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    assert body["instance"] == r.request.url.path
    if slug:
        assert body["type"] == f"/problems/{slug}"
    return body


def walk(client: TestClient, url: str) -> list[dict]:
    """Follow ``next`` links to the end; return every item."""
    items: list[dict] = []
    while url:
        body = client.get(url).json()
        items.extend(body["items"])
        url = body["next"]
    return items


# ---- schema and meta ---------------------------------------------------------------------
def test_openapi_lists_every_resource(ro_client):
    paths = set(ro_client.get("/openapi.json").json()["paths"])
    for p in ("/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/industries",
              "/api/v1/observations", "/api/v1/metrics", "/api/v1/compare",
              "/api/v1/measures", "/api/v1/measures/results", "/api/v1/measures/{run_id}",
              "/api/v1/evaluations", "/api/v1/clusters", "/api/v1/clusters/ratings",
              "/api/v1/clusters/strength", "/api/v1/targets", "/api/v1/targets/checks",
              "/api/v1/screening", "/api/v1/screening/programmes", "/api/v1/geo/{level}",
              "/api/v1/imports", "/api/v1/sources", "/api/v1/info"):
        assert p in paths, p
    assert ro_client.get("/docs").status_code == 200


def test_docs_page_is_served_offline(ro_client):
    import re

    html = ro_client.get("/docs").text
    assert "SwaggerUIBundle" in html and "/openapi.json" in html
    refs = re.findall(r'(?:src|href)=["\']([^"\']+)', html)
    assert refs and not [r for r in refs if r.startswith(("http:", "https:", "//"))], refs
    for r in refs:
        got = ro_client.get(r)
        assert got.status_code == 200 and len(got.content) > 500, r


def test_info_counts_match_the_tables(ro_client):
    body = ro_client.get("/api/v1/info").json()
    n = frame(ro_client, "SELECT * FROM observations_data")
    assert body["counts"]["observations_data"] == len(n)
    assert body["years"] == {"first": int(n["year"].min()), "last": int(n["year"].max())}
    assert body["read_only"] is True
    assert body["schema_version"] >= 3


def test_problem_types_are_described(ro_client):
    body = ro_client.get("/problems/import-rejected").json()
    assert body["type"] == "/problems/import-rejected" and body["description"]
    assert_problem(ro_client.get("/problems/nope"), 404, "not-found")


# ---- regions and industries ------------------------------------------------------------------
def test_regions_filter_by_level_matches_pandas(ro_client):
    allr = frame(ro_client, "SELECT * FROM regions")
    expected = sorted(allr.loc[allr["level"] == "province", "code"])
    got = [r["code"] for r in walk(ro_client, "/api/v1/regions?level=province&limit=7")]
    assert got == expected
    assert len(expected) == 34


def test_pagination_walks_every_row_once(ro_client):
    first = ro_client.get("/api/v1/regions?limit=10&offset=0").json()
    allr = frame(ro_client, "SELECT code FROM regions")
    assert first["total"] == len(allr)
    assert len(first["items"]) == 10 and "offset=10" in first["next"]
    codes = [r["code"] for r in walk(ro_client, "/api/v1/regions?limit=10")]
    assert sorted(codes) == sorted(allr["code"]) and len(codes) == len(set(codes))
    last = ro_client.get(f"/api/v1/regions?limit=10&offset={len(allr)}").json()
    assert last["items"] == [] and last["next"] is None


def test_region_search_and_detail(ro_client):
    found = ro_client.get("/api/v1/regions", params={"q": "辽宁"}).json()["items"]
    assert "210000" in [r["code"] for r in found]
    body = ro_client.get("/api/v1/regions/210000").json()
    assert body["name_en"] == "Liaoning" and "辽宁" in body["aliases"]
    obs = frame(ro_client, "SELECT * FROM observations_data")
    mine = obs[obs["region_code"] == "210000"]
    exp = mine.groupby(["metric", "unit"]).agg(n=("year", "size"), last=("year", "max"))
    got = {(m["metric"], m["unit"]): (m["n"], m["last_year"]) for m in body["metrics"]}
    assert got == {k: (int(v.n), int(v.last)) for k, v in exp.iterrows()}
    assert_problem(ro_client.get("/api/v1/regions/999999"), 404, "not-found")


def test_regions_with_data(ro_client):
    obs = frame(ro_client, "SELECT DISTINCT region_code FROM observations_data")
    got = walk(ro_client, "/api/v1/regions?has_data=true&limit=1000")
    assert sorted(r["code"] for r in got) == sorted(obs["region_code"])


def test_industries_filter(ro_client):
    ind = frame(ro_client, "SELECT * FROM industries")
    exp = ind[(ind["scheme"] == "GB/T 4754-2017") & (ind["level"] == "section")]
    got = walk(ro_client, "/api/v1/industries?scheme=GB/T%204754-2017&level=section")
    assert sorted(r["code"] for r in got) == sorted(exp["code"])
    assert len(got) == 20  # sections A-T


# ---- observations -------------------------------------------------------------------------
def test_observations_filters_match_pandas(ro_client):
    obs = frame(ro_client, "SELECT * FROM observations")
    sel = obs[obs["region_code"].isin(["210000", "220000"]) & (obs["metric"] == "gdp")
              & obs["year"].between(1997, 2003)]
    got = walk(ro_client, "/api/v1/observations?region=210000&region=220000&metric=gdp"
                          "&year_from=1997&year_to=2003&limit=3")
    key = lambda r: (r["region_code"], r["year"], r["source_id"])  # noqa: E731
    assert sorted(map(key, got)) == sorted(zip(sel["region_code"], sel["year"],
                                               sel["source_id"]))
    assert len(got) > 6
    exp = {(r.region_code, r.year, r.source_id): r.value for r in sel.itertuples()}
    for r in got:
        assert r["value"] == pytest.approx(exp[key(r)])


def test_missing_values_stay_null(ro_client):
    obs = frame(ro_client, "SELECT * FROM observations_data WHERE value IS NULL")
    if obs.empty:
        pytest.skip("the demo database has no missing values")
    row = obs.iloc[0]
    got = ro_client.get("/api/v1/observations", params={
        "region": row.region_code, "metric": row.metric, "year": int(row.year),
        "industry": row.industry_code, "source_id": int(row.source_id)}).json()
    assert got["total"] >= 1 and all(r["value"] is None for r in got["items"]
                                      if r["table_ref"] == row.table_ref)


def test_observations_csv_equals_json(ro_client):
    params = {"region": "210000", "metric": "gdp"}
    js = walk(ro_client, "/api/v1/observations?region=210000&metric=gdp&limit=5")
    r = ro_client.get("/api/v1/observations", params={**params, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(js) > 0
    for a, b in zip(rows, js):
        assert a["region_code"] == b["region_code"] and int(a["year"]) == b["year"]
        assert float(a["value"]) == pytest.approx(b["value"])


def test_metrics_list(ro_client):
    obs = frame(ro_client, "SELECT * FROM observations WHERE region_level = 'province'")
    exp = obs.groupby(["metric", "unit"])["region_code"].nunique()
    got = walk(ro_client, "/api/v1/metrics?region_level=province&limit=50")
    assert {(m["metric"], m["unit"]): m["regions"] for m in got} == exp.to_dict()
    m = next(m for m in got if m["metric"] == "gdp")
    years = sorted(obs.loc[obs["metric"] == "gdp", "year"].unique())
    assert m["years"] == [int(y) for y in years]


def test_compare_two_regions(ro_client):
    body = ro_client.get("/api/v1/compare?region=210000&region=320000&metric=gdp").json()
    obs = frame(ro_client, "SELECT * FROM observations")
    sel = obs[obs["region_code"].isin(["210000", "320000"]) & (obs["metric"] == "gdp")
              & (obs["industry_code"] == "_T")]
    assert body["industry"] == "_T" and body["total"] == len(sel) > 0
    assert {r["region_code"] for r in body["items"]} == {"210000", "320000"}
    r = ro_client.get("/api/v1/compare?region=210000&region=320000&metric=gdp&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(sel)


def test_compare_limits(ro_client):
    provinces = [r["code"] for r in walk(ro_client, "/api/v1/regions?level=province")]
    many = "&".join(f"region={c}" for c in provinces[:11])
    body = assert_problem(ro_client.get(f"/api/v1/compare?{many}&metric=gdp"), 422,
                          "invalid-input")
    assert "got 11" in body["detail"]
    ok = "&".join(f"region={c}" for c in provinces[:10])
    assert ro_client.get(f"/api/v1/compare?{ok}&metric=gdp").status_code == 200
    assert_problem(ro_client.get("/api/v1/compare?region=ZZ9&metric=gdp"), 404)
    assert_problem(ro_client.get("/api/v1/compare?metric=gdp"), 422, "validation")


def test_sources(ro_client):
    src = frame(ro_client, "SELECT * FROM sources")
    got = walk(ro_client, "/api/v1/sources")
    assert sorted(s["sha256"] for s in got) == sorted(src["sha256"])


# ---- measures, evaluations, clusters, targets ---------------------------------------------------
@pytest.fixture
def results_client(db_copy, make_client):
    """A database with stored measure, evaluation, cluster and target rows."""
    with open_store(db_copy) as store:
        lq = pd.DataFrame({"region": ["210000", "220000"], "industry": ["C", "C"],
                           "year": [2007, 2007], "lq": [1.25, 0.8]})
        store.save_measure("location_quotient", lq, parameters="{}", input_desc="test",
                           columns={"region": "region_code", "industry": "industry_code"})
        comp = pd.DataFrame({"region": ["210000", "220000", "230000"],
                             "score": [0.7, 0.5, float("nan")]})
        store.save_measure("evaluate.composite", comp, parameters="{}", input_desc="t",
                           columns={"region": "region_code"})
        con = store.con
        con.execute("INSERT INTO cluster_definitions VALUES "
                    "('web-test', 'AUTO', 'Auto parts', '汽车零部件', "
                    "'GB/T 4754-2017', '36', true, 'test'), "
                    "('web-test', 'FOOD', 'Food', '食品', 'GB/T 4754-2017', '14', "
                    "false, 'test')")
        con.execute("INSERT INTO cluster_rating_runs VALUES (9001, 'us-cmp', '{}', 't', "
                    "now(), '0')")
        con.execute("INSERT INTO cluster_ratings VALUES "
                    "(9001, 'us-cmp', '220000', 'AUTO', 2017, 'strong', true, 0.9, 1000, 2.1),"
                    "(9001, 'us-cmp', '210000', 'AUTO', 2017, 'qualifying', false, 0.4, 50, "
                    "0.7)")
        con.execute("INSERT INTO cluster_region_strength VALUES "
                    "(9001, '220000', 2017, 5000, 1000, 0.2)")
        con.execute("INSERT INTO plan_targets VALUES ('web-test-plan', 'tier-100bn', "
                    "'count', NULL, '>100bn', NULL, 8, 'clusters', 2017, 'plan')")
        con.execute("INSERT INTO target_checks VALUES (9001, 'web-test-plan', 'tier-100bn', 6, "
                    "2016, 0.75, 7.5, 'behind', now())")
    return make_client()


def test_measures_and_results(results_client):
    c = results_client
    runs = [r for r in c.get("/api/v1/measures?limit=10000").json()["items"]
            if r["input"] in ("test", "t")]
    assert [r["measure"] for r in runs] == ["location_quotient", "evaluate.composite"]
    vals = c.get("/api/v1/measures/results?measure=location_quotient").json()["items"]
    assert {(v["region_code"], v["statistic"]): v["value"] for v in vals} == {
        ("210000", "lq"): 1.25, ("220000", "lq"): 0.8}
    one = c.get(f"/api/v1/measures/{runs[0]['run_id']}").json()
    assert one["statistics"] == [{"statistic": "lq", "n": 2, "n_values": 2}]
    assert_problem(c.get("/api/v1/measures/9999"), 404, "not-found")


def test_evaluations_only_show_evaluation_measures(results_client):
    everything = results_client.get("/api/v1/evaluations?limit=10000").json()["items"]
    assert "location_quotient" not in {i["measure"] for i in everything}
    items = results_client.get("/api/v1/evaluations?measure=evaluate.composite").json()[
        "items"]
    by = {i["region_code"]: i["value"] for i in items}
    assert by == {"210000": 0.7, "220000": 0.5, "230000": None}  # NaN -> null
    one = results_client.get("/api/v1/evaluations?region=220000"
                             "&measure=evaluate.composite").json()
    assert one["total"] == 1


def test_clusters_and_targets(results_client):
    c = results_client
    got = c.get("/api/v1/clusters?scheme=web-test").json()["items"]
    assert [d["cluster_code"] for d in got] == ["AUTO", "FOOD"]
    assert c.get("/api/v1/clusters?scheme=web-test&q=食品").json()["total"] == 1
    strong = c.get("/api/v1/clusters/ratings?level=strong&run_id=9001").json()["items"]
    assert [(r["region_code"], r["lq"]) for r in strong] == [("220000", 2.1)]
    assert c.get("/api/v1/clusters/ratings?region=210000&run_id=9001").json()[
        "total"] == 1
    st = c.get("/api/v1/clusters/strength?run_id=9001").json()["items"]
    assert st[0]["strength"] == 0.2
    assert c.get("/api/v1/targets?plan=web-test-plan").json()["items"][0][
        "target_value"] == 8
    chk = c.get("/api/v1/targets/checks?plan=web-test-plan&status=behind").json()["items"]
    assert chk[0]["progress"] == 0.75


def test_missing_table_is_a_problem(tmp_path):
    """A schema-2 database served read-only has no cluster tables: 404 naming the table."""
    from agglomera.bundled import nbs_files
    from agglomera.ingest import import_files
    from agglomera.store import db as dbmod

    path = tmp_path / "v2.duckdb"
    old = dbmod.MIGRATIONS
    try:
        dbmod.MIGRATIONS = [m for m in old if m.version <= 2]
        with open_store(path) as store:
            import_files(store, nbs_files()[:1])
    finally:
        dbmod.MIGRATIONS = old
    with TestClient(create_app(path, read_only=True)) as c:
        body = assert_problem(c.get("/api/v1/clusters/ratings"), 404, "missing-table")
        assert "cluster_ratings" in body["detail"]
        assert c.get("/api/v1/regions?limit=1").status_code == 200


# ---- screening --------------------------------------------------------------------------------
def test_screening_programmes_match_rules(ro_client):
    from agglomera.screening.rules import load_rules

    body = ro_client.get("/api/v1/screening/programmes").json()
    assert [p["id"] for p in body["items"]] == [p.id for p in load_rules().programmes]


def test_screening_needs_enterprises(ro_client):
    body = assert_problem(ro_client.get(
        "/api/v1/screening?programme=hnte-2016&application_year=2024"), 422)
    assert "enterprises" in body["detail"]
    assert_problem(ro_client.get(
        "/api/v1/screening?programme=nope&application_year=2024"), 422, "invalid-input")


def test_screening_equals_the_library(db_copy, tmp_path):
    from agglomera.ingest import import_files
    from agglomera.screening.engine import screen_all
    from agglomera.screening.outputs import results_frame
    from agglomera.screening.records import records_from_db
    from agglomera.screening.rules import load_rules

    src = tmp_path / "ent.csv"
    src.write_text("统一社会信用代码,企业名称,地区,年份,从业人员,营业收入,科技人员数,研发费用\n"
                   "E1,Acme,沈阳市,2022,100,50000000,12,3000000\n"
                   "E1,Acme,沈阳市,2023,100,55000000,15,3500000\n"
                   "E2,Beta,长春市,2023,40,8000000,2,100000\n", encoding="utf-8")
    import_files(db_copy, [src], kind="enterprises")
    expected = results_frame(screen_all(records_from_db(db_copy), load_rules(),
                                        ["hnte-2016"], application_year=2024))
    with TestClient(create_app(db_copy)) as c:
        body = c.get("/api/v1/screening?programme=hnte-2016&application_year=2024").json()
    got = {i["firm_id"]: (i["eligible"], i["rank"]) for i in body["items"]}
    assert got == {r.firm_id: (r.eligible, r.rank) for r in expected.itertuples()}
    assert body["total"] == 2


# ---- geo ---------------------------------------------------------------------------------------
def test_geo_provinces_match_boundaries(ro_client):
    from agglomera.geo import boundaries

    r = ro_client.get("/api/v1/geo/province")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert sorted(f["id"] for f in fc["features"]) == sorted(boundaries(level="province")
                                                             ["code"])
    one = ro_client.get("/api/v1/geo/province?codes=210000&codes=220000").json()
    assert [f["properties"]["name_en"] for f in one["features"]] == ["Liaoning", "Jilin"]
    assert_problem(ro_client.get("/api/v1/geo/county"), 422, "validation")
    assert_problem(ro_client.get("/api/v1/geo/province?codes=999999"), 422)


# ---- writes --------------------------------------------------------------------------------------
GOOD_CSV = ("region,year,metric,value,unit\n"
            "辽宁,2030,employment,1.5,万人\n"
            "吉林,2030,employment,2.25,万人\n").encode("utf-8")
BAD_CSV = ("region,year,metric,value,unit\n"
           "辽宁,2030,employment,1.5,万人\n"
           "Atlantis,2030,employment,abc,万人\n").encode("utf-8")


def test_import_without_or_with_a_wrong_token_changes_nothing(make_client, token):
    c = make_client()
    before = snapshot(c)
    r = c.post("/api/v1/imports?filename=a.csv", content=GOOD_CSV)
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    r = c.post("/api/v1/imports?filename=a.csv", content=GOOD_CSV,
               headers={"Authorization": f"Bearer {wrong}"})
    assert_problem(r, 401, "unauthorized")
    assert snapshot(c) == before


def test_import_with_token_loads_the_rows(make_client, token):
    c = make_client()
    before = c.get("/api/v1/observations?year=2030").json()["total"]
    assert before == 0
    r = c.post("/api/v1/imports?filename=new.csv", content=GOOD_CSV,
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rows_accepted"] == 2 and body["imported_by"] == "tester"
    got = c.get("/api/v1/observations?year=2030&metric=employment").json()["items"]
    assert {g["region_code"]: g["value"] for g in got} == {"210000": 15000.0,
                                                          "220000": 22500.0}
    # the same file again is skipped (idempotent import), nothing added
    again = c.post("/api/v1/imports?filename=new.csv", content=GOOD_CSV,
                   headers={"X-API-Token": token}).json()
    assert again["outcomes"][0]["status"] == "skipped"
    assert c.get("/api/v1/observations?year=2030").json()["total"] == 2


def test_malformed_upload_returns_the_validation_report(make_client, token):
    c = make_client()
    before = snapshot(c)
    r = c.post("/api/v1/imports?filename=bad.csv", content=BAD_CSV,
               headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(r, 422, "import-rejected")
    rules = {p["rule"] for p in body["problems"]}
    assert "unknown_region" in rules
    assert any(p["row"] == 3 for p in body["problems"])
    assert snapshot(c) == before
    # damaged workbook, empty body, wrong extension
    r = c.post("/api/v1/imports?filename=x.xlsx", content=b"PK\x03\x04garbage",
               headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 422, "import-rejected")
    assert_problem(c.post("/api/v1/imports?filename=e.csv", content=b"",
                          headers={"Authorization": f"Bearer {token}"}), 422)
    assert_problem(c.post("/api/v1/imports?filename=evil.exe", content=GOOD_CSV,
                          headers={"Authorization": f"Bearer {token}"}), 415)
    assert snapshot(c) == before


def test_oversized_upload_is_refused(make_client, token):
    c = make_client(settings=Settings(max_upload_bytes=100))
    before = snapshot(c)
    big = GOOD_CSV + b"x" * 200
    r = c.post("/api/v1/imports?filename=big.csv", content=big,
               headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(r, 413, "payload-too-large")
    assert body["limit"] == 100

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(10):
            yield b"y" * 50

    r = c.post("/api/v1/imports?filename=big.csv", content=chunks(),
               headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 413, "payload-too-large")
    assert snapshot(c) == before


def test_read_only_server_refuses_writes(make_client, token):
    c = make_client(read_only=True)
    before = snapshot(c)
    r = c.post("/api/v1/imports?filename=a.csv", content=GOOD_CSV,
               headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 409, "read-only")
    assert snapshot(c) == before


def test_tokens_are_stored_hashed(db_copy):
    with open_store(db_copy) as store:
        t1 = create_token(store, "a")
        t2 = create_token(store, "b")
        rows = store.con.execute("SELECT name, token_sha256 FROM api_tokens "
                                 "ORDER BY name").fetchall()
        dump = json.dumps(store.con.execute("SELECT * FROM api_tokens").fetchall(),
                          default=str)
    assert t1 != t2 and t1.startswith("agg_") and len(t1) > 40
    assert rows == [("a", hashlib.sha256(t1.encode()).hexdigest()),
                    ("b", hashlib.sha256(t2.encode()).hexdigest())]
    assert t1 not in dump and t2 not in dump


def test_reads_cannot_write_even_through_the_cursor(make_client):
    """Each read runs in a read-only transaction on its own cursor."""
    c = make_client()
    import duckdb

    with c.app.state.db.reader() as cur:
        with pytest.raises(duckdb.Error, match="read-only"):
            cur.execute("DELETE FROM regions")


def test_server_on_missing_database_is_an_error(tmp_path):
    from agglomera.errors import AgglomeraError

    with pytest.raises(AgglomeraError, match="does not exist"):
        create_app(tmp_path / "none.duckdb")


def test_ro_copy_is_independent(demo_db, tmp_path):
    """Two read-only servers may share one file (DuckDB allows many readers)."""
    path = tmp_path / "shared.duckdb"
    shutil.copy(demo_db, path)
    with TestClient(create_app(path, read_only=True)) as a, \
            TestClient(create_app(path, read_only=True)) as b:
        assert a.get("/api/v1/info").json() == b.get("/api/v1/info").json()


@pytest.mark.slow
def test_geo_prefectures_match_boundaries(ro_client):
    from agglomera.geo import boundaries

    codes = ["210100", "210200", "220100"]
    fc = ro_client.get("/api/v1/geo/prefecture",
                       params=[("codes", c) for c in codes]).json()
    assert [f["id"] for f in fc["features"]] == codes
    ref = boundaries(level="prefecture", codes=codes)
    assert [f["properties"]["name_zh"] for f in fc["features"]] == list(ref["name_zh"])
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])


def test_results_stored_by_the_library_come_back_unchanged(db_copy):
    """Ratings saved by agglomera.clusters and a plan saved by agglomera.evaluate are
    served as stored (the demo's own us-cmp rating of CSY2007 table 5-12)."""
    from agglomera.clusters import rate
    from agglomera.clusters.store import save_rating
    from agglomera.evaluate.targets import load_targets, save_plan

    with open_store(db_copy) as store:
        emp = store.con.execute(
            "SELECT region_code AS region, industry_code AS cluster, value AS employment "
            "FROM observations WHERE table_ref = 'CSY2007-5-12' AND industry_code <> '_T' "
            "AND region_level = 'province' AND unit = 'persons'").df()
        result = rate(emp, preset="us-cmp")
        run = save_rating(store, result, input_desc="web test")
        plan = load_targets("jilin-2017")
        save_plan(store, plan)
    flags = result.to_frame()
    with TestClient(create_app(db_copy)) as c:
        strong = c.get(f"/api/v1/clusters/ratings?run_id={run}&level=strong"
                       "&limit=10000").json()
        assert strong["total"] == len(flags)
        got = {(r["region_code"], r["cluster_code"]): r["flag"] for r in strong["items"]}
        exp = {(str(r.region), str(r.cluster)): bool(r.strong)
               for r in flags.itertuples()}
        assert got == exp
        st = c.get(f"/api/v1/clusters/strength?run_id={run}&limit=1000").json()["items"]
        ref = result.region_strength.set_index("region")["strength"]
        assert {s["region_code"]: s["strength"] for s in st} == pytest.approx(
            {str(k): (None if v != v else float(v)) for k, v in ref.items()}, nan_ok=True)
        tg = c.get(f"/api/v1/targets?plan={plan.name}&limit=1000").json()
        assert tg["total"] == len(plan.targets)
        assert sorted(t["target_id"] for t in tg["items"]) == sorted(
            plan.targets["target_id"])


def test_upload_limit_comes_from_the_environment(db_copy, token, monkeypatch):
    monkeypatch.setenv("AGGLOMERA_MAX_UPLOAD_BYTES", "64")
    with TestClient(create_app(db_copy)) as c:
        r = c.post("/api/v1/imports?filename=a.csv", content=GOOD_CSV,
                   headers={"Authorization": f"Bearer {token}"})
        assert assert_problem(r, 413, "payload-too-large")["limit"] == 64
        assert "64" in c.get("/import").text


@pytest.mark.parametrize("path", ["/", "/regions/210000", "/clusters", "/compare?region=210000",
                                  "/map", "/import"])
def test_pages_render_in_both_languages(ro_client, path):
    sep = "&" if "?" in path else "?"
    zh = ro_client.get(f"{path}{sep}lang=zh")
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.text
    assert "地图浏览" in zh.text and zh.cookies.get("agglomera_lang") == "zh"
    en = ro_client.get(path, headers={"Accept-Language": "en-US"},
                       cookies={"agglomera_lang": "en"})
    assert '<html lang="en">' in en.text and "Map explorer" in en.text
    assert 'src="/static/plotly.min.js"' in en.text and "cdn" not in en.text.lower()
    assert_problem(ro_client.get(f"{path}{sep}lang=fr"), 422, "validation")


def test_plotly_is_served_from_the_package(ro_client):
    from plotly.offline import get_plotlyjs

    r = ro_client.get("/static/plotly.min.js")
    assert r.status_code == 200 and r.text == get_plotlyjs()
    assert_problem(ro_client.get("/regions/999999"), 404, "not-found")


def test_pages_send_a_content_security_policy(ro_client):
    r = ro_client.get("/map")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in ro_client.get("/api/v1/info").headers


def test_csv_export_streams_every_row_in_batches(ro_client, monkeypatch):
    from agglomera.web.routes import _common

    monkeypatch.setattr(_common, "CSV_BATCH", 97)  # many batches on the demo data
    r = ro_client.get("/api/v1/observations?format=csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    obs = frame(ro_client, "SELECT region_code, metric, year, source_id, value "
                           "FROM observations")
    assert len(rows) == len(obs) > 97 * 10
    got = sorted((x["region_code"], x["metric"], int(x["year"]), int(x["source_id"]))
                 for x in rows)
    assert got == sorted(zip(obs["region_code"], obs["metric"], obs["year"].astype(int),
                             obs["source_id"].astype(int)))
    assert sum(x["value"] == "" for x in rows) == int(obs["value"].isna().sum())
