"""Configuration of GR00T N1.6 (`Gr00tN1d6`) and N1.7 (`Gr00tN1d7`) checkpoints.

Both are `save_pretrained` dumps of one flat dataclass. N1.6's writes only the fields that
differ from the class defaults (the rest live on the class), so a loader must fall back to
the class defaults for every omitted field: `N16_DEFAULTS` and `N17_DEFAULTS` are NVIDIA's
class defaults as recorded in reference/gr00t-n1.6.md and gr00t-n1.7.md. Released N1.7 values
differ from its class defaults (select_layer 16, 32 DiT layers), which is why values are
always read from the file first.

The backbone's own config is not in the checkpoint either: N1.6 reads the Eagle-Block2A
`config.json` shipped in NVIDIA's package, N1.7 the `config.json` of nvidia/Cosmos-Reason2-2B
(a Qwen3-VL). The card's `processor_dir` holds that file with the tokenizer and chat template;
without one, the published sizes below are used (for layout checks and FLOP counts).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from ...errors import UserError
from .config import TransformerConfig, read_json

N16 = "Gr00tN1d6"
N17 = "Gr00tN1d7"
MODEL_TYPES_N1X = (N16, N17)

_DIT = {
    "positional_embeddings": None,
    "num_layers": 32,
    "num_attention_heads": 32,
    "attention_head_dim": 48,
    "norm_type": "ada_norm",
    "dropout": 0.2,
    "final_dropout": True,
    "output_dim": 1024,
    "interleave_self_attention": True,
}
_COMMON = {
    "model_dtype": "bfloat16",
    "backbone_embedding_dim": 2048,
    "reproject_vision": False,
    "use_flash_attention": True,
    "load_bf16": True,
    "hidden_size": 1024,
    "input_embedding_dim": 1536,
    "add_pos_embed": True,
    "attn_dropout": 0.2,
    "use_vlln": True,
    "max_seq_len": 1024,
    "use_alternate_vl_dit": True,
    "attend_text_every_n_blocks": 2,
    "num_inference_timesteps": 4,
    "noise_beta_alpha": 1.5,
    "noise_beta_beta": 1.0,
    "noise_s": 0.999,
    "num_timestep_buckets": 1000,
    "state_dropout_prob": 0.0,
    "max_num_embodiments": 32,
    "shortest_image_edge": 256,
    "crop_fraction": 0.95,
    "image_crop_size": None,
    "image_target_size": None,
    "use_albumentations_transforms": True,
    "formalize_language": True,
    "apply_sincos_state_encoding": False,
    "use_relative_action": False,
}
N16_DEFAULTS: dict[str, Any] = {
    **_COMMON,
    "model_name": "nvidia/Eagle-Block2A-2B-v2",
    "backbone_model_type": "eagle",
    "select_layer": 16,
    "max_state_dim": 29,
    "max_action_dim": 29,
    "action_horizon": 16,
    "diffusion_model_cfg": dict(_DIT),
}
N17_DEFAULTS: dict[str, Any] = {
    **_COMMON,
    "model_name": "nvidia/Cosmos-Reason2-2B",
    "backbone_model_type": "qwen",
    "select_layer": 12,  # class default; the released 3B file says 16
    "max_state_dim": 132,
    "max_action_dim": 132,
    "action_horizon": 40,
    "state_dropout_prob": 0.8,
    "image_crop_size": [230, 230],
    "image_target_size": [256, 256],
    "use_relative_action": True,
    "diffusion_model_cfg": {**_DIT, "num_layers": 16},
    "vl_self_attention_cfg": {
        "num_layers": 4,
        "num_attention_heads": 32,
        "attention_head_dim": 64,
        "dropout": 0.2,
        "final_dropout": True,
        "positional_embeddings": None,
    },
}
DEFAULTS = {N16: N16_DEFAULTS, N17: N17_DEFAULTS}

_INT_FIELDS = (
    "select_layer",
    "max_state_dim",
    "max_action_dim",
    "action_horizon",
    "hidden_size",
    "input_embedding_dim",
    "backbone_embedding_dim",
    "max_seq_len",
    "attend_text_every_n_blocks",
    "num_inference_timesteps",
    "num_timestep_buckets",
    "max_num_embodiments",
)


@dataclasses.dataclass
class N1xConfig:
    """The fields inference uses (everything else is kept in `raw`, as read)."""

    model_type: str
    select_layer: int
    max_state_dim: int
    max_action_dim: int
    action_horizon: int
    hidden_size: int
    input_embedding_dim: int
    backbone_embedding_dim: int
    max_seq_len: int
    attend_text_every_n_blocks: int
    num_inference_timesteps: int
    num_timestep_buckets: int
    max_num_embodiments: int
    add_pos_embed: bool
    use_vlln: bool
    use_alternate_vl_dit: bool
    state_dropout_prob: float
    noise_beta_alpha: float
    noise_beta_beta: float
    noise_s: float
    diffusion_model_cfg: TransformerConfig
    vl_self_attention_cfg: TransformerConfig | None
    raw: dict[str, Any]

    @property
    def is_n17(self) -> bool:
        return self.model_type == N17


def parse_n1x_config(data: Any, where: str) -> N1xConfig:
    if not isinstance(data, dict):
        raise UserError("expected a JSON object", where=where)
    mt = data.get("model_type")
    if mt not in MODEL_TYPES_N1X:
        raise UserError(f"model_type {mt!r} is not a GR00T N1.6 or N1.7 checkpoint {MODEL_TYPES_N1X}", where=where)
    full = copy.deepcopy(DEFAULTS[mt])
    for k, v in data.items():
        if isinstance(v, dict) and isinstance(full.get(k), dict):
            full[k] = {**full[k], **v}  # nested configs: the class default dict, overridden per field
        else:
            full[k] = v
    for k in _INT_FIELDS:
        v = full[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise UserError(f"expected an integer >= 1, got {v!r}", where=where, field=k)
    if full.get("reproject_vision"):
        raise UserError("reproject_vision is not supported", where=where, field="reproject_vision")
    if not full["use_alternate_vl_dit"]:
        # The released models use the alternating DiT; the plain path is not implemented.
        raise UserError("only use_alternate_vl_dit true is supported", where=where, field="use_alternate_vl_dit")
    if full.get("apply_sincos_state_encoding"):
        raise UserError(
            "apply_sincos_state_encoding is not supported", where=where, field="apply_sincos_state_encoding"
        )
    dit = TransformerConfig.from_dict(full["diffusion_model_cfg"], where, "diffusion_model_cfg")
    if dit.output_dim != full["hidden_size"]:
        raise UserError(
            f"diffusion_model_cfg.output_dim ({dit.output_dim}) must equal hidden_size ({full['hidden_size']})",
            where=where,
            field="diffusion_model_cfg",
        )
    vlsa = None
    if mt == N17:
        # N1.7 always builds its 4 vl self-attention blocks (the config key is the switch's
        # name in some ports, not a switch in NVIDIA's model).
        vlsa = TransformerConfig.from_dict(full["vl_self_attention_cfg"], where, "vl_self_attention_cfg", plain=True)
    return N1xConfig(
        model_type=mt,
        **{k: int(full[k]) for k in _INT_FIELDS},
        add_pos_embed=bool(full["add_pos_embed"]),
        use_vlln=bool(full["use_vlln"]),
        use_alternate_vl_dit=True,
        state_dropout_prob=float(full["state_dropout_prob"] or 0.0),
        noise_beta_alpha=float(full["noise_beta_alpha"]),
        noise_beta_beta=float(full["noise_beta_beta"]),
        noise_s=float(full["noise_s"]),
        diffusion_model_cfg=dit,
        vl_self_attention_cfg=vlsa,
        raw=full,
    )


def load_n1x_config(checkpoint_dir: Path) -> N1xConfig:
    path = checkpoint_dir / "config.json"
    return parse_n1x_config(read_json(path), str(path))


def checkpoint_model_type(checkpoint_dir: Path) -> str | None:
    """`model_type` of a checkpoint's config.json, or None when it cannot be read (the loader
    then reports the problem)."""
    try:
        data = read_json(checkpoint_dir / "config.json")
    except UserError:
        return None
    return data.get("model_type") if isinstance(data, dict) else None


# ---------------------------------------------------------------------------------------
# Backbone configs (from the processor directory, else the published sizes).

EAGLE3_PUBLISHED: dict[str, Any] = {
    "architectures": ["Eagle3_VLForConditionalGeneration"],
    "model_type": "eagle_3_vl",
    "image_token_index": 151669,
    "downsample_ratio": 0.5,
    "use_pixel_shuffle": True,
    "mlp_connector_layers": 2,
    "select_layer": -1,
    "vision_config": {
        "model_type": "siglip2_vision_model",
        "hidden_size": 1152,
        "intermediate_size": 4304,
        "num_hidden_layers": 27,
        "num_attention_heads": 16,
        "patch_size": 14,
        "num_patches": 256,
        "num_channels": 3,
        "hidden_act": "gelu_pytorch_tanh",
        "layer_norm_eps": 1e-6,
        "attention_dropout": 0.0,
        "use_windows_attn": False,
        "use_rope": False,
    },
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
}

QWEN3VL_PUBLISHED: dict[str, Any] = {
    "architectures": ["Qwen3VLForConditionalGeneration"],
    "model_type": "qwen3_vl",
    "image_token_id": 151655,
    "video_token_id": 151656,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "tie_word_embeddings": True,
    "vision_config": {
        "model_type": "qwen3_vl",
        "depth": 24,
        "hidden_size": 1024,
        "intermediate_size": 4096,
        "num_heads": 16,
        "in_channels": 3,
        "patch_size": 16,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "out_hidden_size": 2048,
        "num_position_embeddings": 2304,
        "deepstack_visual_indexes": [5, 11, 17],
        "hidden_act": "gelu_pytorch_tanh",
    },
    "text_config": {
        "model_type": "qwen3_vl_text",
        "hidden_size": 2048,
        "intermediate_size": 6144,
        "num_hidden_layers": 28,
        "num_attention_heads": 16,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "hidden_act": "silu",
        "max_position_embeddings": 262144,
        "rms_norm_eps": 1e-6,
        "rope_theta": 5000000,
        "rope_scaling": {"rope_type": "default", "mrope_section": [24, 20, 20], "mrope_interleaved": True},
        "attention_bias": False,
        "tie_word_embeddings": True,
        "vocab_size": 151936,
    },
}


def load_backbone_config(processor_dir: Path | None, model_type: str) -> tuple[dict[str, Any], str]:
    """The backbone's config.json (as a dict) and where it came from."""
    published = EAGLE3_PUBLISHED if model_type == N16 else QWEN3VL_PUBLISHED
    if processor_dir is not None and (processor_dir / "config.json").is_file():
        path = processor_dir / "config.json"
        data = read_json(path)
        want = published["model_type"]
        if not isinstance(data, dict) or data.get("model_type") != want:
            got = data.get("model_type") if isinstance(data, dict) else None
            raise UserError(
                f"backbone config has model_type {got!r}; a {model_type} checkpoint needs {want!r} "
                f"({'the Eagle-Block2A-2B-v2 folder' if model_type == N16 else 'nvidia/Cosmos-Reason2-2B'})",
                where=str(path),
                field="model_type",
            )
        for k in ("vision_config", "text_config"):
            if not isinstance(data.get(k), dict):
                raise UserError("missing or not an object", where=str(path), field=k)
        return data, str(path)
    return copy.deepcopy(published), f"built-in {model_type} backbone config"
