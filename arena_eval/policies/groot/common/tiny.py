"""What the tiny checkpoints of every generation share: the keys of an embodiment
(`TinySpec`, from a suite task with `spec_from_task`) and the policy card that runs one
(`tiny_card`: `type: gr00t`, which picks the generation by the checkpoint's model_type).

The writers are `n1/tiny.py` (N1, N1.5) and `n1x/tiny.py` (N1.6, N1.7).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ....errors import UserError


@dataclasses.dataclass
class TinySpec:
    """Keys of one embodiment: state/action name -> dim, video name -> (width, height)."""

    state: dict[str, int]
    action: dict[str, int]
    video: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)


SMOKE = TinySpec(state={"cart": 1, "pole": 1, "cart_vel": 1, "pole_vel": 1}, action={"cart_force": 1})


def tiny_card(
    name: str,
    ckpt: Path,
    processor: Path,
    spec: TinySpec,
    *,
    tag: str = "new_embodiment",
    n_action_steps: int = 8,
    denoising_steps: int = 4,
    seed: int = 0,
    cpu_threads: int | None = None,
) -> dict[str, Any]:
    """A policy card (as a dict) mapping suite keys `<modality>.<name>` to the same metadata names."""
    return {
        "name": name,
        "type": "gr00t",
        "action_horizon": 16,
        "n_action_steps": n_action_steps,
        "seed": seed,
        "device": "cpu",
        "checkpoint": str(ckpt),
        "params": {
            "processor_dir": str(processor),
            "embodiment_tag": tag,
            "denoising_steps": denoising_steps,
            "video": {f"video.{k}": k for k in spec.video},
            "state": {f"state.{k}": k for k in spec.state},
            "action": {f"action.{k}": k for k in spec.action},
        }
        | ({"cpu_threads": cpu_threads} if cpu_threads else {}),
    }


def spec_from_task(task: Any, video: dict[str, tuple[int, int]], dims: dict[str, int] | None = None) -> TinySpec:
    """Keys and dims of a suite task (video resolutions must be given: cameras have no size in the card).
    A state key whose width only the env knows takes `dims[name]`, else the width of the action
    key of the same name."""
    dims = dict(dims or {})
    for key, a in task.actions.items():
        dims.setdefault(key.split(".", 1)[1], a.dim)
    state, vids = {}, {}
    for key, src in task.observations.items():
        kind, name = key.split(".", 1)
        if kind == "video":
            if name not in video:
                raise UserError(f"task {task.name!r} has camera {key}; give its size with --video {name}=WIDTHxHEIGHT")
            vids[name] = video[name]
        elif src.dim is None:
            if name in dims:
                state[name] = dims[name]
                continue
            raise UserError(
                f"cannot tell the dim of {key} (its source has no index in the suite card); give it with "
                f"--state-dim {name}=D",
                where=task.source,
            )
        else:
            state[name] = src.dim
    return TinySpec(state=state, action={k.split(".", 1)[1]: a.dim for k, a in task.actions.items()}, video=vids)
