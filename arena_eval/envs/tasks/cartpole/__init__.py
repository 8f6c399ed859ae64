"""The smoke suite's family: Isaac Lab's official `Isaac-Cartpole-Direct` (its env and cfg
are Isaac Lab's; its robot comes from the asset root's base), with a start-state sampler
drawn from the episode seed and an LQR-style expert."""

from ....registry import register_family
from .starts import cartpole

register_family(
    "cartpole",
    module=__name__,
    samplers={"cartpole": cartpole},
    experts={"cartpole_balance": f"{__name__}.expert:CartpoleBalance"},
)
