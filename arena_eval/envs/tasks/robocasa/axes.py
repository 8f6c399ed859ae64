"""Variation axes of the kitchen tasks (`arena_eval.cards.variation`; the shared kinds in
`../axes_common.py`): the fixture tasks vary the fixture's placement, the pick-and-place task
also its object."""

from __future__ import annotations

from .. import axes_common as ax
from . import layout as L
from .robot import ARM_JOINTS

_CUBE = (0.06, 0.06, 0.06)
_Z = L.COUNTER_H + _CUBE[2] / 2
_RED, _GREEN, _YELLOW = (0.8, 0.1, 0.1), (0.1, 0.6, 0.2), (0.9, 0.8, 0.1)
# The counter's far left, clear of the cabinet (door swing included) and the coffee machine.
_SPOTS = [(0.35, 0.7, _Z), (0.95, 0.7, _Z), (0.65, 0.72, _Z)]


def _kitchen(obj: str) -> list:
    return [
        ax.placement(obj, wide=0.04),
        ax.color_axis("table_color", ["scene.counter.spawn.visual_material.diffuse_color"],
                      {"dark": (0.2, 0.15, 0.1), "white": (0.9, 0.9, 0.9)}, "the counter's colour"),
        ax.lighting(["ego_cam"]),
        ax.camera(["ego_cam"]),
        ax.distractors({"one": [(_CUBE, _SPOTS[0], _RED)], "three": [(_CUBE, p, c) for p, c in zip(_SPOTS, (_RED, _GREEN, _YELLOW))]}),
        ax.init_joints("robot", [ARM_JOINTS[i] for i in (1, 3, 5)]),
        *ax.policy_side(),
        *ax.ablations({"open_drawer": "open the drawer", "press_button": "press the button on the coffee machine",
                       "close_door": "close the cabinet door"}),
    ]


ROBOCASA_AXES = {
    "robocasa_kitchen": ax.axis_set(*_kitchen("kitchen")),
    "robocasa_object": ax.axis_set(
        *_kitchen("object"),
        ax.object_props("object", L.OBJECT, L.OBJECT_MASS),
        ax.color_axis("object_color", ["scene.object.spawn.visual_material.diffuse_color"],
                      {"red": _RED, "green": _GREEN, "white": (0.9, 0.9, 0.9)}, "the object's colour"),
    ),
}


# ---------------------------------------------------------------- the fixtures added for RoboCasa's 24
def _fixture_placement(asset: str) -> ax.Axis:
    """The fixture's x, y spread beyond its nominal +-3 cm (x) and +-8 cm (y)."""
    from ....cards.variation import Axis, Level

    def xy(rx: float, ry: float) -> Level:
        return Level(start={asset: {"root_pos_offset": {"x": [-rx, rx], "y": [-ry, ry]}}})

    return Axis("placement", "physical", {"wide": xy(0.045, 0.11), "wider": xy(0.06, 0.14)},
                "the fixture's position x, y within +-4.5 / +-6 cm and +-11 / +-14 cm (nominal +-3, +-8)")


def _cylinder_props(obj: str, radius: float, height: float, mass: float) -> ax.Axis:
    """As axes_common.object_props for a cylinder (a can, a mug): radius and height scaled."""
    from ....cards.variation import Axis, Level

    spawn = f"scene.{obj}.spawn"

    def scaled(k: float) -> Level:
        return Level(cfg={f"{spawn}.radius": radius * k, f"{spawn}.height": height * k,
                          f"scene.{obj}.init_state.pos": {"add": [0.0, 0.0, height * (k - 1) / 2]}})

    return Axis("object", "physical", {
        "light": Level(cfg={f"{spawn}.mass_props.mass": mass * 0.5}),
        "heavy": Level(cfg={f"{spawn}.mass_props.mass": mass * 2.5}),
        "slippery": Level(cfg={f"{spawn}.physics_material.static_friction": 0.6,
                               f"{spawn}.physics_material.dynamic_friction": 0.6}),
        "small": scaled(0.9), "large": scaled(1.1),
    }, f"object mass x0.5 / x2.5 (nominal {mass:g} kg), friction 0.6 (nominal 1.5), size x0.9 / x1.1")


def _new_scene(placement: bool, props: ax.Axis | None = None) -> dict:
    base = [a for a in _kitchen("fixture") if a.name not in ("placement", "camera_input", "instruction")]
    extra = [_fixture_placement("fixture")] if placement else []
    if props is not None:
        extra += [props, ax.color_axis("object_color", ["scene.object.spawn.visual_material.diffuse_color"],
                                       {"red": _RED, "green": _GREEN, "white": (0.9, 0.9, 0.9)}, "the object's colour")]
    return ax.axis_set(*extra, *base)


def _new_axes() -> dict:
    from . import fixtures as F

    return {
        "robocasa_fixture": _new_scene(True),
        "robocasa_kitchen_fixture": ax.axis_set(_fixture_placement("kitchen"), *[a for a in _kitchen("kitchen") if a.name not in ("placement", "camera_input", "instruction")]),
        "robocasa_box": _new_scene(False, ax.object_props("object", F.BOX, F.OBJECT_MASS)),
        "robocasa_can": _new_scene(False, _cylinder_props("object", *F.CAN, F.OBJECT_MASS)),
        "robocasa_mug": _new_scene(False, _cylinder_props("object", *F.MUG, F.OBJECT_MASS)),
    }


ROBOCASA_AXES.update(_new_axes())
