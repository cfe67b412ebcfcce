r"""Charts of the region report.

Two renderings of the same data: Plotly figure dictionaries for the interactive HTML
(Plotly JS is inlined, so the page works offline) and static SVG for the PDF (WeasyPrint
runs no JavaScript), drawn with matplotlib's object API (no pyplot state). Maps are SVG in
both outputs, drawn from the shapely geometries of :func:`agglomera.geo.boundaries`.
"""

from __future__ import annotations

import functools
import html
import io
import logging
import math

import numpy as np
import pandas as pd

from agglomera.i18n import label

logger = logging.getLogger(__name__)

QUADRANT_COLOURS = {"star": "#1b9e77", "mature": "#7570b3", "emerging": "#d95f02",
                    "transforming": "#999999"}
COMPONENTS = ("national_share", "industry_mix", "regional_shift")
COMPONENT_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f")
#: ColorBrewer YlGnBu, 5 classes (Brewer, Harrower & Penn State 2002)
MAP_CLASSES = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
MAP_NODATA = "#e0e0e0"
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
             "SimHei", "Microsoft YaHei", "DejaVu Sans"]


def industry_name(row, lang: str) -> str:
    return str(row["industry_name_zh"] if lang == "zh" else row["industry_name_en"])


def region_name(code: str, names: dict, lang: str) -> str:
    zh, en = names.get(code, (code, code))
    return str(zh if lang == "zh" else en)


# ----------------------------------------------------------------- Plotly (HTML)


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def plotly_portfolio(frame: pd.DataFrame, lang: str) -> dict:
    """Bubble chart: LQ change (x), LQ at the end year (y), size (bubble area)."""
    size = frame["size"].astype(float)
    ref = float(size.max()) if len(size) and size.max() > 0 else 1.0
    traces = []
    for quad, colour in QUADRANT_COLOURS.items():
        part = frame[frame.quadrant == quad]
        if part.empty:
            continue
        traces.append({
            "type": "scatter", "mode": "markers+text",
            "name": label(f"quadrant.{quad}", lang),
            "x": [_num(v) for v in part.lq_change], "y": [_num(v) for v in part.lq_end],
            "text": [industry_name(r, lang) for _, r in part.iterrows()],
            "textposition": "top center",
            "marker": {"size": [_num(v) for v in part["size"]], "sizemode": "area",
                       "sizeref": 2.0 * ref / 60.0 ** 2, "sizemin": 4, "color": colour,
                       "opacity": 0.7, "line": {"width": 1, "color": "#333"}},
            "hovertemplate": "%{text}<br>ΔLQ %{x:.3f}<br>LQ %{y:.3f}<extra></extra>",
        })
    return {"data": traces, "layout": {
        "xaxis": {"title": {"text": label("portfolio.x", lang)}, "zeroline": True},
        "yaxis": {"title": {"text": label("portfolio.y", lang)}},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1, "y1": 1,
                    "line": {"dash": "dot", "color": "#888"}}],
        "height": 420, "margin": {"t": 30, "l": 60, "r": 20, "b": 50},
        "legend": {"orientation": "h"}}}


def plotly_similarity(frame: pd.DataFrame, names: dict, lang: str) -> dict:
    codes = list(frame.region_code)
    labels_ = [region_name(c, names, lang) for c in codes]
    z = frame[codes].to_numpy(dtype=float)
    return {"data": [{
        "type": "heatmap", "z": [[_num(v) for v in row] for row in z], "x": labels_,
        "y": labels_, "colorscale": "YlGnBu", "reversescale": True, "zmin": float(
            np.nanmin(z)) if np.isfinite(z).any() else 0, "zmax": 1,
        "text": [[f"{v:.3f}" for v in row] for row in z], "texttemplate": "%{text}",
        "hovertemplate": "%{y} – %{x}: %{z:.4f}<extra></extra>"}],
        "layout": {"height": 420, "margin": {"t": 30, "l": 120, "r": 20, "b": 100},
                   "yaxis": {"autorange": "reversed"}}}


def plotly_shift_share(frame: pd.DataFrame, names: dict, lang: str) -> dict:
    regions = [region_name(c, names, lang) for c in frame.region_code]
    traces = [{"type": "bar", "name": label(f"indicator.{c}", lang), "x": regions,
               "y": [_num(v) for v in frame[c]], "marker": {"color": col}}
              for c, col in zip(COMPONENTS, COMPONENT_COLOURS, strict=True)]
    traces.append({"type": "scatter", "mode": "markers", "name": label(
        "indicator.change", lang), "x": regions, "y": [_num(v) for v in frame.change],
        "marker": {"symbol": "diamond", "size": 12, "color": "#000"}})
    return {"data": traces, "layout": {
        "barmode": "relative", "height": 380,
        "yaxis": {"title": {"text": f"{frame.metric.iat[0]} ({frame.unit.iat[0]})"}},
        "margin": {"t": 30, "l": 70, "r": 20, "b": 40}, "legend": {"orientation": "h"}}}


