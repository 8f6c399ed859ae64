"""Is a run consistent with a published success rate? (`compare.py --published TASK=RATE[@N]`)

Without N the published rate is taken as exact: a two-sided exact binomial test of the run's
successes out of its decided episodes against it. With N (the published episode count) the
published number is itself a sample: round(RATE * N) successes of N, and the two samples are
compared with Boschloo's exact test (two-sided; uniformly more powerful than Fisher's). With
several TASK=... entries the p-values are also Holm-adjusted across them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
from scipy import stats as sps

from ..errors import UserError
from ..records import load_task_records, run_label
from . import rates as stats

BINOMIAL = "exact binomial"
BOSCHLOO = "Boschloo exact"


def parse(spec: str) -> tuple[str, float, int | None]:
    """TASK=RATE[@N]; RATE as 0.439 or 43.9%."""
    task, eq, rest = spec.partition("=")
    rate_s, _, n_s = rest.partition("@")
    try:
        rate = float(rate_s[:-1]) / 100 if rate_s.endswith("%") else float(rate_s)
        n = int(n_s) if n_s else None
    except ValueError:
        rate, n = float("nan"), None
        eq = ""
    if not (task and eq and 0 <= rate <= 1 and (n is None or n > 0)):
        raise UserError(f"expected TASK=RATE[@N] with RATE in [0, 1] (or 0-100%) and N > 0, got {spec!r}",
                        field="--published")
    return task, rate, n


def published_test(successes: int, n: int, rate: float, n_pub: int | None) -> tuple[str, float]:
    """(test name, two-sided p) of k successes in n against a published rate."""
    if n == 0:
        return ("n/a", float("nan"))
    if n_pub is None:
        return (BINOMIAL, float(sps.binomtest(successes, n, rate).pvalue))
    k_pub = round(rate * n_pub)
    table = [[successes, n - successes], [k_pub, n_pub - k_pub]]
    return (BOSCHLOO, float(sps.boschloo_exact(table, alternative="two-sided").pvalue))


def compare_published(run_dirs: Sequence[str | Path], specs: Sequence[str]) -> pd.DataFrame:
    parsed = [parse(s) for s in specs]
    rows: list[dict[str, Any]] = []
    for d in run_dirs:
        manifest, by_task, _ = load_task_records(d)
        for task, rate, n_pub in parsed:
            if task not in by_task:
                raise UserError(f"no task {task!r} in the run (tasks: {', '.join(by_task)})", where=str(d),
                                field="--published")
            c = stats.counts(by_task[task])
            k, n = c["successes"], c["successes"] + c["failures"]
            lo, hi = stats.wilson(k, n)
            test, p = published_test(k, n, rate, n_pub)
            rows.append({"run": run_label(manifest, d), "task": task, "successes": k, "episodes": n,
                         "success_rate": k / n if n else math.nan, "ci_low": lo, "ci_high": hi,
                         "published_rate": rate, "published_episodes": n_pub, "test": test, "p_value": p})
    df = pd.DataFrame(rows)
    df["p_holm"] = [p for run in df["run"].unique() for p in stats.holm(df.loc[df["run"] == run, "p_value"].tolist())]
    return df


