"""Geometry of the kitchen fixtures added for RoboCasa's 24 tasks (the double- and single-door
cabinets, the microwave, the vessel sink with its faucet, the cooktop with its knobs, the coffee
station with its mug place) and of the objects they hold, shared by the MJCF builders
(`appliances.py`), the env cfgs (inside Isaac Lab), the experts and the samplers (outside it).

The original kitchen (`layout.py`, `kitchen.py`) is left as it is: the shipped camera checkpoint
was trained and gated on it. Conventions are the same: lengths in metres; a fixture's frame has
its origin in the middle of its front face at counter height, x pointing away from the robot, y
to the robot's left; each fixture stands on the counter in front of the Panda's pedestal, which
reaches every one of them (so no mobile base: see docs/robocasa.md).

Hinged parts (doors, knobs, levers) are described by `Hinge`: a vertical axis at `pivot`, and a
rest direction `rest` in which the part points at angle 0. `sign` says which way a positive
joint angle turns it seen from above (+1 counterclockwise, -1 clockwise), so every success rule
reads the joint exactly as RoboCasa reads its own.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import layout as L


@dataclasses.dataclass(frozen=True)
class Hinge:
    """A part turning about a vertical axis at `pivot` (fixture frame, x y), pointing along
    `rest` (a unit xy direction) at angle 0; `sign` +1 turns it counterclockwise seen from above
    for a positive joint angle, -1 clockwise."""

    joint: str
    pivot: tuple[float, float]
    rest: tuple[float, float]
    sign: int

    def along(self, theta: float) -> np.ndarray:
        """The part's direction at joint angle theta (pivot -> tip)."""
        a = self.sign * theta
        c, s = math.cos(a), math.sin(a)
        x, y = self.rest
        return np.array([c * x - s * y, s * x + c * y])

    def push_normal(self, theta: float) -> np.ndarray:
        """The direction the part's tip moves in as theta grows (unit, horizontal)."""
        d = self.along(theta)
        return self.sign * np.array([-d[1], d[0]])

    def point(self, theta: float, r: float, n: float = 0.0) -> np.ndarray:
        """The fixture-frame xy of a point r along the part and n along push_normal."""
        return np.asarray(self.pivot) + r * self.along(theta) + n * self.push_normal(theta)


@dataclasses.dataclass(frozen=True)
class Door:
    """A hinged door: its hinge, panel and the horizontal bar handle near its free edge (the
    bar stands `bar_gap` in front of the panel on two end standoffs, open from above, so a
    closed gripper pointing down hooks into the gap behind it)."""

    hinge: Hinge
    width: float
    height: float  # panel height
    z: float  # panel centre above the counter
    thick: float = 0.02
    bar_r: float = 0.0  # bar centre from the hinge, along the panel
    bar_z: float = 0.0  # bar centre above the counter
    bar_len: float = 0.12
    bar_gap: float = 0.065  # free gap between the panel's outer face and the bar

    @property
    def bar_n(self) -> float:
        """The bar's centre in front of the hinge line (outward: towards the robot when shut)."""
        return self.thick + self.bar_gap + 0.008


# Every door opens with a positive angle, swinging its free edge towards the robot: its outer
# face (the one facing the robot when shut) is on the push_normal side.

# ---------------------------------------------------------------- cabinets
CAB_DEPTH, CAB_H, CAB_T = 0.30, 0.45, 0.012
CAB_X = 0.60  # the new cabinets' front face (env x) at their nominal place
DCAB_HALF_W = 0.30
SCAB_HALF_W = 0.19
_DOOR_H, _DOOR_Z, _BAR_Z = CAB_H - 0.03, CAB_H / 2, 0.33


def _door(joint: str, hinge_y: float, width: float, side: int) -> Door:
    # side +1: hinged at the door's left (+y) edge, the panel reaching towards -y; a positive
    # angle swings the free edge towards the robot (clockwise seen from above).
    rest = (0.0, -1.0) if side > 0 else (0.0, 1.0)
    return Door(Hinge(joint, (-0.002, hinge_y), rest, -side), width, _DOOR_H, _DOOR_Z,
                bar_r=width - 0.07, bar_z=_BAR_Z)


DOUBLE_DOORS = (
    _door("left_door_joint", DCAB_HALF_W - 0.01, DCAB_HALF_W - 0.015, +1),
    _door("right_door_joint", -(DCAB_HALF_W - 0.01), DCAB_HALF_W - 0.015, -1),
)
SINGLE_DOOR = _door("door_joint", SCAB_HALF_W - 0.01, 2 * SCAB_HALF_W - 0.025, +1)
DOOR_RANGE = 1.70  # rad
DOOR_NORM = math.pi / 2  # RoboCasa normalises hinge angles by pi/2 (get_door_state)

