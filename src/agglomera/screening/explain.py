"""Bilingual explanations: for each firm x criterion, what holds and what is missing.

Examples
--------
>>> money_en(1_800_000.0), money_zh(1_800_000.0), money_zh(250_000_000.0)
('1.8 m yuan', '180万元', '2.5亿元')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agglomera.screening.engine import LABELS, NA, PASS, UNKNOWN, ProgrammeResult
from agglomera.screening.expr import Expr
from agglomera.screening.fields import FIELDS
from agglomera.screening.rules import Criterion

_OPS_ZH = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于", "==": "等于"}


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def money_en(x: float) -> str:
    """Yuan amount in words a reader takes in at a glance (e.g. '1.8 m yuan')."""
    if abs(x) >= 1e8:
        return f"{x / 1e6:,.0f} m yuan"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g} m yuan"
    return f"{x:,.0f} yuan"


def money_zh(x: float) -> str:
    """Yuan amount in 万元 / 亿元."""
    if abs(x) >= 1e8:
        return f"{x / 1e8:.3g}亿元"
    if abs(x) >= 1e4:
        return f"{x / 1e4:.4g}万元"
    return f"{x:,.0f}元"


def _amount(x: float, unit: str) -> tuple[str, str]:
    if unit == "money":
        return money_en(x), money_zh(x)
    if unit == "count":
        k = int(np.ceil(x - 1e-9))
        return f"{k}", f"{k}"
    if unit == "years":
        return f"{x:.2g} year(s)", f"{x:.2g}年"
    if unit == "percent":
        return f"{x:.2f} percentage points", f"{x:.2f}个百分点"
    return f"{x:.3g} points", f"{x:.3g}分"


def _fmt_value(c: Criterion, v: float) -> str:
    if np.isnan(v):
        return "?"
    if c.unit == "percent":
        return f"{v:.2f}%"
    if c.unit in ("CNY_10k", "yuan"):
        return money_en(v)
    if c.unit == "rank" and np.isinf(v):
        return "none"
    return _num(v)


def _fmt_threshold(c: Criterion, t) -> str:
    if t is None:
        return ""
    if isinstance(t, list):
        return "/".join(map(str, t))
    if isinstance(t, bool):
        return "yes" if t else "no"
    if c.unit == "percent":
        return f"{t:g}%"
    if c.unit in ("CNY_10k", "yuan"):
        return money_en(t)
    return f"{t:g}"


def _missing_fields(res: ProgrammeResult, c: Criterion, row: int) -> list[str]:
    """Fields of the criterion (and its condition) that this firm lacks."""
    texts = [t for t in (c.metric, c.condition.metric if c.condition else None) if t]
    out: set[str] = set()
    for text in texts:
        e = Expr(text)
        for name in e.names:
            if name.startswith("score_"):
                out.add(f"{name} (score items)")
                continue
            if res.data is None:
                continue
            if name in res.data.categories:
                if res.data.categories[name].codes[row] < 0:
                    out.add(name)
                continue
            m = res.data.matrices.get(name)
            if m is None or np.isnan(m[:e.window, row]).any():
                out.add(name)
    return sorted(out)


def _describe(c: Criterion, threshold) -> tuple[str, str]:
    """The criterion's own description, or one built from its metric and threshold."""
    if c.description_en:
        return c.description_en, c.description_zh or c.description_en
    f = FIELDS.get(c.metric or "")
    if c.op == "exists":
        return (f"{f.en if f else c.metric}: yes", f"{f.zh if f else c.metric}：是")
    t = _fmt_threshold(c, threshold)
    op_zh = _OPS_ZH.get(c.op, c.op)
    if f is not None:
        return f"{f.en} {c.op} {t}", f"{f.zh}{op_zh}{t}"
    return f"{c.metric} {c.op} {t}", f"{c.metric} {op_zh} {t}"


