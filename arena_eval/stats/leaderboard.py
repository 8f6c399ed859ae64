"""A leaderboard of runs that share a plan: rates with intervals, pairwise paired tests and
rank intervals (the numbers; arena_eval.reports.leaderboard renders them).

- Runs must share the plan on the tasks they have in common (same episode seeds, so episode i
  starts from the same state in every run); otherwise the paired analysis is meaningless and
  it is a one-line error naming the run and task.
- Score: the mean of per-task success rates over the common tasks (each task weighs the
  same), with the pooled rate's 95% Wilson interval beside it.
- Pairwise: McNemar's exact test (two-sided) on the episodes paired across the common tasks
  (pairs where either run has an error left out), Holm-adjusted over all pairs.
- Rank intervals: a paired bootstrap over episodes within tasks (each resample draws the
  same episode indices for every run, so the runs' correlation is kept), the 2.5% and 97.5%
  quantiles of each run's rank (1 = best; ties share the best rank). Episodes where any run
  has an error are left out of the bootstrap.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import UserError
from ..records import is_paired, load_task_records, run_label, unique_labels
from . import rates as stats


def load(run_dirs: Sequence[str | Path]) -> tuple[list[str], list[str], list[dict[str, list[Any]]]]:
    """(labels, common tasks, records by task per run), checking the shared plan."""
    if len(run_dirs) < 2:
        raise UserError("a leaderboard needs at least two runs")
    loaded = [(Path(d), *load_task_records(d)[:2]) for d in run_dirs]
    labels = unique_labels([run_label(m, d) for d, m, _ in loaded], [d for d, _, _ in loaded])
    common = [t for t in loaded[0][2] if all(t in bt for _, _, bt in loaded)]
    if not common:
        raise UserError("the runs have no task in common", where=", ".join(map(str, run_dirs)))
    for d, m, _ in loaded[1:]:
        for t in common:
            if not is_paired(loaded[0][1], m, t):
                raise UserError(f"task {t}: not on the plan of {run_dirs[0]} (episode seeds differ); "
                                "a leaderboard needs runs with the same --seed and --episodes", where=str(d))
    return labels, common, [bt for _, _, bt in loaded]


def outcome_matrix(runs: list[dict[str, list[Any]]], task: str) -> np.ndarray:
    """[runs, episodes] of 1 (success) / 0 (failure) on the episodes decided in every run."""
    maps = [{r.episode: r.outcome for r in bt[task]} for bt in runs]
    keep = sorted(e for e in maps[0] if all(m.get(e) in ("success", "failure") for m in maps))
    return np.array([[m[e] == "success" for e in keep] for m in maps], dtype=float).reshape(len(runs), len(keep))


def rank_intervals(mats: list[np.ndarray], n_boot: int = 2000, seed: int = 0, conf: float = 0.95) -> np.ndarray:
    """[runs, 2] rank intervals from the paired bootstrap over episodes within tasks."""
    rng = np.random.default_rng(seed)
    n_runs = mats[0].shape[0]
    score = np.zeros((n_runs, n_boot))
    used = 0
    for x in mats:
        n = x.shape[1]
        if n == 0:
            continue
        idx = rng.integers(0, n, size=(n_boot, n))
        score += x[:, idx].mean(axis=-1)  # [runs, n_boot]
        used += 1
    score /= max(used, 1)
    ranks = sps.rankdata(-score, method="min", axis=0)  # 1 = best
    q = (1 - conf) / 2
    return np.stack([np.quantile(ranks, q, axis=1, method="lower"),
                     np.quantile(ranks, 1 - q, axis=1, method="higher")], axis=1)


def build(run_dirs: Sequence[str | Path], n_boot: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """`board` (one row per run, ranked), `tasks` (run x task rates) and `pairs` (tests)."""
    labels, common, runs = load(run_dirs)
    mats = [outcome_matrix(runs, t) for t in common]
    intervals = rank_intervals(mats, n_boot, seed)
    board, task_rows = [], []
    for i, (label, bt) in enumerate(zip(labels, runs)):
        per = {t: stats.summarize_records(bt[t]) for t in common}
        pooled = stats.summarize_records([r for t in common for r in bt[t]])
        rates = [s["success_rate"] for s in per.values() if not np.isnan(s["success_rate"])]
        board.append({"run": label, "run_dir": str(run_dirs[i]), "score": float(np.mean(rates)) if rates else np.nan,
                      "successes": pooled["successes"], "failures": pooled["failures"], "errors": pooled["errors"],
                      "success_rate": pooled["success_rate"], "ci_low": pooled["ci_low"], "ci_high": pooled["ci_high"],
                      "rank_low": int(intervals[i, 0]), "rank_high": int(intervals[i, 1])})
        task_rows += [{"run": label, "task": t, **{k: s[k] for k in ("episodes", "successes", "failures", "errors",
                                                                        "success_rate", "ci_low", "ci_high")}}
                      for t, s in per.items()]
    b = pd.DataFrame(board)
    b.insert(0, "rank", sps.rankdata(-b["score"].fillna(-1), method="min").astype(int))
    b = b.sort_values(["rank", "run"]).reset_index(drop=True)
    pairs = []
    for i, j in itertools.combinations(range(len(runs)), 2):
        c = stats.compare_task([r for t in common for r in runs[i][t]], [r for t in common for r in runs[j][t]], True)
        pairs.append({"run_a": labels[i], "run_b": labels[j], "rate_a": c["base"]["rate"], "rate_b": c["cand"]["rate"],
                      "a_only": c.get("base_only", 0), "b_only": c.get("cand_only", 0), "pairs": c.get("pairs", 0),
                      "test": c["test"], "p_value": c["p_two_sided"]})
    p = pd.DataFrame(pairs)
    p["p_holm"] = stats.holm(p["p_value"].tolist())
    out = {"board": b, "tasks": pd.DataFrame(task_rows), "pairs": p}
    for df in out.values():
        df.attrs.update(common_tasks=common, n_boot=n_boot, seed=seed)
    return out
