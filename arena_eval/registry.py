"""The registry: what each task family provides, found by the names task cards use, and the
policy adapters, found by the `type` policy cards use.

A task family is one folder (the project's own are `arena_eval/envs/tasks/<family>/`) holding
its scene and env cfgs, its start-state samplers, its scripted experts and, where it has them,
the robots it builds into the local asset root. Importing the family's package registers it:

    from arena_eval.registry import register_family

    register_family(
        "mytasks",
        env_ids={"MyTasks-Reach": "mytasks.env_cfg:ReachEnvCfg"},   # gym id -> cfg class (a
                                                                     # ManagerBasedRLEnv), or
                                                                     # {"entry_point": ..., "cfg": ...}
        samplers={"mytasks_reach": reach_start},                     # card: env.start_state
        experts={"mytasks_reach": "mytasks.expert:ReachExpert"},     # card: expert
        assets="mytasks.assets:build",                               # optional: build(root)
        axes={"mytasks": {"lighting": Axis(...), ...}},              # variation axis sets (variation.py)
    )

Experts and asset builders are named as "module:attribute" and imported only when used, so
loading every family costs neither the simulator nor the planners. Families outside this
package register through the `arena_eval.tasks` entry point group (each entry point names a
module to import) or by importing their package before a run; their suite cards are then
evaluated with `scripts/evaluate.py --suite path/to/card.yaml`, with no edit to arena_eval.

Policy adapters register the same way (lm-evaluation-harness's lazy model registry):

    from arena_eval.registry import register_policy

    register_policy("mypolicy", "mypkg.policy:MyPolicy")   # a Policy subclass or a factory(spec)

The built-in types are named here as "module:attribute" strings and imported only when a card
uses them; packages outside arena_eval add theirs through the `arena_eval.policies` entry
point group (each entry point names a module to import, which calls `register_policy`), with
no edit to arena_eval (docs/adding-a-policy.md).

This module sits below both the environment layer and the policies: the scripted policy gets
experts here, the env adapter gets samplers and ids here, and neither imports the other.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable

import numpy as np

from .errors import UserError

# The project's own families; each registers itself when imported.
BUILTIN_FAMILIES = (
    "arena_eval.envs.tasks.cartpole",
    "arena_eval.envs.tasks.g1",
    "arena_eval.envs.tasks.dexmg",
    "arena_eval.envs.tasks.robocasa",
)
ENTRY_POINT_GROUP = "arena_eval.tasks"
POLICY_ENTRY_POINT_GROUP = "arena_eval.policies"

StartState = dict[str, dict[str, dict[str, float]]]
Sampler = Callable[[np.random.Generator, Any], StartState]


class Expert:
    """A scripted expert: reads the batched observation (`state.*` [B, T, D]) and returns
    action chunks `action.*` [B, H, D]. Privileged: it may read object state."""

    def __init__(self, task: Any, horizon: int):
        self.task = task
        self.horizon = horizon

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        return {}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        pass

    def act(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError


@dataclasses.dataclass
class Family:
    name: str
    module: str
    env_ids: dict[str, str | dict[str, str]]
    samplers: dict[str, Sampler]
    experts: dict[str, str]
    assets: str | None
    axes: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # set -> axis -> variation.Axis


_FAMILIES: dict[str, Family] = {}
_loaded = False


def register_family(
    name: str,
    *,
    env_ids: dict[str, str | dict[str, str]] | None = None,
    samplers: dict[str, Sampler] | None = None,
    experts: dict[str, str] | None = None,
    assets: str | None = None,
    module: str | None = None,
    axes: dict[str, dict[str, Any]] | None = None,
) -> Family:
    """Add a family (see the module docstring); registers its gym ids at once. Names must be
    unique across families: a clash is an error naming both families."""
    fam = Family(name, module or name, dict(env_ids or {}), dict(samplers or {}), dict(experts or {}), assets,
                 dict(axes or {}))
    for other in _FAMILIES.values():
        if other.name == name:
            continue
        for what in ("env_ids", "samplers", "experts", "axes"):
            clash = set(getattr(fam, what)) & set(getattr(other, what))
            if clash:
                raise UserError(f"task family {name!r} registers {'axis set' if what == 'axes' else what[:-1].replace('_', ' ')} {sorted(clash)[0]!r}, "
                                f"which family {other.name!r} already has")
    _FAMILIES[name] = fam
    if fam.env_ids:
        import gymnasium as gym

        for env_id, cfg in fam.env_ids.items():
            entry = "isaaclab.envs:ManagerBasedRLEnv"
            if isinstance(cfg, dict):
                entry, cfg = cfg["entry_point"], cfg["cfg"]
            if env_id not in gym.registry:  # a family imported twice registers once
                gym.register(id=env_id, entry_point=entry, disable_env_checker=True, kwargs={"env_cfg_entry_point": cfg})
    return fam


def load_families() -> dict[str, Family]:
    """Import the built-in families and those of installed packages (entry points), once."""
    global _loaded
    if not _loaded:
        _loaded = True
        for mod in BUILTIN_FAMILIES:
            importlib.import_module(mod)
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                ep.load()
            except Exception as e:  # a broken third-party family names itself
                raise UserError(f"task family entry point {ep.name!r} ({ep.value}) failed to load: "
                                f"{type(e).__name__}: {e}".splitlines()[0]) from None
    return dict(_FAMILIES)


def _resolve(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def samplers() -> dict[str, Sampler]:
    return {k: v for f in load_families().values() for k, v in f.samplers.items()}


def sampler(name: str, where: str | None = None) -> Sampler:
    known = samplers()
    if name not in known:
        raise UserError(f"unknown start-state sampler {name!r} (known: {', '.join(sorted(known))})",
                        where=where, field="env.start_state")
    return known[name]


def axis_sets() -> dict[str, dict[str, Any]]:
    """Variation axis sets of every family: set name -> axis name -> `variation.Axis`."""
    return {k: v for f in load_families().values() for k, v in f.axes.items()}


def expert_names() -> dict[str, str]:
    return {k: v for f in load_families().values() for k, v in f.experts.items()}


def make_expert(task: Any, horizon: int) -> Expert:
    """The expert a task card names (`expert:`), built for chunks of `horizon` steps."""
    known = expert_names()
    if task.expert not in known:
        raise UserError(f"unknown expert {task.expert!r} (known: {', '.join(sorted(known))})",
                        where=task.source, field=f"task {task.name}: expert")
    return _resolve(known[task.expert])(task, horizon)


def asset_builders() -> list[tuple[str, Callable[..., str]]]:
    """(family, build) for every family that builds assets; `build(root)` returns the text
    its licences add to the asset root's LICENSES.md."""
    return [(f.name, _resolve(f.assets)) for f in load_families().values() if f.assets]


