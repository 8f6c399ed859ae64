"""Isaac Lab env cfgs of the kitchen tasks added for RoboCasa's 24 (the four original ones stay in
`env_cfg.py`, unchanged). Each task is a ManagerBasedRLEnvCfg built by `task_cfg` from a scene
(`scenes.py`, or the original kitchen's), its observations, its success term, its failure terms
and its milestones (`success.py`); robot, actions, physics and camera are the original kitchen's.

A task's success rule follows RoboCasa's `_check_success` (docs/robocasa.md gives each rule, its
RoboCasa source and the differences); failure terms end an episode early where RoboCasa's task
can no longer be done as instructed (the object off the counter, another burner lit, the spout
turned the other way, the microwave's door opened).
"""

from __future__ import annotations

import math

from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.envs import mdp as il_mdp
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.sim import SimulationCfg
from isaaclab.utils import configclass

from .. import milestones as ms
from ..common import NoRewardsCfg, physics
from . import fixtures as F
from . import layout as L
from . import mdp
from . import scenes as S
from . import success as su
from .env_cfg import ActionsCfg, KitchenSceneCfg
from .robot import ARM_JOINTS, FINGER_JOINTS

FIXTURE_JOINTS = F.FIXTURE_JOINTS
FAR, STILL = F.GRIPPER_OBJ_FAR, 0.05
DOOR_OPEN_Q = F.DOOR_OPEN_FRAC * F.DOOR_NORM
DRAWER_NORM = 0.55 * L.CAB_DEPTH  # RoboCasa's Drawer: normalised by 0.55 x its depth
# Resting centre heights of each object (lowest: lying on its side; highest: upright).
BOX_H = (min(F.BOX) / 2, max(F.BOX) / 2)
CAN_H = (F.CAN[0], F.CAN[1] / 2)
MUG_H = (F.MUG[0], F.MUG[1] / 2)
KBOX_H = (min(L.OBJECT) / 2, max(L.OBJECT) / 2)  # the original kitchen's green box


def _group(name: str, **terms):
    """A configclass instance holding these terms (a termination or milestone group)."""
    return configclass(type(name, (), {"__module__": __name__, **terms}))()


def _joints(asset: str, names: list[str]) -> SceneEntityCfg:
    return SceneEntityCfg(asset, joint_names=names, preserve_order=True)


def observations(fixture: str, objects: tuple[str, ...] = ()) -> object:
    """The original kitchen's observations (arm, gripper, the fixture's pose and joints) for this
    fixture, with the positions of these objects (privileged: for the scripted expert)."""
    asset = "kitchen" if fixture == "kitchen" else "fixture"
    terms = {
        "arm": ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints("robot", ARM_JOINTS)}),
        "gripper": ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints("robot", FINGER_JOINTS)}),
        "fixture_pos": ObsTerm(func=mdp.root_pos, params={"asset_cfg": SceneEntityCfg(asset)}),
        "fixture_joints": ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(asset, FIXTURE_JOINTS[fixture])}),
    }
    for o in objects:
        terms[f"{o}_pos"] = ObsTerm(func=mdp.root_pos, params={"asset_cfg": SceneEntityCfg(o)})

    def post(self):
        self.enable_corruption = False
        self.concatenate_terms = False

    policy = configclass(type("PolicyCfg", (ObsGroup,), {"__module__": __name__, "__post_init__": post, **terms}))
    return _group("ObservationsCfg", policy=policy())


def task_cfg(name: str, scene: type, obs, success: DoneTerm, failures: dict | None = None,
             milestones: dict | None = None, doc: str = "") -> type:
    """A ManagerBasedRLEnvCfg class for one task (module attribute `name`, named by the registry)."""
    terms = _group(f"{name}Terminations", time_out=DoneTerm(func=il_mdp.time_out, time_out=True), success=success,
                   **(failures or {}))

    def post(self):
        self.decimation = 4
        self.episode_length_s = 8.0  # the adapter sets it from the card's max_steps
        self.sim = SimulationCfg(dt=L.CONTROL_DT / self.decimation, render_interval=self.decimation, device="cpu",
                                 physics=physics(njmax=600, nconmax=120))

    fields = {
        "scene": scene(num_envs=1, env_spacing=3.0, replicate_physics=True),
        "observations": obs,
        "actions": ActionsCfg(),
        "terminations": terms,
        "milestones": _group(f"{name}Milestones", **(milestones or {})),
        "rewards": NoRewardsCfg(),
        "__post_init__": post,
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": doc,
    }
    return configclass(type(name, (ManagerBasedRLEnvCfg,), fields))


