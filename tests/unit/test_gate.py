"""Regression gate and the two command-line wrappers (run as subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_runs import REPO_ROOT, make_run, outcomes

from arena_eval.gates import check_regression

BASE = {"a": outcomes(18, 2), "b": outcomes(15, 5)}


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return make_run(tmp_path, "base", BASE)


def text(lines: list[str]) -> str:
    return "\n".join(lines)


def test_degraded_candidate_fails(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(6, 14), "b": outcomes(15, 5)})
    code, lines = check_regression(base, cand, max_mde=1.0)
    out = text(lines)
    assert code == 1
    assert "FAIL: task a: significantly worse" in out
    a_line = next(line for line in lines if line.startswith("a "))
    assert "McNemar exact" in a_line and "REGRESSION" in a_line and "-60.0 pp" in a_line
    b_line = next(line for line in lines if line.startswith("b "))
    assert b_line.rstrip().endswith("ok")
    assert "min drop" in out and "pp" in b_line.split("McNemar exact")[1]


def test_equal_candidate_passes(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", BASE)
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 0, text(lines)
    assert lines[-1].startswith("PASS: no significant regression")


def test_unpaired_uses_fisher(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(17, 3), "b": outcomes(15, 5)}, seed=9)
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 0, text(lines)
    assert all("Fisher exact" in line for line in lines if line.startswith(("a ", "b ")))


def test_small_drop_is_not_significant_but_reports_power(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(16, 4), "b": outcomes(14, 6)})
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 0, text(lines)
    # With 20 episodes per task only big drops are detectable: the gate says how big.
    a_line = next(line for line in lines if line.startswith("a "))
    drop = float(a_line.split("pp")[-2].split()[-1])
    assert 30 < drop < 70


def test_candidate_errors_fail_unless_allowed(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(18, 1, 1), "b": outcomes(15, 5)})
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 1
    assert "candidate has 1 error episode(s) (a: 1)" in text(lines)
    code, lines = check_regression(base, cand, allow_errors=True, max_mde=1.0)
    assert code == 0, text(lines)
    assert "allowed" in text(lines)


def test_missing_task_fails(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(18, 2)})
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 1
    assert "FAIL: task b: missing from the candidate" in text(lines)
    assert next(line for line in lines if line.startswith("b ")).endswith("MISSING")


def test_incomplete_candidate_fails_unless_allowed(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(18, 0) + "..", "b": outcomes(15, 5)})
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 1 and "candidate run is incomplete: a (18 of 20)" in text(lines)
    assert check_regression(base, cand, allow_incomplete=True, max_mde=1.0)[0] == 0


def test_holm_controls_many_tasks(tmp_path: Path) -> None:
    # A borderline drop on one of many tasks is significant alone but not after Holm.
    tasks = {f"t{i}": outcomes(15, 5) for i in range(10)}
    base = make_run(tmp_path, "base", tasks)
    worse = dict(tasks, t0=outcomes(8, 12))  # Fisher one-sided p = 0.027 on its own
    cand = make_run(tmp_path, "cand", worse, seed=5)
    code, lines = check_regression(base, cand, max_mde=1.0)
    t0 = next(line for line in lines if line.startswith("t0 "))
    p_raw, p_adj = (float(x) for x in t0.split("Fisher exact")[1].split()[:2])
    assert p_raw < 0.05 <= p_adj
    assert code == 0, text(lines)


# --- command-line wrappers --------------------------------------------------------------


def script(name: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / name), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_check_regression_cli(base: Path, tmp_path: Path) -> None:
    worse = make_run(tmp_path, "worse", {"a": outcomes(6, 14), "b": outcomes(15, 5)})
    same = make_run(tmp_path, "same", BASE)
    errs = make_run(tmp_path, "errs", {"a": outcomes(18, 1, 1), "b": outcomes(15, 5)})
    p = script("check_regression.py", "--baseline", base, "--candidate", worse, cwd=tmp_path)
    assert p.returncode == 1 and "REGRESSION" in p.stdout
    p = script("check_regression.py", "--baseline", base, "--candidate", same, "--max-mde", "1", cwd=tmp_path)
    assert p.returncode == 0 and "no significant regression" in p.stdout
    assert script("check_regression.py", "--baseline", base, "--candidate", errs, cwd=tmp_path).returncode == 1
    p = script("check_regression.py", "--baseline", base, "--candidate", errs, "--allow-errors", "--max-mde", "1",
               cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    p = script("check_regression.py", "--baseline", base, "--candidate", tmp_path, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and str(tmp_path) in p.stderr and "Traceback" not in p.stderr


def test_compare_cli(base: Path, tmp_path: Path) -> None:
    cand = make_run(tmp_path, "cand", {"a": outcomes(6, 14), "b": outcomes(15, 5)})
    out = tmp_path / "cmp"
    p = script("compare.py", base, cand, "--out", out, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "| a | unknown | cand | 20 | 30.0% |" in p.stdout and "McNemar exact" in p.stdout
    assert {f.name for f in out.iterdir()} == {"compare.md", "compare.csv", "compare.html"}
    # Default output: results/compare-<timestamp>/ under the working directory.
    p = script("compare.py", base, cand, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    made = list((tmp_path / "results").glob("compare-*/compare.md"))
    assert len(made) == 1


def test_compare_cli_bad_dir(base: Path, tmp_path: Path) -> None:
    p = script("compare.py", base, tmp_path / "missing", cwd=tmp_path)
    assert p.returncode == 2
    assert "missing" in p.stderr and "Traceback" not in p.stderr and p.stderr.strip().count("\n") == 0
    not_run = tmp_path / "not_a_run"
    not_run.mkdir()
    p = script("compare.py", not_run, cwd=tmp_path)
    assert p.returncode == 2 and "no manifest.json" in p.stderr


def test_one_task_gate_tests_it_once(tmp_path: Path) -> None:
    base = make_run(tmp_path, "base1", {"a": outcomes(17, 3)})
    cand = make_run(tmp_path, "cand1", {"a": outcomes(10, 10)})
    code, lines = check_regression(base, cand, max_mde=1.0)
    out = text(lines)
    assert "Holm over 1 test(s)" in out and not any(line.startswith("ALL (pooled)") for line in lines)
    # Two tasks: the suite row is a test of its own.
    base2 = make_run(tmp_path, "base2", BASE)
    assert "Holm over 3 test(s)" in text(check_regression(base2, base2, max_mde=1.0)[1])


def test_dirty_baseline_is_refused_unless_allowed(tmp_path: Path) -> None:
    dirty = {"git": {"revision": "abc", "dirty": True}}
    base = make_run(tmp_path, "base", BASE, manifest_extra=dirty)
    cand = make_run(tmp_path, "cand", BASE)
    code, lines = check_regression(base, cand, max_mde=1.0)
    assert code == 1 and "dirty git tree" in text(lines) and "--allow-dirty-baseline" in text(lines)
    code, lines = check_regression(base, cand, allow_dirty_baseline=True, max_mde=1.0)
    assert code == 0 and "dirty git tree (revision abc); allowed" in text(lines)
    p = script("check_regression.py", "--baseline", base, "--candidate", cand, cwd=tmp_path)
    assert p.returncode == 1
    p = script("check_regression.py", "--baseline", base, "--candidate", cand, "--allow-dirty-baseline", "--max-mde", "1",
               cwd=tmp_path)
    assert p.returncode == 0, p.stdout


def test_too_few_episodes_to_decide(base: Path, tmp_path: Path) -> None:
    """20 episodes per task cannot see a 30-point drop with 80% power: no significant
    regression is then 'not enough episodes to decide' (exit 3), not a pass."""
    cand = make_run(tmp_path, "cand", {"a": outcomes(16, 4), "b": outcomes(15, 5)})
    code, lines = check_regression(base, cand)
    out = text(lines)
    assert code == 3, out
    assert "UNDECIDED: task a: the smallest drop these episodes detect is" in out
    assert "not enough episodes to decide" in out
    assert check_regression(base, cand, max_mde=0.6)[0] == 0


def test_runs_of_different_suites_are_an_input_error_not_a_regression(base: Path, tmp_path: Path) -> None:
    """Issue 28: the gate answered `FAIL ... missing from the candidate` (exit 1) for a
    candidate of another suite; it is a mistake in the input: one line naming both, exit 2."""
    other = make_run(tmp_path, "other", {"c": outcomes(18, 2)})
    m = json.loads((other / "manifest.json").read_text())
    m["suite"]["name"] = "g1"
    (other / "manifest.json").write_text(json.dumps(m))
    for extra in ((), ("--sequential", "--max-episodes", "20")):
        p = script("check_regression.py", "--baseline", base, "--candidate", other, *extra, cwd=tmp_path)
        assert p.returncode == 2, p.stdout + p.stderr
        line = p.stderr.strip()
        assert "\n" not in line and line.startswith("error: suite: ") and "Traceback" not in line, p.stderr
        assert f"{base} is a run of suite 'synthetic'" in line and f"{other} of suite 'g1'" in line, line
        assert "FAIL" not in p.stdout
