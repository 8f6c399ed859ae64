"""The sequential gate on run directories (arena_eval.gates.sequential, check_regression.py --sequential):
runs with known success probabilities, written as synthetic run dirs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_runs import REPO_ROOT, make_run

from arena_eval.errors import UserError
from arena_eval.gates import check_sequential
from arena_eval.gates.sequential import EXIT_MORE
from arena_eval.stats import sequential as sq

DESIGN = sq.Design(delta=0.25, max_episodes=96, batch=8)


def paired_codes(rng: np.random.Generator, base_rate: float, drop: float, rho: float, n: int) -> tuple[str, str]:
    """Outcome strings of a baseline and a candidate on the same n start states."""
    p10, p01 = sq.paired_probs(base_rate, drop, rho)
    cat = rng.choice(4, size=n, p=[base_rate - p10, p10, p01, 1 - base_rate - p01])  # SS, SF, FS, FF
    return "".join("S" if k < 2 else "F" for k in cat), "".join("S" if k in (0, 2) else "F" for k in cat)


def runs(root: Path, rng: np.random.Generator, drop: float, n: int = 96, tasks=("a",), cand_n: int | None = None,
         **kw) -> tuple[Path, Path]:
    base, cand = {}, {}
    for t in tasks:
        base[t], cand[t] = paired_codes(rng, 0.85, drop, 0.5, n)
        cand[t] = cand[t][: cand_n or n]
    return make_run(root, "base", base, **kw), make_run(root, "cand", cand)


def test_big_drop_is_caught_early(tmp_path: Path) -> None:
    b, c = runs(tmp_path, np.random.default_rng(0), drop=0.5)
    code, lines, res = check_sequential(b, c, DESIGN, out_dir=tmp_path / "gate")
    assert code == 1 and res["decision"] == sq.REGRESSION, "\n".join(lines)
    assert res["tasks"]["a"]["used"] < 48 and lines[-1].startswith("FAIL: regression on a after")
    assert res["tests"] == 1  # one task: no suite row
    assert {p.name for p in (tmp_path / "gate").iterdir()} == {"gate.md", "sequential.json", "evidence.png"}
    assert json.loads((tmp_path / "gate" / "sequential.json").read_text())["decision"] == sq.REGRESSION


def test_equal_candidate_passes_before_the_cap(tmp_path: Path) -> None:
    b, c = runs(tmp_path, np.random.default_rng(1), drop=0.0, tasks=("a", "b"))
    code, lines, res = check_sequential(b, c, DESIGN)
    assert code == 0 and res["decision"] == sq.NO_REGRESSION, "\n".join(lines)
    assert res["tests"] == 3 and max(r["used"] for r in res["tasks"].values()) < 96


def test_short_candidate_continues_and_short_baseline_caps(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    b, c = runs(tmp_path, rng, drop=0.1, cand_n=8)
    code, lines, res = check_sequential(b, c, DESIGN)
    assert code == EXIT_MORE and res["decision"] == sq.CONTINUE and lines[-1].startswith("CONTINUE")
    b2, c2 = runs(tmp_path / "short", rng, drop=0.1, n=8)
    code, lines, res = check_sequential(b2, c2, DESIGN)
    assert code == 0 and res["decision"] == sq.INCONCLUSIVE
    assert "baseline has only 8 episodes" in "\n".join(lines)
    # A two-task baseline shorter than the cap: gated at its episodes, the note gives the power there and at the cap.
    b3, c3 = runs(tmp_path / "short2", rng, drop=0.0, n=48, tasks=("a", "b"))
    code, lines, res = check_sequential(b3, c3, DESIGN)
    note = next(line for line in lines if "baseline has only 48 episodes" in line)
    assert code == 0 and res["tests"] == 3 and "power@delta is a " in note and "(96 episodes: " in note, note


def test_refuses_other_plans_dirty_baselines_and_errors(tmp_path: Path) -> None:
    base = make_run(tmp_path, "base", {"a": "S" * 30})
    other = make_run(tmp_path, "other", {"a": "S" * 30}, seed=4)
    with pytest.raises(UserError, match=r"plan: task a: the candidate .*other \(run seed 4\) is not on the plan of the "
                                         r"baseline .*base \(run seed 0\)"):  # an input error (exit 2), not a verdict
        check_sequential(base, other, DESIGN)
    dirty = make_run(tmp_path, "dirty", {"a": "S" * 30}, manifest_extra={"git": {"revision": "x", "dirty": True}})
    same = make_run(tmp_path, "same", {"a": "S" * 30})
    assert check_sequential(dirty, same, DESIGN)[0] == 1
    assert check_sequential(dirty, same, DESIGN, allow_dirty_baseline=True)[0] == 0
    errs = make_run(tmp_path, "errs", {"a": "S" * 29 + "E"})
    code, lines, _ = check_sequential(base, errs, DESIGN)
    assert code == 1 and "error episode" in lines[-1]
    assert check_sequential(base, errs, DESIGN, allow_errors=True)[0] in (0, EXIT_MORE)


def test_cli_sequential(tmp_path: Path) -> None:
    b, c = runs(tmp_path, np.random.default_rng(3), drop=0.5)
    cmd = [sys.executable, str(REPO_ROOT / "scripts" / "check_regression.py"), "--baseline", str(b), "--candidate",
           str(c), "--sequential", "--delta", "0.25", "--max-episodes", "96", "--batch", "8", "--out", str(tmp_path / "g")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "regression" in p.stdout, p.stdout + p.stderr
    assert (tmp_path / "g" / "evidence.png").stat().st_size > 1000
    cmd[cmd.index("--candidate") + 1] = str(tmp_path / "missing")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "missing" in p.stderr
