"""The project's DexMG-like tasks (kit-less Isaac Lab, local assets): the Fourier GR1 with
dexterous hands and two Panda arms. Env cfgs (`env_cfg.py`), start states (`starts.py`),
scripted experts (`expert.py`) and robots (`robot.py`); importing registers the family."""

from ....registry import register_family
from .axes import DEXMG_AXES
from .starts import dexmg_table

register_family(
    "dexmg",
    module=__name__,
    env_ids={
        "ArenaEval-DexMG-GR1-LiftBox": f"{__name__}.env_cfg:DexMGGR1LiftEnvCfg",
        "ArenaEval-DexMG-GR1-BoxSort": f"{__name__}.env_cfg:DexMGGR1SortEnvCfg",
        "ArenaEval-DexMG-Panda-LiftTray": f"{__name__}.env_cfg:DexMGPandaLiftTrayEnvCfg",
    },
    samplers={"dexmg_table": dexmg_table},
    experts={
        "dexmg_gr1_lift_box": f"{__name__}.expert:DexMGGR1LiftBox",
        "dexmg_gr1_box_sort": f"{__name__}.expert:DexMGGR1BoxSort",
        "dexmg_panda_lift_tray": f"{__name__}.expert:DexMGPandaLiftTray",
    },
    axes=DEXMG_AXES,
    assets=f"{__name__}.robot:build_assets",
)
