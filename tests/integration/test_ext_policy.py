"""A policy type from outside arena_eval, registered through the `arena_eval.policies` entry
point group of an installed distribution (made here as a dist-info folder on PYTHONPATH),
evaluated end to end on real Isaac Lab (the smoke suite's Cartpole) with no edit to
arena_eval: without the package its card is a one-line error naming the known types; with it
the PD controller it brings balances the pole, and the run records the type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "tests" / "support" / "ext_policy"
CARD = EXT / "pd.yaml"
pytestmark = pytest.mark.isaaclab


def installed(tmp: Path) -> dict[str, str]:
    dist = tmp / "site" / "arena_eval_ext_pd-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: arena-eval-ext-pd\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[arena_eval.policies]\npd_balance = arena_eval_ext_pd\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(EXT), str(tmp / "site"), env.get("PYTHONPATH", "")])
    return env


def evaluate(out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "smoke", "--policy", str(CARD),
         "--episodes", "4", "--seed", "3", "--out", str(out), "--no-progress", "--videos", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )


def test_without_the_package_the_card_names_the_known_types(tmp_path):
    proc = evaluate(tmp_path / "none", dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2, proc.stderr[-2000:]
    line = proc.stderr.strip().splitlines()[-1]
    assert "pd.yaml: type: expected one of" in line and "gr00t" in line and "pd_balance" in line, line
    assert not (tmp_path / "none").exists()  # nothing written


def test_an_external_policy_type_evaluates_end_to_end(tmp_path):
    proc = evaluate(tmp_path / "run", installed(tmp_path))
    assert proc.returncode == 0, proc.stderr[-4000:]
    (task,) = json.loads((tmp_path / "run" / "summary.json").read_text())["tasks"]
    assert task["task"] == "cartpole_balance" and task["episodes"] == 4 and task["errors"] == 0
    assert task["successes"] >= 3, task  # the PD controller balances the pole
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert m["policy"]["type"] == "pd_balance" and m["policy"]["params"]["gains"]["pole"] == -3.0
