"""The project's DexMG-like tasks (kit-less Isaac Lab, local assets): the Fourier GR1 with
dexterous hands and two Panda arms. Importing registers the ids."""

from ..registry import register

register({
    "ArenaEval-DexMG-GR1-LiftBox": "DexMGGR1LiftEnvCfg",
    "ArenaEval-DexMG-GR1-BoxSort": "DexMGGR1SortEnvCfg",
    "ArenaEval-DexMG-Panda-LiftTray": "DexMGPandaLiftTrayEnvCfg",
}, f"{__name__}.env_cfg")
