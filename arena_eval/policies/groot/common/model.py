"""What every GR00T model (`backbone` + `action_head`) shares: its device and dtype, moving a
batch of inputs, the embodiment id a batch shares, and building the model either randomly
initialised (tiny checkpoints, training) or empty, to be filled from a checkpoint.

The initial noise of `get_action` is either given or drawn first, before any other
randomness, as one `torch.randn` on the CPU from a generator the caller seeds (so CPU and CUDA
runs draw the same numbers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

from .encoders import Ids

M = TypeVar("M", bound=nn.Module)


class ModelBase(nn.Module):
    """`Gr00tModel` (n1/model.py) and `Gr00tN1xModel` (n1x/model.py) build on it: each has
    `action_head` and `initial_noise`, and its `get_action` hands `run_sampling` its own
    backbone-then-head `sample`."""

    action_head: Any

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return self.action_head.model.proj_out_2.weight.dtype

    def initial_noise(self, batch: int, generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError

    def run_sampling(
        self, x: Any, noise: torch.Tensor | None, generator: torch.Generator | None,
        sample: Callable[[Any, Ids, torch.Tensor], torch.Tensor],
    ) -> torch.Tensor:
        """What `get_action` does around the model's own `sample(inputs, embodiment id, noise)`:
        the noise drawn first when not given, the inputs moved to the model, a shared
        embodiment id as one int; the normalised chunks come back as float32 on the CPU."""
        if noise is None:
            noise = self.initial_noise(x.input_ids.shape[0], generator)  # before any other randomness
        eid = shared_embodiment_id(x.embodiment_id)
        x = x.to(self.device, self.dtype)
        return sample(x, x.embodiment_id if eid is None else eid, noise.to(self.device)).float().cpu()


def move_inputs(x: Any, device: torch.device, dtype: torch.dtype) -> Any:
    """A copy of the inputs dataclass `x` on `device`, floating tensors in `dtype` (tensors,
    lists of tensors, None)."""

    def mv(t: Any) -> Any:
        if t is None:
            return None
        if isinstance(t, list):
            return [mv(v) for v in t]
        return t.to(device, dtype) if t.is_floating_point() else t.to(device)

    return type(x)(*(mv(getattr(x, f.name)) for f in dataclasses.fields(x)))


def shared_embodiment_id(ids: torch.Tensor) -> int | None:
    """The embodiment id when every row has the same one (checked on the host, before moving):
    the per-embodiment layers then run as plain matmuls."""
    ids = ids.cpu()
    return int(ids[0]) if ids.numel() and bool((ids == ids[0]).all()) else None


def init_like_original(model: nn.Module) -> None:
    """The action head's embeddings that the original initialises with N(0, 0.02) (nn.Embedding's
    default is N(0, 1)): N1.5's future tokens, the action tokens' position embedding."""
    head = model.action_head
    for name in ("future_tokens", "position_embedding"):
        emb = getattr(head, name, None)
        if emb is not None:
            nn.init.normal_(emb.weight, mean=0.0, std=0.02)


def build_random(make: Callable[[], M], seed: int) -> M:
    """`make()` randomly initialised (fp32, CPU) as the original initialises it, the same for
    the same seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make()
        init_like_original(model)
    return model.eval()


def build_empty(make: Callable[[], M], device: torch.device, dtype: torch.dtype) -> M:
    """`make()` with uninitialised parameters on `device` in `dtype`, to be filled from a
    checkpoint: building on the meta device skips the random init of billions of weights.
    Buffers that are not saved are recomputed here: rotary frequencies in float32 (the
    language models' from their config, Qwen3-VL's vision rotary from its dim and theta) and
    SigLIP's position ids."""
    with torch.device("meta"):
        model = make()
    model = model.to_empty(device=device).to(dtype)
    for mname, mod in model.named_modules():
        for bname in list(getattr(mod, "_non_persistent_buffers_set", ())):
            if bname in ("inv_freq", "original_inv_freq"):
                if hasattr(mod, "config"):
                    fresh = type(mod)(config=mod.config, device=device)  # type: ignore[call-arg]
                else:
                    fresh = type(mod)(mod.dim, mod.theta).to(device)  # type: ignore[call-arg]
                setattr(mod, bname, getattr(fresh, bname))
            elif bname == "position_ids":
                setattr(mod, bname, torch.arange(mod.num_positions, device=device).expand((1, -1)))
            else:
                raise RuntimeError(f"do not know how to rebuild the unsaved buffer {mname}.{bname}")
    return model.eval()
