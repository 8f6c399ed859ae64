"""The episode plan and the rollout loop.

The plan is fixed before the first step: for each task, episodes 0..E-1, each with a seed
derived from (run seed, task name, episode index) alone. N env slots run planned episodes
to their end; a slot that finishes takes the next planned episode, and slots with nothing
left idle. Exactly the planned episodes are counted: stopping once E episodes have ended
would favour short (successful) episodes over long failures.

Actions come in chunks of H steps of which `n_action_steps` are executed; one batched
policy call serves every slot whose chunk ran out. Each chunk is checked before any of it
reaches the simulator: a slot whose executed steps hold a non-finite value (or, where the
card sets `limit`, a value outside it) ends its episode as a failure of the policy
(`policy:non-finite action.<key>`, `policy:action.<key> out of limit`), counted in the rate,
not as a simulator error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import zlib
from collections import deque
from typing import Any, Callable, Iterator, Protocol

import numpy as np
from tqdm import tqdm

from .. import console
from ..cards import ANNOTATION_KEY, ActionSlot, SuiteSpec, TaskSpec
from ..cards.variation import PolicySide
from ..envs import BatchedEnv
from ..errors import PolicyUnavailable, SimulatorError, UserError
from ..outcomes import code_of
from ..policies import Policy
from ..records import EpisodeRecord
from .media import MediaRecorder


@dataclasses.dataclass(frozen=True)
class PlannedEpisode:
    task: str
    episode: int
    seed: int


def episode_seed(run_seed: int, task_name: str, episode: int) -> int:
    """A 32-bit seed for one episode, independent of every other episode's."""
    ss = np.random.SeedSequence(entropy=int(run_seed), spawn_key=(zlib.crc32(task_name.encode()), int(episode)))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def make_plan(suite: SuiteSpec, run_seed: int) -> dict[str, list[PlannedEpisode]]:
    # A derived task (`<task>@<axis>=<level>`) runs its nominal task's seeds: paired episodes.
    return {
        t.name: [PlannedEpisode(t.name, i, episode_seed(run_seed, t.base_name, i)) for i in range(t.episodes)]
        for t in suite.tasks
    }


@dataclasses.dataclass
class Timing:
    """Seconds spent stepping/resetting the simulator, in the policy, and in total."""

    sim_s: float = 0.0
    policy_s: float = 0.0
    wall_s: float = 0.0
    env_steps: int = 0

    @property
    def harness_s(self) -> float:
        return max(0.0, self.wall_s - self.sim_s - self.policy_s)

    def add(self, other: "Timing") -> None:
        self.sim_s += other.sim_s
        self.policy_s += other.policy_s
        self.wall_s += other.wall_s
        self.env_steps += other.env_steps

    def to_dict(self) -> dict[str, float]:
        d = dataclasses.asdict(self)
        d["harness_s"] = self.harness_s
        return d


@contextlib.contextmanager
def task_env(task: TaskSpec, policy: Policy, seed: int) -> Iterator[BatchedEnv]:
    """The task's env with the policy bound to it (UserError on a mismatch), closed after.
    A policy that wants the expert's first planned episode (the blind baseline) gets it here."""
    from ..envs import make_env

    env = make_env(task, seed=seed)
    try:
        policy.bind(task, env.single_observation_space, env.single_action_space)
        if getattr(policy, "wants_expert_episode", False):
            policy.use_expert_episode(expert_episode(env, task, episode_seed(seed, task.base_name, 0)))
        yield env
    finally:
        env.close()


class _ActionLog:
    """A `Trace` keeping the actions one slot received, step by step."""

    def __init__(self) -> None:
        self.actions: dict[str, list[np.ndarray]] = {}
        self.record: EpisodeRecord | None = None

    def start(self, slot: int, episode: PlannedEpisode) -> None:
        self.actions = {}

    def step(self, slots: list[int], obs: dict[str, np.ndarray], action: dict[str, np.ndarray]) -> None:
        for k, v in action.items():
            self.actions.setdefault(k, []).append(np.array(v[slots[0]]))

    def finish(self, slot: int, record: EpisodeRecord) -> None:
        self.record = record


