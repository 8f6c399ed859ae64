"""What the GR00T adapters of every generation share: card helpers (one-line errors naming the
card and field), the device and dtype, `bind` (keys and shapes checked against the task before
the first episode, joint groups mapped through the card), and the per-episode noise seeding.

`policy.Gr00tPolicy` (N1, N1.5) and `policy_n1x.Gr00tN1xPolicy` (N1.6, N1.7) build on it; each
sets `spec`, `where`, `tag`, `video`, `state`, `action` (KeySpecs), `noise_mode` and `model`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NoReturn

import gymnasium as gym
import numpy as np
import torch

from ...errors import UserError
from ...specs import PolicySpec, TaskSpec
from ..base import Policy

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def card_path(spec: PolicySpec, value: str) -> Path:
    """A path from a card: `~` expanded, relative paths relative to the card's directory."""
    p = Path(value).expanduser()
    if not p.is_absolute() and spec.source:
        p = Path(spec.source).resolve().parent / p
    return p


@dataclasses.dataclass
class _Slot:
    episode_seed: int
    calls: int = 0


class Gr00tAdapter(Policy):
    def _err(self, msg: str, field: str) -> NoReturn:
        raise UserError(msg, where=self.where, field=field)

    def _path(self, value: str) -> Path:
        return card_path(self.spec, value)

    def _int(self, p: dict, name: str, default: int) -> int:
        v = p.get(name, default)
        if v is None:
            v = default
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            self._err(f"expected an integer >= 1, got {v!r}", f"params.{name}")
        return v

    def _float(self, p: dict, name: str, default: float) -> float:
        v = p.get(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            self._err(f"expected a number in (0, 1], got {v!r}", f"params.{name}")
        return float(v)

    def _choice(self, p: dict, name: str, options: tuple[str, ...], default: str) -> str:
        v = p.get(name) or default
        if v not in options:
            self._err(f"expected one of {options}, got {v!r}", f"params.{name}")
        return v

    def _device(self, name: str) -> torch.device:
        try:
            dev = torch.device(name)
        except RuntimeError:
            self._err(f"unknown device {name!r}", "device")
        if dev.type == "cuda" and not torch.cuda.is_available():
            self._err(f"device {name!r} requested but CUDA is not available", "device")
        if dev.type not in ("cpu", "cuda"):
            self._err(f"device {name!r} is not supported (cpu, cuda)", "device")
        return dev

    def bind(self, task: TaskSpec, obs_space: gym.spaces.Dict, act_space: gym.spaces.Dict) -> None:
        ours = f"policy {self.spec.name!r} (checkpoint embodiment {self.tag!r})"
        for key, shape in self.required_obs().items():
            if key not in obs_space.spaces:
                raise UserError(
                    f"{ours} needs {key} but task {task.name!r} provides only "
                    f"{', '.join(obs_space.spaces) or 'nothing'}",
                    where=self.where,
                )
            have = tuple(obs_space.spaces[key].shape)
            if shape is not None and have != tuple(shape):
                raise UserError(
                    f"{ours} expects {key} of shape {tuple(shape)}, task {task.name!r} gives {have}", where=self.where
                )
        theirs = {k: int(s.shape[0]) for k, s in act_space.spaces.items()}
        for k in self.state:
            if k.index is not None and int(obs_space.spaces[k.suite_key].shape[0]) <= max(k.index):
                raise UserError(
                    f"{ours} reads dims {list(k.index)} of {k.suite_key}, task {task.name!r} gives "
                    f"{obs_space.spaces[k.suite_key].shape[0]}",
                    where=self.where,
                )
        for k in self.action:  # a mapped joint group is as wide as the task's key
            if k.index is not None and k.suite_key in theirs:
                if theirs[k.suite_key] <= max(k.index):
                    raise UserError(
                        f"{ours} writes dims {list(k.index)} of {k.suite_key}, task {task.name!r} takes "
                        f"{theirs[k.suite_key]}",
                        where=self.where,
                    )
                k.suite_dim = theirs[k.suite_key]
        mine = {k.suite_key: (k.dim if k.index is None else k.suite_dim) for k in self.action}
        # Every key the env takes, but those the task card ignores or fills may be left out
        # (a checkpoint trained without them); no key the env does not take.
        optional = {k for k, a in task.actions.items() if not a.required}
        if set(mine) - set(theirs) or set(theirs) - set(mine) - optional:
            raise UserError(
                f"{ours} outputs {sorted(mine)} but task {task.name!r} takes {sorted(theirs)}"
                + (f" (of which {', '.join(sorted(optional))} may be left out)" if optional else ""),
                where=self.where,
            )
        for k, d in mine.items():
            if theirs[k] != d:
                raise UserError(
                    f"{ours} outputs {k} of dim {d}, task {task.name!r} takes dim {theirs[k]}", where=self.where
                )
        self.task = task
        self.action_space = act_space

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        for slot, seed in zip(slots, seeds, strict=True):
            self._slots[int(slot)] = _Slot(int(seed))

    def _seed(self, *parts: int) -> int:
        ss = np.random.SeedSequence(entropy=self.spec.seed % 2**64, spawn_key=tuple(int(x) % 2**64 for x in parts))
        return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))

    def _noise(self, slots: np.ndarray) -> torch.Tensor:
        rows = []
        for slot in slots:
            st = self._slots.setdefault(int(slot), _Slot(2**32 + int(slot)))  # not reset: a slot-derived seed
            rows.append((st.episode_seed, st.calls))
            st.calls += 1
        if self.noise_mode == "per_call":
            g = torch.Generator().manual_seed(self._seed(*(x for r in rows for x in r)))
            return self.model.initial_noise(len(rows), g)
        return torch.cat([self.model.initial_noise(1, torch.Generator().manual_seed(self._seed(*r))) for r in rows])