def done(func, **params) -> DoneTerm:
    return DoneTerm(func=func, params=params)


def _ms(func, **params):
    return ms.milestone(func, **params)


def _bar_point(d: F.Door, theta: float = 0.0) -> tuple[float, float, float]:
    x, y = d.hinge.point(theta, d.bar_r, d.bar_n)
    return (float(x), float(y), d.bar_z)


# ---------------------------------------------------------------- doors and drawers
def _doors(name: str, scene: type, fixture: str, doors: tuple[F.Door, ...], open_: bool, doc: str) -> type:
    joints = [d.hinge.joint for d in doors]
    frac = F.DOOR_OPEN_FRAC if open_ else F.DOOR_CLOSED_FRAC
    success = done(su.hinges_fraction, joints=joints, frac=frac, norm=F.DOOR_NORM, above=open_)
    if open_:
        mss = {"reached": _ms(su.gripper_near, point_local=_bar_point(doors[0]), radius=0.05),
               "moved": _ms(su.joints_past, joints=joints, value=0.1),
               "one_open": _ms(su.joints_past, joints=joints, value=DOOR_OPEN_Q)}
    else:
        mss = {"moved": _ms(su.joints_past, joints=joints, value=1.25, above=False),
               "half_closed": _ms(su.joints_past, joints=joints, value=0.7, above=False),
               "one_closed": _ms(su.joints_past, joints=joints, value=F.DOOR_CLOSED_FRAC * F.DOOR_NORM, above=False)}
    return task_cfg(name, scene, observations(fixture), success, milestones=mss, doc=doc)


OpenSingleDoorEnvCfg = _doors("OpenSingleDoorEnvCfg", S.SingleCabinetSceneCfg, "single_cabinet", (F.SINGLE_DOOR,), True,
                              "OpenSingleDoor: hook the door's bar from above and pull the door open.")
OpenDoubleDoorEnvCfg = _doors("OpenDoubleDoorEnvCfg", S.DoubleCabinetSceneCfg, "double_cabinet", F.DOUBLE_DOORS, True,
                              "OpenDoubleDoor: pull both doors of the cabinet open, one after the other.")
CloseDoubleDoorEnvCfg = _doors("CloseDoubleDoorEnvCfg", S.DoubleCabinetSceneCfg, "double_cabinet", F.DOUBLE_DOORS,
                               False, "CloseDoubleDoor: push both open doors shut, one after the other.")
CloseDrawerEnvCfg = task_cfg(
    "CloseDrawerEnvCfg", KitchenSceneCfg, observations("kitchen"),
    done(mdp.joint_below, joint="drawer_joint", threshold=F.DRAWER_CLOSED_FRAC * DRAWER_NORM),
    milestones={"moved": _ms(ms.joint_past, asset="kitchen", joint="drawer_joint", value=0.15, above=False),
                "half_closed": _ms(ms.joint_past, asset="kitchen", joint="drawer_joint", value=DRAWER_NORM / 2, above=False)},
    doc="CloseDrawer: push the open drawer of the original kitchen shut.")

# ---------------------------------------------------------------- microwave buttons
_MW = {"start": "start_button_joint", "stop": "stop_button_joint", "door": "mw_door_joint",
       "depth": F.MW_PRESSED, "door_open": DOOR_OPEN_Q}


def _button_point(joint: str) -> tuple[float, float, float]:
    return (-F.MW_BUTTON_GAP - F.MW_BUTTON_HALF[0], F.MW_PANEL_Y, F.MW_BUTTONS[joint])


