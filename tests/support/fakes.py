"""Test doubles for the runner's unit tests (the real Isaac Lab env is tested separately)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from arena_eval.cards import parse_suite
from arena_eval.envs import StepResult

FAKE_TASK = {
    "name": "fake",
    "instruction": "do the thing",
    "max_steps": 50,
    "episodes": 6,
    "success": "time_limit",
    "env": {"id": "Fake-v0", "num_envs": 2},
    "observations": {"state.x": {"source": "policy", "index": [0, 2]}},
    "actions": {"action.a": {"dim": 1}, "action.b": {"dim": 2}},
}


def fake_task(**overrides):
    data = {**FAKE_TASK, **overrides}
    return parse_suite({"name": "fakes", "tasks": [data]}, "<test>").tasks[0]


class FakeEnv:
    """Episode length and outcome follow from the seed: `lengths(seed)` -> (steps, success)."""

    def __init__(self, task, num_envs, lengths, fail_step_at=None):
        self.task = task
        self.num_envs = num_envs
        self.max_steps = task.max_steps
        self.lengths = lengths
        self.fail_step_at = fail_step_at
        self.single_observation_space = gym.spaces.Dict({"state.x": gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)})
        self.single_action_space = gym.spaces.Dict(
            {k: gym.spaces.Box(-1, 1, (a.dim,), np.float32) for k, a in task.actions.items()}
        )
        self.seed = [None] * num_envs
        self.t = np.zeros(num_envs, int)
        self.actions: list[dict[str, np.ndarray]] = []
        self.resets: list[tuple[list[int], list[int]]] = []
        self.n_steps = 0

    def _obs(self):
        x = np.array([[float(s or 0), float(t)] for s, t in zip(self.seed, self.t)], np.float32)
        return {"state.x": x}

    def reset_to(self, env_ids, seeds):
        self.resets.append((list(map(int, env_ids)), list(seeds)))
        for i, s in zip(env_ids, seeds):
            self.seed[i], self.t[i] = s, 0
        return self._obs(), [{"x": [float(s)]} for s in seeds]

    def step_eval(self, action):
        self.n_steps += 1
        if self.fail_step_at is not None and self.n_steps == self.fail_step_at:
            raise RuntimeError("solver exploded")
        self.actions.append({k: v.copy() for k, v in action.items()})
        self.t += 1
        done = np.zeros(self.num_envs, bool)
        success = np.zeros(self.num_envs, bool)
        reason = [""] * self.num_envs
        for i, s in enumerate(self.seed):
            if s is None:
                continue
            steps, ok = self.lengths(s)
            if self.t[i] >= steps:
                done[i], success[i], reason[i] = True, ok, "time_limit" if ok else "term:fell"
        return StepResult(self._obs(), done, success, np.zeros(self.num_envs, bool), reason)

    def close(self):
        pass
