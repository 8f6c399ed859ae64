"""Isaac Lab env configurations of the DexMG-like tasks: one config class per scene.

Kit-less on CPU with Newton MJWarp, with the solver settings under which a two-pad squeeze
holds an object by contact alone (elliptic cone, impratio 10, implicitfast, 100
iterations, multi-contact CCD, no contact gap, friction 1.5; see `common.py` and the
kit-less notes). Robots are those of `robot.py`: the Fourier GR1 with its dexterous hands
(palm pads) and two Panda arms with paddles.
"""

from __future__ import annotations

import math

import isaaclab.sim as sim_utils
from isaaclab.actuators import ImplicitActuatorCfg
from isaaclab.assets import ArticulationCfg, AssetBaseCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.envs import mdp as il_mdp
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sensors import CameraCfg
from isaaclab.sim import SimulationCfg
from isaaclab.utils import configclass
from isaaclab_newton.renderers import NewtonWarpRendererCfg

from .. import milestones as ms
from ..common import NoRewardsCfg, add_parts, asset_root, cuboid_object, physics, static_box, tray_parts
from ..g1 import mdp
from . import layout as L
from .robot import GR1_ARM_JOINTS, GR1_HAND_JOINTS, GR1_USD, GR1_WAIST_JOINTS, PANDA_ARM_JOINTS, PANDA_USD

BROWN = (0.55, 0.3, 0.1)
WOOD = (0.55, 0.45, 0.35)


def _look(yaw: float, pitch: float) -> tuple[float, float, float, float]:
    """xyzw quaternion of a camera (Isaac Lab's "world" convention: looking along +x, z up)
    turned by `yaw` about z, then pitched down by `pitch` (radians)."""
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    # q = q_z(yaw) * q_y(pitch)
    return (-sy * sp, cy * sp, sy * cp, cy * cp)


def _camera(pos, yaw_deg: float, pitch_deg: float, focal: float = 13.0) -> CameraCfg:
    return CameraCfg(
        prim_path="{ENV_REGEX_NS}/Cam",
        offset=CameraCfg.OffsetCfg(pos=pos, rot=_look(math.radians(yaw_deg), math.radians(pitch_deg)), convention="world"),
        data_types=["rgb"],
        spawn=sim_utils.PinholeCameraCfg(focal_length=focal, horizontal_aperture=20.955, clipping_range=(0.05, 10.0)),
        width=224,
        height=224,
        renderer_cfg=NewtonWarpRendererCfg(),
    )


def _tray_parts(center, yaw, inner, floor_z, stand: bool = False) -> dict[str, AssetBaseCfg]:
    return tray_parts(center, yaw, inner, floor_z, L.GR1_BIN_WALL, L.GR1_BIN_FLOOR, (0.08, 0.08) if stand else None)


def _joints(names: list[str]) -> SceneEntityCfg:
    return SceneEntityCfg("robot", joint_names=names, preserve_order=True)


def _joint_action(names: list[str]):
    return il_mdp.JointPositionActionCfg(asset_name="robot", joint_names=names, use_default_offset=False, preserve_order=True)


def _held(center, rest_z, asset: str = "object") -> DoneTerm:
    """Lifted clear of the table (6 cm; the experts lift 10 to 12) and held there for 1 s:
    a grasp that slips fails."""
    return DoneTerm(
        func=mdp.object_held_above,
        params={"height": rest_z + 0.06, "max_height": rest_z + 0.25, "center": center, "radius": 0.15,
                "hold_steps": 50, "asset_cfg": SceneEntityCfg(asset)},
    )


def _dropped(table_h: float) -> DoneTerm:
    return DoneTerm(func=mdp.object_below, params={"height": table_h - 0.05, "asset_cfg": SceneEntityCfg("object")})


def _lost(center) -> DoneTerm:
    return DoneTerm(func=mdp.object_lost, params={"center": center, "radius": 1.0, "asset_cfg": SceneEntityCfg("object")})


def _sim(self_) -> None:
    self_.decimation = 4
    self_.sim = SimulationCfg(dt=L.CONTROL_DT / self_.decimation, render_interval=self_.decimation, device="cpu",
                              physics=physics())


# ------------------------------------------------------------------------------ GR1


