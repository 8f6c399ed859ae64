"""Sequential, anytime-valid paired regression test (the sequential gate).

The candidate runs on the baseline's plan, so episode i of both runs starts from the same
state and gives a pair (X_i, Y_i) of outcomes (1 = success). The test works on the paired
difference D_i = X_i - Y_i in {-1, 0, +1}, whose mean is the drop in success rate
d = p_base - p_cand, in success-rate points. Pairs are iid draws over the plan's seeds.

Method: testing by betting with two e-processes and Ville's inequality (Shafer, "Testing by
betting", JRSS-A 2021; Waudby-Smith & Ramdas, "Estimating means of bounded random variables
by betting", JRSS-B 2024; Ramdas, Grünwald, Vovk & Shafer, "Game-theoretic statistics and
safe anytime-valid inference", Statistical Science 2023):

- Regression: H0 "d <= 0". R_n = prod_i (1 + lambda_i D_i), lambda_i in [0, 1) chosen from
  D_1..D_{i-1} only. Under H0, E[1 + lambda D] = 1 + lambda d <= 1, so R is a nonnegative
  supermartingale and P(sup_n R_n >= 1/alpha) <= alpha (Ville) whatever the stopping rule:
  declaring `regression` when R_n >= 1/alpha keeps the type I error <= alpha under optional
  stopping, batching and early futility stops. Concordant pairs multiply R by 1, as in
  McNemar's test; with a fixed lambda = 2q - 1 it is exactly Wald's SPRT of q = 1/2 against q
  on the discordant pairs (q = P(baseline-only success | discordant)).
- Futility: H' "d >= delta". F_n = prod_i (1 + mu_i (delta - D_i)), mu_i in [0, 1/(1+delta)).
  Under H', E[.] = 1 + mu (delta - d) <= 1, so P(sup_n F_n >= 1/beta) <= beta: declaring
  `no regression larger than delta` when F_n >= 1/beta misses a drop >= delta with
  probability <= beta (plus the chance of reaching the cap undecided, which the cap is sized
  to make small, see `required_cap`). Here concordant pairs count: they show the
  discordance, and with it the largest possible drop, is small.

Bets (why these): the growth-optimal bet against a three-point alternative with discordance
s = P(D != 0) and drop d is lambda = d / s, so delta in rate points becomes a bet on the
discordant-pair scale through the discordance, which is estimated from past pairs
(s_hat = (discordant + 1) / (n + 2)). lambda_i = max(delta, d_hat) / s_hat: never bet for less
than the drop of interest, bet more when the data show a larger one. mu_i is the
second-order (GRAPA) growth-optimal bet against "no drop", min(d_hat, 0) when the candidate
looks better. Both are clipped (lam_max) so one unlucky pair cannot wipe out the wealth.

Tasks: one e-process pair per task on its own pairs. Regression is tested for every task
and, when there are two or more tasks, for the suite with the product of the tasks' R
(an e-process for "no task regressed", since tasks run on independent episodes), each at
level alpha / m, m = tasks (+1 for the suite row): Bonferroni over anytime-valid tests keeps
the family-wise error <= alpha (a one-task gate tests its task once). The gate passes early
only when every task has crossed its futility boundary.

Decisions are checked after each batch, but at the episode level in plan order (the first
episode whose evidence crosses a boundary decides; later episodes of that batch were run
and are counted as cost, but are not used): a stopping time, so Ville applies.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import numpy as np

REGRESSION = "regression"
NO_REGRESSION = "no regression > delta"
CONTINUE = "continue"
INCONCLUSIVE = "inconclusive at cap"

PRIOR = 2.0  # pseudo-pairs behind s_hat (half of them discordant) and d_hat: stable first bets


@dataclasses.dataclass(frozen=True)
class Design:
    """A sequential gate's parameters. delta in success-rate points (0.25 = 25 points)."""

    delta: float
    alpha: float = 0.05
    beta: float = 0.2  # 1 - power at a drop of delta
    max_episodes: int = 200  # cap per task
    batch: int = 10  # episodes per task between looks
    lam_max: float = 0.9

    def __post_init__(self) -> None:
        checks = [(0 < self.delta < 1, "delta must be in (0, 1)"), (0 < self.alpha < 1, "alpha must be in (0, 1)"),
                  (0 < self.beta < 1, "beta (1 - power) must be in (0, 1)"),
                  (self.max_episodes >= 1, "max_episodes must be >= 1"), (self.batch >= 1, "batch must be >= 1"),
                  (0 < self.lam_max < 1, "lam_max must be in (0, 1)")]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)


