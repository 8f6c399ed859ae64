"""Isaac Lab's own Franka drawer task (`Isaac-Open-Drawer-Franka`) with a success term.

The official manager-based task is an RL training task: it ends episodes only at the time
limit and scores opening through rewards. For evaluation we add the success its reward
uses (`open_drawer_bonus`: the top drawer out 0.30 m) as a termination term, and change
nothing else: same scene, NVIDIA's Franka and Sektion cabinet USDs, same actions. Its
default physics preset is Newton MJWarp, so it runs kit-less where those USDs exist under
the asset root (they come from NVIDIA's asset server and are not in the local root).
"""

from __future__ import annotations

import os

from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.utils import configclass
from isaaclab_tasks.core.cabinet.cabinet_env_cfg import TerminationsCfg
from isaaclab_tasks.core.cabinet.config.franka.joint_pos_env_cfg import FrankaCabinetEnvCfg

from . import mdp

OFFICIAL_SUCCESS = 0.30  # m, the official reward's success threshold


@configclass
class OfficialDrawerTerminationsCfg(TerminationsCfg):
    success = DoneTerm(
        func=mdp.joint_above, params={"joint": "drawer_top_joint", "threshold": OFFICIAL_SUCCESS, "asset": "cabinet"}
    )


@configclass
class OfficialOpenDrawerFrankaEnvCfg(FrankaCabinetEnvCfg):
    terminations: OfficialDrawerTerminationsCfg = OfficialDrawerTerminationsCfg()

    def __post_init__(self):
        super().__post_init__()
        # Offline the loader would retry for a minute and then fail deep inside scene
        # creation; say up front which file is missing.
        from arena_eval.errors import UserError

        for name in ("robot", "cabinet"):
            path = getattr(self.scene, name).spawn.usd_path
            if "://" not in path and not os.path.isfile(path):
                raise UserError(
                    f"Isaac-Open-Drawer-Franka needs NVIDIA's asset {path} (not in the local asset root; "
                    "copy NVIDIA's Isaac assets there under the same relative paths)"
                )


