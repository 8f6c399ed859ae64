"""The project's RoboCasa-style kitchen tasks (kit-less Isaac Lab, local assets): a Franka
Panda on a pedestal at a counter with a cabinet (drawer, hinged door, cubby) and a coffee
machine (push button). Env cfgs (`env_cfg.py`, `official.py`), start states (`starts.py`),
scripted experts (`expert.py`), robot and kitchen (`robot.py`, `kitchen.py`); importing
registers the family."""

from ....registry import register_family
from .axes import ROBOCASA_AXES
from .starts import robocasa_counter_object, robocasa_door_open, robocasa_kitchen, robocasa_kitchen_wide

register_family(
    "robocasa",
    module=__name__,
    env_ids={
        "ArenaEval-RoboCasa-OpenDrawer": f"{__name__}.env_cfg:OpenDrawerEnvCfg",
        "ArenaEval-RoboCasa-CloseSingleDoor": f"{__name__}.env_cfg:CloseSingleDoorEnvCfg",
        "ArenaEval-RoboCasa-CoffeePressButton": f"{__name__}.env_cfg:CoffeePressButtonEnvCfg",
        "ArenaEval-RoboCasa-PnPCounterToCab": f"{__name__}.env_cfg:PnPCounterToCabEnvCfg",
        # Isaac Lab's official Isaac-Open-Drawer-Franka with the success term evaluation needs
        # (tasks/robocasa_official.yaml).
        "ArenaEval-Official-Open-Drawer-Franka": f"{__name__}.official:OfficialOpenDrawerFrankaEnvCfg",
    },
    samplers={
        "robocasa_kitchen": robocasa_kitchen,
        "robocasa_kitchen_wide": robocasa_kitchen_wide,
        "robocasa_door_open": robocasa_door_open,
        "robocasa_counter_object": robocasa_counter_object,
    },
    experts={
        "robocasa_open_drawer": f"{__name__}.expert:OpenDrawer",
        "robocasa_close_door": f"{__name__}.expert:CloseDoor",
        "robocasa_press_button": f"{__name__}.expert:PressButton",
        "robocasa_pick_place": f"{__name__}.expert:PickPlace",
    },
    axes=ROBOCASA_AXES,
    assets=f"{__name__}.kitchen:build_assets",
)
