"""Rendering of the sequential gate's evidence (no statistics here: arena_eval.stats.sequential
computes it): log10 of the regression and futility e-values after each batch, per task, with
their boundaries, as a PNG."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def plot_evidence(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Every e-process starts at 1 (log 0) before the first pair.
    hist = [{"episodes": {t: 0 for t in result["tasks"]}, "log_r": {t: 0.0 for t in result["tasks"]},
             "log_f": {t: 0.0 for t in result["tasks"]},
             "log_r_suite": 0.0 if result["history"][0].get("log_r_suite") is not None else None},
            *result["history"]]
    fig, (ax_r, ax_f) = plt.subplots(1, 2, figsize=(11, 4))
    for t in result["tasks"]:
        x = [h["episodes"][t] for h in hist]
        ax_r.plot(x, [h["log_r"][t] / math.log(10) for h in hist], "o-", label=t)
        ax_f.plot(x, [h["log_f"][t] / math.log(10) for h in hist], "o-", label=t)
    if any(h.get("log_r_suite") is not None for h in hist):
        x = [max(h["episodes"].values()) for h in hist]
        ax_r.plot(x, [h["log_r_suite"] / math.log(10) for h in hist], "k--", label="suite (product)")
    ax_r.axhline(math.log10(result["threshold_regression"]), color="#d1495b", lw=1,
                 label=f"regression boundary ({result['threshold_regression']:g})")
    ax_f.axhline(math.log10(result["threshold_futility"]), color="#2e9d5b", lw=1,
                 label=f"no-regression boundary ({result['threshold_futility']:g})")
    ax_r.set_title("evidence of a regression: log10 R")
    ax_f.set_title(f"evidence of no drop > {result['design']['delta']:g}: log10 F")
    for ax in (ax_r, ax_f):
        ax.set_xlabel("paired episodes per task")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"sequential gate: {result['decision']}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
