/* agglomera dashboard: fills the pages from the JSON API (/api/v1). Text from the data
   is always set with textContent, never as HTML. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("page-data").textContent);
  const L = (k) => D.labels[k] || k;
  const zh = D.lang === "zh";
  const MAX_COMPARE = 10;

  // ---- language switch (remembered in a cookie and localStorage) ----------------------
  document.getElementById("lang-switch").addEventListener("click", (e) => {
    const lang = e.currentTarget.dataset.lang;
    document.cookie = "agglomera_lang=" + lang + "; path=/; max-age=31536000; samesite=lax";
    try { localStorage.setItem("agglomera_lang", lang); } catch (_) { /* private mode */ }
    const u = new URL(location.href);
    u.searchParams.delete("lang");
    location.href = u.toString();
  });

  // ---- helpers -------------------------------------------------------------------------
  function apiUrl(path, params) {
    const u = new URL("/api/v1" + path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v === null || v === undefined || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
      else u.searchParams.set(k, v);
    }
    return u.pathname + u.search;
  }
  async function api(path, params) {
    const r = await fetch(apiUrl(path, params));
    const j = await r.json();
    if (!r.ok) { const e = new Error(j.detail || r.statusText); e.status = r.status; throw e; }
    return j;
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function fmt(v, key) {
    if (v === null || v === undefined) return "—";
    if (typeof key === "string" && /(^|_)(year|code|id)$/.test(key)) return String(v);
    if (typeof v === "number") return v.toLocaleString(zh ? "zh-CN" : "en", { maximumFractionDigits: 4 });
    return String(v);
  }
  function fillTable(table, items, cols) {
    table.replaceChildren();
    if (!items || !items.length) {
      const tr = el("tr"); tr.appendChild(el("td", L("common.none_available"), "note"));
      table.appendChild(tr); return;
    }
    const thead = el("thead"), tr = el("tr");
    cols.forEach(([, label]) => tr.appendChild(el("th", label)));
    thead.appendChild(tr); table.appendChild(thead);
    const tbody = el("tbody");
    items.forEach((it) => {
      const row = el("tr");
      cols.forEach(([key]) => {
        const v = typeof key === "function" ? key(it) : it[key];
        row.appendChild(el("td", fmt(v, key), typeof v === "number" ? "num" : ""));
      });
      tbody.appendChild(row);
    });
    table.appendChild(tbody);
  }
  function fillSelect(select, options, value) {
    select.replaceChildren();
    options.forEach(([v, label]) => { const o = el("option", label); o.value = v; select.appendChild(o); });
    if (value !== undefined && options.some(([v]) => v === value)) select.value = value;
  }
  const regionName = (r) => (zh ? (r.region_name || r.name_zh) : (r.region_name_en || r.name_en || r.region_name || r.name_zh)) || r.region_code || r.code;
  const industryLabel = (code, name) => (code === "_T" ? L("common.total") : (name && name !== code ? code + " " + name : code));
  const plotConfig = { responsive: true, displaylogo: false, topojsonURL: "/static/topojson/" };
  const $ = (id) => document.getElementById(id);
  function fail(where, err) {
    const p = el("p", String(err.message || err), "error");
    where.replaceChildren(p);
  }

  // ---- region dashboard ----------------------------------------------------------------
  async function regionPage() {
    const code = D.region.code;
    const info = await api("/regions/" + encodeURIComponent(code));
    // default: a metric with one industry (a total), the longest span of years, most values
    const span = (m) => (m.last_year || 0) - (m.first_year || 0);
    const metrics = info.metrics.slice().sort((a, b) => ((a.industries === 1 ? 0 : 1) - (b.industries === 1 ? 0 : 1))
      || (span(b) - span(a)) || (b.n_values - a.n_values));
    fillTable($("metrics"), info.metrics, [["metric", L("web.metric")], ["unit", L("common.unit")],
      ["n_values", L("web.observations")], ["first_year", L("web.first_year")], ["last_year", L("web.last_year")]]);
    fillSelect($("metric"), metrics.map((m) => [m.metric, m.metric + " (" + m.unit + ")"]));
    let obs = [];
    async function loadMetric() {
      const m = $("metric").value;
      if (!m) { fillTable($("values"), [], []); return; }
      obs = (await api("/observations", { region: code, metric: m, limit: 10000 })).items;
      const inds = [...new Map(obs.map((o) => [o.industry_code, o.industry_name])).entries()];
      fillSelect($("industry"), inds.map(([c, n]) => [c, industryLabel(c, n)]),
        inds.some(([c]) => c === "_T") ? "_T" : undefined);
      draw();
    }
    function draw() {
      const m = $("metric").value, ind = $("industry").value;
      const rows = obs.filter((o) => o.industry_code === ind).sort((a, b) => a.year - b.year);
      const unit = rows.length ? rows[0].unit : "";
      Plotly.react("chart", [{ x: rows.map((r) => r.year), y: rows.map((r) => r.value), type: "scatter", mode: "lines+markers", name: regionName(info) }],
        { title: { text: m }, xaxis: { title: { text: L("common.year") }, tickformat: "d" }, yaxis: { title: { text: unit } }, margin: { t: 40 } }, plotConfig);
      fillTable($("values"), rows, [["year", L("common.year")], ["value", L("common.value")], ["unit", L("common.unit")], ["table_ref", L("common.source")]]);
      $("export-csv").href = apiUrl("/observations", { region: code, metric: m, industry: ind, format: "csv" });
    }
    $("metric").addEventListener("change", loadMetric);
    $("industry").addEventListener("change", draw);
    await loadMetric();
    const side = [
      ["measures", "/measures/results", [["measure", L("web.measure")], ["statistic", L("web.statistic")], ["industry_code", L("common.industry")], ["year", L("common.year")], ["value", L("common.value")]]],
      ["evaluations", "/evaluations", [["measure", L("web.measure")], ["statistic", L("web.statistic")], ["year", L("common.year")], ["value", L("common.value")]]],
      ["ratings", "/clusters/ratings", [["preset", L("web.run")], ["cluster_code", L("web.cluster")], ["year", L("common.year")], ["level", L("web.level")], ["employment", L("common.employment")], ["lq", L("indicator.lq")]]],
    ];
    for (const [id, path, cols] of side) {
      try { fillTable($(id), (await api(path, { region: code, limit: 200 })).items, cols); }
      catch (e) { fillTable($(id), [], []); }
    }
    document.body.dataset.ready = "1";
  }

  // ---- region comparison -----------------------------------------------------------------
  async function comparePage() {
    const chosen = D.regions.slice(0, MAX_COMPARE);
    const regions = (await api("/regions", { has_data: true, limit: 10000 })).items;
    const byCode = new Map(regions.map((r) => [r.code, r]));
    fillSelect($("region-pick"), regions.map((r) => [r.code, r.code + " " + (regionName(r) || "")]));
    let data = null;
    function syncUrl() {
      const u = new URL(location.href);
      u.searchParams.delete("region");
      chosen.forEach((c) => u.searchParams.append("region", c));
      if ($("metric").value) u.searchParams.set("metric", $("metric").value);
      history.replaceState(null, "", u);
    }
    function renderChosen() {
      const ul = $("chosen"); ul.replaceChildren();
      chosen.forEach((c) => {
        const li = el("li", c + " " + (byCode.has(c) ? regionName(byCode.get(c)) : ""));
        li.dataset.code = c;
        const b = el("button", L("web.compare.remove")); b.type = "button";
        b.addEventListener("click", () => { chosen.splice(chosen.indexOf(c), 1); refreshMetrics(); });
        li.append(" ", b); ul.appendChild(li);
      });
      $("add-region").disabled = chosen.length >= MAX_COMPARE;
    }
    async function refreshMetrics() {
      renderChosen();
      if (!chosen.length) { fillSelect($("metric"), []); return draw(); }
      const lists = await Promise.all(chosen.map((c) => api("/metrics", { region: c, limit: 10000 })));
      let common = lists[0].items;
      lists.slice(1).forEach((l) => { const s = new Set(l.items.map((m) => m.metric)); common = common.filter((m) => s.has(m.metric)); });
      // longest span of years first, so the default choice has a time series
      common = common.slice().sort((a, b) => ((b.last_year - b.first_year) - (a.last_year - a.first_year)) || (b.n_values - a.n_values));
      const keep = $("metric").value || D.metric;
      fillSelect($("metric"), common.map((m) => [m.metric, m.metric]), keep);
      await loadData(true);
    }
    async function loadData(resetIndustry) {
      const m = $("metric").value;
      if (!m || !chosen.length) { data = null; return draw(); }
      const ind = resetIndustry ? undefined : $("industry").value;
      data = await api("/compare", { region: chosen, metric: m, industry: ind });
      fillSelect($("industry"), data.industries.map((c) => [c, industryLabel(c)]), data.industry);
      draw();
    }
    function draw() {
      syncUrl();
      if (!data) { Plotly.purge("chart"); fillTable($("values"), [], []); return; }
      const traces = chosen.map((c) => {
        const rows = data.items.filter((r) => r.region_code === c).sort((a, b) => a.year - b.year);
        const name = byCode.has(c) ? regionName(byCode.get(c)) : c;
        return { x: rows.map((r) => r.year), y: rows.map((r) => r.value), type: "scatter", mode: "lines+markers", name: name };
      });
      const unit = data.items.length ? data.items[0].unit : "";
      Plotly.react("chart", traces, { title: { text: data.metric }, xaxis: { title: { text: L("common.year") }, tickformat: "d" }, yaxis: { title: { text: unit } }, margin: { t: 40 } }, plotConfig);
      fillTable($("values"), data.items, [[(r) => regionName(r), L("common.region")], ["region_code", L("web.code")], ["year", L("common.year")], ["value", L("common.value")], ["unit", L("common.unit")], ["table_ref", L("common.source")]]);
      $("export-csv").href = apiUrl("/compare", { region: chosen, metric: data.metric, industry: data.industry, format: "csv" });
      document.body.dataset.ready = String(chosen.length);
    }
    $("add-region").addEventListener("click", () => {
      const c = $("region-pick").value;
      if (c && !chosen.includes(c) && chosen.length < MAX_COMPARE) { chosen.push(c); refreshMetrics(); }
    });
    $("metric").addEventListener("change", () => loadData(true));
    $("industry").addEventListener("change", () => loadData(false));
    await refreshMetrics();
    document.body.dataset.ready = String(chosen.length);
  }

  // ---- map explorer ---------------------------------------------------------------------
  async function mapPage() {
    const geoCache = {};
    let metrics = [], features = new Map(), values = new Map(), obs = [];
    $("level").value = D.level;
    async function loadLevel() {
      const level = $("level").value;
      $("map-status").textContent = "…";
      if (!geoCache[level]) {
        const r = await fetch(apiUrl("/geo/" + level));
        const j = await r.json();
        if (!r.ok) { $("map-status").textContent = j.detail; return; }
        geoCache[level] = j;
      }
      features = new Map(geoCache[level].features.map((f) => [String(f.id), f.properties]));
      metrics = (await api("/metrics", { region_level: level, limit: 10000 })).items.sort((a, b) => b.regions - a.regions);
      fillSelect($("metric"), metrics.map((m) => [m.metric + "|" + m.unit, m.metric + " (" + m.unit + ")"]));
      loadMetric();
    }
    function loadMetric() {
      const m = metrics.find((x) => x.metric + "|" + x.unit === $("metric").value);
      const years = m ? m.years.slice().reverse() : [];
      fillSelect($("year"), years.map((y) => [String(y), String(y)]));
      return loadValues();
    }
    async function loadValues() {
      const [metric] = ($("metric").value || "").split("|");
      const year = $("year").value;
      obs = metric ? (await api("/observations", { metric: metric, year: year, region_level: $("level").value, limit: 10000 })).items : [];
      const inds = [...new Map(obs.map((o) => [o.industry_code, o.industry_name])).entries()];
      fillSelect($("industry"), inds.map(([c, n]) => [c, industryLabel(c, n)]), inds.some(([c]) => c === "_T") ? "_T" : undefined);
      draw();
    }
    function draw() {
      const ind = $("industry").value;
      values = new Map(obs.filter((o) => o.industry_code === ind && features.has(o.region_code)).map((o) => [o.region_code, o]));
      const all = [...features.keys()];
      const name = (c) => { const p = features.get(c) || {}; return (zh ? p.name_zh : p.name_en) || p.name_zh || c; };
      const codes = [...values.keys()];
      const traces = [
        { type: "choropleth", geojson: geoCache[$("level").value], featureidkey: "id", locations: all, z: all.map(() => 0),
          colorscale: [[0, "#e4e7eb"], [1, "#e4e7eb"]], showscale: false, text: all.map(name), hoverinfo: "text",
          marker: { line: { color: "#fff", width: 0.5 } }, name: "all" },
        { type: "choropleth", geojson: geoCache[$("level").value], featureidkey: "id", locations: codes,
          z: codes.map((c) => values.get(c).value), colorscale: "YlOrRd", reversescale: true,
          text: codes.map(name), hovertemplate: "%{text}<br>%{z:,.4~s}<extra></extra>",
          marker: { line: { color: "#fff", width: 0.5 } }, colorbar: { title: { text: codes.length ? values.get(codes[0]).unit : "" } }, name: "values" },
      ];
      Plotly.react("map", traces, { geo: { fitbounds: "locations", visible: false, projection: { type: "mercator" } }, margin: { t: 10, b: 10, l: 10, r: 10 } }, plotConfig)
        .then((gd) => {
          if (!gd.dataset.clickBound) {
            gd.on("plotly_click", (ev) => { if (ev.points && ev.points.length) select(String(ev.points[0].location)); });
            gd.dataset.clickBound = "1";
          }
          document.body.dataset.ready = "1";
        });
      $("map-status").textContent = codes.length + " / " + all.length + " " + L("web.regions_with_data");
      function select(code) {
        $("sel-body").hidden = false;
        $("sel-hint").hidden = true;
        $("sel-name").textContent = name(code);
        $("sel-code").textContent = code;
        const o = values.get(code);
        $("sel-value").textContent = o ? fmt(o.value) + " " + o.unit : L("common.none_available");
        $("open-dashboard").href = "/regions/" + encodeURIComponent(code);
        $("add-compare").href = "/compare?region=" + encodeURIComponent(code);
        document.body.dataset.selected = code;
      }
    }
    $("level").addEventListener("change", loadLevel);
    $("metric").addEventListener("change", loadMetric);
    $("year").addEventListener("change", loadValues);
    $("industry").addEventListener("change", draw);
    await loadLevel();
  }

  // ---- cluster dashboard -------------------------------------------------------------------
  async function clustersPage() {
    let ratings;
    try { ratings = (await api("/clusters/ratings", { limit: 10000 })).items; }
    catch (e) { ratings = []; }
    try {
      fillTable($("definitions"), (await api("/clusters", { limit: 500 })).items,
        [["scheme", L("web.scheme")], ["cluster_code", L("web.cluster")], [(r) => zh ? (r.cluster_name_zh || r.cluster_name_en) : (r.cluster_name_en || r.cluster_name_zh), L("web.name")], ["industry_scheme", L("web.scheme")], ["industry_code", L("common.industry")]]);
    } catch (e) { fillTable($("definitions"), [], []); }
    if (!ratings.length) { $("clusters-empty").hidden = false; fillTable($("ratings"), [], []); document.body.dataset.ready = "1"; return; }
    const runs = [...new Map(ratings.map((r) => [r.run_id, r.preset])).entries()];
    fillSelect($("run"), runs.map(([id, p]) => [String(id), "#" + id + " " + p]), String(runs[runs.length - 1][0]));
    let names = new Map();
    try { names = new Map((await api("/regions", { limit: 10000 })).items.map((r) => [r.code, regionName(r)])); } catch (e) { /* codes only */ }
    const nameOf = (c) => names.get(c) || c;
    async function draw() {
      const run = Number($("run").value);
      const rows = ratings.filter((r) => r.run_id === run);
      const regions = [...new Set(rows.map((r) => r.region_code))].sort();
      const keep = $("cluster-region").value;
      fillSelect($("cluster-region"), [["", "—"], ...regions.map((c) => [c, c + " " + nameOf(c)])], keep);
      const reg = $("cluster-region").value;
      // one line per region x cluster x year: the levels it reaches (flag true)
      const grouped = new Map();
      rows.filter((r) => !reg || r.region_code === reg).forEach((r) => {
        const k = [r.region_code, r.cluster_code, r.year].join("|");
        if (!grouped.has(k)) grouped.set(k, { region_code: r.region_code, region: nameOf(r.region_code), cluster_code: r.cluster_code, year: r.year, employment: r.employment, lq: r.lq, levels: [], stability: r.stability });
        if (r.flag) grouped.get(k).levels.push(r.level);
      });
      const shown = [...grouped.values()].map((g) => ({ ...g, levels: g.levels.join(", ") || "—" }));
      fillTable($("ratings"), shown, [["region_code", L("web.code")], ["region", L("common.region")], ["cluster_code", L("web.cluster")], ["year", L("common.year")], ["levels", L("web.level")], ["employment", L("common.employment")], ["lq", L("indicator.lq")], ["stability", L("web.stability")]]);
      let strength = [];
      try { strength = (await api("/clusters/strength", { run_id: run, limit: 10000 })).items; } catch (e) { strength = []; }
      const layout = { margin: { t: 20 }, xaxis: { type: "category" } };
      if (strength.length) {
        Plotly.react("chart", [{ type: "bar", x: strength.map((s) => nameOf(s.region_code)), y: strength.map((s) => s.strength), customdata: strength.map((s) => s.region_code) }], { ...layout, yaxis: { title: { text: L("web.clusters.strength") } } }, plotConfig);
      } else {
        const counts = new Map();
        rows.forEach((r) => { if (r.flag) counts.set(r.region_code, (counts.get(r.region_code) || 0) + 1); });
        Plotly.react("chart", [{ type: "bar", x: [...counts.keys()].map(nameOf), y: [...counts.values()], customdata: [...counts.keys()] }], { ...layout, yaxis: { title: { text: L("web.clusters.count") } } }, plotConfig);
      }
      $("export-csv").href = apiUrl("/clusters/ratings", { run_id: run, region: reg, format: "csv" });
      document.body.dataset.ready = "1";
    }
    $("run").addEventListener("change", draw);
    $("cluster-region").addEventListener("change", draw);
    await draw();
  }

  // ---- import ------------------------------------------------------------------------------
  function importPage() {
    try { $("token").value = sessionStorage.getItem("agglomera_token") || ""; } catch (_) { /* ignore */ }
    $("import-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const file = $("file").files[0];
      const out = $("import-result");
      fillTable($("problems"), [], []);
      if (!file) return;
      if (file.size > D.max_upload) { out.replaceChildren(el("p", L("web.import.too_large"), "error")); return; }
      const token = $("token").value.trim();
      try { sessionStorage.setItem("agglomera_token", token); } catch (_) { /* ignore */ }
      const params = { filename: file.name, kind: $("kind").value, metric: $("opt-metric").value, year: $("opt-year").value, region: $("opt-region").value, unit: $("opt-unit").value };
      const r = await fetch(apiUrl("/imports", params), { method: "POST", body: file, headers: { "Authorization": "Bearer " + token, "Content-Type": "application/octet-stream" } });
      const j = await r.json();
      if (r.ok) {
        out.replaceChildren(el("p", L("web.import.ok") + ": " + j.rows_accepted + " " + L("web.rows") + " (" + j.file + ")", "ok"));
      } else {
        out.replaceChildren(el("p", (r.status === 422 ? L("web.import.rejected") + " — " : "") + j.title + ": " + j.detail, "error"));
        if (j.problems) fillTable($("problems"), j.problems, [["row", L("web.problem.row")], ["column", L("web.problem.column")], ["value", L("common.value")], ["rule", L("web.problem.rule")], ["message", L("web.problem.message")]]);
      }
      document.body.dataset.ready = String(r.status);
    });
    document.body.dataset.ready = "1";
  }

  // ---- home ------------------------------------------------------------------------------
  function homePage() {
    const f = $("region-filter");
    f.addEventListener("input", () => {
      const q = f.value.trim().toLowerCase();
      document.querySelectorAll("#region-list tbody tr").forEach((tr) => { tr.hidden = q && !tr.textContent.toLowerCase().includes(q); });
    });
    document.body.dataset.ready = "1";
  }

  const pages = { region: regionPage, compare: comparePage, map: mapPage, clusters: clustersPage, import: importPage, home: homePage };
  const run = pages[document.body.dataset.page];
  if (run) Promise.resolve().then(run).catch((e) => { const m = document.querySelector("main"); m.appendChild(el("p", String(e.message || e), "error")); document.body.dataset.ready = "error"; });
})();
