"""A fake one-world simulator for the worker backend's unit tests (envs/workers.py), run in
real worker processes. Its episodes follow from the seed alone; action value 99 kills the
worker process, 77 hangs it, 55 makes its step raise."""

from __future__ import annotations

import os
import time

import gymnasium as gym
import numpy as np

from arena_eval.envs import workers
from arena_eval.errors import UserError

FRAME = (8, 8, 3)


def episode_length(seed: int) -> int:
    return 4 + seed % 7


class FakeWorld:
    def __init__(self, task, seed: int):
        if task.env.id == "Broken-v0":
            raise UserError("env Broken-v0 has no termination term 'success'", where="<test>")
        self.task, self.seed, self.t, self.x, self.renders = task, None, 0, 0.0, 0

    def info(self):
        obs = gym.spaces.Dict({"state.x": gym.spaces.Box(-np.inf, np.inf, (3,), np.float32),
                               "video.cam": gym.spaces.Box(0, 255, FRAME, np.uint8)})
        act = gym.spaces.Dict({k: gym.spaces.Box(-100, 100, (a.dim,), np.float32) for k, a in self.task.actions.items()})
        return {"obs_space": obs, "act_space": act, "step_dt": 0.02, "make_seconds": 0.0}

    def _obs(self):
        return {"state.x": np.array([self.x, self.t, self.renders], np.float32)}

    def reset(self, seed):
        self.seed, self.t, self.x, self.renders = int(seed), 0, (int(seed) % 1000) / 1000.0, 0
        return self._obs(), {"x0": [self.x]}, None

    def step(self, action):
        a = float(action["action.a"][0])
        if a == 99:
            os._exit(3)
        if a == 77:
            time.sleep(3600)
        if a == 55:
            raise FloatingPointError("non-finite qacc")
        self.t += 1
        self.x += 0.01 * a
        done = self.t >= episode_length(self.seed)
        ok = self.seed % 2 == 0
        why = ("time_limit" if ok else "term:fell") if done else ""
        return self._obs(), done, done and ok, False, why, done and ok, np.zeros(0, bool)

    def render(self):
        self.renders += 1
        return {"video.cam": np.full(FRAME, (self.t + 10 * (self.seed % 20)) % 256, np.uint8)}

    def close(self):
        pass


def fake_worker(conn, task, seed):
    workers._serve(conn, lambda: FakeWorld(task, seed))
