"""The G1 suite on real Isaac Lab (kit-less, CPU): the scripted expert through the whole
harness, camera frames, videos and the report. Slow: one short run shared by the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from arena_eval.records import EPISODES, read_records

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.isaaclab
TASKS = ("g1_pick_place", "g1_lift", "g1_locomanip_pick_place")
N_EPISODES = 4  # per task, all must succeed. One slot: a worker's start-up costs more than its episodes


@pytest.fixture(scope="module")
def g1_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("g1") / "scripted"
    proc = subprocess.run(
        [sys.executable, "scripts/evaluate.py", "--suite", "g1", "--policy", "scripted", "--num-envs", "1",
         "--episodes", str(N_EPISODES), "--seed", "3", "--videos", "1", "--out", str(out), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    return out


def test_scripted_expert_succeeds_by_contact_grasp(g1_run):
    recs = read_records(g1_run / EPISODES)
    assert sorted((r.task, r.episode) for r in recs) == sorted((t, i) for t in TASKS for i in range(N_EPISODES))
    for t in TASKS:
        ok = [r for r in recs if r.task == t and r.outcome == "success"]
        assert len(ok) == N_EPISODES, [(r.task, r.episode, r.outcome, r.reason) for r in recs if r.task == t]
        assert all(r.reason == "term:success" for r in ok)
    # Start states come from the seed: the box jitter is recorded and within +-2 cm.
    for r in recs:
        assert abs(r.init_state["box.root_pos_offset.x"][0]) <= 0.02
        assert abs(r.init_state["box.root_pos_offset.y"][0]) <= 0.02


def test_camera_frame_shows_robot_box_and_bin(g1_run):
    """Saves each task's first ego-camera frame to artifacts/ and checks what is in it."""
    for t in TASKS:
        frame = g1_run / "media" / t / "frame.png"
        assert frame.is_file(), t
        img = np.asarray(Image.open(frame).convert("RGB")).astype(int)
        assert img.shape == (224, 224, 3)
        dest = ROOT / "artifacts" / f"{t}_ego_view.png"
        dest.parent.mkdir(exist_ok=True)
        Image.fromarray(img.astype(np.uint8)).save(dest)
        r, g, b = img[..., 0], img[..., 1], img[..., 2]
        blue_bin = (b > 150) & (r < 100)  # the bin (target)
        brown_box = (r > 100) & (r > g + 25) & (g > b + 15)  # the box (object)
        grey_robot = (abs(r - g) < 12) & (abs(g - b) < 12) & (r > 120)  # the robot's silver links
        assert blue_bin.mean() > 0.005 or t == "g1_lift", f"{t}: no bin in view"
        # The loco-manipulation camera overlooks both tables, so the box is smaller there.
        min_box = 0.004 if t == "g1_locomanip_pick_place" else 0.02
        assert brown_box.mean() > min_box, f"{t}: no box in view ({brown_box.mean():.4f})"
        assert grey_robot.mean() > 0.002, f"{t}: no robot in view"


def test_videos_and_report_frames(g1_run):
    for t in TASKS:
        mp4s = list((g1_run / "media" / t).glob("episode_0000_*.mp4"))
        assert mp4s and mp4s[0].stat().st_size > 10_000
        assert not list((g1_run / "media" / t).glob("episode_0001_*")), "only the first K=1 episodes"
        import imageio.v3 as iio

        frames = iio.imread(mp4s[0])
        assert frames.shape[1:] == (224, 224, 3) and frames.shape[0] > 50
    html = (g1_run / "report.html").read_text()
    assert html.count("data:image/png;base64") >= 2 + len(TASKS)  # plots + one frame per task
    summary = json.loads((g1_run / "summary.json").read_text())
    assert {t["task"] for t in summary["tasks"]} == set(TASKS)


REST_PROBE = r"""
import json, sys
import numpy as np
from arena_eval.envs import make_env
from arena_eval.envs.tasks.g1.planner import ready_targets
from arena_eval.cards import load_suite, override

task = override(load_suite("g1"), num_envs=3, backend="isaaclab").task("g1_pick_place")  # reads the scene in-process
env = make_env(task)
box = env.env.scene["box"].data
hold = ready_targets().astype(np.float32)
act = {"action.left_arm": hold[:7], "action.right_arm": hold[7:14], "action.waist": hold[14:]}
act = {k: np.tile(v, (3, 1)) for k, v in act.items()}
moves = []
for seeds in ([11, 12, 13], [14, 15, 16]):
    env.reset_to(np.arange(3), seeds)
    p0 = box.root_pos_w.torch.numpy().copy()
    for _ in range(10):
        env.step_eval(act)
    d = box.root_pos_w.torch.numpy() - p0
    moves += [[float(np.linalg.norm(r[:2])), float(r[2])] for r in d]
print(json.dumps(moves))
"""


def test_box_rests_after_a_state_write():
    """A box written onto the table (any jitter) with the robot holding its ready pose stays
    put: nothing of the scene overlaps its start footprint. (A bin placed over a corner of
    it once kicked it at 0.8 m/s at the first step, and cost lifts at random.)"""
    proc = subprocess.run([sys.executable, "-c", REST_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    moves = json.loads(proc.stdout.strip().splitlines()[-1])
    # Over 0.2 s the box may only settle the 1 mm it is spawned above the table top.
    assert all(xy < 0.002 and -0.003 < dz < 0.001 for xy, dz in moves), moves
