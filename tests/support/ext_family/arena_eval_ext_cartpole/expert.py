"""The family's expert: state feedback on cart and pole (the pole held near upright)."""

from __future__ import annotations

import numpy as np

from arena_eval.registry import Expert


class PoleHold(Expert):
    GAINS = {"state.cart": 0.2, "state.cart_vel": 0.4, "state.pole": -3.0, "state.pole_vel": -0.5}

    def required_obs(self):
        return {k: (1,) for k in self.GAINS}

    def act(self, obs, slots):
        u = np.clip(sum(g * obs[k][:, -1, 0] for k, g in self.GAINS.items()), -1.0, 1.0).astype(np.float32)
        return {"action.cart_force": np.repeat(u[:, None, None], self.horizon, axis=1)}
