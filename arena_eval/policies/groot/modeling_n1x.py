"""The whole GR00T N1.6 / N1.7 model: `backbone` + `action_head`, keys as NVIDIA's checkpoints.

`Gr00tN1xModel.get_action` runs the backbone once and the action head's K denoising steps on
its features. The initial noise is given (the policy draws it, float32 on the CPU) or drawn as
one `torch.randn(B, action_horizon, max_action_dim, generator=g)`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from .action_head_n1x import FlowMatchingHeadN1x
from .backbone_eagle3 import Eagle3Backbone
from .backbone_qwen3vl import Qwen3VLBackbone
from .config_n1x import N16, N1xConfig

# Optional tensors (checkpoint.py): defined by some revisions of NVIDIA's code and never
# needed for actions, so loaded neither when present nor required when absent.
MASK_TOKEN = {
    # Every stored N1.6 revision of gr00t_n1d6.py and N1.7's before vl_self_attention define it
    # when state_dropout_prob > 0 (mixed into dropped state features in training); N1.7's
    # current code and LeRobot's N1.7 port zero those features instead and have no parameter.
    "action_head.mask_token": "the training-only state-dropout token of some revisions",
}
OPTIONAL_N16 = {
    "backbone.model.language_model.lm_head.": "the language-model head, untied under from_pretrained",
    "backbone.model.vision_model.vision_model.head.": "SigLIP2's attention-pooling head",
    **MASK_TOKEN,
}
OPTIONAL_N17 = {
    "backbone.model.lm_head.": "the language-model head, tied to embed_tokens",
    **MASK_TOKEN,
}


def optional_tensors(model_type: str) -> dict[str, str]:
    return OPTIONAL_N16 if model_type == N16 else OPTIONAL_N17


@dataclasses.dataclass
class N1xInputs:
    input_ids: torch.Tensor  # [B, L] left-padded
    attention_mask: torch.Tensor  # [B, L]
    # N1.6: list of [n, 3, H, W] groups in prompt order; N1.7: flattened patches [sum thw, 3*2*16*16]
    pixel_values: Any
    image_grid_thw: torch.Tensor | None  # N1.7: [n images, 3]
    state: torch.Tensor  # [B, 1, max_state_dim] normalised, zero-padded
    embodiment_id: torch.Tensor  # [B] long

    def to(self, device: torch.device, dtype: torch.dtype) -> N1xInputs:
        def mv(t: Any) -> Any:
            if t is None:
                return None
            if isinstance(t, list):
                return [mv(x) for x in t]
            return t.to(device, dtype) if t.is_floating_point() else t.to(device)

        return N1xInputs(*(mv(getattr(self, f.name)) for f in dataclasses.fields(self)))


class Gr00tN1xModel(nn.Module):
    def __init__(self, cfg: N1xConfig, backbone_cfg: dict[str, Any], where: str = "backbone config"):
        super().__init__()
        self.cfg = cfg
        self.backbone_cfg = backbone_cfg
        if cfg.model_type == N16:
            self.backbone: nn.Module = Eagle3Backbone(backbone_cfg, cfg.select_layer, where)
        else:
            self.backbone = Qwen3VLBackbone(backbone_cfg, cfg.select_layer, where)
        self.action_head = FlowMatchingHeadN1x(cfg)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return self.action_head.model.proj_out_2.weight.dtype

    def initial_noise(self, batch: int, generator: torch.Generator | None) -> torch.Tensor:
        return torch.randn(batch, self.cfg.action_horizon, self.cfg.max_action_dim, generator=generator)

    @torch.no_grad()
    def get_action(
        self,
        x: N1xInputs,
        num_steps: int,
        *,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Normalised chunks [B, action_horizon, max_action_dim], float32 on the CPU."""
        b = x.input_ids.shape[0]
        if noise is None:
            noise = self.initial_noise(b, generator)
        ids = x.embodiment_id.cpu()
        shared = int(ids[0]) if bool((ids == ids[0]).all()) else None
        x = x.to(self.device, self.dtype)
        feats, image_mask = self.backbone(
            x.input_ids, x.attention_mask, x.pixel_values, image_grid_thw=x.image_grid_thw
        )
        out = self.action_head.sample(
            feats,
            x.attention_mask,
            image_mask,
            x.state,
            x.embodiment_id if shared is None else shared,
            noise.to(self.device),
            num_steps,
        )
        return out.float().cpu()


def _init_like_original(model: Gr00tN1xModel) -> None:
    head = model.action_head
    if hasattr(head, "position_embedding"):
        nn.init.normal_(head.position_embedding.weight, mean=0.0, std=0.02)


def build_random_n1x(cfg: N1xConfig, backbone_cfg: dict[str, Any], seed: int) -> Gr00tN1xModel:
    """A randomly initialised model (float32, CPU), the same for the same seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Gr00tN1xModel(cfg, backbone_cfg)
        _init_like_original(model)
    return model.eval()


def build_empty_n1x(
    cfg: N1xConfig, backbone_cfg: dict[str, Any], device: torch.device, dtype: torch.dtype, where: str
) -> Gr00tN1xModel:
    """Uninitialised parameters on `device` in `dtype`, to be filled from a checkpoint (built on
    the meta device: no random init of billions of weights). Unsaved buffers (rotary
    frequencies) are recomputed in float32."""
    with torch.device("meta"):
        model = Gr00tN1xModel(cfg, backbone_cfg, where)
    model = model.to_empty(device=device).to(dtype)
    for mname, mod in model.named_modules():
        for bname in list(getattr(mod, "_non_persistent_buffers_set", ())):
            if bname not in ("inv_freq", "original_inv_freq"):
                raise RuntimeError(f"do not know how to rebuild the unsaved buffer {mname}.{bname}")
            if hasattr(mod, "config"):  # the language models' rotary embedding
                fresh = type(mod)(config=mod.config, device=device)
            else:  # the Qwen3-VL vision rotary embedding
                fresh = type(mod)(mod.dim, mod.theta).to(device)
            setattr(mod, bname, getattr(fresh, bname))
    return model.eval()
