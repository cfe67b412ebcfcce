"""Plan-target tracker of the region report (uses agglomera.evaluate.targets)."""

from __future__ import annotations

import pandas as pd

from agglomera.report.profile import Note, Section

COLUMNS = ["plan", "target_id", "name_zh", "category", "category_zh", "tier", "metric",
           "target_value", "unit", "deadline_year", "actual", "actual_year", "progress",
           "projected", "status"]


def _stored_actuals(con, plan: str) -> pd.DataFrame | None:
    """Actual values of the latest stored check of ``plan`` (table target_checks)."""
    has = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'target_checks'").fetchone()[0]
    if not has:
        return None
    frame = con.execute("""
        SELECT target_id, actual_year AS year, actual AS value FROM target_checks
        WHERE plan = ? AND actual IS NOT NULL AND actual_year IS NOT NULL
          AND check_id = (SELECT max(check_id) FROM target_checks WHERE plan = ?)""",
                        [plan, plan]).df()
    return frame if len(frame) else None


def section(con, region: str, year: int | None) -> Section:
    """Every bundled plan of ``region`` checked; its own inconsistencies listed."""
    from agglomera.evaluate.targets import bundled_plans, check_targets, load_targets

    plans = [load_targets(path) for path in bundled_plans().values()]
    mine = [p for p in plans if p.region == region]
    if not mine:
        known = ", ".join(f"{p.name} ({p.region})" for p in plans if p.region) or "none"
        return Section("targets", {"targets": pd.DataFrame()}, (Note(
            f"No plan targets are known for this region (bundled plans: {known}).",
            f"本地区没有可用的规划目标（内置规划：{known}）。"),))
    tables, problems, notes = [], [], []
    for plan in mine:
        actual = _stored_actuals(con, plan.name)
        check = check_targets(plan, actual, as_of=year)
        frame = check.to_frame()
        tables.append(frame[[c for c in COLUMNS if c in frame.columns]])
        title = f"{plan.title_en} / {plan.title_zh}"
        if actual is None:
            notes.append(Note(
                f"{title}: no actual values are stored for this plan; the targets are "
                "listed with status no_data.",
                f"{plan.title_zh}：数据库中没有该规划的实际值，目标状态为“无数据”。"))
        for prob in check.consistency:
            problems.append({"plan": plan.name, "kind": prob.kind, "message": prob.message,
                             "expected": prob.expected, "got": prob.got,
                             "targets": ", ".join(prob.targets)})
            notes.append(Note(f"Plan inconsistency ({prob.kind}): {prob.message}.",
                              f"规划自身不一致（{prob.kind}）：应为 {prob.expected:g}，"
                              f"实为 {prob.got:g}。" if prob.expected is not None
                              and prob.got is not None else
                              f"规划自身不一致（{prob.kind}）：{prob.message}。"))
        for w in check.warnings:
            notes.append(Note(w, w))
    return Section("targets", {"targets": pd.concat(tables, ignore_index=True),
                               "targets_consistency": pd.DataFrame(
                                   problems, columns=["plan", "kind", "message", "expected",
                                                      "got", "targets"])},
                   tuple(notes))
