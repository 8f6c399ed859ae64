"""The N1.6 / N1.7 state and action (un)normalisation rules, key kind by key kind.

Both generations' processors (`Gr00tN1d6Processor`, `Gr00tN1d7Processor`) hand states and
actions to one class, NVIDIA's `StateActionProcessor`
(`gr00t/data/state_action/state_action_processor.py`), built with the processor config's
`use_percentiles`, `clip_outliers`, `apply_sincos_state_encoding` and `use_relative_action`;
its arithmetic is in `gr00t/data/utils.py`. This module states each rule once, with the
function it mirrors (tests/unit/test_groot_normalization.py checks each against hand-worked values).

State key (`apply_state`), first match wins:

1. sin/cos: `apply_sincos_state_encoding` and the key in the state's
   `sin_cos_embedding_keys` -> [sin(x_1..x_D), cos(x_1..x_D)], twice the width, no clipping
   (`apply_sin_cos_encoding`).
2. mean/std: the key in the state's `mean_std_embedding_keys` -> (x - mean) / std, and x itself
   where std == 0; no clipping (`normalize_values_meanstd`).
3. min/max: bounds q01/q99 with `use_percentiles`, else min/max
   (`_compute_normalization_parameters`); 2 (x - lo) / (hi - lo) - 1, and 0 where
   `np.isclose(hi, lo)` (`normalize_values_minmax`); clipped to [-1, 1] with `clip_outliers`.

Action key (`unapply_action` at inference, `apply_action` when training):

- Statistics: a relative key (rep RELATIVE and `use_relative_action`) takes ALL of its
  statistics from `relative_action[key]` (per chunk step: [horizon][dim]), so its bounds are
  that entry's min/max whatever `use_percentiles` says; an absolute key takes `action[key]`,
  q01/q99 with `use_percentiles`, else min/max (`_compute_normalization_parameters`).
- mean/std: the key in the action's `mean_std_embedding_keys` -> y * std + mean (y itself where
  std == 0), no clipping (`unnormalize_values_meanstd`); else min/max: y clipped to [-1, 1],
  then (y + 1) / 2 * (hi - lo) + lo (`unnormalize_values_minmax`).
- Then a relative key is made absolute against the LAST observed state step of `state_key`
  (default: the key itself): NON_EEF adds it (`JointActionChunk`); EEF composes poses,
  T_abs = T_state @ T_rel, for format XYZ_ROT6D (9 dims; rot6d = the first two ROWS of the
  rotation matrix, rebuilt by Gram-Schmidt, third row their cross product) or XYZ_ROTVEC
  (6 dims) (`_convert_to_absolute_action`, `EndEffectorPose` in `pose.py`).
- Training direction: relative first (T_rel = inv(T_state) @ T_abs; joints: a - s), then
  mean/std or min/max as for states, then clipping with `clip_outliers` after EITHER.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ....errors import UserError

# Kinds of key.
SIN_COS, MEAN_STD, MIN_MAX = "sin_cos", "mean_std", "min_max"
# Action formats as NVIDIA's ActionFormat (JSON holds the enum NAME).
FORMATS = {"DEFAULT": "default", "XYZ_ROT6D": "xyz+rot6d", "XYZ_ROTVEC": "xyz+rotvec"}
EEF_DIMS = {"xyz+rot6d": 9, "xyz+rotvec": 6}


@dataclasses.dataclass(frozen=True)
class KeyRule:
    """How one state or action key is (un)normalised."""

    kind: str  # SIN_COS, MEAN_STD or MIN_MAX
    stats: str  # which statistics entry: "state", "action" or "relative_action"
    bounds: tuple[str, str] | None  # (lo, hi) statistic names for MIN_MAX, e.g. ("q01", "q99")
    clip: bool  # clip to [-1, 1] after normalising (states: MIN_MAX only; actions: either)


def state_rule(key: str, *, sin_cos_keys: set[str], mean_std_keys: set[str], kw: dict[str, Any]) -> KeyRule:
    """`StateActionProcessor.apply_state`'s choice for one state key."""
    if bool(kw.get("apply_sincos_state_encoding", False)) and key in sin_cos_keys:
        return KeyRule(SIN_COS, "state", None, False)
    if key in mean_std_keys:
        return KeyRule(MEAN_STD, "state", None, False)
    pct = bool(kw.get("use_percentiles", False))
    return KeyRule(MIN_MAX, "state", ("q01", "q99") if pct else ("min", "max"), bool(kw.get("clip_outliers", True)))


def action_rule(key: str, *, relative: bool, mean_std_keys: set[str], kw: dict[str, Any]) -> KeyRule:
    """`_compute_normalization_parameters` and `unapply_action`'s choice for one action key."""
    stats = "relative_action" if relative else "action"
    clip = bool(kw.get("clip_outliers", True))
    if key in mean_std_keys:
        return KeyRule(MEAN_STD, stats, None, clip)
    # relative_action replaces the key's whole entry, so its raw min/max are the bounds
    pct = bool(kw.get("use_percentiles", False)) and not relative
    return KeyRule(MIN_MAX, stats, ("q01", "q99") if pct else ("min", "max"), clip)


def packed_dim(rule: KeyRule, dim: int) -> int:
    """Width of a state key in the model's state vector."""
    return 2 * dim if rule.kind == SIN_COS else dim


def _arr(st: dict[str, Any], name: str, key: str) -> np.ndarray:
    if name not in st:
        raise UserError(f"statistics of {key!r} lack {name!r}")
    return np.asarray(st[name], np.float64)


