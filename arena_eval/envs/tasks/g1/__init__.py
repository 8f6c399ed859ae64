"""The project's G1 tasks (kit-less Isaac Lab, local assets): env cfgs (`env_cfg.py`),
start states (`starts.py`), scripted experts (`expert.py`) and the robot (`robot.py`).
Importing registers the family."""

from ....registry import register_family
from .axes import G1_AXES
from .starts import g1_table

register_family(
    "g1",
    module=__name__,
    env_ids={
        "ArenaEval-G1-PickPlace": f"{__name__}.env_cfg:G1PickPlaceEnvCfg",
        "ArenaEval-G1-Lift": f"{__name__}.env_cfg:G1LiftEnvCfg",
        "ArenaEval-G1-LocomanipPickPlace": f"{__name__}.env_cfg:G1LocomanipPickPlaceEnvCfg",
    },
    samplers={"g1_table": g1_table},
    experts={
        "g1_pick_place": f"{__name__}.expert:G1PickPlace",
        "g1_lift": f"{__name__}.expert:G1Lift",
        "g1_locomanip_pick_place": f"{__name__}.expert:G1LocomanipPickPlace",
    },
    assets=f"{__name__}.robot:build_assets",
    axes={"g1": G1_AXES},
)
