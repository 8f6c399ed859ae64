"""Modality keys of a card: how a suite key maps to a checkpoint's key (every generation).

A card maps each suite key (`state.left_arm`) to a checkpoint key (`left_arm`), or through
`{key, index, fill}` to a joint group of another size: `KeySpec` holds one such mapping and
moves values between the suite's and the checkpoint's widths; `parse_key_map` reads a card's
value.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class KeySpec:
    """One modality key: the suite's name, the checkpoint metadata's name, and how to normalise.

    `index` maps a joint group of another size through the card: for a state key, the suite
    dims (in this order) that make the checkpoint's `dim`; for an action key, where the
    checkpoint's `dim` values go in the suite's `suite_dim`-wide vector, the rest set to `fill`
    (e.g. a GR1 checkpoint's 6-joint hands on the DexMG GR1's 11 joints)."""

    suite_key: str
    meta_key: str
    dim: int
    mode: str = "min_max"
    index: tuple[int, ...] | None = None
    fill: float = 0.0
    suite_dim: int | None = None  # actions with an index: the task's width (set at bind)

    def from_suite(self, x: np.ndarray) -> np.ndarray:
        """Suite values [..., suite dims] -> the checkpoint's [..., dim]."""
        return x if self.index is None else x[..., list(self.index)]

    def to_suite(self, y: np.ndarray) -> np.ndarray:
        """The checkpoint's [B, H, dim] -> the suite's [B, H, suite_dim]."""
        if self.index is None:
            return y
        assert self.suite_dim is not None, "bind() first"
        out = np.full((*y.shape[:-1], self.suite_dim), self.fill, dtype=y.dtype)
        out[..., list(self.index)] = y
        return out


def parse_key_map(value: Any, modality: str) -> tuple[Any, tuple[int, ...] | None, float]:
    """A card's `suite key: value`: a checkpoint key name, or {key, index, fill}. Returns
    (key, index, fill); raises ValueError with the reason."""
    if not isinstance(value, dict):
        return value, None, 0.0
    unknown = set(value) - {"key", "index", "fill"}
    if unknown or "key" not in value:
        raise ValueError(f"expected {{key, index, fill}}, got {sorted(value)}")
    idx = value.get("index")
    if idx is not None:
        if not isinstance(idx, list) or not idx or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0
                                                          for i in idx) or len(set(idx)) != len(idx):
            raise ValueError(f"index must be a list of distinct integers >= 0, got {idx!r}")
        idx = tuple(idx)
    fill = value.get("fill", 0.0)
    if isinstance(fill, bool) or not isinstance(fill, (int, float)) or (fill and modality != "action"):
        raise ValueError(f"fill must be a number (action keys only), got {fill!r}")
    return value["key"], idx, float(fill)
