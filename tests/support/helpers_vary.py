"""Run as a script by tests/integration/test_isaaclab_vary.py: build a task of a suite under a variation
level on a backend, start the given seeds in slots 0..n-1, read every slot's observation
(camera frames included) and start state, save them as .npz. Several levels (separated by
";") are built one after the other in this process (the in-process backend), each saved to
OUT with the level's index before ".npz" (OUT.0.npz, OUT.1.npz, ...).

    python tests/support/helpers_vary.py SUITE TASK AXIS=LEVEL|nominal[;...] BACKEND NUM_ENVS SEED[,SEED...] OUT.npz
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(suite: str, task: str, levels: str, backend: str, num_envs: str, seeds: str, out: str) -> None:
    if ";" not in levels:
        return build(suite, task, levels, backend, num_envs, seeds, out)
    for i, level in enumerate(levels.split(";")):
        build(suite, task, level, backend, num_envs, seeds, out.removesuffix(".npz") + f".{i}.npz")


def build(suite: str, task: str, level: str, backend: str, num_envs: str, seeds: str, out: str) -> None:
    import dataclasses

    from arena_eval.cards import load_suite
    from arena_eval.cards import variation as V
    from arena_eval.envs import make_env

    t = load_suite(suite).task(task)
    t = dataclasses.replace(t, env=dataclasses.replace(t.env, backend=backend, num_envs=int(num_envs)))
    if level != "nominal":
        axis, lv = level.split("=")
        t = V.derive(t, V.task_axes(t)[axis], lv)
    env = make_env(t, num_envs=int(num_envs), seed=0)
    try:
        s = [int(x) for x in seeds.split(",")]
        obs, inits = env.reset_to(np.arange(len(s)), s)
        arrays = {k: np.asarray(v[: len(s)]) for k, v in obs.items()}
    finally:
        env.close()
    np.savez(out, **arrays, init=np.array(json.dumps(inits)))


if __name__ == "__main__":
    main(*sys.argv[1:])
