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
only when every task has crossed its futility boundary. The split of alpha costs power, so
the cap (`required_cap`) and the power a gate prints (`power_alone`: a drop of delta on one
task alone, the other tasks unchanged) are simulated with `decide`, the rule `run_gate`
applies, never with a one-task test at 1/alpha.

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


def n_tests(n_tasks: int) -> int:
    """The regression tests a gate on n_tasks tasks makes, over which alpha is split: one per
    task, plus the suite's product when there are two or more (with one task it would test
    the same pairs twice)."""
    return n_tasks + (1 if n_tasks > 1 else 0)


def decide(log_r: np.ndarray, log_f: np.ndarray, n_pairs: Sequence[int], design: Design
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The gate's decision rule, vectorised over gates. `run_gate` decides with it and the
    simulations (`simulate_gate`, `required_cap`, `power_alone`) run it on simulated pairs,
    so the cap and the printed power are those of the test the gate makes: thresholds
    m / alpha and 1 / beta, the suite's product, the lock-step batches, the cap.

    log_r, log_f: (tasks, gates, n) cumulative evidence; a task's row past its n_pairs[t]
    pairs is padded with its last value (or 0), which never crosses first. Returns
    (decision (gates,): +1 regression, -1 no regression > delta, 0 undecided; at_batch
    (gates,): the deciding batch, 0 if none; code, used (tasks, gates): each task's own first
    crossing and the pairs up to it, or all its pairs)."""
    n_tasks, gates = log_r.shape[:2]
    m = n_tests(n_tasks)
    thr_r = math.log(m / design.alpha)
    code, idx = first_crossing(log_r, log_f, m / design.alpha, 1 / design.beta)
    n_pairs = np.asarray(n_pairs, dtype=int).reshape(n_tasks, 1)
    used = np.where(code != 0, idx + 1, n_pairs)
    decision = np.zeros(gates, dtype=np.int8)
    at_batch = np.zeros(gates, dtype=int)
    for k in range(1, max(1, math.ceil(int(n_pairs.max()) / design.batch)) + 1):
        end = k * design.batch
        done = used <= end
        reg = ((code == 1) & done).any(axis=0)
        if m > 1:  # the suite: each task's R stopped where that task was decided
            last = np.minimum(end, used) - 1
            at = np.take_along_axis(log_r, np.maximum(last, 0)[..., None], axis=-1)[..., 0]
            reg |= np.where(last >= 0, at, 0.0).sum(axis=0) >= thr_r
        new = (decision == 0) & (reg | ((code == -1) & done).all(axis=0))
        decision[new] = np.where(reg[new], 1, -1)
        at_batch[new] = k
        if decision.all():
            break
    return decision, at_batch, code, used


def draw_pairs(probs: Sequence[tuple[float, float]], n_gates: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(tasks, n_gates, n) iid pairs: for task t, D = +1 w.p. probs[t][0], -1 w.p. probs[t][1].
    Drawn gate by gate (rng.random((n_gates, tasks, n))), so gates drawn in chunks are the
    gates drawn at once (a one-task draw is the stream the earlier one-task simulation used)."""
    p10 = np.array([p for p, _ in probs], dtype=float)[None, :, None]
    p01 = np.array([q for _, q in probs], dtype=float)[None, :, None]
    u = rng.random((n_gates, len(probs), n))
    return np.where(u < p10, 1, np.where(u < p10 + p01, -1, 0)).astype(np.int8).transpose(1, 0, 2)


def gate_outcomes(d: np.ndarray, design: Design) -> dict[str, np.ndarray]:
    """Gates on pairs d (tasks, gates, n <= cap), every task with n pairs: per gate the
    `decision` (+1 regression, -1 no regression > delta, 0 cap reached) and `episodes` per
    task (the deciding batch rounded up to whole batches, at most n; n if undecided)."""
    log_r, log_f = log_evidence(d, design.delta, design.lam_max)
    n = d.shape[-1]
    decision, at_batch, _, _ = decide(log_r, log_f, [n] * d.shape[0], design)
    return {"decision": decision, "episodes": np.where(decision != 0, np.minimum(n, at_batch * design.batch), n)}


def simulate_gate(probs: Sequence[tuple[float, float]], design: Design, n_sims: int, rng: np.random.Generator,
                  chunk_elems: int = 2_000_000) -> dict[str, np.ndarray]:
    """Simulate gates on len(probs) tasks with iid pairs per task (probs[t] = (P(D=+1),
    P(D=-1))) up to the cap; see `gate_outcomes`. Chunked to bound memory."""
    cap, chunk = design.max_episodes, max(1, chunk_elems // (len(probs) * design.max_episodes))
    parts = [gate_outcomes(draw_pairs(probs, min(chunk, n_sims - s), cap, rng), design)
             for s in range(0, n_sims, chunk)]
    return {k: np.concatenate([p[k] for p in parts]) for k in ("decision", "episodes")}


def simulate(p10: float, p01: float, design: Design, n_sims: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One-task gates: `simulate_gate` with D = +1 w.p. p10, -1 w.p. p01."""
    return simulate_gate([(p10, p01)], design, n_sims, rng)


def drop_alone(base_rates: Sequence[float], task: int, drop: float, rho: float = 0.0) -> list[tuple[float, float]]:
    """Pair probabilities when task `task` drops by `drop` and every other task keeps its
    baseline rate (the power "on one task alone")."""
    return [paired_probs(p, drop if i == task else 0.0, rho) for i, p in enumerate(base_rates)]


def power_alone(base_rates: Sequence[float], design: Design, rho: float = 0.0, n_sims: int = 4000,
                seed: int = 0) -> list[float]:
    """Per task: the chance the gate (all its tests: the task's, the other tasks', the
    suite's) fails a candidate that dropped by delta on that task alone, within the cap; nan
    where the task's rate is below delta or some rate is unknown (nan)."""
    rates = [float(p) for p in base_rates]
    if any(math.isnan(p) for p in rates):
        return [float("nan")] * len(rates)
    rng = np.random.default_rng(seed)
    return [float(np.mean(simulate_gate(drop_alone(rates, i, design.delta, rho), design, n_sims, rng)["decision"] == 1))
            if p >= design.delta else float("nan") for i, p in enumerate(rates)]


def required_cap(base_rate: float | Sequence[float], design: Design, rho: float = 0.0, n_sims: int = 4000,
                 seed: int = 0, limit: int = 2000) -> int | None:
    """Smallest cap (a multiple of the batch) at which the gate on these tasks (baseline
    rates, one per task) detects a drop of design.delta on each task alone with power
    1 - beta: the gate `run_gate` makes, alpha split over all its tests. The largest of the
    tasks' caps. rho = 0 (outcomes independent given the plan) is the cautious choice: real
    pairs are positively correlated, which lowers the discordance and the episodes needed.
    None if `limit` is not enough."""
    rates = [float(base_rate)] if np.ndim(base_rate) == 0 else [float(p) for p in base_rate]
    big = dataclasses.replace(design, max_episodes=limit)
    rng = np.random.default_rng(seed)
    need = math.ceil((1 - design.beta) * n_sims)
    caps = []
    for i, p in enumerate(rates):
        sim = simulate_gate(drop_alone(rates, i, min(design.delta, p), rho), big, n_sims, rng)
        # The same paths with a smaller cap (a multiple of the batch): a regression counts if
        # it was decided by then; no later batch changes an earlier one.
        ok = np.sort(sim["episodes"][sim["decision"] == 1])
        if len(ok) < need:
            return None
        caps.append(int(math.ceil(ok[need - 1] / design.batch) * design.batch))
    return max(caps)


# ---------------------------------------------------------------------------------------
# The gate on recorded pairs


def run_gate(pairs: dict[str, Sequence[int]], design: Design) -> dict[str, Any]:
    """The sequential decision on recorded pairs: pairs[task] = D_i in plan order (baseline
    minus candidate success on the same episode, errors already left out), as many as have
    been run. Tasks move in lock-step batches; a decided task stops. The decision is
    `decide`'s, the rule the simulations run.

    Returns the decision (REGRESSION, NO_REGRESSION, CONTINUE: run another batch, or
    INCONCLUSIVE: cap reached), per-task results and the evidence after each batch."""
    tasks = list(pairs)
    if not tasks:
        raise ValueError("no tasks")
    m = n_tests(len(tasks))
    thr_r, thr_f = m / design.alpha, 1 / design.beta
    ds = [np.asarray(pairs[t], dtype=float)[: design.max_episodes] for t in tasks]
    ev = [log_evidence(d, design.delta, design.lam_max) if len(d) else (np.zeros(0), np.zeros(0)) for d in ds]
    width = max(1, *(len(d) for d in ds))
    pad = lambda a: np.concatenate([a, np.full(width - len(a), a[-1] if len(a) else 0.0)])  # noqa: E731
    dec, at, code, used = decide(np.stack([pad(r) for r, _ in ev])[:, None], np.stack([pad(f) for _, f in ev])[:, None],
                                 [len(d) for d in ds], design)
    per: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(tasks):
        u = int(used[i, 0])
        per[t] = {"pairs": len(ds[i]), "log_r": ev[i][0], "log_f": ev[i][1], "code": int(code[i, 0]), "used": u,
                  "base_only": int(np.sum(ds[i][:u] == 1)), "cand_only": int(np.sum(ds[i][:u] == -1))}
    decision = {1: REGRESSION, -1: NO_REGRESSION}.get(int(dec[0]), CONTINUE)
    at_batch = int(at[0]) or None
    # The evidence batch by batch (the order it arrives in), up to the deciding batch.
    n_batches = at_batch or max(1, math.ceil(max(p["pairs"] for p in per.values()) / design.batch))
    history = []
    for k in range(1, n_batches + 1):
        end = k * design.batch
        row: dict[str, Any] = {"batch": k, "episodes": {}, "log_r": {}, "log_f": {}}
        for t, p in per.items():
            last = min(end, p["used"]) - 1
            row["episodes"][t] = last + 1
            row["log_r"][t] = float(p["log_r"][last]) if last >= 0 else 0.0
            row["log_f"][t] = float(p["log_f"][last]) if last >= 0 else 0.0
        row["log_r_suite"] = sum(row["log_r"].values()) if m > 1 else None
        history.append(row)
    if decision == CONTINUE:
        # Undecided: more pairs would help unless every undecided task is at its cap.
        open_ = [t for t in tasks if per[t]["code"] == 0]
        if all(per[t]["pairs"] >= design.max_episodes for t in open_):
            decision = INCONCLUSIVE
    if at_batch is not None:
        # The gate stopped here: a task that would decide only later is undecided at this point
        # (with runs longer than needed, e.g. a fixed-size run analysed afterwards).
        stop = at_batch * design.batch
        for i, t in enumerate(tasks):
            p = per[t]
            if p["used"] > stop or (p["code"] == 0 and p["pairs"] > stop):
                p["code"], p["used"] = 0, min(p["pairs"], stop)
                kept = ds[i][: p["used"]]
                p["base_only"], p["cand_only"] = int(np.sum(kept == 1)), int(np.sum(kept == -1))
    for t in tasks:
        p = per[t]
        p["verdict"] = {1: REGRESSION, -1: NO_REGRESSION, 0: CONTINUE}[p["code"]]
        p["e_regression"] = float(np.exp(p["log_r"][p["used"] - 1])) if p["used"] else 1.0
        p["e_futility"] = float(np.exp(p["log_f"][p["used"] - 1])) if p["used"] else 1.0
        p["log_r"], p["log_f"] = p["log_r"].tolist(), p["log_f"].tolist()
    return {"decision": decision, "at_batch": at_batch, "tests": m, "threshold_regression": thr_r,
            "threshold_futility": thr_f, "tasks": per, "history": history, "design": dataclasses.asdict(design)}