# ---------------------------------------------------------------------------------------
# Policy adapters: card `type` -> "module:attribute" (a Policy subclass or a factory taking
# the PolicySpec), imported only when a card uses it.

_POLICIES: dict[str, str | Callable[..., Any]] = {
    "random": "arena_eval.policies.simple:RandomPolicy",
    "zero": "arena_eval.policies.simple:ZeroPolicy",
    "scripted": "arena_eval.policies.simple:ScriptedPolicy",
    "replay": "arena_eval.policies.replay:ReplayPolicy",
    "blind": "arena_eval.policies.blind:BlindPolicy",
    "remote": "arena_eval.serve.remote:RemotePolicy",
    "gr00t": "arena_eval.policies.groot:make_gr00t_policy",
}
_policies_loaded = False


def register_policy(name: str, adapter: str | Callable[..., Any]) -> None:
    """Make policy cards of `type: name` use `adapter`: a "module:attribute" reference or the
    class / factory itself; called with the card's PolicySpec, it returns a Policy. A name
    taken by another adapter is an error."""
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise UserError(f"policy type {name!r} must be a word (letters, digits, '_', '-')")
    old = _POLICIES.get(name)
    if old is not None and old != adapter:
        raise UserError(f"policy type {name!r} is registered already ({old})")
    _POLICIES[name] = adapter


def load_policies() -> dict[str, str | Callable[..., Any]]:
    """The built-in adapters and those of installed packages (entry points), once."""
    global _policies_loaded
    if not _policies_loaded:
        _policies_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=POLICY_ENTRY_POINT_GROUP):
            try:
                ep.load()
            except UserError:
                raise
            except Exception as e:  # a broken third-party package names itself
                raise UserError(f"policy entry point {ep.name!r} ({ep.value}) failed to load: "
                                f"{type(e).__name__}: {e}".splitlines()[0]) from None
    return dict(_POLICIES)


def policy_types() -> tuple[str, ...]:
    return tuple(load_policies())


def policy_adapter(name: str) -> Callable[..., Any]:
    """What builds a policy of card type `name` (imported on first use)."""
    adapter = load_policies().get(name)
    if adapter is None:
        raise UserError(f"unknown policy type {name!r} (known: {', '.join(policy_types())})", field="type")
    return _resolve(adapter) if isinstance(adapter, str) else adapter
