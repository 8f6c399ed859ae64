"""The replay policy without the simulator: a dataset written by LeRobotWriter (as record.py
writes it) played back through the runner on a fake env, by seed and blind (`match: first`),
held at its last action past the recording's end, and its card and dataset mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeEnv, fake_task

from arena_eval.cards import parse_policy
from arena_eval.datasets import LeRobotWriter
from arena_eval.errors import UserError
from arena_eval.policies import make_policy
from arena_eval.run import PlannedEpisode, run_task


def _dataset(root, task, seeds_lengths):
    w = LeRobotWriter(root / task.name, fps=50, state={"state.x": 2}, action={"action.a": 1, "action.b": 2}, video={})
    for ep, (seed, n) in enumerate(seeds_lengths):
        a = np.arange(n, dtype=np.float32)[:, None] + 1000 * seed
        w.add_episode(task.instruction, {"state.x": np.zeros((n, 2))}, {"action.a": a, "action.b": np.zeros((n, 2))}, {},
                      info={"arena_eval": {"task": task.name, "episode": ep, "seed": seed, "outcome": "success"}})
    w.close()


def _policy(root, match="seed", h=3):
    return make_policy(parse_policy({"name": "r", "type": "replay", "action_horizon": h, "n_action_steps": h,
                                     "params": {"dataset": str(root), "match": match}}, str(root / "card.yaml")))


@pytest.mark.parametrize("match", ["seed", "first"])
def test_replay_sends_the_recorded_actions_step_by_step(tmp_path, match):
    task = fake_task()
    _dataset(tmp_path, task, [(11, 4), (12, 6)])
    env = FakeEnv(task, 2, lambda s: (8, True))
    pol = _policy(tmp_path, match)
    pol.bind(task, env.single_observation_space, env.single_action_space)
    run_task(env, pol, task, [PlannedEpisode(task.name, 0, 11), PlannedEpisode(task.name, 1, 12)], lambda r: None,
             progress=False)
    sent = np.stack([a["action.a"][:, 0] for a in env.actions])  # [steps, slots]
    # slot 0 runs seed 11, slot 1 seed 12; 8 steps each, the recordings are 4 and 6 long
    want = {"seed": ([11000, 11001, 11002, 11003, 11003, 11003, 11003, 11003],
                     [12000, 12001, 12002, 12003, 12004, 12005, 12005, 12005]),
            "first": ([11000, 11001, 11002, 11003, 11003, 11003, 11003, 11003],) * 2}[match]
    np.testing.assert_array_equal(sent[:, 0], want[0])
    np.testing.assert_array_equal(sent[:, 1], want[1])


def test_replay_mistakes_are_one_line(tmp_path):
    task = fake_task()
    _dataset(tmp_path, task, [(11, 4)])
    env = FakeEnv(task, 1, lambda s: (3, True))
    pol = _policy(tmp_path)
    pol.bind(task, env.single_observation_space, env.single_action_space)
    with pytest.raises(UserError, match="no episode with seed 99"):
        pol.reset(np.array([0]), [99])
    with pytest.raises(UserError, match="params.match"):
        _policy(tmp_path, match="sometimes")
    with pytest.raises(UserError, match="dataset directory not found"):
        _policy(tmp_path / "nope")


class CountingExpert:
    """A fake expert whose action at step t is 100 * (first seed digit) + t."""

    def __init__(self, task, horizon):
        self.horizon = horizon

    def required_obs(self):
        return {}

    def reset(self, slots, seeds):
        self.t = {int(s): 0 for s in slots}
        self.base = {int(s): 100 * (int(seed) % 10) for s, seed in zip(slots, seeds)}

    def act(self, obs, slots):
        out = {"action.a": np.zeros((len(slots), self.horizon, 1), np.float32),
               "action.b": np.zeros((len(slots), self.horizon, 2), np.float32)}
        for row, s in enumerate(slots):
            out["action.a"][row, :, 0] = self.base[int(s)] + self.t[int(s)] + np.arange(self.horizon)
            self.t[int(s)] += self.horizon
        return out


def test_blind_replays_the_experts_first_planned_episode_on_every_seed(monkeypatch):
    from arena_eval import registry
    from arena_eval.run import runner

    monkeypatch.setattr(registry, "expert_names", lambda: {"counting": "test_replay:CountingExpert"})
    task = fake_task(expert="counting")
    env = FakeEnv(task, 2, lambda s: (5, True))
    make_env = lambda t, seed=0: env  # noqa: E731
    monkeypatch.setattr("arena_eval.envs.make_env", make_env)
    pol = make_policy(parse_policy({"name": "b", "type": "blind", "action_horizon": 2, "n_action_steps": 2}, "b.yaml"))
    plan = [PlannedEpisode(task.name, i, s) for i, s in enumerate([runner.episode_seed(3, task.name, 0), 17, 29])]
    with runner.task_env(task, pol, 3) as e:
        first = len(env.actions)  # the expert's own episode ran first, in slot 0
        assert first == 5
        run_task(e, pol, task, plan, lambda r: None, progress=False)
    expert = [a["action.a"][0, 0] for a in env.actions[:first]]
    blind = np.stack([a["action.a"][:, 0] for a in env.actions[first:]])
    np.testing.assert_array_equal(expert, np.arange(5) + 100 * (plan[0].seed % 10))
    np.testing.assert_array_equal(blind[:5, 0], expert)  # episode 0 in slot 0, episode 1 in slot 1: the same actions
    np.testing.assert_array_equal(blind[:5, 1], expert)
