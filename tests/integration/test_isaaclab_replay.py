"""The `replay` policy on real Isaac Lab: the scripted expert's episodes, recorded with
scripts/record.py on one task of each family (cartpole, G1, DexMG, kitchen), replayed open
loop on the same plan, give the same records (outcome, reason, steps, code, milestones, start
state): a self-test of the harness's determinism. (`match: first`, the blind baseline, is
unit-tested in tests/unit/test_replay.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.isaaclab

ROOT = Path(__file__).resolve().parents[2]
TASKS = {"smoke": "cartpole_balance", "g1": "g1_lift", "dexmg": "dexmg_panda_lift_tray", "robocasa": "open_drawer"}
SEED, EPISODES = 5, 2


def _suite(tmp: Path) -> Path:
    tasks = []
    for suite, name in TASKS.items():
        card = yaml.safe_load((ROOT / "tasks" / f"{suite}.yaml").read_text())
        t = next(t for t in card["tasks"] if t["name"] == name)
        t.pop("variations", None)
        t["env"]["num_envs"] = 1
        tasks.append(t)
    path = tmp / "families.yaml"
    path.write_text(yaml.safe_dump({"name": "families", "tasks": tasks}))
    return path


def _run(cmd: list[str]) -> None:
    p = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-4000:]


def _card(tmp: Path, name: str, dataset: Path, match: str) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "type": "replay", "action_horizon": 1, "n_action_steps": 1,
                                    "params": {"dataset": str(dataset), "match": match}}))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    suite = _suite(tmp)
    demos, replay = tmp / "demos", tmp / "replay"
    common = ["--suite", str(suite), "--episodes", str(EPISODES), "--seed", str(SEED), "--no-progress"]
    _run([str(ROOT / "scripts" / "record.py"), *common, "--policy", "scripted", "--out", str(demos)])
    _run([str(ROOT / "scripts" / "evaluate.py"), *common, "--policy", str(_card(tmp, "replay", demos, "seed")),
          "--out", str(replay), "--videos", "0"])
    return demos, replay


def _records(run: Path) -> dict[tuple[str, int], dict]:
    return {(r["task"], r["episode"]): r for r in map(json.loads, (run / "episodes.jsonl").read_text().splitlines())}


def test_replaying_recorded_expert_episodes_reproduces_their_outcomes(runs):
    demos, replay = runs
    got = _records(replay)
    for task in TASKS.values():
        recorded = json.loads((demos / task / "meta" / "arena_eval.json").read_text())["episodes"]
        assert len(recorded) == EPISODES
        for e in recorded:
            r = got[(task, e["episode"])]
            assert (r["seed"], r["outcome"], r["reason"], r["steps"]) == (e["seed"], e["outcome"], e["reason"], e["steps"]), (task, e, r)
        assert all(got[(task, e["episode"])]["outcome"] == "success" for e in recorded)  # the expert's episodes
