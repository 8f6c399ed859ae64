"""The flow-matching action head of GR00T N1.5 and N1.

Module and parameter names mirror the checkpoint (`action_head.*`), so weights load by name:
per-embodiment MLPs (`state_encoder`, `action_encoder`, `action_decoder`), the DiT (`model`)
with adaptive LayerNorm conditioned on the discretised flow time, and, for N1.5 only,
`future_tokens`, `vlln` and `vl_self_attention` on the backbone features.

Sampling integrates the learned velocity from noise (t = 0) to actions (t = 1) with K Euler
steps. Everything that does not depend on the step (the vision-language tokens after vlln
and self-attention, the cross-attention keys and values of every cross-attending block, the
state token) is computed once per call and reused by every step.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import ActionHeadConfig, TransformerConfig

# Embodiment ids: one per sample, or one int when the whole batch shares it (the common case).
Ids = torch.Tensor | int


class CategorySpecificLinear(nn.Module):
    """One linear map per embodiment: W [C, in, out], b [C, out], picked by each sample's id."""

    def __init__(self, num_categories: int, input_dim: int, hidden_dim: int):
        super().__init__()
        self.W = nn.Parameter(0.02 * torch.randn(num_categories, input_dim, hidden_dim))
        self.b = nn.Parameter(torch.zeros(num_categories, hidden_dim))

    def forward(self, x: torch.Tensor, cat_ids: Ids) -> torch.Tensor:
        if isinstance(cat_ids, int):  # one embodiment for the whole batch: a plain matmul, no gather
            return x @ self.W[cat_ids] + self.b[cat_ids]
        return torch.bmm(x, self.W[cat_ids]) + self.b[cat_ids].unsqueeze(1)


class CategorySpecificMLP(nn.Module):
    def __init__(self, num_categories: int, input_dim: int, hidden_dim: int, output_dim: int):
        super().__init__()
        self.layer1 = CategorySpecificLinear(num_categories, input_dim, hidden_dim)
        self.layer2 = CategorySpecificLinear(num_categories, hidden_dim, output_dim)

    def forward(self, x: torch.Tensor, cat_ids: Ids) -> torch.Tensor:
        return self.layer2(F.relu(self.layer1(x, cat_ids)), cat_ids)


