"""Scripted experts of the robocasa kitchen suite (registered into `experts.EXPERTS`).

Each plans once per episode from the fixture (and object) pose it observes first, solving
the Panda's IK offline with MuJoCo on the robot's MJCF, then plays the plan back in time.
Chunks must be executed whole (n_action_steps == action_horizon) since the plan is indexed
by the steps it has issued.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .experts import Expert, register


class KitchenExpert(Expert):
    def required_obs(self):
        return {"state.fixture_pos": (3,), "state.fixture_joints": (3,)}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        if not hasattr(self, "plans"):
            self.plans: dict[int, Any] = {}
            self.t: dict[int, int] = {}
        for s in slots:
            self.plans.pop(int(s), None)
            self.t[int(s)] = 0

    def make_plan(self, obs: dict[str, Any], row: int):
        raise NotImplementedError

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        from ..envs.tasks.robocasa.layout import CONTROL_DT

        out = np.zeros((len(slots), self.horizon, 8), np.float32)
        for row, s in enumerate(map(int, slots)):
            if s not in self.plans:
                self.plans[s] = self.make_plan(obs, row)
            plan, t0 = self.plans[s], self.t[s]
            for h in range(self.horizon):
                out[row, h] = plan.at((t0 + h + 1) * CONTROL_DT)
            self.t[s] = t0 + self.horizon
        return {"action.arm": out[..., :7], "action.gripper": out[..., 7:]}


def _obs(obs: dict[str, Any], key: str, row: int) -> np.ndarray:
    return np.asarray(obs[key][row, -1], float)


@register("robocasa_open_drawer")
class OpenDrawer(KitchenExpert):
    """Hook the handle bar with the closed gripper from above and pull the drawer out."""

    def make_plan(self, obs, row):
        from ..envs.tasks.robocasa.planner import open_drawer_plan

        return open_drawer_plan(_obs(obs, "state.fixture_pos", row))


@register("robocasa_close_door")
class CloseDoor(KitchenExpert):
    """Push the open door shut with the side of the hand, following its arc."""

    def make_plan(self, obs, row):
        from ..envs.tasks.robocasa.planner import close_door_plan

        theta = float(_obs(obs, "state.fixture_joints", row)[1])
        return close_door_plan(_obs(obs, "state.fixture_pos", row), theta)


@register("robocasa_press_button")
class PressButton(KitchenExpert):
    """Point the closed gripper at the coffee machine's button and push it in."""

    def make_plan(self, obs, row):
        from ..envs.tasks.robocasa.planner import press_button_plan

        return press_button_plan(_obs(obs, "state.fixture_pos", row))


@register("robocasa_pick_place")
class PickPlace(KitchenExpert):
    """Side grasp of the box on the counter, carry it into the cubby, let go, back out."""

    def required_obs(self):
        return {**super().required_obs(), "state.object_pos": (3,)}

    def make_plan(self, obs, row):
        from ..envs.tasks.robocasa.planner import pick_place_plan

        return pick_place_plan(_obs(obs, "state.fixture_pos", row), _obs(obs, "state.object_pos", row))
