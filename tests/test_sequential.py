"""The sequential gate's statistics (arena_eval.sequential) on simulated paired runs with
known success probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arena_eval import sequential as sq
from arena_eval import stats


def fake_pairs(rng: np.random.Generator, base_rate: float, drop: float, rho: float, n: int) -> list[int]:
    """Paired outcomes of a baseline and a candidate on the same n start states, as D_i."""
    p10, p01 = sq.paired_probs(base_rate, drop, rho)
    u = rng.random(n)
    return np.where(u < p10, 1, np.where(u < p10 + p01, -1, 0)).tolist()


def test_bets_are_predictable() -> None:
    rng = np.random.default_rng(1)
    d = rng.integers(-1, 2, size=50)
    lam, mu = sq.bets(d, 0.2)
    for i in (0, 7, 30):
        e = d.copy()
        e[i:] = -e[i:]  # change the future from pair i on
        lam2, mu2 = sq.bets(e, 0.2)
        assert np.array_equal(lam[: i + 1], lam2[: i + 1]) and np.array_equal(mu[: i + 1], mu2[: i + 1])
    assert (lam >= 0).all() and (lam < 1).all() and (mu >= 0).all() and (mu < 1 / 1.2).all()


def test_paired_probs_margins() -> None:
    p10, p01 = sq.paired_probs(0.8, 0.2, 0.5)
    assert p10 - p01 == pytest.approx(0.2)
    p10, p01 = sq.paired_probs(0.8, 0.0, 0.0)
    assert p10 == pytest.approx(0.8 * 0.2) and p01 == pytest.approx(0.8 * 0.2)
    with pytest.raises(ValueError):
        sq.paired_probs(0.3, 0.5, 0.0)


@pytest.mark.parametrize("base_rate,drop,rho", [(0.5, 0.0, 0.0), (0.9, 0.0, 0.5), (0.7, -0.1, 0.3)])
def test_type_one_error_under_optional_stopping(base_rate: float, drop: float, rho: float) -> None:
    # A long cap and a look after every episode: the most stopping opportunities.
    design = sq.Design(delta=0.15, alpha=0.05, max_episodes=400, batch=1)
    if drop < 0:  # the candidate is better: H0 still holds
        p10, p01 = sq.paired_probs(base_rate + drop, -drop, rho)[::-1]
    else:
        p10, p01 = sq.paired_probs(base_rate, drop, rho)
    sim = sq.simulate(p10, p01, design, 4000, np.random.default_rng(2))
    rate = np.mean(sim["decision"] == 1)
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 4000), rate


def test_power_at_delta_within_required_cap() -> None:
    design = sq.Design(delta=0.25, alpha=0.05, beta=0.2, batch=4)
    cap = sq.required_cap(0.65, design, rho=0.0, seed=3)
    assert cap is not None and cap % 4 == 0
    design = sq.Design(0.25, max_episodes=cap, batch=4)
    p10, p01 = sq.paired_probs(0.65, 0.25, 0.0)
    sim = sq.simulate(p10, p01, design, 4000, np.random.default_rng(4))
    assert np.mean(sim["decision"] == 1) >= 0.8 - 3 * math.sqrt(0.16 / 4000)
    # Sequential: below the fixed-size McNemar test's n at a 35-point drop and at no drop.
    p10, p01 = sq.paired_probs(0.65, 0.35, 0.0)
    sim = sq.simulate(p10, p01, design, 4000, np.random.default_rng(5))
    n_fixed = stats.mcnemar_n(*sq.paired_probs(0.65, 0.25, 0.0))
    assert sim["episodes"].mean() < 0.6 * n_fixed
    sim = sq.simulate(*sq.paired_probs(0.65, 0.0, 0.0), design, 4000, np.random.default_rng(6))
    assert sim["episodes"].mean() < 0.6 * n_fixed


def test_gate_decisions_on_fake_runs() -> None:
    rng = np.random.default_rng(6)
    design = sq.Design(delta=0.25, max_episodes=200, batch=10)
    bad = sq.run_gate({"lift": fake_pairs(rng, 0.8, 0.5, 0.3, 200)}, design)
    assert bad["decision"] == sq.REGRESSION and bad["tests"] == 1
    assert bad["tasks"]["lift"]["used"] < 100 and bad["at_batch"] * 10 >= bad["tasks"]["lift"]["used"]
    same = sq.run_gate({"lift": fake_pairs(rng, 0.8, 0.0, 0.5, 200)}, design)
    assert same["decision"] == sq.NO_REGRESSION
    # Too few pairs to decide: continue, and the cap turns that into inconclusive.
    few = sq.run_gate({"lift": [0, 1, 0, -1, 0]}, design)
    assert few["decision"] == sq.CONTINUE
    capped = sq.run_gate({"lift": [0, 1, 0, -1, 0]}, sq.Design(delta=0.25, max_episodes=5, batch=5))
    assert capped["decision"] == sq.INCONCLUSIVE


def test_one_bad_task_among_many_and_bonferroni() -> None:
    rng = np.random.default_rng(7)
    design = sq.Design(delta=0.25, max_episodes=300, batch=10)
    pairs = {f"t{i}": fake_pairs(rng, 0.8, 0.0, 0.5, 300) for i in range(3)}
    pairs["t3"] = fake_pairs(rng, 0.8, 0.4, 0.5, 300)
    res = sq.run_gate(pairs, design)
    assert res["tests"] == 5 and res["threshold_regression"] == pytest.approx(100)
    assert res["decision"] == sq.REGRESSION and res["tasks"]["t3"]["verdict"] == sq.REGRESSION
    assert res["history"][-1]["log_r_suite"] is not None


def test_evidence_matches_hand_computation() -> None:
    d = [1, 0, -1]
    log_r, log_f = sq.log_evidence(np.array(d), 0.2, 0.9)
    # pair 1: s_hat = 1/2, d_hat = 0 -> lambda = 0.2 / 0.5, mu = 0.2 / (0.5 + 0.04)
    assert log_r[0] == pytest.approx(math.log(1 + 0.4))
    assert log_f[0] == pytest.approx(math.log(1 + 0.2 / 0.54 * (0.2 - 1)))
    # pair 2 (concordant): R unchanged, F grows
    assert log_r[1] == pytest.approx(log_r[0]) and log_f[1] > log_f[0]


def test_mcnemar_power_matches_simulation() -> None:
    p10, p01 = 0.2, 0.05
    rng = np.random.default_rng(8)
    n, sims = 40, 20000
    u = rng.random((sims, n))
    b, c = (u < p10).sum(1), ((u >= p10) & (u < p10 + p01)).sum(1)
    p = np.array([stats.mcnemar_exact(int(x), int(y))[1] for x, y in zip(b[:3000], c[:3000])])
    assert np.mean(p <= 0.05) == pytest.approx(stats.mcnemar_power(p10, p01, n), abs=0.03)
    n_min = stats.mcnemar_n(p10, p01)
    assert stats.mcnemar_power(p10, p01, n_min) >= 0.8 > stats.mcnemar_power(p10, p01, n_min - 1)


def test_fisher_n_reaches_power() -> None:
    n = stats.fisher_n(0.9, 0.6)
    assert stats.fisher_power(0.9, 0.6, n, n) >= 0.8 > stats.fisher_power(0.9, 0.6, n - 1, n - 1)
