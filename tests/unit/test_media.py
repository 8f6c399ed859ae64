"""Episode videos: the first K episodes per task, one mp4 per camera, and a frame."""

from __future__ import annotations

import numpy as np

from arena_eval.run.media import MediaRecorder


def frames(n_slots, value):
    return {"video.ego": np.full((n_slots, 32, 32, 3), value, np.uint8)}


def test_records_only_the_first_k_episodes(tmp_path):
    rec = MediaRecorder(tmp_path, ["video.ego"], max_episodes=2, fps=10)
    rec.start(0, 0, frames(2, 10))
    rec.start(1, 5, frames(2, 20))  # episode 5 >= K: not recorded
    for v in range(30, 40):
        rec.step(frames(2, v), [0, 1])
    rec.finish(0)
    rec.finish(1)
    rec.start(0, 1, frames(2, 50))
    rec.step(frames(2, 60), [0])
    rec.finish(0)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["episode_0000_ego.mp4", "episode_0001_ego.mp4", "frame.png"]
    import imageio.v3 as iio

    video = iio.imread(tmp_path / "episode_0000_ego.mp4")
    assert video.shape == (11, 32, 32, 3)
    assert abs(int(iio.imread(tmp_path / "frame.png")[0, 0, 0]) - 10) <= 2  # the first frame of episode 0


def test_no_cameras_records_nothing(tmp_path):
    rec = MediaRecorder(tmp_path / "m", [], max_episodes=2, fps=10)
    rec.start(0, 0, {})
    rec.step({}, [0])
    rec.finish(0)
    assert not (tmp_path / "m").exists()
