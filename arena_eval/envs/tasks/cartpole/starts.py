"""The Cartpole's start state, drawn from the episode seed (see `arena_eval.envs.starts`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...starts import StartState, uniform


def cartpole(rng: np.random.Generator, cfg: Any) -> StartState:
    """The ranges of Isaac Lab's own Cartpole reset, drawn per episode."""
    return {
        "cartpole": {
            "joint_pos": {
                cfg.cart_dof_name: uniform(rng, cfg.initial_cart_position_range),
                cfg.pole_dof_name: uniform(rng, cfg.initial_pole_angle_range),
            },
            "joint_vel": {
                cfg.cart_dof_name: uniform(rng, cfg.initial_cart_velocity_range),
                cfg.pole_dof_name: uniform(rng, cfg.initial_pole_velocity_range),
            },
        }
    }
