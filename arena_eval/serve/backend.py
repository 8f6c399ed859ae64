"""Serving the project's policy cards: one bound policy per served task, no simulator.

The server never creates an env. It binds each task's policy to spaces built from the task
card: actions from `actions` (dim, low, high), observations from `observations` (a state
key's `index: [start, end]` gives its dim). Keys whose shape the card does not fix (cameras,
state terms without an index) come from `obs_shapes` (the `--obs-shape` option), from the
policy's own declaration, or, failing those, from the first of our clients to `describe`
its env: the task is then bound on that request.

Rows of different clients share a policy call when the server batches (server.py). That
changes no client's actions where the policy is batch invariant: the GR00T adapters are by
default (each row is computed alone, policies/groot/common/adapter.py), and so are the random
and zero policies (per-slot draws). A GR00T card with `batch_invariant: false` is not, and the
served identity says so (`identity`), so a run records it.

Env slots of different clients must not share policy state (random draws per episode seed,
expert plans), so the server maps each (client id, slot) to a slot of its own ("virtual
slot") and calls the policy with those. A slot that gets an action without having been
reset (GR00T's client never sends seeds) is started with its slot number as seed.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

import gymnasium as gym
import numpy as np

from ..cards import ANNOTATION_KEY, PolicySpec, TaskSpec
from ..errors import UserError
from ..policies import Policy, make_policy
from ..records import content_hash
from .server import Prepared, RequestError
from .wire import ModalityConfig, one_line

Shape = tuple[int, ...]


def card_obs_shapes(task: TaskSpec) -> dict[str, Shape | None]:
    """Per-step observation shapes the task card fixes (None where only the env knows)."""
    out: dict[str, Shape | None] = {}
    for key, src in task.observations.items():
        out[key] = (src.dim,) if key.startswith("state.") and src.dim is not None else None
    return out


def task_spaces(task: TaskSpec, shapes: dict[str, Shape]) -> tuple[gym.spaces.Dict, gym.spaces.Dict]:
    """The observation and action spaces the Isaac Lab adapter would expose for this task."""
    obs = {}
    for key in task.observations:
        shape = tuple(int(n) for n in shapes[key])
        if key.startswith("video."):
            obs[key] = gym.spaces.Box(0, 255, shape, np.uint8)
        else:
            obs[key] = gym.spaces.Box(-np.inf, np.inf, shape, np.float32)
    act = {k: gym.spaces.Box(a.low, a.high, (a.dim,), np.float32) for k, a in task.actions.items()}
    return gym.spaces.Dict(obs), gym.spaces.Dict(act)


def _bare(key: str) -> str:
    return key.split(".", 1)[1]


class ServedTask:
    """One task's bound policy and its slot map."""

    def __init__(self, task: TaskSpec, policy: Policy, obs_shapes: dict[str, Shape] | None = None):
        self.task = task
        self.policy = policy
        self.shapes: dict[str, Shape | None] = card_obs_shapes(task)
        # Some adapters (GR00T) declare their inputs before bind; others only after it.
        declared = policy.required_obs()
        for key, shape in {**declared, **(obs_shapes or {})}.items():
            if key in self.shapes and self.shapes[key] is None and shape is not None:
                self.shapes[key] = tuple(shape)
        self.bound = False
        self.obs_space: gym.spaces.Dict | None = None
        self.required: dict[str, Shape | None] = {}
        self._vslots: dict[tuple[str, int], int] = {}
        self._free: list[int] = []
        self._next = 0
        self._started: set[int] = set()
        if all(s is not None for s in self.shapes.values()):
            self.bind({})

    @property
    def missing(self) -> list[str]:
        return [k for k, s in self.shapes.items() if s is None]

    def bind(self, client_shapes: dict[str, Shape]) -> None:
        shapes = {k: (s if s is not None else client_shapes.get(k)) for k, s in self.shapes.items()}
        lacking = [k for k, s in shapes.items() if s is None]
        if lacking:
            raise RequestError(
                f"task {self.task.name!r} cannot be bound: no shape for {', '.join(lacking)} "
                "(start the server with --obs-shape KEY=D1,D2,... or connect arena-eval's remote client first)"
            )
        obs_space, act_space = task_spaces(self.task, shapes)  # type: ignore[arg-type]
        self.policy.bind(self.task, obs_space, act_space)
        self.shapes = dict(shapes)
        self.obs_space = obs_space
        req = self.policy.required_obs()
        # The keys a policy reads are what it declares (base.Policy.required_obs); clients
        # send only those, which keeps camera frames off the wire for blind policies.
        self.required = {k: tuple(obs_space.spaces[k].shape) for k in req if k in obs_space.spaces}
        self.bound = True

    def check_bound(self) -> None:
        if not self.bound:
            raise RequestError(
                f"task {self.task.name!r} is not bound yet: the card gives no shape for {', '.join(self.missing)} "
                "(start the server with --obs-shape KEY=D1,D2,... or connect arena-eval's remote client first)"
            )

    def modality_config(self) -> dict[str, ModalityConfig]:
        self.check_bound()
        out: dict[str, ModalityConfig] = {}
        for modality in ("video", "state"):
            keys = [_bare(k) for k in self.required if k.startswith(modality + ".")]
            if keys:  # GR00T's ModalityConfig refuses an empty key list
                out[modality] = ModalityConfig([0], keys)
        out["action"] = ModalityConfig(list(range(self.policy.action_horizon)), [_bare(k) for k in self.task.actions])
        out["language"] = ModalityConfig([0], [ANNOTATION_KEY])
        return out

    # -- slots

    def vslot(self, client: str, slot: int) -> int:
        key = (client, slot)
        if key not in self._vslots:
            self._vslots[key] = self._free.pop() if self._free else self._next
            if self._vslots[key] == self._next:
                self._next += 1
        return self._vslots[key]

    def release(self, client: str) -> int:
        mine = [k for k in self._vslots if k[0] == client]
        for k in mine:
            v = self._vslots.pop(k)
            self._started.discard(v)
            self._free.append(v)
        return len(mine)

    def reset(self, client: str, slots: list[int], seeds: list[int]) -> None:
        v = [self.vslot(client, s) for s in slots]
        self.policy.reset(np.array(v, dtype=np.int64), [int(s) for s in seeds])
        self._started.update(v)

    def forget(self, client: str) -> None:
        """GR00T's reset(options=None): the client's slots start afresh on their next action."""
        for (c, _), v in self._vslots.items():
            if c == client:
                self._started.discard(v)

    def ensure_started(self, vslots: list[int], slots: list[int]) -> None:
        new = [(v, s) for v, s in zip(vslots, slots) if v not in self._started]
        if new:
            self.policy.reset(np.array([v for v, _ in new], dtype=np.int64), [s for _, s in new])
            self._started.update(v for v, _ in new)


