"""One evaluation: cards -> plan -> envs and policy -> records -> reports.

The run directory is checked and locked first (`results.RunLock`: one writer per run, a
one-line error for a path that cannot be a run directory), then everything that can be
checked without the simulator is; a user error found later in a fresh run (a modality key
the env cannot provide) removes the directory again, so no half-written results are left
behind. A run's identity (`_identity`) holds what produced the actions: the cards, the
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
from typing import Any

from .. import __version__
from .. import console
from ..records.code_identity import STAMP
from ..records.code_identity import check_resume
from ..records.code_identity import code_identity
from ..records.code_identity import invocation
from ..records.code_identity import run_cards
from ..records.code_identity import git_info  # noqa: F401 (moved there; record.py imports it from here)
from ..errors import RunStopped, UserError
from ..records.fingerprint import content_hash
from .media import MediaRecorder
from ..policies import Policy, make_policy
from ..records.rundir import EPISODES
from ..records.rundir import LOCK
from ..records.rundir import MANIFEST
from ..records.rundir import RunLock
from ..records.rundir import RunWriter
from ..records.rundir import finished
from ..records.rundir import load_manifest
from ..records.rundir import load_run
from ..records.rundir import read_records
from ..records.rundir import write_json_atomic
from .runner import PlannedEpisode
from .runner import Timing
from .runner import make_plan
from .runner import run_task
from .runner import task_env
from ..cards.specs import PolicySpec
from ..cards.specs import SuiteSpec


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


def _plan_dict(suite: SuiteSpec, seed: int, plan: dict[str, list[PlannedEpisode]]) -> dict[str, Any]:
    return {"seed": seed, "tasks": {t: {"episodes": len(eps), "seeds": [e.seed for e in eps]} for t, eps in plan.items()}}


def _identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """What must match for --resume to continue a run (as JSON sees it; card paths aside)."""

    def strip(x: Any) -> Any:
        # A card's list of offered axes (`variations`) changes no episode; an applied level does.
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("source", "variations") and not (k == "variation" and not v)}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    keys = ("suite", "policy", "plan", "num_envs", "checkpoint_sha256", "policy_identity")
    ident = strip(json.loads(json.dumps({k: manifest.get(k) for k in keys}, default=str)))
    # One world per worker process: the number of slots changes no outcome, so a run may be
    # resumed with another (e.g. `num_envs: auto` on a machine with other cores).
    for t in (ident.get("suite") or {}).get("tasks", []):
        env = t.get("env") or {}
        if env.get("backend") == "isaaclab_workers":
            env.pop("num_envs", None)
            (ident.get("num_envs") or {}).pop(t.get("name"), None)
    return ident


def _num_envs(suite: SuiteSpec) -> dict[str, int]:
    return {t.name: t.env.num_envs for t in suite.tasks}


def build_manifest(cfg: EvalConfig, plan: dict[str, list[PlannedEpisode]], policy_files: list[str],
                   policy_identity: dict[str, Any] | None = None) -> dict[str, Any]:
    from ..envs.isaaclab import isaaclab_versions

    devices = sorted({t.env.device for t in cfg.suite.tasks})
    code = code_identity(run_cards(cfg.suite, cfg.policy), own=cfg.out)
    return {
        "run_id": cfg.out.name if cfg.out else None,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "suite": cfg.suite.to_dict(),
        "policy": cfg.policy.to_dict(),
        "plan": _plan_dict(cfg.suite, cfg.seed, plan),
        "num_envs": _num_envs(cfg.suite),
        "checkpoint_sha256": content_hash(policy_files),
        "policy_identity": policy_identity,
        "device": devices[0] if len(devices) == 1 else devices,
        "backend": sorted({f"{t.env.backend}:{t.env.app}:{t.env.physics}" for t in cfg.suite.tasks}),
        "versions": {"arena_eval": __version__, "python": platform.python_version(), **isaaclab_versions()},
        "git": {"revision": code["revision"], "dirty": code["dirty"]},
        "code": code,
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }


SIMULATOR_LOG = "simulator.log"


def _describe_identity(ident: Any) -> str:
    if not isinstance(ident, dict):
        return "nothing recorded"
    return ident.get("summary") or json.dumps(ident, sort_keys=True)[:200]


def prepare_run_dir(cfg: EvalConfig, manifest: dict[str, Any]) -> tuple[bool, dict[str, Any], bool]:
    """Check the (locked) run dir against the request. Returns (fresh, manifest to use,
    whether a resumed run's plan grows). The manifest to use lists this invocation under
    `invocations`; it is written when the invocation writes its first episode. Nothing is
    written here: a refusal leaves the run as it was."""
    out = cfg.out
    assert out is not None
    exists = out.is_dir() and any(p.name != LOCK for p in out.iterdir())
    if not cfg.resume:
        if exists:
            raise UserError("holds another run; pass --resume to continue it or choose another --out", where=str(out))
        return True, {**manifest, "invocations": [invocation(manifest["code"], resume=False)]}, False
    old = load_manifest(out)
    a, b = _identity(old), _identity(manifest)
    grows = a != b and _extends(a, b)  # more episodes of the same plan (a sequential gate's next batch)
    diff = [k for k in a if a[k] != b[k]]
    if not grows and diff == ["policy_identity"]:
        raise UserError(f"cannot resume: the run's actions came from {_describe_identity(a['policy_identity'])}, "
                        f"but now from {_describe_identity(b['policy_identity'])}", where=str(out / MANIFEST))
    if not grows and diff:
        raise UserError(f"cannot resume: this request differs from the run in {', '.join(diff)}", where=str(out / MANIFEST))
    # Same request; is it the same code? (The CI gate's batches resume their own run: same code.)
    changed = check_resume(old, manifest["code"], cfg.allow_code_change, where=str(out / MANIFEST))
    use = {**old, "invocations": [*(old.get("invocations") or []), invocation(manifest["code"], True, changed)]}
    if grows:
        use.update(suite=manifest["suite"], plan=manifest["plan"])
        use["extended"] = [*old.get("extended", []), {
            "from": {t: v["episodes"] for t, v in old["plan"]["tasks"].items()},
            "to": {t: v["episodes"] for t, v in manifest["plan"]["tasks"].items()},
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}]
    return False, use, grows


def _extends(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Does `new` only add episodes to `old`'s plan? Episode seeds depend on (seed, task,
    index) alone, so a plan of E episodes is the first E of a longer one: a resumed run may
    grow (never shrink), and what it recorded stays valid."""

    def without_counts(ident: dict[str, Any]) -> dict[str, Any]:
        x = json.loads(json.dumps(ident))
        for t in (x.get("suite") or {}).get("tasks", []):
            t.pop("episodes", None)
        for t in ((x.get("plan") or {}).get("tasks") or {}).values():
            t.pop("episodes", None)
            t.pop("seeds", None)
        return x

    if without_counts(old) != without_counts(new):
        return False
    new_tasks = new["plan"]["tasks"]
    for name, t in old["plan"]["tasks"].items():
        seeds = new_tasks[name]["seeds"]
        if len(seeds) < len(t["seeds"]) or seeds[: len(t["seeds"])] != t["seeds"]:
            return False
    return True


def _check_out(cfg: EvalConfig) -> None:
    """Path checks that need no lock (the lock makes the directory)."""
    out = cfg.out
    assert out is not None
    if cfg.resume and not (out / MANIFEST).is_file():
        what = "nothing to resume (no such run directory)" if not out.exists() else "nothing to resume (no manifest.json)"
        raise UserError(what, where=str(out))


def evaluate(cfg: EvalConfig) -> Path:
    """Run (or resume) an evaluation and write its records and reports. Returns the run dir."""
    cfg.out = Path(cfg.out or default_run_dir(cfg.suite, cfg.policy))
    _check_out(cfg)
    if cfg.ray is not None:
        from .distributed import check_ray_address

        check_ray_address(cfg.ray)
    lock = RunLock(cfg.out).acquire()
    fresh_files: list[Path] = []  # what a fresh run wrote, to take back if it stops on a user error
    keep = False
    try:
        out = _evaluate_locked(cfg, fresh_files)
        keep = True
        return out
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


def _evaluate_locked(cfg: EvalConfig, fresh_files: list[Path]) -> Path:
    assert cfg.out is not None
    plan = make_plan(cfg.suite, cfg.seed)
    policy = make_policy(cfg.policy)
    try:
        return _run(cfg, plan, policy, fresh_files)
    finally:
        policy.close()


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
    fresh, manifest, _grown = prepare_run_dir(cfg, manifest)
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
                    _record_definition(cfg.out, task.name, getattr(env, "definition", None))
                    media = MediaRecorder.for_task(cfg.out / "media" / task.name, task, env, cfg.videos)
                    total.add(run_task(env, policy, task, todo[task.name], w.append, progress=cfg.progress, media=media))
                    if hasattr(env, "backend_info"):  # the worker backend: workers, peak memory, restarts
                        env_info[task.name] = env.backend_info()
    except RunStopped as e:  # the simulator failed, the policy is gone, or Ray shards kept failing
        from .runner import PolicyUnavailable
        from .runner import SimulatorError

        what = "policy unavailable" if isinstance(e, PolicyUnavailable) else "simulator failure" if isinstance(e, SimulatorError) else "ray"
        raise type(e)(f"{what}: {e}; finished episodes are kept in {cfg.out}, continue with --resume") from e
    finally:
        if writer is not None:
            writer.close()

    if writer is None and fresh:
        raise UserError("the plan is empty")
    _record_timing(cfg.out, total, env_info)
    if cfg.report:
        from ..reports.run import write_reports

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


def _record_definition(run_dir: Path, task: str, definition: dict[str, Any] | None) -> None:
    """The task's success and failure definition as its env built it (envs/definition.py),
    in the manifest before its first episode is recorded."""
    if definition is None:
        return
    m = json.loads((run_dir / MANIFEST).read_text())
    if (m.get("definitions") or {}).get(task) != definition:
        m.setdefault("definitions", {})[task] = definition
        write_json_atomic(run_dir / MANIFEST, m)


def _record_timing(run_dir: Path, t: Timing, env_info: dict[str, Any] | None = None) -> None:
    """Add this invocation's timing to the manifest (summed over resumed invocations), and
    what the backend reports of each task's env (the worker backend: its workers' peak
    memory and restarts; the latest invocation's per task)."""
    m = json.loads((run_dir / MANIFEST).read_text())
    old = m.get("timing") or {}
    new = t.to_dict()
    m["timing"] = {k: round(old.get(k, 0) + new[k], 4) for k in new}
    if env_info:
        m["backend_info"] = {**(m.get("backend_info") or {}), **env_info}
    write_json_atomic(run_dir / MANIFEST, m)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ..cards.specs import load_policy

    from ..cards.specs import load_suite

    from ..cards.specs import override

    from ..cards.specs import select_tasks
    from ..cards.variation import expand
    from ..cards.variation import parse_vary

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
    p.add_argument("--allow-code-change", action="store_true",
                   help="with --resume: continue a run whose episodes came from other code (other sources or "
                        "cards); the change is recorded and the summary marks which episodes came from which code")
    p.add_argument("--videos", type=int, default=2, help="record the first K episodes of each task with a camera as mp4")
    p.add_argument("--vary", action="append", metavar="AXIS=LEVEL[,LEVEL...]",
                   help="robustness sweep: also run each task under these levels of a variation axis, on the same "
                        "seeds (repeatable; the card's variations: lists axes and levels)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--verbose", action="store_true",
                   help="show Isaac Lab's, warp's and Newton's start-up output (default: in <out>/simulator.log)")
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
    if args.allow_code_change and not args.resume:
        raise UserError("goes with --resume (a fresh run has one code)", field="--allow-code-change")
    suite = load_suite(args.suite)
    suite = select_tasks(suite, [t for t in args.tasks.split(",") if t] if args.tasks else None)
    suite = override(suite, num_envs=args.num_envs, episodes=args.episodes, backend=args.backend)
    suite = expand(suite, parse_vary(args.vary))  # derived tasks <task>@<axis>=<level>, the nominal seeds
    policy = load_policy(args.policy)
    out = evaluate(
        EvalConfig(
            suite=suite, policy=policy, seed=args.seed, out=args.out, resume=args.resume,
            progress=not args.no_progress, videos=max(0, args.videos),
            ray=args.ray, ray_cpus=args.ray_cpus, shard_size=args.shard_size, ray_retries=args.ray_retries,
            verbose=args.verbose, allow_code_change=args.allow_code_change,
        )
    )
    summary = out / "summary.md"
    if summary.exists():
        print(summary.read_text())
    print(f"run written to {out}")
    return 0
