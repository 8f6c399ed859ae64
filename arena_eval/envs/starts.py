"""Start-state samplers: an episode's initial state drawn from its seed alone.

Isaac Lab's own reset randomisation draws for all resetting envs from one shared generator,
so an episode's start would depend on which slot runs it and on num_envs. A sampler here
draws from `numpy.random.default_rng(seed)` and returns the state to write, per scene
asset, by joint name::

    {"cartpole": {"joint_pos": {"slider_to_cart": 0.3, ...}, "joint_vel": {...}},
     "box": {"root_pos_offset": {"x": 0.01, "y": -0.02}}}

Joints not named keep their default; root positions are offsets from the default pose; every
named asset starts at rest. A task card names its sampler in `env.start_state`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

StartState = dict[str, dict[str, dict[str, float]]]
Sampler = Callable[[np.random.Generator, Any], StartState]

SAMPLERS: dict[str, Sampler] = {}


def register(name: str) -> Callable[[Sampler], Sampler]:
    def deco(fn: Sampler) -> Sampler:
        SAMPLERS[name] = fn
        return fn

    return deco


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


@register("cartpole")
def cartpole(rng: np.random.Generator, cfg: Any) -> StartState:
    """The ranges of Isaac Lab's own Cartpole reset, drawn per episode."""
    return {
        "cartpole": {
            "joint_pos": {
                cfg.cart_dof_name: _uniform(rng, cfg.initial_cart_position_range),
                cfg.pole_dof_name: _uniform(rng, cfg.initial_pole_angle_range),
            },
            "joint_vel": {
                cfg.cart_dof_name: _uniform(rng, cfg.initial_cart_velocity_range),
                cfg.pole_dof_name: _uniform(rng, cfg.initial_pole_velocity_range),
            },
        }
    }


@register("g1_table")
def g1_table(rng: np.random.Generator, cfg: Any) -> StartState:
    """The G1 tasks on a table: robot in its default pose, the box jittered in x and y."""
    from .tasks.g1.layout import BOX_JITTER

    dx, dy = rng.uniform(-BOX_JITTER, BOX_JITTER, size=2)
    return {"robot": {}, "box": {"root_pos_offset": {"x": float(dx), "y": float(dy)}}}


@register("dexmg_table")
def dexmg_table(rng: np.random.Generator, cfg: Any) -> StartState:
    """The DexMG-like tasks: robot in its default pose, the object (box or tray) jittered in
    x and y by +-2 cm."""
    from .tasks.dexmg.layout import OBJECT_JITTER

    dx, dy = rng.uniform(-OBJECT_JITTER, OBJECT_JITTER, size=2)
    return {"robot": {}, "object": {"root_pos_offset": {"x": float(dx), "y": float(dy)}}}


def _kitchen(rng: np.random.Generator, **joints: float) -> StartState:
    from .tasks.robocasa.layout import FIXTURE_JITTER

    dx, dy = rng.uniform(-FIXTURE_JITTER, FIXTURE_JITTER, size=2)
    fixture = {"root_pos_offset": {"x": float(dx), "y": float(dy)}}
    if joints:
        fixture["joint_pos"] = joints
    return {"robot": {}, "kitchen": fixture}


@register("robocasa_kitchen")
def robocasa_kitchen(rng: np.random.Generator, cfg: Any) -> StartState:
    """Kitchen tasks: the Panda in its ready pose, the fixture jittered in x and y, closed."""
    return _kitchen(rng)


@register("robocasa_door_open")
def robocasa_door_open(rng: np.random.Generator, cfg: Any) -> StartState:
    """As robocasa_kitchen, with the cabinet door open at an angle drawn from the seed."""
    from .tasks.robocasa.layout import DOOR_OPEN

    state = _kitchen(rng)
    state["kitchen"]["joint_pos"] = {"door_joint": _uniform(rng, DOOR_OPEN)}
    return state


@register("robocasa_counter_object")
def robocasa_counter_object(rng: np.random.Generator, cfg: Any) -> StartState:
    """As robocasa_kitchen, with the object on the counter jittered in x and y too."""
    from .tasks.robocasa.layout import OBJECT_JITTER

    state = _kitchen(rng)
    dx, dy = rng.uniform(-OBJECT_JITTER, OBJECT_JITTER, size=2)
    state["object"] = {"root_pos_offset": {"x": float(dx), "y": float(dy)}}
    return state
