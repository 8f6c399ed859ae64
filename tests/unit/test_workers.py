"""The worker backend (envs/workers.py) with a fake one-world simulator in real worker
processes: slots are independent worlds, cameras render only when read, a dead or hung
worker ends only its own episode as an error and is replaced, card mistakes stay one line."""

from __future__ import annotations

import numpy as np
import pytest
from fake_worlds import episode_length, fake_worker
from fakes import fake_task

from arena_eval.cards import PolicySpec
from arena_eval.envs.workers import WorkerVectorEnv
from arena_eval.errors import UserError
from arena_eval.policies import Policy
from arena_eval.run import PlannedEpisode, run_task


def task(**kw):
    return fake_task(
        max_steps=30, env={"id": kw.pop("env_id", "Fake-v0"), "num_envs": 2, "backend": "isaaclab_workers"},
        observations={"state.x": {"source": "policy"}, "video.cam": {"source": "camera:cam"}},
        actions={"action.a": {"dim": 1, "low": -100, "high": 100}}, **kw,
    )


class ScriptPolicy(Policy):
    """Action 1 everywhere, except `bad[seed] = (call, value)`: that value on that call of
    that episode. Reads the camera at every call, as a visual policy does."""

    def __init__(self, bad=None, read_video=True):
        super().__init__(PolicySpec(name="script", type="zero", action_horizon=3, n_action_steps=3))
        self.bad, self.read_video, self.calls, self.seeds, self.frames = bad or {}, read_video, {}, {}, []
        self.renders_seen: list[float] = []

    def required_obs(self):
        return {"video.cam": None} if self.read_video else {}

    def reset(self, slots, seeds):
        for s, seed in zip(slots, seeds):
            self.seeds[int(s)], self.calls[int(s)] = int(seed), 0

    def get_action(self, obs, slots):
        self.renders_seen += obs["state.x"][:, -1, 2].tolist()  # renders so far in each episode
        if self.read_video:
            self.frames.append(np.asarray(obs["video.cam"]))
        else:
            assert "video.cam" not in obs
        out = np.ones((len(slots), 3, 1), np.float32)
        for row, s in enumerate(slots):
            seed = self.seeds[int(s)]
            call, value = self.bad.get(seed, (-1, 0))
            if self.calls[int(s)] == call:
                out[row] = value
            self.calls[int(s)] += 1
        return {"action.a": out}


def run(num_envs, seeds, policy=None, t=None, **kw):
    t = t or task()
    env = WorkerVectorEnv(t, num_envs=num_envs, seed=0, worker_target=fake_worker, **kw)
    policy = policy or ScriptPolicy()
    policy.bind(t, env.single_observation_space, env.single_action_space)
    recs = []
    try:
        run_task(env, policy, t, [PlannedEpisode(t.name, i, s) for i, s in enumerate(seeds)], recs.append, progress=False)
        mem = env.peak_memory()
    finally:
        env.close()
    return sorted(recs, key=lambda r: r.episode), env, mem


SEEDS = [10, 23, 31, 42, 57, 64, 70]


def test_outcomes_and_start_states_do_not_depend_on_the_number_of_workers():
    one, _, _ = run(1, SEEDS)
    three, _, mem = run(3, SEEDS)
    key = lambda rs: [(r.episode, r.seed, r.outcome, r.reason, r.steps, r.init_state) for r in rs]  # noqa: E731
    assert key(one) == key(three)
    assert [r.steps for r in one] == [episode_length(s) for s in SEEDS]
    assert [r.outcome for r in one] == ["success" if s % 2 == 0 else "failure" for s in SEEDS]
    assert {r.slot for r in three} == {0, 1, 2}
    assert mem["workers"] == 3 and len(mem["worker_peak_rss_mb"]) == 3 and min(mem["worker_peak_rss_mb"]) > 0


def test_cameras_render_only_when_read():
    t = task()
    env = WorkerVectorEnv(t, num_envs=2, seed=0, worker_target=fake_worker)
    try:
        obs, _ = env.reset_to(np.array([0, 1]), [3, 4])
        for _ in range(3):  # nobody reads the camera: nothing renders
            r = env.step_eval({"action.a": np.ones((2, 1), np.float32)})
        assert r.obs["state.x"][:, 2].tolist() == [0, 0]
        frame = r.obs["video.cam"][1]  # one slot read: only its world renders, once
        assert frame.shape == (8, 8, 3) and int(frame[0, 0, 0]) == (3 + 40) % 256
        assert np.array_equal(r.obs["video.cam"][[1]][0], frame)
        r2 = env.step_eval({"action.a": np.ones((2, 1), np.float32)})
        assert r2.obs["state.x"][:, 2].tolist() == [0, 1]
        with pytest.raises(RuntimeError, match="after a later step"):
            r.obs["video.cam"][0]
        both = np.asarray(r2.obs["video.cam"])  # the whole batch, as the runner reads it
        assert both.shape == (2, 8, 8, 3) and int(both[0, 0, 0, 0]) == (4 + 30) % 256
    finally:
        env.close()


def test_the_runner_renders_frames_only_for_policies_that_read_them():
    p = ScriptPolicy(read_video=False)
    run(2, SEEDS, policy=p)
    assert p.renders_seen and max(p.renders_seen) == 0
    p = ScriptPolicy(read_video=True)
    run(2, SEEDS, policy=p)
    # One frame per policy call (every 3 steps), rendered when the call read it.
    assert max(p.renders_seen) == max(-(-episode_length(s) // 3) for s in SEEDS) - 1
    assert all(f.shape[1:] == (1, 8, 8, 3) for f in p.frames)


def test_a_dead_worker_ends_only_its_episode_as_error_and_is_replaced():
    recs, env, mem = run(2, SEEDS, policy=ScriptPolicy(bad={31: (1, 99)}))
    assert [r.episode for r in recs] == list(range(len(SEEDS)))  # every planned episode, once
    bad = [r for r in recs if r.seed == 31]
    assert bad[0].outcome == "error" and bad[0].reason.startswith("error:worker") and "died" in bad[0].reason
    ok = [r for r in recs if r.seed != 31]
    assert [r.outcome for r in ok] == ["success" if r.seed % 2 == 0 else "failure" for r in ok]
    assert [r.steps for r in ok] == [episode_length(r.seed) for r in ok]
    assert env.restarts == 1 and mem["restarts"] == 1


def test_a_hung_worker_times_out_and_an_exception_ends_only_its_episode():
    recs, env, _ = run(2, SEEDS[:4], policy=ScriptPolicy(bad={23: (1, 77), 42: (0, 55)}), timeout=5.0)
    by_seed = {r.seed: r for r in recs}
    assert by_seed[23].outcome == "error" and "no answer" in by_seed[23].reason
    assert by_seed[42].outcome == "error" and "non-finite qacc" in by_seed[42].reason
    assert by_seed[10].outcome == "success" and by_seed[31].outcome == "failure"
    assert env.restarts == 2


def test_a_card_mistake_in_a_worker_is_one_user_error():
    with pytest.raises(UserError, match="no termination term 'success'"):
        WorkerVectorEnv(task(env_id="Broken-v0"), num_envs=2, seed=0, worker_target=fake_worker)
