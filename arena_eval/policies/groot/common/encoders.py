"""The per-embodiment layers of every GR00T action head (`state_encoder`, `action_encoder`,
`action_decoder`): one linear map per embodiment category, picked by each sample's id."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

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
