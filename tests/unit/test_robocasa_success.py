"""Every kitchen task's success condition (and failure terms) on constructed states, just below
and just above each of its thresholds: the env cfg's own success term (its function and
parameters, as the simulator runs it) evaluated on a stand-in for the env that holds only the
joint angles, poses and velocities the term reads. No simulation (Isaac Lab is imported for
the cfg classes only)."""

from __future__ import annotations

import importlib
import math
import types

import numpy as np
import pytest
import torch

from arena_eval.envs.tasks.robocasa import NEW_TASKS
from arena_eval.envs.tasks.robocasa import fixtures as F
from arena_eval.envs.tasks.robocasa import layout as L
from arena_eval.envs.tasks.robocasa.robot import GRIP_SITE_Z

EPS = 1e-3
FAR_POINT = np.array([0.25, 0.0, 1.45])  # the ready pose's grip site: far from everything


@pytest.fixture(scope="module")
def cfgs():
    from arena_eval.envs.isaaclab import import_isaaclab

    import_isaaclab()
    out = {}
    for name, mod in NEW_TASKS.items():
        out[name] = getattr(importlib.import_module(f"arena_eval.envs.tasks.robocasa.{mod}"), f"{name}EnvCfg")()
    ec = importlib.import_module("arena_eval.envs.tasks.robocasa.env_cfg")
    for name in ("OpenDrawer", "CloseSingleDoor", "CoffeePressButton", "PnPCounterToCab"):
        out[name] = getattr(ec, f"{name}EnvCfg")()
    return out


class _A:
    """One scene asset: its root pose and velocity, joints and bodies (what the terms read)."""

    def __init__(self, pos=(0.0, 0.0, 0.0), joints: dict | None = None, vel=(0.0, 0.0, 0.0), bodies: dict | None = None):
        t = lambda v: types.SimpleNamespace(torch=torch.tensor([v], dtype=torch.float32))  # noqa: E731
        self.joint_names = list(joints or {})
        self.body_names = list(bodies or {})
        b = bodies or {"_": ((0, 0, 0), (0, 0, 0, 1))}
        self.data = types.SimpleNamespace(
            root_pos_w=t(list(pos)), root_lin_vel_w=t(list(vel)), joint_pos=t(list((joints or {"_": 0.0}).values())),
            body_pos_w=t([list(p) for p, _ in b.values()]), body_quat_w=t([list(q) for _, q in b.values()]))


class _Scene(dict):
    env_origins = torch.zeros(1, 3)


def env(fixture: str = "fixture", fx_pos=None, joints=None, grip=FAR_POINT, step: int = 5, **objects):
    """A one-env stand-in: the fixture (asset `fixture`) at fx_pos with these joints, the robot's
    grip site at `grip` (gripper pointing down), and objects name -> (pos, vel)."""
    s = _Scene()
    s[fixture] = _A(fx_pos if fx_pos is not None else (0.6, 0.0, L.COUNTER_H), joints)
    g = np.asarray(grip, float)
    s["robot"] = _A(bodies={"right_gripper": (tuple(g - [0, 0, GRIP_SITE_Z]), (0.0, 0.0, 0.0, 1.0))})
    for name, (pos, vel) in objects.items():
        s[name] = _A(pos, vel=vel)
    return types.SimpleNamespace(scene=s, num_envs=1, device="cpu", episode_length_buf=torch.tensor([step]))


def term(cfgs, task: str, name: str = "success"):
    t = getattr(cfgs[task].terminations, name)
    return lambda e: bool(t.func(e, **t.params)[0])


def fx(task_cfg) -> tuple[str, list[str]]:
    """The task's fixture asset and its joints in order."""
    obs = task_cfg.observations.policy.fixture_joints.params["asset_cfg"]
    return obs.name, list(obs.joint_names)


def joints_env(cfgs, task: str, **values):
    asset, names = fx(cfgs[task])
    return env(asset, joints={n: values.get(n, 0.0) for n in names})


# ---------------------------------------------------------------- doors and drawers
@pytest.mark.parametrize("task,joints,open_", [
    ("OpenSingleDoor", ["door_joint"], True),
    ("OpenDoubleDoor", ["left_door_joint", "right_door_joint"], True),
    ("CloseDoubleDoor", ["left_door_joint", "right_door_joint"], False),
])
def test_door_tasks(cfgs, task, joints, open_):
    ok = term(cfgs, task)
    th = (0.90 if open_ else 0.05) * math.pi / 2  # RoboCasa: normalised by pi/2, open >= 0.90, shut <= 0.05
    good, bad = (th + EPS, th - EPS) if open_ else (th - EPS, th + EPS)
    assert ok(joints_env(cfgs, task, **{j: good for j in joints}))
    for j in joints:  # every door must pass
        assert not ok(joints_env(cfgs, task, **{k: (bad if k == j else good) for k in joints}))


