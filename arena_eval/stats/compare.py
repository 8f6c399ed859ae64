"""Comparing runs task by task (`scripts/compare.py`): each run's rate against the first's
with a two-sided test (McNemar exact when the two runs pair on the task, Fisher exact
otherwise), Holm-adjusted over each run's tasks and its pooled row, the minimum detectable
effect and the verdict it allows, and milestone rates. Numbers only (reports/compare.py
renders them). Runs judged by different success definitions are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..errors import UserError
from ..records import (
    DEFAULT_MAX_MDE,
    EpisodeRecord,
    check_same_definitions,
    is_paired,
    load_task_records,
    max_mde_of,
    run_label,
    success_rule,
    unique_labels,
)
from . import rates as stats
from .summary import SUITE_ROW


def compare_task_runs(base: dict[str, list[EpisodeRecord]], cand: dict[str, list[EpisodeRecord]],
                      base_m: dict[str, Any], cand_m: dict[str, Any], task: str) -> dict[str, Any]:
    return stats.compare_task(base[task], cand[task], is_paired(base_m, cand_m, task))


def compare_suite(base: dict[str, list[EpisodeRecord]], cand: dict[str, list[EpisodeRecord]],
                  base_m: dict[str, Any], cand_m: dict[str, Any], tasks: Sequence[str]) -> dict[str, Any]:
    """Pooled comparison over `tasks`; paired only if every one of them is paired."""
    paired = bool(tasks) and all(is_paired(base_m, cand_m, t) for t in tasks)
    pool = lambda d: [r for t in tasks for r in d[t]]  # noqa: E731
    return stats.compare_task(pool(base), pool(cand), paired)


def compare_table(run_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """Per-task and suite comparison of runs against the first one (the baseline).

    One row per (task, run). The suite rows pool the tasks present in every run. Tests are
    two-sided: McNemar exact when the two plans have the same seeds for the task, Fisher
    exact otherwise; `p_holm` is Holm-adjusted over each run's tasks and its suite row.
    """
    if not run_dirs:
        raise UserError("no run directories given")
    loaded = []
    for d in run_dirs:
        manifest, by_task, _ = load_task_records(d)
        loaded.append((Path(d), manifest, by_task))
    labels = unique_labels([run_label(m, d) for d, m, _ in loaded], [d for d, _, _ in loaded])
    tasks: list[str] = []
    for _, _, by_task in loaded:
        tasks += [t for t in by_task if t not in tasks]
    common = [t for t in tasks if all(t in bt for _, _, bt in loaded)]

    check_same_definitions([(d, m) for d, m, _ in loaded], common)
    _, base_m, base = loaded[0]
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for i, (d, m, by_task) in enumerate(loaded):
        for t in tasks:
            s = stats.summarize_records(by_task[t]) if t in by_task else None
            rows[(t, i)] = _compare_row(t, "task", labels[i], d, s)
            rows[(t, i)]["rule"] = success_rule(m, t)
        pooled = stats.summarize_records([r for t in common for r in by_task[t]])
        rows[(SUITE_ROW, i)] = _compare_row(SUITE_ROW, "suite", labels[i], d, pooled)
        rows[(SUITE_ROW, i)]["milestones"] = {}  # tasks' milestones differ: no pooled funnel
        if i == 0:
            continue
        keys, pvals = [], []
        for t in tasks:
            if t in base and t in by_task:
                c = compare_task_runs(base, by_task, base_m, m, t)
                rows[(t, i)].update(delta=c["delta"], test=c["test"], p_value=c["p_two_sided"],
                                    mde=stats.min_detectable_effect(c["base"]["rate"], c.get("pairs", c["base"]["n"]),
                                                                    c.get("pairs", c["cand"]["n"]), c["paired"]),
                                    max_mde=max_mde_of(m, t))
            else:
                rows[(t, i)].update(test="missing")
            keys.append((t, i))
            pvals.append(rows[(t, i)]["p_value"])
        c = compare_suite(base, by_task, base_m, m, common)
        rows[(SUITE_ROW, i)].update(delta=c["delta"], test=c["test"], p_value=c["p_two_sided"],
                                    mde=stats.min_detectable_effect(c["base"]["rate"], c.get("pairs", c["base"]["n"]),
                                                                    c.get("pairs", c["cand"]["n"]), c["paired"]),
                                    max_mde=DEFAULT_MAX_MDE)
        keys.append((SUITE_ROW, i))
        pvals.append(c["p_two_sided"])
        for k, p in zip(keys, stats.holm(pvals)):
            rows[k]["p_holm"] = p
            if rows[k]["test"] not in ("", "missing", stats.NO_TEST):
                rows[k]["verdict"] = stats.verdict(p, rows[k]["delta"], rows[k]["mde"], rows[k]["max_mde"])
    order = [(t, i) for t in tasks + [SUITE_ROW] for i in range(len(loaded))]
    df = pd.DataFrame([rows[k] for k in order])
    df.attrs.update(common_tasks=common, tasks=tasks)  # for the note on what the pooled rows cover
    return df


def _milestone_rates(s: dict[str, Any]) -> dict[str, float]:
    n = s["successes"] + s["failures"]
    return {k: v / n for k, v in (s.get("milestones") or {}).items()} if n else {}


def _compare_row(task: str, kind: str, label: str, run_dir: Path, s: dict[str, Any] | None) -> dict[str, Any]:
    nan = float("nan")
    row: dict[str, Any] = {"task": task, "kind": kind, "run": label, "run_dir": str(run_dir), "rule": ""}
    if s is None:
        row.update(episodes=0, successes=0, failures=0, errors=0, success_rate=nan, ci_low=nan, ci_high=nan)
    else:
        row.update({k: s[k] for k in ("episodes", "successes", "failures", "errors", "success_rate", "ci_low", "ci_high")})
    row.update(delta=nan, test="", p_value=nan, p_holm=nan, mde=nan, max_mde=nan, verdict="",
               milestones=_milestone_rates(s) if s is not None else {})
    return row
