"""The N1.6 / N1.7 processor files and transforms (`processor_config.json`, `statistics.json`,
`embodiment_id.json` in the checkpoint directory; tokenizer and chat template in the card's
processor directory).

- Modality configs (per embodiment tag): `delta_indices` and `modality_keys` per modality, and
  per action key an `action_configs` entry (rep RELATIVE/ABSOLUTE, type NON_EEF/EEF, optional
  state_key); enum names are accepted in either case.
- State: each key normalised to [-1, 1] from min/max (q01/q99 with use_percentiles; mean/std
  for `mean_std_embedding_keys`; dims with no spread -> 0; clipped with clip_outliers),
  concatenated in modality_keys order, zero-padded to max_state_dim.
- Actions: the first len(delta_indices) steps, per key in modality_keys order, clipped to
  [-1, 1] and unnormalised; relative keys with the per-step `relative_action` statistics, then
  the last observed state step of `state_key` (default: the same key) is added back (NON_EEF)
  or composed with as a pose (EEF: xyz + rot6d, T_state @ T_rel, pytorch3d's row-based rot6d;
  this convention is unverified against NVIDIA's code).
- Text: formalize_language lowercases and strips punctuation; N1.6 renders one user turn
  [text, *images] (text first) with Eagle's chat template and expands each `<image-k>`;
  N1.7 renders [*images, text] with the Qwen3-VL template and expands each `<|image_pad|>` to
  its grid's token count. No generation prompt; the tokenizer pads on the left.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UserError
from .config import read_json

PROCESSOR_CONFIG = "processor_config.json"
STATISTICS = "statistics.json"
EMBODIMENT_ID = "embodiment_id.json"

# NVIDIA's tag -> projector index tables (the checkpoint's embodiment_id.json overrides).
EMBODIMENT_IDS_N16 = {
    "oxe_google": 0,
    "oxe_widowx": 1,
    "libero_panda": 2,
    "unitree_g1": 8,
    "new_embodiment": 10,
    "robocasa_panda_omron": 13,
    "gr1": 20,
    "behavior_r1_pro": 24,
}
EMBODIMENT_IDS_N17 = {
    "simpler_env_google": 0,
    "simpler_env_widowx": 1,
    "libero_sim": 2,
    "new_embodiment": 10,
    "robocasa_panda_omron": 10,
    "robocasa_gr1_tabletop": 10,
    "unitree_g1_sonic": 11,
    "oxe_droid_relative_eef_relative_joint": 24,
    "real_g1_relative_eef_relative_joints": 25,
    "unitree_g1_full_body_with_waist_height_nav_cmd": 25,
    "real_r1_pro_sharpa_relative_eef": 26,
    "xdof_relative_eef_relative_joint": 27,
}


@dataclasses.dataclass(frozen=True)
class ActionKey:
    name: str
    dim: int
    relative: bool
    state_key: str
    eef: bool = False  # end-effector pose (xyz + rot6d) composed with the state's pose


def rot6d_to_matrix(d6: np.ndarray) -> np.ndarray:
    """[..., 6] -> [..., 3, 3]: Gram-Schmidt on the two 3-vectors, which are the matrix's first
    two ROWS (pytorch3d's rotation_6d convention, which GR00T's rotation transforms use)."""
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / np.linalg.norm(a1, axis=-1, keepdims=True)
    b2 = a2 - (b1 * a2).sum(-1, keepdims=True) * b1
    b2 = b2 / np.linalg.norm(b2, axis=-1, keepdims=True)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-2)


def matrix_to_rot6d(m: np.ndarray) -> np.ndarray:
    return m[..., :2, :].reshape(*m.shape[:-2], 6)


def compose_eef(state: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """Absolute poses from a relative chunk: T_abs = T_state @ T_rel, i.e. the relative pose is
    expressed in the state's frame. state [B, 9], rel [B, H, 9]; poses are xyz + rot6d."""
    rs = rot6d_to_matrix(state[:, 3:])[:, None]  # [B, 1, 3, 3]
    rr = rot6d_to_matrix(rel[..., 3:])
    pos = (rs @ rel[..., :3, None])[..., 0] + state[:, None, :3]
    return np.concatenate([pos, matrix_to_rot6d(rs @ rr)], axis=-1)


