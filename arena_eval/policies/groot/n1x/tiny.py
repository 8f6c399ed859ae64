"""Tiny random GR00T N1.6 / N1.7 checkpoints in the released layouts.

The checkpoint directory gets `config.json` (N1.6: only the fields that differ from the class
defaults, as its save_pretrained writes; N1.7: every field), sharded safetensors with
`model.safetensors.index.json` (plus the never-used tensors released files carry: the LM heads
and, for N1.6, SigLIP2's pooling head), `processor_config.json`, `statistics.json` and
`embodiment_id.json`. The processor directory gets a small BPE tokenizer with the backbone's
special tokens, a chat template in the backbone's style, `preprocessor_config.json` and the
backbone `config.json` with tiny sizes. Action keys with a state key of the same name and dim
are state-relative (N1.6 and N1.7 predict relative chunks for most embodiments), the others
absolute. `write_tiny` here is the package's `write_tiny_n1x`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..common.checkpoint import CONFIG, save_weights
from ..common.sizes import TINY_BACKBONE_WIDTH, TINY_DIT, TINY_HEAD, TINY_QWEN3, TINY_SIGLIP, TINY_VL_SELF_ATTENTION
from ..common.tiny import TinySpec
from ..common.tokenizer import EAGLE_TOKENS, QWEN_VL_TOKENS, build_tiny_tokenizer
from .backbone_config import EAGLE3_CONNECTOR
from .config import N16, N17, N17_DEFAULTS, parse_config
from .model import Gr00tN1xModel, build_random
from .processor import EMBODIMENT_ID, PROCESSOR_CONFIG, STATISTICS

ARCHS = {"n1.6": N16, "n1.7": N17}

# Eagle's style: a default system turn; images render as <image-N> (expanded by the processor).
EAGLE_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% set ns = namespace(n=0) %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{% set ns.n = ns.n + 1 %}{{ '<image-' + ns.n|string + '>' }}"
    "{% else %}{{ item['text'] }}{% endif %}{% endfor %}"
    "{{ '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Qwen3-VL's style: no default system turn; an image is <|vision_start|><|image_pad|><|vision_end|>.
QWEN_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{% else %}{{ item['text'] }}{% endif %}{% endfor %}"
    "{{ '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def tiny_backbone_config(model_type: str, tok: Any) -> dict[str, Any]:
    text = {**TINY_QWEN3, "vocab_size": len(tok)}
    if model_type == N16:
        return {
            "architectures": ["Eagle3_VLForConditionalGeneration"],
            "model_type": "eagle_3_vl",
            "image_token_index": tok.convert_tokens_to_ids("<IMG_CONTEXT>"),
            **EAGLE3_CONNECTOR,
            "vision_config": {
                "model_type": "siglip2_vision_model",
                **TINY_SIGLIP,
                "num_patches": 16,
                "use_windows_attn": False,
                "use_rope": False,
            },
            "text_config": {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "rope_theta": 1000000} | text,
        }
    return {
        "architectures": ["Qwen3VLForConditionalGeneration"],
        "model_type": "qwen3_vl",
        "image_token_id": tok.convert_tokens_to_ids("<|image_pad|>"),
        "video_token_id": tok.convert_tokens_to_ids("<|video_pad|>"),
        "vision_start_token_id": tok.convert_tokens_to_ids("<|vision_start|>"),
        "vision_end_token_id": tok.convert_tokens_to_ids("<|vision_end|>"),
        "tie_word_embeddings": True,
        "vision_config": {
            "model_type": "qwen3_vl",
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "in_channels": 3,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": TINY_BACKBONE_WIDTH,
            "num_position_embeddings": 16,
            "deepstack_visual_indexes": [0],
            "hidden_act": "gelu_pytorch_tanh",
        },
        "text_config": {
            "model_type": "qwen3_vl_text",
            "rope_theta": 5000000,
            "rope_scaling": {"rope_type": "default", "mrope_section": [4, 2, 2], "mrope_interleaved": True},
        }
        | text,
    }


def write_processor_dir(out: Path, model_type: str, extra_text: list[str]) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    n16 = model_type == N16
    template = EAGLE_TEMPLATE if n16 else QWEN_TEMPLATE
    tok = build_tiny_tokenizer(EAGLE_TOKENS if n16 else QWEN_VL_TOKENS, template, extra_text=extra_text)
    tok.save_pretrained(str(out))
    (out / "chat_template.json").write_text(json.dumps({"chat_template": template}, indent=2) + "\n")
    pre: dict[str, Any] = {"image_mean": [0.5] * 3, "image_std": [0.5] * 3, "do_normalize": True, "do_rescale": True}
    if not n16:  # Qwen3-VL's image processor settings
        size = {"shortest_edge": 4096, "longest_edge": 1 << 20}
        pre |= {"patch_size": 16, "temporal_patch_size": 2, "merge_size": 2, "size": size}
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    cfg = tiny_backbone_config(model_type, tok)
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    return cfg


def tiny_model_config(model_type: str, max_dim: int) -> dict[str, Any]:
    """config.json: N1.6 writes only non-default fields; N1.7 all fields (released values)."""
    dit = dict(TINY_DIT)
    small = {
        **TINY_HEAD,
        "backbone_embedding_dim": TINY_BACKBONE_WIDTH,
        "select_layer": 2,
        "max_state_dim": max_dim,
        "max_action_dim": max_dim,
        "diffusion_model_cfg": dit,
    }
    if model_type == N16:
        head = {"model_type": N16, "architectures": [N16], "transformers_version": "4.51.3"}
        return head | {"use_relative_action": True} | small
    full = copy.deepcopy(N17_DEFAULTS) | {"model_type": N17, "architectures": [N17], "state_dropout_prob": 0.2}
    full |= small | {"diffusion_model_cfg": {**N17_DEFAULTS["diffusion_model_cfg"], **dit}}
    full["vl_self_attention_cfg"] = {**N17_DEFAULTS["vl_self_attention_cfg"], **TINY_VL_SELF_ATTENTION}
    full["shortest_image_edge"] = 64  # tiny images (the released 256 works too, only slower)
    return full


def _stats(rng: np.random.Generator, d: int, horizon: int | None = None) -> dict[str, Any]:
    shape = (horizon, d) if horizon else (d,)
    lo = -1.0 - rng.uniform(0, 1, shape)
    hi = 1.0 + rng.uniform(0, 1, shape)
    if horizon:  # relative actions: small deltas that grow along the chunk
        grow = np.linspace(0.05, 0.3, horizon)[:, None]
        lo, hi = lo * grow, hi * grow
    span = hi - lo
    return {
        "min": lo.tolist(),
        "max": hi.tolist(),
        "mean": ((lo + hi) / 2).tolist(),
        "std": (span / 4).tolist(),
        "q01": (lo + 0.01 * span).tolist(),
        "q99": (hi - 0.01 * span).tolist(),
    }


def processor_files(
    spec: TinySpec, tag: str, eid: int, horizon: int, max_dim: int, seed: int
) -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(seed)
    rel = [k for k, d in spec.action.items() if spec.state.get(k) == d]
    modality = {
        "video": {"delta_indices": [0], "modality_keys": list(spec.video)},
        "state": {
            "delta_indices": [0],
            "modality_keys": list(spec.state),
            "sin_cos_embedding_keys": None,
            "mean_std_embedding_keys": None,
        },
        "action": {
            "delta_indices": list(range(horizon)),
            "modality_keys": list(spec.action),
            "action_configs": [
                {
                    "rep": "RELATIVE" if k in rel else "ABSOLUTE",
                    "type": "NON_EEF",
                    "format": "DEFAULT",
                    "state_key": None,
                }
                for k in spec.action
            ],
        },
        "language": {"delta_indices": [0], "modality_keys": ["annotation.human.task_description"]},
    }
    kwargs = {
        "modality_configs": {tag: modality},
        "image_crop_size": None,
        "image_target_size": None,
        "use_albumentations": True,
        "random_rotation_angle": None,
        "color_jitter_params": None,
        "shortest_image_edge": 64,
        "crop_fraction": 0.95,
        "formalize_language": True,
        "max_state_dim": max_dim,
        "max_action_dim": max_dim,
        "max_action_horizon": horizon,
        "use_percentiles": False,
        "clip_outliers": True,
        "apply_sincos_state_encoding": False,
        "use_relative_action": True,
    }
    stats = {
        tag: {
            "state": {k: _stats(rng, d) for k, d in spec.state.items()},
            "action": {k: _stats(rng, d) for k, d in spec.action.items()},
            "relative_action": {k: _stats(rng, spec.action[k], horizon) for k in rel},
        }
    }
    return {"processor_class": "Gr00tN1d6Processor", "processor_kwargs": kwargs}, stats, {tag: eid}


def unused_tensors(model: Gr00tN1xModel, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed + 1)
    if model.cfg.model_type == N16:
        from transformers.models.siglip2.modeling_siglip2 import Siglip2MultiheadAttentionPoolingHead

        lm = model.backbone.model.language_model.model.config
        vcfg = model.backbone.model.vision_model.vision_model.embeddings.config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            head = Siglip2MultiheadAttentionPoolingHead(vcfg)
        out = {f"backbone.model.vision_model.vision_model.head.{k}": v for k, v in head.state_dict().items()}
        lm_head = 0.02 * torch.randn(lm.vocab_size, lm.hidden_size, generator=g)
        out["backbone.model.language_model.lm_head.weight"] = lm_head
        return out
    # N1.7: lm_head is tied to embed_tokens; the released file may carry it
    return {"backbone.model.lm_head.weight": model.backbone.model.model.language_model.embed_tokens.weight.clone()}


def write_tiny(
    ckpt: Path,
    processor: Path,
    *,
    arch: str,
    spec: TinySpec,
    tag: str = "new_embodiment",
    horizon: int = 16,
    seed: int = 0,
    num_shards: int = 2,
    with_unused: bool = True,
    extra_text: list[str] | None = None,
) -> Gr00tN1xModel:
    """Write a tiny random N1.6/N1.7 checkpoint and its processor directory; returns the model."""
    model_type = ARCHS[arch]
    max_dim = max(16, sum(spec.state.values()), sum(spec.action.values()))
    bb = write_processor_dir(processor, model_type, extra_text or [])
    cfg_dict = tiny_model_config(model_type, max_dim)
    cfg = parse_config(copy.deepcopy(cfg_dict), "tiny config")
    if horizon > cfg.action_horizon:
        raise ValueError(f"horizon {horizon} exceeds the model's {cfg.action_horizon}")
    model = build_random(cfg, bb, seed)
    tensors = dict(model.state_dict())
    if with_unused:
        tensors.update(unused_tensors(model, seed))
    save_weights(tensors, ckpt, num_shards)
    (ckpt / CONFIG).write_text(json.dumps(cfg_dict, indent=2) + "\n")
    eid = 10  # new_embodiment in both generations' tables
    pc, stats, ids = processor_files(spec, tag, eid, horizon, max_dim, seed)
    pc["processor_class"] = "Gr00tN1d6Processor" if model_type == N16 else "Gr00tN1d7Processor"
    for name, data in ((PROCESSOR_CONFIG, pc), (STATISTICS, stats), (EMBODIMENT_ID, ids)):
        (ckpt / name).write_text(json.dumps(data, indent=2) + "\n")
    return model
