"""A policy type from outside arena_eval (the worked example of docs/adding-a-policy.md):
`type: pd_balance`, a proportional-derivative controller on a pole's angle, with its gains in
the card's params. Importing this module registers the type; an installed distribution's
entry point in the `arena_eval.policies` group imports it, so cards of this type work with no
edit to arena_eval (tests/integration/test_ext_policy.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from arena_eval.errors import UserError
from arena_eval.policies import Policy
from arena_eval.registry import register_policy


class PDBalance(Policy):
    """action = kp * angle + kd * angular velocity (and the cart terms), clipped to [-1, 1]."""

    GAIN_KEYS = ("pole", "pole_vel", "cart", "cart_vel")

    def __init__(self, spec):
        super().__init__(spec)
        gains = dict(spec.params.get("gains") or {})
        unknown = sorted(set(gains) - set(self.GAIN_KEYS))
        if unknown or not gains:
            raise UserError(f"expected gains for some of {', '.join(self.GAIN_KEYS)}, got {sorted(gains) or 'none'}",
                            where=spec.source, field="params.gains")
        self.gains = {f"state.{k}": float(v) for k, v in gains.items()}
        self.out = str(spec.params.get("action", "action.cart_force"))

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        return {k: (1,) for k in self.gains}  # checked against the task before the first episode

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        u = sum(g * obs[k][:, -1, 0] for k, g in self.gains.items())
        u = np.clip(u, -1.0, 1.0).astype(np.float32)
        return {self.out: np.repeat(u[:, None, None], self.action_horizon, axis=1)}


register_policy("pd_balance", PDBalance)