def test_drawer_tasks(cfgs):
    norm = 0.55 * L.CAB_DEPTH  # RoboCasa's Drawer normalises by 0.55 x its depth
    close = term(cfgs, "CloseDrawer")
    assert close(joints_env(cfgs, "CloseDrawer", drawer_joint=0.05 * norm - EPS))
    assert not close(joints_env(cfgs, "CloseDrawer", drawer_joint=0.05 * norm + EPS))
    opened = term(cfgs, "OpenDrawer")  # the original task: 15 cm (RoboCasa: 0.95 x 0.55 x depth)
    assert opened(joints_env(cfgs, "OpenDrawer", drawer_joint=L.DRAWER_OPEN + EPS))
    assert not opened(joints_env(cfgs, "OpenDrawer", drawer_joint=L.DRAWER_OPEN - EPS))
    shut = term(cfgs, "CloseSingleDoor")  # the original task: 0.05 rad
    assert shut(joints_env(cfgs, "CloseSingleDoor", door_joint=L.DOOR_CLOSED - EPS))
    assert not shut(joints_env(cfgs, "CloseSingleDoor", door_joint=L.DOOR_CLOSED + EPS))


# ---------------------------------------------------------------- knobs, lever, spout
@pytest.mark.parametrize("task,loc", [("TurnOnStove", F.STOVE_KNOB["on"]), ("TurnOffStove", F.STOVE_KNOB["off"])])
def test_stove_knobs(cfgs, task, loc):
    ok, other = term(cfgs, task), term(cfgs, task, "other_burner_on")
    j = F.KNOBS[loc].joint
    on = task == "TurnOnStove"
    lo = F.STOVE_ON_MIN  # on when 0.35 <= |q mod 2 pi| <= 2 pi - 0.35
    for q, is_on in ((lo + EPS, True), (lo - EPS, False), (-lo - EPS, True), (-lo + EPS, False),
                     (2 * math.pi - lo - EPS, True), (2 * math.pi - lo + EPS, False)):
        assert ok(joints_env(cfgs, task, **{j: q})) == (is_on if on else not is_on), q
    others = [k.joint for n, k in F.KNOBS.items() if n != loc]
    assert not other(joints_env(cfgs, task, **{j: 1.0}))
    assert other(joints_env(cfgs, task, **{others[0]: lo + EPS}))
    assert not other(joints_env(cfgs, task, **{others[0]: lo - EPS}))


@pytest.mark.parametrize("task", ["TurnOnSinkFaucet", "TurnOffSinkFaucet"])
def test_faucet(cfgs, task):
    ok, on = term(cfgs, task), task == "TurnOnSinkFaucet"
    for q, water in ((0.40 + EPS, True), (0.40 - EPS, False), (math.pi - EPS, True), (math.pi + EPS, False)):
        assert ok(joints_env(cfgs, task, handle_joint=q)) == (water if on else not water), q


def test_spout(cfgs):
    ok, wrong = term(cfgs, "TurnSinkSpout"), term(cfgs, "TurnSinkSpout", "turned_right")
    left_lo, left_hi = F.SPOUT_LEFT  # "left": pi <= q mod 2 pi <= 2 pi - pi/6
    assert ok(joints_env(cfgs, "TurnSinkSpout", spout_joint=left_hi - 2 * math.pi - EPS))  # -pi/6 - eps
    assert not ok(joints_env(cfgs, "TurnSinkSpout", spout_joint=left_hi - 2 * math.pi + EPS))
    assert ok(joints_env(cfgs, "TurnSinkSpout", spout_joint=-math.pi + EPS))
    assert not ok(joints_env(cfgs, "TurnSinkSpout", spout_joint=0.0))
    assert wrong(joints_env(cfgs, "TurnSinkSpout", spout_joint=math.pi / 6 + EPS))
    assert not wrong(joints_env(cfgs, "TurnSinkSpout", spout_joint=math.pi / 6 - EPS))


# ---------------------------------------------------------------- buttons
def _mw(cfgs, task, **j):
    asset, names = fx(cfgs[task])
    return {n: j.get(n, 0.0) for n in names}


