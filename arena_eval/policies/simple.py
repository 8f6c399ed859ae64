"""Baseline adapters: random, zero, and scripted (each task's own expert)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import registry
from ..cards import TaskSpec
from ..errors import UserError
from .base import Policy


class ZeroPolicy(Policy):
    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        b, h = len(slots), self.action_horizon
        return {k: np.zeros((b, h, s.shape[0]), np.float32) for k, s in self.action_space.spaces.items()}


class RandomPolicy(Policy):
    """Uniform in each action key's [low, high]. Each episode draws from its own generator,
    seeded by (policy seed, episode seed), so actions do not depend on slot or batch."""

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        if not hasattr(self, "_rngs"):
            self._rngs: dict[int, np.random.Generator] = {}
        for slot, seed in zip(slots, seeds):
            self._rngs[int(slot)] = np.random.default_rng([self.spec.seed, int(seed)])

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        out = {k: np.empty((len(slots), self.action_horizon, s.shape[0]), np.float32) for k, s in self.action_space.spaces.items()}
        for row, slot in enumerate(slots):
            rng = self._rngs[int(slot)]
            for k, s in self.action_space.spaces.items():
                out[k][row] = rng.uniform(s.low, s.high, size=(self.action_horizon, s.shape[0]))
        return out


class ScriptedPolicy(Policy):
    """Delegates to the expert the task card names (`expert:`)."""

    def bind(self, task: TaskSpec, obs_space, act_space) -> None:
        if not task.expert:
            raise UserError(f"task {task.name!r} names no scripted expert (field 'expert')", where=task.source)
        if self.n_action_steps != self.action_horizon:
            # Experts advance their plans by the steps they issue; a cut chunk would skip ahead.
            raise UserError(
                f"scripted experts need n_action_steps == action_horizon, got {self.n_action_steps} and {self.action_horizon}",
                where=self.spec.source,
            )
        self.expert = registry.make_expert(task, self.action_horizon)
        self.required_obs = self.expert.required_obs  # type: ignore[method-assign]
        super().bind(task, obs_space, act_space)

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        self.expert.reset(slots, seeds)

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        return self.expert.act(obs, slots)
