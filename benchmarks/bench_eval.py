"""The same planned episodes on both env backends, side by side in one invocation (a
benchmark, not a test).

Runs the task's first N planned episodes (run seed --seed, as `evaluate.py` plans them) with
the policy, first on the worker backend (one env per worker process, Newton's MuJoCo C
solver, cameras rendered when read) and then on the in-process MJWarp backend (the card's
task with `backend: isaaclab`, --old-envs envs, cameras rendered at every step). Prints
env-frames/s of each (episode steps over the wall time of the rollout loop, policy
included, env creation excluded), whether the start states are identical, how many
outcomes agree, and as its last line `speedup <new/old>`.

    bash scripts/run.sh python benchmarks/bench_eval.py --suite g1 --task g1_pick_place --episodes 8
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.cards import available_cores, load_policy, load_suite, select_tasks
from arena_eval.errors import UserError, cli_main  # noqa: E402
from arena_eval.run import make_plan, run_task


def run_backend(task, policy_spec, plan, backend: str, num_envs: int, seed: int) -> dict:
    from arena_eval.envs import make_env
    from arena_eval.policies import make_policy

    task = dataclasses.replace(task, env=dataclasses.replace(task.env, backend=backend, num_envs=num_envs))
    policy = make_policy(policy_spec)
    env = make_env(task, seed=seed)
    try:
        policy.bind(task, env.single_observation_space, env.single_action_space)
        records = []
        t0 = time.perf_counter()
        timing = run_task(env, policy, task, plan, records.append, progress=False)
        wall = time.perf_counter() - t0
        mem = env.peak_memory() if hasattr(env, "peak_memory") else None
    finally:
        env.close()
        policy.close()
    steps = sum(r.steps for r in records)
    return {"records": {r.episode: r for r in records}, "steps": steps, "wall": wall, "fps": steps / wall,
            "sim_frac": timing.sim_s / max(timing.wall_s, 1e-9), "make_s": getattr(env, "make_seconds", float("nan")),
            "mem": mem}


@cli_main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_eval.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", required=True)
    p.add_argument("--task", required=True)
    p.add_argument("--episodes", type=int, default=8)
    p.add_argument("--policy", default="scripted")
    p.add_argument("--seed", type=int, default=0, help="run seed of the plan")
    p.add_argument("--workers", type=int, default=None, help="worker processes of the new backend (default: available cores)")
    p.add_argument("--old-envs", type=int, default=4, help="envs in one process on the MJWarp backend (default 4)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file (bench_eval_table.py)")
    a = p.parse_args(argv)
    for name in ("episodes", "old_envs") + (("workers",) if a.workers is not None else ()):
        if getattr(a, name) < 1:
            raise UserError(f"expected an integer >= 1, got {getattr(a, name)}", field="--" + name.replace("_", "-"))
    suite = select_tasks(load_suite(a.suite), [a.task])
    task = dataclasses.replace(suite.tasks[0], episodes=a.episodes)
    policy = load_policy(a.policy)
    plan = make_plan(dataclasses.replace(suite, tasks=(task,)), a.seed)[task.name]
    workers = a.workers or available_cores()

    from arena_eval.envs.isaaclab import check_env_ids

    check_env_ids([task])
    new = run_backend(task, policy, plan, "isaaclab_workers", workers, a.seed)
    print(f"new: isaaclab_workers, {workers} workers (MuJoCo C): {new['fps']:.1f} env-frames/s "
          f"({new['steps']} frames in {new['wall']:.1f} s; env creation {new['make_s']:.1f} s; peak memory {new['mem']})",
          flush=True)
    old = run_backend(task, policy, plan, "isaaclab", a.old_envs, a.seed)
    print(f"old: isaaclab, {a.old_envs} envs in-process (MJWarp): {old['fps']:.1f} env-frames/s "
          f"({old['steps']} frames in {old['wall']:.1f} s; env creation {old['make_s']:.1f} s)", flush=True)

    same_start = agree = 0
    for ep in plan:
        rn, ro = new["records"][ep.episode], old["records"][ep.episode]
        same_start += rn.init_state == ro.init_state
        agree += rn.outcome == ro.outcome
        print(f"  episode {ep.episode} seed {ep.seed}: new {rn.outcome} ({rn.reason}, {rn.steps} steps), "
              f"old {ro.outcome} ({ro.reason}, {ro.steps} steps)")
    n = len(plan)
    succ = {k: sum(r.outcome == "success" for r in d["records"].values()) for k, d in (("new", new), ("old", old))}
    print(f"{task.name}: success new {succ['new']}/{n}, old {succ['old']}/{n}; "
          f"start states identical {same_start}/{n}; outcomes agree {agree}/{n}")
    print(f"speedup {new['fps'] / old['fps']:.2f}")
    if a.json:
        errors = sum(r.outcome == "error" for d in (new, old) for r in d["records"].values())
        a.json.write_text(json.dumps({
            "suite": a.suite, "task": task.name, "episodes": n, "seed": a.seed, "policy": a.policy, "workers": workers,
            "old_envs": a.old_envs, "new_fps": new["fps"], "old_fps": old["fps"], "speedup": new["fps"] / old["fps"],
            "new_wall_s": new["wall"], "old_wall_s": old["wall"], "new_success": succ["new"], "old_success": succ["old"],
            "same_start": same_start, "agree": agree, "errors": errors,
        }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
