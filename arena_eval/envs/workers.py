"""The process-parallel CPU backend (`backend: isaaclab_workers`): one worker process per
env slot, each running Isaac Lab kit-less with one world on Newton's MuJoCo C solver
(`use_mujoco_cpu`, which simulates one world per process), behind the same batched-env
contract as the in-process adapter (`reset_to`, `step_eval`, Gymnasium spaces).

- Each slot is its own world, so an episode's start state *and* its outcome depend on its
  seed alone, not on the number of slots or on which slot runs it.
- The main process sends one action row to every live worker, then collects the replies:
  the workers step in parallel. Slots that ended and were not started again are not
  stepped (their worlds are independent, so this changes nothing else).
- Cameras render only when something reads them: the video observations returned are
  `LazyFrames`, which ask the workers of the slots read for frames of the current state
  (the runner reads them at policy calls, the media recorder and dataset trace at every
  step of the episodes they record). Reading a frame after a later step or reset raises.
- A worker that dies (or does not answer within `timeout` seconds) ends its slot's episode
  as `error:worker ...`; the worker is started again and the slot takes the next episode.
- Messages between the main process and its own workers go through multiprocessing pipes
  (pickle between our own processes; nothing is read from files or the network).

- Closing the env parks its workers (the world closed, the process kept) and the next env
  of the same process takes them: another task's world is built in ~0.7 s instead of a
  new process's ~7 s. Episodes do not depend on it (tests/integration/test_isaaclab_robocasa.py compares
  a reused worker's episodes and frames with a fresh one's). ARENA_EVAL_REUSE_WORKERS=0
  turns it off.
- `prestart(task, seed)` starts an env's workers ahead of it, so that their start-up overlaps
  the main process's own (the policy's load); the env takes them when it is made.

`peak_memory()` gives each worker's and the main process's peak resident memory (a reused
worker's: over its whole life).
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing as mp
import os
import time
import traceback
from typing import Any, Callable

import gymnasium as gym
import numpy as np

from ..outcomes import RESET_HYGIENE
from .base import GymVectorAPI, StepResult

MUJOCO_CPU = "sim.physics.solver_cfg.use_mujoco_cpu"
DEFAULT_TIMEOUT = 600.0  # seconds one reply may take (env creation included)


from ..cards import available_cores  # noqa: E402  (one definition: cards say num_envs: auto)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def worker_task(task):
    """The task as one worker runs it: one world, MuJoCo C solver."""
    cfg = dict(task.env.cfg)
    cfg.setdefault(MUJOCO_CPU, True)
    return dataclasses.replace(task, env=dataclasses.replace(task.env, num_envs=1, cfg=cfg))


# ------------------------------------------------------------------------ worker side


class _IsaacLabWorld:
    """What a worker process runs: the in-process adapter with one env, cameras on demand."""

    def __init__(self, task, seed: int):
        from .isaaclab import IsaacLabVectorEnv

        self.env = IsaacLabVectorEnv(worker_task(task), num_envs=1, seed=seed, read_cameras=False)
        # ARENA_EVAL_RENDER_EVERY_STEP=1 renders the cameras after every step whether read or
        # not, as the in-process backend does: the reference that on-demand frames must equal.
        self.render_every_step = os.environ.get("ARENA_EVAL_RENDER_EVERY_STEP", "") not in ("", "0")

    def info(self) -> dict[str, Any]:
        e = self.env
        return {"obs_space": e.single_observation_space, "act_space": e.single_action_space,
                "step_dt": e.step_dt, "make_seconds": e.make_seconds, "milestone_names": e.milestone_names,
                "definition": e.definition}

    def reset(self, seed: int):
        obs, init = self.env.reset_to(np.array([0]), [int(seed)])
        if self.render_every_step:
            self.env.read_video()
        return {k: v[0] for k, v in obs.items()}, init[0], self.env.reset_faults.get(0)

    def step(self, action: dict[str, np.ndarray]):
        r = self.env.step_eval({k: v[None] for k, v in action.items()})
        if self.render_every_step:
            self.env.read_video()
        return ({k: v[0] for k, v in r.obs.items()}, bool(r.done[0]), bool(r.success[0]), bool(r.error[0]), r.reason[0],
                bool(r.success_now[0]) if r.success_now is not None else False,
                r.milestones[0] if r.milestones is not None else np.zeros(0, bool))

    def render(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self.env.read_video().items()}

    def close(self) -> None:
        self.env.close()


def _make(conn, make_world: Callable[[], Any]) -> Any:
    """Build a world and say so: ("ok", None), or ("user"/"exc", text) and None."""
    from ..errors import UserError

    try:
        world = make_world()
    except UserError as e:  # a mistake in the card: the main process raises it as one line
        conn.send(("user", str(e)))
        return None
    except BaseException as e:  # noqa: BLE001  (reported to the main process, which raises)
        conn.send(("exc", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
        return None
    conn.send(("ok", None))
    return world


def _serve(conn, make_world: Callable[[], Any], remake: Callable[[tuple], Any] | None = None) -> None:
    """A worker's loop: one request, one reply ("ok", value) or ("exc", text). With `remake`,
    "park" closes the world and keeps the process for a later "make" (another task's world,
    built without the process's start-up)."""
    world = _make(conn, make_world)
    if world is None:
        return
    while True:
        try:
            cmd, arg = conn.recv()
        except (EOFError, OSError):
            break
        if cmd == "close" or (cmd == "park" and remake is None):
            try:
                world.close()
            finally:
                conn.send(("ok", None))
            break
        if cmd == "park":
            try:
                world.close()
            except BaseException as e:  # noqa: BLE001  (not reusable: the main process closes it)
                conn.send(("exc", f"{type(e).__name__}: {e}".splitlines()[0]))
                break
            conn.send(("ok", None))
            try:
                cmd, arg = conn.recv()
            except (EOFError, OSError):
                break
            if cmd != "make":
                conn.send(("ok", None))  # "close" of a parked worker
                break
            world = _make(conn, lambda: remake(arg))
            if world is None:
                return
            continue
        try:
            if cmd == "info":
                value = {**world.info(), "peak_rss_mb": _peak_rss_mb(), "pid": os.getpid()}
            elif cmd == "reset":
                value = world.reset(arg)
            elif cmd == "step":
                value = world.step(arg)
            elif cmd == "render":
                value = world.render()
            elif cmd == "mem":
                value = _peak_rss_mb()
            else:
                raise ValueError(f"unknown request {cmd!r}")
        except Exception as e:  # noqa: BLE001
            conn.send(("exc", f"{type(e).__name__}: {e}".splitlines()[0]))
            continue
        conn.send(("ok", value))


def _isaaclab_worker(conn, task, seed: int) -> None:
    # One world per process on a shared machine: no thread pools competing for the cores.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    _serve(conn, lambda: _IsaacLabWorld(task, seed), remake=lambda args: _IsaacLabWorld(*args))


# ------------------------------------------------------------------------ main side


class WorkerDied(RuntimeError):
    pass


class _Worker:
    def __init__(self, ctx, target, args: tuple, timeout: float):
        self.ctx, self.target, self.args, self.timeout = ctx, target, args, timeout
        self.start()

    def start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=self.target, args=(child, *self.args), daemon=True)
        self.proc.start()
        child.close()
        self.pending = True  # the "ready" reply

    def send(self, cmd: str, arg: Any = None) -> None:
        try:
            self.conn.send((cmd, arg))
        except (BrokenPipeError, OSError) as e:
            raise WorkerDied(self._why(e)) from e
        self.pending = True

    def recv(self) -> Any:
        deadline = time.monotonic() + self.timeout
        while not self.conn.poll(0.5):
            if not self.proc.is_alive() and not self.conn.poll(0):
                raise WorkerDied(self._why())
            if time.monotonic() > deadline:
                self.kill()
                raise WorkerDied(f"worker {self.proc.pid} gave no answer in {self.timeout:.0f} s")
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError) as e:
            raise WorkerDied(self._why(e)) from e
        self.pending = False
        if status == "user":
            from ..errors import UserError

            raise UserError(value)
        if status == "exc":
            raise RuntimeError(value)
        return value

    def call(self, cmd: str, arg: Any = None) -> Any:
        self.send(cmd, arg)
        return self.recv()

    def _why(self, e: BaseException | None = None) -> str:
        self.proc.join(timeout=5)
        code = self.proc.exitcode
        return f"worker {self.proc.pid} died (exit code {code})" if code is not None else f"worker {self.proc.pid}: {e}"

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=10)
        self.conn.close()

    def restart(self) -> None:
        self.kill()
        self.start()
        self.recv()

    def close(self) -> None:
        try:
            if self.proc.is_alive():
                self.call("close")
        except (WorkerDied, RuntimeError):
            pass
        self.proc.join(timeout=30)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=10)
        self.conn.close()


