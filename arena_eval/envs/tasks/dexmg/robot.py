"""The robots of the DexMG-like tasks, built offline from the robosuite wheel.

Source: the PyPI wheel of `robosuite==1.5.2` (MIT), fetched with `pip download --no-deps`
and read by path (robosuite itself is never imported: it needs an older mujoco). We merge
and modify its MJCF with `mujoco.MjSpec` and convert the result to USD with
`mujoco-usd-converter==0.6.1`. Nothing is committed; the asset root records the licence.

Variant `gr1_pad`: the Fourier GR1 humanoid with both Fourier dexterous hands (54 joints:
3 waist, 3 head, 7 per arm, 11 per hand, 12 legs), fixed base (free joint removed). The
hands keep their joints and visual meshes; their mesh colliders are replaced by one flat
box palm pad per hand, the grasp that holds by contact on kit-less MJWarp (15/15 two-palm
lifts in the kit-less notes, where real finger meshes give one contact per finger). Leg
colliders are off (Newton does not filter the leg contacts MuJoCo would; the legs only
hang on a fixed base), and so is the floor geom.

Variant `dual_panda`: two Franka Panda arms side by side on one fixed base (one
articulation, joints `left_joint1..7`, `right_joint1..7`), each with a flat box paddle on
its flange instead of a gripper, for two-arm squeezes (robosuite's TwoArm* tasks). The arm
links keep their visual meshes but no colliders: the paddles are the only robot contacts
(64-vertex hulls of the link meshes would only add contact work; the scripted motions keep
the links clear of the scene).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROBOSUITE = "robosuite==1.5.2"
DEXMG_DIR = "ArenaEval/Robots/DexMG"
GR1_XML = f"{DEXMG_DIR}/gr1_pad.xml"
GR1_USD = f"{DEXMG_DIR}/usd/gr1_pad/gr1_pad.usda"
PANDA_XML = f"{DEXMG_DIR}/dual_panda.xml"
PANDA_USD = f"{DEXMG_DIR}/usd/dual_panda/dual_panda.usda"

# GR1 palm pads: on `{r,l}_hand_pitch`, half-size (x, normal y, z) and centre, as in the
# kit-less notes' 15/15 recipe. The pad's face normal is the body's +-y axis (towards the
# other hand when the palms face each other).
GR1_PAD_HALF = (0.035, 0.008, 0.045)
GR1_PAD_POS = {"r": (0.0, 0.022, -0.06), "l": (0.0, -0.022, -0.06)}

GR1_ARM_JOINTS = {
    side: [f"{s}_{j}" for j in ("shoulder_pitch", "shoulder_roll", "shoulder_yaw", "elbow_pitch", "wrist_yaw", "wrist_roll", "wrist_pitch")]
    for side, s in (("left", "l"), ("right", "r"))
}
_FINGERS = ("thumb_proximal_yaw", "thumb_proximal_pitch", "thumb_distal", "index_proximal", "index_intermediate",
            "middle_proximal", "middle_intermediate", "ring_proximal", "ring_intermediate", "pinky_proximal",
            "pinky_intermediate")
GR1_HAND_JOINTS = {
    side: [f"{side}hand_{s}_{f}_joint" for f in _FINGERS] for side, s in (("left", "L"), ("right", "R"))
}
# The converter renames the waist joints `*_1` (a body of the same name exists).
GR1_WAIST_JOINTS = ["torso_waist_yaw_1", "torso_waist_pitch_1", "torso_waist_roll_1"]

# Panda paddles: on each arm's flange body (`*_right_hand`, robosuite's name), a plate
# pointing along the tool axis; face normal along the flange's y axis.
PANDA_PAD_HALF = (0.04, 0.006, 0.03)
PANDA_PAD_POS = (0.0, 0.0, 0.08)
PANDA_BASE_Y = 0.30  # arm bases at (0, +-0.30, 0) in the articulation frame
PANDA_ARM_JOINTS = {side: [f"{side}_joint{i}" for i in range(1, 8)] for side in ("left", "right")}

LICENSE_NOTE = f"""\
- {DEXMG_DIR}/: the Fourier GR1 (robots/gr1), the Fourier hands (grippers/fourier_*_hand)
  and the Franka Panda (robots/panda) MJCF with meshes from the PyPI wheel {ROBOSUITE}
  (MIT License, Copyright (c) 2022 Stanford Vision and Learning Lab and UT Robot
  Perception and Learning Lab; copied as robosuite.LICENSE), merged and modified by
  arena-eval (fixed bases, box palm pads and paddles instead of hand and finger
  colliders) and converted to USD with mujoco-usd-converter.
