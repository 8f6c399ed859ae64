"""Joint-space plans for the G1 experts, solved offline with MuJoCo's kinematics.

The expert runs in the policy process, apart from the simulator: it solves arm IK on the
same MJCF the simulator's USD was converted from, then interpolates joint targets between
waypoints (smoothstep), one plan per episode from the object pose it observes at the start.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..kinematics import dls_ik
from .layout import GRIP_ABOVE_COM, READY_POSE
from .robot import ARM_JOINTS, G1_PAD_XML, PAD_HALF


def ready_targets() -> np.ndarray:
    """The start pose as [left arm 7, right arm 7, waist 3] targets."""
    names = ARM_JOINTS["left"] + ARM_JOINTS["right"]
    return np.array([READY_POSE.get(n, 0.0) for n in names] + [0.0, 0.0, 0.0])


def _palms_facing(r: np.ndarray) -> np.ndarray:
    # Pad face normal (site y) along world y, site x along world x.
    return np.cross(r[:, 1], [0, 1, 0]) + 0.3 * np.cross(r[:, 0], [1, 0, 0])


def ik(side: str, pos: np.ndarray, q0: np.ndarray, iters: int = 400) -> tuple[np.ndarray, float]:
    """7-joint arm IK (waist at 0) putting the pad centre at `pos` with the pad face normal
    along the world y axis (palms facing each other); returns the joints and the position
    error left."""
    q, at, _ = dls_ik(G1_PAD_XML, ARM_JOINTS[side], f"{side}_pad", pos, q0, _palms_facing, iters=iters)
    return q, float(np.linalg.norm(pos - at))


@dataclasses.dataclass
class Plan:
    """Waypoints of (duration s, target vector); `at(t)` interpolates with smoothstep."""

    segments: list[tuple[float, np.ndarray]]
    start: np.ndarray
    transit: tuple[float, float] = (0.0, 0.0)  # start and end time of the carry phase

    def at(self, t: float) -> np.ndarray:
        prev, t0 = self.start, 0.0
        for dur, q in self.segments:
            if t <= t0 + dur:
                a = (t - t0) / dur
                return prev + (a * a * (3 - 2 * a)) * (q - prev)
            t0, prev = t0 + dur, q
        return prev

    @property
    def duration(self) -> float:
        return sum(d for d, _ in self.segments)


class Squeeze:
    """Both pads beside a box of width `width` centred at `centre` (waist at 0): targets for
    the 14 arm joints with the pads `gap` outside the faces (negative: pressed in)."""

    def __init__(self):
        q = ready_targets()
        self.prev = {"left": q[:7], "right": q[7:14]}
        self.max_err = 0.0

    def __call__(self, centre: np.ndarray, width: float, gap: float) -> np.ndarray:
        q = []
        for side, sign in (("left", 1.0), ("right", -1.0)):
            p = centre + np.array([0.0, sign * (width / 2 + PAD_HALF[1] + gap), 0.0])
            qs, err = ik(side, p, self.prev[side])
            self.prev[side] = qs
            self.max_err = max(self.max_err, err)
            q.append(qs)
        return np.concatenate(q)


def pick_place_plan(
    box_pos: np.ndarray,
    box_size: tuple[float, float, float],
    place_xy: np.ndarray,
    place_z: float,
    turn: float,
    squeeze: float = 0.015,
    lift: float = 0.10,
    out: float = 0.03,
    transit: float = 2.0,
    settle: float = 0.6,
) -> Plan:
    """Targets for [left arm 7, right arm 7, waist yaw/roll/pitch 3]: squeeze the box, lift,
    turn the waist by `turn`, lower to `place_z` at `place_xy` (in the waist-turned frame),
    open and retreat. The carry (turn) phase lasts `transit` seconds; a moving base can use it
    (`Plan.transit` gives its time window); the arms then hold still for `settle` seconds, so
    a swing of the box in the grip dies down before it is lowered."""
    sq = Squeeze()
    w = box_size[1]
    waist0, waist1 = np.zeros(3), np.array([turn, 0.0, 0.0])

    def wp(centre, gap, waist):
        return np.concatenate([sq(np.asarray(centre, float), w, gap), waist])

    c = np.asarray(box_pos, float) + np.array([0.0, 0.0, GRIP_ABOVE_COM])
    place_z = place_z + GRIP_ABOVE_COM
    segs: list[tuple[float, np.ndarray]] = []
    segs.append((1.2, wp(c, out, waist0)))  # pads beside the faces
    segs.append((0.8, wp(c, -squeeze, waist0)))  # squeeze: position error x kp = grip force
    segs.append((0.5, segs[-1][1]))  # settle
    top = np.array([place_xy[0], place_xy[1], c[2] + lift])
    for k in range(1, 5):  # lift, drifting to the place xy
        segs.append((1.2 / 4, wp(c + (top - c) * k / 4, -squeeze, waist0)))
    t_transit = sum(d for d, _ in segs)
    segs.append((transit, np.concatenate([segs[-1][1][:14], waist1])))  # turn (or carry) to the bin
    segs.append((settle, segs[-1][1]))
    down = np.array([place_xy[0], place_xy[1], place_z])
    for k in range(1, 5):  # lower into the bin
        segs.append((2.4 / 4, wp(top + (down - top) * k / 4, -squeeze, waist1)))
    segs.append((0.4, segs[-1][1]))
    segs.append((0.8, wp(down, out, waist1)))  # open
    segs.append((0.8, wp(down + np.array([0, 0, lift]), out, waist1)))  # retreat
    return Plan(segs, start=ready_targets(), transit=(t_transit, t_transit + transit))


def lift_plan(box_pos: np.ndarray, box_size: tuple[float, float, float], squeeze: float = 0.015, lift: float = 0.12,
              out: float = 0.03) -> Plan:
    """Squeeze, settle, lift straight up in steps, hold (waist at 0)."""
    sq = Squeeze()
    c = np.asarray(box_pos, float) + np.array([0.0, 0.0, GRIP_ABOVE_COM])

    def wp(centre, gap):
        return np.concatenate([sq(np.asarray(centre, float), box_size[1], gap), np.zeros(3)])

    segs = [(1.2, wp(c, out)), (0.8, wp(c, -squeeze))]
    segs.append((0.5, segs[-1][1]))
    for k in range(1, 7):
        segs.append((1.5 / 6, wp(c + np.array([0, 0, lift * k / 6]), -squeeze)))
    segs.append((3.0, segs[-1][1]))  # hold
    return Plan(segs, start=ready_targets())
