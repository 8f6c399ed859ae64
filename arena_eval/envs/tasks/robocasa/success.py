"""Success, failure and milestone terms of the kitchen tasks added for RoboCasa's 24 (batched
torch, inside Isaac Lab), each written after the rule RoboCasa's task code states (read in
robocasa/environments/kitchen/single_stage/*.py and robocasa/models/fixtures/*.py; none of its
code is used). docs/robocasa.md lists every rule beside its RoboCasa original and the
differences.

Where RoboCasa asks for a contact (an object touching a container, a gripper touching a button)
these read geometry instead: an object rests on a surface when its centre is within its own
resting heights above it and it is nearly still; a button is pressed when pushed in. RoboCasa's
"gripper far" is the distance from its end-effector site, here the grip site between the pads
(`robot.GRIP_SITE_Z` along the gripper's approach axis). Only the microwave keeps state between
steps (RoboCasa's `_turned_on` latch), in `env._arena_microwave_on` (envs/probes.py).
"""

from __future__ import annotations

import math

import torch
from isaaclab.utils.math import quat_apply

from .robot import GRIP_SITE_Z

TWO_PI = 2.0 * math.pi


def _t(env, v) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float32, device=env.device)


def joint(env, name: str, asset: str = "fixture") -> torch.Tensor:
    art = env.scene[asset]
    return art.data.joint_pos.torch[:, art.joint_names.index(name)]


def wrapped(q: torch.Tensor) -> torch.Tensor:
    """An angle in [0, 2 pi), as RoboCasa normalises knob, handle and spout angles."""
    return torch.remainder(q, TWO_PI)


def grip_site(env) -> torch.Tensor:
    """The point between the gripper's pads (world frame): RoboCasa's end-effector site."""
    robot = env.scene["robot"]
    i = robot.body_names.index("right_gripper")
    pos, quat = robot.data.body_pos_w.torch[:, i], robot.data.body_quat_w.torch[:, i]
    return pos + quat_apply(quat, _t(env, [0.0, 0.0, GRIP_SITE_Z]).expand_as(pos))


def local(env, asset: str, fixture: str = "fixture") -> torch.Tensor:
    """An asset's root position in the fixture's frame (fixtures are placed without turning)."""
    return env.scene[asset].data.root_pos_w.torch - env.scene[fixture].data.root_pos_w.torch


def far_from(env, point_local, th: float, fixture: str = "fixture") -> torch.Tensor:
    """The grip site is more than `th` from a point given in the fixture's frame."""
    p = env.scene[fixture].data.root_pos_w.torch + _t(env, point_local)
    return torch.linalg.norm(grip_site(env) - p, dim=1) > th


def gripper_obj_far(env, th: float, asset: str = "object") -> torch.Tensor:
    """RoboCasa's OU.gripper_obj_far: the grip site more than `th` from the object's centre."""
    return torch.linalg.norm(grip_site(env) - env.scene[asset].data.root_pos_w.torch, dim=1) > th


def still(env, asset: str, max_speed: float) -> torch.Tensor:
    return torch.linalg.norm(env.scene[asset].data.root_lin_vel_w.torch, dim=1) < max_speed


# ---------------------------------------------------------------- hinges and slides
def hinges_fraction(env, joints: list[str], frac: float, norm: float, above: bool = True) -> torch.Tensor:
    """Every joint's angle, normalised by `norm` (RoboCasa's get_door_state: pi/2 for hinges,
    the drawer's 0.55 x depth for slides), is >= frac (open) or <= frac (closed)."""
    out = torch.ones(env.num_envs, dtype=torch.bool, device=env.device)
    for j in joints:
        f = joint(env, j) / norm
        out &= (f >= frac) if above else (f <= frac)
    return out


def knob_on(env, joint_name: str, lo: float) -> torch.Tensor:
    """RoboCasa's stove rule: on when lo <= (angle mod 2 pi) <= 2 pi - lo."""
    q = wrapped(joint(env, joint_name))
    return (q >= lo) & (q <= TWO_PI - lo)


def knob_off(env, joint_name: str, lo: float) -> torch.Tensor:
    return ~knob_on(env, joint_name, lo)


def other_knob_on(env, joints: list[str], lo: float) -> torch.Tensor:
    """Failure: a knob other than the instructed one is on (its burner lit)."""
    out = torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)
    for j in joints:
        out |= knob_on(env, j, lo)
    return out


