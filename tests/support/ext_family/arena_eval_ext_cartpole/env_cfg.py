"""The family's env cfg: Isaac Lab's direct Cartpole cfg with a narrower start range."""

from isaaclab.utils import configclass
from isaaclab_tasks.core.cartpole.cartpole_direct_env_cfg import CartpoleEnvCfg


@configclass
class NarrowCartpoleEnvCfg(CartpoleEnvCfg):
    initial_pole_angle_range = [-0.1, 0.1]
