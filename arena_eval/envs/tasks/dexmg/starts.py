"""Start states of the DexMG-like tasks, drawn from the episode seed (`arena_eval.envs.starts`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...starts import StartState
from .layout import OBJECT_JITTER


def dexmg_table(rng: np.random.Generator, cfg: Any) -> StartState:
    """The DexMG-like tasks: robot in its default pose, the object (box or tray) jittered in
    x and y by +-2 cm."""
    dx, dy = rng.uniform(-OBJECT_JITTER, OBJECT_JITTER, size=2)
    return {"robot": {}, "object": {"root_pos_offset": {"x": float(dx), "y": float(dy)}}}
