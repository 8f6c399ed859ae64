"""MJCF of the fixtures added for RoboCasa's 24 tasks, written from primitive geoms and converted
to USD like the original kitchen (`kitchen.py`, which is left untouched): a double-door and a
single-door cabinet, a microwave (hinged door, start and stop buttons, turntable), a vessel sink
with a swivelling spout and a faucet lever, a cooktop with four knobs and burners, and a coffee
station (dispenser head over a drip tray that holds the mug). Each is one articulation with a
fixed root and real joints; the sizes live in `fixtures.py`.
"""

from __future__ import annotations

from pathlib import Path

from . import fixtures as F

WOOD, DARK, FRONT, METAL, RED = "0.82 0.72 0.55 1", "0.2 0.2 0.2 1", "0.62 0.42 0.25 1", "0.25 0.27 0.3 1", "0.85 0.1 0.1 1"
WHITE, GREEN, GLASS, STEEL, BLACK = "0.9 0.9 0.88 1", "0.1 0.7 0.2 1", "0.3 0.35 0.4 1", "0.7 0.72 0.75 1", "0.08 0.08 0.08 1"

FIXTURES = ("double_cabinet", "single_cabinet", "microwave", "sink", "stove", "coffee_station")


def usd_path(name: str) -> str:
    return f"ArenaEval/Fixtures/{name}/usd/{name}/{name}.usda"


def xml_path(name: str) -> str:
    return f"ArenaEval/Fixtures/{name}/{name}.xml"


def _v(v) -> str:
    return " ".join(f"{x:.4f}" for x in v)


def box(name: str, pos, half, rgba: str = WOOD) -> str:
    return f'<geom name="{name}" type="box" pos="{_v(pos)}" size="{_v(half)}" rgba="{rgba}"/>'


def cyl(name: str, pos, r: float, half_h: float, rgba: str) -> str:
    return f'<geom name="{name}" type="cylinder" pos="{_v(pos)}" size="{r:.4f} {half_h:.4f}" rgba="{rgba}"/>'


def span(name: str, x, y, z, rgba: str = WOOD) -> str:
    """A box filling the ranges x, y, z (each (lo, hi))."""
    return box(name, [(a + b) / 2 for a, b in (x, y, z)], [(b - a) / 2 for a, b in (x, y, z)], rgba)


def _model(name: str, body: str) -> str:
    return f"""<mujoco model="{name}">
  <compiler angle="radian"/>
  <default><geom density="400" friction="1.5 0.05 0.001"/></default>
  <worldbody>
    <body name="{name}" pos="0 0 0">
      <inertial pos="0 0 0" mass="5" diaginertia="0.1 0.1 0.1"/>
      {body}
    </body>
  </worldbody>
</mujoco>
"""


def _hinged(name: str, h: F.Hinge, z: float, lo: float, hi: float, geoms: str) -> str:
    ax = f"0 0 {h.sign}"
    return (f'<body name="{name}" pos="{h.pivot[0]:.4f} {h.pivot[1]:.4f} {z:.4f}">'
            f'<inertial pos="0 0 0" mass="0.2" diaginertia="0.002 0.002 0.002"/>'
            f'<joint name="{h.joint}" type="hinge" axis="{ax}" range="{lo:.4f} {hi:.4f}" damping="1"/>{geoms}</body>')


def _in_part(h: F.Hinge, r: float, n: float) -> tuple[float, float]:
    """A point of a hinged part at angle 0, relative to its pivot (r along, n along push_normal)."""
    p = h.point(0.0, r, n) - h.pivot
    return float(p[0]), float(p[1])


def door_body(name: str, d: F.Door, handle: str = "bar") -> str:
    """A door panel with its handle: a horizontal bar on end standoffs ("bar") or a vertical
    bar ("vertical", for looks)."""
    h = d.hinge
    g = []
    cx, cy = _in_part(h, d.width / 2, d.thick / 2)
    along_y = abs(h.rest[1]) > 0.5
    half = (d.thick / 2, d.width / 2, d.height / 2) if along_y else (d.width / 2, d.thick / 2, d.height / 2)
    g.append(box(f"{name}_panel", (cx, cy, 0.0), half, FRONT))
    dz = d.bar_z - d.z
    if handle == "bar":
        bx, by = _in_part(h, d.bar_r, d.bar_n)
        bar_half = (0.008, d.bar_len / 2, 0.008) if along_y else (d.bar_len / 2, 0.008, 0.008)
        g.append(box(f"{name}_bar", (bx, by, dz), bar_half, DARK))
        so_len = (d.bar_n - d.thick) / 2
        for k, s in enumerate((-1, 1)):
            sx, sy = _in_part(h, d.bar_r + s * (d.bar_len / 2 - 0.008), d.thick + so_len)
            so_half = (so_len, 0.008, 0.008) if along_y else (0.008, so_len, 0.008)
            g.append(box(f"{name}_so{k}", (sx, sy, dz), so_half, DARK))
    else:
        bx, by = _in_part(h, d.width - 0.03, d.thick + 0.02)
        g.append(box(f"{name}_bar", (bx, by, 0.0), (0.008, 0.008, 0.07), DARK))
    return _hinged(name, h, d.z, 0.0, F.DOOR_RANGE, "".join(g))