def gr1_cfg() -> ArticulationCfg:
    # Per-group gains that track to gravity sag (kit-less notes), arms stiff for the squeeze.
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Robot",
        # The converted USD carries the fixed joint (fix_root_link=True would clash).
        spawn=sim_utils.UsdFileCfg(usd_path=f"{asset_root()}/{GR1_USD}", fix_root_link=None),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, L.GR1_ROOT_Z), joint_pos={".*": 0.0}),
        actuators={
            "legs": ImplicitActuatorCfg(joint_names_expr=[".*_leg_.*"], stiffness=500.0, damping=20.0, armature=0.05),
            # The waist turns both arms and the box in the sorting task.
            "waist": ImplicitActuatorCfg(joint_names_expr=["torso_.*"], stiffness=3000.0, damping=100.0, armature=0.05),
            "head": ImplicitActuatorCfg(joint_names_expr=["head_.*"], stiffness=50.0, damping=2.0, armature=0.01),
            "arms": ImplicitActuatorCfg(joint_names_expr=[".*_shoulder_.*", ".*_elbow_pitch"], stiffness=3000.0,
                                        damping=60.0, armature=0.05),
            "wrists": ImplicitActuatorCfg(joint_names_expr=[".*_wrist_.*"], stiffness=1000.0, damping=20.0, armature=0.05),
            "hands": ImplicitActuatorCfg(joint_names_expr=[".*hand_.*"], stiffness=5.0, damping=0.2, armature=0.01),
        },
    )


@configclass
class GR1TableSceneCfg(InteractiveSceneCfg):
    ground = AssetBaseCfg(prim_path="/World/ground", spawn=sim_utils.GroundPlaneCfg())
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))
    robot: ArticulationCfg = gr1_cfg()
    table = static_box((*L.GR1_TABLE_SIZE, L.GR1_TABLE_H), (*L.GR1_TABLE_XY, L.GR1_TABLE_H / 2), color=WOOD, name="Table")
    object = cuboid_object("Object", L.GR1_BOX, L.GR1_BOX_MASS, (*L.GR1_BOX_XY, L.GR1_BOX_REST_Z + 0.001), BROWN)
    # The head camera (kit-less cameras do not follow links; the base is fixed): above and
    # in front of the face, pitched down at the table and both hands.
    ego_cam = _camera((0.13, 0.0, 1.58), yaw_deg=0.0, pitch_deg=65.0)


@configclass
class GR1SortSceneCfg(GR1TableSceneCfg):
    """The table scene with the box left of centre and the tray to the robot's right."""

    object = cuboid_object("Object", L.GR1_BOX, L.GR1_BOX_MASS, (*L.GR1_SORT_BOX_XY, L.GR1_BOX_REST_Z + 0.001), BROWN)
    ego_cam = _camera((0.13, 0.0, 1.58), yaw_deg=-30.0, pitch_deg=65.0)

    def __post_init__(self):
        add_parts(self, _tray_parts(L.GR1_BIN_XY, L.GR1_BIN_YAW, L.GR1_BIN_INNER, L.GR1_TABLE_H, stand=True))


@configclass
class GR1ActionsCfg:
    left_arm = _joint_action(GR1_ARM_JOINTS["left"])
    right_arm = _joint_action(GR1_ARM_JOINTS["right"])
    left_hand = _joint_action(GR1_HAND_JOINTS["left"])
    right_hand = _joint_action(GR1_HAND_JOINTS["right"])
    waist = _joint_action(GR1_WAIST_JOINTS)


@configclass
class GR1ObservationsCfg:
    @configclass
    class PolicyCfg(ObsGroup):
        left_arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(GR1_ARM_JOINTS["left"])})
        right_arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(GR1_ARM_JOINTS["right"])})
        left_hand = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(GR1_HAND_JOINTS["left"])})
        right_hand = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(GR1_HAND_JOINTS["right"])})
        waist = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(GR1_WAIST_JOINTS)})
        object_pos = ObsTerm(func=mdp.object_pos, params={"asset_cfg": SceneEntityCfg("object")})

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = False

    policy: PolicyCfg = PolicyCfg()


@configclass
class GR1LiftTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = _held(L.GR1_BOX_XY, L.GR1_BOX_REST_Z)
    box_dropped = _dropped(L.GR1_TABLE_H)
    box_lost = _lost((*L.GR1_BOX_XY, L.GR1_BOX_REST_Z))


@configclass
class GR1SortTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    # The box rests inside the tray: in its footprint, on its floor, nearly still.
    success = DoneTerm(
        func=mdp.object_in_region,
        params={"center": L.GR1_BIN_XY, "yaw": L.GR1_BIN_YAW,
                "half_extent": (L.GR1_BIN_INNER[0] / 2, L.GR1_BIN_INNER[1] / 2),
                "z_range": (L.GR1_BOX_IN_BIN_Z - 0.02, L.GR1_BOX_IN_BIN_Z + 0.02), "max_speed": 0.05,
                "asset_cfg": SceneEntityCfg("object")},
    )
    box_dropped = _dropped(L.GR1_TABLE_H)
    box_lost = _lost((*L.GR1_SORT_BOX_XY, L.GR1_BOX_REST_Z))


@configclass
class LiftMilestonesCfg:
    """How far a lift got (envs/tasks/milestones.py): the object moved, then lifted 3 cm."""

    moved = ms.milestone(ms.object_moved, asset="object", distance=0.02)
    lifted = ms.milestone(ms.object_lifted, asset="object", height=0.03)