@pytest.mark.parametrize("task", ["TurnOnMicrowave", "TurnOffMicrowave"])
def test_microwave_latch(cfgs, task):
    """RoboCasa's Microwave.update_state: start turns it on, stop off, an open door off; success
    needs the state and the grip site more than 0.15 m from the button pressed."""
    on_task = task == "TurnOnMicrowave"
    ok, door_failure = term(cfgs, task), term(cfgs, task, "door_opened")
    button = "start_button_joint" if on_task else "stop_button_joint"
    fxp = np.array([0.6, 0.0, L.COUNTER_H])
    bpos = fxp + [-F.MW_BUTTON_GAP - F.MW_BUTTON_HALF[0], F.MW_PANEL_Y, F.MW_BUTTONS[button]]

    def run(states):
        e = env(fx_pos=fxp, joints=states[0][0], grip=states[0][1], step=1)
        out = []
        for k, (joints, grip) in enumerate(states):
            e.scene["fixture"] = env(fx_pos=fxp, joints=joints).scene["fixture"]
            e.scene["robot"] = env(grip=grip).scene["robot"]
            e.episode_length_buf = torch.tensor([k + 1])
            out.append(ok(e))
        return out

    pressed, half = _mw(cfgs, task, **{button: F.MW_PRESSED + EPS}), _mw(cfgs, task, **{button: F.MW_PRESSED - EPS})
    rest = _mw(cfgs, task)
    near, far_ = bpos + [-0.15 + EPS, 0, 0], bpos + [-0.15 - EPS, 0, 0]
    assert run([(rest, FAR_POINT)]) == [False]  # at the start: off (turn on) / on (turn off)
    assert run([(pressed, bpos), (rest, near), (rest, far_)]) == [False, False, True]
    assert run([(half, bpos), (rest, far_)]) == [False, False]  # not pushed in far enough
    opened = _mw(cfgs, task, mw_door_joint=0.9 * math.pi / 2 + EPS)
    assert door_failure(env(joints=opened))
    assert not door_failure(env(joints=_mw(cfgs, task, mw_door_joint=0.9 * math.pi / 2 - EPS)))
    if on_task:  # pressed with the door open it stays off (RoboCasa: an open door turns it off)
        assert run([({**opened, button: F.MW_PRESSED + EPS}, bpos), (opened, far_)]) == [False, False]


def test_coffee_press_button(cfgs):
    ok = term(cfgs, "CoffeePressButton")  # the original task: pushed in 8 mm (RoboCasa: a contact, then far)
    assert ok(joints_env(cfgs, "CoffeePressButton", button_joint=L.BUTTON_PRESSED + EPS))
    assert not ok(joints_env(cfgs, "CoffeePressButton", button_joint=L.BUTTON_PRESSED - EPS))


# ---------------------------------------------------------------- objects
def _params(cfgs, task):
    return cfgs[task].terminations.success.params


def _far_cases(ok, make, obj):
    """The grip site just over / just under 0.25 m from the object (RoboCasa's gripper_obj_far)."""
    up = np.array([0.0, 0.0, 1.0])
    assert ok(make(grip=obj + (0.25 + EPS) * up))
    assert not ok(make(grip=obj + (0.25 - EPS) * up))


def _still_cases(ok, make):
    assert ok(make(vel=(0.05 - EPS, 0, 0)))
    assert not ok(make(vel=(0.05 + EPS, 0, 0)))


def _z_cases(ok, make, rest_z, heights):
    lo, hi = heights
    assert ok(make(dz=lo - 0.005 + EPS - rest_z)) and ok(make(dz=hi + 0.005 - EPS - rest_z))
    assert not ok(make(dz=lo - 0.005 - EPS - rest_z)) and not ok(make(dz=hi + 0.005 + EPS - rest_z))


