"""Scripted experts of the DexMG-like suite (`tasks/dexmg.yaml`).

Each plans once per episode from the object position it observes first (IK offline with
MuJoCo on the robot's MJCF, `planner.py`) and plays the joint-space plan back in time
(`playback.PlanPlayback`). The GR1's hands stay open (the palm pads do the holding).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..playback import PlanPlayback, observed
from .layout import CONTROL_DT


class _PlanExpert(PlanPlayback):
    CONTROL_DT = CONTROL_DT

    def required_obs(self):
        return {"state.object_pos": (3,)}


class _GR1(_PlanExpert):
    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        hand = np.zeros(out.shape[:2] + (11,), np.float32)  # open
        return {"action.left_arm": out[..., :7], "action.right_arm": out[..., 7:14], "action.left_hand": hand,
                "action.right_hand": hand.copy(), "action.waist": out[..., 14:17]}


class DexMGGR1LiftBox(_GR1):
    """GR1: two-palm squeeze of the box, lift 10 cm, hold."""

    def make_plan(self, obs: dict[str, Any], row: int):
        from .planner import gr1_lift_plan

        return gr1_lift_plan(observed(obs, "state.object_pos", row))


class DexMGGR1BoxSort(_GR1):
    """GR1: squeeze and lift the box, turn the waist to the tray on the right, set the box
    down in it, open the palms and retreat."""

    def make_plan(self, obs: dict[str, Any], row: int):
        from .planner import gr1_sort_plan

        return gr1_sort_plan(observed(obs, "state.object_pos", row))


class DexMGPandaLiftTray(_PlanExpert):
    """Two Pandas: paddles down beside the tray's ends, squeeze, lift 12 cm, hold."""

    def make_plan(self, obs: dict[str, Any], row: int):
        from .planner import panda_tray_plan

        return panda_tray_plan(observed(obs, "state.object_pos", row))

    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        return {"action.left_arm": out[..., :7], "action.right_arm": out[..., 7:14]}
