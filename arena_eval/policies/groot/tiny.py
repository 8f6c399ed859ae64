"""Tiny random GR00T checkpoints in the exact real layout, for tests, benchmarks and CI.

`write_tiny` writes a checkpoint directory (`config.json` with the real fields, sharded
`model-0000K-of-0000N.safetensors` with `model.safetensors.index.json`, and
`experiment_cfg/metadata.json`) and a processor directory (tokenizer, chat template, Eagle
config with the tiny backbone sizes). Key names come from the model itself, whose module
tree mirrors the real checkpoint, plus the never-used tensors real N1.5 files carry
(`lm_head`, SigLIP's pooling head), so the loader's skipping is exercised too.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import CONFIG, METADATA, save_weights
from .config import N1, N15, load_eagle_config, parse_config
from .metadata import parse_metadata
from .modeling import Gr00tModel, build_random
from .tokenizer import write_tiny_processor

ARCHS = {"n1.5": N15, "n1": N1}


@dataclasses.dataclass
class TinySpec:
    """Keys of one embodiment: state/action name -> dim, video name -> (width, height)."""

    state: dict[str, int]
    action: dict[str, int]
    video: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)


SMOKE = TinySpec(state={"cart": 1, "pole": 1, "cart_vel": 1, "pole_vel": 1}, action={"cart_force": 1})

_VISION = {
    "model_type": "siglip_vision_model",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 28,
    "patch_size": 14,
    "num_channels": 3,
    "hidden_act": "gelu_pytorch_tanh",
    "layer_norm_eps": 1e-6,
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
                "hidden_size": 64,
                "intermediate_size": 128,
                "num_hidden_layers": 4,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "head_dim": 16,
                "hidden_act": "silu",
                "rms_norm_eps": 1e-6,
                "max_position_embeddings": 4096,
                "rope_theta": 1000000,
                "attention_bias": False,
                "tie_word_embeddings": True,
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
            "hidden_size": 64,
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
        "attention_head_dim": 24,
        "dropout": dropout,
        "final_dropout": True,
        "interleave_self_attention": True,
        "norm_type": "ada_norm",
        "num_attention_heads": 2,
        "num_layers": 4,
        "output_dim": 32,
        "positional_embeddings": None,
    }
    head: dict[str, Any] = {
        "action_dim": action_dim,
        "action_horizon": action_horizon,
        "add_pos_embed": True,
        "hidden_size": 32,
        "input_embedding_dim": 48,
        "max_action_dim": action_dim,
        "max_state_dim": max_state_dim,
        "max_num_embodiments": 32,
        "max_seq_len": 64,
        "model_dtype": "float32",
        "noise_beta_alpha": 1.5,
        "noise_beta_beta": 1.0,
        "noise_s": 0.999,
        "num_inference_timesteps": denoising_steps,
        "num_timestep_buckets": 1000,
        "tune_diffusion_model": True,
        "tune_projector": True,
    }
    if model_type == N15:
        dit["cross_attention_dim"] = 64
        head.update(
            backbone_embedding_dim=64,
            diffusion_model_cfg=dit,
            num_target_vision_tokens=4,
            use_vlln=True,
            vl_self_attention_cfg={
                "attention_head_dim": 32,
                "dropout": dropout,
                "final_dropout": True,
                "num_attention_heads": 2,
                "num_layers": 1,
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
            "projector_dim": 64,
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
        "hidden_size": 64,
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

    from .backbone import siglip_config

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        head = SiglipMultiheadAttentionPoolingHead(siglip_config(model.eagle_cfg))
        lm = model.backbone.eagle_model.language_model.model.config
        out = {f"backbone.eagle_model.vision_model.vision_model.head.{k}": v for k, v in head.state_dict().items()}
        out["backbone.eagle_model.language_model.lm_head.weight"] = 0.02 * torch.randn(lm.vocab_size, lm.hidden_size)
    return out


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


def tiny_card(
    name: str,
    ckpt: Path,
    processor: Path,
    spec: TinySpec,
    *,
    tag: str = "new_embodiment",
    n_action_steps: int = 8,
    denoising_steps: int = 4,
    seed: int = 0,
    cpu_threads: int | None = None,
) -> dict[str, Any]:
    """A policy card (as a dict) mapping suite keys `<modality>.<name>` to the same metadata names."""
    return {
        "name": name,
        "type": "gr00t",
        "action_horizon": 16,
        "n_action_steps": n_action_steps,
        "seed": seed,
        "device": "cpu",
        "checkpoint": str(ckpt),
        "params": {
            "processor_dir": str(processor),
            "embodiment_tag": tag,
            "denoising_steps": denoising_steps,
            "video": {f"video.{k}": k for k in spec.video},
            "state": {f"state.{k}": k for k in spec.state},
            "action": {f"action.{k}": k for k in spec.action},
        }
        | ({"cpu_threads": cpu_threads} if cpu_threads else {}),
    }


def spec_from_task(task: Any, video: dict[str, tuple[int, int]], dims: dict[str, int] | None = None) -> TinySpec:
    """Keys and dims of a suite task (video resolutions must be given: cameras have no size in the card).
    A state key whose width only the env knows takes `dims[name]`, else the width of the action
    key of the same name."""
    from ...errors import UserError

    dims = dict(dims or {})
    for key, a in task.actions.items():
        dims.setdefault(key.split(".", 1)[1], a.dim)
    state, vids = {}, {}
    for key, src in task.observations.items():
        kind, name = key.split(".", 1)
        if kind == "video":
            if name not in video:
                raise UserError(f"task {task.name!r} has camera {key}; give its size with --video {name}=WIDTHxHEIGHT")
            vids[name] = video[name]
        elif src.dim is None:
            if name in dims:
                state[name] = dims[name]
                continue
            raise UserError(
                f"cannot tell the dim of {key} (its source has no index in the suite card); give it with "
                f"--state-dim {name}=D",
                where=task.source,
            )
        else:
            state[name] = src.dim
    return TinySpec(state=state, action={k.split(".", 1)[1]: a.dim for k, a in task.actions.items()}, video=vids)


__all__ = ["TinySpec", "SMOKE", "write_tiny", "tiny_card", "tiny_config", "tiny_metadata"]
