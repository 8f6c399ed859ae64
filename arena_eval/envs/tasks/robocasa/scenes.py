"""Scene cfgs of the fixtures added for RoboCasa's 24 tasks: the same counter, pedestal, Panda
and camera as the original kitchen (`env_cfg.KitchenSceneCfg`, which stays as it is), with one
fixture articulation (`fixture`, from `appliances.py`) and the free objects a task moves (a can,
a mug, a box, a plate, a pan: primitives held by contact). One scene class per fixture and object
set; the env cfgs (`env_tasks.py`) pick one per task.
"""

from __future__ import annotations

import isaaclab.sim as sim_utils
from isaaclab.actuators import ImplicitActuatorCfg
from isaaclab.assets import ArticulationCfg, AssetBaseCfg, RigidObjectCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.utils import configclass

from ..common import asset_root, collision, material, static_box
from . import fixtures as F
from . import layout as L
from .appliances import usd_path
from .env_cfg import KitchenSceneCfg, robot_cfg

# Passive joints: damping only (doors, knobs, levers, spout); buttons have a return spring.
# Hinge damping in N m s/rad: doors 8 (the random policy's jitter barely moves them), knobs and
# levers light enough for a fingertip to push (0.05 to 0.5).
_ACTUATORS = {
    "double_cabinet": {"doors": (".*door_joint", 0.0, 8.0)},
    "single_cabinet": {"doors": (".*door_joint", 0.0, 8.0)},
    "microwave": {"door": ("mw_door_joint", 0.0, 20.0), "buttons": (".*button_joint", 200.0, 5.0)},
    "sink": {"spout": ("spout_joint", 0.0, 0.5), "handle": ("handle_joint", 0.0, 0.3)},
    "stove": {"knobs": ("knob_.*_joint", 0.0, 0.05)},
    "coffee_station": {"button": ("coffee_button_joint", 200.0, 5.0)},
}
FIXTURE_X = F.FIXTURE_X


def fixture_cfg(name: str) -> ArticulationCfg:
    acts = {k: ImplicitActuatorCfg(joint_names_expr=[rx], stiffness=kp, damping=kd) for k, (rx, kp, kd) in _ACTUATORS[name].items()}
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Fixture",
        spawn=sim_utils.UsdFileCfg(usd_path=f"{asset_root()}/{usd_path(name)}", fix_root_link=None),
        init_state=ArticulationCfg.InitialStateCfg(pos=(FIXTURE_X[name], 0.0, L.COUNTER_H), joint_pos={".*": 0.0}),
        actuators=acts,
    )


def _rigid(name: str, shape, mass: float, pos, color) -> RigidObjectCfg:
    return RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/" + name,
        spawn=shape.replace(
            rigid_props=sim_utils.RigidBodyPropertiesCfg(),
            mass_props=sim_utils.MassPropertiesCfg(mass=mass),
            collision_props=collision(),
            physics_material=material(),
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=color),
        ),
        init_state=RigidObjectCfg.InitialStateCfg(pos=pos),
    )


def cylinder(name: str, radius: float, height: float, mass: float, pos, color) -> RigidObjectCfg:
    return _rigid(name, sim_utils.CylinderCfg(radius=radius, height=height, axis="Z"), mass, pos, color)


def box(name: str, size, mass: float, pos, color) -> RigidObjectCfg:
    return _rigid(name, sim_utils.CuboidCfg(size=size), mass, pos, color)


RED, WHITE, BROWN, DARK, GREEN = (0.8, 0.1, 0.1), (0.92, 0.92, 0.9), (0.55, 0.35, 0.2), (0.15, 0.15, 0.17), (0.1, 0.6, 0.2)


@configclass
class CounterSceneCfg(InteractiveSceneCfg):
    """The original kitchen's counter, pedestal, robot and camera, without its fixture."""

    ground = AssetBaseCfg(prim_path="/World/ground", spawn=sim_utils.GroundPlaneCfg())
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))
    robot: ArticulationCfg = robot_cfg()
    pedestal = static_box((2 * L.PEDESTAL, 2 * L.PEDESTAL, L.COUNTER_H), (0.0, 0.0, L.COUNTER_H / 2),
                          color=(0.3, 0.3, 0.32), name="Pedestal")
    counter = static_box(
        (L.COUNTER_X[1] - L.COUNTER_X[0], 2 * L.COUNTER_Y, L.COUNTER_H),
        ((L.COUNTER_X[0] + L.COUNTER_X[1]) / 2, 0.0, L.COUNTER_H / 2), color=(0.45, 0.47, 0.5), name="Counter",
    )
    ego_cam = KitchenSceneCfg().ego_cam


def _scene(name: str, fixture: str, **objects) -> type:
    """A CounterSceneCfg subclass named `name` with this fixture and these objects (name -> cfg)."""
    fields = {"fixture": fixture_cfg(fixture), **objects}
    cls = type(name, (CounterSceneCfg,), {"__annotations__": {k: type(v) for k, v in fields.items()},
                                          "__module__": __name__, "__qualname__": name, **fields})
    return configclass(cls)


DoubleCabinetSceneCfg = _scene("DoubleCabinetSceneCfg", "double_cabinet")
SingleCabinetSceneCfg = _scene("SingleCabinetSceneCfg", "single_cabinet")
MicrowaveSceneCfg = _scene("MicrowaveSceneCfg", "microwave")
MicrowaveObjectSceneCfg = _scene(
    "MicrowaveObjectSceneCfg", "microwave",
    object=box("Object", F.BOX, F.OBJECT_MASS, F.MW_BOX, BROWN),
    plate=cylinder("Plate", F.PLATE[0], F.PLATE[1], F.PLATE_MASS, F.MW_PLATE, WHITE),
)
SinkSceneCfg = _scene("SinkSceneCfg", "sink")
SinkObjectSceneCfg = _scene(
    "SinkObjectSceneCfg", "sink",
    object=cylinder("Object", F.CAN[0], F.CAN[1], F.OBJECT_MASS, F.SINK_CAN, RED),
    plate=cylinder("Plate", F.PLATE[0], F.PLATE[1], F.PLATE_MASS, F.SINK_PLATE, WHITE),
)
StoveSceneCfg = _scene("StoveSceneCfg", "stove")
StoveObjectSceneCfg = _scene(
    "StoveObjectSceneCfg", "stove",
    object=box("Object", F.BOX, F.OBJECT_MASS, F.STOVE_BOX, GREEN),
    plate=cylinder("Plate", F.PLATE[0], F.PLATE[1], F.PLATE_MASS, F.STOVE_PLATE, WHITE),
    pan=cylinder("Pan", F.PAN[0], F.PAN[1], F.PLATE_MASS, F.STOVE_PAN, DARK),
)
CoffeeSceneCfg = _scene(
    "CoffeeSceneCfg", "coffee_station",
    object=cylinder("Object", F.MUG[0], F.MUG[1], F.OBJECT_MASS, F.COFFEE_MUG, WHITE),
)
