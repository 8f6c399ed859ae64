"""Configuration of a GR00T N1 or N1.5 checkpoint: dataclasses mirroring its `config.json`.

A GR00T checkpoint's `config.json` holds the action head and a few backbone switches
(`select_layer`, projection), but not the sizes of the SigLIP tower or the language model:
those live in the Eagle model's own config (`eagle_config.py`).

Field names and defaults follow the original configs; fields that change nothing at
inference (tune_*, model_dtype, ...) are kept in `extra` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ....errors import UserError
from ..common.config import TransformerConfig, fields_dict, split_fields
from ..common.jsonfile import read_json
from ..common.sizes import GR00T_DIT, GR00T_FLOW_MATCHING, GR00T_VL_SELF_ATTENTION

N15 = "gr00t_n1_5"
N1 = "gr00t_n1"
MODEL_TYPES = (N15, N1)


@dataclasses.dataclass
class ActionHeadConfig:
    action_dim: int = 32
    action_horizon: int = 16
    add_pos_embed: bool = True
    backbone_embedding_dim: int = 1536
    hidden_size: int = 1024
    input_embedding_dim: int = 1536
    max_action_dim: int = 32
    max_state_dim: int = 64
    max_seq_len: int = 1024
    max_num_embodiments: int = 32
    noise_beta_alpha: float = 1.5
    noise_beta_beta: float = 1.0
    noise_s: float = 0.999
    num_inference_timesteps: int = 4
    num_timestep_buckets: int = 1000
    num_target_vision_tokens: int = 32
    use_vlln: bool = True
    diffusion_model_cfg: TransformerConfig = dataclasses.field(default_factory=TransformerConfig)
    vl_self_attention_cfg: TransformerConfig | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> ActionHeadConfig:
        known, extra = split_fields(cls, data, where, "action_head_cfg")
        if "diffusion_model_cfg" not in known:
            raise UserError("missing diffusion_model_cfg", where=where, field="action_head_cfg")
        known["diffusion_model_cfg"] = TransformerConfig.from_dict(
            known["diffusion_model_cfg"], where, "action_head_cfg.diffusion_model_cfg"
        )
        if known.get("vl_self_attention_cfg") is not None:
            known["vl_self_attention_cfg"] = TransformerConfig.from_dict(
                known["vl_self_attention_cfg"], where, "action_head_cfg.vl_self_attention_cfg", plain=True
            )
        return cls(**known, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        d = fields_dict(self)
        if self.vl_self_attention_cfg is None:
            d.pop("vl_self_attention_cfg")
        return d


@dataclasses.dataclass
class BackboneConfig:
    """`backbone_cfg`. N1.5 projects with `project_to_dim` (null: none), N1 with `projector_dim`
    (-1: none) into the action head's width."""

    select_layer: int = 12
    project_to_dim: int | None = None
    projector_dim: int = -1
    reproject_vision: bool = False
    scale_image_resolution: int = 1
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return fields_dict(self)


@dataclasses.dataclass
class Gr00tConfig:
    model_type: str
    action_horizon: int
    action_dim: int
    backbone_cfg: BackboneConfig
    action_head_cfg: ActionHeadConfig
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def is_n15(self) -> bool:
        return self.model_type == N15

    def to_dict(self) -> dict[str, Any]:
        return fields_dict(self)


