"""Isaac Lab env configurations of the G1 tasks: one config class describes each scene.

Kit-less on CPU with Newton MJWarp. The solver settings are the ones under which a two-palm
squeeze holds a box by contact alone (elliptic cone with impratio 10, multi-contact CCD,
no contact gap; see `common.py` and the kit-less notes); the robot is the palm-pad G1 of `robot.py`.
"""

from __future__ import annotations

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
from ..common import (
    NoRewardsCfg,
    RateLimitedJointPositionActionCfg,
    add_parts,
    asset_root,
    cuboid_object,
    physics,
    static_box,
    tray_parts,
)
from . import mdp
from .layout import (
    BIN_B_INNER,
    BIN_B_XY,
    BIN_FLOOR,
    BIN_INNER,
    BIN_STAND,
    BIN_WALL,
    BIN_XY,
    BIN_YAW,
    BOX,
    BOX_IN_BIN_Z,
    BOX_MASS,
    BOX_REST_Z,
    BOX_XY,
    CONTROL_DT,
    PELVIS_Z,
    READY_POSE,
    TABLE_B_XY,
    TABLE_H,
    TABLE_SIZE,
    TABLE_XY,
)
from .robot import ARM_JOINTS, BASE_JOINTS, G1_MOBILE_USD, G1_PAD_USD, WAIST_JOINTS

WOOD = (0.55, 0.45, 0.35)
BROWN = (0.55, 0.3, 0.1)

def _bin_parts(center=BIN_XY, yaw=BIN_YAW, inner=BIN_INNER, stand=False) -> dict[str, AssetBaseCfg]:
    """The blue tray on the table height (and a stand under it, down to the ground, when it
    is not on a table)."""
    return tray_parts(center, yaw, inner, TABLE_H, BIN_WALL, BIN_FLOOR, BIN_STAND if stand else None)


def robot_cfg(mobile: bool = False) -> ArticulationCfg:
    base = {
        # Planar base driven to the integrated navigate command (see mdp.NavigateAction). The
        # slides' gains are scaled by 180/pi: the drive gains reach the solver divided by it
        # (USD stores drive gains per degree), which left the base far too soft.
        "base_xy": ImplicitActuatorCfg(
            joint_names_expr=BASE_JOINTS[:2], stiffness=20000.0 * 57.29578, damping=2000.0 * 57.29578, armature=0.1
        ),
        "base_yaw": ImplicitActuatorCfg(joint_names_expr=BASE_JOINTS[2:], stiffness=20000.0, damping=2000.0, armature=0.1),
    } if mobile else {}
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Robot",
        # The converted USD already carries the fixed joint (fix_root_link=True would clash).
        spawn=sim_utils.UsdFileCfg(
            usd_path=f"{asset_root()}/{G1_MOBILE_USD if mobile else G1_PAD_USD}", fix_root_link=None
        ),
        # The articulation root is placed at init_state.pos, not at its MJCF height.
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, PELVIS_Z), joint_pos=dict(READY_POSE)),
        actuators={
            **base,
            "legs": ImplicitActuatorCfg(
                joint_names_expr=[".*_hip_.*", ".*_knee_joint", ".*_ankle_.*"], stiffness=300.0, damping=10.0, armature=0.01
            ),
            # The waist carries both arms and the box when the torso turns to the bin.
            "waist": ImplicitActuatorCfg(joint_names_expr=["waist_.*"], stiffness=3000.0, damping=100.0, armature=0.01),
            "arms": ImplicitActuatorCfg(
                joint_names_expr=[".*_shoulder_.*", ".*_elbow_joint", ".*_wrist_.*"], stiffness=3000.0, damping=60.0, armature=0.01
            ),
        },
    )


