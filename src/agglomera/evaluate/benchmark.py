"""Benchmarking: gaps of a region to an advanced region or to structural peers."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from agglomera.errors import MissingValueWarning, SchemaError
from agglomera.evaluate._common import as_list, check_columns, polarity_vector

__all__ = ["GapResult", "benchmark_gap", "five_accounts_template", "structural_peers"]


def five_accounts_template(path: str | Path | None = None) -> pd.DataFrame:
    r"""The "five accounts" (五本账) indicator template as a table.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file in the format of the bundled
        ``agglomera/data/evaluate/five_accounts.yaml``; default the bundled one.

    Returns
    -------
    DataFrame
        One row per indicator: ``id``, ``account``, ``account_zh``, ``account_en``,
        ``name_zh``, ``name_en``, ``unit``, ``polarity``, ``numerator``,
        ``denominator``, ``scale``.

    Raises
    ------
    SchemaError
        The file is missing or malformed.

    Notes
    -----
    The five accounts (land, population, ecology, public services, gap with advanced
    regions) are those Kunshan's government keeps; the indicators in each account are
    agglomera's proposal (see the YAML header). A derived indicator is

    .. math:: v = \frac{\text{numerator}}{\text{denominator}} \times \text{scale}.

    References
    ----------
    Kunshan case as summarised in the project's DOMAIN.md and
    ``agglomera/data/reference/domain_figures.yaml`` (``kunshan_benchmark``).

    Examples
    --------
    >>> t = five_accounts_template()
    >>> sorted(t["account"].unique())
    ['advanced_gap', 'ecology', 'land', 'population', 'public_services']
    """
    import yaml

    if path is None:
        text = (resources.files("agglomera.data") / "evaluate" / "five_accounts.yaml"
                ).read_text(encoding="utf-8")
    else:
        p = Path(path)
        if not p.exists():
            raise SchemaError(f"template {p}: no such file")
        text = p.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
        accounts = {a["id"]: a for a in doc["accounts"]}
        rows = []
        for ind in doc["indicators"]:
            acc = accounts[ind["account"]]
            rows.append({"id": str(ind["id"]), "account": ind["account"],
                         "account_zh": acc.get("name_zh"), "account_en": acc.get("name_en"),
                         "name_zh": ind.get("name_zh"), "name_en": ind.get("name_en"),
                         "unit": ind.get("unit"), "polarity": ind["polarity"],
                         "numerator": ind.get("numerator"),
                         "denominator": ind.get("denominator"),
                         "scale": float(ind.get("scale", 1.0))})
    except (KeyError, TypeError, yaml.YAMLError) as exc:
        raise SchemaError(f"malformed five-accounts template: {exc!r}") from None
    return pd.DataFrame(rows)


def _template_columns(frame: pd.DataFrame, tmpl: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add derived template indicators the frame lacks; return the ids available."""
    out = frame.copy()
    available, absent = [], []
    for row in tmpl.itertuples(index=False):
        if row.id in out.columns:
            available.append(row.id)
        elif (isinstance(row.numerator, str) and isinstance(row.denominator, str)
              and row.numerator in out.columns and row.denominator in out.columns):
            num = pd.to_numeric(out[row.numerator], errors="coerce")
            den = pd.to_numeric(out[row.denominator], errors="coerce")
            with np.errstate(divide="ignore", invalid="ignore"):
                out[row.id] = (num / den.where(den != 0)) * row.scale
            available.append(row.id)
        else:
            absent.append(row.id)
    if absent:
        warnings.warn(f"five-accounts indicators not in the data (left out): "
                      f"{', '.join(absent)}", MissingValueWarning, stacklevel=3)
    if not available:
        raise SchemaError("none of the five-accounts indicators (or their numerator and "
                          "denominator columns) are in the data; see "
                          "five_accounts_template()")
    return out, available


