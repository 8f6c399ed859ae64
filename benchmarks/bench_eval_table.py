"""Both env backends on every embedded task, the same planned episodes side by side: runs
`bench_eval.py` once per task (its own process, one task at a time, so the timings do not
share the cores) and writes `<workdir>/bench_eval.md` and `bench_eval.json`: per task the
worker backend's and the in-process MJWarp backend's env-frames/s and their ratio, the
scripted successes on each, how many start states are identical and how many outcomes agree.
A task whose `<workdir>/<task>.json` exists is not run again (a killed table resumes).

    bash scripts/run.sh python benchmarks/bench_eval_table.py --workdir /tmp/bench-eval --episodes 20

Run it alone on the machine: it is a timing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arena_eval.cards import load_suite  # noqa: E402

SUITES = ("g1", "dexmg", "robocasa")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--suites", default=",".join(SUITES))
    p.add_argument("--tasks", default=None, help="comma-separated task names (default: every task of the suites)")
    a = p.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    wanted = set(a.tasks.split(",")) if a.tasks else None
    rows = []
    for suite in a.suites.split(","):
        for task in load_suite(suite).tasks:
            if wanted and task.name not in wanted:
                continue
            out = a.workdir / f"{task.name}.json"
            if not out.is_file():
                t0 = time.time()
                cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_eval.py"), "--suite", suite, "--task", task.name,
                       "--episodes", str(a.episodes), "--seed", str(a.seed), "--json", str(out)]
                with open(a.workdir / f"{task.name}.log", "w") as log:
                    rc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
                if rc != 0:
                    print(f"{task.name}: bench_eval.py exited {rc}; see {a.workdir / (task.name + '.log')}", file=sys.stderr)
                    return 1
                print(f"{task.name}: {time.time() - t0:.0f} s", flush=True)
            r = json.loads(out.read_text())
            if r["episodes"] != a.episodes or r["seed"] != a.seed:
                print(f"{out}: made with {r['episodes']} episodes, seed {r['seed']}; remove it or use another --workdir",
                      file=sys.stderr)
                return 2
            rows.append(r)
    n = a.episodes
    lines = ["| suite | task | worker backend (env-frames/s) | MJWarp, 4 envs (env-frames/s) | speedup | scripted, workers "
             "| scripted, MJWarp | same start state | same outcome | errors |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['suite']} | {r['task']} | {r['new_fps']:.1f} | {r['old_fps']:.1f} | {r['speedup']:.2f} "
                     f"| {r['new_success']}/{n} | {r['old_success']}/{n} | {r['same_start']}/{n} | {r['agree']}/{n} "
                     f"| {r['errors']} |")
    table = "\n".join(lines) + "\n"
    (a.workdir / "bench_eval.md").write_text(table)
    (a.workdir / "bench_eval.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