# ------------------------------------------------------------ matplotlib (PDF)


def _figure(width: float = 6.4, height: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig


def _svg(fig) -> str:
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


@functools.cache
def cjk_font() -> str | None:
    """Name of a CJK font matplotlib can use (registering system fonts it missed)."""
    from matplotlib import font_manager

    names = set(font_manager.fontManager.get_font_names())
    for name in CJK_FONTS[:-1]:
        if name in names:
            return name
    # a font installed after matplotlib built its cache: register it now
    for path in font_manager.findSystemFonts():
        low = path.lower()
        if any(k in low for k in ("wqy", "notosanscjk", "noto-cjk", "sourcehansans",
                                  "simhei", "msyh")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    names = set(font_manager.fontManager.get_font_names())
    for name in CJK_FONTS[:-1]:
        if name in names:
            return name
    logger.warning("no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk); "
                   "Chinese labels in PDF charts will not display")
    return None


def _fonts():
    from matplotlib import rc_context

    cjk_font()
    return rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FONTS,
                       "axes.unicode_minus": False})


def svg_portfolio(frame: pd.DataFrame, lang: str) -> str:
    with _fonts():
        fig = _figure()
        ax = fig.add_subplot()
        ref = float(frame["size"].max()) or 1.0
        for quad, colour in QUADRANT_COLOURS.items():
            part = frame[frame.quadrant == quad]
            if part.empty:
                continue
            ax.scatter(part.lq_change, part.lq_end, s=2000 * part["size"] / ref,
                       c=colour, alpha=0.7, edgecolors="#333",
                       label=label(f"quadrant.{quad}", lang))
            for _, r in part.iterrows():
                ax.annotate(industry_name(r, lang), (r.lq_change, r.lq_end),
                            fontsize=8, ha="center", va="bottom",
                            xytext=(0, 8), textcoords="offset points")
        ax.axhline(1.0, ls=":", c="#888")
        ax.axvline(0.0, ls=":", c="#888")
        ax.set_xlabel(label("portfolio.x", lang))
        ax.set_ylabel(label("portfolio.y", lang))
        ax.margins(0.25)
        ax.legend(fontsize=8, loc="best", markerscale=0.3)
        return _svg(fig)


def svg_similarity(frame: pd.DataFrame, names: dict, lang: str) -> str:
    codes = list(frame.region_code)
    z = frame[codes].to_numpy(dtype=float)
    with _fonts():
        fig = _figure(6.0, 4.4)
        ax = fig.add_subplot()
        im = ax.imshow(z, cmap="YlGnBu", vmax=1.0)
        labels_ = [region_name(c, names, lang) for c in codes]
        ax.set_xticks(range(len(codes)), labels_, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(codes)), labels_, fontsize=8)
        for i in range(len(codes)):
            for j in range(len(codes)):
                if np.isfinite(z[i, j]):
                    ax.text(j, i, f"{z[i, j]:.3f}", ha="center", va="center", fontsize=7,
                            color="white" if z[i, j] > np.nanmean(z) else "black")
        fig.colorbar(im, ax=ax, shrink=0.8)
        return _svg(fig)


def svg_shift_share(frame: pd.DataFrame, names: dict, lang: str) -> str:
    regions = [region_name(c, names, lang) for c in frame.region_code]
    with _fonts():
        fig = _figure(6.0, 3.4)
        ax = fig.add_subplot()
        x = np.arange(len(regions))
        pos = np.zeros(len(regions))
        neg = np.zeros(len(regions))
        for c, col in zip(COMPONENTS, COMPONENT_COLOURS, strict=True):
            v = frame[c].to_numpy(dtype=float)
            base = np.where(v >= 0, pos, neg)
            ax.bar(x, v, 0.5, bottom=base, color=col, label=label(f"indicator.{c}", lang))
            pos = np.where(v >= 0, pos + v, pos)
            neg = np.where(v < 0, neg + v, neg)
        ax.scatter(x, frame.change, marker="D", c="black", zorder=3,
                   label=label("indicator.change", lang))
        ax.axhline(0, c="#333", lw=0.8)
        ax.set_xticks(x, regions)
        ax.set_ylabel(f"{frame.metric.iat[0]} ({frame.unit.iat[0]})", fontsize=8)
        ax.legend(fontsize=7, loc="best")
        return _svg(fig)


