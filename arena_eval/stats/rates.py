"""Confidence intervals and tests for success rates.

Conventions (docs/design.md Rules 3-4; docs/gates.md):

- An episode is a success, a failure or an error. Errors are faults of the harness, the
  simulator or the policy, not evidence about the policy's skill: they are counted and
  reported on their own and left out of every rate and test (success rate =
  successes / (successes + failures)).
- One rate: 95% Wilson score interval.
- Two runs with the same plan (same seeds, hence the same start states): McNemar's exact
  test on matched episodes. Otherwise Fisher's exact test. Both give a two-sided p-value
  and a one-sided one for "the candidate is worse".
- Many tests: Holm's step-down adjustment.
- Power: `min_detectable_drop` gives the smallest drop a one-sided Fisher test would catch
  with 80% power, so a gate on 20 episodes can say what it could not have seen;
  `min_detectable_effect` does the same for compare's two-sided tests (McNemar when paired),
  and compare gives no verdict where it exceeds the task's `max_mde` (default 0.3).

Functions take `EpisodeRecord`s (arena_eval.records.rundir) or anything with the same attributes.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from typing import Any, Iterable, Sequence

import numpy as np
from scipy import optimize, stats

from ..outcomes import code_of

MCNEMAR = "McNemar exact"
FISHER = "Fisher exact"
NO_TEST = "n/a"

NAN = float("nan")


# ---------------------------------------------------------------------------------------
# One rate


def wilson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (nan, nan) when n == 0."""
    if n == 0:
        return (NAN, NAN)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=conf, method="wilson")
    return (float(ci.low), float(ci.high))


def rate(successes: int, failures: int) -> float:
    n = successes + failures
    return successes / n if n else NAN


def _length_stats(steps: Sequence[int]) -> dict[str, float]:
    if not steps:
        return {"mean": NAN, "median": NAN, "min": NAN, "max": NAN}
    a = np.asarray(steps, dtype=float)
    return {"mean": float(a.mean()), "median": float(np.median(a)), "min": float(a.min()), "max": float(a.max())}


def counts(records: Iterable[Any]) -> dict[str, int]:
    """Outcome counts of some records."""
    c = Counter(r.outcome for r in records)
    return {"successes": c["success"], "failures": c["failure"], "errors": c["error"]}


def summarize_records(records: Sequence[Any], conf: float = 0.95) -> dict[str, Any]:
    """Summary of one task's records (or any group of records treated as one sample)."""
    c = counts(records)
    s, f = c["successes"], c["failures"]
    lo, hi = wilson(s, s + f, conf)
    # Error episodes stopped at an arbitrary step, so lengths count only decided episodes.
    decided = [r.steps for r in records if r.outcome != "error"]
    return {
        "episodes": len(records),
        **c,
        "success_rate": rate(s, f),
        "ci_low": lo,
        "ci_high": hi,
        "length": _length_stats(decided),
        "success_length": _length_stats([r.steps for r in records if r.outcome == "success"]),
        "failure_reasons": dict(Counter(r.reason for r in records if r.outcome == "failure").most_common()),
        "error_reasons": dict(Counter(r.reason for r in records if r.outcome == "error").most_common()),
        "codes": dict(Counter(_code(r) for r in records).most_common()),
        "milestones": milestone_counts(records),
        "mean_success_step": _mean([r.success_step for r in records if getattr(r, "success_step", None) is not None]),
    }


def _code(r: Any) -> str:
    return getattr(r, "code", "") or code_of(r.outcome, r.reason)  # older records carry no code


def _mean(xs: Sequence[float]) -> float:
    return float(np.mean(xs)) if len(xs) else NAN


def milestone_counts(records: Sequence[Any]) -> dict[str, int]:
    """Decided episodes that met each milestone, in the order episodes first met them."""
    decided = [r for r in records if r.outcome != "error"]
    first: dict[str, list[int]] = {}
    for r in decided:
        for name, step in (getattr(r, "milestones", None) or {}).items():
            first.setdefault(name, []).append(int(step))
    order = sorted(first, key=lambda n: (np.median(first[n]), n))
    return {n: len(first[n]) for n in order}