def bets(d: np.ndarray, delta: float, lam_max: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Predictable bets (lambda_i, mu_i) for paired differences d[..., i] in {-1, 0, 1}:
    each uses only d[..., :i]. Vectorised over leading axes (many simulated gates at once)."""
    d = np.asarray(d)
    n = np.arange(d.shape[-1], dtype=float)
    disc = np.cumsum(d != 0, axis=-1) - (d != 0)  # discordant pairs before i
    net = np.cumsum(d, axis=-1) - d  # baseline-only minus candidate-only successes before i
    s_hat = (disc + PRIOR / 2) / (n + PRIOR)
    d_hat = net / (n + PRIOR)
    lam = np.clip(np.maximum(delta, d_hat) / s_hat, 0.0, lam_max)
    d_alt = np.minimum(d_hat, 0.0)
    mu = np.clip((delta - d_alt) / (s_hat + delta**2 - 2 * delta * d_alt), 0.0, lam_max / (1 + delta))
    return lam, mu


def log_evidence(d: np.ndarray, delta: float, lam_max: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """log R_n and log F_n after each pair n = 1..len (cumulative), same shape as d."""
    d = np.asarray(d, dtype=float)
    lam, mu = bets(d, delta, lam_max)
    return np.cumsum(np.log1p(lam * d), axis=-1), np.cumsum(np.log1p(mu * (delta - d)), axis=-1)


def first_crossing(log_r: np.ndarray, log_f: np.ndarray, r_thr: float, f_thr: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (decision code, index) of the first pair whose evidence crosses a boundary;
    code +1 regression, -1 no regression > delta, 0 none (index = last pair). Regression wins
    a tie (it cannot happen in practice: one pair moves R and F in opposite directions)."""
    hit_r = log_r >= math.log(r_thr)
    hit_f = log_f >= math.log(f_thr)
    hit = hit_r | hit_f
    any_hit = hit.any(axis=-1)
    idx = np.where(any_hit, hit.argmax(axis=-1), log_r.shape[-1] - 1)
    take = lambda a: np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]  # noqa: E731
    code = np.where(any_hit, np.where(take(hit_r), 1, -1), 0)
    return code, idx


def paired_probs(base_rate: float, drop: float, rho: float) -> tuple[float, float]:
    """(P(baseline-only success), P(candidate-only success)) when the baseline succeeds with
    base_rate, the candidate with base_rate - drop, and their outcomes on the same start
    state have correlation rho (phi coefficient), clipped to what the marginals allow."""
    p, q = base_rate, base_rate - drop
    if not (0 <= q <= p <= 1):
        raise ValueError(f"need 0 <= base_rate - drop <= base_rate <= 1, got {base_rate}, {drop}")
    p11 = p * q + rho * math.sqrt(p * (1 - p) * q * (1 - q))
    p11 = min(max(p11, max(0.0, p + q - 1)), min(p, q))
    return p - p11, q - p11


