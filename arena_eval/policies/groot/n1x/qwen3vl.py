"""GR00T N1.7's Qwen3-VL backbone (nvidia/Cosmos-Reason2-2B), mirroring `backbone.model.*`:

- `model` is transformers' `Qwen3VLModel`: `visual` (patch_embed Conv3d, pos_embed, blocks,
  merger, deepstack_merger_list) and `language_model` (Qwen3-VL text model) built with only
  the first `select_layer` decoder layers, as NVIDIA pops the rest. No `lm_head` is built.
- The feature is the output of the last kept decoder layer BEFORE the final norm: NVIDIA reads
  `hidden_states[-1]` under transformers 4.57, which records each decoder layer's output;
  transformers 5 moved the final norm into `hidden_states[-1]`, so a forward hook on the last
  layer takes the same tensor here. `language_model.norm.weight` is loaded but its output is
  unused (it is computed, one RMSNorm, by transformers' forward).
- Multimodal RoPE positions come from transformers' `get_rope_index` (image tokens get 3D
  positions from their grid, pads are skipped via the attention mask), deepstack features
  are added after the first decoder layers, as in the original forward.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn
from transformers import Qwen3VLConfig
from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLModel

from ....errors import UserError


def qwen3vl_config(data: dict[str, Any], select_layer: int, where: str) -> Qwen3VLConfig:
    d = copy.deepcopy(data)
    n = int(d["text_config"].get("num_hidden_layers", 28))
    if select_layer > n:
        raise UserError(f"select_layer {select_layer} exceeds the language model's {n} layers", where=where)
    deep = d["vision_config"].get("deepstack_visual_indexes", [])
    if len(deep) > select_layer:
        raise UserError(f"{len(deep)} deepstack features need at least as many kept layers", where=where)
    d["text_config"]["num_hidden_layers"] = select_layer
    d["text_config"]["use_cache"] = False
    for k in ("architectures", "model_type", "transformers_version", "torch_dtype", "dtype"):
        d.pop(k, None)
    cfg = Qwen3VLConfig(**d)
    for c in (cfg, cfg.text_config, cfg.vision_config):
        c._attn_implementation = "sdpa"
    return cfg


class Qwen3VLHolder(nn.Module):
    """Holds `model` so keys read `backbone.model.model.*` (the released layout)."""

    def __init__(self, cfg: Qwen3VLConfig):
        super().__init__()
        self.model = Qwen3VLModel(cfg)


class Qwen3VLBackbone(nn.Module):
    """`backbone.model` = Qwen3VLForConditionalGeneration without its head. Returns (features, image_mask)."""

    def __init__(self, backbone_cfg: dict[str, Any], select_layer: int, where: str):
        super().__init__()
        cfg = qwen3vl_config(backbone_cfg, select_layer, where)
        self.image_token_id = int(cfg.image_token_id)
        self.model = Qwen3VLHolder(cfg)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        pixel_values: torch.Tensor | None,
        image_grid_thw: torch.Tensor | None = None,
        **_: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        vl = self.model.model
        captured: list[torch.Tensor] = []

        def hook(_m: nn.Module, _a: Any, out: Any) -> None:
            captured.append(out[0] if isinstance(out, tuple) else out)

        image_mask = input_ids == self.image_token_id
        h = vl.language_model.layers[-1].register_forward_hook(hook)
        try:
            if pixel_values is not None:
                vl(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    pixel_values=pixel_values,
                    image_grid_thw=image_grid_thw,
                    mm_token_type_ids=image_mask.int(),
                )
            else:
                vl(input_ids=input_ids, attention_mask=attention_mask)
        finally:
            h.remove()
        return captured[-1], image_mask
