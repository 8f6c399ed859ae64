"""Observation and termination terms of the kitchen tasks (batched torch, inside Isaac Lab)."""

from __future__ import annotations

import torch
from isaaclab.managers import SceneEntityCfg


def root_pos(env, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """An asset's root position relative to its env origin (the fixture's, the object's)."""
    return env.scene[asset_cfg.name].data.root_pos_w.torch - env.scene.env_origins


def _joint(env, asset: str, joint: str) -> torch.Tensor:
    art = env.scene[asset]
    return art.data.joint_pos.torch[:, art.joint_names.index(joint)]


def joint_above(env, joint: str, threshold: float, asset: str = "kitchen") -> torch.Tensor:
    """A fixture joint is past `threshold` (drawer pulled out, button pushed in)."""
    return _joint(env, asset, joint) > threshold


def joint_below(env, joint: str, threshold: float, asset: str = "kitchen") -> torch.Tensor:
    """A fixture joint is below `threshold` (door shut)."""
    return _joint(env, asset, joint) < threshold


def object_in_fixture_box(
    env,
    lo: tuple[float, float, float],
    hi: tuple[float, float, float],
    max_speed: float,
    min_hand_dist: float,
    hand_body: str = "right_gripper",
) -> torch.Tensor:
    """The object rests inside a box given in the fixture's frame (the cubby), nearly still,
    and the hand has let go of it (its palm is `min_hand_dist` away from the object)."""
    obj = env.scene["object"]
    p = obj.data.root_pos_w.torch - env.scene["kitchen"].data.root_pos_w.torch
    inside = ((p >= torch.tensor(lo, device=env.device)) & (p <= torch.tensor(hi, device=env.device))).all(dim=1)
    slow = torch.linalg.norm(obj.data.root_lin_vel_w.torch, dim=1) < max_speed
    robot = env.scene["robot"]
    hand = robot.data.body_pos_w.torch[:, robot.body_names.index(hand_body)]
    away = torch.linalg.norm(hand - obj.data.root_pos_w.torch, dim=1) > min_hand_dist
    return inside & slow & away


def object_below(env, height: float) -> torch.Tensor:
    """The object fell off the counter: its centre is below `height` (env frame)."""
    return (env.scene["object"].data.root_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]) < height
