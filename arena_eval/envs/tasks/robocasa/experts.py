"""Scripted experts of the kitchen tasks added for RoboCasa's 24: four generic experts, each
parameterised by the fixture part it works (`plans.py` has their motions), and one small class
per task naming that part:

- `DoorsExpert`: hooks and pulls doors open, or pushes them shut, one door after another (the
  single and the double cabinet);
- `LeverExpert`: pushes a part turning about a vertical axis from its observed angle to a
  target (stove knobs, the faucet's lever, the spout);
- `PressExpert`: presses a button and backs off (the microwave's start and stop);
- `PickPlaceExpert`: a side grasp, a carry and a placement (every PnP task and both mug tasks),
  from the object's and the target's observed positions.

Like the original kitchen's experts (`expert.py`) each plans once per episode from what it
observes first and plays the plan back (`playback.PlanPlayback`).
"""

from __future__ import annotations

import numpy as np

from ..playback import observed
from . import fixtures as F
from . import layout as L
from . import plans as P
from .expert import KitchenExpert


class FixtureExpert(KitchenExpert):
    FIXTURE = "stove"
    OBJECTS: tuple[str, ...] = ()

    def required_obs(self):
        req = {"state.fixture_pos": (3,), "state.fixture_joints": (len(F.FIXTURE_JOINTS[self.FIXTURE]),)}
        req.update({f"state.{o}_pos": (3,) for o in self.OBJECTS})
        return req

    def fix(self, obs, row) -> np.ndarray:
        return observed(obs, "state.fixture_pos", row)

    def q(self, obs, row, joint: str) -> float:
        return float(observed(obs, "state.fixture_joints", row)[F.FIXTURE_JOINTS[self.FIXTURE].index(joint)])

    def pos(self, obs, row, name: str) -> np.ndarray:
        return observed(obs, f"state.{name}_pos", row)


class DoorsExpert(FixtureExpert):
    DOORS: tuple[F.Door, ...] = ()
    OPEN = True

    def make_plan(self, obs, row):
        fix, p = self.fix(obs, row), P.RobustPlanner()
        for k, d in enumerate(self.DOORS):
            if self.OPEN:
                p = P.hook_pull(p, fix, d, above=0.10 if k == 0 else 0.22)
            else:
                p = P.door_push_shut(p, fix, d, self.q(obs, row, d.hinge.joint))
        return p.plan()


class OpenSingleDoor(DoorsExpert):
    FIXTURE, DOORS = "single_cabinet", (F.SINGLE_DOOR,)


class OpenDoubleDoor(DoorsExpert):
    FIXTURE, DOORS = "double_cabinet", (F.DOUBLE_DOORS[1], F.DOUBLE_DOORS[0])


class CloseDoubleDoor(OpenDoubleDoor):
    OPEN = False


class LeverExpert(FixtureExpert):
    HINGE: F.Hinge = F.KNOBS["front_left"]
    R, Z, HALF = 0.032, 0.0, 0.004  # contact radius, grip-site height above the counter, part half thickness
    TARGET = 0.85
    DUR = 2.0

    def make_plan(self, obs, row):
        theta0 = self.q(obs, row, self.HINGE.joint)
        p = P.arc_push(P.RobustPlanner(), self.fix(obs, row), self.HINGE, self.R, self.Z, theta0, self.TARGET,
                       half=self.HALF, dur=self.DUR)
        return p.plan()


_KNOB_Z = F.STOVE_H + 0.002 + F.KNOB_H + F.FIN_H / 2 + 0.005


class TurnOnStove(LeverExpert):
    HINGE, Z, TARGET = F.KNOBS[F.STOVE_KNOB["on"]], _KNOB_Z, 0.85


class TurnOffStove(LeverExpert):
    HINGE, Z, TARGET = F.KNOBS[F.STOVE_KNOB["off"]], _KNOB_Z, -0.15


class TurnOnSinkFaucet(LeverExpert):
    FIXTURE = "sink"
    HINGE, R, Z, HALF, TARGET = F.HANDLE, 0.06, F.HANDLE_Z + 0.005, 0.008, 0.80


class TurnOffSinkFaucet(TurnOnSinkFaucet):
    TARGET = -0.1


class TurnSinkSpout(LeverExpert):
    FIXTURE = "sink"
    HINGE, R, Z, HALF, TARGET, DUR = F.SPOUT, 0.14, F.SPOUT_Z + 0.005, 0.012, -0.85, 2.5


