"""Tiny random GR00T N1 / N1.5 checkpoints in the exact real layout, for tests, benchmarks and CI.

`write_tiny` writes a checkpoint directory (`config.json` with the real fields, sharded
`model-0000K-of-0000N.safetensors` with `model.safetensors.index.json`, and
`experiment_cfg/metadata.json`) and a processor directory (tokenizer, chat template, Eagle
config with the tiny backbone sizes). Key names come from the model itself, whose module
tree mirrors the real checkpoint, plus the never-used tensors real N1.5 files carry
(`lm_head`, SigLIP's pooling head), so the loader's skipping is exercised too.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..common.checkpoint import CONFIG, save_weights
from ..common.sizes import (
    GR00T_FLOW_MATCHING,
    TINY_BACKBONE_WIDTH,
    TINY_DIT,
    TINY_HEAD,
    TINY_QWEN3,
    TINY_SIGLIP,
    TINY_VL_SELF_ATTENTION,
)
from ..common.tiny import SMOKE, TinySpec
from ..common.tokenizer import EAGLE_TOKENS, build_tiny_tokenizer
from .backbone import siglip_config
from .checkpoint import METADATA
from .config import N1, N15, parse_config
from .eagle_config import load_eagle_config
from .metadata import parse_metadata
from .model import Gr00tModel, build_random

ARCHS = {"n1.5": N15, "n1": N1}

# Eagle 2.5's special tokens (the tiny tokenizer's).
SPECIAL_TOKENS = EAGLE_TOKENS + ["<quad>", "</quad>", "<ref>", "</ref>", "<box>", "</box>"]

# One user turn: a default system turn, then `<image-N>` per image item and the text items.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.\\n<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% set ns = namespace(n=0) %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{% set ns.n = ns.n + 1 %}{{ '<image-' + ns.n|string + '>' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_VISION = {
    "model_type": "siglip_vision_model",
    **TINY_SIGLIP,
    "image_size": 28,
    "attention_dropout": 0.0,
}


def tiny_eagle_config(model_type: str, image_size: int = 28, vision_width: int = 32,
                      vision_layers: int = 2) -> dict[str, Any]:
    """The Eagle config at tiny sizes; a camera policy widens the vision tower (image side,
    SigLIP width and depth; 14-pixel patches as SigLIP's)."""
    if image_size % _VISION["patch_size"]:
        raise ValueError(f"image_size {image_size} is not a multiple of the patch size {_VISION['patch_size']}")
    vision = dict(_VISION, image_size=image_size, hidden_size=vision_width, intermediate_size=2 * vision_width,
                  num_hidden_layers=vision_layers, num_attention_heads=max(2, vision_width // 32))
    if model_type == N15:
        return {
            "architectures": ["Eagle2_5_VLForConditionalGeneration"],
            "model_type": "eagle_2_5_vl",
            "downsample_ratio": 0.5,
            "force_image_size": image_size,
            "mlp_connector_layers": 1,
            "use_pixel_shuffle": False,
            "select_layer": -1,
            "template": "qwen3-chat",
            "vision_config": vision,
            "text_config": {
                "architectures": ["Qwen3ForCausalLM"],
                "model_type": "qwen3",
                **TINY_QWEN3,
                "rope_theta": 1000000,
                "vocab_size": 0,
            },
        }
    return {
        "architectures": ["Eagle2ChatModel"],
        "model_type": "eagle_chat",
        "downsample_ratio": 0.5,
        "force_image_size": image_size,
        "select_layer": -1,
        "template": "qwen2-chat",
        "vision_config": vision,
        "llm_config": {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": TINY_BACKBONE_WIDTH,
            "intermediate_size": 128,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "hidden_act": "silu",
            "rms_norm_eps": 1e-5,
            "max_position_embeddings": 4096,
            "rope_theta": 130000,
            "attention_bias": False,
            "mlp_bias": False,
            "tie_word_embeddings": True,
            "vocab_size": 0,
        },
    }


def tiny_config(
    model_type: str,
    *,
    max_state_dim: int = 16,
    action_dim: int = 8,
    action_horizon: int = 16,
    denoising_steps: int = 4,
    dropout: float = 0.2,
) -> dict[str, Any]:
    """config.json with the real fields, tiny sizes (LM width 64, DiT width 48)."""
    dit = {
        **TINY_DIT,
        "dropout": dropout,
        "final_dropout": True,
        "interleave_self_attention": True,
        "norm_type": "ada_norm",
        "positional_embeddings": None,
    }
    head: dict[str, Any] = {
        **GR00T_FLOW_MATCHING,
        **TINY_HEAD,
        "action_dim": action_dim,
        "action_horizon": action_horizon,
        "max_action_dim": action_dim,
        "max_state_dim": max_state_dim,
        "model_dtype": "float32",
        "num_inference_timesteps": denoising_steps,
        "tune_diffusion_model": True,
        "tune_projector": True,
    }
    if model_type == N15:
        dit["cross_attention_dim"] = TINY_BACKBONE_WIDTH
        head.update(
            backbone_embedding_dim=TINY_BACKBONE_WIDTH,
            diffusion_model_cfg=dit,
            num_target_vision_tokens=4,
            use_vlln=True,
            vl_self_attention_cfg={
                **TINY_VL_SELF_ATTENTION,
                "dropout": dropout,
                "final_dropout": True,
                "positional_embeddings": None,
            },
        )
        backbone = {
            "eagle_path": "NVEagle/eagle_er-qwen3_1_7B-Siglip2_400M_stage1_5_128gpu_er_v7_1mlp_nops",
            "load_bf16": False,
            "project_to_dim": None,
            "reproject_vision": False,
            "select_layer": 2,
            "tune_llm": False,
            "tune_visual": True,
            "use_flash_attention": True,
        }
        arch = "GR00T_N1_5"
    else:
        head.update(diffusion_model_cfg=dit)
        backbone = {
            "allow_reshape_visual": True,
            "load_pretrained_det_eagle_path": None,
            "model_name": "$GR00T_BACKBONE_PATH/eagle2_hg_model",
            "processor_cfg": {
                "max_input_tiles": 1,
                "model_path": "$GR00T_BACKBONE_PATH/eagle2_hg_model",
                "model_spec": {"num_image_token": 1, "template": "qwen2-chat"},
            },
            "projector_dim": TINY_BACKBONE_WIDTH,
            "remove_llm": False,
            "reproject_vision": False,
            "scale_image_resolution": 1,
            "select_layer": 2,
            "tune_llm": False,
            "tune_visual": True,
        }
        arch = "GR00T_N1"
    return {
        "action_dim": action_dim,
        "action_head_cfg": head,
        "action_horizon": action_horizon,
        "architectures": [arch],
        "attn_implementation": None,
        "backbone_cfg": backbone,
        "compute_dtype": "bfloat16",
        "hidden_size": TINY_BACKBONE_WIDTH,
        "model_dtype": "float32",
        "model_type": model_type,
        "torch_dtype": "float32",
        "transformers_version": "4.51.3",
    }


def tiny_metadata(embodiments: dict[str, TinySpec], seed: int = 0) -> dict[str, Any]:
    """Plausible statistics (min < q01 < mean < q99 < max, std > 0) for every key."""
    rng = np.random.default_rng(seed)

    def stats(d: int) -> dict[str, list[float]]:
        lo = -1.0 - rng.uniform(0, 1, d)
        hi = 1.0 + rng.uniform(0, 1, d)
        span = hi - lo
        return {
            "min": lo.tolist(),
            "max": hi.tolist(),
            "mean": ((lo + hi) / 2 + 0.05 * span * rng.uniform(-1, 1, d)).tolist(),
            "std": (span / 4).tolist(),
            "q01": (lo + 0.01 * span).tolist(),
            "q99": (hi - 0.01 * span).tolist(),
        }

    def info(d: int) -> dict[str, Any]:
        return {"absolute": True, "rotation_type": None, "shape": [d], "continuous": True}

    out = {}
    for tag, spec in embodiments.items():
        out[tag] = {
            "statistics": {
                "state": {k: stats(d) for k, d in spec.state.items()},
                "action": {k: stats(d) for k, d in spec.action.items()},
            },
            "modalities": {
                "video": {k: {"resolution": [w, h], "channels": 3, "fps": 20.0} for k, (w, h) in spec.video.items()},
                "state": {k: info(d) for k, d in spec.state.items()},
                "action": {k: info(d) for k, d in spec.action.items()},
            },
            "embodiment_tag": tag,
        }
    parse_metadata(out, "tiny metadata")  # what we write must be what we read
    return out


def unused_tensors(model: Gr00tModel, seed: int) -> dict[str, torch.Tensor]:
    """Tensors real N1.5 checkpoints carry that the action never needs."""
    if not model.cfg.is_n15:
        return {}
    from transformers.models.siglip.modeling_siglip import SiglipMultiheadAttentionPoolingHead

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        head = SiglipMultiheadAttentionPoolingHead(siglip_config(model.eagle_cfg))
        lm = model.backbone.eagle_model.language_model.model.config
        out = {f"backbone.eagle_model.vision_model.vision_model.head.{k}": v for k, v in head.state_dict().items()}
        out["backbone.eagle_model.language_model.lm_head.weight"] = 0.02 * torch.randn(lm.vocab_size, lm.hidden_size)
    return out


def write_tiny_processor(
    out: Path, eagle_config: dict[str, Any], *, vocab_size: int = 400, extra_text: Sequence[str] = ()
) -> Any:
    """Write a processor directory (tokenizer, chat template, image processor config, Eagle
    config) in the layout of the real one. Sets the Eagle config's vocab and image token id."""
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tiny_tokenizer(SPECIAL_TOKENS, CHAT_TEMPLATE, vocab_size=vocab_size, extra_text=extra_text)
    tok.save_pretrained(str(out))
    (out / "chat_template.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}, indent=2) + "\n")
    size = int(eagle_config.get("force_image_size") or eagle_config["vision_config"]["image_size"])
    (out / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.5, 0.5, 0.5],
                "size": {"height": size, "width": size},
                "do_normalize": True,
                "do_rescale": True,
                "rescale_factor": 1 / 255,
            },
            indent=2,
        )
        + "\n"
    )
    text_key = "text_config" if "text_config" in eagle_config else "llm_config"
    cfg = json.loads(json.dumps(eagle_config))
    cfg[text_key]["vocab_size"] = max(int(cfg[text_key].get("vocab_size", 0)), len(tok))
    if "text_config" in cfg:  # N1.5 records the image token id; N1 looks it up
        cfg["image_token_index"] = tok.convert_tokens_to_ids("<IMG_CONTEXT>")
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    return tok


def write_tiny(
    ckpt: Path,
    processor: Path,
    *,
    arch: str = "n1.5",
    embodiments: dict[str, TinySpec] | None = None,
    seed: int = 0,
    num_shards: int = 2,
    with_unused: bool = True,
    eagle: dict[str, Any] | None = None,
    extra_text: tuple[str, ...] = (),
    **config_kw: Any,
) -> Gr00tModel:
    """Write a tiny random checkpoint and its processor directory; returns the model written.
    `eagle` overrides the vision sizes (`tiny_eagle_config`); `extra_text` joins the
    tokenizer's training text (instructions get whole-word tokens)."""
    model_type = ARCHS[arch]
    embodiments = embodiments or {"new_embodiment": SMOKE}
    need_s = max(sum(s.state.values()) for s in embodiments.values())
    need_a = max(sum(s.action.values()) for s in embodiments.values())
    config_kw.setdefault("max_state_dim", max(16, need_s))
    config_kw.setdefault("action_dim", max(8, need_a))
    write_tiny_processor(processor, tiny_eagle_config(model_type, **(eagle or {})), extra_text=extra_text)
    cfg_dict = tiny_config(model_type, **config_kw)
    cfg = parse_config(copy.deepcopy(cfg_dict), "tiny config")
    model = build_random(cfg, load_eagle_config(processor, model_type), seed)
    tensors = dict(model.state_dict())
    if with_unused:
        tensors.update(unused_tensors(model, seed))
    save_weights(tensors, ckpt, num_shards)
    (ckpt / CONFIG).write_text(json.dumps(cfg_dict, indent=2) + "\n")
    (ckpt / METADATA).parent.mkdir(parents=True, exist_ok=True)
    (ckpt / METADATA).write_text(json.dumps(tiny_metadata(embodiments, seed), indent=2) + "\n")
    return model


__all__ = ["TinySpec", "SMOKE", "write_tiny", "tiny_config", "tiny_metadata"]