def structural_peers(structure: pd.DataFrame, region: str, *, k: int = 3,
                     candidates: Sequence[str] | None = None) -> pd.Series:
    r"""The ``k`` regions whose industry structure is most similar (cosine).

    Parameters
    ----------
    structure : DataFrame
        Region x industry values (employment, output) or shares; index = regions.
    region : str
        The region whose peers are sought (a row label).
    k : int
        Number of peers.
    candidates : sequence of str, optional
        Regions allowed as peers (default all other rows).

    Returns
    -------
    Series
        Cosine similarity of the chosen peers, highest first.

    Raises
    ------
    SchemaError
        Unknown region, negative or missing values, too few candidates.

    Notes
    -----
    .. math::

        \cos(r, q) = \frac{\sum_i x_{ri} x_{qi}}
            {\sqrt{\sum_i x_{ri}^2}\,\sqrt{\sum_i x_{qi}^2}}

    equal for values and shares (the norm cancels the region total); 1 for identical
    industry mixes. Ties are broken by label.

    References
    ----------
    Jaffe, A. B. (1986). Technological opportunity and spillovers of R&D: evidence from
    firms' patents, profits, and market value. *American Economic Review* 76(5),
    984-1001 (the cosine as a measure of structural proximity).

    Examples
    --------
    >>> s = pd.DataFrame([[1, 0], [2, 0.1], [0, 1]], index=["a", "b", "c"])
    >>> structural_peers(s, "a", k=1).index.tolist()
    ['b']
    """
    m = structure.apply(pd.to_numeric, errors="coerce")
    m.index = m.index.astype(str)
    region = str(region)
    if region not in m.index:
        raise SchemaError(f"region {region!r} is not in the structure data (rows: "
                          f"{', '.join(m.index[:10])}{', ...' if len(m) > 10 else ''})")
    if m.isna().to_numpy().any():
        raise SchemaError("the structure data hold missing values; give 0 only where an "
                          "industry is truly absent, or drop the region")
    x = m.to_numpy(dtype=float)
    if (x < 0).any():
        raise SchemaError("the structure data hold negative values")
    norms = np.sqrt((x * x).sum(axis=1))
    me = m.index.get_loc(region)
    if norms[me] == 0:
        raise SchemaError(f"region {region!r} has no industry values in the structure data")
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (x @ x[me]) / (norms * norms[me])
    sim = pd.Series(cos, index=m.index, name="similarity").drop(region)
    if candidates is not None:
        sim = sim[sim.index.isin([str(c) for c in candidates])]
    sim = sim.dropna()
    if len(sim) < k:
        raise SchemaError(f"only {len(sim)} candidate peers for {region!r}; asked for {k}")
    order = sorted(sim.index, key=lambda r: (-sim[r], r))
    return sim[order[:k]]


@dataclass(frozen=True)
class GapResult:
    """Gaps of ``region`` to its benchmark (one region or the mean of peers).

    ``gaps``: one row per indicator at the comparison year; ``over_time``: the gaps in
    every year both have; ``per_peer``: each peer's values; ``similarity``: cosine
    similarity of automatically chosen peers (empty when they were named).
    """

    region: str
    peers: tuple[str, ...]
    year: int | None
    gaps: pd.DataFrame
    over_time: pd.DataFrame
    per_peer: pd.DataFrame
    similarity: pd.Series
    growth_years: int

    @property
    def statistic(self) -> pd.Series:
        return self.gaps["relative_gap"]

    def to_frame(self) -> pd.DataFrame:
        f = self.gaps.reset_index()
        f.insert(0, "region", self.region)
        f.insert(1, "benchmark_regions", "+".join(self.peers))
        return f


