#!/usr/bin/env python3
"""What each shipped sequential gate can see: for every `sequential` entry of
results/baselines/gate.yaml, at its baseline's success rate, the simulated power at a drop
of delta within the cap, the cap the design needs, the mean candidate episodes with no drop
and with a drop of delta (outcome correlation rho 0 and 0.5), and the fixed-size exact
McNemar n for the same power. Prints the README's table (20,000 simulated gates per cell).

    bash scripts/run.sh python benchmarks/gate_design.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arena_eval import sequential as sq, stats  # noqa: E402
from arena_eval.ci_gate import GATE_FILE, load_entries  # noqa: E402
from arena_eval.results import load_run  # noqa: E402

SIMS = 20_000


def main() -> int:
    print("| gate | baseline rate | detects (power, within the cap) | cap (needed) | mean episodes, no drop "
          "(rho 0 / 0.5) | mean episodes, drop of delta (rho 0 / 0.5) | fixed-size McNemar n (rho 0 / 0.5) |")
    print("|---|---|---|---|---|---|---|")
    for e in load_entries():
        s = e.get("sequential")
        if not s:
            continue
        _, records = load_run(GATE_FILE.parent / e["baseline"])
        decided = [r for r in records if r.outcome != "error"]
        p = sum(r.outcome == "success" for r in decided) / len(decided)
        cap = min(s["max_episodes"], e["episodes"])
        d = sq.Design(s["delta"], s["alpha"], 1 - s["power"], cap, s["batch"])
        a, b = sq.paired_probs(p, d.delta, 0.0)
        power = float((sq.simulate(a, b, d, SIMS, np.random.default_rng(1))["decision"] == 1).mean())
        need = sq.required_cap(p, d, 0.0, n_sims=SIMS, seed=2)
        mean, n = {}, {}
        for rho in (0.0, 0.5):
            for drop in (0.0, d.delta):
                a, b = sq.paired_probs(p, drop, rho)
                mean[rho, drop] = sq.simulate(a, b, d, SIMS, np.random.default_rng(3))["episodes"].mean()
            n[rho] = stats.mcnemar_n(*sq.paired_probs(p, d.delta, rho), d.alpha, 1 - d.beta)
        pts = round(100 * d.delta)
        print(f"| `{e['policy']}` | {p:.0%} ({len(decided)} episodes) | {pts} points ({power:.1%}) | {cap} ({need}) | "
              f"{mean[0.0, 0.0]:.1f} / {mean[0.5, 0.0]:.1f} | {mean[0.0, d.delta]:.1f} / {mean[0.5, d.delta]:.1f} | "
              f"{n[0.0]} / {n[0.5]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
