"""Variation levels on real Isaac Lab (kit-less, CPU): the same seed and level give identical
start states and camera frames in every process, on both backends and with 1 or 2 envs, and
different levels give different frames (visual) or states (physical), for one level of every
scene axis of g1_lift (the policy-side axes act outside the simulator: tests/unit/test_variation.py).
One 2-worker build and three in-process runs that build every level in turn, two processes
at a time, no stepping: about a minute on 2 cores."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.isaaclab
SEED, OTHER = 101, 202
CAM = "video.ego_view"
# name -> (level, backend, num_envs, seeds)
# One level of every scene axis g1_lift offers, built in turn in one process (MJWarp).
LEVELS = ["nominal", "placement=wide", "object=large", "object_color=red", "table_color=dark", "lighting=ambient_only",
          "camera=turn", "distractors=three", "init_joints=large"]
BUILDS = {
    "dark_workers2": ("table_color=dark", "isaaclab_workers", 2, [SEED, SEED]),  # two worker processes
    "levels_inproc2": (";".join(LEVELS), "isaaclab", 2, [OTHER, SEED]),  # MJWarp, 2 envs in one process
    "levels_inproc1": (";".join(LEVELS), "isaaclab", 1, [SEED]),  # another process, 1 env
    "levels_inproc1b": (";".join(LEVELS), "isaaclab", 1, [SEED]),  # and a third
}


def _load(path: Path) -> dict:
    data = np.load(path)
    return {**{k: data[k] for k in data.files if k != "init"}, "init": json.loads(str(data["init"]))}


def _build(tmp: Path, name: str) -> dict | list[dict]:
    level, backend, n, seeds = BUILDS[name]
    out = tmp / f"{name}.npz"
    proc = subprocess.run([sys.executable, "tests/support/helpers_vary.py", "g1", "g1_lift", level, backend, str(n),
                           ",".join(map(str, seeds)), str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    if ";" in level:
        return [_load(tmp / f"{name}.{i}.npz") for i in range(len(level.split(";")))]
    return _load(out)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("vary")
    with ThreadPoolExecutor(2) as pool:  # two simulator processes at a time on 2 cores
        # the long in-process runs first, so the short worker builds fill in beside them
        order = sorted(BUILDS, key=lambda n: ";" not in BUILDS[n][0])
        return dict(zip(order, pool.map(lambda n: _build(tmp, n), order)))


def _states(w: dict, slot: int) -> dict[str, np.ndarray]:
    return {k: v[slot] for k, v in w.items() if k.startswith("state.")}


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_same_seed_and_level_give_identical_state_and_frame_across_processes_and_num_envs(worlds):
    w2, inproc = worlds["dark_workers2"], worlds["levels_inproc2"][LEVELS.index("table_color=dark")]
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
    nominal, dark = worlds["levels_inproc1"][0], worlds["levels_inproc1"][LEVELS.index("table_color=dark")]
    assert dark["init"][0] == nominal["init"][0]
    _same(_states(dark, 0), _states(nominal, 0))
    diff = np.abs(dark[CAM][0].astype(int) - nominal[CAM][0].astype(int))
    assert diff.max(axis=-1).__gt__(40).mean() > 0.1  # the table covers much of the view
    assert nominal[CAM][0].mean() > dark[CAM][0].mean() + 10


def test_a_physical_level_changes_the_start_state_by_its_draws(worlds):
    dark, joints = worlds["levels_inproc1"][0], worlds["levels_inproc1"][LEVELS.index("init_joints=large")]
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


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_gives_the_same_world_in_another_process_with_other_num_envs(worlds, level):
    i = LEVELS.index(level)
    one, again = worlds["levels_inproc1"][i], worlds["levels_inproc1b"][i]  # two processes, 1 env each
    assert one["init"] == again["init"]
    _same(_states(one, 0), _states(again, 0))
    np.testing.assert_array_equal(one[CAM][0], again[CAM][0])
    two = worlds["levels_inproc2"][i]  # slot 1 of 2 envs in a third process
    assert two["init"][1] == one["init"][0]
    assert two["init"][0] != two["init"][1]  # slot 0 ran another seed
    # In one MJWarp process the envs sit at their own origins and positions are read relative
    # to them, so slot 1's float32 positions may differ from a 1-env world's by an ulp and a
    # few pixels by a grey level or two. (The worker backend, one world per slot, is exact:
    # the first test here and tests/integration/test_isaaclab_workers.py.)
    a, b = _states(two, 1), _states(one, 0)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=1e-6, err_msg=k)
    diff = np.abs(two[CAM][1].astype(int) - one[CAM][0].astype(int))
    assert diff.max() <= 8 and (diff.max(axis=-1) > 0).mean() < 0.005, (diff.max(), (diff.max(axis=-1) > 0).mean())


@pytest.mark.parametrize("level", LEVELS[1:])
def test_every_scene_axis_level_changes_the_frame_or_the_state(worlds, level):
    from arena_eval.cards import load_suite
    from arena_eval.cards import variation as V

    kind = V.task_axes(load_suite("g1").task("g1_lift"))[level.split("=")[0]].kind
    nominal, varied = worlds["levels_inproc1"][0], worlds["levels_inproc1"][LEVELS.index(level)]
    a, b = _states(nominal, 0), _states(varied, 0)
    state_changed = nominal["init"][0] != varied["init"][0] or any(not np.array_equal(a[k], b[k]) for k in a)
    frame_diff = np.abs(nominal[CAM][0].astype(int) - varied[CAM][0].astype(int)).mean()
    if kind == "visual":  # only what the camera sees
        assert not state_changed and frame_diff > 0.5, (level, frame_diff)
    else:
        assert kind == "physical"
        assert state_changed or frame_diff > 0.5, (level, frame_diff)
        if level.split("=")[0] in ("placement", "init_joints", "object"):  # drawn start states, or a resized box
            assert state_changed, level
