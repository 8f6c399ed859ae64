"""Bad input to scripts/evaluate.py: one line naming the cause, exit code 2, no results left.

These mistakes are caught before the simulator is imported, so they are fast.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def evaluate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--no-progress", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def assert_user_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert lines[0].startswith("error: ")
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture
def bad_yaml(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("name: smoke\ntasks:\n  - name: a\n    env: {id: X\n")
    return p


@pytest.fixture
def wrong_type(tmp_path):
    text = (ROOT / "tasks" / "smoke.yaml").read_text().replace("max_steps: 200", "max_steps: lots")
    p = tmp_path / "wrongtype.yaml"
    p.write_text(text)
    return p


def test_unknown_suite(tmp_path):
    assert_user_error(evaluate("--suite", "nosuch", "--policy", "random", "--out", str(tmp_path / "o")), "unknown suite 'nosuch'")
    assert not (tmp_path / "o").exists()


def test_unknown_task(tmp_path):
    assert_user_error(
        evaluate("--suite", "smoke", "--tasks", "juggling", "--policy", "random", "--out", str(tmp_path / "o")),
        "unknown task 'juggling'", "cartpole_balance",
    )


def test_unknown_policy(tmp_path):
    assert_user_error(evaluate("--suite", "smoke", "--policy", "nosuch", "--out", str(tmp_path / "o")), "unknown policy 'nosuch'")


def test_malformed_yaml(tmp_path, bad_yaml):
    assert_user_error(evaluate("--suite", str(bad_yaml), "--policy", "random", "--out", str(tmp_path / "o")), str(bad_yaml), "malformed YAML")


def test_wrong_field_type(tmp_path, wrong_type):
    assert_user_error(
        evaluate("--suite", str(wrong_type), "--policy", "random", "--out", str(tmp_path / "o")),
        str(wrong_type), "tasks[0].max_steps", "expected int, got str 'lots'",
    )


@pytest.mark.parametrize("flag, value", [("--num-envs", "0"), ("--episodes", "0"), ("--episodes", "-3")])
def test_counts_below_one(tmp_path, flag, value):
    assert_user_error(evaluate("--suite", "smoke", "--policy", "random", flag, value, "--out", str(tmp_path / "o")), flag, ">= 1")
    assert not (tmp_path / "o").exists()


def test_results_dir_holding_another_run(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    (out / "episodes.jsonl").write_text("")
    assert_user_error(evaluate("--suite", "smoke", "--policy", "random", "--out", str(out)), str(out), "holds another run")
    assert sorted(p.name for p in out.iterdir()) == ["episodes.jsonl", "manifest.json"]  # untouched


def test_resume_without_a_run(tmp_path):
    assert_user_error(evaluate("--suite", "smoke", "--policy", "random", "--resume", "--out", str(tmp_path / "none")), "nothing to resume")
    assert_user_error(evaluate("--suite", "smoke", "--policy", "random", "--resume"), "--resume needs --out")


def test_resume_with_a_different_request(tmp_path):
    import json

    out = tmp_path / "other"
    out.mkdir()
    plan = {"seed": 0, "tasks": {}}
    (out / "manifest.json").write_text(json.dumps({"suite": {"name": "other", "tasks": []}, "policy": {}, "plan": plan}))
    assert_user_error(
        evaluate("--suite", "smoke", "--policy", "random", "--resume", "--out", str(out)), "cannot resume", "suite"
    )


def test_scripted_policy_on_a_task_without_expert(tmp_path):
    text = (ROOT / "tasks" / "smoke.yaml").read_text().replace("expert: cartpole_balance", "expert: juggler")
    card = tmp_path / "noexpert.yaml"
    card.write_text(text)
    assert_user_error(evaluate("--suite", str(card), "--policy", "scripted", "--out", str(tmp_path / "o")), "unknown expert 'juggler'")


def test_official_tasks_say_what_is_missing(tmp_path):
    """The official G1 cards need Isaac Sim (and IsaacLab-Arena); without them: one line, exit 2."""
    out = tmp_path / "o"
    proc = evaluate("--suite", "g1_official", "--policy", "random", "--out", str(out))
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "g1_official.yaml" in last and "'isaacsim'" in last and "Isaac Sim" in last
    assert not out.exists()
