"""One evaluation: cards -> plan -> envs and policy -> records -> reports.

Everything that can be checked without the simulator is checked before a run directory is
created; a user error found later in a fresh run (a modality key the env cannot provide)
removes the directory again, so no half-written results are left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from . import __version__
from .errors import RunStopped, UserError
from .media import MediaRecorder
from .envs.base import BatchedEnv
from .policies import Policy, make_policy
from .results import EPISODES, MANIFEST, RunWriter, load_manifest, read_records, write_json_atomic
from .runner import PlannedEpisode, Timing, make_plan, run_task
from .specs import REPO_ROOT, PolicySpec, SuiteSpec, TaskSpec


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


def git_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        return {"revision": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}


def content_hash(paths: list[str]) -> str | None:
    """sha256 over the files (recursively for folders), in sorted path order."""
    if not paths:
        return None
    h = hashlib.sha256()
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p])
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def task_env(task: TaskSpec, policy: Policy, seed: int) -> Iterator[BatchedEnv]:
    """The task's env with the policy bound to it (UserError on a mismatch), closed after."""
    from .envs import make_env

    env = make_env(task, seed=seed)
    try:
        policy.bind(task, env.single_observation_space, env.single_action_space)
        yield env
    finally:
        env.close()


def default_run_dir(suite: SuiteSpec, policy: PolicySpec) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{suite.name}-{policy.name}-{stamp}"


def _plan_dict(suite: SuiteSpec, seed: int, plan: dict[str, list[PlannedEpisode]]) -> dict[str, Any]:
    return {"seed": seed, "tasks": {t: {"episodes": len(eps), "seeds": [e.seed for e in eps]} for t, eps in plan.items()}}


def _identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """What must match for --resume to continue a run (as JSON sees it; card paths aside)."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "source"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    keys = ("suite", "policy", "plan", "num_envs", "checkpoint_sha256")
    return strip(json.loads(json.dumps({k: manifest.get(k) for k in keys}, default=str)))


def _num_envs(suite: SuiteSpec) -> dict[str, int]:
    return {t.name: t.env.num_envs for t in suite.tasks}


def build_manifest(cfg: EvalConfig, plan: dict[str, list[PlannedEpisode]], policy_files: list[str]) -> dict[str, Any]:
    from .envs.isaaclab import isaaclab_versions

    devices = sorted({t.env.device for t in cfg.suite.tasks})
    return {
        "run_id": cfg.out.name if cfg.out else None,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "suite": cfg.suite.to_dict(),
        "policy": cfg.policy.to_dict(),
        "plan": _plan_dict(cfg.suite, cfg.seed, plan),
        "num_envs": _num_envs(cfg.suite),
        "checkpoint_sha256": content_hash(policy_files),
        "device": devices[0] if len(devices) == 1 else devices,
        "backend": sorted({f"{t.env.backend}:{t.env.app}:{t.env.physics}" for t in cfg.suite.tasks}),
        "versions": {"arena_eval": __version__, "python": platform.python_version(), **isaaclab_versions()},
        "git": git_info(),
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }


def prepare_run_dir(cfg: EvalConfig, manifest: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Check the run dir against the request. Returns (fresh, manifest to use)."""
    out = cfg.out
    assert out is not None
    exists = out.exists() and any(out.iterdir())
    if not cfg.resume:
        if exists:
            raise UserError("holds another run; pass --resume to continue it or choose another --out", where=str(out))
        return True, manifest
    if not exists:
        raise UserError("nothing to resume (no such run directory)", where=str(out))
    old = load_manifest(out)
    a, b = _identity(old), _identity(manifest)
    diff = [k for k in a if a[k] != b[k]]
    if diff:
        raise UserError(f"cannot resume: this request differs from the run in {', '.join(diff)}", where=str(out / MANIFEST))
    return False, old


def evaluate(cfg: EvalConfig) -> Path:
    """Run (or resume) an evaluation and write its records and reports. Returns the run dir."""
    suite, policy_spec = cfg.suite, cfg.policy
    cfg.out = Path(cfg.out or default_run_dir(suite, policy_spec))
    plan = make_plan(suite, cfg.seed)
    policy = make_policy(policy_spec)
    if policy_spec.type == "scripted":
        for t in suite.tasks:  # every task needs an expert; say so before any work
            from .policies.experts import make_expert

            if not t.expert:
                raise UserError(f"task {t.name!r} names no scripted expert (field 'expert')", where=t.source)
            make_expert(t, policy_spec.action_horizon)

    manifest = build_manifest(cfg, plan, policy.checkpoint_files())
    fresh, manifest = prepare_run_dir(cfg, manifest)

    from .envs.isaaclab import check_env_ids

    check_env_ids(list(suite.tasks))
    done = {(r.task, r.episode) for r in read_records(cfg.out / EPISODES)} if not fresh else set()

    created = False
    writer: RunWriter | None = None
    total = Timing()
    todo = {t.name: [e for e in plan[t.name] if (e.task, e.episode) not in done] for t in suite.tasks}

    def open_writer() -> RunWriter:
        nonlocal writer, created
        if writer is None:
            cfg.out.mkdir(parents=True, exist_ok=True)
            created = fresh
            if fresh:
                write_json_atomic(cfg.out / MANIFEST, manifest)
            writer = RunWriter(cfg.out)
        return writer

    for task in suite.tasks:
        if not todo[task.name]:
            print(f"{task.name}: all {len(plan[task.name])} episodes already recorded", file=sys.stderr)
    try:
        if cfg.ray is not None:
            if any(todo.values()):
                _run_on_ray(cfg, todo, open_writer(), total)
        else:
            for task in suite.tasks:
                if not todo[task.name]:
                    continue
                with task_env(task, policy, cfg.seed) as env:
                    w = open_writer()
                    media = MediaRecorder.for_task(cfg.out / "media" / task.name, task, env, cfg.videos)
                    total.add(run_task(env, policy, task, todo[task.name], w.append, progress=cfg.progress, media=media))
    except UserError:
        recorded = writer is not None and bool(writer.done)
        if writer is not None:
            writer.close()
            writer = None
        if created and not recorded:  # a fresh run stopped by a user error leaves nothing behind
            shutil.rmtree(cfg.out, ignore_errors=True)
        raise
    except RunStopped as e:  # the simulator failed, the policy is gone, or Ray shards kept failing
        from .runner import PolicyUnavailable, SimulatorError

        what = "policy unavailable" if isinstance(e, PolicyUnavailable) else "simulator failure" if isinstance(e, SimulatorError) else "ray"
        raise type(e)(f"{what}: {e}; finished episodes are kept in {cfg.out}, continue with --resume") from e
    finally:
        if writer is not None:
            writer.close()
        policy.close()

    if writer is None and fresh:
        raise UserError("the plan is empty")
    _record_timing(cfg.out, total)
    if cfg.report:
        from .report import write_reports

        write_reports(cfg.out)
    return cfg.out


