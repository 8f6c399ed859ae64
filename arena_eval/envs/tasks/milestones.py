"""Milestone conditions the project's tasks share (batched torch, inside Isaac Lab).

A task's milestones (an env cfg's `milestones` group of TerminationTermCfg terms, read by
`envs/probes.py` before Isaac Lab's reset and never ending an episode) mark how far an episode
got: the runner records the step each was first met, and the report draws a funnel. They are
object-centric (the object moved, was lifted, is over its target) so that they read the same
for every robot; "moved" and "lifted" are measured from the episode's own start (`start_pos`,
recorded by the adapter at each reset), so placement levels of a sweep do not shift them.
Milestone functions keep no state.
"""

from __future__ import annotations

import math

import torch
from isaaclab.managers import TerminationTermCfg


def milestone(func, **params) -> TerminationTermCfg:
    return TerminationTermCfg(func=func, params=params)


def _pos(env, asset: str) -> torch.Tensor:
    return env.scene[asset].data.root_pos_w.torch - env.scene.env_origins


def start_pos(env, asset: str) -> torch.Tensor:
    """The asset's position at the start of each env's episode (env frame)."""
    start = getattr(env, "_arena_start_pos", {}).get(asset)
    return _pos(env, asset) if start is None else start


def object_moved(env, asset: str, distance: float) -> torch.Tensor:
    """The object is `distance` (m) or more from where its episode started it."""
    return torch.linalg.norm(_pos(env, asset) - start_pos(env, asset), dim=1) >= distance


def object_lifted(env, asset: str, height: float) -> torch.Tensor:
    """The object is `height` (m) or more above its start height."""
    return (_pos(env, asset)[:, 2] - start_pos(env, asset)[:, 2]) >= height


def object_over(env, asset: str, center: tuple[float, float], half_extent: tuple[float, float],
                yaw: float = 0.0) -> torch.Tensor:
    """The object's centre is above a (rotated) rectangle of the env frame, at any height."""
    d = _pos(env, asset)[:, :2] - torch.tensor(center, device=env.device)
    c, s = math.cos(-yaw), math.sin(-yaw)
    lx, ly = c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]
    return (lx.abs() <= half_extent[0]) & (ly.abs() <= half_extent[1])


def joint_past(env, asset: str, joint: str, value: float, above: bool = True) -> torch.Tensor:
    """A joint of an articulation (a drawer slide, a door hinge) is past `value`."""
    art = env.scene[asset]
    q = art.data.joint_pos.torch[:, art.joint_names.index(joint)]
    return q >= value if above else q <= value
