"""What every GR00T flow-matching action head shares (`action_head.*`).

The per-embodiment `state_encoder`, `action_encoder` and `action_decoder`, the DiT `model`
and, with `add_pos_embed`, a learned `position_embedding` of the action tokens; the velocity
of an action chunk (the DiT over [prefix tokens, action tokens], decoded per embodiment); and
sampling by K Euler steps of that velocity from noise (t = 0) to actions (t = 1), step k at
the discretised time int(k / K * num_timestep_buckets).

`n1/action_head.py` (N1, N1.5: future tokens, training loss) and `n1x/action_head.py` (N1.6,
N1.7: the masked alternating DiT) build on it. Each sets `cfg` (with `add_pos_embed`,
`max_seq_len`, `num_timestep_buckets`) before building, and adds its own modules between the
shared ones and `position_embedding`, in the order of the released module tree (the order the
tiny checkpoints' random weights are drawn in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .config import TransformerConfig
from .dit import DiT
from .encoders import CategorySpecificMLP, Ids, MultiEmbodimentActionEncoder


class FlowMatchingHeadBase(nn.Module):
    cfg: Any

    def build_shared(
        self,
        dit: TransformerConfig,
        context_dim: int,
        *,
        num_embodiments: int,
        width: int,
        hidden_size: int,
        state_dim: int,
        action_dim: int,
    ) -> None:
        """The DiT (`model`) and the per-embodiment encoders and decoder."""
        e, w = num_embodiments, width
        self.model = DiT(dit, context_dim)
        self.state_encoder = CategorySpecificMLP(e, state_dim, hidden_size, w)
        self.action_encoder = MultiEmbodimentActionEncoder(action_dim, w, e)
        self.action_decoder = CategorySpecificMLP(e, hidden_size, hidden_size, action_dim)

    def build_position_embedding(self, width: int) -> None:
        if self.cfg.add_pos_embed:
            self.position_embedding = nn.Embedding(self.cfg.max_seq_len, width)

    def velocity(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        prefix: list[torch.Tensor],
        kv: list,
        embodiment_id: Ids,
        masks: list | None = None,
    ) -> torch.Tensor:
        """The predicted velocity of the action chunk `x` at discretised time `timesteps`, the
        DiT running over [*prefix, action tokens] (`masks`: per block, see DiT.forward)."""
        feats = self.action_encoder(x, timesteps, embodiment_id)
        if self.cfg.add_pos_embed:
            feats = feats + self.position_embedding.weight[: feats.shape[1]].unsqueeze(0)
        out = self.model(torch.cat([*prefix, feats], dim=1), timesteps, kv=kv, masks=masks)
        return self.action_decoder(out, embodiment_id)[:, -x.shape[1] :]

    def integrate(
        self,
        velocity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        noise: torch.Tensor,
        dtype: torch.dtype,
        num_steps: int,
    ) -> torch.Tensor:
        """K Euler steps of `velocity(x, timesteps)` from `noise`; step k uses time
        int(k / K * buckets)."""
        x = noise.to(dtype)
        dt = 1.0 / num_steps
        for k in range(num_steps):
            t = int(k / float(num_steps) * self.cfg.num_timestep_buckets)
            ts = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
            x = x + dt * velocity(x, ts)
        return x
