#!/usr/bin/env python
"""Simulation study of the sequential gate (arena_eval.stats.sequential) against fixed-size tests.

Model of paired outcomes: on each planned episode the baseline succeeds with probability p,
the candidate with p - drop, and the two outcomes on the same start state have correlation
rho (phi coefficient; rho = 0: independent given the plan; real paired policies are
positively correlated). Pairs are iid over episodes.

For each (rho, p, drop) cell: the sequential gate's type I error / power and mean candidate
episodes over --sims simulated gates (cap per (rho, p) from `required_cap`, simulated with
another seed), against the one-sided exact McNemar test (paired) and Fisher test (unpaired,
n episodes per run) whose fixed n is the smallest reaching the same power at delta, both
exact (no simulation needed). Prints a markdown table and the done-when checks, writes a plot.

    scripts/run.sh python benchmarks/gate_power.py --out results/gate_power.png
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena_eval.stats import rates as stats  # noqa: E402
from arena_eval.stats import sequential as sq  # noqa: E402

RATES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
DROPS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30)


def study(delta: float, alpha: float, beta: float, batch: int, rhos: list[float], sims: int, seed: int) -> list[dict]:
    rows = []
    rng = np.random.default_rng(seed)
    for rho in rhos:
        for p in RATES:
            a10, a01 = sq.paired_probs(p, delta, rho)
            n_mc = stats.mcnemar_n(a10, a01, alpha, 1 - beta)
            n_fi = stats.fisher_n(p, p - delta, alpha, 1 - beta)
            cap = sq.required_cap(p, sq.Design(delta, alpha, beta, batch=batch), rho=rho, seed=seed + 1)
            design = sq.Design(delta, alpha, beta, max_episodes=cap, batch=batch)
            for drop in DROPS:
                p10, p01 = sq.paired_probs(p, drop, rho)
                sim = sq.simulate(p10, p01, design, sims, rng)
                rej = float(np.mean(sim["decision"] == 1))
                rows.append({
                    "rho": rho, "p": p, "drop": drop, "cap": cap,
                    "seq_reject": rej, "seq_se": math.sqrt(max(rej * (1 - rej), 1e-12) / sims),
                    "seq_futile": float(np.mean(sim["decision"] == -1)), "seq_episodes": float(sim["episodes"].mean()),
                    "mcnemar_n": n_mc, "mcnemar_reject": stats.mcnemar_power(p10, p01, n_mc, alpha),
                    "fisher_n": n_fi, "fisher_reject": stats.fisher_power(p, p - drop, n_fi, n_fi, alpha),
                })
            print(f"  rho={rho} p={p}: cap {cap}, McNemar n {n_mc}, Fisher n {n_fi}", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    head = ("rho", "p base", "drop", "seq P(reject)", "seq mean eps", "cap", "McNemar n", "McNemar P(reject)",
            "Fisher n", "Fisher P(reject)", "seq / McNemar eps")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append("| " + " | ".join([
            f"{r['rho']:.1f}", f"{r['p']:.2f}", f"{r['drop']:.2f}", f"{r['seq_reject']:.3f}", f"{r['seq_episodes']:.1f}",
            str(r["cap"]), str(r["mcnemar_n"]), f"{r['mcnemar_reject']:.3f}", str(r["fisher_n"]),
            f"{r['fisher_reject']:.3f}", f"{r['seq_episodes'] / r['mcnemar_n']:.0%}"]) + " |")
    return "\n".join(out)


def checks(rows: list[dict], delta: float, alpha: float, beta: float) -> list[str]:
    """The done-when items, each cell judged; Monte Carlo slack is 3 standard errors."""
    eps = 1e-9
    t1 = [r for r in rows if r["drop"] == 0 and r["seq_reject"] > alpha + 3 * math.sqrt(alpha * (1 - alpha) / SIMS[0])]
    pw = [r for r in rows if abs(r["drop"] - delta) < eps and r["seq_reject"] < 1 - beta - 3 * r["seq_se"]]
    eff = [r for r in rows if (r["drop"] == 0 or r["drop"] >= delta - eps) and r["seq_episodes"] > 0.6 * r["mcnemar_n"]]
    fmt = lambda bad: ", ".join(f"(rho={r['rho']}, p={r['p']}, drop={r['drop']:.2f}: "  # noqa: E731
                                f"{r['seq_reject']:.3f}, {r['seq_episodes'] / r['mcnemar_n']:.0%})" for r in bad)
    return [
        f"type I error <= alpha (+3 MC s.e.) in every drop-0 cell: {'yes' if not t1 else 'NO ' + fmt(t1)}",
        f"power >= {1 - beta:.0%} (-3 MC s.e.) at drop = delta: {'yes' if not pw else 'NO ' + fmt(pw)}",
        f"mean episodes <= 60% of McNemar's n where drop = 0 or >= delta: {'yes' if not eff else 'NO in ' + fmt(eff)}",
    ]


def plot(rows: list[dict], rhos: list[float], delta: float, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(rhos), figsize=(5.5 * len(rhos), 8), squeeze=False)
    for j, rho in enumerate(rhos):
        for p in RATES:
            rs = [r for r in rows if r["rho"] == rho and r["p"] == p]
            x = [r["drop"] for r in rs]
            line, = axes[0, j].plot(x, [r["seq_reject"] for r in rs], "o-", label=f"p={p}")
            axes[0, j].plot(x, [r["mcnemar_reject"] for r in rs], ":", color=line.get_color())
            axes[1, j].plot(x, [r["seq_episodes"] / r["mcnemar_n"] for r in rs], "o-", color=line.get_color(), label=f"p={p}")
        axes[0, j].set_title(f"rho={rho}: P(regression); solid sequential, dotted McNemar")
        axes[1, j].set_title(f"rho={rho}: sequential mean episodes / McNemar n")
        for ax in axes[:, j]:
            ax.axvline(delta, color="grey", lw=0.8)
            ax.set_xlabel("true drop in success rate")
            ax.grid(alpha=0.3)
        axes[1, j].axhline(0.6, color="red", lw=0.8)
        axes[0, j].legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


SIMS = [10_000]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="plot file (PNG)")
    ap.add_argument("--delta", type=float, default=0.15)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--power", type=float, default=0.8)
    ap.add_argument("--batch", type=int, default=4, help="episodes per look (the CI's 4 env slots)")
    ap.add_argument("--rho", type=float, nargs="+", default=[0.0, 0.5])
    ap.add_argument("--sims", type=int, default=10_000, help="simulated gates per cell")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    SIMS[0] = a.sims
    t0 = time.time()
    rows = study(a.delta, a.alpha, 1 - a.power, a.batch, a.rho, a.sims, a.seed)
    print(f"delta={a.delta} alpha={a.alpha} power={a.power} batch={a.batch} sims/cell={a.sims} seed={a.seed}\n")
    print(table(rows))
    print()
    print("\n".join(checks(rows, a.delta, a.alpha, 1 - a.power)))
    plot(rows, a.rho, a.delta, a.out)
    print(f"\nwrote {a.out} ({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
