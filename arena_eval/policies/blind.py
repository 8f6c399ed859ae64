"""The `blind` policy: the scripted expert's actions on the task's first planned episode,
replayed open loop on every episode (it reads no observation).

A task on which this baseline succeeds often does not test perception: its start states vary
too little for the expert's fixed motion to miss. The runner plays the expert's episode first,
in the same env (`runner.task_env`: policies that set `wants_expert_episode` get its actions
through `use_expert_episode`), so the baseline needs no recording on disk and depends on the
run seed alone. Past the expert's last action the last one is held.

Card (policies/blind.yaml)::

    name: blind
    type: blind
    action_horizon: 16
    n_action_steps: 16
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UserError
from .base import Policy
from .replay import play


class BlindPolicy(Policy):
    wants_expert_episode = True

    def __init__(self, spec):
        super().__init__(spec)
        if spec.params:
            raise UserError(f"takes no parameters, got {', '.join(spec.params)}", where=spec.source, field="params")
        self._actions: dict[str, np.ndarray] | None = None
        self._chunks: dict[int, dict[str, np.ndarray]] = {}
        self._pos: dict[int, int] = {}

    def use_expert_episode(self, actions: dict[str, np.ndarray]) -> None:
        """The expert's actions on the first planned episode, {key: [T, D]}."""
        self._actions = {k: np.asarray(v, np.float32) for k, v in actions.items()}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        if self._actions is None:
            raise RuntimeError("the blind policy got no expert episode (runner.task_env plays it)")
        for slot in slots:
            self._chunks[int(slot)], self._pos[int(slot)] = self._actions, 0

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        return play(self._chunks, self._pos, slots, self.action_horizon, self.n_action_steps)
