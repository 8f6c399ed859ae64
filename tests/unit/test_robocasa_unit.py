"""Cheap checks of the robocasa suite outside Isaac Lab: card, samplers, experts, fixture MJCF."""

from __future__ import annotations

import numpy as np

from arena_eval import registry
from arena_eval.cards import load_suite
from arena_eval.envs.tasks.robocasa import kitchen
from arena_eval.envs.tasks.robocasa import layout as L


def test_card_names_registered_samplers_and_experts():
    suite = load_suite("robocasa")
    assert [t.name for t in suite.tasks] == ["open_drawer", "close_single_door", "coffee_press_button", "pnp_counter_to_cab",
                                             "open_drawer_wide", "coffee_press_button_wide"]
    for t in suite.tasks:
        assert t.env.start_state in registry.samplers()
        assert t.expert in registry.expert_names()
        assert t.action_dim == 8
        assert "video.ego_view" in t.observations


def test_start_states_depend_on_the_seed_only():
    for name in ("robocasa_kitchen", "robocasa_door_open", "robocasa_counter_object", "robocasa_kitchen_wide"):
        fn = registry.sampler(name)
        a, b = fn(np.random.default_rng(7), None), fn(np.random.default_rng(7), None)
        assert a == b
        assert a != fn(np.random.default_rng(8), None)
        jitter = L.FIXTURE_JITTER_WIDE if name.endswith("_wide") else L.FIXTURE_JITTER
        off = a["kitchen"]["root_pos_offset"]
        assert abs(off["x"]) <= jitter and abs(off["y"]) <= jitter
    wide = [registry.sampler("robocasa_kitchen_wide")(np.random.default_rng(s), None)["kitchen"]["root_pos_offset"]
            for s in range(200)]
    assert max(abs(o["x"]) for o in wide) > 0.07 and max(abs(o["y"]) for o in wide) > 0.07
    door = registry.sampler("robocasa_door_open")(np.random.default_rng(3), None)
    assert L.DOOR_OPEN[0] <= door["kitchen"]["joint_pos"]["door_joint"] <= L.DOOR_OPEN[1]


def test_fixture_mjcf_has_the_three_joints():
    import mujoco

    m = mujoco.MjModel.from_xml_string(kitchen.kitchen_xml())
    assert [m.joint(i).name for i in range(m.njnt)] == ["drawer_joint", "door_joint", "button_joint"]
    assert m.jnt_type[0] == mujoco.mjtJoint.mjJNT_SLIDE and m.jnt_type[1] == mujoco.mjtJoint.mjJNT_HINGE
    assert m.jnt_range[0][1] == L.DRAWER_RANGE
    # The handle's gap is wide enough for the closed fingers (2.2 cm) with room to spare.
    assert L.HANDLE_GAP[1] - L.HANDLE_GAP[0] > 0.035


def test_official_card_says_which_asset_is_missing(tmp_path):
    """Isaac-Open-Drawer-Franka runs kit-less but loads NVIDIA's USDs: without them, one line
    naming the missing file, exit 2, no run dir."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "o"
    proc = subprocess.run(
        [sys.executable, "scripts/evaluate.py", "--no-progress", "--suite", "robocasa_official", "--policy", "random",
         "--out", str(out)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "Isaac-Open-Drawer-Franka" in last and "franka_panda.usda" in last
    assert not out.exists()
