"""The Eagle vision-language config of an N1 or N1.5 checkpoint, which the checkpoint does not
carry: it lives in the Eagle model's own `config.json`, shipped with the tokenizer and
processor files (`eagle2_hg_model/` of the GR00T source, or the processor repo of the LeRobot
port). `load_eagle_config` reads it from the card's processor directory and falls back to the
published sizes of the real backbones when that directory has none.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ....errors import UserError
from ..common.jsonfile import read_json
from ..common.sizes import QWEN3_1_7B, SIGLIP_SO400M, TEXT_CONFIG_KEYS, VISION_CONFIG_KEYS
from .config import N1, N15

# Published sizes of the real backbones, used when the processor directory has no config.json.
# N1.5: Eagle 2.5 with SigLIP (so400m, 224 px) and Qwen3-1.7B, one Linear connector, no pixel shuffle.
_SIGLIP_224 = {**SIGLIP_SO400M, "image_size": 224, "model_type": "siglip_vision_model"}
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
        "text_config": dict(QWEN3_1_7B),
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

# N1 and N1.5 pass the image size and Llama's and Qwen3's sliding-window fields too.
_VISION_KEYS = VISION_CONFIG_KEYS + ("image_size",)
_TEXT_KEYS = TEXT_CONFIG_KEYS + ("mlp_bias", "use_sliding_window", "sliding_window", "max_window_layers")


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