def _recep_task(cfgs, task, recep: str, recep_pos, th_expected: float):
    p = _params(cfgs, task)
    assert p["receptacle"] == recep and p["far"] == F.GRIPPER_OBJ_FAR and p["th"] == pytest.approx(th_expected)
    rp = np.asarray(recep_pos, float)
    top = rp[2] + p["rec_half_h"]
    rest = p["heights"][1]
    ok = term(cfgs, task)

    def make(dx=0.0, dz=0.0, grip=None, vel=(0, 0, 0), rdz=0.0):
        o = np.array([rp[0] + dx, rp[1], top + rest + dz])
        objs = {"object": (o, vel), recep: (rp + [0, 0, rdz], (0, 0, 0))}
        for other in ("plate", "pan"):
            if other != recep and other in cfgs[task].scene.__dict__:
                objs[other] = ((0.3, -0.6, L.COUNTER_H + 0.01), (0, 0, 0))
        return env(grip=FAR_POINT if grip is None else grip, **objs)

    assert ok(make())
    assert ok(make(dx=p["th"] - EPS)) and not ok(make(dx=p["th"] + EPS))
    _z_cases(ok, make, rest, p["heights"])
    _still_cases(ok, make)
    _far_cases(ok, make, np.array([rp[0], rp[1], top + rest]))
    assert ok(make(rdz=0.01 - EPS)) and not ok(make(rdz=0.01 + EPS))  # the receptacle rests where it belongs


PLATE_TOP = L.COUNTER_H + F.PLATE[1]


def test_pnp_on_plate(cfgs):
    plate = (0.5, 0.4, PLATE_TOP - F.PLATE[1] / 2)
    for task in ("PnPSinkToCounter", "PnPMicrowaveToCounter"):
        _recep_task(cfgs, task, "plate", plate, 0.7 * F.PLATE[0])  # RoboCasa's default 0.7 x radius
    _recep_task(cfgs, "PnPStoveToCounter", "plate", plate, 0.07)  # RoboCasa passes th=0.07
    pan_top = L.COUNTER_H + F.STOVE_H + 0.002 + F.PAN[1]
    _recep_task(cfgs, "PnPCounterToStove", "pan", (0.55, 0.15, pan_top - F.PAN[1] / 2), 0.07)


def _fixture_box_task(cfgs, task, fx_pos, lo, hi, rest_z, heights=None):
    """An object whose centre must lie inside a fixture-frame box (lo, hi), at rest, gripper far."""
    ok = term(cfgs, task)
    fxp = np.asarray(fx_pos, float)
    mid = (np.asarray(lo) + np.asarray(hi)) / 2
    base = fxp + [mid[0], mid[1], rest_z]

    def make(d=(0, 0, 0), grip=None, vel=(0, 0, 0), dz=0.0):
        objs = {"object": (base + np.asarray(d, float) + [0, 0, dz], vel)}
        for other in ("plate", "pan"):
            if other in cfgs[task].scene.__dict__:
                objs[other] = ((0.3, -0.6, L.COUNTER_H + 0.01), (0, 0, 0))
        e = env(fx_pos=fxp, grip=FAR_POINT if grip is None else grip, **objs)
        return e

    assert ok(make())
    for axis in range(2):
        for side, bound in ((+1, hi[axis]), (-1, lo[axis])):
            d = np.zeros(3)
            d[axis] = bound - mid[axis] - side * EPS
            assert ok(make(d=d)), (axis, side)
            d[axis] = bound - mid[axis] + side * EPS
            assert not ok(make(d=d)), (axis, side)
    _still_cases(ok, make)
    _far_cases(ok, make, base)
    return ok, make


def test_pnp_into_sink(cfgs):
    p = _params(cfgs, "PnPCounterToSink")  # RoboCasa: obj_inside_of(sink, partial_check=True): the centre inside
    lo, hi = p["lo"], p["hi"]
    ok, make = _fixture_box_task(cfgs, "PnPCounterToSink", (0.3, 0.0, L.COUNTER_H), lo, hi, (lo[2] + hi[2]) / 2)
    top = (hi[2] - lo[2]) / 2
    assert ok(make(dz=top - EPS)) and not ok(make(dz=top + EPS))


def test_pnp_into_microwave(cfgs):
    """On the turntable (RoboCasa: touching the plate in the microwave): the centre within its
    radius, resting on it, still; gripper far."""
    p = _params(cfgs, "PnPCounterToMicrowave")
    ok, fxp = term(cfgs, "PnPCounterToMicrowave"), np.array([0.58, 0.0, L.COUNTER_H])
    c, r, rest = np.asarray(p["centre_local"]), p["radius"], p["heights"][1]
    base = fxp + [c[0], c[1], p["top_local"] + rest]

    def make(d=(0, 0, 0), grip=None, vel=(0, 0, 0), dz=0.0):
        return env(fx_pos=fxp, grip=FAR_POINT if grip is None else grip,
                   object=(base + np.asarray(d, float) + [0, 0, dz], vel), plate=((0.3, -0.6, 0.91), (0, 0, 0)))

    assert ok(make())
    for d in ((r - EPS, 0, 0), (0, -(r - EPS), 0)):
        assert ok(make(d=d))
    for d in ((r + EPS, 0, 0), (0, -(r + EPS), 0)):
        assert not ok(make(d=d))
    _z_cases(ok, make, rest, p["heights"])
    _still_cases(ok, make)
    _far_cases(ok, make, base)


