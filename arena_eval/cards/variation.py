"""Variation axes: named levels of a task, each run on the nominal task's episode seeds.

A task family declares its axes (`envs/tasks/<family>/axes.py`) and registers them as a named
axis set (`registry.register_family(axes=...)`); a task card lists the axes and levels it
offers (`variations: {axes: <set>, levels: {axis: [level, ...]}}`). A level is data:

- `cfg`: dotted overrides of the env cfg applied when the env is built, in each worker too
  (a value, or `{add: [...]}` / `{mul: x}` relative to the cfg's own value, or `{rotate:
  [x, y, z, w]}` pre-multiplying an xyzw quaternion), e.g. a material colour or a camera pose;
- `parts`: extra static boxes (distractors) `{name: {size, pos, color}}`, env frame;
- `start`: start-state draws `{asset: {field: {name: [lo, hi]}}}` for the fields
  `root_pos_offset` (replaces the sampler's), `root_yaw` (rad, `{z: [lo, hi]}`) and
  `joint_pos_offset` (added to the default joint position), drawn from the episode seed on a
  stream of the axis (`start_rng`): every level of an axis uses the same uniform numbers,
  scaled into its own range;
- `policy`: `obs_noise` (sigma on every state key the env provides), `action_noise` (sigma
  on every action sent) and `latency` (steps an action waits before it is sent), applied
  between the policy and the env by the runner (`PolicySide`) with generators drawn from the
  episode seed and the axis; and the ablations of what a policy is told or shown:
  `blank_video` (every camera frame it reads is black) and `instruction` (it is given this
  instruction instead of the task's), which ask whether a policy uses its camera and reads
  its instruction.

`--vary AXIS=LEVEL[,LEVEL...]` turns each task into the nominal task plus one derived task
per level, named `<task>@<axis>=<level>`, with the nominal task's seeds (`TaskSpec.base_name`),
so each level is paired with the nominal task episode by episode. Below the env layer and
the policies, like the registry: numpy only.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections import deque
from typing import Any, Mapping

import numpy as np

from ..errors import UserError
from .task import ANNOTATION_KEY

NOMINAL = "nominal"
KINDS = ("visual", "physical", "policy")
START_FIELDS = ("root_pos_offset", "root_yaw", "joint_pos_offset")
POLICY_PARAMS = ("obs_noise", "action_noise", "latency", "blank_video", "instruction")


@dataclasses.dataclass(frozen=True)
class Level:
    cfg: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    parts: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    start: Mapping[str, Mapping[str, Mapping[str, Any]]] = dataclasses.field(default_factory=dict)
    policy: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    doc: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _plain({"cfg": self.cfg, "parts": self.parts, "start": self.start, "policy": self.policy})


@dataclasses.dataclass(frozen=True)
class Axis:
    name: str
    kind: str  # visual (changes only what the camera sees), physical, or policy (between policy and env)
    levels: Mapping[str, Level]
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"axis {self.name}: kind must be one of {KINDS}")
        for lv in self.levels.values():
            bad = set(lv.policy) - set(POLICY_PARAMS)
            bad |= {f for a in lv.start.values() for f in a} - set(START_FIELDS)
            if bad:
                raise ValueError(f"axis {self.name}: unknown level entries {sorted(bad)}")


def _plain(x: Any) -> Any:
    """JSON's view (lists, dicts): what manifests and Ray shards carry."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return float(x) if isinstance(x, (np.floating, np.integer)) and not isinstance(x, bool) else x


# ------------------------------------------------------------------------ tasks and --vary