# ---------------------------------------------------------------- microwave
MW_X = 0.58
MW_DEPTH, MW_H, MW_Y = 0.36, 0.30, (-0.26, 0.26)
MW_CAVITY = ((0.02, MW_DEPTH - 0.03), (-0.08, 0.23), (0.03, 0.25))  # interior x, y, z ranges
MW_DOOR = Door(Hinge("mw_door_joint", (-0.002, 0.25), (0.0, -1.0), -1), 0.34, 0.28, 0.15)
MW_TURNTABLE = ((0.175, 0.075), 0.11, 0.035)  # centre xy, radius, top z
MW_PANEL_Y = -0.18  # the control panel's buttons (y)
MW_BUTTON_HALF = (0.008, 0.02, 0.015)
MW_BUTTON_GAP = 0.02  # the buttons stand this far in front of the panel
MW_BUTTON_RANGE = 0.012
MW_BUTTONS = {"start_button_joint": 0.19, "stop_button_joint": 0.12}  # joint -> centre height
MW_PRESSED = 0.006  # m pushed in: a press (RoboCasa: a gripper contact)

# ---------------------------------------------------------------- sink (a vessel basin on the counter)
SINK_X = 0.30
SINK_DEPTH, SINK_HALF_W, SINK_WALL, SINK_H = 0.34, 0.21, 0.015, 0.10
SINK_INSIDE = ((SINK_WALL, SINK_DEPTH - SINK_WALL), (-SINK_HALF_W + SINK_WALL, SINK_HALF_W - SINK_WALL),
               (0.01, SINK_H))  # interior x, y, z ranges (floor 1 cm)
FAUCET_X = SINK_DEPTH + 0.03  # the faucet column's axis, behind the basin
SPOUT = Hinge("spout_joint", (FAUCET_X, 0.0), (-1.0, 0.0), +1)  # negative: the spout's tip to the robot's left
SPOUT_Z, SPOUT_LEN = 0.28, 0.18
HANDLE = Hinge("handle_joint", (FAUCET_X, -0.12), (-1.0, 0.0), +1)  # positive: the lever to the right
HANDLE_Z, HANDLE_LEN = 0.14, 0.075

# ---------------------------------------------------------------- cooktop (knobs on its front strip)
STOVE_X = 0.40
STOVE_DEPTH, STOVE_HALF_W, STOVE_H = 0.42, 0.30, 0.05
BURNERS = {"rear_left": (0.32, 0.15), "front_left": (0.15, 0.15), "front_right": (0.15, -0.15),
           "rear_right": (0.32, -0.15)}
KNOB_Y = {"rear_left": 0.21, "front_left": 0.09, "front_right": -0.09, "rear_right": -0.21}
KNOB_X, KNOB_R, KNOB_H = 0.035, 0.018, 0.018
FIN_LEN, FIN_H = 0.042, 0.022  # the pointer fin on each knob (from the axis), its height
KNOBS = {loc: Hinge(f"knob_{loc}_joint", (KNOB_X, y), (-1.0, 0.0), +1) for loc, y in KNOB_Y.items()}
KNOB_RANGE = (-1.65, 1.65)
STOVE_ON_MIN = 0.35  # RoboCasa: a knob is on when 0.35 <= |angle mod 2 pi| <= 2 pi - 0.35

# ---------------------------------------------------------------- coffee station (dispenser and mug place)
COFFEE_X = 0.62
COFFEE_BODY = ((0.0, 0.25), (-0.10, 0.10), 0.38)  # x range, y range, height
COFFEE_HEAD = ((-0.12, 0.0), (-0.06, 0.06), (0.28, 0.34))  # the dispenser head over the tray
COFFEE_TRAY = ((-0.14, 0.0), (-0.09, 0.09), 0.02)  # the drip tray (x, y ranges, top height)
COFFEE_PLACE = (-0.065, 0.0, 0.02)
COFFEE_BUTTON = (-0.02, 0.075, 0.24)  # its body (2 cm in front of the face), beside the head
COFFEE_BUTTON_HALF = (0.008, 0.015, 0.015)  # RoboCasa's receptacle_place_site: under the dispenser, on the tray

