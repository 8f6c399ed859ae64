"""compare.py --published: a run against a published success rate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers_runs import REPO_ROOT, make_run, outcomes
from scipy import stats as sps

from arena_eval.errors import UserError
from arena_eval.stats.published import BINOMIAL, BOSCHLOO, compare_published, parse, published_test


def test_parse() -> None:
    assert parse("g1_lift=43.9%") == ("g1_lift", pytest.approx(0.439), None)
    assert parse("a=0.5@120") == ("a", 0.5, 120)
    for bad in ("a", "a=1.5", "a=x", "=0.3", "a=0.3@0", "a=0.3@x"):
        with pytest.raises(UserError, match="--published"):
            parse(bad)


def test_binomial_and_two_sample() -> None:
    # 17 of 50 (34%) against 43.9%: consistent as far as 50 episodes can tell.
    name, p = published_test(17, 50, 0.439, None)
    assert name == BINOMIAL and p == pytest.approx(sps.binomtest(17, 50, 0.439).pvalue) and p > 0.05
    name, p2 = published_test(17, 50, 0.439, 500)
    assert name == BOSCHLOO and p2 == pytest.approx(
        sps.boschloo_exact([[17, 33], [220, 280]], alternative="two-sided").pvalue)
    # A two-sample test accounts for the published number's own noise: larger p than the binomial.
    assert published_test(5, 50, 0.439, 40)[1] > published_test(5, 50, 0.439, None)[1]
    assert published_test(5, 50, 0.439, None)[1] < 1e-5


def test_run_against_published(tmp_path: Path) -> None:
    run = make_run(tmp_path, "r", {"a": outcomes(17, 33), "b": outcomes(40, 10, 2)})
    df = compare_published([run], ["a=43.9%", "b=0.1@100"])
    a, b = df.iloc[0], df.iloc[1]
    assert (a.successes, a.episodes) == (17, 50) and a.p_value > 0.05
    assert (b.successes, b.episodes) == (40, 50) and b.test == BOSCHLOO and b.p_value < 1e-6
    # Holm: the smaller p times 2, the larger times 1 (never below the smaller's adjusted value).
    assert list(df.p_holm) == pytest.approx([max(a.p_value, 2 * b.p_value), 2 * b.p_value], rel=1e-9)


def test_cli(tmp_path: Path) -> None:
    run = make_run(tmp_path, "r", {"a": outcomes(17, 33)})
    cmd = [sys.executable, str(REPO_ROOT / "scripts" / "compare.py"), str(run), "--out", str(tmp_path / "o"),
           "--published", "a=43.9%@64"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "| r | a | 34.0% (17/50) |" in p.stdout and "43.9% of 64" in p.stdout and BOSCHLOO in p.stdout
    assert (tmp_path / "o" / "published.csv").is_file()
    for bad in ("a=2", "zz=0.4"):
        p = subprocess.run(cmd[:-1] + [bad], capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--published" in p.stderr, p.stderr


def test_compare_with_the_sequential_test(tmp_path: Path) -> None:
    """compare.py --sequential adds each run's anytime-valid decision against the first."""
    base = make_run(tmp_path, "base", {"a": "S" * 40})
    same = make_run(tmp_path, "same", {"a": "S" * 40})
    worse = make_run(tmp_path, "worse", {"a": "F" * 40})
    out = tmp_path / "cmp"
    cmd = [sys.executable, str(REPO_ROOT / "scripts" / "compare.py"), str(base), str(same), str(worse),
           "--out", str(out), "--sequential", "--delta", "0.25"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    text = p.stdout.split("## Sequential test against the first run")[1]
    same_part, worse_part = text.split(f"### {worse}")
    assert "PASS: no regression larger than 0.25" in same_part
    assert "FAIL: regression on a" in worse_part
    assert (out / "sequential-2" / "sequential.json").is_file()