def expert_episode(env: BatchedEnv, task: TaskSpec, seed: int) -> dict[str, np.ndarray]:
    """The task's scripted expert on one episode of `seed`, in slot 0: the actions it sent
    ({key: [T, D]}). Nothing is recorded as a result."""
    from ..cards import PolicySpec
    from ..policies.simple import ScriptedPolicy

    if not task.expert:
        raise UserError(f"task {task.name!r} names no scripted expert (field 'expert'), which the blind baseline "
                        "replays", where=task.source)
    expert = ScriptedPolicy(PolicySpec(name="scripted", type="scripted"))
    expert.bind(task, env.single_observation_space, env.single_action_space)
    log = _ActionLog()
    run_task(env, expert, task, [PlannedEpisode(task.name, 0, seed)], lambda r: None, progress=False, trace=log)
    if log.record is None or log.record.outcome == "error" or not log.actions:
        why = log.record.reason if log.record is not None else "no record"
        raise UserError(f"the scripted expert's first episode of task {task.name!r} did not run ({why}); the blind "
                        "baseline has nothing to replay", where=task.source)
    return {k: np.stack(v) for k, v in log.actions.items()}


def _check_actions(acts: Any, policy: Policy, task: TaskSpec, batch: int) -> None:
    if not isinstance(acts, dict):
        raise UserError(f"policy {policy.spec.name!r} returned {type(acts).__name__}, expected a dict of action.<key> arrays")
    why = task.action_key_mismatch(acts)
    if why:
        raise UserError(f"policy {policy.spec.name!r} returned keys {', '.join(sorted(acts))}: {why}", where=policy.spec.source)
    for key, slot in task.actions.items():
        if key not in acts:
            continue
        shape = np.shape(acts[key])
        if len(shape) != 3 or shape[0] != batch or shape[1] < policy.n_action_steps or shape[2] != slot.dim:
            raise UserError(
                f"policy {policy.spec.name!r} returned {key} of shape {tuple(shape)}; task {task.name!r} "
                f"needs [{batch}, >={policy.n_action_steps}, {slot.dim}]",
                where=policy.spec.source,
            )


def _action_faults(acts: dict[str, Any], task: TaskSpec, steps: int) -> dict[int, str]:
    """Rows of a checked batch whose executed steps cannot be sent: row -> reason."""
    bad: dict[int, str] = {}
    for key, slot in task.actions.items():
        if key not in acts or slot.ignore:  # an ignored key never reaches the simulator
            continue
        a = np.asarray(acts[key], dtype=np.float64)[:, :steps]
        finite = np.isfinite(a).all(axis=(1, 2))
        for row in np.flatnonzero(~finite):
            bad.setdefault(int(row), f"policy:non-finite {key}")
        if slot.limit is not None:
            lo, hi = slot.limit
            out = finite & ((a < lo) | (a > hi)).any(axis=(1, 2))
            for row in np.flatnonzero(out):
                bad.setdefault(int(row), f"policy:{key} out of limit [{lo:g}, {hi:g}]")
    return bad


def _chunk_of(acts: dict[str, Any], key: str, slot: ActionSlot, row: int, steps: int) -> np.ndarray:
    """One slot's chunk of one key; a key the policy left out is its fill (or zeros for an
    ignored key, which the env drops)."""
    if key in acts:
        return np.asarray(acts[key][row], dtype=np.float32)
    return np.broadcast_to(np.asarray(slot.fill or (0.0,) * slot.dim, np.float32), (steps, slot.dim))


