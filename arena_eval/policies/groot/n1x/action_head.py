"""The flow-matching action head of GR00T N1.6 and N1.7 (`action_head.*`).

The shared layout (common/action_head.py), arranged as NVIDIA's N1.6/N1.7 module tree:

- `vlln` (LayerNorm) on the backbone features; N1.7 then runs `vl_self_attention` (4 plain
  blocks) over them WITHOUT a mask, so in a left-padded batch the pad positions' features mix
  into the real tokens, as in the original. N1.6 has no vl self-attention.
- No `future_tokens`: the DiT sequence is [state token, action tokens].
- `model` is the alternating DiT: odd blocks self-attend; even blocks cross-attend with a
  boolean mask, block idx % (2 * attend_text_every_n_blocks) == 0 to the text tokens
  (not image, not pad) and the others to the image tokens (not pad). So pad tokens never
  reach the action through the DiT.
- No `mask_token`: the state-dropout token some revisions define (state_dropout_prob > 0) is
  used only in training; the loader skips it when a checkpoint carries it (model.py).
"""

from __future__ import annotations

import torch
from torch import nn

from ..common.action_head import FlowMatchingHeadBase
from ..common.dit import SelfAttentionTransformer
from ..common.encoders import Ids
from .config import N1xConfig


class FlowMatchingHeadN1x(FlowMatchingHeadBase):
    def __init__(self, cfg: N1xConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.input_embedding_dim
        self.build_shared(
            cfg.diffusion_model_cfg,
            cfg.backbone_embedding_dim,
            num_embodiments=cfg.max_num_embodiments,
            width=w,
            hidden_size=cfg.hidden_size,
            state_dim=cfg.max_state_dim,
            action_dim=cfg.max_action_dim,
        )
        if cfg.use_vlln:
            self.vlln = nn.LayerNorm(cfg.backbone_embedding_dim)
        if cfg.vl_self_attention_cfg is not None:
            self.vl_self_attention = SelfAttentionTransformer(cfg.vl_self_attention_cfg)
        self.build_position_embedding(w)

    def encode_context(self, vl_embs: torch.Tensor) -> torch.Tensor:
        if self.cfg.use_vlln:
            vl_embs = self.vlln(vl_embs)
        if self.cfg.vl_self_attention_cfg is not None:
            vl_embs = self.vl_self_attention(vl_embs)  # no mask, as the original
        return vl_embs

    def block_masks(self, attention_mask: torch.Tensor, image_mask: torch.Tensor) -> list[torch.Tensor | None]:
        """Per DiT block, what a cross-attending block may see (None for self-attending ones)."""
        valid = attention_mask.bool()
        text = ~image_mask & valid
        image = image_mask & valid
        period = 2 * self.cfg.attend_text_every_n_blocks
        return [(text if i % period == 0 else image) if c else None for i, c in enumerate(self.model.cross)]

    @torch.no_grad()
    def sample(
        self,
        vl_embs: torch.Tensor,
        attention_mask: torch.Tensor,
        image_mask: torch.Tensor,
        state: torch.Tensor,
        embodiment_id: Ids,
        noise: torch.Tensor,
        num_steps: int,
    ) -> torch.Tensor:
        """K Euler steps from `noise` [B, action_horizon, max_action_dim]; step k at int(k / K * buckets).
        The context (vlln, self-attention, every block's K/V, the masks) is computed once; the
        DiT runs over [state token, action tokens]."""
        kv = self.model.context_kv(self.encode_context(vl_embs))
        masks = self.block_masks(attention_mask, image_mask)
        prefix = [self.state_encoder(state, embodiment_id)]

        def velocity(x: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
            return self.velocity(x, ts, prefix, kv, embodiment_id, masks)

        return self.integrate(velocity, noise, vl_embs.dtype, num_steps)