@configclass
class G1TableSceneCfg(InteractiveSceneCfg):
    ground = AssetBaseCfg(prim_path="/World/ground", spawn=sim_utils.GroundPlaneCfg())
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))
    robot: ArticulationCfg = robot_cfg()
    table = static_box((*TABLE_SIZE, TABLE_H), (*TABLE_XY, TABLE_H / 2), color=WOOD, name="Table")
    box = cuboid_object("Box", BOX, BOX_MASS, (BOX_XY[0], BOX_XY[1], TABLE_H + BOX[2] / 2 + 0.001), BROWN)
    # The head camera: fixed in front of the (fixed-base) robot's face, pitched 57 deg down and
    # turned 17 deg right so the table, both hands and the bin on its stand are in view.
    ego_cam = CameraCfg(
        prim_path="{ENV_REGEX_NS}/EgoCam",
        offset=CameraCfg.OffsetCfg(pos=(0.09, -0.04, 1.42), rot=(0.0716, 0.474, -0.1311, 0.8677), convention="world"),
        data_types=["rgb"],
        spawn=sim_utils.PinholeCameraCfg(focal_length=13.0, horizontal_aperture=20.955, clipping_range=(0.05, 10.0)),
        width=224,
        height=224,
        renderer_cfg=NewtonWarpRendererCfg(),
    )


@configclass
class G1PickPlaceSceneCfg(G1TableSceneCfg):
    """The table scene plus the bin on its stand."""

    def __post_init__(self):
        add_parts(self, _bin_parts(stand=True))


def _joints(names: list[str]) -> SceneEntityCfg:
    return SceneEntityCfg("robot", joint_names=names, preserve_order=True)


@configclass
class ActionsCfg:
    # Rate-limited targets (common.MAX_TARGET_STEP): random actions jumping across the joint
    # ranges drove the MJWarp solver to non-finite arm states; the experts are never limited.
    left_arm = RateLimitedJointPositionActionCfg(asset_name="robot", joint_names=ARM_JOINTS["left"], use_default_offset=False, preserve_order=True)
    right_arm = RateLimitedJointPositionActionCfg(asset_name="robot", joint_names=ARM_JOINTS["right"], use_default_offset=False, preserve_order=True)
    waist = RateLimitedJointPositionActionCfg(asset_name="robot", joint_names=WAIST_JOINTS, use_default_offset=False, preserve_order=True)


@configclass
class ObservationsCfg:
    @configclass
    class PolicyCfg(ObsGroup):
        left_arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(ARM_JOINTS["left"])})
        right_arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(ARM_JOINTS["right"])})
        waist = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints(WAIST_JOINTS)})
        object_pos = ObsTerm(func=mdp.object_pos)
        target_pos = ObsTerm(func=mdp.constant, params={"value": (BIN_XY[0], BIN_XY[1], TABLE_H + BIN_FLOOR)})

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = False

    policy: PolicyCfg = PolicyCfg()


def in_bin(center: tuple[float, float], yaw: float, inner: tuple[float, float] = BIN_INNER) -> DoneTerm:
    """Success: the box rests inside the bin (in its footprint, on its floor, nearly still)."""
    return DoneTerm(
        func=mdp.object_in_region,
        params={
            "center": center,
            "yaw": yaw,
            "half_extent": (inner[0] / 2, inner[1] / 2),
            "z_range": (BOX_IN_BIN_Z - 0.02, BOX_IN_BIN_Z + 0.02),
            "max_speed": 0.05,
        },
    )


@configclass
class PickPlaceTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = in_bin(BIN_XY, BIN_YAW)
    box_dropped = DoneTerm(func=mdp.object_below, params={"height": TABLE_H - 0.05})
    box_lost = DoneTerm(func=mdp.object_lost, params={"center": (*BOX_XY, BOX_REST_Z), "radius": 1.0})


@configclass
class LiftTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    # Lifted clear of the table (6 cm; the expert lifts 12) and held there for 1.5 s: a grasp
    # that slips fails.
    success = DoneTerm(
        func=mdp.object_held_above,
        params={"height": BOX_REST_Z + 0.06, "max_height": BOX_REST_Z + 0.25, "center": BOX_XY, "radius": 0.15,
                "hold_steps": 75},
    )
    box_dropped = DoneTerm(func=mdp.object_below, params={"height": TABLE_H - 0.05})
    box_lost = DoneTerm(func=mdp.object_lost, params={"center": (*BOX_XY, BOX_REST_Z), "radius": 1.0})


@configclass
class LiftMilestonesCfg:
    """How far a lift got (envs/tasks/milestones.py): the box moved, then lifted 3 cm."""

    moved = ms.milestone(ms.object_moved, asset="box", distance=0.02)
    lifted = ms.milestone(ms.object_lifted, asset="box", height=0.03)


