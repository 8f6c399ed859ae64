"""The project's G1 tasks (kit-less Isaac Lab, local assets). Importing registers the ids."""

import gymnasium as gym

_CFG = f"{__name__}.env_cfg"

for _id, _cfg in (
    ("ArenaEval-G1-PickPlace", "G1PickPlaceEnvCfg"),
    ("ArenaEval-G1-Lift", "G1LiftEnvCfg"),
    ("ArenaEval-G1-LocomanipPickPlace", "G1LocomanipPickPlaceEnvCfg"),
):
    gym.register(
        id=_id,
        entry_point="isaaclab.envs:ManagerBasedRLEnv",
        disable_env_checker=True,
        kwargs={"env_cfg_entry_point": f"{_CFG}:{_cfg}"},
    )