class Trace(Protocol):
    """Sees every step of every episode (e.g. `dataset.EpisodeTrace` writes datasets):
    `step` gets the observation each action was chosen on and that action, per slot."""

    def start(self, slot: int, episode: PlannedEpisode) -> None: ...

    def step(self, slots: list[int], obs: dict[str, np.ndarray], action: dict[str, np.ndarray]) -> None: ...

    def finish(self, slot: int, record: EpisodeRecord) -> None: ...


def run_task(
    env: BatchedEnv,
    policy: Policy,
    task: TaskSpec,
    episodes: list[PlannedEpisode],
    on_record: Callable[[EpisodeRecord], None],
    progress: bool = True,
    media: MediaRecorder | None = None,
    trace: Trace | None = None,
) -> Timing:
    """Run the given planned episodes of one task; each ends in exactly one record.
    `media` records the camera frames of the first episodes (see `media.py`); `trace` sees
    every step (see `Trace`)."""
    n = env.num_envs
    timing = Timing()
    t_start = time.perf_counter()
    queue = deque(episodes)
    slot_ep: list[PlannedEpisode | None] = [None] * n
    slot_steps = np.zeros(n, dtype=np.int64)
    slot_t0 = np.zeros(n)
    slot_init: list[dict[str, Any]] = [{}] * n
    chunk: list[dict[str, np.ndarray] | None] = [None] * n
    chunk_pos = np.zeros(n, dtype=np.int64)
    bar = tqdm(total=len(episodes), desc=task.name, unit="ep", disable=not progress, dynamic_ncols=True, leave=True,
               file=console.stream())
    counts = {"success": 0, "failure": 0, "error": 0}
    obs: dict[str, np.ndarray] = {}
    side = PolicySide.of(task, n)  # a policy-side level: noise and latency between policy and env
    levels = {task.variation["axis"]: task.variation["level"]} if task.variation else {}
    sent_keys = {k for k, a in task.actions.items() if not a.ignore}
    milestone_names = list(getattr(env, "milestone_names", []) or [])
    slot_ms: list[dict[str, int]] = [{} for _ in range(n)]  # milestone -> first step met
    slot_success: list[int | None] = [None] * n  # first step the success condition held

    def finish(slot: int, outcome: str, reason: str) -> None:
        ep = slot_ep[slot]
        assert ep is not None
        rec = EpisodeRecord(
            task=task.name,
            episode=ep.episode,
            seed=ep.seed,
            outcome=outcome,
            reason=reason,
            steps=int(slot_steps[slot]),
            slot=slot,
            init_state=slot_init[slot],
            timing={"wall_s": round(time.perf_counter() - slot_t0[slot], 6)},
            variation=dict(levels),
            code=code_of(outcome, reason, task.failure_codes),
            milestones=dict(slot_ms[slot]),
            # survive-type tasks (no success condition of their own) reach success at the end
            success_step=slot_success[slot] if slot_success[slot] is not None or outcome != "success"
            else int(slot_steps[slot]),
        )
        on_record(rec)
        if trace is not None:
            trace.finish(slot, rec)
        slot_ep[slot] = None
        if media is not None:
            media.finish(slot)
        counts[outcome] += 1
        bar.update(1)
        bar.set_postfix(counts, refresh=False)

    def start(slots: list[int]) -> None:
        nonlocal obs
        slots = slots[: len(queue)]
        if not slots:
            return
        eps = [queue.popleft() for _ in slots]
        seeds = [e.seed for e in eps]
        t0 = time.perf_counter()
        obs, inits = env.reset_to(np.array(slots), seeds)
        timing.sim_s += time.perf_counter() - t0
        policy.reset(np.array(slots), seeds)
        if side is not None:
            side.reset(slots, seeds)
        now = time.perf_counter()
        for s, e, init in zip(slots, eps, inits):
            slot_ep[s], slot_init[s], slot_steps[s], slot_t0[s], chunk[s] = e, init, 0, now, None
            slot_ms[s], slot_success[s] = {}, None
            if media is not None:
                media.start(s, e.episode, obs)
            if trace is not None:
                trace.start(s, e)
        # A start the env's reset checks refused (a world that did not reset cleanly, a task
        # solved at its start) is no episode of the policy: an error, run again by --resume.
        faults = dict(getattr(env, "reset_faults", {}) or {})
        bad = [s for s in slots if s in faults]
        for s in bad:
            finish(s, "error", faults[s])
        if bad:
            start(bad)

    reads = set(policy.required_obs())
    try:
        start(list(range(n)))
        while any(e is not None for e in slot_ep):
            active = [s for s in range(n) if slot_ep[s] is not None]
            need = [s for s in active if chunk[s] is None or chunk_pos[s] >= policy.n_action_steps]
            if need:
                idx = np.array(need)
                # Camera keys only for a policy that reads them (required_obs): a camera
                # renders when read (envs/workers.py), so a state-only policy costs no frames.
                batch: dict[str, Any] = {k: v[idx][:, None] for k, v in obs.items() if not k.startswith("video.") or k in reads}
                batch[ANNOTATION_KEY] = [task.instruction] * len(need)
                if side is not None:
                    batch = side.observe(batch, idx)
                t0 = time.perf_counter()
                try:
                    acts = policy.get_action(batch, idx)
                except (UserError, PolicyUnavailable):
                    raise
                except Exception as e:  # a policy fault ends these episodes as errors
                    timing.policy_s += time.perf_counter() - t0
                    msg = f"error:policy {type(e).__name__}: {e}".splitlines()[0]
                    for s in need:
                        finish(s, "error", msg)
                    start(need)
                    continue
                timing.policy_s += time.perf_counter() - t0
                _check_actions(acts, policy, task, len(need))
                faults = _action_faults(acts, task, policy.n_action_steps)
                for row, s in enumerate(need):
                    if row in faults:
                        finish(s, "failure", faults[row])
                        continue
                    chunk[s] = {k: _chunk_of(acts, k, a, row, policy.n_action_steps) for k, a in task.actions.items()}
                    chunk_pos[s] = 0
                if faults:  # new episodes in those slots; they need actions before anyone steps
                    start([need[row] for row in sorted(faults)])
                    continue
            action = {k: np.zeros((n, a.dim), np.float32) for k, a in task.actions.items()}
            for s in active:
                c = chunk[s]
                assert c is not None
                for k in task.actions:
                    action[k][s] = c[k][chunk_pos[s]]
                chunk_pos[s] += 1
            if side is not None:
                action = side.act(action, active, sent_keys)
            if trace is not None:
                trace.step(active, obs, action)
            t0 = time.perf_counter()
            try:
                res = env.step_eval(action)
            except Exception as e:
                timing.sim_s += time.perf_counter() - t0
                msg = f"error:simulator {type(e).__name__}: {e}".splitlines()[0]
                for s in active:
                    finish(s, "error", msg)
                raise SimulatorError(msg) from e
            timing.sim_s += time.perf_counter() - t0
            timing.env_steps += 1
            obs = res.obs
            if media is not None:
                media.step(obs, [s for s in active if not res.done[s]])
            ended = []
            for s in active:
                slot_steps[s] += 1
                if res.success_now is not None and res.success_now[s] and slot_success[s] is None:
                    slot_success[s] = int(slot_steps[s])
                if res.milestones is not None:
                    for j in np.flatnonzero(res.milestones[s]):
                        slot_ms[s].setdefault(milestone_names[j], int(slot_steps[s]))
                if res.done[s]:
                    outcome = "error" if res.error[s] else ("success" if res.success[s] else "failure")
                    finish(s, outcome, res.reason[s])
                    ended.append(s)
                elif slot_steps[s] >= task.max_steps:  # guard for envs without a time limit
                    finish(s, "success" if task.success.kind == "time_limit" else "failure", "time_limit")
                    ended.append(s)
            start(ended)
    finally:
        bar.close()
        timing.wall_s = time.perf_counter() - t_start
    return timing