class LazyFrames:
    """One camera's frames of every slot, rendered by the workers of the slots read, on
    first read. Valid until the env's next step or reset."""

    def __init__(self, env: "WorkerVectorEnv", key: str, epoch: int):
        self._env, self.key, self._epoch = env, key, epoch
        space = env.single_observation_space[key]
        self.shape = (env.num_envs, *space.shape)
        self.dtype = np.dtype(np.uint8)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx):
        head = idx[0] if isinstance(idx, tuple) else idx
        slots = np.atleast_1d(np.arange(self.shape[0])[head])
        buf = self._env._frames(self.key, slots, self._epoch)
        return buf[idx]

    def __array__(self, dtype=None, copy=None):
        arr = self[:]
        return arr.astype(dtype) if dtype is not None else arr

    def copy(self) -> np.ndarray:
        return np.array(self[:])


# Parked Isaac Lab workers of this process (default target, spawn), reused by the next env:
# an Isaac Lab worker is ready after ~7 s, another world built in a warm process takes
# ~0.7 s (benchmarks/bench_worker_startup.py). A world's episodes depend on its seeds alone,
# in a fresh process or a reused one (tests/integration/test_isaaclab_workers.py compares them).
# ARENA_EVAL_REUSE_WORKERS=0 starts fresh workers for every env.
_PARKED: list[_Worker] = []


