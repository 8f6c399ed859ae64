"""Variation axes of the DexMG-like tasks (`arena_eval.cards.variation`; the shared kinds in
`../axes_common.py`): one set for the GR1 table tasks, one for the dual-Panda tray task."""

from __future__ import annotations

from .. import axes_common as ax
from . import layout as L
from .robot import PANDA_ARM_JOINTS

_CUBE = (0.06, 0.06, 0.06)
_RED, _GREEN, _YELLOW = (0.8, 0.1, 0.1), (0.1, 0.6, 0.2), (0.9, 0.8, 0.1)


def _common(obj_size, obj_mass, cam: str, spots, joints) -> list:
    return [
        ax.placement("object", wide=0.04),
        ax.object_props("object", obj_size, obj_mass),
        ax.color_axis("object_color", ["scene.object.spawn.visual_material.diffuse_color"],
                      {"red": _RED, "green": _GREEN, "white": (0.9, 0.9, 0.9)}, "the object's colour"),
        ax.color_axis("table_color", ["scene.table.spawn.visual_material.diffuse_color"],
                      {"dark": (0.2, 0.15, 0.1), "white": (0.9, 0.9, 0.9)}, "the table's colour"),
        ax.lighting([cam]),
        ax.camera([cam]),
        ax.distractors({"one": [(_CUBE, spots[0], _RED)], "three": [(_CUBE, p, c) for p, c in zip(spots, (_RED, _GREEN, _YELLOW))]}),
        ax.init_joints("robot", joints),
        *ax.policy_side(),
    ]


# Far table corners, clear of the object, the hands and (box sort) the bin to the right.
_GR1_Z = L.GR1_TABLE_H + _CUBE[2] / 2
_GR1_SPOTS = [(0.65, 0.38, _GR1_Z), (0.65, -0.38, _GR1_Z), (0.66, 0.2, _GR1_Z)]
_PANDA_Z = L.PANDA_TABLE_H + _CUBE[2] / 2
_PANDA_SPOTS = [(0.70, 0.5, _PANDA_Z), (0.70, -0.5, _PANDA_Z), (0.22, 0.52, _PANDA_Z)]

DEXMG_AXES = {
    "dexmg_gr1": ax.axis_set(*_common(L.GR1_BOX, L.GR1_BOX_MASS, "ego_cam", _GR1_SPOTS,
                                      [f"{s}_{j}" for s in ("l", "r") for j in ("shoulder_pitch", "shoulder_roll", "elbow_pitch")])),
    "dexmg_panda": ax.axis_set(*_common(L.TRAY, L.TRAY_MASS, "agent_cam", _PANDA_SPOTS,
                                        [j for s in ("left", "right") for j in (PANDA_ARM_JOINTS[s][1], PANDA_ARM_JOINTS[s][3])])),
}