def simulate(p10: float, p01: float, design: Design, n_sims: int, rng: np.random.Generator,
             chunk: int = 20_000) -> dict[str, np.ndarray]:
    """Simulate one-task sequential gates with iid pairs: D = +1 w.p. p10, -1 w.p. p01.
    Returns per gate `decision` (+1 regression, -1 no regression > delta, 0 cap reached) and
    `episodes` (candidate episodes run: the deciding pair's batch rounded up, or the cap)."""
    thr_r, thr_f, cap, b = 1 / design.alpha, 1 / design.beta, design.max_episodes, design.batch
    codes, eps = [], []
    for start in range(0, n_sims, chunk):
        m = min(chunk, n_sims - start)
        u = rng.random((m, cap))
        d = np.where(u < p10, 1, np.where(u < p10 + p01, -1, 0)).astype(np.int8)
        log_r, log_f = log_evidence(d, design.delta, design.lam_max)
        code, idx = first_crossing(log_r, log_f, thr_r, thr_f)
        codes.append(code)
        eps.append(np.where(code != 0, np.minimum(cap, (idx // b + 1) * b), cap))
    return {"decision": np.concatenate(codes), "episodes": np.concatenate(eps)}


def required_cap(base_rate: float, design: Design, rho: float = 0.0, n_sims: int = 4000, seed: int = 0,
                 limit: int = 2000) -> int | None:
    """Smallest cap (a multiple of the batch) at which the simulated power at a drop of
    design.delta reaches 1 - beta, for this baseline rate and correlation; rho = 0 (outcomes
    independent given the plan) is the cautious choice: real pairs are positively correlated,
    which lowers the discordance and the episodes needed. None if `limit` is not enough."""
    p10, p01 = paired_probs(base_rate, min(design.delta, base_rate), rho)
    big = dataclasses.replace(design, max_episodes=limit)
    sim = simulate(p10, p01, big, n_sims, np.random.default_rng(seed))
    # The same paths with a smaller cap: a regression counts if it was decided by then.
    ok = np.sort(sim["episodes"][sim["decision"] == 1])
    need = math.ceil((1 - design.beta) * n_sims)
    if len(ok) < need:
        return None
    return int(math.ceil(ok[need - 1] / design.batch) * design.batch)


# ---------------------------------------------------------------------------------------
# The gate on recorded pairs


def run_gate(pairs: dict[str, Sequence[int]], design: Design) -> dict[str, Any]:
    """The sequential decision on recorded pairs: pairs[task] = D_i in plan order (baseline
    minus candidate success on the same episode, errors already left out), as many as have
    been run. Tasks move in lock-step batches; a decided task stops.

    Returns the decision (REGRESSION, NO_REGRESSION, CONTINUE: run another batch, or
    INCONCLUSIVE: cap reached), per-task results and the evidence after each batch."""
    tasks = list(pairs)
    if not tasks:
        raise ValueError("no tasks")
    m = len(tasks) + (1 if len(tasks) > 1 else 0)  # the suite row only when it differs from a task
    thr_r, thr_f = m / design.alpha, 1 / design.beta
    per: dict[str, dict[str, Any]] = {}
    for t in tasks:
        d = np.asarray(pairs[t], dtype=float)[: design.max_episodes]
        log_r, log_f = log_evidence(d, design.delta, design.lam_max) if len(d) else (np.zeros(0), np.zeros(0))
        code, idx = first_crossing(log_r, log_f, thr_r, thr_f) if len(d) else (np.array(0), np.array(-1))
        code, idx = int(code), int(idx)
        used = idx + 1 if code != 0 else len(d)
        per[t] = {"pairs": len(d), "log_r": log_r, "log_f": log_f, "code": code, "used": used,
                  "base_only": int(np.sum(d[:used] == 1)), "cand_only": int(np.sum(d[:used] == -1))}
    # Batch by batch (the order the evidence arrives in): the suite product uses each task's R
    # stopped where that task was decided.
    n_batches = max(1, math.ceil(max(per[t]["pairs"] for t in tasks) / design.batch))
    history = []
    decision, at_batch = CONTINUE, None
    for k in range(1, n_batches + 1):
        end = k * design.batch
        row: dict[str, Any] = {"batch": k, "episodes": {}, "log_r": {}, "log_f": {}}
        for t in tasks:
            p = per[t]
            last = min(end, p["used"]) - 1
            row["episodes"][t] = last + 1
            row["log_r"][t] = float(p["log_r"][last]) if last >= 0 else 0.0
            row["log_f"][t] = float(p["log_f"][last]) if last >= 0 else 0.0
        row["log_r_suite"] = sum(row["log_r"].values()) if m > 1 else None
        history.append(row)
        reg = any(per[t]["code"] == 1 and per[t]["used"] <= end for t in tasks)
        reg = reg or (m > 1 and row["log_r_suite"] >= math.log(thr_r))
        if reg:
            decision, at_batch = REGRESSION, k
            break
        if all(per[t]["code"] == -1 and per[t]["used"] <= end for t in tasks):
            decision, at_batch = NO_REGRESSION, k
            break
    if decision == CONTINUE:
        # Undecided: more pairs would help unless every undecided task is at its cap.
        open_ = [t for t in tasks if per[t]["code"] == 0]
        if all(per[t]["pairs"] >= design.max_episodes for t in open_):
            decision = INCONCLUSIVE
    if at_batch is not None:
        # The gate stopped here: a task that would decide only later is undecided at this point
        # (with runs longer than needed, e.g. a fixed-size run analysed afterwards).
        stop = at_batch * design.batch
        for t in tasks:
            p = per[t]
            if p["used"] > stop or (p["code"] == 0 and p["pairs"] > stop):
                p["code"], p["used"] = 0, min(p["pairs"], stop)
                d = np.asarray(pairs[t], dtype=float)[: p["used"]]
                p["base_only"], p["cand_only"] = int(np.sum(d == 1)), int(np.sum(d == -1))
    for t in tasks:
        p = per[t]
        p["verdict"] = {1: REGRESSION, -1: NO_REGRESSION, 0: CONTINUE}[p["code"]]
        p["e_regression"] = float(np.exp(p["log_r"][p["used"] - 1])) if p["used"] else 1.0
        p["e_futility"] = float(np.exp(p["log_f"][p["used"] - 1])) if p["used"] else 1.0
        p["log_r"], p["log_f"] = p["log_r"].tolist(), p["log_f"].tolist()
    return {"decision": decision, "at_batch": at_batch, "tests": m, "threshold_regression": thr_r,
            "threshold_futility": thr_f, "tasks": per, "history": history, "design": dataclasses.asdict(design)}
