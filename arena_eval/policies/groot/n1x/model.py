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

from ..common import model as common
from ..common.encoders import Ids
from ..common.model import ModelBase, move_inputs
from .action_head import FlowMatchingHeadN1x
from .config import N16, N1xConfig
from .eagle3 import Eagle3Backbone
from .qwen3vl import Qwen3VLBackbone

# Optional tensors (common/checkpoint.py): defined by some revisions of NVIDIA's code and never
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
        return move_inputs(self, device, dtype)


class Gr00tN1xModel(ModelBase):
    def __init__(self, cfg: N1xConfig, backbone_cfg: dict[str, Any], where: str = "backbone config"):
        super().__init__()
        self.cfg = cfg
        self.backbone_cfg = backbone_cfg
        if cfg.model_type == N16:
            self.backbone: nn.Module = Eagle3Backbone(backbone_cfg, cfg.select_layer, where)
        else:
            self.backbone = Qwen3VLBackbone(backbone_cfg, cfg.select_layer, where)
        self.action_head = FlowMatchingHeadN1x(cfg)

    def initial_noise(self, batch: int, generator: torch.Generator | None) -> torch.Tensor:
        return torch.randn(batch, self.cfg.action_horizon, self.cfg.max_action_dim, generator=generator)

    @torch.no_grad()
    def get_action(
        self, x: N1xInputs, num_steps: int, *, noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Normalised chunks [B, action_horizon, max_action_dim], float32 on the CPU."""

        def sample(x: N1xInputs, eid: Ids, noise: torch.Tensor) -> torch.Tensor:
            feats, image_mask = self.backbone(
                x.input_ids, x.attention_mask, x.pixel_values, image_grid_thw=x.image_grid_thw
            )
            return self.action_head.sample(feats, x.attention_mask, image_mask, x.state, eid, noise, num_steps)

        return self.run_sampling(x, noise, generator, sample)


def build_random(cfg: N1xConfig, backbone_cfg: dict[str, Any], seed: int) -> Gr00tN1xModel:
    """A randomly initialised model (float32, CPU), the same for the same seed."""
    return common.build_random(lambda: Gr00tN1xModel(cfg, backbone_cfg), seed)


def build_empty(
    cfg: N1xConfig, backbone_cfg: dict[str, Any], device: torch.device, dtype: torch.dtype, where: str
) -> Gr00tN1xModel:
    """Uninitialised parameters on `device` in `dtype`, to be filled from a checkpoint
    (common/model.py: built on the meta device, unsaved rotary frequencies recomputed)."""
    return common.build_empty(lambda: Gr00tN1xModel(cfg, backbone_cfg, where), device, dtype)
