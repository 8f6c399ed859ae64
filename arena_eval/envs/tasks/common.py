"""Scene pieces the project's Isaac Lab tasks share: static boxes and open trays built from
cuboids, a free cuboid object, and the Newton MJWarp settings under which objects are held
by contact alone (elliptic cone with impratio 10, implicitfast, 100 iterations, multi-contact
CCD, no contact gap, friction 1.5; see the kit-less notes). Imports Isaac Lab: only the cfg
modules use it, when an env is made.
"""

from __future__ import annotations

import math
import os

import isaaclab.sim as sim_utils
import torch
from isaaclab.assets import AssetBaseCfg, RigidObjectCfg
from isaaclab.sim.schemas import UsdPhysicsCollisionCfg
from isaaclab.utils import configclass
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg
from isaaclab_newton.sim.schemas import NewtonCollisionCfg

FRICTION = 1.5  # static and dynamic, every shape: what a squeeze needs to hold a box
BLUE = (0.15, 0.3, 0.85)
GREY = (0.35, 0.35, 0.35)


def asset_root() -> str:
    """The local asset root (set by `envs.assets.ensure_asset_root` before Isaac Lab loads)."""
    return os.environ["ISAACSIM_ASSET_ROOT"]


def collision() -> list:
    return [UsdPhysicsCollisionCfg(), NewtonCollisionCfg(contact_gap=0.0)]


def material() -> sim_utils.RigidBodyMaterialCfg:
    return sim_utils.RigidBodyMaterialCfg(static_friction=FRICTION, dynamic_friction=FRICTION)


def static_box(size, pos, yaw: float = 0.0, color=(0.6, 0.6, 0.6), name: str = "X") -> AssetBaseCfg:
    """A fixed cuboid turned by `yaw` about z. Its prim is `name`; parts built in bulk are
    named by the scene field they land in (`add_parts`)."""
    rot = (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))  # xyzw
    return AssetBaseCfg(
        prim_path="{ENV_REGEX_NS}/" + name,
        spawn=sim_utils.CuboidCfg(
            size=size,
            collision_props=collision(),
            physics_material=material(),
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=color),
        ),
        init_state=AssetBaseCfg.InitialStateCfg(pos=pos, rot=rot),
    )


def cuboid_object(name: str, size, mass: float, pos, color) -> RigidObjectCfg:
    """A free box held, pushed or dropped by contact."""
    return RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/" + name,
        spawn=sim_utils.CuboidCfg(
            size=size,
            rigid_props=sim_utils.RigidBodyPropertiesCfg(),
            mass_props=sim_utils.MassPropertiesCfg(mass=mass),
            collision_props=collision(),
            physics_material=material(),
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=color),
        ),
        init_state=RigidObjectCfg.InitialStateCfg(pos=pos),
    )


def tray_parts(center, yaw: float, inner, floor_z: float, wall: tuple[float, float], floor: float,
               stand_xy: tuple[float, float] | None = None) -> dict[str, AssetBaseCfg]:
    """Floor and four walls (thickness, height) of an open tray with inner size `inner` on
    `floor_z`, turned by `yaw` about its centre; with `stand_xy`, a stand under it down to
    the ground."""
    c, s = math.cos(yaw), math.sin(yaw)
    ix, iy = inner
    t, h = wall

    def at(lx, ly, z):
        return (center[0] + c * lx - s * ly, center[1] + s * lx + c * ly, z)

    wall_z = floor_z + floor + h / 2
    parts = {
        "bin_floor": ((ix + 2 * t, iy + 2 * t, floor), at(0, 0, floor_z + floor / 2)),
        "bin_wall_xp": ((t, iy + 2 * t, h), at(ix / 2 + t / 2, 0, wall_z)),
        "bin_wall_xn": ((t, iy + 2 * t, h), at(-ix / 2 - t / 2, 0, wall_z)),
        "bin_wall_yp": ((ix, t, h), at(0, iy / 2 + t / 2, wall_z)),
        "bin_wall_yn": ((ix, t, h), at(0, -iy / 2 - t / 2, wall_z)),
    }
    out = {name: static_box(size, pos, yaw, BLUE) for name, (size, pos) in parts.items()}
    if stand_xy is not None:
        out["bin_stand"] = static_box((*stand_xy, floor_z), at(0, 0, floor_z / 2), yaw, GREY)
    return out


def add_parts(scene, parts: dict[str, AssetBaseCfg]) -> None:
    """Put each part into the scene cfg under its name (which is also its prim's name)."""
    for name, part in parts.items():
        part.prim_path = "{ENV_REGEX_NS}/" + name
        setattr(scene, name, part)


@configclass
class NoRewardsCfg:
    """Evaluation needs no reward terms."""


def physics(njmax: int = 1000, nconmax: int = 200) -> NewtonCfg:
    """Newton MJWarp on CPU; `njmax`/`nconmax` size the constraint and contact buffers."""
    return NewtonCfg(
        solver_cfg=MJWarpSolverCfg(
            njmax=njmax, nconmax=nconmax, cone="elliptic", impratio=10.0, integrator="implicitfast", iterations=100,
            enable_multiccd=True,
        ),
        num_substeps=1,
        use_cuda_graph=False,
    )


# Joint position targets move at most this far per control step (20 ms): 2.5 rad/s, twice
# the fastest the scripted experts ask for (0.024 rad per step), so it never binds them.
MAX_TARGET_STEP = 0.05


def _rate_limited_action_classes():
    """Built on first use: importing Isaac Lab's action terms needs the simulator up."""
    from isaaclab.envs.mdp.actions.actions_cfg import JointPositionActionCfg
    from isaaclab.envs.mdp.actions.joint_actions import JointPositionAction

    class RateLimitedJointPositionAction(JointPositionAction):
        """Joint position targets that move towards the commanded ones at a bounded rate, as
        a real arm's trajectory interface does: a policy's jump (a random action from one
        end of the range to the other) becomes a ramp instead of a step of thousands of
        newton metres through stiff drives into the table, which drove the MJWarp solver to
        non-finite states. Each episode's ramp starts from the joints' current positions."""

        def __init__(self, cfg, env):
            super().__init__(cfg, env)
            self._prev = self._asset.data.joint_pos.torch[:, self._joint_ids].clone()
            self._fresh = torch.ones(env.num_envs, dtype=torch.bool, device=self._prev.device)

        def process_actions(self, actions):
            super().process_actions(actions)
            fresh = self._fresh
            if fresh.any():
                self._prev[fresh] = self._asset.data.joint_pos.torch[fresh][:, self._joint_ids]
                fresh[:] = False
            step = self.cfg.max_step
            self._processed_actions = torch.clamp(self._processed_actions, self._prev - step, self._prev + step)
            self._prev = self._processed_actions.clone()

        def reset(self, env_ids=None):
            super().reset(env_ids)
            if env_ids is None:
                self._fresh[:] = True
            else:
                self._fresh[env_ids] = True

    @configclass
    class RateLimitedJointPositionActionCfg(JointPositionActionCfg):
        class_type: type = RateLimitedJointPositionAction
        max_step: float = MAX_TARGET_STEP  # rad (or m) per control step

    return RateLimitedJointPositionAction, RateLimitedJointPositionActionCfg


_, RateLimitedJointPositionActionCfg = _rate_limited_action_classes()
