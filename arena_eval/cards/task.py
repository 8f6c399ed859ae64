"""Suite and task cards (tasks/<suite>.yaml) as frozen dataclasses, each field documented
where it is defined (`cards/suite.py` reads them; the card format is in the package docstring,
arena_eval/cards/__init__.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import UserError

ANNOTATION_KEY = "annotation.human.task_description"
"""The observation key the instruction travels under (GR00T's language modality)."""


@dataclasses.dataclass(frozen=True)
class ObsSource:
    """Where the env provides one modality key: an observation group (and term), an
    optional [start, end) slice of its last axis, or a camera sensor; or, for a state key
    the robot does not have (e.g. finger joints of a hand-less robot), `constant` values."""

    source: str = ""
    """`<group>` or `<group>.<term>` of the env's observation manager, or `camera:<sensor>`."""
    index: tuple[int, int] | None = None
    """[start, end) of the source's last axis, where the key is a slice of it (None: all of it)."""
    constant: tuple[float, ...] | None = None
    """Fixed values for a state key the robot does not have (then no source)."""

    @property
    def dim(self) -> int | None:
        """Per-step width the card fixes (None where only the env knows it)."""
        if self.constant is not None:
            return len(self.constant)
        return self.index[1] - self.index[0] if self.index else None


@dataclasses.dataclass(frozen=True)
class ActionSlot:
    """One action key. `ignore`: the policy may give it (shape-checked) but the env has no
    such actuator, so it is dropped. `fill`: the policy may leave it out, and then these
    values are sent. Either lets a checkpoint trained on another robot's key set map onto
    a task by its card alone."""

    dim: int
    """Its width, in the simulator's action vector (keys are concatenated in card order)."""
    low: float = -1.0
    """Lower bound of the action space (what the random policy draws from)."""
    high: float = 1.0
    """Upper bound of the action space."""
    ignore: bool = False
    """Taken from the policy (shape-checked) but not sent: the robot has no such actuator."""
    fill: tuple[float, ...] | None = None
    """Sent when the policy gives no such key (None: the policy must give it)."""
    limit: tuple[float, float] | None = None
    """A hard range: an executed action outside it (or non-finite) ends the episode as the policy's failure."""

    @property
    def required(self) -> bool:
        return not self.ignore and self.fill is None


@dataclasses.dataclass(frozen=True)
class EnvSpec:
    id: str
    """The gym id of a registered Isaac Lab task (official, IsaacLab-Arena's, or a family's)."""
    backend: str = "isaaclab"
    """isaaclab (N envs in one process, MJWarp: the GPU path) or isaaclab_workers (one world per
    worker process on the MuJoCo C solver: the fast CPU path)."""
    app: str = "kitless"
    """kitless (no Isaac Sim) or isaacsim (started through Isaac Lab's app launcher)."""
    physics: str = "newton_mjwarp"
    """Isaac Lab physics preset(s), comma separated."""
    device: str = "cpu"
    """The simulator's device: cpu, cuda, cuda:N."""
    num_envs: int = 1
    """Parallel env slots (`auto` in a card: one per available core)."""
    cfg: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Dotted overrides of the env cfg (`scene.env_spacing: 0.0`; a term's params dict is indexed by key)."""
    start_state: str | None = None
    """A family's start-state sampler (arena_eval.registry), drawn from each episode's seed."""
    requires: tuple[str, ...] = ()
    """Python modules to import first (they register the id), e.g. isaaclab_arena."""
    cpus: float = 1.0
    """Ray resources of one shard (env plus in-process policy): CPUs."""
    gpus: float | None = None
    """Ray resources of one shard: GPUs (None: 1 when the env's device is cuda, else 0)."""

    @property
    def num_gpus(self) -> float:
        return self.gpus if self.gpus is not None else (1.0 if self.device.startswith("cuda") else 0.0)


@dataclasses.dataclass(frozen=True)
class FailureWhen:
    """A harness-side failure condition: the episode fails when value `index` of the
    observation `key` leaves the closed range `outside` (checked after every step)."""

    key: str
    index: int
    outside: tuple[float, float]
    code: str = "task_failure"
    """Its outcome code (arena_eval/outcomes.py)."""


@dataclasses.dataclass(frozen=True)
class SuccessSpec:
    kind: str
    """"time_limit" (survive to the end) or "term" (a termination term of the env)."""
    term: str | None = None
    """The term whose condition is success (kind "term")."""
    rule: str = "any_step"
    """When the condition counts: any_step, at_end or held (arena_eval/outcomes.py); time_limit is at_end."""
    hold: int | None = None
    """Steps in a row the condition must hold (rule held)."""

    @property
    def rule_text(self) -> str:
        return f"held: {self.hold}" if self.rule == "held" else self.rule


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    name: str
    """Unique in its suite; letters, digits, '_' and '-' (a sweep's derived task: `<task>@<axis>=<level>`)."""
    env: EnvSpec
    """The simulator side (card field `env`)."""
    instruction: str
    """The language instruction every policy call carries (`annotation.human.task_description`)."""
    max_steps: int
    """Control steps before the time limit; sets the env's episode length."""
    episodes: int
    """Episodes in the plan (overridden by --episodes)."""
    success: SuccessSpec
    """When an episode succeeds: `time_limit`, or `{term: <name>, rule: any_step | at_end | {held: K}}`."""
    observations: dict[str, ObsSource]
    """Modality key (`state.*`, `video.*`) -> where the env provides it."""
    actions: dict[str, ActionSlot]
    """Modality key (`action.*`) -> its slice of the simulator action, in order."""
    failure_terms: tuple[str, ...] = ()
    """Termination terms that end an episode as a failure (card: a list, or term -> outcome code)."""
    failure_when: dict[str, FailureWhen] = dataclasses.field(default_factory=dict)
    """Harness-side failure conditions on observed values, checked after every step."""
    failure_codes: dict[str, str] = dataclasses.field(default_factory=dict)
    """Failure term or condition -> outcome code (arena_eval/outcomes.py); from the two fields above."""
    max_mde: float | None = None
    """Compare gives no verdict when its minimum detectable effect exceeds this (None: stats' 0.3)."""
    expert: str | None = None
    """The family's scripted expert for this task (arena_eval.registry)."""
    source: str = ""
    """The card file it was read from (for error messages; not part of the card)."""
    variations: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The robustness axes and levels the task offers: `{axes: <family set>, levels: {axis: [level, ...]}}`."""
    variation: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The level applied (set by cards.variation.derive, never by a card author); {} for the nominal task."""

    @property
    def base_name(self) -> str:
        """The nominal task's name: a derived task (`<task>@<axis>=<level>`) runs its seeds."""
        return self.variation.get("base", self.name)

    @property
    def action_dim(self) -> int:
        """Dims the env takes (ignored keys are not sent)."""
        return sum(a.dim for a in self.actions.values() if not a.ignore)

    def action_key_mismatch(self, keys: Any) -> str | None:
        """Why a policy giving these action keys does not fit this task, or None if it does:
        it must give every required key and no key the task does not know."""
        keys = set(keys)
        missing = sorted(k for k, a in self.actions.items() if a.required and k not in keys)
        extra = sorted(keys - set(self.actions))
        if not missing and not extra:
            return None
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"gives unknown {', '.join(extra)}"] if extra else [])
        return f"{' and '.join(parts)} (task {self.name!r} takes {', '.join(self.actions)})"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_card(self) -> dict[str, Any]:
        """This task as a suite card's task mapping (plain YAML/JSON types);
        `task_from_card(t.to_card(), t.source) == t`. Ray workers rebuild tasks from it."""
        e = self.env
        env: dict[str, Any] = {
            "id": e.id, "backend": e.backend, "app": e.app, "physics": e.physics, "device": e.device,
            "num_envs": e.num_envs, "cfg": dict(e.cfg), "start_state": e.start_state, "requires": list(e.requires),
            "resources": {"cpus": e.cpus, "gpus": e.gpus},
        }
        obs = {
            k: {"constant": list(o.constant)} if o.constant is not None
            else {"source": o.source, "index": list(o.index) if o.index else None}
            for k, o in self.observations.items()
        }
        acts = {
            k: {"dim": a.dim, "low": a.low, "high": a.high, "ignore": a.ignore, "fill": list(a.fill) if a.fill is not None else None,
                **({"limit": list(a.limit)} if a.limit is not None else {})}
            for k, a in self.actions.items()
        }
        return {
            "name": self.name, "instruction": self.instruction, "max_steps": self.max_steps, "episodes": self.episodes,
            "success": "time_limit" if self.success.kind == "time_limit" else {
                "term": self.success.term,
                "rule": {"held": self.success.hold} if self.success.rule == "held" else self.success.rule},
            "env": env, "observations": obs, "actions": acts,
            "failure_terms": {t: self.failure_codes.get(t, "task_failure") for t in self.failure_terms},
            "failure_when": {k: {"key": f.key, "index": f.index, "outside": list(f.outside), "code": f.code}
                             for k, f in self.failure_when.items()},
            **({"max_mde": self.max_mde} if self.max_mde is not None else {}),
            "expert": self.expert,
            **({"variations": self.variations} if self.variations else {}),
            **({"variation": self.variation} if self.variation else {}),
        }


@dataclasses.dataclass(frozen=True)
class SuiteSpec:
    name: str
    """The suite's name (runs are named after it)."""
    tasks: tuple[TaskSpec, ...]
    """Its tasks, in card order."""
    description: str = ""
    """One line for people."""
    source: str = ""
    """The card file it was read from."""

    def task(self, name: str) -> TaskSpec:
        for t in self.tasks:
            if t.name == name:
                return t
        raise UserError(f"unknown task {name!r} (suite has: {', '.join(t.name for t in self.tasks)})", where=self.source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "tasks": [t.to_dict() for t in self.tasks],
        }


# isaaclab: N envs in one process (MJWarp; the GPU path). isaaclab_workers: one env per
# worker process on Newton's MuJoCo C solver (the fast CPU path; envs/workers.py).
ENV_BACKENDS = ("isaaclab", "isaaclab_workers")


ENV_APPS = ("kitless", "isaacsim")
