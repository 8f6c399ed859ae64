"""Env-side variation levels (see `arena_eval.cards.variation`): the level's cfg overrides and
distractor parts, applied to the env cfg before the env is built, by the in-process adapter
and so in every worker process alike (a worker builds its env from the same task)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import UserError


def _tuple(x: Any) -> Any:
    # Plain data (JSON lists after a manifest or a Ray shard) back to the tuples cfgs hold.
    return tuple(_tuple(v) for v in x) if isinstance(x, (list, tuple)) else x


def quat_mul(a, b) -> tuple[float, ...]:
    """xyzw quaternion product a * b."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz)


def yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    return (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))


def _value(old: Any, op: Any, where: str) -> Any:
    if not isinstance(op, dict):
        return _tuple(op)
    (kind, arg), = op.items()
    if kind == "add":
        return tuple(float(o) + float(d) for o, d in zip(old, arg))
    if kind == "mul":
        return tuple(float(o) * float(arg) for o in old) if isinstance(old, (list, tuple)) else float(old) * float(arg)
    if kind == "rotate":
        return quat_mul(tuple(arg), tuple(old))
    raise UserError(f"unknown cfg operation {kind!r} (known: add, mul, rotate)", field=where)


def apply_variation(cfg: Any, task: Any) -> None:
    """Set the level's cfg values and add its parts (static boxes) to the scene cfg."""
    var = task.variation or {}
    field = f"task {task.name}: variation {var.get('axis')}={var.get('level')}"
    for dotted, op in (var.get("cfg") or {}).items():
        obj = cfg
        parts = dotted.split(".")
        for p in parts[:-1]:
            obj = getattr(obj, p, None)
            if obj is None:
                raise UserError(f"the env cfg has no attribute {dotted!r}", where=task.source, field=field)
        if not hasattr(obj, parts[-1]):
            raise UserError(f"the env cfg has no attribute {dotted!r}", where=task.source, field=field)
        setattr(obj, parts[-1], _value(getattr(obj, parts[-1]), op, field))
    extra = var.get("parts") or {}
    if extra:
        from .tasks.common import add_parts, static_box

        add_parts(cfg.scene, {name: static_box(_tuple(p["size"]), _tuple(p["pos"]), float(p.get("yaw", 0.0)),
                                               color=_tuple(p["color"]), name=name) for name, p in extra.items()})
