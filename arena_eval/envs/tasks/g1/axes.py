"""Variation axes of the G1 tasks (`arena_eval.cards.variation`; the shared kinds in
`../axes_common.py`). Cards list the levels each task offers (tasks/g1.yaml)."""

from __future__ import annotations

from .. import axes_common as ax
from .layout import BOX, BOX_MASS, TABLE_H

_CUBE = (0.06, 0.06, 0.06)
_Z = TABLE_H + _CUBE[2] / 2
# On the table's far corners, clear of the box, the palms and the bin (on its stand, right).
_SPOTS = [((0.60, 0.38, _Z), (0.8, 0.1, 0.1)), ((0.60, -0.38, _Z), (0.1, 0.6, 0.2)), ((0.62, 0.2, _Z), (0.9, 0.8, 0.1))]

G1_AXES = ax.axis_set(
    ax.placement("box", wide=0.04),
    ax.object_props("box", BOX, BOX_MASS),
    ax.color_axis("object_color", ["scene.box.spawn.visual_material.diffuse_color"],
                  {"red": (0.8, 0.1, 0.1), "green": (0.1, 0.6, 0.2), "white": (0.9, 0.9, 0.9)}, "the box's colour"),
    ax.color_axis("table_color", ["scene.table.spawn.visual_material.diffuse_color"],
                  {"dark": (0.2, 0.15, 0.1), "white": (0.9, 0.9, 0.9)}, "the table's colour"),
    ax.lighting(["ego_cam"]),
    ax.camera(["ego_cam"]),
    ax.distractors({"one": [(_CUBE, *_SPOTS[0])], "three": [(_CUBE, *s) for s in _SPOTS]}),
    ax.init_joints("robot", [f"{s}_{j}_joint" for s in ("left", "right") for j in ("shoulder_pitch", "shoulder_roll", "elbow")]),
    *ax.policy_side(),
)
