"""Start-up of an evaluation: seconds from the command's start to its first env being ready
(the manifest's `invocations[0].ready_s`: imports, the policy's load, the env's workers and
world), with the env's workers started ahead, beside the policy's load (`envs.prestart`, the
default), and without (ARENA_EVAL_PRESTART=0), alternating, after one warm-up run of each (warp's
kernels and the assets cached). Prints each run and the medians' ratio (a benchmark, not a test).

    bash scripts/run.sh python benchmarks/bench_startup.py --suite g1 --tasks g1_lift \\
        --policy small-gr00t-g1-lift --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(args: argparse.Namespace, prestart: bool, out: Path) -> dict[str, float]:
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", args.suite, "--tasks", args.tasks,
           "--policy", args.policy, "--episodes", "1", "--num-envs", str(args.num_envs), "--seed", "0",
           "--videos", "0", "--no-progress", "--out", str(out)]
    env = {**os.environ, "ARENA_EVAL_PRESTART": "1" if prestart else "0"}
    t0 = time.time()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit(f"evaluate.py failed ({p.returncode}): {p.stderr[-2000:]}")
    m = json.loads((out / "manifest.json").read_text())
    return {"ready_s": float(m["invocations"][0]["ready_s"]), "command_s": round(wall, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="g1")
    ap.add_argument("--tasks", default="g1_lift")
    ap.add_argument("--policy", default="small-gr00t-g1-lift")
    ap.add_argument("--num-envs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    res: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for i in range(args.repeats + 1):
            for pre in (False, True):
                r = one(args, pre, Path(tmp) / f"{int(pre)}-{i}")
                label = "warm-up" if i == 0 else f"run {i}"
                print(f"{label}: prestart={'on' if pre else 'off'}: ready after {r['ready_s']:.1f} s, "
                      f"command {r['command_s']:.1f} s", flush=True)
                if i:
                    res[pre].append(r)
    med = {pre: statistics.median(r["ready_s"] for r in rs) for pre, rs in res.items()}
    print(f"\n{args.suite}/{args.tasks}, {args.policy}, {args.num_envs} workers, {args.repeats} runs each: "
          f"ready after {med[False]:.1f} s without prestart, {med[True]:.1f} s with (median); "
          f"ratio {med[True] / med[False]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