def relative_eef(state: np.ndarray, action: np.ndarray) -> np.ndarray:
    """The inverse of `compose_eef` (how training chunks are made relative)."""
    rs = rot6d_to_matrix(state[:, 3:])[:, None]
    ra = rot6d_to_matrix(action[..., 3:])
    rst = np.swapaxes(rs, -1, -2)
    pos = (rst @ (action[..., :3] - state[:, None, :3])[..., None])[..., 0]
    return np.concatenate([pos, matrix_to_rot6d(rst @ ra)], axis=-1)


@dataclasses.dataclass
class Embodiment:
    tag: str
    video_keys: list[str]
    video_frames: int
    state_keys: dict[str, int]  # name -> dim, in modality_keys order
    state_frames: int
    actions: list[ActionKey]
    horizon: int  # valid action steps (len of the action delta_indices)
    language_key: str
    stats: dict[str, Any]
    mean_std_keys: set[str]


def _strip(key: str, modality: str) -> str:
    return key[len(modality) + 1 :] if key.startswith(modality + ".") else key


def _dim(stats: dict[str, Any], modality: str, key: str, where: str) -> int:
    st = stats.get(modality, {}).get(key)
    if not isinstance(st, dict) or "min" not in st:
        raise UserError("no statistics for this key", where=where, field=f"{modality}.{key}")
    return int(np.asarray(st["min"], np.float64).shape[-1])


def load_embodiment(ckpt: Path, tag: str) -> tuple[Embodiment, dict[str, Any]]:
    """The tag's modality config and statistics, and the processor kwargs."""
    pc_path = ckpt / PROCESSOR_CONFIG
    pc = read_json(pc_path)
    kw = pc.get("processor_kwargs") if isinstance(pc, dict) else None
    if not isinstance(kw, dict):
        raise UserError("expected an object with processor_kwargs", where=str(pc_path))
    mcs = kw.get("modality_configs")
    if not isinstance(mcs, dict) or tag not in mcs:
        known = ", ".join(sorted(mcs)) if isinstance(mcs, dict) else "none"
        raise UserError(f"no modality config for embodiment {tag!r} (has: {known})", where=str(pc_path))
    st_path = ckpt / STATISTICS
    all_stats = read_json(st_path)
    if not isinstance(all_stats, dict) or tag not in all_stats:
        raise UserError(f"no statistics for embodiment {tag!r}", where=str(st_path))
    stats, mc, w = all_stats[tag], mcs[tag], f"{st_path} ({tag})"

    def part(name: str) -> dict[str, Any]:
        m = mc.get(name)
        if not isinstance(m, dict) or not isinstance(m.get("modality_keys"), list):
            raise UserError("expected delta_indices and modality_keys", where=str(pc_path), field=f"{tag}.{name}")
        return m

    video, state, action = part("video"), part("state"), part("action")
    lang = mc.get("language") or {}
    state_keys = {_strip(k, "state"): _dim(stats, "state", _strip(k, "state"), w) for k in state["modality_keys"]}
    cfgs = action.get("action_configs") or [None] * len(action["modality_keys"])
    if len(cfgs) != len(action["modality_keys"]):
        raise UserError("action_configs and modality_keys differ in length", where=str(pc_path), field=f"{tag}.action")
    actions = []
    for k, c in zip(action["modality_keys"], cfgs, strict=True):
        name = _strip(k, "action")
        c = c or {}
        rel = str(c.get("rep", "ABSOLUTE")).upper() == "RELATIVE" and bool(kw.get("use_relative_action", False))
        kind = str(c.get("type", "NON_EEF")).upper()
        if kind not in ("NON_EEF", "EEF"):
            raise UserError(f"action {name!r}: unknown type {kind!r} (NON_EEF, EEF)", where=str(pc_path))
        sk = _strip(c.get("state_key") or name, "state")
        if rel and sk not in state_keys:
            raise UserError(f"relative action {name!r} needs state key {sk!r}", where=str(pc_path))
        d = _dim(stats, "relative_action" if rel else "action", name, w)
        eef = rel and kind == "EEF"
        if eef and (d != 9 or state_keys[sk] != 9):
            raise UserError(
                f"end-effector-relative action {name!r} needs xyz + rot6d (9 dims) in the action and state "
                f"{sk!r}, got {d} and {state_keys[sk]}",
                where=str(pc_path),
                field=f"{tag}.action.action_configs",
            )
        if not eef and rel and d != state_keys[sk]:
            raise UserError(
                f"relative action {name!r} has {d} dims, its state {sk!r} {state_keys[sk]}", where=str(pc_path)
            )
        actions.append(ActionKey(name, d, rel, sk, eef))
    emb = Embodiment(
        tag=tag,
        video_keys=[_strip(k, "video") for k in video["modality_keys"]],
        video_frames=len(video.get("delta_indices") or [0]),
        state_keys=state_keys,
        state_frames=len(state.get("delta_indices") or [0]),
        actions=actions,
        horizon=len(action.get("delta_indices") or []),
        language_key=(lang.get("modality_keys") or ["annotation.human.task_description"])[0],
        stats=stats,
        mean_std_keys={_strip(k, "state") for k in state.get("mean_std_embedding_keys") or []},
    )
    if emb.horizon < 1:
        raise UserError("action delta_indices is empty", where=str(pc_path), field=f"{tag}.action")
    if emb.state_frames != 1:
        raise UserError("only one state step per call is supported", where=str(pc_path), field=f"{tag}.state")
    if state.get("sin_cos_embedding_keys"):
        raise UserError("sin/cos state keys are not supported", where=str(pc_path), field=f"{tag}.state")
    return emb, kw


