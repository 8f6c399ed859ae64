"""A run's summary (summary.json): per task and pooled, numbers only, no rendering.

Only planned episodes count (docs/design.md Rule 1): a task with fewer records than planned is
flagged as incomplete (its rate is biased towards short, often successful, episodes). Episode
lengths are over decided episodes.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..records import (
    EpisodeRecord,
    code_summary,
    definition_hash,
    load_task_records,
    planned_episodes,
    read_decision,
    run_label,
    success_rule,
)
from ..records.schema import SCHEMA_VERSION
from . import rates as stats

SUITE_ROW = "ALL (pooled)"


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
    return summarize_loaded(Path(run_dir), *load_task_records(run_dir))


def summarize_loaded(run_dir: Path, manifest: dict[str, Any], by_task: dict[str, list[EpisodeRecord]],
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
        "schema_version": SCHEMA_VERSION,
        "run": _run_info(manifest, run_dir),
        "tasks": tasks,
        "suite": stats.suite_summary(per_task),
        "timing": _timing(manifest),
        "code_identity": code_summary(manifest, [r for recs in by_task.values() for r in recs]),
        "unplanned_records_ignored": dropped,
        "sequential": read_decision(run_dir),
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def json_clean(x: Any) -> Any:
    """NaN is not JSON; write null instead."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
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





