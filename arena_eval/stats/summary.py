"""Reading runs for reports, compare and the gates: records by task within each run's plan,
per-run summaries (numbers, no rendering) and the pairing of runs on shared plans.

Reads only `manifest.json` and `episodes.jsonl` (through `arena_eval.results.load_run`,
which refuses a record outside the plan, with another seed than the plan's, or deciding an
episode differently from an earlier one: `run_checks`), never simulator or policy objects.
Only planned episodes count (Rule 1): a task with fewer records than planned is flagged as
incomplete (its rate is biased towards short, often successful, episodes). Episode lengths
are over decided episodes. Comparisons use each run's own rates; p-values are two-sided (the
regression gates are the one-sided tests) and Holm-adjusted per candidate run over its tasks
plus the suite row.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from . import rates as stats
from ..records.code_identity import code_summary
from ..errors import UserError
from ..records.rundir import EpisodeRecord
from ..records.rundir import load_run

SUITE_ROW = "ALL (pooled)"


def _task_order(manifest: dict[str, Any], records: Iterable[EpisodeRecord]) -> list[str]:
    """Tasks in suite-card order, then any task that only the records know."""
    names = [t["name"] for t in (manifest.get("suite") or {}).get("tasks", []) if "name" in t]
    names += [t for t in ((manifest.get("plan") or {}).get("tasks") or {}) if t not in names]
    for r in records:
        if r.task not in names:
            names.append(r.task)
    return names


def planned_episodes(manifest: dict[str, Any], task: str) -> int | None:
    plan = ((manifest.get("plan") or {}).get("tasks") or {}).get(task)
    if plan is None:
        return None
    if "episodes" in plan:
        return int(plan["episodes"])
    return len(plan.get("seeds") or [])


def plan_seeds(manifest: dict[str, Any], task: str) -> list[int] | None:
    plan = ((manifest.get("plan") or {}).get("tasks") or {}).get(task)
    return list(plan["seeds"]) if plan and plan.get("seeds") is not None else None


def load_task_records(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, list[EpisodeRecord]], int]:
    """Manifest, records grouped by task (every planned task present, maybe empty), and the
    number of unplanned records left out: 0, since `load_run` refuses a run that has one (the
    count stays for the callers and summary.json's `unplanned_records_ignored`)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError("no such run directory", where=str(run_dir))
    manifest, records = load_run(run_dir)
    by_task: dict[str, list[EpisodeRecord]] = {t: [] for t in _task_order(manifest, records)}
    for r in records:
        by_task[r.task].append(r)
    return manifest, by_task, 0


def run_label(manifest: dict[str, Any], run_dir: str | Path) -> str:
    return str(manifest.get("run_id") or Path(run_dir).resolve().name)


def _git_text(git: Any, short: bool = False) -> str:
    if isinstance(git, dict):
        rev = str(git.get("revision") or git.get("rev") or git.get("commit") or "unknown")
        return f"{rev[:12] if short else rev}{' (dirty)' if git.get('dirty') else ''}"
    return (str(git)[:12] if short else str(git)) if git else "unknown"


def _run_info(manifest: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    policy = manifest.get("policy") or {}
    suite = manifest.get("suite") or {}
    return {
        "run_id": run_label(manifest, run_dir),
        "run_dir": str(run_dir),
        "created": manifest.get("created"),
        "suite": suite.get("name"),
        "policy": policy.get("name"),
        "policy_type": policy.get("type"),
        "checkpoint": policy.get("checkpoint"),
        "checkpoint_sha256": manifest.get("checkpoint_sha256"),
        "num_envs": manifest.get("num_envs"),
        "seed": (manifest.get("plan") or {}).get("seed"),
        "device": manifest.get("device"),
        "backend": manifest.get("backend"),
        "git": _git_text(manifest.get("git")),
        "git_short": _git_text(manifest.get("git"), short=True),
        "versions": manifest.get("versions") or {},
    }


def _timing(manifest: dict[str, Any]) -> dict[str, Any] | None:
    t = manifest.get("timing")
    if not t:
        return None
    out = dict(t)
    wall = t.get("wall_s") or 0.0
    if "harness_s" not in out and wall:
        out["harness_s"] = max(0.0, wall - t.get("sim_s", 0.0) - t.get("policy_s", 0.0))
    if wall:  # fractions make the split readable at a glance
        out["fractions"] = {k[:-2]: out.get(k, 0.0) / wall for k in ("sim_s", "policy_s", "harness_s")}
    return out


def summarize(run_dir: str | Path) -> dict[str, Any]:
    """Everything the reports show, as plain data (see summary.json)."""
    return _summarize(Path(run_dir), *load_task_records(run_dir))


def success_rule(manifest: dict[str, Any], task: str) -> str:
    """The task's success rule as the run recorded it (`any_step`, `at_end`, `held: K`)."""
    d = (manifest.get("definitions") or {}).get(task)
    if isinstance(d, dict) and d.get("rule"):
        return str(d["rule"])
    card = next((t for t in (manifest.get("suite") or {}).get("tasks", []) if t.get("name") == task), {})
    success = card.get("success")
    if success == "time_limit":
        return "at_end"
    if isinstance(success, dict):
        rule = success.get("rule", "any_step")
        return f"held: {rule['held']}" if isinstance(rule, dict) else str(rule)
    return "unknown"


def definition_hash(manifest: dict[str, Any], task: str) -> str | None:
    d = (manifest.get("definitions") or {}).get(task)
    return d.get("sha256") if isinstance(d, dict) else None


def check_same_definitions(runs: Sequence[tuple[Path, dict[str, Any]]], tasks: Sequence[str]) -> None:
    """Refuse to pair runs whose episodes were judged by different success and failure
    definitions (envs/definition.py); a run that recorded none (older runs) is not checked."""
    (d0, m0), rest = runs[0], runs[1:]
    for d, m in rest:
        for t in tasks:
            a, b = definition_hash(m0, t), definition_hash(m, t)
            if a and b and a != b:
                raise UserError(
                    f"task {t!r} was judged by another success/failure definition in {d} ({success_rule(m, t)}, "
                    f"sha256 {b[:12]}) than in {d0} ({success_rule(m0, t)}, sha256 {a[:12]}): their rates are not "
                    "comparable", where=str(d))


def _summarize(run_dir: Path, manifest: dict[str, Any], by_task: dict[str, list[EpisodeRecord]],
               dropped: int) -> dict[str, Any]:
    cards = {t.get("name"): t for t in (manifest.get("suite") or {}).get("tasks", [])}
    per_task = {task: stats.summarize_records(recs) for task, recs in by_task.items()}
    tasks = []
    for task, s in per_task.items():
        card = cards.get(task) or {}
        planned = planned_episodes(manifest, task)
        tasks.append(
            {
                "task": task,
                "instruction": card.get("instruction"),
                "max_steps": card.get("max_steps"),
                "rule": success_rule(manifest, task),
                "definition_sha256": definition_hash(manifest, task),
                "planned": planned,
                "complete": planned is None or s["episodes"] >= planned,
                **s,
            }
        )
    return {
        "run": _run_info(manifest, run_dir),
        "tasks": tasks,
        "suite": stats.suite_summary(per_task),
        "timing": _timing(manifest),
        "code_identity": code_summary(manifest, [r for recs in by_task.values() for r in recs]),
        "unplanned_records_ignored": dropped,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _json_clean(x: Any) -> Any:
    """NaN is not JSON; write null instead."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_clean(v) for v in x]
    return x


def _row(task: str, kind: str, s: dict[str, Any]) -> dict[str, Any]:
    length = s.get("length") or {}
    slen = s.get("success_length") or {}
    return {
        "task": task,
        "kind": kind,
        "planned": s.get("planned"),
        "episodes": s["episodes"],
        "successes": s["successes"],
        "failures": s["failures"],
        "errors": s["errors"],
        "success_rate": s["success_rate"],
        "ci_low": s["ci_low"],
        "ci_high": s["ci_high"],
        "mean_task_rate": s.get("mean_task_rate"),
        "mean_steps": length.get("mean"),
        "median_steps": length.get("median"),
        "min_steps": length.get("min"),
        "max_steps": length.get("max"),
        "mean_steps_success": slen.get("mean"),
        "median_steps_success": slen.get("median"),
        "min_steps_success": slen.get("min"),
        "max_steps_success": slen.get("max"),
    }


def summary_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per task plus a suite row (kind == "suite")."""
    rows = [_row(t["task"], "task", t) for t in summary["tasks"]]
    rows.append(_row(SUITE_ROW, "suite", summary["suite"]))
    return pd.DataFrame(rows).astype({"planned": "Int64"})  # keep counts integers beside the suite's blank


def is_paired(base_m: dict[str, Any], cand_m: dict[str, Any], task: str) -> bool:
    """Two runs are paired on a task when their plans give it the same episode seeds, hence
    the same start states episode by episode."""
    seeds = plan_seeds(base_m, task)
    return bool(seeds) and seeds == plan_seeds(cand_m, task)


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
    labels = _unique_labels([run_label(m, d) for d, m, _ in loaded], [d for d, _, _ in loaded])
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
                                    max_mde=stats.DEFAULT_MAX_MDE)
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


def _unique_labels(labels: list[str], dirs: list[Path]) -> list[str]:
    """Run labels, falling back to the given path where two runs share a run_id."""
    return [str(d) if labels.count(lbl) > 1 else lbl for lbl, d in zip(labels, dirs)]


def max_mde_of(manifest: dict[str, Any], task: str) -> float:
    card = next((t for t in (manifest.get("suite") or {}).get("tasks", []) if t.get("name") == task), {})
    v = card.get("max_mde")
    return float(v) if isinstance(v, (int, float)) else stats.DEFAULT_MAX_MDE


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