def task_axes(task: Any) -> dict[str, Axis]:
    """The axes a task's card offers, with only the levels it lists."""
    from .. import registry

    if not task.variations:
        return {}
    set_name, listed = task.variations["axes"], task.variations["levels"]
    known = registry.axis_sets()
    where = dict(where=task.source, field=f"task {task.name}: variations")
    if set_name not in known:
        raise UserError(f"unknown axis set {set_name!r} (known: {', '.join(sorted(known)) or 'none'})", **where)
    out = {}
    for axis, levels in listed.items():
        ax = known[set_name].get(axis)
        if ax is None:
            raise UserError(f"axis set {set_name!r} has no axis {axis!r} (has: {', '.join(known[set_name])})", **where)
        missing = [lv for lv in levels if lv not in ax.levels]
        if missing:
            raise UserError(f"axis {axis!r} has no level {missing[0]!r} (has: {', '.join(ax.levels)})", **where)
        out[axis] = dataclasses.replace(ax, levels={lv: ax.levels[lv] for lv in levels})
    return out


def parse_vary(items: list[str] | None) -> list[tuple[str, list[str]]]:
    """`AXIS=LEVEL[,LEVEL...]` items, in order (an axis named twice adds levels). An empty
    level (`heavy,,light`, a trailing comma) or a level named twice is refused rather than
    dropped: it is a typo whose intended level would silently not run."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        axis, eq, levels = item.partition("=")
        names = [x.strip() for x in levels.split(",")]
        if not eq or not axis.strip() or not any(names):
            raise UserError(f"expected AXIS=LEVEL[,LEVEL...], got {item!r}", field="--vary")
        if not all(names):
            raise UserError(f"an empty level in {item!r} (expected AXIS=LEVEL[,LEVEL...], levels separated by "
                            "single commas)", field="--vary")
        lst = out.setdefault(axis.strip(), [])
        for n in names:
            if n in lst:
                raise UserError(f"level {n!r} of axis {axis.strip()!r} is named twice (in {item!r})", field="--vary")
            lst.append(n)
    return list(out.items())


def derive(task: Any, axis: Axis, level: str) -> Any:
    """The task under one level of one axis: same seeds (base name), its own name."""
    lv = axis.levels[level]
    var = {"base": task.name, "axes": task.variations["axes"], "axis": axis.name, "kind": axis.kind,
           "level": level, **lv.to_dict()}
    return dataclasses.replace(task, name=f"{task.name}@{axis.name}={level}", variation=var)


def expand(suite: Any, vary: list[tuple[str, list[str]]]) -> Any:
    """Each task of the suite followed by its derived tasks, one per requested level."""
    if not vary:
        return suite
    tasks = []
    for t in suite.tasks:
        axes = task_axes(t)
        tasks.append(t)
        for axis, levels in vary:
            if axis not in axes:
                has = ", ".join(f"{a}={'|'.join(x.levels)}" for a, x in axes.items()) or "none"
                raise UserError(f"--vary {axis}: task {t.name!r} has no variation axis {axis!r} (its axes: {has})",
                                where=t.source)
            for lv in levels:
                if lv == NOMINAL:  # the nominal task itself is always run
                    continue
                if lv not in axes[axis].levels:
                    raise UserError(f"--vary {axis}: task {t.name!r} axis {axis!r} has no level {lv!r} "
                                    f"(levels: {NOMINAL}, {', '.join(axes[axis].levels)})", where=t.source)
                tasks.append(derive(t, axes[axis], lv))
    return dataclasses.replace(suite, tasks=tuple(tasks))


# ------------------------------------------------------------------------ start states


def stream(seed: int, *key: str) -> np.random.Generator:
    """A generator of (episode seed, key...): independent of the sampler's own
    `default_rng(seed)` and of other keys."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(zlib.crc32(k.encode()) for k in key)))