# ---------------------------------------------------------------- objects
# Free objects, held by contact (side grasp, gripper pointing forward, or from above).
CAN = (0.026, 0.10)  # cylinder radius, height
MUG = (0.031, 0.09)
BOX = (0.04, 0.05, 0.07)
PLATE = (0.085, 0.014)  # a flat disc: radius, height
PAN = (0.09, 0.025)
OBJECT_MASS = 0.08
PLATE_MASS = 0.4

# RoboCasa's thresholds (robocasa/utils/object_utils.py, the fixtures' get_state functions).
GRIPPER_OBJ_FAR = 0.25  # OU.gripper_obj_far
GRIPPER_BUTTON_FAR = 0.15  # coffee machine and microwave gripper_button_far
DOOR_OPEN_FRAC, DOOR_CLOSED_FRAC = 0.90, 0.05  # ManipulateDoor._check_success
DRAWER_OPEN_FRAC, DRAWER_CLOSED_FRAC = 0.95, 0.05  # ManipulateDrawer._check_success
FAUCET_ON = (0.40, math.pi)  # Sink.get_handle_state: water_on
SPOUT_LEFT = (math.pi, 2 * math.pi - math.pi / 6)  # spout_ori "left" (angle mod 2 pi)

# ---------------------------------------------------------------- where things stand (env frame, nominal)
FIXTURE_X = {"double_cabinet": CAB_X, "single_cabinet": CAB_X, "microwave": MW_X, "sink": SINK_X,
             "stove": STOVE_X, "coffee_station": COFFEE_X}
STOVE_KNOB = {"on": "front_left", "off": "front_right"}  # the burner each stove task names
# The fixture's joints in the order its observation `fixture_joints` gives them.
FIXTURE_JOINTS = {
    "double_cabinet": [d.hinge.joint for d in DOUBLE_DOORS],
    "single_cabinet": [SINGLE_DOOR.hinge.joint],
    "microwave": ["mw_door_joint", "start_button_joint", "stop_button_joint"],
    "sink": ["spout_joint", "handle_joint"],
    "stove": [k.joint for k in KNOBS.values()],
    "coffee_station": ["coffee_button_joint"],
    "kitchen": ["drawer_joint", "door_joint", "button_joint"],  # the original kitchen (kitchen.JOINTS)
}


def at(name: str, x: float, y: float, z: float) -> tuple[float, float, float]:
    """An env-frame point of fixture `name` at its nominal place (fixture-frame x, y; z above the counter)."""
    return (FIXTURE_X[name] + x, y, L.COUNTER_H + z)


def rest(h: float, x: float, y: float, z0: float = 0.0) -> tuple[float, float, float]:
    """Where an object of height h stands on the counter (or z0 above it) at x, y (1 mm up)."""
    return (x, y, L.COUNTER_H + z0 + h / 2 + 0.001)


# Each scene's objects stand at their first place (the scene cfgs' defaults); a task's sampler
# moves them to its own start (offsets from these), with the fixture's jitter and their own.
CUBBY = (L.CAB_X + 0.15, L.CUBBY_Y, L.COUNTER_H + L.SHELF_Z + L.OBJECT[2] / 2 + 0.001)
SINK_IN = at("sink", 0.22, -0.06, SINK_INSIDE[2][0] + CAN[1] / 2 + 0.001)
SINK_CAN = rest(CAN[1], 0.46, -0.40)  # the palm (20 cm wide) clear of the basin
SINK_PLATE = rest(PLATE[1], 0.47, 0.39)
MW_IN = at("microwave", MW_TURNTABLE[0][0], MW_TURNTABLE[0][1], MW_TURNTABLE[2] + BOX[2] / 2 + 0.001)
MW_BOX = rest(BOX[2], 0.45, -0.05)
MW_PLATE = rest(PLATE[1], 0.45, -0.33)
STOVE_PLATE = rest(PLATE[1], 0.46, -0.42)
STOVE_BOX = rest(BOX[2], 0.46, -0.42, PLATE[1])  # on the plate
PAN_BURNER = "front_left"
STOVE_PAN = at("stove", *BURNERS[PAN_BURNER], STOVE_H + 0.002 + PAN[1] / 2 + 0.001)
STOVE_BOX_IN_PAN = at("stove", *BURNERS[PAN_BURNER], STOVE_H + 0.002 + PAN[1] + BOX[2] / 2 + 0.001)
COFFEE_MUG = rest(MUG[1], 0.46, -0.22)
COFFEE_TRAY_MUG = at("coffee_station", COFFEE_PLACE[0], COFFEE_PLACE[1], COFFEE_PLACE[2] + MUG[1] / 2 + 0.001)
