"""The Unitree G1 for the project's own tasks, built offline from a registry wheel.

Source: the 29-joint G1 MJCF with STL meshes inside the PyPI wheel of `mjlab==1.6.0`
(Apache-2.0; the model itself is Unitree's, BSD-3-Clause). We fetch the wheel with
`pip download --no-deps`, write MJCF variants, and convert them to USD with
`mujoco-usd-converter==0.6.1`. Nothing is committed; the asset root records the licences.

Variant `g1_mobile`: the same robot on a planar base: the pelvis hangs from the world through
two slide joints (x, y) and a yaw hinge, velocity-driven by a navigate command; the legs
keep their meshes but lose their colliders. No leg
controller can be had offline, so the base moves by these joints instead of walking.

Variant `g1_pad`: fixed base; each hand's collision capsule replaced by a flat box palm pad
on `*_wrist_yaw_link` (half-size 0.045 x 0.015 x 0.035 m at (0.11, 0, 0)), so every robot
collider is a primitive. A two-palm squeeze with these pads holds a box by contact alone
(see the kit-less notes: 15/15 lifts with the solver settings of `env_cfg.py`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

MJLAB = "mjlab==1.6.0"
G1_DIR = "ArenaEval/Robots/G1"
G1_PAD_XML = f"{G1_DIR}/g1_pad.xml"
G1_PAD_USD = f"{G1_DIR}/usd/g1_pad/g1_pad.usda"
G1_MOBILE_XML = f"{G1_DIR}/g1_mobile.xml"
G1_MOBILE_USD = f"{G1_DIR}/usd/g1_mobile/g1_mobile.usda"
BASE_JOINTS = ["base_x_joint", "base_y_joint", "base_yaw_joint"]
PAD_HALF = (0.045, 0.015, 0.035)
PAD_OFFSET = 0.11  # pad centre along the wrist_yaw_link x axis

ARM_JOINTS = {
    side: [f"{side}_{j}_joint" for j in ("shoulder_pitch", "shoulder_roll", "shoulder_yaw", "elbow", "wrist_roll", "wrist_pitch", "wrist_yaw")]
    for side in ("left", "right")
}
WAIST_JOINTS = ["waist_yaw_joint", "waist_roll_joint", "waist_pitch_joint"]

LICENSE_NOTE = f"""\
- {G1_DIR}/: the Unitree G1 (29 joints) MJCF and STL meshes from the PyPI wheel {MJLAB}
  (mjlab is Apache-2.0; the G1 model is Unitree Robotics', BSD-3-Clause), modified by
  arena-eval (fixed base, box palm pads) and converted to USD with mujoco-usd-converter.
"""


def build(root: Path) -> None:
    """Write the G1 MJCF variants and their USD into the asset root being built."""
    from ...assets import convert_mjcf, fetch_wheel

    dest = root / G1_DIR
    prefix = "mjlab/asset_zoo/robots/unitree_g1/xmls/"
    fetch_wheel(MJLAB, (prefix,), dest / "mjcf", strip=prefix, license_to=dest / "mjcf" / "LICENSE.mjlab")
    xml = root / G1_PAD_XML
    xml.write_text(pad_variant((dest / "mjcf" / "g1.xml").read_text(), meshdir="mjcf/assets"))
    (root / G1_MOBILE_XML).write_text(mobile_variant(xml.read_text()))
    for src, usd in ((G1_PAD_XML, G1_PAD_USD), (G1_MOBILE_XML, G1_MOBILE_USD)):
        convert_mjcf(root, src, usd)


def pad_variant(xml: str, meshdir: str) -> str:
    """Fixed base, box palm pads with a site at each pad centre, no sensors."""
    s = xml.replace('meshdir="assets"', f'meshdir="{meshdir}"')
    s = s.replace('<mujoco model="g1_29dof_rev_1_0">', '<mujoco model="g1_pad">')
    s = s.replace('<freejoint name="floating_base_joint"/>', "")
    size = " ".join(str(x) for x in PAD_HALF)
    for side in ("left", "right"):
        s, n = re.subn(
            rf'<geom name="{side}_hand_collision"[^>]*/>',
            f'<geom name="{side}_hand_collision" class="collision" type="box" size="{size}" pos="{PAD_OFFSET} 0 0"/>'
            f'<site name="{side}_pad" pos="{PAD_OFFSET} 0 0" size="0.005"/>',
            s,
        )
        if n != 1:
            raise RuntimeError(f"G1 MJCF: expected one {side}_hand_collision geom, found {n}")
    return re.sub(r"<sensor>.*?</sensor>", "", s, flags=re.S)


def cleanup_partial(root: Path) -> None:
    shutil.rmtree(root / G1_DIR, ignore_errors=True)


def mobile_variant(pad_xml: str) -> str:
    """The pad variant with the pelvis on x/y slides and a yaw hinge (each on a light link)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(pad_xml)
    root.set("model", "g1_mobile")
    world = root.find("worldbody")
    pelvis = world.find("body[@name='pelvis']")
    pos = pelvis.get("pos")
    pelvis.set("pos", "0 0 0")
    idx = list(world).index(pelvis)
    world.remove(pelvis)
    # A root welded to the world (as in the fixed variant: Newton drives no joint that
    # connects the articulation root to the world), then the slides and the hinge.
    outer = ET.Element("body", {"name": "base_link", "pos": pos})
    ET.SubElement(outer, "inertial", {"pos": "0 0 0", "mass": "1", "diaginertia": "0.01 0.01 0.01"})
    inner = outer
    for name, axis in (("base_x", "1 0 0"), ("base_y", "0 1 0")):
        body = ET.SubElement(inner, "body", {"name": f"{name}_link"})
        ET.SubElement(body, "inertial", {"pos": "0 0 0", "mass": "1", "diaginertia": "0.01 0.01 0.01"})
        ET.SubElement(body, "joint", {"name": f"{name}_joint", "type": "slide", "axis": axis})
        inner = body
    pelvis.insert(0, ET.Element("joint", {"name": "base_yaw_joint", "type": "hinge", "axis": "0 0 1"}))
    # The legs only hang (no leg controller offline): drop their colliders so the feet do
    # not drag on the floor while the base slides.
    for body in pelvis.iter("body"):
        if any(k in body.get("name", "") for k in ("hip", "knee", "ankle")):
            for geom in list(body.findall("geom")):
                if geom.get("class") != "visual":
                    body.remove(geom)
    inner.append(pelvis)
    world.insert(idx, outer)
    return ET.tostring(root, encoding="unicode")


def build_assets(root: Path) -> str:
    """The family's part of the asset root (registry `assets`); returns its licence note."""
    build(root)
    return LICENSE_NOTE
