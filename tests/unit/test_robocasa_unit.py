"""Cheap checks of the robocasa suite outside Isaac Lab: card, samplers, experts, fixture MJCF."""

from __future__ import annotations

import numpy as np

from arena_eval import registry
from arena_eval.cards import load_suite
from arena_eval.cards import variation as V
from arena_eval.envs.tasks.robocasa import NEW_TASKS, appliances, kitchen
from arena_eval.envs.tasks.robocasa import fixtures as F
from arena_eval.envs.tasks.robocasa import layout as L

# The 24 RoboCasa tasks of the GR00T N1 evaluation, as RoboCasa names them.
ROBOCASA_24 = ("CoffeeSetupMug CoffeeServeMug CoffeePressButton OpenSingleDoor OpenDoubleDoor CloseSingleDoor "
               "CloseDoubleDoor OpenDrawer CloseDrawer TurnOnMicrowave TurnOffMicrowave PnPCounterToCab PnPCabToCounter "
               "PnPCounterToSink PnPSinkToCounter PnPCounterToMicrowave PnPMicrowaveToCounter PnPCounterToStove "
               "PnPStoveToCounter TurnOnSinkFaucet TurnOffSinkFaucet TurnSinkSpout TurnOnStove TurnOffStove").split()


def snake(name: str) -> str:
    import re

    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name.replace("PnP", "Pnp")).lower()


def test_card_names_registered_samplers_and_experts():
    suite = load_suite("robocasa")
    names = [t.name for t in suite.tasks]
    assert names[:6] == ["open_drawer", "close_single_door", "coffee_press_button", "pnp_counter_to_cab",
                         "open_drawer_wide", "coffee_press_button_wide"]
    assert sorted(set(names) - {"open_drawer_wide", "coffee_press_button_wide"}) == sorted(map(snake, ROBOCASA_24))
    for t in suite.tasks:
        assert t.env.start_state in registry.samplers()
        assert t.expert in registry.expert_names()
        assert t.action_dim == 8
        assert "video.ego_view" in t.observations
        assert t.success.rule == "any_step" and t.success.term == "success"
        axes = V.task_axes(t)  # at least 8 axes, 3 of them visual
        assert len(axes) >= 8 and sum(a.kind == "visual" for a in axes.values()) >= 3, t.name
    for name in NEW_TASKS:  # each new task's env id is registered under RoboCasa's name
        assert f"ArenaEval-RoboCasa-{name}" in registry.load_families()["robocasa"].env_ids
        assert suite.task(snake(name)).env.id == f"ArenaEval-RoboCasa-{name}"


def test_unknown_task_lists_the_suite(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "scripts/evaluate.py", "--suite", "robocasa", "--tasks", "open_fridge",
                           "--policy", "scripted", "--out", str(tmp_path / "o")], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown task 'open_fridge'" in lines[0]
    assert all(snake(n) in lines[0] for n in ROBOCASA_24)


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


def test_new_samplers_seeded_and_in_range():
    from arena_eval.envs.tasks.robocasa.samplers import (
        CLOSE_DRAWER_X,
        DCAB_X,
        DCAB_Y,
        DOOR_OPEN,
        DRAWER_OPEN,
        FAUCET_ON_START,
        FIX_X,
        FIX_Y,
        SAMPLERS,
    )

    for name, fn in SAMPLERS.items():
        a, b = fn(np.random.default_rng(7), None), fn(np.random.default_rng(7), None)
        assert a == b and a != fn(np.random.default_rng(8), None), name
        asset = "kitchen" if "kitchen" in a else "fixture"
        jx = CLOSE_DRAWER_X if name == "robocasa_drawer_open" else DCAB_X if "doors" in name else FIX_X
        jy = DCAB_Y if "doors" in name else FIX_Y
        for s in range(30):
            off = fn(np.random.default_rng(s), None)[asset]["root_pos_offset"]
            assert abs(off["x"]) <= jx and abs(off["y"]) <= jy, name
    for s in range(50):
        rng = lambda: np.random.default_rng(s)  # noqa: E731
        d = SAMPLERS["robocasa_doors_open"](rng(), None)["fixture"]["joint_pos"]
        assert all(DOOR_OPEN[0] <= v <= DOOR_OPEN[1] for v in d.values()) and len(d) == 2
        q = SAMPLERS["robocasa_drawer_open"](rng(), None)["kitchen"]["joint_pos"]["drawer_joint"]
        assert DRAWER_OPEN[0] <= q <= DRAWER_OPEN[1]
        h = SAMPLERS["robocasa_faucet_on"](rng(), None)["fixture"]["joint_pos"]["handle_joint"]
        assert FAUCET_ON_START[0] <= h <= FAUCET_ON_START[1]
        k = SAMPLERS["robocasa_knob_on"](rng(), None)["fixture"]["joint_pos"]
        assert list(k) == [F.KNOBS[F.STOVE_KNOB["off"]].joint] and 0.5 <= k[list(k)[0]] < F.KNOB_RANGE[1]
    # TurnSinkSpout draws the water on or off (RoboCasa's init_sink_mode), both happen
    modes = {bool(SAMPLERS["robocasa_spout"](np.random.default_rng(s), None)["fixture"].get("joint_pos", {}).get("handle_joint"))
             for s in range(20)}
    assert modes == {True, False}


def test_new_fixture_mjcf_joints_and_no_self_contact():
    import mujoco

    want = {"double_cabinet": F.FIXTURE_JOINTS["double_cabinet"], "single_cabinet": F.FIXTURE_JOINTS["single_cabinet"],
            "microwave": ["start_button_joint", "stop_button_joint", "mw_door_joint"], "sink": ["spout_joint", "handle_joint"],
            "stove": F.FIXTURE_JOINTS["stove"], "coffee_station": ["coffee_button_joint"]}
    for name in appliances.FIXTURES:
        m = mujoco.MjModel.from_xml_string(appliances.fixture_xml(name))
        assert [m.joint(i).name for i in range(m.njnt)] == want[name]
        m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_FILTERPARENT  # not even parent and child touch
        d = mujoco.MjData(m)
        mujoco.mj_forward(m, d)
        assert d.ncon == 0, name
    # each door's hinge turns the way its geometry says (fixtures.Hinge): a positive angle
    # brings the free edge towards the robot (-x)
    m = mujoco.MjModel.from_xml_string(appliances.fixture_xml("double_cabinet"))
    d = mujoco.MjData(m)
    for door in F.DOUBLE_DOORS:
        d.qpos[:] = 0
        d.qpos[m.joint(door.hinge.joint).qposadr[0]] = 1.0
        mujoco.mj_forward(m, d)
        bar = d.geom(door.hinge.joint.removesuffix("_joint") + "_bar").xpos
        want_xy = door.hinge.point(1.0, door.bar_r, door.bar_n)
        assert np.allclose(bar[:2], want_xy, atol=1e-6)


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
