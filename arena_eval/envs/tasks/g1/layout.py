"""Scene layout of the G1 tasks, shared by the env cfgs (inside Isaac Lab) and the experts
and start-state samplers (outside it). Lengths in metres, in the env frame; the robot's
pelvis (and the waist axis) stands at the origin."""

from __future__ import annotations

import math

PELVIS_Z = 0.793  # the MJCF's pelvis height; the USD root must be spawned there
# Start pose: arms spread by the shoulder roll so the forearms clear the box (at all zeros
# they graze its sides and kick it at the first step).
READY_POSE = {"left_shoulder_roll_joint": 0.3, "right_shoulder_roll_joint": -0.3}
# Squeeze above the box's centre of mass: the box then hangs from the contacts like a
# pendulum instead of pivoting about the squeeze axis (MJWarp gives little torsional friction).
GRIP_ABOVE_COM = 0.025
CONTROL_DT = 0.02  # 5 ms physics steps, 4 per control step (50 Hz)
TABLE_H = 0.77  # the hands reach the box centre only with the table top this high
TABLE_SIZE = (0.5, 1.0)
TABLE_XY = (0.40, 0.0)
BOX = (0.15, 0.20, 0.15)  # depth (x), width between the palms (y), height
BOX_XY = (0.29, 0.0)
BOX_JITTER = 0.02  # +- per axis, drawn from the episode seed
BOX_MASS = 0.4
FRICTION = 1.5
# The bin: a tray beside the table on a stand, to the robot's right as in the Arena task,
# reached by turning the waist (the box travels on a circle around the waist axis). It must
# not overlap the box's start footprint at any jitter: a tray at yaw -0.9 did, and kicked
# the box at the first step. The pads stay above the walls when the box is set down, so the
# tray only needs room for the box (2 cm a side). (Starting the box further left instead, so
# that a tray at -0.9 clears it, cost more placements than the wider turn does.)
BIN_YAW = -1.3
BIN_XY = (math.hypot(*BOX_XY) * math.cos(BIN_YAW), math.hypot(*BOX_XY) * math.sin(BIN_YAW))
BIN_INNER = (0.19, 0.24)  # inside the walls
BIN_STAND = (0.08, 0.08)  # the stand's footprint under the tray (clear of the right leg)
BIN_FLOOR = 0.01
BIN_WALL = (0.01, 0.03)  # thickness, height above the floor
BOX_REST_Z = TABLE_H + BOX[2] / 2
BOX_IN_BIN_Z = TABLE_H + BIN_FLOOR + BOX[2] / 2

# Loco-manipulation: the bin stands on a second table out of the arms' reach, to the right;
# the robot carries the box there on its planar base.
TABLE_B_XY = (0.40, -1.2)
BIN_B_XY = (0.29, -1.2)
BIN_B_INNER = (0.26, 0.36)  # placed after a drive: more room (the original tray)
DRIVE_SPEED = 0.3  # m/s, sideways
