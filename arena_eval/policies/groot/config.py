"""Configuration of a GR00T checkpoint: dataclasses mirroring its `config.json`, and the
Eagle vision-language config that the checkpoint does not carry.

A GR00T checkpoint's `config.json` holds the action head and a few backbone switches
(`select_layer`, projection), but not the sizes of the SigLIP tower or the language model:
those live in the Eagle model's own `config.json`, shipped with the tokenizer and processor
files (`eagle2_hg_model/` of the GR00T source, or the processor repo of the LeRobot port).
`load_eagle_config` reads it from the card's processor directory and falls back to the
published sizes of the real backbones when that directory has none.

Field names and defaults follow the original configs; fields that change nothing at
inference (tune_*, model_dtype, ...) are kept in `extra` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ...errors import UserError

N15 = "gr00t_n1_5"
N1 = "gr00t_n1"
MODEL_TYPES = (N15, N1)


def _split(cls: type, data: dict[str, Any], where: str, field: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Known fields of a dataclass vs the rest (kept verbatim in `extra`)."""
    if not isinstance(data, dict):
        raise UserError(f"expected a mapping, got {type(data).__name__}", where=where, field=field)
    names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    return {k: v for k, v in data.items() if k in names}, {k: v for k, v in data.items() if k not in names}


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name == "extra":
            continue
        v = getattr(obj, f.name)
        out[f.name] = _to_dict(v) if dataclasses.is_dataclass(v) else v
    out.update(obj.extra)
    return dict(sorted(out.items()))


@dataclasses.dataclass
class TransformerConfig:
    """`diffusion_model_cfg` (the DiT) or `vl_self_attention_cfg` (plain blocks)."""

    num_attention_heads: int = 8
    attention_head_dim: int = 64
    num_layers: int = 12
    output_dim: int = 26
    dropout: float = 0.1
    attention_bias: bool = True
    activation_fn: str = "gelu-approximate"
    norm_type: str = "ada_norm"
    norm_elementwise_affine: bool = False
    norm_eps: float = 1e-5
    final_dropout: bool = True
    positional_embeddings: str | None = "sinusoidal"
    max_num_positional_embeddings: int = 512
    interleave_self_attention: bool = False
    cross_attention_dim: int | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def inner_dim(self) -> int:
        return self.num_attention_heads * self.attention_head_dim

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str, field: str, *, plain: bool = False) -> TransformerConfig:
        known, extra = _split(cls, data, where, field)
        if plain:  # the vl self-attention blocks always use affine LayerNorms
            known = {**known, "norm_type": "layer_norm", "norm_elementwise_affine": True}
        cfg = cls(**known, extra=extra)
        if cfg.activation_fn != "gelu-approximate":
            raise UserError(
                f"activation_fn {cfg.activation_fn!r} is not supported (gelu-approximate)", where=where, field=field
            )
        if cfg.norm_type not in ("ada_norm", "layer_norm"):
            raise UserError(
                f"norm_type {cfg.norm_type!r} is not supported (ada_norm, layer_norm)", where=where, field=field
            )
        if cfg.positional_embeddings not in (None, "sinusoidal"):
            raise UserError(
                f"positional_embeddings {cfg.positional_embeddings!r} is not supported (null, sinusoidal)",
                where=where,
                field=field,
            )
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


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
        known, extra = _split(cls, data, where, "action_head_cfg")
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
        d = _to_dict(self)
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
        return _to_dict(self)


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
        return _to_dict(self)


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
    known, extra = _split(BackboneConfig, data["backbone_cfg"], where, "backbone_cfg")
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


def read_json(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UserError("file not found", where=str(path)) from None
    except OSError as e:
        raise UserError(f"cannot read ({e.strerror})", where=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}", where=str(path)) from None


# ---------------------------------------------------------------------------------------
# The Eagle vision-language model (from the processor directory).

# Published sizes of the real backbones, used when the processor directory has no config.json.
# N1.5: Eagle 2.5 with SigLIP (so400m, 224 px) and Qwen3-1.7B, one Linear connector, no pixel shuffle.
_SIGLIP_224 = {
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "image_size": 224,
    "patch_size": 14,
    "num_channels": 3,
    "hidden_act": "gelu_pytorch_tanh",
    "layer_norm_eps": 1e-6,
    "attention_dropout": 0.0,
    "model_type": "siglip_vision_model",
}
DEFAULT_EAGLE = {
    N15: {
        "model_type": "eagle_2_5_vl",
        "architectures": ["Eagle2_5_VLForConditionalGeneration"],
        "force_image_size": 224,
        "downsample_ratio": 0.5,
        "use_pixel_shuffle": False,
        "mlp_connector_layers": 1,
        "select_layer": -1,
        "template": "qwen3-chat",
        "image_token_index": 151669,
        "vision_config": _SIGLIP_224,
        "text_config": {
            "architectures": ["Qwen3ForCausalLM"],
            "model_type": "qwen3",
            "hidden_size": 2048,
            "intermediate_size": 6144,
            "num_hidden_layers": 28,
            "num_attention_heads": 16,
            "num_key_value_heads": 8,
            "head_dim": 128,
            "hidden_act": "silu",
            "max_position_embeddings": 40960,
            "rms_norm_eps": 1e-6,
            "rope_theta": 1000000,
            "attention_bias": False,
            "tie_word_embeddings": True,
            "vocab_size": 151680,
        },
    },
    # N1: Eagle 2 with the same SigLIP, SmolLM2-1.7B (Llama), pixel shuffle 0.5 and a 2-layer MLP connector.
    N1: {
        "model_type": "eagle_chat",
        "architectures": ["Eagle2ChatModel"],
        "force_image_size": 224,
        "downsample_ratio": 0.5,
        "select_layer": -1,
        "template": "qwen2-chat",
        "vision_config": _SIGLIP_224,
        "llm_config": {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": 2048,
            "intermediate_size": 8192,
            "num_hidden_layers": 24,
            "num_attention_heads": 32,
            "num_key_value_heads": 32,
            "hidden_act": "silu",
            "max_position_embeddings": 8192,
            "rms_norm_eps": 1e-5,
            "rope_theta": 130000,
            "attention_bias": False,
            "mlp_bias": False,
            "tie_word_embeddings": True,
            "vocab_size": 49164,
        },
    },
}

_VISION_KEYS = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "image_size",
    "patch_size",
    "num_channels",
    "hidden_act",
    "layer_norm_eps",
    "attention_dropout",
)
_TEXT_KEYS = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "hidden_act",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_theta",
    "rope_scaling",
    "attention_bias",
    "attention_dropout",
    "mlp_bias",
    "tie_word_embeddings",
    "use_sliding_window",
    "sliding_window",
    "max_window_layers",
)


