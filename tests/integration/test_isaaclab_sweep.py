"""A CI-sized robustness sweep of a shipped checkpoint on real Isaac Lab: small-gr00t-g1-lift
on g1_lift over three axes (one physical, one visual, one policy-side), one level each, on
the nominal task's seeds, one episode each. The run's records, summary.json, sweep.csv, sensitivity plot and
report carry one paired row per level. `benchmarks/sweep_g1_lift.py` is the README's
full-size sweep (seven axes, 8 episodes per level). Slow: four simulator builds. (The other
policy-side axis, latency, acts in the runner as obs_noise does, and tests/unit/test_variation.py
covers it; its simulator build was dropped to keep CI under 20 minutes.)"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena_eval.records import EPISODES as RECORDS
from arena_eval.records import read_records

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.isaaclab
VARY = {"object": "heavy", "table_color": "dark", "obs_noise": "high"}
EPISODES = 1  # per level: CI-sized (each level is its own simulator build)
BASELINE = ROOT / "results" / "baselines" / "g1-small-gr00t-g1-lift"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "run"
    cmd = [sys.executable, "scripts/evaluate.py", "--suite", "g1", "--tasks", "g1_lift", "--policy", "small-gr00t-g1-lift",
           "--episodes", str(EPISODES), "--seed", "0", "--num-envs", "1", "--videos", "1", "--no-progress", "--out", str(out)]
    for axis, level in VARY.items():
        cmd += ["--vary", f"{axis}={level}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-5000:]
    return out


def test_every_level_runs_the_nominal_episodes_and_records_its_level(sweep):
    records = list(read_records(sweep / RECORDS))
    by_task: dict[str, dict[int, object]] = {}
    for r in records:
        by_task.setdefault(r.task, {})[r.episode] = r
    assert sorted(by_task) == sorted(["g1_lift"] + [f"g1_lift@{a}={lv}" for a, lv in VARY.items()])
    nominal = by_task["g1_lift"]
    assert sorted(nominal) == list(range(EPISODES)) and all(r.outcome != "error" for r in records)
    for axis, level in VARY.items():
        derived = by_task[f"g1_lift@{axis}={level}"]
        assert sorted(derived) == list(range(EPISODES))
        for ep, r in derived.items():
            assert r.seed == nominal[ep].seed  # paired: the level on the nominal task's seeds
            assert r.variation == {axis: level}
    # Scene and policy-side levels leave the start state alone; the nominal start states are
    # the committed baseline's (same plan seed), so a sweep beside them changes nothing.
    base = {r.episode: r for r in read_records(BASELINE / RECORDS) if r.task == "g1_lift"}
    for ep, r in nominal.items():
        assert r.init_state == base[ep].init_state
        for axis in ("table_color", "obs_noise"):
            assert by_task[f"g1_lift@{axis}={VARY[axis]}"][ep].init_state == r.init_state


def test_the_report_has_a_paired_row_and_a_plot_per_level(sweep):
    rows = json.loads((sweep / "summary.json").read_text())["sweep"]
    levels = [r for r in rows if r["level"] != "nominal"]
    assert sorted((r["axis"], r["level"]) for r in levels) == sorted(VARY.items())
    assert sorted(r["axis"] for r in rows if r["level"] == "nominal") == sorted(VARY)  # one per axis
    for r in rows:
        assert r["task"] == "g1_lift" and r["n"] == EPISODES and 0 <= r["successes"] <= EPISODES
        assert 0 <= r["ci_low"] <= r["successes"] / r["n"] <= r["ci_high"] <= 1
    for r in levels:
        assert r["pairs"] == EPISODES and r["nominal_only"] + r["level_only"] <= EPISODES
        assert 0 <= r["p_mcnemar"] <= r["p_holm"] <= 1
    with open(sweep / "sweep.csv") as f:
        assert len(list(csv.DictReader(f))) == len(rows)
    assert (sweep / "sensitivity.png").stat().st_size > 10_000
    html = (sweep / "report.html").read_text()
    assert "Robustness sweep" in html and "table_color=dark" in html
