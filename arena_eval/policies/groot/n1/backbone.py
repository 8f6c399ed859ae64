"""The Eagle 2 (N1) and Eagle 2.5 (N1.5) vision-language backbone, as a module tree that mirrors
the checkpoint.

N1.5 (`backbone.eagle_model.*`, optional `backbone.eagle_linear`) and N1 (`backbone.model.*`,
optional `backbone.linear`) share one Eagle model:

- `vision_model.vision_model.{embeddings,encoder,post_layernorm}`: SigLIP built from
  transformers' pieces, in the nesting of `SiglipVisionModel` before transformers 5 (which
  flattened that class), so keys match by name. The attention-pooling head is never built.
- `mlp1`: the connector (N1.5: one Linear; N1: pixel shuffle, then LayerNorm, Linear, GELU, Linear).
- `language_model.model`: transformers' `Qwen3Model` (N1.5) or `LlamaModel` (N1), built with
  only the first `select_layer` layers. The LM head is never built.

The feature is the language model's output after its final norm, with the image tokens'
embeddings replaced by the projected vision features.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import LlamaConfig, Qwen3Config, SiglipVisionConfig
from transformers.models.llama.modeling_llama import LlamaModel
from transformers.models.qwen3.modeling_qwen3 import Qwen3Model
from transformers.models.siglip.modeling_siglip import SiglipEncoder, SiglipVisionEmbeddings

from .config import BackboneConfig, Gr00tConfig
from .eagle_config import EagleConfig


def siglip_config(eagle: EagleConfig) -> SiglipVisionConfig:
    return SiglipVisionConfig(**eagle.vision, attn_implementation="sdpa")


def text_config(eagle: EagleConfig, num_layers: int) -> Qwen3Config | LlamaConfig:
    kw = {**eagle.text, "num_hidden_layers": num_layers, "attn_implementation": "sdpa", "use_cache": False}
    if eagle.text_arch == "qwen3":
        return Qwen3Config(**kw)
    return LlamaConfig(**kw)


class SiglipTransformer(nn.Module):
    def __init__(self, cfg: SiglipVisionConfig):
        super().__init__()
        self.embeddings = SiglipVisionEmbeddings(cfg)
        self.encoder = SiglipEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        h = self.encoder(inputs_embeds=self.embeddings(pixel_values)).last_hidden_state
        return self.post_layernorm(h)


class SiglipTower(nn.Module):
    """Holds `vision_model` so the keys read `vision_model.vision_model.*`."""

    def __init__(self, cfg: SiglipVisionConfig):
        super().__init__()
        self.vision_model = SiglipTransformer(cfg)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.vision_model(pixel_values)


class LanguageModel(nn.Module):
    """Holds `model` so the keys read `language_model.model.*`; no `lm_head`."""

    def __init__(self, cfg: Qwen3Config | LlamaConfig, arch: str):
        super().__init__()
        self.model = Qwen3Model(cfg) if arch == "qwen3" else LlamaModel(cfg)


def pixel_shuffle(x: torch.Tensor, scale: float) -> torch.Tensor:
    """[N, W, H, C] -> [N, W*s, H*s, C/s^2], in the layout Eagle 2 was trained with."""
    n, w, h, c = x.shape
    x = x.reshape(n, w, int(h * scale), int(c / scale)).permute(0, 2, 1, 3)
    x = x.reshape(n, int(h * scale), int(w * scale), int(c / (scale * scale)))
    return x.permute(0, 2, 1, 3)


class EagleModel(nn.Module):
    def __init__(self, eagle: EagleConfig, select_layer: int):
        super().__init__()
        self.eagle = eagle
        vcfg = siglip_config(eagle)
        tcfg = text_config(eagle, select_layer)
        self.vision_model = SiglipTower(vcfg)
        d_in, d_llm = eagle.vision_out_dim, tcfg.hidden_size
        if eagle.mlp_connector_layers == 2:
            self.mlp1 = nn.Sequential(nn.LayerNorm(d_in), nn.Linear(d_in, d_llm), nn.GELU(), nn.Linear(d_llm, d_llm))
        else:
            self.mlp1 = nn.Sequential(nn.Linear(d_in, d_llm))
        self.language_model = LanguageModel(tcfg, eagle.text_arch)

    def vision_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[N images, 3, S, S] -> [N, tokens per image, LM width]."""
        v = self.vision_model(pixel_values)
        if self.eagle.use_pixel_shuffle:
            side = int(v.shape[1] ** 0.5)
            v = pixel_shuffle(v.reshape(v.shape[0], side, side, -1), self.eagle.downsample_ratio)
            v = v.reshape(v.shape[0], -1, v.shape[-1])
        return self.mlp1(v)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        pixel_values: torch.Tensor | None,
        image_token_id: int,
    ) -> torch.Tensor:
        lm = self.language_model.model
        embeds = lm.embed_tokens(input_ids)
        if pixel_values is not None and pixel_values.shape[0] > 0:
            vit = self.vision_features(pixel_values).to(embeds.dtype)
            selected = input_ids == image_token_id
            if int(selected.sum()) != vit.shape[0] * vit.shape[1]:
                raise RuntimeError(
                    f"{int(selected.sum())} image tokens in the prompt for {vit.shape[0] * vit.shape[1]} image features"
                )
            # Out of place (masked_scatter fills in row-major order, as indexed assignment does),
            # so the same code trains.
            embeds = embeds.masked_scatter(selected.unsqueeze(-1).expand_as(embeds), vit.reshape(-1, vit.shape[-1]))
        return lm(inputs_embeds=embeds, attention_mask=attention_mask).last_hidden_state


class EagleBackbone(nn.Module):
    """N1.5: `eagle_model` + `eagle_linear`; N1: `model` + `linear` (see module docstring)."""

    def __init__(self, cfg: Gr00tConfig, eagle: EagleConfig):
        super().__init__()
        bb: BackboneConfig = cfg.backbone_cfg
        self.n15 = cfg.is_n15
        eagle_model = EagleModel(eagle, bb.select_layer)
        d_llm = eagle_model.language_model.model.config.hidden_size
        if self.n15:
            self.eagle_model = eagle_model
            if bb.project_to_dim is not None:
                self.eagle_linear = nn.Linear(d_llm, bb.project_to_dim)
        else:
            self.model = eagle_model
            if bb.projector_dim != -1:
                # The original maps to a fixed 1536, the width its DiT attends with.
                dit = cfg.action_head_cfg.diffusion_model_cfg
                self.linear = nn.Linear(bb.projector_dim, dit.cross_attention_dim or dit.inner_dim)

    @property
    def eagle(self) -> EagleModel:
        return self.eagle_model if self.n15 else self.model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        pixel_values: torch.Tensor | None,
        image_token_id: int,
    ) -> torch.Tensor:
        h = self.eagle(input_ids, attention_mask, pixel_values, image_token_id)
        proj = getattr(self, "eagle_linear" if self.n15 else "linear", None)
        return proj(h) if proj is not None else h