@configclass
class SortMilestonesCfg(LiftMilestonesCfg):
    """... and carried over the tray."""

    over_tray = ms.milestone(ms.object_over, asset="object", center=L.GR1_BIN_XY,
                             half_extent=(L.GR1_BIN_INNER[0] / 2, L.GR1_BIN_INNER[1] / 2), yaw=L.GR1_BIN_YAW)


@configclass
class DexMGGR1LiftEnvCfg(ManagerBasedRLEnvCfg):
    """GR1 with dexterous hands: squeeze the box between both palms, lift it and hold it up."""

    scene: GR1TableSceneCfg = GR1TableSceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)
    observations: GR1ObservationsCfg = GR1ObservationsCfg()
    actions: GR1ActionsCfg = GR1ActionsCfg()
    terminations: GR1LiftTerminationsCfg = GR1LiftTerminationsCfg()
    milestones: LiftMilestonesCfg = LiftMilestonesCfg()
    rewards: NoRewardsCfg = NoRewardsCfg()

    def __post_init__(self):
        _sim(self)
        self.episode_length_s = 7.0


@configclass
class DexMGGR1SortEnvCfg(DexMGGR1LiftEnvCfg):
    """GR1 with dexterous hands: carry the box with both palms into the tray on its right
    (squeeze, lift, turn the waist, lower, release)."""

    scene: GR1SortSceneCfg = GR1SortSceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)
    terminations: GR1SortTerminationsCfg = GR1SortTerminationsCfg()
    milestones: LiftMilestonesCfg = SortMilestonesCfg()

    def __post_init__(self):
        super().__post_init__()
        self.episode_length_s = 9.0


# ------------------------------------------------------------------------------ two Pandas


def dual_panda_cfg() -> ArticulationCfg:
    ready = {f"{side}_joint{i + 1}": q for side in ("left", "right") for i, q in enumerate(L.PANDA_READY)}
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Robot",
        spawn=sim_utils.UsdFileCfg(usd_path=f"{asset_root()}/{PANDA_USD}", fix_root_link=None),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, L.PANDA_BASE_Z), joint_pos=ready),
        actuators={
            "shoulders": ImplicitActuatorCfg(joint_names_expr=[".*_joint[1-4]"], stiffness=2000.0, damping=80.0, armature=0.1),
            "wrists": ImplicitActuatorCfg(joint_names_expr=[".*_joint[5-7]"], stiffness=1000.0, damping=40.0, armature=0.05),
        },
    )


@configclass
class PandaTraySceneCfg(InteractiveSceneCfg):
    ground = AssetBaseCfg(prim_path="/World/ground", spawn=sim_utils.GroundPlaneCfg())
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))
    robot: ArticulationCfg = dual_panda_cfg()
    table = static_box((*L.PANDA_TABLE_SIZE, L.PANDA_TABLE_H), (*L.PANDA_TABLE_XY, L.PANDA_TABLE_H / 2), color=WOOD,
                       name="Table")
    object = cuboid_object("Object", L.TRAY, L.TRAY_MASS, (*L.TRAY_XY, L.TRAY_REST_Z + 0.001), (0.8, 0.15, 0.1))
    # A front view facing the two arms across the table (robosuite's agentview).
    agent_cam = _camera((1.35, 0.0, 1.45), yaw_deg=180.0, pitch_deg=32.0, focal=15.0)


@configclass
class PandaActionsCfg:
    left_arm = _joint_action(PANDA_ARM_JOINTS["left"])
    right_arm = _joint_action(PANDA_ARM_JOINTS["right"])


@configclass
class PandaObservationsCfg:
    @configclass
    class PolicyCfg(ObsGroup):
        left_arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(PANDA_ARM_JOINTS["left"])})
        right_arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(PANDA_ARM_JOINTS["right"])})
        object_pos = ObsTerm(func=mdp.object_pos, params={"asset_cfg": SceneEntityCfg("object")})

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = False

    policy: PolicyCfg = PolicyCfg()


@configclass
class PandaTrayTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = _held(L.TRAY_XY, L.TRAY_REST_Z)
    tray_dropped = _dropped(L.PANDA_TABLE_H)
    tray_lost = _lost((*L.TRAY_XY, L.TRAY_REST_Z))


@configclass
class DexMGPandaLiftTrayEnvCfg(ManagerBasedRLEnvCfg):
    """Two Panda arms lift a tray together by squeezing its ends (robosuite's TwoArmLiftTray)."""

    scene: PandaTraySceneCfg = PandaTraySceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)
    observations: PandaObservationsCfg = PandaObservationsCfg()
    actions: PandaActionsCfg = PandaActionsCfg()
    terminations: PandaTrayTerminationsCfg = PandaTrayTerminationsCfg()
    milestones: LiftMilestonesCfg = LiftMilestonesCfg()
    rewards: NoRewardsCfg = NoRewardsCfg()

    def __post_init__(self):
        _sim(self)
        self.episode_length_s = 7.0
