"""Episode videos and frames: the first K episodes of a task with a camera, as mp4.

Written to `<run>/media/<task>/`: `episode_<i>_<camera>.mp4` per recorded episode and
camera, and `frame.png`, the first frame of the first recorded episode, which the report
shows beside the task's row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np


class MediaRecorder:
    """`on_written(path)` is called after each file is complete (Ray workers send it on)."""

    def __init__(self, out_dir: Path, camera_keys: list[str], max_episodes: int, fps: float,
                 on_written: Callable[[Path], None] | None = None):
        self.out_dir = Path(out_dir)
        self.on_written = on_written
        self.keys = camera_keys
        self.max_episodes = max_episodes
        self.fps = fps
        self.frames: dict[int, dict[str, list[np.ndarray]]] = {}  # slot -> key -> frames
        self.episode: dict[int, int] = {}

    @classmethod
    def for_task(cls, out_dir: Path, task, env, max_episodes: int,
                 on_written: Callable[[Path], None] | None = None) -> "MediaRecorder":
        """A recorder of the task's cameras at the env's control rate."""
        cams = [k for k in task.observations if k.startswith("video.")]
        return cls(out_dir, cams, max_episodes, fps=1.0 / getattr(env, "step_dt", 0.02), on_written=on_written)

    @property
    def active(self) -> bool:
        return bool(self.keys) and self.max_episodes > 0

    def start(self, slot: int, episode: int, obs: dict[str, np.ndarray]) -> None:
        self.frames.pop(slot, None)
        if self.active and episode < self.max_episodes:
            self.episode[slot] = episode
            self.frames[slot] = {k: [obs[k][slot].copy()] for k in self.keys}

    def step(self, obs: dict[str, np.ndarray], slots: list[int]) -> None:
        """Add this step's frame for the given slots (whose episodes did not just end)."""
        for s in slots:
            if s in self.frames:
                for k in self.keys:
                    self.frames[s][k].append(obs[k][s].copy())

    def finish(self, slot: int) -> None:
        frames = self.frames.pop(slot, None)
        if frames is None:
            return
        import imageio.v2 as imageio

        ep = self.episode.pop(slot)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for key, seq in frames.items():
            cam = key.split(".", 1)[1]
            path = self.out_dir / f"episode_{ep:04d}_{cam}.mp4"
            with imageio.get_writer(path, fps=self.fps, codec="libx264", quality=6, macro_block_size=8) as w:
                for f in seq:
                    w.append_data(f)
            written = [path]
            if ep == 0 and key == self.keys[0]:
                imageio.imwrite(self.out_dir / "frame.png", seq[0])
                written.append(self.out_dir / "frame.png")
            if self.on_written is not None:
                for f in written:
                    self.on_written(f)
