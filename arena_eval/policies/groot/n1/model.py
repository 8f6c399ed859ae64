"""The whole GR00T N1 / N1.5 model: `backbone` (Eagle VLM) + `action_head` (flow matching).

`Gr00tModel.get_action` runs the backbone once and the action head's K denoising steps on its
features; the initial noise is either given or drawn first, as one
`torch.randn(B, horizon, action_dim, generator=g)` on the CPU (so CPU and CUDA runs draw the
same numbers), from a generator the caller seeds. `Gr00tModel.loss` is the training objective.
"""

from __future__ import annotations

import dataclasses

import torch

from ..common import model as common
from ..common.encoders import Ids
from ..common.model import ModelBase, move_inputs, shared_embodiment_id
from .action_head import FlowMatchingActionHead
from .backbone import EagleBackbone
from .config import Gr00tConfig
from .eagle_config import EagleConfig


@dataclasses.dataclass
class ModelInputs:
    """One batch as the model takes it (see processor.py for how it is made)."""

    input_ids: torch.Tensor  # [B, L] left-padded
    attention_mask: torch.Tensor  # [B, L]
    pixel_values: torch.Tensor | None  # [N images, 3, S, S], sample-major then time-major then camera
    state: torch.Tensor  # [B, 1, max_state_dim] normalised, zero-padded
    embodiment_id: torch.Tensor  # [B] long

    def to(self, device: torch.device, dtype: torch.dtype) -> ModelInputs:
        return move_inputs(self, device, dtype)


class Gr00tModel(ModelBase):
    def __init__(self, cfg: Gr00tConfig, eagle: EagleConfig):
        super().__init__()
        self.cfg = cfg
        self.eagle_cfg = eagle
        self.backbone = EagleBackbone(cfg, eagle)
        self.action_head = FlowMatchingActionHead(cfg.action_head_cfg, cfg.is_n15)

    def features(self, x: ModelInputs, image_token_id: int) -> torch.Tensor:
        return self.backbone(x.input_ids, x.attention_mask, x.pixel_values, image_token_id)

    def initial_noise(self, batch: int, generator: torch.Generator | None) -> torch.Tensor:
        head = self.cfg.action_head_cfg
        return torch.randn(batch, head.action_horizon, head.action_dim, generator=generator)

    @torch.no_grad()
    def get_action(
        self, x: ModelInputs, image_token_id: int, num_steps: int, *, noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Normalised action chunks [B, horizon, action_dim] (float32 on the CPU)."""

        def sample(x: ModelInputs, eid: Ids, noise: torch.Tensor) -> torch.Tensor:
            return self.action_head.sample(self.features(x, image_token_id), x.state, eid, noise, num_steps)

        return self.run_sampling(x, noise, generator, sample)

    def loss(
        self,
        x: ModelInputs,
        image_token_id: int,
        actions: torch.Tensor,
        action_mask: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        eid = shared_embodiment_id(x.embodiment_id)
        x = x.to(self.device, self.dtype)
        feats = self.features(x, image_token_id)
        return self.action_head.loss(
            feats,
            x.state,
            x.embodiment_id if eid is None else eid,
            actions.to(self.device, self.dtype),
            action_mask.to(self.device),
            generator,
        )


def build_random(cfg: Gr00tConfig, eagle: EagleConfig, seed: int) -> Gr00tModel:
    """A randomly initialised model (fp32, CPU), the same for the same seed."""
    return common.build_random(lambda: Gr00tModel(cfg, eagle), seed)


def build_empty(cfg: Gr00tConfig, eagle: EagleConfig, device: torch.device, dtype: torch.dtype) -> Gr00tModel:
    """A model with uninitialised parameters on `device` in `dtype`, to be filled from a
    checkpoint (common/model.py: built on the meta device, unsaved buffers recomputed)."""
    return common.build_empty(lambda: Gr00tModel(cfg, eagle), device, dtype)