@dataclasses.dataclass
class EagleConfig:
    """What the backbone needs from the Eagle model config."""

    text_arch: str  # "qwen3" (N1.5) or "llama" (N1)
    vision: dict[str, Any]
    text: dict[str, Any]
    image_size: int
    use_pixel_shuffle: bool
    downsample_ratio: float
    mlp_connector_layers: int
    image_token_index: int | None
    template: str
    source: str

    @property
    def tokens_per_image(self) -> int:
        n = (self.image_size // self.vision["patch_size"]) ** 2
        return int(n * self.downsample_ratio**2) if self.use_pixel_shuffle else n

    @property
    def vision_out_dim(self) -> int:
        k = int(1 / self.downsample_ratio) ** 2 if self.use_pixel_shuffle else 1
        return self.vision["hidden_size"] * k


def parse_eagle_config(data: dict[str, Any], model_type: str, where: str) -> EagleConfig:
    text = data.get("text_config") or data.get("llm_config")
    vision = data.get("vision_config")
    if not isinstance(text, dict) or not isinstance(vision, dict):
        raise UserError(
            "expected an Eagle model config with vision_config and text_config (or llm_config)", where=where
        )
    arch = (text.get("architectures") or [""])[0]
    text_arch = {"Qwen3ForCausalLM": "qwen3", "LlamaForCausalLM": "llama"}.get(arch)
    if text_arch is None:
        raise UserError(f"language model {arch!r} is not supported (Qwen3ForCausalLM, LlamaForCausalLM)", where=where)
    if vision.get("model_type", "siglip_vision_model") != "siglip_vision_model":
        raise UserError(
            f"vision model {vision.get('model_type')!r} is not supported (siglip_vision_model)", where=where
        )
    if data.get("select_layer", -1) != -1:
        raise UserError("only the last vision layer (select_layer -1) is supported", where=where, field="select_layer")
    use_ps = bool(data.get("use_pixel_shuffle", model_type == N1))
    layers = int(data.get("mlp_connector_layers", 2 if model_type == N1 else 1))
    if layers not in (1, 2):
        raise UserError(f"mlp_connector_layers {layers} is not supported (1, 2)", where=where)
    image_size = int(data.get("force_image_size") or vision.get("image_size", 224))
    return EagleConfig(
        text_arch=text_arch,
        vision={k: vision[k] for k in _VISION_KEYS if k in vision} | {"image_size": image_size},
        text={k: text[k] for k in _TEXT_KEYS if k in text},
        image_size=image_size,
        use_pixel_shuffle=use_ps,
        downsample_ratio=float(data.get("downsample_ratio", 0.5)),
        mlp_connector_layers=layers,
        image_token_index=data.get("image_token_index"),
        template=str(data.get("template", "qwen3-chat" if model_type == N15 else "qwen2-chat")),
        source=where,
    )


def load_eagle_config(processor_dir: Path | None, model_type: str) -> EagleConfig:
    """The Eagle config from `<processor_dir>/config.json`, else the real model's sizes."""
    if processor_dir is not None and (processor_dir / "config.json").is_file():
        path = processor_dir / "config.json"
        return parse_eagle_config(read_json(path), model_type, str(path))
    return parse_eagle_config(DEFAULT_EAGLE[model_type], model_type, f"built-in {model_type} Eagle config")


# ---------------------------------------------------------------------------------------
# The published configs (config.json of GR00T-N1.5-3B; GR00T-N1-2B's as far as the N1-era
# source shows it), for layout checks and FLOP counts without the real files.

_DIT = {
    "attention_head_dim": 48,
    "dropout": 0.2,
    "final_dropout": True,
    "interleave_self_attention": True,
    "norm_type": "ada_norm",
    "num_attention_heads": 32,
    "num_layers": 16,
    "output_dim": 1024,
    "positional_embeddings": None,
}
_HEAD = {
    "action_dim": 32,
    "action_horizon": 16,
    "add_pos_embed": True,
    "hidden_size": 1024,
    "input_embedding_dim": 1536,
    "max_action_dim": 32,
    "max_state_dim": 64,
    "max_num_embodiments": 32,
    "model_dtype": "float32",
    "noise_beta_alpha": 1.5,
    "noise_beta_beta": 1.0,
    "noise_s": 0.999,
    "num_inference_timesteps": 4,
    "num_timestep_buckets": 1000,
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
            "vl_self_attention_cfg": {
                "attention_head_dim": 64,
                "dropout": 0.2,
                "final_dropout": True,
                "num_attention_heads": 32,
                "num_layers": 4,
                "positional_embeddings": None,
            },
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