def cabinet_xml(name: str, doors: tuple[F.Door, ...], half_w: float) -> str:
    d, w, h, t = F.CAB_DEPTH, half_w, F.CAB_H, F.CAB_T
    carcass = [
        span("back", (d - t, d), (-w, w), (0, h)),
        span("top", (0, d), (-w, w), (h - t, h)),
        span("bottom", (0, d), (-w, w), (0, t)),
        span("side_l", (0, d), (w - t, w), (0, h)),
        span("side_r", (0, d), (-w, -w + t), (0, h)),
        span("shelf", (t, d - t), (-w + t, w - t), (h / 2 - t / 2, h / 2 + t / 2)),
    ]
    body = "".join(carcass) + "".join(door_body(dd.hinge.joint.removesuffix("_joint"), dd) for dd in doors)
    return _model(name, body)


def microwave_xml() -> str:
    (x0, x1), (y0, y1), (z0, z1) = F.MW_CAVITY
    d, h, (wy0, wy1) = F.MW_DEPTH, F.MW_H, F.MW_Y
    g = [
        span("mw_back", (x1, d), (wy0, wy1), (0, h), WHITE),
        span("mw_top", (0, d), (wy0, wy1), (z1, h), WHITE),
        span("mw_floor", (0, d), (wy0, wy1), (0, z0), WHITE),
        span("mw_left", (0, d), (y1, wy1), (0, h), WHITE),
        span("mw_panel", (0, d), (wy0, y0), (0, h), METAL),
    ]
    (tx, ty), tr, tz = F.MW_TURNTABLE
    g.append(cyl("mw_turntable", (tx, ty, tz - 0.004), tr, 0.004, GLASS))
    bx = -F.MW_BUTTON_GAP
    buttons = []
    for joint, bz in F.MW_BUTTONS.items():
        rgba = GREEN if joint.startswith("start") else RED
        nm = joint.removesuffix("_joint")
        buttons.append(
            f'<body name="{nm}" pos="{bx:.4f} {F.MW_PANEL_Y:.4f} {bz:.4f}">'
            f'<inertial pos="0 0 0" mass="0.02" diaginertia="1e-5 1e-5 1e-5"/>'
            f'<joint name="{joint}" type="slide" axis="1 0 0" range="0 {F.MW_BUTTON_RANGE}" damping="1"/>'
            f'{box(nm, (-F.MW_BUTTON_HALF[0], 0, 0), F.MW_BUTTON_HALF, rgba)}</body>')
    door = door_body("mw_door", F.MW_DOOR, handle="vertical")
    return _model("microwave", "".join(g) + "".join(buttons) + door)


def sink_xml() -> str:
    d, w, t, h = F.SINK_DEPTH, F.SINK_HALF_W, F.SINK_WALL, F.SINK_H
    g = [
        span("basin_floor", (0, d), (-w, w), (0, 0.01), STEEL),
        span("basin_front", (0, t), (-w, w), (0, h), STEEL),
        span("basin_back", (d - t, d), (-w, w), (0, h), STEEL),
        span("basin_left", (t, d - t), (w - t, w), (0, h), STEEL),
        span("basin_right", (t, d - t), (-w, -w + t), (0, h), STEEL),
        # the faucet's base plate and column behind the basin, the lever's post
        span("faucet_base", (d, d + 0.07), (-0.16, 0.06), (0, 0.015), STEEL),
        # (each stops 2 mm short of the hub turning on it)
        cyl("faucet_column", (F.FAUCET_X, 0.0, (F.SPOUT_Z - 0.001) / 2), 0.016, (F.SPOUT_Z - 0.031) / 2, STEEL),
        cyl("handle_post", (*F.HANDLE.pivot, (F.HANDLE_Z - 0.001) / 2), 0.014, (F.HANDLE_Z - 0.029) / 2, STEEL),
    ]
    sx, sy = _in_part(F.SPOUT, F.SPOUT_LEN / 2, 0.0)
    spout = (box("spout_arm", (sx, sy, 0.0), (F.SPOUT_LEN / 2, 0.012, 0.012), STEEL)
             + cyl("spout_hub", (0, 0, 0), 0.02, 0.014, STEEL))
    hx, hy = _in_part(F.HANDLE, F.HANDLE_LEN / 2, 0.0)
    lever = (box("handle_lever", (hx, hy, 0.0), (F.HANDLE_LEN / 2, 0.008, 0.01), DARK)
             + cyl("handle_hub", (0, 0, 0), 0.016, 0.012, STEEL))
    body = ("".join(g) + _hinged("spout", F.SPOUT, F.SPOUT_Z, -1.57, 1.57, spout)
            + _hinged("handle", F.HANDLE, F.HANDLE_Z, -0.05, 1.57, lever))
    return _model("sink", body)