def sentence(c: Criterion, status: int, value: float, threshold, gap: float,
             missing: list[str]) -> tuple[str, str]:
    """English and Chinese sentence for one firm and criterion."""
    desc_en, desc_zh = _describe(c, threshold)
    if status == NA:
        return (f"Not applicable: {desc_en}", f"不适用：{desc_zh}")
    if status == PASS:
        now = f" (now {_fmt_value(c, value)})" if not np.isnan(value) and c.op not in (
            "exists", "==", "in") else ""
        return (f"Met: {desc_en}{now}.", f"满足：{desc_zh}。")
    if status == UNKNOWN:
        if missing:
            en = ", ".join(missing)
            zh = "、".join(FIELDS[m].zh if m in FIELDS else m for m in missing)
            return (f"Unknown: {desc_en} - needs {en} (missing or outside the data).",
                    f"无法判断：{desc_zh}——需要{zh}（数据缺失）。")
        if c.metric and Expr(c.metric).uses_date:
            return ((f"Unknown: {desc_en} - met on some days of the application year only; "
                    "give the application date."),
                    f"无法判断：{desc_zh}——仅在申请年度的部分日期满足，请给出申请日期。")
        return (f"Unknown: {desc_en} - depends on parts not yet known.",
                f"无法判断：{desc_zh}——部分条件尚无数据。")
    g = c.gap
    if g is not None and not np.isnan(gap) and c.op in (">=", ">", "<=", "<"):
        amt_en, amt_zh = _amount(gap, g.unit)
        up = c.op in (">=", ">")
        verb_en, verb_zh = ("rise", "增加") if up else ("fall", "减少")
        target = _fmt_threshold(c, threshold)
        now = _fmt_value(c, value)
        if c.op in (">", "<") and not g.of_en:
            word_en, word_zh = ("exceed", "高于") if up else ("fall below", "低于")
            return (f"{g.what_en} must {word_en} {target} (now {now}).",
                    f"{g.what_zh}须{word_zh}{target}（目前为{now}）。")
        if g.of_en:
            return ((f"{g.what_en} must {verb_en} by {amt_en} to reach {target} of "
                    f"{g.of_en} (now {now})."),
                    (f"{g.what_zh}需{verb_zh}{amt_zh}，方可{'达到' if up else '降至'}"
                    f"{g.of_zh}的{target}（目前为{now}）。"))
        return (f"{g.what_en} must {verb_en} by {amt_en} to reach {target} (now {now}).",
                (f"{g.what_zh}需{'提高' if up else '降低'}{amt_zh}，方可"
                f"{'达到' if up else '降至'}{target}（目前为{now}）。"))
    shown = c.op not in ("exists", "==", "in", "any_of", "all_of") and not np.isnan(value)
    now_en = f" (now {_fmt_value(c, value)})" if shown else ""
    now_zh = f"（目前为{_fmt_value(c, value)}）" if shown else ""
    return (f"Not met: {desc_en}{now_en}.", f"未满足：{desc_zh}{now_zh}。")


def explain(result: ProgrammeResult, *, firms: list | None = None,
            statuses: tuple[str, ...] = ("fail", "unknown", "pass", "n/a")) -> pd.DataFrame:
    """Long table: firm x criterion with status, actual, threshold, gap, en/zh sentences.

    ``firms`` limits the firms (default: all; keep it small for millions of firms).
    """
    prog = result.programme
    index = {f: i for i, f in enumerate(result.firm_ids)}
    rows_idx = [index[f] for f in firms if f in index] if firms is not None \
        else range(len(result.firm_ids))
    want = {s for s in statuses}
    docs_rows = []
    for c in prog.leaves():
        st = result.status[c.id]
        val = result.value.get(c.id)
        gap = result.gap.get(c.id)
        thr = result.threshold.get(c.id)
        src = c.source
        flag = c.status if c.status != "verified" else ""
        if prog.provisional:
            flag = ", ".join(x for x in (flag, "provisional") if x)
        for i in rows_idx:
            s = int(st[i])
            if LABELS[s] not in want:
                continue
            v = float(val[i]) if val is not None else float("nan")
            gp = float(gap[i]) if gap is not None else float("nan")
            missing = _missing_fields(result, c, i) if s == UNKNOWN else []
            en, zh = sentence(c, s, v, thr, gp, missing)
            docs_rows.append({
                "firm_id": result.firm_ids[i], "programme": prog.id, "criterion": c.id,
                "status": LABELS[s], "actual": v, "operator": c.op,
                "threshold": _fmt_threshold(c, thr) if thr is not None else "",
                "gap": gp, "explanation_en": en, "explanation_zh": zh,
                "source": f"{src.document} {src.article}" if src else "",
                "flag": flag})
    return pd.DataFrame(docs_rows, columns=[
        "firm_id", "programme", "criterion", "status", "actual", "operator", "threshold",
        "gap", "explanation_en", "explanation_zh", "source", "flag"])
