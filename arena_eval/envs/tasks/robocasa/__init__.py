"""The project's RoboCasa-style kitchen tasks (kit-less Isaac Lab, local assets): a Franka
Panda on a pedestal at a counter with a cabinet (drawer, hinged door, cubby) and a coffee
machine (push button). Importing registers the ids."""

import gymnasium as gym

_CFG = f"{__name__}.env_cfg"

for _id, _cfg in (
    ("ArenaEval-RoboCasa-OpenDrawer", "OpenDrawerEnvCfg"),
    ("ArenaEval-RoboCasa-CloseSingleDoor", "CloseSingleDoorEnvCfg"),
    ("ArenaEval-RoboCasa-CoffeePressButton", "CoffeePressButtonEnvCfg"),
    ("ArenaEval-RoboCasa-PnPCounterToCab", "PnPCounterToCabEnvCfg"),
):
    gym.register(
        id=_id,
        entry_point="isaaclab.envs:ManagerBasedRLEnv",
        disable_env_checker=True,
        kwargs={"env_cfg_entry_point": f"{_CFG}:{_cfg}"},
    )

# Isaac Lab's official Isaac-Open-Drawer-Franka with the success term evaluation needs
# (tasks/robocasa_official.yaml).
gym.register(
    id="ArenaEval-Official-Open-Drawer-Franka",
    entry_point="isaaclab.envs:ManagerBasedRLEnv",
    disable_env_checker=True,
    kwargs={"env_cfg_entry_point": f"{__name__}.official:OfficialOpenDrawerFrankaEnvCfg"},
)
