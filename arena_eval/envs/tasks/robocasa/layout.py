"""Scene layout of the RoboCasa-style kitchen tasks, shared by the MJCF builders, the env cfgs
(inside Isaac Lab), the experts and the start-state samplers (outside it). Lengths in metres,
in the env frame: the Panda's base stands at (0, 0, COUNTER_H) on a pedestal, facing +x, and
the counter runs in front of it with a cabinet and a coffee machine on it."""

from __future__ import annotations

CONTROL_DT = 0.02  # 5 ms physics steps, 4 per control step (50 Hz)
COUNTER_H = 0.90  # counter top; the robot's base sits at this height
COUNTER_X = (0.22, 1.05)  # the counter's extent in x (its front edge clears the Panda's base)
COUNTER_Y = 0.8  # half width
PEDESTAL = 0.12  # half size of the pedestal under the robot
FRICTION = 1.5

# The kitchen fixture (one articulation): its root is the middle of the cabinet's front face at
# counter height. The cabinet's left half holds a drawer under an open cubby (the place target
# of the pick-and-place task); the right half is closed by a door hinged at its right edge; a
# coffee machine with a push button stands to the left of the cabinet.
CAB_X = 0.62
CAB_DEPTH = 0.32
CAB_HALF_W = 0.32
CAB_H = 0.50
SHELF_Z = 0.21  # top of the shelf between the drawer and the cubby (cubby floor), above the counter
CUBBY_Y = -0.165  # centre of the left half
DRAWER_Z = 0.105  # drawer centre above the counter
DRAWER_RANGE = 0.25
HANDLE_X = -0.07  # drawer handle bar centre in front of the drawer's front face (its body origin)
HANDLE_Z = 0.04  # above the drawer centre
HANDLE_GAP = (-0.062, -0.02)  # x range of the free gap between the bar and the drawer front
HINGE_Y = CAB_HALF_W - 0.01  # door hinge (at the cabinet's right edge) in fixture y
DOOR_W = 0.305
DOOR_T = 0.02  # panel thickness; its outer face is at x = -DOOR_T in the door's frame
MACHINE = ((-0.08, 0.22), (-0.58, -0.40), 0.36)  # coffee machine x range, y range, height
BUTTON_Y = -0.49
BUTTON_Z = 0.27
BUTTON_GAP = 0.02  # the button sits this far in front of the machine's face
BUTTON_HALF = (0.008, 0.022, 0.022)
BUTTON_RANGE = 0.015

FIXTURE_JITTER = 0.02  # +- x and y of the fixture, from the episode seed
# The "_wide" tasks place the fixture within +-8 cm: the handle and the button then move by
# more than the gripper can miss them by, so only a policy that sees where they are succeeds.
FIXTURE_JITTER_WIDE = 0.08
DOOR_OPEN = (0.85, 1.05)  # start angle range of the door (rad) in the close-door task

# The object of the pick-and-place task: a light box standing on the counter in front of the
# cubby, taken with a side grasp (the gripper pointing forward) and carried into the cubby.
OBJECT = (0.04, 0.04, 0.08)
OBJECT_MASS = 0.08
OBJECT_XY = (CAB_X - 0.12, CUBBY_Y)
OBJECT_JITTER = 0.02
OBJECT_REST_Z = COUNTER_H + OBJECT[2] / 2
CUBBY_REST_Z = COUNTER_H + SHELF_Z + OBJECT[2] / 2

# Success thresholds.
DRAWER_OPEN = 0.15  # m pulled out
DOOR_CLOSED = 0.05  # rad
BUTTON_PRESSED = 0.008  # m pushed in