def _reuse() -> bool:
    return os.environ.get("ARENA_EVAL_REUSE_WORKERS", "1") not in ("", "0")


# Workers started ahead of their env (`prestart`): (task, seed, workers building its world).
_PRESTARTED: list[tuple[Any, int, list[_Worker]]] = []


@atexit.register
def close_parked() -> None:
    """Stop the parked workers, and kill those started ahead and never taken (at exit, or to
    free their memory)."""
    while _PARKED:
        _PARKED.pop().close()
    while _PRESTARTED:
        for w in _PRESTARTED.pop()[2]:
            w.kill()


def prestart(task, seed: int = 0) -> bool:
    """Start the workers of the env `make_env(task, seed=seed)` will make, now, so that their
    start-up (Isaac Lab's import, the world's build: most of a run's start-up) overlaps what
    the main process does before it (loading the policy). That env takes them as they are;
    another env waits for them to be ready and parks them (then builds its own world in
    them). Episodes do not depend on it: the same process builds the same world either way.
    Returns whether workers were started (the worker backend, reuse on, none waiting, not
    turned off by ARENA_EVAL_PRESTART=0)."""
    if task.env.backend != "isaaclab_workers" or not _reuse() or _PRESTARTED \
            or os.environ.get("ARENA_EVAL_PRESTART", "1") in ("", "0"):  # 0: as before (benchmarks/bench_startup.py)
        return False
    from .assets import ensure_asset_root

    ensure_asset_root()
    ctx = mp.get_context("spawn")
    n = int(task.env.num_envs or available_cores())
    _PRESTARTED.append((task, int(seed), [_Worker(ctx, _isaaclab_worker, (task, int(seed)), DEFAULT_TIMEOUT)
                                          for _ in range(n)]))
    return True


def _take_prestarted(task, seed: int, n: int) -> list[_Worker]:
    """Up to n workers started ahead for exactly this (task, seed); any others are waited for
    and parked, for the next env to build its own world in."""
    taken: list[_Worker] = []
    same = lambda t: dataclasses.replace(t, episodes=0)  # noqa: E731  (the plan's length builds no world)
    while _PRESTARTED:
        t, s, workers = _PRESTARTED.pop()
        for w in workers:
            if same(t) == same(task) and s == seed and len(taken) < n:
                taken.append(w)
                continue
            try:
                w.recv()  # its world is built (or it failed: this env's own build will say why)
                w.call("park")
                _PARKED.append(w)
            except Exception:  # noqa: BLE001
                w.kill()
    return taken


