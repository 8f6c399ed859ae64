"""The Franka Panda with its gripper for the kitchen tasks, built offline from a registry wheel.

Source: the Panda arm MJCF (`robots/panda/robot.xml`, STL and OBJ meshes) and the Panda
gripper MJCF (`grippers/panda_gripper.xml`) inside the PyPI wheel of `robosuite==1.5.2`
(MIT licence). We fetch the wheel with `pip download --no-deps` (robosuite is never
imported: it needs an older mujoco), merge arm and gripper into one MJCF and convert it to
USD with `mujoco-usd-converter==0.6.1`. Nothing is committed; the asset root records the
licence.

Changes: the base is fixed (the root body has no joint; the USD then carries a fixed joint);
the arm links keep their meshes for looks but lose their colliders (the plans keep the arm
clear of the furniture; mesh colliders reach Newton as 64-vertex hulls and Newton does not
filter neighbouring links as MuJoCo does); the hand and the fingers collide through boxes
only: a palm box and one long pad per finger (MJWarp makes one contact per finger-object
pair, so flat primitive pads give a grasp with margin). The pads leave a 4 mm gap when the
gripper is closed, so closed fingers do not press on each other. A site `grip` marks the
point between the pads (z: the approach axis, x: the axis the fingers close along).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROBOSUITE = "robosuite==1.5.2"
PANDA_DIR = "ArenaEval/Robots/Panda"
PANDA_XML = f"{PANDA_DIR}/panda_gripper.xml"
PANDA_USD = f"{PANDA_DIR}/usd/panda_gripper/panda_gripper.usda"
ARM_JOINTS = [f"joint{i}" for i in range(1, 8)]
FINGER_JOINTS = ["finger_joint1", "finger_joint2"]
FINGER_OPEN = 0.04
GRIP_SITE_Z = 0.097  # the grip site on the gripper's approach axis (robosuite's eef)
PAD_HALF = (0.011, 0.004, 0.026)  # finger width, thickness (closing axis), length, in the finger frame
PAD_CENTRE = (0.0, 0.006, 0.030)  # finger 1; finger 2 mirrored in y
HAND_HALF = (0.10, 0.026, 0.024)  # palm box in the gripper frame (x: closing axis)
# A ready pose with the gripper pointing down, high and close to the robot (grip site at
# (0.25, 0, 0.55) from the base): clear of the furniture, the open door included.
READY = [0.0, -0.902, 0.0, -2.265, 0.0, 1.363, 0.786]

LICENSE_NOTE = f"""\
- {PANDA_DIR}/: the Franka Panda arm and gripper MJCF and meshes from the PyPI wheel
  {ROBOSUITE} (MIT licence, Copyright (c) 2022 Stanford Vision and Learning Lab and UT
  Robot Perception and Learning Lab; its LICENSE is copied beside the files), merged and
  modified by arena-eval (fixed base, box colliders on hand and fingers) and converted to USD
  with mujoco-usd-converter.
"""


def build(root: Path) -> None:
    """Write the merged Panda MJCF and its USD into the asset root being built."""
    from ...assets import convert_mjcf, fetch_wheel

    dest = root / PANDA_DIR
    assets = "robosuite/models/assets/"
    fetch_wheel(ROBOSUITE, (assets + "robots/panda/", assets + "grippers/panda_gripper.xml",
                            assets + "grippers/meshes/panda_gripper/"), dest / "mjcf",
                license_to=dest / "mjcf" / "LICENSE.robosuite")
    src = dest / "mjcf" / assets
    xml = merged_xml((src / "robots/panda/robot.xml").read_text(), arm_dir=f"mjcf/{assets}robots/panda",
                     gripper_dir=f"mjcf/{assets}grippers")
    (root / PANDA_XML).write_text(xml)
    convert_mjcf(root, PANDA_XML, PANDA_USD)


def _gripper_body() -> str:
    """The Panda gripper (robosuite's panda_gripper.xml) with box colliders only."""
    px, py, pz = PAD_CENTRE
    pad = " ".join(map(str, PAD_HALF))
    hand = " ".join(map(str, HAND_HALF))
    finger = (
        '<body name="{name}" pos="0 0 0.0524" quat="0.707107 0 0 0.707107">'
        '<inertial pos="0 0 0.03" mass="0.05" diaginertia="0.0001 0.0001 0.00005"/>'
        '<joint name="{joint}" axis="0 1 0" type="slide" range="{range}" damping="5" armature="0.1"/>'
        '<geom type="mesh" contype="0" conaffinity="0" group="1" mesh="finger_vis" rgba="0.5 0.5 0.5 1"{vquat}/>'
        '<geom name="{name}_pad" type="box" size="{pad}" pos="{px} {py} {pz}" rgba="0.15 0.15 0.15 1"'
        ' friction="1.5 0.05 0.001"/>'
        "</body>"
    )
    return (
        '<body name="right_gripper" quat="0.707107 0 0 -0.707107">'
        '<inertial pos="0 0 0.04" mass="0.5" diaginertia="0.001 0.001 0.001"/>'
        '<geom type="mesh" contype="0" conaffinity="0" group="1" mesh="hand_vis" quat="0.707107 0 0 0.707107" rgba="1 1 1 1"/>'
        f'<geom name="hand_collision" type="box" size="{hand}" pos="0 0 {HAND_HALF[2]}" rgba="1 1 1 0"/>'
        f'<site name="grip" pos="0 0 {GRIP_SITE_Z}" size="0.005"/>'
        + finger.format(name="leftfinger", joint="finger_joint1", range=f"0 {FINGER_OPEN}", vquat="",
                        pad=pad, px=px, py=py, pz=pz)
        + finger.format(name="rightfinger", joint="finger_joint2", range=f"-{FINGER_OPEN} 0",
                        vquat=' quat="0 0 0 1"', pad=pad, px=px, py=-py, pz=pz)
        + "</body>"
    )


def merged_xml(arm: str, arm_dir: str, gripper_dir: str) -> str:
    """The arm MJCF with the gripper under `right_hand`, colliders as described above."""
    s = arm.replace('<mujoco model="panda">', '<mujoco model="panda_gripper">')
    s = re.sub(r"<actuator>.*?</actuator>", "", s, flags=re.S)
    s = re.sub(r'file="(meshes|obj_meshes)/', lambda m: f'file="{arm_dir}/{m.group(1)}/', s)
    # Arm links: visual meshes only.
    s, n = re.subn(r'\s*<geom type="mesh" group="0" mesh="link\d" name="link\d_collision"/>', "", s)
    if n != 8:
        raise RuntimeError(f"Panda MJCF: expected 8 link colliders, found {n}")
    s = s.replace('<camera mode="fixed" name="robotview" pos="1.0 0 0.4" quat="0.653 0.271 0.271 0.653"/>', "")
    s = re.sub(r'<camera mode="fixed" name="eye_in_hand"[^>]*/>', "", s)
    grip_assets = (
        f'<mesh name="hand_vis" file="{gripper_dir}/meshes/panda_gripper/hand_vis.stl"/>'
        f'<mesh name="finger_vis" file="{gripper_dir}/meshes/panda_gripper/finger_vis.stl"/>'
    )
    s = s.replace("</asset>", grip_assets + "</asset>", 1)
    s, n = re.subn(r"<!-- to add gripper -->", _gripper_body(), s)
    if n != 1:
        raise RuntimeError("Panda MJCF: no gripper mount under right_hand")
    return s


def cleanup_partial(root: Path) -> None:
    shutil.rmtree(root / PANDA_DIR, ignore_errors=True)