def group_by_task(records: Iterable[Any]) -> dict[str, list[Any]]:
    """Records grouped by task, tasks in order of first appearance."""
    out: dict[str, list[Any]] = {}
    for r in records:
        out.setdefault(r.task, []).append(r)
    return out


def task_summary(records: Iterable[Any], conf: float = 0.95) -> dict[str, dict[str, Any]]:
    """Per-task summary: counts, success rate, Wilson CI, lengths, failure reasons."""
    return {task: summarize_records(recs, conf) for task, recs in group_by_task(records).items()}


def suite_summary(tasks: dict[str, dict[str, Any]], conf: float = 0.95) -> dict[str, Any]:
    """Suite-level numbers from `task_summary` output.

    The pooled rate (all decided episodes of all tasks) carries the suite's Wilson interval;
    the mean of per-task rates weighs every task equally and equals the pooled rate when all
    tasks have the same number of decided episodes.
    """
    s = sum(t["successes"] for t in tasks.values())
    f = sum(t["failures"] for t in tasks.values())
    e = sum(t["errors"] for t in tasks.values())
    lo, hi = wilson(s, s + f, conf)
    rates = [t["success_rate"] for t in tasks.values() if not math.isnan(t["success_rate"])]
    return {
        "tasks": len(tasks),
        "episodes": sum(t["episodes"] for t in tasks.values()),
        "successes": s,
        "failures": f,
        "errors": e,
        "success_rate": rate(s, f),
        "ci_low": lo,
        "ci_high": hi,
        "mean_task_rate": float(np.mean(rates)) if rates else NAN,
    }


# ---------------------------------------------------------------------------------------
# Two runs


def side_counts(records: Sequence[Any]) -> dict[str, Any]:
    """Counts and rate of one side of a comparison (n = decided episodes)."""
    c = counts(records)
    return {"n": c["successes"] + c["failures"], **c, "rate": rate(c["successes"], c["failures"])}


def mcnemar_exact(b: int, c: int) -> tuple[float, float]:
    """McNemar's exact test on discordant pairs: b = baseline-only successes, c =
    candidate-only successes. Returns (two-sided p, one-sided p that the candidate is worse)."""
    if b + c == 0:
        return (1.0, 1.0)
    two = stats.binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
    worse = stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue
    return (float(two), float(worse))


def fisher(cand_s: int, cand_f: int, base_s: int, base_f: int) -> tuple[float, float]:
    """Fisher's exact test. Returns (two-sided p, one-sided p that the candidate is worse)."""
    table = [[cand_s, cand_f], [base_s, base_f]]
    two = stats.fisher_exact(table, alternative="two-sided").pvalue
    # "less": the candidate's odds of success are lower than the baseline's.
    worse = stats.fisher_exact(table, alternative="less").pvalue
    return (float(two), float(worse))