def load_embodiment_ids(ckpt: Path, model_type_is_n17: bool) -> dict[str, int]:
    table = dict(EMBODIMENT_IDS_N17 if model_type_is_n17 else EMBODIMENT_IDS_N16)
    p = ckpt / EMBODIMENT_ID
    if p.is_file():
        data = read_json(p)
        if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
            raise UserError("expected an object of tag -> integer", where=str(p))
        table.update(data)
    return table


def _arr(st: dict[str, Any], name: str, key: str) -> np.ndarray:
    if name not in st:
        raise UserError(f"statistics of {key!r} lack {name!r}")
    return np.asarray(st[name], np.float64)


def _bounds(st: dict[str, Any], key: str, percentiles: bool) -> tuple[np.ndarray, np.ndarray]:
    if percentiles:
        return _arr(st, "q01", key), _arr(st, "q99", key)
    return _arr(st, "min", key), _arr(st, "max", key)


def normalize_state(
    x: np.ndarray, st: dict[str, Any], key: str, percentiles: bool, clip: bool, mean_std: bool
) -> np.ndarray:
    if mean_std:
        mean, std = _arr(st, "mean", key), _arr(st, "std", key)
        return np.where(std != 0, (x - mean) / np.where(std != 0, std, 1.0), 0.0)
    lo, hi = _bounds(st, key, percentiles)
    ok = hi != lo
    y = np.where(ok, 2 * (x - lo) / np.where(ok, hi - lo, 1.0) - 1, 0.0)
    return np.clip(y, -1, 1) if clip else y


def unnormalize_action(y: np.ndarray, st: dict[str, Any], key: str, percentiles: bool) -> np.ndarray:
    """y [B, H, D] in [-1, 1] (clipped first); statistics [D] or per step [H_stats, D]."""
    lo, hi = _bounds(st, key, percentiles)
    h = y.shape[1]
    if lo.ndim == 2:  # relative actions: one row per chunk step
        if lo.shape[0] < h:
            raise UserError(f"relative statistics of {key!r} cover {lo.shape[0]} steps, the chunk has {h}")
        lo, hi = lo[:h], hi[:h]
    y = np.clip(y, -1, 1)
    return (y + 1) / 2 * (hi - lo) + lo


def formalize(text: str) -> str:
    return re.sub(r"[^\w\s]", "", text.lower())


def expand_eagle_images(prompt: str, tokens: list[int]) -> str:
    """`<image-k>` -> `<image k><img>` + `<IMG_CONTEXT>` x n_k + `</img>`."""

    def sub(m: re.Match) -> str:
        k = int(m.group(1))
        return f"<image {k}><img>" + "<IMG_CONTEXT>" * tokens[k - 1] + "</img>"

    return re.sub(r"<image-(\d+)>", sub, prompt)


def expand_qwen_images(prompt: str, tokens: list[int]) -> str:
    """Each `<|image_pad|>` in turn -> n_k copies (what Qwen3-VL's processor does)."""
    parts = prompt.split("<|image_pad|>")
    if len(parts) - 1 != len(tokens):
        raise UserError(f"the chat template rendered {len(parts) - 1} image placeholders for {len(tokens)} images")
    out = parts[0]
    for n, rest in zip(tokens, parts[1:], strict=True):
        out += "<|image_pad|>" * n + rest
    return out
