"""Scripted experts of the G1 tasks: plan once per episode from the box position observed
first, then play the plan back (`playback.PlanPlayback`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..playback import PlanPlayback, observed
from . import layout as L


class G1PickPlace(PlanPlayback):
    """Two-palm squeeze of the box, lift, turn the waist to the bin, lower, open, retreat.

    Plans per episode from the box position it observes first (IK offline with MuJoCo on the
    robot's MJCF), then plays the plan back in time. Chunks must be executed whole
    (n_action_steps == action_horizon) since the plan is indexed by the steps it has issued.
    """

    CONTROL_DT = L.CONTROL_DT

    def required_obs(self):
        return {"state.object_pos": (3,)}

    def make_plan(self, obs: dict[str, Any], row: int):
        box_pos = observed(obs, "state.object_pos", row)
        from .planner import pick_place_plan

        return pick_place_plan(
            box_pos=box_pos,
            box_size=L.BOX,
            place_xy=np.array(L.BOX_XY),
            place_z=L.BOX_IN_BIN_Z + 0.005,
            turn=L.BIN_YAW,
            # 1.3 rad in 4.5 s: the turn's acceleration swings the box about the line where the
            # pads grip it; at 3 s it sometimes came down tilted onto the tray's wall.
            transit=4.5,
        )

    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        return {"action.left_arm": out[..., :7], "action.right_arm": out[..., 7:14], "action.waist": out[..., 14:]}


class G1Lift(G1PickPlace):
    """Two-palm squeeze, lift 10 cm and hold (the pick-place plan without the turn)."""

    def make_plan(self, obs: dict[str, Any], row: int):
        box_pos = observed(obs, "state.object_pos", row)
        from .planner import lift_plan

        return lift_plan(box_pos=box_pos, box_size=L.BOX)


class G1LocomanipPickPlace(G1PickPlace):
    """Squeeze and lift the box, carry it to the far table on the planar base, place it.

    The arms follow a plan as in `g1_pick_place` (no waist turn); during the carry phase the
    navigate command is a clipped proportional controller on the observed base pose, so the
    base arrives in front of the bin whatever the velocity tracking does.
    """

    KP, VMAX = 2.0, 0.3

    def required_obs(self):
        return {"state.object_pos": (3,), "state.base_pose": (3,)}

    def make_plan(self, obs: dict[str, Any], row: int):
        box_pos = observed(obs, "state.object_pos", row)
        from .planner import pick_place_plan

        return pick_place_plan(
            box_pos=box_pos, box_size=L.BOX, place_xy=np.array(L.BOX_XY), place_z=L.BOX_IN_BIN_Z + 0.005,
            turn=0.0, transit=5.0,
        )

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:

        t_before = {int(s): self.t.get(int(s), 0) for s in slots}
        out = super().act(obs, slots)
        nav = np.zeros((len(slots), self.horizon, 3), np.float32)
        goal = np.array([L.BIN_B_XY[0] - L.BOX_XY[0], L.BIN_B_XY[1] - L.BOX_XY[1], 0.0])
        for row, s in enumerate(map(int, slots)):
            t0, _ = self.plans[s].transit
            t = (t_before[s] + 1) * L.CONTROL_DT
            # Hold the start pose until the carry phase, then drive to the far table; the base
            # is velocity-driven, so the position loop closes here (yaw kept at 0).
            target = goal if t >= t0 else np.zeros(3)
            pose = np.asarray(obs["state.base_pose"][row, -1], float)
            nav[row, :, :] = np.clip(self.KP * (target - pose), -self.VMAX, self.VMAX)
        out["action.navigate_command"] = nav
        return out
