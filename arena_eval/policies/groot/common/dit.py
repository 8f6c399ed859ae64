"""The DiT of every GR00T action head (`action_head.model.*`) and its blocks, also the plain
blocks of the vl self-attention (`action_head.vl_self_attention.*`).

Module and parameter names mirror the checkpoints, so weights load by name: the DiT's
`timestep_encoder`, `transformer_blocks.i.{norm1, attn1, norm3, ff}` with adaptive LayerNorm
conditioned on the discretised flow time, `norm_out`, `proj_out_1`, `proj_out_2`. With
interleaving, even blocks cross-attend to the vision-language tokens and odd blocks
self-attend; a cross-attending block may take a boolean mask of the context (N1.6/N1.7's
alternating DiT). `DiT.context_kv` computes every cross-attending block's keys and values
once, so the denoising steps reuse them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import TransformerConfig


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
