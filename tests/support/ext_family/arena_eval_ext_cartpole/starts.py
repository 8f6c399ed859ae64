"""Start state: the pole within the cfg's (narrow) range, the cart near the middle, at rest."""

from __future__ import annotations

from typing import Any

import numpy as np


def narrow_start(rng: np.random.Generator, cfg: Any) -> dict:
    lo, hi = cfg.initial_pole_angle_range
    return {"cartpole": {"joint_pos": {cfg.cart_dof_name: float(rng.uniform(-0.2, 0.2)),
                                       cfg.pole_dof_name: float(rng.uniform(lo, hi))}}}