@dataclasses.dataclass
class _Request:
    served: ServedTask
    obs: dict[str, Any]
    slots: list[int]
    vslots: list[int]
    rows: int
    nested: bool  # GR00T's Gr00tPolicy layout: {"video": {...}, ...} in, bare action keys out


def _int_list(value: Any, what: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise RequestError(f"options.{what} must be a list of integers")
    return [int(v) for v in value]


class PolicyBackend:
    """Serves one policy card for one or more tasks (one bound policy instance per task)."""

    def __init__(self, served: list[ServedTask], spec: PolicySpec | None = None):
        if not served:
            raise UserError("nothing to serve: no tasks")
        self.served = {s.task.name: s for s in served}
        self.spec = spec or served[0].policy.spec
        self._seen: OrderedDict[str, None] = OrderedDict()  # clients, least recently seen first

    @classmethod
    def from_card(cls, spec: PolicySpec, tasks: list[TaskSpec], obs_shapes: dict[str, Shape] | None = None) -> PolicyBackend:
        if spec.type == "remote":
            raise UserError("a remote card cannot be served (it is a client of another server)", where=spec.source)
        served = []
        for task in tasks:
            try:
                served.append(ServedTask(task, make_policy(spec), obs_shapes))
            except RequestError as e:
                raise UserError(str(e), where=task.source) from None
        return cls(served, spec)

    # -- helpers

    def _task(self, options: dict[str, Any] | None) -> ServedTask:
        name = options.get("task") if options else None
        if name is None:
            if len(self.served) == 1:
                return next(iter(self.served.values()))
            raise RequestError(f"this server serves tasks {', '.join(self.served)}; name one in options.task")
        if name not in self.served:
            raise RequestError(f"this server does not serve task {one_line(name, 80)!r} (it serves {', '.join(self.served)})")
        return self.served[name]

    def _client(self, options: dict[str, Any] | None, peer: str) -> str:
        cid = options.get("client_id") if options else None
        client = cid if isinstance(cid, str) and cid else f"peer:{peer}"
        self._seen[client] = None
        self._seen.move_to_end(client)
        return client

    def expire(self, max_clients: int) -> list[str]:
        """Release the slots of the least recently seen clients beyond `max_clients`; returns them."""
        gone = []
        while len(self._seen) > max(1, max_clients):
            client, _ = self._seen.popitem(last=False)
            for st in self.served.values():
                st.release(client)
            gone.append(client)
        return gone

    def clients(self) -> int:
        return len(self._seen)

    # -- endpoints

    def modality_config(self, options: dict[str, Any] | None) -> dict[str, ModalityConfig]:
        return self._task(options).modality_config()

    def describe(self, options: dict[str, Any] | None) -> dict[str, Any]:
        st = self._task(options)
        space = (options or {}).get("observation_space")
        if not st.bound and isinstance(space, dict):
            shapes = {}
            for k, v in space.items():
                if isinstance(v, list) and all(isinstance(n, int) and n >= 0 for n in v):
                    shapes[str(k)] = tuple(v)
            try:
                st.bind(shapes)
            except UserError as e:
                raise RequestError(f"binding {self.spec.name!r} to task {st.task.name!r}: {e}") from None
        st.check_bound()
        p = st.policy.spec
        return {
            "policy": {"name": p.name, "type": p.type, "action_horizon": p.action_horizon,
                       "n_action_steps": p.n_action_steps, "seed": p.seed},
            "task": {"name": st.task.name, "instruction": st.task.instruction},
            "tasks": list(self.served),
            "observations": {k: list(s) for k, s in st.shapes.items() if s is not None},
            "required_obs": {k: list(s) if s is not None else None for k, s in st.required.items()},
            "actions": {k: {"dim": a.dim, "low": a.low, "high": a.high} for k, a in st.task.actions.items()},
        }

    def identity(self) -> dict[str, Any]:
        """What this server serves, as a run's identity records it (remote.RemotePolicy):
        the policy card's defining fields, its checkpoint's content hash, each task's keys."""
        p = self.spec
        first = next(iter(self.served.values())).policy
        ckpt = content_hash(first.checkpoint_files())
        out = {
            "summary": f"policy {p.name!r} (type {p.type}, seed {p.seed}, horizon {p.action_horizon}, "
                       f"checkpoint {ckpt[:12] if ckpt else 'none'})",
            "policy": {"name": p.name, "type": p.type, "action_horizon": p.action_horizon,
                       "n_action_steps": p.n_action_steps, "seed": p.seed, "checkpoint_sha256": ckpt},
            "tasks": {name: {"actions": list(st.task.actions), "observations": list(st.task.observations)}
                      for name, st in sorted(self.served.items())},
        }
        own = first.identity()  # e.g. a GR00T adapter's inference mode (per-row or batched)
        if own is not None:
            out["policy_identity"] = own
        return out

    def reset(self, options: dict[str, Any] | None, peer: str) -> dict[str, Any]:
        client = self._client(options, peer)
        if options and options.get("release"):
            self._seen.pop(client, None)
            return {"released": sum(st.release(client) for st in self.served.values())}
        if not options or options.get("slots") is None:
            for st in self.served.values():
                st.forget(client)
            return {}
        st = self._task(options)
        st.check_bound()
        slots = _int_list(options.get("slots"), "slots")
        seeds = _int_list(options.get("seeds"), "seeds")
        if len(seeds) != len(slots) or len(set(slots)) != len(slots):
            raise RequestError("options.slots must be distinct and match options.seeds in length")
        st.reset(client, slots, seeds)
        return {"slots": len(slots)}

    def prepare(self, observation: Any, options: dict[str, Any] | None, peer: str) -> Prepared:
        st = self._task(options)
        st.check_bound()
        assert st.obs_space is not None
        nested = any(isinstance(observation.get(m), dict) for m in ("video", "state", "language"))
        if nested:
            flat = {f"{m}.{k}": v for m in ("video", "state") for k, v in (observation.get(m) or {}).items()}
            observation = {**flat, **(observation.get("language") or {})}
        lang = observation.get(ANNOTATION_KEY)
        if isinstance(lang, list) and all(isinstance(x, list) and len(x) == 1 for x in lang):
            lang = [x[0] for x in lang]  # GR00T's nested form: one string per row and step
        if not isinstance(lang, list) or not all(isinstance(x, str) for x in lang):
            raise RequestError(f"observation needs {ANNOTATION_KEY} as a list of strings (one per row)")
        rows = len(lang)
        slots = options.get("slots") if options else None
        slots = list(range(rows)) if slots is None else _int_list(slots, "slots")
        if len(slots) != rows or len(set(slots)) != rows or rows == 0:
            raise RequestError(f"options.slots ({len(slots)}) must be distinct, one per observation row ({rows})")
        obs: dict[str, Any] = {ANNOTATION_KEY: lang}
        for key, shape in st.required.items():
            arr = observation.get(key)
            if not isinstance(arr, np.ndarray):
                raise RequestError(f"observation lacks {key} (an array) for task {st.task.name!r}")
            want_dtype = np.uint8 if key.startswith("video.") else np.float32
            if key.startswith("video.") and arr.dtype != np.uint8:
                raise RequestError(f"{key} must be uint8, got {arr.dtype}")
            if arr.ndim != 2 + len(shape or ()) or arr.shape[0] != rows or arr.shape[1] != 1 or (shape is not None and tuple(arr.shape[2:]) != shape):
                raise RequestError(f"{key} must have shape [{rows}, 1, {', '.join(map(str, shape or ()))}], got {list(arr.shape)}")
            obs[key] = arr.astype(want_dtype, copy=False)
        client = self._client(options, peer)
        vslots = [st.vslot(client, s) for s in slots]
        return Prepared(key=st.task.name, rows=rows, payload=_Request(st, obs, slots, vslots, rows, nested))

    def run(self, batch: list[Prepared]) -> list[dict[str, np.ndarray]]:
        reqs: list[_Request] = [p.payload for p in batch]
        st = reqs[0].served
        for r in reqs:
            st.ensure_started(r.vslots, r.slots)
        if len(reqs) == 1:
            obs = reqs[0].obs
        else:
            obs = {k: ([s for r in reqs for s in r.obs[k]] if k == ANNOTATION_KEY else np.concatenate([r.obs[k] for r in reqs]))
                   for k in reqs[0].obs}
        vslots = np.array([v for r in reqs for v in r.vslots], dtype=np.int64)
        acts = st.policy.get_action(obs, vslots)
        total = len(vslots)
        out: dict[str, np.ndarray] = {}
        for key, slot in st.task.actions.items():
            a = acts.get(key) if isinstance(acts, dict) else None
            if a is None and not slot.required:
                continue
            if a is None:
                raise RuntimeError(f"policy returned no {key}")
            a = np.asarray(a, dtype=np.float32)
            if a.ndim != 3 or a.shape[0] != total or a.shape[2] != slot.dim:
                raise RuntimeError(f"policy returned {key} of shape {list(a.shape)}, expected [{total}, H, {slot.dim}]")
            out[key] = a
        res, start = [], 0
        for r in reqs:
            res.append({(_bare(k) if r.nested else k): np.ascontiguousarray(v[start:start + r.rows]) for k, v in out.items()})
            start += r.rows
        return res