def angle_between(env, joint_name: str, lo: float, hi: float, inside: bool = True) -> torch.Tensor:
    """(angle mod 2 pi) strictly between lo and hi (inside) or not (RoboCasa's faucet water_on
    rule is 0.40 < q < pi; its spout is "left" for pi <= q <= 2 pi - pi/6, "right" for pi/6 <= q
    <= pi; the bounds' strictness differs only on a set of measure zero)."""
    q = wrapped(joint(env, joint_name))
    hit = (q > lo) & (q < hi)
    return hit if inside else ~hit


# ---------------------------------------------------------------- buttons
def button_pressed(env, joint_name: str, depth: float) -> torch.Tensor:
    return joint(env, joint_name) >= depth


def microwave_on(env, initially_on: bool, start: str, stop: str, door: str, depth: float,
                 door_open: float) -> torch.Tensor:
    """RoboCasa's Microwave.update_state, once per step: with the door open (normalised angle >=
    0.9) it is off; otherwise pressing start turns it on and pressing stop turns it off. The
    latch starts each episode at `initially_on` (the first step of an episode, or a fresh
    reset, has episode_length_buf <= 1)."""
    on = getattr(env, "_arena_microwave_on", None)
    init = torch.full((env.num_envs,), bool(initially_on), dtype=torch.bool, device=env.device)
    if on is None or on.shape[0] != env.num_envs:
        on = init.clone()
    on = torch.where(env.episode_length_buf <= 1, init, on)
    opened = joint(env, door) >= door_open
    on = torch.where(~on & button_pressed(env, start, depth), torch.ones_like(on), on)
    on = torch.where(on & button_pressed(env, stop, depth), torch.zeros_like(on), on)
    on = on & ~opened
    env._arena_microwave_on = on
    return on


def microwave_switched(env, want_on: bool, button_local, far: float, initially_on: bool, start: str, stop: str,
                       door: str, depth: float, door_open: float) -> torch.Tensor:
    """TurnOn/TurnOffMicrowave: the microwave is on (off) and the grip site is more than `far`
    from the button pressed (RoboCasa's gripper_button_far, 0.15 m)."""
    on = microwave_on(env, initially_on, start, stop, door, depth, door_open)
    return (on if want_on else ~on) & far_from(env, button_local, far)


def microwave_door_opened(env, door: str, door_open: float) -> torch.Tensor:
    """Failure of the button tasks: the door was opened (RoboCasa turns the microwave off then)."""
    return joint(env, door) >= door_open


# ---------------------------------------------------------------- objects
def rests_on(env, asset: str, top: torch.Tensor, heights: tuple[float, float], max_speed: float) -> torch.Tensor:
    """The object's centre is between heights[0] and heights[1] (its lowest and highest resting
    centre heights, 5 mm slack each side) above a surface at `top` (world z), and nearly still."""
    z = env.scene[asset].data.root_pos_w.torch[:, 2] - top
    return (z >= heights[0] - 0.005) & (z <= heights[1] + 0.005) & still(env, asset, max_speed)


def object_in_region(env, lo, hi, far: float, max_speed: float, asset: str = "object") -> torch.Tensor:
    """RoboCasa's OU.obj_inside_of(partial_check=True) (the object's centre inside the
    fixture's interior box, fixture frame) and OU.gripper_obj_far; nearly still."""
    p = local(env, asset)
    inside = ((p >= _t(env, lo)) & (p <= _t(env, hi))).all(dim=1)
    return inside & gripper_obj_far(env, far, asset) & still(env, asset, max_speed)


def object_on_disc(env, centre_local, radius: float, top_local: float, heights, far: float, max_speed: float,
                   asset: str = "object") -> torch.Tensor:
    """The object rests on a fixed disc of the fixture (the microwave's turntable): its centre
    within `radius` of the disc's centre, resting on it; gripper far."""
    p = local(env, asset)
    near = torch.linalg.norm(p[:, :2] - _t(env, centre_local), dim=1) < radius
    top = env.scene["fixture"].data.root_pos_w.torch[:, 2] + top_local
    return near & rests_on(env, asset, top, heights, max_speed) & gripper_obj_far(env, far, asset)


