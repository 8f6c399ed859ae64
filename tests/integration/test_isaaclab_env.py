"""The Isaac Lab adapter against real Isaac Lab, in this process.

Isaac Lab allows one simulation per process at a time, so the envs here are created one
after another (module fixtures, closed before the next one is made).
"""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

from arena_eval.cards import load_suite, override

pytestmark = pytest.mark.isaaclab

def smoke_task(num_envs: int, **env_changes):
    task = override(load_suite("smoke"), num_envs=num_envs).tasks[0]
    if env_changes:
        task = dataclasses.replace(task, env=dataclasses.replace(task.env, **env_changes))
    return task


def const_action(env, value: float):
    return {"action.cart_force": np.full((env.num_envs, 1), value, np.float32)}


class OneSim:
    """Hands out envs by name, closing the previous one first (one simulation per process)."""

    def __init__(self):
        self.name, self.env = None, None

    def get(self, name, task):
        from arena_eval.envs import make_env

        if self.name != name:
            self.close()
            self.env, self.name = make_env(task, seed=0), name
        return self.env

    def close(self):
        if self.env is not None:
            self.env.close()
        self.name, self.env = None, None


@pytest.fixture(scope="module")
def sim():
    s = OneSim()
    yield s
    s.close()


@pytest.fixture
def env(sim):
    return sim.get("smoke3", smoke_task(3))


def test_spaces_and_observations_are_numpy_keyed_by_modality(env):
    assert isinstance(env.single_observation_space, gym.spaces.Dict)
    assert set(env.single_observation_space.spaces) == {"state.cart", "state.pole", "state.cart_vel", "state.pole_vel"}
    assert env.single_action_space["action.cart_force"].shape == (1,)
    obs, info = env.reset(seed=[1, 2, 3])
    for k, v in obs.items():
        assert type(v) is np.ndarray and v.dtype == np.float32 and v.shape == (3, 1), k
    assert len(info["init_state"]) == 3
    obs, rew, terminated, truncated, info = env.step(const_action(env, 0.0))
    assert all(type(x) is np.ndarray for x in (rew, terminated, truncated, info["success"]))
    assert obs["state.pole"].shape == (3, 1)


def test_reset_to_writes_exactly_the_seeded_start_state(env):
    obs, init = env.reset_to(np.array([0, 2]), [11, 22])
    for row, slot in enumerate([0, 2]):
        st = init[row]
        assert obs["state.cart"][slot, 0] == np.float32(st["cartpole.joint_pos.slider_to_cart"][0])
        assert obs["state.pole"][slot, 0] == np.float32(st["cartpole.joint_pos.cart_to_pole"][0])
        assert obs["state.pole_vel"][slot, 0] == np.float32(st["cartpole.joint_vel.cart_to_pole"][0])
    _, again = env.reset_to(np.array([1]), [22])
    assert again[0] == init[1]  # the state depends on the seed, not the slot


def trajectory(env, seeds, steps, interrupt=None):
    obs, _ = env.reset_to(np.arange(env.num_envs), seeds)
    out = []
    for t in range(steps):
        if interrupt and t == interrupt[0]:
            obs, _ = env.reset_to(np.array([interrupt[1]]), [interrupt[2]])
        r = env.step_eval(const_action(env, 0.05))
        out.append({k: v.copy() for k, v in r.obs.items()})
    return out


def test_writing_one_slot_leaves_the_others_bitwise_unchanged(env):
    plain = trajectory(env, [5, 6, 7], 30)
    written = trajectory(env, [5, 6, 7], 30, interrupt=(10, 1, 99))
    for a, b in zip(plain, written):
        for k in a:
            assert np.array_equal(a[k][[0, 2]], b[k][[0, 2]]), k
    # and the written slot then follows the new episode, not the old one
    assert not np.array_equal(plain[20]["state.cart"][1], written[20]["state.cart"][1])


def test_episode_end_flags_are_read_before_the_auto_reset(env):
    env.reset_to(np.arange(3), [1, 2, 3])
    # Full force: the cart leaves its rail (Isaac Lab terminates and auto-resets it) or the
    # pole falls past the card's limit; either way the slot must end as a failure.
    ended = np.zeros(3, bool)
    for _ in range(200):
        r = env.step_eval(const_action(env, 1.0))
        assert not r.success[r.done].any()
        for i in np.flatnonzero(r.done & ~ended):
            assert r.reason[i] in ("terminated", "failure_when:pole_fell"), r.reason[i]
        ended |= r.done
        if ended.all():
            break
    assert ended.all()


def test_time_limit_is_max_steps_control_steps(sim):
    """A separate env with a short horizon: an episode that survives ends at exactly max_steps."""
    from arena_eval.envs.tasks.cartpole.expert import CartpoleBalance

    task = dataclasses.replace(smoke_task(2), max_steps=25)
    e = sim.get("short", task)
    expert = CartpoleBalance(task, 1)
    obs, _ = e.reset_to(np.arange(2), [3, 4])
    for t in range(1, 26):
        a = expert.act({k: v[:, None] for k, v in obs.items()}, np.arange(2))
        r = e.step_eval({k: v[:, 0] for k, v in a.items()})
        obs = r.obs
        if t < 25:
            assert not r.done.any(), t
    assert r.done.all() and r.success.all() and r.reason == ["time_limit", "time_limit"]


def test_without_a_sampler_isaac_labs_reset_is_reseeded_per_episode(sim):
    """The generic fallback for official tasks: the start state still follows the seed alone."""
    e = sim.get("nosampler", smoke_task(3, start_state=None))
    _, init = e.reset_to(np.arange(3), [8, 9, 8])
    assert init[0] == init[2] and init[0] != init[1]
    _, again = e.reset_to(np.array([1]), [8])
    assert again[0] == init[0]
