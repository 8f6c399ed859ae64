"""One evaluation across a Ray cluster, with the same records as a local run.

The episode plan is cut into shards of (task, contiguous episode range). Each shard runs as
one Ray task in a fresh worker process (`max_calls=1`: Isaac Lab holds one simulation per
process), which builds the task's env and the policy from their cards and runs the same
`runner.run_task` a local run uses. Every finished episode is sent to the driver at once
through a queue actor; the driver appends it to the run's episodes.jsonl through the same
`RunWriter`, so records are durable as they arrive and a (task, episode) is never written
twice. Episode seeds come from the plan, so where an episode runs does not change its
start state.

A shard whose worker dies (killed, out of memory, node lost) is submitted again with only
the episodes that have no record yet, up to `retries` times; then the run stops with every
finished episode kept, and `--resume` continues it (locally or on Ray). Mistakes in the
input found by a worker (e.g. a modality key the env cannot provide) stop the run as they
would locally.

What crosses the wire is plain data: task and policy cards as mappings, (episode, seed)
pairs, records as JSON text, video files as bytes. Ray's own transport serialises with
cloudpickle, so the cluster must be trusted, as Ray's documentation requires anyway.

Nothing here imports ray until a `RayBackend` is made; a run without `--ray` never does.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Protocol

from tqdm import tqdm

from .. import console
from ..cards import REPO_ROOT, PolicySpec, TaskSpec
from ..errors import PolicyUnavailable, RunStopped, SimulatorError, UserError
from ..records import EpisodeRecord
from ..records.manifest import record_definition
from .runner import PlannedEpisode, Timing

SHARD_ROUNDS = 4  # default shard size: this many rounds of the task's env slots
_MEDIA_PATH = re.compile(r"^media/[A-Za-z0-9_\-]+/[A-Za-z0-9_.\-]+$")


@dataclasses.dataclass(frozen=True)
class Shard:
    id: int
    task: str
    episodes: tuple[tuple[int, int], ...]  # (episode index, seed), contiguous indices

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "task": self.task, "episodes": [list(e) for e in self.episodes]}

    @property
    def label(self) -> str:
        return f"{self.task}[{self.episodes[0][0]}..{self.episodes[-1][0]}]"


def make_shards(todo: dict[str, list[PlannedEpisode]], num_envs: dict[str, int], size: int | None = None) -> list[Shard]:
    """Cut each task's episodes into runs of at most `size` consecutive episode indices
    (default: SHARD_ROUNDS x the task's num_envs, so env creation is amortised)."""
    if size is not None and size < 1:
        raise UserError(f"expected an integer >= 1, got {size}", field="--shard-size")
    shards: list[Shard] = []
    for task, eps in todo.items():
        n = size or SHARD_ROUNDS * num_envs[task]
        run: list[PlannedEpisode] = []
        for e in sorted(eps, key=lambda e: e.episode):
            if run and (len(run) == n or e.episode != run[-1].episode + 1):
                shards.append(Shard(len(shards), task, tuple((x.episode, x.seed) for x in run)))
                run = []
            run.append(e)
        if run:
            shards.append(Shard(len(shards), task, tuple((x.episode, x.seed) for x in run)))
    return shards


@dataclasses.dataclass(frozen=True)
class Job:
    """What every shard of one run shares, as plain data."""

    tasks: dict[str, dict[str, Any]]  # task name -> task card
    sources: dict[str, str]  # task name -> card path (for error messages)
    policy: dict[str, Any]
    policy_source: str
    seed: int
    videos: int
    identity: dict[str, Any] | None = None  # the run's policy identity; every worker checks its own against it

    @classmethod
    def of(cls, tasks: list[TaskSpec], policy: PolicySpec, seed: int, videos: int,
           identity: dict[str, Any] | None = None) -> "Job":
        return cls({t.name: t.to_card() for t in tasks}, {t.name: t.source for t in tasks}, policy.to_card(),
                   policy.source, seed, videos, json.loads(json.dumps(identity)))


def resources(task: TaskSpec, policy: PolicySpec) -> dict[str, float]:
    """Ray resources of one shard: the card's `env.resources`; a GPU by default when the env
    or an in-process policy runs on cuda."""
    gpus = task.env.num_gpus
    if task.env.gpus is None and policy.type != "remote" and policy.device.startswith("cuda"):
        gpus = max(gpus, 1.0)
    return {"num_cpus": task.env.cpus, "num_gpus": gpus}


# ---------------------------------------------------------------------------------------
# Worker side.


def run_shard(job: dict[str, Any], shard: dict[str, Any], emit: Callable[..., None]) -> dict[str, Any]:
    """Run one shard in this process; `emit("record", json)` and `emit("file", relpath,
    bytes)` as episodes end. Returns {"status": "ok", "timing": ..., "definition": the task's
    success definition as the worker's env built it}, or the user error or
    run-stopping fault that ended it (the driver raises it)."""
    from ..cards import parse_policy, task_from_card
    from ..policies import make_policy
    from .media import MediaRecorder
    from .runner import run_task, task_env

    name = shard["task"]
    try:
        task = task_from_card(job["tasks"][name], job["sources"][name])
        policy = make_policy(parse_policy(job["policy"], job["policy_source"]))
        ident = json.loads(json.dumps(policy.identity()))
        if ident != job.get("identity"):
            policy.close()
            old, new = (x.get("summary") if isinstance(x, dict) else "nothing" for x in (job.get("identity"), ident))
            raise UserError(f"a Ray worker's policy is {new}, but this run's actions come from {old}")
    except UserError as e:
        return {"status": "user_error", "message": str(e)}
    eps = [PlannedEpisode(name, int(e), int(s)) for e, s in shard["episodes"]]
    try:
        with task_env(task, policy, job["seed"]) as env, tempfile.TemporaryDirectory(prefix="arena-eval-shard-") as tmp:
            media = MediaRecorder.for_task(Path(tmp), task, env, job["videos"],
                                           on_written=lambda p: emit("file", f"media/{name}/{p.name}", p.read_bytes()))
            timing = run_task(env, policy, task, eps, lambda r: emit("record", r.to_json()), progress=False, media=media)
            definition = getattr(env, "definition", None)
    except UserError as e:
        return {"status": "user_error", "message": str(e)}
    except (SimulatorError, PolicyUnavailable) as e:
        return {"status": "stopped", "kind": "policy" if isinstance(e, PolicyUnavailable) else "simulator", "message": str(e)}
    finally:
        policy.close()
    return {"status": "ok", "timing": timing.to_dict(), "definition": definition}


def _ray_shard(job: dict[str, Any], shard: dict[str, Any], attempt: int, queue: Any) -> dict[str, Any]:
    """The Ray task: messages go to the driver's queue actor, tagged with the shard and attempt.
    `put` blocks until the queue holds the message, so once the task has returned, every
    message it sent is in the queue."""
    return run_shard(job, shard, lambda kind, *payload: queue.put((kind, shard["id"], attempt, *payload)))


# ---------------------------------------------------------------------------------------
# Driver side.


class Backend(Protocol):
    """Runs shards somewhere. `poll` returns messages ("record", shard_id, attempt, json),
    ("file", shard_id, attempt, relpath, bytes), then ("done", shard_id, attempt, result)
    or ("failed", shard_id, attempt, why) once that attempt has ended: every message of an
    attempt comes before its end."""

    def submit(self, shard: Shard, attempt: int, job: Job, resources: dict[str, float]) -> None: ...

    def poll(self, timeout: float) -> list[tuple]: ...

    def shutdown(self) -> None: ...


@dataclasses.dataclass
class DriveStats:
    shards: int = 0
    attempts: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    timing: Timing = dataclasses.field(default_factory=Timing)

    def to_dict(self) -> dict[str, Any]:
        return {"shards": self.shards, "attempts": self.attempts, "failures": self.failures}


class ShardsFailed(RunStopped):
    """A shard failed more often than allowed; finished episodes are kept."""


def drive(
    backend: Backend,
    shards: list[Shard],
    job: Job,
    shard_resources: dict[str, dict[str, float]],
    append: Callable[[EpisodeRecord], bool],
    out: Path,
    retries: int = 3,
    progress: bool = True,
) -> DriveStats:
    """Run every shard to completion on `backend`, appending each record as it arrives.

    `append` returns False for a (task, episode) already recorded, so a retried shard whose
    first attempt got further than the driver knew never counts an episode twice."""
    stats = DriveStats(shards=len(shards))
    by_id = {s.id: s for s in shards}
    left = {s.id: {e for e, _ in s.episodes} for s in shards}
    attempts = {s.id: 0 for s in shards}
    running: set[int] = set()
    total = sum(len(s.episodes) for s in shards)
    counts = {"success": 0, "failure": 0, "error": 0}
    bar = tqdm(total=total, desc="ray", unit="ep", disable=not progress, dynamic_ncols=True, file=console.stream())

    def submit(s: Shard) -> None:
        attempts[s.id] += 1
        stats.attempts += 1
        running.add(s.id)
        backend.submit(s, attempts[s.id], job, shard_resources[s.task])

    def fail(sid: int, why: str) -> None:
        shard = by_id[sid]
        stats.failures.append(f"{shard.label} attempt {attempts[sid]}: {why}")
        running.discard(sid)
        if attempts[sid] > retries:
            raise ShardsFailed(f"shard {shard.label} failed {attempts[sid]} times (last: {why})")
        rest = tuple(e for e in shard.episodes if e[0] in left[sid])
        print(f"shard {shard.label} attempt {attempts[sid]} failed ({why}); retrying {len(rest)} episodes",
              file=sys.stderr, flush=True)
        submit(dataclasses.replace(shard, episodes=rest))

    try:
        for s in shards:
            submit(s)
        while running:
            for msg in backend.poll(0.5):
                kind, sid, attempt = msg[0], msg[1], msg[2]
                shard = by_id[sid]
                if kind == "record":
                    rec = EpisodeRecord.from_dict(json.loads(msg[3]))
                    if rec.task != shard.task or rec.episode not in {e for e, _ in shard.episodes}:
                        raise RuntimeError(f"shard {shard.label} sent a record of {rec.key}, which it does not hold")
                    left[sid].discard(rec.episode)
                    if append(rec):
                        counts[rec.outcome] += 1
                        bar.update(1)
                        bar.set_postfix(counts, refresh=False)
                elif kind == "file":
                    rel, data = msg[3], msg[4]
                    if not _MEDIA_PATH.match(rel):
                        raise RuntimeError(f"shard {shard.label} sent a file with a bad path {rel!r}")
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                    (out / rel).write_bytes(data)
                elif kind == "done" and attempt == attempts[sid]:
                    res = msg[3]
                    if res["status"] == "user_error":
                        raise UserError(res["message"])
                    if res["status"] == "stopped":
                        cls = PolicyUnavailable if res["kind"] == "policy" else SimulatorError
                        raise cls(res["message"])
                    if left[sid]:
                        fail(sid, f"returned without records of episodes {sorted(left[sid])}")
                        continue
                    running.discard(sid)
                    record_definition(out, shard.task, res.get("definition"))  # as a local run records it
                    stats.timing.add(Timing(**{k: res["timing"][k] for k in ("sim_s", "policy_s", "wall_s", "env_steps")}))
                elif kind == "failed" and attempt == attempts[sid]:
                    fail(sid, msg[3])
    finally:
        bar.close()
    return stats


def check_ray_address(address: str, timeout_s: float = 5.0) -> None:
    """A one-line UserError, within seconds, for a Ray address nothing answers at (checked
    before the run directory or any worker is made; ray.init itself retries for minutes)."""
    import socket

    if address == "local":
        return
    if address == "auto":
        target = os.environ.get("RAY_ADDRESS")
        if not target:
            current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
            target = current.read_text().strip() if current.is_file() else ""
        if not target:
            raise UserError("'auto' finds no Ray cluster on this machine (no RAY_ADDRESS, no running cluster); "
                            "start one with 'ray start --head', give host:port, or use --ray local", field="--ray")
        if target in ("auto", "local"):
            return
        address = target
    m = re.fullmatch(r"(?:ray://)?\[?([^\]]+?)\]?:(\d+)", address)
    if not m:
        raise UserError(f"expected 'local', 'auto', host:port or ray://host:port, got {address!r}", field="--ray")
    host, port = m.group(1), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as e:
        why = "no answer" if isinstance(e, TimeoutError) else (e.strerror or str(e))
        raise UserError(f"no Ray cluster answers at {address} ({why} within {timeout_s:g} s)", field="--ray") from None


class RayBackend:
    """Shards as Ray tasks, one fresh worker process each; messages through a queue actor.

    `address`: "local" starts a cluster on this machine (`num_cpus` CPUs, default all);
    anything else ("auto", "host:6379", "ray://host:10001") joins an existing one. Workers
    import arena_eval from this clone's path (PYTHONPATH), so every node needs the clone at
    the same path and the same Python environment (see the README)."""

    def __init__(self, address: str, num_cpus: int | None = None):
        try:
            import ray
            from ray.util.queue import Queue
        except ImportError:
            raise UserError("--ray needs the ray package (pip install 'ray>=2.40')", field="--ray")
        self.ray = ray
        pypath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        runtime_env = {"env_vars": {"PYTHONPATH": pypath}}
        kw: dict[str, Any] = {"runtime_env": runtime_env, "log_to_driver": False, "include_dashboard": False}
        try:
            if address == "local":
                # address="local": always a new cluster, never one that `ray start` left running
                # on this machine (ray.init() alone would join that, with its code and CPUs).
                ray.init(address="local", num_cpus=num_cpus, **kw)
            else:
                ray.init(address=address, **kw)
        except ConnectionError as e:
            hint = "" if os.environ.get("RAY_AUTH_MODE") else "; if it uses token authentication, set RAY_AUTH_MODE=token"
            raise UserError(f"cannot reach the Ray cluster at {address!r} ({str(e).splitlines()[0]}){hint}", field="--ray")
        self.queue = Queue(actor_options={"num_cpus": 0})
        self.task = ray.remote(max_calls=1, max_retries=0)(_ray_shard)
        self.refs: dict[Any, tuple[int, int]] = {}

    def submit(self, shard: Shard, attempt: int, job: Job, resources: dict[str, float]) -> None:
        ref = self.task.options(**resources, name=f"shard:{shard.label}").remote(
            dataclasses.asdict(job), shard.to_wire(), attempt, self.queue
        )
        self.refs[ref] = (shard.id, attempt)

    def poll(self, timeout: float) -> list[tuple]:
        ray = self.ray
        ended: list[tuple] = []
        if self.refs:
            ready, _ = ray.wait(list(self.refs), num_returns=1, timeout=timeout)
            if ready:
                ready, _ = ray.wait(list(self.refs), num_returns=len(self.refs), timeout=0)
            for ref in ready:
                sid, attempt = self.refs.pop(ref)
                try:
                    ended.append(("done", sid, attempt, ray.get(ref)))
                except ray.exceptions.RayError as e:
                    ended.append(("failed", sid, attempt, f"{type(e).__name__}: {str(e).splitlines()[0]}"))
        else:
            time.sleep(timeout)
        # After the ended tasks are known: everything they sent is in the queue by now.
        n = self.queue.qsize()
        msgs = self.queue.get_nowait_batch(n) if n else []
        return [tuple(m) for m in msgs] + ended

    def shutdown(self) -> None:
        for ref in list(self.refs):
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # already finished or its worker is gone
                pass
        self.refs.clear()
        self.ray.shutdown()

