"""Reading runs and pairing them: a run's records grouped by task within its plan, what the
manifest says of each task (planned episodes and seeds, success rule, definition hash, the
verdict bound), and whether two runs pair on a task (the same episode seeds, hence the same
start states episode by episode).

Reads only `manifest.json` and `episodes.jsonl` (through `rundir.load_run`, which refuses a
record outside the plan, with another seed than the plan's, or deciding an episode differently
from an earlier one: `checks`), never simulator or policy objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import UserError
from .rundir import EpisodeRecord, load_run

DEFAULT_MAX_MDE = 0.3
"""compare's verdicts need a minimum detectable effect at most this (task card field max_mde)."""


def task_order(manifest: dict[str, Any], records: Iterable[EpisodeRecord]) -> list[str]:
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
    by_task: dict[str, list[EpisodeRecord]] = {t: [] for t in task_order(manifest, records)}
    for r in records:
        by_task[r.task].append(r)
    return manifest, by_task, 0


def run_label(manifest: dict[str, Any], run_dir: str | Path) -> str:
    return str(manifest.get("run_id") or Path(run_dir).resolve().name)


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


def is_paired(base_m: dict[str, Any], cand_m: dict[str, Any], task: str) -> bool:
    """Two runs are paired on a task when their plans give it the same episode seeds, hence
    the same start states episode by episode."""
    seeds = plan_seeds(base_m, task)
    return bool(seeds) and seeds == plan_seeds(cand_m, task)


def unique_labels(labels: list[str], dirs: list[Path]) -> list[str]:
    """Run labels, falling back to the given path where two runs share a run_id."""
    return [str(d) if labels.count(lbl) > 1 else lbl for lbl, d in zip(labels, dirs)]


def max_mde_of(manifest: dict[str, Any], task: str) -> float:
    card = next((t for t in (manifest.get("suite") or {}).get("tasks", []) if t.get("name") == task), {})
    v = card.get("max_mde")
    return float(v) if isinstance(v, (int, float)) else DEFAULT_MAX_MDE