def _microwave(name: str, on: bool, doc: str) -> type:
    button = _MW["start"] if on else _MW["stop"]
    success = done(su.microwave_switched, want_on=on, button_local=_button_point(button), far=F.GRIPPER_BUTTON_FAR,
                   initially_on=not on, **_MW)
    return task_cfg(name, S.MicrowaveSceneCfg, observations("microwave"), success,
                    failures={"door_opened": done(su.microwave_door_opened, door=_MW["door"], door_open=DOOR_OPEN_Q)},
                    milestones={"reached": _ms(su.gripper_near, point_local=_button_point(button), radius=0.05),
                                "pressed": _ms(su.button_pressed, joint_name=button, depth=F.MW_PRESSED)}, doc=doc)


TurnOnMicrowaveEnvCfg = _microwave("TurnOnMicrowaveEnvCfg", True, "TurnOnMicrowave: press the start button, back off.")
TurnOffMicrowaveEnvCfg = _microwave("TurnOffMicrowaveEnvCfg", False, "TurnOffMicrowave: press the stop button, back off.")

# ---------------------------------------------------------------- faucet, spout, knobs
def _tip(h: F.Hinge, r: float, z: float, theta: float = 0.0) -> tuple[float, float, float]:
    x, y = h.point(theta, r)
    return (float(x), float(y), z)


def _faucet(name: str, on: bool, doc: str) -> type:
    lo, hi = F.FAUCET_ON
    success = done(su.angle_between, joint_name="handle_joint", lo=lo, hi=hi, inside=on)
    moved = (_ms(su.joints_past, joints=["handle_joint"], value=0.2) if on
             else _ms(su.joints_past, joints=["handle_joint"], value=0.42, above=False))
    return task_cfg(name, S.SinkSceneCfg, observations("sink"), success,
                    milestones={"reached": _ms(su.gripper_near, point_local=_tip(F.HANDLE, F.HANDLE_LEN, F.HANDLE_Z),
                                               radius=0.05), "moved": moved}, doc=doc)


TurnOnSinkFaucetEnvCfg = _faucet("TurnOnSinkFaucetEnvCfg", True, "TurnOnSinkFaucet: push the faucet's lever over to on.")
TurnOffSinkFaucetEnvCfg = _faucet("TurnOffSinkFaucetEnvCfg", False, "TurnOffSinkFaucet: push the lever back to off.")
TurnSinkSpoutEnvCfg = task_cfg(
    "TurnSinkSpoutEnvCfg", S.SinkSceneCfg, observations("sink"),
    done(su.angle_between, joint_name="spout_joint", lo=F.SPOUT_LEFT[0], hi=F.SPOUT_LEFT[1]),
    failures={"turned_right": done(su.angle_between, joint_name="spout_joint", lo=math.pi / 6, hi=math.pi)},
    milestones={"reached": _ms(su.gripper_near, point_local=_tip(F.SPOUT, F.SPOUT_LEN, F.SPOUT_Z), radius=0.06),
                "moved": _ms(su.joints_past, joints=["spout_joint"], value=-0.2, above=False)},
    doc="TurnSinkSpout: push the spout round to the robot's left.")

STOVE_KNOB = F.STOVE_KNOB


def _stove(name: str, on: bool, doc: str) -> type:
    loc = STOVE_KNOB["on" if on else "off"]
    k = F.KNOBS[loc]
    func = su.knob_on if on else su.knob_off
    others = [h.joint for n, h in F.KNOBS.items() if n != loc]
    moved = (_ms(su.joints_past, joints=[k.joint], value=0.15) if on
             else _ms(su.joints_past, joints=[k.joint], value=0.5, above=False))
    return task_cfg(name, S.StoveSceneCfg, observations("stove"), done(func, joint_name=k.joint, lo=F.STOVE_ON_MIN),
                    failures={"other_burner_on": done(su.other_knob_on, joints=others, lo=F.STOVE_ON_MIN)},
                    milestones={"reached": _ms(su.gripper_near, point_local=_tip(k, F.FIN_LEN, F.STOVE_H + F.KNOB_H),
                                               radius=0.04), "moved": moved}, doc=doc)


TurnOnStoveEnvCfg = _stove("TurnOnStoveEnvCfg", True, "TurnOnStove: push the front left knob's fin round to on.")
TurnOffStoveEnvCfg = _stove("TurnOffStoveEnvCfg", False, "TurnOffStove: push the front right knob's fin back to off.")
