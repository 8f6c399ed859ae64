"""Scripted experts, one per task family, looked up by the task card's `expert` name.

An expert reads the batched observation (`state.*` [B, T, D]) and returns action chunks
`action.*` [B, H, D]. Later suites register their own experts here.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import UserError
from ..specs import TaskSpec


class Expert:
    def __init__(self, task: TaskSpec, horizon: int):
        self.task = task
        self.horizon = horizon

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        return {}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        pass

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError


EXPERTS: dict[str, Callable[[TaskSpec, int], Expert]] = {}


def register(name: str):
    def deco(cls):
        EXPERTS[name] = cls
        return cls

    return deco


def make_expert(task: TaskSpec, horizon: int) -> Expert:
    if task.expert not in EXPERTS:
        raise UserError(
            f"unknown expert {task.expert!r} (known: {', '.join(sorted(EXPERTS))})",
            where=task.source,
            field=f"task {task.name}: expert",
        )
    return EXPERTS[task.expert](task, horizon)


@register("cartpole_balance")
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
