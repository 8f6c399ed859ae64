"""One evaluation: cards -> plan -> envs and policy -> records -> reports.

The run directory is checked and locked first (`records.RunLock`: one writer per run, a
one-line error for a path that cannot be a run directory), then everything that can be
checked without the simulator is; a user error found later in a fresh run (a modality key
the env cannot provide) removes the directory again, so no half-written results are left
behind. A run's identity (`records.manifest.run_identity`) holds what produced the actions: the cards, the
checkpoint's content hash and, for a remote policy, what the server says it serves. The code
has an identity of its own (`code_identity`: a content hash of the sources and card files):
`--resume` under other code stops with one line naming both, unless `allow_code_change`,
which records the change (manifest `invocations`, the records' `code_hash`) for the
reports to mark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

from .. import STARTED, __version__, console
from ..cards import PolicySpec, SuiteSpec
from ..errors import RunStopped, UserError
from ..policies import Policy, make_policy
from ..records import (
    EPISODES,
    MANIFEST,
    RunLock,
    RunWriter,
    content_hash,
    finished,
    load_run,
    read_records,
    write_json_atomic,
)
from ..records.code_identity import STAMP, code_identity
from ..records.manifest import plan_dict, record_definition, record_timing, resume_or_start, stamp
from .media import MediaRecorder
from .runner import PlannedEpisode, Timing, make_plan, run_task, task_env


@dataclasses.dataclass
class EvalConfig:
    suite: SuiteSpec
    policy: PolicySpec
    seed: int = 0
    out: Path | None = None
    resume: bool = False
    progress: bool = True
    report: bool = True
    videos: int = 2  # episodes per task recorded as mp4 (tasks with cameras)
    ray: str | None = None  # Ray cluster address ("local", "auto", "host:port"); None runs here
    ray_cpus: int | None = None  # CPUs of a "local" cluster (default: all)
    shard_size: int | None = None  # episodes per Ray shard (default: see distributed.make_shards)
    ray_retries: int = 3  # attempts per shard beyond the first
    verbose: bool = False  # the simulator's start-up output on the console instead of simulator.log
    allow_code_change: bool = False  # --resume under other code: record the change instead of refusing


def default_run_dir(suite: SuiteSpec, policy: PolicySpec) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{suite.name}-{policy.name}-{stamp}"


def _num_envs(suite: SuiteSpec) -> dict[str, int]:
    return {t.name: t.env.num_envs for t in suite.tasks}


def build_manifest(cfg: EvalConfig, plan: dict[str, list[PlannedEpisode]], policy_files: list[str],
                   policy_identity: dict[str, Any] | None = None) -> dict[str, Any]:
    from ..envs.isaaclab import isaaclab_versions

    devices = sorted({t.env.device for t in cfg.suite.tasks})
    code = code_identity(own=cfg.out)
    return stamp({
        "run_id": cfg.out.name if cfg.out else None,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "suite": cfg.suite.to_dict(),
        "policy": cfg.policy.to_dict(),
        "plan": plan_dict(cfg.seed, {t: [e.seed for e in eps] for t, eps in plan.items()}),
        "num_envs": _num_envs(cfg.suite),
        "checkpoint_sha256": content_hash(policy_files),
        "policy_identity": policy_identity,
        "device": devices[0] if len(devices) == 1 else devices,
        "backend": sorted({f"{t.env.backend}:{t.env.app}:{t.env.physics}" for t in cfg.suite.tasks}),
        "versions": {"arena_eval": __version__, "python": platform.python_version(), **isaaclab_versions()},
        "git": {"revision": code["revision"], "dirty": code["dirty"]},
        "code": code,
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
    })


SIMULATOR_LOG = "simulator.log"


def _check_out(cfg: EvalConfig) -> None:
    """Path checks that need no lock (the lock makes the directory)."""
    out = cfg.out
    assert out is not None
    if cfg.resume and not (out / MANIFEST).is_file():
        what = "nothing to resume (no such run directory)" if not out.exists() else "nothing to resume (no manifest.json)"
        raise UserError(what, where=str(out))


def evaluate(cfg: EvalConfig) -> Path:
    """Run (or resume) an evaluation and write its records and reports. Returns the run dir."""
    return locked_run(cfg, lambda run_once: run_once(cfg, make_plan(cfg.suite, cfg.seed)))


RunOnce = Callable[[EvalConfig, dict[str, list[PlannedEpisode]]], Path]


def locked_run(cfg: EvalConfig, body: Callable[[RunOnce], Any]) -> Path:
    """Check and lock the run directory, load the policy once, and call `body(run_once)`, where
    `run_once(cfg, plan)` runs that plan's unrecorded episodes in the locked directory (a later
    call with a longer plan and resume=True grows it: the sequential evaluation's batches)."""
    cfg.out = Path(cfg.out or default_run_dir(cfg.suite, cfg.policy))
    _check_out(cfg)
    if cfg.ray is not None:
        from .distributed import check_ray_address

        check_ray_address(cfg.ray)
    lock = RunLock(cfg.out).acquire()
    fresh_files: list[Path] = []  # what a fresh run wrote, to take back if it stops on a user error
    keep = False
    try:
        if cfg.ray is None and cfg.suite.tasks:
            # The first task's env workers start now, their start-up beside the policy's load.
            from ..envs import prestart

            prestart(cfg.suite.tasks[0], cfg.seed)
        policy = make_policy(cfg.policy)
        try:
            body(lambda c, plan: _run(c, plan, policy, fresh_files))
        finally:
            policy.close()
        keep = True
        return cfg.out
    except UserError:
        # A fresh run stopped by a user error before it recorded anything leaves nothing.
        keep = bool(read_records(cfg.out / EPISODES))
        if not keep and lock.created is None:  # the directory was there before: take back what we wrote
            for p in fresh_files:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        raise
    except BaseException:
        keep = True
        raise
    finally:
        lock.release(remove=not keep)


