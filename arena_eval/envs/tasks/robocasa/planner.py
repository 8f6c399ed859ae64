"""Joint-space plans for the kitchen experts, solved offline with MuJoCo's kinematics.

The expert runs in the policy process, apart from the simulator: it solves the Panda's arm
IK (position and orientation of the grip site) on the same MJCF the simulator's USD was
converted from, then interpolates joint targets between waypoints (smoothstep), one plan per
episode from the fixture and object poses it observes at the start. A plan's vector is the
7 arm joint targets and the gripper command (+1 open, -1 closed).
"""

from __future__ import annotations

import math

import numpy as np

from ..g1.planner import Plan
from ..kinematics import dls_ik
from . import layout as L
from .robot import ARM_JOINTS, PANDA_XML, READY

OPEN, CLOSED = 1.0, -1.0
# Grip-site orientations (columns: the closing axis x, y, the approach axis z), world frame.
DOWN = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])  # pointing down, closing along y
FORWARD = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # pointing +x, closing along y
# IK from the ready pose finds no forward-pointing solution near the counter (it runs into
# joint limits); from this seed (wrist turned) it does, for the whole reach of these tasks.
FORWARD_SEED = np.array([0.0, 0.2, 0.0, -2.0, 1.57, 1.57, -0.8])


def down_along(direction_xy: np.ndarray) -> np.ndarray:
    """Pointing down with the closing axis along a horizontal direction."""
    x = np.array([direction_xy[0], direction_xy[1], 0.0])
    x /= np.linalg.norm(x)
    z = np.array([0.0, 0.0, -1.0])
    return np.column_stack([x, np.cross(z, x), z])


def ik(pos: np.ndarray, rot: np.ndarray, q0: np.ndarray, iters: int = 300) -> tuple[np.ndarray, float]:
    """Arm IK putting the grip site at `pos` (env frame) with orientation `rot`. Damped least
    squares from `q0`, 2 cm inside the joint limits; returns the joints and the error left."""
    target = np.asarray(pos, float) - np.array([0.0, 0.0, L.COUNTER_H])  # the MJCF's base is at its origin

    def rot_err(r):
        return 0.5 * sum(np.cross(r[:, k], rot[:, k]) for k in range(3))

    q, at, r = dls_ik(PANDA_XML, ARM_JOINTS, "grip", target, q0, rot_err, rot_weight=1.0, damping=1e-4, margin=0.02,
                      iters=iters)
    return q, float(np.linalg.norm(target - at) + 0.1 * np.linalg.norm(r - rot))


class Planner:
    """Builds a plan waypoint by waypoint, each IK seeded by the previous solution."""

    def __init__(self):
        self.q = np.array(READY, float)
        self.segs: list[tuple[float, np.ndarray]] = []
        self.max_err = 0.0

    def move(self, dur: float, pos, rot, grip: float) -> "Planner":
        self.q, err = ik(np.asarray(pos, float), rot, self.q)
        self.max_err = max(self.max_err, err)
        self.segs.append((dur, np.concatenate([self.q, [grip]])))
        return self

    def line(self, dur: float, a, b, rot, grip: float, n: int = 4) -> "Planner":
        """Straight-line motion from a to b in n IK steps (joint interpolation between them)."""
        a, b = np.asarray(a, float), np.asarray(b, float)
        for k in range(1, n + 1):
            self.move(dur / n, a + (b - a) * k / n, rot, grip)
        return self

    def hold(self, dur: float, grip: float | None = None) -> "Planner":
        q = self.segs[-1][1].copy()
        if grip is not None:
            q[-1] = grip
        self.segs.append((dur, q))
        return self

    def plan(self) -> Plan:
        plan = Plan(self.segs, start=np.concatenate([np.array(READY, float), [OPEN]]))
        plan.ik_error = self.max_err  # the worst waypoint's IK residual (a check for tests)
        return plan


def fixture_point(fix: np.ndarray, local) -> np.ndarray:
    """A point given in the fixture frame (root at its front face, counter height) -> env frame."""
    return np.asarray(fix, float) + np.asarray(local, float)


def open_drawer_plan(fix: np.ndarray) -> Plan:
    """Closed gripper pointing down into the gap behind the handle bar, pull the drawer out."""
    gap_x = (L.HANDLE_GAP[0] + L.HANDLE_GAP[1]) / 2
    hook = fixture_point(fix, (gap_x, L.CUBBY_Y, L.DRAWER_Z + L.HANDLE_Z - 0.012))
    above = hook + [0.0, 0.0, 0.10]
    pulled = hook + [-(L.DRAWER_RANGE - 0.03), 0.0, 0.0]
    p = Planner()
    p.move(1.2, above, DOWN, CLOSED).hold(0.2)
    p.line(0.8, above, hook, DOWN, CLOSED, n=3).hold(0.2)
    p.line(2.2, hook, pulled, DOWN, CLOSED, n=6).hold(0.3)
    p.line(0.6, pulled, pulled + [0.0, 0.0, 0.10], DOWN, CLOSED, n=2)
    return p.plan()


