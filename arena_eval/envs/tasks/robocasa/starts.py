"""Start states of the kitchen tasks, drawn from the episode seed (`arena_eval.envs.starts`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...starts import StartState, uniform
from .layout import DOOR_OPEN, FIXTURE_JITTER, FIXTURE_JITTER_WIDE, OBJECT_JITTER


def _kitchen(rng: np.random.Generator, jitter: float = FIXTURE_JITTER, **joints: float) -> StartState:
    dx, dy = rng.uniform(-jitter, jitter, size=2)
    fixture: dict[str, Any] = {"root_pos_offset": {"x": float(dx), "y": float(dy)}}
    if joints:
        fixture["joint_pos"] = joints
    return {"robot": {}, "kitchen": fixture}


def robocasa_kitchen(rng: np.random.Generator, cfg: Any) -> StartState:
    """Kitchen tasks: the Panda in its ready pose, the fixture jittered in x and y, closed."""
    return _kitchen(rng)


def robocasa_kitchen_wide(rng: np.random.Generator, cfg: Any) -> StartState:
    """As robocasa_kitchen, the fixture within +-8 cm in x and y (the tasks a policy must see)."""
    return _kitchen(rng, FIXTURE_JITTER_WIDE)


def robocasa_door_open(rng: np.random.Generator, cfg: Any) -> StartState:
    """As robocasa_kitchen, with the cabinet door open at an angle drawn from the seed."""
    state = _kitchen(rng)
    state["kitchen"]["joint_pos"] = {"door_joint": uniform(rng, DOOR_OPEN)}
    return state


def robocasa_counter_object(rng: np.random.Generator, cfg: Any) -> StartState:
    """As robocasa_kitchen, with the object on the counter jittered in x and y too."""
    state = _kitchen(rng)
    dx, dy = rng.uniform(-OBJECT_JITTER, OBJECT_JITTER, size=2)
    state["object"] = {"root_pos_offset": {"x": float(dx), "y": float(dy)}}
    return state