def parse_config(data: Any, where: str) -> Gr00tConfig:
    if not isinstance(data, dict):
        raise UserError("expected a JSON object", where=where)
    mt = data.get("model_type")
    if mt not in MODEL_TYPES:
        raise UserError(
            f"model_type {mt!r} is not a GR00T N1.5 or N1 checkpoint (expected one of {MODEL_TYPES})", where=where
        )
    for name in ("action_horizon", "action_dim", "backbone_cfg", "action_head_cfg"):
        if name not in data:
            raise UserError("missing required field", where=where, field=name)
    known, extra = split_fields(BackboneConfig, data["backbone_cfg"], where, "backbone_cfg")
    bb = BackboneConfig(**known, extra=extra)
    if bb.reproject_vision:
        raise UserError("reproject_vision is not supported", where=where, field="backbone_cfg.reproject_vision")
    if bb.scale_image_resolution != 1:
        raise UserError("scale_image_resolution other than 1 is not supported", where=where, field="backbone_cfg")
    head = ActionHeadConfig.from_dict(data["action_head_cfg"], where)
    if mt == N1:  # the N1 head has neither vlln nor vl self-attention nor future tokens
        head.use_vlln = False
        head.vl_self_attention_cfg = None
    elif head.use_vlln and head.vl_self_attention_cfg is None:
        raise UserError("use_vlln needs vl_self_attention_cfg", where=where, field="action_head_cfg")
    if head.diffusion_model_cfg.output_dim != head.hidden_size:
        raise UserError(
            f"diffusion_model_cfg.output_dim ({head.diffusion_model_cfg.output_dim}) must equal "
            f"hidden_size ({head.hidden_size})",
            where=where,
            field="action_head_cfg",
        )
    rest = {
        k: v
        for k, v in data.items()
        if k not in ("model_type", "action_horizon", "action_dim", "backbone_cfg", "action_head_cfg")
    }
    return Gr00tConfig(mt, int(data["action_horizon"]), int(data["action_dim"]), bb, head, extra=rest)


def load_config(checkpoint_dir: Path) -> Gr00tConfig:
    path = checkpoint_dir / "config.json"
    return parse_config(read_json(path), str(path))


# ---------------------------------------------------------------------------------------
# The published configs (config.json of GR00T-N1.5-3B; GR00T-N1-2B's as far as the N1-era
# source shows it), for layout checks and FLOP counts without the real files.

_DIT = {**GR00T_DIT, "num_layers": 16}
_HEAD = {
    **GR00T_FLOW_MATCHING,
    "action_dim": 32,
    "action_horizon": 16,
    "max_action_dim": 32,
    "max_state_dim": 64,
    "model_dtype": "float32",
    "tune_diffusion_model": True,
    "tune_projector": True,
}
PUBLISHED = {
    N15: {
        "architectures": ["GR00T_N1_5"],
        "model_type": N15,
        "action_horizon": 16,
        "action_dim": 32,
        "compute_dtype": "bfloat16",
        "hidden_size": 2048,
        "model_dtype": "float32",
        "backbone_cfg": {
            "eagle_path": "NVEagle/eagle_er-qwen3_1_7B-Siglip2_400M_stage1_5_128gpu_er_v7_1mlp_nops",
            "load_bf16": False,
            "project_to_dim": None,
            "reproject_vision": False,
            "select_layer": 12,
            "tune_llm": False,
            "tune_visual": True,
            "use_flash_attention": True,
        },
        "action_head_cfg": {
            **_HEAD,
            "backbone_embedding_dim": 2048,
            "num_target_vision_tokens": 32,
            "use_vlln": True,
            "diffusion_model_cfg": {**_DIT, "cross_attention_dim": 2048},
            "vl_self_attention_cfg": dict(GR00T_VL_SELF_ATTENTION),
        },
    },
    N1: {
        "architectures": ["GR00T_N1"],
        "model_type": N1,
        "action_horizon": 16,
        "action_dim": 32,
        "compute_dtype": "bfloat16",
        "hidden_size": 1536,
        "model_dtype": "float32",
        # (check) projector_dim 2048 -> backbone.linear 2048 -> 1536, select_layer 12, 64 image tokens
        "backbone_cfg": {
            "select_layer": 12,
            "projector_dim": 2048,
            "reproject_vision": False,
            "scale_image_resolution": 1,
            "tune_llm": False,
            "tune_visual": True,
            "processor_cfg": {
                "max_input_tiles": 1,
                "model_path": "$GR00T_BACKBONE_PATH/eagle2_hg_model",
                "model_spec": {"num_image_token": 64, "template": "qwen2-chat"},
            },
        },
        "action_head_cfg": {**_HEAD, "diffusion_model_cfg": dict(_DIT)},
    },
}