"""


def build(root: Path) -> None:
    """Write the GR1 and dual-Panda MJCF and their USD into the asset root being built."""
    from ...assets import convert_mjcf, fetch_wheel

    dest = root / DEXMG_DIR
    src = dest / "robosuite"
    assets = "robosuite/models/assets/"
    keep = ("robots/gr1/", "robots/panda/", "grippers/fourier_", "grippers/meshes/fourier_hands/")
    fetch_wheel(ROBOSUITE, tuple(assets + k for k in keep), src, strip=assets, license_to=dest / "robosuite.LICENSE")
    (root / GR1_XML).write_text(gr1_xml(src))
    (root / PANDA_XML).write_text(dual_panda_xml(src))
    for xml, usd in ((GR1_XML, GR1_USD), (PANDA_XML, PANDA_USD)):
        convert_mjcf(root, xml, usd)


def cleanup_partial(root: Path) -> None:
    shutil.rmtree(root / DEXMG_DIR, ignore_errors=True)


def _absolute_meshes(spec, xml_dir: Path) -> None:
    # Attached specs keep their own mesh dirs only as absolute paths.
    mdir = xml_dir.resolve() / (spec.meshdir or "")
    for m in spec.meshes:
        if m.file:
            m.file = os.path.normpath(str(mdir / m.file))
    spec.meshdir = ""


def _descendants(body):
    out = [body]
    for child in body.bodies:
        out += _descendants(child)
    return out


def gr1_xml(src: Path) -> str:
    import mujoco

    robot_dir = src / "robots" / "gr1"
    robot = mujoco.MjSpec.from_file(str(robot_dir / "robot.xml"))
    _absolute_meshes(robot, robot_dir)
    robot.modelname = "gr1_pad"
    for side in ("right", "left"):
        hand = mujoco.MjSpec.from_file(str(src / "grippers" / f"fourier_{side}_hand.xml"))
        _absolute_meshes(hand, src / "grippers")
        for a in list(hand.actuators):
            hand.delete(a)
        eef = robot.body({"right": "right_hand_eef", "left": "left_hand_eefd"}[side])
        eef.add_frame().attach_body(hand.worldbody.first_body(), f"{side}hand_", "")
    for a in list(robot.actuators):
        robot.delete(a)
    for s in list(robot.sensors):
        robot.delete(s)
    # robosuite's marker sites (a 10 m green grip cylinder per hand, red spheres) would be
    # converted into visible geometry and show in the camera.
    for s in list(robot.sites):
        robot.delete(s)
    base = robot.body("base")
    for j in list(base.joints):  # the free joint: a fixed base
        robot.delete(j)
    for g in list(robot.geoms):
        if g.name == "floor":
            robot.delete(g)
    for b in robot.bodies:
        if b.name.startswith(("righthand_", "lefthand_")) or any(k in b.name for k in ("thigh", "shank", "foot")):
            for g in b.geoms:
                g.contype = 0
                g.conaffinity = 0
    for s in ("r", "l"):
        b = robot.body(f"{s}_hand_pitch")
        b.add_geom(name=f"{s}_pad", type=mujoco.mjtGeom.mjGEOM_BOX, size=list(GR1_PAD_HALF), pos=list(GR1_PAD_POS[s]),
                   rgba=[0.2, 0.7, 0.3, 1], density=0, contype=1, conaffinity=1)
        b.add_site(name=f"{s}_pad", pos=list(GR1_PAD_POS[s]), size=[0.005, 0.005, 0.005])
    robot.compile()
    return _relative(robot.to_xml(), src)


def dual_panda_xml(src: Path) -> str:
    import mujoco

    spec = mujoco.MjSpec()
    spec.modelname = "dual_panda"
    spec.compiler.degree = False
    root = spec.worldbody.add_body(name="dual_base")
    root.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.08, PANDA_BASE_Y + 0.08, 0.01], pos=[0, 0, -0.01],
                  rgba=[0.25, 0.25, 0.25, 1], contype=0, conaffinity=0)
    panda_dir = src / "robots" / "panda"
    for side, y in (("left", PANDA_BASE_Y), ("right", -PANDA_BASE_Y)):
        arm = mujoco.MjSpec.from_file(str(panda_dir / "robot.xml"))
        _absolute_meshes(arm, panda_dir)
        for a in list(arm.actuators):
            arm.delete(a)
        for c in list(arm.cameras):
            arm.delete(c)
        for g in arm.geoms:  # visual meshes only (see the module docstring)
            g.contype = 0
            g.conaffinity = 0
        flange = arm.body("right_hand")
        flange.add_geom(name="pad", type=mujoco.mjtGeom.mjGEOM_BOX, size=list(PANDA_PAD_HALF), pos=list(PANDA_PAD_POS),
                        rgba=[0.2, 0.7, 0.3, 1], density=0, contype=1, conaffinity=1)
        # The paddle's stem: visual only.
        flange.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[0.012, 0.025], pos=[0, 0, 0.025],
                        rgba=[0.3, 0.3, 0.3, 1], contype=0, conaffinity=0, density=0)
        flange.add_site(name="pad", pos=list(PANDA_PAD_POS), size=[0.005, 0.005, 0.005])
        frame = root.add_frame(pos=[0, y, 0])
        frame.attach_body(arm.body("base"), f"{side}_", "")
    spec.compile()
    return _relative(spec.to_xml(), src)


def _relative(xml: str, src: Path) -> str:
    # Mesh paths relative to the XML (which sits beside `src`), so the asset root can move.
    return xml.replace(f'file="{src.resolve()}/', f'file="{src.name}/')


def build_assets(root: Path) -> str:
    """The family's part of the asset root (registry `assets`); returns its licence note."""
    build(root)
    return LICENSE_NOTE
