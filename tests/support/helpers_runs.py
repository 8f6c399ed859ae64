"""Synthetic run directories for report, gate and compare tests (no simulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arena_eval.records import EPISODES, MANIFEST, EpisodeRecord

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_STEPS = 100


def outcomes(successes: int, failures: int, errors: int = 0) -> str:
    """An outcome string for `make_run`, e.g. outcomes(2, 1) == "SSF"."""
    return "S" * successes + "F" * failures + "E" * errors


def record(task: str, episode: int, seed: int, code: str, max_steps: int = MAX_STEPS) -> EpisodeRecord:
    """A plausible record: successes are short, failures time out or hit a failure term."""
    if code == "S":
        return EpisodeRecord(task, episode, seed, "success", "success", 20 + (episode * 7) % 40, slot=episode % 4,
                             timing={"sim_s": 0.5, "policy_s": 0.1, "wall_s": 0.7})
    if code == "F":
        if episode % 3 == 2:
            return EpisodeRecord(task, episode, seed, "failure", "term:pole_fell", 30 + episode % 20, slot=episode % 4)
        return EpisodeRecord(task, episode, seed, "failure", "time_limit", max_steps, slot=episode % 4)
    if code == "E":
        return EpisodeRecord(task, episode, seed, "error", "RuntimeError: simulator exploded\nTraceback ...", 7,
                             slot=episode % 4)
    raise ValueError(code)


def make_run(
    root: Path,
    name: str,
    tasks: dict[str, str],
    *,
    seed: int = 0,
    planned: dict[str, int] | None = None,
    timing: dict[str, float] | None = None,
    policy: str = "scripted",
    torn_tail: bool = False,
    manifest_extra: dict[str, Any] | None = None,
) -> Path:
    """Write results/<name>/ with manifest.json and episodes.jsonl.

    tasks maps a task name to its outcomes in episode order ("S", "F", "E"; "." = not run).
    Episode seeds derive from `seed`, so two runs with the same seed are paired.
    planned overrides a task's planned episode count (default: len of its outcome string).
    """
    run = Path(root) / name
    run.mkdir(parents=True, exist_ok=True)
    planned = planned or {}
    plan, seeds = {}, {}
    for t, codes in tasks.items():
        n = planned.get(t, len(codes))
        seeds[t] = [seed * 100_003 + hash_task(t) * 1000 + i for i in range(max(n, len(codes)))]
        plan[t] = {"episodes": n, "seeds": seeds[t][:n]}
    manifest: dict[str, Any] = {
        "run_id": name,
        "created": "2025-01-01T00:00:00+00:00",
        "suite": {"name": "synthetic", "tasks": [
            {"name": t, "instruction": f"do {t}", "max_steps": MAX_STEPS, "episodes": plan[t]["episodes"]} for t in tasks
        ]},
        "policy": {"name": policy, "type": "scripted", "checkpoint": None},
        "plan": {"seed": seed, "tasks": plan},
        "num_envs": {t: 4 for t in tasks},
        "device": "cpu",
        "versions": {"python": "3.12", "arena_eval": "0.1.0"},
        "git": {"revision": "0123456789abcdef", "dirty": False},
        **(manifest_extra or {}),
    }
    if timing is not None:
        manifest["timing"] = timing
    (run / MANIFEST).write_text(json.dumps(manifest, indent=2))
    lines = [
        record(t, i, seeds[t][i], c).to_json()
        for t, codes in tasks.items()
        for i, c in enumerate(codes)
        if c != "."
    ]
    text = "".join(line + "\n" for line in lines)
    if torn_tail:  # a kill mid-write leaves half a line
        text += '{"task": "' + next(iter(tasks)) + '", "episode": 99, "seed'
    (run / EPISODES).write_text(text)
    return run


def hash_task(name: str) -> int:
    """A stable small number per task name (Python's hash() is salted per process)."""
    return sum(map(ord, name)) % 997


DEFAULT_TIMING = {"wall_s": 100.0, "sim_s": 70.0, "policy_s": 20.0, "harness_s": 10.0}
