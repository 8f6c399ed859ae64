"""Config pieces every generation's `config.json` shares: the transformer config of the DiT and
of the vl self-attention blocks, and the dataclass helpers that keep unknown fields verbatim."""

from __future__ import annotations

import dataclasses
from typing import Any

from ....errors import UserError


def split_fields(cls: type, data: dict[str, Any], where: str, field: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Known fields of a dataclass vs the rest (kept verbatim in `extra`)."""
    if not isinstance(data, dict):
        raise UserError(f"expected a mapping, got {type(data).__name__}", where=where, field=field)
    names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    return {k: v for k, v in data.items() if k in names}, {k: v for k, v in data.items() if k not in names}


def fields_dict(obj: Any) -> dict[str, Any]:
    """A config dataclass as the JSON object it came from: its fields (nested dataclasses too)
    and its `extra`, keys sorted."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name == "extra":
            continue
        v = getattr(obj, f.name)
        out[f.name] = fields_dict(v) if dataclasses.is_dataclass(v) else v
    out.update(obj.extra)
    return dict(sorted(out.items()))


@dataclasses.dataclass
class TransformerConfig:
    """`diffusion_model_cfg` (the DiT) or `vl_self_attention_cfg` (plain blocks)."""

    num_attention_heads: int = 8
    attention_head_dim: int = 64
    num_layers: int = 12
    output_dim: int = 26
    dropout: float = 0.1
    attention_bias: bool = True
    activation_fn: str = "gelu-approximate"
    norm_type: str = "ada_norm"
    norm_elementwise_affine: bool = False
    norm_eps: float = 1e-5
    final_dropout: bool = True
    positional_embeddings: str | None = "sinusoidal"
    max_num_positional_embeddings: int = 512
    interleave_self_attention: bool = False
    cross_attention_dim: int | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def inner_dim(self) -> int:
        return self.num_attention_heads * self.attention_head_dim

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str, field: str, *, plain: bool = False) -> TransformerConfig:
        known, extra = split_fields(cls, data, where, field)
        if plain:  # the vl self-attention blocks always use affine LayerNorms
            known = {**known, "norm_type": "layer_norm", "norm_elementwise_affine": True}
        cfg = cls(**known, extra=extra)
        if cfg.activation_fn != "gelu-approximate":
            raise UserError(
                f"activation_fn {cfg.activation_fn!r} is not supported (gelu-approximate)", where=where, field=field
            )
        if cfg.norm_type not in ("ada_norm", "layer_norm"):
            raise UserError(
                f"norm_type {cfg.norm_type!r} is not supported (ada_norm, layer_norm)", where=where, field=field
            )
        if cfg.positional_embeddings not in (None, "sinusoidal"):
            raise UserError(
                f"positional_embeddings {cfg.positional_embeddings!r} is not supported (null, sinusoidal)",
                where=where,
                field=field,
            )
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return fields_dict(self)
