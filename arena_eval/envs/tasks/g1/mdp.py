"""Observation and termination terms of the G1 tasks (batched torch, inside Isaac Lab)."""

from __future__ import annotations

import torch
from isaaclab.managers import SceneEntityCfg


def object_pos(env, asset_cfg: SceneEntityCfg = SceneEntityCfg("box")) -> torch.Tensor:
    """Object position relative to its env origin."""
    return env.scene[asset_cfg.name].data.root_pos_w.torch - env.scene.env_origins


def constant(env, value: tuple[float, ...]) -> torch.Tensor:
    """A constant per env (e.g. the bin's position), so the expert and policies can read it."""
    return torch.tensor(value, dtype=torch.float32, device=env.device).expand(env.num_envs, -1)


def object_in_region(
    env,
    center: tuple[float, float],
    yaw: float,
    half_extent: tuple[float, float],
    z_range: tuple[float, float],
    max_speed: float,
    asset_cfg: SceneEntityCfg = SceneEntityCfg("box"),
) -> torch.Tensor:
    """The object rests inside a (rotated) rectangular region: centre in the footprint, height
    in range, and slow (the Arena task's 'resting on the bin' test uses a speed bound too)."""
    obj = env.scene[asset_cfg.name]
    p = obj.data.root_pos_w.torch - env.scene.env_origins
    d = p[:, :2] - torch.tensor(center, device=env.device)
    c, s = torch.cos(torch.tensor(-yaw)), torch.sin(torch.tensor(-yaw))
    local_x = c * d[:, 0] - s * d[:, 1]
    local_y = s * d[:, 0] + c * d[:, 1]
    inside = (local_x.abs() <= half_extent[0]) & (local_y.abs() <= half_extent[1])
    height_ok = (p[:, 2] >= z_range[0]) & (p[:, 2] <= z_range[1])
    slow = torch.linalg.norm(obj.data.root_lin_vel_w.torch, dim=1) < max_speed
    return inside & height_ok & slow


def object_below(env, height: float, asset_cfg: SceneEntityCfg = SceneEntityCfg("box")) -> torch.Tensor:
    """The object fell: its centre is below `height` (relative to the env origin)."""
    return (env.scene[asset_cfg.name].data.root_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]) < height


def object_lost(env, center: tuple[float, float, float], radius: float, asset_cfg: SceneEntityCfg = SceneEntityCfg("box")) -> torch.Tensor:
    """The object left the workspace (flung away): farther than `radius` from `center`."""
    p = env.scene[asset_cfg.name].data.root_pos_w.torch - env.scene.env_origins
    return torch.linalg.norm(p - torch.tensor(center, device=env.device), dim=1) > radius


def object_held_above(
    env,
    height: float,
    max_height: float,
    center: tuple[float, float],
    radius: float,
    hold_steps: int,
    asset_cfg: SceneEntityCfg = SceneEntityCfg("box"),
) -> torch.Tensor:
    """The object has stayed between `height` and `max_height`, within `radius` of `center`
    (in front of the robot), for `hold_steps` control steps in a row: held, not flung. The
    run counter restarts whenever that fails (as it does at every episode start)."""
    p = env.scene[asset_cfg.name].data.root_pos_w.torch - env.scene.env_origins
    z = p[:, 2]
    near = torch.linalg.norm(p[:, :2] - torch.tensor(center, device=env.device), dim=1) < radius
    counter = getattr(env, "_arena_hold_counter", None)
    if counter is None or counter.shape[0] != env.num_envs:
        counter = torch.zeros(env.num_envs, dtype=torch.long, device=env.device)
    above = (z > height) & (z < max_height) & near & (env.episode_length_buf > 0)
    counter = torch.where(above, counter + 1, torch.zeros_like(counter))
    env._arena_hold_counter = counter
    return counter >= hold_steps


from isaaclab.envs.mdp.actions.actions_cfg import JointVelocityActionCfg  # noqa: E402
from isaaclab.envs.mdp.actions.joint_actions import JointVelocityAction  # noqa: E402
from isaaclab.utils import configclass  # noqa: E402


class NavigateAction(JointVelocityAction):
    """Arena's navigate command (vx, vy in the robot frame, yaw rate) moving the planar base
    joints (x and y slides, yaw hinge). The command is integrated into position targets each
    physics step: Newton's implicit drives track positions, not velocity targets."""

    cfg: "NavigateActionCfg"

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self._target = self._asset.data.default_joint_pos.torch[:, self._joint_ids].clone()
        self._dt = env.physics_dt

    def reset(self, env_ids=None):
        super().reset(env_ids)
        ids = slice(None) if env_ids is None else env_ids
        self._target[ids] = self._asset.data.default_joint_pos.torch[ids][:, self._joint_ids]

    def apply_actions(self):
        yaw = self._target[:, 2]
        v = self.processed_actions
        c, s = torch.cos(yaw), torch.sin(yaw)
        world = torch.stack((c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1], v[:, 2]), dim=1)
        self._target += world * self._dt
        self._asset.set_joint_position_target_index(target=self._target, joint_ids=self._joint_ids)


@configclass
class NavigateActionCfg(JointVelocityActionCfg):
    class_type: type = NavigateAction


def base_pose(env, asset_cfg: SceneEntityCfg = SceneEntityCfg("robot")) -> torch.Tensor:
    """Planar base pose (x, y, yaw) from the base joints."""
    robot = env.scene[asset_cfg.name]
    ids = [robot.joint_names.index(n) for n in ("base_x_joint", "base_y_joint", "base_yaw_joint")]
    return robot.data.joint_pos.torch[:, ids]