def _per_step(a: np.ndarray, h: int, key: str) -> np.ndarray:
    """Statistics [D] apply to every step; [H_stats, D] (relative actions) one row per step."""
    if a.ndim == 2:
        if a.shape[0] < h:
            raise UserError(f"relative statistics of {key!r} cover {a.shape[0]} steps, the chunk has {h}")
        return a[:h]
    return a


def normalize_state(x: np.ndarray, st: dict[str, Any], key: str, rule: KeyRule) -> np.ndarray:
    """Raw state values [..., D] -> what the model reads [..., packed_dim]."""
    x = np.asarray(x, np.float64)
    if rule.kind == SIN_COS:
        return np.concatenate([np.sin(x), np.cos(x)], axis=-1)
    if rule.kind == MEAN_STD:
        mean, std = _arr(st, "mean", key), _arr(st, "std", key)
        ok = std != 0
        return np.where(ok, (x - mean) / np.where(ok, std, 1.0), x)
    assert rule.bounds is not None
    lo, hi = _arr(st, rule.bounds[0], key), _arr(st, rule.bounds[1], key)
    ok = ~np.isclose(hi, lo)
    y = np.where(ok, 2 * (x - lo) / np.where(ok, hi - lo, 1.0) - 1, 0.0)
    return np.clip(y, -1, 1) if rule.clip else y


def normalize_action(a: np.ndarray, st: dict[str, Any], key: str, rule: KeyRule) -> np.ndarray:
    """Training direction of one (already relative, where it is) action chunk [B, H, D]."""
    a = np.asarray(a, np.float64)
    h = a.shape[1]
    if rule.kind == MEAN_STD:
        mean, std = _per_step(_arr(st, "mean", key), h, key), _per_step(_arr(st, "std", key), h, key)
        ok = std != 0
        y = np.where(ok, (a - mean) / np.where(ok, std, 1.0), a)
    else:
        assert rule.bounds is not None
        lo = _per_step(_arr(st, rule.bounds[0], key), h, key)
        hi = _per_step(_arr(st, rule.bounds[1], key), h, key)
        ok = ~np.isclose(hi, lo)
        y = np.where(ok, 2 * (a - lo) / np.where(ok, hi - lo, 1.0) - 1, 0.0)
    return np.clip(y, -1, 1) if rule.clip else y


def unnormalize_action(y: np.ndarray, st: dict[str, Any], key: str, rule: KeyRule) -> np.ndarray:
    """The model's normalised chunk of one key [B, H, D] -> world units (still relative where
    the key is)."""
    y = np.asarray(y, np.float64)
    h = y.shape[1]
    if rule.kind == MEAN_STD:
        mean, std = _per_step(_arr(st, "mean", key), h, key), _per_step(_arr(st, "std", key), h, key)
        return np.where(std != 0, y * std + mean, y)
    assert rule.bounds is not None
    lo = _per_step(_arr(st, rule.bounds[0], key), h, key)
    hi = _per_step(_arr(st, rule.bounds[1], key), h, key)
    return (np.clip(y, -1, 1) + 1) / 2 * (hi - lo) + lo


# ---------------------------------------------------------------------------------------
# End-effector poses (xyz + rot6d or xyz + rotvec), relative to the state's pose.


def rot6d_to_matrix(d6: np.ndarray) -> np.ndarray:
    """[..., 6] -> [..., 3, 3]: Gram-Schmidt on the two 3-vectors, which are the matrix's first
    two ROWS (`EndEffectorPose._rot6d_to_matrix`)."""
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / np.linalg.norm(a1, axis=-1, keepdims=True)
    b2 = a2 - (b1 * a2).sum(-1, keepdims=True) * b1
    b2 = b2 / np.linalg.norm(b2, axis=-1, keepdims=True)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-2)


def matrix_to_rot6d(m: np.ndarray) -> np.ndarray:
    return m[..., :2, :].reshape(*m.shape[:-2], 6)


def _rotation(r: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "xyz+rot6d":
        return rot6d_to_matrix(r)
    return Rotation.from_rotvec(r.reshape(-1, 3)).as_matrix().reshape(*r.shape[:-1], 3, 3)


def _encode(m: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "xyz+rot6d":
        return matrix_to_rot6d(m)
    return Rotation.from_matrix(m.reshape(-1, 3, 3)).as_rotvec().reshape(*m.shape[:-2], 3)


def compose_eef(state: np.ndarray, rel: np.ndarray, fmt: str = "xyz+rot6d") -> np.ndarray:
    """Absolute poses from a relative chunk: T_abs = T_state @ T_rel, i.e. the relative pose is
    expressed in the state's frame (`EndEffectorActionChunk.to_absolute_chunking`).
    state [B, D], rel [B, H, D]."""
    rs = _rotation(state[:, 3:], fmt)[:, None]  # [B, 1, 3, 3]
    rr = _rotation(rel[..., 3:], fmt)
    pos = (rs @ rel[..., :3, None])[..., 0] + state[:, None, :3]
    return np.concatenate([pos, _encode(rs @ rr, fmt)], axis=-1)


def relative_eef(state: np.ndarray, action: np.ndarray, fmt: str = "xyz+rot6d") -> np.ndarray:
    """The inverse of `compose_eef`: T_rel = inv(T_state) @ T_abs (`relative_chunking`)."""
    rs = _rotation(state[:, 3:], fmt)[:, None]
    ra = _rotation(action[..., 3:], fmt)
    rst = np.swapaxes(rs, -1, -2)
    pos = (rst @ (action[..., :3] - state[:, None, :3])[..., None])[..., 0]
    return np.concatenate([pos, _encode(rst @ ra, fmt)], axis=-1)
