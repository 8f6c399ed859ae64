"""Statistics: intervals, tests, Holm and power, against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from arena_eval.records import EpisodeRecord
from arena_eval.stats import rates as stats


def recs(task: str, codes: str) -> list[EpisodeRecord]:
    names = {"S": "success", "F": "failure", "E": "error"}
    return [EpisodeRecord(task, i, 1000 + i, names[c], "time_limit" if c == "F" else "", 10 + i)
            for i, c in enumerate(codes)]


def wilson_closed_form(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    # The textbook score interval, written out independently of scipy.
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(0, 1), (0, 10), (3, 10), (10, 10), (17, 20), (50, 100), (199, 200)])
def test_wilson_matches_closed_form(k: int, n: int) -> None:
    lo, hi = stats.wilson(k, n)
    elo, ehi = wilson_closed_form(k, n)
    assert lo == pytest.approx(max(0.0, elo), abs=1e-9)
    assert hi == pytest.approx(min(1.0, ehi), abs=1e-9)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_empty_is_nan() -> None:
    assert all(math.isnan(x) for x in stats.wilson(0, 0))


def test_task_summary_excludes_errors_from_rate() -> None:
    s = stats.task_summary(recs("a", "SSSFE") + recs("b", "FFEE"))
    a, b = s["a"], s["b"]
    assert (a["episodes"], a["successes"], a["failures"], a["errors"]) == (5, 3, 1, 1)
    assert a["success_rate"] == pytest.approx(0.75)  # 3 / (3 + 1), the error is not a failure
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(stats.wilson(3, 4))
    assert a["length"] == {"mean": 11.5, "median": 11.5, "min": 10.0, "max": 13.0}
    assert a["success_length"]["max"] == 12.0
    assert a["failure_reasons"] == {"time_limit": 1}
    assert b["success_rate"] == 0.0 and b["errors"] == 2
    suite = stats.suite_summary(s)
    assert (suite["successes"], suite["failures"], suite["errors"]) == (3, 3, 3)
    assert suite["success_rate"] == pytest.approx(0.5)
    assert suite["mean_task_rate"] == pytest.approx((0.75 + 0.0) / 2)
    assert (suite["ci_low"], suite["ci_high"]) == pytest.approx(stats.wilson(3, 6))


def test_all_errors_gives_nan_rate() -> None:
    s = stats.task_summary(recs("a", "EE"))["a"]
    assert math.isnan(s["success_rate"]) and math.isnan(s["ci_low"])


def test_mcnemar_counts_discordant_pairs_and_matches_binomtest() -> None:
    base = recs("t", "SSSSSSSSFF" + "SS")
    cand = recs("t", "SSFFFFFSFS" + "EF")  # episode 10 is an error in cand: that pair is dropped
    c = stats.compare_task(base, cand, paired=True)
    assert c["test"] == stats.MCNEMAR
    assert c["pairs"] == 11
    assert (c["base_only"], c["cand_only"]) == (6, 1)  # b: base S/cand F; c: base F/cand S
    assert c["p_two_sided"] == pytest.approx(st.binomtest(6, 7, 0.5).pvalue)
    assert c["p_worse"] == pytest.approx(st.binomtest(6, 7, 0.5, alternative="greater").pvalue)
    assert c["p_worse"] == pytest.approx(8 / 128)  # P(X >= 6), X ~ Bin(7, 1/2), by hand
    assert c["delta"] == pytest.approx(4 / 11 - 10 / 12)


def test_mcnemar_no_discordant_pairs() -> None:
    c = stats.compare_task(recs("t", "SSFF"), recs("t", "SSFF"), paired=True)
    assert c["p_two_sided"] == 1.0 and c["p_worse"] == 1.0 and c["delta"] == 0.0


def test_mcnemar_better_candidate_is_not_worse() -> None:
    c = stats.compare_task(recs("t", "F" * 10), recs("t", "S" * 10), paired=True)
    assert c["p_worse"] == pytest.approx(1.0)
    assert c["p_two_sided"] == pytest.approx(2 / 1024)


def test_fisher_unpaired() -> None:
    base, cand = recs("t", "S" * 18 + "FF"), recs("t", "S" * 8 + "F" * 12 + "E")
    c = stats.compare_task(base, cand, paired=False)
    assert c["test"] == stats.FISHER
    assert c["cand"]["n"] == 20 and c["cand"]["errors"] == 1
    table = [[8, 12], [18, 2]]
    assert c["p_two_sided"] == pytest.approx(st.fisher_exact(table).pvalue)
    assert c["p_worse"] == pytest.approx(st.fisher_exact(table, alternative="less").pvalue)
    # One-sided p by hand: hypergeometric tail, P(X <= 8) with 40 episodes, 26 successes, 20 drawn.
    assert c["p_worse"] == pytest.approx(st.hypergeom.cdf(8, 40, 26, 20))
    assert c["delta"] == pytest.approx(-0.5)


def test_compare_without_decided_episodes_has_no_test() -> None:
    c = stats.compare_task(recs("t", "SS"), recs("t", "EE"), paired=False)
    assert c["test"] == stats.NO_TEST and math.isnan(c["p_worse"])


def test_holm_hand_example() -> None:
    # m = 4; sorted p: 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04,
    # then a running maximum: 0.02, 0.03, 0.06, 0.06.
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    out = stats.holm([0.01, float("nan"), 0.02])
    assert math.isnan(out[1]) and out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.02)
    assert stats.holm([]) == []


def test_fisher_thresholds_match_scipy() -> None:
    # The power calculation's rejection regions agree with scipy's own one-sided test.
    n0, n1, alpha = 17, 13, 0.05
    r = stats._fisher_thresholds(n0, n1, alpha)
    for k0 in range(n0 + 1):
        rejects = [st.fisher_exact([[k1, n1 - k1], [k0, n0 - k0]], alternative="less").pvalue <= alpha
                   for k1 in range(n1 + 1)]
        assert rejects == [k1 <= r[k0] for k1 in range(n1 + 1)]


def test_fisher_power_by_simulation() -> None:
    rng = np.random.default_rng(0)
    k0 = rng.binomial(30, 0.9, 4000)
    k1 = rng.binomial(30, 0.6, 4000)
    r = stats._fisher_thresholds(30, 30, 0.05)
    simulated = np.mean(k1 <= r[k0])
    assert stats.fisher_power(0.9, 0.6, 30, 30, 0.05) == pytest.approx(simulated, abs=0.02)


def test_min_detectable_drop_sensible_and_monotone() -> None:
    d20 = stats.min_detectable_drop(0.9, 20, 20, 0.05)
    assert 0.3 <= d20 <= 0.5
    drops = [stats.min_detectable_drop(0.9, n, n, 0.05) for n in (20, 40, 80, 160, 200)]
    assert all(a > b for a, b in zip(drops, drops[1:]))
    assert drops[-1] < 0.12
    # Power at the detected rate is the requested 0.8.
    assert stats.fisher_power(0.9, 0.9 - d20, 20, 20, 0.05) == pytest.approx(0.8, abs=1e-4)
    # Stricter alpha needs a bigger drop; too few episodes cannot detect anything.
    assert stats.min_detectable_drop(0.9, 20, 20, 0.01) > d20
    assert math.isnan(stats.min_detectable_drop(0.2, 5, 5, 0.05))
    assert math.isnan(stats.min_detectable_drop(float("nan"), 20, 20, 0.05))
