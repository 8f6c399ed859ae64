"""The policy interface and the factory that builds an adapter from a policy card.

One call serves a batch of env slots (the GR00T policy API, batched):

- obs: `video.<cam>` uint8 [B, T, H, W, 3], `state.<key>` float32 [B, T, D], and the
  instruction under `annotation.human.task_description` as a list of B strings;
- returns `action.<key>` float32 [B, H, D] with H = `action_horizon`.

`slots` says which env slots the batch rows belong to, so stateful adapters (scripted
experts) keep per-episode state; `reset(slots, seeds)` marks new episodes and gives each
episode's seed, so stochastic adapters can draw from the episode alone.
"""

from __future__ import annotations

import abc
from typing import Any

import gymnasium as gym
import numpy as np

from ..errors import UserError
from ..cards.specs import PolicySpec
from ..cards.specs import TaskSpec


class Policy(abc.ABC):
    def __init__(self, spec: PolicySpec):
        self.spec = spec
        self.action_horizon = spec.action_horizon
        self.n_action_steps = spec.n_action_steps
        self.task: TaskSpec | None = None

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        """Observation keys this policy reads, with the per-step shape it expects (None: any)."""
        return {}

    def bind(self, task: TaskSpec, obs_space: gym.spaces.Dict, act_space: gym.spaces.Dict) -> None:
        """Check this policy against a task before its first episode; UserError on mismatch."""
        for key, shape in self.required_obs().items():
            if key not in obs_space.spaces:
                raise UserError(
                    f"policy {self.spec.name!r} needs {key} but task {task.name!r} provides only "
                    f"{', '.join(obs_space.spaces) or 'nothing'}",
                    where=self.spec.source,
                )
            have = obs_space.spaces[key].shape
            if shape is not None and tuple(have) != tuple(shape):
                raise UserError(
                    f"policy {self.spec.name!r} expects {key} of shape {tuple(shape)}, task {task.name!r} gives {tuple(have)}",
                    where=self.spec.source,
                )
        self.task = task
        self.action_space = act_space

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        """New episodes start in these slots."""

    @abc.abstractmethod
    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]: ...

    def close(self) -> None:
        pass

    def checkpoint_files(self) -> list[str]:
        """Files whose content defines this policy (hashed into the run manifest)."""
        return []

    def identity(self) -> dict[str, Any] | None:
        """What produces the actions beyond this card and its checkpoint files (a remote
        policy: what the server says it serves). Part of the run's identity, so `--resume`
        refuses to mix two policies' episodes; a `summary` entry names it in messages."""
        return None


def make_policy(spec: PolicySpec) -> Policy:
    """Build the adapter a policy card names; adapters are imported only when used. The name
    is an adapter class or a factory function taking the spec (`groot:make_gr00t_policy`
    picks the class of the checkpoint's generation)."""
    import importlib

    from ..cards.specs import POLICY_ADAPTERS

    module, _, name = POLICY_ADAPTERS[spec.type].partition(":")
    make = getattr(importlib.import_module(module), name)  # a Policy subclass or a spec -> Policy function
    return make(spec)
