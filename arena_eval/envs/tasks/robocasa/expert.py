"""Scripted experts of the robocasa kitchen suite.

Each plans once per episode from the fixture (and object) pose it observes first, solving
the Panda's IK offline with MuJoCo on the robot's MJCF, then plays the plan back in time
(`playback.PlanPlayback`).
"""

from __future__ import annotations

import numpy as np

from ..playback import PlanPlayback, observed
from .layout import CONTROL_DT


class KitchenExpert(PlanPlayback):
    CONTROL_DT = CONTROL_DT

    def required_obs(self):
        return {"state.fixture_pos": (3,), "state.fixture_joints": (3,)}

    def split(self, out: np.ndarray) -> dict[str, np.ndarray]:
        return {"action.arm": out[..., :7], "action.gripper": out[..., 7:]}


class OpenDrawer(KitchenExpert):
    """Hook the handle bar with the closed gripper from above and pull the drawer out."""

    def make_plan(self, obs, row):
        from .planner import open_drawer_plan

        return open_drawer_plan(observed(obs, "state.fixture_pos", row))


class CloseDoor(KitchenExpert):
    """Push the open door shut with the side of the hand, following its arc."""

    def make_plan(self, obs, row):
        from .planner import close_door_plan

        theta = float(observed(obs, "state.fixture_joints", row)[1])
        return close_door_plan(observed(obs, "state.fixture_pos", row), theta)


class PressButton(KitchenExpert):
    """Point the closed gripper at the coffee machine's button and push it in."""

    def make_plan(self, obs, row):
        from .planner import press_button_plan

        return press_button_plan(observed(obs, "state.fixture_pos", row))


class PickPlace(KitchenExpert):
    """Side grasp of the box on the counter, carry it into the cubby, let go, back out."""

    def required_obs(self):
        return {**super().required_obs(), "state.object_pos": (3,)}

    def make_plan(self, obs, row):
        from .planner import pick_place_plan

        return pick_place_plan(observed(obs, "state.fixture_pos", row), observed(obs, "state.object_pos", row))
