"""Env throughput and harness overhead on CPU (a benchmark, not a test).

For a task of a suite, prints env-frames/s for 1 and 4 envs with and without the camera,
and the ratio of the harness's eval loop (runner + adapter, zero-cost policy) to bare
Isaac Lab stepping plus reading the camera, interleaved in one process. Optionally tries
Newton's MuJoCo C solver (use_mujoco_cpu, one env per process).

    bash scripts/run.sh python benchmarks/bench_env.py --suite g1 --task g1_pick_place --steps 100
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena_eval.cards import PolicySpec, load_suite
from arena_eval.policies.simple import ZeroPolicy  # noqa: E402
from arena_eval.run import PlannedEpisode, run_task


def variant(task, num_envs: int, camera: bool, steps: int, extra_cfg: dict | None = None):
    obs = {k: v for k, v in task.observations.items() if camera or not k.startswith("video.")}
    cfg = dict(task.env.cfg)
    if not camera:
        for k, o in task.observations.items():  # each camera the card reads (ego_cam, agent_cam, ...)
            if k.startswith("video.") and o.source and o.source.startswith("camera:"):
                cfg["scene." + o.source.split(":", 1)[1]] = None
    cfg.update(extra_cfg or {})
    # In-process (it times Isaac Lab's own step); benchmarks/bench_eval.py compares backends.
    env = dataclasses.replace(task.env, backend="isaaclab", num_envs=num_envs, cfg=cfg)
    # Episodes that never end before `steps`: both loops then step the same states.
    return dataclasses.replace(task, observations=obs, env=env, max_steps=steps + 10, failure_terms=(),
                               failure_when={})


def measure(task, steps: int) -> dict[str, float]:
    import torch

    from arena_eval.envs import make_env

    env = make_env(task, seed=0)
    try:
        n = env.num_envs
        env.reset_to(np.arange(n), list(range(n)))
        zero = torch.zeros((n, task.action_dim), device=env.device)
        cams = [task.observations[k].source.split(":", 1)[1] for k in task.observations if k.startswith("video.")]

        def bare() -> float:
            # Isaac Lab's own step plus reading the camera images, the least any harness does
            # (cameras render lazily, when their output is read).
            t0 = time.perf_counter()
            with torch.inference_mode():
                for _ in range(steps):
                    env.env.step(zero)
                    for c in cams:
                        env.env.scene.sensors[c].data.output["rgb"]
            return steps * n / (time.perf_counter() - t0)

        def harness() -> tuple[float, float]:
            pol = ZeroPolicy(PolicySpec(name="zero", type="zero", action_horizon=16, n_action_steps=16))
            pol.bind(task, env.single_observation_space, env.single_action_space)
            plan = [PlannedEpisode(task.name, i, i) for i in range(n)]
            timing = run_task(env, pol, dataclasses.replace(task, max_steps=steps), plan, lambda r: None, progress=False)
            return steps * n / timing.wall_s, timing.sim_s / timing.wall_s

        for _ in range(3):  # warm-up (kernel loads, first render)
            env.env.step(zero)
        # Interleaved so that drifts in machine load hit both loops alike.
        b1, (h1, frac1), b2, (h2, frac2) = bare(), harness(), bare(), harness()
        bare_fps, harness_fps = (b1 + b2) / 2, (h1 + h2) / 2
        return {"bare_fps": bare_fps, "harness_fps": harness_fps, "ratio": harness_fps / bare_fps, "sim_frac": (frac1 + frac2) / 2}
    finally:
        env.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--suite", default="g1")
    p.add_argument("--task", default=None)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--envs", default="1,4")
    p.add_argument("--mujoco-cpu", action="store_true", help="also try Newton's MuJoCo C solver")
    a = p.parse_args()
    suite = load_suite(a.suite)
    task = suite.task(a.task) if a.task else suite.tasks[0]
    has_cam = any(k.startswith("video.") for k in task.observations)
    rows = []
    for n in map(int, a.envs.split(",")):
        for cam in ([False, True] if has_cam else [False]):
            r = measure(variant(task, n, cam, a.steps), a.steps)
            rows.append((n, cam, r))
            print(f"{task.name} envs={n} camera={cam}: bare {r['bare_fps']:.1f} env-frames/s, harness "
                  f"{r['harness_fps']:.1f} env-frames/s, harness/bare = {r['ratio']:.3f}", flush=True)
    if a.mujoco_cpu:
        try:
            # One env per process (Newton keeps one template MjData on this path); the fixes
            # this path needs are applied by arena_eval.envs.newton_patches.
            extra = {"sim.physics.solver_cfg.use_mujoco_cpu": True}
            r = measure(variant(task, 1, False, a.steps, extra), a.steps)
            print(f"{task.name} MuJoCo C solver, envs=1: bare {r['bare_fps']:.1f} env-frames/s", flush=True)
        except Exception as e:  # report what it gives, whatever it is
            print(f"{task.name} MuJoCo C solver: failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}", flush=True)
    print("\n| envs | camera | bare env-frames/s | harness env-frames/s | harness/bare |")
    print("|---|---|---|---|---|")
    for n, cam, r in rows:
        print(f"| {n} | {cam} | {r['bare_fps']:.1f} | {r['harness_fps']:.1f} | {r['ratio']:.3f} |")


if __name__ == "__main__":
    main()
