"""Isaac Lab adapter: any registered Isaac Lab task as a batched, numpy-only vector env.

Kit-less by default (Newton physics preset on the card's device, no Isaac Sim); with
`env.app: isaacsim` it starts Isaac Sim through Isaac Lab's app launcher first.

What it adds to Isaac Lab for evaluation:

- `reset_to(env_ids, seeds)`: starts episodes in given slots from a start state that depends
  on the episode seed alone (see `starts.py`). Tasks without a sampler fall back to Isaac
  Lab's own reset run one env at a time with the global generators reseeded from the
  episode seed, which is also independent of slot and num_envs.
- Per-slot success / failure / time-out read before Isaac Lab's in-step auto-reset:
  `terminated` and `time_outs` from `step()`, and for manager-based envs the per-term flags
  of the termination manager, which keep this step's values after the reset.
- Harness-side failure conditions declared in the card (`failure_when`), checked on the
  observation of slots that did not end.
- The card's success rule (`any_step`, `at_end`, `held: K`) and the task's milestones, read
  inside the step before Isaac Lab's reset (`probes.py`); `StepResult.success_now` and
  `milestones` carry them per slot.
- Reset hygiene, on every reset (`hygiene.py`): a slot's first reset is a fresh world's; each
  later reset first resets the slot to that first seed and requires the same first observation
  (states, and camera frames where they were read), and the success condition must not already
  hold at the start. A slot that fails either gets `reset_faults[slot]`, and the runner records
  that episode as an error.
- Observations and actions keyed by modality keys, as numpy arrays; nothing from torch
  or Isaac Lab leaks out.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import gymnasium as gym
import numpy as np

from .. import registry
from ..cards import TaskSpec
from ..cards.variation import perturb_start
from ..errors import UserError
from ..outcomes import SOLVED_AT_RESET
from .assets import ensure_asset_root
from .base import GymVectorAPI, StepResult
from .definition import definition
from .hygiene import ResetCheck
from .probes import Probes
from .vary_env import apply_variation, quat_mul, yaw_quat

_APP = None  # Isaac Sim app launcher, started at most once per process

_REQUIRES_HINTS = {
    "isaacsim": "the official tasks need Isaac Sim 5.x, a GPU and NVIDIA's assets (pip install isaacsim[all])",
    "isaaclab_arena": "install IsaacLab-Arena (github.com/isaac-sim/IsaacLab-Arena) with Isaac Sim on a GPU machine",
}


def isaaclab_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("isaaclab", "torch", "newton", "warp-lang", "mujoco", "mujoco-warp", "gymnasium", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _launch_app(task: TaskSpec, enable_cameras: bool) -> None:
    global _APP
    if task.env.app != "isaacsim" or _APP is not None:
        return
    if importlib.util.find_spec("isaacsim") is None:
        raise UserError(
            "asks for Isaac Sim (env.app: isaacsim) but the 'isaacsim' package is not importable; "
            "install Isaac Sim 5.x with its NVIDIA assets on a GPU machine, or use env.app: kitless",
            where=task.source,
            field=f"task {task.name}: env.app",
        )
    from isaaclab.app import AppLauncher

    _APP = AppLauncher(headless=True, enable_cameras=enable_cameras, device=task.env.device).app


def import_isaaclab() -> None:
    """Import Isaac Lab and register its tasks, after pointing it at the local asset root."""
    ensure_asset_root()
    from . import newton_patches

    newton_patches.apply()  # the MuJoCo C solver path (use_mujoco_cpu); no effect on MJWarp
    import isaaclab_tasks  # noqa: F401  (registers the official task ids)

    registry.load_families()  # registers the task families' ids (the project's and installed ones)


def check_env_ids(tasks: list[TaskSpec]) -> None:
    """Fail early, before any run dir exists, on missing packages and unknown ids."""
    import_isaaclab()
    for t in tasks:
        for module in t.env.requires:
            if importlib.util.find_spec(module.split(".")[0]) is None:
                raise UserError(
                    f"needs the Python package {module.split('.')[0]!r}, which is not installed here; "
                    + _REQUIRES_HINTS.get(module.split(".")[0], "install it beside Isaac Lab"),
                    where=t.source,
                    field=f"task {t.name}: env.requires",
                )
            importlib.import_module(module)
        if t.env.id not in gym.registry:
            close = [k for k in gym.registry if t.env.id.lower() in k.lower() or k.lower() in t.env.id.lower()]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(
                f"Isaac Lab has no task id {t.env.id!r}{hint}", where=t.source, field=f"task {t.name}: env.id"
            )


def _set_dotted(cfg: Any, dotted: str, value: Any, task: TaskSpec) -> None:
    """`a.b.c = value` on the env cfg; a part that is a dict (a term's params) is indexed."""
    obj = cfg
    parts = dotted.split(".")
    where = dict(where=task.source, field=f"task {task.name}: env.cfg.{dotted}")
    for p in parts[:-1]:
        if isinstance(obj, dict) and p in obj:
            obj = obj[p]
        elif not isinstance(obj, dict) and hasattr(obj, p):
            obj = getattr(obj, p)
        else:
            raise UserError(f"the env cfg has no attribute {p!r}", **where)
    if isinstance(obj, dict):
        if parts[-1] not in obj:
            raise UserError(f"the env cfg has no key {parts[-1]!r} (has: {', '.join(map(str, obj)) or 'none'})", **where)
        obj[parts[-1]] = value
        return
    if not hasattr(obj, parts[-1]):
        raise UserError(f"the env cfg has no attribute {parts[-1]!r}", **where)
    setattr(obj, parts[-1], value)


class IsaacLabVectorEnv(GymVectorAPI, gym.vector.VectorEnv):
    """A registered Isaac Lab task behind the `BatchedEnv` protocol (and Gymnasium's vector API)."""

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}

    def __init__(self, task: TaskSpec, num_envs: int | None = None, seed: int = 0, read_cameras: bool = True):
        # read_cameras=False: observations leave out the video keys (nothing renders);
        # `read_video()` renders them on demand (the worker backend's lazy cameras).
        self.read_cameras = read_cameras
        self.task = task
        self.num_envs = int(num_envs or task.env.num_envs)
        self.max_steps = task.max_steps
        uses_cameras = any(k.startswith("video.") for k in task.observations)
        _launch_app(task, enable_cameras=uses_cameras)
        import_isaaclab()
        check_env_ids([task])

        import torch
        from isaaclab_tasks.utils.hydra import resolve_presets
        from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

        self._torch = torch
        cfg = load_cfg_from_registry(task.env.id, "env_cfg_entry_point")
        presets = tuple(p for p in task.env.physics.split(",") if p)
        cfg = resolve_presets(cfg, selected=presets)
        cfg.sim.device = task.env.device
        cfg.scene.num_envs = self.num_envs
        cfg.seed = int(seed)
        for key, value in task.env.cfg.items():
            _set_dotted(cfg, key, value, task)
        apply_variation(cfg, task)  # a sweep level's scene (colours, camera, distractors, ...)
        # Isaac Lab times out when episode_length_buf >= ceil(episode_length_s / step_dt);
        # half a step below max_steps makes that exactly max_steps control steps.
        step_dt = cfg.sim.dt * cfg.decimation
        cfg.episode_length_s = (task.max_steps - 0.5) * step_dt
        self.cfg = cfg
        self.step_dt = step_dt

        t0 = time.perf_counter()
        self._gym_env = gym.make(task.env.id, cfg=cfg)
        self.env = self._gym_env.unwrapped
        self.make_seconds = time.perf_counter() - t0
        self.device = self.env.device
        self._is_manager = hasattr(self.env, "termination_manager")

        if task.env.start_state is not None:
            registry.sampler(task.env.start_state, where=task.source)
        self._check_terms()
        self.definition = definition(task, cfg, self.env)  # before Probes swaps the success term's function
        self.probes = Probes(self.env, task)
        self.milestone_names = self.probes.milestone_names
        self.reset_check = ResetCheck(self.num_envs, frames=self.num_envs == 1)
        self.reset_faults: dict[int, str] = {}
        self._frames_read = np.zeros(self.num_envs, bool)  # since each slot's last reset
        raw, _ = self.env.reset(seed=int(seed))
        self._steps = np.zeros(self.num_envs, dtype=np.int64)
        first = self._extract(raw)
        if not self.read_cameras:  # one render, for the spaces' shapes
            first.update(self.read_video())
        self._build_spaces(first)

    # ---------------------------------------------------------------- spaces and mapping

    def _check_terms(self) -> None:
        names = [self.task.success.term] if self.task.success.kind == "term" else []
        names += list(self.task.failure_terms)
        if not names:
            return
        if not self._is_manager:
            raise UserError(
                f"env {self.task.env.id} is a direct-workflow env without named termination terms; "
                "use success: time_limit",
                where=self.task.source,
                field=f"task {self.task.name}: success",
            )
        known = self.env.termination_manager.active_terms
        for n in names:
            if n not in known:
                raise UserError(
                    f"env {self.task.env.id} has no termination term {n!r} (has: {', '.join(known)})",
                    where=self.task.source,
                    field=f"task {self.task.name}: success/failure_terms",
                )

    def _source(self, raw: dict[str, Any], key: str) -> Any:
        spec = self.task.observations[key]
        where = dict(where=self.task.source, field=f"task {self.task.name}: observations.{key}.source")
        if spec.constant is not None:
            return np.broadcast_to(np.asarray(spec.constant, np.float32), (self.num_envs, len(spec.constant)))
        if spec.source.startswith("camera:"):
            name = spec.source.split(":", 1)[1]
            sensors = getattr(self.env.scene, "sensors", {})
            if name not in sensors:
                raise UserError(f"env {self.task.env.id} has no camera {name!r} (has: {', '.join(sensors) or 'none'})", **where)
            return sensors[name].data.output["rgb"]
        group, _, term = spec.source.partition(".")
        if group not in raw:
            raise UserError(f"env {self.task.env.id} has no observation group {group!r} (has: {', '.join(raw)})", **where)
        value = raw[group]
        if term:
            if not isinstance(value, dict) or term not in value:
                has = ", ".join(value) if isinstance(value, dict) else "none: the group is one concatenated tensor"
                raise UserError(f"observation group {group!r} has no term {term!r} (has: {has})", **where)
            value = value[term]
        elif isinstance(value, dict):
            raise UserError(f"observation group {group!r} has terms; name one as {group}.<term> (has: {', '.join(value)})", **where)
        return value

    def read_video(self) -> dict[str, np.ndarray]:
        """The camera observations of the current state (each camera renders when read)."""
        if hasattr(self, "_frames_read"):
            self._frames_read[:] = True
        out = {k: self._to_numpy(k, self._source({}, k)) for k in self.task.observations if k.startswith("video.")}
        return self.reset_check.inject(out)

    def _to_numpy(self, key: str, t: Any) -> np.ndarray:
        arr = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
        return np.array(arr[..., :3].astype(np.uint8, copy=False), copy=True)

    def _extract(self, raw: dict[str, Any]) -> dict[str, np.ndarray]:
        out = {}
        for key, spec in self.task.observations.items():
            if key.startswith("video.") and not self.read_cameras:
                continue
            t = self._source(raw, key)
            arr = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
            if key.startswith("video."):
                arr = arr[..., :3].astype(np.uint8, copy=False)
            else:
                arr = arr.reshape(arr.shape[0], -1).astype(np.float32, copy=False)
                if spec.index is not None:
                    lo, hi = spec.index
                    if hi > arr.shape[1]:
                        raise UserError(
                            f"index [{lo}, {hi}] is outside the {arr.shape[1]} values the env provides in {spec.source!r}",
                            where=self.task.source,
                            field=f"task {self.task.name}: observations.{key}.index",
                        )
                    arr = arr[:, lo:hi]
            out[key] = np.array(arr, copy=True)
        return out

    def _build_spaces(self, obs: dict[str, np.ndarray]) -> None:
        obs_spaces = {}
        for key, arr in obs.items():
            if key.startswith("video."):
                obs_spaces[key] = gym.spaces.Box(0, 255, arr.shape[1:], np.uint8)
            else:
                obs_spaces[key] = gym.spaces.Box(-np.inf, np.inf, arr.shape[1:], np.float32)
        act_spaces = {
            k: gym.spaces.Box(a.low, a.high, (a.dim,), np.float32) for k, a in self.task.actions.items()
        }
        env_dim = int(np.prod(self.env.single_action_space.shape))
        if env_dim != self.task.action_dim:
            raise UserError(
                f"action keys add up to {self.task.action_dim} dims but env {self.task.env.id} takes {env_dim}",
                where=self.task.source,
                field=f"task {self.task.name}: actions",
            )
        self.single_observation_space = gym.spaces.Dict(obs_spaces)
        self.single_action_space = gym.spaces.Dict(act_spaces)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        self._last_obs = obs

    # ---------------------------------------------------------------- episode starts

    def _ids(self, env_ids: np.ndarray):
        return self._torch.as_tensor(np.asarray(env_ids, dtype=np.int64), device=self.device)

    def reset_to(self, env_ids, seeds) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
        env_ids = np.asarray(env_ids, dtype=np.int64)
        if len(env_ids) != len(seeds):
            raise ValueError("one seed per env id")
        self.reset_faults = {}
        if len(env_ids) == 0:
            return self._last_obs, []
        probe = [i for i in env_ids if self.reset_check.has_reference(int(i))]
        if probe:  # reset to each slot's first seed again: must give its fresh world's observation
            ids = np.asarray(probe, dtype=np.int64)
            self._reset_slots(ids, [self.reset_check.reference_seed(int(i)) for i in ids])
            obs = self._check_obs(ids)
            for i in ids:
                why = self.reset_check.compare(int(i), {k: v[i] for k, v in obs.items()})
                if why:
                    self.reset_faults[int(i)] = why
        init = self._reset_slots(env_ids, seeds)
        obs = self._check_obs(env_ids)
        for i, s in zip(env_ids, seeds):
            if not self.reset_check.has_reference(int(i)):
                self.reset_check.set_reference(int(i), int(s), {k: v[i] for k, v in obs.items()})
        solved = self.probes.success_at_reset(env_ids)
        for i, hit in zip(env_ids, solved):
            if hit and int(i) not in self.reset_faults:
                self.reset_faults[int(i)] = f"{SOLVED_AT_RESET}: the success condition holds at the start"
        self.probes.reset(env_ids)
        self._frames_read[env_ids] = False
        return self._last_obs, init

    def _check_obs(self, env_ids: np.ndarray) -> dict[str, np.ndarray]:
        """What the hygiene check compares: the states, and the frames where the slots' cameras
        were read since their last reset (or always read, in-process)."""
        obs = dict(self._last_obs)
        if not self.read_cameras and any(k.startswith("video.") for k in self.task.observations):
            if bool(self._frames_read[env_ids].any()) or self.reset_check.frames_wanted(env_ids):
                obs.update(self.read_video())
        return obs

    def _reset_slots(self, env_ids: np.ndarray, seeds: list[int]) -> list[dict[str, Any]]:
        sampler = registry.sampler(self.task.env.start_state) if self.task.env.start_state else None
        if sampler is not None:
            states = [perturb_start(sampler(np.random.default_rng(int(s)), self.cfg), self.task.variation, int(s))
                      for s in seeds]
            self.env._reset_idx(self._ids(env_ids))
            self._write_states(env_ids, states)
            init = [_flatten(s) for s in states]
        else:
            for i, s in zip(env_ids, seeds):
                self.env.seed(int(s))  # reseeds random, numpy, torch and warp
                self.env._reset_idx(self._ids([i]))
            init = [self._read_state(int(i)) for i in env_ids]
        self.env.episode_length_buf[self._ids(env_ids)] = 0
        self.env.scene.write_data_to_sim()
        self.env.sim.forward()
        self.env.scene.update(dt=0.0)
        self._steps[env_ids] = 0
        self._last_obs = self._extract(self._recompute_obs())
        self.reset_check.after_reset(env_ids)
        return init

    def _recompute_obs(self) -> dict[str, Any]:
        if self._is_manager:
            return self.env.observation_manager.compute()
        return self.env._compute_observations()

    def _write_states(self, env_ids: np.ndarray, states: list[dict]) -> None:
        """Write sampled start states: joints by name (others at their default) and root
        positions as offsets from the asset's default pose, at rest."""
        torch = self._torch
        ids = self._ids(env_ids)
        for asset_name in states[0]:
            asset = self.env.scene[asset_name]
            root = asset.data.default_root_pose.torch[ids].clone()
            for row, st in enumerate(states):
                off = st[asset_name].get("root_pos_offset", {})
                for axis, value in off.items():
                    root[row, "xyz".index(axis)] += float(value)
                yaw = st[asset_name].get("root_yaw", {}).get("z")
                if yaw:  # a placement level's turn about z (xyzw quaternion)
                    q = quat_mul(yaw_quat(float(yaw)), root[row, 3:7].tolist())
                    root[row, 3:7] = torch.tensor(q, dtype=root.dtype, device=root.device)
            root[:, :3] += self.env.scene.env_origins[ids]
            asset.write_root_pose_to_sim_index(root_pose=root, env_ids=ids)
            asset.write_root_velocity_to_sim_index(
                root_velocity=torch.zeros_like(asset.data.default_root_vel.torch[ids]), env_ids=ids
            )
            if not hasattr(asset, "joint_names"):
                continue
            names = list(asset.joint_names)
            pos = asset.data.default_joint_pos.torch[ids].clone()
            vel = asset.data.default_joint_vel.torch[ids].clone()
            for row, st in enumerate(states):
                for field, buf in (("joint_pos", pos), ("joint_vel", vel)):
                    for jname, value in st[asset_name].get(field, {}).items():
                        buf[row, names.index(jname)] = float(value)
                for jname, value in st[asset_name].get("joint_pos_offset", {}).items():
                    pos[row, names.index(jname)] += float(value)
            asset.write_joint_position_to_sim_index(position=pos, env_ids=ids)
            asset.write_joint_velocity_to_sim_index(velocity=vel, env_ids=ids)
            # Hold the start pose: stale targets from the last episode would yank the joints.
            asset.set_joint_position_target_index(target=pos, env_ids=ids)
            asset.set_joint_velocity_target_index(target=torch.zeros_like(vel), env_ids=ids)

    def _read_state(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, art in getattr(self.env.scene, "articulations", {}).items():
            out[f"{name}.joint_pos"] = art.data.joint_pos.torch[i].cpu().tolist()
            out[f"{name}.joint_vel"] = art.data.joint_vel.torch[i].cpu().tolist()
        for name, obj in getattr(self.env.scene, "rigid_objects", {}).items():
            pose = obj.data.root_pose_w.torch[i].clone()
            pose[:3] -= self.env.scene.env_origins[i]
            out[f"{name}.root_pose"] = pose.cpu().tolist()
        return out

    # ---------------------------------------------------------------- stepping

    def _action_tensor(self, action: dict[str, np.ndarray]):
        parts = []
        for key, slot in self.task.actions.items():
            if slot.ignore:  # no such actuator on this robot (see ActionSlot)
                continue
            if key not in action and slot.fill is not None:
                parts.append(np.broadcast_to(np.asarray(slot.fill, np.float32), (self.num_envs, slot.dim)))
                continue
            a = np.asarray(action[key], dtype=np.float32)
            if a.shape != (self.num_envs, slot.dim):
                raise ValueError(f"{key}: expected shape {(self.num_envs, slot.dim)}, got {a.shape}")
            parts.append(a)
        return self._torch.from_numpy(np.concatenate(parts, axis=1)).to(self.device)

    def step_eval(self, action: dict[str, np.ndarray]) -> StepResult:
        torch = self._torch
        with torch.inference_mode():
            raw, rew, terminated, time_outs, _extras = self.env.step(self._action_tensor(action))
        self._last_reward = rew.detach().cpu().numpy().astype(np.float32)
        term = terminated.detach().cpu().numpy().astype(bool)
        tout = time_outs.detach().cpu().numpy().astype(bool)
        self._steps += 1
        n = self.num_envs
        done = np.zeros(n, bool)
        success = np.zeros(n, bool)
        error = np.zeros(n, bool)
        reason = [""] * n
        fired = self._fired_terms(term)
        succ_term = None
        if self.task.success.kind == "term" and self.task.success.rule == "any_step":
            succ_term = self.env.termination_manager.get_term(self.task.success.term).cpu().numpy().astype(bool)
        obs = self._extract(raw)
        for i in range(n):
            time_up = bool(tout[i] or self._steps[i] >= self.max_steps)
            if succ_term is not None and succ_term[i]:
                done[i], success[i], reason[i] = True, True, f"term:{self.task.success.term}"
            elif term[i]:
                done[i], reason[i] = True, fired[i] or "terminated"
            elif self.task.success.kind == "term" and self.task.success.rule != "any_step":
                verdict = self.probes.decide(i, time_up)
                if verdict is not None:
                    done[i], success[i] = True, verdict
                    reason[i] = f"term:{self.task.success.term}" if verdict else "time_limit"
            elif time_up:
                done[i], reason[i] = True, "time_limit"
                success[i] = self.task.success.kind == "time_limit"
        # Slots that did not end: their observation is current, so check it. The actions were
        # finite (the runner checks them), so a state they drove non-finite is the policy's
        # failure, counted in its rate (docs/design.md Rule 3), not a simulator error.
        live = ~done
        for key, arr in obs.items():
            if key.startswith("state."):
                bad = live & ~np.isfinite(arr).all(axis=1)
                for i in np.flatnonzero(bad):
                    done[i], reason[i] = True, f"policy:non-finite {key}"
                    live[i] = False
        for name, cond in self.task.failure_when.items():
            values = obs[cond.key][:, cond.index]
            hit = live & ((values < cond.outside[0]) | (values > cond.outside[1]))
            for i in np.flatnonzero(hit):
                done[i], reason[i] = True, f"failure_when:{name}"
                live[i] = False
        self._last_obs = obs
        return StepResult(obs=obs, done=done, success=success, error=error, reason=reason,
                          success_now=self.probes.success_now.copy(), milestones=self.probes.milestone_now.copy())

    def _fired_terms(self, term: np.ndarray) -> list[str]:
        if not self._is_manager or not term.any():
            return [""] * self.num_envs
        tm = self.env.termination_manager
        flags = {n: tm.get_term(n).cpu().numpy().astype(bool) for n in tm.active_terms}
        return [
            ",".join(f"term:{n}" for n, f in flags.items() if f[i] and not tm.get_term_cfg(n).time_out) for i in range(self.num_envs)
        ]

    # ---------------------------------------------------------------- Gymnasium vector API

    def close(self, **kwargs) -> None:
        if getattr(self, "_gym_env", None) is not None:
            self._gym_env.close()
            self._gym_env = None


def _flatten(state: dict[str, dict[str, dict[str, float]]]) -> dict[str, list[float]]:
    out = {}
    for asset, fields in state.items():
        for field, values in fields.items():
            for name, value in values.items():
                out[f"{asset}.{field}.{name}"] = [float(value)]
    return out


__all__ = ["IsaacLabVectorEnv", "check_env_ids", "import_isaaclab", "isaaclab_versions"]