def test_coffee_setup_mug(cfgs):
    p = _params(cfgs, "CoffeeSetupMug")  # RoboCasa: xy within 0.04 and z within 0.10 of the place site
    assert (p["xy_th"], p["z_th"], p["far"]) == (0.04, 0.10, F.GRIPPER_OBJ_FAR)
    ok, fxp = term(cfgs, "CoffeeSetupMug"), np.array([0.62, 0.0, L.COUNTER_H])
    site = fxp + np.asarray(F.COFFEE_PLACE)

    def make(d=(0, 0, 0), grip=None):
        return env(fx_pos=fxp, grip=FAR_POINT if grip is None else grip, object=(site + np.asarray(d, float), (0, 0, 0)))

    assert ok(make(d=(0.04 - EPS, 0, 0))) and not ok(make(d=(0.04 + EPS, 0, 0)))
    assert ok(make(d=(0, 0, 0.10 - EPS))) and not ok(make(d=(0, 0, 0.10 + EPS)))
    _far_cases(ok, make, site)


@pytest.mark.parametrize("task,fixture,heights", [("PnPCabToCounter", "kitchen", None), ("CoffeeServeMug", "fixture", None)])
def test_object_on_counter(cfgs, task, fixture, heights):
    p = _params(cfgs, task)
    ok, fxp = term(cfgs, task), np.array([0.62, 0.0, L.COUNTER_H])
    (ex0, ex1), (ey0, ey1) = p["exclude_local"]
    rest = p["heights"][1]
    spot = np.array([fxp[0] + ex0 - 0.1, fxp[1] + ey0 - 0.1, L.COUNTER_H + rest])

    def make(d=(0, 0, 0), grip=None, vel=(0, 0, 0), dz=0.0):
        return env(fixture, fx_pos=fxp, grip=FAR_POINT if grip is None else grip,
                   object=(spot + np.asarray(d, float) + [0, 0, dz], vel))

    assert ok(make())
    _z_cases(ok, make, rest, p["heights"])
    _still_cases(ok, make)
    _far_cases(ok, make, spot)
    # over the fixture's footprint (on the coffee station's tray, in the cubby's column) it is not "on the counter"
    inside = np.array([fxp[0] + ex0 + EPS, fxp[1] + (ey0 + ey1) / 2, spot[2]]) - spot
    outside = inside - [2 * EPS, 0, 0]
    assert not ok(make(d=inside)) and ok(make(d=outside))
    (cx0, cx1), _ = p["counter_xy"]  # and off the counter's edge it is not either
    assert not ok(make(d=(cx0 - EPS - spot[0], 0, 0))) and ok(make(d=(cx0 + EPS - spot[0], 0, 0)))


def test_pnp_counter_to_cab(cfgs):
    """The original task: the box's centre in the cubby (fixture frame), still, the palm 12 cm away."""
    p = _params(cfgs, "PnPCounterToCab")
    ok, fxp = term(cfgs, "PnPCounterToCab"), np.array([0.62, 0.0, L.COUNTER_H])
    lo, hi = np.asarray(p["lo"]), np.asarray(p["hi"])
    c = fxp + (lo + hi) / 2

    def make(d=(0, 0, 0), palm=None, vel=(0, 0, 0)):
        palm = np.asarray(palm if palm is not None else FAR_POINT, float)
        return env("kitchen", fx_pos=fxp, grip=palm + [0, 0, GRIP_SITE_Z], object=(c + np.asarray(d, float), vel))

    assert ok(make())
    for axis in range(3):
        d = np.zeros(3)
        d[axis] = hi[axis] - (lo[axis] + hi[axis]) / 2 - EPS
        assert ok(make(d=d))
        d[axis] += 2 * EPS
        assert not ok(make(d=d))
    assert ok(make(vel=(p["max_speed"] - EPS, 0, 0))) and not ok(make(vel=(p["max_speed"] + EPS, 0, 0)))
    assert ok(make(palm=c + [0, 0, p["min_hand_dist"] + EPS])) and not ok(make(palm=c + [0, 0, p["min_hand_dist"] - EPS]))


