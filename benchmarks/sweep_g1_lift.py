"""A CI-sized robustness sweep of the shipped G1 checkpoint: small-gr00t-g1-lift on g1_lift
over several variation axes, each level on the nominal task's seeds, then the table and plot
of docs/studies/sweep-g1-lift.md (docs/studies/sweep-small-gr00t-g1-lift.png).

    bash scripts/run.sh python benchmarks/sweep_g1_lift.py [--episodes 8] [--out results/sweep-g1-lift]

A plain `scripts/evaluate.py --vary ...` run (printed before it starts); `--resume` continues
a killed sweep.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The checkpoint reads joint and box state only, so visual axes cannot move it; one is swept to
# show that (and its frames in the report).
VARY = ["object=heavy,slippery", "placement=wide", "init_joints=large", "obs_noise=high", "action_noise=high", "latency=3",
        "lighting=ambient_only"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--policy", default="small-gr00t-g1-lift")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "sweep-g1-lift")
    p.add_argument("--plot", type=Path, default=ROOT / "docs" / "studies" / "sweep-small-gr00t-g1-lift.png")
    p.add_argument("--resume", action="store_true")
    a = p.parse_args()
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "g1", "--tasks", "g1_lift", "--policy", a.policy,
           "--episodes", str(a.episodes), "--seed", str(a.seed), "--videos", "1", "--no-progress", "--out", str(a.out)]
    cmd += [x for v in VARY for x in ("--vary", v)] + (["--resume"] if a.resume else [])
    print(" ".join(cmd), flush=True)
    rc = subprocess.run(cmd, cwd=ROOT).returncode
    if rc != 0:
        return rc
    a.plot.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(a.out / "sensitivity.png", a.plot)
    md = (a.out / "summary.md").read_text()
    print(md[md.index("## Robustness sweep"):])
    print(f"plot copied to {a.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
