"""The CI gate on the shipped checkpoints: evaluate each with its committed baseline's plan
and run the regression check against that baseline.

`results/baselines/gate.yaml` lists the entries: policy card, suite, optional tasks,
episodes, seed, baseline run directory, optional `allow_dirty_baseline`, and optional
`sequential` (delta, alpha, power, max_episodes, batch: the sequential gate of
arena_eval.gates.sequential). Each evaluation runs as its own process (Isaac Lab holds one simulation
per process) into `<out>/<policy>/`. Exit 1 if any entry regresses.

A sequential entry runs the candidate on the baseline's plan up to
min(max_episodes, the baseline's episodes) episodes per task, by default in one process:
`evaluate.py --against BASELINE --sequential` evaluates batch by batch with the same loaded
policy and env workers and stops as soon as the test decides (run/sequential.py). With
`--batches` each batch is a new process instead (`--episodes n --resume`, n growing by
`batch`: the earlier plan is a prefix of the longer one), paying Isaac Lab's start-up and the
model's load each time; with `--whole-cap` it evaluates the whole cap at once and applies the
same test, which reports the episodes it would have needed. A resumed batch resumes the
entry's own run under the same code, so evaluate.py's check of the code on `--resume`
(`code_identity`) passes; a source changed between two batches stops the entry with exit 2
instead of mixing episodes of two programs (the gate never passes `--allow-code-change`).

`--jobs N` evaluates N entries side by side (each entry's batches stay in order). An
evaluation leaves a core idle much of the time (Isaac Lab's start-up, the policy's forward
pass between physics steps), so on 2 cores 3 jobs finish the gate sooner; the verdicts do
not depend on it (every episode's outcome is fixed by its seed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import yaml

from ..cards import REPO_ROOT
from ..errors import UserError
from ..records import load_manifest
from .fixed import check_regression

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
    from ..stats.sequential import Design

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


def _run_logged(log: Path) -> Callable[[list[str]], int]:
    """Evaluations whose output goes to `log`: entries run side by side must not interleave."""
    def run(cmd: list[str]) -> int:
        with log.open("a") as f:
            return subprocess.run(cmd, cwd=REPO_ROOT, stdout=f, stderr=subprocess.STDOUT).returncode
    return run


_CHECK = threading.Lock()  # the checks plot with pyplot, which is not thread-safe


def sequential_command(entry: dict, policy: str, out: Path, baseline: Path, i: int = 0) -> list[str]:
    """The one-process sequential evaluation of a gate entry against its baseline."""
    s = entry["sequential"]
    design(entry, i=i)
    return [sys.executable, str(REPO_ROOT / "scripts" / "evaluate.py"), "--against", str(baseline), "--sequential",
            "--policy", policy, "--suite", entry["suite"], "--out", str(out), "--no-progress", "--videos", "0",
            "--delta", str(s["delta"]), "--alpha", str(s["alpha"]), "--power", str(s["power"]),
            "--max-episodes", str(s["max_episodes"]), "--batch", str(s["batch"]),
            *(["--tasks", ",".join(entry["tasks"])] if entry.get("tasks") else [])]


def run_sequential(entry: dict, policy: str, run: Path, baseline: Path, gate_dir: Path, batches: bool = False,
                   evaluate: Callable[[list[str]], int] = _run, i: int = 0, mode: str = "process") -> tuple[int, list[str]]:
    """Evaluate `policy` on the baseline's plan and apply the sequential gate; see the module
    docstring. `mode`: "process" (one evaluate.py deciding batch by batch), "batches" (a
    process per batch; also `batches=True`) or "cap" (the whole cap at once). `evaluate` runs
    one command and returns its exit code (a fake in tests)."""
    from .sequential import EXIT_MORE, check_sequential

    d = design(entry, i=i)
    mode = "batches" if batches else mode
    if mode == "process":
        print(f"gate: evaluating {policy} on {entry['suite']} against {baseline} until the test decides", flush=True)
        rc = evaluate(sequential_command(entry, policy, run, baseline, i))
        if rc not in (0, 1):  # 0 and 1 are its verdicts; anything else is a failure to evaluate
            return 1, [f"gate: the evaluation of {policy} failed (exit {rc})"]
        with _CHECK:  # the verdict from the records, as evaluate.py made it
            code, lines, _ = check_sequential(baseline, run, d, allow_dirty_baseline=bool(entry.get("allow_dirty_baseline")),
                                              out_dir=gate_dir)
        return (1 if code != 0 else 0), lines
    plan = (load_manifest(baseline).get("plan") or {}).get("tasks") or {}
    cap = min([d.max_episodes, *(int(p.get("episodes", 0)) for p in plan.values())])
    sizes = list(range(d.batch, cap, d.batch)) + [cap] if mode == "batches" else [cap]
    code, lines = 1, []
    for k, n in enumerate(sizes):
        print(f"gate: evaluating {policy} on {entry['suite']}: episodes 0..{n - 1} (seed {entry['seed']})", flush=True)
        rc = evaluate(evaluate_command(entry, policy, run, episodes=n, resume=k > 0))
        if rc != 0:
            return 1, [f"gate: the evaluation of {policy} failed (exit {rc})"]
        with _CHECK:
            code, lines, _ = check_sequential(baseline, run, d, allow_dirty_baseline=bool(entry.get("allow_dirty_baseline")),
                                              out_dir=gate_dir)
        if code != EXIT_MORE:
            break
    return (1 if code not in (0,) else 0), lines


def run_entry(i: int, e: dict, out: Path, gate_file: Path, mode: str,
              evaluate: Callable[[list[str]], int] = _run) -> tuple[int, list[str]]:
    """Evaluate gate entry `i` into `out/<policy>/` and check it against its baseline."""
    run = out / e["policy"]
    base = gate_file.parent / e["baseline"]
    if "sequential" in e:
        return run_sequential(e, e["policy"], run, base, out / f"{e['policy']}-gate", evaluate=evaluate, i=i, mode=mode)
    print(f"gate: evaluating {e['policy']} on {e['suite']} ({e['episodes']} episodes, seed {e['seed']})", flush=True)
    rc = evaluate(evaluate_command(e, e["policy"], run))
    if rc != 0:
        return 1, [f"gate: the evaluation of {e['policy']} failed (exit {rc})"]
    with _CHECK:
        return check_regression(base, run, allow_dirty_baseline=bool(e.get("allow_dirty_baseline")))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ci_gate.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="directory for the gate's runs (must not exist)")
    p.add_argument("--gate-file", type=Path, default=GATE_FILE)
    p.add_argument("--batches", action="store_true",
                   help="sequential entries: a process per batch (evaluate.py --episodes n --resume grows the plan) "
                        "instead of one process deciding batch by batch (evaluate.py --against --sequential, the default)")
    p.add_argument("--whole-cap", action="store_true",
                   help="sequential entries: evaluate the whole cap at once, then apply the test")
    p.add_argument("--jobs", type=int, default=1,
                   help="entries evaluated side by side (default 1). Each evaluation is mostly one busy core "
                        "(start-up, the policy between physics steps), so 2-3 fill a 2-core machine; with more "
                        "than 1, each entry's evaluation output goes to <out>/<policy>.log and is printed when "
                        "the entry ends")
    a = p.parse_args(argv)
    if a.jobs < 1:
        raise UserError(f"expected an integer >= 1, got {a.jobs}", field="--jobs")
    if a.out.exists() and any(a.out.iterdir()):
        raise UserError("holds files already", where=str(a.out))
    entries = load_entries(a.gate_file)
    mode = "batches" if a.batches else "cap" if a.whole_cap else "process"
    if a.jobs == 1:
        results = []
        for i, e in enumerate(entries):
            results.append(run_entry(i, e, a.out, a.gate_file, mode))
            print("\n".join(results[-1][1]), flush=True)
    else:
        a.out.mkdir(parents=True, exist_ok=True)
        logs = [a.out / f"{e['policy']}.log" for e in entries]

        def one(i: int) -> tuple[int, list[str]]:
            code, lines = run_entry(i, entries[i], a.out, a.gate_file, mode, evaluate=_run_logged(logs[i]))
            text = logs[i].read_text() if logs[i].exists() else ""
            with _CHECK:  # one entry's block at a time
                print(f"gate: {entries[i]['policy']} done; its evaluation's output ({logs[i]}):\n{text}"
                      + "\n".join(lines), flush=True)
            return code, lines

        with ThreadPoolExecutor(a.jobs) as pool:
            results = list(pool.map(one, range(len(entries))))
    worst = max(code for code, _ in results)
    print("gate: " + ("FAILED" if worst else "passed"), flush=True)
    return worst