class PressExpert(FixtureExpert):
    FIXTURE = "microwave"
    FACE = (0.0, 0.0, 0.0)  # the button's front face, fixture frame

    def make_plan(self, obs, row):
        return P.press(P.at(self.fix(obs, row), self.FACE[:2], self.FACE[2])).plan()


_MW_FACE_X = -F.MW_BUTTON_GAP - 2 * F.MW_BUTTON_HALF[0]


class TurnOnMicrowave(PressExpert):
    FACE = (_MW_FACE_X, F.MW_PANEL_Y, F.MW_BUTTONS["start_button_joint"])


class TurnOffMicrowave(PressExpert):
    FACE = (_MW_FACE_X, F.MW_PANEL_Y, F.MW_BUTTONS["stop_button_joint"])


class CloseDrawer(FixtureExpert):
    """Push the open drawer of the original kitchen shut by its front, under the handle bar."""

    FIXTURE = "kitchen"

    def make_plan(self, obs, row):
        fix, q = self.fix(obs, row), self.q(obs, row, "drawer_joint")
        z = L.DRAWER_Z - 0.03
        face = P.at(fix, (-0.02 - q, L.CUBBY_Y), z)
        shut = P.at(fix, (-0.02 + 0.025, L.CUBBY_Y), z)  # 2.5 cm past shut: the arm sags short
        return P.linear_push(face - [P.TIP, 0, 0], shut - [P.TIP, 0, 0]).plan()


def grip_dz(height: float) -> float:
    """How far above an upright object's centre to grip it: high enough that the palm (2.6 cm
    below the grip site, pointing forward) stays 3 cm over what the object stands on, low enough
    that the pads (1.1 cm each way) stay on the object."""
    return float(min(max(0.0, 0.026 + 0.03 - height / 2), height / 2 - 0.012))


class PickPlaceExpert(FixtureExpert):
    """Subclasses give `targets(obs, row)`: the keyword arguments of `plans.pick_place`."""

    OBJECTS = ("object",)

    def targets(self, obs, row) -> dict:
        raise NotImplementedError

    def make_plan(self, obs, row):
        return P.pick_place(**self.targets(obs, row)).plan()


class PnPCabToCounter(PickPlaceExpert):
    FIXTURE = "kitchen"

    def targets(self, obs, row):
        fix, o = self.fix(obs, row), self.pos(obs, row, "object")
        y = o[1]
        low = L.COUNTER_H + 0.10  # out of the cubby, then down onto the counter in front of the drawer
        return dict(obj=o, place=np.array([fix[0] - 0.17, y, L.OBJECT_REST_Z]), carry_z=low,
                    approach=[(fix[0] - 0.17, y, o[2] + 0.06)], above=0.04, lift=0.015,
                    leave=[(fix[0] - 0.17, y, o[2] + 0.015)], via=[(fix[0] - 0.17, y, low)])


def _pan_top(pan: np.ndarray) -> float:
    return pan[2] + F.PAN[1] / 2


def _plate_top(plate: np.ndarray) -> float:
    return plate[2] + F.PLATE[1] / 2


class PnPCounterToSink(PickPlaceExpert):
    FIXTURE, OBJECTS = "sink", ("object", "plate")

    def targets(self, obs, row):
        fix, dz = self.fix(obs, row), grip_dz(F.CAN[1])
        o = self.pos(obs, row, "object") + [0, 0, dz]
        place = P.at(fix, (0.22, -0.06), F.SINK_INSIDE[2][0] + F.CAN[1] / 2 + dz)
        return dict(obj=o, place=place, carry_z=L.COUNTER_H + F.SINK_H + F.CAN[1] / 2 + dz + 0.03, withdraw=0.06)


class PnPSinkToCounter(PickPlaceExpert):
    FIXTURE, OBJECTS = "sink", ("object", "plate")

    def targets(self, obs, row):
        dz, plate = grip_dz(F.CAN[1]), self.pos(obs, row, "plate")
        o = self.pos(obs, row, "object") + [0, 0, dz]
        place = np.array([plate[0], plate[1], _plate_top(plate) + F.CAN[1] / 2 + dz])
        return dict(obj=o, place=place, back=0.08, carry_z=L.COUNTER_H + F.SINK_H + F.CAN[1] / 2 + dz + 0.03)


