"""Gym registration of the project's Isaac Lab tasks (gymnasium only: the cfg modules, which
import Isaac Lab, load when an env is made)."""

from __future__ import annotations

import gymnasium as gym


def register(ids: dict[str, str], cfg_module: str) -> None:
    """Register each id -> `cfg_module:<cfg class>` as a ManagerBasedRLEnv."""
    for env_id, cfg in ids.items():
        gym.register(
            id=env_id,
            entry_point="isaaclab.envs:ManagerBasedRLEnv",
            disable_env_checker=True,
            kwargs={"env_cfg_entry_point": f"{cfg_module}:{cfg}"},
        )
