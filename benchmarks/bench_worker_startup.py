"""What a worker process's start-up costs next to building another env in a process that
already has one: a 1-slot worker env for the first task (spawn, imports, build), then the
same and further tasks built in turn in this process (in-process adapter, MuJoCo C solver as
a worker runs them). The ratio is what reusing workers across tasks could save.

    bash scripts/run.sh python benchmarks/bench_worker_startup.py [--suite robocasa] [--tasks a,b,c]

Prints seconds per step, measured in one run (run it alone: the machine's other load counts).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from arena_eval.cards import load_suite
    from arena_eval.envs.isaaclab import IsaacLabVectorEnv
    from arena_eval.envs.workers import WorkerVectorEnv, worker_task

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", default="robocasa")
    p.add_argument("--tasks", default="open_drawer,coffee_press_button,close_single_door")
    a = p.parse_args()
    tasks = {t.name: t for t in load_suite(a.suite).tasks}
    names = a.tasks.split(",")
    t0 = time.perf_counter()
    env = WorkerVectorEnv(tasks[names[0]], num_envs=1)
    worker = time.perf_counter() - t0
    env.close()
    print(f"worker env ready ({names[0]}, spawn + imports + build): {worker:.1f} s", flush=True)
    builds = []
    for name in names:
        t0 = time.perf_counter()
        env = IsaacLabVectorEnv(worker_task(tasks[name]), num_envs=1, seed=0, read_cameras=False)
        builds.append(time.perf_counter() - t0)
        env.close()
        print(f"in-process build {name}: {builds[-1]:.1f} s{' (first in this process: imports)' if len(builds) == 1 else ''}",
              flush=True)
    if len(builds) > 1:
        later = sum(builds[1:]) / len(builds[1:])
        print(f"ratio: a fresh worker costs {worker / later:.0f}x a later build in a warm process", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
