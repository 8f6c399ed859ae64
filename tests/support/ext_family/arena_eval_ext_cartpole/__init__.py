"""A task family from outside arena_eval, as a third-party package would write it (used by
tests/integration/test_ext_family.py): Isaac Lab's direct Cartpole with a narrower start and a stricter
failure, its own start-state sampler and its own expert. Registering it is all it takes; its
card (tests/support/ext_family/ext_cartpole.yaml) is then evaluated with `--suite path/to/card`."""

from arena_eval.registry import register_family

from .starts import narrow_start

register_family(
    "ext_cartpole",
    module=__name__,
    env_ids={
        "ArenaEvalExt-Cartpole-Narrow-v0": {
            "entry_point": "isaaclab_tasks.core.cartpole.cartpole_direct_env:CartpoleEnv",
            "cfg": f"{__name__}.env_cfg:NarrowCartpoleEnvCfg",
        }
    },
    samplers={"ext_cartpole_narrow": narrow_start},
    experts={"ext_cartpole_pd": f"{__name__}.expert:PoleHold"},
)
