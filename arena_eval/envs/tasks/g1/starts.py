"""Start states of the G1 tasks, drawn from the episode seed (see `arena_eval.envs.starts`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...starts import StartState
from .layout import BOX_JITTER


def g1_table(rng: np.random.Generator, cfg: Any) -> StartState:
    """The G1 tasks on a table: robot in its default pose, the box jittered in x and y."""
    dx, dy = rng.uniform(-BOX_JITTER, BOX_JITTER, size=2)
    return {"robot": {}, "box": {"root_pos_offset": {"x": float(dx), "y": float(dy)}}}
