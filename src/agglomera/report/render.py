r"""Write a :class:`~agglomera.report.profile.RegionProfile` as HTML, PDF or Excel.

* HTML: one self-contained file. Plotly JS (``plotly.offline.get_plotlyjs()``) and the
  data are inlined; no CDN, no network. Every label is written in both languages and a
  button switches between them in the browser (charts are redrawn with the other
  language's figure).
* PDF: the same template rendered for one language with static SVG charts (matplotlib)
  and printed by WeasyPrint, which runs no JavaScript.
* Excel: one sheet per table of the profile (openpyxl), values as computed.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.errors import SchemaError
from agglomera.i18n import label, labels
from agglomera.report import charts
from agglomera.report.profile import SECTION_KEYS, RegionProfile

FORMATS = (".html", ".pdf", ".xlsx")
UNIT_ZH = {"persons": "人", "yuan": "元", "usd": "美元", "count": "个",
           "person_years": "人年", "percent": "%", "yuan_per_person": "元/人",
           "index_preceding_year_100": "上年=100"}


@functools.cache
def _metric_names() -> dict[str, tuple[str, str]]:
    from agglomera.schema.catalog import _read_text, read_data_csv

    frame = read_data_csv(_read_text("agglomera.schema.data", "metrics.csv"))
    return {r.metric: (r.label_zh, r.label_en) for r in frame.itertuples()}


def metric_name(metric: str, lang: str) -> str:
    zh, en = _metric_names().get(metric, ("", ""))
    text = zh if lang == "zh" else en
    return text or metric.replace("__", " – ").replace("_", " ")


def human(value, unit: str = "", lang: str = "en") -> str:
    """A value for reading: scaled to 亿/万 (zh) or bn/m (en), with its unit."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    v = float(value)
    u = UNIT_ZH.get(unit, unit) if lang == "zh" else unit.replace("_", " ")
    a = abs(v)
    if unit in ("percent",):
        return f"{v:,.2f}%"
    if lang == "zh" and a >= 1e8:
        return f"{v / 1e8:,.2f} 亿{u}"
    if lang == "zh" and a >= 1e4:
        return f"{v / 1e4:,.2f} 万{u}"
    if lang == "en" and a >= 1e9:
        return f"{v / 1e9:,.2f} bn {u}"
    if lang == "en" and a >= 1e6:
        return f"{v / 1e6:,.2f} m {u}"
    if a >= 100 or v == int(v):
        return f"{v:,.0f} {u}".strip()
    return f"{v:,.3f} {u}".strip()


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{digits}f}"
    return str(value)


def _region_names(profile: RegionProfile) -> dict:
    names = {profile.region["code"]: (profile.region["name_zh"], profile.region["name_en"]),
             profile.benchmark["code"]: (profile.benchmark["name_zh"],
                                         profile.benchmark["name_en"]),
             "100000": ("全国", "National")}
    sim = profile.sections["similarity"].tables.get("similarity")
    if sim is not None and len(sim):
        for r in sim.itertuples():
            names.setdefault(r.region_code, (r.name_zh, r.name_en))
    return names


def _json(obj) -> str:
    def default(o):
        if isinstance(o, (np.integer,)):
            return int(o)
        if isinstance(o, (np.floating,)):
            return None if not np.isfinite(o) else float(o)
        raise TypeError(type(o))

    return json.dumps(obj, ensure_ascii=False, default=default).replace("</", "<\\/")


def _charts(profile: RegionProfile, *, static: bool, langs: tuple[str, ...]) -> dict:
    """Per chart id: {lang: plotly dict} (HTML) or {lang: svg text} (PDF)."""
    names = _region_names(profile)
    out: dict[str, dict[str, object]] = {}
    port = profile.sections["portfolio"].tables.get("portfolio")
    sim = profile.sections["similarity"].tables.get("similarity")
    ss = profile.sections["shift_share"].tables.get("shift_share")
    for lang in langs:
        if port is not None and len(port):
            out.setdefault("portfolio", {})[lang] = (
                charts.svg_portfolio(port, lang) if static
                else charts.plotly_portfolio(port, lang))
        if sim is not None and len(sim):
            out.setdefault("similarity", {})[lang] = (
                charts.svg_similarity(sim, names, lang) if static
                else charts.plotly_similarity(sim, names, lang))
        if ss is not None and len(ss):
            out.setdefault("shift_share", {})[lang] = (
                charts.svg_shift_share(ss, names, lang) if static
                else charts.plotly_shift_share(ss, names, lang))
    return out


