"""Isaac Lab env configurations of the kitchen tasks: one config class per task.

Kit-less on CPU with Newton MJWarp, with the solver settings under which grasps hold by
contact alone (elliptic cone with impratio 10, implicitfast, 100 iterations, multi-contact
CCD, no contact gap; see the kit-less notes). The scene: the Panda of `robot.py` on a
pedestal at the counter's edge, the counter, and the kitchen fixture of `kitchen.py`
(drawer, door and button on real joints); the pick-and-place task adds a light box.
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
from ..common import NoRewardsCfg, asset_root, cuboid_object, physics, static_box
from . import layout as L
from . import mdp
from .kitchen import JOINTS as FIXTURE_JOINTS
from .kitchen import KITCHEN_USD
from .robot import ARM_JOINTS, FINGER_JOINTS, FINGER_OPEN, PANDA_USD, READY


def robot_cfg() -> ArticulationCfg:
    joints = dict(zip(ARM_JOINTS, READY))
    joints.update({FINGER_JOINTS[0]: FINGER_OPEN, FINGER_JOINTS[1]: -FINGER_OPEN})
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Robot",
        # The converted USD already carries the fixed joint (fix_root_link=True would clash).
        spawn=sim_utils.UsdFileCfg(usd_path=f"{asset_root()}/{PANDA_USD}", fix_root_link=None),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, L.COUNTER_H), joint_pos=joints),
        actuators={
            "shoulder": ImplicitActuatorCfg(joint_names_expr=["joint[1-4]"], stiffness=2000.0, damping=100.0, armature=0.1),
            "forearm": ImplicitActuatorCfg(joint_names_expr=["joint[5-7]"], stiffness=1000.0, damping=50.0, armature=0.1),
            # 800 N/m: a 4 cm box stops the closing pads 2 cm short, a grip of about 15 N. (These
            # slide-joint gains reach the solver as given: scaled by 180/pi, as for the G1's
            # base, the pads crushed through the box.)
            "gripper": ImplicitActuatorCfg(
                joint_names_expr=["finger_joint.*"], stiffness=800.0, damping=40.0, armature=0.05
            ),
        },
    )




def kitchen_cfg() -> ArticulationCfg:
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Kitchen",
        spawn=sim_utils.UsdFileCfg(usd_path=f"{asset_root()}/{KITCHEN_USD}", fix_root_link=None),
        init_state=ArticulationCfg.InitialStateCfg(pos=(L.CAB_X, 0.0, L.COUNTER_H), joint_pos={".*": 0.0}),
        actuators={
            # Passive joints: damping only (drawer, door); the button has a return spring.
            "drawer": ImplicitActuatorCfg(joint_names_expr=["drawer_joint"], stiffness=0.0, damping=10.0),
            # A stiff hinge (15 N m s/rad): the expert's steady push shuts it in 3 s, while the
            # random policy's jitter, which slammed a free-swinging door (damping 1) shut in 3 of
            # 20 episodes, moves it little.
            "door": ImplicitActuatorCfg(joint_names_expr=["door_joint"], stiffness=0.0, damping=15.0),
            "button": ImplicitActuatorCfg(
                joint_names_expr=["button_joint"], stiffness=200.0, damping=5.0
            ),
        },
    )


@configclass
class KitchenSceneCfg(InteractiveSceneCfg):
    ground = AssetBaseCfg(prim_path="/World/ground", spawn=sim_utils.GroundPlaneCfg())
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))
    robot: ArticulationCfg = robot_cfg()
    kitchen: ArticulationCfg = kitchen_cfg()
    pedestal = static_box((2 * L.PEDESTAL, 2 * L.PEDESTAL, L.COUNTER_H), (0.0, 0.0, L.COUNTER_H / 2),
                          color=(0.3, 0.3, 0.32), name="Pedestal")
    counter = static_box(
        (L.COUNTER_X[1] - L.COUNTER_X[0], 2 * L.COUNTER_Y, L.COUNTER_H),
        ((L.COUNTER_X[0] + L.COUNTER_X[1]) / 2, 0.0, L.COUNTER_H / 2), color=(0.45, 0.47, 0.5), name="Counter",
    )
    # A fixed camera above the robot's left shoulder, looking down at the counter, the
    # cabinet and the coffee machine at an angle, so the arm does not hide the cabinet's front
    # (kit-less cameras do not follow links).
    ego_cam = CameraCfg(
        prim_path="{ENV_REGEX_NS}/EgoCam",
        offset=CameraCfg.OffsetCfg(pos=(-0.05, 0.45, 1.6), rot=(0.0911, 0.2476, -0.333, 0.9053), convention="world"),
        data_types=["rgb"],
        spawn=sim_utils.PinholeCameraCfg(focal_length=11.0, horizontal_aperture=20.955, clipping_range=(0.05, 10.0)),
        width=224,
        height=224,
        renderer_cfg=NewtonWarpRendererCfg(),
    )


@configclass
class KitchenObjectSceneCfg(KitchenSceneCfg):
    """The kitchen plus a light box on the counter in front of the cubby."""

    object = cuboid_object("Object", L.OBJECT, L.OBJECT_MASS, (L.OBJECT_XY[0], L.OBJECT_XY[1], L.OBJECT_REST_Z + 0.001),
                           (0.1, 0.6, 0.2))


def _joints(asset: str, names: list[str]) -> SceneEntityCfg:
    return SceneEntityCfg(asset, joint_names=names, preserve_order=True)


@configclass
class ActionsCfg:
    arm = il_mdp.JointPositionActionCfg(asset_name="robot", joint_names=ARM_JOINTS, use_default_offset=False, preserve_order=True)
    # One value: negative closes the gripper, otherwise it opens (as RoboCasa's gripper_close).
    gripper = il_mdp.BinaryJointPositionActionCfg(
        asset_name="robot",
        joint_names=FINGER_JOINTS,
        open_command_expr={FINGER_JOINTS[0]: FINGER_OPEN, FINGER_JOINTS[1]: -FINGER_OPEN},
        close_command_expr={"finger_joint.*": 0.0},
    )


@configclass
class ObservationsCfg:
    @configclass
    class PolicyCfg(ObsGroup):
        arm = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints("robot", ARM_JOINTS)})
        gripper = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints("robot", FINGER_JOINTS)})
        fixture_pos = ObsTerm(func=mdp.root_pos, params={"asset_cfg": SceneEntityCfg("kitchen")})
        fixture_joints = ObsTerm(func=il_mdp.joint_pos, params={"asset_cfg": _joints("kitchen", FIXTURE_JOINTS)})

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = False

    policy: PolicyCfg = PolicyCfg()


@configclass
class ObjectObservationsCfg(ObservationsCfg):
    @configclass
    class PolicyCfg(ObservationsCfg.PolicyCfg):
        object_pos = ObsTerm(func=mdp.root_pos, params={"asset_cfg": SceneEntityCfg("object")})

    policy: PolicyCfg = PolicyCfg()


@configclass
class OpenDrawerTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = DoneTerm(func=mdp.joint_above, params={"joint": "drawer_joint", "threshold": L.DRAWER_OPEN})


@configclass
class CloseDoorTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = DoneTerm(func=mdp.joint_below, params={"joint": "door_joint", "threshold": L.DOOR_CLOSED})


@configclass
class PressButtonTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    success = DoneTerm(func=mdp.joint_above, params={"joint": "button_joint", "threshold": L.BUTTON_PRESSED})


_IN_CUBBY_Z = L.SHELF_Z + L.OBJECT[2] / 2


@configclass
class PnPTerminationsCfg:
    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    # In the cubby (fixture frame: behind its front, within its walls, on its floor), still,
    # and let go of.
    success = DoneTerm(
        func=mdp.object_in_fixture_box,
        params={
            "lo": (0.03, L.CUBBY_Y - L.CAB_HALF_W / 2 + 0.03, _IN_CUBBY_Z - 0.015),
            "hi": (L.CAB_DEPTH - 0.02, L.CUBBY_Y + L.CAB_HALF_W / 2 - 0.03, _IN_CUBBY_Z + 0.015),
            "max_speed": 0.05,
            "min_hand_dist": 0.12,
        },
    )
    object_dropped = DoneTerm(func=mdp.object_below, params={"height": L.COUNTER_H - 0.05})


@configclass
class OpenDrawerMilestonesCfg:
    """How far the pull got (envs/tasks/milestones.py): started (1 cm), half way."""

    moved = ms.milestone(ms.joint_past, asset="kitchen", joint="drawer_joint", value=0.01)
    half_open = ms.milestone(ms.joint_past, asset="kitchen", joint="drawer_joint", value=L.DRAWER_OPEN / 2)


@configclass
class CloseDoorMilestonesCfg:
    """The door (starting 0.85-1.05 rad open) pushed past 0.7 rad, then half way shut."""

    moved = ms.milestone(ms.joint_past, asset="kitchen", joint="door_joint", value=0.7, above=False)
    half_closed = ms.milestone(ms.joint_past, asset="kitchen", joint="door_joint", value=0.45, above=False)


@configclass
class PressButtonMilestonesCfg:
    """The button touched (pushed 1 mm), half way (4 mm)."""

    touched = ms.milestone(ms.joint_past, asset="kitchen", joint="button_joint", value=0.001)
    half_pressed = ms.milestone(ms.joint_past, asset="kitchen", joint="button_joint", value=L.BUTTON_PRESSED / 2)


@configclass
class PnPMilestonesCfg:
    """The box moved, lifted 3 cm, carried over the cubby's floor."""

    moved = ms.milestone(ms.object_moved, asset="object", distance=0.02)
    lifted = ms.milestone(ms.object_lifted, asset="object", height=0.03)