def close_door_plan(fix: np.ndarray, theta0: float) -> Plan:
    """Push the open door shut with the side of the closed gripper on its outer face, following
    the door's arc about the hinge."""
    hinge = fixture_point(fix, (-0.002, L.HINGE_Y, 0.0))
    z = L.COUNTER_H + 0.07
    r, off = 0.17, 0.04 + L.DOOR_T

    def at(theta: float) -> tuple[np.ndarray, np.ndarray]:
        along = np.array([-math.sin(theta), -math.cos(theta)])  # hinge -> free edge
        normal = np.array([-math.cos(theta), math.sin(theta)])  # the outer face's normal
        xy = hinge[:2] + r * along + off * normal
        return np.array([xy[0], xy[1], z]), down_along(along)

    p = Planner()
    start, rot = at(theta0 + 0.05)
    out = start + np.concatenate([0.08 * np.array([-math.cos(theta0), math.sin(theta0)]), [0.0]])
    high = np.array([out[0], out[1], L.COUNTER_H + L.CAB_H + 0.08])  # over the door's top edge
    p.move(1.0, high, rot, CLOSED)
    p.line(0.8, high, out, rot, CLOSED, n=3)
    p.move(0.6, start, rot, CLOSED).hold(0.1)
    n = 10
    for k in range(1, n + 1):
        th = theta0 + 0.05 - (theta0 + 0.15) * k / n
        pos, rot = at(th)
        p.move(3.0 / n, pos, rot, CLOSED)
    p.hold(0.4)
    pos, rot = at(0.0)
    p.move(0.6, pos + [-0.08, 0.0, 0.0], rot, CLOSED)
    return p.plan()


def press_button_plan(fix: np.ndarray) -> Plan:
    """Closed gripper pointing forward; push the button in with the fingertips and back off."""
    face_x = L.MACHINE[0][0] - L.BUTTON_GAP - 2 * L.BUTTON_HALF[0]
    tip = 0.011  # the pads' ends lie this far beyond the grip site
    front = fixture_point(fix, (face_x - tip - 0.06, L.BUTTON_Y, L.BUTTON_Z))
    # 3.5 cm past the face: the arm sags short of its targets by a centimetre or two; the
    # button stops at its joint limit and the hand pushes on it through the spring.
    pressed = fixture_point(fix, (face_x - tip + 0.035, L.BUTTON_Y, L.BUTTON_Z))
    p = Planner()
    p.q = FORWARD_SEED.copy()
    p.move(0.8, front + [-0.1, 0.0, 0.1], FORWARD, CLOSED)
    p.move(0.7, front, FORWARD, CLOSED).hold(0.2)
    p.line(1.0, front, pressed, FORWARD, CLOSED, n=3).hold(0.4)
    p.line(0.6, pressed, front, FORWARD, CLOSED, n=2)
    return p.plan()


def pick_place_plan(fix: np.ndarray, obj: np.ndarray) -> Plan:
    """Side grasp of the box on the counter (pointing forward), lift above the shelf, carry it
    into the cubby, set it down, open and back out."""
    grasp = np.asarray(obj, float) + [0.0, 0.0, 0.0]
    back = grasp + [-0.10, 0.0, 0.0]
    shelf_z = L.COUNTER_H + L.SHELF_Z
    place = fixture_point(fix, (0.15, L.CUBBY_Y, 0.0))
    place[2] = shelf_z + L.OBJECT[2] / 2 + 0.004
    lift_z = place[2] + 0.035
    p = Planner()
    p.q = FORWARD_SEED.copy()
    p.move(0.8, back + [0, 0, 0.15], FORWARD, OPEN)
    p.move(0.6, back + [0, 0, 0.06], FORWARD, OPEN)
    p.move(0.6, back, FORWARD, OPEN)
    p.line(0.8, back, grasp, FORWARD, OPEN, n=3).hold(0.2)
    p.hold(0.6, CLOSED).hold(0.3)
    # Draw the box back from the cabinet before lifting it: with the box and the cabinet
    # jittered towards each other, lifting straight up caught its far edge (and the pads' tips)
    # on the drawer's handle bar (4 of 20 episodes).
    drawn = grasp + [-0.05, 0.0, 0.01]
    p.line(0.5, grasp, drawn, FORWARD, CLOSED, n=2)
    up = np.array([drawn[0], drawn[1], lift_z])
    p.line(1.2, drawn, up, FORWARD, CLOSED, n=4)
    front = np.array([place[0] - 0.20, place[1], lift_z])
    p.line(0.6, up, front, FORWARD, CLOSED, n=2)
    p.line(1.4, front, [place[0], place[1], lift_z], FORWARD, CLOSED, n=5)
    p.line(0.6, [place[0], place[1], lift_z], place, FORWARD, CLOSED, n=2).hold(0.3)
    p.hold(0.5, OPEN)
    p.line(1.0, place, place + [-0.22, 0.0, 0.0], FORWARD, OPEN, n=4)
    return p.plan()