def compare_task(base_records: Sequence[Any], cand_records: Sequence[Any], paired: bool) -> dict[str, Any]:
    """Compare a candidate with a baseline on one task (or on pooled tasks).

    Paired: episodes are matched on (task, episode); pairs where either side is an error
    are dropped; McNemar's exact test on the discordant pairs. Unpaired: Fisher's exact
    test on decided episodes. `delta` is each run's own rate, candidate minus baseline.
    """
    base, cand = side_counts(base_records), side_counts(cand_records)
    out: dict[str, Any] = {
        "test": NO_TEST,
        "paired": paired,
        "base": base,
        "cand": cand,
        "delta": cand["rate"] - base["rate"],
        "p_two_sided": NAN,
        "p_worse": NAN,
    }
    if base["n"] == 0 or cand["n"] == 0:
        return out  # nothing decided on one side: no test is possible
    if paired:
        b_out = {(r.task, r.episode): r.outcome for r in base_records if r.outcome != "error"}
        c_out = {(r.task, r.episode): r.outcome for r in cand_records if r.outcome != "error"}
        keys = b_out.keys() & c_out.keys()
        b = sum(b_out[k] == "success" and c_out[k] == "failure" for k in keys)
        c = sum(b_out[k] == "failure" and c_out[k] == "success" for k in keys)
        out.update(test=MCNEMAR, pairs=len(keys), base_only=b, cand_only=c)
        out["p_two_sided"], out["p_worse"] = mcnemar_exact(b, c)
        if not keys:
            out["test"] = NO_TEST
            out["p_two_sided"] = out["p_worse"] = NAN
    else:
        out["test"] = FISHER
        out["p_two_sided"], out["p_worse"] = fisher(
            cand["successes"], cand["failures"], base["successes"], base["failures"]
        )
    return out


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in input order. NaNs stay NaN and do not count
    towards the number of tests."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = len(idx)
    if m == 0:
        return out.tolist()
    order = idx[np.argsort(p[idx], kind="stable")]
    # The i-th smallest p (0-based) is multiplied by m - i; the running maximum keeps the
    # adjusted values in the same order as the raw ones.
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out.tolist()


# ---------------------------------------------------------------------------------------
# Power


@functools.lru_cache(maxsize=256)
def _fisher_thresholds(n_base: int, n_cand: int, alpha: float) -> np.ndarray:
    """For each baseline count k0 = 0..n_base, the largest candidate count k1 that a
    one-sided Fisher test rejects at `alpha` (-1 if none). Rejection is monotone in k1:
    fewer candidate successes is always more extreme."""
    k0 = np.arange(n_base + 1)[:, None]
    k1 = np.arange(n_cand + 1)[None, :]
    # One-sided p: P(X <= k1), X = candidate successes given the total, hypergeometric.
    p = stats.hypergeom.cdf(k1, n_base + n_cand, k0 + k1, n_cand)
    reject = p <= alpha * (1 + 1e-9)  # tolerance: boundary tables are exact in theory
    return np.cumprod(reject, axis=1).sum(axis=1) - 1


def fisher_power(base_rate: float, cand_rate: float, n_base: int, n_cand: int, alpha: float = 0.05) -> float:
    """Exact power of the one-sided Fisher test (candidate worse) at the given true rates."""
    r = _fisher_thresholds(int(n_base), int(n_cand), float(alpha))
    p_k0 = stats.binom.pmf(np.arange(n_base + 1), n_base, base_rate)
    return float(np.sum(p_k0 * stats.binom.cdf(r, n_cand, cand_rate)))


