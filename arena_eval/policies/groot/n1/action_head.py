"""The flow-matching action head of GR00T N1.5 and N1 (`action_head.*`).

The shared layout (common/action_head.py: per-embodiment `state_encoder`, `action_encoder`,
`action_decoder`, the DiT `model`, `position_embedding`) and, for N1.5 only, `future_tokens`,
`vlln` and `vl_self_attention` on the backbone features. The DiT runs over [state token,
future tokens (N1.5), action tokens] and attends to every backbone token, pads included.

Sampling integrates the learned velocity from noise (t = 0) to actions (t = 1) with K Euler
steps. Everything that does not depend on the step (the vision-language tokens after vlln
and self-attention, the cross-attention keys and values of every cross-attending block, the
state token) is computed once per call and reused by every step. `loss` is the training
objective (scripts/train_small.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..common.action_head import FlowMatchingHeadBase
from ..common.dit import SelfAttentionTransformer
from ..common.encoders import Ids
from .config import ActionHeadConfig


class FlowMatchingActionHead(FlowMatchingHeadBase):
    def __init__(self, cfg: ActionHeadConfig, n15: bool):
        super().__init__()
        self.cfg = cfg
        self.n15 = n15
        w = cfg.input_embedding_dim
        dit = cfg.diffusion_model_cfg
        # N1 projects the backbone features to the DiT width in the backbone (`backbone.linear`).
        context_dim = dit.cross_attention_dim or dit.inner_dim
        self.build_shared(
            dit,
            context_dim,
            num_embodiments=cfg.max_num_embodiments,
            width=w,
            hidden_size=cfg.hidden_size,
            state_dim=cfg.max_state_dim,
            action_dim=cfg.action_dim,
        )
        if n15:
            self.future_tokens = nn.Embedding(cfg.num_target_vision_tokens, w)
            if cfg.use_vlln:
                assert cfg.vl_self_attention_cfg is not None
                self.vlln = nn.LayerNorm(cfg.backbone_embedding_dim)
                self.vl_self_attention = SelfAttentionTransformer(cfg.vl_self_attention_cfg)
        self.build_position_embedding(w)

    # -- pieces shared by sampling and training

    def encode_context(self, vl_embs: torch.Tensor) -> torch.Tensor:
        """Backbone features -> the tokens the DiT attends to (vlln + self-attention, N1.5)."""
        if self.n15 and self.cfg.use_vlln:
            vl_embs = self.vl_self_attention(self.vlln(vl_embs))
        return vl_embs

    def prefix(self, state_features: torch.Tensor, batch: int) -> list[torch.Tensor]:
        """The DiT's tokens before the actions: the state token, then N1.5's future tokens."""
        parts = [state_features]
        if self.n15:
            parts.append(self.future_tokens.weight.unsqueeze(0).expand(batch, -1, -1))
        return parts

    # -- inference

    @torch.no_grad()
    def sample(
        self, vl_embs: torch.Tensor, state: torch.Tensor, embodiment_id: Ids, noise: torch.Tensor, num_steps: int
    ) -> torch.Tensor:
        """K Euler steps from `noise` [B, H, action_dim]; step k uses time int(k / K * buckets)."""
        kv = self.model.context_kv(self.encode_context(vl_embs))
        prefix = self.prefix(self.state_encoder(state, embodiment_id), noise.shape[0])

        def velocity(x: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
            return self.velocity(x, ts, prefix, kv, embodiment_id)

        return self.integrate(velocity, noise, vl_embs.dtype, num_steps)

    # -- training

    def sample_time(self, batch: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """t = (s_max - s) / s_max with s ~ Beta(alpha, beta): more weight on noisy times."""
        a, b = self.cfg.noise_beta_alpha, self.cfg.noise_beta_beta
        # Beta via two Gammas would need a generator-aware sampler; the inverse CDF of a uniform
        # is exact for beta == 1 (the published configs) and keeps draws reproducible.
        if b != 1.0:
            s = torch.distributions.Beta(a, b).sample((batch,))
        else:
            s = torch.rand(batch, generator=generator) ** (1.0 / a)
        return ((self.cfg.noise_s - s) / self.cfg.noise_s).to(device)

    def loss(
        self,
        vl_embs: torch.Tensor,
        state: torch.Tensor,
        embodiment_id: Ids,
        actions: torch.Tensor,
        action_mask: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Flow-matching loss: MSE of the predicted velocity (action - noise) at x_t = (1-t) noise + t action,
        over the valid (unpadded) action dims only."""
        b = actions.shape[0]
        noise = torch.randn(actions.shape, generator=generator).to(actions.device, actions.dtype)
        t = self.sample_time(b, generator, actions.device).to(actions.dtype)[:, None, None]
        x_t = (1 - t) * noise + t * actions
        target = actions - noise
        ts = (t[:, 0, 0] * self.cfg.num_timestep_buckets).long()
        kv = self.model.context_kv(self.encode_context(vl_embs))
        pred = self.velocity(x_t, ts, self.prefix(self.state_encoder(state, embodiment_id), b), kv, embodiment_id)
        mask = action_mask.to(pred.dtype)
        return (F.mse_loss(pred, target, reduction="none") * mask).sum() / mask.sum()
