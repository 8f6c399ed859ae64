"""Suite, task and policy cards: YAML files loaded into validated dataclasses.

(Over 400 lines for one job: the three card kinds share one set of field readers that name
file and field in every error, so their parsing stays in one module.)

Every validation error is a `UserError` naming the file, the field and what was expected.

Suite card (tasks/<suite>.yaml)::

    name: smoke
    description: ...
    tasks:
      - name: cartpole_balance
        instruction: keep the pole upright
        max_steps: 200            # control steps; sets the env's episode length
        episodes: 10
        success: time_limit       # survive to the end; or {term: <termination term name>,
                                  #   rule: any_step | at_end | {held: K}} (default any_step;
                                  #   arena_eval/outcomes.py says what each rule means)
        failure_terms: {box_dropped: object_dropped}   # failure terms -> outcome codes (a list: task_failure)
        max_mde: 0.3              # compare gives no verdict when its minimum detectable effect
                                  # (80% power) is larger (default 0.3)
        env:
          id: Isaac-Cartpole-Direct
          physics: newton_mjwarp  # Isaac Lab physics preset(s), comma separated
          device: cpu
          num_envs: 4
          app: kitless            # or isaacsim (Isaac Sim through the app launcher)
          cfg: {scene.env_spacing: 0.0}   # dotted overrides of the env cfg
          start_state: cartpole   # harness-side start-state sampler (its family's, arena_eval.registry)
          resources: {cpus: 1, gpus: 0}   # what one shard needs on Ray (default: 1 CPU; 1 GPU on cuda)
        observations:             # modality key -> where the env provides it
          state.pole: {source: policy, index: [0, 2]}
          state.hand: {constant: [0.0, 0.0]}   # a key the robot lacks, held at fixed values
        actions:                  # modality key -> slice of the simulator action, in order
          action.cart_force: {dim: 1, low: -1.0, high: 1.0}
          action.hand: {dim: 2, ignore: true}      # taken from the policy, not sent to the env
          action.brake: {dim: 1, fill: [0.0]}      # sent as this when the policy gives none
          action.force: {dim: 1, limit: [-5, 5]}   # hard range: outside it (or non-finite) ends the
                                                   # episode as the policy's failure
        failure_when:             # harness-side failure conditions on observed values
          pole_fell: {key: state.pole, index: 0, outside: [-1.2, 1.2], code: fell}
        expert: cartpole_balance  # scripted expert (its family's, arena_eval.registry)
        variations:               # robustness axes this task offers (arena_eval/variation.py)
          axes: g1                # a family's axis set (registry; e.g. envs/tasks/g1/axes.py)
          levels: {camera: [left, high], obs_noise: [low, high]}

Policy card (policies/<name>.yaml)::

    name: scripted
    type: scripted | random | zero
    action_horizon: 1             # steps per returned chunk (H)
    n_action_steps: 1             # steps of each chunk that are executed
    params: {...}                 # adapter-specific
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError
from ..outcomes import CARD_CODES

REPO_ROOT = Path(__file__).resolve().parents[2]
TASKS_DIR = REPO_ROOT / "tasks"
POLICIES_DIR = REPO_ROOT / "policies"

MODALITY_RE = re.compile(r"^(video|state|action)\.[A-Za-z0-9_]+$")
ANNOTATION_KEY = "annotation.human.task_description"


# ---------------------------------------------------------------------------------------
# Field helpers: each names the file and the field in its error.


class _Reader:
    """Reads fields from one mapping of a card, tracking where it is for error messages."""

    def __init__(self, data: Any, where: str, path: str):
        if not isinstance(data, dict):
            raise UserError(f"expected a mapping, got {type(data).__name__}", where=where, field=path or None)
        self.data = data
        self.where = where
        self.path = path
        self.used: set[str] = set()

    def field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, types: type | tuple[type, ...], default: Any = dataclasses.MISSING) -> Any:
        self.used.add(name)
        if name not in self.data or self.data[name] is None:
            if default is dataclasses.MISSING:
                raise UserError("missing required field", where=self.where, field=self.field(name))
            return default
        value = self.data[name]
        types_t = types if isinstance(types, tuple) else (types,)
        # bool is an int in Python; a card saying `episodes: true` is still a mistake.
        if isinstance(value, bool) and bool not in types_t:
            ok = False
        elif float in types_t and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        else:
            ok = isinstance(value, types_t)
        if not ok:
            expected = " or ".join(t.__name__ for t in types_t)
            raise UserError(
                f"expected {expected}, got {type(value).__name__} {value!r}", where=self.where, field=self.field(name)
            )
        return value

    def positive_int(self, name: str, default: Any = dataclasses.MISSING) -> int:
        value = self.get(name, int, default)
        if value is not None and value < 1:
            raise UserError(f"expected an integer >= 1, got {value}", where=self.where, field=self.field(name))
        return value

    def sub(self, name: str, default: Any = dataclasses.MISSING) -> "_Reader":
        return _Reader(self.get(name, dict, default), self.where, self.field(name))

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise UserError(
                f"unknown field {unknown[0]!r} (known: {', '.join(sorted(self.used))})",
                where=self.where,
                field=self.path or None,
            )


def _check_key(key: Any, prefixes: tuple[str, ...], where: str, field: str) -> str:
    if not isinstance(key, str) or not MODALITY_RE.match(key) or key.split(".")[0] not in prefixes:
        raise UserError(
            f"modality key {key!r} must look like {' or '.join(p + '.<name>' for p in prefixes)}",
            where=where,
            field=field,
        )
    return key


# ---------------------------------------------------------------------------------------
# Task and suite specs.


@dataclasses.dataclass(frozen=True)
class ObsSource:
    """Where the env provides one modality key: an observation group (and term), an
    optional [start, end) slice of its last axis, or a camera sensor; or, for a state key
    the robot does not have (e.g. finger joints of a hand-less robot), `constant` values."""

    source: str = ""
    index: tuple[int, int] | None = None
    constant: tuple[float, ...] | None = None

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
    low: float = -1.0
    high: float = 1.0
    ignore: bool = False
    fill: tuple[float, ...] | None = None
    limit: tuple[float, float] | None = None  # hard range: an action outside ends the episode as the policy's failure

    @property
    def required(self) -> bool:
        return not self.ignore and self.fill is None


@dataclasses.dataclass(frozen=True)
class EnvSpec:
    id: str
    backend: str = "isaaclab"
    app: str = "kitless"
    physics: str = "newton_mjwarp"
    device: str = "cpu"
    num_envs: int = 1
    cfg: dict[str, Any] = dataclasses.field(default_factory=dict)
    start_state: str | None = None
    requires: tuple[str, ...] = ()  # modules to import first (they register the id), e.g. isaaclab_arena
    cpus: float = 1.0  # Ray resources of one shard (env plus in-process policy)
    gpus: float | None = None  # None: 1 when the env's device is cuda, else 0

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
    env: EnvSpec
    instruction: str
    max_steps: int
    episodes: int
    success: SuccessSpec
    observations: dict[str, ObsSource]
    actions: dict[str, ActionSlot]
    failure_terms: tuple[str, ...] = ()
    failure_when: dict[str, FailureWhen] = dataclasses.field(default_factory=dict)
    failure_codes: dict[str, str] = dataclasses.field(default_factory=dict)  # failure term -> outcome code
    max_mde: float | None = None  # no verdict when the minimum detectable effect is larger (None: the default)
    expert: str | None = None
    source: str = ""
    variations: dict[str, Any] = dataclasses.field(default_factory=dict)  # card: {axes: set, levels: {axis: [level]}}
    variation: dict[str, Any] = dataclasses.field(default_factory=dict)  # applied level (variation.derive), {} nominal

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


def task_from_card(card: Any, where: str) -> TaskSpec:
    """One task from its card mapping (the inverse of `TaskSpec.to_card`)."""
    return _parse_task(_Reader(card, where, ""))


@dataclasses.dataclass(frozen=True)
class SuiteSpec:
    name: str
    tasks: tuple[TaskSpec, ...]
    description: str = ""
    source: str = ""

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


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _num_envs_field(r: "_Reader") -> int:
    """`num_envs: auto` is one slot per available core (what the worker backend wants)."""
    if r.data.get("num_envs") == "auto":
        r.used.add("num_envs")
        return available_cores()
    return r.positive_int("num_envs", 1)
ENV_APPS = ("kitless", "isaacsim")


def _parse_env(r: _Reader) -> EnvSpec:
    env_id = r.get("id", str)
    backend = r.get("backend", str, "isaaclab")
    if backend not in ENV_BACKENDS:
        raise UserError(f"expected one of {ENV_BACKENDS}, got {backend!r}", where=r.where, field=r.field("backend"))
    app = r.get("app", str, "kitless")
    if app not in ENV_APPS:
        raise UserError(f"expected one of {ENV_APPS}, got {app!r}", where=r.where, field=r.field("app"))
    spec = EnvSpec(
        id=env_id,
        backend=backend,
        app=app,
        physics=r.get("physics", str, "newton_mjwarp"),
        device=r.get("device", str, "cpu"),
        num_envs=_num_envs_field(r),
        cfg=dict(r.get("cfg", dict, {})),
        start_state=r.get("start_state", str, None),
        requires=tuple(r.get("requires", list, [])),
        **_parse_resources(r.sub("resources", {})),
    )
    if not all(isinstance(m, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", m) for m in spec.requires):
        raise UserError("expected a list of Python module names", where=r.where, field=r.field("requires"))
    for k in spec.cfg:
        if not isinstance(k, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", k):
            raise UserError(f"cfg override key {k!r} must be a dotted attribute path", where=r.where, field=r.field("cfg"))
    r.finish()
    return spec


def _parse_resources(r: _Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, default in (("cpus", 1.0), ("gpus", None)):
        v = r.get(name, float, default)
        if v is not None and v < 0:
            raise UserError(f"expected a number >= 0, got {v}", where=r.where, field=r.field(name))
        out[name] = v
    r.finish()
    return out


def _parse_success(value: Any, where: str, field: str) -> SuccessSpec:
    if value == "time_limit":
        return SuccessSpec("time_limit", rule="at_end")
    if isinstance(value, dict) and isinstance(value.get("term"), str) and set(value) <= {"term", "rule"}:
        rule = value.get("rule", "any_step")
        if rule in ("any_step", "at_end"):
            return SuccessSpec("term", value["term"], rule)
        hold = rule.get("held") if isinstance(rule, dict) and set(rule) == {"held"} else None
        if isinstance(hold, int) and not isinstance(hold, bool) and hold >= 1:
            return SuccessSpec("term", value["term"], "held", hold)
        raise UserError(f"expected any_step, at_end or {{held: <steps >= 1>}}, got {rule!r}", where=where,
                        field=f"{field}.rule")
    raise UserError(f"expected 'time_limit' or {{term: <name>, rule: any_step | at_end | {{held: K}}}}, got {value!r}",
                    where=where, field=field)


def _parse_code(value: Any, allowed: tuple[str, ...], where: str, field: str) -> str:
    if value not in allowed:
        raise UserError(f"expected an outcome code ({', '.join(allowed)}), got {value!r}", where=where, field=field)
    return value


def _parse_index(value: Any, where: str, field: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1]
    ):
        return (value[0], value[1])
    raise UserError(f"expected [start, end] with 0 <= start < end, got {value!r}", where=where, field=field)


def _parse_variations(r: _Reader) -> dict[str, Any]:
    """`variations: {axes: <set>, levels: {axis: [level, ...]}}`; the registry checks the
    names when a run asks for them (`variation.task_axes`)."""
    if not r.data:
        r.finish()
        return {}
    axes = r.get("axes", str)
    lv = r.sub("levels")
    levels = {}
    for axis in list(lv.data):
        names = lv.get(axis, list)
        if not isinstance(axis, str) or not names or not all(isinstance(n, str) and re.match(r"^[A-Za-z0-9_\-]+$", n) for n in names):
            raise UserError(f"expected a non-empty list of level names (letters, digits, '_', '-'), got {names!r}",
                            where=r.where, field=lv.field(str(axis)))
        levels[axis] = list(names)
    r.finish()
    return {"axes": axes, "levels": levels}


def _max_mde(r: _Reader) -> float | None:
    v = r.get("max_mde", float, None)
    if v is not None and not 0 < v <= 1:
        raise UserError(f"expected a number in (0, 1], got {v}", where=r.where, field=r.field("max_mde"))
    return v


def _parse_task(r: _Reader) -> TaskSpec:
    name = r.get("name", str)
    variation = dict(r.get("variation", dict, {}))  # set by variation.derive (Ray shards carry it), never by a card author
    derived = bool(variation) and name == f"{variation.get('base')}@{variation.get('axis')}={variation.get('level')}"
    if not derived and not re.match(r"^[A-Za-z0-9_\-]+$", name):
        raise UserError(f"task name {name!r} may hold only letters, digits, '_' and '-'", where=r.where, field=r.field("name"))
    env = _parse_env(r.sub("env"))
    obs_r = r.sub("observations")
    observations: dict[str, ObsSource] = {}
    for key in list(obs_r.data):
        f = obs_r.field(str(key))
        _check_key(key, ("video", "state"), r.where, f)
        o = obs_r.sub(key)
        constant = o.get("constant", list, None)
        if constant is not None:
            if not key.startswith("state.") or not constant or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in constant):
                raise UserError("expected a non-empty list of numbers, on a state.<key>", where=r.where, field=o.field("constant"))
            observations[key] = ObsSource(constant=tuple(float(x) for x in constant))
        else:
            observations[key] = ObsSource(source=o.get("source", str), index=_parse_index(o.get("index", list, None), r.where, o.field("index")))
        o.finish()
    if not observations:
        raise UserError("expected at least one observation key", where=r.where, field=obs_r.path)
    act_r = r.sub("actions")
    actions: dict[str, ActionSlot] = {}
    for key in list(act_r.data):
        _check_key(key, ("action",), r.where, act_r.field(str(key)))
        a = act_r.sub(key)
        fill = a.get("fill", list, None)
        limit = a.get("limit", list, None)
        if limit is not None and not (len(limit) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in limit)
                                      and limit[0] < limit[1]):
            raise UserError(f"expected [low, high] with low < high, got {limit!r}", where=r.where, field=a.field("limit"))
        slot = ActionSlot(dim=a.positive_int("dim"), low=a.get("low", float, -1.0), high=a.get("high", float, 1.0),
                          ignore=a.get("ignore", bool, False),
                          fill=None if fill is None else tuple(float(x) if isinstance(x, (int, float)) else x for x in fill),
                          limit=None if limit is None else (float(limit[0]), float(limit[1])))
        if not slot.low < slot.high:
            raise UserError(f"expected low < high, got {slot.low} and {slot.high}", where=r.where, field=a.path)
        if fill is not None and (len(fill) != slot.dim or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in fill)):
            raise UserError(f"expected a list of {slot.dim} numbers", where=r.where, field=a.field("fill"))
        if fill is not None and slot.ignore:
            raise UserError("an ignored key is never sent, so it takes no fill", where=r.where, field=a.field("fill"))
        a.finish()
        actions[key] = slot
    if not actions:
        raise UserError("expected at least one action key", where=r.where, field=act_r.path)
    r.used.add("success")
    success = _parse_success(r.data.get("success"), r.where, r.field("success"))
    failure_terms = r.get("failure_terms", (list, dict), [])
    if isinstance(failure_terms, list):
        failure_terms = {t: "task_failure" for t in failure_terms}
    if not all(isinstance(t, str) for t in failure_terms):
        raise UserError("expected termination term names (a list, or a mapping of term -> outcome code)",
                        where=r.where, field=r.field("failure_terms"))
    failure_codes = {t: _parse_code(c, CARD_CODES, r.where, r.field(f"failure_terms.{t}")) for t, c in failure_terms.items()}
    failure_when: dict[str, FailureWhen] = {}
    fw_r = r.sub("failure_when", {})
    for cname in list(fw_r.data):
        c = fw_r.sub(cname)
        key = c.get("key", str)
        if key not in observations or not key.startswith("state."):
            raise UserError(f"expected one of this task's state keys, got {key!r}", where=r.where, field=c.field("key"))
        idx = c.get("index", int)
        bounds = c.get("outside", list)
        if len(bounds) != 2 or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) or not bounds[0] < bounds[1]:
            raise UserError(f"expected [low, high] with low < high, got {bounds!r}", where=r.where, field=c.field("outside"))
        code = _parse_code(c.get("code", str, "task_failure"), CARD_CODES, r.where, c.field("code"))
        c.finish()
        failure_when[str(cname)] = FailureWhen(key, idx, (float(bounds[0]), float(bounds[1])), code)
    spec = TaskSpec(
        name=name,
        env=env,
        instruction=r.get("instruction", str),
        max_steps=r.positive_int("max_steps"),
        episodes=r.positive_int("episodes", 10),
        success=success,
        observations=observations,
        actions=actions,
        failure_terms=tuple(failure_terms),
        failure_when=failure_when,
        failure_codes={**failure_codes, **{n: f.code for n, f in failure_when.items()}},
        max_mde=_max_mde(r),
        expert=r.get("expert", str, None),
        source=r.where,
        variations=_parse_variations(r.sub("variations", {})),
        variation=variation,
    )
    r.finish()
    return spec


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as e:
        raise UserError(f"cannot read ({e.strerror})", where=str(path))
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"malformed YAML{at}: {problem}", where=str(path))


def _resolve_card(name_or_path: str, folder: Path, kind: str) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise UserError(f"{kind} card not found", where=str(p))
        return p
    candidate = folder / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    known = sorted(x.stem for x in folder.glob("*.yaml"))
    raise UserError(f"unknown {kind} {name_or_path!r} (known: {', '.join(known) or 'none'}; or give a .yaml path)")


def parse_suite(data: Any, where: str) -> SuiteSpec:
    r = _Reader(data, where, "")
    name = r.get("name", str)
    tasks_raw = r.get("tasks", list)
    if not tasks_raw:
        raise UserError("expected at least one task", where=where, field="tasks")
    tasks = tuple(_parse_task(_Reader(t, where, f"tasks[{i}]")) for i, t in enumerate(tasks_raw))
    names = [t.name for t in tasks]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"duplicate task name {sorted(dup)[0]!r}", where=where, field="tasks")
    suite = SuiteSpec(name=name, tasks=tasks, description=r.get("description", str, ""), source=where)
    r.finish()
    return suite


def load_suite(name_or_path: str) -> SuiteSpec:
    path = _resolve_card(name_or_path, TASKS_DIR, "suite")
    return parse_suite(_read_yaml(path), str(path))


# ---------------------------------------------------------------------------------------
# Policy specs.

# Policy card `type` -> adapter class ("module:Class"), imported only when a card uses it.
POLICY_ADAPTERS = {
    "random": "arena_eval.policies.simple:RandomPolicy",
    "zero": "arena_eval.policies.simple:ZeroPolicy",
    "scripted": "arena_eval.policies.simple:ScriptedPolicy",
    "replay": "arena_eval.policies.replay:ReplayPolicy",
    "blind": "arena_eval.policies.blind:BlindPolicy",
    "remote": "arena_eval.serve.remote:RemotePolicy",
    "gr00t": "arena_eval.policies.groot:make_gr00t_policy",
}
POLICY_TYPES = tuple(POLICY_ADAPTERS)


@dataclasses.dataclass(frozen=True)
class PolicySpec:
    name: str
    type: str
    action_horizon: int = 1
    n_action_steps: int = 1
    seed: int = 0
    device: str = "cpu"
    checkpoint: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_card(self) -> dict[str, Any]:
        """This policy as a policy card mapping; `parse_policy(p.to_card(), p.source) == p`."""
        d = self.to_dict()
        d.pop("source")
        return d


def parse_policy(data: Any, where: str) -> PolicySpec:
    r = _Reader(data, where, "")
    ptype = r.get("type", str)
    if ptype not in POLICY_TYPES:
        raise UserError(f"expected one of {POLICY_TYPES}, got {ptype!r}", where=where, field="type")
    spec = PolicySpec(
        name=r.get("name", str),
        type=ptype,
        action_horizon=r.positive_int("action_horizon", 1),
        n_action_steps=r.positive_int("n_action_steps", 1),
        seed=r.get("seed", int, 0),
        device=r.get("device", str, "cpu"),
        checkpoint=r.get("checkpoint", str, None),
        params=dict(r.get("params", dict, {})),
        source=where,
    )
    if spec.n_action_steps > spec.action_horizon:
        raise UserError(
            f"n_action_steps ({spec.n_action_steps}) must not exceed action_horizon ({spec.action_horizon})",
            where=where,
            field="n_action_steps",
        )
    r.finish()
    return spec


def load_policy(name_or_path: str) -> PolicySpec:
    path = _resolve_card(name_or_path, POLICIES_DIR, "policy")
    return parse_policy(_read_yaml(path), str(path))


def select_tasks(suite: SuiteSpec, names: list[str] | None) -> SuiteSpec:
    """The suite restricted to the named tasks, in the order given."""
    if not names:
        return suite
    return dataclasses.replace(suite, tasks=tuple(suite.task(n) for n in names))


def override(suite: SuiteSpec, *, num_envs: int | None = None, episodes: int | None = None,
             backend: str | None = None) -> SuiteSpec:
    """Apply command-line overrides to every task of a suite."""
    if backend is not None and backend not in ENV_BACKENDS:
        raise UserError(f"expected one of {', '.join(ENV_BACKENDS)}, got {backend!r}", field="--backend")
    if num_envs is not None and num_envs < 1:
        raise UserError(f"expected an integer >= 1, got {num_envs}", field="--num-envs")
    if episodes is not None and episodes < 1:
        raise UserError(f"expected an integer >= 1, got {episodes}", field="--episodes")
    tasks = []
    for t in suite.tasks:
        if num_envs is not None:
            t = dataclasses.replace(t, env=dataclasses.replace(t.env, num_envs=num_envs))
        if episodes is not None:
            t = dataclasses.replace(t, episodes=episodes)
        if backend is not None:
            t = dataclasses.replace(t, env=dataclasses.replace(t.env, backend=backend))
        tasks.append(t)
    return dataclasses.replace(suite, tasks=tuple(tasks))