def object_in_receptacle(env, receptacle: str, th: float, rec_half_h: float, heights, far: float,
                         max_speed: float, rec_top_z: float | None = None, asset: str = "object") -> torch.Tensor:
    """RoboCasa's OU.check_obj_in_receptacle (object touching the receptacle, centres within
    `th` in xy) as geometry: the object rests on the receptacle's top, centres within th; and
    gripper far. With rec_top_z (env frame), the receptacle itself must rest with its top
    there (RoboCasa: the container touches the counter)."""
    o = env.scene[asset].data.root_pos_w.torch
    r = env.scene[receptacle].data.root_pos_w.torch
    near = torch.linalg.norm(o[:, :2] - r[:, :2], dim=1) < th
    ok = near & rests_on(env, asset, r[:, 2] + rec_half_h, heights, max_speed) & gripper_obj_far(env, far, asset)
    if rec_top_z is not None:
        rz = r[:, 2] + rec_half_h - env.scene.env_origins[:, 2]
        ok &= (rz - rec_top_z).abs() < 0.01
    return ok


def object_on_counter(env, counter_z: float, heights, counter_xy, exclude_local, far: float, max_speed: float,
                      asset: str = "object", fixture: str = "fixture") -> torch.Tensor:
    """RoboCasa's OU.check_obj_fixture_contact(obj, counter) and gripper_obj_far: the object
    rests on the counter top (env frame ranges counter_xy), outside the fixture's footprint
    (`exclude_local`, fixture-frame x and y ranges: what stands on the counter there)."""
    o = env.scene[asset].data.root_pos_w.torch - env.scene.env_origins
    (x0, x1), (y0, y1) = counter_xy
    on = (o[:, 0] >= x0) & (o[:, 0] <= x1) & (o[:, 1] >= y0) & (o[:, 1] <= y1)
    p = local(env, asset, fixture)
    (ex0, ex1), (ey0, ey1) = exclude_local
    inside_fx = (p[:, 0] >= ex0) & (p[:, 0] <= ex1) & (p[:, 1] >= ey0) & (p[:, 1] <= ey1)
    top = env.scene.env_origins[:, 2] + counter_z
    return on & ~inside_fx & rests_on(env, asset, top, heights, max_speed) & gripper_obj_far(env, far, asset)


def object_under_dispenser(env, site_local, xy_th: float, z_th: float, far: float, asset: str = "object") -> torch.Tensor:
    """RoboCasa's CoffeeMachine.check_receptacle_placement_for_pouring (the mug's centre within
    xy_th of the place site in xy and z_th in z) and gripper_obj_far."""
    p = local(env, asset)
    s = _t(env, site_local)
    ok = (torch.linalg.norm(p[:, :2] - s[:2], dim=1) < xy_th) & ((p[:, 2] - s[2]).abs() < z_th)
    return ok & gripper_obj_far(env, far, asset)


def object_below(env, height: float, asset: str = "object") -> torch.Tensor:
    """Failure: the object fell off the counter (its centre below `height`, env frame)."""
    return (env.scene[asset].data.root_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]) < height


# ---------------------------------------------------------------- milestones (stateless)
def gripper_near(env, point_local, radius: float) -> torch.Tensor:
    """The grip site is within `radius` of a point given in the fixture's frame (reached)."""
    return ~far_from(env, point_local, radius)


def joints_past(env, joints: list[str], value: float, above: bool = True, every: bool = False) -> torch.Tensor:
    """Any (every) of these fixture joints is past `value`."""
    hits = [(joint(env, j) >= value) if above else (joint(env, j) <= value) for j in joints]
    out = hits[0]
    for h in hits[1:]:
        out = (out & h) if every else (out | h)
    return out


def object_over_local(env, lo, hi, asset: str = "object", fixture: str = "fixture") -> torch.Tensor:
    """The object's centre is over a fixture-frame xy rectangle (at any height)."""
    p = local(env, asset, fixture)[:, :2]
    return ((p >= _t(env, lo)) & (p <= _t(env, hi))).all(dim=1)


def object_near(env, other: str, radius: float, asset: str = "object") -> torch.Tensor:
    """The object's centre is within `radius` (xy) of another asset's (over the plate or pan)."""
    o, r = env.scene[asset].data.root_pos_w.torch, env.scene[other].data.root_pos_w.torch
    return torch.linalg.norm(o[:, :2] - r[:, :2], dim=1) < radius
