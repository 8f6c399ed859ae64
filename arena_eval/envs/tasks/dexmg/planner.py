"""Joint-space plans for the DexMG experts, solved offline with MuJoCo's kinematics.

As for the G1 (`tasks/g1/planner.py`): the expert runs in the policy process, solves arm IK
on the MJCF the simulator's USD was converted from, and interpolates joint targets between
waypoints, one plan per episode from the object pose it observes at the start. Every plan
is a two-pad squeeze: pads beside the object's faces, pressed in by `squeeze` (position
error x stiffness = grip force), lifted, moved, held or set down.
"""

from __future__ import annotations

import numpy as np

from ..g1.planner import Plan
from ..kinematics import dls_ik
from . import layout as L
from .robot import GR1_ARM_JOINTS, GR1_PAD_HALF, GR1_XML, PANDA_ARM_JOINTS, PANDA_PAD_HALF, PANDA_XML


def _gr1_rot(r):
    # Palm normal (site y) along world y, fingers (site -z) forward along world +x.
    return np.cross(r[:, 1], [0, 1, 0]) + 0.3 * np.cross(r[:, 2], [-1, 0, 0])


def _panda_rot(r):
    # Paddle pointing down (site z along world -z), its face normal (site y) along world y.
    return np.cross(r[:, 2], [0, 0, -1]) + np.cross(r[:, 1], [0, 1, 0])


class TwoPads:
    """Both pads beside an object of width `width` (along y) centred at `centre` (env frame):
    joint targets for [left arm 7, right arm 7], pads `gap` outside the faces (negative:
    pressed in). Each IK starts from the last solution, so consecutive waypoints stay on one
    branch."""

    def __init__(self, robot: str):
        self.robot = robot
        if robot == "gr1":
            self.xml, self.pad_t, self.rot = GR1_XML, GR1_PAD_HALF[1], _gr1_rot
            self.sites = {"left": "l_pad", "right": "r_pad"}
            self.joints = GR1_ARM_JOINTS
            self.origin = np.array([0.0, 0.0, L.GR1_ROOT_Z])
            start = np.zeros(7)
            self.prev = {"left": start, "right": start}
        else:
            self.xml, self.pad_t, self.rot = PANDA_XML, PANDA_PAD_HALF[1], _panda_rot
            self.sites = {"left": "left_pad", "right": "right_pad"}
            self.joints = PANDA_ARM_JOINTS
            self.origin = np.array([0.0, 0.0, L.PANDA_BASE_Z])
            self.prev = {"left": np.array(L.PANDA_READY), "right": np.array(L.PANDA_READY)}
        self.max_err = 0.0

    def __call__(self, centre, width: float, gap: float, dy: float = 0.0) -> np.ndarray:
        q = []
        for side, sign in (("left", 1.0), ("right", -1.0)):
            p = np.asarray(centre, float) + np.array([0.0, sign * (width / 2 + self.pad_t + gap + dy), 0.0])
            target = p - self.origin
            qs, at, _ = dls_ik(self.xml, self.joints[side], self.sites[side], target, self.prev[side], self.rot)
            err = float(np.linalg.norm(target - at))
            self.prev[side] = qs
            self.max_err = max(self.max_err, err)
            q.append(qs)
        return np.concatenate(q)


def gr1_start() -> np.ndarray:
    return np.zeros(14)


def panda_start() -> np.ndarray:
    return np.concatenate([L.PANDA_READY, L.PANDA_READY])


def gr1_approach(pads: TwoPads, c: np.ndarray, width: float, out: float) -> list[tuple[float, np.ndarray]]:
    """From the hanging arms to the pre-grasp: raise the pads in front of the body, above
    the table edge, then over the box, then beside its faces (sweeping in low would drag
    the hands through the table)."""
    return [
        (0.5, pads(np.array([0.10, c[1], c[2] + 0.10]), width, out + 0.05)),
        (0.35, pads(c + np.array([0, 0, 0.08]), width, out + 0.03)),
        (0.35, pads(c, width, out)),
    ]


def _with_waist(q14: np.ndarray, yaw: float = 0.0) -> np.ndarray:
    return np.concatenate([q14, [yaw, 0.0, 0.0]])


