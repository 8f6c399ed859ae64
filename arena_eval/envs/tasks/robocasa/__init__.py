"""The project's RoboCasa-style kitchen tasks (kit-less Isaac Lab, local assets): a Franka Panda
on a pedestal at a counter, with RoboCasa's 24 tasks of the GR00T N1 evaluation. The original
kitchen (a cabinet with drawer, hinged door and cubby, and a coffee machine with a push button:
`kitchen.py`, `env_cfg.py`, `expert.py`, `starts.py`) holds the four first tasks and the two the
shipped camera checkpoint was trained on, unchanged; the fixtures added for the rest (cabinets,
microwave, sink, cooktop, coffee station: `fixtures.py`, `appliances.py`, `scenes.py`) have their
env cfgs in `env_tasks.py` and `env_pnp.py`, samplers in `samplers.py`, experts in `experts.py`
(motions: `plans.py`) and success terms in `success.py`. docs/robocasa.md compares each task's
success rule with RoboCasa's. Importing registers the family."""

from ....registry import register_family
from .axes import ROBOCASA_AXES
from .samplers import SAMPLERS
from .starts import robocasa_counter_object, robocasa_door_open, robocasa_kitchen, robocasa_kitchen_wide

# RoboCasa's task name -> our env cfg (module:class). The original four keep their ids.
NEW_TASKS = {
    "OpenSingleDoor": "env_tasks", "OpenDoubleDoor": "env_tasks", "CloseDoubleDoor": "env_tasks",
    "CloseDrawer": "env_tasks", "TurnOnMicrowave": "env_tasks", "TurnOffMicrowave": "env_tasks",
    "TurnOnSinkFaucet": "env_tasks", "TurnOffSinkFaucet": "env_tasks", "TurnSinkSpout": "env_tasks",
    "TurnOnStove": "env_tasks", "TurnOffStove": "env_tasks",
    "PnPCabToCounter": "env_pnp", "PnPCounterToSink": "env_pnp", "PnPSinkToCounter": "env_pnp",
    "PnPCounterToMicrowave": "env_pnp", "PnPMicrowaveToCounter": "env_pnp", "PnPCounterToStove": "env_pnp",
    "PnPStoveToCounter": "env_pnp", "CoffeeSetupMug": "env_pnp", "CoffeeServeMug": "env_pnp",
}


# The card's expert name -> its class in experts.py (imported only when used).
NEW_EXPERTS = {
    "robocasa_open_single_door": "OpenSingleDoor", "robocasa_open_double_door": "OpenDoubleDoor",
    "robocasa_close_double_door": "CloseDoubleDoor", "robocasa_close_drawer": "CloseDrawer",
    "robocasa_turn_on_stove": "TurnOnStove", "robocasa_turn_off_stove": "TurnOffStove",
    "robocasa_turn_on_sink_faucet": "TurnOnSinkFaucet", "robocasa_turn_off_sink_faucet": "TurnOffSinkFaucet",
    "robocasa_turn_sink_spout": "TurnSinkSpout", "robocasa_turn_on_microwave": "TurnOnMicrowave",
    "robocasa_turn_off_microwave": "TurnOffMicrowave", "robocasa_pnp_cab_to_counter": "PnPCabToCounter",
    "robocasa_pnp_counter_to_sink": "PnPCounterToSink", "robocasa_pnp_sink_to_counter": "PnPSinkToCounter",
    "robocasa_pnp_counter_to_microwave": "PnPCounterToMicrowave",
    "robocasa_pnp_microwave_to_counter": "PnPMicrowaveToCounter",
    "robocasa_pnp_counter_to_stove": "PnPCounterToStove", "robocasa_pnp_stove_to_counter": "PnPStoveToCounter",
    "robocasa_coffee_setup_mug": "CoffeeSetupMug", "robocasa_coffee_serve_mug": "CoffeeServeMug",
}


register_family(
    "robocasa",
    module=__name__,
    env_ids={
        "ArenaEval-RoboCasa-OpenDrawer": f"{__name__}.env_cfg:OpenDrawerEnvCfg",
        "ArenaEval-RoboCasa-CloseSingleDoor": f"{__name__}.env_cfg:CloseSingleDoorEnvCfg",
        "ArenaEval-RoboCasa-CoffeePressButton": f"{__name__}.env_cfg:CoffeePressButtonEnvCfg",
        "ArenaEval-RoboCasa-PnPCounterToCab": f"{__name__}.env_cfg:PnPCounterToCabEnvCfg",
        **{f"ArenaEval-RoboCasa-{t}": f"{__name__}.{mod}:{t}EnvCfg" for t, mod in NEW_TASKS.items()},
        # Isaac Lab's official Isaac-Open-Drawer-Franka with the success term evaluation needs
        # (tasks/robocasa_official.yaml).
        "ArenaEval-Official-Open-Drawer-Franka": f"{__name__}.official:OfficialOpenDrawerFrankaEnvCfg",
    },
    samplers={
        "robocasa_kitchen": robocasa_kitchen,
        "robocasa_kitchen_wide": robocasa_kitchen_wide,
        "robocasa_door_open": robocasa_door_open,
        "robocasa_counter_object": robocasa_counter_object,
        **SAMPLERS,
    },
    experts={
        "robocasa_open_drawer": f"{__name__}.expert:OpenDrawer",
        "robocasa_close_door": f"{__name__}.expert:CloseDoor",
        "robocasa_press_button": f"{__name__}.expert:PressButton",
        "robocasa_pick_place": f"{__name__}.expert:PickPlace",
        **{name: f"{__name__}.experts:{cls}" for name, cls in NEW_EXPERTS.items()},
    },
    axes=ROBOCASA_AXES,
    assets=f"{__name__}.appliances:build_assets",
)
