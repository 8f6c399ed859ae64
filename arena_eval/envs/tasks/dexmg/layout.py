"""Scene layout of the DexMG-like tasks, shared by the env cfgs (inside Isaac Lab) and the
experts and start-state samplers (outside it). Lengths in metres, in the env frame."""

from __future__ import annotations

import math

CONTROL_DT = 0.02  # 5 ms physics steps, 4 per control step (50 Hz)
FRICTION = 1.5
OBJECT_JITTER = 0.02  # +- per axis (box or tray), drawn from the episode seed

# ---- Fourier GR1 (fixed base, pelvis at the origin in x, y)
GR1_ROOT_Z = 0.95  # the MJCF's pelvis sits at the origin with the feet at -0.97
GR1_TABLE_H = 0.90
GR1_TABLE_SIZE = (0.5, 1.0)
GR1_TABLE_XY = (0.45, 0.0)
GR1_BOX = (0.15, 0.20, 0.15)  # depth (x), width between the palms (y), height
GR1_BOX_XY = (0.32, 0.0)
GR1_BOX_MASS = 0.3
GR1_BOX_REST_Z = GR1_TABLE_H + GR1_BOX[2] / 2
# The sorting task: an open tray to the robot's right, reached by turning the waist (the
# box travels on a circle about the waist axis, at the pelvis origin). The arms reach the
# box only about 0.36 m out at table height, so the tray sits at about the box's radius,
# turned far enough (1 rad; the waist's range is 1.05) that it clears the box's start
# footprint at any jitter; the box starts a little left of centre for that too. The part
# of the tray beyond the table's front edge stands on a post.
GR1_SORT_BOX_XY = (0.30, 0.03)
GR1_BIN_YAW = -1.0
GR1_BIN_RADIUS = 0.33
GR1_BIN_XY = (GR1_BIN_RADIUS * math.cos(GR1_BIN_YAW), GR1_BIN_RADIUS * math.sin(GR1_BIN_YAW))
# Where the expert sets the box down, in the turned waist frame: the held box lands 2 to 3
# cm short of the pads' planned reach (the arms sag), so aim beyond the tray's centre.
GR1_PLACE_XY = (0.345, 0.0)
# Inside the walls: 4 cm of room radially (where the landing spot varies), 2 cm sideways.
GR1_BIN_INNER = (0.23, 0.24)
GR1_BIN_FLOOR = 0.01
GR1_BIN_WALL = (0.01, 0.03)  # thickness, height above the floor
GR1_BOX_IN_BIN_Z = GR1_TABLE_H + GR1_BIN_FLOOR + GR1_BOX[2] / 2

# ---- Two Panda arms (fixed bases at (0, +-0.30) on a plate at the table height)
PANDA_TABLE_H = 0.80
PANDA_BASE_Z = PANDA_TABLE_H  # the arms stand on the table's back edge
PANDA_TABLE_SIZE = (0.7, 1.2)
PANDA_TABLE_XY = (0.40, 0.0)
TRAY = (0.16, 0.36, 0.06)  # depth (x), length between the paddles (y), height
TRAY_XY = (0.50, 0.0)
TRAY_MASS = 0.4
TRAY_REST_Z = PANDA_TABLE_H + TRAY[2] / 2
# A start pose with the paddles above the table, pointing down (robosuite's Panda init
# pose with the first joint turned towards the tray).
PANDA_READY = (0.0, 0.2, 0.0, -2.2, 0.0, 2.4, 0.785)