def stove_xml() -> str:
    d, w, h = F.STOVE_DEPTH, F.STOVE_HALF_W, F.STOVE_H
    g = [span("cooktop", (0, d), (-w, w), (0, h), BLACK)]
    for loc, (bx, by) in F.BURNERS.items():
        g.append(cyl(f"burner_{loc}", (bx, by, h + 0.001), 0.075, 0.001, METAL))
    knobs = []
    for loc, k in F.KNOBS.items():
        fx, fy = _in_part(k, F.FIN_LEN / 2, 0.0)
        # 2 mm above the cooktop: a knob turns without rubbing on it
        geoms = (cyl(f"knob_{loc}", (0, 0, 0.002 + F.KNOB_H / 2), F.KNOB_R, F.KNOB_H / 2, STEEL)
                 + box(f"knob_{loc}_fin", (fx, fy, F.KNOB_H + F.FIN_H / 2), (F.FIN_LEN / 2, 0.004, F.FIN_H / 2), RED))
        knobs.append(_hinged(f"knob_{loc}", k, h, F.KNOB_RANGE[0], F.KNOB_RANGE[1], geoms))
    return _model("stove", "".join(g) + "".join(knobs))


def coffee_station_xml() -> str:
    (bx0, bx1), (by0, by1), bh = F.COFFEE_BODY
    (hx0, hx1), (hy0, hy1), (hz0, hz1) = F.COFFEE_HEAD
    (tx0, tx1), (ty0, ty1), tz = F.COFFEE_TRAY
    g = [
        span("coffee_body", (bx0, bx1), (by0, by1), (0, bh), METAL),
        span("coffee_head", (hx0, hx1), (hy0, hy1), (hz0, hz1), METAL),
        span("coffee_tray", (tx0, tx1), (ty0, ty1), (0, tz), DARK),
        cyl("coffee_spout", (F.COFFEE_PLACE[0], 0.0, hz0 - 0.01), 0.008, 0.01, STEEL),
    ]
    # the start button on the body's front, beside the head (a real joint: it also makes the
    # station an articulation with one degree of freedom, like every other fixture)
    (bx, by, bz), half = F.COFFEE_BUTTON, F.COFFEE_BUTTON_HALF
    button = (f'<body name="coffee_button" pos="{bx:.4f} {by:.4f} {bz:.4f}">'
              f'<inertial pos="0 0 0" mass="0.02" diaginertia="1e-5 1e-5 1e-5"/>'
              f'<joint name="coffee_button_joint" type="slide" axis="1 0 0" range="0 0.012" damping="1"/>'
              f'{box("coffee_button", (-half[0], 0, 0), half, RED)}</body>')
    return _model("coffee_station", "".join(g) + button)


def fixture_xml(name: str) -> str:
    return {
        "double_cabinet": lambda: cabinet_xml("double_cabinet", F.DOUBLE_DOORS, F.DCAB_HALF_W),
        "single_cabinet": lambda: cabinet_xml("single_cabinet", (F.SINGLE_DOOR,), F.SCAB_HALF_W),
        "microwave": microwave_xml,
        "sink": sink_xml,
        "stove": stove_xml,
        "coffee_station": coffee_station_xml,
    }[name]()


def build(root: Path) -> str:
    """Write every fixture's MJCF and USD into the asset root being built; returns the licence note."""
    from ...assets import convert_mjcf

    for name in FIXTURES:
        (root / xml_path(name)).parent.mkdir(parents=True, exist_ok=True)
        (root / xml_path(name)).write_text(fixture_xml(name))
        convert_mjcf(root, xml_path(name), usd_path(name))
    return (f"- ArenaEval/Fixtures/{{{','.join(FIXTURES)}}}/: kitchen fixtures written by arena-eval from primitive shapes\n"
            "  (MJCF) and converted to USD with mujoco-usd-converter. Same licence as arena-eval.\n")


def build_assets(root: Path) -> str:
    """The family's part of the asset root (registry `assets`): the Panda and the original
    kitchen (`kitchen.build_assets`, unchanged), then these fixtures; returns the licence notes."""
    from . import kitchen

    return kitchen.build_assets(root) + build(root)