@configclass
class PickPlaceMilestonesCfg(LiftMilestonesCfg):
    """... and carried over the bin."""

    over_bin = ms.milestone(ms.object_over, asset="box", center=BIN_XY, half_extent=(BIN_INNER[0] / 2, BIN_INNER[1] / 2),
                            yaw=BIN_YAW)


@configclass
class LocomanipMilestonesCfg(LiftMilestonesCfg):
    over_bin = ms.milestone(ms.object_over, asset="box", center=BIN_B_XY,
                            half_extent=(BIN_B_INNER[0] / 2, BIN_B_INNER[1] / 2))


@configclass
class G1PickPlaceEnvCfg(ManagerBasedRLEnvCfg):
    """Box on a table -> the blue bin to the robot's right (fixed base; squeeze, turn, place)."""

    scene: G1TableSceneCfg = G1PickPlaceSceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    terminations: PickPlaceTerminationsCfg = PickPlaceTerminationsCfg()
    milestones: LiftMilestonesCfg = PickPlaceMilestonesCfg()
    rewards: NoRewardsCfg = NoRewardsCfg()

    def __post_init__(self):
        self.decimation = 4
        self.episode_length_s = 12.0
        self.sim = SimulationCfg(
            dt=CONTROL_DT / self.decimation, render_interval=self.decimation, device="cpu", physics=physics()
        )


@configclass
class G1LiftEnvCfg(G1PickPlaceEnvCfg):
    """Lift the box with both palms and hold it up (fixed base; a bimanual squeeze-lift)."""

    scene: G1TableSceneCfg = G1TableSceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)  # no bin
    terminations: LiftTerminationsCfg = LiftTerminationsCfg()
    milestones: LiftMilestonesCfg = LiftMilestonesCfg()

    def __post_init__(self):
        super().__post_init__()
        self.episode_length_s = 8.0


@configclass
class G1LocomanipSceneCfg(G1TableSceneCfg):
    """Two tables 1.2 m apart; the bin is on the far one."""

    robot: ArticulationCfg = robot_cfg(mobile=True)
    table_b = static_box((*TABLE_SIZE, TABLE_H), (*TABLE_B_XY, TABLE_H / 2), color=WOOD, name="TableB")

    def __post_init__(self):
        add_parts(self, _bin_parts(center=BIN_B_XY, yaw=0.0, inner=BIN_B_INNER))
        # A view over both tables (kit-less cameras do not follow links).
        self.ego_cam.offset = CameraCfg.OffsetCfg(
            pos=(-0.35, -0.6, 1.75), rot=(0.0, 0.4848, 0.0, 0.8746), convention="world"
        )
        self.ego_cam.spawn = sim_utils.PinholeCameraCfg(focal_length=10.0, horizontal_aperture=20.955, clipping_range=(0.05, 10.0))


@configclass
class LocomanipActionsCfg(ActionsCfg):
    navigate_command = mdp.NavigateActionCfg(
        asset_name="robot", joint_names=BASE_JOINTS, use_default_offset=False, preserve_order=True
    )


@configclass
class LocomanipObservationsCfg(ObservationsCfg):
    @configclass
    class PolicyCfg(ObservationsCfg.PolicyCfg):
        base_pose = ObsTerm(func=mdp.base_pose)
        target_pos = ObsTerm(func=mdp.constant, params={"value": (BIN_B_XY[0], BIN_B_XY[1], TABLE_H + BIN_FLOOR)})

    policy: PolicyCfg = PolicyCfg()


@configclass
class LocomanipTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = in_bin(BIN_B_XY, 0.0, BIN_B_INNER)
    box_dropped = DoneTerm(func=mdp.object_below, params={"height": TABLE_H - 0.05})


@configclass
class G1LocomanipPickPlaceEnvCfg(G1PickPlaceEnvCfg):
    """Box on one table -> the bin on another 1.2 m to the right: squeeze, carry on the
    moving base (navigate command), place."""

    scene: G1LocomanipSceneCfg = G1LocomanipSceneCfg(num_envs=1, env_spacing=4.0, replicate_physics=True)
    observations: LocomanipObservationsCfg = LocomanipObservationsCfg()
    actions: LocomanipActionsCfg = LocomanipActionsCfg()
    terminations: LocomanipTerminationsCfg = LocomanipTerminationsCfg()
    milestones: LiftMilestonesCfg = LocomanipMilestonesCfg()

    def __post_init__(self):
        super().__post_init__()
        self.episode_length_s = 16.0