class PnPCounterToMicrowave(PickPlaceExpert):
    FIXTURE, OBJECTS = "microwave", ("object", "plate")

    def targets(self, obs, row):
        fix, dz = self.fix(obs, row), grip_dz(F.BOX[2])
        o = self.pos(obs, row, "object") + [0, 0, dz]
        (tx, ty), _, tz = F.MW_TURNTABLE
        place = P.at(fix, (tx, ty), tz + F.BOX[2] / 2 + dz)
        front = P.at(fix, (-0.14, ty), tz + F.BOX[2] / 2 + dz + 0.03)
        return dict(obj=o, place=place, carry_z=front[2], via=[front], withdraw=0.30)


class PnPMicrowaveToCounter(PickPlaceExpert):
    FIXTURE, OBJECTS = "microwave", ("object", "plate")

    def targets(self, obs, row):
        fix, plate, dz = self.fix(obs, row), self.pos(obs, row, "plate"), grip_dz(F.BOX[2])
        o = self.pos(obs, row, "object") + [0, 0, dz]
        ty = F.MW_TURNTABLE[0][1]
        front = P.at(fix, (-0.14, ty), o[2] - L.COUNTER_H + 0.02)
        place = np.array([plate[0], plate[1], _plate_top(plate) + F.BOX[2] / 2 + dz])
        return dict(obj=o, place=place, carry_z=front[2], approach=[front], above=0.03, lift=0.02,
                    leave=[front])


_OVER_STOVE = L.COUNTER_H + F.STOVE_H + 0.042 + F.BOX[2] / 2 + 0.05  # over the knobs' fins and the pan
_GRIP_DZ = grip_dz(F.BOX[2])  # (the palm also clears the knobs' fins in front of the pan)


class PnPCounterToStove(PickPlaceExpert):
    FIXTURE, OBJECTS = "stove", ("object", "plate", "pan")

    def targets(self, obs, row):
        o, pan = self.pos(obs, row, "object"), self.pos(obs, row, "pan")
        place = np.array([pan[0], pan[1], _pan_top(pan) + F.BOX[2] / 2 + _GRIP_DZ])
        return dict(obj=o + [0, 0, _GRIP_DZ], place=place, carry_z=_OVER_STOVE)


class PnPStoveToCounter(PickPlaceExpert):
    FIXTURE, OBJECTS = "stove", ("object", "plate", "pan")

    def targets(self, obs, row):
        o, plate = self.pos(obs, row, "object"), self.pos(obs, row, "plate")
        place = np.array([plate[0], plate[1], _plate_top(plate) + F.BOX[2] / 2 + _GRIP_DZ])
        return dict(obj=o + [0, 0, _GRIP_DZ], place=place, carry_z=_OVER_STOVE)


class CoffeeSetupMug(PickPlaceExpert):
    FIXTURE = "coffee_station"

    def targets(self, obs, row):
        fix, dz = self.fix(obs, row), grip_dz(F.MUG[1])
        o = self.pos(obs, row, "object") + [0, 0, dz]
        place = P.at(fix, F.COFFEE_PLACE[:2], F.COFFEE_TRAY[2] + F.MUG[1] / 2 + dz)
        front = P.at(fix, (F.COFFEE_PLACE[0] - 0.14, F.COFFEE_PLACE[1]), F.COFFEE_TRAY[2] + F.MUG[1] / 2 + dz + 0.03)
        return dict(obj=o, place=place, carry_z=front[2], via=[front], withdraw=0.14)


class CoffeeServeMug(PickPlaceExpert):
    FIXTURE = "coffee_station"

    def targets(self, obs, row):
        fix, dz = self.fix(obs, row), grip_dz(F.MUG[1])
        o = self.pos(obs, row, "object") + [0, 0, dz]
        place = np.array([fix[0] - 0.16, fix[1] - 0.22, L.COUNTER_H + F.MUG[1] / 2 + dz])
        front = np.array([o[0] - 0.14, o[1], o[2] + 0.02])
        # in from the front, below the dispenser head (the first move from the ready pose, down
        # onto the mug, caught the head)
        return dict(obj=o, place=place, carry_z=o[2] + 0.02, lift=0.02, leave=[front],
                    approach=[(o[0] - 0.22, o[1], o[2] + 0.05)], above=0.02)