def gr1_lift_plan(box_pos, squeeze: float = 0.015, lift: float = 0.10, out: float = 0.03) -> Plan:
    """GR1 two-palm squeeze of the box, lift, hold (the kit-less notes' 15/15 motion).
    Targets for [left arm 7, right arm 7, waist 3]."""
    pads = TwoPads("gr1")
    w = L.GR1_BOX[1]
    c = np.asarray(box_pos, float)
    segs = gr1_approach(pads, c, w, out)
    q = pads(c, w, -squeeze)
    segs += [(0.6, q), (0.3, q)]
    for k in range(1, 7):
        segs.append((1.2 / 6, pads(c + np.array([0, 0, lift * k / 6]), w, -squeeze)))
    segs.append((3.0, segs[-1][1]))
    plan = Plan([(d, _with_waist(q)) for d, q in segs], start=_with_waist(gr1_start()))
    plan.ik_err = pads.max_err  # for checks
    return plan


def gr1_sort_plan(box_pos, squeeze: float = 0.015, lift: float = 0.10, out: float = 0.03, turn_s: float = 2.2) -> Plan:
    """Squeeze the box, lift it (drifting to the place point), turn the waist to the tray,
    let the swing die down, lower it in, open, retreat."""
    pads = TwoPads("gr1")
    w = L.GR1_BOX[1]
    c = np.asarray(box_pos, float)
    segs = [(d, _with_waist(q)) for d, q in gr1_approach(pads, c, w, out)]
    q = _with_waist(pads(c, w, -squeeze))
    segs += [(0.6, q), (0.3, q)]
    top = np.array([L.GR1_PLACE_XY[0], L.GR1_PLACE_XY[1], c[2] + lift])
    for k in range(1, 5):
        segs.append((1.0 / 4, _with_waist(pads(c + (top - c) * k / 4, w, -squeeze))))
    yaw = L.GR1_BIN_YAW
    segs.append((turn_s, _with_waist(segs[-1][1][:14], yaw)))
    segs.append((0.4, segs[-1][1]))
    down = np.array([top[0], top[1], L.GR1_BOX_IN_BIN_Z + 0.005])
    for k in range(1, 5):
        segs.append((1.0 / 4, _with_waist(pads(top + (down - top) * k / 4, w, -squeeze), yaw)))
    segs.append((0.2, segs[-1][1]))
    segs.append((0.5, _with_waist(pads(down, w, out), yaw)))  # open
    segs.append((0.6, _with_waist(pads(down + np.array([0, 0, 0.12]), w, out), yaw)))  # retreat
    segs.append((2.0, segs[-1][1]))
    plan = Plan(segs, start=_with_waist(gr1_start()))
    plan.ik_err = pads.max_err
    return plan


def panda_tray_plan(tray_pos, squeeze: float = 0.012, lift: float = 0.12, out: float = 0.04) -> Plan:
    """Two Pandas: paddles above the tray's ends, down beside them, squeeze, lift, hold."""
    pads = TwoPads("panda")
    w = L.TRAY[1]
    c = np.asarray(tray_pos, float) + np.array([0.0, 0.0, 0.005])
    # In straight lines from above: a joint-space sweep from the start pose dips the
    # paddles through the tray.
    above = c + np.array([0, 0, 0.12])
    segs = [(0.4, pads(above + np.array([0, 0, 0.08]), w, out + 0.04))]
    segs.append((0.4, pads(above, w, out)))
    for k in range(1, 4):
        segs.append((0.6 / 3, pads(above + (c - above) * k / 3, w, out)))
    q = pads(c, w, -squeeze)
    segs += [(0.5, q), (0.3, q)]
    for k in range(1, 7):
        segs.append((1.0 / 6, pads(c + np.array([0, 0, lift * k / 6]), w, -squeeze)))
    segs.append((3.0, segs[-1][1]))
    plan = Plan(segs, start=panda_start())
    plan.ik_err = pads.max_err
    return plan


__all__ = ["TwoPads", "gr1_lift_plan", "gr1_sort_plan", "panda_tray_plan"]
