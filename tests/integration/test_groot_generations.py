"""All four GR00T generations side by side on real Isaac Lab (kit-less): tiny random N1, N1.5,
N1.6 and N1.7 checkpoints from `make_tiny_groot.py --version` run the smoke suite on one plan,
`compare.py` pairs them (McNemar on shared episode seeds), a repeated run is identical, and
N1.6/N1.7 also drive a g1 task with its camera."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena_eval.records import EPISODES, read_records

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.isaaclab
VERSIONS = ["n1", "n1.5", "n1.6", "n1.7"]


def _run(args: list[str], timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    return proc


def _tiny(out: Path, version: str, *extra: str, script: bool = False) -> Path:
    args = ["--out", str(out), "--version", version, *extra]
    if script:
        _run([str(ROOT / "scripts" / "make_tiny_groot.py"), *args])
    else:  # in this process: a process's start-up (torch, transformers) costs more than the checkpoint
        from arena_eval.policies.groot.tiny_cli import main

        assert main(args) == 0
    return out / "policy.yaml"


def _evaluate(card: Path, out: Path, *extra: str) -> list:
    _run([str(ROOT / "scripts" / "evaluate.py"), "--policy", str(card), "--out", str(out), "--no-progress", *extra])
    return sorted(read_records(out / EPISODES), key=lambda r: (r.task, r.episode))


def test_four_generations_on_one_plan_compare_paired(tmp_path):
    runs = {}
    for v in VERSIONS:
        card = _tiny(tmp_path / f"tiny-{v}", v, "--n-action-steps", "8", script=v == "n1")  # the script once
        recs = _evaluate(card, tmp_path / f"run-{v}", "--suite", "smoke", "--episodes", "3", "--num-envs", "2")
        assert [r.episode for r in recs] == [0, 1, 2]
        assert all(r.outcome in ("success", "failure") for r in recs), [r.reason for r in recs]
        runs[v] = recs
    seeds = {v: [r.seed for r in recs] for v, recs in runs.items()}
    assert len({tuple(s) for s in seeds.values()}) == 1  # one plan: the same episode seeds

    # The same card and seed again: the same episodes, step for step.
    again = _evaluate(
        tmp_path / "tiny-n1.7" / "policy.yaml", tmp_path / "run-n1.7-again", "--suite", "smoke", "--episodes", "3",
        "--num-envs", "2",
    )
    assert [(r.outcome, r.reason, r.steps) for r in again] == [(r.outcome, r.reason, r.steps) for r in runs["n1.7"]]

    proc = _run([str(ROOT / "scripts" / "compare.py"), *(str(tmp_path / f"run-{v}") for v in VERSIONS),
                 "--out", str(tmp_path / "cmp")])
    table = proc.stdout
    for v in VERSIONS:
        assert f"| cartpole_balance | at_end | run-{v} | 3 |" in table
    import pandas as pd

    df = pd.read_csv(tmp_path / "cmp" / "compare.csv", keep_default_na=False)
    tests = list(df[df["kind"] == "task"]["test"])
    assert tests == ["", "McNemar exact", "McNemar exact", "McNemar exact"]  # baseline, then paired


@pytest.mark.parametrize("version", ["n1.6", "n1.7"])
def test_n1x_drives_a_g1_task_with_its_camera(tmp_path, version):
    """The g1 camera gives 224x224 frames; N1.6/N1.7 resize them as their processors do."""
    card = _tiny(tmp_path / "tiny", version, "--suite", "g1", "--task", "g1_lift", "--state-dim", "object_pos=3",
                 "--n-action-steps", "16")
    recs = _evaluate(card, tmp_path / "run", "--suite", "g1", "--task", "g1_lift", "--episodes", "1",
                     "--num-envs", "1")
    assert len(recs) == 1 and recs[0].outcome in ("success", "failure"), recs[0].reason
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["checkpoint_sha256"]