class WorkerVectorEnv(GymVectorAPI, gym.vector.VectorEnv):
    """N worker processes, one world each, behind the `BatchedEnv` protocol."""

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}
    backend = "isaaclab_workers"

    def __init__(self, task, num_envs: int | None = None, seed: int = 0, *, timeout: float = DEFAULT_TIMEOUT,
                 worker_target: Callable | None = None, start_method: str = "spawn"):
        self.task = task
        self.num_envs = int(num_envs or task.env.num_envs or available_cores())
        self.max_steps = task.max_steps
        self.seed = int(seed)
        from .assets import ensure_asset_root

        ensure_asset_root()  # here too: experts in this process read the asset root's robot files
        self._ctx = mp.get_context(start_method)
        target = worker_target or _isaaclab_worker
        self._poolable = worker_target is None and start_method == "spawn" and _reuse()
        t0 = time.perf_counter()
        self._workers: list[_Worker] = []
        try:
            if self._poolable and _PRESTARTED:
                for w in _take_prestarted(task, self.seed, self.num_envs):
                    w.args, w.timeout = (task, self.seed), timeout  # a restart builds this task
                    self._workers.append(w)  # its "ready" reply is pending, as a new worker's
            for _ in range(self.num_envs - len(self._workers)):
                if self._poolable and _PARKED:
                    w = _PARKED.pop()
                    w.args, w.timeout = (task, self.seed), timeout  # a restart builds this task
                    self._workers.append(w)
                    w.send("make", (task, self.seed))
                else:
                    self._workers.append(_Worker(self._ctx, target, (task, self.seed), timeout))
            for w in self._workers:  # they start in parallel
                w.recv()
            info = self._workers[0].call("info")
        except BaseException:
            self.close()
            raise
        self.make_seconds = time.perf_counter() - t0
        self.step_dt = info["step_dt"]
        self.milestone_names = list(info.get("milestone_names") or [])
        self.definition = info.get("definition")
        self.reset_faults: dict[int, str] = {}
        self.device = "cpu"
        self.restarts = 0
        self.single_observation_space = info["obs_space"]
        self.single_action_space = info["act_space"]
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        self._video_keys = [k for k in self.single_observation_space.spaces if k.startswith("video.")]
        self._state: dict[str, np.ndarray] = {
            k: np.zeros((self.num_envs, *sp.shape), sp.dtype)
            for k, sp in self.single_observation_space.spaces.items() if not k.startswith("video.")
        }
        self._live = np.zeros(self.num_envs, bool)
        self._dead: dict[int, str] = {}  # slot -> reason: its worker died outside a step
        self._epoch = 0
        self._cache: dict[str, np.ndarray] = {}
        self._rendered = np.zeros(self.num_envs, bool)
        self._peak: dict[int, float] = {}
        self._last_reward = np.zeros(self.num_envs, np.float32)

    # ---------------------------------------------------------------- observations

    def _new_epoch(self) -> None:
        self._epoch += 1
        self._cache = {k: np.zeros((self.num_envs, *self.single_observation_space[k].shape), np.uint8)
                       for k in self._video_keys}
        self._rendered[:] = False

    def _obs(self) -> dict[str, Any]:
        obs: dict[str, Any] = {k: v.copy() for k, v in self._state.items()}
        for k in self._video_keys:
            obs[k] = LazyFrames(self, k, self._epoch)
        return {k: obs[k] for k in self.single_observation_space.spaces}

    def _frames(self, key: str, slots: np.ndarray, epoch: int) -> np.ndarray:
        if epoch != self._epoch:
            raise RuntimeError(f"{key}: camera frames read after a later step or reset of the env")
        todo = [int(s) for s in slots if not self._rendered[s]]
        sent = []
        for s in todo:
            try:
                self._workers[s].send("render")
                sent.append(s)
            except WorkerDied as e:
                self._handle_death(s)
                self._dead[s] = f"error:{e}"
        for s in todo:
            frames = {}
            if s in sent:
                try:
                    frames = self._workers[s].recv()
                except WorkerDied as e:  # the episode ends as an error at the next step
                    self._handle_death(s)
                    self._dead[s] = f"error:{e}"
            for k, f in frames.items():
                self._cache[k][s] = f
            self._rendered[s] = True
        return self._cache[key]

    # ---------------------------------------------------------------- episodes

    def reset_to(self, env_ids, seeds) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        env_ids = np.asarray(env_ids, dtype=np.int64)
        if len(env_ids) != len(seeds):
            raise ValueError("one seed per env id")
        self._new_epoch()
        self.reset_faults = {}
        inits: list[dict[str, Any]] = [{} for _ in env_ids]
        sent = set()
        for i, s in zip(env_ids, seeds):
            try:
                self._workers[i].send("reset", int(s))
                sent.add(int(i))
            except WorkerDied:
                self._handle_death(int(i))
        for row, (i, s) in enumerate(zip(env_ids, seeds)):
            try:
                if int(i) not in sent:
                    raise WorkerDied("not sent")
                obs, init, fault = self._workers[i].recv()
            except WorkerDied:  # start it again and retry once: the start state is the seed's alone
                if int(i) in sent:
                    self._handle_death(int(i))
                obs, init, fault = self._workers[i].call("reset", int(s))
            for k, v in obs.items():
                self._state[k][i] = v
            inits[row] = init
            self._live[i] = True
            self._dead.pop(int(i), None)
            if fault:
                self.reset_faults[int(i)] = fault
                if fault.startswith(RESET_HYGIENE):  # the world carries the past: the next episode gets a fresh one
                    self._handle_death(int(i))
                    self._live[i] = False
        return self._obs(), inits

    def step_eval(self, action: dict[str, np.ndarray]) -> StepResult:
        n = self.num_envs
        self._new_epoch()
        done = np.zeros(n, bool)
        success = np.zeros(n, bool)
        error = np.zeros(n, bool)
        reason = [""] * n
        success_now = np.zeros(n, bool)
        milestones = np.zeros((n, len(self.milestone_names)), bool)
        live = np.flatnonzero(self._live)
        sent: list[int] = []
        died: list[int] = []
        for i, why in list(self._dead.items()):
            if self._live[i]:
                done[i], error[i], reason[i] = True, True, why
        self._dead.clear()
        for i in live:
            if done[i]:
                continue
            row = {k: np.asarray(v[i], np.float32) for k, v in action.items()}
            try:
                self._workers[i].send("step", row)
                sent.append(i)
            except WorkerDied as e:
                done[i], error[i], reason[i] = True, True, f"error:{e}"
                died.append(int(i))
        for i in sent:
            try:
                obs, d, s, err, why, now, ms = self._workers[i].recv()
            except WorkerDied as e:
                done[i], error[i], reason[i] = True, True, f"error:{e}"
                died.append(int(i))
                continue
            except RuntimeError as e:  # the simulator raised in that world: end its episode, renew it
                done[i], error[i], reason[i] = True, True, f"error:simulator {e}".splitlines()[0]
                died.append(int(i))
                continue
            for k, v in obs.items():
                self._state[k][i] = v
            done[i], success[i], error[i], reason[i] = d, s, err, why
            success_now[i] = now
            milestones[i, : len(ms)] = ms
        for i in died:  # start it again: the slot takes the next planned episode
            self._handle_death(i)
        self._live &= ~done
        return StepResult(obs=self._obs(), done=done, success=success, error=error, reason=reason,
                          success_now=success_now, milestones=milestones)

    def _handle_death(self, i: int) -> None:
        self.restarts += 1
        self._workers[i].restart()

    # ---------------------------------------------------------------- reporting

    def peak_memory(self) -> dict[str, Any]:
        """Peak resident memory (MB) of each worker and of this process."""
        for i, w in enumerate(self._workers):
            try:
                self._peak[i] = max(self._peak.get(i, 0.0), float(w.call("mem")))
            except (WorkerDied, RuntimeError):
                pass
        return {"workers": self.num_envs, "worker_peak_rss_mb": [round(self._peak.get(i, 0.0), 1) for i in range(self.num_envs)],
                "main_peak_rss_mb": round(_peak_rss_mb(), 1), "restarts": self.restarts}

    def backend_info(self) -> dict[str, Any]:
        return {"backend": self.backend, "solver": "newton:mujoco_c", **self.peak_memory()}

    # ---------------------------------------------------------------- Gymnasium vector API

    def close(self, **kwargs) -> None:
        for w in getattr(self, "_workers", []):
            if getattr(self, "_poolable", False) and w.proc.is_alive() and not w.pending:
                try:
                    w.call("park")
                    _PARKED.append(w)
                    continue
                except (WorkerDied, RuntimeError):
                    pass
            w.close()
        self._workers = []


__all__ = ["LazyFrames", "WorkerVectorEnv", "available_cores", "prestart", "worker_task"]
