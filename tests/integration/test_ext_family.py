"""A task family from outside arena_eval, registered through the `arena_eval.tasks` entry
point group of an installed distribution (made here as a dist-info folder on PYTHONPATH),
evaluated end to end on real Isaac Lab with no edit to arena_eval: the scripted expert it
brings succeeds, the random policy fails, and start states are its own sampler's draws."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "tests" / "support" / "ext_family"
CARD = EXT / "ext_cartpole.yaml"
pytestmark = pytest.mark.isaaclab


def installed(tmp: Path) -> dict[str, str]:
    """An environment in which the family's package is installed (entry point and all)."""
    dist = tmp / "site" / "arena_eval_ext_cartpole-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: arena-eval-ext-cartpole\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[arena_eval.tasks]\next_cartpole = arena_eval_ext_cartpole\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(EXT), str(tmp / "site"), env.get("PYTHONPATH", "")])
    return env


def evaluate(out: Path, policy: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", str(CARD), "--policy", policy,
         "--seed", "3", "--out", str(out), "--no-progress", "--videos", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )


def test_without_the_package_the_card_names_what_is_missing(tmp_path):
    proc = evaluate(tmp_path / "none", "scripted", dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "unknown expert 'ext_cartpole_pd'" in proc.stderr.strip().splitlines()[-1]


def test_an_external_family_evaluates_end_to_end(tmp_path):
    env = installed(tmp_path)
    runs = {}
    for policy in ("scripted", "random"):
        proc = evaluate(tmp_path / policy, policy, env)
        assert proc.returncode == 0, proc.stderr[-4000:]
        (task,) = json.loads((tmp_path / policy / "summary.json").read_text())["tasks"]
        runs[policy] = task
    assert runs["scripted"]["task"] == "ext_cartpole_hold" and runs["scripted"]["successes"] == 4, runs["scripted"]
    assert runs["random"]["successes"] == 0, runs["random"]
    # every start state is the family's own sampler's draw from the episode seed
    sys.path.insert(0, str(EXT))
    try:
        from arena_eval_ext_cartpole.starts import narrow_start
    finally:
        sys.path.remove(str(EXT))

    class Cfg:
        initial_pole_angle_range = [-0.1, 0.1]
        cart_dof_name, pole_dof_name = "slider_to_cart", "cart_to_pole"

    recs = [json.loads(x) for x in (tmp_path / "scripted" / "episodes.jsonl").read_text().splitlines()]
    assert len(recs) == 4
    for r in recs:
        want = narrow_start(np.random.default_rng(r["seed"]), Cfg)["cartpole"]["joint_pos"]
        got = {k.split(".")[-1]: v[0] for k, v in r["init_state"].items() if ".joint_pos." in k}
        assert set(got) == set(want) and all(abs(got[j] - want[j]) < 1e-6 for j in want), (got, want)