def sinusoidal_encoding(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """[..., dim]: half sin, half cos, frequencies exp(-i ln(10000) / half)."""
    half = dim // 2
    exponent = -torch.arange(half, dtype=torch.float, device=timesteps.device) * (math.log(10000.0) / half)
    freqs = timesteps.float().unsqueeze(-1) * exponent.exp()
    return torch.cat([torch.sin(freqs), torch.cos(freqs)], dim=-1)


class MultiEmbodimentActionEncoder(nn.Module):
    """W1 (action -> w), concat the sinusoidal time encoding, W2 (2w -> w), swish, W3 (w -> w)."""

    def __init__(self, action_dim: int, hidden_size: int, num_embodiments: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.W1 = CategorySpecificLinear(num_embodiments, action_dim, hidden_size)
        self.W2 = CategorySpecificLinear(num_embodiments, 2 * hidden_size, hidden_size)
        self.W3 = CategorySpecificLinear(num_embodiments, hidden_size, hidden_size)

    def forward(self, actions: torch.Tensor, timesteps: torch.Tensor, cat_ids: Ids) -> torch.Tensor:
        b, t, _ = actions.shape
        a_emb = self.W1(actions, cat_ids)
        tau = sinusoidal_encoding(timesteps[:, None].expand(b, t), self.hidden_size).to(a_emb.dtype)
        x = self.W2(torch.cat([a_emb, tau], dim=-1), cat_ids)
        return self.W3(x * torch.sigmoid(x), cat_ids)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_channels: int, dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(in_channels, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_2(F.silu(self.linear_1(x)))


class TimestepEncoder(nn.Module):
    """256 sinusoidal channels (cos first, frequency denominator half - 1) into a 2-layer MLP."""

    channels = 256

    def __init__(self, dim: int):
        super().__init__()
        self.timestep_embedder = TimestepEmbedding(self.channels, dim)

    def forward(self, timesteps: torch.Tensor) -> torch.Tensor:
        half = self.channels // 2
        exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32, device=timesteps.device) / (half - 1)
        emb = timesteps.float()[:, None] * torch.exp(exponent)[None, :]
        emb = torch.cat([torch.cos(emb), torch.sin(emb)], dim=-1)
        return self.timestep_embedder(emb.to(self.timestep_embedder.linear_1.weight.dtype))


class AdaLayerNorm(nn.Module):
    """LayerNorm without affine parameters, scaled and shifted from the time embedding."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)
        self.norm = nn.LayerNorm(dim, eps, elementwise_affine=False)

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.linear(F.silu(temb)).chunk(2, dim=1)
        return self.norm(x) * (1 + scale[:, None]) + shift[:, None]


class Attention(nn.Module):
    """Multi-head attention (sdpa) with `to_q`, `to_k`, `to_v`, `to_out.0` as in the checkpoint."""

    def __init__(self, dim: int, heads: int, head_dim: int, bias: bool, dropout: float, context_dim: int | None = None):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.to_q = nn.Linear(dim, inner, bias=bias)
        self.to_k = nn.Linear(context_dim or dim, inner, bias=bias)
        self.to_v = nn.Linear(context_dim or dim, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim, bias=True), nn.Dropout(dropout)])

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.heads, -1).transpose(1, 2)

    def kv(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._split(self.to_k(context)), self._split(self.to_v(context))

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        kv: tuple[torch.Tensor, torch.Tensor] | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """`mask` [B, L_context] bool, True = attend (N1.6/N1.7's alternating DiT)."""
        k, v = kv if kv is not None else self.kv(x if context is None else context)
        if mask is None:
            out = F.scaled_dot_product_attention(self._split(self.to_q(x)), k, v)
        else:
            # A row with nothing to attend to (no image tokens in an image block: a checkpoint
            # run without cameras) would be NaN under softmax; it attends to nothing instead.
            any_ = mask.any(dim=-1)
            safe = mask | ~any_[:, None]
            out = F.scaled_dot_product_attention(self._split(self.to_q(x)), k, v, attn_mask=safe[:, None, None, :])
            out = out * any_[:, None, None, None].to(out.dtype)
        b, _, n, _ = out.shape
        return self.to_out[1](self.to_out[0](out.transpose(1, 2).reshape(b, n, -1)))


class GELUProj(nn.Module):
    def __init__(self, dim: int, inner: int):
        super().__init__()
        self.proj = nn.Linear(dim, inner)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.proj(x), approximate="tanh")


class FeedForward(nn.Module):
    """`net.0.proj` (GELU tanh), dropout, `net.2`, optional final dropout; 4x width."""

    def __init__(self, dim: int, dropout: float, final_dropout: bool):
        super().__init__()
        layers: list[nn.Module] = [GELUProj(dim, 4 * dim), nn.Dropout(dropout), nn.Linear(4 * dim, dim)]
        if final_dropout:
            layers.append(nn.Dropout(dropout))
        self.net = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.net:
            x = layer(x)
        return x


class SinusoidalPositions(nn.Module):
    """Fixed sin/cos positions added to the normed tokens (a persistent buffer `pe`, as saved)."""

    def __init__(self, dim: int, max_len: int):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
        pe = torch.zeros(1, max_len, dim)
        pe[0, :, 0::2] = torch.sin(position * div)
        pe[0, :, 1::2] = torch.cos(position * div)
        self.register_buffer("pe", pe)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[:, : x.shape[1]]


class TransformerBlock(nn.Module):
    """norm1 (ada or affine LN) -> attention -> residual -> norm3 -> GELU feed-forward -> residual."""

    def __init__(self, cfg: TransformerConfig, context_dim: int | None):
        super().__init__()
        dim = cfg.inner_dim
        self.ada = cfg.norm_type == "ada_norm"
        self.norm1 = AdaLayerNorm(dim) if self.ada else nn.LayerNorm(dim, cfg.norm_eps, cfg.norm_elementwise_affine)
        self.pos_embed = (
            SinusoidalPositions(dim, cfg.max_num_positional_embeddings)
            if cfg.positional_embeddings == "sinusoidal"
            else None
        )
        self.attn1 = Attention(
            dim, cfg.num_attention_heads, cfg.attention_head_dim, cfg.attention_bias, cfg.dropout, context_dim
        )
        self.norm3 = nn.LayerNorm(dim, cfg.norm_eps, cfg.norm_elementwise_affine)
        self.ff = FeedForward(dim, cfg.dropout, cfg.final_dropout)
        self.final_dropout = nn.Dropout(cfg.dropout) if cfg.final_dropout else None

    def forward(
        self,
        x: torch.Tensor,
        temb: torch.Tensor | None = None,
        context: torch.Tensor | None = None,
        kv: tuple[torch.Tensor, torch.Tensor] | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        h = self.norm1(x, temb) if self.ada else self.norm1(x)
        if self.pos_embed is not None:
            h = self.pos_embed(h)
        a = self.attn1(h, context, kv, mask)
        if self.final_dropout is not None:
            a = self.final_dropout(a)
        x = x + a
        return x + self.ff(self.norm3(x))


class DiT(nn.Module):
    """Diffusion transformer over [state, future tokens, actions]; with interleaving, even
    blocks cross-attend to the vision-language tokens and odd blocks self-attend."""

    def __init__(self, cfg: TransformerConfig, context_dim: int):
        super().__init__()
        self.cfg = cfg
        dim = cfg.inner_dim
        self.timestep_encoder = TimestepEncoder(dim)
        self.cross = [not (i % 2 == 1 and cfg.interleave_self_attention) for i in range(cfg.num_layers)]
        self.transformer_blocks = nn.ModuleList(TransformerBlock(cfg, context_dim if c else None) for c in self.cross)
        self.norm_out = nn.LayerNorm(dim, eps=1e-6, elementwise_affine=False)
        self.proj_out_1 = nn.Linear(dim, 2 * dim)
        self.proj_out_2 = nn.Linear(dim, cfg.output_dim)

    def context_kv(self, context: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor] | None]:
        """Keys and values of every cross-attending block: they depend on the context only."""
        return [
            blk.attn1.kv(context) if c else None for blk, c in zip(self.transformer_blocks, self.cross, strict=True)
        ]

    def forward(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        context: torch.Tensor | None = None,
        kv: list | None = None,
        masks: list | None = None,
    ) -> torch.Tensor:
        """`masks`: per block, the context mask of a cross-attending block (None: attend to all)."""
        if kv is None:
            assert context is not None
            kv = self.context_kv(context)
        temb = self.timestep_encoder(timesteps)
        masks = masks or [None] * len(kv)
        for blk, blk_kv, m in zip(self.transformer_blocks, kv, masks, strict=True):
            x = blk(x, temb, kv=blk_kv, mask=m)
        shift, scale = self.proj_out_1(F.silu(temb)).chunk(2, dim=1)  # shift first, unlike AdaLayerNorm
        return self.proj_out_2(self.norm_out(x) * (1 + scale[:, None]) + shift[:, None])


class SelfAttentionTransformer(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.transformer_blocks = nn.ModuleList(TransformerBlock(cfg, None) for _ in range(cfg.num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.transformer_blocks:
            x = blk(x)
        return x


class FlowMatchingActionHead(nn.Module):
    def __init__(self, cfg: ActionHeadConfig, n15: bool):
        super().__init__()
        self.cfg = cfg
        self.n15 = n15
        e, w = cfg.max_num_embodiments, cfg.input_embedding_dim
        dit = cfg.diffusion_model_cfg
        # N1 projects the backbone features to the DiT width in the backbone (`backbone.linear`).
        context_dim = dit.cross_attention_dim or dit.inner_dim
        self.model = DiT(dit, context_dim)
        self.state_encoder = CategorySpecificMLP(e, cfg.max_state_dim, cfg.hidden_size, w)
        self.action_encoder = MultiEmbodimentActionEncoder(cfg.action_dim, w, e)
        self.action_decoder = CategorySpecificMLP(e, cfg.hidden_size, cfg.hidden_size, cfg.action_dim)
        if n15:
            self.future_tokens = nn.Embedding(cfg.num_target_vision_tokens, w)
            if cfg.use_vlln:
                assert cfg.vl_self_attention_cfg is not None
                self.vlln = nn.LayerNorm(cfg.backbone_embedding_dim)
                self.vl_self_attention = SelfAttentionTransformer(cfg.vl_self_attention_cfg)
        if cfg.add_pos_embed:
            self.position_embedding = nn.Embedding(cfg.max_seq_len, w)

    # -- pieces shared by sampling and training

    def encode_context(self, vl_embs: torch.Tensor) -> torch.Tensor:
        """Backbone features -> the tokens the DiT attends to (vlln + self-attention, N1.5)."""
        if self.n15 and self.cfg.use_vlln:
            vl_embs = self.vl_self_attention(self.vlln(vl_embs))
        return vl_embs

    def velocity(
        self, x: torch.Tensor, timesteps: torch.Tensor, state_features: torch.Tensor, kv: list, embodiment_id: Ids
    ) -> torch.Tensor:
        """The predicted velocity of the action chunk `x` at discretised time `timesteps`."""
        feats = self.action_encoder(x, timesteps, embodiment_id)
        if self.cfg.add_pos_embed:
            feats = feats + self.position_embedding.weight[: feats.shape[1]].unsqueeze(0)
        parts = [state_features]
        if self.n15:
            parts.append(self.future_tokens.weight.unsqueeze(0).expand(x.shape[0], -1, -1))
        out = self.model(torch.cat(parts + [feats], dim=1), timesteps, kv=kv)
        return self.action_decoder(out, embodiment_id)[:, -x.shape[1] :]

    # -- inference

    @torch.no_grad()
    def sample(
        self, vl_embs: torch.Tensor, state: torch.Tensor, embodiment_id: Ids, noise: torch.Tensor, num_steps: int
    ) -> torch.Tensor:
        """K Euler steps from `noise` [B, H, action_dim]; step k uses time int(k / K * buckets)."""
        kv = self.model.context_kv(self.encode_context(vl_embs))
        state_features = self.state_encoder(state, embodiment_id)
        x = noise.to(vl_embs.dtype)
        dt = 1.0 / num_steps
        for k in range(num_steps):
            t = int(k / float(num_steps) * self.cfg.num_timestep_buckets)
            ts = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
            x = x + dt * self.velocity(x, ts, state_features, kv, embodiment_id)
        return x

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
        pred = self.velocity(x_t, ts, self.state_encoder(state, embodiment_id), kv, embodiment_id)
        mask = action_mask.to(pred.dtype)
        return (F.mse_loss(pred, target, reduction="none") * mask).sum() / mask.sum()
