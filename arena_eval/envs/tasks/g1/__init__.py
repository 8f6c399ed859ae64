"""The project's G1 tasks (kit-less Isaac Lab, local assets). Importing registers the ids."""

from ..registry import register

register({
    "ArenaEval-G1-PickPlace": "G1PickPlaceEnvCfg",
    "ArenaEval-G1-Lift": "G1LiftEnvCfg",
    "ArenaEval-G1-LocomanipPickPlace": "G1LocomanipPickPlaceEnvCfg",
}, f"{__name__}.env_cfg")
