"""The batched environment protocol the runner drives.

Observations and actions are dicts of numpy arrays keyed by modality keys (`state.<k>`,
`video.<k>`, `action.<k>`), batched over N env slots, with no time axis (the runner adds
it). Nothing from the simulator (torch tensors, Isaac Lab objects) crosses this boundary.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import gymnasium as gym
import numpy as np


@dataclasses.dataclass
class StepResult:
    """What one step says about each env slot, read before any auto-reset.

    `done[i]` is true when slot i's episode ended on this step; then `success[i]` says how
    it ended and `reason[i]` why ("time_limit", "term:<name>", "error:<text>", ...).
    `error[i]` marks a fault of the simulator itself in that slot (not of the policy: a state
    the policy's actions drove non-finite is a failure, reason "policy:non-finite <key>").
    """

    obs: dict[str, np.ndarray]
    done: np.ndarray
    success: np.ndarray
    error: np.ndarray
    reason: list[str]
    success_now: np.ndarray | None = None
    """Per slot: the success condition held on this step (whatever the rule made of it)."""
    milestones: np.ndarray | None = None
    """[N, M] bool: which of the env's `milestone_names` held on this step."""


class BatchedEnv(Protocol):
    num_envs: int
    observation_space: gym.spaces.Dict  # per-slot spaces keyed by modality key
    action_space: gym.spaces.Dict
    max_steps: int
    milestone_names: list[str]
    reset_faults: dict[int, str]

    def reset_to(self, env_ids: np.ndarray, seeds: list[int]) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
        """Start episodes in the given slots from the start state of the given seeds.
        Returns the full batch's observation and, per given slot, its start state. Slots whose
        start failed the reset checks are in `reset_faults` (slot -> error reason) until the
        next call: the runner records those episodes as errors."""
        ...

    def step_eval(self, action: dict[str, np.ndarray]) -> StepResult: ...

    def close(self) -> None: ...


class GymVectorAPI:
    """Gymnasium's vector `reset` and `step` on top of the evaluation contract (`reset_to`,
    `step_eval`), shared by both backends; `info` carries the per-slot evaluation flags and
    `_last_reward` is the backend's latest reward."""

    num_envs: int
    _last_reward: np.ndarray

    def step(self, action: dict[str, np.ndarray]):
        r = self.step_eval(action)  # type: ignore[attr-defined]
        info = {"success": r.success, "error": r.error, "reason": r.reason}
        terminated = r.done & ~np.array([x == "time_limit" for x in r.reason])
        truncated = r.done & ~terminated
        return r.obs, self._last_reward, terminated, truncated, info

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        """Start episodes in every slot (or `options["env_ids"]`) from the given seeds."""
        ids = np.asarray((options or {}).get("env_ids", np.arange(self.num_envs)))
        if seed is None:
            seeds = list(range(len(ids)))
        elif isinstance(seed, int):
            seeds = [seed + int(i) for i in ids]
        else:
            seeds = list(seed)
        obs, init = self.reset_to(ids, seeds)  # type: ignore[attr-defined]
        return obs, {"init_state": init}