@pytest.mark.parametrize("task", [t for t, m in NEW_TASKS.items() if m == "env_pnp"] + ["PnPCounterToCab"])
def test_object_dropped(cfgs, task):
    drop = term(cfgs, task, "object_dropped")
    h = cfgs[task].terminations.object_dropped.params["height"]
    fixture = "kitchen" if task in ("PnPCabToCounter", "PnPCounterToCab") else "fixture"
    assert drop(env(fixture, object=((0.5, 0.0, h - EPS), (0, 0, 0))))
    assert not drop(env(fixture, object=((0.5, 0.0, h + EPS), (0, 0, 0))))


# ---------------------------------------------------------------- the experts' plans
_DEFAULTS = {"sink": {"object": F.SINK_CAN, "plate": F.SINK_PLATE}, "microwave": {"object": F.MW_BOX, "plate": F.MW_PLATE},
             "stove": {"object": F.STOVE_BOX, "plate": F.STOVE_PLATE, "pan": F.STOVE_PAN},
             "coffee_station": {"object": F.COFFEE_MUG}, "kitchen": {"object": (*L.OBJECT_XY, L.OBJECT_REST_Z + 0.001)}}


def _first_obs(task, seed: int) -> dict:
    """What the expert observes first, from the task's sampler (the fixture and objects at their
    start, at rest)."""
    from arena_eval import registry

    st = registry.sampler(task.env.start_state)(np.random.default_rng(seed), None)
    asset = "kitchen" if "kitchen" in st else "fixture"
    name = _FIXTURE_OF[task.env.id.removeprefix("ArenaEval-RoboCasa-")]
    base = (L.CAB_X if asset == "kitchen" else F.FIXTURE_X[name], 0.0, L.COUNTER_H)
    o = st[asset]["root_pos_offset"]
    obs = {"state.fixture_pos": np.array([[[base[0] + o["x"], o["y"], base[2]]]])}
    q = np.zeros(len(F.FIXTURE_JOINTS[name]))
    for j, v in st[asset].get("joint_pos", {}).items():
        q[F.FIXTURE_JOINTS[name].index(j)] = v
    obs["state.fixture_joints"] = q[None, None]
    for n, d in _DEFAULTS.get(name, {}).items():
        if n in st:
            oo = st[n]["root_pos_offset"]
            obs[f"state.{n}_pos"] = (np.asarray(d) + [oo["x"], oo["y"], oo.get("z", 0.0)])[None, None]
    return obs


_FIXTURE_OF = {"OpenSingleDoor": "single_cabinet", "OpenDoubleDoor": "double_cabinet", "CloseDoubleDoor": "double_cabinet",
               "CloseDrawer": "kitchen", "TurnOnMicrowave": "microwave", "TurnOffMicrowave": "microwave",
               "TurnOnSinkFaucet": "sink", "TurnOffSinkFaucet": "sink", "TurnSinkSpout": "sink", "TurnOnStove": "stove",
               "TurnOffStove": "stove", "PnPCabToCounter": "kitchen", "PnPCounterToSink": "sink",
               "PnPSinkToCounter": "sink", "PnPCounterToMicrowave": "microwave", "PnPMicrowaveToCounter": "microwave",
               "PnPCounterToStove": "stove", "PnPStoveToCounter": "stove", "CoffeeSetupMug": "coffee_station",
               "CoffeeServeMug": "coffee_station"}


@pytest.mark.parametrize("name", sorted(NEW_TASKS))
def test_expert_plans_within_reach(cfgs, name):
    """Every waypoint of the expert's plan is reached by the IK (residual: position plus a tenth of the
    orientation error, under 3 cm) for the first seeds' start states, no waypoint jumps to another IK branch, and the plan ends near the
    card's step limit."""
    from arena_eval import registry
    from arena_eval.cards import load_suite

    task = next(t for t in load_suite("robocasa").tasks if t.env.id == f"ArenaEval-RoboCasa-{name}")
    assert _FIXTURE_OF[name] in F.FIXTURE_JOINTS
    expert = registry.make_expert(task, 16)
    for seed in range(3):
        plan = expert.make_plan(_first_obs(task, seed), 0)
        assert plan.ik_error < 0.03, (name, seed, plan.ik_error)
        assert plan.max_speed < 4.5, (name, seed, plan.max_speed)  # rad/s: no swing to another IK branch
        assert plan.duration / L.CONTROL_DT < 1.3 * task.max_steps, (name, plan.duration)  # (its end backs off)