def perturb_start(state: dict[str, Any], variation: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The sampler's start state with the level's draws applied (see the module docstring).
    Every level of an axis draws the same uniform numbers, in sorted entry order."""
    spec = variation.get("start") or {}
    if not spec:
        return state
    rng = stream(seed, "start", variation["axis"])
    out = {a: {f: dict(v) for f, v in fields.items()} for a, fields in state.items()}
    for asset in sorted(spec):
        for field in sorted(spec[asset]):
            for name in sorted(spec[asset][field]):
                lo, hi = spec[asset][field][name]
                u = float(rng.uniform())
                out.setdefault(asset, {}).setdefault(field, {})[name] = lo + u * (hi - lo)
    return out


# ------------------------------------------------------------------------ policy side


class PolicySide:
    """Observation noise, action noise and action latency of a policy-side level, per slot,
    each from a generator of (episode seed, axis, what): the same seed and level give the
    same noise whichever slot runs the episode and however many slots there are."""

    def __init__(self, variation: Mapping[str, Any], num_envs: int, constant_keys: set[str] = frozenset()):
        p = variation.get("policy") or {}
        self.axis = variation.get("axis", "")
        self.obs_sigma = float(p.get("obs_noise", 0.0))
        self.act_sigma = float(p.get("action_noise", 0.0))
        self.latency = int(p.get("latency", 0))
        self.blank = bool(p.get("blank_video", False))
        self.instruction = p.get("instruction")
        self.constant = set(constant_keys)
        self.obs_rng: list[np.random.Generator | None] = [None] * num_envs
        self.act_rng: list[np.random.Generator | None] = [None] * num_envs
        self.queue: list[deque] = [deque() for _ in range(num_envs)]

    @classmethod
    def of(cls, task: Any, num_envs: int) -> "PolicySide | None":
        var = getattr(task, "variation", None) or {}
        if not var.get("policy"):
            return None
        const = {k for k, o in task.observations.items() if getattr(o, "constant", None) is not None}
        return cls(var, num_envs, const)

    def reset(self, slots: Any, seeds: list[int]) -> None:
        for s, seed in zip(np.asarray(slots).tolist(), seeds):
            self.obs_rng[s] = stream(seed, "obs_noise", self.axis)
            self.act_rng[s] = stream(seed, "action_noise", self.axis)
            self.queue[s].clear()

    def observe(self, batch: dict[str, Any], slots: np.ndarray) -> dict[str, Any]:
        """The batch the policy sees ([B, T, D] state keys), noisy; row i is slot slots[i]."""
        if self.obs_sigma <= 0 and not self.blank and self.instruction is None:
            return batch
        out = dict(batch)
        if self.blank:
            out.update({k: np.zeros_like(v) for k, v in batch.items() if k.startswith("video.")})
        if self.instruction is not None:
            out[ANNOTATION_KEY] = [str(self.instruction)] * len(batch[ANNOTATION_KEY])
        if self.obs_sigma <= 0:
            return out
        keys = sorted(k for k in batch if k.startswith("state.") and k not in self.constant)
        for k in keys:
            arr = np.array(batch[k], dtype=np.float32, copy=True)
            for row, s in enumerate(np.asarray(slots).tolist()):
                arr[row] += self.obs_rng[s].normal(0.0, self.obs_sigma, arr[row].shape).astype(np.float32)
            out[k] = arr
        return out

    def act(self, action: dict[str, np.ndarray], slots: list[int], sent: set[str]) -> dict[str, np.ndarray]:
        """The actions the env gets ([N, D] per key) for the stepping slots: noisy, and
        `latency` steps late (an episode's first action is held until its own turn comes)."""
        if self.act_sigma <= 0 and self.latency <= 0:
            return action
        out = {k: np.array(v, copy=True) for k, v in action.items()}
        keys = sorted(k for k in out if k in sent)
        for s in slots:
            row = {k: out[k][s].copy() for k in keys}
            if self.act_sigma > 0:
                for k in keys:
                    row[k] = row[k] + self.act_rng[s].normal(0.0, self.act_sigma, row[k].shape).astype(np.float32)
            if self.latency > 0:
                q = self.queue[s]
                if not q:
                    q.extend(dict(row) for _ in range(self.latency))
                q.append(row)
                row = q.popleft()
            for k in keys:
                out[k][s] = row[k]
        return out
