"""Unit tests of the runner's scheduling against a fake env."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeEnv, fake_task

from arena_eval.cards import PolicySpec, parse_suite
from arena_eval.errors import SimulatorError, UserError
from arena_eval.policies import Policy
from arena_eval.run import PlannedEpisode, episode_seed, make_plan, run_task


class CountingPolicy(Policy):
    """Returns chunks whose values encode (call number, row, step) so execution order shows."""

    def __init__(self, horizon=1, n_exec=1, fail_on_call=None, bad_shape=False):
        super().__init__(PolicySpec(name="counting", type="zero", action_horizon=horizon, n_action_steps=n_exec))
        self.calls: list[list[int]] = []
        self.resets: list[tuple[list[int], list[int]]] = []
        self.fail_on_call = fail_on_call
        self.bad_shape = bad_shape

    def reset(self, slots, seeds):
        self.resets.append((list(map(int, slots)), list(seeds)))

    def get_action(self, obs, slots):
        self.calls.append(list(map(int, slots)))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise ValueError("policy blew up")
        assert obs["state.x"].shape == (len(slots), 1, 2)  # time axis added by the runner
        assert obs["annotation.human.task_description"] == ["do the thing"] * len(slots)
        b, h = len(slots), self.action_horizon
        step = np.arange(h, dtype=np.float32)[None, :, None]
        call = float(len(self.calls))
        a = np.broadcast_to(call * 100 + step, (b, h, 1)).copy()
        bb = np.zeros((b, h, 2 if not self.bad_shape else 3), np.float32)
        return {"action.a": a, "action.b": bb}


def plan_for(task, seeds):
    return [PlannedEpisode(task.name, i, s) for i, s in enumerate(seeds)]


def run(env, policy, task, plan):
    records = []
    timing = run_task(env, policy, task, plan, records.append, progress=False)
    return records, timing


def test_every_planned_episode_is_counted_once_with_an_early_finisher():
    task = fake_task()
    # seed -> (length, success): long failures and short successes, the case that biases
    # "stop after the first E episodes" harnesses.
    lengths = {1: (30, False), 2: (3, True), 3: (3, True), 4: (3, True), 5: (30, False), 6: (4, True)}
    env = FakeEnv(task, 2, lambda s: lengths[s])
    records, _ = run(env, CountingPolicy(), task, plan_for(task, list(lengths)))
    assert sorted(r.episode for r in records) == list(range(6))
    by_seed = {r.seed: r for r in records}
    for s, (length, ok) in lengths.items():
        assert by_seed[s].steps == length
        assert by_seed[s].outcome == ("success" if ok else "failure")
    # The long episodes finish last although they started first: nothing was cut short.
    assert [r.seed for r in records][-1] in (1, 5)
    assert by_seed[1].init_state == {"x": [1.0]}


def test_fewer_episodes_than_slots_leaves_slots_idle():
    task = fake_task()
    env = FakeEnv(task, 4, lambda s: (5, True))
    pol = CountingPolicy()
    records, _ = run(env, pol, task, plan_for(task, [10, 11]))
    assert len(records) == 2
    assert env.resets[0] == ([0, 1], [10, 11])
    # Idle slots get zero actions and are never handed to the policy.
    assert pol.calls and all(c == [0, 1] for c in pol.calls)
    assert all(np.all(a["action.a"][2:] == 0) for a in env.actions)


def test_one_batched_call_serves_all_slots_needing_an_action():
    task = fake_task()
    env = FakeEnv(task, 3, lambda s: (6, True))
    pol = CountingPolicy(horizon=4, n_exec=2)
    run(env, pol, task, plan_for(task, [1, 2, 3]))
    # 6 steps, 2 executed per chunk -> 3 decision points, each one call for all 3 slots.
    assert pol.calls == [[0, 1, 2]] * 3


def test_chunks_execute_n_action_steps_in_order():
    task = fake_task()
    env = FakeEnv(task, 1, lambda s: (5, True))
    pol = CountingPolicy(horizon=4, n_exec=3)
    run(env, pol, task, plan_for(task, [7]))
    executed = [float(a["action.a"][0, 0]) for a in env.actions]
    # call 1 -> steps 0,1,2 of its chunk; call 2 -> steps 0,1.
    assert executed == [100, 101, 102, 200, 201]


def test_new_episode_starts_a_new_chunk_and_resets_the_policy():
    task = fake_task()
    env = FakeEnv(task, 1, lambda s: (3, True))
    pol = CountingPolicy(horizon=8, n_exec=8)
    run(env, pol, task, plan_for(task, [1, 2]))
    assert len(pol.calls) == 2  # the second episode did not reuse the first one's chunk
    assert pol.resets == [([0], [1]), ([0], [2])]


def test_policy_fault_ends_those_episodes_as_errors_and_the_run_goes_on():
    task = fake_task()
    env = FakeEnv(task, 2, lambda s: (4, True))
    pol = CountingPolicy(fail_on_call=1)
    records, _ = run(env, pol, task, plan_for(task, [1, 2, 3, 4]))
    outcomes = {r.episode: r.outcome for r in records}
    assert outcomes == {0: "error", 1: "error", 2: "success", 3: "success"}
    assert records[0].reason.startswith("error:policy ValueError: policy blew up")


def test_simulator_fault_records_running_episodes_as_errors_and_stops():
    task = fake_task()
    env = FakeEnv(task, 2, lambda s: (10, True), fail_step_at=3)
    records = []
    with pytest.raises(SimulatorError):
        run_task(env, CountingPolicy(), task, plan_for(task, [1, 2, 3]), records.append, progress=False)
    assert [(r.episode, r.outcome) for r in records] == [(0, "error"), (1, "error")]


def test_wrong_action_shape_is_a_user_error_naming_both_sides():
    task = fake_task()
    env = FakeEnv(task, 1, lambda s: (3, True))
    with pytest.raises(UserError, match=r"action.b of shape \(1, 1, 3\).*needs \[1, >=1, 2\]"):
        run(env, CountingPolicy(bad_shape=True), task, plan_for(task, [1]))


def test_max_steps_guard_ends_episodes_the_env_never_ends():
    task = fake_task(max_steps=7)
    env = FakeEnv(task, 1, lambda s: (1000, False))
    records, _ = run(env, CountingPolicy(), task, plan_for(task, [1]))
    assert records[0].steps == 7 and records[0].outcome == "success" and records[0].reason == "time_limit"


def test_timing_splits_sim_policy_and_harness():
    task = fake_task()
    env = FakeEnv(task, 2, lambda s: (5, True))
    _, timing = run(env, CountingPolicy(), task, plan_for(task, [1, 2]))
    assert timing.env_steps == 5
    assert timing.wall_s >= timing.sim_s + timing.policy_s - 1e-9
    assert timing.harness_s >= 0


def test_episode_seeds_depend_on_run_seed_task_and_index_only():
    assert episode_seed(0, "a", 3) == episode_seed(0, "a", 3)
    seeds = {episode_seed(0, "a", i) for i in range(100)}
    assert len(seeds) == 100
    assert episode_seed(0, "a", 0) != episode_seed(1, "a", 0)
    assert episode_seed(0, "a", 0) != episode_seed(0, "b", 0)
    task = {
        "name": "t", "instruction": "i", "max_steps": 5, "episodes": 3, "success": "time_limit",
        "env": {"id": "X"}, "observations": {"state.x": {"source": "p"}}, "actions": {"action.a": {"dim": 1}},
    }
    suite = parse_suite({"name": "s", "tasks": [task]}, "<t>")
    plan = make_plan(suite, 0)
    assert [e.episode for e in plan["t"]] == [0, 1, 2]
    assert [e.seed for e in plan["t"]] == [episode_seed(0, "t", i) for i in range(3)]


def test_keys_a_policy_leaves_out_are_filled_and_unknown_keys_refused():
    """A `fill` key the policy does not give is sent as its fill; an ignored key may be left
    out; a key the task does not know, or a missing required key, is a user error."""
    task = fake_task(actions={"action.a": {"dim": 1}, "action.b": {"dim": 2, "fill": [0.5, -0.5]},
                              "action.h": {"dim": 3, "ignore": True}})
    env = FakeEnv(task, 2, lambda s: (3, True))
    run(env, CountingPolicy(horizon=2, n_exec=2), task, plan_for(task, [1, 2]))  # gives a and b
    assert env.actions[0]["action.b"].tolist() == [[0.0, 0.0], [0.0, 0.0]]  # given: the policy's

    class OnlyA(CountingPolicy):
        def get_action(self, obs, slots):
            return {"action.a": super().get_action(obs, slots)["action.a"]}

    env = FakeEnv(task, 2, lambda s: (3, True))
    records, _ = run(env, OnlyA(horizon=2, n_exec=2), task, plan_for(task, [1, 2]))
    assert [r.outcome for r in records] == ["success", "success"]
    assert all(a["action.b"].tolist() == [[0.5, -0.5], [0.5, -0.5]] for a in env.actions)

    class Extra(CountingPolicy):
        def get_action(self, obs, slots):
            return {**super().get_action(obs, slots), "action.z": np.zeros((len(slots), 1, 1), np.float32)}

    with pytest.raises(UserError, match=r"gives unknown action.z"):
        run(FakeEnv(task, 1, lambda s: (3, True)), Extra(), task, plan_for(task, [1]))

    class NoA(CountingPolicy):
        def get_action(self, obs, slots):
            return {"action.b": super().get_action(obs, slots)["action.b"]}

    with pytest.raises(UserError, match=r"lacks action.a"):
        run(FakeEnv(task, 1, lambda s: (3, True)), NoA(), task, plan_for(task, [1]))