# --------------------------------------------------------------------- maps (SVG)

_PHI0 = math.radians(36.0)


def _project(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x * math.cos(_PHI0), -y


def _path(geom, bounds) -> str:
    minx, miny, scale, pad = bounds
    parts = []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            px, py = _project(xy[:, 0], xy[:, 1])
            px = (px - minx) * scale + pad
            py = (py - miny) * scale + pad
            parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py,
                                                                              strict=True))
                         + "Z")
    return "".join(parts)


def quantile_classes(values: pd.Series, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Class index (0..k-1, -1 for missing) by quantiles, and the class breaks."""
    v = values.astype(float).to_numpy()
    ok = np.isfinite(v)
    if not ok.any():
        return np.full(len(v), -1), []
    breaks = list(np.unique(np.quantile(v[ok], np.linspace(0, 1, k + 1))))
    cls = np.full(len(v), -1)
    if len(breaks) == 1:
        cls[ok] = 0
        return cls, breaks
    idx = np.searchsorted(breaks[1:-1], v[ok], side="right")
    cls[ok] = idx
    return cls, breaks


def svg_map(geoms: pd.DataFrame, values: pd.Series | None, *, highlight: str | None,
            lang: str, unit: str = "", width: int = 640, tolerance: float = 0.05) -> str:
    """Choropleth of ``geoms`` (code, name_zh, name_en, geometry) coloured by ``values``.

    ``values`` is indexed by code (missing: grey); None draws the boundaries only.
    ``tolerance`` (degrees) simplifies the boundaries first; 0 uses them as given.
    """
    simple = (geoms.geometry.simplify(tolerance, preserve_topology=True) if tolerance > 0
              else geoms.geometry)
    b = np.array([g.bounds for g in simple])
    x0, y0 = _project(b[:, 0].min(), b[:, 3].max())
    x1, y1 = _project(b[:, 2].max(), b[:, 1].min())
    pad = 10.0
    scale = (width - 2 * pad) / (x1 - x0)
    height = int((y1 - y0) * scale + 2 * pad)
    bounds = (x0, y0, scale, pad)
    if values is not None:
        vals = pd.Series([values.get(c, np.nan) for c in geoms["code"]], dtype=float)
        cls, breaks = quantile_classes(vals)
    else:
        vals, cls, breaks = pd.Series([np.nan] * len(geoms)), np.full(len(geoms), -1), []
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
           f'{height + 30}" width="{width}" height="{height + 30}" class="map">']
    hl = None
    for (code, zh, en), geom, c, v in zip(
            geoms[["code", "name_zh", "name_en"]].itertuples(index=False, name=None),
            simple, cls, vals, strict=True):
        fill = MAP_CLASSES[min(c, len(MAP_CLASSES) - 1)] if c >= 0 else (
            MAP_NODATA if values is not None else "#f4f4f4")
        name = zh if lang == "zh" else (en or zh)
        tip = f"{name} ({code})" + (f": {v:,.6g} {unit}" if np.isfinite(v) else "")
        d = _path(geom, bounds)
        out.append(f'<path d="{d}" fill="{fill}" stroke="#666" stroke-width="0.5" '
                   f'data-code="{code}"><title>{html.escape(tip)}</title></path>')
        if code == highlight:
            hl = d
    if hl is not None:
        out.append(f'<path d="{hl}" fill="none" stroke="#d62728" stroke-width="2.5"/>')
    # legend
    if breaks:
        y = height + 8
        for i in range(max(len(breaks) - 1, 1)):
            lo = breaks[i]
            hi = breaks[i + 1] if i + 1 < len(breaks) else breaks[i]
            x = 10 + i * 120
            out.append(f'<rect x="{x}" y="{y}" width="14" height="12" '
                       f'fill="{MAP_CLASSES[i]}" stroke="#666" stroke-width="0.5"/>')
            out.append(f'<text x="{x + 18}" y="{y + 10}" font-size="9">{lo:.3g}–'
                       f'{hi:.3g}</text>')
        out.append(f'<rect x="{10 + 5 * 120}" y="{y}" width="14" height="12" '
                   f'fill="{MAP_NODATA}" stroke="#666" stroke-width="0.5"/>')
    out.append("</svg>")
    return "".join(out)