@configclass
class OpenDrawerEnvCfg(ManagerBasedRLEnvCfg):
    """OpenDrawer: hook the drawer's handle bar with the closed gripper and pull it open."""

    scene: KitchenSceneCfg = KitchenSceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    terminations: OpenDrawerTerminationsCfg = OpenDrawerTerminationsCfg()
    milestones: object = OpenDrawerMilestonesCfg()
    rewards: NoRewardsCfg = NoRewardsCfg()

    def __post_init__(self):
        self.decimation = 4
        self.episode_length_s = 8.0
        self.sim = SimulationCfg(
            dt=L.CONTROL_DT / self.decimation, render_interval=self.decimation, device="cpu", physics=physics(njmax=600, nconmax=120)
        )


@configclass
class CloseSingleDoorEnvCfg(OpenDrawerEnvCfg):
    """CloseSingleDoor: push the open cabinet door shut."""

    terminations: CloseDoorTerminationsCfg = CloseDoorTerminationsCfg()
    milestones: object = CloseDoorMilestonesCfg()


@configclass
class CoffeePressButtonEnvCfg(OpenDrawerEnvCfg):
    """CoffeePressButton: press the coffee machine's button."""

    terminations: PressButtonTerminationsCfg = PressButtonTerminationsCfg()
    milestones: object = PressButtonMilestonesCfg()


@configclass
class PnPCounterToCabEnvCfg(OpenDrawerEnvCfg):
    """PnPCounterToCab: pick the box from the counter and place it in the cabinet's cubby."""

    scene: KitchenObjectSceneCfg = KitchenObjectSceneCfg(num_envs=1, env_spacing=3.0, replicate_physics=True)
    observations: ObjectObservationsCfg = ObjectObservationsCfg()
    terminations: PnPTerminationsCfg = PnPTerminationsCfg()
    milestones: object = PnPMilestonesCfg()
