"""Start-state samplers: an episode's initial state drawn from its seed alone.

Isaac Lab's own reset randomisation draws for all resetting envs from one shared generator,
so an episode's start would depend on which slot runs it and on num_envs. A sampler here
draws from `numpy.random.default_rng(seed)` and returns the state to write, per scene
asset, by joint name::

    {"cartpole": {"joint_pos": {"slider_to_cart": 0.3, ...}, "joint_vel": {...}},
     "box": {"root_pos_offset": {"x": 0.01, "y": -0.02}}}

Joints not named keep their default; root positions are offsets from the default pose; every
named asset starts at rest. A task card names its sampler in `env.start_state`; each task
family defines its samplers in its own folder and registers them (`arena_eval.registry`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

StartState = dict[str, dict[str, dict[str, float]]]
Sampler = Callable[[np.random.Generator, Any], StartState]

def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))
