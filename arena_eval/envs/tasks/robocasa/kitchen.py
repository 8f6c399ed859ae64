"""The kitchen fixture: a cabinet with a drawer, a hinged door and an open cubby, and a coffee
machine with a push button, written as MJCF from primitive geoms and converted to USD.

One articulation with a fixed root (no joint on the root body) and three real joints: the
drawer on a slide joint, the door on a hinge, the button on a slide joint. All geometry is
arena-eval's own (boxes), after the example cabinet of the kit-less notes.
"""

from __future__ import annotations

from pathlib import Path

from . import layout as L

KITCHEN_DIR = "ArenaEval/Fixtures/Kitchen"
KITCHEN_XML = f"{KITCHEN_DIR}/kitchen.xml"
KITCHEN_USD = f"{KITCHEN_DIR}/usd/kitchen/kitchen.usda"
JOINTS = ["drawer_joint", "door_joint", "button_joint"]

LICENSE_NOTE = f"""\
- {KITCHEN_DIR}/: a cabinet and a coffee machine written by arena-eval from primitive shapes
  (MJCF) and converted to USD with mujoco-usd-converter. Same licence as arena-eval.
"""

WOOD, DARK, FRONT, METAL, RED = "0.82 0.72 0.55 1", "0.2 0.2 0.2 1", "0.62 0.42 0.25 1", "0.25 0.27 0.3 1", "0.85 0.1 0.1 1"


def _box(name: str, pos, size, rgba: str = WOOD) -> str:
    p = " ".join(f"{v:.4f}" for v in pos)
    s = " ".join(f"{v:.4f}" for v in size)
    return f'<geom name="{name}" type="box" pos="{p}" size="{s}" rgba="{rgba}"/>'


def kitchen_xml() -> str:
    d, w, h, t = L.CAB_DEPTH, L.CAB_HALF_W, L.CAB_H, 0.01
    carcass = [
        _box("back", (d - t, 0, h / 2), (t, w, h / 2)),
        _box("top", (d / 2, 0, h - t), (d / 2, w, t)),
        _box("bottom", (d / 2, 0, t), (d / 2, w, t)),
        _box("side_l", (d / 2, -w + t, h / 2), (d / 2, t, h / 2)),
        _box("side_r", (d / 2, w - t, h / 2), (d / 2, t, h / 2)),
        _box("divider", (d / 2, 0, h / 2), (d / 2, t, h / 2)),
        _box("shelf", (d / 2, L.CUBBY_Y, L.SHELF_Z - t), (d / 2, w / 2 - t, t)),
    ]
    (mx0, mx1), (my0, my1), mh = L.MACHINE
    machine = [
        _box("machine", ((mx0 + mx1) / 2, (my0 + my1) / 2, mh / 2), ((mx1 - mx0) / 2, (my1 - my0) / 2, mh / 2), METAL),
        # the spout and a drip tray, for looks
        _box("machine_tray", (mx0 - 0.04, (my0 + my1) / 2, 0.01), (0.04, 0.06, 0.01), DARK),
    ]
    dz = L.DRAWER_Z
    half_front_h = dz - 0.02
    drawer = "".join([
        _box("drawer_front", (-t, 0, 0), (t, w / 2 - 0.015, half_front_h), FRONT),
        _box("drawer_bottom", (d / 2 - 0.02, 0, -half_front_h + 0.01), (d / 2 - 0.04, w / 2 - 0.03, 0.005)),
        _box("drawer_side_l", (d / 2 - 0.02, -(w / 2 - 0.03), -0.03), (d / 2 - 0.04, 0.005, 0.04)),
        _box("drawer_side_r", (d / 2 - 0.02, w / 2 - 0.03, -0.03), (d / 2 - 0.04, 0.005, 0.04)),
        _box("drawer_back", (d - 0.07, 0, -0.03), (0.005, w / 2 - 0.03, 0.04)),
        _box("drawer_bar", (L.HANDLE_X, 0, L.HANDLE_Z), (0.008, 0.07, 0.008), DARK),
        _box("drawer_so1", ((L.HANDLE_GAP[0] + L.HANDLE_GAP[1]) / 2, -0.062, L.HANDLE_Z), (0.021, 0.008, 0.008), DARK),
        _box("drawer_so2", ((L.HANDLE_GAP[0] + L.HANDLE_GAP[1]) / 2, 0.062, L.HANDLE_Z), (0.021, 0.008, 0.008), DARK),
    ])
    door = "".join([
        _box("door_panel", (-L.DOOR_T / 2, -L.DOOR_W / 2, 0), (L.DOOR_T / 2, L.DOOR_W / 2, h / 2 - 0.015), FRONT),
        _box("door_bar", (-0.055, -L.DOOR_W + 0.03, 0.1), (0.008, 0.008, 0.06), DARK),
        _box("door_so1", (-0.033, -L.DOOR_W + 0.03, 0.06), (0.014, 0.008, 0.008), DARK),
        _box("door_so2", (-0.033, -L.DOOR_W + 0.03, 0.14), (0.014, 0.008, 0.008), DARK),
    ])
    bx = mx0 - L.BUTTON_GAP
    button = _box("button", (-L.BUTTON_HALF[0], 0, 0), L.BUTTON_HALF, RED)
    return f"""<mujoco model="kitchen">
  <compiler angle="radian"/>
  <default><geom density="400" friction="{L.FRICTION} 0.05 0.001"/></default>
  <worldbody>
    <body name="kitchen" pos="0 0 0">
      <inertial pos="0 0 0" mass="5" diaginertia="0.1 0.1 0.1"/>
      {''.join(carcass)}{''.join(machine)}
      <body name="drawer" pos="0 {L.CUBBY_Y} {dz}">
        <joint name="drawer_joint" type="slide" axis="-1 0 0" range="0 {L.DRAWER_RANGE}" damping="2"/>
        {drawer}
      </body>
      <body name="door" pos="-0.002 {L.HINGE_Y} {h / 2}">
        <joint name="door_joint" type="hinge" axis="0 0 -1" range="0 1.7" damping="0.5"/>
        {door}
      </body>
      <body name="button" pos="{bx} {L.BUTTON_Y} {L.BUTTON_Z}">
        <joint name="button_joint" type="slide" axis="1 0 0" range="0 {L.BUTTON_RANGE}" damping="1"/>
        {button}
      </body>
    </body>
  </worldbody>
</mujoco>
"""


def build(root: Path) -> None:
    (root / KITCHEN_DIR).mkdir(parents=True, exist_ok=True)
    (root / KITCHEN_XML).write_text(kitchen_xml())
    from ...assets import convert_mjcf

    convert_mjcf(root, KITCHEN_XML, KITCHEN_USD)


def build_assets(root: Path) -> str:
    """The family's part of the asset root (registry `assets`): the Panda and this kitchen;
    returns their licence notes."""
    from . import robot

    robot.build(root)
    build(root)
    return robot.LICENSE_NOTE + LICENSE_NOTE
