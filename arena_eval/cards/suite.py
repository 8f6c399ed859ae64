"""Reading suite and task cards (tasks/<suite>.yaml) into the dataclasses of `cards/task.py`,
and the command line's changes to a suite (task selection, overrides)."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

from ..errors import UserError
from ..outcomes import CARD_CODES
from .reader import TASKS_DIR, Reader, check_key, read_yaml, resolve_card
from .task import (
    ENV_APPS,
    ENV_BACKENDS,
    ActionSlot,
    EnvSpec,
    FailureWhen,
    ObsSource,
    SuccessSpec,
    SuiteSpec,
    TaskSpec,
)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def task_from_card(card: Any, where: str) -> TaskSpec:
    """One task from its card mapping (the inverse of `TaskSpec.to_card`)."""
    return _parse_task(Reader(card, where, ""))


def _num_envs_field(r: "Reader") -> int:
    """`num_envs: auto` is one slot per available core (what the worker backend wants)."""
    if r.data.get("num_envs") == "auto":
        r.used.add("num_envs")
        return available_cores()
    return r.positive_int("num_envs", 1)


def _parse_env(r: Reader) -> EnvSpec:
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


def _parse_resources(r: Reader) -> dict[str, Any]:
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


def _parse_variations(r: Reader) -> dict[str, Any]:
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


def _max_mde(r: Reader) -> float | None:
    v = r.get("max_mde", float, None)
    if v is not None and not 0 < v <= 1:
        raise UserError(f"expected a number in (0, 1], got {v}", where=r.where, field=r.field("max_mde"))
    return v


def _parse_task(r: Reader) -> TaskSpec:
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
        check_key(key, ("video", "state"), r.where, f)
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
        check_key(key, ("action",), r.where, act_r.field(str(key)))
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


def parse_suite(data: Any, where: str) -> SuiteSpec:
    r = Reader(data, where, "")
    name = r.get("name", str)
    tasks_raw = r.get("tasks", list)
    if not tasks_raw:
        raise UserError("expected at least one task", where=where, field="tasks")
    tasks = tuple(_parse_task(Reader(t, where, f"tasks[{i}]")) for i, t in enumerate(tasks_raw))
    names = [t.name for t in tasks]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"duplicate task name {sorted(dup)[0]!r}", where=where, field="tasks")
    suite = SuiteSpec(name=name, tasks=tasks, description=r.get("description", str, ""), source=where)
    r.finish()
    return suite


def load_suite(name_or_path: str) -> SuiteSpec:
    path = resolve_card(name_or_path, TASKS_DIR, "suite")
    return parse_suite(read_yaml(path), str(path))


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
