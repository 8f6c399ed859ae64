"""Plan primitives shared by the kitchen experts of RoboCasa's 24 tasks, on the original
kitchen's planner (`planner.Planner`: the Panda's IK offline with MuJoCo, joint targets between
waypoints). Four motions cover every fixture and object task:

- `arc_push`: the closed fingertips, pointing down, push a part turning about a vertical axis
  round its arc (a knob's fin, the faucet's lever, the spout, a door's outer face);
- `hook_pull`: the closed fingertips hook into the gap behind a door's bar and pull the door
  open round its arc, then lift out;
- `press`: the closed gripper, pointing forward, pushes a button in and backs off;
- `pick_place`: a side grasp (pointing forward) of an upright object, carried over the scene at
  a safe height, set down, let go, and the hand withdrawn 0.25 m (RoboCasa's gripper_obj_far).

Positions are in the env frame; fixture-frame points are added to the fixture's observed root
(its front face's middle at counter height). The grip site is the point between the pads; the
pads' ends lie 1.1 cm beyond it.
"""

from __future__ import annotations

import copy

import numpy as np

from . import fixtures as F
from .planner import CLOSED, FORWARD, FORWARD_SEED, OPEN, Planner, down_along, ik
from .robot import READY

# Pointing forward like planner.FORWARD, turned half a turn about the approach axis (the gripper
# is symmetric): from FORWARD_SEED the IK reaches the whole counter with it, where FORWARD runs
# into the wrist's limits left of the robot (y > 0).
FWD = np.column_stack([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
TIP = 0.011  # pad ends beyond the grip site
TIP_HALF = 0.011  # half the closed fingertips' width across the pads
ARC_SAFE = 0.08  # height above a part at which the hand moves in and out


MAX_SPEED = 2.0  # rad/s: a waypoint asking a joint for more is a jump to another IK branch


class RobustPlanner(Planner):
    """The original kitchen's planner, but a waypoint the IK misses from the last solution
    (a residual over 5 mm: stuck at a joint limit) is solved again from a few standard seeds,
    keeping the best of the solutions that do not jump to another branch of the arm (one that
    would swing a joint faster than MAX_SPEED there: the arm sweeps through the scene). Its
    `quality` adds such jumps to the worst residual, so that alternatives can be compared."""

    SEEDS = (FORWARD_SEED, np.array(READY, float), np.array([0.0, 0.2, 0.0, -2.0, -1.57, 1.57, 0.8]),
             np.array([0.0, -0.3, 0.0, -2.4, 0.0, 2.2, 0.785]))

    def __init__(self):
        super().__init__()
        self.max_speed = 0.0

    def _speed(self, q: np.ndarray, dur: float) -> float:
        return float(np.abs(q - self.q).max() / max(dur, 1e-3)) if self.segs else 0.0

    def move(self, dur: float, pos, rot, grip: float) -> "Planner":
        pos = np.asarray(pos, float)
        q, err = ik(pos, rot, self.q)
        if err > 0.005:
            for seed in self.SEEDS:
                q2, e2 = ik(pos, rot, seed.copy())
                if e2 < err - 1e-4 and (not self.segs or self._speed(q2, dur) <= MAX_SPEED):
                    q, err = q2, e2
        self.max_speed = max(self.max_speed, self._speed(q, dur))
        self.q = q
        self.max_err = max(self.max_err, err)
        self.segs.append((dur, np.concatenate([self.q, [grip]])))
        return self

    @property
    def quality(self) -> float:
        return self.max_err + 0.05 * max(0.0, self.max_speed - MAX_SPEED)

    def plan(self):
        plan = super().plan()
        plan.max_speed = self.max_speed  # the fastest joint speed a waypoint asks for (a check for tests)
        return plan


def _quality(p: Planner) -> float:
    return getattr(p, "quality", p.max_err)


def best_of(build, p: Planner) -> Planner:
    """Build a motion twice on copies of the planner, once with the closed fingers' axis each
    way round (the pads are symmetric), and keep the better (`RobustPlanner.quality`): the
    wrist's last joint runs out of range turning one way through a long arc."""
    out = []
    for flip in (1.0, -1.0):
        q = copy.deepcopy(p)
        q.max_err = 0.0
        if hasattr(q, "max_speed"):
            q.max_speed = 0.0
        build(q, flip)
        out.append(q)
    best = min(out, key=_quality)
    best.max_err = max(best.max_err, p.max_err)
    if hasattr(best, "max_speed"):
        best.max_speed = max(best.max_speed, getattr(p, "max_speed", 0.0))
    return best


def at(fix: np.ndarray, xy, z: float) -> np.ndarray:
    """A fixture-frame point (xy, height z above the counter) in the env frame."""
    return np.asarray(fix, float) + np.array([xy[0], xy[1], z])


def arc_push(p: Planner, fix: np.ndarray, h: F.Hinge, r: float, z: float, theta0: float, theta1: float,
             n_c: float = 0.0, half: float = 0.004, dur: float = 2.0, n: int = 8, lead: float = 0.15,
             safe: float = ARC_SAFE) -> Planner:
    """Push a part (centre plane `n_c`, half thickness `half` along its push normal) about its
    hinge from theta0 to theta1, touching it at radius r with the fingertips' side: the grip
    site at height z above the counter (the pads reach from 1.1 cm below it up). The hand comes
    down `lead` rad behind the part's start angle, clear of it, and lifts away after."""
    sgn = 1.0 if theta1 >= theta0 else -1.0
    off = n_c - sgn * (half + TIP_HALF + 0.004)

    def build(p: Planner, flip: float) -> None:
        def pose(theta: float):
            return at(fix, h.point(theta, r, off), z), down_along(flip * h.along(theta))

        start, rot = pose(theta0 - sgn * lead)
        p.move(1.0, start + [0, 0, safe], rot, CLOSED)
        p.line(0.6, start + [0, 0, safe], start, rot, CLOSED, n=2).hold(0.1)
        for k in range(1, n + 1):
            th = theta0 - sgn * lead + (theta1 - theta0 + sgn * lead) * k / n
            pos, rot = pose(th)
            p.move(dur / n, pos, rot, CLOSED)
        p.hold(0.3)
        p.move(0.6, pos + [0, 0, safe], rot, CLOSED)

    return best_of(build, p)


def hook_pull(p: Planner, fix: np.ndarray, d: F.Door, theta1: float = 1.55, dur: float = 3.0, n: int = 10,
              above: float = 0.10, lift: float = 0.20) -> Planner:
    """Hook the closed fingertips into the gap between the door's panel and its bar (from
    `above` over it, between the standoffs) and pull the door round to theta1, the hand turning
    with it; lift out `lift` (over the door's top edge)."""
    h = d.hinge
    n_gap = d.thick + d.bar_gap / 2
    z = d.bar_z - 0.012

    def build(p: Planner, flip: float) -> None:
        def pose(theta: float):
            return at(fix, h.point(theta, d.bar_r, n_gap), z), down_along(flip * h.along(theta))

        pos, rot = pose(0.0)
        p.move(1.0, pos + [0, 0, above], rot, CLOSED)
        p.line(0.7, pos + [0, 0, above], pos, rot, CLOSED, n=3).hold(0.2)
        for k in range(1, n + 1):
            pos, rot = pose(theta1 * k / n)
            p.move(dur / n, pos, rot, CLOSED)
        p.hold(0.3)
        p.line(0.8, pos, pos + [0, 0, lift], rot, CLOSED, n=3)

    return best_of(build, p)


def door_push_shut(p: Planner, fix: np.ndarray, d: F.Door, theta0: float, r: float = 0.17, z: float = 0.07,
                   dur: float = 3.0) -> Planner:
    """Push an open door shut with the side of the hand on its outer face, low on the door: down
    outside it, clear of its handle (which stands out 10 cm, higher up), in to the face at `r`
    from the hinge, then round its arc to a little past shut; out and up over every door's top
    edge after."""
    h = d.hinge
    off = d.thick + 0.04  # the palm's side (2.6 cm from the grip site) pushes, 1.4 cm out
    clear = d.bar_n + 0.008 + 0.05  # outside the handle's bar
    top = fix[2] + d.z + d.height / 2 + 0.08
    end = -0.05  # a little past shut: the palm stands 1.4 cm off the face, so the door ends 0.03 rad open

    def build(p: Planner, flip: float) -> None:
        th0 = theta0 - 0.05
        rot = down_along(flip * h.along(th0))
        start = at(fix, h.point(th0, r, off), z)
        out = at(fix, h.point(th0, r, clear), z)
        over = np.array([out[0], out[1], top])
        prev = getattr(p, "last_pos", None)
        if prev is None:
            p.move(1.0, over, rot, CLOSED)
        else:  # from over the last door, across at this height (over every door's top edge)
            p.line(2.4, prev, over, rot, CLOSED, n=6)
        p.line(0.8, over, out, rot, CLOSED, n=3)
        p.line(0.6, out, start, rot, CLOSED, n=2).hold(0.1)
        n = 10
        for k in range(1, n + 1):
            th = th0 + (end - th0) * k / n
            p.move(dur / n, at(fix, h.point(th, r, off), z), down_along(flip * h.along(th)), CLOSED)
        p.hold(0.4)
        # straight out from the shut door (15 cm), then straight up: a quick joint-space move
        # up from close to it swept the hand into it
        last = at(fix, h.point(end, r, off), z)
        pos = last + np.concatenate([0.15 * h.push_normal(0.0), [0.0]])
        rot = down_along(flip * h.along(end))
        p.line(0.8, last, pos, rot, CLOSED, n=3)
        p.line(1.2, pos, [pos[0], pos[1], top], rot, CLOSED, n=4).hold(0.3)
        p.last_pos = np.array([pos[0], pos[1], top])

    return best_of(build, p)


def either_way_up(build) -> Planner:
    """Plan a motion with the gripper pointing forward either way up (`FWD`, `planner.FORWARD`)
    and keep the one the IK follows best."""
    out = []
    for rot in (FWD, FORWARD):
        p = RobustPlanner()
        p.q = FORWARD_SEED.copy()
        build(p, rot)
        out.append(p)
        if p.quality < 0.005:  # good enough: no need to plan the other way up
            break
    return min(out, key=_quality)


def press(face: np.ndarray, depth: float = 0.035, back: float = 0.20) -> Planner:
    """Pointing forward, push the fingertips `depth` past a button's front face (the button
    stops at its limit; the arm sags short of its targets), then back off `back` (RoboCasa's
    gripper_button_far asks for 0.15 m)."""
    front = np.asarray(face, float) - [TIP + 0.06, 0.0, 0.0]
    pressed = np.asarray(face, float) + [depth - TIP, 0.0, 0.0]

    def build(p: Planner, rot) -> None:
        p.move(0.8, front + [-0.1, 0.0, 0.1], rot, CLOSED)
        p.move(0.7, front, rot, CLOSED).hold(0.2)
        p.line(1.0, front, pressed, rot, CLOSED, n=3).hold(0.4)
        p.line(0.8, pressed, pressed - [back, 0.0, 0.0], rot, CLOSED, n=3)

    return either_way_up(build)


def linear_push(start: np.ndarray, end: np.ndarray, dur: float = 2.0, gap: float = 0.02) -> Planner:
    """Pointing forward, closed: come down `gap` behind `start` (the face to push) and push
    straight to `end`, back off."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    d = (end - start) / np.linalg.norm(end - start)
    down = start - gap * d

    def build(p: Planner, rot) -> None:
        p.move(0.9, down + [0, 0, 0.10], rot, CLOSED)
        p.line(0.6, down + [0, 0, 0.10], down, rot, CLOSED, n=2)
        p.line(dur, down, end, rot, CLOSED, n=6).hold(0.3)
        p.line(0.6, end, end - 0.12 * d, rot, CLOSED, n=2)

    return either_way_up(build)


def home(p: Planner, dur: float = 1.4, grip: float = OPEN) -> Planner:
    """Back to the ready pose in joint space (the grip site high over the robot's base, far
    from everything on the counter)."""
    p.segs.append((dur, np.concatenate([np.array(READY, float), [grip]])))
    p.q = np.array(READY, float)
    return p


def pick_place(obj: np.ndarray, place: np.ndarray, carry_z: float, back: float = 0.10, lift: float = 0.04,
               withdraw: float = 0.10, via: list | None = None, approach: list | None = None,
               leave: list | None = None, above: float = 0.06) -> Planner:
    """Side grasp of an upright object at `obj` (the grip site's target: its centre, or higher;
    the gripper pointing forward, coming in from `back` behind it, from `above` over that, after
    the `approach` points), lift it `lift`, leave through the `leave` points, carry it at height
    carry_z (through `via`) to above `place` (where the grip site lets go), set it down, open,
    back off `withdraw` and go home to the ready pose, far over 0.25 m from the object
    (RoboCasa's gripper_obj_far). Planned with the gripper pointing forward either way up
    (`FWD`, `planner.FORWARD`): the one the IK follows best."""
    obj, place = np.asarray(obj, float), np.asarray(place, float)

    def build(p: Planner, rot) -> None:
        pre = obj - [back, 0.0, 0.0]
        for a in (approach or []):
            p.move(0.8, a, rot, OPEN)
        p.move(0.8, pre + [0, 0, above], rot, OPEN)
        p.move(0.6, pre, rot, OPEN)
        p.line(0.8, pre, obj, rot, OPEN, n=3).hold(0.2)
        p.hold(0.6, CLOSED).hold(0.3)
        up = obj + [0, 0, lift]
        p.line(0.6, obj, up, rot, CLOSED, n=2)
        last = up
        for v in (leave or []):
            v = np.asarray(v, float)
            p.line(max(0.5, 2.5 * np.linalg.norm(v - last)), last, v, rot, CLOSED, n=3)
            last = v
        high = np.array([last[0], last[1], max(carry_z, last[2])])
        p.line(0.8, last, high, rot, CLOSED, n=3)
        last = high
        for v in (via or []):
            v = np.array([v[0], v[1], max(carry_z, v[2] if len(v) > 2 else carry_z)])
            p.line(max(0.4, 2.5 * np.linalg.norm(v - last)), last, v, rot, CLOSED, n=3)
            last = v
        over = np.array([place[0], place[1], max(carry_z, place[2] + 0.03)])
        p.line(max(0.6, 2.5 * np.linalg.norm(over - last)), last, over, rot, CLOSED, n=5)
        p.line(0.8, over, place + [0, 0, 0.004], rot, CLOSED, n=3).hold(0.3)
        p.hold(0.5, OPEN)
        p.line(max(0.5, 4.0 * withdraw), place, place - [withdraw, 0.0, 0.0], rot, OPEN, n=3)
        home(p)

    return either_way_up(build)