def _run_on_ray(cfg: EvalConfig, todo: dict[str, list[PlannedEpisode]], writer: RunWriter, total: Timing) -> None:
    """Run the remaining episodes as shards on a Ray cluster (see distributed.py)."""
    from . import distributed as d

    tasks = [t for t in cfg.suite.tasks if todo[t.name]]
    shards = d.make_shards({t.name: todo[t.name] for t in tasks}, {t.name: t.env.num_envs for t in tasks}, cfg.shard_size)
    job = d.Job.of(tasks, cfg.policy, cfg.seed, cfg.videos)
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


def _record_timing(run_dir: Path, t: Timing) -> None:
    """Add this invocation's timing to the manifest (summed over resumed invocations)."""
    m = json.loads((run_dir / MANIFEST).read_text())
    old = m.get("timing") or {}
    new = t.to_dict()
    m["timing"] = {k: round(old.get(k, 0) + new[k], 4) for k in new}
    write_json_atomic(run_dir / MANIFEST, m)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .specs import load_policy, load_suite, override, select_tasks

    p = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Evaluate a policy on a task suite; writes results/<run>/ with records and reports.",
    )
    p.add_argument("--suite", required=True, help="suite name in tasks/ or a path to a suite card")
    p.add_argument("--tasks", default=None, help="comma-separated task names of the suite to run (default: all)")
    p.add_argument("--policy", required=True, help="policy name in policies/ or a path to a policy card")
    p.add_argument("--num-envs", type=int, default=None, help="parallel env slots per task (default: the card's)")
    p.add_argument("--backend", default=None, choices=("isaaclab", "isaaclab_workers"),
                   help="env backend for every task: isaaclab (N envs in one process, MJWarp) or isaaclab_workers "
                        "(one env per worker process, MuJoCo C; --num-envs workers) (default: each card's)")
    p.add_argument("--episodes", type=int, default=None, help="episodes per task (default: the card's)")
    p.add_argument("--seed", type=int, default=0, help="run seed; each episode's seed derives from it")
    p.add_argument("--out", type=Path, default=None, help="run directory (default: results/<suite>-<policy>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out without repeating episodes")
    p.add_argument("--videos", type=int, default=2, help="record the first K episodes of each task with a camera as mp4")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    g = p.add_argument_group("Ray (one evaluation across many machines; see the README)")
    g.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run shards on a Ray cluster: 'auto' or host:port joins one, 'local' starts one here")
    g.add_argument("--ray-cpus", type=int, default=None, help="CPUs of a --ray local cluster (default: all)")
    g.add_argument("--shard-size", type=int, default=None,
                   help="episodes per shard (default: 4 x the task's num_envs)")
    g.add_argument("--ray-retries", type=int, default=3, help="attempts per failed shard beyond the first (default 3)")
    args = p.parse_args(argv)
    if args.ray is None and (args.ray_cpus is not None or args.shard_size is not None):
        raise UserError("--ray-cpus and --shard-size need --ray", field="--ray")
    if args.ray_cpus is not None and args.ray != "local":
        raise UserError("--ray-cpus sets the size of a cluster started here (--ray local); an existing cluster "
                        "has its own", field="--ray-cpus")
    if args.shard_size is not None and args.shard_size < 1:
        raise UserError(f"expected an integer >= 1, got {args.shard_size}", field="--shard-size")
    if args.ray_retries < 0:
        raise UserError(f"expected an integer >= 0, got {args.ray_retries}", field="--ray-retries")
    if args.resume and args.out is None:
        raise UserError("--resume needs --out (the run directory to continue)")
    suite = load_suite(args.suite)
    suite = select_tasks(suite, [t for t in args.tasks.split(",") if t] if args.tasks else None)
    suite = override(suite, num_envs=args.num_envs, episodes=args.episodes, backend=args.backend)
    policy = load_policy(args.policy)
    out = evaluate(
        EvalConfig(
            suite=suite, policy=policy, seed=args.seed, out=args.out, resume=args.resume,
            progress=not args.no_progress, videos=max(0, args.videos),
            ray=args.ray, ray_cpus=args.ray_cpus, shard_size=args.shard_size, ray_retries=args.ray_retries,
        )
    )
    summary = out / "summary.md"
    if summary.exists():
        print(summary.read_text())
    print(f"run written to {out}")
    return 0
