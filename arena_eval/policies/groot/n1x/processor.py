"""The N1.6 / N1.7 processor files (`processor_config.json`, `statistics.json`,
`embodiment_id.json` in the checkpoint directory; tokenizer and chat template in the card's
processor directory) and the text transforms.

- Modality configs (per embodiment tag): `delta_indices` and `modality_keys` per modality,
  `sin_cos_embedding_keys` / `mean_std_embedding_keys` (state and action), and per action key
  an `action_configs` entry (rep RELATIVE/ABSOLUTE, type NON_EEF/EEF, format
  DEFAULT/XYZ_ROT6D/XYZ_ROTVEC, optional state_key); enum names are accepted in either case.
  Each key gets its (un)normalisation rule here (`state_action.py` states the rules).
- Text (common/text.py): formalize_language lowercases and strips punctuation; N1.6 renders
  one user turn [text, *images] (text first) with Eagle's chat template and expands each
  `<image-k>`;
  N1.7 renders [*images, text] with the Qwen3-VL template and expands each `<|image_pad|>` to
  its grid's token count. No generation prompt; the tokenizer pads on the left.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ....errors import UserError
from ..common.jsonfile import read_json
from .state_action import EEF_DIMS, FORMATS, KeyRule, action_rule, packed_dim, state_rule

PROCESSOR_CONFIG = "processor_config.json"
STATISTICS = "statistics.json"
EMBODIMENT_ID = "embodiment_id.json"
# What N1.7's Qwen2-VL image processor takes from the processor directory's preprocessor_config.json.
QWEN_IMAGE_KEYS = (
    "patch_size",
    "temporal_patch_size",
    "merge_size",
    "image_mean",
    "image_std",
    "size",
    "min_pixels",
    "max_pixels",
    "do_resize",
    "do_rescale",
    "rescale_factor",
    "do_normalize",
    "do_convert_rgb",
    "resample",
)

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
    rule: KeyRule
    eef_format: str | None = None  # end-effector pose composed with the state's: "xyz+rot6d" or "xyz+rotvec"


@dataclasses.dataclass(frozen=True)
class StateKey:
    name: str
    dim: int  # raw width
    rule: KeyRule

    @property
    def packed(self) -> int:
        """Width in the model's state vector (sin/cos doubles it)."""
        return packed_dim(self.rule, self.dim)


@dataclasses.dataclass
class Embodiment:
    tag: str
    video_keys: list[str]
    video_frames: int
    states: list[StateKey]  # in modality_keys order
    state_frames: int
    actions: list[ActionKey]
    horizon: int  # valid action steps (len of the action delta_indices)
    language_key: str
    stats: dict[str, Any]

    @property
    def state_keys(self) -> dict[str, int]:
        """name -> raw width, in modality_keys order."""
        return {k.name: k.dim for k in self.states}


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
    state_sincos = _key_set(state, "sin_cos_embedding_keys", "state")
    state_meanstd = _key_set(state, "mean_std_embedding_keys", "state")
    action_meanstd = _key_set(action, "mean_std_embedding_keys", "action")
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
        fmt = FORMATS.get(str(c.get("format", "DEFAULT")).upper())
        if fmt is None:
            raise UserError(f"action {name!r}: unknown format {c.get('format')!r} ({', '.join(FORMATS)})",
                            where=str(pc_path), field=f"{tag}.action.action_configs")
        sk = _strip(c.get("state_key") or name, "state")
        if rel and sk not in state_keys:
            raise UserError(f"relative action {name!r} needs state key {sk!r}", where=str(pc_path))
        d = _dim(stats, "relative_action" if rel else "action", name, w)
        eef = rel and kind == "EEF"
        if eef and (fmt not in EEF_DIMS or d != EEF_DIMS[fmt] or state_keys[sk] != d):
            raise UserError(
                f"end-effector-relative action {name!r} needs format XYZ_ROT6D (xyz + rot6d, 9 dims) or XYZ_ROTVEC "
                f"(xyz + rotvec, 6 dims) in the action and its state {sk!r}; got format {fmt}, {d} and "
                f"{state_keys[sk]} dims",
                where=str(pc_path),
                field=f"{tag}.action.action_configs",
            )
        if not eef and rel and d != state_keys[sk]:
            raise UserError(
                f"relative action {name!r} has {d} dims, its state {sk!r} {state_keys[sk]}", where=str(pc_path)
            )
        rule = action_rule(name, relative=rel, mean_std_keys=action_meanstd, kw=kw)
        actions.append(ActionKey(name, d, rel, sk, rule, fmt if eef else None))
    emb = Embodiment(
        tag=tag,
        video_keys=[_strip(k, "video") for k in video["modality_keys"]],
        video_frames=len(video.get("delta_indices") or [0]),
        states=[StateKey(n, d, state_rule(n, sin_cos_keys=state_sincos, mean_std_keys=state_meanstd, kw=kw))
                for n, d in state_keys.items()],
        state_frames=len(state.get("delta_indices") or [0]),
        actions=actions,
        horizon=len(action.get("delta_indices") or []),
        language_key=(lang.get("modality_keys") or ["annotation.human.task_description"])[0],
        stats=stats,
    )
    if emb.horizon < 1:
        raise UserError("action delta_indices is empty", where=str(pc_path), field=f"{tag}.action")
    if emb.state_frames != 1:
        raise UserError("only one state step per call is supported", where=str(pc_path), field=f"{tag}.state")
    return emb, kw


def _key_set(m: dict[str, Any], field: str, modality: str) -> set[str]:
    return {_strip(k, modality) for k in m.get(field) or []}


def load_embodiment_ids(ckpt: Path, model_type_is_n17: bool) -> dict[str, int]:
    table = dict(EMBODIMENT_IDS_N17 if model_type_is_n17 else EMBODIMENT_IDS_N16)
    p = ckpt / EMBODIMENT_ID
    if p.is_file():
        data = read_json(p)
        if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
            raise UserError("expected an object of tag -> integer", where=str(p))
        table.update(data)
    return table


def expand_qwen_images(prompt: str, tokens: list[int]) -> str:
    """Each `<|image_pad|>` in turn -> n_k copies (what Qwen3-VL's processor does)."""
    parts = prompt.split("<|image_pad|>")
    if len(parts) - 1 != len(tokens):
        raise UserError(f"the chat template rendered {len(parts) - 1} image placeholders for {len(tokens)} images")
    out = parts[0]
    for n, rest in zip(tokens, parts[1:], strict=True):
        out += "<|image_pad|>" * n + rest
    return out
