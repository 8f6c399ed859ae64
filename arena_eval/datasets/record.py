"""Record a policy's episodes on a suite as LeRobot v2 datasets (see dataset.py), one per
task in `<out>/<task>/`: the plan, seeds and start states are those of an evaluation with
the same arguments, so a dataset's episodes can be matched with an evaluation's records.
`meta/arena_eval.json` says what ran (cards, seeds, outcomes, versions)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..cards import load_policy, load_suite, override, select_tasks
from ..errors import UserError
from ..policies import make_policy
from ..records import git_info
from ..run import make_plan, run_task, task_env
from .lerobot import EpisodeTrace, LeRobotWriter, dataset_layout


class NoisyActions:
    """Wraps a batched env: every action sent gets Gaussian noise, drawn from one generator
    seeded by the run seed. Ignored keys are untouched. The noise never carries an action past
    the key's bounds, but an action the policy itself sent beyond them is not pulled back: a
    card's bounds may only box in the random policy (the G1 arms' +-1.5 rad), and clipping
    the expert's plan to them breaks its grasps."""

    def __init__(self, env, task, sigma: float, seed: int):
        self.env, self.task, self.sigma = env, task, sigma
        self.rng = np.random.default_rng([seed, 0xDA27])

    def __getattr__(self, name):
        return getattr(self.env, name)

    def step_eval(self, action):
        noisy = {}
        for k, a in action.items():
            slot = self.task.actions[k]
            noisy[k] = a if slot.ignore else np.clip(
                a + self.rng.normal(0.0, self.sigma, a.shape), np.minimum(a, slot.low), np.maximum(a, slot.high)
            ).astype(np.float32)
        return self.env.step_eval(noisy)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="record.py", description="Record a policy's episodes as LeRobot v2 datasets.")
    p.add_argument("--suite", required=True, help="suite name in tasks/ or a path to a suite card")
    p.add_argument("--tasks", default=None, help="comma-separated task names (default: all)")
    p.add_argument("--policy", required=True, help="policy name in policies/ or a path to a policy card")
    p.add_argument("--num-envs", type=int, default=None)
    p.add_argument("--episodes", type=int, default=None, help="episodes per task (default: the card's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="dataset root; one dataset per task in <out>/<task>/")
    p.add_argument("--only-success", action="store_true", help="keep only successful episodes (demonstrations)")
    p.add_argument("--action-noise", type=float, default=0.0, metavar="SIGMA",
                   help="execute the policy's actions plus Gaussian noise of this std (in action units) while "
                        "recording its clean actions (DART), so the data covers recoveries from small errors")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.action_noise < 0:
        raise UserError(f"expected a number >= 0, got {args.action_noise}", field="--action-noise")
    suite = load_suite(args.suite)
    suite = select_tasks(suite, [t for t in args.tasks.split(",") if t] if args.tasks else None)
    suite = override(suite, num_envs=args.num_envs, episodes=args.episodes)
    spec = load_policy(args.policy)
    if args.out.exists() and any(args.out.iterdir()):
        raise UserError("holds files already; choose an empty or new directory", where=str(args.out))
    plan = make_plan(suite, args.seed)
    policy = make_policy(spec)

    from ..envs.isaaclab import check_env_ids, isaaclab_versions

    check_env_ids(list(suite.tasks))
    try:
        for task in suite.tasks:
            with task_env(task, policy, args.seed) as env:
                if args.action_noise > 0:
                    env = NoisyActions(env, task, args.action_noise, args.seed)
                state, action, video = dataset_layout(task, env.single_observation_space)
                fps = 1.0 / getattr(env, "step_dt", 0.02)
                writer = LeRobotWriter(args.out / task.name, fps=fps, state=state, action=action, video=video,
                                       robot_type=task.env.id)
                trace = EpisodeTrace(task, writer, only_success=args.only_success)
                records = []
                run_task(env, policy, task, plan[task.name], records.append, progress=not args.no_progress, trace=trace)
                writer.close()
            (args.out / task.name / "meta" / "arena_eval.json").write_text(json.dumps({
                "task": task.to_card(), "policy": spec.to_card(), "seed": args.seed, "only_success": args.only_success,
                "action_noise": args.action_noise,
                "episodes": [{"episode": r.episode, "seed": r.seed, "outcome": r.outcome, "reason": r.reason, "steps": r.steps}
                             for r in sorted(records, key=lambda r: r.episode)],
                "kept": trace.kept, "skipped": trace.skipped, "git": git_info(), "versions": isaaclab_versions(),
            }, indent=2, default=str) + "\n")
            print(f"{task.name}: {trace.kept} episodes written to {args.out / task.name}"
                  + (f" ({trace.skipped} unsuccessful left out)" if trace.skipped else ""), file=sys.stderr)
    finally:
        policy.close()
    return 0
