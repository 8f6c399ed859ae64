"""LeRobot v2 datasets: writer and reader round trips, GR00T's meta files, the runner trace
(fake env); and `scripts/record.py` on real Isaac Lab (smoke suite)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEnv, fake_task

from arena_eval.cards import PolicySpec
from arena_eval.datasets import EpisodeTrace, LeRobotDataset, LeRobotWriter, compute_stats, dataset_layout
from arena_eval.errors import UserError
from arena_eval.policies import Policy
from arena_eval.run import PlannedEpisode, run_task

ROOT = Path(__file__).resolve().parents[2]


def episode(t, seed=0):
    rng = np.random.default_rng(seed)
    return (
        {"state.arm": rng.normal(size=(t, 3)).astype(np.float32), "state.hand": rng.normal(size=(t, 2)).astype(np.float32)},
        {"action.arm": rng.normal(size=(t, 3)).astype(np.float32), "action.base": rng.normal(size=(t, 1)).astype(np.float32)},
        {"video.ego": rng.integers(0, 255, size=(t, 32, 48, 3), dtype=np.uint8)},
    )


def writer(root, video=True):
    return LeRobotWriter(root, fps=20, state={"state.arm": 3, "state.hand": 2}, action={"action.arm": 3, "action.base": 1},
                         video={"video.ego": (32, 48, 3)} if video else {})


def test_round_trip_and_gr00t_meta(tmp_path):
    w = writer(tmp_path / "ds")
    eps = [episode(5, 0), episode(7, 1)]
    for i, (s, a, v) in enumerate(eps):
        assert w.add_episode("lift the box" if i == 0 else "place it", s, a, v, info={"seed": i}) == i
    w.close()
    meta = tmp_path / "ds" / "meta"
    modality = json.loads((meta / "modality.json").read_text())
    assert modality["state"] == {"arm": {"start": 0, "end": 3}, "hand": {"start": 3, "end": 5}}
    assert modality["action"] == {"arm": {"start": 0, "end": 3}, "base": {"start": 3, "end": 4}}
    assert modality["video"] == {"ego": {"original_key": "observation.images.ego"}}
    assert modality["annotation"] == {"human.task_description": {}}
    info = json.loads((meta / "info.json").read_text())
    assert info["total_episodes"] == 2 and info["total_frames"] == 12 and info["total_tasks"] == 2
    assert info["features"]["observation.state"]["shape"] == [5] and info["features"]["action"]["shape"] == [4]
    assert info["features"]["observation.images.ego"]["shape"] == [32, 48, 3]
    assert (tmp_path / "ds/data/chunk-000/episode_000001.parquet").is_file()
    assert (tmp_path / "ds/videos/chunk-000/observation.images.ego/episode_000001.mp4").is_file()
    assert [json.loads(x)["task"] for x in (meta / "tasks.jsonl").read_text().splitlines()] == ["lift the box", "place it"]
    assert [json.loads(x)["length"] for x in (meta / "episodes.jsonl").read_text().splitlines()] == [5, 7]

    ds = LeRobotDataset(tmp_path / "ds")
    assert len(ds) == 2 and ds.keys("state") == ["state.arm", "state.hand"]
    for i, (s, a, v) in enumerate(eps):
        got = ds.load(i)
        for k in (*s, *a):
            np.testing.assert_array_equal(got[k], {**s, **a}[k])
        assert got["video.ego"].shape == v["video.ego"].shape  # lossy codec: shape, not pixels
        assert np.abs(got["video.ego"].astype(int) - v["video.ego"]).mean() < 60
    assert ds.load(1)["annotation"] == "place it"


def test_stats_are_over_every_frame(tmp_path):
    w = writer(tmp_path / "ds", video=False)
    eps = [episode(50, 0), episode(30, 1)]
    for s, a, v in eps:
        w.add_episode("x", s, a, v)
    w.close()
    stats = json.loads((tmp_path / "ds/meta/stats.json").read_text())
    assert stats == compute_stats(tmp_path / "ds")
    allact = np.concatenate([np.concatenate([a["action.arm"], a["action.base"]], 1) for _, a, _ in eps])
    np.testing.assert_allclose(stats["action"]["mean"], allact.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats["action"]["q99"], np.quantile(allact, 0.99, axis=0), rtol=1e-5)
    assert set(stats["observation.state"]) == {"mean", "std", "min", "max", "q01", "q99"}


def test_mismatched_arrays_and_used_dirs_are_refused(tmp_path):
    w = writer(tmp_path / "ds")
    s, a, v = episode(5)
    a["action.arm"] = a["action.arm"][:4]
    with pytest.raises(ValueError, match="disagree"):
        w.add_episode("x", s, a, v)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "f").write_text("x")
    with pytest.raises(UserError, match="holds files already"):
        writer(tmp_path / "used")
    with pytest.raises(UserError, match="no meta/info.json"):
        LeRobotDataset(tmp_path / "used")


class EchoPolicy(Policy):
    """Action a = 10 * x[0] + step, so recorded actions can be checked against states."""

    def __init__(self):
        super().__init__(PolicySpec(name="echo", type="zero"))

    def get_action(self, obs, slots):
        x = obs["state.x"][:, -1]
        return {"action.a": (10 * x[:, :1] + x[:, 1:2])[:, None].astype(np.float32),
                "action.b": np.zeros((len(slots), 1, 2), np.float32)}


def test_trace_records_the_action_taken_on_each_observation(tmp_path):
    task = fake_task()
    lengths = {1: (4, True), 2: (6, False), 3: (3, True)}
    env = FakeEnv(task, 2, lambda s: lengths[s])
    state, action, video = dataset_layout(task, env.single_observation_space)
    w = LeRobotWriter(tmp_path / "ds", fps=50, state=state, action=action, video=video)
    trace = EpisodeTrace(task, w, only_success=True)
    plan = [PlannedEpisode(task.name, i, s) for i, s in enumerate(lengths)]
    run_task(env, EchoPolicy(), task, plan, lambda r: None, progress=False, trace=trace)
    w.close()
    assert (trace.kept, trace.skipped) == (2, 1)
    ds = LeRobotDataset(tmp_path / "ds")
    got = sorted((ds.load(i) for i in range(len(ds))), key=lambda e: len(e["state.x"]))
    assert [len(e["state.x"]) for e in got] == [3, 4]  # the seeds' lengths; the failure left out
    for e in got:
        x = e["state.x"]
        np.testing.assert_allclose(e["action.a"][:, 0], 10 * x[:, 0] + x[:, 1])
        np.testing.assert_array_equal(x[:, 1], np.arange(len(x)))  # first row is the reset observation
    assert [ep["arena_eval"]["outcome"] for ep in ds.episodes] == ["success", "success"]


@pytest.mark.isaaclab
def test_record_script_on_the_smoke_suite(tmp_path):
    out = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "record.py"), "--suite", "smoke", "--policy", "scripted",
         "--num-envs", "2", "--episodes", "3", "--seed", "5", "--out", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    ds = LeRobotDataset(out / "cartpole_balance")
    assert len(ds) == 3
    ran = json.loads((out / "cartpole_balance/meta/arena_eval.json").read_text())
    assert [e["outcome"] for e in ran["episodes"]] == ["success"] * 3
    from arena_eval.envs.tasks.cartpole.expert import CartpoleBalance

    gains = CartpoleBalance.GAINS
    for i in range(3):
        e = ds.load(i)
        assert len(e["state.pole"]) == 200 and e["annotation"] == "keep the pole upright"
        # The recorded action is the expert's on the recorded state: rows line up.
        u = np.clip(sum(g * e[k][:, 0] for k, g in gains.items()), -1, 1)
        np.testing.assert_allclose(e["action.cart_force"][:, 0], u, rtol=1e-5, atol=1e-6)


def test_action_noise_stays_in_bounds_but_never_pulls_the_policy_back():
    """DART noise is bounded by the card's bounds, yet an action the policy itself sends
    beyond them (an expert's elbow past the random policy's +-1.5 rad) is kept as sent."""
    from types import SimpleNamespace

    from arena_eval.datasets.record import NoisyActions

    sent = []
    env = SimpleNamespace(step_eval=lambda a: sent.append(a))
    slot = SimpleNamespace(ignore=False, low=np.full(3, -1.5, np.float32), high=np.full(3, 1.5, np.float32))
    task = SimpleNamespace(actions={"action.arm": slot, "action.hand": SimpleNamespace(ignore=True)})
    noisy = NoisyActions(env, task, sigma=0.5, seed=0)
    clean = np.tile(np.array([[0.0, 1.5, 2.4]], np.float32), (200, 1))
    hand = np.ones((200, 2), np.float32)
    noisy.step_eval({"action.arm": clean, "action.hand": hand})
    got = sent[0]["action.arm"]
    assert got.dtype == np.float32 and np.array_equal(sent[0]["action.hand"], hand)
    assert got[:, :2].min() >= -1.5 and got[:, :2].max() <= 1.5 and got[:, 0].std() > 0.3
    assert got[:, 2].min() >= -1.5 and got[:, 2].max() <= 2.4 and (got[:, 2] < 2.4).any()
    assert np.isclose(got[:, 2], 2.4).sum() > 50  # noise past the policy's own value is clipped there
