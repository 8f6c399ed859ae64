"""The GR00T adapter drives the smoke suite through the runner on real Isaac Lab (kit-less),
with a tiny random N1.5 checkpoint: text + state only (the suite has no cameras)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena_eval.errors import cli_main
from arena_eval.records import EPISODES, MANIFEST, read_records

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.isaaclab


def test_tiny_gr00t_runs_the_smoke_suite(tmp_path):
    from arena_eval.policies.groot.tiny_cli import main as tiny_main

    assert cli_main(tiny_main)(["--out", str(tmp_path / "tiny"), "--arch", "n1.5", "--n-action-steps", "8"]) == 0
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "evaluate.py"),
        "--suite",
        "smoke",
        "--policy",
        str(tmp_path / "tiny" / "policy.yaml"),
        "--episodes",
        "2",
        "--num-envs",
        "2",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    records = list(read_records(out / EPISODES))
    assert sorted(r.episode for r in records) == [0, 1]
    assert all(r.outcome in ("success", "failure") for r in records), [r.reason for r in records]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["policy"]["type"] == "gr00t"
    assert manifest["checkpoint_sha256"]