def _maps(profile: RegionProfile, langs: tuple[str, ...]) -> dict:
    sec = profile.sections["maps"]
    provinces = sec.extra.get("provinces")
    if provinces is None:
        return {}
    out: dict[str, dict[str, str]] = {"provinces": {}, "prefectures": {}}
    table = sec.tables.get("map_provinces")
    values = (table.set_index("code")["value"] if table is not None and len(table)
              else None)
    region = profile.region["code"]
    from agglomera.report.profile import boundaries

    pref = boundaries("prefecture")
    k = 2 if region.endswith("0000") else 4
    pref_geoms = pref[pref["code"].str[:k] == region[:k]].reset_index(drop=True)
    pref_geoms = pref_geoms.assign(geometry=pref_geoms.geometry.simplify(
        0.01, preserve_topology=True))
    pref_table = sec.tables.get("map_prefectures")
    pref_values = (pref_table.set_index("region_code")["value"]
                   if pref_table is not None and len(pref_table) else None)
    # simplified once per process, drawn once per language (only the tooltips differ)
    provinces = boundaries("province", 0.05)
    for lang in langs:
        out["provinces"][lang] = charts.svg_map(
            provinces, values, highlight=region, lang=lang,
            unit=str(sec.extra.get("unit", "")), tolerance=0)
        if len(pref_geoms):
            out["prefectures"][lang] = charts.svg_map(
                pref_geoms, pref_values, highlight=None, lang=lang,
                unit=str(sec.extra.get("pref_unit", "")), width=480, tolerance=0)
    return out


def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agglomera.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = _fmt
    env.globals["human"] = human
    env.globals["metric_name"] = metric_name
    return env


def render_html(profile: RegionProfile, *, lang: str = "en", static: bool = False) -> str:
    """The report as one HTML document.

    ``static=False``: interactive, both languages, Plotly inlined, switch button.
    ``static=True``: one language, SVG charts (the input of the PDF).
    """
    import markupsafe

    lang = "zh" if lang.lower().startswith("zh") else "en"
    langs = (lang,) if static else ("en", "zh")
    figs = _charts(profile, static=static, langs=langs)
    maps = _maps(profile, langs)
    plotly_js = ""
    if not static:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    svg_uri = {cid: {lg: "data:image/svg+xml;base64," + base64.b64encode(
        svg.encode("utf-8")).decode("ascii") for lg, svg in per.items()}
        for cid, per in figs.items()} if static else {}
    tables = {k: s.tables for k, s in profile.sections.items()}
    return _environment().get_template("report.html.j2").render(
        p=profile, lang=lang, langs=langs, static=static, sections=SECTION_KEYS,
        tables=tables, notes={k: s.notes for k, s in profile.sections.items()},
        extra={k: s.extra for k, s in profile.sections.items()},
        names=_region_names(profile),
        L={lg: labels(lg) for lg in ("en", "zh")}, label=label,
        figs_json=markupsafe.Markup(_json({c: v for c, v in figs.items()}))
        if not static else "", svg_uri=svg_uri, figs_keys=list(figs),
        maps={k: {lg: markupsafe.Markup(v) for lg, v in per.items()}
              for k, per in maps.items()},
        plotly_js=markupsafe.Markup(plotly_js),
        css=markupsafe.Markup(_css()))


def _css() -> str:
    from importlib import resources

    return resources.files("agglomera.report").joinpath("templates/report.css").read_text(
        encoding="utf-8")


def write_pdf(profile: RegionProfile, path: str | Path, *, lang: str = "en") -> Path:
    """Print the static HTML of ``profile`` to a PDF with WeasyPrint."""
    from agglomera._compat import import_optional

    weasyprint = import_optional("weasyprint", extra="report", purpose="PDF reports")
    path = Path(path)
    doc = render_html(profile, lang=lang, static=True)
    weasyprint.HTML(string=doc, base_url=str(path.parent)).write_pdf(str(path))
    return path


def write_excel(profile: RegionProfile, path: str | Path) -> Path:
    """One sheet per table of the profile; names and values as computed."""
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in profile.tables().items():
            frame = frame.copy()
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                    frame[col] = frame[col].dt.tz_localize(None)
            if frame.empty and not len(frame.columns):
                frame = pd.DataFrame({"note": ["no data (see sheet 'profile')"]})
            frame.to_excel(xl, sheet_name=name[:31], index=False)
            ws = xl.sheets[name[:31]]
            for i, col in enumerate(frame.columns, start=1):
                width = min(60, max(10, len(str(col)) + 2))
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
            ws.freeze_panes = "A2"
    return path


def write_report(profile: RegionProfile, out: str | Path, *, lang: str = "en") -> Path:
    r"""Write the report; the format follows the suffix of ``out``.

    Parameters
    ----------
    profile : RegionProfile
        From :func:`agglomera.report.build_profile`.
    out : str or Path
        ``.html`` (interactive, both languages), ``.pdf`` (``lang`` only) or ``.xlsx``.
    lang : {"en", "zh"}
        Initial language of the HTML; the language of the PDF.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    SchemaError
        For another suffix or a missing output folder.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise SchemaError(f"--out must end in {', '.join(FORMATS)}; got {out.name!r}")
    if not out.parent.exists():
        raise SchemaError(f"--out: folder {out.parent} does not exist")
    label("common.region", lang)  # validates lang
    if suffix == ".html":
        out.write_text(render_html(profile, lang=lang), encoding="utf-8")
    elif suffix == ".pdf":
        write_pdf(profile, out, lang=lang)
    else:
        write_excel(profile, out)
    return out
