"""The run contract, written down once: what `manifest.json`, each line of `episodes.jsonl`
and `summary.json` hold (after lm-evaluation-harness's `result_schema.py`). Readers accept
runs of earlier versions (no `schema_version`: version 1, which lacks the fields marked
"since 2").

Version 2 (this one) added: the manifest's `code`, `invocations` and `definitions`; the
records' `code`, `milestones`, `success_step` and `code_hash`; the summary's per-task `rule`,
`definition_sha256`, `codes`, `milestones` and `code_identity`.
"""

from __future__ import annotations

from typing import Any, TypedDict

SCHEMA_VERSION = 2


class PlanTask(TypedDict):
    episodes: int  # planned episodes 0..episodes-1
    seeds: list[int]  # one 32-bit seed per planned episode, from (run seed, task, index) alone


class Plan(TypedDict):
    seed: int  # the run seed
    tasks: dict[str, PlanTask]


class CodeIdentity(TypedDict, total=False):
    revision: str | None  # git revision of the clone, if any
    dirty: bool | None  # uncommitted changes (the run's own output directory aside)
    sha256: str  # content hash of the sources the run imports and its card files (code_identity.py)
    files: dict[str, str]  # path -> short digest, so a refused resume can name what changed


class Definition(TypedDict, total=False):
    rule: str  # any_step | at_end | held: K
    sha256: str  # hash of card + terms: runs whose hashes differ are not compared
    card: dict[str, Any]  # success kind and term, rule, failure terms and codes, failure_when, max_steps
    terms: dict[str, Any]  # each termination term: function name, source hash, parameters, time_out
    milestones: list[str]  # the task's milestone names (outside the hash)


class Manifest(TypedDict, total=False):
    """manifest.json: written before the first episode, updated as tasks start and at the end."""

    schema_version: int  # SCHEMA_VERSION (absent: 1)
    run_id: str | None  # the run directory's name
    created: str  # ISO time, UTC
    argv: list[str]  # the command line
    suite: dict[str, Any]  # the suite card as resolved (every task's card, overrides applied)
    policy: dict[str, Any]  # the policy card as resolved
    plan: Plan
    num_envs: dict[str, int]  # env slots per task
    checkpoint_sha256: str  # content hash of the policy's files (checkpoint, processor, recording)
    policy_identity: dict[str, Any] | None  # what produces the actions beyond its card (a server's policy)
    device: str | list[str]  # the simulator's device(s)
    backend: list[str]  # backend:app:physics per distinct task env
    versions: dict[str, str]  # arena_eval, python and the simulator's packages
    git: dict[str, Any]  # {revision, dirty}
    code: CodeIdentity  # since 2
    invocations: list[dict[str, Any]]  # one per invocation that wrote episodes: time, resumed, code; since 2
    definitions: dict[str, Definition]  # per task, as its env built it; since 2
    host: dict[str, Any]  # platform, cpus
    timing: dict[str, float]  # sim_s, policy_s, wall_s, env_steps, harness_s, summed over invocations
    backend_info: dict[str, Any]  # per task: the worker backend's workers, peak memory, restarts
    extended: list[dict[str, Any]]  # each growth of the plan by --resume --episodes N
    ray: list[dict[str, Any]]  # each Ray drive: address, wall time, shards


class EpisodeRecordJSON(TypedDict, total=False):
    """One line of episodes.jsonl (`rundir.EpisodeRecord`), appended and flushed as the episode ends."""

    task: str
    episode: int  # index in the task's plan
    seed: int  # the plan's seed for it (checked on read)
    outcome: str  # success | failure | error
    reason: str  # "time_limit", "term:<name>", "failure_when:<name>", "policy:...", "error:..."
    steps: int  # control steps taken
    slot: int  # the env slot that ran it (no outcome depends on it)
    init_state: dict[str, list[float]]  # the start state drawn from the seed
    timing: dict[str, float]  # seconds; the only field allowed to differ between identical runs
    variation: dict[str, str]  # {axis: level} of a sweep's derived task; absent on nominal tasks
    code: str  # why it ended (outcomes.py); since 2
    milestones: dict[str, int]  # milestone -> step first met; since 2
    success_step: int | None  # step the success condition first held; since 2
    code_hash: str  # first 12 hex digits of the code's sha256 it ran under; since 2


class TaskSummary(TypedDict, total=False):
    task: str
    instruction: str | None
    max_steps: int | None
    rule: str  # since 2
    definition_sha256: str | None  # since 2
    planned: int | None
    complete: bool  # every planned episode recorded
    episodes: int
    successes: int
    failures: int
    errors: int
    success_rate: float  # successes / (successes + failures); null when nothing was decided
    ci_low: float  # 95% Wilson interval
    ci_high: float
    length: dict[str, float]  # mean, median, min, max control steps of decided episodes
    success_length: dict[str, float]
    failure_reasons: dict[str, int]
    error_reasons: dict[str, int]
    codes: dict[str, int]  # since 2
    milestones: dict[str, int]  # decided episodes that met each milestone; since 2
    mean_success_step: float  # since 2


class Summary(TypedDict, total=False):
    """summary.json (stats/summary.py), rewritten with the reports."""

    schema_version: int
    run: dict[str, Any]  # run id, suite, policy, checkpoint hash, seed, device, backend, git, versions
    tasks: list[TaskSummary]
    suite: dict[str, Any]  # the pooled row: counts, rate, Wilson interval, mean of per-task rates
    timing: dict[str, Any] | None  # the manifest's timing with the fractions of wall time
    code_identity: dict[str, Any]  # whether the code changed during the run, episodes per code; since 2
    unplanned_records_ignored: int  # always 0 since records outside the plan are refused
    generated: str  # ISO time, UTC
    sweep: list[dict[str, Any]]  # a robustness sweep's rows (stats.sweep_frame), when the run has one
