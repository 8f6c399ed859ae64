"""Reset hygiene: every episode must start from what a fresh world gives for its seed.

State carried across episodes in one process inflates or deflates rates silently (a study of
another harness found a checkpoint succeeding 10/12 times as the first episode of a process and
1/24 later: the first camera frame after a reset was the previous episode's last). The check,
per env slot:

- the slot's first reset happens in a fresh world: its seed and first observation (states and
  camera frames) become the slot's reference;
- before every later reset, the slot is reset to the reference seed once more and must give
  the reference observation exactly (the world is deterministic); anything else (a stale frame,
  a state not written back) is a fault, and the next episode is recorded as an error
  (`outcomes.RESET_HYGIENE`) instead of being run on a world that carries the past.

Frames are compared where the slot's cameras were read since its last reset (a state-only
policy costs no extra render), and only with one env per world: in one process with several
envs, a camera may see a neighbour's robot, whose pose is no function of this slot's seed.

`ARENA_EVAL_INJECT=stale_frame` (a test hook, never set in normal runs) makes the first frame
read after each reset the last frame read before it: the fault the check exists for.
"""

from __future__ import annotations

import os

import numpy as np

from ..outcomes import RESET_HYGIENE


class ResetCheck:
    def __init__(self, num_envs: int, frames: bool):
        self.frames = frames
        self._ref: dict[int, tuple[int, dict[str, np.ndarray]]] = {}
        self._stale = os.environ.get("ARENA_EVAL_INJECT", "") == "stale_frame"
        self._last_frames: dict[str, np.ndarray] | None = None
        self._pending = False

    def has_reference(self, slot: int) -> bool:
        return slot in self._ref

    def reference_seed(self, slot: int) -> int:
        return self._ref[slot][0]

    def frames_wanted(self, slots: np.ndarray) -> bool:
        """A reference is being taken: it includes the frames, so later checks can compare them."""
        return any(int(s) not in self._ref for s in slots)

    def _keep(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: np.array(v, copy=True) for k, v in obs.items() if self.frames or not k.startswith("video.")}

    def set_reference(self, slot: int, seed: int, obs: dict[str, np.ndarray]) -> None:
        self._ref[slot] = (seed, self._keep(obs))

    def compare(self, slot: int, obs: dict[str, np.ndarray]) -> str | None:
        """Why `obs` (the slot reset to its reference seed) is not the fresh world's, or None."""
        seed, ref = self._ref[slot]
        for key, want in ref.items():
            if key not in obs:
                continue  # frames not read this time
            got = np.asarray(obs[key])
            if got.shape != want.shape or not np.array_equal(got, want):
                diff = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max()) if got.shape == want.shape else None
                what = f"max |diff| {diff:g}" if diff is not None else f"shape {got.shape} vs {want.shape}"
                return (f"{RESET_HYGIENE}: reset to seed {seed} again, {key} differs from the fresh world's "
                        f"first observation ({what})")
        return None

    def after_reset(self, slots: np.ndarray) -> None:
        self._pending = True

    def inject(self, frames: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The frames read now (the stale-frame test hook swaps in the pre-reset ones)."""
        if self._stale and self._pending and self._last_frames is not None:
            frames = self._last_frames
        self._pending = False
        self._last_frames = {k: np.array(v, copy=True) for k, v in frames.items()}
        return frames
