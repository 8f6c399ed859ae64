"""The per-task table of docs/cards.md, from runs: the scripted expert with 4 and with 1 env slots,
whether both start every episode in the same state and end it the same way, the random
policy, the blind baseline (the expert's first planned episode replayed open loop on every
seed: a task it solves often does not test perception), and (with --mjwarp) the scripted
expert on the in-process MJWarp backend against the worker backend on the same episodes.

Each cell comes from a run of `scripts/evaluate.py` (seed --seed, --episodes per task, no
videos: cameras do not touch the physics) under --workdir, one run per (suite, column); runs
already there are resumed, so an interrupted table continues where it stopped. Prints the
Markdown table, writes it to <workdir>/task_table.md and the wall time of each run to
<workdir>/task_table.json.

    bash scripts/run.sh python benchmarks/task_table.py --workdir /tmp/task-table
    bash scripts/run.sh python benchmarks/task_table.py --workdir /tmp/task-table --mjwarp
    bash scripts/run.sh python benchmarks/task_table.py --workdir /tmp/task-table --table-only  # so far
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

from arena_eval.errors import UserError, cli_main  # noqa: E402
from arena_eval.records import EPISODES, dedupe, read_records

SUITES = ("g1", "dexmg", "robocasa")
# column -> (policy, extra evaluate.py arguments)
RUNS = {
    "scripted4": ("scripted", ["--num-envs", "4"]),
    "scripted1": ("scripted", ["--num-envs", "1"]),
    "random": ("random", []),
    "blind": ("blind", []),
    "mjwarp": ("scripted", ["--backend", "isaaclab", "--num-envs", "4"]),
}


def evaluate(suite: str, column: str, a: argparse.Namespace) -> tuple[Path, float]:
    policy, extra = RUNS[column]
    out = a.workdir / f"{suite}-{column}"
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", suite, "--policy", policy,
           "--episodes", str(a.episodes), "--seed", str(a.seed), "--videos", "0", "--out", str(out), *extra]
    if (out / EPISODES).exists():
        cmd.append("--resume")
    if a.tasks:
        cmd += ["--tasks", a.tasks]
    print(f"[task_table] {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"task_table: {suite} {column} run failed (exit {proc.returncode}); rerun to resume it")
    return out, time.perf_counter() - t0


def by_episode(run: Path) -> dict[str, dict[int, object]]:
    out: dict[str, dict[int, object]] = {}
    for r in dedupe(read_records(run / EPISODES)):
        out.setdefault(r.task, {})[r.episode] = r
    return out


def rate(recs: dict[int, object]) -> str:
    if not recs:  # no run of this column (yet: --table-only on an unfinished table)
        return "-"
    ok = sum(r.outcome == "success" for r in recs.values())
    err = sum(r.outcome == "error" for r in recs.values())
    return f"{ok}/{len(recs) - err}" + (f" (+{err} errors)" if err else "")


def agree(a: dict[int, object], b: dict[int, object]) -> tuple[str, str]:
    common = sorted(set(a) & set(b))
    if not common:
        return "-", "-"
    same_start = sum(a[i].seed == b[i].seed and a[i].init_state == b[i].init_state for i in common)
    same_outcome = sum(a[i].outcome == b[i].outcome for i in common)
    return f"{same_start}/{len(common)}", f"{same_outcome}/{len(common)}"


def table(runs: dict[tuple[str, str], Path], mjwarp: bool) -> str:
    head = ["suite", "task", "scripted, 4 slots", "scripted, 1 slot", "same start state", "same outcome", "random",
            "blind"]
    if mjwarp:
        head += ["scripted, MJWarp", "same start state", "same outcome"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for suite in SUITES:
        if (suite, "scripted4") not in runs:
            continue
        cols = {c: by_episode(runs[(suite, c)]) for c in RUNS if (suite, c) in runs}
        for task, s4 in cols["scripted4"].items():
            s1, rnd = cols.get("scripted1", {}).get(task, {}), cols.get("random", {}).get(task, {})
            row = [suite, task, rate(s4), rate(s1), *agree(s4, s1), rate(rnd), rate(cols.get("blind", {}).get(task, {}))]
            if mjwarp:
                mj = cols.get("mjwarp", {}).get(task, {})
                row += [rate(mj), *agree(s4, mj)]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


@cli_main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="task_table.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path, required=True, help="where the runs live (resumed if there)")
    p.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites (default: all three)")
    p.add_argument("--tasks", default=None, help="comma-separated tasks (default: every task of each suite)")
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mjwarp", action="store_true", help="also run the scripted expert on the MJWarp backend")
    p.add_argument("--table-only", action="store_true",
                   help="run nothing: print the table of the runs already in --workdir (a column or task not run yet: -)")
    a = p.parse_args(argv)
    suites = [s for s in a.suites.split(",") if s]
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        raise UserError(f"expected suites among {', '.join(SUITES)}, got {', '.join(unknown)}", field="--suites")
    if a.episodes < 1:
        raise UserError(f"expected an integer >= 1, got {a.episodes}", field="--episodes")
    if a.table_only:
        runs = {(s, c): a.workdir / f"{s}-{c}" for s in suites for c in RUNS
                if (a.workdir / f"{s}-{c}" / EPISODES).is_file()}
        if not runs:
            raise UserError("no runs there", field="--workdir", where=str(a.workdir))
        print(table(runs, a.mjwarp))
        return 0
    a.workdir.mkdir(parents=True, exist_ok=True)
    columns = ["scripted4", "random", "blind", "scripted1"] + (["mjwarp"] if a.mjwarp else [])
    runs, walls = {}, {}
    for column in columns:  # a column at a time: the scripted and random results come first
        for suite in suites:
            runs[(suite, column)], walls[f"{suite}-{column}"] = evaluate(suite, column, a)
    text = table(runs, a.mjwarp)
    (a.workdir / "task_table.md").write_text(text + "\n")
    (a.workdir / "task_table.json").write_text(json.dumps({"wall_s": walls, "episodes": a.episodes, "seed": a.seed},
                                                          indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
