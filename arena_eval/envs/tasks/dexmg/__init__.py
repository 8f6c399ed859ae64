"""The project's DexMG-like tasks (kit-less Isaac Lab, local assets): the Fourier GR1 with
dexterous hands and two Panda arms. Importing registers the ids."""

import gymnasium as gym

_CFG = f"{__name__}.env_cfg"

for _id, _cfg in (
    ("ArenaEval-DexMG-GR1-LiftBox", "DexMGGR1LiftEnvCfg"),
    ("ArenaEval-DexMG-GR1-BoxSort", "DexMGGR1SortEnvCfg"),
    ("ArenaEval-DexMG-Panda-LiftTray", "DexMGPandaLiftTrayEnvCfg"),
):
    gym.register(
        id=_id,
        entry_point="isaaclab.envs:ManagerBasedRLEnv",
        disable_env_checker=True,
        kwargs={"env_cfg_entry_point": f"{_CFG}:{_cfg}"},
    )