def _run(cfg: EvalConfig, plan: dict[str, list[PlannedEpisode]], policy: Policy, fresh_files: list[Path]) -> Path:
    suite, policy_spec = cfg.suite, cfg.policy
    assert cfg.out is not None
    if policy_spec.type in ("scripted", "blind"):  # blind replays the expert's first episode
        for t in suite.tasks:  # every task needs an expert; say so before any work
            from ..registry import make_expert

            if not t.expert:
                raise UserError(f"task {t.name!r} names no scripted expert (field 'expert')", where=t.source)
            make_expert(t, policy_spec.action_horizon)

    manifest = build_manifest(cfg, plan, policy.checkpoint_files(), policy.identity())
    fresh, manifest, _grown = resume_or_start(cfg.out, manifest, cfg.resume, cfg.allow_code_change)
    done = finished(load_run(cfg.out)[1]) if not fresh else set()  # records checked against the plan

    from ..envs.isaaclab import check_env_ids

    if fresh:
        fresh_files.append(cfg.out / SIMULATOR_LOG)
    with console.simulator_output(cfg.out / SIMULATOR_LOG, cfg.verbose):  # Isaac Lab's import talks too
        check_env_ids(list(suite.tasks))

    writer: RunWriter | None = None
    total = Timing()
    env_info: dict[str, Any] = {}
    todo = {t.name: [e for e in plan[t.name] if (e.task, e.episode) not in done] for t in suite.tasks}

    def open_writer() -> RunWriter:
        nonlocal writer
        if writer is None:
            if fresh:
                fresh_files.extend(cfg.out / n for n in (MANIFEST, EPISODES, "media"))
            # The manifest (a grown plan, this invocation and its code) is written when the
            # invocation's first episode is about to run.
            if cfg.ray is None:  # its first env is ready: the start-up of this invocation's process
                manifest["invocations"][-1]["ready_s"] = round(time.time() - STARTED, 3)
            write_json_atomic(cfg.out / MANIFEST, manifest)
            writer = RunWriter(cfg.out, code_hash=manifest["invocations"][-1]["code"]["sha256"][:STAMP])
        return writer

    for task in suite.tasks:
        if not todo[task.name]:
            print(f"{task.name}: all {len(plan[task.name])} episodes already recorded", file=sys.stderr)
    try:
        if cfg.ray is not None:
            if any(todo.values()):
                _run_on_ray(cfg, todo, open_writer(), total, manifest.get("policy_identity"))
        else:
            for task in suite.tasks:
                if not todo[task.name]:
                    continue
                with console.simulator_output(cfg.out / SIMULATOR_LOG, cfg.verbose), \
                        task_env(task, policy, cfg.seed) as env:
                    w = open_writer()
                    record_definition(cfg.out, task.name, getattr(env, "definition", None))
                    media = MediaRecorder.for_task(cfg.out / "media" / task.name, task, env, cfg.videos)
                    total.add(run_task(env, policy, task, todo[task.name], w.append, progress=cfg.progress, media=media))
                    if hasattr(env, "backend_info"):  # the worker backend: workers, peak memory, restarts
                        env_info[task.name] = env.backend_info()
    except RunStopped as e:  # the simulator failed, the policy is gone, or Ray shards kept failing
        from ..errors import PolicyUnavailable, SimulatorError

        what = "policy unavailable" if isinstance(e, PolicyUnavailable) else "simulator failure" if isinstance(e, SimulatorError) else "ray"
        raise type(e)(f"{what}: {e}; finished episodes are kept in {cfg.out}, continue with --resume") from e
    finally:
        if writer is not None:
            writer.close()

    if writer is None and fresh:
        raise UserError("the plan is empty")
    record_timing(cfg.out, total.to_dict(), env_info)
    if cfg.report:
        from ..reports import write_reports

        write_reports(cfg.out)
    return cfg.out


def _run_on_ray(cfg: EvalConfig, todo: dict[str, list[PlannedEpisode]], writer: RunWriter, total: Timing,
                identity: dict[str, Any] | None) -> None:
    """Run the remaining episodes as shards on a Ray cluster (see distributed.py)."""
    from . import distributed as d

    tasks = [t for t in cfg.suite.tasks if todo[t.name]]
    shards = d.make_shards({t.name: todo[t.name] for t in tasks}, {t.name: t.env.num_envs for t in tasks}, cfg.shard_size)
    job = d.Job.of(tasks, cfg.policy, cfg.seed, cfg.videos, identity)
    t0 = time.perf_counter()
    backend = d.RayBackend(cfg.ray, cfg.ray_cpus)
    stats = d.DriveStats()
    try:
        print(f"ray: {len(shards)} shards of {sum(len(s.episodes) for s in shards)} episodes on {cfg.ray}", file=sys.stderr)
        stats = d.drive(backend, shards, job, {t.name: d.resources(t, cfg.policy) for t in tasks}, writer.append,
                        cfg.out, retries=cfg.ray_retries, progress=cfg.progress)
    finally:
        backend.shutdown()
        total.add(stats.timing)
        m = json.loads((cfg.out / MANIFEST).read_text())
        runs = m.setdefault("ray", [])
        runs.append({"address": cfg.ray, "driver_wall_s": round(time.perf_counter() - t0, 3), **stats.to_dict()})
        write_json_atomic(cfg.out / MANIFEST, m)


