"""The CI gate on the shipped checkpoints: evaluate each with its committed baseline's plan
and run the regression check against that baseline.

`results/baselines/gate.yaml` lists the entries (policy card, suite, optional tasks,
episodes, seed, baseline run directory). Each evaluation runs as its own process (Isaac Lab
holds one simulation per process) into `<out>/<policy>/`. Exit 1 if any entry regresses.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

from .errors import UserError
from .gate import check_regression
from .specs import REPO_ROOT

GATE_FILE = REPO_ROOT / "results" / "baselines" / "gate.yaml"


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
    return entries


def evaluate_command(entry: dict, policy: str, out: Path) -> list[str]:
    """The evaluation of one gate entry with its baseline's plan, for `policy` (a card name or path)."""
    return [sys.executable, str(REPO_ROOT / "scripts" / "evaluate.py"), "--suite", entry["suite"], "--policy", policy,
            "--episodes", str(entry["episodes"]), "--seed", str(entry["seed"]), "--out", str(out), "--no-progress",
            "--videos", "0", *(["--tasks", ",".join(entry["tasks"])] if entry.get("tasks") else [])]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ci_gate.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="directory for the gate's runs (must not exist)")
    p.add_argument("--gate-file", type=Path, default=GATE_FILE)
    a = p.parse_args(argv)
    if a.out.exists() and any(a.out.iterdir()):
        raise UserError("holds files already", where=str(a.out))
    worst = 0
    for e in load_entries(a.gate_file):
        run = a.out / e["policy"]
        cmd = evaluate_command(e, e["policy"], run)
        print(f"gate: evaluating {e['policy']} on {e['suite']} ({e['episodes']} episodes, seed {e['seed']})", flush=True)
        proc = subprocess.run(cmd, cwd=REPO_ROOT)
        if proc.returncode != 0:
            print(f"gate: the evaluation of {e['policy']} failed (exit {proc.returncode})", flush=True)
            worst = max(worst, 1)
            continue
        code, lines = check_regression(a.gate_file.parent / e["baseline"], run)
        print("\n".join(lines), flush=True)
        worst = max(worst, code)
    print("gate: " + ("FAILED" if worst else "passed"), flush=True)
    return worst
