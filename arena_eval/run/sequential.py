"""A decision in one process: evaluate a candidate on a baseline's plan batch by batch, with
the same loaded policy and the same env workers, until the sequential test decides
(`scripts/evaluate.py --against BASELINE --sequential`).

Each batch grows the run's plan by `batch` episodes per task (as `--resume --episodes n`
would: the first n episodes of a longer plan have the same seeds), runs the new episodes, and
applies the anytime-valid sequential test of `gates.sequential` to the paired outcomes so far.
It stops at the first decision (regression; no regression larger than delta) or at the cap
(the baseline's episodes, or `max_episodes`). The decision and its evidence are written into the
run (`sequential/gate.md`, `sequential.json`, `evidence.png`) and into its summary and report.
The error rates hold under this optional stopping (stats/sequential.py). A killed run resumes
with `--resume` from the episodes it recorded; the decision depends on the records alone, so a
resumed run decides as an uninterrupted one.

The process pays its start-up once: the policy loads once, and the worker processes are parked
between batches and take the next batch's world in about 0.7 s (envs/workers.py), where a
new `evaluate.py` per batch would pay several seconds of start-up each.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..cards import SuiteSpec, override
from ..errors import UserError
from ..records import SEQUENTIAL_DIR, load_manifest
from ..stats.sequential import Design
from .evaluate import EvalConfig, locked_run
from .runner import make_plan


@dataclasses.dataclass(frozen=True)
class SequentialConfig:
    baseline: Path
    """The baseline run directory; the candidate runs on its plan (same seed, the first episodes)."""
    delta: float = 0.25
    """The drop in success rate (rate points / 100) the test must detect with `power`."""
    alpha: float = 0.05
    """The chance of declaring a regression on an unchanged policy (over all the test's rows)."""
    power: float = 0.8
    """The chance of declaring a regression when the rate dropped by delta, within the cap."""
    max_episodes: int | None = None
    """The cap of episodes per task (default: the baseline's)."""
    batch: int = 8
    """Episodes per task between looks."""

    def design(self, cap: int) -> Design:
        return Design(self.delta, self.alpha, 1 - self.power, cap, self.batch)


def baseline_plan(baseline: Path) -> tuple[str, list[str], int, dict[str, int]]:
    """(suite name, tasks, seed, planned episodes per task) of a baseline run."""
    m = load_manifest(baseline)
    plan = m["plan"]
    return (m.get("suite") or {}).get("name") or "", list(plan["tasks"]), int(plan["seed"]), {
        t: int(v["episodes"]) for t, v in plan["tasks"].items()}


def check_against(suite: SuiteSpec, seed: int, seq: SequentialConfig) -> int:
    """The candidate's request must be the baseline's plan: its tasks and seed. Returns the cap."""
    name, tasks, base_seed, episodes = baseline_plan(seq.baseline)
    where = str(seq.baseline)
    if seed != base_seed:
        raise UserError(f"the candidate's --seed {seed} is not the baseline's ({base_seed}): no episode would pair",
                        where=where, field="--seed")
    missing = [t.name for t in suite.tasks if t.name not in episodes]
    if missing:
        raise UserError(f"task(s) {', '.join(missing)} are not in the baseline's plan (it has {', '.join(tasks)})",
                        where=where, field="--tasks")
    if seq.batch < 1 or (seq.max_episodes is not None and seq.max_episodes < 1):
        raise UserError("--batch and --max-episodes must be >= 1", field="--batch")
    cap = min(episodes[t.name] for t in suite.tasks)
    return min(cap, seq.max_episodes) if seq.max_episodes else cap


def evaluate_sequential(cfg: EvalConfig, seq: SequentialConfig) -> tuple[int, list[str], Path]:
    """Run the candidate until the sequential test decides. Returns (exit code as
    check_regression.py --sequential's: 0 no regression > delta or inconclusive at the cap, 1
    regression or a problem, 3 never here), the verdict's lines, the run directory)."""
    from ..gates.sequential import EXIT_MORE, check_sequential, write_outputs

    cap = check_against(cfg.suite, cfg.seed, seq)
    design = seq.design(cap)
    state: dict[str, Any] = {}

    def batches(run_once):
        out = cfg.out
        assert out is not None
        n = _recorded(out, cfg.suite) if cfg.resume else 0
        n = min(cap, max(seq.batch, -(-n // seq.batch) * seq.batch))  # whole batches, at least one
        first = True
        while True:
            print(f"sequential: episodes 0..{n - 1} of {cap} per task against {seq.baseline}", file=sys.stderr, flush=True)
            suite = override(cfg.suite, episodes=n)
            run_once(dataclasses.replace(cfg, suite=suite, resume=cfg.resume or not first, report=False),
                     make_plan(suite, cfg.seed))
            first = False
            code, lines, result = check_sequential(seq.baseline, out, design)
            if code != EXIT_MORE or n >= cap:
                break
            n = min(cap, n + seq.batch)
        write_outputs(out / SEQUENTIAL_DIR, lines, result)
        (out / SEQUENTIAL_DIR / "decision.json").write_text(json.dumps({
            "baseline": str(seq.baseline), "design": dataclasses.asdict(design), "exit_code": code,
            "verdict": lines[-1] if lines else "", "episodes_per_task": n}, indent=1) + "\n")
        state.update(code=code, lines=lines)

    out = locked_run(cfg, batches)
    if cfg.report:
        from ..reports import write_reports

        write_reports(out)
    return state["code"], state["lines"], out


def _recorded(out: Path, suite: SuiteSpec) -> int:
    """Planned episodes per task of a run being resumed (0 for a new directory)."""
    try:
        plan = load_manifest(out)["plan"]["tasks"]
    except UserError:
        return 0
    return min(int(plan.get(t.name, {}).get("episodes", 0)) for t in suite.tasks)
