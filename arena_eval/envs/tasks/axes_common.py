"""Variation axes the project's families share (`arena_eval.cards.variation`), built from the
names of a scene's parts. No simulator import: levels are data.

What the kit-less renderer honours decides the visual axes. Newton's warp ray tracer draws
the shapes' colours (USD visual material diffuse colours; the ground plane's tint), the
camera's pose and background colour, and one built-in directional light with a hemispheric
ambient term: the scene's USD `DistantLight` (its intensity, colour and direction) is not
read at all. So `lighting` switches what the renderer does read (its ambient term, its
directional light, shadow rays; `NewtonWarpRendererCfg`), not USD light attributes. There is
no background axis: the camera looks down at the ground plane (the background colour shows
nowhere), and Isaac Lab's ground tint (`GroundPlaneCfg.color`) needs a shader prim that the
local asset root's plain collision plane does not have (it fails with "Prim does not exist
at path: '/World/ground/Looks/theGrid/Shader'").
"""

from __future__ import annotations

import math

from ...cards.variation import Axis, Level


def _rot_z(deg: float) -> list[float]:
    h = math.radians(deg) / 2
    return [0.0, 0.0, math.sin(h), math.cos(h)]


def color_axis(name: str, paths: list[str], colors: dict[str, tuple[float, float, float]], doc: str) -> Axis:
    return Axis(name, "visual", {lv: Level(cfg={p: list(c) for p in paths}) for lv, c in colors.items()}, doc)


def lighting(cameras: list[str]) -> Axis:
    def lv(**kw) -> Level:
        return Level(cfg={f"scene.{c}.renderer_cfg.{k}": v for c in cameras for k, v in kw.items()})

    return Axis("lighting", "visual", {
        "shadows": lv(enable_shadows=True),  # the directional light casts shadows
        "no_ambient": lv(enable_ambient_lighting=False),  # directional light only: dark sides
        "ambient_only": lv(create_default_light=False),  # no directional light: flat and dim
    }, "the renderer's lighting (USD lights are not read by the kit-less renderer)")


def camera(cameras: list[str]) -> Axis:
    def lv(add=None, turn=None) -> Level:
        cfg = {}
        for c in cameras:
            if add:
                cfg[f"scene.{c}.offset.pos"] = {"add": add}
            if turn:
                cfg[f"scene.{c}.offset.rot"] = {"rotate": _rot_z(turn)}
        return Level(cfg=cfg)

    return Axis("camera", "visual", {
        "left": lv(add=[0.0, 0.05, 0.0]), "high": lv(add=[0.0, 0.0, 0.05]), "turn": lv(turn=5.0),
    }, "camera pose: 5 cm to the left, 5 cm higher, or turned 5 deg about the vertical")


def placement(obj: str, wide: float, yaw_deg: tuple[float, float] = (15.0, 30.0)) -> Axis:
    def xy(r: float) -> Level:
        return Level(start={obj: {"root_pos_offset": {"x": [-r, r], "y": [-r, r]}}})

    def yaw(d: float) -> Level:
        return Level(start={obj: {"root_yaw": {"z": [-math.radians(d), math.radians(d)]}}})

    return Axis("placement", "physical", {
        "wide": xy(wide), "wider": xy(1.5 * wide), f"yaw{yaw_deg[0]:g}": yaw(yaw_deg[0]), f"yaw{yaw_deg[1]:g}": yaw(yaw_deg[1]),
    }, f"object position x, y within +-{wide * 100:g} / +-{1.5 * wide * 100:g} cm (nominal +-2) or yaw within "
       f"+-{yaw_deg[0]:g} / +-{yaw_deg[1]:g} deg")


def object_props(obj: str, size: tuple[float, float, float], mass: float) -> Axis:
    spawn = f"scene.{obj}.spawn"

    def scaled(k: float) -> Level:
        # Keep it resting on the table: the spawn height moves with half the height change.
        return Level(cfg={f"{spawn}.size": [s * k for s in size],
                          f"scene.{obj}.init_state.pos": {"add": [0.0, 0.0, size[2] * (k - 1) / 2]}})

    return Axis("object", "physical", {
        "light": Level(cfg={f"{spawn}.mass_props.mass": mass * 0.5}),
        "heavy": Level(cfg={f"{spawn}.mass_props.mass": mass * 2.5}),
        "slippery": Level(cfg={f"{spawn}.physics_material.static_friction": 0.6,
                               f"{spawn}.physics_material.dynamic_friction": 0.6}),
        "small": scaled(0.9), "large": scaled(1.1),
    }, f"object mass x0.5 / x2.5 (nominal {mass:g} kg), friction 0.6 (nominal 1.5), size x0.9 / x1.1")


def init_joints(robot: str, joints: list[str]) -> Axis:
    def lv(r: float) -> Level:
        return Level(start={robot: {"joint_pos_offset": {j: [-r, r] for j in joints}}})

    return Axis("init_joints", "physical", {"small": lv(0.05), "large": lv(0.15)},
                "the robot's initial arm joints offset by up to +-0.05 / +-0.15 rad each")


def distractors(boxes: dict[str, list[tuple]]) -> Axis:
    """`boxes`: level -> [(size, pos, color), ...] static boxes placed clear of the task."""
    return Axis("distractors", "physical", {
        lv: Level(parts={f"distractor_{i}": {"size": list(s), "pos": list(p), "color": list(c)} for i, (s, p, c) in enumerate(items)})
        for lv, items in boxes.items()
    }, "static boxes on the table, clear of the task's reach (physical: they collide)")


def policy_side() -> list[Axis]:
    return [
        Axis("obs_noise", "policy", {"low": Level(policy={"obs_noise": 0.01}), "high": Level(policy={"obs_noise": 0.05})},
             "Gaussian noise on every state key the policy reads, sigma 0.01 / 0.05 (rad or m)"),
        Axis("action_noise", "policy", {"low": Level(policy={"action_noise": 0.01}), "high": Level(policy={"action_noise": 0.05})},
             "Gaussian noise on every action sent, sigma 0.01 / 0.05"),
        Axis("latency", "policy", {"1": Level(policy={"latency": 1}), "3": Level(policy={"latency": 3})},
             "each action reaches the env 1 / 3 control steps late (20 ms a step)"),
    ]


def ablations(instructions: dict[str, str]) -> list[Axis]:
    """What a policy is shown and told, for the question whether it uses them: `camera_input`
    blanks every frame it reads; `instruction` gives it another task's instruction (level:
    the other task's name) in the same scene."""
    return [
        Axis("camera_input", "policy", {"blank": Level(policy={"blank_video": True})},
             "every camera frame the policy reads is black (the simulator still renders it)"),
        Axis("instruction", "policy", {name: Level(policy={"instruction": text}) for name, text in instructions.items()},
             "the policy is given another task's instruction: " + "; ".join(f"{n}: {t!r}" for n, t in instructions.items())),
    ]


def axis_set(*axes: Axis) -> dict[str, Axis]:
    return {a.name: a for a in axes}
