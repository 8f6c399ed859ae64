"""The `replay` policy: plays recorded actions back, open loop (it reads no observation).

Card::

    name: replay-expert
    type: replay
    action_horizon: 16
    n_action_steps: 16
    params:
      dataset: results/demos       # a LeRobot v2 dataset, or a root with one per task (<root>/<task>/),
                                   # as scripts/record.py writes them
      match: seed                  # seed: each episode replays the recording of the same seed (the
                                   #   harness's determinism self-test: the outcomes must repeat);
                                   # first: every episode replays the task's first recorded episode
                                   #   (a "blind" baseline: it succeeds only where the start state
                                   #   hardly matters)

The recorded action of step t is sent at step t of the episode (the dataset holds the actions
the env received); past the recording's end the last action is held. Episodes come from
`meta/episodes.jsonl` with the `arena_eval` entry record.py writes (task, episode, seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..cards import TaskSpec
from ..errors import UserError
from .base import Policy

MATCHES = ("seed", "first")


def play(episodes: dict[int, dict[str, np.ndarray]], pos: dict[int, int], slots: np.ndarray, horizon: int,
         executed: int) -> dict[str, np.ndarray]:
    """The next chunk of each slot's recorded actions ({key: [T, D]}), from its position on;
    past the recording's end the last action is held. Positions advance by the executed steps."""
    rows = []
    for slot in slots:
        ep, t = episodes[int(slot)], pos[int(slot)]
        n = len(next(iter(ep.values())))
        idx = np.minimum(np.arange(t, t + horizon), n - 1)
        rows.append({k: v[idx] for k, v in ep.items()})
        pos[int(slot)] = t + executed
    return {k: np.stack([r[k] for r in rows]).astype(np.float32) for k in rows[0]}


class ReplayPolicy(Policy):
    def __init__(self, spec):
        super().__init__(spec)
        p = dict(spec.params)
        unknown = sorted(set(p) - {"dataset", "match"})
        if unknown:
            raise UserError(f"unknown parameter {unknown[0]!r} (known: dataset, match)", where=spec.source,
                            field="params")
        if not p.get("dataset"):
            raise UserError("missing required field", where=spec.source, field="params.dataset")
        root = Path(str(p["dataset"])).expanduser()
        if not root.is_absolute() and spec.source:
            card_dir = Path(spec.source).parent
            root = root if root.exists() else card_dir / root
        self.root = root
        self.match = str(p.get("match", "seed"))
        if self.match not in MATCHES:
            raise UserError(f"expected one of {', '.join(MATCHES)}, got {self.match!r}", where=spec.source,
                            field="params.match")
        if not self.root.is_dir():
            raise UserError("dataset directory not found", where=str(self.root), field="params.dataset")
        self._chunks: dict[int, dict[str, np.ndarray]] = {}
        self._pos: dict[int, int] = {}

    def _dataset_dir(self, task: TaskSpec) -> Path:
        for d in (self.root / task.base_name, self.root):
            if (d / "meta" / "episodes.jsonl").is_file():
                return d
        raise UserError(f"no recorded dataset for task {task.name!r} (looked for {self.root / task.base_name} and "
                        f"{self.root})", where=self.spec.source, field="params.dataset")

    def bind(self, task: TaskSpec, obs_space, act_space) -> None:
        from ..datasets import LeRobotDataset

        super().bind(task, obs_space, act_space)
        ds = LeRobotDataset(self._dataset_dir(task))
        missing = [k for k, a in task.actions.items() if a.required and k not in ds.keys("action")]
        if missing:
            raise UserError(f"the recording lacks action key(s) {', '.join(missing)} of task {task.name!r}",
                            where=str(ds.root))
        self._ds = ds
        self._by_seed: dict[int, int] = {}
        order: list[tuple[int, int]] = []
        for i, ep in enumerate(ds.episodes):
            info = ep.get("arena_eval") or {}
            if info.get("task", task.base_name) != task.base_name:
                continue
            if "seed" in info:
                self._by_seed[int(info["seed"])] = i
            order.append((int(info.get("episode", i)), i))
        if not order:
            raise UserError(f"the recording holds no episode of task {task.base_name!r}", where=str(ds.root))
        self._first = min(order)[1]
        self._cache: dict[int, dict[str, np.ndarray]] = {}

    def _episode(self, i: int) -> dict[str, np.ndarray]:
        if i not in self._cache:
            ep = self._ds.load(i, video=False)
            assert self.task is not None
            self._cache[i] = {k: ep[k] for k in self.task.actions if k in ep}
        return self._cache[i]

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        for slot, seed in zip(slots, seeds):
            if self.match == "first":
                i = self._first
            elif int(seed) in self._by_seed:
                i = self._by_seed[int(seed)]
            else:
                raise UserError(f"the recording has no episode with seed {seed} (match: seed replays each planned "
                                "episode's own recording; record the same plan, or use match: first)",
                                where=str(self._ds.root))
            self._chunks[int(slot)] = self._episode(i)
            self._pos[int(slot)] = 0

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        return play(self._chunks, self._pos, slots, self.action_horizon, self.n_action_steps)

    def checkpoint_files(self) -> list[str]:
        """The recording is what produces the actions: its files are hashed into the run."""
        return sorted(str(p) for p in self.root.rglob("*") if p.is_file() and p.suffix in (".parquet", ".jsonl", ".json"))
