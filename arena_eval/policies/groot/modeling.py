"""The whole GR00T model: `backbone` (Eagle VLM) + `action_head` (flow matching).

`Gr00tModel.get_action` runs the backbone once and the action head's K denoising steps on its
features; the initial noise is either given or drawn first, as one
`torch.randn(B, horizon, action_dim, generator=g)` on the CPU (so CPU and CUDA runs draw the
same numbers), from a generator the caller seeds. `Gr00tModel.loss` is the training objective.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import torch
from torch import nn

from .action_head import FlowMatchingActionHead
from .backbone import EagleBackbone
from .config import EagleConfig, Gr00tConfig


@dataclasses.dataclass
class ModelInputs:
    """One batch as the model takes it (see processor.py for how it is made)."""

    input_ids: torch.Tensor  # [B, L] left-padded
    attention_mask: torch.Tensor  # [B, L]
    pixel_values: torch.Tensor | None  # [N images, 3, S, S], sample-major then time-major then camera
    state: torch.Tensor  # [B, 1, max_state_dim] normalised, zero-padded
    embodiment_id: torch.Tensor  # [B] long

    def to(self, device: torch.device, dtype: torch.dtype) -> ModelInputs:
        def mv(t: torch.Tensor | None) -> torch.Tensor | None:
            if t is None:
                return None
            return t.to(device, dtype) if t.is_floating_point() else t.to(device)

        return ModelInputs(*(mv(getattr(self, f.name)) for f in dataclasses.fields(self)))  # type: ignore[arg-type]


class Gr00tModel(nn.Module):
    def __init__(self, cfg: Gr00tConfig, eagle: EagleConfig):
        super().__init__()
        self.cfg = cfg
        self.eagle_cfg = eagle
        self.backbone = EagleBackbone(cfg, eagle)
        self.action_head = FlowMatchingActionHead(cfg.action_head_cfg, cfg.is_n15)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return self.action_head.model.proj_out_2.weight.dtype

    def features(self, x: ModelInputs, image_token_id: int) -> torch.Tensor:
        return self.backbone(x.input_ids, x.attention_mask, x.pixel_values, image_token_id)

    def initial_noise(self, batch: int, generator: torch.Generator | None) -> torch.Tensor:
        head = self.cfg.action_head_cfg
        return torch.randn(batch, head.action_horizon, head.action_dim, generator=generator)

    @torch.no_grad()
    def get_action(
        self,
        x: ModelInputs,
        image_token_id: int,
        num_steps: int,
        *,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Normalised action chunks [B, horizon, action_dim] (float32 on the CPU)."""
        b = x.input_ids.shape[0]
        if noise is None:
            noise = self.initial_noise(b, generator)  # drawn first, before any other randomness
        eid = _shared_id(x.embodiment_id)
        x = x.to(self.device, self.dtype)
        feats = self.features(x, image_token_id)
        out = self.action_head.sample(
            feats, x.state, x.embodiment_id if eid is None else eid, noise.to(self.device), num_steps
        )
        return out.float().cpu()

    def loss(
        self,
        x: ModelInputs,
        image_token_id: int,
        actions: torch.Tensor,
        action_mask: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        eid = _shared_id(x.embodiment_id)
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


def _shared_id(ids: torch.Tensor) -> int | None:
    """The embodiment id when every row has the same one (checked on the host, before moving)."""
    ids = ids.cpu()
    return int(ids[0]) if ids.numel() and bool((ids == ids[0]).all()) else None


def _init_like_original(model: Gr00tModel) -> None:
    """Embeddings the original initialises with N(0, 0.02) (nn.Embedding's default is N(0, 1))."""
    head = model.action_head
    for name in ("future_tokens", "position_embedding"):
        emb = getattr(head, name, None)
        if emb is not None:
            nn.init.normal_(emb.weight, mean=0.0, std=0.02)


def build_random(cfg: Gr00tConfig, eagle: EagleConfig, seed: int) -> Gr00tModel:
    """A randomly initialised model (fp32, CPU), the same for the same seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Gr00tModel(cfg, eagle)
        _init_like_original(model)
    return model.eval()


def _nonpersistent_buffers(model: nn.Module) -> Iterator[tuple[str, nn.Module, str]]:
    for mname, mod in model.named_modules():
        for b in getattr(mod, "_non_persistent_buffers_set", ()):
            yield mname, mod, b


def build_empty(cfg: Gr00tConfig, eagle: EagleConfig, device: torch.device, dtype: torch.dtype) -> Gr00tModel:
    """A model with uninitialised parameters on `device` in `dtype`, to be filled from a
    checkpoint: building on the meta device skips the random init of billions of weights.
    Buffers that are not saved (rotary frequencies, position ids) are recomputed here."""
    with torch.device("meta"):
        model = Gr00tModel(cfg, eagle)
    model = model.to_empty(device=device).to(dtype)
    for mname, mod, bname in list(_nonpersistent_buffers(model)):
        if bname in ("inv_freq", "original_inv_freq"):  # rotary embedding: recompute in fp32
            fresh = type(mod)(config=mod.config, device=device)  # type: ignore[call-arg]
            setattr(mod, bname, getattr(fresh, bname))
        elif bname == "position_ids":
            n = mod.num_positions
            setattr(mod, bname, torch.arange(n, device=device).expand((1, -1)))
        else:
            raise RuntimeError(f"do not know how to rebuild the unsaved buffer {mname}.{bname}")
    return model.eval()
