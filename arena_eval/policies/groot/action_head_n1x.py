"""The flow-matching action head of GR00T N1.6 and N1.7 (`action_head.*`).

Same building blocks as N1.5 (action_head.py), arranged as NVIDIA's N1.6/N1.7 module tree:

- `vlln` (LayerNorm) on the backbone features; N1.7 then runs `vl_self_attention` (4 plain
  blocks) over them WITHOUT a mask, so in a left-padded batch the pad positions' features mix
  into the real tokens, as in the original. N1.6 has no vl self-attention.
- No `future_tokens`: the DiT sequence is [state token, action tokens].
- `model` is the alternating DiT: odd blocks self-attend; even blocks cross-attend with a
  boolean mask, block idx % (2 * attend_text_every_n_blocks) == 0 to the text tokens
  (not image, not pad) and the others to the image tokens (not pad). So pad tokens never
  reach the action through the DiT.
- No `mask_token`: the state-dropout token some revisions define (state_dropout_prob > 0) is
  used only in training; the loader skips it when a checkpoint carries it (modeling_n1x.py).
"""

from __future__ import annotations

import torch
from torch import nn

from .action_head import CategorySpecificMLP, DiT, Ids, MultiEmbodimentActionEncoder, SelfAttentionTransformer
from .config_n1x import N1xConfig


class FlowMatchingHeadN1x(nn.Module):
    def __init__(self, cfg: N1xConfig):
        super().__init__()
        self.cfg = cfg
        e, w = cfg.max_num_embodiments, cfg.input_embedding_dim
        self.model = DiT(cfg.diffusion_model_cfg, cfg.backbone_embedding_dim)
        self.state_encoder = CategorySpecificMLP(e, cfg.max_state_dim, cfg.hidden_size, w)
        self.action_encoder = MultiEmbodimentActionEncoder(cfg.max_action_dim, w, e)
        self.action_decoder = CategorySpecificMLP(e, cfg.hidden_size, cfg.hidden_size, cfg.max_action_dim)
        if cfg.use_vlln:
            self.vlln = nn.LayerNorm(cfg.backbone_embedding_dim)
        if cfg.vl_self_attention_cfg is not None:
            self.vl_self_attention = SelfAttentionTransformer(cfg.vl_self_attention_cfg)
        if cfg.add_pos_embed:
            self.position_embedding = nn.Embedding(cfg.max_seq_len, w)

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

    def velocity(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        state_features: torch.Tensor,
        kv: list,
        masks: list,
        embodiment_id: Ids,
    ) -> torch.Tensor:
        feats = self.action_encoder(x, timesteps, embodiment_id)
        if self.cfg.add_pos_embed:
            feats = feats + self.position_embedding.weight[: feats.shape[1]].unsqueeze(0)
        out = self.model(torch.cat([state_features, feats], dim=1), timesteps, kv=kv, masks=masks)
        return self.action_decoder(out, embodiment_id)[:, -x.shape[1] :]

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
        The context (vlln, self-attention, every block's K/V, the masks) is computed once."""
        kv = self.model.context_kv(self.encode_context(vl_embs))
        masks = self.block_masks(attention_mask, image_mask)
        state_features = self.state_encoder(state, embodiment_id)
        x = noise.to(vl_embs.dtype)
        dt = 1.0 / num_steps
        for k in range(num_steps):
            t = int(k / float(num_steps) * self.cfg.num_timestep_buckets)
            ts = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
            x = x + dt * self.velocity(x, ts, state_features, kv, masks, embodiment_id)
        return x
