"""Is each physical level solvable? The scripted expert (privileged: it reads the object's
state) on every physical level a task card lists, each on the nominal task's seeds; prints
the per-level table (docs/studies/expert-ranges.md comes from it).

    bash scripts/run.sh python benchmarks/expert_ranges.py --suite g1 --task g1_lift --episodes 4
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.cards import load_suite  # noqa: E402
from arena_eval.cards import variation as V  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", required=True)
    p.add_argument("--task", required=True)
    p.add_argument("--episodes", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kinds", default="physical", help="comma-separated axis kinds to sweep (physical, policy, visual)")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args()
    task = load_suite(a.suite).task(a.task)
    kinds = set(a.kinds.split(","))
    vary = [f"{name}={','.join(ax.levels)}" for name, ax in V.task_axes(task).items() if ax.kind in kinds]
    out = a.out or ROOT / "results" / f"expert-{a.task}-{a.kinds.replace(',', '-')}"
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", a.suite, "--tasks", a.task, "--policy", "scripted",
           "--episodes", str(a.episodes), "--seed", str(a.seed), "--videos", "0", "--no-progress", "--out", str(out)]
    cmd += [x for v in vary for x in ("--vary", v)]
    print(" ".join(cmd), flush=True)
    rc = subprocess.run(cmd, cwd=ROOT).returncode
    if rc == 0:
        md = (out / "summary.md").read_text()
        print(md[md.index("## Robustness sweep"):])
    return rc


if __name__ == "__main__":
    sys.exit(main())
