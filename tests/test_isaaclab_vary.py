"""Variation levels on real Isaac Lab (kit-less, CPU): the same seed and level give identical
start states and camera frames in every process, on both backends and with 1 or 2 envs, and
different levels give different frames (visual) or states (physical). Four short simulator
builds (five processes, two at a time), no stepping: about a minute on 2 cores."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.isaaclab
SEED, OTHER = 101, 202
CAM = "video.ego_view"
# name -> (level, backend, num_envs, seeds)
BUILDS = {
    "dark_workers2": ("table_color=dark", "isaaclab_workers", 2, [SEED, SEED]),  # two worker processes
    "joints_workers1": ("init_joints=large", "isaaclab_workers", 1, [SEED]),
    "dark_inproc2": ("table_color=dark", "isaaclab", 2, [OTHER, SEED]),  # MJWarp, 2 envs in one process
    "white_workers1": ("table_color=white", "isaaclab_workers", 1, [SEED]),
}


def _build(tmp: Path, name: str) -> dict:
    level, backend, n, seeds = BUILDS[name]
    out = tmp / f"{name}.npz"
    proc = subprocess.run([sys.executable, "tests/helpers_vary.py", "g1", "g1_lift", level, backend, str(n),
                           ",".join(map(str, seeds)), str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = np.load(out)
    return {**{k: data[k] for k in data.files if k != "init"}, "init": json.loads(str(data["init"]))}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("vary")
    with ThreadPoolExecutor(2) as pool:  # two simulator builds at a time on 2 cores
        return dict(zip(BUILDS, pool.map(lambda n: _build(tmp, n), BUILDS)))


def _states(w: dict, slot: int) -> dict[str, np.ndarray]:
    return {k: v[slot] for k, v in w.items() if k.startswith("state.")}


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_same_seed_and_level_give_identical_state_and_frame_across_processes_and_num_envs(worlds):
    w2, inproc = worlds["dark_workers2"], worlds["dark_inproc2"]
    # Two worker processes (one world each) started on the same seed under the same level.
    assert w2["init"][0] == w2["init"][1]
    _same(_states(w2, 0), _states(w2, 1))
    np.testing.assert_array_equal(w2[CAM][0], w2[CAM][1])
    # Slot 1 of 2 envs in one process (MJWarp) against a one-world worker process.
    assert inproc["init"][1] == w2["init"][0]
    _same(_states(inproc, 1), _states(w2, 0))
    np.testing.assert_array_equal(inproc[CAM][1], w2[CAM][0])
    # ... and the seed does matter: slot 0 ran another seed.
    assert not np.array_equal(inproc["state.object_pos"][0], inproc["state.object_pos"][1])


def test_a_visual_level_changes_the_frame_and_not_the_state(worlds):
    dark, white = worlds["dark_workers2"], worlds["white_workers1"]
    assert dark["init"][0] == white["init"][0]
    _same(_states(dark, 0), _states(white, 0))
    diff = np.abs(dark[CAM][0].astype(int) - white[CAM][0].astype(int))
    assert diff.max(axis=-1).__gt__(40).mean() > 0.1  # the table covers much of the view
    assert white[CAM][0].mean() > dark[CAM][0].mean() + 10


def test_a_physical_level_changes_the_start_state_by_its_draws(worlds):
    dark, joints = worlds["dark_workers2"], worlds["joints_workers1"]
    init = joints["init"][0]
    offsets = {k.split(".")[-1]: v[0] for k, v in init.items() if k.startswith("robot.joint_pos_offset.")}
    assert len(offsets) == 6 and all(0 < abs(v) <= 0.15 for v in offsets.values())
    np.testing.assert_array_equal(joints["state.object_pos"][0], dark["state.object_pos"][0])  # the box is not moved
    from arena_eval.envs.tasks.g1.robot import ARM_JOINTS

    for side in ("left", "right"):
        delta = joints[f"state.{side}_arm"][0] - dark[f"state.{side}_arm"][0]
        want = np.array([offsets.get(j, 0.0) for j in ARM_JOINTS[side]], np.float32)
        np.testing.assert_allclose(delta, want, atol=1e-4)
    assert np.abs(joints[CAM][0].astype(int) - dark[CAM][0].astype(int)).mean() > 1
