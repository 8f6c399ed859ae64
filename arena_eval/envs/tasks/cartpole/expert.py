"""The Cartpole's scripted expert."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....registry import Expert


class CartpoleBalance(Expert):
    """Linear state feedback (LQR-style gains) on cart position/velocity and pole angle/rate.

    The action is a force command scaled by the env (100 N per unit); clipped to [-1, 1].
    """

    # Tuned on the task: the cart gains push *away* from the target so the pole leans back
    # towards it (the usual non-minimum-phase sign of cart-pole feedback).
    GAINS = {"state.cart": 0.2, "state.cart_vel": 0.4, "state.pole": -3.0, "state.pole_vel": -0.5}

    def required_obs(self):
        return {k: (1,) for k in self.GAINS}

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        u = sum(g * obs[k][:, -1, 0] for k, g in self.GAINS.items())
        u = np.clip(u, -1.0, 1.0).astype(np.float32)
        return {"action.cart_force": np.repeat(u[:, None, None], self.horizon, axis=1)}
