"""Plan playback, the shape every planning expert of the project's families shares.

An expert plans once per episode from what it observes first (IK offline with MuJoCo on the
robot's MJCF, in each family's `planner.py`) and then plays the joint-space plan back in
time, indexed by the steps it has issued. So chunks must be executed whole
(n_action_steps == action_horizon).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...registry import Expert


class PlanPlayback(Expert):
    """Per-slot plans; subclasses give `make_plan(obs, row)`, `split(rows)` and CONTROL_DT."""

    CONTROL_DT: float = 0.0

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        if not hasattr(self, "plans"):
            self.plans: dict[int, Any] = {}
            self.t: dict[int, int] = {}
        for s in slots:
            self.plans.pop(int(s), None)
            self.t[int(s)] = 0

    def make_plan(self, obs: dict[str, Any], row: int) -> Any:
        raise NotImplementedError

    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        rows = []
        for row, s in enumerate(map(int, slots)):
            if s not in self.plans:
                self.plans[s] = self.make_plan(obs, row)
            plan, t0 = self.plans[s], self.t[s]
            rows.append([plan.at((t0 + h + 1) * self.CONTROL_DT) for h in range(self.horizon)])
            self.t[s] = t0 + self.horizon
        return self.split(np.asarray(rows, np.float32))


def observed(obs: dict[str, Any], key: str, row: int) -> np.ndarray:
    """One slot's latest value of an observation key, as float64."""
    return np.asarray(obs[key][row, -1], float)
