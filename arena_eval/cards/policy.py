"""Policy cards (policies/<name>.yaml) as a frozen dataclass, each field documented where it
is defined."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import registry
from ..errors import UserError
from .reader import POLICIES_DIR, Reader, read_yaml, resolve_card


@dataclasses.dataclass(frozen=True)
class PolicySpec:
    """A policy card (policies/<name>.yaml)."""

    name: str
    """The card's name; runs are named after it."""
    type: str
    """The adapter: a type registered with `arena_eval.registry.register_policy` (built in: random, zero,
    scripted, replay, blind, remote, gr00t; installed packages add theirs through the
    `arena_eval.policies` entry point group)."""
    action_horizon: int = 1
    """Steps per returned action chunk (H; 16 for GR00T)."""
    n_action_steps: int = 1
    """Steps of each chunk that are executed before the policy is asked again (<= action_horizon)."""
    seed: int = 0
    """The policy's own seed (random draws, GR00T's noise), combined with each episode's seed."""
    device: str = "cpu"
    """Where the policy computes: cpu, cuda, cuda:N."""
    checkpoint: str | None = None
    """A checkpoint directory, relative to the card's folder or absolute (its files are hashed into the run)."""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Adapter-specific fields (each adapter documents and checks its own)."""
    source: str = ""
    """The card file it was read from (for error messages; not part of the card)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_card(self) -> dict[str, Any]:
        """This policy as a policy card mapping; `parse_policy(p.to_card(), p.source) == p`."""
        d = self.to_dict()
        d.pop("source")
        return d


def parse_policy(data: Any, where: str) -> PolicySpec:
    r = Reader(data, where, "")
    ptype = r.get("type", str)
    types = registry.policy_types()
    if ptype not in types:
        raise UserError(f"expected one of {', '.join(types)}, got {ptype!r}", where=where, field="type")
    spec = PolicySpec(
        name=r.get("name", str),
        type=ptype,
        action_horizon=r.positive_int("action_horizon", 1),
        n_action_steps=r.positive_int("n_action_steps", 1),
        seed=r.get("seed", int, 0),
        device=r.get("device", str, "cpu"),
        checkpoint=r.get("checkpoint", str, None),
        params=dict(r.get("params", dict, {})),
        source=where,
    )
    if spec.n_action_steps > spec.action_horizon:
        raise UserError(
            f"n_action_steps ({spec.n_action_steps}) must not exceed action_horizon ({spec.action_horizon})",
            where=where,
            field="n_action_steps",
        )
    r.finish()
    return spec


def load_policy(name_or_path: str) -> PolicySpec:
    path = resolve_card(name_or_path, POLICIES_DIR, "policy")
    return parse_policy(read_yaml(path), str(path))