def _resolve(frame: pd.DataFrame, label: str, col: str, name_column: str | None) -> str:
    codes = frame[col].astype(str)
    if str(label) in set(codes):
        return str(label)
    if name_column is not None and name_column in frame.columns:
        names = frame[name_column].astype(str)
        hit = codes[names == str(label)].unique()
        if len(hit) == 0 and str(label):
            # a short name: 辽宁 for 辽宁省, 长春 for 长春市 (only if it is unambiguous)
            hit = codes[names.str.startswith(str(label))].unique()
        if len(hit) == 1:
            return str(hit[0])
        if len(hit) > 1:
            raise SchemaError(f"name {label!r} matches several regions: {', '.join(hit)}")
    raise SchemaError(f"region {label!r} not found in column {col!r}"
                      + (f" or {name_column!r}" if name_column else "")
                      + f"; examples: {', '.join(codes.unique()[:8])}")


def _cagr(series: pd.Series, t: int, window: int) -> float:
    """Compound annual growth over the years (t - window .. t) with values (first to t)."""
    s = series.dropna()
    s = s[(s.index <= t) & (s.index >= t - window)]
    if len(s) < 2 or t not in s.index:
        return float("nan")
    t0 = int(s.index.min())
    a, b = float(s[t0]), float(s[t])
    if a <= 0 or b <= 0:
        return float("nan")
    return (b / a) ** (1.0 / (t - t0)) - 1.0


def _years_to_close(value: float, bench: float, g_r: float, g_b: float, p: float) -> float:
    if not np.isfinite(value) or not np.isfinite(bench):
        return float("nan")
    if p * (bench - value) <= 0:
        return 0.0
    if value <= 0 or bench <= 0 or not (np.isfinite(g_r) and np.isfinite(g_b)):
        return float("nan")
    den = np.log1p(g_r) - np.log1p(g_b)
    if den == 0:
        return float("inf")
    n = np.log(bench / value) / den
    return float(n) if n > 0 else float("inf")


