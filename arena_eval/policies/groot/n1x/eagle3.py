"""GR00T N1.6's Eagle 3 backbone (Eagle-Block2A-2B-v2), mirroring `backbone.model.*`:

- `vision_model.vision_model.{embeddings,encoder,post_layernorm}`: SigLIP2 from transformers'
  pieces (Linear patch embedding over 14x14 patches; the 16x16 position table resized with
  antialiased bilinear interpolation to each image's patch grid). Attention is full within an
  image and never across images, so images of one size run as one batch. Eagle's window
  reordering is undone before the output (windows are off), so it is not reproduced.
  `head.*` (attention pooling) is never built.
- `mlp1`: LayerNorm(4 * 1152) -> Linear -> GELU (exact) -> Linear, after a 2x2 pixel unshuffle
  of each image's patch grid.
- `language_model.model`: transformers' `Qwen3Model` with only the first `select_layer` layers;
  no `lm_head`. Positions are 0..L-1 including left pads, as the original.

The feature is the language model's output AFTER its final norm (N1.6 reads `hidden_states[-1]`
of Qwen3ForCausalLM under transformers 4.51, which is post-norm), with the `<IMG_CONTEXT>`
embeddings replaced by the projected vision features.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import Qwen3Config, Siglip2VisionConfig
from transformers.models.qwen3.modeling_qwen3 import Qwen3Model
from transformers.models.siglip2.modeling_siglip2 import Siglip2Encoder, Siglip2VisionEmbeddings

from ....errors import UserError
from ..common.sizes import TEXT_CONFIG_KEYS, VISION_CONFIG_KEYS

# N1.6 passes SigLIP2's patch count (its position table) too.
_VISION_KEYS = VISION_CONFIG_KEYS + ("num_patches",)


def eagle3_configs(data: dict[str, Any], select_layer: int, where: str) -> tuple[Siglip2VisionConfig, Qwen3Config]:
    v, t = data["vision_config"], data["text_config"]
    if v.get("use_windows_attn") or v.get("use_rope"):
        raise UserError("windowed attention and vision RoPE are not supported (both off in Eagle-Block2A)", where=where)
    if data.get("select_layer", -1) != -1 or not data.get("use_pixel_shuffle", True):
        raise UserError("only select_layer -1 with pixel shuffle is supported", where=where)
    if float(data.get("downsample_ratio", 0.5)) != 0.5 or int(data.get("mlp_connector_layers", 2)) != 2:
        raise UserError("only downsample_ratio 0.5 with a 2-layer MLP connector is supported", where=where)
    if select_layer > int(t.get("num_hidden_layers", 28)):
        raise UserError(f"select_layer {select_layer} exceeds the language model's layers", where=where)
    vcfg = Siglip2VisionConfig(**{k: v[k] for k in _VISION_KEYS if k in v}, attn_implementation="sdpa")
    tkw = {k: t[k] for k in TEXT_CONFIG_KEYS if k in t}
    tcfg = Qwen3Config(**tkw | {"num_hidden_layers": select_layer, "use_cache": False}, attn_implementation="sdpa")
    return vcfg, tcfg


class Siglip2Transformer(nn.Module):
    def __init__(self, cfg: Siglip2VisionConfig):
        super().__init__()
        self.patch_size = cfg.patch_size
        self.embeddings = Siglip2VisionEmbeddings(cfg)
        self.encoder = Siglip2Encoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] (H, W multiples of the patch) -> [N, H/p * W/p, width], row-major patches."""
        n, c, h, w = pixel_values.shape
        p = self.patch_size
        hp, wp = h // p, w // p
        # Patch vectors in (row, col, channel) order, transformers' SigLIP2 patch layout.
        patches = pixel_values.reshape(n, c, hp, p, wp, p).permute(0, 2, 4, 3, 5, 1).reshape(n, hp * wp, p * p * c)
        shapes = torch.tensor([[hp, wp]] * n, device=pixel_values.device)
        x = self.embeddings(patches, shapes)
        x = self.encoder(inputs_embeds=x, attention_mask=None).last_hidden_state
        return self.post_layernorm(x)


class SiglipHolder(nn.Module):
    def __init__(self, cfg: Siglip2VisionConfig):
        super().__init__()
        self.vision_model = Siglip2Transformer(cfg)


class LanguageHolder(nn.Module):
    def __init__(self, cfg: Qwen3Config):
        super().__init__()
        self.model = Qwen3Model(cfg)


class Eagle3Model(nn.Module):
    def __init__(self, vcfg: Siglip2VisionConfig, tcfg: Qwen3Config, image_token_id: int):
        super().__init__()
        self.image_token_id = image_token_id
        self.vision_model = SiglipHolder(vcfg)
        d_in, d = 4 * vcfg.hidden_size, tcfg.hidden_size
        self.mlp1 = nn.Sequential(nn.LayerNorm(d_in), nn.Linear(d_in, d), nn.GELU(), nn.Linear(d, d))
        self.language_model = LanguageHolder(tcfg)

    def vision_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] -> [N, (H/2p)(W/2p), LM width]."""
        p = self.vision_model.vision_model.patch_size
        hp, wp = pixel_values.shape[2] // p, pixel_values.shape[3] // p
        v = self.vision_model.vision_model(pixel_values)
        v = v.transpose(1, 2).reshape(v.shape[0], v.shape[2], hp, wp)
        v = F.pixel_unshuffle(v, 2)  # [N, 4C, hp/2, wp/2]
        v = v.flatten(2).transpose(1, 2)
        return self.mlp1(v)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, pixel_values: list[torch.Tensor]
    ) -> torch.Tensor:
        lm = self.language_model.model
        embeds = lm.embed_tokens(input_ids)
        selected = input_ids == self.image_token_id
        if pixel_values:
            vit = torch.cat([self.vision_features(px).flatten(0, 1) for px in pixel_values]).to(embeds.dtype)
            if int(selected.sum()) != vit.shape[0]:
                raise RuntimeError(
                    f"{int(selected.sum())} image tokens in the prompt for {vit.shape[0]} image features"
                )
            embeds = embeds.masked_scatter(selected.unsqueeze(-1).expand_as(embeds), vit)
        pos = torch.arange(input_ids.shape[1], device=input_ids.device).expand(input_ids.shape[0], -1)
        return lm(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=pos).last_hidden_state


class Eagle3Backbone(nn.Module):
    """`backbone.model` = the Eagle 3 model. Returns (features, image_mask)."""

    def __init__(self, backbone_cfg: dict[str, Any], select_layer: int, where: str):
        super().__init__()
        vcfg, tcfg = eagle3_configs(backbone_cfg, select_layer, where)
        self.image_token_id = int(backbone_cfg.get("image_token_index", 151669))
        self.model = Eagle3Model(vcfg, tcfg, self.image_token_id)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, pixel_values: list[torch.Tensor], **_: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model(input_ids, attention_mask, pixel_values), input_ids == self.image_token_id
