"""The shipped small GR00T checkpoints and their committed baselines (the CI gate).

`.ci/run` evaluates each shipped checkpoint with its baseline's plan and runs
check_regression against the committed baseline (`scripts/run.sh gate`). Here: every
shipped card loads and fits its task, every baseline is complete and matches its card, and
the gate fails when a checkpoint is replaced by a degraded one (random weights of the same
configuration), on real Isaac Lab.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from arena_eval.cards import load_policy
from arena_eval.gates.ci import GATE_FILE, evaluate_command, load_entries
from arena_eval.records import load_run

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = load_entries()


def baseline(entry) -> Path:
    return GATE_FILE.parent / entry["baseline"]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["policy"])
def test_baselines_are_complete_and_match_their_cards(entry):
    manifest, records = load_run(baseline(entry))
    assert manifest["policy"]["name"] == load_policy(entry["policy"]).name
    assert manifest["suite"]["name"] == entry["suite"] and manifest["plan"]["seed"] == entry["seed"]
    for task, plan in manifest["plan"]["tasks"].items():
        assert plan["episodes"] == entry["episodes"]
        got = sorted(r.episode for r in records if r.task == task)
        assert got == list(range(entry["episodes"]))
    summary = json.loads((baseline(entry) / "summary.json").read_text())
    for t in summary["tasks"]:
        assert t["success_rate"] >= 0.5, t  # the shipped checkpoints' bar (issue 7)


def degrade(card: Path, out: Path) -> Path:
    """A copy of the card's checkpoint with every weight re-drawn at random (same config,
    processor and metadata): what a broken training run or a wrong file would ship."""
    from arena_eval.policies.groot.common.checkpoint import save_weights, weight_files
    from arena_eval.policies.groot.n1.config import load_config
    from arena_eval.policies.groot.n1.eagle_config import load_eagle_config
    from arena_eval.policies.groot.n1.model import build_random

    spec = load_policy(str(card))
    src_ckpt = (card.parent / spec.checkpoint).resolve()
    src_proc = (card.parent / spec.params["processor_dir"]).resolve()
    ckpt, proc = out / "checkpoint", out / "processor"
    shutil.copytree(src_ckpt, ckpt)
    shutil.copytree(src_proc, proc)
    for f in weight_files(ckpt):
        f.unlink()
    (ckpt / "model.safetensors.index.json").unlink(missing_ok=True)
    cfg = load_config(ckpt)
    model = build_random(cfg, load_eagle_config(proc, cfg.model_type), seed=12345)
    save_weights(model.state_dict(), ckpt, 1)
    data = yaml.safe_load(card.read_text())
    data.update(name=data["name"] + "-degraded", checkpoint="checkpoint")
    data["params"]["processor_dir"] = "processor"
    (out / "policy.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return out / "policy.yaml"


@pytest.mark.isaaclab
@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.get("degrade_test", True)], ids=lambda e: e["policy"])
def test_the_gate_fails_a_degraded_checkpoint(entry, tmp_path):
    card = degrade(ROOT / "policies" / f"{entry['policy']}.yaml", tmp_path / "degraded")
    run = tmp_path / "run"
    py = sys.executable
    # The first 16 episodes of the baseline's plan (two batches) are plenty to show a broken
    # checkpoint (and keep CI short: a degraded policy fails every episode by the time limit,
    # the longest way): failing all 16, the sequential gate decides at pair 8 (cartpole) and
    # 14 (g1_lift) against the committed baselines. An entry may ask for fewer
    # (degrade_episodes: a camera policy's episodes cost more).
    n = min(entry["episodes"], entry.get("degrade_episodes", 16))
    ev = subprocess.run(evaluate_command(entry, str(card), run, episodes=n), cwd=ROOT,
                        capture_output=True, text=True, timeout=1800)
    assert ev.returncode == 0, ev.stderr[-3000:]
    dirty = ["--allow-dirty-baseline"] if entry.get("allow_dirty_baseline") else []
    gate = subprocess.run([py, "scripts/check_regression.py", "--baseline", str(baseline(entry)), "--candidate", str(run),
                           *dirty],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "worse" in (gate.stdout + gate.stderr).lower()
    if "sequential" in entry:  # the sequential gate catches it before its cap (issue 17)
        s = entry["sequential"]
        seq = subprocess.run([py, "scripts/check_regression.py", "--baseline", str(baseline(entry)), "--candidate",
                              str(run), *dirty, "--sequential", "--out", str(tmp_path / "seq"),
                              *(f"--{k.replace('_', '-')}={v}" for k, v in s.items())],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert seq.returncode == 1, seq.stdout + seq.stderr
        result = json.loads((tmp_path / "seq" / "sequential.json").read_text())
        cap = min(s["max_episodes"], entry["episodes"])
        # Decided at an episode before the cap (the batch holding it may end at the cap).
        assert result["decision"] == "regression", seq.stdout
        # A task's own evidence, or with several tasks the suite's product of them at a batch.
        used = [t["used"] for t in result["tasks"].values() if t["verdict"] == "regression"]
        assert (min(used) if used else result["at_batch"] * s["batch"]) < cap, seq.stdout