def benchmark_gap(frame: pd.DataFrame, *, region: str, against: str | Sequence[str],
                  indicators: str | Sequence[str] | None = None,
                  polarity: Mapping[str, object] | Sequence[object] | None = None,
                  template: str | Path | None = None, region_column: str = "region",
                  name_column: str | None = None, year: str | None = "year",
                  at_year: int | None = None, structure: pd.DataFrame | None = None,
                  k: int = 3, growth_years: int = 5) -> GapResult:
    r"""Gap of a region to an advanced region or to its structural peers (对标分析).

    Indicator by indicator: the absolute and relative gap, the growth rates and the
    years needed to close the gap if both keep growing as they did.

    Parameters
    ----------
    frame : DataFrame
        One row per region (and year): ``region_column``, optionally ``year`` and
        ``name_column``, and indicator columns.
    region : str
        Code (or, with ``name_column``, name) of the region to assess.
    against : str or sequence of str
        A region code/name, a list of them (their mean is the benchmark), or
        ``'auto'`` / ``'auto:k'`` for the ``k`` structurally closest regions
        (needs ``structure``).
    indicators : str or sequence of str, optional
        Indicator columns; with ``template`` default the template's indicators.
    polarity : mapping or sequence, optional
        ``'higher'``/``'lower'`` is better for each indicator; required unless the
        template gives it.
    template : str or Path, optional
        ``'five_accounts'`` for the bundled template, or a YAML file of that format.
        Derived indicators (ratios) are computed from their numerator and denominator
        columns when the data lack them; indicators the data cannot give are left out
        with a ``MissingValueWarning``.
    region_column, name_column : str
        Columns of region codes and (optional) names.
    year : str or None
        Year column; ``None`` for a cross-section.
    at_year : int, optional
        Comparison year (default: for each indicator the latest year in which both the
        region and the benchmark have a value).
    structure : DataFrame, optional
        Region x industry matrix (index = region codes) for ``against='auto'``.
    k : int
        Number of peers for ``'auto'`` without ``:k``.
    growth_years : int
        Window (years before the comparison year) of the growth rates.

    Returns
    -------
    GapResult

    Raises
    ------
    SchemaError
        Unknown regions or columns, missing polarity, ``'auto'`` without ``structure``.

    See Also
    --------
    structural_peers, five_accounts_template, composite_index

    Notes
    -----
    With :math:`x` the region's value, :math:`b` the benchmark (one region, or the
    mean of the peers' values) and :math:`p = +1` (higher is better) or :math:`-1`:

    .. math::

        \text{absolute gap} = p\,(b - x), \qquad
        \text{relative gap} = \frac{p\,(b - x)}{|b|}, \qquad
        \text{ratio} = x / b

    (a positive gap means the region is behind). Growth is the compound annual rate
    :math:`g = (x_t / x_{t_0})^{1/(t - t_0)} - 1` over the window, and the years to
    close the gap at current growth solve :math:`x (1 + g_x)^n = b (1 + g_b)^n`:

    .. math:: n = \frac{\ln(b / x)}{\ln(1 + g_x) - \ln(1 + g_b)},

    0 when the region is not behind and :math:`\infty` when it is behind and not
    catching up (values must be positive; otherwise NaN).

    References
    ----------
    Camp, R. C. (1989). *Benchmarking: The Search for Industry Best Practices That Lead
    to Superior Performance*. Milwaukee: ASQC Quality Press.

    OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, p. 30 (distance to
    a reference region). doi:10.1787/9789264043466-en

    Examples
    --------
    >>> f = pd.DataFrame({"region": ["a", "a", "b", "b"], "year": [2020, 2021] * 2,
    ...                   "gdp": [100.0, 121.0, 400.0, 440.0]})
    >>> g = benchmark_gap(f, region="a", against="b", indicators="gdp",
    ...                   polarity={"gdp": "higher"})
    >>> g.gaps.loc["gdp", ["absolute_gap", "relative_gap"]].tolist()
    [319.0, 0.725]
    """
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"expected a DataFrame; got {type(frame).__name__}")
    check_columns(frame, [region_column] + ([year] if year else []), "key")
    tmpl = None
    if template is not None:
        tmpl = five_accounts_template(None if str(template) == "five_accounts" else template)
        frame, avail = _template_columns(frame, tmpl)
        tmpl = tmpl.set_index("id")
        if indicators is None:
            indicators = avail
    inds = as_list(indicators, "indicators")
    check_columns(frame, inds, "indicator")
    if polarity is None and tmpl is not None:
        unknown = [i for i in inds if i not in tmpl.index]
        if unknown:
            raise SchemaError(f"`polarity` is needed for {', '.join(unknown)} (not in the "
                              "template)")
        polarity = {i: tmpl.loc[i, "polarity"] for i in inds}
    pol = polarity_vector(polarity, inds)

    f = frame.copy()
    f[region_column] = f[region_column].astype(str)
    me = _resolve(f, region, region_column, name_column)
    if year is None:
        f = f.assign(_year=0)
        ycol = "_year"
    else:
        ycol = year
        f[ycol] = pd.to_numeric(f[ycol], errors="coerce")
        if f[ycol].isna().any():
            raise SchemaError(f"column {year!r} holds values that are not years")
        f[ycol] = f[ycol].astype(int)
    if f.duplicated([region_column, ycol]).any():
        d = f.loc[f.duplicated([region_column, ycol]), [region_column, ycol]].iloc[0]
        raise SchemaError(f"region {d[region_column]} has more than one row for year "
                          f"{d[ycol]}; one row per region and year expected")
    for c in inds:
        f[c] = pd.to_numeric(f[c], errors="coerce")

    sim = pd.Series(dtype=float, name="similarity")
    if isinstance(against, str) and against.strip().lower().startswith("auto"):
        spec = against.strip().lower()
        kk = k
        if ":" in spec:
            try:
                kk = int(spec.split(":", 1)[1])
            except ValueError:
                raise SchemaError(f"`against` 'auto:k' needs an integer k; got {against!r}"
                                  ) from None
        if kk < 1:
            raise SchemaError(f"the number of peers must be at least 1; got {kk}")
        if structure is None:
            raise SchemaError("against='auto' chooses peers by industry structure: give "
                              "`structure` (region x industry values)")
        sim = structural_peers(structure, me, k=kk,
                               candidates=sorted(set(f[region_column]) - {me}))
        peers = tuple(sim.index)
    else:
        names = [against] if isinstance(against, str) else list(against)
        peers = tuple(_resolve(f, a, region_column, name_column) for a in names)
        if me in peers:
            raise SchemaError(f"region {me} cannot be its own benchmark")

    wide = f.set_index([region_column, ycol])[inds].sort_index()
    mine = wide.loc[me]
    peer_rows = wide.loc[wide.index.get_level_values(0).isin(peers)]
    # benchmark series: mean over peers, only years where every peer has a value
    counts = peer_rows.groupby(level=1).count()
    bench = peer_rows.groupby(level=1).mean().where(counts == len(peers))

    rows, over = [], []
    for j, ind in enumerate(inds):
        both = pd.concat([mine[ind].rename("value"), bench[ind].rename("benchmark")],
                         axis=1).dropna()
        for t, r in both.iterrows():
            gap = pol[j] * (r["benchmark"] - r["value"])
            over.append({"year": int(t), "indicator": ind, "value": r["value"],
                         "benchmark": r["benchmark"], "absolute_gap": gap,
                         "relative_gap": gap / abs(r["benchmark"]) if r["benchmark"] else np.nan})
        if at_year is not None:
            t = int(at_year) if at_year in both.index else None
        else:
            t = int(both.index.max()) if len(both) else None
        if t is None:
            rows.append({"indicator": ind, "polarity": "higher" if pol[j] > 0 else "lower",
                         "year": np.nan, "value": np.nan, "benchmark": np.nan,
                         "absolute_gap": np.nan, "relative_gap": np.nan, "ratio": np.nan,
                         "behind": pd.NA, "growth_region": np.nan,
                         "growth_benchmark": np.nan, "years_to_close": np.nan})
            continue
        x, b = float(both.loc[t, "value"]), float(both.loc[t, "benchmark"])
        gap = pol[j] * (b - x)
        g_r = _cagr(mine[ind], t, growth_years) if year else np.nan
        g_b = _cagr(bench[ind], t, growth_years) if year else np.nan
        rows.append({"indicator": ind, "polarity": "higher" if pol[j] > 0 else "lower",
                     "year": t if year else np.nan, "value": x, "benchmark": b,
                     "absolute_gap": gap,
                     "relative_gap": gap / abs(b) if b else np.nan,
                     "ratio": x / b if b else np.nan, "behind": bool(gap > 0),
                     "growth_region": g_r, "growth_benchmark": g_b,
                     "years_to_close": _years_to_close(x, b, g_r, g_b, pol[j])})
    gaps = pd.DataFrame(rows).set_index("indicator")
    if tmpl is not None:
        acc = tmpl.reindex(gaps.index)
        gaps.insert(0, "account", acc["account"])
        gaps.insert(1, "name_zh", acc["name_zh"])
        gaps.insert(2, "name_en", acc["name_en"])
    years = gaps["year"].dropna()
    ref_year = int(years.max()) if year and len(years) else None
    if ref_year is not None:
        per_peer = peer_rows.xs(ref_year, level=1) if ref_year in peer_rows.index.get_level_values(1) else peer_rows.iloc[:0]
    else:
        per_peer = peer_rows.droplevel(1) if year is None else peer_rows.iloc[:0]
    return GapResult(region=me, peers=peers, year=ref_year, gaps=gaps,
                     over_time=pd.DataFrame(over, columns=["year", "indicator", "value",
                                                           "benchmark", "absolute_gap",
                                                           "relative_gap"]),
                     per_peer=per_peer, similarity=sim, growth_years=growth_years)
