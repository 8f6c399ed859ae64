"""The project's RoboCasa-style kitchen tasks (kit-less Isaac Lab, local assets): a Franka
Panda on a pedestal at a counter with a cabinet (drawer, hinged door, cubby) and a coffee
machine (push button). Importing registers the ids."""

from ..registry import register

register({
    "ArenaEval-RoboCasa-OpenDrawer": "OpenDrawerEnvCfg",
    "ArenaEval-RoboCasa-CloseSingleDoor": "CloseSingleDoorEnvCfg",
    "ArenaEval-RoboCasa-CoffeePressButton": "CoffeePressButtonEnvCfg",
    "ArenaEval-RoboCasa-PnPCounterToCab": "PnPCounterToCabEnvCfg",
}, f"{__name__}.env_cfg")
# Isaac Lab's official Isaac-Open-Drawer-Franka with the success term evaluation needs
# (tasks/robocasa_official.yaml).
register({"ArenaEval-Official-Open-Drawer-Franka": "OfficialOpenDrawerFrankaEnvCfg"}, f"{__name__}.official")
