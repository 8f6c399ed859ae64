#!/usr/bin/env python3
"""What each shipped gate can see: the shipped gates table of docs/gates.md, one row per task
of every entry of results/baselines/gate.yaml, from its committed baseline.

For a sequential entry, at the baseline's success rates (every task of the gate in one
simulated gate: `sequential.simulate_gate`, the decision rule `run_gate` applies, alpha
split over all its tests), per task: the power to detect a drop of delta on that task alone
(the other tasks unchanged) within the design's cap, and within the baseline's episodes
where the baseline is shorter; the cap `required_cap` finds for the gate; the mean candidate
episodes per task with no drop and with a drop of delta on that task alone (outcome
correlation rho 0 and 0.5); and the fixed-size one-sided exact McNemar n for the same power
at alpha / m (m = the gate's tests). 20,000 simulated gates per cell. An entry without
`sequential` gets a row saying it gates with the fixed-size tests.

    bash scripts/run.sh python benchmarks/gate_design.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arena_eval.gates.ci import GATE_FILE, design, load_entries
from arena_eval.records import load_task_records  # noqa: E402
from arena_eval.stats import rates as stats
from arena_eval.stats import sequential as sq

SIMS = 20_000
HEAD = ["gate", "task: baseline rate (episodes)", "detects (power on this task alone, within the cap)",
        "cap (needed)", "mean episodes per task, no drop (rho 0 / 0.5)",
        "mean episodes per task, drop of delta on this task (rho 0 / 0.5)",
        "fixed-size McNemar n at alpha/m (rho 0 / 0.5)"]


def rows(i: int, e: dict) -> list[list[str]]:
    _, by_task, _ = load_task_records(GATE_FILE.parent / e["baseline"])
    decided = {t: [r for r in recs if r.outcome != "error"] for t, recs in by_task.items()}
    rates = [sum(r.outcome == "success" for r in recs) / len(recs) for recs in decided.values()]
    label = [f"{t}: {p:.1%} ({len(decided[t])})" for t, p in zip(decided, rates)]
    if "sequential" not in e:
        return [[f"`{e['policy']}`", lab, "fixed-size tests (Holm)", str(e["episodes"]), "", "", ""] for lab in label]
    d = design(e, i=i)
    short = min(len(r) for r in by_task.values())  # the gate stops at min(cap, the baseline's episodes)
    power = sq.power_alone(rates, d, 0.0, SIMS, seed=1)
    power_short = sq.power_alone(rates, sq.Design(d.delta, d.alpha, d.beta, short, d.batch), 0.0, SIMS, seed=1) \
        if short < d.max_episodes else None
    need = sq.required_cap(rates, d, 0.0, n_sims=SIMS, seed=2)
    null = {rho: sq.simulate_gate([sq.paired_probs(p, 0.0, rho) for p in rates], d, SIMS, np.random.default_rng(3))
            ["episodes"].mean() for rho in (0.0, 0.5)}
    m = sq.n_tests(len(rates))
    out = []
    for k, p in enumerate(rates):
        hit = {rho: sq.simulate_gate(sq.drop_alone(rates, k, d.delta, rho), d, SIMS, np.random.default_rng(3))
               ["episodes"].mean() for rho in (0.0, 0.5)}
        n = {rho: stats.mcnemar_n(*sq.paired_probs(p, d.delta, rho), d.alpha / m, 1 - d.beta) for rho in (0.0, 0.5)}
        det = f"{round(100 * d.delta)} points ({power[k]:.1%}"
        det += f"; {power_short[k]:.1%} within the baseline's {short})" if power_short else ")"
        out.append([f"`{e['policy']}`", label[k], det, f"{d.max_episodes} ({need})",
                    f"{null[0.0]:.1f} / {null[0.5]:.1f}", f"{hit[0.0]:.1f} / {hit[0.5]:.1f}", f"{n[0.0]} / {n[0.5]}"])
    return out


def main() -> int:
    print("| " + " | ".join(HEAD) + " |")
    print("|" + "---|" * len(HEAD))
    for i, e in enumerate(load_entries()):
        for r in rows(i, e):
            print("| " + " | ".join(r) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
