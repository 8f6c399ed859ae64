"""Scripted experts of the DexMG-like suite (`tasks/dexmg.yaml`).

Each plans once per episode from the object position it observes first (IK offline with
MuJoCo on the robot's MJCF, `envs/tasks/dexmg/planner.py`) and plays the joint-space plan
back in time, as the G1 experts do; chunks must be executed whole (n_action_steps ==
action_horizon). The GR1's hands stay open (the palm pads do the holding).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .experts import G1PickPlace, register


class _PlanExpert(G1PickPlace):
    """Plan per slot, indexed by the steps issued so far; `split` maps plan vectors to keys."""

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        from ..envs.tasks.dexmg.layout import CONTROL_DT

        rows = []
        for row, s in enumerate(map(int, slots)):
            if s not in self.plans:
                self.plans[s] = self.make_plan(np.asarray(obs["state.object_pos"][row, -1], float))
            plan, t0 = self.plans[s], self.t[s]
            rows.append([plan.at((t0 + h + 1) * CONTROL_DT) for h in range(self.horizon)])
            self.t[s] = t0 + self.horizon
        return self.split(np.asarray(rows, np.float32))

    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError


class _GR1(_PlanExpert):
    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        hand = np.zeros(out.shape[:2] + (11,), np.float32)  # open
        return {"action.left_arm": out[..., :7], "action.right_arm": out[..., 7:14], "action.left_hand": hand,
                "action.right_hand": hand.copy(), "action.waist": out[..., 14:17]}


@register("dexmg_gr1_lift_box")
class DexMGGR1LiftBox(_GR1):
    """GR1: two-palm squeeze of the box, lift 10 cm, hold."""

    def make_plan(self, box_pos: np.ndarray):
        from ..envs.tasks.dexmg.planner import gr1_lift_plan

        return gr1_lift_plan(box_pos)


@register("dexmg_gr1_box_sort")
class DexMGGR1BoxSort(_GR1):
    """GR1: squeeze and lift the box, turn the waist to the tray on the right, set the box
    down in it, open the palms and retreat."""

    def make_plan(self, box_pos: np.ndarray):
        from ..envs.tasks.dexmg.planner import gr1_sort_plan

        return gr1_sort_plan(box_pos)


@register("dexmg_panda_lift_tray")
class DexMGPandaLiftTray(_PlanExpert):
    """Two Pandas: paddles down beside the tray's ends, squeeze, lift 12 cm, hold."""

    def make_plan(self, tray_pos: np.ndarray):
        from ..envs.tasks.dexmg.planner import panda_tray_plan

        return panda_tray_plan(tray_pos)

    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        return {"action.left_arm": out[..., :7], "action.right_arm": out[..., 7:14]}
