"""Scripted experts, one per task family, looked up by the task card's `expert` name.

An expert reads the batched observation (`state.*` [B, T, D]) and returns action chunks
`action.*` [B, H, D]. Later suites register their own experts here.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import UserError
from ..specs import TaskSpec


class Expert:
    def __init__(self, task: TaskSpec, horizon: int):
        self.task = task
        self.horizon = horizon

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        return {}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        pass

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError


EXPERTS: dict[str, Callable[[TaskSpec, int], Expert]] = {}


def register(name: str):
    def deco(cls):
        EXPERTS[name] = cls
        return cls

    return deco


def make_expert(task: TaskSpec, horizon: int) -> Expert:
    if task.expert not in EXPERTS:
        raise UserError(
            f"unknown expert {task.expert!r} (known: {', '.join(sorted(EXPERTS))})",
            where=task.source,
            field=f"task {task.name}: expert",
        )
    return EXPERTS[task.expert](task, horizon)


@register("cartpole_balance")
class CartpoleBalance(Expert):
    """Linear state feedback (LQR-style gains) on cart position/velocity and pole angle/rate.

    The action is a force command scaled by the env (100 N per unit); clipped to [-1, 1].
    """

    # Tuned on the task: the cart gains push *away* from the target so the pole leans back
    # towards it (the usual non-minimum-phase sign of cart-pole feedback).
    GAINS = {"state.cart": 0.2, "state.cart_vel": 0.4, "state.pole": -3.0, "state.pole_vel": -0.5}

    def required_obs(self):
        return {k: (1,) for k in self.GAINS}

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        u = sum(g * obs[k][:, -1, 0] for k, g in self.GAINS.items())
        u = np.clip(u, -1.0, 1.0).astype(np.float32)
        return {"action.cart_force": np.repeat(u[:, None, None], self.horizon, axis=1)}


@register("g1_pick_place")
class G1PickPlace(Expert):
    """Two-palm squeeze of the box, lift, turn the waist to the bin, lower, open, retreat.

    Plans per episode from the box position it observes first (IK offline with MuJoCo on the
    robot's MJCF), then plays the plan back in time. Chunks must be executed whole
    (n_action_steps == action_horizon) since the plan is indexed by the steps it has issued.
    """

    KEYS = ("action.left_arm", "action.right_arm", "action.waist")

    def required_obs(self):
        return {"state.object_pos": (3,)}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        if not hasattr(self, "plans"):
            self.plans: dict[int, Any] = {}
            self.t: dict[int, int] = {}
        for s in slots:
            self.plans.pop(int(s), None)
            self.t[int(s)] = 0

    def make_plan(self, box_pos: np.ndarray):
        from ..envs.tasks.g1 import layout as L
        from ..envs.tasks.g1.planner import pick_place_plan

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

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        from ..envs.tasks.g1.layout import CONTROL_DT

        out = np.zeros((len(slots), self.horizon, 17), np.float32)
        for row, s in enumerate(map(int, slots)):
            if s not in self.plans:
                self.plans[s] = self.make_plan(np.asarray(obs["state.object_pos"][row, -1], float))
            plan, t0 = self.plans[s], self.t[s]
            for h in range(self.horizon):
                out[row, h] = plan.at((t0 + h + 1) * CONTROL_DT)
            self.t[s] = t0 + self.horizon
        return {"action.left_arm": out[..., :7], "action.right_arm": out[..., 7:14], "action.waist": out[..., 14:]}


@register("g1_lift")
class G1Lift(G1PickPlace):
    """Two-palm squeeze, lift 10 cm and hold (the pick-place plan without the turn)."""

    def make_plan(self, box_pos: np.ndarray):
        from ..envs.tasks.g1 import layout as L
        from ..envs.tasks.g1.planner import lift_plan

        return lift_plan(box_pos=box_pos, box_size=L.BOX)


@register("g1_locomanip_pick_place")
class G1LocomanipPickPlace(G1PickPlace):
    """Squeeze and lift the box, carry it to the far table on the planar base, place it.

    The arms follow a plan as in `g1_pick_place` (no waist turn); during the carry phase the
    navigate command is a clipped proportional controller on the observed base pose, so the
    base arrives in front of the bin whatever the velocity tracking does.
    """

    KP, VMAX = 2.0, 0.3

    def required_obs(self):
        return {"state.object_pos": (3,), "state.base_pose": (3,)}

    def make_plan(self, box_pos: np.ndarray):
        from ..envs.tasks.g1 import layout as L
        from ..envs.tasks.g1.planner import pick_place_plan

        return pick_place_plan(
            box_pos=box_pos, box_size=L.BOX, place_xy=np.array(L.BOX_XY), place_z=L.BOX_IN_BIN_Z + 0.005,
            turn=0.0, transit=5.0,
        )

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        from ..envs.tasks.g1 import layout as L

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


from . import experts_dexmg  # noqa: E402,F401  (registers the DexMG experts)
from . import experts_robocasa  # noqa: E402,F401  (registers the robocasa suite's experts)