def min_detectable_drop(
    base_rate: float, n_base: int, n_cand: int, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest drop in success rate (base_rate - cand_rate) that a one-sided Fisher exact
    test with these episode counts detects with the given power; nan if even a drop to 0
    would not be detected that often (too few episodes) or there is nothing to drop."""
    if n_base <= 0 or n_cand <= 0 or not (0 < base_rate <= 1) or math.isnan(base_rate):
        return NAN
    # Power falls as the candidate rate rises (fewer rejections), so root-find on [0, base].
    f = lambda p1: fisher_power(base_rate, p1, n_base, n_cand, alpha) - power  # noqa: E731
    if f(0.0) < 0:
        return NAN
    if f(base_rate) >= 0:  # only when power <= size; degenerate request
        return 0.0
    p1 = optimize.brentq(f, 0.0, base_rate, xtol=1e-6)
    return float(base_rate - p1)


def _mcnemar_critical(m: np.ndarray, alpha: float) -> np.ndarray:
    """For each number of discordant pairs m, the smallest count k of baseline-only
    successes that the one-sided exact McNemar test rejects at alpha (m + 1 if none)."""
    k = stats.binom.isf(alpha, m, 0.5)  # smallest k with P(X > k) <= alpha
    # Reject X >= k when P(X >= k) <= alpha; isf gives the boundary up to one step.
    return np.where(stats.binom.sf(k - 1, m, 0.5) <= alpha * (1 + 1e-9), k, k + 1)


def mcnemar_power(p10: float, p01: float, n: int, alpha: float = 0.05) -> float:
    """Exact power of the one-sided exact McNemar test with n pairs, when a pair is
    baseline-only success w.p. p10 and candidate-only success w.p. p01."""
    s = p10 + p01
    if s <= 0:
        return 0.0
    m = np.arange(n + 1)
    k = _mcnemar_critical(m, alpha)
    return float(np.sum(stats.binom.pmf(m, n, s) * stats.binom.sf(k - 1, m, p10 / s)))


def mcnemar_n(p10: float, p01: float, alpha: float = 0.05, power: float = 0.8, limit: int = 5000) -> int | None:
    """Smallest number of pairs at which the one-sided exact McNemar test reaches `power`
    (None if more than `limit` are needed). Scans n upwards: exact power is not monotone in n."""
    for n in range(1, limit + 1):
        if mcnemar_power(p10, p01, n, alpha) >= power:
            return n
    return None


def fisher_n(base_rate: float, cand_rate: float, alpha: float = 0.05, power: float = 0.8,
             limit: int = 2000) -> int | None:
    """Smallest n (episodes per run, both runs) at which the one-sided Fisher exact test
    reaches `power`: bisection on the (nearly monotone) power, then a step back while the
    smaller n still has the power."""
    f = lambda n: fisher_power(base_rate, cand_rate, n, n, alpha) >= power  # noqa: E731
    hi = 8  # doubling first: the exact power of a huge n costs O(n^2) hypergeometric terms
    while not f(hi):
        if hi >= limit:
            return None
        hi = min(2 * hi, limit)
    lo = hi // 2 + 1 if hi > 8 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if f(mid) else (mid + 1, hi)
    while lo > 1 and f(lo - 1):
        lo -= 1
    return lo




def _mcnemar_mde(p: float, n: int, alpha: float, power: float) -> float:
    """Smallest drop d from p that the one-sided exact McNemar test with n pairs detects with
    `power` when the two runs' outcomes are independent (p10 = p (1 - p + d), p01 = (1 - p)(p - d))."""
    def pw(d: float) -> float:
        p1 = p - d
        return mcnemar_power(p * (1 - p1), (1 - p) * p1, n, alpha)

    if pw(p) < power:
        return NAN
    lo, hi = 0.0, p
    for _ in range(30):  # power grows with the drop: bisect to 1e-9
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if pw(mid) >= power else (mid, hi)
    return float(hi)


def min_detectable_effect(base_rate: float, n_base: int, n_cand: int, paired: bool, alpha: float = 0.05,
                          power: float = 0.8) -> float:
    """The smallest change of the success rate (in rate points) that compare's two-sided test
    at `alpha` detects with `power` in the direction with more room (by symmetry the same as a
    drop from max(p, 1 - p)): McNemar exact on n pairs when paired (independent outcomes, the
    cautious case), Fisher exact otherwise. nan when even the largest change would not be
    detected that often (too few episodes)."""
    if math.isnan(base_rate) or n_base <= 0 or n_cand <= 0:
        return NAN
    p = max(base_rate, 1 - base_rate)
    if paired:
        return _mcnemar_mde(p, min(n_base, n_cand), alpha / 2, power)
    return min_detectable_drop(p, n_base, n_cand, alpha / 2, power)


def verdict(p_holm: float, delta: float, mde: float, max_mde: float, alpha: float = 0.05) -> str:
    """Compare's reading of one row: a significant difference is one whatever the episode
    count; no significant difference says something only when the test could have seen an
    effect of `max_mde`."""
    if not math.isnan(p_holm) and p_holm < alpha:
        return "better" if delta > 0 else "worse"
    if math.isnan(mde) or mde > max_mde:
        return "not enough episodes to decide"
    return f"no difference of {mde * 100:.0f} points or more"
