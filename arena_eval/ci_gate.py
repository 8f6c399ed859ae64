"""The CI gate on the shipped checkpoints: evaluate each with its committed baseline's plan
and run the regression check against that baseline.

`results/baselines/gate.yaml` lists the entries: policy card, suite, optional tasks,
episodes, seed, baseline run directory, optional `allow_dirty_baseline`, and optional
`sequential` (delta, alpha, power, max_episodes, batch: the sequential gate of
arena_eval.seq_gate). Each evaluation runs as its own process (Isaac Lab holds one simulation
per process) into `<out>/<policy>/`. Exit 1 if any entry regresses.

A sequential entry runs the candidate on the baseline's plan up to
min(max_episodes, the baseline's episodes) episodes per task. With `--batches` it evaluates
batch by batch (`--episodes n --resume`, n growing by `batch`) and stops as soon as the test
decides; that needs evaluate.py's `--resume` to extend a run's plan to more episodes (the
earlier plan is a prefix of the longer one: episode seeds depend only on seed, task and
index). Without `--batches` it evaluates the whole cap at once and applies the same test,
which reports the episodes it would have needed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Callable

import yaml

from .errors import UserError
from .gate import check_regression
from .results import load_manifest
from .specs import REPO_ROOT

GATE_FILE = REPO_ROOT / "results" / "baselines" / "gate.yaml"
SEQ_FIELDS = {"delta": float, "alpha": float, "power": float, "max_episodes": int, "batch": int}


def load_entries(path: Path = GATE_FILE) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise UserError(f"cannot read the gate list ({str(e).splitlines()[0]})", where=str(path))
    entries = data.get("gate") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise UserError("expected a non-empty list under 'gate'", where=str(path), field="gate")
    need = {"policy", "suite", "episodes", "seed", "baseline"}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not need <= set(e):
            raise UserError(f"expected the fields {sorted(need)}", where=str(path), field=f"gate[{i}]")
        if "sequential" in e:
            design(e, path, i)  # validated up front: a typo fails before any evaluation
    return entries


def design(entry: dict, path: Path = GATE_FILE, i: int = 0):
    """The sequential design of an entry, checked: one-line errors name the field."""
    from .sequential import Design

    s = entry["sequential"]
    where = f"gate[{i}].sequential"
    if not isinstance(s, dict) or set(s) != set(SEQ_FIELDS):
        raise UserError(f"expected exactly the fields {sorted(SEQ_FIELDS)}", where=str(path), field=where)
    try:
        v = {k: SEQ_FIELDS[k](s[k]) for k in SEQ_FIELDS}
        return Design(v["delta"], v["alpha"], 1 - v["power"], v["max_episodes"], v["batch"])
    except (TypeError, ValueError) as e:
        raise UserError(f"{e} (delta, alpha, power in (0, 1); max_episodes, batch >= 1)", where=str(path), field=where)


def evaluate_command(entry: dict, policy: str, out: Path, episodes: int | None = None, resume: bool = False) -> list[str]:
    """The evaluation of one gate entry with its baseline's plan, for `policy` (a card name or path)."""
    return [sys.executable, str(REPO_ROOT / "scripts" / "evaluate.py"), "--suite", entry["suite"], "--policy", policy,
            "--episodes", str(episodes or entry["episodes"]), "--seed", str(entry["seed"]), "--out", str(out),
            "--no-progress", "--videos", "0", *(["--tasks", ",".join(entry["tasks"])] if entry.get("tasks") else []),
            *(["--resume"] if resume else [])]


def _run(cmd: list[str]) -> int:
    return subprocess.run(cmd, cwd=REPO_ROOT).returncode


def run_sequential(entry: dict, policy: str, run: Path, baseline: Path, gate_dir: Path, batches: bool = False,
                   evaluate: Callable[[list[str]], int] = _run, i: int = 0) -> tuple[int, list[str]]:
    """Evaluate `policy` on the baseline's plan and apply the sequential gate; see the module
    docstring. `evaluate` runs one command and returns its exit code (a fake in tests)."""
    from .seq_gate import EXIT_MORE, check_sequential

    d = design(entry, i=i)
    plan = (load_manifest(baseline).get("plan") or {}).get("tasks") or {}
    cap = min([d.max_episodes, *(int(p.get("episodes", 0)) for p in plan.values())])
    sizes = list(range(d.batch, cap, d.batch)) + [cap] if batches else [cap]
    code, lines = 1, []
    for k, n in enumerate(sizes):
        print(f"gate: evaluating {policy} on {entry['suite']}: episodes 0..{n - 1} (seed {entry['seed']})", flush=True)
        rc = evaluate(evaluate_command(entry, policy, run, episodes=n, resume=k > 0))
        if rc != 0:
            return 1, [f"gate: the evaluation of {policy} failed (exit {rc})"]
        code, lines, _ = check_sequential(baseline, run, d, allow_dirty_baseline=bool(entry.get("allow_dirty_baseline")),
                                          out_dir=gate_dir)
        if code != EXIT_MORE:
            break
    return (1 if code not in (0,) else 0), lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ci_gate.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="directory for the gate's runs (must not exist)")
    p.add_argument("--gate-file", type=Path, default=GATE_FILE)
    p.add_argument("--batches", action="store_true",
                   help="sequential entries: evaluate batch by batch with --resume (needs evaluate.py to extend a plan)")
    a = p.parse_args(argv)
    if a.out.exists() and any(a.out.iterdir()):
        raise UserError("holds files already", where=str(a.out))
    worst = 0
    for i, e in enumerate(load_entries(a.gate_file)):
        run = a.out / e["policy"]
        base = a.gate_file.parent / e["baseline"]
        if "sequential" in e:
            code, lines = run_sequential(e, e["policy"], run, base, a.out / f"{e['policy']}-gate", a.batches, i=i)
        else:
            print(f"gate: evaluating {e['policy']} on {e['suite']} ({e['episodes']} episodes, seed {e['seed']})",
                  flush=True)
            rc = _run(evaluate_command(e, e["policy"], run))
            if rc != 0:
                code, lines = 1, [f"gate: the evaluation of {e['policy']} failed (exit {rc})"]
            else:
                code, lines = check_regression(base, run, allow_dirty_baseline=bool(e.get("allow_dirty_baseline")))
        print("\n".join(lines), flush=True)
        worst = max(worst, code)
    print("gate: " + ("FAILED" if worst else "passed"), flush=True)
    return worst
