"""What the adapter reads from inside Isaac Lab's step, before its in-step reset: the success
condition under every success rule, and the task's milestones.

Isaac Lab resets the envs whose episode ended inside `step()`, so anything read after the step
sees the next episode's start. The termination manager is the one place that runs on the
step's last state; `Probes` wraps the live manager's `compute` so that, right after the
terms, it evaluates

- the success term's own function, recorded every step (`success_now`); under the rules
  `at_end` and `held: K` the term is made non-terminating (its live function returns False),
  so the adapter, not Isaac Lab, decides when the episode succeeds (`arena_eval/outcomes.py`);
- the milestones of the env cfg's `milestones` group (one TerminationTermCfg per milestone,
  e.g. reached, grasped, lifted, placed), which never end an episode: only their first step
  is recorded.

Term functions that keep state between steps keep it in `env._arena_*` attributes (the g1
hold counter); `success_at_reset` saves and restores those around its extra evaluation, and
under `any_step` the step's value is read from the manager, never computed twice. Milestone
functions must keep no state.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np


def _arena_state(env: Any) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in vars(env).items() if k.startswith("_arena_")}


class Probes:
    def __init__(self, env: Any, task: Any):
        import torch

        self._torch = torch
        self.env = env
        self.rule = task.success.rule
        self.hold = task.success.hold or 0
        n = env.num_envs
        self.success_now = np.zeros(n, bool)
        self.run = np.zeros(n, np.int64)  # steps in a row the condition held (rule held)
        tm = getattr(env, "termination_manager", None)
        self._tm = tm
        self._term = task.success.term if task.success.kind == "term" else None
        self._success: tuple[Any, dict] | None = None
        if tm is not None and self._term is not None:
            # Isaac Lab 3.0 keeps the resolved term cfgs in `_term_cfgs`, in `active_terms` order.
            cfg = tm._term_cfgs[tm.active_terms.index(self._term)]
            self._success = (cfg.func, cfg.params)
            if self.rule != "any_step":  # the adapter decides; the term itself never ends an episode
                cfg.func = lambda env, **params: torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)
        self.milestones: list[tuple[str, Any, dict]] = []
        group = getattr(env.cfg, "milestones", None)
        if group is not None and tm is not None:
            from isaaclab.managers import SceneEntityCfg

            for name, term in vars(group).items():
                if name.startswith("_") or term is None or not hasattr(term, "func"):
                    continue
                params = dict(term.params)
                for v in params.values():
                    if isinstance(v, SceneEntityCfg):
                        v.resolve(env.scene)
                self.milestones.append((name, term.func, params))
        self.milestone_now = np.zeros((n, len(self.milestones)), bool)
        if tm is not None:
            inner = tm.compute

            def compute():
                out = inner()
                self._read()
                return out

            tm.compute = compute

    @property
    def milestone_names(self) -> list[str]:
        return [m[0] for m in self.milestones]

    def _value(self, func: Any, params: dict) -> np.ndarray:
        return func(self.env, **params).detach().cpu().numpy().astype(bool).reshape(-1)

    def _read(self) -> None:
        if self._success is not None:
            if self.rule == "any_step":  # the manager just evaluated it: read, do not run it twice
                self.success_now = self._tm.get_term(self._term).detach().cpu().numpy().astype(bool)
            else:
                self.success_now = self._value(*self._success)
        for j, (_, func, params) in enumerate(self.milestones):
            self.milestone_now[:, j] = self._value(func, params)

    def reset(self, env_ids: np.ndarray) -> None:
        """New episodes in these slots: counters cleared, their objects' start positions kept
        (milestones measure "moved" and "lifted" from them)."""
        ids = np.asarray(env_ids, dtype=np.int64)
        self.run[ids] = 0
        self.success_now[ids] = False
        self.milestone_now[ids] = False
        if not self.milestones:
            return
        env = self.env
        starts = getattr(env, "_arena_start_pos", None)
        if starts is None:
            starts = env._arena_start_pos = {}
        t = self._torch.as_tensor(ids, device=env.device)
        for name, obj in getattr(env.scene, "rigid_objects", {}).items():
            pos = obj.data.root_pos_w.torch - env.scene.env_origins
            if name not in starts:
                starts[name] = pos.clone()
            starts[name][t] = pos[t]

    def success_at_reset(self, env_ids: np.ndarray) -> np.ndarray:
        """Does the success condition already hold in these freshly reset slots? (The term's
        function runs once more; the state it keeps in `env._arena_*` is put back after.)"""
        if self._success is None:
            return np.zeros(len(env_ids), bool)
        saved = _arena_state(self.env)
        try:
            value = self._value(*self._success)
        finally:
            for k in [k for k in vars(self.env) if k.startswith("_arena_") and k not in saved]:
                delattr(self.env, k)
            for k, v in saved.items():
                setattr(self.env, k, v)
        return value[np.asarray(env_ids, dtype=np.int64)]

    def decide(self, i: int, time_up: bool) -> bool | None:
        """Slot i's success under the rule after this step: True (succeeded, the episode ends),
        False (the time is up without it) or None (goes on). Only for at_end / held."""
        self.run[i] = self.run[i] + 1 if self.success_now[i] else 0
        if self.rule == "held" and self.run[i] >= self.hold:
            return True
        if time_up:
            return bool(self.success_now[i]) if self.rule == "at_end" else False
        return None
