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
